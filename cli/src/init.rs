//! `journey init [DIR]`: a small project that checks clean, to start from (docs/getting-started.md).
//!
//! It writes `journey.toml` (the project root, named after the directory unless `--name` says
//! otherwise) and `main.journey` (a welcome journey on Messenger: a question with replies, an
//! exit on timeout, quiet hours). A test checks that the result checks clean and is formatted.
//! Nothing is overwritten: when either file exists, nothing is written and the exit code is 2.
//! Each file is created new (`create_new`, so a file appearing meanwhile is not replaced either);
//! one that cannot be written whole is removed again.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::args::InitArgs;
use crate::discover::{describe_io_error, display_path};
use crate::exit::Exit;
use crate::files::escape_controls;

/// The starting journey, formatted as `journey fmt` would.
pub const MAIN_JOURNEY: &str = include_str!("init/main.journey");

/// The name of the starting journey file.
pub const MAIN_FILE: &str = "main.journey";

pub fn run(args: &InitArgs) -> Exit {
    match init(&args.dir, args.name.as_deref()) {
        Ok(written) => {
            let mut stdout = io::stdout().lock();
            for path in &written {
                let _ = writeln!(stdout, "created {}", escape_controls(&display_path(path)));
            }
            let _ = writeln!(stdout, "next: journey check {}", escape_controls(&display_path(&args.dir)));
            Exit::Ok
        }
        Err(message) => {
            let _ = writeln!(io::stderr().lock(), "error: {}", escape_controls(&message));
            Exit::Usage
        }
    }
}

/// Writes the project into `dir` (created if missing); the paths written, or why nothing was.
pub fn init(dir: &Path, name: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let shown = display_path(dir);
    fs::create_dir_all(dir).map_err(|error| format!("cannot create `{shown}`: {}", describe_io_error(&error)))?;
    let name = match name {
        Some(name) => name.to_owned(),
        None => project_name(dir),
    };
    let files = [(dir.join(journey_host::MANIFEST), manifest(&name)), (dir.join(MAIN_FILE), MAIN_JOURNEY.to_owned())];
    if let Some((existing, _)) = files.iter().find(|(path, _)| path.exists()) {
        return Err(format!("`{}` exists already; nothing was written", display_path(existing)));
    }
    let mut written = Vec::new();
    for (path, text) in &files {
        if let Err(error) = create(path, text.as_bytes()) {
            // All or nothing: take back what this run wrote.
            for done in &written {
                let _ = fs::remove_file(done);
            }
            return Err(format!("cannot write `{}`: {}", display_path(path), describe_io_error(&error)));
        }
        written.push(path.clone());
    }
    Ok(written)
}

/// The directory's own name (of its canonical path, so `.` has one), else `journeys`.
fn project_name(dir: &Path) -> String {
    let canonical = dir.canonicalize().ok();
    canonical
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .map_or_else(|| "journeys".to_owned(), str::to_owned)
}

/// `journey.toml` naming the project. The name is written as a JSON string, which is also a
/// TOML basic string (the same escapes), so any name round-trips.
fn manifest(name: &str) -> String {
    let quoted = serde_json::to_string(name).unwrap_or_else(|_| "\"journeys\"".to_owned());
    format!(
        "# The root of a journey project: its files share one namespace (README, \"Projects\").\n\
         [project]\nname = {quoted}\n"
    )
}

/// Creates `path`, which must not exist, with `bytes`; removed again if it cannot be written whole.
fn create(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_quotes_and_backslashes_round_trips_through_the_manifest() {
        let text = manifest("a \"b\" \\ c");
        let checked = journey_compiler::manifest::check_manifest(journey_compiler::FileId(0), text.as_bytes());
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        assert_eq!(checked.manifest.and_then(|m| m.name).as_deref(), Some("a \"b\" \\ c"));
    }
}
