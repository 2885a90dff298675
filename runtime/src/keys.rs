//! The names every engine that deploys a bundle must give alike (`journey run`, crate
//! `journey-engine`, and the Temporal worker, crate `journey-temporal`): the bundle set's hash,
//! which versions a deployment, and each send's idempotency key, so a receiver can drop a repeat
//! whichever engine delivered it (docs/deploy.md, "Sinks and delivery").
//!
//! Both are SHA-256 in lowercase hex over parts each preceded by its length in bytes (u64,
//! big-endian), so no two different lists of parts hash alike. SHA-256 rather than the FNV-1a of
//! split draws: a key is a name other systems store and compare, and must not collide by chance
//! across millions of sends.

use sha2::{Digest, Sha256};

use crate::action::Action;

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 15] {
            out.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    out
}

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
pub fn bundle_set<S: AsRef<str>>(texts: &[S]) -> String {
    let mut sorted: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    length_prefixed(sorted)
}

/// A send's idempotency key: from the bundle set's hash, the contact, the journey, the run, the
/// node (empty for none), the send's time as written, and its place among the contact's actions
/// (from 0: a replay only ever extends them, so the place is stable). Deterministic from the send
/// itself: a send delivered again after a crash or a retry carries the same key. The place keeps
/// two sends apart that share everything else: a `goto` loop that sends again from the same step
/// in the same second (two answers in one second) must not lose its second send to a receiver
/// that drops repeated keys.
pub fn send_key(
    bundles: &str,
    contact: &str,
    journey: &str,
    run: u64,
    node: Option<&str>,
    at: &str,
    place: usize,
) -> String {
    let run = run.to_string();
    let place = place.to_string();
    length_prefixed([bundles, contact, journey, run.as_str(), node.unwrap_or(""), at, place.as_str()])
}

/// [`send_key`] of an action at `place` among its contact's actions.
pub fn key_of(bundles: &str, action: &Action, place: usize) -> String {
    send_key(bundles, &action.contact, &action.journey, action.run, action.node.as_deref(), &action.at, place)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values were computed with Python's hashlib from the definition above, not by this code.
    #[test]
    fn keys_are_length_prefixed_sha256_in_lowercase_hex_as_computed_independently() {
        let key = send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z", 0);
        assert_eq!(key, "5e6efedb1328549c11f27d9733cc5c3969caef37298e07fc824c2b87888d4461");
        let set = "b1a21eaee31eeae6408b9e6e3666fd124c20eed1689f44c6c8f1299dbe005ca6";
        assert_eq!(bundle_set(&[r#"{"b":1}"#, r#"{"a":2}"#]), set);
        assert_eq!(bundle_set(&[r#"{"a":2}"#, r#"{"b":1}"#]), set);
    }

    #[test]
    fn a_key_differs_when_any_part_differs() {
        let key = send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z", 0);
        let others = [
            send_key("b2", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z", 0),
            send_key("b", "c2", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z", 0),
            send_key("b", "c", "j2", 1, Some("s.1"), "2026-03-02T15:00:00Z", 0),
            send_key("b", "c", "j", 2, Some("s.1"), "2026-03-02T15:00:00Z", 0),
            send_key("b", "c", "j", 1, None, "2026-03-02T15:00:00Z", 0),
            send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:01Z", 0),
            send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z", 1),
            // Length prefixes: moving a character between parts changes the key.
            send_key("b", "cj", "", 1, Some("s.1"), "2026-03-02T15:00:00Z", 0),
        ];
        for other in others {
            assert_ne!(key, other);
        }
    }
}
