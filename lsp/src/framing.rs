//! The wire: framing that no input can wedge, and one writer for everything the server sends.
//!
//! Why the transport's own framing is not trusted: tower-lsp-server 0.23.0 decodes frames with a
//! `tokio_util` codec, and `FramedRead` ends its stream after the first decode error. So one body
//! that is not a JSON-RPC message (`{}`, `null`, a batch, `"jsonrpc":"1.0"`, a fractional id,
//! a duplicated key, invalid UTF-8), a header spelt `content-length`, a third header or a
//! Content-Type without `charset=utf-8` made the server stop reading and exit as if the client
//! had closed stdin; and since the codec only resynchronises after a header error, a missing
//! `Content-Length`, LF-only header endings or a length that never arrives left it waiting
//! forever. Its decoder cannot be replaced without replacing `Server` (it is private), so this
//! guard sits between the input and the transport and does the framing itself:
//!
//! - every header section is parsed here, incrementally, with case-insensitive names; a byte
//!   that cannot belong to a header (a bare LF, a stray CRLF, a garbage line, a non-token name)
//!   makes it malformed as soon as it arrives, without waiting for the blank line;
//! - every body is checked (UTF-8, one JSON value, a single object with `"jsonrpc":"2.0"`, a
//!   string method, an id that is an integer, a string or null, or a response with one of
//!   result/error) and parsed with the transport's own message types, so whatever is forwarded
//!   is something the transport accepts;
//! - forwarded frames are re-framed canonically (`Content-Length: N\r\n\r\n`), so the transport
//!   never sees a header variant;
//! - everything else is answered here, as the JSON-RPC spec prescribes: `-32700` (parse error)
//!   for bytes that are not a frame or a body that is not JSON, `-32600` (invalid request) for
//!   JSON that is not a JSON-RPC message and for frames over the limits, with the message's id
//!   when it can be read and null otherwise. The answers are sent to [`write_output`], the one
//!   task that owns the output, which writes them between the transport's frames, never inside
//!   one.
//!
//! Resynchronising after a malformed frame means skipping to the next `Content-Length`
//! (case-insensitive), so the next well-formed message is answered. A length that is too long
//! is detected while the body arrives: the body of a JSON-RPC message is one object, so a byte
//! other than white space after that object closes means the declared length swallowed the start
//! of the next message. The frame is answered with a parse error at once, and the bytes after
//! the object, already in the buffer or still to come, are read as the next message; nothing
//! waits for bytes the client will never send (if nothing at all follows the object, the frame
//! is answered after [`IDLE_AFTER_VALUE`]). (A body that does not start with `{` or `[` has no
//! such end to find; its declared length is awaited.) A length that is too short leaves a
//! truncated body (a parse error) and a tail that the resynchronisation skips.
//!
//! Limits: a header section of at most [`MAX_HEADER_BYTES`], a body of at
//! most [`MAX_CONTENT_LENGTH`]. A longer body is streamed away, never buffered, keeping only its
//! first [`ID_PEEK_BYTES`] to find the request's id. Memory held by the guard is bounded by one
//! body, one header section and one read chunk.

use std::pin::pin;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// Largest message body accepted.
pub const MAX_CONTENT_LENGTH: usize = 16 << 20;
/// Largest header section accepted (it normally holds one or two short lines).
pub const MAX_HEADER_BYTES: usize = 8 << 10;
/// JSON-RPC: invalid JSON was received (here also: bytes that are not a frame).
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the JSON sent is not a valid request object (here also: a frame over the limits).
pub const INVALID_REQUEST: i64 = -32600;
/// How much of an oversized body is kept to find the request's id.
pub const ID_PEEK_BYTES: usize = 4096;
/// Error answers waiting for the writer; when full, the guard stops reading input until the
/// writer catches up, so a flood of garbage cannot grow memory.
const REPLY_QUEUE: usize = 64;
const READ_CHUNK: usize = 64 << 10;
/// How long a body whose JSON is complete waits for the rest of a longer declared length. A
/// well-formed frame can only be missing trailing white space at that point, which a client
/// writes with the rest of the message; the wait only delays the answer to a wrong length.
const IDLE_AFTER_VALUE: std::time::Duration = std::time::Duration::from_secs(1);
const CONTENT_LENGTH: &[u8] = b"content-length";

/// The sending side of the error answers, for [`guard`].
pub type Replies = mpsc::Sender<Vec<u8>>;
/// The receiving side, for [`write_output`].
pub type RepliesReceiver = mpsc::Receiver<Vec<u8>>;

/// The channel between [`guard`] and [`write_output`].
pub fn replies() -> (Replies, RepliesReceiver) {
    mpsc::channel(REPLY_QUEUE)
}

