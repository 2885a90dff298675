//! Protocol tests: the whole server in-process (size guard, transport, panic boundary, backend)
//! driven by scripted JSON-RPC over a duplex stream.

// Test helpers may unwrap and index: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod harness;

use harness::{position_of, Client};
use serde_json::{json, Value};

const URI: &str = "file:///project/broken.journey";

/// A file with one mistake (`->` where an outcome needs `=>`), after emoji and CJK on its line.
const BROKEN: &str = r#"import "std/channels"

message welcome on messenger as service {
  text "Hi {first_name ?? "there"}!"
  reply "Yes" -> yes
}

journey onboarding {
  stage start {
    tag "🎉日本"; ask welcome { yes -> goto next }
  }
  stage next { send welcome }
}
"#;

async fn started_with(text: &str) -> Client {
    let mut client = Client::start();
    client.initialize(json!({})).await;
    client.open(URI, 1, text).await;
    client
}

fn wrong_arrow(diagnostics: &Value) -> Value {
    diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|diagnostic| diagnostic["code"] == "J0105")
        .cloned()
        .unwrap_or_else(|| panic!("no J0105 in {diagnostics}"))
}

#[tokio::test]
async fn initialize_announces_the_features_and_utf16_positions_by_default() {
    let mut client = Client::start();
    let capabilities = client.initialize(json!({})).await;
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["change"], 1, "full-text sync");
    for feature in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
        "codeActionProvider",
        "documentFormattingProvider",
    ] {
        assert!(!capabilities[feature].is_null(), "{feature} missing from {capabilities}");
    }
    client.shutdown().await;
}

#[tokio::test]
async fn formatting_answers_one_whole_document_edit_none_when_formatted_and_null_when_broken() {
    // The last line holds 🎉 (two UTF-16 units): the edit's end is counted as the client counts.
    let messy = "segment  vip=x>=1\n\n\nsegment spender = y  // 🎉";
    let mut client = started_with(messy).await;
    let formatting =
        |uri: &str| json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 8, "insertSpaces": false } });
    let edits = client.result("textDocument/formatting", formatting(URI)).await;
    assert_eq!(
        edits,
        json!([{
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 3, "character": 26 } },
            "newText": "segment vip = x >= 1\n\nsegment spender = y // 🎉\n",
        }])
    );

    client.change(URI, 2, "segment vip = x >= 1\n").await;
    assert_eq!(client.result("textDocument/formatting", formatting(URI)).await, json!([]));

    client.change(URI, 3, BROKEN).await;
    assert_eq!(client.result("textDocument/formatting", formatting(URI)).await, Value::Null);
    let log = client.notification("window/logMessage").await;
    assert!(log["message"].as_str().unwrap().contains("is not formatted: it has a syntax error"), "{log}");
}

#[tokio::test]
async fn utf8_positions_are_used_when_the_client_offers_them() {
    let mut client = Client::start();
    let capabilities = client.initialize(json!({ "general": { "positionEncodings": ["utf-16", "utf-8"] } })).await;
    assert_eq!(capabilities["positionEncoding"], "utf-8");
    client.open(URI, 1, BROKEN).await;
    let diagnostic = wrong_arrow(&client.diagnostics(URI, 1).await);
    // `    tag "` (9 bytes) + 🎉 (4) + 日本 (6) + `"; ask welcome { yes ` (21) = 40 bytes.
    assert_eq!(diagnostic["range"]["start"], json!({ "line": 9, "character": 40 }));
}

#[tokio::test]
async fn opening_a_broken_file_publishes_its_diagnostics_with_the_version() {
    let mut client = started_with(BROKEN).await;
    let published = client.diagnostics(URI, 1).await;
    assert_eq!(published["version"], 1);
    let diagnostic = wrong_arrow(&published);
    // In UTF-16: `    tag "` (9) + 🎉 (2) + 日本 (2) + `"; ask welcome { yes ` (21) = 34.
    let (line, character) = position_of(BROKEN, "-> goto", 0);
    assert_eq!((line, character), (9, 34));
    assert_eq!(
        diagnostic["range"],
        json!({ "start": { "line": 9, "character": 34 }, "end": { "line": 9, "character": 36 } })
    );
    assert_eq!(diagnostic["severity"], 1);
    assert_eq!(diagnostic["source"], "journey");
    assert!(diagnostic["message"].as_str().unwrap().contains("`=>`"), "{diagnostic}");
}

