//! First pass: every declaration of the project into the [`Model`], by name.
//!
//! Reports duplicate definitions (J0209, labelling both), unknown field types (J0217) and
//! channel declarations that use a limit or element name the checker does not know (J0308), and
//! channels without a medium or with one their encoding or name contradicts (J0315). Collects the
//! policies once (a second `quiet_hours` is J0209) for the analyses and the bundle.
//! Nothing here looks at references; that is the next pass.

use std::collections::BTreeMap;

use super::Sink;
use crate::ast::{self, ChannelRule, Element, Item, PolicyRule, TypeKind};
use crate::codes::Code;
use crate::content::vocabulary::{ELEMENTS, LIMITS};
use crate::diagnostic::Diagnostic;
use crate::flow::media;
use crate::model::{
    self, BusinessHoursRule, Def, Field, FrequencyRule, JurisdictionRule, LimitUnit, Model, Policies, QuietHoursRule,
    Type, WeekPeriod,
};
use crate::project::Sources;
use crate::span::{FileId, Span};
use crate::syntax::literals::format_duration;

pub fn collect(sources: &Sources, sink: &mut Sink) -> Model {
    let mut model = Model::default();
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        let in_std = matches!(file.origin, crate::project::Origin::Std(_));
        for item in &ast.items {
            collect_item(file.id, &file.text, in_std, item, &mut model, sink);
        }
    }
    check_event_windows(&model, sink);
    model
}

/// A project's own event may not open a window longer than its channel's: the platform decides
/// how long a conversation stays open (24h on Messenger, Instagram and WhatsApp), and both the
/// checker and the runtime trust the event's `window`. Only the standard library's ad-reply
/// events carry 7 days (MSGR-WIN-1, IG-WIN); WhatsApp's free entry point is billing, not a
/// longer window (WA-CSW, WA-PRICE).
fn check_event_windows(model: &Model, sink: &mut Sink) {
    for (name, event) in &model.events {
        let (Some(window), Some(def), false) = (event.window_secs, event.window_def, event.in_std) else { continue };
        let Some(channel_name) = &event.inbound else { continue };
        let Some(channel) = model.channels.get(channel_name) else { continue };
        sink.stats.content_rules += 1;
        let allowed = channel.window_secs.unwrap_or(0);
        if window <= allowed {
            continue;
        }
        let what = match channel.window_secs {
            Some(w) => {
                format!("`{channel_name}` keeps a conversation open {}", crate::syntax::literals::format_window(w))
            }
            None => format!("`{channel_name}` has no messaging window"),
        };
        let mut diagnostic = Diagnostic::new(
            Code::J0316,
            format!(
                "event `{name}` opens a {} window on `{channel_name}`, longer than the channel's own",
                crate::syntax::literals::format_window(window)
            ),
            def.file,
            def.span,
        )
        .with_label(what)
        .with_secondary(channel.window_def.file, channel.window_def.span, "the channel's window")
        .with_note(
            "a platform decides how long a conversation stays open; only the standard library's ad-reply events \
             open 7 days (MSGR-WIN-1, IG-WIN), and free-form WhatsApp never goes past 24h (WA-CSW)",
        );
        diagnostic = diagnostic.with_help(match channel.window_secs {
            Some(_) => "delete `window ...`: the event then opens the channel's own window",
            None => "delete `window ...`: this channel has no window to open",
        });
        sink.push(diagnostic);
    }
}

fn def(file: FileId, ident: &ast::Ident) -> Def {
    Def { file, span: ident.span }
}

/// Inserts `value` under `name` unless the name is taken, in which case both are labelled.
fn insert_unique<T>(
    map: &mut BTreeMap<String, T>,
    what: &str,
    name: &ast::Ident,
    file: FileId,
    value: T,
    existing_def: impl Fn(&T) -> Def,
    sink: &mut Sink,
) {
    if let Some(existing) = map.get(&name.name) {
        sink.duplicate(what, &name.name, def(file, name), existing_def(existing));
        return;
    }
    map.insert(name.name.clone(), value);
}

