//! Every diagnostic code has a fixture that triggers it and a fixed version that is clean.
//!
//! `tests/fixtures/diagnostics/J0101_what_it_shows.journey` must report J0101 (exit 1), and
//! `J0101_what_it_shows.fixed.journey` must report nothing (exit 0). A fixture for a warning
//! (J0305, J0306, J0501, J0505) must report its code and still exit 0, and exit 1 under
//! `--deny warnings`.
//! Each failing fixture has a snapshot with its source and the rendered output (rich format, no
//! colour) together. The directory has no `journey.toml`, so each file is a project of its own.
//! J0111 (file too large) is generated here instead of checked in; imports across several files
//! and out of the project root are in `projects.rs`.
//!
//! Every fixture file is a test of its own, named after it (`J0101_what_it_shows`,
//! `J0101_what_it_shows_fixed`), written by `cli/build.rs`. The fixtures are checked and
//! rendered in process, as `journey check --format rich FILE` in the fixtures' directory does
//! (the same project grouping, disk loader, file table, exit code and renderer, from the
//! `journey` library); `cli.rs` runs the binary for exit codes and argument wiring.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use journey::check::{exit_of, Outcome};
use journey::project::{DiskLoader, ProjectInputs};
use journey::render::{rich, Summary};
use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::project::ProjectPath;
use journey_compiler::{check_project, Code, Diagnostic, Severity};

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/diagnostics")
}

/// What `journey check FILE` finds when run in `dir` on a file with no `journey.toml` above it:
/// a project of its own rooted at `dir`, checked in process.
struct Checked {
    outcome: Outcome,
}

impl Checked {
    /// The exit code `journey check` gives, with or without `--deny warnings`.
    fn exit(&self, deny_warnings: bool) -> u8 {
        exit_of(&self.outcome, &Summary::of(&self.outcome), deny_warnings).code()
    }

    fn diagnostics(&self) -> &[Diagnostic] {
        &self.outcome.diagnostics
    }

    fn codes(&self) -> Vec<&'static str> {
        self.outcome.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    /// `--format rich` without colour.
    fn rich(&self) -> String {
        let mut out = Vec::new();
        rich::render(&self.outcome.table, &self.outcome.diagnostics, false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}

fn check_in(dir: &Path, file: &str) -> Checked {
    let root = dir.canonicalize().unwrap();
    // As `journey check` groups files: with no `journey.toml` above it, a file is a project of
    // its own, rooted at the directory it was named from.
    assert!(journey_host::manifest_root(&root.join(file)).is_none(), "{file}: a journey.toml above makes a project");
    let path = ProjectPath::new(file).unwrap();
    let inputs = ProjectInputs {
        root: root.clone(),
        display_prefix: String::new(),
        entries: vec![(path.clone(), file.to_owned())],
        manifest: false,
    };
    let loader = DiskLoader::new(root);
    // The binary checks on its main thread (8 MiB of stack on Linux); a test thread has 2 MiB,
    // which an unoptimised build of the deepest fixtures (J0115) overflows.
    let report = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(MAIN_THREAD_STACK)
            .spawn_scoped(scope, || check_project(std::slice::from_ref(&path), &loader))
            .unwrap()
            .join()
            .unwrap()
    });
    let mut outcome = Outcome::default();
    outcome.add_project(&inputs, report);
    Checked { outcome }
}

/// The stack of the binary's main thread on Linux (`ulimit -s`, 8 MiB by default).
const MAIN_THREAD_STACK: usize = 8 << 20;

/// Shows control and bidirectional characters visibly, so snapshots say what the file holds.
fn visible(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c) => {
                format!("<U+{:04X}>", u32::from(c))
            }
            c => c.to_string(),
        })
        .collect()
}

/// The `.journey` files of the fixtures' directory, sorted.
fn fixture_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".journey"))
        .collect();
    names.sort();
    names
}

fn failing_fixtures() -> Vec<String> {
    fixture_files().into_iter().filter(|n| !n.ends_with(".fixed.journey")).collect()
}

