//! Names and types in expressions and in interpolated text.
//!
//! A bare name in an expression is a segment, a profile field, or (inside `entry ... where`) a
//! field of the entry event. `profile.x` names a profile field explicitly and `event.x` a field of
//! the event in scope at that point of the journey. Types are checked the way a reader expects:
//! money against money in the same currency, `in` on sets and lists, comparisons of like types,
//! true/false where a condition is needed.

use super::Sink;
use crate::ast::{BinaryOp, Expr, ExprKind, Path, Template, TemplatePart, UnaryOp};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{Model, SymbolKind, Type};
use crate::span::{FileId, Span};

/// The event whose fields `event.x` refers to at some point of a journey. Event names are
/// borrowed from the tree, so a scope is cheap to copy along every step of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventScope<'a> {
    /// No event has been received on some path to here.
    None,
    Known(&'a str),
    /// Different events on different paths.
    Ambiguous(Vec<&'a str>),
    /// Not known here (a message declaration): `event.x` is checked where the message is sent.
    Deferred,
}

pub struct Scope<'a> {
    pub model: &'a Model,
    pub file: FileId,
    pub event: EventScope<'a>,
    /// In `entry on E where ...`, bare names may be fields of `E`.
    pub bare_event_fields: bool,
}

/// A value's type and whether it may be missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub ty: Type,
    pub optional: bool,
}

impl Typed {
    fn of(ty: Type) -> Typed {
        Typed { ty, optional: false }
    }

    fn unknown() -> Typed {
        Typed::of(Type::Unknown)
    }
}

/// Checks a condition: its names resolve and it is true or false.
pub fn check_condition(expr: &Expr, scope: &Scope<'_>, sink: &mut Sink) {
    sink.stats.expressions += 1;
    let typed = type_of(expr, scope, None, sink);
    if !matches!(typed.ty, Type::Bool | Type::Unknown) {
        sink.push(
            Diagnostic::new(
                Code::J0211,
                format!("a condition must be true or false, found {}", typed.ty.describe()),
                scope.file,
                expr.span,
            )
            .with_label(format!("this is {}", typed.ty.describe()))
            .with_help("compare it with something, for example `field == \"value\"` or `count > 0`"),
        );
    }
}

/// The type of `expr`. `expected` lets a bare name stand for an enum value (`plan == pro`).
pub fn type_of(expr: &Expr, scope: &Scope<'_>, expected: Option<&Type>, sink: &mut Sink) -> Typed {
    match &expr.kind {
        ExprKind::Path(path) => type_of_path(path, scope, expected, sink),
        ExprKind::Str(template) => {
            check_template(template, scope, sink);
            if let (Some(Type::Enum(variants)), Some(value)) = (expected, template.constant_text()) {
                if !variants.iter().any(|v| v == value) {
                    let diagnostic = not_a_variant(value, variants, scope.file, expr.span, sink);
                    sink.push(diagnostic);
                }
                return Typed::of(Type::Enum(variants.clone()));
            }
            if let (Some(Type::Timezone), Some(value)) = (expected, template.constant_text()) {
                super::check_zone_name(value, scope.file, expr.span, sink);
            }
            Typed::of(Type::Text)
        }
        ExprKind::Int(_) => Typed::of(Type::Int),
        ExprKind::Decimal(_) => Typed::of(Type::Number),
        ExprKind::Money { currency, .. } => Typed::of(Type::Money(Some(currency.name.clone()))),
        ExprKind::Bool(_) => Typed::of(Type::Bool),
        ExprKind::Duration(_) => Typed::of(Type::Duration),
        ExprKind::List(items) => {
            let element_expected = match expected {
                Some(Type::List(inner) | Type::Set(inner)) => Some(inner.as_ref()),
                Some(other) => Some(other),
                None => None,
            };
            let mut element = Type::Unknown;
            for item in items {
                let typed = type_of(item, scope, element_expected, sink);
                if element == Type::Unknown {
                    element = typed.ty;
                } else if !compatible(&element, &typed.ty) {
                    sink.push(mismatch("list items must have one type", &element, &typed.ty, scope.file, item.span));
                }
            }
            Typed::of(Type::List(Box::new(element)))
        }
        ExprKind::Call { name, args } => type_of_call(name, args, expr.span, scope, sink),
        ExprKind::Within(name) => {
            if name.name != "business_hours" {
                sink.push(
                    Diagnostic::new(Code::J0219, format!("unknown time window `{}`", name.name), scope.file, name.span)
                        .with_label("only `business_hours` can follow `within`")
                        .with_suggestion("write `business_hours`", name.span, "business_hours"),
                );
            } else if scope.model.policies.business_hours.is_none() {
                sink.push(
                    Diagnostic::new(Code::J0219, "no policy declares `business_hours`", scope.file, expr.span)
                        .with_label("nothing to be within")
                        .with_help("add `business_hours mon..fri 09:00..18:00 \"Europe/Berlin\"` to a `policy` block"),
                );
            }
            Typed::of(Type::Bool)
        }
        ExprKind::Now => Typed::of(Type::DateTime),
        ExprKind::Unary { op: UnaryOp::Not, operand } => {
            let typed = type_of(operand, scope, None, sink);
            if !matches!(typed.ty, Type::Bool | Type::Unknown) {
                sink.push(mismatch("`not` needs true or false", &Type::Bool, &typed.ty, scope.file, operand.span));
            }
            Typed::of(Type::Bool)
        }
        ExprKind::Unary { op: UnaryOp::Neg, operand } => {
            let typed = type_of(operand, scope, None, sink);
            let ok = typed.ty.is_numeric() || matches!(typed.ty, Type::Money(_) | Type::Duration | Type::Unknown);
            if !ok {
                sink.push(mismatch("`-` needs a number", &Type::Number, &typed.ty, scope.file, operand.span));
            }
            typed
        }
        ExprKind::Binary { op, lhs, rhs } => type_of_binary(*op, lhs, rhs, scope, sink),
    }
}