#[tokio::test]
async fn hover_over_a_message_shows_its_channel_category_and_preview() {
    let mut client = started_with(BROKEN).await;
    let (line, character) = position_of(BROKEN, "welcome {", 2);
    let hover = client.at("textDocument/hover", URI, line, character, json!({})).await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(markdown.contains("**channel** `messenger` · **category** `service`"), "{markdown}");
    assert!(markdown.contains("> Hi {first\\_name}!"), "{markdown}");
    assert_eq!(hover["result"]["range"]["start"], json!({ "line": line, "character": 20 }));
}

#[tokio::test]
async fn go_to_definition_of_a_send_jumps_to_the_message() {
    let mut client = started_with(BROKEN).await;
    let (line, character) = position_of(BROKEN, "send welcome", 7);
    let definition = client.at("textDocument/definition", URI, line, character, json!({})).await;
    assert_eq!(
        definition["result"],
        json!({ "uri": URI, "range": { "start": { "line": 2, "character": 8 }, "end": { "line": 2, "character": 15 } } })
    );
}

#[tokio::test]
async fn find_references_lists_the_definition_and_every_use_after_emoji() {
    let mut client = started_with(BROKEN).await;
    let references =
        client.at("textDocument/references", URI, 2, 10, json!({ "context": { "includeDeclaration": true } })).await;
    let ranges: Vec<Value> =
        references["result"].as_array().unwrap().iter().map(|location| location["range"]["start"].clone()).collect();
    assert_eq!(
        ranges,
        vec![
            json!({ "line": 2, "character": 8 }),
            json!({ "line": 9, "character": 20 }),
            json!({ "line": 11, "character": 20 }),
        ]
    );
}

#[tokio::test]
async fn rename_returns_every_edit_and_refuses_a_keyword() {
    let mut client = started_with(BROKEN).await;
    let (line, character) = position_of(BROKEN, "goto next", 6);
    let prepared = client.at("textDocument/prepareRename", URI, line, character, json!({})).await;
    assert_eq!(prepared["result"]["start"], json!({ "line": line, "character": 42 }));

    let renamed = client.at("textDocument/rename", URI, line, character, json!({ "newName": "welcome_done" })).await;
    let edits = renamed["result"]["changes"][URI].as_array().unwrap_or_else(|| panic!("{renamed}")).clone();
    let starts: Vec<Value> = edits.iter().map(|edit| edit["range"]["start"].clone()).collect();
    assert_eq!(starts, vec![json!({ "line": 9, "character": 42 }), json!({ "line": 11, "character": 8 })]);
    assert!(edits.iter().all(|edit| edit["newText"] == "welcome_done"));

    let refused = client.at("textDocument/rename", URI, line, character, json!({ "newName": "exit" })).await;
    assert!(refused["error"]["message"].as_str().unwrap().contains("`exit` is a keyword"), "{refused}");
}

