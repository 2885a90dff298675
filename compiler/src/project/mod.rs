//! A project: the files being checked, everything they import, and the standard-library modules
//! they use. All declarations of a project share one namespace (like a Go package); imports say
//! which files belong to the project and in which order they depend on each other.
//!
//! The compiler never opens a file. The caller hands it a [`SourceLoader`] that reads project
//! files by their [`ProjectPath`]; the CLI implements it over the disk (refusing anything that
//! resolves outside the project root, symbolic links included), tests and the language server
//! implement it in memory. Paths are checked here first ([`paths::resolve_import`]), so a loader
//! is only ever asked for a normalized path inside the root.

pub mod paths;
pub mod stdlib;

use std::collections::BTreeMap;

use crate::ast::{self, Item};
use crate::codes::Code;
use crate::diagnostic::{Collector, Diagnostic};
use crate::span::{FileId, Span};
pub use paths::{resolve_import, ImportPathError, ImportTarget, ProjectPath};

/// Why a loader could not provide a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    NotFound,
    /// The path resolves (through a symbolic link, say) to somewhere outside the project root.
    /// The loader did not open it.
    OutsideRoot,
    /// Over the size limit; the size in bytes. The loader did not read it.
    TooLarge(u64),
    /// Any other I/O problem, described for a person.
    Io(String),
}

/// Reads project files. Implemented by the CLI over the disk and by tests in memory.
pub trait SourceLoader {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError>;
}

/// A project held in memory, project paths to file bytes: for tests, benchmarks and tools (the
/// CLI and the language server read the disk through `journey-host`).
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    files: BTreeMap<ProjectPath, Vec<u8>>,
}

impl MemoryLoader {
    /// Adds or replaces a file.
    pub fn insert(&mut self, path: ProjectPath, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path, bytes.into());
    }
}

impl SourceLoader for MemoryLoader {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        self.files.get(path).cloned().ok_or(LoadError::NotFound)
    }
}

/// Where a file of the project comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Project(ProjectPath),
    /// A standard-library module, `std/NAME`.
    Std(String),
}

/// One file of a project, decoded and parsed.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub id: FileId,
    pub origin: Origin,
    /// `flows/a.journey` for project files, `std/channels.journey` for the standard library.
    pub name: String,
    pub text: String,
    /// `None` when the bytes could not be decoded (the diagnostics say why).
    pub ast: Option<ast::File>,
    /// Whether the file was named by the caller (rather than only imported).
    pub is_entry: bool,
}

/// An `import` that resolved to a file of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportEdge {
    pub from: FileId,
    pub to: FileId,
    /// The import's path string in `from`.
    pub span: Span,
}

/// The loaded files of a project and the import graph between them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<ProjectFile>,
    pub imports: Vec<ImportEdge>,
    /// Loading, syntax and import diagnostics, bounded per file.
    pub diagnostics: Collector,
}

impl Sources {
    pub fn file(&self, id: FileId) -> Option<&ProjectFile> {
        self.files.get(id.0 as usize)
    }
}

