//! JSON Lines input (docs/simulate.md): contacts and events, validated in full against the
//! bundles' schemas before anything runs. Every error names the file and the line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value as Json;

use crate::bundle::Bundle;
use crate::expr::FieldSpec;
use crate::time;
use crate::value::{json_kind, Value};

/// The bounds on input (docs/simulate.md, "Limits"). A run holds all input in memory, so each is
/// bounded; the defaults are far beyond a simulation a person reads.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes per input file.
    pub max_bytes: usize,
    pub max_events: usize,
    pub max_contacts: usize,
}

pub const LIMITS: Limits = Limits { max_bytes: 64 << 20, max_events: 1_000_000, max_contacts: 100_000 };

/// The runtime events every project has (docs/simulate.md); a bundle may not declare them.
pub const RUNTIME_EVENTS: [&str; 4] = ["reply", "consent_granted", "consent_revoked", "handoff_resolved"];
const CATEGORIES: [&str; 4] = ["service", "utility", "marketing", "authentication"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// 1-based; `None` for the file as a whole.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: String,
    pub profile: BTreeMap<String, Value>,
    /// (channel, category) held before the first event.
    pub consent: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: i64,
    pub contact: String,
    pub name: String,
    pub fields: BTreeMap<String, Value>,
}

/// What input is checked against: the profile and the events of every bundle that runs.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub profile: BTreeMap<String, FieldSpec>,
    pub events: BTreeMap<String, BTreeMap<String, FieldSpec>>,
}

impl Schema {
    /// The union of the bundles' schemas; journeys of one project always agree, and bundles that
    /// disagree about a field's type cannot run together.
    pub fn of(bundles: &[Bundle]) -> Result<Schema, String> {
        let mut schema = Schema::default();
        for bundle in bundles {
            for (name, spec) in &bundle.profile {
                match schema.profile.get(name) {
                    Some(seen) if seen != spec => {
                        return Err(format!("journeys disagree on the profile field `{name}`"));
                    }
                    _ => {
                        schema.profile.insert(name.clone(), spec.clone());
                    }
                }
            }
            for (name, event) in &bundle.events {
                if RUNTIME_EVENTS.contains(&name.as_str()) {
                    return Err(format!(
                        "journey `{}` declares the event `{name}`, whose name simulate reserves for a runtime event",
                        bundle.journey
                    ));
                }
                match schema.events.get(name) {
                    Some(seen) if *seen != event.fields => {
                        return Err(format!("journeys disagree on the fields of the event `{name}`"));
                    }
                    _ => {
                        schema.events.insert(name.clone(), event.fields.clone());
                    }
                }
            }
        }
        Ok(schema)
    }
}

/// Splits JSON Lines, skipping blank lines, after checking the size limit.
fn lines<'a>(file: &str, text: &'a str, limits: &Limits) -> Result<impl Iterator<Item = (usize, &'a str)>, InputError> {
    if text.len() > limits.max_bytes {
        return Err(InputError {
            file: file.to_owned(),
            line: None,
            message: format!("is larger than the limit of {} bytes", limits.max_bytes),
        });
    }
    Ok(text.split('\n').enumerate().map(|(i, line)| (i + 1, line)).filter(|(_, line)| !line.trim().is_empty()))
}

fn object(file: &str, line: usize, text: &str) -> Result<serde_json::Map<String, Json>, InputError> {
    let error = |message: String| InputError { file: file.to_owned(), line: Some(line), message };
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(other) => Err(error(format!("expected a JSON object, found {}", json_kind(&other)))),
        Err(e) => Err(error(format!("not JSON: {e}"))),
    }
}

fn only(map: &serde_json::Map<String, Json>, keys: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(extra) => Err(format!("unknown field `{extra}` (expected {})", keys.join(", "))),
        None => Ok(()),
    }
}

fn text_field<'a>(map: &'a serde_json::Map<String, Json>, key: &str) -> Result<&'a str, String> {
    match map.get(key) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s),
        Some(Json::String(_)) => Err(format!("`{key}` is empty")),
        Some(other) => Err(format!("`{key}` must be a string, found {}", json_kind(other))),
        None => Err(format!("`{key}` is missing")),
    }
}

fn category(value: &str) -> Result<(), String> {
    if CATEGORIES.contains(&value) {
        Ok(())
    } else {
        Err(format!("unknown category `{value}` (expected service, utility, marketing or authentication)"))
    }
}

