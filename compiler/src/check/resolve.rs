//! Second pass: every reference of the project resolved against the [`Model`].
//!
//! Journeys are walked stage by stage, carrying the event in scope (`event.x`): the entry event
//! at the start, the event of a `wait for` arm inside that arm, and the join of all paths where
//! paths meet. Stage entry scopes are found with a worklist (a stage is walked again only when its
//! entry scope grows, at most three times), then every stage is walked once more to report. So
//! the cost is linear in the size of the journey, whatever its shape.

use std::collections::{BTreeMap, BTreeSet};

use super::exprs::{check_condition, check_template, event_paths, type_of, EventScope, Scope};
use super::names_index::NamesIndex;
use super::Sink;
use crate::ast::{self, Arm, ArmLabel, Element, Item, JourneyMember, PolicyRule, Step, StepKind};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{self, Model, SymbolKind};
use crate::project::Sources;
use crate::span::FileId;

pub fn resolve(sources: &Sources, model: &Model, sink: &mut Sink) {
    // The `event.x` fields each message reads, from its declaration (the first of duplicates,
    // reported as J0209, winning as in the model, so a label and its file always come from the
    // same declaration). Read once here, checked at every send.
    let mut messages: EventReads<'_> = BTreeMap::new();
    for item in sources.files.iter().filter_map(|f| f.ast.as_ref()).flat_map(|a| a.items.iter()) {
        if let Item::Message(message) = item {
            messages.entry(message.name.name.as_str()).or_insert_with(|| event_reads(message));
        }
    }
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            let scope = Scope { model, file: file.id, event: EventScope::None, bare_event_fields: false };
            match item {
                Item::Import(_) | Item::Profile(_) | Item::Channel(_) => {}
                Item::Event(event) => {
                    if let Some(channel) = &event.inbound {
                        check_channel(channel, &scope, sink);
                    }
                }
                Item::Segment(segment) => check_condition(&segment.condition, &scope, sink),
                Item::Policy(policy) => {
                    for rule in &policy.rules {
                        if let PolicyRule::Frequency { category, .. } = rule {
                            super::collect::check_category(file.id, category, sink);
                        }
                    }
                }
                Item::Message(message) => check_message(message, &Scope { event: EventScope::Deferred, ..scope }, sink),
                Item::Template(template) => {
                    check_channel(&template.channel, &scope, sink);
                    if super::collect::check_category(file.id, &template.category, sink) {
                        sink.stats.references += 1;
                    }
                }
                Item::Journey(journey) => JourneyWalk::new(journey, file.id, model, &messages).run(sink),
            }
        }
    }
}

