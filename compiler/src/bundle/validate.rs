//! Reading a bundle back the way a runtime would, and checking its internal references.
//!
//! The text is read with serde_json's default reader into typed shapes that keep only what the
//! checks need (node kinds, edges, split shares, sent messages, stages, the format) and borrow
//! their strings from the text. Everything else is still read in full as serde_json would read
//! it into a `serde_json::Value`, so the reader accepts and rejects exactly the same documents:
//! every value goes through `deserialize_any`, which checks nesting against serde_json's limit
//! of 128, number ranges (`1e400`) and escapes (lone surrogates). `serde::de::IgnoredAny` would
//! not do: serde_json skips an ignored value with a loop that checks none of the three, so a
//! bundle nesting 200 levels deep inside an ignored field would pass here and fail in a runtime.
//! Of two entries with one key, the later counts, as in a `Value`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{last_wins, FORMAT, FORMAT_VERSION, NODE_KINDS};

/// Reads a bundle back the way a runtime would (serde_json's default reader, with its nesting
/// limit) and checks its internal references: every edge and stage points at a node or `exit`,
/// every node kind is known, a split has one edge per share, every sent message is included.
/// The writer refuses to write a bundle that fails this.
pub fn validate(text: &str) -> Result<(), String> {
    let document = read(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            format!(
                "does not read back: it nests deeper than serde_json's default limit of 128 ({e}); \
                 an expression is too deeply nested: split it into segments"
            )
        } else {
            format!("does not read back: {e}")
        }
    })?;
    document.check()
}

/// What `serde_json::from_str` does, into our shapes.
fn read(text: &str) -> Result<Document<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let Read(document) = Read::<Document<'_>>::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(document)
}

/// The top-level fields the checks read. Each is `None` when missing or of another type.
#[derive(Default)]
struct Document<'a> {
    format: Str<'a>,
    format_version: Int,
    nodes: Object<'a, Node<'a>>,
    messages: Object<'a, Skip>,
    start: Str<'a>,
    stages: Array<Stage<'a>>,
}

#[derive(Default)]
struct Node<'a> {
    kind: Str<'a>,
    next: Object<'a, Str<'a>>,
    /// How many shares (0 when `shares` is not a list).
    shares: Len,
    message: Str<'a>,
}

#[derive(Default)]
struct Stage<'a> {
    name: Str<'a>,
    start: Str<'a>,
    nodes: Array<Str<'a>>,
}

