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

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::action::Action;
use crate::bundle::{Bundle, Channel, EventSpec, Kind, Message, Node, Record, Reentry, Until, Zone, EXIT};
use crate::consent::{Proof, Store};
use crate::expr::{Env, EvalError, Expr};
use crate::frequency::History;
use crate::io::{Contact, Event, PROFILE_UPDATE};
use crate::rules::{self, Refusal};
use crate::step::{journey_order, ConsentChange, Did, Ran, Refused, Rendered, Sent, Step};
use crate::time::{self, Zone as Tz};
use crate::value::Value;
use crate::window::{Check, Windows};

/// Instant steps a run may take without waiting (§3.5).
pub const STEP_LIMIT: u32 = 10_000;

/// Waits one run may take (§3.5): a loop that waits (`wait 1h; goto s`) until an `exit on`
/// event would otherwise run as long as time does. A run that would wait once more ends with the
/// reason `wait limit`. 100,000 waits of an hour are eleven years.
pub const WAIT_LIMIT: u32 = 100_000;

/// How long after the last event timers still fire (§3.5): 366 days. A run still waiting then
/// stays waiting (its last action is its `wait`, `until` past the end); without the horizon a
/// looping journey whose contact never sends its `exit on` event would never finish.
pub const HORIZON_S: i64 = 366 * 86_400;

/// Scheduled entries one simulation fires at most (§3.1, docs/simulate.md): a daily schedule
/// for 100,000 contacts over ten days is a million. Later ones are not fired.
pub const MAX_SCHEDULED: usize = 1_000_000;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Mixed into every split draw (docs/bundle.md §3.6).
    pub seed: u64,
    /// A live run's clock (`journey run`, the Temporal worker); `None` for a simulation.
    pub live: Option<Live>,
}

/// The clock of a live run, which replays a contact's events up to now rather than to the end
/// of time (docs/deploy.md, "One step function"). Without it, timers fire until [`HORIZON_S`]
/// after the last event and scheduled entries between the first event and the last; with it,
/// scheduled entries fire from `since` and both stop at `now`: what is due later stays pending,
/// and [`Ran::next_due`] says when to replay again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    /// When the contact became known to the service: its scheduled entries start there.
    pub since: i64,
    /// The service's clock. Must be at or after the last event's time.
    pub now: i64,
}

/// A contact's stores and its state in every journey. Contacts are numbered (in the order they
/// are first met) and hold their journeys in a vector by journey number: the engine looks a
/// contact up once per event, not once per journey per event by its id.
#[derive(Debug)]
struct ContactState<'b, 'c> {
    id: &'c str,
    /// The contact's profile as the input has it, borrowed: copying every profile was a tenth
    /// of a run.
    profile: Cow<'c, BTreeMap<String, Value>>,
    /// What `set` nodes wrote over it since (`None`: an optional field removed), read first.
    /// Copying the whole profile at the first `set` cost more than the reads of this.
    written: BTreeMap<&'b str, Option<Value>>,
    /// The recipient's zone as last looked up: the profile field read and the zone's number in
    /// [`Zones`]. Forgotten when a `set` node writes the profile.
    zone: Cell<Option<(&'b str, Option<u32>)>>,
    /// Small vectors here and below rather than sets: a contact has a few of each, and making
    /// and dropping every contact's sets was a noticeable part of a run.
    tags: Vec<&'b str>,
    consent: Store,
    windows: Windows,
    history: History,
    /// Consent requests handed over: (at, channel, category), for [`rules::REQUEST_LIMITS`].
    requests: Vec<(i64, &'b str, &'b str)>,
    /// Whether the contact matched each segment that enters or ends runs (`entry.joins`,
    /// `exit_leaves`), as last evaluated (at a profile update).
    segments: BTreeMap<&'b str, bool>,
    /// By journey number.
    journeys: Vec<JourneyState<'b, 'c>>,
}

impl ContactState<'_, '_> {
    /// A profile field's value now: written by a `set` node, else the input's.
    fn field(&self, name: &str) -> Option<&Value> {
        match self.written.get(name) {
            Some(written) => written.as_ref(),
            None => self.profile.get(name),
        }
    }
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
struct Run<'b, 'c> {
    number: u64,
    /// The node's number in [`Journey::graph`], or [`EXIT_NODE`].
    node: u32,
    /// The event in scope (§8.2): the one that started the run or the last one it waited for.
    event: Option<InScope<'b, 'c>>,
    /// What the run waits for and the timer that ends the wait.
    waiting: Option<(WaitKind, u64)>,
    /// Waits taken so far, against [`WAIT_LIMIT`].
    waits: u32,
}

#[derive(Debug)]
struct GoalTrack<'b> {
    run: u64,
    started: i64,
    converted: Vec<&'b str>,
}

#[derive(Debug, Default)]
struct JourneyState<'b, 'c> {
    runs: u64,
    last_start: Option<i64>,
    current: Option<Run<'b, 'c>>,
    goals: Vec<GoalTrack<'b>>,
}

/// The outcome of handing a message over.
enum Handover {
    Sent,
    /// Held by quiet hours until then.
    Held(i64),
    Refused,
}

/// An event in scope and its declaration in the run's bundle, looked up once.
type InScope<'b, 'c> = (&'c Event, Option<&'b EventSpec>);

/// The number of `exit` as a run's node; [`MISSING_NODE`] for a target the bundle lacks (which
/// a bundle that was read and checked never has).
const EXIT_NODE: u32 = u32::MAX;
const MISSING_NODE: u32 = u32::MAX - 1;

/// A node with its edges resolved to node numbers: a run moves by number, where looking node
/// ids up in the bundle's map twice a step (the node, then its edge's target) compared strings.
struct GraphNode<'b> {
    id: &'b str,
    node: &'b Node,
    /// (label, target) in label order.
    edges: Vec<(&'b str, u32)>,
    /// The target of the `next` edge, the one most steps take.
    next: Option<u32>,
    /// For a send, an ask or a consent request: its message, the message's channel and the
    /// node's compliance record, found once rather than at every hand-over.
    message: Option<&'b Message>,
    channel: Option<&'b Channel>,
    record: Option<&'b Record>,
}

fn graph(bundle: &Bundle) -> (Vec<GraphNode<'_>>, u32) {
    let numbers: BTreeMap<&str, u32> = bundle
        .nodes
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), u32::try_from(i).unwrap_or(MISSING_NODE)))
        .collect();
    let number = |id: &str| if id == EXIT { EXIT_NODE } else { numbers.get(id).copied().unwrap_or(MISSING_NODE) };
    let nodes = bundle
        .nodes
        .iter()
        .map(|(id, node)| {
            let edges: Vec<(&str, u32)> =
                node.next.iter().map(|(label, target)| (label.as_str(), number(target))).collect();
            let next = edges.iter().find(|(label, _)| *label == "next").map(|(_, target)| *target);
            let message = match &node.kind {
                Kind::Send { message } | Kind::Ask { message, .. } | Kind::ConsentRequest { message, .. } => {
                    bundle.messages.get(message)
                }
                _ => None,
            };
            let channel = message.and_then(|m| bundle.channels.get(&m.channel));
            let record = bundle.compliance.get(id);
            GraphNode { id, node, edges, next, message, channel, record }
        })
        .collect();
    (nodes, number(&bundle.start))
}

/// A journey and what the engine precomputes about it.
struct Journey<'b> {
    bundle: &'b Bundle,
    graph: Vec<GraphNode<'b>>,
    start: u32,
    /// The recipient's zone field (§4.1): the first profile field of type `timezone`.
    zone_field: Option<&'b str>,
    /// The numbers in [`Zones`] of the quiet hours' and business hours' zones, when fixed.
    quiet_zone: Option<u32>,
    business_zone: Option<u32>,
}

/// Time zones by number, each looked up in the database once (by name) rather than at every send
/// and condition, and each remembering its current offset ([`time::Zone`]).
#[derive(Default, Clone)]
struct Zones {
    by_name: BTreeMap<String, Option<u32>>,
    zones: Vec<Tz>,
}

impl Zones {
    fn add(&mut self, tz: &jiff::tz::TimeZone) -> Option<u32> {
        let number = u32::try_from(self.zones.len()).ok()?;
        self.zones.push(Tz::new(tz.clone()));
        Some(number)
    }

