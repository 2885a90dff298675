//! The scheduler: events and timers in time order, runs through their nodes (§3), and the
//! hand-over checks of every send (§4-7, §9.2).
//!
//! Order, so that the same input gives the same bytes:
//! - events are processed in file order (they are in non-decreasing time);
//! - before an event at time T, every timer due at or before T fires, by due time, then by the
//!   order the timers were set (a timeout due at T fires before an event at T);
//! - for one event, the contact's consent store and windows change first (an inbound message,
//!   an opt-out), then each journey in journey-name order: `exit_on`, then an answer to what
//!   the run waits for, then goals, then entry;
//! - after the last event, the remaining timers fire in the same order.

use std::collections::{BTreeMap, BTreeSet};

use jiff::tz::TimeZone;

use crate::action::{Action, Content, TemplateContent, What};
use crate::bundle::{Bundle, Kind, Reentry, Zone, EXIT};
use crate::consent::{Proof, Store};
use crate::expr::{Env, EvalError, Expr};
use crate::frequency::History;
use crate::io::{Contact, Event};
use crate::rules::{self, Refusal};
use crate::time;
use crate::value::Value;
use crate::window::{Check, Windows};

/// Instant steps a run may take without waiting (§3.5).
pub const STEP_LIMIT: u32 = 10_000;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Mixed into every split draw (docs/bundle.md §3.6).
    pub seed: u64,
}

#[derive(Debug, Default)]
struct ContactState {
    profile: BTreeMap<String, Value>,
    tags: BTreeSet<String>,
    consent: Store,
    windows: Windows,
    history: History,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitKind {
    Wait,
    WaitFor,
    /// `answerable`: the message went out, so a reply can answer it.
    Ask(bool),
    Handoff,
    ConsentRequest(bool),
    /// A send held by quiet hours.
    Held,
}

#[derive(Debug)]
struct Run {
    number: u64,
    started: i64,
    node: String,
    event: Option<(String, BTreeMap<String, Value>)>,
    /// What the run waits for and the timer that ends the wait.
    waiting: Option<(WaitKind, u64)>,
}

#[derive(Debug)]
struct GoalTrack {
    run: u64,
    started: i64,
    converted: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct JourneyState {
    runs: u64,
    last_start: Option<i64>,
    current: Option<Run>,
    goals: Vec<GoalTrack>,
}

/// The outcome of handing a message over.
enum Handover {
    Sent,
    /// Held by quiet hours until then.
    Held(i64),
    Refused,
}

struct Engine<'a> {
    /// In journey-name order.
    bundles: Vec<&'a Bundle>,
    contacts: BTreeMap<String, ContactState>,
    journeys: BTreeMap<(String, usize), JourneyState>,
    /// (due, order set, contact, journey index).
    timers: BTreeSet<(i64, u64, String, usize)>,
    next_timer: u64,
    seed: u64,
    out: Vec<Action>,
}

/// Runs the bundles over the contacts and events; the actions in the order they happened.
pub fn run(bundles: &[Bundle], contacts: &[Contact], events: &[Event], options: &Options) -> Vec<Action> {
    let mut sorted: Vec<&Bundle> = bundles.iter().collect();
    sorted.sort_by(|a, b| a.journey.cmp(&b.journey));
    let mut engine = Engine {
        bundles: sorted,
        contacts: BTreeMap::new(),
        journeys: BTreeMap::new(),
        timers: BTreeSet::new(),
        next_timer: 0,
        seed: options.seed,
        out: Vec::new(),
    };
    for contact in contacts {
        let mut state = ContactState { profile: contact.profile.clone(), ..ContactState::default() };
        for (channel, category) in &contact.consent {
            state.consent.grant(channel, category, Proof { at: None, how: "contacts file".to_owned() });
        }
        engine.contacts.insert(contact.id.clone(), state);
    }
    for event in events {
        engine.fire_timers(event.at);
        engine.event(event);
    }
    engine.fire_timers(i64::MAX);
    engine.out
}

/// FNV-1a, 64 bits: a stable hash anyone can reproduce (docs/bundle.md §3.6).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The arm (1-based) a split draws: FNV-1a of `SEED␟CONTACT␟JOURNEY␟NODE␟RUN` (␟ is U+001F)
/// modulo 100, against the cumulative shares.
pub fn split_arm(seed: u64, contact: &str, journey: &str, node: &str, run: u64, shares: &[u32]) -> usize {
    let key = format!("{seed}\u{1f}{contact}\u{1f}{journey}\u{1f}{node}\u{1f}{run}");
    let bucket = fnv1a(key.as_bytes()) % 100;
    let mut total: u64 = 0;
    for (index, share) in shares.iter().enumerate() {
        total += u64::from(*share);
        if bucket < total {
            return index + 1;
        }
    }
    shares.len()
}

/// The recipient's zone: the first profile field of type `timezone` (§4.1).
fn recipient_zone(bundle: &Bundle, profile: &BTreeMap<String, Value>) -> Option<TimeZone> {
    let field = bundle.profile.iter().find(|(_, spec)| spec.ty == crate::value::FieldType::TimeZone)?.0;
    match profile.get(field) {
        Some(Value::Text(name)) => time::zone(name),
        _ => None,
    }
}

fn policy_zone(zone: &Zone, bundle: &Bundle, profile: &BTreeMap<String, Value>) -> Option<TimeZone> {
    match zone {
        Zone::Fixed(tz, _) => Some(tz.clone()),
        Zone::Recipient => recipient_zone(bundle, profile),
    }
}

impl<'a> Engine<'a> {
    fn contact(&mut self, id: &str) -> &mut ContactState {
        self.contacts.entry(id.to_owned()).or_default()
    }

