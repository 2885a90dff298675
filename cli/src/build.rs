//! `journey build PATH... --out DIR`: check, then write one bundle per journey.
//!
//! Nothing is written unless the whole run checks without errors (and without warnings under
//! `--deny warnings`). The project is checked once: the report whose diagnostics are printed is
//! the one the bundles are emitted from. Every bundle is emitted and validated in memory first;
//! then each is written atomically: a temporary file in DIR itself (so the rename never crosses
//! file systems), flushed to disk, read back and validated again, renamed over the old bundle,
//! and the directory flushed. A build killed at any moment leaves each bundle either old or new,
//! never partial; the temporary files a killed build leaves behind are removed by the next build
//! that writes to DIR. `SOURCE_DATE_EPOCH` is the only source of a timestamp.

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
    remove_stale_temporaries(out, &shown);
    for (name, text) in bundles {
        write_atomically(out, name, text).map_err(|e| format!("cannot write `{shown}/{name}`: {e}"))?;
    }
    // Make the renames themselves durable.
    File::open(out).and_then(|dir| dir.sync_all()).map_err(|e| format!("cannot sync `{shown}`: {e}"))?;
    Ok(())
}

/// The temporary file a build with process id `pid` writes bundle `name` to before renaming it.
fn temporary_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.tmp")
}

/// The process id in a name [`temporary_name`] makes (`.<journey>.bundle.json.<pid>.tmp`), or
/// `None` for any other name.
fn temporary_pid(file_name: &str) -> Option<u32> {
    let inner = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (bundle, pid) = inner.rsplit_once('.')?;
    let journey = bundle.strip_suffix(".bundle.json")?;
    // A journey name is never empty; `u32::from_str` alone would accept a leading `+`.
    if journey.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether the build that wrote a temporary file with process id `pid` is over, so nothing will
/// rename the file any more. Where `/proc` lists the running processes (Linux), a process that
/// is not there has ended; a process that is there may be another build writing into the same
/// directory right now, and its file is left alone (if the id was reused, the file goes once
/// that process ends). Elsewhere a file untouched for an hour is stale: no build takes that long
/// between writing a temporary file and renaming it (a 100,000-stage bundle takes about a second).
/// Our own id is never stale here: this build has not written anything yet, so a file with it is
/// from a killed build whose id was reused by this one.
fn is_stale(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return !proc.join(pid.to_string()).exists();
    }
    const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);
    fs::symlink_metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|age| age >= STALE_AFTER)
}

/// Removes the temporary files that killed builds left in `out`: regular files named exactly as
/// [`temporary_name`] names them, whose build is over ([`is_stale`]). Nothing else is touched,
/// however it is named. A file that cannot be removed is reported and the build goes on: it
/// never ends in `.bundle.json`, so it can never be taken for a bundle.
fn remove_stale_temporaries(out: &Path, shown: &str) {
    let Ok(entries) = fs::read_dir(out) else { return };
    let mut stale: Vec<(String, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let pid = temporary_pid(&name)?;
            // Not through a symbolic link, and never a directory.
            let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
            (is_file && is_stale(pid, &entry.path())).then(|| (name, entry.path()))
        })
        .collect();
    // Reported in name order, whatever order the directory lists them in.
    stale.sort();
    for (name, path) in stale {
        if let Err(error) = fs::remove_file(&path) {
            if error.kind() != io::ErrorKind::NotFound {
                let _ = writeln!(
                    io::stderr().lock(),
                    "warning: cannot remove the stale temporary file `{shown}/{name}`: {}",
                    crate::discover::describe_io_error(&error)
                );
            }
        }
    }
}

fn write_atomically(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    let target = dir.join(name);
    let temporary = dir.join(temporary_name(name, std::process::id()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_a_build_gives_its_temporary_files_carry_a_process_id() {
        assert_eq!(temporary_pid(&temporary_name("welcome.bundle.json", 4321)), Some(4321));
        assert_eq!(temporary_pid(".a.b.bundle.json.7.tmp"), Some(7));
        for other in [
            "welcome.bundle.json",
            "welcome.bundle.json.12.tmp",   // not hidden
            ".welcome.bundle.json.tmp",     // no process id
            ".welcome.bundle.json.12a.tmp", // not a number
            ".welcome.bundle.json.+12.tmp",
            ".welcome.bundle.json.99999999999.tmp", // over u32
            ".welcome.json.12.tmp",
            "..bundle.json.12.tmp", // no journey name
            ".welcome.bundle.json.12.tmp.bak",
            ".welcome.bundle.json.12.TMP",
            ".tmp",
            "notes.tmp",
        ] {
            assert_eq!(temporary_pid(other), None, "{other}");
        }
    }

    #[test]
    fn a_temporary_file_of_this_process_id_is_stale_and_one_of_a_running_process_is_not() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(is_stale(std::process::id(), here));
        if Path::new("/proc/self").exists() {
            // pid 1 runs as long as the machine does.
            assert!(!is_stale(1, here));
        }
    }
}
