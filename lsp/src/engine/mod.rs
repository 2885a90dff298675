//! The language-server engine: what the editor features compute, with no LSP type in sight.
//!
//! Everything here takes analysed files and byte offsets and returns plain structs with
//! [`Span`]s; `crate::convert` turns them into protocol types. This is the part that belongs in
//! the compiler once its project model (imports, symbol tables) lands: the functions here work
//! on one file's AST and match names by text, and are meant to move behind the compiler's API.

pub mod completion;
pub mod hover;
pub mod index;
pub mod keywords;
pub mod lexical;
pub mod navigate;
pub mod outline;
pub mod preview;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use journey_compiler::flow::SendEvidence;
use journey_compiler::model::{Def, Model};
use journey_compiler::project::{load_sources, Origin, ProjectPath, SourceLoader, Sources};
use journey_compiler::{ast, check_file, Diagnostic, FileId, LineIndex, ProjectReport, Span};

pub use index::{FileIndex, Occurrence, SymbolKind};

/// File ids from `LINKED_BASE` up name the other files of a document's project (imports, the
/// standard library), so they never collide with the ids of open documents.
pub const LINKED_BASE: u32 = 1 << 31;

/// A file of the document's project other than the document itself: where labels and
/// definitions in imported files point.
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

/// One version of one open document, checked and indexed.
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
    pub index: FileIndex,
    /// The other files of the project, when the document was checked as part of one.
    pub linked: Vec<LinkedFile>,
    /// The project's declarations (file ids already mapped to `file` and `LINKED_BASE + id`).
    pub model: Option<Model>,
    /// Whether the compliance analyses (consent, windows, frequency, ...) ran: a first, fast
    /// analysis leaves them out so diagnostics appear while typing (see [`check_without_flow`]).
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

impl Analysis {
    /// Checks and indexes a document alone (no imports). `buffer` is shared, not copied, in the
    /// usual case where the compiler analysed exactly the editor's text.
    pub fn new(file: FileId, version: i32, buffer: &Arc<str>) -> Analysis {
        let checked = check_file(file, buffer.as_bytes());
        Analysis::assemble(file, version, buffer, checked.text, checked.ast, checked.diagnostics, Vec::new(), None)
    }

    /// A document checked as the entry of a project (names, types, imports, channel content,
    /// and the compliance analyses when `report` has them): keeps the document's tree and
    /// diagnostics, the other files for navigation, and the model.
    pub fn from_project(file: FileId, version: i32, buffer: &Arc<str>, report: ProjectReport) -> Analysis {
        let entry = report.sources.files.iter().find(|f| f.is_entry).map(|f| f.id);
        let graphs = &report.flow.graphs;
        let sends = report
            .flow
            .evidence
            .iter()
            .filter_map(|evidence| {
                let graph = graphs.iter().find(|graph| graph.journey == evidence.journey)?;
                let node = graph.nodes.iter().find(|node| node.id == evidence.node)?;
                (Some(node.file) == entry).then(|| SendProof { span: node.span, evidence: evidence.clone() })
            })
            .collect();
        let mut analysis =
            Analysis::from_parts(file, version, buffer, report.sources, report.model, report.diagnostics);
        analysis.complete = true;
        analysis.sends = sends;
        analysis
    }

    fn from_parts(
        file: FileId,
        version: i32,
        buffer: &Arc<str>,
        sources: Sources,
        model: Model,
        diagnostics: Vec<Diagnostic>,
    ) -> Analysis {
        let Some(entry) = sources.files.iter().find(|f| f.is_entry).map(|f| f.id) else {
            return Analysis::new(file, version, buffer);
        };
        let remap = |id: FileId| if id == entry { file } else { FileId(LINKED_BASE.saturating_add(id.0)) };
        let mut own = None;
        let mut linked = Vec::new();
        for source in sources.files {
            if source.id == entry {
                own = Some((source.text, source.ast));
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
        let Some((text, ast)) = own else { return Analysis::new(file, version, buffer) };
        let diagnostics: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.primary.file == entry)
            .map(|mut diagnostic| {
                diagnostic.primary.file = remap(diagnostic.primary.file);
                for label in &mut diagnostic.secondary {
                    label.file = remap(label.file);
                }
                for edit in diagnostic.suggestions.iter_mut().flat_map(|s| s.edits.iter_mut()) {
                    edit.file = remap(edit.file);
                }
                diagnostic
            })
            .collect();
        let model = remap_model(model, &remap);
        Analysis::assemble(file, version, buffer, text, ast, diagnostics, linked, Some(model))
    }

    #[allow(clippy::too_many_arguments)] // the two constructors' shared tail, private
    fn assemble(
        file: FileId,
        version: i32,
        buffer: &Arc<str>,
        checked_text: String,
        ast: Option<ast::File>,
        diagnostics: Vec<Diagnostic>,
        linked: Vec<LinkedFile>,
        model: Option<Model>,
    ) -> Analysis {
        let leading_bom = buffer.starts_with('\u{feff}') && checked_text.len() + '\u{feff}'.len_utf8() == buffer.len();
        let text: Arc<str> = if *checked_text == **buffer { Arc::clone(buffer) } else { Arc::from(checked_text) };
        let line_index = LineIndex::new(&text);
        let index = ast.as_ref().map(FileIndex::build).unwrap_or_default();
        Analysis {
            file,
            version,
            text,
            leading_bom,
            line_index,
            ast,
            diagnostics,
            index,
            linked,
            model,
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
}

/// The first tier of checking a project: what `check_project` does except the flow-graph
/// compliance analyses (syntax, names, types, imports, channel content), which are fast enough to
/// run on every keystroke of a large file. The analyses follow in a second tier.
///
/// This belongs in the compiler (as an option of `check_project`), where it cannot drift from
/// `check_project`'s own steps; it is here until the compiler offers it.
pub fn check_without_flow(
    file: FileId,
    version: i32,
    buffer: &Arc<str>,
    entry: &ProjectPath,
    loader: &dyn SourceLoader,
) -> Analysis {
    let mut sources = load_sources(std::slice::from_ref(entry), loader);
    let (model, sink) = journey_compiler::check::check_sources(&sources);
    let mut diagnostics = std::mem::take(&mut sources.diagnostics);
    diagnostics.append(sink.diagnostics);
    let diagnostics = diagnostics.finish();
    Analysis::from_parts(file, version, buffer, sources, model, diagnostics)
}

fn remap_model(mut model: Model, remap: &impl Fn(FileId) -> FileId) -> Model {
    let def = |def: &mut Def| def.file = remap(def.file);
    model.profile.values_mut().for_each(|field| def(&mut field.def));
    for event in model.events.values_mut() {
        def(&mut event.def);
        event.fields.values_mut().for_each(|field| def(&mut field.def));
    }
    model.segments.values_mut().for_each(def);
    for channel in model.channels.values_mut() {
        def(&mut channel.def);
        channel.tags.values_mut().for_each(|tag| def(&mut tag.def));
        channel.limits.values_mut().for_each(|limit| def(&mut limit.def));
    }
    model.messages.values_mut().for_each(|message| def(&mut message.def));
    for journey in model.journeys.values_mut() {
        def(&mut journey.def);
        journey.stages.values_mut().for_each(def);
    }
    model
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
