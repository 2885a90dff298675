//! Which rule of docs/rules.md a refusal names, as data: by the channel's name for the standard
//! library's channels, else by its medium (the law follows what a channel is, docs/channels.md).

/// Why a send is refused (§9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The contact revoked everything on the channel (STOP on a phone text).
    ChannelRevoked,
    /// The consent the compliance record relies on is not in the store.
    Consent,
    /// Free-form outside the messaging window.
    Window,
    /// Under a tag, outside the tag's own window.
    TagWindow,
    /// Quiet hours apply and the recipient's zone is unknown, or the hold cannot end.
    QuietHours,
    /// One more would exceed a frequency rule.
    Frequency,
    /// A required field of the message's text is missing.
    MissingField,
    /// One more consent request would exceed the platform's limit on requests.
    RequestLimit,
}

/// `(refusal, channel name or "medium:M", rule id)`: the first row that matches wins.
const TABLE: &[(Refusal, &str, &str)] = &[
    (Refusal::ChannelRevoked, "medium:sms", "CTIA-STOP"),
    (Refusal::ChannelRevoked, "medium:mms", "CTIA-STOP"),
    (Refusal::ChannelRevoked, "medium:rcs", "CTIA-STOP"),
    (Refusal::ChannelRevoked, "medium:email", "CANSPAM"),
    (Refusal::ChannelRevoked, "*", "TCPA-REV"),
    (Refusal::Consent, "messenger", "MSGR-MKT"),
    (Refusal::Consent, "instagram", "IG-MKT"),
    (Refusal::Consent, "whatsapp", "WA-OPTIN"),
    (Refusal::Consent, "medium:sms", "TCPA-PEWC"),
    (Refusal::Consent, "medium:mms", "TCPA-PEWC"),
    (Refusal::Consent, "medium:rcs", "TCPA-PEWC"),
    (Refusal::Consent, "medium:email", "EPR-13"),
    (Refusal::Consent, "*", "GDPR-7"),
    (Refusal::Window, "instagram", "IG-WIN"),
    (Refusal::Window, "whatsapp", "WA-CSW"),
    (Refusal::Window, "*", "MSGR-WIN-1"),
    (Refusal::TagWindow, "instagram", "IG-HA"),
    (Refusal::TagWindow, "*", "MSGR-TAG-HA"),
    (Refusal::QuietHours, "medium:sms", "TCPA-QH"),
    (Refusal::QuietHours, "medium:mms", "TCPA-QH"),
    (Refusal::QuietHours, "medium:rcs", "TCPA-QH"),
    (Refusal::QuietHours, "*", "INTL-QH"),
    (Refusal::Frequency, "*", "POLICY-FREQ"),
    (Refusal::MissingField, "*", "POLICY-DATA"),
    (Refusal::RequestLimit, "instagram", "IG-MKT"),
    (Refusal::RequestLimit, "*", "MSGR-MKT"),
];

/// The rule id a refusal names for a send on `channel` of `medium`.
pub fn rule(refusal: Refusal, channel: &str, medium: &str) -> &'static str {
    TABLE
        .iter()
        .find(|(r, key, _)| {
            *r == refusal && (*key == channel || key.strip_prefix("medium:") == Some(medium) || *key == "*")
        })
        .map_or("POLICY-DATA", |(_, _, id)| id)
}

/// The events that revoke consent (docs/bundle.md §5; the compiler's `rules::REVOCATIONS`):
/// `(event, channel, blocks the channel)`. Both revoke every category on their channel; an SMS
/// opt-out also blocks the channel, so that not even messages that need no consent are sent
/// (CTIA-STOP), while transactional email still goes out after an unsubscribe (CANSPAM).
pub const REVOCATIONS: &[(&str, &str, bool)] = &[("sms_opt_out", "sms", true), ("email_unsubscribe", "email", false)];

/// Consent requests whose answer is not a message from the contact, so it opens no messaging
/// window and leaves the one open as it was: (channel, category). MSGR-MKT: opting in to
/// Marketing Messages does not open the standard window (the compiler's
/// `rules::OPT_IN_OPENS_NO_WINDOW`).
pub const OPT_IN_OPENS_NO_WINDOW: &[(&str, &str)] = &[("messenger", "marketing")];

/// Platform limits on consent requests, per contact across runs and journeys: `(channel,
/// category, at most, per seconds)`. MSGR-MKT: a Messenger Marketing Messages opt-in request at
/// most once a week (the compiler's `rules::CONSENT_REQUEST_LIMITS`, which proves it within a
/// run, J0414).
pub const REQUEST_LIMITS: &[(&str, &str, u64, i64)] = &[("messenger", "marketing", 1, 7 * 86_400)];

/// Keywords that ask for help rather than opting out (CTIA-STOP).
pub const HELP_KEYWORDS: &[&str] = &["HELP", "INFO"];

/// Free-text answers that grant a consent request on a channel without replies (§12: the
/// runtime's choice).
pub const AFFIRMATIVE: &[&str] = &["YES", "Y", "START"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_names_the_rule_of_its_channel_or_medium() {
        let cases = [
            (Refusal::Consent, "sms", "sms", "TCPA-PEWC"),
            (Refusal::Consent, "whatsapp", "messaging", "WA-OPTIN"),
            (Refusal::Consent, "email", "email", "EPR-13"),
            (Refusal::ChannelRevoked, "sms", "sms", "CTIA-STOP"),
            (Refusal::Window, "messenger", "messaging", "MSGR-WIN-1"),
            (Refusal::Window, "whatsapp", "messaging", "WA-CSW"),
            (Refusal::TagWindow, "messenger", "messaging", "MSGR-TAG-HA"),
            (Refusal::QuietHours, "sms", "sms", "TCPA-QH"),
            (Refusal::QuietHours, "email", "email", "INTL-QH"),
            (Refusal::Frequency, "email", "email", "POLICY-FREQ"),
            (Refusal::MissingField, "sms", "sms", "POLICY-DATA"),
        ];
        for (refusal, channel, medium, id) in cases {
            assert_eq!(rule(refusal, channel, medium), id, "{refusal:?} {channel}");
        }
    }
}
