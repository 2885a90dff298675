//! The checks at each send, on what the analyses proved on every path to it: consent (J0401,
//! and a channel's consent waiver inside its window), tags (J0403, J0404, J0405), the messaging
//! window (J0402) and quiet-hour holds that push a send past it (J0407), and quiet hours inside
//! business hours (J0408). Each send leaves its [`SendEvidence`], the compliance record.

use super::analyses::{self, Consent, Elapsed, Window};
use super::graph::{self, Graph, Node, NodeIndex, NodeKind};
use super::{describe_node, describe_steps, rules, solve, witness, ConsentProof, Context, ProvedValues, SendEvidence};
use crate::check::Sink;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{Channel, Message};
use crate::syntax::literals::{format_duration, format_time, format_window};
use crate::weakening::{self, Weakening};

/// One send being checked: the journey's graph, the send's node and the message it sends.
#[derive(Clone, Copy)]
pub(super) struct SendSite<'s> {
    pub graph: &'s Graph,
    pub index: NodeIndex,
    pub node: &'s Node,
    /// The message's name, as the send writes it.
    pub name: &'s str,
    pub message: &'s Message,
}

/// What the analyses proved at one send: the consent facts and window intervals that hold
/// on every path to it, and whether every path went through business hours.
pub(super) struct Proof<'p> {
    pub consent: &'p Consent,
    pub facts: &'p [u64],
    pub window: &'p Window<'p>,
    pub window_solution: &'p solve::Solution<Elapsed>,
    pub windows: &'p [Elapsed],
    pub in_business_hours: bool,
    /// How long quiet hours may hold this send (`None`: not held).
    pub hold: Option<u64>,
    /// Why quiet hours never hold it, when a `wait until` proved the time of day
    /// (`flow/clock.rs`): `sent at 10:00 recipient's time, outside quiet hours 21:00..08:00`.
    pub clock: Option<String>,
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

