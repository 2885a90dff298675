//! The engine's own record of what it did: [`Step`], an [`Action`] that borrows its names from
//! the bundles and keeps its times as seconds. A population run makes millions of them, and an
//! `Action` owns every string it holds (the time twice, the contact, the journey, the node, the
//! message, its channel and category, the evidence), so building, moving and dropping actions was
//! a third of the runtime. A step allocates only what it computed itself (the rendered content,
//! an error's reason); it becomes an `Action` ([`Step::to_action`]) or its JSON line
//! ([`Step::write_json`], the same bytes `serde_json` writes for the `Action`) only when it
//! leaves the runtime.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::action::{Action, Content, TemplateContent, What};
use crate::bundle::{Bundle, Record, Template};
use crate::time::{self, LocalTime};

/// One thing that happened, as [`Action`], with the contact and the journey as numbers.
#[derive(Debug, Clone)]
pub struct Step<'b> {
    pub at: i64,
    /// The contact's number in [`Ran::contacts`].
    pub contact: u32,
    /// The journey's number in [`journey_order`].
    pub journey: u32,
    /// The contact's run of the journey, numbered from 1.
    pub run: u64,
    pub node: Option<&'b str>,
    pub did: Did<'b>,
}

/// [`What`], borrowing from the bundle.
#[derive(Debug, Clone)]
pub enum Did<'b> {
    Enter {
        event: &'b str,
    },
    /// Boxed: a send is the largest step by far and one of the rarer ones.
    Send(Box<Sent<'b>>),
    Held {
        message: &'b str,
        until: i64,
    },
    /// Boxed, as `Set`'s value: the rare large variants would make every step larger.
    Refused(Box<Refused<'b>>),
    Wait {
        until: i64,
        kind: &'static str,
    },
    Branch {
        outcome: Cow<'b, str>,
    },
    Set {
        field: &'b str,
        value: Box<serde_json::Value>,
    },
    Tag {
        tag: &'b str,
    },
    Track {
        event: &'b str,
    },
    Goal {
        goal: &'b str,
    },
    Exit {
        reason: Cow<'b, str>,
    },
    /// Boxed: rare, and larger than most steps.
    Consent(Box<ConsentChange<'b>>),
}

/// A change of the consent store made by a journey: a granted request (with its record) or a
/// `revoke consent` step.
#[derive(Debug, Clone)]
pub struct ConsentChange<'b> {
    /// `granted` or `revoked`.
    pub change: &'static str,
    pub channel: &'b str,
    pub category: &'b str,
    /// The request's message (granted only).
    pub message: Option<&'b str>,
    /// The contact's answer: their words, or `reply OUTCOME` for a tapped reply (granted only).
    pub answer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Refused<'b> {
    pub message: &'b str,
    pub channel: &'b str,
    pub rule: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Sent<'b> {
    pub message: &'b str,
    pub channel: &'b str,
    pub category: &'b str,
    pub form: Cow<'b, str>,
    pub local_time: Option<LocalTime>,
    pub content: Rendered<'b>,
    /// The compliance record of the node, whose JSON is the evidence (`null` without one).
    pub evidence: Option<&'b Record>,
}

/// What a run did: its steps, and the contacts they number.
#[derive(Debug, Clone, Default)]
pub struct Ran<'b, 'c> {
    /// By number: the contacts given, in order, then the contacts first named by an event.
    pub contacts: Vec<&'c str>,
    pub steps: Vec<Step<'b>>,
}

/// The order the engine numbers (and runs) journeys in: by name.
pub fn journey_order(bundles: &[Bundle]) -> Vec<&Bundle> {
    let mut sorted: Vec<&Bundle> = bundles.iter().collect();
    sorted.sort_by(|a, b| a.journey.cmp(&b.journey));
    sorted
}

impl Step<'_> {
    /// The action, with the contact's id and the journey's name.
    pub fn to_action(&self, contact: &str, journey: &str) -> Action {
        let what = match &self.did {
            Did::Enter { event } => What::Enter { event: (*event).to_owned() },
            Did::Send(sent) => What::Send {
                message: sent.message.to_owned(),
                channel: sent.channel.to_owned(),
                category: sent.category.to_owned(),
                form: sent.form.clone().into_owned(),
                local_time: sent.local_time.as_ref().map(LocalTime::text),
                content: sent.content.to_content(),
                evidence: sent.evidence.map_or(serde_json::Value::Null, |r| r.evidence.clone()),
            },
            Did::Held { message, until } => {
                What::Held { message: (*message).to_owned(), until: time::format_utc(*until) }
            }
            Did::Refused(refused) => What::Refused {
                message: refused.message.to_owned(),
                channel: refused.channel.to_owned(),
                rule: refused.rule.to_owned(),
                reason: refused.reason.clone(),
            },
            Did::Wait { until, kind } => What::Wait { until: time::format_utc(*until), kind: (*kind).to_owned() },
            Did::Branch { outcome } => What::Branch { outcome: outcome.clone().into_owned() },
            Did::Set { field, value } => What::Set { field: (*field).to_owned(), value: (**value).clone() },
            Did::Tag { tag } => What::Tag { tag: (*tag).to_owned() },
            Did::Track { event } => What::Track { event: (*event).to_owned() },
            Did::Goal { goal } => What::Goal { goal: (*goal).to_owned() },
            Did::Exit { reason } => What::Exit { reason: reason.clone().into_owned() },
            Did::Consent(change) => What::Consent {
                change: change.change.to_owned(),
                channel: change.channel.to_owned(),
                category: change.category.to_owned(),
                message: change.message.map(str::to_owned),
                answer: change.answer.clone(),
            },
        };
        Action {
            at: time::format_utc(self.at),
            contact: contact.to_owned(),
            journey: journey.to_owned(),
            run: self.run,
            node: self.node.map(str::to_owned),
            what,
        }
    }

    /// Appends the action's JSON line (with its `\n`): byte for byte what
    /// [`crate::action::to_json_lines`] writes for [`Step::to_action`], without building it.
    pub fn write_json(&self, contact: &str, journey: &str, out: &mut String) {
        out.push_str("{\"at\":\"");
        time::write_utc(self.at, out);
        out.push_str("\",\"contact\":");
        write_str(contact, out);
        out.push_str(",\"journey\":");
        write_str(journey, out);
        let _ = write!(out, ",\"run\":{},\"node\":", self.run);
        match self.node {
            Some(node) => write_str(node, out),
            None => out.push_str("null"),
        }
        out.push_str(",\"action\":");
        let field = |out: &mut String, name: &str, value: &str| {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            write_str(value, out);
        };
        match &self.did {
            Did::Enter { event } => {
                out.push_str("\"enter\"");
                field(out, "event", event);
            }
            Did::Send(sent) => {
                out.push_str("\"send\"");
                field(out, "message", sent.message);
                field(out, "channel", sent.channel);
                field(out, "category", sent.category);
                field(out, "form", &sent.form);
                match &sent.local_time {
                    Some(LocalTime::Civil(..)) | None => {
                        out.push_str(",\"local_time\":");
                        match &sent.local_time {
                            // Digits, `-`, `T`, `:` and `+`: nothing to escape.
                            Some(local) => {
                                out.push('"');
                                local.write(out);
                                out.push('"');
                            }
                            None => out.push_str("null"),
                        }
                    }
                    Some(LocalTime::Text(text)) => field(out, "local_time", text),
                }
                out.push_str(",\"content\":");
                sent.content.write_json(out);
                out.push_str(",\"evidence\":");
                match sent.evidence {
                    Some(record) => out.push_str(&record.evidence_json),
                    None => out.push_str("null"),
                }
            }
            Did::Held { message, until } => {
                out.push_str("\"held\"");
                field(out, "message", message);
                out.push_str(",\"until\":\"");
                time::write_utc(*until, out);
                out.push('"');
            }
            Did::Refused(refused) => {
                out.push_str("\"refused\"");
                field(out, "message", refused.message);
                field(out, "channel", refused.channel);
                field(out, "rule", refused.rule);
                field(out, "reason", &refused.reason);
            }
            Did::Wait { until, kind } => {
                out.push_str("\"wait\",\"until\":\"");
                time::write_utc(*until, out);
                out.push('"');
                field(out, "kind", kind);
            }
            Did::Branch { outcome } => {
                out.push_str("\"branch\"");
                field(out, "outcome", outcome);
            }
            Did::Set { field: name, value } => {
                out.push_str("\"set\"");
                field(out, "field", name);
                // `Value`'s Display is its compact JSON, as `serde_json::to_string` writes it.
                let _ = write!(out, ",\"value\":{value}");
            }
            Did::Tag { tag } => {
                out.push_str("\"tag\"");
                field(out, "tag", tag);
            }
            Did::Track { event } => {
                out.push_str("\"track\"");
                field(out, "event", event);
            }
            Did::Goal { goal } => {
                out.push_str("\"goal\"");
                field(out, "goal", goal);
            }
            Did::Exit { reason } => {
                out.push_str("\"exit\"");
                field(out, "reason", reason);
            }
            Did::Consent(change) => {
                out.push_str("\"consent\"");
                field(out, "change", change.change);
                field(out, "channel", change.channel);
                field(out, "category", change.category);
                if let Some(message) = change.message {
                    field(out, "message", message);
                }
                if let Some(answer) = &change.answer {
                    field(out, "answer", answer);
                }
            }
        }
        out.push_str("}\n");
    }
}

