//! `journey map` pages in a real browser: Debian's Chromium, headless, driven by playwright-core
//! (`tools/map-browser/open-maps.mjs`, which only looks; this test decides).
//!
//! The maps of the examples (`examples/` without `examples/broken`, one project), of every
//! project of `examples/broken` (each with a violation), and of a generated 1,000-stage journey
//! are written by `journey map` in process and opened one by one. Each page must raise no
//! console error or warning and no page error, request nothing from the network, and show every
//! send and every stage the checker's flow graphs have (as the compiler reports them, not as the
//! map document says). On a violation with a witness path, a click on its step must mark every
//! step and edge of the path. The 1,000-stage map must be drawn and painted within 2 s
//! (docs/performance.md). Screenshots go to `$CARGO_TARGET_TMPDIR/map-browser/`.
//!
//! Without Chromium, node or `tools/map-browser/node_modules` the test passes with a note, except
//! under `CI` (set by `.ci/run`), where it fails: CI must prove that it ran. `.ci/run` installs
//! Debian's `chromium` and runs `npm ci` in `tools/map-browser`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use journey::args::{MapArgs, MapFormat};
use serde_json::{json, Value};

/// The most the 1,000-stage map may take from the script's start to its first paint.
const LARGE_MAP_BUDGET_MS: f64 = 2000.0;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn chromium() -> PathBuf {
    std::env::var_os("JOURNEY_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser, if anything.
fn missing() -> Option<String> {
    if !chromium().is_file() {
        return Some(format!("{} (Debian's `chromium`)", chromium().display()));
    }
    if !Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some("node".to_owned());
    }
    let playwright = repository().join("tools/map-browser/node_modules/playwright-core");
    if !playwright.is_dir() {
        return Some("tools/map-browser/node_modules (run `npm ci` there)".to_owned());
    }
    None
}

/// Whether the test may run: everything is there, or something is missing outside CI (a note,
/// no run).
fn browser_or_skip() -> bool {
    let Some(what) = missing() else { return true };
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing but CI is set: the browser test must run in CI (.ci/run installs it)");
    }
    eprintln!("note: skipping the browser test: {what} is missing");
    false
}

/// The sends and stages of the projects under `paths`, as `journey/node` and `journey/stage`,
/// from the checker's flow graphs; and, per project, the first step that carries a violation
/// with a witness path, with that path.
struct Expected {
    sends: BTreeSet<String>,
    stages: BTreeSet<String>,
    witnesses: Vec<(String, Vec<String>)>,
}

fn expected(paths: &[PathBuf], exclude: &[PathBuf]) -> Expected {
    let mut out = Expected { sends: BTreeSet::new(), stages: BTreeSet::new(), witnesses: Vec::new() };
    journey::check::check_projects(paths, exclude, |inputs, report| {
        let (sends, stages) = journey_test_support::sends_and_stages(report);
        out.sends.extend(sends);
        out.stages.extend(stages);
        let (name, _) = journey::map::project_name(inputs);
        let doc = journey::map::document(&name, inputs, report);
        let witness = doc.journeys.iter().flat_map(|j| &j.problems).find(|p| !p.witness.is_empty());
        out.witnesses.push((name, witness.map(|p| p.witness.clone()).unwrap_or_default()));
    });
    out
}

fn map(paths: &[PathBuf], exclude: &[PathBuf], out: &Path) -> journey::exit::Exit {
    let args =
        MapArgs { paths: paths.to_vec(), exclude: exclude.to_vec(), out: out.to_path_buf(), format: MapFormat::Html };
    let exit = journey::map::run(&args);
    assert_ne!(exit, journey::exit::Exit::Usage, "journey map could not map {paths:?}");
    exit
}

/// Markup and script in every kind of text a card shows; each would set
/// `window.journeyMapInjected` if the page let it run.
const HOSTILE: &str = r#"import "std/channels"
event order_placed { order_id: text }
message hostile on email as utility {
  subject "<img src=x onerror='window.journeyMapInjected = true'>"
  text "</script><script>window.journeyMapInjected = true</script> & \"quotes\" 'single' <!-- é 🎉"
}
journey hostile {
  entry on order_placed
  stage s {
    tag "<b onmouseover='window.journeyMapInjected = true'>x</b>"
    send hostile
  }
}
"#;

