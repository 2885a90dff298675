//! The consent store (§5): per contact, the (channel, category) consents held now and the
//! channels the contact revoked entirely (STOP).

use std::collections::{BTreeMap, BTreeSet};

/// How a consent was obtained: its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// Seconds; `None` for consent held before the first event (the contacts file).
    pub at: Option<i64>,
    pub how: String,
}

#[derive(Debug, Clone, Default)]
pub struct Store {
    /// By channel, then category: looked up with borrowed names (every send and every `consent()`
    /// condition asks), where a `(String, String)` key had to be built to ask.
    held: BTreeMap<String, BTreeMap<String, Proof>>,
    blocked: BTreeSet<String>,
}

impl Store {
    pub fn holds(&self, channel: &str, category: &str) -> bool {
        !self.blocked.contains(channel) && self.held.get(channel).is_some_and(|held| held.contains_key(category))
    }

    /// A new consent; an explicit grant also lifts a STOP on the channel (like START).
    pub fn grant(&mut self, channel: &str, category: &str, proof: Proof) {
        self.blocked.remove(channel);
        self.held.entry(channel.to_owned()).or_default().insert(category.to_owned(), proof);
    }

    /// Revokes one category, or every category (`None`) on a channel; `block` also refuses every
    /// later send on it until a new grant.
    pub fn revoke(&mut self, channel: &str, category: Option<&str>, block: bool) {
        match category {
            None => {
                self.held.remove(channel);
            }
            Some(only) => {
                if let Some(held) = self.held.get_mut(channel) {
                    held.remove(only);
                }
            }
        }
        if block {
            self.blocked.insert(channel.to_owned());
        }
    }

    pub fn blocked(&self, channel: &str) -> bool {
        self.blocked.contains(channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_revokes_every_category_and_blocks_until_a_new_grant() {
        let mut store = Store::default();
        let proof = Proof { at: None, how: "contacts file".into() };
        store.grant("sms", "marketing", proof.clone());
        store.grant("sms", "utility", proof.clone());
        store.grant("email", "marketing", proof.clone());
        store.revoke("sms", None, true);
        assert!(!store.holds("sms", "marketing") && !store.holds("sms", "utility") && store.blocked("sms"));
        assert!(store.holds("email", "marketing"));
        store.grant("sms", "marketing", proof);
        assert!(store.holds("sms", "marketing") && !store.blocked("sms"));
    }
}
