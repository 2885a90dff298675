//! IANA time zones: which names exist (J0221), and how far their clocks move (the quiet-hours and
//! business-hours bounds of the flow analyses).
//!
//! The data is the IANA time zone database bundled into the binary by `jiff`
//! (`tzdb-bundle-always`, see `compiler/Cargo.toml`), read through
//! [`TimeZoneDatabase::bundled`] only, never `jiff::tz::db()`: the host's `/usr/share/zoneinfo`
//! and the `TZ` variable are never consulted, and no clock is read, so the compiler stays pure and
//! the same sources give the same diagnostics on every machine. A jiff update that brings a newer
//! database can change the answers; the test of [`MAX_CLOCK_BACK_SECS`] notices when it does.
//!
//! Everything is computed on first use and kept (`OnceLock`): the checker runs on every keystroke
//! and a project without a fixed zone never pays for the database.

use std::sync::OnceLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::Timestamp;

/// The first instant of the range the clock-change bounds cover: 2026-01-01T00:00:00Z.
///
/// Why this range: a bound is used for journeys that run from now on, and past transitions cannot
/// lengthen a hold that has not happened yet. The compiler may not read the clock, so "now" is the
/// year of the rule table's review date ([`crate::flow::rules::REFERENCE_DATE`], a test checks the
/// range starts no later). Starting earlier would only loosen every bound for nothing: from 2000
/// the largest jump is 3 h, Antarctica/Casey switching between +11 and +08 (last in March 2023),
/// against 2 h from 2024 on. Ending at 2100 covers the database's predicted rules (each zone's last
/// rule repeats after its last listed change) far beyond any journey's waits; the rules are
/// yearly, so a later end would add nothing. Moving the review date forward keeps the bounds sound
/// (the range then starts before "now", a superset); a database update that adds a larger jump
/// fails the test of [`MAX_CLOCK_BACK_SECS`].
pub const RANGE_START_SECS: i64 = 1_767_225_600;
/// The end (exclusive) of that range: 2100-01-01T00:00:00Z.
pub const RANGE_END_SECS: i64 = 4_102_444_800;

/// The largest backward jump of local clock time at any transition of any zone of the bundled
/// database between [`RANGE_START_SECS`] and [`RANGE_END_SECS`], in seconds: 2 h, reached by
/// Antarctica/Troll (which moves between +00 and +02 every March and October).
///
/// A hold such as quiet hours 21:00..08:00 lasts 11 hours of elapsed time on an ordinary night,
/// but when the clock goes back during it the hold lasts longer by the size of the jump (12 h in
/// Europe, 13 h at Troll); a bound that includes a hold must add this much to be sound in any
/// zone. It is a constant, not a computation, so the checker never walks the database;
/// [`max_clock_back_secs`] computes it, and a test checks that the two agree, so a database
/// update that changes it fails the tests instead of silently weakening a bound.
pub const MAX_CLOCK_BACK_SECS: u64 = 2 * 3600;

/// The largest forward jump of local clock time at any transition in the same range, in seconds:
/// 2 h, Antarctica/Troll again. A clock time inside such a gap does not exist that day, so a
/// `wait until 02:30` on it ends when the clock first reads later than 02:30, at most this much
/// later; and a wait of elapsed time that spans a jump ends this much later on the clock. The
/// time-of-day analysis (`flow/clock.rs`) widens what it knows by it; [`max_clock_forward_secs`]
/// computes it and a test checks the two agree.
pub const MAX_CLOCK_FORWARD_SECS: u64 = 2 * 3600;

/// The local clock times around which every transition of the range happens, in minutes after
/// midnight: from 21:00 to 05:00 (wrapping, both ends included). At every transition of every
/// zone, the clock reads a time in this window just before the change and just after it (most
/// change at 00:00 to 04:00; a few at 22:00 or 23:00; the latest reading is 05:00, after a 2 h
/// jump at 03:00). So a clock time outside it is never skipped by a gap, and a wait during which
/// the clock, counted without a change, never reads a time in it spans no change: the first change
/// would come when the clock reads a time in the window. The time-of-day analysis
/// (`flow/clock.rs`) relies on it to keep a time exact; a test checks it against the database.
pub const TRANSITIONS_LOCAL: (u16, u16) = (21 * 60, 5 * 60);

/// Whether `minute` (after local midnight) is in [`TRANSITIONS_LOCAL`].
pub fn near_transitions(minute: u16) -> bool {
    let (from, to) = TRANSITIONS_LOCAL;
    minute >= from || minute <= to
}

