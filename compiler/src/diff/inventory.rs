//! What of one version of a project a semantic diff compares, read from its [`ProjectReport`]:
//! journeys and their stages, every send with its identity and evidence, every message with its
//! channel, category and texts.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::visit::TextRole;
use crate::declared::Declared;
use crate::flow::SendEvidence;
use crate::{ProjectReport, Severity};

/// Which send a send is across versions: its journey, its stage, its message, and how many sends
/// of the same message come before it in that stage (in source order). Node ids (`stage.3`)
/// change when an unrelated step is added above a send; this identity does not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SendId {
    pub journey: String,
    pub stage: String,
    pub message: String,
    /// 0 for the first send of `message` in the stage, 1 for the second, ...
    pub occurrence: usize,
}

/// A message as the diff compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFacts {
    pub channel: String,
    pub category: String,
    /// Every text of the message as written, with its role: `text "Hi {first_name}"`.
    pub texts: Vec<String>,
}

/// One version of a project, as the diff compares it.
#[derive(Debug, Default)]
pub struct Inventory<'r> {
    pub errors: usize,
    /// Journey names to their stage names.
    pub journeys: BTreeMap<String, BTreeSet<String>>,
    /// Every send of every journey, with its evidence when the analyses proved it.
    pub sends: BTreeMap<SendId, Option<&'r SendEvidence>>,
    pub messages: BTreeMap<String, MessageFacts>,
}

impl<'r> Inventory<'r> {
    pub fn of(report: &'r ProjectReport) -> Inventory<'r> {
        let model = &report.model;
        let errors = report.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        let journeys = model
            .journeys
            .iter()
            .map(|(name, journey)| (name.clone(), journey.stages.keys().cloned().collect()))
            .collect();

        // Evidence by journey and node id; the first record wins, as the first declaration does.
        let mut proved: BTreeMap<(&str, &str), &SendEvidence> = BTreeMap::new();
        for evidence in &report.flow.evidence {
            proved.entry((evidence.journey.as_str(), evidence.node.as_str())).or_insert(evidence);
        }
        let mut sends = BTreeMap::new();
        for graph in &report.flow.graphs {
            // A journey declared twice has a graph per declaration; the model's (the first) counts.
            let wins = model
                .journeys
                .get(&graph.journey)
                .is_some_and(|j| j.def.file == graph.file && j.def.span == graph.span);
            if !wins {
                continue;
            }
            let mut in_order: Vec<(&str, usize, &str, &str)> = graph
                .nodes
                .iter()
                .filter_map(|node| {
                    let message = node.kind.sent_message()?;
                    Some((node.stage.as_str(), node.span.start(), message, node.id.as_str()))
                })
                .collect();
            in_order.sort();
            let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for (stage, _, message, node) in in_order {
                let occurrence = seen.entry((stage, message)).or_insert(0);
                let id = SendId {
                    journey: graph.journey.clone(),
                    stage: stage.to_owned(),
                    message: message.to_owned(),
                    occurrence: *occurrence,
                };
                *occurrence += 1;
                sends.insert(id, proved.get(&(graph.journey.as_str(), node)).copied());
            }
        }

        let declared = Declared::new(&report.sources, model);
        let messages = model
            .messages
            .iter()
            .map(|(name, message)| {
                let text = report.sources.file(message.def.file).map_or("", |f| f.text.as_str());
                let texts = declared
                    .messages
                    .get(name.as_str())
                    .map(|tree| {
                        tree.texts()
                            .map(|(role, template)| {
                                let written = text.get(template.span.range()).unwrap_or_default();
                                format!("{} {written}", role_word(role))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let facts =
                    MessageFacts { channel: message.channel.clone(), category: message.category.clone(), texts };
                (name.clone(), facts)
            })
            .collect();
        Inventory { errors, journeys, sends, messages }
    }
}

/// The word that introduces a text of this role where it is written.
fn role_word(role: TextRole) -> &'static str {
    match role {
        TextRole::Text => "text",
        TextRole::Subject => "subject",
        TextRole::Title => "title",
        TextRole::Subtitle => "subtitle",
        TextRole::Reply => "reply",
        TextRole::ButtonTitle => "button",
        TextRole::ButtonUrl => "button url",
        TextRole::MediaUrl => "media",
        TextRole::ListButton => "list",
        TextRole::ListHeader => "header",
        TextRole::ListFooter => "footer",
        TextRole::SectionTitle => "section",
        TextRole::RowTitle => "row",
        TextRole::RowDescription => "row description",
    }
}
