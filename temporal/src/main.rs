//! `journey-temporal`: the Temporal engine's worker and client (docs/deploy-temporal.md).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use journey_engine::log;
use journey_temporal::{bundles, forward, ops, sink::Sink};

#[derive(Parser, Debug)]
#[command(
    name = "journey-temporal",
    version,
    about = "Run journeys on Temporal: a worker, and a client that forwards events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
struct Common {
    /// The Temporal frontend, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = journey::args::DEFAULT_TEMPORAL)]
    temporal: String,
    /// The task queue; the bundle set's version is appended (`Q@0123456789ab`).
    #[arg(long, value_name = "Q", default_value = journey::args::DEFAULT_TASK_QUEUE)]
    task_queue: String,
    /// The project (or `.journey` files) whose journeys run.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Skip files under this path (repeatable), as `journey simulate --exclude`.
    #[arg(long, value_name = "PATH")]
    exclude: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a worker: every contact's journeys as a Temporal workflow, sends to a sink.
    Worker {
        #[command(flatten)]
        common: Common,
        /// Append sends to FILE as JSON Lines: each the action with `idempotency_key` first.
        #[arg(long, value_name = "FILE", conflicts_with = "webhook")]
        sink: Option<PathBuf>,
        /// POST each send (the same JSON) to URL (http://) with an `Idempotency-Key` header.
        #[arg(long, value_name = "URL")]
        webhook: Option<String>,
        /// Where GET /healthz and GET /metrics (Prometheus) listen (`none`: nowhere; port 0: any
        /// free port, logged).
        #[arg(long, value_name = "ADDR", default_value = journey::args::DEFAULT_WORKER_LISTEN)]
        listen: String,
    },
    /// Forward contacts and events (JSON Lines, as `journey simulate`) as signals.
    Send {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        #[arg(long, value_name = "FILE")]
        contacts: Option<PathBuf>,
        /// Mixed into every split draw, as `journey simulate --seed`.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Test mode: virtual time starts at the first event and runs N times faster than real
        /// time (docs/deploy-temporal.md, "Test mode").
        #[arg(long, value_name = "N")]
        test_scale: Option<u32>,
        /// A new contact's workflow continues as new past N history events (default 2,000).
        #[arg(long, value_name = "N")]
        max_history: Option<u32>,
        /// Contacts signalled at once.
        #[arg(long, default_value_t = 64)]
        parallel: usize,
        /// Begin at most N contacts a second (a steady stream; default: as fast as possible).
        #[arg(long, value_name = "N")]
        rate: Option<std::num::NonZeroU32>,
        /// Then wait until every contact's workflow is idle, print every action handed over
        /// (JSON Lines, per contact in id order) and the timings on standard error.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits, in seconds.
        #[arg(long, default_value_t = 600)]
        wait_timeout: u64,
    },
    /// What `send --wait` does after sending, for contacts already sent: wait until their
    /// workflows are idle and print their actions.
    Wait {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        #[arg(long, value_name = "FILE")]
        contacts: Option<PathBuf>,
        #[arg(long, default_value_t = 64)]
        parallel: usize,
        #[arg(long, default_value_t = 600)]
        wait_timeout: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Reads an input file whole, refusing one larger than the runtime's input limit.
fn read(path: &PathBuf) -> Result<String, String> {
    use std::io::Read;
    let name = path.display();
    let max = journey_runtime::io::LIMITS.max_bytes;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    let mut text = String::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    file.take(limit).read_to_string(&mut text).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    if text.len() > max {
        return Err(format!("{name}: is larger than the limit of {max} bytes"));
    }
    Ok(text)
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Worker { common, sink, webhook, listen } => {
            let set = bundles::load(&common.paths, &common.exclude)?;
            let sink = match (sink, webhook) {
                (Some(path), _) => Sink::file(&path)?,
                (None, Some(url)) => Sink::Webhook(url),
                (None, None) => return Err("give --sink FILE or --webhook URL".to_owned()),
            };
            let set = journey_temporal::install(set)?;
            let queue = journey_temporal::task_queue(&common.task_queue, set);
            let client = journey_temporal::connect(&common.temporal).await?;
            let identity = ops::Identity { bundles: set.hash.clone(), task_queue: queue.clone() };
            let listening = ops::listen(&listen, identity)?;
            let shown = listening.as_ref().map_or("none", |l| l.address.as_str());
            log::info(
                "worker started",
                &[("bundles", &set.hash), ("task_queue", &queue), ("temporal", &common.temporal), ("listen", shown)],
            );
            let stop = async {
                // Ctrl-C or SIGTERM: finish what is in flight and stop polling.
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut terminate) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = terminate.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
                ops::ops().stopping();
                log::info("shutting down", &[]);
            };
            let ran = journey_temporal::run_worker(client, &queue, sink, stop).await;
            if let Some(listening) = listening {
                listening.stop();
            }
            match &ran {
                Ok(()) => log::info("stopped", &[]),
                Err(why) => log::error("worker failed", &[("why", why)]),
            }
            ran
        }
        Command::Send {
            common,
            events,
            contacts,
            seed,
            test_scale,
            max_history,
            parallel,
            rate,
            wait,
            wait_timeout,
        } => {
            let set = bundles::load(&common.paths, &common.exclude)?;
            let events_text = read(&events)?;
            let contacts_text = contacts.as_ref().map(read).transpose()?;
            let inputs = forward::split(&set, contacts_text.as_deref(), &events_text)?;
            let test_clock = test_scale.map(|scale| forward::test_clock(&set, &events_text, scale)).transpose()?;
            let settings = forward::Settings { seed, test_clock, max_history };
            let client = journey_temporal::connect(&common.temporal).await?;
            let started = Instant::now();
            let sent =
                forward::forward_paced(&client, &set, &common.task_queue, &inputs, settings, parallel, rate).await?;
            let forwarded = started.elapsed();
            eprintln!("sent {} signals to {} contacts in {:.2}s", sent.signals, sent.contacts, forwarded.as_secs_f64());
            if wait {
                let ids: Vec<String> = inputs.keys().cloned().collect();
                let timeout = Duration::from_secs(wait_timeout);
                wait_and_print(&client, &common.task_queue, &ids, timeout, parallel, Some(&sent.first_sent_ms)).await?;
            }
            Ok(())
        }
        Command::Wait { common, events, contacts, parallel, wait_timeout } => {
            let set = bundles::load(&common.paths, &common.exclude)?;
            let events_text = read(&events)?;
            let contacts_text = contacts.as_ref().map(read).transpose()?;
            let inputs = forward::split(&set, contacts_text.as_deref(), &events_text)?;
            let client = journey_temporal::connect(&common.temporal).await?;
            let ids: Vec<String> = inputs.keys().cloned().collect();
            wait_and_print(&client, &common.task_queue, &ids, Duration::from_secs(wait_timeout), parallel, None).await
        }
    }
}

