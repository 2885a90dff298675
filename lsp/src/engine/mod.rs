//! The language-server engine: what the editor features compute, with no LSP type in sight.
//!
//! Everything here takes analysed files and byte offsets and returns plain structs with
//! [`Span`]s; `crate::convert` turns them into protocol types. A document is analysed as part of
//! its project through the compiler's one entry point ([`journey_compiler::check_project_to`]);
//! names come from the compiler's model ([`symbols`]), never from matching text.

pub mod annotations;
pub mod completion;
pub mod format;
pub mod hover;
pub mod keywords;
pub mod lexical;
pub mod navigate;
pub mod outline;
pub mod preview;
pub mod symbols;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use journey_compiler::flow::SendEvidence;
use journey_compiler::model::Model;
use journey_compiler::project::{MemoryLoader, Origin, ProjectPath, SourceLoader};
use journey_compiler::{ast, check_file, check_project_to, Diagnostic, FileId, LineIndex, ProjectReport, Span, Tier};

pub use symbols::{Symbol, Symbols};

/// File ids from `LINKED_BASE` up name the other files of a document's project (imports, the
/// standard library), so they never collide with the ids of open documents.
pub const LINKED_BASE: u32 = 1 << 31;

/// A file of the document's project other than the document itself: where labels, definitions
/// and uses in other files point.
#[derive(Debug)]
pub struct LinkedFile {
    /// `LINKED_BASE` + the compiler's id.
    pub id: FileId,
    pub origin: Origin,
    /// `flows/a.journey`, or `std/channels.journey`.
    pub name: String,
    pub text: Arc<str>,
    pub line_index: LineIndex,
}

/// One version of one open document, checked as part of its project.
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
    /// The diagnostics of this document (labels may point into linked files).
    pub diagnostics: Vec<Diagnostic>,
    /// The other files of the project.
    pub linked: Vec<LinkedFile>,
    /// The project's declarations and resolved references (file ids mapped to `file` and
    /// `LINKED_BASE + id`).
    pub model: Model,
    /// The names of the project, from `model`.
    pub symbols: Symbols,
    /// The document's path in its project, and the entries the project was checked with (what
    /// a rename checks again before it is offered).
    pub path: ProjectPath,
    pub entries: Vec<ProjectPath>,
    /// Whether the compliance analyses (consent, windows, frequency, ...) ran: a first, fast
    /// analysis leaves them out so diagnostics appear while typing ([`Tier::Names`]).
    pub complete: bool,
    /// What the compliance analyses proved for each send of this document (complete analyses
    /// only).
    pub sends: Vec<SendProof>,
}

/// Why a send in this document is allowed (or what it lacks), from the analyses' evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendProof {
    /// The send or ask step.
    pub span: Span,
    pub evidence: SendEvidence,
}

/// The name a document is checked under when it is a project of its own in memory.
#[allow(clippy::expect_used)] // a constant, valid path
fn document_path() -> ProjectPath {
    ProjectPath::new("document.journey").expect("a plain relative name is a project path")
}

impl Analysis {
    /// Checks a document as a project of its own (it may import the standard library), to
    /// [`Tier::Names`].
    pub fn new(file: FileId, version: i32, buffer: &Arc<str>) -> Analysis {
        let path = document_path();
        let mut loader = MemoryLoader::default();
        loader.insert(path.clone(), buffer.as_bytes());
        Analysis::check(file, version, buffer, &path, std::slice::from_ref(&path), &loader, Tier::Names)
    }

    /// Checks the project of `entries` through `loader` (which serves `path`, the document, from
    /// `buffer`) up to `tier`, and keeps what the editor needs of it for the document at `path`.
    pub fn check(
        file: FileId,
        version: i32,
        buffer: &Arc<str>,
        path: &ProjectPath,
        entries: &[ProjectPath],
        loader: &dyn SourceLoader,
        tier: Tier,
    ) -> Analysis {
        let report = check_project_to(entries, loader, tier);
        Analysis::from_report(file, version, buffer, path, entries.to_vec(), report)
    }

    /// A document checked as the only entry of a project.
    pub fn from_project(file: FileId, version: i32, buffer: &Arc<str>, report: ProjectReport) -> Analysis {
        let entry = report.sources.files.iter().find(|f| f.is_entry).map(|f| f.origin.clone());
        let path = match entry {
            Some(Origin::Project(path)) => path,
            _ => document_path(),
        };
        Analysis::from_report(file, version, buffer, &path.clone(), vec![path], report)
    }

