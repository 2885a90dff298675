//! The JSON flow bundle: one document per journey, emitted from the same flow graph the
//! analyses checked, with the compliance evidence for every send.
//!
//! Determinism: every map is a `BTreeMap` (keys sorted), node ids are stable, sources are listed
//! by path, paths are relative to the project root, and nothing depends on the clock unless the
//! caller passes `SOURCE_DATE_EPOCH`. Nesting: expressions flatten chains of one associative
//! operator (`a and b and c` is one node with three arguments); the writer reads every bundle
//! back with serde_json's default reader before it is used, so what is written always reads.
//!
//! The format is versioned (`format_version`); `docs/bundle.md` gives its semantics and
//! `schema/bundle.schema.json` its JSON Schema.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::ast::{self, BinaryOp, Element, ExprKind, Item, JourneyMember, PolicyRule, TemplatePart, UnaryOp, ZoneSpec};
use crate::flow::graph::{Graph, NodeKind, Target};
use crate::line_index::LineIndex;
use crate::model::Model;
use crate::project::Origin;
use crate::ProjectReport;

pub const FORMAT: &str = "journey-bundle";
pub const FORMAT_VERSION: u32 = 1;

/// What the caller may add: the `SOURCE_DATE_EPOCH` of a reproducible build.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub source_date_epoch: Option<u64>,
}

#[derive(Serialize)]
struct Bundle {
    format: &'static str,
    format_version: u32,
    compiler: Compiler,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_date_epoch: Option<u64>,
    sources: Vec<SourceHash>,
    journey: String,
    entry: Entry,
    audience: Option<Value>,
    exit_on: Vec<String>,
    goals: Vec<Goal>,
    reentry: Value,
    start: String,
    stages: Vec<Stage>,
    nodes: BTreeMap<String, Node>,
    messages: BTreeMap<String, Message>,
    segments: BTreeMap<String, Value>,
    profile: BTreeMap<String, FieldType>,
    events: BTreeMap<String, Event>,
    channels: BTreeMap<String, Channel>,
    policies: Policies,
    compliance: BTreeMap<String, Compliance>,
}

#[derive(Serialize)]
struct Compiler {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SourceHash {
    file: String,
    sha256: String,
}

#[derive(Serialize)]
struct Entry {
    event: Option<String>,
    #[serde(rename = "where")]
    condition: Option<Value>,
}

#[derive(Serialize)]
struct Goal {
    name: String,
    event: String,
    within_s: u64,
}

#[derive(Serialize)]
struct Stage {
    name: String,
    start: String,
    nodes: Vec<String>,
}

#[derive(Serialize)]
struct Node {
    kind: &'static str,
    stage: String,
    #[serde(flatten)]
    fields: BTreeMap<&'static str, Value>,
    next: BTreeMap<String, String>,
    source: Source,
}

#[derive(Serialize)]
struct Source {
    file: String,
    line: usize,
    col: usize,
}

#[derive(Serialize)]
struct Message {
    channel: String,
    category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    replies: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    media: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cards: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<Value>,
}

#[derive(Serialize)]
struct FieldType {
    #[serde(rename = "type")]
    ty: String,
    optional: bool,
}

#[derive(Serialize)]
struct Event {
    fields: BTreeMap<String, FieldType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inbound: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window_s: Option<u64>,
}

#[derive(Serialize)]
struct Channel {
    window_s: Option<u64>,
    template_required_outside_window: bool,
    tags: BTreeMap<String, Tag>,
    keywords: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<String>,
}

#[derive(Serialize)]
struct Tag {
    allows: Vec<String>,
    within_s: Option<u64>,
}

#[derive(Serialize, Default)]
struct Policies {
    quiet_hours: Option<Value>,
    frequency: Vec<Value>,
    business_hours: Option<Value>,
    jurisdiction: Vec<String>,
}

#[derive(Serialize)]
struct Compliance {
    message: String,
    channel: String,
    category: String,
    consent: String,
    window_max_s: Option<u64>,
    window_s: Option<u64>,
    form: String,
    quiet_hours: String,
}

/// One bundle per journey of a project that checked without errors: `(journey, JSON text)`,
/// in journey-name order.
pub fn emit(report: &ProjectReport, options: Options) -> Vec<(String, String)> {
    let emitter = Emitter::new(report);
    let mut bundles: Vec<(String, String)> = report
        .flow
        .graphs
        .iter()
        .map(|graph| {
            let bundle = emitter.bundle(graph, options);
            let text = serde_json::to_string_pretty(&bundle).unwrap_or_default();
            (graph.journey.clone(), format!("{text}\n"))
        })
        .collect();
    bundles.sort();
    bundles
}

struct Emitter<'a> {
    report: &'a ProjectReport,
    model: &'a Model,
    /// How long quiet hours can hold a send of a category they apply to (the analyses' own rule).
    quiet_hours_secs: Option<u64>,
    indexes: Vec<LineIndex>,
    segments: BTreeMap<&'a str, &'a ast::Expr>,
    messages: BTreeMap<&'a str, &'a ast::Message>,
    journeys: BTreeMap<&'a str, &'a ast::Journey>,
}