/// The code a fixture is named after (`J0101_...` -> J0101).
fn code_of(fixture: &str) -> Option<Code> {
    fixture.get(..5).and_then(Code::parse)
}

/// The test of one fixture file (each is a `#[test]` of its own, written by `cli/build.rs`): a
/// failing fixture renders as snapshotted, reports its code with its exit code, and has a fixed
/// version; a fixed one is clean.
fn check_fixture(name: &str) {
    let dir = fixtures_dir();
    if let Some(failing) = name.strip_suffix(".fixed.journey") {
        let failing = format!("{failing}.journey");
        assert!(dir.join(&failing).exists(), "{name}: no {failing}, the fixture it fixes");
        let checked = check_in(&dir, name);
        assert_eq!((checked.exit(false), checked.codes()), (0, vec![]), "{name}: expected a clean file");
        return;
    }

    let source = std::fs::read(dir.join(name)).unwrap();
    let checked = check_in(&dir, name);
    let exit = checked.exit(false);
    let snapshot = format!("----- SOURCE\n{}----- OUTPUT (exit {})\n{}", visible(&source), exit, checked.rich());
    insta::assert_snapshot!(name.trim_end_matches(".journey"), snapshot);

    let code = code_of(name).unwrap_or_else(|| panic!("{name}: the name does not start with a known code"));
    let codes = checked.codes();
    assert!(codes.contains(&code.as_str()), "{name}: codes {codes:?}, expected {code}");
    if code.default_severity() == Severity::Warning {
        // A warning alone does not fail the check, unless warnings are denied.
        assert_eq!(exit, 0, "{name}: codes {codes:?}, expected warning {code} and exit 0");
        assert_eq!(checked.exit(true), 1, "{name}: under --deny warnings");
    } else {
        // An inconclusive verdict (J0413) fails closed with its own exit code.
        let expected_exit = if code == Code::J0413 { 4 } else { 1 };
        assert_eq!(exit, expected_exit, "{name}: codes {codes:?}, expected {code}");
    }
    let fixed = name.replace(".journey", ".fixed.journey");
    assert!(dir.join(&fixed).exists(), "{name}: no {fixed}");
}

include!(concat!(env!("OUT_DIR"), "/diagnostic_fixtures.rs"));

/// `cli/build.rs` wrote a test for every fixture file there is (cargo reruns it when the
/// directory changes; this catches a stale list).
#[test]
fn every_fixture_file_has_a_test() {
    assert_eq!(FIXTURES_WITH_TESTS, fixture_files().as_slice());
}

#[test]
fn a_file_over_the_size_limit_reports_j0111_and_a_small_one_is_clean() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagnostics-j0111");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("huge.journey"), "// padding\n".repeat(MAX_SOURCE_BYTES / 11 + 1)).unwrap();
    std::fs::write(dir.join("small.journey"), "// padding\n".repeat(100)).unwrap();
    let huge = check_in(&dir, "huge.journey");
    assert_eq!((huge.exit(false), huge.codes()), (1, vec!["J0111"]));
    let small = check_in(&dir, "small.journey");
    assert_eq!((small.exit(false), small.codes()), (0, vec![]));
}

#[test]
fn a_journey_one_step_over_the_size_bound_reports_j0509_and_nothing_from_the_analyses() {
    use journey_compiler::limits::MAX_JOURNEY_NODES;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagnostics-j0509");
    std::fs::create_dir_all(&dir).unwrap();
    // One `track` is one step; the marketing send without consent would be J0401 if the
    // analyses ran. (The boundary itself, at and one over, is tested in the compiler with small
    // injected bounds: analysing a quarter of a million steps in a debug build takes too long.)
    let mut text = String::from(
        "import \"std/channels\"\n\nevent go {}\n\nmessage promo on sms as marketing {\n  text \"Acme: 10% off. Reply STOP to opt out\"\n}\n\njourney big {\n  entry on go\n  stage s {\n    send promo\n",
    );
    text.push_str(&"    track \"t\"\n".repeat(MAX_JOURNEY_NODES));
    text.push_str("  }\n}\n");
    std::fs::write(dir.join("big.journey"), text).unwrap();
    let big = check_in(&dir, "big.journey");
    assert_eq!((big.exit(false), big.codes()), (1, vec!["J0509"]));
}

