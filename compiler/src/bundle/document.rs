//! One journey's bundle as typed views that borrow from the report, written by serde_json
//! without an intermediate tree. Field order is the format's; maps are written in sorted key
//! order, and of two entries with one key (only in a project the check rejected) the later
//! wins, as a map would keep it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use super::expr::{ExprJson, Parts};
use super::project::{Policies, Project, SourceHash};
use super::usage::Usage;
use super::{last_wins, Options, FORMAT, FORMAT_VERSION};
use crate::ast::{self, ButtonAction, Element, JourneyMember};
use crate::flow::graph::{Graph, Node, NodeKind, Target, WaitTarget};
use crate::flow::SendEvidence;
use crate::model;

/// The bundle of `graph`, pretty-printed with a final newline.
pub(super) fn write(project: &Project<'_>, graph: &Graph, options: Options) -> String {
    let bundle = Bundle::new(project, graph, options);
    // About 600 bytes per node, for the pretty-printed node and its compliance record.
    let capacity = 4096 + 640 * graph.nodes.len();
    let mut bytes = Vec::with_capacity(capacity);
    // serde_json fails only if a view's own `serialize` does (none does: every map key is a
    // string), and writes only UTF-8; `expect` would still be a panic, so a failure leaves the
    // text empty and `bundle::validate`, which every writer of a bundle calls, rejects it.
    if serde_json::to_writer_pretty(&mut bytes, &bundle).is_err() {
        bytes.clear();
    }
    let mut text = String::from_utf8(bytes).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Serialize)]
struct Bundle<'a> {
    format: &'static str,
    format_version: u32,
    compiler: Compiler,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_date_epoch: Option<u64>,
    sources: &'a [SourceHash<'a>],
    journey: &'a str,
    entry: Entry<'a>,
    audience: Option<ExprJson<'a>>,
    exit_on: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    exit_leaves: &'a [String],
    goals: Vec<Goal<'a>>,
    reentry: Reentry,
    start: &'a str,
    stages: Stages<'a>,
    nodes: Map<&'a str, NodeJson<'a>>,
    messages: Map<&'a str, Message<'a>>,
    segments: Map<&'a str, ExprJson<'a>>,
    profile: Fields<'a>,
    events: Map<&'a str, Event<'a>>,
    channels: Map<&'a str, Channel<'a>>,
    policies: &'a Policies<'a>,
    compliance: Map<&'a str, Compliance<'a>>,
}

#[derive(Serialize)]
struct Compiler {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Entry<'a> {
    event: Option<&'a str>,
    #[serde(rename = "where")]
    condition: Option<ExprJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<ScheduleJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    joins: Option<&'a str>,
}

/// `entry every mon..wed 10:00 recipient`: `{"every": ["mon", "tue", "wed"], "time": "10:00",
/// "zone": "recipient"}`; `entry at 2026-12-24 09:00 "Europe/Paris"`: `{"at": "2026-12-24", ...}`.
#[derive(Serialize)]
struct ScheduleJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    every: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    time: String,
    zone: String,
}

impl ScheduleJson {
    /// `None` for a schedule whose date was invalid (reported; no bundle is written then).
    fn new(schedule: &ast::Schedule) -> Option<ScheduleJson> {
        const WEEK: [ast::Weekday; 7] = [
            ast::Weekday::Mon,
            ast::Weekday::Tue,
            ast::Weekday::Wed,
            ast::Weekday::Thu,
            ast::Weekday::Fri,
            ast::Weekday::Sat,
            ast::Weekday::Sun,
        ];
        let index = |day: ast::Weekday| WEEK.iter().position(|d| *d == day).unwrap_or(0);
        let (every, at) = match &schedule.days {
            ast::ScheduleDays::EveryDay => (Some(WEEK.iter().map(|d| ast::weekday_name(*d)).collect()), None),
            ast::ScheduleDays::Every(specs) => {
                // Ranges wrap past Sunday (`fri..mon`); the days are listed in week order, once.
                let mut days = [false; 7];
                for spec in specs {
                    let (from, to) = (index(spec.from), index(spec.to));
                    let mut day = from;
                    for _ in 0..7 {
                        if let Some(slot) = days.get_mut(day) {
                            *slot = true;
                        }
                        if day == to {
                            break;
                        }
                        day = (day + 1) % 7;
                    }
                }
                let listed = WEEK.iter().zip(days).filter(|(_, on)| *on).map(|(d, _)| ast::weekday_name(*d)).collect();
                (Some(listed), None)
            }
            ast::ScheduleDays::On(date) => (None, Some((*date)?.iso())),
        };
        let zone = match &schedule.zone {
            ast::ZoneSpec::Recipient(_) => "recipient".to_owned(),
            ast::ZoneSpec::Fixed(name) => name.value.clone(),
        };
        let time = format!("{:02}:{:02}", schedule.time.minutes / 60, schedule.time.minutes % 60);
        Some(ScheduleJson { every, at, time, zone })
    }
}

