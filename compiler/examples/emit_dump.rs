//! Development aid: prints the bundles `bundle::emit` makes of each input, whether or not the
//! project checked, with what `bundle::validate` says of each, so that two builds of the emitter
//! can be compared byte for byte over a corpus (`emit_dump $(ls fuzz/corpus/parse_check/*) >a`).
//!
//! A file argument is a project in the fuzz target's format (files separated by `%% NAME` lines,
//! the first being `main.journey`); a directory argument is a project of every `.journey` file
//! under it, in path order.

// A development aid: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};

use journey_compiler::bundle::{self, Options};
use journey_compiler::check_project;
use journey_compiler::project::{MemoryLoader, ProjectPath};

/// The fuzz target's `split_project`: `\n%% NAME\n` lines separate named files.
fn split_project(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    const MARK: &[u8] = b"\n%% ";
    let mut files = Vec::new();
    let mut name = "main.journey".to_owned();
    let mut rest = data;
    loop {
        let cut = rest.windows(MARK.len()).position(|w| w == MARK);
        let (body, after) = match cut {
            Some(at) if files.len() + 1 < 8 => (&rest[..at], Some(&rest[at + MARK.len()..])),
            _ => (rest, None),
        };
        files.push((name.clone(), body.to_vec()));
        let Some(after) = after else { break };
        let end = after.iter().position(|b| *b == b'\n').unwrap_or(after.len());
        let wanted = std::str::from_utf8(&after[..end]).ok().and_then(ProjectPath::new);
        name = match wanted {
            Some(path) if !files.iter().any(|(n, _)| n == path.as_str()) => path.as_str().to_owned(),
            _ => format!("f{}.journey", files.len()),
        };
        rest = after.get(end + 1..).unwrap_or(&[]);
    }
    files
}

fn directory(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in std::fs::read_dir(root.join(&relative)).expect("a readable directory") {
            let entry = entry.expect("a directory entry");
            let name = relative.join(entry.file_name());
            if entry.file_type().expect("a file type").is_dir() {
                pending.push(name);
            } else if name.extension().is_some_and(|e| e == "journey") {
                let bytes = std::fs::read(entry.path()).expect("a readable file");
                files.push((name.to_str().expect("a UTF-8 path").replace('\\', "/"), bytes));
            }
        }
    }
    files.sort();
    files
}

fn main() {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        let files =
            if path.is_dir() { directory(path) } else { split_project(&std::fs::read(path).expect("a readable file")) };
        let entries: Vec<ProjectPath> = files.iter().filter_map(|(name, _)| ProjectPath::new(name)).collect();
        let mut loader = MemoryLoader::default();
        for (name, bytes) in files {
            if let Some(path) = ProjectPath::new(&name) {
                loader.insert(path, bytes);
            }
        }
        let report = check_project(&entries, &loader);
        writeln!(out, "=== {arg}: {} diagnostics", report.diagnostics.len()).expect("stdout");
        for (journey, text) in bundle::emit(&report, Options { source_date_epoch: Some(1) }) {
            let verdict = bundle::validate(&text).err().unwrap_or_else(|| "valid".to_owned());
            writeln!(out, "--- {journey}: {verdict}\n{text}").expect("stdout");
        }
    }
}
