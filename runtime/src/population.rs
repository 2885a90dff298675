//! Population simulation (docs/simulate.md, "Population"): contacts and events made up from a
//! [`Traffic`] description and a seed, run through the runtime in chunks, and summed up per
//! journey: contacts per conversation path, goal conversions per path, sends per channel and
//! category, refusals and the monitor's violations per rule.
//!
//! Pure and deterministic: every draw comes from SplitMix64 seeded from the seed and the
//! contact's number, so a contact's input does not depend on the chunk it is generated in, and
//! the report is the same bytes for the same inputs. Contacts never interact in the runtime (every
//! store is per contact), so running them in chunks gives the same actions as one big run while
//! holding only a chunk's input and actions in memory.
//!
//! Replies depend on what the runtime does (a contact answers a question only once it is
//! asked), so a chunk runs again with the replies its asks drew until they no longer change;
//! each ask's draw depends only on who was asked what, so this settles in a pass or two.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::bundle::Bundle;
use crate::engine::{fnv1a, run_refs_into, Options};
use crate::io::{self, Contact, Event, Schema};
use crate::step::{journey_order, Did, Step};
use crate::time;
use crate::traffic::{substitute, Gen, Traffic};

/// Contacts per chunk: large enough that per-chunk costs vanish, small enough that a chunk's
/// actions stay a few megabytes.
pub const CHUNK: usize = 1000;
/// Population sizes above this are refused: a run that long is not one a person waits for.
pub const MAX_POPULATION: usize = 10_000_000;
/// Runs of one chunk while its replies settle (see the module comment).
const MAX_PASSES: usize = 4;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and good enough for drawing traffic; a whole
/// random-number crate would buy nothing here, and this one is reproducible by anyone.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        // The top 53 bits: exactly the precision of an f64 mantissa.
        #[allow(clippy::cast_precision_loss)]
        let x = (self.next_u64() >> 11) as f64;
        x / 9_007_199_254_740_992.0
    }

    /// Uniform in 0..n (n > 0); the modulo bias is below 2^-32 for the sizes used here.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A Poisson draw with mean `mean` (Knuth's method; the mean is at most 100).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let mut k = 0;
        let mut p = self.unit();
        while p > limit && k < 10_000 {
            k += 1;
            p *= self.unit();
        }
        k
    }

    pub fn weighted<'a, T>(&mut self, choices: &'a [(T, u64)]) -> Option<&'a T> {
        let total: u64 = choices.iter().map(|(_, w)| *w).sum();
        let mut r = self.below(total);
        for (value, weight) in choices {
            if r < *weight {
                return Some(value);
            }
            r -= weight;
        }
        None
    }
}

fn draw(gen: &Gen, rng: &mut SplitMix, contact: &str) -> Json {
    let value = match gen {
        Gen::Fixed(value) => value.clone(),
        Gen::OneOf(choices) => rng.weighted(choices).cloned().unwrap_or(Json::Null),
        Gen::Between(lo, hi) => {
            let span = hi.abs_diff(*lo).saturating_add(1);
            Json::from(lo.saturating_add_unsigned(rng.below(span)))
        }
    };
    substitute(&value, contact)
}

fn draw_fields(fields: &[(String, Gen)], rng: &mut SplitMix, contact: &str) -> Map<String, Json> {
    fields.iter().map(|(name, gen)| (name.clone(), draw(gen, rng, contact))).collect()
}

/// The id of contact `index` (from 0): `p` and the number from 1, zero-padded so that ids sort
/// in number order.
pub fn contact_id(index: usize, size: usize) -> String {
    let width = size.to_string().len();
    format!("p{:0width$}", index + 1)
}

/// One generated event: its sort key (time, contact number, order drawn), its JSON line and the
/// event as the runtime's reader makes it of that line.
#[derive(Debug, Clone)]
struct Line {
    key: (i64, usize, u32),
    text: String,
    event: Event,
}

