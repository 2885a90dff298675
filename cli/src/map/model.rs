//! The map document: what `journey map` shows of one project, built from the compiler's report
//! and independent of any layout or output format. Pure (report in, document out), so it is
//! tested as data; the HTML, DOT and SVG writers only present it.
//!
//! Everything comes from the checked project: the flow graphs (`report.flow.graphs`, the graph
//! every analysis and the bundle read), the per-send compliance records (`report.flow.evidence`)
//! and the diagnostics. A violation's witness path is the path its diagnostic prints in a note
//! (`path: entry -> remind.1 (wait 1h) -[then]-> remind.2.then.1 (send ...)`); the map reads the
//! node ids back from that note and keeps only ids of the journey's graph, so the path drawn is
//! exactly the one the checker reports.

use std::collections::{BTreeMap, BTreeSet};

use journey_compiler::ast::visit::TextRole;
use journey_compiler::ast::{self, Element, JourneyMember, Template, TemplatePart};
use journey_compiler::declared::Declared;
use journey_compiler::flow::graph::{Graph, NodeKind, Target};
use journey_compiler::flow::{describe_node, SendEvidence};
use journey_compiler::syntax::literals::format_duration;
use journey_compiler::{Diagnostic, FileId, LineIndex, ProjectReport, Severity};
use serde::Serialize;

/// The most characters of a message's text a card previews.
const PREVIEW_CHARS: usize = 140;

