//! Development aid: the branch-density ratio of G3b (check time at 10,000 stages, a branch every 2
//! stages against every 10), measured so that a busy machine cannot fake it. The two workloads
//! run alternately, many times, and the ratio is taken of the fastest runs (other work on the
//! machine only ever adds time) and of the medians. The real benchmark is
//! `cargo bench -p journey-compiler --bench pipeline -- branch_density/`.
//!
//! `density_time [ROUNDS] [--blocks]`, 30 rounds by default, alternating unless `--blocks` (all runs
//! of one workload, then all of the other). `density_time --once EVERY` checks the workload with a
//! branch every EVERY stages once and prints nothing, for counting under callgrind or cachegrind.

// A development aid: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;
use common::OneFile;
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, once, every] = args.as_slice() {
        if once == "--once" {
            let every = every.parse().expect("usage: density_time --once EVERY");
            black_box(OneFile::new(&Variant::BranchDensity { n: 10_000, every }.generate()).check());
            return;
        }
    }
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let sparse = OneFile::new(&Variant::BranchDensity { n: 10_000, every: 10 }.generate());
    let dense = OneFile::new(&Variant::BranchDensity { n: 10_000, every: 2 }.generate());
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
