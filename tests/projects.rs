//! Projects end to end through the binary: files that import each other, a channel declared by
//! the project, the import jail, import cycles, and what makes a set of files one project.
//!
//! Every test builds its own scratch project in a fresh directory under Cargo's target tmpdir and
//! runs `journey check` there on relative paths, so outputs never contain absolute paths. Every
//! run is killed after 10 seconds: a check that opened a FIFO would block forever, so a run that
//! finishes proves the FIFO was never opened.

// clippy.toml allows these inside `#[test]` functions; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

/// How long one `journey check` may take before it is killed as blocked.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("projects").join(name);
    if dir.symlink_metadata().is_ok() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/path`, creating the directories on the way.
fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Marks `dir` as a project root.
fn manifest(dir: &Path) {
    write(dir, "journey.toml", "# the project root: every .journey file below is one project\n");
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

struct Run {
    exit: i32,
    stdout: String,
    stderr: String,
}

/// Runs `journey check ARGS` in `dir`; panics if it has not finished within [`TIMEOUT`].
fn check(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(JOURNEY)
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on threads, so a full pipe never stalls the child while we poll it.
    let reader = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).unwrap();
            text
        })
    };
    let stdout = reader(Box::new(child.stdout.take().unwrap()));
    let stderr = reader(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`journey check {}` did not finish within {TIMEOUT:?}: it blocked (on a FIFO?)", args.join(" "));
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run { exit: status.code().unwrap_or(-1), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// `journey check --format json ARGS` in `dir`: the exit code and the diagnostics.
fn check_json(dir: &Path, args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let run = check(dir, &all);
    let json: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", run.stdout, run.stderr));
    (run.exit, json["diagnostics"].as_array().unwrap().clone())
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

/// `file:line code message`, for assertion messages and exact comparisons.
fn summary(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| format!("{}:{} {} {}", d["file"].as_str().unwrap(), d["start"]["line"], d["code"], d["message"]))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Files that import each other

const SEGMENTS: &str = r#"// Who our customers are, shared by every journey of the shop.
profile {
  first_name: text?
  lifetime_value: money
  interests: set<text>
}

segment vip = lifetime_value >= 500 USD
segment runners = "running" in interests and not vip
"#;

const MESSAGES: &str = r#"import "std/events"
import "./segments.journey"

message welcome_offer on messenger as service {
  text "Hi {first_name ?? "there"}! Runners get free shipping this week."
  reply "Show me" -> show
  reply "Not now" -> later
}

message vip_thanks on messenger as service {
  text "Thank you for being one of our best customers, {first_name ?? "friend"}."
}
"#;

const MAIN: &str = r#"import "./lib/segments.journey"
import "./lib/messages.journey"

journey spring_launch {
  audience runners or vip
  entry on messenger_message

  stage awareness {
    ask welcome_offer timeout 23h {
      show => exit
      later => exit
      timeout => exit
    }
  }
}
"#;

const WINBACK: &str = r#"import "../lib/segments.journey"
import "../lib/messages.journey"

journey vip_winback {
  audience vip
  entry on messenger_message

  stage thank {
    send vip_thanks
    exit
  }
}
"#;

/// A shop: `lib/` holds the shared declarations, the root and `flows/` the journeys.
fn shop(name: &str) -> PathBuf {
    let dir = scratch(name);
    manifest(&dir);
    write(&dir, "lib/segments.journey", SEGMENTS);
    write(&dir, "lib/messages.journey", MESSAGES);
    write(&dir, "main.journey", MAIN);
    write(&dir, "flows/winback.journey", WINBACK);
    dir
}

#[test]
fn files_of_a_project_that_import_each_other_check_clean() {
    let dir = shop("imports-clean");
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!((exit, summary(&diagnostics)), (0, vec![]));
    // One file named alone brings in, through `./` and `../` imports, the names it uses.
    for entry in ["main.journey", "flows/winback.journey"] {
        let (exit, diagnostics) = check_json(&dir, &[entry]);
        assert_eq!((exit, summary(&diagnostics)), (0, vec![]), "{entry}");
    }
}

#[test]
fn names_declared_in_another_file_resolve_through_imports() {
    let dir = shop("imports-resolve");
    // The journey, its two imports and what they import: std/events and std/channels.
    let run = check(&dir, &["--verbose", "flows/winback.journey"]);
    assert_eq!(run.exit, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("checked 5 files:"), "{}", run.stderr);
    // Without the imports, the same file knows none of those names.
    write(&dir, "flows/winback.journey", &WINBACK.replace("import \"../lib/", "// import \"../lib/"));
    let (exit, diagnostics) = check_json(&dir, &["flows/winback.journey"]);
    assert_eq!(exit, 1);
    assert_eq!(codes(&diagnostics), vec!["J0202", "J0203", "J0201"], "{:#?}", summary(&diagnostics));
}

#[test]
fn an_unknown_name_from_another_file_gets_a_did_you_mean() {
    let dir = shop("imports-did-you-mean");
    let typo = WINBACK.replace("audience vip\n", "audience vipp\n").replace("send vip_thanks", "send vip_thank");
    write(&dir, "flows/winback.journey", &typo);
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec![
            "flows/winback.journey:5 \"J0202\" \"unknown segment or field `vipp`\"",
            "flows/winback.journey:9 \"J0201\" \"unknown message `vip_thank`\"",
        ]
    );
    for (diagnostic, name) in diagnostics.iter().zip(["vip", "vip_thanks"]) {
        assert_eq!(diagnostic["help"], format!("did you mean `{name}`?"));
        assert_eq!(diagnostic["suggestions"][0]["edits"][0]["replacement"], name);
        assert_eq!(diagnostic["suggestions"][0]["edits"][0]["file"], "flows/winback.journey");
        // A guessed name may change what the file means: for a person, not for `check --fix`.
        assert_eq!(diagnostic["suggestions"][0]["safe"], false);
    }
}

// ---------------------------------------------------------------------------------------------
// A channel the project declares

/// LINE, declared by the project: nothing about it is in the compiler.
const LINE: &str = r#"// LINE Messaging API, with the numbers this team works to.
channel line {
  medium messaging
  window 24h after inbound
  limit text 500
  limit replies 4
  supports text, replies
}

// A message from the contact on LINE opens its window.
event line_message inbound line { text: text }
"#;

fn line_project(name: &str, messages: &str) -> PathBuf {
    let dir = scratch(name);
    manifest(&dir);
    write(&dir, "channels/line.journey", LINE);
    write(&dir, "messages.journey", &format!("import \"./channels/line.journey\"\n\n{messages}"));
    dir
}

#[test]
fn a_channel_declared_in_the_project_has_its_limits_and_elements_enforced() {
    let long = "Our spring collection is here. ".repeat(20); // 620 characters
    let messages = format!(
        r#"message story on line as service {{
  text "{long}"
}}

message five_choices on line as service {{
  text "What are you shopping for?"
  reply "Running" -> running
  reply "Hiking" -> hiking
  reply "Yoga" -> yoga
  reply "Cycling" -> cycling
  reply "Swimming" -> swimming
}}

message photo on line as service {{
  text "Our new trail shoe"
  image "https://shop.example/trail.jpg"
}}
"#
    );
    let dir = line_project("line-over-limits", &messages);
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec![
            format!("messages.journey:4 \"J0303\" \"text is {} characters; `line` allows 500 characters\"", long.len()),
            "messages.journey:13 \"J0302\" \"5 replies, but `line` allows at most 4\"".to_owned(),
            "messages.journey:18 \"J0301\" \"`line` does not support image\"".to_owned(),
        ]
    );
    // Each points at the declaration it was measured against: the project's own channel file.
    for diagnostic in &diagnostics {
        let label = &diagnostic["labels"][0];
        assert_eq!(label["file"], "channels/line.journey", "{diagnostic:#}");
    }
    let limit_lines: Vec<&Value> = diagnostics.iter().map(|d| &d["labels"][0]["start"]["line"]).collect();
    assert_eq!(limit_lines, vec![5, 6, 2], "limit text, limit replies, the channel's name");
}

#[test]
fn a_message_within_a_project_channels_limits_is_clean() {
    let text = "Thanks for writing! ".repeat(25); // exactly 500 characters
    assert_eq!(text.chars().count(), 500);
    let messages = format!(
        r#"message welcome on line as service {{
  text "{text}"
  reply "Running" -> running
  reply "Hiking" -> hiking
  reply "Yoga" -> yoga
  reply "Cycling" -> cycling
}}

journey line_welcome {{
  entry on line_message

  stage greet {{
    ask welcome timeout 23h {{
      running => exit
      hiking => exit
      yoga => exit
      cycling => exit
      timeout => exit
    }}
  }}
}}
"#
    );
    let dir = line_project("line-within-limits", &messages);
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!((exit, summary(&diagnostics)), (0, vec![]));
}

// ---------------------------------------------------------------------------------------------
// The import jail

/// `DIR/jail` is a project root; `DIR/outside.journey` is outside it, and reading it would be a
/// syntax error (J0101), so any diagnostic from its content shows it was opened.
fn jail(name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let root = dir.join("jail");
    manifest(&root);
    write(&dir, "outside.journey", "segment = this file is outside the project and must never be read\n");
    (dir, root)
}

#[cfg(unix)]
#[test]
fn imports_that_leave_the_root_are_refused_and_nothing_outside_is_opened() {
    let (dir, root) = jail("jail-escapes");
    // Opening a FIFO for reading blocks until a writer comes: none ever will.
    mkfifo(&dir.join("fifo.journey"));
    symlink("../fifo.journey", &root.join("to_fifo.journey"));
    write(
        &root,
        "main.journey",
        r#"import "std/channels"
import "../outside.journey"
import "/etc/hostname.journey"
import "C:/x.journey"
import "https://example.com/x.journey"
import "..%2foutside.journey"
import "./to_fifo.journey"
"#,
    );
    let (exit, diagnostics) = check_json(&root, &["main.journey"]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec![
            "main.journey:2 \"J0214\" \"cannot import `../outside.journey`: the path leaves the project root\"",
            "main.journey:3 \"J0214\" \"cannot import `/etc/hostname.journey`: absolute paths cannot be imported; imports are relative to the importing file\"",
            "main.journey:4 \"J0214\" \"cannot import `C:/x.journey`: absolute paths cannot be imported; imports are relative to the importing file\"",
            "main.journey:5 \"J0214\" \"cannot import `https://example.com/x.journey`: URLs cannot be imported; only files of the project and `std/...` modules\"",
            "main.journey:6 \"J0214\" \"cannot import `..%2foutside.journey`: import paths are plain text; `%` escapes are not decoded\"",
            "main.journey:7 \"J0214\" \"cannot import `to_fifo.journey`: it resolves to a file outside the project root\"",
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_inside_the_root_to_a_regular_file_outside_gives_j0214() {
    let (_dir, root) = jail("jail-symlink-file");
    symlink("../outside.journey", &root.join("shared.journey"));
    write(&root, "main.journey", "import \"std/channels\"\nimport \"./shared.journey\"\n");
    let (exit, diagnostics) = check_json(&root, &["main.journey"]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["main.journey:2 \"J0214\" \"cannot import `shared.journey`: it resolves to a file outside the project root\""]
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_inside_the_root_is_refused_without_being_opened() {
    let (_dir, root) = jail("jail-fifo-inside");
    mkfifo(&root.join("pipe.journey"));
    write(&root, "main.journey", "import \"std/channels\"\nimport \"./pipe.journey\"\n");
    let (exit, diagnostics) = check_json(&root, &["main.journey"]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["main.journey:2 \"J0215\" \"cannot read `pipe.journey`: not a regular file\""]
    );
    // A directory walk skips it too, without opening it.
    let (exit, diagnostics) = check_json(&root, &["."]);
    assert_eq!((exit, codes(&diagnostics)), (1, vec!["J0215"]));
}

// Known bug (cli/src/discover.rs and cli/src/project.rs `group`): `journey check .` inside a
// project root follows a symbolic link to a `.journey` file outside the root, and `group` then
// makes the outside file "a project of its own" and reads it: its syntax error is reported as
// `link.journey:1:9: error[J0101]`. Through an import the same link is refused (J0214, above);
// nothing outside the root should be opened whichever way the file is reached.
#[cfg(unix)]
#[test]
fn checking_a_project_directory_does_not_read_a_file_that_a_link_places_outside_it() {
    let (_dir, root) = jail("jail-walk-symlink");
    symlink("../outside.journey", &root.join("link.journey"));
    write(&root, "main.journey", "import \"std/channels\"\n\nsegment everyone = true\n");
    let (_exit, diagnostics) = check_json(&root, &["."]);
    assert!(!codes(&diagnostics).contains(&"J0101"), "the outside file was read: {:#?}", summary(&diagnostics));
}

// ---------------------------------------------------------------------------------------------
// Cycles and missing imports

#[test]
fn an_import_cycle_of_three_files_is_reported_once_with_its_chain() {
    let dir = scratch("cycle-of-three");
    manifest(&dir);
    write(&dir, "a.journey", "import \"./flows/b.journey\"\n\nsegment everyone = true\n");
    write(&dir, "flows/b.journey", "import \"./c.journey\"\n");
    write(&dir, "flows/c.journey", "import \"../a.journey\"\n");
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["flows/c.journey:1 \"J0216\" \"import cycle: `a.journey` imports `flows/b.journey` imports `flows/c.journey` imports `a.journey`\""]
    );
    assert_eq!(diagnostics[0]["label"], "this import closes the cycle");
}

#[test]
fn a_file_that_imports_itself_is_a_cycle() {
    let dir = scratch("cycle-self");
    manifest(&dir);
    write(&dir, "lib/all.journey", "import \"../lib/all.journey\"\n\nsegment everyone = true\n");
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["lib/all.journey:1 \"J0216\" \"import cycle: `lib/all.journey` imports `lib/all.journey`\""]
    );
}

