//! Byte spans and file identities.
//!
//! Every position inside the compiler is a byte offset into one source file. Lines, columns and
//! UTF-16 units exist only at the edges (renderers and the language server), computed by
//! [`crate::line_index::LineIndex`].

/// Identifies one source file in a [`crate::SourceMap`]-like table owned by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one file. Both ends lie on `char` boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        // Sources are limited to `MAX_SOURCE_BYTES` (far below u32::MAX) before any span exists,
        // so these conversions saturate only in theory.
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { start, end }
    }

    pub fn empty(at: usize) -> Span {
        Span::new(at, at)
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    pub fn len(self) -> usize {
        self.end() - self.start()
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start()..self.end()
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// Moves a span that was computed relative to a slice starting at `base`.
    pub fn shifted(self, base: usize) -> Span {
        Span::new(self.start() + base, self.end() + base)
    }

    /// Clamps the span into `text` and onto `char` boundaries, so that renderers that slice the
    /// source can never panic, whatever span a bug might produce.
    pub fn clamp_to(self, text: &str) -> Span {
        let mut start = self.start().min(text.len());
        while start > 0 && !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = self.end().clamp(start, text.len());
        while end < text.len() && !text.is_char_boundary(end) {
            end += 1;
        }
        Span::new(start, end)
    }
}
