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

use std::sync::Arc;

use crate::ast::{self, ArmLabel, JourneyMember, Step, StepKind};
use crate::model::{Def, SymbolKind};
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
        /// Which asking of the question this node is: 1 for the `ask` itself, 2 and on for its
        /// re-asks (`retries`), each a node and a send of its own; `attempts` is their number.
        attempt: u32,
        attempts: u32,
    },
    Wait {
        secs: u64,
    },
    WaitFor {
        events: Vec<String>,
        within_secs: Option<u64>,
    },
    /// `wait until 09:00 recipient` or `wait until event.appointment_at - 24h`.
    WaitUntil {
        until: WaitTarget,
    },
    /// `if` / `else if` / `else`: edges `then`, `elif1`, ..., `else` in order, with conditions.
    Branch {
        conditions: Vec<Arc<ast::Expr>>,
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
    /// `revoke consent sms marketing`: the contact no longer consents from here on.
    ConsentRevoke {
        channel: String,
        category: String,
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

/// What a `wait until` node waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitTarget {
    /// The next time (strictly after now) the clock reads `minute` (after local midnight) in
    /// `zone` (`None`: the recipient's).
    Clock { minute: u16, zone: Option<String> },
    /// A moment; already past, no wait.
    Moment(Arc<ast::Expr>),
}

/// The most a `wait until HH:MM` can last: from one reading of a clock time to the next is a
/// day, plus the longest the clocks go back in one night (a time that does not exist that day,
/// in a gap, is taken just after the gap, which is sooner).
pub const WAIT_UNTIL_CLOCK_MAX_SECS: u64 = 86_400 + super::rules::LONGEST_CLOCK_BACK_SECS;

impl NodeKind {
    /// The node kind's name in the bundle and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Send { .. } => "send",
            NodeKind::Ask { .. } => "ask",
            NodeKind::Wait { .. } => "wait",
            NodeKind::WaitFor { .. } => "wait_for",
            NodeKind::WaitUntil { .. } => "wait_until",
            NodeKind::Branch { .. } => "branch",
            NodeKind::Split { .. } => "split",
            NodeKind::Handoff { .. } => "handoff",
            NodeKind::ConsentRequest { .. } => "consent_request",
            NodeKind::ConsentRevoke { .. } => "consent_revoke",
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
    /// `entry every ...` / `entry at ...`: every contact of the audience enters at the scheduled
    /// local time. A schedule opens no messaging window and carries no consent of its own.
    pub entry_schedule: Option<ast::Schedule>,
    /// `entry when joins SEGMENT`: the segment's condition holds when the run starts (so the
    /// consent it requires holds too). Opens no window.
    pub entry_segment: Option<String>,
    /// `exit when leaves SEGMENT`, in source order.
    pub exit_leaves: Vec<String>,
    pub audience: Option<ast::Expr>,
    pub exit_on: Vec<String>,
    /// `reentry`: `None` when not declared (a contact may start again as soon as a run ends),
    /// `Some(None)` for `reentry never`, `Some(Some(secs))` for `reentry after D`.
    pub reentry: Option<Option<u64>>,
    /// `goto`s naming a stage of this journey that the checker's references do not resolve.
    /// Always empty unless the checker has a bug; the graph leads such a `goto` to the exit, so
    /// the analyses refuse to prove a journey that has one (J0413) rather than trust the graph.
    pub unresolved_gotos: Vec<Span>,
}

impl Graph {
    pub fn node(&self, index: NodeIndex) -> Option<&Node> {
        self.nodes.get(index)
    }

    pub fn edge_count(&self) -> usize {
        self.nodes.iter().map(|n| n.edges.len()).sum::<usize>() + 1
    }

    /// Predecessor lists, for backward walks: for each node, the nodes with an edge to it
    /// (once per such edge, in node order).
    pub fn predecessors(&self) -> Predecessors {
        Predecessors::new(self, |_, _| true)
    }
}

/// Predecessor lists of every node in two flat vectors (one allocation each, whatever the
/// graph's size): node `i`'s list is `nodes[start[i]..start[i + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Predecessors {
    start: Vec<usize>,
    nodes: Vec<NodeIndex>,
}