impl Document<'_> {
    fn check(self) -> Result<(), String> {
        if self.format.0.as_deref() != Some(FORMAT) {
            return Err("missing or wrong `format`".into());
        }
        if self.format_version.0 != Some(u64::from(FORMAT_VERSION)) {
            return Err("missing or wrong `format_version`".into());
        }
        let mut nodes = self.nodes.0.ok_or("no `nodes` object")?;
        last_wins(&mut nodes);
        for (_, node) in &mut nodes {
            if let Some(next) = &mut node.next.0 {
                last_wins(next);
            }
        }
        let mut messages = self.messages.0.ok_or("no `messages` object")?;
        last_wins(&mut messages);
        let is_node = |id: &str| nodes.binary_search_by(|(key, _)| key.as_ref().cmp(id)).is_ok();
        let exists = |id: &str| id == "exit" || is_node(id);
        let start = self.start.0.ok_or("no `start`")?;
        if !exists(&start) {
            return Err(format!("`start` points at unknown node `{start}`"));
        }
        for stage in self.stages.0.ok_or("no `stages` list")? {
            let name = stage.name.0.unwrap_or_default();
            let first = stage.start.0.unwrap_or_default();
            if !exists(&first) {
                return Err(format!("stage `{name}` starts at unknown node `{first}`"));
            }
            for Str(id) in stage.nodes.0.unwrap_or_default() {
                let id = id.unwrap_or_default();
                if !is_node(&id) {
                    return Err(format!("stage `{name}` lists unknown node `{id}`"));
                }
            }
        }
        for (id, node) in &nodes {
            let kind = node.kind.0.as_deref().unwrap_or("");
            if !NODE_KINDS.contains(&kind) {
                return Err(format!("node `{id}` has unknown kind `{kind}`"));
            }
            let next = node.next.0.as_ref().ok_or_else(|| format!("node `{id}` has no `next`"))?;
            for (label, Str(target)) in next {
                let target = target.as_deref().unwrap_or("");
                if !exists(target) {
                    return Err(format!("node `{id}` edge `{label}` points at unknown node `{target}`"));
                }
            }
            if kind == "split" {
                let shares = node.shares.0;
                let has = |label: &str| next.binary_search_by(|(key, _)| key.as_ref().cmp(label)).is_ok();
                if next.len() != shares || (1..=shares).any(|i| !has(&format!("p{i}"))) {
                    return Err(format!("split `{id}` does not have one edge `p1`..`p{shares}` per share"));
                }
            }
            if let Some(message) = &node.message.0 {
                if messages.binary_search_by(|(key, _)| key.as_ref().cmp(message)).is_err() {
                    return Err(format!("node `{id}` sends `{message}`, which the bundle does not include"));
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes: what to keep of a JSON value of any type.

/// What to keep of a value, by its type; a value of a type not kept is read (and checked) in
/// full, then gives `Default`.
trait Shape<'de>: Default {
    fn string(_: Cow<'de, str>) -> Self {
        Self::default()
    }

    /// A non-negative integer (what `Value::as_u64` gives).
    fn unsigned(_: u64) -> Self {
        Self::default()
    }

    fn array<A: SeqAccess<'de>>(mut array: A) -> Result<Self, A::Error> {
        while array.next_element::<Read<Skip>>()?.is_some() {}
        Ok(Self::default())
    }

    fn object<A: MapAccess<'de>>(mut object: A) -> Result<Self, A::Error> {
        while object.next_key::<Key<'de>>()?.is_some() {
            object.next_value::<Read<Skip>>()?;
        }
        Ok(Self::default())
    }
}

/// A value of any type, kept as `T` says.
struct Read<T>(T);

impl<'de, T: Shape<'de>> Deserialize<'de> for Read<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor(PhantomData)).map(Read)
    }
}

struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Shape<'de>> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_i64<E>(self, v: i64) -> Result<T, E> {
        Ok(u64::try_from(v).map_or_else(|_| T::default(), T::unsigned))
    }

    fn visit_u64<E>(self, v: u64) -> Result<T, E> {
        Ok(T::unsigned(v))
    }

    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<T, E> {
        Ok(T::string(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        Ok(T::string(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<T, E> {
        Ok(T::string(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, array: A) -> Result<T, A::Error> {
        T::array(array)
    }

    fn visit_map<A: MapAccess<'de>>(self, object: A) -> Result<T, A::Error> {
        T::object(object)
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ShapeVisitor::<Str<'de>>(PhantomData)).map(|Str(s)| Key(s.unwrap_or_default()))
    }
}

/// Nothing.
#[derive(Default)]
struct Skip;

impl<'de> Shape<'de> for Skip {}

/// A string.
#[derive(Default)]
struct Str<'de>(Option<Cow<'de, str>>);

impl<'de> Shape<'de> for Str<'de> {
    fn string(s: Cow<'de, str>) -> Self {
        Str(Some(s))
    }
}

/// A non-negative integer.
#[derive(Default)]
struct Int(Option<u64>);

impl Shape<'_> for Int {
    fn unsigned(v: u64) -> Self {
        Int(Some(v))
    }
}

/// The length of an array.
#[derive(Default)]
struct Len(usize);

impl<'de> Shape<'de> for Len {
    fn array<A: SeqAccess<'de>>(mut array: A) -> Result<Self, A::Error> {
        let mut len = 0;
        while array.next_element::<Read<Skip>>()?.is_some() {
            len += 1;
        }
        Ok(Len(len))
    }
}

/// An array of `T`.
struct Array<T>(Option<Vec<T>>);

impl<T> Default for Array<T> {
    fn default() -> Self {
        Array(None)
    }
}

impl<'de, T: Shape<'de>> Shape<'de> for Array<T> {
    fn array<A: SeqAccess<'de>>(mut array: A) -> Result<Self, A::Error> {
        let mut items = Vec::with_capacity(array.size_hint().unwrap_or(0));
        while let Some(Read(item)) = array.next_element()? {
            items.push(item);
        }
        Ok(Array(Some(items)))
    }
}

