//! Third pass: each message against its channel's declaration, and nothing else.
//!
//! Every limit comes from the channel's `limit` rules and every element from its `supports`
//! rule (stdlib/channels.journey cites the platform rule for each number), so a channel declared
//! in a project (LINE, Telegram, ...) is checked the same way with no compiler change.
//!
//! Text with `{field}` parts is measured on its literal parts: fields have no declared maximum
//! length yet, so the measure is a lower bound, and only a text whose literal part alone is over
//! the limit is reported.

use super::Sink;
use crate::ast::visit::TextRole;
use crate::ast::{self, Element, Ident, Item, Template};
use crate::codes::Code;
use crate::content::sms::{self, SmsEncoding};
use crate::diagnostic::{Applicability, Diagnostic, Suggestion, TextEdit};
use crate::model::{Channel, LimitUnit, Model};
use crate::project::Sources;
use crate::span::{FileId, Span};

pub fn check_messages(sources: &Sources, model: &Model, sink: &mut Sink) {
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            if let Item::Template(template) = item {
                check_template_decl(file.id, template, model, sink);
            }
            let Item::Message(message) = item else { continue };
            let Some(channel) = model.channels.get(&message.channel.name) else { continue };
            // A syntax error inside the message dropped part of it: what is left is not what the
            // author wrote, so "it has no content" would only repeat that error.
            let broken = sources.diagnostics.iter().any(|d| {
                d.primary.file == file.id
                    && d.is_error()
                    && message.span.start <= d.primary.span.start
                    && d.primary.span.start <= message.span.end
            });
            let checker = MessageChecker { file: file.id, text: &file.text, message, channel, broken };
            checker.check(sink);
        }
    }
}

struct MessageChecker<'a> {
    file: FileId,
    text: &'a str,
    message: &'a ast::Message,
    channel: &'a Channel,
    broken: bool,
}

