//! The one diagnostic type of the project.
//!
//! Every pass reports problems as [`Diagnostic`] values: a stable [`Code`], a severity, a short
//! message, a primary label, optional secondary labels (possibly in other files), notes, help and
//! suggested edits. Terminal, JSON, SARIF, GitHub and LSP output are adapters over this type; none
//! of them lives in the compiler.

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::limits::MAX_DIAGNOSTICS_PER_FILE;
use crate::span::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Blocks `journey build`; `journey check` exits 1.
    Error,
    /// Reported, but does not fail the check unless `--deny warnings`.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span in a file with a message saying what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// One mechanical edit: replace `span` in `file` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

/// A fix the user (or an editor's quick-fix menu) can apply as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Imperative and short: "replace `->` with `=>`".
    pub message: String,
    pub edits: Vec<TextEdit>,
    pub applicability: Applicability,
}

/// Whether a suggestion may be applied without a person looking (ruff's safe and unsafe fixes,
/// rustc's `MachineApplicable` and `MaybeIncorrect`). `journey check --fix` applies only safe ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Applicability {
    /// Repairs how something is written and keeps what the author meant, whatever the rest of
    /// the file says: a `->` where an outcome needs `=>`, a unit written apart from its number.
    Safe,
    /// A likely fix that may change what the file means: a guessed name, a brace placed where
    /// indentation suggests, a fallback value. Shown, and left to a person.
    #[default]
    Unsafe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One line, lower case, no final period: "unexpected `}`".
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    pub suggestions: Vec<Suggestion>,
}

impl Diagnostic {
    /// The diagnostic as one text, for formats that carry a single text per diagnostic (the
    /// editor's message, GitHub annotations, SARIF results): the message, then the primary
    /// label unless the message already says it, the notes, the help and the suggestions, one
    /// per line.
    pub fn full_text(&self) -> String {
        let mut text = self.message.clone();
        if !self.primary.message.is_empty() && !self.message.contains(&self.primary.message) {
            text.push('\n');
            text.push_str(&self.primary.message);
        }
        for note in &self.notes {
            text.push_str("\nnote: ");
            text.push_str(note);
        }
        if let Some(help) = &self.help {
            text.push_str("\nhelp: ");
            text.push_str(help);
        }
        for suggestion in &self.suggestions {
            text.push_str("\nhelp: ");
            text.push_str(&suggestion.message);
        }
        text
    }

    /// The diagnostic with every file id it holds passed through `map` (a front end giving the
    /// files of several projects, or of an editor, ids of its own). Written by destructuring, so
    /// a field added to a diagnostic fails to compile here until it is mapped.
    pub fn map_files(self, map: &impl Fn(FileId) -> FileId) -> Diagnostic {
        let Diagnostic { code, severity, message, primary, secondary, notes, help, suggestions } = self;
        let label = |Label { file, span, message }: Label| Label { file: map(file), span, message };
        let suggestions = suggestions
            .into_iter()
            .map(|Suggestion { message, edits, applicability }| Suggestion {
                message,
                applicability,
                edits: edits
                    .into_iter()
                    .map(|TextEdit { file, span, replacement }| TextEdit { file: map(file), span, replacement })
                    .collect(),
            })
            .collect();
        Diagnostic {
            code,
            severity,
            message,
            primary: label(primary),
            secondary: secondary.into_iter().map(label).collect(),
            notes,
            help,
            suggestions,
        }
    }

