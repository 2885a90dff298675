//! The traffic description of a population simulation (docs/simulate.md, "Population"): a small
//! JSON file saying how many of which events a made-up population sends, what their profiles and
//! consents look like, in which zones they live and how they answer questions. It is read and
//! checked against the bundles' schemas here, before anything is generated, so a mistake names
//! the file and the field rather than surfacing later as a bad generated line.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value as Json};

use crate::io::{self, Schema, LIMITS, RUNTIME_EVENTS};
use crate::time;
use crate::value::{json_kind, FieldType};

/// Bounds that keep a population's input within what one run holds: each is far beyond a
/// description a person writes.
const MAX_DAYS: i64 = 3660;
const MAX_RATE: f64 = 100.0;
const MAX_CHOICES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficError {
    pub file: String,
    /// 1-based, for JSON syntax errors; field errors name the field instead.
    pub line: Option<(usize, usize)>,
    /// Where in the document, e.g. `events[0].fields.items`; empty for the document itself.
    pub field: String,
    pub message: String,
}

impl fmt::Display for TrafficError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.field.is_empty()) {
            (Some((line, column)), _) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            (None, true) => write!(f, "{}: {}", self.file, self.message),
            (None, false) => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

/// How one value is drawn. Text values may contain `{contact}`, replaced by the contact's id.
#[derive(Debug, Clone, PartialEq)]
pub enum Gen {
    Fixed(Json),
    /// Values with whole-number weights.
    OneOf(Vec<(Json, u64)>),
    /// A whole number between the bounds, both included.
    Between(i64, i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRate {
    pub event: String,
    /// The mean number of these events per contact over the period (Poisson).
    pub per_contact: f64,
    pub fields: Vec<(String, Gen)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub after: String,
    pub event: String,
    pub probability: f64,
    /// The follow-up comes 1..=within_s seconds after the event it follows.
    pub within_s: i64,
    pub fields: Vec<(String, Gen)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    pub start: i64,
    pub span_s: i64,
    /// The profile field that holds the zone (the first `timezone` field of the schema), and the
    /// zones with their weights.
    pub zones: Option<(String, Vec<(String, u64)>)>,
    pub profile: Vec<(String, Gen)>,
    /// ((channel, category), probability that a contact holds it).
    pub consent: Vec<((String, String), f64)>,
    pub events: Vec<EventRate>,
    pub follow_ups: Vec<FollowUp>,
    /// message -> [(outcome, probability)]: how contacts answer an `ask` or consent request that
    /// sent the message. What is left of 1 is no answer (the wait times out).
    pub replies: BTreeMap<String, Vec<(String, f64)>>,
    pub reply_within_s: i64,
}

struct Reader<'a> {
    file: &'a str,
    schema: &'a Schema,
}

type Fail = (String, String);

fn fail(field: impl Into<String>, message: impl Into<String>) -> Fail {
    (field.into(), message.into())
}

impl Reader<'_> {
    fn only(&self, map: &Map<String, Json>, at: &str, keys: &[&str]) -> Result<(), Fail> {
        match map.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(extra) => Err(fail(at, format!("unknown field `{extra}` (expected {})", keys.join(", ")))),
            None => Ok(()),
        }
    }

