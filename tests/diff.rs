//! `journey diff`: the semantic diff of two versions of a project (docs/diff.md).
//!
//! Each directory `tests/diff/<case>/` holds two versions of one project, `old/` and `new/`, that
//! differ in one kind of change. Each case is a test of its own below: it runs the diff in process
//! (through the `journey` library, as `journey diff tests/diff/<case>/old tests/diff/<case>/new`
//! does from the repository root), checks whether `--deny weaker` fails it, and snapshots the
//! three formats together. The last tests make a temporary git repository and compare its
//! revisions and its work tree with `--git`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use journey::args::{DiffArgs, DiffDeny, DiffFormat};
use journey::diff::{diff_in, Output};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn args(versions: &[&str], git: bool, format: DiffFormat, deny: bool) -> DiffArgs {
    DiffArgs {
        versions: versions.iter().map(|v| (*v).to_owned()).collect(),
        git,
        format,
        deny: if deny { vec![DiffDeny::Weaker] } else { Vec::new() },
    }
}

/// The diff of a case in every format, as one snapshot, and whether `--deny weaker` fails it.
fn case(name: &str, weaker: bool) {
    let old = format!("tests/diff/{name}/old");
    let new = format!("tests/diff/{name}/new");
    let mut shown = String::new();
    for (format, title) in [(DiffFormat::Text, "text"), (DiffFormat::Markdown, "markdown"), (DiffFormat::Json, "json")]
    {
        let output = diff_in(&args(&[&old, &new], false, format, false), &repository());
        assert_eq!(output.exit.code(), 0, "{name} ({title}): {}", output.stderr);
        assert_eq!(output.stderr, "", "{name} ({title})");
        shown.push_str(&format!("----- {title}\n{}", output.stdout));
    }
    let denied = diff_in(&args(&[&old, &new], false, DiffFormat::Text, true), &repository());
    let expected = if weaker { 1 } else { 0 };
    assert_eq!(denied.exit.code(), expected, "{name} under --deny weaker:\n{}{}", denied.stdout, denied.stderr);
    insta::assert_snapshot!(name, shown);
}

/// Every case directory has its test here.
const CASES: &[&str] = &[
    "consent_became_a_runtime_obligation",
    "consent_lost",
    "frequency_count_grew",
    "journey_added",
    "journey_removed",
    "marketing_send_added",
    "message_category_changed",
    "message_channel_changed",
    "message_text_changed",
    "nothing_changed",
    "quiet_hour_deferral_grew",
    "send_added",
    "send_moved",
    "send_removed",
    "stage_added",
    "stage_removed",
    "stronger",
    "window_bound_grew",
];

