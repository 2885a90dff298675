//! Second pass: every reference of the project resolved against the [`Model`], item by item.
//!
//! The checks live beside what they check: [`super::messages`] for messages and templates (and
//! channels, wherever one is named), [`super::journey`] for journeys, whose steps are walked with
//! the event in scope; segments go straight to the expression checker ([`super::exprs`]).

use std::collections::BTreeMap;

use super::exprs::{check_condition, EventScope, Scope};
use super::journey::check_journey;
use super::messages::{check_channel, check_message, event_reads, EventReads};
use super::Sink;
use crate::ast::{self, Item, PolicyRule};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{self, Model};
use crate::project::Sources;

pub fn resolve(sources: &Sources, model: &Model, sink: &mut Sink) {
    // The `event.x` fields each message reads, from its declaration (the first of duplicates,
    // reported as J0209, winning as in the model, so a label and its file always come from the
    // same declaration). Read once here, checked at every send.
    let mut messages: EventReads<'_> = BTreeMap::new();
    for item in sources.files.iter().filter_map(|f| f.ast.as_ref()).flat_map(|a| a.items.iter()) {
        if let Item::Message(message) = item {
            messages.entry(message.name.name.as_str()).or_insert_with(|| event_reads(message));
        }
    }
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            let scope = Scope { model, file: file.id, event: EventScope::None, bare_event_fields: false };
            match item {
                Item::Import(_) | Item::Profile(_) | Item::Channel(_) => {}
                Item::Event(event) => {
                    if let Some(channel) = &event.inbound {
                        check_channel(channel, &scope, sink);
                    }
                }
                Item::Segment(segment) => check_condition(&segment.condition, &scope, sink),
                Item::Policy(policy) => {
                    for rule in &policy.rules {
                        if let PolicyRule::Frequency { channel, category, .. } = rule {
                            check_cap_names(channel.as_ref(), category, &scope, sink);
                        }
                    }
                }
                Item::Message(message) => check_message(message, &Scope { event: EventScope::Deferred, ..scope }, sink),
                Item::Template(template) => {
                    check_channel(&template.channel, &scope, sink);
                    if super::collect::check_category(file.id, &template.category, sink) {
                        sink.stats.references += 1;
                    }
                }
                Item::Journey(journey) => check_journey(journey, file.id, model, &messages, sink),
            }
        }
    }
}

/// The names of a `frequency` rule: `frequency CATEGORY ...` or `frequency CHANNEL CATEGORY ...`.
/// The grammar cannot tell a channel from a category (both are names), so a channel written alone,
/// or after the category, is J0229 here, with the fix.
fn check_cap_names(channel: Option<&ast::Ident>, category: &ast::Ident, scope: &Scope<'_>, sink: &mut Sink) {
    let is_channel = |name: &ast::Ident| scope.model.channels.contains_key(&name.name);
    let is_category = |name: &ast::Ident| model::CATEGORIES.contains(&name.name.as_str());
    match channel {
        None if !is_category(category) && is_channel(category) => sink.push(
            Diagnostic::new(
                Code::J0229,
                format!("`frequency {}` names a channel but no category", category.name),
                scope.file,
                category.span,
            )
            .with_label("a channel, not a category")
            .with_note("a cap counts one category (`frequency marketing ...`), on every channel or on one channel (`frequency sms marketing ...`)")
            .with_suggestion(
                format!("cap {} marketing messages", category.name),
                category.span,
                format!("{} marketing", category.name),
            ),
        ),
        Some(first) if !is_channel(first) && is_category(first) && is_channel(category) => {
            let (start, end) = (first.span.start(), category.span.end());
            let swapped = crate::span::Span::new(start, end);
            sink.push(
                Diagnostic::new(
                    Code::J0229,
                    format!("the channel comes before the category: `frequency {} {}`", category.name, first.name),
                    scope.file,
                    swapped,
                )
                .with_label("category, then channel")
                .with_note("a channel's cap is written `frequency CHANNEL CATEGORY at most N per D`")
                .with_safe_suggestion("put the channel first", swapped, format!("{} {}", category.name, first.name)),
            );
        }
        Some(first) => {
            check_channel(first, scope, sink);
            super::collect::check_category(scope.file, category, sink);
        }
        None => {
            super::collect::check_category(scope.file, category, sink);
        }
    }
}
