//! The rules travel with the project: every rule ID that the code, the standard library, the
//! `journey explain` texts or the docs cite (MSGR-WIN-1, TCPA-QH, ...) is defined in
//! `docs/rules.md`, and nothing points at files outside the repository (a directory beside the
//! clone, say), which a user who clones the repository does not have.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// Tokens shaped like rule IDs (capitals, a hyphen, capitals or digits) that are not rules.
const NOT_RULES: &[(&str, &str)] = &[
    ("UTF-8", "a text encoding"),
    ("UTF-16", "a text encoding (LSP positions, the UTF-16 source check)"),
    ("UCS-2", "an SMS encoding, counted by SMS-ENC"),
    ("GSM-7", "an SMS alphabet, counted by SMS-ENC"),
    ("WINDOWS-1252", "a legacy encoding the source decoder mentions"),
    ("SHA-256", "the hash of bundle sources"),
    ("JSON-RPC", "the language server's wire protocol"),
    ("CONTENT-LENGTH", "the language server's message header, which may come in any case"),
    ("CVE-2021-42574", "the Trojan Source advisory behind J0114"),
    ("LEFT-TO-RIGHT", "Unicode bidirectional control names (J0114)"),
    ("RIGHT-TO-LEFT", "Unicode bidirectional control names (J0114)"),
    ("US-FL", "ISO 3166-2 jurisdiction code of `policy { jurisdiction }` (Florida)"),
    ("US-TX", "ISO 3166-2 jurisdiction code (Texas)"),
    ("US-OR", "ISO 3166-2 jurisdiction code (Oregon)"),
    ("US-OK", "ISO 3166-2 jurisdiction code (Oklahoma)"),
    ("US-MD", "ISO 3166-2 jurisdiction code (Maryland)"),
];

/// Where rule IDs are cited: the code of every crate users run, the standard library, the
/// `journey explain` texts (under `compiler/src`), the docs and the examples.
const SCANNED_DIRS: &[&str] =
    &["compiler/src", "cli/src", "lsp/src", "host/src", "monitor/src", "stdlib", "docs", "examples"];
const SCANNED_FILES: &[&str] = &["README.md", "ARCHITECTURE.md"];
/// Also checked for paths that leave the repository (they cite no rules).
const PATH_ONLY: &[&str] =
    &[".ci", "tests", "compiler/tests", "lsp/tests", "lsp/benches", "compiler/benches", "bench", "tools"];
/// The old rules file and the directory beside the clone that held it, spelt in two pieces so
/// that this file does not mention them itself.
const OLD_RULES: &str = concat!("RULES", ".md");
const BESIDE: &str = concat!("shared", "/");
const TEXT_EXTENSIONS: &[&str] = &["rs", "md", "journey", "toml", "sh", "json", ""];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        // npm's installs (tools/map-browser/node_modules, ignored by git) are not the project's.
        if path.file_name().is_some_and(|name| name == "node_modules") {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out);
        } else {
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if TEXT_EXTENSIONS.contains(&extension) {
                out.push(path);
            }
        }
    }
}

fn scanned(parts: &[&str], files: &[&str]) -> Vec<PathBuf> {
    let root = root();
    let mut out = Vec::new();
    for dir in parts {
        files_under(&root.join(dir), &mut out);
    }
    out.extend(files.iter().map(|f| root.join(f)));
    out
}

/// The path as the repository names it, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Whether `token` looks like a rule ID: two or more capitals, then one or more `-` parts of
/// capitals and digits (`MSGR-WIN-1`, `IG-HA`, `BULK-2024`).
fn looks_like_rule_id(token: &str) -> bool {
    let mut parts = token.split('-');
    let head_ok = parts.next().is_some_and(|head| head.len() >= 2 && head.bytes().all(|b| b.is_ascii_uppercase()));
    let mut rest = 0;
    for part in parts {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return false;
        }
        rest += 1;
    }
    head_ok && rest > 0
}

/// The rule-ID-shaped tokens of `text` with their 1-based line: whole words made of letters,
/// digits, `_` and `-` (so `x-GSM-7-y` or `HUMAN_AGENT` are not IDs), hyphens at either end
/// trimmed (`TCPA-QH--` in a table).
fn rule_ids(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            let word = word.trim_matches('-');
            if looks_like_rule_id(word) {
                found.push((index + 1, word.to_owned()));
            }
        }
    }
    found
}

/// The IDs `docs/rules.md` defines: the first cell of each table row.
fn defined_ids(rules_md: &str) -> BTreeSet<String> {
    rules_md
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|row| row.split(" |").next())
        .map(|cell| cell.trim().trim_matches('*').to_owned())
        .filter(|cell| !cell.is_empty() && cell != "ID" && !cell.starts_with("--"))
        .collect()
}

