//! The runtime's conformance suite and the examples' simulations: every case of
//! `tests/conformance/<case>/` (a project, `contacts.jsonl`, `events.jsonl`, `expected.jsonl`)
//! and every `examples/<journey file>.events.jsonl` (with `examples/contacts.jsonl` and
//! `<name>.expected.jsonl`) runs under `journey simulate`, and its output must equal the expected
//! file byte for byte. `UPDATE_EXPECTED=1` rewrites the expected files; review the diff by hand
//! against docs/bundle.md before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn simulate(project: &Path, events: &Path, contacts: &Path, env: &[(&str, &str)]) -> Output {
    simulate_with(project, events, contacts, env, &[])
}

fn simulate_with(project: &Path, events: &Path, contacts: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(JOURNEY);
    command
        .current_dir(root())
        .arg("simulate")
        .arg(project)
        .arg("--events")
        .arg(events)
        .arg("--contacts")
        .arg(contacts)
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// Compares (or with `UPDATE_EXPECTED=1` writes) one expected file; returns a failure message.
fn compare(name: &str, output: &Output, expected: &Path) -> Option<String> {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let refusals = stdout.contains("\"action\":\"refused\"");
    let code = output.status.code();
    if code != Some(i32::from(refusals)) {
        return Some(format!(
            "{name}: exit code {code:?} with refusals={refusals}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(expected, &stdout).unwrap();
        return None;
    }
    // A missing expected file is a failure, not an empty expectation: otherwise a trace whose
    // run printed nothing would pass without anyone having reviewed it.
    let Ok(wanted) = std::fs::read_to_string(expected) else {
        return Some(format!(
            "{name}: {} is missing; write it with UPDATE_EXPECTED=1 and review it by hand",
            expected.display()
        ));
    };
    (stdout != wanted).then(|| {
        format!("{name}: output differs from {}:\n--- expected\n{wanted}\n--- got\n{stdout}", expected.display())
    })
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_conformance_case_produces_exactly_its_expected_actions() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20, "the suite lost cases: {}", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = simulate(&case, &case.join("events.jsonl"), &case.join("contacts.jsonl"), &[]);
        failures.extend(compare(&name, &output, &case.join("expected.jsonl")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Examples whose trace is checked in but whose expected actions are not, because the reference
/// runtime does not yet run them as docs/bundle.md says: (example, why). Their actions would
/// record the bug, so they are left out until it is fixed; the test fails as soon as one of them
/// enters a run, so that the entry is removed and the expected file written and reviewed then.
const AWAITING_RUNTIME: &[(&str, &str)] = &[];

fn examples() -> PathBuf {
    root().join("examples")
}

/// The stems of `examples/*.<suffix>`, sorted.
fn example_names(suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(suffix)).map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn every_example_with_an_events_file_simulates_to_its_checked_in_actions() {
    let examples = examples();
    let names = example_names(".events.jsonl");
    assert!(names.len() >= 9, "the examples lost their traces: {names:?}");
    let mut failures = Vec::new();
    for name in names {
        let project = examples.join(format!("{name}.journey"));
        let output =
            simulate(&project, &examples.join(format!("{name}.events.jsonl")), &examples.join("contacts.jsonl"), &[]);
        assert!(output.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let expected = examples.join(format!("{name}.expected.jsonl"));
        if let Some((_, why)) = AWAITING_RUNTIME.iter().find(|(n, _)| *n == name) {
            let stdout = String::from_utf8_lossy(&output.stdout);
            if stdout.contains("\"action\":\"enter\"") || expected.exists() {
                failures.push(format!(
                    "{name}: now runs ({why} no longer holds?): write and review {}, then remove it from \
                     AWAITING_RUNTIME",
                    expected.display()
                ));
            }
            continue;
        }
        failures.extend(compare(&name, &output, &expected));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_example_journey_file_has_an_events_file_beside_it() {
    // Issue 15: every example runs under `journey simulate` in CI. Files that only declare what
    // the journeys share (profile, events, segments) have no journey to run.
    let traced = example_names(".events.jsonl");
    let missing: Vec<String> = example_names(".journey")
        .into_iter()
        .filter(|name| {
            let source = std::fs::read_to_string(examples().join(format!("{name}.journey"))).unwrap();
            source.lines().any(|line| line.starts_with("journey ")) && !traced.contains(name)
        })
        .collect();
    assert!(missing.is_empty(), "example journeys without examples/<name>.events.jsonl: {missing:?}");
}

#[test]
fn the_output_is_the_same_bytes_under_another_host_time_zone_and_locale() {
    let case = root().join("tests/conformance/quiet_hold_across_dst");
    let run =
        |env: &[(&str, &str)]| simulate(&case, &case.join("events.jsonl"), &case.join("contacts.jsonl"), env).stdout;
    let plain = run(&[("TZ", "UTC"), ("LC_ALL", "C")]);
    assert!(!plain.is_empty());
    assert_eq!(plain, run(&[("TZ", "Pacific/Chatham"), ("LC_ALL", "tr_TR.UTF-8"), ("LANG", "ar_EG.UTF-8")]));
    assert_eq!(plain, run(&[("TZ", "America/Chicago"), ("LC_ALL", "de_DE.UTF-8")]));
}

#[test]
fn every_example_prints_the_same_bytes_under_another_host_time_zone_and_locale_in_both_formats() {
    // The examples reach six zones, quiet-hour holds across the US and EU clock changes and
    // business hours in New York; `--format text` prints local times too. Zones come from the
    // database built into the binary, never from the host's TZ or locale.
    let examples = examples();
    let mut failures = Vec::new();
    for name in example_names(".events.jsonl") {
        let (project, events) =
            (examples.join(format!("{name}.journey")), examples.join(format!("{name}.events.jsonl")));
        for format in ["json", "text"] {
            let run = |env: &[(&str, &str)]| {
                simulate_with(&project, &events, &examples.join("contacts.jsonl"), env, &["--format", format]).stdout
            };
            let plain = run(&[("TZ", "UTC"), ("LC_ALL", "C")]);
            if plain != run(&[("TZ", "Pacific/Chatham"), ("LC_ALL", "tr_TR.UTF-8"), ("LANG", "ar_EG.UTF-8")]) {
                failures.push(format!("{name} --format {format}"));
            }
        }
    }
    assert!(failures.is_empty(), "output differs under TZ=Pacific/Chatham LC_ALL=tr_TR.UTF-8: {failures:?}");
}
