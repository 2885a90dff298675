//! `journey diff OLD NEW` and `journey diff --git BASE [HEAD] [PATH]`: the semantic diff of two
//! versions of a project (docs/diff.md). The comparison is the compiler's
//! (`journey_compiler::diff`); this module reads the arguments, loads the two versions (from two
//! directories, or from git revisions and the work tree: `load.rs`, `git.rs`), renders the
//! result as text, Markdown or JSON (`text.rs`, `markdown.rs`, `json.rs`), and picks the exit
//! code: 1 under `--deny weaker` when some send's compliance got weaker, 2 for usage and I/O
//! errors.

mod git;
mod json;
mod load;
mod markdown;
mod text;

use std::io::{self, Write};
use std::path::Path;

use journey_compiler::diff::SemanticDiff;

use crate::args::{DiffArgs, DiffDeny, DiffFormat};
use crate::exit::Exit;

/// What one run prints, and its exit code: kept apart from the terminal so tests run it in process.
#[derive(Debug)]
pub struct Output {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

/// How each version is named in the output: the path or revision as given.
#[derive(Debug, Clone)]
pub struct Labels {
    pub old: String,
    pub new: String,
}

pub fn run(args: &DiffArgs) -> Exit {
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "error: cannot read the current directory: {error}");
            return Exit::Usage;
        }
    };
    let output = diff_in(args, &cwd);
    let _ = io::stderr().lock().write_all(output.stderr.as_bytes());
    let mut stdout = io::stdout().lock();
    if let Err(error) = stdout.write_all(output.stdout.as_bytes()).and_then(|()| stdout.flush()) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(io::stderr().lock(), "error: cannot write output: {error}");
            return Exit::Usage;
        }
    }
    output.exit
}

/// Runs `journey diff` with paths and git commands relative to `cwd`.
pub fn diff_in(args: &DiffArgs, cwd: &Path) -> Output {
    let mut stderr = String::new();
    let loaded = if args.git { load::from_git(&args.versions, cwd) } else { load::from_paths(&args.versions, cwd) };
    let (old, new, labels) = match loaded {
        Ok(loaded) => loaded,
        Err(message) => {
            return Output { exit: Exit::Usage, stdout: String::new(), stderr: format!("error: {message}\n") };
        }
    };
    for warning in old.warnings.iter().chain(&new.warnings) {
        stderr.push_str(&format!("warning: {warning}\n"));
    }
    let diff = journey_compiler::diff::diff(&old.report, &new.report);
    let stdout = render(args.format, &diff, &labels);
    let exit = if args.deny.contains(&DiffDeny::Weaker) && diff.is_weaker() { Exit::Problems } else { Exit::Ok };
    if exit == Exit::Problems {
        stderr.push_str("error: some send's compliance is weaker (`--deny weaker`)\n");
    }
    Output { exit, stdout, stderr }
}

pub fn render(format: DiffFormat, diff: &SemanticDiff, labels: &Labels) -> String {
    match format {
        DiffFormat::Text => text::render(diff, labels),
        DiffFormat::Markdown => markdown::render(diff, labels),
        DiffFormat::Json => json::render(diff, labels),
    }
}

/// `1 change`, `2 changes`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The headline of every format: how many changes, how many weaker.
fn headline(diff: &SemanticDiff) -> String {
    let weaker = diff.changes.iter().filter(|c| c.weaker).count();
    if diff.changes.is_empty() {
        "no semantic changes".to_owned()
    } else {
        format!("{}, {weaker} weaker", count(diff.changes.len(), "change"))
    }
}

/// What to say of a version whose check found errors: its evidence may be incomplete.
fn error_notes(diff: &SemanticDiff, labels: &Labels) -> Vec<String> {
    [(diff.old.errors, "old", &labels.old), (diff.new.errors, "new", &labels.new)]
        .into_iter()
        .filter(|(errors, _, _)| *errors > 0)
        .map(|(errors, side, label)| {
            format!(
                "the {side} version (`{label}`) has {} (`journey check` lists them): what it proves may be incomplete, and a send with no evidence in the new version counts as weaker",
                count(errors, "error")
            )
        })
        .collect()
}
