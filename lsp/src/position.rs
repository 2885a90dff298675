//! The one place where byte offsets become LSP positions and back.
//!
//! Inside the server everything is a byte offset into the analysed text (the compiler's [`Span`]s).
//! Clients count columns in UTF-16 code units unless both sides agree on UTF-8 during
//! `initialize` (LSP 3.17 `positionEncodings`). Getting this wrong puts squiggles in the wrong
//! place and, worse, makes rename edits corrupt the file, so every
//! conversion goes through [`PositionMap`] and is tested with emoji and CJK before the cursor.
//!
//! A leading byte-order mark is part of the editor's buffer but not of the analysed text (the
//! compiler strips it), so positions on the first line are shifted by its width here as well.

use journey_compiler::{LineCol, LineIndex, Span};
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

/// How the client counts columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-16 code units: the LSP default, what VS Code and Neovim count.
    Utf16,
    /// Bytes of UTF-8, when the client offers `utf-8` in `general.positionEncodings`.
    Utf8,
}

impl Encoding {
    /// Picks UTF-8 when the client offers it (no conversion at all), else the mandatory UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf8 => PositionEncodingKind::UTF8,
        }
    }

    /// The width of a byte-order mark in this unit.
    fn bom_width(self) -> usize {
        match self {
            Encoding::Utf16 => 1,
            Encoding::Utf8 => '\u{feff}'.len_utf8(),
        }
    }
}

/// Converts between byte offsets in one analysed text and client positions.
#[derive(Debug, Clone, Copy)]
pub struct PositionMap<'a> {
    text: &'a str,
    index: &'a LineIndex,
    encoding: Encoding,
    /// The client's buffer starts with a byte-order mark the analysed text does not have.
    leading_bom: bool,
}

