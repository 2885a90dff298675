//! The workflow's clock in the runtime's seconds. Temporal's workflow time (the time of the
//! workflow task, recorded in history, so a replay sees the same) is the only clock a workflow
//! may read. In production the runtime's time is that clock. In the test mode a workflow maps it
//! to virtual time, `epoch + (workflow time - origin) * scale`, where origin is the workflow's
//! first workflow time, and no timer waits more than [`TEST_MAX_WAIT_MS`] of real time: when it
//! fires, the workflow's clock jumps to the timer's due time (what Temporal's time-skipping test
//! server does; it is downloaded by the SDKs at run time and cannot be had here;
//! docs/deploy-temporal.md, "Test mode"). A journey's week then passes in a few timers of
//! milliseconds, and each due time still gets its own replay.

use serde::{Deserialize, Serialize};

/// A scaled clock for tests: the virtual time `epoch_s` at the workflow's first moment, and how
/// many virtual seconds pass per real second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestClock {
    pub epoch_s: i64,
    pub scale: u32,
    /// The input's last event: past it, a contact with nothing due stops looking for scheduled
    /// entries and goes idle (`journey simulate` fires them between the first event and the
    /// last), so that a test can tell when it is done.
    pub until_s: i64,
}

/// The longest real wait of a timer in the test mode.
pub const TEST_MAX_WAIT_MS: i64 = 20;

/// A workflow's clock: real (`test` is `None`) or scaled from `origin_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub test: Option<TestClock>,
    /// The workflow time (ms since the Unix epoch) at which virtual time is `epoch_s`.
    pub origin_ms: i64,
}

impl Clock {
    /// The runtime's time (seconds since the Unix epoch) at workflow time `ms`.
    pub fn now_s(&self, ms: i64) -> i64 {
        match self.test {
            None => ms.div_euclid(1000),
            Some(test) => {
                let scaled = ms.saturating_sub(self.origin_ms).saturating_mul(i64::from(test.scale));
                test.epoch_s.saturating_add(scaled.div_euclid(1000))
            }
        }
    }

    /// How long (real ms, at least 1) a timer set at workflow time `now_ms` waits for `due_s`.
    pub fn wait_ms(&self, now_ms: i64, due_s: i64) -> i64 {
        let wait = self.workflow_ms_at(due_s).saturating_sub(now_ms).max(1);
        match self.test {
            None => wait,
            Some(_) => wait.min(TEST_MAX_WAIT_MS),
        }
    }

    /// The first workflow time (ms) at which [`Clock::now_s`] reaches `due_s`.
    pub fn workflow_ms_at(&self, due_s: i64) -> i64 {
        match self.test {
            None => due_s.saturating_mul(1000),
            Some(test) => {
                let scale = i64::from(test.scale.max(1));
                let virtual_ms = due_s.saturating_sub(test.epoch_s).saturating_mul(1000);
                // Rounded up: a timer that fires early would replay before the due time.
                let real = virtual_ms.saturating_add(scale - 1).div_euclid(scale);
                self.origin_ms.saturating_add(real)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_clock_is_the_workflow_time_in_seconds() {
        let clock = Clock { test: None, origin_ms: 5 };
        assert_eq!(clock.now_s(1_700_000_000_999), 1_700_000_000);
        assert_eq!(clock.workflow_ms_at(1_700_000_001), 1_700_000_001_000);
        assert_eq!(clock.wait_ms(1_700_000_000_999, 1_700_000_001), 1);
        assert_eq!(clock.wait_ms(1_700_000_000_000, 1_700_086_400), 86_400_000);
    }

    #[test]
    fn a_test_clock_runs_scale_times_faster_from_its_epoch_and_wakes_no_earlier_than_due() {
        let clock = Clock { test: Some(TestClock { epoch_s: 1_000, scale: 3_600, until_s: 1_000 }), origin_ms: 50_000 };
        assert_eq!(clock.now_s(50_000), 1_000);
        // One real second is an hour.
        assert_eq!(clock.now_s(51_000), 4_600);
        for due in [1_001, 4_600, 4_601, 90_000] {
            let wake = clock.workflow_ms_at(due);
            assert!(clock.now_s(wake) >= due, "{due}");
            assert!(clock.now_s(wake - 1) < due, "{due}");
        }
        // A day away is still at most TEST_MAX_WAIT_MS of real time.
        assert_eq!(clock.wait_ms(50_000, 1_000 + 86_400), TEST_MAX_WAIT_MS);
        assert_eq!(clock.wait_ms(50_000, 1_001), 1);
    }
}
