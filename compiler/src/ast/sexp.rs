//! A compact, stable S-expression rendering of the AST, for snapshot tests and debugging.
//!
//! One item or step per line, indented by nesting; spans are left out so that snapshots show
//! structure, not offsets. Expressions print fully parenthesised, which makes precedence visible.

use super::*;
use std::fmt::Write;

pub fn file_to_sexp(file: &File) -> String {
    let mut out = Printer::default();
    for item in &file.items {
        out.item(item);
    }
    out.text
}

#[derive(Default)]
struct Printer {
    text: String,
    indent: usize,
}

impl Printer {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.text.push_str("  ");
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn nested(&mut self, head: &str, body: impl FnOnce(&mut Printer)) {
        self.line(&format!("({head}"));
        self.indent += 1;
        body(self);
        self.indent -= 1;
        self.line(")");
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(import) => self.line(&format!("(import {:?})", import.path.value)),
            Item::Profile(profile) => self.nested("profile", |p| p.fields(&profile.fields)),
            Item::Event(event) => {
                let mut inbound = event.inbound.as_ref().map(|c| format!(" inbound={}", c.name)).unwrap_or_default();
                if let Some(window) = event.window {
                    inbound.push_str(&format!(" window={}s", window.secs));
                }
                if let Some((replies, _)) = event.replies {
                    inbound.push_str(&format!(" replies={replies}"));
                }
                self.nested(&format!("event {}{inbound}", event.name.name), |p| p.fields(&event.fields));
            }
            Item::Segment(segment) => {
                self.line(&format!("(segment {} {})", segment.name.name, expr(&segment.condition)))
            }
            Item::Policy(policy) => {
                let name = policy.name.as_ref().map(|n| format!(" {}", n.name)).unwrap_or_default();
                self.nested(&format!("policy{name}"), |p| {
                    for rule in &policy.rules {
                        p.line(&policy_rule(rule));
                    }
                });
            }
            Item::Channel(channel) => self.nested(&format!("channel {}", channel.name.name), |p| {
                for rule in &channel.rules {
                    p.line(&channel_rule(rule));
                }
            }),
            Item::Message(message) => self.nested(
                &format!("message {} on={} as={}", message.name.name, message.channel.name, message.category.name),
                |p| p.elements(&message.elements),
            ),
            Item::Template(template) => self.nested(
                &format!("template {} on={} as={}", template.name.name, template.channel.name, template.category.name),
                |p| {
                    if let Some(lang) = &template.lang {
                        p.line(&format!("(lang {:?})", lang.value));
                    }
                    for (slot, text) in &template.texts {
                        p.line(&format!("({} {})", slot.name, self::template(text)));
                    }
                },
            ),
            Item::Journey(journey) => self.nested(&format!("journey {}", journey.name.name), |p| {
                for member in &journey.members {
                    p.member(member);
                }
            }),
        }
    }

    fn fields(&mut self, fields: &[FieldDecl]) {
        for field in fields {
            self.line(&format!("({} {})", field.name.name, type_expr(&field.ty)));
        }
    }

    fn elements(&mut self, elements: &[Element]) {
        for element in elements {
            match element {
                Element::Text(t) => self.line(&format!("(text {})", template(t))),
                Element::Subject(t) => self.line(&format!("(subject {})", template(t))),
                Element::Title(t) => self.line(&format!("(title {})", template(t))),
                Element::Subtitle(t) => self.line(&format!("(subtitle {})", template(t))),
                Element::Reply { title, outcome, .. } => {
                    self.line(&format!("(reply {} -> {})", template(title), outcome.name))
                }
                Element::Button { title, action, .. } => {
                    let action = match action {
                        ButtonAction::Outcome(o) => format!("-> {}", o.name),
                        ButtonAction::Url(u) => format!("url {}", template(u)),
                    };
                    self.line(&format!("(button {} {action})", template(title)));
                }
                Element::Media { kind, url, .. } => self.line(&format!("({} {})", kind.name, template(url))),
                Element::Card { elements, .. } => self.nested("card", |p| p.elements(elements)),
                Element::List(list) => self.nested(&format!("list {}", template(&list.button)), |p| {
                    for part in &list.parts {
                        match part {
                            ListPart::Header(t) => p.line(&format!("(header {})", template(t))),
                            ListPart::Footer(t) => p.line(&format!("(footer {})", template(t))),
                            ListPart::Section(section) => {
                                let title =
                                    section.title.as_ref().map(|t| format!(" {}", template(t))).unwrap_or_default();
                                p.nested(&format!("section{title}"), |p| {
                                    for row in &section.rows {
                                        p.row(row);
                                    }
                                })
                            }
                            ListPart::Row(row) => p.row(row),
                        }
                    }
                }),
                Element::Template { name, lang, params, .. } => {
                    let params: Vec<String> =
                        params.iter().map(|param| format!("{}={}", param.name.name, expr(&param.value))).collect();
                    self.line(&format!("(template {:?} lang={:?} {})", name.value, lang.value, params.join(" ")));
                }
                Element::Tag { name, .. } => self.line(&format!("(tag {})", name.name)),
            }
        }
    }

    fn row(&mut self, row: &ListRow) {
        let description = row.description.as_ref().map(|d| format!(" {}", template(d))).unwrap_or_default();
        self.line(&format!("(row {}{description} -> {})", template(&row.title), row.outcome.name));
    }

    fn member(&mut self, member: &JourneyMember) {
        match member {
            JourneyMember::Audience { condition, .. } => self.line(&format!("(audience {})", expr(condition))),
            JourneyMember::Entry { event, condition, .. } => {
                let condition = condition.as_ref().map(|c| format!(" where {}", expr(c))).unwrap_or_default();
                self.line(&format!("(entry {}{condition})", event.name));
            }
            JourneyMember::EntrySchedule { schedule, .. } => {
                self.line(&format!("(entry-schedule {})", schedule.describe()))
            }
            JourneyMember::EntryJoins { segment, .. } => self.line(&format!("(entry-joins {})", segment.name)),
            JourneyMember::ExitLeaves { segment, .. } => self.line(&format!("(exit-leaves {})", segment.name)),
            JourneyMember::ExitOn { events, .. } => self.line(&format!("(exit-on {})", names(events))),
            JourneyMember::Goal { name, event, within, .. } => {
                self.line(&format!("(goal {} {} within={}s)", name.name, event.name, within.secs))
            }
            JourneyMember::Reentry { after, .. } => match after {
                Some(d) => self.line(&format!("(reentry after={}s)", d.secs)),
                None => self.line("(reentry never)"),
            },
            JourneyMember::Stage(stage) => {
                self.nested(&format!("stage {}", stage.name.name), |p| p.steps(&stage.steps))
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
            StepKind::Send { message } => self.line(&format!("(send {})", message.name)),
            StepKind::Ask { message, retries, timeout, arms } => {
                let retries = retries.map(|r| format!(" retries={}", r.count)).unwrap_or_default();
                self.nested(&format!("ask {}{retries}{}", message.name, timeout_text(timeout)), |p| p.arms(arms))
            }
            StepKind::Wait { duration } => self.line(&format!("(wait {}s)", duration.secs)),
            StepKind::WaitUntil { until: WaitUntil::Clock { time, zone } } => {
                let zone = match zone {
                    ZoneSpec::Recipient(_) => "recipient".to_owned(),
                    ZoneSpec::Fixed(name) => format!("{:?}", name.value),
                };
                self.line(&format!("(wait-until {}m {zone})", time.minutes))
            }
            StepKind::WaitUntil { until: WaitUntil::Moment(moment) } => {
                self.line(&format!("(wait-until {})", expr(moment)))
            }
            StepKind::WaitFor { events, within, arms } => {
                let within = within.map(|d| format!(" within={}s", d.secs)).unwrap_or_default();
                self.nested(&format!("wait-for {}{within}", names(events)), |p| p.arms(arms));
            }
            StepKind::If { branches, else_steps } => self.nested("if", |p| {
                for branch in branches {
                    p.nested(&format!("when {}", expr(&branch.condition)), |p| p.steps(&branch.steps));
                }
                if let Some(else_steps) = else_steps {
                    p.nested("else", |p| p.steps(else_steps));
                }
            }),
            StepKind::Split { arms } => self.nested("split", |p| p.arms(arms)),
            StepKind::Handoff { team, timeout, arms } => {
                self.nested(&format!("handoff {:?}{}", team.value, timeout_text(timeout)), |p| p.arms(arms))
            }
            StepKind::RequestConsent { channel, category, message, timeout, arms } => self.nested(
                &format!(
                    "request-consent {} {} via={}{}",
                    channel.name,
                    category.name,
                    message.name,
                    timeout_text(timeout)
                ),
                |p| p.arms(arms),
            ),
            StepKind::RevokeConsent { channel, category } => {
                self.line(&format!("(revoke-consent {} {})", channel.name, category.name))
            }
            StepKind::Set { target, value } => self.line(&format!("(set {} {})", path(target), expr(value))),
            StepKind::Tag { name } => self.line(&format!("(tag {:?})", name.value)),
            StepKind::Track { name } => self.line(&format!("(track {:?})", name.value)),
            StepKind::Goto { stage } => self.line(&format!("(goto {})", stage.name)),
            StepKind::Exit => self.line("(exit)"),
        }
    }

    fn arms(&mut self, arms: &[Arm]) {
        for arm in arms {
            let label = match &arm.label {
                ArmLabel::Outcome(o) => o.name.clone(),
                ArmLabel::Percent { value, .. } => value.map_or("?%".to_owned(), |v| format!("{v}%")),
            };
            self.nested(&format!("{label} =>"), |p| p.steps(&arm.steps));
        }
    }
}

