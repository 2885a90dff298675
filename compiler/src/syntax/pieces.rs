//! A large journey parsed in pieces: its first line, runs of whole member lines, its last line.
//!
//! pest builds one token queue per parse. A journey is one top-level item, so parsing it whole
//! builds one queue for the whole journey: tens of megabytes for 10,000 stages, which glibc maps
//! and unmaps on every parse and the kernel zeroes page by page. That memory traffic made
//! branch-heavy files slower per instruction than the rest. In pieces of about [`PIECE_BYTES`],
//! each queue is small and reused.
//!
//! The pieces read exactly what the `journey` rule reads: they are cut only at lines that start
//! at block depth 1 (the scanner lists them; a member never spans such a line), and the entry
//! rules `journey_head`, `journey_body` and `journey_tail` are the `journey` rule's parts. Any
//! doubt (synthetic closers, a member on the `{` line, a piece that does not parse) falls back to
//! parsing the item whole, and a test compares both ways on every example and fixture.

use pest::Parser;

use super::grammar::{JourneyParser, Rule};
use super::lower::Lowerer;
use super::scan::{Chunk, ChunkText};
use crate::ast::{Item, Journey};
use crate::diagnostic::Collector;
use crate::span::{FileId, Span};

/// Journeys larger than this are parsed in pieces (below it one parse costs less).
pub const SPLIT_ABOVE: usize = 64 * 1024;

/// About how much text one piece holds.
pub const PIECE_BYTES: usize = 16 * 1024;

/// The journey in `chunk`, parsed in pieces, with its diagnostics; `None` when the chunk is not
/// a journey that can be cut (the caller then parses it whole).
pub fn journey_in_pieces(
    file: FileId,
    chunk: &Chunk,
    chunk_text: &ChunkText<'_>,
    unterminated: &[Span],
    split_above: usize,
) -> Option<(Item, Collector)> {
    let text: &str = &chunk_text.text;
    // Synthetic closers shift offsets and mean the braces were broken: parse those whole.
    if text.len() <= split_above || !chunk.insertions.is_empty() || chunk.missing_closers > 0 {
        return None;
    }
    let base = chunk.range.start;
    let lines: Vec<usize> = chunk.member_lines.iter().filter_map(|line| line.checked_sub(base)).collect();
    let (&first, &last) = (lines.first()?, lines.last()?);
    if last <= first {
        return None;
    }
    let head = JourneyParser::parse(Rule::journey_head, text.get(..first)?).ok()?;
    let tail_text = text.get(last..)?;
    JourneyParser::parse(Rule::journey_tail, tail_text).ok()?;

    let mut lowerer = Lowerer::new(file, chunk_text, unterminated);
    let (name, start) = lowerer.journey_head(head)?;
    let mut members = Vec::new();
    let mut piece_start = first;
    for &line in lines.iter().skip(1) {
        if line - piece_start < PIECE_BYTES && line != last {
            continue;
        }
        let body = JourneyParser::parse(Rule::journey_body, text.get(piece_start..line)?).ok()?;
        lowerer.set_offset(piece_start);
        lowerer.journey_body(body, &mut members);
        piece_start = line;
    }
    let close = last + tail_text.find('}')?;
    let end = lowerer.file_offset(close + 1);
    let journey = Journey { name, members, span: Span::new(start, end) };
    Some((Item::Journey(journey), lowerer.diagnostics))
}
