//! `journey run PATH`: the project's journeys as a long-running service on the embedded engine
//! (crate `journey-engine`, docs/deploy.md). The project is compiled in memory exactly as
//! `journey simulate` compiles it; a project whose check finds errors, or a journey whose bundle
//! cannot be built, is refused: a service sends for real.

use std::io::Write as _;
use std::path::PathBuf;

use journey_engine::{ClockChoice, Config, Setup, BOUNDS};
use journey_runtime::Bundle;

use crate::args::{Engine, RunArgs};
use crate::exit::Exit;

pub fn run(args: &RunArgs) -> Exit {
    let misplaced = args.flags_for_the_other_engine();
    if !misplaced.is_empty() {
        let (used, other) = match args.engine {
            Engine::Temporal => ("the embedded engine's", "--engine temporal, whose workers keep the state"),
            Engine::Embedded => ("`--engine temporal`'s", "the embedded engine (the default)"),
        };
        let _ = writeln!(
            std::io::stderr(),
            "error: {} {} {used}, not used with {other} (docs/deploy.md)",
            misplaced.join(", "),
            if misplaced.len() == 1 { "is" } else { "are" },
        );
        return Exit::Usage;
    }
    if args.engine == Engine::Temporal {
        return crate::temporal::forward_run(args);
    }
    match start(args) {
        Ok(()) => Exit::Ok,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            Exit::Usage
        }
    }
}

fn start(args: &RunArgs) -> Result<(), String> {
    let (bundles, texts) = bundles(&args.paths, &args.exclude)?;
    let clock = match args.clock_scale {
        None => ClockChoice::Real,
        Some(scale) => {
            let epoch = match &args.clock_epoch {
                Some(text) => journey_runtime::time::parse_utc(text).map_err(|e| format!("--clock-epoch: {e}"))?,
                None => journey_engine::clock::real_ms().div_euclid(1000),
            };
            ClockChoice::Scaled { scale, epoch }
        }
    };
    let config = Config {
        db: args.db(),
        setup: Setup { bundles, texts, seed: args.seed, upgrade: args.upgrade, bounds: BOUNDS },
        clock,
        listen: Some(args.listen()).filter(|listen| listen != "none"),
        stdin: !args.no_stdin,
        webhook: args.webhook.clone(),
    };
    journey_engine::run(config)
}

/// The bundles a service runs, and their JSON texts (whose hash versions the database): every
/// journey of the projects, which must check without errors.
pub fn bundles(paths: &[PathBuf], exclude: &[PathBuf]) -> Result<(Vec<Bundle>, Vec<String>), String> {
    let (bundles, texts, errors, refused) = crate::simulate::compile_projects(paths, exclude)?;
    if errors > 0 {
        return Err(format!(
            "the check found {errors} error{}; a service sends for real, so fix {} first (`journey check`)",
            if errors == 1 { "" } else { "s" },
            if errors == 1 { "it" } else { "them" }
        ));
    }
    if let Some(why) = refused.first() {
        return Err(why.clone());
    }
    if bundles.is_empty() {
        return Err("no journey to run".to_owned());
    }
    Ok((bundles, texts))
}
