//! `journey run`'s engine (crate `journey-engine`) in process, on a virtual clock: the
//! conformance suite stepped through events and due times, the outbox and its redelivery, the
//! fail-closed check of every replay, the API's answers to bad input, and the webhook's retries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use journey_compiler::bundle::{self, Options};
use journey_engine::clock::Clock;
use journey_engine::metrics::Metrics;
use journey_engine::service::Shared;
use journey_engine::{store, Engine, Input, Setup, BOUNDS};
use journey_runtime::engine::HORIZON_S;
use journey_runtime::time::parse_utc;
use journey_runtime::Bundle;
use serde_json::{Map, Value as Json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh database path for one test.
fn database(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("journey-run-engine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("journey.db")
}

/// The bundles of a project and their texts, as `journey simulate` builds them (whatever its
/// check says: the conformance suite has refusals on purpose).
fn bundles_of(project: &Path) -> (Vec<Bundle>, Vec<String>) {
    let mut texts = Vec::new();
    journey::check::check_projects(&[project.to_path_buf()], &[root().join("examples/broken")], |_, report| {
        texts.extend(bundle::emit(report, Options::default()).into_iter().map(|(_, text)| text));
    });
    (texts.iter().map(|t| Bundle::parse(t).unwrap()).collect(), texts)
}

fn open(db: &Path, project: &Path) -> Engine {
    let (bundles, texts) = bundles_of(project);
    let setup = Setup { bundles, texts, seed: 0, upgrade: false, bounds: BOUNDS };
    Engine::open(db, setup, Arc::new(Metrics::default())).unwrap()
}

fn object(line: &str) -> Map<String, Json> {
    match serde_json::from_str(line).unwrap() {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim().is_empty())
}

/// Feeds a case through the engine as a service would see it, on a virtual clock: the contacts
/// at the first event's time, then each event at its time, replaying every contact that falls
/// due in between at its due time, then the due times left up to the runtime's horizon.
/// Returns each contact's recorded actions.
fn drive(engine: &mut Engine, contacts: &str, events: &str) -> BTreeMap<String, Vec<String>> {
    let events: Vec<Map<String, Json>> = lines(events).map(object).collect();
    let first = parse_utc(events[0]["at"].as_str().unwrap()).unwrap();
    let mut ids = BTreeSet::new();
    for line in lines(contacts) {
        let mut map = object(line);
        map.insert("at".to_owned(), Json::String(events[0]["at"].as_str().unwrap().to_owned()));
        ids.insert(map["contact"].as_str().unwrap().to_owned());
        engine.ingest(&[Input::Contact(map)], first, 0).unwrap();
    }
    let mut steps = 0;
    let mut step_to = |engine: &mut Engine, limit: i64| {
        while let Some(due) = engine.earliest_due().unwrap().filter(|d| *d < limit) {
            engine.run_due(due, usize::MAX).unwrap();
            steps += 1;
            assert!(steps < 100_000, "due times never settle");
        }
    };
    let mut last = first;
    for map in events {
        let at = parse_utc(map["at"].as_str().unwrap()).unwrap();
        step_to(engine, at);
        ids.insert(map["contact"].as_str().unwrap().to_owned());
        let input = if map.contains_key("event") { Input::Event(map) } else { Input::Contact(map) };
        engine.ingest(&[input], at, 0).unwrap();
        last = at;
    }
    step_to(engine, last + HORIZON_S + 1);
    ids.into_iter().map(|id| (id.clone(), store::actions(engine.connection(), &id).unwrap())).collect()
}

/// Each contact's lines of an expected file (its actions, not the monitor's findings).
fn expected_by_contact(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines(text) {
        let map = object(line);
        if map.contains_key("action") {
            by.entry(map["contact"].as_str().unwrap().to_owned()).or_default().push(line.to_owned());
        }
    }
    by
}

/// The engine records each contact's actions apart, so the comparison is per contact: across
/// contacts, `journey simulate` interleaves actions at equal times by event order, which a
/// service that replays one contact at a time has no reason to keep.
#[test]
fn every_conformance_case_gives_the_simulations_actions_per_contact_on_the_embedded_engine() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "{}", cases.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut engine = open(&database(&name), case);
        let read = |file: &str| std::fs::read_to_string(case.join(file)).unwrap();
        let got = drive(&mut engine, &read("contacts.jsonl"), &read("events.jsonl"));
        let mut wanted = expected_by_contact(&read("expected.jsonl"));
        for id in got.keys() {
            wanted.entry(id.clone()).or_default();
        }
        for (contact, lines) in &wanted {
            let empty = Vec::new();
            let actual = got.get(contact).unwrap_or(&empty);
            compared += lines.len();
            if actual != lines {
                failures.push(format!(
                    "{name}, contact {contact}:\n--- expected\n{}\n--- engine\n{}",
                    lines.join("\n"),
                    actual.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(compared > 200, "only {compared} actions compared");
}
