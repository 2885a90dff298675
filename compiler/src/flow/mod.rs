//! Flow graphs and the compliance analyses (J04xx) and flow-structure checks (J05xx).
//!
//! Every journey is lowered to one [`graph::Graph`]; every analysis runs on that graph as a
//! worklist fixpoint ([`solve`]); the bundle is emitted from the same graph. For each send the
//! analyses leave [`SendEvidence`]: the consent it relies on, the proved window bound, the tag or
//! template used, and how quiet hours apply. That record is the compliance report.
//!
//! Verdicts fail closed: a journey is `ok` only when every analysis reached a fixed point within
//! its budget and found nothing; otherwise `violations`, or `inconclusive` (J0413, exit 4).

pub mod analyses;
pub mod graph;
pub mod media;
pub mod rules;
pub mod runs;
pub mod solve;
pub mod structure;
pub mod witness;

use std::collections::BTreeMap;

use crate::ast::{self, Item};
use crate::check::Sink;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::{MAX_JOURNEY_EDGES, MAX_JOURNEY_NODES};
use crate::model::{Def, FrequencyRule, JurisdictionRule, Model, Policies, QuietHoursRule};
use crate::project::Sources;
use crate::syntax::literals::{format_duration, format_time, format_window};
use crate::weakening::{self, Weakening};
use analyses::{Consent, Elapsed, Frequency, InBusinessHours, Window};
use graph::{Graph, Node, NodeIndex, NodeKind};

/// Project-wide facts the analyses need besides the model: policies and segment conditions.
pub struct Context<'a> {
    pub model: &'a Model,
    /// The model's policies (first `quiet_hours` and `business_hours`, every frequency rule and
    /// jurisdiction), as `check::collect` gathered them.
    pub policies: &'a Policies,
    pub segments: BTreeMap<&'a str, &'a ast::Expr>,
    /// Channels with a messaging window, by name, and the window's length: the components of a
    /// window analysis state.
    windows: Vec<(&'a str, u64)>,
    /// How quiet hours apply to a send they can defer, as the evidence says it: the same for
    /// every such send, so written once.
    deferred_text: Option<String>,
    /// The evidence's consent text for each category of the project's messages that needs no
    /// consent, written once rather than at every send.
    consent_not_required: BTreeMap<&'a str, String>,
}

/// What the analyses add to the policy's quiet hours.
impl QuietHoursRule {
    /// How long a send that falls in quiet hours can be held: the period's clock length, plus
    /// the longest the clocks go back in one night in any zone of the time-zone database
    /// (`rules::LONGEST_CLOCK_BACK_SECS`): a 21:00..08:00 night lasts 12h when clocks go back an
    /// hour, 13h in the zone that goes back two.
    pub fn hold_secs(&self) -> u64 {
        self.length_secs().saturating_add(rules::LONGEST_CLOCK_BACK_SECS)
    }
}

impl<'a> Context<'a> {
    pub fn new(sources: &'a Sources, model: &'a Model) -> Context<'a> {
        let mut cx = Context {
            model,
            policies: &model.policies,
            segments: BTreeMap::new(),
            windows: model.channels.iter().filter_map(|(name, c)| c.window_secs.map(|w| (name.as_str(), w))).collect(),
            deferred_text: None,
            consent_not_required: BTreeMap::new(),
        };
        for file in &sources.files {
            let Some(ast) = &file.ast else { continue };
            for item in &ast.items {
                if let Item::Segment(segment) = item {
                    cx.segments.entry(segment.name.name.as_str()).or_insert(&segment.condition);
                }
            }
        }
        for message in model.messages.values() {
            let category = message.category.as_str();
            if !rules::CONSENT_REQUIRED.iter().any(|(c, _)| *c == category) {
                cx.consent_not_required
                    .entry(category)
                    .or_insert_with(|| format!("not required for {category} messages"));
            }
        }
        cx.deferred_text = cx.policies.quiet_hours.as_ref().map(|quiet| {
            format!(
                "deferred up to {} ({}, {})",
                format_duration(quiet.hold_secs()),
                quiet.describe(),
                if quiet.recipient() { "recipient's time" } else { "fixed zone" },
            )
        });
        cx
    }

    /// What kind of channel a name is for the legal rules, from its medium (`media::kind`): `sms`
    /// for every phone text (sms, mms, rcs), `email`, `messaging`, `push`; its name when it has
    /// no medium.
    pub fn channel_kind<'n>(&self, name: &'n str) -> &'n str {
        match self.medium_of(name) {
            Some(medium) => media::kind(medium),
            None => name,
        }
    }

    /// Channels with a messaging window, and its length, in name order.
    pub fn windowed_channels(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.windows.iter().copied()
    }

    /// A windowed channel's position in [`Context::windowed_channels`], and its window.
    pub fn window_of(&self, channel: &str) -> Option<(usize, u64)> {
        let index = self.windows.binary_search_by(|(name, _)| (*name).cmp(channel)).ok()?;
        self.windows.get(index).map(|(_, window)| (index, *window))
    }

    /// Whether quiet hours apply to a message, and then how long its send may be held.
    pub fn deferral_of(&self, message: Option<&crate::model::Message>) -> Option<u64> {
        let quiet = self.policies.quiet_hours.as_ref()?;
        rules::QUIET_HOURS_APPLY_TO.contains(&message?.category.as_str()).then(|| quiet.hold_secs())
    }

    /// Whether a moment in business hours is never in quiet hours. In one zone (the recipient's,
    /// or one fixed zone) the two ranges are compared minute by minute (times are whole minutes,
    /// so this is exact). In two fixed zones, for every difference between their UTC offsets that
    /// the time-zone database allows (`timezones::utc_offset_range`), in minute steps. Business
    /// hours in a fixed zone and quiet hours in the recipient's cannot be compared: the contact
    /// may be anywhere. When this holds, a send made inside business hours is never held.
    pub fn business_hours_never_quiet(&self) -> bool {
        let (Some(business), Some(quiet)) = (&self.policies.business_hours, &self.policies.quiet_hours) else {
            return false;
        };
        if weakening::on(Weakening::BusinessHoursNeverQuiet) {
            return true;
        }
        // Minutes to add to a business-hours clock time to get the quiet-hours clock time.
        let shifts: std::ops::RangeInclusive<i32> = match (&business.zone, &quiet.zone) {
            (b, q) if b == q => 0..=0,
            (Some(b), Some(q)) => {
                let (Some((b_min, b_max)), Some((q_min, q_max))) =
                    (crate::timezones::utc_offset_range(b), crate::timezones::utc_offset_range(q))
                else {
                    return false;
                };
                // Seconds to minutes, rounded outwards so no offset is left out.
                (q_min - b_max).div_euclid(60)..=(q_max - b_min + 59).div_euclid(60)
            }
            _ => return false,
        };
        !(0..1440u16).filter(|m| business.contains(*m)).any(|m| {
            shifts.clone().any(|shift| {
                let local = (i32::from(m) + shift).rem_euclid(1440);
                u16::try_from(local).is_ok_and(|local| quiet.contains(local))
            })
        })
    }
}

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
    project_rules(&cx, sources, &report, sink);
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

