//! Actions: what the runtime did, one JSON object per line (docs/simulate.md, "Actions"), and a
//! text form for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value as Json;

/// One thing that happened. Serialized with a fixed key order: `at`, `contact`, `journey`, `run`,
/// `node`, `action`, then the action's own fields.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Action {
    pub at: String,
    pub contact: String,
    pub journey: String,
    /// The contact's run of the journey, numbered from 1.
    pub run: u64,
    pub node: Option<String>,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum What {
    Enter {
        event: String,
    },
    Send {
        message: String,
        channel: String,
        category: String,
        form: String,
        local_time: Option<String>,
        content: Content,
        evidence: Json,
    },
    Held {
        message: String,
        until: String,
    },
    Refused {
        message: String,
        channel: String,
        rule: String,
        reason: String,
    },
    Wait {
        until: String,
        kind: String,
    },
    Branch {
        outcome: String,
    },
    Set {
        field: String,
        value: Json,
    },
    Tag {
        tag: String,
    },
    Track {
        event: String,
    },
    Goal {
        goal: String,
    },
    Exit {
        reason: String,
    },
    /// A journey changed the consent store: a granted request (its record: the request's
    /// message and the contact's answer; the time is the action's) or a `revoke consent` step.
    Consent {
        change: String,
        channel: String,
        category: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        answer: Option<String>,
    },
}

/// The texts of a sent message with its fields filled in.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Content {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateContent>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateContent {
    pub name: String,
    pub lang: String,
    pub params: BTreeMap<String, String>,
}

/// Whether any action is a refusal (exit code 1 of `journey simulate`).
pub fn any_refusal(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a.what, What::Refused { .. }))
}

/// JSON Lines, one action a line.
pub fn to_json_lines(actions: &[Action]) -> String {
    let mut out = String::new();
    for action in actions {
        // Serializing these types cannot fail (string keys only); an error line is still JSON.
        let line = serde_json::to_string(action).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// For a person: each contact's actions in time order, grouped by contact (sorted by id), with
/// UTC times and, for sends, the recipient's local time.
pub fn to_text(actions: &[Action]) -> String {
    let mut by_contact: BTreeMap<&str, Vec<&Action>> = BTreeMap::new();
    for action in actions {
        by_contact.entry(action.contact.as_str()).or_default().push(action);
    }
    let mut out = String::new();
    for (contact, actions) in by_contact {
        let _ = writeln!(out, "contact {contact}");
        for a in actions {
            let node = a.node.as_deref().map(|n| format!(" at {n}")).unwrap_or_default();
            let what = match &a.what {
                What::Enter { event } => format!("entered on {event}"),
                What::Send { message, channel, category, form, local_time, .. } => format!(
                    "sent {message} on {channel} ({category}, {form}), local time {}",
                    local_time.as_deref().unwrap_or("unknown")
                ),
                What::Held { message, until } => format!("held {message} for quiet hours until {until}"),
                What::Refused { message, channel, rule, reason } => {
                    format!("REFUSED {message} on {channel} [{rule}]: {reason}")
                }
                What::Wait { until, kind } => format!("waits ({kind}) until {until}"),
                What::Branch { outcome } => format!("took {outcome}"),
                What::Set { field, value } => format!("set {field} = {value}"),
                What::Tag { tag } => format!("tagged {tag}"),
                What::Track { event } => format!("tracked {event}"),
                What::Goal { goal } => format!("goal {goal} converted"),
                What::Exit { reason } => format!("left ({reason})"),
                What::Consent { change, channel, category, message, answer } => {
                    let via = message.as_deref().map(|m| format!(" via {m}")).unwrap_or_default();
                    let answer = answer.as_deref().map(|a| format!(", answer {a:?}")).unwrap_or_default();
                    format!("consent {channel} {category} {change}{via}{answer}")
                }
            };
            let _ = writeln!(out, "  {}  {} #{}{node}: {what}", a.at, a.journey, a.run);
        }
    }
    out
}
