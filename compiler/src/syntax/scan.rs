//! The pre-pass: one linear scan over the bytes before pest sees anything.
//!
//! pest does not recover from errors, so the scan cuts the file into top-level items (a line that
//! starts with an item keyword such as `journey` or `message` begins a new item) and the parser
//! parses each item alone. While it walks the bytes it also:
//!
//! - balances braces per item: an unclosed `{` is reported once (J0102) and the item is parsed
//!   with synthetic closers appended; an unmatched `}` is reported (J0103) and blanked out;
//! - measures nesting of `{`, `(`, `[`, string literals and interpolations, and refuses an item nested
//!   deeper than [`MAX_NESTING`] (J0110) before any recursive code sees it; `set<...>` and
//!   `list<...>` type arguments get a bound of their own ([`MAX_TREE_DEPTH`]). pest runs without a
//!   stack probe, so these bounds are all that keeps it on the stack: strings, escapes and
//!   interpolations are read here exactly as the grammar reads them;
//! - lists the lines at block depth 1 of each item, where a large journey can be parsed in
//!   pieces (`syntax::pieces`);
//! - reports unterminated strings (J0104), NUL and other control characters (J0113) and
//!   bidirectional control characters (J0114, "Trojan Source"), blanking them out so the rest of
//!   the item still parses.
//!
//! Strings never span lines, and comments run to the end of the line, so every line starts
//! outside any string or comment. That is what makes cutting at line starts safe.

use std::borrow::Cow;
use std::ops::Range;

use crate::codes::Code;
use crate::diagnostic::{Collector, Diagnostic};
use crate::limits::{MAX_NESTING, MAX_TREE_DEPTH};
use crate::span::{FileId, Span};

/// Keywords that begin a top-level item when they start a line.
const ITEM_KEYWORDS: &[&[u8]] =
    &[b"import", b"profile", b"event", b"segment", b"policy", b"channel", b"message", b"journey"];

/// One top-level item as found by the scan.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Byte range in the file, from the start of the item's first line to the next item.
    pub range: Range<usize>,
    /// Line starts (file offsets) before which a synthetic `}` line is inserted: where the
    /// indentation says a block that is never closed ended.
    pub insertions: Vec<usize>,
    /// Synthetic `}` to append at the end, for open blocks the indentation did not place.
    pub missing_closers: usize,
    /// Byte ranges (file offsets) to replace with spaces before parsing. In byte order while a
    /// line is scanned (`opens_type_argument` relies on that); an unterminated string's range is
    /// added when its line ends and covers the ranges found inside it, which is harmless, since
    /// every range just becomes spaces.
    pub blanks: Vec<Range<usize>>,
    /// Nested deeper than the limit: reported, and not parsed at all.
    pub too_deep: bool,
    /// File offsets of the lines that start inside the item's outermost block and outside any
    /// inner one: where a journey can be cut into pieces (`syntax::pieces`).
    pub member_lines: Vec<usize>,
}

/// The text pest parses for one chunk, and the map from its offsets back to file offsets.
#[derive(Debug, Clone)]
pub struct ChunkText<'a> {
    pub text: Cow<'a, str>,
    /// File offset of the chunk's first byte.
    base: usize,
    /// File offset where the chunk's real text ends.
    end: usize,
    /// Offsets (in `text`) where synthetic text was inserted, with its length.
    inserted: Vec<(usize, usize)>,
}

const INSERTED_CLOSER: &str = "}\n";
const APPENDED_CLOSER: &str = "\n}";

impl ChunkText<'_> {
    /// Maps an offset in `text` to a file offset. Offsets inside synthetic text map to where
    /// it was inserted; offsets past the real text map to its end.
    pub fn file_offset(&self, offset: usize) -> usize {
        let mut shift = 0;
        for &(at, len) in &self.inserted {
            if offset < at {
                break;
            }
            if offset < at + len {
                return (self.base + at - shift).min(self.end);
            }
            shift += len;
        }
        (self.base + offset - shift).min(self.end)
    }
}

