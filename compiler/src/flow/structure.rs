//! Flow structure (J05xx): unreachable steps and stages, loops that can send without waiting,
//! split shares, missing timeouts, asks with no way out, duplicate and missing outcomes.
//! Graph walks only (reachability, strongly connected components), all iterative and linear.

use super::graph::{Graph, Node, NodeKind, Predecessors, Target, WaitTarget};
use super::Context;
use crate::check::Sink;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;

pub fn check(cx: &Context<'_>, graph: &Graph, sink: &mut Sink) {
    let reachable = reachable(graph);
    unreachable_steps(graph, &reachable, sink);
    runaway_loops(graph, &reachable, sink);
    // Only an `ask` needs to know where a silent contact can go.
    let asks = graph.nodes.iter().any(|n| matches!(n.kind, NodeKind::Ask { .. }));
    let escapes = if asks { can_escape(graph) } else { Vec::new() };
    for node in &graph.nodes {
        sink.stats.content_rules += 1;
        let (timeout, what) = match &node.kind {
            NodeKind::Ask { timeout_secs, .. } => (timeout_secs.is_some(), "`ask`"),
            NodeKind::WaitFor { within_secs, .. } => (within_secs.is_some(), "`wait for`"),
            NodeKind::Handoff { timeout_secs, .. } => (timeout_secs.is_some(), "`handoff`"),
            NodeKind::ConsentRequest { timeout_secs, .. } => (timeout_secs.is_some(), "`request consent`"),
            _ => (true, ""),
        };
        if !timeout {
            let syntax = if what == "`wait for`" { "within 3d" } else { "timeout 1d" };
            sink.push(
                Diagnostic::new(Code::J0504, format!("{what} without a time limit"), node.file, node.span)
                    .with_label("a contact who never answers stays here forever")
                    .with_help(format!("add `{syntax}` and a `timeout => ...` arm")),
            );
        }
        if let Some(shares) = split_shares(&node.kind) {
            let total: u32 = shares.iter().sum();
            if total != 100 {
                sink.push(
                    Diagnostic::new(
                        Code::J0503,
                        format!("split shares add up to {total}%, not 100%"),
                        node.file,
                        node.span,
                    )
                    .with_label(format!("{}%", shares.iter().map(u32::to_string).collect::<Vec<_>>().join("% + ")))
                    .with_help("make the shares add up to exactly 100%"),
                );
            }
        }
        // Duplicate arms: two edges with the same label that were both written as arms.
        let mut seen: Vec<&str> = Vec::new();
        for edge in node.edges.iter().filter(|e| e.span.is_some()) {
            if seen.contains(&edge.label.as_str()) && !matches!(node.kind, NodeKind::Split { .. }) {
                sink.push(
                    Diagnostic::new(
                        Code::J0507,
                        format!("outcome `{}` has two arms", edge.label),
                        node.file,
                        edge.span.unwrap_or(node.span),
                    )
                    .with_label("second arm; only the first is ever taken")
                    .with_help("merge the two arms"),
                );
            }
            seen.push(&edge.label);
        }
        missing_outcomes(cx, graph, node, sink);
        if let NodeKind::Ask { message, .. } = &node.kind {
            let timeout_target = node.edges.iter().find(|e| e.label == "timeout").map(|e| e.target);
            if let Some(Target::Node(to)) = timeout_target {
                if escapes.get(to) == Some(&false) {
                    sink.push(
                        Diagnostic::new(
                            Code::J0506,
                            format!("`ask {message}` has no way out when the contact does not answer"),
                            node.file,
                            node.span,
                        )
                        .with_label("its timeout never reaches an exit or a handoff")
                        .with_help("on `timeout`, `exit` or hand off to a person"),
                    );
                }
            }
        }
    }
}

/// The shares of a split, unless one was written invalid (already reported: a total would
/// mean nothing).
fn split_shares(kind: &NodeKind) -> Option<Vec<u32>> {
    match kind {
        NodeKind::Split { shares } => shares.iter().copied().collect(),
        _ => None,
    }
}

