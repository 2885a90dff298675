//! The names that must be the same on both engines (`journey run`, crate `journey-engine`, and
//! this one): the bundle set's hash and each send's idempotency key, so a receiver can drop a
//! repeat whichever engine delivered it. The same algorithms as `journey-engine`'s `keys.rs`
//! (docs/deploy.md, "Sinks and delivery"); the tests pin their values, computed independently.

use journey_runtime::Action;
use sha2::{Digest, Sha256};

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over the parts, each preceded by its length in bytes (u64, big-endian), so that no
/// two different lists of parts hash alike.
fn length_prefixed<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

/// The hash of a bundle set (its version): of each bundle's JSON text, sorted, so the order the
/// compiler emits them in does not matter.
pub fn bundle_set(texts: &[&str]) -> String {
    let mut sorted = texts.to_vec();
    sorted.sort_unstable();
    length_prefixed(sorted)
}

/// A send's idempotency key: from the bundle set's hash, the contact, the journey, the run, the
/// node (empty for none) and the send's time as written. Deterministic from the send itself: a
/// send delivered again after a crash or a retry carries the same key.
pub fn idempotency_key(bundles_hash: &str, action: &Action) -> String {
    let run = action.run.to_string();
    let node = action.node.as_deref().unwrap_or("");
    length_prefixed([bundles_hash, &action.contact, &action.journey, &run, node, &action.at])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(at: &str, node: Option<&str>) -> Action {
        Action {
            at: at.to_owned(),
            contact: "c".to_owned(),
            journey: "j".to_owned(),
            run: 1,
            node: node.map(str::to_owned),
            what: journey_runtime::What::Track { event: "x".to_owned() },
        }
    }

    /// The values were computed with Python's hashlib from the same definition.
    #[test]
    fn the_key_is_length_prefixed_sha256_of_the_sends_coordinates_in_lowercase_hex() {
        let key = idempotency_key("b", &send("2026-03-02T15:00:00Z", Some("s.1")));
        assert_eq!(key, "f7fcd424e732a2056c95cd30c2a8cc64103773a974cd7d7862cbaed757687675");
        assert_ne!(key, idempotency_key("b", &send("2026-03-02T15:00:01Z", Some("s.1"))));
        assert_ne!(key, idempotency_key("b", &send("2026-03-02T15:00:00Z", None)));
        assert_ne!(key, idempotency_key("other", &send("2026-03-02T15:00:00Z", Some("s.1"))));
    }

    #[test]
    fn a_bundle_sets_hash_does_not_depend_on_the_order_of_its_bundles() {
        let expected = "b1a21eaee31eeae6408b9e6e3666fd124c20eed1689f44c6c8f1299dbe005ca6";
        assert_eq!(bundle_set(&[r#"{"b":1}"#, r#"{"a":2}"#]), expected);
        assert_eq!(bundle_set(&[r#"{"a":2}"#, r#"{"b":1}"#]), expected);
    }
}
