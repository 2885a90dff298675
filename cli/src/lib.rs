//! The `journey` command-line tool as a library: `src/main.rs` parses the arguments and calls
//! [`run`]; tests call the check's front end ([`check`], [`project`]) and the renderers
//! ([`render`]) in process, as `tests/diagnostics.rs` does for every diagnostic fixture.
//!
//! Exit codes: 0 clean, 1 problems found, 2 usage or I/O error, 4 inconclusive ([`exit`]); a
//! panic (exit 101) is always a bug, reported by the hook `main` installs.

pub mod args;
mod atomic;
mod build;
pub mod check;
mod completions;
pub mod diff;
mod discover;
pub mod exit;
mod explain;
pub mod files;
pub mod fix;
mod fmt;
pub mod init;
pub mod map;
pub mod project;
pub mod render;
pub mod run;
mod schema;
mod simulate;
pub mod stdin;
pub mod temporal;

use std::process::ExitCode;

use crate::args::Command;

/// Runs one command; its exit code.
pub fn run(command: &Command) -> ExitCode {
    let exit = match command {
        Command::Check(args) => check::run(args),
        Command::Build(args) => build::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Run(args) => run::run(args),
        Command::Worker(args) => temporal::worker(args),
        Command::Map(args) => map::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Schema => schema::run(),
        Command::Lsp => return ExitCode::from(u8::try_from(journey_lsp::run_stdio()).unwrap_or(1)),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Manpage => completions::manpage(),
    };
    exit.into()
}