    /// A diagnostic with the code's default severity and a primary label.
    pub fn new(code: Code, message: impl Into<String>, file: FileId, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            primary: Label { file, span, message: String::new() },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            suggestions: Vec::new(),
        }
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { file, span, message: message.into() });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds an [`Applicability::Unsafe`] suggestion: one edit in the primary file.
    pub fn with_suggestion(self, message: impl Into<String>, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.with_suggestion_of(Applicability::Unsafe, message.into(), span, replacement.into())
    }

    /// Adds an [`Applicability::Safe`] suggestion, which `journey check --fix` applies.
    pub fn with_safe_suggestion(
        self,
        message: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        self.with_suggestion_of(Applicability::Safe, message.into(), span, replacement.into())
    }

    fn with_suggestion_of(
        mut self,
        applicability: Applicability,
        message: String,
        span: Span,
        replacement: String,
    ) -> Diagnostic {
        let file = self.primary.file;
        self.suggestions.push(Suggestion { message, edits: vec![TextEdit { file, span, replacement }], applicability });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics into the order every renderer shows them: by file, position, then code.
/// Output must not depend on the order passes happened to run in.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.primary.file, a.primary.span.start, a.primary.span.end, a.code, &a.message).cmp(&(
            b.primary.file,
            b.primary.span.start,
            b.primary.span.end,
            b.code,
            &b.message,
        ))
    });
}

/// Keeps at most `limits::MAX_DIAGNOSTICS_PER_FILE` diagnostics; when some are dropped, the last
/// one kept gets a note saying how many, so nothing disappears silently. The simple version
/// [`Collector`] is tested against.
#[cfg(test)]
fn cap_diagnostics(_file: FileId, diagnostics: &mut Vec<Diagnostic>) {
    let max = MAX_DIAGNOSTICS_PER_FILE;
    if diagnostics.len() > max {
        let dropped = diagnostics.len() - max;
        diagnostics.truncate(max);
        if let Some(last) = diagnostics.last_mut() {
            last.notes.push(unshown_note(dropped));
        }
    }
}

/// The note on the last diagnostic shown for a file when `unshown` more were not.
pub fn unshown_note(unshown: usize) -> String {
    format!("{unshown} more diagnostics in this file were not shown (limit {MAX_DIAGNOSTICS_PER_FILE} per file)")
}

/// [`cap_diagnostics`] for each file of a sorted list of diagnostics from several files.
#[cfg(test)]
fn cap_per_file(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut result = Vec::with_capacity(diagnostics.len());
    let mut current: Vec<Diagnostic> = Vec::new();
    for diagnostic in diagnostics {
        if current.first().is_some_and(|d| d.primary.file != diagnostic.primary.file) {
            let file = current.first().map_or(FileId(0), |d| d.primary.file);
            cap_diagnostics(file, &mut current);
            result.append(&mut current);
        }
        current.push(diagnostic);
    }
    let file = current.first().map_or(FileId(0), |d| d.primary.file);
    cap_diagnostics(file, &mut current);
    result.append(&mut current);
    result
}

