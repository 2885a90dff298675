//! Byte offset <-> line/column conversion, built once per file.
//!
//! A line ends at `\n`, `\r\n` or a lone `\r`, the same three terminators the grammar's `NEWLINE`
//! accepts, so lines and columns agree between the parser, the renderers and the language server.
//! Columns come in three units: bytes, Unicode scalar values (what terminals show), and UTF-16
//! code units (what LSP clients count by default).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset where each line starts; always begins with 0.
    line_starts: Vec<usize>,
    len: usize,
}

/// A zero-based line and a zero-based column in some unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { line_starts, len: text.len() }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line containing `offset` (offsets past the end map to the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// Byte range of a line without its terminator.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts.get(line).copied().unwrap_or(self.len);
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Line and column counted in Unicode scalar values (what a person sees as characters).
    pub fn line_col_chars(&self, text: &str, offset: usize) -> LineCol {
        let (line, start, offset) = self.locate(text, offset);
        let col = text.get(start..offset).map_or(0, |s| s.chars().count());
        LineCol { line, col }
    }

    /// Line and column counted in UTF-16 code units (the LSP default).
    pub fn line_col_utf16(&self, text: &str, offset: usize) -> LineCol {
        let (line, start, offset) = self.locate(text, offset);
        let col = text.get(start..offset).map_or(0, |s| s.chars().map(char::len_utf16).sum());
        LineCol { line, col }
    }

    /// Line and column counted in bytes.
    pub fn line_col_bytes(&self, text: &str, offset: usize) -> LineCol {
        let (line, start, offset) = self.locate(text, offset);
        LineCol { line, col: offset - start }
    }

    /// The byte offset of a UTF-16 position, clamped to the line's end and to a char boundary.
    pub fn offset_of_utf16(&self, text: &str, pos: LineCol) -> usize {
        let range = self.line_range(text, pos.line.min(self.line_count().saturating_sub(1)));
        let mut units = 0;
        let line_text = text.get(range.clone()).unwrap_or("");
        for (i, ch) in line_text.char_indices() {
            if units >= pos.col {
                return range.start + i;
            }
            units += ch.len_utf16();
        }
        range.end
    }

    fn locate(&self, text: &str, offset: usize) -> (usize, usize, usize) {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        (line, self.line_start(line).min(offset), offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lone_cr_both_end_lines() {
        let text = "a\r\nbc\rd\ne";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_col_chars(text, 4), LineCol { line: 1, col: 1 });
        assert_eq!(index.line_range(text, 1), 3..5);
        assert_eq!(index.line_col_chars(text, 6), LineCol { line: 2, col: 0 });
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_twice() {
        let text = "x = \"😀日\" y";
        let index = LineIndex::new(text);
        let y = text.find('y').unwrap();
        assert_eq!(index.line_col_chars(text, y).col, 9);
        assert_eq!(index.line_col_utf16(text, y).col, 10);
        assert_eq!(index.offset_of_utf16(text, LineCol { line: 0, col: 10 }), y);
    }

    #[test]
    fn offsets_inside_a_character_snap_back_instead_of_panicking() {
        let text = "日本";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col_chars(text, 1), LineCol { line: 0, col: 0 });
        assert_eq!(index.line_col_chars(text, 99), LineCol { line: 0, col: 2 });
    }
}
