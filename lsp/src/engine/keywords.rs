//! The language's keywords: which words are reserved for rename, and what hover says about them.
//!
//! The list mirrors the `kw_*` rules of `grammar/journey.pest`; a test checks that every keyword
//! rule of the grammar is here, so a new keyword cannot ship without being refused as a name.

/// Every keyword of the grammar, plus the media element kinds and a list's `header` and `footer`.
/// A name that is one of these is refused by rename (the grammar would often accept it, but it
/// reads as the keyword).
pub const KEYWORDS: &[&str] = &[
    "after",
    "allows",
    "and",
    "as",
    "ask",
    "at",
    "audience",
    "audio",
    "business_hours",
    "button",
    "card",
    "channel",
    "consent",
    "day",
    "else",
    "encoding",
    "entry",
    "enum",
    "event",
    "every",
    "exit",
    "false",
    "file",
    "footer",
    "for",
    "frequency",
    "goal",
    "goto",
    "handoff",
    "header",
    "if",
    "image",
    "import",
    "in",
    "inbound",
    "joins",
    "journey",
    "jurisdiction",
    "keywords",
    "lang",
    "leaves",
    "limit",
    "list",
    "medium",
    "message",
    "most",
    "never",
    "not",
    "now",
    "on",
    "or",
    "outside",
    "per",
    "policy",
    "profile",
    "quiet_hours",
    "recipient",
    "reentry",
    "replies",
    "reply",
    "request",
    "required",
    "retries",
    "revoke",
    "row",
    "section",
    "segment",
    "send",
    "set",
    "split",
    "stage",
    "subject",
    "subtitle",
    "supports",
    "tag",
    "template",
    "text",
    "timeout",
    "title",
    "track",
    "true",
    "until",
    "url",
    "via",
    "video",
    "wait",
    "when",
    "where",
    "window",
    "within",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.binary_search(&word).is_ok()
}

/// Where a keyword can be written, which decides when completion offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Starts a top-level item.
    Item,
    /// Starts a member of a `journey { }` block.
    Member,
    /// Starts a step inside a stage, an arm or a branch.
    Step,
    /// Starts an element of a `message { }` block.
    Element,
    /// Starts a rule of a `channel { }` block.
    ChannelRule,
    /// Starts a rule of a `policy { }` block.
    PolicyRule,
    /// Starts a part of a message's `list "..." { }` (and `row` a line of its sections).
    ListPart,
}

/// One keyword (or keyword pair) with what hover and completion show for it.
#[derive(Debug, Clone, Copy)]
pub struct KeywordDoc {
    /// What completion inserts, and the word hover matches (the first word of `label`).
    pub label: &'static str,
    pub place: Place,
    /// The shape of the statement.
    pub syntax: &'static str,
    pub doc: &'static str,
}

