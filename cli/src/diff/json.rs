//! `--format json`: one JSON document, versioned by its top-level `version` (docs/diff.md). Adding
//! a field keeps the version; renaming, removing or changing the meaning of one bumps it. These
//! structs are the shape: the compiler has no serde.

use journey_compiler::diff::{Change, SemanticDiff, Subject};
use serde::Serialize;

use super::{text::title, Labels};

/// The version of the JSON shape below.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize)]
struct Document<'a> {
    version: u32,
    old: Version<'a>,
    new: Version<'a>,
    /// Whether some change weakens some send's compliance (what `--deny weaker` fails on).
    weaker: bool,
    changes: Vec<JsonChange<'a>>,
}

#[derive(Debug, Serialize)]
struct Version<'a> {
    /// The path or revision as given.
    label: &'a str,
    /// Errors its check found.
    errors: usize,
}

#[derive(Debug, Serialize)]
struct JsonChange<'a> {
    /// `structure`, `messages` or `compliance`.
    section: &'static str,
    /// `send_added`, `window_bound`, ... (docs/diff.md).
    kind: &'static str,
    weaker: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    journey: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    /// Of a send: 0 for the first send of its message in its stage, 1 for the second, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    occurrence: Option<usize>,
    old: Option<&'a str>,
    new: Option<&'a str>,
    sentence: &'a str,
}

pub fn render(diff: &SemanticDiff, labels: &Labels) -> String {
    let document = Document {
        version: VERSION,
        old: Version { label: &labels.old, errors: diff.old.errors },
        new: Version { label: &labels.new, errors: diff.new.errors },
        weaker: diff.is_weaker(),
        changes: diff.changes.iter().map(json_change).collect(),
    };
    match serde_json::to_string_pretty(&document) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // Serialising these plain structs cannot fail; say so rather than print half a document.
        Err(_) => format!("{{\"version\": {VERSION}, \"error\": \"the diff could not be written as JSON\"}}\n"),
    }
}

fn json_change(change: &Change) -> JsonChange<'_> {
    let (journey, stage, message, occurrence) = match &change.subject {
        Subject::Journey { journey } => (Some(journey.as_str()), None, None, None),
        Subject::Stage { journey, stage } => (Some(journey.as_str()), Some(stage.as_str()), None, None),
        Subject::Send(id) => {
            (Some(id.journey.as_str()), Some(id.stage.as_str()), Some(id.message.as_str()), Some(id.occurrence))
        }
        Subject::Message { message } => (None, None, Some(message.as_str()), None),
    };
    JsonChange {
        section: title(change.kind.section()),
        kind: change.kind.as_str(),
        weaker: change.weaker,
        journey,
        stage,
        message,
        occurrence,
        old: change.old.as_deref(),
        new: change.new.as_deref(),
        sentence: &change.sentence,
    }
}