#[test]
fn a_missing_import_is_j0215_at_the_import() {
    let dir = scratch("missing-import");
    manifest(&dir);
    write(&dir, "flows/main.journey", "import \"std/channels\"\nimport \"../lib/segmnts.journey\"\n");
    write(&dir, "lib/segments.journey", "segment everyone = true\n");
    let (exit, diagnostics) = check_json(&dir, &["flows/main.journey"]);
    assert_eq!(exit, 1);
    assert_eq!(summary(&diagnostics), vec!["flows/main.journey:2 \"J0215\" \"cannot find `lib/segmnts.journey`\""]);
}

#[test]
fn an_unknown_standard_library_module_is_j0215_with_a_suggestion() {
    let dir = scratch("unknown-std-module");
    manifest(&dir);
    write(&dir, "main.journey", "import \"std/event\"\n");
    let (exit, diagnostics) = check_json(&dir, &["main.journey"]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["main.journey:1 \"J0215\" \"the standard library has no module `std/event`\""]
    );
    let edit = &diagnostics[0]["suggestions"][0]["edits"][0];
    assert_eq!(edit["replacement"], "std/events");
    // The edit replaces the text between the quotes.
    assert_eq!((&edit["start"]["column"], &edit["end"]["column"]), (&Value::from(9), &Value::from(18)));
}

