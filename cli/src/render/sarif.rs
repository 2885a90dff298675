//! `--format sarif`: a SARIF 2.1.0 log, for GitHub code scanning and other SARIF consumers.
//!
//! One run; `tool.driver.rules` lists the codes that occur (catalogue order), each result points
//! at its rule by `ruleId` and `ruleIndex`. Columns are Unicode code points, declared with the
//! run's `columnKind` (SARIF's default would be UTF-16 code units). Secondary labels become
//! `relatedLocations`, suggestions become `fixes`, and unreadable paths become tool execution
//! notifications of the run's invocation. The output is checked against the official schema in
//! tests/cli.rs.

use std::collections::BTreeSet;
use std::io::{self, Write};

use journey_compiler::{Code, FileId, Severity, Span, Suggestion};
use serde::Serialize;

use crate::check::Outcome;
use crate::files::FileTable;

pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Debug, Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    default_configuration: Configuration,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Debug, Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
}

#[derive(Debug, Serialize)]
struct Message {
    text: String,
}

#[derive(Debug, Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<Fix>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Debug, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Fix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Message,
}

pub fn render(outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    let table = &outcome.table;
    let codes: Vec<Code> = outcome.diagnostics.iter().map(|d| d.code).collect::<BTreeSet<_>>().into_iter().collect();
    let results = outcome
        .diagnostics
        .iter()
        .map(|d| SarifResult {
            rule_id: d.code.as_str(),
            rule_index: codes.binary_search(&d.code).unwrap_or(0),
            level: level(d.severity),
            message: Message { text: d.full_text() },
            locations: vec![location(table, d.primary.file, d.primary.span, None, "")],
            related_locations: d
                .secondary
                .iter()
                .enumerate()
                .filter(|(_, label)| table.get(label.file).is_some())
                .map(|(i, label)| location(table, label.file, label.span, Some(i), &label.message))
                .collect(),
            fixes: d.suggestions.iter().map(|s| fix(table, s)).collect(),
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "journey",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: codes.iter().map(|&code| rule(code)).collect(),
                },
            },
            invocations: vec![Invocation {
                execution_successful: outcome.io_errors.is_empty(),
                tool_execution_notifications: outcome
                    .io_errors
                    .iter()
                    .map(|error| Notification { level: "error", message: Message { text: error.clone() } })
                    .collect(),
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: Code) -> Rule {
    let explanation = code.explanation();
    let summary = first_paragraph(explanation).unwrap_or_else(|| code.title().to_owned());
    Rule {
        id: code.as_str(),
        name: code.title(),
        short_description: Message { text: code.title().to_owned() },
        full_description: Message { text: summary.clone() },
        help: MultiformatMessage { text: summary, markdown: explanation.trim().to_owned() },
        default_configuration: Configuration { level: level(code.default_severity()) },
    }
}

/// The first paragraph of Markdown prose, skipping headings.
fn first_paragraph(markdown: &str) -> Option<String> {
    let mut paragraph: Vec<&str> = Vec::new();
    for line in markdown.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            if !paragraph.is_empty() {
                break;
            }
            continue;
        }
        paragraph.push(line);
    }
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

fn region(table: &FileTable, file: FileId, span: Span) -> (String, Region) {
    match table.locate(file, span) {
        Some(at) => (
            uri(at.name),
            Region {
                start_line: at.start.line,
                start_column: at.start.column,
                end_line: at.end.line,
                end_column: at.end.column,
            },
        ),
        None => (uri("unknown"), Region { start_line: 1, start_column: 1, end_line: 1, end_column: 1 }),
    }
}

fn location(table: &FileTable, file: FileId, span: Span, id: Option<usize>, message: &str) -> Location {
    let (uri, region) = region(table, file, span);
    Location {
        id,
        physical_location: PhysicalLocation { artifact_location: ArtifactLocation { uri }, region },
        message: (!message.is_empty()).then(|| Message { text: message.to_owned() }),
    }
}

fn fix(table: &FileTable, suggestion: &Suggestion) -> Fix {
    // One artifactChange per file, in the order the files first appear among the edits.
    let mut changes: Vec<(FileId, ArtifactChange)> = Vec::new();
    for edit in &suggestion.edits {
        let (uri, deleted_region) = region(table, edit.file, edit.span);
        let replacement = Replacement { deleted_region, inserted_content: Message { text: edit.replacement.clone() } };
        if let Some((_, change)) = changes.iter_mut().find(|(file, _)| *file == edit.file) {
            change.replacements.push(replacement);
        } else {
            changes.push((
                edit.file,
                ArtifactChange { artifact_location: ArtifactLocation { uri }, replacements: vec![replacement] },
            ));
        }
    }
    Fix {
        description: Message { text: suggestion.message.clone() },
        artifact_changes: changes.into_iter().map(|(_, change)| change).collect(),
    }
}

/// A path as a relative URI reference: `/` kept, everything outside RFC 3986's unreserved
/// characters percent-encoded (so spaces, `%`, `#` and `?` in file names stay unambiguous).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_percent_encode_all_but_unreserved_characters_and_slashes() {
        assert_eq!(uri("dir/a b#1.journey"), "dir/a%20b%231.journey");
        assert_eq!(uri("é.journey"), "%C3%A9.journey");
    }

    #[test]
    fn the_first_paragraph_skips_headings() {
        assert_eq!(first_paragraph("# J0101\n\nA b\nc.\n\nMore."), Some("A b c.".to_owned()));
        assert_eq!(first_paragraph("# J0101\n"), None);
    }
}
