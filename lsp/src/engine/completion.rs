//! Completion in context: what may be written at the cursor.
//!
//! The place is read from the text ([`super::lexical`]); the candidates (messages, events,
//! channels, segments, event fields) come from the project's model, so names declared in
//! imported files the editor never opened are offered too; stages from the journey around the
//! cursor.

use journey_compiler::ast::{Item, JourneyMember};
use journey_compiler::model::{Model, CATEGORIES};
use journey_compiler::Span;

use super::keywords::{KeywordDoc, Place, DOCS};
use super::lexical::{self, Block, Context};
use super::{Analysis, Files};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CandidateKind {
    Keyword,
    Message,
    Stage,
    Event,
    Channel,
    Category,
    Segment,
    Field,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub label: String,
    pub kind: CandidateKind,
    /// A short description shown beside the label.
    pub detail: Option<String>,
}

/// The candidates at the cursor, and the span of the partial name they replace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completions {
    pub replace: Span,
    pub candidates: Vec<Candidate>,
}

pub fn complete(files: Files<'_>, offset: usize) -> Completions {
    let ctx = lexical::context(&files.current.text, offset);
    let replace = Span::new(ctx.word_start, ctx.word_start + ctx.word.len());
    let mut candidates = if ctx.in_comment || ctx.in_string { Vec::new() } else { candidates(files, offset, &ctx) };
    candidates.sort_by(|a, b| (a.kind, &a.label).cmp(&(b.kind, &b.label)));
    candidates.dedup_by(|a, b| a.kind == b.kind && a.label == b.label);
    Completions { replace, candidates }
}

fn candidates(files: Files<'_>, offset: usize, ctx: &Context) -> Vec<Candidate> {
    if let Some(path) = &ctx.after_dot {
        return if path == "event" { event_fields(files.current, offset) } else { Vec::new() };
    }
    let first = ctx.first();
    let last = ctx.last(0);
    let before_last = ctx.last(1);
    match (first, before_last, last) {
        (_, _, Some("send" | "ask" | "via")) => messages(files),
        (_, _, Some("goto")) => stages(files.current, offset),
        (_, Some("when"), Some("joins" | "leaves")) => segments(files),
        (_, Some("entry" | "exit"), Some("on")) | (_, Some("wait"), Some("for")) => events(files),
        (Some("exit" | "wait"), _, Some(",")) => events(files),
        (Some("goal"), _, Some("=")) => events(files),
        (Some("message"), _, Some("on"))
        | (_, _, Some("inbound"))
        | (_, Some("request" | "revoke"), Some("consent")) => channels(files),
        // `frequency CATEGORY ...` or `frequency CHANNEL CATEGORY ...`: both start here.
        (_, _, Some("frequency")) => {
            let mut both = categories();
            both.extend(channels(files));
            both
        }
        (_, _, Some("as")) => categories(),
        (Some("request" | "revoke"), Some("consent"), Some(_)) => categories(),
        (Some("frequency"), Some("frequency"), Some(_)) => categories(),
        _ if ctx.at_statement_start() => statement_keywords(ctx),
        (Some("audience" | "if" | "segment" | "where"), _, _) | (_, _, Some("and" | "or" | "not")) => {
            if ctx.in_interpolation {
                Vec::new()
            } else {
                segments(files)
            }
        }
        _ => Vec::new(),
    }
}

fn statement_keywords(ctx: &Context) -> Vec<Candidate> {
    if ctx.in_interpolation {
        return Vec::new();
    }
    let place = match ctx.block() {
        _ if ctx.after_arrow => Place::Step,
        None => Place::Item,
        Some(Block::Journey) => Place::Member,
        Some(Block::Steps) => Place::Step,
        Some(Block::Arms) => return vec![arm_keyword("timeout")],
        Some(Block::AskArms) => return vec![arm_keyword("timeout"), arm_keyword("other")],
        Some(Block::Elements) => Place::Element,
        Some(Block::List) => Place::ListPart,
        // A section holds rows only.
        Some(Block::Section) => {
            return DOCS.iter().filter(|doc| doc.label == "row").map(keyword_candidate).collect();
        }
        Some(Block::Channel) => Place::ChannelRule,
        Some(Block::Policy) => Place::PolicyRule,
        Some(Block::Other) => return Vec::new(),
    };
    DOCS.iter().filter(|doc| doc.place == place).map(keyword_candidate).collect()
}