/// A message's `template "name" lang "xx" { params }` against the template's declaration, when
/// the project declares it (WA-TPL, WA-CAT). Undeclared templates cannot be checked here.
fn check_template_use(
    name: &ast::StrLit,
    lang: &ast::StrLit,
    params: &[ast::TemplateParam],
    span: crate::span::Span,
    channel: &str,
    scope: &Scope<'_>,
    sink: &mut Sink,
) {
    let Some(declared) = scope.model.templates.get(&name.value) else { return };
    sink.stats.content_rules += 1;
    let file = scope.file;
    let mismatch = |what: String, label: &str| {
        Diagnostic::new(Code::J0310, what, file, span).with_label(label.to_owned()).with_secondary(
            declared.def.file,
            declared.def.span,
            "the template is declared here",
        )
    };
    if declared.channel != channel {
        sink.push(mismatch(
            format!("template `{}` is declared for {}, not {channel}", name.value, declared.channel),
            "wrong channel",
        ));
    }
    if let Some(declared_lang) = &declared.lang {
        if declared_lang != &lang.value {
            sink.push(
                mismatch(
                    format!("template `{}` is approved in `{declared_lang}`, not `{}`", name.value, lang.value),
                    "wrong language",
                )
                .with_suggestion(
                    format!("write `{declared_lang}`"),
                    lang.span,
                    format!("\"{declared_lang}\""),
                ),
            );
        }
    }
    let given: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
    for param in params {
        if !declared.params.iter().any(|p| p == &param.name.name) {
            let diagnostic = Diagnostic::new(
                Code::J0309,
                format!("template `{}` has no parameter `{}`", name.value, param.name.name),
                file,
                param.name.span,
            )
            .with_label("not a placeholder of the template")
            .with_secondary(declared.def.file, declared.def.span, "the template is declared here");
            let diagnostic = sink.offer_name(
                diagnostic,
                &param.name.name,
                param.name.span,
                declared.params.iter().map(String::as_str),
            );
            sink.push(diagnostic);
        }
    }
    let missing: Vec<String> =
        declared.params.iter().filter(|p| !given.contains(&p.as_str())).map(|p| format!("`{p}`")).collect();
    if !missing.is_empty() {
        sink.push(
            Diagnostic::new(
                Code::J0309,
                format!("template `{}` needs {} too", name.value, missing.join(", ")),
                file,
                span,
            )
            .with_label("missing parameters")
            .with_secondary(declared.def.file, declared.def.span, "the template is declared here")
            .with_help("give every placeholder of the template a value"),
        );
    }
}

fn check_channel(channel: &ast::Ident, scope: &Scope<'_>, sink: &mut Sink) -> bool {
    if let Some(declared) = scope.model.channels.get(&channel.name) {
        sink.refer(SymbolKind::Channel, scope.file, channel.span, declared.def);
        return true;
    }
    let no_channels = scope.model.channels.is_empty();
    if let Some(last) =
        sink.unknown(Code::J0206, "channel", channel, scope.file, scope.model.channels.keys().map(String::as_str))
    {
        if no_channels || !last.help.as_deref().unwrap_or("").starts_with("did you mean") {
            last.notes
                .push("the standard channels are declared in `std/channels`: add `import \"std/channels\"`".into());
        }
    }
    false
}

fn check_message(message: &ast::Message, scope: &Scope<'_>, sink: &mut Sink) {
    sink.stats.messages += 1;
    let channel_known = check_channel(&message.channel, scope, sink);
    if super::collect::check_category(scope.file, &message.category, sink) {
        sink.stats.references += 1;
    }
    check_elements(&message.elements, &message.channel.name, channel_known, scope, sink);
    // WA-CAT: a template's category is fixed at approval; content of another category needs
    // another template.
    for element in &message.elements {
        if let Element::Template { name, span, .. } = element {
            if let Some(declared) = scope.model.templates.get(&name.value) {
                if declared.category != message.category.name {
                    sink.push(
                        Diagnostic::new(
                            Code::J0310,
                            format!(
                                "message `{}` is {}, but template `{}` is approved as {}",
                                message.name.name, message.category.name, name.value, declared.category
                            ),
                            scope.file,
                            *span,
                        )
                        .with_label("category differs from the template's")
                        .with_secondary(declared.def.file, declared.def.span, "the template is declared here")
                        .with_note("WA-CAT: a template's category is fixed when it is approved; mixed content counts as marketing"),
                    );
                }
            }
        }
    }
}

