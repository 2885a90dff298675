//! The flow-graph IR: one graph per journey, the single input of every analysis and of the
//! bundle, so that what is checked is what ships.
//!
//! Nodes are the steps that do something (send, ask, wait, wait for, branch, split, handoff,
//! consent request, set, tag, track). `goto` and `exit` are not nodes: they are where edges
//! point ([`Target::Node`] of the stage's first node, or [`Target::Exit`]). Edges carry the
//! outcome that takes them (`next`, `running`, `timeout`, `then`, `else`, `50%`, ...).
//!
//! Node ids are derived from stage and position, never from a counter over the whole file:
//! `awareness.1` is the first step of stage `awareness`, `awareness.1.hiking.1` the first step
//! of its `hiking` arm, `decision.1.cart_abandoned.2.then.1` deeper still. A one-line edit
//! changes the ids of that stage's later steps only, so bundles diff well.

use std::collections::BTreeMap;

use crate::ast::{self, ArmLabel, JourneyMember, Step, StepKind};
use crate::span::{FileId, Span};

pub type NodeIndex = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Node(NodeIndex),
    /// The contact leaves the journey (an `exit` step, or the end of the last stage).
    Exit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// `next` for plain sequencing; otherwise the outcome (`timeout`, `running`, `then`, ...).
    pub label: String,
    pub target: Target,
    /// Where the edge was written, for a `goto` or `exit` (else the span of its node).
    pub span: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Send {
        message: String,
    },
    Ask {
        message: String,
        timeout_secs: Option<u64>,
    },
    Wait {
        secs: u64,
    },
    WaitFor {
        events: Vec<String>,
        within_secs: Option<u64>,
    },
    /// `if` / `else if` / `else`: edges `then`, `elif1`, ..., `else` in order, with conditions.
    Branch {
        conditions: Vec<ast::Expr>,
    },
    Split {
        shares: Vec<Option<u32>>,
    },
    Handoff {
        team: String,
        timeout_secs: Option<u64>,
    },
    ConsentRequest {
        channel: String,
        category: String,
        message: String,
        timeout_secs: Option<u64>,
    },
    Set {
        field: String,
        value: ast::Expr,
    },
    Tag {
        name: String,
    },
    Track {
        name: String,
    },
}

