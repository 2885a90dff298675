//! Benchmarks of the flow analyses (docs/performance.md G3b), on journey-gen's
//! workloads (tools/gen), so they time the same files as `benches/pipeline.rs` and `bench/run.sh`.
//!
//! `cargo bench -p journey-compiler --bench flow` runs them in about a minute. Targets:
//!
//! - `flow/diamond-60`: `check_project` (load, parse, names, types, content, flow analyses) on a
//!   ladder of 60 sequential if/else diamonds, 2^60 paths: ≤ 5 ms in-process.
//! - `flow/density-10000-every-10` and `flow/density-10000-every-2`: `check_project` on 10,000
//!   stages with a branch every 10 (10 %) and every 2 (50 %) stages: ≤ 1.5× apart.
//! - `flow_only/...`: the flow analyses alone (`flow::analyze`) on the same files, loaded and
//!   name-checked once outside the timing, to show what share of the check they take.
//!
//! Results are in docs/performance.md, "Flow analyses".

// A benchmark is a test: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use journey_compiler::project;
use journey_compiler::{check, flow, Code};
use journey_gen::Variant;

mod common;
use common::OneFile;

/// The workloads of the two targets: the 60-diamond ladder, and 10,000 stages at 10 % and 50 %
/// branch density.
const WORKLOADS: [Variant; 3] = [
    Variant::DiamondLadder { k: 60 },
    Variant::BranchDensity { n: 10_000, every: 10 },
    Variant::BranchDensity { n: 10_000, every: 2 },
];

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
}

/// Generates a workload and makes sure the analyses really run on it: a verdict of
/// "inconclusive" would time an early return, and a journey without checked sends would time
/// nothing. Prints what the check found, so the figures can be read with it.
fn workload(variant: Variant) -> OneFile {
    let file = OneFile::new(&variant.generate());
    let report = file.check();
    assert!(report.flow.inconclusive.is_empty(), "{}: inconclusive", variant.name());
    assert!(!report.diagnostics.iter().any(|d| d.code == Code::J0413), "{}: J0413", variant.name());
    assert!(!report.flow.evidence.is_empty(), "{}: no send was checked", variant.name());
    let nodes: usize = report.flow.graphs.iter().map(|g| g.nodes.len()).sum();
    let edges: usize = report.flow.graphs.iter().map(|g| g.edge_count()).sum();
    eprintln!(
        "{}: {} bytes, {nodes} nodes, {edges} edges, {} visits ({:.1} per edge), {} sends checked, {} diagnostics",
        variant.name(),
        file.len,
        report.flow.visits,
        report.flow.visits as f64 / edges.max(1) as f64,
        report.flow.evidence.len(),
        report.diagnostics.len()
    );
    file
}

fn whole_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow");
    configure(&mut group);
    for variant in WORKLOADS {
        let file = workload(variant);
        group.bench_function(variant.name(), |b| b.iter(|| black_box(&file).check()));
    }
    group.finish();
}

fn analyses_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_only");
    configure(&mut group);
    for variant in WORKLOADS {
        let file = workload(variant);
        let sources = project::load_sources(std::slice::from_ref(&file.path), &file.loader);
        let (model, _) = check::check_sources(&sources);
        group.bench_function(variant.name(), |b| {
            b.iter(|| {
                let mut sink = check::Sink::default();
                black_box(flow::analyze(black_box(&sources), black_box(&model), &mut sink))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, whole_check, analyses_only);
criterion_main!(benches);
