//! Go to definition, find references and rename, over the project's symbol table
//! ([`super::symbols`]): every file of the document's project, open in the editor or not.

use std::collections::BTreeMap;

use journey_compiler::limits::MAX_IDENT_BYTES;
use journey_compiler::model::SymbolKind;
use journey_compiler::project::{MemoryLoader, Origin};
use journey_compiler::{check_project_to, Code, Severity, Span, Tier};

use super::keywords::is_keyword;
use super::{Analysis, FileSpan, Files, Symbol};

/// The name under the cursor, if the checker resolved it.
pub fn target_at(files: Files<'_>, offset: usize) -> Option<&Symbol> {
    files.current.symbols.at(files.current.file, offset)
}

/// Where the name under the cursor is declared.
pub fn definition(files: Files<'_>, offset: usize) -> Vec<FileSpan> {
    target_at(files, offset).map(|symbol| vec![symbol.target]).unwrap_or_default()
}

/// Every occurrence of the name under the cursor in the project, the declaration included when
/// asked, in file order (the document first) and source order.
pub fn references(files: Files<'_>, offset: usize, include_definition: bool) -> Vec<FileSpan> {
    let Some(target) = target_at(files, offset) else { return Vec::new() };
    files
        .current
        .symbols
        .of_target(target.target)
        .filter(|symbol| include_definition || !symbol.is_declaration())
        .map(|symbol| symbol.at)
        .collect()
}

/// Why a rename cannot happen, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// The cursor is not on a name that can be renamed.
    NothingToRename,
    /// The new name is not an identifier, or is a keyword.
    InvalidName(String),
    /// The name is declared where it cannot be edited (the standard library).
    NotEditable(String),
    /// The new name is taken, or the renamed project would not check as it did.
    Clash(String),
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::NothingToRename => {
                f.write_str("only messages, stages, segments, events and channels can be renamed")
            }
            RenameError::InvalidName(why) | RenameError::NotEditable(why) | RenameError::Clash(why) => f.write_str(why),
        }
    }
}

/// The kinds of names a rename may change: those whose every use the checker records.
fn renamable(kind: SymbolKind) -> bool {
    matches!(
        kind,
        SymbolKind::Message | SymbolKind::Stage | SymbolKind::Segment | SymbolKind::Event | SymbolKind::Channel
    )
}

/// The name under the cursor, if it can be renamed (what `prepareRename` answers).
pub fn prepare_rename(files: Files<'_>, offset: usize) -> Result<Span, RenameError> {
    let target = renamable_at(files, offset)?;
    Ok(target.at.span)
}

fn renamable_at(files: Files<'_>, offset: usize) -> Result<&Symbol, RenameError> {
    let target = target_at(files, offset).filter(|symbol| renamable(symbol.kind));
    let Some(target) = target else { return Err(RenameError::NothingToRename) };
    if files.current.is_std(target.target.file) {
        return Err(RenameError::NotEditable(format!(
            "{} `{}` is declared in the standard library, which cannot be renamed",
            target.kind.describe(),
            target.name
        )));
    }
    Ok(target)
}

/// The edits that rename the name under the cursor in every file of the project. Refused when
/// the new name is taken in the same namespace, or when the project, renamed, would have an
/// error it does not have now (it is checked again in memory before the edits are offered).
pub fn rename(files: Files<'_>, offset: usize, new_name: &str) -> Result<Vec<FileSpan>, RenameError> {
    check_name(new_name)?;
    let target = renamable_at(files, offset)?;
    if target.name == new_name {
        return Ok(Vec::new());
    }
    let analysis = files.current;
    // Segments and profile fields are both bare names in expressions: one namespace.
    let same_namespace = |kind: SymbolKind| match target.kind {
        SymbolKind::Segment | SymbolKind::ProfileField => {
            matches!(kind, SymbolKind::Segment | SymbolKind::ProfileField)
        }
        wanted => kind == wanted,
    };
    if let Some(taken) = analysis
        .symbols
        .declarations()
        .find(|symbol| symbol.name == new_name && same_namespace(symbol.kind) && symbol.scope == target.scope)
    {
        return Err(RenameError::Clash(format!(
            "a {} named `{new_name}` already exists{}",
            taken.kind.describe(),
            where_is(analysis, taken.at)
        )));
    }
    let mut spans: Vec<FileSpan> = analysis.symbols.of_target(target.target).map(|symbol| symbol.at).collect();
    spans.sort();
    spans.dedup();
    if let Some(broken) = breaks_project(analysis, &spans, new_name) {
        return Err(RenameError::Clash(broken));
    }
    Ok(spans)
}

