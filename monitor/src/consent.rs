//! Consent at send time (docs/rules.md: TCPA-PEWC, EPR-13, WA-OPTIN, MSGR-MKT, IG-MKT, TCPA-REV,
//! CTIA-STOP, GDPR-7), replayed from the contact's own history: the consents held at the start,
//! `consent_granted` / `consent_revoked`, granted and declined consent requests, the standard
//! library's opt-out events and STOP-class keywords texted on a channel that declares them.

use std::collections::BTreeMap;

use journey_compiler::flow::rules;

use crate::bundle::{Channel, Form, Journey};
use crate::input::Time;
use crate::Violation;

/// What the store says about one (channel, category).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// Held since `at` (None: before the first event), given `how`.
    Held {
        at: Option<Time>,
        how: String,
    },
    Revoked {
        at: Time,
        how: String,
    },
}

/// A channel on which the contact revoked everything on a phone text (a STOP): after it the
/// program answers once and then stays silent (CTIA-STOP; TCPA-REV allows one confirmation
/// without marketing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub at: Time,
    pub how: String,
    pub rule: &'static str,
    pub confirmed: bool,
}

/// One contact's consent store (docs/bundle.md §5).
#[derive(Debug, Clone, Default)]
pub struct Store {
    entries: BTreeMap<(String, String), Entry>,
    silenced: BTreeMap<String, Silence>,
}

impl Store {
    pub fn grant(&mut self, channel: &str, category: &str, at: Option<Time>, how: &str) {
        self.entries.insert((channel.to_owned(), category.to_owned()), Entry::Held { at, how: how.to_owned() });
        // Any new consent on the channel is the contact joining again (START, UNSTOP).
        self.silenced.remove(channel);
    }

    /// Revokes `category` on `channel`, or every category when `category` is None.
    pub fn revoke(&mut self, channel: &str, category: Option<&str>, at: Time, how: &str) {
        let revoked = Entry::Revoked { at, how: how.to_owned() };
        match category {
            Some(category) => {
                self.entries.insert((channel.to_owned(), category.to_owned()), revoked);
            }
            None => {
                for ((c, _), entry) in self.entries.iter_mut() {
                    if c == channel {
                        *entry = revoked.clone();
                    }
                }
            }
        }
    }

    /// Revokes everything on a phone-text channel and silences it.
    pub fn silence(&mut self, channel: &str, at: Time, how: &str, rule: &'static str) {
        self.revoke(channel, None, at, how);
        self.silenced.insert(channel.to_owned(), Silence { at, how: how.to_owned(), rule, confirmed: false });
    }

    pub fn holds(&self, channel: &str, category: &str) -> bool {
        matches!(self.entries.get(&(channel.to_owned(), category.to_owned())), Some(Entry::Held { .. }))
    }

    pub fn silence_of(&self, channel: &str) -> Option<&Silence> {
        self.silenced.get(channel)
    }

    /// Records that a send went out on a silenced channel: the one confirmation is used.
    pub fn note_send(&mut self, channel: &str) {
        if let Some(silence) = self.silenced.get_mut(channel) {
            silence.confirmed = true;
        }
    }

    /// Why the consent is not held, for a finding's reason.
    fn missing(&self, channel: &str, category: &str) -> String {
        match self.entries.get(&(channel.to_owned(), category.to_owned())) {
            Some(Entry::Revoked { at, how }) => format!("revoked at {at} by {how}"),
            Some(Entry::Held { .. }) => "held".to_owned(),
            None => "never given".to_owned(),
        }
    }
}

/// Whether `text`, a message from the contact on `channel`, is one of the channel's opt-out
/// keywords (CTIA-STOP, TCPA-REV): the whole message, in any case, ignoring surrounding spaces
/// and punctuation, and spaces or hyphens inside ("opt out" is OPTOUT). HELP and INFO ask for
/// help and never opt out.
pub fn is_opt_out(channel: &Channel, text: &str) -> bool {
    let word: String =
        text.trim_matches(|c: char| !c.is_alphanumeric()).chars().filter(|c| !matches!(c, ' ' | '-' | '_')).collect();
    !word.is_empty()
        && channel.keywords.iter().any(|k| k.eq_ignore_ascii_case(&word))
        && !rules::HELP_KEYWORDS.iter().any(|h| h.eq_ignore_ascii_case(&word))
}

/// The rule a send of `category` on `channel` breaks without consent: the platform's opt-in on
/// the Meta channels, written consent for phone texts, EU consent for email and the rest.
fn consent_rule(name: &str, channel: Option<&Channel>) -> &'static str {
    match name {
        "messenger" => "MSGR-MKT",
        "instagram" => "IG-MKT",
        "whatsapp" => "WA-OPTIN",
        _ => match channel.map(|c| c.medium.as_str()) {
            Some("sms" | "mms" | "rcs") => "TCPA-PEWC",
            Some("email") => "EPR-13",
            _ => "GDPR-DEF",
        },
    }
}

