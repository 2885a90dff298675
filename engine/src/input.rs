//! Input lines and bodies (docs/deploy.md, "Input"): an event in `journey simulate --events`'s
//! shape with `at` optional, or a contact in contacts.jsonl's shape (with an optional `at`).
//! Each is read into JSON here, bounded; the schema checks are the runtime's own readers.

use serde_json::{Map, Value as Json};

/// The bounds on input; every one gives a 4xx (or a logged, skipped line on standard input).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Bytes of one line, or of one HTTP body.
    pub max_bytes: usize,
    /// Lines of one HTTP body (one transaction).
    pub max_batch: usize,
    /// Events one contact may have: every replay reads them all.
    pub max_events_per_contact: usize,
    /// Bytes of a contact id.
    pub max_id_bytes: usize,
    /// How far before now a new contact may begin (its record's or first event's `at`): its
    /// scheduled entries fire from then on, so a contact dated years back would enter every
    /// daily broadcast since, at once.
    pub max_backdate_s: i64,
}

pub const BOUNDS: Bounds = Bounds {
    max_bytes: 1 << 20,
    max_batch: 10_000,
    max_events_per_contact: 10_000,
    max_id_bytes: 256,
    max_backdate_s: 7 * 86_400,
};

/// One line of input.
#[derive(Debug, Clone)]
pub enum Input {
    /// An event (it has `event`), or a profile update with `at` and `profile` only for a known
    /// contact: the runtime's event shape.
    Event(Map<String, Json>),
    /// A contact line: a new contact's record, or a known contact's profile update.
    Contact(Map<String, Json>),
}

impl Input {
    pub fn contact(&self) -> &str {
        let map = match self {
            Input::Event(map) | Input::Contact(map) => map,
        };
        map.get("contact").and_then(Json::as_str).unwrap_or("")
    }
}

/// Bad input: what is wrong, and the HTTP status that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

impl Refused {
    pub fn new(status: u16, message: impl Into<String>) -> Refused {
        Refused { status, message: message.into() }
    }
}

/// Reads one line: a JSON object with a `contact`, then an event if it names one.
pub fn read_line(text: &str, bounds: &Bounds) -> Result<Input, Refused> {
    if text.len() > bounds.max_bytes {
        return Err(Refused::new(413, format!("a line is larger than the limit of {} bytes", bounds.max_bytes)));
    }
    let map = match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(map)) => map,
        Ok(_) => return Err(Refused::new(400, "expected a JSON object")),
        Err(e) => return Err(Refused::new(400, format!("not JSON: {e}"))),
    };
    match map.get("contact") {
        Some(Json::String(id)) if id.is_empty() => return Err(Refused::new(422, "`contact` is empty")),
        Some(Json::String(id)) if id.len() > bounds.max_id_bytes => {
            return Err(Refused::new(422, format!("`contact` is longer than {} bytes", bounds.max_id_bytes)))
        }
        Some(Json::String(_)) => {}
        Some(_) => return Err(Refused::new(422, "`contact` must be a string")),
        None => return Err(Refused::new(422, "`contact` is missing")),
    }
    if let Some(at) = map.get("at") {
        if !at.is_string() {
            return Err(Refused::new(422, "`at` must be a string such as \"2026-03-02T15:00:00Z\""));
        }
    }
    if map.contains_key("event") {
        Ok(Input::Event(map))
    } else {
        Ok(Input::Contact(map))
    }
}

/// Reads a body of JSON Lines (one object is one line), bounded.
pub fn read_body(body: &str, bounds: &Bounds) -> Result<Vec<Input>, Refused> {
    let mut inputs = Vec::new();
    let several = body.split('\n').filter(|l| !l.trim().is_empty()).nth(1).is_some();
    for (n, line) in body.split('\n').enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if inputs.len() >= bounds.max_batch {
            return Err(Refused::new(413, format!("more than {} lines in one request", bounds.max_batch)));
        }
        // A line number only where there are several lines to tell apart.
        let input = read_line(line, bounds).map_err(|r| match several {
            true => Refused::new(r.status, format!("line {}: {}", n + 1, r.message)),
            false => r,
        })?;
        inputs.push(input);
    }
    if inputs.is_empty() {
        return Err(Refused::new(400, "the body holds no JSON object"));
    }
    Ok(inputs)
}
