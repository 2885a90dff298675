//! Every named thing of one file: where it is defined and where it is used.
//!
//! Built once per analysis from the AST, in one walk. This is the single-file stand-in for the
//! compiler's coming symbol tables: when those exist, navigation should read them instead, and
//! this module goes away. Names here are matched by text alone (stages within their journey).

use journey_compiler::ast::{
    ArmLabel, Element, Expr, ExprKind, File, Item, JourneyMember, Step, StepKind, TemplatePart,
};
use journey_compiler::Span;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SymbolKind {
    Message,
    /// Stages are scoped to their journey.
    Stage,
    Segment,
    Event,
    Channel,
    Journey,
    /// A bare name in an expression (`audience runners or vip`): a segment when one has that
    /// name, otherwise a profile field or an unknown name (resolved by the compiler later).
    Name,
}

impl SymbolKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Message => "message",
            SymbolKind::Stage => "stage",
            SymbolKind::Segment => "segment",
            SymbolKind::Event => "event",
            SymbolKind::Channel => "channel",
            SymbolKind::Journey => "journey",
            SymbolKind::Name => "name",
        }
    }
}

/// One occurrence of a name: a definition or a use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub kind: SymbolKind,
    pub name: String,
    /// The name itself.
    pub span: Span,
    /// For stages (and `goto`s): the index of the enclosing journey among the file's items.
    pub journey: Option<usize>,
    /// For definitions: the whole item or stage.
    pub definition: Option<Span>,
}

impl Occurrence {
    pub fn is_definition(&self) -> bool {
        self.definition.is_some()
    }
}

/// The names of one file, in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileIndex {
    pub occurrences: Vec<Occurrence>,
}

impl FileIndex {
    pub fn build(file: &File) -> FileIndex {
        let mut walker = Walker { occurrences: Vec::new(), journey: None };
        for (index, item) in file.items.iter().enumerate() {
            walker.item(index, item);
        }
        let mut occurrences = walker.occurrences;
        occurrences.sort_by_key(|occurrence| (occurrence.span.start, occurrence.span.end));
        FileIndex { occurrences }
    }

    pub fn definitions(&self) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(|occurrence| occurrence.is_definition())
    }

    /// The occurrence under the cursor: one whose name contains the offset, or ends right at it
    /// (the cursor just after a name, as while typing, still means that name).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        let first = self.occurrences.partition_point(|occurrence| occurrence.span.end() < offset);
        self.occurrences.get(first..)?.iter().take_while(|occurrence| occurrence.span.start() <= offset).last()
    }
}

struct Walker {
    occurrences: Vec<Occurrence>,
    journey: Option<usize>,
}

impl Walker {
    fn define(&mut self, kind: SymbolKind, ident: &journey_compiler::ast::Ident, whole: Span) {
        let journey = if kind == SymbolKind::Stage { self.journey } else { None };
        self.occurrences.push(Occurrence {
            kind,
            name: ident.name.clone(),
            span: ident.span,
            journey,
            definition: Some(whole),
        });
    }

    fn use_name(&mut self, kind: SymbolKind, ident: &journey_compiler::ast::Ident) {
        let journey = if kind == SymbolKind::Stage { self.journey } else { None };
        self.occurrences.push(Occurrence {
            kind,
            name: ident.name.clone(),
            span: ident.span,
            journey,
            definition: None,
        });
    }

    fn item(&mut self, index: usize, item: &Item) {
        match item {
            Item::Import(_) | Item::Profile(_) | Item::Policy(_) => {}
            Item::Template(template) => self.use_name(SymbolKind::Channel, &template.channel),
            Item::Event(event) => {
                self.define(SymbolKind::Event, &event.name, event.span);
                if let Some(channel) = &event.inbound {
                    self.use_name(SymbolKind::Channel, channel);
                }
            }
            Item::Segment(segment) => {
                self.define(SymbolKind::Segment, &segment.name, segment.span);
                self.expr(&segment.condition);
            }
            Item::Channel(channel) => self.define(SymbolKind::Channel, &channel.name, channel.span),
            Item::Message(message) => {
                self.define(SymbolKind::Message, &message.name, message.span);
                self.use_name(SymbolKind::Channel, &message.channel);
                self.elements(&message.elements);
            }
            Item::Journey(journey) => {
                self.define(SymbolKind::Journey, &journey.name, journey.span);
                self.journey = Some(index);
                for member in &journey.members {
                    self.member(member);
                }
                self.journey = None;
            }
        }
    }

