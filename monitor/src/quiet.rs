//! Quiet hours (docs/rules.md: TCPA-QH, FL-FTSA, OK/MD, OR-HB3865, TX-SB140, INTL-QH; item 4):
//! a send of a category quiet hours apply to (marketing) goes out outside the policy's quiet
//! hours and, on a phone text, inside the hours every applicable law allows, in the recipient's
//! local time. A recipient without a known zone cannot be shown outside quiet hours (docs/bundle.md
//! §4.1), so such a send is a violation too.

use jiff::tz::TimeZone;
use jiff::Zoned;
use journey_compiler::flow::rules;

use crate::bundle::{Channel, Journey, QuietHours};
use crate::input::Time;
use crate::Violation;

/// The rule a law's row cites: the first word of its `source` ("TCPA-QH (47 CFR ...)").
fn law_rule(law: &rules::Jurisdiction) -> &'static str {
    law.source.split_whitespace().next().unwrap_or(law.code)
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The laws whose hours apply to a phone text under `codes` (the policy's `jurisdiction`): the
/// federal baseline when none is named (TCPA-QH), and the federal rule beside any US state, since
/// state law adds to it.
fn laws(codes: &[String]) -> Vec<&'static rules::Jurisdiction> {
    let mut codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    if codes.is_empty() {
        codes.push(rules::BASELINE_JURISDICTION);
    }
    if codes.iter().any(|c| c.to_ascii_uppercase().starts_with("US-"))
        && !codes.iter().any(|c| c.eq_ignore_ascii_case("US"))
    {
        codes.push("US");
    }
    let mut out: Vec<&'static rules::Jurisdiction> = Vec::new();
    for code in codes {
        if let Some(law) = rules::jurisdiction(code) {
            if !out.iter().any(|l| l.code == law.code) {
                out.push(law);
            }
        }
    }
    out
}

/// The recipient's zone: the value of the profile's `timezone` field, when it names a zone.
pub fn recipient_zone(
    journey: &Journey,
    profile: &serde_json::Map<String, serde_json::Value>,
) -> Result<TimeZone, String> {
    let Some(field) = journey.zone_field() else {
        return Err("the profile has no `timezone` field".to_owned());
    };
    match profile.get(field).and_then(|v| v.as_str()) {
        None => Err(format!("the contact's `{field}` is missing")),
        Some(name) => {
            TimeZone::get(name).map_err(|_| format!("the contact's `{field}` `{name}` is not a known time zone"))
        }
    }
}

/// Seconds after local midnight.
fn second_of_day(local: &Zoned) -> u32 {
    let (h, m, s) = (local.hour(), local.minute(), local.second());
    u32::try_from(i32::from(h) * 3600 + i32::from(m) * 60 + i32::from(s)).unwrap_or(0)
}

/// Whether a local second of the day falls in `[from, to)`, wrapping past midnight when `to` is
/// not after `from` (docs/bundle.md §4.2: 21:00 to 08:00 is 11 hours).
pub fn in_quiet_period(from: u32, to: u32, second: u32) -> bool {
    let (from, to) = (from * 60, to * 60);
    if from < to {
        from <= second && second < to
    } else {
        second >= from || second < to
    }
}

fn shown(local: &Zoned, zone_name: &str) -> String {
    format!("{} {} local time ({zone_name})", local.strftime("%H:%M on %A"), local.strftime("%:z"))
}

