//! The bundle, read from its JSON as any runtime team would (docs/bundle.md §2, the schema), and
//! checked as §9.1 asks: a bundle that is not fully understood is refused whole.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::expr::{self, Expr, FieldSpec, TextPart};
use crate::time::{self, Period};
use crate::value::FieldType;

pub const FORMAT: &str = "journey-bundle";
pub const FORMAT_VERSION: u64 = 2;
/// The target that ends a run.
pub const EXIT: &str = "exit";

#[derive(Debug, Clone)]
pub struct Bundle {
    pub journey: String,
    pub entry_event: Option<String>,
    pub entry_where: Option<Expr>,
    /// `entry.schedule`: every contact of the audience enters at these local times (§3.1).
    pub schedule: Option<Schedule>,
    /// `entry.joins`: a contact enters when it starts matching this segment (§3.1).
    pub joins: Option<String>,
    /// What an `enter` action says for an entry without an event: `schedule` or `joins SEGMENT`.
    pub entry_label: Option<String>,
    pub audience: Option<Expr>,
    pub exit_on: Vec<String>,
    /// `exit_leaves`: a run ends when its contact stops matching one of these segments (§3.3).
    pub exit_leaves: Vec<String>,
    pub goals: Vec<Goal>,
    pub reentry: Reentry,
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
    pub messages: BTreeMap<String, Message>,
    pub segments: BTreeMap<String, Expr>,
    pub profile: BTreeMap<String, FieldSpec>,
    pub events: BTreeMap<String, EventSpec>,
    pub channels: BTreeMap<String, Channel>,
    pub quiet_hours: Option<Policy<Period>>,
    pub frequency: Vec<Frequency>,
    pub business_hours: Option<Policy<Period>>,
    pub compliance: BTreeMap<String, Record>,
}

#[derive(Debug, Clone)]
pub struct Goal {
    pub name: String,
    pub event: String,
    pub within_s: i64,
}

/// When a scheduled entry fires: on the weekdays of `every` (Monday first) or once on `at`, at
/// `time` (minutes after local midnight) in `zone`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub every: Option<[bool; 7]>,
    pub at: Option<jiff::civil::Date>,
    pub time: u32,
    pub zone: Zone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reentry {
    /// Not declared: again as soon as the previous run ended.
    Always,
    Never,
    After(i64),
}

/// The edge of an `ask` for an answer that matches none of its message's outcomes (§3).
pub const OTHER: &str = "other";

/// The edge of a step that waits, taken when its time runs out (§3).
pub const TIMEOUT: &str = "timeout";

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    /// Outcome label to target (a node id or `exit`).
    pub next: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Send {
        message: String,
    },
    Ask {
        message: String,
        timeout_s: i64,
    },
    Wait {
        duration_s: i64,
    },
    WaitUntil {
        until: Until,
    },
    WaitFor {
        events: Vec<String>,
        within_s: i64,
    },
    Branch {
        conditions: Vec<Expr>,
    },
    Split {
        shares: Vec<u32>,
    },
    Handoff {
        team: String,
        timeout_s: i64,
    },
    ConsentRequest {
        channel: String,
        category: String,
        message: String,
        timeout_s: i64,
    },
    /// `revoke consent`: the store no longer holds (channel, category) (§5).
    ConsentRevoke {
        channel: String,
        category: String,
    },
    Set {
        field: String,
        value: Expr,
    },
    Tag {
        tag: String,
    },
    Track {
        event: String,
    },
}

/// What a `wait_until` node waits for (§3.5).
#[derive(Debug, Clone)]
pub enum Until {
    /// The next time, strictly after now, that the clock reads `minute` after midnight in the zone.
    Clock { minute: u32, zone: Zone },
    /// A moment (a `datetime`); already past: no wait.
    Moment(Expr),
}

#[derive(Debug, Clone)]
pub struct Message {
    pub channel: String,
    pub category: String,
    pub tag: Option<String>,
    pub subject: Option<Vec<TextPart>>,
    pub body: Option<Vec<TextPart>>,
    /// Every other text of the message (titles, URLs, card fields), rendered only to find a
    /// missing required field before sending.
    pub other_texts: Vec<Vec<TextPart>>,
    pub template: Option<Template>,
    /// The outcomes its replies, buttons, card buttons and list rows answer with.
    pub outcomes: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub lang: String,
    pub params: BTreeMap<String, Expr>,
}

#[derive(Debug, Clone)]
pub struct EventSpec {
    pub fields: BTreeMap<String, FieldSpec>,
    pub inbound: Option<String>,
    pub window_s: Option<i64>,
    /// `replies: 1`: the window this event opens allows one message (§4.3).
    pub single_reply: bool,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub window_s: Option<i64>,
    pub template_required_outside_window: bool,
    pub tags: BTreeMap<String, ChannelTag>,
    pub keywords: Vec<String>,
    pub medium: String,
}

