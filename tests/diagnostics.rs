//! Every diagnostic code has a fixture that triggers it and a fixed version that is clean.
//!
//! `tests/fixtures/diagnostics/J0101_what_it_shows.journey` must report J0101 (exit 1), and
//! `J0101_what_it_shows.fixed.journey` must report nothing (exit 0). Each failing fixture has a
//! snapshot with its source and the rendered output (rich format, no colour) together.
//! J0111 (file too large) is generated here instead of checked in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::Code;

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

#[test]
fn each_failing_fixture_reports_its_code_and_its_fixed_version_is_clean() {
    let dir = fixtures_dir();
    let mut problems = Vec::new();
    for name in failing_fixtures() {
        let code = &name[..5];
        let (exit, codes) = codes_in(&dir, &name);
        if exit != 1 || !codes.iter().any(|c| c == code) {
            problems.push(format!("{name}: exit {exit}, codes {codes:?}, expected {code}"));
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
fn every_syntax_code_has_a_failing_fixture() {
    let fixtures = failing_fixtures();
    let generated = [Code::J0111];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| code.as_str().starts_with("J01") && !generated.contains(code))
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
