//! Journeys: their settings, and every step walked with the event in scope (`event.x`): the
//! entry event at the start, the event of a `wait for` arm inside that arm, and the join of all
//! paths where paths meet.
//!
//! Two walks follow one transfer function ([`JourneyWalk::route`]: what a step does with the
//! scope it is entered with):
//! - [`JourneyWalk::entry_scopes`], the fixpoint: the scope at each stage's entry, found with a
//!   worklist (a stage is walked again only when its entry scope grows, at most three times). It
//!   only follows the scope and checks nothing, so each step costs little more than reading it.
//! - [`JourneyWalk::check_stage`], the reporting walk: each stage once more from its final entry
//!   scope, checking every step (names, types, outcomes, `event.x` in scope) and recording the
//!   references.
//!
//! So the cost is linear in the size of the journey, whatever its shape.
//!
//! Why a fixpoint here when `flow/solve.rs` has one: this one runs on the tree, for every journey,
//! before and without any flow graph. The language server checks names and types on every
//! keystroke without building graphs (`Tier::Names`), a journey with unresolved names or over the
//! graph's size limits (J0509) still has its names checked, and the event in scope is a tiny
//! lattice (none, one event, several) that one scope per stage entry captures exactly. The flow
//! analyses' states are richer and need the graph's nodes and edges, with widening and a visit
//! budget; this walk needs neither.

use std::collections::BTreeSet;

use super::exprs::{check_condition, type_of, EventScope, Scope};
use super::messages::{check_channel, EventReads};
use super::names_index::NamesIndex;
use super::Sink;
use crate::ast::{self, Arm, ArmLabel, JourneyMember, Step, StepKind};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{self, Model, SymbolKind};
use crate::span::{FileId, Span};

/// Checks `journey`, declared in `file`: its settings and every step of its stages.
pub(super) fn check_journey<'a>(
    journey: &'a ast::Journey,
    file: FileId,
    model: &'a Model,
    messages: &'a EventReads<'a>,
    sink: &mut Sink,
) {
    let walk = JourneyWalk::new(journey, file, model, messages);
    let entry_event = walk.check_members(sink);
    if walk.stages.is_empty() {
        return;
    }
    let start = Flow::Event(match entry_event {
        Some(event) => EventScope::Known(event),
        None => EventScope::None,
    });
    let entries = walk.entry_scopes(start);
    // A stage nothing reaches is still checked for names and types, but no event is known or
    // missing there: nothing runs it (J0505 says so), so `event.x` in it is not reported as out
    // of scope.
    for (index, entry) in entries.into_iter().enumerate() {
        let entry = match entry {
            Flow::Unreachable => Flow::Event(EventScope::Deferred),
            flow => flow,
        };
        walk.check_stage(index, entry, sink);
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

    /// The scope `event.x` is checked in at this point.
    fn event_scope(&self) -> EventScope<'a> {
        match self {
            Flow::Event(scope) => scope.clone(),
            Flow::Unreachable => EventScope::None,
        }
    }
}

/// A stage's `goto`s: (target stage, event scope at the jump).
type Jumps<'a> = Vec<(usize, Flow<'a>)>;

/// What a step does with the scope it is entered with: the transfer function both walks follow.
enum Route<'a> {
    /// Goes on to the next step with the same scope.
    Next,
    /// Runs the steps of one of `branches`, or goes on after the step with `fallthrough` (the
    /// join of what continues without running a branch).
    Branches { branches: Vec<Branch<'a>>, fallthrough: Flow<'a> },
    /// Jumps to `stage` (`target`, when a stage has that name) and does not go on.
    Goto { stage: &'a ast::Ident, target: Option<usize> },
    /// Does not go on.
    Exit,
}

/// One way through a step with branches: the steps it runs and the scope they start in.
struct Branch<'a> {
    guard: Guard<'a>,
    steps: &'a [Step],
    entry: Flow<'a>,
}