impl MessageChecker<'_> {
    fn channel_name(&self) -> &str {
        &self.message.channel.name
    }

    fn check(&self, sink: &mut Sink) {
        let elements = &self.message.elements;
        let has_content = elements.iter().any(|e| {
            matches!(e, Element::Text(_) | Element::Template { .. } | Element::Media { .. } | Element::Card { .. })
        });
        sink.stats.content_rules += 1;
        if !has_content && !self.broken {
            sink.push(
                Diagnostic::new(
                    Code::J0307,
                    format!("message `{}` has nothing to send", self.message.name.name),
                    self.file,
                    self.message.name.span,
                )
                .with_label("no text, template, media or card")
                .with_help("add `text \"...\"`, or a `template` the channel has approved"),
            );
        }
        self.check_template_alone(elements, sink);
        self.check_list_alone(elements, sink);
        self.check_outside_cards(elements, sink);
        self.check_elements(elements, sink);
        self.check_counts(elements, "replies", |e| matches!(e, Element::Reply { .. }), sink);
        self.check_counts(elements, "buttons", |e| matches!(e, Element::Button { .. }), sink);
        self.check_counts(elements, "cards", |e| matches!(e, Element::Card { .. }), sink);
    }

    fn check_elements(&self, elements: &[Element], sink: &mut Sink) {
        for element in elements {
            if let Some((kind, span)) = element_kind(element) {
                self.check_supported(kind, span, sink);
            }
            match element {
                Element::Text(text) => {
                    self.check_length("text", "text", text, Code::J0303, sink);
                    if self.channel.encoding.as_deref() == Some("sms") {
                        self.check_sms(text, sink);
                    }
                }
                Element::Subject(subject) => self.check_length("subject", "subject", subject, Code::J0303, sink),
                Element::Reply { title, .. } => {
                    self.check_length("reply_title", "reply title", title, Code::J0306, sink)
                }
                Element::Button { title, .. } => {
                    self.check_length("button_title", "button title", title, Code::J0303, sink)
                }
                Element::Card { elements: inner, span } => {
                    for part in inner {
                        match part {
                            // A card's parts are its title, subtitle, media and buttons: a list
                            // would be lost in it, and its rows would answer nothing.
                            Element::List(list) => sink.push(
                                Diagnostic::new(Code::J0317, "a list inside a card", self.file, list.span)
                                    .with_label("a list cannot be part of a card")
                                    .with_secondary(self.file, *span, "the card")
                                    .with_help(
                                        "send the list in a message of its own: a list message carries no cards",
                                    ),
                            ),
                            Element::Title(title) => {
                                self.check_length("card_title", "card title", title, Code::J0303, sink)
                            }
                            Element::Subtitle(subtitle) => {
                                self.check_length("card_subtitle", "card subtitle", subtitle, Code::J0303, sink)
                            }
                            Element::Media { .. } | Element::Button { .. } => {}
                            // Anything else would be lost on the way: the platform's card has
                            // no place for it, so the bundle could not carry it, while the
                            // model would count a reply's outcome, a tag or a template as the
                            // message's and prove the sends on them.
                            other => self.card_cannot_hold(other, *span, sink),
                        }
                    }
                    self.check_elements(inner, sink);
                    self.check_counts(inner, "buttons", |e| matches!(e, Element::Button { .. }), sink);
                }
                Element::List(list) => self.check_list(list, sink),
                _ => {}
            }
        }
    }

    /// J0318: a `title` or `subtitle` written outside a card. They are a card's texts: the
    /// message has no place for them, so the bundle could not carry them, while the wording
    /// rules would count an opt-out instruction written in one.
    fn check_outside_cards(&self, elements: &[Element], sink: &mut Sink) {
        for element in elements {
            let (what, text) = match element {
                Element::Title(t) => ("title", t),
                Element::Subtitle(t) => ("subtitle", t),
                _ => continue,
            };
            sink.push(
                Diagnostic::new(Code::J0318, format!("a `{what}` outside a card"), self.file, text.span)
                    .with_label(format!("a `{what}` belongs to a card"))
                    .with_note("only a card has a title and a subtitle; the bundle has no place for them elsewhere, so it would not be sent")
                    .with_help(format!("put it in a `card {{ {what} \"...\" }}`, or make it the message's `text`")),
            );
        }
    }

    /// J0318: a card holds a title, a subtitle, media and buttons, as every platform's card
    /// (Messenger's generic template) does, and nothing else.
    fn card_cannot_hold(&self, element: &Element, card: Span, sink: &mut Sink) {
        let (what, span, help) = match element {
            Element::Text(t) => {
                ("a `text`", t.span, "make it the card's `subtitle`, or the message's `text` outside the card")
            }
            Element::Subject(t) => {
                ("a `subject`", t.span, "move the `subject` out of the card: it belongs to an email")
            }
            Element::Reply { span, .. } => (
                "a `reply`",
                *span,
                "move the reply out of the card, or make it a `button \"Title\" -> outcome` of the card",
            ),
            Element::Template { span, .. } => {
                ("a `template`", *span, "send the template in a message of its own: a template goes alone (J0312)")
            }
            Element::Tag { span, .. } => {
                ("a `tag`", *span, "move the `tag` out of the card: it tags the whole message")
            }
            Element::Card { span, .. } => (
                "a card",
                *span,
                "put the cards side by side in the message: a message with several cards is a carousel",
            ),
            // Handled by the caller (allowed, or J0317).
            Element::Title(_)
            | Element::Subtitle(_)
            | Element::Media { .. }
            | Element::Button { .. }
            | Element::List(_) => return,
        };
        sink.push(
            Diagnostic::new(Code::J0318, format!("{what} inside a card"), self.file, span)
                .with_label(format!("{what} cannot be part of a card"))
                .with_secondary(self.file, card, "the card")
                .with_note("a card holds a `title`, a `subtitle`, media and `button`s; the bundle has no place for anything else, so it would not be sent")
                .with_help(help),
        );
    }

    /// A template goes alone, with at most its own replies and buttons (J0312): outside the
    /// window only the approved template may be sent (WA-CSW, MSGR-UTIL), so free-form content
    /// beside it would be dropped or refused.
    fn check_template_alone(&self, elements: &[Element], sink: &mut Sink) {
        let Some(template) = elements.iter().find_map(|e| match e {
            Element::Template { name, span, .. } => Some((name, *span)),
            _ => None,
        }) else {
            return;
        };
        sink.stats.content_rules += 1;
        let free: Vec<(&str, Span)> = elements
            .iter()
            .filter(|e| matches!(e, Element::Text(_) | Element::Media { .. } | Element::Card { .. } | Element::List(_)))
            .filter_map(element_kind)
            .collect();
        let Some((kind, span)) = free.first() else { return };
        let kinds = dedup_strs(free.iter().map(|(k, _)| *k));
        sink.push(
            Diagnostic::new(
                Code::J0312,
                format!("message `{}` sends template `{}` with free-form {}", self.message.name.name, template.0.value, kinds.join(" and ")),
                self.file,
                *span,
            )
            .with_label(format!("{kind} is not part of the template"))
            .with_secondary(self.file, template.1, "the approved template")
            .with_note("outside the messaging window only an approved template may be sent; the extra content would be dropped, or refused as a free-form message")
            .with_help("put the words into the template, or send them as a message of their own"),
        );
    }

    /// A list message is one interactive message (WA-LIST): the message's `text` is its body,
    /// its header and footer are its only other texts, and its rows are its only answers. A
    /// second list, or replies, buttons, media or cards beside it, cannot be shown with it (J0317).
    fn check_list_alone(&self, elements: &[Element], sink: &mut Sink) {
        let mut lists = elements.iter().filter_map(|e| match e {
            Element::List(list) => Some(list),
            _ => None,
        });
        let Some(first) = lists.next() else { return };
        sink.stats.content_rules += 1;
        if let Some(second) = lists.next() {
            sink.push(
                Diagnostic::new(
                    Code::J0317,
                    format!("message `{}` has more than one list", self.message.name.name),
                    self.file,
                    second.span,
                )
                .with_label("a second list")
                .with_secondary(self.file, first.span, "the first list")
                .with_note("a list message shows one button that opens one list")
                .with_help("put these rows into the first list, in a `section` of their own, or send them in a message of their own"),
            );
        }
        let beside: Vec<(&str, Span)> = elements
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Element::Reply { .. } | Element::Button { .. } | Element::Media { .. } | Element::Card { .. }
                )
            })
            .filter_map(element_kind)
            .collect();
        let Some((kind, span)) = beside.first() else { return };
        let kinds = dedup_strs(beside.iter().map(|(k, _)| *k));
        sink.push(
            Diagnostic::new(
                Code::J0317,
                format!("message `{}` sends a list with {}", self.message.name.name, kinds.join(" and ")),
                self.file,
                *span,
            )
            .with_label(format!("{kind} cannot be shown with a list"))
            .with_secondary(self.file, first.span, "the list")
            .with_note("a list message is one interactive message: its body is the `text`, its header and footer are text, and its rows are its only answers")
            .with_help("make the choices rows of the list, or send the rest as a message of its own"),
        );
    }

    /// A list's texts against the channel's limits (WA-LIST), its sections and rows against the
    /// counts, and its shape: at least one row, no empty section, a title on every section of a
    /// list with several, one row per outcome (J0317).
    fn check_list(&self, list: &ast::List, sink: &mut Sink) {
        let on = self.on();
        for (role, text) in list.texts() {
            let (limit_name, what) = match role {
                TextRole::ListButton => ("list_button", "list button label"),
                TextRole::ListHeader => ("list_header", "list header"),
                TextRole::ListFooter => ("list_footer", "list footer"),
                TextRole::SectionTitle => ("section_title", "section title"),
                TextRole::RowTitle => ("row_title", "row title"),
                TextRole::RowDescription => ("row_description", "row description"),
                _ => continue,
            };
            check_length(&on, limit_name, what, text, Code::J0303, sink);
        }
        for row in list.rows() {
            check_name_length(&on, "row_id", "row id", &row.outcome, Code::J0303, sink);
        }
        let sections = list.sections();
        let section_spans: Vec<Span> = sections.iter().map(|s| s.span).collect();
        self.check_count(Counted::new("list_sections", "sections in one list", "sections"), &section_spans, sink);
        let row_spans: Vec<Span> = list.rows().map(|r| r.span).collect();
        self.check_count(Counted::new("list_rows", "rows in one list", "rows"), &row_spans, sink);

        sink.stats.content_rules += 1;
        // A syntax error inside the message may have dropped rows: "no rows" would only repeat it.
        if row_spans.is_empty() && sections.is_empty() && !self.broken {
            sink.push(
                Diagnostic::new(Code::J0317, "this list has no rows", self.file, list.span)
                    .with_label("a list needs at least one row")
                    .with_note("the contact opens the list to pick a row: a list without rows cannot be sent")
                    .with_help("add a row: `row \"Title\" -> outcome`"),
            );
        }
        for section in sections.iter().filter(|_| !self.broken) {
            if section.rows.is_empty() {
                let title = section.title.map(|t| format!(" `{}`", t.text_without_fields())).unwrap_or_default();
                sink.push(
                    Diagnostic::new(Code::J0317, format!("section{title} has no rows"), self.file, section.span)
                        .with_label("a section needs at least one row")
                        .with_help("add a row to it, or remove the section"),
                );
            }
        }
        if sections.len() > 1 {
            for section in sections.iter().filter(|s| s.title.is_none()) {
                let (message, label, help) = if section.written {
                    (
                        format!("this section has no title, but the list has {} sections", sections.len()),
                        "a section without a title",
                        "give every section a title: `section \"Title\" { ... }`",
                    )
                } else {
                    (
                        format!("rows outside a section, in a list with {} sections", sections.len()),
                        "these rows are a section without a title",
                        "put these rows into a `section \"Title\" { ... }`",
                    )
                };
                sink.push(
                    Diagnostic::new(Code::J0317, message, self.file, section.span)
                        .with_label(label)
                        .with_note("a list with several sections needs a title on each of them")
                        .with_help(help),
                );
            }
        }
        // The platform shows one header and one footer: a second one would replace the first
        // without a word (J0317).
        for (slot, written) in [
            (
                "header",
                list.parts
                    .iter()
                    .filter_map(|p| match p {
                        ast::ListPart::Header(t) => Some(t),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
            (
                "footer",
                list.parts
                    .iter()
                    .filter_map(|p| match p {
                        ast::ListPart::Footer(t) => Some(t),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ),
        ] {
            if let [first, second, ..] = written.as_slice() {
                sink.push(
                    Diagnostic::new(Code::J0317, format!("this list has two {slot}s"), self.file, second.span)
                        .with_label(format!("a second {slot}"))
                        .with_secondary(self.file, first.span, format!("the first {slot}"))
                        .with_note(format!("a list message shows one {slot}"))
                        .with_help(format!("keep one {slot}: join their texts, or remove one")),
                );
            }
        }
        let mut seen: Vec<&Ident> = Vec::new();
        for row in list.rows() {
            match seen.iter().find(|o| o.name == row.outcome.name) {
                Some(first) => sink.push(
                    Diagnostic::new(
                        Code::J0317,
                        format!("two rows of this list answer `{}`", row.outcome.name),
                        self.file,
                        row.outcome.span,
                    )
                    .with_label("a second row with this outcome")
                    .with_secondary(self.file, first.span, "the first")
                    .with_note(
                        "a row's outcome is its id on the platform, and the rows of a list need ids of their own",
                    )
                    .with_help("give each row its own outcome, or keep only one of them"),
                ),
                None => seen.push(&row.outcome),
            }
        }
    }

    fn check_supported(&self, kind: &str, span: Span, sink: &mut Sink) {
        let Some(supported) = &self.channel.supports else { return };
        sink.stats.content_rules += 1;
        if supported.iter().any(|s| s == kind) {
            return;
        }
        let list = supported.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
        sink.push(
            Diagnostic::new(Code::J0301, format!("`{}` does not support {kind}", self.channel_name()), self.file, span)
                .with_label(format!("{kind} cannot be sent on `{}`", self.channel_name()))
                .with_secondary(
                    self.channel.def.file,
                    self.channel.def.span,
                    format!("`{}` supports {list}", self.channel_name()),
                )
                .with_help("remove it, or send this message on a channel that supports it"),
        );
    }

    /// At most `limit NAME` elements matching `is_counted`.
    fn check_counts(
        &self,
        elements: &[Element],
        limit_name: &str,
        is_counted: impl Fn(&Element) -> bool,
        sink: &mut Sink,
    ) {
        let counted: Vec<Span> = elements
            .iter()
            .filter(|e| is_counted(e))
            .map(|e| element_kind(e).map_or(self.message.name.span, |(_, s)| s))
            .collect();
        self.check_count(Counted::new(limit_name, limit_name, limit_name), &counted, sink);
    }

    /// At most `limit NAME` of the things at `counted` (J0302); the first over the limit is
    /// reported.
    fn check_count(&self, what: Counted<'_>, counted: &[Span], sink: &mut Sink) {
        let Some(limit) = self.channel.limits.get(what.limit_name) else { return };
        sink.stats.content_rules += 1;
        let Ok(max) = usize::try_from(limit.max) else { return };
        if counted.len() <= max {
            return;
        }
        let first_extra = counted.get(max).copied().unwrap_or(self.message.name.span);
        let short = what.short;
        sink.push(
            Diagnostic::new(
                Code::J0302,
                format!("{} {}, but `{}` allows at most {}", counted.len(), what.noun, self.channel_name(), limit.max),
                self.file,
                first_extra,
            )
            .with_label(format!("{short} from here on are over the limit"))
            .with_secondary(limit.def.file, limit.def.span, format!("the limit of `{}`", self.channel_name()))
            .with_help(format!("keep at most {} {short}, or split the message in two", limit.max)),
        );
    }

    /// The literal part of `template` against `limit NAME`.
    fn check_length(&self, limit_name: &str, what: &str, template: &Template, code: Code, sink: &mut Sink) {
        check_length(&self.on(), limit_name, what, template, code, sink);
    }

    fn on(&self) -> On<'_> {
        On { file: self.file, channel_name: self.channel_name(), channel: self.channel }
    }

    /// SMS encoding and segments (SMS-ENC): a character outside GSM-7 switches the whole message
    /// to UCS-2, which holds less than half as much per segment.
    fn check_sms(&self, template: &Template, sink: &mut Sink) {
        sink.stats.content_rules += 1;
        let literal = template.text_without_fields();
        let count = sms::segments(&literal);
        // Only worth a warning when the switch to UCS-2 costs segments (`sms::ucs2_advice`).
        if let Some(advice) = sms::ucs2_advice(&literal) {
            let shown = |chars: &[char]| chars.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
            let mut diagnostic = Diagnostic::new(
                Code::J0305,
                format!(
                    "{} {} this SMS UCS-2: {} segment{} instead of {}",
                    shown(&advice.culprits),
                    if advice.culprits.len() == 1 { "makes" } else { "make" },
                    advice.segments,
                    if advice.segments == 1 { "" } else { "s" },
                    advice.fixed_segments
                ),
                self.file,
                self.char_span(template, advice.culprits.first().copied()),
            )
            .with_label("not in the GSM-7 alphabet")
            .with_note("one character outside GSM-7 switches the whole message to UCS-2: 70 characters per segment instead of 160");
            if !advice.removable.is_empty() {
                let fixable: Vec<char> = advice.fixable.iter().map(|(c, _)| *c).collect();
                diagnostic = diagnostic
                    .with_note(format!(
                        "{} {} no GSM-7 look-alike: while {} in the text it stays UCS-2, whatever else is replaced",
                        shown(&advice.removable),
                        if advice.removable.len() == 1 { "has" } else { "have" },
                        if advice.removable.len() == 1 { "it is" } else { "they are" },
                    ))
                    .with_help(format!(
                        "use GSM-7 look-alikes for {} and remove {}, or keep {} and accept UCS-2",
                        shown(&fixable),
                        shown(&advice.removable),
                        if advice.removable.len() == 1 { "it" } else { "them" },
                    ));
            }
            let edits = self.replacement_edits(template, &advice.fixable);
            if !edits.is_empty() {
                // It changes what the customer reads: a person decides.
                diagnostic.suggestions.push(Suggestion {
                    message: "use GSM-7 look-alikes".into(),
                    edits,
                    applicability: Applicability::Unsafe,
                });
            }
            sink.push(diagnostic);
        }
        self.check_segment_limit(template, &count, sink);
    }

    fn check_segment_limit(&self, template: &Template, count: &sms::SmsCount, sink: &mut Sink) {
        if let Some(limit) = self.channel.limits.get("segments") {
            sink.stats.content_rules += 1;
            if u64::try_from(count.segments).unwrap_or(u64::MAX) > limit.max {
                sink.push(
                    Diagnostic::new(
                        Code::J0304,
                        format!(
                            "this SMS is {} {} segments; `{}` allows {}",
                            count.segments,
                            match count.encoding {
                                SmsEncoding::Gsm7 => "GSM-7",
                                SmsEncoding::Ucs2 => "UCS-2",
                            },
                            self.channel_name(),
                            limit.max
                        ),
                        self.file,
                        template.span,
                    )
                    .with_label(format!("{} characters", count.units))
                    .with_secondary(limit.def.file, limit.def.span, "the segment limit")
                    .with_help("shorten the text"),
                );
            }
        }
    }

    /// The span of the first occurrence of `c` written literally inside the template, else the
    /// template's span.
    fn char_span(&self, template: &Template, c: Option<char>) -> Span {
        let Some(c) = c else { return template.span };
        let inside = self.text.get(template.span.range()).unwrap_or("");
        match inside.find(c) {
            Some(at) => Span::new(template.span.start() + at, template.span.start() + at + c.len_utf8()),
            None => template.span,
        }
    }

    fn replacement_edits(&self, template: &Template, fixable: &[(char, &str)]) -> Vec<TextEdit> {
        let inside = self.text.get(template.span.range()).unwrap_or("");
        let mut edits = Vec::new();
        for (at, c) in inside.char_indices() {
            if let Some((_, replacement)) = fixable.iter().find(|(f, _)| *f == c) {
                // A replacement inside a string literal must itself be escaped where needed.
                let replacement = if *replacement == "\"" { "\\\"" } else { replacement };
                let start = template.span.start() + at;
                edits.push(TextEdit {
                    file: self.file,
                    span: Span::new(start, start + c.len_utf8()),
                    replacement: replacement.to_owned(),
                });
            }
        }
        edits
    }
}

/// What a count limit counts: its name, and how a message says it ("rows in one list") and
/// shorter ("rows").
#[derive(Clone, Copy)]
struct Counted<'a> {
    limit_name: &'a str,
    noun: &'a str,
    short: &'a str,
}

impl<'a> Counted<'a> {
    fn new(limit_name: &'a str, noun: &'a str, short: &'a str) -> Counted<'a> {
        Counted { limit_name, noun, short }
    }
}

/// Where a text is checked: its file and the channel it is sent on.
struct On<'a> {
    file: FileId,
    channel_name: &'a str,
    channel: &'a Channel,
}

/// The literal part of `template` against `limit NAME` of the channel.
fn check_length(on: &On<'_>, limit_name: &str, what: &str, template: &Template, code: Code, sink: &mut Sink) {
    if !on.channel.limits.contains_key(limit_name) {
        return;
    }
    let literal = template.text_without_fields();
    let measured = Measured { literal: &literal, has_fields: template.fields().next().is_some(), span: template.span };
    check_text_length(on, limit_name, what, measured, code, sink);
}

/// A name the platform receives as text (a list row's outcome is its id) against `limit NAME`.
fn check_name_length(on: &On<'_>, limit_name: &str, what: &str, name: &Ident, code: Code, sink: &mut Sink) {
    let measured = Measured { literal: &name.name, has_fields: false, span: name.span };
    check_text_length(on, limit_name, what, measured, code, sink);
}

/// What is known of a text before it is sent: its literal part (all of it unless it has fields)
/// and where it is written.
struct Measured<'a> {
    literal: &'a str,
    has_fields: bool,
    span: Span,
}

/// A text's known part against `limit NAME` of the channel.
fn check_text_length(on: &On<'_>, limit_name: &str, what: &str, text: Measured<'_>, code: Code, sink: &mut Sink) {
    let Measured { literal, has_fields, span } = text;
    let Some(limit) = on.channel.limits.get(limit_name) else { return };
    sink.stats.content_rules += 1;
    let (length, unit) = match limit.unit {
        LimitUnit::Bytes => (literal.len(), "bytes"),
        LimitUnit::Chars | LimitUnit::Count => (literal.chars().count(), "characters"),
    };
    let Ok(max) = usize::try_from(limit.max) else { return };
    if length <= max {
        return;
    }
    let amount = if has_fields { format!("at least {length}") } else { length.to_string() };
    let consequence = if code == Code::J0306 { "truncates" } else { "rejects" };
    sink.push(
        Diagnostic::new(
            code,
            format!("{what} is {amount} {unit}; `{}` allows {} {unit}", on.channel_name, limit.max),
            on.file,
            span,
        )
        .with_label(format!("{} {unit} over", length - max))
        .with_secondary(
            limit.def.file,
            limit.def.span,
            format!("`{}` {consequence} longer {}", on.channel_name, plural(what)),
        )
        .with_help(format!("shorten the {what} to {} {unit}", limit.max)),
    );
}

/// A declared template's header, body and footer against the channel's `template_header`,
/// `template_body` and `template_footer` limits (WA-TPL), as approved texts: a message that sends
/// the template fills only its placeholders.
fn check_template_decl(file: FileId, template: &ast::TemplateDecl, model: &Model, sink: &mut Sink) {
    let Some(channel) = model.channels.get(&template.channel.name) else { return };
    let on = On { file, channel_name: &template.channel.name, channel };
    for (slot, text) in &template.texts {
        let limit_name = format!("template_{}", slot.name);
        let what = format!("template {}", slot.name);
        check_length(&on, &limit_name, &what, text, Code::J0303, sink);
    }
}

/// The plural of a text's name: "titles", "template bodies".
fn plural(what: &str) -> String {
    match what.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{what}s"),
    }
}

fn dedup_strs<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The element name a channel's `supports` rule uses for this element, with its span.
fn element_kind(element: &Element) -> Option<(&str, Span)> {
    Some(match element {
        Element::Text(t) => ("text", t.span),
        Element::Subject(t) => ("subject", t.span),
        Element::Reply { span, .. } => ("replies", *span),
        Element::Button { span, .. } => ("buttons", *span),
        Element::Media { kind, span, .. } => (kind.name.as_str(), *span),
        Element::Card { span, .. } => ("card", *span),
        Element::List(list) => ("list", list.span),
        Element::Template { span, .. } => ("template", *span),
        Element::Title(_) | Element::Subtitle(_) | Element::Tag { .. } => return None,
    })
}
