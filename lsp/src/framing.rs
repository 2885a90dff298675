//! Message size limits on the wire, before tower-lsp-server sees a byte.
//!
//! tower-lsp-server's codec buffers a message until `Content-Length` bytes have arrived, whatever
//! the length says, and has no limit on headers. Between stdin and the server this guard reads the
//! framing itself and enforces reliability.md §5.7: a header section of at most 8 KiB and a body of
//! at most 16 MiB. A frame over a limit is skipped (its body streamed away, never buffered) and
//! the server stays up; if it was a request, the client gets an error answer for its id, so it
//! never waits for a response that will not come. Well-formed frames pass through unchanged.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest message body accepted.
pub const MAX_CONTENT_LENGTH: usize = 16 << 20;
/// Largest header section accepted (it normally holds one or two short lines).
pub const MAX_HEADER_BYTES: usize = 8 << 10;
/// The request the guard forwards in place of a request that was too large; the server answers
/// it with an error for the original id.
pub const FRAME_TOO_LARGE_METHOD: &str = "journey/frameTooLarge";
/// The notification the guard forwards in place of a frame it had to drop; the server logs it.
pub const FRAME_REJECTED_METHOD: &str = "journey/frameRejected";

/// How much of an oversized body is kept to find the request's id.
const ID_PEEK_BYTES: usize = 4096;
const READ_CHUNK: usize = 64 << 10;
const HEADER_END: &[u8] = b"\r\n\r\n";
const CONTENT_LENGTH: &[u8] = b"Content-Length";

/// Copies framed messages from `input` to `output`, replacing frames over the limits. Returns
/// when `input` ends or `output` is closed.
pub async fn guard<R, W>(mut input: R, mut output: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buffer: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut eof = false;
    loop {
        let Some(header_len) = find(&buffer, HEADER_END) else {
            if buffer.len() > MAX_HEADER_BYTES {
                let reason = format!("a message header was longer than {MAX_HEADER_BYTES} bytes");
                output.write_all(&notification(&reason)).await?;
                resync(&mut buffer, 1);
                continue;
            }
            if eof {
                break;
            }
            eof = !fill(&mut input, &mut buffer).await?;
            continue;
        };
        if header_len > MAX_HEADER_BYTES {
            let reason = format!("a message header was longer than {MAX_HEADER_BYTES} bytes");
            output.write_all(&notification(&reason)).await?;
            resync(&mut buffer, 1);
            continue;
        }
        let body_start = header_len + HEADER_END.len();
        let length = buffer.get(..header_len).map(content_length).unwrap_or(Err("no header"));
        match length {
            Err(why) => {
                let reason = format!("a message header was not valid ({why})");
                output.write_all(&notification(&reason)).await?;
                resync(&mut buffer, body_start);
            }
            Ok(length) if length > MAX_CONTENT_LENGTH => {
                buffer.drain(..body_start);
                // Keep the start of the body to find the id, stream the rest away.
                while buffer.len() < length.min(ID_PEEK_BYTES) && fill(&mut input, &mut buffer).await? {}
                let id = request_id(buffer.get(..buffer.len().min(ID_PEEK_BYTES)).unwrap_or_default());
                let mut remaining = length;
                let take = remaining.min(buffer.len());
                buffer.drain(..take);
                remaining -= take;
                while remaining > 0 {
                    if !fill(&mut input, &mut buffer).await? {
                        break;
                    }
                    let take = remaining.min(buffer.len());
                    buffer.drain(..take);
                    remaining -= take;
                }
                let reason = format!(
                    "a message of {length} bytes is over the limit of {MAX_CONTENT_LENGTH} bytes ({} MiB) and was ignored",
                    MAX_CONTENT_LENGTH >> 20
                );
                let replacement = match id {
                    Some(id) => request(&id, &reason),
                    None => notification(&reason),
                };
                output.write_all(&replacement).await?;
            }
            Ok(length) => {
                let end = body_start + length;
                while buffer.len() < end {
                    if !fill(&mut input, &mut buffer).await? {
                        return output.flush().await;
                    }
                }
                output.write_all(buffer.get(..end).unwrap_or_default()).await?;
                buffer.drain(..end);
            }
        }
        output.flush().await?;
    }
    output.flush().await
}

/// Reads more input; false at end of input.
async fn fill<R: AsyncRead + Unpin>(input: &mut R, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    buffer.reserve(READ_CHUNK);
    Ok(input.read_buf(buffer).await? > 0)
}

