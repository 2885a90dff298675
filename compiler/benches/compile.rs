//! Benchmark of a full compile, check then emit: `check_project` (load,
//! parse, names, types, content, flow analyses) then `bundle::emit`, on journey-gen's
//! 10,000-stage baseline (tools/gen), the file `benches/pipeline.rs` and `bench/run.sh` time.
//!
//! `cargo bench -p journey-compiler --bench compile` runs it in about a minute. Target:
//! `compile/baseline-10000` ≤ 90 ms, release, one core (`taskset -c 0`). The other groups split
//! it and add what `journey build` also does in memory before it writes: `build/` is check, emit
//! and `bundle::validate` (reading every bundle back); `check/`, `emit/` and `validate/` time
//! each step alone, the last two on a report and bundles made once outside the timing. Results
//! are in docs/performance.md, "Full compile (check + emit)".

// A benchmark is a test: a panic here is a failed setup, not a crash a user can trigger.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use journey_compiler::bundle::{self, Options};
use journey_compiler::{ProjectReport, Severity};
use journey_gen::Variant;

mod common;
use common::OneFile;

const WORKLOAD: Variant = Variant::Baseline { n: 10_000 };

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
}

fn emit(report: &ProjectReport) -> Vec<(String, String)> {
    bundle::emit(report, Options::default())
}

/// What `journey build` does with each bundle before writing it: read it back and check it.
fn validate(bundles: &[(String, String)]) -> usize {
    let mut bytes = 0;
    for (journey, text) in bundles {
        bundle::validate(text).unwrap_or_else(|e| panic!("the bundle of `{journey}` is invalid: {e}"));
        bytes += text.len();
    }
    bytes
}

/// Generates the workload and makes sure it is a real build: no error (an error would time a
/// build that writes nothing), evidence for its sends, and one bundle.
fn workload() -> OneFile {
    let file = OneFile::new(&WORKLOAD.generate());
    let report = file.check();
    let errors: Vec<String> =
        report.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{}: {} errors, first: {:?}", WORKLOAD.name(), errors.len(), errors.first());
    assert!(!report.flow.evidence.is_empty(), "{}: no send was checked", WORKLOAD.name());
    let nodes: usize = report.flow.graphs.iter().map(|g| g.nodes.len()).sum();
    let bytes = validate(&emit(&report));
    eprintln!(
        "{}: {} bytes of source, {nodes} nodes, {} sends checked, {bytes} bytes of bundle",
        WORKLOAD.name(),
        file.len,
        report.flow.evidence.len()
    );
    file
}

fn compile(c: &mut Criterion) {
    let file = workload();
    let report = file.check();
    let bundles = emit(&report);
    let name = WORKLOAD.name();
    let mut group = |id: &str, routine: &mut dyn FnMut()| {
        let mut group = c.benchmark_group(id);
        configure(&mut group);
        group.bench_function(&name, |b| b.iter(&mut *routine));
        group.finish();
    };
    group("compile", &mut || drop(black_box(emit(&black_box(&file).check()))));
    group("build", &mut || {
        black_box(validate(&emit(&black_box(&file).check())));
    });
    group("check", &mut || drop(black_box(black_box(&file).check())));
    group("emit", &mut || drop(black_box(emit(black_box(&report)))));
    group("validate", &mut || {
        black_box(validate(black_box(&bundles)));
    });
}

criterion_group!(benches, compile);
criterion_main!(benches);
