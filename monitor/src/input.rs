//! The JSON Lines shapes of docs/simulate.md: contacts and events (what `journey simulate` reads),
//! the runtime's actions (what it writes), and the monitor's findings. Actions are parsed from
//! their JSON form, not taken from the runtime's types, so that any runtime's output can be
//! monitored.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// An instant, written as RFC 3339 (`2026-03-02T15:00:00Z`; docs/simulate.md, "Times").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub Timestamp);

impl Time {
    /// Seconds since the Unix epoch.
    pub fn seconds(self) -> i64 {
        self.0.as_second()
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn since(self, earlier: Time) -> i64 {
        self.seconds().saturating_sub(earlier.seconds())
    }
}

impl FromStr for Time {
    type Err = String;
    fn from_str(text: &str) -> Result<Time, String> {
        Timestamp::from_str(text).map(Time).map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whole seconds in UTC, as every time of docs/simulate.md is written.
        write!(f, "{}", self.0.strftime("%Y-%m-%dT%H:%M:%SZ"))
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        // Read where the text is, without copying it into a `String` first: every line of
        // every input has a time.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Time, E> {
                Time::from_str(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A consent store entry (docs/bundle.md §5): consent to `category` messages on `channel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub channel: String,
    pub category: String,
}

/// One line of `--contacts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub contact: String,
    #[serde(default)]
    pub profile: Map<String, Value>,
    /// Consents held before the first event.
    #[serde(default)]
    pub consent: Vec<ConsentEntry>,
}

/// One line of `--events`: a bundle event or one of the runtime events (`reply`,
/// `consent_granted`, `consent_revoked`, `handoff_resolved`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Time,
    pub contact: String,
    /// Empty for a profile update.
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// A profile update (`{"at", "contact", "profile"}`): the contact's profile takes these
    /// values from then on (its zone and country decide quiet hours and WA-US-MKT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Map<String, Value>>,
}

impl Event {
    /// A text field of the event, if it has one.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }
}

/// One line of the runtime's output. Only the fields the monitor reads are typed; the others
/// (`evidence`, `until`, ...) are accepted and ignored, so a runtime may add fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub at: Time,
    pub contact: String,
    pub journey: String,
    #[serde(default)]
    pub node: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `free-form`, `template` or `tag NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// The edge a `branch` took (`granted`, `declined`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The profile field a `set` wrote, and its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// What the monitor reports: a send that broke a rule when it was handed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub at: Time,
    pub contact: String,
    pub journey: String,
    pub node: Option<String>,
    /// Always `violation` today.
    pub action: String,
    /// A rule id of docs/rules.md, or for the project's own policy the diagnostic code of the
    /// static check of that policy (J0406 quiet hours, J0409 frequency caps).
    pub rule: String,
    pub message: String,
    pub reason: String,
}

impl Finding {
    /// The order of docs/simulate.md ("in time order"), made total so that output is
    /// deterministic: time, contact, journey, node, rule, then the rest.
    pub fn order(&self, other: &Finding) -> Ordering {
        (self.at, &self.contact, &self.journey, &self.node, &self.rule, &self.message, &self.reason).cmp(&(
            other.at,
            &other.contact,
            &other.journey,
            &other.node,
            &other.rule,
            &other.message,
            &other.reason,
        ))
    }
}

/// A line that is not what docs/simulate.md says it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for LineError {}

/// Parses JSON Lines: one object per line; blank lines (a trailing newline) are skipped.
pub fn parse_jsonl<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, LineError> {
    // Room for every line at once: the vector of a chunk's actions would otherwise be copied a
    // dozen times as it grows.
    let mut out = Vec::with_capacity(text.bytes().filter(|b| *b == b'\n').count() + 1);
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line).map_err(|e| LineError { line: index + 1, message: e.to_string() })?;
        out.push(item);
    }
    Ok(out)
}

/// Contacts of a `--contacts` file.
pub fn parse_contacts(text: &str) -> Result<Vec<Contact>, LineError> {
    parse_jsonl(text)
}

/// Events of an `--events` file.
pub fn parse_events(text: &str) -> Result<Vec<Event>, LineError> {
    parse_jsonl(text)
}

/// Actions of a runtime's `--format json` output. Lines that are findings (`"action":
/// "violation"`) are skipped, so the monitor can read `journey simulate`'s whole output.
pub fn parse_actions(text: &str) -> Result<Vec<Action>, LineError> {
    let actions: Vec<Action> = parse_jsonl(text)?;
    Ok(actions.into_iter().filter(|a| a.action != "violation").collect())
}

/// Findings as JSON Lines, one per line, each line ending in `\n`.
pub fn to_jsonl(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        // A Finding holds only strings and times: serialising it cannot fail.
        if let Ok(line) = serde_json::to_string(finding) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
