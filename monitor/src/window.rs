//! Messaging windows and tags (docs/rules.md: MSGR-WIN-1, IG-WIN, WA-CSW, MSGR-TAG-HA, IG-HA,
//! MSGR-TAG-LEGACY, MSGR-TAG-PROMO): a free-form message on a windowed channel goes out within the
//! window the contact's last message on that channel opened (the channel's `window_s`, or the
//! event's own, 7 days for an ad reply; docs/rules.md item 2); a template may go out at any time;
//! a tag carries only the categories it allows, within its own `within_s` when it has one.

use journey_compiler::flow::rules;

use crate::bundle::{Channel, Form};
use crate::input::Time;
use crate::Violation;

/// The contact's last message on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub at: Time,
    /// The window it opened, in seconds.
    pub opened_s: u64,
    /// What it was (`reply`, an event name), for reasons.
    pub how: String,
    /// The window allows one message (a private reply to a comment, IG-PR, MSGR-PR), and
    /// whether the business has sent it: then the window is closed until the contact writes.
    pub single: bool,
    pub used: bool,
}

impl Inbound {
    /// Whether `at` is within the window: "for window_s seconds" after the message, so a send
    /// exactly `window_s` later is still inside (the compiler's bound is `max_s <= opened_s`).
    pub fn covers(&self, at: Time) -> bool {
        let elapsed = at.since(self.at);
        !self.used && elapsed >= 0 && elapsed.unsigned_abs() <= self.opened_s
    }
}

/// Whether a send at `at` is inside the window of `last` (false without a message or a window).
pub fn inside(channel: Option<&Channel>, last: Option<&Inbound>, at: Time) -> bool {
    channel.is_some_and(|c| c.window_s.is_some()) && last.is_some_and(|l| l.covers(at))
}

/// "25h", "7d", "90m", "61s": a duration as the reasons show it, in hours up to two days (the
/// rules speak of 24-hour windows and 48-hour cooldowns) and days from there.
pub fn duration(seconds: u64) -> String {
    match seconds {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 && s >= 2 * 86_400 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// How long after `last` a send at `at` is, for reasons.
fn after(last: &Inbound, at: Time) -> String {
    let elapsed = at.since(last.at);
    if elapsed < 0 {
        return "before".to_owned();
    }
    format!("{} after", duration(elapsed.unsigned_abs()))
}

/// The rule behind a channel's window: the standard channels' own, else the static check's code.
fn window_rule(name: &str) -> &'static str {
    match name {
        "messenger" => "MSGR-WIN-1",
        "instagram" => "IG-WIN",
        "whatsapp" => "WA-CSW",
        _ => "J0402",
    }
}

/// The rule behind a tag on a channel.
fn tag_rule(channel: &str, tag: &str) -> &'static str {
    match (channel, tag) {
        ("instagram", _) => "IG-HA",
        (_, t) if t == rules::HUMAN_ONLY_TAG => "MSGR-TAG-HA",
        ("messenger", _) => "MSGR-TAG-LEGACY",
        _ => "J0403",
    }
}

