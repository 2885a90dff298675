//! The legal and platform rules the analyses apply, as data with their sources
//! (`docs/rules.md` IDs). Channel numbers (windows, tags, limits) are not here: they are
//! declared in the language, in `stdlib/channels.journey`. What is here is what a channel
//! declaration cannot say: who needs consent, quiet-hour laws, deprecated tags, required wording.
//!
//! No rule reads the clock: dates are compared with [`REFERENCE_DATE`], the date of this rule
//! table, so a build is the same whatever day it runs on.

/// The date this table was last reviewed against its sources (ISO 8601).
pub const REFERENCE_DATE: &str = "2026-11-24";

/// Categories that need the contact's consent for the message's (channel, category) before a
/// send: promotional content needs prior consent (TCPA-PEWC for US texts, EPR-13 for EU
/// email/SMS, WA-OPTIN, MSGR-MKT). Service replies to a contact who just wrote in, and
/// transactional utility and authentication messages, rely on the conversation or the
/// relationship and are not gated here.
pub const CONSENT_REQUIRED: &[(&str, &str)] = &[("marketing", "TCPA-PEWC, EPR-13, WA-OPTIN, MSGR-MKT")];

/// Categories that quiet hours apply to. TCPA-QH covers telephone solicitations; docs/rules.md
/// item 4 recommends enforcing quiet hours for all marketing, consented or not.
pub const QUIET_HOURS_APPLY_TO: &[&str] = &["marketing"];

/// A day's allowed sending hours under a law, in minutes after local midnight: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub from: u16,
    pub to: u16,
}

/// Allowed sending hours per weekday (Monday first); `None`: no sending that day.
#[derive(Debug, Clone, Copy)]
pub struct Jurisdiction {
    pub code: &'static str,
    pub name: &'static str,
    pub days: [Option<Hours>; 7],
    pub source: &'static str,
}

const fn every_day(from_hour: u16, to_hour: u16) -> [Option<Hours>; 7] {
    let hours = Some(Hours { from: from_hour * 60, to: to_hour * 60 });
    [hours; 7]
}

/// Quiet-hour laws a `policy { jurisdiction "US-FL" }` can select. The most restrictive
/// applicable window is the rule (docs/rules.md); a policy's own `quiet_hours` must be at least
/// as strict as its jurisdiction's.
pub const JURISDICTIONS: &[Jurisdiction] = &[
    Jurisdiction {
        code: "US",
        name: "United States",
        days: every_day(8, 21),
        source: "TCPA-QH (47 CFR 64.1200(c)(1))",
    },
    Jurisdiction { code: "US-FL", name: "Florida", days: every_day(8, 20), source: "FL-FTSA (Fla. Stat. 501.616(6))" },
    Jurisdiction { code: "US-OK", name: "Oklahoma", days: every_day(8, 20), source: "OK/MD (OTSA)" },
    Jurisdiction { code: "US-MD", name: "Maryland", days: every_day(8, 20), source: "OK/MD (Stop the Spam Calls Act)" },
    Jurisdiction { code: "US-OR", name: "Oregon", days: every_day(8, 20), source: "OR-HB3865" },
    Jurisdiction {
        code: "US-TX",
        name: "Texas",
        days: [
            Some(Hours { from: 9 * 60, to: 21 * 60 }),
            Some(Hours { from: 9 * 60, to: 21 * 60 }),
            Some(Hours { from: 9 * 60, to: 21 * 60 }),
            Some(Hours { from: 9 * 60, to: 21 * 60 }),
            Some(Hours { from: 9 * 60, to: 21 * 60 }),
            Some(Hours { from: 9 * 60, to: 21 * 60 }),
            Some(Hours { from: 12 * 60, to: 21 * 60 }),
        ],
        source: "TX-SB140",
    },
    Jurisdiction {
        code: "FR",
        name: "France",
        days: [
            Some(Hours { from: 8 * 60, to: 22 * 60 }),
            Some(Hours { from: 8 * 60, to: 22 * 60 }),
            Some(Hours { from: 8 * 60, to: 22 * 60 }),
            Some(Hours { from: 8 * 60, to: 22 * 60 }),
            Some(Hours { from: 8 * 60, to: 22 * 60 }),
            Some(Hours { from: 8 * 60, to: 22 * 60 }),
            None,
        ],
        source: "INTL-QH (vendor summary, not law)",
    },
];

