//! Instants, recipient time zones, quiet hours (§4.2) and business hours (§4.4).
//!
//! An instant is whole seconds since 1970-01-01T00:00:00Z (`i64`). Zones come only from the IANA
//! database compiled into the binary (`jiff`'s `tzdb-bundle-always`, opened with
//! [`TimeZoneDatabase::bundled`]): the host's zoneinfo files and `TZ` are never read, so output
//! is the same on every machine. Local wall times are converted with daylight saving included.

use std::cell::Cell;
use std::sync::OnceLock;

use jiff::civil::{DateTime, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::Timestamp;

/// The longest duration a bundle may hold, 3,650 days (docs/bundle.md §2).
pub const MAX_DURATION_S: i64 = 3650 * 86_400;
/// The earliest instant accepted in input: 1970-01-01T00:00:00Z.
pub const MIN_INSTANT: i64 = 0;
/// The latest instant accepted in input: 9000-01-01T00:00:00Z. Far beyond any real journey, and
/// far enough from jiff's limit (year 9999) that an event's time plus the longest wait, hold
/// and timeout still converts.
pub const MAX_INSTANT: i64 = 221_845_392_000;

fn database() -> &'static TimeZoneDatabase {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled)
}

/// The zone of an IANA name, from the bundled database only; `None` for an unknown name.
pub fn zone(name: &str) -> Option<TimeZone> {
    database().get(name).ok()
}

/// Reads `2026-03-02T15:00:00Z`: RFC 3339, UTC (`Z`), whole seconds, within
/// [`MIN_INSTANT`]..=[`MAX_INSTANT`].
pub fn parse_utc(text: &str) -> Result<i64, String> {
    let shaped = text.len() == 20 && text.ends_with('Z') && text.as_bytes().get(10) == Some(&b'T');
    let parsed = if shaped { text.parse::<Timestamp>().ok() } else { None };
    match parsed {
        Some(ts) if (MIN_INSTANT..=MAX_INSTANT).contains(&ts.as_second()) => Ok(ts.as_second()),
        Some(_) => Err(format!("time \"{text}\" is out of range (1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z)")),
        None => Err(format!(
            "expected a time in RFC 3339, UTC, whole seconds, such as \"2026-03-02T15:00:00Z\", found \"{text}\""
        )),
    }
}

/// `2026-03-02T15:00:00Z`.
pub fn format_utc(seconds: i64) -> String {
    let mut out = String::with_capacity(20);
    write_utc(seconds, &mut out);
    out
}