pub const DOCS: &[KeywordDoc] = &[
    KeywordDoc {
        label: "import",
        place: Place::Item,
        syntax: "import \"std/channels\"",
        doc: "Brings another file of the project (`\"./file.journey\"`) or a standard-library module (`\"std/NAME\"`) into this file's namespace.",
    },
    KeywordDoc {
        label: "profile",
        place: Place::Item,
        syntax: "profile { first_name: text? ... }",
        doc: "The fields every contact has. `?` marks a field that may be missing; interpolating it needs a fallback.",
    },
    KeywordDoc {
        label: "event",
        place: Place::Item,
        syntax: "event NAME [inbound CHANNEL [window DURATION]] { FIELD: TYPE, ... }",
        doc: "Something that happens to a contact. An `inbound` event is a message from the contact on that channel and opens the channel's messaging window.",
    },
    KeywordDoc {
        label: "segment",
        place: Place::Item,
        syntax: "segment NAME = CONDITION",
        doc: "A named condition over profile fields, usable in `audience` and `if`.",
    },
    KeywordDoc {
        label: "policy",
        place: Place::Item,
        syntax: "policy [NAME] { quiet_hours ... frequency ... business_hours ... }",
        doc: "Rules every send must respect: quiet hours, frequency caps per category (`frequency marketing at most 4 per 30d`) or per channel and category (`frequency sms marketing at most 4 per 30d`), business hours, jurisdiction.",
    },
    KeywordDoc {
        label: "channel",
        place: Place::Item,
        syntax: "channel NAME { medium sms ... window 24h after inbound ... }",
        doc: "A messaging channel and its rules: its medium (`sms`, `mms`, `rcs`, `messaging`, `email`, `push`: what it is, which decides the laws that apply; required on a channel of your own), window, tags, limits, supported elements, templates, consent inside the window, encoding, keywords. The standard ones come from `import \"std/channels\"`.",
    },
    KeywordDoc {
        label: "message",
        place: Place::Item,
        syntax: "message NAME on CHANNEL as CATEGORY { text \"...\" ... }",
        doc: "Content sent on one channel under one category (`service`, `utility`, `marketing`, `authentication`). The category decides which consent and window rules apply.",
    },
    KeywordDoc {
        label: "journey",
        place: Place::Item,
        syntax: "journey NAME { audience ... entry on ... stage ... }",
        doc: "A customer journey: who enters, on which event, and the stages they move through.",
    },
    KeywordDoc {
        label: "audience",
        place: Place::Member,
        syntax: "audience CONDITION",
        doc: "Only contacts matching the condition (usually segments) enter the journey.",
    },
    KeywordDoc {
        label: "entry",
        place: Place::Member,
        syntax: "entry on EVENT [where CONDITION] | entry every DAYS HH:MM ZONE | entry at DATE HH:MM ZONE | entry when joins SEGMENT",
        doc: "What starts the journey for a contact: an event (optionally filtered by a condition on its fields), a schedule in the contact's (`recipient`) or a fixed zone (every contact of the audience enters; a broadcast), or joining a segment. A schedule or a segment opens no messaging window.",
    },
    KeywordDoc {
        label: "exit when",
        place: Place::Member,
        syntax: "exit when leaves SEGMENT",
        doc: "Ends the journey at once when the contact stops matching the segment.",
    },
    KeywordDoc {
        label: "exit on",
        place: Place::Member,
        syntax: "exit on EVENT, ...",
        doc: "Events that end the journey at once, wherever the contact is.",
    },
    KeywordDoc {
        label: "goal",
        place: Place::Member,
        syntax: "goal NAME = EVENT within DURATION",
        doc: "The conversion this journey is measured by.",
    },
    KeywordDoc {
        label: "reentry",
        place: Place::Member,
        syntax: "reentry after DURATION | reentry never",
        doc: "Whether and when a contact who left the journey may enter it again.",
    },
    KeywordDoc {
        label: "stage",
        place: Place::Member,
        syntax: "stage NAME { STEP ... }",
        doc: "A named sequence of steps. Contacts start in the first stage; `goto` moves them to another.",
    },
    KeywordDoc {
        label: "send",
        place: Place::Step,
        syntax: "send MESSAGE",
        doc: "Sends a message. The send must be allowed by consent, the channel's window and the policies on every path that reaches it.",
    },
    KeywordDoc {
        label: "ask",
        place: Place::Step,
        syntax: "ask MESSAGE [retries N] [timeout DURATION] { OUTCOME => STEP ... other => STEP  timeout => STEP }",
        doc: "Sends a message with replies or buttons and waits for the contact's answer; each outcome gets an arm. `other` is an answer that matches no reply; with `retries N` such an answer asks again, up to N times (each a send), before `other` is taken.",
    },
    KeywordDoc {
        label: "wait",
        place: Place::Step,
        syntax: "wait DURATION",
        doc: "Pauses the contact for a fixed time (`45s`, `30m`, `2h`, `3d`, `1w`, or sums like `1d 12h`).",
    },
    KeywordDoc {
        label: "wait for",
        place: Place::Step,
        syntax: "wait for EVENT, ... [within DURATION] { EVENT => STEP ... timeout => STEP }",
        doc: "Waits until one of the events happens, or the time runs out.",
    },
    KeywordDoc {
        label: "wait until",
        place: Place::Step,
        syntax: "wait until HH:MM recipient | wait until HH:MM \"ZONE\" | wait until MOMENT",
        doc: "Waits until the clock reads that time in the contact's zone (or a fixed one): today's if it is still ahead, else tomorrow's. With a moment (`event.appointment_at - 24h`, a datetime), waits until then; a moment already past does not wait. After `wait until 10:00 recipient` the checker knows the time of day, so a send there is proved outside quiet hours and never held.",
    },
    KeywordDoc {
        label: "if",
        place: Place::Step,
        syntax: "if CONDITION { STEP ... } else if CONDITION { ... } else { ... }",
        doc: "Branches on a condition: profile fields, segments, `consent(CHANNEL, CATEGORY)`, `within business_hours`.",
    },
    KeywordDoc {
        label: "split",
        place: Place::Step,
        syntax: "split { 50% => { ... } 50% => { ... } }",
        doc: "Sends contacts down random arms in the given shares (an A/B test). Shares add up to 100%.",
    },
    KeywordDoc {
        label: "handoff",
        place: Place::Step,
        syntax: "handoff \"TEAM\" [timeout DURATION] { resolved => STEP, timeout => STEP }",
        doc: "Passes the conversation to a human team and waits for it to come back.",
    },
    KeywordDoc {
        label: "request consent",
        place: Place::Step,
        syntax: "request consent CHANNEL CATEGORY via MESSAGE [timeout DURATION] { granted => ..., declined => ... }",
        doc: "Asks the contact for consent to receive CATEGORY messages on CHANNEL, with MESSAGE.",
    },
    KeywordDoc {
        label: "revoke consent",
        place: Place::Step,
        syntax: "revoke consent CHANNEL CATEGORY",
        doc: "Withdraws the contact's consent to CATEGORY messages on CHANNEL (a preference they changed in the conversation): no later send may rely on it until it is granted again.",
    },
    KeywordDoc {
        label: "set",
        place: Place::Step,
        syntax: "set FIELD = VALUE",
        doc: "Writes a profile field.",
    },
    KeywordDoc {
        label: "tag",
        place: Place::Step,
        syntax: "tag \"NAME\"",
        doc: "Adds a tag to the contact (in a message, `tag NAME` sends under a channel tag instead).",
    },
    KeywordDoc {
        label: "track",
        place: Place::Step,
        syntax: "track \"NAME\"",
        doc: "Records an analytics event.",
    },
    KeywordDoc {
        label: "goto",
        place: Place::Step,
        syntax: "goto STAGE",
        doc: "Moves the contact to another stage of the same journey.",
    },
    KeywordDoc {
        label: "exit",
        place: Place::Step,
        syntax: "exit",
        doc: "Ends the journey for this contact.",
    },
    KeywordDoc {
        label: "text",
        place: Place::Element,
        syntax: "text \"Hi {first_name ?? \\\"there\\\"}!\"",
        doc: "The message text; `{field}` interpolates a field, `??` gives a fallback for a missing one.",
    },
    KeywordDoc { label: "subject", place: Place::Element, syntax: "subject \"...\"", doc: "The subject line (email)." },
    KeywordDoc {
        label: "reply",
        place: Place::Element,
        syntax: "reply \"Title\" -> OUTCOME",
        doc: "A quick reply; choosing it is the outcome `OUTCOME` of an `ask`.",
    },
    KeywordDoc {
        label: "button",
        place: Place::Element,
        syntax: "button \"Title\" -> OUTCOME | button \"Title\" url \"https://...\"",
        doc: "A button that is an outcome of an `ask`, or opens a link.",
    },
    KeywordDoc {
        label: "image",
        place: Place::Element,
        syntax: "image \"https://...\"",
        doc: "An image attachment (also `video`, `audio`, `file`).",
    },
    KeywordDoc {
        label: "card",
        place: Place::Element,
        syntax: "card { title \"...\" subtitle \"...\" image \"...\" button ... }",
        doc: "A card of a carousel.",
    },
    KeywordDoc {
        label: "list",
        place: Place::Element,
        syntax: "list \"Button\" { header \"...\" section \"Title\" { row \"Title\" \"Description\" -> OUTCOME } footer \"...\" }",
        doc: "A list message (WhatsApp, WA-LIST): the button opens a list of rows, in sections or written directly in the list; choosing a row is the outcome `OUTCOME` of an `ask`, like a reply. The message's `text` is the body; no replies, buttons, media or cards beside it (J0317). On WhatsApp: at most 10 sections and 10 rows in all, button label 20 characters, row title 24, description 72. (In a field's type, `list<T>` is a list of values.)",
    },
    KeywordDoc {
        label: "template",
        place: Place::Element,
        syntax: "template \"NAME\" lang \"en_US\" { PARAM = VALUE, ... }",
        doc: "A pre-approved template (WhatsApp), the only kind of message allowed outside the window.",
    },
    KeywordDoc {
        label: "row",
        place: Place::ListPart,
        syntax: "row \"Title\" [\"Description\"] -> OUTCOME",
        doc: "A row of a list: choosing it is the outcome `OUTCOME` of an `ask`, like a reply. The outcome is also the row's id on the platform, so each row of a list has its own (J0317).",
    },
    KeywordDoc {
        label: "section",
        place: Place::ListPart,
        syntax: "section [\"Title\"] { row ... }",
        doc: "A section of a list, with at least one row. A list of several sections needs a title on each; rows written outside a section are a section without one.",
    },
    KeywordDoc {
        label: "header",
        place: Place::ListPart,
        syntax: "header \"...\"",
        doc: "In a `list`: text above the message's text (text only; 60 characters on WhatsApp, WA-LIST). In a `template` declaration: the template's header (WA-TPL).",
    },
    KeywordDoc {
        label: "footer",
        place: Place::ListPart,
        syntax: "footer \"...\"",
        doc: "In a `list`: text below the message's text (60 characters on WhatsApp, WA-LIST). In a `template` declaration: the template's footer (WA-TPL).",
    },
    // Channel rules, after the elements and steps whose words they share (`tag`, `template`), so
    // hover on those keeps its meaning.
    KeywordDoc {
        label: "quiet_hours",
        place: Place::PolicyRule,
        syntax: "quiet_hours [DAYS] HH:MM..HH:MM[, DAYS HH:MM..HH:MM ...] recipient|\"ZONE\"",
        doc: "No marketing from the first time to the second (wrapping past midnight; equal times are the whole day), in each contact's zone (`recipient`) or a fixed one. By weekday: `quiet_hours mon..sat 21:00..09:00, sun 21:00..12:00 recipient` (Texas); each period is read on the clock of the day it names, and periods add up. A send that falls in them is held until they end (J0406, J0407).",
    },
    KeywordDoc {
        label: "frequency",
        place: Place::PolicyRule,
        syntax: "frequency [CHANNEL] CATEGORY at most N per DURATION",
        doc: "A cap per contact, across journeys and runs: `frequency marketing at most 4 per 30d`, or one channel's sends only: `frequency sms marketing at most 4 per 30d` (J0414, J0415).",
    },
    KeywordDoc {
        label: "business_hours",
        place: Place::PolicyRule,
        syntax: "business_hours DAYS HH:MM..HH:MM[, DAYS HH:MM..HH:MM ...] recipient|\"ZONE\"",
        doc: "When a team answers: `business_hours mon..fri 09:00..18:00 \"Europe/Berlin\"`, or by weekday `business_hours mon..fri 09:00..18:00, sat 10:00..14:00 \"Europe/Berlin\"`; tested by `if within business_hours`.",
    },
    KeywordDoc {
        label: "jurisdiction",
        place: Place::PolicyRule,
        syntax: "jurisdiction \"CODE\"",
        doc: "A quiet-hours law the policy's `quiet_hours` must cover, day by day: `US`, `US-FL`, `US-OK`, `US-MD`, `US-OR`, `US-TX`, `FR` (J0406).",
    },
    KeywordDoc {
        label: "medium",
        place: Place::ChannelRule,
        syntax: "medium sms|mms|rcs|messaging|email|push",
        doc: "What the channel is, which decides the laws that apply to its messages: phone texts (`sms`, `mms`, `rcs`) get quiet hours (TCPA-QH), STOP wording and STOP/HELP handling (CTIA-STOP) and written consent for marketing (TCPA-PEWC); `messaging` apps quiet hours as policy; `email` an unsubscribe link and postal address (CANSPAM); `push` consent only. Required on a channel of your own (J0315).",
    },
    KeywordDoc {
        label: "window",
        place: Place::ChannelRule,
        syntax: "window 24h after inbound",
        doc: "The messaging window: free-form messages only within this long after the contact's last inbound message.",
    },
    KeywordDoc {
        label: "tag",
        place: Place::ChannelRule,
        syntax: "tag NAME allows CATEGORY[, ...] [within D]",
        doc: "A message tag: messages under it of an allowed category may be sent outside the window.",
    },
    KeywordDoc {
        label: "template required",
        place: Place::ChannelRule,
        syntax: "template required outside window",
        doc: "Outside the window only approved templates may be sent (WhatsApp).",
    },
    KeywordDoc {
        label: "limit",
        place: Place::ChannelRule,
        syntax: "limit WHAT N [chars|bytes]",
        doc: "At most N of WHAT: text length, replies, buttons, cards, list rows and sections, SMS segments, ...",
    },
    KeywordDoc {
        label: "supports",
        place: Place::ChannelRule,
        syntax: "supports text, replies, buttons, ...",
        doc: "The elements a message on the channel may contain.",
    },
    KeywordDoc {
        label: "keywords",
        place: Place::ChannelRule,
        syntax: "keywords STOP, HELP, ...",
        doc: "The opt-out and help keywords the channel's runtime answers; required on phone texts (CTIA-STOP, J0412).",
    },
    KeywordDoc {
        label: "encoding",
        place: Place::ChannelRule,
        syntax: "encoding sms",
        doc: "Text is counted in SMS segments (GSM-7 or UCS-2, SMS-ENC); only on a phone-text medium.",
    },
];

