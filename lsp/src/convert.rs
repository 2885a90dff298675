//! Engine results to protocol types. Positions go through [`crate::position`] only.

use std::collections::HashMap;

use journey_compiler::model::SymbolKind;
use journey_compiler::project::Origin;
use journey_compiler::{FileId, Severity, Span};
use tower_lsp_server::ls_types::{
    self as lsp, CodeAction, CodeActionKind, CodeActionOrCommand, CompletionItem, CompletionItemKind,
    CompletionTextEdit, DiagnosticRelatedInformation, DiagnosticSeverity, DocumentSymbol, Hover, HoverContents,
    InlayHintLabel, InlayHintTooltip, Location, MarkupContent, MarkupKind, NumberOrString, OneOf, SemanticToken,
    SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend, TextEdit, Uri, WorkspaceEdit,
};

use crate::engine::completion::{CandidateKind, Completions};
use crate::engine::hover::HoverInfo;
use crate::engine::outline::{OutlineItem, OutlineKind, WorkspaceSymbol};

use crate::engine::annotations::{Token, TokenKind};
use crate::engine::{self, Analysis, FileSpan, LinkedFile};
use crate::position::{Encoding, PositionMap};
use crate::project::Place;

/// The analysed files of a request with their URIs (the current document first), the current
/// document's project, and the client's position encoding.
pub struct View<'a> {
    pub encoding: Encoding,
    pub files: Vec<(&'a Uri, &'a Analysis, &'a Place)>,
    pub place: &'a Place,
}

