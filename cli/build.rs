//! Writes one test per diagnostic fixture (`tests/fixtures/diagnostics/*.journey`) into
//! `OUT_DIR/diagnostic_fixtures.rs`, which `tests/diagnostics.rs` includes: each fixture file is
//! a named test (`J0101_expected_message_name`, `J0101_expected_message_name_fixed`), so a new
//! fixture is tested without being listed anywhere. Nothing here goes into the binary.

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new("../tests/fixtures/diagnostics");
    println!("cargo::rerun-if-changed={}", dir.display());
    // Without the fixtures (a build from a package of this crate alone) there is nothing to test.
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".journey"))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    let mut out = String::new();
    for name in &names {
        // `J0101_what.fixed.journey` -> `J0101_what_fixed`.
        let test: String = name
            .trim_end_matches(".journey")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let test = if test.starts_with(|c: char| c.is_ascii_digit()) { format!("fixture_{test}") } else { test };
        writeln!(out, "#[test]\n#[allow(non_snake_case)]\nfn {test}() {{\n    check_fixture({name:?});\n}}\n")?;
    }
    writeln!(out, "/// Every fixture file a test was written for, sorted.")?;
    writeln!(out, "const FIXTURES_WITH_TESTS: &[&str] = &{names:?};")?;
    let out_dir = std::env::var("OUT_DIR")?;
    std::fs::write(Path::new(&out_dir).join("diagnostic_fixtures.rs"), out)?;
    Ok(())
}
