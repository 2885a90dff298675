//! `--format json`: one JSON document with every diagnostic and a summary.
//!
//! The shape is versioned by the top-level `version` field and documented in
//! docs/diagnostics.md. Adding a field keeps the version; renaming, removing or changing the
//! meaning of one bumps it. These structs are the shape: the compiler has no serde.

use std::io::{self, Write};

use journey_compiler::{Applicability, Diagnostic, FileId, Span};
use serde::Serialize;

use crate::files::{FileTable, Position};
use crate::render::Summary;

/// The version of the JSON shape below.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub version: u32,
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
    pub summary: JsonSummary,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// `"J0101"`.
    pub code: &'static str,
    /// `"error"` or `"warning"`.
    pub severity: &'static str,
    pub message: &'a str,
    /// The primary location.
    pub file: &'a str,
    pub span: JsonSpan,
    pub start: JsonPosition,
    pub end: JsonPosition,
    /// The primary label's message (empty when the message says it all).
    pub label: &'a str,
    /// Secondary labels.
    pub labels: Vec<JsonLabel<'a>>,
    pub notes: &'a [String],
    pub help: Option<&'a str>,
    pub suggestions: Vec<JsonSuggestion<'a>>,
}

/// Byte offsets into the file's text (after a UTF-8 byte-order mark, if any, was removed).
#[derive(Debug, Serialize)]
pub struct JsonSpan {
    pub start: usize,
    pub end: usize,
}

/// 1-based line and 1-based column counted in Unicode characters.
#[derive(Debug, Serialize)]
pub struct JsonPosition {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel<'a> {
    pub file: &'a str,
    pub span: JsonSpan,
    pub start: JsonPosition,
    pub end: JsonPosition,
    pub message: &'a str,
}

#[derive(Debug, Serialize)]
pub struct JsonSuggestion<'a> {
    pub message: &'a str,
    /// Whether it only repairs how something is written (`Applicability::Safe`): the ones
    /// `journey check --fix` applies, and a tool may apply without asking.
    pub safe: bool,
    pub edits: Vec<JsonEdit<'a>>,
}

#[derive(Debug, Serialize)]
pub struct JsonEdit<'a> {
    pub file: &'a str,
    pub span: JsonSpan,
    pub start: JsonPosition,
    pub end: JsonPosition,
    pub replacement: &'a str,
}

#[derive(Debug, Serialize)]
pub struct JsonSummary {
    /// Files read and checked.
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

pub fn render(table: &FileTable, diagnostics: &[Diagnostic], summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        version: VERSION,
        diagnostics: diagnostics.iter().map(|d| to_json(table, d)).collect(),
        summary: JsonSummary { files: summary.files, errors: summary.errors, warnings: summary.warnings },
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::from)?;
    writeln!(out)
}

/// A span resolved for JSON; `None` when the file id is unknown (a compiler bug).
struct Place<'a> {
    file: &'a str,
    span: JsonSpan,
    start: JsonPosition,
    end: JsonPosition,
}

fn place(table: &FileTable, file: FileId, span: Span) -> Option<Place<'_>> {
    let located = table.locate(file, span)?;
    Some(Place {
        file: located.name,
        span: JsonSpan { start: located.span.start(), end: located.span.end() },
        start: position(located.start),
        end: position(located.end),
    })
}

fn position(at: Position) -> JsonPosition {
    JsonPosition { line: at.line, column: at.column }
}

fn to_json<'a>(table: &'a FileTable, diagnostic: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let primary = &diagnostic.primary;
    let at = place(table, primary.file, primary.span).unwrap_or(Place {
        file: "<unknown file>",
        span: JsonSpan { start: primary.span.start(), end: primary.span.end() },
        start: JsonPosition { line: 1, column: 1 },
        end: JsonPosition { line: 1, column: 1 },
    });
    let labels = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            let at = place(table, label.file, label.span)?;
            Some(JsonLabel { file: at.file, span: at.span, start: at.start, end: at.end, message: &label.message })
        })
        .collect();
    let suggestions = diagnostic
        .suggestions
        .iter()
        .map(|suggestion| JsonSuggestion {
            message: &suggestion.message,
            safe: suggestion.applicability == Applicability::Safe,
            edits: suggestion
                .edits
                .iter()
                .filter_map(|edit| {
                    let at = place(table, edit.file, edit.span)?;
                    Some(JsonEdit {
                        file: at.file,
                        span: at.span,
                        start: at.start,
                        end: at.end,
                        replacement: &edit.replacement,
                    })
                })
                .collect(),
        })
        .collect();
    JsonDiagnostic {
        code: diagnostic.code.as_str(),
        severity: diagnostic.severity.as_str(),
        message: &diagnostic.message,
        file: at.file,
        span: at.span,
        start: at.start,
        end: at.end,
        label: &primary.message,
        labels,
        notes: &diagnostic.notes,
        help: diagnostic.help.as_deref(),
        suggestions,
    }
}
