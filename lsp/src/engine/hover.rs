//! Hover: what the thing under the cursor is.
//!
//! A name shows its definition (a message as the contact would see it), a keyword its
//! documentation, and a diagnostic under the cursor the long explanation of its code.

use std::fmt::Write;

use journey_compiler::ast::{Item, Journey, JourneyMember, Message};
use journey_compiler::model::SymbolKind;
use journey_compiler::{Code, Span};

use super::keywords::{doc_for, is_keyword};
use super::lexical;
use super::navigate::target_at;
use super::preview::preview;
use super::{Analysis, Files, Symbol};

/// Markdown for the hover and the span it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverInfo {
    pub span: Span,
    pub markdown: String,
}

pub fn hover(files: Files<'_>, offset: usize) -> Option<HoverInfo> {
    let mut sections: Vec<String> = Vec::new();
    let mut span = None;

    if let Some(target) = target_at(files, offset) {
        span = Some(target.at.span);
        sections.push(symbol(files, target));
    } else if let Some((range, next)) = lexical::word_at(&files.current.text, offset) {
        let word = files.current.text.get(range.clone()).unwrap_or("");
        let ctx = lexical::context(&files.current.text, range.start);
        let plain_code = !ctx.in_comment && !ctx.in_string;
        if let (true, Some(doc)) = (plain_code && is_keyword(word), doc_for(word, next)) {
            span = Some(Span::new(range.start, range.end));
            sections.push(format!("```journey\n{}\n```\n{}", doc.syntax, doc.doc));
        } else if let Some(code) = Code::parse(word).filter(|_| word.len() == 5) {
            span = Some(Span::new(range.start, range.end));
            sections.push(explanation(code));
        }
    }

    // On a send or ask step: what the compliance analyses proved about it.
    if let Some(proof) =
        files.current.sends.iter().find(|proof| proof.span.start() <= offset && offset <= proof.span.end())
    {
        span = span.or(Some(proof.span));
        sections.push(send_proof(&proof.evidence));
    }

    // Diagnostics under the cursor explain themselves, each code once.
    let mut explained: Vec<Code> = Vec::new();
    for diagnostic in &files.current.diagnostics {
        let at = diagnostic.primary.span;
        let covers = at.start() <= offset && (offset < at.end() || (at.is_empty() && offset == at.start()));
        if covers && !explained.contains(&diagnostic.code) {
            explained.push(diagnostic.code);
            span = span.or(Some(at));
            sections.push(format!(
                "**{}**: {}\n\n{}",
                diagnostic.code,
                diagnostic.message,
                explanation(diagnostic.code)
            ));
        }
    }

    let span = span?;
    Some(HoverInfo { span, markdown: sections.join("\n\n---\n\n") })
}

/// The analyses' evidence for one send, in words.
pub(super) fn send_proof(evidence: &journey_compiler::flow::SendEvidence) -> String {
    let window = match (evidence.window_max_secs, evidence.window_secs) {
        (Some(max), Some(window)) => {
            format!("at most {} after the contact's last message (window {})", duration(max), duration(window))
        }
        (None, Some(window)) => format!("no bound proved (window {})", duration(window)),
        _ => "no messaging window on this channel".to_owned(),
    };
    format!(
        "**why this send is allowed** (`{}` on `{}` as `{}`)\n\n- consent: {}\n- window: {}\n- form: {}\n- quiet hours: {}\n- frequency: {}",
        evidence.message,
        evidence.channel,
        evidence.category,
        evidence.consent,
        window,
        evidence.form,
        evidence.quiet_hours,
        evidence.frequency
    )
}