#[derive(Serialize)]
struct Goal<'a> {
    name: &'a str,
    event: &'a str,
    within_s: u64,
}

/// `null`, `"never"` or `{"after_s": N}`.
enum Reentry {
    Unset,
    Never,
    After(u64),
}

impl Serialize for Reentry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Reentry::Unset => serializer.serialize_unit(),
            Reentry::Never => serializer.serialize_str("never"),
            Reentry::After(secs) => {
                let mut object = serializer.serialize_struct("Reentry", 1)?;
                object.serialize_field("after_s", secs)?;
                object.end()
            }
        }
    }
}

#[derive(Serialize)]
struct Stage<'a> {
    name: &'a str,
    start: &'a str,
    nodes: &'a [&'a str],
}

/// Entries already sorted by key and unique, written as an object.
struct Map<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Map<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A node: `kind`, `stage`, its kind's fields in key order, `next`, `source`.
struct NodeJson<'a> {
    project: &'a Project<'a>,
    graph: &'a Graph,
    node: &'a Node,
}

impl Serialize for NodeJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let node = self.node;
        let expr = |expr| ExprJson { project: self.project, expr, entry_event: None };
        let fields = match &node.kind {
            NodeKind::Send { .. } | NodeKind::Wait { .. } | NodeKind::Branch { .. } => 1,
            NodeKind::WaitUntil { until: WaitTarget::Clock { .. } } => 2,
            NodeKind::WaitUntil { until: WaitTarget::Moment(_) } => 1,
            NodeKind::Split { .. } | NodeKind::Tag { .. } | NodeKind::Track { .. } => 1,
            NodeKind::Ask { attempts, .. } if *attempts > 1 => 4,
            NodeKind::ConsentRevoke { .. } => 2,
            NodeKind::Ask { .. } | NodeKind::WaitFor { .. } | NodeKind::Handoff { .. } | NodeKind::Set { .. } => 2,
            NodeKind::ConsentRequest { .. } => 4,
        };
        let mut object = serializer.serialize_struct("Node", 4 + fields)?;
        object.serialize_field("kind", node.kind.name())?;
        object.serialize_field("stage", &node.stage)?;
        match &node.kind {
            NodeKind::Send { message } => object.serialize_field("message", message)?,
            NodeKind::Ask { message, timeout_secs, attempt, attempts } => {
                // Only an `ask` with `retries` says which asking a node is, so bundles of
                // journeys without retries are unchanged.
                if *attempts > 1 {
                    object.serialize_field("attempt", attempt)?;
                    object.serialize_field("attempts", attempts)?;
                }
                object.serialize_field("message", message)?;
                object.serialize_field("timeout_s", timeout_secs)?;
            }
            NodeKind::Wait { secs } => object.serialize_field("duration_s", secs)?,
            NodeKind::WaitUntil { until: WaitTarget::Clock { minute, zone } } => {
                object.serialize_field("time", &crate::syntax::literals::format_time(*minute))?;
                object.serialize_field("zone", zone.as_deref().unwrap_or("recipient"))?;
            }
            NodeKind::WaitUntil { until: WaitTarget::Moment(moment) } => {
                object.serialize_field("moment", &expr(moment))?;
            }
            NodeKind::WaitFor { events, within_secs } => {
                object.serialize_field("events", events)?;
                object.serialize_field("within_s", within_secs)?;
            }
            NodeKind::Branch { conditions } => {
                let conditions: Vec<ExprJson<'_>> = conditions.iter().map(|c| expr(c)).collect();
                object.serialize_field("conditions", &conditions)?;
            }
            NodeKind::Split { shares } => object.serialize_field("shares", shares)?,
            NodeKind::Handoff { team, timeout_secs } => {
                object.serialize_field("team", team)?;
                object.serialize_field("timeout_s", timeout_secs)?;
            }
            NodeKind::ConsentRequest { channel, category, message, timeout_secs } => {
                object.serialize_field("category", category)?;
                object.serialize_field("channel", channel)?;
                object.serialize_field("message", message)?;
                object.serialize_field("timeout_s", timeout_secs)?;
            }
            NodeKind::ConsentRevoke { channel, category } => {
                object.serialize_field("category", category)?;
                object.serialize_field("channel", channel)?;
            }
            NodeKind::Set { field, value } => {
                object.serialize_field("field", field)?;
                object.serialize_field("value", &expr(value))?;
            }
            NodeKind::Tag { name } => object.serialize_field("tag", name)?,
            NodeKind::Track { name } => object.serialize_field("event", name)?,
        }
        object.serialize_field("next", &Next { graph: self.graph, node })?;
        object.serialize_field("source", &self.project.source(node.file, node.span))?;
        object.end()
    }
}

