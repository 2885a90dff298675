//! `journey build PATH... --out DIR`: check, then write one bundle per journey.
//!
//! Nothing is written unless the whole run checks without errors (and without warnings under
//! `--deny warnings`). Every bundle is emitted and validated in memory first; then each is
//! written atomically: a temporary file in DIR itself (so the rename never crosses file
//! systems), flushed to disk, read back and validated again, renamed over the old bundle, and
//! the directory flushed. A build killed at any moment leaves each bundle either old or new,
//! never partial. `SOURCE_DATE_EPOCH` is the only source of a timestamp.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use journey_compiler::bundle::{self, Options};
use journey_compiler::project::ProjectPath;
use journey_compiler::{check_project, Severity};

use crate::args::{BuildArgs, Deny};
use crate::check;
use crate::exit::Exit;
use crate::project;

pub fn run(args: &BuildArgs) -> Exit {
    let check_args = args.as_check_args();
    // The check prints the diagnostics exactly as `journey check` would, and decides.
    let checked = check::run(&check_args);
    if checked != Exit::Ok {
        let _ = writeln!(io::stderr().lock(), "error: no bundle written: the check did not pass");
        return checked;
    }
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let bundles = match emit_all(&args.paths, &args.exclude, deny_warnings) {
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

/// Every journey's bundle, keyed by file name, validated; an error if two journeys share a name.
///
/// The project is checked again here, and its bundles are emitted only from a report without
/// errors: the files may have changed since the check that printed the diagnostics. Entries are
/// sorted by project path, so the bundle does not depend on the order of the command line (the
/// first `quiet_hours` of a project, for one, is taken in file order).
fn emit_all(paths: &[PathBuf], exclude: &[PathBuf], deny_warnings: bool) -> Result<BTreeMap<String, String>, String> {
    let source_date_epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse::<u64>().ok());
    let options = Options { source_date_epoch };
    let mut discovered = crate::discover::discover(paths);
    discovered.inputs.retain(|input| !exclude.iter().any(|skip| input.path.starts_with(skip)));
    let mut errors = Vec::new();
    let projects = project::group(&discovered.inputs, &mut errors);
    if let Some(error) = errors.first() {
        return Err(error.clone());
    }
    let mut bundles = BTreeMap::new();
    for inputs in projects {
        let loader = project::DiskLoader::new(inputs.root.clone());
        let mut entries: Vec<ProjectPath> = inputs.entries.iter().map(|(path, _)| path.clone()).collect();
        entries.sort();
        let report = check_project(&entries, &loader);
        let failing = |d: &&journey_compiler::Diagnostic| {
            d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
        };
        if let Some(diagnostic) = report.diagnostics.iter().find(failing) {
            return Err(format!(
                "the check before writing found {}: {} (did the files change during the build?)",
                diagnostic.code.as_str(),
                diagnostic.message
            ));
        }
        for (journey, text) in bundle::emit(&report, options) {
            bundle::validate(&text).map_err(|why| format!("the bundle of journey `{journey}` is invalid: {why}"))?;
            let name = format!("{journey}.bundle.json");
            if bundles.insert(name, text).is_some() {
                return Err(format!(
                    "two projects define a journey named `{journey}`; bundles are named after journeys"
                ));
            }
        }
    }
    Ok(bundles)
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
