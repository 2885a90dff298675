//! The service's clock (docs/deploy.md, "Clock"): real time, or a test clock that runs `scale`
//! times faster from a chosen instant, so a journey's waits of hours fire in seconds. The test
//! clock's origin is kept in the database, so a restarted service continues the same virtual
//! time instead of starting it over.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Real,
    /// Virtual time `epoch + (real - origin_ms) * scale`, in seconds.
    Scaled {
        epoch: i64,
        origin_ms: i64,
        scale: u32,
    },
}

/// Real time, in milliseconds since 1970.
pub fn real_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Clock {
    /// Now, in seconds since 1970.
    pub fn now(&self) -> i64 {
        match *self {
            Clock::Real => real_ms().div_euclid(1000),
            Clock::Scaled { epoch, origin_ms, scale } => {
                let elapsed = real_ms().saturating_sub(origin_ms).max(0);
                epoch.saturating_add(elapsed.saturating_mul(i64::from(scale)).div_euclid(1000))
            }
        }
    }

    /// How long to sleep in real time until the clock reads `at`.
    pub fn real_wait_until(&self, at: i64) -> Duration {
        let ahead = at.saturating_sub(self.now()).max(0);
        let ms = match *self {
            Clock::Real => ahead.saturating_mul(1000),
            Clock::Scaled { scale, .. } => ahead.saturating_mul(1000).div_euclid(i64::from(scale.max(1))),
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// The text kept in the database for a test clock.
    pub fn to_meta(&self) -> Option<String> {
        match *self {
            Clock::Real => None,
            Clock::Scaled { epoch, origin_ms, scale } => Some(format!("{epoch} {origin_ms} {scale}")),
        }
    }

    pub fn from_meta(text: &str) -> Option<Clock> {
        let mut parts = text.split(' ');
        let epoch = parts.next()?.parse().ok()?;
        let origin_ms = parts.next()?.parse().ok()?;
        let scale = parts.next()?.parse().ok()?;
        Some(Clock::Scaled { epoch, origin_ms, scale })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_runs_scale_times_faster_from_its_epoch_and_round_trips_through_the_database() {
        let clock = Clock::Scaled { epoch: 1_000, origin_ms: real_ms() - 2_000, scale: 3_600 };
        let now = clock.now();
        assert!((1_000 + 7_200..1_000 + 7_200 + 3_600).contains(&now), "{now}");
        assert_eq!(Clock::from_meta(&clock.to_meta().unwrap_or_default()), Some(clock));
        assert!(clock.real_wait_until(now + 3_600) <= Duration::from_secs(1));
        assert_eq!(clock.real_wait_until(now - 10), Duration::ZERO);
        assert_eq!(Clock::from_meta("1 2"), None);
    }
}
