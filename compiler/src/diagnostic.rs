//! The one diagnostic type of the project.
//!
//! Every pass reports problems as [`Diagnostic`] values: a stable [`Code`], a severity, a short
//! message, a primary label, optional secondary labels (possibly in other files), notes, help and
//! suggested edits. Terminal, JSON, SARIF, GitHub and LSP output are adapters over this type; none
//! of them lives in the compiler.

use crate::codes::Code;
use crate::span::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Blocks `journey build`; `journey check` exits 1.
    Error,
    /// Reported, but does not fail the check unless `--deny warnings`.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span in a file with a message saying what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// One mechanical edit: replace `span` in `file` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

/// A fix the user (or an editor's quick-fix menu) can apply as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Imperative and short: "replace `->` with `=>`".
    pub message: String,
    pub edits: Vec<TextEdit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One line, lower case, no final period: "unexpected `}`".
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    pub suggestions: Vec<Suggestion>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and a primary label.
    pub fn new(code: Code, message: impl Into<String>, file: FileId, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            primary: Label { file, span, message: String::new() },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            suggestions: Vec::new(),
        }
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { file, span, message: message.into() });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_suggestion(
        mut self,
        message: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        let file = self.primary.file;
        self.suggestions.push(Suggestion {
            message: message.into(),
            edits: vec![TextEdit { file, span, replacement: replacement.into() }],
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics into the order every renderer shows them: by file, position, then code.
/// Output must not depend on the order passes happened to run in.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.primary.file, a.primary.span.start, a.primary.span.end, a.code, &a.message).cmp(&(
            b.primary.file,
            b.primary.span.start,
            b.primary.span.end,
            b.code,
            &b.message,
        ))
    });
}

/// Keeps at most `limits::MAX_DIAGNOSTICS_PER_FILE` diagnostics; when some are dropped, the last
/// one kept gets a note saying how many, so nothing disappears silently.
pub fn cap_diagnostics(_file: FileId, diagnostics: &mut Vec<Diagnostic>) {
    let max = crate::limits::MAX_DIAGNOSTICS_PER_FILE;
    if diagnostics.len() > max {
        let dropped = diagnostics.len() - max;
        diagnostics.truncate(max);
        if let Some(last) = diagnostics.last_mut() {
            last.notes.push(format!("{dropped} more diagnostics in this file were not shown (limit {max} per file)"));
        }
    }
}

/// [`cap_diagnostics`] for each file of a sorted list of diagnostics from several files.
pub fn cap_per_file(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut result = Vec::with_capacity(diagnostics.len());
    let mut current: Vec<Diagnostic> = Vec::new();
    for diagnostic in diagnostics {
        if current.first().is_some_and(|d| d.primary.file != diagnostic.primary.file) {
            let file = current.first().map_or(FileId(0), |d| d.primary.file);
            cap_diagnostics(file, &mut current);
            result.append(&mut current);
        }
        current.push(diagnostic);
    }
    let file = current.first().map_or(FileId(0), |d| d.primary.file);
    cap_diagnostics(file, &mut current);
    result.append(&mut current);
    result
}
