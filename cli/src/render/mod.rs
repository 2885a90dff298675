//! Output formats. Each module turns the same [`Outcome`] into one format; none of them decides
//! anything about the exit code. The formats are documented in docs/diagnostics.md.

pub mod github;
pub mod json;
pub mod rich;
pub mod sarif;
pub mod short;
mod window;

use std::collections::BTreeSet;
use std::io::{self, Write};

use journey_compiler::Severity;

use crate::args::Format;
use crate::check::{count, Outcome};

pub fn render(
    format: Format,
    outcome: &Outcome,
    summary: &Summary,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Rich => rich::render(&outcome.table, &outcome.diagnostics, color, out),
        Format::Short => short::render(&outcome.table, &outcome.diagnostics, out),
        Format::Json => json::render(&outcome.table, &outcome.diagnostics, summary, out),
        Format::Sarif => sarif::render(outcome, out),
        Format::Github => github::render(&outcome.table, &outcome.diagnostics, out),
    }
}

/// The totals of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Files read and checked.
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Files with at least one diagnostic.
    pub files_with_problems: usize,
    /// Paths that could not be checked (unreadable, missing, or a directory without files).
    pub unusable_paths: usize,
}

impl Summary {
    pub fn of(outcome: &Outcome) -> Summary {
        let diagnostics = &outcome.diagnostics;
        let with_problems: BTreeSet<_> = diagnostics.iter().map(|d| d.primary.file).collect();
        Summary {
            files: outcome.table.len(),
            errors: count(diagnostics, Severity::Error),
            warnings: count(diagnostics, Severity::Warning),
            files_with_problems: with_problems.len(),
            unusable_paths: outcome.io_errors.len(),
        }
    }

    /// The line the `rich` and `short` formats print to stderr at the end:
    /// `error: 3 errors, 1 warning in 2 of 5 files` or `checked 2 files: no problems`, after
    /// `error: 1 path could not be checked; ` when some could not.
    pub fn line(&self, deny_warnings: bool) -> String {
        if self.unusable_paths == 0 {
            return self.diagnostics_line(deny_warnings);
        }
        let paths = match self.unusable_paths {
            1 => "1 path could not be checked".to_owned(),
            n => format!("{n} paths could not be checked"),
        };
        if self.files == 0 {
            return format!("error: {paths}");
        }
        let rest = self.diagnostics_line(deny_warnings);
        let rest = rest.strip_prefix("error: ").or_else(|| rest.strip_prefix("warning: ")).unwrap_or(&rest);
        format!("error: {paths}; {rest}")
    }

    fn diagnostics_line(&self, deny_warnings: bool) -> String {
        if self.errors == 0 && self.warnings == 0 {
            return format!("checked {}: no problems", plural(self.files, "file"));
        }
        let mut counts = Vec::new();
        if self.errors > 0 {
            counts.push(plural(self.errors, "error"));
        }
        if self.warnings > 0 {
            counts.push(plural(self.warnings, "warning"));
        }
        let failing = self.errors > 0 || deny_warnings;
        let severity = if failing { "error" } else { "warning" };
        let files = if self.files_with_problems == self.files {
            plural(self.files, "file")
        } else {
            format!("{} of {}", self.files_with_problems, plural(self.files, "file"))
        };
        let denied = if self.errors == 0 && deny_warnings { " (warnings are denied)" } else { "" };
        format!("{severity}: {} in {files}{denied}", counts.join(", "))
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(files: usize, errors: usize, warnings: usize, files_with_problems: usize) -> Summary {
        Summary { files, errors, warnings, files_with_problems, unusable_paths: 0 }
    }

    #[test]
    fn summary_lines_count_with_plurals() {
        assert_eq!(summary(2, 0, 0, 0).line(false), "checked 2 files: no problems");
        assert_eq!(summary(1, 0, 0, 0).line(false), "checked 1 file: no problems");
        assert_eq!(summary(2, 3, 1, 2).line(false), "error: 3 errors, 1 warning in 2 files");
        assert_eq!(summary(5, 1, 0, 1).line(false), "error: 1 error in 1 of 5 files");
        assert_eq!(summary(1, 0, 2, 1).line(false), "warning: 2 warnings in 1 file");
        assert_eq!(summary(1, 0, 2, 1).line(true), "error: 2 warnings in 1 file (warnings are denied)");
    }

    #[test]
    fn summary_lines_lead_with_paths_that_could_not_be_checked() {
        let mut s = summary(2, 1, 0, 1);
        s.unusable_paths = 1;
        assert_eq!(s.line(false), "error: 1 path could not be checked; 1 error in 1 of 2 files");
        s.errors = 0;
        s.files_with_problems = 0;
        assert_eq!(s.line(false), "error: 1 path could not be checked; checked 2 files: no problems");
        s.files = 0;
        s.unusable_paths = 2;
        assert_eq!(s.line(false), "error: 2 paths could not be checked");
    }
}

#[cfg(test)]
mod format_tests;