fn analyze_journey(cx: &Context<'_>, graph: &Graph, sink: &mut Sink, report: &mut FlowReport) {
    let sent = analyses::sent_messages(cx, graph);
    let consent = Consent::new(cx, graph);
    let consent_solution = solve::solve(graph, &consent, &consent.start());
    // Business hours first: a send proved inside them, when they never meet quiet hours, is
    // never held, and the window analysis needs to know which sends may be held, and how long.
    let may_hold: Vec<bool> = sent.iter().map(|m| cx.deferral_of(*m).is_some()).collect();
    let never_quiet = cx.business_hours_never_quiet();
    let in_hours = InBusinessHours::new(graph, &may_hold, never_quiet);
    let hours_solution = solve::solve(graph, &in_hours, &[false]);
    let holds: Vec<Option<u64>> = sent
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let in_business_hours = hours_solution.input(i) == Some(&[true][..]);
            cx.deferral_of(*m)
                .filter(|_| !(never_quiet && in_business_hours))
                .filter(|_| weakening::off(Weakening::HoldsIgnored))
        })
        .collect();
    let window = Window::new(cx, graph, &sent, &holds);
    let window_solution = solve::solve(graph, &window, &window.start(graph));
    let mut exhausted = consent_solution.exhausted || window_solution.exhausted || hours_solution.exhausted;
    report.visits += consent_solution.visits + window_solution.visits + hours_solution.visits;

    let mut unproved: Vec<String> = Vec::new();
    for rule in &cx.policies.frequency {
        let max = usize::try_from(rule.max).unwrap_or(usize::MAX);
        if max > MAX_TRACKED_CAP {
            // Too many positions to track per node. Without loops a path sends each node's
            // message at most once, so a cap above the number of such sends holds; otherwise
            // the journey is not proved, and says so.
            let counted = Frequency::new(&sent, &rule.category, 1).counted();
            sink.stats.content_rules += 1;
            if !(is_acyclic(graph) && counted <= max) {
                unproved.push(format!(
                    "`frequency {} at most {} per {}` cannot be proved on journey `{}`: caps above {MAX_TRACKED_CAP} are proved only on journeys without loops",
                    rule.category,
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
            let counted = Frequency::new(&sent, &rule.category, 1);
            for (index, node) in graph.nodes.iter().enumerate() {
                if !counted.counts(index) || consent_solution.input(index).is_none() {
                    continue;
                }
                sink.stats.content_rules += 1;
                sink.push(
                    Diagnostic::new(
                        Code::J0409,
                        format!(
                            "the policy allows no {} messages (at most 0 per {}), and this step sends one",
                            rule.category, rule.per_written
                        ),
                        node.file,
                        node.span,
                    )
                    .with_label(format!("a {} send", rule.category))
                    .with_secondary(rule.def.file, rule.def.span, "the frequency cap")
                    .with_help(format!(
                        "remove the send, or raise the cap above 0 if {} messages are allowed",
                        rule.category
                    )),
                );
            }
            continue;
        }
        let frequency = Frequency::new(&sent, &rule.category, max);
        let solution = solve::solve(graph, &frequency, &frequency.start());
        exhausted |= solution.exhausted;
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
            if let Some(oldest) = recent.last().filter(|r| r.since < rule.per_secs) {
                frequency_violation(graph, index, recent, oldest.since, rule, sink);
            }
        }
    }

    consent_request_limits(graph, &consent_solution, sink, report, &mut exhausted);
    caps_across_runs(cx, graph, &sent, sink);

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
        };
        let evidence = check_send(cx, graph, index, node, message_name, message, &proof, sink);
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

/// What the analyses proved at one send: the consent facts and window intervals that hold
/// on every path to it, and whether every path went through business hours.
struct Proof<'p> {
    consent: &'p Consent,
    facts: &'p [u64],
    window: &'p Window<'p>,
    window_solution: &'p solve::Solution<Elapsed>,
    windows: &'p [Elapsed],
    in_business_hours: bool,
    /// How long quiet hours may hold this send (`None`: not held).
    hold: Option<u64>,
}

