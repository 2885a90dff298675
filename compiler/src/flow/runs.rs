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
        join_max(into, other);
    }

    /// Still growing at a loop head: the loop counts again on every turn.
    fn widen(&self, previous: &[u64], joined: &mut [u64]) {
        widen_growth_to_unbounded(previous, joined);
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

/// The longest time from a run's start to a counted node (each edge at the most it can take: a
/// reply or an event as late as its timeout), `None` when it has no bound (a loop, a step
/// without a timeout).
pub fn longest_to_counted(graph: &Graph, counted: &[bool]) -> Option<u64> {
    let solution = solve::solve(graph, &LongestTime, &[0]);
    if solution.exhausted {
        return None;
    }
    let mut longest = 0u64;
    for (index, is_counted) in counted.iter().enumerate() {
        if !is_counted {
            continue;
        }
        let Some(&[before]) = solution.input(index) else { continue };
        if before == u64::MAX {
            return None;
        }
        longest = longest.max(before);
    }
    Some(longest)
}

struct LongestTime;

impl LongestTime {
    /// The most time an edge can take (`u64::MAX`: no bound).
    fn most(node: &Node, label: &str) -> u64 {
        use super::graph::NodeKind;
        let limit = |t: Option<u64>| t.unwrap_or(u64::MAX);
        match &node.kind {
            NodeKind::Wait { secs } => *secs,
            NodeKind::WaitUntil { until: super::graph::WaitTarget::Clock { .. } } => {
                super::graph::WAIT_UNTIL_CLOCK_MAX_SECS
            }
            NodeKind::WaitUntil { until: super::graph::WaitTarget::Moment(_) } => u64::MAX,
            NodeKind::Ask { timeout_secs, .. }
            | NodeKind::ConsentRequest { timeout_secs, .. }
            | NodeKind::Handoff { timeout_secs, .. } => limit(*timeout_secs),
            NodeKind::WaitFor { within_secs, .. } => limit(*within_secs),
            _ => {
                let _ = label;
                0
            }
        }
    }
}

impl Analysis for LongestTime {
    type Elem = u64;

    fn join(&self, into: &mut [u64], other: &[u64]) {
        join_max(into, other);
    }

    fn widen(&self, previous: &[u64], joined: &mut [u64]) {
        widen_growth_to_unbounded(previous, joined);
    }

    fn transfer(&self, _index: NodeIndex, node: &Node, out: &mut [u64]) {
        for (time, edge) in out.iter_mut().zip(&node.edges) {
            *time = time.saturating_add(Self::most(node, &edge.label));
        }
    }
}

/// How many runs of a journey can have counted sends within one period of `period` seconds:
/// `None` when there is no bound. Runs of one contact follow each other (one at a time), so the
/// runs that meet a period are those that start inside it, at most `ceil(period / gap)`, and at
/// most one that started before it and is still sending; a run's counted sends all come within
/// `reach` of its start (`longest_to_counted`, holds included), so a run that started more than
/// `reach` before the period has none in it, which can make the bound `ceil((period + reach) /
/// gap)` smaller. `gap` is the least time between two starts: not declared, the least run (a new
/// run may start as soon as the last one ended, `None`: no run ever ends); `reentry never`, one
/// run ever; `reentry after D`, D, and not before the last run ended.
pub fn runs_within(
    reentry: Option<Option<u64>>,
    least_run: Option<u64>,
    reach: Option<u64>,
    period: u64,
) -> Option<u64> {
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
    let starting_inside = period.div_ceil(gap).max(1);
    let overlapping = starting_inside.saturating_add(1);
    Some(match reach {
        Some(reach) => overlapping.min(period.saturating_add(reach).div_ceil(gap).max(1)),
        None => overlapping,
    })
}

/// The join of the "most" analyses (counted sends, longest time): the larger per edge.
fn join_max(into: &mut [u64], other: &[u64]) {
    for (a, b) in into.iter_mut().zip(other) {
        *a = (*a).max(*b);
    }
}

/// Their widening at loop heads: a value still growing grows on every turn, so it has no bound.
fn widen_growth_to_unbounded(previous: &[u64], joined: &mut [u64]) {
    for (before, now) in previous.iter().zip(joined.iter_mut()) {
        if *now > *before {
            *now = u64::MAX;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::runs_within;

    #[test]
    fn runs_within_a_period_follow_the_reentry_rule_the_shortest_run_and_the_reach() {
        let day = 86_400;
        assert_eq!(runs_within(Some(None), Some(0), Some(0), 7 * day), Some(1));
        // Sends at a run's start only: the runs starting inside the period.
        assert_eq!(runs_within(Some(Some(day)), Some(0), Some(0), 7 * day), Some(7));
        // A run lasts at least 3 days: reentry after 1 day cannot start runs closer than that;
        // with sends up to 3 days in, one run from before the period still sends in it.
        assert_eq!(runs_within(Some(Some(day)), Some(3 * day), Some(3 * day), 7 * day), Some(4));
        // Runs 30 days apart whose sends come within 12h of the start: one run per period.
        assert_eq!(runs_within(Some(Some(30 * day)), Some(0), Some(day / 2), 7 * day), Some(1));
        // The same with a send as late as 29 days in: the end of one run and the start of the
        // next can share a period.
        assert_eq!(runs_within(Some(Some(30 * day)), Some(0), Some(29 * day), 7 * day), Some(2));
        // Not declared: as soon as a run ends; a run that can end at once gives no bound.
        assert_eq!(runs_within(None, Some(0), Some(0), 7 * day), None);
        // Unknown reach: the runs starting inside, and one more.
        assert_eq!(runs_within(None, Some(2 * day), None, 7 * day), Some(5));
        // A run that never ends (a loop with no way out) leaves no room for a second one.
        assert_eq!(runs_within(None, None, None, 7 * day), Some(1));
    }
}
