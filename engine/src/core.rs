//! The service core: input in, replays through the runtime's one step function
//! (`journey_runtime::run_live`), and the new actions recorded with their sends in the outbox,
//! in one transaction (docs/deploy.md). No clock of its own: every call says what time it is,
//! so tests step a virtual clock through events and due times.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use journey_runtime::io::{read_contact, read_event, Schema};
use journey_runtime::time::format_utc;
use journey_runtime::{Action, Bundle, Contact, Event, Live, Options, Prepared, What};
use rusqlite::Connection;
use serde_json::{Map, Value as Json};

use crate::input::{Bounds, Input, Refused};
use crate::keys::{self, Prefix};
use crate::metrics::{Gauges, Metrics};
use crate::store::{self, Progress, Record};

/// Every transaction of the engine takes the write lock when it begins: a deferred one that
/// read first could not upgrade after the deliverer committed (SQLite's snapshot rule in WAL
/// mode gives `database is locked` at once, without waiting).
const IMMEDIATE: rusqlite::TransactionBehavior = rusqlite::TransactionBehavior::Immediate;

/// How the engine is set up.
pub struct Setup {
    pub bundles: Vec<Bundle>,
    /// The bundles' JSON texts, whose hash versions the database.
    pub texts: Vec<String>,
    pub seed: u64,
    /// Accept a database made with other bundles (docs/deploy.md, "Bundle versions").
    pub upgrade: bool,
    pub bounds: Bounds,
}

pub struct Engine {
    /// The bundle set new contacts start on.
    journeys: Journeys,
    /// Earlier sets, by hash, that contacts which started on them still run on (read from the
    /// database when first needed).
    earlier: BTreeMap<String, Journeys>,
    bounds: Bounds,
    conn: Connection,
    pub metrics: Arc<Metrics>,
}

/// What one accepted input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub contact: String,
    /// `event`, `contact` (a new record) or `profile` (a known contact's profile update).
    pub kind: &'static str,
    /// The time it was placed at (an event's, or a new contact's since).
    pub at: String,
    /// Placed later than its `at`, after what the contact's replays already covered.
    pub late: bool,
}

/// A contact's replay: its new actions, or why it is stopped.
#[derive(Debug, Default)]
pub struct Replayed {
    pub new: Vec<Action>,
    pub frozen: Option<String>,
}

impl Engine {
    pub fn open(db: &Path, setup: Setup, metrics: Arc<Metrics>) -> Result<Engine, String> {
        let conn = store::open(db)?;
        let schema = Schema::of(&setup.bundles)?;
        // An engine serves one bundle set for the life of the process; leaked once, the set can
        // be borrowed by its prepared form (graphs built once, not at every replay).
        let bundles: &'static [Bundle] = Box::leak(setup.bundles.into_boxed_slice());
        let hash = keys::bundle_set(&setup.texts);
        // Every check before any write: a start that is refused leaves the database as it was.
        let seed = setup.seed.to_string();
        if let Some(stored) = store::meta(&conn, "seed")?.filter(|stored| *stored != seed) {
            return Err(format!("the database was run with --seed {stored}: splits would draw again differently"));
        }
        match store::meta(&conn, "bundles")? {
            Some(stored) if stored != hash && !setup.upgrade => {
                return Err(format!(
                    "the database was made with other bundles (set {}, these are {}); pass --upgrade to start new \
                     contacts on these, while contacts already known keep running on the set they started on \
                     (docs/deploy.md, \"Bundle versions\")",
                    short(&stored),
                    short(&hash)
                ))
            }
            _ => store::set_meta(&conn, "bundles", &hash)?,
        }
        store::keep_bundle_set(&conn, &hash, &setup.texts)?;
        store::set_meta(&conn, "seed", &seed)?;
        Ok(Engine {
            journeys: Journeys { prepared: Prepared::new(bundles), schema, hash, seed: setup.seed },
            earlier: BTreeMap::new(),
            bounds: setup.bounds,
            conn,
            metrics,
        })
    }

