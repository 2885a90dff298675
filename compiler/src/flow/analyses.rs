//! The dataflow analyses over a journey graph. Each is a [`solve::Analysis`]: a lattice, a
//! join, a widening and a transfer per node kind. See `docs/analyses.md` for the semantics.
//!
//! What a transfer needs from the model and the conditions (which message a node sends, which
//! consent facts an edge establishes, which window a reply opens) is worked out once per graph,
//! before solving, and kept as small numbers: the fixpoints then only copy and combine `Copy`
//! values, however often they visit a node.
//!
//! [`solve::Analysis`]: super::solve::Analysis

use std::collections::BTreeMap;

use super::graph::{Graph, Node, NodeIndex, NodeKind, WaitTarget, WAIT_UNTIL_CLOCK_MAX_SECS};
use super::rules;
use super::solve::Analysis;
use super::Context;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::model::Message;
use crate::weakening::{self, Weakening};

/// What each node of a graph sends, resolved against the model once (`None`: it sends
/// nothing, or a message the model does not know).
pub fn sent_messages<'a>(cx: &Context<'a>, graph: &Graph) -> Vec<Option<&'a Message>> {
    graph.nodes.iter().map(|node| node.kind.sent_message().and_then(|m| cx.model.messages.get(m))).collect()
}

/// Per-edge data of a graph, numbered node by node in edge order: where each node's edges
/// start.
struct EdgeNumbers {
    /// One entry per node, and the total at the end.
    first: Vec<usize>,
}

impl EdgeNumbers {
    fn new(graph: &Graph) -> EdgeNumbers {
        let mut first = Vec::with_capacity(graph.nodes.len() + 1);
        let mut total = 0;
        for node in &graph.nodes {
            first.push(total);
            total += node.edges.len();
        }
        first.push(total);
        EdgeNumbers { first }
    }

    fn of(&self, node: NodeIndex, edge: usize) -> Option<usize> {
        self.first.get(node).map(|first| first + edge)
    }
}

// ---------------------------------------------------------------------------------------------
// Consent: which (channel, category) consents hold on every path (a must-analysis).

/// The (channel, category) consent facts of one graph, such as `(sms, marketing)`, numbered in
/// the order they are first met. A state is a bit set over these numbers.
#[derive(Debug, Default)]
pub struct FactTable {
    ids: BTreeMap<String, BTreeMap<String, usize>>,
    count: usize,
}

impl FactTable {
    fn intern(&mut self, channel: &str, category: &str) -> usize {
        if let Some(id) = self.id(channel, category) {
            return id;
        }
        let id = self.count;
        self.ids.entry(channel.to_owned()).or_default().insert(category.to_owned(), id);
        self.count += 1;
        id
    }

    /// The number of a fact, if the graph can establish it at all.
    pub fn id(&self, channel: &str, category: &str) -> Option<usize> {
        self.ids.get(channel).and_then(|categories| categories.get(category)).copied()
    }

    /// Words of 64 bits a state needs.
    fn words(&self) -> usize {
        self.count.div_ceil(64)
    }
}

/// A set of fact numbers while conditions are read: the first 64 in a word of its own, so
/// that the usual handful of facts needs no allocation; the rest, if any, grow as needed.
#[derive(Debug, Clone, Default)]
struct FactSet {
    low: u64,
    high: Vec<u64>,
}

impl FactSet {
    fn single(id: usize) -> FactSet {
        let mut set = FactSet::default();
        set.insert(id);
        set
    }

    fn clear(&mut self) {
        self.low = 0;
        self.high.clear();
    }

    fn insert(&mut self, id: usize) {
        match id.checked_sub(64) {
            None => self.low |= 1 << id,
            Some(above) => {
                if self.high.len() <= above / 64 {
                    self.high.resize(above / 64 + 1, 0);
                }
                if let Some(word) = self.high.get_mut(above / 64) {
                    *word |= 1 << (above % 64);
                }
            }
        }
    }

    fn union_with(&mut self, other: &FactSet) {
        self.low |= other.low;
        if self.high.len() < other.high.len() {
            self.high.resize(other.high.len(), 0);
        }
        for (mine, theirs) in self.high.iter_mut().zip(&other.high) {
            *mine |= theirs;
        }
    }

    fn intersect_with(&mut self, other: &FactSet) {
        self.low &= other.low;
        self.high.truncate(other.high.len());
        for (mine, theirs) in self.high.iter_mut().zip(&other.high) {
            *mine &= theirs;
        }
    }

    /// The set as state words (`words` of them).
    fn to_words(&self, words: usize) -> Vec<u64> {
        let mut out = Vec::with_capacity(words.max(1));
        out.push(self.low);
        out.extend_from_slice(&self.high);
        out.resize(words, 0);
        out
    }

