//! Flow graphs and the compliance analyses (J04xx) and flow-structure checks (J05xx).
//!
//! Every journey is lowered to one [`graph::Graph`]; every analysis runs on that graph as a
//! worklist fixpoint ([`solve`]); the bundle is emitted from the same graph. For each send the
//! analyses leave [`SendEvidence`]: the consent it relies on, the proved window bound, the tag or
//! template used, and how quiet hours apply. That record is the compliance report.
//!
//! Verdicts fail closed: a journey is `ok` only when every analysis reached a fixed point within
//! its budget and found nothing; otherwise `violations`, or `inconclusive` (J0413, exit 4).
//!
//! The files, by concern:
//!
//! - `mod.rs` (this file): the driver, [`analyze`] and [`analyze_within`], which runs the
//!   analyses on each journey and gives its verdict (too large, J0509; inconclusive, J0413), and
//!   the [`FlowReport`] with its [`SendEvidence`];
//! - `context.rs`: the project-wide [`Context`] the analyses read (the model's policies, segment
//!   conditions, windowed channels);
//! - [`graph`]: a journey lowered to the flow-graph IR; [`solve`]: the worklist fixpoint;
//!   [`analyses`]: the lattices (consent, windows, frequency, business hours); [`clock`]: the
//!   time of day a `wait until` fixes, which proves sends outside quiet hours;
//! - `sends.rs`: the checks at each send (consent, window, tags, quiet hours) and its evidence;
//! - `caps.rs`: counted rules: frequency caps, consent request limits, and across runs;
//! - `project_rules.rs`: rules over the whole project (wording, STOP/HELP, quiet hours and law);
//! - [`structure`]: the flow-structure checks (J05xx);
//! - [`rules`]: the legal rules as data with their sources; [`media`]: which of them apply to a
//!   channel's medium; [`runs`]: what one run can do, for caps across runs; [`witness`]: paths
//!   read back from the fixpoint for diagnostics.

pub mod analyses;
mod caps;
pub mod clock;
mod context;
pub mod grants;
pub mod graph;
pub mod media;
mod project_rules;
pub mod rules;
pub mod runs;
mod sends;
pub mod solve;
pub mod structure;
pub mod witness;

use crate::ast::Item;
use crate::check::Sink;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::{MAX_JOURNEY_EDGES, MAX_JOURNEY_NODES};
use crate::model::{Message, Model};
use crate::project::Sources;
use crate::syntax::literals::format_duration;
use crate::weakening::{self, Weakening};
use analyses::{Consent, InBusinessHours, Window};
pub use context::Context;
use grants::Grants;
use graph::{Graph, Node, NodeIndex, NodeKind};
use sends::{Proof, SendSite};

/// Why one send is allowed, as proved: the compliance record of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendEvidence {
    pub journey: String,
    pub node: String,
    pub message: String,
    pub channel: String,
    pub category: String,
    /// `consent(sms, marketing)` or why none is needed.
    pub consent: String,
    /// The proved bound on time since the contact's last message on a windowed channel when
    /// the message is handed over, this send's own quiet-hour hold included (`None`: unbounded
    /// or no window), and the window of the opener class that binds it.
    pub window_max_secs: Option<u64>,
    pub window_secs: Option<u64>,
    /// Per opener class some path reaches (the window its message opened, and the bound, hold
    /// included): the proof behind the two fields above when openers differ.
    pub windows: Vec<(u64, Option<u64>)>,
    /// `free-form`, `template` or `tag NAME`.
    pub form: String,
    /// What the frequency caps of its category say about it: `at most 2 per 7d within a run;
    /// across runs and journeys, counted by the runtime`, or `not capped`.
    pub frequency: String,
    /// How quiet hours apply: `deferred up to 13h (21:00..08:00, recipient's time)`, `never held: ...`
    /// or `not applicable`.
    pub quiet_hours: String,
    /// When `consent` names a consent: the `request consent` steps that can have granted it on
    /// some path (node id and the request's message), in node order; empty when only the audience,
    /// the entry condition or a `consent()` check stands for it.
    pub granted_by: Vec<(String, String)>,
    /// The same facts as values, for comparing two versions of a project (`journey diff`); the
    /// texts above stay what the bundle carries.
    pub proved: ProvedValues,
}