#[derive(Debug, Clone)]
pub struct ChannelTag {
    pub allows: Vec<String>,
    pub within_s: Option<i64>,
}

/// Where a policy's local times are read.
#[derive(Debug, Clone)]
pub enum Zone {
    Recipient,
    Fixed(jiff::tz::TimeZone, String),
}

#[derive(Debug, Clone)]
pub struct Policy<T> {
    pub rule: T,
    pub zone: Zone,
}

#[derive(Debug, Clone)]
pub struct Frequency {
    /// A channel's cap counts only that channel's sends; `None`: every channel's.
    pub channel: Option<String>,
    pub category: String,
    pub max: u64,
    pub per_s: i64,
}

/// A compliance record (§10): what the runtime re-checks, and the record itself as evidence.
#[derive(Debug, Clone)]
pub struct Record {
    /// `consent(CHANNEL, CATEGORY)` the send relies on.
    pub consent: Option<(String, String)>,
    /// `deferred up to ...`: quiet hours apply.
    pub deferred: bool,
    pub form: String,
    pub evidence: Json,
    /// `evidence` as compact JSON, written once here rather than for every send.
    pub evidence_json: String,
}

// The JSON shapes, exactly as the schema has them: unknown fields are refused (§9.1).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBundle {
    format: String,
    format_version: u64,
    #[allow(dead_code)] // read to check it is there; it is provenance, not semantics
    compiler: Json,
    #[serde(default)]
    #[allow(dead_code)]
    source_date_epoch: Option<u64>,
    #[allow(dead_code)]
    sources: Vec<Json>,
    journey: String,
    entry: RawEntry,
    audience: Json,
    exit_on: Vec<String>,
    #[serde(default)]
    exit_leaves: Vec<String>,
    goals: Vec<RawGoal>,
    reentry: Json,
    start: String,
    stages: Vec<RawStage>,
    nodes: BTreeMap<String, RawNode>,
    messages: BTreeMap<String, Json>,
    segments: BTreeMap<String, Json>,
    profile: BTreeMap<String, RawField>,
    events: BTreeMap<String, RawEvent>,
    channels: BTreeMap<String, RawChannel>,
    policies: RawPolicies,
    compliance: BTreeMap<String, RawRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    event: Option<String>,
    #[serde(rename = "where")]
    condition: Json,
    #[serde(default)]
    schedule: Option<RawSchedule>,
    #[serde(default)]
    joins: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    #[serde(default)]
    every: Option<Vec<String>>,
    #[serde(default)]
    at: Option<String>,
    time: String,
    zone: String,
}