/// The first (zone, local minute) at a transition of the range whose clock reading, before or
/// after the change, is outside [`TRANSITIONS_LOCAL`]; `None` when there is none. For tests.
pub fn transition_outside_window() -> Option<(&'static str, u16)> {
    let (Ok(start), Ok(end)) = (Timestamp::from_second(RANGE_START_SECS), Timestamp::from_second(RANGE_END_SECS))
    else {
        return None;
    };
    for name in zone_names() {
        let Some(tz) = zone(name) else { continue };
        let mut before = tz.to_offset(start).seconds();
        for transition in tz.following(start) {
            if transition.timestamp() >= end {
                break;
            }
            let after = transition.offset().seconds();
            let at = transition.timestamp().as_second();
            for offset in [before, after] {
                let local = at.saturating_add(i64::from(offset)).rem_euclid(86_400);
                // A change at seconds past a minute is in that minute and next to the following one.
                for minute in [local / 60, (local + 59) / 60 % 1440] {
                    let minute = u16::try_from(minute).unwrap_or(0);
                    if !near_transitions(minute) {
                        return Some((name.as_str(), minute));
                    }
                }
            }
            before = after;
        }
    }
    None
}

/// The bundled database, opened once.
fn database() -> &'static TimeZoneDatabase {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled)
}

/// Every zone name of the bundled database (canonical names and their links, such as
/// `US/Eastern`), sorted in byte order and without duplicates, for lookups and suggestions.
pub fn zone_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = database().available().map(|name| name.as_str().to_owned()).collect();
        names.sort();
        names.dedup();
        names
    })
}

/// Whether `name` is a zone of the bundled database, spelt exactly (case included: a bundle's
/// consumer may look zones up case-sensitively, so `europe/berlin` is not accepted).
pub fn is_known_zone(name: &str) -> bool {
    zone_names().binary_search_by(|probe| probe.as_str().cmp(name)).is_ok()
}

/// The zone a misspelt `name` most likely meant: the same name in another case
/// (`europe/berlin`), else the closest name by edit distance (`Europe/Berlln`), else a zone
/// whose city is `name` (`Berlin`, `New York`). Fast enough for every keystroke: about 600
/// names, most skipped by length before any distance is computed.
pub fn suggest_zone(name: &str) -> Option<&'static str> {
    let names = zone_names();
    if let Some(same) = names.iter().find(|candidate| candidate.eq_ignore_ascii_case(name)) {
        return Some(same.as_str());
    }
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    let near = names.iter().map(String::as_str).filter(|candidate| candidate.len().abs_diff(length) <= limit);
    if let Some(best) = crate::names::closest(name, near) {
        return Some(best);
    }
    let city = name.trim().replace(' ', "_");
    names
        .iter()
        .map(String::as_str)
        .find(|candidate| candidate.rsplit('/').next().is_some_and(|last| last.eq_ignore_ascii_case(&city)))
}

/// The zone named `name`, if it exists.
fn zone(name: &str) -> Option<TimeZone> {
    if !is_known_zone(name) {
        return None;
    }
    database().get(name).ok()
}

/// Calls `visit(offset_before, offset_after)` for every transition of `tz` in the range, after
/// calling it once with `(offset, offset)` for the offset in force at the range's start. Offsets
/// in seconds east of UTC.
fn each_transition(tz: &TimeZone, mut visit: impl FnMut(i32, i32)) {
    let (Ok(start), Ok(end)) = (Timestamp::from_second(RANGE_START_SECS), Timestamp::from_second(RANGE_END_SECS))
    else {
        return;
    };
    let mut before = tz.to_offset(start).seconds();
    visit(before, before);
    for transition in tz.following(start) {
        if transition.timestamp() >= end {
            break;
        }
        let after = transition.offset().seconds();
        visit(before, after);
        before = after;
    }
}

/// Computes [`MAX_CLOCK_BACK_SECS`] from the database: for every zone, every transition in the
/// range whose new UTC offset is smaller than the old one moves local clocks back by the
/// difference; the result is the largest such difference over all zones (0 if there is none).
/// Walks every zone's transitions for a century (a few hundred thousand), so it is for tests and
/// tools, not for the checker, which uses the constant.
pub fn max_clock_back_secs() -> u64 {
    max_clock_back().map_or(0, |(secs, _)| secs)
}