/// What the consent of a send rests on, in order of strength for a category that needs consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConsentProof {
    /// Consent is missing on some path (J0401, or J0402 for a free-form send outside the window).
    Missing,
    /// Not required because the send is proved inside the channel's window (MSGR-WIN-1, WA-OPTIN):
    /// the runtime must re-check the window when it hands the message over.
    InsideWindow,
    /// `consent(channel, category)` holds on every path to the send.
    Proved,
    /// Its category needs no consent.
    NotRequired,
}

/// One frequency cap that counts a send, and the most sends it counts in one run within the
/// cap's period ending at this send (this one included), as proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapCount {
    /// `marketing at most 2 per 7d`, or `sms marketing at most 2 per 7d`.
    pub cap: String,
    pub channel: Option<String>,
    pub category: String,
    pub max: u64,
    pub per_secs: u64,
    /// The period as the author wrote it (`7d`).
    pub per_written: String,
    /// `None` when the count was not proved (the analysis did not run for this cap).
    pub count: Option<u64>,
}

/// The structured side of [`SendEvidence`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvedValues {
    pub consent: ConsentProof,
    /// Per frequency cap that counts the send, in policy order.
    pub frequency: Vec<CapCount>,
    /// The longest quiet hours may hold the send (`None`: never held, or quiet hours do not apply).
    pub quiet_hold_secs: Option<u64>,
}

/// What the analyses produced for a project.
#[derive(Debug, Clone, Default)]
pub struct FlowReport {
    pub graphs: Vec<Graph>,
    pub evidence: Vec<SendEvidence>,
    /// Journeys whose analyses ran out of budget.
    pub inconclusive: Vec<String>,
    /// Node visits of every fixpoint, and the bound edges x lattice height they must stay within.
    pub visits: usize,
    pub rules_checked: usize,
}

pub fn analyze(sources: &Sources, model: &Model, sink: &mut Sink) -> FlowReport {
    analyze_within(sources, model, sink, SizeLimits::DEFAULT)
}

/// The most nodes and edges a journey's graph may have before its analyses run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeLimits {
    pub nodes: usize,
    pub edges: usize,
}

impl SizeLimits {
    /// The bounds of `limits.rs`, which every front end uses; tests inject smaller ones, so the
    /// boundary is tested without building a quarter of a million nodes.
    pub const DEFAULT: SizeLimits = SizeLimits { nodes: MAX_JOURNEY_NODES, edges: MAX_JOURNEY_EDGES };
}

/// [`analyze`] with the size bound of a journey given. A journey over it is refused (J0509) and
/// none of its analyses runs: it gets no evidence and no verdict but the error, so it fails
/// closed (no bundle, never "ok").
pub fn analyze_within(sources: &Sources, model: &Model, sink: &mut Sink, limits: SizeLimits) -> FlowReport {
    let cx = Context::new(sources, model);
    let mut report = FlowReport::default();
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            if let Item::Journey(journey) = item {
                let graph = graph::build(journey, file.id, model);
                match too_large(&graph, limits) {
                    Some(diagnostic) => sink.push(diagnostic),
                    None => analyze_journey(&cx, &graph, sink, &mut report),
                }
                report.graphs.push(graph);
            }
        }
    }
    project_rules::project_rules(&cx, sources, &report, sink);
    report.rules_checked = sink.stats.content_rules;
    report
}

/// J0509 when the graph has more nodes or edges than `limits` allow. Building the graph is
/// linear in the journey's text (which the file size limit bounds); the analyses after it are
/// what the bound protects.
fn too_large(graph: &Graph, limits: SizeLimits) -> Option<Diagnostic> {
    let nodes = graph.nodes.len();
    let edges = graph.edge_count();
    let over = if nodes > limits.nodes {
        format!("{nodes} steps; the limit is {}", limits.nodes)
    } else if edges > limits.edges {
        format!("{edges} edges between its steps; the limit is {}", limits.edges)
    } else {
        return None;
    };
    Some(
        Diagnostic::new(Code::J0509, format!("journey `{}` is too large to analyse: {over}", graph.journey), graph.file, graph.span)
            .with_label("this journey")
            .with_note(format!(
                "its flow graph has {nodes} steps and {edges} edges; a journey may have at most {} steps and {} edges, so that checking it takes bounded time and memory",
                limits.nodes, limits.edges
            ))
            .with_note("none of its compliance analyses ran, so nothing in it is reported as compliant")
            .with_help("split it into several smaller journeys, for example one per phase, each with its own `entry on` event"),
    )
}

