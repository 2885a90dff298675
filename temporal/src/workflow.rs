//! The contact workflow: one Temporal workflow per contact runs every journey of the bundle set
//! for that contact. Contacts are independent in the runtime (consent, messaging windows and
//! frequency caps are per contact, and shared by the contact's journeys), so a contact is the
//! unit that can run alone; a workflow per run of a journey would have to share the contact's
//! consent and caps across workflows (docs/deploy-temporal.md, "One workflow per contact").
//!
//! The workflow holds the contact's record and event log (both arrive as signals, sent with
//! signal-with-start) and loops: replay the whole history with the reference runtime's step
//! function ([`journey_runtime::run_live`]) at the workflow's clock, hand over the actions beyond
//! those already handed over (each send through the `deliver` activity, with its idempotency
//! key), then sleep on a durable timer until the next due time or until a signal arrives. It never
//! interprets a journey itself, so it cannot drift from `journey simulate` or `journey run`.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use journey_runtime::engine::NEXT_SCHEDULED_S;
use journey_runtime::io::{parse_contacts, parse_events, LIMITS};
use journey_runtime::{Action, Contact, Event, Live, Options, What};
use serde::{Deserialize, Serialize};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityOptions, ApplicationFailure, ContinueAsNewOptions, SyncWorkflowContext, WorkflowContext,
    WorkflowContextView, WorkflowResult,
};

use crate::bundles::BundleSet;
use crate::clock::{Clock, TestClock};
use crate::ops::ops;
use crate::sink::{Delivery, Sink};
use journey_runtime::keys::key_of as idempotency_key;

/// The bundle sets this process runs, by version ([`BundleSet::hash`]). A workflow finds the set
/// it recorded at its start here, and refuses to run without it. A set stays for the life of the
/// process (a worker per set; an old version's worker drains its runs beside the new one).
static BUNDLES: OnceLock<Mutex<BTreeMap<String, &'static BundleSet>>> = OnceLock::new();

/// Makes `set` available to this process's workflows; the same version twice is one set.
pub fn install(set: BundleSet) -> Result<&'static BundleSet, String> {
    let mut sets =
        BUNDLES.get_or_init(Default::default).lock().map_err(|_| "the bundle registry is poisoned".to_owned())?;
    if let Some(installed) = sets.get(&set.hash) {
        return Ok(installed);
    }
    let installed: &'static BundleSet = Box::leak(Box::new(set));
    sets.insert(installed.hash.clone(), installed);
    Ok(installed)
}

/// The installed bundle set of version `hash`.
pub fn installed(hash: &str) -> Option<&'static BundleSet> {
    BUNDLES.get()?.lock().ok()?.get(hash).copied()
}

/// Past this many history events (unless [`Start::max_history`] says otherwise) a workflow
/// continues as new (Temporal warns at 10,240 and
/// stops a workflow at 51,200): its input then carries the record, the events and the actions
/// handed over, and its history starts again from one event.
pub const MAX_HISTORY: u32 = 2_000;

/// The workflow's input: what it was started with, and after a continue-as-new, what it carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Start {
    pub contact: String,
    /// The bundle set's version ([`BundleSet::hash`]) the contact's runs started on.
    pub bundles_hash: String,
    /// Mixed into every split draw, as `journey simulate --seed`.
    pub seed: u64,
    /// The test mode's scaled clock (crate::clock); `None` in production.
    pub test_clock: Option<TestClock>,
    /// Continue as new past this many history events; `None`: [`MAX_HISTORY`]. Tests set it low
    /// so that their workflows continue as new in the middle of a run.
    #[serde(default)]
    pub max_history: Option<u32>,
    pub carried: Option<Carried>,
}

/// What a workflow carries over a continue-as-new.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Carried {
    pub origin_ms: i64,
    pub since: i64,
    /// The due time of the last timer that fired: the clock never reads earlier (crate::clock).
    pub floor: i64,
    pub record: Option<String>,
    pub events: Vec<String>,
    pub handed: Vec<String>,
    pub divergences: u32,
    pub rejected: Vec<String>,
    /// How many times the contact's workflow continued as new.
    #[serde(default)]
    pub continued: u32,
    /// The `now` of the last replay ([`ContactWorkflow::watermark`]).
    #[serde(default)]
    pub watermark: Option<i64>,
}