/// [`format_utc`] appended to `out`. Every action carries one or two times, so this is on the
/// runtime's hot path: instants from 1970 to 9998 are written by hand (no allocation, no strftime
/// parsing); anything else goes through jiff, which gives the same text.
pub fn write_utc(seconds: i64, out: &mut String) {
    match civil(seconds) {
        Some(fields) => {
            write_civil(fields, out);
            out.push('Z');
        }
        None => match Timestamp::from_second(seconds) {
            Ok(ts) => out.push_str(&ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            // Unreachable for validated input; a visible marker rather than a panic.
            Err(_) => out.push_str(&format!("@{seconds}")),
        },
    }
}

/// The local time with its offset, `2026-03-02T09:00:00-06:00`.
pub fn format_local(seconds: i64, tz: &TimeZone) -> String {
    let Ok(ts) = Timestamp::from_second(seconds) else { return format!("@{seconds}") };
    // By hand when the offset is whole minutes (every offset since the 1970s): jiff's zoned
    // datetime and strftime cost more than the rest of a send. Otherwise jiff's own text.
    let offset = tz.to_offset(ts).seconds();
    if offset % 60 == 0 {
        if let Some(fields) = seconds.checked_add(i64::from(offset)).and_then(civil) {
            return write_local(fields, offset);
        }
    }
    ts.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A local time and its whole-minute offset, `2026-03-02T09:00:00-06:00`.
fn write_local(fields: [u32; 6], offset: i32) -> String {
    let mut out = String::with_capacity(25);
    push_local(fields, offset, &mut out);
    out
}

fn push_local(fields: [u32; 6], offset: i32, out: &mut String) {
    write_civil(fields, out);
    let minutes = offset.unsigned_abs() / 60;
    let [h1, h2] = two(minutes / 60);
    let [m1, m2] = two(minutes % 60);
    let text = [if offset < 0 { b'-' } else { b'+' }, h1, h2, b':', m1, m2];
    out.push_str(std::str::from_utf8(&text).unwrap_or("+00:00"));
}

/// A send's local time, kept as numbers until it is written: most are never turned into a
/// `String` (a population run writes them straight into its output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTime {
    /// The civil fields of the local time and a whole-minute offset.
    Civil([u32; 6], i32),
    /// What jiff wrote, for anything else.
    Text(String),
}

impl LocalTime {
    /// Appends [`format_local`]'s text.
    pub fn write(&self, out: &mut String) {
        match self {
            LocalTime::Civil(fields, offset) => push_local(*fields, *offset, out),
            LocalTime::Text(text) => out.push_str(text),
        }
    }

    pub fn text(&self) -> String {
        let mut out = String::with_capacity(25);
        self.write(&mut out);
        out
    }
}

/// A time zone that remembers the offset of the last instant it converted and until when that
/// offset holds (the zone's next transition). Every send checks quiet hours, writes the local
/// time and may evaluate business hours, each a conversion in the recipient's zone; a run's
/// instants mostly move forward within one offset, so nearly every conversion is an addition
/// instead of a search of the zone's rules. The answers are jiff's: the offset is jiff's, and a
/// local time is the instant plus it.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    /// `[from, until)` and the offset in seconds there; empty at first.
    span: Cell<(i64, i64, i32)>,
}