fn type_of_binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, scope: &Scope<'_>, sink: &mut Sink) -> Typed {
    let file = scope.file;
    match op {
        BinaryOp::And | BinaryOp::Or => {
            for side in [lhs, rhs] {
                let typed = type_of(side, scope, None, sink);
                if !matches!(typed.ty, Type::Bool | Type::Unknown) {
                    let what = format!("`{}` joins conditions that are true or false", op.as_str());
                    sink.push(mismatch(&what, &Type::Bool, &typed.ty, file, side.span));
                }
            }
            Typed::of(Type::Bool)
        }
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let left = type_of(lhs, scope, None, sink);
            let right = type_of(rhs, scope, Some(&left.ty), sink);
            // A bare enum value on the left: `pro == plan`.
            let left = if matches!(right.ty, Type::Enum(_)) && left.ty == Type::Unknown {
                type_of_quiet(lhs, scope, &right.ty).unwrap_or(left)
            } else {
                left
            };
            if !compatible(&left.ty, &right.ty) {
                let what = format!("`{}` compares values of one type", op.as_str());
                sink.push(mismatch(&what, &left.ty, &right.ty, file, rhs.span));
            } else if !matches!(op, BinaryOp::Eq | BinaryOp::Ne) && !orderable(&left.ty) {
                sink.push(
                    Diagnostic::new(
                        Code::J0210,
                        format!("`{}` needs values that have an order, found {}", op.as_str(), left.ty.describe()),
                        file,
                        lhs.span.cover(rhs.span),
                    )
                    .with_label("cannot be ordered")
                    .with_help("order numbers, money, durations or dates; compare other values with `==` or `!=`"),
                );
            } else if let (Type::Money(Some(a)), Type::Money(Some(b))) = (&left.ty, &right.ty) {
                if a != b {
                    sink.push(currency_mismatch(a, b, file, lhs.span.cover(rhs.span)));
                }
            }
            Typed::of(Type::Bool)
        }
        BinaryOp::In => {
            let right = type_of(rhs, scope, None, sink);
            match &right.ty {
                Type::Set(inner) | Type::List(inner) => {
                    let left = type_of(lhs, scope, Some(inner), sink);
                    if !compatible(&left.ty, inner) {
                        sink.push(mismatch(
                            "`in` looks for an item of the collection's type",
                            inner,
                            &left.ty,
                            file,
                            lhs.span,
                        ));
                    }
                }
                ty if ty.is_textual() => {
                    let left = type_of(lhs, scope, None, sink);
                    if !(left.ty.is_textual() || left.ty == Type::Unknown) {
                        sink.push(mismatch("`in` on text looks for text", &Type::Text, &left.ty, file, lhs.span));
                    }
                }
                Type::Unknown => {
                    type_of(lhs, scope, None, sink);
                }
                other => {
                    type_of(lhs, scope, None, sink);
                    sink.push(
                        Diagnostic::new(
                            Code::J0210,
                            format!("`in` needs a set, a list or text on its right, found {}", other.describe()),
                            file,
                            rhs.span,
                        )
                        .with_label(format!("this is {}", other.describe()))
                        .with_help("use `==` to compare single values"),
                    );
                }
            }
            Typed::of(Type::Bool)
        }
        BinaryOp::Add | BinaryOp::Sub => {
            let left = type_of(lhs, scope, None, sink);
            let right = type_of(rhs, scope, None, sink);
            let result = match (&left.ty, &right.ty) {
                (Type::Unknown, other) | (other, Type::Unknown) => other.clone(),
                (Type::Int, Type::Int) => Type::Int,
                (a, b) if a.is_numeric() && b.is_numeric() => Type::Number,
                (Type::Money(a), Type::Money(b)) => {
                    if let (Some(a), Some(b)) = (a, b) {
                        if a != b {
                            sink.push(currency_mismatch(a, b, file, lhs.span.cover(rhs.span)));
                        }
                    }
                    Type::Money(a.clone().or_else(|| b.clone()))
                }
                (Type::Duration, Type::Duration) => Type::Duration,
                (Type::Date | Type::DateTime, Type::Duration) => left.ty.clone(),
                (a, b) => {
                    let what = format!("`{}` works on numbers, money or durations", op.as_str());
                    sink.push(mismatch(&what, a, b, file, lhs.span.cover(rhs.span)));
                    Type::Unknown
                }
            };
            Typed { ty: result, optional: left.optional || right.optional }
        }
        BinaryOp::Fallback => {
            let left = type_of(lhs, scope, None, sink);
            let right = type_of(rhs, scope, Some(&left.ty), sink);
            let text_fallback = right.ty.is_textual() && left.ty.is_printable();
            if !compatible(&left.ty, &right.ty) && !text_fallback {
                sink.push(mismatch("`??` falls back to a value of the same type", &left.ty, &right.ty, file, rhs.span));
            }
            Typed { ty: left.ty, optional: right.optional }
        }
    }
}