impl<'a> PositionMap<'a> {
    pub fn new(text: &'a str, index: &'a LineIndex, encoding: Encoding, leading_bom: bool) -> PositionMap<'a> {
        PositionMap { text, index, encoding, leading_bom }
    }

    /// The client position of a byte offset. Offsets past the end or inside a character are
    /// clamped, never a panic.
    pub fn position(&self, offset: usize) -> Position {
        let LineCol { line, mut col } = match self.encoding {
            Encoding::Utf16 => self.index.line_col_utf16(self.text, offset),
            Encoding::Utf8 => self.index.line_col_bytes(self.text, offset),
        };
        if line == 0 && self.leading_bom {
            col += self.encoding.bom_width();
        }
        Position::new(saturate(line), saturate(col))
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start()), self.position(span.end()))
    }

    /// The byte offset of a client position. A column past the end of its line means the end of
    /// the line, a line past the end means the end of the text (as LSP asks), and a column in the
    /// middle of a character snaps to the character's start.
    pub fn offset(&self, position: Position) -> usize {
        let line = position.line as usize;
        if line >= self.index.line_count() {
            return self.text.len();
        }
        let mut col = position.character as usize;
        if line == 0 && self.leading_bom {
            col = col.saturating_sub(self.encoding.bom_width());
        }
        let range = self.index.line_range(self.text, line);
        let line_text = self.text.get(range.clone()).unwrap_or("");
        match self.encoding {
            Encoding::Utf16 => {
                let mut units = 0;
                for (i, ch) in line_text.char_indices() {
                    units += ch.len_utf16();
                    if units > col {
                        return range.start + i;
                    }
                }
                range.end
            }
            Encoding::Utf8 => {
                let mut offset = col.min(line_text.len());
                while offset > 0 && !line_text.is_char_boundary(offset) {
                    offset -= 1;
                }
                range.start + offset
            }
        }
    }

    /// The span of a client range (start and end converted separately, end never before start).
    pub fn span(&self, range: Range) -> Span {
        Span::new(self.offset(range.start), self.offset(range.end))
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str, encoding: Encoding) -> (LineIndex, Encoding) {
        (LineIndex::new(text), encoding)
    }

    /// Every char boundary of `text` survives offset -> position -> offset.
    fn assert_round_trips(text: &str, encoding: Encoding, leading_bom: bool) {
        let (index, encoding) = map(text, encoding);
        let positions = PositionMap::new(text, &index, encoding, leading_bom);
        // Between the `\r` and the `\n` of a CRLF is not a position a client can name.
        let inside_crlf = |i: usize| i > 0 && text.get(i - 1..=i) == Some("\r\n");
        for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i) && !inside_crlf(i)) {
            let position = positions.position(offset);
            assert_eq!(positions.offset(position), offset, "offset {offset} via {position:?} in {text:?}");
        }
    }

    #[test]
    fn emoji_before_the_cursor_counts_two_utf16_units_and_four_bytes() {
        let text = "send 😀 welcome";
        let index = LineIndex::new(text);
        let at = text.find("welcome").unwrap();
        let utf16 = PositionMap::new(text, &index, Encoding::Utf16, false);
        let utf8 = PositionMap::new(text, &index, Encoding::Utf8, false);
        assert_eq!(utf16.position(at), Position::new(0, 8));
        assert_eq!(utf8.position(at), Position::new(0, 10));
        assert_eq!(utf16.offset(Position::new(0, 8)), at);
        assert_eq!(utf8.offset(Position::new(0, 10)), at);
    }

    #[test]
    fn cjk_before_the_cursor_counts_one_utf16_unit_and_three_bytes() {
        let text = "text \"日本語\"\n  goto 次 stage";
        let index = LineIndex::new(text);
        let at = text.find("stage").unwrap();
        let utf16 = PositionMap::new(text, &index, Encoding::Utf16, false);
        let utf8 = PositionMap::new(text, &index, Encoding::Utf8, false);
        assert_eq!(utf16.position(at), Position::new(1, 9));
        assert_eq!(utf8.position(at), Position::new(1, 11));
        assert_eq!(utf16.offset(Position::new(1, 9)), at);
        assert_eq!(utf8.offset(Position::new(1, 11)), at);
    }

    #[test]
    fn every_offset_round_trips_in_both_encodings() {
        for text in ["", "a", "😀😀\n日本\r\nx\ry", "stage s {\n  send 👩‍👩‍👧 m\n}\n", "\n\n"] {
            for encoding in [Encoding::Utf16, Encoding::Utf8] {
                assert_round_trips(text, encoding, false);
                assert_round_trips(text, encoding, true);
            }
        }
    }

    #[test]
    fn a_column_inside_a_surrogate_pair_or_a_multibyte_character_snaps_to_its_start() {
        let text = "😀x";
        let index = LineIndex::new(text);
        assert_eq!(PositionMap::new(text, &index, Encoding::Utf16, false).offset(Position::new(0, 1)), 0);
        assert_eq!(PositionMap::new(text, &index, Encoding::Utf8, false).offset(Position::new(0, 2)), 0);
    }

    #[test]
    fn positions_past_the_end_clamp_to_the_line_or_the_text() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        for encoding in [Encoding::Utf16, Encoding::Utf8] {
            let positions = PositionMap::new(text, &index, encoding, false);
            assert_eq!(positions.offset(Position::new(0, 99)), 2);
            assert_eq!(positions.offset(Position::new(7, 0)), text.len());
            assert_eq!(positions.position(999), Position::new(1, 2));
        }
    }

    #[test]
    fn a_leading_byte_order_mark_shifts_the_first_line_only() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        let utf16 = PositionMap::new(text, &index, Encoding::Utf16, true);
        assert_eq!(utf16.position(1), Position::new(0, 2));
        assert_eq!(utf16.position(4), Position::new(1, 1));
        assert_eq!(utf16.offset(Position::new(0, 0)), 0);
        let utf8 = PositionMap::new(text, &index, Encoding::Utf8, true);
        assert_eq!(utf8.position(1), Position::new(0, 4));
    }

    #[test]
    fn utf8_is_chosen_only_when_the_client_offers_it() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(Some(&[PositionEncodingKind::UTF16])), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF16, PositionEncodingKind::UTF8])),
            Encoding::Utf8
        );
    }
}
