//! `journey simulate --population`: the report of a small fixed population of the project in
//! tests/population/ is checked in byte for byte (text and JSON), the same seed gives the same
//! bytes, and bad traffic descriptions exit with 2 and name the file and the field (or line).
//! `UPDATE_EXPECTED=1` rewrites the expected files; review the diff by hand before committing.

// clippy.toml allows these inside `#[test]` functions; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `journey simulate tests/population ...` from the repository root (relative paths in
/// messages).
fn simulate(extra: &[&str]) -> Output {
    Command::new(JOURNEY).current_dir(root()).args(["simulate", "tests/population"]).args(extra).output().unwrap()
}

fn expect(file: &str, actual: &str) {
    let path = root().join("tests/population").join(file);
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "{file} differs (UPDATE_EXPECTED=1 rewrites it):\n{actual}");
}

const SMALL: &[&str] = &["--population", "40", "--seed", "7", "--traffic", "tests/population/traffic.json"];

#[test]
fn a_small_population_gives_the_checked_in_text_report() {
    let out = simulate(&[SMALL, &["--format", "text"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    expect("expected.txt", &String::from_utf8(out.stdout).unwrap());
}

#[test]
fn a_small_population_gives_the_checked_in_json_report() {
    let out = simulate(SMALL);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["population"], 40);
    assert!(json["journeys"]["nudge_cart"]["paths"]["remind.2:then"]["runs"].as_u64().is_some());
    expect("expected.json", &text);
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_another_population() {
    let args = ["--population", "1500", "--traffic", "tests/population/traffic.json", "--seed"];
    let a = simulate(&[&args[..], &["3"]].concat());
    let b = simulate(&[&args[..], &["3"]].concat());
    let c = simulate(&[&args[..], &["4"]].concat());
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    // 1,500 contacts run in two chunks; the report counts all of them.
    let json: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(json["population"], 1500);
}

#[test]
fn timings_go_to_standard_error_and_leave_the_report_alone() {
    let plain = simulate(SMALL);
    let timed = simulate(&[SMALL, &["--timings"]].concat());
    assert_eq!(plain.stdout, timed.stdout);
    let stderr = String::from_utf8(timed.stderr).unwrap();
    assert!(stderr.starts_with("timings: 40 contacts, "), "{stderr}");
    assert!(stderr.contains("contact-steps/s"), "{stderr}");
}

/// (traffic file, the error expected on standard error, exactly).
const BAD_TRAFFIC: &[(&str, &str)] = &[
    ("{\"start\": \"2026-03-02T00:00:00Z\",\n  \"days\": 7,,\n}", "error: t.json:2:13: not JSON: key must be a string\n"),
    ("[]", "error: t.json: must be an object, found an array\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[],"rate":1}"#, "error: t.json: unknown field `rate` (expected start, days, zones, profile, consent, events, follow_ups, replies, reply_within_s)\n"),
    (r#"{"days":7,"events":[]}"#, "error: t.json: start: is missing (an RFC 3339 time in UTC, e.g. 2026-03-02T00:00:00Z)\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":0,"events":[]}"#, "error: t.json: days: must be a whole number from 1 to 3660, found 0\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[{"event":"cart_abandoned","per_contact":1,"fields":{"items":"3"}}]}"#, "error: t.json: events[0].fields.items: expected a whole number, found a string\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[{"event":"cart_abandoned","per_contact":1}]}"#, "error: t.json: events[0].fields: the event `cart_abandoned` needs its required field `items`\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[{"event":"nope","per_contact":1}]}"#, "error: t.json: events[0]: unknown event `nope`: no journey declares it and it is not a runtime event\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[{"event":"reply","per_contact":1}]}"#, "error: t.json: events[0]: `fields.channel` is missing\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[],"zones":{"Mars/Olympus":1}}"#, "error: t.json: zones.Mars/Olympus: unknown time zone `Mars/Olympus`\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[],"profile":{"tier":{"one_of":{"platinum":1}}}}"#, "error: t.json: profile.tier: expected one of gold, member, found \"platinum\"\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[],"consent":{"sms/spam":0.5}}"#, "error: t.json: consent.sms/spam: unknown category `spam` (expected service, utility, marketing or authentication)\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[],"replies":{"survey":{"found":0.7,"missing":0.6}}}"#, "error: t.json: replies.survey: the probabilities add up to 1.2999999999999998, more than 1\n"),
    (r#"{"start":"2026-03-02T00:00:00Z","days":7,"events":[],"follow_ups":[{"after":"cart_abandoned","event":"order_placed","probability":1,"within_s":60,"fields":{"order_id":"x"}}]}"#, "error: t.json: follow_ups[0].after: no entry of `events` sends `cart_abandoned`\n"),
];

#[test]
fn bad_traffic_files_exit_with_2_and_name_the_file_and_the_field() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("population-bad-traffic");
    fs::create_dir_all(&dir).unwrap();
    let project = root().join("tests/population");
    let mut wrong = Vec::new();
    for (text, expected) in BAD_TRAFFIC {
        fs::write(dir.join("t.json"), text).unwrap();
        let out = Command::new(JOURNEY)
            .current_dir(&dir)
            .args(["simulate"])
            .arg(&project)
            .args(["--population", "5", "--traffic", "t.json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) || stderr != *expected || !out.stdout.is_empty() {
            wrong.push(format!("{text}\n  got {:?}: {stderr}  expected {expected}", out.status.code()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn population_needs_a_traffic_file_and_excludes_events_files() {
    let out = simulate(&["--population", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--traffic"));
    let out = simulate(&[SMALL, &["--events", "x.jsonl"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}
