//! Counted rules: the policy's frequency caps within a run (J0409), the platforms' limits on
//! consent requests (J0414), and what re-entry allows across runs (J0415), where the runtime's
//! count per contact is what enforces a cap (docs/bundle.md §5, §6).

use super::analyses::{self, Frequency};
use super::graph::{self, Graph, NodeIndex, NodeKind};
use super::{describe_node, describe_steps, rules, runs, solve, witness, Context, FlowReport};
use crate::check::Sink;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{FrequencyRule, Message, QuietHoursRule};
use crate::syntax::literals::format_duration;
use crate::weakening::{self, Weakening};

/// Per (send node, index of the cap in the policy): the most sends the cap counts in one run
/// within its period ending at that send, this one included, as proved (the evidence's
/// [`super::CapCount`]).
pub(super) type CapCounts = std::collections::BTreeMap<(NodeIndex, usize), u64>;

/// The largest frequency cap whose last sends are tracked position by position.
const MAX_TRACKED_CAP: usize = 256;

/// Whether the graph has no cycle (Kahn's algorithm: every node can be taken off in order).
fn is_acyclic(graph: &Graph) -> bool {
    let mut incoming = vec![0usize; graph.nodes.len()];
    for node in &graph.nodes {
        for edge in &node.edges {
            if let graph::Target::Node(to) = edge.target {
                if let Some(count) = incoming.get_mut(to) {
                    *count += 1;
                }
            }
        }
    }
    let mut ready: Vec<NodeIndex> = (0..graph.nodes.len()).filter(|i| incoming.get(*i) == Some(&0)).collect();
    let mut removed = 0;
    while let Some(index) = ready.pop() {
        removed += 1;
        for edge in graph.node(index).map(|n| n.edges.as_slice()).unwrap_or(&[]) {
            if let graph::Target::Node(to) = edge.target {
                if let Some(count) = incoming.get_mut(to) {
                    *count -= 1;
                    if *count == 0 {
                        ready.push(to);
                    }
                }
            }
        }
    }
    removed == graph.nodes.len()
}

/// The policy's frequency caps within a run (J0409): a path that sends more of a category
/// than its cap within the period, or any reachable send of a category capped at zero. Returns
/// why a cap could not be proved, for the journey's verdict (fail closed), and the counts it
/// proved at each send.
pub(super) fn frequency_caps(
    cx: &Context<'_>,
    graph: &Graph,
    sent: &[Option<&Message>],
    reachable: &solve::Solution<u64>,
    sink: &mut Sink,
    report: &mut FlowReport,
    exhausted: &mut bool,
) -> (Vec<String>, CapCounts) {
    let mut unproved: Vec<String> = Vec::new();
    let mut counts = CapCounts::new();
    for (rule_index, rule) in cx.policies.frequency.iter().enumerate() {
        let max = usize::try_from(rule.max).unwrap_or(usize::MAX);
        if max > MAX_TRACKED_CAP {
            // Too many positions to track per node. Without loops a path sends each node's
            // message at most once, so a cap above the number of such sends holds; otherwise
            // the journey is not proved, and says so.
            let counted = Frequency::of_cap(sent, rule, 1).counted();
            sink.stats.content_rules += 1;
            if is_acyclic(graph) && counted <= max {
                // Without loops no run counts more than every counted send of the journey.
                let most = u64::try_from(counted).unwrap_or(u64::MAX);
                let frequency = Frequency::of_cap(sent, rule, 1);
                for index in (0..graph.nodes.len()).filter(|i| frequency.counts(*i)) {
                    counts.insert((index, rule_index), most);
                }
            } else {
                unproved.push(format!(
                    "`frequency {} at most {} per {}` cannot be proved on journey `{}`: caps above {MAX_TRACKED_CAP} are proved only on journeys without loops",
                    rule.counted(),
                    rule.max,
                    rule.per_written,
                    graph.journey
                ));
            }
            continue;
        }
        if max == 0 {
            // A cap of zero forbids the category: every send of it that a contact can reach
            // breaks the rule.
            let counted = Frequency::of_cap(sent, rule, 1);
            for (index, node) in graph.nodes.iter().enumerate() {
                if !counted.counts(index) || reachable.input(index).is_none() {
                    continue;
                }
                counts.insert((index, rule_index), 1);
                sink.stats.content_rules += 1;
                sink.push(
                    Diagnostic::new(
                        Code::J0409,
                        format!(
                            "the policy allows no {} messages (at most 0 per {}), and this step sends one",
                            rule.counted(),
                            rule.per_written
                        ),
                        node.file,
                        node.span,
                    )
                    .with_label(format!("a {} send", rule.counted()))
                    .with_secondary(rule.def.file, rule.def.span, "the frequency cap")
                    .with_help(format!(
                        "remove the send, or raise the cap above 0 if {} messages are allowed",
                        rule.counted()
                    )),
                );
            }
            continue;
        }
        let frequency = Frequency::of_cap(sent, rule, max);
        let solution = solve::solve(graph, &frequency, &frequency.start());
        *exhausted |= solution.exhausted;
        report.visits += solution.visits;
        if solution.exhausted {
            continue;
        }
        for index in 0..graph.nodes.len() {
            let Some(recent) = solution.input(index) else { continue };
            if !frequency.counts(index) {
                continue;
            }
            sink.stats.content_rules += 1;
            // This send and every earlier one within the period, on the worst path.
            let within = recent.iter().filter(|r| r.since < rule.per_secs).count();
            counts.insert((index, rule_index), u64::try_from(within).unwrap_or(u64::MAX).saturating_add(1));
            if let Some(oldest) = recent.last().filter(|r| r.since < rule.per_secs) {
                frequency_violation(graph, index, recent, oldest.since, rule, sink);
            }
        }
    }
    (unproved, counts)
}

