//! Messaging windows (§4.3): per contact and channel, the last inbound message and the window it
//! opened.

use crate::bundle::Channel;

#[derive(Debug, Clone, Copy)]
struct Inbound {
    at: i64,
    /// The event's own window (an ad reply's 7 days); `None`: the channel's.
    opened_s: Option<i64>,
}

/// By channel, in the order first written to: a contact writes on a channel or two, and a
/// small vector is cheaper to search, make and drop than a map.
#[derive(Debug, Clone, Default)]
pub struct Windows {
    last: Vec<(String, Inbound)>,
}

/// The outcome of a window check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Inside,
    /// Outside: the reason, for the refusal.
    Outside(String),
}

impl Windows {
    /// A message from the contact on `channel` at `at`; it replaces the previous one.
    pub fn inbound(&mut self, channel: &str, at: i64, opened_s: Option<i64>) {
        // The channel's name is copied only the first time.
        match self.last.iter_mut().find(|(name, _)| name == channel) {
            Some((_, last)) => *last = Inbound { at, opened_s },
            None => self.last.push((channel.to_owned(), Inbound { at, opened_s })),
        }
    }

    /// Whether a send of `form` at `now` on a channel is allowed by its window. Boundaries are
    /// inclusive: a send exactly `window_s` after the last inbound message is inside, as the
    /// compiler's bound `window_max_s <= window_s` assumes.
    pub fn check(&self, channel_name: &str, channel: &Channel, form: &str, now: i64) -> Check {
        let Some(window_s) = channel.window_s else { return Check::Inside };
        let last = self.last.iter().find(|(name, _)| name == channel_name).map(|(_, last)| last);
        let since = last.map(|l| now - l.at);
        if form == "template" {
            return Check::Inside;
        }
        if let Some(tag) = form.strip_prefix("tag ") {
            let within = channel.tags.get(tag).and_then(|t| t.within_s);
            return match (within, since) {
                (None, _) => Check::Inside,
                (Some(w), Some(s)) if s <= w => Check::Inside,
                (Some(w), Some(s)) => Check::Outside(format!(
                    "tag {tag} allows {w}s after the contact's last message, and it was {s}s ago"
                )),
                (Some(_), None) => Check::Outside(format!(
                    "tag {tag} needs a message from the contact on {channel_name}, and there is none"
                )),
            };
        }
        match last {
            None => Check::Outside(format!(
                "free-form on {channel_name} needs a message from the contact first, and there is none"
            )),
            Some(l) => {
                let open = l.opened_s.unwrap_or(window_s);
                let since = now - l.at;
                if since <= open {
                    Check::Inside
                } else {
                    Check::Outside(format!("the window closed: the contact's last message on {channel_name} was {since}s ago, the window is {open}s"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel() -> Channel {
        let tag = crate::bundle::ChannelTag { allows: vec!["service".into()], within_s: Some(604_800) };
        Channel {
            window_s: Some(86_400),
            template_required_outside_window: false,
            tags: [("HUMAN_AGENT".to_owned(), tag)].into(),
            keywords: vec![],
            medium: "messaging".into(),
        }
    }

    /// (inbound at, event window, send at, form, inside).
    type Case = (Option<i64>, Option<i64>, i64, &'static str, bool);
    const CASES: &[Case] = &[
        (None, None, 10, "free-form", false),
        (None, None, 10, "template", true),
        (Some(0), None, 86_400, "free-form", true),
        (Some(0), None, 86_401, "free-form", false),
        (Some(0), Some(604_800), 259_200, "free-form", true),
        (Some(0), None, 259_200, "tag HUMAN_AGENT", true),
        (Some(0), None, 604_801, "tag HUMAN_AGENT", false),
    ];

    #[test]
    fn windows_follow_the_last_inbound_message_inclusively() {
        for (inbound, opened, now, form, inside) in CASES {
            let mut windows = Windows::default();
            if let Some(at) = inbound {
                windows.inbound("messenger", *at, *opened);
            }
            assert_eq!(
                windows.check("messenger", &channel(), form, *now) == Check::Inside,
                *inside,
                "{inbound:?} {now} {form}"
            );
        }
    }
}
