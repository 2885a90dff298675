//! The CI integrations, run by the tools that use them: the pre-commit hooks
//! (`.pre-commit-hooks.yaml`) through `pre-commit try-repo`, and the composite GitHub Action
//! (`action.yml`) and its example workflow through actionlint, which checks a local action's
//! metadata where a workflow uses it (docs/ci.md).
//!
//! The tools come from PyPI at exact versions (`.ci/requirements.txt`, installed by `.ci/run`).
//! Without one on PATH a test passes with a note, except under `CI`, where it fails: CI must
//! prove that it ran.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::ffi::OsString;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Whether `tool` runs; outside CI a missing tool is a note and the test does not run.
fn available_or_skip(tool: &str) -> bool {
    if Command::new(tool).arg("--version").output().is_ok_and(|output| output.status.success()) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("`{tool}` is not on PATH but CI is set: .ci/run installs it from .ci/requirements.txt");
    }
    let _ = writeln!(std::io::stderr(), "note: `{tool}` is not on PATH; this test did not run");
    false
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("integrations").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// PATH with the `journey` under test first, as an installed one would be.
fn path_with_journey() -> OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_journey")).parent().unwrap().to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// `pre-commit try-repo <this repository> HOOK --all-files` in `dir`, a git repository.
fn try_hook(dir: &Path, hook: &str) -> Output {
    Command::new("pre-commit")
        .args(["try-repo", repository().to_str().unwrap(), hook, "--all-files", "--color", "never"])
        .current_dir(dir)
        .env("PATH", path_with_journey())
        // pre-commit's cache of cloned hook repositories, kept out of the user's home.
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-cache"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A git repository holding `files`, all added.
fn repository_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    git(&dir, &["init", "--quiet"]);
    fs::write(dir.join(".gitignore"), ".pre-commit-cache/\n").unwrap();
    for (path, content) in files {
        fs::write(dir.join(path), content).unwrap();
    }
    git(&dir, &["add", "."]);
    dir
}

const CLEAN: &str = "journey welcome {\n  stage start {\n    wait 1d\n  }\n}\n";
const BROKEN: &str = "journey x {\n  stage a {\n    send\n  }\n}\n";
const MESSY: &str = "journey welcome {\nstage start {\n        wait 1d\n}\n}\n";

#[test]
fn the_pre_commit_check_hook_passes_clean_files_and_fails_on_a_problem() {
    if !available_or_skip("pre-commit") {
        return;
    }
    let clean = repository_with("pre-commit-clean", &[("a.journey", CLEAN), ("notes.txt", "send")]);
    let passed = try_hook(&clean, "journey-check");
    assert!(passed.status.success(), "{}", text(&passed));
    let broken = repository_with("pre-commit-broken", &[("a.journey", CLEAN), ("b.journey", BROKEN)]);
    let failed = try_hook(&broken, "journey-check");
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(text(&failed).contains("J0101"), "{}", text(&failed));
}

#[test]
fn the_pre_commit_fmt_hook_formats_files_and_fails_when_it_changed_one() {
    if !available_or_skip("pre-commit") {
        return;
    }
    let dir = repository_with("pre-commit-fmt", &[("a.journey", MESSY)]);
    let first = try_hook(&dir, "journey-fmt");
    assert!(!first.status.success(), "a changed file fails the hook: {}", text(&first));
    assert_eq!(fs::read_to_string(dir.join("a.journey")).unwrap(), CLEAN);
    git(&dir, &["add", "."]);
    let second = try_hook(&dir, "journey-fmt");
    assert!(second.status.success(), "{}", text(&second));
}

/// actionlint on the repository's workflow, with the repository (its `action.yml`) at `root`.
fn actionlint(root: &Path) -> Output {
    Command::new("actionlint")
        // No shellcheck or pyflakes: what they would say depends on what else is installed.
        .args(["-no-color", "-shellcheck=", "-pyflakes=", ".github/workflows/journey.yml"])
        .current_dir(root)
        .output()
        .unwrap()
}

#[test]
fn actionlint_accepts_the_workflow_and_the_composite_actions_metadata() {
    if !available_or_skip("actionlint") {
        return;
    }
    let checked = actionlint(&repository());
    assert!(checked.status.success(), "{}", text(&checked));

    // Not vacuous: the same workflow beside an action without its required description fails.
    // A git repository of its own: actionlint takes the nearest one as the project `./` means.
    let copy = scratch("actionlint-broken");
    git(&copy, &["init", "--quiet"]);
    fs::create_dir_all(copy.join(".github/workflows")).unwrap();
    let workflow = fs::read_to_string(repository().join(".github/workflows/journey.yml")).unwrap();
    fs::write(copy.join(".github/workflows/journey.yml"), workflow).unwrap();
    let action = fs::read_to_string(repository().join("action.yml")).unwrap();
    let without = action.lines().filter(|line| !line.starts_with("description:")).collect::<Vec<_>>().join("\n");
    assert_ne!(without, action.trim_end());
    fs::write(copy.join("action.yml"), without).unwrap();
    let failed = actionlint(&copy);
    assert!(!failed.status.success());
    assert!(text(&failed).contains("description is required"), "{}", text(&failed));
}