impl NodeKind {
    /// The node kind's name in the bundle and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Send { .. } => "send",
            NodeKind::Ask { .. } => "ask",
            NodeKind::Wait { .. } => "wait",
            NodeKind::WaitFor { .. } => "wait_for",
            NodeKind::Branch { .. } => "branch",
            NodeKind::Split { .. } => "split",
            NodeKind::Handoff { .. } => "handoff",
            NodeKind::ConsentRequest { .. } => "consent_request",
            NodeKind::Set { .. } => "set",
            NodeKind::Tag { .. } => "tag",
            NodeKind::Track { .. } => "track",
        }
    }

    /// The message this node sends, if it sends one.
    pub fn sent_message(&self) -> Option<&str> {
        match self {
            NodeKind::Send { message } | NodeKind::Ask { message, .. } | NodeKind::ConsentRequest { message, .. } => {
                Some(message)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Stable id: `stage.position[.arm.position...]`.
    pub id: String,
    pub stage: String,
    pub kind: NodeKind,
    pub edges: Vec<Edge>,
    pub file: FileId,
    pub span: Span,
    /// Inside a `handoff` arm: a human is in the conversation (for HUMAN_AGENT, MSGR-TAG-HA).
    pub in_handoff: bool,
}

/// A stage: its name, where it is declared, and its first node (or where an empty stage leads).
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    pub name: String,
    pub span: Span,
    pub start: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub journey: String,
    pub file: FileId,
    pub span: Span,
    pub nodes: Vec<Node>,
    pub stages: Vec<StageInfo>,
    /// Where a contact entering the journey starts.
    pub start: Target,
    pub entry_event: Option<String>,
    pub entry_condition: Option<ast::Expr>,
    pub audience: Option<ast::Expr>,
    pub exit_on: Vec<String>,
}

impl Graph {
    pub fn node(&self, index: NodeIndex) -> Option<&Node> {
        self.nodes.get(index)
    }

    pub fn edge_count(&self) -> usize {
        self.nodes.iter().map(|n| n.edges.len()).sum::<usize>() + 1
    }

    /// Predecessor lists, for backward walks.
    pub fn predecessors(&self) -> Vec<Vec<NodeIndex>> {
        let mut preds = vec![Vec::new(); self.nodes.len()];
        for (index, node) in self.nodes.iter().enumerate() {
            for edge in &node.edges {
                if let Target::Node(to) = edge.target {
                    if let Some(list) = preds.get_mut(to) {
                        list.push(index);
                    }
                }
            }
        }
        preds
    }
}

/// Builds the graph of one journey. Unknown stage names in `goto` (already reported as J0205)
/// lead to `Exit`, so the graph is always well formed.
pub fn build(journey: &ast::Journey, file: FileId, model: &crate::model::Model) -> Graph {
    let stages: Vec<&ast::Stage> = journey.stages().collect();
    let mut builder = Builder {
        model,
        file,
        nodes: Vec::new(),
        stage_starts: BTreeMap::new(),
        pending_gotos: Vec::new(),
        relays: std::collections::BTreeSet::new(),
    };
    // Stages are built last to first, so each knows where falling off its end leads.
    let mut next_stage_start = Target::Exit;
    let mut infos = Vec::with_capacity(stages.len());
    for stage in stages.iter().rev() {
        let start = builder.block(&stage.steps, &stage.name.name, &stage.name.name, next_stage_start, false);
        builder.stage_starts.entry(stage.name.name.clone()).or_insert(start);
        infos.push(StageInfo { name: stage.name.name.clone(), span: stage.name.span, start });
        next_stage_start = start;
    }
    infos.reverse();
    builder.resolve_gotos();
    let mut graph = Graph {
        journey: journey.name.name.clone(),
        file,
        span: journey.name.span,
        nodes: Vec::new(),
        stages: infos,
        start: next_stage_start,
        entry_event: None,
        entry_condition: None,
        audience: None,
        exit_on: Vec::new(),
    };
    for member in &journey.members {
        match member {
            JourneyMember::Entry { event, condition, .. } => {
                graph.entry_event = Some(event.name.clone());
                graph.entry_condition = condition.clone();
            }
            JourneyMember::Audience { condition, .. } => graph.audience = Some(condition.clone()),
            JourneyMember::ExitOn { events, .. } => graph.exit_on.extend(events.iter().map(|e| e.name.clone())),
            _ => {}
        }
    }
    let mut starts: Vec<&mut Target> = Vec::new();
    let Graph { start, stages, .. } = &mut graph;
    starts.push(start);
    for stage in stages.iter_mut() {
        starts.push(&mut stage.start);
    }
    let nodes = builder.into_source_order(&mut starts);
    graph.nodes = nodes;
    graph
}

struct Builder<'m> {
    model: &'m crate::model::Model,
    file: FileId,
    nodes: Vec<Node>,
    stage_starts: BTreeMap<String, Target>,
    /// (node, edge index, stage name): `goto`s, resolved once every stage is built.
    pending_gotos: Vec<(NodeIndex, usize, String)>,
    /// Relay nodes standing for a `goto` to an earlier stage; removed once targets are known.
    relays: std::collections::BTreeSet<NodeIndex>,
}

/// Where a step's continuation leads before gotos are known.
enum Continue {
    To(Target),
    Goto(String, Span),
    Exit,
}

