//! An independent compliance monitor over a runtime's action stream (docs/simulate.md,
//! "Monitor findings").
//!
//! It replays each contact's history in time order (the contacts' starting consents, their events
//! and the runtime's actions) and checks every `send` at the moment it was handed over against
//! the rules of docs/rules.md: consent, revocations included ([`consent`]); the channel's
//! messaging window and tags ([`window`]); quiet hours against the policy and the jurisdiction
//! ([`quiet`]); frequency per contact across journeys and runs, and consent-request limits
//! ([`frequency`]); opt-out wording ([`wording`]).
//!
//! It is the oracle for differential testing of the checker and the runtime, so it shares only
//! rule *data* with them (`journey_compiler::flow::rules`, the word lists of
//! `journey_compiler::content::optout`): never the flow analyses, the compliance records' proofs
//! or the content checks. It is pure: no clock, files, environment or network.

pub mod bundle;
pub mod consent;
pub mod frequency;
pub mod history;
pub mod input;
pub mod quiet;
pub mod window;
pub mod wording;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use bundle::{BundleError, Bundles};
pub use input::{
    parse_actions, parse_contacts, parse_events, parse_jsonl, to_jsonl, Action, Contact, Event, Finding, LineError,
    Time,
};

use bundle::Form;
use frequency::PastRequest;
use history::{Item, State};

/// A rule a send broke, before it is tied to the send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: String,
    pub reason: String,
}

impl Violation {
    pub fn new(rule: &str, reason: String) -> Violation {
        Violation { rule: rule.to_owned(), reason }
    }
}

/// Reads the bundles and monitors: see [`monitor`].
pub fn monitor_json(
    bundles: &[Value],
    contacts: &[Contact],
    events: &[Event],
    actions: &[Action],
) -> Result<Vec<Finding>, BundleError> {
    Ok(monitor(&Bundles::from_json(bundles)?, contacts, events, actions))
}

/// Every violation of the `send` actions, sorted by time, contact, journey, node and rule.
pub fn monitor(bundles: &Bundles, contacts: &[Contact], events: &[Event], actions: &[Action]) -> Vec<Finding> {
    let by_id: BTreeMap<&str, &Contact> = contacts.iter().map(|c| (c.contact.as_str(), c)).collect();
    let no_window = history::answers_without_window(bundles, actions);
    let empty = BTreeSet::new();
    let mut findings = Vec::new();
    for (contact, items) in history::timelines(events, actions) {
        let mut state = State::new(by_id.get(contact).copied());
        let no_window = no_window.get(contact).unwrap_or(&empty);
        for item in items {
            match item {
                Item::Event(event) => state.apply_event(bundles, event, no_window),
                Item::Action(action) if action.action == "send" => {
                    let violations = check_send(bundles, &mut state, action);
                    findings.extend(violations.into_iter().map(|v| Finding {
                        at: action.at,
                        contact: action.contact.clone(),
                        journey: action.journey.clone(),
                        node: action.node.clone(),
                        action: "violation".to_owned(),
                        rule: v.rule,
                        message: action.message.clone().unwrap_or_default(),
                        reason: v.reason,
                    }));
                }
                Item::Action(action) => state.apply_action(bundles, action),
            }
        }
    }
    findings.sort_by(Finding::order);
    findings
}

/// Checks one send against the state before it, then records it.
fn check_send(bundles: &Bundles, state: &mut State, action: &Action) -> Vec<Violation> {
    let journey = bundles.journeys.get(&action.journey);
    // The bundle's message is what was sent; the action's own fields are the fallback for a
    // message the bundles do not have.
    let message = journey.and_then(|j| action.message.as_ref().and_then(|m| j.messages.get(m)));
    let Some(name) = message.map(|m| m.channel.clone()).or_else(|| action.channel.clone()) else {
        return Vec::new();
    };
    let Some(category) = message.map(|m| m.category.clone()).or_else(|| action.category.clone()) else {
        return Vec::new();
    };
    let form = message.map(|m| m.form.clone()).unwrap_or_else(|| Form::parse(action.form.as_deref().unwrap_or("")));
    let channel = bundles.channels.get(&name);
    let at = action.at;
    let last = state.inbound.get(&name);
    let inside = window::inside(channel, last, at);
    let phone_text = channel.is_some_and(bundle::Channel::is_phone_text);

    let mut out = consent::check(&state.consent, &name, channel, &category, &form, inside);
    out.extend(window::check(&name, channel, last, &category, &form, at));
    out.extend(window::check_person(&name, &form, state.agent_answered));
    if let Some(journey) = journey {
        out.extend(consent::us_marketing_template(journey, &state.profile, &name, &category, &form, at));
        out.extend(quiet::check(journey, channel, &category, &state.profile, at));
        out.extend(frequency::check(
            &journey.policies.frequency,
            &journey.policies.jurisdiction,
            &state.sends,
            &name,
            &category,
            phone_text,
            at,
        ));
        if let (Some(channel), Some(message)) = (channel, message) {
            out.extend(wording::check(bundles, journey, channel, message, &category));
        }
    }
    let request = history::request_node(bundles, action).and_then(|n| Some((n.channel.clone()?, n.category.clone()?)));
    if let Some((request_channel, request_category)) = &request {
        out.extend(frequency::check_request(&state.requests, request_channel, request_category, at));
    }

    // Any message on the channel uses up a window that allows one (IG-PR, MSGR-PR).
    if let Some(last) = state.inbound.get_mut(&name).filter(|l| l.single) {
        last.used = true;
    }
    state.sends.push(at, &name, &category, phone_text);
    if let Some((channel, category)) = request {
        state.requests.push(PastRequest { at, channel, category });
    }
    state.consent.note_send(&name);
    out
}