#[tokio::test]
async fn completion_after_goto_offers_the_stages_of_the_journey() {
    let text = BROKEN.replace("stage next { send welcome }", "stage next { goto  }");
    let mut client = started_with(&text).await;
    let (line, character) = position_of(&text, "goto  }", 5);
    let completion = client.at("textDocument/completion", URI, line, character, json!({})).await;
    let labels: Vec<&str> =
        completion["result"].as_array().unwrap().iter().map(|item| item["label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["next", "start"]);
    assert_eq!(
        completion["result"][0]["textEdit"]["range"],
        json!({ "start": { "line": line, "character": character }, "end": { "line": line, "character": character } })
    );
}

#[tokio::test]
async fn a_code_action_applies_the_suggested_fix_exactly() {
    let mut client = started_with(BROKEN).await;
    let diagnostic = wrong_arrow(&client.diagnostics(URI, 1).await);
    let params = json!({
        "textDocument": { "uri": URI },
        "range": diagnostic["range"],
        "context": { "diagnostics": [diagnostic] },
    });
    let actions = client.result("textDocument/codeAction", params).await;
    let fix = actions.as_array().unwrap().iter().find(|action| action["kind"] == "quickfix").expect("a quick fix");
    assert_eq!(
        fix["edit"]["changes"][URI],
        json!([{ "range": { "start": { "line": 9, "character": 34 }, "end": { "line": 9, "character": 36 } }, "newText": "=>" }])
    );
    assert_eq!(fix["diagnostics"][0]["code"], "J0105");
}

#[tokio::test]
async fn fix_all_on_save_applies_the_safe_fixes_and_only_those_the_client_asked_for_are_sent() {
    let mut client = started_with(BROKEN).await;
    let diagnostic = wrong_arrow(&client.diagnostics(URI, 1).await);
    let everywhere = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } });
    let params = json!({
        "textDocument": { "uri": URI },
        "range": everywhere,
        "context": { "diagnostics": [], "only": ["source.fixAll"] },
    });
    let actions = client.result("textDocument/codeAction", params).await;
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.journey");
    // The `->` of an outcome is a safe fix: it is in "fix all", with exactly the quick fix's edit.
    let edits = actions[0]["edit"]["changes"][URI].as_array().unwrap();
    assert!(
        edits.iter().any(|edit| edit["range"] == diagnostic["range"] && edit["newText"] == "=>"),
        "{edits:?} lacks the fix of {diagnostic}"
    );
    let only_quick = json!({
        "textDocument": { "uri": URI },
        "range": diagnostic["range"],
        "context": { "diagnostics": [diagnostic], "only": ["quickfix"] },
    });
    let quick = client.result("textDocument/codeAction", only_quick).await;
    assert!(quick.as_array().unwrap().iter().all(|action| action["kind"] == "quickfix"), "{quick}");
}

#[tokio::test]
async fn document_and_workspace_symbols_list_the_items_and_stages() {
    let mut client = started_with(BROKEN).await;
    let symbols = client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } })).await;
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|symbol| symbol["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["import \"std/channels\"", "welcome", "onboarding"]);
    let stages: Vec<&str> =
        symbols[2]["children"].as_array().unwrap().iter().map(|stage| stage["name"].as_str().unwrap()).collect();
    assert_eq!(stages, vec!["start", "next"]);

    let found = client.result("workspace/symbol", json!({ "query": "nxt" })).await;
    assert_eq!(found[0]["name"], "next");
    assert_eq!(found[0]["containerName"], "onboarding");
}

#[tokio::test]
async fn a_panicking_request_is_answered_with_an_internal_error_and_the_next_request_is_answered() {
    let mut client = started_with(BROKEN).await;
    client.diagnostics(URI, 1).await;
    for command in [journey_lsp::TEST_PANIC_COMMAND, journey_lsp::TEST_PANIC_IN_HANDLER_COMMAND] {
        let failed = client.request("workspace/executeCommand", json!({ "command": command })).await;
        assert_eq!(failed["error"]["code"], -32603, "{failed}");
        assert!(failed["error"]["message"].as_str().unwrap().contains("panicked"), "{failed}");

        // The server is still there, with the document it had.
        let (line, character) = position_of(BROKEN, "send welcome", 7);
        let definition = client.at("textDocument/definition", URI, line, character, json!({})).await;
        assert_eq!(definition["result"]["range"]["start"], json!({ "line": 2, "character": 8 }));
    }
    client.shutdown().await;
}

#[tokio::test]
async fn the_test_commands_do_not_exist_unless_enabled() {
    let mut client = Client::start_with(journey_lsp::Options { test_commands: false });
    let capabilities = client.initialize(json!({})).await;
    assert!(capabilities["executeCommandProvider"].is_null());
    let refused =
        client.request("workspace/executeCommand", json!({ "command": journey_lsp::TEST_PANIC_COMMAND })).await;
    assert_eq!(refused["error"]["code"], -32602);
}

