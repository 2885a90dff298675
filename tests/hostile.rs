//! Hostile inputs: bad input never crashes, hangs or reports nonsense.
//!
//! Every case in `tests/hostile/expected.txt` is run through the real binary as
//! `journey check --format json FILE`, with a wall-clock limit, and its exit code, diagnostic codes
//! and spans are checked against the manifest. The same files then go through the rich and short
//! renderers, and `journey fmt` formats each (once for all) or leaves it untouched. Cases too big
//! to check in are generated into a temporary directory from the recipes below.
//! `tests/hostile/README.md` explains the corpus and how to add a case.
//!
//! Every test collects all failing cases before it fails, so one run shows the whole picture.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The corpus may grow but never shrink below this (checked-in plus generated cases).
const MIN_CASES: usize = 60;

/// Wall-clock limit per run of an optimized binary (`cargo test --release`): every case in under a
/// second. `JOURNEY_HOSTILE_TIMEOUT_MS` overrides it for slow machines
/// (sanitizers, valgrind).
const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// An unoptimized binary (plain `cargo test`) is about 8x slower on the largest cases (an 8 MiB
/// file: 0.33 s release, 2.7 s debug), so debug builds get this many times the limit. That still
/// catches hangs and exponential blow-ups; the one-second budget itself is enforced in release.
const DEBUG_SLOWDOWN: u64 = 10;

/// Most bytes `--format rich` may print for one case. Diagnostics are capped at 1,000 per file
/// and each shows at most a 200-column window of its line, so about 1 KB each; before the window,
/// one 4 MiB line printed in full per diagnostic made 4.2 GB.
const MAX_RICH_OUTPUT: usize = 1_000_000;

/// Manifest names under this prefix are built by [`generated_cases`], not read from the corpus.
const GENERATED: &str = "generated/";

const MANIFEST: &str = "expected.txt";

/// Files in the corpus directory that are not cases.
const NOT_CASES: &[&str] = &[MANIFEST, "README.md"];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("tests").join("hostile")
}

fn timeout() -> Duration {
    let ms = std::env::var("JOURNEY_HOSTILE_TIMEOUT_MS").ok().and_then(|v| v.trim().parse::<u64>().ok());
    let ms =
        ms.unwrap_or(if cfg!(debug_assertions) { DEFAULT_TIMEOUT_MS * DEBUG_SLOWDOWN } else { DEFAULT_TIMEOUT_MS });
    Duration::from_millis(ms)
}

// ------------------------------------------------------------------------------------------------
// The manifest

/// One line of `expected.txt`.
#[derive(Debug, Clone)]
struct Expected {
    name: String,
    exit: i32,
    /// A diagnostic whose code starts with this must be reported; `None` for `-`.
    code: Option<String>,
}

fn read_manifest() -> Result<Vec<Expected>, Vec<String>> {
    let path = corpus_dir().join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| vec![format!("cannot read {}: {e}", path.display())])?;
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (name, exit, code) = match fields.as_slice() {
            [name, exit, code] => (*name, *exit, *code),
            _ => {
                errors.push(format!("{MANIFEST}:{}: expected `name exit code`, got `{line}`", number + 1));
                continue;
            }
        };
        let exit = match exit.parse::<i32>() {
            Ok(exit @ 0..=2) => exit,
            _ => {
                errors.push(format!("{MANIFEST}:{}: exit code must be 0, 1 or 2, got `{exit}`", number + 1));
                continue;
            }
        };
        let code = match code {
            "-" => None,
            code if code.starts_with('J') && code.len() >= 3 && code.len() <= 5 => Some(code.to_owned()),
            code => {
                errors.push(format!(
                    "{MANIFEST}:{}: code must be `-` or a prefix like `J0113`, got `{code}`",
                    number + 1
                ));
                continue;
            }
        };
        if exit == 0 && code.is_some() {
            errors.push(format!("{MANIFEST}:{}: a case expected to pass cannot require a code", number + 1));
        }
        if exit == 1 && code.is_none() {
            errors.push(format!("{MANIFEST}:{}: a case expected to fail must name the code it fails with", number + 1));
        }
        if !seen.insert(name.to_owned()) {
            errors.push(format!("{MANIFEST}:{}: `{name}` is listed twice", number + 1));
        }
        cases.push(Expected { name: name.to_owned(), exit, code });
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

// ------------------------------------------------------------------------------------------------
// Generated cases: too big, too deep or too odd to check in

