//! Lowering: pest pairs to the typed AST.
//!
//! Conventions: the method named after a rule (`step`, `expr`, ...) turns a pair of that rule into
//! its AST node and returns `None` only when the tree does not have the shape the grammar promises
//! (reported once as an internal error; never a panic). Keyword and punctuation pairs are skipped
//! by [`significant`]. Literal values are validated here (durations, numbers, times, escapes,
//! lengths), each failure a diagnostic.
//!
//! `bad_line` and `bad_entry` pairs are the grammar's recovery points: the text of such a line is
//! parsed again alone with the entry rule of its context (`step_line`, `element_line`, ...) to
//! find the precise error, which becomes that line's one diagnostic.
//!
//! The work is split by concern, each file adding its methods to the one [`Lowerer`]:
//! - this file: the `Lowerer`, its entry points, pest plumbing, shared reports, nesting guards;
//! - `names`: names and literals (durations, integers, times, strings, interpolations, paths);
//! - `items`: top-level items, with their field lists and types;
//! - `rules`: the rules of policies and of channels;
//! - `message`: message elements and template parameters;
//! - `journey`: journey members, steps, `if` chains and outcome arms;
//! - `expr`: expressions, with precedence applied by an explicit stack.

use pest::iterators::{Pair, Pairs};
use pest::Parser;

use super::errors::{syntax_error, ParseSite};
use super::grammar::{JourneyParser, Rule};
use super::scan::ChunkText;
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::{Collector, Diagnostic};
use crate::limits::MAX_TREE_DEPTH;
use crate::span::{FileId, Span};

mod expr;
mod items;
mod journey;
mod message;
mod names;
mod rules;

pub struct Lowerer<'a> {
    file: FileId,
    /// The chunk the pairs point into, and its map back to file offsets.
    chunk: &'a ChunkText<'a>,
    /// Unterminated strings found by the scanner; errors inside them are not reported again.
    unterminated: &'a [Span],
    /// Bounded per file: see [`Collector`].
    pub diagnostics: Collector,
    depth: usize,
    reported_malformed: bool,
    /// How many diagnostics existed when the current item began.
    item_start_diagnostics: usize,
    /// Where the text pest parsed starts in the chunk's text (a journey piece starts inside it).
    offset: usize,
}

/// The statement context of a recovery line: which entry rule re-parses it.
#[derive(Debug, Clone, Copy)]
enum LineContext {
    Field,
    PolicyRule,
    ChannelRule,
    Element,
    ListPart,
    Row,
    Param,
    Member,
    Step,
    Arm,
    TemplatePart,
}

impl LineContext {
    fn entry_rule(self) -> Rule {
        match self {
            LineContext::Field => Rule::profile_field_line,
            LineContext::PolicyRule => Rule::policy_rule_line,
            LineContext::ChannelRule => Rule::channel_rule_line,
            LineContext::Element => Rule::element_line,
            LineContext::ListPart => Rule::list_part_line,
            LineContext::Row => Rule::row_line,
            LineContext::Param => Rule::param_line,
            LineContext::Member => Rule::member_line,
            LineContext::Step => Rule::step_line,
            LineContext::Arm => Rule::arm_line,
            LineContext::TemplatePart => Rule::template_part_line,
        }
    }
}

/// Keywords and punctuation carry no information once the grammar has matched them.
fn is_noise(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        lbrace
            | comment
            | rbrace
            | lparen
            | rparen
            | lbracket
            | rbracket
            | langle
            | rangle
            | equals
            | colon
            | dotdot
            | comma
            | EOI
    ) || rule_is_plain_keyword(rule)
}

/// Keywords whose presence alone is the information are handled by their parent; all other
/// keywords are noise.
fn rule_is_plain_keyword(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        kw_after
            | kw_allows
            | kw_as
            | kw_ask
            | kw_at
            | kw_audience
            | kw_business
            | kw_button
            | kw_card
            | kw_channel
            | kw_consent
            | kw_else
            | kw_entry
            | kw_enum
            | kw_event
            | kw_exit
            | kw_for
            | kw_frequency
            | kw_goal
            | kw_goto
            | kw_handoff
            | kw_if
            | kw_import
            | kw_inbound
            | kw_journey
            | kw_jurisdiction
            | kw_keywords
            | kw_lang
            | kw_limit
            | kw_list
            | kw_medium
            | kw_message
            | kw_most
            | kw_on
            | kw_outside
            | kw_per
            | kw_policy
            | kw_profile
            | kw_quiet
            | kw_reentry
            | kw_reply
            | kw_request
            | kw_revoke
            | kw_required
            | kw_row
            | kw_section
            | kw_segment
            | kw_send
            | kw_set
            | kw_split
            | kw_stage
            | kw_subject
            | kw_subtitle
            | kw_supports
            | kw_tag
            | kw_template
            | kw_text
            | kw_timeout
            | kw_title
            | kw_track
            | kw_url
            | kw_via
            | kw_wait
            | kw_where
            | kw_window
            | kw_encoding
            | kw_within
    )
}

fn significant(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_noise(p.as_rule()))
}

