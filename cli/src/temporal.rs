//! `journey worker` and `journey run --engine temporal`: the Temporal engine's two commands. The
//! Temporal SDK lives in a workspace of its own (`temporal/`, binary `journey-temporal`: it is a
//! few hundred crates and needs a newer Rust), so `journey` does not link it; both commands hand
//! their arguments to that binary (docs/deploy-temporal.md):
//!
//! - `journey worker ...` becomes `journey-temporal worker ...`; on Unix the worker replaces this
//!   process (exec), so its process id, signals (SIGTERM for the graceful shutdown) and exit code
//!   are the worker's own, as a service manager expects.
//! - `journey run --engine temporal ...` becomes `journey-temporal send ...`, which checks the
//!   inputs and forwards every contact and event as a signal to the workers.
//!
//! The binary is `$JOURNEY_TEMPORAL` when set, else `journey-temporal` beside this executable,
//! else on `PATH`.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use crate::args::{RunArgs, WorkerArgs};
use crate::exit::Exit;

/// The environment variable that names the `journey-temporal` binary.
pub const BINARY_ENV: &str = "JOURNEY_TEMPORAL";

/// `journey run --engine temporal`: runs `journey-temporal send` and waits for it.
pub fn forward_run(args: &RunArgs) -> Exit {
    let binary = binary();
    match Command::new(&binary).args(send_arguments(args)).status() {
        Ok(status) if status.success() => Exit::Ok,
        Ok(status) => match status.code() {
            Some(1) => Exit::Problems,
            _ => Exit::Usage,
        },
        Err(error) => cannot_run(&binary, "--engine temporal", &error),
    }
}

/// `journey worker`: becomes `journey-temporal worker` (on Unix by exec, so the exit code is the
/// worker's; elsewhere it runs it and waits: 0 when it succeeded, else 2).
pub fn worker(args: &WorkerArgs) -> Exit {
    let binary = binary();
    let mut command = Command::new(&binary);
    command.args(worker_arguments(args));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        // `exec` returns only when it failed.
        let error = command.exec();
        cannot_run(&binary, "journey worker", &error)
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) if status.success() => Exit::Ok,
        Ok(_) => Exit::Usage,
        Err(error) => cannot_run(&binary, "journey worker", &error),
    }
}

fn cannot_run(binary: &OsString, what: &str, error: &std::io::Error) -> Exit {
    let _ = writeln!(
        std::io::stderr(),
        "error: cannot run `{}` for {what}: {} (build it with `cargo build --release --manifest-path temporal/Cargo.toml`, put it on PATH or name it in ${BINARY_ENV})",
        binary.to_string_lossy(),
        crate::discover::describe_io_error(error)
    );
    Exit::Usage
}

/// `journey-temporal send`'s arguments for these: the same project, excludes and seed; the
/// events from the file given, or from standard input.
pub fn send_arguments(args: &RunArgs) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["send".into(), "--temporal".into(), args.temporal().into()];
    out.extend(["--task-queue".into(), args.task_queue().into()]);
    let events = args.events.clone().unwrap_or_else(|| PathBuf::from("/dev/stdin"));
    out.extend(["--events".into(), events.into_os_string()]);
    if let Some(contacts) = &args.contacts {
        out.extend(["--contacts".into(), contacts.clone().into_os_string()]);
    }
    out.extend(["--seed".into(), args.seed.to_string().into()]);
    push_project(&mut out, &args.exclude, &args.paths);
    out
}

/// `journey-temporal worker`'s arguments for these, flag for flag.
pub fn worker_arguments(args: &WorkerArgs) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["worker".into(), "--temporal".into(), args.temporal.clone().into()];
    out.extend(["--task-queue".into(), args.task_queue.clone().into()]);
    if let Some(sink) = &args.sink {
        out.extend(["--sink".into(), sink.clone().into_os_string()]);
    }
    if let Some(webhook) = &args.webhook {
        out.extend(["--webhook".into(), webhook.clone().into()]);
    }
    out.extend(["--listen".into(), args.listen.clone().into()]);
    push_project(&mut out, &args.exclude, &args.paths);
    out
}

/// The project's arguments, last: each `--exclude`, then `--` and the paths (so that a path that
/// begins with `-` stays a path).
fn push_project(out: &mut Vec<OsString>, exclude: &[PathBuf], paths: &[PathBuf]) {
    for skip in exclude {
        out.extend(["--exclude".into(), skip.clone().into_os_string()]);
    }
    out.push("--".into());
    out.extend(paths.iter().map(|p| p.clone().into_os_string()));
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
