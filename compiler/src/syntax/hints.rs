//! What to say when a statement starts with a word that starts nothing where it is written:
//! "did you mean `wait`?" for a slip, and for a word people reach for from other tools
//! (`delay`, `trigger`, `flow`), that the construct does not exist and what to write instead.
//!
//! Both are data: [`STARTS`] lists the words that start a statement in each place, and
//! [`NOT_CONSTRUCTS`] the words that start nothing there, each with its advice. A new construct
//! is one word added to [`STARTS`] (and a row of [`NOT_CONSTRUCTS`] removed if it named it); the
//! tests parse every word of both tables with the grammar, so a hint can never say that a
//! construct the grammar accepts does not exist.

use super::expected::rule_name;
use super::grammar::Rule;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Where a statement is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// At the top level of a file.
    Item,
    /// Inside `journey NAME { ... }`.
    Member,
    /// Inside a stage, an `if` or an arm.
    Step,
    /// Inside `policy { ... }`.
    PolicyRule,
    /// Inside `channel NAME { ... }`.
    ChannelRule,
    /// Inside `message ... { ... }` or `card { ... }`.
    Element,
    /// Inside `list "..." { ... }`.
    ListPart,
    /// Inside a list's `section { ... }`.
    Row,
}

impl Place {
    /// How the place's statements read in messages ("a step", ...).
    fn what(self) -> &'static str {
        match self {
            Place::Item => "an item",
            Place::Member => "a journey setting",
            Place::Step => "a step",
            Place::PolicyRule => "a policy rule",
            Place::ChannelRule => "a channel rule",
            Place::Element => "a message element",
            Place::ListPart => "a part of a list",
            Place::Row => "a row",
        }
    }

    /// The grammar rule a line of this place is parsed with (the tests read the tables with it).
    #[cfg(test)]
    fn entry_rule(self) -> Rule {
        match self {
            Place::Item => Rule::chunk,
            Place::Member => Rule::member_line,
            Place::Step => Rule::step_line,
            Place::PolicyRule => Rule::policy_rule_line,
            Place::ChannelRule => Rule::channel_rule_line,
            Place::Element => Rule::element_line,
            Place::ListPart => Rule::list_part_line,
            Place::Row => Rule::row_line,
        }
    }
}

/// The words that start a statement in each place: what "did you mean" chooses from.
pub const STARTS: &[(Place, &[&str])] = &[
    (Place::Item, &["channel", "event", "import", "journey", "message", "policy", "profile", "segment", "template"]),
    (Place::Member, &["audience", "entry", "exit", "goal", "reentry", "stage"]),
    (Place::Step, &["ask", "exit", "goto", "handoff", "if", "request", "send", "set", "split", "tag", "track", "wait"]),
    (Place::PolicyRule, &["business_hours", "frequency", "jurisdiction", "quiet_hours"]),
    (
        Place::ChannelRule,
        &["consent", "encoding", "keywords", "limit", "medium", "supports", "tag", "template", "window"],
    ),
    (
        Place::Element,
        &[
            "audio", "button", "card", "file", "image", "list", "reply", "subject", "subtitle", "tag", "template",
            "text", "title", "video",
        ],
    ),
    (Place::ListPart, &["footer", "header", "row", "section"]),
    (Place::Row, &["row"]),
];

