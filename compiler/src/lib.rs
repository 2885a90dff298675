//! The journey compiler: text in, data out.
//!
//! This crate is pure. It never touches the file system, a terminal or the language-server
//! protocol: callers hand it bytes or text with a [`FileId`] and get back trees and
//! [`Diagnostic`]s. The CLI (`cli/`) and the language server wrap it.
//!
//! The front ends call one entry point, [`check_project_to`] (or [`check_project`], every
//! tier): it loads a project through a [`project::SourceLoader`], parses every file, builds the
//! resolved [`model::Model`] (declarations, policies, and every resolved reference), checks
//! names, types and channel content, and at [`Tier::All`] runs the flow analyses; `bundle`
//! compiles the result. ARCHITECTURE.md explains the model and the API.

// Pure: the compiler never writes to a terminal; front ends decide what is printed.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

// pest_derive without its `std` feature (see the workspace Cargo.toml) names `alloc::boxed::Box`.
extern crate alloc;

pub mod ast;
pub mod bundle;
pub mod check;
mod codes;
pub mod content;
pub mod declared;
mod diagnostic;
pub mod diff;
pub mod fix;
pub mod flow;
pub mod format;
pub mod limits;
mod line_index;
pub mod manifest;
pub mod model;
mod names;
pub mod project;
pub mod source;
pub mod span;
pub mod syntax;
pub mod timezones;
pub mod weakening;

pub use codes::Code;
pub use diagnostic::{Applicability, Diagnostic, Label, Severity, Suggestion, TextEdit};
pub use line_index::{LineCol, LineIndex};
pub use source::{decode_source, Decoded};
pub use span::{FileId, Span};
pub use syntax::{parse, Parsed};

/// One file taken from bytes to a checked tree: what `journey check` does per file.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    /// The decoded text that diagnostics point into (see [`Decoded::text`]).
    pub text: String,
    /// The tree, when the bytes were decodable at all.
    pub ast: Option<ast::File>,
    /// Sorted by position, capped at `limits::MAX_DIAGNOSTICS_PER_FILE`.
    pub diagnostics: Vec<Diagnostic>,
}

/// Decodes and parses one file alone (no project, no names): what the language server falls
/// back to when a document cannot be part of a project.
pub fn check_file(file: FileId, bytes: &[u8]) -> CheckedFile {
    let checked = check_file_collected(file, bytes);
    CheckedFile { text: checked.text, ast: checked.ast, diagnostics: checked.diagnostics.finish() }
}

/// [`check_file`] with its diagnostics still bounded but not yet finished, so a project can add
/// its own and say once, at the end, how many of a file's were not shown.
pub(crate) struct CollectedFile {
    pub text: String,
    pub ast: Option<ast::File>,
    pub diagnostics: diagnostic::Collector,
}

pub(crate) fn check_file_collected(file: FileId, bytes: &[u8]) -> CollectedFile {
    let decoded = decode_source(file, bytes);
    let mut diagnostics = diagnostic::Collector::new();
    diagnostics.extend(decoded.diagnostics);
    let ast = if decoded.usable {
        let parsed = parse(file, &decoded.text);
        diagnostics.extend(parsed.diagnostics);
        diagnostics.add_unshown(file, parsed.unshown);
        Some(parsed.ast)
    } else {
        None
    };
    CollectedFile { text: decoded.text, ast, diagnostics }
}

/// A checked project: its files, the resolved model, and every diagnostic.
#[derive(Debug, Clone)]
pub struct ProjectReport {
    pub sources: project::Sources,
    pub model: model::Model,
    /// Sorted by file and position, capped per file.
    pub diagnostics: Vec<Diagnostic>,
    pub stats: check::Stats,
    /// The flow graphs, the compliance evidence per send, and the verdict inputs (empty below
    /// [`Tier::All`]).
    pub flow: flow::FlowReport,
    /// How far the check went.
    pub tier: Tier,
    /// The project's `journey.toml` as checked, when the loader has one. Its diagnostics point
    /// into the manifest's own text (file id 0 there, not a file of `sources`); when it is not
    /// valid the project was checked without its settings, and a front end must say so (the
    /// CLI reports J0117, the language server publishes it on the manifest).
    pub manifest: Option<manifest::CheckedManifest>,
}

/// How far [`check_project_to`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// Syntax, imports, names, types and channel content: fast enough for every keystroke of a
    /// large file (the language server's first round of diagnostics).
    Names,
    /// Everything `journey check` does: the compliance analyses over the flow graphs as well.
    All,
}

/// Loads `entries` and everything they import through `loader`, then checks the whole project:
/// names, types, channel content and the compliance analyses ([`Tier::All`]).
pub fn check_project(entries: &[project::ProjectPath], loader: &dyn project::SourceLoader) -> ProjectReport {
    check_project_to(entries, loader, Tier::All)
}

/// The project's `journey.toml`, read through the loader (so the CLI, the language server and
/// `journey diff`'s revisions all apply its settings); `None` when the loader has none. A
/// manifest that cannot be read (too large, outside the root) is checked as empty bytes would
/// not be: it becomes a J0117 so that no front end proves anything under settings it lost.
fn project_manifest(loader: &dyn project::SourceLoader) -> Option<manifest::CheckedManifest> {
    let path = project::ProjectPath::new(manifest::FILE_NAME)?;
    match loader.load(&path) {
        Ok(bytes) => Some(manifest::check_manifest(FileId(0), &bytes)),
        Err(project::LoadError::NotFound) => None,
        Err(error) => Some(manifest::CheckedManifest {
            text: String::new(),
            manifest: None,
            diagnostics: vec![Diagnostic::new(
                Code::J0117,
                format!("journey.toml cannot be read: {}", describe_load_error(&error)),
                FileId(0),
                span::Span::empty(0),
            )],
        }),
    }
}

fn describe_load_error(error: &project::LoadError) -> String {
    match error {
        project::LoadError::NotFound => "no such file".to_owned(),
        project::LoadError::OutsideRoot => "it links to a file outside the project".to_owned(),
        project::LoadError::TooLarge(len) => format!("it is {len} bytes"),
        project::LoadError::Io(message) => message.clone(),
    }
}

/// [`check_project`] up to `tier`: the one entry point the front ends (CLI, language server)
/// call. With [`Tier::Names`] the report's `flow` is empty.
pub fn check_project_to(
    entries: &[project::ProjectPath],
    loader: &dyn project::SourceLoader,
    tier: Tier,
) -> ProjectReport {
    let mut sources = project::load_sources(entries, loader);
    let manifest = project_manifest(loader);
    let settings = manifest.as_ref().and_then(|m| m.manifest.clone()).unwrap_or_default();
    let (model, mut sink) = check::check_sources_with(&sources, &settings);
    let flow = match tier {
        Tier::Names => flow::FlowReport::default(),
        Tier::All => flow::analyze(&sources, &model, &mut sink),
    };
    let mut diagnostics = std::mem::take(&mut sources.diagnostics);
    diagnostics.append(sink.diagnostics);
    let diagnostics = diagnostics.finish();
    ProjectReport { sources, model, diagnostics, stats: sink.stats, flow, tier, manifest }
}