    /// The fact numbers in the set, in increasing order.
    fn ids(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.low).chain(self.high.iter().copied()).enumerate().flat_map(|(w, word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits.checked_sub(1)?;
                Some(w * 64 + bit)
            })
        })
    }
}

/// Whether fact `id` is in a state.
pub fn holds(state: &[u64], id: usize) -> bool {
    state.get(id / 64).is_some_and(|word| word & (1 << (id % 64)) != 0)
}

pub struct Consent {
    pub facts: FactTable,
    edges: EdgeNumbers,
    /// Per edge, where its facts start in `edge_fact_ids` (and the total at the end).
    edge_fact_start: Vec<usize>,
    edge_fact_ids: Vec<usize>,
    /// Per edge, where the facts it revokes start in `edge_kill_ids` (and the total at the end).
    /// An edge revokes before it establishes: a STOP and then a granted request leave consent.
    edge_kill_start: Vec<usize>,
    edge_kill_ids: Vec<usize>,
    /// The facts that hold where the journey begins: its audience and entry condition, less
    /// what its entry event revokes.
    start: FactSet,
}

/// What an edge or the entry revokes, before the fact numbers are all known.
#[derive(Debug, Clone)]
enum Revokes {
    /// Every category on the channel (an opt-out keyword on SMS, an email unsubscribe).
    Channel(String),
    /// One (channel, category): a declined consent request.
    Fact(String, String),
}

impl Consent {
    /// Reads every condition and consent request of `graph` once: the facts each edge
    /// establishes and revokes, and those its audience and entry condition imply.
    pub fn new(cx: &Context<'_>, graph: &Graph) -> Consent {
        let edges = EdgeNumbers::new(graph);
        let mut reader = FactReader {
            cx,
            facts: FactTable::default(),
            holds: Vec::new(),
            failed: Vec::new(),
            failed_before: FactSet::default(),
        };
        let edge_total = edges.first.last().map_or(0, |total| *total);
        let mut edge_fact_start = Vec::with_capacity(edge_total + 1);
        edge_fact_start.push(0);
        let mut edge_fact_ids = Vec::new();
        let mut set = FactSet::default();
        let mut revoked: Vec<(usize, Revokes)> = Vec::new();
        let mut number = 0;
        for node in &graph.nodes {
            let replies_may_opt_out = replies_may_revoke(cx, node);
            for edge in 0..node.edges.len() {
                reader.edge_facts(node, edge, &mut set);
                edge_fact_ids.extend(set.ids());
                edge_fact_start.push(edge_fact_ids.len());
                if let Some(channel) = &replies_may_opt_out {
                    revoked.push((number, Revokes::Channel(channel.clone())));
                }
                if let Some(revokes) = node.edges.get(edge).and_then(|e| edge_revokes(node, &e.label)) {
                    revoked.push((number, revokes));
                }
                number += 1;
            }
        }
        let mut start = FactSet::default();
        for condition in graph.audience.iter().chain(graph.entry_condition.iter()) {
            start.union_with(&reader.implied(condition, true, 0));
        }
        // A contact enters on joining a segment the moment its condition became true, so the
        // consents the condition requires hold where the run starts (and nothing else does:
        // joining opens no window).
        if let Some(condition) = graph.entry_segment.as_deref().and_then(|s| cx.segments.get(s)) {
            start.union_with(&reader.implied(condition, true, 0));
        }
        let facts = reader.facts;
        // Every fact is numbered now: what each revocation names can be listed.
        let ids_of = |revokes: &Revokes| -> Vec<usize> {
            match revokes {
                Revokes::Channel(channel) => {
                    facts.ids.get(channel).map(|c| c.values().copied().collect()).unwrap_or_default()
                }
                Revokes::Fact(channel, category) => facts.id(channel, category).into_iter().collect(),
            }
        };
        if let Some(revokes) = graph.entry_event.as_deref().and_then(event_revokes) {
            // The entry event revoked consent before the run began, whatever the audience said
            // when it was evaluated: a runtime may evaluate it before the revocation is stored.
            let mut kept = FactSet::default();
            let gone = ids_of(&revokes);
            for id in start.ids().filter(|id| !gone.contains(id)) {
                kept.insert(id);
            }
            start = kept;
        }
        let mut edge_kill_start = Vec::with_capacity(edge_total + 1);
        edge_kill_start.push(0);
        let mut edge_kill_ids = Vec::new();
        let mut pending = revoked.iter().peekable();
        for number in 0..edge_total {
            while let Some((_, revokes)) = pending.next_if(|(n, _)| *n == number) {
                edge_kill_ids.extend(ids_of(revokes));
            }
            edge_kill_start.push(edge_kill_ids.len());
        }
        Consent { facts, edges, edge_fact_start, edge_fact_ids, edge_kill_start, edge_kill_ids, start }
    }