/// Words that start no statement in a place, with what to write instead. The advice names only
/// constructs that exist.
pub const NOT_CONSTRUCTS: &[(Place, &str, &str)] = &[
    // Steps.
    (Place::Step, "delay", "there is no `delay` step; to pause, write `wait 1d`"),
    (Place::Step, "sleep", "there is no `sleep` step; to pause, write `wait 1d`"),
    (Place::Step, "pause", "there is no `pause` step; to pause, write `wait 1d`"),
    (Place::Step, "jump", "there is no `jump` step; to go to another stage, write `goto STAGE`"),
    (Place::Step, "go", "there is no `go` step; to go to another stage, write `goto STAGE`"),
    (Place::Step, "next", "there is no `next` step; to go to another stage, write `goto STAGE`"),
    (Place::Step, "stop", "there is no `stop` step; to leave the journey, write `exit`"),
    (Place::Step, "end", "there is no `end` step; to leave the journey, write `exit`"),
    (Place::Step, "return", "there is no `return` step; to leave the journey, write `exit`"),
    (Place::Step, "break", "there is no `break` step; to leave the journey, write `exit`"),
    (Place::Step, "say", "there is no `say` step; to send a message, declare it and write `send MESSAGE`"),
    (Place::Step, "reply", "a reply belongs in a message (`reply \"Yes\" -> yes`); in a stage, `ask MESSAGE { yes => ... }` waits for it"),
    (Place::Step, "text", "texts belong in a message; declare `message NAME on CHANNEL as CATEGORY { text \"...\" }` and write `send NAME`"),
    (Place::Step, "message", "messages are declared at the top level of a file; in a stage, write `send MESSAGE`"),
    (Place::Step, "switch", "there is no `switch`; write `if ... { } else if ... { } else { }`, or `ask` with one arm per reply"),
    (Place::Step, "match", "there is no `match`; write `if ... { } else if ... { } else { }`, or `ask` with one arm per reply"),
    (Place::Step, "while", "there are no loops; `goto` an earlier stage, with a `wait` on the way"),
    (Place::Step, "loop", "there are no loops; `goto` an earlier stage, with a `wait` on the way"),
    (Place::Step, "repeat", "there are no loops; `goto` an earlier stage, with a `wait` on the way; `ask ... retries N` asks a question again"),
    (Place::Step, "retry", "there is no `retry` step; `ask MESSAGE retries 2 timeout 1d { ... other => ... }` asks again when the answer matches no reply"),
    (Place::Step, "let", "there are no variables; `set FIELD = VALUE` stores a value in a profile field"),
    (Place::Step, "update", "there is no `update` step; `set FIELD = VALUE` stores a value in a profile field"),
    (Place::Step, "log", "there is no `log` step; `track \"NAME\"` records an analytics event"),
    (Place::Step, "emit", "there is no `emit` step; `track \"NAME\"` records an analytics event"),
    (Place::Step, "label", "there is no `label` step; `tag \"NAME\"` labels the contact"),
    (Place::Step, "escalate", "there is no `escalate` step; `handoff \"TEAM\" timeout 1d { ... }` hands the conversation to people"),
    (Place::Step, "transfer", "there is no `transfer` step; `handoff \"TEAM\" timeout 1d { ... }` hands the conversation to people"),
    (Place::Step, "random", "there is no `random` step; `split { 50% => { ... } 50% => { ... } }` divides contacts at random"),
    (Place::Step, "optin", "there is no `optin` step; write `request consent CHANNEL CATEGORY via MESSAGE timeout 1d { granted => ..., declined => ... }`"),
    (Place::Step, "opt_in", "there is no `opt_in` step; write `request consent CHANNEL CATEGORY via MESSAGE timeout 1d { granted => ..., declined => ... }`"),
    (Place::Step, "stage", "stages are written directly inside the journey, not inside another stage"),
    // Journey members.
    (Place::Member, "trigger", "there is no `trigger`; a journey starts with `entry on EVENT`"),
    (Place::Member, "start", "there is no `start`; a journey starts with `entry on EVENT`"),
    (Place::Member, "on", "a journey starts with `entry on EVENT` (`on` needs `entry` before it)"),
    (Place::Member, "filter", "there is no `filter`; `audience EXPRESSION` says who may enter, `entry on EVENT where ...` which events start it"),
    (Place::Member, "segment", "segments are declared at the top level (`segment vip = ...`); in a journey, `audience vip` limits who enters"),
    (Place::Member, "send", "steps go inside a stage: `stage welcome { send MESSAGE }`"),
    (Place::Member, "wait", "steps go inside a stage: `stage welcome { wait 1d }`"),
    (Place::Member, "ask", "steps go inside a stage: `stage welcome { ask MESSAGE timeout 1d { ... } }`"),
    (Place::Member, "step", "steps go inside a stage: `stage welcome { send MESSAGE }`"),
    (Place::Member, "steps", "steps go inside a stage: `stage welcome { send MESSAGE }`"),
    // Policy rules.
    (Place::PolicyRule, "dnd", "do-not-disturb hours are `quiet_hours 21:00..08:00 recipient`"),
    (Place::PolicyRule, "do_not_disturb", "do-not-disturb hours are `quiet_hours 21:00..08:00 recipient`"),
    (Place::PolicyRule, "cap", "caps are `frequency marketing at most 2 per 7d`"),
    (Place::PolicyRule, "rate_limit", "caps are `frequency marketing at most 2 per 7d`"),
    (Place::PolicyRule, "throttle", "caps are `frequency marketing at most 2 per 7d`"),
    (Place::PolicyRule, "timezone", "a time zone belongs to each rule: `quiet_hours 21:00..08:00 recipient` or `... \"Europe/Paris\"`"),
    (Place::PolicyRule, "zone", "a time zone belongs to each rule: `quiet_hours 21:00..08:00 recipient` or `... \"Europe/Paris\"`"),
    // Message elements.
    (Place::Element, "body", "a message's text is `text \"...\"` (`body` is a part of a `template` declaration)"),
    (Place::Element, "header", "a message's heading is `title \"...\"` (`header` is a part of a `template` declaration, or of a `list`)"),
    (Place::Element, "footer", "a message's text is `text \"...\"` (`footer` is a part of a `template` declaration, or of a `list`)"),
    (Place::Element, "quick_reply", "quick replies are `reply \"Title\" -> outcome`"),
    (Place::Element, "link", "a link is `button \"Title\" url \"https://...\"`, or the URL in a `text`"),
    (Place::Element, "url", "a link is `button \"Title\" url \"https://...\"`, or the URL in a `text`"),
    (Place::Element, "menu", "a menu to choose from is `list \"Choose\" { row \"Title\" -> outcome }` (a WhatsApp list message)"),
    (Place::Element, "section", "sections belong in a list: `list \"Choose\" { section \"Title\" { row \"Title\" -> outcome } }`"),
    (Place::Element, "row", "rows belong in a list: `list \"Choose\" { row \"Title\" -> outcome }`"),
    // Inside a list.
    (Place::ListPart, "option", "a choice of a list is `row \"Title\" -> outcome` (or `row \"Title\" \"Description\" -> outcome`)"),
    (Place::ListPart, "reply", "a choice of a list is `row \"Title\" -> outcome`; replies go beside the text, outside the list"),
    (Place::ListPart, "text", "a list's text is the message's `text`, written outside the list; inside it, `header` and `footer` go above and below"),
    (Place::ListPart, "list", "lists do not nest: group a list's rows in `section \"Title\" { ... }`"),
    (Place::ListPart, "button", "a list's button label is written after `list`: `list \"Choose\" { ... }`"),
    (Place::Row, "option", "a choice of a list is `row \"Title\" -> outcome` (or `row \"Title\" \"Description\" -> outcome`)"),
    (Place::Row, "reply", "a choice of a list is `row \"Title\" -> outcome`; replies go beside the text, outside the list"),
    (Place::Row, "section", "sections do not nest: close this one with `}` and start the next"),
    (Place::Row, "header", "a list's header goes in the list, outside its sections"),
    (Place::Row, "footer", "a list's footer goes in the list, outside its sections"),
    (Place::Element, "carousel", "a carousel is several `card { title \"...\" ... }` elements in one message"),
    (Place::Element, "photo", "a picture is `image \"https://...\"`"),
    (Place::Element, "picture", "a picture is `image \"https://...\"`"),
    (Place::Element, "attachment", "an attachment is `file \"https://...\"` (or `image`, `video`, `audio`)"),
    (Place::Element, "document", "a document is `file \"https://...\"`"),
    // Items.
    (Place::Item, "flow", "a flow is a `journey NAME { entry on EVENT ... stage NAME { ... } }`"),
    (Place::Item, "workflow", "a workflow is a `journey NAME { entry on EVENT ... stage NAME { ... } }`"),
    (Place::Item, "campaign", "a campaign is a `journey NAME { ... }`"),
    (Place::Item, "automation", "an automation is a `journey NAME { ... }`"),
    (Place::Item, "include", "other files are read with `import \"./file.journey\"`"),
    (Place::Item, "use", "other files are read with `import \"./file.journey\"`"),
    (Place::Item, "require", "other files are read with `import \"./file.journey\"`"),
    (Place::Item, "const", "there are no constants or variables; contact data is declared in `profile { ... }`"),
    (Place::Item, "let", "there are no constants or variables; contact data is declared in `profile { ... }`"),
    (Place::Item, "var", "there are no constants or variables; contact data is declared in `profile { ... }`"),
    (Place::Item, "fn", "there are no functions; conditions are written where they are used, or named as a `segment`"),
    (Place::Item, "function", "there are no functions; conditions are written where they are used, or named as a `segment`"),
    (Place::Item, "audience", "an audience is named with `segment NAME = EXPRESSION` and used as `audience NAME` in a journey"),
    (Place::Item, "stage", "stages are written inside a `journey NAME { ... }`"),
];