fn check_elements(elements: &[Element], channel: &str, channel_known: bool, scope: &Scope<'_>, sink: &mut Sink) {
    for element in elements {
        match element {
            Element::Text(t) | Element::Subject(t) | Element::Title(t) | Element::Subtitle(t) => {
                check_template(t, scope, sink)
            }
            Element::Reply { title, .. } => check_template(title, scope, sink),
            Element::Button { title, action, .. } => {
                check_template(title, scope, sink);
                if let ast::ButtonAction::Url(url) = action {
                    check_template(url, scope, sink);
                }
            }
            Element::Media { url, .. } => check_template(url, scope, sink),
            Element::Card { elements, .. } => check_elements(elements, channel, channel_known, scope, sink),
            Element::Template { name, lang, params, span } => {
                for param in params {
                    sink.stats.expressions += 1;
                    type_of(&param.value, scope, None, sink);
                }
                check_template_use(name, lang, params, *span, channel, scope, sink);
            }
            Element::Tag { name, .. } => {
                let Some(declared) = scope.model.channels.get(channel) else { continue };
                if declared.tags.contains_key(&name.name) {
                    sink.stats.references += 1;
                } else if channel_known {
                    let diagnostic = Diagnostic::new(
                        Code::J0220,
                        format!("channel `{channel}` has no tag `{}`", name.name),
                        scope.file,
                        name.span,
                    )
                    .with_label("unknown tag");
                    let tags: Vec<&str> = declared.tags.keys().map(String::as_str).collect();
                    let diagnostic = if tags.is_empty() {
                        diagnostic.with_note(format!("`{channel}` declares no tags"))
                    } else {
                        diagnostic.with_note(format!("`{channel}` declares {}", crate::names::listed(&tags)))
                    };
                    let diagnostic = sink.offer_name(diagnostic, &name.name, name.span, tags);
                    sink.push(diagnostic);
                }
            }
        }
    }
}

/// The event in scope along a journey, as a small lattice: `Unreachable` below everything.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Flow<'a> {
    Unreachable,
    Event(EventScope<'a>),
}

impl<'a> Flow<'a> {
    fn join(&self, other: &Flow<'a>) -> Flow<'a> {
        match (self, other) {
            (Flow::Unreachable, x) | (x, Flow::Unreachable) => x.clone(),
            (Flow::Event(a), Flow::Event(b)) if a == b => self.clone(),
            (Flow::Event(a), Flow::Event(b)) => {
                let mut events: BTreeSet<&'a str> = BTreeSet::new();
                for scope in [a, b] {
                    match scope {
                        EventScope::Known(e) => {
                            events.insert(e);
                        }
                        EventScope::Ambiguous(list) => events.extend(list.iter().copied()),
                        EventScope::None => {
                            events.insert("no event");
                        }
                        EventScope::Deferred => {}
                    }
                }
                Flow::Event(EventScope::Ambiguous(events.into_iter().collect()))
            }
        }
    }
}

/// A stage's `goto`s: (target stage, event scope at the jump).
type Jumps<'a> = Vec<(usize, Flow<'a>)>;

struct JourneyWalk<'a> {
    journey: &'a ast::Journey,
    file: FileId,
    model: &'a Model,
    messages: &'a EventReads<'a>,
    stages: Vec<&'a ast::Stage>,
    /// Stage names to stages; a name declared twice (J0209) means its first declaration.
    stage_index: NamesIndex<'a>,
    entry: Vec<Flow<'a>>,
}

