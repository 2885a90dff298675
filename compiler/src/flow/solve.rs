//! A forward worklist fixpoint over a journey graph, shared by every analysis.
//!
//! Each analysis gives a start state, a join (where paths meet), a widening (applied when a
//! node's state keeps changing, so loops converge), and a transfer that maps a node's input
//! state to the state on each of its outgoing edges. The solver never enumerates paths: each
//! node is revisited only when its input changes, so the work is edges times lattice height.
//! A budget of `VISITS_PER_EDGE` visits per edge stops it, and the caller turns that into an
//! "inconclusive" verdict, never an "ok".
//!
//! A state is a fixed number of small `Copy` components (consent facts as bit words, one
//! interval per windowed channel, one entry per tracked send), the same number at every node.
//! So every node's state lives in one flat vector and a visit allocates nothing: transfers and
//! joins work in place on slices.

use super::graph::{Graph, Node, NodeIndex, Target};
use super::rules::VISITS_PER_EDGE;

pub trait Analysis {
    /// One component of a state.
    type Elem: Copy + PartialEq;

    /// `into` becomes the join of itself and `other` (same length).
    fn join(&self, into: &mut [Self::Elem], other: &[Self::Elem]);

    /// Called with the previous input of a node that changes again after `widen_after`
    /// changes, and its new joined input, which it widens in place; must move toward a fixed
    /// point in a bounded number of steps.
    fn widen(&self, previous: &[Self::Elem], joined: &mut [Self::Elem]);

    /// The state on each outgoing edge of `node`: `out` holds one state per edge, in edge
    /// order, each a copy of the node's input on entry; the transfer changes them in place.
    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [Self::Elem]);

    /// Input changes a node may go through before its state is widened: enough for the
    /// lattice's real height, so widening only cuts off what would not converge.
    fn widen_after(&self) -> u32 {
        8
    }
}

pub struct Solution<E> {
    /// Every node's input state, `width` components each, in node order.
    states: Vec<E>,
    /// Whether a path reaches each node (its state means nothing otherwise).
    reached: Vec<bool>,
    width: usize,
    pub visits: usize,
    /// The budget ran out: the states are not a fixed point and must not be trusted.
    pub exhausted: bool,
}

impl<E> Solution<E> {
    /// The input state of a node; `None` for nodes no path reaches.
    pub fn input(&self, index: NodeIndex) -> Option<&[E]> {
        if self.reached.get(index) != Some(&true) {
            return None;
        }
        state_range(index, self.width).and_then(|range| self.states.get(range))
    }
}

/// Where node `index`'s state lies in a flat vector of `width`-component states.
fn state_range(index: usize, width: usize) -> Option<std::ops::Range<usize>> {
    let start = index.checked_mul(width)?;
    Some(start..start.checked_add(width)?)
}

/// Solves `analysis` from `start`, the state where the journey begins; every state has as many
/// components as `start`.
pub fn solve<A: Analysis>(graph: &Graph, analysis: &A, start: &[A::Elem]) -> Solution<A::Elem> {
    let count = graph.nodes.len();
    let width = start.len();
    // Unreached nodes keep this filler; `reached` says it is not a state.
    let states = match start.first() {
        Some(filler) => vec![*filler; count.saturating_mul(width)],
        None => Vec::new(),
    };
    let mut solution = Solution { states, reached: vec![false; count], width, visits: 0, exhausted: false };
    let mut changes = vec![0u32; count];
    let loop_heads = loop_heads(graph);
    let mut pending = Worklist::new(count);
    let widen_after = analysis.widen_after();
    let per_edge = VISITS_PER_EDGE.saturating_add(usize::try_from(widen_after).unwrap_or(usize::MAX));
    let budget = graph.edge_count().saturating_mul(per_edge).max(1024);
    // Scratch buffers, reused by every visit: the states on a node's edges, and a join.
    let mut out: Vec<A::Elem> = Vec::new();
    let mut joined: Vec<A::Elem> = Vec::with_capacity(width);

    if let Target::Node(first) = graph.start {
        if let Some(slot) = state_range(first, width).and_then(|r| solution.states.get_mut(r)) {
            slot.copy_from_slice(start);
            if let Some(reached) = solution.reached.get_mut(first) {
                *reached = true;
            }
            pending.insert(first);
        }
    }

    while let Some(index) = pending.pop() {
        solution.visits += 1;
        if solution.visits > budget {
            solution.exhausted = true;
            return solution;
        }
        let (Some(node), Some(state)) = (graph.nodes.get(index), solution.input(index)) else { continue };
        out.clear();
        for _ in &node.edges {
            out.extend_from_slice(state);
        }
        analysis.transfer(index, node, &mut out);
        for (edge, output) in node.edges.iter().zip(edge_states(&out, width, node.edges.len())) {
            let Target::Node(to) = edge.target else { continue };
            let Some(range) = state_range(to, width) else { continue };
            let (Some(reached), Some(slot)) = (solution.reached.get_mut(to), solution.states.get_mut(range)) else {
                continue;
            };
            if !*reached {
                *reached = true;
                slot.copy_from_slice(output);
                pending.insert(to);
                continue;
            }
            joined.clear();
            joined.extend_from_slice(slot);
            analysis.join(&mut joined, output);
            if joined.as_slice() == &*slot {
                continue;
            }
            let change = changes.get_mut(to).map_or(0, |c| {
                *c += 1;
                *c
            });
            // Widening only where a loop closes: elsewhere a join over many arms (a 10-arm
            // split, a long else-if chain) changes a node often without any risk of diverging,
            // and widening there would throw away bounds that hold.
            if change > widen_after && loop_heads.get(to) == Some(&true) {
                analysis.widen(slot, &mut joined);
            }
            slot.copy_from_slice(&joined);
            pending.insert(to);
        }
    }
    solution
}