// ---------------------------------------------------------------------------------------------
// What makes files one project

const JOURNEY_X: &str = r#"import "std/events"

message MESSAGE on messenger as service {
  text "Thanks for writing! Someone will answer shortly."
}

journey x {
  entry on messenger_message

  stage reply {
    send MESSAGE
    exit
  }
}
"#;

fn two_files_declaring_journey_x(dir: &Path) {
    write(dir, "one.journey", &JOURNEY_X.replace("MESSAGE", "thanks_one"));
    write(dir, "two.journey", &JOURNEY_X.replace("MESSAGE", "thanks_two"));
}

#[test]
fn files_without_a_journey_toml_are_separate_projects_and_do_not_conflict() {
    let dir = scratch("no-manifest");
    two_files_declaring_journey_x(&dir);
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!((exit, summary(&diagnostics)), (0, vec![]));
}

#[test]
fn the_same_files_under_a_journey_toml_are_one_project_and_conflict() {
    let dir = scratch("with-manifest");
    manifest(&dir);
    two_files_declaring_journey_x(&dir);
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(summary(&diagnostics), vec!["two.journey:7 \"J0209\" \"journey `x` is defined twice\""]);
    let labels = &diagnostics[0]["labels"];
    assert_eq!(labels.as_array().unwrap().len(), 1);
    assert_eq!((&labels[0]["file"], &labels[0]["start"]["line"]), (&Value::from("one.journey"), &Value::from(7)));
    assert_eq!(labels[0]["message"], "first defined here");
    assert_eq!(diagnostics[0]["label"], "second definition");
}

