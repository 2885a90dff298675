//! The time-of-day analysis (`flow/clock.rs`) against the time-zone database itself: after
//! `wait until HH:MM` (resolved as the runtime resolves it: the next instant whose local time is
//! HH:MM, a skipped time taken after the gap) and then a wait of elapsed time, the local time the
//! database gives is always one the analysis says the clock may read. Zones, dates, times and
//! waits are drawn at random, and every zone is tried around each of its clock changes.
//! Independent of the analyses' reasoning: it only reads jiff's bundled database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::Timestamp;
use journey_compiler::flow::clock::Clock;
use journey_compiler::timezones::zone_names;
use proptest::prelude::*;

fn zone(name: &str) -> TimeZone {
    TimeZoneDatabase::bundled().get(name).unwrap()
}

/// The first instant strictly after `at` whose local time in `tz` is `minute` after midnight
/// (jiff's "compatible": a time in a gap is taken after it, the earlier of a fold).
fn next_clock(at: i64, minute: u16, tz: &TimeZone) -> i64 {
    let mut day = Timestamp::from_second(at).unwrap().to_zoned(tz.clone()).date();
    loop {
        let due = day
            .at(i8::try_from(minute / 60).unwrap(), i8::try_from(minute % 60).unwrap(), 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp()
            .as_second();
        if due > at {
            return due;
        }
        day = day.tomorrow().unwrap();
    }
}

/// The local minute after midnight at an instant.
fn reading(at: i64, tz: &TimeZone) -> u16 {
    let local = Timestamp::from_second(at).unwrap().to_zoned(tz.clone());
    u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap()
}

/// Checks one case; returns a description of the failure.
fn check(tz: &TimeZone, start: i64, minute: u16, waits: &[u64]) -> Result<(), String> {
    let mut at = next_clock(start, minute, tz);
    let mut clock = Clock::pin(minute);
    if !clock.may_read(reading(at, tz)) {
        return Err(format!("wait until {minute}: reads {}, analysis {clock:?}", reading(at, tz)));
    }
    for wait in waits {
        at += i64::try_from(*wait).unwrap();
        clock = clock.after_wait(*wait);
        if !clock.may_read(reading(at, tz)) {
            return Err(format!("after wait {wait}: reads {}, analysis {clock:?}", reading(at, tz)));
        }
    }
    Ok(())
}

#[test]
fn around_every_clock_change_of_every_zone_the_clock_reads_what_the_analysis_says() {
    let start = Timestamp::from_second(1_767_225_600).unwrap(); // 2026-01-01
    let end = Timestamp::from_second(1_830_297_600).unwrap(); // 2028-01-01
    let minutes = [0, 60, 119, 120, 150, 179, 180, 240, 600, 1260, 1320, 1380, 1439];
    let waits: [&[u64]; 4] = [&[3600], &[7200, 1800], &[90, 86_400], &[12 * 3600]];
    let mut cases = 0;
    for name in zone_names() {
        let tz = zone(name);
        for transition in tz.following(start) {
            if transition.timestamp() >= end {
                break;
            }
            let at = transition.timestamp().as_second();
            for before in [2 * 86_400, 86_400, 3 * 3600, 3600] {
                for minute in minutes {
                    for wait in waits {
                        cases += 1;
                        if let Err(why) = check(&tz, at - before, minute, wait) {
                            panic!("{name}, from {} s before the change at {at}: {why}", before);
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 10_000, "{cases} cases");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_zone_any_date_any_time_any_waits_the_clock_reads_what_the_analysis_says(
        zone_index in 0usize..1000,
        start in 1_767_225_600i64..1_893_456_000,
        minute in 0u16..1440,
        waits in proptest::collection::vec(0u64..200_000, 0..4),
    ) {
        let names = zone_names();
        let tz = zone(&names[zone_index % names.len()]);
        let result = check(&tz, start, minute, &waits);
        prop_assert!(result.is_ok(), "{}: {:?}", names[zone_index % names.len()], result);
    }
}
