//! Long source lines cut to a window around the spans, for the rich format.
//!
//! codespan-reporting prints every line a label touches in full, so each diagnostic on one 4 MiB
//! line printed 4 MiB (4.2 GB of output for one file). Here each diagnostic gets its
//! own [`Files`] view holding only the lines its labels need, any line wider than
//! [`MAX_COLUMNS`] cut to a window around the labels with `…` on each side that was cut. Label
//! ranges are moved into the view, so carets stay under the same characters, and line numbers and
//! the column in the `┌─ file:line:column` header are the file's own.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::Config;
use journey_compiler::FileId;
use unicode_width::UnicodeWidthChar;

use crate::files::FileTable;

/// Widest source line shown, in columns (a tab counts as the renderer's tab width, any other
/// character as its display width, as codespan counts them).
pub const MAX_COLUMNS: usize = 200;

/// Columns of a cut line shown before the point it is cut around.
const BEFORE: usize = 80;

/// Marks each side of a line where text was left out.
const MARKER: &str = "…";

/// One line of a view.
#[derive(Debug)]
struct Line {
    /// Zero-based line of the file.
    index: usize,
    /// The part of the file's line that is shown (file byte offsets, on character boundaries).
    shown: Range<usize>,
    /// Where the line starts in the view's text (its marker included).
    view_start: usize,
    /// Where the shown text starts in the view's text.
    text_start: usize,
    /// Where the line ends in the view's text, its `\n` included.
    view_end: usize,
}

/// The lines of one file that one diagnostic shows.
#[derive(Debug, Default)]
struct View {
    text: String,
    /// By line.
    lines: Vec<Line>,
}

/// The source as one diagnostic's labels need it; see the module documentation.
pub struct Windowed<'a> {
    table: &'a FileTable,
    views: BTreeMap<FileId, View>,
}