impl Chunk {
    /// The text pest parses: the item's bytes with blanked characters and synthetic closers.
    pub fn parse_text<'a>(&self, text: &'a str) -> ChunkText<'a> {
        let base = self.range.start;
        let original = text.get(self.range.clone()).unwrap_or("");
        if self.blanks.is_empty() && self.missing_closers == 0 && self.insertions.is_empty() {
            return ChunkText { text: Cow::Borrowed(original), base, end: self.range.end, inserted: Vec::new() };
        }
        let mut bytes = original.as_bytes().to_vec();
        for blank in &self.blanks {
            // Same byte length (the blanked characters are ASCII controls or 3-byte bidi
            // marks), so every other offset is unchanged.
            if let Some(range) = bytes.get_mut(blank.start - base..blank.end - base) {
                range.fill(b' ');
            }
        }
        let mut patched = String::from_utf8(bytes).unwrap_or_else(|_| original.to_owned());
        let mut inserted = Vec::new();
        let mut shift = 0;
        for &at in &self.insertions {
            let offset = at - base + shift;
            if patched.is_char_boundary(offset) {
                patched.insert_str(offset, INSERTED_CLOSER);
                inserted.push((offset, INSERTED_CLOSER.len()));
                shift += INSERTED_CLOSER.len();
            }
        }
        for _ in 0..self.missing_closers {
            inserted.push((patched.len(), APPENDED_CLOSER.len()));
            patched.push_str(APPENDED_CLOSER);
        }
        ChunkText { text: Cow::Owned(patched), base, end: self.range.end, inserted }
    }
}

#[derive(Debug, Default)]
pub struct Scan {
    pub chunks: Vec<Chunk>,
    /// Bounded per file (see [`Collector`]).
    pub diagnostics: Collector,
    /// Unterminated strings and unclosed parentheses (from the opener to the end of its line).
    /// Syntax errors inside these ranges are consequences of J0104/J0102 and are not reported
    /// again.
    pub unterminated: Vec<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// `{` with the indentation of its line, to guess which brace lacks its `}`.
    Brace {
        at: usize,
        indent: usize,
    },
    Paren {
        at: usize,
    },
    Bracket {
        at: usize,
    },
    /// `{` inside a string: an interpolation, closed by `}`.
    Interp,
    /// `"`
    Str {
        at: usize,
    },
}

struct Scanner<'a> {
    file: FileId,
    bytes: &'a [u8],
    out: Scan,
    stack: Vec<Open>,
    chunk_start: usize,
    blanks: Vec<Range<usize>>,
    too_deep: bool,
    /// A `{` whose `}` sits at a different indentation: the likely culprit when an item ends
    /// with braces still open.
    suspect: Option<usize>,
    /// Braces closed by a `}` at another indentation than their own line's.
    misclosed: Vec<usize>,
    /// `(line start, brace)`: a line indented no deeper than the line of the innermost open
    /// `{`, so that brace's block probably ended before this line.
    dedents: Vec<(usize, usize)>,
    /// Start of the current line.
    line_start: usize,
    line_indent: usize,
    /// Whether only indentation has been seen on the current line so far.
    at_line_head: bool,
    /// Open `<` of `set<...>` and `list<...>` types on the current line.
    type_depth: usize,
    /// Where this line's entries start in `blanks`.
    line_blanks_from: usize,
    member_lines: Vec<usize>,
}

pub fn scan(file: FileId, text: &str) -> Scan {
    let mut scanner = Scanner {
        file,
        bytes: text.as_bytes(),
        out: Scan::default(),
        stack: Vec::new(),
        chunk_start: 0,
        blanks: Vec::new(),
        too_deep: false,
        suspect: None,
        misclosed: Vec::new(),
        dedents: Vec::new(),
        line_start: 0,
        line_indent: 0,
        at_line_head: true,
        type_depth: 0,
        line_blanks_from: 0,
        member_lines: Vec::new(),
    };
    scanner.run();
    scanner.out
}