/// The code ranges whose every code needs a fixture here: J01 syntax, J02 names and types, J03
/// channel content, J04 consent, windows and the other compliance rules, J05 flow structure.
const RANGES_WITH_FIXTURES: &[&str] = &["J01", "J02", "J03", "J04", "J05"];

/// Codes shown by a test in this file instead of a checked-in fixture.
const GENERATED_HERE: &[Code] = &[
    Code::J0111, // a file over the size limit: generated by a test above
    Code::J0509, // a journey over the size bound (3.5 MB): generated by a test above
];

/// Codes shown only by `tests/projects.rs`, because a single file cannot show them: J0117, an
/// invalid `journey.toml` (this directory has none: each file is a project of its own). J0214
/// (`../` above the root), J0215 (a misspelt `std/` module) and J0216 (a file that imports
/// itself) each fit in one file, so they have fixtures here too. `projects.rs` adds what one file
/// cannot show: absolute paths, URLs, percent-escapes and symbolic links out of a `journey.toml`
/// root (J0214), a missing project file (J0215), and a cycle of three files (J0216).
const SHOWN_IN_PROJECTS_RS: &[Code] = &[Code::J0117];

/// Codes shown only by the compiler's own tests (none today: J0413 has a fixture, a frequency cap
/// above what the analysis tracks on a journey with a loop).
const SHOWN_IN_COMPILER_TESTS: &[Code] = &[];

#[test]
fn every_code_has_a_failing_fixture() {
    let fixtures = failing_fixtures();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| RANGES_WITH_FIXTURES.iter().any(|range| code.as_str().starts_with(range)))
        .filter(|code| {
            !GENERATED_HERE.contains(code)
                && !SHOWN_IN_PROJECTS_RS.contains(code)
                && !SHOWN_IN_COMPILER_TESTS.contains(code)
        })
        .map(|code| code.as_str())
        .filter(|code| !fixtures.iter().any(|f| f.starts_with(code)))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn every_code_has_an_explanation_that_names_it() {
    for code in Code::ALL {
        let text = code.explanation();
        assert!(text.starts_with(&format!("# {}: {}", code.as_str(), code.title())), "{code}: {text}");
        assert!(text.lines().count() > 5, "{code} needs a real explanation");
    }
}

/// Writes `source` as `name` into a fresh directory (no `journey.toml`) and checks it.
fn check_source(dir_name: &str, name: &str, source: &str) -> Checked {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir_name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), source).unwrap();
    check_in(&dir, name)
}

#[test]
fn a_reply_named_like_a_steps_own_outcome_is_offered_a_name_from_its_title_that_the_message_does_not_use() {
    let source = r#"import "std/events"

message pick on messenger as service {
  text "I'm Acme's automated assistant. Which one?"
  reply "Running" -> running
  reply "Not now!" -> timeout
  reply "Other" -> other
  reply "Running" -> other
  card {
    title "Trail"
    button "EMOJI" -> timeout
  }
}
"#
    .replace("EMOJI", "\u{1F642}");
    let checked = check_source("diagnostics-j0230", "pick.journey", &source);
    assert_eq!(checked.codes(), vec!["J0230"; 4], "{:#?}", checked.diagnostics());
    let helps: Vec<&str> = checked.diagnostics().iter().map(|d| d.help.as_deref().unwrap()).collect();
    let example =
        |name: &str| format!("name the outcome after the choice, for example `-> {name}`, and give it its own arm");
    // "Not now!" gives `not_now`; "Other" gives `other`, which is reserved; `running` is another
    // reply's; an emoji gives no name.
    assert_eq!(helps, [example("not_now"), example("something_else"), example("something_else"), example("later")]);
}