/// Diagnostics as passes report them, bounded: per file, only the
/// [`MAX_DIAGNOSTICS_PER_FILE`] first in [`sort_diagnostics`] order can be shown, so only they
/// are kept, and the rest are counted for the final note.
///
/// A hostile file can hold millions of problems (an 8 MiB file of `}` lines is four million
/// J0103); building them all and dropping them at the end cost gigabytes. Here memory stays at
/// about twice the cap: reported diagnostics are held unsorted until there are twice as many as
/// the kept set, then sorted and cut back to the cap per file (amortised `n log cap`). Once a file
/// is full, the start of its last kept diagnostic is a cutoff: anything starting after it sorts
/// after every kept one and can never be shown, so [`Collector::wants`] lets a pass skip even
/// building it (its message, labels and suggestions, or the work that finds it).
///
/// What is shown is exactly what sorting every diagnostic, dropping exact duplicates and keeping
/// the first per file would show (ties keep the order they were reported in, as the stable sort
/// did), so output still does not depend on when passes ran or when the collector compacted. The
/// one difference is in the count of the note: a duplicate past the cutoff is never built, so it
/// cannot be recognised, and is counted.
#[derive(Debug, Clone, Default)]
pub struct Collector {
    /// Kept diagnostics (sorted, per file at most the cap) followed by newer ones, unsorted.
    items: Vec<Diagnostic>,
    /// Per full file, the start of the last diagnostic kept: one starting later is never shown.
    cutoffs: BTreeMap<FileId, u32>,
    /// Per file, diagnostics reported but not kept (dropped, or never built past the cutoff).
    unshown: BTreeMap<FileId, usize>,
    /// Every diagnostic reported so far, kept or not.
    reported: usize,
    /// Compact when `items` reaches this length.
    compact_at: usize,
    /// Whether the last diagnostic reported is the last of `items` (see [`Collector::last_mut`]).
    last_is_kept: bool,
}

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// An empty collector for a part of the work whose diagnostics will be [`Collector::append`]ed
    /// to this one: it starts with this one's cutoffs, so it skips what this one would drop.
    pub fn child(&self) -> Collector {
        Collector { cutoffs: self.cutoffs.clone(), ..Collector::default() }
    }

    /// How many diagnostics were reported, including those not kept or never built: a pass asks
    /// whether it reported anything since some point, whatever the cap did with it.
    pub fn reported(&self) -> usize {
        self.reported
    }

    /// Whether a diagnostic in `file` starting at byte `start` could still be shown. When not, it
    /// is counted as reported and not shown, and the caller must not build or push it.
    pub fn wants(&mut self, file: FileId, start: usize) -> bool {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        if self.cutoffs.get(&file).is_some_and(|cutoff| start > *cutoff) {
            self.reported += 1;
            *self.unshown.entry(file).or_default() += 1;
            self.last_is_kept = false;
            return false;
        }
        true
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        let file = diagnostic.primary.file;
        if !self.wants(file, diagnostic.primary.span.start()) {
            return;
        }
        self.reported += 1;
        // Before pushing, so the new diagnostic stays last for `last_mut`.
        if self.items.len() >= self.compact_at.max(2 * MAX_DIAGNOSTICS_PER_FILE) {
            self.compact();
        }
        self.items.push(diagnostic);
        self.last_is_kept = true;
    }

    /// The diagnostic reported last, to add to it; `None` when it was not kept.
    pub fn last_mut(&mut self) -> Option<&mut Diagnostic> {
        if self.last_is_kept {
            self.items.last_mut()
        } else {
            None
        }
    }

    /// Adds diagnostics that were not bounded yet (a pass that returns a plain list).
    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for diagnostic in diagnostics {
            self.push(diagnostic);
        }
    }

    /// The diagnostics held now, kept and not yet sorted alike, in no particular order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Whether nothing was reported at all.
    pub fn is_empty(&self) -> bool {
        self.reported == 0
    }

    /// Counts `count` diagnostics of `file` that were reported elsewhere and not kept.
    pub fn add_unshown(&mut self, file: FileId, count: usize) {
        if count > 0 {
            self.reported += count;
            *self.unshown.entry(file).or_default() += count;
        }
    }

    /// Takes everything `other` kept and counted.
    pub fn append(&mut self, other: Collector) {
        for (file, count) in other.unshown {
            self.add_unshown(file, count);
        }
        self.extend(other.items);
    }

    /// Sorts, drops exact duplicates, and keeps the first [`MAX_DIAGNOSTICS_PER_FILE`] per file.
    fn compact(&mut self) {
        sort_diagnostics(&mut self.items);
        self.items.dedup();
        let mut kept = Vec::with_capacity(self.items.len().min(2 * MAX_DIAGNOSTICS_PER_FILE));
        let mut file = None;
        let mut in_file = 0;
        for diagnostic in self.items.drain(..) {
            if file != Some(diagnostic.primary.file) {
                file = Some(diagnostic.primary.file);
                in_file = 0;
            }
            in_file += 1;
            if in_file > MAX_DIAGNOSTICS_PER_FILE {
                *self.unshown.entry(diagnostic.primary.file).or_default() += 1;
                continue;
            }
            if in_file == MAX_DIAGNOSTICS_PER_FILE {
                self.cutoffs.insert(diagnostic.primary.file, diagnostic.primary.span.start);
            }
            kept.push(diagnostic);
        }
        self.items = kept;
        self.compact_at = 2 * self.items.len();
        self.last_is_kept = false;
    }

    /// The kept diagnostics, sorted, and per file how many were not kept.
    pub fn into_parts(mut self) -> (Vec<Diagnostic>, BTreeMap<FileId, usize>) {
        self.compact();
        (self.items, self.unshown)
    }

    /// The kept diagnostics, sorted, the last of each file that lost some saying how many
    /// ([`unshown_note`]).
    pub fn finish(self) -> Vec<Diagnostic> {
        let (mut items, unshown) = self.into_parts();
        for (file, count) in unshown {
            // The last kept diagnostic of `file` (files are sorted, so search from the end).
            if let Some(last) = items.iter_mut().rev().find(|d| d.primary.file == file) {
                last.notes.push(unshown_note(count));
            }
        }
        items
    }
}

