//! `journey`: the command-line front end of the journey compiler.
//!
//! `main` parses arguments, installs the internal-error hook and runs the command (the commands
//! live in the library, `src/lib.rs`). Exit codes: 0 clean, 1 problems found, 2 usage or I/O
//! error, 101 internal error (a panic, which is always a bug).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use journey::args::Cli;
use journey::exit::Exit;

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Usage errors (exit 2) and `--help`/`--version` (exit 0) alike; a closed pipe while
            // printing help is not worth a message.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(Exit::Usage.code()));
        }
    };
    journey::run(&cli.command)
}

/// A panic is a bug in journey, never the user's fault: say so plainly, with the version, and
/// ask for a report. The process still exits with Rust's panic code, 101.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "error: journey hit an internal error; this is a bug in journey, not in your files.\n\
             Please report it with the command you ran and, if you can, the input that caused it.\n\
             version: journey {}\n\
             details: {info}",
            env!("JOURNEY_VERSION")
        );
    }));
    if std::env::var_os("JOURNEY_TEST_INTERNAL_ERROR").is_some() {
        force_internal_error();
    }
}

/// Lets the end-to-end tests see the internal-error message (`JOURNEY_TEST_INTERNAL_ERROR=1`).
#[allow(clippy::panic)] // the one deliberate panic, behind a test-only environment variable
fn force_internal_error() {
    panic!("JOURNEY_TEST_INTERNAL_ERROR is set");
}
