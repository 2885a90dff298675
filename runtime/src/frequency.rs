//! Frequency (§6): per contact, the sends handed over, by channel and category, across runs and
//! journeys.

use std::borrow::Cow;

use crate::bundle::Frequency;

/// The categories a bundle may name (it is refused otherwise): recorded without an allocation.
const CATEGORIES: [&str; 4] = ["service", "utility", "marketing", "authentication"];

#[derive(Debug, Clone, Default)]
pub struct History {
    /// (at, channel, category), in time order.
    sends: Vec<(i64, String, Cow<'static, str>)>,
}

impl History {
    pub fn record(&mut self, at: i64, channel: &str, category: &str) {
        let category = match CATEGORIES.iter().find(|known| **known == category) {
            Some(known) => Cow::Borrowed(*known),
            None => Cow::Owned(category.to_owned()),
        };
        self.sends.push((at, channel.to_owned(), category));
    }

    /// The first rule that one more send of `category` on `channel` at `now` would break: counted
    /// over the sliding window `(now - per_s, now]`, so a send exactly `per_s` earlier no longer
    /// counts. A channel's cap counts only that channel's sends.
    pub fn exceeded<'a>(
        &self,
        rules: &'a [Frequency],
        channel: &str,
        category: &str,
        now: i64,
    ) -> Option<(&'a Frequency, u64)> {
        let applies =
            |rule: &Frequency| rule.category == category && rule.channel.as_deref().is_none_or(|c| c == channel);
        rules.iter().filter(|r| applies(r)).find_map(|rule| {
            let counted = |ch: &str| rule.channel.as_deref().is_none_or(|c| c == ch);
            let count =
                self.sends.iter().filter(|(at, ch, c)| *c == category && counted(ch) && now - at < rule.per_s).count();
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
        let rules = [Frequency { channel: None, category: "marketing".into(), max: 2, per_s: 100 }];
        let mut history = History::default();
        history.record(0, "sms", "marketing");
        history.record(10, "sms", "utility");
        history.record(50, "email", "marketing");
        assert!(history.exceeded(&rules, "sms", "marketing", 99).is_some());
        assert!(history.exceeded(&rules, "sms", "marketing", 100).is_none());
        assert!(history.exceeded(&rules, "sms", "utility", 60).is_none());
    }

    #[test]
    fn a_channel_cap_counts_only_that_channels_sends() {
        let rules = [Frequency { channel: Some("sms".into()), category: "marketing".into(), max: 1, per_s: 100 }];
        let mut history = History::default();
        history.record(0, "email", "marketing");
        assert!(history.exceeded(&rules, "sms", "marketing", 10).is_none());
        assert!(history.exceeded(&rules, "email", "marketing", 10).is_none());
        history.record(20, "sms", "marketing");
        assert!(history.exceeded(&rules, "sms", "marketing", 30).is_some());
        assert!(history.exceeded(&rules, "email", "marketing", 30).is_none());
    }
}
