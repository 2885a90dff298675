//! The consent store (§5): per contact, the (channel, category) consents held now and the
//! channels the contact revoked entirely (STOP).

use std::borrow::Cow;

/// How a consent was obtained: its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// Seconds; `None` for consent held before the first event (the contacts file).
    pub at: Option<i64>,
    /// Borrowed when it is a fixed text (the contacts file, an event).
    pub how: Cow<'static, str>,
}

const CATEGORIES: [&str; 4] = ["service", "utility", "marketing", "authentication"];

/// A contact holds a handful of consents, and every send and every `consent()` condition asks
/// about one: small vectors searched in order beat maps here, in lookups (no key to build, names
/// of different lengths never compared byte by byte), in making and in dropping.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// (channel, category, proof); one entry per channel and category. The category is one of
    /// the four, borrowed, unless some caller names another.
    held: Vec<(String, Cow<'static, str>, Proof)>,
    blocked: Vec<String>,
}

impl Store {
    pub fn holds(&self, channel: &str, category: &str) -> bool {
        !self.blocked(channel) && self.held.iter().any(|(c, k, _)| c == channel && k == category)
    }

    /// A new consent; an explicit grant also lifts a STOP on the channel (like START).
    pub fn grant(&mut self, channel: &str, category: &str, proof: Proof) {
        self.blocked.retain(|c| c != channel);
        match self.held.iter_mut().find(|(c, k, _)| c == channel && k == category) {
            Some((_, _, held)) => *held = proof,
            None => {
                let category = match CATEGORIES.iter().find(|known| **known == category) {
                    Some(known) => Cow::Borrowed(*known),
                    None => Cow::Owned(category.to_owned()),
                };
                self.held.push((channel.to_owned(), category, proof));
            }
        }
    }

    /// Revokes one category, or every category (`None`) on a channel; `block` also refuses every
    /// later send on it until a new grant.
    pub fn revoke(&mut self, channel: &str, category: Option<&str>, block: bool) {
        self.held.retain(|(c, k, _)| !(c == channel && category.is_none_or(|only| only == *k)));
        if block && !self.blocked(channel) {
            self.blocked.push(channel.to_owned());
        }
    }

    pub fn blocked(&self, channel: &str) -> bool {
        self.blocked.iter().any(|c| c == channel)
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
