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

use std::collections::BTreeMap;

use journey_compiler::flow::rules;

use crate::bundle::Cap;
use crate::input::Time;
use crate::window::duration;
use crate::Violation;

/// The sends the contact already received, as sorted times per category, per category and
/// channel, and per category of phone texts: a count in a period is then two binary searches,
/// not a walk over the whole history (a simulation of a looping journey has tens of thousands of
/// sends per contact).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PastSends {
    by_category: BTreeMap<String, Vec<Time>>,
    by_channel: BTreeMap<(String, String), Vec<Time>>,
    phone_texts: BTreeMap<String, Vec<Time>>,
}

impl PastSends {
    pub fn push(&mut self, at: Time, channel: &str, category: &str, phone_text: bool) {
        insert(self.by_category.entry(category.to_owned()).or_default(), at);
        insert(self.by_channel.entry((category.to_owned(), channel.to_owned())).or_default(), at);
        if phone_text {
            insert(self.phone_texts.entry(category.to_owned()).or_default(), at);
        }
    }

    /// Sends of `category` (on `channel` only, when given) less than `per_s` before `at`.
    fn count(&self, category: &str, channel: Option<&str>, at: Time, per_s: u64) -> usize {
        let times = match channel {
            Some(channel) => self.by_channel.get(&(category.to_owned(), channel.to_owned())),
            None => self.by_category.get(category),
        };
        times.map_or(0, |t| within_count(t, at, per_s))
    }

    /// Phone texts of `category` less than `per_s` before `at`.
    fn phone_text_count(&self, category: &str, at: Time, per_s: u64) -> usize {
        self.phone_texts.get(category).map_or(0, |t| within_count(t, at, per_s))
    }
}

/// Keeps `times` sorted (sends come in time order, so this appends).
fn insert(times: &mut Vec<Time>, at: Time) {
    let index = times.partition_point(|t| *t <= at);
    times.insert(index, at);
}

/// How many of the sorted `times` are [`within`] `per_s` before `at`: not after `at`, and less
/// than `per_s` before it.
fn within_count(times: &[Time], at: Time, per_s: u64) -> usize {
    let per = i64::try_from(per_s).unwrap_or(i64::MAX);
    let until = times.partition_point(|t| *t <= at);
    let from = times.partition_point(|t| at.since(*t) >= per);
    until.saturating_sub(from)
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
    history: &PastSends,
    channel: &str,
    category: &str,
    phone_text: bool,
    at: Time,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let on_channel = |cap: &Cap, sent_on: &str| cap.channel.as_deref().is_none_or(|c| c == sent_on);
    for cap in caps.iter().filter(|c| c.category == category && on_channel(c, channel)) {
        let earlier = history.count(category, cap.channel.as_deref(), at, cap.per_s);
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
            let earlier = history.phone_text_count(category, at, *per_s);
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
    fn a_count_in_a_period_takes_sends_less_than_the_period_before_and_none_after() {
        let t = |s: i64| Time(jiff::Timestamp::from_second(s).unwrap());
        let mut sends = PastSends::default();
        for at in [0, 10, 10, 50, 99, 100, 200] {
            sends.push(t(at), "sms", "marketing", true);
        }
        sends.push(t(60), "email", "marketing", false);
        // (1, 100]: 10, 10, 50, 99, 100 on sms and 60 on email; 0 is exactly 100 before.
        assert_eq!(sends.count("marketing", None, t(100), 100), 6);
        assert_eq!(sends.count("marketing", Some("sms"), t(100), 100), 5);
        assert_eq!(sends.phone_text_count("marketing", t(100), 100), 5);
        assert_eq!(sends.count("marketing", Some("email"), t(59), 100), 0);
        assert_eq!(sends.count("utility", None, t(100), 100), 0);
        // A brute-force count agrees on every instant and period.
        let all = [0, 10, 10, 50, 99, 100, 200];
        for at in -5..210 {
            for per in [1, 10, 50, 100, 1000] {
                let brute = all.iter().filter(|s| within(t(**s), t(at), per)).count();
                assert_eq!(sends.count("marketing", Some("sms"), t(at), per), brute, "{at} {per}");
            }
        }
    }

    #[test]
    fn ordinals_read_as_english() {
        let all: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 111].iter().map(|n| ordinal(*n)).collect();
        assert_eq!(all, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"]);
    }
}
