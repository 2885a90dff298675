//! Time of day: where a `wait until 10:00 recipient` pins what the clock reads, so that a send
//! after it is proved outside quiet hours and is never held (docs/analyses.md, "Time of day").
//!
//! One component per node: what the clock reads, in the quiet-hours rule's zone, when a run
//! reaches the node: `Unknown`, or an arc of minutes after local midnight (`from` and the
//! `spread` minutes after it, wrapping at midnight). Only the quiet-hours zone is tracked: a
//! `wait until` in another zone says nothing about the recipient's clock, so it unpins.
//!
//! Soundness: the arc always contains every reading a run can have there. Clock changes
//! (daylight saving) all happen while the clock reads 21:00 to 05:00, in every zone
//! (`timezones::TRANSITIONS_LOCAL`, checked against the database by a test):
//! - `wait until HH:MM` pins to `HH:MM`. Only a time in that window can be skipped by a change
//!   (it is then reached at the end of the gap), so there the arc is spread by the longest
//!   forward change (`timezones::MAX_CLOCK_FORWARD_SECS`).
//! - `wait D` moves the arc by `D` (a minute more for a part of one). When the clock, counted
//!   without a change, reads a time in the window during the wait, a change may happen, which
//!   day it is being unknown: the arc is then widened by the longest backward and forward
//!   changes.
//! - A send that quiet hours may hold (not proved outside them) and every step that waits for
//!   the contact, an event, a team or a moment unpins: they end at any time of day.
//! - Where paths meet with different arcs, and at widening, the result is `Unknown`.
//!
//! The lattice is three levels high per node (unreached, one arc, unknown), so the fixpoint is
//! linear in the graph's edges; nothing enumerates paths.

use super::graph::{Node, NodeIndex, NodeKind, WaitTarget};
use super::solve::Analysis;
use crate::model::QuietHoursRule;
use crate::syntax::literals::format_time;
use crate::timezones::{near_transitions, MAX_CLOCK_BACK_SECS, MAX_CLOCK_FORWARD_SECS};

const DAY_MINUTES: u16 = 1440;
/// The clock changes, in whole minutes (both are whole hours).
const BACK_MINUTES: u64 = MAX_CLOCK_BACK_SECS / 60;
const FORWARD_MINUTES: u64 = MAX_CLOCK_FORWARD_SECS / 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Unknown,
    /// The clock reads one of `from`, `from + 1`, ..., `from + spread` minutes after local
    /// midnight (modulo a day).
    Pinned {
        from: u16,
        spread: u16,
    },
}

impl Clock {
    pub fn pinned(from: u64, spread: u64) -> Clock {
        match (u16::try_from(from % u64::from(DAY_MINUTES)), u16::try_from(spread)) {
            (Ok(from), Ok(spread)) if spread < DAY_MINUTES => Clock::Pinned { from, spread },
            _ => Clock::Unknown,
        }
    }

    /// What the clock reads after `wait until HH:MM` (`minute` after midnight) in the zone: that
    /// time. Only a time near clock changes can be skipped by one, and is then reached at the end
    /// of the gap, up to the longest forward change later.
    pub fn pin(minute: u16) -> Clock {
        let gap = if near_transitions(minute) { FORWARD_MINUTES } else { 0 };
        Clock::pinned(u64::from(minute), gap)
    }

    /// What the clock reads after a wait of `secs` seconds of elapsed time.
    pub fn after_wait(self, secs: u64) -> Clock {
        let Clock::Pinned { from, spread } = self else { return Clock::Unknown };
        // Later by the wait, and one minute more for a part of a minute.
        let day = u64::from(DAY_MINUTES);
        let spread = u64::from(spread) + u64::from(!secs.is_multiple_of(60));
        let passed = secs / 60;
        // Every minute the clock reads during the wait, counted without a change.
        let swept = spread.saturating_add(passed);
        let may_change = swept >= day
            || (0..=swept).any(|m| u16::try_from((u64::from(from) + m) % day).map_or(true, near_transitions));
        let moved = u64::from(from) + passed % day + day;
        if may_change {
            // A change during it moves the reading back or forward by up to the longest.
            Clock::pinned(moved - BACK_MINUTES, spread + BACK_MINUTES + FORWARD_MINUTES)
        } else {
            Clock::pinned(moved, spread)
        }
    }

