//! Development aid: times `parse` on one file (the real benchmark is in benches/).
//! With `--once`, parses once and prints nothing (for instruction counting under callgrind).
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let once = std::env::args().any(|a| a == "--once");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if once {
        let parsed = journey_compiler::parse(journey_compiler::FileId(0), &text);
        std::process::exit(i32::from(!parsed.diagnostics.is_empty()));
    }
    let start = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..10 {
        n += journey_compiler::parse(journey_compiler::FileId(0), &text).diagnostics.len();
    }
    let secs = start.elapsed().as_secs_f64() / 10.0;
    println!(
        "{} bytes, {:.2} ms, {:.1} MB/s, {} diagnostics",
        text.len(),
        secs * 1e3,
        text.len() as f64 / secs / 1e6,
        n / 10
    );
}