impl Zone {
    pub fn new(tz: TimeZone) -> Zone {
        Zone { tz, span: Cell::new((1, 0, 0)) }
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// The zone's offset from UTC at an instant, in seconds; `None` outside jiff's range.
    pub fn offset(&self, seconds: i64) -> Option<i32> {
        let (from, until, offset) = self.span.get();
        if from <= seconds && seconds < until {
            return Some(offset);
        }
        let ts = Timestamp::from_second(seconds).ok()?;
        let offset = self.tz.to_offset(ts).seconds();
        // The first transition after `ts`: the offset holds until then.
        let until = self.tz.following(ts).next().map_or(i64::MAX, |t| t.timestamp().as_second());
        self.span.set((seconds, until, offset));
        Some(offset)
    }

    /// Minutes since local midnight and the local weekday (Monday = 0) at an instant.
    fn local(&self, seconds: i64) -> Option<(u32, usize)> {
        let local = seconds.checked_add(i64::from(self.offset(seconds)?))?;
        let minutes = u32::try_from(local.rem_euclid(86_400) / 60).ok()?;
        // 1970-01-01 was a Thursday.
        let weekday = usize::try_from((local.div_euclid(86_400) + 3).rem_euclid(7)).ok()?;
        Some((minutes, weekday))
    }

    /// [`format_local`], with the remembered offset.
    pub fn format_local(&self, seconds: i64) -> String {
        self.local_time(seconds).text()
    }

    /// The local time at an instant, to be written later as [`format_local`] writes it.
    pub fn local_time(&self, seconds: i64) -> LocalTime {
        match self.offset(seconds) {
            Some(offset) if offset % 60 == 0 => match seconds.checked_add(i64::from(offset)).and_then(civil) {
                Some(fields) => LocalTime::Civil(fields, offset),
                None => LocalTime::Text(format_local(seconds, &self.tz)),
            },
            _ => LocalTime::Text(format_local(seconds, &self.tz)),
        }
    }
}

/// Year, month, day, hour, minute, second of an instant from 1970 to the end of 9998 (UTC);
/// `None` outside, where jiff formats instead (its range ends in late 9999). Days to a civil date by Howard Hinnant's
/// `civil_from_days` (proleptic Gregorian, as jiff).
fn civil(seconds: i64) -> Option<[u32; 6]> {
    // 9999-01-01T00:00:00Z.
    if !(0..253_370_764_800).contains(&seconds) {
        return None;
    }
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let part = |v: i64| u32::try_from(v).ok();
    Some([part(year)?, part(month)?, part(day)?, part(secs / 3600)?, part(secs % 3600 / 60)?, part(secs % 60)?])
}

/// `YYYY-MM-DDTHH:MM:SS`, built as bytes and appended at once.
fn write_civil([year, month, day, hour, minute, second]: [u32; 6], out: &mut String) {
    let mut text = *b"0000-00-00T00:00:00";
    let digits = [year / 100, year % 100, month, day, hour, minute, second];
    for (at, value) in [0, 2, 5, 8, 11, 14, 17].into_iter().zip(digits) {
        if let Some(pair) = text.get_mut(at..at + 2) {
            pair.copy_from_slice(&two(value));
        }
    }
    out.push_str(std::str::from_utf8(&text).unwrap_or("0000-00-00T00:00:00"));
}

fn two(value: u32) -> [u8; 2] {
    [b'0' + u8::try_from(value / 10 % 10).unwrap_or(0), b'0' + u8::try_from(value % 10).unwrap_or(0)]
}

/// Minutes since local midnight and the local weekday at an instant.
fn local(seconds: i64, tz: &TimeZone) -> Option<(DateTime, u32, Weekday)> {
    let zoned = Timestamp::from_second(seconds).ok()?.to_zoned(tz.clone());
    let dt = zoned.datetime();
    let minutes = u32::try_from(i32::from(dt.hour()) * 60 + i32::from(dt.minute())).ok()?;
    Some((dt, minutes, zoned.weekday()))
}

/// The first instant strictly after `seconds` at which the clock in `tz` reads `minute` after
/// midnight: today's if it is still ahead, else tomorrow's (§3.5, `wait_until`). A time that a
/// spring-forward gap skips that day is taken just after the gap (later by the gap's length); in a
/// fall-back fold, the earlier of the two.
pub fn next_clock(seconds: i64, minute: u32, tz: &TimeZone) -> Option<i64> {
    let (dt, _, _) = local(seconds, tz)?;
    let hour = i8::try_from(minute / 60).ok()?;
    let min = i8::try_from(minute % 60).ok()?;
    let mut day = dt.date();
    // Today's, else tomorrow's; a third day only where a zone skips a whole day.
    for _ in 0..3 {
        let due = day.at(hour, min, 0, 0).to_zoned(tz.clone()).ok()?.timestamp().as_second();
        if due > seconds {
            return Some(due);
        }
        day = day.tomorrow().ok()?;
    }
    None
}

/// `HH:MM` (00:00 to 24:00) as minutes since midnight.
pub fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

/// Whether a local time (minutes) is in `from` (inclusive) to `to` (exclusive), wrapping past
/// midnight when `to` is not after `from` (§4.2): `21:00..08:00` is 11 hours, `from == to` all day.
pub fn in_period(minutes: u32, from: u32, to: u32) -> bool {
    if from < to {
        from <= minutes && minutes < to
    } else {
        minutes >= from || minutes < to
    }
}

/// Hours by weekday in a zone, quiet hours (§4.2) or business hours (§4.4): for each weekday
/// (Monday first), the periods read on that day's clock. A moment is inside when a period of its
/// local weekday contains its local time.
#[derive(Debug, Clone)]
pub struct Period {
    pub days: [Vec<(u32, u32)>; 7],
}

impl Period {
    /// The same period every day: `{from, to}`.
    pub fn daily(from: u32, to: u32) -> Period {
        Period { days: std::array::from_fn(|_| vec![(from, to)]) }
    }

    /// Adds `from..to` on the days marked (Monday first).
    pub fn add(&mut self, days: [bool; 7], from: u32, to: u32) {
        for (on, day) in days.iter().zip(self.days.iter_mut()) {
            if *on {
                day.push((from, to));
            }
        }
    }

    fn quiet(&self, minutes: u32, weekday: usize) -> bool {
        self.days.get(weekday).is_some_and(|periods| periods.iter().any(|(from, to)| in_period(minutes, *from, *to)))
    }