    fn from_report(
        file: FileId,
        version: i32,
        buffer: &Arc<str>,
        path: &ProjectPath,
        entries: Vec<ProjectPath>,
        report: ProjectReport,
    ) -> Analysis {
        let ProjectReport { sources, model, diagnostics, flow, tier, manifest, .. } = report;
        let own_origin = Origin::Project(path.clone());
        let Some(own) = sources.files.iter().find(|f| f.origin == own_origin).map(|f| f.id) else {
            return Analysis::unchecked(file, version, buffer, path);
        };
        let remap = |id: FileId| if id == own { file } else { FileId(LINKED_BASE.saturating_add(id.0)) };
        // Each send's node, found through one index rather than a search per send (a journey can
        // have thousands): (journey, node id) -> node, the first graph of a name winning.
        let mut nodes: BTreeMap<(&str, &str), &journey_compiler::flow::graph::Node> = BTreeMap::new();
        for graph in &flow.graphs {
            for node in &graph.nodes {
                nodes.entry((graph.journey.as_str(), node.id.as_str())).or_insert(node);
            }
        }
        let sends = flow
            .evidence
            .iter()
            .filter_map(|evidence| {
                let node = nodes.get(&(evidence.journey.as_str(), evidence.node.as_str()))?;
                (node.file == own).then(|| SendProof { span: node.span, evidence: evidence.clone() })
            })
            .collect();
        let mut text_and_ast = None;
        let mut linked = Vec::new();
        for source in sources.files {
            if source.id == own {
                text_and_ast = Some((source.text, source.ast));
            } else {
                let text: Arc<str> = Arc::from(source.text);
                let line_index = LineIndex::new(&text);
                linked.push(LinkedFile {
                    id: remap(source.id),
                    origin: source.origin,
                    name: source.name,
                    text,
                    line_index,
                });
            }
        }
        let Some((text, ast)) = text_and_ast else { return Analysis::unchecked(file, version, buffer, path) };
        let mut diagnostics: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.primary.file == own)
            .map(|diagnostic| diagnostic.map_files(&remap))
            .collect();
        // The document was checked without the settings of a journey.toml that is not valid
        // (its default jurisdictions, say): that must show, not pass as a clean check.
        if let Some(problem) = manifest.as_ref().and_then(|m| m.diagnostics.first()) {
            diagnostics.insert(
                0,
                Diagnostic::new(
                    journey_compiler::Code::J0117,
                    format!(
                        "this project's journey.toml is not valid, so its settings were not applied: {}",
                        problem.message
                    ),
                    file,
                    Span::empty(0),
                )
                .with_label("checked without the project's settings")
                .with_help("fix journey.toml; `journey check` shows where the problem is"),
            );
        }
        let model = model.map_files(&remap);
        let mut analysis = Analysis::assemble(file, version, buffer, text, ast, diagnostics, path.clone());
        analysis.symbols = Symbols::of(&model);
        analysis.model = model;
        analysis.linked = linked;
        analysis.entries = entries;
        analysis.complete = tier == Tier::All;
        analysis.sends = sends;
        analysis
    }

    /// The document parsed alone, without a project (when the project could not hold it).
    fn unchecked(file: FileId, version: i32, buffer: &Arc<str>, path: &ProjectPath) -> Analysis {
        let checked = check_file(file, buffer.as_bytes());
        Analysis::assemble(file, version, buffer, checked.text, checked.ast, checked.diagnostics, path.clone())
    }

    fn assemble(
        file: FileId,
        version: i32,
        buffer: &Arc<str>,
        checked_text: String,
        ast: Option<ast::File>,
        diagnostics: Vec<Diagnostic>,
        path: ProjectPath,
    ) -> Analysis {
        let leading_bom = buffer.starts_with('\u{feff}') && checked_text.len() + '\u{feff}'.len_utf8() == buffer.len();
        let text: Arc<str> = if *checked_text == **buffer { Arc::clone(buffer) } else { Arc::from(checked_text) };
        let line_index = LineIndex::new(&text);
        Analysis {
            file,
            version,
            text,
            leading_bom,
            line_index,
            ast,
            diagnostics,
            linked: Vec::new(),
            model: Model::default(),
            symbols: Symbols::default(),
            entries: vec![path.clone()],
            path,
            complete: false,
            sends: Vec::new(),
        }
    }

    /// The source text of a span (empty when the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.clamp_to(&self.text).range()).unwrap_or("")
    }

    pub fn linked(&self, id: FileId) -> Option<&LinkedFile> {
        self.linked.iter().find(|file| file.id == id)
    }

    /// The text of a file of the project: the document's own, or a linked file's.
    pub fn text_of(&self, id: FileId) -> Option<&str> {
        if id == self.file {
            return Some(&self.text);
        }
        self.linked(id).map(|linked| &*linked.text)
    }

    /// A line index of a file of the project.
    pub fn line_index_of(&self, id: FileId) -> Option<&LineIndex> {
        if id == self.file {
            return Some(&self.line_index);
        }
        self.linked(id).map(|linked| &linked.line_index)
    }

    /// Whether a file of the project is one of the standard library's (never edited).
    pub fn is_std(&self, id: FileId) -> bool {
        self.linked(id).is_some_and(|linked| matches!(linked.origin, Origin::Std(_)))
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
