//! `journey run`: the engine as a long-running service (docs/deploy.md). Threads: the HTTP
//! workers and the standard-input reader feed the engine (one lock, one transaction at a
//! time); the main thread is the timer loop, which replays contacts as they fall due; the
//! deliverer hands the outbox to the sink. SIGTERM or SIGINT stops the intake, lets the
//! current transaction finish, and delivers what the outbox holds before exiting.

use std::io::{BufRead as _, Read as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::bell::Bell;
use crate::clock::{self, Clock};
use crate::core::{Engine, Setup};
use crate::input::{read_line, Bounds, Input};
use crate::log;
use crate::metrics::Metrics;
use crate::sink::{self, Sink};
use crate::store;

/// The clock asked for on the command line.
#[derive(Debug, Clone, Copy)]
pub enum ClockChoice {
    Real,
    /// `--clock-scale N --clock-epoch T`: a new database starts its virtual time at T.
    Scaled {
        scale: u32,
        epoch: i64,
    },
}

pub struct Config {
    pub db: PathBuf,
    pub setup: Setup,
    pub clock: ClockChoice,
    /// Where the HTTP API listens (`None`: no API).
    pub listen: Option<String>,
    /// Read JSON Lines from standard input.
    pub stdin: bool,
    /// `None`: standard output.
    pub webhook: Option<String>,
}

/// What the threads share.
pub struct Shared {
    pub engine: Mutex<Engine>,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub bounds: Bounds,
    pub bundles: String,
    /// Rung when input was recorded: the timer loop looks for a nearer due time, the deliverer
    /// for sends.
    pub wake: Bell,
    pub stopping: AtomicBool,
}

impl Shared {
    /// What the API threads need around an engine (tests serve the API in process with it).
    pub fn new(engine: Engine, clock: Clock, bounds: Bounds) -> Shared {
        let metrics = Arc::clone(&engine.metrics);
        let bundles = engine.bundle_hash().to_owned();
        Shared {
            engine: Mutex::new(engine),
            clock,
            metrics,
            bounds,
            bundles,
            wake: Bell::default(),
            stopping: AtomicBool::new(false),
        }
    }
}

/// Contacts replayed in one transaction by the timer loop.
const DUE_BATCH: usize = 500;
/// Input lines from standard input taken in one transaction when they are already waiting.
const STDIN_BATCH: usize = 1_000;
/// The longest the timer loop and the deliverer sleep without looking.
const IDLE: Duration = Duration::from_millis(500);

pub fn run(config: Config) -> Result<(), String> {
    let bounds = config.setup.bounds;
    let engine = Engine::open(&config.db, config.setup, Arc::new(Metrics::default()))?;
    let clock = settle_clock(engine.connection(), config.clock)?;
    let bundles = engine.bundle_hash().to_owned();
    let shared = Arc::new(Shared::new(engine, clock, bounds));
    {
        let shared = Arc::clone(&shared);
        ctrlc::set_handler(move || {
            shared.stopping.store(true, Ordering::SeqCst);
            shared.wake.ring();
        })
        .map_err(|e| format!("cannot handle SIGTERM and SIGINT: {e}"))?;
    }
    let sink = match &config.webhook {
        Some(url) => Sink::webhook(url),
        None => Sink::Stdout,
    };
    let deliverer = {
        let conn = store::open(&config.db)?;
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || deliver_loop(&conn, &sink, &shared))
    };
    let api = match &config.listen {
        Some(address) => {
            let api = crate::http::listen(address, &shared, 2)?;
            log::info("listening", &[("address", &api.address)]);
            Some(api)
        }
        None => None,
    };
    if config.stdin {
        let shared = Arc::clone(&shared);
        // Not joined: a read of standard input cannot be interrupted; the process exits under it.
        std::thread::spawn(move || read_stdin(&shared));
    }
    log::info("started", &[("bundles", &bundles), ("now", &journey_runtime::time::format_utc(clock.now()))]);
    timer_loop(&shared);
    log::info("stopping", &[]);
    if let Some(api) = api {
        api.stop();
    }
    // Taking the lock waits for a transaction in progress to commit.
    drop(shared.engine.lock());
    shared.wake.ring();
    let _ = deliverer.join();
    log::info("stopped", &[]);
    Ok(())
}