/// A node's edges by label. Split arms are keyed by position (`p1`, `p2`, ... in the order of
/// `shares`): their labels are their shares, and two arms of `50%` must not collapse into one key.
struct Next<'a> {
    graph: &'a Graph,
    node: &'a Node,
}

impl Serialize for Next<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let target = |edge: &crate::flow::graph::Edge| target(self.graph, edge.target);
        if let [edge] = self.node.edges.as_slice() {
            if !matches!(self.node.kind, NodeKind::Split { .. }) {
                return serializer.collect_map([(edge.label.as_str(), target(edge))]);
            }
        }
        let split = matches!(self.node.kind, NodeKind::Split { .. });
        let mut edges: Vec<(Cow<'_, str>, &str)> = self
            .node
            .edges
            .iter()
            .enumerate()
            .map(|(i, edge)| {
                let label = if split { Cow::Owned(format!("p{}", i + 1)) } else { Cow::Borrowed(edge.label.as_str()) };
                (label, target(edge))
            })
            .collect();
        last_wins(&mut edges);
        serializer.collect_map(edges)
    }
}

/// A node's id, or `exit`.
fn target(graph: &Graph, target: Target) -> &str {
    match target {
        Target::Node(i) => graph.node(i).map_or("exit", |n| n.id.as_str()),
        Target::Exit => "exit",
    }
}

#[derive(Serialize)]
struct Message<'a> {
    channel: &'a str,
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<Parts<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Parts<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    replies: Vec<Reply<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    media: Vec<Media<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cards: Vec<Map<&'a str, CardPart<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<ListJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<TemplateJson<'a>>,
}

/// A list message's list (WA-LIST): rows written outside a section are a section without a title.
#[derive(Serialize)]
struct ListJson<'a> {
    button: Parts<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<Parts<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<Parts<'a>>,
    sections: Vec<SectionJson<'a>>,
}

#[derive(Serialize)]
struct SectionJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<Parts<'a>>,
    rows: Vec<RowJson<'a>>,
}

#[derive(Serialize)]
struct RowJson<'a> {
    outcome: &'a str,
    title: Parts<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Parts<'a>>,
}

#[derive(Serialize)]
struct Reply<'a> {
    outcome: &'a str,
    title: Parts<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Button<'a> {
    Outcome { outcome: &'a str, title: Parts<'a> },
    Url { title: Parts<'a>, url: Parts<'a> },
}

#[derive(Serialize)]
struct Media<'a> {
    kind: &'a str,
    url: Parts<'a>,
}

/// A card's `title`, `subtitle` and media (keyed by kind) are texts; `buttons` a list.
#[derive(Serialize)]
#[serde(untagged)]
enum CardPart<'a> {
    Text(Parts<'a>),
    Buttons(Vec<Button<'a>>),
}

#[derive(Serialize)]
struct TemplateJson<'a> {
    lang: &'a str,
    name: &'a str,
    params: Map<&'a str, ExprJson<'a>>,
}

