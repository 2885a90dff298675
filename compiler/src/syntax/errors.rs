//! Turning a pest error into a [`Diagnostic`] written in words.
//!
//! pest's own `Display` (rule names, its own line numbers) is never shown. We take the error's
//! byte position and expected rules, name the rules with [`super::expected`], describe what was
//! found instead, and add help for the slips people actually make.

use super::expected::{describe_expected, rule_name};
use super::grammar::Rule;
use super::scan::ChunkText;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span};

/// Where a parse ran: which text, where it sits in its chunk, and what its end means.
pub struct ParseSite<'a> {
    pub file: FileId,
    /// The text pest parsed: a whole chunk, or one recovery line of it.
    pub text: &'a str,
    /// Offset of `text` inside the chunk's parse text.
    pub offset_in_chunk: usize,
    pub chunk: &'a ChunkText<'a>,
    /// What reaching the end of `text` means to a user.
    pub end_name: &'static str,
}

impl ParseSite<'_> {
    fn file_offset(&self, pos: usize) -> usize {
        self.chunk.file_offset(self.offset_in_chunk + pos)
    }
}

pub fn syntax_error(site: &ParseSite<'_>, error: &pest::error::Error<Rule>) -> Diagnostic {
    let pos = match error.location {
        pest::error::InputLocation::Pos(pos) => pos,
        pest::error::InputLocation::Span((start, _)) => start,
    };
    let (found, token_len) = describe_found(site.text, pos, site.end_name);
    let start = site.file_offset(pos);
    let span = Span::new(start, site.file_offset(pos + token_len).max(start));
    match &error.variant {
        pest::error::ErrorVariant::CustomError { message } => {
            let kind = if message.contains("stack") { "nesting" } else { "backtracking" };
            Diagnostic::new(Code::J0115, "this item is too complex to parse", site.file, span)
                .with_label(format!("the parser gave up here ({message})"))
                .with_note(format!("the parser's {kind} budget protects against inputs that would take too long"))
                .with_help("split the item into smaller ones, for example a long chain of `else if` into stages")
        }
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            // A step is chosen by its first letter, so pest names only `exit` when a line starts
            // with `else`; what was expected there is any step.
            let stray_else = found == "`else`" && positives.contains(&Rule::kw_exit);
            let expected =
                if stray_else { rule_name(Rule::step).map(str::to_owned) } else { describe_expected(positives) };
            let expected = expected.unwrap_or_else(|| "something else".to_owned());
            let mut diagnostic =
                Diagnostic::new(Code::J0101, format!("expected {expected}, found {found}"), site.file, span)
                    .with_label(format!("expected {}", shorten(&expected)));
            diagnostic = add_slip_help(diagnostic, site, pos, positives, span);
            // An item's parse that stops at a word at the start of a line, expecting only the
            // end of the item, stopped at a top-level word that starts no item.
            let at_line_start = pos == 0 || site.text.get(..pos).is_some_and(|t| t.ends_with(['\n', '\r']));
            let item = (positives.as_slice() == [Rule::EOI] && at_line_start).then_some(super::hints::Place::Item);
            if item.is_some() {
                // "expected end of line" is true of the item before; what the word needed to be
                // is an item.
                let expected = rule_name(Rule::chunk).unwrap_or("an item");
                diagnostic =
                    Diagnostic::new(Code::J0101, format!("expected {expected}, found {found}"), site.file, span)
                        .with_label("not an item");
            }
            if diagnostic.help.is_none() {
                diagnostic = super::hints::add_hint(diagnostic, site.text, pos, positives, item, span);
            }
            diagnostic
        }
    }
}

/// Labels are read next to the source; a long alternative list is already in the message.
fn shorten(expected: &str) -> String {
    if expected.len() > 60 {
        "something else here".to_owned()
    } else {
        expected.to_owned()
    }
}

/// Describes the token at `pos` ("`welcom`", "end of line") and its length in bytes.
pub fn describe_found(text: &str, pos: usize, end_name: &str) -> (String, usize) {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (end_name.to_owned(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("end of line".to_owned(), 0);
    }
    if first == '"' {
        let len = rest.get(1..).and_then(|r| r.find('"')).map_or(1, |i| i + 2);
        let len = rest.get(..len).and_then(|s| s.find('\n')).unwrap_or(len);
        return ("a string".to_owned(), len);
    }
    let word_len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' && first.is_ascii_digit()))
            .unwrap_or(rest.len())
    } else {
        const PAIRS: [&str; 10] = ["->", "=>", "==", "!=", "<=", ">=", "??", "..", "//", "%"];
        PAIRS.iter().find(|p| rest.starts_with(**p)).map_or(first.len_utf8(), |p| p.len())
    };
    let token = rest.get(..word_len).unwrap_or("");
    if let Some(name) = special_char_name(first) {
        return (format!("{name} (U+{:04X})", u32::from(first)), first.len_utf8());
    }
    // The span covers the whole token; the message quotes its start, so a megabyte-long word
    // does not make a megabyte-long message in every output format.
    if token.len() > MAX_QUOTED_TOKEN {
        let shown: String = token.chars().take(MAX_QUOTED_TOKEN).collect();
        return (format!("`{shown}…`"), word_len);
    }
    (format!("`{token}`"), word_len)
}

