//! The monitor over real bundles: the repository's examples, built in memory by the compiler
//! (the compiler only produces the bundles here; the monitor reads their JSON), with action
//! streams written by hand as a runtime would write them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_compiler::{bundle, check_project, Severity};
use journey_monitor::{monitor_json, parse_actions, parse_contacts, parse_events};
use serde_json::Value;

struct Disk(PathBuf);

impl SourceLoader for Disk {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        std::fs::read(self.0.join(path.as_str())).map_err(|_| LoadError::NotFound)
    }
}

/// The bundles of `examples/`, which checks without errors.
fn examples() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".journey"))
        .collect();
    names.sort();
    let entries: Vec<ProjectPath> = names.iter().map(|n| ProjectPath::new(n).unwrap()).collect();
    let report = check_project(&entries, &Disk(root));
    assert!(report.diagnostics.iter().all(|d| d.severity != Severity::Error), "the examples do not check");
    bundle::emit(&report, bundle::Options::default())
        .into_iter()
        .map(|(_, text)| serde_json::from_str(&text).unwrap())
        .collect()
}

/// The node of `journey` that sends `message`, from its compliance records.
fn node_sending(bundles: &[Value], journey: &str, message: &str) -> String {
    let bundle = bundles.iter().find(|b| b["journey"] == journey).unwrap();
    let records = bundle["compliance"].as_object().unwrap();
    records.iter().find(|(_, r)| r["message"] == message).map(|(id, _)| id.clone()).unwrap()
}

/// One run of cart_recovery for c1: entered at `entered`, the reminder sent at `sent`.
fn cart_run(node: &str, entered: &str, sent: &str) -> Vec<String> {
    vec![
        format!(
            r#"{{"at":"{entered}","contact":"c1","journey":"cart_recovery","node":null,"action":"enter","event":"cart_abandoned"}}"#
        ),
        format!(
            r#"{{"at":"{entered}","contact":"c1","journey":"cart_recovery","node":"remind.1","action":"wait","until":"{sent}","kind":"wait"}}"#
        ),
        format!(
            r#"{{"at":"{sent}","contact":"c1","journey":"cart_recovery","node":"remind.2","action":"branch","outcome":"then"}}"#
        ),
        format!(
            r#"{{"at":"{sent}","contact":"c1","journey":"cart_recovery","node":"{node}","action":"send","message":"cart_reminder","channel":"sms","category":"marketing","form":"free-form","local_time":null,"evidence":{{}}}}"#
        ),
    ]
}

const CONTACT: &str = r#"{"contact":"c1","profile":{"timezone":"America/Chicago","country":"US","lifetime_value":{"amount":"10","currency":"USD"},"interests":[],"loyalty_tier":"member","unsubscribe_url":"https://acme.example/u","postal_address":"1 Main St"},"consent":[{"channel":"sms","category":"marketing"}]}"#;

fn cart(at: &str) -> String {
    format!(
        r#"{{"at":"{at}","contact":"c1","event":"cart_abandoned","fields":{{"cart_url":"https://acme.example/c","total":{{"amount":"30","currency":"USD"}},"items":2}}}}"#
    )
}

fn findings(bundles: &[Value], events: &[String], actions: &[String]) -> Vec<(String, String)> {
    let contacts = parse_contacts(CONTACT).unwrap();
    let events = parse_events(&events.join("\n")).unwrap();
    let actions = parse_actions(&actions.join("\n")).unwrap();
    monitor_json(bundles, &contacts, &events, &actions)
        .unwrap()
        .into_iter()
        .map(|f| (f.at.to_string(), f.rule))
        .collect()
}

#[test]
fn cart_recovery_runs_are_clean_until_the_runtime_ignores_an_opt_out_quiet_hours_or_the_cap() {
    let bundles = examples();
    let node = node_sending(&bundles, "cart_recovery", "cart_reminder");
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, r)| ((*a).to_owned(), (*r).to_owned())).collect::<Vec<_>>();

    // Abandoned at 09:00 Chicago time, reminded at 10:00.
    let clean = cart_run(&node, "2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z");
    assert_eq!(findings(&bundles, &[cart("2026-03-02T15:00:00Z")], &clean), vec![]);

    // The contact texted STOP while the run waited; a runtime that did not re-check sent anyway.
    let stop =
        r#"{"at":"2026-03-02T15:30:00Z","contact":"c1","event":"sms_opt_out","fields":{"keyword":"STOP"}}"#.to_owned();
    assert_eq!(
        findings(&bundles, &[cart("2026-03-02T15:00:00Z"), stop], &clean),
        pairs(&[("2026-03-02T16:00:00Z", "TCPA-PEWC")])
    );

    // Abandoned at 20:30, and the reminder not held past 21:00 (it was 21:30 in Chicago).
    let late = cart_run(&node, "2026-03-03T02:30:00Z", "2026-03-03T03:30:00Z");
    assert_eq!(
        findings(&bundles, &[cart("2026-03-03T02:30:00Z")], &late),
        pairs(&[("2026-03-03T03:30:00Z", "TCPA-QH")])
    );

    // Three runs in a week (a runtime that ignored `reentry after 7d` and the cap): the policy
    // allows 2 marketing messages per 7 days per contact.
    let mut three = Vec::new();
    let mut events = Vec::new();
    for day in ["02", "04", "06"] {
        let (entered, sent) = (format!("2026-03-{day}T15:00:00Z"), format!("2026-03-{day}T16:00:00Z"));
        events.push(cart(&entered));
        three.extend(cart_run(&node, &entered, &sent));
    }
    assert_eq!(findings(&bundles, &events, &three), pairs(&[("2026-03-06T16:00:00Z", "J0409")]));
}