/// `{"type": "text", "optional": true}` per field, by name.
struct Fields<'a>(&'a std::collections::BTreeMap<String, model::Field>);

#[derive(Serialize)]
struct FieldType {
    #[serde(rename = "type")]
    ty: String,
    optional: bool,
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer
            .collect_map(self.0.iter().map(|(name, f)| (name, FieldType { ty: f.ty.describe(), optional: f.optional })))
    }
}

#[derive(Serialize)]
struct Event<'a> {
    fields: Fields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inbound: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replies: Option<u64>,
}

#[derive(Serialize)]
struct Channel<'a> {
    window_s: Option<u64>,
    template_required_outside_window: bool,
    tags: Map<&'a str, Tag<'a>>,
    keywords: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
    /// What the channel is (`sms`, `mms`, `rcs`, `messaging`, `email`, `push`); every channel
    /// of a project that checks has one (J0315).
    #[serde(skip_serializing_if = "Option::is_none")]
    medium: Option<&'static str>,
}

#[derive(Serialize)]
struct Tag<'a> {
    allows: &'a [String],
    within_s: Option<u64>,
}

/// One opener class of a send's window proof: the window its message opened, and the bound.
#[derive(Serialize)]
struct Opener {
    opened_s: u64,
    max_s: Option<u64>,
}

#[derive(Serialize)]
struct Compliance<'a> {
    message: &'a str,
    channel: &'a str,
    category: &'a str,
    consent: &'a str,
    window_max_s: Option<u64>,
    window_s: Option<u64>,
    windows: Vec<Opener>,
    form: &'a str,
    frequency: &'a str,
    quiet_hours: &'a str,
    /// Left out when empty, so records of sends that rely on no request read as before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    consent_granted_by: Vec<GrantedBy<'a>>,
}

/// A `request consent` step that can have granted the consent a send relies on.
#[derive(Serialize)]
struct GrantedBy<'a> {
    node: &'a str,
    message: &'a str,
}

/// Views are built in a `Bundle` that lives as long as `project` and `graph` are borrowed.
impl<'a> Bundle<'a> {
    fn new(project: &'a Project<'a>, graph: &'a Graph, options: Options) -> Bundle<'a> {
        let usage = Usage::of(project, graph);
        let expr = |expr, entry_event| ExprJson { project, expr, entry_event };
        let mut goals = Vec::new();
        let mut reentry = Reentry::Unset;
        for member in project.journeys.get(graph.journey.as_str()).map_or(&[][..], |j| j.members.as_slice()) {
            match member {
                JourneyMember::Goal { name, event, within, .. } => {
                    goals.push(Goal { name: &name.name, event: &event.name, within_s: within.secs });
                }
                JourneyMember::Reentry { after, .. } => {
                    reentry = after.as_ref().map_or(Reentry::Never, |d| Reentry::After(d.secs));
                }
                _ => {}
            }
        }
        let entry_event = graph.entry_event.as_deref();
        Bundle {
            format: FORMAT,
            format_version: FORMAT_VERSION,
            compiler: Compiler { name: "journey", version: env!("CARGO_PKG_VERSION") },
            source_date_epoch: options.source_date_epoch,
            sources: &project.sources,
            journey: &graph.journey,
            // Bare names in `entry ... where` may be fields of the entry event.
            entry: Entry {
                event: entry_event,
                condition: graph.entry_condition.as_ref().map(|c| expr(c, entry_event)),
                schedule: graph.entry_schedule.as_ref().and_then(ScheduleJson::new),
                joins: graph.entry_segment.as_deref(),
            },
            audience: graph.audience.as_ref().map(|c| expr(c, None)),
            exit_on: &graph.exit_on,
            exit_leaves: &graph.exit_leaves,
            goals,
            reentry,
            start: target(graph, graph.start),
            stages: stages(graph),
            nodes: nodes(project, graph),
            messages: Map(usage
                .messages
                .iter()
                .filter_map(|name| project.messages.get(name).map(|m| (*name, message(project, m))))
                .collect()),
            segments: Map(usage
                .segments
                .iter()
                .filter_map(|name| project.segments.get(name).map(|c| (*name, expr(c, None))))
                .collect()),
            profile: Fields(&project.model.profile),
            events: Map(usage
                .events
                .iter()
                .filter_map(|name| {
                    project.model.events.get(*name).map(|e| {
                        let event = Event {
                            fields: Fields(&e.fields),
                            inbound: e.inbound.as_deref(),
                            window_s: e.window_secs,
                            replies: e.replies,
                        };
                        (*name, event)
                    })
                })
                .collect()),
            channels: Map(usage
                .channels
                .iter()
                .filter_map(|name| project.model.channels.get(*name).map(|c| (*name, channel(c))))
                .collect()),
            policies: &project.policies,
            compliance: compliance(project, graph),
        }
    }
}

/// The stages in source order with their node ids in node order.
struct Stages<'a> {
    /// Node ids grouped by stage, each group in node order.
    ids: Vec<&'a str>,
    /// Name, start, and the range of `ids` that lists its nodes.
    stages: Vec<(&'a str, &'a str, Range<usize>)>,
}

