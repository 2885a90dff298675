//! Messaging windows (§4.3): per contact and channel, the last inbound message and the window it
//! opened.

use crate::bundle::Channel;

#[derive(Debug, Clone, Copy)]
struct Inbound {
    at: i64,
    /// The event's own window (an ad reply's 7 days); `None`: the channel's.
    opened_s: Option<i64>,
    /// The window allows one message (`replies: 1`, a private reply to a comment), and whether
    /// it was sent: then the contact counts as not having written until they write again.
    single: bool,
    used: bool,
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
    /// A message from the contact on `channel` at `at`; it replaces the previous one. `single`:
    /// its window allows one message (§4.3, `replies: 1`).
    pub fn inbound(&mut self, channel: &str, at: i64, opened_s: Option<i64>, single: bool) {
        let inbound = Inbound { at, opened_s, single, used: false };
        // The channel's name is copied only the first time.
        match self.last.iter_mut().find(|(name, _)| name == channel) {
            Some((_, last)) => *last = inbound,
            None => self.last.push((channel.to_owned(), inbound)),
        }
    }

    /// A message went out on `channel`: a window that allows one message is used up (§4.3).
    pub fn sent(&mut self, channel: &str) {
        if let Some((_, last)) = self.last.iter_mut().find(|(name, _)| name == channel) {
            last.used |= last.single;
        }
    }

    /// Whether a send of `form` at `now` on a channel is allowed by its window. Boundaries are
    /// inclusive: a send exactly `window_s` after the last inbound message is inside, as the
    /// compiler's bound `window_max_s <= window_s` assumes.
    pub fn check(&self, channel_name: &str, channel: &Channel, form: &str, now: i64) -> Check {
        let Some(window_s) = channel.window_s else { return Check::Inside };
        let last = self.last.iter().find(|(name, _)| name == channel_name).map(|(_, last)| last);
        if form == "template" {
            return Check::Inside;
        }
        // A window that allowed one message and had it: as if the contact had not written.
        if last.is_some_and(|l| l.used) && !form.starts_with("tag ") {
            return Check::Outside(format!(
                "free-form on {channel_name} after the one reply the contact's last message allowed; they have not written since"
            ));
        }
        let last = last.filter(|l| !l.used);
        let since = last.map(|l| now - l.at);
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
    fn a_window_that_allows_one_reply_closes_after_the_first_send_until_the_contact_writes() {
        let mut windows = Windows::default();
        windows.inbound("messenger", 0, Some(604_800), true);
        assert_eq!(windows.check("messenger", &channel(), "free-form", 3_600), Check::Inside);
        windows.sent("messenger");
        assert!(matches!(windows.check("messenger", &channel(), "free-form", 3_601), Check::Outside(_)));
        assert!(matches!(windows.check("messenger", &channel(), "tag HUMAN_AGENT", 3_601), Check::Outside(_)));
        assert_eq!(windows.check("messenger", &channel(), "template", 3_601), Check::Inside);
        windows.inbound("messenger", 7_200, None, false);
        windows.sent("messenger");
        assert_eq!(windows.check("messenger", &channel(), "free-form", 7_300), Check::Inside);
    }

    #[test]
    fn windows_follow_the_last_inbound_message_inclusively() {
        for (inbound, opened, now, form, inside) in CASES {
            let mut windows = Windows::default();
            if let Some(at) = inbound {
                windows.inbound("messenger", *at, *opened, false);
            }
            assert_eq!(
                windows.check("messenger", &channel(), form, *now) == Check::Inside,
                *inside,
                "{inbound:?} {now} {form}"
            );
        }
    }
}