/// What the `status` query answers: every action handed over, in order (sends and the rest, as
/// JSON lines of `journey simulate`), and whether nothing is pending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub bundles_hash: String,
    pub handed: Vec<String>,
    /// No timer due, no event waiting for its time, no send in flight.
    pub idle: bool,
    /// Replays whose actions disagreed with those already handed over (an event that arrived
    /// later than its time); the handed-over actions stand.
    pub divergences: u32,
    /// Signals refused, with why.
    pub rejected: Vec<String>,
    /// How many times the workflow continued as new.
    pub continued: u32,
    /// Workflow time (ms since the Unix epoch; the server's clock at the workflow task) of the
    /// step that handed over the first action, and of the last: for latency figures.
    pub first_handed_ms: Option<i64>,
    pub last_handed_ms: Option<i64>,
}

#[workflow]
pub struct ContactWorkflow {
    start: Start,
    record: Option<(String, Contact)>,
    /// In arrival order; sorted by time (stable) when replayed.
    events: Vec<(String, Event)>,
    handed: Vec<String>,
    divergences: u32,
    rejected: Vec<String>,
    /// Bumped by every signal: the main loop waits for it to change.
    signals: u64,
    idle: bool,
    first_handed_ms: Option<i64>,
    last_handed_ms: Option<i64>,
    /// Whether this instance is waiting on a durable timer, as counted in
    /// `journey_timers_pending` (crate::ops); it leaves the count when it is dropped (evicted
    /// from the worker's cache).
    on_timer: bool,
    /// The `now` of the last replay: the time up to which the contact's actions were decided. An
    /// event that arrives with an earlier `at` is placed at it, as `journey run` places it
    /// (docs/deploy.md, "Input"), so that it never rewrites what was handed over.
    watermark: Option<i64>,
}

/// The patch (Temporal's versioning marker) under which events that arrive late are placed at
/// the watermark; histories recorded before it replay as they ran.
const LATE_EVENTS_PATCH: &str = "late-events-at-watermark";

/// An event line placed at `watermark` when it is earlier: the line with its `at` rewritten, or
/// `None` when it is not late (or not a JSON object, which the schema refuses later).
pub fn place_late(line: &str, watermark: Option<i64>) -> Option<String> {
    let watermark = watermark?;
    let mut value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).ok()?;
    let at = journey_runtime::time::parse_utc(value.get("at")?.as_str()?).ok()?;
    if at >= watermark {
        return None;
    }
    value.insert("at".to_owned(), serde_json::Value::String(journey_runtime::time::format_utc(watermark)));
    Some(serde_json::Value::Object(value).to_string())
}

/// The contact's record line as the runtime reads it, for the contact `id`.
fn read_record(line: &str, id: &str, hash: &str) -> Result<Contact, String> {
    let schema = &installed(hash).ok_or_else(|| format!("this worker has no bundle set {hash}"))?.schema;
    let mut contacts = parse_contacts("contact", line, schema, &LIMITS).map_err(|e| e.to_string())?;
    match contacts.pop() {
        Some(contact) if contacts.is_empty() && contact.id == id => Ok(contact),
        _ => Err(format!("the record is not one line for contact `{id}`")),
    }
}

/// An event line as the runtime reads it, for the contact `id`.
fn read_event(line: &str, id: &str, hash: &str) -> Result<Event, String> {
    let schema = &installed(hash).ok_or_else(|| format!("this worker has no bundle set {hash}"))?.schema;
    let mut events = parse_events("event", line, schema, None, &LIMITS).map_err(|e| e.to_string())?;
    match events.pop() {
        Some(event) if events.is_empty() && event.contact == id => Ok(event),
        _ => Err(format!("the event is not one line for contact `{id}`")),
    }
}

