//! `journey run --engine temporal`: the events go to Temporal rather than to the embedded engine.
//! The Temporal SDK lives in a workspace of its own (`temporal/`, binary `journey-temporal`: it is
//! a few hundred crates and needs a newer Rust), so this command does not link it; it hands its
//! arguments to `journey-temporal send`, which checks the inputs and forwards every contact and
//! event as a signal to the workers (docs/deploy-temporal.md).
//!
//! The binary is `$JOURNEY_TEMPORAL` when set, else `journey-temporal` beside this executable,
//! else on `PATH`.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use crate::args::RunArgs;
use crate::exit::Exit;

/// The environment variable that names the `journey-temporal` binary.
pub const BINARY_ENV: &str = "JOURNEY_TEMPORAL";

pub fn forward(args: &RunArgs) -> Exit {
    let binary = binary();
    let status = Command::new(&binary).args(send_arguments(args)).status();
    match status {
        Ok(status) if status.success() => Exit::Ok,
        Ok(status) => match status.code() {
            Some(1) => Exit::Problems,
            _ => Exit::Usage,
        },
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot run `{}` for --engine temporal: {} (build it with `cargo build --release --manifest-path temporal/Cargo.toml`, put it on PATH or name it in ${BINARY_ENV})",
                binary.to_string_lossy(),
                crate::discover::describe_io_error(&error)
            );
            Exit::Usage
        }
    }
}

/// `journey-temporal send`'s arguments for these: the same project, excludes and seed; the
/// events from the file given, or from standard input.
pub fn send_arguments(args: &RunArgs) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["send".into(), "--temporal".into(), args.temporal.clone().into()];
    out.extend(["--task-queue".into(), args.task_queue.clone().into()]);
    let events = args.events.clone().unwrap_or_else(|| PathBuf::from("/dev/stdin"));
    out.extend(["--events".into(), events.into_os_string()]);
    if let Some(contacts) = &args.contacts {
        out.extend(["--contacts".into(), contacts.clone().into_os_string()]);
    }
    out.extend(["--seed".into(), args.seed.to_string().into()]);
    for exclude in &args.exclude {
        out.extend(["--exclude".into(), exclude.clone().into_os_string()]);
    }
    out.extend(args.paths.iter().map(|p| p.clone().into_os_string()));
    out
}

fn binary() -> OsString {
    if let Some(named) = std::env::var_os(BINARY_ENV).filter(|v| !v.is_empty()) {
        return named;
    }
    let beside = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("journey-temporal")));
    match beside {
        Some(path) if path.is_file() => path.into_os_string(),
        _ => OsString::from("journey-temporal"),
    }
}
