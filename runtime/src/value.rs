//! Values and field types: exact decimals for `number` and `money` (never binary floats), the
//! types of `profile` and `events` fields, and the conversion between the JSON value forms of
//! docs/simulate.md and runtime values.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::Date;

/// The most significant digits a decimal may have. 28 digits keep every sum and difference of
/// two decimals inside an `i128` after rescaling, so arithmetic only fails on absurd inputs.
const MAX_DIGITS: usize = 28;
/// The most digits after the decimal point.
const MAX_SCALE: u32 = 18;

/// An exact decimal: `mantissa / 10^scale`. `3.50` keeps its scale (it renders as `3.50`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec {
    mantissa: i128,
    scale: u32,
}

impl Dec {
    pub fn int(value: i64) -> Dec {
        Dec { mantissa: i128::from(value), scale: 0 }
    }

    /// Parses `-?[0-9]+(\.[0-9]+)?` exactly; `None` for anything else or too many digits.
    pub fn parse(text: &str) -> Option<Dec> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || (digits.contains('.') && fraction.is_empty())
            || whole.len() + fraction.len() > MAX_DIGITS
        {
            return None;
        }
        let scale = u32::try_from(fraction.len()).ok().filter(|s| *s <= MAX_SCALE)?;
        let mut mantissa: i128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        Some(Dec { mantissa: if negative { -mantissa } else { mantissa }, scale })
    }

    fn rescaled(self, scale: u32) -> Option<i128> {
        let factor = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        self.mantissa.checked_mul(factor)
    }

    /// Both mantissas at the larger scale.
    fn aligned(self, other: Dec) -> Option<(i128, i128, u32)> {
        let scale = self.scale.max(other.scale);
        Some((self.rescaled(scale)?, other.rescaled(scale)?, scale))
    }

    pub fn checked_add(self, other: Dec) -> Option<Dec> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Dec { mantissa: a.checked_add(b)?, scale })
    }

    pub fn checked_sub(self, other: Dec) -> Option<Dec> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Dec { mantissa: a.checked_sub(b)?, scale })
    }

    pub fn checked_neg(self) -> Option<Dec> {
        Some(Dec { mantissa: self.mantissa.checked_neg()?, scale: self.scale })
    }

    /// Numeric order (`3.5 == 3.50`); `None` only if rescaling overflows.
    pub fn compare(self, other: Dec) -> Option<Ordering> {
        let (a, b, _) = self.aligned(other)?;
        Some(a.cmp(&b))
    }

    pub fn is_whole(self) -> bool {
        self.scale == 0
    }

    /// The value as an `i64` when it is whole and fits.
    pub fn as_i64(self) -> Option<i64> {
        if self.scale == 0 {
            i64::try_from(self.mantissa).ok()
        } else {
            None
        }
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = usize::try_from(self.scale).unwrap_or(0);
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{fraction}")
    }
}

/// A runtime value. Enum values are their variant names, as text (§8.1 compares text with enum
/// names); `int` and `number` are both exact decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Number(Dec),
    Money(Dec, String),
    Bool(bool),
    /// Seconds.
    Duration(i64),
    Date(Date),
    /// Seconds since 1970-01-01T00:00:00Z.
    DateTime(i64),
    List(Vec<Value>),
}

impl Value {
    /// The order of two values of like kinds (§8.1); `None` when they cannot be compared.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            (Value::Number(a), Value::Number(b)) => a.compare(*b),
            (Value::Money(a, x), Value::Money(b, y)) if x == y => a.compare(*b),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Duration(a), Value::Duration(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The JSON form of a value in actions (the same forms as the input, docs/simulate.md):
    /// whole numbers as JSON integers, other decimals as strings (exact, never a float).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Text(text) => J::String(text.clone()),
            Value::Number(dec) => match dec.as_i64() {
                Some(whole) => J::from(whole),
                None => J::String(dec.to_string()),
            },
            Value::Money(amount, currency) => {
                let mut map = serde_json::Map::new();
                map.insert("amount".to_owned(), J::String(amount.to_string()));
                map.insert("currency".to_owned(), J::String(currency.clone()));
                J::Object(map)
            }
            Value::Bool(b) => J::Bool(*b),
            Value::Duration(seconds) => J::from(*seconds),
            Value::Date(date) => J::String(date.to_string()),
            Value::DateTime(seconds) => J::String(crate::time::format_utc(*seconds)),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
        }
    }
}

