//! The monitor's view of the bundles (docs/bundle.md §2): only what the rules need. Messages
//! (channel, category, form, text), the nodes that ask for consent, channels, the events schema
//! (which events are messages from the contact and the window they open), the profile schema (the
//! recipient's time zone field) and the policies. The flow itself (edges, conditions, the
//! compliance records' proofs) is never read: the monitor judges what happened, not what the
//! compiler proved.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Every journey of the bundles, and the channels and events they declare (a project's channels
/// and events are shared by its journeys, so they are merged by name; the first wins).
#[derive(Debug, Clone, Default)]
pub struct Bundles {
    pub journeys: BTreeMap<String, Journey>,
    pub channels: BTreeMap<String, Channel>,
    pub events: BTreeMap<String, EventSchema>,
}

#[derive(Debug, Clone, Default)]
pub struct Journey {
    pub name: String,
    pub messages: BTreeMap<String, Message>,
    pub nodes: BTreeMap<String, Node>,
    /// Profile field name to its type (`timezone`, `url`, ...).
    pub profile: BTreeMap<String, String>,
    pub policies: Policies,
}

impl Journey {
    /// The profile field that holds the recipient's zone (docs/bundle.md §4.1: the field of type
    /// `timezone`); the first by name when several are declared.
    pub fn zone_field(&self) -> Option<&str> {
        self.profile.iter().find(|(_, t)| t.as_str() == "timezone").map(|(name, _)| name.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Channel {
    pub window_s: Option<u64>,
    #[serde(default)]
    pub template_required_outside_window: bool,
    #[serde(default)]
    pub tags: BTreeMap<String, Tag>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub medium: String,
}

impl Channel {
    /// Phone texts: the medium, not the name, decides that quiet-hour laws, STOP handling and
    /// opt-out wording apply (docs/bundle.md §4.3, docs/channels.md).
    pub fn is_phone_text(&self) -> bool {
        matches!(self.medium.as_str(), "sms" | "mms" | "rcs")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    #[serde(default)]
    pub allows: Vec<String>,
    pub within_s: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventSchema {
    /// Field name to type.
    #[serde(default, deserialize_with = "field_types")]
    pub fields: BTreeMap<String, String>,
    /// The channel on which this event is a message from the contact.
    #[serde(default)]
    pub inbound: Option<String>,
    /// The window it opens when not its channel's own (an ad reply's 7 days).
    #[serde(default)]
    pub window_s: Option<u64>,
    /// `1`: that window allows one message (a private reply to a comment).
    #[serde(default)]
    pub replies: Option<u64>,
}

/// How a message goes out on its channel (docs/bundle.md §10 `form`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    FreeForm,
    Template,
    Tag(String),
}

impl Form {
    /// The form as a send action writes it (`free-form`, `template`, `tag NAME`).
    pub fn parse(text: &str) -> Form {
        match text.strip_prefix("tag ") {
            Some(tag) => Form::Tag(tag.trim().to_owned()),
            None if text == "template" => Form::Template,
            None => Form::FreeForm,
        }
    }
}

/// A part of a text (docs/bundle.md §7): literal, or a field whose value the monitor never sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    Field { name: String, scope: String },
}

pub type Text = Vec<Part>;

#[derive(Debug, Clone)]
pub struct Button {
    pub title: Text,
    /// Set for a link button.
    pub url: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub channel: String,
    pub category: String,
    pub form: Form,
    pub subject: Option<Text>,
    pub body: Option<Text>,
    pub buttons: Vec<Button>,
}

/// A node, as far as the monitor cares: its kind and, for a consent request, what it asks for.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    pub kind: String,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub quiet_hours: Option<QuietHours>,
    pub frequency: Vec<Cap>,
    pub jurisdiction: Vec<String>,
}

/// The policy's quiet hours: periods, each on some weekdays, read on the local clock of the day
/// of the moment (docs/bundle.md §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    pub periods: Vec<WeekPeriod>,
    /// `recipient` or an IANA zone name.
    pub zone: String,
}

/// `[from, to)` in minutes after local midnight, wrapping past midnight when `to <= from`, on the
/// weekdays marked (Monday first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekPeriod {
    pub days: [bool; 7],
    pub from: u32,
    pub to: u32,
    /// As the bundle wrote it, for messages: `21:00..08:00` or `sun 21:00..12:00`.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cap {
    /// A channel's cap counts only that channel's sends (docs/bundle.md §6).
    #[serde(default)]
    pub channel: Option<String>,
    pub category: String,
    pub max: u64,
    pub per_s: u64,
}

