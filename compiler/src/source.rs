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
    /// The text to parse and to render diagnostics against. When `usable` is false it is a lossy
    /// rendering of the bytes whose prefix up to the first problem is exact, so spans stay right.
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the text must not be parsed (too large, not UTF-8).
    pub usable: bool,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn decode_source(file: FileId, bytes: &[u8]) -> Decoded {
    if bytes.len() > MAX_SOURCE_BYTES {
        let diagnostic = Diagnostic::new(
            Code::J0111,
            format!(
                "file is {} bytes; the limit is {} bytes ({} MiB)",
                bytes.len(),
                MAX_SOURCE_BYTES,
                MAX_SOURCE_BYTES / (1024 * 1024)
            ),
            file,
            Span::empty(0),
        )
        .with_help("split the file into several files and `import` them");
        return Decoded { text: String::new(), diagnostics: vec![diagnostic], usable: false };
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
            let text = String::from_utf8_lossy(body).into_owned();
            let bad_len = error.error_len().unwrap_or(body.len() - at);
            let shown = body
                .get(at..at + bad_len.min(4))
                .unwrap_or(&[])
                .iter()
                .map(|b| format!("0x{b:02X}"))
                .collect::<Vec<_>>()
                .join(" ");
            // The lossy text replaced the bad bytes with U+FFFD (3 bytes); label that character.
            let span = Span::new(at, (at + '\u{FFFD}'.len_utf8()).min(text.len()));
            let diagnostic = Diagnostic::new(Code::J0112, format!("invalid UTF-8 byte sequence {shown}"), file, span)
                .with_label("not UTF-8")
                .with_help("save the file as UTF-8; journey files are always UTF-8");
            Decoded { text, diagnostics: vec![diagnostic], usable: false }
        }
    }
}