fn analyze_journey(cx: &Context<'_>, graph: &Graph, sink: &mut Sink, report: &mut FlowReport) {
    if !graph.unresolved_gotos.is_empty() {
        let message = format!(
            "journey `{}` has a `goto` the checker did not resolve to its stage, so its flow graph is incomplete",
            graph.journey
        );
        fail_closed(graph, message, "this is a bug in journey; please report it with this file", report, sink);
        return;
    }
    let sent = analyses::sent_messages(cx, graph);
    let consent = Consent::new(cx, graph);
    let consent_solution = solve::solve(graph, &consent, &consent.start());
    // Business hours first: a send proved inside them, when they never meet quiet hours, is
    // never held, and the window analysis needs to know which sends may be held, and how long.
    let may_hold: Vec<bool> = sent.iter().map(|m| cx.deferral_of(*m).is_some()).collect();
    let never_quiet = cx.business_hours_never_quiet();
    let in_hours = InBusinessHours::new(graph, &may_hold, never_quiet);
    let hours_solution = solve::solve(graph, &in_hours, &[false]);
    // Time of day, where a `wait until` pins it: a send whose clock is outside quiet hours on
    // every path is never held.
    let quiet = cx.policies.quiet_hours.as_ref();
    let clock_solution = quiet.map(|quiet| {
        let time_of_day = clock::TimeOfDay::new(quiet, &may_hold);
        solve::solve(graph, &time_of_day, &time_of_day.start())
    });
    let clock_proof = |i: NodeIndex| -> Option<String> {
        let quiet = quiet?;
        let [at] = clock_solution.as_ref()?.input(i)? else { return None };
        at.outside(quiet).then(|| {
            format!(
                "sent {} {}, outside quiet hours {}",
                at.describe(),
                quiet.zone.as_deref().map_or_else(|| "recipient's time".to_owned(), |zone| format!("in {zone}")),
                quiet.describe()
            )
        })
    };
    let holds: Vec<Option<u64>> = sent
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let in_business_hours = hours_solution.input(i) == Some(&[true][..]);
            cx.deferral_of(*m)
                .filter(|_| !(never_quiet && in_business_hours))
                .filter(|_| clock_proof(i).is_none())
                .filter(|_| weakening::off(Weakening::HoldsIgnored))
        })
        .collect();
    let window = Window::new(cx, graph, &sent, &holds);
    let window_solution = solve::solve(graph, &window, &window.start(graph));
    let clock_exhausted = clock_solution.as_ref().is_some_and(|s| s.exhausted);
    let mut exhausted =
        consent_solution.exhausted || window_solution.exhausted || hours_solution.exhausted || clock_exhausted;
    report.visits += consent_solution.visits + window_solution.visits + hours_solution.visits;
    report.visits += clock_solution.as_ref().map_or(0, |s| s.visits);
    let grants = Grants::new(&consent, graph);
    let grants_solution = grants.as_ref().map(|g| solve::solve(graph, g, &g.start()));
    report.visits += grants_solution.as_ref().map_or(0, |s| s.visits);

    let (unproved, cap_counts) =
        caps::frequency_caps(cx, graph, &sent, &consent_solution, sink, report, &mut exhausted);
    caps::consent_request_limits(graph, &consent_solution, sink, report, &mut exhausted);
    caps::caps_across_runs(cx, graph, &sent, sink);

    if let Some(reason) = unproved.first() {
        fail_closed(graph, reason.clone(), "lower the cap, or remove the loop", report, sink);
        return;
    }
    if exhausted {
        fail_closed(
            graph,
            format!("the analysis of journey `{}` did not finish within its budget", graph.journey),
            "split the journey into smaller ones, or simplify its loops",
            report,
            sink,
        );
        return;
    }

    for ((index, node), message) in graph.nodes.iter().enumerate().zip(&sent) {
        let (Some(message_name), Some(message)) = (node.kind.sent_message(), message) else { continue };
        let (Some(facts), Some(windows)) = (consent_solution.input(index), window_solution.input(index)) else {
            continue; // unreachable: reported by the structure checks
        };
        let in_business_hours = hours_solution.input(index) == Some(&[true][..]);
        let hold = holds.get(index).copied().flatten();
        let proof = Proof {
            consent: &consent,
            facts,
            window: &window,
            window_solution: &window_solution,
            windows,
            in_business_hours,
            hold,
            clock: if hold.is_none() { clock_proof(index) } else { None },
        };
        let site = SendSite { graph, index, node, name: message_name, message };
        let mut evidence = sends::check_send(cx, &site, &proof, sink);
        evidence.proved.frequency = cap_counts_of(cx, message, index, &cap_counts);
        if let (true, Some(grants), Some(solution)) =
            (evidence.consent.starts_with("consent("), &grants, &grants_solution)
        {
            if let Some(fact) = consent.facts.id(&message.channel, &message.category) {
                // A budget that ran out lists every request for the consent: more steps that
                // can have granted it, never fewer.
                let nodes = match solution.input(index).filter(|_| !solution.exhausted) {
                    Some(state) => grants.granting(state, fact),
                    None => grants.every(fact),
                };
                evidence.granted_by = nodes
                    .into_iter()
                    .filter_map(|i| graph.node(i))
                    .map(|n| (n.id.clone(), n.kind.sent_message().unwrap_or_default().to_owned()))
                    .collect();
            }
        }
        report.evidence.push(evidence);
    }
    // A journey that sends must have produced evidence for its sends: "ok" with nothing checked
    // would be a bug in the analyses, so it fails closed instead.
    let sends = sent.iter().filter(|m| m.is_some()).count();
    let proved = report.evidence.iter().filter(|e| e.journey == graph.journey).count();
    let reachable_sends = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| n.kind.sent_message().is_some() && consent_solution.input(*i).is_some())
        .count();
    if sends > 0 && reachable_sends > 0 && proved == 0 {
        fail_closed(
            graph,
            format!("journey `{}` sends messages but none was checked", graph.journey),
            "this is a bug in journey's analyses; please report it",
            report,
            sink,
        );
    }
    structure::check(cx, graph, sink);
}