/// Resolves a bare name as an enum value of `expected`, without reporting anything.
fn type_of_quiet(expr: &Expr, _scope: &Scope<'_>, expected: &Type) -> Option<Typed> {
    let (ExprKind::Path(path), Type::Enum(variants)) = (&expr.kind, expected) else { return None };
    let [single] = path.segments.as_slice() else { return None };
    variants.contains(&single.name).then(|| Typed::of(expected.clone()))
}

fn type_of_path(path: &Path, scope: &Scope<'_>, expected: Option<&Type>, sink: &mut Sink) -> Typed {
    let model = scope.model;
    let file = scope.file;
    match path.segments.as_slice() {
        [name] => {
            if scope.bare_event_fields {
                if let EventScope::Known(event) = scope.event {
                    if let Some(field) = model.events.get(event).and_then(|e| e.fields.get(&name.name)) {
                        sink.refer(SymbolKind::EventField, file, name.span, field.def);
                        return Typed { ty: field.ty.clone(), optional: field.optional };
                    }
                }
            }
            if let Some(segment) = model.segments.get(&name.name) {
                sink.refer(SymbolKind::Segment, file, name.span, *segment);
                return Typed::of(Type::Bool);
            }
            if let Some(field) = model.profile.get(&name.name) {
                sink.refer(SymbolKind::ProfileField, file, name.span, field.def);
                return Typed { ty: field.ty.clone(), optional: field.optional };
            }
            if let Some(Type::Enum(variants)) = expected {
                if variants.contains(&name.name) {
                    return Typed::of(Type::Enum(variants.clone()));
                }
                let diagnostic = not_a_variant(&name.name, variants, file, name.span, sink);
                sink.push(diagnostic);
                return Typed::unknown();
            }
            if name.name == "event" || name.name == "profile" {
                sink.push(
                    Diagnostic::new(Code::J0204, format!("`{}` needs a field name", name.name), file, name.span)
                        .with_label(format!("write `{}.field`", name.name)),
                );
                return Typed::unknown();
            }
            let mut candidates: Vec<&str> =
                model.segments.keys().chain(model.profile.keys()).map(String::as_str).collect();
            if let (true, EventScope::Known(event)) = (scope.bare_event_fields, &scope.event) {
                let event: &str = event;
                if let Some(event) = model.events.get(event) {
                    candidates.extend(event.fields.keys().map(String::as_str));
                }
            }
            sink.unknown(Code::J0202, "segment or field", name, file, candidates.into_iter());
            Typed::unknown()
        }
        [head, field] if head.name == "profile" => match model.profile.get(&field.name) {
            Some(found) => {
                sink.refer(SymbolKind::ProfileField, file, field.span, found.def);
                Typed { ty: found.ty.clone(), optional: found.optional }
            }
            None => {
                sink.unknown(Code::J0204, "profile field", field, file, model.profile.keys().map(String::as_str));
                Typed::unknown()
            }
        },
        [head, field] if head.name == "event" => type_of_event_field(path, field, scope, sink),
        [head, rest @ ..] => {
            let span = rest.first().map_or(head.span, |f| f.span);
            sink.push(
                Diagnostic::new(Code::J0204, format!("`{}` has no fields", head.name), file, span)
                    .with_label("fields can only be read from `profile` and `event`")
                    .with_help("write `profile.field` or `event.field`"),
            );
            Typed::unknown()
        }
        [] => Typed::unknown(),
    }
}