/// What chooses a branch, checked before its steps.
enum Guard<'a> {
    /// An `if` or `else if` condition.
    Condition(&'a ast::Expr),
    /// The final `else`, written or not (then it has no steps).
    Else,
    /// An arm, whose label names an outcome or a share.
    Arm(&'a Arm),
}

/// How the labels of a step's arms are checked.
enum Labels<'a> {
    /// `split` arms are shares.
    Shares,
    /// The other arms are outcomes: one of `allowed` when it is not empty (when it is, the step's
    /// outcomes are not known, and only shares are reported). `what` names the step.
    Outcomes { allowed: Vec<&'a str>, what: String },
}

struct JourneyWalk<'a> {
    journey: &'a ast::Journey,
    file: FileId,
    model: &'a Model,
    messages: &'a EventReads<'a>,
    stages: Vec<&'a ast::Stage>,
    /// Stage names to stages; a name declared twice (J0209) means its first declaration.
    stage_index: NamesIndex<'a>,
}

impl<'a> JourneyWalk<'a> {
    fn new(journey: &'a ast::Journey, file: FileId, model: &'a Model, messages: &'a EventReads<'a>) -> JourneyWalk<'a> {
        let stages: Vec<&ast::Stage> = journey.stages().collect();
        let stage_index = NamesIndex::new(stages.iter().map(|s| s.name.name.as_str()));
        JourneyWalk { journey, file, model, messages, stages, stage_index }
    }

    fn scope(&self, event: EventScope<'a>) -> Scope<'a> {
        Scope { model: self.model, file: self.file, event, bare_event_fields: false }
    }

    /// Checks the journey's settings; returns the entry event when it is known.
    fn check_members(&self, sink: &mut Sink) -> Option<&'a str> {
        let mut entry_event = None;
        let journey: &'a ast::Journey = self.journey;
        // Only the first entry counts, as in the flow graph and the bundle; each later one is
        // reported (J0510) and its names still checked.
        let first_entry = self.check_entries(sink);
        self.check_single_settings(sink);
        for member in &journey.members {
            match member {
                JourneyMember::Audience { condition, .. } => {
                    check_condition(condition, &self.scope(EventScope::None), sink)
                }
                JourneyMember::Entry { event, condition, span } => {
                    let known = self.check_event(event, sink);
                    if known && first_entry == Some(*span) {
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
                // No event is in scope after a scheduled or segment entry: `event.x` in the
                // steps is out of scope (J0213), as in a journey without an entry.
                JourneyMember::EntrySchedule { schedule, .. } => {
                    if let ast::ZoneSpec::Fixed(name) = &schedule.zone {
                        super::check_zone_name(&name.value, self.file, name.span, sink);
                    }
                }
                JourneyMember::EntryJoins { segment, .. } | JourneyMember::ExitLeaves { segment, .. } => {
                    self.check_segment(segment, sink);
                }
                JourneyMember::Goal { event, .. } => {
                    self.check_event(event, sink);
                }
                JourneyMember::Reentry { .. } | JourneyMember::Stage(_) => {}
            }
        }
        entry_event
    }

    /// Reports every `entry` line after the first (J0510); returns the first one's span.
    ///
    /// A journey is entered one way: a run started by an event has it in scope and, when it is
    /// inbound, its channel's window open; a scheduled run has neither; a run started by a
    /// joined segment has the consent the segment implies. Every send is proved for the one
    /// entry, and a runtime refuses a bundle with more than one (docs/bundle.md section 3.1).
    fn check_entries(&self, sink: &mut Sink) -> Option<Span> {
        let mut entries = self.journey.entries().filter_map(JourneyMember::entry_span);
        let first = entries.next()?;
        for second in entries {
            if !sink.wants(self.file, second) {
                continue;
            }
            sink.push(
                Diagnostic::new(
                    Code::J0510,
                    format!("journey `{}` has more than one entry", self.journey.name.name),
                    self.file,
                    second,
                )
                .with_label("another entry")
                .with_secondary(self.file, first, "the journey is entered here")
                .with_note(
                    "a journey is entered one way: by an event, on a schedule, or when a contact joins a segment; \
                     the sends are proved for what that entry gives the run (the event in scope, the window an inbound \
                     event opens, the consent a joined segment implies), so only the first entry counts",
                )
                .with_help(
                    "keep one `entry` line; for another way in, write a second journey with this entry (journeys may send the same messages)",
                ),
            );
        }
        Some(first)
    }

    /// Reports a second `audience`, `reentry` or `exit when leaves` line (J0209): the bundle
    /// has one of each, so a second line would silently replace the first, where an author may
    /// have meant both.
    fn check_single_settings(&self, sink: &mut Sink) {
        let settings: [(&str, &str); 3] = [
            ("audience", "combine the conditions in one line: `audience A and B`"),
            ("reentry", "keep one `reentry` line"),
            (
                "exit when leaves",
                "keep one `exit when leaves` line; a segment can combine conditions: `segment s = a and b`",
            ),
        ];
        for (setting, help) in settings {
            let mut spans = self.journey.members.iter().filter_map(|member| match (setting, member) {
                ("audience", JourneyMember::Audience { span, .. })
                | ("reentry", JourneyMember::Reentry { span, .. })
                | ("exit when leaves", JourneyMember::ExitLeaves { span, .. }) => Some(*span),
                _ => None,
            });
            let Some(first) = spans.next() else { continue };
            for second in spans {
                if !sink.wants(self.file, second) {
                    continue;
                }
                sink.push(
                    Diagnostic::new(
                        Code::J0209,
                        format!("journey `{}` has more than one `{setting}` line", self.journey.name.name),
                        self.file,
                        second,
                    )
                    .with_label(format!("a second `{setting}`"))
                    .with_secondary(self.file, first, "the first")
                    .with_note("a journey has one of each setting; a second line would replace the first")
                    .with_help(help),
                );
            }
        }
    }

    fn check_segment(&self, segment: &ast::Ident, sink: &mut Sink) {
        if let Some(declared) = self.model.segments.get(&segment.name) {
            sink.refer(SymbolKind::Segment, self.file, segment.span, *declared);
        } else {
            sink.unknown(Code::J0222, "segment", segment, self.file, self.model.segments.keys().map(String::as_str));
        }
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

    /// What `step`, entered with `flow`, does with the scope. Checks nothing.
    fn route(&self, step: &'a Step, flow: &Flow<'a>) -> Route<'a> {
        let same = |arms: &'a [Arm]| -> Vec<Branch<'a>> {
            arms.iter().map(|arm| Branch { guard: Guard::Arm(arm), steps: &arm.steps, entry: flow.clone() }).collect()
        };
        match &step.kind {
            StepKind::Send { .. }
            | StepKind::Wait { .. }
            | StepKind::WaitUntil { .. }
            | StepKind::Tag { .. }
            | StepKind::Track { .. }
            | StepKind::RevokeConsent { .. }
            | StepKind::Set { .. } => Route::Next,
            StepKind::Ask { message, arms, timeout, retries } => {
                let fallthrough = match self.model.messages.get(&message.name) {
                    Some(found) => {
                        // `other` without an arm continues only after the last of the retries.
                        let produced = found
                            .outcomes
                            .iter()
                            .map(String::as_str)
                            .chain(timeout.map(|_| model::TIMEOUT_OUTCOME))
                            .chain(retries.map(|_| model::OTHER_OUTCOME));
                        unhandled(arms, produced, |_| flow.clone())
                    }
                    None => flow.clone(),
                };
                Route::Branches { branches: same(arms), fallthrough }
            }
            StepKind::WaitFor { events, arms, within } => {
                // Each arm starts with its event in scope; the timeout's arm with the scope from
                // before.
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
                let branches = arms
                    .iter()
                    .map(|arm| {
                        let entry = match &arm.label {
                            ArmLabel::Outcome(label) => arm_flow(&label.name),
                            ArmLabel::Percent { .. } => arm_flow(""),
                        };
                        Branch { guard: Guard::Arm(arm), steps: &arm.steps, entry }
                    })
                    .collect();
                Route::Branches { branches, fallthrough }
            }
            StepKind::If { branches, else_steps } => {
                let mut routes: Vec<Branch<'a>> = branches
                    .iter()
                    .map(|branch| Branch {
                        guard: Guard::Condition(&branch.condition),
                        steps: &branch.steps,
                        entry: flow.clone(),
                    })
                    .collect();
                // Without an `else`, the scope goes on unchanged when no condition holds.
                let else_steps: &'a [Step] = else_steps.as_deref().unwrap_or(&[]);
                routes.push(Branch { guard: Guard::Else, steps: else_steps, entry: flow.clone() });
                Route::Branches { branches: routes, fallthrough: Flow::Unreachable }
            }
            StepKind::Split { arms } if arms.is_empty() => Route::Next,
            StepKind::Split { arms } => Route::Branches { branches: same(arms), fallthrough: Flow::Unreachable },
            StepKind::Handoff { arms, timeout, .. } => {
                let produced = ["resolved"].into_iter().chain(timeout.map(|_| model::TIMEOUT_OUTCOME));
                let fallthrough = unhandled(arms, produced, |_| flow.clone());
                Route::Branches { branches: same(arms), fallthrough }
            }
            StepKind::RequestConsent { arms, timeout, .. } => {
                let produced = ["granted", "declined"].into_iter().chain(timeout.map(|_| model::TIMEOUT_OUTCOME));
                let fallthrough = unhandled(arms, produced, |_| flow.clone());
                Route::Branches { branches: same(arms), fallthrough }
            }
            StepKind::Goto { stage } => Route::Goto { stage, target: self.stage_index.get(&stage.name) },
            StepKind::Exit => Route::Exit,
        }
    }

    // The fixpoint.

    /// The scope at each stage's entry, the first stage entered with `start`: a worklist over
    /// stages, each walked again only when its entry scope grows. Checks nothing.
    fn entry_scopes(&self, start: Flow<'a>) -> Vec<Flow<'a>> {
        let mut entry = vec![Flow::Unreachable; self.stages.len()];
        if let Some(first) = entry.first_mut() {
            *first = start;
        }
        let mut pending: BTreeSet<usize> = (0..self.stages.len()).collect();
        let mut jumps = Vec::new();
        while let Some(index) = pending.pop_first() {
            let (Some(stage), Some(flow)) = (self.stages.get(index), entry.get(index).cloned()) else { continue };
            if flow == Flow::Unreachable {
                continue;
            }
            let end = self.transfer_steps(&stage.steps, flow, &mut jumps);
            // Falling through the end of a stage goes on to the next one.
            jumps.push((index + 1, end));
            for (target, flow) in jumps.drain(..) {
                if let Some(slot) = entry.get_mut(target) {
                    let joined = slot.join(&flow);
                    if joined != *slot {
                        *slot = joined;
                        pending.insert(target);
                    }
                }
            }
        }
        entry
    }

    /// The scope after `steps` entered with `flow`; the `goto`s on the way go into `jumps`.
    fn transfer_steps(&self, steps: &'a [Step], mut flow: Flow<'a>, jumps: &mut Jumps<'a>) -> Flow<'a> {
        for step in steps {
            flow = match self.route(step, &flow) {
                Route::Next => flow,
                Route::Branches { branches, fallthrough } => {
                    let mut end = fallthrough;
                    for branch in branches {
                        end = end.join(&self.transfer_steps(branch.steps, branch.entry, jumps));
                    }
                    end
                }
                Route::Goto { target, .. } => {
                    if let Some(target) = target {
                        jumps.push((target, flow));
                    }
                    Flow::Unreachable
                }
                Route::Exit => Flow::Unreachable,
            };
        }
        flow
    }

    // The reporting walk.

    /// Checks every step of stage `index`, entered with `entry`, and reports.
    fn check_stage(&self, index: usize, entry: Flow<'a>, sink: &mut Sink) {
        if let Some(stage) = self.stages.get(index) {
            self.check_steps(&stage.steps, entry, sink);
        }
    }

    /// Checks `steps` entered with `flow`; returns the scope after them.
    fn check_steps(&self, steps: &'a [Step], mut flow: Flow<'a>, sink: &mut Sink) -> Flow<'a> {
        for step in steps {
            flow = self.check_step(step, flow, sink);
        }
        flow
    }

    /// Checks `step` entered with `flow`, then its branches (each guard before its steps);
    /// returns the scope after it.
    fn check_step(&self, step: &'a Step, flow: Flow<'a>, sink: &mut Sink) -> Flow<'a> {
        let labels = self.check_own(step, &flow, sink);
        match self.route(step, &flow) {
            Route::Next => flow,
            Route::Branches { branches, fallthrough } => {
                let mut end = fallthrough;
                for branch in branches {
                    match branch.guard {
                        Guard::Condition(condition) => {
                            check_condition(condition, &self.scope(flow.event_scope()), sink)
                        }
                        Guard::Else => {}
                        Guard::Arm(arm) => self.check_arm_label(arm, &labels, sink),
                    }
                    end = end.join(&self.check_steps(branch.steps, branch.entry, sink));
                }
                end
            }
            Route::Goto { stage, target } => {
                match target.and_then(|target| self.stages.get(target)) {
                    Some(declared) => {
                        let def = model::Def { file: self.file, span: declared.name.span };
                        sink.refer(SymbolKind::Stage, self.file, stage.span, def);
                    }
                    None => {
                        sink.unknown(
                            Code::J0205,
                            "stage",
                            stage,
                            self.file,
                            self.stages.iter().map(|s| s.name.name.as_str()),
                        );
                    }
                }
                Flow::Unreachable
            }
            Route::Exit => Flow::Unreachable,
        }
    }

    /// Checks what `step` itself names and computes (not its branches); returns how the labels
    /// of its arms are checked.
    fn check_own(&self, step: &'a Step, flow: &Flow<'a>, sink: &mut Sink) -> Labels<'a> {
        let scope = || self.scope(flow.event_scope());
        let no_outcomes = || Labels::Outcomes { allowed: Vec::new(), what: String::new() };
        match &step.kind {
            StepKind::Send { message } => {
                sink.stats.sends += 1;
                self.resolve_send(message, &scope(), sink);
                no_outcomes()
            }
            StepKind::Ask { message, .. } => {
                sink.stats.sends += 1;
                let allowed = match self.resolve_send(message, &scope(), sink) {
                    Some(found) => found
                        .outcomes
                        .iter()
                        .map(String::as_str)
                        .chain([model::TIMEOUT_OUTCOME, model::OTHER_OUTCOME])
                        .collect(),
                    None => Vec::new(),
                };
                Labels::Outcomes { allowed, what: format!("message `{}`", message.name) }
            }
            StepKind::WaitFor { events, arms, .. } => {
                let mut allowed: Vec<&str> = Vec::new();
                for event in events {
                    if self.check_event(event, sink) {
                        allowed.push(&event.name);
                    }
                }
                allowed.push(model::TIMEOUT_OUTCOME);
                if allowed.len() != events.len() + 1 {
                    allowed.clear();
                }
                // An arm named after an event the step waits for is a use of that event (counted
                // among the references as an outcome by `check_outcome`).
                for arm in arms {
                    let ArmLabel::Outcome(label) = &arm.label else { continue };
                    let waited = events.iter().any(|event| event.name == label.name);
                    if let (true, Some(declared)) = (waited, self.model.events.get(&label.name)) {
                        let at = model::Def { file: self.file, span: label.span };
                        sink.references.push(model::Reference { at, target: declared.def, kind: SymbolKind::Event });
                    }
                }
                Labels::Outcomes { allowed, what: "this `wait for`".to_owned() }
            }
            StepKind::Split { .. } => Labels::Shares,
            StepKind::Handoff { .. } => {
                Labels::Outcomes { allowed: model::HANDOFF_OUTCOMES.to_vec(), what: "`handoff`".to_owned() }
            }
            StepKind::RequestConsent { channel, category, message, .. } => {
                sink.stats.sends += 1;
                let scope = scope();
                check_channel(channel, &scope, sink);
                if super::collect::check_category(self.file, category, sink) {
                    sink.stats.references += 1;
                }
                self.resolve_send(message, &scope, sink);
                Labels::Outcomes { allowed: model::CONSENT_OUTCOMES.to_vec(), what: "`request consent`".to_owned() }
            }
            StepKind::RevokeConsent { channel, category } => {
                check_channel(channel, &scope(), sink);
                if super::collect::check_category(self.file, category, sink) {
                    sink.stats.references += 1;
                }
                no_outcomes()
            }
            StepKind::Set { target, value } => {
                self.check_set(target, value, &scope(), sink);
                no_outcomes()
            }
            StepKind::WaitUntil { until } => {
                self.check_wait_until(until, &scope(), sink);
                no_outcomes()
            }
            // Conditions are checked with their branches, `goto` targets by `check_step`.
            StepKind::If { .. }
            | StepKind::Goto { .. }
            | StepKind::Wait { .. }
            | StepKind::Tag { .. }
            | StepKind::Track { .. }
            | StepKind::Exit => no_outcomes(),
        }
    }

    /// `wait until 09:00 ZONE`: the zone is one the runtime can know; `wait until MOMENT`: the
    /// expression is a moment (a `datetime`, possibly moved by a duration).
    fn check_wait_until(&self, until: &ast::WaitUntil, scope: &Scope<'_>, sink: &mut Sink) {
        match until {
            ast::WaitUntil::Clock { zone: ast::ZoneSpec::Fixed(name), .. } => {
                super::check_zone_name(&name.value, self.file, name.span, sink);
            }
            ast::WaitUntil::Clock { zone: ast::ZoneSpec::Recipient(span), .. } => {
                if !self.model.profile.values().any(|f| f.ty == model::Type::Timezone) {
                    sink.push(
                        Diagnostic::new(
                            Code::J0225,
                            "`wait until` in the recipient's zone, but the profile has no `timezone` field",
                            self.file,
                            *span,
                        )
                        .with_label("the runtime cannot know the contact's zone")
                        .with_help("add `timezone: timezone` to the `profile` block, or name a fixed zone"),
                    );
                }
            }
            ast::WaitUntil::Moment(expr) => {
                sink.stats.expressions += 1;
                let typed = type_of(expr, scope, None, sink);
                if !matches!(typed.ty, model::Type::DateTime | model::Type::Unknown) {
                    let mut diagnostic = Diagnostic::new(
                        Code::J0225,
                        format!("`wait until` needs a moment (a datetime), found {}", typed.ty.describe()),
                        self.file,
                        expr.span,
                    )
                    .with_label(format!("this is {}", typed.ty.describe()));
                    diagnostic = match typed.ty {
                        model::Type::Date => diagnostic.with_note(
                            "a date has no time of day or zone; the moment it starts is not the same everywhere",
                        ),
                        model::Type::Duration => diagnostic
                            .with_note("a duration is a length of time, not a moment: `wait 2h` waits that long"),
                        _ => diagnostic,
                    };
                    sink.push(diagnostic.with_help(
                        "write a datetime field, possibly moved by a duration (`event.appointment_at - 24h`), or a time of day and a zone (`09:00 recipient`)",
                    ));
                } else if typed.optional {
                    sink.push(
                        Diagnostic::new(Code::J0225, "the moment of `wait until` may be missing", self.file, expr.span)
                            .with_label("an optional value")
                            .with_note("a run whose moment is missing could not know how long to wait, and would end with an error")
                            .with_help("give a fallback: `wait until event.starts ?? now`, or use a field that is always there"),
                    );
                }
            }
        }
    }

    /// An arm's label against its step's `labels`.
    fn check_arm_label(&self, arm: &Arm, labels: &Labels<'_>, sink: &mut Sink) {
        match (&arm.label, labels) {
            (ArmLabel::Outcome(label), Labels::Shares) => sink.push(
                Diagnostic::new(
                    Code::J0208,
                    format!("`split` arms are shares such as `50%`, found `{}`", label.name),
                    self.file,
                    label.span,
                )
                .with_label("not a share"),
            ),
            (ArmLabel::Percent { .. }, Labels::Shares) => {}
            (ArmLabel::Outcome(label), Labels::Outcomes { allowed, what }) => {
                self.check_outcome(label, allowed, what, sink)
            }
            (ArmLabel::Percent { span, .. }, Labels::Outcomes { what, .. }) => sink.push(
                Diagnostic::new(Code::J0208, format!("{what} has outcomes, not shares"), self.file, *span)
                    .with_label("shares belong in `split`"),
            ),
        }
    }

    /// An arm's outcome against the step's outcomes (`allowed`, when known).
    fn check_outcome(&self, label: &ast::Ident, allowed: &[&str], what: &str, sink: &mut Sink) {
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

    /// Resolves the message a step sends, and checks that the `event.x` fields it reads are in
    /// scope here.
    fn resolve_send(&self, message: &ast::Ident, scope: &Scope<'_>, sink: &mut Sink) -> Option<&'a model::Message> {
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
                type_of(
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
