//! Raw bytes through the whole compiler: `check_file`, then the same bytes as an in-memory
//! project through `check_project`, then, when the project has no error, `bundle::emit`.
//!
//! What must hold for every input (ARCHITECTURE.md invariants):
//! - nothing panics, overflows the stack or runs away (libFuzzer reports crashes and timeouts);
//! - every span of every diagnostic label, suggestion edit and flow-graph node lies inside its
//!   file's decoded text and on `char` boundaries, and converts to a line and column;
//! - a project without errors yields bundles that `bundle::validate` accepts.
//!
//! Input format: one file, or several separated by lines `%% NAME` (so the fuzzer can build
//! projects whose files import each other). Text before the first separator is `main.journey`;
//! each separator names the next file (`%% lib/common.journey`), or `fN.journey` when the name is
//! not a valid project path, at most 8 files (`journey_test_support::split_fixture`, the tests'
//! multi-file fixture format). `fuzz/run.sh` seeds the corpus from examples/ in this format.

#![no_main]

use journey_compiler::bundle::{self, Options};
use journey_compiler::{check_file, check_project, Diagnostic, FileId, LineIndex, Span};
use journey_test_support::project_from_fixture;
use libfuzzer_sys::fuzz_target;

/// A file's text and its line index, built once per file.
struct Text<'t> {
    text: &'t str,
    lines: LineIndex,
}

impl<'t> Text<'t> {
    fn new(text: &'t str) -> Text<'t> {
        Text { text, lines: LineIndex::new(text) }
    }
}

/// Panics (a finding) unless `span` lies inside the text on character boundaries.
fn assert_span(what: &str, file: &Text<'_>, span: Span) {
    let text = file.text;
    assert!(
        span.start() <= span.end() && span.end() <= text.len(),
        "{what}: span {}..{} outside a text of {} bytes",
        span.start(),
        span.end(),
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start()) && text.is_char_boundary(span.end()),
        "{what}: span {}..{} not on character boundaries",
        span.start(),
        span.end()
    );
    // What the renderers and the language server do with a span.
    let _ = file.lines.line_col_utf16(text, span.start());
    let _ = file.lines.line_col_chars(text, span.end());
}

/// Every label and edit of `diagnostic`, checked against the text of its file.
fn assert_diagnostic<'a, 't: 'a>(diagnostic: &Diagnostic, text_of: impl Fn(FileId) -> Option<&'a Text<'t>>) {
    let code = diagnostic.code.as_str();
    let labels = std::iter::once(&diagnostic.primary).chain(diagnostic.secondary.iter());
    for label in labels {
        let text = text_of(label.file).unwrap_or_else(|| panic!("{code}: label in unknown file {:?}", label.file));
        assert_span(code, text, label.span);
    }
    for edit in diagnostic.suggestions.iter().flat_map(|s| s.edits.iter()) {
        let text = text_of(edit.file).unwrap_or_else(|| panic!("{code}: edit in unknown file {:?}", edit.file));
        assert_span(code, text, edit.span);
    }
}

fuzz_target!(|data: &[u8]| {
    // 1. One file, as `journey check FILE` starts.
    let file = FileId(0);
    let checked = check_file(file, data);
    let text = Text::new(&checked.text);
    for diagnostic in &checked.diagnostics {
        assert_diagnostic(diagnostic, |id| (id == file).then_some(&text));
    }

    // 2. The same bytes as a project of one or more files.
    let (loader, entries) = project_from_fixture(data);
    let report = check_project(&entries, &loader);
    let texts: Vec<Text<'_>> = report.sources.files.iter().map(|f| Text::new(&f.text)).collect();
    // File ids index `sources.files` (`Sources::file`).
    let text_of = |id: FileId| texts.get(id.0 as usize);
    for diagnostic in &report.diagnostics {
        assert_diagnostic(diagnostic, text_of);
    }
    for graph in &report.flow.graphs {
        let text = text_of(graph.file).unwrap_or_else(|| panic!("graph `{}` in unknown file", graph.journey));
        assert_span("journey", text, graph.span);
        for stage in &graph.stages {
            assert_span("stage", text, stage.span);
        }
        for node in &graph.nodes {
            let text = text_of(node.file).unwrap_or_else(|| panic!("node {} in unknown file", node.id));
            assert_span(&node.id, text, node.span);
            for span in node.edges.iter().filter_map(|e| e.span) {
                assert_span(&node.id, text, span);
            }
        }
    }

    // 3. A project without errors compiles to bundles that validate.
    if !report.diagnostics.iter().any(Diagnostic::is_error) {
        for (journey, text) in bundle::emit(&report, Options::default()) {
            if let Err(why) = bundle::validate(&text) {
                panic!("the bundle of `{journey}` is invalid: {why}");
            }
        }
    }
});
