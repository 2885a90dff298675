//! `journey.toml`, the file that marks a project root, checked.
//!
//! Its presence is what makes a directory a project (`journey-host` finds the nearest one above a
//! file). What it may hold is small: it may be empty or hold only comments, and it may have a
//! `[project]` table with `name`, a string (for people and tools; the compiler does not read
//! it), `exclude`, a list of paths relative to the root whose files `journey check` and
//! `journey build` leave out (the CLI applies it; the compiler only checks its shape), and
//! `jurisdictions`, the quiet-hour laws (codes of `flow::rules::JURISDICTIONS`) the project is
//! checked against when no `policy` selects one (the compiler reads it through the project's
//! loader, so every front end applies it). Anything else, TOML
//! that does not parse, a key not listed here or a value of the wrong type, is J0117: a setting
//! that is misspelt or not supported must not be ignored in silence, as if it had taken effect.
//!
//! Pure, like the rest of the compiler: bytes in, the manifest and diagnostics out.

use serde::Deserialize;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::decode_source;
use crate::span::{FileId, Span};

/// The manifest's file name.
pub const FILE_NAME: &str = "journey.toml";

/// What a valid `journey.toml` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// `[project] name`, when given.
    pub name: Option<String>,
    /// `[project] exclude`: paths relative to the root, `/`-separated; empty when not given.
    pub exclude: Vec<String>,
    /// `[project] jurisdictions`: the default quiet-hour laws, each a known code in the table's
    /// own spelling (`us-fl` is kept as `US-FL`); empty when not given.
    pub jurisdictions: Vec<String>,
}

/// A `journey.toml` after checking.
#[derive(Debug, Clone)]
pub struct CheckedManifest {
    /// The decoded text that diagnostics point into.
    pub text: String,
    /// `None` when the file is not a valid manifest; the diagnostics say why.
    pub manifest: Option<Manifest>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The file as TOML: unknown keys are errors at every level.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    project: Option<ProjectTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectTable {
    name: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    jurisdictions: Vec<toml::Spanned<String>>,
}

const HELP: &str = "journey.toml may be empty, or hold a `[project]` table with `name = \"...\"`, \
                    `exclude = [\"...\"]` and `jurisdictions = [\"US-FL\"]`; nothing else is read from it \
                    (`journey explain J0117`)";

/// Decodes and checks a `journey.toml` (size, encoding, TOML, keys and types).
pub fn check_manifest(file: FileId, bytes: &[u8]) -> CheckedManifest {
    let decoded = decode_source(file, bytes);
    if !decoded.usable {
        return CheckedManifest { text: decoded.text, manifest: None, diagnostics: decoded.diagnostics };
    }
    let text = decoded.text;
    match toml::from_str::<ManifestFile>(&text) {
        Ok(parsed) => {
            let Some(project) = parsed.project else {
                return CheckedManifest { text, manifest: Some(Manifest::default()), diagnostics: Vec::new() };
            };
            let mut jurisdictions = Vec::new();
            let mut diagnostics = Vec::new();
            for code in &project.jurisdictions {
                match crate::flow::rules::jurisdiction(code.get_ref()) {
                    Some(law) => jurisdictions.push(law.code.to_owned()),
                    None => diagnostics.push(unknown_jurisdiction(file, &text, code)),
                }
            }
            let manifest = diagnostics.is_empty().then_some(Manifest {
                name: project.name,
                exclude: project.exclude,
                jurisdictions,
            });
            CheckedManifest { text, manifest, diagnostics }
        }
        Err(error) => {
            let span = error.span().map_or(Span::empty(0), |range| char_span(&text, range.start, range.end));
            let diagnostic = Diagnostic::new(Code::J0117, describe(error.message()), file, span)
                .with_label(label(error.message()))
                .with_help(HELP);
            CheckedManifest { text, manifest: None, diagnostics: vec![diagnostic] }
        }
    }
}

/// A code that is not in the quiet-hours table: a misspelt default law must not leave texts
/// checked against the federal baseline in silence.
fn unknown_jurisdiction(file: FileId, text: &str, code: &toml::Spanned<String>) -> Diagnostic {
    let known: Vec<&str> = crate::flow::rules::JURISDICTIONS.iter().map(|j| j.code).collect();
    let span = char_span(text, code.span().start, code.span().end);
    Diagnostic::new(Code::J0117, format!("invalid journey.toml: unknown jurisdiction `{}`", code.get_ref()), file, span)
        .with_label("not in the quiet-hours table")
        .with_note(format!("known: {}", known.join(", ")))
        .with_help(HELP)
}

/// The parser's message as ours: one line, lower case at the start, no final period (the
/// conventions of ARCHITECTURE.md).
fn describe(message: &str) -> String {
    let first = message.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("not valid TOML");
    let first = first.strip_suffix('.').unwrap_or(first);
    let mut chars = first.chars();
    let lowered = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("invalid journey.toml: {lowered}")
}

/// What the span points at, in a few words.
fn label(message: &str) -> &'static str {
    if message.contains("unknown field") {
        "not a key of journey.toml"
    } else if message.contains("invalid type") {
        "wrong type"
    } else {
        "not valid TOML here"
    }
}