impl<'a> View<'a> {
    pub fn positions(&self, analysis: &'a Analysis) -> PositionMap<'a> {
        PositionMap::new(&analysis.text, &analysis.line_index, self.encoding, analysis.leading_bom)
    }

    fn file(&self, file: FileId) -> Option<(&'a Uri, &'a Analysis)> {
        self.files.iter().find(|(_, analysis, _)| analysis.file == file).map(|(uri, analysis, _)| (*uri, *analysis))
    }

    pub fn location(&self, at: FileSpan) -> Option<Location> {
        if let Some((uri, analysis)) = self.file(at.file) {
            return Some(Location::new(uri.clone(), self.positions(analysis).range(at.span)));
        }
        // A file of the current document's project that is not open.
        let (_, current, _) = self.files.first()?;
        linked_location(current.linked(at.file)?, at.span, self.place, self.encoding)
    }

    /// A location in the ids of the request's `index`th analysis (0: the current document's).
    pub fn location_in(&self, index: usize, at: FileSpan) -> Option<Location> {
        let (uri, analysis, place) = self.files.get(index)?;
        if at.file == analysis.file {
            return Some(Location::new((*uri).clone(), self.positions(analysis).range(at.span)));
        }
        linked_location(analysis.linked(at.file)?, at.span, place, self.encoding)
    }

    pub fn locations(&self, spans: &[FileSpan]) -> Vec<Location> {
        spans.iter().filter_map(|at| self.location(*at)).collect()
    }

    /// Edits that replace every span with `new_text`, grouped by document.
    pub fn edit(&self, spans: &[FileSpan], new_text: &str) -> WorkspaceEdit {
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for at in spans {
            if let Some(location) = self.location(*at) {
                changes.entry(location.uri).or_default().push(TextEdit::new(location.range, new_text.to_owned()));
            }
        }
        WorkspaceEdit::new(changes)
    }
}

/// A location in a linked file of a project. Files of the standard library have no URI yet.
fn linked_location(file: &LinkedFile, span: Span, place: &Place, encoding: Encoding) -> Option<Location> {
    let uri = match &file.origin {
        Origin::Project(path) => place.uri_of(path)?,
        Origin::Std(_) => return None,
    };
    let positions = PositionMap::new(&file.text, &file.line_index, encoding, false);
    Some(Location::new(uri, positions.range(span)))
}

/// A compiler diagnostic as the client shows it: code, severity and the diagnostic's full text
/// (`Diagnostic::full_text`); secondary labels as related information.
pub fn diagnostic(
    uri: &Uri,
    analysis: &Analysis,
    place: &Place,
    positions: &PositionMap<'_>,
    from: &journey_compiler::Diagnostic,
) -> lsp::Diagnostic {
    let message = from.full_text();
    // Labels in this file or in other files of the project (standard-library files have no URI
    // to point at yet, so their labels are left out).
    let related: Vec<DiagnosticRelatedInformation> = from
        .secondary
        .iter()
        .filter_map(|label| {
            let location = if label.file == analysis.file {
                Location::new(uri.clone(), positions.range(label.span))
            } else {
                linked_location(analysis.linked(label.file)?, label.span, place, positions.encoding())?
            };
            Some(DiagnosticRelatedInformation { location, message: label.message.clone() })
        })
        .collect();
    lsp::Diagnostic {
        range: positions.range(from.primary.span),
        severity: Some(match from.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(from.code.as_str().to_owned())),
        code_description: None,
        source: Some("journey".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

pub fn diagnostics(uri: &Uri, analysis: &Analysis, place: &Place, encoding: Encoding) -> Vec<lsp::Diagnostic> {
    let positions = PositionMap::new(&analysis.text, &analysis.line_index, encoding, analysis.leading_bom);
    analysis
        .diagnostics
        .iter()
        .filter(|from| from.primary.file == analysis.file)
        .map(|from| diagnostic(uri, analysis, place, &positions, from))
        .collect()
}

pub fn hover(info: HoverInfo, positions: &PositionMap<'_>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: info.markdown }),
        range: Some(positions.range(info.span)),
    }
}

pub fn completion(completions: Completions, positions: &PositionMap<'_>) -> Vec<CompletionItem> {
    let range = positions.range(completions.replace);
    completions
        .candidates
        .into_iter()
        .map(|candidate| CompletionItem {
            kind: Some(match candidate.kind {
                CandidateKind::Keyword => CompletionItemKind::KEYWORD,
                CandidateKind::Message => CompletionItemKind::CONSTANT,
                CandidateKind::Stage => CompletionItemKind::MODULE,
                CandidateKind::Event => CompletionItemKind::EVENT,
                CandidateKind::Channel => CompletionItemKind::INTERFACE,
                CandidateKind::Category => CompletionItemKind::ENUM_MEMBER,
                CandidateKind::Segment => CompletionItemKind::VARIABLE,
                CandidateKind::Field => CompletionItemKind::FIELD,
            }),
            detail: candidate.detail,
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, candidate.label.clone()))),
            label: candidate.label,
            ..CompletionItem::default()
        })
        .collect()
}

fn outline_kind(kind: OutlineKind) -> lsp::SymbolKind {
    match kind {
        OutlineKind::Import => lsp::SymbolKind::PACKAGE,
        OutlineKind::Profile => lsp::SymbolKind::STRUCT,
        OutlineKind::Field => lsp::SymbolKind::FIELD,
        OutlineKind::Event => lsp::SymbolKind::EVENT,
        OutlineKind::Segment => lsp::SymbolKind::VARIABLE,
        OutlineKind::Policy => lsp::SymbolKind::NAMESPACE,
        OutlineKind::Rule => lsp::SymbolKind::PROPERTY,
        OutlineKind::Channel => lsp::SymbolKind::INTERFACE,
        OutlineKind::Message => lsp::SymbolKind::CONSTANT,
        OutlineKind::Journey => lsp::SymbolKind::CLASS,
        OutlineKind::Setting => lsp::SymbolKind::PROPERTY,
        OutlineKind::Stage => lsp::SymbolKind::METHOD,
        OutlineKind::Step => lsp::SymbolKind::FUNCTION,
        OutlineKind::Branch => lsp::SymbolKind::ENUM_MEMBER,
    }
}