    fn emit(&mut self, at: i64, contact: &str, bundle: &Bundle, run: u64, node: Option<&str>, what: What) {
        self.out.push(Action {
            at: time::format_utc(at),
            contact: contact.to_owned(),
            journey: bundle.journey.clone(),
            run,
            node: node.map(str::to_owned),
            what,
        });
    }

    fn set_timer(&mut self, due: i64, contact: &str, journey: usize) -> u64 {
        let order = self.next_timer;
        self.next_timer += 1;
        self.timers.insert((due, order, contact.to_owned(), journey));
        order
    }

    fn fire_timers(&mut self, until: i64) {
        while let Some(first) = self.timers.first().cloned() {
            if first.0 > until {
                break;
            }
            self.timers.remove(&first);
            let (due, order, contact, journey) = first;
            self.timer(due, order, &contact, journey);
        }
    }

    fn take_run(&mut self, contact: &str, journey: usize) -> Option<Run> {
        self.journeys.get_mut(&(contact.to_owned(), journey)).and_then(|j| j.current.take())
    }

    fn put_run(&mut self, contact: &str, journey: usize, run: Run) {
        self.journeys.entry((contact.to_owned(), journey)).or_default().current = Some(run);
    }

    fn timer(&mut self, at: i64, order: u64, contact: &str, journey: usize) {
        let Some(bundle) = self.bundles.get(journey).copied() else { return };
        let Some(mut run) = self.take_run(contact, journey) else { return };
        let Some((kind, token)) = run.waiting else {
            self.put_run(contact, journey, run);
            return;
        };
        if token != order {
            // A cancelled timer: the run moved on.
            self.put_run(contact, journey, run);
            return;
        }
        run.waiting = None;
        match kind {
            WaitKind::Wait => {
                if self.take(bundle, contact, &mut run, "next", at) {
                    self.advance(bundle, journey, contact, run, at);
                }
            }
            WaitKind::WaitFor | WaitKind::Ask(_) | WaitKind::Handoff | WaitKind::ConsentRequest(_) => {
                self.emit(
                    at,
                    contact,
                    bundle,
                    run.number,
                    Some(&run.node),
                    What::Branch { outcome: "timeout".to_owned() },
                );
                if self.take(bundle, contact, &mut run, "timeout", at) {
                    self.advance(bundle, journey, contact, run, at);
                }
            }
            WaitKind::Held => self.released(bundle, journey, contact, run, at),
        }
    }