/// How to build one generated case.
enum Recipe {
    /// A file with these bytes.
    Bytes(fn() -> Vec<u8>),
    /// A path that does not exist.
    Missing,
    /// A path that is a directory.
    Directory,
}

const MIB: usize = 1024 * 1024;
const MAX_SOURCE_BYTES: usize = 8 * MIB; // compiler/src/limits.rs

/// The same minimal valid file as the checked-in `*-valid` cases.
const VALID: &str = "\
// A minimal valid journey file.
profile {
  vip: bool
  tier: int
}

event signed_up { plan: text }

journey onboarding {
  entry on signed_up
  stage welcome {
    wait 1d
    track \"welcome\"
    exit
  }
}
";

/// Declarations for the generated journeys, like `HEAD` in the checked-in ones.
const HEAD: &str = "\
profile {
  vip: bool
  tier: int
}

event signed_up { plan: text }

";

fn generated_cases() -> Vec<(&'static str, Recipe)> {
    vec![
        ("generated/size-10mb.journey", Recipe::Bytes(size_10mb)),
        ("generated/size-max-plus-1.journey", Recipe::Bytes(size_max_plus_1)),
        ("generated/size-max-exact.journey", Recipe::Bytes(size_max_exact)),
        ("generated/size-line-1mib-comment.journey", Recipe::Bytes(line_1mib_comment)),
        ("generated/size-line-1mib-garbage.journey", Recipe::Bytes(line_1mib_garbage)),
        ("generated/size-string-1mib.journey", Recipe::Bytes(string_1mib)),
        ("generated/size-ident-1mib.journey", Recipe::Bytes(ident_1mib)),
        ("generated/size-100k-lines.journey", Recipe::Bytes(lines_100k)),
        ("generated/size-100k-close-braces.journey", Recipe::Bytes(close_braces_100k)),
        ("generated/size-100k-bad-lines.journey", Recipe::Bytes(bad_lines_100k)),
        ("generated/size-max-close-brace-lines.journey", Recipe::Bytes(close_brace_lines_max)),
        ("generated/size-line-4mib-close-braces.journey", Recipe::Bytes(close_braces_line_4mib)),
        ("generated/names-3000-long-unknown.journey", Recipe::Bytes(long_unknown_names_3000)),
        ("generated/nest-brace-100k.journey", Recipe::Bytes(braces_100k)),
        ("generated/nest-brace-100k-unclosed.journey", Recipe::Bytes(braces_100k_unclosed)),
        ("generated/nest-paren-100k.journey", Recipe::Bytes(parens_100k)),
        ("generated/nest-bracket-100k.journey", Recipe::Bytes(brackets_100k)),
        ("generated/nest-interp-10k.journey", Recipe::Bytes(interpolation_10k)),
        ("generated/nest-else-if-5000.journey", Recipe::Bytes(else_if_5000)),
        ("generated/io-missing-file.journey", Recipe::Missing),
        ("generated/io-directory.journey", Recipe::Directory),
    ]
}

/// `VALID` followed by comment lines, exactly `total` bytes long.
fn valid_padded_to(total: usize) -> Vec<u8> {
    let mut out = VALID.as_bytes().to_vec();
    let line = format!("// {}\n", "x".repeat(76));
    while total.saturating_sub(out.len()) >= 2 * line.len() {
        out.extend_from_slice(line.as_bytes());
    }
    let rest = total.saturating_sub(out.len());
    if rest >= 4 {
        out.extend_from_slice(format!("// {}\n", "x".repeat(rest - 4)).as_bytes());
    } else {
        out.extend(std::iter::repeat_n(b'\n', rest));
    }
    out
}

fn size_10mb() -> Vec<u8> {
    valid_padded_to(10_000_000)
}

fn size_max_plus_1() -> Vec<u8> {
    valid_padded_to(MAX_SOURCE_BYTES + 1)
}

fn size_max_exact() -> Vec<u8> {
    valid_padded_to(MAX_SOURCE_BYTES)
}

fn line_1mib_comment() -> Vec<u8> {
    format!("{VALID}// {}\n", "x".repeat(MIB)).into_bytes()
}

fn line_1mib_garbage() -> Vec<u8> {
    let mut out = "x ".repeat(MIB / 2);
    out.push('\n');
    out.into_bytes()
}