impl ContactWorkflow {
    fn carried(&self, clock: Clock, since: i64, floor: i64) -> Carried {
        Carried {
            origin_ms: clock.origin_ms,
            since,
            floor,
            record: self.record.as_ref().map(|(line, _)| line.clone()),
            events: self.events.iter().map(|(line, _)| line.clone()).collect(),
            handed: self.handed.clone(),
            divergences: self.divergences,
            rejected: self.rejected.clone(),
            continued: self.start.carried.as_ref().map_or(0, |c| c.continued).saturating_add(1),
            watermark: self.watermark,
        }
    }

    fn accept_record(&mut self, line: String) {
        match read_record(&line, &self.start.contact, &self.start.bundles_hash) {
            Ok(contact) => self.record = Some((line, contact)),
            Err(why) => self.rejected.push(format!("contact: {why}")),
        }
    }

    /// Enters or leaves the process's count of workflows waiting on a timer. Done in replays
    /// too: the count is of the workflow instances in this worker's memory, whatever built them.
    fn waiting_on_timer(&mut self, waiting: bool) {
        if self.on_timer != waiting {
            self.on_timer = waiting;
            if waiting {
                ops().timer_started();
            } else {
                ops().timer_ended();
            }
        }
    }

    /// Counts a signal taken outside a replay: accepted, or refused (and logged) when it added to
    /// `rejected`, which held `before` entries.
    fn count_signal(&self, replaying: bool, before: usize) {
        if replaying {
            return;
        }
        match self.rejected.get(before) {
            Some(why) => {
                ops().metrics.rejected();
                let contact = self.start.contact.as_str();
                journey_engine::log::line("warn", "signal refused", &[("contact", contact), ("why", why)]);
            }
            None => ops().metrics.events(1),
        }
    }

    fn accept_event(&mut self, line: String) {
        match read_event(&line, &self.start.contact, &self.start.bundles_hash) {
            Ok(event) => self.events.push((line, event)),
            Err(why) => self.rejected.push(format!("event: {why}")),
        }
    }
}

impl Drop for ContactWorkflow {
    fn drop(&mut self) {
        self.waiting_on_timer(false);
    }
}

/// One replay's outcome: the actions not yet handed over, and when to replay next.
struct Replay {
    fresh: Vec<Action>,
    diverged: bool,
    wake: Option<i64>,
}

/// Replays the contact's history at `now` with the step function and compares it with what
/// was handed over.
fn replay(state: &ContactWorkflow, bundles: &BundleSet, since: i64, now: i64) -> Replay {
    let mut events: Vec<&Event> = state.events.iter().map(|(_, e)| e).collect();
    events.sort_by_key(|e| e.at);
    let next_event = events.iter().map(|e| e.at).find(|at| *at > now);
    let visible: Vec<Event> = events.iter().filter(|e| e.at <= now).map(|e| (*e).clone()).collect();
    let contact = match &state.record {
        Some((_, contact)) => contact.clone(),
        None => Contact { id: state.start.contact.clone(), profile: Default::default(), consent: Vec::new() },
    };
    let options = Options { seed: state.start.seed, live: Some(Live { since, now }) };
    let (actions, next_due) = journey_runtime::run_live(&bundles.bundles, &[contact], &visible, &options);
    let done = state.handed.len().min(actions.len());
    let diverged = actions.len() < state.handed.len()
        || actions.iter().zip(&state.handed).any(|(action, line)| &line_of(action) != line);
    let fresh = actions.into_iter().skip(done).collect();
    let wake = match (next_due, next_event) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    // Nothing due, but a scheduled entry may fire later than the step function looks ahead:
    // look again then (in the test mode, only until the input's last event).
    let looking = bundles.scheduled && state.start.test_clock.is_none_or(|t| now < t.until_s);
    let wake = wake.or_else(|| looking.then(|| now.saturating_add(NEXT_SCHEDULED_S)));
    Replay { fresh, diverged, wake }
}

/// Counts an action handed over outside a replay (crate::ops).
fn count_handed(action: &Action) {
    match &action.what {
        What::Send { channel, .. } => ops().metrics.send(&action.journey, channel),
        What::Refused { channel, rule, .. } => ops().metrics.refusal(&action.journey, channel, rule),
        _ => {}
    }
}