    /// Whether the clock may read `minute`.
    pub fn may_read(self, minute: u16) -> bool {
        match self {
            Clock::Unknown => true,
            Clock::Pinned { from, spread } => (u32::from(minute) + 1440 - u32::from(from)) % 1440 <= u32::from(spread),
        }
    }

    /// Every minute the clock may read.
    fn minutes(self) -> Option<impl Iterator<Item = u16>> {
        match self {
            Clock::Unknown => None,
            Clock::Pinned { from, spread } => {
                Some((0..=spread).map(move |m| u16::try_from((u32::from(from) + u32::from(m)) % 1440).unwrap_or(0)))
            }
        }
    }

    /// Whether every minute the clock may read is outside `quiet`, on every day of the week: the
    /// analysis tracks the time of day, not the day.
    pub fn outside(self, quiet: &QuietHoursRule) -> bool {
        match self.minutes() {
            None => false,
            Some(mut minutes) => minutes.all(|m| !quiet.contains_on_some_day(m)),
        }
    }

    /// `at 10:00` or `between 10:00 and 12:00`.
    pub fn describe(self) -> String {
        match self {
            Clock::Unknown => "at an unknown time".to_owned(),
            Clock::Pinned { from, spread: 0 } => format!("at {}", format_time(from)),
            Clock::Pinned { from, spread } => {
                let to = (u32::from(from) + u32::from(spread)) % 1440;
                format!("between {} and {}", format_time(from), format_time(u16::try_from(to).unwrap_or(0)))
            }
        }
    }
}

/// The analysis, for a project whose policy sets `quiet`.
pub struct TimeOfDay<'a> {
    quiet: &'a QuietHoursRule,
    /// Per node: whether quiet hours apply to its send (it may be held).
    may_hold: &'a [bool],
}

impl<'a> TimeOfDay<'a> {
    pub fn new(quiet: &'a QuietHoursRule, may_hold: &'a [bool]) -> TimeOfDay<'a> {
        TimeOfDay { quiet, may_hold }
    }

    pub fn start(&self) -> [Clock; 1] {
        [Clock::Unknown]
    }

    /// What the clock reads after `node` is left, given what it read on arrival.
    fn after(&self, index: NodeIndex, node: &Node, before: Clock) -> Clock {
        match &node.kind {
            NodeKind::WaitUntil { until: WaitTarget::Clock { minute, zone } } => {
                if *zone != self.quiet.zone {
                    return Clock::Unknown;
                }
                Clock::pin(*minute)
            }
            NodeKind::Wait { secs } => before.after_wait(*secs),
            NodeKind::Send { .. } => {
                let held = self.may_hold.get(index) == Some(&true) && !before.outside(self.quiet);
                if held {
                    Clock::Unknown
                } else {
                    before
                }
            }
            NodeKind::Branch { .. } | NodeKind::Split { .. } | NodeKind::Set { .. } | NodeKind::Tag { .. } => before,
            NodeKind::Track { .. } | NodeKind::ConsentRevoke { .. } => before,
            NodeKind::WaitUntil { until: WaitTarget::Moment(_) }
            | NodeKind::Ask { .. }
            | NodeKind::WaitFor { .. }
            | NodeKind::Handoff { .. }
            | NodeKind::ConsentRequest { .. } => Clock::Unknown,
        }
    }
}