/// Reads a contacts file.
pub fn parse_contacts(file: &str, text: &str, schema: &Schema, limits: &Limits) -> Result<Vec<Contact>, InputError> {
    let mut contacts = Vec::new();
    let mut seen = BTreeSet::new();
    for (line, content) in lines(file, text, limits)? {
        let error = |message: String| InputError { file: file.to_owned(), line: Some(line), message };
        if contacts.len() >= limits.max_contacts {
            return Err(error(format!("more than {} contacts (the limit)", limits.max_contacts)));
        }
        let map = object(file, line, content)?;
        let contact = read_contact(&map, schema).map_err(error)?;
        if !seen.insert(contact.id.clone()) {
            return Err(error(format!("contact `{}` appears twice", contact.id)));
        }
        contacts.push(contact);
    }
    Ok(contacts)
}

/// One contact line's object, checked against the schema (what [`parse_contacts`] does with each
/// line, less the file's own checks).
pub fn read_contact(map: &serde_json::Map<String, Json>, schema: &Schema) -> Result<Contact, String> {
    only(map, &["contact", "profile", "consent"])?;
    let id = text_field(map, "contact")?.to_owned();
    let mut profile = BTreeMap::new();
    match map.get("profile") {
        None => {}
        Some(Json::Object(fields)) => {
            for (name, json) in fields {
                let spec = schema.profile.get(name).ok_or_else(|| format!("the profile has no field `{name}`"))?;
                if json.is_null() && spec.optional {
                    continue;
                }
                let value = spec.ty.read(json).map_err(|why| format!("profile field `{name}`: {why}"))?;
                profile.insert(name.clone(), value);
            }
        }
        Some(other) => return Err(format!("`profile` must be an object, found {}", json_kind(other))),
    }
    let mut consent = Vec::new();
    match map.get("consent") {
        None => {}
        Some(Json::Array(items)) => {
            for item in items {
                let entry = item.as_object().ok_or("each consent entry must be an object")?;
                only(entry, &["channel", "category"])?;
                let channel = text_field(entry, "channel")?;
                let kind = text_field(entry, "category")?;
                category(kind)?;
                consent.push((channel.to_owned(), kind.to_owned()));
            }
        }
        Some(other) => return Err(format!("`consent` must be an array, found {}", json_kind(other))),
    }
    Ok(Contact { id, profile, consent })
}

/// The name a profile update carries as an [`Event`]: not an identifier, so no declared event
/// can have it.
pub const PROFILE_UPDATE: &str = "@profile";

/// `{"at": ..., "contact": "c1", "profile": {"tier": "gold"}}`: from then on the contact's
/// profile has these values (the fields it does not name keep theirs), and the segments that
/// enter or end runs are evaluated again (docs/simulate.md). As an [`Event`] named
/// [`PROFILE_UPDATE`] whose fields are the profile fields.
fn read_profile_update(map: &serde_json::Map<String, Json>, schema: &Schema) -> Result<Event, String> {
    only(map, &["at", "contact", "profile"])?;
    let at = time::parse_utc(text_field(map, "at")?)?;
    let contact = text_field(map, "contact")?.to_owned();
    let raw = match map.get("profile") {
        Some(Json::Object(fields)) => fields,
        Some(other) => return Err(format!("`profile` must be an object, found {}", json_kind(other))),
        None => return Err("`profile` is missing".to_owned()),
    };
    let mut fields = BTreeMap::new();
    for (name, json) in raw {
        let spec = schema.profile.get(name).ok_or_else(|| format!("the profile has no field `{name}`"))?;
        if json.is_null() {
            return Err(format!("profile field `{name}`: a profile update sets values; it cannot remove one"));
        }
        let value = spec.ty.read(json).map_err(|why| format!("profile field `{name}`: {why}"))?;
        fields.insert(name.clone(), value);
    }
    Ok(Event { at, contact, name: PROFILE_UPDATE.to_owned(), fields })
}

