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

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::{Code, Severity};

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/diagnostics")
}

struct Run {
    exit: i32,
    stdout: String,
}

/// Runs `journey check` with `args` in `dir`, on relative paths so output has no absolute path.
fn check_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(JOURNEY).arg("check").args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap();
    Run { exit: output.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&output.stdout).into_owned() }
}

/// Codes in `journey check --format json` output.
fn codes_in(dir: &Path, file: &str) -> (i32, Vec<String>) {
    let run = check_in(dir, &["--format", "json", file]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let codes =
        json["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_owned()).collect();
    (run.exit, codes)
}

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

fn failing_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".journey") && !n.ends_with(".fixed.journey"))
        .collect();
    names.sort();
    names
}

/// The code a fixture is named after (`J0101_...` -> J0101).
fn code_of(fixture: &str) -> Option<Code> {
    fixture.get(..5).and_then(Code::parse)
}

#[test]
fn each_failing_fixture_reports_its_code_and_its_fixed_version_is_clean() {
    let dir = fixtures_dir();
    let mut problems = Vec::new();
    for name in failing_fixtures() {
        let Some(code) = code_of(&name) else {
            problems.push(format!("{name}: the name does not start with a known code"));
            continue;
        };
        let warning = code.default_severity() == Severity::Warning;
        let code = code.as_str();
        let (exit, codes) = codes_in(&dir, &name);
        let reported = codes.iter().any(|c| c == code);
        if warning {
            // A warning alone does not fail the check, unless warnings are denied.
            if exit != 0 || !reported {
                problems.push(format!("{name}: exit {exit}, codes {codes:?}, expected warning {code} and exit 0"));
            }
            let denied = check_in(&dir, &["--format", "json", "--deny", "warnings", &name]);
            if denied.exit != 1 {
                problems.push(format!("{name}: exit {} under --deny warnings, expected 1", denied.exit));
            }
        } else {
            // An inconclusive verdict (J0413) fails closed with its own exit code.
            let expected_exit = if code == "J0413" { 4 } else { 1 };
            if exit != expected_exit || !reported {
                problems
                    .push(format!("{name}: exit {exit}, codes {codes:?}, expected {code} and exit {expected_exit}"));
            }
        }
        let fixed = name.replace(".journey", ".fixed.journey");
        if !dir.join(&fixed).exists() {
            problems.push(format!("{name}: no {fixed}"));
            continue;
        }
        let (exit, codes) = codes_in(&dir, &fixed);
        if exit != 0 || !codes.is_empty() {
            problems.push(format!("{fixed}: exit {exit}, codes {codes:?}, expected a clean file"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn failing_fixtures_render_as_snapshotted() {
    let dir = fixtures_dir();
    for name in failing_fixtures() {
        let source = std::fs::read(dir.join(&name)).unwrap();
        let run = check_in(&dir, &["--format", "rich", &name]);
        let snapshot = format!("----- SOURCE\n{}----- OUTPUT (exit {})\n{}", visible(&source), run.exit, run.stdout);
        insta::assert_snapshot!(name.trim_end_matches(".journey"), snapshot);
    }
}

#[test]
fn a_file_over_the_size_limit_reports_j0111_and_a_small_one_is_clean() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagnostics-j0111");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("huge.journey"), "// padding\n".repeat(MAX_SOURCE_BYTES / 11 + 1)).unwrap();
    std::fs::write(dir.join("small.journey"), "// padding\n".repeat(100)).unwrap();
    assert_eq!(codes_in(&dir, "huge.journey"), (1, vec!["J0111".to_owned()]));
    assert_eq!(codes_in(&dir, "small.journey"), (0, vec![]));
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
    assert_eq!(codes_in(&dir, "big.journey"), (1, vec!["J0509".to_owned()]));
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

/// Writes `source` as `name` into a fresh directory (no `journey.toml`) and checks it; returns
/// the JSON diagnostics.
fn check_source(dir_name: &str, name: &str, source: &str) -> (i32, Vec<serde_json::Value>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir_name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), source).unwrap();
    let run = check_in(&dir, &["--format", "json", name]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    (run.exit, json["diagnostics"].as_array().unwrap().clone())
}

fn codes_of(diagnostics: &[serde_json::Value]) -> Vec<&str> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect()
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
    let (exit, diagnostics) = check_source("diagnostics-wait-for-goto", "cart.journey", source);
    assert_eq!((exit, codes_of(&diagnostics)), (0, vec![]), "{diagnostics:#?}");
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
    let (exit, diagnostics) = check_source("diagnostics-unknown-entry-where", "onboarding.journey", source);
    assert_eq!((exit, codes_of(&diagnostics)), (1, vec!["J0203"]), "{diagnostics:#?}");
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
    let (exit, diagnostics) = check_source("diagnostics-swapped-letters", "segments.journey", source);
    assert_eq!((exit, codes_of(&diagnostics)), (1, vec!["J0202"]), "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["help"], "did you mean `vip`?", "{diagnostics:#?}");
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
        let run = check_in(&broken, &["--format", "rich", &name]);
        assert_eq!(run.exit, 1, "{name} must fail the check");
        insta::assert_snapshot!(
            format!("broken_{name}"),
            format!("----- journey check {name} (exit {})\n{}", run.exit, run.stdout)
        );
    }
}