#[test]
fn every_case_directory_has_a_test() {
    let mut found: Vec<String> = fs::read_dir(repository().join("tests/diff"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    found.sort();
    assert_eq!(found, CASES);
}

#[test]
fn a_journey_added_is_listed_with_its_sends_and_is_not_weaker_without_marketing() {
    case("journey_added", false);
}

#[test]
fn a_journey_removed_is_listed_and_is_not_weaker() {
    case("journey_removed", false);
}

#[test]
fn a_stage_added_is_listed() {
    case("stage_added", false);
}

#[test]
fn a_stage_removed_is_listed_with_its_sends() {
    case("stage_removed", false);
}

#[test]
fn a_service_send_added_is_listed_with_its_evidence_and_is_not_weaker() {
    case("send_added", false);
}

#[test]
fn a_send_removed_is_listed_and_is_not_weaker() {
    case("send_removed", false);
}

#[test]
fn a_send_of_the_same_message_in_another_stage_is_moved_and_its_evidence_compared() {
    case("send_moved", false);
}

#[test]
fn a_message_whose_text_changed_shows_the_old_and_new_text() {
    case("message_text_changed", false);
}

#[test]
fn a_message_whose_category_changed_to_marketing_makes_its_sends_weaker() {
    case("message_category_changed", true);
}

#[test]
fn a_message_whose_channel_changed_is_listed_with_the_change_in_its_evidence() {
    case("message_channel_changed", false);
}

#[test]
fn a_window_bound_that_grew_is_weaker_even_inside_the_window() {
    case("window_bound_grew", true);
}

#[test]
fn a_frequency_count_that_grew_is_weaker_even_under_the_cap() {
    case("frequency_count_grew", true);
}

#[test]
fn a_quiet_hour_deferral_that_grew_is_weaker() {
    case("quiet_hour_deferral_grew", true);
}

#[test]
fn consent_lost_is_weaker_and_the_new_versions_errors_are_named() {
    case("consent_lost", true);
}

#[test]
fn consent_that_now_rests_on_the_window_is_a_runtime_obligation_and_weaker() {
    case("consent_became_a_runtime_obligation", true);
}

#[test]
fn a_marketing_send_added_is_weaker_and_says_what_was_proved() {
    case("marketing_send_added", true);
}

#[test]
fn a_reformatted_and_recommented_project_has_no_semantic_changes() {
    case("nothing_changed", false);
}

#[test]
fn a_shorter_window_bound_and_quiet_hour_hold_are_listed_and_not_weaker() {
    case("stronger", false);
}

#[test]
fn a_version_that_cannot_be_read_is_a_usage_error() {
    let output = diff_in(
        &args(&["tests/diff/no_such_case/old", "tests/diff/nothing_changed/new"], false, DiffFormat::Text, false),
        &repository(),
    );
    assert_eq!(output.exit.code(), 2);
    assert!(output.stderr.starts_with("error: cannot read `tests/diff/no_such_case/old`"), "{}", output.stderr);
    assert_eq!(output.stdout, "");
}

#[test]
fn one_path_without_git_is_a_usage_error() {
    let output = diff_in(&args(&["tests/diff/nothing_changed/old"], false, DiffFormat::Text, false), &repository());
    assert_eq!(output.exit.code(), 2);
    assert!(output.stderr.contains("takes two paths"), "{}", output.stderr);
}

// ---------------------------------------------------------------------------------------------
// `--git`, on a repository of its own.

/// Runs git in `dir`; the test fails when git is missing (it is installed wherever the tests run).
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("the --git tests need the `git` command");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Copies the `.journey` files of `from` into `to/project/`, replacing what was there.
fn put_version(from: &Path, to: &Path) {
    let project = to.join("project");
    if project.exists() {
        fs::remove_dir_all(&project).unwrap();
    }
    fs::create_dir_all(&project).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), project.join(entry.file_name())).unwrap();
    }
}

/// A repository with two commits (the `window_bound_grew` case's old, then new version, in
/// `project/`) and a work tree changed since (the `quiet_hour_deferral_grew` case's new policy).
fn repository_with_history(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-git").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "--quiet"]);
    let cases = repository().join("tests/diff");
    put_version(&cases.join("window_bound_grew/old"), &dir);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "--quiet", "-m", "v1"]);
    put_version(&cases.join("window_bound_grew/new"), &dir);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "--quiet", "-m", "v2"]);
    let main = dir.join("project/main.journey");
    let text = fs::read_to_string(&main).unwrap().replace("quiet_hours 21:00..08:00", "quiet_hours 20:00..08:00");
    fs::write(&main, text).unwrap();
    dir
}

fn changes(output: &Output) -> serde_json::Value {
    let document: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    document["changes"].clone()
}

#[test]
fn two_revisions_of_a_git_repository_diff_as_the_same_two_directories_do() {
    let dir = repository_with_history("revisions");
    let status_before = git(&dir, &["status", "--porcelain"]);
    let revisions = diff_in(&args(&["HEAD~1", "HEAD", "project"], true, DiffFormat::Json, true), &dir);
    assert_eq!(revisions.exit.code(), 1, "{}", revisions.stderr);
    let directories = diff_in(
        &args(&["tests/diff/window_bound_grew/old", "tests/diff/window_bound_grew/new"], false, DiffFormat::Json, true),
        &repository(),
    );
    assert_eq!(changes(&revisions), changes(&directories));
    assert!(changes(&revisions).as_array().is_some_and(|c| !c.is_empty()));
    // From inside the project's directory, PATH defaults to it; and nothing was written.
    let inside = diff_in(&args(&["HEAD~1", "HEAD"], true, DiffFormat::Json, false), &dir.join("project"));
    assert_eq!(changes(&inside), changes(&directories));
    assert_eq!(git(&dir, &["status", "--porcelain"]), status_before);
}

