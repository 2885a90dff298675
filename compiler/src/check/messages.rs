//! Messages and templates: the channel and category a message is declared for, the names and
//! expressions in its elements, and the templates it sends against their declarations. The
//! `event.x` fields a message reads are collected here ([`event_reads`]) and checked where a
//! journey sends it (`journey.rs`), where the event in scope is known.

use std::collections::BTreeMap;

use super::exprs::{check_template, event_paths, type_of, Scope};
use super::Sink;
use crate::ast::{self, visit, Element};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{self, SymbolKind};

/// A message declaration: its channel and category, the names and expressions in its elements,
/// and the templates it sends.
pub(super) fn check_message(message: &ast::Message, scope: &Scope<'_>, sink: &mut Sink) {
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

/// A channel's name against the model's channels; whether it is declared.
pub(super) fn check_channel(channel: &ast::Ident, scope: &Scope<'_>, sink: &mut Sink) -> bool {
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

/// The names and expressions in a message's elements, cards included.
fn check_elements(elements: &[Element], channel: &str, channel_known: bool, scope: &Scope<'_>, sink: &mut Sink) {
    for element in visit::elements(elements) {
        for (_, text) in element.texts() {
            check_template(text, scope, sink);
        }
        match element {
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
            Element::Reply { title, outcome, .. } => check_outcome_name(outcome, "reply", title, elements, scope, sink),
            Element::Button { title, action: ast::ButtonAction::Outcome(outcome), .. } => {
                check_outcome_name(outcome, "button", title, elements, scope, sink)
            }
            Element::List(list) => {
                for row in list.rows() {
                    check_outcome_name(&row.outcome, "row", &row.title, elements, scope, sink);
                }
            }
            // Texts are checked above, and a card's elements come after it.
            _ => {}
        }
    }
}

/// The outcomes steps produce themselves, which no reply, button or list row may name, with what
/// takes them: a tap named so could not be told apart from them (J0230).
const RESERVED_OUTCOMES: &[(&str, &str)] = &[
    (
        model::OTHER_OUTCOME,
        "an `ask` takes `other` for an answer that matches none of the message's replies (and after its last retry)",
    ),
    (model::TIMEOUT_OUTCOME, "an `ask` or `request consent` takes `timeout` when no answer comes in time"),
];

/// A reply's, button's or list row's outcome (`what`: `reply`, `button` or `row`) against the
/// outcomes steps produce themselves (J0230). `elements` are the message's, for a suggested name
/// that no other reply, button or row of the message has.
fn check_outcome_name(
    outcome: &ast::Ident,
    what: &str,
    title: &ast::Template,
    elements: &[Element],
    scope: &Scope<'_>,
    sink: &mut Sink,
) {
    let Some((name, taken_by)) = RESERVED_OUTCOMES.iter().find(|(name, _)| *name == outcome.name) else { return };
    if !sink.wants(scope.file, outcome.span) {
        return;
    }
    let suggested = outcome_name_for(title, elements)
        .unwrap_or_else(|| if *name == model::OTHER_OUTCOME { "something_else" } else { "later" }.to_owned());
    sink.push(
        Diagnostic::new(Code::J0230, format!("`{name}` cannot name a {what}'s outcome"), scope.file, outcome.span)
            .with_label("reserved outcome name")
            .with_note(format!("{taken_by}: a tap on this {what} could not be told apart from it"))
            .with_help(format!(
                "name the outcome after the choice, for example `-> {suggested}`, and give it its own arm"
            )),
    );
}

/// An outcome name made from a reply's, button's or row's title (`"Something else"` gives
/// `something_else`), when the title has letters to make one and no outcome of the message
/// (reserved ones included) has that name.
fn outcome_name_for(title: &ast::Template, elements: &[Element]) -> Option<String> {
    let mut name = String::new();
    for part in &title.parts {
        let ast::TemplatePart::Literal(text) = part else { continue };
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                name.push(c.to_ascii_lowercase());
            } else if !name.is_empty() && !name.ends_with('_') {
                name.push('_');
            }
        }
    }
    let name = name.trim_end_matches('_');
    let taken = |candidate: &str| {
        RESERVED_OUTCOMES.iter().any(|(reserved, _)| *reserved == candidate)
            || visit::elements(elements).any(|element| match element {
                Element::Reply { outcome, .. }
                | Element::Button { action: ast::ButtonAction::Outcome(outcome), .. } => outcome.name == candidate,
                Element::List(list) => list.rows().any(|row| row.outcome.name == candidate),
                _ => false,
            })
    };
    let fits = name.len() <= 32 && name.starts_with(|c: char| c.is_ascii_lowercase());
    (fits && !taken(name)).then(|| name.to_owned())
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

/// Message names to the `event.x` paths their declaration reads, in its texts and then its
/// template parameters.
pub(super) type EventReads<'a> = BTreeMap<&'a str, Vec<&'a ast::Path>>;

pub(super) fn event_reads(message: &ast::Message) -> Vec<&ast::Path> {
    let mut paths: Vec<&ast::Path> = Vec::new();
    for (_, template) in message.texts() {
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