fn collect_item(file: FileId, text: &str, in_std: bool, item: &Item, model: &mut Model, sink: &mut Sink) {
    match item {
        Item::Import(_) => {}
        Item::Profile(profile) => {
            for field in &profile.fields {
                let value = field_of(file, field, sink);
                insert_unique(&mut model.profile, "profile field", &field.name, file, value, |f| f.def, sink);
            }
        }
        Item::Event(event) => {
            let mut fields = BTreeMap::new();
            for field in &event.fields {
                let value = field_of(file, field, sink);
                insert_unique(&mut fields, "field", &field.name, file, value, |f: &Field| f.def, sink);
            }
            let value = model::Event {
                def: def(file, &event.name),
                fields,
                inbound: event.inbound.as_ref().map(|c| c.name.clone()),
                window_secs: event.window.map(|w| w.secs),
                window_def: event.window.map(|w| Def { file, span: w.span }),
                in_std,
                // Any count is kept as one: the analyses and runtimes know only the single reply
                // (IG-PR, MSGR-PR), and another count is an error below.
                replies: event.replies.map(|_| 1),
            };
            if let Some((count, span)) = event.replies.filter(|(count, _)| *count != 1) {
                sink.push(
                    Diagnostic::new(Code::J0320, format!("`replies {count}`: a window allows one reply or any number"), file, span)
                        .with_label("only `replies 1` is supported")
                        .with_note("private replies to a comment allow one message per comment (IG-PR, MSGR-PR); no platform rule counts other numbers of replies")
                        .with_help("write `replies 1`, or remove `replies` for a window that allows any number of messages"),
                );
            }
            insert_unique(&mut model.events, "event", &event.name, file, value, |e| e.def, sink);
        }
        Item::Segment(segment) => {
            let value = def(file, &segment.name);
            insert_unique(&mut model.segments, "segment", &segment.name, file, value, |d| *d, sink);
        }
        Item::Policy(policy) => {
            for rule in &policy.rules {
                policy_rule(file, text, rule, &mut model.policies, sink);
            }
        }
        Item::Channel(channel) => {
            let value = channel_of(file, in_std, channel, sink);
            insert_unique(&mut model.channels, "channel", &channel.name, file, value, |c| c.def, sink);
        }
        Item::Message(message) => {
            let mut outcomes = Vec::new();
            let mut tag = None;
            let mut is_template = false;
            collect_message_facts(&message.elements, &mut outcomes, &mut tag, &mut is_template);
            let value = model::Message {
                def: def(file, &message.name),
                channel: message.channel.name.clone(),
                category: message.category.name.clone(),
                tag,
                outcomes,
                is_template,
            };
            insert_unique(&mut model.messages, "message", &message.name, file, value, |m| m.def, sink);
        }
        Item::Template(template) => {
            let mut params: Vec<String> = Vec::new();
            for (_, text) in &template.texts {
                for part in &text.parts {
                    if let ast::TemplatePart::Field { path, .. } = part {
                        let name = path.segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
                        if !params.contains(&name) {
                            params.push(name);
                        }
                    }
                }
            }
            let value = model::Template {
                def: def(file, &template.name),
                channel: template.channel.name.clone(),
                category: template.category.name.clone(),
                lang: template.lang.as_ref().map(|l| l.value.clone()),
                params,
            };
            insert_unique(&mut model.templates, "template", &template.name, file, value, |t| t.def, sink);
        }
        Item::Journey(journey) => {
            let stages = unique_stages(file, journey, sink);
            let value = model::Journey { def: def(file, &journey.name), stages };
            insert_unique(&mut model.journeys, "journey", &journey.name, file, value, |j| j.def, sink);
        }
    }
}

fn week_period(period: &ast::WeekPeriod) -> WeekPeriod {
    WeekPeriod {
        days: period.days.iter().map(|d| (d.from, d.to)).collect(),
        from: period.range.from.minutes,
        to: period.range.to.minutes,
    }
}