/// The place whose statements a parse error expected, read from the rules pest tried.
fn place_of(positives: &[Rule]) -> Option<Place> {
    let named = |rule: Rule| {
        let name = rule_name(rule);
        name.is_some() && positives.iter().any(|p| rule_name(*p) == name)
    };
    [
        (Rule::step, Place::Step),
        (Rule::journey_member, Place::Member),
        (Rule::policy_rule, Place::PolicyRule),
        (Rule::channel_rule, Place::ChannelRule),
        (Rule::element, Place::Element),
        (Rule::list_part, Place::ListPart),
        // A line of a section starts with `row` only, so pest names the keyword, not the rule.
        (Rule::row_el, Place::Row),
        (Rule::kw_row, Place::Row),
        (Rule::chunk, Place::Item),
    ]
    .into_iter()
    .find(|(rule, _)| named(*rule))
    .map(|(_, place)| place)
}

/// The word at `pos` of `text` when it is the first word of its line (else `None`).
fn first_word(text: &str, pos: usize) -> Option<&str> {
    let before = text.get(..pos)?;
    let line_start = before.rfind(['\n', '\r', ';', '{']).map_or(0, |i| i + 1);
    if !before.get(line_start..)?.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let rest = text.get(pos..)?;
    let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let word = rest.get(..len)?;
    (!word.is_empty() && word.starts_with(|c: char| c.is_ascii_alphabetic())).then_some(word)
}

