//! Memory stays within `limits::MAX_HEAP_PER_SOURCE_BYTE` times the file size for the inputs
//! that used to cost the most: millions of diagnostics past the per-file cap (an 8 MiB
//! file of `}` lines peaked at 3.1 GB).
//!
//! A global allocator records the peak of live heap bytes; each case measures the peak of
//! `check_project` (what `journey check` runs) above what was live before it. One test function
//! runs the cases one after another, because the peak is process-wide and the harness would
//! otherwise run tests of this file in parallel.

use journey_compiler::limits::{MAX_HEAP_PER_SOURCE_BYTE, MAX_SOURCE_BYTES};
use journey_compiler::project::{MemoryLoader, ProjectPath};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const MIB: usize = 1024 * 1024;

/// `unit` repeated to just under `bytes`.
fn repeated(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

/// A journey whose one stage holds `steps`.
fn journey_with(steps: &str) -> String {
    format!("event signed_up {{ plan: text }}\njourney j {{\n  entry on signed_up\n  stage s {{\n{steps}    exit\n  }}\n}}\n")
}

/// The cases: name and source text, each at most `MAX_SOURCE_BYTES`.
fn cases() -> Vec<(&'static str, String)> {
    vec![
        ("8 MiB of `}` lines (J0103 on every line)", repeated("}\n", MAX_SOURCE_BYTES)),
        ("one 4 MiB line of `} ` (J0103 every other byte)", repeated("} ", 4 * MIB)),
        ("8 MiB of unclosed `(` lines (J0102 on every line)", repeated("(\n", MAX_SOURCE_BYTES)),
        ("8 MiB of control characters between blanks (J0113 every other byte)", repeated("\u{1} ", MAX_SOURCE_BYTES)),
        ("8 MiB of unterminated strings (J0104 on every line)", repeated("\"\n", MAX_SOURCE_BYTES)),
        (
            "a journey of 8 MiB of misspelled steps (J0101 on every line)",
            journey_with(&repeated("    sned welcome\n", MAX_SOURCE_BYTES - 200)),
        ),
        (
            "8 MiB of duplicate segments naming an unknown segment (J0209 and J0202 on every line)",
            repeated("segment a = b\n", MAX_SOURCE_BYTES),
        ),
        // Not hostile, but the most a valid file holds: the benchmark's journey at 100,000
        // stages (about 5.3 MB), through every flow analysis.
        ("the 100,000-stage benchmark file (valid)", journey_gen::baseline(100_000)),
    ]
}

#[test]
fn checking_any_hostile_file_stays_within_the_documented_multiple_of_its_size() {
    let mut failures = Vec::new();
    for (name, text) in cases() {
        assert!(text.len() <= MAX_SOURCE_BYTES, "{name}: {} bytes is over the size limit", text.len());
        let path = ProjectPath::new("main.journey").unwrap();
        let mut loader = MemoryLoader::default();
        loader.insert(path.clone(), text.into_bytes());
        let size = MAX_SOURCE_BYTES.min(loader_size(&loader, &path));
        let before = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let report = journey_compiler::check_project(std::slice::from_ref(&path), &loader);
        let peak = HEAP.peak_usage().saturating_sub(before);
        let shown = report.diagnostics.len();
        drop(report);
        let bound = MAX_HEAP_PER_SOURCE_BYTE * size;
        // Printed so that `cargo test -- --nocapture` gives the figures for docs/performance.md.
        println!("{name}: {size} bytes, peak {peak} bytes ({:.1}x), {shown} diagnostics shown", ratio(peak, size));
        if peak > bound {
            failures.push(format!("{name}: peak {peak} bytes is over {bound} ({MAX_HEAP_PER_SOURCE_BYTE}x {size})"));
        }
        if shown > journey_compiler::limits::MAX_DIAGNOSTICS_PER_FILE + 50 {
            failures.push(format!("{name}: {shown} diagnostics shown"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn loader_size(loader: &MemoryLoader, path: &ProjectPath) -> usize {
    use journey_compiler::project::SourceLoader;
    loader.load(path).map(|bytes| bytes.len()).unwrap_or(0)
}

fn ratio(peak: usize, size: usize) -> f64 {
    // Display only; sizes are far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let ratio = peak as f64 / size.max(1) as f64;
    ratio
}
