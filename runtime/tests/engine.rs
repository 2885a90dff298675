//! The runtime on bundles written by `journey build` (kept as fixtures, so this crate's tests do
//! not need the compiler): what the conformance suite cannot show in a small expected file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_runtime::io::{parse_contacts, parse_events, Schema, LIMITS};
use journey_runtime::{run, Bundle, Options, What};

fn bundle(name: &str) -> Bundle {
    let path = format!("{}/tests/fixtures/{name}.bundle.json", env!("CARGO_MANIFEST_DIR"));
    Bundle::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_cycle_of_instant_steps_ends_the_run_after_ten_thousand_steps() {
    let bundles = [bundle("spin")];
    let schema = Schema::of(&bundles).unwrap();
    let contacts =
        parse_contacts("c", r#"{"contact":"a","profile":{"timezone":"UTC","country":"US"}}"#, &schema, &LIMITS)
            .unwrap();
    let events = r#"{"at":"2026-03-02T15:00:00Z","contact":"a","event":"signup","fields":{"plan":"x"}}"#;
    let events = parse_events("e", events, &schema, None, &LIMITS).unwrap();
    let actions = run(&bundles, &contacts, &events, &Options::default());
    let tracks = actions.iter().filter(|a| matches!(a.what, What::Track { .. })).count();
    assert_eq!(tracks, 10_000);
    assert_eq!(actions.last().unwrap().what, What::Exit { reason: "step limit".to_owned() });
}

#[test]
fn the_same_input_gives_the_same_actions_and_the_seed_changes_only_splits() {
    let bundles = [bundle("welcome")];
    let schema = Schema::of(&bundles).unwrap();
    let events = r#"{"at":"2026-03-02T15:00:00Z","contact":"a","event":"messenger_ad_reply","fields":{"ad_id":"x"}}"#;
    let events = parse_events("e", events, &schema, None, &LIMITS).unwrap();
    let first = run(&bundles, &[], &events, &Options::default());
    assert_eq!(first, run(&bundles, &[], &events, &Options::default()));
    assert_eq!(first, run(&bundles, &[], &events, &Options { seed: 7 }));
}

/// (what is wrong, how the bundle text is changed, what the refusal says).
const BAD_BUNDLES: &[(&str, &str, &str, &str)] = &[
    ("a newer format", "\"format_version\": 2", "\"format_version\": 3", "format_version 3 is not implemented"),
    ("an unknown node kind", "\"kind\": \"wait\"", "\"kind\": \"sleep\"", "unknown node kind `sleep`"),
    ("a dangling edge", "\"next\": \"s.2\"", "\"next\": \"s.9\"", "leads to `s.9`, which is neither a node nor exit"),
    (
        "an unknown top-level field",
        "\"format\": \"journey-bundle\",",
        "\"format\": \"journey-bundle\", \"extra\": 1,",
        "unknown field `extra`",
    ),
];

#[test]
fn bundles_the_runtime_cannot_fully_understand_are_refused_whole() {
    let path = format!("{}/tests/fixtures/welcome.bundle.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    for (what, from, to, says) in BAD_BUNDLES {
        assert!(text.contains(from), "{what}: the fixture lacks {from}");
        let error = Bundle::parse(&text.replacen(from, to, 1)).unwrap_err();
        assert!(error.contains(says), "{what}: {error}");
    }
}
