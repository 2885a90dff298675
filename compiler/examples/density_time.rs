//! Development aid: the branch-density ratio of G3b (check time at 10,000 stages, a branch every 2
//! stages against every 10), measured so that a busy machine cannot fake it. The two workloads
//! run alternately, many times, and the ratio is taken of the fastest runs (other work on the
//! machine only ever adds time) and of the medians. The real benchmark is
//! `cargo bench -p journey-compiler --bench pipeline -- branch_density/`.
//!
//! `density_time [ROUNDS] [--blocks]`, 30 rounds by default, alternating unless `--blocks` (all runs
//! of one workload, then all of the other). `density_time --once EVERY` checks the workload with a
//! branch every EVERY stages once and prints nothing, for counting under callgrind or cachegrind;
//! `--generate EVERY` only makes that workload, so that its count can be subtracted.
//! `density_time --phases [ROUNDS]` times the steps of `check_project` one by one (the fastest run
//! of each), to show which step the ratio comes from; it repeats `check_project`'s steps, so keep
//! the two in step.

// A development aid: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;
use common::OneFile;
use journey_compiler::{check, flow, project};
use journey_gen::Variant;

fn millis(file: &OneFile) -> f64 {
    let start = Instant::now();
    drop(black_box(black_box(file).check()));
    start.elapsed().as_secs_f64() * 1e3
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The steps of `check_project`, timed one by one; dropping the results is timed too.
const PHASES: [&str; 5] = ["load and parse", "names and types", "flow analyses", "drop model, flow", "drop sources"];

fn phase_millis(file: &OneFile) -> [f64; 5] {
    let mut marks = [Instant::now(); 6];
    let sources = project::load_sources(std::slice::from_ref(&file.path), &file.loader);
    marks[1] = Instant::now();
    let (model, mut sink) = check::check_sources(&sources);
    marks[2] = Instant::now();
    let report = flow::analyze(&sources, &model, &mut sink);
    marks[3] = Instant::now();
    drop(black_box((report, model, sink)));
    marks[4] = Instant::now();
    drop(black_box(sources));
    marks[5] = Instant::now();
    let mut millis = [0.0; 5];
    for (phase, pair) in millis.iter_mut().zip(marks.windows(2)) {
        if let [from, to] = pair {
            *phase = to.duration_since(*from).as_secs_f64() * 1e3;
        }
    }
    millis
}

fn print_phases(rounds: usize, sparse: &OneFile, dense: &OneFile) {
    let mut fastest = [[f64::INFINITY; 5]; 2];
    for _ in 0..rounds {
        for (best, file) in fastest.iter_mut().zip([sparse, dense]) {
            for (best, millis) in best.iter_mut().zip(phase_millis(file)) {
                *best = best.min(millis);
            }
        }
    }
    let [sparse_best, dense_best] = fastest;
    println!("{:18} {:>9} {:>9} {:>6}", "fastest, ms", "every 10", "every 2", "ratio");
    for ((name, s), d) in PHASES.iter().zip(sparse_best).zip(dense_best) {
        println!("{name:18} {s:9.2} {d:9.2} {:6.2}", d / s);
    }
    let (s, d): (f64, f64) = (sparse_best.iter().sum(), dense_best.iter().sum());
    println!("{:18} {s:9.2} {d:9.2} {:6.2}", "sum", d / s);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, every] = args.as_slice().iter().map(String::as_str).collect::<Vec<_>>()[..] {
        if mode == "--once" || mode == "--generate" {
            let every = every.parse().expect("usage: density_time --once EVERY");
            let file = OneFile::new(&Variant::BranchDensity { n: 10_000, every }.generate());
            if mode == "--once" {
                black_box(file.check());
            }
            return;
        }
    }
    let phases = args.get(1).is_some_and(|a| a == "--phases");
    let rounds: usize = args.get(1 + usize::from(phases)).and_then(|a| a.parse().ok()).unwrap_or(30);
    let sparse = OneFile::new(&Variant::BranchDensity { n: 10_000, every: 10 }.generate());
    let dense = OneFile::new(&Variant::BranchDensity { n: 10_000, every: 2 }.generate());
    if phases {
        print_phases(rounds, &sparse, &dense);
        return;
    }
    // Warm up the allocator and caches on both.
    millis(&sparse);
    millis(&dense);
    let (mut sparse_times, mut dense_times) = (Vec::new(), Vec::new());
    if args.iter().any(|a| a == "--blocks") {
        sparse_times.extend((0..rounds).map(|_| millis(&sparse)));
        dense_times.extend((0..rounds).map(|_| millis(&dense)));
    } else {
        for _ in 0..rounds {
            sparse_times.push(millis(&sparse));
            dense_times.push(millis(&dense));
        }
    }
    let min = |t: &[f64]| t.iter().copied().fold(f64::INFINITY, f64::min);
    let (sparse_min, dense_min) = (min(&sparse_times), min(&dense_times));
    let (sparse_median, dense_median) = (median(&mut sparse_times), median(&mut dense_times));
    println!("every 10: min {sparse_min:.2} ms, median {sparse_median:.2} ms");
    println!("every 2:  min {dense_min:.2} ms, median {dense_median:.2} ms");
    println!(
        "ratio: {:.3} (min), {:.3} (median); G3b asks for at most 1.5",
        dense_min / sparse_min,
        dense_median / sparse_median
    );
}
