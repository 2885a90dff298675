//! `--format sarif`: a SARIF 2.1.0 log, for GitHub code scanning and other SARIF consumers.
//!
//! One run; `tool.driver.rules` lists the codes that occur (catalogue order), each result points
//! at its rule by `ruleId` and `ruleIndex`. Columns are Unicode code points, declared with the
//! run's `columnKind` (SARIF's default would be UTF-16 code units). Secondary labels become
//! `relatedLocations`, suggestions become `fixes`, and unreadable paths become tool execution
//! notifications of the run's invocation. The output is checked against the official schema in
//! tests/cli.rs.
//!
//! For code scanning across commits: each result has a `partialFingerprints` entry that does not
//! depend on line numbers ([`fingerprints`]), so an alert keeps its identity when lines above it
//! move; each rule's `helpUri` opens the code's explanation in the repository; and a location in
//! the embedded standard library, which is no file of the user's repository, is given as the
//! absolute URI of that module in the journey repository at the commit the tool was built from.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use journey_compiler::{Code, FileId, Severity, Span, Suggestion};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::check::Outcome;
use crate::files::FileTable;

pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our entry in `partialFingerprints`; the version says how it is computed, so a
/// change of recipe can never be mistaken for the old one.
pub const FINGERPRINT_KEY: &str = "journeyFingerprint/v1";

/// The repository (Cargo.toml's `repository`), where rule help and the standard library live.
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

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
    help_uri: String,
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
    partial_fingerprints: BTreeMap<&'static str, String>,
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
    let fingerprints = fingerprints(outcome);
    let results = outcome
        .diagnostics
        .iter()
        .zip(fingerprints)
        .map(|(d, fingerprint)| SarifResult {
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
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
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
        help_uri: help_uri(code),
        help: MultiformatMessage { text: summary, markdown: explanation.trim().to_owned() },
        default_configuration: Configuration { level: level(code.default_severity()) },
    }
}

/// Where a code's explanation (`journey explain CODE`) is in the repository.
pub fn help_uri(code: Code) -> String {
    format!("{REPOSITORY}/blob/main/compiler/src/codes/{code}.md")
}

/// One fingerprint per diagnostic, in order: `HASH:N`, where HASH is the first 32 hex digits of
/// the SHA-256 of the code, the file's URI, and the primary line's and span's text with runs of
/// blanks made one, and N counts the diagnostics before it with the same hash, from 1 (GitHub's
/// own `primaryLocationLineHash` has this form). No line or column goes in: inserting lines
/// above a problem leaves its fingerprint as it was.
pub fn fingerprints(outcome: &Outcome) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(outcome.diagnostics.len());
    for diagnostic in &outcome.diagnostics {
        let (uri, line, spanned) = match outcome.table.get(diagnostic.primary.file) {
            Some(source) => {
                let at = source.locate(diagnostic.primary.span);
                let text = source.text.as_str();
                let start =
                    text.get(..at.span.start()).and_then(|before| before.rfind(['\n', '\r'])).map_or(0, |i| i + 1);
                let end = text
                    .get(at.span.start()..)
                    .and_then(|after| after.find(['\n', '\r']))
                    .map_or(text.len(), |i| i + at.span.start());
                (
                    file_uri(source),
                    text.get(start..end).unwrap_or(""),
                    text.get(at.span.start()..at.span.end()).unwrap_or(""),
                )
            }
            None => (uri("unknown"), "", ""),
        };
        let mut hasher = Sha256::new();
        for part in [diagnostic.code.as_str(), &uri, &collapse_blanks(line), &collapse_blanks(spanned)] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let hash: String = hasher.finalize().iter().take(16).map(|byte| format!("{byte:02x}")).collect();
        let count = seen.entry(hash.clone()).or_insert(0);
        *count += 1;
        out.push(format!("{hash}:{count}"));
    }
    out
}

/// Text with every run of whitespace made one space, and none at the ends.
fn collapse_blanks(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The URI of a checked file: relative to where journey ran for the user's files; for a module
/// of the standard library, that module in the repository at the commit journey was built from
/// (`main` when unknown), which a SARIF viewer can open.
fn file_uri(source: &crate::files::SourceFile) -> String {
    match source.name.strip_prefix("std/").filter(|_| source.standard) {
        Some(module) => {
            let commit = env!("JOURNEY_COMMIT");
            let at = if commit.is_empty() { "main" } else { commit };
            format!("{REPOSITORY}/blob/{at}/stdlib/{}", uri(module))
        }
        None => uri(&source.name),
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
    match table.get(file).map(|source| (source, source.locate(span))) {
        Some((source, at)) => (
            file_uri(source),
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
