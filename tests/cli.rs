//! End-to-end tests of the `journey` binary: exit codes, every output format, `explain`, `fmt`,
//! file discovery, determinism, and SARIF checked against the official schema.
//!
//! Every test writes its input files into a fresh directory under Cargo's target tmpdir and runs
//! the binary there with relative paths, so outputs (and snapshots) never contain absolute paths.
//! Inputs are byte strings in this file, which keeps invalid UTF-8, UTF-16 and CR line endings
//! exactly as meant (git cannot normalise them).

// clippy.toml allows these inside `#[test]` functions; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::Code;

const JOURNEY: &str = env!("CARGO_BIN_EXE_journey");

/// A file that parses cleanly.
const CLEAN: &[u8] = b"journey welcome {\n  stage start {\n    wait 1d\n  }\n}\n";
/// `send` without the message it sends: one J0101 on line 3.
const SYNTAX_ERROR: &[u8] = b"journey x {\n  stage a {\n    send\n  }\n}\n";
/// A wrong arrow (J0105, with a suggested fix) and a brace left open (J0102, with a note).
const ARROW_AND_UNCLOSED: &[u8] =
    b"journey x {\n  stage a {\n    ask welcome timeout 1h {\n      yes -> goto b\n    }\n  }\n  stage b {\n";
/// A brace left open where indentation points at the culprit: J0102 with a secondary label.
const SUSPECT_BRACE: &[u8] = b"journey x {\n  stage a {\n    wait 1d\n  stage b {\n    wait 2d\n  }\n}\n";
/// An invalid UTF-8 byte after two three-byte characters: J0112 at line 2, column 9.
const INVALID_UTF8: &[u8] = b"journey x {\n  // \xE6\x97\xA5\xE6\x9C\xAC \xFF\n}\n";
/// A UTF-16 (little-endian) byte-order mark: J0112 at 1:1.
const UTF16: &[u8] = b"\xFF\xFEj\x00o\x00u\x00r\x00n\x00e\x00y\x00";

/// A scratch directory holding one test's input files.
struct Fixture {
    dir: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests").join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Fixture { dir }
    }

    fn file(&self, relative: &str, bytes: &[u8]) -> &Fixture {
        let path = self.dir.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
        self
    }

    fn dir(&self, relative: &str) -> &Fixture {
        fs::create_dir_all(self.dir.join(relative)).unwrap();
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(JOURNEY);
        command.args(args).current_dir(&self.dir).env("NO_COLOR", "1").env_remove("JOURNEY_TEST_INTERNAL_ERROR");
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }
}

/// One finished run of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