fn missing_outcomes(cx: &Context<'_>, graph: &Graph, node: &super::graph::Node, sink: &mut Sink) {
    let _ = graph;
    // After the last retry an answer that matches no reply must go somewhere the author chose:
    // `retries` without an `other` arm is refused rather than guessed (only the first asking
    // reports it; its re-asks share its arms).
    if let NodeKind::Ask { message, attempt: 1, attempts, .. } = &node.kind {
        let other = crate::model::OTHER_OUTCOME;
        if *attempts > 1 && !node.edges.iter().any(|e| e.label == other && e.span.is_some()) {
            sink.push(
                Diagnostic::new(
                    Code::J0508,
                    format!("`ask {message}` has `retries` but no `other` arm"),
                    node.file,
                    node.span,
                )
                .with_label("after the last retry, an answer that matches no reply has nowhere to go")
                .with_help(
                    "add `other => { ... }`: for example, say that the bot cannot help and `handoff` to a person",
                ),
            );
        }
    }
    let expected: Vec<&str> = match &node.kind {
        NodeKind::Ask { message, .. } => {
            cx.model.messages.get(message).map(|m| m.outcomes.iter().map(String::as_str).collect()).unwrap_or_default()
        }
        NodeKind::ConsentRequest { .. } => vec!["granted", "declined"],
        _ => return,
    };
    // Only steps written with arms: a bare `ask m` continues for every outcome.
    if !node.edges.iter().any(|e| e.span.is_some()) {
        return;
    }
    let missing: Vec<&str> =
        expected.into_iter().filter(|o| !node.edges.iter().any(|e| e.label == *o && e.span.is_some())).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        sink.push(
            Diagnostic::new(Code::J0508, format!("no arm for outcome {}", names.join(", ")), node.file, node.span)
                .with_label("these outcomes fall through to the next step")
                .with_help(format!("add `{} => ...`", missing.first().copied().unwrap_or("outcome"))),
        );
    }
}

fn reachable(graph: &Graph) -> Vec<bool> {
    let mut seen = vec![false; graph.nodes.len()];
    let mut stack = Vec::new();
    if let Target::Node(first) = graph.start {
        stack.push(first);
    }
    while let Some(index) = stack.pop() {
        match seen.get_mut(index) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        if let Some(node) = graph.node(index) {
            for edge in &node.edges {
                if let Target::Node(to) = edge.target {
                    stack.push(to);
                }
            }
        }
    }
    seen
}

fn unreachable_steps(graph: &Graph, reachable: &[bool], sink: &mut Sink) {
    // Most graphs reach every step: nothing to report, and no predecessors to build.
    if reachable.iter().all(|r| *r) {
        return;
    }
    let mut in_unentered_stage: Vec<&str> = Vec::new();
    for stage in &graph.stages {
        if let Target::Node(start) = stage.start {
            let starts_here = graph.node(start).is_some_and(|n| n.stage == stage.name);
            if starts_here && reachable.get(start) == Some(&false) {
                in_unentered_stage.push(&stage.name);
                sink.push(
                    Diagnostic::new(
                        Code::J0505,
                        format!("stage `{}` is never entered", stage.name),
                        graph.file,
                        stage.span,
                    )
                    .with_label("no `goto` leads here and the stage before it never ends")
                    .with_help(format!("add `goto {}` where it should begin, or remove the stage", stage.name)),
                );
            }
        }
    }
    let preds = graph.predecessors();
    let exited = exited_arms(graph);
    for (index, node) in graph.nodes.iter().enumerate() {
        if reachable.get(index) != Some(&false) || in_unentered_stage.contains(&node.stage.as_str()) {
            continue;
        }
        // Report only the first step of each unreachable run.
        let head = preds.of(index).iter().all(|q| reachable.get(*q) == Some(&true));
        if head {
            let diagnostic = Diagnostic::new(Code::J0501, "this step is never reached", node.file, node.span)
                .with_label("unreachable");
            sink.push(match exited_arm(&exited, node) {
                Some(event) => diagnostic
                    .with_note(format!(
                        "the journey exits on `{event}` (`exit on`), which ends the run before this arm can run"
                    ))
                    .with_help(format!("remove the arm, or take `{event}` out of `exit on`")),
                None => diagnostic.with_help("a `goto` or `exit` before it ends the block; move or remove it"),
            });
        }
    }
}

/// The arms of `wait for` steps for events the journey exits on, by the id prefix their steps
/// share (`WAIT_FOR_ID.EVENT`), with the event: the graph leads those arms' edges to the exit
/// (docs/bundle.md §3.3), so their steps are unreachable for that reason.
fn exited_arms(graph: &Graph) -> std::collections::BTreeMap<String, &str> {
    let mut arms = std::collections::BTreeMap::new();
    if graph.exit_on.is_empty() {
        return arms;
    }
    for wait in &graph.nodes {
        let NodeKind::WaitFor { events, .. } = &wait.kind else { continue };
        for event in events.iter().filter(|e| graph.exit_on.contains(e)) {
            arms.insert(format!("{}.{event}", wait.id), event.as_str());
        }
    }
    arms
}

/// The event, if `node` is inside one of `arms` ([`exited_arms`]): some prefix of its id ending
/// before a `.` is an arm's.
fn exited_arm<'a>(arms: &std::collections::BTreeMap<String, &'a str>, node: &Node) -> Option<&'a str> {
    if arms.is_empty() {
        return None;
    }
    node.id.match_indices('.').find_map(|(at, _)| node.id.get(..at).and_then(|prefix| arms.get(prefix)).copied())
}

