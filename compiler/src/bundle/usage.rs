//! What one journey's bundle includes besides its nodes: the messages its nodes send, the
//! events it names (entry, `exit_on`, goals, `wait_for`), the segments its expressions and
//! messages use (closed over segments that use segments) and the channels of its messages.
//! Sets of names, sorted, borrowed from the report.

use std::collections::BTreeSet;

use super::project::Project;
use crate::ast::{self, ButtonAction, Element, JourneyMember};
use crate::flow::graph::{Graph, NodeKind};

pub(super) struct Usage<'a> {
    /// Sent by some node; not all may be declared.
    pub messages: BTreeSet<&'a str>,
    pub events: BTreeSet<&'a str>,
    /// Declared segments only.
    pub segments: BTreeSet<&'a str>,
    /// The channels of the declared messages in `messages`.
    pub channels: BTreeSet<&'a str>,
}

impl<'a> Usage<'a> {
    pub fn of(project: &Project<'a>, graph: &'a Graph) -> Usage<'a> {
        let mut usage = Usage {
            messages: BTreeSet::new(),
            events: BTreeSet::new(),
            segments: BTreeSet::new(),
            channels: BTreeSet::new(),
        };
        for node in &graph.nodes {
            match &node.kind {
                NodeKind::WaitFor { events, .. } => usage.events.extend(events.iter().map(String::as_str)),
                NodeKind::Branch { conditions } => {
                    for condition in conditions {
                        project.segments_of(condition, None, &mut usage.segments);
                    }
                }
                NodeKind::Set { value, .. } => project.segments_of(value, None, &mut usage.segments),
                _ => {}
            }
            usage.messages.extend(node.kind.sent_message());
        }
        if let Some(journey) = project.journeys.get(graph.journey.as_str()) {
            for member in &journey.members {
                if let JourneyMember::Goal { event, .. } = member {
                    usage.events.insert(&event.name);
                }
            }
        }
        usage.events.extend(graph.entry_event.as_deref());
        usage.events.extend(graph.exit_on.iter().map(String::as_str));
        if let Some(condition) = &graph.entry_condition {
            project.segments_of(condition, graph.entry_event.as_deref(), &mut usage.segments);
        }
        if let Some(audience) = &graph.audience {
            project.segments_of(audience, None, &mut usage.segments);
        }
        // The segments whose membership enters or ends a run: the runtime evaluates them.
        for segment in graph.entry_segment.iter().chain(&graph.exit_leaves) {
            if let Some((name, _)) = project.segments.get_key_value(segment.as_str()) {
                usage.segments.insert(name);
            }
        }
        for name in &usage.messages {
            if let Some(message) = project.messages.get(name) {
                usage.channels.insert(&message.channel.name);
                message_segments(project, message, &mut usage.segments);
            }
        }
        usage.segments = closure(project, &usage.segments);
        usage
    }
}

/// The segments a message's texts and template parameters use: every element's, even one a
/// later element of the same kind replaces (`text` twice, an error the check reported), as the
/// format has always counted them. Only the elements a bundle writes are looked at.
fn message_segments<'a>(project: &Project<'a>, message: &'a ast::Message, out: &mut BTreeSet<&'a str>) {
    let button = |title: &'a ast::Template, action: &'a ButtonAction, out: &mut BTreeSet<&'a str>| {
        project.template_segments(title, out);
        if let ButtonAction::Url(url) = action {
            project.template_segments(url, out);
        }
    };
    for element in &message.elements {
        match element {
            Element::Text(t)
            | Element::Subject(t)
            | Element::Reply { title: t, .. }
            | Element::Media { url: t, .. } => {
                project.template_segments(t, out);
            }
            Element::Button { title, action, .. } => button(title, action, out),
            Element::Card { elements, .. } => {
                for part in elements {
                    match part {
                        Element::Title(t) | Element::Subtitle(t) | Element::Media { url: t, .. } => {
                            project.template_segments(t, out);
                        }
                        Element::Button { title, action, .. } => button(title, action, out),
                        _ => {}
                    }
                }
            }
            Element::List(list) => {
                for (_, text) in list.texts() {
                    project.template_segments(text, out);
                }
            }
            Element::Template { params, .. } => {
                for param in params {
                    project.segments_of(&param.value, None, out);
                }
            }
            Element::Tag { .. } | Element::Title(_) | Element::Subtitle(_) => {}
        }
    }
}

/// `used` and every segment they use, directly or through others (bounded by the segment count).
fn closure<'a>(project: &Project<'a>, used: &BTreeSet<&'a str>) -> BTreeSet<&'a str> {
    let mut closed = BTreeSet::new();
    let mut pending: Vec<&'a str> = used.iter().copied().collect();
    while let Some(name) = pending.pop() {
        if closed.contains(name) {
            continue;
        }
        let Some(condition) = project.segments.get(name) else { continue };
        closed.insert(name);
        let mut more = BTreeSet::new();
        project.segments_of(condition, None, &mut more);
        pending.extend(more.into_iter().filter(|m| !closed.contains(m)));
    }
    closed
}
