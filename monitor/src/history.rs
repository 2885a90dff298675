//! Each contact's history, replayed in time order: what the contact did (the events) and what the
//! runtime did (its actions), merged. At the same second the contact's events come first, then
//! the actions in the runtime's order: an action at that second may be caused by the event (a
//! reply that answers a request), and a revocation that arrives in the same second as a send is
//! taken to precede it, which is the stricter reading.

use std::collections::{BTreeMap, BTreeSet};

use journey_compiler::flow::rules;
use serde_json::{Map, Value};

use crate::bundle::Bundles;
use crate::consent::{self, Store};
use crate::frequency::{PastRequest, PastSends};
use crate::input::{Action, Contact, Event, Time};
use crate::window::Inbound;

/// One thing in a contact's history.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Event(&'a Event),
    Action(&'a Action),
}

/// Per contact, their events and the runtime's actions in the order they are replayed.
pub fn timelines<'a>(events: &'a [Event], actions: &'a [Action]) -> BTreeMap<&'a str, Vec<Item<'a>>> {
    // Items gathered per contact in a vector of groups; a runtime writes a run's actions one
    // after the other, so the group of the item before is tried first, before the search.
    let mut groups: Vec<Vec<(Time, u8, usize, Item<'a>)>> = Vec::new();
    let mut numbers: BTreeMap<&'a str, usize> = BTreeMap::new();
    let mut last: Option<(&'a str, usize)> = None;
    let mut group = |contact: &'a str| -> usize {
        if let Some((seen, number)) = last {
            if seen == contact {
                return number;
            }
        }
        let number = *numbers.entry(contact).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        last = Some((contact, number));
        number
    };
    let mut placed: Vec<(usize, (Time, u8, usize, Item<'a>))> = Vec::with_capacity(events.len() + actions.len());
    for (index, event) in events.iter().enumerate() {
        placed.push((group(event.contact.as_str()), (event.at, 0, index, Item::Event(event))));
    }
    for (index, action) in actions.iter().enumerate() {
        placed.push((group(action.contact.as_str()), (action.at, 1, index, Item::Action(action))));
    }
    for (number, item) in placed {
        if let Some(items) = groups.get_mut(number) {
            items.push(item);
        }
    }
    numbers
        .into_iter()
        .map(|(contact, number)| {
            let mut items = groups.get_mut(number).map(std::mem::take).unwrap_or_default();
            items.sort_by_key(|(at, class, index, _)| (*at, *class, *index));
            (contact, items.into_iter().map(|(_, _, _, item)| item).collect())
        })
        .collect()
}

/// What the monitor knows about one contact at a point of the replay.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub profile: Map<String, Value>,
    pub consent: Store,
    /// Per channel, the contact's last message on it.
    pub inbound: BTreeMap<String, Inbound>,
    pub sends: PastSends,
    pub requests: Vec<PastRequest>,
    /// When a person last took the conversation over and answered (`handoff_resolved`): a
    /// message under the human-agent tag is a person's reply only after that (MSGR-TAG-HA).
    pub agent_answered: Option<Time>,
}

impl State {
    pub fn new(contact: Option<&Contact>) -> State {
        let mut state = State::default();
        if let Some(contact) = contact {
            state.profile = contact.profile.clone();
            for entry in &contact.consent {
                state.consent.grant(&entry.channel, &entry.category, None, "the contact's consent at the start");
            }
        }
        state
    }

    /// A message from the contact on `channel` at `at`, opening `window_s` (or the channel's).
    /// `single`: the window allows one message (`replies: 1`).
    fn open(&mut self, bundles: &Bundles, channel: &str, window_s: Option<u64>, single: bool, at: Time, how: &str) {
        let opened = window_s.or_else(|| bundles.channels.get(channel).and_then(|c| c.window_s));
        match opened {
            Some(opened_s) => {
                let inbound = Inbound { at, opened_s, how: how.to_owned(), single, used: false };
                self.inbound.insert(channel.to_owned(), inbound);
            }
            // A message on a channel without a window leaves nothing open.
            None => {
                self.inbound.remove(channel);
            }
        }
    }

    /// The contact withdrew everything on `channel`: on a phone text the program then stays
    /// silent (CTIA-STOP), elsewhere the consents are gone.
    fn withdraw(&mut self, bundles: &Bundles, channel: &str, at: Time, how: &str, rule: &'static str) {
        let phone_text = match bundles.channels.get(channel) {
            Some(c) => c.is_phone_text(),
            None => channel == "sms",
        };
        if phone_text {
            self.consent.silence(channel, at, how, rule);
        } else {
            self.consent.revoke(channel, None, at, how);
        }
    }

    /// A text from the contact that is an opt-out keyword of the channel.
    fn keyword(&mut self, bundles: &Bundles, channel: &str, text: Option<&str>, at: Time) {
        let Some(text) = text else { return };
        if bundles.channels.get(channel).is_some_and(|c| consent::is_opt_out(c, text)) {
            self.withdraw(bundles, channel, at, &format!("the keyword {}", text.trim()), "CTIA-STOP");
        }
    }

    /// Applies one of the contact's events. `no_window`: (time, channel) of answers to consent
    /// requests that open no window (MSGR-MKT).
    pub fn apply_event(&mut self, bundles: &Bundles, event: &Event, no_window: &BTreeSet<(Time, String)>) {
        let at = event.at;
        if let Some(profile) = &event.profile {
            for (field, value) in profile {
                self.profile.insert(field.clone(), value.clone());
            }
            return;
        }
        match event.event.as_str() {
            "reply" => {
                let Some(channel) = event.text("channel") else { return };
                if !no_window.contains(&(at, channel.to_owned())) {
                    self.open(bundles, channel, None, false, at, "reply");
                }
                self.keyword(bundles, channel, event.text("text"), at);
            }
            "handoff_resolved" => self.agent_answered = Some(at),
            "consent_granted" => {
                if let (Some(channel), Some(category)) = (event.text("channel"), event.text("category")) {
                    self.consent.grant(channel, category, Some(at), "consent_granted");
                }
            }
            "consent_revoked" => {
                let Some(channel) = event.text("channel") else { return };
                match event.text("category") {
                    Some(category) => self.consent.revoke(channel, Some(category), at, "consent_revoked"),
                    None => self.withdraw(bundles, channel, at, "consent_revoked (every category)", "TCPA-REV"),
                }
            }
            name => {
                for revocation in rules::REVOCATIONS.iter().filter(|r| r.event == name) {
                    let rule = match revocation.source.split(',').next().map(str::trim) {
                        Some("CTIA-STOP") => "CTIA-STOP",
                        _ => "TCPA-REV",
                    };
                    self.withdraw(bundles, revocation.channel, at, name, rule);
                }
                if let Some(schema) = bundles.events.get(name) {
                    if let Some(channel) = &schema.inbound {
                        self.open(bundles, channel, schema.window_s, schema.replies.is_some(), at, name);
                        self.keyword(bundles, channel, event.text("text"), at);
                    }
                }
            }
        }
    }

    /// Applies an action that changes what the monitor knows (sends are checked by the caller).
    pub fn apply_action(&mut self, bundles: &Bundles, action: &Action) {
        match action.action.as_str() {
            "branch" => {
                let Some(node) = request_node(bundles, action) else { return };
                let (Some(channel), Some(category)) = (&node.channel, &node.category) else { return };
                let how = format!("the consent request {}", action.node.as_deref().unwrap_or("?"));
                match action.outcome.as_deref() {
                    Some("granted") => self.consent.grant(channel, category, Some(action.at), &how),
                    // A refusal withdraws that consent (GDPR-7).
                    Some("declined") => {
                        self.consent.revoke(channel, Some(category), action.at, &format!("declining {how}"))
                    }
                    _ => {}
                }
            }
            // A `revoke consent` step ran: the bundle's node says what it withdrew.
            "consent" => {
                let Some(node) = node_of_kind(bundles, action, "consent_revoke") else { return };
                let (Some(channel), Some(category)) = (&node.channel, &node.category) else { return };
                let how = format!("the step revoke consent {}", action.node.as_deref().unwrap_or("?"));
                self.consent.revoke(channel, Some(category), action.at, &how);
            }
            "set" => {
                if let Some(field) = &action.field {
                    match &action.value {
                        None | Some(Value::Null) => {
                            self.profile.remove(field);
                        }
                        Some(value) => {
                            self.profile.insert(field.clone(), value.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The consent-request node an action happened at, if it is one.
pub fn request_node<'b>(bundles: &'b Bundles, action: &Action) -> Option<&'b crate::bundle::Node> {
    node_of_kind(bundles, action, "consent_request")
}

/// The node an action happened at, if it is of `kind`.
fn node_of_kind<'b>(bundles: &'b Bundles, action: &Action, kind: &str) -> Option<&'b crate::bundle::Node> {
    let journey = bundles.journeys.get(&action.journey)?;
    let node = journey.nodes.get(action.node.as_deref()?)?;
    (node.kind == kind).then_some(node)
}

/// (time, contact, channel) of every answer to a consent request whose answer is no message
/// (`rules::OPT_IN_OPENS_NO_WINDOW`: a Messenger marketing opt-in), found from the requests'
/// `branch` actions, so that the `reply` carrying the answer opens no window.
pub fn answers_without_window(bundles: &Bundles, actions: &[Action]) -> BTreeMap<String, BTreeSet<(Time, String)>> {
    let mut out: BTreeMap<String, BTreeSet<(Time, String)>> = BTreeMap::new();
    let answers =
        actions.iter().filter(|a| a.action == "branch" && matches!(a.outcome.as_deref(), Some("granted" | "declined")));
    for action in answers {
        let Some(node) = request_node(bundles, action) else { continue };
        let (Some(channel), Some(category)) = (&node.channel, &node.category) else { continue };
        if !rules::OPT_IN_OPENS_NO_WINDOW.iter().any(|(c, k, _)| c == channel && k == category) {
            continue;
        }
        let message_channel = bundles
            .journeys
            .get(&action.journey)
            .and_then(|j| node.message.as_ref().and_then(|m| j.messages.get(m)))
            .map_or(channel.as_str(), |m| m.channel.as_str());
        out.entry(action.contact.clone()).or_default().insert((action.at, message_channel.to_owned()));
    }
    out
}