// Known bug (compiler/src/check/resolve.rs, `StepKind::WaitFor`): the code after a `wait for`
// is taken to be reachable with the event in scope before it, even when every arm, `timeout`
// included, ends in `goto` or `exit`. So the stage after `browse` is thought to be entered both
// from `cart_abandoned => goto nudge` and by falling off the end of `browse` with `signed_up` in
// scope, and `{event.cart_url}` is reported as J0213. Only `cart_abandoned` reaches `nudge`.
#[test]
fn an_event_received_by_wait_for_stays_in_scope_in_the_stage_its_arm_jumps_to() {
    let source = r#"import "std/channels"

event signed_up {}
event cart_abandoned { cart_url: url }

message cart_nudge on sms as service {
  text "You left something in your cart: {event.cart_url}"
}

journey cart_recovery {
  entry on signed_up

  stage browse {
    wait for cart_abandoned within 3d {
      cart_abandoned => goto nudge
      timeout => exit
    }
  }

  stage nudge {
    send cart_nudge
    exit
  }
}
"#;
    let checked = check_source("diagnostics-wait-for-goto", "cart.journey", source);
    assert_eq!((checked.exit(false), checked.codes()), (0, vec![]), "{:#?}", checked.diagnostics());
}

// Known bug (compiler/src/check/exprs.rs, `type_of_path`): when the entry event is unknown
// (J0203), its `where` condition is checked with the event `Deferred`, but bare names only
// resolve against a `Known` event, so every field of the misspelt event is reported again as
// J0202 ("unknown segment or field `plan`"), and an enum value (`pro`) too.
#[test]
fn the_condition_of_an_unknown_entry_event_is_not_reported_again() {
    let source = r#"import "std/channels"

event signed_up { plan: enum { free, pro } }

message hello on sms as service {
  text "Your account is ready."
}

journey onboarding {
  entry on sign_up where plan == pro

  stage welcome {
    send hello
    exit
  }
}
"#;
    let checked = check_source("diagnostics-unknown-entry-where", "onboarding.journey", source);
    assert_eq!((checked.exit(false), checked.codes()), (1, vec!["J0203"]), "{:#?}", checked.diagnostics());
}

// Known bug (compiler/src/names.rs, `closest`): the edit distance is Levenshtein, so two
// swapped letters cost 2, over the limit of 1 for a three-letter name. `vpi` for `vip`, the
// example of `journey explain J0202` itself, gets no "did you mean".
#[test]
fn two_swapped_letters_get_a_did_you_mean() {
    let source = r#"import "std/channels"

profile {
  lifetime_value: money
}

segment vip = lifetime_value >= 500 USD
segment loyal = vpi
"#;
    let checked = check_source("diagnostics-swapped-letters", "segments.journey", source);
    let diagnostics = checked.diagnostics();
    assert_eq!((checked.exit(false), checked.codes()), (1, vec!["J0202"]), "{diagnostics:#?}");
    assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `vip`?"), "{diagnostics:#?}");
}

struct Run {
    exit: i32,
    stdout: String,
}

/// Runs `journey check` with `args` in `dir`, on relative paths so output has no absolute path:
/// for directory arguments (projects with a `journey.toml`, found by searching), which the
/// in-process [`check_in`] does not do.
fn check_with_the_binary(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(JOURNEY).arg("check").args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap();
    Run { exit: output.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&output.stdout).into_owned() }
}

/// Each project under examples/broken reports exactly its headline error; the rendered output is
/// pinned so a change in any of them is seen.
#[test]
fn every_broken_example_reports_its_headline_error_as_snapshotted() {
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/broken");
    let mut names: Vec<String> = std::fs::read_dir(&broken)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "the headline errors need their broken examples: {names:?}");
    for name in names {
        let run = check_with_the_binary(&broken, &["--format", "rich", &name]);
        assert_eq!(run.exit, 1, "{name} must fail the check");
        insta::assert_snapshot!(
            format!("broken_{name}"),
            format!("----- journey check {name} (exit {})\n{}", run.exit, run.stdout)
        );
    }
}