fn journey_with(steps: &str) -> String {
    format!("{HEAD}journey onboarding {{\n  entry on signed_up\n  stage welcome {{\n{steps}  }}\n}}\n")
}

fn string_1mib() -> Vec<u8> {
    journey_with(&format!("    wait 1d\n    track \"{}\"\n    exit\n", "x".repeat(MIB))).into_bytes()
}

fn ident_1mib() -> Vec<u8> {
    VALID.replace("journey onboarding", &format!("journey {}", "j".repeat(MIB))).into_bytes()
}

fn lines_100k() -> Vec<u8> {
    let mut out = String::from(VALID);
    for i in 0..100_000 {
        out.push_str(&format!("event e{i:06}\n"));
    }
    out.into_bytes()
}

fn close_braces_100k() -> Vec<u8> {
    "}\n".repeat(100_000).into_bytes()
}

/// Exactly the size limit of `}` lines: a J0103 on every line.
fn close_brace_lines_max() -> Vec<u8> {
    "}\n".repeat(MAX_SOURCE_BYTES / 2).into_bytes()
}

/// One 4 MiB line of `} `: every diagnostic is on the same line.
fn close_braces_line_4mib() -> Vec<u8> {
    "} ".repeat(2 * MIB).into_bytes()
}

/// 3,000 messages with 246-byte names that differ only at both ends, and 3,000 sends of names
/// nobody declared that look just like them: "did you mean" at its most expensive (once
/// 30-75 s; now bounded by the check's suggestion budget).
fn long_unknown_names_3000() -> Vec<u8> {
    let name = |stem: String, i: usize| {
        let mut name = stem;
        while name.len() < 240 {
            name.push('b');
        }
        format!("{name}_{i:05}")
    };
    let mut text = String::from("import \"std/channels\"\nimport \"std/events\"\n");
    for i in 0..3000 {
        text.push_str(&format!("message {} on sms as service {{\n  text \"hi\"\n}}\n", name(format!("d{i}"), i)));
    }
    text.push_str("journey many {\n  entry on sms_message\n  stage s {\n");
    for i in 0..3000 {
        text.push_str(&format!("    send {}\n", name(format!("u{i}"), i + 7)));
    }
    text.push_str("    exit\n  }\n}\n");
    text.into_bytes()
}

fn bad_lines_100k() -> Vec<u8> {
    journey_with(&"    sned welcome\n".repeat(100_000)).into_bytes()
}

fn braces_100k() -> Vec<u8> {
    journey_with(&format!("    {}{}\n", "{".repeat(100_000), "}".repeat(100_000))).into_bytes()
}

fn braces_100k_unclosed() -> Vec<u8> {
    "{".repeat(100_000).into_bytes()
}

fn parens_100k() -> Vec<u8> {
    format!("{HEAD}segment deep = {}vip{}\n", "(".repeat(100_000), ")".repeat(100_000)).into_bytes()
}

