//! Expressions and texts in a bundle, written straight from the tree: what a name means (an
//! event or profile field, a segment, an enum value), the JSON shape of each expression form,
//! and which segments an expression uses. Both the writer and [`super::usage`] decide what a name
//! means through [`Project::name`], so the segments a bundle includes are exactly the ones it
//! writes.
//!
//! Object keys are written in sorted order (`args` before `op`), as the format has always had
//! them.

use std::collections::BTreeSet;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use super::project::Project;
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, Path, Template, TemplatePart, UnaryOp};

/// What a path names.
pub(super) enum Name<'a> {
    Segment(&'a str),
    /// A bare enum value (`plan == pro`).
    Value(&'a str),
    Field(Field<'a>),
}

/// `{"field": "first_name", "scope": "profile"}`, with a `default` in texts.
pub(super) struct Field<'a> {
    name: FieldName<'a>,
    scope: &'static str,
    default: Option<ExprJson<'a>>,
}

enum FieldName<'a> {
    One(&'a str),
    /// A path of another length, joined with dots (the check has reported it).
    Joined(&'a [Ident]),
}

impl Serialize for FieldName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldName::One(name) => serializer.serialize_str(name),
            FieldName::Joined(segments) => {
                let names: Vec<&str> = segments.iter().map(|s| s.name.as_str()).collect();
                serializer.serialize_str(&names.join("."))
            }
        }
    }
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Field", 2 + usize::from(self.default.is_some()))?;
        if let Some(default) = &self.default {
            object.serialize_field("default", default)?;
        }
        object.serialize_field("field", &self.name)?;
        object.serialize_field("scope", self.scope)?;
        object.end()
    }
}

impl<'a> Project<'a> {
    /// What `path` names in an expression: in `entry ... where` a bare name may be a field of
    /// the entry event, as the checker resolves it.
    pub(super) fn name(&self, path: &'a Path, entry_event: Option<&str>) -> Name<'a> {
        match path.segments.as_slice() {
            [single] if self.entry_field(entry_event, &single.name) => Name::Field(field(&single.name, "event")),
            [single] if self.segments.contains_key(single.name.as_str()) => Name::Segment(&single.name),
            [single] if !self.model.profile.contains_key(&single.name) => Name::Value(&single.name),
            _ => Name::Field(self.field(path, entry_event)),
        }
    }

    /// The field `path` names: `event.x`, `profile.x`, or a bare name.
    fn field(&self, path: &'a Path, entry_event: Option<&str>) -> Field<'a> {
        match path.segments.as_slice() {
            [scope, name] if scope.name == "event" => field(&name.name, "event"),
            [scope, name] if scope.name == "profile" => field(&name.name, "profile"),
            [name] if self.entry_field(entry_event, &name.name) => field(&name.name, "event"),
            [name] => field(&name.name, "profile"),
            segments => Field { name: FieldName::Joined(segments), scope: "profile", default: None },
        }
    }

    /// Adds the segments `expr` names to `out` (not those they name in turn).
    pub(super) fn segments_of(&self, expr: &'a Expr, entry_event: Option<&str>, out: &mut BTreeSet<&'a str>) {
        let mut pending = vec![(expr, entry_event)];
        while let Some((expr, entry_event)) = pending.pop() {
            match &expr.kind {
                ExprKind::Path(path) => {
                    if let Name::Segment(name) = self.name(path, entry_event) {
                        out.insert(name);
                    }
                }
                ExprKind::Str(template) => pending.extend(defaults(template).map(|d| (d, None))),
                ExprKind::List(items) => pending.extend(items.iter().map(|i| (i, entry_event))),
                ExprKind::Unary { operand, .. } => pending.push((operand, entry_event)),
                ExprKind::Binary { lhs, rhs, .. } => pending.extend([(&**lhs, entry_event), (&**rhs, entry_event)]),
                ExprKind::Int(_)
                | ExprKind::Decimal(_)
                | ExprKind::Money { .. }
                | ExprKind::Bool(_)
                | ExprKind::Duration(_)
                | ExprKind::Call { .. }
                | ExprKind::Within(_)
                | ExprKind::Now => {}
            }
        }
    }

    /// Adds the segments the defaults of `template`'s fields name to `out`.
    pub(super) fn template_segments(&self, template: &'a Template, out: &mut BTreeSet<&'a str>) {
        for default in defaults(template) {
            self.segments_of(default, None, out);
        }
    }
}

fn field<'a>(name: &'a str, scope: &'static str) -> Field<'a> {
    Field { name: FieldName::One(name), scope, default: None }
}

/// The default expressions of a text's fields (`{first_name ?? "there"}`).
fn defaults(template: &Template) -> impl Iterator<Item = &Expr> {
    template.parts.iter().filter_map(|part| match part {
        TemplatePart::Field { fallback, .. } => fallback.as_ref(),
        TemplatePart::Literal(_) => None,
    })
}

/// An expression tree. Chains of one associative operator are flattened into one node.
#[derive(Clone, Copy)]
pub(super) struct ExprJson<'a> {
    pub project: &'a Project<'a>,
    pub expr: &'a Expr,
    /// The entry event, in `entry ... where`.
    pub entry_event: Option<&'a str>,
}

/// Text as literal and field parts, never a template string a runtime would re-parse.
#[derive(Clone, Copy)]
pub(super) struct Parts<'a> {
    pub project: &'a Project<'a>,
    pub template: &'a Template,
}

/// `{"args": [...], "op": "..."}`
struct Operation<'a> {
    op: &'static str,
    args: Vec<ExprJson<'a>>,
}

/// `{"args": ["sms", "marketing"], "call": "f"}`: a call's arguments by name.
struct Call<'a> {
    name: &'a str,
    args: &'a [Expr],
}

