//! The client side: contacts and events (the JSON Lines of `journey simulate --contacts` and
//! `--events`), read and checked whole before anything is sent, then forwarded to each contact's
//! workflow with signal-with-start (which starts the workflow if it is not running); and the
//! `status` query of those workflows.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use journey_runtime::io::{parse_contacts, parse_events, LIMITS};
use temporalio_client::{Client, WorkflowQueryOptions, WorkflowStartOptions};

use crate::bundles::BundleSet;
use crate::clock::TestClock;
use crate::workflow::{ContactWorkflow, Start, Status};

/// One contact's signals, in order: its record (if any), then its events in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContactInput {
    pub record: Option<String>,
    pub events: Vec<String>,
}

/// Reads and checks the contacts and events texts against the bundle set's schema (the checks
/// of `journey simulate`), and splits their lines by contact.
pub fn split(set: &BundleSet, contacts: Option<&str>, events: &str) -> Result<BTreeMap<String, ContactInput>, String> {
    let mut by_contact: BTreeMap<String, ContactInput> = BTreeMap::new();
    let mut known = None;
    if let Some(text) = contacts {
        let parsed = parse_contacts("contacts", text, &set.schema, &LIMITS).map_err(|e| e.to_string())?;
        let lines = text.split('\n').filter(|l| !l.trim().is_empty());
        let ids: BTreeSet<String> = parsed.iter().map(|c| c.id.clone()).collect();
        for (contact, line) in parsed.iter().zip(lines) {
            by_contact.entry(contact.id.clone()).or_default().record = Some(line.to_owned());
        }
        known = Some(ids);
    }
    let parsed = parse_events("events", events, &set.schema, known.as_ref(), &LIMITS).map_err(|e| e.to_string())?;
    let lines = events.split('\n').filter(|l| !l.trim().is_empty());
    for (event, line) in parsed.iter().zip(lines) {
        by_contact.entry(event.contact.clone()).or_default().events.push(line.to_owned());
    }
    Ok(by_contact)
}

/// The test clock for these events: virtual time starts at the first event; schedules are
/// looked for until the last.
pub fn test_clock(set: &BundleSet, events: &str, scale: u32) -> Result<TestClock, String> {
    let parsed = parse_events("events", events, &set.schema, None, &LIMITS).map_err(|e| e.to_string())?;
    let epoch_s = parsed.first().map_or(0, |e| e.at);
    let until_s = parsed.last().map_or(0, |e| e.at);
    Ok(TestClock { epoch_s, scale, until_s })
}

/// What a new contact's workflow starts with (crate::workflow::Start).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub seed: u64,
    pub test_clock: Option<TestClock>,
    pub max_history: Option<u32>,
}

/// What forwarding sent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub contacts: usize,
    pub signals: usize,
    /// Per contact, when (ms since the Unix epoch, this machine's clock) its first signal was
    /// sent: the start of its event-to-action latency.
    pub first_sent_ms: BTreeMap<String, i64>,
}

fn wall_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// Sends every contact's record and events to its workflow in the deployment `base` (on the
/// task queue of `set`'s version), `parallel` contacts at a
/// time (a contact's own signals go one after another, in order).
pub async fn forward(
    client: &Client,
    set: &BundleSet,
    base: &str,
    inputs: &BTreeMap<String, ContactInput>,
    settings: Settings,
    parallel: usize,
) -> Result<Forwarded, String> {
    forward_paced(client, set, base, inputs, settings, parallel, None).await
}

