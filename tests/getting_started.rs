//! docs/getting-started.md, followed as a user would: every `sh` block not marked
//! `<!-- not run: ... -->` runs, in order, in one bash session in a scratch directory, with the
//! `journey` under test first on PATH. The run must succeed, and what the page says it shows
//! must be there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Command;

/// The page's runnable `sh` blocks, joined into one script.
fn script(page: &str) -> (String, usize) {
    let mut script = String::from("set -euo pipefail\n");
    let mut blocks = 0;
    let mut skip_next = false;
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("<!-- not run:") {
            skip_next = true;
        } else if line == "```sh" {
            let block: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
            if !std::mem::take(&mut skip_next) {
                script.push_str(&block.join("\n"));
                script.push('\n');
                blocks += 1;
            }
        } else if line.starts_with("```") {
            skip_next = false;
        }
    }
    (script, blocks)
}

#[test]
fn the_getting_started_page_runs_from_start_to_end() {
    let page = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/getting-started.md")).unwrap();
    let (script, blocks) = script(&page);
    assert!(blocks >= 7, "{blocks} blocks:\n{script}");
    assert!(!script.contains("cargo install"), "install blocks are marked as not run");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("getting-started");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_journey")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // What the page says happens.
    assert!(stderr.contains("checked 3 files: no problems"), "{stderr}");
    assert!(stdout.contains("follow_up.journey:5:25: error[J0101]"), "the duration:\n{stdout}");
    assert!(stdout.contains("journey check found problems (exit code 1)"), "{stdout}");
    assert!(stderr.contains("fixed 4 problems in 1 file"), "--fix fixed the duration and three arrows: {stderr}");
    let fixed = fs::read_to_string(dir.join("shop/follow_up.journey")).unwrap();
    assert!(fixed.contains("timeout 2d") && !fixed.contains("->"), "{fixed}");
    assert!(stdout.contains("follow_up.bundle.json") && stdout.contains("welcome.bundle.json"), "{stdout}");
    assert!(stdout.contains("sent hours on messenger"), "the simulation: {stdout}");
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("shop/journey.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}