impl<'a> Lowerer<'a> {
    pub fn new(file: FileId, chunk: &'a ChunkText<'a>, unterminated: &'a [Span]) -> Lowerer<'a> {
        Lowerer {
            file,
            chunk,
            unterminated,
            diagnostics: Collector::new(),
            depth: 0,
            reported_malformed: false,
            item_start_diagnostics: 0,
            offset: 0,
        }
    }

    /// Pairs lowered from now on come from a parse of the chunk text starting at `offset`.
    pub fn set_offset(&mut self, offset: usize) {
        self.offset = offset;
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let start = self.chunk.file_offset(self.offset + s.start());
        let end = self.chunk.file_offset(self.offset + s.end()).max(start);
        Span::new(start, end)
    }

    /// Records that the tree lacked a part the grammar guarantees. Never expected; reported
    /// (once per item) rather than panicking, so a grammar/lowering mismatch is visible.
    fn malformed(&mut self, span: Span, what: &str) {
        // A part is also missing when lowering it already failed with a diagnostic (a limit,
        // say); that diagnostic explains it, so nothing more is said.
        if !self.reported_malformed && self.diagnostics.reported() == self.item_start_diagnostics {
            self.reported_malformed = true;
            self.diagnostics.push(
                Diagnostic::new(Code::J0101, format!("internal error: could not read {what} here"), self.file, span)
                    .with_note("this is a bug in journey; please report it with this file"),
            );
        }
    }

    fn required<'p>(&mut self, pair: Option<Pair<'p, Rule>>, parent: Span, what: &str) -> Option<Pair<'p, Rule>> {
        if pair.is_none() {
            self.malformed(parent, what);
        }
        pair
    }

    fn required_ident(&mut self, ident: Option<Ident>, span: Span) -> Option<Ident> {
        if ident.is_none() {
            self.malformed(span, "a name");
        }
        ident
    }

    fn required_node<T>(&mut self, node: Option<T>, span: Span, what: &str) -> Option<T> {
        if node.is_none() {
            self.malformed(span, what);
        }
        node
    }

    // -----------------------------------------------------------------------------------------
    // Recovery lines

    fn bad_line(&mut self, pair: &Pair<'_, Rule>, context: LineContext) {
        let text = pair.as_str();
        let offset_in_chunk = self.offset + pair.as_span().start();
        // The diagnostic lies on this line: past the cap, neither re-parse the line nor build it
        // (a file of bad lines would otherwise pay a parse and a message per line for nothing).
        if !self.diagnostics.wants(self.file, self.chunk.file_offset(offset_in_chunk)) {
            return;
        }
        let site = ParseSite { file: self.file, text, offset_in_chunk, chunk: self.chunk, end_name: "end of line" };
        let diagnostic = match JourneyParser::parse(context.entry_rule(), text) {
            Err(error) => syntax_error(&site, &error),
            // The line parses alone, so what broke it was what follows it (for example a `,`
            // between steps).
            Ok(_) => {
                let end = self.chunk.file_offset(offset_in_chunk + text.len());
                let span = Span::new(end, end);
                Diagnostic::new(Code::J0101, "unexpected text after this statement", self.file, span)
                    .with_label("expected end of line")
            }
        };
        self.push_syntax(diagnostic);
    }

    fn push_syntax(&mut self, diagnostic: Diagnostic) {
        let at = diagnostic.primary.span.start;
        let inside_unterminated = super::scan::inside_any(self.unterminated, at);
        if !inside_unterminated {
            self.diagnostics.push(diagnostic);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Entry points

    pub fn chunk(&mut self, pairs: Pairs<'_, Rule>, items: &mut Vec<Item>) {
        for chunk in pairs {
            for pair in significant(chunk) {
                if let Some(item) = self.item(pair) {
                    items.push(item);
                }
            }
        }
    }

    /// Starts lowering a journey read in pieces: its name, from the `journey_head` parse.
    /// Also returns where the journey starts (its `journey` keyword), a file offset.
    pub fn journey_head(&mut self, head: Pairs<'_, Rule>) -> Option<(Ident, usize)> {
        self.item_start_diagnostics = self.diagnostics.reported();
        self.reported_malformed = false;
        let head = head.into_iter().next()?;
        let keyword = head.clone().into_inner().find(|p| p.as_rule() == Rule::kw_journey)?;
        let start = self.span(&keyword).start();
        let name = significant(head).find(|p| p.as_rule() == Rule::ident)?;
        Some((self.ident(name), start))
    }

    /// The file offset of `offset` in the chunk's text.
    pub fn file_offset(&self, offset: usize) -> usize {
        self.chunk.file_offset(offset)
    }

    /// The members of one `journey_body` piece.
    pub fn journey_body(&mut self, body: Pairs<'_, Rule>, members: &mut Vec<JourneyMember>) {
        for piece in body {
            for child in significant(piece) {
                self.journey_part(child, members);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Nesting

    /// Guards recursion that the scanner's brace count does not see (`set<set<...>>`,
    /// `else if` chains). Returns false, after reporting, when too deep.
    fn enter(&mut self, span: Span) -> bool {
        if self.depth >= MAX_TREE_DEPTH {
            if !self.reported_malformed {
                self.reported_malformed = true;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::J0110,
                        format!("nesting is deeper than {MAX_TREE_DEPTH} levels"),
                        self.file,
                        span,
                    )
                    .with_label("too deep")
                    .with_help("flatten the structure, for example a long `else if` chain into stages"),
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}