/// One project's map. Field order is the JSON order; every list is in source or name order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapDocument {
    /// The version of this document's JSON shape (embedded in the HTML).
    pub version: u32,
    /// How the project is named to the user (its root directory, or its one file).
    pub project: String,
    pub journeys: Vec<JourneyMap>,
    pub lifecycle: Lifecycle,
    /// Diagnostics that belong to no journey (a file that does not parse, a policy, a channel).
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyMap {
    pub name: String,
    /// `examples/cart_recovery.journey:17`.
    pub at: String,
    /// `entry on cart_abandoned`, `entry every mon 10:00`, or `no entry`.
    pub entry: String,
    pub audience: bool,
    pub goals: Vec<Goal>,
    /// `exit on` events and `exit when leaves` segments.
    pub exits: Vec<String>,
    /// `reentry after 7d`, `reentry never`, or empty.
    pub reentry: String,
    /// The node the contact starts at (`exit:start` when the journey is empty).
    pub start: String,
    pub stages: Vec<StageMap>,
    pub nodes: Vec<NodeMap>,
    pub edges: Vec<EdgeMap>,
    /// Diagnostics inside this journey, violations among them; nodes refer to them by index.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub name: String,
    pub event: String,
    pub within: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageMap {
    pub name: String,
    /// The id of the stage's first node, or of the exit an empty stage leads to.
    pub start: String,
    /// Indices into the journey's `problems` reported on the stage itself (J0505).
    pub problems: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeMap {
    /// The graph's stable node id (`remind.2.then.1`), or `exit:N` for an exit.
    pub id: String,
    /// Empty for an exit.
    pub stage: String,
    /// The graph's node kind (`send`, `ask`, `wait_for`, ...), or `exit`.
    pub kind: String,
    /// One line: `wait 1h`, `send cart_reminder`, `exit`.
    pub title: String,
    pub send: Option<SendCard>,
    /// Indices into the journey's `problems` whose primary label is on this node.
    pub problems: Vec<usize>,
}

/// What a touchpoint sends, and the record the analyses proved for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendCard {
    pub message: String,
    pub channel: String,
    pub category: String,
    /// The message's texts, fields shown as `{name}`, cut to [`PREVIEW_CHARS`] characters.
    pub preview: String,
    /// `None` when the analyses did not run on the journey (it has errors that stop them, or it
    /// is too large): the map then shows no record rather than one that was not proved.
    pub record: Option<Record>,
}

/// A send's compliance record (`SendEvidence`), in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub consent: String,
    pub granted_by: Vec<String>,
    /// `at most 23h since the contact's last message (window 24h)`, `no window` or `unbounded`.
    pub window: String,
    pub form: String,
    pub quiet_hours: String,
    pub frequency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdgeMap {
    pub from: String,
    pub to: String,
    /// `next` for plain sequencing, else the outcome (`timeout`, `then`, `running`, `50%`).
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    pub message: String,
    /// `examples/cart_recovery.journey:27`.
    pub at: String,
    /// The diagnostic's full text: label, notes, help.
    pub text: String,
    /// The witness path, as node ids of the journey, from the entry to the node.
    pub witness: Vec<String>,
}

/// Stages by channel: which messages each stage sends on each channel. The language has no
/// lifecycle phases of its own; a project's stages are its phases (the design example's journey
/// has `awareness`, `consideration`, `decision`), so the rows are every journey's stages in
/// order and the columns every channel something is sent on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lifecycle {
    pub channels: Vec<String>,
    pub rows: Vec<LifecycleRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifecycleRow {
    pub journey: String,
    pub stage: String,
    /// One cell per channel, in `channels` order: the messages sent there, in node order.
    pub cells: Vec<Vec<String>>,
}

/// Builds the map of one checked project. `file_name` names a file of the report as the user
/// knows it (the CLI's display paths).
pub fn build(project: &str, report: &ProjectReport, file_name: &dyn Fn(FileId) -> String) -> MapDocument {
    let declared = Declared::new(&report.sources, &report.model);
    let lines: BTreeMap<FileId, LineIndex> =
        report.sources.files.iter().map(|file| (file.id, LineIndex::new(&file.text))).collect();
    let at = |file: FileId, offset: u32| -> String {
        let line = lines.get(&file).map_or(0, |index| index.line_of(offset as usize)) + 1;
        format!("{}:{line}", file_name(file))
    };
    let evidence: BTreeMap<(&str, &str), &SendEvidence> =
        report.flow.evidence.iter().map(|e| ((e.journey.as_str(), e.node.as_str()), e)).collect();

    // Each diagnostic goes to the journey whose span holds its primary label, else the project.
    let mut claimed = vec![false; report.diagnostics.len()];
    let mut journeys = Vec::new();
    for graph in &report.flow.graphs {
        // The graph's span is the journey's name; the tree has the whole declaration (the
        // tree of a journey declared twice is the first's, so it is matched by its name).
        let tree = declared.journeys.get(graph.journey.as_str()).copied().filter(|t| t.name.span == graph.span);
        let whole = tree.map_or(graph.span, |t| t.span);
        let mut problems = Vec::new();
        for (diagnostic, taken) in report.diagnostics.iter().zip(claimed.iter_mut()) {
            let label = &diagnostic.primary;
            if !*taken && label.file == graph.file && contains(whole, label.span) {
                *taken = true;
                problems.push(diagnostic);
            }
        }
        let messages = &declared.messages;
        let preview = |name: &str| messages.get(name).map(|m| preview_of(m)).unwrap_or_default();
        journeys.push(journey_map(graph, tree, &problems, &evidence, &preview, &report.model, &at));
    }
    let problems = report
        .diagnostics
        .iter()
        .zip(&claimed)
        .filter(|(_, taken)| !**taken)
        .map(|(d, _)| problem(d, None, &at))
        .collect();
    let lifecycle = lifecycle(&journeys);
    MapDocument { version: 1, project: project.to_owned(), journeys, lifecycle, problems }
}

fn contains(outer: journey_compiler::Span, inner: journey_compiler::Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn journey_map(
    graph: &Graph,
    tree: Option<&ast::Journey>,
    diagnostics: &[&Diagnostic],
    evidence: &BTreeMap<(&str, &str), &SendEvidence>,
    preview: &dyn Fn(&str) -> String,
    model: &journey_compiler::model::Model,
    at: &dyn Fn(FileId, u32) -> String,
) -> JourneyMap {
    // A stage's whole declaration, from the tree (the graph keeps its name's span).
    let stage_span = |stage: &journey_compiler::flow::graph::StageInfo| {
        tree.and_then(|t| t.stages().find(|s| s.name.span == stage.span)).map_or(stage.span, |s| s.span)
    };
    let ids: BTreeSet<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    let problems: Vec<Problem> = diagnostics.iter().map(|d| problem(d, Some(&ids), at)).collect();

    // A problem belongs to the innermost node whose span holds its primary label; one on a
    // stage's span and no node's belongs to the stage.
    let mut node_problems: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    let mut stage_problems: Vec<Vec<usize>> = vec![Vec::new(); graph.stages.len()];
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        let label = &diagnostic.primary;
        let innermost = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.file == label.file && contains(n.span, label.span))
            .min_by_key(|(_, n)| n.span.end - n.span.start)
            .map(|(i, _)| i);
        if let Some(list) = innermost.and_then(|i| node_problems.get_mut(i)) {
            list.push(index);
        } else if let Some(list) = graph
            .stages
            .iter()
            .position(|s| label.file == graph.file && contains(stage_span(s), label.span))
            .and_then(|i| stage_problems.get_mut(i))
        {
            list.push(index);
        }
    }

    let mut exits = 0usize;
    let mut exit_nodes = Vec::new();
    let mut new_exit = |stage: &str, exit_nodes: &mut Vec<NodeMap>| -> String {
        exits += 1;
        let id = format!("exit:{exits}");
        exit_nodes.push(NodeMap {
            id: id.clone(),
            stage: stage.to_owned(),
            kind: "exit".to_owned(),
            title: "exit".to_owned(),
            send: None,
            problems: Vec::new(),
        });
        id
    };
    let target_id = |target: Target| -> Option<String> {
        match target {
            Target::Node(i) => graph.node(i).map(|n| n.id.clone()),
            Target::Exit => None,
        }
    };

    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (node, problems) in graph.nodes.iter().zip(node_problems) {
        for edge in &node.edges {
            // Every edge to the exit gets an exit of its own, in the stage it leaves: a single
            // exit node would pull edges from every stage across the whole map.
            let to = target_id(edge.target).unwrap_or_else(|| new_exit(&node.stage, &mut exit_nodes));
            edges.push(EdgeMap { from: node.id.clone(), to, label: edge.label.clone() });
        }
        let send = node
            .kind
            .sent_message()
            .map(|message| send_card(graph, &node.id, message, &node.kind, evidence, preview, model));
        nodes.push(NodeMap {
            id: node.id.clone(),
            stage: node.stage.clone(),
            kind: node.kind.name().to_owned(),
            title: title_of(node),
            send,
            problems,
        });
    }
    let mut stages = Vec::new();
    for (stage, problems) in graph.stages.iter().zip(stage_problems) {
        let start = target_id(stage.start).unwrap_or_else(|| new_exit(&stage.name, &mut exit_nodes));
        stages.push(StageMap { name: stage.name.clone(), start, problems });
    }
    let start = target_id(graph.start).unwrap_or_else(|| new_exit("", &mut exit_nodes));
    nodes.extend(exit_nodes);

    let mut goals = Vec::new();
    let mut entry = "no entry".to_owned();
    let mut audience = false;
    let mut reentry = String::new();
    for member in tree.map(|t| t.members.as_slice()).unwrap_or_default() {
        match member {
            JourneyMember::Goal { name, event, within, .. } => goals.push(Goal {
                name: name.name.clone(),
                event: event.name.clone(),
                within: format_duration(within.secs),
            }),
            JourneyMember::Audience { .. } => audience = true,
            JourneyMember::Reentry { after, .. } => {
                reentry = after.as_ref().map_or_else(
                    || "reentry never".to_owned(),
                    |after| format!("reentry after {}", format_duration(after.secs)),
                );
            }
            // Entries and exits are read from the graph, which has them resolved.
            _ => {}
        }
    }
    if let Some(event) = &graph.entry_event {
        entry = format!("entry on {event}");
        if graph.entry_condition.is_some() {
            entry.push_str(" where ...");
        }
    } else if let Some(segment) = &graph.entry_segment {
        entry = format!("entry when joins {segment}");
    } else if graph.entry_schedule.is_some() {
        entry = "entry on a schedule".to_owned();
    }
    let mut exit_conditions: Vec<String> = graph.exit_on.iter().map(|event| format!("exit on {event}")).collect();
    exit_conditions.extend(graph.exit_leaves.iter().map(|segment| format!("exit when leaves {segment}")));

    JourneyMap {
        name: graph.journey.clone(),
        at: at(graph.file, graph.span.start),
        entry,
        audience,
        goals,
        exits: exit_conditions,
        reentry,
        start,
        stages,
        nodes,
        edges,
        problems,
    }
}