/// Copies well-formed JSON-RPC messages from `input` to `output` (the transport), canonically
/// framed, and sends an error answer to `replies` for everything else. Returns when `input`
/// ends, or when `output` or `replies` is closed (the server has stopped).
pub async fn guard<R, W>(input: R, mut output: W, replies: Replies) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = Input { reader: input, buffer: Vec::new(), eof: false, chunk: vec![0; READ_CHUNK] };
    loop {
        input.shrink();
        let header = match parse_header(&input.buffer) {
            Header::Partial if input.buffer.len() > MAX_HEADER_BYTES => Header::Invalid {
                reason: format!("a message header was longer than {MAX_HEADER_BYTES} bytes"),
                resume: 1,
            },
            Header::Partial => {
                if !input.fill().await? {
                    break;
                }
                continue;
            }
            header => header,
        };
        let outcome = match header {
            Header::Partial => continue,
            Header::Invalid { reason, resume } => {
                Outcome::Reply { id: Value::Null, code: PARSE_ERROR, message: reason, resume: Some(resume) }
            }
            Header::Complete { body_start, length: Length::Over(declared) } => {
                input.buffer.drain(..body_start);
                skip_oversized(&mut input, &declared).await?
            }
            Header::Complete { body_start, length: Length::Exact(length) } => {
                read_body(&mut input, body_start, length).await?
            }
        };
        match outcome {
            Outcome::Forward(frame) => {
                output.write_all(&frame).await?;
                output.flush().await?;
            }
            Outcome::Reply { id, code, message, resume } => {
                for frame in error_frames(id, code, &message) {
                    if replies.send(frame).await.is_err() {
                        return Ok(());
                    }
                }
                if let Some(from) = resume {
                    if !input.resync(from).await? {
                        break;
                    }
                }
            }
            Outcome::Replies(frames) => {
                for frame in frames {
                    if replies.send(frame).await.is_err() {
                        return Ok(());
                    }
                }
            }
            Outcome::End => break,
        }
    }
    output.flush().await
}

/// What to do with one frame.
enum Outcome {
    /// A well-formed message, framed for the transport.
    Forward(Vec<u8>),
    /// Answer with an error; then, if `resume` is set, skip to the next `Content-Length` from
    /// that offset of the buffer.
    Reply { id: Value, code: i64, message: String, resume: Option<usize> },
    /// Several answers (one per element of a batch); the frame is already consumed.
    Replies(Vec<Vec<u8>>),
    /// The input ended inside a frame.
    End,
}

/// What waiting for input gave.
enum Fill {
    More,
    Ended,
    /// Nothing arrived in time after a complete JSON value.
    Idle,
}

struct Input<R> {
    reader: R,
    buffer: Vec<u8>,
    eof: bool,
    chunk: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Input<R> {
    /// Reads one chunk more; false at the end of the input. Reads go through a fixed chunk, so
    /// the buffer grows by what arrived, never by a spare capacity that a large read could fill.
    async fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let read = self.reader.read(&mut self.chunk).await?;
        if read == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.buffer.extend_from_slice(self.chunk.get(..read).unwrap_or_default());
        Ok(true)
    }

    /// Like [`Input::fill`], but when `complete` (the body's JSON has ended and only its
    /// declared length is awaited) gives up after [`IDLE_AFTER_VALUE`] without input: a client
    /// that sent a length too long and now waits for the answer gets it.
    async fn fill_unless_idle(&mut self, complete: bool) -> std::io::Result<Fill> {
        if !complete {
            return Ok(if self.fill().await? { Fill::More } else { Fill::Ended });
        }
        // `fill` only reads into the buffer once the read is done, so abandoning it loses nothing.
        match tokio::time::timeout(IDLE_AFTER_VALUE, self.fill()).await {
            Ok(more) => Ok(if more? { Fill::More } else { Fill::Ended }),
            Err(_) => Ok(Fill::Idle),
        }
    }

    /// Drops everything before the next `Content-Length` at or after `from` (at least one
    /// byte), reading more input as needed. False when the input ends first.
    async fn resync(&mut self, from: usize) -> std::io::Result<bool> {
        let mut from = from;
        loop {
            let start = from.min(self.buffer.len());
            if let Some(at) = find_ignore_case(self.buffer.get(start..).unwrap_or_default(), CONTENT_LENGTH) {
                self.buffer.drain(..start + at);
                return Ok(true);
            }
            // Keep a tail that may be the start of the name.
            let keep = CONTENT_LENGTH.len() - 1;
            let cut = self.buffer.len().saturating_sub(keep).max(start);
            self.buffer.drain(..cut);
            from = 0;
            if !self.fill().await? {
                return Ok(false);
            }
        }
    }

    /// Gives back memory after a large frame.
    fn shrink(&mut self) {
        if self.buffer.capacity() > 2 * READ_CHUNK && self.buffer.capacity() > 4 * self.buffer.len() {
            self.buffer.shrink_to(self.buffer.len().max(READ_CHUNK));
        }
    }
}