/// Why a bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// The journey, when the document names one.
    pub journey: Option<String>,
    pub message: String,
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.journey {
            Some(j) => write!(f, "bundle `{j}`: {}", self.message),
            None => write!(f, "bundle: {}", self.message),
        }
    }
}

impl std::error::Error for BundleError {}

// The raw JSON shapes, parsed with serde; unknown fields are ignored on purpose.

#[derive(Deserialize)]
struct RawBundle {
    format: String,
    format_version: u64,
    journey: String,
    #[serde(default)]
    nodes: BTreeMap<String, Node>,
    #[serde(default)]
    messages: BTreeMap<String, RawMessage>,
    #[serde(default, deserialize_with = "field_types")]
    profile: BTreeMap<String, String>,
    #[serde(default)]
    events: BTreeMap<String, EventSchema>,
    #[serde(default)]
    channels: BTreeMap<String, Channel>,
    policies: RawPolicies,
}

#[derive(Deserialize)]
struct RawMessage {
    channel: String,
    category: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    subject: Option<Vec<RawPart>>,
    #[serde(default)]
    body: Option<Vec<RawPart>>,
    #[serde(default)]
    buttons: Vec<RawButton>,
    #[serde(default)]
    template: Option<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPart {
    Literal { text: String },
    Field { field: String, scope: String },
}

#[derive(Deserialize)]
struct RawButton {
    title: Vec<RawPart>,
    #[serde(default)]
    url: Option<Vec<RawPart>>,
}

#[derive(Deserialize)]
struct RawPolicies {
    #[serde(default)]
    quiet_hours: Option<RawQuietHours>,
    #[serde(default)]
    frequency: Vec<Cap>,
    #[serde(default)]
    jurisdiction: Vec<String>,
}

#[derive(Deserialize)]
struct RawQuietHours {
    from: Option<String>,
    to: Option<String>,
    periods: Option<Vec<RawQuietPeriod>>,
    zone: String,
}

#[derive(Deserialize)]
struct RawQuietPeriod {
    days: Vec<String>,
    from: String,
    to: String,
}

/// `mon..fri` ranges (inclusive, `fri..mon` wraps) to the days they mark, Monday first.
fn weekdays(ranges: &[String]) -> Option<[bool; 7]> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut days = [false; 7];
    for range in ranges {
        let (first, last) = range.split_once("..")?;
        let first = NAMES.iter().position(|n| *n == first)?;
        let last = NAMES.iter().position(|n| *n == last)?;
        let count = (last + 7 - first) % 7 + 1;
        for step in 0..count {
            *days.get_mut((first + step) % 7)? = true;
        }
    }
    Some(days)
}

/// `{name: {type, optional}}` to name and type.
fn field_types<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    struct FieldType {
        #[serde(rename = "type")]
        kind: String,
    }
    let raw: BTreeMap<String, FieldType> = BTreeMap::deserialize(deserializer)?;
    Ok(raw.into_iter().map(|(name, t)| (name, t.kind)).collect())
}

fn text(raw: Vec<RawPart>) -> Text {
    raw.into_iter()
        .map(|p| match p {
            RawPart::Literal { text } => Part::Literal(text),
            RawPart::Field { field, scope } => Part::Field { name: field, scope },
        })
        .collect()
}