    fn object<'j>(&self, json: &'j Json, at: &str) -> Result<&'j Map<String, Json>, Fail> {
        json.as_object().ok_or_else(|| fail(at, format!("must be an object, found {}", json_kind(json))))
    }

    fn text<'j>(&self, json: &'j Json, at: &str) -> Result<&'j str, Fail> {
        match json {
            Json::String(s) if !s.is_empty() => Ok(s),
            Json::String(_) => Err(fail(at, "is empty")),
            other => Err(fail(at, format!("must be a string, found {}", json_kind(other)))),
        }
    }

    fn probability(&self, json: &Json, at: &str) -> Result<f64, Fail> {
        match json.as_f64() {
            Some(p) if (0.0..=1.0).contains(&p) => Ok(p),
            _ => Err(fail(at, format!("must be a probability from 0 to 1, found {json}"))),
        }
    }

    fn seconds(&self, json: &Json, at: &str) -> Result<i64, Fail> {
        match json.as_i64() {
            Some(s) if (1..=MAX_DAYS * 86_400).contains(&s) => Ok(s),
            _ => Err(fail(
                at,
                format!("must be a whole number of seconds from 1 to {}, found {json}", MAX_DAYS * 86_400),
            )),
        }
    }

    fn weight(&self, json: &Json, at: &str) -> Result<u64, Fail> {
        match json.as_u64() {
            Some(w) if w <= u64::from(u32::MAX) => Ok(w),
            _ => Err(fail(at, format!("a weight must be a whole number from 0 to {}, found {json}", u32::MAX))),
        }
    }

    /// A generator, each of whose values `check` accepts.
    fn gen(&self, json: &Json, at: &str, check: &dyn Fn(&Json) -> Result<(), String>) -> Result<Gen, Fail> {
        let gen = match json.as_object() {
            Some(map) if map.len() == 1 && map.contains_key("one_of") => {
                let mut choices = Vec::new();
                let at = format!("{at}.one_of");
                match map.get("one_of") {
                    Some(Json::Object(options)) => {
                        for (value, weight) in options {
                            choices.push((Json::String(value.clone()), self.weight(weight, &format!("{at}.{value}"))?));
                        }
                    }
                    Some(Json::Array(options)) => {
                        for (i, pair) in options.iter().enumerate() {
                            match pair.as_array().map(Vec::as_slice) {
                                Some([value, weight]) => {
                                    choices.push((value.clone(), self.weight(weight, &format!("{at}[{i}]"))?));
                                }
                                _ => return Err(fail(format!("{at}[{i}]"), "must be a pair [value, weight]")),
                            }
                        }
                    }
                    _ => {
                        return Err(fail(
                            at,
                            "must be an object of text values to weights or an array of [value, weight] pairs",
                        ))
                    }
                }
                if choices.is_empty() || choices.len() > MAX_CHOICES || choices.iter().all(|(_, w)| *w == 0) {
                    return Err(fail(at, format!("needs 1 to {MAX_CHOICES} values and a weight above 0")));
                }
                Gen::OneOf(choices)
            }
            Some(map) if map.len() == 1 && map.contains_key("between") => {
                let bounds = map.get("between").and_then(Json::as_array).map(Vec::as_slice);
                match bounds {
                    Some([lo, hi]) => match (lo.as_i64(), hi.as_i64()) {
                        (Some(lo), Some(hi)) if lo <= hi => Gen::Between(lo, hi),
                        _ => {
                            return Err(fail(
                                format!("{at}.between"),
                                "must be [low, high], whole numbers, low <= high",
                            ))
                        }
                    },
                    _ => return Err(fail(format!("{at}.between"), "must be [low, high], whole numbers, low <= high")),
                }
            }
            _ => Gen::Fixed(json.clone()),
        };
        let samples: Vec<Json> = match &gen {
            Gen::Fixed(value) => vec![value.clone()],
            Gen::OneOf(choices) => choices.iter().map(|(v, _)| v.clone()).collect(),
            Gen::Between(lo, hi) => vec![Json::from(*lo), Json::from(*hi)],
        };
        for sample in samples {
            check(&substitute(&sample, "p1")).map_err(|why| fail(at, why))?;
        }
        Ok(gen)
    }

    fn fields(&self, json: Option<&Json>, at: &str, event: &str) -> Result<Vec<(String, Gen)>, Fail> {
        let empty = Map::new();
        let map = match json {
            None => &empty,
            Some(json) => self.object(json, &format!("{at}.fields"))?,
        };
        let mut out = Vec::new();
        match self.schema.events.get(event) {
            Some(spec) => {
                for (name, value) in map {
                    let field = format!("{at}.fields.{name}");
                    let Some(field_spec) = spec.get(name) else {
                        return Err(fail(field, format!("the event `{event}` has no field `{name}`")));
                    };
                    let ty = field_spec.ty.clone();
                    out.push((name.clone(), self.gen(value, &field, &|v| ty.read(v).map(|_| ()))?));
                }
                if let Some((missing, _)) = spec.iter().find(|(f, s)| !s.optional && !map.contains_key(*f)) {
                    return Err(fail(
                        format!("{at}.fields"),
                        format!("the event `{event}` needs its required field `{missing}`"),
                    ));
                }
            }
            None => {
                // A runtime event or an opt-out: the runtime's own reader checks a sample line,
                // so the rules are exactly those of an events file.
                for (name, value) in map {
                    out.push((name.clone(), self.gen(value, &format!("{at}.fields.{name}"), &|_| Ok(()))?));
                }
                let fields: Map<String, Json> = out.iter().map(|(name, gen)| (name.clone(), first(gen))).collect();
                let line = serde_json::json!({"at": "2026-01-01T00:00:00Z", "contact": "p1", "event": event, "fields": fields});
                io::parse_events(self.file, &line.to_string(), self.schema, None, &LIMITS).map_err(|e| {
                    let message = if RUNTIME_EVENTS.contains(&event) {
                        e.message
                    } else {
                        format!("unknown event `{event}`: no journey declares it and it is not a runtime event")
                    };
                    fail(at, message)
                })?;
            }
        }
        Ok(out)
    }

    fn read(&self, json: &Json) -> Result<Traffic, Fail> {
        let top = self.object(json, "")?;
        self.only(
            top,
            "",
            &["start", "days", "zones", "profile", "consent", "events", "follow_ups", "replies", "reply_within_s"],
        )?;
        let start = match top.get("start") {
            Some(json) => time::parse_utc(self.text(json, "start")?).map_err(|why| fail("start", why))?,
            None => return Err(fail("start", "is missing (an RFC 3339 time in UTC, e.g. 2026-03-02T00:00:00Z)")),
        };
        let days = match top.get("days") {
            Some(json) => match json.as_i64() {
                Some(d) if (1..=MAX_DAYS).contains(&d) => d,
                _ => return Err(fail("days", format!("must be a whole number from 1 to {MAX_DAYS}, found {json}"))),
            },
            None => return Err(fail("days", "is missing")),
        };
        let span_s = days * 86_400;
        // Follow-ups and replies come after the period: leave room for them below the runtime's
        // last time.
        let latest = time::parse_utc("8990-01-01T00:00:00Z").unwrap_or(0);
        if start.saturating_add(span_s) > latest {
            return Err(fail("days", "the period ends after 8990-01-01"));
        }
        let zones = match top.get("zones") {
            None => None,
            Some(json) => {
                let map = self.object(json, "zones")?;
                let Some((field, _)) = self.schema.profile.iter().find(|(_, s)| s.ty == FieldType::TimeZone) else {
                    return Err(fail("zones", "the profile has no field of type `timezone` to hold the zone"));
                };
                let mut zones = Vec::new();
                for (zone, weight) in map {
                    if time::zone(zone).is_none() {
                        return Err(fail(format!("zones.{zone}"), format!("unknown time zone `{zone}`")));
                    }
                    zones.push((zone.clone(), self.weight(weight, &format!("zones.{zone}"))?));
                }
                if zones.iter().all(|(_, w)| *w == 0) {
                    return Err(fail("zones", "needs a zone with a weight above 0"));
                }
                Some((field.clone(), zones))
            }
        };
        let mut profile = Vec::new();
        if let Some(json) = top.get("profile") {
            for (name, value) in self.object(json, "profile")? {
                let at = format!("profile.{name}");
                let Some(spec) = self.schema.profile.get(name) else {
                    return Err(fail(at, format!("the profile has no field `{name}`")));
                };
                if zones.as_ref().is_some_and(|(field, _)| field == name) {
                    return Err(fail(at, "is drawn from `zones`; give it there"));
                }
                let ty = spec.ty.clone();
                profile.push((name.clone(), self.gen(value, &at, &|v| ty.read(v).map(|_| ()))?));
            }
        }
        let mut consent = Vec::new();
        if let Some(json) = top.get("consent") {
            for (key, p) in self.object(json, "consent")? {
                let at = format!("consent.{key}");
                let Some((channel, category)) = key.split_once('/') else {
                    return Err(fail(at, "the key must be CHANNEL/CATEGORY, e.g. sms/marketing"));
                };
                if !["service", "utility", "marketing", "authentication"].contains(&category) || channel.is_empty() {
                    return Err(fail(
                        at,
                        format!(
                            "unknown category `{category}` (expected service, utility, marketing or authentication)"
                        ),
                    ));
                }
                consent.push(((channel.to_owned(), category.to_owned()), self.probability(p, &at)?));
            }
        }
        let mut events = Vec::new();
        match top.get("events") {
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("events[{i}]");
                    let map = self.object(item, &at)?;
                    self.only(map, &at, &["event", "per_contact", "fields"])?;
                    let event = self.text(map.get("event").unwrap_or(&Json::Null), &format!("{at}.event"))?.to_owned();
                    let per_contact = match map.get("per_contact").and_then(Json::as_f64) {
                        Some(r) if (0.0..=MAX_RATE).contains(&r) => r,
                        _ => {
                            return Err(fail(
                                format!("{at}.per_contact"),
                                format!("must be a number from 0 to {MAX_RATE}"),
                            ))
                        }
                    };
                    let fields = self.fields(map.get("fields"), &at, &event)?;
                    events.push(EventRate { event, per_contact, fields });
                }
            }
            Some(other) => return Err(fail("events", format!("must be an array, found {}", json_kind(other)))),
            None => return Err(fail("events", "is missing: the population needs events to enter journeys")),
        }
        let mut follow_ups = Vec::new();
        match top.get("follow_ups") {
            None => {}
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("follow_ups[{i}]");
                    let map = self.object(item, &at)?;
                    self.only(map, &at, &["after", "event", "probability", "within_s", "fields"])?;
                    let after = self.text(map.get("after").unwrap_or(&Json::Null), &format!("{at}.after"))?.to_owned();
                    if !events.iter().any(|e| e.event == after) {
                        return Err(fail(format!("{at}.after"), format!("no entry of `events` sends `{after}`")));
                    }
                    let event = self.text(map.get("event").unwrap_or(&Json::Null), &format!("{at}.event"))?.to_owned();
                    let probability =
                        self.probability(map.get("probability").unwrap_or(&Json::Null), &format!("{at}.probability"))?;
                    let within_s =
                        self.seconds(map.get("within_s").unwrap_or(&Json::Null), &format!("{at}.within_s"))?;
                    let fields = self.fields(map.get("fields"), &at, &event)?;
                    follow_ups.push(FollowUp { after, event, probability, within_s, fields });
                }
            }
            Some(other) => return Err(fail("follow_ups", format!("must be an array, found {}", json_kind(other)))),
        }
        let mut replies = BTreeMap::new();
        if let Some(json) = top.get("replies") {
            for (message, outcomes) in self.object(json, "replies")? {
                let at = format!("replies.{message}");
                let mut list = Vec::new();
                let mut total = 0.0;
                for (outcome, p) in self.object(outcomes, &at)? {
                    let p = self.probability(p, &format!("{at}.{outcome}"))?;
                    total += p;
                    list.push((outcome.clone(), p));
                }
                if total > 1.0 + 1e-9 {
                    return Err(fail(at, format!("the probabilities add up to {total}, more than 1")));
                }
                replies.insert(message.clone(), list);
            }
        }
        let reply_within_s = match top.get("reply_within_s") {
            None => 3600,
            Some(json) => self.seconds(json, "reply_within_s")?,
        };
        Ok(Traffic { start, span_s, zones, profile, consent, events, follow_ups, replies, reply_within_s })
    }
}