/// Waits for a body of `length` bytes after a header of `body_start` bytes and checks it.
async fn read_body<R: AsyncRead + Unpin>(
    input: &mut Input<R>,
    body_start: usize,
    length: usize,
) -> std::io::Result<Outcome> {
    let mut end = ValueEnd::default();
    let mut scanned = 0;
    loop {
        let available = input.buffer.len().saturating_sub(body_start).min(length);
        let fresh = input.buffer.get(body_start + scanned..body_start + available).unwrap_or_default();
        if let Some(overrun) = end.feed(fresh) {
            // The declared length swallowed the start of the next message: answer this frame,
            // and read the next one from the byte after the object.
            let body = input.buffer.get(body_start..body_start + overrun).unwrap_or_default();
            let id = serde_json::from_slice::<Value>(body).ok().map_or(Value::Null, |value| readable_id(&value));
            let message = format!(
                "the Content-Length ({length}) is longer than the message, whose JSON ends after {overrun} bytes; \
                 the bytes after it are read as the next message"
            );
            return Ok(Outcome::Reply { id, code: PARSE_ERROR, message, resume: Some(body_start + overrun) });
        }
        scanned = available;
        if available == length {
            break;
        }
        match input.fill_unless_idle(end.complete()).await? {
            Fill::More => {}
            Fill::Ended => return Ok(Outcome::End),
            Fill::Idle => {
                let body = input.buffer.get(body_start..body_start + scanned).unwrap_or_default();
                let id = serde_json::from_slice::<Value>(body).ok().map_or(Value::Null, |value| readable_id(&value));
                let message = format!(
                    "the Content-Length ({length}) is longer than the message, whose JSON ended after {scanned} \
                     bytes and nothing followed"
                );
                return Ok(Outcome::Reply { id, code: PARSE_ERROR, message, resume: Some(body_start + scanned) });
            }
        }
    }
    let end = body_start + length;
    let body = input.buffer.get(body_start..end).unwrap_or_default();
    let outcome = match check(body) {
        Checked::Message => {
            let mut frame = format!("Content-Length: {length}\r\n\r\n").into_bytes();
            frame.extend_from_slice(body);
            Outcome::Forward(frame)
        }
        Checked::Batch(frames) => Outcome::Replies(frames),
        // A body that is not JSON may come from a length that was too short: its tail, before
        // the next header, is skipped. (After a well-framed body the next header is right
        // there, and nothing is skipped.)
        Checked::Error { id, code, message } => {
            Outcome::Reply { id, code, message, resume: (code == PARSE_ERROR).then_some(0) }
        }
    };
    input.buffer.drain(..end);
    Ok(outcome)
}

/// Streams away a body over [`MAX_CONTENT_LENGTH`] (the header is already consumed), keeping
/// only its start to find the id; stops early where the JSON object ends, as [`read_body`] does.
async fn skip_oversized<R: AsyncRead + Unpin>(input: &mut Input<R>, declared: &str) -> std::io::Result<Outcome> {
    let length = declared.parse::<usize>().unwrap_or(usize::MAX);
    let mut end = ValueEnd::default();
    let mut peek: Vec<u8> = Vec::new();
    let mut consumed = 0usize;
    let mut overran = false;
    loop {
        let take = (length - consumed).min(input.buffer.len());
        let fresh = input.buffer.get(..take).unwrap_or_default();
        // A body this large that does not even start like an object or an array is no JSON-RPC
        // message; most likely the length was garbage and the next header follows at once
        // (`Content-Length: 18446744073709551616` then the next message). Streaming away up to
        // the declared length would wait forever, so resynchronise on the next header here.
        if consumed == 0 && end.state == Scan::Start {
            if let Some(first) = fresh.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
                if !matches!(fresh.get(first), Some(b'{' | b'[')) {
                    overran = true;
                    break;
                }
            }
        }
        let used = match end.feed(fresh) {
            Some(overrun) => {
                overran = true;
                overrun - consumed
            }
            None => take,
        };
        let room = ID_PEEK_BYTES.saturating_sub(peek.len()).min(used);
        peek.extend_from_slice(input.buffer.get(..room).unwrap_or_default());
        input.buffer.drain(..used);
        consumed += used;
        if overran || consumed == length {
            break;
        }
        match input.fill_unless_idle(end.complete()).await? {
            Fill::More => {}
            Fill::Ended => return Ok(Outcome::End),
            Fill::Idle => {
                overran = true;
                break;
            }
        }
    }
    let id = top_level_id(&peek).unwrap_or(Value::Null);
    let message = format!(
        "a message of {declared} bytes is over the limit of {MAX_CONTENT_LENGTH} bytes ({} MiB) and was ignored{}",
        MAX_CONTENT_LENGTH >> 20,
        if overran { " (its JSON ended earlier; the bytes after it are read as the next message)" } else { "" }
    );
    Ok(Outcome::Reply { id, code: INVALID_REQUEST, message, resume: overran.then_some(0) })
}

/// The declared length of a body.
#[derive(Debug, PartialEq, Eq)]
enum Length {
    Exact(usize),
    /// Over [`MAX_CONTENT_LENGTH`]; the digits as sent (they may not fit a `usize`).
    Over(String),
}

#[derive(Debug, PartialEq, Eq)]
enum Header {
    /// More bytes are needed to tell.
    Partial,
    /// Not a header; answer, then resynchronise from `resume`.
    Invalid {
        reason: String,
        resume: usize,
    },
    Complete {
        body_start: usize,
        length: Length,
    },
}

