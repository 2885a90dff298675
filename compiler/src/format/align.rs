//! Lines to text, with columns lined up the way `gofmt` lines up struct fields and comments.
//!
//! The project's own files align the types of profile fields, the arrows of outcome arms, the
//! `=` of segments, the `{` of event fields and trailing comments; the formatter does the same,
//! computed rather than kept, so there is one layout. Two kinds of run are aligned:
//!
//! - *Entries*: consecutive lines of one block that start the same kind of entry (fields, arms,
//!   segments, events, template parameters) put that entry's column one blank past the widest.
//!   Comment lines and the lines of a nested block (an arm's `{ ... }` body) do not interrupt a
//!   run; an empty line or any other line does.
//! - *Trailing comments*: consecutive lines of one depth that end with a comment start it in one
//!   column. Comment lines do not interrupt the run; an empty line, a line without a comment or
//!   a line of another depth does.
//!
//! A line too wide to align ([`MAX_ENTRY_COLUMN`], [`MAX_COMMENT_COLUMN`]) is left out of its run
//! and interrupts it, so one long line never pushes a whole block to the right, and padding stays
//! a bounded amount per line.

use super::layout::{Line, LineKind};
use super::tokens::Column;

/// Entries whose column would start further right than this are not aligned.
pub const MAX_ENTRY_COLUMN: usize = 48;

/// Trailing comments that would start further right than this are not aligned.
pub const MAX_COMMENT_COLUMN: usize = 100;

const INDENT: &str = "  ";

/// The text of `lines`: each ends with a line feed.
pub fn render(lines: &[Line<'_>]) -> String {
    let mut padding: Vec<(usize, usize)> = vec![(0, 0); lines.len()];
    align_entries(lines, &mut padding);
    align_comments(lines, &mut padding);
    let mut out = String::new();
    for (line, (entry_pad, comment_pad)) in lines.iter().zip(padding) {
        if line.blank_before {
            out.push('\n');
        }
        for _ in 0..line.depth {
            out.push_str(INDENT);
        }
        let mut entry_padded = false;
        for piece in &line.pieces {
            if piece.space {
                out.push(' ');
            }
            if piece.column.is_some() && !entry_padded {
                entry_padded = true;
                push_blanks(&mut out, entry_pad);
            }
            if piece.trailing_comment {
                push_blanks(&mut out, comment_pad);
            }
            out.push_str(piece.text);
        }
        out.push('\n');
    }
    out
}

fn push_blanks(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

/// Width in characters of the indentation and the pieces before `end`, with their blanks.
fn width_before(line: &Line<'_>, end: usize) -> usize {
    let pieces = line.pieces.iter().take(end);
    line.depth * INDENT.len() + pieces.map(|piece| usize::from(piece.space) + piece.text.chars().count()).sum::<usize>()
}

/// The entry column of a line: its kind and how wide the line is up to it.
fn entry_of(line: &Line<'_>) -> Option<(Column, usize)> {
    if line.kind != LineKind::Code {
        return None;
    }
    let (at, column) = line.pieces.iter().enumerate().find_map(|(i, piece)| piece.column.map(|column| (i, column)))?;
    let width = width_before(line, at);
    (width < MAX_ENTRY_COLUMN).then_some((column, width))
}

/// A run of lines whose entry column lines up: their depth, the column's kind, and each line
/// with its width up to the column.
struct Run {
    depth: usize,
    column: Column,
    lines: Vec<(usize, usize)>,
}

fn align_entries(lines: &[Line<'_>], padding: &mut [(usize, usize)]) {
    // Open runs, innermost last, at most one per depth.
    let mut runs: Vec<Run> = Vec::new();
    let finish = |run: Run, padding: &mut [(usize, usize)]| {
        let widest = run.lines.iter().map(|(_, width)| *width).max().unwrap_or(0);
        for (index, width) in run.lines {
            if let Some(pad) = padding.get_mut(index) {
                pad.0 = widest - width;
            }
        }
    };
    for (index, line) in lines.iter().enumerate() {
        if line.blank_before {
            while let Some(run) = runs.pop() {
                finish(run, padding);
            }
        }
        if line.kind == LineKind::Comment {
            continue;
        }
        while runs.last().is_some_and(|run| run.depth > line.depth) {
            if let Some(run) = runs.pop() {
                finish(run, padding);
            }
        }
        if line.kind == LineKind::Closing {
            continue;
        }
        let entry = entry_of(line);
        let same_depth = runs.last().is_some_and(|run| run.depth == line.depth);
        let continues =
            same_depth && entry.is_some_and(|(column, _)| runs.last().is_some_and(|run| run.column == column));
        if let (true, Some(run), Some((_, width))) = (continues, runs.last_mut(), entry) {
            run.lines.push((index, width));
            continue;
        }
        if same_depth {
            if let Some(run) = runs.pop() {
                finish(run, padding);
            }
        }
        if let Some((column, width)) = entry {
            runs.push(Run { depth: line.depth, column, lines: vec![(index, width)] });
        }
    }
    while let Some(run) = runs.pop() {
        finish(run, padding);
    }
}

fn align_comments(lines: &[Line<'_>], padding: &mut [(usize, usize)]) {
    let mut run: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0;
    let finish = |run: &mut Vec<(usize, usize)>, padding: &mut [(usize, usize)]| {
        let widest = run.iter().map(|(_, width)| *width).max().unwrap_or(0);
        for (index, width) in run.drain(..) {
            if let Some(pad) = padding.get_mut(index) {
                pad.1 = widest - width;
            }
        }
    };
    for (index, line) in lines.iter().enumerate() {
        if line.kind == LineKind::Comment {
            if line.blank_before {
                finish(&mut run, padding);
            }
            continue;
        }
        if line.blank_before || line.depth != depth {
            finish(&mut run, padding);
        }
        depth = line.depth;
        let comment = line.pieces.iter().position(|piece| piece.trailing_comment);
        let entry_pad = padding.get(index).map_or(0, |pad| pad.0);
        let width = comment.map(|at| width_before(line, at) + entry_pad);
        match width {
            Some(width) if width < MAX_COMMENT_COLUMN => run.push((index, width)),
            _ => finish(&mut run, padding),
        }
    }
    finish(&mut run, padding);
}
