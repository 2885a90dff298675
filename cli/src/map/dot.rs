//! `journey map --format dot`: the map document as Graphviz DOT text, for docs (`dot -Tsvg`).
//!
//! One cluster per journey, one nested cluster per stage, laid out left to right (`rankdir=LR`);
//! each touchpoint a record-like box with its channel, category and a preview of its text; edges
//! labelled with their outcome; steps with a violation drawn red, and each violation's witness
//! path drawn as bold red edges. Every text is a quoted DOT string ([`quote`]), so a message
//! text can hold anything.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::model::{JourneyMap, MapDocument, NodeMap};

/// The DOT text of a map. Deterministic: the document's order, nothing else.
pub fn write(doc: &MapDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "// journey map of {} (journey map --format dot)", one_line(&doc.project));
    out.push_str("digraph journey_map {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, compound=true, newrank=true];\n");
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#667085\"];\n");
    for (j, journey) in doc.journeys.iter().enumerate() {
        write_journey(&mut out, j, journey);
    }
    out.push_str("}\n");
    out
}

fn write_journey(out: &mut String, j: usize, journey: &JourneyMap) {
    let node_name = |id: &str| quote(&format!("j{j}/{id}"));
    // A witness path's edges; one that starts where the journey starts begins at the entry.
    let mut witness: BTreeSet<(&str, &str)> = BTreeSet::new();
    for problem in &journey.problems {
        if problem.witness.first() == Some(&journey.start) {
            witness.insert(("entry", journey.start.as_str()));
        }
        witness.extend(problem.witness.windows(2).filter_map(|w| Some((w.first()?.as_str(), w.get(1)?.as_str()))));
    }
    let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_j{j}")));
    let _ = writeln!(out, "    label={};", quote(&format!("journey {}", journey.name)));
    out.push_str("    style=\"rounded\"; color=\"#98a2b3\";\n");
    let mut head = vec![journey.entry.clone()];
    head.extend(journey.goals.iter().map(|g| format!("goal {} = {} within {}", g.name, g.event, g.within)));
    head.extend(journey.exits.iter().cloned());
    if !journey.reentry.is_empty() {
        head.push(journey.reentry.clone());
    }
    let entry = node_name("entry");
    let _ = writeln!(out, "    {entry} [shape=cds, fillcolor=\"#e0f2fe\", label={}];", quote_lines(&head));
    for (s, stage) in journey.stages.iter().enumerate() {
        let _ = writeln!(out, "    subgraph {} {{", quote(&format!("cluster_j{j}_s{s}")));
        let stage_problem = !stage.problems.is_empty();
        let _ = writeln!(
            out,
            "      label={}; style=\"rounded,dashed\"; color={};",
            quote(&format!("stage {}", stage.name)),
            if stage_problem { "\"#d92d20\"" } else { "\"#d0d5dd\"" }
        );
        for node in journey.nodes.iter().filter(|n| n.stage == stage.name) {
            let _ = writeln!(out, "      {} {};", node_name(&node.id), attributes(node, journey));
        }
        out.push_str("    }\n");
    }
    // Exits of an empty journey belong to no stage.
    for node in journey.nodes.iter().filter(|n| !journey.stages.iter().any(|s| s.name == n.stage)) {
        let _ = writeln!(out, "    {} {};", node_name(&node.id), attributes(node, journey));
    }
    let start_attrs =
        if witness.contains(&("entry", journey.start.as_str())) { " [color=\"#d92d20\", penwidth=2.5]" } else { "" };
    let _ = writeln!(out, "    {entry} -> {}{start_attrs};", node_name(&journey.start));
    for edge in &journey.edges {
        let mut attrs = Vec::new();
        if edge.label != "next" {
            attrs.push(format!("label={}", quote(&edge.label)));
        }
        if witness.contains(&(edge.from.as_str(), edge.to.as_str())) {
            attrs.push("color=\"#d92d20\", penwidth=2.5".to_owned());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(out, "    {} -> {}{attrs};", node_name(&edge.from), node_name(&edge.to));
    }
    out.push_str("  }\n");
}

fn attributes(node: &NodeMap, journey: &JourneyMap) -> String {
    let violated = node.problems.iter().any(|&p| journey.problems.get(p).is_some_and(|p| p.severity == "error"));
    let warned = !node.problems.is_empty();
    let mut lines = vec![node.id.clone()];
    let fill = match &node.send {
        _ if node.kind == "exit" => {
            return "[shape=oval, label=\"exit\", fontsize=9, fillcolor=\"#f2f4f7\", width=0.4, height=0.25]"
                .to_owned();
        }
        Some(send) => {
            lines.push(format!("{} {}", node.kind, send.message));
            lines.push(format!("{} · {}", send.channel, send.category));
            if !send.preview.is_empty() {
                lines.push(shorten(&send.preview, 48));
            }
            "#ecfdf3"
        }
        None => {
            lines.push(node.title.clone());
            "#ffffff"
        }
    };
    for &p in &node.problems {
        if let Some(problem) = journey.problems.get(p) {
            lines.push(format!("{}: {}", problem.code, shorten(&problem.message, 48)));
        }
    }
    let color = if violated {
        ", color=\"#d92d20\", penwidth=2"
    } else if warned {
        ", color=\"#dc6803\", penwidth=2"
    } else {
        ""
    };
    format!("[label={}, fillcolor=\"{fill}\"{color}]", quote_lines(&lines))
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Lines of a label, each left-aligned (`\l`), quoted.
fn quote_lines(lines: &[String]) -> String {
    let mut text = String::from("\"");
    for line in lines {
        text.push_str(&escape(&one_line(line)));
        text.push_str("\\l");
    }
    text.push('"');
    text
}

/// A DOT double-quoted string. In DOT only `"` needs escaping inside quotes; a backslash is
/// escaped too, so `\l` or `\N` in a message stays text instead of becoming a label escape.
pub fn quote(text: &str) -> String {
    format!("\"{}\"", escape(&one_line(text)))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out
}

/// Line breaks and other control characters as spaces: a DOT string may span lines, but a
/// label's lines are ours to break.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_line_breaks_in_a_text_stay_inside_the_dot_string() {
        assert_eq!(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(quote("a\\lb"), "\"a\\\\lb\"");
        assert_eq!(quote("two\nlines\r\u{0}"), "\"two lines  \"");
        assert_eq!(quote("}; digraph x {"), "\"}; digraph x {\"");
    }
}