/// Generated input is built as the JSON objects a file would hold and goes through the same
/// checks as a file's lines ([`io::read_contact`], [`io::read_event`]), without being written
/// out and parsed back: reading the text again was most of the generation. A test checks that
/// the lines, read as a file, give the same actions.
fn checked<T>(what: &str, read: Result<T, String>) -> Result<T, String> {
    read.map_err(|why| format!("generated input is invalid (a bug): {what}: {why}"))
}

/// A chunk's generated input, as the JSON Lines an author could have written.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    pub contacts: String,
    pub events: String,
}

fn event_line(
    key: (i64, usize, u32),
    contact: &str,
    event: &str,
    fields: Map<String, Json>,
    schema: &Schema,
) -> Result<Line, String> {
    let mut object = Map::new();
    object.insert("at".to_owned(), Json::String(time::format_utc(key.0)));
    object.insert("contact".to_owned(), Json::String(contact.to_owned()));
    object.insert("event".to_owned(), Json::String(event.to_owned()));
    object.insert("fields".to_owned(), Json::Object(fields));
    let read = checked("(population events)", io::read_event(&object, schema))?;
    Ok(Line { key, text: Json::Object(object).to_string(), event: read })
}

/// The contacts `range` of a population of `size` (their JSON Lines and as read) and their
/// events (unsorted).
fn generate(
    traffic: &Traffic,
    seed: u64,
    size: usize,
    range: std::ops::Range<usize>,
    schema: &Schema,
) -> Result<(String, Vec<Contact>, Vec<Line>), String> {
    let mut contacts = String::new();
    let mut read = Vec::with_capacity(range.len());
    let mut events = Vec::new();
    for index in range {
        let id = contact_id(index, size);
        let mut rng = SplitMix::new(seed ^ (index as u64).wrapping_mul(0xa076_1d64_78bd_642f));
        let mut profile = Map::new();
        if let Some((field, zones)) = &traffic.zones {
            if let Some(zone) = rng.weighted(zones) {
                profile.insert(field.clone(), Json::String(zone.clone()));
            }
        }
        for (name, gen) in &traffic.profile {
            profile.insert(name.clone(), draw(gen, &mut rng, &id));
        }
        let mut consent = Vec::new();
        for ((channel, category), p) in &traffic.consent {
            if rng.unit() < *p {
                consent.push(json!({"channel": channel, "category": category}));
            }
        }
        let mut object = Map::new();
        object.insert("contact".to_owned(), Json::String(id.clone()));
        object.insert("profile".to_owned(), Json::Object(profile));
        object.insert("consent".to_owned(), Json::Array(consent));
        read.push(checked("(population contacts)", io::read_contact(&object, schema))?);
        contacts.push_str(&Json::Object(object).to_string());
        contacts.push('\n');
        let mut order = 0u32;
        let span = u64::try_from(traffic.span_s).unwrap_or(1);
        for rate in &traffic.events {
            for _ in 0..rng.poisson(rate.per_contact) {
                let at = traffic.start.saturating_add_unsigned(rng.below(span));
                let fields = draw_fields(&rate.fields, &mut rng, &id);
                events.push(event_line((at, index, order), &id, &rate.event, fields, schema)?);
                order += 1;
                for follow in traffic.follow_ups.iter().filter(|f| f.after == rate.event) {
                    if rng.unit() < follow.probability {
                        let later = at.saturating_add_unsigned(1 + rng.below(follow.within_s.unsigned_abs()));
                        let fields = draw_fields(&follow.fields, &mut rng, &id);
                        events.push(event_line((later, index, order), &id, &follow.event, fields, schema)?);
                        order += 1;
                    }
                }
            }
        }
    }
    Ok((contacts, read, events))
}

/// The input of the contacts `range` of a population of `size`, as [`simulate`] makes it before
/// any reply: the contacts and events files' text, and what the runtime reads of them, built
/// without reading the text. Reading the text as files gives the same input (a test checks it).
pub fn chunk_input(
    bundles: &[Bundle],
    traffic: &Traffic,
    seed: u64,
    size: usize,
    range: std::ops::Range<usize>,
) -> Result<(Chunk, Vec<Contact>, Vec<Event>), String> {
    let schema = Schema::of(bundles)?;
    let (contacts_text, contacts, lines) = generate(traffic, seed, size, range, &schema)?;
    let lines = sorted(lines.iter());
    let chunk = Chunk { contacts: contacts_text, events: join(&lines) };
    Ok((chunk, contacts, lines.into_iter().map(|l| l.event.clone()).collect()))
}