/// One policy rule into the project's [`Policies`]: the first `quiet_hours` and the first
/// `business_hours` in file order win, every `frequency` and `jurisdiction` is kept. `text` is
/// the file's, for periods as the author wrote them.
fn policy_rule(file: FileId, text: &str, rule: &PolicyRule, policies: &mut Policies, sink: &mut Sink) {
    if let PolicyRule::QuietHours { zone: ast::ZoneSpec::Fixed(name), .. }
    | PolicyRule::BusinessHours { zone: ast::ZoneSpec::Fixed(name), .. } = rule
    {
        super::check_zone_name(&name.value, file, name.span, sink);
    }
    match rule {
        PolicyRule::QuietHours { periods, zone, span } => {
            let here = Def { file, span: *span };
            // Policies are project-wide: two quiet-hour rules would leave one silently unused.
            match &policies.quiet_hours {
                Some(first) => sink.duplicate("policy rule", "quiet_hours", here, first.def),
                None => {
                    let periods = periods.iter().map(week_period).collect();
                    policies.quiet_hours = Some(QuietHoursRule::new(here, periods, fixed_zone(zone)));
                }
            }
        }
        PolicyRule::Frequency { channel, category, max, per, span } => policies.frequency.push(FrequencyRule {
            def: Def { file, span: *span },
            channel: channel.as_ref().map(|c| c.name.clone()),
            category: category.name.clone(),
            max: *max,
            per_secs: per.secs,
            per_written: text.get(per.span.range()).map_or_else(|| format_duration(per.secs), str::to_owned),
        }),
        PolicyRule::BusinessHours { periods, zone, span } => {
            if policies.business_hours.is_none() {
                policies.business_hours = Some(BusinessHoursRule {
                    def: Def { file, span: *span },
                    periods: periods.iter().map(week_period).collect(),
                    zone: fixed_zone(zone),
                });
            }
        }
        PolicyRule::Jurisdiction { code, .. } => {
            policies
                .jurisdictions
                .push(JurisdictionRule { code: code.value.clone(), def: Some(Def { file, span: code.span }) });
        }
    }
}

/// A fixed zone's name, `None` for the recipient's zone.
fn fixed_zone(zone: &ast::ZoneSpec) -> Option<String> {
    match zone {
        ast::ZoneSpec::Recipient(_) => None,
        ast::ZoneSpec::Fixed(name) => Some(name.value.clone()),
    }
}

/// A journey's stages by name, the first declaration of a name winning. Each later one is
/// reported (J0209) against it, in source order, as [`insert_unique`] would. A journey can have
/// thousands of stages: sorting the names once and building the map from the sorted list costs
/// less than inserting them one by one.
fn unique_stages(file: FileId, journey: &ast::Journey, sink: &mut Sink) -> BTreeMap<String, Def> {
    let names: Vec<&ast::Ident> = journey.stages().map(|stage| &stage.name).collect();
    let name_of = |i: usize| names.get(i).map_or("", |n| n.name.as_str());
    let mut order: Vec<usize> = (0..names.len()).collect();
    // Stable: equal names stay in source order, so each group starts with its first declaration.
    order.sort_by(|a, b| name_of(*a).cmp(name_of(*b)));
    let mut first: Vec<(&ast::Ident, usize)> = Vec::with_capacity(names.len());
    let mut duplicates: Vec<(usize, usize)> = Vec::new();
    for index in order {
        let Some(ident) = names.get(index) else { continue };
        match first.last() {
            Some((winner, winner_index)) if winner.name == ident.name => duplicates.push((index, *winner_index)),
            _ => first.push((ident, index)),
        }
    }
    duplicates.sort_unstable();
    for (second, winner) in duplicates {
        if let (Some(second), Some(winner)) = (names.get(second), names.get(winner)) {
            sink.duplicate("stage", &second.name, def(file, second), def(file, winner));
        }
    }
    first.into_iter().map(|(ident, _)| (ident.name.clone(), def(file, ident))).collect()
}