/// The documentation of a keyword, by the word under the cursor and the word after it (which
/// tells `wait` from `wait for` and `exit` from `exit on`).
pub fn doc_for(word: &str, next_word: Option<&str>) -> Option<&'static KeywordDoc> {
    let pair = next_word.map(|next| format!("{word} {next}"));
    DOCS.iter()
        .find(|doc| pair.as_deref() == Some(doc.label))
        .or_else(|| DOCS.iter().find(|doc| doc.label == word))
        .or_else(|| DOCS.iter().find(|doc| doc.label.split(' ').next() == Some(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_list_is_sorted_so_lookups_can_binary_search() {
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KEYWORDS);
    }

    #[test]
    fn every_keyword_rule_of_the_grammar_is_reserved() {
        let grammar = include_str!("../../../grammar/journey.pest");
        for line in grammar.lines().filter(|line| line.starts_with("kw_")) {
            // The keyword is the rule's one quoted word (`kw_else` quotes blanks and `//` too).
            let word = line
                .split('"')
                .skip(1)
                .step_by(2)
                .find(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .unwrap();
            assert!(is_keyword(word), "`{word}` is a keyword rule of the grammar but not in KEYWORDS");
        }
    }

    #[test]
    fn two_word_keywords_are_told_apart_by_the_next_word() {
        assert_eq!(doc_for("wait", Some("for")).unwrap().label, "wait for");
        assert_eq!(doc_for("wait", Some("2d")).unwrap().label, "wait");
        assert_eq!(doc_for("exit", Some("on")).unwrap().label, "exit on");
        assert_eq!(doc_for("exit", None).unwrap().label, "exit");
        assert_eq!(doc_for("request", Some("consent")).unwrap().label, "request consent");
        assert!(doc_for("welcome", None).is_none());
        assert_eq!(doc_for("template", Some("required")).unwrap().label, "template required");
        assert_eq!(doc_for("template", Some("\"order\"")).unwrap().place, Place::Element);
        assert_eq!(doc_for("tag", None).unwrap().place, Place::Step);
        assert_eq!(doc_for("medium", Some("sms")).unwrap().place, Place::ChannelRule);
    }
}