impl Predecessors {
    /// The predecessors along the edges `keep` accepts (given the node and the edge).
    pub fn new(graph: &Graph, keep: impl Fn(&Node, &Edge) -> bool) -> Predecessors {
        let targets = || {
            graph.nodes.iter().enumerate().flat_map(|(index, node)| {
                node.edges.iter().filter(|e| keep(node, e)).filter_map(move |e| match e.target {
                    Target::Node(to) => Some((index, to)),
                    Target::Exit => None,
                })
            })
        };
        // Count, then place: `start[to + 1]` counts `to`'s predecessors, then becomes an offset.
        let mut start = vec![0usize; graph.nodes.len() + 1];
        for (_, to) in targets() {
            if let Some(count) = start.get_mut(to + 1) {
                *count += 1;
            }
        }
        for i in 1..start.len() {
            let before = start.get(i - 1).copied().unwrap_or(0);
            if let Some(here) = start.get_mut(i) {
                *here += before;
            }
        }
        let mut next = start.clone();
        let mut nodes = vec![0; start.last().copied().unwrap_or(0)];
        for (from, to) in targets() {
            let Some(at) = next.get_mut(to) else { continue };
            if let Some(slot) = nodes.get_mut(*at) {
                *slot = from;
            }
            *at += 1;
        }
        Predecessors { start, nodes }
    }

