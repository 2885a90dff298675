//! End-to-end tests of `journey build` and `journey schema`: every example builds and validates
//! against the bundle's JSON Schema (checked by the independent `jsonschema` crate), broken
//! bundles are rejected, builds are byte-for-byte deterministic, node ids are stable under a
//! one-line edit, a failed build changes nothing, a build killed at random points leaves every
//! bundle whole (old or new), and every bundle written reads back with serde_json's default reader.
//!
//! Every test works in a fresh directory under Cargo's target tmpdir, copying what it builds
//! there, and runs the binary with relative paths.

// clippy.toml allows these inside `#[test]` functions; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use journey_compiler::bundle;
use serde_json::Value;

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bundle-tests").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// Copies the `.journey` and `journey.toml` files under `from` to `to`, skipping `skip` (a
/// directory name relative to `from`).
fn copy_project(from: &Path, to: &Path, skip: Option<&str>) {
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        if skip.is_some_and(|s| relative == Path::new(s)) {
            continue;
        }
        fs::create_dir_all(to.join(&relative)).unwrap();
        for entry in fs::read_dir(from.join(&relative)).unwrap() {
            let entry = entry.unwrap();
            let name = relative.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(name);
            } else if name.extension().is_some_and(|e| e == "journey") || entry.file_name() == "journey.toml" {
                fs::copy(entry.path(), to.join(&name)).unwrap();
            }
        }
    }
}

/// The examples (without `examples/broken`) and the bundle fixtures, copied under `dir`.
fn projects_in(dir: &Path) {
    copy_project(&repo().join("examples"), &dir.join("examples"), Some("broken"));
    copy_project(&repo().join("tests/fixtures/bundle"), &dir.join("fixtures"), None);
}

fn journey(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(JOURNEY);
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("JOURNEY_TEST_INTERNAL_ERROR");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    journey(dir, args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_built(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "the build failed:\n{}", stderr(output));
}

/// Every file in `dir` (hidden ones too) and its bytes; empty when `dir` does not exist.
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    listing_where(dir, |_| true)
}

/// [`listing`] of the entries whose path `keep` accepts.
fn listing_where(dir: &Path, keep: impl Fn(&Path) -> bool) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|e| e.unwrap())
        .filter(|e| keep(&e.path()))
        .map(|e| (e.file_name().into_string().unwrap(), fs::read(e.path()).unwrap()))
        .collect()
}

/// The `*.bundle.json` files in `dir`, as text.
fn bundles(dir: &Path) -> BTreeMap<String, String> {
    listing(dir)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".bundle.json"))
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
        .collect()
}

/// The `.journey` files under `dir`, relative to `base`, sorted.
fn journey_files(dir: &Path, base: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "journey") {
                files.push(path.strip_prefix(base).unwrap().to_str().unwrap().replace('\\', "/"));
            }
        }
    }
    files.sort();
    files
}

