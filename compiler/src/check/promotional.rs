//! Promotional content in messages and templates that are not declared marketing (J0313), and in
//! WhatsApp utility templates, which Meta reclassifies as marketing (J0314, WA-CAT).
//!
//! What reads as promotional is the table in `content::promotional`. A message sent only by
//! `request consent ... via` is left out: a consent request must say what the contact agrees to
//! receive ("members-only offers"), which is not itself a promotion.

use std::collections::BTreeSet;

use super::Sink;
use crate::ast::visit::{self, TextRole};
use crate::ast::{self, Element, Item, Step, StepKind, Template};
use crate::codes::Code;
use crate::content::promotional;
use crate::content::words;
use crate::diagnostic::Diagnostic;
use crate::project::Sources;
use crate::span::{FileId, Span};

/// The category promotional content belongs to.
const MARKETING: &str = "marketing";

pub fn check(sources: &Sources, sink: &mut Sink) {
    let consent_requests = consent_request_messages(sources);
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            match item {
                // An unknown category is J0207 already.
                Item::Message(message) if is_known_other(&message.category) => {
                    if consent_requests.contains(message.name.name.as_str()) {
                        continue;
                    }
                    sink.stats.content_rules += 1;
                    let texts = readable_texts(&message.elements);
                    if let Some((found, at)) = first_promotion(&texts, &file.text) {
                        sink.push(promotion(
                            Code::J0313,
                            format!(
                                "message `{}` is declared {} but reads as promotional",
                                message.name.name, message.category.name
                            ),
                            file.id,
                            at,
                            &found,
                            &message.category,
                        ));
                    }
                }
                Item::Template(template) if is_known_other(&template.category) => {
                    sink.stats.content_rules += 1;
                    let texts: Vec<&Template> = template.texts.iter().map(|(_, t)| t).collect();
                    let Some((found, at)) = first_promotion(&texts, &file.text) else { continue };
                    let reclassified = promotional::RECLASSIFIED_TEMPLATES.iter().find(|(channel, category, _)| {
                        *channel == template.channel.name && *category == template.category.name
                    });
                    let (code, what) = match reclassified {
                        Some((channel, category, rule)) => (
                            Code::J0314,
                            format!(
                                "{channel} {category} template `{}` reads as promotional ({rule})",
                                template.name.name
                            ),
                        ),
                        None => (
                            Code::J0313,
                            format!(
                                "template `{}` is declared {} but reads as promotional",
                                template.name.name, template.category.name
                            ),
                        ),
                    };
                    sink.push(promotion(code, what, file.id, at, &found, &template.category));
                }
                _ => {}
            }
        }
    }
}

/// A known category other than marketing.
fn is_known_other(category: &ast::Ident) -> bool {
    category.name != MARKETING && crate::model::CATEGORIES.contains(&category.name.as_str())
}

fn promotion(code: Code, message: String, file: FileId, at: Span, found: &str, category: &ast::Ident) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(code, message, file, at)
        .with_label(format!("\"{found}\" is promotional"))
        .with_secondary(file, category.span, format!("declared {}", category.name));
    diagnostic = if code == Code::J0314 {
        diagnostic
            .with_note("WA-CAT: Meta classifies a template with promotional content as marketing, whatever category it was submitted as")
            .with_help("take the promotion out of the template, or declare it `as marketing` (and the messages that send it)")
    } else {
        diagnostic
            .with_note(format!(
                "{}: platforms judge the category by the content; only marketing needs consent, opt-out wording and quiet hours",
                promotional::SOURCE
            ))
            .with_help("declare the message `as marketing`, or take the promotion out")
    };
    diagnostic.with_suggestion("declare it `as marketing`", category.span, MARKETING)
}

/// The first promotional phrase among `texts`, with its span in `source` (the whole text when
/// it is not written there as read, through escapes).
fn first_promotion(texts: &[&Template], source: &str) -> Option<(String, Span)> {
    texts.iter().find_map(|t| {
        promotional::find(&words::tokens(t)).map(|found| {
            let span = phrase_span(source, t.span, &found.first, &found.last).unwrap_or(t.span);
            (found.shown, span)
        })
    })
}