/// Reads an events file. `contacts` is `Some` when a contacts file was given: every event must
/// then name one of them.
pub fn parse_events(
    file: &str,
    text: &str,
    schema: &Schema,
    contacts: Option<&BTreeSet<String>>,
    limits: &Limits,
) -> Result<Vec<Event>, InputError> {
    let mut events: Vec<Event> = Vec::new();
    for (line, content) in lines(file, text, limits)? {
        let error = |message: String| InputError { file: file.to_owned(), line: Some(line), message };
        if events.len() >= limits.max_events {
            return Err(error(format!("more than {} events (the limit)", limits.max_events)));
        }
        let map = object(file, line, content)?;
        let event = read_event(&map, schema).map_err(error)?;
        if let Some(known) = contacts {
            if !known.contains(&event.contact) {
                return Err(error(format!("unknown contact `{}`: it is not in the contacts file", event.contact)));
            }
        }
        if let Some(previous) = events.last() {
            if event.at < previous.at {
                return Err(error(format!(
                    "events must be in time order: {} is before the previous event's {}",
                    time::format_utc(event.at),
                    time::format_utc(previous.at)
                )));
            }
        }
        events.push(event);
    }
    Ok(events)
}

/// One event line's object, checked against the schema (what [`parse_events`] does with each
/// line, less the checks across lines).
pub fn read_event(map: &serde_json::Map<String, Json>, schema: &Schema) -> Result<Event, String> {
    if map.contains_key("profile") {
        return read_profile_update(map, schema);
    }
    only(map, &["at", "contact", "event", "fields"])?;
    let at = time::parse_utc(text_field(map, "at")?)?;
    let contact = text_field(map, "contact")?.to_owned();
    let name = text_field(map, "event")?.to_owned();
    let empty = serde_json::Map::new();
    let raw = match map.get("fields") {
        None => &empty,
        Some(Json::Object(fields)) => fields,
        Some(other) => return Err(format!("`fields` must be an object, found {}", json_kind(other))),
    };
    let fields = match name.as_str() {
        "reply" => runtime_fields(raw, &[("channel", true), ("outcome", false), ("text", false)])?,
        "consent_granted" => runtime_fields(raw, &[("channel", true), ("category", true)])?,
        "consent_revoked" => runtime_fields(raw, &[("channel", true), ("category", false)])?,
        "handoff_resolved" => runtime_fields(raw, &[("team", false)])?,
        // An opt-out changes the consent store even when no journey that runs names it (§5);
        // its fields are not read.
        revocation
            if !schema.events.contains_key(revocation)
                && crate::rules::REVOCATIONS.iter().any(|(e, _, _)| *e == revocation) =>
        {
            BTreeMap::new()
        }
        _ => {
            let spec = schema.events.get(&name).ok_or_else(|| {
                format!(
                    "unknown event `{name}`: no journey declares it and it is not a runtime event ({})",
                    RUNTIME_EVENTS.join(", ")
                )
            })?;
            let mut fields = BTreeMap::new();
            for (field, json) in raw {
                let field_spec = spec.get(field).ok_or_else(|| format!("the event `{name}` has no field `{field}`"))?;
                if json.is_null() && field_spec.optional {
                    continue;
                }
                let value = field_spec.ty.read(json).map_err(|why| format!("field `{field}`: {why}"))?;
                fields.insert(field.clone(), value);
            }
            if let Some((missing, _)) = spec.iter().find(|(f, s)| !s.optional && !fields.contains_key(*f)) {
                return Err(format!("the event `{name}` lacks its required field `{missing}`"));
            }
            fields
        }
    };
    Ok(Event { at, contact, name, fields })
}