/// [`forward`], starting at most `rate` contacts a second when given (contact `i` is not begun
/// before `i / rate` seconds from the start): a steady stream, for latency figures that are the
/// engine's and not a backlog's (docs/performance.md, "Temporal").
pub async fn forward_paced(
    client: &Client,
    set: &BundleSet,
    base: &str,
    inputs: &BTreeMap<String, ContactInput>,
    settings: Settings,
    parallel: usize,
    rate: Option<std::num::NonZeroU32>,
) -> Result<Forwarded, String> {
    use futures::stream::{self, TryStreamExt};
    let began = tokio::time::Instant::now();
    let signals = stream::iter(inputs.iter().enumerate().map(Ok::<_, String>))
        .map_ok(|(index, (contact, input))| async move {
            if let Some(rate) = rate {
                let offset_ms = u64::try_from(index).unwrap_or(u64::MAX).saturating_mul(1000) / u64::from(rate.get());
                tokio::time::sleep_until(began + std::time::Duration::from_millis(offset_ms)).await;
            }
            let start = Start {
                contact: contact.clone(),
                bundles_hash: set.hash.clone(),
                seed: settings.seed,
                test_clock: settings.test_clock,
                max_history: settings.max_history,
                carried: None,
            };
            let id = crate::workflow_id(base, contact);
            let queue = crate::task_queue(base, set);
            let mut sent = 0;
            let first_sent_ms = wall_ms();
            let record = input.record.iter().map(|line| (true, line));
            for (is_record, line) in record.chain(input.events.iter().map(|line| (false, line))) {
                let options = WorkflowStartOptions::new(queue.as_str(), id.as_str()).build();
                let result = if is_record {
                    client
                        .signal_with_start_workflow(
                            ContactWorkflow::run,
                            start.clone(),
                            ContactWorkflow::contact,
                            line.clone(),
                            options,
                        )
                        .await
                } else {
                    client
                        .signal_with_start_workflow(
                            ContactWorkflow::run,
                            start.clone(),
                            ContactWorkflow::event,
                            line.clone(),
                            options,
                        )
                        .await
                };
                result.map_err(|e| format!("contact `{contact}`: signal-with-start failed: {e}"))?;
                sent += 1;
            }
            Ok::<_, String>((contact.clone(), sent, first_sent_ms))
        })
        .try_buffer_unordered(parallel.max(1));
    let counts: Vec<(String, usize, i64)> = signals.try_collect().await?;
    Ok(Forwarded {
        contacts: counts.len(),
        signals: counts.iter().map(|(_, n, _)| n).sum(),
        first_sent_ms: counts.into_iter().map(|(contact, _, at)| (contact, at)).collect(),
    })
}

/// Asks a contact's workflow for its status.
pub async fn status(client: &Client, base: &str, contact: &str) -> Result<Status, String> {
    let handle = client.get_workflow_handle::<ContactWorkflow>(crate::workflow_id(base, contact));
    handle
        .query(ContactWorkflow::status, (), WorkflowQueryOptions::default())
        .await
        .map_err(|e| format!("contact `{contact}`: status query failed: {e}"))
}

/// Polls the contacts' workflows (those not idle yet, every `every`) until every one is idle,
/// or `timeout` passes; their statuses.
pub async fn wait_idle(
    client: &Client,
    base: &str,
    contacts: &[String],
    timeout: Duration,
    every: Duration,
    parallel: usize,
) -> Result<BTreeMap<String, Status>, String> {
    use futures::stream::{self, StreamExt};
    let deadline = Instant::now() + timeout;
    let mut done: BTreeMap<String, Status> = BTreeMap::new();
    let mut last_error = None;
    loop {
        let pending: Vec<&String> = contacts.iter().filter(|c| !done.contains_key(*c)).collect();
        if pending.is_empty() {
            return Ok(done);
        }
        // A query can time out while the server is busy: that contact is asked again next round.
        let asked: Vec<(String, Result<Status, String>)> = stream::iter(pending)
            .map(|contact| async move { (contact.clone(), status(client, base, contact).await) })
            .buffer_unordered(parallel.max(1))
            .collect()
            .await;
        for (contact, status) in asked {
            match status {
                Ok(status) if status.idle => {
                    done.insert(contact, status);
                }
                Ok(_) => {}
                Err(why) => last_error = Some(why),
            }
        }
        if done.len() < contacts.len() {
            if Instant::now() > deadline {
                let left: Vec<&String> = contacts.iter().filter(|c| !done.contains_key(*c)).take(5).collect();
                let why = last_error.map(|e| format!("; last error: {e}")).unwrap_or_default();
                return Err(format!(
                    "{} contact(s) not idle after {timeout:?}, e.g. {left:?}{why}",
                    contacts.len() - done.len()
                ));
            }
            tokio::time::sleep(every).await;
        }
    }
}
