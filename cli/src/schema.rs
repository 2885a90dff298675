//! `journey schema`: prints the JSON Schema (draft 2020-12) of the flow bundle.
//!
//! The schema is the repository's `schema/bundle.schema.json`, embedded at build time, so the
//! file in the repository is exactly what ships; `tests/bundle.rs` validates every example bundle
//! against what this command prints.

use std::io::{self, Write};

use crate::exit::Exit;

/// The bundle's JSON Schema, byte for byte as in the repository.
pub const BUNDLE_SCHEMA: &str = include_str!("../schema/bundle.schema.json");

pub fn run() -> Exit {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(BUNDLE_SCHEMA.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Ok,
        // `journey schema | head` closes the pipe early; that is not an error worth reporting.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "error: cannot write output: {error}");
            Exit::Usage
        }
    }
}