/// `{"category": "marketing", "channel": "sms"}`
#[derive(Serialize)]
struct Consent<'a> {
    category: ArgName<'a>,
    channel: ArgName<'a>,
}

#[derive(Serialize)]
struct Money<'a> {
    amount: &'a str,
    currency: &'a str,
}

/// A call argument by name: a path's segments joined with dots, or `""` for anything else.
struct ArgName<'a>(&'a Expr);

impl Serialize for ArgName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0.kind {
            ExprKind::Path(path) => match path.segments.as_slice() {
                [one] => serializer.serialize_str(&one.name),
                segments => {
                    let names: Vec<&str> = segments.iter().map(|s| s.name.as_str()).collect();
                    serializer.serialize_str(&names.join("."))
                }
            },
            _ => serializer.serialize_str(""),
        }
    }
}

impl Serialize for Call<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Call", 2)?;
        object.serialize_field("args", &Args(self.args))?;
        object.serialize_field("call", self.name)?;
        object.end()
    }
}

struct Args<'a>(&'a [Expr]);

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ArgName))
    }
}

impl Serialize for Operation<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Operation", 2)?;
        object.serialize_field("args", &self.args)?;
        object.serialize_field("op", self.op)?;
        object.end()
    }
}

/// An object of one field.
fn one<S: Serializer, T: Serialize + ?Sized>(serializer: S, key: &'static str, value: &T) -> Result<S::Ok, S::Error> {
    let mut object = serializer.serialize_struct("Expr", 1)?;
    object.serialize_field(key, value)?;
    object.end()
}

impl<'a> ExprJson<'a> {
    fn with(self, expr: &'a Expr) -> ExprJson<'a> {
        ExprJson { expr, ..self }
    }
}

impl Serialize for ExprJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let project = self.project;
        match &self.expr.kind {
            ExprKind::Path(path) => match project.name(path, self.entry_event) {
                Name::Segment(name) => one(serializer, "segment", name),
                Name::Value(value) => one(serializer, "value", value),
                Name::Field(field) => field.serialize(serializer),
            },
            ExprKind::Str(template) => match template.parts.as_slice() {
                [] => one(serializer, "value", ""),
                [TemplatePart::Literal(text)] => one(serializer, "value", text),
                _ => one(serializer, "text", &Parts { project, template }),
            },
            ExprKind::Int(i) => one(serializer, "value", i),
            ExprKind::Decimal(d) => one(serializer, "decimal", d),
            ExprKind::Money { amount, currency } => {
                one(serializer, "money", &Money { amount, currency: &currency.name })
            }
            ExprKind::Bool(b) => one(serializer, "value", b),
            ExprKind::Duration(d) => one(serializer, "duration_s", &d.secs),
            ExprKind::List(items) => {
                let items: Vec<ExprJson<'_>> = items.iter().map(|i| self.with(i)).collect();
                one(serializer, "list", &items)
            }
            ExprKind::Call { name, args } => match (name.name.as_str(), args.as_slice()) {
                ("consent", [channel, category]) => {
                    one(serializer, "consent", &Consent { category: ArgName(category), channel: ArgName(channel) })
                }
                _ => Call { name: &name.name, args }.serialize(serializer),
            },
            ExprKind::Within(name) => one(serializer, "within", &name.name),
            // `{"now": true}`: an object with one key, as every other form.
            ExprKind::Now => one(serializer, "now", &true),
            ExprKind::Unary { op, operand } => {
                let op = match op {
                    UnaryOp::Not => "not",
                    UnaryOp::Neg => "neg",
                };
                Operation { op, args: vec![self.with(operand)] }.serialize(serializer)
            }
            ExprKind::Binary { op, .. } => {
                let args = operands(self.expr, *op).into_iter().map(|e| self.with(e)).collect();
                Operation { op: op.as_str(), args }.serialize(serializer)
            }
        }
    }
}

/// The operands of a chain of `op` rooted at `expr`, flattened without recursion. `-` is not
/// associative: only its left spine is flattened, `a - b - c` being `(a - b) - c`, so its
/// arguments fold from the left. Without this a chain of MAX_EXPR_TERMS subtractions would nest
/// deeper than serde_json reads back.
fn operands(expr: &Expr, op: BinaryOp) -> Vec<&Expr> {
    let associative = matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Add | BinaryOp::Fallback);
    let mut pending = vec![expr];
    let mut operands = Vec::new();
    while let Some(e) = pending.pop() {
        match &e.kind {
            ExprKind::Binary { op: inner, lhs, rhs } if (associative && *inner == op) || std::ptr::eq(e, expr) => {
                pending.push(rhs);
                pending.push(lhs);
            }
            ExprKind::Binary { op: BinaryOp::Sub, lhs, rhs } if op == BinaryOp::Sub && operands.is_empty() => {
                // Still on the left spine: left operands are taken first, so no operand has
                // been taken yet only while descending it.
                pending.push(rhs);
                pending.push(lhs);
            }
            _ => operands.push(e),
        }
    }
    operands
}

/// `{"text": "Hi "}` or a field with its default.
struct Part<'a> {
    project: &'a Project<'a>,
    part: &'a TemplatePart,
}

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.part {
            TemplatePart::Literal(text) => one(serializer, "text", text),
            TemplatePart::Field { path, fallback, .. } => {
                let mut field = self.project.field(path, None);
                field.default =
                    fallback.as_ref().map(|expr| ExprJson { project: self.project, expr, entry_event: None });
                field.serialize(serializer)
            }
        }
    }
}

impl Serialize for Parts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.template.parts.iter().map(|part| Part { project: self.project, part }))
    }
}
