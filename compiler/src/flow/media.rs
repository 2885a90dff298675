//! Which laws apply to a channel, decided by what the channel is (`medium sms`), never by its
//! name: a project's own `channel mms { medium mms }` is under the same phone-text laws as the
//! standard library's `sms`.
//!
//! The table is data, one row per medium, with the rule ids of the laws (defined in the project's
//! table of platform and legal rules). The analyses ask it through the functions below; they never
//! compare channel names.

use crate::model::{Channel, Medium};

use super::Context;

/// How quiet hours bind a medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuietHours {
    /// A law forbids solicitation at night (TCPA-QH and the state laws): J0406 without a policy.
    Law,
    /// No law, but the project's policy must set them for marketing (J0406): messaging apps
    /// reach the same phone at night.
    Policy,
    /// Neither: email and push wait in an inbox.
    None,
}

/// The legal rule families of one medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Laws {
    pub medium: Medium,
    /// What the medium is, in a few words, for messages and documentation.
    pub family: &'static str,
    /// The key of the medium's rows in rules keyed by kind of channel (`rules::REQUIRED_WORDING`):
    /// `sms` for every phone text, `email`, `messaging`, `push`.
    pub kind: &'static str,
    pub quiet_hours: QuietHours,
    /// The rule ids behind its quiet hours (empty when none apply).
    pub quiet_hours_rules: &'static [&'static str],
    /// Marketing must carry opt-out wording: STOP (CTIA-STOP, J0410) or an unsubscribe link and
    /// postal address (CANSPAM, J0411).
    pub wording: bool,
    /// The channel must handle the STOP and HELP keywords (CTIA-STOP, J0412).
    pub keywords: bool,
    /// The rule ids behind the consent marketing needs (J0401).
    pub consent_rules: &'static [&'static str],
}

/// One row per medium, in `Medium::ALL` order.
pub const LAWS: [Laws; 6] = [SMS, MMS, RCS, MESSAGING, EMAIL, PUSH];

const SMS: Laws = phone_text(Medium::Sms);
const MMS: Laws = phone_text(Medium::Mms);
const RCS: Laws = phone_text(Medium::Rcs);

/// Messenger, Instagram Direct, WhatsApp: each platform's own opt-in for marketing (MSGR-MKT,
/// IG-MKT, WA-OPTIN). No quiet-hours law names them, but they reach the same phone at night, so
/// the project's policy must set quiet hours for marketing on them (J0406).
const MESSAGING: Laws = Laws {
    medium: Medium::Messaging,
    family: "messaging app",
    kind: "messaging",
    quiet_hours: QuietHours::Policy,
    quiet_hours_rules: &[],
    wording: false,
    keywords: false,
    consent_rules: &["MSGR-MKT", "IG-MKT", "WA-OPTIN"],
};

/// Email: no quiet hours; marketing carries an unsubscribe link and a postal address (CANSPAM,
/// J0411) and needs consent in the EU (EPR-13).
const EMAIL: Laws = Laws {
    medium: Medium::Email,
    family: "email",
    kind: "email",
    quiet_hours: QuietHours::None,
    quiet_hours_rules: &[],
    wording: true,
    keywords: false,
    consent_rules: &["CANSPAM", "EPR-13"],
};

/// Push notifications: consent only (the app's own permission to notify).
const PUSH: Laws = Laws {
    medium: Medium::Push,
    family: "push notification",
    kind: "push",
    quiet_hours: QuietHours::None,
    quiet_hours_rules: &[],
    wording: false,
    keywords: false,
    consent_rules: &[],
};

/// Texts to a phone number: SMS, MMS and RCS are "telephone solicitation" alike (TX-SB140 names
/// all three), so the same laws apply to each: quiet hours (TCPA-QH and the state laws), STOP
/// wording in marketing and STOP/HELP handling (CTIA-STOP), written consent for marketing
/// (TCPA-PEWC; EPR-13 in the EU).
const fn phone_text(medium: Medium) -> Laws {
    Laws {
        medium,
        family: "phone text",
        kind: "sms",
        quiet_hours: QuietHours::Law,
        quiet_hours_rules: &["TCPA-QH", "FL-FTSA", "TX-SB140", "OR-HB3865"],
        wording: true,
        keywords: true,
        consent_rules: &["TCPA-PEWC", "EPR-13"],
    }
}

/// The laws of `medium`.
pub fn laws(medium: Medium) -> &'static Laws {
    match medium {
        Medium::Sms => &SMS,
        Medium::Mms => &MMS,
        Medium::Rcs => &RCS,
        Medium::Messaging => &MESSAGING,
        Medium::Email => &EMAIL,
        Medium::Push => &PUSH,
    }
}

/// SMS, MMS or RCS: a text to a phone number.
pub fn is_phone_text(medium: Medium) -> bool {
    laws(medium).kind == "sms"
}

