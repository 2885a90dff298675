//! `journey map`, in process: the map document of checked projects (insta snapshots of its JSON
//! and of the DOT text), every send and stage of the examples on the map, witnesses read from
//! the checker's own paths, and hostile message texts that stay text in the HTML page.
//!
//! The page in a real browser is `tests/map_browser.rs`.

// clippy.toml allows these inside `#[test]` functions; the helpers below are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use journey::map::model::MapDocument;
use journey::map::{self};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The maps of the projects under `paths` (relative to the repository, so names are stable),
/// with every send and stage the checker's graphs have: (journey/node id, journey/stage).
struct Mapped {
    docs: Vec<MapDocument>,
    sends: BTreeSet<String>,
    stages: BTreeSet<String>,
}

fn mapped(paths: &[&str], exclude: &[&str]) -> Mapped {
    let _cwd = CwdGuard::enter(&repository());
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let exclude: Vec<PathBuf> = exclude.iter().map(PathBuf::from).collect();
    let mut out = Mapped { docs: Vec::new(), sends: BTreeSet::new(), stages: BTreeSet::new() };
    let outcome = journey::check::check_projects(&paths, &exclude, |inputs, report| {
        let (name, _) = map::project_name(inputs);
        out.docs.push(map::document(&name, inputs, report));
        let (sends, stages) = journey_test_support::sends_and_stages(report);
        out.sends.extend(sends);
        out.stages.extend(stages);
    });
    assert!(outcome.io_errors.is_empty(), "{:?}", outcome.io_errors);
    out
}

/// Tests in this file read files by paths relative to the repository; the working directory is
/// process-wide, so they take turns.
struct CwdGuard(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl CwdGuard {
    fn enter(dir: &Path) -> CwdGuard {
        let guard = CWD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        std::env::set_current_dir(dir).unwrap();
        CwdGuard(guard)
    }
}

#[test]
fn every_send_and_stage_of_the_examples_is_on_their_map_with_its_compliance_record() {
    let mapped = mapped(&["examples"], &["examples/broken"]);
    assert_eq!(mapped.docs.len(), 1, "the examples are one project");
    let doc = &mapped.docs[0];
    assert_eq!(doc.project, "examples");
    let mut sends = BTreeSet::new();
    let mut stages = BTreeSet::new();
    for journey in &doc.journeys {
        for node in &journey.nodes {
            if let Some(send) = &node.send {
                sends.insert(format!("{}/{}", journey.name, node.id));
                assert!(send.record.is_some(), "{}/{} has no record", journey.name, node.id);
                assert!(!send.channel.is_empty() && !send.category.is_empty(), "{}/{}", journey.name, node.id);
            }
        }
        stages.extend(journey.stages.iter().map(|s| format!("{}/{}", journey.name, s.name)));
        assert!(journey.problems.is_empty(), "{:?}", journey.problems);
    }
    assert_eq!(sends, mapped.sends);
    assert_eq!(stages, mapped.stages);
    assert!(sends.len() > 50, "{}", sends.len());
    // The lifecycle view has a row per stage and a column per channel something is sent on.
    assert_eq!(doc.lifecycle.rows.len(), stages.len());
    for channel in ["email", "messenger", "sms", "whatsapp"] {
        assert!(doc.lifecycle.channels.iter().any(|c| c == channel), "{channel}: {:?}", doc.lifecycle.channels);
    }
}

#[test]
fn the_map_document_of_a_send_without_consent_shows_the_violation_on_the_send_with_its_witness() {
    let mapped = mapped(&["examples/broken/consent"], &[]);
    insta::assert_snapshot!(serde_json::to_string_pretty(&mapped.docs[0]).unwrap());
}

#[test]
fn a_window_violation_draws_its_witness_path_in_red_in_the_dot_text() {
    let mapped = mapped(&["examples/broken/window"], &[]);
    let doc = &mapped.docs[0];
    let problem = &doc.journeys[0].problems[0];
    assert_eq!(problem.code, "J0402");
    assert_eq!(problem.witness, ["follow_up.1", "follow_up.2"]);
    insta::assert_snapshot!(map::dot::write(doc));
}

#[test]
fn every_violation_of_the_broken_examples_with_a_path_has_a_witness_of_graph_nodes_ending_at_its_step() {
    let mapped = mapped(&["examples/broken"], &[]);
    let mut witnessed = 0;
    for doc in &mapped.docs {
        for journey in &doc.journeys {
            let ids: BTreeSet<&str> = journey.nodes.iter().map(|n| n.id.as_str()).collect();
            for (index, problem) in journey.problems.iter().enumerate() {
                let printed_path =
                    problem.text.lines().any(|l| l.starts_with("note: path") && l.contains(": entry ->"));
                assert_eq!(!problem.witness.is_empty(), printed_path, "{}: {}", doc.project, problem.text);
                if problem.witness.is_empty() {
                    continue;
                }
                witnessed += 1;
                assert!(problem.witness.iter().all(|id| ids.contains(id.as_str())), "{:?}", problem.witness);
                // The path ends at the step the violation is reported on.
                let last = problem.witness.last().unwrap();
                let node = journey.nodes.iter().find(|n| &n.id == last).unwrap();
                assert!(node.problems.contains(&index), "{}: {last} does not carry {}", doc.project, problem.code);
            }
        }
    }
    assert!(witnessed >= 3, "{witnessed}");
}

#[test]
fn a_hostile_message_text_stays_text_in_the_page_and_reads_back_unchanged() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map-hostile");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let hostile = r#"</script><script>alert(1)</script><!-- ' & \" é 🎉"#;
    let source = format!(
        "import \"std/channels\"\nevent order_placed {{ order_id: text }}\n\
         message note on email as utility {{\n  subject \"</title><b>\"\n  text \"{hostile}\"\n}}\n\
         journey j {{\n  entry on order_placed\n  stage s {{\n    send note\n  }}\n}}\n"
    );
    fs::write(dir.join("hostile.journey"), &source).unwrap();
    let _cwd = CwdGuard::enter(&dir);
    let mut pages = Vec::new();
    journey::check::check_projects(&[PathBuf::from("hostile.journey")], &[], |inputs, report| {
        let (name, _) = map::project_name(inputs);
        let doc = map::document(&name, inputs, report);
        pages.push((doc.clone(), map::html::write(&doc).unwrap()));
    });
    let (doc, page) = &pages[0];
    let preview = &doc.journeys[0].nodes[0].send.as_ref().unwrap().preview;
    assert!(preview.contains("</script><script>alert(1)</script>"), "{preview}");
    // The data element holds no `<` at all, so it ends at its own `</script>` only.
    let start = page.find("<script type=\"application/json\" id=\"map-data\">").unwrap();
    let data = &page[start..];
    let data = &data[data.find('>').unwrap() + 1..data.find("</script>").unwrap()];
    assert!(!data.contains('<'));
    let back: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(back["journeys"][0]["nodes"][0]["send"]["preview"], serde_json::json!(preview));
    // Exactly the page's own three script elements.
    assert_eq!(page.matches("<script").count(), 3);
    assert_eq!(page.matches("</script>").count(), 3);
}