/// A sent message's [`Content`], with the template's name, language and parameter names
/// borrowed from the bundle.
#[derive(Debug, Clone, Default)]
pub struct Rendered<'b> {
    pub subject: Option<String>,
    pub body: Option<String>,
    /// The template and its parameters' texts, in the order of its `params`.
    pub template: Option<(&'b Template, Vec<String>)>,
}

impl Rendered<'_> {
    pub fn to_content(&self) -> Content {
        Content {
            subject: self.subject.clone(),
            body: self.body.clone(),
            template: self.template.as_ref().map(|(t, texts)| TemplateContent {
                name: t.name.clone(),
                lang: t.lang.clone(),
                params: t.params.keys().cloned().zip(texts.iter().cloned()).collect(),
            }),
        }
    }

    /// `Content` as serde writes it: absent parts left out, template parameters in key order.
    fn write_json(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        let mut key = |out: &mut String, name: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
        };
        if let Some(subject) = &self.subject {
            key(out, "subject");
            write_str(subject, out);
        }
        if let Some(body) = &self.body {
            key(out, "body");
            write_str(body, out);
        }
        if let Some((template, texts)) = &self.template {
            key(out, "template");
            out.push_str("{\"name\":");
            write_str(&template.name, out);
            out.push_str(",\"lang\":");
            write_str(&template.lang, out);
            out.push_str(",\"params\":{");
            for (index, (name, value)) in template.params.keys().zip(texts).enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_str(name, out);
                out.push(':');
                write_str(value, out);
            }
            out.push_str("}}");
        }
        out.push('}');
    }
}

/// A JSON string exactly as `serde_json` escapes it: `"` and `\`, the short escapes `\b \f \n \r
/// \t`, other control characters as `\u00XX` (lower-case hex), everything else as is.
pub fn write_str(text: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so these are character boundaries.
        out.push_str(text.get(start..index).unwrap_or(""));
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0')));
            out.push(char::from(HEX.get(usize::from(byte & 0xf)).copied().unwrap_or(b'0')));
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(text.get(start..).unwrap_or(""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é€😀\u{2028}\u{7f}");
        for text in [every.as_str(), "", "plain", "\"", "a\\b", "tab\there", "\u{1}x\u{1f}"] {
            let mut mine = String::new();
            write_str(text, &mut mine);
            assert_eq!(mine, serde_json::to_string(text).unwrap());
        }
    }
}
