//! Where sends go (docs/deploy.md, "Sinks"): JSON Lines on standard output, or an HTTP webhook.
//! The deliverer reads the outbox in the order sends were recorded, hands each to the sink and
//! only then marks it delivered: a crash in between delivers it again, with the same
//! idempotency key (at least once, exactly-once effect at a receiver that drops repeats).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::Connection;

use crate::metrics::Metrics;
use crate::store;

pub enum Sink {
    Stdout,
    /// `POST url` with the send as JSON and an `Idempotency-Key` header.
    Webhook {
        url: String,
        agent: ureq::Agent,
    },
}

/// A delivery that failed: whether to try again.
enum Failure {
    Retry(String),
    /// The receiver refused the send itself (a 4xx other than 408 or 429): retrying would not
    /// help, so it is logged and set aside (`delivered = 2`).
    Refused(String),
}

/// The longest pause between two attempts of one send.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Sink {
    pub fn webhook(url: &str) -> Sink {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build();
        Sink::Webhook { url: url.to_owned(), agent: config.into() }
    }

    fn deliver(&self, key: &str, line: &str) -> Result<(), Failure> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .and_then(|()| out.flush())
                    .map_err(|e| Failure::Retry(format!("standard output: {e}")))
            }
            Sink::Webhook { url, agent } => {
                let response = agent
                    .post(url)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", key)
                    .send(line)
                    .map_err(|e| Failure::Retry(e.to_string()))?;
                let status = response.status().as_u16();
                match status {
                    200..=299 => Ok(()),
                    408 | 429 | 500..=599 => Err(Failure::Retry(format!("the webhook answered {status}"))),
                    _ => Err(Failure::Refused(format!("the webhook answered {status}"))),
                }
            }
        }
    }
}

/// Delivers what the outbox holds, oldest first, retrying each send with a doubling pause
/// until it is delivered or `stop` is set. Sends are marked delivered a batch at a time, in one
/// transaction (one write to disk rather than one a send): a crash before the mark hands the
/// batch over again, under the same keys. Returns how many were delivered (or set aside).
pub fn deliver_pending(conn: &Connection, sink: &Sink, metrics: &Metrics, stop: &AtomicBool) -> Result<usize, String> {
    let mut count = 0;
    loop {
        let rows = store::pending(conn, 256)?;
        if rows.is_empty() {
            return Ok(count);
        }
        // (row, 1 delivered or 2 set aside)
        let mut done: Vec<(i64, i64)> = Vec::with_capacity(rows.len());
        let mut stopped = false;
        'rows: for row in rows {
            let mut backoff = Duration::from_millis(100);
            loop {
                match sink.deliver(&row.key, &row.action) {
                    Ok(()) => {
                        done.push((row.row, 1));
                        metrics.delivered();
                        break;
                    }
                    Err(Failure::Refused(why)) => {
                        crate::log::error("send_refused_by_sink", &[("key", &row.key), ("message", &why)]);
                        done.push((row.row, 2));
                        metrics.delivery_failure();
                        break;
                    }
                    Err(Failure::Retry(why)) => {
                        metrics.delivery_failure();
                        crate::log::error("delivery_failed", &[("key", &row.key), ("message", &why)]);
                        if stop.load(Ordering::SeqCst) {
                            stopped = true;
                            break 'rows;
                        }
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        }
        count += done.len();
        store::mark(conn, &done)?;
        if stopped {
            return Ok(count);
        }
    }
}