fn brackets_100k() -> Vec<u8> {
    format!("{HEAD}segment deep = tier in {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()
}

fn interpolation_10k() -> Vec<u8> {
    // "{first_name ?? "{first_name ?? "x"}"}" nested 10,000 deep.
    let depth = 10_000;
    let mut text = String::new();
    for _ in 0..depth {
        text.push_str("\"{first_name ?? ");
    }
    text.push_str("\"x\"");
    for _ in 0..depth {
        text.push_str("}\"");
    }
    format!("message deep on sms as service {{\n  text {text}\n}}\n").into_bytes()
}

fn else_if_5000() -> Vec<u8> {
    let mut steps = String::from("    if tier == 0 {\n      wait 1d\n");
    for i in 1..5000 {
        steps.push_str(&format!("    }} else if tier == {i} {{\n      wait {}d\n", i % 9 + 1));
    }
    steps.push_str("    } else {\n      exit\n    }\n    exit\n");
    journey_with(&steps).into_bytes()
}

// ------------------------------------------------------------------------------------------------
// The corpus on disk

/// One case ready to run: the path handed to the binary and the bytes it holds.
struct Case {
    expected: Expected,
    path: PathBuf,
    /// Empty for the I/O cases.
    bytes: Vec<u8>,
}

/// A temporary directory for generated cases, removed when the test passes.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Directories of failed runs are kept for inspection; those over an hour old are removed
    /// here, so they do not pile up (a run in progress elsewhere is younger than that).
    fn new(test: &str) -> Result<Scratch, String> {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let prefix = format!("hostile-{test}-");
        for entry in fs::read_dir(root).into_iter().flatten().flatten() {
            let stale = entry.file_name().to_string_lossy().starts_with(&prefix)
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(3600)));
            if stale {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        let dir = root.join(format!("{prefix}{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Scratch { dir })
    }

    fn remove(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Reads the manifest, writes the generated cases into `scratch`, and pairs every manifest line
/// with its file. Problems with the corpus itself (a file without a line, a line without a file)
/// are returned as failures.
fn load_cases(scratch: &Scratch) -> (Vec<Case>, Vec<String>) {
    let manifest = match read_manifest() {
        Ok(manifest) => manifest,
        Err(errors) => return (Vec::new(), errors),
    };
    let mut problems = Vec::new();
    let recipes = generated_cases();
    let mut cases = Vec::new();
    for expected in manifest {
        if let Some(file_name) = expected.name.strip_prefix(GENERATED) {
            let Some((_, recipe)) = recipes.iter().find(|(name, _)| *name == expected.name) else {
                problems.push(format!(
                    "{}: listed in {MANIFEST} but there is no recipe in tests/hostile.rs",
                    expected.name
                ));
                continue;
            };
            let path = scratch.dir.join(file_name);
            let bytes = match recipe {
                Recipe::Bytes(make) => {
                    let bytes = make();
                    if let Err(e) = fs::write(&path, &bytes) {
                        problems.push(format!("{}: cannot write {}: {e}", expected.name, path.display()));
                        continue;
                    }
                    bytes
                }
                Recipe::Missing => Vec::new(),
                Recipe::Directory => {
                    if let Err(e) = fs::create_dir_all(&path) {
                        problems.push(format!("{}: cannot create {}: {e}", expected.name, path.display()));
                        continue;
                    }
                    Vec::new()
                }
            };
            cases.push(Case { expected, path, bytes });
        } else {
            let path = corpus_dir().join(&expected.name);
            match fs::read(&path) {
                Ok(bytes) => cases.push(Case { expected, path, bytes }),
                Err(e) => problems.push(format!("{}: listed in {MANIFEST} but cannot be read: {e}", expected.name)),
            }
        }
    }
    for (name, _) in &recipes {
        if !cases.iter().any(|case| case.expected.name == *name) {
            problems.push(format!("{name}: has a recipe in tests/hostile.rs but no line in {MANIFEST}"));
        }
    }
    match fs::read_dir(corpus_dir()) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if NOT_CASES.contains(&name.as_str()) {
                    continue;
                }
                if !cases.iter().any(|case| case.expected.name == name) {
                    problems.push(format!("{name}: a file in tests/hostile/ with no line in {MANIFEST}"));
                }
            }
        }
        Err(e) => problems.push(format!("cannot list {}: {e}", corpus_dir().display())),
    }
    (cases, problems)
}

// ------------------------------------------------------------------------------------------------
// Running the binary

struct Run {
    /// `None` when the child was killed for running over the limit.
    status: Option<ExitStatus>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
}

/// Runs `journey ARGS PATH` with `NO_COLOR=1`, killing it after `limit`. Output is drained on
/// threads so a chatty child can never block on a full pipe and look like a hang.
fn run_journey(args: &[&str], path: &Path, limit: Duration) -> Result<Run, String> {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_journey"))
        .args(args)
        .arg(path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", env!("CARGO_BIN_EXE_journey")))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buffer = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buffer);
            }
            buffer
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot wait for the child: {e}"));
            }
        }
    };
    let elapsed = start.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Run { status, stdout, stderr, elapsed })
}

/// The exit code, or a description of the crash, hang or signal.
fn exit_code(run: &Run, limit: Duration) -> Result<i32, String> {
    let Some(status) = run.status else {
        return Err(format!("timed out: still running after {} ms and killed", limit.as_millis()));
    };
    match status.code() {
        Some(101) => Err(format!("PANICKED (exit 101): {}", excerpt(&run.stderr))),
        Some(134) => Err(format!("ABORTED (exit 134, stack overflow?): {}", excerpt(&run.stderr))),
        Some(139) => Err(format!("SEGFAULT (exit 139): {}", excerpt(&run.stderr))),
        Some(code) => Ok(code),
        None => Err(format!("killed by {}: {}", signal_name(&status), excerpt(&run.stderr))),
    }
}