    /// The state where the journey begins.
    pub fn start(&self) -> Vec<u64> {
        self.start.to_words(self.facts.words())
    }

    /// The facts taking edge `edge` of node `node` establishes.
    fn added(&self, node: NodeIndex, edge: usize) -> &[usize] {
        Self::slice(&self.edges, &self.edge_fact_start, &self.edge_fact_ids, node, edge)
    }

    /// The facts taking edge `edge` of node `node` revokes.
    fn removed(&self, node: NodeIndex, edge: usize) -> &[usize] {
        Self::slice(&self.edges, &self.edge_kill_start, &self.edge_kill_ids, node, edge)
    }

    fn slice<'s>(edges: &EdgeNumbers, start: &[usize], ids: &'s [usize], node: NodeIndex, edge: usize) -> &'s [usize] {
        let Some(number) = edges.of(node, edge) else { return &[] };
        match (start.get(number), start.get(number + 1)) {
            (Some(&from), Some(&to)) => ids.get(from..to).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Whether taking edge `edge` of node `node` revokes fact `id`.
    pub fn revokes(&self, node: NodeIndex, edge: usize, id: usize) -> bool {
        self.removed(node, edge).contains(&id)
    }

    /// Whether fact `id` holds where the journey begins.
    pub fn holds_at_start(&self, id: usize) -> bool {
        self.start.ids().any(|i| i == id)
    }

    /// Whether taking edge `edge` of node `node` establishes fact `id`.
    pub fn establishes(&self, node: NodeIndex, edge: usize, id: usize) -> bool {
        self.added(node, edge).contains(&id)
    }
}

/// Reads conditions into fact sets, numbering facts as it meets them.
struct FactReader<'c> {
    cx: &'c Context<'c>,
    facts: FactTable,
    /// The current branch's conditions, read once each: the facts when each holds, and when
    /// it fails.
    holds: Vec<FactSet>,
    failed: Vec<FactSet>,
    /// The union of the current branch's `failed` sets before the edge being read: edges are
    /// read in order, so each adds its own once (a chain of n `else if` links stays linear).
    failed_before: FactSet,
}

impl FactReader<'_> {
    /// Sets `set` to the facts that taking edge `edge` of `node` establishes. A branch's
    /// conditions are read at its first edge.
    fn edge_facts(&mut self, node: &Node, edge: usize, set: &mut FactSet) {
        set.clear();
        match &node.kind {
            NodeKind::Branch { conditions } => {
                if edge == 0 {
                    let holds = conditions.iter().map(|c| self.implied(c, true, 0)).collect();
                    let failed = conditions.iter().map(|c| self.implied(c, false, 0)).collect();
                    (self.holds, self.failed) = (holds, failed);
                    self.failed_before = FactSet::default();
                }
                // A branch's own condition holds on its edge, and every earlier condition
                // failed; on `else` (past the conditions) they all failed.
                set.union_with(&self.failed_before);
                if let (Some(yes), Some(no)) = (self.holds.get(edge), self.failed.get(edge)) {
                    set.union_with(yes);
                    self.failed_before.union_with(no);
                }
            }
            NodeKind::ConsentRequest { channel, category, .. }
                if node.edges.get(edge).is_some_and(|e| e.label == "granted") =>
            {
                set.insert(self.facts.intern(channel, category));
            }
            _ => {}
        }
    }

    /// Facts that hold when `expr` is `positive` (true) or not (false). Segments are
    /// expanded, to a bounded depth (segments may refer to segments, even in a cycle).
    fn implied(&mut self, expr: &Expr, positive: bool, depth: usize) -> FactSet {
        if depth > 16 {
            return FactSet::default();
        }
        match &expr.kind {
            ExprKind::Call { name, args } if name.name == "consent" && positive => match args.as_slice() {
                [channel, category] => match (bare_name(channel), bare_name(category)) {
                    (Some(channel), Some(category)) => FactSet::single(self.facts.intern(channel, category)),
                    _ => FactSet::default(),
                },
                _ => FactSet::default(),
            },
            ExprKind::Unary { op: UnaryOp::Not, operand } => self.implied(operand, !positive, depth + 1),
            ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs } => {
                let mut a = self.implied(lhs, positive, depth + 1);
                let b = self.implied(rhs, positive, depth + 1);
                // `and` when true and `or` when false: both sides hold; otherwise only what
                // both give.
                if (*op == BinaryOp::And) == positive {
                    a.union_with(&b);
                } else {
                    a.intersect_with(&b);
                }
                a
            }
            ExprKind::Path(path) => match path.segments.as_slice() {
                [single] => match self.cx.segments.get(single.name.as_str()) {
                    Some(condition) => self.implied(condition, positive, depth + 1),
                    None => FactSet::default(),
                },
                _ => FactSet::default(),
            },
            _ => FactSet::default(),
        }
    }
}