fn line_of(action: &Action) -> String {
    journey_runtime::action::to_json_lines(std::slice::from_ref(action)).trim_end().to_owned()
}

/// Workflow time in ms since the Unix epoch.
fn workflow_ms(ctx: &WorkflowContext<ContactWorkflow>) -> Result<i64, &'static str> {
    let time = ctx.workflow_time().ok_or("the workflow has no time yet")?;
    let since_epoch = time.duration_since(UNIX_EPOCH).map_err(|_| "workflow time before 1970")?;
    Ok(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

#[workflow_methods]
impl ContactWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, start: Start) -> Self {
        let mut workflow = Self {
            start: start.clone(),
            record: None,
            events: Vec::new(),
            handed: Vec::new(),
            divergences: 0,
            rejected: Vec::new(),
            signals: 0,
            idle: false,
            first_handed_ms: None,
            last_handed_ms: None,
            watermark: None,
            on_timer: false,
        };
        if let Some(carried) = start.carried {
            workflow.watermark = carried.watermark;
            if let Some(line) = carried.record {
                workflow.accept_record(line);
            }
            for line in carried.events {
                workflow.accept_event(line);
            }
            workflow.handed = carried.handed;
            workflow.divergences = carried.divergences;
            workflow.rejected.extend(carried.rejected);
        }
        workflow
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let start = ctx.state(|s| s.start.clone());
        let Some(bundles) = installed(&start.bundles_hash) else {
            // Task queues are named by version, so this worker should never have been given
            // this workflow: refuse rather than continue a run on other bundles.
            return Err(ApplicationFailure::new(format!(
                "this workflow runs bundle set {} and this worker does not have it; run a worker with that version",
                start.bundles_hash
            ))
            .into());
        };
        let first_ms = workflow_ms(ctx).map_err(ApplicationFailure::new)?;
        let origin_ms = start.carried.as_ref().map_or(first_ms, |c| c.origin_ms);
        let clock = Clock { test: start.test_clock, origin_ms };
        let since = start.carried.as_ref().map_or_else(|| clock.now_s(first_ms), |c| c.since);
        let mut floor = start.carried.as_ref().map_or(since, |c| c.floor);
        loop {
            let now_ms = workflow_ms(ctx).map_err(ApplicationFailure::new)?;
            let now = clock.now_s(now_ms).max(floor);
            let seen = ctx.state(|s| s.signals);
            let replayed = ctx.state(|s| replay(s, bundles, since, now));
            ctx.state_mut(|s| s.watermark = Some(s.watermark.map_or(now, |w| w.max(now))));
            // A replay that no longer begins with what was handed over (an event arrived after
            // later actions went out, or a record was replaced) stops the contact: what follows
            // by position would not be what the journeys decide, so nothing more is handed
            // over (fail closed, as `journey run` stops such a contact). `status` counts it.
            let live = !ctx.is_replaying();
            if live {
                ops().metrics.replays(1);
            }
            let fresh = if replayed.diverged {
                ctx.state_mut(|s| s.divergences = s.divergences.saturating_add(1));
                if live {
                    ops().metrics.frozen();
                    let contact = start.contact.as_str();
                    journey_engine::log::line("warn", "contact stopped: a replay diverged", &[("contact", contact)]);
                }
                Vec::new()
            } else {
                replayed.fresh
            };
            ctx.state_mut(|s| s.idle = false);
            for action in fresh {
                let line = line_of(&action);
                if matches!(action.what, What::Send { .. }) {
                    let place = ctx.state(|s| s.handed.len());
                    let key = idempotency_key(&bundles.hash, &action, place);
                    let delivery = Delivery { key, action: line.clone(), step_ms: Some(now_ms) };
                    let options = ActivityOptions::with_start_to_close_timeout(Duration::from_secs(30))
                        .summary(format!("{} {} {}", action.journey, action.node.as_deref().unwrap_or(""), action.at))
                        .build();
                    ctx.execute_activity(Sink::deliver, delivery, options).await?;
                }
                if !ctx.is_replaying() {
                    count_handed(&action);
                }
                ctx.state_mut(|s| {
                    s.handed.push(line);
                    s.first_handed_ms.get_or_insert(now_ms);
                    s.last_handed_ms = Some(now_ms);
                });
            }
            if ctx.history_length() > start.max_history.unwrap_or(MAX_HISTORY) || ctx.continue_as_new_suggested() {
                let carried = ctx.state(|s| s.carried(clock, since, floor));
                let next = Start { carried: Some(carried), ..start.clone() };
                ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
            }
            let signalled = ctx.state(|s| s.signals != seen);
            if signalled {
                continue;
            }
            match replayed.wake {
                Some(due) => {
                    let delay = Duration::from_millis(u64::try_from(clock.wait_ms(now_ms, due)).unwrap_or(1));
                    ctx.state_mut(|s| s.waiting_on_timer(true));
                    let fired = temporalio_sdk::workflows::select! {
                        _ = ctx.timer(delay) => true,
                        _ = ctx.wait_condition(move |s: &Self| s.signals != seen) => false,
                    };
                    ctx.state_mut(|s| s.waiting_on_timer(false));
                    if fired {
                        floor = floor.max(due);
                    }
                }
                None => {
                    ctx.state_mut(|s| s.idle = true);
                    ctx.wait_condition(move |s: &Self| s.signals != seen).await?;
                }
            }
        }
    }

    /// A contact record line (`journey simulate --contacts`): replaces the previous one.
    #[signal]
    pub fn contact(&mut self, ctx: &mut SyncWorkflowContext<Self>, line: String) {
        let rejected = self.rejected.len();
        self.accept_record(line);
        self.count_signal(ctx.is_replaying(), rejected);
        self.signals = self.signals.wrapping_add(1);
        self.idle = false;
    }

    /// An event line (`journey simulate --events`) for this contact.
    #[signal]
    pub fn event(&mut self, ctx: &mut SyncWorkflowContext<Self>, line: String) {
        let rejected = self.rejected.len();
        let placed = if ctx.patched(LATE_EVENTS_PATCH) { place_late(&line, self.watermark) } else { None };
        let late = placed.is_some();
        self.accept_event(placed.unwrap_or(line));
        self.count_signal(ctx.is_replaying(), rejected);
        if late && !ctx.is_replaying() && self.rejected.len() == rejected {
            ops().metrics.late();
        }
        self.signals = self.signals.wrapping_add(1);
        self.idle = false;
    }

    #[query]
    pub fn status(&self, _ctx: &WorkflowContextView) -> Status {
        Status {
            bundles_hash: self.start.bundles_hash.clone(),
            handed: self.handed.clone(),
            idle: self.idle,
            divergences: self.divergences,
            rejected: self.rejected.clone(),
            continued: self.start.carried.as_ref().map_or(0, |c| c.continued),
            first_handed_ms: self.first_handed_ms,
            last_handed_ms: self.last_handed_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_earlier_than_the_watermark_is_placed_at_it_and_keeps_its_fields() {
        let line = r#"{"at":"2026-03-02T10:00:00Z","contact":"c1","event":"reply","fields":{"text":"yes"}}"#;
        let watermark = journey_runtime::time::parse_utc("2026-03-02T11:30:00Z").ok();
        let placed = place_late(line, watermark).unwrap();
        assert_eq!(placed, r#"{"at":"2026-03-02T11:30:00Z","contact":"c1","event":"reply","fields":{"text":"yes"}}"#);
    }

    #[test]
    fn an_event_at_or_after_the_watermark_or_before_any_replay_stays_as_it_is() {
        let line = r#"{"at":"2026-03-02T10:00:00Z","contact":"c1","event":"reply"}"#;
        let at = journey_runtime::time::parse_utc("2026-03-02T10:00:00Z").ok();
        assert_eq!(place_late(line, at), None);
        assert_eq!(place_late(line, at.map(|t| t - 1)), None);
        assert_eq!(place_late(line, None), None);
        assert_eq!(place_late("not json", at.map(|t| t + 1)), None, "left for the schema to refuse");
    }
}