    fn elements(&mut self, elements: &[Element]) {
        for element in elements {
            match element {
                Element::Card { elements, .. } => self.elements(elements),
                Element::Template { params, .. } => {
                    for param in params {
                        self.expr(&param.value);
                    }
                }
                _ => {}
            }
        }
    }

    fn member(&mut self, member: &JourneyMember) {
        match member {
            JourneyMember::Audience { condition, .. } => self.expr(condition),
            JourneyMember::Entry { event, condition, .. } => {
                self.use_name(SymbolKind::Event, event);
                if let Some(condition) = condition {
                    self.expr(condition);
                }
            }
            JourneyMember::ExitOn { events, .. } => {
                for event in events {
                    self.use_name(SymbolKind::Event, event);
                }
            }
            JourneyMember::Goal { event, .. } => self.use_name(SymbolKind::Event, event),
            JourneyMember::Reentry { .. } => {}
            JourneyMember::Stage(stage) => {
                self.define(SymbolKind::Stage, &stage.name, stage.span);
                self.steps(&stage.steps);
            }
        }
    }

    fn steps(&mut self, steps: &[Step]) {
        for step in steps {
            self.step(step);
        }
    }

    fn step(&mut self, step: &Step) {
        match &step.kind {
            StepKind::Send { message } => self.use_name(SymbolKind::Message, message),
            StepKind::Ask { message, arms, .. } => {
                self.use_name(SymbolKind::Message, message);
                self.arms(arms, &[]);
            }
            StepKind::WaitFor { events, arms, .. } => {
                for event in events {
                    self.use_name(SymbolKind::Event, event);
                }
                self.arms(arms, events);
            }
            StepKind::If { branches, else_steps } => {
                for branch in branches {
                    self.expr(&branch.condition);
                    self.steps(&branch.steps);
                }
                if let Some(steps) = else_steps {
                    self.steps(steps);
                }
            }
            StepKind::Split { arms } | StepKind::Handoff { arms, .. } => self.arms(arms, &[]),
            StepKind::RequestConsent { channel, message, arms, .. } => {
                self.use_name(SymbolKind::Channel, channel);
                self.use_name(SymbolKind::Message, message);
                self.arms(arms, &[]);
            }
            StepKind::Set { value, .. } => self.expr(value),
            StepKind::Goto { stage } => self.use_name(SymbolKind::Stage, stage),
            StepKind::Wait { .. } | StepKind::Tag { .. } | StepKind::Track { .. } | StepKind::Exit => {}
        }
    }

    /// Arms of a `wait for` are labelled by the events waited for: those labels are uses of
    /// the events (renaming the event renames them).
    fn arms(&mut self, arms: &[journey_compiler::ast::Arm], events: &[journey_compiler::ast::Ident]) {
        for arm in arms {
            if let ArmLabel::Outcome(label) = &arm.label {
                if events.iter().any(|event| event.name == label.name) {
                    self.use_name(SymbolKind::Event, label);
                }
            }
            self.steps(&arm.steps);
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Path(path) => {
                if let [name] = path.segments.as_slice() {
                    self.use_name(SymbolKind::Name, name);
                }
            }
            ExprKind::Str(template) => {
                for part in &template.parts {
                    if let TemplatePart::Field { fallback: Some(fallback), .. } = part {
                        self.expr(fallback);
                    }
                }
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item);
                }
            }
            ExprKind::Call { name, args } => {
                // `consent(CHANNEL, CATEGORY)`: the first argument names a channel.
                for (position, arg) in args.iter().enumerate() {
                    match &arg.kind {
                        ExprKind::Path(path) if name.name == "consent" && position == 0 => {
                            if let [channel] = path.segments.as_slice() {
                                self.use_name(SymbolKind::Channel, channel);
                            }
                        }
                        ExprKind::Path(_) if name.name == "consent" => {}
                        _ => self.expr(arg),
                    }
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Int(_)
            | ExprKind::Decimal(_)
            | ExprKind::Money { .. }
            | ExprKind::Bool(_)
            | ExprKind::Duration(_)
            | ExprKind::Within(_) => {}
        }
    }
}
