//! Formatting a document (`textDocument/formatting`): the compiler's formatter, the one
//! `journey fmt` runs, on the editor's buffer. The client's formatting options (tab size,
//! spaces) are not asked: there is one layout.

use journey_compiler::format::format;

const BOM: char = '\u{feff}';

/// What formatting a buffer gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatting {
    /// The buffer is formatted already.
    Unchanged,
    /// The whole buffer's formatted text (with the byte-order mark it had, if any).
    Replaced(String),
    /// Not formatted, and why (a syntax error, for one): the buffer is left as it is.
    Refused(String),
}

pub fn format_buffer(buffer: &str) -> Formatting {
    // The compiler reads text without the mark; the buffer keeps it, as `journey fmt` does.
    let (mark, text) = match buffer.strip_prefix(BOM) {
        Some(text) => (BOM.to_string(), text),
        None => (String::new(), buffer),
    };
    match format(text) {
        Ok(formatted) if formatted == text => Formatting::Unchanged,
        Ok(formatted) => Formatting::Replaced(mark + &formatted),
        Err(refused) => Formatting::Refused(refused.describe(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messy_buffer_is_replaced_by_its_canonical_layout() {
        let buffer = "segment  vip=x>=1\r\n";
        assert_eq!(format_buffer(buffer), Formatting::Replaced("segment vip = x >= 1\n".to_owned()));
    }

    #[test]
    fn a_byte_order_mark_is_kept_and_a_formatted_buffer_is_unchanged() {
        assert_eq!(format_buffer("\u{feff}segment vip = x\n"), Formatting::Unchanged);
        assert_eq!(format_buffer("\u{feff}segment vip =x\n"), Formatting::Replaced("\u{feff}segment vip = x\n".into()));
    }

    #[test]
    fn a_buffer_with_a_syntax_error_is_refused_with_the_reason() {
        let Formatting::Refused(why) = format_buffer("journey j {\n  stage s { sned x }\n}\n") else {
            panic!("not refused")
        };
        assert!(why.starts_with("it has a syntax error (at line 2, column 13"), "{why}");
    }
}
