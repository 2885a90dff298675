//! Hostile input to `journey simulate`: malformed lines, unknown contacts, events out
//! of order, times out of range, files over the size limit and files that are not files give a
//! clear error naming the file (and the line, for a line's fault) and exit 2, never a panic, and
//! print nothing on standard output (docs/simulate.md, "Exit codes": bad input is reported
//! "before any output"). The messages are the same under any host time zone and locale.
//!
//! Every case runs the real binary on `examples/cart_recovery.journey`, whose bundle declares
//! `cart_abandoned { cart_url: url, total: money, items: int }`, `order_placed` and
//! `order_shipped`, with its input files written to a fresh directory and named relatively, so
//! that messages read `events.jsonl:LINE: ...` exactly as a user would see them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

/// docs/simulate.md, "Limits": each input file is at most 64 MiB.
const MAX_BYTES: u64 = 64 << 20;

/// The journey's audience reads `lifetime_value`, so a contact without it never enters (docs/
/// bundle.md §3.7).
const CONTACTS: &str = r#"{"contact":"ana","profile":{"timezone":"America/Chicago","lifetime_value":{"amount":"250","currency":"USD"}},"consent":[{"channel":"sms","category":"marketing"}]}
{"contact":"ben","profile":{"timezone":"Europe/Berlin","lifetime_value":{"amount":"80","currency":"USD"}}}
"#;

/// A valid event, for cases whose fault is on another line.
const CART: &str = r#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"54.90","currency":"USD"},"items":3}}"#;

/// (name, contacts file or None for no `--contacts`, events file, a substring the one-line error
/// must contain: the file, the line and what is wrong).
type Row = (&'static str, Option<&'static [u8]>, &'static [u8], &'static str);

const C: Option<&[u8]> = Some(CONTACTS.as_bytes());