#[test]
fn several_projects_get_one_file_each_named_after_the_project_and_a_clash_is_refused() {
    let out = Path::new("maps");
    let names = map::file_names(out, ["consent", "window"].into_iter(), "html").unwrap();
    assert_eq!(names, [out.join("consent.html"), out.join("window.html")]);
    assert_eq!(map::file_names(out, ["only"].into_iter(), "dot").unwrap(), [out.to_path_buf()]);
    let clash = map::file_names(out, ["a", "a"].into_iter(), "html").unwrap_err();
    assert!(clash.contains("two projects are named `a`"), "{clash}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_map(paths: &[&str], out: &Path, format: journey::args::MapFormat) -> journey::exit::Exit {
    let _cwd = CwdGuard::enter(&repository());
    let args = journey::args::MapArgs {
        paths: paths.iter().map(PathBuf::from).collect(),
        exclude: Vec::new(),
        out: out.to_path_buf(),
        format,
    };
    journey::map::run(&args)
}

#[test]
fn a_project_with_a_violation_gets_its_map_and_the_exit_code_of_check() {
    let dir = scratch("violation");
    let out = dir.join("nested/consent.html");
    assert_eq!(
        run_map(&["examples/broken/consent"], &out, journey::args::MapFormat::Html),
        journey::exit::Exit::Problems
    );
    let page = fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("id=\"map-data\"") && page.contains("J0401"));
    let dot = dir.join("consent.dot");
    assert_eq!(
        run_map(&["examples/broken/consent"], &dot, journey::args::MapFormat::Dot),
        journey::exit::Exit::Problems
    );
    assert!(fs::read_to_string(&dot).unwrap().starts_with("// journey map of examples/broken/consent"));
}

#[test]
fn a_path_that_cannot_be_read_writes_no_map_and_exits_2() {
    let dir = scratch("unreadable");
    let out = dir.join("map.html");
    let exit = run_map(&["examples/broken/consent", "examples/no-such-dir"], &out, journey::args::MapFormat::Html);
    assert_eq!(exit, journey::exit::Exit::Usage);
    assert!(!out.exists());
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn a_file_that_does_not_parse_is_on_the_map_as_a_problem_beside_the_journeys_that_do() {
    let dir = scratch("syntax");
    fs::write(
        dir.join("a.journey"),
        "import \"std/channels\"\nevent order_placed { order_id: text }\n\
         message note on email as utility {\n  subject \"Hi\"\n  text \"Thanks\"\n}\n\
         journey ok {\n  entry on order_placed\n  stage s {\n    send note\n  }\n}\n\
         segment broken = = =\n",
    )
    .unwrap();
    let _cwd = CwdGuard::enter(&dir);
    let mut docs = Vec::new();
    journey::check::check_projects(&[PathBuf::from("a.journey")], &[], |inputs, report| {
        let (name, _) = map::project_name(inputs);
        docs.push(map::document(&name, inputs, report));
    });
    let doc = &docs[0];
    assert_eq!(doc.project, "a.journey");
    assert_eq!(doc.journeys.len(), 1);
    assert!(
        doc.problems.iter().any(|p| p.code.starts_with("J01") && p.at.starts_with("a.journey:13")),
        "{:?}",
        doc.problems
    );
}

/// `--format svg` runs Graphviz's `dot`; without it the test passes with a note, except under
/// `CI`, where `.ci/run` installs Debian's `graphviz`.
#[test]
fn svg_is_the_dot_text_drawn_by_graphviz_with_every_stage_and_the_witness_in_red() {
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    if !has_dot {
        assert!(
            std::env::var_os("CI").is_none(),
            "Graphviz's dot is missing but CI is set (.ci/run installs graphviz)"
        );
        eprintln!("note: skipping: Graphviz's dot is not on PATH");
        return;
    }
    let dir = scratch("svg");
    let out = dir.join("design.svg");
    assert_eq!(
        run_map(&["examples/broken/design"], &out, journey::args::MapFormat::Svg),
        journey::exit::Exit::Problems
    );
    let svg = fs::read_to_string(&out).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    for stage in ["stage awareness", "stage consideration", "stage decision", "consideration.3", "J0402"] {
        assert!(svg.contains(stage), "{stage}");
    }
    assert!(svg.contains("stroke=\"#d92d20\""), "no red witness edge");
}
