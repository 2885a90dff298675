//! The dataflow analyses over a journey graph. Each is a [`solve::Analysis`]: a lattice, a
//! join, a widening and a transfer per node kind. See `docs/analyses.md` for the semantics.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{Graph, Node, NodeIndex, NodeKind};
use super::solve::Analysis;
use super::Context;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// A (channel, category) consent fact, such as `(sms, marketing)`.
pub type Fact = (String, String);

// ---------------------------------------------------------------------------------------------
// Consent: which (channel, category) consents hold on every path (a must-analysis).

pub struct Consent<'a> {
    pub cx: &'a Context<'a>,
}

impl Consent<'_> {
    /// Facts that hold when `expr` is `positive` (true) or not (false). Segments are expanded,
    /// to a bounded depth (segments may refer to segments, even in a cycle).
    pub fn implied(&self, expr: &Expr, positive: bool, depth: usize) -> BTreeSet<Fact> {
        if depth > 16 {
            return BTreeSet::new();
        }
        match &expr.kind {
            ExprKind::Call { name, args } if name.name == "consent" && positive => match args.as_slice() {
                [channel, category] => match (bare_name(channel), bare_name(category)) {
                    (Some(channel), Some(category)) => [(channel, category)].into_iter().collect(),
                    _ => BTreeSet::new(),
                },
                _ => BTreeSet::new(),
            },
            ExprKind::Unary { op: UnaryOp::Not, operand } => self.implied(operand, !positive, depth + 1),
            ExprKind::Binary { op: BinaryOp::And, lhs, rhs } => {
                let (a, b) = (self.implied(lhs, positive, depth + 1), self.implied(rhs, positive, depth + 1));
                if positive {
                    a.union(&b).cloned().collect()
                } else {
                    a.intersection(&b).cloned().collect()
                }
            }
            ExprKind::Binary { op: BinaryOp::Or, lhs, rhs } => {
                let (a, b) = (self.implied(lhs, positive, depth + 1), self.implied(rhs, positive, depth + 1));
                if positive {
                    a.intersection(&b).cloned().collect()
                } else {
                    a.union(&b).cloned().collect()
                }
            }
            ExprKind::Path(path) => match path.segments.as_slice() {
                [single] => match self.cx.segments.get(single.name.as_str()) {
                    Some(condition) => self.implied(condition, positive, depth + 1),
                    None => BTreeSet::new(),
                },
                _ => BTreeSet::new(),
            },
            _ => BTreeSet::new(),
        }
    }

    /// The facts each outgoing edge of a branch adds: a branch's own condition holds on its
    /// edge, and every earlier condition failed.
    pub fn branch_facts(&self, conditions: &[Expr], edge: usize) -> BTreeSet<Fact> {
        let mut facts = BTreeSet::new();
        for (i, condition) in conditions.iter().enumerate() {
            if i < edge || edge >= conditions.len() {
                facts.extend(self.implied(condition, false, 0));
            } else if i == edge {
                facts.extend(self.implied(condition, true, 0));
            }
        }
        facts
    }

    /// The facts established by taking edge `edge` of `node`.
    pub fn edge_facts(&self, node: &Node, edge: usize) -> BTreeSet<Fact> {
        match &node.kind {
            NodeKind::Branch { conditions } => self.branch_facts(conditions, edge),
            NodeKind::ConsentRequest { channel, category, .. } => {
                if node.edges.get(edge).is_some_and(|e| e.label == "granted") {
                    [(channel.clone(), category.clone())].into_iter().collect()
                } else {
                    BTreeSet::new()
                }
            }
            _ => BTreeSet::new(),
        }
    }
}

fn bare_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Path(path) => match path.segments.as_slice() {
            [single] => Some(single.name.clone()),
            _ => None,
        },
        _ => None,
    }
}

