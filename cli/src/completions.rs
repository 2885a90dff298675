//! `journey completions SHELL` and `journey manpage`: shell completions (clap_complete) and a
//! roff man page (clap_mangen), both generated from the one clap definition in `args.rs`, so they
//! list exactly the subcommands and flags the binary has.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::exit::Exit;

pub fn completions(args: &CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "journey", &mut out);
    write_out(&out)
}

pub fn manpage() -> Exit {
    let mut out = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut out) {
        Ok(()) => write_out(&out),
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "error: cannot render the man page: {error}");
            Exit::Usage
        }
    }
}

/// Writes the whole text to standard output; a closed pipe (`| head`) is not an error.
fn write_out(bytes: &[u8]) -> Exit {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Ok,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "error: cannot write output: {error}");
            Exit::Usage
        }
    }
}
