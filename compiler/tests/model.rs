//! The resolved model: every use of a declared name is recorded with the declaration it means,
//! across the files of a project, by the same rules the checker reports with.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::model::{Def, SymbolKind};
use journey_compiler::{check_project, LineIndex, ProjectReport};
use journey_test_support::{disk_project, memory_project, project_root};

fn project(files: &[(&str, &str)]) -> ProjectReport {
    let (memory, entries) = memory_project(files.iter().copied());
    check_project(&entries, &memory)
}

fn text_at(report: &ProjectReport, def: Def) -> &str {
    let file = report.sources.file(def.file).unwrap();
    &file.text[def.span.range()]
}

fn place(report: &ProjectReport, def: Def) -> String {
    let file = report.sources.file(def.file).unwrap();
    let at = LineIndex::new(&file.text).line_col_chars(&file.text, def.span.start());
    format!("{}:{}:{}", file.name, at.line + 1, at.col + 1)
}

/// Each reference as `use -> declaration  kind name`, in the model's order.
fn references(report: &ProjectReport) -> Vec<String> {
    report
        .model
        .references
        .iter()
        .filter(|r| !report.sources.file(r.target.file).unwrap().name.starts_with("std/"))
        .map(|r| {
            format!(
                "{} -> {}  {} {}",
                place(report, r.at),
                place(report, r.target),
                r.kind.describe(),
                text_at(report, r.at)
            )
        })
        .collect()
}

const SHARED: &str = r#"import "std/channels"
event order_placed { total: money }
segment big = spend > 100
profile { spend: int }
message thanks on sms as service {
  text "Thanks! {event.total}"
}
"#;

const FIRST: &str = r#"import "shared.journey"
journey a {
  audience big
  entry on order_placed
  stage start {
    send thanks
    goto later
  }
  stage later {
    send thanks
  }
}
"#;

const SECOND: &str = r#"import "shared.journey"
message thanks on sms as service {
  text "A duplicate: the first declaration wins"
}
journey b {
  entry on order_placed where total > 5 USD
  stage only {
    if big { send thanks }
  }
}
"#;

#[test]
fn every_use_in_every_file_resolves_to_the_first_declaration_of_its_name() {
    let report = project(&[("first.journey", FIRST), ("second.journey", SECOND), ("shared.journey", SHARED)]);
    insta::assert_snapshot!(references(&report).join("\n"));
    // The duplicate message is reported, and no use points at it.
    assert!(report.diagnostics.iter().any(|d| d.code == journey_compiler::Code::J0209));
}

#[test]
fn every_reference_in_the_examples_is_written_as_the_name_it_resolves_to() {
    let (disk, entries) = disk_project(&project_root("examples"));
    let report = check_project(&entries, &disk);
    let model = &report.model;
    assert!(model.references.len() > 100, "{}", model.references.len());
    let declared: Vec<Def> = model.declarations().iter().map(|d| d.def).collect();
    for reference in &model.references {
        assert_eq!(text_at(&report, reference.at), text_at(&report, reference.target), "{reference:?}");
        assert!(declared.contains(&reference.target), "{reference:?} points at no declaration");
    }
    for kind in [SymbolKind::Channel, SymbolKind::Event, SymbolKind::Message, SymbolKind::Stage, SymbolKind::Segment] {
        assert!(model.references.iter().any(|r| r.kind == kind), "no {} is referenced", kind.describe());
    }
}

#[test]
fn a_goto_to_a_stage_declared_twice_leads_to_its_first_declaration_in_the_flow_graph() {
    let text = r#"import "std/channels"
event signed_up {}
message first on sms as service { text "first" }
message second on sms as service { text "second" }
journey j {
  entry on signed_up
  stage start { goto later }
  stage later {
    send first
    exit
  }
  stage later { send second }
}
"#;
    let report = project(&[("main.journey", text)]);
    assert!(report.diagnostics.iter().any(|d| d.code == journey_compiler::Code::J0209));
    let graph = report.flow.graphs.first().unwrap();
    // Follow the graph from its start: the first `later` is reached, the second is not.
    let mut seen = Vec::new();
    let mut target = graph.start;
    for _ in 0..graph.nodes.len() {
        let journey_compiler::flow::graph::Target::Node(index) = target else { break };
        let node = graph.node(index).unwrap();
        seen.extend(node.kind.sent_message().map(str::to_owned));
        target = node.edges.first().map_or(journey_compiler::flow::graph::Target::Exit, |e| e.target);
    }
    assert_eq!(seen, ["first"]);
}

#[test]
fn every_goto_of_the_examples_and_fixtures_leads_to_a_stage_the_checker_resolved() {
    let mut gotos = 0;
    for root in ["examples", "tests/fixtures/bundle/every_node"] {
        let (disk, entries) = disk_project(&project_root(root));
        let report = check_project(&entries, &disk);
        for graph in &report.flow.graphs {
            assert!(graph.unresolved_gotos.is_empty(), "{}: {:?}", graph.journey, graph.unresolved_gotos);
        }
        gotos += report.model.references.iter().filter(|r| r.kind == SymbolKind::Stage).count();
    }
    assert!(gotos > 5, "{gotos} gotos");
}

#[test]
fn a_journey_whose_goto_has_no_resolved_stage_is_inconclusive_rather_than_proved() {
    let text = r#"import "std/channels"
event signed_up {}
message hello on sms as service { text "hello" }
journey j {
  entry on signed_up
  stage start { goto later }
  stage later { send hello }
}
"#;
    let report = project(&[("main.journey", text)]);
    assert!(report.flow.inconclusive.is_empty(), "{:?}", report.diagnostics);
    // The same project, with the checker's references lost, as a bug in recording them would.
    let mut model = report.model.clone();
    model.references.clear();
    let mut sink = journey_compiler::check::Sink::default();
    let flow = journey_compiler::flow::analyze(&report.sources, &model, &mut sink);
    assert_eq!(flow.inconclusive, ["j"]);
    assert!(flow.evidence.is_empty(), "{:?}", flow.evidence);
    let codes: Vec<_> = sink.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [journey_compiler::Code::J0413]);
}

#[test]
fn the_readme_tour_saved_alone_in_an_empty_directory_checks_without_any_diagnostic() {
    let readme = std::fs::read_to_string(journey_test_support::repository_root().join("README.md")).unwrap();
    let tour = readme.split("```journey\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
    let report = project(&[("tour.journey", tour)]);
    let diagnostics: Vec<String> =
        report.diagnostics.iter().map(|d| format!("{:?} {:?}: {}", d.code, d.severity, d.message)).collect();
    assert_eq!(diagnostics, Vec::<String>::new());
    // The whole pipeline ran: the tour's journey was analysed and every send has its record.
    assert_eq!(report.flow.graphs.len(), 1);
    assert!(report.flow.evidence.len() >= 5, "{}", report.flow.evidence.len());
}