/// `90000` seconds as `1d 1h`.
pub(super) fn duration(secs: u64) -> String {
    let units = [(7 * 86_400, "w"), (86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let mut rest = secs;
    let mut parts = Vec::new();
    for (size, unit) in units {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

/// A code's title and long explanation, without the explanation's own `# J0101` heading.
fn explanation(code: Code) -> String {
    let body = code.explanation().trim();
    let body = match body.split_once('\n') {
        Some((first, rest)) if first.starts_with('#') => rest.trim(),
        _ if body.starts_with('#') => "",
        _ => body,
    };
    if body.is_empty() {
        format!("`{code}` {}", code.title())
    } else {
        format!("`{code}` {}\n\n{body}", code.title())
    }
}

fn symbol(files: Files<'_>, target: &Symbol) -> String {
    let current = files.current;
    let declared = target.target;
    if declared.file != current.file {
        return imported(current, target);
    }
    let Some(ast) = &current.ast else { return format!("{} `{}`", target.kind.describe(), target.name) };
    // The item (or stage) whose name this is.
    let Some(item) = ast.items.iter().find(|item| contains(item.span(), declared.span)) else {
        return format!("{} `{}`", target.kind.describe(), target.name);
    };
    match (target.kind, item) {
        (SymbolKind::Message, Item::Message(message)) => message_hover(message),
        (SymbolKind::Stage, Item::Journey(journey)) => stage_hover(current, journey, target),
        _ => declaration(current, item.span()),
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start() <= inner.start() && inner.end() <= outer.end()
}

/// A name declared in another file of the project: its declaration line, and for a message its
/// channel and category from the model.
fn imported(current: &Analysis, target: &Symbol) -> String {
    let at = target.target;
    let Some(file) = current.linked(at.file) else { return format!("{} `{}`", target.kind.describe(), target.name) };
    let line = file.line_index.line_of(at.span.start());
    let source = file.text.get(file.line_index.line_range(&file.text, line)).unwrap_or("").trim();
    let mut out = format!("```journey\n{source}\n```\ndeclared in `{}`", file.name);
    let message = current.model.messages.get(&target.name);
    if let (SymbolKind::Message, Some(message)) = (target.kind, message) {
        let _ = write!(out, "\n\n**channel** `{}` · **category** `{}`", message.channel, message.category);
    }
    out
}

fn message_hover(message: &Message) -> String {
    let mut out = format!(
        "```journey\nmessage {} on {} as {}\n```\n**channel** `{}` · **category** `{}`",
        message.name.name, message.channel.name, message.category.name, message.channel.name, message.category.name
    );
    let preview = preview(message);
    if !preview.lines.is_empty() {
        out.push_str("\n\n");
        let quoted: Vec<String> = preview.lines.iter().map(|line| format!("> {}", escape_markdown(line))).collect();
        out.push_str(&quoted.join("  \n"));
    }
    if preview.text_chars > 0 || !preview.fields.is_empty() {
        let _ = write!(out, "\n\ntext: {} characters", preview.text_chars);
        if !preview.fields.is_empty() {
            let fields: Vec<String> = preview.fields.iter().map(|field| format!("`{field}`")).collect();
            let noun = if fields.len() == 1 { "field" } else { "fields" };
            let _ = write!(out, " + {} {noun} ({})", fields.len(), fields.join(", "));
        }
    }
    out
}

fn stage_hover(file: &Analysis, journey: &Journey, target: &Symbol) -> String {
    let steps = journey
        .members
        .iter()
        .find_map(|member| match member {
            JourneyMember::Stage(stage) if stage.name.span == target.target.span => Some(stage.steps.len()),
            _ => None,
        })
        .unwrap_or(0);
    let gotos = file.symbols.of_target(target.target).filter(|symbol| !symbol.is_declaration()).count();
    let noun = if steps == 1 { "step" } else { "steps" };
    format!(
        "```journey\nstage {}\n```\nstage of journey `{}`: {steps} {noun}, reached by {gotos} `goto`",
        target.name, journey.name.name
    )
}

/// The first lines of a declaration's source (at most 12), in a code block.
fn declaration(file: &Analysis, span: Span) -> String {
    let source = file.slice(span);
    let mut lines: Vec<&str> = source.lines().take(13).collect();
    if lines.len() == 13 {
        lines.truncate(12);
        lines.push("…");
    }
    format!("```journey\n{}\n```", lines.join("\n"))
}

/// Message text is shown as Markdown: characters Markdown would interpret are escaped.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