    pub fn contains(&self, seconds: i64, tz: &TimeZone) -> bool {
        local(seconds, tz).is_some_and(|(_, minutes, weekday)| self.quiet(minutes, monday_zero(weekday)))
    }

    /// [`Period::contains`], with a zone's remembered offset.
    pub fn contains_in(&self, seconds: i64, zone: &Zone) -> bool {
        zone.local(seconds).is_some_and(|(minutes, weekday)| self.quiet(minutes, weekday))
    }

    /// The first instant at or after `seconds` that is outside quiet hours: when a held send is
    /// handed over (§4.2). Each step goes to the latest end, on the local clock, of the periods
    /// of the day that contain the local time (`to`, or midnight for the evening part of a
    /// period that wraps or for a whole day), converted with daylight saving (a time that falls
    /// in a spring-forward gap is the first instant after the gap; in a fall-back fold, the
    /// earlier of the two), until a moment is not quiet. `None` when quiet hours never end: still
    /// quiet eight days on.
    pub fn end_after(&self, seconds: i64, tz: &TimeZone) -> Option<i64> {
        let give_up = seconds.checked_add(8 * 86_400)?;
        let mut at = seconds;
        // Every step moves forward to a period's end or a midnight; a week has at most two per
        // period and day, and a bundle has a handful of periods.
        for _ in 0..1024 {
            if at > give_up {
                return None;
            }
            let (dt, minutes, weekday) = local(at, tz)?;
            let periods = self.days.get(monday_zero(weekday))?;
            let ends = periods.iter().filter(|(from, to)| in_period(minutes, *from, *to)).map(|(from, to)| {
                if from != to && minutes < *to {
                    // Today's `to` (24:00 is the next midnight).
                    *to
                } else {
                    // The evening part of a wrapping period, or a whole day: the next midnight.
                    1440
                }
            });
            let Some(end) = ends.max() else { return Some(at) };
            let (day, end) = if end >= 1440 { (dt.date().tomorrow().ok()?, 0) } else { (dt.date(), end) };
            let hour = i8::try_from(end / 60).ok()?;
            let minute = i8::try_from(end % 60).ok()?;
            let next = day.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok()?.timestamp().as_second();
            at = if next > at { next } else { at.checked_add(60)? };
        }
        None
    }
}

fn monday_zero(weekday: Weekday) -> usize {
    usize::try_from(weekday.to_monday_zero_offset()).unwrap_or(0)
}

/// Reads `mon..fri` ranges (inclusive, wrapping: `fri..mon` is four days) into the days they
/// mark, Monday = 0.
pub fn parse_days(ranges: &[String]) -> Option<[bool; 7]> {
    let mut days = [false; 7];
    for range in ranges {
        let (a, b) = range.split_once("..")?;
        let (a, b) = (weekday_index(a)?, weekday_index(b)?);
        let mut day = a;
        loop {
            *days.get_mut(day)? = true;
            if day == b {
                break;
            }
            day = (day + 1) % 7;
        }
    }
    Some(days)
}

fn weekday_index(name: &str) -> Option<usize> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().position(|d| *d == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        parse_utc(text).unwrap()
    }

