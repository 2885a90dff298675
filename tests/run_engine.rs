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
use journey_runtime::io::Schema;
use journey_runtime::time::parse_utc;

use journey_runtime::Bundle;
use serde_json::{Map, Value as Json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh database for one test, in a directory removed when the test ends (passed or not).
struct Database(PathBuf);

impl Database {
    fn path(&self) -> PathBuf {
        self.0.join("journey.db")
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn database(name: &str) -> Database {
    let dir = std::env::temp_dir().join(format!("journey-run-engine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Database(dir)
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
        let db = database(&name);
        let mut engine = open(&db.path(), case);
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

const T0: &str = "2026-03-02T15:00:00Z";

fn examples() -> PathBuf {
    root().join("examples")
}

/// Ana (examples/contacts.jsonl) abandons her cart at 15:00; cart_recovery waits an hour and
/// sends; the engine is stepped to 17:00.
fn ana_abandons_her_cart(engine: &mut Engine) {
    let t0 = parse_utc(T0).unwrap();
    let contacts = std::fs::read_to_string(examples().join("contacts.jsonl")).unwrap();
    let mut ana = object(contacts.lines().next().unwrap());
    ana.insert("at".to_owned(), Json::String(T0.to_owned()));
    let event = object(&format!(
        r#"{{"at":"{T0}","contact":"ana","event":"cart_abandoned","fields":{{"cart_url":"https://acme.example/c/1","total":{{"amount":"54.90","currency":"USD"}},"items":3}}}}"#
    ));
    engine.ingest(&[Input::Contact(ana), Input::Event(event)], t0, 0).unwrap();
    while let Some(due) = engine.earliest_due().unwrap().filter(|d| *d <= t0 + 7200) {
        engine.run_due(due, 100).unwrap();
    }
}

#[test]
fn a_send_stays_in_the_outbox_until_delivered_and_survives_a_crash_under_the_same_key() {
    let dir = database("outbox");
    let db = dir.path();
    let mut engine = open(&db, &examples());
    ana_abandons_her_cart(&mut engine);
    let pending = store::pending(engine.connection(), 100).unwrap();
    assert!(!pending.is_empty(), "cart_recovery sends within two hours");
    let first = &pending[0];
    assert!(first.action.starts_with(&format!("{{\"idempotency_key\":\"{}\",", first.key)), "{}", first.action);
    store::mark_delivered(engine.connection(), first.row).unwrap();
    // A crash: the engine goes away without a goodbye, and comes back on the same file.
    drop(engine);
    let engine = open(&db, &examples());
    let again = store::pending(engine.connection(), 100).unwrap();
    let keys = |rows: &[store::Pending]| rows.iter().map(|r| (r.key.clone(), r.action.clone())).collect::<Vec<_>>();
    assert_eq!(keys(&again), keys(&pending[1..]), "what was not delivered is still there, under its key");
    let progress = store::progress(engine.connection(), "ana").unwrap().unwrap();
    assert_eq!(progress.done, store::actions(engine.connection(), "ana").unwrap().len());
}

#[test]
fn a_replay_that_would_change_actions_already_taken_stops_the_contact_and_emits_nothing() {
    let dir = database("prefix");
    let db = dir.path();
    let mut engine = open(&db, &examples());
    ana_abandons_her_cart(&mut engine);
    let outbox = || store::outbox_pending(engine.connection()).unwrap();
    let before = outbox();
    // What was taken no longer matches what a replay gives (as if the runtime's order changed).
    engine.connection().execute("UPDATE progress SET prefix = 'changed' WHERE contact = 'ana'", []).unwrap();
    let t = parse_utc("2026-03-02T18:00:00Z").unwrap();
    let reply = object(
        r#"{"contact":"ana","event":"order_placed","fields":{"order_id":"o1","total":{"amount":"54.90","currency":"USD"}}}"#,
    );
    engine.ingest(&[Input::Event(reply)], t, 0).unwrap();
    assert_eq!(store::outbox_pending(engine.connection()).unwrap(), before, "nothing new was put in the outbox");
    let state = engine.state("ana").unwrap().unwrap();
    assert!(state["stopped"].as_str().unwrap().contains("would change the"), "{state}");
    assert_eq!(engine.earliest_due().unwrap(), None, "a stopped contact is not due");
    assert!(engine.metrics.render(&engine.gauges()).contains("journey_prefix_violations_total 1\n"));
}

/// A contact abandons her cart at `at` (its record and the event in one batch).
fn abandons(engine: &mut Engine, contact: &str, at: i64) {
    let when = journey_runtime::time::format_utc(at);
    let contacts = std::fs::read_to_string(examples().join("contacts.jsonl")).unwrap();
    let mut record = object(contacts.lines().next().unwrap());
    record.insert("contact".to_owned(), Json::String(contact.to_owned()));
    record.insert("at".to_owned(), Json::String(when.clone()));
    let event = object(&format!(
        r#"{{"at":"{when}","contact":"{contact}","event":"cart_abandoned","fields":{{"cart_url":"https://acme.example/c/1","total":{{"amount":"54.90","currency":"USD"}},"items":3}}}}"#
    ));
    engine.ingest(&[Input::Contact(record), Input::Event(event)], at, 0).unwrap();
}

/// The words of the sends in the outbox to `contact`.
fn sent_texts(engine: &Engine, contact: &str) -> Vec<String> {
    store::pending(engine.connection(), 1000)
        .unwrap()
        .iter()
        .map(|row| object(&row.action))
        .filter(|action| action["contact"] == contact)
        .map(|action| action["content"]["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn after_an_upgrade_known_contacts_keep_the_bundle_set_they_started_on_and_new_ones_take_the_new() {
    let dir = database("versions");
    let db = dir.path();
    let t0 = parse_utc(T0).unwrap();
    let mut engine = open(&db, &examples());
    // Ana's cart reminder is due an hour after she leaves; half an hour later the bundles change.
    abandons(&mut engine, "ana", t0);
    drop(engine);
    let (_, texts) = bundles_of(&examples());
    let texts: Vec<String> = texts.iter().map(|t| t.replace("items in your cart", "items in your basket")).collect();
    assert!(texts.iter().any(|t| t.contains("items in your basket")), "the new set changes the reminder");
    let bundles: Vec<Bundle> = texts.iter().map(|t| Bundle::parse(t).unwrap()).collect();
    let setup = |upgrade| Setup { bundles: bundles.clone(), texts: texts.clone(), seed: 0, upgrade, bounds: BOUNDS };
    let error = Engine::open(&db, setup(false), Arc::new(Metrics::default())).err().unwrap();
    assert!(error.starts_with("the database was made with other bundles"), "{error}");
    let mut engine = Engine::open(&db, setup(true), Arc::new(Metrics::default())).unwrap();
    abandons(&mut engine, "bob", t0 + 1800);
    while let Some(due) = engine.earliest_due().unwrap().filter(|d| *d <= t0 + 4 * 3600) {
        engine.run_due(due, 100).unwrap();
    }
    let ana = sent_texts(&engine, "ana");
    let bob = sent_texts(&engine, "bob");
    assert!(!ana.is_empty() && !bob.is_empty(), "both were reminded: {ana:?} {bob:?}");
    assert!(ana.iter().any(|t| t.contains("items in your cart")), "ana stays on her set: {ana:?}");
    assert!(ana.iter().all(|t| !t.contains("basket")), "{ana:?}");
    assert!(bob.iter().any(|t| t.contains("items in your basket")), "bob starts on the new set: {bob:?}");
    for contact in ["ana", "bob"] {
        assert_eq!(engine.state(contact).unwrap().unwrap()["stopped"], Json::Null, "{contact} runs on");
    }
}

#[test]
fn a_contact_whose_bundle_set_the_database_lost_is_stopped_not_moved() {
    let dir = database("lost-version");
    let db = dir.path();
    let t0 = parse_utc(T0).unwrap();
    let engine = {
        let mut engine = open(&db, &examples());
        abandons(&mut engine, "ana", t0);
        engine
    };
    engine.connection().execute("UPDATE progress SET bundles = 'gone' WHERE contact = 'ana'", []).unwrap();
    let mut engine = engine;
    engine.run_due(t0 + 3600, 100).unwrap();
    assert!(sent_texts(&engine, "ana").is_empty());
    let state = engine.state("ana").unwrap().unwrap();
    assert!(state["stopped"].as_str().unwrap().contains("cannot be run"), "{state}");
}

/// One raw HTTP/1.1 request: the status and the body.
fn http(address: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response.split_once("\r\n\r\n").unwrap().1.to_owned())
}

/// Every request (method, path, body) and the answer the API gives, in order, as a snapshot:
/// bad input gets a 4xx with a JSON error that says what is wrong, and nothing of a refused
/// request is recorded.
#[test]
fn the_api_answers_bad_input_with_a_4xx_and_a_json_error_and_records_none_of_it() {
    let dir = database("api");
    let db = dir.path();
    // Ten days back allowed: the clock stands at the 10th, and the contacts below begin on the 2nd.
    let (bundles, texts) = bundles_of(&examples());
    let engine_bounds = journey_engine::Bounds { max_backdate_s: 10 * 86_400, ..BOUNDS };
    let setup = Setup { bundles, texts, seed: 0, upgrade: false, bounds: engine_bounds };
    let engine = Engine::open(&db, setup, Arc::new(Metrics::default())).unwrap();
    let epoch = parse_utc("2026-03-10T00:00:00Z").unwrap();
    // A clock that stands still (scale 0), so the times in the answers are the same every run.
    let clock = Clock::Scaled { epoch, origin_ms: journey_engine::clock::real_ms(), scale: 0 };
    let bounds = journey_engine::Bounds { max_bytes: 2048, max_batch: 2, ..BOUNDS };
    let shared = Arc::new(Shared::new(engine, clock, bounds));
    let api = journey_engine::http::listen("127.0.0.1:0", &shared, 1).unwrap();
    let cart = r#""event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"54.90","currency":"USD"},"items":3}"#;
    let long = "x".repeat(300);
    let big =
        format!(r#"{{"contact":"a","event":"reply","fields":{{"channel":"sms","text":"{}"}}}}"#, "y".repeat(3000));
    let requests: Vec<(&str, String, String)> = vec![
        ("POST", "/events".into(), String::new()),
        ("POST", "/events".into(), "[1]".into()),
        ("POST", "/events".into(), "{\"contact\":".into()),
        ("POST", "/events".into(), format!("{{{cart}}}")),
        ("POST", "/events".into(), format!(r#"{{"contact":"",{cart}}}"#)),
        ("POST", "/events".into(), format!(r#"{{"contact":"{long}",{cart}}}"#)),
        ("POST", "/events".into(), r#"{"contact":"a","event":"nope"}"#.into()),
        ("POST", "/events".into(), r#"{"contact":"a","event":"cart_abandoned"}"#.into()),
        ("POST", "/events".into(), format!(r#"{{"at":"2027-01-01T00:00:00Z","contact":"a",{cart}}}"#)),
        ("POST", "/events".into(), format!(r#"{{"at":"yesterday","contact":"a",{cart}}}"#)),
        ("POST", "/events".into(), format!(r#"{{"at":5,"contact":"a",{cart}}}"#)),
        (
            "POST",
            "/events".into(),
            format!("{{\"at\":\"{T0}\",\"contact\":\"a\",{cart}}}\n{{\"contact\":\"a\",\"event\":\"nope\"}}"),
        ),
        ("GET", "/contacts/a".into(), String::new()),
        ("POST", "/events".into(), big),
        ("POST", "/events".into(), format!("{{\"at\":\"{T0}\",\"contact\":\"a\",{cart}}}\n").repeat(3)),
        (
            "PUT",
            "/contacts/ana".into(),
            format!(
                r#"{{"at":"{T0}","profile":{{"timezone":"Europe/Paris"}},"consent":[{{"channel":"sms","category":"marketing"}}]}}"#
            ),
        ),
        ("PUT", "/contacts/ana".into(), r#"{"consent":[{"channel":"sms","category":"marketing"}]}"#.into()),
        ("PUT", "/contacts/ana".into(), r#"{"contact":"ben","profile":{}}"#.into()),
        ("PUT", "/contacts/ana".into(), r#"{"profile":{"shoe":42}}"#.into()),
        ("PUT", "/contacts/ana".into(), format!("{{{cart}}}")),
        ("PUT", "/contacts/%zz".into(), "{}".into()),
        ("PUT", "/contacts/old".into(), r#"{"at":"2000-01-01T00:00:00Z","profile":{}}"#.into()),
        ("POST", "/events".into(), format!(r#"{{"at":"2026-03-09T00:00:00Z","contact":"ana",{cart}}}"#)),
        ("POST", "/events".into(), format!(r#"{{"at":"2026-03-01T00:00:00Z","contact":"ana",{cart}}}"#)),
        ("GET", "/contacts/nobody".into(), String::new()),
        ("GET", "/nowhere".into(), String::new()),
        ("DELETE", "/events".into(), String::new()),
        ("DELETE", "/contacts/ana".into(), String::new()),
    ];
    let mut transcript = String::new();
    for (method, path, body) in &requests {
        let (status, answer) = http(&api.address, method, path, body);
        let shown: String = if body.len() > 200 { format!("<{} bytes>", body.len()) } else { body.clone() };
        transcript.push_str(&format!("{method} {path} {shown}\n  -> {status} {answer}\n"));
    }
    let (status, health) = http(&api.address, "GET", "/healthz", "");
    assert_eq!(status, 200, "{health}");
    let (status, metrics) = http(&api.address, "GET", "/metrics", "");
    assert_eq!(status, 200);
    assert!(metrics.contains("journey_events_late_total 2\n"), "{metrics}\n{transcript}");
    let state: Json = serde_json::from_str(&http(&api.address, "GET", "/contacts/ana", "").1).unwrap();
    assert_eq!(state["events"].as_array().unwrap().len(), 2, "{state}");
    assert_eq!(state["since"], T0, "{state}");
    assert_eq!(state["profile"]["timezone"], "Europe/Paris");
    api.stop();
    insta::assert_snapshot!(transcript);
}

/// A webhook receiver that answers 503 to its first request and 200 to the rest, and keeps
/// each request's `Idempotency-Key` and body.
/// What a receiver saw: (Idempotency-Key, body) per request.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn receiver() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&seen);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut key, mut length) = (String::new(), 0);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(": ") {
                    match name.to_ascii_lowercase().as_str() {
                        "idempotency-key" => key = value.to_owned(),
                        "content-length" => length = value.parse().unwrap(),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            kept.lock().unwrap().push((key, String::from_utf8(body).unwrap()));
            let status = if n == 0 { "503 Service Unavailable" } else { "200 OK" };
            write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        }
    });
    (address, seen)
}

#[test]
fn the_webhook_is_retried_after_a_failure_with_the_same_idempotency_key_and_each_send_marked_delivered() {
    let dir = database("webhook");
    let db = dir.path();
    let mut engine = open(&db, &examples());
    ana_abandons_her_cart(&mut engine);
    let pending = store::pending(engine.connection(), 100).unwrap();
    let (address, seen) = receiver();
    let sink = journey_engine::sink::Sink::webhook(&format!("http://{address}/hook"));
    let metrics = Metrics::default();
    let delivered =
        journey_engine::sink::deliver_pending(engine.connection(), &sink, &metrics, &AtomicBool::new(false)).unwrap();
    assert_eq!(delivered, pending.len());
    assert_eq!(store::outbox_pending(engine.connection()).unwrap(), 0);
    let seen = seen.lock().unwrap().clone();
    let mut wanted = vec![(pending[0].key.clone(), pending[0].action.clone())];
    wanted.extend(pending.iter().map(|p| (p.key.clone(), p.action.clone())));
    assert_eq!(seen, wanted, "the first send twice (503, then 200), each with its key");
    let text = metrics.render(&engine.gauges());
    assert!(text.contains("journey_delivery_failures_total 1\n"), "{text}");
}

/// The engine replays through `Prepared::run_live` (graphs built once per bundle set): on every
/// conformance case and example, for each contact, at its first event and at each time it is
/// next due, it must give exactly what `run_live` gives.
#[test]
fn the_prepared_form_gives_run_lives_actions_and_due_times_on_every_case_and_example() {
    use journey_runtime::io::{parse_contacts, parse_events, LIMITS};
    use journey_runtime::{Live, Prepared};
    let mut cases: Vec<(PathBuf, PathBuf, PathBuf)> = std::fs::read_dir(root().join("tests/conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|case| (case.clone(), case.join("contacts.jsonl"), case.join("events.jsonl")))
        .collect();
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        if let Some(stem) = path.file_name().unwrap().to_str().unwrap().strip_suffix(".events.jsonl") {
            cases.push((examples().join(format!("{stem}.journey")), examples().join("contacts.jsonl"), path));
        }
    }
    cases.sort();
    let mut replays = 0;
    for (project, contacts, events) in cases {
        let (bundles, _) = bundles_of(&project);
        let schema = Schema::of(&bundles).unwrap();
        let contacts = parse_contacts("c", &std::fs::read_to_string(contacts).unwrap(), &schema, &LIMITS).unwrap();
        let events = parse_events("e", &std::fs::read_to_string(events).unwrap(), &schema, None, &LIMITS).unwrap();
        let prepared = Prepared::new(&bundles);
        for contact in &contacts {
            let mine: Vec<_> = events.iter().filter(|e| e.contact == contact.id).cloned().collect();
            let Some(first) = mine.first() else { continue };
            let since = first.at;
            let mut now = mine.last().unwrap().at;
            for _ in 0..50 {
                let options = journey_runtime::Options { seed: 0, live: Some(Live { since, now }) };
                let plain = journey_runtime::run_live(&bundles, std::slice::from_ref(contact), &mine, &options);
                let fast = prepared.run_live(std::slice::from_ref(contact), &mine, &options);
                assert_eq!(plain, fast, "{project:?}, contact {}, now {now}", contact.id);
                replays += 1;
                match plain.1 {
                    Some(due) => now = due,
                    None => break,
                }
            }
        }
    }
    assert!(replays > 100, "{replays}");
}

/// A service sends for real: a project whose check finds errors is not run.
#[test]
fn a_project_whose_check_finds_errors_is_refused_by_journey_run() {
    let broken = examples().join("broken");
    let error = journey::run::bundles(std::slice::from_ref(&broken), &[]).err().unwrap();
    assert!(error.starts_with("the check found ") && error.contains("fix them first (`journey check`)"), "{error}");
}

/// A project whose `journey.toml` is not valid is not run either: its default laws would be lost.
#[test]
fn a_project_whose_journey_toml_is_not_valid_is_refused_by_journey_run() {
    let dir = database("bad-manifest");
    let project = dir.0.join("shop");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("journey.toml"), "[project]\njurisdictions = [\"US-FL\", \"Atlantis\"]\n").unwrap();
    std::fs::write(project.join("a.journey"), "journey a {\n  stage s {\n    wait 1d\n  }\n}\n").unwrap();
    let error = journey::run::bundles(std::slice::from_ref(&project), &[]).err().unwrap();
    assert!(error.starts_with("the check found "), "{error}");
    std::fs::write(project.join("journey.toml"), "[project]\njurisdictions = [\"US-FL\"]\n").unwrap();
    assert!(journey::run::bundles(std::slice::from_ref(&project), &[]).is_ok());
}

/// A contact known weeks before a one-off broadcast (`entry at 2026-03-20 10:00 recipient`) with
/// nothing else pending is still woken for it: the step function looks 8 days ahead, and asks to
/// be replayed at the end of that window whenever a journey has a schedule.
#[test]
fn a_broadcast_weeks_ahead_reaches_a_contact_with_nothing_else_pending() {
    let dir = database("broadcast");
    let db = dir.path();
    let mut engine = open(&db, &examples());
    let t0 = parse_utc("2026-03-01T00:00:00Z").unwrap();
    let contacts = std::fs::read_to_string(examples().join("contacts.jsonl")).unwrap();
    let mut ana = object(contacts.lines().next().unwrap());
    ana.insert("at".to_owned(), Json::String("2026-03-01T00:00:00Z".to_owned()));
    engine.ingest(&[Input::Contact(ana)], t0, 0).unwrap();
    let end = parse_utc("2026-03-21T00:00:00Z").unwrap();
    let mut wakes = 0;
    while let Some(due) = engine.earliest_due().unwrap().filter(|d| *d <= end) {
        engine.run_due(due, 100).unwrap();
        wakes += 1;
        assert!(wakes < 100, "due times never settle");
    }
    let sale = store::pending(engine.connection(), 100)
        .unwrap()
        .into_iter()
        .map(|row| object(&row.action))
        .find(|action| action["message"] == "spring_sale_sms");
    let sale = sale.expect("the spring sale reached ana");
    assert_eq!(sale["at"], "2026-03-20T15:00:00Z", "10:00 in Chicago");
}

/// A new contact dated years back would enter every scheduled journey since, at once: refused.
#[test]
fn a_new_contact_dated_more_than_a_week_back_is_refused() {
    let dir = database("backdated");
    let db = dir.path();
    let mut engine = open(&db, &examples());
    let now = parse_utc("2026-03-01T00:00:00Z").unwrap();
    let old = object(r#"{"contact":"old","at":"2000-01-01T00:00:00Z","profile":{}}"#);
    let refused = engine.ingest(&[Input::Contact(old)], now, 0).err().unwrap();
    assert_eq!(refused.status, 422);
    assert!(refused.message.contains("more than 7 days before now"), "{}", refused.message);
    assert!(engine.state("old").unwrap().is_none(), "nothing of it was recorded");
}

/// `journey run --engine temporal` hands the run to `journey-temporal send` (a stand-in script
/// here, named by `$JOURNEY_TEMPORAL`, that records its arguments and standard input), and says
/// plainly when that binary cannot be run.
#[cfg(unix)]
#[test]
fn run_on_temporal_forwards_the_project_and_standard_input_to_journey_temporal_send() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("run-engine-temporal");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("journey-temporal");
    let record = dir.join("record");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}.args'\ncat > '{0}.stdin'\nexit 0\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |binary: &Path| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_journey"))
            .args(["run", "--engine", "temporal", "--temporal", "tmp:7233", "--task-queue", "shop", "--seed", "3"])
            .args(["--exclude", "examples/broken", "examples"])
            .current_dir(root())
            .env("JOURNEY_TEMPORAL", binary)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"{\"event\":\"x\"}\n").unwrap();
        child.wait_with_output().unwrap()
    };
    let output = run(&script);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let args = std::fs::read_to_string(dir.join("record.args")).unwrap();
    let expected = "send\n--temporal\ntmp:7233\n--task-queue\nshop\n--events\n/dev/stdin\n--seed\n3\n--exclude\nexamples/broken\n--\nexamples\n";
    assert_eq!(args, expected);
    assert_eq!(std::fs::read_to_string(dir.join("record.stdin")).unwrap(), "{\"event\":\"x\"}\n");
    let missing = run(&dir.join("no-such-binary"));
    assert_eq!(missing.status.code(), Some(2));
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(said.contains("cannot run") && said.contains("JOURNEY_TEMPORAL"), "{said}");
}

/// `journey worker` becomes `journey-temporal worker` (a stand-in script here, named by
/// `$JOURNEY_TEMPORAL`) with the same flags, and its exit code is the worker's; without a place
/// for the sends it is a usage error before anything runs.
#[cfg(unix)]
#[test]
fn worker_hands_its_flags_to_journey_temporal_worker_and_exits_as_it_does() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("worker-temporal");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("journey-temporal");
    let record = dir.join("record.args");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nexit 3\n", record.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let worker = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_journey"))
            .arg("worker")
            .args(args)
            .current_dir(root())
            .env("JOURNEY_TEMPORAL", &script)
            .output()
            .unwrap()
    };
    let output = worker(&[
        "--temporal",
        "tmp:7233",
        "--task-queue",
        "shop",
        "--sink",
        "sends.jsonl",
        "--listen",
        "none",
        "--exclude",
        "examples/broken",
        "examples",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let expected = "worker\n--temporal\ntmp:7233\n--task-queue\nshop\n--sink\nsends.jsonl\n--listen\nnone\n--exclude\nexamples/broken\n--\nexamples\n";
    assert_eq!(std::fs::read_to_string(&record).unwrap(), expected);

    std::fs::remove_file(&record).unwrap();
    let defaults = worker(&["--webhook", "http://127.0.0.1:9/sends", "examples"]);
    assert_eq!(defaults.status.code(), Some(3));
    let expected = "worker\n--temporal\nlocalhost:7233\n--task-queue\njourney\n--webhook\nhttp://127.0.0.1:9/sends\n--listen\n127.0.0.1:8081\n--\nexamples\n";
    assert_eq!(std::fs::read_to_string(&record).unwrap(), expected);

    std::fs::remove_file(&record).unwrap();
    let nowhere = worker(&["examples"]);
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&nowhere.stderr).contains("--sink"),
        "{}",
        String::from_utf8_lossy(&nowhere.stderr)
    );
    assert!(!record.exists(), "nothing ran");
}

/// A flag of the other engine would be ignored, so it is refused before anything starts: the
/// embedded engine's `--db` with `--engine temporal`, Temporal's `--events` without it.
#[test]
fn run_refuses_a_flag_that_the_chosen_engine_would_ignore() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("run-misplaced-flags");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_journey"))
            .arg("run")
            .args(args)
            .args(["--exclude", "examples/broken", "examples"])
            .current_dir(root())
            .env("JOURNEY_TEMPORAL", dir.join("must-not-run"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let db = dir.join("journey.db");
    let temporal = run(&["--engine", "temporal", "--db", db.to_str().unwrap(), "--upgrade"]);
    assert_eq!(temporal.status.code(), Some(2));
    let said = String::from_utf8_lossy(&temporal.stderr);
    assert!(said.starts_with("error: --db, --upgrade are the embedded engine's"), "{said}");
    assert!(!db.exists(), "no database was made");
    let embedded = run(&["--events", "examples/welcome_from_ad.events.jsonl", "--db", db.to_str().unwrap()]);
    assert_eq!(embedded.status.code(), Some(2));
    let said = String::from_utf8_lossy(&embedded.stderr);
    assert!(said.starts_with("error: --events is `--engine temporal`'s"), "{said}");
    assert!(!db.exists(), "no database was made");
}