/// What the model keeps of a message's elements, cards and lists included: its outcomes (of
/// replies, buttons and list rows), its tag, and whether it sends a template (those two at the
/// top level only).
fn collect_message_facts(
    elements: &[Element],
    outcomes: &mut Vec<String>,
    tag: &mut Option<String>,
    template: &mut bool,
) {
    for element in ast::visit::elements(elements) {
        match element {
            Element::Reply { outcome, .. } => outcomes.push(outcome.name.clone()),
            Element::Button { action: ast::ButtonAction::Outcome(outcome), .. } => outcomes.push(outcome.name.clone()),
            Element::List(list) => outcomes.extend(list.rows().map(|row| row.outcome.name.clone())),
            _ => {}
        }
    }
    // A tag or a template is the whole message's only where the bundle carries it: written
    // inside a card it is J0318, and the checks go on as if it were not there (as it would be
    // sent), rather than proving sends on a tag that never leaves.
    for element in elements {
        match element {
            Element::Tag { name, .. } => *tag = Some(name.name.clone()),
            Element::Template { .. } => *template = true,
            _ => {}
        }
    }
}

fn field_of(file: FileId, field: &ast::FieldDecl, sink: &mut Sink) -> Field {
    Field { def: def(file, &field.name), ty: type_of(file, &field.ty, sink), optional: field.ty.optional }
}

/// Resolves a written type. Depth is bounded by the parser (`MAX_TREE_DEPTH`).
pub fn type_of(file: FileId, ty: &ast::TypeExpr, sink: &mut Sink) -> Type {
    match &ty.kind {
        TypeKind::Named(name) => match Type::named(&name.name) {
            Some(ty) => ty,
            None => {
                let known = Type::NAMED.iter().map(|(n, _)| *n);
                let mut diagnostic =
                    Diagnostic::new(Code::J0217, format!("unknown type `{}`", name.name), file, name.span)
                        .with_label("not a type")
                        .with_note(format!(
                            "types are {}, `set<T>`, `list<T>` and `enum {{ ... }}`",
                            Type::NAMED.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        ));
                if let Some(best) = crate::names::closest(&name.name, known) {
                    diagnostic = diagnostic.with_suggestion(format!("write `{best}`"), name.span, best);
                }
                sink.push(diagnostic);
                Type::Unknown
            }
        },
        TypeKind::Set(inner) => Type::Set(Box::new(type_of(file, inner, sink))),
        TypeKind::List(inner) => Type::List(Box::new(type_of(file, inner, sink))),
        TypeKind::Enum(variants) => Type::Enum(variants.iter().map(|v| v.name.clone()).collect()),
    }
}