fn schedule(raw: &RawSchedule) -> Result<Schedule, String> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let every = match &raw.every {
        Some(days) => {
            let mut on = [false; 7];
            for day in days {
                let index = DAYS.iter().position(|d| d == day).ok_or_else(|| format!("`{day}` is not a weekday"))?;
                if let Some(slot) = on.get_mut(index) {
                    *slot = true;
                }
            }
            if !on.contains(&true) {
                return Err("`every` lists no day".to_owned());
            }
            Some(on)
        }
        None => None,
    };
    let at = match &raw.at {
        Some(text) => {
            Some(text.parse::<jiff::civil::Date>().map_err(|_| format!("`{text}` is not a date like 2026-12-24"))?)
        }
        None => None,
    };
    if every.is_some() == at.is_some() {
        return Err("a schedule has exactly one of `every` and `at`".to_owned());
    }
    Ok(Schedule { every, at, time: clock(&raw.time)?, zone: zone(&raw.zone)? })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGoal {
    name: String,
    event: String,
    within_s: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    #[allow(dead_code)]
    name: String,
    start: String,
    nodes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    kind: String,
    #[allow(dead_code)]
    stage: String,
    next: BTreeMap<String, String>,
    #[allow(dead_code)]
    source: Json,
    message: Option<String>,
    /// Which asking of an `ask` with retries this node is, and how many there are (§3): what
    /// the node does is in its edges (`other` leads to the next asking), so these only inform.
    #[allow(dead_code)]
    attempt: Option<u32>,
    #[allow(dead_code)]
    attempts: Option<u32>,
    timeout_s: Option<i64>,
    duration_s: Option<i64>,
    time: Option<String>,
    zone: Option<String>,
    moment: Option<Json>,
    events: Option<Vec<String>>,
    within_s: Option<i64>,
    conditions: Option<Vec<Json>>,
    shares: Option<Vec<u32>>,
    team: Option<String>,
    channel: Option<String>,
    category: Option<String>,
    field: Option<String>,
    value: Option<Json>,
    tag: Option<String>,
    event: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    #[serde(rename = "type")]
    ty: String,
    optional: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    fields: BTreeMap<String, RawField>,
    inbound: Option<String>,
    window_s: Option<i64>,
    replies: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    window_s: Option<i64>,
    template_required_outside_window: bool,
    tags: BTreeMap<String, RawTag>,
    keywords: Vec<String>,
    #[allow(dead_code)]
    encoding: Option<String>,
    medium: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTag {
    allows: Vec<String>,
    within_s: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicies {
    quiet_hours: Option<RawPeriod>,
    frequency: Vec<RawFrequency>,
    business_hours: Option<RawHours>,
    #[allow(dead_code)]
    jurisdiction: Vec<String>,
}

/// `{from, to, zone}` (every day alike) or `{periods, zone}` (by weekday), §4.2.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: Option<String>,
    to: Option<String>,
    periods: Option<Vec<RawQuietPeriod>>,
    zone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuietPeriod {
    days: Vec<String>,
    from: String,
    to: String,
}

/// `{days, from, to, zone}` (one period) or `{periods, zone}` (by weekday), §4.4.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    days: Option<Vec<String>>,
    from: Option<String>,
    to: Option<String>,
    periods: Option<Vec<RawQuietPeriod>>,
    zone: String,
}

/// Periods with their days (§4.2, §4.4) as hours by weekday.
fn week_periods(what: &str, periods: &[RawQuietPeriod]) -> Result<Period, String> {
    let mut rule = Period { days: Default::default() };
    for p in periods {
        let days = time::parse_days(&p.days).ok_or(format!("{what} has days that are not `mon..fri` ranges"))?;
        rule.add(days, clock(&p.from)?, clock(&p.to)?);
    }
    Ok(rule)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrequency {
    channel: Option<String>,
    category: String,
    max: u64,
    per_s: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    message: String,
    channel: String,
    category: String,
    consent: String,
    window_max_s: Option<i64>,
    window_s: Option<i64>,
    windows: Vec<Json>,
    form: String,
    frequency: String,
    quiet_hours: String,
    /// Evidence only: which consent requests can have granted the consent (kept in `evidence`).
    #[serde(default)]
    #[allow(dead_code)]
    consent_granted_by: Vec<Json>,
}

const CATEGORIES: [&str; 4] = ["service", "utility", "marketing", "authentication"];
const MEDIUMS: [&str; 6] = ["sms", "mms", "rcs", "messaging", "email", "push"];

impl Bundle {
    /// Reads and checks a bundle (§9.1). The error says why it is refused.
    pub fn parse(text: &str) -> Result<Bundle, String> {
        let raw: RawBundle = serde_json::from_str(text).map_err(|e| format!("not a bundle: {e}"))?;
        if raw.format != FORMAT {
            return Err(format!("`format` is \"{}\", not \"{FORMAT}\"", raw.format));
        }
        if raw.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} is not implemented (this runtime reads {FORMAT_VERSION})",
                raw.format_version
            ));
        }
        let journey = raw.journey.clone();
        convert(raw).map_err(|why| format!("journey `{journey}`: {why}"))
    }
}

fn optional_expr(json: &Json) -> Result<Option<Expr>, String> {
    match json {
        Json::Null => Ok(None),
        other => expr::parse(other).map(Some),
    }
}

fn fields(raw: BTreeMap<String, RawField>) -> Result<BTreeMap<String, FieldSpec>, String> {
    raw.into_iter()
        .map(|(name, field)| match FieldType::parse(&field.ty) {
            Some(ty) => Ok((name, FieldSpec { ty, optional: field.optional })),
            None => Err(format!("field `{name}` has an unknown type `{}`", field.ty)),
        })
        .collect()
}

fn duration(value: i64, what: &str, positive: bool) -> Result<i64, String> {
    let low = i64::from(positive);
    if (low..=time::MAX_DURATION_S).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{what} is {value}, outside {low}..={}", time::MAX_DURATION_S))
    }
}

fn zone(name: &str) -> Result<Zone, String> {
    if name == "recipient" {
        return Ok(Zone::Recipient);
    }
    time::zone(name).map(|tz| Zone::Fixed(tz, name.to_owned())).ok_or_else(|| format!("unknown time zone `{name}`"))
}

fn clock(text: &str) -> Result<u32, String> {
    time::parse_clock(text).ok_or_else(|| format!("`{text}` is not a time of day HH:MM"))
}