    fn named(&mut self, name: &str) -> Option<u32> {
        if let Some(number) = self.by_name.get(name) {
            return *number;
        }
        let number = time::zone(name).and_then(|tz| self.add(&tz));
        self.by_name.insert(name.to_owned(), number);
        number
    }

    fn get(&self, number: Option<u32>) -> Option<&Tz> {
        self.zones.get(number? as usize)
    }
}

/// What an event name is to the journeys, found once per event instead of by comparing names
/// in every journey's lists.
struct EventName<'b> {
    /// By journey number: [`EXIT_ON`], [`ENTRY`] and [`GOAL`] bits.
    roles: Vec<u8>,
    /// The inbound channel, window and whether it allows one reply, from the first journey
    /// that declares the event.
    inbound: Option<(&'b str, Option<i64>, bool)>,
}

const EXIT_ON: u8 = 1;
const ENTRY: u8 = 2;
const GOAL: u8 = 4;

fn event_names<'b>(journeys: &[Journey<'b>]) -> BTreeMap<&'b str, EventName<'b>> {
    let mut names: BTreeMap<&'b str, EventName<'b>> = BTreeMap::new();
    let mut role = |name: &'b str, journey: usize, bit: u8| {
        let entry = names.entry(name).or_insert_with(|| EventName { roles: vec![0; journeys.len()], inbound: None });
        if let Some(roles) = entry.roles.get_mut(journey) {
            *roles |= bit;
        }
    };
    for (journey, info) in journeys.iter().enumerate() {
        let bundle = info.bundle;
        for name in &bundle.exit_on {
            role(name, journey, EXIT_ON);
        }
        if let Some(name) = &bundle.entry_event {
            role(name, journey, ENTRY);
        }
        for goal in &bundle.goals {
            role(&goal.event, journey, GOAL);
        }
        for name in bundle.events.keys() {
            role(name, journey, 0);
        }
    }
    for (name, info) in &mut names {
        let spec = journeys.iter().find_map(|j| j.bundle.events.get(*name));
        info.inbound =
            spec.and_then(|spec| spec.inbound.as_deref().map(|channel| (channel, spec.window_s, spec.single_reply)));
    }
    names
}

struct Engine<'b, 'c, 'n> {
    /// In journey-name order.
    journeys: &'n [Journey<'b>],
    names: &'n BTreeMap<&'b str, EventName<'b>>,
    /// By channel, the STOP-class keywords any journey's channel of that name has (its
    /// `keywords` less HELP and INFO), gathered once rather than at every message.
    stops: &'n BTreeMap<&'b str, Vec<&'b str>>,
    contacts: Vec<ContactState<'b, 'c>>,
    /// Contact numbers by id, looked up once per event. Hashed: ordered lookups compared whole
    /// ids that share long prefixes (`p000123`), a tenth of the run.
    numbers: HashMap<&'c str, u32, BuildHasherDefault<Fnv>>,
    /// Reversed into a min-heap of (due, order set, contact, journey): the timer due first, and
    /// of those the one set first.
    timers: BinaryHeap<Reverse<(i64, u64, u32, u32)>>,
    next_timer: u64,
    seed: u64,
    zones: Zones,
    out: Vec<Step<'b>>,
}

/// Runs the bundles over the contacts and events; the actions in the order they happened.
pub fn run(bundles: &[Bundle], contacts: &[Contact], events: &[Event], options: &Options) -> Vec<Action> {
    let order = journey_order(bundles);
    let ran = run_steps(bundles, contacts, events, options);
    ran.steps
        .iter()
        .map(|step| {
            let contact = ran.contacts.get(step.contact as usize).copied().unwrap_or("");
            let journey = order.get(step.journey as usize).map_or("", |b| b.journey.as_str());
            step.to_action(contact, journey)
        })
        .collect()
}

/// [`run`], keeping the actions as [`Step`]s: what a population simulation reads and writes.
pub fn run_steps<'b, 'c>(
    bundles: &'b [Bundle],
    contacts: &'c [Contact],
    events: &'c [Event],
    options: &Options,
) -> Ran<'b, 'c> {
    let mut steps = Vec::new();
    let contacts = run_steps_into(bundles, contacts, events, options, &mut steps);
    Ran { contacts, steps }
}

/// [`run_steps`], appending the steps to `out` (whose room a caller running many batches
/// reuses: a fresh vector of steps per batch was a twelfth of the run, most of it the kernel
/// handing out new pages). The steps number contacts from 0; returns their ids by number.
pub fn run_steps_into<'b, 'c>(
    bundles: &'b [Bundle],
    contacts: &'c [Contact],
    events: &'c [Event],
    options: &Options,
    out: &mut Vec<Step<'b>>,
) -> Vec<&'c str> {
    let contacts: Vec<&Contact> = contacts.iter().collect();
    let events: Vec<&Event> = events.iter().collect();
    run_refs_into(bundles, &contacts, &events, options, out)
}

