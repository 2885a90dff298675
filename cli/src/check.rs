//! `journey check`: find the files, read them within the size limit, run the compiler on each,
//! print the diagnostics in the chosen format and pick the exit code.

use std::io::{self, Write};
use std::path::PathBuf;

use journey_compiler::check::Stats;
use journey_compiler::project::{LoadError, Origin, ProjectPath, SourceLoader};
use journey_compiler::{check_project, Diagnostic, FileId, ProjectReport, Severity};

use crate::args::{CheckArgs, ColorChoice, Deny, Format};
use crate::discover::{discover, is_excluded};
use crate::exit::Exit;
use crate::files::{escape_controls, FileTable, SourceFile};
use crate::project::{self, ProjectInputs};
use crate::render::{self, Summary};
use crate::stdin;

/// Everything one `journey check` run found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub table: FileTable,
    /// In file order, then in the compiler's order within each file.
    pub diagnostics: Vec<Diagnostic>,
    /// Arguments and files that could not be used; each makes the run exit with code 2.
    pub io_errors: Vec<String>,
    /// Entries skipped while searching directories, which do not change the exit code.
    pub io_warnings: Vec<String>,
    /// What the checker looked at, for `--verbose`.
    pub stats: Stats,
}

pub fn run(args: &CheckArgs) -> Exit {
    let outcome = if stdin::wants_stdin(&args.paths) {
        if args.fix {
            let _ = writeln!(io::stderr().lock(), "error: `--fix` writes files, so it cannot fix `-` (standard input)");
            return Exit::Usage;
        }
        stdin::check_stdin(&args.paths, args.stdin_filename.as_deref(), io::stdin().lock())
    } else if args.fix {
        let (mut outcome, fixed) = crate::fix::fix_paths(&args.paths, &args.exclude);
        if !args.quiet && fixed.fixes > 0 {
            let files = if fixed.files.len() == 1 { "file" } else { "files" };
            let fixes = if fixed.fixes == 1 { "problem" } else { "problems" };
            let mut stderr = io::stderr().lock();
            let _ = writeln!(stderr, "fixed {} {fixes} in {} {files}", fixed.fixes, fixed.files.len());
        }
        outcome.io_warnings.extend(fixed.errors);
        outcome
    } else {
        check_paths(&args.paths, &args.exclude)
    };
    report(args, &outcome)
}

/// Prints what a check found in the chosen format, and picks the exit code.
pub fn report(args: &CheckArgs, outcome: &Outcome) -> Exit {
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let summary = Summary::of(outcome);

    {
        let mut stderr = io::stderr().lock();
        for warning in &outcome.io_warnings {
            let _ = writeln!(stderr, "warning: {}", escape_controls(warning));
        }
        for error in &outcome.io_errors {
            let _ = writeln!(stderr, "error: {}", escape_controls(error));
        }
    }

    let exit = exit_of(outcome, &summary, deny_warnings);

    let color = use_color(args.color);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = render::render(args.format, outcome, &summary, color, &mut out).and_then(|()| out.flush());
    if let Err(error) = written {
        // `journey check | head` closes the pipe early: stop quietly with the check's own result.
        if error.kind() == io::ErrorKind::BrokenPipe {
            return exit;
        }
        let _ = writeln!(io::stderr().lock(), "error: cannot write output: {error}");
        return Exit::Usage;
    }

    if matches!(args.format, Format::Rich | Format::Short) && !args.quiet {
        let mut stderr = io::stderr().lock();
        if args.verbose {
            let s = outcome.stats;
            let _ = writeln!(
                stderr,
                "checked {} files: {} declarations, {} references, {} expressions, {} messages, {} sends, {} rules",
                s.files, s.declarations, s.references, s.expressions, s.messages, s.sends, s.content_rules
            );
        }
        let _ = writeln!(stderr, "{}", summary.line(deny_warnings));
    }
    exit
}

