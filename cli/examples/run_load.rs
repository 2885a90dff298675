//! The load measurement of `journey run`'s engine (docs/performance.md, "journey run"): N
//! generated contacts (examples/traffic.json over the examples, as `journey simulate
//! --population` makes them) and their events through the engine core and its SQLite store
//! (WAL, synchronous=FULL), on a virtual clock stepped through the events and the due times.
//! Events are taken in batches, as the service takes what is waiting on its input in one
//! transaction. Prints throughput and event-to-action latency percentiles.
//!
//! `cargo run --release -p journey --example run_load -- 100000 /tmp/load.db [batch]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use journey_engine::clock::real_ms;
use journey_engine::metrics::Metrics;
use journey_engine::{Engine, Input, Setup, BOUNDS};
use journey_runtime::io::Schema;
use serde_json::{Map, Value as Json};

fn object(line: &str) -> Map<String, Json> {
    match serde_json::from_str(line).unwrap() {
        Json::Object(map) => map,
        other => panic!("{other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size: usize = args.get(1).map_or(100_000, |a| a.parse().unwrap());
    let db = PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "/tmp/journey-load.db".to_owned()));
    let batch: usize = args.get(3).map_or(500, |a| a.parse().unwrap());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let (bundles, texts) = journey::run::bundles(std::slice::from_ref(&examples), &[examples.join("broken")]).unwrap();
    let schema = Schema::of(&bundles).unwrap();
    let traffic_text = std::fs::read_to_string(examples.join("traffic.json")).unwrap();
    let traffic = journey_runtime::traffic::parse("traffic.json", &traffic_text, &schema).unwrap();
    let (chunk, _, _) = journey_runtime::population::chunk_input(&bundles, &traffic, 1, size, 0..size).unwrap();
    let events: Vec<Map<String, Json>> = chunk.events.lines().filter(|l| !l.is_empty()).map(object).collect();
    let at = |map: &Map<String, Json>| journey_runtime::time::parse_utc(map["at"].as_str().unwrap()).unwrap();
    let first = at(&events[0]);
    let metrics = Arc::new(Metrics::default());
    let setup = Setup { bundles, texts, seed: 1, upgrade: false, bounds: BOUNDS };
    let mut engine = Engine::open(&db, setup, Arc::clone(&metrics)).unwrap();
    let started = Instant::now();
    let contacts: Vec<Input> = chunk
        .contacts
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut map = object(l);
            map.insert("at".to_owned(), Json::String(journey_runtime::time::format_utc(first)));
            Input::Contact(map)
        })
        .collect();
    for part in contacts.chunks(batch) {
        engine.ingest(part, first, real_ms()).unwrap();
    }
    let loaded = started.elapsed();
    let mut latencies: Vec<f64> = Vec::with_capacity(events.len());
    let mut due_replays = 0;
    let mut last = first;
    let mut rest = &events[..];
    while !rest.is_empty() {
        // A batch: up to `batch` events of the same second or later, in order.
        let take = rest.len().min(batch);
        let (now_batch, tail) = rest.split_at(take);
        let start = at(&now_batch[0]);
        while let Some(due) = engine.earliest_due().unwrap().filter(|d| *d < start) {
            due_replays += engine.run_due(due, batch).unwrap();
        }
        let now = at(&now_batch[take - 1]);
        let inputs: Vec<Input> = now_batch.iter().cloned().map(Input::Event).collect();
        let received = Instant::now();
        engine.ingest(&inputs, now, real_ms()).unwrap();
        let seconds = received.elapsed().as_secs_f64();
        latencies.extend(std::iter::repeat_n(seconds, take));
        last = now;
        rest = tail;
    }
    let ingested = started.elapsed();
    let horizon = last + 7 * 86_400;
    while let Some(due) = engine.earliest_due().unwrap().filter(|d| *d <= horizon) {
        due_replays += engine.run_due(due, batch).unwrap();
    }
    let total = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize] * 1000.0;
    let outbox: i64 = engine.connection().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap();
    let actions: i64 = engine.connection().query_row("SELECT count(*) FROM actions", [], |r| r.get(0)).unwrap();
    println!("contacts {size}, events {}, batch {batch}", events.len());
    println!("contacts recorded in {:.1} s", loaded.as_secs_f64());
    println!(
        "events: {:.1} s, {:.0} events/s; event-to-action latency (batch commit) p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        (ingested - loaded).as_secs_f64(),
        events.len() as f64 / (ingested - loaded).as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "due replays {due_replays}; total {:.1} s; actions {actions}, sends {outbox}; database {} MB",
        total.as_secs_f64(),
        std::fs::metadata(&db).map_or(0, |m| m.len() >> 20)
    );
}
