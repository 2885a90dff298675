//! How often a contact is written to, across journeys, runs and channels:
//!
//! - the policy's caps, `at most MAX CATEGORY per PER` in any sliding window (docs/bundle.md §6),
//!   a channel's cap counting only that channel's sends,
//!   cited by the code of their static check, J0409, since docs/rules.md gives project policies
//!   no rule id;
//! - the state laws' counts, at most 3 solicitations in 24 hours, for phone texts under a policy
//!   that names Florida, Oregon, Oklahoma or Maryland (FL-FTSA, OR-HB3865, OK/MD). Every marketing
//!   text counts, since the subject of a text is not known (the laws count per subject), and
//!   Oregon's exemption for an established business relationship is not modelled: both stricter;
//! - consent requests a platform limits (MSGR-MKT: one Messenger marketing opt-in request a week).
//!
//! "In any window of `per` seconds" counts the sends less than `per` before this one: a send
//! exactly `per` after the oldest counted one is allowed, as in the static check.

use journey_compiler::flow::rules;

use crate::bundle::Cap;
use crate::input::Time;
use crate::window::duration;
use crate::Violation;

/// A send the contact already received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastSend {
    pub at: Time,
    pub channel: String,
    pub category: String,
    pub phone_text: bool,
}

/// A consent request the contact already received: what it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastRequest {
    pub at: Time,
    pub channel: String,
    pub category: String,
}

/// Whether `earlier` is less than `per_s` before `at`.
fn within(earlier: Time, at: Time, per_s: u64) -> bool {
    let elapsed = at.since(earlier);
    elapsed >= 0 && elapsed.unsigned_abs() < per_s
}

/// The state laws that count texts, from the policy's `jurisdiction`: code, rule, max, per.
const STATE_COUNTS: &[(&str, &str, u64, u64)] = &[
    ("US-FL", "FL-FTSA", 3, 86_400),
    ("US-OR", "OR-HB3865", 3, 86_400),
    ("US-OK", "OK/MD", 3, 86_400),
    ("US-MD", "OK/MD", 3, 86_400),
];

/// Checks the caps for a send of `category` on `channel` at `at`; `history` holds the earlier
/// sends.
#[allow(clippy::too_many_arguments)]
pub fn check(
    caps: &[Cap],
    jurisdiction: &[String],
    history: &[PastSend],
    channel: &str,
    category: &str,
    phone_text: bool,
    at: Time,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let on_channel = |cap: &Cap, sent_on: &str| cap.channel.as_deref().is_none_or(|c| c == sent_on);
    for cap in caps.iter().filter(|c| c.category == category && on_channel(c, channel)) {
        let earlier = history
            .iter()
            .filter(|s| s.category == category && on_channel(cap, &s.channel) && within(s.at, at, cap.per_s))
            .count();
        let count = u64::try_from(earlier).unwrap_or(u64::MAX).saturating_add(1);
        if count > cap.max {
            let what = match &cap.channel {
                Some(channel) => format!("{channel} {category}"),
                None => category.to_owned(),
            };
            out.push(Violation::new(
                "J0409",
                format!(
                    "{} {what} message in {}: the policy allows at most {} per {}",
                    ordinal(count),
                    duration(cap.per_s),
                    cap.max,
                    duration(cap.per_s)
                ),
            ));
        }
    }
    if phone_text && rules::CONSENT_REQUIRED.iter().any(|(c, _)| *c == category) {
        let mut cited: Vec<&str> = Vec::new();
        for (code, rule, max, per_s) in STATE_COUNTS {
            if cited.contains(rule) || !jurisdiction.iter().any(|j| j.eq_ignore_ascii_case(code)) {
                continue;
            }
            cited.push(rule);
            let earlier =
                history.iter().filter(|s| s.phone_text && s.category == category && within(s.at, at, *per_s)).count();
            let count = u64::try_from(earlier).unwrap_or(u64::MAX).saturating_add(1);
            if count > *max {
                out.push(Violation::new(
                    rule,
                    format!(
                        "{} {category} text in {} under {code}: the law allows at most {max} per {}",
                        ordinal(count),
                        duration(*per_s),
                        duration(*per_s)
                    ),
                ));
            }
        }
    }
    out
}

/// Checks a platform's limit on consent requests for a request of (`channel`, `category`).
pub fn check_request(history: &[PastRequest], channel: &str, category: &str, at: Time) -> Vec<Violation> {
    let mut out = Vec::new();
    for limit in rules::CONSENT_REQUEST_LIMITS.iter().filter(|l| l.channel == channel && l.category == category) {
        let earlier: Vec<&PastRequest> = history
            .iter()
            .filter(|r| r.channel == channel && r.category == category && within(r.at, at, limit.per_secs))
            .collect();
        let count = u64::try_from(earlier.len()).unwrap_or(u64::MAX).saturating_add(1);
        if count > limit.max {
            let last = earlier.iter().map(|r| r.at).max();
            let since = last
                .map(|l| format!(", {} after the one at {l}", duration(at.since(l).unsigned_abs())))
                .unwrap_or_default();
            out.push(Violation::new(
                limit.source,
                format!(
                    "{} request for {channel} {category} consent in {}{since}: at most {} per {}",
                    ordinal(count),
                    duration(limit.per_secs),
                    limit.max,
                    duration(limit.per_secs)
                ),
            ));
        }
    }
    out
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_read_as_english() {
        let all: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 111].iter().map(|n| ordinal(*n)).collect();
        assert_eq!(all, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"]);
    }
}