pub fn jurisdiction(code: &str) -> Option<&'static Jurisdiction> {
    JURISDICTIONS.iter().find(|j| j.code.eq_ignore_ascii_case(code))
}

/// A channel tag withdrawn by its platform, from a date on.
pub struct DeprecatedTag {
    pub channel: &'static str,
    pub tag: &'static str,
    pub since: &'static str,
    pub source: &'static str,
    pub instead: &'static str,
}

/// docs/rules.md item 1: announced 10 Feb 2026, enforced (sends fail with error 100) from
/// 27 Apr 2026; the later date is when sends actually break.
pub const DEPRECATED_TAGS: &[DeprecatedTag] = &[
    DeprecatedTag {
        channel: "messenger",
        tag: "ACCOUNT_UPDATE",
        since: "2026-04-27",
        source: "MSGR-TAG-LEGACY",
        instead: "a utility message template",
    },
    DeprecatedTag {
        channel: "messenger",
        tag: "CONFIRMED_EVENT_UPDATE",
        since: "2026-04-27",
        source: "MSGR-TAG-LEGACY",
        instead: "a utility message template",
    },
    DeprecatedTag {
        channel: "messenger",
        tag: "POST_PURCHASE_UPDATE",
        since: "2026-04-27",
        source: "MSGR-TAG-LEGACY",
        instead: "a utility message template",
    },
];

/// The rule behind each standard channel's messaging window, for citing in diagnostics.
pub fn window_rule(channel: &str) -> &'static str {
    match channel {
        "messenger" => "MSGR-WIN-1",
        "instagram" => "IG-WIN",
        "whatsapp" => "WA-CSW",
        _ => "the channel's declared `window`",
    }
}

/// The tag that only a human may use (MSGR-TAG-HA, IG-HA).
pub const HUMAN_ONLY_TAG: &str = "HUMAN_AGENT";

/// Keywords an SMS program must handle (CTIA-STOP: STOP and HELP at least).
pub const SMS_REQUIRED_KEYWORDS: &[&str] = &["HELP", "STOP"];

/// Work budget of the analyses: node visits per journey, as a multiple of its edges. The
/// lattices are finite and widened, so real journeys stay far below; past it the verdict is
/// "inconclusive" (fail closed), never "ok".
pub const VISITS_PER_EDGE: usize = 64;

/// An event after which the contact's consent is gone on that path until granted again.
pub struct Revocation {
    pub event: &'static str,
    /// Every category of consent on this channel is revoked.
    pub channel: &'static str,
    pub source: &'static str,
}

/// The standard library's opt-out events (`stdlib/events.journey`) and what each revokes. An
/// opt-out keyword on SMS revokes every category on the channel (CTIA-STOP, TCPA-REV); an email
/// unsubscribe is read the same way on email (CANSPAM, GDPR-7): after it no category is sent on
/// the strength of an earlier consent.
pub const REVOCATIONS: &[Revocation] = &[
    Revocation { event: "sms_opt_out", channel: "sms", source: "CTIA-STOP, TCPA-REV" },
    Revocation { event: "email_unsubscribe", channel: "email", source: "CANSPAM, GDPR-7" },
];

/// Channel keywords that ask for help rather than opting out (CTIA-STOP: HELP must be answered
/// with help text, not treated as a revocation).
pub const HELP_KEYWORDS: &[&str] = &["HELP", "INFO"];

