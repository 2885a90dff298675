//! Development aid: prints the bundles `bundle::emit` makes of each input, whether or not the
//! project checked, with what `bundle::validate` says of each, so that two builds of the emitter
//! can be compared byte for byte over a corpus (`emit_dump $(ls fuzz/corpus/parse_check/*) >a`).
//!
//! A file argument is a project in the fuzz target's format (files separated by `%% NAME` lines,
//! the first being `main.journey`: `journey_test_support::split_fixture`); a directory argument
//! is a project of every `.journey` file under it, in path order.

// A development aid: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::path::Path;

use journey_compiler::bundle::{self, Options};
use journey_compiler::check_project;
use journey_test_support::{journey_files_under, memory_project, split_fixture};

fn main() {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        let files = if path.is_dir() {
            journey_files_under(path)
        } else {
            split_fixture(&std::fs::read(path).expect("a readable file"))
        };
        let (loader, entries) = memory_project(files);
        let report = check_project(&entries, &loader);
        writeln!(out, "=== {arg}: {} diagnostics", report.diagnostics.len()).expect("stdout");
        for (journey, text) in bundle::emit(&report, Options { source_date_epoch: Some(1) }) {
            let verdict = bundle::validate(&text).err().unwrap_or_else(|| "valid".to_owned());
            writeln!(out, "--- {journey}: {verdict}\n{text}").expect("stdout");
        }
    }
}
