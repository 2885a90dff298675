//! The formatter (`journey fmt`, and the language server's formatting): one canonical layout.
//!
//! Pure like the rest of the compiler: text in, text out. The layout:
//!
//! - two spaces of indentation per open `{`; `{` stays on the line it was written on;
//! - one blank between tokens, none inside brackets (`consent(sms, marketing)`, `[pro, free]`,
//!   `set<text>`), before `,` `;` `:` `?` or around `..` (`mon..fri 09:00..18:00`), and none after
//!   a prefix `-`; `{}` for an empty block;
//! - line breaks stay where the author put them, since they separate statements; a block that
//!   spans lines ends the line of its `{`, starts the line of its `}` and has one statement per
//!   line (`;` between them becomes a line break); a block written on one line stays on one line;
//! - `} else` on one line unless comments stand between them;
//! - at most one empty line in a row, none at the start or end of a block or the file;
//! - the types of fields, the arrows of arms, the `=` of segments and template parameters, the
//!   `{` of event fields, and trailing comments are aligned in runs of lines (`align`);
//! - names, keywords, numbers, strings and comments are written exactly as they are (comments
//!   without trailing blanks), and lines end with a line feed.
//!
//! Only a file without syntax errors is formatted: the layout comes from the parse tree
//! (`tokens`), which must be whole. The result is checked before it is returned, as Black checks
//! its own: it must parse without errors to the same tree (compared as S-expressions, which leave
//! spans out) and hold the same characters apart from blanks and `;`. A formatter bug is refused
//! with [`NotFormatted::Unsafe`]; it can never change what a file means.

mod align;
mod layout;
mod tokens;

use crate::ast::sexp::file_to_sexp;
use crate::diagnostic::{Diagnostic, Severity};
use crate::limits::MAX_SOURCE_BYTES;
use crate::line_index::LineIndex;
use crate::span::FileId;
use crate::syntax::parse;

/// Why a text was left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFormatted {
    /// The file has syntax errors (or another error the parser reports, such as a bad literal):
    /// how many, and the first.
    Syntax { errors: usize, first: Box<Diagnostic> },
    /// The text (`formatted: false`), or what formatting would make of it, is larger than a
    /// source file may be.
    TooLarge { bytes: usize, formatted: bool },
    /// The formatted text would not read back as the same file. Always a bug in the formatter,
    /// caught before it could change a file.
    Unsafe { why: String },
}

impl NotFormatted {
    /// Why, in words, for a message that names the file (lower case, no final period). `text` is
    /// the text that was given to [`format`], for the position of a syntax error.
    pub fn describe(&self, text: &str) -> String {
        match self {
            NotFormatted::Syntax { errors, first } => {
                let at = LineIndex::new(text).line_col_chars(text, first.primary.span.start());
                let count = if *errors == 1 { "a syntax error".to_owned() } else { format!("{errors} syntax errors") };
                let which = if *errors == 1 { "" } else { "the first " };
                format!("it has {count} ({which}at line {}, column {}: {})", at.line + 1, at.col + 1, first.message)
            }
            NotFormatted::TooLarge { bytes, formatted } => {
                let what = if *formatted { "formatted, it would be" } else { "it is" };
                format!("{what} {bytes} bytes, more than the {MAX_SOURCE_BYTES} a file may have")
            }
            NotFormatted::Unsafe { why } => {
                format!("the formatter could not keep its meaning ({why}); this is a bug in journey, please report it")
            }
        }
    }
}

/// `text` in the canonical layout. `Ok` with the same text when it is formatted already.
pub fn format(text: &str) -> Result<String, NotFormatted> {
    if text.len() > MAX_SOURCE_BYTES {
        return Err(NotFormatted::TooLarge { bytes: text.len(), formatted: false });
    }
    let before = parse(FileId(0), text);
    if let Some(first) = before.diagnostics.iter().find(|d| d.severity == Severity::Error) {
        let errors = before.diagnostics.iter().filter(|d| d.severity == Severity::Error).count() + before.unshown;
        return Err(NotFormatted::Syntax { errors, first: Box::new(first.clone()) });
    }
    let tokens = tokens::read(text).map_err(|tokens::Unreadable(why)| NotFormatted::Unsafe { why })?;
    let formatted = align::render(&layout::lines(&tokens));
    if formatted == text {
        return Ok(formatted);
    }
    if formatted.len() > MAX_SOURCE_BYTES {
        return Err(NotFormatted::TooLarge { bytes: formatted.len(), formatted: true });
    }
    if without_blanks(text).ne(without_blanks(&formatted)) {
        return Err(NotFormatted::Unsafe { why: "a token would change".to_owned() });
    }
    let after = parse(FileId(0), &formatted);
    if after.diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(NotFormatted::Unsafe { why: "the result would not parse".to_owned() });
    }
    if file_to_sexp(&before.ast) != file_to_sexp(&after.ast) {
        return Err(NotFormatted::Unsafe { why: "the result would parse to another tree".to_owned() });
    }
    Ok(formatted)
}

/// The characters the formatter must keep, in order: all but blanks, line breaks and `;`.
fn without_blanks(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r' | ';'))
}