/// The first value a generator can give (for checking a sample).
fn first(gen: &Gen) -> Json {
    match gen {
        Gen::Fixed(value) => value.clone(),
        Gen::OneOf(choices) => choices.first().map(|(v, _)| v.clone()).unwrap_or(Json::Null),
        Gen::Between(lo, _) => Json::from(*lo),
    }
}

/// Replaces `{contact}` in every string of a value by the contact's id.
pub fn substitute(json: &Json, contact: &str) -> Json {
    match json {
        Json::String(s) if s.contains("{contact}") => Json::String(s.replace("{contact}", contact)),
        Json::Array(items) => Json::Array(items.iter().map(|v| substitute(v, contact)).collect()),
        Json::Object(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), substitute(v, contact))).collect()),
        other => other.clone(),
    }
}

/// Reads and checks a traffic description against the schemas of the bundles that run.
pub fn parse(file: &str, text: &str, schema: &Schema) -> Result<Traffic, TrafficError> {
    let json: Json = serde_json::from_str(text).map_err(|e| TrafficError {
        file: file.to_owned(),
        line: Some((e.line(), e.column())),
        field: String::new(),
        // The position is in the prefix already; serde_json repeats it at the end.
        message: format!("not JSON: {}", e.to_string().split(" at line ").next().unwrap_or_default()),
    })?;
    Reader { file, schema }.read(&json).map_err(|(field, message)| TrafficError {
        file: file.to_owned(),
        line: None,
        field,
        message,
    })
}
