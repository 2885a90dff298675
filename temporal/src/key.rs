//! The idempotency key of a send, the same on both engines (`journey run` and this one), so a
//! receiver can drop a repeat whichever engine delivered it (docs/deploy-temporal.md).

use journey_runtime::engine::fnv1a;
use journey_runtime::Action;

/// Lowercase hex of FNV-1a 64 over `bundles_hash \n contact \n journey \n run \n node \n at`
/// (a node-less action has an empty node). Deterministic from the send itself: a send delivered
/// again after a crash or a retry carries the same key.
pub fn idempotency_key(bundles_hash: &str, action: &Action) -> String {
    let node = action.node.as_deref().unwrap_or("");
    let text = format!("{bundles_hash}\n{}\n{}\n{}\n{node}\n{}", action.contact, action.journey, action.run, action.at);
    format!("{:016x}", fnv1a(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_fnv1a_of_the_sends_coordinates_in_lowercase_hex() {
        let action = Action {
            at: "2026-03-02T15:00:00Z".to_owned(),
            contact: "a".to_owned(),
            journey: "survey".to_owned(),
            run: 1,
            node: Some("s.1".to_owned()),
            what: journey_runtime::What::Track { event: "x".to_owned() },
        };
        let expected = fnv1a(b"h\na\nsurvey\n1\ns.1\n2026-03-02T15:00:00Z");
        assert_eq!(idempotency_key("h", &action), format!("{expected:016x}"));
        assert_eq!(idempotency_key("h", &action).len(), 16);
        assert_ne!(idempotency_key("other", &action), idempotency_key("h", &action));
    }
}