/// Adds what exists to a syntax error at the first word of a statement: the advice of
/// [`NOT_CONSTRUCTS`] for a word that starts nothing here, else the closest word of
/// [`STARTS`] as "did you mean" with a fix, else the list of what starts a statement here.
/// `place` is the place the error is in, when the caller knows it better than `positives` do
/// (a top-level item, whose error expects only the end of the item before it).
pub fn add_hint(
    diagnostic: Diagnostic,
    text: &str,
    pos: usize,
    positives: &[Rule],
    place: Option<Place>,
    span: Span,
) -> Diagnostic {
    let Some(place) = place.or_else(|| place_of(positives)) else { return diagnostic };
    let Some(word) = first_word(text, pos) else { return diagnostic };
    if let Some((_, _, advice)) = NOT_CONSTRUCTS.iter().find(|(p, w, _)| *p == place && *w == word) {
        return diagnostic.with_help(*advice);
    }
    let starts = STARTS.iter().find(|(p, _)| *p == place).map_or(&[][..], |(_, words)| *words);
    if starts.contains(&word) {
        return diagnostic;
    }
    let word_span = Span::new(span.start(), span.start() + word.len());
    match crate::names::closest(word, starts.iter().copied()) {
        Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")).with_suggestion(
            format!("write `{close}`"),
            word_span,
            close,
        ),
        None => diagnostic.with_help(format!(
            "`{word}` is not {} here; {} start with {}",
            place.what(),
            plural(place),
            crate::names::listed(starts)
        )),
    }
}

fn plural(place: Place) -> &'static str {
    match place {
        Place::Item => "items",
        Place::Member => "journey settings and stages",
        Place::Step => "steps",
        Place::PolicyRule => "policy rules",
        Place::ChannelRule => "channel rules",
        Place::Element => "message elements",
        Place::ListPart => "parts of a list",
        Place::Row => "rows",
    }
}

#[cfg(test)]
mod tests {
    use pest::Parser;

    use super::*;
    use crate::syntax::grammar::JourneyParser;

    /// Where parsing `line` as a statement of `place` fails (`None`: it parses).
    fn fails_at(place: Place, line: &str) -> Option<usize> {
        match JourneyParser::parse(place.entry_rule(), line) {
            Ok(_) => None,
            Err(error) => Some(match error.location {
                pest::error::InputLocation::Pos(pos) => pos,
                pest::error::InputLocation::Span((start, _)) => start,
            }),
        }
    }

    #[test]
    fn every_word_that_starts_a_statement_is_accepted_by_the_grammar_there() {
        for (place, words) in STARTS {
            for word in *words {
                // The word itself is read: the statement fails, if at all, after it.
                let at = fails_at(*place, &format!("{word} "));
                assert!(at.is_none_or(|at| at > 0), "`{word}` does not start {}", place.what());
            }
        }
    }

    #[test]
    fn no_hint_says_that_a_construct_the_grammar_accepts_does_not_exist() {
        for (place, word, _) in NOT_CONSTRUCTS {
            assert_eq!(fails_at(*place, &format!("{word} x")), Some(0), "`{word}` starts {}", place.what());
            let starts = STARTS.iter().find(|(p, _)| p == place).map_or(&[][..], |(_, w)| *w);
            assert!(!starts.contains(word), "`{word}` is both a start and a hint");
        }
    }

    #[test]
    fn the_first_word_of_a_line_is_found_only_at_its_start() {
        assert_eq!(first_word("    wiat 1d", 4), Some("wiat"));
        assert_eq!(first_word("send m; wiat 1d", 8), Some("wiat"));
        assert_eq!(first_word("entry chat_started", 6), None);
        assert_eq!(first_word("  1d", 2), None);
    }
}
