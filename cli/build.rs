//! Writes one test per diagnostic fixture (`tests/fixtures/diagnostics/*.journey`) into
//! `OUT_DIR/diagnostic_fixtures.rs`, which `tests/diagnostics.rs` includes: each fixture file is
//! a named test (`J0101_expected_message_name`, `J0101_expected_message_name_fixed`), so a new
//! fixture is tested without being listed anywhere.
//!
//! It also sets `JOURNEY_COMMIT` (empty when unknown) and `JOURNEY_VERSION`, what `journey --version` prints after the name: the crate's
//! version, followed by the commit it was built from when that is known (`0.1.0 (1a2b3c4d5e6f)`),
//! as `rustc --version` does. The commit comes from git when the build runs in a git checkout
//! (a clone, or `cargo install --git`, which builds in one), else from the `.cargo_vcs_info.json`
//! that `cargo package` writes into a published crate; without either, the version alone. No
//! clock and no dirty flag: the same commit always gives the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Hex digits of the commit shown: as many as `git rev-parse --short=12` gives.
const COMMIT_DIGITS: usize = 12;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    set_version();
    let dir = Path::new("../tests/fixtures/diagnostics");
    println!("cargo::rerun-if-changed={}", dir.display());
    // Without the fixtures (a build from a package of this crate alone) there is nothing to test.
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".journey"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut out = String::new();
    for name in &names {
        // `J0101_what.fixed.journey` -> `J0101_what_fixed`.
        let test: String = name
            .trim_end_matches(".journey")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let test = if test.starts_with(|c: char| c.is_ascii_digit()) { format!("fixture_{test}") } else { test };
        writeln!(out, "#[test]\n#[allow(non_snake_case)]\nfn {test}() {{\n    check_fixture({name:?});\n}}\n")?;
    }
    writeln!(out, "/// Every fixture file a test was written for, sorted.")?;
    writeln!(out, "const FIXTURES_WITH_TESTS: &[&str] = &{names:?};")?;
    let out_dir = std::env::var("OUT_DIR")?;
    std::fs::write(Path::new(&out_dir).join("diagnostic_fixtures.rs"), out)?;
    Ok(())
}

/// Sets `JOURNEY_VERSION` (see the module comment).
fn set_version() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let commit = commit_from_git().or_else(commit_from_vcs_info);
    let full = match &commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo::rustc-env=JOURNEY_VERSION={full}");
    // Empty when unknown; SARIF links standard-library lines at this commit (render/sarif.rs).
    println!("cargo::rustc-env=JOURNEY_COMMIT={}", commit.unwrap_or_default());
}

/// The checkout's commit, and a rerun whenever HEAD moves; `None` outside git or without git.
fn commit_from_git() -> Option<String> {
    let commit = git(&["rev-parse", &format!("--short={COMMIT_DIGITS}"), "HEAD"])?;
    // HEAD names the branch (in this worktree's git dir); the branch's ref lives in the common
    // git dir, loose or packed. Only files that exist: a missing one would rerun every build.
    let git_dir = PathBuf::from(git(&["rev-parse", "--git-dir"])?);
    let common_dir = PathBuf::from(git(&["rev-parse", "--git-common-dir"])?);
    let mut watched = vec![git_dir.join("HEAD"), common_dir.join("packed-refs")];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common_dir.join(branch));
    }
    for path in watched.iter().filter(|path| path.exists()) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    Some(commit)
}

/// One git command's trimmed output, run in this crate's directory; `None` on any failure.
fn git(arguments: &[&str]) -> Option<String> {
    let output = Command::new("git").args(arguments).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

/// The commit `cargo package` recorded (`"sha1": "<40 hex digits>"`), for a build of the
/// published crate, which has no `.git`.
fn commit_from_vcs_info() -> Option<String> {
    let info = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let (_, after) = info.split_once("\"sha1\"")?;
    let (_, quoted) = after.split_once('"')?;
    let (sha1, _) = quoted.split_once('"')?;
    let commit = sha1.get(..COMMIT_DIGITS)?;
    commit.bytes().all(|b| b.is_ascii_hexdigit()).then(|| commit.to_owned())
}