/// The rule that makes a send of `category` on channel `name` in `form` need consent now, if
/// any. `inside_window`: the contact's last message on the channel is within the window it
/// opened. The waivers are the platforms' (only the standard channels have them, J0311).
pub fn needs_consent(
    name: &str,
    channel: Option<&Channel>,
    category: &str,
    form: &Form,
    inside_window: bool,
) -> Option<&'static str> {
    let marketing = rules::CONSENT_REQUIRED.iter().any(|(c, _)| *c == category);
    let free_form = *form == Form::FreeForm;
    match (name, marketing) {
        // MSGR-WIN-1: promotions are fine inside Messenger's window, in a free-form message (a tag
        // may not carry them, MSGR-TAG-PROMO). Outside it they need the Marketing Messages opt-in
        // (MSGR-MKT), but a free-form message may not go out there at all: the window's finding
        // says so, and a second one would say the same.
        ("messenger", true) if free_form => None,
        (_, true) => Some(consent_rule(name, channel)),
        // WA-OPTIN: a business-initiated WhatsApp message (a template outside the window) of any
        // category needs the opt-in; inside the window it answers the contact. Free-form outside
        // the window is the window's finding alone (WA-CSW).
        ("whatsapp", false) if !inside_window && !free_form => Some("WA-OPTIN"),
        _ => None,
    }
}

/// Checks consent for a send of `category` on channel `name`.
pub fn check(
    store: &Store,
    name: &str,
    channel: Option<&Channel>,
    category: &str,
    form: &Form,
    inside_window: bool,
) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(rule) = needs_consent(name, channel, category, form, inside_window) {
        if !store.holds(name, category) {
            let window = match (name, inside_window) {
                ("whatsapp" | "messenger", false) => " outside the contact's messaging window",
                _ => "",
            };
            out.push(Violation::new(
                rule,
                format!(
                    "{category} message on {name}{window} needs consent({name}, {category}), which was {}",
                    store.missing(name, category)
                ),
            ));
            return out;
        }
    }
    if let Some(silence) = store.silence_of(name) {
        let marketing = rules::CONSENT_REQUIRED.iter().any(|(c, _)| *c == category);
        if marketing || silence.confirmed {
            out.push(Violation::new(
                silence.rule,
                format!(
                    "sent on {name} after the contact opted out ({} at {}); only one confirmation, without marketing, may follow",
                    silence.how, silence.at
                ),
            ));
        }
    }
    out
}

/// WA-US-MKT: since 1 Apr 2025 WhatsApp delivers no marketing template to a United States number
/// (+1). The number is the profile's field of type `phone`; without one nothing is known.
pub fn us_marketing_template(
    journey: &Journey,
    profile: &serde_json::Map<String, serde_json::Value>,
    name: &str,
    category: &str,
    form: &Form,
    at: Time,
) -> Vec<Violation> {
    let day = at.0.strftime("%Y-%m-%d").to_string();
    if name != "whatsapp" || category != "marketing" || *form != Form::Template || day.as_str() < "2025-04-01" {
        return Vec::new();
    }
    let phones = journey.profile.iter().filter(|(_, t)| t.as_str() == "phone");
    let us = phones.filter_map(|(field, _)| profile.get(field).and_then(|v| v.as_str()).map(|v| (field, v)));
    us.filter(|(_, number)| number.trim_start().starts_with("+1"))
        .map(|(field, number)| {
            Violation::new(
                "WA-US-MKT",
                format!("marketing template on whatsapp to a United States number (`{field}` {number}), blocked since 2025-04-01"),
            )
        })
        .take(1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms() -> Channel {
        Channel {
            window_s: None,
            template_required_outside_window: false,
            tags: BTreeMap::new(),
            keywords: ["STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "REVOKE", "OPTOUT", "HELP"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            medium: "sms".into(),
        }
    }

    #[test]
    fn opt_out_keywords_are_whole_messages_in_any_case_and_help_is_not_one() {
        let channel = sms();
        for text in ["STOP", "stop", " Stop! ", "opt out", "Opt-Out", "unsubscribe."] {
            assert!(is_opt_out(&channel, text), "{text}");
        }
        for text in ["HELP", "info", "please stop by the store", "nonstop", "", "START"] {
            assert!(!is_opt_out(&channel, text), "{text}");
        }
    }

    #[test]
    fn marketing_needs_consent_everywhere_except_free_form_inside_the_messenger_window() {
        let (sms, free, tag) = (sms(), Form::FreeForm, Form::Tag("HUMAN_AGENT".into()));
        assert_eq!(needs_consent("sms", Some(&sms), "marketing", &free, false), Some("TCPA-PEWC"));
        assert_eq!(needs_consent("messenger", None, "marketing", &free, true), None);
        assert_eq!(needs_consent("messenger", None, "marketing", &tag, true), Some("MSGR-MKT"));
        assert_eq!(needs_consent("instagram", None, "marketing", &free, true), Some("IG-MKT"));
        assert_eq!(needs_consent("whatsapp", None, "marketing", &Form::Template, true), Some("WA-OPTIN"));
        assert_eq!(needs_consent("sms", Some(&sms), "utility", &free, false), None);
    }

    #[test]
    fn whatsapp_needs_the_opt_in_for_every_category_outside_the_window_only() {
        for category in ["service", "utility", "authentication"] {
            assert_eq!(needs_consent("whatsapp", None, category, &Form::Template, false), Some("WA-OPTIN"));
            assert_eq!(needs_consent("whatsapp", None, category, &Form::Template, true), None);
            // Free-form outside the window may not go out at all: the window's finding.
            assert_eq!(needs_consent("whatsapp", None, category, &Form::FreeForm, false), None);
        }
    }
}