/// `file:line: ID` for every ID of `text` that is neither defined nor allowed.
fn undefined(name: &str, text: &str, defined: &BTreeSet<String>) -> Vec<String> {
    rule_ids(text)
        .into_iter()
        .filter(|(_, id)| !defined.contains(id) && !NOT_RULES.iter().any(|(allowed, _)| allowed == id))
        .map(|(line, id)| format!("{name}:{line}: {id}"))
        .collect()
}

/// `file:line: why` for every mention of a file outside the repository in `text`, the file at
/// `path` (relative to the repository root): the old rules file and the directory beside the
/// clone by name, and Markdown links whose relative target climbs above the root.
fn escapes(path: &Path, text: &str) -> Vec<String> {
    let name = path.to_string_lossy().replace('\\', "/");
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", index + 1);
        for outside in [OLD_RULES, BESIDE] {
            if line.contains(outside) {
                found.push(format!("{at}: `{outside}` is not in the repository (rules are in docs/rules.md)"));
            }
        }
        if name.ends_with(".md") {
            for target in markdown_targets(line) {
                if leaves_root(path, target) {
                    found.push(format!("{at}: link `{target}` leaves the repository"));
                }
            }
        }
    }
    found
}

/// The targets of `[text](target)` links on a line.
fn markdown_targets(line: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        targets.push(rest[..end].trim());
        rest = &rest[end..];
    }
    targets
}

/// Whether a relative link target, read from the file at `path` (relative to the root), names
/// something above the repository root. URLs and anchors stay inside.
fn leaves_root(path: &Path, target: &str) -> bool {
    if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
        return false;
    }
    if target.starts_with('/') {
        return true;
    }
    let target = target.split('#').next().unwrap_or(target);
    let mut depth: i64 = 0;
    let base = path.parent().unwrap_or(Path::new(""));
    for component in base.join(target).components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn every_rule_id_the_repository_cites_is_defined_in_docs_rules_md() {
    let defined = defined_ids(&read(&root().join("docs/rules.md")));
    let files = scanned(SCANNED_DIRS, SCANNED_FILES);
    assert!(files.len() > 50, "the scan found only {} files", files.len());
    let mut problems = Vec::new();
    let mut cited = 0;
    for path in &files {
        let text = read(path);
        cited += rule_ids(&text).len();
        problems.extend(undefined(&shown(path), &text, &defined));
    }
    assert!(cited > 100, "only {cited} rule IDs found: is the scan looking at the right files?");
    assert!(problems.is_empty(), "rule IDs not defined in docs/rules.md:\n{}", problems.join("\n"));
}

#[test]
fn nothing_in_the_repository_points_outside_it() {
    let mut files = scanned(SCANNED_DIRS, SCANNED_FILES);
    files.extend(scanned(PATH_ONLY, &[]));
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(root()).unwrap_or(path).to_path_buf();
        problems.extend(escapes(&relative, &read(path)));
    }
    assert!(problems.is_empty(), "references to files outside the repository:\n{}", problems.join("\n"));
}

#[test]
fn docs_rules_md_defines_the_rules_the_project_cites_most() {
    let defined = defined_ids(&read(&root().join("docs/rules.md")));
    for id in ["MSGR-WIN-1", "TCPA-QH", "CTIA-STOP", "WA-CSW", "EMAIL-SUBJ", "10DLC", "OK/MD", "CANSPAM", "EPR-13"] {
        assert!(defined.contains(id), "{id} is not defined; defined: {defined:?}");
    }
    assert!(!defined.contains("ID"));
}

#[test]
fn an_undefined_id_is_reported_with_its_file_and_line() {
    let defined: BTreeSet<String> = ["MSGR-WIN-1".to_owned()].into();
    let text = "// MSGR-WIN-1 is fine\n// so is UTF-8, GSM-7 and US-FL\n  limit text 9 // MSGR-WIN-9, HUMAN_AGENT";
    assert_eq!(undefined("stdlib/x.journey", text, &defined), ["stdlib/x.journey:3: MSGR-WIN-9"]);
}

#[test]
fn rule_ids_are_whole_words_of_capitals_with_a_hyphen() {
    let ids: Vec<String> = rule_ids("IG-HA, BULK-2024; (TCPA-QH) x-GSM-7 J0201-J0203 Europe-Berlin E-SIGN HUMAN_AGENT")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(ids, ["IG-HA", "BULK-2024", "TCPA-QH"]);
}

#[test]
fn a_link_above_the_root_or_to_the_old_rules_file_is_reported() {
    let page = Path::new("docs/page.md");
    let text = format!(
        "[ok](rules.md) [up](../README.md) [out](../../{BESIDE}x.md) see {OLD_RULES}\n<https://example.com/a/../b>"
    );
    let found = escapes(page, &text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with(&format!("docs/page.md:1: `{OLD_RULES}`")));
    assert!(found[1].contains(&format!("`{BESIDE}`")));
    assert!(found[2].contains(&format!("link `../../{BESIDE}x.md` leaves the repository")));
    assert!(escapes(Path::new("README.md"), "[a](docs/rules.md#email) [b](#top)").is_empty());
}
