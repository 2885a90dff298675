//! Expressions (§8): the trees of the bundle, read from JSON, and their evaluation with the
//! missing-value rules of §8.3. Evaluation is exact (decimals, never floats) and total: a value
//! of the wrong kind is an [`EvalError`], never a panic.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::value::{Dec, FieldType, Value};

/// How deep segments may refer to segments before evaluation gives up (a cycle of segments is
/// refused when the bundle is loaded; this bounds the rest).
const MAX_SEGMENT_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Profile,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    And,
    Or,
    Add,
    Sub,
    Coalesce,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Compare(Cmp, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Box<Expr>),
    Chain(Chain, Vec<Expr>),
    Field(String, Scope),
    Segment(String),
    Literal(Value),
    List(Vec<Expr>),
    Consent {
        channel: String,
        category: String,
    },
    BusinessHours,
    /// `{"now": true}`: the moment of evaluation (§8.1).
    Now,
    Text(Vec<TextPart>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextPart {
    Literal(String),
    Field { field: String, scope: Scope, default: Option<Expr> },
}

/// Why an expression has no value: the contact's data does not match the schema, or the bundle
/// combines values the checker would have refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// A required (non-optional) field is absent: the data does not match the schema (§7, §9.2).
    MissingRequired(String),
    Type(String),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::MissingRequired(field) => write!(f, "the required field `{field}` is missing"),
            EvalError::Type(why) => f.write_str(why),
        }
    }
}

/// No values: the profile a removed field is looked up in.
static EMPTY: BTreeMap<String, Value> = BTreeMap::new();

/// `values.get(name)`. A profile or an event has a dozen fields or so, all in one node of the
/// map, which `get` searches in order with a full comparison per key; comparing lengths first
/// compares the bytes of about one key. Larger maps are searched as maps.
fn lookup<'m>(values: &'m BTreeMap<String, Value>, name: &str) -> Option<&'m Value> {
    if values.len() <= 16 {
        values.iter().find(|(key, _)| key.len() == name.len() && key.as_str() == name).map(|(_, value)| value)
    } else {
        values.get(name)
    }
}

/// A field's schema entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub ty: FieldType,
    pub optional: bool,
}

/// The event in scope: its field values and its schema.
pub type EventScope<'a> = (&'a BTreeMap<String, Value>, &'a BTreeMap<String, FieldSpec>);

/// What an expression can see now.
pub struct Env<'a> {
    pub profile: &'a BTreeMap<String, Value>,
    /// Profile fields written since (`None`: removed), which take the place of `profile`'s.
    pub written: &'a BTreeMap<&'a str, Option<Value>>,
    pub profile_schema: &'a BTreeMap<String, FieldSpec>,
    /// The event in scope and its schema (§8.2).
    pub event: Option<EventScope<'a>>,
    pub segments: &'a BTreeMap<String, Expr>,
    pub consent: &'a dyn Fn(&str, &str) -> bool,
    pub business_hours: bool,
    /// The moment of evaluation, in seconds since 1970-01-01T00:00:00Z (virtual time in a
    /// simulation): the value of `now`.
    pub now: i64,
    /// A time zone to show `datetime` values in (the recipient's), if known.
    pub zone: Option<&'a jiff::tz::TimeZone>,
}

type Eval = Result<Option<Value>, EvalError>;