/// Edges that take no time and need nothing from the contact: sequencing, branches, splits.
fn instant(kind: &NodeKind, label: &str) -> bool {
    match kind {
        NodeKind::Wait { secs } => *secs == 0,
        // A time of day is always ahead (never now); a moment may already be past.
        NodeKind::WaitUntil { until } => matches!(until, WaitTarget::Moment(_)),
        NodeKind::Ask { .. }
        | NodeKind::WaitFor { .. }
        | NodeKind::Handoff { .. }
        | NodeKind::ConsentRequest { .. } => {
            let _ = label;
            false
        }
        _ => true,
    }
}

/// Strongly connected components of the instant-edge subgraph (iterative Tarjan): a cycle in
/// one that contains a send can send without end. The walk keeps, per open node, the edge to
/// look at next, so it allocates nothing per node.
fn runaway_loops(graph: &Graph, reachable: &[bool], sink: &mut Sink) {
    let n = graph.nodes.len();
    // The first instant successor of `v` through its edges from `from` on, and the edge after.
    let next_successor = |v: usize, from: usize| -> Option<(usize, usize)> {
        let node = graph.node(v)?;
        node.edges.iter().enumerate().skip(from).find_map(|(i, e)| match e.target {
            Target::Node(to) if instant(&node.kind, &e.label) => Some((to, i + 1)),
            _ => None,
        })
    };
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut work: Vec<(usize, usize)> = Vec::new();
    let mut component: Vec<usize> = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index.get(root) != Some(&usize::MAX) {
            continue;
        }
        work.push((root, 0));
        if let (Some(i), Some(l), Some(o)) = (index.get_mut(root), low.get_mut(root), on_stack.get_mut(root)) {
            *i = counter;
            *l = counter;
            *o = true;
        }
        counter += 1;
        stack.push(root);
        while let Some((v, next)) = work.last_mut() {
            let v = *v;
            if let Some((w, after)) = next_successor(v, *next) {
                *next = after;
                if index.get(w) == Some(&usize::MAX) {
                    if let (Some(i), Some(l), Some(o)) = (index.get_mut(w), low.get_mut(w), on_stack.get_mut(w)) {
                        *i = counter;
                        *l = counter;
                        *o = true;
                    }
                    counter += 1;
                    stack.push(w);
                    work.push((w, 0));
                } else if on_stack.get(w) == Some(&true) {
                    let wi = index.get(w).copied().unwrap_or(usize::MAX);
                    if let Some(l) = low.get_mut(v) {
                        *l = (*l).min(wi);
                    }
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                let vl = low.get(v).copied().unwrap_or(0);
                if let Some(l) = low.get_mut(*parent) {
                    *l = (*l).min(vl);
                }
            }
            if low.get(v) == index.get(v) {
                component.clear();
                while let Some(w) = stack.pop() {
                    if let Some(o) = on_stack.get_mut(w) {
                        *o = false;
                    }
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                let self_loop = graph.node(v).is_some_and(|node| {
                    node.edges.iter().any(|e| e.target == Target::Node(v) && instant(&node.kind, &e.label))
                });
                let cyclic = component.len() > 1 || self_loop;
                if !cyclic || !component.iter().any(|c| reachable.get(*c) == Some(&true)) {
                    continue;
                }
                component.sort_unstable();
                if let Some(send) =
                    component.iter().filter_map(|c| graph.node(*c)).find(|node| node.kind.sent_message().is_some())
                {
                    sink.push(
                        Diagnostic::new(Code::J0502, "this send is in a loop that never waits", send.file, send.span)
                            .with_label("can be sent again and again without pause")
                            .with_note(format!(
                                "the loop: {}",
                                component
                                    .iter()
                                    .filter_map(|c| graph.node(*c))
                                    .map(super::describe_node)
                                    .collect::<Vec<_>>()
                                    .join(" -> ")
                            ))
                            .with_help("add a `wait` to the loop, or wait for the contact (`ask`, `wait for`)"),
                    );
                }
            }
        }
    }
}

/// For each node: whether a contact who never answers reaches an exit or a handoff from it.
/// Such a contact takes only the timeout edges of steps that wait for them (asks, waits for
/// events, consent requests); every other edge is open to them.
fn can_escape(graph: &Graph) -> Vec<bool> {
    let silent_edge = |kind: &NodeKind, label: &str| match kind {
        NodeKind::Ask { .. } | NodeKind::WaitFor { .. } | NodeKind::ConsentRequest { .. } => label == "timeout",
        _ => true,
    };
    let preds = Predecessors::new(graph, |node, edge| silent_edge(&node.kind, &edge.label));
    let mut escapes = vec![false; graph.nodes.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (index, node) in graph.nodes.iter().enumerate() {
        let direct = matches!(node.kind, NodeKind::Handoff { .. })
            || node.edges.iter().any(|e| e.target == Target::Exit && silent_edge(&node.kind, &e.label));
        if direct {
            stack.push(index);
        }
    }
    while let Some(index) = stack.pop() {
        match escapes.get_mut(index) {
            Some(e) if !*e => *e = true,
            _ => continue,
        }
        stack.extend(preds.of(index).iter().copied());
    }
    escapes
}