/// Loads the entry files and, transitively, everything they import. File ids are assigned in
/// a deterministic order: entries in the order given, then imports breadth-first in source order.
pub fn load_sources(entries: &[ProjectPath], loader: &dyn SourceLoader) -> Sources {
    let mut sources = Sources::default();
    let mut by_origin: BTreeMap<OriginKey, FileId> = BTreeMap::new();
    let mut queue: Vec<FileId> = Vec::new();

    for entry in entries {
        let key = OriginKey::Project(entry.clone());
        if by_origin.contains_key(&key) {
            continue;
        }
        match loader.load(entry) {
            Ok(bytes) => {
                let id = sources.push(Origin::Project(entry.clone()), &bytes, true);
                by_origin.insert(key, id);
                queue.push(id);
            }
            // An entry the caller named but could not read is the caller's I/O problem; it has
            // no span in any file, so it is reported against an empty file of that name.
            Err(error) => {
                let id = sources.push(Origin::Project(entry.clone()), b"", true);
                by_origin.insert(key, id);
                sources.diagnostics.push(load_error_diagnostic(id, Span::empty(0), entry.as_str(), &error));
            }
        }
    }

    let mut next = 0;
    while let Some(&file_id) = queue.get(next) {
        next += 1;
        let imports = sources.file(file_id).map(imports_of).unwrap_or_default();
        let importer = sources.file(file_id).and_then(|f| match &f.origin {
            Origin::Project(path) => Some(path.clone()),
            Origin::Std(_) => None,
        });
        for (spec, span) in imports {
            let target = match resolve_import(importer.as_ref(), &spec) {
                Ok(target) => target,
                Err(error) => {
                    sources.diagnostics.push(import_path_diagnostic(file_id, span, &spec, &error));
                    continue;
                }
            };
            let key = match &target {
                ImportTarget::Std(module) => OriginKey::Std(module.clone()),
                ImportTarget::File(path) => OriginKey::Project(path.clone()),
            };
            if let Some(&existing) = by_origin.get(&key) {
                sources.imports.push(ImportEdge { from: file_id, to: existing, span });
                continue;
            }
            let loaded = match &target {
                ImportTarget::Std(module) => match stdlib::module(module) {
                    Some(text) => Ok((Origin::Std(module.clone()), text.as_bytes().to_vec())),
                    None => Err(unknown_std_module(file_id, span, module)),
                },
                ImportTarget::File(path) => match loader.load(path) {
                    Ok(bytes) => Ok((Origin::Project(path.clone()), bytes)),
                    Err(error) => Err(load_error_diagnostic(file_id, span, path.as_str(), &error)),
                },
            };
            match loaded {
                Ok((origin, bytes)) => {
                    let id = sources.push(origin, &bytes, false);
                    by_origin.insert(key, id);
                    sources.imports.push(ImportEdge { from: file_id, to: id, span });
                    queue.push(id);
                }
                Err(diagnostic) => sources.diagnostics.push(diagnostic),
            }
        }
    }
    report_cycles(&mut sources);
    sources
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum OriginKey {
    Project(ProjectPath),
    Std(String),
}

impl Sources {
    fn push(&mut self, origin: Origin, bytes: &[u8], is_entry: bool) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        let checked = crate::check_file_collected(id, bytes);
        let name = match &origin {
            Origin::Project(path) => path.as_str().to_owned(),
            Origin::Std(module) => format!("std/{module}.journey"),
        };
        self.diagnostics.append(checked.diagnostics);
        self.files.push(ProjectFile { id, origin, name, text: checked.text, ast: checked.ast, is_entry });
        id
    }
}

fn imports_of(file: &ProjectFile) -> Vec<(String, Span)> {
    let Some(ast) = &file.ast else {
        return Vec::new();
    };
    ast.items
        .iter()
        .filter_map(|item| match item {
            Item::Import(import) => Some((import.path.value.clone(), import.path.span)),
            _ => None,
        })
        .collect()
}

fn import_path_diagnostic(file: FileId, span: Span, spec: &str, error: &ImportPathError) -> Diagnostic {
    Diagnostic::new(Code::J0214, format!("cannot import `{spec}`: {}", error.describe()), file, span)
        .with_label("refused")
        .with_note("imports name `std/...` modules or `.journey` files inside the project root, relative to the importing file")
}

fn load_error_diagnostic(file: FileId, span: Span, path: &str, error: &LoadError) -> Diagnostic {
    match error {
        LoadError::NotFound => Diagnostic::new(Code::J0215, format!("cannot find `{path}`"), file, span)
            .with_label("no such file in the project")
            .with_help("check the path; it is relative to the importing file"),
        LoadError::OutsideRoot => Diagnostic::new(
            Code::J0214,
            format!("cannot import `{path}`: it resolves to a file outside the project root"),
            file,
            span,
        )
        .with_label("refused")
        .with_note("a symbolic link may point outside the project; such files are never opened"),
        LoadError::TooLarge(len) => crate::source::too_large(file, *len),
        LoadError::Io(message) => Diagnostic::new(Code::J0215, format!("cannot read `{path}`: {message}"), file, span)
            .with_label("unreadable"),
    }
}

fn unknown_std_module(file: FileId, span: Span, module: &str) -> Diagnostic {
    let known: Vec<&str> = stdlib::module_names().collect();
    let mut diagnostic =
        Diagnostic::new(Code::J0215, format!("the standard library has no module `std/{module}`"), file, span)
            .with_label("unknown module")
            .with_note(format!(
                "modules: {}",
                known.iter().map(|m| format!("`std/{m}`")).collect::<Vec<_>>().join(", ")
            ));
    if let Some(best) = crate::names::closest(module, known.iter().copied()) {
        diagnostic = diagnostic.with_suggestion(
            format!("import `std/{best}`"),
            Span::new(span.start() + 1, span.end().saturating_sub(1)),
            format!("std/{best}"),
        );
    }
    diagnostic
}