impl<'a> Emitter<'a> {
    fn new(report: &'a ProjectReport) -> Emitter<'a> {
        let mut segments = BTreeMap::new();
        let mut messages = BTreeMap::new();
        let mut journeys = BTreeMap::new();
        for file in &report.sources.files {
            for item in file.ast.iter().flat_map(|a| a.items.iter()) {
                match item {
                    Item::Segment(s) => {
                        segments.insert(s.name.name.as_str(), &s.condition);
                    }
                    Item::Message(m) => {
                        messages.insert(m.name.name.as_str(), m);
                    }
                    Item::Journey(j) => {
                        journeys.insert(j.name.name.as_str(), j);
                    }
                    _ => {}
                }
            }
        }
        let indexes = report.sources.files.iter().map(|f| LineIndex::new(&f.text)).collect();
        let quiet_hours_secs =
            crate::flow::Context::new(&report.sources, &report.model).quiet_hours.map(|q| q.length_secs());
        Emitter { report, model: &report.model, quiet_hours_secs, indexes, segments, messages, journeys }
    }

    fn bundle(&self, graph: &Graph, options: Options) -> Bundle {
        let journey = self.journeys.get(graph.journey.as_str());
        let target = |t: Target| match t {
            Target::Node(i) => graph.node(i).map_or_else(|| "exit".to_owned(), |n| n.id.clone()),
            Target::Exit => "exit".to_owned(),
        };
        let mut nodes = BTreeMap::new();
        let mut used_messages: BTreeSet<&str> = BTreeSet::new();
        let mut used_events: BTreeSet<String> = BTreeSet::new();
        let mut used_segments: BTreeSet<String> = BTreeSet::new();
        for node in &graph.nodes {
            let mut fields: BTreeMap<&'static str, Value> = BTreeMap::new();
            match &node.kind {
                NodeKind::Send { message } => {
                    fields.insert("message", json!(message));
                }
                NodeKind::Ask { message, timeout_secs } => {
                    fields.insert("message", json!(message));
                    fields.insert("timeout_s", json!(timeout_secs));
                }
                NodeKind::Wait { secs } => {
                    fields.insert("duration_s", json!(secs));
                }
                NodeKind::WaitFor { events, within_secs } => {
                    used_events.extend(events.iter().cloned());
                    fields.insert("events", json!(events));
                    fields.insert("within_s", json!(within_secs));
                }
                NodeKind::Branch { conditions } => {
                    let conditions: Vec<Value> =
                        conditions.iter().map(|c| self.expr(c, None, &mut used_segments)).collect();
                    fields.insert("conditions", Value::Array(conditions));
                }
                NodeKind::Split { shares } => {
                    fields.insert("shares", json!(shares));
                }
                NodeKind::Handoff { team, timeout_secs } => {
                    fields.insert("team", json!(team));
                    fields.insert("timeout_s", json!(timeout_secs));
                }
                NodeKind::ConsentRequest { channel, category, message, timeout_secs } => {
                    fields.insert("channel", json!(channel));
                    fields.insert("category", json!(category));
                    fields.insert("message", json!(message));
                    fields.insert("timeout_s", json!(timeout_secs));
                }
                NodeKind::Set { field, value } => {
                    fields.insert("field", json!(field));
                    fields.insert("value", self.expr(value, None, &mut used_segments));
                }
                NodeKind::Tag { name } => {
                    fields.insert("tag", json!(name));
                }
                NodeKind::Track { name } => {
                    fields.insert("event", json!(name));
                }
            }
            if let Some(message) = node.kind.sent_message() {
                used_messages.insert(message);
            }
            // Split arms are keyed by position (`p1`, `p2`, ... in the order of `shares`): their
            // labels are their shares, and two arms of `50%` must not collapse into one key.
            let split = matches!(node.kind, NodeKind::Split { .. });
            let next = node
                .edges
                .iter()
                .enumerate()
                .map(|(i, e)| (if split { format!("p{}", i + 1) } else { e.label.clone() }, target(e.target)))
                .collect();
            nodes.insert(
                node.id.clone(),
                Node {
                    kind: node.kind.name(),
                    stage: node.stage.clone(),
                    fields,
                    next,
                    source: self.source(node.file, node.span),
                },
            );
        }
        // Node ids by stage in one pass (filtering all nodes per stage is quadratic).
        let mut by_stage: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for node in &graph.nodes {
            by_stage.entry(node.stage.as_str()).or_default().push(node.id.clone());
        }
        let stages = graph
            .stages
            .iter()
            .map(|stage| Stage {
                name: stage.name.clone(),
                start: target(stage.start),
                nodes: by_stage.remove(stage.name.as_str()).unwrap_or_default(),
            })
            .collect();

        let mut goals = Vec::new();
        let mut reentry = Value::Null;
        if let Some(journey) = journey {
            for member in &journey.members {
                match member {
                    JourneyMember::Goal { name, event, within, .. } => {
                        used_events.insert(event.name.clone());
                        goals.push(Goal { name: name.name.clone(), event: event.name.clone(), within_s: within.secs });
                    }
                    JourneyMember::Reentry { after, .. } => {
                        reentry = match after {
                            Some(d) => json!({ "after_s": d.secs }),
                            None => json!("never"),
                        };
                    }
                    _ => {}
                }
            }
        }
        used_events.extend(graph.entry_event.iter().cloned());
        used_events.extend(graph.exit_on.iter().cloned());

        // Bare names in `entry ... where` may be fields of the entry event, resolved as the checker does.
        let entry_event = graph.entry_event.as_deref();
        let entry_condition = graph.entry_condition.as_ref().map(|c| self.expr(c, entry_event, &mut used_segments));
        let audience = graph.audience.as_ref().map(|c| self.expr(c, None, &mut used_segments));
        let messages: BTreeMap<String, Message> = used_messages
            .iter()
            .filter_map(|name| {
                self.messages.get(name).map(|m| ((*name).to_owned(), self.message(m, &mut used_segments)))
            })
            .collect();
        // Segments can refer to segments: close over them (bounded by the segment count).
        let mut segments = BTreeMap::new();
        let mut pending: Vec<String> = used_segments.iter().cloned().collect();
        while let Some(name) = pending.pop() {
            if segments.contains_key(&name) {
                continue;
            }
            let Some(condition) = self.segments.get(name.as_str()) else { continue };
            let mut more = BTreeSet::new();
            segments.insert(name.clone(), self.expr(condition, None, &mut more));
            pending.extend(more.into_iter().filter(|m| !segments.contains_key(m)));
        }
        let used_channels: BTreeSet<String> = messages.values().map(|m| m.channel.clone()).collect();

        Bundle {
            format: FORMAT,
            format_version: FORMAT_VERSION,
            compiler: Compiler { name: "journey", version: env!("CARGO_PKG_VERSION") },
            source_date_epoch: options.source_date_epoch,
            sources: self.sources(),
            journey: graph.journey.clone(),
            entry: Entry { event: graph.entry_event.clone(), condition: entry_condition },
            audience,
            exit_on: graph.exit_on.clone(),
            goals,
            reentry,
            start: target(graph.start),
            stages,
            nodes,
            messages,
            segments,
            profile: self.model.profile.iter().map(|(name, f)| (name.clone(), field_type(f))).collect(),
            events: used_events
                .iter()
                .filter_map(|name| {
                    self.model.events.get(name).map(|e| {
                        let fields = e.fields.iter().map(|(n, f)| (n.clone(), field_type(f))).collect();
                        (name.clone(), Event { fields, inbound: e.inbound.clone(), window_s: e.window_secs })
                    })
                })
                .collect(),
            channels: used_channels
                .iter()
                .filter_map(|name| {
                    self.model.channels.get(name).map(|c| {
                        let tags = c
                            .tags
                            .iter()
                            .map(|(n, t)| (n.clone(), Tag { allows: t.allows.clone(), within_s: t.within_secs }))
                            .collect();
                        let channel = Channel {
                            window_s: c.window_secs,
                            template_required_outside_window: c.template_required_outside_window,
                            tags,
                            keywords: c.keywords.clone(),
                            encoding: c.encoding.clone(),
                        };
                        (name.clone(), channel)
                    })
                })
                .collect(),
            policies: self.policies(),
            compliance: self
                .report
                .flow
                .evidence
                .iter()
                .filter(|e| e.journey == graph.journey)
                .map(|e| {
                    (
                        e.node.clone(),
                        Compliance {
                            message: e.message.clone(),
                            channel: e.channel.clone(),
                            category: e.category.clone(),
                            consent: e.consent.clone(),
                            window_max_s: self.window_bound(e),
                            window_s: e.window_secs,
                            form: e.form.clone(),
                            quiet_hours: e.quiet_hours.clone(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// The bound on the time since the contact's last inbound message when the message is
    /// handed to the channel: the analyses' bound where the contact reaches the send, plus the
    /// longest that quiet hours can then hold it. `None`: unbounded, or no window.
    fn window_bound(&self, evidence: &crate::flow::SendEvidence) -> Option<u64> {
        let deferral = self
            .quiet_hours_secs
            .filter(|_| crate::flow::rules::QUIET_HOURS_APPLY_TO.contains(&evidence.category.as_str()))
            .unwrap_or(0);
        evidence.window_max_secs.and_then(|max| max.checked_add(deferral))
    }

    fn sources(&self) -> Vec<SourceHash> {
        let mut sources: Vec<SourceHash> = self
            .report
            .sources
            .files
            .iter()
            .map(|f| SourceHash {
                file: match &f.origin {
                    Origin::Project(path) => path.as_str().to_owned(),
                    Origin::Std(_) => f.name.clone(),
                },
                sha256: hex(&Sha256::digest(f.text.as_bytes())),
            })
            .collect();
        sources.sort_by(|a, b| a.file.cmp(&b.file));
        sources
    }

    fn source(&self, file: crate::span::FileId, span: crate::span::Span) -> Source {
        let (name, text) = self.report.sources.file(file).map_or(("", ""), |f| (f.name.as_str(), f.text.as_str()));
        let at = self.indexes.get(file.0 as usize).map(|i| i.line_col_chars(text, span.start()));
        Source { file: name.to_owned(), line: at.map_or(0, |a| a.line + 1), col: at.map_or(0, |a| a.col + 1) }
    }

    fn policies(&self) -> Policies {
        let mut policies = Policies::default();
        for file in &self.report.sources.files {
            for item in file.ast.iter().flat_map(|a| a.items.iter()) {
                let Item::Policy(policy) = item else { continue };
                for rule in &policy.rules {
                    match rule {
                        PolicyRule::QuietHours { range, zone, .. } if policies.quiet_hours.is_none() => {
                            policies.quiet_hours = Some(
                                json!({ "from": hhmm(range.from.minutes), "to": hhmm(range.to.minutes), "zone": zone_name(zone) }),
                            );
                        }
                        PolicyRule::Frequency { category, max, per, .. } => {
                            policies
                                .frequency
                                .push(json!({ "category": category.name, "max": max, "per_s": per.secs }));
                        }
                        PolicyRule::BusinessHours { days, range, zone, .. } if policies.business_hours.is_none() => {
                            let days: Vec<String> =
                                days.iter().map(|d| format!("{:?}..{:?}", d.from, d.to).to_lowercase()).collect();
                            policies.business_hours = Some(json!({
                                "days": days, "from": hhmm(range.from.minutes), "to": hhmm(range.to.minutes), "zone": zone_name(zone)
                            }));
                        }
                        PolicyRule::Jurisdiction { code, .. } => policies.jurisdiction.push(code.value.clone()),
                        _ => {}
                    }
                }
            }
        }
        policies
    }

    fn message(&self, message: &ast::Message, segments: &mut BTreeSet<String>) -> Message {
        let mut out = Message {
            channel: message.channel.name.clone(),
            category: message.category.name.clone(),
            tag: None,
            subject: None,
            body: None,
            replies: Vec::new(),
            buttons: Vec::new(),
            media: Vec::new(),
            cards: Vec::new(),
            template: None,
        };
        for element in &message.elements {
            match element {
                Element::Text(t) => out.body = Some(self.parts(t, segments)),
                Element::Subject(t) => out.subject = Some(self.parts(t, segments)),
                Element::Reply { title, outcome, .. } => {
                    out.replies.push(json!({ "title": self.parts(title, segments), "outcome": outcome.name }))
                }
                Element::Button { title, action, .. } => out.buttons.push(self.button(title, action, segments)),
                Element::Media { kind, url, .. } => {
                    out.media.push(json!({ "kind": kind.name, "url": self.parts(url, segments) }))
                }
                Element::Card { elements, .. } => {
                    let mut card = serde_json::Map::new();
                    let mut buttons = Vec::new();
                    for part in elements {
                        match part {
                            Element::Title(t) => {
                                card.insert("title".into(), Value::Array(self.parts(t, segments)));
                            }
                            Element::Subtitle(t) => {
                                card.insert("subtitle".into(), Value::Array(self.parts(t, segments)));
                            }
                            Element::Media { kind, url, .. } => {
                                card.insert(kind.name.clone(), Value::Array(self.parts(url, segments)));
                            }
                            Element::Button { title, action, .. } => buttons.push(self.button(title, action, segments)),
                            _ => {}
                        }
                    }
                    card.insert("buttons".into(), Value::Array(buttons));
                    out.cards.push(Value::Object(card));
                }
                Element::Template { name, lang, params, .. } => {
                    let params: serde_json::Map<String, Value> =
                        params.iter().map(|p| (p.name.name.clone(), self.expr(&p.value, None, segments))).collect();
                    out.template = Some(json!({ "name": name.value, "lang": lang.value, "params": params }));
                }
                Element::Tag { name, .. } => out.tag = Some(name.name.clone()),
                Element::Title(_) | Element::Subtitle(_) => {}
            }
        }
        out
    }

    fn button(&self, title: &ast::Template, action: &ast::ButtonAction, segments: &mut BTreeSet<String>) -> Value {
        match action {
            ast::ButtonAction::Outcome(outcome) => {
                json!({ "title": self.parts(title, segments), "outcome": outcome.name })
            }
            ast::ButtonAction::Url(url) => {
                json!({ "title": self.parts(title, segments), "url": self.parts(url, segments) })
            }
        }
    }

    /// Text as literal and field parts, never a template string a runtime would re-parse.
    fn parts(&self, template: &ast::Template, segments: &mut BTreeSet<String>) -> Vec<Value> {
        template
            .parts
            .iter()
            .map(|part| match part {
                TemplatePart::Literal(text) => json!({ "text": text }),
                TemplatePart::Field { path, fallback, .. } => {
                    let mut field = self.field(path, None);
                    if let (Some(fallback), Value::Object(map)) = (fallback, &mut field) {
                        map.insert("default".into(), self.expr(fallback, None, segments));
                    }
                    field
                }
            })
            .collect()
    }

    /// Whether `name` is a field of `entry_event`: in `entry on E where ...` a bare name is a
    /// field of `E` before it is a segment or a profile field (as `check::exprs` resolves it).
    fn entry_field(&self, entry_event: Option<&str>, name: &str) -> bool {
        entry_event.and_then(|e| self.model.events.get(e)).is_some_and(|e| e.fields.contains_key(name))
    }

    /// `{"field": "first_name", "scope": "profile"}` or `... "scope": "event"`.
    fn field(&self, path: &ast::Path, entry_event: Option<&str>) -> Value {
        let names: Vec<&str> = path.segments.iter().map(|s| s.name.as_str()).collect();
        match names.as_slice() {
            ["event", field] => json!({ "field": field, "scope": "event" }),
            ["profile", field] => json!({ "field": field, "scope": "profile" }),
            [field] if self.entry_field(entry_event, field) => json!({ "field": field, "scope": "event" }),
            [field] => json!({ "field": field, "scope": "profile" }),
            _ => json!({ "field": names.join("."), "scope": "profile" }),
        }
    }

    /// An expression tree. Chains of one associative operator are flattened into one node.
    fn expr(&self, expr: &ast::Expr, entry_event: Option<&str>, segments: &mut BTreeSet<String>) -> Value {
        match &expr.kind {
            ExprKind::Path(path) => match path.segments.as_slice() {
                [single] if self.entry_field(entry_event, &single.name) => {
                    json!({ "field": single.name, "scope": "event" })
                }
                [single] if self.segments.contains_key(single.name.as_str()) => {
                    segments.insert(single.name.clone());
                    json!({ "segment": single.name })
                }
                [single] if !self.model.profile.contains_key(&single.name) => {
                    // A bare enum value (`plan == pro`).
                    json!({ "value": single.name })
                }
                _ => self.field(path, entry_event),
            },
            ExprKind::Str(template) => match template.parts.as_slice() {
                [] => json!({ "value": "" }),
                [TemplatePart::Literal(text)] => json!({ "value": text }),
                _ => json!({ "text": self.parts(template, segments) }),
            },
            ExprKind::Int(i) => json!({ "value": i }),
            ExprKind::Decimal(d) => json!({ "decimal": d }),
            ExprKind::Money { amount, currency } => json!({ "money": { "amount": amount, "currency": currency.name } }),
            ExprKind::Bool(b) => json!({ "value": b }),
            ExprKind::Duration(d) => json!({ "duration_s": d.secs }),
            ExprKind::List(items) => {
                json!({ "list": items.iter().map(|i| self.expr(i, entry_event, segments)).collect::<Vec<_>>() })
            }
            ExprKind::Call { name, args } => {
                let names: Vec<String> = args
                    .iter()
                    .map(|a| match &a.kind {
                        ExprKind::Path(p) => p.segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("."),
                        _ => String::new(),
                    })
                    .collect();
                match (name.name.as_str(), names.as_slice()) {
                    ("consent", [channel, category]) => {
                        json!({ "consent": { "channel": channel, "category": category } })
                    }
                    _ => json!({ "call": name.name, "args": names }),
                }
            }
            ExprKind::Within(name) => json!({ "within": name.name }),
            ExprKind::Unary { op, operand } => {
                let op = match op {
                    UnaryOp::Not => "not",
                    UnaryOp::Neg => "neg",
                };
                json!({ "op": op, "args": [self.expr(operand, entry_event, segments)] })
            }
            ExprKind::Binary { op, .. } => {
                let mut args = Vec::new();
                let associative = matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Add | BinaryOp::Fallback);
                // Chains of the same associative operator, flattened without recursion. `-` is
                // not associative: only its left spine is flattened, `a - b - c` being
                // `(a - b) - c`, so its arguments fold from the left. Without this a chain of
                // MAX_EXPR_TERMS subtractions would nest deeper than serde_json reads back.
                let mut pending = vec![expr];
                let mut operands = Vec::new();
                while let Some(e) = pending.pop() {
                    match &e.kind {
                        ExprKind::Binary { op: inner, lhs, rhs }
                            if (associative && inner == op) || std::ptr::eq(e, expr) =>
                        {
                            pending.push(rhs);
                            pending.push(lhs);
                        }
                        ExprKind::Binary { op: BinaryOp::Sub, lhs, rhs }
                            if *op == BinaryOp::Sub && operands.is_empty() =>
                        {
                            // Still on the left spine: left operands are taken first, so no
                            // operand has been taken yet only while descending it.
                            pending.push(rhs);
                            pending.push(lhs);
                        }
                        _ => operands.push(e),
                    }
                }
                for operand in operands {
                    args.push(self.expr(operand, entry_event, segments));
                }
                json!({ "op": op.as_str(), "args": args })
            }
        }
    }
}

fn field_type(field: &crate::model::Field) -> FieldType {
    FieldType { ty: field.ty.describe(), optional: field.optional }
}

fn zone_name(zone: &ZoneSpec) -> String {
    match zone {
        ZoneSpec::Recipient(_) => "recipient".to_owned(),
        ZoneSpec::Fixed(name) => name.value.clone(),
    }
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The node kinds of format version 1, as `kind` names them.
pub const NODE_KINDS: [&str; 11] =
    ["send", "ask", "wait", "wait_for", "branch", "split", "handoff", "consent_request", "set", "tag", "track"];

/// Reads a bundle back the way a runtime would (serde_json's default reader, with its nesting
/// limit) and checks its internal references: every edge and stage points at a node or `exit`,
/// every node kind is known, a split has one edge per share, every sent message is included.
/// The writer refuses to write a bundle that fails this.
pub fn validate(text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            format!(
                "does not read back: it nests deeper than serde_json's default limit of 128 ({e}); \
                 an expression is too deeply nested: split it into segments"
            )
        } else {
            format!("does not read back: {e}")
        }
    })?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err("missing or wrong `format`".into());
    }
    if value.get("format_version").and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
        return Err("missing or wrong `format_version`".into());
    }
    let nodes = value.get("nodes").and_then(Value::as_object).ok_or("no `nodes` object")?;
    let messages = value.get("messages").and_then(Value::as_object).ok_or("no `messages` object")?;
    let exists = |id: &str| id == "exit" || nodes.contains_key(id);
    let start = value.get("start").and_then(Value::as_str).ok_or("no `start`")?;
    if !exists(start) {
        return Err(format!("`start` points at unknown node `{start}`"));
    }
    for stage in value.get("stages").and_then(Value::as_array).ok_or("no `stages` list")? {
        let name = stage.get("name").and_then(Value::as_str).unwrap_or("");
        let first = stage.get("start").and_then(Value::as_str).unwrap_or("");
        if !exists(first) {
            return Err(format!("stage `{name}` starts at unknown node `{first}`"));
        }
        for id in stage.get("nodes").and_then(Value::as_array).map_or(&[][..], Vec::as_slice) {
            let id = id.as_str().unwrap_or("");
            if !nodes.contains_key(id) {
                return Err(format!("stage `{name}` lists unknown node `{id}`"));
            }
        }
    }
    for (id, node) in nodes {
        let kind = node.get("kind").and_then(Value::as_str).unwrap_or("");
        if !NODE_KINDS.contains(&kind) {
            return Err(format!("node `{id}` has unknown kind `{kind}`"));
        }
        let next = node.get("next").and_then(Value::as_object).ok_or_else(|| format!("node `{id}` has no `next`"))?;
        for (label, target) in next {
            let target = target.as_str().unwrap_or("");
            if !exists(target) {
                return Err(format!("node `{id}` edge `{label}` points at unknown node `{target}`"));
            }
        }
        if kind == "split" {
            let shares = node.get("shares").and_then(Value::as_array).map_or(0, Vec::len);
            if next.len() != shares || (1..=shares).any(|i| !next.contains_key(&format!("p{i}"))) {
                return Err(format!("split `{id}` does not have one edge `p1`..`p{shares}` per share"));
            }
        }
        if let Some(message) = node.get("message").and_then(Value::as_str) {
            if !messages.contains_key(message) {
                return Err(format!("node `{id}` sends `{message}`, which the bundle does not include"));
            }
        }
    }
    Ok(())
}