/// The time since the contact's last message on a windowed channel at one send, per opener
/// class that some path reaches: (window it opened, `None` for "never wrote"; the interval).
fn channel_bounds(cx: &Context<'_>, proof: &Proof<'_>, channel: &str) -> Option<Vec<(Option<u64>, Elapsed)>> {
    let (index, _) = cx.window_of(channel)?;
    let classes = &proof.window.classes;
    Some(
        classes
            .of_channel(index)
            .filter_map(|i| {
                let elapsed = proof.windows.get(i).filter(|e| e.reached)?;
                Some((classes.class(i)?.window, *elapsed))
            })
            .collect(),
    )
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

#[allow(clippy::too_many_arguments)]
fn check_send(
    cx: &Context<'_>,
    graph: &Graph,
    index: NodeIndex,
    node: &Node,
    message_name: &str,
    message: &crate::model::Message,
    proof: &Proof<'_>,
    sink: &mut Sink,
) -> SendEvidence {
    let channel = cx.model.channels.get(&message.channel);
    let fact = (message.channel.as_str(), message.category.as_str());
    let hold = proof.hold;
    let bounds = cx.window_of(&message.channel).and_then(|_| channel_bounds(cx, proof, &message.channel));
    let binding = match (channel, &bounds) {
        (Some(channel), Some(bounds)) => binding_class(message, channel, bounds, hold.unwrap_or(0)),
        _ => None,
    };

    // Consent.
    sink.stats.content_rules += 1;
    let always = rules::CONSENT_REQUIRED.iter().find(|(category, _)| *category == message.category);
    // A channel rule `consent CATEGORY outside window`: the category needs consent outside the
    // channel's window and none inside it (MSGR-WIN-1 for Messenger promotions, WA-OPTIN for
    // every business-initiated WhatsApp message).
    let outside_window = channel.filter(|c| c.consent_outside_window.contains(&message.category));
    let consent_text = if always.is_none() && outside_window.is_none() {
        match cx.consent_not_required.get(message.category.as_str()) {
            Some(text) => text.clone(),
            None => format!("not required for {} messages", message.category),
        }
    } else if proof.consent.facts.id(fact.0, fact.1).is_some_and(|id| analyses::holds(proof.facts, id)) {
        format!("consent({}, {})", fact.0, fact.1)
    } else {
        let source = match (always, outside_window) {
            (Some((_, source)), _) => (*source).to_owned(),
            _ => rules::window_consent_rule(&message.channel).to_owned(),
        };
        // Only without consent does a channel's waiver matter (and cost its words).
        let waiver = outside_window.map(|_| in_window_bound(message, always.is_some(), bounds.as_deref(), hold));
        match waiver {
            Some(Ok((bound, window))) => {
                format!(
                    "not required inside the {} window: {}",
                    fact.0,
                    waiver_words(bounds.as_deref(), hold, (bound, window))
                )
            }
            // A free-form message of a category that needs consent only outside the window, on
            // a channel that allows only templates there: outside the window it is J0402
            // already, and a second error would say the same.
            Some(Err(_))
                if always.is_none()
                    && !message.is_template
                    && channel.is_some_and(|c| c.template_required_outside_window) =>
            {
                "missing".to_owned()
            }
            // No waiver, or the channel's waiver does not apply to this send.
            refused => {
                let why_not = refused.and_then(Result::err);
                consent_violation(proof.consent, graph, index, node, message_name, fact, &source, why_not, sink);
                "missing".to_owned()
            }
        }
    };

    // Tags.
    let form = if message.is_template {
        "template".to_owned()
    } else if let Some(tag) = &message.tag {
        format!("tag {tag}")
    } else {
        "free-form".to_owned()
    };
    if let (Some(tag_name), Some(channel)) = (&message.tag, channel) {
        check_tag(graph, node, message_name, message, tag_name, channel, sink);
    }

    // Windows. The record's bound holds on every path (the largest of every opener class), its
    // window is the shortest any path opened, and `windows` has the proof per opener class: a
    // message that opened 24h and an ad reply that opened 7 days are told apart there.
    let mut window_max = None;
    let mut window_len = None;
    let mut per_opener: Vec<(u64, Option<u64>)> = Vec::new();
    if let (Some(channel_decl), Some((class_window, elapsed))) = (channel, binding) {
        sink.stats.content_rules += 1;
        let held = hold.unwrap_or(0);
        let mut never = false;
        for (window, since) in bounds.as_deref().unwrap_or(&[]) {
            match window {
                Some(window) => per_opener.push((*window, since.max.and_then(|m| m.checked_add(held)))),
                None => never = true,
            }
        }
        window_len = per_opener.iter().map(|(w, _)| *w).min().or(class_window).or(channel_decl.window_secs);
        window_max = if never || per_opener.is_empty() {
            None
        } else {
            per_opener.iter().try_fold(0u64, |most, (_, max)| max.map(|m| most.max(m)))
        };
        // The witness: a path that reaches this bound, read back from the fixpoint (only when
        // a diagnostic needs it).
        let witness = || {
            let (channel_index, _) = cx.window_of(&message.channel)?;
            let classes = &proof.window.classes;
            let component = classes
                .of_channel(channel_index)
                .find(|i| classes.class(*i).is_some_and(|c| c.window == class_window))?;
            let steps = witness::window_witness(graph, proof.window, proof.window_solution, index, component)?;
            Some(describe_steps(graph, &steps))
        };
        check_window(cx, node, message_name, message, channel_decl, (class_window, elapsed), hold, &witness, sink);
    }

    // Quiet hours inside business hours.
    if proof.in_business_hours {
        check_business_hours(cx, node, message_name, message, sink);
    }

    let quiet = match (hold, cx.deferral_of(Some(message)), &cx.deferred_text) {
        (Some(_), _, Some(text)) => text.clone(),
        (None, Some(_), Some(_)) => "never held: sent inside business hours, which never meet quiet hours".to_owned(),
        _ => "not applicable".to_owned(),
    };
    SendEvidence {
        journey: graph.journey.clone(),
        node: node.id.clone(),
        message: message_name.to_owned(),
        channel: message.channel.clone(),
        category: message.category.clone(),
        consent: consent_text,
        window_max_secs: window_max,
        window_secs: window_len,
        windows: per_opener,
        form,
        frequency: frequency_text(cx, &message.category),
        quiet_hours: quiet,
    }
}

/// One step of a path: a node and the index of the edge taken from it.
type Step = (NodeIndex, usize);

/// A path from the start to `target` on which fact `id` does not hold when it gets there, as
/// (node, edge taken) steps with `target` last (its edge unused), and the edge that revoked the
/// fact last on it, if it was revoked rather than never established. Breadth-first over (node,
/// whether the fact holds): linear in the graph, never path enumeration.
fn consent_witness(
    consent: &Consent,
    graph: &Graph,
    target: NodeIndex,
    id: Option<usize>,
) -> Option<(Vec<Step>, Option<Step>)> {
    let graph::Target::Node(first) = graph.start else { return None };
    let holds_at_start = id.is_some_and(|id| consent.holds_at_start(id));
    let count = graph.nodes.len();
    let key = |node: NodeIndex, holds: bool| node * 2 + usize::from(holds);
    // Per state: the state it was reached from, and the edge taken.
    let mut parent: Vec<Option<(usize, usize)>> = vec![None; count * 2];
    let mut seen = vec![false; count * 2];
    let mut queue = std::collections::VecDeque::new();
    let start = key(first, holds_at_start);
    *seen.get_mut(start)? = true;
    queue.push_back((first, holds_at_start));
    while let Some((at, holds)) = queue.pop_front() {
        if at == target && !holds {
            // Walk back, noting the last edge that revoked the fact.
            let mut steps = vec![(at, 0)];
            let mut lost = None;
            let mut state = key(at, holds);
            while let Some(Some((previous, edge))) = parent.get(state) {
                let node = previous / 2;
                let was = previous % 2 == 1;
                if was && lost.is_none() && id.is_some_and(|id| consent.revokes(node, *edge, id)) {
                    lost = Some((node, *edge));
                }
                steps.push((node, *edge));
                state = *previous;
            }
            steps.reverse();
            return Some((steps, lost));
        }
        let Some(node) = graph.node(at) else { continue };
        for (edge_index, edge) in node.edges.iter().enumerate() {
            let graph::Target::Node(to) = edge.target else { continue };
            let next = match id {
                Some(id) => (holds && !consent.revokes(at, edge_index, id)) || consent.establishes(at, edge_index, id),
                None => false,
            };
            let state = key(to, next);
            if seen.get(state) == Some(&false) {
                if let Some(s) = seen.get_mut(state) {
                    *s = true;
                }
                if let Some(p) = parent.get_mut(state) {
                    *p = Some((key(at, holds), edge_index));
                }
                queue.push_back((to, next));
            }
        }
    }
    None
}

/// Why taking edge `label` of `node` revoked consent on `channel`.
fn revocation_reason(node: &Node, label: &str, channel: &str) -> String {
    match &node.kind {
        NodeKind::WaitFor { .. } => format!("the contact opted out (`{label}` revokes every consent on {channel})"),
        NodeKind::ConsentRequest { .. } if label == "declined" => "the contact declined the request".to_owned(),
        NodeKind::Ask { .. } | NodeKind::ConsentRequest { .. } => format!(
            "the contact may have answered with an opt-out keyword, which revokes every consent on {channel} (CTIA-STOP)"
        ),
        _ => "consent revoked".to_owned(),
    }
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

/// The record's words on the caps of a category: proved within a run, a runtime obligation
/// across runs and journeys (docs/bundle.md §6).
fn frequency_text(cx: &Context<'_>, category: &str) -> String {
    let caps: Vec<String> = cx
        .policies
        .frequency
        .iter()
        .filter(|rule| rule.category == category)
        .map(|rule| format!("at most {} per {}", rule.max, rule.per_written))
        .collect();
    if caps.is_empty() {
        "not capped".to_owned()
    } else {
        format!("{} within a run; across runs and journeys, counted by the runtime", caps.join(" and "))
    }
}

pub fn describe_node(node: &Node) -> String {
    let what = match &node.kind {
        NodeKind::Send { message } => format!("send {message}"),
        NodeKind::Ask { message, .. } => format!("ask {message}"),
        NodeKind::Wait { secs } => format!("wait {}", format_duration(*secs)),
        NodeKind::WaitFor { events, .. } => format!("wait for {}", events.join(", ")),
        NodeKind::Branch { .. } => "if".to_owned(),
        NodeKind::Split { .. } => "split".to_owned(),
        NodeKind::Handoff { team, .. } => format!("handoff {team:?}"),
        NodeKind::ConsentRequest { channel, category, .. } => format!("request consent {channel} {category}"),
        NodeKind::Set { field, .. } => format!("set {field}"),
        NodeKind::Tag { name } => format!("tag {name:?}"),
        NodeKind::Track { name } => format!("track {name:?}"),
    };
    format!("{} ({what})", node.id)
}

/// For a send on a channel that needs its category's consent only outside the window: the
/// proved bound on the time since the contact's last message, quiet-hour hold included, and the
/// window, when every path is inside the window; otherwise why the waiver does not apply. For a
/// category that needs consent everywhere else (marketing), only a free-form message in the
/// conversation is waived: templates are business-initiated, and tags may not carry promotions
/// (MSGR-WIN-1, MSGR-TAG-PROMO). For the others (WA-OPTIN), a template inside the window is a
/// reply too.
fn in_window_bound(
    message: &crate::model::Message,
    promotional: bool,
    bounds: Option<&[(Option<u64>, Elapsed)]>,
    hold: Option<u64>,
) -> Result<(u64, u64), String> {
    if promotional && message.is_template {
        return Err("a template is not part of the contact's conversation".to_owned());
    }
    if let Some(tag) = message.tag.as_ref().filter(|_| promotional) {
        return Err(format!("it is sent under tag {tag}, and tags may not carry promotions"));
    }
    let Some(bounds) = bounds else {
        return Err("the channel declares no `window`, so no send is inside one".to_owned());
    };
    let held = hold.unwrap_or(0);
    let mut proved: Option<(u64, u64)> = None;
    for (window, elapsed) in bounds {
        let Some(window) = *window else {
            return Err("on some path the contact has not written on this channel".to_owned());
        };
        let Some(max) = elapsed.max else {
            return Err(format!(
                "it is not proved to be within {} of the contact's last message",
                format_window(window)
            ));
        };
        let bound = max.saturating_add(held);
        if bound > window {
            let how = if held > 0 && max <= window {
                format!(
                    "it is sent up to {} after the contact's last message, and quiet hours may hold it {} more",
                    format_window(max),
                    format_window(held)
                )
            } else {
                format!("it is sent up to {} after the contact's last message", format_window(max))
            };
            return Err(format!("{how}; the window is {}", format_window(window)));
        }
        // Report the class with the least room left.
        if proved.is_none_or(|(b, w)| i128::from(window) - i128::from(bound) < i128::from(w) - i128::from(b)) {
            proved = Some((bound, window));
        }
    }
    proved.ok_or_else(|| "no path reaches it with a message from the contact".to_owned())
}

/// The waiver's words: `sent at most D after the contact's last message, within W`, or, when
/// the last message opened windows of different lengths on different paths, each with its bound:
/// `sent at most 1h after a message that opened 24h, at most 3d12h after one that opened 7d`.
fn waiver_words(bounds: Option<&[(Option<u64>, Elapsed)]>, hold: Option<u64>, single: (u64, u64)) -> String {
    let classes: Vec<(u64, u64)> = bounds
        .unwrap_or(&[])
        .iter()
        .filter_map(|(w, e)| Some(((*w)?, e.max?.saturating_add(hold.unwrap_or(0)))))
        .collect();
    if classes.len() < 2 {
        return format!(
            "sent at most {} after the contact's last message, within {}",
            format_window(single.0),
            format_window(single.1)
        );
    }
    let parts: Vec<String> = classes
        .iter()
        .enumerate()
        .map(|(i, (window, max))| {
            let whose = if i == 0 { "a message" } else { "one" };
            format!("at most {} after {whose} that opened {}", format_window(*max), format_window(*window))
        })
        .collect();
    format!("sent {}", parts.join(", "))
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename the parameters.
fn consent_violation(
    consent: &Consent,
    graph: &Graph,
    index: NodeIndex,
    node: &Node,
    message_name: &str,
    fact: (&str, &str),
    source: &str,
    waiver_refused: Option<String>,
    sink: &mut Sink,
) {
    // A path on which the consent does not hold at the send: never established, or revoked.
    let fact_id = consent.facts.id(fact.0, fact.1);
    let witness = consent_witness(consent, graph, index, fact_id);
    let mut diagnostic = Diagnostic::new(
        Code::J0401,
        format!("`{message_name}` is {} on {} without the contact's consent", fact.1, fact.0),
        node.file,
        node.span,
    )
    .with_label(format!("no `consent({}, {})` on some path to this send", fact.0, fact.1))
    .with_note(format!("{} messages need consent first ({source})", fact.1))
    .with_help(format!(
        "guard the send with `if consent({0}, {1}) {{ ... }}`, or ask first with `request consent {0} {1} via ...`",
        fact.0, fact.1
    ));
    if let Some(why) = waiver_refused {
        diagnostic = diagnostic.with_note(format!(
            "{} needs no consent for {} inside its messaging window, but not here: {why}",
            fact.0, fact.1
        ));
    }
    if let Some((path, lost)) = witness {
        diagnostic = diagnostic.with_note(format!("path without consent: {}", describe_steps(graph, &path)));
        if let Some((node, edge)) = lost.and_then(|(n, e)| Some((graph.node(n)?, e))) {
            let label = node.edges.get(edge).map_or("", |e| e.label.as_str());
            diagnostic = diagnostic.with_note(format!(
                "consent was lost at {} on `{label}`: {}",
                describe_node(node),
                revocation_reason(node, label, fact.0)
            ));
        }
    }
    sink.push(diagnostic);
}

fn check_tag(
    graph: &Graph,
    node: &Node,
    message_name: &str,
    message: &crate::model::Message,
    tag_name: &str,
    channel: &crate::model::Channel,
    sink: &mut Sink,
) {
    let Some(tag) = channel.tags.get(tag_name) else { return };
    sink.stats.content_rules += 1;
    if weakening::unless(Weakening::TagAllowsAnyCategory, !tag.allows.contains(&message.category)) {
        sink.push(
            Diagnostic::new(
                Code::J0403,
                format!(
                    "`{message_name}` is a {} message under tag {tag_name}, which allows only {}",
                    message.category,
                    tag.allows.join(", ")
                ),
                node.file,
                node.span,
            )
            .with_label(format!("{} content under a {} tag", message.category, tag.allows.join("/")))
            .with_secondary(tag.def.file, tag.def.span, "what the tag allows")
            .with_note("tags must not carry promotional content (MSGR-TAG-PROMO)")
            .with_help("drop the tag (a free-form message inside the window needs none), or change the category if the content is not promotional"),
        );
    }
    if weakening::unless(Weakening::HumanAgentAnywhere, tag_name == rules::HUMAN_ONLY_TAG && !node.in_handoff) {
        // Inside a handoff's `timeout` arm (an id `HANDOFF.timeout....`), no agent answered.
        let no_agent = node.id.match_indices(".timeout").any(|(at, _)| {
            let handoff = node.id.get(..at).unwrap_or("");
            graph.nodes.iter().any(|h| h.id == handoff && matches!(h.kind, NodeKind::Handoff { .. }))
        });
        let diagnostic = if no_agent {
            Diagnostic::new(
                Code::J0404,
                format!("`{message_name}` uses {tag_name} in the `timeout` arm of a handoff, where no agent answered"),
                node.file,
                node.span,
            )
            .with_label("sent by automation after the handoff timed out")
            .with_help(
                "send it from the arm where the team answered (`resolved`), or drop the tag and send inside the window",
            )
        } else {
            Diagnostic::new(Code::J0404, format!("`{message_name}` uses {tag_name} outside a handoff"), node.file, node.span)
                .with_label("sent by automation")
                .with_help("send it from inside a `handoff` arm where the team answered, or drop the tag and send inside the window")
        };
        sink.push(diagnostic.with_note(
            "HUMAN_AGENT is for replies written by a person (MSGR-TAG-HA, IG-HA); automated sends with it break platform policy",
        ));
    }
    if let Some(deprecated) = rules::DEPRECATED_TAGS.iter().find(|d| d.channel == message.channel && d.tag == tag_name)
    {
        if weakening::unless(Weakening::WithdrawnTagsAllowed, deprecated.since <= rules::REFERENCE_DATE) {
            sink.push(
                Diagnostic::new(
                    Code::J0405,
                    format!("tag {tag_name} on {} is withdrawn since {}", message.channel, deprecated.since),
                    node.file,
                    node.span,
                )
                .with_label("sends with this tag fail")
                .with_note(format!("{} (rules as of {})", deprecated.source, rules::REFERENCE_DATE))
                .with_help(format!(
                    "use {} where the channel supports templates, or send inside the 24h window",
                    deprecated.instead
                )),
            );
        }
    }
}

/// The window a send must be inside, on one opener class: the class's window, or the tag's own
/// (`None`: the send needs no window, a template or a tag allowed at any time).
fn window_limit(
    message: &crate::model::Message,
    channel: &crate::model::Channel,
    class_window: u64,
) -> Option<(u64, bool)> {
    if message.is_template {
        return None; // Templates are the channel's way to write outside the window (WA-CSW, MSGR-UTIL).
    }
    if let Some(tag) = message.tag.as_ref().and_then(|t| channel.tags.get(t)) {
        if tag.allows.contains(&message.category) {
            return tag.within_secs.map(|within| (within, true));
        }
    }
    Some((class_window, false))
}

/// The opener class that binds a send: a class where it is outside its limit if there is one
/// (the contact never wrote first, then the largest excess), else the one with the least room.
/// Returns (class window, `None` for "never wrote"; its interval).
fn binding_class(
    message: &crate::model::Message,
    channel: &crate::model::Channel,
    bounds: &[(Option<u64>, Elapsed)],
    hold: u64,
) -> Option<(Option<u64>, Elapsed)> {
    // Room left (negative: over), as i128 so no sum overflows; unbounded counts as no room at all.
    let room = |(window, elapsed): &(Option<u64>, Elapsed)| -> i128 {
        let Some(window) = window else { return i128::MIN };
        let limit = window_limit(message, channel, *window).map_or(i128::MAX, |(l, _)| i128::from(l));
        match elapsed.max {
            Some(max) => limit - i128::from(max) - i128::from(hold),
            None => i128::MIN + 1,
        }
    };
    bounds.iter().min_by_key(|b| room(b)).copied()
}

/// `up to 1d1h after the contact's last message`, and `(up to 12h of it held for quiet hours)`
/// when holds are part of the bound.
fn bound_words(max: u64, held: u64) -> String {
    let after = format!("up to {} after the contact's last message", format_duration(max));
    if held == 0 {
        after
    } else {
        format!("{after} (up to {} of it held for quiet hours)", format_duration(held.min(max)))
    }
}

#[allow(clippy::too_many_arguments)]
fn check_window(
    cx: &Context<'_>,
    node: &Node,
    message_name: &str,
    message: &crate::model::Message,
    channel: &crate::model::Channel,
    binding: (Option<u64>, Elapsed),
    hold: Option<u64>,
    witness: &dyn Fn() -> Option<String>,
    sink: &mut Sink,
) {
    let (class_window, elapsed) = binding;
    let window = class_window.or(channel.window_secs).unwrap_or(0);
    let Some((limit, tag_limit)) = window_limit(message, channel, window) else { return };
    // Only a diagnostic needs the words: most sends are inside their window.
    let limit_name = || {
        if tag_limit {
            format!("tag {} allows {}", message.tag.as_deref().unwrap_or(""), format_window(limit))
        } else {
            format!("{} allows {}", message.channel, format_window(window))
        }
    };
    let over = |bound: Option<u64>| bound.is_none_or(|b| b > limit);
    let never = class_window.is_none();
    let path = witness;
    if never || over(elapsed.max) {
        let how_long = match elapsed.max {
            _ if never => "when the contact has not written on this channel".to_owned(),
            Some(max) => bound_words(max, elapsed.held),
            None => "an unbounded time after the contact's last message".to_owned(),
        };
        let fix = if channel.template_required_outside_window {
            "send an approved template instead, or `ask` first so the contact replies".to_owned()
        } else {
            let tags: Vec<&str> = channel
                .tags
                .iter()
                .filter(|(name, t)| {
                    t.allows.contains(&message.category) && (name.as_str() != rules::HUMAN_ONLY_TAG || node.in_handoff)
                })
                .map(|(name, _)| name.as_str())
                .collect();
            if tags.is_empty() {
                "`ask` first so the contact replies, or move the send closer to their last message".to_owned()
            } else {
                format!(
                    "use a tag that allows {} ({}), or `ask` first so the contact replies",
                    message.category,
                    tags.join(", ")
                )
            }
        };
        let mut diagnostic = Diagnostic::new(
            Code::J0402,
            format!("`{message_name}` is sent on {} {how_long}; {}", message.channel, limit_name()),
            node.file,
            node.span,
        )
        .with_label(format!("free-form message outside the {} window", format_window(limit)))
        .with_secondary(channel.window_def.file, channel.window_def.span, "the window is declared here")
        .with_note(format!(
            "free-form messages may only be sent inside the messaging window ({})",
            rules::window_rule(&message.channel)
        ));
        if class_window.is_some_and(|w| Some(w) != channel.window_secs) {
            diagnostic = diagnostic.with_note(format!(
                "counted from an inbound message that opens a {} window (an event declared with `window`)",
                format_window(window)
            ));
        }
        diagnostic = diagnostic.with_help(fix);
        if let Some(path) = path() {
            diagnostic = diagnostic.with_note(format!("path: {path}"));
        }
        sink.push(diagnostic);
        return;
    }
    if let Some(defer) = hold {
        let deferred = elapsed.max.and_then(|m| m.checked_add(defer));
        if over(deferred) {
            let quiet = cx.policies.quiet_hours.as_ref().map(|q| q.describe()).unwrap_or_default();
            let mut diagnostic = Diagnostic::new(
                Code::J0407,
                format!(
                    "quiet hours ({quiet}) can hold `{message_name}` until it is sent {}; {}",
                    deferred.map_or("an unbounded time after the contact's last message".to_owned(), |d| bound_words(d, elapsed.held.saturating_add(defer))),
                    limit_name()
                ),
                node.file,
                node.span,
            )
            .with_label(format!(
                "inside the window only if sent without delay ({} at most)",
                elapsed.max.map_or(String::new(), format_duration)
            ))
            .with_note(format!(
                "the runtime holds sends that fall in quiet hours until they end: up to {} here, the quiet period plus the longest the clocks go back in one night",
                format_duration(defer)
            ))
            .with_help(if channel.supports.as_ref().is_some_and(|s| s.iter().any(|e| e == "template")) {
                "send earlier in the conversation, or send an approved template"
            } else {
                "send earlier in the conversation, or inside `if within business_hours` when business hours never meet quiet hours"
            });
            if let Some(path) = path() {
                diagnostic = diagnostic.with_note(format!("path: {path}"));
            }
            sink.push(diagnostic);
        }
    }
}

fn check_business_hours(
    cx: &Context<'_>,
    node: &Node,
    message_name: &str,
    message: &crate::model::Message,
    sink: &mut Sink,
) {
    let (Some(business), Some(quiet)) = (&cx.policies.business_hours, &cx.policies.quiet_hours) else { return };
    if weakening::on(Weakening::BusinessHoursNeverQuiet) {
        return;
    }
    // Business hours and quiet hours in different zones: their overlap depends on where the
    // contact is or on the day's offset; the send may be held (the window analysis counts the
    // hold), and is not reported here.
    if !rules::QUIET_HOURS_APPLY_TO.contains(&message.category.as_str()) || business.zone != quiet.zone {
        return;
    }
    sink.stats.content_rules += 1;
    // Every minute of the day: times are whole minutes, so this comparison is exact.
    let overlap = (0..1440u16).find(|m| business.contains(*m) && quiet.contains(*m));
    if let Some(minute) = overlap {
        sink.push(
            Diagnostic::new(
                Code::J0408,
                format!(
                    "`{message_name}` is sent in business hours that overlap quiet hours (at {})",
                    format_time(minute)
                ),
                node.file,
                node.span,
            )
            .with_label("may be sent during quiet hours")
            .with_secondary(quiet.def.file, quiet.def.span, "quiet hours")
            .with_note("TCPA-QH: no telephone solicitation before 08:00 or after 21:00 recipient time")
            .with_help("make business hours end before quiet hours start"),
        );
    }
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
            rule.category,
            format_duration(since),
            rule.max,
            rule.per_written
        ),
        node.file,
        node.span,
    )
    .with_label(format!("{} {} send within {}", ordinal(rule.max + 1), rule.category, rule.per_written))
    .with_secondary(rule.def.file, rule.def.span, "the frequency cap")
    .with_note(format!("the sends: {}", sends.join(", ")))
    .with_help(format!(
        "wait longer between these sends, or drop one; the cap counts {} sends per contact",
        rule.category
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
fn consent_request_limits(
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
        across_runs_warning(
            graph,
            frequency.counted_nodes(),
            0,
            per_run,
            limit.max,
            (limit.per_secs, &format_duration(limit.per_secs)),
            &format!("`request consent {} {}`", limit.channel, limit.category),
            limit.source,
            sink,
        );
    }
}

/// Caps count per contact, across runs and journeys: within a run they are proved (J0409); where
/// re-entry alone lets one journey exceed a cap, J0415 says so with the bound, and the runtime's
/// count (docs/bundle.md §6) is what enforces it.
fn caps_across_runs(cx: &Context<'_>, graph: &Graph, sent: &[Option<&crate::model::Message>], sink: &mut Sink) {
    for rule in &cx.policies.frequency {
        if rule.max == 0 {
            continue; // Forbidden outright: every send is J0409 already.
        }
        let counted = Frequency::new(sent, &rule.category, 1);
        if !counted.counted_nodes().iter().any(|c| *c) {
            continue;
        }
        let per_run = runs::most_per_run(graph, counted.counted_nodes());
        // A held send goes out later than the run reaches it.
        let hold =
            cx.policies.quiet_hours.as_ref().filter(|_| rules::QUIET_HOURS_APPLY_TO.contains(&rule.category.as_str()));
        across_runs_warning(
            graph,
            counted.counted_nodes(),
            hold.map_or(0, QuietHoursRule::hold_secs),
            per_run,
            rule.max,
            (rule.per_secs, &rule.per_written),
            &format!("{} messages", rule.category),
            "the policy's `frequency` rule",
            sink,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn across_runs_warning(
    graph: &Graph,
    counted: &[bool],
    hold: u64,
    per_run: Option<u64>,
    max: u64,
    (period, period_written): (u64, &str),
    what: &str,
    source: &str,
    sink: &mut Sink,
) {
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

/// Rules over the whole project rather than one send: wording of marketing messages, SMS
/// keyword handling, quiet hours against jurisdictions.
fn project_rules(cx: &Context<'_>, sources: &Sources, report: &FlowReport, sink: &mut Sink) {
    crate::check::wording::check(cx.model, sources, sink);
    // Phone-text programs (SMS, MMS, RCS) must answer STOP and HELP (CTIA-STOP).
    for (name, channel) in &cx.model.channels {
        if !media::channel_requires_keywords(channel) || !report.evidence.iter().any(|e| &e.channel == name) {
            continue;
        }
        sink.stats.content_rules += 1;
        let missing: Vec<&str> = rules::SMS_REQUIRED_KEYWORDS
            .iter()
            .copied()
            .filter(|k| !channel.keywords.iter().any(|w| w.eq_ignore_ascii_case(k)))
            .collect();
        if !missing.is_empty() {
            sink.push(
                Diagnostic::new(
                    Code::J0412,
                    format!("SMS channel `{name}` does not handle {}", missing.join(" and ")),
                    channel.def.file,
                    channel.def.span,
                )
                .with_label("messages are sent on it")
                .with_note("CTIA-STOP: an SMS program must stop on STOP and answer HELP")
                .with_help("add `keywords STOP, HELP` (and END, CANCEL, UNSUBSCRIBE, QUIT), or import `std/channels`"),
            );
        }
    }
    quiet_hours_rules(cx, report, sink);
}

fn quiet_hours_rules(cx: &Context<'_>, report: &FlowReport, sink: &mut Sink) {
    let quiet_sends = || {
        report.evidence.iter().filter(|e| {
            rules::QUIET_HOURS_APPLY_TO.contains(&e.category.as_str())
                && cx.medium_of(&e.channel).is_some_and(media::needs_quiet_hours)
        })
    };
    let node_of = |send: &SendEvidence| {
        report
            .graphs
            .iter()
            .find(|g| g.journey == send.journey)
            .and_then(|g| g.nodes.iter().find(|n| n.id == send.node))
    };
    // Phone-text marketing: the quiet-hours law counts at the called party's location (TCPA-QH).
    let first_phone_text = quiet_sends().find(|e| cx.medium_of(&e.channel).is_some_and(media::is_phone_text));
    let Some(quiet) = &cx.policies.quiet_hours else {
        if let Some((send, node)) = quiet_sends().next().and_then(|send| Some((send, node_of(send)?))) {
            sink.stats.content_rules += 1;
            sink.push(
                Diagnostic::new(
                    Code::J0406,
                    format!("{} messages are sent on {} but no policy sets quiet hours", send.category, send.channel),
                    node.file,
                    node.span,
                )
                .with_label("could be sent at night")
                .with_note("TCPA-QH: no solicitation before 08:00 or after 21:00 at the recipient's location")
                .with_help("add `policy { quiet_hours 21:00..08:00 recipient }`"),
            );
        }
        for JurisdictionRule { code, def } in &cx.policies.jurisdictions {
            sink.stats.content_rules += 1;
            let Some(law) = rules::jurisdiction(code) else {
                unknown_jurisdiction(code, *def, sink);
                continue;
            };
            sink.push(
                Diagnostic::new(
                    Code::J0406,
                    format!("jurisdiction `{code}` is selected but no quiet hours are set"),
                    def.file,
                    def.span,
                )
                .with_label(format!("{} restricts sending hours ({})", law.name, law.source)),
            );
        }
        return;
    };
    // `recipient` quiet hours need each contact's zone: without a `timezone` field in the
    // profile the runtime cannot know it, and holds every such send (docs/bundle.md §4.1).
    if quiet.recipient() && quiet_sends().next().is_some() {
        sink.stats.content_rules += 1;
        let has_zone = cx.model.profile.values().any(|f| f.ty == crate::model::Type::Timezone);
        if !has_zone {
            sink.push(
                Diagnostic::new(
                    Code::J0406,
                    "quiet hours in the recipient's zone, but the profile has no `timezone` field",
                    quiet.def.file,
                    quiet.def.span,
                )
                .with_label("the runtime cannot know where the contact is")
                .with_note(
                    "a runtime that does not know a contact's zone must treat every send that quiet hours apply to as falling in quiet hours, and never sends it",
                )
                .with_help("add `timezone: timezone` to the `profile` block"),
            );
        }
    }
    if let (Some(zone), Some(send)) = (&quiet.zone, first_phone_text) {
        sink.stats.content_rules += 1;
        sink.push(
            Diagnostic::new(
                Code::J0406,
                format!("quiet hours in the fixed zone \"{zone}\" cannot protect texts at the recipient's location"),
                quiet.def.file,
                quiet.def.span,
            )
            .with_label("the same hours everywhere, whatever the contact's zone")
            .with_note(format!(
                "{} messages are sent on {} (journey `{}`, step {}); TCPA-QH counts 08:00 to 21:00 at the called party's location, and a contact three zones away gets them at other hours",
                send.category, send.channel, send.journey, send.node
            ))
            .with_help("write `recipient` instead of the zone: the runtime then reads each contact's own zone"),
        );
    }
    let mut laws: Vec<(&rules::Jurisdiction, Def, bool)> = Vec::new();
    for JurisdictionRule { code, def } in &cx.policies.jurisdictions {
        sink.stats.content_rules += 1;
        match rules::jurisdiction(code) {
            Some(law) => laws.push((law, *def, false)),
            None => unknown_jurisdiction(code, *def, sink),
        }
    }
    // No jurisdiction: phone-text marketing is still under the federal baseline (TCPA-QH).
    if cx.policies.jurisdictions.is_empty() && first_phone_text.is_some() {
        if let Some(baseline) = rules::jurisdiction(rules::BASELINE_JURISDICTION) {
            sink.stats.content_rules += 1;
            laws.push((baseline, quiet.def, true));
        }
    }
    const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    if weakening::on(Weakening::QuietHoursNotComparedWithLaw) {
        laws.clear();
    }
    for (law, def, implied) in laws {
        for (day, hours) in DAYS.iter().zip(law.days.iter()) {
            // Every minute of the day: times are whole minutes, so this comparison is exact.
            let breach = (0..1440u16).find(|m| {
                !quiet.contains(*m)
                    && match hours {
                        None => true,
                        Some(h) => *m < h.from || *m >= h.to,
                    }
            });
            let Some(minute) = breach else { continue };
            let law_hours = match hours {
                None => "no sending at all".to_owned(),
                Some(h) => format!("{}..{}", format_time(h.from), format_time(h.to)),
            };
            let mut diagnostic = Diagnostic::new(
                Code::J0406,
                format!(
                    "quiet hours {} allow sending at {} on {day}; {} allows {law_hours}",
                    quiet.describe(),
                    format_time(minute),
                    law.name
                ),
                quiet.def.file,
                quiet.def.span,
            )
            .with_label("less strict than the law")
            .with_note(law.source.to_owned())
            .with_help("widen the quiet hours to cover the law's");
            if implied {
                diagnostic = diagnostic.with_note(format!(
                    "no `jurisdiction` is set, so texts are checked against the federal baseline ({}); add `jurisdiction \"US-FL\"` (or another) where state law is stricter",
                    law.source
                ));
            } else {
                diagnostic = diagnostic.with_secondary(def.file, def.span, format!("jurisdiction {}", law.code));
            }
            sink.push(diagnostic);
            break;
        }
    }
}

fn unknown_jurisdiction(code: &str, def: Def, sink: &mut Sink) {
    let known: Vec<&str> = rules::JURISDICTIONS.iter().map(|j| j.code).collect();
    sink.push(
        Diagnostic::new(Code::J0406, format!("unknown jurisdiction `{code}`"), def.file, def.span)
            .with_label("not in the quiet-hours table")
            .with_note(format!("known: {}", known.join(", "))),
    );
}

#[cfg(test)]
mod tests {
    use super::{analyze_within, in_window_bound, Elapsed, SizeLimits};
    use crate::codes::Code;
    use crate::model::{Def, Message};
    use crate::project::{load_sources, MemoryLoader, ProjectPath};
    use crate::span::{FileId, Span};

    fn promotion(tag: Option<&str>, is_template: bool) -> Message {
        Message {
            def: Def { file: FileId(0), span: Span::new(0, 0) },
            channel: "messenger".to_owned(),
            category: "marketing".to_owned(),
            tag: tag.map(str::to_owned),
            outcomes: Vec::new(),
            is_template,
        }
    }

    #[test]
    fn the_consent_waiver_needs_a_free_form_send_proved_inside_every_window_with_the_hold() {
        let hours = |h: u64| h * 3600;
        let at_most = |h: u64| Elapsed { reached: true, max: Some(hours(h)), held: 0 };
        let inside = [(Some(hours(24)), at_most(2))];
        assert_eq!(
            in_window_bound(&promotion(None, false), true, Some(&inside), Some(hours(11))),
            Ok((hours(13), hours(24)))
        );
        // 2h, and a hold of 23h: up to 25h, outside.
        let held_out = in_window_bound(&promotion(None, false), true, Some(&inside), Some(hours(23)));
        assert!(held_out.unwrap_err().contains("quiet hours may hold it 23h more"));
        let refused = |message: &Message, bounds: Option<&[(Option<u64>, Elapsed)]>| {
            in_window_bound(message, true, bounds, None).unwrap_err()
        };
        assert!(refused(&promotion(None, true), Some(&inside)).starts_with("a template"));
        assert!(refused(&promotion(Some("HUMAN_AGENT"), false), Some(&inside)).contains("tag HUMAN_AGENT"));
        assert!(refused(&promotion(None, false), None).contains("no `window`"));
        let unbounded = [(Some(hours(24)), Elapsed { reached: true, max: None, held: 0 })];
        assert!(refused(&promotion(None, false), Some(&unbounded)).contains("not proved"));
        // Every opener class must be inside its own window: 4d after a 7-day ad reply is, 30h
        // after an ordinary message is not.
        let ad_and_message = [(Some(hours(24)), at_most(2)), (Some(hours(168)), at_most(96))];
        assert_eq!(
            in_window_bound(&promotion(None, false), true, Some(&ad_and_message), None),
            Ok((hours(2), hours(24)))
        );
        let late = [(Some(hours(24)), at_most(30)), (Some(hours(168)), at_most(96))];
        assert!(refused(&promotion(None, false), Some(&late)).contains("up to 30h"));
        // A path where the contact never wrote: no window to be inside.
        let never = [(None, at_most(0)), (Some(hours(24)), at_most(2))];
        assert!(refused(&promotion(None, false), Some(&never)).contains("has not written"));
        // A template of a non-promotional category inside the window is a reply (WA-OPTIN).
        assert_eq!(in_window_bound(&promotion(None, true), false, Some(&inside), None), Ok((hours(2), hours(24))));
    }

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