impl<'a> JourneyWalk<'a> {
    fn new(journey: &'a ast::Journey, file: FileId, model: &'a Model, messages: &'a EventReads<'a>) -> JourneyWalk<'a> {
        let stages: Vec<&ast::Stage> = journey.stages().collect();
        let stage_index = NamesIndex::new(stages.iter().map(|s| s.name.name.as_str()));
        let entry = vec![Flow::Unreachable; stages.len()];
        JourneyWalk { journey, file, model, messages, stages, stage_index, entry }
    }

    fn scope(&self, event: EventScope<'a>) -> Scope<'a> {
        Scope { model: self.model, file: self.file, event, bare_event_fields: false }
    }

    fn run(mut self, sink: &mut Sink) {
        let entry_event = self.check_members(sink);
        let start = Flow::Event(match entry_event {
            Some(event) => EventScope::Known(event),
            None => EventScope::None,
        });
        if self.entry.is_empty() {
            return;
        }
        if let Some(first) = self.entry.first_mut() {
            *first = start;
        }
        // Fixpoint of stage entry scopes. These walks only follow the event in scope: without a
        // sink they check nothing, so each step costs little more than reading it.
        let mut pending: BTreeSet<usize> = (0..self.stages.len()).collect();
        let mut jumps = Vec::new();
        while let Some(index) = pending.pop_first() {
            let Some(entry) = self.entry.get(index).cloned() else { continue };
            if entry == Flow::Unreachable {
                continue;
            }
            let end = self.walk_stage(index, entry, &mut jumps, None);
            jumps.push((index + 1, end));
            for (target, flow) in jumps.drain(..) {
                if let Some(slot) = self.entry.get_mut(target) {
                    let joined = slot.join(&flow);
                    if joined != *slot {
                        *slot = joined;
                        pending.insert(target);
                    }
                }
            }
        }
        // One reporting walk per stage, with its final entry scope. A stage nothing reaches is
        // still checked for names and types, but no event is known or missing there: nothing
        // runs it (J0505 says so), so `event.x` in it is not reported as out of scope.
        for index in 0..self.stages.len() {
            let entry = match self.entry.get(index).cloned() {
                Some(Flow::Unreachable) | None => Flow::Event(EventScope::Deferred),
                Some(flow) => flow,
            };
            self.walk_stage(index, entry, &mut jumps, Some(sink));
            jumps.clear();
        }
    }

    /// Checks the journey's settings; returns the entry event when it is known.
    fn check_members(&self, sink: &mut Sink) -> Option<&'a str> {
        let mut entry_event = None;
        let journey: &'a ast::Journey = self.journey;
        for member in &journey.members {
            match member {
                JourneyMember::Audience { condition, .. } => {
                    check_condition(condition, &self.scope(EventScope::None), sink)
                }
                JourneyMember::Entry { event, condition, .. } => {
                    let known = self.check_event(event, sink);
                    if known {
                        entry_event = Some(event.name.as_str());
                    }
                    // With the entry event unknown (already reported), its fields cannot be
                    // resolved: checking the condition would only repeat that error.
                    if let Some(condition) = condition.as_ref().filter(|_| known) {
                        let scope = Scope {
                            bare_event_fields: true,
                            ..self.scope(if known { EventScope::Known(&event.name) } else { EventScope::Deferred })
                        };
                        check_condition(condition, &scope, sink);
                    }
                }
                JourneyMember::ExitOn { events, .. } => {
                    for event in events {
                        self.check_event(event, sink);
                    }
                }
                JourneyMember::Goal { event, .. } => {
                    self.check_event(event, sink);
                }
                JourneyMember::Reentry { .. } | JourneyMember::Stage(_) => {}
            }
        }
        entry_event
    }

    fn check_event(&self, event: &ast::Ident, sink: &mut Sink) -> bool {
        if let Some(declared) = self.model.events.get(&event.name) {
            sink.refer(SymbolKind::Event, self.file, event.span, declared.def);
            true
        } else {
            sink.unknown(Code::J0203, "event", event, self.file, self.model.events.keys().map(String::as_str));
            false
        }
    }

    /// Walks a stage from its entry scope; returns the scope where it falls through. With a
    /// sink, it checks every step and reports; without one, it only follows the scope.
    fn walk_stage(&self, index: usize, entry: Flow<'a>, jumps: &mut Jumps<'a>, sink: Option<&mut Sink>) -> Flow<'a> {
        let stages: &[&'a ast::Stage] = &self.stages;
        match stages.get(index) {
            Some(stage) => self.walk_steps(&stage.steps, entry, jumps, sink),
            None => Flow::Unreachable,
        }
    }

    fn walk_steps(
        &self,
        steps: &'a [Step],
        mut flow: Flow<'a>,
        jumps: &mut Jumps<'a>,
        mut sink: Option<&mut Sink>,
    ) -> Flow<'a> {
        for step in steps {
            flow = self.walk_step(step, flow, jumps, sink.as_deref_mut());
        }
        flow
    }

    fn event_scope(flow: &Flow<'a>) -> EventScope<'a> {
        match flow {
            Flow::Event(scope) => scope.clone(),
            Flow::Unreachable => EventScope::None,
        }
    }

    fn walk_step(
        &self,
        step: &'a Step,
        flow: Flow<'a>,
        jumps: &mut Jumps<'a>,
        mut sink: Option<&mut Sink>,
    ) -> Flow<'a> {
        let scope = || self.scope(Self::event_scope(&flow));
        match &step.kind {
            StepKind::Send { message } => {
                if let Some(sink) = sink {
                    sink.stats.sends += 1;
                    self.check_send(message, &scope(), sink);
                }
                flow
            }
            StepKind::Ask { message, arms, timeout } => {
                let found = match sink.as_deref_mut() {
                    Some(sink) => {
                        sink.stats.sends += 1;
                        self.check_send(message, &scope(), sink)
                    }
                    None => self.model.messages.get(&message.name),
                };
                let outcomes = found.map(|m| m.outcomes.as_slice());
                let timeout_outcome = timeout.map(|_| model::TIMEOUT_OUTCOME);
                let fallthrough = match outcomes {
                    Some(replies) => {
                        let produced = replies.iter().map(String::as_str).chain(timeout_outcome);
                        unhandled(arms, produced, |_| flow.clone())
                    }
                    None => flow.clone(),
                };
                let allowed: Vec<&str> = match outcomes {
                    Some(replies) if sink.is_some() => {
                        replies.iter().map(String::as_str).chain([model::TIMEOUT_OUTCOME]).collect()
                    }
                    _ => Vec::new(),
                };
                let what = if sink.is_some() { format!("message `{}`", message.name) } else { String::new() };
                self.walk_arms(arms, &allowed, &what, |_| flow.clone(), fallthrough, jumps, sink)
            }
            StepKind::Wait { .. } | StepKind::Tag { .. } | StepKind::Track { .. } => flow,
            StepKind::WaitFor { events, arms, within } => {
                let mut allowed: Vec<&str> = Vec::new();
                if let Some(sink) = sink.as_deref_mut() {
                    for event in events {
                        if self.check_event(event, sink) {
                            allowed.push(&event.name);
                        }
                    }
                    allowed.push(model::TIMEOUT_OUTCOME);
                    if allowed.len() != events.len() + 1 {
                        allowed.clear();
                    }
                }
                let arm_flow = |label: &'a str| {
                    if label == model::TIMEOUT_OUTCOME {
                        flow.clone()
                    } else {
                        Flow::Event(EventScope::Known(label))
                    }
                };
                // Events without an arm continue after the step with that event in scope, and so
                // does the timeout without an arm, with the scope from before.
                let produced = events.iter().map(|e| e.name.as_str()).chain(within.map(|_| model::TIMEOUT_OUTCOME));
                let fallthrough = unhandled(arms, produced, arm_flow);
                if let Some(sink) = sink.as_deref_mut() {
                    // An arm named after an event the step waits for is a use of that event (counted
                    // among the references as an outcome by `check_arm_label`).
                    for arm in arms {
                        let ArmLabel::Outcome(label) = &arm.label else { continue };
                        let waited = events.iter().any(|event| event.name == label.name);
                        if let (true, Some(declared)) = (waited, self.model.events.get(&label.name)) {
                            let at = model::Def { file: self.file, span: label.span };
                            sink.references.push(model::Reference {
                                at,
                                target: declared.def,
                                kind: SymbolKind::Event,
                            });
                        }
                    }
                }
                self.walk_arms(arms, &allowed, "this `wait for`", arm_flow, fallthrough, jumps, sink)
            }
            StepKind::If { branches, else_steps } => {
                let mut end = Flow::Unreachable;
                for branch in branches {
                    if let Some(sink) = sink.as_deref_mut() {
                        check_condition(&branch.condition, &scope(), sink);
                    }
                    end = end.join(&self.walk_steps(&branch.steps, flow.clone(), jumps, sink.as_deref_mut()));
                }
                let otherwise = match else_steps {
                    Some(steps) => self.walk_steps(steps, flow.clone(), jumps, sink),
                    None => flow,
                };
                end.join(&otherwise)
            }
            StepKind::Split { arms } => {
                let mut end = Flow::Unreachable;
                for arm in arms {
                    if let (ArmLabel::Outcome(label), Some(sink)) = (&arm.label, sink.as_deref_mut()) {
                        sink.push(
                            Diagnostic::new(
                                Code::J0208,
                                format!("`split` arms are shares such as `50%`, found `{}`", label.name),
                                self.file,
                                label.span,
                            )
                            .with_label("not a share"),
                        );
                    }
                    end = end.join(&self.walk_steps(&arm.steps, flow.clone(), jumps, sink.as_deref_mut()));
                }
                if arms.is_empty() {
                    flow
                } else {
                    end
                }
            }
            StepKind::Handoff { arms, timeout, .. } => {
                let produced = ["resolved"].into_iter().chain(timeout.map(|_| model::TIMEOUT_OUTCOME));
                let fallthrough = unhandled(arms, produced, |_| flow.clone());
                self.walk_arms(arms, model::HANDOFF_OUTCOMES, "`handoff`", |_| flow.clone(), fallthrough, jumps, sink)
            }
            StepKind::RequestConsent { channel, category, message, arms, timeout } => {
                if let Some(sink) = sink.as_deref_mut() {
                    sink.stats.sends += 1;
                    let scope = scope();
                    check_channel(channel, &scope, sink);
                    if super::collect::check_category(self.file, category, sink) {
                        sink.stats.references += 1;
                    }
                    self.check_send(message, &scope, sink);
                }
                let produced = ["granted", "declined"].into_iter().chain(timeout.map(|_| model::TIMEOUT_OUTCOME));
                let fallthrough = unhandled(arms, produced, |_| flow.clone());
                let what = "`request consent`";
                self.walk_arms(arms, model::CONSENT_OUTCOMES, what, |_| flow.clone(), fallthrough, jumps, sink)
            }
            StepKind::Set { target, value } => {
                if let Some(sink) = sink {
                    self.check_set(target, value, &scope(), sink);
                }
                flow
            }
            StepKind::Goto { stage } => {
                match (self.stage_index.get(&stage.name), sink) {
                    (Some(target), sink) => {
                        if let (Some(sink), Some(declared)) = (sink, self.stages.get(target)) {
                            let def = model::Def { file: self.file, span: declared.name.span };
                            sink.refer(SymbolKind::Stage, self.file, stage.span, def);
                        }
                        jumps.push((target, flow));
                    }
                    (None, Some(sink)) => {
                        sink.unknown(
                            Code::J0205,
                            "stage",
                            stage,
                            self.file,
                            self.stages.iter().map(|s| s.name.name.as_str()),
                        );
                    }
                    (None, None) => {}
                }
                Flow::Unreachable
            }
            StepKind::Exit => Flow::Unreachable,
        }
    }

    /// `set field = value`: the field is a profile field, and the value fits its type.
    fn check_set(&self, target: &ast::Path, value: &ast::Expr, scope: &Scope<'_>, sink: &mut Sink) {
        let target_type = match target.segments.as_slice() {
            [name] | [_, name]
                if target.segments.len() == 1 || target.segments.first().is_some_and(|h| h.name == "profile") =>
            {
                match self.model.profile.get(&name.name) {
                    Some(field) => {
                        sink.refer(SymbolKind::ProfileField, self.file, name.span, field.def);
                        Some(field.ty.clone())
                    }
                    None => {
                        sink.unknown(
                            Code::J0204,
                            "profile field",
                            name,
                            self.file,
                            self.model.profile.keys().map(String::as_str),
                        );
                        None
                    }
                }
            }
            _ => {
                sink.push(
                    Diagnostic::new(Code::J0204, "`set` changes a profile field", self.file, target.span)
                        .with_label("not a profile field")
                        .with_help("write `set field = value` or `set profile.field = value`"),
                );
                None
            }
        };
        sink.stats.expressions += 1;
        let typed = type_of(value, scope, target_type.as_ref(), sink);
        if let Some(expected) = target_type {
            if !super::exprs::compatible(&expected, &typed.ty) {
                sink.push(
                    Diagnostic::new(
                        Code::J0210,
                        format!("`set` stores {} in a field of type {}", typed.ty.describe(), expected.describe()),
                        self.file,
                        value.span,
                    )
                    .with_label(format!("this is {}", typed.ty.describe())),
                );
            }
        }
    }

    /// Checks each arm's label against `allowed` (when known) and walks its steps; returns the
    /// join of the arms' ends and `fallthrough` (what continues after the step). Without a sink,
    /// only walks.
    #[allow(clippy::too_many_arguments)]
    fn walk_arms(
        &self,
        arms: &'a [Arm],
        allowed: &[&str],
        what: &str,
        arm_flow: impl Fn(&'a str) -> Flow<'a>,
        fallthrough: Flow<'a>,
        jumps: &mut Jumps<'a>,
        mut sink: Option<&mut Sink>,
    ) -> Flow<'a> {
        let mut end = fallthrough;
        for arm in arms {
            let start = match &arm.label {
                ArmLabel::Outcome(label) => {
                    if let Some(sink) = sink.as_deref_mut() {
                        self.check_arm_label(label, allowed, what, sink);
                    }
                    arm_flow(&label.name)
                }
                ArmLabel::Percent { span, .. } => {
                    if let Some(sink) = sink.as_deref_mut() {
                        sink.push(
                            Diagnostic::new(Code::J0208, format!("{what} has outcomes, not shares"), self.file, *span)
                                .with_label("shares belong in `split`"),
                        );
                    }
                    arm_flow("")
                }
            };
            end = end.join(&self.walk_steps(&arm.steps, start, jumps, sink.as_deref_mut()));
        }
        end
    }

    /// An arm's outcome against the step's outcomes (`allowed`, when known).
    fn check_arm_label(&self, label: &ast::Ident, allowed: &[&str], what: &str, sink: &mut Sink) {
        if !allowed.is_empty() && !allowed.contains(&label.name.as_str()) {
            let diagnostic =
                Diagnostic::new(Code::J0208, format!("{what} has no outcome `{}`", label.name), self.file, label.span)
                    .with_label("unknown outcome")
                    .with_note(format!("its outcomes are {}", crate::names::listed(allowed)));
            let diagnostic = sink.did_you_mean(diagnostic, &label.name, label.span, allowed.iter().copied());
            sink.push(diagnostic);
        } else if !allowed.is_empty() {
            sink.stats.references += 1;
        }
    }

    /// Checks that a sent message exists and that its `event.x` fields are in scope here.
    fn check_send(&self, message: &ast::Ident, scope: &Scope<'_>, sink: &mut Sink) -> Option<&'a model::Message> {
        let Some(found) = self.model.messages.get(&message.name) else {
            sink.unknown(Code::J0201, "message", message, self.file, self.model.messages.keys().map(String::as_str));
            return None;
        };
        sink.refer(SymbolKind::Message, self.file, message.span, found.def);
        if let Some(paths) = self.messages.get(message.name.as_str()).filter(|p| !p.is_empty()) {
            let message_scope =
                Scope { model: self.model, file: found.def.file, event: scope.event.clone(), bare_event_fields: false };
            // The suggestion budget is the check's, not one per send.
            let mut local = Sink { suggestions: std::mem::take(&mut sink.suggestions), ..Sink::default() };
            for path in paths.iter().copied() {
                super::exprs::type_of(
                    &ast::Expr { kind: ast::ExprKind::Path(path.clone()), span: path.span },
                    &message_scope,
                    None,
                    &mut local,
                );
            }
            sink.suggestions = local.suggestions;
            for mut diagnostic in local.diagnostics {
                // Point at the send, and show the field in the message as the reason.
                let field = diagnostic.primary.clone();
                diagnostic.primary.file = self.file;
                diagnostic.primary.span = message.span;
                diagnostic.primary.message = format!("`{}` is sent here", message.name);
                diagnostic = diagnostic.with_secondary(field.file, field.span, "the message reads the event here");
                sink.push(diagnostic);
            }
            sink.stats.references += local.stats.references;
            sink.references.append(&mut local.references);
        }
        Some(found)
    }
}