impl Scanner<'_> {
    /// Whether a diagnostic at `at` could still be shown. Past the per-file cap, what the scan
    /// finds is only counted: it still blanks and balances (parsing depends on that), but builds
    /// no message, so a file of millions of stray `}` costs memory for its blanks only.
    fn wants(&mut self, at: usize) -> bool {
        self.out.diagnostics.wants(self.file, at)
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn run(&mut self) {
        let mut i = 0;
        let mut line_start = true;
        while i < self.bytes.len() {
            if line_start {
                line_start = false;
                self.begin_line(i);
            }
            let b = self.bytes.get(i).copied().unwrap_or(b'\n');
            if b == b'\n' || b == b'\r' {
                self.end_line(i);
                i += if b == b'\r' && self.byte(i + 1) == Some(b'\n') { 2 } else { 1 };
                line_start = true;
                continue;
            }
            if let Some(len) = may_be_forbidden(b).then(|| self.forbidden_at(i)).flatten() {
                i += len;
                continue;
            }
            if b != b' ' && b != b'\t' {
                self.at_line_head_token(i, b);
            }
            let in_string = matches!(self.stack.last(), Some(Open::Str { .. } | Open::Interp));
            // Names, numbers and blanks are most of a file and mean nothing to the scanner:
            // step over a run of them at once (never the first token of a line, which
            // `at_line_head_token` has to see).
            if !in_string && !self.at_line_head && is_plain(b) {
                let rest = self.bytes.get(i..).unwrap_or(&[]);
                i += rest.iter().take_while(|b| is_plain(**b)).count();
                continue;
            }
            i = match self.stack.last() {
                Some(Open::Str { .. }) => self.string_byte(i, b),
                Some(Open::Interp) => self.interp_byte(i, b),
                _ => self.code_byte(i, b),
            };
        }
        self.end_line(self.bytes.len());
        self.finish_chunk(self.bytes.len());
    }

    /// At the start of a line: measure indentation and cut a new item when the line starts one.
    fn begin_line(&mut self, i: usize) {
        let mut j = i;
        while matches!(self.byte(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        self.line_indent = j - i;
        self.line_start = i;
        self.at_line_head = true;
        if i > self.chunk_start && self.starts_item(j) {
            self.finish_chunk(i);
            self.chunk_start = i;
        }
        // After `finish_chunk`, which hands the blanks to the finished chunk.
        self.line_blanks_from = self.blanks.len();
        // Only braces stay open across lines, so the stack's length is the block depth here.
        if self.stack.len() == 1 {
            self.member_lines.push(i);
        }
    }

    fn starts_item(&self, j: usize) -> bool {
        let rest = self.bytes.get(j..).unwrap_or(&[]);
        // `template` is also a message element (`template "name" ...`) and a channel rule
        // (`template required outside window`): only `template NAME on` declares one.
        if let Some(after) = rest.strip_prefix(b"template") {
            let after = trim_blanks(after);
            let name_len = after.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
            let rest_after = trim_blanks(after.get(name_len..).unwrap_or(&[]));
            return name_len > 0
                && after.first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
                && rest_after.starts_with(b"on")
                && !rest_after.get(2).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        }
        ITEM_KEYWORDS.iter().any(|keyword| {
            if !rest.starts_with(keyword) {
                return false;
            }
            let mut k = keyword.len();
            if rest.get(k) == Some(&b'{') {
                return true;
            }
            let mut spaced = false;
            while matches!(rest.get(k), Some(b' ' | b'\t')) {
                k += 1;
                spaced = true;
            }
            spaced
                && matches!(rest.get(k), Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'"' || *c == b'{')
        })
    }

    /// Notes the first token of a line: a `}` there whose opener had another indentation marks
    /// that opener as the suspect for a missing `}`.
    fn at_line_head_token(&mut self, _i: usize, b: u8) {
        if !self.at_line_head {
            return;
        }
        self.at_line_head = false;
        let innermost = self.stack.iter().rev().find_map(|open| match open {
            Open::Brace { at, indent } => Some((*at, *indent)),
            _ => None,
        });
        let Some((at, indent)) = innermost else {
            return;
        };
        if b == b'}' {
            if indent != self.line_indent {
                self.misclosed.push(at);
                if self.suspect.is_none() {
                    self.suspect = Some(at);
                }
            }
        } else if b != b'/' && self.line_indent <= indent && at < self.line_start {
            self.dedents.push((self.line_start, at));
        }
    }

    fn code_byte(&mut self, i: usize, b: u8) -> usize {
        match b {
            b'/' if self.byte(i + 1) == Some(b'/') => return self.comment(i),
            b'"' => self.push(Open::Str { at: i }, i),
            b'{' => {
                let indent = self.line_indent;
                self.push(Open::Brace { at: i, indent }, i);
            }
            b'(' => self.push(Open::Paren { at: i }, i),
            b'[' => self.push(Open::Bracket { at: i }, i),
            b'<' if self.opens_type_argument(i) => self.open_type_argument(i),
            b'>' if self.type_depth > 0 => self.type_depth -= 1,
            b')' => self.close_group(i, ')'),
            b']' => self.close_group(i, ']'),
            b'}' => self.close_brace(i),
            _ => {}
        }
        i + 1
    }

    fn string_byte(&mut self, i: usize, b: u8) -> usize {
        match b {
            b'"' => {
                self.stack.pop();
                i + 1
            }
            b'\\' => match self.byte(i + 1) {
                // An escaped character; a backslash at the end of the line escapes nothing.
                Some(b'\n' | b'\r') | None => i + 1,
                // A forbidden character after a backslash (a control, a bidi mark) is reported as
                // what it is (J0113, J0114), and the backslash is blanked with it, so the grammar
                // sees no escape to call invalid (J0109) on top.
                Some(next) if may_be_forbidden(next) => {
                    let backslash_at = self.blanks.len();
                    match self.forbidden_at(i + 1) {
                        Some(len) => {
                            self.blanks.insert(backslash_at, i..i + 1);
                            i + 1 + len
                        }
                        None => i + 1 + self.char_len(i + 1),
                    }
                }
                // `\u{...}` is one token when a `}` closes it before a quote or the line's end
                // (the grammar's `escape`); its braces open no interpolation.
                Some(b'u') if self.byte(i + 2) == Some(b'{') => self.unicode_escape_end(i + 3).unwrap_or(i + 2),
                Some(_) => i + 1 + self.char_len(i + 1),
            },
            b'{' => {
                self.push(Open::Interp, i);
                i + 1
            }
            _ => i + 1,
        }
    }

    /// After `\u{`: the offset just past the `}` that closes the escape, if one comes before a
    /// quote or a line break.
    fn unicode_escape_end(&self, from: usize) -> Option<usize> {
        let rest = self.bytes.get(from..)?;
        let close = rest.iter().position(|b| matches!(b, b'}' | b'"' | b'\n' | b'\r'))?;
        (rest.get(close) == Some(&b'}')).then_some(from + close + 1)
    }

    /// Inside `{...}` in a string only a nested string and the closing `}` count, as in both the
    /// grammar's `interpolation` and its recovery twin `bad_interp`: a `//` or `{` there is not a
    /// comment or a block. (Reading them as such once let pest recurse past every bound.)
    fn interp_byte(&mut self, i: usize, b: u8) -> usize {
        match b {
            b'"' => self.push(Open::Str { at: i }, i),
            b'}' => {
                self.stack.pop();
            }
            _ => {}
        }
        i + 1
    }

    fn char_len(&self, i: usize) -> usize {
        match self.byte(i) {
            Some(b) if b >= 0xF0 => 4,
            Some(b) if b >= 0xE0 => 3,
            Some(b) if b >= 0xC0 => 2,
            _ => 1,
        }
    }

    /// Skips a `//` comment, still reporting forbidden characters inside it.
    fn comment(&mut self, mut i: usize) -> usize {
        while let Some(b) = self.byte(i) {
            if b == b'\n' || b == b'\r' {
                break;
            }
            i += self.forbidden_at(i).unwrap_or(1);
        }
        i
    }

    fn push(&mut self, open: Open, at: usize) {
        if self.stack.len() >= MAX_NESTING && !self.too_deep {
            self.too_deep = true;
            let len = self.char_len(at);
            if self.wants(at) {
                self.out.diagnostics.push(
                    Diagnostic::new(
                        Code::J0110,
                        format!("nesting is deeper than {MAX_NESTING} levels"),
                        self.file,
                        Span::new(at, at + len),
                    )
                    .with_label(format!("level {} opens here", self.stack.len() + 1))
                    .with_help("move the inner part into a stage of its own and `goto` it")
                    .with_note(format!(
                        "blocks (`{{`), parentheses, list brackets (`[`), string literals and the \
                         interpolations inside them (`\"{{...}}\"`) each open a level; together they \
                         may nest at most {MAX_NESTING} deep; this item is not parsed"
                    )),
                );
            }
        }
        self.stack.push(open);
    }

    /// Whether the `<` at `i` follows the word `set` or `list` (spaces between allowed).
    fn opens_type_argument(&self, i: usize) -> bool {
        // pest sees blanked bytes (controls, bidi marks) as spaces, so they count as blanks here.
        // This line's blanks so far, in the order found, which is byte order (a backslash blanked
        // with the character after it is inserted before that character's range).
        let line_blanks = self.blanks.get(self.line_blanks_from..).unwrap_or(&[]);
        let mut end = i;
        loop {
            let trimmed = trim_trailing_blanks(self.bytes.get(..end).unwrap_or(&[])).len();
            let blanked = line_blanks.partition_point(|r| r.start < trimmed);
            match blanked.checked_sub(1).and_then(|k| line_blanks.get(k)) {
                Some(range) if range.end == trimmed && range.start < trimmed => end = range.start,
                _ => {
                    end = trimmed;
                    break;
                }
            }
        }
        let before = self.bytes.get(..end).unwrap_or(&[]);
        [&b"set"[..], &b"list"[..]].iter().any(|word| {
            before.ends_with(word)
                && !before
                    .len()
                    .checked_sub(word.len() + 1)
                    .and_then(|k| before.get(k))
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        })
    }

    /// Type arguments are the one nesting pest would recurse into that no bracket above counts,
    /// so they get a bound of their own: the parser has no stack probe (see Cargo.toml), and
    /// everything it recurses into must be bounded before it runs.
    fn open_type_argument(&mut self, at: usize) {
        self.type_depth += 1;
        if self.type_depth > MAX_TREE_DEPTH && !self.too_deep {
            self.too_deep = true;
            if self.wants(at) {
                self.out.diagnostics.push(
                    Diagnostic::new(
                        Code::J0110,
                        format!("types nest deeper than {MAX_TREE_DEPTH} levels"),
                        self.file,
                        Span::new(at, at + 1),
                    )
                    .with_label(format!("level {} opens here", self.type_depth))
                    .with_help("no real value needs this; use a flatter type")
                    .with_note(format!(
                        "`set<...>` and `list<...>` may nest at most {MAX_TREE_DEPTH} deep; this item is not parsed"
                    )),
                );
            }
        }
    }

    fn close_brace(&mut self, i: usize) {
        // Parentheses and brackets never span lines; drop any left open on this line.
        while matches!(self.stack.last(), Some(Open::Paren { .. } | Open::Bracket { .. })) {
            self.stack.pop();
        }
        match self.stack.last() {
            Some(Open::Brace { .. } | Open::Interp) => {
                self.stack.pop();
            }
            _ => {
                if self.wants(i) {
                    self.out.diagnostics.push(
                        Diagnostic::new(Code::J0103, "unmatched `}`", self.file, Span::new(i, i + 1))
                            .with_label("no `{` is open here")
                            .with_help("delete this `}`, or add the `{` it was meant to close")
                            .with_suggestion("delete the unmatched `}`", Span::new(i, i + 1), ""),
                    );
                }
                self.blanks.push(i..i + 1);
            }
        }
    }

    /// `)` or `]`: closes its group on this line, or is reported and blanked.
    fn close_group(&mut self, i: usize, symbol: char) {
        let matches = match self.stack.last() {
            Some(Open::Paren { .. }) => symbol == ')',
            Some(Open::Bracket { .. }) => symbol == ']',
            _ => false,
        };
        if matches {
            self.stack.pop();
            return;
        }
        let opener = if symbol == ')' { '(' } else { '[' };
        if self.wants(i) {
            self.out.diagnostics.push(
                Diagnostic::new(Code::J0103, format!("unmatched `{symbol}`"), self.file, Span::new(i, i + 1))
                    .with_label(format!("no `{opener}` is open here"))
                    .with_help(format!("delete this `{symbol}`, or add the `{opener}` it was meant to close"))
                    .with_suggestion(format!("delete the unmatched `{symbol}`"), Span::new(i, i + 1), ""),
            );
        }
        self.blanks.push(i..i + 1);
    }

    /// At a line break: strings, interpolations, parentheses and brackets end with the line.
    fn end_line(&mut self, at: usize) {
        self.type_depth = 0;
        let mut outermost_string = None;
        let mut outermost_group = None;
        while let Some(top) = self.stack.last().copied() {
            match top {
                Open::Str { at } => outermost_string = Some(at),
                Open::Paren { at } | Open::Bracket { at } => outermost_group = Some((at, top)),
                Open::Interp => {}
                Open::Brace { .. } => break,
            }
            self.stack.pop();
        }
        if let (Some((start, group)), None) = (outermost_group, outermost_string) {
            let (opener, closer) = if matches!(group, Open::Paren { .. }) { ('(', ')') } else { ('[', ']') };
            self.out.unterminated.push(Span::new(start, at));
            if self.wants(start) {
                self.out.diagnostics.push(
                    Diagnostic::new(
                        Code::J0102,
                        format!("unclosed `{opener}`"),
                        self.file,
                        Span::new(start, start + 1),
                    )
                    .with_label(format!("this `{opener}` has no matching `{closer}` on its line"))
                    .with_help(format!("add the missing `{closer}`; parentheses and lists cannot span lines")),
                );
            }
        }
        if let Some(start) = outermost_string {
            let span = Span::new(start, at);
            self.out.unterminated.push(span);
            // Reported here; pest sees blanks instead, so its string rules never meet a string
            // that does not end (which its recovery rule would otherwise retry, exponentially).
            self.blanks.push(start..at);
            if self.wants(start) {
                self.out.diagnostics.push(
                    Diagnostic::new(Code::J0104, "unterminated string", self.file, Span::new(start, start + 1))
                        .with_label("this string has no closing `\"` on its line")
                        .with_help(
                            "close the string with `\"`; strings cannot span lines (write `\\n` for a line break)",
                        ),
                );
            }
        }
    }

    fn finish_chunk(&mut self, end: usize) {
        let open: Vec<usize> = self
            .stack
            .iter()
            .filter_map(|open| match open {
                Open::Brace { at, .. } => Some(*at),
                _ => None,
            })
            .collect();
        let placed = self.place_closers(&open);
        for &(line, brace) in &placed {
            self.report_unclosed_before(line, brace);
        }
        if placed.len() < open.len() {
            self.report_unclosed_at_end(&open, placed.len());
        }
        let mut insertions: Vec<usize> = placed.iter().map(|(line, _)| *line).collect();
        insertions.sort_unstable();
        self.out.chunks.push(Chunk {
            range: self.chunk_start..end,
            missing_closers: open.len() - insertions.len(),
            insertions,
            blanks: std::mem::take(&mut self.blanks),
            too_deep: self.too_deep,
            member_lines: std::mem::take(&mut self.member_lines),
        });
        self.stack.clear();
        self.too_deep = false;
        self.suspect = None;
        self.misclosed.clear();
        self.dedents.clear();
    }

    /// An unclosed `{` whose block, judging by indentation, ends before `line`.
    fn report_unclosed_before(&mut self, line: usize, brace: usize) {
        if !self.wants(brace) {
            return;
        }
        let indent = self.indent_of_line_containing(brace);
        let closer = format!("{indent}}}\n");
        self.out.diagnostics.push(
            Diagnostic::new(Code::J0102, "unclosed `{`", self.file, Span::new(brace, brace + 1))
                .with_label("this `{` has no matching `}`")
                .with_secondary(self.file, Span::empty(line), "judging by indentation, the block ends before this line")
                .with_help("add the missing `}` where the block ends")
                .with_suggestion("insert the missing `}`", Span::empty(line), closer),
        );
    }

    /// Unclosed braces that indentation could not place: reported once, at the innermost.
    fn report_unclosed_at_end(&mut self, open: &[usize], placed: usize) {
        let Some(&innermost) = open.last() else {
            return;
        };
        if !self.wants(innermost) {
            return;
        }
        let mut diagnostic =
            Diagnostic::new(Code::J0102, "unclosed `{`", self.file, Span::new(innermost, innermost + 1))
                .with_label("this `{` has no matching `}`")
                .with_help("add the missing `}` where the block ends");
        if let Some(suspect) = self.suspect.filter(|s| *s != innermost && *s >= self.chunk_start) {
            diagnostic = diagnostic.with_secondary(
                self.file,
                Span::new(suspect, suspect + 1),
                "judging by indentation, this `{` may be the one missing its `}`",
            );
        }
        let unplaced = open.len() - placed;
        if unplaced > 1 {
            diagnostic = diagnostic.with_note(format!("{unplaced} blocks are still open at the end of this item"));
        }
        self.out.diagnostics.push(diagnostic);
    }

    fn indent_of_line_containing(&self, offset: usize) -> String {
        let head = self.bytes.get(..offset).unwrap_or(&[]);
        let line_start = head.iter().rposition(|b| *b == b'\n' || *b == b'\r').map_or(0, |i| i + 1);
        let line = self.bytes.get(line_start..).unwrap_or(&[]);
        line.iter().take_while(|b| **b == b' ' || **b == b'\t').map(|b| char::from(*b)).collect()
    }

    /// Decides where the synthetic `}` of an item with `open` unclosed braces go: returns
    /// `(line start, brace)` pairs. A brace that is still open, or that was closed by a `}` at
    /// another indentation, is a candidate; its block most likely ended before the first line
    /// indented no deeper than its own line. Braces without such a line get their `}` at the
    /// end of the item.
    fn place_closers(&self, open: &[usize]) -> Vec<(usize, usize)> {
        let mut placed: Vec<(usize, usize)> = Vec::new();
        if open.is_empty() {
            return placed;
        }
        for &(line, brace) in &self.dedents {
            if placed.len() == open.len() {
                break;
            }
            let candidate = open.contains(&brace) || self.misclosed.contains(&brace);
            if candidate && !placed.iter().any(|(_, b)| *b == brace) {
                placed.push((line, brace));
            }
        }
        placed
    }

    /// Reports and blanks a forbidden character at `i`, returning its length in bytes.
    fn forbidden_at(&mut self, i: usize) -> Option<usize> {
        let b = self.byte(i)?;
        if is_forbidden_control(b) {
            let mut end = i + 1;
            while self.byte(end).is_some_and(is_forbidden_control) {
                end += 1;
            }
            let what = if b == 0 { "NUL byte".to_owned() } else { format!("control character U+{b:04X}") };
            let more = if end - i > 1 { format!(" (and {} more)", end - i - 1) } else { String::new() };
            if self.wants(i) {
                self.out.diagnostics.push(
                    Diagnostic::new(Code::J0113, format!("{what} in source{more}"), self.file, Span::new(i, end))
                        .with_label("not allowed in a journey file")
                        .with_help("delete it; journey files are plain text"),
                );
            }
            self.blanks.push(i..end);
            return Some(end - i);
        }
        if b == 0xC2 {
            // C1 controls U+0080..U+009F (CSI among them can drive a terminal).
            let c1 = self.byte(i + 1)?;
            if (0x80..=0x9F).contains(&c1) {
                if self.wants(i) {
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            Code::J0113,
                            format!("control character U+{c1:04X} in source"),
                            self.file,
                            Span::new(i, i + 2),
                        )
                        .with_label("not allowed in a journey file")
                        .with_help("delete it; journey files are plain text"),
                    );
                }
                self.blanks.push(i..i + 2);
                return Some(2);
            }
            return None;
        }
        if b == 0xE2 {
            let c1 = self.byte(i + 1)?;
            let c2 = self.byte(i + 2)?;
            let codepoint = match (c1, c2) {
                (0x80, 0xAA..=0xAE) => 0x2000 + u32::from(c2 - 0x80),
                (0x81, 0xA6..=0xA9) => 0x2040 + u32::from(c2 - 0x80),
                _ => return None,
            };
            if self.wants(i) {
                self.out.diagnostics.push(
                    Diagnostic::new(
                        Code::J0114,
                        format!("bidirectional control character U+{codepoint:04X} ({})", bidi_name(codepoint)),
                        self.file,
                        Span::new(i, i + 3),
                    )
                    .with_label("can make the code look different from what it does")
                    .with_help("delete it; to show right-to-left text, rely on the characters' own direction")
                    .with_note("see CVE-2021-42574 (\"Trojan Source\")"),
                );
            }
            self.blanks.push(i..i + 3);
            return Some(3);
        }
        None
    }
}

