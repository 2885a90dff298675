//! Names and literals: identifiers (with their length limit), durations, integers, times of day,
//! strings with interpolations, and paths. Each literal is validated here, each failure a
//! diagnostic.

use pest::iterators::Pair;

use super::{significant, Lowerer};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::{MAX_IDENT_BYTES, MAX_STRING_BYTES};
use crate::span::Span;
use crate::syntax::grammar::Rule;
use crate::syntax::literals;

impl Lowerer<'_> {
    pub(super) fn ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        // Role names (`message_ref`, ...) are atomic rules spelled like `ident`: the pair is the
        // name itself, with no inner pair to look for.
        let span = self.span(&pair);
        self.name(pair.as_str(), span)
    }

    pub(super) fn name(&mut self, name: &str, span: Span) -> Ident {
        if name.len() > MAX_IDENT_BYTES {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::J0116,
                    format!("name is {} bytes long; the limit is {MAX_IDENT_BYTES}", name.len()),
                    self.file,
                    span,
                )
                .with_label("name too long")
                .with_help("use a shorter name"),
            );
        }
        Ident { name: name.to_owned(), span }
    }

    /// A duration literal. Negative durations are always an error.
    pub(super) fn duration(&mut self, pair: Pair<'_, Rule>) -> Duration {
        let span = self.span(&pair);
        let text = pair.as_str();
        if let Some(positive) = text.strip_prefix('-') {
            self.diagnostics.push(
                Diagnostic::new(Code::J0106, format!("a duration cannot be negative, found `{text}`"), self.file, span)
                    .with_label("negative duration")
                    .with_help(format!("write `{positive}`")),
            );
            return Duration { secs: 0, span };
        }
        let secs = match literals::parse_duration(text, self.file, span) {
            Ok(secs) => secs,
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                0
            }
        };
        Duration { secs, span }
    }

    /// A duration that must be longer than zero: a wait, a timeout, a window, a time limit. A
    /// zero here is a typo or a step that does nothing; `reentry after 0s` and durations in
    /// expressions may be zero.
    pub(super) fn positive_duration(&mut self, pair: Pair<'_, Rule>, what: &str) -> Duration {
        let before = self.diagnostics.reported();
        let duration = self.duration(pair);
        if duration.secs == 0 && self.diagnostics.reported() == before {
            self.diagnostics.push(
                Diagnostic::new(Code::J0106, format!("{what} of zero length"), self.file, duration.span)
                    .with_label("zero duration")
                    .with_help("use a duration longer than zero, or remove the step"),
            );
        }
        duration
    }

    pub(super) fn integer(&mut self, pair: Pair<'_, Rule>) -> u64 {
        let span = self.span(&pair);
        literals::parse_integer(pair.as_str(), self.file, span).unwrap_or_else(|d| {
            self.diagnostics.push(d);
            0
        })
    }

    pub(super) fn time(&mut self, pair: Pair<'_, Rule>) -> TimeOfDay {
        let span = self.span(&pair);
        let minutes = literals::parse_time(pair.as_str(), self.file, span).unwrap_or_else(|d| {
            self.diagnostics.push(d);
            0
        });
        TimeOfDay { minutes, span }
    }

    /// A string with interpolations, as literal and field parts.
    pub(super) fn template(&mut self, pair: Pair<'_, Rule>) -> Template {
        let span = self.span(&pair);
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut literal_bytes = 0usize;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string_text => {
                    literal_bytes += part.as_str().len();
                    push_literal(&mut parts, part.as_str());
                }
                Rule::escape => {
                    let part_span = self.span(&part);
                    match literals::unescape(part.as_str()) {
                        Ok(c) => {
                            literal_bytes += c.len_utf8();
                            push_literal(&mut parts, c.encode_utf8(&mut [0; 4]));
                        }
                        Err(why) => self.diagnostics.push(
                            Diagnostic::new(Code::J0109, why, self.file, part_span)
                                .with_label("invalid escape")
                                .with_help("escapes are `\\n`, `\\t`, `\\\"`, `\\\\`, `\\{`, `\\}` and `\\u{1F600}`"),
                        ),
                    }
                }
                Rule::interpolation => {
                    if let Some(field) = self.interpolation(part) {
                        parts.push(field);
                    }
                }
                _ => {}
            }
        }
        if literal_bytes > MAX_STRING_BYTES {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::J0116,
                    format!("string is {literal_bytes} bytes long; the limit is {MAX_STRING_BYTES}"),
                    self.file,
                    Span::new(span.start(), span.start() + 1),
                )
                .with_label("this string is too long")
                .with_help("shorten the text; channels accept far less than this anyway"),
            );
        }
        Template { parts, span }
    }

    fn interpolation(&mut self, pair: Pair<'_, Rule>) -> Option<TemplatePart> {
        let span = self.span(&pair);
        let mut path = None;
        let mut fallback = None;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::path => path = Some(self.path(child)),
                Rule::fallback => {
                    let inner = child.into_inner().next();
                    let inner = self.required(inner, span, "a fallback value")?;
                    fallback = Some(self.atom(inner)?);
                }
                _ => {}
            }
        }
        let Some(path) = path else {
            self.malformed(span, "an interpolation");
            return None;
        };
        Some(TemplatePart::Field { path, fallback, span })
    }

    pub(super) fn str_lit(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let template = self.template(pair);
        let span = template.span;
        let mut value = String::new();
        for part in &template.parts {
            match part {
                TemplatePart::Literal(text) => value.push_str(text),
                TemplatePart::Field { span, .. } => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::J0101,
                            "expected a plain string, found an interpolation",
                            self.file,
                            *span,
                        )
                        .with_label("interpolation not allowed here")
                        .with_help("write `\\{` for a literal `{`"),
                    );
                }
            }
        }
        StrLit { value, span }
    }

    pub(super) fn path(&mut self, pair: Pair<'_, Rule>) -> Path {
        let span = self.span(&pair);
        // The grammar spells the first name out (no pair of its own); the fields are `ident`s.
        let text = pair.as_str();
        let first = text.split('.').next().unwrap_or(text);
        let start = self.offset + pair.as_span().start();
        let first_span = Span::new(span.start(), self.chunk.file_offset(start + first.len()).max(span.start()));
        let first = self.name(first, first_span);
        if first.name.len() == text.len() {
            return Path { segments: Segments::One(first), span };
        }
        let mut segments = vec![first];
        segments.extend(pair.into_inner().filter(|p| p.as_rule() == Rule::ident).map(|p| self.ident(p)));
        Path { segments: Segments::from(segments), span }
    }

    pub(super) fn ident_list(&mut self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        significant(pair).filter(|p| p.as_rule() == Rule::ident).map(|p| self.ident(p)).collect()
    }
}

fn push_literal(parts: &mut Vec<TemplatePart>, text: &str) {
    if let Some(TemplatePart::Literal(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(TemplatePart::Literal(text.to_owned()));
    }
}