/// Parses the header section at the start of `buffer` as far as it goes. Header lines end with
/// CRLF and are `name: value` with a token name and visible ASCII in the value; names are
/// case-insensitive; exactly one `Content-Length` of decimal digits is required; other headers
/// (`Content-Type`) are allowed and ignored (bodies are checked for UTF-8 whatever they say).
/// What has arrived of an unfinished line is checked too, so a bare LF or a garbage byte is
/// answered at once rather than when a blank line that may never come arrives.
fn parse_header(buffer: &[u8]) -> Header {
    let invalid = |reason: &str| Header::Invalid { reason: format!("not a message header: {reason}"), resume: 1 };
    let mut length: Option<&[u8]> = None;
    let mut line_start = 0;
    loop {
        let rest = buffer.get(line_start..).unwrap_or_default();
        let line_end = rest.windows(2).position(|pair| pair == b"\r\n");
        let line = match line_end {
            Some(end) => rest.get(..end).unwrap_or_default(),
            // A CR at the end of what arrived may be the start of the line's CRLF.
            None => rest.strip_suffix(b"\r").unwrap_or(rest),
        };
        if line_start + line.len() > MAX_HEADER_BYTES {
            let reason = format!("a message header was longer than {MAX_HEADER_BYTES} bytes");
            return Header::Invalid { reason, resume: 1 };
        }
        if line_end == Some(0) {
            if line_start == 0 {
                return invalid("an empty line where a header should start (a stray line break)");
            }
            let body_start = line_start + 2;
            let Some(digits) = length else {
                return Header::Invalid {
                    reason: "a message header without Content-Length".to_owned(),
                    resume: body_start,
                };
            };
            let digits = String::from_utf8_lossy(digits).into_owned();
            let length = match digits.parse::<usize>() {
                Ok(length) if length <= MAX_CONTENT_LENGTH => Length::Exact(length),
                _ => Length::Over(digits),
            };
            return Header::Complete { body_start, length };
        }
        let colon = line.iter().position(|&byte| byte == b':');
        let (name, value) = match colon {
            Some(colon) => (line.get(..colon).unwrap_or_default(), line.get(colon + 1..).unwrap_or_default()),
            None => (line, &[][..]),
        };
        if !name.iter().all(|&byte| is_token(byte)) || (colon.is_some() && name.is_empty()) {
            return invalid("a line that is not `name: value`");
        }
        if !value.iter().all(|&byte| byte == b'\t' || (b' '..=b'~').contains(&byte)) {
            return invalid("a header value with a byte that is not visible ASCII (a bare line feed?)");
        }
        if line_end.is_none() {
            return Header::Partial;
        }
        if colon.is_none() {
            return invalid("a line that is not `name: value`");
        }
        if name.eq_ignore_ascii_case(CONTENT_LENGTH) {
            let digits = value.trim_ascii();
            let resume = line_start + line.len();
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Header::Invalid { reason: "a Content-Length that is not a number".to_owned(), resume };
            }
            if length.is_some_and(|seen| seen != digits) {
                return Header::Invalid { reason: "two different Content-Length headers".to_owned(), resume };
            }
            length = Some(digits);
        }
        line_start += line.len() + 2;
    }
}

/// RFC 9110 token characters, which header names are made of.
fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

/// What a body is.
#[derive(Debug, PartialEq)]
enum Checked {
    /// A JSON-RPC message the transport accepts.
    Message,
    /// A batch: an error answer per element with an id (or one with a null id).
    Batch(Vec<Vec<u8>>),
    Error {
        id: Value,
        code: i64,
        message: String,
    },
}

/// What the transport decodes a body into: the same untagged enum as its private
/// `jsonrpc::Message` (0.23.0), so that a body passing here is one its decoder accepts (serde
/// refuses, for example, a key given twice, which `serde_json::Value` silently allows).
#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)] // only decoded, to check
enum TransportMessage {
    Response(Response),
    Request(Request),
}

/// Checks that `body` is one JSON-RPC 2.0 message that the transport can decode.
fn check(body: &[u8]) -> Checked {
    let error = |id: Value, code: i64, message: &str| Checked::Error { id, code, message: message.to_owned() };
    if std::str::from_utf8(body).is_err() {
        return error(top_level_id(body).unwrap_or(Value::Null), PARSE_ERROR, "the message body is not valid UTF-8");
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(why) => {
            let id = top_level_id(body).unwrap_or(Value::Null);
            return Checked::Error { id, code: PARSE_ERROR, message: format!("the message body is not JSON: {why}") };
        }
    };
    let object = match &value {
        Value::Object(object) => object,
        Value::Array(elements) => {
            let message = "batches are not supported: the Language Server Protocol sends one message per frame";
            let mut frames: Vec<Vec<u8>> = elements
                .iter()
                .map(readable_id)
                .filter(|id| !id.is_null())
                .flat_map(|id| error_frames(id, INVALID_REQUEST, message))
                .collect();
            if frames.is_empty() {
                frames = error_frames(Value::Null, INVALID_REQUEST, message);
            }
            return Checked::Batch(frames);
        }
        _ => return error(Value::Null, INVALID_REQUEST, "the message is not a JSON object"),
    };
    let id = readable_id(&value);
    if object.get("jsonrpc") != Some(&Value::from("2.0")) {
        return error(id, INVALID_REQUEST, "the message does not say \"jsonrpc\": \"2.0\"");
    }
    match object.get("id") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(Value::Number(number)) if number.is_i64() => {}
        Some(_) => return error(id, INVALID_REQUEST, "the id is not an integer, a string or null"),
    }
    match object.get("method") {
        Some(Value::String(_)) => {
            if object.contains_key("result") || object.contains_key("error") {
                return error(id, INVALID_REQUEST, "a message with a method cannot have a result or an error");
            }
            if let Err(why) = serde_json::from_slice::<TransportMessage>(body) {
                return Checked::Error { id, code: INVALID_REQUEST, message: format!("not a valid request: {why}") };
            }
        }
        Some(_) => return error(id, INVALID_REQUEST, "the method is not a string"),
        None => {
            // A response to a request of the server: never answered with the response's id,
            // which names a request of the server, not of the client.
            let shape = object.contains_key("id") && (object.contains_key("result") != object.contains_key("error"));
            if !shape {
                return error(Value::Null, INVALID_REQUEST, "neither a request (no method) nor a response");
            }
            if let Err(why) = serde_json::from_slice::<TransportMessage>(body) {
                let message = format!("not a valid response: {why}");
                return Checked::Error { id: Value::Null, code: INVALID_REQUEST, message };
            }
        }
    }
    Checked::Message
}

