//! The outline of a file (document symbols) and the symbols of all open files (workspace
//! symbols).

use journey_compiler::ast::{Arm, ArmLabel, Item, JourneyMember, PolicyRule, Step, StepKind, WaitUntil, ZoneSpec};
use journey_compiler::Span;

use journey_compiler::model::SymbolKind;

use super::{Analysis, FileSpan, Files};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlineKind {
    Import,
    Profile,
    Field,
    Event,
    Segment,
    Policy,
    Rule,
    Channel,
    Message,
    Journey,
    /// `audience`, `entry on`, `exit on`, `goal`, `reentry`.
    Setting,
    Stage,
    Step,
    /// An arm or branch of a step.
    Branch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineItem {
    pub name: String,
    pub detail: Option<String>,
    pub kind: OutlineKind,
    /// The whole construct.
    pub span: Span,
    /// The part to select and reveal: its name, or its keyword.
    pub selection: Span,
    pub children: Vec<OutlineItem>,
}

/// The items of a file, with stages and their steps nested inside journeys.
pub fn outline(file: &Analysis) -> Vec<OutlineItem> {
    let Some(ast) = &file.ast else { return Vec::new() };
    ast.items.iter().map(|item| item_outline(file, item)).collect()
}

fn leaf(name: String, kind: OutlineKind, span: Span, selection: Span) -> OutlineItem {
    OutlineItem { name, detail: None, kind, span, selection, children: Vec::new() }
}

fn item_outline(file: &Analysis, item: &Item) -> OutlineItem {
    match item {
        Item::Template(template) => OutlineItem {
            detail: Some(format!("template on {}", template.channel.name)),
            ..leaf(template.name.name.clone(), OutlineKind::Message, template.span, template.name.span)
        },
        Item::Import(import) => {
            leaf(format!("import \"{}\"", import.path.value), OutlineKind::Import, import.span, import.path.span)
        }
        Item::Profile(profile) => OutlineItem {
            children: profile
                .fields
                .iter()
                .map(|field| OutlineItem {
                    detail: Some(short(file.slice(field.ty.span))),
                    ..leaf(field.name.name.clone(), OutlineKind::Field, field.span, field.name.span)
                })
                .collect(),
            ..leaf("profile".to_owned(), OutlineKind::Profile, profile.span, keyword_span(profile.span, "profile"))
        },
        Item::Event(event) => OutlineItem {
            detail: event.inbound.as_ref().map(|channel| format!("inbound {}", channel.name)),
            children: event
                .fields
                .iter()
                .map(|field| OutlineItem {
                    detail: Some(short(file.slice(field.ty.span))),
                    ..leaf(field.name.name.clone(), OutlineKind::Field, field.span, field.name.span)
                })
                .collect(),
            ..leaf(event.name.name.clone(), OutlineKind::Event, event.span, event.name.span)
        },
        Item::Segment(segment) => OutlineItem {
            detail: Some(short(file.slice(segment.condition.span))),
            ..leaf(segment.name.name.clone(), OutlineKind::Segment, segment.span, segment.name.span)
        },
        Item::Policy(policy) => {
            let (name, selection) = match &policy.name {
                Some(name) => (format!("policy {}", name.name), name.span),
                None => ("policy".to_owned(), keyword_span(policy.span, "policy")),
            };
            OutlineItem {
                children: policy
                    .rules
                    .iter()
                    .map(|rule| {
                        let span = rule_span(rule);
                        leaf(short(file.slice(span)), OutlineKind::Rule, span, span)
                    })
                    .collect(),
                ..leaf(name, OutlineKind::Policy, policy.span, selection)
            }
        }
        Item::Channel(channel) => {
            leaf(channel.name.name.clone(), OutlineKind::Channel, channel.span, channel.name.span)
        }
        Item::Message(message) => OutlineItem {
            detail: Some(format!("on {} as {}", message.channel.name, message.category.name)),
            ..leaf(message.name.name.clone(), OutlineKind::Message, message.span, message.name.span)
        },
        Item::Journey(journey) => OutlineItem {
            children: journey.members.iter().map(|member| member_outline(file, member)).collect(),
            ..leaf(journey.name.name.clone(), OutlineKind::Journey, journey.span, journey.name.span)
        },
    }
}

fn rule_span(rule: &PolicyRule) -> Span {
    match rule {
        PolicyRule::QuietHours { span, .. }
        | PolicyRule::Frequency { span, .. }
        | PolicyRule::BusinessHours { span, .. }
        | PolicyRule::Jurisdiction { span, .. } => *span,
    }
}

fn member_outline(file: &Analysis, member: &JourneyMember) -> OutlineItem {
    match member {
        JourneyMember::Stage(stage) => OutlineItem {
            children: steps_outline(file, &stage.steps),
            ..leaf(stage.name.name.clone(), OutlineKind::Stage, stage.span, stage.name.span)
        },
        JourneyMember::Audience { span, .. }
        | JourneyMember::Entry { span, .. }
        | JourneyMember::EntrySchedule { span, .. }
        | JourneyMember::EntryJoins { span, .. }
        | JourneyMember::ExitLeaves { span, .. }
        | JourneyMember::ExitOn { span, .. }
        | JourneyMember::Goal { span, .. }
        | JourneyMember::Reentry { span, .. } => leaf(short(file.slice(*span)), OutlineKind::Setting, *span, *span),
    }
}

fn steps_outline(file: &Analysis, steps: &[Step]) -> Vec<OutlineItem> {
    steps.iter().map(|step| step_outline(file, step)).collect()
}

fn step_outline(file: &Analysis, step: &Step) -> OutlineItem {
    let name = match &step.kind {
        StepKind::Send { message } => format!("send {}", message.name),
        StepKind::Ask { message, .. } => format!("ask {}", message.name),
        StepKind::Wait { duration } => format!("wait {}", file.slice(duration.span)),
        StepKind::WaitUntil { until } => match until {
            WaitUntil::Clock { time, zone } => {
                let zone = match zone {
                    ZoneSpec::Recipient(_) => "recipient".to_owned(),
                    ZoneSpec::Fixed(name) => format!("\"{}\"", name.value),
                };
                format!("wait until {} {zone}", file.slice(time.span))
            }
            WaitUntil::Moment(moment) => format!("wait until {}", file.slice(moment.span)),
        },
        StepKind::WaitFor { events, .. } => {
            format!("wait for {}", events.iter().map(|event| event.name.as_str()).collect::<Vec<_>>().join(", "))
        }
        StepKind::If { branches, .. } => match branches.first() {
            Some(branch) => format!("if {}", file.slice(branch.condition.span)),
            None => "if".to_owned(),
        },
        StepKind::Split { .. } => "split".to_owned(),
        StepKind::Handoff { team, .. } => format!("handoff \"{}\"", team.value),
        StepKind::RequestConsent { channel, category, .. } => {
            format!("request consent {} {}", channel.name, category.name)
        }
        StepKind::RevokeConsent { channel, category } => {
            format!("revoke consent {} {}", channel.name, category.name)
        }
        StepKind::Set { target, .. } => format!("set {}", file.slice(target.span)),
        StepKind::Tag { name } => format!("tag \"{}\"", name.value),
        StepKind::Track { name } => format!("track \"{}\"", name.value),
        StepKind::Goto { stage } => format!("goto {}", stage.name),
        StepKind::Exit => "exit".to_owned(),
    };
    let children = match &step.kind {
        StepKind::Ask { arms, .. }
        | StepKind::WaitFor { arms, .. }
        | StepKind::Split { arms }
        | StepKind::Handoff { arms, .. }
        | StepKind::RequestConsent { arms, .. } => arms.iter().map(|arm| arm_outline(file, arm)).collect(),
        StepKind::If { branches, else_steps } => {
            let mut children: Vec<OutlineItem> = branches
                .iter()
                .enumerate()
                .map(|(i, branch)| OutlineItem {
                    children: steps_outline(file, &branch.steps),
                    ..leaf(
                        format!("{} {}", if i == 0 { "if" } else { "else if" }, file.slice(branch.condition.span)),
                        OutlineKind::Branch,
                        branch.span,
                        branch.condition.span,
                    )
                })
                .collect();
            if let Some(steps) = else_steps {
                let span = steps.iter().map(|step| step.span).reduce(Span::cover).unwrap_or(step.span);
                children.push(OutlineItem {
                    children: steps_outline(file, steps),
                    ..leaf("else".to_owned(), OutlineKind::Branch, span, span)
                });
            }
            children
        }
        _ => Vec::new(),
    };
    OutlineItem { children, ..leaf(short(&name), OutlineKind::Step, step.span, step.span) }
}

fn arm_outline(file: &Analysis, arm: &Arm) -> OutlineItem {
    let (label, selection) = match &arm.label {
        ArmLabel::Outcome(outcome) => (outcome.name.clone(), outcome.span),
        ArmLabel::Percent { value, span } => (value.map_or_else(|| "?%".to_owned(), |v| format!("{v}%")), *span),
    };
    OutlineItem {
        children: steps_outline(file, &arm.steps),
        ..leaf(format!("{label} =>"), OutlineKind::Branch, arm.span, selection)
    }
}

/// The keyword at the start of an item (for items without a name).
fn keyword_span(span: Span, keyword: &str) -> Span {
    Span::new(span.start(), (span.start() + keyword.len()).min(span.end()))
}

/// One line, at most 80 characters.
fn short(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 80 {
        let cut: String = line.chars().take(79).collect();
        format!("{cut}…")
    } else {
        line
    }
}

/// A declaration of an open document's project, for workspace symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The journey of a stage, the event of an event field.
    pub container: Option<String>,
    pub location: FileSpan,
    /// Which of the request's analyses (`Files::all`, in order) `location` is in the ids of.
    pub analysis: usize,
}

/// The declarations of the projects of every open document whose name matches `query`
/// (case-insensitive, the query's characters in order: `cn` matches `cart_nudge`), at most
/// `limit`. A project with several open documents is listed once per document; the protocol
/// layer drops the repeats by location.
pub fn workspace_symbols(files: Files<'_>, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let query: Vec<char> = query.to_lowercase().chars().collect();
    let mut symbols = Vec::new();
    for (analysis, file) in files.all().enumerate() {
        for declaration in file.symbols.declarations() {
            if !fuzzy_match(&query, &declaration.name) {
                continue;
            }
            if symbols.len() >= limit {
                return symbols;
            }
            let container =
                declaration.scope.and_then(|scope| file.symbols.declaration(scope)).map(|scope| scope.name.clone());
            symbols.push(WorkspaceSymbol {
                name: declaration.name.clone(),
                kind: declaration.kind,
                container,
                location: declaration.at,
                analysis,
            });
        }
    }
    symbols
}

fn fuzzy_match(query: &[char], name: &str) -> bool {
    let mut wanted = query.iter().peekable();
    for c in name.chars().flat_map(char::to_lowercase) {
        if wanted.peek() == Some(&&c) {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}