fn timeout_text(timeout: &Option<Duration>) -> String {
    timeout.map(|d| format!(" timeout={}s", d.secs)).unwrap_or_default()
}

fn names(idents: &[Ident]) -> String {
    idents.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(",")
}

fn path(path: &Path) -> String {
    path.segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".")
}

fn type_expr(ty: &TypeExpr) -> String {
    let base = match &ty.kind {
        TypeKind::Named(name) => name.name.clone(),
        TypeKind::Set(inner) => format!("set<{}>", type_expr(inner)),
        TypeKind::List(inner) => format!("list<{}>", type_expr(inner)),
        TypeKind::Enum(variants) => format!("enum{{{}}}", names(variants)),
    };
    if ty.optional {
        format!("{base}?")
    } else {
        base
    }
}

fn template(template: &Template) -> String {
    let mut out = String::from("\"");
    for part in &template.parts {
        match part {
            TemplatePart::Literal(text) => {
                let escaped = format!("{text:?}");
                out.push_str(escaped.trim_matches('"'));
            }
            TemplatePart::Field { path: p, fallback, .. } => {
                let _ = write!(out, "{{{}", path(p));
                if let Some(fallback) = fallback {
                    let _ = write!(out, " ?? {}", expr(fallback));
                }
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Path(p) => path(p),
        ExprKind::Str(t) => template(t),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Decimal(d) => d.clone(),
        ExprKind::Money { amount, currency } => format!("{amount}{}", currency.name),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Duration(d) => format!("{}s", d.secs),
        ExprKind::List(items) => format!("[{}]", items.iter().map(expr).collect::<Vec<_>>().join(" ")),
        ExprKind::Call { name, args } => {
            format!("({} {})", name.name, args.iter().map(expr).collect::<Vec<_>>().join(" "))
        }
        ExprKind::Within(name) => format!("(within {})", name.name),
        ExprKind::Now => "now".to_owned(),
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Not => "not",
                UnaryOp::Neg => "neg",
            };
            format!("({op} {})", expr(operand))
        }
        ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op.as_str(), expr(lhs), expr(rhs)),
    }
}