impl Analysis for TimeOfDay<'_> {
    type Elem = Clock;

    fn join(&self, into: &mut [Clock], other: &[Clock]) {
        for (mine, other) in into.iter_mut().zip(other) {
            if mine != other {
                *mine = Clock::Unknown;
            }
        }
    }

    fn widen(&self, previous: &[Clock], joined: &mut [Clock]) {
        for (before, now) in previous.iter().zip(joined.iter_mut()) {
            if before != now {
                *now = Clock::Unknown;
            }
        }
    }

    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [Clock]) {
        for clock in out.iter_mut() {
            *clock = self.after(index, node, *clock);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;
    use crate::model::{Def, QuietHoursRule};

    fn def() -> Def {
        Def { file: crate::span::FileId(0), span: crate::span::Span::new(0, 0) }
    }

    fn quiet(from: u16, to: u16) -> QuietHoursRule {
        QuietHoursRule::daily(def(), from, to, None)
    }

    #[test]
    fn a_time_of_day_is_outside_weekday_quiet_hours_only_when_it_is_on_every_day() {
        use crate::model::{WeekPeriod, Weekday};
        // Texas: Sundays are quiet until 12:00; the analysis does not know the day.
        let texas = QuietHoursRule::new(
            def(),
            vec![
                WeekPeriod { days: vec![(Weekday::Mon, Weekday::Sat)], from: 21 * 60, to: 9 * 60 },
                WeekPeriod { days: vec![(Weekday::Sun, Weekday::Sun)], from: 21 * 60, to: 12 * 60 },
            ],
            None,
        );
        assert!(!Clock::pinned(10 * 60, 0).outside(&texas));
        assert!(Clock::pinned(12 * 60, 0).outside(&texas));
        assert!(!Clock::pinned(11 * 60, 60).outside(&texas));
    }

    #[test]
    fn an_arc_is_outside_quiet_hours_only_when_every_minute_of_it_is() {
        let night = quiet(21 * 60, 9 * 60);
        assert!(Clock::pinned(10 * 60, 120).outside(&night));
        assert!(Clock::pinned(9 * 60, 0).outside(&night));
        assert!(!Clock::pinned(8 * 60 + 59, 0).outside(&night));
        assert!(!Clock::pinned(19 * 60, 120).outside(&night));
        // Wrapping past midnight.
        assert!(!Clock::pinned(23 * 60, 120).outside(&night));
        assert!(!Clock::Unknown.outside(&night));
        assert_eq!(Clock::pinned(1440 + 30, 1440), Clock::Unknown);
    }

    #[test]
    fn a_wait_keeps_the_time_exact_unless_the_clock_may_change_during_it() {
        use super::{TimeOfDay, WaitTarget};
        use crate::flow::graph::{Node, NodeKind};
        let night = quiet(21 * 60, 8 * 60);
        let analysis = TimeOfDay::new(&night, &[]);
        let node = |kind| Node {
            id: "s.1".into(),
            stage: "s".into(),
            kind,
            edges: Vec::new(),
            file: crate::span::FileId(0),
            span: crate::span::Span::new(0, 0),
            in_handoff: false,
        };
        let until = |minute| node(NodeKind::WaitUntil { until: WaitTarget::Clock { minute, zone: None } });
        // 10:00 is never skipped by a change; 02:30 may be, and is then reached up to 2h later.
        assert_eq!(analysis.after(0, &until(600), Clock::Unknown), Clock::pinned(600, 0));
        assert_eq!(analysis.after(0, &until(150), Clock::Unknown), Clock::pinned(150, 120));
        // 10:00 + 2h = 12:00: no change happens between 10:00 and 12:00 on any clock.
        let wait = |secs| node(NodeKind::Wait { secs });
        assert_eq!(analysis.after(0, &wait(7200), Clock::pinned(600, 0)), Clock::pinned(720, 0));
        assert_eq!(analysis.after(0, &wait(90), Clock::pinned(600, 0)), Clock::pinned(601, 1));
        // 10:00 + 12h passes the night, when clocks change: 20:00 to 00:00.
        assert_eq!(analysis.after(0, &wait(12 * 3600), Clock::pinned(600, 0)), Clock::pinned(20 * 60, 240));
        // A day or more always sweeps the night.
        assert_eq!(analysis.after(0, &wait(86_400), Clock::pinned(600, 0)), Clock::pinned(480, 240));
        // Another zone says nothing about the recipient's clock.
        let paris =
            node(NodeKind::WaitUntil { until: WaitTarget::Clock { minute: 600, zone: Some("Europe/Paris".into()) } });
        assert_eq!(analysis.after(0, &paris, Clock::pinned(600, 0)), Clock::Unknown);
    }

    #[test]
    fn arcs_are_described_as_a_time_or_a_range() {
        assert_eq!(Clock::pinned(600, 0).describe(), "at 10:00");
        assert_eq!(Clock::pinned(1380, 120).describe(), "between 23:00 and 01:00");
    }
}