impl<'a> Windowed<'a> {
    /// A view for `labels` (file and byte range, clamped onto the text and onto character
    /// boundaries), the first of which, the primary, a cut line is centred on first.
    pub fn new(table: &'a FileTable, labels: &[(FileId, Range<usize>)], config: &Config) -> Windowed<'a> {
        let mut needed: BTreeMap<FileId, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
        for (file, range) in labels {
            let Some(source) = table.get(*file) else { continue };
            let index = source.index();
            let last = index.line_count().saturating_sub(1);
            let (first_line, last_line) = (index.line_of(range.start), index.line_of(range.end));
            let lines = needed.entry(*file).or_default();
            // The lines codespan may print for this label: its first and last, the context it
            // is configured to show around them, and a line between two printed ones (which it
            // prints instead of a `·` break). Lines inside a long multi-line label that it does
            // not print are left out; `line_range` answers for them with an empty line.
            let around = |line: usize, before: usize, after: usize| {
                line.saturating_sub(before + 1)..=(line + after + 1).min(last)
            };
            let mut wanted: BTreeSet<usize> = BTreeSet::new();
            wanted.extend(around(first_line, config.before_label_lines, config.after_label_lines));
            wanted.extend(around(last_line, config.before_label_lines, config.after_label_lines));
            if last_line > first_line {
                wanted.extend(around(first_line, 0, config.start_context_lines).filter(|l| *l <= last_line));
                wanted.extend(around(last_line, config.end_context_lines, 0).filter(|l| *l >= first_line));
            }
            for line in wanted {
                lines.entry(line).or_default();
            }
            // The points each cut line is centred on, in label order.
            if let Some(points) = lines.get_mut(&first_line) {
                points.push(range.start);
            }
            if let Some(points) = lines.get_mut(&last_line) {
                points.push(range.end);
            }
        }
        let mut views = BTreeMap::new();
        for (file, lines) in needed {
            let Some(source) = table.get(file) else { continue };
            let text = source.display_text();
            let index = source.index();
            let mut view = View::default();
            for (line, points) in lines {
                let full = index.line_range(&source.text, line);
                let (shown, cut_before, cut_after) = window(text, full.clone(), points.first().copied(), config);
                let view_start = view.text.len();
                if cut_before {
                    view.text.push_str(MARKER);
                }
                let text_start = view.text.len();
                view.text.push_str(text.get(shown.clone()).unwrap_or(""));
                if cut_after {
                    view.text.push_str(MARKER);
                }
                view.text.push('\n');
                view.lines.push(Line { index: line, shown, view_start, text_start, view_end: view.text.len() });
            }
            views.insert(file, view);
        }
        Windowed { table, views }
    }

    /// Where byte `offset` of `file` is in the view; offsets left out of a cut line move to the
    /// nearest end of the part shown.
    pub fn map(&self, file: FileId, offset: usize) -> usize {
        let Some(view) = self.views.get(&file) else { return 0 };
        let Some(source) = self.table.get(file) else { return 0 };
        let line = source.index().line_of(offset);
        let Ok(k) = view.lines.binary_search_by_key(&line, |l| l.index) else { return view.text.len() };
        let Some(line) = view.lines.get(k) else { return view.text.len() };
        let offset = offset.clamp(line.shown.start, line.shown.end);
        line.text_start + (offset - line.shown.start)
    }

    fn view(&self, file: FileId) -> Result<&View, FilesError> {
        self.views.get(&file).ok_or(FilesError::FileMissing)
    }

    fn line_at(&self, file: FileId, view_offset: usize) -> Result<&Line, FilesError> {
        let view = self.view(file)?;
        let after = view.lines.partition_point(|l| l.view_start <= view_offset);
        view.lines
            .get(after.saturating_sub(1))
            .ok_or(FilesError::IndexTooLarge { given: view_offset, max: view.text.len() })
    }
}

/// The part of the line `full` (without its terminator) to show: all of it when it fits in
/// `MAX_COLUMNS`, otherwise a window starting `BEFORE` columns before `point`; and whether text
/// was left out before and after it.
fn window(text: &str, full: Range<usize>, point: Option<usize>, config: &Config) -> (Range<usize>, bool, bool) {
    let width = |c: char| if c == '\t' { config.tab_width.max(1) } else { c.width().unwrap_or(0) };
    let line = text.get(full.clone()).unwrap_or("");
    // A character is at most 4 bytes: a line of more than 4 × MAX_COLUMNS bytes is too wide
    // without counting, and a shorter one is cheap to count.
    if line.len() <= 4 * MAX_COLUMNS && line.chars().map(width).sum::<usize>() <= MAX_COLUMNS {
        return (full, false, false);
    }
    let point = point.unwrap_or(full.start).clamp(full.start, full.end);
    let mut start = point;
    let mut columns = 0;
    for (at, c) in text.get(full.start..point).unwrap_or("").char_indices().rev() {
        if columns + width(c) > BEFORE {
            break;
        }
        columns += width(c);
        start = full.start + at;
    }
    let mut end = start;
    let mut columns = 0;
    for c in text.get(start..full.end).unwrap_or("").chars() {
        if columns + width(c) > MAX_COLUMNS {
            break;
        }
        columns += width(c);
        end += c.len_utf8();
    }
    (start..end, start > full.start, end < full.end)
}

impl<'b> Files<'b> for Windowed<'_> {
    type FileId = FileId;
    type Name = &'b str;
    type Source = &'b str;