/// Every rule at one send: consent (J0401), tags (J0403-J0405), the window (J0402, J0407) and
/// quiet hours inside business hours (J0408); returns the evidence of what was proved.
pub(super) fn check_send(cx: &Context<'_>, site: &SendSite<'_>, proof: &Proof<'_>, sink: &mut Sink) -> SendEvidence {
    let SendSite { graph, index, node, name: message_name, message } = *site;
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
    let (consent_text, consent_proof) = if always.is_none() && outside_window.is_none() {
        let text = match cx.consent_not_required.get(message.category.as_str()) {
            Some(text) => text.clone(),
            None => format!("not required for {} messages", message.category),
        };
        (text, ConsentProof::NotRequired)
    } else if proof.consent.facts.id(fact.0, fact.1).is_some_and(|id| analyses::holds(proof.facts, id)) {
        (format!("consent({}, {})", fact.0, fact.1), ConsentProof::Proved)
    } else {
        let source = match (always, outside_window) {
            (Some((_, source)), _) => (*source).to_owned(),
            _ => rules::window_consent_rule(&message.channel).to_owned(),
        };
        // Only without consent does a channel's waiver matter (and cost its words).
        let waiver = outside_window.map(|_| in_window_bound(message, always.is_some(), bounds.as_deref(), hold));
        match waiver {
            Some(Ok((bound, window))) => (
                format!(
                    "not required inside the {} window: {}",
                    fact.0,
                    waiver_words(bounds.as_deref(), hold, (bound, window))
                ),
                ConsentProof::InsideWindow,
            ),
            // A free-form message of a category that needs consent only outside the window, on
            // a channel that allows only templates there: outside the window it is J0402
            // already, and a second error would say the same.
            Some(Err(_))
                if always.is_none()
                    && !message.is_template
                    && channel.is_some_and(|c| c.template_required_outside_window) =>
            {
                ("missing".to_owned(), ConsentProof::Missing)
            }
            // No waiver, or the channel's waiver does not apply to this send.
            refused => {
                let why_not = refused.and_then(Result::err);
                consent_violation(site, proof.consent, fact, &source, why_not, sink);
                ("missing".to_owned(), ConsentProof::Missing)
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
        check_tag(site, tag_name, channel, sink);
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
            let component = classes.of_channel(channel_index).find(|i| {
                // Two classes may share a length (an ad reply's 7 days, a comment's single
                // reply): the one with the binding interval is the one to explain.
                classes.class(*i).is_some_and(|c| c.window == class_window) && proof.windows.get(*i) == Some(&elapsed)
            })?;
            let steps = witness::window_witness(graph, proof.window, proof.window_solution, index, component)?;
            Some(describe_steps(graph, &steps))
        };
        check_window(cx, site, channel_decl, (class_window, elapsed), hold, &witness, sink);
    }

    // Quiet hours inside business hours.
    if proof.in_business_hours {
        check_business_hours(cx, site, sink);
    }

    let quiet = match (hold, cx.deferral_of(Some(message)), &cx.deferred_text) {
        (Some(_), _, Some(text)) => text.clone(),
        (None, Some(_), Some(_)) if proof.clock.is_some() => {
            format!("never held: {}", proof.clock.as_deref().unwrap_or_default())
        }
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
        frequency: frequency_text(cx, message),
        quiet_hours: quiet,
        granted_by: Vec::new(),
        // The frequency counts come from the caps' analyses, filled in by the driver.
        proved: ProvedValues { consent: consent_proof, frequency: Vec::new(), quiet_hold_secs: hold },
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
        NodeKind::ConsentRevoke { .. } => "the journey revoked it".to_owned(),
        _ => "consent revoked".to_owned(),
    }
}

/// The record's words on the caps of a category: proved within a run, a runtime obligation
/// across runs and journeys (docs/bundle.md §6).
fn frequency_text(cx: &Context<'_>, message: &Message) -> String {
    let caps: Vec<String> = cx
        .policies
        .frequency
        .iter()
        .filter(|rule| rule.counts(message))
        .map(|rule| match &rule.channel {
            Some(channel) => format!("at most {} on {channel} per {}", rule.max, rule.per_written),
            None => format!("at most {} per {}", rule.max, rule.per_written),
        })
        .collect();
    if caps.is_empty() {
        "not capped".to_owned()
    } else {
        format!("{} within a run; across runs and journeys, counted by the runtime", caps.join(" and "))
    }
}

/// For a send on a channel that needs its category's consent only outside the window: the
/// proved bound on the time since the contact's last message, quiet-hour hold included, and the
/// window, when every path is inside the window; otherwise why the waiver does not apply. For a
/// category that needs consent everywhere else (marketing), only a free-form message in the
/// conversation is waived: templates are business-initiated, and tags may not carry promotions
/// (MSGR-WIN-1, MSGR-TAG-PROMO). For the others (WA-OPTIN), a template inside the window is a
/// reply too.
fn in_window_bound(
    message: &Message,
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

fn consent_violation(
    site: &SendSite<'_>,
    consent: &Consent,
    fact: (&str, &str),
    source: &str,
    waiver_refused: Option<String>,
    sink: &mut Sink,
) {
    let SendSite { graph, index, node, name: message_name, .. } = *site;
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

fn check_tag(site: &SendSite<'_>, tag_name: &str, channel: &Channel, sink: &mut Sink) {
    let SendSite { graph, node, name: message_name, message, .. } = *site;
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
fn window_limit(message: &Message, channel: &Channel, class_window: u64) -> Option<(u64, bool)> {
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
    message: &Message,
    channel: &Channel,
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

fn check_window(
    cx: &Context<'_>,
    site: &SendSite<'_>,
    channel: &Channel,
    binding: (Option<u64>, Elapsed),
    hold: Option<u64>,
    witness: &dyn Fn() -> Option<String>,
    sink: &mut Sink,
) {
    let SendSite { node, name: message_name, message, .. } = *site;
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
        let entry = site.graph.entry_event.as_deref();
        let single = entry
            .and_then(|name| cx.model.events.get(name).map(|event| (name, event)))
            .filter(|(_, event)| event.replies.is_some() && event.inbound.as_deref() == Some(message.channel.as_str()));
        if let (true, Some((name, _))) = (never, single) {
            diagnostic = diagnostic.with_note(format!(
                "`{name}` allows one reply (`replies 1` in its declaration); once it is sent, nothing more may follow until the contact writes"
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

fn check_business_hours(cx: &Context<'_>, site: &SendSite<'_>, sink: &mut Sink) {
    let SendSite { node, name: message_name, message, .. } = *site;
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
    // Every minute of the week: times are whole minutes, so this comparison is exact.
    if let Some((day, minute)) = cx.business_quiet_overlap() {
        // The day only matters when quiet hours or business hours differ by day.
        let on = if quiet.every_day_alike() && business.periods.len() == 1 {
            String::new()
        } else {
            format!(" on {}", crate::model::WEEKDAY_NAMES.get(day).copied().unwrap_or("a day"))
        };
        sink.push(
            Diagnostic::new(
                Code::J0408,
                format!(
                    "`{message_name}` is sent in business hours that overlap quiet hours (at {}{on})",
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

#[cfg(test)]
mod tests {
    use super::{in_window_bound, Elapsed};
    use crate::model::{Def, Message};
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
}
