//! Which suggested fixes can be applied together without a person looking: the one rule that
//! `journey check --fix` and the language server's "fix all" (`source.fixAll`) share.
//!
//! Only [`Applicability::Safe`] suggestions count, and only those whose every edit is in the one
//! file being fixed. In the order of the diagnostics, a suggestion is taken unless one of its
//! edits touches an edit already taken, or inserts at the same place (whose order would be a
//! guess); what is left waits for another round, suggested afresh against the fixed text.

use crate::diagnostic::{Applicability, Diagnostic, TextEdit};
use crate::span::FileId;

/// The safe suggestions of `diagnostics` in `file` that apply together: how many were taken, and
/// their edits (none overlapping another).
pub fn safe_fixes(diagnostics: &[Diagnostic], file: FileId) -> (usize, Vec<TextEdit>) {
    let mut count = 0;
    let mut taken: Vec<TextEdit> = Vec::new();
    for suggestion in diagnostics.iter().flat_map(|d| &d.suggestions) {
        let safe = suggestion.applicability == Applicability::Safe;
        let here = !suggestion.edits.is_empty() && suggestion.edits.iter().all(|edit| edit.file == file);
        if !safe || !here {
            continue;
        }
        let clashes = suggestion.edits.iter().any(|edit| taken.iter().any(|other| overlap(edit, other)));
        if !clashes {
            count += 1;
            taken.extend(suggestion.edits.iter().cloned());
        }
    }
    (count, taken)
}

/// Two edits touch the same text, or insert at the same place.
fn overlap(a: &TextEdit, b: &TextEdit) -> bool {
    let (a0, a1, b0, b1) = (a.span.start(), a.span.end(), b.span.start(), b.span.end());
    (a0 < b1 && b0 < a1) || a0 == b0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::span::Span;

    fn fix(file: u32, start: usize, end: usize, applicability: Applicability) -> Diagnostic {
        let edit = TextEdit { file: FileId(file), span: Span::new(start, end), replacement: "x".to_owned() };
        let mut diagnostic = Diagnostic::new(Code::J0101, "m", FileId(file), Span::new(start, end));
        diagnostic.suggestions.push(crate::diagnostic::Suggestion {
            message: "fix".to_owned(),
            edits: vec![edit],
            applicability,
        });
        diagnostic
    }

    fn edit(start: usize, end: usize) -> TextEdit {
        TextEdit { file: FileId(0), span: Span::new(start, end), replacement: String::new() }
    }

    #[test]
    fn edits_overlap_when_they_share_text_or_insert_at_one_place() {
        assert!(overlap(&edit(0, 3), &edit(2, 5)));
        assert!(overlap(&edit(4, 4), &edit(4, 4)));
        assert!(overlap(&edit(4, 4), &edit(4, 6)));
        assert!(!overlap(&edit(0, 3), &edit(3, 5)), "touching ends do not overlap");
        assert!(!overlap(&edit(5, 5), &edit(0, 3)));
    }

    #[test]
    fn only_safe_fixes_of_the_file_are_taken_and_an_overlapping_one_waits() {
        let diagnostics = [
            fix(0, 0, 2, Applicability::Safe),
            fix(0, 1, 3, Applicability::Safe),
            fix(0, 5, 6, Applicability::Unsafe),
            fix(1, 7, 8, Applicability::Safe),
            fix(0, 2, 2, Applicability::Safe),
            fix(0, 2, 4, Applicability::Safe),
        ];
        let (count, edits) = safe_fixes(&diagnostics, FileId(0));
        assert_eq!(count, 2);
        let spans: Vec<(usize, usize)> = edits.iter().map(|e| (e.span.start(), e.span.end())).collect();
        // (1, 3) overlaps (0, 2); (2, 4) inserts where (2, 2) does.
        assert_eq!(spans, [(0, 2), (2, 2)]);
    }
}