/// The id to answer a rejected request with: its id if it is a string or a number, else null.
fn readable_id(message: &Value) -> Value {
    if message.get("method").is_none() {
        return Value::Null;
    }
    match message.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
        _ => Value::Null,
    }
}

/// The `"id"` member of the top-level object in `body`, which may be truncated or not even
/// valid JSON: found by walking the JSON tokens, so an `"id"` nested in the params or inside a
/// string never counts. Only a number or a string without escapes is returned.
fn top_level_id(body: &[u8]) -> Option<Value> {
    let mut depth = 0usize;
    let mut at = 0;
    // Whether the last string at depth 1 was a key `"id"` waiting for its `:`.
    let mut id_key = false;
    let mut expect_value = false;
    while let Some(&byte) = body.get(at) {
        match byte {
            b'"' => {
                let start = at + 1;
                let mut end = start;
                let mut escaped = false;
                while let Some(&inner) = body.get(end) {
                    if inner == b'"' && !escaped {
                        break;
                    }
                    escaped = inner == b'\\' && !escaped;
                    end += 1;
                }
                let text = body.get(start..end)?;
                if depth == 1 && expect_value {
                    return (!text.contains(&b'\\'))
                        .then(|| std::str::from_utf8(text).ok().map(|text| Value::from(text.to_owned())))
                        .flatten();
                }
                id_key = depth == 1 && text == b"id";
                at = end + 1;
                continue;
            }
            b':' if depth == 1 && id_key => {
                expect_value = true;
                id_key = false;
            }
            b'{' | b'[' => {
                if expect_value {
                    return None;
                }
                depth += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' if depth == 1 && expect_value => {
                let number = body.get(at..)?;
                let length = number.iter().take_while(|b| b.is_ascii_digit() || b"-+.eE".contains(b)).count();
                return serde_json::from_slice::<serde_json::Number>(number.get(..length)?).ok().map(Value::Number);
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                if expect_value {
                    return None;
                }
                id_key = false;
            }
        }
        at += 1;
    }
    None
}

/// Where the JSON value at the start of a body ends, found as the bytes arrive with O(1) state.
/// Only objects and arrays have an end that can be found before the declared length; for
/// anything else the scanner gives up and the length is trusted.
#[derive(Debug, Default)]
struct ValueEnd {
    state: Scan,
    /// Bytes fed so far.
    position: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Scan {
    #[default]
    Start,
    Inside {
        depth: usize,
        in_string: bool,
        escaped: bool,
    },
    After,
    GaveUp,
}

impl ValueEnd {
    /// Whether the value has ended (only white space may follow).
    fn complete(&self) -> bool {
        self.state == Scan::After
    }

    /// Feeds the next bytes; returns the offset where the value ended when a byte other than
    /// white space follows it (the body is longer than its JSON).
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        for &byte in bytes {
            let whitespace = matches!(byte, b' ' | b'\t' | b'\r' | b'\n');
            self.state = match self.state {
                Scan::GaveUp => return None,
                Scan::Start if whitespace => Scan::Start,
                Scan::Start if byte == b'{' || byte == b'[' => {
                    Scan::Inside { depth: 1, in_string: false, escaped: false }
                }
                Scan::Start => Scan::GaveUp,
                Scan::Inside { depth, in_string: true, escaped } => {
                    Scan::Inside { depth, in_string: escaped || byte != b'"', escaped: !escaped && byte == b'\\' }
                }
                Scan::Inside { depth, .. } => match byte {
                    b'"' => Scan::Inside { depth, in_string: true, escaped: false },
                    b'{' | b'[' => Scan::Inside { depth: depth + 1, in_string: false, escaped: false },
                    b'}' | b']' if depth == 1 => Scan::After,
                    b'}' | b']' => Scan::Inside { depth: depth - 1, in_string: false, escaped: false },
                    _ => Scan::Inside { depth, in_string: false, escaped: false },
                },
                Scan::After if whitespace => Scan::After,
                // White space after the value belongs to the body; anything else does not.
                Scan::After => return Some(self.position),
            };
            self.position += 1;
        }
        None
    }
}

/// An error response, framed; one frame (a `Vec` so a batch can have several).
fn error_frames(id: Value, code: i64, message: &str) -> Vec<Vec<u8>> {
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } });
    let body = body.to_string();
    vec![format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()]
}