/// Checks quiet hours for a send of `category` on `channel` at `at`.
pub fn check(
    journey: &Journey,
    channel: Option<&Channel>,
    category: &str,
    profile: &serde_json::Map<String, serde_json::Value>,
    at: Time,
) -> Vec<Violation> {
    if !rules::QUIET_HOURS_APPLY_TO.contains(&category) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let recipient = recipient_zone(journey, profile);
    if channel.is_some_and(Channel::is_phone_text) {
        for law in laws(&journey.policies.jurisdiction) {
            let rule = law_rule(law);
            let zone = match &recipient {
                Ok(zone) => zone,
                Err(why) => {
                    out.push(Violation::new(
                        rule,
                        format!("{why}, so the send cannot be shown inside the hours {} allows", law.name),
                    ));
                    continue;
                }
            };
            let local = at.0.to_zoned(zone.clone());
            let zone_name = zone.iana_name().unwrap_or("recipient's zone");
            let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
            match law.days.get(day).copied().flatten() {
                None => out.push(Violation::new(
                    rule,
                    format!("sent at {}: {} allows no sending that day", shown(&local, zone_name), law.name),
                )),
                Some(hours) => {
                    let second = second_of_day(&local);
                    let allowed = u32::from(hours.from) * 60 <= second && second < u32::from(hours.to) * 60;
                    if !allowed {
                        out.push(Violation::new(
                            rule,
                            format!(
                                "sent at {}, outside the {}..{} that {} allows",
                                shown(&local, zone_name),
                                hhmm(u32::from(hours.from)),
                                hhmm(u32::from(hours.to)),
                                law.name
                            ),
                        ));
                    }
                }
            }
        }
    }
    // The policy's own quiet hours, for every marketing send (docs/rules.md item 4). A send that
    // already broke a law is not reported twice.
    if let (Some(quiet), true) = (&journey.policies.quiet_hours, out.is_empty()) {
        if let Some(v) = policy(quiet, &recipient, at) {
            out.push(v);
        }
    }
    out
}

/// The project's quiet hours; cited by the code of their static check (J0406).
fn policy(quiet: &QuietHours, recipient: &Result<TimeZone, String>, at: Time) -> Option<Violation> {
    let period = quiet.periods.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(", ");
    let zone = if quiet.zone == "recipient" {
        match recipient {
            Ok(zone) => zone.clone(),
            Err(why) => {
                return Some(Violation::new(
                    "J0406",
                    format!("{why}, so the send cannot be shown outside the policy's quiet hours {period}"),
                ))
            }
        }
    } else {
        match TimeZone::get(&quiet.zone) {
            Ok(zone) => zone,
            Err(_) => {
                return Some(Violation::new(
                    "J0406",
                    format!("the policy's quiet-hours zone `{}` is unknown", quiet.zone),
                ))
            }
        }
    };
    let local = at.0.to_zoned(zone.clone());
    let zone_name = zone.iana_name().unwrap_or(&quiet.zone).to_owned();
    // Each period is read on the clock of the moment's own weekday.
    let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
    let second = second_of_day(&local);
    let quiet_now =
        quiet.periods.iter().any(|p| p.days.get(day) == Some(&true) && in_quiet_period(p.from, p.to, second));
    quiet_now.then(|| {
        Violation::new(
            "J0406",
            format!("sent at {}, inside the policy's quiet hours {period}", shown(&local, &zone_name)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiet_period_includes_its_start_and_excludes_its_end_and_wraps_past_midnight() {
        let (nine_pm, eight_am) = (21 * 60, 8 * 60);
        assert!(in_quiet_period(nine_pm, eight_am, 21 * 3600));
        assert!(!in_quiet_period(nine_pm, eight_am, 21 * 3600 - 1));
        assert!(in_quiet_period(nine_pm, eight_am, 8 * 3600 - 1));
        assert!(!in_quiet_period(nine_pm, eight_am, 8 * 3600));
        assert!(in_quiet_period(nine_pm, eight_am, 0));
        assert!(in_quiet_period(60, 120, 90 * 60));
        assert!(!in_quiet_period(60, 120, 120 * 60));
    }

    #[test]
    fn a_state_brings_the_federal_rule_with_it_and_no_jurisdiction_means_the_federal_baseline() {
        let codes = |l: Vec<&rules::Jurisdiction>| l.iter().map(|j| j.code).collect::<Vec<_>>();
        assert_eq!(codes(laws(&[])), vec!["US"]);
        assert_eq!(codes(laws(&["US-FL".to_owned()])), vec!["US-FL", "US"]);
        assert_eq!(codes(laws(&["FR".to_owned()])), vec!["FR"]);
    }

    #[test]
    fn each_law_is_cited_by_the_rule_id_its_row_names() {
        let rule = |code| rules::jurisdiction(code).map(law_rule);
        assert_eq!(rule("US"), Some("TCPA-QH"));
        assert_eq!(rule("US-FL"), Some("FL-FTSA"));
        assert_eq!(rule("US-MD"), Some("OK/MD"));
        assert_eq!(rule("US-TX"), Some("TX-SB140"));
        assert_eq!(rule("FR"), Some("INTL-QH"));
    }
}