fn is_forbidden_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0x7F
}

fn bidi_name(codepoint: u32) -> &'static str {
    match codepoint {
        0x202A => "LEFT-TO-RIGHT EMBEDDING",
        0x202B => "RIGHT-TO-LEFT EMBEDDING",
        0x202C => "POP DIRECTIONAL FORMATTING",
        0x202D => "LEFT-TO-RIGHT OVERRIDE",
        0x202E => "RIGHT-TO-LEFT OVERRIDE",
        0x2066 => "LEFT-TO-RIGHT ISOLATE",
        0x2067 => "RIGHT-TO-LEFT ISOLATE",
        0x2068 => "FIRST STRONG ISOLATE",
        _ => "POP DIRECTIONAL ISOLATE",
    }
}

fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    bytes.get(skip..).unwrap_or(&[])
}

fn trim_trailing_blanks(bytes: &[u8]) -> &[u8] {
    let keep = bytes.len() - bytes.iter().rev().take_while(|b| **b == b' ' || **b == b'\t').count();
    bytes.get(..keep).unwrap_or(&[])
}

/// Whether `b` can start a forbidden character: printable ASCII never does; only control bytes
/// and the lead bytes of C1 controls (0xC2) and bidirectional controls (0xE2) need a closer look
/// (`Scanner::forbidden_at`).
fn may_be_forbidden(b: u8) -> bool {
    b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xE2
}