impl Serialize for Stages<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.stages.iter().map(|(name, start, nodes)| Stage {
            name,
            start,
            nodes: self.ids.get(nodes.clone()).unwrap_or_default(),
        }))
    }
}

/// Groups node ids by stage in linear time (filtering all nodes per stage is quadratic, and
/// searching a sorted list compares names a few hundred thousand times at 10,000 stages). Of
/// two stages of one name (an error the check reported), the first lists the nodes.
fn stages(graph: &Graph) -> Stages<'_> {
    // The first stage of each name. Only looked up, never iterated: its order never shows.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(graph.stages.len());
    for (i, stage) in graph.stages.iter().enumerate() {
        first.entry(stage.name.as_str()).or_insert(i);
    }
    let slots: Vec<Option<usize>> = graph.nodes.iter().map(|n| first.get(n.stage.as_str()).copied()).collect();
    // Counting sort of the nodes by their stage's slot, stable.
    let mut starts = vec![0; graph.stages.len() + 1];
    for slot in slots.iter().flatten() {
        if let Some(count) = starts.get_mut(slot + 1) {
            *count += 1;
        }
    }
    for i in 1..starts.len() {
        let before = starts.get(i - 1).copied().unwrap_or(0);
        if let Some(start) = starts.get_mut(i) {
            *start += before;
        }
    }
    let mut ids = vec![""; starts.last().copied().unwrap_or(0)];
    let mut next = starts.clone();
    for (node, slot) in graph.nodes.iter().zip(&slots) {
        let Some(at) = slot.and_then(|slot| next.get_mut(slot)) else { continue };
        if let Some(id) = ids.get_mut(*at) {
            *id = node.id.as_str();
        }
        *at += 1;
    }
    let stages = graph
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let nodes = match (starts.get(i), starts.get(i + 1)) {
                (Some(&from), Some(&to)) => from..to,
                _ => 0..0,
            };
            (stage.name.as_str(), target(graph, stage.start), nodes)
        })
        .collect();
    Stages { ids, stages }
}

fn nodes<'a>(project: &'a Project<'a>, graph: &'a Graph) -> Map<&'a str, NodeJson<'a>> {
    let mut nodes: Vec<(&str, NodeJson<'_>)> =
        graph.nodes.iter().map(|node| (node.id.as_str(), NodeJson { project, graph, node })).collect();
    last_wins(&mut nodes);
    Map(nodes)
}

/// The record of every send of this journey, by node.
fn compliance<'a>(project: &'a Project<'a>, graph: &'a Graph) -> Map<&'a str, Compliance<'a>> {
    let mut records: Vec<(&str, Compliance<'_>)> = project
        .report
        .flow
        .evidence
        .iter()
        .filter(|e| e.journey == graph.journey)
        .map(|e: &SendEvidence| {
            let record = Compliance {
                message: &e.message,
                channel: &e.channel,
                category: &e.category,
                consent: &e.consent,
                window_max_s: e.window_max_secs,
                window_s: e.window_secs,
                windows: e
                    .windows
                    .iter()
                    .map(|(opened_s, max_s)| Opener { opened_s: *opened_s, max_s: *max_s })
                    .collect(),
                form: &e.form,
                frequency: &e.frequency,
                quiet_hours: &e.quiet_hours,
                consent_granted_by: e
                    .granted_by
                    .iter()
                    .map(|(node, message)| GrantedBy { node: node.as_str(), message: message.as_str() })
                    .collect(),
            };
            (e.node.as_str(), record)
        })
        .collect();
    last_wins(&mut records);
    Map(records)
}

fn channel(channel: &model::Channel) -> Channel<'_> {
    let tags = channel.tags.iter().map(|(n, t)| (n.as_str(), Tag { allows: &t.allows, within_s: t.within_secs }));
    Channel {
        window_s: channel.window_secs,
        template_required_outside_window: channel.template_required_outside_window,
        tags: Map(tags.collect()),
        keywords: &channel.keywords,
        encoding: channel.encoding.as_deref(),
        medium: channel.medium.map(model::Medium::as_str),
    }
}