/// The caps of the policy that count a send of `message` at node `index`, each with the count
/// its analysis proved there.
fn cap_counts_of(cx: &Context<'_>, message: &Message, index: NodeIndex, counts: &caps::CapCounts) -> Vec<CapCount> {
    cx.policies
        .frequency
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.counts(message))
        .map(|(rule_index, rule)| CapCount {
            cap: format!("{} at most {} per {}", rule.counted(), rule.max, rule.per_written),
            channel: rule.channel.clone(),
            category: rule.category.clone(),
            max: rule.max,
            per_secs: rule.per_secs,
            per_written: rule.per_written.clone(),
            count: counts.get(&(index, rule_index)).copied(),
        })
        .collect()
}

/// The verdict for a journey that was not fully proved: inconclusive (J0413, exit code 4), and
/// nothing in it is reported as compliant.
fn fail_closed(graph: &Graph, message: String, help: &str, report: &mut FlowReport, sink: &mut Sink) {
    report.inconclusive.push(graph.journey.clone());
    sink.push(
        Diagnostic::new(Code::J0413, message, graph.file, graph.span)
            .with_label("verdict: inconclusive")
            .with_note("nothing in this journey is reported as compliant; the check fails closed")
            .with_help(help.to_owned()),
    );
}

/// `entry -> s.1 (if) -[else]-> s.2 (send x)`: the steps of a path with the outcome taken
/// where a step has more than one.
fn describe_steps(graph: &Graph, steps: &[(NodeIndex, usize)]) -> String {
    let mut out = String::from("entry");
    let mut label: Option<&str> = None;
    for (index, edge) in steps {
        let Some(node) = graph.node(*index) else { continue };
        match label {
            Some(l) => {
                out.push_str(" -[");
                out.push_str(l);
                out.push_str("]-> ");
            }
            None => out.push_str(" -> "),
        }
        out.push_str(&describe_node(node));
        label = node.edges.get(*edge).map(|e| e.label.as_str()).filter(|_| node.edges.len() > 1);
    }
    out
}

pub fn describe_node(node: &Node) -> String {
    let what = match &node.kind {
        NodeKind::Send { message } => format!("send {message}"),
        NodeKind::Ask { message, .. } => format!("ask {message}"),
        NodeKind::Wait { secs } => format!("wait {}", format_duration(*secs)),
        NodeKind::WaitFor { events, .. } => format!("wait for {}", events.join(", ")),
        NodeKind::WaitUntil { until: graph::WaitTarget::Clock { minute, zone } } => {
            format!(
                "wait until {} {}",
                crate::syntax::literals::format_time(*minute),
                zone.as_deref().unwrap_or("recipient")
            )
        }
        NodeKind::WaitUntil { until: graph::WaitTarget::Moment(_) } => "wait until a moment".to_owned(),
        NodeKind::Branch { .. } => "if".to_owned(),
        NodeKind::Split { .. } => "split".to_owned(),
        NodeKind::Handoff { team, .. } => format!("handoff {team:?}"),
        NodeKind::ConsentRequest { channel, category, .. } => format!("request consent {channel} {category}"),
        NodeKind::ConsentRevoke { channel, category } => format!("revoke consent {channel} {category}"),
        NodeKind::Set { field, .. } => format!("set {field}"),
        NodeKind::Tag { name } => format!("tag {name:?}"),
        NodeKind::Track { name } => format!("track {name:?}"),
    };
    format!("{} ({what})", node.id)
}