pub fn parse(json: &Json) -> Result<Expr, String> {
    let Json::Object(map) = json else { return Err(format!("an expression must be an object, found {json}")) };
    let only = |keys: &[&str]| -> Result<(), String> {
        match map.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(extra) => Err(format!("unknown field `{extra}` in an expression")),
            None => Ok(()),
        }
    };
    if let Some(op) = map.get("op") {
        only(&["op", "args"])?;
        let op = op.as_str().ok_or("`op` must be a string")?;
        let args = map.get("args").and_then(Json::as_array).ok_or("`args` must be an array")?;
        let args: Vec<Expr> = args.iter().map(parse).collect::<Result<_, _>>()?;
        let arity = |n: usize| if args.len() == n { Ok(()) } else { Err(format!("`{op}` takes {n} arguments")) };
        let mut it = args.clone().into_iter();
        let mut next = || it.next().map(Box::new).ok_or_else(|| format!("`{op}` lacks an argument"));
        return Ok(match op {
            "not" => {
                arity(1)?;
                Expr::Not(next()?)
            }
            "neg" => {
                arity(1)?;
                Expr::Neg(next()?)
            }
            "in" => {
                arity(2)?;
                Expr::In(next()?, next()?)
            }
            "==" | "!=" | "<" | "<=" | ">" | ">=" => {
                arity(2)?;
                let cmp = match op {
                    "==" => Cmp::Eq,
                    "!=" => Cmp::Ne,
                    "<" => Cmp::Lt,
                    "<=" => Cmp::Le,
                    ">" => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                Expr::Compare(cmp, next()?, next()?)
            }
            "and" | "or" | "+" | "-" | "??" => {
                if args.len() < 2 {
                    return Err(format!("`{op}` takes at least 2 arguments"));
                }
                let chain = match op {
                    "and" => Chain::And,
                    "or" => Chain::Or,
                    "+" => Chain::Add,
                    "-" => Chain::Sub,
                    _ => Chain::Coalesce,
                };
                Expr::Chain(chain, args)
            }
            other => return Err(format!("unknown operator `{other}`")),
        });
    }
    if map.contains_key("field") {
        only(&["field", "scope"])?;
        return parse_field(map).map(|(field, scope)| Expr::Field(field, scope));
    }
    if let Some(name) = map.get("segment") {
        only(&["segment"])?;
        return Ok(Expr::Segment(name.as_str().ok_or("`segment` must be a name")?.to_owned()));
    }
    if let Some(value) = map.get("value") {
        only(&["value"])?;
        return Ok(Expr::Literal(match value {
            Json::String(s) => Value::Text(s.clone()),
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(Dec::int(n.as_i64().ok_or("a `value` number must be a whole number")?)),
            _ => return Err("`value` must be text, a whole number or a boolean".to_owned()),
        }));
    }
    if let Some(text) = map.get("decimal") {
        only(&["decimal"])?;
        let dec = text.as_str().and_then(Dec::parse).ok_or("`decimal` must be a decimal such as \"3.5\"")?;
        return Ok(Expr::Literal(Value::Number(dec)));
    }
    if let Some(money) = map.get("money") {
        only(&["money"])?;
        let value = FieldType::Money(None).read(money)?;
        return Ok(Expr::Literal(value));
    }
    if let Some(seconds) = map.get("duration_s") {
        only(&["duration_s"])?;
        let value = FieldType::Duration.read(seconds)?;
        return Ok(Expr::Literal(value));
    }
    if let Some(items) = map.get("list") {
        only(&["list"])?;
        let items = items.as_array().ok_or("`list` must be an array")?;
        return Ok(Expr::List(items.iter().map(parse).collect::<Result<_, _>>()?));
    }
    if let Some(consent) = map.get("consent") {
        only(&["consent"])?;
        let get = |key: &str| consent.get(key).and_then(Json::as_str).map(str::to_owned);
        let (Some(channel), Some(category)) = (get("channel"), get("category")) else {
            return Err("`consent` needs `channel` and `category`".to_owned());
        };
        return Ok(Expr::Consent { channel, category });
    }
    if let Some(within) = map.get("within") {
        only(&["within"])?;
        return match within.as_str() {
            Some("business_hours") => Ok(Expr::BusinessHours),
            _ => Err(format!("unknown `within`: {within}")),
        };
    }
    if let Some(now) = map.get("now") {
        only(&["now"])?;
        return match now {
            Json::Bool(true) => Ok(Expr::Now),
            _ => Err(format!("`now` must be true, found {now}")),
        };
    }
    if let Some(parts) = map.get("text") {
        only(&["text"])?;
        return Ok(Expr::Text(parse_text(parts)?));
    }
    if map.contains_key("call") {
        return Err("a `call` expression cannot be evaluated (J0219: never in a bundle that checked)".to_owned());
    }
    Err(format!("unknown expression form {json}"))
}