/// Owns the output: copies the transport's frames to `output` whole and writes the guard's error
/// answers between them, so no answer lands inside another message. Returns when the transport
/// has finished (its side of the pipe is closed), after writing what is left.
pub async fn write_output<R, W>(mut transport: R, output: W, mut replies: RepliesReceiver) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite,
{
    let mut output = pin!(output);
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0; READ_CHUNK];
    let mut replies_open = true;
    loop {
        tokio::select! {
            // Both branches are cancel-safe: a read that loses the race has read nothing, and
            // a reply that loses it stays in the channel.
            read = transport.read(&mut chunk) => {
                let read = read?;
                if read == 0 {
                    break;
                }
                pending.extend_from_slice(chunk.get(..read).unwrap_or_default());
                let complete = complete_frames(&pending);
                if complete > 0 {
                    output.write_all(pending.get(..complete).unwrap_or_default()).await?;
                    output.flush().await?;
                    pending.drain(..complete);
                }
            }
            reply = replies.recv(), if replies_open => match reply {
                Some(frame) => {
                    output.write_all(&frame).await?;
                    output.flush().await?;
                }
                None => replies_open = false,
            },
        }
    }
    output.write_all(&pending).await?;
    while let Ok(frame) = replies.try_recv() {
        output.write_all(&frame).await?;
    }
    output.flush().await
}