/// What an event revokes when it arrives (`rules::REVOCATIONS`).
fn event_revokes(event: &str) -> Option<Revokes> {
    rules::REVOCATIONS.iter().find(|r| r.event == event).map(|r| Revokes::Channel(r.channel.to_owned()))
}

/// What taking the edge labelled `label` of `node` revokes: a revoking event's arm of a
/// `wait for`, the `declined` arm of a consent request, or a `revoke consent` step (that one
/// consent).
fn edge_revokes(node: &Node, label: &str) -> Option<Revokes> {
    match &node.kind {
        NodeKind::WaitFor { .. } => event_revokes(label),
        NodeKind::ConsentRequest { channel, category, .. } if label == "declined" => {
            Some(Revokes::Fact(channel.clone(), category.clone()))
        }
        // `revoke consent`: gone on its only edge, whatever held before.
        NodeKind::ConsentRevoke { channel, category } => Some(Revokes::Fact(channel.clone(), category.clone())),
        _ => None,
    }
}

/// The channel whose consents every edge of `node` may have lost: a node that waits for the
/// contact's answer to a message on a channel with opt-out keywords (SMS). The contact may answer
/// STOP; that is no outcome of the message, so the node keeps waiting, but the runtime has
/// revoked every consent on the channel, whichever edge the node then takes (CTIA-STOP).
fn replies_may_revoke(cx: &Context<'_>, node: &Node) -> Option<String> {
    if !matches!(node.kind, NodeKind::Ask { .. } | NodeKind::ConsentRequest { .. }) {
        return None;
    }
    let message = cx.model.messages.get(node.kind.sent_message()?)?;
    let channel = cx.model.channels.get(&message.channel)?;
    channel.keywords.iter().any(|k| rules::is_opt_out_keyword(k)).then(|| message.channel.clone())
}

fn bare_name(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Path(path) => match path.segments.as_slice() {
            [single] => Some(single.name.as_str()),
            _ => None,
        },
        _ => None,
    }
}

impl Analysis for Consent {
    type Elem = u64;

    fn join(&self, into: &mut [u64], other: &[u64]) {
        if weakening::on(Weakening::ConsentJoinUnion) {
            return weakening::union(into, other);
        }
        for (mine, theirs) in into.iter_mut().zip(other) {
            *mine &= theirs;
        }
    }