/// An object of `T`, entries in text order (duplicate keys included).
struct Object<'de, T>(Option<Vec<(Cow<'de, str>, T)>>);

impl<T> Default for Object<'_, T> {
    fn default() -> Self {
        Object(None)
    }
}

impl<'de, T: Shape<'de>> Shape<'de> for Object<'de, T> {
    fn object<A: MapAccess<'de>>(mut object: A) -> Result<Self, A::Error> {
        let mut entries = Vec::new();
        while let Some(Key(key)) = object.next_key()? {
            let Read(value) = object.next_value()?;
            entries.push((key, value));
        }
        Ok(Object(Some(entries)))
    }
}

/// Reads an object's fields: `field` reads the value of a key it knows and returns whether it did.
fn fields<'de, A, F>(mut object: A, mut field: F) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<bool, A::Error>,
{
    while let Some(Key(key)) = object.next_key()? {
        if !field(&key, &mut object)? {
            object.next_value::<Read<Skip>>()?;
        }
    }
    Ok(())
}

/// The next value, as `T`.
fn value<'de, A: MapAccess<'de>, T: Shape<'de>>(object: &mut A) -> Result<T, A::Error> {
    object.next_value::<Read<T>>().map(|Read(value)| value)
}

impl<'de> Shape<'de> for Document<'de> {
    fn object<A: MapAccess<'de>>(object: A) -> Result<Self, A::Error> {
        let mut document = Document::default();
        fields(object, |key, object| {
            match key {
                "format" => document.format = value(object)?,
                "format_version" => document.format_version = value(object)?,
                "nodes" => document.nodes = value(object)?,
                "messages" => document.messages = value(object)?,
                "start" => document.start = value(object)?,
                "stages" => document.stages = value(object)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(document)
    }
}

impl<'de> Shape<'de> for Node<'de> {
    fn object<A: MapAccess<'de>>(object: A) -> Result<Self, A::Error> {
        let mut node = Node::default();
        fields(object, |key, object| {
            match key {
                "kind" => node.kind = value(object)?,
                "next" => node.next = value(object)?,
                "shares" => node.shares = value(object)?,
                "message" => node.message = value(object)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(node)
    }
}

impl<'de> Shape<'de> for Stage<'de> {
    fn object<A: MapAccess<'de>>(object: A) -> Result<Self, A::Error> {
        let mut stage = Stage::default();
        fields(object, |key, object| {
            match key {
                "name" => stage.name = value(object)?,
                "start" => stage.start = value(object)?,
                "nodes" => stage.nodes = value(object)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(stage)
    }
}

#[cfg(test)]
mod tests {
    //! `validate` must accept and reject exactly what reading the whole text into a
    //! `serde_json::Value` did, with the same messages: `reference` is that implementation,
    //! and the tests compare the two on hand-made edge cases and on many mutants of a bundle.

    use serde_json::Value;

    use super::{validate, FORMAT, FORMAT_VERSION, NODE_KINDS};

    /// The validator before typed reading, kept as the oracle.
    fn reference(text: &str) -> Result<(), String> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            if e.to_string().contains("recursion limit") {
                format!(
                    "does not read back: it nests deeper than serde_json's default limit of 128 ({e}); \
                     an expression is too deeply nested: split it into segments"
                )
            } else {
                format!("does not read back: {e}")
            }
        })?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err("missing or wrong `format`".into());
        }
        if value.get("format_version").and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
            return Err("missing or wrong `format_version`".into());
        }
        let nodes = value.get("nodes").and_then(Value::as_object).ok_or("no `nodes` object")?;
        let messages = value.get("messages").and_then(Value::as_object).ok_or("no `messages` object")?;
        let exists = |id: &str| id == "exit" || nodes.contains_key(id);
        let start = value.get("start").and_then(Value::as_str).ok_or("no `start`")?;
        if !exists(start) {
            return Err(format!("`start` points at unknown node `{start}`"));
        }
        for stage in value.get("stages").and_then(Value::as_array).ok_or("no `stages` list")? {
            let name = stage.get("name").and_then(Value::as_str).unwrap_or("");
            let first = stage.get("start").and_then(Value::as_str).unwrap_or("");
            if !exists(first) {
                return Err(format!("stage `{name}` starts at unknown node `{first}`"));
            }
            for id in stage.get("nodes").and_then(Value::as_array).map_or(&[][..], Vec::as_slice) {
                let id = id.as_str().unwrap_or("");
                if !nodes.contains_key(id) {
                    return Err(format!("stage `{name}` lists unknown node `{id}`"));
                }
            }
        }
        for (id, node) in nodes {
            let kind = node.get("kind").and_then(Value::as_str).unwrap_or("");
            if !NODE_KINDS.contains(&kind) {
                return Err(format!("node `{id}` has unknown kind `{kind}`"));
            }
            let next =
                node.get("next").and_then(Value::as_object).ok_or_else(|| format!("node `{id}` has no `next`"))?;
            for (label, target) in next {
                let target = target.as_str().unwrap_or("");
                if !exists(target) {
                    return Err(format!("node `{id}` edge `{label}` points at unknown node `{target}`"));
                }
            }
            if kind == "split" {
                let shares = node.get("shares").and_then(Value::as_array).map_or(0, Vec::len);
                if next.len() != shares || (1..=shares).any(|i| !next.contains_key(&format!("p{i}"))) {
                    return Err(format!("split `{id}` does not have one edge `p1`..`p{shares}` per share"));
                }
            }
            if let Some(message) = node.get("message").and_then(Value::as_str) {
                if !messages.contains_key(message) {
                    return Err(format!("node `{id}` sends `{message}`, which the bundle does not include"));
                }
            }
        }
        Ok(())
    }

    const BUNDLE: &str = r#"{
  "format": "journey-bundle",
  "format_version": 1,
  "compiler": { "name": "journey", "version": "0.1.0" },
  "journey": "j",
  "start": "a.1",
  "stages": [
    { "name": "a", "start": "a.1", "nodes": ["a.1", "a.2"] },
    { "name": "b", "start": "exit", "nodes": [] }
  ],
  "nodes": {
    "a.1": { "kind": "send", "stage": "a", "message": "m", "next": { "next": "a.2" }, "source": { "file": "f", "line": 1, "col": 2 } },
    "a.2": { "kind": "split", "stage": "a", "shares": [50, 50], "next": { "p1": "exit", "p2": "a.1" } },
    "a.3": { "kind": "branch", "conditions": [{ "args": [{ "value": 1.5 }, { "value": -2 }], "op": "==" }], "next": { "then": "exit", "else": "a.1" } }
  },
  "messages": { "m": { "channel": "sms", "body": [{ "text": "caf\u00e9 \"q\" \\ \ud83d\ude00" }] } },
  "segments": {},
  "compliance": { "a.1": { "window_max_s": null, "window_s": 86400, "quiet_hours": "not applicable" } }
}"#;

    #[track_caller]
    fn same(text: &str) {
        assert_eq!(validate(text), reference(text), "{text}");
    }

    fn nested(depth: usize, inner: &str) -> String {
        "[".repeat(depth) + inner + &"]".repeat(depth)
    }

    #[test]
    fn serde_json_skips_an_ignored_value_without_the_checks_a_value_gets_so_validate_reads_every_value() {
        // Nesting beyond 128, a number out of range, a lone surrogate.
        for text in [nested(200, ""), "1e400".to_owned(), "\"\\ud800\"".to_owned()] {
            assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(), "{text}");
            assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
            assert!(validate(&text).unwrap_err().starts_with("does not read back"), "{text}");
        }
    }

    #[test]
    fn the_bundle_and_hand_made_edge_cases_read_as_a_value_would() {
        assert_eq!(validate(BUNDLE), Ok(()));
        same(BUNDLE);
        let with = |from: &str, to: &str| {
            assert!(BUNDLE.contains(from), "{from}");
            BUNDLE.replacen(from, to, 1)
        };
        for case in [
            String::new(),
            "null".into(),
            "[]".into(),
            "\"journey-bundle\"".into(),
            "{}".into(),
            format!("{BUNDLE} x"),
            format!("{BUNDLE}\n\n"),
            with("\"format_version\": 1", "\"format_version\": 1.0"),
            with("\"format_version\": 1", "\"format_version\": -1"),
            with("\"format_version\": 1", "\"format_version\": -0"),
            with("\"format_version\": 1", "\"format_version\": 18446744073709551616"),
            with("\"format_version\": 1", "\"format_version\": 1, \"format_version\": 2"),
            with("\"format_version\": 1", "\"format_version\": 2, \"format_version\": 1"),
            with("\"format\": \"journey-bundle\"", "\"format\": [\"journey-bundle\"]"),
            with("\"format\": \"journey-bundle\"", "\"format\": \"journey\\u002dbundle\""),
            // Ignored values are read in full: numbers out of range, lone surrogates, control
            // characters and nesting beyond 128 are refused wherever they are.
            with("86400", "1e400"),
            with("86400", "-1e400"),
            with("86400", "1e-400"),
            with("86400", "123456789012345678901234567890"),
            with("\\ud83d\\ude00", "\\ud83d"),
            with("\\ud83d\\ude00", "\\ude00"),
            with("\"not applicable\"", "\"not\tapplicable\""),
            with("\"not applicable\"", "\"not \\x applicable\""),
            with("\"quiet_hours\"", "\"quiet\\ud800hours\""),
            with("\"segments\": {}", &format!("\"segments\": {}", nested(126, "1"))),
            with("\"segments\": {}", &format!("\"segments\": {}", nested(127, "1"))),
            with("\"segments\": {}", &format!("\"segments\": {}", nested(128, "1"))),
            with("\"segments\": {}", &format!("\"segments\": {}", nested(500, "1"))),
            with("{ \"value\": 1.5 }", &nested(124, "1")),
            with("{ \"value\": 1.5 }", &nested(125, "1")),
            with("[50, 50]", &format!("[50, {}]", nested(126, ""))),
            with("[50, 50]", &format!("[50, {}]", nested(127, ""))),
            with("\"nodes\": [\"a.1\", \"a.2\"]", &format!("\"nodes\": {}", nested(127, "\"a.1\""))),
            // Shapes of another type, missing or repeated fields: the later of two keys counts.
            with("\"start\": \"a.1\",", "\"start\": 1,"),
            with("\"start\": \"a.1\",", "\"start\": \"nowhere\","),
            with("\"start\": \"a.1\",", ""),
            with("\"start\": \"a.1\",", "\"start\": \"a.1\", \"start\": null,"),
            with("\"start\": \"a.1\",", "\"start\": null, \"start\": \"a.1\","),
            with("\"nodes\": {", "\"nodes\": [], \"nodes\": {"),
            with("\"nodes\": {", "\"nodes\": {}, \"nodes\": {"),
            with("\"messages\": {", "\"messages\": [], \"zzz\": {"),
            with("\"stages\": [", "\"stages\": {}, \"zzz\": ["),
            with("{ \"name\": \"b\", \"start\": \"exit\", \"nodes\": [] }", "7"),
            with("{ \"name\": \"b\", \"start\": \"exit\", \"nodes\": [] }", "{}"),
            with("\"nodes\": []", "\"nodes\": [1]"),
            with("\"nodes\": []", "\"nodes\": \"a.1\""),
            with("\"kind\": \"send\"", "\"kind\": \"teleport\""),
            with("\"kind\": \"send\"", "\"kind\": 1"),
            with("\"kind\": \"send\"", "\"kind\": \"teleport\", \"kind\": \"send\""),
            with("\"next\": { \"next\": \"a.2\" }", "\"next\": { \"next\": \"a.9\" }"),
            with("\"next\": { \"next\": \"a.2\" }", "\"next\": { \"next\": 42 }"),
            with("\"next\": { \"next\": \"a.2\" }", "\"next\": { \"next\": \"a.9\", \"next\": \"a.2\" }"),
            with("\"next\": { \"next\": \"a.2\" }", "\"next\": { \"next\": \"a.2\", \"next\": \"a.9\" }"),
            with("\"next\": { \"next\": \"a.2\" }", "\"next\": []"),
            with("\"next\": { \"next\": \"a.2\" }", ""),
            with("\"next\": { \"p1\": \"exit\", \"p2\": \"a.1\" }", "\"next\": { \"p1\": \"exit\", \"p1\": \"a.1\" }"),
            with("\"next\": { \"p1\": \"exit\", \"p2\": \"a.1\" }", "\"next\": { \"p2\": \"exit\", \"p1\": \"a.1\" }"),
            with("\"next\": { \"p1\": \"exit\", \"p2\": \"a.1\" }", "\"next\": { \"p1\": \"exit\", \"p3\": \"a.1\" }"),
            with("[50, 50]", "[50]"),
            with("[50, 50]", "{}"),
            with("\"message\": \"m\"", "\"message\": \"n\""),
            with("\"message\": \"m\"", "\"message\": 3"),
            with("\"a.3\": {", "\"a.1\": { \"kind\": \"tag\", \"next\": {} }, \"a.3\": {"),
            with("\"a.3\": {", "\"a\\u002e1\": { \"kind\": 0 }, \"a.3\": {"),
            with("\"a.3\": {", "\"a.0\": 5, \"a.3\": {"),
            with("\"m\": {", "\"m\": 1, \"\\u006d\": {"),
        ] {
            same(&case);
        }
    }

    #[test]
    fn mutants_of_a_bundle_read_as_a_value_would() {
        // Bytes and fragments whose insertion or removal changes what the text means to JSON.
        const PIECES: [&str; 22] = [
            "{",
            "}",
            "[",
            "]",
            "\"",
            ",",
            ":",
            "\\",
            "\\u",
            "d800",
            "1",
            "-",
            "e9",
            ".",
            " ",
            "\n",
            "x",
            "\u{0}",
            "\"exit\"",
            "\"kind\"",
            "null",
            "\"split\"",
        ];
        let mut random = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |below: usize| {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            (random % below as u64) as usize
        };
        let boundaries: Vec<usize> = (0..=BUNDLE.len()).filter(|&i| BUNDLE.is_char_boundary(i)).collect();
        let mut rejected = 0;
        for _ in 0..20_000 {
            let mut text = BUNDLE.to_owned();
            for _ in 0..1 + next(3) {
                let at = boundaries[next(boundaries.len())].min(text.len());
                let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
                match next(3) {
                    0 => text.insert_str(at, PIECES[next(PIECES.len())]),
                    1 => {
                        let end = (at + 1 + next(8)).min(text.len());
                        if let Some(end) = (end..=text.len()).find(|&i| text.is_char_boundary(i)) {
                            text.replace_range(at..end, "");
                        }
                    }
                    _ => {
                        let end = (at + 1 + next(40)).min(text.len());
                        if let Some(end) = (end..=text.len()).find(|&i| text.is_char_boundary(i)) {
                            let copy = text[at..end].to_owned();
                            text.insert_str(end, &copy);
                        }
                    }
                }
            }
            let verdict = validate(&text);
            assert_eq!(verdict, reference(&text), "{text}");
            rejected += usize::from(verdict.is_err());
        }
        // The mutants reach past the parser into the checks, and some stay valid.
        assert!((1_000..19_900).contains(&rejected), "{rejected} of 20000 rejected");
    }
}