/// `start..end` clamped to the text and widened to character boundaries, so a span from the
/// parser can never split a character.
fn char_span(text: &str, start: usize, end: usize) -> Span {
    let mut start = start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> CheckedManifest {
        check_manifest(FileId(0), text.as_bytes())
    }

    #[test]
    fn an_empty_file_comments_and_a_project_name_are_valid() {
        for text in ["", "\n", "# the project root\n", "[project]\n", "[project]\nname = \"acme\" # ours\n"] {
            let checked = check(text);
            assert!(checked.diagnostics.is_empty(), "{text:?}: {:?}", checked.diagnostics);
            assert!(checked.manifest.is_some(), "{text:?}");
        }
        assert_eq!(
            check("project.name = 'acme'").manifest,
            Some(Manifest { name: Some("acme".to_owned()), ..Manifest::default() })
        );
        assert_eq!(
            check("[project]\nexclude = [\"drafts\", \"old/2024\"]\n").manifest,
            Some(Manifest { exclude: vec!["drafts".to_owned(), "old/2024".to_owned()], ..Manifest::default() })
        );
    }

    #[test]
    fn default_jurisdictions_are_kept_in_the_tables_spelling_and_an_unknown_one_is_j0117_on_its_string() {
        assert_eq!(
            check("[project]\njurisdictions = [\"us-fl\", \"US-TX\"]\n").manifest,
            Some(Manifest { jurisdictions: vec!["US-FL".to_owned(), "US-TX".to_owned()], ..Manifest::default() })
        );
        let text = "[project]\njurisdictions = [\"US-FL\", \"Atlantis\"]\n";
        let checked = check(text);
        assert!(checked.manifest.is_none());
        let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{:?}", checked.diagnostics) };
        assert_eq!(diagnostic.code, Code::J0117);
        assert_eq!(diagnostic.message, "invalid journey.toml: unknown jurisdiction `Atlantis`");
        assert_eq!(text.get(diagnostic.primary.span.range()), Some("\"Atlantis\""));
        assert!(diagnostic.notes.iter().any(|n| n.contains("US-FL")), "{:?}", diagnostic.notes);
        let wrong = check("[project]\njurisdictions = \"US-FL\"\n");
        assert_eq!(wrong.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::J0117]);
    }

    #[test]
    fn garbage_unknown_keys_and_wrong_types_are_j0117_with_a_span_on_the_culprit() {
        for (text, culprit, words) in [
            ("this is not toml\n", "is", "invalid journey.toml"),
            ("[project]\nnmae = \"acme\"\n", "nmae", "unknown field `nmae`"),
            ("version = 2\n", "version", "unknown field `version`"),
            ("[project]\nname = 3\n", "3", "invalid type"),
            ("[project]\nname = \"acme\"\n[project]\n", "project", "invalid journey.toml"),
            ("project = \"acme\"\n", "\"acme\"", "invalid type"),
            ("[project]\nexclude = \"drafts\"\n", "\"drafts\"", "invalid type"),
        ] {
            let checked = check(text);
            assert!(checked.manifest.is_none(), "{text:?}");
            let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{text:?}: {:?}", checked.diagnostics) };
            assert_eq!(diagnostic.code, Code::J0117, "{text:?}");
            assert!(diagnostic.message.contains(words), "{text:?}: {}", diagnostic.message);
            assert!(diagnostic.message.starts_with("invalid journey.toml: "), "{}", diagnostic.message);
            assert!(!diagnostic.message.ends_with('.') && !diagnostic.message.contains('\n'), "{}", diagnostic.message);
            let shown = text.get(diagnostic.primary.span.range()).unwrap();
            assert!(shown.contains(culprit) || culprit.contains(shown), "{text:?}: span shows {shown:?}");
            assert!(diagnostic.help.is_some());
        }
    }

    #[test]
    fn a_manifest_that_is_not_utf8_or_nested_a_hundred_thousand_deep_is_refused_without_a_crash() {
        let checked = check_manifest(FileId(0), b"[project]\nname = \"\xFF\"\n");
        assert_eq!(checked.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::J0112]);
        let deep = format!("a = {}", "[".repeat(100_000));
        let checked = check(&deep);
        assert_eq!(checked.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::J0117]);
    }

    #[test]
    fn spans_never_split_a_character() {
        let text = "é = 1\n";
        assert_eq!(char_span(text, 1, 1), Span::new(0, 2));
        assert_eq!(char_span(text, 2, 2), Span::new(2, 2));
        assert_eq!(char_span(text, 0, 1), Span::new(0, 2));
        assert_eq!(char_span(text, 50, 60), Span::new(text.len(), text.len()));
    }
}