fn type_of_event_field(path: &Path, field: &crate::ast::Ident, scope: &Scope<'_>, sink: &mut Sink) -> Typed {
    let file = scope.file;
    match &scope.event {
        EventScope::Deferred => Typed::unknown(),
        EventScope::None => {
            sink.push(
                Diagnostic::new(
                    Code::J0213,
                    format!("`event.{}` is used where no event is in scope", field.name),
                    file,
                    path.span,
                )
                .with_label("no event here")
                .with_note("`event.x` reads the entry event, or the event received by the `wait for` arm around it")
                .with_help("use a profile field, or move this into the arm of the `wait for` that receives the event"),
            );
            Typed::unknown()
        }
        EventScope::Ambiguous(events) => {
            sink.push(
                Diagnostic::new(
                    Code::J0213,
                    format!("`event.{}` could refer to different events here: {}", field.name, quoted(events)),
                    file,
                    path.span,
                )
                .with_label("the event depends on the path taken")
                .with_help("read the field inside the arm of the `wait for` that receives the event"),
            );
            Typed::unknown()
        }
        EventScope::Known(event) => match scope.model.events.get(*event).and_then(|e| e.fields.get(&field.name)) {
            Some(found) => {
                sink.refer(SymbolKind::EventField, file, field.span, found.def);
                Typed { ty: found.ty.clone(), optional: found.optional }
            }
            None => {
                let candidates =
                    scope.model.events.get(*event).map(|e| e.fields.keys().map(String::as_str).collect::<Vec<_>>());
                let diagnostic = Diagnostic::new(
                    Code::J0204,
                    format!("event `{event}` has no field `{}`", field.name),
                    file,
                    field.span,
                )
                .with_label("unknown field");
                let diagnostic = sink.did_you_mean(diagnostic, &field.name, field.span, candidates.unwrap_or_default());
                sink.push(diagnostic);
                Typed::unknown()
            }
        },
    }
}

fn type_of_call(name: &crate::ast::Ident, args: &[Expr], span: Span, scope: &Scope<'_>, sink: &mut Sink) -> Typed {
    let file = scope.file;
    if name.name != "consent" {
        let mut diagnostic = Diagnostic::new(Code::J0219, format!("unknown function `{}`", name.name), file, name.span)
            .with_label("not a function")
            .with_note("the only function is `consent(channel, category)`");
        if let Some(best) = crate::names::closest(&name.name, ["consent"]) {
            diagnostic = diagnostic.with_suggestion("write `consent`", name.span, best);
        }
        sink.push(diagnostic);
        return Typed::of(Type::Bool);
    }
    let bare = |expr: &Expr| match &expr.kind {
        ExprKind::Path(path) => match path.segments.as_slice() {
            [single] => Some(single.clone()),
            _ => None,
        },
        _ => None,
    };
    match args {
        [channel, category] => match (bare(channel), bare(category)) {
            (Some(channel), Some(category)) => {
                if let Some(declared) = scope.model.channels.get(&channel.name) {
                    sink.refer(SymbolKind::Channel, file, channel.span, declared.def);
                } else {
                    sink.unknown(
                        Code::J0206,
                        "channel",
                        &channel,
                        file,
                        scope.model.channels.keys().map(String::as_str),
                    );
                }
                if super::collect::check_category(file, &category, sink) {
                    sink.stats.references += 1;
                }
            }
            _ => sink.push(
                Diagnostic::new(Code::J0219, "`consent` takes a channel name and a category name", file, span)
                    .with_label("for example `consent(sms, marketing)`"),
            ),
        },
        _ => sink.push(
            Diagnostic::new(Code::J0219, format!("`consent` takes 2 arguments, found {}", args.len()), file, span)
                .with_label("for example `consent(sms, marketing)`"),
        ),
    }
    Typed::of(Type::Bool)
}