#[test]
fn a_revision_against_the_work_tree_shows_the_uncommitted_change() {
    let dir = repository_with_history("work-tree");
    let output = diff_in(&args(&["HEAD", "project"], true, DiffFormat::Text, true), &dir);
    assert_eq!(output.exit.code(), 1, "{}", output.stderr);
    insta::assert_snapshot!("git_head_against_the_work_tree", output.stdout);
    // The commit's own files against themselves: nothing changed.
    let same = diff_in(&args(&["HEAD", "HEAD", "project"], true, DiffFormat::Text, true), &dir);
    assert_eq!(same.exit.code(), 0, "{}", same.stderr);
    assert!(same.stdout.ends_with("no semantic changes\n"), "{}", same.stdout);
}

#[test]
fn a_path_absent_from_a_revision_is_an_empty_project_there_so_everything_is_added() {
    let dir = repository_with_history("absent");
    // Absent from both revisions: two empty projects.
    let output = diff_in(&args(&["HEAD~1", "HEAD", "nothing_here"], true, DiffFormat::Text, true), &dir);
    assert_eq!(output.exit.code(), 0, "{}", output.stderr);
    assert!(output.stdout.ends_with("no semantic changes\n"), "{}", output.stdout);
    // A project only in the work tree: every journey, message and send is added, and its
    // marketing sends are weaker.
    put_version(&repository().join("tests/diff/journey_added/new"), &dir.join("untracked"));
    let output = diff_in(&args(&["HEAD", "untracked/project"], true, DiffFormat::Json, true), &dir);
    assert_eq!(output.exit.code(), 1, "{}", output.stderr);
    let kinds: Vec<String> =
        changes(&output).as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap().to_owned()).collect();
    assert!(kinds.iter().all(|k| k.ends_with("_added")), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "journey_added").count(), 3, "{kinds:?}");
}

#[test]
fn an_unknown_revision_or_a_directory_outside_git_is_a_usage_error_with_a_clear_message() {
    let dir = repository_with_history("unknown");
    let output = diff_in(&args(&["no-such-branch", "HEAD", "project"], true, DiffFormat::Text, false), &dir);
    assert_eq!(output.exit.code(), 2);
    assert_eq!(output.stderr, "error: unknown revision `no-such-branch`: git knows no commit by that name\n");
    let outside = std::env::temp_dir();
    let output = diff_in(&args(&["HEAD"], true, DiffFormat::Text, false), &outside);
    assert_eq!(output.exit.code(), 2, "{}", output.stdout);
    assert!(output.stderr.contains("is not inside a git repository"), "{}", output.stderr);
}

#[test]
fn the_binary_wires_the_diff_command_and_its_exit_code() {
    let run = |deny: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_journey"))
            .args([
                "diff",
                "tests/diff/window_bound_grew/old",
                "tests/diff/window_bound_grew/new",
                "--format",
                "markdown",
            ])
            .args(deny)
            .current_dir(repository())
            .output()
            .unwrap()
    };
    let allowed = run(&[]);
    assert_eq!(allowed.status.code(), Some(0));
    assert!(String::from_utf8(allowed.stdout).unwrap().starts_with("### journey diff: 1 change, 1 weaker\n"));
    let denied = run(&["--deny", "weaker"]);
    assert_eq!(denied.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(denied.stderr).unwrap(),
        "error: some send's compliance is weaker (`--deny weaker`)\n"
    );
}

#[test]
fn a_file_over_the_size_limit_in_a_revision_is_reported_as_an_error_of_that_version_not_read() {
    let dir = repository_with_history("too-large");
    let limit = journey_compiler::limits::MAX_SOURCE_BYTES;
    fs::write(dir.join("project/big.journey"), vec![b' '; limit + 1]).unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "--quiet", "-m", "v3"]);
    let output = diff_in(&args(&["HEAD~1", "HEAD", "project"], true, DiffFormat::Json, false), &dir);
    assert_eq!(output.exit.code(), 0, "{}", output.stderr);
    let document: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!((document["old"]["errors"].as_u64(), document["new"]["errors"].as_u64()), (Some(0), Some(1)));
}