/// Marketing on the medium needs quiet hours, by law or as project policy (J0406).
pub fn needs_quiet_hours(medium: Medium) -> bool {
    laws(medium).quiet_hours != QuietHours::None
}

/// The kind of wording marketing must carry on the medium, as keyed in
/// `rules::REQUIRED_WORDING` (`sms`: STOP, J0410; `email`: unsubscribe and address, J0411).
pub fn required_wording(medium: Medium) -> Option<&'static str> {
    let laws = laws(medium);
    laws.wording.then_some(laws.kind)
}

/// The channel must handle STOP and HELP (CTIA-STOP, J0412).
pub fn requires_keywords(medium: Medium) -> bool {
    laws(medium).keywords
}

/// The kind of channel the medium is for rules keyed by kind (`sms` for every phone text).
pub fn kind(medium: Medium) -> &'static str {
    laws(medium).kind
}

/// The rule ids behind the quiet hours of the medium, joined for a note (`TCPA-QH, ...`), or
/// `None` when they are only project policy or do not apply.
pub fn quiet_hours_source(medium: Medium) -> Option<String> {
    let rules = laws(medium).quiet_hours_rules;
    (!rules.is_empty()).then(|| rules.join(", "))
}

/// The medium of a channel that does not declare one (J0315 is reported for it): `encoding sms`
/// is a phone text, a channel named after a medium or a standard messaging app is that; else none,
/// and then only consent applies until the medium is declared.
pub fn inferred(name: &str, encoding: Option<&str>) -> Option<Medium> {
    if encoding == Some("sms") {
        return Some(Medium::Sms);
    }
    match name {
        "messenger" | "instagram" | "whatsapp" => Some(Medium::Messaging),
        _ => Medium::parse(name),
    }
}

/// The channel's medium requires STOP and HELP handling (CTIA-STOP, J0412).
pub fn channel_requires_keywords(channel: &Channel) -> bool {
    channel.medium.is_some_and(requires_keywords)
}

/// The medium of a declared channel.
pub fn medium_of(channel: &Channel) -> Option<Medium> {
    channel.medium
}

impl Context<'_> {
    /// The medium of the channel named `name`, if it is declared and has one.
    pub fn medium_of(&self, name: &str) -> Option<Medium> {
        self.model.channels.get(name).and_then(medium_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_medium_in_order() {
        for (row, medium) in LAWS.iter().zip(Medium::ALL) {
            assert_eq!(row.medium, medium);
            assert_eq!(laws(medium).medium, medium);
        }
    }

    #[test]
    fn sms_mms_and_rcs_are_phone_texts_under_the_same_laws() {
        for medium in [Medium::Sms, Medium::Mms, Medium::Rcs] {
            assert!(is_phone_text(medium));
            assert!(needs_quiet_hours(medium));
            assert!(requires_keywords(medium));
            assert_eq!(required_wording(medium), Some("sms"));
            assert_eq!(quiet_hours_source(medium).as_deref(), Some("TCPA-QH, FL-FTSA, TX-SB140, OR-HB3865"));
            assert!(laws(medium).consent_rules.contains(&"TCPA-PEWC"));
        }
    }

    #[test]
    fn messaging_needs_quiet_hours_as_policy_but_no_wording_or_keywords() {
        assert!(!is_phone_text(Medium::Messaging));
        assert!(needs_quiet_hours(Medium::Messaging));
        assert_eq!(quiet_hours_source(Medium::Messaging), None);
        assert_eq!(required_wording(Medium::Messaging), None);
        assert!(!requires_keywords(Medium::Messaging));
    }

    #[test]
    fn email_needs_unsubscribe_wording_and_no_quiet_hours_and_push_only_consent() {
        assert!(!needs_quiet_hours(Medium::Email));
        assert_eq!(required_wording(Medium::Email), Some("email"));
        assert!(laws(Medium::Email).consent_rules.contains(&"CANSPAM"));
        assert!(!needs_quiet_hours(Medium::Push));
        assert_eq!(required_wording(Medium::Push), None);
        assert!(!requires_keywords(Medium::Push));
    }

    #[test]
    fn every_wording_kind_has_rows_in_the_required_wording_table() {
        for medium in Medium::ALL {
            if let Some(kind) = required_wording(medium) {
                assert!(super::super::rules::REQUIRED_WORDING.iter().any(|r| r.channel == kind), "{kind}");
            }
        }
    }

    #[test]
    fn a_channel_without_a_medium_is_inferred_from_its_encoding_then_its_name() {
        assert_eq!(inferred("short_code", Some("sms")), Some(Medium::Sms));
        assert_eq!(inferred("email", Some("sms")), Some(Medium::Sms));
        assert_eq!(inferred("mms", None), Some(Medium::Mms));
        assert_eq!(inferred("whatsapp", None), Some(Medium::Messaging));
        assert_eq!(inferred("line", None), None);
    }
}