/// The replies the asks in `steps` draw: an `ask` or `consent_request` whose message went out
/// is answered with the traffic's probabilities for that message, before its wait ends.
/// `ids` are the chunk's contact ids by the steps' contact numbers, `names` the journeys' by
/// theirs; `start` is the population number of the chunk's first contact.
fn replies(
    traffic: &Traffic,
    seed: u64,
    (steps, ids, names, start): (&[Step<'_>], &[&str], &[&str], usize),
    schema: &Schema,
) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    if traffic.replies.is_empty() {
        return Ok(out);
    }
    let mut last_send: BTreeMap<(u32, u32, u64), (&str, &str, &str)> = BTreeMap::new();
    for step in steps {
        let key = (step.contact, step.journey, step.run);
        match &step.did {
            Did::Send(sent) => {
                if let Some(node) = step.node {
                    last_send.insert(key, (node, sent.message, sent.channel));
                }
            }
            Did::Wait { until, kind } if *kind == "ask" || *kind == "consent_request" => {
                let (Some(node), Some((sent_at, message, channel))) = (step.node, last_send.get(&key)) else {
                    continue;
                };
                if node != *sent_at {
                    continue;
                }
                let Some(outcomes) = traffic.replies.get(*message) else { continue };
                // Only the times an events file could hold (what reading them back accepted).
                let readable = |t: i64| (time::MIN_INSTANT..=time::MAX_INSTANT).contains(&t);
                let (at, until) = (step.at, *until);
                if !(readable(at) && readable(until)) {
                    continue;
                }
                let contact = ids.get(step.contact as usize).copied().unwrap_or("");
                let journey = names.get(step.journey as usize).copied().unwrap_or("");
                let identity = format!("{seed}\u{0}{contact}\u{0}{journey}\u{0}{}\u{0}{node}", step.run);
                let mut rng = SplitMix::new(fnv1a(identity.as_bytes()));
                let mut u = rng.unit();
                let Some(outcome) = outcomes.iter().find(|(_, p)| {
                    let hit = u < *p;
                    u -= p;
                    hit
                }) else {
                    continue;
                };
                // Strictly before the wait ends: a timeout due at the reply's second fires first.
                let room = traffic.reply_within_s.min(until.saturating_sub(at).saturating_sub(1));
                if room < 1 {
                    continue;
                }
                let reply_at = at + 1 + i64::try_from(rng.below(room.unsigned_abs())).unwrap_or(0);
                let mut fields = Map::new();
                fields.insert("channel".to_owned(), Json::String((*channel).to_owned()));
                fields.insert("outcome".to_owned(), Json::String(outcome.0.clone()));
                let index = start + step.contact as usize;
                out.push(event_line((reply_at, index, u32::MAX), contact, "reply", fields, schema)?);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The contacts whose lines differ between two sorted lists.
fn symmetric(a: &[Line], b: &[Line]) -> BTreeSet<usize> {
    let a: BTreeSet<(&(i64, usize, u32), &str)> = a.iter().map(|l| (&l.key, l.text.as_str())).collect();
    let b: BTreeSet<(&(i64, usize, u32), &str)> = b.iter().map(|l| (&l.key, l.text.as_str())).collect();
    a.symmetric_difference(&b).map(|(key, _)| key.1).collect()
}

/// The lines in time order (then contact, then order drawn): the events file.
fn sorted<'l>(lines: impl Iterator<Item = &'l Line>) -> Vec<&'l Line> {
    let mut lines: Vec<&Line> = lines.collect();
    lines.sort_by_key(|l| l.key);
    lines
}

fn join(lines: &[&Line]) -> String {
    let mut text = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
    for line in lines {
        text.push_str(&line.text);
        text.push('\n');
    }
    text
}

/// What a path's runs did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PathReport {
    pub runs: u64,
    pub contacts: u64,
    /// Conversions of each goal by runs on this path.
    pub goals: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct JourneyReport {
    /// Contacts that entered at least once.
    pub contacts: u64,
    pub runs: u64,
    pub goals: BTreeMap<String, u64>,
    /// By path: the branches a run took, `node:outcome` joined by ` > `, in order.
    pub paths: BTreeMap<String, PathReport>,
    /// By `channel/category`.
    pub sends: BTreeMap<String, u64>,
    pub held: u64,
    /// By rule.
    pub refusals: BTreeMap<String, u64>,
    /// The monitor's findings, by rule.
    pub violations: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    pub population: u64,
    pub seed: u64,
    pub events: u64,
    /// Actions the runtime produced: the contact-steps of docs/performance.md.
    pub actions: u64,
    pub journeys: BTreeMap<String, JourneyReport>,
}

/// The path of a run that took no branch.
pub const STRAIGHT: &str = "(no branch)";

impl Report {
    /// Adds a chunk's steps (journey numbers index `names`) and the monitor's violations. Counts
    /// are kept by number while the chunk is read and named once at the end: a name (and a
    /// `String`) per step was most of the summary's time.
    fn add(&mut self, steps: &[Step<'_>], names: &[&str], violations: &[(String, String)]) {
        self.actions += steps.len() as u64;
        #[derive(Default)]
        struct Counts<'s> {
            runs: u64,
            held: u64,
            sends: BTreeMap<(&'s str, &'s str), u64>,
            refusals: BTreeMap<&'static str, u64>,
        }
        let mut counts: Vec<Counts<'_>> = names.iter().map(|_| Counts::default()).collect();
        // The path of every run: its branches, `node:outcome` joined by ` > `.
        let mut paths: BTreeMap<(u32, u32, u64), String> = BTreeMap::new();
        let mut goals: Vec<((u32, u32, u64), &str)> = Vec::new();
        let mut entered: BTreeSet<(u32, u32)> = BTreeSet::new();
        for step in steps {
            let key = (step.contact, step.journey, step.run);
            let Some(count) = counts.get_mut(step.journey as usize) else { continue };
            match &step.did {
                Did::Enter { .. } => {
                    count.runs += 1;
                    entered.insert((key.0, key.1));
                    paths.entry(key).or_default();
                }
                Did::Branch { outcome } => {
                    let node = step.node.unwrap_or("-");
                    let path = paths.entry(key).or_default();
                    if !path.is_empty() {
                        path.push_str(" > ");
                    }
                    path.push_str(node);
                    path.push(':');
                    path.push_str(outcome);
                }
                Did::Goal { goal } => goals.push((key, goal)),
                Did::Send(sent) => *count.sends.entry((sent.channel, sent.category)).or_default() += 1,
                Did::Held { .. } => count.held += 1,
                Did::Refused(refused) => *count.refusals.entry(refused.rule).or_default() += 1,
                _ => {}
            }
        }
        let mut entered_by_journey: Vec<u64> = vec![0; names.len()];
        for (_, journey) in &entered {
            if let Some(n) = entered_by_journey.get_mut(*journey as usize) {
                *n += 1;
            }
        }
        for ((name, count), entered) in names.iter().zip(counts).zip(entered_by_journey) {
            let Some(journey) = self.journey(name) else { continue };
            journey.runs += count.runs;
            journey.held += count.held;
            journey.contacts += entered;
            for ((channel, category), n) in count.sends {
                *journey.sends.entry(format!("{channel}/{category}")).or_default() += n;
            }
            for (rule, n) in count.refusals {
                *journey.refusals.entry(rule.to_owned()).or_default() += n;
            }
        }
        fn key_of(path: &str) -> &str {
            if path.is_empty() {
                STRAIGHT
            } else {
                path
            }
        }
        let mut on_path: BTreeSet<(u32, &str, u32)> = BTreeSet::new();
        for ((contact, journey, _), path) in &paths {
            let key = key_of(path);
            let name = names.get(*journey as usize).copied().unwrap_or("");
            let Some(report) = self.journey(name).and_then(|j| j.path(key)) else { continue };
            report.runs += 1;
            if on_path.insert((*journey, key, *contact)) {
                report.contacts += 1;
            }
        }
        for (key, goal) in goals {
            let path = paths.get(&key).map_or(STRAIGHT, |p| key_of(p));
            let name = names.get(key.1 as usize).copied().unwrap_or("");
            let Some(journey) = self.journey(name) else { continue };
            *journey.goals.entry(goal.to_owned()).or_default() += 1;
            if let Some(path) = journey.path(path) {
                *path.goals.entry(goal.to_owned()).or_default() += 1;
            }
        }
        for (journey, rule) in violations {
            if let Some(journey) = self.journey(journey) {
                *journey.violations.entry(rule.clone()).or_default() += 1;
            }
        }
    }

    /// The report of a journey, made on first use; `None` never happens.
    fn journey(&mut self, name: &str) -> Option<&mut JourneyReport> {
        // Looked up before inserting, so that the name is copied only the first time.
        if !self.journeys.contains_key(name) {
            self.journeys.insert(name.to_owned(), JourneyReport::default());
        }
        self.journeys.get_mut(name)
    }
}

impl JourneyReport {
    /// The report of a path, made on first use; `None` never happens.
    fn path(&mut self, key: &str) -> Option<&mut PathReport> {
        if !self.paths.contains_key(key) {
            self.paths.insert(key.to_owned(), PathReport::default());
        }
        self.paths.get_mut(key)
    }
}

/// What the simulation tells its caller as it goes; the caller owns the clock and the monitor,
/// which this pure crate does not depend on.
pub trait Observer {
    /// The monitor's violations of a chunk's actions (`actions`: their JSON Lines, as
    /// `journey simulate` writes them), as (journey, rule).
    fn monitor(&mut self, chunk: &Chunk, actions: &str) -> Result<Vec<(String, String)>, String>;
    /// `done` contacts of the population have been simulated.
    fn progress(&mut self, _done: usize) {}
    /// The simulation moves to another phase (for timings).
    fn phase(&mut self, _phase: Phase) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Generate,
    Run,
    Monitor,
    Summarise,
}

/// Simulates a population of `size` contacts over the bundles.
pub fn simulate(
    bundles: &[Bundle],
    traffic: &Traffic,
    size: usize,
    seed: u64,
    observer: &mut dyn Observer,
) -> Result<Report, String> {
    if size > MAX_POPULATION {
        return Err(format!("a population of at most {MAX_POPULATION} contacts"));
    }
    let schema = Schema::of(bundles)?;
    let options = Options { seed, live: None };
    let mut report = Report { population: size as u64, seed, ..Report::default() };
    for bundle in bundles {
        report.journeys.entry(bundle.journey.clone()).or_default();
    }
    let names: Vec<&str> = journey_order(bundles).iter().map(|b| b.journey.as_str()).collect();
    // The chunk's actions as JSON Lines, for the monitor, and its steps: one buffer each for
    // every chunk.
    let mut json = String::new();
    let mut steps: Vec<Step<'_>> = Vec::new();
    let mut start = 0;
    while start < size {
        let end = size.min(start + CHUNK);
        observer.phase(Phase::Generate);
        // Generated input passes the same checks as a file: a traffic description that slipped
        // past its own cannot reach the runtime unchecked.
        let (contacts_text, contacts, base) = generate(traffic, seed, size, start..end, &schema)?;
        // The chunk's contacts by id, numbered from 0: the contact numbers of `steps`.
        let index: BTreeMap<&str, u32> =
            contacts.iter().enumerate().map(|(i, c)| (c.id.as_str(), u32::try_from(i).unwrap_or(u32::MAX))).collect();
        let ids: Vec<&str> = contacts.iter().map(|c| c.id.as_str()).collect();
        // The first run has every contact; a later run only the contacts whose replies changed
        // (contacts never interact), and their actions replace those of the earlier run.
        let mut answers: Vec<Line> = Vec::new();
        steps.clear();
        let mut rerun: Option<BTreeSet<usize>> = None;
        for pass in 1..=MAX_PASSES {
            observer.phase(Phase::Generate);
            let wanted = |line: &&Line| rerun.as_ref().is_none_or(|set| set.contains(&line.key.1));
            let events: Vec<&Event> =
                sorted(base.iter().chain(answers.iter()).filter(wanted)).into_iter().map(|l| &l.event).collect();
            let who: Vec<&Contact> = match &rerun {
                None => contacts.iter().collect(),
                Some(set) => {
                    contacts.iter().enumerate().filter(|(i, _)| set.contains(&(start + i))).map(|(_, c)| c).collect()
                }
            };
            observer.phase(Phase::Run);
            if let Some(set) = &rerun {
                steps.retain(|s| !set.contains(&(start + s.contact as usize)));
            }
            let before = steps.len();
            let ran = run_refs_into(bundles, &who, &events, &options, &mut steps);
            // The run numbers its own contacts: renumber them as the chunk does.
            let number: Vec<u32> = ran.iter().map(|id| index.get(id).copied().unwrap_or(u32::MAX)).collect();
            for step in steps.get_mut(before..).unwrap_or_default() {
                step.contact = number.get(step.contact as usize).copied().unwrap_or(u32::MAX);
            }
            if pass == MAX_PASSES {
                break;
            }
            // The replies the asks drew are made-up input, like the rest of the chunk's.
            observer.phase(Phase::Generate);
            let mut next = replies(traffic, seed, (&steps, &ids, &names, start), &schema)?;
            next.sort_by_key(|l| l.key);
            let changed: BTreeSet<usize> = symmetric(&answers, &next);
            if changed.is_empty() {
                break;
            }
            answers = next;
            rerun = Some(changed);
        }
        // The events file of the chunk, for the monitor; the generated events are done with.
        observer.phase(Phase::Generate);
        let lines = sorted(base.iter().chain(answers.iter()));
        let events_text = join(&lines);
        report.events += lines.len() as u64;
        drop(lines);
        drop(base);
        drop(answers);
        observer.phase(Phase::Monitor);
        json.clear();
        for step in &steps {
            let contact = ids.get(step.contact as usize).copied().unwrap_or("");
            let journey = names.get(step.journey as usize).copied().unwrap_or("");
            step.write_json(contact, journey, &mut json);
        }
        let violations = observer.monitor(&Chunk { contacts: contacts_text, events: events_text }, &json)?;
        observer.phase(Phase::Summarise);
        report.add(&steps, &names, &violations);
        steps.clear();
        observer.progress(end);
        start = end;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_published_first_outputs_for_seed_zero() {
        let mut rng = SplitMix::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn poisson_draws_average_their_mean() {
        let mut rng = SplitMix::new(7);
        let total: u64 = (0..20_000).map(|_| u64::from(rng.poisson(2.5))).sum();
        let mean = total as f64 / 20_000.0;
        assert!((mean - 2.5).abs() < 0.05, "{mean}");
    }

    #[test]
    fn a_contacts_input_does_not_depend_on_the_chunk_it_is_generated_in() {
        let text = r#"{"start":"2026-03-02T00:00:00Z","days":3,"consent":{"sms/marketing":0.5},
            "events":[{"event":"consent_granted","per_contact":2,"fields":{"channel":"sms","category":{"one_of":{"marketing":1,"utility":1}}}}]}"#;
        let traffic = crate::traffic::parse("t.json", text, &Schema::default()).unwrap();
        let schema = Schema::default();
        let (all_contacts, _, all_events) = generate(&traffic, 9, 3000, 0..3000, &schema).unwrap();
        let (one_contact, _, one_events) = generate(&traffic, 9, 3000, 1500..1501, &schema).unwrap();
        assert_eq!(all_contacts.lines().nth(1500), one_contact.lines().next());
        let line = |l: &Line| (l.key, l.text.clone());
        let mine: Vec<_> = all_events.iter().filter(|l| l.key.1 == 1500).map(line).collect();
        assert_eq!(mine, one_events.iter().map(line).collect::<Vec<_>>());
    }

    #[test]
    fn contact_ids_sort_in_number_order() {
        assert_eq!(contact_id(0, 100), "p001");
        assert_eq!(contact_id(99, 100), "p100");
    }
}
