//! The language-server engine: what the editor features compute, with no LSP type in sight.
//!
//! Everything here takes analysed files and byte offsets and returns plain structs with
//! [`Span`]s; `crate::convert` turns them into protocol types. This is the part that belongs in
//! the compiler once its project model (imports, symbol tables) lands: the functions here work
//! on one file's AST and match names by text, and are meant to move behind the compiler's API.

pub mod completion;
pub mod hover;
pub mod index;
pub mod keywords;
pub mod lexical;
pub mod navigate;
pub mod outline;
pub mod preview;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use journey_compiler::{ast, check_file, Diagnostic, FileId, LineIndex, Span};

pub use index::{FileIndex, Occurrence, SymbolKind};

/// One version of one open document, checked and indexed.
#[derive(Debug)]
pub struct Analysis {
    pub file: FileId,
    /// The editor's version number of the text analysed.
    pub version: i32,
    /// The text the spans point into: the editor's text without a leading byte-order mark.
    pub text: Arc<str>,
    /// Whether the editor's buffer starts with a byte-order mark that `text` lacks.
    pub leading_bom: bool,
    pub line_index: LineIndex,
    pub ast: Option<ast::File>,
    pub diagnostics: Vec<Diagnostic>,
    pub index: FileIndex,
}

impl Analysis {
    /// Checks and indexes a document. `buffer` is shared, not copied, in the usual case where the
    /// compiler analysed exactly the editor's text.
    pub fn new(file: FileId, version: i32, buffer: &Arc<str>) -> Analysis {
        let checked = check_file(file, buffer.as_bytes());
        let leading_bom = buffer.starts_with('\u{feff}') && checked.text.len() + '\u{feff}'.len_utf8() == buffer.len();
        let text: Arc<str> = if *checked.text == **buffer { Arc::clone(buffer) } else { Arc::from(checked.text) };
        let line_index = LineIndex::new(&text);
        let index = checked.ast.as_ref().map(FileIndex::build).unwrap_or_default();
        Analysis {
            file,
            version,
            text,
            leading_bom,
            line_index,
            ast: checked.ast,
            diagnostics: checked.diagnostics,
            index,
        }
    }

    /// The source text of a span (empty when the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.clamp_to(&self.text).range()).unwrap_or("")
    }
}

/// The files a request may look at: the one the cursor is in, then the other open documents.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    pub current: &'a Analysis,
    pub others: &'a [Arc<Analysis>],
}

impl<'a> Files<'a> {
    pub fn single(current: &'a Analysis) -> Files<'a> {
        Files { current, others: &[] }
    }

    /// The current file first, then the others.
    pub fn all(&self) -> impl Iterator<Item = &'a Analysis> {
        std::iter::once(self.current).chain(self.others.iter().map(|other| &**other))
    }
}

/// A span in a particular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileSpan {
    pub file: FileId,
    pub span: Span,
}
