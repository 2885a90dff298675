//! Hashes that name things durably: the bundle set a database was made with, the prefix of a
//! contact's actions already taken, and each send's idempotency key.

use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 15] {
            out.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        }
    }
    out
}

/// The hash of a bundle set: of each bundle's JSON text, sorted, so the order the compiler
/// emits them in does not matter.
pub fn bundle_set(texts: &[String]) -> String {
    let mut sorted: Vec<&String> = texts.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for text in sorted {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    hex(&hasher.finalize())
}

/// A send's idempotency key: from the bundle set, the contact, the journey, the run, the node
/// and the time, each length-prefixed, so no two sends share a key and a redelivery after a
/// crash has the key it had (docs/deploy.md, "Delivery").
pub fn send_key(bundles: &str, contact: &str, journey: &str, run: u64, node: Option<&str>, at: &str) -> String {
    let mut hasher = Sha256::new();
    let run = run.to_string();
    let node = node.unwrap_or("");
    for part in [bundles, contact, journey, run.as_str(), node, at] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex(&hasher.finalize())
}

/// A running hash over a contact's action lines: the value after the first `n` lines is
/// stored, and a replay must reach it again with its own first `n` lines.
#[derive(Default)]
pub struct Prefix(Sha256);

impl Prefix {
    pub fn push(&mut self, line: &str) {
        self.0.update((line.len() as u64).to_be_bytes());
        self.0.update(line.as_bytes());
    }

    pub fn value(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hex_sha256_and_differ_when_any_part_differs() {
        let key = send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z");
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z"));
        let others = [
            send_key("b2", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z"),
            send_key("b", "c2", "j", 1, Some("s.1"), "2026-03-02T15:00:00Z"),
            send_key("b", "c", "j2", 1, Some("s.1"), "2026-03-02T15:00:00Z"),
            send_key("b", "c", "j", 2, Some("s.1"), "2026-03-02T15:00:00Z"),
            send_key("b", "c", "j", 1, None, "2026-03-02T15:00:00Z"),
            send_key("b", "c", "j", 1, Some("s.1"), "2026-03-02T15:00:01Z"),
            // Length prefixes: moving a character between parts changes the key.
            send_key("b", "cj", "", 1, Some("s.1"), "2026-03-02T15:00:00Z"),
        ];
        for other in others {
            assert_ne!(key, other);
        }
    }

    #[test]
    fn the_bundle_set_hash_ignores_the_order_of_the_bundles() {
        let a = bundle_set(&["x".to_owned(), "y".to_owned()]);
        assert_eq!(a, bundle_set(&["y".to_owned(), "x".to_owned()]));
        assert_ne!(a, bundle_set(&["x".to_owned(), "z".to_owned()]));
    }
}
