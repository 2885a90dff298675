//! The names of a document's project, read from the compiler's model: every declaration, and
//! every use the checker resolved together with the declaration it means. Go to definition,
//! references, rename, hover and workspace symbols read this table; nothing in the server
//! matches names by their text, so the editor follows the checker's rules exactly (the first of
//! two declarations wins, stages belong to their journey, imports decide what is visible), in
//! every file of the project, open or not.

use journey_compiler::model::{Def, Model, SymbolKind};
use journey_compiler::FileId;

use super::FileSpan;

/// One name as written: a declaration, or a use of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    /// The name as written here.
    pub at: FileSpan,
    /// The declaration's name (`at` itself for a declaration).
    pub target: FileSpan,
    /// What the name is local to: the journey of a stage, the event of an event field.
    pub scope: Option<FileSpan>,
}

impl Symbol {
    pub fn is_declaration(&self) -> bool {
        self.at == self.target
    }
}

/// The names of a project, sorted by where they are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Symbols {
    symbols: Vec<Symbol>,
}

fn span_of(def: Def) -> FileSpan {
    FileSpan { file: def.file, span: def.span }
}

impl Symbols {
    /// The table of a model whose file ids are already the server's.
    pub fn of(model: &Model) -> Symbols {
        let declarations = model.declarations();
        let mut symbols: Vec<Symbol> = declarations
            .iter()
            .map(|declaration| Symbol {
                kind: declaration.kind,
                name: declaration.name.to_owned(),
                at: span_of(declaration.def),
                target: span_of(declaration.def),
                scope: declaration.scope.map(span_of),
            })
            .collect();
        // Declarations by where they are, to give each use its declaration's name and scope.
        let mut by_def: Vec<(Def, usize)> =
            declarations.iter().enumerate().map(|(index, declaration)| (declaration.def, index)).collect();
        by_def.sort_unstable();
        for reference in &model.references {
            let Ok(found) = by_def.binary_search_by(|(def, _)| def.cmp(&reference.target)) else { continue };
            let Some(declaration) = by_def.get(found).and_then(|(_, index)| declarations.get(*index)) else { continue };
            symbols.push(Symbol {
                kind: reference.kind,
                name: declaration.name.to_owned(),
                at: span_of(reference.at),
                target: span_of(declaration.def),
                scope: declaration.scope.map(span_of),
            });
        }
        symbols.sort_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)));
        symbols.dedup_by(|later, kept| later.at == kept.at && later.kind == kept.kind);
        Symbols { symbols }
    }

    /// The names written in `file`, in source order (a slice of the sorted table: two binary
    /// searches, whatever the project's size).
    pub fn in_file(&self, file: FileId) -> &[Symbol] {
        let start = self.symbols.partition_point(|symbol| symbol.at.file < file);
        let end = self.symbols.partition_point(|symbol| symbol.at.file <= file);
        self.symbols.get(start..end).unwrap_or(&[])
    }

    /// The name at `offset` in `file`: the one whose span holds the offset, or ends right at it
    /// (a cursor just after a name still means that name).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Symbol> {
        let in_file = self.in_file(file);
        // Names never overlap: the candidates are the last name starting at or before `offset`.
        let after = in_file.partition_point(|symbol| symbol.at.span.start() <= offset);
        let candidate = in_file.get(after.checked_sub(1)?)?;
        let span = candidate.at.span;
        (span.start() <= offset && offset <= span.end()).then_some(candidate)
    }

    /// The declaration and every use of the declaration at `target`, in file and source order.
    pub fn of_target(&self, target: FileSpan) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |symbol| symbol.target == target)
    }

    /// Every declaration, in file and source order.
    pub fn declarations(&self) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(|symbol| symbol.is_declaration())
    }

    /// The declaration at `target`.
    pub fn declaration(&self, target: FileSpan) -> Option<&Symbol> {
        self.declarations().find(|symbol| symbol.at == target)
    }
}
