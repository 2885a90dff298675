//! Semantic checks over a loaded project: names, types, event scope and channel content.
//!
//! Passes, in order, each pushing into one [`Sink`] and never stopping at the first problem:
//! 1. [`collect`]: declarations into the [`Model`] (duplicates, types, channel declarations).
//! 2. [`resolve`]: every reference in segments, messages and journeys, with expression types and
//!    the event in scope at each step (messages and templates in `messages.rs`, journeys in
//!    `journey.rs`, expressions in [`exprs`]).
//! 3. [`content`]: each message against its channel's declared support and limits.
//! 4. [`promotional`]: promotional content in messages and templates not declared marketing.

pub mod collect;
pub mod content;
pub mod exprs;
mod journey;
mod messages;
mod names_index;
pub mod promotional;
pub mod resolve;
pub mod wording;

use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Collector, Diagnostic};
use crate::manifest::Manifest;
use crate::model::{self, Def, JurisdictionRule, Model};
use crate::project::Sources;
use crate::span::FileId;

/// J0221 if `name`, written at `span` (a string literal, quotes included), is not a zone of the
/// IANA time zone database ([`crate::timezones`]).
pub fn check_zone_name(name: &str, file: FileId, span: crate::span::Span, sink: &mut Sink) {
    if crate::timezones::is_known_zone(name) {
        return;
    }
    let mut diagnostic = Diagnostic::new(Code::J0221, format!("unknown time zone `{name}`"), file, span)
        .with_label("not a zone of the IANA time zone database")
        .with_note("zones are IANA names such as `America/New_York` or `Europe/Berlin`, spelt with their case");
    diagnostic = match crate::timezones::suggest_zone(name) {
        Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")).with_suggestion(
            format!("write `{best}`"),
            span,
            format!("\"{best}\""),
        ),
        None => diagnostic
            .with_help("write the IANA name of the zone (continent or ocean, then city: `Asia/Tokyo`), or `UTC`"),
    };
    sink.push(diagnostic);
}

/// What the checker looked at: reported by `journey check --verbose`, so that "no problems"
/// can be told apart from "nothing was checked".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: usize,
    pub declarations: usize,
    pub references: usize,
    pub expressions: usize,
    pub messages: usize,
    pub content_rules: usize,
    pub sends: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, other: Stats) {
        let Stats { files, declarations, references, expressions, messages, content_rules, sends } = other;
        self.files += files;
        self.declarations += declarations;
        self.references += references;
        self.expressions += expressions;
        self.messages += messages;
        self.content_rules += content_rules;
        self.sends += sends;
    }
}

/// Collects diagnostics and counts. Diagnostics are bounded per file ([`Collector`]): a
/// pass with work to do before building one (a "did you mean" search, say) asks [`Sink::wants`]
/// first.
#[derive(Debug, Default)]
pub struct Sink {
    pub diagnostics: Collector,
    pub stats: Stats,
    /// "Did you mean" over the project's own names, with its work budget for this check.
    pub suggestions: crate::names::Suggester,
    /// The uses of declared names resolved so far (they go into [`Model::references`]).
    pub references: Vec<model::Reference>,
}

impl Sink {
    /// Records that the name at `span` in `file` resolved to the declaration `target`.
    pub fn refer(&mut self, kind: model::SymbolKind, file: FileId, span: crate::span::Span, target: Def) {
        self.stats.references += 1;
        self.references.push(model::Reference { at: Def { file, span }, target, kind });
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Whether a diagnostic at `span` in `file` could still be shown; when not, it is counted
    /// and must not be built.
    pub fn wants(&mut self, file: FileId, span: crate::span::Span) -> bool {
        self.diagnostics.wants(file, span.start())
    }

    /// `what` `name` is defined twice: at `second`, and first at `first`.
    pub fn duplicate(&mut self, what: &str, name: &str, second: Def, first: Def) {
        if !self.wants(second.file, second.span) {
            return;
        }
        self.push(
            Diagnostic::new(Code::J0209, format!("{what} `{name}` is defined twice"), second.file, second.span)
                .with_label("second definition")
                .with_secondary(first.file, first.span, "first defined here")
                .with_help(format!("rename one of them, or remove the duplicate {what}")),
        );
    }

    /// A declaration used a name outside the checker's vocabulary.
    pub fn unknown_vocabulary<'a>(
        &mut self,
        what: &str,
        name: &ast::Ident,
        file: FileId,
        known: impl Iterator<Item = &'a str> + Clone,
    ) {
        if !self.wants(file, name.span) {
            return;
        }
        let list: Vec<String> = known.clone().map(|k| format!("`{k}`")).collect();
        let mut diagnostic = Diagnostic::new(
            Code::J0308,
            format!("unknown {what} `{}` in a channel declaration", name.name),
            file,
            name.span,
        )
        .with_label(format!("not a known {what}"))
        .with_note(format!("known: {}", list.join(", ")));
        if let Some(best) = crate::names::closest(&name.name, known) {
            diagnostic = diagnostic.with_suggestion(format!("write `{best}`"), name.span, best);
        }
        self.push(diagnostic);
    }

