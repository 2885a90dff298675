//! Development aid: times one step of a full compile on journey-gen's `baseline-10000` (the real
//! benchmark is benches/compile.rs). `emit_time STEP [--once]`, STEP one of `check`, `emit`,
//! `validate`. The check runs once outside the timing for `emit` and `validate`, and the emit
//! once for `validate`. With `--once` the step runs once and nothing is printed, for counting
//! its instructions under callgrind:
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='journey_compiler::bundle::emit*' emit_time emit --once
//! ```

// A development aid: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Instant;

use journey_compiler::bundle::{self, Options};

// The benchmarks' one-file project (benches/compile.rs times the same steps).
#[path = "../benches/common/mod.rs"]
mod common;
use common::OneFile;

fn validate(bundles: &[(String, String)]) {
    for (journey, text) in bundles {
        bundle::validate(text).unwrap_or_else(|e| panic!("the bundle of `{journey}` is invalid: {e}"));
    }
}

fn main() {
    let step = std::env::args().nth(1).unwrap_or_default();
    let once = std::env::args().any(|a| a == "--once");
    let file = OneFile::new(&journey_gen::Variant::Baseline { n: 10_000 }.generate());
    let report = file.check();
    // Made outside the timing only for the step that reads them, so `--once` runs `emit` once.
    let bundles = if step == "validate" { bundle::emit(&report, Options::default()) } else { Vec::new() };
    let mut run: Box<dyn FnMut()> = match step.as_str() {
        "check" => Box::new(|| drop(black_box(black_box(&file).check()))),
        "emit" => Box::new(|| drop(black_box(bundle::emit(black_box(&report), Options::default())))),
        "validate" => Box::new(|| validate(black_box(&bundles))),
        _ => panic!("usage: emit_time check|emit|validate [--once]"),
    };
    if once {
        run();
        return;
    }
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        run();
    }
    println!("{step}: {:.2} ms per run", start.elapsed().as_secs_f64() * 1e3 / f64::from(runs));
}
