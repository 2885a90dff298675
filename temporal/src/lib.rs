//! The Temporal engine (docs/deploy-temporal.md): a worker that runs every contact's journeys as
//! a durable Temporal workflow ([`workflow::ContactWorkflow`]) calling the reference runtime's
//! step function, and a client that forwards contacts and events to it as signals.

pub mod bundles;
pub mod clock;
pub mod forward;
pub mod ops;
pub mod sink;
pub mod workflow;

use std::time::Duration;

use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use crate::bundles::BundleSet;
use crate::sink::Sink;
use crate::workflow::ContactWorkflow;

/// The Temporal namespace everything runs in (the development server's default).
pub const NAMESPACE: &str = "default";

/// The task queue of a bundle set: the queue the user names, suffixed with the set's version, so
/// that a worker only ever gets workflows of the bundles it runs (docs/deploy-temporal.md,
/// "Versions").
pub fn task_queue(base: &str, set: &BundleSet) -> String {
    format!("{base}@{}", set.short_hash())
}

/// A contact's workflow id in the deployment named by the base task queue `base`: one workflow
/// per contact, whatever the bundle set's version (a contact's runs share its consent and caps).
pub fn workflow_id(base: &str, contact: &str) -> String {
    format!("{base}/{contact}")
}

/// Connects to the Temporal frontend at `address` (`HOST:PORT`).
pub async fn connect(address: &str) -> Result<Client, String> {
    let url = url::Url::parse(&format!("http://{address}")).map_err(|e| format!("--temporal {address}: {e}"))?;
    let connection = Connection::connect(ConnectionOptions::new(url).build())
        .await
        .map_err(|e| format!("cannot connect to Temporal at {address}: {e}"))?;
    Client::new(connection, ClientOptions::new(NAMESPACE).build()).map_err(|e| e.to_string())
}

pub use workflow::install;

/// Runs a worker on `queue` until `stop` resolves, then shuts it down gracefully (workflow
/// tasks in flight finish; Temporal gives unfinished activities to another worker).
pub async fn run_worker(
    client: Client,
    queue: &str,
    sink: Sink,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let runtime = Runtime::from_current_tokio(Default::default()).map_err(|e| e.to_string())?;
    let options = WorkerOptions::new(queue)
        .register_workflow::<ContactWorkflow>()
        .map_err(|e| e.to_string())?
        .register_activities(sink)
        .max_cached_workflows(10_000_usize)
        .graceful_shutdown_period(Duration::from_secs(5))
        .build();
    let mut worker = Worker::new(&runtime, client, options).map_err(|e| e.to_string())?;
    let shutdown = worker.shutdown_handle();
    let run = worker.run();
    tokio::pin!(run);
    tokio::select! {
        ended = &mut run => return ended.map_err(|e| e.to_string()),
        () = stop => shutdown(),
    }
    run.await.map_err(|e| e.to_string())
}
