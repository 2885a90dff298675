//! Validation of literal tokens the grammar accepts permissively.
//!
//! Every numeric conversion is checked: an overflowing duration is an error naming the limit,
//! never a wrapped value (a wrapped "wait 274 billion years" becomes "wait 25 minutes", an early
//! and possibly out-of-window send).

// Errors here are rare and immediately pushed into the diagnostics list; boxing them would only
// add allocations to the error path.
#![allow(clippy::result_large_err)]

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::MAX_DURATION_SECS;
use crate::span::{FileId, Span};

const UNITS: [(char, u64, &str); 5] = [
    ('w', 7 * 86_400, "weeks"),
    ('d', 86_400, "days"),
    ('h', 3_600, "hours"),
    ('m', 60, "minutes"),
    ('s', 1, "seconds"),
];

/// Parses `45s`, `30m`, `1h`, `2d`, `1w` and sums written largest unit first (`1h30m`).
pub fn parse_duration(text: &str, file: FileId, span: Span) -> Result<u64, Diagnostic> {
    let invalid = |message: String| Diagnostic::new(Code::J0106, message, file, span);
    let mut total: u64 = 0;
    let mut rest = text;
    let mut last_unit_rank: Option<usize> = None;
    while !rest.is_empty() {
        let digits_len = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (digits, after) = rest.split_at(digits_len);
        let unit_start = after.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(after.len());
        let (fraction, after) = after.split_at(unit_start);
        let unit_len = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        rest = after;
        if !fraction.is_empty() {
            return Err(invalid(format!("durations are whole numbers, found `{digits}{fraction}{unit}`"))
                .with_label("fractional duration")
                .with_help("combine units instead, for example `1d12h` for one and a half days"));
        }
        let Some(rank) = UNITS.iter().position(|(u, _, _)| unit.len() == 1 && unit.starts_with(*u)) else {
            let guess = unit_guess(unit);
            let mut diagnostic = invalid(format!("unknown duration unit `{unit}`")).with_label("not a unit").with_help(
                "units are `s`, `m`, `h`, `d` and `w`, written right after the number: `45s`, `30m`, `1h`, `2d`, `1w`",
            );
            // Only a single-part duration can be fixed mechanically.
            if let Some(guess) = guess.filter(|_| text == format!("{digits}{unit}")) {
                diagnostic =
                    diagnostic.with_suggestion(format!("write `{digits}{guess}`"), span, format!("{digits}{guess}"));
            }
            return Err(diagnostic);
        };
        if last_unit_rank.is_some_and(|last| rank <= last) {
            return Err(invalid(format!("units in `{text}` must go from largest to smallest, each once"))
                .with_label("unit out of order")
                .with_help("write for example `1d12h` or `1h30m`"));
        }
        last_unit_rank = Some(rank);
        let (_, secs_per_unit, _) = UNITS.get(rank).copied().unwrap_or(('s', 1, "seconds"));
        let part = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(secs_per_unit))
            .and_then(|secs| total.checked_add(secs));
        match part {
            Some(sum) if sum <= MAX_DURATION_SECS => total = sum,
            _ => {
                return Err(invalid(format!("duration `{text}` is longer than the limit of 3650 days"))
                    .with_label("too long")
                    .with_note("a journey step can wait at most 3650 days (about 10 years); longer values are almost always a typo")
                    .with_help("use a shorter duration"))
            }
        }
    }
    Ok(total)
}

fn unit_guess(unit: &str) -> Option<char> {
    let lower = unit.to_ascii_lowercase();
    UNITS.iter().find_map(|(u, _, long)| {
        let singular = long.trim_end_matches('s');
        let abbreviations: &[&str] = match u {
            's' => &["sec", "secs"],
            'm' => &["min", "mins"],
            'h' => &["hr", "hrs"],
            'w' => &["wk", "wks"],
            _ => &[],
        };
        (lower == *long || lower == singular || abbreviations.contains(&lower.as_str()) || lower == u.to_string())
            .then_some(*u)
    })
}

