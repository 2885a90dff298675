//! `journey-engine`: the embedded engine of `journey run` (docs/deploy.md). The reference
//! runtime's one step function, `journey_runtime::run_live`, replays a contact's history up to
//! now; this crate keeps that history durable (SQLite), records each replay's new actions with
//! their sends in an outbox in one transaction, hands the outbox to a sink, and wakes at the
//! next due time. It never decides what a journey does: the runtime does.
//!
//! The parts: [`store`] the tables; [`core`] input in, replays, the outbox; [`keys`] the bundle
//! set's hash and the idempotency keys; [`input`] lines and their bounds; [`clock`] real and
//! test time; [`sink`] standard output and webhooks; [`http`] the API; [`metrics`] Prometheus
//! text; [`log`] JSON log lines; [`service`] the threads of `journey run`.

pub mod bell;
pub mod clock;
pub mod core;
pub mod http;
pub mod input;
pub mod keys;
pub mod log;
pub mod metrics;
pub mod service;
pub mod sink;
pub mod store;

pub use crate::core::{Accepted, Engine, Journeys, Replayed, Setup};
pub use crate::input::{Bounds, Input, Refused, BOUNDS};
pub use crate::service::{run, ClockChoice, Config};