/// A message's elements; of two `text`s (or subjects, tags, templates), the last.
fn message<'a>(project: &'a Project<'a>, message: &'a ast::Message) -> Message<'a> {
    let parts = |template| Parts { project, template };
    let button = |title, action: &'a ButtonAction| match action {
        ButtonAction::Outcome(outcome) => Button::Outcome { outcome: &outcome.name, title: parts(title) },
        ButtonAction::Url(url) => Button::Url { title: parts(title), url: parts(url) },
    };
    let mut out = Message {
        channel: &message.channel.name,
        category: &message.category.name,
        tag: None,
        subject: None,
        body: None,
        replies: Vec::new(),
        buttons: Vec::new(),
        media: Vec::new(),
        cards: Vec::new(),
        list: None,
        template: None,
    };
    for element in &message.elements {
        match element {
            Element::Text(t) => out.body = Some(parts(t)),
            Element::Subject(t) => out.subject = Some(parts(t)),
            Element::Reply { title, outcome, .. } => {
                out.replies.push(Reply { outcome: &outcome.name, title: parts(title) })
            }
            Element::Button { title, action, .. } => out.buttons.push(button(title, action)),
            Element::Media { kind, url, .. } => out.media.push(Media { kind: &kind.name, url: parts(url) }),
            Element::Card { elements, .. } => {
                // Keys in insertion order, `buttons` last; a media kind may repeat another key.
                let mut card: Vec<(&str, CardPart<'_>)> = Vec::new();
                let mut buttons = Vec::new();
                for part in elements {
                    match part {
                        Element::Title(t) => card.push(("title", CardPart::Text(parts(t)))),
                        Element::Subtitle(t) => card.push(("subtitle", CardPart::Text(parts(t)))),
                        Element::Media { kind, url, .. } => card.push((&kind.name, CardPart::Text(parts(url)))),
                        Element::Button { title, action, .. } => buttons.push(button(title, action)),
                        _ => {}
                    }
                }
                card.push(("buttons", CardPart::Buttons(buttons)));
                last_wins(&mut card);
                out.cards.push(Map(card));
            }
            Element::List(list) => {
                let row = |row: &'a ast::ListRow| RowJson {
                    outcome: &row.outcome.name,
                    title: parts(&row.title),
                    description: row.description.as_ref().map(parts),
                };
                let sections = list
                    .sections()
                    .into_iter()
                    .map(|section| SectionJson {
                        title: section.title.map(parts),
                        rows: section.rows.into_iter().map(row).collect(),
                    })
                    .collect();
                out.list = Some(ListJson {
                    button: parts(&list.button),
                    header: list.header().map(parts),
                    footer: list.footer().map(parts),
                    sections,
                });
            }
            Element::Template { name, lang, params, .. } => {
                let mut params: Vec<(&str, ExprJson<'_>)> = params
                    .iter()
                    .map(|p| (p.name.name.as_str(), ExprJson { project, expr: &p.value, entry_event: None }))
                    .collect();
                last_wins(&mut params);
                out.template = Some(TemplateJson { lang: &lang.value, name: &name.value, params: Map(params) });
            }
            Element::Tag { name, .. } => out.tag = Some(&name.name),
            Element::Title(_) | Element::Subtitle(_) => {}
        }
    }
    out
}