fn keyword_candidate(doc: &KeywordDoc) -> Candidate {
    Candidate { label: doc.label.to_owned(), kind: CandidateKind::Keyword, detail: Some(doc.syntax.to_owned()) }
}

/// An outcome every step of its kind has: `timeout`, and an `ask`'s `other`.
fn arm_keyword(label: &str) -> Candidate {
    Candidate { label: label.to_owned(), kind: CandidateKind::Keyword, detail: Some(format!("{label} => STEP")) }
}

fn messages(files: Files<'_>) -> Vec<Candidate> {
    let model = &files.current.model;
    model
        .messages
        .iter()
        .map(|(name, message)| Candidate {
            label: name.clone(),
            kind: CandidateKind::Message,
            detail: Some(format!("on {} as {}", message.channel, message.category)),
        })
        .collect()
}

/// The stages of the journey around the cursor (all stages of the file when the cursor is in no
/// journey the parser could read).
fn stages(file: &Analysis, offset: usize) -> Vec<Candidate> {
    let journeys: Vec<&journey_compiler::ast::Journey> = file
        .ast
        .iter()
        .flat_map(|ast| ast.items.iter())
        .filter_map(|item| match item {
            Item::Journey(journey) => Some(journey),
            _ => None,
        })
        .collect();
    let around: Vec<_> =
        journeys.iter().filter(|journey| journey.span.start() <= offset && offset <= journey.span.end()).collect();
    let scope: Vec<_> = if around.is_empty() { journeys.iter().collect() } else { around };
    scope
        .into_iter()
        .flat_map(|journey| {
            journey.members.iter().filter_map(move |member| match member {
                JourneyMember::Stage(stage) => Some(Candidate {
                    label: stage.name.name.clone(),
                    kind: CandidateKind::Stage,
                    detail: Some(format!("stage of {}", journey.name.name)),
                }),
                _ => None,
            })
        })
        .collect()
}

fn events(files: Files<'_>) -> Vec<Candidate> {
    named(files.current.model.events.keys(), CandidateKind::Event, "event")
}

fn segments(files: Files<'_>) -> Vec<Candidate> {
    named(files.current.model.segments.keys(), CandidateKind::Segment, "segment")
}

fn channels(files: Files<'_>) -> Vec<Candidate> {
    named(files.current.model.channels.keys(), CandidateKind::Channel, "channel")
}

fn named<'m>(names: impl Iterator<Item = &'m String>, kind: CandidateKind, detail: &str) -> Vec<Candidate> {
    names.map(|name| Candidate { label: name.clone(), kind, detail: Some(detail.to_owned()) }).collect()
}

fn categories() -> Vec<Candidate> {
    CATEGORIES
        .iter()
        .map(|name| Candidate {
            label: (*name).to_owned(),
            kind: CandidateKind::Category,
            detail: Some("category".to_owned()),
        })
        .collect()
}

/// After `event.`: the fields of the journey's entry event, or of every event of the project
/// when the cursor is not in a journey (a message's text can use the fields of any event that
/// triggers it).
fn event_fields(file: &Analysis, offset: usize) -> Vec<Candidate> {
    let model: &Model = &file.model;
    let entry_event = entry_event_before(&file.text, offset);
    model
        .events
        .iter()
        .filter(|(name, _)| entry_event.as_ref().is_none_or(|entry| entry == *name))
        .flat_map(|(event, declared)| {
            declared.fields.keys().map(move |field| Candidate {
                label: field.clone(),
                kind: CandidateKind::Field,
                detail: Some(format!("field of {event}")),
            })
        })
        .collect()
}

/// The event of the last `entry on EVENT` between the start of the enclosing `journey` and the
/// cursor. Read from the text, because the line being typed (often the entry itself) does not
/// parse yet.
fn entry_event_before(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let journey_start = before.rfind("journey ")?;
    let entry = before.get(journey_start..)?.rfind("entry on ")? + journey_start + "entry on ".len();
    let name: String = before.get(entry..)?.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}