// ---------------------------------------------------------------------------------------------
// journey.toml

#[test]
fn a_garbage_journey_toml_is_j0117_at_the_line_in_the_manifest_and_fails_the_check() {
    let dir = scratch("manifest-garbage");
    write(&dir, "shop/journey.toml", "this is not toml\n");
    two_files_declaring_journey_x(&dir.join("shop"));
    let (exit, diagnostics) = check_json(&dir, &["shop"]);
    assert_eq!(exit, 1);
    // The manifest's error, and the project is still one project: its files are checked too.
    assert_eq!(
        summary(&diagnostics),
        vec![
            "shop/journey.toml:1 \"J0117\" \"invalid journey.toml: key with no value, expected `=`\"",
            "shop/two.journey:7 \"J0209\" \"journey `x` is defined twice\"",
        ]
    );
    assert!(diagnostics[0]["help"].as_str().unwrap().contains("[project]"));
    assert_eq!(diagnostics[0]["start"]["column"], 6);
}

#[test]
fn unknown_keys_and_wrong_types_in_journey_toml_are_refused_and_a_project_name_is_accepted() {
    let dir = scratch("manifest-keys");
    write(&dir, "a.journey", "journey a {\n  stage s {\n    wait 1d\n  }\n}\n");
    for (text, line, message) in [
        (
            "[project]\nnmae = \"shop\"\n",
            2,
            "invalid journey.toml: unknown field `nmae`, expected one of `name`, `exclude`, `jurisdictions`",
        ),
        ("strict = true\n", 1, "invalid journey.toml: unknown field `strict`, expected `project`"),
        ("[project]\nname = 3\n", 2, "invalid journey.toml: invalid type: integer `3`, expected a string"),
    ] {
        write(&dir, "journey.toml", text);
        let (exit, diagnostics) = check_json(&dir, &["."]);
        assert_eq!(exit, 1, "{text:?}");
        assert_eq!(summary(&diagnostics), vec![format!("journey.toml:{line} \"J0117\" \"{message}\"")], "{text:?}");
    }
    for text in ["", "# only a comment\n", "[project]\nname = \"shop\"\n"] {
        write(&dir, "journey.toml", text);
        let (exit, diagnostics) = check_json(&dir, &["."]);
        assert_eq!((exit, summary(&diagnostics)), (0, vec![]), "{text:?}");
    }
}