impl IntoIterator for Collector {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    /// [`Collector::finish`]'s list.
    fn into_iter(self) -> Self::IntoIter {
        self.finish().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(file: u32, start: usize, code: Code, message: &str) -> Diagnostic {
        Diagnostic::new(code, message, FileId(file), Span::new(start, start + 1))
    }

    /// The old way: everything built, sorted, deduplicated, then cut per file.
    fn sort_then_cap(mut all: Vec<Diagnostic>) -> Vec<Diagnostic> {
        sort_diagnostics(&mut all);
        all.dedup();
        cap_per_file(all)
    }

    #[test]
    fn a_collector_shows_exactly_what_sorting_everything_and_cutting_per_file_shows() {
        // A small linear congruential generator: reproducible, no dependency.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = |bound: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from((state >> 33) % bound).unwrap()
        };
        let codes = [Code::J0101, Code::J0103, Code::J0201];
        let mut all = Vec::new();
        for k in 0..9000 {
            let file = u32::try_from(next(3)).unwrap();
            let start = next(4000);
            let code = codes[next(3)];
            // Equal keys with different notes check that ties keep the order they came in. No
            // two are identical: past the cutoff, duplicates cannot be told apart and are
            // counted (see `Collector`).
            let mut diagnostic = at(file, start, code, "m");
            diagnostic.notes.push(format!("{k}"));
            all.push(diagnostic);
        }
        let mut collector = Collector::new();
        for diagnostic in all.clone() {
            // Ask first, as a pass does before building; a `false` is counted, not pushed.
            if collector.wants(diagnostic.primary.file, diagnostic.primary.span.start()) {
                collector.push(diagnostic);
            }
        }
        assert_eq!(collector.reported(), 9000);
        let (ours, theirs) = (collector.finish(), sort_then_cap(all));
        assert_eq!(ours.len(), theirs.len());
        let first_difference = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        assert_eq!(first_difference, None, "{:?}", first_difference.map(|k| (&ours[k], &theirs[k])));
    }

    #[test]
    fn past_the_cap_a_collector_declines_what_it_would_drop_and_counts_it() {
        let mut collector = Collector::new();
        let mut built = 0;
        for start in 0..1_000_000 {
            if collector.wants(FileId(0), start) {
                built += 1;
                collector.push(at(0, start, Code::J0103, "unmatched `}`"));
            }
        }
        // Only until the first compaction (on the push after twice the cap) finds the cutoff.
        assert_eq!(built, 2 * MAX_DIAGNOSTICS_PER_FILE + 1);
        // A diagnostic before the cutoff is still wanted, and still shown.
        assert!(collector.wants(FileId(0), 5));
        collector.push(at(0, 5, Code::J0101, "early"));
        let shown = collector.finish();
        assert_eq!(shown.len(), MAX_DIAGNOSTICS_PER_FILE);
        assert!(shown.iter().any(|d| d.message == "early"));
        let last = shown.last().unwrap();
        assert_eq!(last.notes, vec![unshown_note(1_000_001 - MAX_DIAGNOSTICS_PER_FILE)]);
    }

    #[test]
    fn the_last_diagnostic_can_be_added_to_only_when_it_was_kept() {
        let mut collector = Collector::new();
        collector.push(at(0, 1, Code::J0101, "a"));
        assert!(collector.last_mut().is_some_and(|d| d.message == "a"));
        for start in 10..10 + 2 * MAX_DIAGNOSTICS_PER_FILE + 1 {
            collector.push(at(0, start, Code::J0101, "b"));
        }
        collector.push(at(0, 1_000_000, Code::J0101, "past the cutoff"));
        assert!(collector.last_mut().is_none());
    }
}
