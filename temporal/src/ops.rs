//! The worker's operations surface (docs/deploy-temporal.md, "Operations"): `GET /healthz`,
//! `GET /metrics` (Prometheus text, the same metric names as `journey run`, so one dashboard
//! serves both engines) and JSON log lines on standard error (`journey_engine::log`).
//!
//! Workflow code runs again whenever Temporal replays a workflow's history (a worker that did not
//! have it cached), so the workflow counts only in activations that are not replays: a step is
//! counted on the worker that ran it, at least once (a workflow task that fails after its code
//! ran, say a continue-as-new refused because a signal came in, runs that code again live).
//! Counters are this process's, since it started; a fleet's figures are the sums over its
//! workers. The `journey_timers_pending` gauge is the contacts whose workflow, in this worker's
//! memory, waits on a durable timer: an instance enters it when it starts waiting and leaves when
//! the timer ends or the instance is evicted, so it is exact for what the worker holds, and a
//! workflow in no worker's cache is counted nowhere (the server's visibility is the whole count).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use journey_engine::metrics::{Gauges, Metrics};
use serde_json::json;
use tiny_http::Method;

#[derive(Default)]
pub struct Ops {
    pub metrics: Metrics,
    timers: AtomicI64,
    in_flight: AtomicI64,
    stopping: AtomicBool,
}

/// This process's counters.
pub fn ops() -> &'static Ops {
    static OPS: OnceLock<Ops> = OnceLock::new();
    OPS.get_or_init(Ops::default)
}

impl Ops {
    pub fn timer_started(&self) {
        self.timers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn timer_ended(&self) {
        self.timers.fetch_sub(1, Ordering::Relaxed);
    }

    /// A delivery in progress, counted in `journey_outbox_pending` until the guard is dropped
    /// (also when the activity's future is dropped unfinished).
    pub fn delivery(&'static self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// From now on `/healthz` answers 503: the worker is shutting down.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// The Prometheus text of `/metrics`.
    pub fn render(&self) -> String {
        let gauges = Gauges {
            timers_pending: self.timers.load(Ordering::Relaxed),
            outbox_pending: self.in_flight.load(Ordering::Relaxed),
        };
        self.metrics.render(&gauges)
    }
}

pub struct InFlight(&'static Ops);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What `/healthz` names.
#[derive(Debug, Clone)]
pub struct Identity {
    pub bundles: String,
    pub task_queue: String,
}

/// The endpoints, listening.
pub struct Listening {
    /// The address it listens on (the port chosen when port 0 was asked for).
    pub address: String,
    server: Arc<tiny_http::Server>,
    thread: std::thread::JoinHandle<()>,
}

impl Listening {
    pub fn stop(self) {
        self.server.unblock();
        let _ = self.thread.join();
    }
}

/// Serves `/healthz` and `/metrics` on `address` (`none`: not at all) from a thread of its own,
/// so a scrape never waits on the worker's async runtime.
pub fn listen(address: &str, identity: Identity) -> Result<Option<Listening>, String> {
    if address == "none" {
        return Ok(None);
    }
    let server =
        Arc::new(tiny_http::Server::http(address).map_err(|e| format!("--listen: cannot listen on {address}: {e}"))?);
    let shown = server.server_addr().to_ip().map_or_else(|| address.to_owned(), |a| a.to_string());
    let serving = Arc::clone(&server);
    let thread = std::thread::spawn(move || {
        while let Ok(request) = serving.recv() {
            let (status, body, kind) = answer(request.method(), request.url(), &identity);
            journey_engine::http::respond(request, status, body, kind);
        }
    });
    Ok(Some(Listening { address: shown, server, thread }))
}

/// Status, body and content type of a request.
fn answer(method: &Method, url: &str, identity: &Identity) -> (u16, String, &'static str) {
    let path = url.split('?').next().unwrap_or("");
    let ops = ops();
    match (method, path) {
        (Method::Get, "/healthz") => {
            let stopping = ops.stopping.load(Ordering::Relaxed);
            let body = json!({
                "status": if stopping { "stopping" } else { "ok" },
                "bundles": identity.bundles,
                "task_queue": identity.task_queue,
            });
            (if stopping { 503 } else { 200 }, body.to_string(), "application/json")
        }
        (Method::Get, "/metrics") => (200, ops.render(), "text/plain; version=0.0.4"),
        (_, "/healthz" | "/metrics") => (405, json!({ "error": "use GET" }).to_string(), "application/json"),
        _ => (404, json!({ "error": "no such route (GET /healthz, GET /metrics)" }).to_string(), "application/json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthz_names_the_bundles_and_says_when_the_worker_is_stopping() {
        let identity = Identity { bundles: "ab".to_owned(), task_queue: "q@ab".to_owned() };
        let (status, body, _) = answer(&Method::Get, "/healthz", &identity);
        assert_eq!((status, body.as_str()), (200, r#"{"bundles":"ab","status":"ok","task_queue":"q@ab"}"#));
        assert_eq!(answer(&Method::Post, "/metrics", &identity).0, 405);
        assert_eq!(answer(&Method::Get, "/nope", &identity).0, 404);
        let (status, text, kind) = answer(&Method::Get, "/metrics", &identity);
        assert_eq!((status, kind), (200, "text/plain; version=0.0.4"));
        assert!(text.contains("# TYPE journey_timers_pending gauge"), "{text}");
        ops().stopping();
        let (status, body, _) = answer(&Method::Get, "/healthz?x", &identity);
        assert_eq!((status, body.as_str()), (503, r#"{"bundles":"ab","status":"stopping","task_queue":"q@ab"}"#));
    }
}
