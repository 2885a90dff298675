//! "Did you mean" has a cost ceiling: thousands of long unknown names against
//! thousands of declared ones check in well under a second in release, whatever the names look
//! like. The budget is enforced by `cargo test --release` (`.ci/run` runs this file so); an
//! unoptimized build is 30-40 times slower here and only gets a ceiling that catches blow-ups
//! (before the bound, the first case took 75 s in release).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::time::{Duration, Instant};

use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::{check_project, Code, Diagnostic};

fn check(text: &str) -> Vec<Diagnostic> {
    let mut memory = MemoryLoader::default();
    memory.insert(ProjectPath::new("main.journey").unwrap(), text);
    check_project(&[ProjectPath::new("main.journey").unwrap()], &memory).diagnostics
}

const NAMES: usize = 3000;

fn budget() -> Duration {
    Duration::from_millis(if cfg!(debug_assertions) { 60_000 } else { 1_000 })
}

/// A 246-byte name: `stem`, then padding, then the number, so that names share everything but a
/// few characters (the case that makes a plain edit distance do all its work).
fn long_name(stem: &str, pad: char, i: usize) -> String {
    let mut name = stem.to_owned();
    while name.len() < 240 {
        name.push(pad);
    }
    name.push_str(&format!("_{i:05}"));
    name
}

/// `NAMES` messages declared, and a journey that sends `NAMES` messages nobody declared.
fn project(declared: impl Fn(usize) -> String, unknown: impl Fn(usize) -> String) -> String {
    let mut text = "import \"std/channels\"\nimport \"std/events\"\n".to_owned();
    for i in 0..NAMES {
        text.push_str(&format!("message {} on sms as service {{\n  text \"hello\"\n}}\n", declared(i)));
    }
    text.push_str("journey many {\n  entry on sms_message\n  stage s {\n");
    for i in 0..NAMES {
        text.push_str(&format!("    send {}\n", unknown(i)));
    }
    text.push_str("    exit\n  }\n}\n");
    text
}

fn check_within_budget(text: &str) -> Vec<Code> {
    let started = Instant::now();
    let diagnostics = check(text);
    let took = started.elapsed();
    eprintln!("checked in {took:?}");
    assert!(took < budget(), "checking took {took:?}, over {:?}", budget());
    diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn three_thousand_long_unknown_names_near_three_thousand_declared_ones_check_in_a_second() {
    // Every unknown name is one edit from a declared one at the end, and shares 240 bytes with
    // every other: each comparison has to run to the end.
    let text = project(|i| long_name("m", 'a', i), |i| long_name("m", 'a', i + NAMES));
    let codes = check_within_budget(&text);
    assert!(codes.contains(&Code::J0201), "unknown messages are reported: {codes:?}");
}

#[test]
fn three_thousand_long_unknown_names_that_differ_at_both_ends_check_in_a_second() {
    let text = project(|i| long_name(&format!("d{i}"), 'b', i), |i| long_name(&format!("u{i}"), 'b', i + 7));
    let codes = check_within_budget(&text);
    assert!(codes.contains(&Code::J0201), "unknown messages are reported: {codes:?}");
}

#[test]
fn thousands_of_unknown_names_lose_their_suggestions_with_one_note_not_the_check() {
    let text = project(|i| long_name(&format!("d{i}"), 'b', i), |i| long_name(&format!("u{i}"), 'b', i + 7));
    let diagnostics = check(&text);
    let noted = diagnostics.iter().filter(|d| d.notes.iter().any(|n| n.contains("budget for suggestions"))).count();
    assert_eq!(noted, 1, "the first diagnostic without its suggestion says why, and only that one");
}

#[test]
fn a_long_misspelt_name_among_thousands_still_gets_its_suggestion() {
    // Every name declared is sent once, and one send has two letters swapped.
    let wanted = long_name("m", 'a', 1234);
    let misspelt = wanted.replacen("ma", "am", 1);
    let text =
        project(|i| long_name("m", 'a', i), |i| if i == 1234 { misspelt.clone() } else { long_name("m", 'a', i) });
    let diagnostics = check(&text);
    let suggested: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d.code == Code::J0201)
        .flat_map(|d| d.suggestions.iter().flat_map(|s| s.edits.iter().map(|e| e.replacement.as_str())))
        .collect();
    assert_eq!(suggested, vec![wanted.as_str()]);
}
