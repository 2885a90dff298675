//! Reading a bundle back the way a runtime would, and checking its internal references.
//!
//! The text is read whole into a `serde_json::Value` with serde_json's default reader, exactly
//! as a runtime reading the bundle would: its nesting limit (128), number ranges (`1e400`),
//! escapes (lone surrogates) and, of two entries with one key, the later one counting. A typed
//! reader that skipped what the checks do not need was 5x faster at 10,000 stages (12.6 against
//! 69 ms), but no performance bar needs it (docs/performance.md) and it was 330 lines of subtle
//! code; this is the simple one it was tested against.

use serde_json::Value;

use super::{FORMAT, FORMAT_VERSION, NODE_KINDS};

/// Reads a bundle back the way a runtime would (serde_json's default reader, with its nesting
/// limit) and checks its internal references: every edge and stage points at a node or `exit`,
/// every node kind is known, a split has one edge per share, every sent message is included.
/// The writer refuses to write a bundle that fails this.
pub fn validate(text: &str) -> Result<(), String> {
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
        let next = node.get("next").and_then(Value::as_object).ok_or_else(|| format!("node `{id}` has no `next`"))?;
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

#[cfg(test)]
mod tests {
    //! What `validate` accepts and refuses, with its messages, on hand-made edge cases (a
    //! snapshot) and on many mutants of a bundle (never a panic; the checks are reached).

    use serde_json::Value;

    use super::validate;

    const BUNDLE: &str = r#"{
  "format": "journey-bundle",
  "format_version": 2,
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
    fn the_bundle_and_hand_made_edge_cases_are_accepted_or_refused_with_their_reason() {
        assert_eq!(validate(BUNDLE), Ok(()));
        let with = |from: &str, to: &str| {
            assert!(BUNDLE.contains(from), "{from}");
            BUNDLE.replacen(from, to, 1)
        };
        let mut verdicts = Vec::new();
        for case in [
            String::new(),
            "null".into(),
            "[]".into(),
            "\"journey-bundle\"".into(),
            "{}".into(),
            format!("{BUNDLE} x"),
            format!("{BUNDLE}\n\n"),
            with("\"format_version\": 2", "\"format_version\": 2.0"),
            with("\"format_version\": 2", "\"format_version\": -2"),
            with("\"format_version\": 2", "\"format_version\": -0"),
            with("\"format_version\": 2", "\"format_version\": 18446744073709551616"),
            with("\"format_version\": 2", "\"format_version\": 2, \"format_version\": 3"),
            with("\"format_version\": 2", "\"format_version\": 3, \"format_version\": 2"),
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
            let verdict = match validate(&case) {
                Ok(()) => "ok".to_owned(),
                Err(why) => why,
            };
            verdicts.push(verdict);
        }
        insta::assert_snapshot!(verdicts.join("\n"));
    }

    #[test]
    fn mutants_of_a_bundle_are_refused_for_their_syntax_exactly_when_json_refuses_them() {
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
            // What a `Value` reads, the validator reads: a text that parses is never refused
            // for its syntax.
            if serde_json::from_str::<Value>(&text).is_ok() {
                assert!(!verdict.as_ref().is_err_and(|why| why.starts_with("does not read back")), "{text}");
            } else {
                assert!(verdict.as_ref().is_err_and(|why| why.starts_with("does not read back")), "{text}");
            }
            rejected += usize::from(verdict.is_err());
        }
        // The mutants reach past the parser into the checks, and some stay valid.
        assert!((1_000..19_900).contains(&rejected), "{rejected} of 20000 rejected");
    }
}