pub fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Message => lsp::SymbolKind::CONSTANT,
        SymbolKind::Stage => lsp::SymbolKind::METHOD,
        SymbolKind::Segment => lsp::SymbolKind::VARIABLE,
        SymbolKind::Event => lsp::SymbolKind::EVENT,
        SymbolKind::EventField | SymbolKind::ProfileField => lsp::SymbolKind::FIELD,
        SymbolKind::Channel => lsp::SymbolKind::INTERFACE,
        SymbolKind::Journey => lsp::SymbolKind::CLASS,
        SymbolKind::Template => lsp::SymbolKind::STRUCT,
    }
}

pub fn document_symbols(items: Vec<OutlineItem>, positions: &PositionMap<'_>) -> Vec<DocumentSymbol> {
    items
        .into_iter()
        .map(|item| {
            let range = positions.range(item.span);
            // The selection must lie inside the range (clients reject the outline otherwise).
            let selection = if item.span.start() <= item.selection.start() && item.selection.end() <= item.span.end() {
                positions.range(item.selection)
            } else {
                positions.range(Span::empty(item.span.start()))
            };
            #[allow(deprecated)] // `deprecated` is a required field of the struct, superseded by `tags`
            DocumentSymbol {
                name: if item.name.is_empty() { "?".to_owned() } else { item.name },
                detail: item.detail,
                kind: outline_kind(item.kind),
                tags: None,
                deprecated: None,
                range,
                selection_range: selection,
                children: (!item.children.is_empty()).then(|| document_symbols(item.children, positions)),
            }
        })
        .collect()
}

pub fn workspace_symbols(symbols: Vec<WorkspaceSymbol>, view: &View<'_>) -> Vec<lsp::WorkspaceSymbol> {
    let mut seen: std::collections::BTreeSet<(String, u32, u32)> = std::collections::BTreeSet::new();
    symbols
        .into_iter()
        .filter_map(|symbol| {
            let location = view.location_in(symbol.analysis, symbol.location)?;
            let key = (location.uri.as_str().to_owned(), location.range.start.line, location.range.start.character);
            if !seen.insert(key) {
                return None;
            }
            Some(lsp::WorkspaceSymbol {
                name: symbol.name,
                kind: symbol_kind(symbol.kind),
                tags: None,
                container_name: symbol.container,
                location: OneOf::Left(location),
                data: None,
            })
        })
        .collect()
}

/// The kind of "fix all": every safe fix of the document at once (`source.fixAll.journey`, which
/// a client asking for `source.fixAll`, as VS Code's `editor.codeActionsOnSave` does, receives).
pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.journey")
}

/// Code actions: one quick fix per suggested fix of each diagnostic that touches `range`, with
/// exactly the suggestion's edits (preferred when it is the diagnostic's only one and safe), and
/// "fix all" with the document's safe fixes that apply together (`journey_compiler::fix`, the
/// rule of `journey check --fix`). `only` is the client's filter of kinds, by prefix.
pub fn code_actions(
    uri: &Uri,
    analysis: &Analysis,
    place: &Place,
    range: Span,
    encoding: Encoding,
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeActionOrCommand> {
    let positions = PositionMap::new(&analysis.text, &analysis.line_index, encoding, analysis.leading_bom);
    let wanted =
        |kind: &CodeActionKind| only.is_none_or(|only| only.iter().any(|o| kind.as_str().starts_with(o.as_str())));
    let mut actions = Vec::new();
    if wanted(&fix_all_kind()) {
        let (count, edits) = journey_compiler::fix::safe_fixes(&analysis.diagnostics, analysis.file);
        if count > 0 {
            let edits: Vec<TextEdit> =
                edits.iter().map(|edit| TextEdit::new(positions.range(edit.span), edit.replacement.clone())).collect();
            let fixes = if count == 1 { "fix" } else { "fixes" };
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Apply {count} safe {fixes} (journey check --fix)"),
                kind: Some(fix_all_kind()),
                diagnostics: None,
                edit: Some(WorkspaceEdit::new(HashMap::from([(uri.clone(), edits)]))),
                command: None,
                is_preferred: None,
                disabled: None,
                data: None,
            }));
        }
    }
    if !wanted(&CodeActionKind::QUICKFIX) {
        return actions;
    }
    for from in &analysis.diagnostics {
        let at = from.primary.span;
        let touches = at.start() <= range.end() && range.start() <= at.end();
        if !touches || from.primary.file != analysis.file {
            continue;
        }
        for suggestion in &from.suggestions {
            // Edits in other files wait for the project model to name their documents.
            if suggestion.edits.iter().any(|edit| edit.file != analysis.file) {
                continue;
            }
            let edits: Vec<TextEdit> = suggestion
                .edits
                .iter()
                .map(|edit| TextEdit::new(positions.range(edit.span), edit.replacement.clone()))
                .collect();
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: suggestion.message.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic(uri, analysis, place, &positions, from)]),
                edit: Some(WorkspaceEdit::new(HashMap::from([(uri.clone(), edits)]))),
                command: None,
                is_preferred: Some(
                    from.suggestions.len() == 1 && suggestion.applicability == journey_compiler::Applicability::Safe,
                ),
                disabled: None,
                data: None,
            }));
        }
    }
    actions
}