#[cfg(unix)]
fn signal_name(status: &ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(6) => "SIGABRT (stack overflow?)".to_owned(),
        Some(9) => "SIGKILL (out of memory?)".to_owned(),
        Some(11) => "SIGSEGV".to_owned(),
        Some(n) => format!("signal {n}"),
        None => "an unknown signal".to_owned(),
    }
}

#[cfg(not(unix))]
fn signal_name(_status: &ExitStatus) -> String {
    "a signal".to_owned()
}

/// The first few hundred characters of some output, on one line.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push_str(" …");
    }
    short.replace('\n', " ⏎ ")
}

// ------------------------------------------------------------------------------------------------
// Checking the JSON report

/// Checks one `--format json` run against the case's expectations; returns what is wrong.
fn check_json_report(case: &Case, code: i32, stdout: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    let expected = &case.expected;
    if code != expected.exit {
        problems.push(format!("exit code {code}, expected {}", expected.exit));
    }
    let report: Value = match serde_json::from_slice(stdout) {
        Ok(report) => report,
        Err(e) => {
            // A usage or I/O error may print no JSON report at all.
            if code != 2 {
                problems.push(format!("stdout is not a JSON report ({e}): {}", excerpt(stdout)));
            }
            return problems;
        }
    };
    let Some(diagnostics) = report.get("diagnostics").and_then(Value::as_array) else {
        problems.push(format!("JSON report has no `diagnostics` array: {}", excerpt(stdout)));
        return problems;
    };
    let codes: Vec<&str> = diagnostics.iter().filter_map(|d| d.get("code").and_then(Value::as_str)).collect();
    if let Some(prefix) = &expected.code {
        if !codes.iter().any(|c| c.starts_with(prefix.as_str())) {
            problems.push(format!("no {prefix} diagnostic; reported {}", describe_codes(diagnostics)));
        }
    }
    if code == 1 && diagnostics.is_empty() {
        problems.push("exit code 1 with no diagnostic".to_owned());
    }
    if code == 0 {
        let errors: Vec<&Value> =
            diagnostics.iter().filter(|d| d.get("severity").and_then(Value::as_str) == Some("error")).collect();
        if !errors.is_empty() {
            problems.push(format!("exit code 0 with error diagnostics: {}", describe_codes(diagnostics)));
        }
    }
    let file_name = case.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for diagnostic in diagnostics {
        // Labels in other files (say, the standard library) are not checked against this file.
        let ours = match diagnostic.get("file").and_then(Value::as_str) {
            Some(file) => file.ends_with(file_name.as_str()),
            None => true,
        };
        if ours {
            check_spans(diagnostic, None, case, &mut problems);
        }
    }
    problems
}

fn describe_codes(diagnostics: &[Value]) -> String {
    if diagnostics.is_empty() {
        return "nothing".to_owned();
    }
    let list: Vec<String> = diagnostics
        .iter()
        .take(8)
        .map(|d| {
            let code = d.get("code").and_then(Value::as_str).unwrap_or("?");
            let message = d.get("message").and_then(Value::as_str).unwrap_or("");
            format!("{code} `{}`", message.chars().take(80).collect::<String>())
        })
        .collect();
    let more = diagnostics.len().saturating_sub(list.len());
    if more > 0 {
        format!("{} and {more} more", list.join(", "))
    } else {
        list.join(", ")
    }
}

/// Walks a diagnostic and checks every `"span": {"start", "end"}` that belongs to this file:
/// in bounds, ordered and, for UTF-8 files without a BOM (where text offsets are file offsets), on
/// character boundaries.
fn check_spans(value: &Value, key: Option<&str>, case: &Case, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if key == Some("span") {
                check_span(map, case, problems);
                return;
            }
            let file_name = case.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if let Some(file) = map.get("file").and_then(Value::as_str) {
                if !file.ends_with(file_name.as_str()) {
                    return;
                }
            }
            for (k, v) in map {
                check_spans(v, Some(k), case, problems);
            }
        }
        Value::Array(items) => {
            for item in items {
                check_spans(item, key, case, problems);
            }
        }
        _ => {}
    }
}