fn policy_rule(rule: &PolicyRule) -> String {
    match rule {
        PolicyRule::QuietHours { periods, zone, .. } => {
            format!("(quiet-hours {} {})", periods_text(periods), zone_text(zone))
        }
        PolicyRule::Frequency { channel, category, max, per, .. } => {
            let channel = channel.as_ref().map(|c| format!(" channel={}", c.name)).unwrap_or_default();
            format!("(frequency {}{channel} max={max} per={}s)", category.name, per.secs)
        }
        PolicyRule::BusinessHours { periods, zone, .. } => {
            format!("(business-hours {} {})", periods_text(periods), zone_text(zone))
        }
        PolicyRule::Jurisdiction { code, .. } => format!("(jurisdiction {:?})", code.value),
    }
}

/// `Mon..Sat 1260m..540m, Sun..Sun 1260m..720m`.
fn periods_text(periods: &[WeekPeriod]) -> String {
    let periods: Vec<String> = periods
        .iter()
        .map(|p| {
            let days: Vec<String> = p.days.iter().map(|d| format!("{:?}..{:?}", d.from, d.to)).collect();
            if days.is_empty() {
                time_range(&p.range)
            } else {
                format!("{} {}", days.join(","), time_range(&p.range))
            }
        })
        .collect();
    periods.join(", ")
}

fn time_range(range: &TimeRange) -> String {
    format!("{}m..{}m", range.from.minutes, range.to.minutes)
}

fn zone_text(zone: &ZoneSpec) -> String {
    match zone {
        ZoneSpec::Recipient(_) => "recipient".to_owned(),
        ZoneSpec::Fixed(name) => format!("{:?}", name.value),
    }
}

fn channel_rule(rule: &ChannelRule) -> String {
    match rule {
        ChannelRule::Window { length, .. } => format!("(window {}s)", length.secs),
        ChannelRule::Tag { name, allows, within, .. } => {
            let within = within.map(|d| format!(" within={}s", d.secs)).unwrap_or_default();
            format!("(tag {} allows={}{within})", name.name, names(allows))
        }
        ChannelRule::Limit { what, max, unit, .. } => {
            let unit = unit.as_ref().map(|u| format!(" {}", u.name)).unwrap_or_default();
            format!("(limit {} {max}{unit})", what.name)
        }
        ChannelRule::Supports { elements, .. } => format!("(supports {})", names(elements)),
        ChannelRule::TemplateRequiredOutsideWindow { .. } => "(template-required-outside-window)".to_owned(),
        ChannelRule::ConsentOutsideWindow { category, .. } => format!("(consent-outside-window {})", category.name),
        ChannelRule::Keywords { words, .. } => format!("(keywords {})", names(words)),
        ChannelRule::Encoding { name, .. } => format!("(encoding {})", name.name),
        ChannelRule::Medium { medium, .. } => format!("(medium {})", medium.map_or("?", |m| m.as_str())),
    }
}
