//! Witness paths: a path that breaks a rule, read back from a fixpoint's states, for the
//! diagnostics that must show one (J0402, J0407). The solver keeps only each node's joined state;
//! a witness walks backwards from the send, at each step taking a predecessor edge whose output
//! state gives exactly the bound found at the node (a fixpoint guarantees one exists), until the
//! message that started the count or the journey's start. Each node is visited at most twice, so
//! a loop that makes a bound grow shows up with one turn, and the walk is linear in the graph.

use super::analyses::{Elapsed, Window};
use super::graph::{Graph, NodeIndex, Target};
use super::solve::{self, Analysis, Solution};

/// One step of a path: a node and the index of the edge taken from it.
pub type Step = (NodeIndex, usize);

/// A path from the journey's start to `target` on which window component `component` reaches
/// the bound it has at `target` (for an unbounded one, a path through the loop or the wait
/// without limit that makes it so). `None` when no such path is found.
pub fn window_witness(
    graph: &Graph,
    window: &Window<'_>,
    solution: &Solution<Elapsed>,
    target: NodeIndex,
    component: usize,
) -> Option<Vec<Step>> {
    let width = window.classes.len();
    let preds = graph.predecessors();
    let mut visits = vec![0u8; graph.nodes.len()];
    let mut steps: Vec<Step> = vec![(target, 0)];
    let mut at = target;
    let mut need = *solution.input(at)?.get(component)?;
    let mut out: Vec<Elapsed> = Vec::new();
    loop {
        if let Some(v) = visits.get_mut(at) {
            *v = v.saturating_add(1);
        }
        let mut chosen: Option<(NodeIndex, usize, Elapsed)> = None;
        let mut preds_of: Vec<NodeIndex> = preds.of(at).to_vec();
        preds_of.dedup();
        for &p in &preds_of {
            let (Some(node), Some(state)) = (graph.node(p), solution.input(p)) else { continue };
            out.clear();
            for _ in &node.edges {
                out.extend_from_slice(state);
            }
            window.transfer(p, node, &mut out);
            for (edge_index, edge) in node.edges.iter().enumerate() {
                if edge.target != Target::Node(at) {
                    continue;
                }
                let Some(got) = out.get(edge_index * width + component) else { continue };
                if got.reached && got.max == need.max && visits.get(p).is_some_and(|v| *v < 2) {
                    // Prefer a predecessor not visited yet (a loop is shown once).
                    let fresh = visits.get(p) == Some(&0);
                    if chosen.is_none() || fresh {
                        chosen = Some((p, edge_index, *state.get(component)?));
                    }
                    if fresh {
                        break;
                    }
                }
            }
            if chosen.is_some_and(|(c, _, _)| visits.get(c) == Some(&0)) {
                break;
            }
        }
        let Some((p, edge_index, before)) = chosen else {
            // No predecessor gives this bound: the count started at `at` itself (an opener
            // edge into it) or at the start. Connect to the start by the shortest path.
            break;
        };
        steps.push((p, edge_index));
        at = p;
        // The message that opened this window arrived on the edge just taken (a transfer only
        // adds time, so a smaller bound after it means a reset): the count starts here; what
        // came before only has to reach this node.
        let reset = match (need.max, before.max) {
            (Some(n), Some(b)) => b > n,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !before.reached || reset {
            break;
        }
        need = before;
    }
    steps.reverse();
    let first = steps.first().map(|(n, _)| *n)?;
    let mut prefix: Vec<Step> = Vec::new();
    if graph.start != Target::Node(first) {
        let path = solve::path_to(graph, first, |_, _| true)?;
        for pair in path.windows(2) {
            let (Some(&from), Some(&to)) = (pair.first(), pair.get(1)) else { continue };
            let edge = graph.node(from)?.edges.iter().position(|e| e.target == Target::Node(to))?;
            prefix.push((from, edge));
        }
    }
    prefix.extend(steps);
    Some(prefix)
}

/// A path from `from` (leaving it by one of its edges) to `to` that takes the least time, each
/// edge counted at the least it can take (`Frequency::least_time`): Dijkstra, `O(E log V)`.
/// `from == to` finds the quickest way around a loop back to it. Steps start with `from` and end
/// with `to` (its edge unused).
pub fn least_time_path(graph: &Graph, from: NodeIndex, to: NodeIndex) -> Option<Vec<Step>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let count = graph.nodes.len();
    let mut best: Vec<Option<u64>> = vec![None; count];
    let mut parent: Vec<Option<Step>> = vec![None; count];
    let mut heap = BinaryHeap::new();
    let start = graph.node(from)?;
    for (edge_index, edge) in start.edges.iter().enumerate() {
        let Target::Node(next) = edge.target else { continue };
        let time = super::analyses::Frequency::least_time(start, &edge.label);
        if best.get(next).copied().flatten().is_none_or(|b| time < b) {
            *best.get_mut(next)? = Some(time);
            *parent.get_mut(next)? = Some((from, edge_index));
            heap.push(Reverse((time, next)));
        }
    }
    while let Some(Reverse((time, at))) = heap.pop() {
        if best.get(at).copied().flatten() != Some(time) {
            continue;
        }
        if at == to {
            break;
        }
        let Some(node) = graph.node(at) else { continue };
        for (edge_index, edge) in node.edges.iter().enumerate() {
            let Target::Node(next) = edge.target else { continue };
            let total = time.saturating_add(super::analyses::Frequency::least_time(node, &edge.label));
            if best.get(next).copied().flatten().is_none_or(|b| total < b) {
                *best.get_mut(next)? = Some(total);
                *parent.get_mut(next)? = Some((at, edge_index));
                heap.push(Reverse((total, next)));
            }
        }
    }
    best.get(to).copied().flatten()?;
    // Walk back from `to` until `from` is reached as a parent (at most one step per node, and
    // one more for a loop back to `from` itself).
    let mut steps = vec![(to, 0)];
    let mut at = to;
    for _ in 0..=count {
        let (previous, edge) = (*parent.get(at)?)?;
        steps.push((previous, edge));
        if previous == from {
            steps.reverse();
            return Some(steps);
        }
        at = previous;
    }
    None
}

/// A path through `sends` in order (the sends a frequency cap counted, oldest first, the
/// violating send last): the shortest way from the start to the first, then the quickest way
/// from each to the next. Each leg takes no more time than the same leg of the path the analysis
/// found, so the whole path has at least as many sends within the cap's period: it breaks the
/// rule too.
pub fn sends_witness(graph: &Graph, sends: &[NodeIndex]) -> Option<Vec<Step>> {
    let first = *sends.first()?;
    let mut steps: Vec<Step> = Vec::new();
    if graph.start != Target::Node(first) {
        let path = solve::path_to(graph, first, |_, _| true)?;
        for pair in path.windows(2) {
            let (Some(&from), Some(&to)) = (pair.first(), pair.get(1)) else { continue };
            let edge = graph.node(from)?.edges.iter().position(|e| e.target == Target::Node(to))?;
            steps.push((from, edge));
        }
    }
    steps.push((first, 0));
    for pair in sends.windows(2) {
        let (Some(&from), Some(&to)) = (pair.first(), pair.get(1)) else { continue };
        let leg = least_time_path(graph, from, to)?;
        steps.pop(); // `from` again, now with the edge the leg takes
        steps.extend(leg);
    }
    Some(steps)
}
