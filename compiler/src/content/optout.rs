//! Opt-out instructions in marketing texts (CTIA-STOP, TCPA-REV), as data.
//!
//! A marketing text must tell the contact how to stop: an *instruction* naming one of the
//! opt-out keywords its channel declares (`keywords STOP, END, ...`), as a whole word. A keyword
//! inside another word ("nonstop deals", "stopwatch") or outside an instruction ("don't stop")
//! tells nobody how to opt out. Two forms are instructions:
//!
//! - a verb, then the keyword: "Reply STOP", "Text UNSUBSCRIBE to stop", "reply with END";
//! - the keyword, "to", then what it does: "STOP to opt out", "STOP to end", "QUIT to cancel".
//!
//! Words are compared case-insensitively, in the literal text only (see `content::words`).

use super::words::Token;

/// The rules this table follows.
pub const SOURCE: &str = "CTIA-STOP, TCPA-REV";

/// Keywords a channel may declare that do not opt out: HELP answers with program information
/// (CTIA-STOP), INFO is its common synonym.
pub const NOT_OPT_OUT: &[&str] = &["HELP", "INFO"];

/// Verbs that introduce the keyword: "Reply STOP", "Text STOP", "txt STOP", "Send STOP".
pub const VERBS: &[&str] = &["reply", "respond", "text", "txt", "send", "msg", "message", "sms"];

/// Words allowed between the verb and the keyword: "reply with STOP", "text back STOP",
/// "reply with the word STOP".
pub const FILLERS: &[&str] = &["with", "back", "the", "word"];

/// What a keyword followed by "to" does: "STOP to opt out", "END to unsubscribe".
pub const PURPOSES: &[&str] =
    &["opt", "optout", "stop", "end", "cancel", "unsubscribe", "quit", "revoke", "leave", "remove", "unsub"];

/// The keywords of a channel that opt out, in declaration order.
pub fn opt_out_keywords(declared: &[String]) -> Vec<&str> {
    declared.iter().map(String::as_str).filter(|k| !NOT_OPT_OUT.iter().any(|n| n.eq_ignore_ascii_case(k))).collect()
}

/// The first keyword of `keywords` (any case) that `tokens` give as an opt-out instruction.
pub fn instruction<'k>(tokens: &[Token<'_>], keywords: &[&'k str]) -> Option<&'k str> {
    let keyword_at = |i: usize| -> Option<&'k str> {
        let word = tokens.get(i)?.word()?;
        keywords.iter().copied().find(|k| k.eq_ignore_ascii_case(word))
    };
    for (i, token) in tokens.iter().enumerate() {
        // Verb, fillers, keyword.
        if token.is_word(VERBS) {
            let mut next = i + 1;
            while tokens.get(next).is_some_and(|t| t.is_word(FILLERS)) {
                next += 1;
            }
            if let Some(keyword) = keyword_at(next) {
                return Some(keyword);
            }
        }
        // Keyword, "to", purpose.
        if let Some(keyword) = keyword_at(i) {
            let to = tokens.get(i + 1).is_some_and(|t| t.is_word(&["to"]));
            if to && tokens.get(i + 2).is_some_and(|t| t.is_word(PURPOSES)) {
                return Some(keyword);
            }
        }
    }
    None
}

/// Keywords that appear as whole words but not in an instruction, for saying why the text
/// does not count.
pub fn mentioned<'k>(tokens: &[Token<'_>], keywords: &[&'k str]) -> Vec<&'k str> {
    keywords
        .iter()
        .copied()
        .filter(|k| tokens.iter().any(|t| t.word().is_some_and(|w| k.eq_ignore_ascii_case(w))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Template, TemplatePart};
    use crate::content::words::tokens;
    use crate::span::Span;

    const SMS: &[&str] = &["STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "REVOKE", "OPTOUT"];

    fn finds(text: &str) -> Option<&'static str> {
        let t = Template { parts: vec![TemplatePart::Literal(text.to_owned())], span: Span::default() };
        instruction(&tokens(&t), SMS)
    }

    #[test]
    fn instructions_with_any_declared_opt_out_keyword_are_found() {
        assert_eq!(finds("20% off today. Reply STOP to opt out"), Some("STOP"));
        assert_eq!(finds("Text UNSUBSCRIBE to stop"), Some("UNSUBSCRIBE"));
        assert_eq!(finds("reply END to unsubscribe"), Some("END"));
        assert_eq!(finds("Sale ends soon. STOP to end"), Some("STOP"));
        assert_eq!(finds("Reply HELP for help, STOP to cancel."), Some("STOP"));
        assert_eq!(finds("Reply \"QUIT\" at any time"), Some("QUIT"));
        assert_eq!(finds("To opt out, reply with the word cancel"), Some("CANCEL"));
        assert_eq!(finds("STOP to opt-out"), Some("STOP"));
    }

    #[test]
    fn a_keyword_inside_a_word_or_outside_an_instruction_is_not_an_instruction() {
        assert_eq!(finds("nonstop deals all week"), None);
        assert_eq!(finds("new stopwatch in stock"), None);
        assert_eq!(finds("don't stop running"), None);
        assert_eq!(finds("stop by our store"), None);
        assert_eq!(finds("the end of the sale"), None);
        assert_eq!(finds("Reply HELP for help"), None);
    }

    #[test]
    fn help_is_not_an_opt_out_keyword() {
        let declared: Vec<String> = ["STOP", "HELP", "UNSUBSCRIBE", "info"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(opt_out_keywords(&declared), vec!["STOP", "UNSUBSCRIBE"]);
    }

    #[test]
    fn a_keyword_in_a_field_is_not_read() {
        use crate::ast::{Ident, Path, Segments};
        let path = Path {
            segments: Segments::One(Ident { name: "keyword".into(), span: Span::default() }),
            span: Span::default(),
        };
        let t = Template {
            parts: vec![
                TemplatePart::Literal("Reply ".into()),
                TemplatePart::Field { path, fallback: None, span: Span::default() },
                TemplatePart::Literal(" to opt out".into()),
            ],
            span: Span::default(),
        };
        assert_eq!(instruction(&tokens(&t), SMS), None);
    }
}
