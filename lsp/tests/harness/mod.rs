//! A scripted LSP client talking to the server in-process over framed JSON-RPC (a tokio duplex
//! stream through the same size guard and transport as `journey lsp`). Messages are read by
//! `Content-Length`, never by a single `read`.

#![allow(dead_code)]
// each test target uses part of the harness
// Test support: a failed expectation here is a failing test, not a crash a user can trigger.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, WriteHalf};
use tokio::sync::mpsc;

/// How long any single wait for the server may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    writer: WriteHalf<DuplexStream>,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Messages received while waiting for something else.
    queued: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    /// Starts a server with the test commands enabled.
    pub fn start() -> Client {
        Client::start_with(journey_lsp::Options { test_commands: true })
    }

    pub fn start_with(options: journey_lsp::Options) -> Client {
        let (client_io, server_io) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_io);
        tokio::spawn(journey_lsp::serve(server_read, server_write, options));
        let (client_read, writer) = tokio::io::split(client_io);
        let (sender, incoming) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(client_read);
            while let Some(message) = read_message(&mut reader).await {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client { writer, incoming, queued: VecDeque::new(), next_id: 1 }
    }

    pub async fn send(&mut self, message: &Value) {
        self.send_raw(message.to_string().as_bytes()).await;
    }

    /// Sends a body with a correct `Content-Length` header.
    pub async fn send_raw(&mut self, body: &[u8]) {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.write_bytes(header.as_bytes()).await;
        self.write_bytes(body).await;
    }

    pub async fn write_bytes(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("server reads its input");
        self.writer.flush().await.expect("server reads its input");
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    /// Sends a request and returns its id without waiting.
    pub async fn start_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        id
    }

    /// Sends a request and waits for its response (`result` or `error`, whole).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.start_request(method, params).await;
        self.response(id).await
    }

    /// The `result` of a request, failing the test on an error response.
    pub async fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params).await;
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    pub async fn response(&mut self, id: i64) -> Value {
        self.wait_for(|message| message["id"] == json!(id) && message.get("method").is_none()).await
    }

    /// The next notification with this method (earlier ones of other methods stay queued).
    pub async fn notification(&mut self, method: &str) -> Value {
        self.wait_for(|message| message["method"] == json!(method)).await["params"].clone()
    }

    /// The first published diagnostics for `uri` with exactly `version`.
    pub async fn diagnostics(&mut self, uri: &str, version: i64) -> Value {
        self.wait_for(|message| {
            message["method"] == json!("textDocument/publishDiagnostics")
                && message["params"]["uri"] == json!(uri)
                && message["params"]["version"] == json!(version)
        })
        .await["params"]
            .clone()
    }

    /// Every message received so far that matches, removed from the queue, without waiting.
    pub fn drain(&mut self, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        while let Ok(message) = self.incoming.try_recv() {
            self.queued.push_back(message);
        }
        let (taken, kept): (Vec<Value>, Vec<Value>) =
            std::mem::take(&mut self.queued).into_iter().partition(|message| matches(message));
        self.queued = kept.into();
        taken
    }

    pub async fn wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(position) = self.queued.iter().position(&matches) {
            return self.queued.remove(position).expect("position is in the queue");
        }
        loop {
            let message = tokio::time::timeout(TIMEOUT, self.incoming.recv())
                .await
                .expect("the server answered in time")
                .expect("the server is still running");
            if matches(&message) {
                return message;
            }
            self.queued.push_back(message);
        }
    }

    /// Waits until the server closes its output (it has exited), ignoring what it still sends.
    /// False if it is still running after [`TIMEOUT`].
    pub async fn closed(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }

    /// Whether the server is still running: nothing closed its output within `wait`.
    pub async fn still_running(&mut self, wait: Duration) -> bool {
        loop {
            match tokio::time::timeout(wait, self.incoming.recv()).await {
                Ok(Some(message)) => self.queued.push_back(message),
                Ok(None) => return false,
                Err(_) => return true,
            }
        }
    }

    /// `initialize` + `initialized`; returns the server's capabilities.
    pub async fn initialize(&mut self, capabilities: Value) -> Value {
        let result = self.result("initialize", json!({ "capabilities": capabilities })).await;
        self.notify("initialized", json!({})).await;
        result["capabilities"].clone()
    }

    pub async fn open(&mut self, uri: &str, version: i64, text: &str) {
        let document = json!({ "uri": uri, "languageId": "journey", "version": version, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document })).await;
    }

    pub async fn change(&mut self, uri: &str, version: i64, text: &str) {
        let params = json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "text": text }],
        });
        self.notify("textDocument/didChange", params).await;
    }

    pub async fn at(&mut self, method: &str, uri: &str, line: u32, character: u32, extra: Value) -> Value {
        let mut params =
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
        if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
            params.extend(extra.clone());
        }
        self.request(method, params).await
    }

    pub async fn shutdown(&mut self) {
        self.result("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
    }
}

/// The line and UTF-16 column of the first occurrence of `needle` in `text`, plus `shift`
/// characters.
pub fn position_of(text: &str, needle: &str, shift: usize) -> (u32, u32) {
    let at = text.find(needle).expect("needle occurs in the text");
    let before = &text[..at];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = text[line_start..at].chars().map(char::len_utf16).sum::<usize>()
        + needle.chars().take(shift).map(char::len_utf16).sum::<usize>();
    (u32::try_from(line).unwrap(), u32::try_from(col).unwrap())
}

async fn read_message(reader: &mut BufReader<tokio::io::ReadHalf<DuplexStream>>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).await.ok()?;
    serde_json::from_slice(&body).ok()
}
