//! Parsing: source text to AST plus diagnostics. Never fails, never panics.
//!
//! 1. [`scan`] cuts the file into top-level items and balances braces (linear, no pest).
//! 2. Each item is parsed alone by pest (`grammar/journey.pest`, entry rule `chunk`), so one
//!    broken item never hides the others. A pest failure becomes one diagnostic for that item.
//! 3. [`lower`] turns the pairs into the AST; inside blocks, the grammar's recovery lines are
//!    re-parsed alone so each broken statement gets its own precise diagnostic.

pub mod errors;
pub mod expected;
pub mod grammar;
pub mod hints;
pub mod literals;
pub mod lower;
pub mod pieces;
pub mod scan;

use pest::Parser;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::limits::PARSER_CALL_BUDGET;
use crate::span::FileId;
use errors::{syntax_error, ParseSite};
use grammar::{JourneyParser, Rule};

/// The result of parsing one file: whatever could be understood, and what could not.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub ast: ast::File,
    /// Sorted, and at most `limits::MAX_DIAGNOSTICS_PER_FILE` (without the note on how many were
    /// not: [`crate::check_file`] adds it).
    pub diagnostics: Vec<Diagnostic>,
    /// How many more were reported past the cap (most never built: see [`crate::diagnostic::Collector`]).
    pub unshown: usize,
}

/// Parses one file. Never fails and never panics: every problem is a diagnostic, and every item
/// that parsed is in the tree even when others did not.
pub fn parse(file: FileId, text: &str) -> Parsed {
    parse_with_pieces_above(file, text, pieces::SPLIT_ABOVE)
}

/// [`parse`], with journeys larger than `split_above` bytes parsed in pieces ([`pieces`]).
/// `usize::MAX` parses every item whole; tests compare the two.
pub fn parse_with_pieces_above(file: FileId, text: &str, split_above: usize) -> Parsed {
    set_parser_budget();
    let scan = scan::scan(file, text);
    let mut diagnostics = scan.diagnostics;
    let mut items = Vec::new();
    for chunk in &scan.chunks {
        if chunk.too_deep {
            continue;
        }
        let chunk_text = chunk.parse_text(text);
        if let Some((journey, found)) =
            pieces::journey_in_pieces(file, chunk, &chunk_text, &scan.unterminated, split_above)
        {
            items.push(journey);
            diagnostics.append(found);
            continue;
        }
        match JourneyParser::parse(Rule::chunk, &chunk_text.text) {
            Ok(pairs) => {
                let mut lowerer = lower::Lowerer::new(file, &chunk_text, &scan.unterminated);
                lowerer.diagnostics = diagnostics.child();
                lowerer.chunk(pairs, &mut items);
                diagnostics.append(lowerer.diagnostics);
            }
            // The error lies in this item: past the cap, it is counted and not worded.
            Err(_) if !diagnostics.wants(file, chunk.range.start) => {}
            Err(error) => {
                let site = ParseSite {
                    file,
                    text: &chunk_text.text,
                    offset_in_chunk: 0,
                    chunk: &chunk_text,
                    end_name: if chunk.range.end == text.len() { "end of file" } else { "end of item" },
                };
                let diagnostic = syntax_error(&site, &error);
                let at = diagnostic.primary.span.start;
                if !scan::inside_any(&scan.unterminated, at) {
                    diagnostics.push(diagnostic);
                }
            }
        }
    }
    let (diagnostics, unshown) = diagnostics.into_parts();
    Parsed { ast: ast::File { items }, diagnostics, unshown: unshown.into_values().sum() }
}

fn set_parser_budget() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| pest::set_call_limit(std::num::NonZeroUsize::new(PARSER_CALL_BUDGET)));
}
