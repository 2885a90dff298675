//! `journey simulate PATH --population N --traffic FILE`: made-up contacts and events from a
//! traffic description, run through the runtime and the monitor in chunks, summed up per journey
//! (docs/simulate.md, "Population"). The generation and the summary are the runtime's
//! (`journey_runtime::population`, pure); this file reads the traffic file, runs the monitor on
//! each chunk, draws the progress bar and prints the report.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use journey_runtime::population::{self, Chunk, Observer, Phase, Report};
use journey_runtime::Bundle;

use crate::args::{SimulateArgs, SimulateFormat};
use crate::exit::Exit;

/// A traffic description is a small hand-written file.
const MAX_TRAFFIC_BYTES: usize = 1 << 20;

struct Cli {
    bundles: journey_monitor::Bundles,
    bar: Option<indicatif::ProgressBar>,
    phase: Option<(Phase, Instant)>,
    /// Generate, run, monitor, summarise.
    spent: [Duration; 4],
}

impl Cli {
    fn close_phase(&mut self) {
        if let Some((phase, since)) = self.phase.take() {
            let slot = match phase {
                Phase::Generate => 0,
                Phase::Run => 1,
                Phase::Monitor => 2,
                Phase::Summarise => 3,
            };
            if let Some(spent) = self.spent.get_mut(slot) {
                *spent += since.elapsed();
            }
        }
    }
}

impl Observer for Cli {
    fn monitor(&mut self, chunk: &Chunk, actions: &str) -> Result<Vec<(String, String)>, String> {
        // As in a file run, the monitor reads everything from JSON itself.
        let contacts =
            journey_monitor::parse_contacts(&chunk.contacts).map_err(|e| format!("the monitor: contacts: {e:?}"))?;
        let events = journey_monitor::parse_events(&chunk.events).map_err(|e| format!("the monitor: events: {e:?}"))?;
        let actions = journey_monitor::parse_actions(actions)
            .map_err(|e| format!("the monitor cannot read the runtime's actions: {e:?}"))?;
        let findings = journey_monitor::monitor(&self.bundles, &contacts, &events, &actions);
        Ok(findings.into_iter().map(|f| (f.journey, f.rule)).collect())
    }

    fn progress(&mut self, done: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
        }
    }

    fn phase(&mut self, phase: Phase) {
        self.close_phase();
        self.phase = Some((phase, Instant::now()));
    }
}

pub fn run(args: &SimulateArgs, size: usize, bundles: &[Bundle], bundle_texts: &[String]) -> Exit {
    let mut stderr = io::stderr().lock();
    let started = Instant::now();
    let Some(path) = &args.traffic else {
        let _ = writeln!(stderr, "error: --population needs --traffic FILE");
        return Exit::Usage;
    };
    let name = super::shown(path);
    let traffic = super::read_limited(path, &name, MAX_TRAFFIC_BYTES).and_then(|text| {
        let schema = journey_runtime::Schema::of(bundles)?;
        journey_runtime::traffic::parse(&name, &text, &schema).map_err(|e| e.to_string())
    });
    let traffic = match traffic {
        Ok(traffic) => traffic,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Usage;
        }
    };
    let json: Result<Vec<serde_json::Value>, _> = bundle_texts.iter().map(|t| serde_json::from_str(t)).collect();
    let monitor_bundles = match json
        .map_err(|e| format!("{e}"))
        .and_then(|json| journey_monitor::Bundles::from_json(&json).map_err(|e| format!("{e:?}")))
    {
        Ok(bundles) => bundles,
        Err(message) => {
            let _ = writeln!(stderr, "error: the monitor cannot read a bundle: {message}");
            return Exit::Usage;
        }
    };
    // Only for a person watching: never in CI or tests, where stderr is a pipe or a file.
    let bar = io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(size as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("simulating {bar:40} {pos}/{len} contacts ({per_sec}, {eta} left)")
        {
            bar.set_style(style);
        }
        bar
    });
    let mut observer = Cli { bundles: monitor_bundles, bar, phase: None, spent: [Duration::ZERO; 4] };
    let simulated = population::simulate(bundles, &traffic, size, args.seed, &mut observer);
    observer.close_phase();
    if let Some(bar) = &observer.bar {
        bar.finish_and_clear();
    }
    let report = match simulated {
        Ok(report) => report,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Usage;
        }
    };
    if args.timings {
        let [generate, run, monitor, summarise] = observer.spent;
        let steps = report.actions as f64;
        let _ = writeln!(
            stderr,
            "timings: {} contacts, {} events, {} contact-steps; generate {:.3} s, runtime {:.3} s ({:.0} contact-steps/s), monitor {:.3} s, summary {:.3} s; total {:.3} s (with the compile)",
            report.population,
            report.events,
            report.actions,
            generate.as_secs_f64(),
            run.as_secs_f64(),
            steps / run.as_secs_f64().max(1e-9),
            monitor.as_secs_f64(),
            summarise.as_secs_f64(),
            started.elapsed().as_secs_f64(),
        );
    }
    let text = match args.format {
        SimulateFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            text.push('\n');
            text
        }
        SimulateFormat::Text => to_text(&report),
    };
    if let Err(exit) = super::write_output(&text, &mut stderr) {
        return exit;
    }
    let problems = report.journeys.values().any(|j| !j.refusals.is_empty() || !j.violations.is_empty());
    if problems {
        Exit::Problems
    } else {
        Exit::Ok
    }
}

fn counts(map: &std::collections::BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
}

/// The report for a person: per journey, its paths by number of runs (most first), then sends,
/// refusals and violations.
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "population of {} contacts, seed {}: {} events, {} actions",
        report.population, report.seed, report.events, report.actions
    );
    for (name, journey) in &report.journeys {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{name}: {} contacts entered, {} runs; goals: {}",
            journey.contacts,
            journey.runs,
            counts(&journey.goals)
        );
        let goals: Vec<&String> = journey.goals.keys().collect();
        let mut paths: Vec<_> = journey.paths.iter().collect();
        paths.sort_by(|a, b| b.1.runs.cmp(&a.1.runs).then_with(|| a.0.cmp(b.0)));
        let width = paths.iter().map(|(p, _)| p.len()).max().unwrap_or(0).max(4);
        let mut header = format!("  {:<width$}  {:>8}  {:>8}", "path", "runs", "contacts");
        for goal in &goals {
            let _ = write!(header, "  {goal:>w$}", w = goal.len().max(8));
        }
        let _ = writeln!(out, "{}", header.trim_end());
        for (path, p) in paths {
            let mut line = format!("  {path:<width$}  {:>8}  {:>8}", p.runs, p.contacts);
            for goal in &goals {
                let n = p.goals.get(*goal).copied().unwrap_or(0);
                let _ = write!(line, "  {n:>w$}", w = goal.len().max(8));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out, "  sends: {}", counts(&journey.sends));
        if journey.held > 0 {
            let _ = writeln!(out, "  held for quiet hours: {}", journey.held);
        }
        let _ = writeln!(out, "  refusals: {}", counts(&journey.refusals));
        let _ = writeln!(out, "  violations: {}", counts(&journey.violations));
    }
    out
}