fn convert(raw: RawBundle) -> Result<Bundle, String> {
    let events: BTreeMap<String, EventSpec> = raw
        .events
        .into_iter()
        .map(|(name, event)| {
            let window_s = event.window_s.map(|w| duration(w, "an event's window_s", true)).transpose()?;
            // Only one reply is a rule a runtime knows (§4.3); another count is refused rather
            // than read as "any number".
            let single_reply = match event.replies {
                None => false,
                Some(1) => true,
                Some(n) => return Err(format!("event `{name}`: `replies` is {n}; only 1 is defined")),
            };
            Ok((name, EventSpec { fields: fields(event.fields)?, inbound: event.inbound, window_s, single_reply }))
        })
        .collect::<Result<_, String>>()?;
    let known_event = |name: &str, what: &str| {
        if events.contains_key(name) {
            Ok(())
        } else {
            Err(format!("{what} `{name}` is not in `events`"))
        }
    };
    if let Some(event) = &raw.entry.event {
        known_event(event, "the entry event")?;
    }
    let entries = usize::from(raw.entry.event.is_some())
        + usize::from(raw.entry.schedule.is_some())
        + usize::from(raw.entry.joins.is_some());
    if entries > 1 {
        return Err("`entry` has more than one of `event`, `schedule` and `joins`".to_owned());
    }
    let entry_schedule =
        raw.entry.schedule.as_ref().map(schedule).transpose().map_err(|why| format!("entry schedule: {why}"))?;
    for event in &raw.exit_on {
        known_event(event, "the exit_on event")?;
    }
    let goals = raw
        .goals
        .into_iter()
        .map(|g| {
            known_event(&g.event, "the goal event")?;
            Ok(Goal { within_s: duration(g.within_s, "a goal's within_s", true)?, name: g.name, event: g.event })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let reentry = match &raw.reentry {
        Json::Null => Reentry::Always,
        Json::String(s) if s == "never" => Reentry::Never,
        Json::Object(map) if map.len() == 1 => match map.get("after_s").and_then(Json::as_i64) {
            Some(after) => Reentry::After(duration(after, "reentry after_s", false)?),
            None => return Err("`reentry` must be null, \"never\" or {\"after_s\": N}".to_owned()),
        },
        _ => return Err("`reentry` must be null, \"never\" or {\"after_s\": N}".to_owned()),
    };

    let channels: BTreeMap<String, Channel> = raw
        .channels
        .into_iter()
        .map(|(name, c)| {
            if !MEDIUMS.contains(&c.medium.as_str()) {
                return Err(format!("channel `{name}` has an unknown medium `{}`", c.medium));
            }
            let tags = c
                .tags
                .into_iter()
                .map(|(tag, t)| {
                    let within_s = t.within_s.map(|w| duration(w, "a tag's within_s", true)).transpose()?;
                    Ok((tag, ChannelTag { allows: t.allows, within_s }))
                })
                .collect::<Result<_, String>>()?;
            let window_s = c.window_s.map(|w| duration(w, "a channel's window_s", true)).transpose()?;
            Ok((
                name,
                Channel {
                    window_s,
                    template_required_outside_window: c.template_required_outside_window,
                    tags,
                    keywords: c.keywords,
                    medium: c.medium,
                },
            ))
        })
        .collect::<Result<_, String>>()?;
    // An inbound event may open a window on a channel the journey sends nothing on (an ad reply
    // that enters a journey of SMS and email): `channels` lists only the channels messages are
    // sent on (docs/bundle.md §2), and the window matters only to sends on its channel, each of
    // which is checked below to be in `channels`.

    let messages = raw
        .messages
        .into_iter()
        .map(|(name, json)| {
            let message = message(&json).map_err(|why| format!("message `{name}`: {why}"))?;
            let channel = channels.get(&message.channel).ok_or_else(|| {
                format!("message `{name}` is on channel `{}`, which is not in `channels`", message.channel)
            })?;
            if let Some(tag) = &message.tag {
                if !channel.tags.contains_key(tag) {
                    return Err(format!("message `{name}` is sent under tag `{tag}`, which its channel lacks"));
                }
            }
            Ok((name, message))
        })
        .collect::<Result<BTreeMap<_, _>, String>>()?;

    let segments: BTreeMap<String, Expr> = raw
        .segments
        .iter()
        .map(|(name, json)| {
            expr::parse(json).map(|e| (name.clone(), e)).map_err(|why| format!("segment `{name}`: {why}"))
        })
        .collect::<Result<_, String>>()?;

    let mut nodes = BTreeMap::new();
    for (id, node) in raw.nodes {
        if id == EXIT {
            return Err("`exit` is not a node id".to_owned());
        }
        let kind = node_kind(&node, &messages, &events).map_err(|why| format!("node `{id}`: {why}"))?;
        nodes.insert(id, Node { kind, next: node.next });
    }
    let exists = |target: &str| target == EXIT || nodes.contains_key(target);
    if !exists(&raw.start) {
        return Err(format!("`start` names `{}`, which is neither a node nor exit", raw.start));
    }
    for stage in &raw.stages {
        for target in std::iter::once(&stage.start).chain(&stage.nodes) {
            if !exists(target) {
                return Err(format!("a stage names `{target}`, which is neither a node nor exit"));
            }
        }
    }
    for (id, node) in &nodes {
        check_edges(id, node, &messages)?;
        for target in node.next.values() {
            if !exists(target) {
                return Err(format!("node `{id}` leads to `{target}`, which is neither a node nor exit"));
            }
        }
    }

    let audience = optional_expr(&raw.audience).map_err(|why| format!("audience: {why}"))?;
    let entry_where = optional_expr(&raw.entry.condition).map_err(|why| format!("entry where: {why}"))?;
    check_segments(&segments, &audience, &entry_where, &nodes, &messages)?;
    if let Some(missing) =
        raw.entry.joins.iter().chain(&raw.exit_leaves).find(|name| !segments.contains_key(name.as_str()))
    {
        return Err(format!("segment `{missing}` is used but not in `segments`"));
    }

    let quiet_hours = raw
        .policies
        .quiet_hours
        .map(|q| {
            let rule = match (&q.from, &q.to, &q.periods) {
                (Some(from), Some(to), None) => Period::daily(clock(from)?, clock(to)?),
                (None, None, Some(periods)) if !periods.is_empty() => week_periods("quiet_hours", periods)?,
                _ => return Err("quiet_hours needs either `from` and `to`, or `periods`".to_owned()),
            };
            Ok::<_, String>(Policy { rule, zone: zone(&q.zone)? })
        })
        .transpose()?;
    let business_hours = raw
        .policies
        .business_hours
        .map(|b| {
            let rule = match (b.days, b.from, b.to, b.periods) {
                (Some(days), Some(from), Some(to), None) => {
                    week_periods("business_hours", &[RawQuietPeriod { days, from, to }])?
                }
                (None, None, None, Some(periods)) if !periods.is_empty() => week_periods("business_hours", &periods)?,
                _ => return Err("business_hours needs either `days`, `from` and `to`, or `periods`".to_owned()),
            };
            Ok::<_, String>(Policy { rule, zone: zone(&b.zone)? })
        })
        .transpose()?;
    let frequency = raw
        .policies
        .frequency
        .into_iter()
        .map(|f| {
            if !CATEGORIES.contains(&f.category.as_str()) {
                return Err(format!("frequency names an unknown category `{}`", f.category));
            }
            Ok(Frequency {
                per_s: duration(f.per_s, "a frequency per_s", true)?,
                channel: f.channel,
                category: f.category,
                max: f.max,
            })
        })
        .collect::<Result<_, String>>()?;
    let compliance = raw
        .compliance
        .into_iter()
        .map(|(id, r)| record(r).map(|r| (id.clone(), r)).map_err(|why| format!("compliance `{id}`: {why}")))
        .collect::<Result<_, String>>()?;

    Ok(Bundle {
        journey: raw.journey,
        entry_event: raw.entry.event,
        entry_where,
        entry_label: match (&entry_schedule, &raw.entry.joins) {
            (Some(_), _) => Some("schedule".to_owned()),
            (None, Some(segment)) => Some(format!("joins {segment}")),
            (None, None) => None,
        },
        schedule: entry_schedule,
        joins: raw.entry.joins,
        audience,
        exit_on: raw.exit_on,
        exit_leaves: raw.exit_leaves,
        goals,
        reentry,
        start: raw.start,
        nodes,
        messages,
        segments,
        profile: fields(raw.profile)?,
        events,
        channels,
        quiet_hours,
        frequency,
        business_hours,
        compliance,
    })
}

fn record(r: RawRecord) -> Result<Record, String> {
    let evidence = serde_json::json!({
        "message": r.message, "channel": r.channel, "category": r.category, "consent": r.consent,
        "window_max_s": r.window_max_s, "window_s": r.window_s, "windows": r.windows, "form": r.form,
        "frequency": r.frequency, "quiet_hours": r.quiet_hours,
    });
    let consent = match r.consent.strip_prefix("consent(").and_then(|rest| rest.strip_suffix(')')) {
        Some(inner) => {
            let (channel, category) = inner.split_once(", ").ok_or("`consent` is not `consent(CHANNEL, CATEGORY)`")?;
            Some((channel.to_owned(), category.to_owned()))
        }
        None if r.consent.starts_with("not required") => None,
        None => return Err(format!("`consent` \"{}\" is not understood", r.consent)),
    };
    let deferred = r.quiet_hours.starts_with("deferred up to");
    if !deferred && !r.quiet_hours.starts_with("never held") && r.quiet_hours != "not applicable" {
        return Err(format!("`quiet_hours` \"{}\" is not understood", r.quiet_hours));
    }
    let evidence_json = evidence.to_string();
    Ok(Record { consent, deferred, form: r.form, evidence, evidence_json })
}

fn node_kind(
    node: &RawNode,
    messages: &BTreeMap<String, Message>,
    events: &BTreeMap<String, EventSpec>,
) -> Result<Kind, String> {
    fn need<T: Clone>(value: &Option<T>, name: &str) -> Result<T, String> {
        value.clone().ok_or_else(|| format!("lacks `{name}`"))
    }
    let message = || -> Result<String, String> {
        let name = need(&node.message, "message")?;
        if messages.contains_key(&name) {
            Ok(name)
        } else {
            Err(format!("sends `{name}`, which is not in `messages`"))
        }
    };
    let positive = |value: &Option<i64>, name: &str| duration(need(value, name)?, name, true);
    Ok(match node.kind.as_str() {
        "send" => Kind::Send { message: message()? },
        "ask" => Kind::Ask { message: message()?, timeout_s: positive(&node.timeout_s, "timeout_s")? },
        "wait" => Kind::Wait { duration_s: positive(&node.duration_s, "duration_s")? },
        "wait_until" => {
            let until = match (&node.time, &node.zone, &node.moment) {
                (Some(time), Some(zone_name), None) => {
                    let minute = time::parse_clock(time)
                        .filter(|m| *m < 1440)
                        .ok_or_else(|| format!("`time` {time:?} is not a time of day (00:00 to 23:59)"))?;
                    let zone = if zone_name == "recipient" { Zone::Recipient } else { zone(zone_name)? };
                    Until::Clock { minute, zone }
                }
                (None, None, Some(moment)) => Until::Moment(expr::parse(moment)?),
                _ => return Err("a `wait_until` node has either `time` and `zone`, or `moment`".to_owned()),
            };
            Kind::WaitUntil { until }
        }
        "wait_for" => {
            let names = need(&node.events, "events")?;
            for name in &names {
                if !events.contains_key(name) {
                    return Err(format!("waits for `{name}`, which is not in `events`"));
                }
            }
            Kind::WaitFor { events: names, within_s: positive(&node.within_s, "within_s")? }
        }
        "branch" => Kind::Branch {
            conditions: need(&node.conditions, "conditions")?.iter().map(expr::parse).collect::<Result<_, _>>()?,
        },
        "split" => {
            let shares = need(&node.shares, "shares")?;
            if shares.iter().sum::<u32>() != 100 || shares.iter().any(|s| *s > 100) {
                return Err("split shares do not add up to 100".to_owned());
            }
            Kind::Split { shares }
        }
        "handoff" => {
            Kind::Handoff { team: need(&node.team, "team")?, timeout_s: positive(&node.timeout_s, "timeout_s")? }
        }
        "consent_request" => {
            let category = need(&node.category, "category")?;
            if !CATEGORIES.contains(&category.as_str()) {
                return Err(format!("unknown category `{category}`"));
            }
            Kind::ConsentRequest {
                channel: need(&node.channel, "channel")?,
                category,
                message: message()?,
                timeout_s: positive(&node.timeout_s, "timeout_s")?,
            }
        }
        "consent_revoke" => {
            let category = need(&node.category, "category")?;
            if !CATEGORIES.contains(&category.as_str()) {
                return Err(format!("unknown category `{category}`"));
            }
            Kind::ConsentRevoke { channel: need(&node.channel, "channel")?, category }
        }
        "set" => Kind::Set { field: need(&node.field, "field")?, value: expr::parse(&need(&node.value, "value")?)? },
        "tag" => Kind::Tag { tag: need(&node.tag, "tag")? },
        "track" => Kind::Track { event: need(&node.event, "event")? },
        other => return Err(format!("unknown node kind `{other}`")),
    })
}

/// The edges each kind must have (§3.5), exactly.
fn check_edges(id: &str, node: &Node, messages: &BTreeMap<String, Message>) -> Result<(), String> {
    let labels: BTreeSet<&str> = node.next.keys().map(String::as_str).collect();
    let exactly = |expected: Vec<String>| {
        let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
        if labels == expected {
            Ok(())
        } else {
            Err(format!("node `{id}` has edges {labels:?}, expected {expected:?}"))
        }
    };
    let with_timeout = |mut outcomes: Vec<String>| {
        outcomes.push(TIMEOUT.to_owned());
        outcomes
    };
    match &node.kind {
        Kind::Send { .. }
        | Kind::Wait { .. }
        | Kind::WaitUntil { .. }
        | Kind::Set { .. }
        | Kind::Tag { .. }
        | Kind::Track { .. }
        | Kind::ConsentRevoke { .. } => exactly(vec!["next".to_owned()]),
        Kind::Branch { conditions } => {
            let mut expected = vec!["then".to_owned(), "else".to_owned()];
            expected.extend((1..conditions.len()).map(|k| format!("elif{k}")));
            exactly(expected)
        }
        Kind::Split { shares } => exactly((1..=shares.len()).map(|k| format!("p{k}")).collect()),
        Kind::WaitFor { events, .. } => exactly(with_timeout(events.clone())),
        Kind::Handoff { .. } => exactly(vec!["resolved".to_owned(), TIMEOUT.to_owned()]),
        Kind::ConsentRequest { .. } => exactly(vec!["granted".to_owned(), "declined".to_owned(), TIMEOUT.to_owned()]),
        Kind::Ask { message, .. } => {
            let mut outcomes: Vec<String> =
                messages.get(message).map(|m| m.outcomes.iter().cloned().collect()).unwrap_or_default();
            // `other` (an answer that matches no reply) is an edge only of an ask that takes it.
            if labels.contains(OTHER) {
                outcomes.push(OTHER.to_owned());
            }
            exactly(with_timeout(outcomes))
        }
    }
}

/// Every segment used exists, and no segment refers to itself through others.
fn check_segments(
    segments: &BTreeMap<String, Expr>,
    audience: &Option<Expr>,
    entry_where: &Option<Expr>,
    nodes: &BTreeMap<String, Node>,
    messages: &BTreeMap<String, Message>,
) -> Result<(), String> {
    let mut used = Vec::new();
    for e in audience.iter().chain(entry_where) {
        expr::segments_named(e, &mut used);
    }
    for node in nodes.values() {
        match &node.kind {
            Kind::Branch { conditions } => conditions.iter().for_each(|c| expr::segments_named(c, &mut used)),
            Kind::Set { value, .. } => expr::segments_named(value, &mut used),
            _ => {}
        }
    }
    for message in messages.values() {
        for text in message.subject.iter().chain(&message.body).chain(&message.other_texts) {
            expr::segments_named(&Expr::Text(text.clone()), &mut used);
        }
        for param in message.template.iter().flat_map(|t| t.params.values()) {
            expr::segments_named(param, &mut used);
        }
    }
    for segment in segments.values() {
        expr::segments_named(segment, &mut used);
    }
    if let Some(missing) = used.iter().find(|name| !segments.contains_key(*name)) {
        return Err(format!("segment `{missing}` is used but not in `segments`"));
    }
    // Depth-first search for a cycle: 0 unvisited, 1 on the stack, 2 done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for start in segments.keys() {
        let mut stack: Vec<(&str, Vec<String>)> = Vec::new();
        if state.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut named = Vec::new();
        if let Some(e) = segments.get(start) {
            expr::segments_named(e, &mut named);
        }
        state.insert(start, 1);
        stack.push((start, named));
        while let Some((name, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(next) => {
                    let Some((key, e)) = segments.get_key_value(&next) else { continue };
                    match state.get(key.as_str()).copied().unwrap_or(0) {
                        1 => return Err(format!("segment `{key}` refers to itself")),
                        2 => {}
                        _ => {
                            let mut named = Vec::new();
                            expr::segments_named(e, &mut named);
                            state.insert(key, 1);
                            stack.push((key, named));
                        }
                    }
                }
                None => {
                    state.insert(name, 2);
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

const MESSAGE_KEYS: [&str; 11] =
    ["channel", "category", "tag", "subject", "body", "replies", "buttons", "media", "cards", "list", "template"];

fn message(json: &Json) -> Result<Message, String> {
    let map = json.as_object().ok_or("must be an object")?;
    if let Some(extra) = map.keys().find(|k| !MESSAGE_KEYS.contains(&k.as_str())) {
        return Err(format!("unknown field `{extra}`"));
    }
    let string = |key: &str| map.get(key).and_then(Json::as_str).map(str::to_owned);
    let channel = string("channel").ok_or("lacks `channel`")?;
    let category = string("category").ok_or("lacks `category`")?;
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(format!("unknown category `{category}`"));
    }
    let text = |key: &str| map.get(key).map(expr::parse_text).transpose();
    let mut other_texts = Vec::new();
    let mut outcomes = BTreeSet::new();
    let mut buttons = |list: &Json, other_texts: &mut Vec<Vec<TextPart>>| -> Result<(), String> {
        for button in list.as_array().ok_or("buttons must be an array")? {
            let button = button.as_object().ok_or("a button must be an object")?;
            for (key, value) in button {
                match key.as_str() {
                    "title" | "url" => other_texts.push(expr::parse_text(value)?),
                    "outcome" => {
                        outcomes.insert(value.as_str().ok_or("an outcome must be a name")?.to_owned());
                    }
                    other => return Err(format!("unknown button field `{other}`")),
                }
            }
        }
        Ok(())
    };
    if let Some(replies) = map.get("replies") {
        buttons(replies, &mut other_texts)?;
    }
    if let Some(list) = map.get("buttons") {
        buttons(list, &mut other_texts)?;
    }
    for item in map.get("media").and_then(Json::as_array).into_iter().flatten() {
        let url = item.get("url").ok_or("a media item lacks `url`")?;
        other_texts.push(expr::parse_text(url)?);
    }
    for card in map.get("cards").and_then(Json::as_array).into_iter().flatten() {
        let card = card.as_object().ok_or("a card must be an object")?;
        for (key, value) in card {
            match key.as_str() {
                "buttons" => buttons(value, &mut other_texts)?,
                "title" | "subtitle" | "image" | "video" | "audio" | "file" => {
                    other_texts.push(expr::parse_text(value)?)
                }
                other => return Err(format!("unknown card field `{other}`")),
            }
        }
    }
    if let Some(list) = map.get("list") {
        list_texts_and_outcomes(list, &mut other_texts, &mut outcomes)?;
    }
    let template = match map.get("template") {
        None => None,
        Some(t) => {
            let name = t.get("name").and_then(Json::as_str).ok_or("a template lacks `name`")?.to_owned();
            let lang = t.get("lang").and_then(Json::as_str).ok_or("a template lacks `lang`")?.to_owned();
            let params = t
                .get("params")
                .and_then(Json::as_object)
                .ok_or("a template lacks `params`")?
                .iter()
                .map(|(k, v)| expr::parse(v).map(|e| (k.clone(), e)))
                .collect::<Result<_, _>>()?;
            Some(Template { name, lang, params })
        }
    };
    // An answer named like an ask's own edges could not be told from them (§9.1): the
    // compiler refuses such names (J0230), a hand-made bundle may still carry one.
    if let Some(reserved) = outcomes.iter().find(|o| *o == TIMEOUT || *o == OTHER) {
        return Err(format!("an answer's outcome is named `{reserved}`, the name of an ask's own edge"));
    }
    Ok(Message {
        channel,
        category,
        tag: string("tag"),
        subject: text("subject")?,
        body: text("body")?,
        other_texts,
        template,
        outcomes,
    })
}

/// A list message's list (§7): its texts, and its rows' outcomes, which answer like replies.
/// Anything but the fields §7 names is refused, as is a list without rows.
fn list_texts_and_outcomes(
    list: &Json,
    other_texts: &mut Vec<Vec<TextPart>>,
    outcomes: &mut BTreeSet<String>,
) -> Result<(), String> {
    let list = list.as_object().ok_or("a list must be an object")?;
    let mut has_rows = false;
    for (key, value) in list {
        match key.as_str() {
            "button" | "header" | "footer" => other_texts.push(expr::parse_text(value)?),
            "sections" => {
                for section in value.as_array().ok_or("a list's sections must be an array")? {
                    let section = section.as_object().ok_or("a list section must be an object")?;
                    for (key, value) in section {
                        match key.as_str() {
                            "title" => other_texts.push(expr::parse_text(value)?),
                            "rows" => {
                                for row in value.as_array().ok_or("a section's rows must be an array")? {
                                    let row = row.as_object().ok_or("a list row must be an object")?;
                                    if !row.contains_key("outcome") || !row.contains_key("title") {
                                        return Err("a list row needs `outcome` and `title`".to_owned());
                                    }
                                    for (key, value) in row {
                                        match key.as_str() {
                                            "title" | "description" => other_texts.push(expr::parse_text(value)?),
                                            "outcome" => {
                                                let outcome = value.as_str().ok_or("an outcome must be a name")?;
                                                outcomes.insert(outcome.to_owned());
                                                has_rows = true;
                                            }
                                            other => return Err(format!("unknown list row field `{other}`")),
                                        }
                                    }
                                }
                            }
                            other => return Err(format!("unknown list section field `{other}`")),
                        }
                    }
                }
            }
            other => return Err(format!("unknown list field `{other}`")),
        }
    }
    if !list.contains_key("button") {
        return Err("a list lacks `button`".to_owned());
    }
    if !has_rows {
        return Err("a list has no rows".to_owned());
    }
    Ok(())
}

impl Message {
    /// `free-form`, `template` or `tag NAME` (§10), when the compliance record does not say.
    pub fn form(&self) -> String {
        match (&self.template, &self.tag) {
            (Some(_), _) => "template".to_owned(),
            (None, Some(tag)) => format!("tag {tag}"),
            (None, None) => "free-form".to_owned(),
        }
    }
}