/// Formats seconds the way users write them: `1d12h`, `45s`, `0s`.
pub fn format_duration(mut secs: u64) -> String {
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size, _) in UNITS {
        if unit == 'w' && !secs.is_multiple_of(size) {
            continue;
        }
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// Formats a window length the way platforms state it: in hours up to two days (`24h`,
/// `48h`), else like [`format_duration`] (`7d`).
pub fn format_window(secs: u64) -> String {
    if secs <= 2 * 86_400 && secs.is_multiple_of(3600) && secs > 0 {
        format!("{}h", secs / 3600)
    } else {
        format_duration(secs)
    }
}

pub fn parse_integer(text: &str, file: FileId, span: Span) -> Result<u64, Diagnostic> {
    text.parse::<u64>().map_err(|_| {
        Diagnostic::new(Code::J0107, format!("number `{text}` is too large"), file, span)
            .with_label("does not fit in 64 bits")
            .with_help("use a number below 18446744073709551616")
    })
}

/// `50%` -> 50. Split shares are whole percents from 0 to 100.
pub fn parse_percent(text: &str, file: FileId, span: Span) -> Result<u32, Diagnostic> {
    let digits = text.trim_end_matches('%');
    if digits.contains('.') {
        return Err(Diagnostic::new(
            Code::J0107,
            format!("split shares are whole percents, found `{text}`"),
            file,
            span,
        )
        .with_label("fractional percent")
        .with_help("round the shares so that they still add up to 100%"));
    }
    match digits.parse::<u32>() {
        Ok(value) if value <= 100 => Ok(value),
        _ => Err(Diagnostic::new(Code::J0107, format!("share `{text}` is more than 100%"), file, span)
            .with_label("out of range")
            .with_help("a split share is between 0% and 100%")),
    }
}

/// `HH:MM` -> minutes after midnight.
pub fn parse_time(text: &str, file: FileId, span: Span) -> Result<u16, Diagnostic> {
    let invalid = |why: &str| {
        Diagnostic::new(Code::J0108, format!("`{text}` is not a time of day: {why}"), file, span)
            .with_label("invalid time")
            .with_help("write a 24-hour time from `00:00` to `23:59`")
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(|| invalid("missing `:`"))?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return Err(invalid("write hours and two-digit minutes, like `09:30`"));
    }
    let hours: u16 = hours.parse().map_err(|_| invalid("bad hours"))?;
    let minutes: u16 = minutes.parse().map_err(|_| invalid("bad minutes"))?;
    if hours > 23 {
        return Err(invalid("hours go up to 23"));
    }
    if minutes > 59 {
        return Err(invalid("minutes go up to 59"));
    }
    Ok(hours * 60 + minutes)
}

/// `2026-12-24` -> (year, month, day), for a day that exists in the proleptic Gregorian
/// calendar (so `2026-02-30` is refused) between the years 2000 and 2999: a schedule is for the
/// journeys of a living project, and a year outside that range is a typo.
pub fn parse_date(text: &str, file: FileId, span: Span) -> Result<(i16, i8, i8), Diagnostic> {
    let invalid = |why: &str| {
        Diagnostic::new(Code::J0118, format!("`{text}` is not a date: {why}"), file, span)
            .with_label("invalid date")
            .with_help("write a date as year-month-day, like `2026-12-24`")
    };
    let mut parts = text.split('-');
    let (Some(year), Some(month), Some(day), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("write year-month-day, like `2026-12-24`"));
    };
    if month.len() != 2 || day.len() != 2 {
        return Err(invalid("write the month and the day with two digits, like `2026-03-09`"));
    }
    let year: i16 = year.parse().map_err(|_| invalid("bad year"))?;
    let month: i8 = month.parse().map_err(|_| invalid("bad month"))?;
    let day: i8 = day.parse().map_err(|_| invalid("bad day"))?;
    if !(2000..=2999).contains(&year) {
        return Err(invalid("the year must be between 2000 and 2999"));
    }
    if !(1..=12).contains(&month) {
        return Err(invalid("months go from 01 to 12"));
    }
    if jiff::civil::Date::new(year, month, day).is_err() {
        return Err(invalid("that month has no such day"));
    }
    Ok((year, month, day))
}