/// Checks the `{...}` parts of a text: names resolve, values can be shown, and a value that may
/// be missing has a fallback (`{first_name ?? "there"}`).
pub fn check_template(template: &Template, scope: &Scope<'_>, sink: &mut Sink) {
    for part in &template.parts {
        let TemplatePart::Field { path, fallback, span } = part else { continue };
        sink.stats.expressions += 1;
        let typed = type_of_path(path, scope, None, sink);
        if !typed.ty.is_printable() {
            sink.push(
                Diagnostic::new(
                    Code::J0218,
                    format!("{} cannot be shown in text", typed.ty.describe()),
                    scope.file,
                    path.span,
                )
                .with_label("a collection, not a single value")
                .with_help("show a single value instead, or test membership with `in` in a condition"),
            );
        }
        match fallback {
            Some(fallback) => {
                let fallback_type = type_of(fallback, scope, Some(&typed.ty), sink);
                let ok = compatible(&typed.ty, &fallback_type.ty) || fallback_type.ty.is_textual();
                if !ok {
                    sink.push(mismatch(
                        "a fallback is shown instead of the value",
                        &typed.ty,
                        &fallback_type.ty,
                        scope.file,
                        fallback.span,
                    ));
                }
            }
            None if typed.optional => {
                let name = path.segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
                let insert_at = Span::empty(span.end().saturating_sub(1));
                sink.push(
                    Diagnostic::new(
                        Code::J0212,
                        format!("`{name}` may be missing and has no fallback"),
                        scope.file,
                        path.span,
                    )
                    .with_label("declared with `?`")
                    .with_help(format!("give a fallback: `{{{name} ?? \"there\"}}`"))
                    .with_suggestion("add a fallback", insert_at, " ?? \"\""),
                );
            }
            None => {}
        }
    }
}

/// The paths in `template` that read the event in scope (`event.x`).
pub fn event_paths(template: &Template) -> impl Iterator<Item = &Path> {
    template.fields().filter(|path| path.segments.first().is_some_and(|s| s.name == "event"))
}

/// Whether two types can be compared or combined.
pub fn compatible(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Unknown, _) | (_, Type::Unknown) => true,
        (a, b) if a.is_textual() && b.is_textual() => true,
        (a, b) if a.is_numeric() && b.is_numeric() => true,
        (Type::Money(_), Type::Money(_)) => true,
        (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_)) => true,
        (Type::Set(x) | Type::List(x), Type::Set(y) | Type::List(y)) => compatible(x, y),
        (a, b) => a == b,
    }
}

fn orderable(ty: &Type) -> bool {
    ty.is_numeric() || matches!(ty, Type::Money(_) | Type::Duration | Type::Date | Type::DateTime | Type::Unknown)
}

fn mismatch(what: &str, expected: &Type, found: &Type, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::J0210,
        format!("{what}: expected {}, found {}", expected.describe(), found.describe()),
        file,
        span,
    )
    .with_label(format!("this is {}", found.describe()))
}

fn currency_mismatch(a: &str, b: &str, file: FileId, span: Span) -> Diagnostic {
    Diagnostic::new(Code::J0210, format!("money in {a} is combined with money in {b}"), file, span)
        .with_label("different currencies")
        .with_help("compare amounts in one currency; journey does not convert currencies")
}

fn not_a_variant(value: &str, variants: &[String], file: FileId, span: Span, sink: &mut Sink) -> Diagnostic {
    let diagnostic = Diagnostic::new(Code::J0210, format!("`{value}` is not one of {}", quoted(variants)), file, span)
        .with_label("not a value of this enum");
    sink.offer_name(diagnostic, value, span, variants.iter().map(String::as_str))
}

/// The names in backquotes, at most [`crate::names::MAX_LISTED_NAMES`] of them.
fn quoted(names: &[impl AsRef<str>]) -> String {
    crate::names::listed(names)
}
