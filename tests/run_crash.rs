//! Issue 20's acceptance: the real `journey run` binary, fed a steady stream of events over
//! HTTP on a test clock (an hour of journey time every half second, so waits fire), is killed
//! with SIGKILL at random moments twenty times and restarted on the same database. At the end,
//! the sink (its standard output, over every process) must have received every send the
//! simulation of the recorded events has up to where each contact's replays reached, each
//! under its one idempotency key, and nothing else.
//!
//! The events are sent without `at` (the service stamps them), so the expected sends are those
//! of `journey_runtime::run` over the events as the database recorded them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use journey_engine::{keys, store};
use journey_runtime::io::{read_contact, read_event, Schema};
use journey_runtime::{Options, What};
use serde_json::{Map, Value as Json};

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");
/// Journey time runs this many times faster than real time.
const SCALE: &str = "7200";
const KILLS: usize = 20;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Service {
    child: Child,
    address: String,
}

/// A failing test must not leave a service running.
impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `journey run` on the examples; its standard output's lines go to `sink`.
fn start(db: &Path, sink: &Arc<Mutex<Vec<String>>>, log: &Arc<Mutex<Vec<String>>>) -> Service {
    let examples = root().join("examples");
    let mut child = Command::new(JOURNEY)
        .arg("run")
        .arg(&examples)
        .arg("--exclude")
        .arg(examples.join("broken"))
        .arg("--db")
        .arg(db)
        .args(["--listen", "127.0.0.1:0", "--no-stdin", "--clock-scale", SCALE])
        .args(["--clock-epoch", "2026-03-02T15:00:00Z"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let sink = Arc::clone(sink);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let lines = Arc::clone(log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(Json::Object(map)) = serde_json::from_str::<Json>(&line) {
                if map.get("event").and_then(Json::as_str) == Some("listening") {
                    let _ = tx.send(map["address"].as_str().unwrap_or("").to_owned());
                }
            }
            lines.lock().unwrap().push(line);
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("journey run did not start listening; its log:\n{}", log_text(log)));
    Service { child, address }
}

fn log_text(log: &Arc<Mutex<Vec<String>>>) -> String {
    log.lock().unwrap().join("\n")
}

/// One HTTP request; `Err` when the service is not there (killed).
fn request(address: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.get(9..12).and_then(|s| s.parse().ok());
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    match status {
        Some(status) => Ok((status, body)),
        None => Err(std::io::Error::other(format!("no status in {response:?}"))),
    }
}

/// A small generator, so that the kill times are random but the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The examples' events, by (events file, contact), in file order, without `at`.
/// (events file, contact, its events).
type Template = (String, String, Vec<Map<String, Json>>);

fn templates() -> Vec<Template> {
    let mut groups: BTreeMap<(String, String), Vec<Map<String, Json>>> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".events.jsonl"))
        .collect();
    files.sort();
    for file in files {
        let stem = file.file_name().unwrap().to_string_lossy().replace(".events.jsonl", "");
        for line in std::fs::read_to_string(&file).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let Json::Object(mut map) = serde_json::from_str(line).unwrap() else { panic!("{line}") };
            map.remove("at");
            let contact = map["contact"].as_str().unwrap().to_owned();
            groups.entry((stem.clone(), contact)).or_default().push(map);
        }
    }
    groups.into_iter().map(|((file, contact), events)| (file, contact, events)).collect()
}