/// The text fields of a runtime event: `(name, required)`.
fn runtime_fields(
    raw: &serde_json::Map<String, Json>,
    allowed: &[(&str, bool)],
) -> Result<BTreeMap<String, Value>, String> {
    let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
    only(raw, &names).map_err(|why| format!("in `fields`: {why}"))?;
    let mut fields = BTreeMap::new();
    for (name, required) in allowed {
        match raw.get(*name) {
            None if *required => return Err(format!("`fields.{name}` is missing")),
            None => {}
            Some(_) => {
                let value = text_field(raw, name).map_err(|why| format!("in `fields`: {why}"))?;
                if *name == "category" {
                    category(value)?;
                }
                fields.insert((*name).to_owned(), Value::Text(value.to_owned()));
            }
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::FieldType;

    fn schema() -> Schema {
        let spec = |ty, optional| FieldSpec { ty, optional };
        Schema {
            profile: [
                ("timezone".to_owned(), spec(FieldType::TimeZone, false)),
                ("age".to_owned(), spec(FieldType::Int, true)),
            ]
            .into(),
            events: [("cart_abandoned".to_owned(), [("items".to_owned(), spec(FieldType::Int, false))].into())].into(),
        }
    }

    /// (events file, the error expected, exactly).
    const BAD_EVENTS: &[(&str, &str)] = &[
        ("{\"at\":", "e.jsonl:1: not JSON: EOF while parsing a value at line 1 column 6"),
        ("[1]", "e.jsonl:1: expected a JSON object, found an array"),
        (r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"nope"}"#, "e.jsonl:1: unknown event `nope`: no journey declares it and it is not a runtime event (reply, consent_granted, consent_revoked, handoff_resolved)"),
        (r#"{"at":"2026-03-02T15:00:00Z","contact":"c9","event":"reply","fields":{"channel":"sms"}}"#, "e.jsonl:1: unknown contact `c9`: it is not in the contacts file"),
        (r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"cart_abandoned","fields":{"items":"3"}}"#, "e.jsonl:1: field `items`: expected a whole number, found a string"),
        (r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"cart_abandoned"}"#, "e.jsonl:1: the event `cart_abandoned` lacks its required field `items`"),
        (r#"{"at":"1900-01-01T00:00:00Z","contact":"c1","event":"reply","fields":{"channel":"sms"}}"#, "e.jsonl:1: time \"1900-01-01T00:00:00Z\" is out of range (1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z)"),
        (r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"reply","fields":{"channel":"sms"},"extra":1}"#, "e.jsonl:1: unknown field `extra` (expected at, contact, event, fields)"),
        ("{\"at\":\"2026-03-02T15:00:00Z\",\"contact\":\"c1\",\"event\":\"reply\",\"fields\":{\"channel\":\"sms\"}}\n\n{\"at\":\"2026-03-02T14:00:00Z\",\"contact\":\"c1\",\"event\":\"reply\",\"fields\":{\"channel\":\"sms\"}}", "e.jsonl:3: events must be in time order: 2026-03-02T14:00:00Z is before the previous event's 2026-03-02T15:00:00Z"),
        (r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"consent_granted","fields":{"channel":"sms","category":"spam"}}"#, "e.jsonl:1: unknown category `spam` (expected service, utility, marketing or authentication)"),
        (r#"{"at":1,"contact":"c1","event":"reply"}"#, "e.jsonl:1: `at` must be a string, found a number"),
    ];

    #[test]
    fn hostile_event_lines_give_the_file_the_line_and_what_is_wrong() {
        let known: BTreeSet<String> = ["c1".to_owned()].into();
        for (text, expected) in BAD_EVENTS {
            let error = parse_events("e.jsonl", text, &schema(), Some(&known), &LIMITS).unwrap_err();
            assert_eq!(error.to_string(), *expected, "{text}");
        }
    }

    #[test]
    fn contacts_are_checked_against_the_profile_schema() {
        let cases = [
            (r#"{"contact":"c1","profile":{"shoe":"x"}}"#, "c.jsonl:1: the profile has no field `shoe`"),
            (
                r#"{"contact":"c1","profile":{"age":"x"}}"#,
                "c.jsonl:1: profile field `age`: expected a whole number, found a string",
            ),
            ("{\"contact\":\"c1\"}\n{\"contact\":\"c1\"}", "c.jsonl:2: contact `c1` appears twice"),
            (r#"{"contact":""}"#, "c.jsonl:1: `contact` is empty"),
            (r#"{"contact":"c1","consent":[{"channel":"sms"}]}"#, "c.jsonl:1: `category` is missing"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_contacts("c.jsonl", text, &schema(), &LIMITS).unwrap_err().to_string(),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn the_size_and_count_limits_are_enforced() {
        let small = Limits { max_bytes: 10, max_events: 1, max_contacts: 1 };
        let text = "{\"contact\":\"c1\"}";
        assert_eq!(
            parse_contacts("c.jsonl", text, &schema(), &small).unwrap_err().to_string(),
            "c.jsonl: is larger than the limit of 10 bytes"
        );
        let small = Limits { max_bytes: 1000, ..small };
        let two = "{\"contact\":\"c1\"}\n{\"contact\":\"c2\"}\n";
        assert_eq!(
            parse_contacts("c.jsonl", two, &schema(), &small).unwrap_err().to_string(),
            "c.jsonl:2: more than 1 contacts (the limit)"
        );
        let line = r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"reply","fields":{"channel":"sms"}}"#;
        let events = format!("{line}\n{line}\n");
        assert_eq!(
            parse_events("e.jsonl", &events, &schema(), None, &small).unwrap_err().to_string(),
            "e.jsonl:2: more than 1 events (the limit)"
        );
    }
}