#[cfg(test)]
mod tests {
    use super::{analyze_within, SizeLimits};
    use crate::codes::Code;
    use crate::project::{load_sources, MemoryLoader, ProjectPath};

    /// A journey of two steps (`wait`, `send`) whose send has no consent: J0401 when the
    /// analyses run. Its graph has 2 nodes and 3 edges (`next` twice, and the entry edge).
    const UNCONSENTED: &str = r#"import "std/channels"

event signed_up {}

message promo on sms as marketing {
  text "Acme: 10% off today. Reply STOP to opt out"
}

journey welcome {
  entry on signed_up
  stage start {
    wait 1h
    send promo
  }
}
"#;

    /// The codes `UNCONSENTED` gets under `limits`, and the evidence the analyses recorded.
    fn checked_within(limits: SizeLimits) -> (Vec<Code>, usize, usize) {
        let mut loader = MemoryLoader::default();
        let path = ProjectPath::new("main.journey").unwrap();
        loader.insert(path.clone(), UNCONSENTED);
        let sources = load_sources(&[path], &loader);
        let (model, mut sink) = crate::check::check_sources(&sources);
        let report = analyze_within(&sources, &model, &mut sink, limits);
        let graph = report.graphs.first().unwrap();
        assert_eq!((graph.nodes.len(), graph.edge_count()), (2, 3));
        let codes = sink.diagnostics.iter().map(|d| d.code).collect();
        (codes, report.evidence.len(), report.graphs.len())
    }

    #[test]
    fn a_journey_at_the_size_limits_is_analysed_and_one_step_or_edge_over_is_refused_unanalysed() {
        let (codes, evidence, graphs) = checked_within(SizeLimits { nodes: 2, edges: 3 });
        assert!(codes.contains(&Code::J0401) && !codes.contains(&Code::J0509), "{codes:?}");
        assert_eq!((evidence, graphs), (1, 1));
        for over in [SizeLimits { nodes: 1, edges: 3 }, SizeLimits { nodes: 2, edges: 2 }] {
            let (codes, evidence, graphs) = checked_within(over);
            // Only the bound: no analysis ran, so neither the missing consent nor any evidence.
            assert_eq!(codes, vec![Code::J0509], "{over:?}");
            assert_eq!((evidence, graphs), (0, 1), "{over:?}");
        }
    }

    #[test]
    fn the_size_limit_diagnostic_points_at_the_journey_name_and_gives_the_numbers() {
        let mut loader = MemoryLoader::default();
        let path = ProjectPath::new("main.journey").unwrap();
        loader.insert(path.clone(), UNCONSENTED);
        let sources = load_sources(&[path], &loader);
        let (model, mut sink) = crate::check::check_sources(&sources);
        analyze_within(&sources, &model, &mut sink, SizeLimits { nodes: 1, edges: 100 });
        let diagnostic = sink.diagnostics.iter().find(|d| d.code == Code::J0509).unwrap();
        let at = UNCONSENTED.find("journey welcome").unwrap() + "journey ".len();
        assert_eq!(diagnostic.primary.span.range(), at..at + "welcome".len());
        assert_eq!(diagnostic.message, "journey `welcome` is too large to analyse: 2 steps; the limit is 1");
        assert!(diagnostic
            .notes
            .iter()
            .any(|n| n.contains("2 steps and 3 edges") && n.contains("at most 1 steps and 100 edges")));
        assert!(diagnostic.help.as_deref().is_some_and(|h| h.contains("split")));
    }

    #[test]
    fn the_default_size_limits_are_those_of_limits_rs() {
        use crate::limits::{MAX_JOURNEY_EDGES, MAX_JOURNEY_NODES};
        assert_eq!(SizeLimits::DEFAULT, SizeLimits { nodes: MAX_JOURNEY_NODES, edges: MAX_JOURNEY_EDGES });
    }
}