/// A field's type, parsed from the bundle's type names (`text`, `money (USD)`, `set<text>`,
/// `enum { a, b }`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// `text`, `email`, `phone`, `url`: any string.
    Text,
    /// An IANA zone name; any string is accepted, an unknown name is an unknown zone (§4.1).
    TimeZone,
    Int,
    Number,
    Bool,
    Money(Option<String>),
    Date,
    DateTime,
    Duration,
    Enum(BTreeSet<String>),
    Set(Box<FieldType>),
    List(Box<FieldType>),
}

impl FieldType {
    pub fn parse(text: &str) -> Option<FieldType> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("set<").and_then(|t| t.strip_suffix('>')) {
            return Some(FieldType::Set(Box::new(FieldType::parse(inner)?)));
        }
        if let Some(inner) = text.strip_prefix("list<").and_then(|t| t.strip_suffix('>')) {
            return Some(FieldType::List(Box::new(FieldType::parse(inner)?)));
        }
        if let Some(inner) = text.strip_prefix("enum").map(str::trim).and_then(|t| t.strip_prefix('{')) {
            let inner = inner.strip_suffix('}')?;
            let variants: BTreeSet<String> =
                inner.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect();
            return if variants.is_empty() { None } else { Some(FieldType::Enum(variants)) };
        }
        if let Some(inner) = text.strip_prefix("money").map(str::trim).filter(|t| !t.is_empty()) {
            let code = inner.strip_prefix('(')?.strip_suffix(')')?.trim();
            return if is_currency(code) { Some(FieldType::Money(Some(code.to_owned()))) } else { None };
        }
        Some(match text {
            "text" | "email" | "phone" | "url" => FieldType::Text,
            "timezone" => FieldType::TimeZone,
            "int" => FieldType::Int,
            "number" => FieldType::Number,
            "bool" => FieldType::Bool,
            "money" => FieldType::Money(None),
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            "duration" => FieldType::Duration,
            _ => return None,
        })
    }

    /// Reads a JSON value of this type (docs/simulate.md, "Field values"); the error says what
    /// was expected.
    pub fn read(&self, json: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        match (self, json) {
            (FieldType::Text | FieldType::TimeZone, J::String(s)) => Ok(Value::Text(s.clone())),
            (FieldType::Enum(variants), J::String(s)) => {
                if variants.contains(s) {
                    Ok(Value::Text(s.clone()))
                } else {
                    let names: Vec<&str> = variants.iter().map(String::as_str).collect();
                    Err(format!("expected one of {}, found \"{s}\"", names.join(", ")))
                }
            }
            (FieldType::Int, J::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Value::Number(Dec::int(i))),
                None => Err(format!("expected a whole number (int) within 64 bits, found {n}")),
            },
            (FieldType::Number, J::Number(n)) => Dec::parse(&n.to_string())
                .map(Value::Number)
                .ok_or_else(|| format!("expected a decimal number with at most {MAX_DIGITS} digits, found {n}")),
            (FieldType::Number, J::String(s)) => Dec::parse(s)
                .map(Value::Number)
                .ok_or_else(|| format!("expected a decimal number such as \"3.5\", found \"{s}\"")),
            (FieldType::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
            (FieldType::Money(fixed), J::Object(map)) => {
                let amount = map.get("amount").and_then(J::as_str).and_then(Dec::parse);
                let currency = map.get("currency").and_then(J::as_str).filter(|c| is_currency(c));
                match (amount, currency, map.len()) {
                    (Some(amount), Some(currency), 2) => match fixed {
                        Some(code) if code != currency => Err(format!("expected money in {code}, found {currency}")),
                        _ => Ok(Value::Money(amount, currency.to_owned())),
                    },
                    _ => Err("expected money as {\"amount\": \"20\", \"currency\": \"USD\"}".to_owned()),
                }
            }
            (FieldType::Date, J::String(s)) => s
                .parse::<Date>()
                .ok()
                .filter(|_| s.len() == 10)
                .map(Value::Date)
                .ok_or_else(|| format!("expected a date such as \"2026-03-02\", found \"{s}\"")),
            (FieldType::DateTime, J::String(s)) => crate::time::parse_utc(s).map(Value::DateTime),
            (FieldType::Duration, J::Number(n)) => match n.as_i64() {
                Some(seconds) if (0..=crate::time::MAX_DURATION_S).contains(&seconds) => Ok(Value::Duration(seconds)),
                _ => Err(format!(
                    "expected a duration in whole seconds from 0 to {}, found {n}",
                    crate::time::MAX_DURATION_S
                )),
            },
            (FieldType::Set(item) | FieldType::List(item), J::Array(items)) => {
                let mut values = Vec::with_capacity(items.len());
                for (index, json) in items.iter().enumerate() {
                    values.push(item.read(json).map_err(|why| format!("item {}: {why}", index + 1))?);
                }
                Ok(Value::List(values))
            }
            (expected, found) => Err(format!("expected {}, found {}", expected.describe(), json_kind(found))),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            FieldType::Text | FieldType::TimeZone | FieldType::Enum(_) => "text (a JSON string)",
            FieldType::Int => "a whole number",
            FieldType::Number => "a number",
            FieldType::Bool => "true or false",
            FieldType::Money(_) => "money as {\"amount\": \"20\", \"currency\": \"USD\"}",
            FieldType::Date => "a date (a JSON string)",
            FieldType::DateTime => "an RFC 3339 time (a JSON string)",
            FieldType::Duration => "a duration in seconds",
            FieldType::Set(_) | FieldType::List(_) => "an array",
        }
    }
}

fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

pub fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly_and_keep_their_scale() {
        for (text, shown) in [("3.5", "3.5"), ("3.50", "3.50"), ("-0.05", "-0.05"), ("20", "20"), ("0.1", "0.1")] {
            assert_eq!(Dec::parse(text).map(|d| d.to_string()).as_deref(), Some(shown), "{text}");
        }
        for bad in ["", ".5", "5.", "1e3", "+1", "1.2.3", "12345678901234567890123456789"] {
            assert_eq!(Dec::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn decimal_arithmetic_is_exact_where_floats_are_not() {
        let a = Dec::parse("0.1").unwrap();
        let b = Dec::parse("0.2").unwrap();
        let sum = a.checked_add(b).unwrap();
        assert_eq!(sum.compare(Dec::parse("0.3").unwrap()), Some(Ordering::Equal));
        assert_eq!(Dec::parse("3.5").unwrap().compare(Dec::parse("3.50").unwrap()), Some(Ordering::Equal));
        assert_eq!(Dec::parse("20").unwrap().checked_sub(Dec::parse("20.01").unwrap()).unwrap().to_string(), "-0.01");
    }

    #[test]
    fn field_types_parse_from_their_bundle_names() {
        let cases = [
            ("text", Some(FieldType::Text)),
            ("money (USD)", Some(FieldType::Money(Some("USD".into())))),
            ("set<text>", Some(FieldType::Set(Box::new(FieldType::Text)))),
            ("enum { member, gold }", Some(FieldType::Enum(["member".into(), "gold".into()].into()))),
            ("list<int>", Some(FieldType::List(Box::new(FieldType::Int)))),
            ("money (usd)", None),
            ("frobnicate", None),
        ];
        for (text, expected) in cases {
            assert_eq!(FieldType::parse(text), expected, "{text}");
        }
    }

    #[test]
    fn json_values_of_the_wrong_type_are_refused_with_what_was_expected() {
        let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert!(FieldType::Int.read(&json("\"3\"")).unwrap_err().contains("expected a whole number"));
        assert!(FieldType::Money(Some("USD".into()))
            .read(&json(r#"{"amount":"3","currency":"EUR"}"#))
            .unwrap_err()
            .contains("USD"));
        assert_eq!(FieldType::Number.read(&json("3.25")).unwrap(), Value::Number(Dec::parse("3.25").unwrap()));
        assert!(FieldType::Duration.read(&json("-1")).is_err());
        assert!(FieldType::Date.read(&json("\"2026-02-30\"")).is_err());
    }
}