    #[test]
    fn only_utc_whole_second_times_in_range_are_read() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Ok(0));
        for bad in [
            "2026-03-02T15:00:00+01:00",
            "2026-03-02T15:00:00.5Z",
            "2026-03-02 15:00:00Z",
            "2026-13-02T15:00:00Z",
            "yesterday",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
        assert!(parse_utc("1969-12-31T23:59:59Z").unwrap_err().contains("out of range"));
        assert!(parse_utc("9999-01-01T00:00:00Z").unwrap_err().contains("out of range"));
    }

    #[test]
    fn a_quiet_period_wraps_past_midnight_and_from_equal_to_is_all_day() {
        let cases = [
            (21 * 60, 8 * 60, 22 * 60, true),
            (21 * 60, 8 * 60, 7 * 60 + 59, true),
            (21 * 60, 8 * 60, 8 * 60, false),
            (9 * 60, 17 * 60, 17 * 60, false),
            (5, 5, 700, true),
        ];
        for (from, to, minutes, quiet) in cases {
            assert_eq!(in_period(minutes, from, to), quiet, "{from} {to} {minutes}");
        }
    }

    #[test]
    fn a_hold_across_spring_forward_ends_at_eight_local_nine_hours_later() {
        let chicago = zone("America/Chicago").unwrap();
        let quiet = Period::daily(21 * 60, 8 * 60);
        // 22:00 CST on 7 March 2026; clocks go forward at 02:00 on 8 March.
        let reached = at("2026-03-08T04:00:00Z");
        assert!(quiet.contains(reached, &chicago));
        assert_eq!(quiet.end_after(reached, &chicago).map(format_utc).as_deref(), Some("2026-03-08T13:00:00Z"));
        assert_eq!(format_local(at("2026-03-08T13:00:00Z"), &chicago), "2026-03-08T08:00:00-05:00");
    }

    #[test]
    fn a_texas_saturday_night_hold_ends_at_noon_on_sunday_and_a_french_one_on_monday() {
        let chicago = zone("America/Chicago").unwrap();
        let mut texas = Period::daily(21 * 60, 9 * 60);
        texas.days[6] = vec![(21 * 60, 12 * 60)];
        // Saturday 5 December 2026, 22:00 CST.
        let saturday_night = at("2026-12-06T04:00:00Z");
        assert!(texas.contains(saturday_night, &chicago));
        assert_eq!(
            format_local(texas.end_after(saturday_night, &chicago).unwrap(), &chicago),
            "2026-12-06T12:00:00-06:00"
        );
        // Sunday 10:00 is quiet in Texas, Monday 10:00 is not.
        assert!(texas.contains(at("2026-12-06T16:00:00Z"), &chicago));
        assert!(!texas.contains(at("2026-12-07T16:00:00Z"), &chicago));
        let paris = zone("Europe/Paris").unwrap();
        let mut france = Period::daily(22 * 60, 8 * 60);
        france.days[6].push((0, 0));
        // Saturday 23:00 in Paris: quiet until Monday 08:00.
        let end = france.end_after(at("2026-12-05T22:00:00Z"), &paris).unwrap();
        assert_eq!(format_local(end, &paris), "2026-12-07T08:00:00+01:00");
        let never = Period { days: std::array::from_fn(|_| vec![(0, 0)]) };
        assert_eq!(never.end_after(saturday_night, &chicago), None);
    }

    #[test]
    fn a_hold_across_fall_back_lasts_eleven_hours() {
        let chicago = zone("America/Chicago").unwrap();
        let quiet = Period::daily(21 * 60, 8 * 60);
        let reached = at("2026-11-01T03:00:00Z"); // 22:00 CDT on 31 October
        assert_eq!(quiet.end_after(reached, &chicago).map(format_utc).as_deref(), Some("2026-11-01T14:00:00Z"));
    }

    #[test]
    fn wait_until_a_time_of_day_is_today_if_still_ahead_else_tomorrow_and_never_now() {
        let chicago = zone("America/Chicago").unwrap();
        // 08:00 CST: 10:00 is today's.
        assert_eq!(next_clock(at("2026-02-02T14:00:00Z"), 600, &chicago), Some(at("2026-02-02T16:00:00Z")));
        // 10:00 CST exactly: tomorrow's, so the step always waits.
        assert_eq!(next_clock(at("2026-02-02T16:00:00Z"), 600, &chicago), Some(at("2026-02-03T16:00:00Z")));
        // 23:00 CST: tomorrow's.
        assert_eq!(next_clock(at("2026-02-03T05:00:00Z"), 600, &chicago), Some(at("2026-02-03T16:00:00Z")));
    }

    #[test]
    fn wait_until_a_time_the_spring_change_skips_ends_after_the_gap() {
        let chicago = zone("America/Chicago").unwrap();
        // 8 March 2026: 02:00 CST becomes 03:00 CDT; 02:30 does not exist and is read as 03:30 CDT.
        let due = next_clock(at("2026-03-08T06:00:00Z"), 150, &chicago).unwrap();
        assert_eq!(due, at("2026-03-08T08:30:00Z"));
        assert_eq!(format_local(due, &chicago), "2026-03-08T03:30:00-05:00");
        // 1 November 2026: 01:30 happens twice; the first is taken.
        assert_eq!(next_clock(at("2026-11-01T05:00:00Z"), 90, &chicago), Some(at("2026-11-01T06:30:00Z")));
    }

    #[test]
    fn business_days_are_inclusive_ranges_that_may_wrap() {
        let days = parse_days(&["fri..mon".to_owned()]).unwrap();
        assert_eq!(days, [true, false, false, false, true, true, true]);
        assert_eq!(parse_days(&["mon..funday".to_owned()]), None);
        let mut hours = Period { days: Default::default() };
        hours.add(parse_days(&["mon..fri".to_owned()]).unwrap(), 9 * 60, 18 * 60);
        let new_york = zone("America/New_York").unwrap();
        assert!(hours.contains(at("2026-03-02T14:00:00Z"), &new_york)); // Monday 09:00 EST
        assert!(!hours.contains(at("2026-03-07T15:00:00Z"), &new_york)); // Saturday
    }

    #[test]
    fn times_written_by_hand_are_the_text_jiff_writes() {
        let zones: Vec<TimeZone> = ["UTC", "America/Chicago", "Asia/Kolkata", "Australia/Lord_Howe", "Africa/Monrovia"]
            .iter()
            .map(|name| zone(name).unwrap())
            .collect();
        let mut x: u64 = 1;
        let mut samples = vec![0, 1, 59, 86_399, 86_400, 951_782_400, 4_107_542_400, 253_402_300_799, 253_402_300_800];
        samples.extend([MAX_INSTANT, MAX_INSTANT + MAX_DURATION_S, -1, 253_370_764_799, 253_370_764_800]);
        samples.extend([253_402_207_199, 253_402_207_200]);
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            samples.push(i64::try_from(x >> 26).unwrap() % 253_402_400_000);
        }
        for seconds in samples {
            let jiff = match Timestamp::from_second(seconds) {
                Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                Err(_) => format!("@{seconds}"),
            };
            assert_eq!(format_utc(seconds), jiff, "{seconds}");
            for tz in &zones {
                let jiff = match Timestamp::from_second(seconds) {
                    Ok(ts) => ts.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                    Err(_) => format!("@{seconds}"),
                };
                assert_eq!(format_local(seconds, tz), jiff, "{seconds} {tz:?}");
            }
        }
    }

    #[test]
    fn a_zone_that_remembers_its_offset_answers_as_jiff_does() {
        let names = ["UTC", "America/Chicago", "Europe/Berlin", "Australia/Lord_Howe", "America/Sao_Paulo"];
        let quiet = Period::daily(21 * 60, 8 * 60);
        let mut hours = Period { days: Default::default() };
        hours.add(parse_days(&["mon..fri".to_owned()]).unwrap(), 9 * 60, 18 * 60);
        for name in names {
            let tz = zone(name).unwrap();
            let remembering = Zone::new(tz.clone());
            // Forward in uneven steps across both 2026 transitions, then back and forth.
            let mut instants: Vec<i64> = (0..4000).map(|k| at("2026-01-01T00:00:00Z") + k * 7919).collect();
            instants.extend((0..2000).map(|k| at("2026-12-31T00:00:00Z") - k * 15_551));
            instants.extend([0, MAX_INSTANT, at("2026-03-08T08:00:00Z"), at("2026-03-08T07:59:59Z")]);
            for seconds in instants {
                assert_eq!(remembering.format_local(seconds), format_local(seconds, &tz), "{name} {seconds}");
                assert_eq!(quiet.contains_in(seconds, &remembering), quiet.contains(seconds, &tz), "{name} {seconds}");
                assert_eq!(hours.contains_in(seconds, &remembering), hours.contains(seconds, &tz), "{name} {seconds}");
            }
        }
    }

    #[test]
    fn unknown_zones_are_unknown_and_never_the_hosts() {
        assert!(zone("Mars/Olympus_Mons").is_none());
        assert!(zone("Europe/Berlin").is_some());
    }
}