/// The clock: real time, or the test clock kept in the database (a restart continues it).
fn settle_clock(conn: &rusqlite::Connection, choice: ClockChoice) -> Result<Clock, String> {
    let stored = store::meta(conn, "clock")?;
    match (choice, stored) {
        (ClockChoice::Real, None) => Ok(Clock::Real),
        (ClockChoice::Real, Some(_)) => {
            Err("the database runs on a test clock (--clock-scale): give --clock-scale again, or use a new database"
                .to_owned())
        }
        (ClockChoice::Scaled { .. }, Some(text)) => {
            // The flags of a later start do not move the clock: the database's origin and scale
            // continue its virtual time.
            let clock =
                Clock::from_meta(&text).ok_or_else(|| format!("the database's clock `{text}` does not read"))?;
            log::info("clock_continued", &[("clock", &text)]);
            Ok(clock)
        }
        (ClockChoice::Scaled { scale, epoch }, None) => {
            let clock = Clock::Scaled { epoch, origin_ms: clock::real_ms(), scale };
            store::set_meta(conn, "clock", &clock.to_meta().unwrap_or_default())?;
            Ok(clock)
        }
    }
}

fn timer_loop(shared: &Shared) {
    while !shared.stopping.load(Ordering::SeqCst) {
        let seen = shared.wake.rings();
        let earliest = {
            let Ok(mut engine) = shared.engine.lock() else { return };
            loop {
                match engine.run_due(shared.clock.now(), DUE_BATCH) {
                    Ok(n) if n == DUE_BATCH && !shared.stopping.load(Ordering::SeqCst) => continue,
                    Ok(_) => break,
                    Err(e) => {
                        log::error("timers_failed", &[("message", &e)]);
                        break;
                    }
                }
            }
            engine.earliest_due().unwrap_or(None)
        };
        shared.wake.ring();
        let wait = earliest.map_or(IDLE, |at| shared.clock.real_wait_until(at).min(IDLE));
        if !wait.is_zero() {
            shared.wake.wait(seen.wrapping_add(1), wait);
        }
    }
}

fn deliver_loop(conn: &rusqlite::Connection, sink: &Sink, shared: &Shared) {
    loop {
        let seen = shared.wake.rings();
        let stopping = shared.stopping.load(Ordering::SeqCst);
        if let Err(e) = sink::deliver_pending(conn, sink, &shared.metrics, &shared.stopping) {
            log::error("delivery_failed", &[("message", &e)]);
        }
        if stopping {
            return;
        }
        shared.wake.wait(seen, IDLE);
    }
}

/// Reads JSON Lines from standard input; lines already waiting are taken together, in one
/// transaction. A bad line is logged (with its number) and skipped.
fn read_stdin(shared: &Shared) {
    let stdin = std::io::stdin();
    let mut reader = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
    let max = shared.bounds.max_bytes;
    let mut number = 0usize;
    loop {
        let mut batch: Vec<(usize, Input)> = Vec::new();
        let received = clock::real_ms();
        loop {
            let mut bytes = Vec::new();
            let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
            match reader.by_ref().take(limit).read_until(b'\n', &mut bytes) {
                Ok(0) => {
                    ingest_lines(shared, &batch, received);
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    log::error("stdin_failed", &[("message", &e.to_string())]);
                    return;
                }
            }
            number += 1;
            if bytes.len() > max {
                // Skip the rest of the long line.
                let mut rest = Vec::new();
                let _ = reader.read_until(b'\n', &mut rest);
                reject(shared, number, &format!("the line is longer than {max} bytes"));
            } else {
                match std::str::from_utf8(&bytes) {
                    Ok(text) if text.trim().is_empty() => {}
                    Ok(text) => match read_line(text.trim(), &shared.bounds) {
                        Ok(input) => batch.push((number, input)),
                        Err(refused) => reject(shared, number, &refused.message),
                    },
                    Err(_) => reject(shared, number, "the line is not UTF-8"),
                }
            }
            if reader.buffer().is_empty() || batch.len() >= STDIN_BATCH {
                break;
            }
        }
        ingest_lines(shared, &batch, received);
    }
}

fn reject(shared: &Shared, line: usize, message: &str) {
    shared.metrics.rejected();
    log::error("input_refused", &[("source", "stdin"), ("line", &line.to_string()), ("message", message)]);
}

/// Records a batch of lines; when the batch is refused, each line alone, so one bad line does
/// not cost the others.
fn ingest_lines(shared: &Shared, batch: &[(usize, Input)], received: i64) {
    if batch.is_empty() {
        return;
    }
    let inputs: Vec<Input> = batch.iter().map(|(_, input)| input.clone()).collect();
    let Ok(mut engine) = shared.engine.lock() else { return };
    if engine.ingest(&inputs, shared.clock.now(), received).is_err() {
        for (line, input) in batch {
            if let Err(refused) = engine.ingest(std::slice::from_ref(input), shared.clock.now(), received) {
                reject(shared, *line, &refused.message);
            }
        }
    }
    drop(engine);
    shared.wake.ring();
}