#[test]
fn every_example_message_the_compiler_accepts_passes_the_monitors_wording_check() {
    // The checker proved the wording of every marketing message of the examples; the monitor's
    // own reading must agree on each of them, sent at a quiet-free hour to a consenting contact.
    let bundles = examples();
    let mut disagreements = Vec::new();
    let mut checked = Vec::new();
    for bundle in &bundles {
        let journey = bundle["journey"].as_str().unwrap();
        for (node, record) in bundle["compliance"].as_object().unwrap() {
            let (message, channel, category) = (&record["message"], &record["channel"], &record["category"]);
            if category != "marketing" {
                continue;
            }
            checked.push(format!("{channel}"));
            let contact = format!(
                r#"{{"contact":"c1","profile":{{"timezone":"America/Chicago"}},"consent":[{{"channel":{channel},"category":"marketing"}}]}}"#
            );
            let action = format!(
                r#"{{"at":"2026-03-02T16:00:00Z","contact":"c1","journey":"{journey}","node":"{node}","action":"send","message":{message},"channel":{channel},"category":"marketing","form":"free-form","local_time":null,"evidence":{{}}}}"#
            );
            let found =
                monitor_json(&bundles, &parse_contacts(&contact).unwrap(), &[], &parse_actions(&action).unwrap())
                    .unwrap();
            for f in found.iter().filter(|f| f.rule == "CTIA-STOP" || f.rule == "CANSPAM") {
                disagreements.push(format!("{journey} {node} {message}: {} {}", f.rule, f.reason));
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // Texts and emails both, so that each wording rule met real messages.
    assert!(checked.iter().filter(|c| *c == "\"sms\"").count() >= 2, "{checked:?}");
    assert!(checked.iter().any(|c| c == "\"email\""), "{checked:?}");
}

/// The bundles of one diagnostics fixture, built whether or not it checks (a failing project
/// still runs under `journey simulate`).
fn fixture(name: &str) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/diagnostics");
    let report = check_project(&[ProjectPath::new(name).unwrap()], &Disk(root));
    bundle::emit(&report, bundle::Options::default())
        .into_iter()
        .map(|(_, text)| serde_json::from_str(&text).unwrap())
        .collect()
}

/// The wording rules the monitor finds when every marketing message of `bundles` is sent once,
/// at 10:00 in Chicago to a contact who consented.
fn wording_findings(bundles: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for bundle in bundles {
        let journey = bundle["journey"].as_str().unwrap();
        for (name, message) in bundle["messages"].as_object().unwrap() {
            let channel = &message["channel"];
            if message["category"] != "marketing" {
                continue;
            }
            let contact = format!(
                r#"{{"contact":"c1","profile":{{"timezone":"America/Chicago"}},"consent":[{{"channel":{channel},"category":"marketing"}}]}}"#
            );
            let action = format!(
                r#"{{"at":"2026-03-02T16:00:00Z","contact":"c1","journey":"{journey}","node":"x","action":"send","message":"{name}","channel":{channel},"category":"marketing","form":"free-form","local_time":null,"evidence":{{}}}}"#
            );
            let found =
                monitor_json(bundles, &parse_contacts(&contact).unwrap(), &[], &parse_actions(&action).unwrap())
                    .unwrap();
            out.extend(found.into_iter().filter(|f| f.rule == "CTIA-STOP" || f.rule == "CANSPAM").map(|f| f.rule));
        }
    }
    out
}

#[test]
fn the_monitor_finds_the_wording_the_checker_rejects_and_accepts_its_fixes() {
    let cases = [
        ("J0410_marketing_sms_without_stop", "CTIA-STOP"),
        ("J0410_mms_channel_marketing_without_stop", "CTIA-STOP"),
        ("J0410_stop_only_inside_a_word", "CTIA-STOP"),
        ("J0411_newsletter_without_unsubscribe", "CANSPAM"),
        ("J0411_unsubscribe_without_a_link", "CANSPAM"),
    ];
    for (name, rule) in cases {
        let broken = wording_findings(&fixture(&format!("{name}.journey")));
        assert_eq!(broken, vec![rule.to_owned()], "{name}");
        let fixed = wording_findings(&fixture(&format!("{name}.fixed.journey")));
        assert!(fixed.is_empty(), "{name}.fixed: {fixed:?}");
    }
}