const ROWS: &[Row] = &[
    // Malformed lines.
    ("a truncated JSON line", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"#, "events.jsonl:1: not JSON: EOF while parsing"),
    ("a JSON array instead of an object", C, b"[1, 2]\n", "events.jsonl:1: expected a JSON object, found an array"),
    ("a bare string line", C, b"\"cart_abandoned\"\n", "events.jsonl:1: expected a JSON object, found a string"),
    ("trailing garbage after the object", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"}} x"#, "events.jsonl:1: not JSON: trailing characters"),
    ("a NUL byte inside a line", C, b"{\"at\":\"2026-03-02T15:00:00Z\",\"contact\":\"a\0na\",\"event\":\"reply\",\"fields\":{\"channel\":\"sms\"}}\n", "events.jsonl:1: not JSON: control character"),
    ("a lone surrogate escape", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"\ud800","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: not JSON: unexpected end of hex escape"),
    ("nesting deeper than the JSON reader allows", C, NESTED, "events.jsonl:1: not JSON: recursion limit exceeded"),
    ("a byte-order mark before the first line", C, b"\xef\xbb\xbf{\"at\":\"2026-03-02T15:00:00Z\",\"contact\":\"ana\",\"event\":\"reply\",\"fields\":{\"channel\":\"sms\"}}\n", "events.jsonl:1: not JSON"),
    ("bytes that are not UTF-8", C, b"{\"at\":\"2026-03-02T15:00:00Z\",\"contact\":\"an\xff\",\"event\":\"reply\",\"fields\":{\"channel\":\"sms\"}}\n", "events.jsonl: is not UTF-8"),
    // Missing fields.
    ("an event without `at`", C, br#"{"contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: `at` is missing"),
    ("an event without `contact`", C, br#"{"at":"2026-03-02T15:00:00Z","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: `contact` is missing"),
    ("an event without `event`", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana"}"#, "events.jsonl:1: `event` is missing"),
    ("an event without a required field", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"20","currency":"USD"}}}"#, "events.jsonl:1: the event `cart_abandoned` lacks its required field `items`"),
    ("an empty contact id", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: `contact` is empty"),
    // Wrong field types and unknown fields.
    ("`at` as a number", C, br#"{"at":1772463600,"contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: `at` must be a string, found a number"),
    ("`fields` as an array", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"reply","fields":["sms"]}"#, "events.jsonl:1: `fields` must be an object, found an array"),
    ("an int field given as text", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"20","currency":"USD"},"items":"3"}}"#, "events.jsonl:1: field `items`: expected a whole number"),
    ("an int field beyond 64 bits", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"20","currency":"USD"},"items":99999999999999999999999}}"#, "events.jsonl:1: field `items`: expected a whole number (int) within 64 bits"),
    ("money given as a bare number", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":20,"items":3}}"#, "events.jsonl:1: field `total`:"),
    ("a field the event does not declare", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_abandoned","fields":{"cart_url":"https://acme.example/c/1","total":{"amount":"20","currency":"USD"},"items":3,"coupon":"X"}}"#, "events.jsonl:1: the event `cart_abandoned` has no field `coupon`"),
    ("an unknown top-level key", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"},"journey":"cart_recovery"}"#, "events.jsonl:1: unknown field `journey` (expected at, contact, event, fields)"),
    // Unknown contacts and events.
    ("an event for a contact not in the contacts file", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"zed","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: unknown contact `zed`: it is not in the contacts file"),
    ("an event no journey declares", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"cart_viewed","fields":{}}"#, "events.jsonl:1: unknown event `cart_viewed`"),
    ("an event no journey declares, without a contacts file", None, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"Cart_Abandoned","fields":{}}"#, "events.jsonl:1: unknown event `Cart_Abandoned`"),
    // Order.
    ("an event before the previous one", C, OUT_OF_ORDER, "events.jsonl:3: events must be in time order: 2026-03-02T14:59:59Z is before the previous event's 2026-03-02T15:00:00Z"),
    // Times.
    ("a time with a space instead of T", C, br#"{"at":"2026-03-02 15:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: expected a time in RFC 3339, UTC, whole seconds"),
    ("a time with an offset instead of Z", C, br#"{"at":"2026-03-02T16:00:00+01:00","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: expected a time in RFC 3339, UTC, whole seconds"),
    ("a time with fractional seconds", C, br#"{"at":"2026-03-02T15:00:00.5Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: expected a time in RFC 3339, UTC, whole seconds"),
    ("a date that does not exist", C, br#"{"at":"2026-02-30T15:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: expected a time in RFC 3339, UTC, whole seconds"),
    ("a time in the year 10000", C, br#"{"at":"10000-01-01T00:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "found \"10000-01-01T00:00:00Z\""),
    ("a time with a negative year", C, br#"{"at":"-0001-01-01T00:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "found \"-0001-01-01T00:00:00Z\""),
    ("a time before 1970", C, br#"{"at":"1969-12-31T23:59:59Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: time \"1969-12-31T23:59:59Z\" is out of range (1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z)"),
    ("a time after 9000-01-01", C, br#"{"at":"9000-01-01T00:00:01Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}"#, "events.jsonl:1: time \"9000-01-01T00:00:01Z\" is out of range"),
    // The runtime events' reserved names used with the wrong fields.
    ("a reply without its channel", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"reply","fields":{"outcome":"yes"}}"#, "events.jsonl:1: `fields.channel` is missing"),
    ("a reply whose text is not text", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms","text":5}}"#, "events.jsonl:1: in `fields`: `text` must be a string, found a number"),
    ("a consent grant of an unknown category", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"consent_granted","fields":{"channel":"sms","category":"spam"}}"#, "events.jsonl:1: unknown category `spam`"),
    ("a handoff resolution with a field it does not have", C, br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"handoff_resolved","fields":{"team":"care","agent":"x"}}"#, "events.jsonl:1: in `fields`: unknown field `agent`"),
    // The contacts file.
    ("a malformed contacts line", Some(b"{\"contact\":\"ana\",\n"), CART.as_bytes(), "contacts.jsonl:1: not JSON"),
    ("a contact id twice", Some(b"{\"contact\":\"ana\"}\n{\"contact\":\"ben\"}\n{\"contact\":\"ana\"}\n"), CART.as_bytes(), "contacts.jsonl:3: contact `ana` appears twice"),
    ("a profile field the schema lacks", Some(br#"{"contact":"ana","profile":{"shoe_size":42}}"#), CART.as_bytes(), "contacts.jsonl:1: the profile has no field `shoe_size`"),
    ("a profile field of the wrong type", Some(br#"{"contact":"ana","profile":{"interests":"running"}}"#), CART.as_bytes(), "contacts.jsonl:1: profile field `interests`:"),
    ("a consent entry of an unknown category", Some(br#"{"contact":"ana","consent":[{"channel":"sms","category":"promo"}]}"#), CART.as_bytes(), "contacts.jsonl:1: unknown category `promo`"),
    ("consent given as an object", Some(br#"{"contact":"ana","consent":{"channel":"sms","category":"marketing"}}"#), CART.as_bytes(), "contacts.jsonl:1: `consent` must be an array, found an object"),
    ("an empty contacts file", Some(b""), CART.as_bytes(), "events.jsonl:1: unknown contact `ana`: it is not in the contacts file"),
];

/// 200 nested arrays: past serde_json's 128 levels.
const NESTED: &[u8] = &{
    let mut line = [b'['; 201];
    line[200] = b'\n';
    line
};

/// Line 2 is blank (blank lines are ignored but still counted), so the fault is on line 3.
const OUT_OF_ORDER: &[u8] =
    br#"{"at":"2026-03-02T15:00:00Z","contact":"ana","event":"reply","fields":{"channel":"sms"}}

{"at":"2026-03-02T14:59:59Z","contact":"ben","event":"reply","fields":{"channel":"sms"}}
"#;

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cart_recovery.journey")
}

/// A fresh, empty directory for one case.
fn scratch(name: &str) -> PathBuf {
    let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let dir = std::env::temp_dir().join(format!("journey-simulate-hostile-{}-{slug}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `journey simulate` in `dir` with `args` after the project, under a fixed host time zone
/// and locale unless `env` overrides them.
fn simulate(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(JOURNEY);
    command.current_dir(dir).arg("simulate").arg(project()).args(args).env("TZ", "UTC").env("LC_ALL", "C");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// What is wrong with the output of a run on bad input, if anything: exit 2, one `error:` line
/// that contains `wanted`, nothing on standard output, no panic.
fn check_refused(name: &str, output: &Output, wanted: &str) -> Option<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problem = if output.status.code() == Some(101) || stderr.contains("panicked") {
        "panicked"
    } else if output.status.code() != Some(2) {
        "did not exit with 2"
    } else if !output.stdout.is_empty() {
        "printed on standard output"
    } else if !stderr.starts_with("error: ") || stderr.lines().count() != 1 {
        "is not one `error:` line"
    } else if !stderr.contains(wanted) {
        "does not say what is wrong where"
    } else {
        return None;
    };
    Some(format!(
        "{name}: {problem}: exit {:?}, stdout {} bytes, stderr: {stderr}\n  wanted: {wanted}",
        output.status.code(),
        output.stdout.len()
    ))
}

fn run_row(row: &Row, env: &[(&str, &str)]) -> Output {
    let (name, contacts, events, _) = *row;
    let dir = scratch(name);
    fs::write(dir.join("events.jsonl"), events).unwrap();
    let mut args = vec!["--events", "events.jsonl"];
    if let Some(contacts) = contacts {
        fs::write(dir.join("contacts.jsonl"), contacts).unwrap();
        args.extend(["--contacts", "contacts.jsonl"]);
    }
    let output = simulate(&dir, &args, env);
    fs::remove_dir_all(&dir).unwrap();
    output
}

#[test]
fn every_hostile_input_line_gives_exit_2_and_one_error_naming_the_file_and_line() {
    let failures: Vec<String> = ROWS.iter().filter_map(|row| check_refused(row.0, &run_row(row, &[]), row.3)).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), ROWS.len(), failures.join("\n"));
}

#[test]
fn the_error_messages_are_the_same_bytes_under_another_host_time_zone_and_locale() {
    // Times in messages are formatted by the runtime from UTC seconds, never through the host's
    // zone or locale; a regression would show in the out-of-order and out-of-range rows.
    let other = [("TZ", "Pacific/Chatham"), ("LC_ALL", "tr_TR.UTF-8"), ("LANG", "ar_EG.UTF-8")];
    let failures: Vec<&str> = ROWS
        .iter()
        .filter(|row| {
            let (plain, local) = (run_row(row, &[]), run_row(row, &other));
            (plain.stderr, plain.status.code()) != (local.stderr, local.status.code())
        })
        .map(|row| row.0)
        .collect();
    assert!(failures.is_empty(), "messages differ under TZ=Pacific/Chatham LC_ALL=tr_TR.UTF-8: {failures:?}");
}

#[test]
fn input_files_over_the_documented_size_limit_are_refused_without_reading_them_whole() {
    // A sparse file one byte over 64 MiB: created at once, and the reader stops one byte past
    // the limit, so the case is fast although the file is large.
    for which in ["events", "contacts"] {
        let dir = scratch(&format!("size-{which}"));
        fs::write(dir.join("events.jsonl"), CART).unwrap();
        fs::write(dir.join("contacts.jsonl"), CONTACTS).unwrap();
        let big = fs::OpenOptions::new().write(true).open(dir.join(format!("{which}.jsonl"))).unwrap();
        big.set_len(MAX_BYTES + 1).unwrap();
        drop(big);
        let output = simulate(&dir, &["--events", "events.jsonl", "--contacts", "contacts.jsonl"], &[]);
        let wanted = format!("{which}.jsonl: is larger than the limit of {MAX_BYTES} bytes");
        assert_eq!(check_refused(which, &output, &wanted), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_file_exactly_at_the_size_limit_is_read() {
    // The limit is inclusive ("at most 64 MiB"): a valid event padded with trailing spaces to
    // exactly the limit runs. The padding is one line of spaces, which counts as blank.
    let dir = scratch("size-exact");
    let mut events = format!("{CART}\n").into_bytes();
    events.resize(usize::try_from(MAX_BYTES).unwrap(), b' ');
    fs::write(dir.join("events.jsonl"), &events).unwrap();
    fs::write(dir.join("contacts.jsonl"), CONTACTS).unwrap();
    let output = simulate(&dir, &["--events", "events.jsonl", "--contacts", "contacts.jsonl"], &[]);
    fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("\"action\":\"enter\""), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_directory_or_a_missing_file_as_input_is_a_clear_error() {
    let dir = scratch("not-files");
    fs::create_dir(dir.join("events.jsonl")).unwrap();
    fs::write(dir.join("contacts.jsonl"), CONTACTS).unwrap();
    let cases = [
        ("a directory as --events", vec!["--events", "events.jsonl"], "cannot read `events.jsonl`"),
        ("a directory as --contacts", vec!["--events", "events.jsonl", "--contacts", "."], "cannot read `.`"),
        (
            "a missing --events file",
            vec!["--events", "missing.jsonl"],
            "cannot read `missing.jsonl`: no such file or directory",
        ),
        (
            "a missing --contacts file",
            vec!["--events", "events.jsonl", "--contacts", "missing.jsonl"],
            "cannot read `missing.jsonl`: no such file or directory",
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, args, wanted)| check_refused(name, &simulate(&dir, args, &[]), wanted))
        .collect();
    fs::remove_dir_all(&dir).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_project_that_declares_a_reserved_event_name_is_bad_input_for_simulate() {
    // docs/simulate.md: the runtime events' names are reserved; a bundle whose `events` declares
    // one cannot run, since its events could not be told from the runtime's.
    let dir = scratch("reserved");
    fs::write(
        dir.join("main.journey"),
        "import \"std/channels\"\nprofile { timezone: timezone }\nevent reply { text: text }\n\
         message hi on sms as service { text \"hi\" }\njourney greet {\n  entry on reply\n  stage s { send hi }\n}\n",
    )
    .unwrap();
    fs::write(
        dir.join("events.jsonl"),
        r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"reply","fields":{"text":"x"}}"#,
    )
    .unwrap();
    let output = Command::new(JOURNEY)
        .current_dir(&dir)
        .args(["simulate", "main.journey", "--events", "events.jsonl"])
        .output()
        .unwrap();
    fs::remove_dir_all(&dir).unwrap();
    let wanted = "journey `greet` declares the event `reply`, whose name simulate reserves for a runtime event";
    assert_eq!(check_refused("reserved", &output, wanted), None);
}

#[test]
fn crlf_line_ends_blank_lines_and_an_empty_events_file_are_accepted() {
    // docs/simulate.md: a `\r` before `\n` is accepted (it is JSON whitespace), so a file saved
    // on Windows runs exactly like its `\n` twin; blank lines, and so an empty file, mean
    // nothing happens.
    let dir = scratch("accepted");
    fs::write(dir.join("contacts.jsonl"), CONTACTS.replace('\n', "\r\n")).unwrap();
    fs::write(dir.join("lf.jsonl"), format!("{CART}\n")).unwrap();
    fs::write(dir.join("crlf.jsonl"), format!("\r\n{CART}\r\n\r\n")).unwrap();
    fs::write(dir.join("empty.jsonl"), "").unwrap();
    fs::write(dir.join("blank.jsonl"), "\n \t\r\n\n").unwrap();
    let run = |events: &str| simulate(&dir, &["--events", events, "--contacts", "contacts.jsonl"], &[]);
    let (lf, crlf) = (run("lf.jsonl"), run("crlf.jsonl"));
    assert!(lf.status.success() && !lf.stdout.is_empty(), "{}", String::from_utf8_lossy(&lf.stderr));
    assert_eq!(String::from_utf8(lf.stdout).unwrap(), String::from_utf8(crlf.stdout).unwrap());
    assert!(crlf.status.success() && crlf.stderr.is_empty(), "{}", String::from_utf8_lossy(&crlf.stderr));
    for events in ["empty.jsonl", "blank.jsonl"] {
        let output = run(events);
        assert_eq!(output.status.code(), Some(0), "{events}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stdout.is_empty() && output.stderr.is_empty(), "{events}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// A journey that loops with a wait until an `exit on` event that never comes.
fn endless_loop(wait: &str) -> String {
    format!(
        "import \"std/channels\"\nimport \"std/events\"\n\nevent signed_up {{}}\nevent left {{}}\n\njourney endless {{\n  entry on signed_up\n  exit on left\n  stage s {{\n    wait {wait}\n    track \"tick\"\n    goto s\n  }}\n}}\n"
    )
}

fn run_endless(name: &str, wait: &str) -> (Output, Vec<String>) {
    let dir = scratch(name);
    fs::write(dir.join("endless.journey"), endless_loop(wait)).unwrap();
    fs::write(
        dir.join("events.jsonl"),
        "{\"at\":\"2026-03-02T15:00:00Z\",\"contact\":\"c1\",\"event\":\"signed_up\"}\n",
    )
    .unwrap();
    let output = Command::new(JOURNEY)
        .current_dir(&dir)
        .args(["simulate", "endless.journey", "--events", "events.jsonl"])
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&output.stdout).lines().map(str::to_owned).collect();
    (output, lines)
}

#[test]
fn a_loop_whose_exit_event_never_comes_stops_at_the_horizon_a_year_after_the_last_event() {
    let (output, lines) = run_endless("horizon", "1h");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    // docs/bundle.md §3.5: timers fire until 366 days after the last event; the run is left
    // waiting, its last action the wait that would end after the horizon.
    let last = lines.last().unwrap();
    assert!(
        last.starts_with(
            r#"{"at":"2027-03-03T15:00:00Z","contact":"c1","journey":"endless","run":1,"node":"s.1","action":"wait""#
        ),
        "{last}"
    );
    // The entry and the first wait, then every hour for 366 days (the timer due exactly at the
    // horizon fires too) a track and the next wait.
    assert_eq!(lines.len(), 2 + 2 * 366 * 24);
}

#[test]
fn a_loop_of_short_waits_ends_at_the_wait_limit() {
    let (output, lines) = run_endless("wait-limit", "1m");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let last = lines.last().unwrap();
    assert!(last.contains(r#""action":"exit","reason":"wait limit""#), "{last}");
    let waits = lines.iter().filter(|l| l.contains(r#""action":"wait""#)).count();
    assert_eq!(waits, 100_000, "docs/bundle.md §3.5: at most 100,000 waits a run");
}