/// The phrase from `first` to `last` inside `within`, matched case-insensitively (the tables are
/// ASCII, so lower-casing ASCII keeps every byte offset), whole words, at most a few words long.
fn phrase_span(source: &str, within: Span, first: &str, last: &str) -> Option<Span> {
    const LONGEST: usize = 40;
    if first.is_empty() || last.is_empty() {
        return None;
    }
    let text = source.get(within.range())?.to_ascii_lowercase();
    // A word occurrence must not continue a longer word or a field name on either side.
    let whole = |at: usize, word: &str| {
        let word_like = word.chars().all(char::is_alphanumeric);
        let before = text.get(..at).and_then(|b| b.chars().last()).is_some_and(is_word_char);
        let after = text.get(at + word.len()..).and_then(|a| a.chars().next()).is_some_and(is_word_char);
        !word_like || !(before || after)
    };
    for (start, _) in text.match_indices(first).filter(|(at, _)| whole(*at, first)) {
        let rest = text.get(start..)?;
        let end = rest
            .match_indices(last)
            .map(|(at, _)| start + at)
            .filter(|at| *at >= start && whole(*at, last))
            .map(|at| at + last.len())
            .find(|end| *end >= start + first.len() && end - start <= LONGEST);
        if let Some(end) = end {
            return Some(Span::new(within.start() + start, within.start() + end));
        }
    }
    None
}

/// What a contact reads: texts, subjects, card titles and subtitles, and a list's header,
/// footer and row descriptions (labels such as reply, button and row titles are left out).
fn readable_texts(elements: &[Element]) -> Vec<&Template> {
    visit::texts(elements)
        .filter(|(role, _)| {
            matches!(
                role,
                TextRole::Text
                    | TextRole::Subject
                    | TextRole::Title
                    | TextRole::Subtitle
                    | TextRole::ListHeader
                    | TextRole::ListFooter
                    | TextRole::RowDescription
            )
        })
        .map(|(_, text)| text)
        .collect()
}

/// A character that continues a word or a field name.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Messages that journeys send only as consent requests (`request consent ... via MESSAGE`).
fn consent_request_messages(sources: &Sources) -> BTreeSet<&str> {
    let mut requests = BTreeSet::new();
    let mut other = BTreeSet::new();
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            if let Item::Journey(journey) = item {
                for stage in journey.stages() {
                    message_uses(&stage.steps, &mut requests, &mut other);
                }
            }
        }
    }
    requests.retain(|m| !other.contains(m));
    requests
}

/// Nesting is bounded by the scanner (`MAX_NESTING`), so this recursion is too.
fn message_uses<'a>(steps: &'a [Step], requests: &mut BTreeSet<&'a str>, other: &mut BTreeSet<&'a str>) {
    for step in steps {
        match &step.kind {
            StepKind::RequestConsent { message, arms, .. } => {
                requests.insert(message.name.as_str());
                for arm in arms {
                    message_uses(&arm.steps, requests, other);
                }
            }
            StepKind::Send { message } => {
                other.insert(message.name.as_str());
            }
            StepKind::Ask { message, arms, .. } => {
                other.insert(message.name.as_str());
                for arm in arms {
                    message_uses(&arm.steps, requests, other);
                }
            }
            StepKind::WaitFor { arms, .. } | StepKind::Split { arms } | StepKind::Handoff { arms, .. } => {
                for arm in arms {
                    message_uses(&arm.steps, requests, other);
                }
            }
            StepKind::If { branches, else_steps } => {
                for branch in branches {
                    message_uses(&branch.steps, requests, other);
                }
                if let Some(steps) = else_steps {
                    message_uses(steps, requests, other);
                }
            }
            StepKind::Wait { .. }
            | StepKind::WaitUntil { .. }
            | StepKind::RevokeConsent { .. }
            | StepKind::Set { .. }
            | StepKind::Tag { .. }
            | StepKind::Track { .. }
            | StepKind::Goto { .. }
            | StepKind::Exit => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::phrase_span;
    use crate::span::Span;

    fn found<'s>(source: &'s str, first: &str, last: &str) -> Option<&'s str> {
        let span = phrase_span(source, Span::new(0, source.len()), first, last)?;
        source.get(span.range())
    }

    #[test]
    fn the_phrase_is_found_as_written_whole_words_only() {
        assert_eq!(found("\"Take 20 % OFF now\"", "20", "off"), Some("20 % OFF"));
        assert_eq!(found("\"{deal_code} and a Deal\"", "deal", "deal"), Some("Deal"));
        assert_eq!(found("\"wholesale, then SALE\"", "sale", "sale"), Some("SALE"));
        assert_eq!(found("\"Save $10\"", "save", "10"), Some("Save $10"));
        assert_eq!(found("\"nothing here\"", "sale", "sale"), None);
    }
}
