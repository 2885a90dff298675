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
    assert_eq!(first, run(&bundles, &[], &events, &Options { seed: 7, live: None }));
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

/// The actions after the ask of `list.bundle.json` (tests/conformance/ask_list_row) when contact
/// `a` answers with `answer` five minutes after writing: the branch taken and what its arm did.
fn after_answering_the_list(answer: &str) -> Vec<What> {
    let bundles = [bundle("list")];
    let schema = Schema::of(&bundles).unwrap();
    let contacts = parse_contacts(
        "c",
        r#"{"contact":"a","profile":{"timezone":"Europe/Berlin","country":"DE"}}"#,
        &schema,
        &LIMITS,
    )
    .unwrap();
    let events = format!(
        "{}\n{}",
        r#"{"at":"2026-03-02T10:00:00Z","contact":"a","event":"whatsapp_message","fields":{"text":"hi"}}"#,
        format_args!(
            r#"{{"at":"2026-03-02T10:05:00Z","contact":"a","event":"reply","fields":{{"channel":"whatsapp",{answer}}}}}"#
        ),
    );
    let events = parse_events("e", &events, &schema, None, &LIMITS).unwrap();
    let actions = run(&bundles, &contacts, &events, &Options::default());
    actions
        .into_iter()
        .map(|a| a.what)
        .skip_while(|what| !matches!(what, What::Branch { .. }))
        .filter(|what| !matches!(what, What::Exit { .. }))
        .collect()
}

#[test]
fn picking_a_row_of_a_list_takes_the_arm_of_its_outcome_like_a_reply() {
    let branch = |outcome: &str| What::Branch { outcome: outcome.to_owned() };
    // A row inside a section, and the row of another section.
    assert_eq!(
        after_answering_the_list(r#""outcome":"small""#),
        [branch("small"), What::Tag { tag: "small".to_owned() }]
    );
    assert_eq!(
        after_answering_the_list(r#""outcome":"unsure""#),
        [branch("unsure"), What::Track { event: "needs help".to_owned() }]
    );
    // Text that is no row's outcome is `other`; a row's title is not its outcome.
    for text in [r#""text":"Small""#, r#""outcome":"medium""#] {
        assert_eq!(after_answering_the_list(text), [branch("other"), What::Track { event: "unclear".to_owned() }]);
    }
}

/// A change made to the list of a bundle.
type Change = fn(&mut serde_json::Value);

#[test]
fn a_list_the_runtime_cannot_fully_understand_refuses_the_bundle() {
    let path = format!("{}/tests/fixtures/list.bundle.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    assert!(Bundle::parse(&text).is_ok());
    let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
    // (what is wrong, how the list is changed, what the refusal says)
    let changes: [(&str, Change, &str); 8] = [
        ("an unknown list field", |list| list["colour"] = 1.into(), "unknown list field `colour`"),
        ("a list without its button", |list| drop(list.as_object_mut().unwrap().remove("button")), "lacks `button`"),
        (
            "an unknown section field",
            |list| list["sections"][0]["open"] = true.into(),
            "unknown list section field `open`",
        ),
        (
            "an unknown row field",
            |list| list["sections"][0]["rows"][0]["id"] = "s".into(),
            "unknown list row field `id`",
        ),
        (
            "a row without an outcome",
            |list| drop(list["sections"][0]["rows"][0].as_object_mut().unwrap().remove("outcome")),
            "a list row needs `outcome` and `title`",
        ),
        ("a list without rows", |list| list["sections"] = serde_json::json!([]), "a list has no rows"),
        (
            "a row answering `timeout`",
            |list| list["sections"][0]["rows"][0]["outcome"] = "timeout".into(),
            "an answer's outcome is named `timeout`",
        ),
        (
            "a row answering `other`",
            |list| list["sections"][0]["rows"][0]["outcome"] = "other".into(),
            "an answer's outcome is named `other`",
        ),
    ];
    for (what, change, says) in changes {
        let mut bad = bundle.clone();
        change(&mut bad["messages"]["pick_size"]["list"]);
        let error = Bundle::parse(&bad.to_string()).unwrap_err();
        assert!(error.contains(says), "{what}: {error}");
    }
}

/// A live run replayed at every moment something is due gives, step by step, a growing prefix of
/// the simulation's actions: the engines that deploy a bundle (`journey run`, the Temporal
/// worker) call `run_live` at each event and each due time, and must never see an action change
/// after it was handed over.
#[test]
fn a_live_run_replayed_at_each_due_time_grows_the_simulations_actions_prefix_by_prefix() {
    let bundles = [bundle("welcome")];
    let schema = Schema::of(&bundles).unwrap();
    let events = r#"{"at":"2026-03-02T15:00:00Z","contact":"a","event":"messenger_ad_reply","fields":{"ad_id":"x"}}"#;
    let events = parse_events("e", events, &schema, None, &LIMITS).unwrap();
    let batch = run(&bundles, &[], &events, &Options::default());
    let since = events[0].at;
    let mut now = since;
    let mut seen: Vec<journey_runtime::Action> = Vec::new();
    let mut replays = 0;
    loop {
        let live = Options { seed: 0, live: Some(journey_runtime::Live { since, now }) };
        let (actions, next_due) = journey_runtime::run_live(&bundles, &[], &events, &live);
        assert!(actions.starts_with(&seen), "replay at {now} changed an action already handed over");
        assert_eq!(actions[..], batch[..actions.len()], "replay at {now} differs from the simulation");
        seen = actions;
        replays += 1;
        match next_due {
            Some(due) => {
                assert!(due > now, "the next due time {due} is not after now {now}");
                now = due;
            }
            None => break,
        }
        assert!(replays < 100, "replays never settle");
    }
    assert!(replays > 1, "the welcome journey waits at least once");
    assert_eq!(seen, batch);
}