    pub fn bundle_hash(&self) -> &str {
        &self.journeys.hash
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Checks every input against the schema, then records them and replays each contact they
    /// touch at `now`, all in one transaction: the whole batch is taken, or (on bad input)
    /// none of it. `received_ms` is when the batch arrived, for the latency histogram.
    pub fn ingest(&mut self, inputs: &[Input], now: i64, received_ms: i64) -> Result<Vec<Accepted>, Refused> {
        for (n, input) in inputs.iter().enumerate() {
            self.check(input, now).map_err(|r| numbered(inputs.len(), n, r))?;
        }
        let tx = self.conn.transaction_with_behavior(IMMEDIATE).map_err(internal)?;
        let mut accepted = Vec::with_capacity(inputs.len());
        // The latest time placed so far for each contact of the batch.
        let mut marks: BTreeMap<String, i64> = BTreeMap::new();
        for (n, input) in inputs.iter().enumerate() {
            let one = place(&tx, &self.journeys.schema, &self.bounds, input, now, received_ms, &mut marks)
                .map_err(|r| numbered(inputs.len(), n, r))?;
            accepted.push(one);
        }
        let mut replayed = Vec::new();
        for contact in marks.keys() {
            let result =
                replay_on_its_version(&tx, &self.journeys, &mut self.earlier, contact, now).map_err(internal)?;
            replayed.push(result);
        }
        tx.commit().map_err(internal)?;
        let latency = (crate::clock::real_ms().saturating_sub(received_ms)).max(0) as f64 / 1000.0;
        let events = accepted.iter().filter(|a| a.kind != "contact").count() as u64;
        self.metrics.events(events);
        for _ in 0..events {
            self.metrics.latency(latency);
        }
        for a in &accepted {
            if a.late {
                self.metrics.late();
            }
        }
        self.count(&replayed);
        Ok(accepted)
    }

    /// Replays the contacts due at or before `now`, at most `limit` of them in one transaction.
    /// Returns how many were replayed.
    pub fn run_due(&mut self, now: i64, limit: usize) -> Result<usize, String> {
        let due = store::due(&self.conn, now, limit)?;
        if due.is_empty() {
            return Ok(0);
        }
        let tx = self.conn.transaction_with_behavior(IMMEDIATE).map_err(|e| e.to_string())?;
        let mut replayed = Vec::new();
        for contact in &due {
            replayed.push(replay_on_its_version(&tx, &self.journeys, &mut self.earlier, contact, now)?);
        }
        tx.commit().map_err(|e| e.to_string())?;
        self.count(&replayed);
        Ok(due.len())
    }

    pub fn earliest_due(&self) -> Result<Option<i64>, String> {
        store::earliest_due(&self.conn)
    }

    pub fn gauges(&self) -> Gauges {
        Gauges {
            timers_pending: store::timers_pending(&self.conn).unwrap_or(-1),
            outbox_pending: store::outbox_pending(&self.conn).unwrap_or(-1),
        }
    }

    /// A contact's state (GET /contacts/{id}), or `None` for an unknown contact.
    pub fn state(&self, contact: &str) -> Result<Option<Json>, String> {
        let Some(record) = store::record(&self.conn, contact)? else { return Ok(None) };
        let progress = store::progress(&self.conn, contact)?.unwrap_or_default();
        let parse = |line: &str| serde_json::from_str::<Json>(line).unwrap_or(Json::Null);
        let record_json = parse(&record.line);
        let events: Vec<Json> = store::events(&self.conn, contact)?.iter().map(|l| parse(l)).collect();
        let actions: Vec<Json> = store::actions(&self.conn, contact)?.iter().map(|l| parse(l)).collect();
        // The profile now: the record's, then each profile update and `set` action in order.
        let mut profile = record_json.get("profile").and_then(Json::as_object).cloned().unwrap_or_default();
        let mut changes: Vec<(String, &Json)> = Vec::new();
        for event in &events {
            if let (Some(at), Some(fields)) = (event.get("at").and_then(Json::as_str), event.get("profile")) {
                changes.push((at.to_owned(), fields));
            }
        }
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, fields) in changes {
            if let Some(fields) = fields.as_object() {
                profile.extend(fields.clone());
            }
        }
        for action in &actions {
            if action.get("action").and_then(Json::as_str) == Some("set") {
                if let (Some(field), Some(value)) = (action.get("field").and_then(Json::as_str), action.get("value")) {
                    profile.insert(field.to_owned(), value.clone());
                }
            }
        }
        let consent_changes: Vec<Json> = actions
            .iter()
            .filter(|a| a.get("action").and_then(Json::as_str) == Some("consent"))
            .cloned()
            .chain(
                events
                    .iter()
                    .filter(|e| {
                        matches!(e.get("event").and_then(Json::as_str), Some("consent_granted" | "consent_revoked"))
                    })
                    .cloned(),
            )
            .collect();
        let mut state = Map::new();
        state.insert("contact".to_owned(), Json::String(contact.to_owned()));
        state.insert("since".to_owned(), Json::String(format_utc(record.since)));
        state.insert("profile".to_owned(), Json::Object(profile));
        state.insert(
            "consent_at_creation".to_owned(),
            record_json.get("consent").cloned().unwrap_or(Json::Array(Vec::new())),
        );
        state.insert("consent_changes".to_owned(), Json::Array(consent_changes));
        state.insert("next_due".to_owned(), progress.next_due.map_or(Json::Null, |t| Json::String(format_utc(t))));
        state.insert("stopped".to_owned(), progress.frozen.map_or(Json::Null, Json::String));
        state.insert("events".to_owned(), Json::Array(events));
        state.insert("actions".to_owned(), Json::Array(actions));
        Ok(Some(Json::Object(state)))
    }