#[test]
fn killed_twenty_times_under_a_stream_of_events_every_send_reaches_the_sink_under_its_one_key() {
    let dir = std::env::temp_dir().join(format!("journey-run-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("journey.db");
    let sink = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::new(Mutex::new(Vec::new()));
    let profiles: BTreeMap<String, Map<String, Json>> = std::fs::read_to_string(root().join("examples/contacts.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let Json::Object(map) = serde_json::from_str(l).unwrap() else { panic!("{l}") };
            (map["contact"].as_str().unwrap().to_owned(), map)
        })
        .collect();
    let templates = templates();
    let mut random = Lcg(20);
    let started = Instant::now();
    let mut service = start(&db, &sink, &log);
    let mut kills = 0;
    let mut next_kill = Instant::now() + Duration::from_millis(300 + random.below(1200));
    let mut sent = 0;
    // Sends one request, restarting the service when it is gone, and killing it when its
    // time comes.
    let mut send = |service: &mut Service, kills: &mut usize, method: &str, path: &str, body: &str| loop {
        if *kills < KILLS && Instant::now() >= next_kill {
            // Every other kill waits for a send to appear on the sink and strikes at once: most
            // likely before the send is marked delivered, so that it is delivered again.
            if *kills % 2 == 1 {
                let seen = sink.lock().unwrap().len();
                let until = Instant::now() + Duration::from_secs(2);
                while sink.lock().unwrap().len() == seen && Instant::now() < until {
                    std::thread::yield_now();
                }
            }
            service.child.kill().unwrap();
            service.child.wait().unwrap();
            *kills += 1;
            next_kill = Instant::now() + Duration::from_millis(300 + random.below(1200));
            *service = start(&db, &sink, &log);
        }
        match request(&service.address, method, path, body) {
            Ok((200..=299, _)) => return,
            Ok((status, answer)) => panic!("{method} {path} {body}: {status} {answer}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let mut round = 0;
    while kills < KILLS {
        // A round: a copy of every template contact, their events interleaved.
        let mut queues: Vec<(String, std::collections::VecDeque<Map<String, Json>>)> = Vec::new();
        for (file, contact, events) in &templates {
            let id = format!("{contact}.{file}.{round}");
            if let Some(profile) = profiles.get(contact) {
                let mut record = profile.clone();
                record.remove("contact");
                send(&mut service, &mut kills, "PUT", &format!("/contacts/{id}"), &Json::Object(record).to_string());
            }
            let events = events
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    e.insert("contact".to_owned(), Json::String(id.clone()));
                    e
                })
                .collect();
            queues.push((id, events));
        }
        while queues.iter().any(|(_, q)| !q.is_empty()) {
            for (_, queue) in &mut queues {
                if let Some(event) = queue.pop_front() {
                    send(&mut service, &mut kills, "POST", "/events", &Json::Object(event).to_string());
                    sent += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        round += 1;
    }
    // Time for what is due to fire (a few hours of journey time), then a graceful stop.
    std::thread::sleep(Duration::from_secs(2));
    // The shell's built-in `kill`: std has no SIGTERM, and /bin/kill is not on every machine.
    let status = Command::new("sh").arg("-c").arg(format!("kill -TERM {}", service.child.id())).status().unwrap();
    assert!(status.success());
    let exit = service.child.wait().unwrap();
    assert!(exit.success(), "journey run did not stop cleanly on SIGTERM: {exit:?}\n{}", log_text(&log));
    let elapsed = started.elapsed();

    // What the database recorded, and what the simulation of it sends.
    let examples = root().join("examples");
    let (bundles, texts) = journey::run::bundles(std::slice::from_ref(&examples), &[examples.join("broken")]).unwrap();
    let hash = keys::bundle_set(&texts);
    let schema = Schema::of(&bundles).unwrap();
    let conn = store::open(&db).unwrap();
    let object = |line: &str| match serde_json::from_str::<Json>(line).unwrap() {
        Json::Object(map) => map,
        other => panic!("{other}"),
    };
    let mut contacts = Vec::new();
    let mut events = Vec::new();
    let mut reached = BTreeMap::new();
    for id in store::contact_ids(&conn).unwrap() {
        let record = store::record(&conn, &id).unwrap().unwrap();
        contacts.push(read_contact(&object(&record.line), &schema).unwrap());
        for line in store::events(&conn, &id).unwrap() {
            events.push(read_event(&object(&line), &schema).unwrap());
        }
        let progress = store::progress(&conn, &id).unwrap().unwrap();
        assert_eq!(progress.frozen, None, "contact {id} was stopped");
        reached.insert(id, progress.watermark);
    }
    // Each contact's events are in time order; the simulation wants all of them in time order.
    events.sort_by_key(|e| e.at);
    let actions = journey_runtime::run(&bundles, &contacts, &events, &Options { seed: 0, live: None });
    let mut all: BTreeMap<String, String> = BTreeMap::new();
    let mut expected = BTreeSet::new();
    // Each action's place among its contact's actions (a key names it).
    let mut places: BTreeMap<&str, usize> = BTreeMap::new();
    for action in &actions {
        let place = places.entry(action.contact.as_str()).or_insert(0);
        let n = *place;
        *place += 1;
        if let What::Send { .. } = action.what {
            let key = keys::send_key(
                &hash,
                &action.contact,
                &action.journey,
                action.run,
                action.node.as_deref(),
                &action.at,
                n,
            );
            let line = serde_json::to_string(action).unwrap();
            all.insert(key.clone(), journey_engine::core::sink_line(&key, &line));
            let at = journey_runtime::time::parse_utc(&action.at).unwrap();
            if at <= reached[&action.contact] {
                expected.insert(key);
            }
        }
    }

    // What reached the sink, over every process.
    let lines = sink.lock().unwrap().clone();
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys_of_send: BTreeMap<(String, String, u64, String, String), BTreeSet<String>> = BTreeMap::new();
    for line in &lines {
        // A process killed in the middle of a write leaves a cut line; its send is still in
        // the outbox and comes again whole.
        let Ok(Json::Object(map)) = serde_json::from_str::<Json>(line) else { continue };
        let key = map["idempotency_key"].as_str().unwrap().to_owned();
        assert_eq!(all.get(&key), Some(line), "a send the simulation does not have, or with other content: {line}");
        let send = (
            map["contact"].as_str().unwrap().to_owned(),
            map["journey"].as_str().unwrap().to_owned(),
            map["run"].as_u64().unwrap(),
            map["node"].as_str().unwrap_or("").to_owned(),
            map["at"].as_str().unwrap().to_owned(),
        );
        keys_of_send.entry(send).or_default().insert(key.clone());
        *delivered.entry(key).or_default() += 1;
    }
    let missing: Vec<&String> = expected.iter().filter(|k| !delivered.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} expected sends never reached the sink: {missing:?}",
        missing.len(),
        expected.len()
    );
    for (send, keys) in &keys_of_send {
        assert_eq!(keys.len(), 1, "{send:?} reached the sink under several keys: {keys:?}");
    }
    let again = delivered.values().filter(|n| **n > 1).count();
    assert!(kills == KILLS && expected.len() > 100, "kills {kills}, expected sends {}", expected.len());
    eprintln!(
        "{kills} kills, {sent} events, {} sends expected, {} delivered, {again} delivered again after a crash, {:.1} s",
        expected.len(),
        delivered.len(),
        elapsed.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Standard input: lines already waiting are taken together, a bad line is logged with its
/// number and skipped (the others still count), a wait fires on the test clock, and SIGTERM
/// delivers what is recorded and exits 0.
#[test]
fn lines_on_standard_input_are_taken_bad_ones_logged_by_number_and_sigterm_exits_cleanly() {
    let dir = std::env::temp_dir().join(format!("journey-run-stdin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let examples = root().join("examples");
    let child = Command::new(JOURNEY)
        .arg("run")
        .arg(&examples)
        .arg("--exclude")
        .arg(examples.join("broken"))
        .arg("--db")
        .arg(dir.join("journey.db"))
        .args(["--listen", "none", "--clock-scale", "3600", "--clock-epoch", "2026-03-02T15:00:00Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut service = Service { child, address: String::new() };
    let child = &mut service.child;
    let ana = std::fs::read_to_string(examples.join("contacts.jsonl")).unwrap().lines().next().unwrap().to_owned();
    let cart = r#"{"contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"54.90","currency":"USD"},"items":3}}"#;
    let mut stdin = child.stdin.take().unwrap();
    write!(stdin, "{ana}\n{cart}\nnot json\n{{\"contact\":\"ana\",\"event\":\"nope\"}}\n").unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    // The cart reminder comes an hour of journey time later: a second.
    let send = rx.recv_timeout(Duration::from_secs(30)).expect("no send on standard output");
    let status = Command::new("sh").arg("-c").arg(format!("kill -TERM {}", child.id())).status().unwrap();
    assert!(status.success());
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(child.wait().unwrap().success(), "{log}");
    drop(stdin);
    let send: Json = serde_json::from_str(&send).unwrap();
    assert_eq!((send["contact"].as_str(), send["action"].as_str()), (Some("ana"), Some("send")), "{send}");
    assert_eq!(send["idempotency_key"].as_str().map(str::len), Some(64), "{send}");
    let refused: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|l| l["event"] == "input_refused")
        .map(|l| (l["line"].as_str().unwrap().to_owned(), l["message"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        refused,
        [
            ("3".to_owned(), "not JSON: expected ident at line 1 column 2".to_owned()),
            (
                "4".to_owned(),
                "unknown event `nope`: no journey declares it and it is not a runtime event (reply, consent_granted, consent_revoked, handoff_resolved)".to_owned()
            ),
        ],
        "{log}"
    );
    assert!(log.contains("\"event\":\"stopped\""), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
