//! `journey build PATH... --out DIR`: check, then write one bundle per journey.
//!
//! Nothing is written unless the whole run checks without errors (and without warnings under
//! `--deny warnings`). The project is checked once: the report whose diagnostics are printed is
//! the one the bundles are emitted from. Every bundle is emitted and validated in memory first;
//! then each is written atomically: a temporary file in DIR itself (so the rename never crosses
//! file systems), flushed to disk, read back and validated again, renamed over the old bundle,
//! and the directory flushed. A build killed at any moment leaves each bundle either old or new,
//! never partial. `SOURCE_DATE_EPOCH` is the only source of a timestamp.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use journey_compiler::bundle::{self, Options};
use journey_compiler::project::ProjectPath;
use journey_compiler::{check_project, Diagnostic, ProjectReport, Severity};

use crate::args::{BuildArgs, Deny};
use crate::check;
use crate::exit::Exit;
use crate::project::{self, ProjectInputs};

pub fn run(args: &BuildArgs) -> Exit {
    let check_args = args.as_check_args();
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let source_date_epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse::<u64>().ok());
    let options = Options { source_date_epoch };
    // Each project's bundles are emitted from its report as the check makes it; they are used
    // only if the check as a whole passes.
    let mut emitted: Result<BTreeMap<String, String>, String> = Ok(BTreeMap::new());
    let outcome = check::check_projects(&check_args.paths, &check_args.exclude, |inputs, report| {
        if let Ok(bundles) = &mut emitted {
            if let Err(message) = emit_project(inputs, report, options, deny_warnings, bundles) {
                emitted = Err(message);
            }
        }
    });
    // The check prints the diagnostics exactly as `journey check` would, and decides.
    let checked = check::report(&check_args, &outcome);
    if checked != Exit::Ok {
        let _ = writeln!(io::stderr().lock(), "error: no bundle written: the check did not pass");
        return checked;
    }
    let bundles = match emitted {
        Ok(bundles) => bundles,
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "error: no bundle written: {message}");
            return Exit::Problems;
        }
    };
    if let Err(message) = write_all(&args.out, &bundles) {
        let _ = writeln!(io::stderr().lock(), "error: {message}");
        return Exit::Usage;
    }
    let _ = writeln!(
        io::stderr().lock(),
        "wrote {} bundle{} to {}",
        bundles.len(),
        plural(bundles.len()),
        crate::discover::display_path(&args.out)
    );
    Exit::Ok
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Adds a project's bundles to `bundles`, keyed by file name, validated; an error if two
/// journeys share a name. A project whose check failed adds nothing: the check's exit code
/// refuses the build.
///
/// Bundles are emitted from a project checked with its entries sorted by project path, so they
/// do not depend on the order of the command line (the first `quiet_hours` of a project, for
/// one, is taken in file order). Entries found by searching directories are sorted already, and
/// then the report of the check is used; files named out of order are checked again, sorted.
fn emit_project(
    inputs: &ProjectInputs,
    report: &ProjectReport,
    options: Options,
    deny_warnings: bool,
    bundles: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    if failing(report, deny_warnings).is_some() {
        return Ok(());
    }
    let entries: Vec<&ProjectPath> = inputs.entries.iter().map(|(path, _)| path).collect();
    let sorted_report;
    let report = if entries.is_sorted() {
        report
    } else {
        let mut entries: Vec<ProjectPath> = entries.into_iter().cloned().collect();
        entries.sort();
        sorted_report = check_project(&entries, &project::DiskLoader::new(inputs.root.clone()));
        if let Some(diagnostic) = failing(&sorted_report, deny_warnings) {
            return Err(format!(
                "the check before writing found {}: {} (did the files change during the build?)",
                diagnostic.code.as_str(),
                diagnostic.message
            ));
        }
        &sorted_report
    };
    for (journey, text) in bundle::emit(report, options) {
        bundle::validate(&text).map_err(|why| format!("the bundle of journey `{journey}` is invalid: {why}"))?;
        let name = format!("{journey}.bundle.json");
        if bundles.insert(name, text).is_some() {
            return Err(format!("two projects define a journey named `{journey}`; bundles are named after journeys"));
        }
    }
    Ok(())
}

/// The first diagnostic that fails the build: an error, or a warning under `--deny warnings`.
fn failing(report: &ProjectReport, deny_warnings: bool) -> Option<&Diagnostic> {
    report
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning))
}

fn write_all(out: &Path, bundles: &BTreeMap<String, String>) -> Result<(), String> {
    let shown = crate::discover::display_path(out);
    fs::create_dir_all(out).map_err(|e| format!("cannot create `{shown}`: {e}"))?;
    for (name, text) in bundles {
        write_atomically(out, name, text).map_err(|e| format!("cannot write `{shown}/{name}`: {e}"))?;
    }
    // Make the renames themselves durable.
    File::open(out).and_then(|dir| dir.sync_all()).map_err(|e| format!("cannot sync `{shown}`: {e}"))?;
    Ok(())
}

fn write_atomically(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    let target = dir.join(name);
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        // Read back what is on disk, not what we meant to write.
        let written = fs::read_to_string(&temporary)?;
        if written != text {
            return Err(io::Error::other("the file read back differs from what was written"));
        }
        bundle::validate(&written).map_err(io::Error::other)?;
        fs::rename(&temporary, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}
