//! The inside of a journey: its members (audience, entry, goals, stages), the steps of a stage,
//! `if` chains, and the outcome arms of steps that wait for an answer.

use std::sync::Arc;

use pest::iterators::Pair;

use super::{is_noise, significant, LineContext, Lowerer};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::MAX_ASK_RETRIES;
use crate::span::Span;
use crate::syntax::grammar::Rule;
use crate::syntax::literals;

impl Lowerer<'_> {
    /// Replies and buttons point with `->`; outcome arms with `=>`. The grammar accepts both so
    /// the wrong one gets this targeted message and a fix instead of a generic syntax error.
    pub(super) fn check_arrow(&mut self, arrow: &Pair<'_, Rule>, wanted: &'static str, what: &str) {
        if arrow.as_str() == wanted {
            return;
        }
        let span = self.span(arrow);
        let (found, role) = if wanted == "->" {
            ("=>", "`=>` introduces the steps of an outcome")
        } else {
            ("->", "`->` names the outcome of a reply, button or row")
        };
        self.diagnostics.push(
            Diagnostic::new(Code::J0105, format!("{what} uses `{wanted}`, found `{found}`"), self.file, span)
                .with_label(format!("write `{wanted}` here"))
                .with_note(role.to_owned())
                .with_safe_suggestion(format!("replace `{found}` with `{wanted}`"), span, wanted),
        );
    }

    pub(super) fn journey_member(&mut self, pair: Pair<'_, Rule>) -> Option<JourneyMember> {
        let outer = self.span(&pair);
        let member = significant(pair).next();
        let member = self.required(member, outer, "a journey member")?;
        let span = self.span(&member);
        Some(match member.as_rule() {
            Rule::audience => {
                let condition = match significant(member).next() {
                    Some(expr) => self.expr(expr),
                    None => None,
                };
                JourneyMember::Audience { condition: self.required_node(condition, span, "a condition")?, span }
            }
            Rule::entry => {
                let mut event = None;
                let mut condition = None;
                for child in significant(member) {
                    match child.as_rule() {
                        Rule::event_ref => event = Some(self.ident(child)),
                        Rule::expr => condition = self.expr(child),
                        Rule::entry_every | Rule::entry_at => {
                            let schedule = self.schedule(child);
                            return Some(JourneyMember::EntrySchedule {
                                schedule: self.required_node(schedule, span, "a schedule")?,
                                span,
                            });
                        }
                        Rule::entry_joins => {
                            let segment = significant(child).find(|p| p.as_rule() == Rule::segment_ref);
                            let segment = segment.map(|p| self.ident(p));
                            return Some(JourneyMember::EntryJoins {
                                segment: self.required_ident(segment, span)?,
                                span,
                            });
                        }
                        _ => {}
                    }
                }
                JourneyMember::Entry { event: self.required_ident(event, span)?, condition, span }
            }
            Rule::exit_leaves => {
                let segment = significant(member).find(|p| p.as_rule() == Rule::segment_ref).map(|p| self.ident(p));
                JourneyMember::ExitLeaves { segment: self.required_ident(segment, span)?, span }
            }
            Rule::exit_on => {
                JourneyMember::ExitOn { events: significant(member).map(|p| self.ident(p)).collect(), span }
            }
            Rule::goal => {
                let mut name = None;
                let mut event = None;
                let mut within = None;
                for child in significant(member) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        Rule::event_ref => event = Some(self.ident(child)),
                        Rule::duration => within = Some(self.positive_duration(child, "a goal period")),
                        _ => {}
                    }
                }
                JourneyMember::Goal {
                    name: self.required_ident(name, span)?,
                    event: self.required_ident(event, span)?,
                    within: self.required_node(within, span, "a duration")?,
                    span,
                }
            }
            Rule::reentry => JourneyMember::Reentry {
                after: significant(member).find(|p| p.as_rule() == Rule::duration).map(|p| self.duration(p)),
                span,
            },
            Rule::stage => {
                let mut name = None;
                let mut steps = Vec::new();
                for child in significant(member) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        Rule::step_block => steps = self.step_block(child),
                        _ => {}
                    }
                }
                JourneyMember::Stage(Stage { name: self.required_ident(name, span)?, steps, span })
            }
            _ => {
                self.malformed(span, "a journey member");
                return None;
            }
        })
    }

    /// `every mon..fri 10:00 recipient`, `every day 09:00 "Europe/Paris"` or
    /// `at 2026-12-24 09:00 recipient`.
    fn schedule(&mut self, pair: Pair<'_, Rule>) -> Option<Schedule> {
        let span = self.span(&pair);
        let mut days = None;
        let mut time = None;
        let mut zone = None;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::every_days => {
                    days = Some(match significant(child).find(|p| p.as_rule() == Rule::day_specs) {
                        Some(specs) => ScheduleDays::Every(self.day_specs(specs)),
                        None => ScheduleDays::EveryDay,
                    })
                }
                Rule::date => {
                    let date_span = self.span(&child);
                    let date = match literals::parse_date(child.as_str(), self.file, date_span) {
                        Ok((year, month, day)) => Some(Date { year, month, day, span: date_span }),
                        Err(diagnostic) => {
                            self.diagnostics.push(diagnostic);
                            None
                        }
                    };
                    days = Some(ScheduleDays::On(date));
                }
                Rule::time => time = Some(self.time(child)),
                Rule::zone => zone = self.zone(child),
                _ => {}
            }
        }
        Some(Schedule {
            days: self.required_node(days, span, "the days of a schedule")?,
            time: self.required_node(time, span, "a time of day")?,
            zone: self.required_node(zone, span, "a time zone")?,
            span,
        })
    }

    fn step_block(&mut self, pair: Pair<'_, Rule>) -> Vec<Step> {
        let span = self.span(&pair);
        if !self.enter(span) {
            return Vec::new();
        }
        let children = pair.into_inner();
        // Exactly the room the steps need: a Vec that is pushed to starts with room for four,
        // and most blocks hold one or two steps, so spare room was most of a large journey's tree
        // and of the memory its walks read. (Counting is cheap: pest's pairs are an index.)
        let mut steps = Vec::with_capacity(children.clone().filter(|p| p.as_rule() == Rule::step).count());
        for child in children.filter(|p| !is_noise(p.as_rule())) {
            match child.as_rule() {
                Rule::step => {
                    if let Some(step) = self.step(child) {
                        steps.push(step);
                    }
                }
                Rule::bad_line => self.bad_line(&child, LineContext::Step),
                _ => {}
            }
        }
        self.leave();
        steps
    }

    fn step(&mut self, pair: Pair<'_, Rule>) -> Option<Step> {
        let outer = self.span(&pair);
        let step = significant(pair).next();
        let step = self.required(step, outer, "a step")?;
        let span = self.span(&step);
        let kind = match step.as_rule() {
            Rule::send_step => {
                let message = significant(step).next().map(|p| self.ident(p));
                StepKind::Send { message: self.required_ident(message, span)? }
            }
            Rule::ask_step => {
                let mut message = None;
                let mut retries = None;
                let mut timeout = None;
                let mut arms = Vec::new();
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::message_ref => message = Some(self.ident(child)),
                        Rule::retries => retries = self.retries(child),
                        Rule::timeout => timeout = self.timeout(child),
                        Rule::arm_block => arms = self.arm_block(child),
                        _ => {}
                    }
                }
                StepKind::Ask { message: self.required_ident(message, span)?, retries, timeout, arms }
            }
            Rule::wait_step => {
                let duration = significant(step).next().map(|p| self.positive_duration(p, "a wait"));
                StepKind::Wait { duration: self.required_node(duration, span, "a duration")? }
            }
            Rule::wait_until_step => {
                let mut time = None;
                let mut zone = None;
                let mut moment = None;
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::time => time = Some(self.time(child)),
                        Rule::zone => zone = self.zone(child),
                        Rule::expr => moment = self.expr(child),
                        _ => {}
                    }
                }
                let until = match (time, moment) {
                    (Some(time), _) => WaitUntil::Clock { time, zone: self.required_node(zone, span, "a time zone")? },
                    (None, moment) => WaitUntil::Moment(self.required_node(moment, span, "a moment")?),
                };
                StepKind::WaitUntil { until }
            }
            Rule::wait_for_step => {
                let mut events = Vec::new();
                let mut within = None;
                let mut arms = Vec::new();
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::event_ref => events.push(self.ident(child)),
                        Rule::duration => within = Some(self.positive_duration(child, "a time limit")),
                        Rule::arm_block => arms = self.arm_block(child),
                        _ => {}
                    }
                }
                StepKind::WaitFor { events, within, arms }
            }
            Rule::if_step => return self.if_step(step),
            Rule::split_step => {
                StepKind::Split { arms: significant(step).next().map(|p| self.arm_block(p)).unwrap_or_default() }
            }
            Rule::handoff_step => {
                let mut team = None;
                let mut timeout = None;
                let mut arms = Vec::new();
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::string => team = Some(self.str_lit(child)),
                        Rule::timeout => timeout = self.timeout(child),
                        Rule::arm_block => arms = self.arm_block(child),
                        _ => {}
                    }
                }
                StepKind::Handoff { team: self.required_node(team, span, "a team name")?, timeout, arms }
            }
            Rule::consent_step => {
                let mut channel = None;
                let mut category = None;
                let mut message = None;
                let mut timeout = None;
                let mut arms = Vec::new();
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::channel_ref => channel = Some(self.ident(child)),
                        Rule::category_ref => category = Some(self.ident(child)),
                        Rule::message_ref => message = Some(self.ident(child)),
                        Rule::timeout => timeout = self.timeout(child),
                        Rule::arm_block => arms = self.arm_block(child),
                        _ => {}
                    }
                }
                StepKind::RequestConsent {
                    channel: self.required_ident(channel, span)?,
                    category: self.required_ident(category, span)?,
                    message: self.required_ident(message, span)?,
                    timeout,
                    arms,
                }
            }
            Rule::revoke_step => {
                let mut channel = None;
                let mut category = None;
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::channel_ref => channel = Some(self.ident(child)),
                        Rule::category_ref => category = Some(self.ident(child)),
                        _ => {}
                    }
                }
                StepKind::RevokeConsent {
                    channel: self.required_ident(channel, span)?,
                    category: self.required_ident(category, span)?,
                }
            }
            Rule::set_step => {
                let mut target = None;
                let mut value = None;
                for child in significant(step) {
                    match child.as_rule() {
                        Rule::path => target = Some(self.path(child)),
                        Rule::expr => value = self.expr(child),
                        _ => {}
                    }
                }
                StepKind::Set {
                    target: self.required_node(target, span, "a field")?,
                    value: self.required_node(value, span, "a value")?,
                }
            }
            Rule::tag_step | Rule::track_step => {
                let is_tag = step.as_rule() == Rule::tag_step;
                let name = significant(step).find(|p| p.as_rule() == Rule::string).map(|p| self.str_lit(p));
                let name = self.required_node(name, span, "a name")?;
                if is_tag {
                    StepKind::Tag { name }
                } else {
                    StepKind::Track { name }
                }
            }
            Rule::goto_step => {
                let stage = significant(step).next().map(|p| self.ident(p));
                StepKind::Goto { stage: self.required_ident(stage, span)? }
            }
            Rule::exit_step => StepKind::Exit,
            _ => {
                self.malformed(span, "a step");
                return None;
            }
        };
        Some(Step { kind, span })
    }

    /// `if` with its `else if` links and final `else`, all flat in the grammar and the tree.
    fn if_step(&mut self, pair: Pair<'_, Rule>) -> Option<Step> {
        let span = self.span(&pair);
        // Most `if`s have one branch; a Vec that is pushed to would make room for four.
        let mut branches = Vec::with_capacity(1);
        let mut else_steps = None;
        let mut condition = None;
        // Where the current link's `else` (and the line breaks before it) began: a link's span
        // starts there. A block right after `else` is the final `else`.
        let mut else_start = None;
        let mut after_else = false;
        let mut children = pair.into_inner().peekable();
        while let Some(child) = children.next() {
            match child.as_rule() {
                Rule::kw_else => {
                    if else_steps.is_some() {
                        self.else_after_final_else(&child);
                        break;
                    }
                    else_start = Some(self.span(&child).start());
                    after_else = true;
                }
                Rule::expr | Rule::path => condition = self.condition(child, &mut children),
                Rule::step_block if after_else => else_steps = Some(self.step_block(child)),
                Rule::step_block => {
                    let steps = self.step_block(child);
                    let condition = self.required_node(condition.take(), span, "a condition")?;
                    branches.push(IfBranch { condition: Arc::new(condition), steps, span });
                }
                Rule::else_if => {
                    after_else = false;
                    let child_span = self.span(&child);
                    let link_span = Span::new(else_start.unwrap_or(child_span.start()), child_span.end());
                    let mut link_condition = None;
                    let mut steps = Vec::new();
                    let mut parts = significant(child).peekable();
                    while let Some(part) = parts.next() {
                        match part.as_rule() {
                            Rule::expr | Rule::path => link_condition = self.condition(part, &mut parts),
                            Rule::step_block => steps = self.step_block(part),
                            _ => {}
                        }
                    }
                    let condition = self.required_node(link_condition, link_span, "a condition")?;
                    branches.push(IfBranch { condition: Arc::new(condition), steps, span: link_span });
                }
                _ => {}
            }
        }
        Some(Step { kind: StepKind::If { branches, else_steps }, span })
    }

    /// The grammar reads `else` links in any order (so each is tried once); only the last may be
    /// a plain `else` block.
    fn else_after_final_else(&mut self, kw_else: &Pair<'_, Rule>) {
        let span = self.span(kw_else);
        let word = Span::new(span.end().saturating_sub("else".len()), span.end());
        self.push_syntax(
            Diagnostic::new(Code::J0101, "unexpected `else` after the final `else` block", self.file, word)
                .with_label("this `if` already ended with `else { ... }`")
                .with_help("make the earlier block `else if CONDITION { ... }`, or merge the two blocks"),
        );
    }

    fn timeout(&mut self, pair: Pair<'_, Rule>) -> Option<Duration> {
        let span = self.span(&pair);
        let duration = significant(pair).next().map(|p| self.positive_duration(p, "a timeout"));
        self.required_node(duration, span, "a duration")
    }

    /// `retries N`: a whole number from 1 to [`MAX_ASK_RETRIES`]; anything else is reported
    /// (J0107) and read as 0, so later passes model no re-ask that was not written.
    fn retries(&mut self, pair: Pair<'_, Rule>) -> Option<Retries> {
        let span = self.span(&pair);
        let number = significant(pair).find(|p| p.as_rule() == Rule::integer)?;
        let number_span = self.span(&number);
        let before = self.diagnostics.reported();
        let value = self.integer(number);
        let count = match u32::try_from(value) {
            Ok(count) if (1..=MAX_ASK_RETRIES).contains(&count) => count,
            _ => {
                if self.diagnostics.reported() == before {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::J0107,
                            format!("`retries {value}` is out of range"),
                            self.file,
                            number_span,
                        )
                        .with_label(format!("from 1 to {MAX_ASK_RETRIES}"))
                        .with_help("each retry sends the question again; ask at most a few times, then take `other`"),
                    );
                }
                0
            }
        };
        Some(Retries { count, span })
    }

    fn arm_block(&mut self, pair: Pair<'_, Rule>) -> Vec<Arm> {
        let span = self.span(&pair);
        if !self.enter(span) {
            return Vec::new();
        }
        let children = pair.into_inner();
        // Exact room, as for a block's steps.
        let mut arms = Vec::with_capacity(children.clone().filter(|p| p.as_rule() == Rule::arm).count());
        for child in children.filter(|p| !is_noise(p.as_rule())) {
            match child.as_rule() {
                Rule::arm => {
                    if let Some(arm) = self.arm(child) {
                        arms.push(arm);
                    }
                }
                Rule::bad_entry => self.bad_line(&child, LineContext::Arm),
                _ => {}
            }
        }
        self.leave();
        arms
    }

    fn arm(&mut self, pair: Pair<'_, Rule>) -> Option<Arm> {
        let span = self.span(&pair);
        let mut label = None;
        let mut steps = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::arm_label => {
                    let inner = child.into_inner().next();
                    let inner = self.required(inner, span, "an outcome")?;
                    label = Some(match inner.as_rule() {
                        Rule::percent => {
                            let label_span = self.span(&inner);
                            let value = match literals::parse_percent(inner.as_str(), self.file, label_span) {
                                Ok(value) => Some(value),
                                Err(diagnostic) => {
                                    self.diagnostics.push(diagnostic);
                                    None
                                }
                            };
                            ArmLabel::Percent { value, span: label_span }
                        }
                        _ => ArmLabel::Outcome(self.ident(inner)),
                    });
                }
                Rule::arrow => self.check_arrow(&child, "=>", "an outcome"),
                Rule::step_block => steps = self.step_block(child),
                Rule::step => steps = self.step(child).into_iter().collect(),
                _ => {}
            }
        }
        Some(Arm { label: self.required_node(label, span, "an outcome")?, steps, span })
    }
}