/// Whether a channel keyword (`keywords STOP, HELP, ...`) is an opt-out: any but the help words.
pub fn is_opt_out_keyword(keyword: &str) -> bool {
    !HELP_KEYWORDS.iter().any(|h| h.eq_ignore_ascii_case(keyword))
}

/// The longest that local clocks go back at one transition, in any zone of the time-zone
/// database (2 hours today, Antarctica/Troll), computed from the database by
/// `timezones::MAX_CLOCK_BACK_SECS`'s test. A quiet period that spans such a change lasts that
/// much longer than on the clock, so a send held for quiet hours can wait up to the period's
/// length plus this (docs/analyses.md, "Quiet-hour holds").
pub const LONGEST_CLOCK_BACK_SECS: u64 = crate::timezones::MAX_CLOCK_BACK_SECS;

/// The rule behind a channel's `consent CATEGORY outside window`, for citing in diagnostics.
pub fn window_consent_rule(channel: &str) -> &'static str {
    match channel {
        "messenger" => "MSGR-MKT",
        "whatsapp" => "WA-OPTIN",
        _ => "the channel's declared `consent ... outside window`",
    }
}

/// The quiet-hours law phone-text marketing is checked against when a policy names no
/// `jurisdiction`: the US federal rule, 08:00-21:00 at the recipient's location (TCPA-QH).
pub const BASELINE_JURISDICTION: &str = "US";

/// What a marketing message on a channel must carry (checked by `check::wording`).
#[derive(Debug, Clone, Copy)]
pub enum Requirement {
    /// An opt-out instruction naming one of the channel's opt-out keywords as a whole word
    /// ("Reply STOP to opt out"); the instruction forms are data in `content::optout`.
    OptOutInstruction,
    /// A link in the same text as one of these words: a literal `http(s)://` URL, a `url`-typed
    /// field, or a `button "..." url "..."` whose title has the word.
    LinkBeside(&'static [&'static str]),
    /// A field whose name starts with one of these (`{postal_address}`, `{event.sender_address}`).
    Field(&'static [&'static str]),
}

/// Wording a message must carry: for a category on a kind of channel (`sms`: any channel that
/// counts SMS segments), every requirement, each described for the diagnostic.
pub struct RequiredWording {
    pub channel: &'static str,
    pub category: &'static str,
    pub all_of: &'static [(&'static str, Requirement)],
    pub source: &'static str,
}

pub const REQUIRED_WORDING: &[RequiredWording] = &[
    RequiredWording {
        channel: "sms",
        category: "marketing",
        all_of: &[("opt-out instructions (\"Reply STOP to opt out\")", Requirement::OptOutInstruction)],
        source: "CTIA-STOP",
    },
    RequiredWording {
        channel: "email",
        category: "marketing",
        all_of: &[
            ("an unsubscribe link", Requirement::LinkBeside(&["unsubscribe"])),
            (
                "a postal address field (`{postal_address}`)",
                Requirement::Field(&["postal_address", "sender_address", "address"]),
            ),
        ],
        source: "CANSPAM",
    },
];

/// How often a journey may ask a contact for one consent: at most `max` requests for
/// (`channel`, `category`) per `per_secs`.
pub struct RequestLimit {
    pub channel: &'static str,
    pub category: &'static str,
    pub max: u64,
    pub per_secs: u64,
    pub source: &'static str,
}

/// MSGR-MKT: a Marketing Messages opt-in request at most once a week per contact (per title; a
/// journey's requests are counted together, which is never less strict).
pub const CONSENT_REQUEST_LIMITS: &[RequestLimit] =
    &[RequestLimit { channel: "messenger", category: "marketing", max: 1, per_secs: 7 * 86_400, source: "MSGR-MKT" }];

/// Consent requests whose answer is not a message from the contact, so it opens no messaging
/// window: (channel, category, source). MSGR-MKT: opting in to Marketing Messages does not open
/// the standard window.
pub const OPT_IN_OPENS_NO_WINDOW: &[(&str, &str, &str)] = &[("messenger", "marketing", "MSGR-MKT")];
