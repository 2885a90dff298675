//! Turning raw bytes into source text, before any parsing.
//!
//! This is the only place where bytes become a `str`. It enforces the size limit, accepts and
//! strips a UTF-8 byte-order mark, and reports invalid UTF-8 with the line and column of the first
//! bad byte. Everything after it works on valid UTF-8 text.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::MAX_SOURCE_BYTES;
use crate::span::{FileId, Span};

/// The result of decoding one file's bytes.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text to parse and to render diagnostics against. When the bytes are not UTF-8, every
    /// invalid byte is shown as `?`, so the text has exactly the bytes' length and offsets mean
    /// the same in both.
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the text must not be parsed (too large, not UTF-8).
    pub usable: bool,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn decode_source(file: FileId, bytes: &[u8]) -> Decoded {
    if bytes.len() > MAX_SOURCE_BYTES {
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        return Decoded { text: String::new(), diagnostics: vec![too_large(file, len)], usable: false };
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let diagnostic = Diagnostic::new(Code::J0112, "file is encoded as UTF-16", file, Span::empty(0))
            .with_label("UTF-16 byte-order mark")
            .with_help("save the file as UTF-8");
        return Decoded { text: String::new(), diagnostics: vec![diagnostic], usable: false };
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Decoded { text: text.to_owned(), diagnostics: Vec::new(), usable: true },
        Err(error) => {
            let at = error.valid_up_to();
            let bad_len = error.error_len().unwrap_or(body.len() - at);
            let shown = body
                .get(at..at + bad_len.min(4))
                .unwrap_or(&[])
                .iter()
                .map(|b| format!("0x{b:02X}"))
                .collect::<Vec<_>>()
                .join(" ");
            let diagnostic = Diagnostic::new(
                Code::J0112,
                format!("invalid UTF-8 byte sequence {shown}"),
                file,
                Span::new(at, at + bad_len),
            )
            .with_label("not UTF-8")
            .with_help("save the file as UTF-8; journey files are always UTF-8");
            Decoded { text: byte_exact_lossy(body), diagnostics: vec![diagnostic], usable: false }
        }
    }
}

/// Decodes `bytes`, replacing each byte of an invalid sequence with one `?`, so that byte offsets
/// into the result equal byte offsets into the input.
fn byte_exact_lossy(mut bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                text.push_str(valid);
                return text;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = error.error_len().unwrap_or(rest.len()).max(1);
                text.extend(std::iter::repeat_n('?', bad.min(rest.len())));
                bytes = rest.get(bad..).unwrap_or(&[]);
            }
        }
    }
}

/// The diagnostic for a file over [`MAX_SOURCE_BYTES`], from its size alone (callers that can
/// see the size before reading use this and never read the file).
pub fn too_large(file: FileId, len: u64) -> Diagnostic {
    Diagnostic::new(
        Code::J0111,
        format!(
            "file is {len} bytes; the limit is {} bytes ({} MiB)",
            MAX_SOURCE_BYTES,
            MAX_SOURCE_BYTES / (1024 * 1024)
        ),
        file,
        Span::empty(0),
    )
    .with_help("split the file into several files and `import` them")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_become_one_question_mark_each_so_offsets_are_unchanged() {
        let bytes = b"ab\xE6\x97x\xFF\xC3";
        let decoded = decode_source(FileId(0), bytes);
        assert!(!decoded.usable);
        assert_eq!(decoded.text, "ab??x??");
        assert_eq!(decoded.text.len(), bytes.len());
        assert_eq!(decoded.diagnostics[0].primary.span, Span::new(2, 4));
    }

    #[test]
    fn a_utf8_byte_order_mark_is_stripped() {
        let decoded = decode_source(FileId(0), b"\xEF\xBB\xBFsegment a = b\n");
        assert!(decoded.usable);
        assert_eq!(decoded.text, "segment a = b\n");
    }
}
