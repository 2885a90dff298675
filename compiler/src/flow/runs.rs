//! What one run of a journey can do, for the rules that count per contact across runs: the most
//! counted steps one run can take, and the least time a run can last. With the journey's
//! `reentry`, these bound how many runs, and so how many counted sends, fit in a cap's period
//! (docs/analyses.md, "Frequency across runs"). Both are fixpoints on the solver, linear in the
//! graph.

use super::analyses::Frequency;
use super::graph::{Graph, Node, NodeIndex, Target};
use super::solve::{self, Analysis};

/// The most counted nodes on one path of a run: `None` when a loop can repeat one without bound.
pub fn most_per_run(graph: &Graph, counted: &[bool]) -> Option<u64> {
    let analysis = MostCounted { counted };
    let solution = solve::solve(graph, &analysis, &[0]);
    if solution.exhausted {
        return None;
    }
    let mut most = 0u64;
    for (index, is_counted) in counted.iter().enumerate() {
        if !is_counted {
            continue;
        }
        let Some(&[before]) = solution.input(index) else { continue };
        if before == u64::MAX {
            return None;
        }
        most = most.max(before.saturating_add(1));
    }
    Some(most)
}

struct MostCounted<'c> {
    counted: &'c [bool],
}

impl Analysis for MostCounted<'_> {
    type Elem = u64;

    fn join(&self, into: &mut [u64], other: &[u64]) {
        for (a, b) in into.iter_mut().zip(other) {
            *a = (*a).max(*b);
        }
    }

    /// Still growing at a loop head: the loop counts again on every turn.
    fn widen(&self, previous: &[u64], joined: &mut [u64]) {
        for (before, now) in previous.iter().zip(joined.iter_mut()) {
            if *now > *before {
                *now = u64::MAX;
            }
        }
    }

    fn transfer(&self, index: NodeIndex, _node: &Node, out: &mut [u64]) {
        if self.counted.get(index) == Some(&true) {
            for count in out.iter_mut() {
                *count = count.saturating_add(1);
            }
        }
    }
}

/// The least time from a run's start to its end (`exit`, or the end of the last stage), counting
/// the least each edge takes (a reply or an event can come at once). `None` when no path ends.
pub fn least_run_time(graph: &Graph) -> Option<u64> {
    // An `exit on` event can end a run at any moment, the first included.
    if graph.start == Target::Exit || !graph.exit_on.is_empty() {
        return Some(0);
    }
    let solution = solve::solve(graph, &LeastTime, &[0]);
    if solution.exhausted {
        return Some(0); // Not proved longer: the shortest run is taken to take no time.
    }
    let mut least: Option<u64> = None;
    for (index, node) in graph.nodes.iter().enumerate() {
        let Some(&[before]) = solution.input(index) else { continue };
        for edge in node.edges.iter().filter(|e| e.target == Target::Exit) {
            let total = before.saturating_add(Frequency::least_time(node, &edge.label));
            least = Some(least.map_or(total, |l| l.min(total)));
        }
    }
    least
}

struct LeastTime;

impl Analysis for LeastTime {
    type Elem = u64;

    fn join(&self, into: &mut [u64], other: &[u64]) {
        for (a, b) in into.iter_mut().zip(other) {
            *a = (*a).min(*b);
        }
    }

    /// Still shrinking at a loop head: take no time at all (the least it can be).
    fn widen(&self, previous: &[u64], joined: &mut [u64]) {
        for (before, now) in previous.iter().zip(joined.iter_mut()) {
            if *now < *before {
                *now = 0;
            }
        }
    }

    fn transfer(&self, _index: NodeIndex, node: &Node, out: &mut [u64]) {
        for (time, edge) in out.iter_mut().zip(&node.edges) {
            *time = time.saturating_add(Frequency::least_time(node, &edge.label));
        }
    }
}

/// How many runs of a journey can start within `period` seconds: `None` when there is no
/// bound. `reentry` is the graph's: not declared, a new run may start as soon as the last one
/// ended (so runs are at least `least_run` apart; `None`: no run ever ends); `reentry never`, one run ever; `reentry after
/// D`, runs start at least D apart, and not before the last one ended.
pub fn runs_within(reentry: Option<Option<u64>>, least_run: Option<u64>, period: u64) -> Option<u64> {
    let Some(least_run) = least_run else {
        return Some(1); // No run ever ends, so no second one starts.
    };
    let gap = match reentry {
        Some(None) => return Some(1),
        Some(Some(after)) => after.max(least_run),
        None => least_run,
    };
    if gap == 0 {
        return None;
    }
    Some(period.div_ceil(gap).max(1))
}

#[cfg(test)]
mod tests {
    use super::runs_within;

    #[test]
    fn runs_within_a_period_follow_the_reentry_rule_and_the_shortest_run() {
        let day = 86_400;
        assert_eq!(runs_within(Some(None), Some(0), 7 * day), Some(1));
        assert_eq!(runs_within(Some(Some(day)), Some(0), 7 * day), Some(7));
        // A run lasts at least 3 days: reentry after 1 day cannot start runs closer than that.
        assert_eq!(runs_within(Some(Some(day)), Some(3 * day), 7 * day), Some(3));
        assert_eq!(runs_within(Some(Some(30 * day)), Some(0), 7 * day), Some(1));
        // Not declared: as soon as a run ends; a run that can end at once gives no bound.
        assert_eq!(runs_within(None, Some(0), 7 * day), None);
        assert_eq!(runs_within(None, Some(2 * day), 7 * day), Some(4));
        // A run that never ends (a loop with no way out) leaves no room for a second one.
        assert_eq!(runs_within(None, None, 7 * day), Some(1));
    }
}