fn frequency_violation(
    graph: &Graph,
    index: NodeIndex,
    recent: &[analyses::Recent],
    since: u64,
    rule: &FrequencyRule,
    sink: &mut Sink,
) {
    let Some(node) = graph.node(index) else { return };
    let mut order: Vec<NodeIndex> = recent.iter().rev().filter_map(|r| r.send).collect();
    order.push(index);
    // A send in a loop counts once per pass: name it once, with how often it counts.
    let mut counted: Vec<(NodeIndex, usize)> = Vec::new();
    for send in order {
        match counted.iter_mut().find(|(s, _)| *s == send) {
            Some((_, count)) => *count += 1,
            None => counted.push((send, 1)),
        }
    }
    let sends: Vec<String> = counted
        .iter()
        .filter_map(|(i, count)| {
            graph.node(*i).map(|n| {
                if *count > 1 {
                    format!("{} ({count} times)", describe_node(n))
                } else {
                    describe_node(n)
                }
            })
        })
        .collect();
    let mut diagnostic = Diagnostic::new(
        Code::J0409,
        format!(
            "a path sends {} {} messages within {}; the policy allows {} per {}",
            rule.max + 1,
            rule.counted(),
            format_duration(since),
            rule.max,
            rule.per_written
        ),
        node.file,
        node.span,
    )
    .with_label(format!("{} {} send within {}", ordinal(rule.max + 1), rule.counted(), rule.per_written))
    .with_secondary(rule.def.file, rule.def.span, "the frequency cap")
    .with_note(format!("the sends: {}", sends.join(", ")))
    .with_help(format!(
        "wait longer between these sends, or drop one; the cap counts {} sends per contact",
        rule.counted()
    ));
    // A path through the counted sends in order that breaks the cap (not just any path to here).
    let mut in_order: Vec<NodeIndex> = recent.iter().rev().filter_map(|r| r.send).collect();
    in_order.push(index);
    if let Some(steps) = witness::sends_witness(graph, &in_order) {
        diagnostic = diagnostic.with_note(format!("path: {}", describe_steps(graph, &steps)));
    }
    sink.push(diagnostic);
}

/// Consent requests a platform limits (MSGR-MKT: one Messenger marketing opt-in request a
/// week): within a run, a second request reachable sooner is J0414; across runs, J0415 warns
/// when re-entry allows more, and the runtime counts (docs/bundle.md §5).
pub(super) fn consent_request_limits(
    graph: &Graph,
    reachable: &solve::Solution<u64>,
    sink: &mut Sink,
    report: &mut FlowReport,
    exhausted: &mut bool,
) {
    for limit in rules::CONSENT_REQUEST_LIMITS {
        let counted: Vec<bool> = graph
            .nodes
            .iter()
            .map(|n| {
                matches!(&n.kind, NodeKind::ConsentRequest { channel, category, .. }
                    if channel == limit.channel && category == limit.category)
            })
            .collect();
        if !counted.iter().any(|c| *c) {
            continue;
        }
        let max = usize::try_from(limit.max).unwrap_or(usize::MAX).min(MAX_TRACKED_CAP);
        let frequency = Frequency::of_nodes(counted, max);
        let solution = solve::solve(graph, &frequency, &frequency.start());
        *exhausted |= solution.exhausted;
        report.visits += solution.visits;
        if solution.exhausted {
            continue;
        }
        for (index, node) in graph.nodes.iter().enumerate() {
            if !frequency.counts(index) || reachable.input(index).is_none() {
                continue;
            }
            let Some(recent) = solution.input(index) else { continue };
            sink.stats.content_rules += 1;
            let Some(oldest) = recent
                .last()
                .filter(|r| weakening::unless(Weakening::ConsentRequestsNotCounted, r.since < limit.per_secs))
            else {
                continue;
            };
            let earlier = oldest.send.and_then(|i| graph.node(i)).map(describe_node).unwrap_or_default();
            sink.push(
                Diagnostic::new(
                    Code::J0414,
                    format!(
                        "a path asks again for `{}` {} consent {} after the last request; {} allows {} per {}",
                        limit.channel,
                        limit.category,
                        format_duration(oldest.since),
                        limit.channel,
                        limit.max,
                        format_duration(limit.per_secs)
                    ),
                    node.file,
                    node.span,
                )
                .with_label("asked again too soon")
                .with_note(format!("the earlier request: {earlier}"))
                .with_note(format!(
                    "{}: the opt-in request may be sent at most {} per {} per contact",
                    limit.source,
                    limit.max,
                    format_duration(limit.per_secs)
                ))
                .with_help(format!(
                    "wait at least {} between the requests, or ask once",
                    format_duration(limit.per_secs)
                )),
            );
        }
        let per_run = runs::most_per_run(graph, frequency.counted_nodes());
        let period_written = format_duration(limit.per_secs);
        let what = format!("`request consent {} {}`", limit.channel, limit.category);
        let cap = Cap {
            max: limit.max,
            period: limit.per_secs,
            period_written: &period_written,
            what: &what,
            source: limit.source,
        };
        across_runs_warning(graph, frequency.counted_nodes(), 0, per_run, &cap, sink);
    }
}