fn parse_field(map: &serde_json::Map<String, Json>) -> Result<(String, Scope), String> {
    let field = map.get("field").and_then(Json::as_str).ok_or("`field` must be a name")?.to_owned();
    let scope = match map.get("scope").and_then(Json::as_str) {
        Some("profile") => Scope::Profile,
        Some("event") => Scope::Event,
        _ => return Err("`scope` must be \"profile\" or \"event\"".to_owned()),
    };
    Ok((field, scope))
}

/// Reads a text (§7): an array of literal and field parts.
pub fn parse_text(json: &Json) -> Result<Vec<TextPart>, String> {
    let parts = json.as_array().ok_or("a text must be an array of parts")?;
    parts
        .iter()
        .map(|part| {
            let map = part.as_object().ok_or("a text part must be an object")?;
            if let Some(text) = map.get("text") {
                if map.len() != 1 {
                    return Err("a literal text part has only `text`".to_owned());
                }
                return Ok(TextPart::Literal(text.as_str().ok_or("`text` must be a string")?.to_owned()));
            }
            if let Some(extra) = map.keys().find(|k| !["field", "scope", "default"].contains(&k.as_str())) {
                return Err(format!("unknown field `{extra}` in a text part"));
            }
            let (field, scope) = parse_field(map)?;
            let default = map.get("default").map(parse).transpose()?;
            Ok(TextPart::Field { field, scope, default })
        })
        .collect()
}

/// Every segment an expression names, directly.
pub fn segments_named(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Not(a) | Expr::Neg(a) => segments_named(a, out),
        Expr::Compare(_, a, b) | Expr::In(a, b) => {
            segments_named(a, out);
            segments_named(b, out);
        }
        Expr::Chain(_, args) | Expr::List(args) => args.iter().for_each(|a| segments_named(a, out)),
        Expr::Segment(name) => out.push(name.clone()),
        Expr::Text(parts) => {
            for part in parts {
                if let TextPart::Field { default: Some(d), .. } = part {
                    segments_named(d, out);
                }
            }
        }
        Expr::Field(..) | Expr::Literal(_) | Expr::Consent { .. } | Expr::BusinessHours | Expr::Now => {}
    }
}

impl<'a> Env<'a> {
    /// A condition (§8.3): missing is false.
    pub fn condition(&self, expr: &Expr) -> Result<bool, EvalError> {
        self.truth(expr, 0)
    }

    pub fn value(&self, expr: &Expr) -> Eval {
        self.eval(expr, 0)
    }

    fn truth(&self, expr: &Expr, depth: usize) -> Result<bool, EvalError> {
        match self.eval(expr, depth)? {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(EvalError::Type(format!("a condition gave {other:?}, not a boolean"))),
        }
    }

    fn field(&self, name: &str, scope: Scope) -> Eval {
        Ok(self.field_ref(name, scope)?.cloned())
    }