/// `in_std`: the channel is the standard library's, where every rule cites its source; only there
/// may a rule waive consent (`consent ... outside window`, J0311).
fn channel_of(file: FileId, in_std: bool, channel: &ast::Channel, sink: &mut Sink) -> model::Channel {
    let mut result = model::Channel {
        def: def(file, &channel.name),
        window_secs: None,
        window_def: def(file, &channel.name),
        tags: BTreeMap::new(),
        limits: BTreeMap::new(),
        supports: None,
        template_required_outside_window: false,
        consent_outside_window: Vec::new(),
        keywords: Vec::new(),
        encoding: None,
        medium: None,
    };
    // The first `medium` rule: the medium (`None` when lowering refused the word), its word, and
    // the rule's place. `encoding sms`'s place, to show a contradiction.
    let mut medium: Option<(Option<model::Medium>, Span, Def)> = None;
    let mut sms_encoding: Option<Span> = None;
    for rule in &channel.rules {
        match rule {
            ChannelRule::Medium { medium: declared, word, span } => {
                let here = Def { file, span: *span };
                match &medium {
                    Some((_, _, first)) => sink.duplicate("medium of channel", &channel.name.name, here, *first),
                    None => medium = Some((*declared, *word, here)),
                }
            }
            ChannelRule::Window { length, span } => {
                if let Some(previous) = result.window_secs.filter(|_| result.window_def.span != channel.name.span) {
                    let _ = previous;
                    sink.duplicate(
                        "window of channel",
                        &channel.name.name,
                        Def { file, span: *span },
                        result.window_def,
                    );
                }
                result.window_secs = Some(length.secs);
                result.window_def = Def { file, span: *span };
            }
            ChannelRule::Tag { name, allows, within, .. } => {
                for category in allows {
                    check_category(file, category, sink);
                }
                let tag = model::Tag {
                    def: def(file, name),
                    allows: allows.iter().map(|a| a.name.clone()).collect(),
                    within_secs: within.map(|w| w.secs),
                };
                insert_unique(&mut result.tags, "tag", name, file, tag, |t| t.def, sink);
            }
            ChannelRule::Limit { what, max, unit, .. } => {
                let known = LIMITS.iter().find(|(name, _)| *name == what.name);
                let Some((_, counted)) = known else {
                    sink.unknown_vocabulary("limit", what, file, LIMITS.iter().map(|(n, _)| *n));
                    continue;
                };
                let unit = match unit.as_ref().map(|u| u.name.as_str()) {
                    _ if *counted => LimitUnit::Count,
                    None | Some("chars") => LimitUnit::Chars,
                    Some("bytes") => LimitUnit::Bytes,
                    Some(_) => {
                        if let Some(unit) = unit {
                            sink.unknown_vocabulary("limit unit", unit, file, ["bytes", "chars"].into_iter());
                        }
                        LimitUnit::Chars
                    }
                };
                let limit = model::Limit { def: def(file, what), max: *max, unit };
                insert_unique(&mut result.limits, "limit", what, file, limit, |l| l.def, sink);
            }
            ChannelRule::Supports { elements, .. } => {
                let mut supported = result.supports.take().unwrap_or_default();
                for element in elements {
                    if ELEMENTS.contains(&element.name.as_str()) {
                        supported.push(element.name.clone());
                    } else {
                        sink.unknown_vocabulary("element", element, file, ELEMENTS.iter().copied());
                    }
                }
                result.supports = Some(supported);
            }
            ChannelRule::TemplateRequiredOutsideWindow { .. } => result.template_required_outside_window = true,
            ChannelRule::ConsentOutsideWindow { category, span } => {
                if !check_category(file, category, sink) {
                    continue;
                }
                if in_std {
                    result.consent_outside_window.push(category.name.clone());
                } else {
                    sink.push(
                        Diagnostic::new(
                            Code::J0311,
                            format!("`consent {} outside window` is honoured only on the standard library's channels", category.name),
                            file,
                            *span,
                        )
                        .with_label("would waive consent inside the window")
                        .with_note(
                            "only a platform's policy can waive consent inside its window (std's messenger: MSGR-WIN-1); \
                             laws such as TCPA and the ePrivacy rules know no window",
                        )
                        .with_help("delete the rule; marketing on this channel needs `consent(...)` as everywhere")
                        .with_suggestion("delete the rule", *span, ""),
                    );
                }
            }
            ChannelRule::Keywords { words, .. } => result.keywords.extend(words.iter().map(|w| w.name.clone())),
            ChannelRule::Encoding { name, span } => {
                if name.name == "sms" {
                    result.encoding = Some(name.name.clone());
                    sms_encoding = Some(*span);
                } else {
                    sink.unknown_vocabulary("encoding", name, file, ["sms"].into_iter());
                }
            }
        }
    }
    result.medium = match medium {
        Some((declared, word, _)) => {
            declared.map(|declared| check_medium(file, channel, declared, word, sms_encoding, sink))
        }
        None => {
            let inferred = media::inferred(&channel.name.name, result.encoding.as_deref());
            missing_medium(file, channel, inferred, sink);
            inferred
        }
    };
    result
}

/// The media, as a list for messages: "`sms`, `mms`, ..., `push`".
fn media_list() -> String {
    let names: Vec<String> = model::Medium::ALL.iter().map(|m| format!("`{}`", m.as_str())).collect();
    names.join(", ")
}