#[tokio::test]
async fn a_thousand_edits_leave_one_text_per_document_and_end_on_the_last_version() {
    let mut client = started_with(BROKEN).await;
    let mut last = String::new();
    for version in 2..=1001 {
        last = BROKEN.replace("onboarding", &format!("onboarding_{version}"));
        client.change(URI, version, &last).await;
    }
    let published = client.diagnostics(URI, 1001).await;
    assert!(!published["diagnostics"].as_array().unwrap().is_empty());

    let stats = client.result("workspace/executeCommand", json!({ "command": journey_lsp::TEST_STATS_COMMAND })).await;
    assert_eq!(stats["documents"], 1);
    assert_eq!(stats["analyses"], 1);
    // The text and its analysis share one buffer once the last version is analysed.
    assert_eq!(stats["texts"], 1, "{stats}");
    assert_eq!(stats["textBytes"], last.len());

    // Diagnostics went out in non-decreasing versions (a version may be published twice: first
    // tier, then complete), never for a version after a newer one.
    let versions: Vec<i64> = client
        .drain(|message| message["method"] == "textDocument/publishDiagnostics")
        .iter()
        .map(|message| message["params"]["version"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|pair| pair[0] <= pair[1]), "{versions:?}");

    // The server holds the text of version 1001: the symbols say so.
    let symbols = client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } })).await;
    assert_eq!(symbols[2]["name"], "onboarding_1001");
}

#[tokio::test]
async fn an_older_version_arriving_late_is_ignored() {
    let mut client = started_with(BROKEN).await;
    client.change(URI, 3, &BROKEN.replace("onboarding", "newest")).await;
    client.change(URI, 2, &BROKEN.replace("onboarding", "older")).await;
    client.diagnostics(URI, 3).await;
    let symbols = client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } })).await;
    assert_eq!(symbols[2]["name"], "newest");
}

#[tokio::test]
async fn closing_a_document_clears_its_diagnostics_and_frees_it() {
    let mut client = started_with(BROKEN).await;
    client.diagnostics(URI, 1).await;
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": URI } })).await;
    let cleared = client
        .wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics" && message["params"]["diagnostics"] == json!([])
        })
        .await;
    assert_eq!(cleared["params"]["uri"], URI);
    let stats = client.result("workspace/executeCommand", json!({ "command": journey_lsp::TEST_STATS_COMMAND })).await;
    assert_eq!(stats["documents"], 0);
}

#[tokio::test]
async fn a_request_over_the_size_limit_gets_an_error_and_the_server_stays_up() {
    let mut client = started_with(BROKEN).await;
    let padding = "x".repeat(journey_lsp::framing::MAX_CONTENT_LENGTH);
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":900,"method":"textDocument/hover","params":{{"textDocument":{{"uri":"{URI}"}},"position":{{"line":0,"character":0}},"padding":"{padding}"}}}}"#
    );
    client.send_raw(body.as_bytes()).await;
    let refused = client.response(900).await;
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("over the limit"), "{refused}");

    let (line, character) = position_of(BROKEN, "send welcome", 7);
    let definition = client.at("textDocument/definition", URI, line, character, json!({})).await;
    assert_eq!(definition["result"]["range"]["start"], json!({ "line": 2, "character": 8 }));
}

#[tokio::test]
async fn garbage_framing_and_unknown_cancellations_do_not_stop_the_server() {
    let mut client = started_with(BROKEN).await;
    client.write_bytes(b"Content-Length: a\r\n\r\n{}").await;
    client.notify("$/cancelRequest", json!({ "id": 12345 })).await;
    let symbols = client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } })).await;
    assert_eq!(symbols[2]["name"], "onboarding");
}

#[tokio::test]
async fn requests_for_documents_that_are_not_open_answer_null() {
    let mut client = Client::start();
    client.initialize(json!({})).await;
    let hover = client.at("textDocument/hover", "file:///nowhere.journey", 0, 0, json!({})).await;
    assert_eq!(hover["result"], Value::Null);
}