/// The validator built from what `journey schema` prints.
fn schema_validator() -> jsonschema::Validator {
    let printed = run(&repo(), &["schema"]);
    assert_eq!(printed.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&printed.stdout).unwrap();
    jsonschema::draft202012::options().should_validate_formats(true).build(&schema).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, bundle: &Value) -> Vec<String> {
    validator.iter_errors(bundle).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

/// Builds the examples and the fixtures into `DIR/out`; returns the bundles.
fn build_all(dir: &Path) -> BTreeMap<String, String> {
    projects_in(dir);
    assert_built(&run(dir, &["build", "examples", "fixtures", "--out", "out"]));
    let built = bundles(&dir.join("out"));
    assert!(built.contains_key("cart_recovery.bundle.json") && built.contains_key("everything.bundle.json"));
    built
}

// ---------------------------------------------------------------------------------------------
// The schema

#[test]
fn journey_schema_prints_the_repository_schema_which_is_a_valid_draft_2020_12_schema() {
    let printed = run(&repo(), &["schema"]);
    assert_eq!(printed.status.code(), Some(0));
    let file = fs::read(repo().join("schema/bundle.schema.json")).unwrap();
    assert_eq!(printed.stdout, file, "`journey schema` must print schema/bundle.schema.json byte for byte");
    let schema: Value = serde_json::from_slice(&file).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::draft202012::meta::validate(&schema).unwrap();
}

#[test]
fn every_example_builds_and_every_bundle_validates_against_the_schema() {
    let dir = scratch("validate");
    // The examples exactly as the README says to build them.
    copy_project(&repo().join("examples"), &dir.join("examples"), None);
    let output = run(&dir, &["build", "examples/", "--exclude", "examples/broken", "--out", "examples-out"]);
    assert_built(&output);
    let examples = bundles(&dir.join("examples-out"));
    assert!(!examples.is_empty());
    // And the fixture that uses every node kind, element and expression form.
    copy_project(&repo().join("tests/fixtures/bundle"), &dir.join("fixtures"), None);
    assert_built(&run(&dir, &["build", "fixtures", "--out", "fixtures-out"]));
    let fixtures = bundles(&dir.join("fixtures-out"));

    let validator = schema_validator();
    for (name, text) in examples.iter().chain(&fixtures) {
        bundle::validate(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let value: Value = serde_json::from_str(text).unwrap();
        let errors = schema_errors(&validator, &value);
        assert!(errors.is_empty(), "{name} does not match the schema:\n{}", errors.join("\n"));
        assert_eq!(value["format"], "journey-bundle");
        assert_eq!(value["format_version"], 2);
        assert_eq!(format!("{}.bundle.json", value["journey"].as_str().unwrap()), *name);
    }
}

/// Every object key that appears anywhere in `value`, and every node `kind`.
fn shapes(value: &Value, keys: &mut BTreeSet<String>, kinds: &mut BTreeSet<String>) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                keys.extend(map.keys().cloned());
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    for node in value["nodes"].as_object().unwrap().values() {
        kinds.insert(node["kind"].as_str().unwrap().to_owned());
    }
}

#[test]
fn the_fixture_exercises_every_node_kind_message_element_and_expression_form_of_the_schema() {
    let dir = scratch("coverage");
    let built = build_all(&dir);
    let (mut keys, mut kinds) = (BTreeSet::new(), BTreeSet::new());
    for text in built.values() {
        shapes(&serde_json::from_str(text).unwrap(), &mut keys, &mut kinds);
    }
    let all_kinds: BTreeSet<String> = bundle::NODE_KINDS.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(kinds, all_kinds);
    // Message elements, text parts and expression forms (`call` is never emitted: J0219).
    for key in [
        "subject",
        "body",
        "replies",
        "buttons",
        "url",
        "media",
        "cards",
        "subtitle",
        "sections",
        "rows",
        "description",
        "header",
        "footer",
        "template",
        "params",
        "tag",
        "text",
        "field",
        "scope",
        "default",
        "op",
        "args",
        "segment",
        "value",
        "decimal",
        "money",
        "duration_s",
        "list",
        "consent",
        "within",
        "inbound",
        "encoding",
        "medium",
        "business_hours",
        "quiet_hours",
        "jurisdiction",
    ] {
        assert!(keys.contains(key), "no bundle has a `{key}`");
    }
    let everything: Value = serde_json::from_str(&built["everything.bundle.json"]).unwrap();
    let ops: BTreeSet<&str> = collect_ops(&everything);
    for op in ["and", "or", "not", "neg", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "??"] {
        assert!(ops.contains(op), "no expression uses `{op}`");
    }
}

fn collect_ops(value: &Value) -> BTreeSet<&str> {
    let mut ops = BTreeSet::new();
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                if let (Some(op), Some(_)) = (map.get("op").and_then(Value::as_str), map.get("args")) {
                    ops.insert(op);
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    ops
}

#[test]
fn the_bundle_of_the_fixture_is_pinned_by_a_snapshot() {
    let dir = scratch("snapshot");
    let built = build_all(&dir);
    // Source hashes change with every edit of the standard library; they are tested elsewhere.
    let text: String = built["everything.bundle.json"]
        .lines()
        .map(|line| match line.find("\"sha256\": \"") {
            Some(at) => format!("{}\"sha256\": \"...\"\n", &line[..at]),
            None => format!("{line}\n"),
        })
        .collect();
    insta::assert_snapshot!("everything", text);
}

#[test]
fn bare_names_in_the_entry_condition_are_fields_of_the_entry_event_as_the_checker_reads_them() {
    // `campaign` is a field of the profile and of `chat_started`; in `entry on chat_started
    // where campaign == ...` the checker reads the event's field, and so must the bundle.
    let dir = scratch("entry-scope");
    let built = build_all(&dir);
    let everything: Value = serde_json::from_str(&built["everything.bundle.json"]).unwrap();
    let condition = &everything["entry"]["where"]["args"][0]["args"][0];
    assert_eq!(condition, &serde_json::json!({ "field": "campaign", "scope": "event" }));
    assert!(everything["profile"].get("campaign").is_some());
}

#[test]
fn a_messenger_promotion_inside_the_window_builds_a_bundle_that_validates_and_says_why() {
    let dir = scratch("messenger-promotion");
    let text = r#"import "std/events"

profile {
  timezone: timezone
}

policy {
  quiet_hours 21:00..08:00 recipient
}

message weekend_deal on messenger as marketing {
  text "This weekend only: 20% off trail shoes."
}

journey trail_shoes {
  entry on messenger_message

  stage offer {
    wait 2h
    send weekend_deal
  }
}
"#;
    fs::write(dir.join("promo.journey"), text).unwrap();
    assert_built(&run(&dir, &["build", "promo.journey", "--out", "out"]));
    let built = bundles(&dir.join("out"));
    let bundle: Value = serde_json::from_str(&built["trail_shoes.bundle.json"]).unwrap();
    assert_eq!(schema_errors(&schema_validator(), &bundle), Vec::<String>::new());
    let records: Vec<&Value> = bundle["compliance"].as_object().unwrap().values().collect();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(
        records[0]["consent"],
        "not required inside the messenger window: sent at most 15h after the contact's last message, within 24h"
    );
}

#[test]
fn weekday_quiet_hours_are_written_as_periods_that_validate_against_the_schema() {
    let dir = scratch("weekday-quiet-hours");
    copy_project(&repo().join("tests/conformance/quiet_hold_by_weekday"), &dir, None);
    assert_built(&run(&dir, &["build", "main.journey", "--out", "out"]));
    let bundle: Value = serde_json::from_str(&bundles(&dir.join("out"))["promote.bundle.json"]).unwrap();
    assert_eq!(schema_errors(&schema_validator(), &bundle), Vec::<String>::new());
    assert_eq!(
        bundle["policies"]["quiet_hours"],
        serde_json::json!({
            "periods": [
                { "days": ["mon..sat"], "from": "21:00", "to": "09:00" },
                { "days": ["sun..sun"], "from": "21:00", "to": "12:00" }
            ],
            "zone": "recipient"
        })
    );
    // Both shapes at once are neither of the schema's.
    let mut both = bundle.clone();
    both["policies"]["quiet_hours"]["from"] = Value::from("21:00");
    both["policies"]["quiet_hours"]["to"] = Value::from("08:00");
    assert!(!schema_errors(&schema_validator(), &both).is_empty());
}

#[test]
fn business_hours_that_differ_by_weekday_are_written_as_periods_that_validate_against_the_schema() {
    let dir = scratch("weekday-business-hours");
    copy_project(&repo().join("tests/conformance/branch_business_hours_by_weekday"), &dir, None);
    assert_built(&run(&dir, &["build", "main.journey", "--out", "out"]));
    let bundle: Value = serde_json::from_str(&bundles(&dir.join("out"))["route.bundle.json"]).unwrap();
    assert_eq!(schema_errors(&schema_validator(), &bundle), Vec::<String>::new());
    assert_eq!(
        bundle["policies"]["business_hours"],
        serde_json::json!({
            "periods": [
                { "days": ["mon..fri"], "from": "09:00", "to": "18:00" },
                { "days": ["sat..sat"], "from": "10:00", "to": "14:00" }
            ],
            "zone": "Europe/Berlin"
        })
    );
}

#[test]
fn split_arms_with_equal_shares_keep_one_edge_each() {
    // `split { 50% => ... 50% => ... }`: both arms are edges `p1` and `p2`, in the order of `shares`.
    let dir = scratch("split");
    let built = build_all(&dir);
    let everything: Value = serde_json::from_str(&built["everything.bundle.json"]).unwrap();
    let split = everything["nodes"].as_object().unwrap().values().find(|n| n["kind"] == "split").unwrap();
    assert_eq!(split["shares"], serde_json::json!([50, 50]));
    let next = split["next"].as_object().unwrap();
    assert_eq!(next.keys().collect::<Vec<_>>(), ["p1", "p2"]);
    assert_ne!(next["p1"], next["p2"]);
}

/// The example bundle, parsed, for the broken-bundle tests.
fn example_bundle(name: &str) -> Value {
    let dir = scratch(name);
    copy_project(&repo().join("examples"), &dir.join("examples"), Some("broken"));
    assert_built(&run(&dir, &["build", "examples", "--out", "out"]));
    serde_json::from_str(&bundles(&dir.join("out"))["cart_recovery.bundle.json"]).unwrap()
}

#[test]
fn a_bundle_with_a_node_removed_is_rejected_by_bundle_validate_as_json_schema_cannot_follow_edges() {
    let validator = schema_validator();
    let mut broken = example_bundle("broken-missing-node");
    // `remind.2` is the target of `remind.1`'s `next` edge.
    assert_eq!(broken["nodes"]["remind.1"]["next"]["next"], "remind.2");
    broken["nodes"].as_object_mut().unwrap().remove("remind.2").unwrap();
    let text = serde_json::to_string_pretty(&broken).unwrap();
    let error = bundle::validate(&text).unwrap_err();
    assert!(error.contains("unknown node `remind.2`"), "{error}");
    // The schema alone accepts it: JSON Schema has no way to check that a string names a key
    // elsewhere in the document, which is why `bundle::validate` (and a runtime) must.
    assert!(schema_errors(&validator, &broken).is_empty());
}

#[test]
fn bundles_with_an_unknown_node_kind_a_bad_edge_target_or_no_format_version_are_rejected_by_the_schema() {
    let validator = schema_validator();
    let good = example_bundle("broken-shapes");
    assert!(schema_errors(&validator, &good).is_empty());
    type Break = fn(&mut Value);
    let cases: [(&str, Break); 9] = [
        ("an unknown node kind", |b| b["nodes"]["remind.1"]["kind"] = "teleport".into()),
        ("an edge target that is a number", |b| b["nodes"]["remind.1"]["next"]["next"] = 42.into()),
        ("an edge target that is an object", |b| b["nodes"]["remind.1"]["next"]["next"] = serde_json::json!({})),
        ("an edge target that is not a node id", |b| b["nodes"]["remind.1"]["next"]["next"] = "".into()),
        ("no format_version", |b| {
            b.as_object_mut().unwrap().remove("format_version").unwrap();
        }),
        ("another format_version", |b| b["format_version"] = 3.into()),
        ("a send without its message", |b| {
            b["nodes"]["remind.2.then.1"].as_object_mut().unwrap().remove("message").unwrap();
        }),
        ("a field the format does not have", |b| b["nodes"]["remind.1"]["color"] = "red".into()),
        ("an absolute source path", |b| b["nodes"]["remind.1"]["source"]["file"] = "/home/x/a.journey".into()),
    ];
    for (what, break_it) in cases {
        let mut broken = good.clone();
        break_it(&mut broken);
        assert!(!schema_errors(&validator, &broken).is_empty(), "the schema accepts a bundle with {what}");
    }
    // `bundle::validate`, what the writer runs before a bundle replaces the old one, rejects
    // the kind and the version too.
    for (what, break_it) in &cases[..1] {
        let mut broken = good.clone();
        break_it(&mut broken);
        assert!(bundle::validate(&broken.to_string()).is_err(), "bundle::validate accepts {what}");
    }
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("format_version");
    assert!(bundle::validate(&no_version.to_string()).unwrap_err().contains("format_version"));
}

// ---------------------------------------------------------------------------------------------
// Determinism

#[test]
fn two_builds_in_another_zone_locale_directory_and_file_order_are_byte_identical() {
    let dir = scratch("determinism");
    projects_in(&dir);
    assert_built(&run(&dir, &["build", "examples", "fixtures", "--out", "first"]));
    let first = bundles(&dir.join("first"));
    assert!(first.len() >= 2);

    // From a nested directory, every file named explicitly, in reverse order, with another time
    // zone (UTC+14) and locale.
    let nested = dir.join("elsewhere/deeper");
    fs::create_dir_all(&nested).unwrap();
    let mut files: Vec<String> = journey_files(&dir.join("examples"), &dir)
        .into_iter()
        .chain(journey_files(&dir.join("fixtures"), &dir))
        .map(|f| format!("../../{f}"))
        .collect();
    files.reverse();
    let mut args: Vec<&str> = vec!["build"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--out", "../../second"]);
    let output = journey(&nested, &args).env("TZ", "Pacific/Kiritimati").env("LC_ALL", "C").output().unwrap();
    assert_built(&output);
    let second = bundles(&dir.join("second"));
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    for (name, text) in &first {
        assert!(*text == second[name], "{name} differs between the two builds");
    }
}

#[test]
fn source_date_epoch_adds_exactly_that_field_and_nothing_else() {
    let dir = scratch("source-date-epoch");
    let plain = build_all(&dir);
    let output = journey(&dir, &["build", "examples", "fixtures", "--out", "dated"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output();
    assert_built(&output.unwrap());
    let dated = bundles(&dir.join("dated"));
    for (name, text) in &plain {
        assert!(!text.contains("source_date_epoch"));
        let line = "  \"source_date_epoch\": 1700000000,\n";
        assert_eq!(dated[name].matches(line).count(), 1, "{name}");
        assert_eq!(dated[name].replacen(line, "", 1), *text, "{name}");
        assert_eq!(serde_json::from_str::<Value>(&dated[name]).unwrap()["source_date_epoch"], 1_700_000_000);
    }
}

#[test]
fn no_absolute_path_appears_in_any_bundle() {
    let dir = scratch("no-absolute-paths");
    // Built with absolute paths on the command line, from another directory.
    projects_in(&dir);
    let (examples, fixtures, out) = (dir.join("examples"), dir.join("fixtures"), dir.join("out"));
    let args = ["build", examples.to_str().unwrap(), fixtures.to_str().unwrap(), "--out", out.to_str().unwrap()];
    assert_built(&run(&repo(), &args));
    let scratch_path = dir.to_str().unwrap().to_owned();
    let repo_path = repo().canonicalize().unwrap().to_str().unwrap().to_owned();
    for (name, text) in bundles(&out) {
        assert!(!text.contains(&scratch_path), "{name} contains {scratch_path}");
        assert!(!text.contains(&repo_path), "{name} contains {repo_path}");
        let value: Value = serde_json::from_str(&text).unwrap();
        let mut files: Vec<&str> =
            value["sources"].as_array().unwrap().iter().map(|s| s["file"].as_str().unwrap()).collect();
        files.extend(value["nodes"].as_object().unwrap().values().map(|n| n["source"]["file"].as_str().unwrap()));
        for file in files {
            assert!(!file.starts_with('/') && !file.contains("..") && !file.contains('\\'), "{name}: {file}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stable ids

#[test]
fn a_one_line_edit_changes_only_that_nodes_line_and_the_source_hash() {
    let dir = scratch("stable-ids");
    copy_project(&repo().join("examples"), &dir.join("examples"), Some("broken"));
    assert_built(&run(&dir, &["build", "examples", "--out", "before"]));
    let source = dir.join("examples/cart_recovery.journey");
    let text = fs::read_to_string(&source).unwrap();
    assert_eq!(text.matches("wait 1h\n").count(), 1);
    fs::write(&source, text.replace("wait 1h\n", "wait 2h\n")).unwrap();
    assert_built(&run(&dir, &["build", "examples", "--out", "after"]));

    let (before, after) = (bundles(&dir.join("before")), bundles(&dir.join("after")));
    let (before, after) = (&before["cart_recovery.bundle.json"], &after["cart_recovery.bundle.json"]);
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(old.len(), new.len(), "node ids or structure changed");
    let changed: Vec<(&str, &str)> = old.iter().zip(&new).filter(|(a, b)| a != b).map(|(a, b)| (*a, *b)).collect();
    assert!(changed.len() <= 5, "{changed:#?}");
    assert!(changed.contains(&("      \"duration_s\": 3600,", "      \"duration_s\": 7200,")), "{changed:#?}");
    // The only other change: the hash of the edited file (the line after its name).
    let hashes = changed.iter().filter(|(a, _)| a.contains("\"sha256\"")).count();
    assert_eq!(hashes, 1, "{changed:#?}");
    assert!(changed.iter().all(|(a, _)| a.contains("\"sha256\"") || a.contains("duration_s") || a.contains("window")));
}

// ---------------------------------------------------------------------------------------------
// Failed builds

#[test]
fn a_failed_build_leaves_the_previous_bundles_byte_identical_and_adds_no_file() {
    let dir = scratch("failed-build");
    copy_project(&repo().join("examples"), &dir.join("examples"), Some("broken"));
    assert_built(&run(&dir, &["build", "examples", "--out", "out"]));
    let before = listing(&dir.join("out"));
    assert!(before.keys().any(|k| k.ends_with(".bundle.json")));
    let source = dir.join("examples/cart_recovery.journey");
    let good = fs::read_to_string(&source).unwrap();

    // J0402: a free-form Messenger message with no inbound message to answer.
    let window_error = good.replace("    wait 1h\n", "    wait 1h\n    send late\n")
        + "\nmessage late on messenger as service {\n  text \"Still there?\"\n}\n";
    // A syntax error: `send` without a message.
    let syntax_error = good.replace("    wait 1h\n", "    wait 1h\n    send\n");
    for (what, text, code) in [("J0402", window_error, "J0402"), ("a syntax error", syntax_error, "J0101")] {
        fs::write(&source, &text).unwrap();
        let output = run(&dir, &["build", "examples", "--out", "out", "--format", "short"]);
        assert_eq!(output.status.code(), Some(1), "{what}:\n{}", stderr(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains(code), "{what}");
        assert!(stderr(&output).contains("no bundle written"), "{what}");
        assert!(listing(&dir.join("out")) == before, "{what}: the output directory changed");
        // Nor is a missing output directory created.
        let output = run(&dir, &["build", "examples", "--out", "fresh"]);
        assert_eq!(output.status.code(), Some(1));
        assert!(!dir.join("fresh").exists(), "{what}");
    }
    // `--deny warnings` refuses on a warning (J0501, a step never reached) in the same way.
    fs::write(&source, good.replace("    } else {\n      exit\n", "    } else {\n      exit\n      track \"never\"\n"))
        .unwrap();
    let output = run(&dir, &["build", "examples", "--out", "out", "--deny", "warnings"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(listing(&dir.join("out")) == before);
}

// ---------------------------------------------------------------------------------------------
// Atomic writes

/// A journey of `stages` stages (sends and waits), and `version` in one of its waits.
fn big_journey(name: &str, stages: usize, version: u64) -> String {
    let mut text = format!("import \"./common.journey\"\n\njourney {name} {{\n  entry on started\n");
    for i in 0..stages {
        let body = match i % 3 {
            _ if i == stages / 2 => format!("wait {}d", 1 + version),
            2 => "wait 1d".to_owned(),
            k => format!("send m{k}"),
        };
        text.push_str(&format!("  stage s{i} {{ {body} }}\n"));
    }
    text.push_str("}\n");
    text
}

const COMMON: &str = r#"import "std/channels"

profile {
  first_name: text?
  timezone:   timezone
}

event started {}

message m0 on email as utility {
  subject "Update"
  text "Hello {first_name ?? "there"}, an update"
}

message m1 on sms as utility {
  text "Hi {first_name ?? "there"}, an update"
}
"#;

fn write_version(project: &Path, version: u64) {
    fs::write(project.join("journey.toml"), "# kill test\n").unwrap();
    fs::write(project.join("common.journey"), COMMON).unwrap();
    fs::write(project.join("big.journey"), big_journey("big", 2000, version)).unwrap();
    fs::write(project.join("small.journey"), big_journey("small", 20, version)).unwrap();
}

/// xorshift64: a few random numbers without a dependency, the same on every run.
fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

#[test]
fn a_build_killed_at_random_points_leaves_every_bundle_whole_old_or_new() {
    let dir = scratch("kill");
    let project = dir.join("project");
    fs::create_dir_all(&project).unwrap();
    // The two versions' bundles, built to reference directories.
    let mut reference = Vec::new();
    let mut duration = Duration::ZERO;
    for version in 0..2 {
        write_version(&project, version);
        let out = format!("reference-{version}");
        let started = Instant::now();
        assert_built(&run(&dir, &["build", "project", "--out", &out]));
        duration = duration.max(started.elapsed());
        reference.push(bundles(&dir.join(out)));
    }
    assert_eq!(reference[0].len(), 2);
    assert!(reference[0].keys().all(|name| reference[0][name] != reference[1][name]));
    write_version(&project, 0);
    assert_built(&run(&dir, &["build", "project", "--out", "out"]));

    let (mut kept, mut replaced, mut temporary) = (0, 0, 0);
    for round in 0..30u64 {
        let version = (round + 1) % 2;
        let before = bundles(&dir.join("out"));
        write_version(&project, version);
        // Delays spread over 0..1.3 times a whole build, so kills land in the check, the emit,
        // the writes, and after the end; every other round in the last quarter of the build,
        // where the bundles are written.
        let random = xorshift(0x9E37_79B9_7F4A_7C15 ^ (round + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let fraction = (random % 10_000) as f64 / 10_000.0;
        let delay = duration.mul_f64(if round % 2 == 0 { 1.3 * fraction } else { 0.75 + 0.35 * fraction });
        let mut child = journey(&dir, &["build", "project", "--out", "out"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix; a build that already finished is simply reaped.
        let _ = child.wait().unwrap();

        for (name, bytes) in listing(&dir.join("out")) {
            if name.ends_with(".bundle.json") {
                let text = String::from_utf8(bytes).unwrap();
                serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("round {round}: {name}: {e}"));
                bundle::validate(&text).unwrap_or_else(|e| panic!("round {round}: {name}: {e}"));
                let new = &reference[version as usize][&name];
                assert!(text == before[&name] || text == *new, "round {round}: {name} is neither old nor new");
                if text == before[&name] {
                    kept += 1;
                } else {
                    replaced += 1;
                }
            } else {
                // A temporary file of a killed build: hidden, and never named like a bundle.
                assert!(name.starts_with('.') && name.ends_with(".tmp"), "round {round}: unexpected file {name}");
                temporary += 1;
            }
        }
        assert_eq!(bundles(&dir.join("out")).len(), 2, "round {round}: a bundle disappeared");
    }
    eprintln!(
        "kill test: {kept} bundles kept, {replaced} replaced, {temporary} temporary files seen over 30 kills \
         (a build takes {duration:?})"
    );
    assert!(kept > 0 && replaced > 0, "the kills did not land on both sides of the writes");
}

#[test]
fn the_next_build_removes_temporary_files_of_killed_builds_and_nothing_else() {
    let dir = scratch("stale-temporaries");
    let project = dir.join("project");
    fs::create_dir_all(&project).unwrap();
    write_version(&project, 0);
    let out = dir.join("out");
    fs::create_dir_all(&out).unwrap();
    // A process that has ended: its id is what a killed build's temporary file carries.
    let mut ended = Command::new(JOURNEY).arg("--version").stdout(Stdio::null()).spawn().unwrap();
    let dead = ended.id();
    ended.wait().unwrap();
    // A process that is running (this test): another build writing into the same directory.
    let running = std::process::id();
    let stale = [format!(".big.bundle.json.{dead}.tmp"), format!(".gone.bundle.json.{dead}.tmp")];
    let kept = [
        format!(".small.bundle.json.{running}.tmp"),
        format!("big.bundle.json.{dead}.tmp"),
        format!(".big.bundle.json.{dead}.tmp.bak"),
        format!(".big.json.{dead}.tmp"),
        ".big.bundle.json.tmp".to_owned(),
        "notes.txt".to_owned(),
        ".hidden".to_owned(),
    ];
    for name in stale.iter().chain(&kept) {
        fs::write(out.join(name), format!("{{\"left by\": \"{name}\"")).unwrap();
    }
    // A directory named like a temporary file is not a file a build wrote.
    let directory = format!(".small.bundle.json.{dead}.tmp");
    let files = |out: &Path| -> BTreeMap<String, Vec<u8>> { listing_where(out, |path| path.is_file()) };
    let before = files(&out);
    fs::create_dir_all(out.join(&directory).join("inside")).unwrap();

    assert_built(&run(&dir, &["build", "project", "--out", "out"]));
    let after = files(&out);
    for name in &stale {
        assert!(!after.contains_key(name), "{name} was not removed");
    }
    for name in &kept {
        assert_eq!(after.get(name), before.get(name), "{name} changed");
    }
    assert!(out.join(&directory).join("inside").is_dir());
    let names: BTreeSet<&str> = after.keys().map(String::as_str).collect();
    let mut expected: BTreeSet<&str> = kept.iter().map(String::as_str).collect();
    expected.extend(["big.bundle.json", "small.bundle.json"]);
    assert_eq!(names, expected);
}

// ---------------------------------------------------------------------------------------------
// Nesting

/// The most operands of one binary chain: the parser counts operands, not the operators
/// between them.
fn longest_chain() -> usize {
    journey_compiler::limits::MAX_EXPR_TERMS
}

/// A project whose journey sets `orders` to `expr`.
fn expression_project(dir: &Path, expr: &str) {
    fs::create_dir_all(dir.join("deep")).unwrap();
    fs::write(dir.join("deep/journey.toml"), "# deep expressions\n").unwrap();
    let text = format!(
        "profile {{\n  orders: int\n}}\n\nevent started {{}}\n\njourney deep {{\n  entry on started\n  stage s {{\n    set orders = {expr}\n  }}\n}}\n"
    );
    fs::write(dir.join("deep/deep.journey"), text).unwrap();
}

#[test]
fn the_longest_subtraction_chain_the_parser_allows_builds_into_a_bundle_that_reads_back() {
    let dir = scratch("deep-chain");
    let terms = longest_chain();
    let expr = format!("orders{}", " - 1".repeat(terms - 1));
    expression_project(&dir, &expr);
    assert_built(&run(&dir, &["build", "deep", "--out", "out"]));
    let text = &bundles(&dir.join("out"))["deep.bundle.json"];
    bundle::validate(text).unwrap();
    let value: Value = serde_json::from_str(text).unwrap();
    // One node whose arguments fold from the left: ((orders - 1) - 1) - ...
    let set = &value["nodes"]["s.1"]["value"];
    assert_eq!(set["op"], "-");
    assert_eq!(set["args"].as_array().unwrap().len(), terms);
    // One term more is refused by the parser.
    expression_project(&dir, &format!("{expr} - 1"));
    let output = run(&dir, &["build", "deep", "--out", "refused"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!dir.join("refused").exists());
}

#[test]
fn thirty_nested_parentheses_build_into_a_bundle_that_reads_back() {
    let dir = scratch("deep-parentheses");
    // Inside `journey {` and `stage {`, 30 parentheses reach the nesting limit of 32.
    let depth = journey_compiler::limits::MAX_NESTING - 2;
    let expr = format!("{}orders{}", "(1 + ".repeat(depth), ")".repeat(depth));
    expression_project(&dir, &expr);
    assert_built(&run(&dir, &["build", "deep", "--out", "out"]));
    let text = &bundles(&dir.join("out"))["deep.bundle.json"];
    bundle::validate(text).unwrap();
    // `1 + (1 + (...))` is one flattened `+`; alternate the operators to keep every level.
    let expr: String = (0..depth).map(|i| if i % 2 == 0 { "(1 + " } else { "(1 - " }).collect::<String>()
        + "orders"
        + &")".repeat(depth);
    expression_project(&dir, &expr);
    assert_built(&run(&dir, &["build", "deep", "--out", "alternating"]));
    let text = &bundles(&dir.join("alternating"))["deep.bundle.json"];
    bundle::validate(text).unwrap();
    let mut value = &serde_json::from_str::<Value>(text).unwrap()["nodes"]["s.1"]["value"];
    let mut levels = 0;
    while let Some(inner) = value["args"].get(1) {
        levels += 1;
        value = inner;
    }
    assert_eq!(levels, depth);
    // One level more is refused by the parser (J0110), and nothing is written.
    expression_project(&dir, &format!("({expr})"));
    let output = run(&dir, &["build", "deep", "--out", "refused", "--format", "short"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("J0110"));
    assert!(!dir.join("refused").exists());
}

#[test]
fn an_expression_too_deep_for_serde_json_is_refused_with_a_clear_error_and_nothing_is_written() {
    // `a - 1 + 1 - 1 + ...`: left-deep, and no single operator to flatten, so each term is one
    // more level. The parser accepts it; the bundle would not read back, so the build refuses.
    let dir = scratch("deep-alternating");
    let terms = longest_chain();
    let expr: String =
        "orders".to_owned() + &(1..terms).map(|i| if i % 2 == 0 { " + 1" } else { " - 1" }).collect::<String>();
    expression_project(&dir, &expr);
    assert_eq!(run(&dir, &["check", "deep"]).status.code(), Some(0), "the check accepts it");
    let output = run(&dir, &["build", "deep", "--out", "out"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("no bundle written"), "{message}");
    assert!(message.contains("too deeply nested"), "{message}");
    assert!(!dir.join("out").exists());
}
