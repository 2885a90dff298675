//! The CLI's table of checked files, and its view for codespan-reporting.
//!
//! Every renderer takes lines and columns from here, and here they come from the compiler's
//! [`LineIndex`], so `\n`, `\r\n` and a lone `\r` end lines for the renderers exactly as they do
//! for the parser. Columns are 1-based and counted in Unicode scalar values.

use std::cell::OnceCell;
use std::ops::Range;

use codespan_reporting::files::{Error as FilesError, Files};
use journey_compiler::{FileId, LineIndex, Span};

/// One checked file: its display name and the text diagnostics point into.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative as given on the command line, `/`-separated.
    pub name: String,
    pub text: String,
    /// Built on first use: files without diagnostics never need it.
    index: OnceCell<LineIndex>,
    /// `text` with terminal control and bidirectional-override characters replaced by printable
    /// characters of the same UTF-8 length, so byte offsets stay valid but a hostile file cannot
    /// drive the terminal or reorder what the user sees.
    display_text: OnceCell<String>,
    /// `name` with control characters escaped, for terminal output.
    display_name: String,
    /// A module of the embedded standard library (`std/channels.journey`), which is no file of
    /// the user's: SARIF points at it in the repository instead.
    pub standard: bool,
}

/// A 1-based line and a 1-based column counted in Unicode characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A span resolved to a file: its name, the span clamped into the text, and both ends' positions.
#[derive(Debug, Clone)]
pub struct Located<'a> {
    pub name: &'a str,
    pub span: Span,
    pub start: Position,
    pub end: Position,
}

impl SourceFile {
    pub fn new(name: String, text: String) -> SourceFile {
        let display_name = escape_controls(&name);
        SourceFile { name, text, index: OnceCell::new(), display_text: OnceCell::new(), display_name, standard: false }
    }

    /// A standard-library module (see [`SourceFile::standard`]).
    pub fn standard(name: String, text: String) -> SourceFile {
        SourceFile { standard: true, ..SourceFile::new(name, text) }
    }

    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    pub fn display_text(&self) -> &str {
        self.display_text.get_or_init(|| neutralize_controls(&self.text))
    }

    pub fn position(&self, offset: usize) -> Position {
        let at = self.index().line_col_chars(&self.text, offset);
        Position { line: at.line + 1, column: at.col + 1 }
    }

    pub fn locate(&self, span: Span) -> Located<'_> {
        let span = span.clamp_to(&self.text);
        Located { name: &self.name, span, start: self.position(span.start()), end: self.position(span.end()) }
    }
}

#[derive(Debug, Default)]
pub struct FileTable {
    files: Vec<SourceFile>,
}

impl FileTable {
    /// Adds a file; its id is its position in the table.
    pub fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// The id the next pushed file will get.
    pub fn next_id(&self) -> FileId {
        FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(usize::try_from(id.0).ok()?)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Resolves a span in a file; `None` when the id is not in the table (a compiler bug).
    pub fn locate(&self, file: FileId, span: Span) -> Option<Located<'_>> {
        self.get(file).map(|source| source.locate(span))
    }

    fn file(&self, id: FileId) -> Result<&SourceFile, FilesError> {
        self.get(id).ok_or(FilesError::FileMissing)
    }
}

impl<'a> Files<'a> for FileTable {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.file(id)?.display_name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(self.file(id)?.display_text())
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.file(id)?.index().line_of(byte_index))
    }

    fn column_number(&'a self, id: FileId, _line_index: usize, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.file(id)?.position(byte_index).column)
    }

    /// The line including its terminator, as codespan expects (it trims terminators itself).
    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.file(id)?;
        let index = file.index();
        let count = index.line_count();
        if line_index >= count {
            return Err(FilesError::LineTooLarge { given: line_index, max: count.saturating_sub(1) });
        }
        let start = index.line_start(line_index);
        let end = if line_index + 1 < count { index.line_start(line_index + 1) } else { file.text.len() };
        Ok(start..end)
    }
}

/// Characters that reorder or hide text on screen (the "Trojan Source" set).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Replaces control characters (except tab and line ends) and bidi controls with printable
/// characters of the same UTF-8 length, keeping every byte offset valid.
pub fn neutralize_controls(text: &str) -> String {
    if !text.chars().any(is_unsafe_in_source) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !is_unsafe_in_source(c) {
            out.push(c);
        } else if c.len_utf8() == 3 {
            out.push('\u{FFFD}');
        } else {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        }
    }
    out
}

fn is_unsafe_in_source(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || is_bidi_control(c)
}

/// Escapes control and bidi characters as `\u{..}` (and `\n`, `\r`, `\t` as themselves), so a
/// message or file name always prints as one inert line.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Like [`escape_controls`], but keeps line breaks (`\n`, or `\r\n` as `\n`): for notes and help
/// in the rich format, which may span lines.
pub fn escape_controls_multiline(text: &str) -> String {
    text.lines().map(escape_controls).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> FileTable {
        let mut table = FileTable::default();
        table.push(SourceFile::new("a.journey".to_owned(), text.to_owned()));
        table
    }

    #[test]
    fn lone_cr_crlf_and_lf_end_lines_alike_for_codespan() {
        let files = table("a\rb\r\nc\nd");
        let id = FileId(0);
        assert_eq!(files.line_index(id, 2).unwrap(), 1);
        assert_eq!(files.line_index(id, 5).unwrap(), 2);
        assert_eq!(files.line_index(id, 7).unwrap(), 3);
        assert_eq!(files.line_range(id, 1).unwrap(), 2..5);
        assert_eq!(files.line_range(id, 3).unwrap(), 7..8);
        assert!(files.line_range(id, 4).is_err());
    }

    #[test]
    fn columns_count_characters_from_one() {
        let files = table("日本 x");
        assert_eq!(files.column_number(FileId(0), 0, 7).unwrap(), 4);
    }

    #[test]
    fn neutralizing_keeps_byte_offsets() {
        let text = "a\u{1b}[31mb\u{202E}c\u{85}d\te\r\n";
        let shown = neutralize_controls(text);
        assert_eq!(shown.len(), text.len());
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202E}') && !shown.contains('\u{85}'));
        assert!(shown.contains('\t') && shown.ends_with("\r\n"));
    }

    #[test]
    fn escaped_text_has_no_control_characters() {
        assert_eq!(escape_controls("a\nb\u{1b}c"), "a\\nb\\u{1b}c");
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(escape_controls_multiline("a\r\nb\u{1b}\nc"), "a\nb\\u{1b}\nc");
    }
}