#[tokio::test]
async fn diagnostics_include_names_and_types_like_journey_check() {
    let mut client = started_with(&BROKEN.replace("send welcome", "send welcom")).await;
    let published = client.diagnostics(URI, 1).await;
    let codes: Vec<&str> =
        published["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"J0201"), "unknown message expected in {codes:?}");
    assert!(codes.contains(&"J0105"), "the syntax error is still there: {codes:?}");
}

/// A project directory on disk for the import tests.
fn project_dir(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("journey-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    std::fs::write(dir.join("journey.toml"), "").unwrap();
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    dir
}

fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

const MAIN: &str =
    "import \"std/channels\"\nimport \"./messages.journey\"\n\njourney j {\n  stage s { send hello; send other }\n}\n";
const MESSAGES_ON_DISK: &str = "import \"std/channels\"\n\nmessage other on sms as service { text \"x\" }\n";

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn imports_resolve_from_open_buffers_first_then_from_disk() {
    let dir = project_dir("imports", &[("main.journey", MAIN), ("messages.journey", MESSAGES_ON_DISK)]);
    let main = file_uri(&dir.join("main.journey"));
    let messages = file_uri(&dir.join("messages.journey"));
    let mut client = Client::start();
    client.initialize(json!({})).await;

    // From disk: `other` exists, `hello` does not.
    client.open(&main, 1, MAIN).await;
    let published = client.diagnostics(&main, 1).await;
    assert_eq!(codes(&published), vec!["J0201"], "{published}");
    assert!(published["diagnostics"][0]["message"].as_str().unwrap().contains("hello"));

    // The unsaved buffer of messages.journey declares `hello`: main is checked again against it.
    let unsaved = format!("{MESSAGES_ON_DISK}message hello on sms as service {{ text \"hi\" }}\n");
    client.open(&messages, 1, &unsaved).await;
    client
        .wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == main.as_str()
                && message["params"]["diagnostics"] == json!([])
        })
        .await;

    // Closing the buffer goes back to the disk, where `hello` is missing again.
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": messages } })).await;
    client
        .wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == main.as_str()
                && message["params"]["diagnostics"].as_array().is_some_and(|d| d.len() == 1)
        })
        .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn go_to_definition_reaches_an_imported_file_that_is_not_open() {
    let dir = project_dir("definition", &[("main.journey", MAIN), ("messages.journey", MESSAGES_ON_DISK)]);
    let main = file_uri(&dir.join("main.journey"));
    let mut client = Client::start();
    client.initialize(json!({})).await;
    client.open(&main, 1, MAIN).await;
    let (line, character) = position_of(MAIN, "send other", 6);
    let definition = client.at("textDocument/definition", &main, line, character, json!({})).await;
    assert_eq!(definition["result"]["uri"], file_uri(&dir.join("messages.journey")), "{definition}");
    assert_eq!(definition["result"]["range"]["start"], json!({ "line": 2, "character": 8 }));

    let hover = client.at("textDocument/hover", &main, line, character, json!({})).await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("declared in `messages.journey`"), "{markdown}");
    assert!(markdown.contains("**channel** `sms` · **category** `service`"), "{markdown}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn compliance_diagnostics_follow_in_a_second_publish_for_the_same_version() {
    let text = "import \"std/channels\"\n\nmessage promo on sms as marketing {\n  text \"Sale today. Reply STOP to opt out\"\n}\n\njourney j {\n  stage s { send promo }\n}\n";
    let mut client = started_with(text).await;
    let first = client.diagnostics(URI, 1).await;
    assert!(!codes(&first).iter().any(|code| code.starts_with("J04")), "first tier: {first}");
    let complete = client.diagnostics(URI, 1).await;
    assert!(codes(&complete).contains(&"J0401".to_owned()), "complete: {complete}");
}

#[tokio::test]
async fn hover_on_a_send_shows_what_the_analyses_proved_once_they_ran() {
    let text = "import \"std/channels\"\n\nevent chat inbound messenger {}\n\nmessage hi on messenger as service {\n  text \"Hi\"\n}\n\njourney j {\n  entry on chat\n  stage s { send hi }\n}\n";
    let mut client = started_with(text).await;
    client.diagnostics(URI, 1).await;
    client.diagnostics(URI, 1).await; // the complete analysis is in
    let (line, character) = position_of(text, "send hi", 6);
    let hover = client.at("textDocument/hover", URI, line, character, json!({})).await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    assert!(markdown.contains("**why this send is allowed**"), "{markdown}");
    assert!(markdown.contains("- consent: not required for service messages"), "{markdown}");
    assert!(markdown.contains("- window: at most 0s after the contact's last message (window 1d)"), "{markdown}");
}

/// What the server must send for one malformed frame.
enum Expect {
    /// These error answers: (code, id), in any order.
    Errors(Vec<(i64, Value)>),
    /// A normal answer (no error) to the request with this id: the frame was acceptable.
    Answer(i64),
}