impl Run {
    /// Exit code, stdout and stderr together: what a snapshot should show.
    fn transcript(&self) -> String {
        format!("exit code: {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap()
    }
}

/// Snapshots live in tests/cli/snapshots, away from other test suites' snapshots.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "cli/snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

fn with_line_ends(text: &[u8], end: &str) -> Vec<u8> {
    String::from_utf8(text.to_vec()).unwrap().replace('\n', end).into_bytes()
}

/// A directory with one file of each kind of problem, plus a clean one, for the format tests.
fn mixed_fixture(name: &str) -> Fixture {
    let fixture = Fixture::new(name);
    fixture
        .file("project/clean.journey", CLEAN)
        .file("project/flows/arrows.journey", ARROW_AND_UNCLOSED)
        .file("project/flows/syntax.journey", SYNTAX_ERROR)
        .file("project/flows/suspect.journey", SUSPECT_BRACE)
        .file("project/legacy/crlf.journey", &with_line_ends(SYNTAX_ERROR, "\r\n"))
        .file("project/legacy/cr.journey", &with_line_ends(SYNTAX_ERROR, "\r"))
        .file("project/legacy/utf16.journey", UTF16)
        .file("project/legacy/bytes.journey", INVALID_UTF8)
        .file("project/notes.txt", b"not a journey file");
    fixture
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn a_clean_file_exits_with_code_0_and_says_no_problems() {
    let fixture = Fixture::new("clean");
    fixture.file("ok.journey", CLEAN);
    let run = fixture.run(&["check", "ok.journey"]);
    assert_eq!(run.code, Some(0), "{}", run.transcript());
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "checked 1 file: no problems\n");
}

#[test]
fn a_syntax_error_exits_with_code_1() {
    let fixture = Fixture::new("syntax-error");
    fixture.file("bad.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "bad.journey"]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    assert!(run.stdout.starts_with("bad.journey:3:9: error[J0101]: "), "{}", run.stdout);
    assert_eq!(run.stderr, "error: 1 error in 1 file\n");
}

#[test]
fn invalid_utf8_is_reported_as_j0112_at_its_character_column() {
    let fixture = Fixture::new("invalid-utf8");
    fixture.file("bytes.journey", INVALID_UTF8);
    let run = fixture.run(&["check", "--format", "short", "bytes.journey"]);
    assert_eq!(run.code, Some(1));
    // `  // 日本 ` is 8 characters (but 12 bytes), so the bad byte is in column 9.
    assert_eq!(run.stdout, "bytes.journey:2:9: error[J0112]: invalid UTF-8 byte sequence 0xFF\n");
}

#[test]
fn a_utf16_file_is_reported_as_j0112() {
    let fixture = Fixture::new("utf16");
    fixture.file("wide.journey", UTF16);
    let run = fixture.run(&["check", "--format", "short", "wide.journey"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "wide.journey:1:1: error[J0112]: file is encoded as UTF-16\n");
}

#[test]
fn a_file_over_the_size_limit_is_refused_with_j0111_by_its_size_alone() {
    let fixture = Fixture::new("too-large");
    // A sparse 1 GiB file: cheap on disk, and far more than the CLI may read into memory.
    let size: u64 = 1 << 30;
    fs::File::create(fixture.dir.join("huge.journey")).unwrap().set_len(size).unwrap();
    let run = fixture.run(&["check", "--format", "short", "huge.journey"]);
    let _ = fs::remove_file(fixture.dir.join("huge.journey"));
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    // The size in the message is the file's real size, known from metadata, not from a read.
    assert_eq!(
        run.stdout,
        format!(
            "huge.journey:1:1: error[J0111]: file is {size} bytes; the limit is {MAX_SOURCE_BYTES} bytes ({} MiB)\n",
            MAX_SOURCE_BYTES / (1024 * 1024)
        )
    );
}

#[test]
fn a_file_exactly_at_the_size_limit_is_accepted() {
    let fixture = Fixture::new("at-limit");
    let mut bytes = b"journey x {}\n".to_vec();
    bytes.resize(MAX_SOURCE_BYTES, b'\n');
    fixture.file("big.journey", &bytes);
    let run = fixture.run(&["check", "--format", "short", "big.journey"]);
    assert!(!run.stdout.contains("J0111"), "{}", run.transcript());
}

#[test]
fn missing_file_exits_with_code_2() {
    let fixture = Fixture::new("missing");
    let run = fixture.run(&["check", "nope.journey"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        "error: cannot read `nope.journey`: no such file or directory\nerror: 1 path could not be checked\n"
    );
}

#[test]
fn a_missing_file_still_lets_the_other_files_be_checked_but_exits_with_code_2() {
    let fixture = Fixture::new("missing-and-bad");
    fixture.file("bad.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "nope.journey", "bad.journey"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.starts_with("bad.journey:3:9: error[J0101]"), "{}", run.stdout);
    assert!(run.stderr.ends_with("error: 1 path could not be checked; 1 error in 1 file\n"), "{}", run.stderr);
}

#[test]
fn unknown_flag_exits_with_code_2() {
    let fixture = Fixture::new("unknown-flag");
    let run = fixture.run(&["check", "--bogus", "x.journey"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--bogus"), "{}", run.stderr);
}

#[test]
fn an_unknown_format_exits_with_code_2() {
    let fixture = Fixture::new("unknown-format");
    let run = fixture.run(&["check", "--format", "xml", "x.journey"]);
    assert_eq!(run.code, Some(2));
}

#[test]
fn check_without_paths_exits_with_code_2() {
    let fixture = Fixture::new("no-paths");
    let run = fixture.run(&["check"]);
    assert_eq!(run.code, Some(2));
}

#[test]
fn a_directory_without_journey_files_exits_with_code_2() {
    let fixture = Fixture::new("empty-dir");
    fixture.dir("empty").file("other/readme.txt", b"hello");
    let run = fixture.run(&["check", "empty", "other"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        "error: no .journey files found in `empty`\nerror: no .journey files found in `other`\nerror: 2 paths could not be checked\n"
    );
}

#[test]
fn deny_warnings_keeps_clean_files_at_code_0_and_errors_at_code_1() {
    // No code warns by default yet; the flag must at least parse and leave other outcomes alone.
    let fixture = Fixture::new("deny-warnings");
    fixture.file("ok.journey", CLEAN).file("bad.journey", SYNTAX_ERROR);
    assert_eq!(fixture.run(&["check", "--deny", "warnings", "ok.journey"]).code, Some(0));
    assert_eq!(fixture.run(&["check", "-D", "warnings", "bad.journey"]).code, Some(1));
    assert_eq!(fixture.run(&["check", "--deny", "everything", "ok.journey"]).code, Some(2));
}

#[test]
fn an_internal_error_prints_a_bug_report_message_and_exits_with_code_101() {
    let fixture = Fixture::new("internal-error");
    let output = fixture.command(&["--version"]).env("JOURNEY_TEST_INTERNAL_ERROR", "1").output().unwrap();
    let run = Run::from(output);
    assert_eq!(run.code, Some(101));
    assert!(run.stderr.starts_with("error: journey hit an internal error; this is a bug"), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("journey {}", env!("CARGO_PKG_VERSION"))), "{}", run.stderr);
}

#[test]
fn a_closed_output_pipe_ends_the_run_quietly() {
    let fixture = Fixture::new("broken-pipe");
    // Far more output than a pipe buffer holds, so the writes must hit the closed pipe.
    let mut many = Vec::new();
    for _ in 0..500 {
        many.extend_from_slice(b"journey x {\n  stage a {\n    send\n  }\n}\n");
    }
    fixture.file("many.journey", &many);
    let mut child =
        fixture.command(&["check", "many.journey"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Formats

#[test]
fn short_format_prints_one_line_per_diagnostic() {
    let fixture = mixed_fixture("format-short");
    snapshot!("short", fixture.run(&["check", "--format", "short", "project"]).transcript());
}

#[test]
fn rich_format_shows_source_excerpts_without_colour_under_no_color() {
    let fixture = mixed_fixture("format-rich");
    let run = fixture.run(&["check", "project"]);
    assert!(!run.stdout.contains('\u{1b}'));
    snapshot!("rich", run.transcript());
}

#[test]
fn rich_format_is_coloured_only_when_asked_for_or_on_a_terminal() {
    let fixture = Fixture::new("colour");
    fixture.file("bad.journey", SYNTAX_ERROR);
    let forced = fixture.run(&["check", "--color", "always", "bad.journey"]);
    assert!(forced.stdout.contains("\u{1b}["), "{}", forced.stdout);
    // stdout is a pipe here, so `auto` must not colour even without NO_COLOR.
    let auto = Run::from(fixture.command(&["check", "bad.journey"]).env_remove("NO_COLOR").output().unwrap());
    assert!(!auto.stdout.contains('\u{1b}'), "{}", auto.stdout);
}

#[test]
fn json_format_prints_the_versioned_document() {
    let fixture = mixed_fixture("format-json");
    let run = fixture.run(&["check", "--format", "json", "project"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr, "", "json prints no summary line");
    snapshot!("json", run.transcript());
}

#[test]
fn json_format_has_the_documented_shape() {
    let fixture = mixed_fixture("json-shape");
    let doc = fixture.run(&["check", "--format", "json", "project"]).json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["summary"]["files"], 8);
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(doc["summary"]["errors"].as_u64().unwrap() as usize, diagnostics.len());
    assert_eq!(doc["summary"]["warnings"], 0);
    for d in diagnostics {
        assert!(d["code"].as_str().unwrap().starts_with('J'));
        assert!(matches!(d["severity"].as_str(), Some("error" | "warning")));
        assert!(d["message"].is_string() && d["file"].is_string());
        assert!(d["span"]["start"].as_u64().unwrap() <= d["span"]["end"].as_u64().unwrap());
        for end in ["start", "end"] {
            assert!(d[end]["line"].as_u64().unwrap() >= 1);
            assert!(d[end]["column"].as_u64().unwrap() >= 1);
        }
        assert!(d["labels"].is_array() && d["notes"].is_array() && d["suggestions"].is_array());
        assert!(d["help"].is_null() || d["help"].is_string());
    }
    let fix = diagnostics.iter().find(|d| d["code"] == "J0105").unwrap();
    assert_eq!(fix["suggestions"][0]["edits"][0]["replacement"], "=>");
    assert_eq!(fix["suggestions"][0]["edits"][0]["file"], "project/flows/arrows.journey");
    // `->` for `=>` repairs how the arm is written: `check --fix` applies it.
    assert_eq!(fix["suggestions"][0]["safe"], true);
}

#[test]
fn github_format_prints_workflow_commands() {
    let fixture = mixed_fixture("format-github");
    let run = fixture.run(&["check", "--format", "github", "project"]);
    assert_eq!(run.code, Some(1));
    snapshot!("github", run.transcript());
}

#[test]
fn github_format_escapes_properties_and_messages() {
    let fixture = Fixture::new("github-escapes");
    fixture.file("50%,a:b.journey", ARROW_AND_UNCLOSED);
    let run = fixture.run(&["check", "--format", "github", "50%,a:b.journey"]);
    // The file also sends an undeclared message (J0201 on line 3); the arrow is on line 4.
    let arrow = run.stdout.lines().find(|line| line.contains("title=J0105")).unwrap();
    assert!(
        arrow.starts_with("::error file=50%25%2Ca%3Ab.journey,line=4,col=11,endLine=4,endColumn=13,title=J0105::"),
        "{arrow}"
    );
    // The label and the note follow the message on escaped line breaks, so the command stays
    // one line.
    assert!(arrow.contains("`%0Awrite `=>` here%0Anote: "), "{arrow}");
}

#[test]
fn sarif_format_prints_a_log_with_rules_results_and_fixes() {
    let fixture = mixed_fixture("format-sarif");
    let mut run = fixture.run(&["check", "--format", "sarif", "project"]);
    assert_eq!(run.code, Some(1));
    // Rules carry the codes' long explanations, which change with the compiler's docs; the
    // snapshot is about our shape, so it shows a placeholder for them (in the real output).
    let log = run.json();
    for rule in log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap() {
        let code = Code::parse(rule["id"].as_str().unwrap()).unwrap();
        assert_eq!(rule["help"]["markdown"], code.explanation().trim());
        assert_eq!(rule["help"]["text"], rule["fullDescription"]["text"]);
        let placeholder = format!("\"[explanation of {code}]\"");
        let markdown = serde_json::to_string(&rule["help"]["markdown"]).unwrap();
        let summary = serde_json::to_string(&rule["help"]["text"]).unwrap();
        run.stdout = run.stdout.replace(&format!("\"markdown\": {markdown}"), &format!("\"markdown\": {placeholder}"));
        if rule["help"]["text"] != rule["name"] {
            run.stdout = run.stdout.replace(&format!("\"text\": {summary}"), &format!("\"text\": {placeholder}"));
        }
    }
    snapshot!("sarif", run.transcript());
}

#[test]
fn sarif_output_validates_against_the_official_sarif_2_1_0_schema() {
    // The official schema's `language` patterns have a stray `]`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which makes the schema itself fail the
    // draft-07 meta-schema's `regex` format check. We never emit `language`; patch those
    // patterns in memory to what they mean, keep the file byte-for-byte official, and validate
    // everything else, formats (`uri`, `uri-reference`, ...) included.
    let official =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/schemas/sarif-2.1.0.json")).unwrap();
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(official.contains(stray), "the schema file changed; revisit this patch");
    let schema: serde_json::Value =
        serde_json::from_str(&official.replace(stray, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#)).unwrap();
    let validator = jsonschema::draft7::options().should_validate_formats(true).build(&schema).unwrap();

    let fixture = mixed_fixture("sarif-schema");
    fixture.file("odd name #1.journey", SYNTAX_ERROR);
    fixture.file("std.journey", b"import \"std/channels\"\n\nchannel sms {\n}\n");
    let cases: [&[&str]; 5] = [
        // Related locations in the standard library, as absolute URIs.
        &["check", "--format", "sarif", "std.journey"],
        &["check", "--format", "sarif", "project", "odd name #1.journey"],
        &["check", "--format", "sarif", "project/clean.journey"],
        // An unreadable path becomes a tool execution notification.
        &["check", "--format", "sarif", "missing.journey", "project/flows"],
        &["check", "--format", "sarif", "project/legacy"],
    ];
    for args in cases {
        let log = fixture.run(args).json();
        let errors: Vec<String> =
            validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{args:?}:\n{}\n{log:#}", errors.join("\n"));
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "journey");
    }

    // The validator is not vacuous: a log with a zero line number is rejected.
    let mut broken = fixture.run(&["check", "--format", "sarif", "project"]).json();
    *broken.pointer_mut("/runs/0/results/0/locations/0/physicalLocation/region/startLine").unwrap() = 0.into();
    assert!(!validator.is_valid(&broken));
}

/// The `partialFingerprints` of every result of a SARIF log, in order.
fn fingerprints_of(log: &serde_json::Value) -> Vec<String> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["partialFingerprints"]["journeyFingerprint/v1"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn sarif_fingerprints_stay_the_same_when_lines_above_the_problem_move() {
    let fixture = Fixture::new("sarif-fingerprints");
    let twice = b"journey x {\n  stage a {\n    send\n  }\n  stage b {\n    send\n  }\n}\n";
    fixture.file("a.journey", twice);
    let before = fingerprints_of(&fixture.run(&["check", "--format", "sarif", "a.journey"]).json());
    let mut moved = b"// a comment\n\n// and another\n".to_vec();
    moved.extend_from_slice(twice);
    fixture.file("a.journey", &moved);
    let after = fingerprints_of(&fixture.run(&["check", "--format", "sarif", "a.journey"]).json());
    assert_eq!(before.len(), 2);
    assert_eq!(before, after);
    // The two problems look alike (same code, same line text): the count tells them apart.
    let (first, second) = (&before[0], &before[1]);
    assert_eq!(first.split_once(':').unwrap().0, second.split_once(':').unwrap().0);
    assert!(first.ends_with(":1") && second.ends_with(":2"), "{before:?}");
    // Another file, the same text: another fingerprint.
    fixture.file("b.journey", twice);
    let other = fingerprints_of(&fixture.run(&["check", "--format", "sarif", "b.journey"]).json());
    assert_ne!(other[0], before[0]);
}

#[test]
fn sarif_rules_link_each_code_to_its_explanation_in_the_repository() {
    let fixture = mixed_fixture("sarif-help-uri");
    let log = fixture.run(&["check", "--format", "sarif", "project"]).json();
    let repository = env!("CARGO_PKG_REPOSITORY");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for rule in log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        let uri = rule["helpUri"].as_str().unwrap();
        let in_repository = uri.strip_prefix(&format!("{repository}/blob/main/")).unwrap();
        let explanation = fs::read_to_string(root.join(in_repository)).unwrap();
        assert_eq!(explanation.trim(), Code::parse(id).unwrap().explanation().trim(), "{uri}");
    }
}

#[test]
fn sarif_gives_standard_library_locations_as_uris_into_the_repository_at_the_built_commit() {
    let fixture = Fixture::new("sarif-stdlib");
    // A second `sms` channel: J0209 against the standard library's, its first declaration.
    fixture.file("a.journey", b"import \"std/channels\"\n\nchannel sms {\n}\n");
    let log = fixture.run(&["check", "--format", "sarif", "a.journey"]).json();
    // J0209 stands at the later declaration and points back at the first: one of the two
    // locations is in the standard library, whichever the checker puts first.
    let locations: Vec<&serde_json::Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|result| {
            ["locations", "relatedLocations"].map(|key| result[key].as_array()).into_iter().flatten().flatten()
        })
        .collect();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map_or_else(|| "main".to_owned(), |output| String::from_utf8(output.stdout).unwrap().trim().to_owned());
    let expected = format!("{}/blob/{commit}/stdlib/channels.journey", env!("CARGO_PKG_REPOSITORY"));
    let in_std: Vec<&serde_json::Value> = locations
        .iter()
        .map(|location| &location["physicalLocation"])
        .filter(|at| at["artifactLocation"]["uri"] == expected.as_str())
        .collect();
    assert_eq!(in_std.len(), 1, "{log:#}");
    // The line it names is the declaration in the repository's file.
    let line = in_std[0]["region"]["startLine"].as_u64().unwrap() as usize;
    let stdlib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib/channels.journey")).unwrap();
    assert!(stdlib.lines().nth(line - 1).unwrap().starts_with("channel sms"), "line {line}");
    assert!(!log.to_string().contains("\"std/channels.journey\""), "no path that is no file of the user's");
}

#[test]
fn sarif_rules_cover_exactly_the_codes_that_occur() {
    let fixture = mixed_fixture("sarif-rules");
    let log = fixture.run(&["check", "--format", "sarif", "project"]).json();
    let run = &log["runs"][0];
    let rules: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rules, ["J0101", "J0102", "J0105", "J0112", "J0201"]);
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(result["ruleId"], rules[index]);
        let code = Code::parse(rules[index]).unwrap();
        assert_eq!(run["tool"]["driver"]["rules"][index]["name"], code.title());
    }
}

// ---------------------------------------------------------------------------------------------
// Positions, discovery and determinism

#[test]
fn crlf_and_lone_cr_line_endings_give_the_same_positions_as_lf() {
    let fixture = Fixture::new("line-endings");
    fixture
        .file("lf.journey", SYNTAX_ERROR)
        .file("crlf.journey", &with_line_ends(SYNTAX_ERROR, "\r\n"))
        .file("cr.journey", &with_line_ends(SYNTAX_ERROR, "\r"));
    let run = fixture.run(&["check", "--format", "short", "lf.journey", "crlf.journey", "cr.journey"]);
    let positions: Vec<&str> =
        run.stdout.lines().map(|line| line.split(": ").next().unwrap().split_once(':').unwrap().1).collect();
    assert_eq!(positions, ["3:9", "3:9", "3:9"], "{}", run.stdout);
}

#[test]
fn directories_are_searched_recursively_in_byte_order_of_the_relative_path() {
    let fixture = Fixture::new("discovery-order");
    // Created in an order unlike the expected one; file systems list entries in any order.
    for name in ["b.journey", "a/z.journey", "a.journey", "B.journey", "a/b/c.journey", "a-b.journey"] {
        fixture.file(&format!("root/{name}"), SYNTAX_ERROR);
    }
    fixture.file("root/a/skipped.txt", SYNTAX_ERROR).file("root/.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "root"]);
    let files: Vec<&str> = run.stdout.lines().map(|line| line.split(':').next().unwrap()).collect();
    assert_eq!(
        files,
        [
            "root/B.journey",
            "root/a-b.journey",
            "root/a.journey",
            "root/a/b/c.journey",
            "root/a/z.journey",
            "root/b.journey"
        ]
    );
}

#[test]
fn paths_are_shown_as_given_with_forward_slashes() {
    let fixture = Fixture::new("display-paths");
    fixture.file("sub/x.journey", SYNTAX_ERROR).file("top.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "./sub/", "sub", "."]);
    let files: Vec<&str> = run.stdout.lines().map(|line| line.split(':').next().unwrap()).collect();
    // `.` lists `sub/x.journey` again, which was already checked, and `top.journey`.
    assert_eq!(files, ["./sub/x.journey", "sub/x.journey", "top.journey"]);
}

#[test]
fn a_file_named_twice_is_checked_once() {
    let fixture = Fixture::new("duplicates");
    fixture.file("bad.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "bad.journey", "bad.journey", "."]);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert_eq!(run.stderr, "error: 1 error in 1 file\n");
}

#[test]
fn an_explicit_file_is_checked_whatever_its_extension() {
    let fixture = Fixture::new("explicit-extension");
    fixture.file("flow.txt", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "flow.txt"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.starts_with("flow.txt:3:9:"), "{}", run.stdout);
}

#[test]
fn output_is_byte_for_byte_identical_across_runs() {
    let fixture = mixed_fixture("determinism");
    for format in ["rich", "short", "json", "sarif", "github"] {
        let args = ["check", "--format", format, "project"];
        let first = fixture.run(&args);
        let second = fixture.run(&args);
        assert_eq!(first.transcript(), second.transcript(), "{format}");
        assert!(!first.stdout.contains(fixture.dir.to_str().unwrap()), "{format} output has an absolute path");
    }
}

#[test]
fn control_characters_in_sources_never_reach_the_terminal() {
    let fixture = Fixture::new("control-characters");
    fixture.file("esc.journey", b"journey x {\n  // \x1b[2J\x1b]0;pwned\x07 \xE2\x80\xAE\n}\n");
    for format in ["rich", "short", "github"] {
        let run = fixture.run(&["check", "--format", format, "esc.journey"]);
        assert_eq!(run.code, Some(1), "{format}: {}", run.transcript());
        assert!(!run.stdout.contains('\u{1b}'), "{format}: {}", run.stdout);
        assert!(!run.stdout.contains('\u{7}'), "{format}: {}", run.stdout);
        assert!(!run.stdout.contains('\u{202E}'), "{format}: {}", run.stdout);
    }
}

// ---------------------------------------------------------------------------------------------
// Standard input, --quiet, and what a directory search leaves out

/// Runs the binary in `fixture` with `input` on its standard input.
fn run_with_stdin(fixture: &Fixture, args: &[&str], input: &[u8]) -> Run {
    use std::io::Write as _;
    let mut child =
        fixture.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A run that refuses its arguments exits without reading: a closed pipe is its answer.
    let _ = child.stdin.take().unwrap().write_all(input);
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn check_dash_reads_the_file_from_standard_input_and_calls_it_stdin() {
    let fixture = Fixture::new("stdin-plain");
    let bad = run_with_stdin(&fixture, &["check", "--format", "short", "-"], SYNTAX_ERROR);
    assert_eq!(bad.code, Some(1), "{}", bad.stderr);
    assert!(bad.stdout.starts_with("<stdin>:3:"), "{}", bad.stdout);
    let clean = run_with_stdin(&fixture, &["check", "-"], CLEAN);
    assert_eq!(clean.code, Some(0), "{}", clean.stderr);
}

#[test]
fn stdin_filename_names_the_text_and_puts_it_in_that_files_project() {
    let fixture = Fixture::new("stdin-filename");
    fixture
        .file("shop/journey.toml", b"")
        .file("shop/flows/common.journey", b"event order_placed { order_id: text }\n")
        // On disk the file is broken; what the editor sends in its place is what is checked.
        .file("shop/flows/new.journey", SYNTAX_ERROR);
    let uses_common = b"import \"./common.journey\"\n\njourney thanks {\n  entry on order_placed\n  stage start {\n    wait 1d\n  }\n}\n";
    let args = ["check", "--format", "short", "--stdin-filename", "shop/flows/new.journey", "-"];
    let run = run_with_stdin(&fixture, &args, uses_common);
    assert_eq!(run.code, Some(0), "the project's event is found: {}{}", run.stdout, run.stderr);
    // Alone, the same text has no file to import: where it stands is what made it clean.
    let alone = run_with_stdin(&fixture, &["check", "--format", "short", "-"], uses_common);
    assert_eq!(alone.code, Some(1), "{}", alone.stdout);
    let broken = run_with_stdin(&fixture, &args, SYNTAX_ERROR);
    assert!(broken.stdout.starts_with("shop/flows/new.journey:3:"), "{}", broken.stdout);
}

/// Phone-text marketing under quiet hours 21:00..08:00: clean under the federal baseline, a J0406
/// under Florida's 08:00..20:00.
const TEXTS_UNTIL_NINE: &[u8] = b"import \"std/channels\"\nprofile { phone: phone, timezone: timezone }\nevent joined {}\nmessage promo on sms {\n  category marketing\n  text \"Sale today. Reply STOP to opt out.\"\n}\npolicy {\n  quiet_hours 21:00..08:00 recipient\n}\njourney j {\n  entry on joined\n  stage s {\n    send promo\n  }\n}\n";

#[test]
fn standard_input_alone_is_a_project_of_its_own_and_takes_no_settings_from_the_current_directory() {
    let fixture = Fixture::new("stdin-manifest");
    fixture.file("journey.toml", b"[project]\njurisdictions = [\"US-FL\"]\n");
    let alone = run_with_stdin(&fixture, &["check", "--format", "short", "-"], TEXTS_UNTIL_NINE);
    assert!(!alone.stdout.contains("Florida"), "{}", alone.stdout);
    // Named into the project, it takes the project's default law.
    let args = ["check", "--format", "short", "--stdin-filename", "main.journey", "-"];
    let named = run_with_stdin(&fixture, &args, TEXTS_UNTIL_NINE);
    assert!(named.stdout.contains("J0406") && named.stdout.contains("Florida"), "{}", named.stdout);
}

#[test]
fn dash_together_with_other_paths_is_a_usage_error() {
    let fixture = Fixture::new("stdin-mixed");
    fixture.file("a.journey", CLEAN);
    let run = run_with_stdin(&fixture, &["check", "-", "a.journey"], CLEAN);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("`-` (standard input) cannot be combined with other paths"), "{}", run.stderr);
}

#[test]
fn quiet_prints_the_diagnostics_and_no_summary_line() {
    let fixture = Fixture::new("quiet");
    fixture.file("bad.journey", SYNTAX_ERROR).file("ok.journey", CLEAN);
    let loud = fixture.run(&["check", "--format", "short", "bad.journey"]);
    let quiet = fixture.run(&["check", "--format", "short", "--quiet", "bad.journey"]);
    assert_eq!(quiet.code, Some(1));
    assert_eq!(quiet.stdout, loud.stdout);
    assert_ne!(loud.stderr, "", "without --quiet a summary is printed");
    assert_eq!(quiet.stderr, "");
    let clean = fixture.run(&["check", "-q", "ok.journey"]);
    assert_eq!((clean.code, clean.stdout.as_str(), clean.stderr.as_str()), (Some(0), "", ""));
}

#[test]
fn a_directory_search_skips_gitignored_folders_git_and_node_modules() {
    let fixture = Fixture::new("ignored");
    fixture
        .file("repo/.gitignore", b"generated/\n*.draft.journey\n")
        .file("repo/ok.journey", CLEAN)
        .file("repo/.hidden/kept.journey", SYNTAX_ERROR)
        .file("repo/generated/bad.journey", SYNTAX_ERROR)
        .file("repo/sub/wip.draft.journey", SYNTAX_ERROR)
        .file("repo/.git/bad.journey", SYNTAX_ERROR)
        .file("repo/node_modules/pkg/bad.journey", SYNTAX_ERROR)
        .file("repo/sub/.ignore", b"local/\n")
        .file("repo/sub/local/bad.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "repo"]);
    let files: Vec<&str> = run.stdout.lines().map(|line| line.split(':').next().unwrap()).collect();
    assert_eq!(files, ["repo/.hidden/kept.journey"], "{}", run.stderr);
    // A file named on the command line is checked even where a search would not look.
    let named = fixture.run(&["check", "--format", "short", "repo/generated/bad.journey"]);
    assert_eq!(named.code, Some(1));
}

#[test]
fn the_manifests_exclude_leaves_out_whole_paths_of_its_project() {
    let fixture = Fixture::new("manifest-exclude");
    fixture
        .file("shop/journey.toml", b"[project]\nexclude = [\"drafts\", \"./old/2024\"]\n")
        .file("shop/ok.journey", CLEAN)
        .file("shop/drafts/bad.journey", SYNTAX_ERROR)
        .file("shop/old/2024/bad.journey", SYNTAX_ERROR)
        .file("shop/drafts_kept/bad.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "shop"]);
    let files: Vec<&str> = run.stdout.lines().map(|line| line.split(':').next().unwrap()).collect();
    assert_eq!(files, ["shop/drafts_kept/bad.journey"], "{}", run.stderr);
    fixture.file("shop/journey.toml", b"[project]\nexclude = \"drafts\"\n");
    let wrong = fixture.run(&["check", "--format", "short", "shop"]);
    assert!(wrong.stdout.contains("J0117"), "a string is not a list: {}", wrong.stdout);
}

#[test]
fn fmt_and_diff_leave_out_what_the_manifest_excludes_too() {
    let fixture = Fixture::new("manifest-exclude-fmt-diff");
    fixture
        .file("old/journey.toml", b"[project]\nexclude = [\"drafts\"]\n")
        .file("old/ok.journey", CLEAN)
        .file("old/drafts/messy.journey", MESSY)
        .file("new/journey.toml", b"[project]\nexclude = [\"drafts\"]\n")
        .file("new/ok.journey", CLEAN)
        .file("new/drafts/bad.journey", SYNTAX_ERROR);
    let fmt = fixture.run(&["fmt", "--check", "old"]);
    assert_eq!((fmt.code, fmt.stdout.as_str()), (Some(0), ""), "{}", fmt.stderr);
    let diff = fixture.run(&["diff", "old", "new"]);
    assert_eq!(diff.code, Some(0), "{}{}", diff.stdout, diff.stderr);
    let said = format!("{}{}", diff.stdout, diff.stderr);
    assert!(!said.contains("drafts") && !said.contains("error"), "{said}");
    // Without the manifest's word, both commands see the drafts.
    fixture.file("old/journey.toml", b"").file("new/journey.toml", b"");
    assert_eq!(fixture.run(&["fmt", "--check", "old"]).code, Some(1));
    let diff = fixture.run(&["diff", "old", "new"]);
    let said = format!("{}{}", diff.stdout, diff.stderr);
    assert!(said.contains("the new version (`new`) has 1 error"), "{said}");
}

#[test]
fn a_directory_named_on_the_command_line_is_searched_even_when_a_gitignore_above_ignores_it() {
    // As the tests' own scratch directories are, under the repository's ignored `/target`.
    let fixture = Fixture::new("ignored-above");
    fixture.file(".gitignore", b"/build\n").file("build/out/a.journey", SYNTAX_ERROR);
    let run = fixture.run(&["check", "--format", "short", "build/out"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.starts_with("build/out/a.journey:3:"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// fmt

/// Two statements on one line, blanks where none belong, and an empty line too many.
const MESSY: &[u8] = b"journey welcome {\n  stage start { wait 1d; send hi\n\n\n  exit }\n}\n";
/// `MESSY` in the canonical layout.
const MESSY_FORMATTED: &str = "journey welcome {\n  stage start {\n    wait 1d\n    send hi\n\n    exit\n  }\n}\n";

#[test]
fn fmt_rewrites_what_is_not_formatted_and_then_check_passes() {
    let fixture = Fixture::new("fmt-write");
    fixture.file("flows/messy.journey", MESSY).file("flows/clean.journey", CLEAN);
    let run = fixture.run(&["fmt", "flows"]);
    assert_eq!(run.code, Some(0), "{}", run.transcript());
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", "formatted 1 of 2 files\n"));
    assert_eq!(fs::read_to_string(fixture.dir.join("flows/messy.journey")).unwrap(), MESSY_FORMATTED);
    assert_eq!(fs::read(fixture.dir.join("flows/clean.journey")).unwrap(), CLEAN);
    let again = fixture.run(&["fmt", "--check", "flows"]);
    assert_eq!((again.code, again.stderr.as_str()), (Some(0), "2 files formatted\n"), "{}", again.transcript());
}

#[test]
fn fmt_check_prints_a_unified_diff_writes_nothing_and_exits_with_code_1() {
    let fixture = Fixture::new("fmt-check");
    fixture.file("messy.journey", MESSY).file("clean.journey", CLEAN);
    let run = fixture.run(&["fmt", "--check", "."]);
    assert_eq!(fs::read(fixture.dir.join("messy.journey")).unwrap(), MESSY);
    snapshot!("fmt_check", run.transcript());
}

#[test]
fn fmt_leaves_a_file_with_syntax_errors_as_it_is_and_formats_the_others() {
    let fixture = Fixture::new("fmt-syntax-error");
    fixture.file("a_messy.journey", MESSY).file("b_bad.journey", SYNTAX_ERROR).file("c_bytes.journey", INVALID_UTF8);
    let run = fixture.run(&["fmt", "."]);
    assert_eq!(run.code, Some(1), "{}", run.transcript());
    assert_eq!(fs::read(fixture.dir.join("b_bad.journey")).unwrap(), SYNTAX_ERROR);
    assert_eq!(fs::read(fixture.dir.join("c_bytes.journey")).unwrap(), INVALID_UTF8);
    assert_eq!(fs::read_to_string(fixture.dir.join("a_messy.journey")).unwrap(), MESSY_FORMATTED);
    snapshot!("fmt_syntax_error", run.transcript());
}

#[test]
fn fmt_keeps_a_byte_order_mark_and_ends_lines_with_line_feeds() {
    let fixture = Fixture::new("fmt-bom-crlf");
    let mut bom_crlf = b"\xEF\xBB\xBF".to_vec();
    bom_crlf.extend(with_line_ends(MESSY, "\r\n"));
    fixture.file("crlf.journey", &bom_crlf);
    let run = fixture.run(&["fmt", "crlf.journey"]);
    assert_eq!(run.code, Some(0), "{}", run.transcript());
    let expected = [b"\xEF\xBB\xBF".as_slice(), MESSY_FORMATTED.as_bytes()].concat();
    assert_eq!(fs::read(fixture.dir.join("crlf.journey")).unwrap(), expected);
}

#[test]
fn fmt_without_a_path_formats_the_current_directory_except_what_is_excluded() {
    let fixture = Fixture::new("fmt-default-path");
    fixture.file("a.journey", MESSY).file("skip/b.journey", MESSY);
    let run = fixture.run(&["fmt", "--exclude", "skip"]);
    assert_eq!(run.code, Some(0), "{}", run.transcript());
    assert_eq!(fs::read_to_string(fixture.dir.join("a.journey")).unwrap(), MESSY_FORMATTED);
    assert_eq!(fs::read(fixture.dir.join("skip/b.journey")).unwrap(), MESSY);
}

#[test]
fn fmt_of_a_path_that_does_not_exist_exits_with_code_2() {
    let fixture = Fixture::new("fmt-missing");
    let run = fixture.run(&["fmt", "nowhere.journey"]);
    assert_eq!(run.code, Some(2), "{}", run.transcript());
    assert!(
        run.stderr.starts_with("error: cannot read `nowhere.journey`: no such file or directory\n"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn fmt_replaces_the_file_a_symbolic_link_names_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = Fixture::new("fmt-link");
    fixture.file("real/messy.journey", MESSY);
    fs::set_permissions(fixture.dir.join("real/messy.journey"), fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("real/messy.journey", fixture.dir.join("link.journey")).unwrap();
    let run = fixture.run(&["fmt", "link.journey"]);
    assert_eq!(run.code, Some(0), "{}", run.transcript());
    assert!(fs::symlink_metadata(fixture.dir.join("link.journey")).unwrap().file_type().is_symlink());
    let real = fixture.dir.join("real/messy.journey");
    assert_eq!(fs::read_to_string(&real).unwrap(), MESSY_FORMATTED);
    assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = fs::read_dir(fixture.dir.join("real")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["messy.journey"], "no temporary file is left behind");
}

#[test]
fn check_fix_applies_the_safe_suggestions_keeps_the_byte_order_mark_and_leaves_the_rest() {
    let fixture = Fixture::new("fix");
    // A unit apart from its number and two `->` outcomes are safe to fix; `welcom` for the
    // message `welcome` is a guess, left to a person.
    let before = "\u{feff}message welcome on sms as service {\n  text \"Hi\"\n}\n\njourney x {\n  stage a {\n    ask welcom timeout 1 d {\n      yes -> goto a\n      timeout -> exit\n    }\n  }\n}\n";
    fixture.file("a.journey", before.as_bytes());
    let run = fixture.run(&["check", "--fix", "--format", "short", "a.journey"]);
    let after = fs::read_to_string(fixture.dir.join("a.journey")).unwrap();
    let expected = before.replace("1 d", "1d").replace(" -> ", " => ");
    assert_eq!(after, expected);
    assert!(after.starts_with('\u{feff}'));
    assert!(after.contains("ask welcom "), "the unsafe guess is not applied");
    assert!(run.stderr.starts_with("fixed 3 problems in 1 file\n"), "{}", run.stderr);
    // What is left is reported, as by a plain check of the fixed file.
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, fixture.run(&["check", "--format", "short", "a.journey"]).stdout);
    assert!(run.stdout.contains("welcom"), "{}", run.stdout);
    // Nothing left to fix: the file stays byte for byte.
    let again = fixture.run(&["check", "--fix", "--format", "short", "a.journey"]);
    assert!(!again.stderr.contains("fixed"), "{}", again.stderr);
    assert_eq!(fs::read_to_string(fixture.dir.join("a.journey")).unwrap(), expected);
}

#[test]
fn check_fix_refuses_standard_input() {
    let fixture = Fixture::new("fix-stdin");
    let run = run_with_stdin(&fixture, &["check", "--fix", "-"], SYNTAX_ERROR);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("`--fix` writes files"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// init, completions and the man page

#[test]
fn init_writes_a_project_that_checks_clean_and_is_formatted() {
    let fixture = Fixture::new("init");
    let run = fixture.run(&["init", "shop"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "created shop/journey.toml\ncreated shop/main.journey\nnext: journey check shop\n");
    assert!(fs::read_to_string(fixture.dir.join("shop/journey.toml")).unwrap().contains("name = \"shop\""));
    let check = fixture.run(&["check", "--deny", "warnings", "shop"]);
    assert_eq!(check.code, Some(0), "{}{}", check.stdout, check.stderr);
    let fmt = fixture.run(&["fmt", "--check", "shop"]);
    assert_eq!(fmt.code, Some(0), "{}", fmt.stdout);
}

#[test]
fn init_overwrites_nothing_and_writes_nothing_when_a_file_exists() {
    let fixture = Fixture::new("init-exists");
    fixture.file("shop/main.journey", SYNTAX_ERROR);
    let run = fixture.run(&["init", "--name", "acme", "shop"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stderr, "error: `shop/main.journey` exists already; nothing was written\n");
    assert!(!fixture.dir.join("shop/journey.toml").exists());
    assert_eq!(fs::read(fixture.dir.join("shop/main.journey")).unwrap(), SYNTAX_ERROR);
}

#[test]
fn completions_and_the_man_page_cover_every_subcommand() {
    use clap::CommandFactory;
    let fixture = Fixture::new("completions");
    let names: Vec<String> =
        journey::args::Cli::command().get_subcommands().map(|command| command.get_name().to_owned()).collect();
    assert!(names.len() >= 10, "{names:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = fixture.run(&["completions", shell]);
        assert_eq!(run.code, Some(0), "{shell}: {}", run.stderr);
        for name in &names {
            assert!(run.stdout.contains(name.as_str()), "{shell} completes `{name}`");
        }
        assert!(run.stdout.contains("stdin-filename"), "{shell} completes check's flags");
    }
    let man = fixture.run(&["manpage"]);
    assert_eq!(man.code, Some(0));
    assert!(man.stdout.starts_with(".ie"), "roff");
    assert!(man.stdout.contains(".TH journey 1"), "{}", &man.stdout[..200]);
    for name in &names {
        assert!(man.stdout.contains(&format!("journey\\-{}", name.replace('-', "\\-"))), "the man page names `{name}`");
    }
    assert_eq!(fixture.run(&["completions", "tcsh"]).code, Some(2), "an unknown shell is a usage error");
}

// ---------------------------------------------------------------------------------------------
// explain and --version

#[test]
fn explain_prints_a_non_empty_explanation_for_every_code() {
    let fixture = Fixture::new("explain-all");
    for code in Code::ALL {
        let run = fixture.run(&["explain", code.as_str()]);
        assert_eq!(run.code, Some(0), "{code}");
        assert_eq!(run.stdout.trim_end(), code.explanation().trim_end(), "{code}");
        assert!(!run.stdout.trim().is_empty(), "{code}");
    }
}

#[test]
fn explain_accepts_lower_case_codes() {
    let fixture = Fixture::new("explain-lower");
    let run = fixture.run(&["explain", "j0101"]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout.trim_end(), Code::J0101.explanation().trim_end());
}

#[test]
fn explain_of_an_unknown_code_exits_with_code_2_and_names_the_valid_range() {
    let fixture = Fixture::new("explain-unknown");
    let run = fixture.run(&["explain", "J9999"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    let first = Code::ALL.first().unwrap().as_str();
    let last = Code::ALL.last().unwrap().as_str();
    assert!(run.stderr.contains("unknown diagnostic code `J9999`"), "{}", run.stderr);
    assert!(run.stderr.contains(first) && run.stderr.contains(last), "{}", run.stderr);
}

#[test]
fn explain_without_a_code_exits_with_code_2() {
    let fixture = Fixture::new("explain-nothing");
    assert_eq!(fixture.run(&["explain"]).code, Some(2));
}

#[test]
fn explain_list_prints_every_code_with_its_title() {
    let fixture = Fixture::new("explain-list");
    let run = fixture.run(&["explain", "--list"]);
    assert_eq!(run.code, Some(0));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), Code::ALL.len());
    for (line, code) in lines.iter().zip(Code::ALL) {
        assert!(line.starts_with(code.as_str()), "{line}");
        assert!(line.ends_with(code.title()), "{line}");
    }
}

#[test]
fn version_flag_prints_the_name_the_version_and_the_commit_it_was_built_from() {
    let fixture = Fixture::new("version");
    let run = fixture.run(&["--version"]);
    assert_eq!(run.code, Some(0));
    // Asked of git independently of build.rs: in a checkout the commit must be there.
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8(output.stdout).unwrap().trim().to_owned());
    let expected = match commit {
        Some(commit) => format!("journey {} ({commit})\n", env!("CARGO_PKG_VERSION")),
        None => format!("journey {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(run.stdout, expected);
}

// ---------------------------------------------------------------------------------------------
// Documentation

#[test]
fn the_diagnostics_doc_lists_every_code_with_its_title() {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md")).unwrap();
    // Rows of the codes table start `| J0101 |`; the ranges table's `| J01xx |` does not match.
    let rows: Vec<&str> = doc
        .lines()
        .filter(|line| line.starts_with("| J") && line.get(3..7).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .collect();
    let expected: Vec<String> = Code::ALL
        .iter()
        .map(|code| format!("| {code} | {} | {} |", code.title(), code.default_severity().as_str()))
        .collect();
    assert_eq!(rows, expected, "docs/diagnostics.md's table of codes differs from compiler/src/codes.rs");
}