const MEDIUM_NOTE: &str = "the medium decides which laws apply: phone texts (`sms`, `mms`, `rcs`) get quiet hours \
     (TCPA-QH), STOP wording and STOP/HELP handling (CTIA-STOP) and written consent for marketing (TCPA-PEWC); \
     `messaging` apps need quiet hours as policy; `email` an unsubscribe link and a postal address (CANSPAM); \
     `push` consent";

/// J0315: a channel that does not say what it is. `inferred` is what its encoding or name says,
/// offered as the fix.
fn missing_medium(file: FileId, channel: &ast::Channel, inferred: Option<model::Medium>, sink: &mut Sink) {
    let mut diagnostic = Diagnostic::new(
        Code::J0315,
        format!("channel `{}` does not say what medium it is", channel.name.name),
        file,
        channel.name.span,
    )
    .with_label("no `medium` rule")
    .with_note(MEDIUM_NOTE)
    .with_help(format!("add a `medium` rule: one of {}", media_list()));
    // Inserted before the first rule, on a line of its own (indented as the standard library).
    if let (Some(medium), Some(first)) = (inferred, channel.rules.first()) {
        let at = first.span().start();
        diagnostic = diagnostic.with_suggestion(
            format!("add `medium {}`", medium.as_str()),
            Span::empty(at),
            format!("medium {}\n  ", medium.as_str()),
        );
    }
    sink.push(diagnostic);
}

/// J0315: a declared medium that the channel's encoding or name contradicts. A channel cannot
/// leave the phone-text laws by calling itself something else: the medium the checker applies is
/// then the phone text its encoding or name says (fail closed), else the declared one.
fn check_medium(
    file: FileId,
    channel: &ast::Channel,
    medium: model::Medium,
    word: Span,
    sms_encoding: Option<Span>,
    sink: &mut Sink,
) -> model::Medium {
    if let Some(encoding) = sms_encoding.filter(|_| !media::is_phone_text(medium)) {
        sink.push(
            Diagnostic::new(
                Code::J0315,
                format!(
                    "channel `{}` counts text in SMS segments but says its medium is `{}`",
                    channel.name.name,
                    medium.as_str()
                ),
                file,
                word,
            )
            .with_label("not a phone-text medium")
            .with_secondary(file, encoding, "SMS encoding")
            .with_note(
                "only phone texts (`sms`, `mms`, `rcs`) are sent in SMS segments, and their laws (TCPA-QH, CTIA-STOP, \
                 TCPA-PEWC) follow what the channel is, whatever its medium says",
            )
            .with_help("declare `medium sms` (or `mms`, `rcs`), or delete `encoding sms` if the channel sends no SMS")
            .with_suggestion("write `sms`", word, "sms"),
        );
        return model::Medium::Sms;
    }
    let named = model::Medium::parse(&channel.name.name).filter(|named| *named != medium);
    if let Some(named) = named {
        sink.push(
            Diagnostic::new(
                Code::J0315,
                format!("channel `{}` says its medium is `{}`", channel.name.name, medium.as_str()),
                file,
                word,
            )
            .with_label(format!("the channel is named after medium `{}`", named.as_str()))
            .with_note(MEDIUM_NOTE)
            .with_help(format!("declare `medium {}`, or give the channel a name that says what it is", named.as_str()))
            .with_suggestion(format!("write `{}`", named.as_str()), word, named.as_str()),
        );
        if media::is_phone_text(named) {
            return named;
        }
    }
    medium
}

/// Categories are built in (`model::CATEGORIES`).
pub fn check_category(file: FileId, category: &ast::Ident, sink: &mut Sink) -> bool {
    if model::CATEGORIES.contains(&category.name.as_str()) {
        return true;
    }
    let mut diagnostic =
        Diagnostic::new(Code::J0207, format!("unknown category `{}`", category.name), file, category.span)
            .with_label("not a category")
            .with_note("categories are `service`, `utility`, `marketing` and `authentication`");
    if let Some(best) = crate::names::closest(&category.name, model::CATEGORIES.iter().copied()) {
        diagnostic = diagnostic.with_suggestion(format!("write `{best}`"), category.span, best);
    }
    sink.push(diagnostic);
    false
}