/// The example shop, its journeys in `dir`, with `journey.toml` saying `manifest` and the
/// policy's own `jurisdiction "US"` line kept or not.
fn shop_with_manifest(dir: &Path, manifest: &str, policy_jurisdiction: bool) {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "journey") {
            let mut text = fs::read_to_string(&path).unwrap();
            if !policy_jurisdiction {
                let line = "  jurisdiction \"US\"";
                let start = text.find(line).map(|at| (at, text[at..].find('\n').unwrap() + 1));
                if let Some((at, len)) = start {
                    text.replace_range(at..at + len, "");
                }
            }
            fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    write(dir, "journey.toml", manifest);
}

#[test]
fn journey_toml_jurisdictions_are_the_default_laws_and_a_policys_own_jurisdiction_replaces_them() {
    let dir = scratch("manifest-jurisdictions");
    let florida = "[project]\njurisdictions = [\"US-FL\"]\n";
    // Florida allows texts from 08:00 to 20:00: the shop's quiet hours (21:00..08:00) allow 20:00.
    shop_with_manifest(&dir, florida, false);
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["common.journey:47 \"J0406\" \"quiet hours 21:00..08:00 allow sending at 20:00 on Monday; Florida allows 08:00..20:00\""]
    );
    let notes = diagnostics[0]["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("default of journey.toml")), "{notes:?}");
    // The same project without the default is checked against the federal baseline: clean.
    write(&dir, "journey.toml", "[project]\n");
    assert_eq!(check_json(&dir, &["."]), (0, vec![]));
    // A policy that selects a jurisdiction replaces the defaults.
    shop_with_manifest(&dir, florida, true);
    assert_eq!(check_json(&dir, &["."]), (0, vec![]));
}

