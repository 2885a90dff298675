//! `--format rich`: codespan-reporting's source excerpts with labels, for people.
//!
//! Lines and columns come from [`FileTable`] (the compiler's `LineIndex`), never from codespan's
//! own line splitting, and every span is clamped onto the text and onto character boundaries
//! first, because codespan panics on spans that are not. codespan reads the source through a
//! [`Windowed`] view per diagnostic, which cuts lines wider than `window::MAX_COLUMNS` around the
//! spans, so a diagnostic on a very long line prints a few hundred bytes, not the line.

use std::io::{self, Write};

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::files::Error as FilesError;
use codespan_reporting::term::{self, termcolor::Ansi, Config};
use journey_compiler::{Diagnostic, FileId, Severity};

use super::window::Windowed;
use crate::files::{escape_controls, escape_controls_multiline, FileTable};

pub fn render(table: &FileTable, diagnostics: &[Diagnostic], color: bool, out: &mut dyn Write) -> io::Result<()> {
    let config = Config::default();
    for diagnostic in diagnostics {
        let mut shown = to_codespan(table, diagnostic);
        let spans: Vec<_> = shown.labels.iter().map(|label| (label.file_id, label.range.clone())).collect();
        let view = Windowed::new(table, &spans, &config);
        for label in &mut shown.labels {
            label.range = view.map(label.file_id, label.range.start)..view.map(label.file_id, label.range.end);
        }
        let result = if color {
            term::emit_to_write_style(&mut Ansi::new(&mut *out), &config, &view, &shown)
        } else {
            term::emit_to_io_write(&mut *out, &config, &view, &shown)
        };
        match result {
            Ok(()) => {}
            Err(FilesError::Io(error)) => return Err(error),
            // Only a bug in our `Files` view can get here; still show the diagnostic.
            Err(_) => super::short::render(table, std::slice::from_ref(diagnostic), out)?,
        }
    }
    Ok(())
}

fn to_codespan(table: &FileTable, diagnostic: &Diagnostic) -> CsDiagnostic<FileId> {
    let severity = match diagnostic.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut labels = Vec::new();
    let primary = &diagnostic.primary;
    if let Some(located) = table.locate(primary.file, primary.span) {
        labels
            .push(CsLabel::primary(primary.file, located.span.range()).with_message(escape_controls(&primary.message)));
    }
    for label in &diagnostic.secondary {
        if let Some(located) = table.locate(label.file, label.span) {
            labels.push(
                CsLabel::secondary(label.file, located.span.range()).with_message(escape_controls(&label.message)),
            );
        }
    }
    let mut notes: Vec<String> =
        diagnostic.notes.iter().map(|note| format!("note: {}", escape_controls_multiline(note))).collect();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {}", escape_controls_multiline(help)));
    }
    // A suggestion says the same as the help in other words ("did you mean `x`?" and
    // "write `x`"); people read the help, editors apply the suggestion. Without help, the
    // suggestion's message is the help.
    if diagnostic.help.is_none() {
        for suggestion in &diagnostic.suggestions {
            notes.push(format!("help: {}", escape_controls_multiline(&suggestion.message)));
        }
    }
    CsDiagnostic::new(severity)
        .with_code(diagnostic.code.as_str())
        .with_message(escape_controls(&diagnostic.message))
        .with_labels(labels)
        .with_notes(notes)
}