/// Checks the window and tag of a send on channel `name` at `at` of `category` in `form`.
pub fn check(
    name: &str,
    channel: Option<&Channel>,
    last: Option<&Inbound>,
    category: &str,
    form: &Form,
    at: Time,
) -> Vec<Violation> {
    let Some(channel) = channel else { return Vec::new() };
    let Some(window_s) = channel.window_s else { return Vec::new() };
    let mut out = Vec::new();
    // A window that allowed one message and had it: as if the contact had not written.
    let used = last.filter(|l| l.used);
    let last = last.filter(|l| !l.used);
    match form {
        Form::Template => {}
        Form::FreeForm => {
            if !last.is_some_and(|l| l.covers(at)) {
                let reason = match last {
                    None if used.is_some() => format!(
                        "free-form message sent on {name} after the one reply that the contact's {} allowed, with no message from the contact since",
                        used.map_or("", |l| l.how.as_str())
                    ),
                    Some(l) => format!(
                        "free-form message sent {} the contact's last message on {name} ({} at {}), outside the {} window it opened",
                        after(l, at),
                        l.how,
                        l.at,
                        duration(l.opened_s)
                    ),
                    None => format!(
                        "free-form message sent on {name} with no message from the contact before it: the {} window was never opened",
                        duration(window_s)
                    ),
                };
                out.push(Violation::new(window_rule(name), reason));
            }
        }
        Form::Tag(tag) => match channel.tags.get(tag) {
            None => out.push(Violation::new(tag_rule(name, tag), format!("{name} has no tag {tag}"))),
            Some(declared) => {
                if !declared.allows.iter().any(|c| c == category) {
                    // MSGR-TAG-PROMO: no tag may carry promotions.
                    let rule = if category == "marketing" { "MSGR-TAG-PROMO" } else { tag_rule(name, tag) };
                    out.push(Violation::new(
                        rule,
                        format!("{category} message under tag {tag}, which allows only {}", declared.allows.join(", ")),
                    ));
                }
                if let Some(within) = declared.within_s {
                    let covered = last.is_some_and(|l| {
                        let elapsed = at.since(l.at);
                        elapsed >= 0 && elapsed.unsigned_abs() <= within
                    });
                    if !covered {
                        let reason = match last {
                            Some(l) => format!(
                                "sent under tag {tag} {} the contact's last message on {name} ({} at {}), beyond the tag's {}",
                                after(l, at),
                                l.how,
                                l.at,
                                duration(within)
                            ),
                            None => format!(
                                "sent under tag {tag} with no message from the contact on {name}; the tag allows {} after one",
                                duration(within)
                            ),
                        };
                        out.push(Violation::new(tag_rule(name, tag), reason));
                    }
                }
                // docs/rules.md item 1: the legacy Messenger tags fail from their date on.
                let day = at.0.strftime("%Y-%m-%d").to_string();
                for deprecated in rules::DEPRECATED_TAGS {
                    if deprecated.channel == name && deprecated.tag == tag && day.as_str() >= deprecated.since {
                        out.push(Violation::new(
                            "MSGR-TAG-LEGACY",
                            format!(
                                "tag {tag} is withdrawn since {} ({}); use {}",
                                deprecated.since, deprecated.source, deprecated.instead
                            ),
                        ));
                    }
                }
            }
        },
    }
    out
}

/// MSGR-TAG-HA, IG-HA: the human-agent tag is for a person's replies. The contact's history
/// shows a person answered when a human team resolved a handoff (`handoff_resolved`) before the
/// send; an automated message under the tag with no such answer breaks the rule.
pub fn check_person(name: &str, form: &Form, agent_answered: Option<Time>) -> Option<Violation> {
    let Form::Tag(tag) = form else { return None };
    if tag != rules::HUMAN_ONLY_TAG || agent_answered.is_some() {
        return None;
    }
    Some(Violation::new(
        tag_rule(name, tag),
        format!(
            "sent under tag {tag} on {name}, but no person had answered the contact (no handoff_resolved before it)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_shown_in_the_largest_whole_unit() {
        assert_eq!(duration(90_000), "25h");
        assert_eq!(duration(86_400), "24h");
        assert_eq!(duration(172_800), "2d");
        assert_eq!(duration(604_800), "7d");
        assert_eq!(duration(5_400), "90m");
        assert_eq!(duration(61), "61s");
    }

    #[test]
    fn the_human_agent_tag_needs_a_person_to_have_answered_first() {
        let tag = Form::Tag("HUMAN_AGENT".to_owned());
        let answered = Some(Time("2026-03-02T10:00:00Z".parse().unwrap()));
        assert_eq!(check_person("messenger", &tag, None).map(|v| v.rule), Some("MSGR-TAG-HA".to_owned()));
        assert_eq!(check_person("instagram", &tag, None).map(|v| v.rule), Some("IG-HA".to_owned()));
        assert!(check_person("messenger", &tag, answered).is_none());
        assert!(check_person("messenger", &Form::FreeForm, None).is_none());
        assert!(check_person("messenger", &Form::Tag("ACCOUNT_UPDATE".to_owned()), None).is_none());
    }
}
