//! Tokens to lines: where lines break, how deep each is indented, and where single blanks go.
//!
//! The author's line breaks are kept, because in this language they are statement separators
//! (as `;` is), so the formatter cannot add or remove one without thinking about meaning. It only
//! adds breaks where a block that already spans lines has a statement on the line of its `{` or
//! `}`, or where `;` or back-to-back arms put two statements on one line of such a block: a break
//! and `;` separate statements alike everywhere a statement can end, so nothing changes but the
//! layout. A block written on one line (`{ tag "hiker"; goto next }`) stays on one line. The one
//! break it removes is between `}` and `else`, which the grammar reads the same either way.
//!
//! Runs of blank lines become one; a block neither starts nor ends with a blank line, nor does
//! the file. Indentation is two spaces per open `{`.

use super::tokens::{Column, Kind, Token};

/// One output line.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// Indentation, in levels of two spaces.
    pub depth: usize,
    /// An empty line comes before this one.
    pub blank_before: bool,
    pub kind: LineKind,
    pub pieces: Vec<Piece<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A comment on a line of its own.
    Comment,
    /// Starts with `}`.
    Closing,
    Code,
}

/// A token on its line, with what comes before it.
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    pub text: &'a str,
    /// One blank before it (never for the first piece of a line).
    pub space: bool,
    /// The blank before it lines up with the same column on neighbouring lines.
    pub column: Option<Column>,
    /// A comment after code on the same line.
    pub trailing_comment: bool,
}

/// Lays out `tokens` as lines.
pub fn lines<'a>(tokens: &[Token<'a>]) -> Vec<Line<'a>> {
    let spans_lines = blocks_spanning_lines(tokens);
    let mut lines: Vec<Line<'a>> = Vec::new();
    // The innermost open blocks: whether each spans lines.
    let mut blocks: Vec<bool> = Vec::new();
    // Index of the current line's first token, while a line is open.
    let mut line_start: Option<usize> = None;
    let mut previous: Option<Kind> = None;
    // The last token of the current line that is not a comment opened a block.
    let mut line_opens_block = false;
    // A `;` was dropped where a line break says the same: the next statement starts a line.
    let mut break_pending = false;

    for (index, token) in tokens.iter().enumerate() {
        let in_block_on_lines = blocks.last().copied().unwrap_or(true);
        if token.kind == Kind::Semi {
            if in_block_on_lines {
                break_pending = true;
                continue;
            }
            // On one line, `;` stays between two statements and goes everywhere else.
            let next = tokens.get(index + 1);
            let between = matches!(previous, Some(kind) if kind != Kind::Open && kind != Kind::Semi)
                && next.is_some_and(|next| next.breaks == 0 && !matches!(next.kind, Kind::Close | Kind::Semi));
            if !between {
                continue;
            }
        }
        if token.kind == Kind::Close {
            blocks.pop();
        }
        let has_content = line_start.is_some();
        let code = token.kind != Kind::Comment;
        let new_line = !has_content
            || token.breaks > 0
            || (code
                && (break_pending
                    || (previous == Some(Kind::Open) && in_block_on_lines)
                    || (token.kind == Kind::Close && in_block_on_lines)
                    || (token.starts_arm && in_block_on_lines)));
        if code {
            break_pending = false;
        }
        if new_line {
            let blank_before = token.breaks >= 2 && !lines.is_empty() && !line_opens_block && token.kind != Kind::Close;
            let kind = match token.kind {
                Kind::Comment => LineKind::Comment,
                Kind::Close => LineKind::Closing,
                _ => LineKind::Code,
            };
            lines.push(Line { depth: blocks.len(), blank_before, kind, pieces: Vec::new() });
            line_start = Some(index);
            line_opens_block = false;
        }
        let first = new_line;
        let column = token.column.filter(|(_, starts_at)| Some(*starts_at) == line_start).map(|(column, _)| column);
        let piece = Piece {
            text: token.text,
            space: !first && previous.is_some_and(|previous| space_between(previous, token.kind)),
            column: if first { None } else { column },
            trailing_comment: !first && token.kind == Kind::Comment,
        };
        if let Some(line) = lines.last_mut() {
            line.pieces.push(piece);
        }
        if code {
            line_opens_block = token.kind == Kind::Open;
        }
        if token.kind == Kind::Open {
            blocks.push(spans_lines.get(index).copied().unwrap_or(true));
        }
        previous = Some(token.kind);
    }
    lines
}

/// Whether one blank separates two tokens on a line: none inside brackets, before `,` `;` `?`
/// `:`, around `..`, after a prefix `-` and between a name and its arguments.
fn space_between(previous: Kind, next: Kind) -> bool {
    use Kind::*;
    match (previous, next) {
        (_, Comment) => true,
        (Open, Close) => false,
        (Open, _) | (_, Close) => true,
        (
            _,
            Comma | Semi | Question | Colon | CloseParen | CloseBracket | OpenAngle | CloseAngle | OpenCall | DotDot,
        ) => false,
        (OpenParen | OpenCall | OpenBracket | OpenAngle | Minus | DotDot, _) => false,
        _ => true,
    }
}

/// For each token, whether it is a `{` whose block spans lines in the source (its `}`, or
/// something before it, starts a later line). Unmatched braces count as spanning lines.
fn blocks_spanning_lines(tokens: &[Token<'_>]) -> Vec<bool> {
    let mut spans = vec![false; tokens.len()];
    // Open braces: their index, and the number of line-starting tokens seen when they opened.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut line_starts = 0;
    for (index, token) in tokens.iter().enumerate() {
        if token.breaks > 0 {
            line_starts += 1;
        }
        match token.kind {
            Kind::Open => open.push((index, line_starts)),
            Kind::Close => {
                if let Some((at, before)) = open.pop() {
                    if let Some(slot) = spans.get_mut(at) {
                        *slot = line_starts > before;
                    }
                }
            }
            _ => {}
        }
    }
    for (at, _) in open {
        if let Some(slot) = spans.get_mut(at) {
            *slot = true;
        }
    }
    spans
}