/// One row of the malformed-frame table: what is sent and what must come back.
struct Malformed {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

fn hover_body(id: i64) -> String {
    let (line, character) = position_of(BROKEN, "welcome {", 2);
    json!({
        "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": { "textDocument": { "uri": URI }, "position": { "line": line, "character": character } },
    })
    .to_string()
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn with_header(header: &str, body: &str) -> Vec<u8> {
    format!("{header}{body}").into_bytes()
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// Every malformed frame, each with the error JSON-RPC prescribes.
fn malformed_frames() -> Vec<Malformed> {
    let null = Value::Null;
    let errors = |list: &[(i64, Value)]| Expect::Errors(list.to_vec());
    let mut invalid_utf8 = br#"{"jsonrpc":"2.0","id":505,"method":"textDocument/hover","params":""#.to_vec();
    invalid_utf8.extend(b"\xff\xfe\"}");
    let oversized = format!(
        r#"{{"jsonrpc":"2.0","id":512,"method":"textDocument/hover","params":{{"padding":"{}"}}}}"#,
        "x".repeat(journey_lsp::framing::MAX_CONTENT_LENGTH)
    );
    vec![
        Malformed { name: "not JSON", bytes: framed(b"{not json}"), expect: errors(&[(PARSE_ERROR, null.clone())]) },
        Malformed { name: "an empty array", bytes: framed(b"[]"), expect: errors(&[(INVALID_REQUEST, null.clone())]) },
        Malformed { name: "an empty object", bytes: framed(b"{}"), expect: errors(&[(INVALID_REQUEST, null.clone())]) },
        Malformed { name: "null", bytes: framed(b"null"), expect: errors(&[(INVALID_REQUEST, null.clone())]) },
        Malformed {
            name: "a batch",
            bytes: framed(format!("[{},{}]", hover_body(501), hover_body(502)).as_bytes()),
            expect: errors(&[(INVALID_REQUEST, json!(501)), (INVALID_REQUEST, json!(502))]),
        },
        Malformed {
            name: "a method that is a number",
            bytes: framed(br#"{"jsonrpc":"2.0","id":503,"method":123}"#),
            expect: errors(&[(INVALID_REQUEST, json!(503))]),
        },
        Malformed {
            name: "JSON-RPC 1.0",
            bytes: framed(hover_body(504).replace(r#""jsonrpc":"2.0""#, r#""jsonrpc":"1.0""#).as_bytes()),
            expect: errors(&[(INVALID_REQUEST, json!(504))]),
        },
        Malformed { name: "invalid UTF-8", bytes: framed(&invalid_utf8), expect: errors(&[(PARSE_ERROR, json!(505))]) },
        Malformed {
            name: "a lowercase content-length",
            bytes: with_header(&format!("content-length: {}\r\n\r\n", hover_body(506).len()), &hover_body(506)),
            expect: Expect::Answer(506),
        },
        Malformed {
            name: "a Content-Length 3 bytes too short",
            bytes: with_header(&format!("Content-Length: {}\r\n\r\n", hover_body(507).len() - 3), &hover_body(507)),
            expect: errors(&[(PARSE_ERROR, json!(507))]),
        },
        Malformed {
            name: "a Content-Length 3 bytes too long",
            bytes: with_header(&format!("Content-Length: {}\r\n\r\n", hover_body(508).len() + 3), &hover_body(508)),
            expect: errors(&[(PARSE_ERROR, json!(508))]),
        },
        Malformed { name: "a stray CRLF", bytes: b"\r\n".to_vec(), expect: errors(&[(PARSE_ERROR, null.clone())]) },
        Malformed {
            name: "a garbage line",
            bytes: b"this is not a header\r\n".to_vec(),
            expect: errors(&[(PARSE_ERROR, null.clone())]),
        },
        Malformed {
            name: "LF-only header endings",
            bytes: with_header(&format!("Content-Length: {}\n\n", hover_body(509).len()), &hover_body(509)),
            expect: errors(&[(PARSE_ERROR, null.clone())]),
        },
        Malformed {
            name: "no Content-Length",
            bytes: with_header("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n", &hover_body(510)),
            expect: errors(&[(PARSE_ERROR, null.clone())]),
        },
        Malformed {
            name: "a Content-Length of 2^64",
            bytes: with_header("Content-Length: 18446744073709551616\r\n\r\n", &hover_body(511)),
            expect: errors(&[(INVALID_REQUEST, json!(511))]),
        },
        Malformed {
            name: "a body over the limit, sent whole",
            bytes: framed(oversized.as_bytes()),
            expect: errors(&[(INVALID_REQUEST, json!(512))]),
        },
    ]
}

fn is_error(message: &Value, code: i64, id: &Value) -> bool {
    message.get("method").is_none() && message["error"]["code"] == json!(code) && message["id"] == *id
}

#[tokio::test]
async fn every_malformed_frame_gets_its_json_rpc_error_and_the_next_hover_is_answered() {
    let mut client = started_with(BROKEN).await;
    client.diagnostics(URI, 1).await;
    for row in malformed_frames() {
        client.write_bytes(&row.bytes).await;
        // The next message follows at once, as a client's would (a length too long is found
        // where the JSON ends and the next message starts).
        let (line, character) = position_of(BROKEN, "welcome {", 2);
        let position = json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": character } });
        let hover = client.start_request("textDocument/hover", position).await;
        match &row.expect {
            Expect::Errors(expected) => {
                for (code, id) in expected {
                    let answer = client.wait_for(|message| is_error(message, *code, id)).await;
                    assert!(answer["error"]["message"].is_string(), "{}: {answer}", row.name);
                }
            }
            Expect::Answer(id) => {
                let answer = client.response(*id).await;
                assert!(answer["result"]["contents"].is_object(), "{}: {answer}", row.name);
            }
        }
        let hover = client.response(hover).await;
        assert!(hover["result"]["contents"].is_object(), "after {}: {hover}", row.name);
        // Nothing else went wrong: no second error for the same frame.
        let unexpected = client.drain(|message| message.get("error").is_some());
        assert!(unexpected.is_empty(), "after {}: {unexpected:?}", row.name);
    }
    assert!(client.still_running(std::time::Duration::from_millis(200)).await);
    client.shutdown().await;
    assert!(client.closed().await, "the server exits on `exit`");
}

#[tokio::test]
async fn the_server_exits_only_on_exit_after_shutdown() {
    let mut client = started_with(BROKEN).await;
    for row in malformed_frames().into_iter().filter(|row| !row.name.contains("over the limit")) {
        client.write_bytes(&row.bytes).await;
    }
    // A well-formed `exit` notification inside a batch is not an `exit`.
    client.write_bytes(&framed(br#"[{"jsonrpc":"2.0","method":"exit"}]"#)).await;
    assert!(client.still_running(std::time::Duration::from_millis(500)).await, "exited before `exit`");
    client.result("shutdown", Value::Null).await;
    // After shutdown, the server still answers (requests are refused) until `exit`.
    client.write_bytes(&framed(b"{not json}")).await;
    client.wait_for(|message| is_error(message, PARSE_ERROR, &Value::Null)).await;
    let refused = client.request("textDocument/hover", json!({})).await;
    assert_eq!(refused["error"]["code"], INVALID_REQUEST, "{refused}");
    assert!(client.still_running(std::time::Duration::from_millis(200)).await, "exited before `exit`");
    client.notify("exit", Value::Null).await;
    assert!(client.closed().await, "the server exits on `exit`");
}

#[tokio::test]
async fn a_slow_check_of_one_document_never_delays_requests_on_another() {
    let slow_uri = "file:///project/slow.journey";
    let slow = format!("// {}\n{BROKEN}", journey_lsp::TEST_SLOW_CHECK_MARKER);
    let mut client = Client::start();
    client.initialize(json!({})).await;
    // Its check now waits until released: it holds an analysis thread the whole test.
    client.open(slow_uri, 1, &slow).await;
    client.open(URI, 1, BROKEN).await;
    let (line, character) = position_of(BROKEN, "welcome {", 2);
    let quick = std::time::Duration::from_secs(5);
    for version in 2..=4 {
        // A new version of the fast document: its hover needs a new analysis, which must not
        // wait for the slow one.
        client.change(URI, version, &BROKEN.replace("onboarding", &format!("onboarding_{version}"))).await;
        let hover = tokio::time::timeout(quick, client.at("textDocument/hover", URI, line, character, json!({})))
            .await
            .expect("the hover was answered while the other document's check was running");
        assert!(hover["result"]["contents"].is_object(), "{hover}");
        let symbols = tokio::time::timeout(quick, client.result("workspace/symbol", json!({ "query": "next" })))
            .await
            .expect("workspace symbols were answered while the other document's check was running");
        assert!(!symbols.as_array().unwrap().is_empty(), "{symbols}");
    }
    // The slow check really was still running: nothing was published for it yet.
    let published = client.drain(|message| {
        message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == slow_uri
    });
    assert!(published.is_empty(), "{published:?}");
    client
        .result("workspace/executeCommand", json!({ "command": journey_lsp::TEST_RELEASE_SLOW_CHECKS_COMMAND }))
        .await;
    let published = client.diagnostics(slow_uri, 1).await;
    assert!(!published["diagnostics"].as_array().unwrap().is_empty());
    client.shutdown().await;
}

#[tokio::test]
async fn closing_every_document_frees_its_text_and_analyses() {
    let mut client = Client::start();
    client.initialize(json!({})).await;
    let uris: Vec<String> = (0..5).map(|n| format!("file:///project/doc{n}.journey")).collect();
    for uri in &uris {
        client.open(uri, 1, BROKEN).await;
        client.change(uri, 2, &BROKEN.replace("onboarding", "edited")).await;
    }
    for uri in &uris {
        client.diagnostics(uri, 2).await;
    }
    let stats = client.result("workspace/executeCommand", json!({ "command": journey_lsp::TEST_STATS_COMMAND })).await;
    assert_eq!(stats["documents"], 5, "{stats}");
    assert_eq!(stats["analyses"], 5, "{stats}");
    for uri in &uris {
        client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } })).await;
    }
    let stats = client.result("workspace/executeCommand", json!({ "command": journey_lsp::TEST_STATS_COMMAND })).await;
    assert_eq!(stats, json!({ "documents": 0, "texts": 0, "textBytes": 0, "analyses": 0 }));
    // A request on a closed document finds nothing, and does not bring it back.
    let hover = client.at("textDocument/hover", &uris[0], 0, 0, json!({})).await;
    assert_eq!(hover["result"], Value::Null);
}

#[tokio::test]
async fn the_server_asks_a_client_that_can_watch_files_to_watch_the_project_files() {
    let mut client = Client::start();
    client.initialize(json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } })).await;
    let request = client.wait_for(|message| message["method"] == "client/registerCapability").await;
    let registration = &request["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles", "{request}");
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|watcher| watcher["globPattern"].as_str().unwrap())
        .collect();
    assert_eq!(globs, ["**/*.journey", "**/journey.toml"]);
    client.send(&json!({ "jsonrpc": "2.0", "id": request["id"], "result": null })).await;
}