impl Builder<'_> {
    /// Builds `steps` so that the block continues to `after`; returns the block's start.
    /// Steps are built last to first, so each knows its successor. Recursion follows block
    /// nesting, which the parser bounds.
    fn block(&mut self, steps: &[Step], stage: &str, prefix: &str, after: Target, in_handoff: bool) -> Target {
        let mut next = after;
        // A `goto` or `exit` ends the block: steps after it are unreachable but still built
        // (for their diagnostics), continuing to where the block would have gone.
        let mut positions: Vec<(usize, &Step)> = steps.iter().enumerate().collect();
        positions.reverse();
        for (index, step) in positions {
            let id = format!("{prefix}.{}", index + 1);
            next = match self.step(step, stage, &id, next, in_handoff) {
                Continue::To(target) => target,
                Continue::Goto(name, span) => self.jump_target(&name, span, stage),
                Continue::Exit => Target::Exit,
            };
        }
        next
    }

    /// Where a `goto` leads. Stages are built last to first, so a jump to a later stage is
    /// known now; a jump to an earlier one (a loop) gets a relay node whose edge is patched in
    /// `resolve_gotos` and which `into_source_order` removes, pointing its users at the stage.
    fn jump_target(&mut self, name: &str, span: Span, stage: &str) -> Target {
        if let Some(target) = self.stage_starts.get(name) {
            return *target;
        }
        let relay = self.push(Node {
            id: String::new(),
            stage: stage.to_owned(),
            kind: NodeKind::Track { name: String::new() },
            edges: vec![Edge { label: "next".into(), target: Target::Exit, span: Some(span) }],
            file: self.file,
            span,
            in_handoff: false,
        });
        self.pending_gotos.push((relay, 0, name.to_owned()));
        self.relays.insert(relay);
        Target::Node(relay)
    }

    fn push(&mut self, node: Node) -> NodeIndex {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn step(&mut self, step: &Step, stage: &str, id: &str, next: Target, in_handoff: bool) -> Continue {
        let file = self.file;
        let node = |kind: NodeKind, edges: Vec<Edge>| Node {
            id: id.to_owned(),
            stage: stage.to_owned(),
            kind,
            edges,
            file,
            span: step.span,
            in_handoff,
        };
        let plain = |target: Target| vec![Edge { label: "next".into(), target, span: None }];
        let made = match &step.kind {
            StepKind::Goto { stage: target } => return Continue::Goto(target.name.clone(), step.span),
            StepKind::Exit => return Continue::Exit,
            StepKind::Send { message } => node(NodeKind::Send { message: message.name.clone() }, plain(next)),
            StepKind::Wait { duration } => node(NodeKind::Wait { secs: duration.secs }, plain(next)),
            StepKind::Tag { name } => node(NodeKind::Tag { name: name.value.clone() }, plain(next)),
            StepKind::Track { name } => node(NodeKind::Track { name: name.value.clone() }, plain(next)),
            StepKind::Set { target, value } => {
                let field = target.segments.last().map(|s| s.name.clone()).unwrap_or_default();
                node(NodeKind::Set { field, value: value.clone() }, plain(next))
            }
            StepKind::Ask { message, timeout, arms } => {
                let mut edges = self.arms(arms, stage, id, next, in_handoff);
                let outcomes = self.model.messages.get(&message.name).map(|m| m.outcomes.clone()).unwrap_or_default();
                continue_unhandled(&mut edges, outcomes.iter().map(String::as_str), next);
                if timeout.is_some() {
                    continue_unhandled(&mut edges, ["timeout"].into_iter(), next);
                }
                node(NodeKind::Ask { message: message.name.clone(), timeout_secs: timeout.map(|t| t.secs) }, edges)
            }
            StepKind::WaitFor { events, within, arms } => {
                let mut edges = self.arms(arms, stage, id, next, in_handoff);
                // Events and the timeout without an arm continue after the step.
                for event in events {
                    if !edges.iter().any(|e| e.label == event.name) {
                        edges.push(Edge { label: event.name.clone(), target: next, span: None });
                    }
                }
                if within.is_some() && !edges.iter().any(|e| e.label == "timeout") {
                    edges.push(Edge { label: "timeout".into(), target: next, span: None });
                }
                node(
                    NodeKind::WaitFor {
                        events: events.iter().map(|e| e.name.clone()).collect(),
                        within_secs: within.map(|w| w.secs),
                    },
                    edges,
                )
            }
            StepKind::If { branches, else_steps } => {
                let mut edges = Vec::new();
                let mut conditions = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    let label = if i == 0 { "then".to_owned() } else { format!("elif{i}") };
                    let start = self.block(&branch.steps, stage, &format!("{id}.{label}"), next, in_handoff);
                    edges.push(Edge { label, target: start, span: None });
                    conditions.push(branch.condition.clone());
                }
                let otherwise = match else_steps {
                    Some(steps) => self.block(steps, stage, &format!("{id}.else"), next, in_handoff),
                    None => next,
                };
                edges.push(Edge { label: "else".into(), target: otherwise, span: None });
                node(NodeKind::Branch { conditions }, edges)
            }
            StepKind::Split { arms } => {
                let shares = arms
                    .iter()
                    .map(|arm| match arm.label {
                        ArmLabel::Percent { value, .. } => value,
                        ArmLabel::Outcome(_) => None,
                    })
                    .collect();
                let edges = self.arms(arms, stage, id, next, in_handoff);
                node(NodeKind::Split { shares }, edges)
            }
            StepKind::Handoff { team, timeout, arms } => {
                let mut edges = self.arms(arms, stage, id, next, true);
                continue_unhandled(&mut edges, ["resolved"].into_iter(), next);
                if timeout.is_some() {
                    continue_unhandled(&mut edges, ["timeout"].into_iter(), next);
                }
                node(NodeKind::Handoff { team: team.value.clone(), timeout_secs: timeout.map(|t| t.secs) }, edges)
            }
            StepKind::RequestConsent { channel, category, message, timeout, arms } => {
                let mut edges = self.arms(arms, stage, id, next, in_handoff);
                continue_unhandled(&mut edges, ["granted", "declined"].into_iter(), next);
                if timeout.is_some() {
                    continue_unhandled(&mut edges, ["timeout"].into_iter(), next);
                }
                node(
                    NodeKind::ConsentRequest {
                        channel: channel.name.clone(),
                        category: category.name.clone(),
                        message: message.name.clone(),
                        timeout_secs: timeout.map(|t| t.secs),
                    },
                    edges,
                )
            }
        };
        Continue::To(Target::Node(self.push(made)))
    }

    /// One edge per arm, in source order; arm ids use the outcome, or `p1`, `p2` for shares.
    fn arms(&mut self, arms: &[ast::Arm], stage: &str, id: &str, next: Target, in_handoff: bool) -> Vec<Edge> {
        let mut edges = Vec::with_capacity(arms.len());
        for (i, arm) in arms.iter().enumerate() {
            let (label, key) = match &arm.label {
                ArmLabel::Outcome(outcome) => (outcome.name.clone(), outcome.name.clone()),
                ArmLabel::Percent { value, .. } => {
                    (value.map_or_else(|| format!("p{}", i + 1), |v| format!("{v}%")), format!("p{}", i + 1))
                }
            };
            let start = self.block(&arm.steps, stage, &format!("{id}.{key}"), next, in_handoff);
            edges.push(Edge { label, target: start, span: Some(arm.span) });
        }
        edges
    }

    fn resolve_gotos(&mut self) {
        for (node, edge, name) in std::mem::take(&mut self.pending_gotos) {
            let target = self.stage_starts.get(&name).copied().unwrap_or(Target::Exit);
            if let Some(edge) = self.nodes.get_mut(node).and_then(|n| n.edges.get_mut(edge)) {
                edge.target = target;
            }
        }
    }

    /// Removes goto relays (pointing their users at the relays' targets) and orders nodes by
    /// source position, so node indices follow the source.
    fn into_source_order(self, starts: &mut [&mut Target]) -> Vec<Node> {
        // Follow relay chains (a relay may point at a stage starting with a relay), bounded by
        // the node count so a `goto` cycle with no steps in between cannot loop forever.
        let resolve = |mut target: Target| {
            for _ in 0..=self.nodes.len() {
                match target {
                    Target::Node(i) => match self.nodes.get(i) {
                        Some(node) if self.relays.contains(&i) => {
                            target = node.edges.first().map_or(Target::Exit, |e| e.target);
                        }
                        _ => return target,
                    },
                    Target::Exit => return target,
                }
            }
            Target::Exit
        };
        let mut order: Vec<NodeIndex> = (0..self.nodes.len()).filter(|i| !self.relays.contains(i)).collect();
        order.sort_by_key(|i| self.nodes.get(*i).map(|n| (n.span.start, n.id.len())).unwrap_or_default());
        let mut new_index = vec![usize::MAX; self.nodes.len()];
        for (new, old) in order.iter().enumerate() {
            if let Some(slot) = new_index.get_mut(*old) {
                *slot = new;
            }
        }
        let remap = |target: Target| match resolve(target) {
            Target::Node(i) => new_index.get(i).map_or(Target::Exit, |n| Target::Node(*n)),
            Target::Exit => Target::Exit,
        };
        for start in starts.iter_mut() {
            **start = remap(**start);
        }
        order
            .iter()
            .filter_map(|old| self.nodes.get(*old))
            .map(|node| {
                let mut node = node.clone();
                for edge in &mut node.edges {
                    edge.target = remap(edge.target);
                }
                node
            })
            .collect()
    }
}

/// Outcomes without an arm continue after the step: one edge each, in the given order.
fn continue_unhandled<'a>(edges: &mut Vec<Edge>, outcomes: impl Iterator<Item = &'a str>, next: Target) {
    for outcome in outcomes {
        if !edges.iter().any(|e| e.label == outcome) {
            edges.push(Edge { label: outcome.to_owned(), target: next, span: None });
        }
    }
}