/// [`run_steps_into`] with the contacts and events by reference: a population run picks those
/// of a pass out of its chunk rather than copying them.
pub fn run_refs_into<'b, 'c>(
    bundles: &'b [Bundle],
    contacts: &[&'c Contact],
    events: &[&'c Event],
    options: &Options,
    out: &mut Vec<Step<'b>>,
) -> Vec<&'c str> {
    run_core(bundles, contacts, events, options, out).0
}

/// A live run (`options.live`) of the contacts' events: the actions due by `now`, and when the
/// first thing still pending is due (a timer, or a scheduled entry within [`NEXT_SCHEDULED_S`];
/// with a schedule and nothing sooner, `now + NEXT_SCHEDULED_S`, to look further), the time to
/// replay again. The same function a simulation runs: the engines that deploy a
/// bundle call it rather than a second implementation of the semantics.
pub fn run_live(
    bundles: &[Bundle],
    contacts: &[Contact],
    events: &[Event],
    options: &Options,
) -> (Vec<Action>, Option<i64>) {
    let order = journey_order(bundles);
    let contact_refs: Vec<&Contact> = contacts.iter().collect();
    let event_refs: Vec<&Event> = events.iter().collect();
    let mut steps = Vec::new();
    let (ids, next_due) = run_core(bundles, &contact_refs, &event_refs, options, &mut steps);
    let actions = steps
        .iter()
        .map(|step| {
            let contact = ids.get(step.contact as usize).copied().unwrap_or("");
            let journey = order.get(step.journey as usize).map_or("", |b| b.journey.as_str());
            step.to_action(contact, journey)
        })
        .collect();
    (actions, next_due)
}

/// How far past `now` a live run looks for the next scheduled entry: a week covers every
/// weekly schedule; a one-off date further out is found by the replay at the window's end, which
/// `next_due` asks for whenever a journey has a schedule.
pub const NEXT_SCHEDULED_S: i64 = 8 * 86_400;

fn run_core<'b, 'c>(
    bundles: &'b [Bundle],
    contacts: &[&'c Contact],
    events: &[&'c Event],
    options: &Options,
    out: &mut Vec<Step<'b>>,
) -> (Vec<&'c str>, Option<i64>) {
    let prepared = Prepared::new(bundles);
    run_prepared(&prepared, contacts, events, options, out)
}

/// What a run needs of a bundle set before any contact: each journey's graph, the event names'
/// roles, the STOP keywords and the fixed zones. Built once, it serves any number of live
/// replays ([`Prepared::run_live`]): rebuilding it at every replay was most of a replay's time
/// in `journey run` (docs/performance.md, "journey run").
pub struct Prepared<'b> {
    journeys: Vec<Journey<'b>>,
    names: BTreeMap<&'b str, EventName<'b>>,
    stops: BTreeMap<&'b str, Vec<&'b str>>,
    zones: Zones,
}

impl<'b> Prepared<'b> {
    pub fn new(bundles: &'b [Bundle]) -> Prepared<'b> {
        let mut zones = Zones::default();
        let mut fixed = |zone: Option<&Zone>| match zone {
            Some(Zone::Fixed(tz, _)) => zones.add(tz),
            _ => None,
        };
        let journeys = journey_order(bundles)
            .into_iter()
            .map(|bundle| {
                let (graph, start) = graph(bundle);
                Journey {
                    bundle,
                    graph,
                    start,
                    zone_field: bundle
                        .profile
                        .iter()
                        .find(|(_, spec)| spec.ty == crate::value::FieldType::TimeZone)
                        .map(|(name, _)| name.as_str()),
                    quiet_zone: fixed(bundle.quiet_hours.as_ref().map(|p| &p.zone)),
                    business_zone: fixed(bundle.business_hours.as_ref().map(|p| &p.zone)),
                }
            })
            .collect::<Vec<_>>();
        // One string for each zone field name, so that the contact's remembered zone field is
        // recognised by address whichever journey asks (the journeys share their profile schema).
        let mut journeys = journeys;
        let fields: Vec<Option<&str>> = journeys.iter().map(|j| j.zone_field).collect();
        for journey in &mut journeys {
            if let Some(field) = journey.zone_field {
                journey.zone_field = fields.iter().flatten().copied().find(|f| *f == field);
            }
        }
        let names = event_names(&journeys);
        let mut stops: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for journey in &journeys {
            for (name, channel) in &journey.bundle.channels {
                let keywords = stops.entry(name.as_str()).or_default();
                for keyword in &channel.keywords {
                    if !rules::HELP_KEYWORDS.iter().any(|h| h.eq_ignore_ascii_case(keyword)) {
                        keywords.push(keyword);
                    }
                }
            }
        }
        Prepared { journeys, names, stops, zones }
    }

    /// [`run_live`] on the prepared bundles: the same actions and next due time.
    pub fn run_live(&self, contacts: &[Contact], events: &[Event], options: &Options) -> (Vec<Action>, Option<i64>) {
        let contact_refs: Vec<&Contact> = contacts.iter().collect();
        let event_refs: Vec<&Event> = events.iter().collect();
        let mut steps = Vec::new();
        let (ids, next_due) = run_prepared(self, &contact_refs, &event_refs, options, &mut steps);
        let actions = steps
            .iter()
            .map(|step| {
                let contact = ids.get(step.contact as usize).copied().unwrap_or("");
                let journey = self.journeys.get(step.journey as usize).map_or("", |j| j.bundle.journey.as_str());
                step.to_action(contact, journey)
            })
            .collect();
        (actions, next_due)
    }
}

fn run_prepared<'b, 'c>(
    prepared: &Prepared<'b>,
    contacts: &[&'c Contact],
    events: &[&'c Event],
    options: &Options,
    out: &mut Vec<Step<'b>>,
) -> (Vec<&'c str>, Option<i64>) {
    // About four actions an event in the examples: grown once or twice, not a dozen times.
    out.reserve(events.len().saturating_mul(4));
    let mut engine = Engine {
        journeys: &prepared.journeys,
        names: &prepared.names,
        stops: &prepared.stops,
        contacts: Vec::with_capacity(contacts.len()),
        numbers: HashMap::with_capacity_and_hasher(contacts.len(), BuildHasherDefault::default()),
        timers: BinaryHeap::new(),
        next_timer: 0,
        seed: options.seed,
        zones: prepared.zones.clone(),
        out: std::mem::take(out),
    };
    for contact in contacts {
        let number = engine.number(&contact.id);
        if let Some(state) = engine.contacts.get_mut(number as usize) {
            // A contact listed twice: the later line wins, as it always did.
            state.profile = Cow::Borrowed(&contact.profile);
            state.written.clear();
            state.zone.set(None);
            state.consent = Store::default();
            for (channel, category) in &contact.consent {
                state.consent.grant(channel, category, Proof { at: None, how: Cow::Borrowed("contacts file") });
            }
        }
    }
    let firings = match (options.live, events.first(), events.last()) {
        (Some(live), _, _) => engine.schedule_firings(live.since, live.now.saturating_add(NEXT_SCHEDULED_S)),
        (None, Some(first), Some(last)) => engine.schedule_firings(first.at, last.at),
        _ => Vec::new(),
    };
    let mut firings = firings.into_iter().peekable();
    for &event in events {
        // Scheduled entries due at or before the event fire first, each after the timers due
        // by then.
        while let Some((at, journey, contact)) = firings.next_if(|f| f.0 <= event.at) {
            engine.fire_timers(at);
            engine.enter_without_event(journey, contact, at);
        }
        engine.fire_timers(event.at);
        let contact = engine.number(&event.contact);
        engine.event(contact, event);
    }
    let next_due = match options.live {
        Some(live) => {
            while let Some((at, journey, contact)) = firings.next_if(|f| f.0 <= live.now) {
                engine.fire_timers(at);
                engine.enter_without_event(journey, contact, at);
            }
            engine.fire_timers(live.now);
            let timer = engine.next_live_timer();
            let scheduled = firings.next().map(|f| f.0);
            // A schedule whose next entry is further than the window looked at (a one-off date
            // months ahead) is found by replaying again at the window's end: without that, a
            // contact with nothing else pending would never be woken for it.
            let scheduling = engine.journeys.iter().any(|j| j.bundle.schedule.is_some());
            let look_again = scheduling.then(|| live.now.saturating_add(NEXT_SCHEDULED_S));
            timer.into_iter().chain(scheduled).chain(look_again).min()
        }
        None => {
            let last = events.last().map_or(i64::MIN, |e| e.at);
            engine.fire_timers(last.saturating_add(HORIZON_S));
            None
        }
    };
    *out = std::mem::take(&mut engine.out);
    (engine.contacts.iter().map(|c| c.id).collect(), next_due)
}

/// FNV-1a as a `Hasher`: fixed keys (no per-process random state, which the runtime's purity
/// rules out), and fast on short ids. Only lookups use it; nothing iterates a hashed map.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
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

/// The number of the recipient's zone: the first profile field of type `timezone` (§4.1).
fn recipient_zone<'b>(journey: &Journey<'b>, state: &ContactState<'b, '_>, zones: &mut Zones) -> Option<u32> {
    let field = journey.zone_field?;
    if let Some((seen, number)) = state.zone.get() {
        // Most often the very same field name as last time (one journey's bundle).
        if std::ptr::eq(seen, field) || seen == field {
            return number;
        }
    }
    let number = match state.field(field) {
        Some(Value::Text(name)) => zones.named(name),
        _ => None,
    };
    state.zone.set(Some((field, number)));
    number
}

/// The number of a policy's zone: fixed, or the recipient's.
fn policy_zone<'b>(
    zone: &Zone,
    fixed: Option<u32>,
    journey: &Journey<'b>,
    state: &ContactState<'b, '_>,
    zones: &mut Zones,
) -> Option<u32> {
    match zone {
        Zone::Fixed(..) => fixed,
        Zone::Recipient => recipient_zone(journey, state, zones),
    }
}

/// A branch's outcome label: `then`, `elifN` or `else`, borrowed when it is one of the first few.
fn branch_label(index: usize) -> Cow<'static, str> {
    const ELIF: [&str; 10] = ["then", "elif1", "elif2", "elif3", "elif4", "elif5", "elif6", "elif7", "elif8", "elif9"];
    match ELIF.get(index) {
        Some(label) => Cow::Borrowed(label),
        None => Cow::Owned(format!("elif{index}")),
    }
}

/// A split's outcome label `pN`.
fn split_label(arm: usize) -> Cow<'static, str> {
    const ARMS: [&str; 10] = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"];
    match ARMS.get(arm) {
        Some(label) => Cow::Borrowed(label),
        None => Cow::Owned(format!("p{arm}")),
    }
}

impl<'b, 'c, 'n> Engine<'b, 'c, 'n> {
    /// The number of the contact with this id, making its state on first sight.
    fn number(&mut self, id: &'c str) -> u32 {
        if let Some(number) = self.numbers.get(id) {
            return *number;
        }
        let number = u32::try_from(self.contacts.len()).unwrap_or(u32::MAX);
        self.numbers.insert(id, number);
        self.contacts.push(ContactState {
            id,
            profile: Cow::Owned(BTreeMap::new()),
            written: BTreeMap::new(),
            zone: Cell::new(None),
            tags: Vec::new(),
            consent: Store::default(),
            windows: Windows::default(),
            history: History::default(),
            requests: Vec::new(),
            segments: BTreeMap::new(),
            journeys: (0..self.journeys.len()).map(|_| JourneyState::default()).collect(),
        });
        number
    }

    /// A node of a journey: its id and the node.
    fn node(&self, journey: u32, node: u32) -> Option<(&'b str, &'b Node)> {
        let node = self.journeys.get(journey as usize)?.graph.get(node as usize)?;
        Some((node.id, node.node))
    }

    /// The id of a run's node, for its actions.
    fn node_id(&self, journey: u32, node: u32) -> &'b str {
        match node {
            EXIT_NODE => EXIT,
            _ => self.node(journey, node).map_or("", |(id, _)| id),
        }
    }

    fn journey(&self, journey: u32) -> Option<&'b Bundle> {
        self.journeys.get(journey as usize).map(|j| j.bundle)
    }

    fn id(&self, contact: u32) -> &'c str {
        self.contacts.get(contact as usize).map_or("", |c| c.id)
    }

    fn state(&mut self, contact: u32, journey: u32) -> Option<&mut JourneyState<'b, 'c>> {
        self.contacts.get_mut(contact as usize)?.journeys.get_mut(journey as usize)
    }

    fn emit(&mut self, at: i64, contact: u32, journey: u32, run: u64, node: Option<&'b str>, did: Did<'b>) {
        self.out.push(Step { at, contact, journey, run, node, did });
    }

    fn set_timer(&mut self, due: i64, contact: u32, journey: u32) -> u64 {
        let order = self.next_timer;
        self.next_timer += 1;
        self.timers.push(Reverse((due, order, contact, journey)));
        order
    }

    /// The due time of the first timer a run still waits on (cancelled timers left in the heap
    /// are skipped: they would wake the service for nothing).
    fn next_live_timer(&mut self) -> Option<i64> {
        while let Some(Reverse((due, order, contact, journey))) = self.timers.peek().copied() {
            let live = self
                .contacts
                .get(contact as usize)
                .and_then(|c| c.journeys.get(journey as usize))
                .and_then(|j| j.current.as_ref())
                .and_then(|run| run.waiting)
                .is_some_and(|(_, token)| token == order);
            if live {
                return Some(due);
            }
            self.timers.pop();
        }
        None
    }

    fn fire_timers(&mut self, until: i64) {
        while let Some(Reverse(first)) = self.timers.peek().copied() {
            if first.0 > until {
                break;
            }
            self.timers.pop();
            let (due, order, contact, journey) = first;
            self.timer(due, order, contact, journey);
        }
    }

    fn take_run(&mut self, contact: u32, journey: u32) -> Option<Run<'b, 'c>> {
        self.state(contact, journey)?.current.take()
    }

    fn put_run(&mut self, contact: u32, journey: u32, run: Run<'b, 'c>) {
        if let Some(state) = self.state(contact, journey) {
            state.current = Some(run);
        }
    }

    fn timer(&mut self, at: i64, order: u64, contact: u32, journey: u32) {
        let Some(bundle) = self.journey(journey) else { return };
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
                if self.take(bundle, journey, contact, &mut run, "next", at) {
                    self.advance(bundle, journey, contact, run, at);
                }
            }
            WaitKind::WaitFor | WaitKind::Ask(_) | WaitKind::Handoff | WaitKind::ConsentRequest(_) => {
                let node = self.node_id(journey, run.node);
                self.emit(
                    at,
                    contact,
                    journey,
                    run.number,
                    Some(node),
                    Did::Branch { outcome: Cow::Borrowed("timeout") },
                );
                if self.take(bundle, journey, contact, &mut run, "timeout", at) {
                    self.advance(bundle, journey, contact, run, at);
                }
            }
            WaitKind::Held => self.released(bundle, journey, contact, run, at),
        }
    }

    /// A held send at the end of quiet hours: hand it over again, checking everything anew.
    fn released(&mut self, bundle: &'b Bundle, journey: u32, contact: u32, mut run: Run<'b, 'c>, at: i64) {
        let Some((node_id, node)) = self.node(journey, run.node) else { return };
        let message = match &node.kind {
            Kind::Send { message } | Kind::Ask { message, .. } | Kind::ConsentRequest { message, .. } => message,
            _ => return,
        };
        let handed = self.handover(bundle, journey, contact, &run, node_id, message, at);
        self.after_handover(bundle, journey, contact, &mut run, &node.kind, handed, at);
        if run.waiting.is_some() {
            self.put_run(contact, journey, run);
        } else if run.node != EXIT_NODE {
            self.advance(bundle, journey, contact, run, at);
        }
    }

    /// What follows a hand-over at a send, ask or consent request: wait for quiet hours to end,
    /// wait for an answer, or (for `send`) move on. Leaves `run.waiting` set when it waits.
    #[allow(clippy::too_many_arguments)]
    fn after_handover(
        &mut self,
        bundle: &'b Bundle,
        journey: u32,
        contact: u32,
        run: &mut Run<'b, 'c>,
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
                        self.wait(journey, contact, run, WaitKind::Ask(sent), at + timeout_s, "ask", at)
                    }
                    Kind::ConsentRequest { timeout_s, .. } => {
                        self.wait(
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
                        if !self.take(bundle, journey, contact, run, "next", at) {
                            run.node = EXIT_NODE;
                        }
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn wait(
        &mut self,
        journey: u32,
        contact: u32,
        run: &mut Run<'b, 'c>,
        kind: WaitKind,
        until: i64,
        name: &'static str,
        at: i64,
    ) {
        let token = self.set_timer(until, contact, journey);
        run.waiting = Some((kind, token));
        run.waits = run.waits.saturating_add(1);
        let node = self.node_id(journey, run.node);
        self.emit(at, contact, journey, run.number, Some(node), Did::Wait { until, kind: name });
    }

    /// Takes edge `label` of the run's node. Returns false when the run ended (it reached exit).
    fn take(
        &mut self,
        bundle: &'b Bundle,
        journey: u32,
        contact: u32,
        run: &mut Run<'b, 'c>,
        label: &str,
        at: i64,
    ) -> bool {
        let _ = bundle;
        let node = self.journeys.get(journey as usize).and_then(|j| j.graph.get(run.node as usize));
        let target = match node {
            Some(node) if label == "next" => node.next,
            Some(node) => node.edges.iter().find(|(l, _)| *l == label).map(|(_, target)| *target),
            None => None,
        };
        match target {
            None | Some(EXIT_NODE) => {
                let node = self.node_id(journey, run.node);
                self.emit(at, contact, journey, run.number, Some(node), Did::Exit { reason: Cow::Borrowed("exit") });
                run.node = EXIT_NODE;
                false
            }
            Some(target) => {
                run.node = target;
                true
            }
        }
    }

    fn end(&mut self, journey: u32, contact: u32, run: &Run<'b, 'c>, at: i64, reason: String) {
        let node = self.node_id(journey, run.node);
        self.emit(at, contact, journey, run.number, Some(node), Did::Exit { reason: Cow::Owned(reason) });
    }

    /// Every scheduled entry (§3.1) from `first` to `last` (inclusive), for every contact known
    /// then: (at, journey, contact), by time, then journey order, then contact. A contact whose
    /// zone is unknown (a recipient schedule and no valid `timezone` field) has none.
    fn schedule_firings(&mut self, first: i64, last: i64) -> Vec<(i64, u32, u32)> {
        let mut firings = Vec::new();
        let (Ok(from), Ok(to)) = (jiff::Timestamp::from_second(first), jiff::Timestamp::from_second(last)) else {
            return firings;
        };
        for (journey, info) in self.journeys.iter().enumerate() {
            let Some(schedule) = &info.bundle.schedule else { continue };
            let journey = u32::try_from(journey).unwrap_or(u32::MAX);
            for (contact, state) in self.contacts.iter().enumerate() {
                let contact = u32::try_from(contact).unwrap_or(u32::MAX);
                let tz = match &schedule.zone {
                    Zone::Fixed(tz, _) => Some(tz.clone()),
                    Zone::Recipient => {
                        let number = recipient_zone(info, state, &mut self.zones);
                        self.zones.get(number).map(|z| z.tz().clone())
                    }
                };
                let Some(tz) = tz else { continue };
                // Local dates from the day before the first input to the day after the last, so
                // every instant between them is covered in any zone.
                let (Ok(start), Ok(end)) =
                    (from.to_zoned(tz.clone()).date().yesterday(), to.to_zoned(tz.clone()).date().tomorrow())
                else {
                    continue;
                };
                let (hour, minute) = (schedule.time / 60, schedule.time % 60);
                let mut fire = |date: jiff::civil::Date| {
                    let Ok(hour) = i8::try_from(hour) else { return };
                    let Ok(minute) = i8::try_from(minute) else { return };
                    // A local time the clocks skip is taken as the first moment after the gap
                    // (jiff's compatible rule), a repeated one as its first occurrence.
                    let Ok(zoned) = date.at(hour, minute, 0, 0).to_zoned(tz.clone()) else { return };
                    let at = zoned.timestamp().as_second();
                    if (first..=last).contains(&at) && firings.len() < MAX_SCHEDULED {
                        firings.push((at, journey, contact));
                    }
                };
                match (schedule.at, schedule.every) {
                    (Some(date), _) => fire(date),
                    (None, Some(days)) => {
                        let mut date = start;
                        while date <= end {
                            let weekday = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
                            if days.get(weekday).copied().unwrap_or(false) {
                                fire(date);
                            }
                            let Ok(next) = date.tomorrow() else { break };
                            date = next;
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        firings.sort_unstable();
        firings
    }

    /// Whether the contact matches `segment` now (a segment that cannot be evaluated, because
    /// the contact's data lacks a required field it reads, is not matched).
    fn matches(&mut self, journey: u32, contact: u32, segment: &str, at: i64) -> bool {
        let (Some(info), Some(state)) = (self.journeys.get(journey as usize), self.contacts.get(contact as usize))
        else {
            return false;
        };
        let expr = Expr::Segment(segment.to_owned());
        env_eval(info, state, None, at, &mut self.zones, |env| env.condition(&expr)).unwrap_or(false)
    }

    /// A profile update (docs/simulate.md): the profile takes the new values, then every segment
    /// that enters or ends runs is evaluated again. In journey order: a run whose contact left
    /// one of its `exit_leaves` segments ends, then a contact that joined `entry.joins` enters.
    fn profile_update(&mut self, contact: u32, event: &'c Event) {
        let at = event.at;
        let mut watched: Vec<(u32, &'b str, bool)> = Vec::new();
        for (journey, info) in self.journeys.iter().enumerate() {
            let journey = u32::try_from(journey).unwrap_or(u32::MAX);
            watched.extend(info.bundle.exit_leaves.iter().map(|s| (journey, s.as_str(), false)));
            watched.extend(info.bundle.joins.as_deref().map(|s| (journey, s, true)));
        }
        let mut before = Vec::with_capacity(watched.len());
        for (journey, segment, _) in &watched {
            let known = self.contacts.get(contact as usize).and_then(|s| s.segments.get(segment).copied());
            let member = match known {
                Some(member) => member,
                None => self.matches(*journey, contact, segment, at),
            };
            before.push(member);
        }
        let Some(state) = self.contacts.get_mut(contact as usize) else { return };
        let profile = state.profile.to_mut();
        for (name, value) in &event.fields {
            profile.insert(name.clone(), value.clone());
            state.written.remove(name.as_str());
        }
        state.zone.set(None);
        for ((journey, segment, entry), was) in watched.into_iter().zip(before) {
            let now = self.matches(journey, contact, segment, at);
            if let Some(state) = self.contacts.get_mut(contact as usize) {
                state.segments.insert(segment, now);
            }
            if entry && now && !was {
                self.enter_without_event(journey, contact, at);
            } else if !entry && was && !now {
                if let Some(run) = self.take_run(contact, journey) {
                    self.end(journey, contact, &run, at, format!("left {segment}"));
                }
            }
        }
    }

    /// A scheduled entry, or joining the segment of `entry.joins` (§3.1): as an entry event
    /// would, less the event (none is in scope, none opens a window, `where` is absent).
    fn enter_without_event(&mut self, journey: u32, contact: u32, at: i64) {
        let Some(bundle) = self.journey(journey) else { return };
        let Some(label) = bundle.entry_label.as_deref() else { return };
        let Some(info) = self.journeys.get(journey as usize) else { return };
        let Some(state) = self.contacts.get_mut(contact as usize) else { return };
        let Some(journey_state) = state.journeys.get(journey as usize) else { return };
        if journey_state.current.is_some() {
            return;
        }
        let allowed = may_start(bundle.reentry, journey_state.last_start, at);
        if !allowed {
            return;
        }
        let audience = match &bundle.audience {
            None => true,
            Some(c) => env_eval(info, state, None, at, &mut self.zones, |env| env.condition(c)).unwrap_or(false),
        };
        if !audience {
            return;
        }
        let Some(journey_state) = state.journeys.get_mut(journey as usize) else { return };
        journey_state.runs += 1;
        journey_state.last_start = Some(at);
        let number = journey_state.runs;
        if !bundle.goals.is_empty() {
            journey_state.goals.push(GoalTrack { run: number, started: at, converted: Vec::new() });
        }
        let run = Run { number, node: info.start, event: None, waiting: None, waits: 0 };
        self.emit(at, contact, journey, number, None, Did::Enter { event: label });
        if run.node == EXIT_NODE {
            self.emit(at, contact, journey, number, None, Did::Exit { reason: Cow::Borrowed("exit") });
            return;
        }
        self.advance(bundle, journey, contact, run, at);
    }

    fn event(&mut self, contact: u32, event: &'c Event) {
        if event.name == PROFILE_UPDATE {
            self.profile_update(contact, event);
            return;
        }
        let names = self.names;
        let named = names.get(event.name.as_str());
        self.contact_effects(contact, event, named);
        for journey in 0..self.journeys.len() {
            let Some(bundle) = self.journeys.get(journey).map(|j| j.bundle) else { continue };
            let roles = named.and_then(|n| n.roles.get(journey)).copied().unwrap_or(0);
            let journey = u32::try_from(journey).unwrap_or(u32::MAX);
            if roles & EXIT_ON != 0 {
                self.exit_on(journey, contact, event);
            }
            self.answer(bundle, journey, contact, event);
            // Only a goal's event converts; runs whose goals expired are pruned then too.
            if roles & GOAL != 0 {
                self.goals(bundle, journey, contact, event);
            }
            if roles & ENTRY != 0 {
                self.enter(bundle, journey, contact, event);
            }
        }
    }

    /// Windows and consent change before any journey sees the event.
    fn contact_effects(&mut self, contact: u32, event: &'c Event, named: Option<&EventName<'b>>) {
        let text = |name: &str| match event.fields.get(name) {
            Some(Value::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let at = event.at;
        match event.name.as_str() {
            "reply" => {
                let channel = text("channel").unwrap_or_default();
                let stop = text("text").is_some_and(|t| self.is_stop(channel, t));
                let opt_in = self.answers_opt_in(contact, channel, text("outcome"));
                let Some(state) = self.contacts.get_mut(contact as usize) else { return };
                if !opt_in {
                    state.windows.inbound(channel, at, None, false);
                }
                if stop {
                    state.consent.revoke(channel, None, true);
                }
            }
            "consent_granted" => {
                let (channel, category) = (text("channel").unwrap_or_default(), text("category").unwrap_or_default());
                if let Some(state) = self.contacts.get_mut(contact as usize) {
                    state.consent.grant(
                        channel,
                        category,
                        Proof { at: Some(at), how: Cow::Borrowed("consent_granted event") },
                    );
                }
            }
            "consent_revoked" => {
                let (channel, category) = (text("channel").unwrap_or_default(), text("category"));
                // Withdrawing every category on a phone text is an opt-out by other means
                // (TCPA-REV): like STOP, it blocks the channel, not only the consents (§5: never
                // send on a channel where the contact revoked everything).
                let block = category.is_none() && self.is_phone_text(channel);
                if let Some(state) = self.contacts.get_mut(contact as usize) {
                    state.consent.revoke(channel, category, block);
                }
            }
            "handoff_resolved" => {}
            name => {
                let inbound = named.and_then(|n| n.inbound);
                // A message from the contact that is a STOP-class keyword revokes as a `reply`
                // does (§5): the platform raises the opt-out for any message, not only answers.
                let stop =
                    inbound.is_some_and(|(channel, _, _)| text("text").is_some_and(|t| self.is_stop(channel, t)));
                let Some(state) = self.contacts.get_mut(contact as usize) else { return };
                if let Some((channel, window_s, single)) = inbound {
                    state.windows.inbound(channel, at, window_s, single);
                    if stop {
                        state.consent.revoke(channel, None, true);
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
    fn answers_opt_in(&self, contact: u32, channel: &str, outcome: Option<&str>) -> bool {
        if !matches!(outcome, Some("granted" | "declined")) {
            return false;
        }
        let Some(state) = self.contacts.get(contact as usize) else { return false };
        state.journeys.iter().zip(self.journeys).any(|(state, journey)| {
            let Some(run) = &state.current else { return false };
            if !matches!(run.waiting, Some((WaitKind::ConsentRequest(true), _))) {
                return false;
            }
            let bundle = journey.bundle;
            match journey.graph.get(run.node as usize).map(|n| &n.node.kind) {
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
        match self.journeys.iter().find_map(|j| j.bundle.channels.get(channel)) {
            Some(c) => matches!(c.medium.as_str(), "sms" | "mms" | "rcs"),
            None => channel == "sms",
        }
    }

    /// A STOP-class keyword of the channel (its `keywords`, less HELP and INFO).
    fn is_stop(&self, channel: &str, text: &str) -> bool {
        let word = text.trim();
        self.stops.get(channel).is_some_and(|keywords| keywords.iter().any(|k| k.eq_ignore_ascii_case(word)))
    }

    /// `event` is one of the journey's `exit_on` events.
    fn exit_on(&mut self, journey: u32, contact: u32, event: &'c Event) {
        if let Some(run) = self.take_run(contact, journey) {
            // Timers of the run are now stale and a held send is dropped with it.
            self.end(journey, contact, &run, event.at, format!("exit_on {}", event.name));
        }
    }

    fn answer(&mut self, bundle: &'b Bundle, journey: u32, contact: u32, event: &'c Event) {
        // Most events answer nothing: look before taking the run out.
        let waiting = self.state(contact, journey).and_then(|s| s.current.as_ref()).and_then(|r| r.waiting);
        let Some((kind, _)) = waiting else { return };
        if kind == WaitKind::Wait || kind == WaitKind::Held {
            return;
        }
        let Some(mut run) = self.take_run(contact, journey) else { return };
        let node_id = self.node_id(journey, run.node);
        let node = self.node(journey, run.node).map(|(_, node)| node);
        let field = |name: &str| match event.fields.get(name) {
            Some(Value::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let reply_on = |message: &str| {
            event.name == "reply"
                && bundle.messages.get(message).is_some_and(|m| Some(m.channel.as_str()) == field("channel"))
        };
        let outcome: Option<&'b str> = match (kind, node.map(|n| &n.kind)) {
            (WaitKind::WaitFor, Some(Kind::WaitFor { events, .. })) => {
                match events.iter().find(|name| **name == event.name) {
                    Some(name) => {
                        run.event = Some((event, bundle.events.get(&event.name)));
                        Some(name.as_str())
                    }
                    None => None,
                }
            }
            (WaitKind::Ask(true), Some(Kind::Ask { message, .. })) if reply_on(message) => {
                let matched = field("outcome")
                    .filter(|o| *o != "timeout")
                    .and_then(|o| node.and_then(|n| n.next.get_key_value(o)))
                    .map(|(label, _)| label.as_str());
                // An answer that matches no outcome takes `other` where the ask has it; an
                // opt-out or HELP keyword is the channel's business, not an answer (§3).
                let keyword = field("text").is_some_and(|text| {
                    let channel = field("channel").unwrap_or("");
                    self.is_stop(channel, text)
                        || rules::HELP_KEYWORDS.iter().any(|h| h.eq_ignore_ascii_case(text.trim()))
                });
                matched.or_else(|| {
                    node.and_then(|n| n.next.get_key_value(crate::bundle::OTHER))
                        .filter(|_| !keyword)
                        .map(|(label, _)| label.as_str())
                })
            }
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
                        how: Cow::Owned(format!("consent_request {node_id} answered on {reply_channel}")),
                    };
                    if let Some(state) = self.contacts.get_mut(contact as usize) {
                        state.consent.grant(channel, category, proof);
                    }
                    // The record of the consent (GDPR-7, TCPA-PEWC): who, what, when (the
                    // action's time), the request's message, and the answer as the contact gave
                    // it: the words they wrote, or the reply or button they tapped.
                    let answer = match (field("text").map(str::trim).filter(|t| !t.is_empty()), field("outcome")) {
                        (Some(text), _) => text.to_owned(),
                        (None, Some(outcome)) => format!("reply {outcome}"),
                        (None, None) => String::new(),
                    };
                    let change = ConsentChange {
                        change: "granted",
                        channel,
                        category,
                        message: Some(message),
                        answer: Some(answer),
                    };
                    self.emit(event.at, contact, journey, run.number, Some(node_id), Did::Consent(Box::new(change)));
                    Some("granted")
                } else if declined {
                    // Refusing the consent withdraws it if the contact held it (§5: revoked by
                    // "any other reasonable means"), as the checker assumes of `declined`.
                    if let Some(state) = self.contacts.get_mut(contact as usize) {
                        state.consent.revoke(channel, Some(category), false);
                    }
                    Some("declined")
                } else {
                    None
                }
            }
            (WaitKind::Handoff, Some(Kind::Handoff { team, .. })) if event.name == "handoff_resolved" => {
                field("team").is_none_or(|t| t == team).then_some("resolved")
            }
            _ => None,
        };
        match outcome {
            None => self.put_run(contact, journey, run),
            Some(outcome) => {
                run.waiting = None;
                self.emit(
                    event.at,
                    contact,
                    journey,
                    run.number,
                    Some(node_id),
                    Did::Branch { outcome: Cow::Borrowed(outcome) },
                );
                if self.take(bundle, journey, contact, &mut run, outcome, event.at) {
                    self.advance(bundle, journey, contact, run, event.at);
                }
            }
        }
    }

    fn goals(&mut self, bundle: &'b Bundle, journey: u32, contact: u32, event: &'c Event) {
        if bundle.goals.is_empty() {
            return;
        }
        let Some(state) = self.state(contact, journey) else { return };
        if state.goals.is_empty() {
            return;
        }
        let longest = bundle.goals.iter().map(|g| g.within_s).max().unwrap_or(0);
        let mut converted = Vec::new();
        for track in &mut state.goals {
            for goal in &bundle.goals {
                let since = event.at - track.started;
                if goal.event == event.name && since <= goal.within_s && !track.converted.contains(&goal.name.as_str())
                {
                    track.converted.push(goal.name.as_str());
                    converted.push((track.run, goal.name.as_str()));
                }
            }
        }
        // Runs whose every goal has expired are no longer measured.
        state.goals.retain(|t| event.at - t.started <= longest);
        for (run, goal) in converted {
            self.emit(event.at, contact, journey, run, None, Did::Goal { goal });
        }
    }

    fn enter(&mut self, bundle: &'b Bundle, journey: u32, contact: u32, event: &'c Event) {
        let Some(entry_event) = bundle.entry_event.as_deref() else { return };
        if entry_event != event.name {
            return;
        }
        let Some(info) = self.journeys.get(journey as usize) else { return };
        let Some(state) = self.contacts.get_mut(contact as usize) else { return };
        let Some(journey_state) = state.journeys.get(journey as usize) else { return };
        if journey_state.current.is_some() {
            return;
        }
        let allowed = may_start(bundle.reentry, journey_state.last_start, event.at);
        if !allowed {
            return;
        }
        let zones = &mut self.zones;
        // A condition that cannot be evaluated (the contact's data lacks a required field it
        // reads) does not let the contact in.
        let scope = Some((event, bundle.events.get(&event.name)));
        let mut pass = |condition: &Option<Expr>, with_event: bool| match condition {
            None => true,
            Some(c) => {
                env_eval(info, state, if with_event { scope } else { None }, event.at, zones, |env| env.condition(c))
                    .unwrap_or(false)
            }
        };
        if !(pass(&bundle.audience, false) && pass(&bundle.entry_where, true)) {
            return;
        }
        let Some(journey_state) = state.journeys.get_mut(journey as usize) else { return };
        journey_state.runs += 1;
        journey_state.last_start = Some(event.at);
        let number = journey_state.runs;
        if !bundle.goals.is_empty() {
            journey_state.goals.push(GoalTrack { run: number, started: event.at, converted: Vec::new() });
        }
        let run = Run { number, node: info.start, event: scope, waiting: None, waits: 0 };
        self.emit(event.at, contact, journey, number, None, Did::Enter { event: entry_event });
        if run.node == EXIT_NODE {
            self.emit(event.at, contact, journey, number, None, Did::Exit { reason: Cow::Borrowed("exit") });
            return;
        }
        self.advance(bundle, journey, contact, run, event.at);
    }

    /// Runs instant steps from the run's node until it waits or ends (§3.5).
    fn advance(&mut self, bundle: &'b Bundle, journey: u32, contact: u32, mut run: Run<'b, 'c>, at: i64) {
        let mut steps: u32 = 0;
        loop {
            if run.node == EXIT_NODE {
                return;
            }
            steps += 1;
            if steps > STEP_LIMIT {
                self.end(journey, contact, &run, at, "step limit".to_owned());
                return;
            }
            if run.waits >= WAIT_LIMIT {
                self.end(journey, contact, &run, at, "wait limit".to_owned());
                return;
            }
            let Some((node_id, node)) = self.node(journey, run.node) else { return };
            let number = run.number;
            match &node.kind {
                Kind::Send { message } | Kind::Ask { message, .. } | Kind::ConsentRequest { message, .. } => {
                    let handed = self.handover(bundle, journey, contact, &run, node_id, message, at);
                    self.after_handover(bundle, journey, contact, &mut run, &node.kind, handed, at);
                    if run.waiting.is_some() {
                        self.put_run(contact, journey, run);
                        return;
                    }
                }
                Kind::Wait { duration_s } => {
                    self.wait(journey, contact, &mut run, WaitKind::Wait, at + duration_s, "wait", at);
                    self.put_run(contact, journey, run);
                    return;
                }
                Kind::WaitUntil { until } => {
                    let Some(info) = self.journeys.get(journey as usize) else { return };
                    let Some(state) = self.contacts.get(contact as usize) else { return };
                    let due = match until {
                        Until::Clock { minute, zone } => {
                            let number = match zone {
                                Zone::Recipient => recipient_zone(info, state, &mut self.zones),
                                Zone::Fixed(_, name) => self.zones.named(name),
                            };
                            match self.zones.get(number) {
                                Some(tz) => time::next_clock(at, *minute, tz.tz())
                                    .ok_or_else(|| "no next time of day in range".to_owned()),
                                None => Err("the time zone of `wait until` is unknown for this contact".to_owned()),
                            }
                        }
                        Until::Moment(moment) => {
                            match env_eval(info, state, run.event, at, &mut self.zones, |env| env.value(moment)) {
                                Ok(Some(Value::DateTime(due))) => Ok(due),
                                Ok(Some(other)) => Err(format!("`wait until` needs a datetime, found {other:?}")),
                                Ok(None) => Err("the moment of `wait until` is missing".to_owned()),
                                Err(why) => Err(why.to_string()),
                            }
                        }
                    };
                    match due {
                        // Already past (or now): no wait (§3.5).
                        Ok(due) if due <= at => {
                            if !self.take(bundle, journey, contact, &mut run, "next", at) {
                                return;
                            }
                        }
                        Ok(due) => {
                            self.wait(journey, contact, &mut run, WaitKind::Wait, due, "wait_until", at);
                            self.put_run(contact, journey, run);
                            return;
                        }
                        Err(why) => {
                            self.end(journey, contact, &run, at, format!("error: {why}"));
                            return;
                        }
                    }
                }
                Kind::WaitFor { within_s, .. } => {
                    self.wait(journey, contact, &mut run, WaitKind::WaitFor, at + within_s, "wait_for", at);
                    self.put_run(contact, journey, run);
                    return;
                }
                Kind::Handoff { timeout_s, .. } => {
                    self.wait(journey, contact, &mut run, WaitKind::Handoff, at + timeout_s, "handoff", at);
                    self.put_run(contact, journey, run);
                    return;
                }
                Kind::Branch { conditions } => {
                    let Some(info) = self.journeys.get(journey as usize) else { return };
                    let Some(state) = self.contacts.get(contact as usize) else { return };
                    let chosen = env_eval(info, state, run.event, at, &mut self.zones, |env| {
                        for (index, condition) in conditions.iter().enumerate() {
                            if env.condition(condition)? {
                                return Ok(branch_label(index));
                            }
                        }
                        Ok(Cow::Borrowed("else"))
                    });
                    match chosen {
                        Ok(outcome) => {
                            self.emit(
                                at,
                                contact,
                                journey,
                                number,
                                Some(node_id),
                                Did::Branch { outcome: outcome.clone() },
                            );
                            if !self.take(bundle, journey, contact, &mut run, &outcome, at) {
                                return;
                            }
                        }
                        Err(why) => {
                            self.end(journey, contact, &run, at, format!("error: {why}"));
                            return;
                        }
                    }
                }
                Kind::Split { shares } => {
                    let arm = split_arm(self.seed, self.id(contact), &bundle.journey, node_id, number, shares);
                    let outcome = split_label(arm);
                    self.emit(at, contact, journey, number, Some(node_id), Did::Branch { outcome: outcome.clone() });
                    if !self.take(bundle, journey, contact, &mut run, &outcome, at) {
                        return;
                    }
                }
                Kind::Set { field, value } => {
                    let Some(info) = self.journeys.get(journey as usize) else { return };
                    let Some(state) = self.contacts.get_mut(contact as usize) else { return };
                    match env_eval(info, state, run.event, at, &mut self.zones, |env| env.value(value)) {
                        Ok(result) => {
                            let optional = bundle.profile.get(field).is_some_and(|s| s.optional);
                            let json = result.as_ref().map_or(serde_json::Value::Null, Value::to_json);
                            // The zone field may be the one written.
                            state.zone.set(None);
                            match result {
                                Some(v) => {
                                    state.written.insert(field, Some(v));
                                }
                                None if optional => {
                                    state.written.insert(field, None);
                                }
                                None => {}
                            }
                            self.emit(
                                at,
                                contact,
                                journey,
                                number,
                                Some(node_id),
                                Did::Set { field, value: Box::new(json) },
                            );
                            if !self.take(bundle, journey, contact, &mut run, "next", at) {
                                return;
                            }
                        }
                        Err(why) => {
                            self.end(journey, contact, &run, at, format!("error: {why}"));
                            return;
                        }
                    }
                }
                Kind::Tag { tag } => {
                    if let Some(state) = self.contacts.get_mut(contact as usize) {
                        if !state.tags.contains(&tag.as_str()) {
                            state.tags.push(tag);
                        }
                    }
                    self.emit(at, contact, journey, number, Some(node_id), Did::Tag { tag });
                    if !self.take(bundle, journey, contact, &mut run, "next", at) {
                        return;
                    }
                }
                Kind::Track { event } => {
                    self.emit(at, contact, journey, number, Some(node_id), Did::Track { event });
                    if !self.take(bundle, journey, contact, &mut run, "next", at) {
                        return;
                    }
                }
                Kind::ConsentRevoke { channel, category } => {
                    // Only this (channel, category): the channel is not blocked, so messages that
                    // need no consent still go out (§5).
                    if let Some(state) = self.contacts.get_mut(contact as usize) {
                        state.consent.revoke(channel, Some(category), false);
                    }
                    let change = ConsentChange { change: "revoked", channel, category, message: None, answer: None };
                    self.emit(at, contact, journey, number, Some(node_id), Did::Consent(Box::new(change)));
                    if !self.take(bundle, journey, contact, &mut run, "next", at) {
                        return;
                    }
                }
            }
        }
    }

    /// Hands a message over (§4-7, §9.2): held in quiet hours, refused when a check fails, else
    /// sent and counted. Emits the `held`, `refused` or `send` action.
    #[allow(clippy::too_many_arguments)]
    fn handover(
        &mut self,
        bundle: &'b Bundle,
        journey: u32,
        contact: u32,
        run: &Run<'b, 'c>,
        node_id: &'b str,
        message: &'b str,
        at: i64,
    ) -> Handover {
        let Some(info) = self.journeys.get(journey as usize) else { return Handover::Refused };
        let Some(state) = self.contacts.get_mut(contact as usize) else { return Handover::Refused };
        let node = info.graph.get(run.node as usize);
        let found = (node.and_then(|n| n.message), node.and_then(|n| n.channel), node.and_then(|n| n.record));
        let request = node.and_then(|n| match &n.node.kind {
            Kind::ConsentRequest { channel, category, .. } => Some((channel.as_str(), category.as_str())),
            _ => None,
        });
        let (did, handed) = decide(bundle, info, state, run.event, message, found, request, at, &mut self.zones);
        self.emit(at, contact, journey, run.number, Some(node_id), did);
        handed
    }
}

/// The checks of a hand-over, in this order: quiet hours (hold, or refuse without a zone), a
/// channel the contact revoked entirely, the consent the record relies on, the window, the
/// message's data, frequency. The first that fails names the refusal.
#[allow(clippy::too_many_arguments)]
fn decide<'b>(
    bundle: &'b Bundle,
    info: &Journey<'b>,
    state: &mut ContactState<'b, '_>,
    event: Option<InScope<'b, '_>>,
    name: &'b str,
    (message, channel, record): (Option<&'b Message>, Option<&'b Channel>, Option<&'b Record>),
    request: Option<(&'b str, &'b str)>,
    at: i64,
    zones: &mut Zones,
) -> (Did<'b>, Handover) {
    let Some(message) = message else {
        // Unreachable: loading checks that every sent message exists.
        let reason = format!("message `{name}` is not in the bundle");
        let refused = Refused { message: name, channel: "", rule: "POLICY-DATA", reason };
        return (Did::Refused(Box::new(refused)), Handover::Refused);
    };
    let medium = channel.map_or("", |c| c.medium.as_str());
    let refused = |refusal: Refusal, reason: String| {
        let rule = rules::rule(refusal, &message.channel, medium);
        let refused = Refused { message: name, channel: message.channel.as_str(), rule, reason };
        (Did::Refused(Box::new(refused)), Handover::Refused)
    };

    let deferred = record.map_or(message.category == "marketing", |r| r.deferred);
    if let (true, Some(quiet)) = (deferred, &bundle.quiet_hours) {
        let number = policy_zone(&quiet.zone, info.quiet_zone, info, state, zones);
        match zones.get(number) {
            None => {
                return refused(
                    Refusal::QuietHours,
                    "quiet hours apply and the recipient's time zone is unknown, so the send cannot be shown to fall outside them".to_owned(),
                )
            }
            Some(tz) if quiet.rule.contains_in(at, tz) => {
                return match quiet.rule.end_after(at, tz.tz()) {
                    Some(until) => (Did::Held { message: name, until }, Handover::Held(until)),
                    None => refused(Refusal::QuietHours, "quiet hours never end (every minute of the week is quiet)".to_owned()),
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
    let needed: Option<(&str, &str)> = match record {
        Some(r) => r.consent.as_ref().map(|(channel, category)| (channel.as_str(), category.as_str())),
        None => (message.category == "marketing").then_some((message.channel.as_str(), "marketing")),
    };
    if let Some((consent_channel, category)) = needed {
        if !state.consent.holds(consent_channel, category) {
            return refused(
                Refusal::Consent,
                format!("consent({consent_channel}, {category}) is not in the consent store"),
            );
        }
    }
    let form: Cow<'b, str> = match record {
        Some(r) => Cow::Borrowed(r.form.as_str()),
        None => match (&message.template, &message.tag) {
            (Some(_), _) => Cow::Borrowed("template"),
            (None, Some(_)) => Cow::Owned(message.form()),
            (None, None) => Cow::Borrowed("free-form"),
        },
    };
    if let Some(channel) = channel {
        if let Check::Outside(reason) = state.windows.check(&message.channel, channel, &form, at) {
            let refusal = if form.starts_with("tag ") { Refusal::TagWindow } else { Refusal::Window };
            return refused(refusal, reason);
        }
    }
    let content = match env_eval(info, state, event, at, zones, |env| render(env, message)) {
        Ok(content) => content,
        Err(why) => {
            return refused(Refusal::MissingField, format!("{why}: the contact's data does not match the schema"))
        }
    };
    if let Some((rule, count)) = state.history.exceeded(&bundle.frequency, &message.channel, &message.category, at) {
        return refused(
            Refusal::Frequency,
            format!(
                "{count} {}{} messages in the last {}s already; the policy allows {}",
                rule.channel.as_deref().map(|c| format!("{c} ")).unwrap_or_default(),
                message.category,
                rule.per_s,
                rule.max
            ),
        );
    }
    if let Some((wanted, category)) = request {
        let limit = rules::REQUEST_LIMITS.iter().find(|(c, k, _, _)| *c == wanted && *k == category);
        if let Some((_, _, max, per_s)) = limit {
            let earlier =
                state.requests.iter().filter(|(then, c, k)| *c == wanted && *k == category && at - then < *per_s);
            let count = u64::try_from(earlier.count()).unwrap_or(u64::MAX);
            if count >= *max {
                let rule = rules::rule(Refusal::RequestLimit, wanted, "");
                let reason = format!(
                    "{count} {wanted} {category} consent request(s) in the last {} days already; {wanted} allows {max}",
                    per_s / 86_400
                );
                let refused = Refused { message: name, channel: message.channel.as_str(), rule, reason };
                return (Did::Refused(Box::new(refused)), Handover::Refused);
            }
        }
        state.requests.push((at, wanted, category));
    }
    state.history.record(at, &message.channel, &message.category);
    state.windows.sent(&message.channel);
    let zone = recipient_zone(info, state, zones);
    let local_time = zones.get(zone).map(|tz| tz.local_time(at));
    let sent = Sent {
        message: name,
        channel: message.channel.as_str(),
        category: message.category.as_str(),
        form,
        local_time,
        content,
        evidence: record,
    };
    (Did::Send(Box::new(sent)), Handover::Sent)
}

/// The message's texts with their fields filled in; every text is rendered, so a missing
/// required field anywhere (a title, a URL) refuses the send.
fn render<'b>(env: &Env<'_>, message: &'b crate::bundle::Message) -> Result<Rendered<'b>, EvalError> {
    for text in &message.other_texts {
        env.check_render(text)?;
    }
    let template = match &message.template {
        None => None,
        Some(t) => {
            let mut texts = Vec::with_capacity(t.params.len());
            for (name, expr) in &t.params {
                match env.show_expr(expr)? {
                    Some(text) => texts.push(text),
                    None => return Err(EvalError::MissingRequired(format!("template parameter {name}"))),
                }
            }
            Some((t, texts))
        }
    };
    Ok(Rendered {
        subject: message.subject.as_ref().map(|t| env.render(t)).transpose()?,
        body: message.body.as_ref().map(|t| env.render(t)).transpose()?,
        template,
    })
}

/// Evaluates with what the contact's run sees now: profile, event in scope, consent store,
/// business hours and the recipient's zone.
fn env_eval<'b, T>(
    info: &Journey<'b>,
    state: &ContactState<'b, '_>,
    event: Option<InScope<'b, '_>>,
    at: i64,
    zones: &mut Zones,
    f: impl FnOnce(&Env<'_>) -> Result<T, EvalError>,
) -> Result<T, EvalError> {
    let bundle = info.bundle;
    let zone = recipient_zone(info, state, zones);
    let business_hours = bundle.business_hours.as_ref().is_some_and(|p| {
        let number = policy_zone(&p.zone, info.business_zone, info, state, zones);
        zones.get(number).is_some_and(|tz| p.rule.contains_in(at, tz))
    });
    let zones = &*zones;
    let consent = |channel: &str, category: &str| state.consent.holds(channel, category);
    let event = event.and_then(|(e, spec)| spec.map(|spec| (&e.fields, &spec.fields)));
    let env = Env {
        profile: &state.profile,
        written: &state.written,
        profile_schema: &bundle.profile,
        event,
        segments: &bundle.segments,
        consent: &consent,
        business_hours,
        now: at,
        zone: zones.get(zone).map(Tz::tz),
    };
    f(&env)
}

/// Whether a run may start at `at` under the journey's `reentry` rule (§3.2), given when the
/// contact's last run started; whatever starts it (an event, a schedule, a joined segment).
fn may_start(reentry: Reentry, last_start: Option<i64>, at: i64) -> bool {
    match (reentry, last_start) {
        (_, None) | (Reentry::Always, _) => true,
        (Reentry::Never, Some(_)) => false,
        (Reentry::After(after), Some(last)) => at - last >= after,
    }
}