/// Bytes the scanner has nothing to do with outside strings: no bracket, quote, comment,
/// line break, type-argument `<`/`>`, control or non-ASCII byte.
fn is_plain(b: u8) -> bool {
    // A table: the scanner asks this of nearly every byte, and on short names between
    // punctuation the tests of a `matches!` were a good part of its mispredicted branches.
    PLAIN_BYTES.get(usize::from(b)).copied().unwrap_or(false)
}

static PLAIN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < table.len() {
        // `b` < 256, so the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        let byte = b as u8;
        // In bounds: `b` < `table.len()` (and `get_mut` is not callable in a static).
        #[allow(clippy::indexing_slicing)]
        {
            table[b] = byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b' ' | b'\t'
                        | b'_'
                        | b'.'
                        | b','
                        | b':'
                        | b'='
                        | b'%'
                        | b'?'
                        | b'+'
                        | b'-'
                        | b'*'
                        | b'!'
                        | b';'
                        | b'@'
                );
        }
        b += 1;
    }
    table
};

/// Whether `at` falls inside one of `spans`, which are sorted and do not overlap (the scanner's
/// unterminated strings and groups, one per line at most). Binary search: a file can hold
/// hundreds of thousands of them, and this is asked once per diagnostic.
pub fn inside_any(spans: &[Span], at: u32) -> bool {
    let after = spans.partition_point(|s| s.start <= at);
    after.checked_sub(1).and_then(|k| spans.get(k)).is_some_and(|s| at <= s.end)
}