#[test]
fn a_default_jurisdiction_reaches_the_bundle_and_an_unknown_one_fails_the_check() {
    let dir = scratch("manifest-jurisdictions-bundle");
    shop_with_manifest(&dir, "[project]\njurisdictions = [\"us\"]\n", false);
    let output = Command::new(JOURNEY).args(["build", ".", "--out", "out"]).current_dir(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let bundle: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out/cart_recovery.bundle.json")).unwrap()).unwrap();
    assert_eq!(bundle["policies"]["jurisdiction"], serde_json::json!(["US"]));
    write(&dir, "journey.toml", "[project]\njurisdictions = [\"Atlantis\"]\n");
    let (exit, diagnostics) = check_json(&dir, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(
        summary(&diagnostics),
        vec!["journey.toml:2 \"J0117\" \"invalid journey.toml: unknown jurisdiction `Atlantis`\""]
    );
}

#[test]
fn a_project_with_a_bad_journey_toml_is_not_built() {
    let dir = scratch("manifest-build");
    write(&dir, "shop/journey.toml", "[project\n");
    write(&dir, "shop/a.journey", "journey a {\n  stage s {\n    wait 1d\n  }\n}\n");
    let output = Command::new(JOURNEY)
        .args(["build", "shop", "--out", "out"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("J0117"));
    assert!(!dir.join("out").exists());
}

// ---------------------------------------------------------------------------------------------
// Entries a directory search skips

#[cfg(unix)]
#[test]
fn a_directory_holding_only_a_fifo_and_a_symlink_loop_names_both_when_it_finds_nothing() {
    let dir = scratch("skipped-only");
    fs::create_dir_all(dir.join("flows/deeper")).unwrap();
    mkfifo(&dir.join("flows/pipe"));
    symlink("loop", &dir.join("flows/loop"));
    symlink("nowhere.journey", &dir.join("flows/deeper/gone.journey"));
    // A link to a directory is not followed, by rule: not named.
    symlink("deeper", &dir.join("flows/to-deeper"));
    let run = check(&dir, &["flows"]);
    assert_eq!(run.exit, 2, "{}", run.stderr);
    // In byte order of the relative path, whatever order the directory lists them in.
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: no .journey files found in `flows`; skipped 3 entries that cannot be read: \
         `flows/deeper/gone.journey` (a symbolic link to nothing), `flows/loop` (a symbolic link loop), \
         `flows/pipe` (a FIFO)"
    );
}

#[cfg(unix)]
#[test]
fn skipped_journey_entries_beside_files_to_check_are_warnings_and_other_skipped_entries_are_quiet() {
    let dir = scratch("skipped-beside");
    write(&dir, "flows/a.journey", "journey a {\n  stage s {\n    wait 1d\n  }\n}\n");
    mkfifo(&dir.join("flows/b.journey"));
    symlink("c.journey", &dir.join("flows/c.journey"));
    mkfifo(&dir.join("flows/not-a-journey"));
    let run = check(&dir, &["flows"]);
    assert_eq!(run.exit, 0, "{}", run.stderr);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(
        warnings,
        vec!["warning: skipped `flows/b.journey`: a FIFO", "warning: skipped `flows/c.journey`: a symbolic link loop"]
    );
    // `--format json` keeps stdout JSON; the warnings stay on stderr.
    let (exit, diagnostics) = check_json(&dir, &["flows"]);
    assert_eq!((exit, diagnostics.len()), (0, 0));
}
