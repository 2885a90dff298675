//! Editor packaging stays in step with the language: the TextMate grammar covers every keyword,
//! the VS Code extension ships an identical copy of it, and its manifest points at real files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use serde_json::Value;

fn repo(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&repo(path)).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Every `match`/`begin` regex of the grammar, recursively.
fn regexes(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("match" | "begin", Value::String(regex)) => out.push(regex.clone()),
                    _ => regexes(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| regexes(item, out)),
        _ => {}
    }
}

#[test]
fn the_textmate_grammar_highlights_every_keyword_of_the_language() {
    let grammar = json("grammar/journey.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.journey");
    let mut all = Vec::new();
    regexes(&grammar, &mut all);
    let missing: Vec<&str> = journey_lsp::engine::keywords::KEYWORDS
        .iter()
        .copied()
        .filter(|keyword| !all.iter().any(|regex| mentions_word(regex, keyword)))
        .collect();
    assert!(missing.is_empty(), "keywords without highlighting: {missing:?}");
}

/// Whether `word` appears in `regex` as an alternative of a word group (`(a|word|b)`).
fn mentions_word(regex: &str, word: &str) -> bool {
    regex.split(['(', ')', '|']).any(|part| part.trim_start_matches("\\b").trim_end_matches("\\b") == word)
}

#[test]
fn the_vscode_extension_ships_the_same_grammar() {
    assert_eq!(
        repo("editors/vscode/syntaxes/journey.tmLanguage.json"),
        repo("grammar/journey.tmLanguage.json"),
        "copy grammar/journey.tmLanguage.json to editors/vscode/syntaxes/"
    );
}

#[test]
fn the_vscode_manifest_declares_the_language_and_points_at_files_that_exist() {
    let manifest = json("editors/vscode/package.json");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "journey");
    assert_eq!(language["extensions"], serde_json::json!([".journey"]));
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.journey");
    for file in [
        manifest["main"].as_str().unwrap(),
        language["configuration"].as_str().unwrap(),
        grammar["path"].as_str().unwrap(),
    ] {
        let path = format!("editors/vscode/{}", file.trim_start_matches("./"));
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(&path).is_file(), "{path} is missing");
    }
    json("editors/vscode/language-configuration.json");
    assert!(repo("editors/vscode/extension.js").contains("args: ['lsp']"));
}