    fn check(&self, input: &Input, now: i64) -> Result<(), Refused> {
        let (Input::Event(map) | Input::Contact(map)) = input;
        if let Some(at) = map.get("at").and_then(Json::as_str) {
            let at = journey_runtime::time::parse_utc(at).map_err(|e| Refused::new(422, format!("`at`: {e}")))?;
            if at > now {
                return Err(Refused::new(
                    422,
                    format!("`at` {} is after the service clock's now, {}", format_utc(at), format_utc(now)),
                ));
            }
        }
        // The runtime's readers, on the line as it will be stored (any time will do here).
        let mut line = map.clone();
        line.insert("at".to_owned(), Json::String(format_utc(now)));
        match input {
            Input::Event(_) => read_event(&line, &self.journeys.schema).map(|_| ()),
            Input::Contact(_) => {
                line.remove("at");
                read_contact(&line, &self.journeys.schema).map(|_| ())
            }
        }
        .map_err(|e| Refused::new(422, e))
    }

    fn count(&self, replayed: &[Replayed]) {
        self.metrics.replays(replayed.len() as u64);
        for r in replayed {
            if r.frozen.is_some() {
                self.metrics.frozen();
            }
            for action in &r.new {
                match &action.what {
                    What::Send { channel, .. } => self.metrics.send(&action.journey, channel),
                    What::Refused { channel, rule, .. } => self.metrics.refusal(&action.journey, channel, rule),
                    _ => {}
                }
            }
        }
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn internal(e: impl std::fmt::Display) -> Refused {
    Refused::new(500, format!("the store failed: {e}"))
}

/// Names the line of a refusal in a batch of several.
fn numbered(total: usize, n: usize, refused: Refused) -> Refused {
    if total > 1 {
        Refused::new(refused.status, format!("line {}: {}", n + 1, refused.message))
    } else {
        refused
    }
}

/// Records one checked input in the transaction.
fn place(
    tx: &rusqlite::Transaction<'_>,
    schema: &Schema,
    bounds: &Bounds,
    input: &Input,
    now: i64,
    received_ms: i64,
    marks: &mut BTreeMap<String, i64>,
) -> Result<Accepted, Refused> {
    let contact = input.contact().to_owned();
    let (Input::Event(map) | Input::Contact(map)) = input;
    let given = match map.get("at").and_then(Json::as_str) {
        Some(at) => journey_runtime::time::parse_utc(at).map_err(|e| Refused::new(422, e))?,
        None => now,
    };
    let known = store::record(tx, &contact).map_err(internal)?;
    if known.is_none() && given < now.saturating_sub(bounds.max_backdate_s) {
        return Err(Refused::new(
            422,
            format!(
                "contact `{contact}` is new and `at` {} is more than {} days before now ({}): its scheduled entries would all fire at once",
                format_utc(given),
                bounds.max_backdate_s / 86_400,
                format_utc(now)
            ),
        ));
    }
    let mark = match marks.get(&contact) {
        Some(mark) => Some(*mark),
        None => store::progress(tx, &contact).map_err(internal)?.map(|p| p.watermark),
    };
    if known.is_none() {
        if let Input::Contact(map) = input {
            let mut line = map.clone();
            line.remove("at");
            let line = Json::Object(line).to_string();
            store::insert_record(tx, &contact, &Record { since: given, line }).map_err(internal)?;
            marks.insert(contact.clone(), given);
            return Ok(Accepted { contact, kind: "contact", at: format_utc(given), late: false });
        }
        // An event of a contact never seen: known from now on, with an empty profile and no
        // consent (as `journey simulate` without a contacts file).
        let line = serde_json::json!({ "contact": contact }).to_string();
        store::insert_record(tx, &contact, &Record { since: given, line }).map_err(internal)?;
    }
    let kind = match input {
        Input::Event(_) => "event",
        Input::Contact(map) => {
            if map.contains_key("consent") {
                return Err(Refused::new(
                    409,
                    format!(
                        "contact `{contact}` is known: its consent changes through consent_granted and consent_revoked events, not its record"
                    ),
                ));
            }
            if !map.contains_key("profile") {
                marks.entry(contact.clone()).or_insert(mark.unwrap_or(given));
                return Ok(Accepted { contact, kind: "profile", at: format_utc(given), late: false });
            }
            "profile"
        }
    };
    if store::event_count(tx, &contact).map_err(internal)? >= bounds.max_events_per_contact {
        return Err(Refused::new(
            422,
            format!(
                "contact `{contact}` has {} events, the limit: every replay reads them all",
                bounds.max_events_per_contact
            ),
        ));
    }
    let at = mark.map_or(given, |m| given.max(m));
    let mut line = Map::new();
    line.insert("at".to_owned(), Json::String(format_utc(at)));
    line.insert("contact".to_owned(), Json::String(contact.clone()));
    match input {
        Input::Event(map) => {
            for key in ["event", "fields"] {
                if let Some(value) = map.get(key) {
                    line.insert(key.to_owned(), value.clone());
                }
            }
        }
        Input::Contact(map) => {
            if let Some(profile) = map.get("profile") {
                line.insert("profile".to_owned(), profile.clone());
            }
        }
    }
    // Checked before the transaction; checked again as stored (the line changed its time).
    read_event(&line, schema).map_err(|e| Refused::new(422, e))?;
    store::insert_event(tx, &contact, at, &Json::Object(line).to_string(), received_ms).map_err(internal)?;
    marks.insert(contact.clone(), at);
    Ok(Accepted { contact, kind, at: format_utc(at), late: at > given })
}

/// The sink's line for a send: the action with its idempotency key first.
pub fn sink_line(key: &str, action_json: &str) -> String {
    let rest = action_json.strip_prefix('{').unwrap_or(action_json);
    format!("{{\"idempotency_key\":\"{key}\",{rest}")
}

/// What replays run on: the bundles prepared once, their schema and hash, and the seed.
pub struct Journeys {
    pub prepared: Prepared<'static>,
    pub schema: Schema,
    pub hash: String,
    pub seed: u64,
}

/// [`replay`] on the bundle set the contact started on: `current` for a new contact or one that
/// started on it, else the earlier set its progress names, read from the database once. A
/// contact whose set the database no longer has, or whose history no longer reads under it, is
/// stopped (fail closed): it must never continue on journeys it did not start on.
pub fn replay_on_its_version(
    tx: &rusqlite::Transaction<'_>,
    current: &Journeys,
    earlier: &mut BTreeMap<String, Journeys>,
    contact: &str,
    now: i64,
) -> Result<Replayed, String> {
    let started_on = store::progress(tx, contact)?.map(|p| p.bundles).filter(|hash| *hash != current.hash);
    let Some(hash) = started_on else { return replay(tx, current, contact, now) };
    if !earlier.contains_key(&hash) {
        match load_version(tx, &hash, current.seed) {
            Ok(journeys) => {
                earlier.insert(hash.clone(), journeys);
            }
            Err(why) => {
                return stop(tx, contact, &hash, format!("its bundle set {} cannot be run: {why}", short(&hash)))
            }
        }
    }
    match earlier.get(&hash) {
        Some(journeys) => replay(tx, journeys, contact, now),
        None => stop(tx, contact, &hash, format!("its bundle set {} cannot be run", short(&hash))),
    }
}

/// An earlier bundle set, from the texts the database keeps.
fn load_version(conn: &Connection, hash: &str, seed: u64) -> Result<Journeys, String> {
    let texts = store::bundle_set(conn, hash)?.ok_or("the database does not keep it")?;
    let bundles = texts.iter().map(|text| Bundle::parse(text)).collect::<Result<Vec<_>, _>>()?;
    let schema = Schema::of(&bundles)?;
    // One leak per bundle set a running process meets, as for the current set (`Engine::open`).
    let bundles: &'static [Bundle] = Box::leak(bundles.into_boxed_slice());
    Ok(Journeys { prepared: Prepared::new(bundles), schema, hash: hash.to_owned(), seed })
}

/// Stops a contact (nothing more is emitted for it), with why.
fn stop(tx: &rusqlite::Transaction<'_>, contact: &str, hash: &str, why: String) -> Result<Replayed, String> {
    log_error("contact_stopped", contact, &why);
    let mut stopped = store::progress(tx, contact)?.unwrap_or_default();
    stopped.frozen = Some(why.clone());
    stopped.bundles = hash.to_owned();
    store::set_progress(tx, contact, &stopped)?;
    Ok(Replayed { new: Vec::new(), frozen: Some(why) })
}

/// Replays one contact at `now` and records what is new: the heart of the engine. The replay
/// must extend the actions already taken; if it does not, nothing is emitted and the contact
/// is stopped (fail closed), because a send already handed over cannot be taken back.
pub fn replay(
    tx: &rusqlite::Transaction<'_>,
    journeys: &Journeys,
    contact: &str,
    now: i64,
) -> Result<Replayed, String> {
    let Some(record) = store::record(tx, contact)? else { return Ok(Replayed::default()) };
    let progress = store::progress(tx, contact)?;
    if let Some(Progress { frozen: Some(why), .. }) = &progress {
        return Ok(Replayed { new: Vec::new(), frozen: Some(why.clone()) });
    }
    let (done, prefix, watermark) = match &progress {
        Some(p) => (p.done, p.prefix.clone(), p.watermark),
        None => (0, Prefix::default().value(), record.since),
    };
    // A history that does not read under the contact's bundle set (an event the set it started
    // on does not declare, accepted under a newer one) stops the contact rather than failing
    // every batch that touches it.
    let (contact_record, events) = match read_history(tx, &journeys.schema, contact, &record) {
        Ok(history) => history,
        Err(why) => return stop(tx, contact, &journeys.hash, why),
    };
    let now = now.max(watermark);
    let options = Options { seed: journeys.seed, live: Some(Live { since: record.since, now }) };
    let (actions, next_due) = journeys.prepared.run_live(&[contact_record], &events, &options);
    let mut hasher = Prefix::default();
    let mut taken = None;
    let mut lines = Vec::with_capacity(actions.len());
    for (n, action) in actions.iter().enumerate() {
        if n == done {
            taken = Some(hasher.value());
        }
        let line = serde_json::to_string(action).map_err(|e| e.to_string())?;
        hasher.push(&line);
        lines.push(line);
    }
    if actions.len() == done {
        taken = Some(hasher.value());
    }
    if taken.as_deref() != Some(prefix.as_str()) {
        let why = format!(
            "a replay at {} would change the {done} actions already taken (it gave {}); nothing more is emitted for this contact",
            format_utc(now),
            actions.len()
        );
        log_error("replay_changed_prefix", contact, &why);
        let mut stopped = progress.unwrap_or_default();
        stopped.frozen = Some(why.clone());
        stopped.bundles = journeys.hash.clone();
        store::set_progress(tx, contact, &stopped)?;
        return Ok(Replayed { new: Vec::new(), frozen: Some(why) });
    }
    let mut new = Vec::new();
    for (n, (action, line)) in actions.iter().zip(&lines).enumerate().skip(done) {
        store::insert_action(tx, contact, n, line)?;
        if matches!(action.what, What::Send { .. }) {
            let key = keys::send_key(
                &journeys.hash,
                contact,
                &action.journey,
                action.run,
                action.node.as_deref(),
                &action.at,
                n,
            );
            let at = journey_runtime::time::parse_utc(&action.at).unwrap_or(now);
            store::insert_outbox(tx, &key, contact, at, &sink_line(&key, line))?;
        }
        new.push(action.clone());
    }
    let progress = Progress {
        done: actions.len(),
        prefix: hasher.value(),
        next_due,
        watermark: now,
        bundles: journeys.hash.clone(),
        frozen: None,
    };
    store::set_progress(tx, contact, &progress)?;
    Ok(Replayed { new, frozen: None })
}

/// A contact's record and events, read back through the runtime's readers.
fn read_history(
    conn: &Connection,
    schema: &Schema,
    contact: &str,
    record: &Record,
) -> Result<(Contact, Vec<Event>), String> {
    let object = |line: &str| match serde_json::from_str::<Json>(line) {
        Ok(Json::Object(map)) => Ok(map),
        _ => Err(format!("contact `{contact}`: a stored line is not a JSON object")),
    };
    let stored = |e: String| format!("contact `{contact}`: a stored line no longer reads: {e}");
    let record = read_contact(&object(&record.line)?, schema).map_err(stored)?;
    let mut events = Vec::new();
    for line in store::events(conn, contact)? {
        events.push(read_event(&object(&line)?, schema).map_err(stored)?);
    }
    Ok((record, events))
}

/// A structured log line on standard error (docs/deploy.md, "Logs").
pub fn log_error(what: &str, contact: &str, message: &str) {
    crate::log::line("error", what, &[("contact", contact), ("message", message)]);
}
