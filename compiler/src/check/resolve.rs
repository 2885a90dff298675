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
use crate::ast::{Item, PolicyRule};
use crate::model::Model;
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
                        if let PolicyRule::Frequency { category, .. } = rule {
                            super::collect::check_category(file.id, category, sink);
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