    fn widen(&self, _previous: &[u64], _joined: &mut [u64]) {
        // Intersection only shrinks a finite set: it needs no widening.
    }

    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [u64]) {
        let width = self.facts.words();
        if width == 0 {
            return;
        }
        for (edge, state) in out.chunks_mut(width).enumerate().take(node.edges.len()) {
            for &id in self.removed(index, edge) {
                if let Some(word) = state.get_mut(id / 64) {
                    *word &= !(1 << (id % 64));
                }
            }
            for &id in self.added(index, edge) {
                if let Some(word) = state.get_mut(id / 64) {
                    *word |= 1 << (id % 64);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Windows: for each channel with a messaging window, the time since the contact's last inbound
// message on it, kept apart per opener: a message that opened a 24h window and an ad reply that
// opened 7 days are different facts, and joining them into one interval would compare 4 days
// after the ad with 24 hours. A state has one component per (windowed channel, opener class),
// in [`WindowClasses`] order; the first class of each channel is "the contact has not written".

/// Time since the contact's last message on a channel, on the paths where that message is of one
/// class: at most `max` seconds (`None`: unbounded), and how much of `max` may be quiet-hour
/// holds. `reached` is false when no path gets here with a last message of this class. Only the
/// upper bound is kept: no rule needs the least time, and a lower bound nothing read only made
/// the fixpoint iterate (and gave mutation testing equivalent mutants, docs/testing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    pub reached: bool,
    pub max: Option<u64>,
    /// Of `max`, the part that is quiet-hour holds on the path that gives it (for messages).
    pub held: u64,
}

impl Elapsed {
    /// No path has a last message of this class.
    pub const NONE: Elapsed = Elapsed { reached: false, max: Some(0), held: 0 };
    /// A message of this class just arrived (or, for the "not written" class, the journey began).
    pub const NOW: Elapsed = Elapsed { reached: true, max: Some(0), held: 0 };

    fn plus(self, hi: Option<u64>, held: bool) -> Elapsed {
        if !self.reached {
            return self;
        }
        let max = match (self.max, hi) {
            (Some(max), Some(hi)) => max.checked_add(hi),
            _ => None,
        };
        Elapsed {
            reached: true,
            max,
            // An unbounded time has no part to speak of (and a loop must not grow it forever).
            held: match max {
                None => 0,
                Some(_) if held => self.held.saturating_add(hi.unwrap_or(0)),
                Some(_) => self.held,
            },
        }
    }

    fn join(self, other: Elapsed) -> Elapsed {
        match (self.reached, other.reached) {
            (false, _) => other,
            (_, false) => self,
            _ => {
                // The hold that goes with the larger bound (the witness path's).
                let held = match (self.max, other.max) {
                    (Some(a), Some(b)) if a > b => self.held,
                    (Some(a), Some(b)) if a < b => other.held,
                    (Some(a), Some(b)) if a == b => self.held.max(other.held),
                    _ => 0,
                };
                Elapsed {
                    reached: true,
                    max: match (self.max, other.max) {
                        (Some(x), Some(y)) => Some(x.max(y)),
                        _ => None,
                    },
                    held,
                }
            }
        }
    }
}

/// One class of a windowed channel's last inbound message: `window` `None` is "the contact has
/// not written on this channel" (the journey began without a message on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowClass {
    pub channel: usize,
    pub window: Option<u64>,
    /// The window allows one message (`replies 1`: a private reply to a comment, IG-PR,
    /// MSGR-PR): the business's first send on the channel uses it up, and the paths of this
    /// class continue as "the contact has not written" until the contact writes again.
    pub single: bool,
}

/// Every (windowed channel, opener) class of a project, grouped by channel in
/// [`Context::windowed_channels`] order: first "not written", then each window length an inbound
/// message can open on that channel (the channel's own, and any event's `window D`), shortest
/// first.
#[derive(Debug, Clone, Default)]
pub struct WindowClasses {
    classes: Vec<WindowClass>,
    /// Per channel, where its classes start (and the total at the end).
    first: Vec<usize>,
}

impl WindowClasses {
    pub fn new(cx: &Context<'_>) -> WindowClasses {
        let mut classes = Vec::new();
        let mut first = Vec::new();
        for (channel, (name, window)) in cx.windowed_channels().enumerate() {
            first.push(classes.len());
            let mut lengths = vec![(window, false)];
            for event in cx.model.events.values() {
                if event.inbound.as_deref() == Some(name) {
                    lengths.push((opened_window(event, window), event.replies.is_some()));
                }
            }
            lengths.sort_unstable();
            lengths.dedup();
            classes.push(WindowClass { channel, window: None, single: false });
            classes.extend(lengths.into_iter().map(|(w, single)| WindowClass { channel, window: Some(w), single }));
        }
        first.push(classes.len());
        WindowClasses { classes, first }
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The components of one windowed channel: their positions in a state, and their classes.
    pub fn of_channel(&self, channel: usize) -> std::ops::Range<usize> {
        match (self.first.get(channel), self.first.get(channel + 1)) {
            (Some(&from), Some(&to)) => from..to,
            _ => 0..0,
        }
    }

    pub fn class(&self, component: usize) -> Option<WindowClass> {
        self.classes.get(component).copied()
    }

    /// The component of a message on `channel` that opens `window` (allowing one message only
    /// when `single`).
    fn component(&self, channel: usize, window: u64, single: bool) -> Option<usize> {
        self.of_channel(channel)
            .find(|i| self.classes.get(*i).is_some_and(|c| c.window == Some(window) && c.single == single))
    }
}

/// The window an inbound event opens on a channel whose own window is `channel_window`: the
/// event's `window` if it declares one; a project's event never more than the channel's own
/// (J0316 reports the longer one; the analyses do not trust it either).
fn opened_window(event: &crate::model::Event, channel_window: u64) -> u64 {
    match event.window_secs {
        Some(window) if event.in_std => window,
        Some(window) => window.min(channel_window),
        None => channel_window,
    }
}

/// What taking one edge does to every channel's intervals, in this order: quiet hours may hold
/// the node's send, time passes along the edge, and a reply or event may open a window.
#[derive(Debug, Clone, Copy)]
struct WindowStep {
    hold: Option<u64>,
    /// The windowed channel the node sends on: a window that allows one message is used up.
    sends_on: Option<usize>,
    pass: Option<Passes>,
    /// The component a message arriving on this edge makes the last one.
    open: Option<Opens>,
}

/// At most this many seconds pass (`None`: an unbounded time). The least time is not needed.
type Passes = Option<u64>;

/// (windowed channel, component): a message arrives on the channel, of that opener class.
type Opens = (usize, usize);

pub struct Window<'a> {
    cx: &'a Context<'a>,
    pub classes: WindowClasses,
    edges: EdgeNumbers,
    steps: Vec<WindowStep>,
}

impl<'a> Window<'a> {
    /// Works out what each edge of `graph` does, once; `sent` is [`sent_messages`], `holds` how
    /// long quiet hours can hold each node's send.
    pub fn new(cx: &'a Context<'a>, graph: &Graph, sent: &[Option<&Message>], holds: &[Option<u64>]) -> Window<'a> {
        let classes = WindowClasses::new(cx);
        let mut steps = Vec::new();
        for (index, (node, message)) in graph.nodes.iter().zip(sent).enumerate() {
            let hold = holds.get(index).copied().flatten();
            let sends_on = message.and_then(|m| cx.window_of(&m.channel)).map(|(channel, _)| channel);
            for edge in &node.edges {
                let (pass, open) = Self::edge_step(cx, &classes, &node.kind, &edge.label, *message);
                steps.push(WindowStep { hold, sends_on, pass, open });
            }
        }
        Window { cx, classes, edges: EdgeNumbers::new(graph), steps }
    }

    fn edge_step(
        cx: &Context<'_>,
        classes: &WindowClasses,
        kind: &NodeKind,
        label: &str,
        message: Option<&Message>,
    ) -> (Option<Passes>, Option<Opens>) {
        let timeout = label == "timeout";
        let timed_out = |limit: Option<u64>| Some(Some(limit.unwrap_or(0)));
        match kind {
            NodeKind::Wait { secs } => (Some(Some(*secs)), None),
            // Up to a day (and a clock change) for a time of day; no bound for a moment.
            NodeKind::WaitUntil { until: WaitTarget::Clock { .. } } => (Some(Some(WAIT_UNTIL_CLOCK_MAX_SECS)), None),
            NodeKind::WaitUntil { until: WaitTarget::Moment(_) } => (Some(None), None),
            NodeKind::Ask { timeout_secs, .. } => {
                if timeout {
                    (timed_out(*timeout_secs), None)
                } else {
                    (Some(*timeout_secs), message.and_then(|m| Self::reply(cx, classes, &m.channel)))
                }
            }
            NodeKind::ConsentRequest { timeout_secs, channel, category, .. } => {
                // Some platforms' opt-in opens no window (MSGR-MKT): the answer is not a message.
                let opens = !rules::OPT_IN_OPENS_NO_WINDOW.iter().any(|(c, k, _)| c == channel && k == category);
                if timeout {
                    (timed_out(*timeout_secs), None)
                } else {
                    let open = message.filter(|_| opens).and_then(|m| Self::reply(cx, classes, &m.channel));
                    (Some(*timeout_secs), open)
                }
            }
            NodeKind::WaitFor { within_secs, .. } => {
                if timeout {
                    (timed_out(*within_secs), None)
                } else {
                    (Some(*within_secs), Self::receive(cx, classes, label))
                }
            }
            NodeKind::Handoff { timeout_secs, .. } => {
                if timeout {
                    (timed_out(*timeout_secs), None)
                } else {
                    (Some(*timeout_secs), None)
                }
            }
            _ => (None, None),
        }
    }

    pub fn start(&self, graph: &Graph) -> Vec<Elapsed> {
        let mut state = vec![Elapsed::NONE; self.classes.len()];
        for (i, class) in self.classes.classes.iter().enumerate() {
            if class.window.is_none() {
                if let Some(slot) = state.get_mut(i) {
                    *slot = Elapsed::NOW;
                }
            }
        }
        if let Some(opens) = graph.entry_event.as_deref().and_then(|e| Self::receive(self.cx, &self.classes, e)) {
            self.open(&mut state, opens);
        }
        state
    }

    /// A message of class `component` arrives on `channel`: it is now the last one.
    fn open(&self, state: &mut [Elapsed], (channel, component): Opens) {
        for i in self.classes.of_channel(channel) {
            if let Some(slot) = state.get_mut(i) {
                *slot = if i == component { Elapsed::NOW } else { Elapsed::NONE };
            }
        }
    }

    /// An inbound event opens its channel's window (with the event's own length, if it has one).
    fn receive(cx: &Context<'_>, classes: &WindowClasses, event: &str) -> Option<Opens> {
        let event = cx.model.events.get(event)?;
        let (channel, window) = cx.window_of(event.inbound.as_deref()?)?;
        let window = opened_window(event, window);
        Some((channel, classes.component(channel, window, event.replies.is_some())?))
    }

    /// The contact replied on `channel` (to an `ask` or a consent request).
    fn reply(cx: &Context<'_>, classes: &WindowClasses, channel: &str) -> Option<Opens> {
        let (channel, window) = cx.window_of(channel)?;
        Some((channel, classes.component(channel, window, false)?))
    }

    /// The node sent a message on `channel`: every path whose window allows one message has
    /// used it, and continues as "the contact has not written" (the first class of a channel).
    fn use_single(&self, state: &mut [Elapsed], channel: usize) {
        let components = self.classes.of_channel(channel);
        let never = components.start;
        let mut used = false;
        for i in components {
            if self.classes.class(i).is_some_and(|c| c.single) {
                if let Some(slot) = state.get_mut(i) {
                    used |= slot.reached;
                    *slot = Elapsed::NONE;
                }
            }
        }
        if let Some(slot) = state.get_mut(never).filter(|_| used) {
            *slot = slot.join(Elapsed::NOW);
        }
    }
}

impl Analysis for Window<'_> {
    type Elem = Elapsed;

    fn join(&self, into: &mut [Elapsed], other: &[Elapsed]) {
        for (mine, other) in into.iter_mut().zip(other) {
            let joined = mine.join(*other);
            *mine = if weakening::on(Weakening::WindowJoinShortest) {
                weakening::shorter(*mine, *other, joined)
            } else {
                joined
            };
        }
    }

    fn widen(&self, previous: &[Elapsed], joined: &mut [Elapsed]) {
        for (before, now) in previous.iter().zip(joined.iter_mut()) {
            if !now.reached || !before.reached {
                continue;
            }
            if now.max != before.max {
                now.max = None;
                now.held = 0;
            }
        }
    }

    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [Elapsed]) {
        let width = self.classes.len();
        if width == 0 {
            return;
        }
        for (edge, state) in out.chunks_mut(width).enumerate().take(node.edges.len()) {
            let Some(step) = self.edges.of(index, edge).and_then(|e| self.steps.get(e)) else { continue };
            for elapsed in state.iter_mut() {
                if let Some(hold) = step.hold {
                    *elapsed = elapsed.plus(Some(hold), true);
                }
            }
            if let Some(channel) = step.sends_on {
                self.use_single(state, channel);
            }
            for elapsed in state.iter_mut() {
                if let Some(most) = step.pass {
                    *elapsed = elapsed.plus(most, false);
                }
            }
            if let Some(opens) = step.open {
                self.open(state, opens);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Frequency: for a cap of N sends of a category per period, the least time since each of the
// last N such sends on any path (and which send it was, to name it).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recent {
    /// Least time since that send; `u64::MAX` when there is none.
    pub since: u64,
    pub send: Option<NodeIndex>,
}

pub struct Frequency {
    /// Per node: whether it sends a message of the capped category.
    counted: Vec<bool>,
    pub max: usize,
}

impl Frequency {
    /// The cap of `max` sends of `category`; `sent` is [`sent_messages`].
    pub fn new(sent: &[Option<&Message>], category: &str, max: usize) -> Frequency {
        let counted = sent.iter().map(|m| m.is_some_and(|m| m.category == category)).collect();
        Frequency { counted, max }
    }

    /// The policy cap `rule` (its category, and its channel when it names one), tracking `max`
    /// sends.
    pub fn of_cap(sent: &[Option<&Message>], rule: &crate::model::FrequencyRule, max: usize) -> Frequency {
        let counted = sent.iter().map(|m| m.is_some_and(|m| rule.counts(m))).collect();
        Frequency { counted, max }
    }

    /// A cap of `max` over the nodes `counted` says (consent requests, for instance).
    pub fn of_nodes(counted: Vec<bool>, max: usize) -> Frequency {
        Frequency { counted, max }
    }

    /// Per node, whether it counts.
    pub fn counted_nodes(&self) -> &[bool] {
        &self.counted
    }

    pub fn start(&self) -> Vec<Recent> {
        vec![Recent { since: u64::MAX, send: None }; self.max]
    }

    pub fn counts(&self, index: NodeIndex) -> bool {
        self.counted.get(index) == Some(&true)
    }

    /// How many nodes count.
    pub fn counted(&self) -> usize {
        self.counted.iter().filter(|c| **c).count()
    }

    /// The least time that passes along an edge.
    pub fn least_time(node: &Node, label: &str) -> u64 {
        match &node.kind {
            NodeKind::Wait { secs } => *secs,
            // Only a timeout makes time pass for sure; a reply or an event can come at once.
            NodeKind::Ask { timeout_secs, .. }
            | NodeKind::ConsentRequest { timeout_secs, .. }
            | NodeKind::Handoff { timeout_secs, .. }
                if label == "timeout" =>
            {
                timeout_secs.unwrap_or(0)
            }
            NodeKind::WaitFor { within_secs, .. } if label == "timeout" => within_secs.unwrap_or(0),
            _ => 0,
        }
    }
}

impl Analysis for Frequency {
    type Elem = Recent;

    /// A loop with waits fills the last `max` positions one by one before it settles.
    fn widen_after(&self) -> u32 {
        u32::try_from(self.max).unwrap_or(u32::MAX).saturating_add(8)
    }

    fn join(&self, into: &mut [Recent], other: &[Recent]) {
        if weakening::on(Weakening::FrequencyJoinFirst) {
            return;
        }
        for (x, y) in into.iter_mut().zip(other) {
            if y.since < x.since {
                *x = *y;
            }
        }
    }

    fn widen(&self, previous: &[Recent], joined: &mut [Recent]) {
        for (before, now) in previous.iter().zip(joined.iter_mut()) {
            if now.since < before.since {
                now.since = 0;
            }
        }
    }

    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [Recent]) {
        if self.max == 0 {
            return;
        }
        let counts = self.counts(index);
        for (state, edge) in out.chunks_mut(self.max).zip(&node.edges) {
            if counts {
                // This send becomes the latest; the oldest tracked one drops out.
                state.rotate_right(1);
                if let Some(first) = state.first_mut() {
                    *first = Recent { since: 0, send: Some(index) };
                }
            }
            let passed = Self::least_time(node, &edge.label);
            for recent in state.iter_mut() {
                recent.since = recent.since.saturating_add(passed);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Business hours: whether every path to a node went through the `then` edge of an
// `if within business_hours`.

pub struct InBusinessHours {
    /// Per node: whether it takes no time, so that "now is in business hours" still holds on
    /// its edges. Waiting steps take time; so does a send that quiet hours may hold, unless a
    /// moment in business hours is never in quiet hours.
    instant: Vec<bool>,
}

impl InBusinessHours {
    /// `may_hold` is, per node, whether quiet hours apply to its send; `never_quiet` is
    /// [`Context::business_hours_never_quiet`].
    pub fn new(graph: &Graph, may_hold: &[bool], never_quiet: bool) -> InBusinessHours {
        let instant = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| match node.kind {
                NodeKind::Send { .. } => never_quiet || may_hold.get(i) != Some(&true),
                NodeKind::Branch { .. }
                | NodeKind::Split { .. }
                | NodeKind::Set { .. }
                | NodeKind::Tag { .. }
                | NodeKind::Track { .. }
                | NodeKind::ConsentRevoke { .. } => true,
                NodeKind::Ask { .. }
                | NodeKind::Wait { .. }
                | NodeKind::WaitUntil { .. }
                | NodeKind::WaitFor { .. }
                | NodeKind::Handoff { .. }
                | NodeKind::ConsentRequest { .. } => false,
            })
            .collect();
        InBusinessHours { instant }
    }
}

/// Whether `expr` being true implies being within business hours: `within business_hours`,
/// or a conjunction with it on one side (`within business_hours and consent(sms, marketing)`).
/// Operator chains are bounded by the parser (`MAX_EXPR_TERMS`).
fn is_within_business_hours(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Within(name) => name.name == "business_hours",
        ExprKind::Binary { op: BinaryOp::And, lhs, rhs } => {
            is_within_business_hours(lhs) || is_within_business_hours(rhs)
        }
        ExprKind::Binary { op: BinaryOp::Or, lhs, rhs } => {
            is_within_business_hours(lhs) && is_within_business_hours(rhs)
        }
        _ => false,
    }
}

impl Analysis for InBusinessHours {
    type Elem = bool;

    fn join(&self, into: &mut [bool], other: &[bool]) {
        for (a, b) in into.iter_mut().zip(other) {
            *a = *a && *b;
        }
    }

    fn widen(&self, _previous: &[bool], _joined: &mut [bool]) {}

    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [bool]) {
        if self.instant.get(index) != Some(&true) {
            out.fill(false);
            return;
        }
        if let NodeKind::Branch { conditions } = &node.kind {
            for (edge, inside) in out.iter_mut().enumerate() {
                *inside = *inside || conditions.get(edge).is_some_and(|c| is_within_business_hours(c));
            }
        }
    }
}
