//! Go to definition, find references and rename, by name.
//!
//! Messages, segments, events and channels are top-level names: they are found in the current
//! file first and then in the other open documents. Stages are local to their journey. Until the
//! compiler resolves imports, "the other open documents" stands in for "the project".

use journey_compiler::limits::MAX_IDENT_BYTES;
use journey_compiler::{FileId, Span};

use super::keywords::is_keyword;
use super::{Analysis, FileSpan, Files, Occurrence, SymbolKind};

/// The symbol under the cursor, with what identifies it across files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: SymbolKind,
    pub name: String,
    /// The occurrence under the cursor.
    pub span: Span,
    /// For stages: the file and journey they belong to.
    pub journey: Option<(FileId, usize)>,
}

impl Target {
    fn matches(&self, file: FileId, occurrence: &Occurrence) -> bool {
        if occurrence.name != self.name {
            return false;
        }
        match (self.kind, occurrence.kind) {
            (SymbolKind::Stage, SymbolKind::Stage) => self.journey == occurrence.journey.map(|journey| (file, journey)),
            // A bare name in an expression is a use of the segment with that name.
            (SymbolKind::Segment, SymbolKind::Name) => true,
            (wanted, found) => wanted == found,
        }
    }

    /// Whether the name is one namespace shared by every open file.
    fn is_global(&self) -> bool {
        self.kind != SymbolKind::Stage
    }
}

/// What the cursor is on, if it is a name the server can navigate.
pub fn target_at(files: Files<'_>, offset: usize) -> Option<Target> {
    let occurrence = files.current.index.at(offset)?;
    let kind = match occurrence.kind {
        SymbolKind::Name => {
            let is_segment =
                files.all().any(|file| {
                    file.index.definitions().any(|def| def.kind == SymbolKind::Segment && def.name == occurrence.name)
                }) || files.current.model.as_ref().is_some_and(|model| model.segments.contains_key(&occurrence.name));
            if !is_segment {
                return None;
            }
            SymbolKind::Segment
        }
        kind => kind,
    };
    Some(Target {
        kind,
        name: occurrence.name.clone(),
        span: occurrence.span,
        journey: occurrence.journey.map(|journey| (files.current.file, journey)),
    })
}

/// Where the symbol under the cursor is defined (the definitions' names): in the current file if
/// it is defined there, else in the other open documents. Several results when a name is defined
/// twice.
pub fn definition(files: Files<'_>, offset: usize) -> Vec<FileSpan> {
    let Some(target) = target_at(files, offset) else { return Vec::new() };
    let found: Vec<FileSpan> = definitions_of(files, &target)
        .into_iter()
        .map(|(file, def)| FileSpan { file: file.file, span: def.span })
        .collect();
    if found.is_empty() {
        return model_definition(files, &target).into_iter().collect();
    }
    found
}

/// Where the project model says a name is declared: in an imported file or the standard
/// library, for names no open document defines.
pub fn model_definition(files: Files<'_>, target: &Target) -> Option<FileSpan> {
    let model = files.current.model.as_ref()?;
    let def = match target.kind {
        SymbolKind::Message => model.messages.get(&target.name).map(|message| message.def),
        SymbolKind::Segment => model.segments.get(&target.name).copied(),
        SymbolKind::Event => model.events.get(&target.name).map(|event| event.def),
        SymbolKind::Channel => model.channels.get(&target.name).map(|channel| channel.def),
        SymbolKind::Journey => model.journeys.get(&target.name).map(|journey| journey.def),
        SymbolKind::Stage | SymbolKind::Name => None,
    }?;
    Some(FileSpan { file: def.file, span: def.span })
}

/// The definitions of a target, with their files (current file first; others only when the
/// current file has none).
pub fn definitions_of<'a>(files: Files<'a>, target: &Target) -> Vec<(&'a Analysis, &'a Occurrence)> {
    let in_file = |file: &'a Analysis| -> Vec<(&'a Analysis, &'a Occurrence)> {
        file.index.definitions().filter(|def| target.matches(file.file, def)).map(|def| (file, def)).collect()
    };
    let local = in_file(files.current);
    if !local.is_empty() || !target.is_global() {
        return local;
    }
    files.others.iter().flat_map(|other| in_file(other)).collect()
}

/// Every occurrence of the symbol under the cursor in the open documents, definitions included
/// when asked, in file order (current file first) and source order.
pub fn references(files: Files<'_>, offset: usize, include_definition: bool) -> Vec<FileSpan> {
    let Some(target) = target_at(files, offset) else { return Vec::new() };
    occurrences_of(files, &target)
        .filter(|(_, occurrence)| include_definition || !occurrence.is_definition())
        .map(|(file, occurrence)| FileSpan { file, span: occurrence.span })
        .collect()
}

fn occurrences_of<'a>(files: Files<'a>, target: &'a Target) -> impl Iterator<Item = (FileId, &'a Occurrence)> + 'a {
    let scope: Vec<&'a Analysis> = if target.is_global() { files.all().collect() } else { vec![files.current] };
    scope.into_iter().flat_map(move |file| {
        file.index
            .occurrences
            .iter()
            .filter(move |occurrence| target.matches(file.file, occurrence))
            .map(move |occurrence| (file.file, occurrence))
    })
}

/// Why a rename cannot happen, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// The cursor is not on a name that can be renamed.
    NothingToRename,
    /// The new name is not an identifier, or is a keyword.
    InvalidName(String),
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::NothingToRename => {
                f.write_str("only messages, stages, segments, events and channels can be renamed")
            }
            RenameError::InvalidName(why) => f.write_str(why),
        }
    }
}

/// The name under the cursor, if it can be renamed (what `prepareRename` answers).
pub fn prepare_rename(files: Files<'_>, offset: usize) -> Result<Span, RenameError> {
    match target_at(files, offset) {
        Some(target) if target.kind != SymbolKind::Journey => Ok(target.span),
        _ => Err(RenameError::NothingToRename),
    }
}

/// The edits that rename the symbol under the cursor everywhere in the open documents.
pub fn rename(files: Files<'_>, offset: usize, new_name: &str) -> Result<Vec<FileSpan>, RenameError> {
    check_name(new_name)?;
    let target = target_at(files, offset).filter(|target| target.kind != SymbolKind::Journey);
    let Some(target) = target else { return Err(RenameError::NothingToRename) };
    let mut spans: Vec<FileSpan> =
        occurrences_of(files, &target).map(|(file, occurrence)| FileSpan { file, span: occurrence.span }).collect();
    spans.sort();
    spans.dedup();
    Ok(spans)
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
