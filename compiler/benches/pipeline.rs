//! Benchmarks of the pipeline on the workloads `tools/gen` generates (docs/performance.md).
//!
//! `cargo bench -p journey-compiler` runs them all in about two minutes on a 2-core machine;
//! `cargo bench -p journey-compiler -- parse/` runs one group. Goals they measure (docs/performance.md):
//!
//! - `parse/`, `check_file/` (decode + parse) and `check_project/` (what `journey check` runs:
//!   load, parse, names, types, content) at 1k and 10k stages, throughput in source bytes: G2a
//!   (parse ≥ 30 MB/s), G2b (check ≥ 15 MB/s); 1k vs 10k: G3a.
//! - `branch_density/`: `check_project` on 10k stages with a branch every 10, 4, 2 stages: G3b
//!   (≤ 1.5× from 10 % to 50 %).
//! - `diamond_ladder/`: `check_project` on k = 10..60 sequential if/else diamonds (2^k paths): G3b
//!   (60 in ≤ 5 ms).
//! - `variants/`: `check_project` on the 10k ring (G3c) and the 10k files with one error at the end
//!   (an unknown stage, and a syntax error).
//!
//! Whole-process times (startup, peak RSS, 20k and 100k stages) are measured by `bench/run.sh`.

// A benchmark is a test: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use journey_compiler::{check_file, parse, FileId};
use journey_gen::{Variant, BRANCH_EVERY, DIAMOND_KS};

mod common;
use common::OneFile;

/// Small enough that the whole suite stays within a few minutes on a shared 2-core machine, large
/// enough (ten samples of at least 2 s in all) for a stable median of a 10-50 ms run.
fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
}

/// Generates a variant and checks that it is what it claims to be, so a compiler change that
/// rejects the workload fails loudly instead of timing the error path.
fn source(variant: Variant) -> String {
    let text = variant.generate();
    let expected = usize::from(!variant.is_valid());
    let syntax_expected = usize::from(matches!(variant, Variant::SyntaxErrorAtEnd { .. }));
    let syntax = check_file(FileId(0), text.as_bytes()).diagnostics;
    assert!(
        syntax.len() == syntax_expected,
        "{}: expected {syntax_expected} syntax errors, got {syntax:#?}",
        variant.name()
    );
    let report = OneFile::new(&text).check();
    let project = &report.diagnostics;
    assert!(project.len() == expected, "{}: expected {expected} diagnostics, got {project:#?}", variant.name());
    // G3b's bound: fixpoint work in node visits against graph edges (several analyses share it).
    let nodes: usize = report.flow.graphs.iter().map(|g| g.nodes.len()).sum();
    let edges: usize = report.flow.graphs.iter().map(|g| g.edge_count()).sum();
    let visits = report.flow.visits;
    eprintln!(
        "{}: {nodes} nodes, {edges} edges, {visits} fixpoint visits ({:.2} per edge)",
        variant.name(),
        visits as f64 / edges.max(1) as f64
    );
    text
}

/// Times the whole check of a one-file project, as `journey check` runs it.
fn bench_project(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, id: String, text: &str) {
    let project = OneFile::new(text);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function(id, |b| b.iter(|| black_box(&project).check()));
}

fn parse_sizes(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    configure(&mut group);
    for n in [1_000, 10_000] {
        let text = source(Variant::Baseline { n });
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("baseline-{n}"), |b| b.iter(|| parse(FileId(0), black_box(&text))));
    }
    group.finish();
}

fn check_sizes(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_file");
    configure(&mut group);
    for n in [1_000, 10_000] {
        let text = source(Variant::Baseline { n });
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("baseline-{n}"), |b| b.iter(|| check_file(FileId(0), black_box(text.as_bytes()))));
    }
    group.finish();
}

fn project_sizes(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_project");
    configure(&mut group);
    for n in [1_000, 10_000] {
        let variant = Variant::Baseline { n };
        bench_project(&mut group, variant.name(), &source(variant));
    }
    group.finish();
}

fn branch_density(c: &mut Criterion) {
    let mut group = c.benchmark_group("branch_density");
    configure(&mut group);
    for every in BRANCH_EVERY {
        let variant = Variant::BranchDensity { n: 10_000, every };
        bench_project(&mut group, variant.name(), &source(variant));
    }
    group.finish();
}

fn diamond_ladder(c: &mut Criterion) {
    let mut group = c.benchmark_group("diamond_ladder");
    configure(&mut group);
    group.measurement_time(Duration::from_secs(1));
    for k in DIAMOND_KS {
        let variant = Variant::DiamondLadder { k };
        bench_project(&mut group, variant.name(), &source(variant));
    }
    group.finish();
}

fn variants(c: &mut Criterion) {
    let mut group = c.benchmark_group("variants");
    configure(&mut group);
    for variant in
        [Variant::Ring { n: 10_000 }, Variant::InvalidAtEnd { n: 10_000 }, Variant::SyntaxErrorAtEnd { n: 10_000 }]
    {
        bench_project(&mut group, variant.name(), &source(variant));
    }
    group.finish();
}

criterion_group!(benches, parse_sizes, check_sizes, project_sizes, branch_density, diamond_ladder, variants);
criterion_main!(benches);