    /// A held send at the end of quiet hours: hand it over again, checking everything anew.
    fn released(&mut self, bundle: &'a Bundle, journey: usize, contact: &str, mut run: Run, at: i64) {
        let node_id = run.node.clone();
        let Some(node) = bundle.nodes.get(&node_id) else { return };
        let message = match &node.kind {
            Kind::Send { message } | Kind::Ask { message, .. } | Kind::ConsentRequest { message, .. } => message,
            _ => return,
        };
        let handed = self.handover(bundle, contact, &run, &node_id, message, at);
        self.after_handover(bundle, journey, contact, &mut run, &node.kind, handed, at);
        if run.waiting.is_some() {
            self.put_run(contact, journey, run);
        } else if run.node != EXIT {
            self.advance(bundle, journey, contact, run, at);
        }
    }

    /// What follows a hand-over at a send, ask or consent request: wait for quiet hours to end,
    /// wait for an answer, or (for `send`) move on. Leaves `run.waiting` set when it waits.
    #[allow(clippy::too_many_arguments)]
    fn after_handover(
        &mut self,
        bundle: &Bundle,
        journey: usize,
        contact: &str,
        run: &mut Run,
        kind: &Kind,
        handed: Handover,
        at: i64,
    ) {
        match handed {
            Handover::Held(until) => {
                let token = self.set_timer(until, contact, journey);
                run.waiting = Some((WaitKind::Held, token));
            }
            Handover::Sent | Handover::Refused => {
                let sent = matches!(handed, Handover::Sent);
                match kind {
                    Kind::Ask { timeout_s, .. } => {
                        self.wait(bundle, journey, contact, run, WaitKind::Ask(sent), at + timeout_s, "ask", at)
                    }
                    Kind::ConsentRequest { timeout_s, .. } => {
                        self.wait(
                            bundle,
                            journey,
                            contact,
                            run,
                            WaitKind::ConsentRequest(sent),
                            at + timeout_s,
                            "consent_request",
                            at,
                        );
                    }
                    _ => {
                        if !self.take(bundle, contact, run, "next", at) {
                            run.node = EXIT.to_owned();
                        }
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn wait(
        &mut self,
        bundle: &Bundle,
        journey: usize,
        contact: &str,
        run: &mut Run,
        kind: WaitKind,
        until: i64,
        name: &str,
        at: i64,
    ) {
        let token = self.set_timer(until, contact, journey);
        run.waiting = Some((kind, token));
        self.emit(
            at,
            contact,
            bundle,
            run.number,
            Some(&run.node),
            What::Wait { until: time::format_utc(until), kind: name.to_owned() },
        );
    }

    /// Takes edge `label` of the run's node. Returns false when the run ended (it reached exit).
    fn take(&mut self, bundle: &Bundle, contact: &str, run: &mut Run, label: &str, at: i64) -> bool {
        let target =
            bundle.nodes.get(&run.node).and_then(|n| n.next.get(label)).cloned().unwrap_or_else(|| EXIT.to_owned());
        if target == EXIT {
            let node = run.node.clone();
            self.emit(at, contact, bundle, run.number, Some(&node), What::Exit { reason: "exit".to_owned() });
            run.node = EXIT.to_owned();
            false
        } else {
            run.node = target;
            true
        }
    }

    fn end(&mut self, bundle: &Bundle, contact: &str, run: &Run, at: i64, reason: String) {
        self.emit(at, contact, bundle, run.number, Some(&run.node), What::Exit { reason });
    }

    fn event(&mut self, event: &Event) {
        self.contact_effects(event);
        for journey in 0..self.bundles.len() {
            let Some(bundle) = self.bundles.get(journey).copied() else { continue };
            self.exit_on(bundle, journey, event);
            self.answer(bundle, journey, event);
            self.goals(bundle, journey, event);
            self.enter(bundle, journey, event);
        }
    }

    /// Windows and consent change before any journey sees the event.
    fn contact_effects(&mut self, event: &Event) {
        let text = |name: &str| match event.fields.get(name) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let at = event.at;
        match event.name.as_str() {
            "reply" => {
                let channel = text("channel").unwrap_or_default();
                let stop = text("text").is_some_and(|t| self.is_stop(&channel, &t));
                let opt_in = self.answers_opt_in(&event.contact, &channel, text("outcome").as_deref());
                let state = self.contact(&event.contact);
                if !opt_in {
                    state.windows.inbound(&channel, at, None);
                }
                if stop {
                    state.consent.revoke(&channel, None, true);
                }
            }
            "consent_granted" => {
                let (channel, category) = (text("channel").unwrap_or_default(), text("category").unwrap_or_default());
                self.contact(&event.contact).consent.grant(
                    &channel,
                    &category,
                    Proof { at: Some(at), how: "consent_granted event".to_owned() },
                );
            }
            "consent_revoked" => {
                let (channel, category) = (text("channel").unwrap_or_default(), text("category"));
                // Withdrawing every category on a phone text is an opt-out by other means
                // (TCPA-REV): like STOP, it blocks the channel, not only the consents (§5: never
                // send on a channel where the contact revoked everything).
                let block = category.is_none() && self.is_phone_text(&channel);
                self.contact(&event.contact).consent.revoke(&channel, category.as_deref(), block);
            }
            "handoff_resolved" => {}
            name => {
                let inbound = self
                    .bundles
                    .iter()
                    .find_map(|b| b.events.get(name))
                    .and_then(|spec| spec.inbound.clone().map(|channel| (channel, spec.window_s)));
                // A message from the contact that is a STOP-class keyword revokes as a `reply`
                // does (§5): the platform raises the opt-out for any message, not only answers.
                let stop = inbound
                    .as_ref()
                    .is_some_and(|(channel, _)| text("text").is_some_and(|t| self.is_stop(channel, &t)));
                let state = self.contact(&event.contact);
                if let Some((channel, window_s)) = inbound {
                    state.windows.inbound(&channel, at, window_s);
                    if stop {
                        state.consent.revoke(&channel, None, true);
                    }
                }
                for (revoking, channel, block) in rules::REVOCATIONS {
                    if *revoking == name {
                        state.consent.revoke(channel, None, *block);
                    }
                }
            }
        }
    }

    /// Whether a reply on `channel` with `outcome` answers a consent request of the contact's
    /// whose answer opens no window (`rules::OPT_IN_OPENS_NO_WINDOW`, MSGR-MKT).
    fn answers_opt_in(&self, contact: &str, channel: &str, outcome: Option<&str>) -> bool {
        if !matches!(outcome, Some("granted" | "declined")) {
            return false;
        }
        self.journeys.iter().filter(|((c, _), _)| c == contact).any(|((_, journey), state)| {
            let Some(run) = &state.current else { return false };
            if !matches!(run.waiting, Some((WaitKind::ConsentRequest(true), _))) {
                return false;
            }
            let Some(bundle) = self.bundles.get(*journey) else { return false };
            match bundle.nodes.get(&run.node).map(|n| &n.kind) {
                Some(Kind::ConsentRequest { message, channel: wanted, category, .. }) => {
                    rules::OPT_IN_OPENS_NO_WINDOW.iter().any(|(c, k)| c == wanted && k == category)
                        && bundle.messages.get(message).is_some_and(|m| m.channel == channel)
                }
                _ => false,
            }
        })
    }

    /// Whether `channel` is a phone text (medium `sms`, `mms` or `rcs`); a channel no bundle
    /// declares is one when it is called `sms`.
    fn is_phone_text(&self, channel: &str) -> bool {
        match self.bundles.iter().find_map(|b| b.channels.get(channel)) {
            Some(c) => matches!(c.medium.as_str(), "sms" | "mms" | "rcs"),
            None => channel == "sms",
        }
    }

    /// A STOP-class keyword of the channel (its `keywords`, less HELP and INFO).
    fn is_stop(&self, channel: &str, text: &str) -> bool {
        let word = text.trim();
        self.bundles.iter().filter_map(|b| b.channels.get(channel)).any(|c| {
            c.keywords.iter().any(|k| {
                k.eq_ignore_ascii_case(word) && !rules::HELP_KEYWORDS.iter().any(|h| h.eq_ignore_ascii_case(k))
            })
        })
    }

    fn exit_on(&mut self, bundle: &Bundle, journey: usize, event: &Event) {
        if !bundle.exit_on.contains(&event.name) {
            return;
        }
        if let Some(run) = self.take_run(&event.contact, journey) {
            // Timers of the run are now stale and a held send is dropped with it.
            self.end(bundle, &event.contact, &run, event.at, format!("exit_on {}", event.name));
        }
    }

    fn answer(&mut self, bundle: &'a Bundle, journey: usize, event: &Event) {
        let Some(mut run) = self.take_run(&event.contact, journey) else { return };
        let Some((kind, _)) = run.waiting else {
            self.put_run(&event.contact, journey, run);
            return;
        };
        let node = bundle.nodes.get(&run.node);
        let field = |name: &str| match event.fields.get(name) {
            Some(Value::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let reply_on = |message: &str| {
            event.name == "reply"
                && bundle.messages.get(message).is_some_and(|m| Some(m.channel.as_str()) == field("channel"))
        };
        let outcome: Option<String> = match (kind, node.map(|n| &n.kind)) {
            (WaitKind::WaitFor, Some(Kind::WaitFor { events, .. })) if events.contains(&event.name) => {
                run.event = Some((event.name.clone(), event.fields.clone()));
                Some(event.name.clone())
            }
            (WaitKind::Ask(true), Some(Kind::Ask { message, .. })) if reply_on(message) => field("outcome")
                .filter(|o| *o != "timeout" && node.is_some_and(|n| n.next.contains_key(*o)))
                .map(str::to_owned),
            (WaitKind::ConsentRequest(true), Some(Kind::ConsentRequest { message, channel, category, .. }))
                if reply_on(message) =>
            {
                let text = field("text").map(str::trim).unwrap_or("");
                let reply_channel = field("channel").unwrap_or("");
                let granted = field("outcome") == Some("granted")
                    || (field("outcome").is_none() && rules::AFFIRMATIVE.iter().any(|a| a.eq_ignore_ascii_case(text)));
                let declined = field("outcome") == Some("declined") || self.is_stop(reply_channel, text);
                if granted {
                    let proof = Proof {
                        at: Some(event.at),
                        how: format!("consent_request {} answered on {reply_channel}", run.node),
                    };
                    self.contact(&event.contact).consent.grant(channel, category, proof);
                    Some("granted".to_owned())
                } else if declined {
                    // Refusing the consent withdraws it if the contact held it (§5: revoked by
                    // "any other reasonable means"), as the checker assumes of `declined`.
                    self.contact(&event.contact).consent.revoke(channel, Some(category), false);
                    Some("declined".to_owned())
                } else {
                    None
                }
            }
            (WaitKind::Handoff, Some(Kind::Handoff { team, .. })) if event.name == "handoff_resolved" => {
                field("team").is_none_or(|t| t == team).then(|| "resolved".to_owned())
            }
            _ => None,
        };
        match outcome {
            None => self.put_run(&event.contact, journey, run),
            Some(outcome) => {
                run.waiting = None;
                self.emit(
                    event.at,
                    &event.contact,
                    bundle,
                    run.number,
                    Some(&run.node.clone()),
                    What::Branch { outcome: outcome.clone() },
                );
                if self.take(bundle, &event.contact, &mut run, &outcome, event.at) {
                    self.advance(bundle, journey, &event.contact, run, event.at);
                }
            }
        }
    }

    fn goals(&mut self, bundle: &Bundle, journey: usize, event: &Event) {
        let key = (event.contact.clone(), journey);
        let Some(state) = self.journeys.get_mut(&key) else { return };
        let longest = bundle.goals.iter().map(|g| g.within_s).max().unwrap_or(0);
        let mut converted = Vec::new();
        for track in &mut state.goals {
            for goal in &bundle.goals {
                let since = event.at - track.started;
                if goal.event == event.name && since <= goal.within_s && !track.converted.contains(&goal.name) {
                    track.converted.insert(goal.name.clone());
                    converted.push((track.run, goal.name.clone()));
                }
            }
        }
        // Runs whose every goal has expired are no longer measured.
        state.goals.retain(|t| event.at - t.started <= longest);
        for (run, goal) in converted {
            self.emit(event.at, &event.contact, bundle, run, None, What::Goal { goal });
        }
    }

    fn enter(&mut self, bundle: &'a Bundle, journey: usize, event: &Event) {
        if bundle.entry_event.as_deref() != Some(event.name.as_str()) {
            return;
        }
        let key = (event.contact.clone(), journey);
        let state = self.journeys.entry(key.clone()).or_default();
        if state.current.is_some() {
            return;
        }
        let allowed = match (bundle.reentry, state.last_start) {
            (_, None) | (Reentry::Always, _) => true,
            (Reentry::Never, Some(_)) => false,
            (Reentry::After(after), Some(last)) => event.at - last >= after,
        };
        if !allowed {
            return;
        }
        let scope = Some((event.name.clone(), event.fields.clone()));
        let contact = self.contact(&event.contact);
        // A condition that cannot be evaluated (the contact's data lacks a required field it
        // reads) does not let the contact in.
        let pass = |condition: &Option<Expr>, with_event: bool| match condition {
            None => true,
            Some(c) => env_eval(bundle, contact, if with_event { scope.as_ref() } else { None }, event.at, |env| {
                env.condition(c)
            })
            .unwrap_or(false),
        };
        if !(pass(&bundle.audience, false) && pass(&bundle.entry_where, true)) {
            return;
        }
        let state = self.journeys.entry(key).or_default();
        state.runs += 1;
        state.last_start = Some(event.at);
        let number = state.runs;
        if !bundle.goals.is_empty() {
            state.goals.push(GoalTrack { run: number, started: event.at, converted: BTreeSet::new() });
        }
        let run = Run { number, started: event.at, node: bundle.start.clone(), event: scope, waiting: None };
        self.emit(event.at, &event.contact, bundle, number, None, What::Enter { event: event.name.clone() });
        if run.node == EXIT {
            self.emit(event.at, &event.contact, bundle, number, None, What::Exit { reason: "exit".to_owned() });
            return;
        }
        let _ = run.started;
        self.advance(bundle, journey, &event.contact, run, event.at);
    }

    /// Runs instant steps from the run's node until it waits or ends (§3.5).
    fn advance(&mut self, bundle: &'a Bundle, journey: usize, contact: &str, mut run: Run, at: i64) {
        let mut steps: u32 = 0;
        loop {
            if run.node == EXIT {
                return;
            }
            steps += 1;
            if steps > STEP_LIMIT {
                self.end(bundle, contact, &run, at, "step limit".to_owned());
                return;
            }
            let node_id = run.node.clone();
            let Some(node) = bundle.nodes.get(&node_id) else { return };
            let number = run.number;
            match &node.kind {
                Kind::Send { message } | Kind::Ask { message, .. } | Kind::ConsentRequest { message, .. } => {
                    let handed = self.handover(bundle, contact, &run, &node_id, message, at);
                    self.after_handover(bundle, journey, contact, &mut run, &node.kind, handed, at);
                    if run.waiting.is_some() {
                        self.put_run(contact, journey, run);
                        return;
                    }
                }
                Kind::Wait { duration_s } => {
                    self.wait(bundle, journey, contact, &mut run, WaitKind::Wait, at + duration_s, "wait", at);
                    self.put_run(contact, journey, run);
                    return;
                }
                Kind::WaitFor { within_s, .. } => {
                    self.wait(bundle, journey, contact, &mut run, WaitKind::WaitFor, at + within_s, "wait_for", at);
                    self.put_run(contact, journey, run);
                    return;
                }
                Kind::Handoff { timeout_s, .. } => {
                    self.wait(bundle, journey, contact, &mut run, WaitKind::Handoff, at + timeout_s, "handoff", at);
                    self.put_run(contact, journey, run);
                    return;
                }
                Kind::Branch { conditions } => {
                    let state = self.contact(contact);
                    let chosen = env_eval(bundle, state, run.event.as_ref(), at, |env| {
                        for (index, condition) in conditions.iter().enumerate() {
                            if env.condition(condition)? {
                                return Ok(if index == 0 { "then".to_owned() } else { format!("elif{index}") });
                            }
                        }
                        Ok("else".to_owned())
                    });
                    match chosen {
                        Ok(outcome) => {
                            self.emit(
                                at,
                                contact,
                                bundle,
                                number,
                                Some(&node_id),
                                What::Branch { outcome: outcome.clone() },
                            );
                            if !self.take(bundle, contact, &mut run, &outcome, at) {
                                return;
                            }
                        }
                        Err(why) => {
                            self.end(bundle, contact, &run, at, format!("error: {why}"));
                            return;
                        }
                    }
                }
                Kind::Split { shares } => {
                    let arm = split_arm(self.seed, contact, &bundle.journey, &node_id, number, shares);
                    let outcome = format!("p{arm}");
                    self.emit(at, contact, bundle, number, Some(&node_id), What::Branch { outcome: outcome.clone() });
                    if !self.take(bundle, contact, &mut run, &outcome, at) {
                        return;
                    }
                }
                Kind::Set { field, value } => {
                    let state = self.contact(contact);
                    match env_eval(bundle, state, run.event.as_ref(), at, |env| env.value(value)) {
                        Ok(result) => {
                            let optional = bundle.profile.get(field).is_some_and(|s| s.optional);
                            let json = result.as_ref().map_or(serde_json::Value::Null, Value::to_json);
                            match result {
                                Some(v) => {
                                    state.profile.insert(field.clone(), v);
                                }
                                None if optional => {
                                    state.profile.remove(field);
                                }
                                None => {}
                            }
                            self.emit(
                                at,
                                contact,
                                bundle,
                                number,
                                Some(&node_id),
                                What::Set { field: field.clone(), value: json },
                            );
                            if !self.take(bundle, contact, &mut run, "next", at) {
                                return;
                            }
                        }
                        Err(why) => {
                            self.end(bundle, contact, &run, at, format!("error: {why}"));
                            return;
                        }
                    }
                }
                Kind::Tag { tag } => {
                    self.contact(contact).tags.insert(tag.clone());
                    self.emit(at, contact, bundle, number, Some(&node_id), What::Tag { tag: tag.clone() });
                    if !self.take(bundle, contact, &mut run, "next", at) {
                        return;
                    }
                }
                Kind::Track { event } => {
                    self.emit(at, contact, bundle, number, Some(&node_id), What::Track { event: event.clone() });
                    if !self.take(bundle, contact, &mut run, "next", at) {
                        return;
                    }
                }
            }
        }
    }

    /// Hands a message over (§4-7, §9.2): held in quiet hours, refused when a check fails, else
    /// sent and counted. Emits the `held`, `refused` or `send` action.
    fn handover(
        &mut self,
        bundle: &Bundle,
        contact: &str,
        run: &Run,
        node_id: &str,
        message: &str,
        at: i64,
    ) -> Handover {
        let state = self.contacts.entry(contact.to_owned()).or_default();
        let (what, handed) = decide(bundle, state, run.event.as_ref(), node_id, message, at);
        self.emit(at, contact, bundle, run.number, Some(node_id), what);
        handed
    }
}

/// The checks of a hand-over, in this order: quiet hours (hold, or refuse without a zone), a
/// channel the contact revoked entirely, the consent the record relies on, the window, the
/// message's data, frequency. The first that fails names the refusal.
fn decide(
    bundle: &Bundle,
    state: &mut ContactState,
    event: Option<&(String, BTreeMap<String, Value>)>,
    node_id: &str,
    name: &str,
    at: i64,
) -> (What, Handover) {
    let Some(message) = bundle.messages.get(name) else {
        // Unreachable: loading checks that every sent message exists.
        let reason = format!("message `{name}` is not in the bundle");
        return (
            What::Refused { message: name.to_owned(), channel: String::new(), rule: "POLICY-DATA".to_owned(), reason },
            Handover::Refused,
        );
    };
    let channel = bundle.channels.get(&message.channel);
    let medium = channel.map_or("", |c| c.medium.as_str());
    let refused = |refusal: Refusal, reason: String| {
        let rule = rules::rule(refusal, &message.channel, medium).to_owned();
        (What::Refused { message: name.to_owned(), channel: message.channel.clone(), rule, reason }, Handover::Refused)
    };
    let record = bundle.compliance.get(node_id);

    let deferred = record.map_or(message.category == "marketing", |r| r.deferred);
    if let (true, Some(quiet)) = (deferred, &bundle.quiet_hours) {
        match policy_zone(&quiet.zone, bundle, &state.profile) {
            None => {
                return refused(
                    Refusal::QuietHours,
                    "quiet hours apply and the recipient's time zone is unknown, so the send cannot be shown to fall outside them".to_owned(),
                )
            }
            Some(tz) if quiet.rule.contains(at, &tz) => {
                return match quiet.rule.end_after(at, &tz) {
                    Some(until) => (What::Held { message: name.to_owned(), until: time::format_utc(until) }, Handover::Held(until)),
                    None => refused(Refusal::QuietHours, "quiet hours never end (from equals to)".to_owned()),
                };
            }
            Some(_) => {}
        }
    }
    if state.consent.blocked(&message.channel) {
        return refused(
            Refusal::ChannelRevoked,
            format!("the contact opted out of every message on {} (STOP)", message.channel),
        );
    }
    let needed = match record {
        Some(r) => r.consent.clone(),
        None => (message.category == "marketing").then(|| (message.channel.clone(), "marketing".to_owned())),
    };
    if let Some((consent_channel, category)) = needed {
        if !state.consent.holds(&consent_channel, &category) {
            return refused(
                Refusal::Consent,
                format!("consent({consent_channel}, {category}) is not in the consent store"),
            );
        }
    }
    let form = record.map_or_else(|| message.form(), |r| r.form.clone());
    if let Some(channel) = channel {
        if let Check::Outside(reason) = state.windows.check(&message.channel, channel, &form, at) {
            let refusal = if form.starts_with("tag ") { Refusal::TagWindow } else { Refusal::Window };
            return refused(refusal, reason);
        }
    }
    let content = match env_eval(bundle, state, event, at, |env| render(env, message)) {
        Ok(content) => content,
        Err(why) => {
            return refused(Refusal::MissingField, format!("{why}: the contact's data does not match the schema"))
        }
    };
    if let Some((rule, count)) = state.history.exceeded(&bundle.frequency, &message.category, at) {
        return refused(
            Refusal::Frequency,
            format!(
                "{count} {} messages in the last {}s already; the policy allows {}",
                message.category, rule.per_s, rule.max
            ),
        );
    }
    state.history.record(at, &message.category);
    let local_time = recipient_zone(bundle, &state.profile).map(|tz| time::format_local(at, &tz));
    let what = What::Send {
        message: name.to_owned(),
        channel: message.channel.clone(),
        category: message.category.clone(),
        form,
        local_time,
        content,
        evidence: record.map_or(serde_json::Value::Null, |r| r.evidence.clone()),
    };
    (what, Handover::Sent)
}

/// The message's texts with their fields filled in; every text is rendered, so a missing
/// required field anywhere (a title, a URL) refuses the send.
fn render(env: &Env<'_>, message: &crate::bundle::Message) -> Result<Content, EvalError> {
    for text in &message.other_texts {
        env.render(text)?;
    }
    let template = match &message.template {
        None => None,
        Some(t) => {
            let mut params = BTreeMap::new();
            for (name, expr) in &t.params {
                let text = match env.value(expr)? {
                    Some(value) => env.show_value(&value)?,
                    None => return Err(EvalError::MissingRequired(format!("template parameter {name}"))),
                };
                params.insert(name.clone(), text);
            }
            Some(TemplateContent { name: t.name.clone(), lang: t.lang.clone(), params })
        }
    };
    Ok(Content {
        subject: message.subject.as_ref().map(|t| env.render(t)).transpose()?,
        body: message.body.as_ref().map(|t| env.render(t)).transpose()?,
        template,
    })
}

/// Evaluates with what the contact's run sees now: profile, event in scope, consent store,
/// business hours and the recipient's zone.
fn env_eval<T>(
    bundle: &Bundle,
    state: &ContactState,
    event: Option<&(String, BTreeMap<String, Value>)>,
    at: i64,
    f: impl FnOnce(&Env<'_>) -> Result<T, EvalError>,
) -> Result<T, EvalError> {
    let zone = recipient_zone(bundle, &state.profile);
    let business_hours = bundle
        .business_hours
        .as_ref()
        .is_some_and(|p| policy_zone(&p.zone, bundle, &state.profile).is_some_and(|tz| p.rule.contains(at, &tz)));
    let consent = |channel: &str, category: &str| state.consent.holds(channel, category);
    let event = event.and_then(|(name, fields)| bundle.events.get(name).map(|spec| (fields, &spec.fields)));
    let env = Env {
        profile: &state.profile,
        profile_schema: &bundle.profile,
        event,
        segments: &bundle.segments,
        consent: &consent,
        business_hours,
        zone: zone.as_ref(),
    };
    f(&env)
}
