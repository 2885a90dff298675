//! Message text as a sequence of words, for the wording rules (opt-out instructions,
//! unsubscribe links, promotional content).
//!
//! Only the literal parts of a text are read: a `{field}` becomes a [`Token::Field`] that no
//! word pattern can match across, so a rule is satisfied by what the author wrote, never by a
//! value that may or may not arrive at run time.

use crate::ast::{Path, Template, TemplatePart};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// A run of letters and digits, lower-cased; a number keeps its inner `.` and `,` (`10.50`).
    Word(String),
    /// Any other visible character (`%`, `$`, `:`); quotes are dropped (see [`tokens`]).
    Symbol(char),
    /// An interpolated field.
    Field(&'a Path),
}

impl Token<'_> {
    pub fn word(&self) -> Option<&str> {
        match self {
            Token::Word(w) => Some(w),
            _ => None,
        }
    }

    pub fn is_word(&self, words: &[&str]) -> bool {
        self.word().is_some_and(|w| words.contains(&w))
    }

    /// A number: digits, possibly with a decimal or thousands separator.
    pub fn is_number(&self) -> bool {
        self.word().is_some_and(|w| {
            w.starts_with(|c: char| c.is_ascii_digit()) && w.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        })
    }
}

/// Quote marks, straight and typographic: `Reply "STOP"` reads as `Reply STOP`.
const QUOTES: &[char] = &['"', '\'', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{00AB}', '\u{00BB}', '`'];

/// The tokens of one text.
pub fn tokens(template: &Template) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for part in &template.parts {
        match part {
            TemplatePart::Literal(text) => literal_tokens(text, &mut out),
            TemplatePart::Field { path, .. } => out.push(Token::Field(path)),
        }
    }
    out
}

fn literal_tokens<'a>(text: &str, out: &mut Vec<Token<'a>>) {
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let inner_separator = (c == '.' || c == ',')
            && word.chars().last().is_some_and(|l| l.is_ascii_digit())
            && chars.peek().is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || inner_separator {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            out.push(Token::Word(std::mem::take(&mut word)));
        }
        if !c.is_whitespace() && !QUOTES.contains(&c) {
            out.push(Token::Symbol(c));
        }
    }
    if !word.is_empty() {
        out.push(Token::Word(word));
    }
}

/// Whether `word` (lower case) appears as a whole word in the literal text.
pub fn has_word(tokens: &[Token<'_>], word: &str) -> bool {
    tokens.iter().any(|t| t.word() == Some(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    pub(crate) fn text(s: &str) -> Template {
        Template { parts: vec![TemplatePart::Literal(s.to_owned())], span: Span::default() }
    }

    #[test]
    fn words_are_lower_cased_and_numbers_keep_their_separators() {
        let t = text("Save $10.50 — “STOP” don't");
        let words: Vec<Token<'_>> = tokens(&t);
        assert_eq!(
            words,
            vec![
                Token::Word("save".into()),
                Token::Symbol('$'),
                Token::Word("10.50".into()),
                Token::Symbol('—'),
                Token::Word("stop".into()),
                Token::Word("don".into()),
                Token::Word("t".into()),
            ]
        );
        assert!(words.get(2).is_some_and(Token::is_number));
    }

    #[test]
    fn a_sentence_full_stop_after_a_number_is_not_part_of_it() {
        assert_eq!(
            tokens(&text("in 10.")),
            vec![Token::Word("in".into()), Token::Word("10".into()), Token::Symbol('.')]
        );
    }
}
