//! Every format on hand-made diagnostics: the cases the parser may not produce today (warnings,
//! labels in other files, multi-line spans, several edits, hostile text, out-of-range spans),
//! independent of what the compiler's messages say this week.

use journey_compiler::{Code, Diagnostic, FileId, Severity, Span, Suggestion, TextEdit};

use super::*;
use crate::check::Outcome;
use crate::files::SourceFile;

const MAIN: &str = "journey main {\r\n  stage a {\r\n    goto b\r\n  }\r\n\tstage b { wait 1d }\r\n}\r\n";
const OTHER: &str = "message hi on sms as service {\r  text \"h\u{e9}llo {name}\"\r}\r";

fn span_of(text: &str, needle: &str) -> Span {
    let start = text.find(needle).unwrap();
    Span::new(start, start + needle.len())
}

/// From the middle of `é` to the middle of `{`..: starts inside a character.
fn inside_e() -> Span {
    let e = OTHER.find('\u{e9}').unwrap();
    Span::new(e + 1, e + 6)
}

fn outcome() -> Outcome {
    let mut outcome = Outcome::default();
    let main = outcome.table.push(SourceFile::new("flows/main.journey".to_owned(), MAIN.to_owned()));
    let other = outcome.table.push(SourceFile::new("lib/odd, name:1%.journey".to_owned(), OTHER.to_owned()));

    let goto = span_of(MAIN, "goto");
    let mut two_edits =
        Diagnostic::new(Code::J0105, "a step uses `goto`, found `goto`", main, goto).with_label("this `goto`");
    two_edits.suggestions.push(Suggestion {
        message: "rename both".to_owned(),
        edits: vec![
            TextEdit { file: main, span: goto, replacement: "jump".to_owned() },
            TextEdit { file: other, span: span_of(OTHER, "hi"), replacement: "hello".to_owned() },
            TextEdit { file: main, span: span_of(MAIN, "stage b"), replacement: "stage c".to_owned() },
        ],
        applicability: journey_compiler::Applicability::Unsafe,
    });

    let mut warning = Diagnostic::new(
        Code::J0101,
        "this message spans lines",
        other,
        span_of(OTHER, "hi on sms as service {\r  text"),
    )
    .with_label("from here to `text`")
    .with_note("a note with 100% \"quotes\"")
    .with_help("help on\ntwo lines");
    warning.severity = Severity::Warning;

    let diagnostics = vec![
        two_edits,
        Diagnostic::new(Code::J0102, "unclosed `{`", main, span_of(MAIN, "{ wait"))
            .with_label("opened here")
            .with_secondary(other, span_of(OTHER, "{name}"), "related, in another file")
            .with_secondary(main, span_of(MAIN, "journey"), "")
            .with_suggestion("insert `}`", Span::empty(MAIN.len()), "}"),
        // A hostile message, and a span that starts inside `é` and must be clamped.
        Diagnostic::new(Code::J0113, "control \u{1b}[31m character,\r\nhere", other, inside_e()),
        // A span far past the end of the file, with a fix safe to apply (`"safe": true`).
        Diagnostic::new(Code::J0104, "past the end", other, Span::new(1000, 2000)).with_safe_suggestion(
            "close the string",
            Span::empty(OTHER.len()),
            "\"",
        ),
        warning,
    ];
    outcome.diagnostics = diagnostics;
    outcome
}

fn rendered(format: Format) -> String {
    let outcome = outcome();
    let summary = Summary::of(&outcome);
    let mut out = Vec::new();
    render(format, &outcome, &summary, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_rich_format_renders_labels_notes_and_other_files() {
    insta::assert_snapshot!(rendered(Format::Rich));
}

#[test]
fn the_short_format_renders_one_inert_line_per_diagnostic() {
    let text = rendered(Format::Short);
    assert_eq!(text.lines().count(), 5);
    insta::assert_snapshot!(text);
}

#[test]
fn the_github_format_escapes_every_property_and_message() {
    let text = rendered(Format::Github);
    assert_eq!(text.lines().count(), 5);
    assert!(!text.contains('\u{1b}'));
    insta::assert_snapshot!(text);
}

#[test]
fn the_json_format_carries_labels_suggestions_and_positions() {
    let text = rendered(Format::Json);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(doc["summary"]["errors"], 4);
    insta::assert_snapshot!(text);
}

#[test]
fn the_sarif_format_has_related_locations_and_fixes() {
    let text = rendered(Format::Sarif);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules = &log["runs"][0]["tool"]["driver"]["rules"];
    let ids: Vec<&str> = rules.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["J0101", "J0102", "J0104", "J0105", "J0113"]);
    let results = &log["runs"][0]["results"];
    assert_eq!(results[0]["fixes"][0]["artifactChanges"].as_array().unwrap().len(), 2);
    assert_eq!(results[4]["level"], "warning");
    assert_eq!(
        results[1]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "lib/odd%2C%20name%3A1%25.journey"
    );
}

#[test]
fn spans_are_clamped_onto_the_text_and_character_boundaries() {
    let outcome = outcome();
    let other = outcome.table.get(FileId(1)).unwrap();
    let inside_e = other.locate(inside_e());
    assert_eq!(inside_e.span, Span::new(OTHER.find('\u{e9}').unwrap(), OTHER.find('\u{e9}').unwrap() + 6));
    let past = other.locate(Span::new(1000, 2000));
    assert_eq!((past.span.start(), past.span.end()), (OTHER.len(), OTHER.len()));
    assert_eq!(past.start, crate::files::Position { line: 4, column: 1 });
}

#[test]
fn crlf_and_lone_cr_positions_match_the_compilers_line_index() {
    let outcome = outcome();
    let main = outcome.table.get(FileId(0)).unwrap();
    assert_eq!(main.position(span_of(MAIN, "goto").start()), crate::files::Position { line: 3, column: 5 });
    let other = outcome.table.get(FileId(1)).unwrap();
    assert_eq!(other.position(span_of(OTHER, "{name}").start()), crate::files::Position { line: 2, column: 15 });
}