/// ` (file:line)` for a place in the project.
fn where_is(analysis: &Analysis, at: FileSpan) -> String {
    let name = if at.file == analysis.file {
        analysis.path.as_str().to_owned()
    } else {
        analysis.linked(at.file).map_or_else(String::new, |linked| linked.name.clone())
    };
    match analysis.line_index_of(at.file) {
        Some(index) => format!(" ({name}:{})", index.line_of(at.span.start()) + 1),
        None => String::new(),
    }
}

/// Checks the project again in memory with the edits applied; says what the rename would break,
/// if it adds an error of some code.
pub(super) fn breaks_project(analysis: &Analysis, spans: &[FileSpan], new_name: &str) -> Option<String> {
    let mut edits: BTreeMap<_, Vec<Span>> = BTreeMap::new();
    for at in spans {
        edits.entry(at.file).or_default().push(at.span);
    }
    let mut before = MemoryLoader::default();
    let mut after = MemoryLoader::default();
    let project_files = std::iter::once((analysis.file, analysis.path.clone(), &*analysis.text)).chain(
        analysis.linked.iter().filter_map(|linked| match &linked.origin {
            Origin::Project(path) => Some((linked.id, path.clone(), &*linked.text)),
            Origin::Std(_) => None,
        }),
    );
    for (id, path, text) in project_files {
        let mut edited = text.to_owned();
        let mut file_spans = edits.get(&id).cloned().unwrap_or_default();
        // From the end, so earlier spans keep their offsets.
        file_spans.sort_by_key(|span| std::cmp::Reverse(span.start()));
        for span in file_spans {
            if edited.get(span.range()).is_some() {
                edited.replace_range(span.range(), new_name);
            }
        }
        before.insert(path.clone(), text.as_bytes());
        after.insert(path, edited.into_bytes());
    }
    let errors = |loader: &MemoryLoader| {
        let report = check_project_to(&analysis.entries, loader, Tier::Names);
        let mut counts: BTreeMap<Code, usize> = BTreeMap::new();
        for diagnostic in report.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            *counts.entry(diagnostic.code).or_default() += 1;
        }
        (counts, report)
    };
    let (was, _) = errors(&before);
    let (now, report) = errors(&after);
    let added = now.iter().find(|(code, count)| was.get(code).is_none_or(|before| before < count))?;
    let first = report.diagnostics.iter().find(|d| d.code == *added.0)?;
    let file = report.sources.file(first.primary.file).map_or("", |f| f.name.as_str());
    Some(format!("renaming to `{new_name}` would break the project: {file}: {} ({})", first.message, first.code))
}

/// A new name must be an identifier of the grammar (`[A-Za-z_][A-Za-z0-9_]*`), within the length
/// limit, and not a keyword.
pub fn check_name(name: &str) -> Result<(), RenameError> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(RenameError::InvalidName(format!(
            "`{name}` is not a name: names start with a letter or `_` and contain only ASCII letters, digits and `_`"
        )));
    }
    if name.len() > MAX_IDENT_BYTES {
        return Err(RenameError::InvalidName(format!("names are at most {MAX_IDENT_BYTES} bytes long")));
    }
    if is_keyword(name) {
        return Err(RenameError::InvalidName(format!("`{name}` is a keyword")));
    }
    Ok(())
}