/// Longest token quoted whole in a message, in bytes (tokens quoted here are ASCII words, so also
/// in characters); longer ones are cut with `…`.
const MAX_QUOTED_TOKEN: usize = 40;

/// Characters that look like nothing or like something else, named so users can find them.
fn special_char_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' => "a no-break space",
        '\u{200B}' => "a zero-width space",
        '\u{200C}' => "a zero-width non-joiner",
        '\u{200D}' => "a zero-width joiner",
        '\u{2060}' => "a word joiner",
        '\u{FEFF}' => "a byte-order mark",
        '\u{3000}' => "an ideographic space",
        '\u{2000}'..='\u{200A}' => "a typographic space",
        '\u{201C}' | '\u{201D}' => "a curly double quote",
        '\u{2018}' | '\u{2019}' => "a curly single quote",
        '\u{2013}' | '\u{2014}' => "a dash",
        '\u{FFFD}' => "a replacement character",
        _ => return None,
    })
}

fn add_slip_help(
    mut diagnostic: Diagnostic,
    site: &ParseSite<'_>,
    pos: usize,
    positives: &[Rule],
    span: Span,
) -> Diagnostic {
    let rest = site.text.get(pos..).unwrap_or("");
    let expects = |rule: Rule| positives.contains(&rule);
    let expects_operator = expects(Rule::binop) || expects(Rule::op_start);
    if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") && expects_operator {
        diagnostic = diagnostic.with_help("to compare two values, write `==`").with_suggestion(
            "replace `=` with `==`",
            Span::new(span.start(), span.start() + 1),
            "==",
        );
    } else if rest.starts_with('\'') {
        diagnostic = diagnostic.with_help("strings are written in double quotes: \"like this\"");
    } else if rest.starts_with(['\u{201C}', '\u{201D}']) {
        diagnostic = diagnostic.with_help("strings are written in straight double quotes `\"`").with_suggestion(
            "replace the curly quote with `\"`",
            span,
            "\"",
        );
    } else if rest.starts_with(':') && (expects(Rule::step_block) || expects(Rule::lbrace)) {
        diagnostic = diagnostic.with_help("blocks are written in braces: `stage welcome { ... }`");
    } else if rest.starts_with("else") && (expects(Rule::step) || expects(Rule::kw_exit)) {
        diagnostic = diagnostic.with_help("`else` belongs right after the `}` of an `if` block");
    } else if expects(Rule::duration) {
        diagnostic = duration_help(diagnostic, rest, span);
    } else if site.text.get(..pos).is_some_and(|before| before.trim() == "row")
        && rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    {
        // `row small "Small"`: the outcome written first, as a name.
        diagnostic = diagnostic.with_help(
            "a row is its title, an optional description, then its outcome: `row \"Small\" \"Chest 86-91 cm\" -> small`",
        );
    } else if let Some(c) = rest
        .chars()
        .next()
        .filter(|c| special_char_name(*c).is_some() && c.is_whitespace() || *c == '\u{200B}' || *c == '\u{FEFF}')
    {
        diagnostic = diagnostic.with_help("replace it with an ordinary space").with_safe_suggestion(
            "replace with a space",
            Span::new(span.start(), span.start() + c.len_utf8()),
            " ",
        );
    }
    diagnostic
}

/// `wait 2 days` -> "write the unit right after the number: `2d`".
fn duration_help(diagnostic: Diagnostic, rest: &str, span: Span) -> Diagnostic {
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return diagnostic.with_help("durations are a whole number and a unit: `45s`, `30m`, `1h`, `2d` or `1w`");
    }
    let after = rest.get(digits.len()..).unwrap_or("").trim_start_matches([' ', '\t']);
    let word: String = after.chars().take_while(char::is_ascii_alphabetic).collect();
    let unit = match word.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        "w" | "wk" | "week" | "weeks" => "w",
        _ => return diagnostic.with_help("durations are a whole number and a unit: `45s`, `30m`, `1h`, `2d` or `1w`"),
    };
    let written_len = rest.len() - after.len() + word.len();
    let fixed = format!("{digits}{unit}");
    diagnostic.with_help(format!("write the unit right after the number: `{fixed}`")).with_safe_suggestion(
        format!("write `{fixed}`"),
        Span::new(span.start(), span.start() + written_len),
        fixed,
    )
}