/// The exit code of a run: [`exit_code`], except that an inconclusive analysis (J0413) fails
/// closed with its own code unless some path could not be checked.
pub fn exit_of(outcome: &Outcome, summary: &Summary, deny_warnings: bool) -> Exit {
    let inconclusive = outcome.diagnostics.iter().any(|d| d.code == journey_compiler::Code::J0413);
    match exit_code(summary, deny_warnings) {
        Exit::Usage => Exit::Usage,
        _ if inconclusive => Exit::Inconclusive,
        other => other,
    }
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

/// Discovers the files, groups them into projects, and checks each project. File ids follow the
/// order in which projects and their files appear.
pub fn check_paths(paths: &[PathBuf], exclude: &[PathBuf]) -> Outcome {
    check_projects(paths, exclude, |_, _| {})
}

/// [`check_paths`], showing each project's inputs and report to `checked` as it is made (so
/// `journey build` emits from the report whose diagnostics it prints, without checking again).
pub fn check_projects(
    paths: &[PathBuf],
    exclude: &[PathBuf],
    mut checked: impl FnMut(&ProjectInputs, &ProjectReport),
) -> Outcome {
    let mut discovered = discover(paths);
    discovered.inputs.retain(|input| !is_excluded(&input.path, exclude));
    let mut outcome = Outcome { io_errors: discovered.errors, io_warnings: discovered.warnings, ..Outcome::default() };
    let projects = project::group(&discovered.inputs, &mut outcome.io_errors);
    for mut inputs in projects {
        if inputs.manifest {
            let excluded = check_manifest(&inputs, &mut outcome).map(|manifest| manifest.exclude).unwrap_or_default();
            inputs.entries.retain(|(path, _)| !journey_host::excluded_by_manifest(path, &excluded));
            if inputs.entries.is_empty() {
                continue;
            }
        }
        let loader = project::DiskLoader::new(inputs.root.clone());
        let report = check_with(&inputs, &loader);
        checked(&inputs, &report);
        outcome.add_project(&inputs, report);
    }
    outcome
}

/// Checks one project whose files `loader` reads (its manifest from the disk), into `outcome`.
pub fn check_inputs(inputs: &ProjectInputs, loader: &dyn SourceLoader, outcome: &mut Outcome) {
    if inputs.manifest {
        // Standard input is checked whatever `exclude` says: it was asked for by name.
        let _ = check_manifest(inputs, outcome);
    }
    let report = check_with(inputs, loader);
    outcome.add_project(inputs, report);
}

/// The compiler's report on the project's entries.
fn check_with(inputs: &ProjectInputs, loader: &dyn SourceLoader) -> ProjectReport {
    let entries: Vec<ProjectPath> = inputs.entries.iter().map(|(path, _)| path.clone()).collect();
    check_project(&entries, loader)
}

impl Outcome {
    /// Adds what checking one project found: its files to the table, named as the user named
    /// them, and its diagnostics moved to those files' ids.
    pub fn add_project(&mut self, inputs: &ProjectInputs, report: ProjectReport) {
        let offset = self.table.next_id().0;
        // Every file of the project goes into the table, so labels in imported files render too.
        for file in &report.sources.files {
            let name = match (&file.origin, file.is_entry) {
                (Origin::Project(path), true) => inputs
                    .entries
                    .iter()
                    .find(|(p, _)| p == path)
                    .map_or_else(|| format!("{}{}", inputs.display_prefix, path), |(_, shown)| shown.clone()),
                (Origin::Project(path), false) => format!("{}{}", inputs.display_prefix, path),
                (Origin::Std(_), _) => file.name.clone(),
            };
            let source = match file.origin {
                Origin::Std(_) => SourceFile::standard(name, file.text.clone()),
                Origin::Project(_) => SourceFile::new(name, file.text.clone()),
            };
            self.table.push(source);
        }
        self.stats += report.stats;
        // Moves the project's file ids to their place in the run's file table.
        let shift = |id: FileId| FileId(id.0.saturating_add(offset));
        self.diagnostics.extend(report.diagnostics.into_iter().map(|d| d.map_files(&shift)));
    }
}

/// Checks the project's `journey.toml`; its file joins the table only when it has something to
/// show. The project's files are checked either way (a broken manifest does not hide their
/// problems), and its errors fail the run like any other. The manifest, when it is valid.
fn check_manifest(inputs: &ProjectInputs, outcome: &mut Outcome) -> Option<journey_compiler::manifest::Manifest> {
    let shown = format!("{}{}", inputs.display_prefix, journey_host::MANIFEST);
    let id = outcome.table.next_id();
    let checked = match journey_host::read_manifest(&inputs.root) {
        Ok(bytes) => journey_compiler::manifest::check_manifest(id, &bytes),
        Err(LoadError::TooLarge(len)) => journey_compiler::manifest::CheckedManifest {
            text: String::new(),
            manifest: None,
            diagnostics: vec![journey_compiler::source::too_large(id, len)],
        },
        Err(error) => {
            let why = match error {
                LoadError::NotFound => "no such file or directory".to_owned(),
                LoadError::OutsideRoot => "it links to a file outside the project".to_owned(),
                LoadError::TooLarge(len) => format!("it is {len} bytes"),
                LoadError::Io(message) => message,
            };
            outcome.io_errors.push(format!("cannot read `{shown}`: {why}"));
            return None;
        }
    };
    if !checked.diagnostics.is_empty() {
        outcome.table.push(SourceFile::new(shown, checked.text));
        outcome.diagnostics.extend(checked.diagnostics);
    }
    checked.manifest
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
        let len = journey_compiler::limits::MAX_SOURCE_BYTES + 1;
        let bytes = vec![b' '; len];
        let ours = journey_compiler::source::too_large(journey_compiler::FileId(3), u64::try_from(len).unwrap());
        let theirs = journey_compiler::check_file(journey_compiler::FileId(3), &bytes).diagnostics;
        assert_eq!(theirs, vec![ours]);
    }
}