    fn name(&'b self, id: FileId) -> Result<&'b str, FilesError> {
        self.table.name(id)
    }

    fn source(&'b self, id: FileId) -> Result<&'b str, FilesError> {
        Ok(&self.view(id)?.text)
    }

    fn line_index(&'b self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.line_at(id, byte_index)?.index)
    }

    /// The file's own column: the view offset is mapped back onto the file's line.
    fn column_number(&'b self, id: FileId, _line_index: usize, byte_index: usize) -> Result<usize, FilesError> {
        let line = self.line_at(id, byte_index)?;
        let offset = line.shown.start + byte_index.saturating_sub(line.text_start).min(line.shown.len());
        let source = self.table.get(id).ok_or(FilesError::FileMissing)?;
        Ok(source.position(offset).column)
    }

    fn line_range(&'b self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let view = self.view(id)?;
        match view.lines.binary_search_by_key(&line_index, |l| l.index) {
            Ok(k) => view.lines.get(k).map(|l| l.view_start..l.view_end).ok_or(FilesError::FileMissing),
            Err(_) => {
                let count = self.table.get(id).map_or(0, |s| s.index().line_count());
                if line_index < count {
                    // Inside a multi-line label and never printed (see `new`).
                    Ok(view.text.len()..view.text.len())
                } else {
                    Err(FilesError::LineTooLarge { given: line_index, max: count.saturating_sub(1) })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use journey_compiler::{Code, Diagnostic, Span};
    use unicode_width::UnicodeWidthStr;

    use super::*;
    use crate::files::SourceFile;

    /// The rich output for one diagnostic at `span` of `text`, without colour.
    fn rich(text: &str, span: Span, secondary: Option<Span>) -> String {
        let mut table = FileTable::default();
        let file = table.push(SourceFile::new("a.journey".to_owned(), text.to_owned()));
        let mut diagnostic = Diagnostic::new(Code::J0103, "unmatched `}`", file, span).with_label("here");
        if let Some(secondary) = secondary {
            diagnostic = diagnostic.with_secondary(file, secondary, "and here");
        }
        let mut out = Vec::new();
        super::super::rich::render(&table, &[diagnostic], false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The display column (from 0) of the first `^` under the source row numbered `line`, and
    /// that row's text after the gutter.
    fn caret_and_row(output: &str, line: usize) -> (usize, String) {
        let rows: Vec<&str> = output.lines().collect();
        let prefix = format!("{line} │ ");
        let at = rows.iter().position(|r| r.starts_with(&prefix)).unwrap();
        let row = rows[at][prefix.len()..].to_owned();
        let carets = rows[at + 1];
        let gutter = carets.find('│').unwrap() + '│'.len_utf8() + 1;
        let caret = carets[gutter..].find('^').unwrap();
        (UnicodeWidthStr::width(&carets[gutter..gutter + caret]), row)
    }

    /// The text of `row` from display column `column` on.
    fn from_column(row: &str, column: usize) -> String {
        let mut width = 0;
        for (at, c) in row.char_indices() {
            if width >= column {
                return row[at..].to_owned();
            }
            width += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
        String::new()
    }

    #[test]
    fn a_long_line_is_cut_around_the_span_with_a_marker_on_each_cut_side() {
        let text = format!("{}}}{}\n", "x".repeat(3000), "y".repeat(3000));
        let output = rich(&text, Span::new(3000, 3001), None);
        assert!(output.len() < 1000, "{} bytes:\n{output}", output.len());
        assert!(output.contains("a.journey:1:3001"), "{output}");
        let (caret, row) = caret_and_row(&output, 1);
        assert!(row.starts_with(MARKER) && row.ends_with(MARKER), "{row}");
        assert!(UnicodeWidthStr::width(row.as_str()) <= MAX_COLUMNS + 2, "{row}");
        assert!(from_column(&row, caret).starts_with('}'), "{output}");
    }

    #[test]
    fn tabs_and_wide_characters_count_as_the_columns_they_take() {
        let head = "\t日本".repeat(200);
        let text = format!("{head}}}{}\n", "\t本".repeat(200));
        let output = rich(&text, Span::new(head.len(), head.len() + 1), None);
        let (caret, row) = caret_and_row(&output, 1);
        // codespan prints a tab as spaces; the row is at most the window plus two markers.
        assert!(!row.contains('\t'));
        assert!(UnicodeWidthStr::width(row.as_str()) <= MAX_COLUMNS + 2, "{row}");
        assert!(from_column(&row, caret).starts_with('}'), "{output}");
        assert!(output.contains(&format!("a.journey:1:{}", 3 * 200 + 1)), "{output}");
    }

    #[test]
    fn a_span_at_the_start_of_a_long_line_has_no_marker_before_it() {
        let text = format!("}}{}\n", " ".repeat(10_000));
        let (caret, row) = caret_and_row(&rich(&text, Span::new(0, 1), None), 1);
        assert_eq!(caret, 0);
        assert!(row.starts_with('}') && row.ends_with(MARKER), "{row}");
    }

    #[test]
    fn a_label_spanning_long_lines_shows_each_end_in_its_own_window() {
        let long = "z".repeat(5000);
        let text = format!("{long}\n{long}\n{long}\n{long}\n{long}\n{long}\n");
        let start = 4000;
        let end = 5 * 5001 + 100;
        let output = rich(&text, Span::new(start, end), Some(Span::new(5001 + 10, 5001 + 11)));
        assert!(output.len() < 4000, "{} bytes:\n{output}", output.len());
        assert!(output.contains("a.journey:1:4001"), "{output}");
        assert!(output.contains("\n6 │"), "{output}");
    }

    #[test]
    fn a_line_that_fits_is_shown_whole() {
        let text = format!("segment a = {}\n", "b".repeat(150));
        let (_, row) = caret_and_row(&rich(&text, Span::new(12, 13), None), 1);
        assert_eq!(row, text.trim_end());
    }
}