/// The semantic token types, in the order of [`TokenKind::ALL`] (the legend's indices).
pub fn token_legend() -> SemanticTokensLegend {
    let token_types = TokenKind::ALL
        .iter()
        .map(|kind| match kind {
            TokenKind::Keyword => SemanticTokenType::KEYWORD,
            TokenKind::Comment => SemanticTokenType::COMMENT,
            TokenKind::String => SemanticTokenType::STRING,
            TokenKind::Number => SemanticTokenType::NUMBER,
            TokenKind::Message => SemanticTokenType::FUNCTION,
            TokenKind::Stage => SemanticTokenType::METHOD,
            TokenKind::Journey => SemanticTokenType::CLASS,
            TokenKind::Event => SemanticTokenType::EVENT,
            TokenKind::Variable => SemanticTokenType::VARIABLE,
            TokenKind::Property => SemanticTokenType::PROPERTY,
            TokenKind::Channel => SemanticTokenType::INTERFACE,
        })
        .collect();
    SemanticTokensLegend { token_types, token_modifiers: vec![SemanticTokenModifier::DECLARATION] }
}

/// Tokens in the protocol's relative encoding (each token's line and start relative to the
/// previous one), in the negotiated position encoding. A token never spans lines.
pub fn semantic_tokens(tokens: &[Token], positions: &PositionMap<'_>) -> SemanticTokens {
    let mut data = Vec::with_capacity(tokens.len());
    let (mut line, mut character) = (0u32, 0u32);
    for token in tokens {
        let range = positions.range(token.span);
        if range.end.line != range.start.line || range.end.character <= range.start.character {
            continue;
        }
        let Some(token_type) = TokenKind::ALL.iter().position(|kind| *kind == token.kind) else { continue };
        let delta_line = range.start.line - line;
        let delta_start = if delta_line == 0 { range.start.character - character } else { range.start.character };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: range.end.character - range.start.character,
            token_type: u32::try_from(token_type).unwrap_or(0),
            token_modifiers_bitset: u32::from(token.declaration),
        });
        line = range.start.line;
        character = range.start.character;
    }
    SemanticTokens { result_id: None, data }
}

pub fn inlay_hints(hints: Vec<engine::annotations::InlayHint>, positions: &PositionMap<'_>) -> Vec<lsp::InlayHint> {
    hints
        .into_iter()
        .map(|hint| lsp::InlayHint {
            position: positions.position(hint.at),
            label: InlayHintLabel::String(hint.label),
            kind: None,
            text_edits: None,
            tooltip: Some(InlayHintTooltip::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: hint.tooltip,
            })),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}

/// One edit that replaces the whole `buffer` (the editor's text, byte-order mark included) with
/// `text`: what formatting answers.
pub fn whole_document_edit(buffer: &str, text: String, encoding: Encoding) -> TextEdit {
    let index = journey_compiler::LineIndex::new(buffer);
    let end = PositionMap::new(buffer, &index, encoding, false).position(buffer.len());
    TextEdit::new(lsp::Range::new(lsp::Position::new(0, 0), end), text)
}
