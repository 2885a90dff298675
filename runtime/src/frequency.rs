//! Frequency (§6): per contact, the sends handed over, by category, across runs and journeys.

use std::borrow::Cow;

use crate::bundle::Frequency;

/// The categories a bundle may name (it is refused otherwise): recorded without an allocation.
const CATEGORIES: [&str; 4] = ["service", "utility", "marketing", "authentication"];

#[derive(Debug, Clone, Default)]
pub struct History {
    /// (at, category), in time order.
    sends: Vec<(i64, Cow<'static, str>)>,
}

impl History {
    pub fn record(&mut self, at: i64, category: &str) {
        let category = match CATEGORIES.iter().find(|known| **known == category) {
            Some(known) => Cow::Borrowed(*known),
            None => Cow::Owned(category.to_owned()),
        };
        self.sends.push((at, category));
    }

    /// The first rule that one more send of `category` at `now` would break: counted over the
    /// sliding window `(now - per_s, now]`, so a send exactly `per_s` earlier no longer counts.
    pub fn exceeded<'a>(&self, rules: &'a [Frequency], category: &str, now: i64) -> Option<(&'a Frequency, u64)> {
        rules.iter().filter(|r| r.category == category).find_map(|rule| {
            let count = self.sends.iter().filter(|(at, c)| *c == category && now - at < rule.per_s).count();
            let count = u64::try_from(count).unwrap_or(u64::MAX);
            (count.saturating_add(1) > rule.max).then_some((rule, count))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides_and_only_the_capped_category_counts() {
        let rules = [Frequency { category: "marketing".into(), max: 2, per_s: 100 }];
        let mut history = History::default();
        history.record(0, "marketing");
        history.record(10, "utility");
        history.record(50, "marketing");
        assert!(history.exceeded(&rules, "marketing", 99).is_some());
        assert!(history.exceeded(&rules, "marketing", 100).is_none());
        assert!(history.exceeded(&rules, "utility", 60).is_none());
    }
}