/// How many bytes at the start of `pending` are whole frames of the transport. Its encoder
/// writes exactly `Content-Length: N\r\n\r\n` and N bytes; anything else (which it never writes)
/// is passed through as it is rather than held back.
fn complete_frames(pending: &[u8]) -> usize {
    let mut at = 0;
    loop {
        let rest = pending.get(at..).unwrap_or_default();
        if rest.is_empty() {
            return at;
        }
        let Some(header_end) = rest.windows(4).position(|window| window == b"\r\n\r\n") else {
            return if rest.len() > MAX_HEADER_BYTES { pending.len() } else { at };
        };
        let length = rest
            .get(..header_end)
            .and_then(|header| std::str::from_utf8(header).ok())
            .and_then(|header| header.strip_prefix("Content-Length: "))
            .and_then(|digits| digits.parse::<usize>().ok());
        let Some(length) = length else { return pending.len() };
        let end = header_end + 4 + length;
        if rest.len() < end {
            return at;
        }
        at += end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    const EXIT: &str = r#"{"jsonrpc":"2.0","method":"exit"}"#;

    /// Runs the guard over `input`: what reaches the transport, and the error answers.
    async fn run_guard(input: Vec<u8>) -> (String, Vec<Value>) {
        let (replies, mut receiver) = mpsc::channel(1 << 16);
        let mut output = Vec::new();
        guard(input.as_slice(), &mut output, replies).await.unwrap();
        let mut answers = Vec::new();
        while let Ok(frame) = receiver.try_recv() {
            let text = String::from_utf8(frame).unwrap();
            let (_, body) = text.split_once("\r\n\r\n").unwrap();
            answers.push(serde_json::from_str(body).unwrap());
        }
        (String::from_utf8(output).unwrap(), answers)
    }

    fn codes(answers: &[Value]) -> Vec<(i64, Value)> {
        answers.iter().map(|answer| (answer["error"]["code"].as_i64().unwrap(), answer["id"].clone())).collect()
    }

    #[tokio::test]
    async fn well_formed_frames_reach_the_transport_canonically_framed() {
        let mut input = message(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#);
        input.extend(b"content-length: 33\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
        input.extend(EXIT.as_bytes());
        let (output, answers) = run_guard(input).await;
        let mut expected = message(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#);
        expected.extend(message(EXIT));
        assert_eq!(output.as_bytes(), expected.as_slice());
        assert!(answers.is_empty(), "{answers:?}");
    }

    #[tokio::test]
    async fn an_oversized_request_is_answered_for_its_id_and_the_next_frame_survives() {
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CONTENT_LENGTH)
        );
        let mut input = message(&big);
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(INVALID_REQUEST, serde_json::json!(7))]);
        assert!(answers[0]["error"]["message"].as_str().unwrap().contains("over the limit"));
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn a_length_too_large_for_any_integer_is_refused_and_the_next_frame_survives() {
        let mut input = b"Content-Length: 18446744073709551616\r\n\r\n".to_vec();
        input.extend(br#"{"jsonrpc":"2.0","id":3,"method":"x"}"#);
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(INVALID_REQUEST, serde_json::json!(3))]);
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn a_length_too_large_for_any_integer_followed_by_the_next_header_loses_nothing() {
        let mut input = b"Content-Length: 18446744073709551616\r\n\r\n".to_vec();
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(INVALID_REQUEST, Value::Null)]);
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn a_content_length_that_is_not_a_number_is_a_parse_error_and_the_stream_resynchronises() {
        let mut input = b"Content-Length: a\r\n\r\n{\"garbage\":1}".to_vec();
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(PARSE_ERROR, Value::Null)]);
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn a_header_without_end_is_cut_at_the_limit() {
        let mut input = vec![b'X'; MAX_HEADER_BYTES * 3];
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(PARSE_ERROR, Value::Null)]);
        assert!(answers[0]["error"]["message"].as_str().unwrap().contains("longer than"));
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn a_length_a_few_bytes_too_long_is_answered_and_the_message_it_swallowed_survives() {
        let body = r#"{"jsonrpc":"2.0","id":4,"method":"x"}"#;
        let mut input = format!("Content-Length: {}\r\n\r\n{body}", body.len() + 3).into_bytes();
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(PARSE_ERROR, serde_json::json!(4))]);
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn a_length_too_long_is_answered_without_waiting_for_bytes_that_never_come() {
        // The declared length is far beyond what is sent; the next message is in the buffer and
        // the input stays open.
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (replies, mut receiver) = mpsc::channel(16);
        let (transport, mut transport_side) = tokio::io::duplex(1 << 16);
        tokio::spawn(guard(server, transport, replies));
        let body = r#"{"jsonrpc":"2.0","id":5,"method":"x"}"#;
        let mut input = format!("Content-Length: {}\r\n\r\n{body}", body.len() + 1000).into_bytes();
        input.extend(message(EXIT));
        client.write_all(&input).await.unwrap();
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), receiver.recv()).await.unwrap().unwrap();
        assert!(String::from_utf8(answer).unwrap().contains(r#""id":5"#));
        let mut forwarded = vec![0; message(EXIT).len()];
        tokio::time::timeout(std::time::Duration::from_secs(5), transport_side.read_exact(&mut forwarded))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(forwarded, message(EXIT));
    }

    #[tokio::test]
    async fn a_length_too_long_is_answered_when_nothing_follows_the_json() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (replies, mut receiver) = mpsc::channel(16);
        let (transport, _transport_side) = tokio::io::duplex(1 << 16);
        tokio::spawn(guard(server, transport, replies));
        for declared in ["100", "18446744073709551616"] {
            let body = r#"{"jsonrpc":"2.0","id":5,"method":"x"}"#;
            client.write_all(format!("Content-Length: {declared}\r\n\r\n{body}").as_bytes()).await.unwrap();
            let answer =
                tokio::time::timeout(std::time::Duration::from_secs(5), receiver.recv()).await.unwrap().unwrap();
            assert!(String::from_utf8(answer).unwrap().contains(r#""id":5"#), "{declared}");
        }
    }

    #[tokio::test]
    async fn a_length_a_few_bytes_too_short_is_a_parse_error_and_the_tail_is_skipped() {
        let body = r#"{"jsonrpc":"2.0","id":6,"method":"x","params":{}}"#;
        let mut input = format!("Content-Length: {}\r\n\r\n{body}", body.len() - 3).into_bytes();
        input.extend(message(EXIT));
        let (output, answers) = run_guard(input).await;
        assert_eq!(codes(&answers), vec![(PARSE_ERROR, serde_json::json!(6))]);
        assert_eq!(output.as_bytes(), message(EXIT).as_slice());
    }

    #[tokio::test]
    async fn stray_bytes_between_messages_are_one_parse_error_each() {
        for stray in [&b"\r\n"[..], b"garbage line\r\n", b"{not a header}"] {
            let mut input = message(EXIT);
            input.extend(stray);
            input.extend(message(EXIT));
            let (output, answers) = run_guard(input).await;
            assert_eq!(codes(&answers), vec![(PARSE_ERROR, Value::Null)], "{stray:?}");
            assert_eq!(output, format!("{0}{0}", String::from_utf8(message(EXIT)).unwrap()), "{stray:?}");
        }
    }

    #[tokio::test]
    async fn lf_only_headers_and_headers_without_content_length_are_parse_errors() {
        for bad in [format!("Content-Length: {}\n\n{EXIT}", EXIT.len()), format!("Content-Type: x\r\n\r\n{EXIT}")] {
            let mut input = bad.clone().into_bytes();
            input.extend(message(EXIT));
            let (output, answers) = run_guard(input).await;
            assert_eq!(codes(&answers), vec![(PARSE_ERROR, Value::Null)], "{bad:?}");
            assert_eq!(output.as_bytes(), message(EXIT).as_slice(), "{bad:?}");
        }
    }

    #[test]
    fn headers_are_checked_as_they_arrive() {
        assert_eq!(parse_header(b""), Header::Partial);
        assert_eq!(parse_header(b"Content-Len"), Header::Partial);
        assert_eq!(parse_header(b"Content-Length: 12\r"), Header::Partial);
        assert_eq!(parse_header(b"Content-Length: 12\r\n"), Header::Partial);
        assert_eq!(
            parse_header(b"CONTENT-LENGTH:12\r\nX-Other: y\r\n\r\n"),
            Header::Complete { body_start: 33, length: Length::Exact(12) }
        );
        assert!(matches!(parse_header(b"Content-Length: 12\n"), Header::Invalid { resume: 1, .. }));
        assert!(matches!(parse_header(b"\r\n"), Header::Invalid { resume: 1, .. }));
        assert!(matches!(parse_header(b"{"), Header::Invalid { resume: 1, .. }));
        assert!(matches!(parse_header(b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n"), Header::Invalid { .. }));
        assert_eq!(
            parse_header(b"Content-Length: 99999999999999999999999\r\n\r\n"),
            Header::Complete { body_start: 43, length: Length::Over("99999999999999999999999".to_owned()) }
        );
    }

    #[test]
    fn bodies_are_checked_against_json_rpc() {
        let error = |body: &str| match check(body.as_bytes()) {
            Checked::Error { id, code, .. } => Some((code, id)),
            Checked::Batch(frames) => Some((INVALID_REQUEST, Value::from(frames.len()))),
            Checked::Message => None,
        };
        assert_eq!(error(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{}}"#), None);
        assert_eq!(error(r#"{"jsonrpc":"2.0","method":"x"}"#), None);
        assert_eq!(error(r#"{"jsonrpc":"2.0","id":"a","result":null}"#), None);
        assert_eq!(error(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}"#), None);
        assert_eq!(error("{not json}"), Some((PARSE_ERROR, Value::Null)));
        assert_eq!(error("null"), Some((INVALID_REQUEST, Value::Null)));
        assert_eq!(error("{}"), Some((INVALID_REQUEST, Value::Null)));
        assert_eq!(error("[]"), Some((INVALID_REQUEST, Value::from(1))));
        assert_eq!(
            error(r#"[{"jsonrpc":"2.0","id":1,"method":"x"},{"jsonrpc":"2.0","id":2,"method":"y"}]"#),
            Some((INVALID_REQUEST, Value::from(2)))
        );
        assert_eq!(error(r#"{"jsonrpc":"2.0","id":3,"method":123}"#), Some((INVALID_REQUEST, Value::from(3))));
        assert_eq!(error(r#"{"jsonrpc":"1.0","id":3,"method":"x"}"#), Some((INVALID_REQUEST, Value::from(3))));
        assert_eq!(
            error(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#),
            Some((INVALID_REQUEST, serde_json::json!(1.5)))
        );
        assert_eq!(error(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#), Some((INVALID_REQUEST, Value::Null)));
        // serde_json keeps the last of two keys; the transport's decoder refuses duplicates.
        assert_eq!(
            error(r#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":8,"method":"x"}"#),
            Some((INVALID_REQUEST, Value::from(8)))
        );
        assert_eq!(
            error(r#"{"jsonrpc":"2.0","id":1,"method":"x","result":1}"#),
            Some((INVALID_REQUEST, Value::from(1)))
        );
        assert_eq!(
            check(b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"\xff\"}"),
            Checked::Error {
                id: Value::from(9),
                code: PARSE_ERROR,
                message: "the message body is not valid UTF-8".to_owned()
            }
        );
    }

    #[test]
    fn request_ids_are_found_only_at_the_top_level() {
        assert_eq!(top_level_id(br#"{"jsonrpc":"2.0","id":12,"method":"x"}"#), Some(serde_json::json!(12)));
        assert_eq!(top_level_id(br#"{"id" : "abc","method":"x"}"#), Some(serde_json::json!("abc")));
        assert_eq!(top_level_id(br#"{"method":"didChange","params":{"text":"\"id\":3"}}"#), None);
        assert_eq!(top_level_id(br#"{"params":{"id":3},"id":5,"method":"x"#), Some(serde_json::json!(5)));
        assert_eq!(top_level_id(br#"{"method":"id","x":1}"#), None);
        assert_eq!(top_level_id(br#"{"method":"x"}"#), None);
        assert_eq!(top_level_id(br#"{"id":null}"#), None);
    }

    #[test]
    fn the_end_of_a_json_object_is_found_across_chunks() {
        let mut end = ValueEnd::default();
        assert_eq!(end.feed(br#" {"a":"}\"","b":[1,{"#), None);
        assert_eq!(end.feed(br#"}]} "#), None);
        assert_eq!(end.feed(b"\r\nC"), Some(26));
        let mut scalar = ValueEnd::default();
        assert_eq!(scalar.feed(b"null Content-Length"), None);
    }

    #[tokio::test]
    async fn the_writer_puts_answers_between_frames_never_inside_one() {
        let (mut transport, transport_side) = tokio::io::duplex(1 << 16);
        let (replies, receiver) = replies();
        let mut output = Vec::new();
        let frame = message(EXIT);
        let (first, second) = frame.split_at(10);
        let writer = write_output(transport_side, &mut output, receiver);
        let script = async move {
            transport.write_all(first).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            replies.send(message("{}")).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            transport.write_all(second).await.unwrap();
            drop(transport);
        };
        let (written, ()) = tokio::join!(writer, script);
        written.unwrap();
        let mut expected = message("{}");
        expected.extend(message(EXIT));
        assert_eq!(String::from_utf8(output).unwrap(), String::from_utf8(expected).unwrap());
    }

    #[tokio::test]
    async fn random_streams_never_panic_and_only_valid_messages_reach_the_transport() {
        // A small linear congruential generator: deterministic, no dependency.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % bound
        };
        let pieces: [&[u8]; 12] = [
            b"Content-Length: ",
            b"content-length:",
            b"12",
            b"\r\n",
            b"\n",
            b"\r\n\r\n",
            br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#,
            br#"{"jsonrpc":"2.0","id":"#,
            b"[{}]",
            b"\"\\\"{[",
            b"\xff\xfe",
            b"}]} ",
        ];
        for _ in 0..300 {
            let mut input = Vec::new();
            for _ in 0..next(12) {
                if next(3) == 0 {
                    input.extend(message(r#"{"jsonrpc":"2.0","id":2,"method":"y"}"#));
                } else {
                    input.extend(pieces[next(pieces.len())]);
                }
            }
            input.extend(message(EXIT));
            let (output, _) = run_guard(input).await;
            let mut rest = output.as_str();
            while !rest.is_empty() {
                let (header, after) = rest.split_once("\r\n\r\n").unwrap();
                let length: usize = header.strip_prefix("Content-Length: ").unwrap().parse().unwrap();
                let (body, after) = after.split_at(length);
                assert!(serde_json::from_str::<TransportMessage>(body).is_ok(), "{body}");
                rest = after;
            }
        }
    }
}
