//! Where sends go: the `deliver` activity, run by Temporal with retries (its default policy:
//! exponential backoff without a limit) until the sink takes the send. A send can reach the
//! sink more than once (a worker that crashes after writing and before reporting), always under
//! the same idempotency key: at-least-once delivery, exactly-once effect at a receiver that drops
//! keys it has seen.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// One send: its idempotency key and its action, a JSON line of `journey simulate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub key: String,
    pub action: String,
    /// Workflow time (ms since the Unix epoch) of the step that decided the send: the
    /// `journey_event_to_action_seconds` histogram counts from it to the sink taking the send.
    /// Absent in the histories of workflows started before it existed.
    #[serde(default)]
    pub step_ms: Option<i64>,
}

impl Delivery {
    /// What a sink gets, as `journey run` gives it: the action's JSON object with
    /// `"idempotency_key":KEY` first.
    pub fn json(&self) -> String {
        // The key is hex and the action a JSON object: no escaping needed.
        let fields = self.action.strip_prefix('{').unwrap_or(&self.action);
        let sep = if fields.starts_with('}') { "" } else { "," };
        format!("{{\"idempotency_key\":\"{}\"{sep}{fields}", self.key)
    }
}

/// The sink every `deliver` activity of this worker writes to.
#[derive(Debug)]
pub enum Sink {
    /// Appends one line per send; a single write per line under a lock, so lines never mix.
    File(Mutex<File>),
    /// POSTs the same JSON with an `Idempotency-Key` header; any status other than 2xx is a
    /// failure Temporal retries.
    Webhook(String),
}

impl Sink {
    pub fn file(path: &Path) -> Result<Sink, String> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open the sink `{}`: {e}", path.display()))?;
        Ok(Sink::File(Mutex::new(file)))
    }

    fn write(&self, delivery: &Delivery) -> Result<(), String> {
        match self {
            Sink::File(file) => {
                let mut file = file.lock().map_err(|_| "the sink's lock is poisoned".to_owned())?;
                file.write_all(format!("{}\n", delivery.json()).as_bytes())
                    .and_then(|()| file.flush())
                    .map_err(|e| e.to_string())
            }
            Sink::Webhook(url) => {
                let response = ureq::post(url.as_str())
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", delivery.key.as_str())
                    .send(delivery.json().as_str())
                    .map_err(|e| format!("POST {url}: {e}"))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("POST {url}: status {}", response.status()))
                }
            }
        }
    }
}

#[activities]
impl Sink {
    /// Hands one send to the sink.
    #[activity]
    pub async fn deliver(self: Arc<Self>, _ctx: ActivityContext, delivery: Delivery) -> Result<(), ActivityError> {
        let ops = crate::ops::ops();
        let sink = Arc::clone(&self);
        let key = delivery.key.clone();
        let step_ms = delivery.step_ms;
        let in_flight = ops.delivery();
        let written = tokio::task::spawn_blocking(move || sink.write(&delivery)).await.map_err(|e| e.to_string());
        drop(in_flight);
        match written {
            Ok(Ok(())) => {
                ops.metrics.delivered();
                if let Some(step_ms) = step_ms {
                    let ms = journey_engine::clock::real_ms().saturating_sub(step_ms).max(0);
                    ops.metrics.latency(ms as f64 / 1000.0);
                }
                Ok(())
            }
            Ok(Err(why)) | Err(why) => {
                ops.metrics.delivery_failure();
                // Temporal retries the activity; each failed attempt is a log line.
                journey_engine::log::error("delivery failed", &[("idempotency_key", &key), ("why", &why)]);
                Err(ActivityError::from(std::io::Error::other(why)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sink_gets_the_action_with_its_key_first() {
        let delivery =
            Delivery { key: "ab12".to_owned(), action: r#"{"at":"x","action":"send"}"#.to_owned(), step_ms: None };
        assert_eq!(delivery.json(), r#"{"idempotency_key":"ab12","at":"x","action":"send"}"#);
        let empty = Delivery { key: "ab12".to_owned(), action: "{}".to_owned(), step_ms: Some(1) };
        assert_eq!(empty.json(), r#"{"idempotency_key":"ab12"}"#);
    }

    #[test]
    fn a_delivery_recorded_before_step_ms_existed_still_reads() {
        let old: Delivery = serde_json::from_str(r#"{"key":"ab12","action":"{}"}"#).unwrap();
        assert_eq!(old.step_ms, None);
    }
}