/// Drops `skip` bytes and then everything up to the next `Content-Length`, keeping a tail that
/// may be the start of one.
fn resync(buffer: &mut Vec<u8>, skip: usize) {
    buffer.drain(..skip.min(buffer.len()));
    match find(buffer, CONTENT_LENGTH) {
        Some(at) => {
            buffer.drain(..at);
        }
        None => {
            let keep = CONTENT_LENGTH.len() - 1;
            let cut = buffer.len().saturating_sub(keep);
            buffer.drain(..cut);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The `Content-Length` of a header section: exactly one, decimal digits only.
fn content_length(header: &[u8]) -> Result<usize, &'static str> {
    let text = std::str::from_utf8(header).map_err(|_| "not ASCII")?;
    let mut length = None;
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else { return Err("a line without `:`") };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err("Content-Length is not a number");
            }
            // More digits than fit: certainly over the limit.
            length = Some(value.parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    length.ok_or("no Content-Length")
}

/// The `"id"` of a JSON-RPC request from the start of its body, when it can be found with
/// confidence: a top-level-looking `"id":` followed by a number or a plain string.
fn request_id(body: &[u8]) -> Option<serde_json::Value> {
    let text = String::from_utf8_lossy(body);
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("\"id\"")) {
        let at = from + found;
        from = at + 4;
        let before = text.get(..at).unwrap_or("").trim_end();
        if !(before.ends_with('{') || before.ends_with(',')) {
            continue;
        }
        let after = text.get(at + 4..).unwrap_or("").trim_start();
        let Some(value) = after.strip_prefix(':').map(str::trim_start) else { continue };
        if let Some(rest) = value.strip_prefix('"') {
            let end = rest.find(['"', '\\'])?;
            if rest.get(end..end + 1) != Some("\"") {
                return None;
            }
            return Some(serde_json::Value::String(rest.get(..end)?.to_owned()));
        }
        let digits: String = value.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
        return digits.parse::<i64>().ok().map(serde_json::Value::from);
    }
    None
}

fn frame(body: &serde_json::Value) -> Vec<u8> {
    let body = body.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn request(id: &serde_json::Value, reason: &str) -> Vec<u8> {
    frame(&serde_json::json!({
        "jsonrpc": "2.0", "id": id, "method": FRAME_TOO_LARGE_METHOD, "params": { "reason": reason }
    }))
}

fn notification(reason: &str) -> Vec<u8> {
    frame(&serde_json::json!({ "jsonrpc": "2.0", "method": FRAME_REJECTED_METHOD, "params": { "reason": reason } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    async fn run_guard(input: Vec<u8>) -> String {
        let mut output = Vec::new();
        guard(input.as_slice(), &mut output).await.unwrap();
        String::from_utf8(output).unwrap()
    }

    #[tokio::test]
    async fn well_formed_frames_pass_through_unchanged() {
        let mut input = message(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#);
        input.extend(b"Content-Length: 33\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
        input.extend(br#"{"jsonrpc":"2.0","method":"exit"}"#);
        assert_eq!(run_guard(input.clone()).await.as_bytes(), input.as_slice());
    }

    #[tokio::test]
    async fn an_oversized_request_becomes_an_error_request_for_its_id_and_the_next_frame_survives() {
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CONTENT_LENGTH)
        );
        let mut input = message(&big);
        input.extend(message(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        let output = run_guard(input).await;
        assert!(output.contains(r#""id":7"#), "{output}");
        assert!(output.contains(FRAME_TOO_LARGE_METHOD));
        assert!(output.ends_with(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        assert!(output.len() < 1000);
    }

    #[tokio::test]
    async fn a_content_length_that_is_not_a_number_is_rejected_and_the_stream_resynchronises() {
        let mut input = b"Content-Length: a\r\n\r\n{\"garbage\":1}".to_vec();
        input.extend(message(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        let output = run_guard(input).await;
        assert!(output.contains("not a number"), "{output}");
        assert!(output.ends_with(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    }

    #[tokio::test]
    async fn a_header_without_end_is_cut_at_the_limit() {
        let mut input = vec![b'X'; MAX_HEADER_BYTES * 3];
        input.extend(message(r#"{"jsonrpc":"2.0","method":"exit"}"#));
        let output = run_guard(input).await;
        assert!(output.contains("header was longer"), "{output}");
        assert!(output.ends_with(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    }

    #[test]
    fn request_ids_are_found_only_where_they_are_unambiguous() {
        assert_eq!(request_id(br#"{"jsonrpc":"2.0","id":12,"method":"x"}"#), Some(serde_json::json!(12)));
        assert_eq!(request_id(br#"{"id" : "abc","method":"x"}"#), Some(serde_json::json!("abc")));
        assert_eq!(request_id(br#"{"method":"didChange","params":{"text":"\"id\":3"}}"#), None);
        assert_eq!(request_id(br#"{"method":"x"}"#), None);
    }

    #[test]
    fn content_length_must_be_digits() {
        assert_eq!(content_length(b"Content-Length: 12"), Ok(12));
        assert_eq!(content_length(b"content-length:7\r\nContent-Type: x"), Ok(7));
        assert!(content_length(b"Content-Length: -1").is_err());
        assert!(content_length(b"Content-Type: x").is_err());
        assert_eq!(content_length(b"Content-Length: 99999999999999999999999"), Ok(usize::MAX));
    }
}