/// Reports every import cycle once, at the import that closes it, with the whole chain.
fn report_cycles(sources: &mut Sources) {
    let count = sources.files.len();
    let mut edges: Vec<Vec<ImportEdge>> = vec![Vec::new(); count];
    for edge in &sources.imports {
        if let Some(list) = edges.get_mut(edge.from.0 as usize) {
            list.push(*edge);
        }
    }
    // Iterative depth-first search (no recursion: import graphs can be long chains).
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; count];
    let mut found = Vec::new();
    for start in 0..count {
        if marks.get(start) != Some(&Mark::New) {
            continue;
        }
        // (file, next edge index); the stack is also the current path.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(mark) = marks.get_mut(start) {
            *mark = Mark::Active;
        }
        while let Some(&mut (file, ref mut next)) = stack.last_mut() {
            let edge = edges.get(file).and_then(|list| list.get(*next)).copied();
            *next += 1;
            match edge {
                None => {
                    if let Some(mark) = marks.get_mut(file) {
                        *mark = Mark::Done;
                    }
                    stack.pop();
                }
                Some(edge) => {
                    let to = edge.to.0 as usize;
                    match marks.get(to) {
                        Some(Mark::New) => {
                            if let Some(mark) = marks.get_mut(to) {
                                *mark = Mark::Active;
                            }
                            stack.push((to, 0));
                        }
                        Some(Mark::Active) => {
                            let from = stack.iter().position(|(f, _)| *f == to).unwrap_or(0);
                            let chain: Vec<usize> = stack.iter().skip(from).map(|(f, _)| *f).chain([to]).collect();
                            found.push((edge, chain));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for (edge, chain) in found {
        let names: Vec<String> =
            chain.iter().filter_map(|id| sources.files.get(*id)).map(|f| format!("`{}`", f.name)).collect();
        sources.diagnostics.push(
            Diagnostic::new(Code::J0216, format!("import cycle: {}", names.join(" imports ")), edge.from, edge.span)
                .with_label("this import closes the cycle")
                .with_help("move what both files need into a third file that both import"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)], entries: &[&str]) -> Sources {
        let mut memory = MemoryLoader::default();
        for (path, text) in files {
            memory.insert(ProjectPath::new(path).unwrap(), *text);
        }
        let entries: Vec<ProjectPath> = entries.iter().map(|e| ProjectPath::new(e).unwrap()).collect();
        load_sources(&entries, &memory)
    }

    fn messages(sources: &Sources) -> Vec<String> {
        sources.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect()
    }

    #[test]
    fn imports_are_loaded_once_in_a_deterministic_order() {
        let sources = load(
            &[
                ("a.journey", "import \"./b.journey\"\nimport \"./lib/c.journey\"\n"),
                ("b.journey", "import \"./lib/c.journey\"\n"),
                ("lib/c.journey", "segment s = x\n"),
            ],
            &["a.journey"],
        );
        let names: Vec<&str> = sources.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["a.journey", "b.journey", "lib/c.journey"]);
        assert_eq!(sources.imports.len(), 3);
        assert!(sources.diagnostics.is_empty(), "{:?}", messages(&sources));
    }

    #[test]
    fn a_cycle_is_reported_once_with_its_chain() {
        let sources = load(
            &[
                ("a.journey", "import \"./b.journey\"\n"),
                ("b.journey", "import \"./c.journey\"\n"),
                ("c.journey", "import \"./a.journey\"\n"),
            ],
            &["a.journey"],
        );
        assert_eq!(
            messages(&sources),
            vec!["J0216 import cycle: `a.journey` imports `b.journey` imports `c.journey` imports `a.journey`"]
        );
    }

    #[test]
    fn a_file_importing_itself_is_a_cycle() {
        let sources = load(&[("a.journey", "import \"./a.journey\"\n")], &["a.journey"]);
        assert_eq!(messages(&sources), vec!["J0216 import cycle: `a.journey` imports `a.journey`"]);
    }

    #[test]
    fn missing_and_escaping_imports_are_reported_at_the_import() {
        let sources = load(
            &[("a.journey", "import \"./nope.journey\"\nimport \"../up.journey\"\nimport \"std/channelz\"\n")],
            &["a.journey"],
        );
        let found = messages(&sources);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], "J0215 cannot find `nope.journey`");
        assert_eq!(found[1], "J0214 cannot import `../up.journey`: the path leaves the project root");
        assert!(found[2].starts_with("J0215 the standard library has no module `std/channelz`"), "{found:?}");
    }
}