/// Message names to the `event.x` paths their declaration reads, in its texts and then its
/// template parameters.
type EventReads<'a> = BTreeMap<&'a str, Vec<&'a ast::Path>>;

fn event_reads(message: &ast::Message) -> Vec<&ast::Path> {
    let mut paths: Vec<&ast::Path> = Vec::new();
    for template in templates_of(&message.elements) {
        paths.extend(event_paths(template));
    }
    for element in &message.elements {
        if let Element::Template { params, .. } = element {
            for param in params {
                expr_event_paths(&param.value, &mut paths);
            }
        }
    }
    paths
}

/// What continues after a step with arms: every outcome in `produced` without an arm continues
/// after the step (with `flow_for(outcome)`); outcomes with an arm continue through it.
fn unhandled<'a>(
    arms: &[Arm],
    produced: impl IntoIterator<Item = &'a str>,
    flow_for: impl Fn(&'a str) -> Flow<'a>,
) -> Flow<'a> {
    let mut after = Flow::Unreachable;
    for outcome in produced {
        let has_arm = arms.iter().any(|a| matches!(&a.label, ArmLabel::Outcome(o) if o.name == outcome));
        if !has_arm {
            after = after.join(&flow_for(outcome));
        }
    }
    after
}

/// The `event.x` paths an expression reads. Depth is bounded by the parser.
fn expr_event_paths<'e>(expr: &'e ast::Expr, out: &mut Vec<&'e ast::Path>) {
    match &expr.kind {
        ast::ExprKind::Path(path) if path.segments.first().is_some_and(|s| s.name == "event") => out.push(path),
        ast::ExprKind::Str(template) => out.extend(event_paths(template)),
        ast::ExprKind::List(items) => items.iter().for_each(|i| expr_event_paths(i, out)),
        ast::ExprKind::Call { args, .. } => args.iter().for_each(|a| expr_event_paths(a, out)),
        ast::ExprKind::Unary { operand, .. } => expr_event_paths(operand, out),
        ast::ExprKind::Binary { lhs, rhs, .. } => {
            expr_event_paths(lhs, out);
            expr_event_paths(rhs, out);
        }
        _ => {}
    }
}

/// Every text of a message that may hold interpolations, cards included.
fn templates_of(elements: &[Element]) -> Vec<&ast::Template> {
    let mut templates = Vec::new();
    for element in elements {
        match element {
            Element::Text(t) | Element::Subject(t) | Element::Title(t) | Element::Subtitle(t) => templates.push(t),
            Element::Reply { title, .. } => templates.push(title),
            Element::Button { title, action, .. } => {
                templates.push(title);
                if let ast::ButtonAction::Url(url) = action {
                    templates.push(url);
                }
            }
            Element::Media { url, .. } => templates.push(url),
            Element::Card { elements, .. } => templates.extend(templates_of(elements)),
            Element::Template { .. } | Element::Tag { .. } => {}
        }
    }
    templates
}