/// [`max_clock_back_secs`] with the first zone (in name order) that reaches it.
pub fn max_clock_back() -> Option<(u64, &'static str)> {
    let mut best: Option<(u64, &'static str)> = None;
    for name in zone_names() {
        let Some(tz) = zone(name) else { continue };
        let mut largest = 0u64;
        each_transition(&tz, |before, after| {
            let back = i64::from(before) - i64::from(after);
            if let Ok(back) = u64::try_from(back) {
                largest = largest.max(back);
            }
        });
        if largest > 0 && best.is_none_or(|(secs, _)| largest > secs) {
            best = Some((largest, name.as_str()));
        }
    }
    best
}

/// Computes [`MAX_CLOCK_FORWARD_SECS`] from the database, as [`max_clock_back_secs`] does for
/// backward jumps. For tests and tools.
pub fn max_clock_forward_secs() -> u64 {
    let mut largest = 0u64;
    for name in zone_names() {
        let Some(tz) = zone(name) else { continue };
        each_transition(&tz, |before, after| {
            if let Ok(forward) = u64::try_from(i64::from(after) - i64::from(before)) {
                largest = largest.max(forward);
            }
        });
    }
    largest
}

/// The least and greatest UTC offset, in seconds east of UTC, that `zone` uses between
/// [`RANGE_START_SECS`] and [`RANGE_END_SECS`]: the offset in force at the start and the offset
/// after every transition in the range. `None` for a name the database does not have.
///
/// For comparing hours declared in two fixed zones (business hours in `Europe/Berlin`, quiet
/// hours in `America/New_York`): an hour of one zone falls in the other's local time within the
/// difference of these ranges, whichever date it is. A few hundred transitions at most, so
/// computed on each call.
pub fn utc_offset_range(zone_name: &str) -> Option<(i32, i32)> {
    let tz = zone(zone_name)?;
    let mut range: Option<(i32, i32)> = None;
    each_transition(&tz, |_, after| {
        range = Some(match range {
            None => (after, after),
            Some((least, greatest)) => (least.min(after), greatest.max(after)),
        });
    });
    range
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use jiff::civil::date;

    fn instant(year: i16, month: i8, day: i8) -> i64 {
        date(year, month, day).to_zoned(TimeZone::UTC).unwrap().timestamp().as_second()
    }

    #[test]
    fn the_largest_clock_change_backwards_is_the_constant_and_troll_reaches_it() {
        assert_eq!(max_clock_back(), Some((MAX_CLOCK_BACK_SECS, "Antarctica/Troll")));
        assert_eq!(max_clock_back_secs(), MAX_CLOCK_BACK_SECS);
    }

    #[test]
    fn the_largest_clock_change_forwards_is_the_constant() {
        assert_eq!(max_clock_forward_secs(), MAX_CLOCK_FORWARD_SECS);
    }

    #[test]
    fn every_transition_happens_when_the_clock_reads_between_21_00_and_05_00() {
        assert_eq!(transition_outside_window(), None);
    }

    #[test]
    fn the_range_runs_from_the_start_of_the_review_year_to_2100() {
        assert_eq!(RANGE_START_SECS, instant(2026, 1, 1));
        assert_eq!(RANGE_END_SECS, instant(2100, 1, 1));
        let reviewed: jiff::civil::Date = crate::flow::rules::REFERENCE_DATE.parse().unwrap();
        let reviewed = reviewed.to_zoned(TimeZone::UTC).unwrap().timestamp().as_second();
        assert!(RANGE_START_SECS <= reviewed, "the range must start no later than the rule table's date");
    }

    #[test]
    fn zone_names_are_sorted_unique_and_about_six_hundred() {
        let names = zone_names();
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
        assert!((400..1000).contains(&names.len()), "{} zones", names.len());
        assert!(names.iter().any(|n| n == "UTC"));
    }

    #[test]
    fn known_zones_are_spelt_exactly() {
        for known in ["Europe/Berlin", "America/New_York", "UTC", "Antarctica/Troll", "US/Eastern"] {
            assert!(is_known_zone(known), "{known}");
        }
        for unknown in ["Europe/Berlln", "Mars/Olympus", "europe/berlin", "", "Berlin", "Europe/Berlin "] {
            assert!(!is_known_zone(unknown), "{unknown}");
        }
    }

    #[test]
    fn a_misspelt_zone_gets_the_zone_it_most_likely_meant() {
        assert_eq!(suggest_zone("Europe/Berlln"), Some("Europe/Berlin"));
        assert_eq!(suggest_zone("europe/berlin"), Some("Europe/Berlin"));
        assert_eq!(suggest_zone("America/NewYork"), Some("America/New_York"));
        assert_eq!(suggest_zone("Berlin"), Some("Europe/Berlin"));
        assert_eq!(suggest_zone("New York"), Some("America/New_York"));
        assert_eq!(suggest_zone("Mars/Olympus"), None);
    }

    #[test]
    fn offset_ranges_span_standard_and_summer_time() {
        assert_eq!(utc_offset_range("Europe/Berlin"), Some((3600, 7200)));
        assert_eq!(utc_offset_range("America/New_York"), Some((-5 * 3600, -4 * 3600)));
        assert_eq!(utc_offset_range("Asia/Tokyo"), Some((9 * 3600, 9 * 3600)));
        assert_eq!(utc_offset_range("Antarctica/Troll"), Some((0, 2 * 3600)));
        assert_eq!(utc_offset_range("Mars/Olympus"), None);
    }
}