    /// A field's value, borrowed: reading a field is the commonest step of evaluation and of
    /// rendering, and most readers only compare or show the value.
    fn field_ref(&self, name: &str, scope: Scope) -> Result<Option<&'a Value>, EvalError> {
        let (values, schema) = match scope {
            Scope::Profile => match self.written.get(name) {
                Some(Some(value)) => return Ok(Some(value)),
                Some(None) => (&EMPTY, self.profile_schema),
                None => (self.profile, self.profile_schema),
            },
            Scope::Event => match self.event {
                Some(event) => event,
                None => return Err(EvalError::Type(format!("`event.{name}` is read with no event in scope"))),
            },
        };
        if let Some(value) = lookup(values, name) {
            return Ok(Some(value));
        }
        match schema.get(name) {
            Some(spec) if spec.optional => Ok(None),
            Some(_) => Err(EvalError::MissingRequired(match scope {
                Scope::Profile => name.to_owned(),
                Scope::Event => format!("event.{name}"),
            })),
            None => Err(EvalError::Type(format!("the field `{name}` is not in the schema"))),
        }
    }

    /// An operand of a comparison: fields and literals borrowed, anything else evaluated.
    fn operand<'e>(&'e self, expr: &'e Expr, depth: usize) -> Result<Option<Cow<'e, Value>>, EvalError> {
        Ok(match expr {
            Expr::Literal(value) => Some(Cow::Borrowed(value)),
            Expr::Field(name, scope) => self.field_ref(name, *scope)?.map(Cow::Borrowed),
            other => self.eval(other, depth)?.map(Cow::Owned),
        })
    }

    fn eval(&self, expr: &Expr, depth: usize) -> Eval {
        Ok(match expr {
            Expr::Literal(value) => Some(value.clone()),
            Expr::Field(name, scope) => self.field(name, *scope)?,
            Expr::Segment(name) => {
                if depth >= MAX_SEGMENT_DEPTH {
                    return Err(EvalError::Type(format!("segments nest deeper than {MAX_SEGMENT_DEPTH}")));
                }
                let segment =
                    self.segments.get(name).ok_or_else(|| EvalError::Type(format!("unknown segment `{name}`")))?;
                Some(Value::Bool(self.truth(segment, depth + 1)?))
            }
            Expr::Not(a) => Some(Value::Bool(!self.truth(a, depth)?)),
            Expr::Neg(a) => match self.eval(a, depth)? {
                None => None,
                Some(Value::Number(n)) => Some(Value::Number(n.checked_neg().ok_or_else(overflow)?)),
                Some(Value::Money(n, c)) => Some(Value::Money(n.checked_neg().ok_or_else(overflow)?, c)),
                Some(Value::Duration(s)) => Some(Value::Duration(-s)),
                Some(other) => return Err(EvalError::Type(format!("cannot negate {other:?}"))),
            },
            Expr::Compare(cmp, a, b) => {
                let (Some(a), Some(b)) = (self.operand(a, depth)?, self.operand(b, depth)?) else {
                    return Ok(Some(Value::Bool(false)));
                };
                Some(Value::Bool(compare(*cmp, &a, &b)?))
            }
            Expr::In(a, b) => {
                let item = self.operand(a, depth)?;
                // `x in [...]`, the common case: the list's items are compared where they are,
                // not copied into a list value (evaluated in order, so errors are the same).
                if let Expr::List(items) = &**b {
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        if let Some(value) = self.operand(item, depth)? {
                            values.push(value);
                        }
                    }
                    let Some(item) = item else { return Ok(Some(Value::Bool(false))) };
                    return Ok(Some(Value::Bool(values.iter().any(|v| item.compare(v) == Some(Ordering::Equal)))));
                }
                let (Some(item), Some(set)) = (item, self.operand(b, depth)?) else {
                    return Ok(Some(Value::Bool(false)));
                };
                match (&*item, &*set) {
                    (_, Value::List(items)) => {
                        Some(Value::Bool(items.iter().any(|i| item.compare(i) == Some(Ordering::Equal))))
                    }
                    // `in` on text-like values is a substring test (§8.1; the checker types it so):
                    // exact and case-sensitive, by Unicode scalar values.
                    (Value::Text(needle), Value::Text(haystack)) => {
                        Some(Value::Bool(haystack.contains(needle.as_str())))
                    }
                    (_, set) => {
                        return Err(EvalError::Type(format!("`in` needs a set, a list or text, found {set:?}")));
                    }
                }
            }
            Expr::Chain(Chain::And, args) => {
                let mut all = true;
                for arg in args {
                    // Every argument is evaluated, so a data error is never hidden by order.
                    all &= self.truth(arg, depth)?;
                }
                Some(Value::Bool(all))
            }
            Expr::Chain(Chain::Or, args) => {
                let mut any = false;
                for arg in args {
                    any |= self.truth(arg, depth)?;
                }
                Some(Value::Bool(any))
            }
            Expr::Chain(Chain::Coalesce, args) => {
                for arg in args {
                    if let Some(value) = self.eval(arg, depth)? {
                        return Ok(Some(value));
                    }
                }
                None
            }
            Expr::Chain(op @ (Chain::Add | Chain::Sub), args) => {
                let mut acc: Option<Value> = None;
                let mut missing = false;
                for (index, arg) in args.iter().enumerate() {
                    let value = self.eval(arg, depth)?;
                    match (index, value, acc.take()) {
                        (_, None, _) => missing = true,
                        (0, Some(v), _) => acc = Some(v),
                        (_, Some(v), Some(a)) => acc = Some(arith(*op, a, v)?),
                        (_, Some(_), None) => {}
                    }
                }
                if missing {
                    None
                } else {
                    acc
                }
            }
            Expr::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    // A missing item is left out of the list.
                    if let Some(v) = self.eval(item, depth)? {
                        values.push(v);
                    }
                }
                Some(Value::List(values))
            }
            Expr::Consent { channel, category } => Some(Value::Bool((self.consent)(channel, category))),
            Expr::BusinessHours => Some(Value::Bool(self.business_hours)),
            Expr::Now => Some(Value::DateTime(self.now)),
            Expr::Text(parts) => Some(Value::Text(self.render(parts)?)),
        })
    }

    /// Renders a text (§7): literal parts as given, field parts as their value, or their default
    /// when the field is missing. A missing required field is an error (the send is refused).
    pub fn render(&self, parts: &[TextPart]) -> Result<String, EvalError> {
        // Room for the literal parts and a short value per field: grown at most once or twice.
        let room = parts.iter().map(|p| if let TextPart::Literal(text) = p { text.len() } else { 16 }).sum();
        let mut out = String::with_capacity(room);
        for part in parts {
            match part {
                TextPart::Literal(text) => out.push_str(text),
                TextPart::Field { field, scope, default } => {
                    let value = match self.field_ref(field, *scope)? {
                        Some(value) => Some(Cow::Borrowed(value)),
                        None => match default {
                            Some(default) => self.eval(default, 0)?.map(Cow::Owned),
                            None => None,
                        },
                    };
                    match value {
                        Some(Cow::Borrowed(Value::Text(text))) => out.push_str(text),
                        Some(value) => out.push_str(&self.show(&value)?),
                        // An optional field without a default (J0212 in a checked bundle).
                        None => return Err(EvalError::MissingRequired(field.clone())),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Whether a text renders: [`Env::render`]'s errors, in the same order, without building
    /// the text (a message's titles and URLs are rendered only to find a missing field).
    pub fn check_render(&self, parts: &[TextPart]) -> Result<(), EvalError> {
        for part in parts {
            if let TextPart::Field { field, scope, default } = part {
                match self.field_ref(field, *scope)? {
                    Some(Value::Text(_)) => {}
                    Some(value) => {
                        self.show(value)?;
                    }
                    None => match default {
                        Some(default) => match self.eval(default, 0)? {
                            Some(value) => {
                                self.show(&value)?;
                            }
                            None => return Err(EvalError::MissingRequired(field.clone())),
                        },
                        None => return Err(EvalError::MissingRequired(field.clone())),
                    },
                }
            }
        }
        Ok(())
    }

    /// An expression's value as text (§7), `None` when it is missing: [`Env::value`] then
    /// [`Env::show_value`], reading a field's value where it is.
    pub fn show_expr(&self, expr: &Expr) -> Result<Option<String>, EvalError> {
        match self.operand(expr, 0)? {
            Some(value) => self.show(&value).map(Some),
            None => Ok(None),
        }
    }

    /// A value as text (§7).
    pub fn show_value(&self, value: &Value) -> Result<String, EvalError> {
        self.show(value)
    }

    fn show(&self, value: &Value) -> Result<String, EvalError> {
        Ok(match value {
            Value::Text(text) => text.clone(),
            Value::Number(n) => n.to_string(),
            Value::Money(amount, currency) => format!("{amount} {currency}"),
            Value::Bool(b) => b.to_string(),
            Value::Duration(seconds) => show_duration(*seconds),
            Value::Date(date) => date.to_string(),
            Value::DateTime(at) => match self.zone {
                Some(zone) => crate::time::format_local(*at, zone),
                None => crate::time::format_utc(*at),
            },
            Value::List(_) => return Err(EvalError::Type("a set or list cannot be shown in text (J0218)".to_owned())),
        })
    }
}

/// `3d`, `2h`, `90s`: the largest unit that divides the duration.
fn show_duration(seconds: i64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if seconds != 0 && seconds % size == 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

fn overflow() -> EvalError {
    EvalError::Type("arithmetic overflow".to_owned())
}

fn compare(cmp: Cmp, a: &Value, b: &Value) -> Result<bool, EvalError> {
    let order = a.compare(b).ok_or_else(|| EvalError::Type(format!("cannot compare {a:?} with {b:?}")))?;
    let equality_only = matches!(a, Value::Bool(_));
    if equality_only && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
        return Err(EvalError::Type("booleans compare by equality only".to_owned()));
    }
    Ok(match cmp {
        Cmp::Eq => order == Ordering::Equal,
        Cmp::Ne => order != Ordering::Equal,
        Cmp::Lt => order == Ordering::Less,
        Cmp::Le => order != Ordering::Greater,
        Cmp::Gt => order == Ordering::Greater,
        Cmp::Ge => order != Ordering::Less,
    })
}

/// `+` and `-` (§8.1). A date moves by whole days: the duration divided by 86,400, truncated.
fn arith(op: Chain, a: Value, b: Value) -> Result<Value, EvalError> {
    let sub = op == Chain::Sub;
    let dec = |x: Dec, y: Dec| if sub { x.checked_sub(y) } else { x.checked_add(y) };
    let int = |x: i64, y: i64| if sub { x.checked_sub(y) } else { x.checked_add(y) };
    Ok(match (a, b) {
        (Value::Number(x), Value::Number(y)) => Value::Number(dec(x, y).ok_or_else(overflow)?),
        (Value::Money(x, c), Value::Money(y, d)) if c == d => Value::Money(dec(x, y).ok_or_else(overflow)?, c),
        (Value::Duration(x), Value::Duration(y)) => Value::Duration(int(x, y).ok_or_else(overflow)?),
        (Value::DateTime(x), Value::Duration(y)) => Value::DateTime(int(x, y).ok_or_else(overflow)?),
        (Value::Date(d), Value::Duration(y)) => {
            let days = if sub { -(y / 86_400) } else { y / 86_400 };
            Value::Date(d.checked_add(jiff::Span::new().days(days)).map_err(|_| overflow())?)
        }
        (a, b) => return Err(EvalError::Type(format!("cannot combine {a:?} and {b:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static WRITTEN: BTreeMap<&str, Option<Value>> = BTreeMap::new();

    fn env_with<'a>(
        profile: &'a BTreeMap<String, Value>,
        schema: &'a BTreeMap<String, FieldSpec>,
        segments: &'a BTreeMap<String, Expr>,
        consent: &'a dyn Fn(&str, &str) -> bool,
    ) -> Env<'a> {
        Env {
            profile,
            written: &WRITTEN,
            profile_schema: schema,
            event: None,
            segments,
            consent,
            business_hours: false,
            now: 0,
            zone: None,
        }
    }

    fn expr(json: &str) -> Expr {
        parse(&serde_json::from_str(json).unwrap()).unwrap()
    }

    /// (expression, expected condition value) with `first_name` optional and missing, `age` 30,
    /// `ltv` 999.99 USD, `tags` ["a", "b"].
    const CONDITIONS: &[(&str, bool)] = &[
        (r#"{"op":"!=","args":[{"field":"first_name","scope":"profile"},{"value":""}]}"#, false),
        (r#"{"op":"not","args":[{"op":"==","args":[{"field":"first_name","scope":"profile"},{"value":""}]}]}"#, true),
        (r#"{"op":">=","args":[{"field":"age","scope":"profile"},{"value":30}]}"#, true),
        (r#"{"op":">","args":[{"field":"age","scope":"profile"},{"decimal":"29.99"}]}"#, true),
        (r#"{"op":"<","args":[{"field":"ltv","scope":"profile"},{"money":{"amount":"1000","currency":"USD"}}]}"#, true),
        (
            r#"{"op":"==","args":[{"op":"+","args":[{"field":"ltv","scope":"profile"},{"money":{"amount":"0.01","currency":"USD"}}]},{"money":{"amount":"1000.00","currency":"USD"}}]}"#,
            true,
        ),
        (r#"{"op":"in","args":[{"value":"b"},{"field":"tags","scope":"profile"}]}"#, true),
        // `now` is the moment of evaluation: earlier than itself plus a second, not later.
        (r#"{"op":"<","args":[{"now":true},{"op":"+","args":[{"now":true},{"duration_s":1}]}]}"#, true),
        (r#"{"op":">","args":[{"op":"-","args":[{"now":true},{"duration_s":5184000}]},{"now":true}]}"#, false),
        (r#"{"op":"in","args":[{"field":"first_name","scope":"profile"},{"field":"tags","scope":"profile"}]}"#, false),
        (r#"{"op":"or","args":[{"field":"vip","scope":"profile"},{"value":true}]}"#, true),
        (r#"{"op":"and","args":[{"field":"vip","scope":"profile"},{"value":true}]}"#, false),
        (
            r#"{"op":"==","args":[{"op":"??","args":[{"field":"first_name","scope":"profile"},{"value":"friend"}]},{"value":"friend"}]}"#,
            true,
        ),
        (
            r#"{"op":"==","args":[{"op":"-","args":[{"field":"age","scope":"profile"},{"field":"first_name","scope":"profile"}]},{"value":30}]}"#,
            false,
        ),
        (r#"{"segment":"adult"}"#, true),
        (r#"{"consent":{"channel":"sms","category":"marketing"}}"#, true),
        (r#"{"consent":{"channel":"email","category":"marketing"}}"#, false),
    ];

    #[test]
    fn conditions_follow_the_missing_value_rules_of_section_8_3() {
        let spec = |ty: FieldType, optional| FieldSpec { ty, optional };
        let schema: BTreeMap<String, FieldSpec> = [
            ("first_name".to_owned(), spec(FieldType::Text, true)),
            ("vip".to_owned(), spec(FieldType::Bool, true)),
            ("age".to_owned(), spec(FieldType::Int, false)),
            ("ltv".to_owned(), spec(FieldType::Money(None), false)),
            ("tags".to_owned(), spec(FieldType::Set(Box::new(FieldType::Text)), false)),
        ]
        .into();
        let profile: BTreeMap<String, Value> = [
            ("age".to_owned(), Value::Number(Dec::int(30))),
            ("ltv".to_owned(), Value::Money(Dec::parse("999.99").unwrap(), "USD".to_owned())),
            ("tags".to_owned(), Value::List(vec![Value::Text("a".into()), Value::Text("b".into())])),
        ]
        .into();
        let segments: BTreeMap<String, Expr> =
            [("adult".to_owned(), expr(r#"{"op":">=","args":[{"field":"age","scope":"profile"},{"value":18}]}"#))]
                .into();
        let consent = |channel: &str, category: &str| channel == "sms" && category == "marketing";
        let env = env_with(&profile, &schema, &segments, &consent);
        for (json, expected) in CONDITIONS {
            assert_eq!(env.condition(&expr(json)), Ok(*expected), "{json}");
        }
    }

    #[test]
    fn reading_an_absent_required_field_is_a_data_error_not_false() {
        let schema: BTreeMap<String, FieldSpec> =
            [("country".to_owned(), FieldSpec { ty: FieldType::Text, optional: false })].into();
        let (profile, segments) = (BTreeMap::new(), BTreeMap::new());
        let consent = |_: &str, _: &str| false;
        let env = env_with(&profile, &schema, &segments, &consent);
        let read = expr(r#"{"op":"==","args":[{"field":"country","scope":"profile"},{"value":"US"}]}"#);
        assert_eq!(env.condition(&read), Err(EvalError::MissingRequired("country".to_owned())));
    }

    #[test]
    fn unknown_forms_and_calls_are_refused_when_read() {
        for bad in [
            r#"{"op":"xor","args":[]}"#,
            r#"{"call":"f","args":[]}"#,
            r#"{"field":"x","scope":"world"}"#,
            r#"{"value":1.5}"#,
            r#"{"op":"not","args":[]}"#,
            r#"{"now":false}"#,
            r#"{"now":true,"value":1}"#,
        ] {
            assert!(parse(&serde_json::from_str(bad).unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_show_in_their_largest_whole_unit() {
        assert_eq!(show_duration(259_200), "3d");
        assert_eq!(show_duration(5400), "90m");
        assert_eq!(show_duration(61), "61s");
    }
}