/// A journey of `stages` stages, each one of four shapes in turn (a wait and a send; a branch; a
/// wait for an event with a timeout; a branch with two sends), every one checked clean.
fn long_journey(stages: usize) -> String {
    let mut text = String::from(
        "import \"std/channels\"\n\
         event order_placed { order_id: text }\n\
         event order_shipped { carrier: text }\n\
         message tip on email as utility {\n  subject \"A tip\"\n  text \"A tip about your order\"\n}\n\
         message tip_again on email as utility {\n  subject \"Another tip\"\n  text \"One more tip about your order\"\n}\n\
         journey long_series {\n  entry on order_placed\n",
    );
    for i in 1..=stages {
        let body = match i % 4 {
            0 => "    wait 1d\n    send tip\n",
            1 => "    wait 1d\n    if consent(sms, marketing) {\n      send tip_again\n    } else {\n      send tip\n    }\n",
            2 => "    wait for order_shipped within 2d {\n      order_shipped => { send tip }\n      timeout => { send tip_again }\n    }\n",
            _ => "    if consent(whatsapp, marketing) {\n      send tip\n      wait 1h\n      send tip_again\n    }\n",
        };
        text.push_str(&format!("  stage s{i:04} {{\n{body}  }}\n"));
    }
    text.push_str("}\n");
    text
}