fn check_span(span: &serde_json::Map<String, Value>, case: &Case, problems: &mut Vec<String>) {
    let start = span.get("start").and_then(Value::as_u64);
    let end = span.get("end").and_then(Value::as_u64);
    let (Some(start), Some(end)) = (start, end) else {
        problems.push(format!("span without numeric start and end: {}", Value::Object(span.clone())));
        return;
    };
    let len = case.bytes.len() as u64;
    if start > end || end > len {
        problems.push(format!("span {start}..{end} is outside the file ({len} bytes)"));
        return;
    }
    if !case.bytes.starts_with(b"\xEF\xBB\xBF") {
        if let Ok(text) = std::str::from_utf8(&case.bytes) {
            for at in [start, end] {
                if !text.is_char_boundary(at as usize) {
                    problems.push(format!("span {start}..{end}: {at} is inside a character"));
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The tests

fn report(test: &str, total: usize, failures: &[String]) -> String {
    format!(
        "{test}: {} of {total} hostile cases failed (see tests/hostile/README.md):\n{}",
        failures.len(),
        failures.join("\n")
    )
}

/// Every case: expected exit code, never a crash or hang, the expected code, spans in bounds.
#[test]
fn hostile_inputs_give_the_expected_diagnostics() {
    let scratch = match Scratch::new("json") {
        Ok(scratch) => scratch,
        Err(e) => panic!("{e}"),
    };
    let (cases, mut failures) = load_cases(&scratch);
    let limit = timeout();
    for case in &cases {
        let expected = &case.expected;
        let wanted = format!("exit {} {}", expected.exit, expected.code.as_deref().unwrap_or("-"));
        let run = match run_journey(&["check", "--format", "json"], &case.path, limit) {
            Ok(run) => run,
            Err(e) => {
                failures.push(format!("  {} (want {wanted}): {e}", expected.name));
                continue;
            }
        };
        let problems = match exit_code(&run, limit) {
            Ok(code) => check_json_report(case, code, &run.stdout),
            Err(crash) => vec![crash],
        };
        if !problems.is_empty() {
            failures.push(format!(
                "  {} (want {wanted}, took {} ms): {}",
                expected.name,
                run.elapsed.as_millis(),
                problems.join("; ")
            ));
        }
    }
    let ok = failures.is_empty();
    if ok {
        scratch.remove();
    }
    assert!(ok, "{}", report("journey check --format json", cases.len(), &failures));
}

/// Every case through the human renderers: no crash, no hang, a normal exit code, and with
/// `NO_COLOR=1` not one escape byte (a source file must never inject terminal escapes).
#[test]
fn hostile_inputs_render_without_crashing() {
    let scratch = match Scratch::new("render") {
        Ok(scratch) => scratch,
        Err(e) => panic!("{e}"),
    };
    let (cases, mut failures) = load_cases(&scratch);
    let limit = timeout();
    for format in ["rich", "short"] {
        for case in &cases {
            let name = &case.expected.name;
            let run = match run_journey(&["check", "--format", format], &case.path, limit) {
                Ok(run) => run,
                Err(e) => {
                    failures.push(format!("  {name} --format {format}: {e}"));
                    continue;
                }
            };
            let mut problems = Vec::new();
            match exit_code(&run, limit) {
                Ok(0..=2) => {}
                Ok(code) => problems.push(format!("exit code {code}, expected 0, 1 or 2")),
                Err(crash) => problems.push(crash),
            }
            for (stream, bytes) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                if bytes.contains(&0x1B) {
                    problems.push(format!("ESC byte in {stream} despite NO_COLOR=1"));
                }
            }
            let printed = run.stdout.len() + run.stderr.len();
            if format == "rich" && printed > MAX_RICH_OUTPUT {
                problems.push(format!("{printed} bytes of output, more than {MAX_RICH_OUTPUT}"));
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "  {name} --format {format} (took {} ms): {}",
                    run.elapsed.as_millis(),
                    problems.join("; ")
                ));
            }
        }
    }
    let ok = failures.is_empty();
    if ok {
        scratch.remove();
    }
    assert!(ok, "{}", report("journey check --format rich/short", cases.len() * 2, &failures));
}

/// `journey fmt` works on three passes over the text (parse, format, parse the result to compare),
/// so it gets this many times the limit of one `journey check`.
const FMT_SLOWDOWN: u32 = 3;

/// Every case through `journey fmt`, on a copy: no crash and no hang. A case that parses is
/// formatted (exit 0) and is then a fixed point (`journey fmt --check` exits 0 on the result); a
/// case that does not is left byte for byte as it was (exit 1); the I/O cases exit 2.
#[test]
fn hostile_inputs_are_formatted_to_a_fixed_point_or_left_untouched() {
    let scratch = match Scratch::new("fmt") {
        Ok(scratch) => scratch,
        Err(e) => panic!("{e}"),
    };
    let (cases, mut failures) = load_cases(&scratch);
    let limit = timeout() * FMT_SLOWDOWN;
    let copies = scratch.dir.join("formatted");
    if let Err(e) = fs::create_dir_all(&copies) {
        panic!("cannot create {}: {e}", copies.display());
    }
    for case in &cases {
        let name = &case.expected.name;
        let io_case = case.expected.exit == 2;
        let path = if io_case {
            case.path.clone()
        } else {
            let copy = copies.join(name.replace('/', "_"));
            if let Err(e) = fs::write(&copy, &case.bytes) {
                failures.push(format!("  {name}: cannot write {}: {e}", copy.display()));
                continue;
            }
            copy
        };
        let mut problems = Vec::new();
        match run_journey(&["fmt"], &path, limit).and_then(|run| exit_code(&run, limit).map(|code| (code, run))) {
            Err(e) => problems.push(e),
            Ok((2, _)) if io_case => {}
            Ok((code, run)) if io_case => {
                problems.push(format!("exit code {code}, expected 2: {}", excerpt(&run.stderr)))
            }
            Ok((0, _)) => match run_journey(&["fmt", "--check"], &path, limit) {
                Ok(again) => match exit_code(&again, limit) {
                    Ok(0) => {}
                    Ok(code) => problems.push(format!(
                        "not a fixed point: `fmt --check` exits {code} after `fmt`: {}",
                        excerpt(&again.stdout)
                    )),
                    Err(e) => problems.push(format!("fmt --check: {e}")),
                },
                Err(e) => problems.push(format!("fmt --check: {e}")),
            },
            Ok((1, run)) => {
                if fs::read(&path).ok().as_deref() != Some(case.bytes.as_slice()) {
                    problems.push(format!("refused (exit 1) but the file changed: {}", excerpt(&run.stderr)));
                }
                if !run.stderr.windows(b"as it is".len()).any(|w| w == b"as it is") {
                    problems.push(format!("refused without saying why: {}", excerpt(&run.stderr)));
                }
            }
            Ok((code, run)) => problems.push(format!("exit code {code}: {}", excerpt(&run.stderr))),
        }
        if !problems.is_empty() {
            failures.push(format!("  {name}: {}", problems.join("; ")));
        }
    }
    let ok = failures.is_empty();
    if ok {
        scratch.remove();
    }
    assert!(ok, "{}", report("journey fmt", cases.len(), &failures));
}

/// The corpus is consistent (every file has a manifest line and the reverse) and does not shrink.
#[test]
fn hostile_corpus_is_complete() {
    let manifest = match read_manifest() {
        Ok(manifest) => manifest,
        Err(errors) => panic!("{MANIFEST} is malformed:\n{}", errors.join("\n")),
    };
    let mut problems = Vec::new();
    let recipes = generated_cases();
    for (name, _) in &recipes {
        if !manifest.iter().any(|e| e.name == *name) {
            problems.push(format!("{name}: has a recipe in tests/hostile.rs but no line in {MANIFEST}"));
        }
    }
    let mut checked_in = 0;
    for expected in &manifest {
        if expected.name.starts_with(GENERATED) {
            if !recipes.iter().any(|(name, _)| *name == expected.name) {
                problems.push(format!("{}: listed in {MANIFEST} but there is no recipe", expected.name));
            }
        } else if corpus_dir().join(&expected.name).is_file() {
            checked_in += 1;
        } else {
            problems.push(format!("{}: listed in {MANIFEST} but not in tests/hostile/", expected.name));
        }
    }
    match fs::read_dir(corpus_dir()) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !NOT_CASES.contains(&name.as_str()) && !manifest.iter().any(|e| e.name == name) {
                    problems.push(format!("{name}: a file in tests/hostile/ with no line in {MANIFEST}"));
                }
            }
        }
        Err(e) => problems.push(format!("cannot list {}: {e}", corpus_dir().display())),
    }
    let total = manifest.len();
    if total < MIN_CASES {
        problems
            .push(format!("only {total} cases ({checked_in} checked in); the corpus must keep at least {MIN_CASES}"));
    }
    assert!(problems.is_empty(), "hostile corpus:\n{}", problems.join("\n"));
}
