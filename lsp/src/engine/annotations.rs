//! What the editor draws over the text: semantic tokens (colours for editors without the
//! TextMate grammar) and inlay hints on sends (what the compliance analyses proved).
//!
//! Tokens come from one left-to-right pass over the text for the lexical classes (comments,
//! strings, numbers, keywords) and from the project's symbol table for names, so a name is
//! coloured as what the checker resolved it to (a message, a stage, an event...), never by
//! guessing from its spelling.

use journey_compiler::model::SymbolKind;
use journey_compiler::Span;

use super::keywords::is_keyword;
use super::Analysis;

/// The classes of tokens; their order is the legend the server announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenKind {
    Keyword,
    Comment,
    String,
    Number,
    /// Messages and templates.
    Message,
    /// Stages (methods of their journey) and journeys.
    Stage,
    Journey,
    Event,
    /// Segments and profile fields: names in expressions.
    Variable,
    /// Event fields.
    Property,
    Channel,
}

impl TokenKind {
    /// Every kind, in legend order.
    pub const ALL: [TokenKind; 11] = [
        TokenKind::Keyword,
        TokenKind::Comment,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Message,
        TokenKind::Stage,
        TokenKind::Journey,
        TokenKind::Event,
        TokenKind::Variable,
        TokenKind::Property,
        TokenKind::Channel,
    ];

    fn of_symbol(kind: SymbolKind) -> TokenKind {
        match kind {
            SymbolKind::Message | SymbolKind::Template => TokenKind::Message,
            SymbolKind::Stage => TokenKind::Stage,
            SymbolKind::Journey => TokenKind::Journey,
            SymbolKind::Event => TokenKind::Event,
            SymbolKind::Segment | SymbolKind::ProfileField => TokenKind::Variable,
            SymbolKind::EventField => TokenKind::Property,
            SymbolKind::Channel => TokenKind::Channel,
        }
    }
}

/// One coloured piece of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub kind: TokenKind,
    /// The name is declared here (rather than used).
    pub declaration: bool,
}

/// The tokens of the document, in order, never overlapping.
pub fn semantic_tokens(analysis: &Analysis) -> Vec<Token> {
    let text = analysis.text.as_bytes();
    // The names of this file in source order, walked along with the text.
    let mut names = analysis.symbols.in_file(analysis.file).iter().peekable();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let byte = text.get(i).copied().unwrap_or(0);
        let start = i;
        if byte == b'/' && text.get(i + 1) == Some(&b'/') {
            while i < text.len() && text.get(i) != Some(&b'\n') {
                i += 1;
            }
            tokens.push(Token { span: Span::new(start, i), kind: TokenKind::Comment, declaration: false });
        } else if byte == b'"' {
            i += 1;
            while i < text.len() {
                match text.get(i) {
                    Some(b'\\') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n') => break,
                    _ => i += 1,
                }
            }
            let end = i.min(text.len());
            tokens.push(Token { span: Span::new(start, end), kind: TokenKind::String, declaration: false });
        } else if byte.is_ascii_digit() {
            // Numbers with their unit: `24h`, `500`, `2.5`.
            while text.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_') {
                i += 1;
            }
            tokens.push(Token { span: Span::new(start, i), kind: TokenKind::Number, declaration: false });
        } else if byte.is_ascii_alphabetic() || byte == b'_' {
            while text.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                i += 1;
            }
            let span = Span::new(start, i);
            let word = analysis.slice(span);
            while names.next_if(|symbol| symbol.at.span.start() < start).is_some() {}
            match names.peek().filter(|symbol| symbol.at.span == span) {
                Some(symbol) => tokens.push(Token {
                    span,
                    kind: TokenKind::of_symbol(symbol.kind),
                    declaration: symbol.is_declaration(),
                }),
                None if is_keyword(word) => {
                    tokens.push(Token { span, kind: TokenKind::Keyword, declaration: false });
                }
                None => {}
            }
        } else {
            // Any other character, one UTF-8 sequence at a time.
            i += analysis.text.get(i..).and_then(|rest| rest.chars().next()).map_or(1, char::len_utf8);
        }
    }
    tokens
}

/// A note shown after a send: what the analyses proved about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the note goes (the end of the send step's message name).
    pub at: usize,
    pub label: String,
    /// The whole explanation, for the hint's tooltip.
    pub tooltip: String,
}

/// Hints on the sends of the document between `from` and `to`, from the complete analysis's
/// evidence (none before the compliance analyses have run: nothing is claimed unproved).
pub fn inlay_hints(analysis: &Analysis, from: usize, to: usize) -> Vec<InlayHint> {
    analysis
        .sends
        .iter()
        .filter(|proof| proof.span.start() <= to && from <= proof.span.end())
        .map(|proof| {
            let evidence = &proof.evidence;
            let mut parts = Vec::new();
            if evidence.consent.starts_with("consent(") {
                parts.push("consent ✓".to_owned());
            }
            if let Some(max) = evidence.window_max_secs {
                parts.push(format!("≤ {} after last message", super::hover::duration(max)));
            }
            if evidence.quiet_hours.starts_with("deferred") {
                parts.push("held in quiet hours".to_owned());
            }
            if parts.is_empty() {
                parts.push("proved".to_owned());
            }
            // At the end of the step's first line (a send's message name, an ask's before its
            // arms).
            let step = analysis.slice(proof.span);
            let first_line = step.find('\n').map_or(step.len(), |end| end);
            let head = step.get(..first_line).unwrap_or("").trim_end_matches([' ', '{']);
            InlayHint {
                at: proof.span.start() + head.len(),
                label: format!("  {}", parts.join(" · ")),
                tooltip: super::hover::send_proof(evidence),
            }
        })
        .collect()
}