/// Caps count per contact, across runs and journeys: within a run they are proved (J0409); where
/// re-entry alone lets one journey exceed a cap, J0415 says so with the bound, and the runtime's
/// count (docs/bundle.md §6) is what enforces it.
pub(super) fn caps_across_runs(cx: &Context<'_>, graph: &Graph, sent: &[Option<&Message>], sink: &mut Sink) {
    for rule in &cx.policies.frequency {
        if rule.max == 0 {
            continue; // Forbidden outright: every send is J0409 already.
        }
        let counted = Frequency::of_cap(sent, rule, 1);
        if !counted.counted_nodes().iter().any(|c| *c) {
            continue;
        }
        let per_run = runs::most_per_run(graph, counted.counted_nodes());
        let what = format!("{} messages", rule.counted());
        let cap = Cap {
            max: rule.max,
            period: rule.per_secs,
            period_written: &rule.per_written,
            what: &what,
            source: "the policy's `frequency` rule",
        };
        // A held send goes out later than the run reaches it.
        let hold =
            cx.policies.quiet_hours.as_ref().filter(|_| rules::QUIET_HOURS_APPLY_TO.contains(&rule.category.as_str()));
        across_runs_warning(
            graph,
            counted.counted_nodes(),
            hold.map_or(0, QuietHoursRule::hold_secs),
            per_run,
            &cap,
            sink,
        );
    }
}

/// A cap counted per contact, as J0415 words it: at most `max` of `what` per `period` seconds
/// (`period_written` as the author wrote it), set by `source`.
#[derive(Clone, Copy)]
struct Cap<'c> {
    max: u64,
    period: u64,
    period_written: &'c str,
    what: &'c str,
    source: &'c str,
}

/// J0415 when re-entry lets one journey send more than a cap allows across runs; `hold` is how
/// much later than the run reaches them a counted send may go out.
fn across_runs_warning(
    graph: &Graph,
    counted: &[bool],
    hold: u64,
    per_run: Option<u64>,
    cap: &Cap<'_>,
    sink: &mut Sink,
) {
    let Cap { max, period, period_written, what, source } = *cap;
    sink.stats.content_rules += 1;
    if graph.reentry == Some(None) {
        return; // One run per contact, ever: within a run is everything.
    }
    let reach = runs::longest_to_counted(graph, counted).map(|r| r.saturating_add(hold));
    let runs = runs::runs_within(graph.reentry, runs::least_run_time(graph), reach, period);
    let total = match (per_run, runs) {
        (Some(per_run), Some(runs)) => per_run.checked_mul(runs),
        _ => None,
    };
    // One run at most within a period: what one run sends within it is proved (J0409, J0414).
    if total.is_some_and(|t| t <= max) || per_run == Some(0) || runs == Some(1) {
        return;
    }
    let reentry = match graph.reentry {
        Some(Some(after)) => format!("with `reentry after {}`,", format_duration(after)),
        _ => "without `reentry`, a contact may start again as soon as a run ends, so".to_owned(),
    };
    let message = match (total, runs) {
        (Some(total), Some(runs)) => format!(
            "{reentry} up to {runs} runs can send within one {period_written}, up to {total} {what} ({} per run at most); the cap is {max} per {period_written}",
            per_run.unwrap_or(0),
        ),
        _ => format!(
            "{reentry} the number of {what} in {period_written} has no bound across runs; the cap is {max} per {period_written}"
        ),
    };
    sink.push(
        Diagnostic::new(Code::J0415, message, graph.file, graph.span)
            .with_label("counted per contact, across runs")
            .with_note(format!(
                "{source} counts per contact; within one run it is proved, across runs and journeys the runtime counts and refuses what would exceed it"
            ))
            .with_help(format!(
                "add `reentry after {period_written}` (or `reentry never`) so one journey alone cannot exceed the cap"
            )),
    );
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
