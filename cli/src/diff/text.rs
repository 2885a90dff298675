//! `--format text`: for a person at a terminal. One line per change under its section, `+` for
//! what was added, `-` removed, `~` changed, and `!` with the word `weaker` for a change that
//! weakens a send's compliance.

use journey_compiler::diff::{Change, ChangeKind, Section, SemanticDiff};

use super::{error_notes, headline, Labels};

pub fn render(diff: &SemanticDiff, labels: &Labels) -> String {
    let mut out = format!("journey diff {} -> {}: {}\n", labels.old, labels.new, headline(diff));
    for note in error_notes(diff, labels) {
        out.push_str(&format!("note: {note}\n"));
    }
    let mut section = None;
    for change in &diff.changes {
        let this = change.kind.section();
        if section != Some(this) {
            out.push_str(&format!("\n{}:\n", title(this)));
            section = Some(this);
        }
        out.push_str(&format!(
            "  {} {}{}\n",
            marker(change),
            if change.weaker { "weaker: " } else { "" },
            change.sentence
        ));
    }
    out
}

pub(super) fn title(section: Section) -> &'static str {
    match section {
        Section::Structure => "structure",
        Section::Messages => "messages",
        Section::Compliance => "compliance",
    }
}

fn marker(change: &Change) -> char {
    if change.weaker {
        return '!';
    }
    match change.kind {
        ChangeKind::JourneyAdded | ChangeKind::StageAdded | ChangeKind::SendAdded | ChangeKind::MessageAdded => '+',
        ChangeKind::JourneyRemoved
        | ChangeKind::StageRemoved
        | ChangeKind::SendRemoved
        | ChangeKind::MessageRemoved => '-',
        _ => '~',
    }
}
