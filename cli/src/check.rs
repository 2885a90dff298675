//! `journey check`: find the files, read them within the size limit, run the compiler on each,
//! print the diagnostics in the chosen format and pick the exit code.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::{check_file, Diagnostic, Severity};

use crate::args::{CheckArgs, ColorChoice, Deny, Format};
use crate::discover::{describe_io_error, discover};
use crate::exit::Exit;
use crate::files::{escape_controls, FileTable, SourceFile};
use crate::render::{self, Summary};

/// Everything one `journey check` run found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub table: FileTable,
    /// In file order, then in the compiler's order within each file.
    pub diagnostics: Vec<Diagnostic>,
    /// Arguments and files that could not be used; each makes the run exit with code 2.
    pub io_errors: Vec<String>,
}

pub fn run(args: &CheckArgs) -> Exit {
    let outcome = check_paths(&args.paths);
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let summary = Summary::of(&outcome);

    {
        let mut stderr = io::stderr().lock();
        for error in &outcome.io_errors {
            let _ = writeln!(stderr, "error: {}", escape_controls(error));
        }
    }

    let exit = exit_code(&summary, deny_warnings);

    let color = use_color(args.color);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = render::render(args.format, &outcome, &summary, color, &mut out).and_then(|()| out.flush());
    if let Err(error) = written {
        // `journey check | head` closes the pipe early: stop quietly with the check's own result.
        if error.kind() == io::ErrorKind::BrokenPipe {
            return exit;
        }
        let _ = writeln!(io::stderr().lock(), "error: cannot write output: {error}");
        return Exit::Usage;
    }

    if matches!(args.format, Format::Rich | Format::Short) {
        let _ = writeln!(io::stderr().lock(), "{}", summary.line(deny_warnings));
    }
    exit
}

/// 2 when some path could not be checked, else 1 for errors (or warnings under
/// `--deny warnings`), else 0.
pub fn exit_code(summary: &Summary, deny_warnings: bool) -> Exit {
    if summary.unusable_paths > 0 {
        Exit::Usage
    } else if summary.errors > 0 || (deny_warnings && summary.warnings > 0) {
        Exit::Problems
    } else {
        Exit::Ok
    }
}

/// Discovers, reads and checks every file. File ids follow discovery order.
pub fn check_paths(paths: &[PathBuf]) -> Outcome {
    let discovered = discover(paths);
    let mut outcome = Outcome { io_errors: discovered.errors, ..Outcome::default() };
    for input in discovered.inputs {
        let id = outcome.table.next_id();
        match read_bounded(&input.path) {
            Err(error) => {
                outcome.io_errors.push(format!("cannot read `{}`: {}", input.display, describe_io_error(&error)))
            }
            Ok(Contents::TooLarge(len)) => {
                outcome.diagnostics.push(journey_compiler::source::too_large(id, len));
                outcome.table.push(SourceFile::new(input.display, String::new()));
            }
            Ok(Contents::Bytes(bytes)) => {
                let checked = check_file(id, &bytes);
                // Renderers only read the text of files that diagnostics point into, and today a
                // file's diagnostics point only into that file: keep no text for clean files, so
                // checking a large tree holds only the problem files in memory. (When checks span
                // files, keep the text of every file a label points into.)
                let text = if checked.diagnostics.is_empty() { String::new() } else { checked.text };
                outcome.diagnostics.extend(checked.diagnostics);
                outcome.table.push(SourceFile::new(input.display, text));
            }
        }
    }
    outcome
}

enum Contents {
    Bytes(Vec<u8>),
    /// Over `MAX_SOURCE_BYTES`; the size in bytes (at least the limit plus one).
    TooLarge(u64),
}

/// Reads a file, refusing one over the size limit from its metadata without reading it, and
/// never holding more than the limit plus one byte in memory (the file may grow, or be a pipe).
fn read_bounded(path: &Path) -> io::Result<Contents> {
    let limit = u64::try_from(MAX_SOURCE_BYTES).unwrap_or(u64::MAX);
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Ok(Contents::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Ok(Contents::TooLarge(limit.saturating_add(1)));
    }
    Ok(Contents::Bytes(bytes))
}

fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            !no_color && io::stdout().is_terminal()
        }
    }
}

/// Counts by severity; used by the summary and the exit code.
pub fn count(diagnostics: &[Diagnostic], severity: Severity) -> usize {
    diagnostics.iter().filter(|d| d.severity == severity).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(errors: usize, warnings: usize, unusable_paths: usize) -> Summary {
        Summary { files: 1, errors, warnings, files_with_problems: 1, unusable_paths }
    }

    #[test]
    fn warnings_fail_the_check_only_when_denied() {
        assert_eq!(exit_code(&summary(0, 2, 0), false), Exit::Ok);
        assert_eq!(exit_code(&summary(0, 2, 0), true), Exit::Problems);
        assert_eq!(exit_code(&summary(0, 0, 0), true), Exit::Ok);
    }

    #[test]
    fn errors_give_1_and_unusable_paths_give_2_whatever_else_was_found() {
        assert_eq!(exit_code(&summary(1, 0, 0), false), Exit::Problems);
        assert_eq!(exit_code(&summary(1, 1, 1), true), Exit::Usage);
        assert_eq!(exit_code(&summary(0, 0, 1), false), Exit::Usage);
    }

    #[test]
    fn the_size_limit_diagnostic_matches_the_compilers() {
        let len = MAX_SOURCE_BYTES + 1;
        let bytes = vec![b' '; len];
        let ours = journey_compiler::source::too_large(journey_compiler::FileId(3), u64::try_from(len).unwrap());
        let theirs = check_file(journey_compiler::FileId(3), &bytes).diagnostics;
        assert_eq!(theirs, vec![ours]);
    }
}