/// The nodes where widening may apply: targets of an edge from a node at the same or a later
/// position. Nodes are numbered in source order and every cycle has an edge that does not go
/// forward, so every cycle passes through one of these: widening there is enough for every
/// loop to converge, and acyclic parts of a journey are solved exactly.
fn loop_heads(graph: &Graph) -> Vec<bool> {
    let mut heads = vec![false; graph.nodes.len()];
    for (from, node) in graph.nodes.iter().enumerate() {
        for edge in &node.edges {
            if let Target::Node(to) = edge.target {
                if to <= from {
                    if let Some(head) = heads.get_mut(to) {
                        *head = true;
                    }
                }
            }
        }
    }
    heads
}

/// The `edges` states of `width` components each in `out`, in edge order (empty ones when the
/// width is zero).
fn edge_states<E>(out: &[E], width: usize, edges: usize) -> impl Iterator<Item = &[E]> {
    (0..edges).map(move |edge| state_range(edge, width).and_then(|r| out.get(r)).unwrap_or(&[]))
}

/// The nodes waiting for a visit, smallest index (source order) first, each at most once: a
/// bit per node, and a cursor below which no bit is set. Forward edges leave the cursor moving
/// forward; a loop's back edge moves it back.
struct Worklist {
    words: Vec<u64>,
    /// No word before this one has a bit set.
    low: usize,
}

impl Worklist {
    fn new(count: usize) -> Worklist {
        Worklist { words: vec![0; count.div_ceil(64)], low: 0 }
    }

    fn insert(&mut self, index: NodeIndex) {
        let word = index / 64;
        if let Some(bits) = self.words.get_mut(word) {
            *bits |= 1 << (index % 64);
            self.low = self.low.min(word);
        }
    }

    fn pop(&mut self) -> Option<NodeIndex> {
        while let Some(bits) = self.words.get_mut(self.low) {
            if *bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                return Some(self.low * 64 + bit);
            }
            self.low += 1;
        }
        None
    }
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

#[cfg(test)]
mod tests {
    use super::Worklist;
    use std::collections::BTreeSet;

    #[test]
    fn the_worklist_pops_the_smallest_pending_node_like_an_ordered_set() {
        let mut worklist = Worklist::new(300);
        let mut set = BTreeSet::new();
        let mut popped = (Vec::new(), Vec::new());
        // Forward and backward inserts, repeats, and pops in between.
        for (step, index) in [5, 70, 3, 200, 70, 129, 0, 299, 64, 63].into_iter().enumerate() {
            worklist.insert(index);
            set.insert(index);
            if step % 3 == 2 {
                popped.0.push(worklist.pop());
                popped.1.push(set.pop_first());
            }
        }
        worklist.insert(1);
        set.insert(1);
        while let Some(index) = set.pop_first() {
            popped.1.push(Some(index));
            popped.0.push(worklist.pop());
        }
        popped.0.push(worklist.pop());
        popped.1.push(None);
        assert_eq!(popped.0, popped.1);
    }
}