fn title_of(node: &journey_compiler::flow::graph::Node) -> String {
    // `describe_node` is the checker's own wording (`remind.1 (wait 1h)`): the part in
    // parentheses, without the id the card shows anyway.
    let described = describe_node(node);
    described
        .strip_prefix(node.id.as_str())
        .and_then(|rest| rest.trim_start().strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .map_or(described.clone(), str::to_owned)
}

fn send_card(
    graph: &Graph,
    node: &str,
    message: &str,
    kind: &NodeKind,
    evidence: &BTreeMap<(&str, &str), &SendEvidence>,
    preview: &dyn Fn(&str) -> String,
    model: &journey_compiler::model::Model,
) -> SendCard {
    let record = evidence.get(&(graph.journey.as_str(), node)).copied();
    let declared = model.messages.get(message);
    let (channel, category) = match (record, declared, kind) {
        (Some(e), _, _) => (e.channel.clone(), e.category.clone()),
        (None, Some(m), _) => (m.channel.clone(), m.category.clone()),
        (None, None, NodeKind::ConsentRequest { channel, category, .. }) => (channel.clone(), category.clone()),
        (None, None, _) => (String::new(), String::new()),
    };
    SendCard {
        message: message.to_owned(),
        channel,
        category,
        preview: preview(message),
        record: record.map(record_of),
    }
}

fn record_of(e: &SendEvidence) -> Record {
    let window = match (e.window_max_secs, e.window_secs) {
        (_, None) if e.windows.is_empty() => "no window".to_owned(),
        (Some(max), Some(window)) => format!(
            "at most {} since the contact's last message (window {})",
            format_duration(max),
            format_duration(window)
        ),
        (Some(max), None) => format!("at most {} since the contact's last message", format_duration(max)),
        (None, Some(window)) => format!("unbounded (window {})", format_duration(window)),
        (None, None) => "unbounded".to_owned(),
    };
    Record {
        consent: e.consent.clone(),
        granted_by: e.granted_by.iter().map(|(node, message)| format!("{node} (request consent, {message})")).collect(),
        window,
        form: e.form.clone(),
        quiet_hours: e.quiet_hours.clone(),
        frequency: e.frequency.clone(),
    }
}

fn problem(d: &Diagnostic, ids: Option<&BTreeSet<&str>>, at: &dyn Fn(FileId, u32) -> String) -> Problem {
    let witness = ids.map(|ids| witness_of(d, ids)).unwrap_or_default();
    Problem {
        code: d.code.as_str().to_owned(),
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
        .to_owned(),
        message: d.message.clone(),
        at: at(d.primary.file, d.primary.span.start),
        text: d.full_text(),
        witness,
    }
}

/// The node ids of the first path a diagnostic's notes print (`path: entry -> a.1 (...) -[then]->
/// a.2 (...)`, `path without consent: ...`), kept only where they are nodes of the journey.
pub fn witness_of(d: &Diagnostic, ids: &BTreeSet<&str>) -> Vec<String> {
    for note in &d.notes {
        let Some((head, path)) = note.split_once(": ") else { continue };
        if !head.starts_with("path") || !path.starts_with("entry") {
            continue;
        }
        return path
            .split("->")
            .skip(1)
            .filter_map(|step| step.split_whitespace().next())
            .filter(|id| ids.contains(id))
            .map(str::to_owned)
            .collect();
    }
    Vec::new()
}

/// The texts a contact reads, fields shown as `{name}`, joined and cut to [`PREVIEW_CHARS`].
fn preview_of(message: &ast::Message) -> String {
    let mut parts: Vec<String> = message
        .elements
        .iter()
        .filter_map(|element| match element {
            Element::Template { name, .. } => Some(format!("template \"{}\"", name.value)),
            _ => None,
        })
        .collect();
    parts.extend(
        message
            .texts()
            .filter(|(role, _)| matches!(role, TextRole::Subject | TextRole::Text | TextRole::Title | TextRole::Reply))
            .map(|(role, text)| match role {
                TextRole::Reply => format!("[{}]", written(text)),
                _ => written(text),
            }),
    );
    let joined = parts.join(" ");
    if joined.chars().count() <= PREVIEW_CHARS {
        return joined;
    }
    let mut cut: String = joined.chars().take(PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn written(text: &Template) -> String {
    text.parts
        .iter()
        .map(|part| match part {
            TemplatePart::Literal(literal) => literal.clone(),
            TemplatePart::Field { path, .. } => {
                let names: Vec<&str> = path.segments.iter().map(|s| s.name.as_str()).collect();
                format!("{{{}}}", names.join("."))
            }
        })
        .collect()
}

fn lifecycle(journeys: &[JourneyMap]) -> Lifecycle {
    let channels: BTreeSet<&str> =
        journeys.iter().flat_map(|j| &j.nodes).filter_map(|n| n.send.as_ref()).map(|s| s.channel.as_str()).collect();
    let channels: Vec<String> = channels.into_iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    for journey in journeys {
        for stage in &journey.stages {
            let cells = channels
                .iter()
                .map(|channel| {
                    let mut sent: Vec<String> = Vec::new();
                    for node in journey.nodes.iter().filter(|n| n.stage == stage.name) {
                        if let Some(send) = node.send.as_ref().filter(|s| &s.channel == channel) {
                            if !sent.contains(&send.message) {
                                sent.push(send.message.clone());
                            }
                        }
                    }
                    sent
                })
                .collect();
            rows.push(LifecycleRow { journey: journey.name.clone(), stage: stage.name.clone(), cells });
        }
    }
    Lifecycle { channels, rows }
}