#[tokio::test]
async fn a_file_changed_on_disk_checks_the_open_files_of_its_project_again() {
    let dir = project_dir("watched", &[("main.journey", MAIN), ("messages.journey", MESSAGES_ON_DISK)]);
    let main = file_uri(&dir.join("main.journey"));
    let mut client = Client::start();
    client.initialize(json!({})).await;
    client.open(&main, 1, MAIN).await;
    let published = client.diagnostics(&main, 1).await;
    assert_eq!(codes(&published), vec!["J0201"], "{published}");

    // Another program adds `hello` to messages.journey and the client says so.
    let on_disk = format!("{MESSAGES_ON_DISK}message hello on sms as service {{ text \"hi\" }}\n");
    std::fs::write(dir.join("messages.journey"), on_disk).unwrap();
    let changed = json!({ "changes": [{ "uri": file_uri(&dir.join("messages.journey")), "type": 2 }] });
    client.notify("workspace/didChangeWatchedFiles", changed).await;
    client
        .wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == main.as_str()
                && message["params"]["diagnostics"] == json!([])
        })
        .await;

    // A file of another directory changes nothing here (no new publish is needed to pass; the
    // notification must simply not disturb the server).
    let elsewhere = json!({ "changes": [{ "uri": "file:///nowhere/else.journey", "type": 3 }] });
    client.notify("workspace/didChangeWatchedFiles", elsewhere).await;
    let hover = client.at("textDocument/hover", &main, 4, 18, json!({})).await;
    assert!(hover["result"]["contents"]["value"].as_str().unwrap().contains("hello"), "{hover}");
    let _ = std::fs::remove_dir_all(&dir);
}
