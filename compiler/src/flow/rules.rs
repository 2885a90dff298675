//! The legal and platform rules the analyses apply, as data with their sources
//! (`../shared/RULES.md` IDs). Channel numbers (windows, tags, limits) are not here: they are
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

/// Categories that quiet hours apply to. TCPA-QH covers telephone solicitations; RULES.md §2.7
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
/// applicable window is the rule (RULES.md §2.8); a policy's own `quiet_hours` must be at least
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

/// RULES.md §2.7 item 1: announced 10 Feb 2026, enforced (sends fail with error 100) from
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
