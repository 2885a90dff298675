//! Quiet-hour holds against the time-zone database itself: for every zone, on the nights around
//! each of its clock changes (2026-2027), and for random zones, dates and quiet periods, the
//! real length of the quiet period (elapsed time from its start to its end, local times turned
//! into instants by the database) is never longer than the hold the analyses count
//! (`QuietHoursRule::hold_secs`: the clock length plus the longest clock change back). Independent of
//! the analyses: it only reads jiff's bundled database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use jiff::civil::Date;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, ToSpan};
use journey_compiler::model::{Def, QuietHoursRule};
use journey_compiler::span::{FileId, Span};
use journey_compiler::timezones::{zone_names, MAX_CLOCK_BACK_SECS};
use proptest::prelude::*;

fn quiet(from: u16, to: u16) -> QuietHoursRule {
    QuietHoursRule::daily(Def { file: FileId(0), span: Span::new(0, 0) }, from, to, None)
}

fn zone(name: &str) -> TimeZone {
    TimeZoneDatabase::bundled().get(name).unwrap()
}

/// Elapsed seconds of the quiet period that starts on `day` at `from` (minutes after midnight)
/// in `tz` and ends at the next `to`; local times that do not exist or exist twice are resolved
/// as a runtime would (the later instant for a gap, the earlier for a fold: jiff's "compatible").
fn real_length(tz: &TimeZone, day: Date, from: u16, to: u16) -> i64 {
    let at = |date: Date, minutes: u16| {
        let time = date.at(i8::try_from(minutes / 60).unwrap(), i8::try_from(minutes % 60).unwrap(), 0, 0);
        time.to_zoned(tz.clone()).unwrap().timestamp()
    };
    let start = at(day, from);
    let end_day = if to <= from { day.checked_add(1.day()).unwrap() } else { day };
    let end = at(end_day, to);
    end.as_second() - start.as_second()
}

#[test]
fn no_night_around_any_clock_change_of_any_zone_outlasts_the_counted_hold() {
    let periods = [(21 * 60, 8 * 60), (22 * 60, 7 * 60), (20 * 60, 9 * 60), (0, 6 * 60), (23 * 60 + 30, 5 * 60 + 30)];
    let start = Timestamp::from_second(1_767_225_600).unwrap(); // 2026-01-01
    let end = Timestamp::from_second(1_830_297_600).unwrap(); // 2028-01-01
    let mut longest_excess = 0i64;
    let mut nights = 0;
    for name in zone_names() {
        let tz = zone(name);
        for transition in tz.following(start) {
            if transition.timestamp() >= end {
                break;
            }
            let day = transition.timestamp().to_zoned(tz.clone()).date();
            for night in [day.checked_sub(1.day()).unwrap(), day] {
                for (from, to) in periods {
                    let hours = quiet(from, to);
                    let real = real_length(&tz, night, from, to);
                    nights += 1;
                    assert!(
                        real <= i64::try_from(hours.hold_secs()).unwrap(),
                        "{name}, night of {night}, {}: {real} s, the analyses count {} s",
                        hours.describe(),
                        hours.hold_secs()
                    );
                    longest_excess = longest_excess.max(real - i64::try_from(hours.length_secs()).unwrap());
                }
            }
        }
    }
    assert!(nights > 5_000, "{nights} nights checked");
    // The bound is tight: some zone really has a night two hours longer than its clock says.
    assert_eq!(longest_excess, i64::try_from(MAX_CLOCK_BACK_SECS).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_quiet_period_in_any_zone_on_any_night_lasts_at_most_the_counted_hold(
        zone_index in 0usize..1000,
        day in 0i32..730,
        from in 0u16..1440,
        to in 0u16..1440,
    ) {
        prop_assume!(from != to);
        let names = zone_names();
        let name = &names[zone_index % names.len()];
        let tz = zone(name);
        let night = Date::new(2026, 1, 1).unwrap().checked_add(day.days()).unwrap();
        let hours = quiet(from, to);
        let real = real_length(&tz, night, from, to);
        prop_assert!(real <= i64::try_from(hours.hold_secs()).unwrap(), "{name} {night} {}: {real}", hours.describe());
    }
}