/// Waits until the contacts' workflows are idle, prints their actions (per contact, in id
/// order) and the figures of docs/performance.md on standard error: actions per second from
/// the first signal sent (or, without it, the first action handed over) to the last action
/// handed over, and per contact the time from its first signal to its first action.
async fn wait_and_print(
    client: &temporalio_client::Client,
    base: &str,
    ids: &[String],
    timeout: Duration,
    parallel: usize,
    first_sent_ms: Option<&std::collections::BTreeMap<String, i64>>,
) -> Result<(), String> {
    let statuses = forward::wait_idle(client, base, ids, timeout, Duration::from_millis(500), parallel).await?;
    eprintln!("all {} contacts idle", statuses.len());
    let actions: usize = statuses.values().map(|s| s.handed.len()).sum();
    let divergences: u32 = statuses.values().map(|s| s.divergences).sum();
    let rejected: usize = statuses.values().map(|s| s.rejected.len()).sum();
    eprintln!("{divergences} divergences, {rejected} signals rejected");
    let last = statuses.values().filter_map(|s| s.last_handed_ms).max();
    let first = match first_sent_ms {
        Some(sent) => sent.values().min().copied(),
        None => statuses.values().filter_map(|s| s.first_handed_ms).min(),
    };
    if let (Some(first), Some(last)) = (first, last) {
        let seconds = (last - first) as f64 / 1000.0;
        eprintln!(
            "{actions} actions for {} contacts handed over in {seconds:.2}s ({:.0} actions/s, {:.0} contacts/s)",
            statuses.len(),
            actions as f64 / seconds.max(0.001),
            statuses.len() as f64 / seconds.max(0.001)
        );
    }
    if let Some(sent) = first_sent_ms {
        let mut latencies: Vec<i64> =
            statuses.iter().filter_map(|(id, s)| Some(s.first_handed_ms? - sent.get(id)?)).collect();
        latencies.sort_unstable();
        let at = |q: usize| latencies.get(latencies.len().saturating_sub(1) * q / 100).copied().unwrap_or(0);
        eprintln!(
            "first signal to first action, per contact: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
            at(50),
            at(90),
            at(99),
            at(100)
        );
    }
    let mut out = String::new();
    for status in statuses.values() {
        for line in &status.handed {
            out.push_str(line);
            out.push('\n');
        }
    }
    print!("{out}");
    Ok(())
}