    /// An unresolved reference with a "did you mean" over `candidates`. Returns the diagnostic
    /// to add to, or `None` when it is past the cap and was not built.
    pub fn unknown<'a>(
        &mut self,
        code: Code,
        what: &str,
        name: &ast::Ident,
        file: FileId,
        candidates: impl Iterator<Item = &'a str>,
    ) -> Option<&mut Diagnostic> {
        if !self.wants(file, name.span) {
            return None;
        }
        let diagnostic = Diagnostic::new(code, format!("unknown {what} `{}`", name.name), file, name.span)
            .with_label(format!("no {what} has this name"));
        let diagnostic = self.did_you_mean(diagnostic, &name.name, name.span, candidates);
        self.push(diagnostic);
        self.diagnostics.last_mut()
    }

    /// `diagnostic` with "did you mean" for `written` at `span` over the project's names
    /// `candidates`, within the check's budget (names.rs): the help and the edit when a name is
    /// close, the note when the budget ran out here.
    pub fn did_you_mean<'a>(
        &mut self,
        diagnostic: Diagnostic,
        written: &str,
        span: crate::span::Span,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        self.suggest(diagnostic, written, span, candidates, true)
    }

    /// Like [`Sink::did_you_mean`], with the edit only (for diagnostics whose note already lists
    /// the names).
    pub fn offer_name<'a>(
        &mut self,
        diagnostic: Diagnostic,
        written: &str,
        span: crate::span::Span,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        self.suggest(diagnostic, written, span, candidates, false)
    }

    fn suggest<'a>(
        &mut self,
        diagnostic: Diagnostic,
        written: &str,
        span: crate::span::Span,
        candidates: impl IntoIterator<Item = &'a str>,
        with_help: bool,
    ) -> Diagnostic {
        match self.suggestions.suggest(written, candidates) {
            crate::names::Suggestion::Found(best) => {
                let diagnostic =
                    if with_help { diagnostic.with_help(format!("did you mean `{best}`?")) } else { diagnostic };
                diagnostic.with_suggestion(format!("write `{best}`"), span, best)
            }
            crate::names::Suggestion::BudgetSpent => diagnostic.with_note(crate::names::BUDGET_SPENT_NOTE),
            crate::names::Suggestion::None => diagnostic,
        }
    }
}

/// Runs every semantic pass over a loaded project without a `journey.toml`.
pub fn check_sources(sources: &Sources) -> (Model, Sink) {
    check_sources_with(sources, &Manifest::default())
}

/// Runs every semantic pass over a loaded project whose `journey.toml` says `manifest`.
pub fn check_sources_with(sources: &Sources, manifest: &Manifest) -> (Model, Sink) {
    let mut sink = Sink::default();
    sink.stats.files = sources.files.len();
    let mut model = collect::collect(sources, &mut sink);
    // The manifest's laws are defaults: a policy that selects any jurisdiction replaces them all.
    if model.policies.jurisdictions.is_empty() {
        model.policies.jurisdictions =
            manifest.jurisdictions.iter().map(|code| JurisdictionRule { code: code.clone(), def: None }).collect();
    }
    sink.stats.declarations = model.profile.len()
        + model.events.len()
        + model.segments.len()
        + model.channels.len()
        + model.messages.len()
        + model.journeys.len();
    resolve::resolve(sources, &model, &mut sink);
    content::check_messages(sources, &model, &mut sink);
    promotional::check(sources, &mut sink);
    // A use checked twice (a message's `event.x` at each of its sends) is one reference.
    let mut references = std::mem::take(&mut sink.references);
    // Uses are recorded mostly in source order: a run-adaptive (stable) sort costs about one pass.
    references.sort();
    references.dedup();
    model.references = references;
    (model, sink)
}