/// Minutes after midnight -> `HH:MM`, as [`parse_time`] reads it: `21:00`, `08:30`.
pub fn format_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The character an escape stands for: `\n`, `\t`, `\"`, `\\`, `\{`, `\}` or `\u{1F600}`.
/// The error says why an escape is not valid.
pub fn unescape(escape: &str) -> Result<char, String> {
    match escape {
        "\\n" => return Ok('\n'),
        "\\t" => return Ok('\t'),
        "\\\"" => return Ok('"'),
        "\\\\" => return Ok('\\'),
        "\\{" => return Ok('{'),
        "\\}" => return Ok('}'),
        _ => {}
    }
    let Some(hex) = escape.strip_prefix("\\u{").and_then(|rest| rest.strip_suffix('}')) else {
        return Err(format!("unknown escape `{escape}`"));
    };
    if hex.is_empty() || hex.len() > 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("`{escape}` needs 1 to 6 hexadecimal digits"));
    }
    let value = u32::from_str_radix(hex, 16).map_err(|_| format!("`{escape}` is not a number"))?;
    match char::from_u32(value) {
        Some(c) if c.is_control() && c != '\n' && c != '\t' => Err(format!("`{escape}` is a control character")),
        Some(c) => Ok(c),
        None => Err(format!("`{escape}` is not a Unicode character (U+{value:X})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duration(text: &str) -> Result<u64, String> {
        parse_duration(text, FileId(0), Span::default()).map_err(|d| d.message)
    }

    #[test]
    fn durations_in_every_unit_and_in_sums() {
        assert_eq!(duration("45s"), Ok(45));
        assert_eq!(duration("30m"), Ok(1800));
        assert_eq!(duration("1h"), Ok(3600));
        assert_eq!(duration("2d"), Ok(172_800));
        assert_eq!(duration("1w"), Ok(604_800));
        assert_eq!(duration("1h30m"), Ok(5400));
        assert_eq!(duration("24h"), duration("1d"));
        assert_eq!(duration("86400s"), duration("1d"));
    }

    #[test]
    fn overflowing_durations_are_errors_never_wrapped_values() {
        assert!(duration("99999999999999999999d").unwrap_err().contains("limit of 3650 days"));
        assert!(duration("18446744073709551616s").is_err());
        assert!(duration("3651d").is_err());
        assert_eq!(duration("3650d"), Ok(3650 * 86_400));
        assert_eq!(duration("521w"), Ok(521 * 7 * 86_400));
        assert!(duration("522w").is_err());
    }

    #[test]
    fn bad_units_and_fractions_are_explained() {
        assert_eq!(duration("2days").unwrap_err(), "unknown duration unit `days`");
        assert!(duration("1.5d").unwrap_err().contains("whole numbers"));
        assert!(duration("30m1h").unwrap_err().contains("largest to smallest"));
    }

    #[test]
    fn durations_format_back_to_what_users_write() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(90_000), "1d1h");
        assert_eq!(format_duration(604_800), "1w");
        assert_eq!(format_duration(691_200), "8d");
    }

    #[test]
    fn unicode_escapes_are_validated() {
        assert_eq!(unescape("\\u{1F600}"), Ok('😀'));
        assert_eq!(unescape("\\u{e9}"), Ok('é'));
        assert!(unescape("\\u{110000}").unwrap_err().contains("not a Unicode character"));
        assert!(unescape("\\u{D800}").is_err());
        assert!(unescape("\\u{0}").unwrap_err().contains("control character"));
        assert!(unescape("\\u{}").is_err());
        assert!(unescape("\\q").unwrap_err().contains("unknown escape"));
    }

    #[test]
    fn times_of_day_are_range_checked() {
        let time = |t| parse_time(t, FileId(0), Span::default()).map_err(|d| d.message);
        assert_eq!(time("08:00"), Ok(480));
        assert_eq!(time("23:59"), Ok(1439));
        assert!(time("25:00").unwrap_err().contains("hours go up to 23"));
        assert!(time("12:60").unwrap_err().contains("minutes go up to 59"));
    }
}