impl Analysis for Consent<'_> {
    type State = BTreeSet<Fact>;

    fn join(&self, a: &Self::State, b: &Self::State) -> Self::State {
        a.intersection(b).cloned().collect()
    }

    fn widen(&self, _previous: &Self::State, joined: &Self::State) -> Self::State {
        // Intersection only shrinks a finite set: it needs no widening.
        joined.clone()
    }

    fn transfer(&self, _index: NodeIndex, node: &Node, input: &Self::State) -> Vec<Self::State> {
        (0..node.edges.len())
            .map(|edge| {
                let added = self.edge_facts(node, edge);
                if added.is_empty() {
                    input.clone()
                } else {
                    input.union(&added).cloned().collect()
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Windows: for each channel with a messaging window, the time since the contact's last inbound
// message on it, as an interval, and the window that message opened.

/// Time since the contact's last message on a channel: `[min, max]` seconds, `max` `None` for
/// "unbounded"; `min == u64::MAX` when no path has a message at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    pub min: u64,
    pub max: Option<u64>,
    /// The shortest window opened by the inbound messages this interval counts from.
    pub window: u64,
}

impl Elapsed {
    pub fn never(window: u64) -> Elapsed {
        Elapsed { min: u64::MAX, max: None, window }
    }

    fn plus(self, lo: u64, hi: Option<u64>) -> Elapsed {
        Elapsed {
            min: self.min.saturating_add(lo),
            max: match (self.max, hi) {
                (Some(max), Some(hi)) => max.checked_add(hi),
                _ => None,
            },
            window: self.window,
        }
    }
}

pub type Windows = BTreeMap<String, Elapsed>;

pub struct Window<'a> {
    pub cx: &'a Context<'a>,
}

impl Window<'_> {
    pub fn start(&self, graph: &Graph) -> Windows {
        let mut state: Windows =
            self.cx.windowed_channels().map(|(name, window)| (name.to_owned(), Elapsed::never(window))).collect();
        if let Some(event) = graph.entry_event.as_deref() {
            self.receive(&mut state, event);
        }
        state
    }

    /// An inbound event opens its channel's window (with the event's own length, if it has one).
    fn receive(&self, state: &mut Windows, event: &str) {
        let Some(event) = self.cx.model.events.get(event) else { return };
        let Some(channel) = &event.inbound else { return };
        let Some(window) = self.cx.model.channels.get(channel).and_then(|c| c.window_secs) else { return };
        state.insert(channel.clone(), Elapsed { min: 0, max: Some(0), window: event.window_secs.unwrap_or(window) });
    }

    /// The contact replied on `channel` (to an `ask` or a consent request).
    fn reply(&self, state: &mut Windows, channel: &str) {
        if let Some(window) = self.cx.model.channels.get(channel).and_then(|c| c.window_secs) {
            state.insert(channel.to_owned(), Elapsed { min: 0, max: Some(0), window });
        }
    }

    fn add(state: &Windows, lo: u64, hi: Option<u64>) -> Windows {
        state.iter().map(|(channel, elapsed)| (channel.clone(), elapsed.plus(lo, hi))).collect()
    }

    /// Before a send that quiet hours may defer: up to the quiet period passes first.
    pub fn deferred(&self, node: &Node, input: &Windows) -> Windows {
        match self.cx.deferral_for(node) {
            Some(defer) => Self::add(input, 0, Some(defer)),
            None => input.clone(),
        }
    }

    fn message_channel(&self, message: &str) -> Option<String> {
        self.cx.model.messages.get(message).map(|m| m.channel.clone())
    }
}

impl Analysis for Window<'_> {
    type State = Windows;

    fn join(&self, a: &Windows, b: &Windows) -> Windows {
        let mut joined = a.clone();
        for (channel, other) in b {
            let merged = match a.get(channel) {
                Some(mine) => Elapsed {
                    min: mine.min.min(other.min),
                    max: match (mine.max, other.max) {
                        (Some(x), Some(y)) => Some(x.max(y)),
                        _ => None,
                    },
                    window: mine.window.min(other.window),
                },
                None => *other,
            };
            joined.insert(channel.clone(), merged);
        }
        joined
    }

    fn widen(&self, previous: &Windows, joined: &Windows) -> Windows {
        joined
            .iter()
            .map(|(channel, now)| {
                let widened = match previous.get(channel) {
                    Some(before) => Elapsed {
                        min: if now.min < before.min { 0 } else { now.min },
                        max: if now.max != before.max { None } else { now.max },
                        window: now.window,
                    },
                    None => *now,
                };
                (channel.clone(), widened)
            })
            .collect()
    }

    fn transfer(&self, _index: NodeIndex, node: &Node, input: &Windows) -> Vec<Windows> {
        let base = self.deferred(node, input);
        node.edges
            .iter()
            .map(|edge| {
                let timeout = edge.label == "timeout";
                match &node.kind {
                    NodeKind::Wait { secs } => Self::add(&base, *secs, Some(*secs)),
                    NodeKind::Ask { message, timeout_secs }
                    | NodeKind::ConsentRequest { message, timeout_secs, .. } => {
                        if timeout {
                            let t = timeout_secs.unwrap_or(0);
                            Self::add(&base, t, Some(t))
                        } else {
                            let mut state = Self::add(&base, 0, *timeout_secs);
                            if let Some(channel) = self.message_channel(message) {
                                self.reply(&mut state, &channel);
                            }
                            state
                        }
                    }
                    NodeKind::WaitFor { within_secs, .. } => {
                        if timeout {
                            let t = within_secs.unwrap_or(0);
                            Self::add(&base, t, Some(t))
                        } else {
                            let mut state = Self::add(&base, 0, *within_secs);
                            self.receive(&mut state, &edge.label);
                            state
                        }
                    }
                    NodeKind::Handoff { timeout_secs, .. } => {
                        if timeout {
                            let t = timeout_secs.unwrap_or(0);
                            Self::add(&base, t, Some(t))
                        } else {
                            Self::add(&base, 0, *timeout_secs)
                        }
                    }
                    _ => base.clone(),
                }
            })
            .collect()
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

pub struct Frequency<'a> {
    pub cx: &'a Context<'a>,
    pub category: &'a str,
    pub max: usize,
}

impl Frequency<'_> {
    pub fn start(&self) -> Vec<Recent> {
        vec![Recent { since: u64::MAX, send: None }; self.max]
    }

    pub fn counts(&self, node: &Node) -> bool {
        node.kind
            .sent_message()
            .and_then(|m| self.cx.model.messages.get(m))
            .is_some_and(|m| m.category == self.category)
    }

    /// The least time that passes along an edge.
    fn least_time(node: &Node, label: &str) -> u64 {
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

impl Analysis for Frequency<'_> {
    type State = Vec<Recent>;

    /// A loop with waits fills the last `max` positions one by one before it settles.
    fn widen_after(&self) -> u32 {
        u32::try_from(self.max).unwrap_or(u32::MAX).saturating_add(8)
    }

    fn join(&self, a: &Self::State, b: &Self::State) -> Self::State {
        a.iter().zip(b).map(|(x, y)| if y.since < x.since { *y } else { *x }).collect()
    }

    fn widen(&self, previous: &Self::State, joined: &Self::State) -> Self::State {
        previous
            .iter()
            .zip(joined)
            .map(|(before, now)| if now.since < before.since { Recent { since: 0, send: now.send } } else { *now })
            .collect()
    }

    fn transfer(&self, index: NodeIndex, node: &Node, input: &Self::State) -> Vec<Self::State> {
        let after_send = if self.counts(node) {
            let mut shifted = Vec::with_capacity(self.max);
            shifted.push(Recent { since: 0, send: Some(index) });
            shifted.extend(input.iter().take(self.max.saturating_sub(1)).copied());
            shifted
        } else {
            input.clone()
        };
        node.edges
            .iter()
            .map(|edge| {
                let passed = Self::least_time(node, &edge.label);
                after_send.iter().map(|r| Recent { since: r.since.saturating_add(passed), send: r.send }).collect()
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Business hours: whether every path to a node went through the `then` edge of an
// `if within business_hours`.

pub struct InBusinessHours;

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
    type State = bool;

    fn join(&self, a: &bool, b: &bool) -> bool {
        *a && *b
    }

    fn widen(&self, _previous: &bool, joined: &bool) -> bool {
        *joined
    }

    fn transfer(&self, _index: NodeIndex, node: &Node, input: &bool) -> Vec<bool> {
        match &node.kind {
            NodeKind::Branch { conditions } => (0..node.edges.len())
                .map(|edge| *input || conditions.get(edge).is_some_and(is_within_business_hours))
                .collect(),
            _ => vec![*input; node.edges.len()],
        }
    }
}