#[test]
fn the_maps_of_the_examples_open_in_chromium_without_errors_and_show_every_send_stage_and_witness() {
    if !browser_or_skip() {
        return;
    }
    let root = repository();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map-browser");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();

    // The examples, one project; every project of examples/broken, one map each; the long one.
    let examples = (vec![root.join("examples")], vec![root.join("examples/broken")]);
    assert_eq!(map(&examples.0, &examples.1, &dir.join("examples.html")), journey::exit::Exit::Ok);
    let broken = vec![root.join("examples/broken")];
    // Violations still get their maps (exit 1, as `journey check`).
    assert_eq!(map(&broken, &[], &dir.join("broken")), journey::exit::Exit::Problems);
    fs::write(dir.join("long.journey"), long_journey(1000)).unwrap();
    let long = vec![dir.join("long.journey")];
    assert_eq!(map(&long, &[], &dir.join("long.html")), journey::exit::Exit::Ok);

    // (page, what it must show, the step to click and the witness path it must mark)
    // Hostile texts: markup and script in a message, a subject, a reply and a tag.
    let hostile = dir.join("hostile");
    fs::create_dir_all(&hostile).unwrap();
    fs::write(hostile.join("hostile.journey"), HOSTILE).unwrap();
    assert_eq!(map(&[hostile.join("hostile.journey")], &[], &dir.join("hostile.html")), journey::exit::Exit::Ok);

    let mut pages: Vec<(PathBuf, Expected, Option<Vec<String>>)> = Vec::new();
    pages.push((dir.join("hostile.html"), expected(&[hostile.join("hostile.journey")], &[]), None));
    pages.push((dir.join("examples.html"), expected(&examples.0, &examples.1), None));
    let mut projects: Vec<PathBuf> = fs::read_dir(root.join("examples/broken"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("journey.toml").is_file())
        .collect();
    projects.sort();
    for project in projects {
        let stem = project.file_name().unwrap().to_string_lossy().into_owned();
        let one = expected(&[project], &[]);
        let witness = one.witnesses.first().map(|(_, w)| w.clone()).filter(|w| !w.is_empty());
        pages.push((dir.join("broken").join(format!("{stem}.html")), one, witness));
    }
    pages.push((dir.join("long.html"), expected(&long, &[]), None));
    assert!(pages.len() >= 8, "{}", pages.len());
    assert!(pages.iter().filter(|(_, _, w)| w.is_some()).count() >= 3, "too few witnesses to click");

    let jobs: Vec<Value> = pages
        .iter()
        .map(|(page, _, click)| {
            let shot = page.with_extension("png");
            let click = click.as_ref().and_then(|w| w.last());
            json!({ "page": page, "screenshot": shot, "click": click, "width": 1600, "height": 1000 })
        })
        .collect();
    // The worst case for the record (docs/performance.md): every stage laid out anew, as if no
    // two stages had the same shape. Timed, not judged.
    let mut jobs = jobs;
    jobs.push(json!({ "page": dir.join("long.html"), "screenshot": null, "click": null, "hash": "#no-layout-cache" }));
    let jobs_file = dir.join("jobs.json");
    let result_file = dir.join("result.json");
    fs::write(&jobs_file, serde_json::to_string(&jobs).unwrap()).unwrap();
    let output = Command::new("node")
        .arg(root.join("tools/map-browser/open-maps.mjs"))
        .arg(&jobs_file)
        .arg(&result_file)
        .env("JOURNEY_CHROMIUM", chromium())
        .output()
        .unwrap();
    assert!(output.status.success(), "the browser script failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let results: Vec<Value> = serde_json::from_slice(&fs::read(&result_file).unwrap()).unwrap();
    assert_eq!(results.len(), pages.len() + 1);
    let (results, worst) = results.split_at(pages.len());

    for ((page, expected, click), result) in pages.iter().zip(results) {
        let shown = page.display();
        assert_eq!(result["errors"], json!([]), "{shown}: {result:#}");
        assert_eq!(result["requests"], json!([]), "{shown}: the page asked for the network");
        let strings = |key: &str| -> BTreeSet<String> {
            result[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
        };
        let (nodes, stages) = (strings("nodes"), strings("stages"));
        let lost: Vec<&String> = expected.sends.difference(&nodes).collect();
        assert!(lost.is_empty(), "{shown}: sends not on the page: {lost:?}");
        let lost: Vec<&String> = expected.stages.difference(&stages).collect();
        assert!(lost.is_empty(), "{shown}: stages not on the page: {lost:?}");
        assert!(!expected.stages.is_empty() || page.ends_with("quiet_hours.html"), "{shown}: no stage expected?");
        assert_eq!(result["lifecycleRows"].as_u64().unwrap() as usize, expected.stages.len(), "{shown}");
        assert!(page.with_extension("png").is_file(), "{shown}: no screenshot");
        assert_eq!(result["injected"], json!(false), "{shown}: a text of the project ran as script");
        if let Some(witness) = click {
            let marked: BTreeSet<&str> =
                result["clicked"]["witnessCards"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            for id in witness {
                assert!(marked.contains(id.as_str()), "{shown}: witness step {id} not marked: {result:#}");
            }
            let edges = result["clicked"]["witnessEdges"].as_u64().unwrap() as usize;
            assert!(edges + 1 >= witness.len(), "{shown}: {edges} witness edges for {witness:?}");
            let details = result["clicked"]["details"].as_str().unwrap();
            for field in ["compliance record", "consent", "window", "quiet hours", "frequency", "witness: entry →"] {
                assert!(details.contains(field), "{shown}: the details lack {field:?}: {details}");
            }
        }
    }

    let previews = results[0]["previews"].as_array().unwrap();
    assert!(
        previews
            .iter()
            .any(|p| p.as_str().unwrap().contains("</script><script>window.journeyMapInjected = true</script>")),
        "the hostile text is not shown as text: {previews:?}"
    );

    let long_result = results.last().unwrap();
    assert_eq!(long_result["stages"].as_array().unwrap().len(), 1000);
    let painted = long_result["timing"]["paintedMs"].as_f64().unwrap();
    eprintln!(
        "1,000-stage map: drawn in {:.0} ms, painted in {painted:.0} ms (since navigation: {:.0} ms)",
        long_result["timing"]["renderMs"].as_f64().unwrap(),
        long_result["timing"]["sinceNavigationMs"].as_f64().unwrap()
    );
    let worst = &worst[0];
    assert_eq!(worst["errors"], json!([]), "{worst:#}");
    eprintln!(
        "1,000-stage map, every stage laid out anew (#no-layout-cache): drawn in {:.0} ms, painted in {:.0} ms",
        worst["timing"]["renderMs"].as_f64().unwrap(),
        worst["timing"]["paintedMs"].as_f64().unwrap()
    );
    assert!(painted < LARGE_MAP_BUDGET_MS, "the 1,000-stage map took {painted} ms to paint");
}
