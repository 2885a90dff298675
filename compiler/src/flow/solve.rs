//! A forward worklist fixpoint over a journey graph, shared by every analysis.
//!
//! Each analysis gives a start state, a join (where paths meet), a widening (applied when a
//! node's state keeps changing, so loops converge), and a transfer that maps a node's input
//! state to the state on each of its outgoing edges. The solver never enumerates paths: each
//! node is revisited only when its input changes, so the work is edges times lattice height.
//! A budget of `VISITS_PER_EDGE` visits per edge stops it, and the caller turns that into an
//! "inconclusive" verdict, never an "ok".

use std::collections::BTreeSet;

use super::graph::{Graph, Node, NodeIndex, Target};
use super::rules::VISITS_PER_EDGE;

pub trait Analysis {
    type State: Clone + PartialEq;

    fn join(&self, a: &Self::State, b: &Self::State) -> Self::State;

    /// Called with the previous and the joined input of a node that changes again after
    /// `WIDEN_AFTER` changes; must move toward a fixed point in a bounded number of steps.
    fn widen(&self, previous: &Self::State, joined: &Self::State) -> Self::State;

    /// The state on each outgoing edge of `node`, in edge order.
    fn transfer(&self, index: NodeIndex, node: &Node, input: &Self::State) -> Vec<Self::State>;

    /// Input changes a node may go through before its state is widened: enough for the
    /// lattice's real height, so widening only cuts off what would not converge.
    fn widen_after(&self) -> u32 {
        8
    }
}

pub struct Solution<S> {
    /// The input state of each node; `None` for nodes no path reaches.
    pub input: Vec<Option<S>>,
    /// The states arriving at `Exit`, joined.
    pub at_exit: Option<S>,
    pub visits: usize,
    /// The budget ran out: the states are not a fixed point and must not be trusted.
    pub exhausted: bool,
}

pub fn solve<A: Analysis>(graph: &Graph, analysis: &A, start: A::State) -> Solution<A::State> {
    let count = graph.nodes.len();
    let mut input: Vec<Option<A::State>> = vec![None; count];
    let mut changes = vec![0u32; count];
    let mut at_exit: Option<A::State> = None;
    // Ordered by node index (source order), so the iteration order is deterministic.
    let mut pending: BTreeSet<NodeIndex> = BTreeSet::new();
    let widen_after = analysis.widen_after();
    let per_edge = VISITS_PER_EDGE.saturating_add(usize::try_from(widen_after).unwrap_or(usize::MAX));
    let budget = graph.edge_count().saturating_mul(per_edge).max(1024);
    let mut visits = 0;

    match graph.start {
        Target::Node(first) => {
            if let Some(slot) = input.get_mut(first) {
                *slot = Some(start);
                pending.insert(first);
            }
        }
        Target::Exit => at_exit = Some(start),
    }

    while let Some(index) = pending.pop_first() {
        visits += 1;
        if visits > budget {
            return Solution { input, at_exit, visits, exhausted: true };
        }
        let (Some(node), Some(Some(state))) = (graph.nodes.get(index), input.get(index)) else { continue };
        let outputs = analysis.transfer(index, node, state);
        for (edge, output) in node.edges.iter().zip(outputs) {
            match edge.target {
                Target::Exit => {
                    at_exit = Some(match &at_exit {
                        Some(previous) => analysis.join(previous, &output),
                        None => output,
                    });
                }
                Target::Node(to) => {
                    let Some(slot) = input.get_mut(to) else { continue };
                    let updated = match slot {
                        None => output,
                        Some(previous) => {
                            let joined = analysis.join(previous, &output);
                            if joined == *previous {
                                continue;
                            }
                            let change = changes.get_mut(to).map(|c| {
                                *c += 1;
                                *c
                            });
                            if change.unwrap_or(0) > widen_after {
                                analysis.widen(previous, &joined)
                            } else {
                                joined
                            }
                        }
                    };
                    *slot = Some(updated);
                    pending.insert(to);
                }
            }
        }
    }
    Solution { input, at_exit, visits, exhausted: false }
}

/// The shortest path (by steps) from the journey's start to `target`, using only edges that
/// `allowed` accepts; node indices in order, `target` last. Breadth-first, linear.
pub fn path_to(graph: &Graph, target: NodeIndex, allowed: impl Fn(NodeIndex, usize) -> bool) -> Option<Vec<NodeIndex>> {
    let Target::Node(first) = graph.start else { return None };
    let mut parent: Vec<Option<NodeIndex>> = vec![None; graph.nodes.len()];
    let mut seen = vec![false; graph.nodes.len()];
    let mut queue = std::collections::VecDeque::new();
    if let Some(s) = seen.get_mut(first) {
        *s = true;
    }
    queue.push_back(first);
    while let Some(index) = queue.pop_front() {
        if index == target {
            let mut path = vec![index];
            let mut at = index;
            while let Some(Some(p)) = parent.get(at) {
                path.push(*p);
                at = *p;
            }
            path.reverse();
            return Some(path);
        }
        let Some(node) = graph.nodes.get(index) else { continue };
        for (edge_index, edge) in node.edges.iter().enumerate() {
            if !allowed(index, edge_index) {
                continue;
            }
            if let Target::Node(to) = edge.target {
                if seen.get(to) == Some(&false) {
                    if let Some(s) = seen.get_mut(to) {
                        *s = true;
                    }
                    if let Some(p) = parent.get_mut(to) {
                        *p = Some(index);
                    }
                    queue.push_back(to);
                }
            }
        }
    }
    None
}