/// `HH:MM` (00:00 to 24:00) in minutes.
fn minutes(time: &str) -> Option<u32> {
    let (h, m) = time.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

impl Bundles {
    /// Reads bundle documents (docs/bundle.md §2). Refuses a document that is not a version-1
    /// bundle, as a runtime must (§9.1).
    pub fn from_json(documents: &[Value]) -> Result<Bundles, BundleError> {
        let mut bundles = Bundles::default();
        for document in documents {
            let journey = document.get("journey").and_then(Value::as_str).map(str::to_owned);
            let error = |message: String| BundleError { journey: journey.clone(), message };
            let raw = RawBundle::deserialize(document).map_err(|e| error(e.to_string()))?;
            if raw.format != "journey-bundle" || raw.format_version != 2 {
                return Err(error(format!("not a version-2 journey bundle ({} {})", raw.format, raw.format_version)));
            }
            let mut messages = BTreeMap::new();
            for (name, m) in raw.messages {
                let form = match (&m.template, m.tag) {
                    (Some(_), _) => Form::Template,
                    (None, Some(tag)) => Form::Tag(tag),
                    (None, None) => Form::FreeForm,
                };
                let message = Message {
                    channel: m.channel,
                    category: m.category,
                    form,
                    subject: m.subject.map(text),
                    body: m.body.map(text),
                    buttons: m
                        .buttons
                        .into_iter()
                        .map(|b| Button { title: text(b.title), url: b.url.map(text) })
                        .collect(),
                };
                messages.insert(name, message);
            }
            let quiet_hours = match raw.policies.quiet_hours {
                None => None,
                Some(q) => {
                    let written: Vec<(Vec<String>, String, String)> = match (q.from, q.to, q.periods) {
                        (Some(from), Some(to), None) => vec![(vec!["mon..sun".to_owned()], from, to)],
                        (None, None, Some(periods)) if !periods.is_empty() => {
                            periods.into_iter().map(|p| (p.days, p.from, p.to)).collect()
                        }
                        _ => return Err(error("quiet hours need `from` and `to`, or `periods`".to_owned())),
                    };
                    let every_day = written.len() == 1 && written.iter().all(|(d, _, _)| d == &["mon..sun"]);
                    let mut periods = Vec::with_capacity(written.len());
                    for (days, from, to) in written {
                        let (Some(marked), Some(start), Some(end)) = (weekdays(&days), minutes(&from), minutes(&to))
                        else {
                            return Err(error(format!(
                                "quiet hours `{} {from}..{to}` are not weekdays and HH:MM",
                                days.join(",")
                            )));
                        };
                        let text = if every_day {
                            format!("{from}..{to}")
                        } else {
                            format!("{} {from}..{to}", days.join(","))
                        };
                        periods.push(WeekPeriod { days: marked, from: start, to: end, text });
                    }
                    Some(QuietHours { periods, zone: q.zone })
                }
            };
            let policies =
                Policies { quiet_hours, frequency: raw.policies.frequency, jurisdiction: raw.policies.jurisdiction };
            for (name, channel) in raw.channels {
                bundles.channels.entry(name).or_insert(channel);
            }
            for (name, event) in raw.events {
                bundles.events.entry(name).or_insert(event);
            }
            let view =
                Journey { name: raw.journey.clone(), messages, nodes: raw.nodes, profile: raw.profile, policies };
            bundles.journeys.insert(raw.journey, view);
        }
        Ok(bundles)
    }

    /// Whether `field` has type `url` in the profile or in any event of the bundles: a link
    /// whose address the monitor cannot read but the schema promises.
    pub fn is_url_field(&self, journey: &Journey, name: &str, scope: &str) -> bool {
        match scope {
            "profile" => journey.profile.get(name).is_some_and(|t| t == "url"),
            _ => self.events.values().any(|e| e.fields.get(name).is_some_and(|t| t == "url")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_read_as_minutes_up_to_midnight_at_the_end_of_the_day() {
        assert_eq!(minutes("21:00"), Some(1260));
        assert_eq!(minutes("08:30"), Some(510));
        assert_eq!(minutes("24:00"), Some(1440));
        assert_eq!(minutes("24:01"), None);
        assert_eq!(minutes("7"), None);
    }

    #[test]
    fn a_document_that_is_not_a_version_2_bundle_is_refused() {
        let doc = serde_json::json!({"format": "journey-bundle", "format_version": 3, "journey": "j", "policies": {}});
        let error = Bundles::from_json(&[doc]).unwrap_err();
        assert_eq!(error.journey.as_deref(), Some("j"));
        assert!(error.message.contains("version-2"), "{error}");
    }

    #[test]
    fn a_send_action_form_is_read_as_free_form_template_or_a_named_tag() {
        assert_eq!(Form::parse("free-form"), Form::FreeForm);
        assert_eq!(Form::parse("template"), Form::Template);
        assert_eq!(Form::parse("tag HUMAN_AGENT"), Form::Tag("HUMAN_AGENT".into()));
    }
}