    /// The predecessors of `index` (empty for an unknown node).
    pub fn of(&self, index: NodeIndex) -> &[NodeIndex] {
        match (self.start.get(index), self.start.get(index + 1)) {
            (Some(&from), Some(&to)) => self.nodes.get(from..to).unwrap_or(&[]),
            _ => &[],
        }
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
        stage_at: stages.iter().enumerate().map(|(index, stage)| (stage.name.span.start(), index)).collect(),
        stage_starts: vec![None; stages.len()],
        stage_names: stages.iter().map(|s| s.name.name.as_str()).collect(),
        unresolved_gotos: Vec::new(),
        pending_gotos: Vec::new(),
        is_relay: Vec::new(),
        exit_on: journey
            .members
            .iter()
            .filter_map(|m| match m {
                JourneyMember::ExitOn { events, .. } => Some(events.iter().map(|e| e.name.as_str())),
                _ => None,
            })
            .flatten()
            .collect(),
    };
    // Stages are built last to first, so each knows where falling off its end leads.
    let mut next_stage_start = Target::Exit;
    let mut infos = Vec::with_capacity(stages.len());
    for (index, stage) in stages.iter().enumerate().rev() {
        let name = stage.name.name.as_str();
        let start = builder.block(&stage.steps, name, IdPrefix { base: name, part: None }, next_stage_start, false);
        if let Some(slot) = builder.stage_starts.get_mut(index) {
            *slot = Some(start);
        }
        infos.push(StageInfo { name: name.to_owned(), span: stage.name.span, start });
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
        entry_schedule: None,
        entry_segment: None,
        exit_leaves: Vec::new(),
        audience: None,
        exit_on: Vec::new(),
        reentry: None,
        unresolved_gotos: std::mem::take(&mut builder.unresolved_gotos),
    };
    // Only the first `entry` counts, as in the checker (a later one is J0510): the graph, so the
    // analyses and the bundle, never holds two.
    let first_entry = journey.entries().next();
    let settings = journey.members.iter().filter(|m| m.entry_span().is_none());
    for member in settings.chain(first_entry) {
        match member {
            JourneyMember::Entry { event, condition, .. } => {
                graph.entry_event = Some(event.name.clone());
                graph.entry_condition = condition.clone();
            }
            JourneyMember::EntrySchedule { schedule, .. } => graph.entry_schedule = Some(schedule.clone()),
            JourneyMember::EntryJoins { segment, .. } => graph.entry_segment = Some(segment.name.clone()),
            JourneyMember::ExitLeaves { segment, .. } => graph.exit_leaves.push(segment.name.clone()),
            JourneyMember::Audience { condition, .. } => graph.audience = Some(condition.clone()),
            JourneyMember::Reentry { after, .. } => graph.reentry = Some(after.map(|d| d.secs)),
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

/// Stage names borrow from the journey's tree (`'j`): the builder looks them up per `goto`
/// and never needs to own them.
struct Builder<'m, 'j> {
    model: &'m crate::model::Model,
    file: FileId,
    nodes: Vec<Node>,
    /// Stage positions (where each stage's name starts, in source order) to stages: a `goto`
    /// leads to the stage the checker resolved it to (`Model::references`), so a name declared
    /// twice (J0209) means its first declaration here as everywhere.
    stage_at: Vec<(usize, usize)>,
    /// Per stage: where it starts, once it is built.
    stage_starts: Vec<Option<Target>>,
    /// (node, edge index, stage): `goto`s, resolved once every stage is built (`None`: no
    /// stage has the name).
    pending_gotos: Vec<(NodeIndex, usize, Option<usize>)>,
    /// Per node: a relay standing for a `goto` to an earlier stage; removed once targets are
    /// known.
    is_relay: Vec<bool>,
    /// The events the journey exits on (`exit on`).
    exit_on: Vec<&'j str>,
    /// The journey's stage names, and the `goto`s naming one of them that the checker's
    /// references do not resolve (see [`Graph::unresolved_gotos`]).
    stage_names: Vec<&'j str>,
    unresolved_gotos: Vec<Span>,
}

/// Where a step's continuation leads before gotos are known.
enum Continue<'j> {
    To(Target),
    /// A `goto`: the stage name, then the span of the step.
    Goto(&'j ast::Ident, Span),
    Exit,
}

impl<'j> Builder<'_, 'j> {
    /// Builds `steps` so that the block continues to `after`; returns the block's start.
    /// Steps are built last to first, so each knows its successor. Recursion follows block
    /// nesting, which the parser bounds.
    fn block(
        &mut self,
        steps: &'j [Step],
        stage: &str,
        prefix: IdPrefix<'_>,
        after: Target,
        in_handoff: bool,
    ) -> Target {
        let mut next = after;
        // A `goto` or `exit` ends the block: steps after it are unreachable but still built
        // (for their diagnostics), continuing to where the block would have gone.
        for (index, step) in steps.iter().enumerate().rev() {
            let id = child_id(prefix.base, prefix.part, index + 1);
            next = match self.step(step, stage, id, next, in_handoff) {
                Continue::To(target) => target,
                Continue::Goto(name, span) => self.jump_target(name, span, stage),
                Continue::Exit => Target::Exit,
            };
        }
        next
    }

    /// The stage a `goto` naming the stage at `name` leads to, as the checker resolved it; `None`
    /// for a name no stage has (J0205).
    fn resolved_stage(&self, name: Span) -> Option<usize> {
        let at = Def { file: self.file, span: name };
        let references = &self.model.references;
        let first = references.partition_point(|r| r.at < at);
        let target =
            references.get(first..)?.iter().take_while(|r| r.at == at).find(|r| r.kind == SymbolKind::Stage)?;
        let found = self.stage_at.binary_search_by_key(&target.target.span.start(), |(start, _)| *start).ok()?;
        self.stage_at.get(found).map(|(_, index)| *index)
    }

    /// Where a `goto` leads. Stages are built last to first, so a jump to a later stage is
    /// known now; a jump to an earlier one (a loop) gets a relay node whose edge is patched in
    /// `resolve_gotos` and which `into_source_order` removes, pointing its users at the stage.
    fn jump_target(&mut self, name: &ast::Ident, span: Span, stage: &str) -> Target {
        let index = self.resolved_stage(name.span);
        if index.is_none() && self.stage_names.contains(&name.name.as_str()) {
            // The journey has the stage but the checker recorded no reference to it: the graph
            // would end here and hide every step of that stage from the analyses.
            self.unresolved_gotos.push(name.span);
        }
        if let Some(target) = index.and_then(|i| self.stage_starts.get(i).copied().flatten()) {
            return target;
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
        self.pending_gotos.push((relay, 0, index));
        if let Some(flag) = self.is_relay.get_mut(relay) {
            *flag = true;
        }
        Target::Node(relay)
    }

    fn push(&mut self, node: Node) -> NodeIndex {
        self.nodes.push(node);
        self.is_relay.push(false);
        self.nodes.len() - 1
    }

    fn step(&mut self, step: &'j Step, stage: &str, id: String, next: Target, in_handoff: bool) -> Continue<'j> {
        let plain = |target: Target| vec![Edge { label: "next".into(), target, span: None }];
        let (kind, edges) = match &step.kind {
            StepKind::Goto { stage: target } => return Continue::Goto(target, step.span),
            StepKind::Exit => return Continue::Exit,
            StepKind::Send { message } => (NodeKind::Send { message: message.name.clone() }, plain(next)),
            StepKind::Wait { duration } => (NodeKind::Wait { secs: duration.secs }, plain(next)),
            StepKind::WaitUntil { until } => {
                let until = match until {
                    ast::WaitUntil::Clock { time, zone } => WaitTarget::Clock {
                        minute: time.minutes,
                        zone: match zone {
                            ast::ZoneSpec::Recipient(_) => None,
                            ast::ZoneSpec::Fixed(name) => Some(name.value.clone()),
                        },
                    },
                    ast::WaitUntil::Moment(moment) => WaitTarget::Moment(Arc::new(moment.clone())),
                };
                (NodeKind::WaitUntil { until }, plain(next))
            }
            StepKind::Tag { name } => (NodeKind::Tag { name: name.value.clone() }, plain(next)),
            StepKind::Track { name } => (NodeKind::Track { name: name.value.clone() }, plain(next)),
            StepKind::RevokeConsent { channel, category } => (
                NodeKind::ConsentRevoke { channel: channel.name.clone(), category: category.name.clone() },
                plain(next),
            ),
            StepKind::Set { target, value } => {
                let field = target.segments.last().map(|s| s.name.clone()).unwrap_or_default();
                (NodeKind::Set { field, value: value.clone() }, plain(next))
            }
            StepKind::Ask { message, retries, timeout, arms } => {
                let mut edges = self.arms(arms, stage, &id, next, in_handoff);
                let model = self.model;
                let outcomes = model.messages.get(&message.name).map_or(&[][..], |m| m.outcomes.as_slice());
                continue_unhandled(&mut edges, outcomes.iter().map(String::as_str), next);
                if timeout.is_some() {
                    continue_unhandled(&mut edges, ["timeout"].into_iter(), next);
                }
                // `other` without an arm (J0508 when there are retries) continues after the step.
                if retries.is_some() {
                    continue_unhandled(&mut edges, [crate::model::OTHER_OUTCOME].into_iter(), next);
                }
                let count = retries.map_or(0, |r| r.count);
                let edges = self.re_asks(&edges, message, *timeout, count, step.span, stage, &id, in_handoff);
                let kind = NodeKind::Ask {
                    message: message.name.clone(),
                    timeout_secs: timeout.map(|t| t.secs),
                    attempt: 1,
                    attempts: count + 1,
                };
                (kind, edges)
            }
            StepKind::WaitFor { events, within, arms } => {
                let mut edges = self.arms(arms, stage, &id, next, in_handoff);
                // Events and the timeout without an arm continue after the step.
                for event in events {
                    if !edges.iter().any(|e| e.label == event.name) {
                        edges.push(Edge { label: event.name.clone(), target: next, span: None });
                    }
                }
                if within.is_some() && !edges.iter().any(|e| e.label == "timeout") {
                    edges.push(Edge { label: "timeout".into(), target: next, span: None });
                }
                // An event the journey exits on ends the run before the step sees it
                // (docs/bundle.md §3.3): its arm is never taken. Its steps are still built, and
                // reported unreachable, but no analysis checks them.
                for edge in &mut edges {
                    if self.exit_on.iter().any(|e| *e == edge.label) {
                        edge.target = Target::Exit;
                    }
                }
                let kind = NodeKind::WaitFor {
                    events: events.iter().map(|e| e.name.clone()).collect(),
                    within_secs: within.map(|w| w.secs),
                };
                (kind, edges)
            }
            StepKind::If { branches, else_steps } => {
                let mut edges = Vec::with_capacity(branches.len() + 1);
                let mut conditions = Vec::with_capacity(branches.len());
                for (i, branch) in branches.iter().enumerate() {
                    let label = if i == 0 { "then".to_owned() } else { format!("elif{i}") };
                    let start =
                        self.block(&branch.steps, stage, IdPrefix { base: &id, part: Some(&label) }, next, in_handoff);
                    edges.push(Edge { label, target: start, span: None });
                    conditions.push(Arc::clone(&branch.condition));
                }
                let otherwise = match else_steps {
                    Some(steps) => {
                        self.block(steps, stage, IdPrefix { base: &id, part: Some("else") }, next, in_handoff)
                    }
                    None => next,
                };
                edges.push(Edge { label: "else".into(), target: otherwise, span: None });
                (NodeKind::Branch { conditions }, edges)
            }
            StepKind::Split { arms } => {
                let shares = arms
                    .iter()
                    .map(|arm| match arm.label {
                        ArmLabel::Percent { value, .. } => value,
                        ArmLabel::Outcome(_) => None,
                    })
                    .collect();
                let edges = self.arms(arms, stage, &id, next, in_handoff);
                (NodeKind::Split { shares }, edges)
            }
            StepKind::Handoff { team, timeout, arms } => {
                // A human answers in every arm but `timeout`: there no agent took the
                // conversation and automation sends (HUMAN_AGENT is for agents only, MSGR-TAG-HA).
                let mut edges = self.arms_where(arms, stage, &id, next, |label| in_handoff || label != "timeout");
                continue_unhandled(&mut edges, ["resolved"].into_iter(), next);
                if timeout.is_some() {
                    continue_unhandled(&mut edges, ["timeout"].into_iter(), next);
                }
                (NodeKind::Handoff { team: team.value.clone(), timeout_secs: timeout.map(|t| t.secs) }, edges)
            }
            StepKind::RequestConsent { channel, category, message, timeout, arms } => {
                let mut edges = self.arms(arms, stage, &id, next, in_handoff);
                continue_unhandled(&mut edges, ["granted", "declined"].into_iter(), next);
                if timeout.is_some() {
                    continue_unhandled(&mut edges, ["timeout"].into_iter(), next);
                }
                let kind = NodeKind::ConsentRequest {
                    channel: channel.name.clone(),
                    category: category.name.clone(),
                    message: message.name.clone(),
                    timeout_secs: timeout.map(|t| t.secs),
                };
                (kind, edges)
            }
        };
        let node = Node { id, stage: stage.to_owned(), kind, edges, file: self.file, span: step.span, in_handoff };
        Continue::To(Target::Node(self.push(node)))
    }

    /// The re-asks of an `ask` with `retries count`, unrolled: re-ask `k` (id `ID.retryK`) is
    /// an ask node of its own with the same edges, except that `other` (an answer that matches no
    /// reply) leads to re-ask `k + 1`, and from the last re-ask to where `other` led. Every re-ask
    /// is thus a send on every path that takes it, seen by every analysis, and the count bounds
    /// the unrolling ([`crate::limits::MAX_ASK_RETRIES`]). Returns the first ask's edges. Re-asks
    /// are pushed first to last, so node order follows the order in which they are asked.
    #[allow(clippy::too_many_arguments)]
    fn re_asks(
        &mut self,
        edges: &[Edge],
        message: &ast::Ident,
        timeout: Option<ast::Duration>,
        count: u32,
        span: Span,
        stage: &str,
        id: &str,
        in_handoff: bool,
    ) -> Vec<Edge> {
        let other = crate::model::OTHER_OUTCOME;
        // Assigned rather than a struct update: cargo-mutants 27.1.0's field-deletion mutant of
        // `Edge { target, ..e }` ignores `--re`, and would slip into tools/mutants-sample.sh's set.
        let with_other = |to: Target| -> Vec<Edge> {
            let redirect = |e: &Edge| {
                let mut e = e.clone();
                if e.label == other {
                    e.target = to;
                }
                e
            };
            edges.iter().map(redirect).collect()
        };
        if count == 0 {
            return edges.to_vec();
        }
        let first = self.nodes.len();
        let last_other = edges.iter().find(|e| e.label == other).map(|e| e.target);
        for (k, after) in (1..=count).zip(first + 1..) {
            let to = if k < count { Target::Node(after) } else { last_other.unwrap_or(Target::Exit) };
            let node = Node {
                id: format!("{id}.retry{k}"),
                stage: stage.to_owned(),
                kind: NodeKind::Ask {
                    message: message.name.clone(),
                    timeout_secs: timeout.map(|t| t.secs),
                    attempt: k + 1,
                    attempts: count + 1,
                },
                edges: with_other(to),
                file: self.file,
                span,
                in_handoff,
            };
            self.push(node);
        }
        with_other(Target::Node(first))
    }

    /// One edge per arm, in source order; arm ids use the outcome, or `p1`, `p2` for shares.
    fn arms(&mut self, arms: &'j [ast::Arm], stage: &str, id: &str, next: Target, in_handoff: bool) -> Vec<Edge> {
        self.arms_where(arms, stage, id, next, |_| in_handoff)
    }

    /// [`Builder::arms`], with whether each arm (by its label) is inside a handoff.
    fn arms_where(
        &mut self,
        arms: &'j [ast::Arm],
        stage: &str,
        id: &str,
        next: Target,
        in_handoff: impl Fn(&str) -> bool,
    ) -> Vec<Edge> {
        let mut edges = Vec::with_capacity(arms.len());
        for (i, arm) in arms.iter().enumerate() {
            let (label, key) = match &arm.label {
                ArmLabel::Outcome(outcome) => (outcome.name.clone(), outcome.name.clone()),
                ArmLabel::Percent { value, .. } => {
                    (value.map_or_else(|| format!("p{}", i + 1), |v| format!("{v}%")), format!("p{}", i + 1))
                }
            };
            let human = in_handoff(&label);
            let start = self.block(&arm.steps, stage, IdPrefix { base: id, part: Some(&key) }, next, human);
            edges.push(Edge { label, target: start, span: Some(arm.span) });
        }
        edges
    }

    fn resolve_gotos(&mut self) {
        for (node, edge, stage) in std::mem::take(&mut self.pending_gotos) {
            let target = stage.and_then(|i| self.stage_starts.get(i).copied().flatten()).unwrap_or(Target::Exit);
            if let Some(edge) = self.nodes.get_mut(node).and_then(|n| n.edges.get_mut(edge)) {
                edge.target = target;
            }
        }
    }

    /// Removes goto relays (pointing their users at the relays' targets) and orders nodes by
    /// source position, so node indices follow the source. Nodes are moved, not copied: the
    /// builder's list is consumed.
    fn into_source_order(self, starts: &mut [&mut Target]) -> Vec<Node> {
        let Builder { nodes, is_relay, .. } = self;
        // Where each relay leads, read before the nodes are moved out.
        let relay_next: Vec<Option<Target>> = nodes
            .iter()
            .zip(&is_relay)
            .map(|(node, relay)| relay.then(|| node.edges.first().map_or(Target::Exit, |e| e.target)))
            .collect();
        // Follow relay chains (a relay may point at a stage starting with a relay), bounded by
        // the node count so a `goto` cycle with no steps in between cannot loop forever.
        let resolve = |mut target: Target| {
            for _ in 0..=relay_next.len() {
                match target {
                    Target::Node(i) => match relay_next.get(i) {
                        Some(Some(next)) => target = *next,
                        _ => return target,
                    },
                    Target::Exit => return target,
                }
            }
            Target::Exit
        };
        // By source position, then id length (a step before the steps nested in it); the index
        // last makes every key distinct, so the order is that of a stable sort.
        let mut keyed: Vec<(u32, usize, NodeIndex)> = nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| is_relay.get(*i) == Some(&false))
            .map(|(i, n)| (n.span.start, n.id.len(), i))
            .collect();
        keyed.sort_unstable();
        let order: Vec<NodeIndex> = keyed.into_iter().map(|(_, _, i)| i).collect();
        let mut new_index = vec![usize::MAX; nodes.len()];
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
        let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
        order
            .iter()
            .filter_map(|old| slots.get_mut(*old).and_then(Option::take))
            .map(|mut node| {
                for edge in &mut node.edges {
                    edge.target = remap(edge.target);
                }
                node
            })
            .collect()
    }
}

/// What the ids of a block's steps start with: `base`, then `.part` if given (`awareness`,
/// `decision.1` and `then`). Kept in pieces, so a block without steps of its own (an arm that
/// only says `goto`) costs no string.
#[derive(Debug, Clone, Copy)]
struct IdPrefix<'p> {
    base: &'p str,
    part: Option<&'p str>,
}

/// A node id: `prefix`, then `.part` if given, then `.n` when `n` is not 0 (`awareness.1`,
/// `decision.1.then.2`). Written by hand: this runs for every node, and the formatting
/// machinery costs several times more.
fn child_id(prefix: &str, part: Option<&str>, n: usize) -> String {
    let mut id = String::with_capacity(prefix.len() + part.map_or(0, str::len) + 8);
    id.push_str(prefix);
    if let Some(part) = part {
        id.push('.');
        id.push_str(part);
    }
    if n > 0 {
        id.push('.');
        let mut divisor = 1;
        while divisor <= n / 10 {
            divisor *= 10;
        }
        loop {
            let digit = u32::try_from(n / divisor % 10).unwrap_or(0);
            id.push(char::from_digit(digit, 10).unwrap_or('0'));
            if divisor == 1 {
                break;
            }
            divisor /= 10;
        }
    }
    id
}

/// Outcomes without an arm continue after the step: one edge each, in the given order.
fn continue_unhandled<'a>(edges: &mut Vec<Edge>, outcomes: impl Iterator<Item = &'a str>, next: Target) {
    for outcome in outcomes {
        if !edges.iter().any(|e| e.label == outcome) {
            edges.push(Edge { label: outcome.to_owned(), target: next, span: None });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::child_id;

    #[test]
    fn child_ids_are_the_prefix_then_the_part_then_the_position() {
        assert_eq!(child_id("awareness", None, 1), "awareness.1");
        assert_eq!(child_id("s", None, 9), "s.9");
        assert_eq!(child_id("s", None, 10), "s.10");
        assert_eq!(child_id("s", None, 101), "s.101");
        assert_eq!(child_id("s", None, 12_345), "s.12345");
        assert_eq!(child_id("decision.1", Some("then"), 0), "decision.1.then");
        assert_eq!(child_id("d.1", Some("cart_abandoned"), 2), "d.1.cart_abandoned.2");
        for n in [1, 7, 10, 99, 100, 1_000, 65_536, 1_000_000] {
            assert_eq!(child_id("x", None, n), format!("x.{n}"));
        }
    }
}
