//! Wording a message must carry (J0410, J0411): an opt-out instruction in a marketing text
//! (CTIA-STOP), an unsubscribe link and a postal address in a marketing email (CANSPAM).
//!
//! Which (channel, category) needs what is the table `flow::rules::REQUIRED_WORDING`; what counts
//! as an opt-out instruction is the table in `content::optout`. Only literal text counts: a value
//! interpolated at run time may be anything, so it never satisfies a wording rule. A link is the
//! exception: a `url`-typed field is a link whatever its value.

use super::Sink;
use crate::ast::visit::{self, TextRole};
use crate::ast::{self, ButtonAction, Element, Item, Template, TemplatePart};
use crate::codes::Code;
use crate::content::optout;
use crate::content::words::{self, Token};
use crate::diagnostic::Diagnostic;
use crate::flow::rules::{self, Requirement};
use crate::model::{Channel, Model, Type};
use crate::project::Sources;
use crate::span::{FileId, Span};
use crate::weakening::{self, Weakening};

/// Whether a channel sends phone texts (`medium sms`, `mms` or `rcs`), to which the SMS wording
/// rules apply.
pub fn is_sms_medium(channel: &Channel) -> bool {
    crate::flow::media::medium_of(channel).is_some_and(crate::flow::media::is_phone_text)
}

/// The kind of channel a wording rule names: its medium's (`sms` for every phone text, `email`),
/// else its name. The medium decides, so a project's own MMS channel needs STOP wording too.
fn channel_kind<'n>(name: &'n str, channel: &Channel) -> &'n str {
    match crate::flow::media::medium_of(channel).and_then(crate::flow::media::required_wording) {
        Some(kind) => kind,
        None => name,
    }
}

/// Checks every message of the project against [`rules::REQUIRED_WORDING`].
pub fn check(model: &Model, sources: &Sources, sink: &mut Sink) {
    for file in &sources.files {
        let Some(ast) = &file.ast else { continue };
        for item in &ast.items {
            if let Item::Message(message) = item {
                check_message(model, message, file.id, &file.text, sink);
            }
        }
    }
}

fn check_message(model: &Model, message: &ast::Message, file: FileId, text: &str, sink: &mut Sink) {
    let Some(channel) = model.channels.get(&message.channel.name) else { return };
    let kind = channel_kind(&message.channel.name, channel);
    let Some(rule) = rules::REQUIRED_WORDING.iter().find(|r| r.channel == kind && r.category == message.category.name)
    else {
        return;
    };
    sink.stats.content_rules += 1;
    let keywords = optout::opt_out_keywords(&channel.keywords);
    let missing: Vec<(&str, Requirement)> = rule
        .all_of
        .iter()
        .copied()
        .filter(|(_, requirement)| !satisfied(model, &message.elements, *requirement, &keywords))
        .collect();
    let code = if kind == "sms" { Code::J0410 } else { Code::J0411 };
    let weakening = match code {
        Code::J0410 => Weakening::OptOutWordingNotRequired,
        _ => Weakening::UnsubscribeWordingNotRequired,
    };
    if missing.is_empty() || weakening::on(weakening) {
        return;
    }
    let what: Vec<&str> = missing.iter().map(|(what, _)| *what).collect();
    let mut diagnostic = Diagnostic::new(
        code,
        format!("{} message `{}` lacks {}", rule.category, message.name.name, what.join(" and ")),
        file,
        message.name.span,
    )
    .with_label(format!("{} on {}", rule.category, message.channel.name))
    .with_note(format!("required by {}", rule.source));
    let mut help = Vec::new();
    for (_, requirement) in &missing {
        match requirement {
            Requirement::OptOutInstruction => {
                let texts = readable_texts(&message.elements);
                let mentioned: Vec<&str> = texts
                    .iter()
                    .flat_map(|t| optout::mentioned(&words::tokens(t), &keywords))
                    .fold(Vec::new(), |mut seen, k| {
                        if !seen.contains(&k) {
                            seen.push(k);
                        }
                        seen
                    });
                if !mentioned.is_empty() {
                    let list: Vec<String> = mentioned.iter().map(|k| format!("`{k}`")).collect();
                    diagnostic = diagnostic.with_note(format!(
                        "{} appears, but not as an instruction such as \"Reply STOP to opt out\" or \"STOP to end\"",
                        list.join(", ")
                    ));
                }
                if keywords.is_empty() {
                    help.push(format!(
                        "`{}` declares no opt-out keyword: add `keywords STOP, HELP` to it, then end the text with \"Reply STOP to opt out\"",
                        message.channel.name
                    ));
                } else {
                    let list: Vec<String> = keywords.iter().map(|k| k.to_uppercase()).collect();
                    help.push(format!(
                        "end the text with \"Reply {} to opt out\"; `{}` accepts {}",
                        list.first().map_or("STOP", String::as_str),
                        message.channel.name,
                        list.join(", ")
                    ));
                    if let Some(edit_at) = last_text_end(&message.elements, text) {
                        let keyword = list.first().map_or("STOP", String::as_str);
                        diagnostic = diagnostic.with_suggestion(
                            format!("add \"Reply {keyword} to opt out\""),
                            edit_at,
                            format!(" Reply {keyword} to opt out"),
                        );
                    }
                }
            }
            Requirement::LinkBeside(link_words) => {
                let word = link_words.first().copied().unwrap_or("unsubscribe");
                help.push(format!(
                    "put a link beside the word \"{word}\" in the same text (`{}: {{unsubscribe_url}}` with a `url` field, or an https:// address), or add `button \"{}\" url \"...\"`",
                    capitalised(word),
                    capitalised(word)
                ));
            }
            Requirement::Field(names) => {
                help.push(format!("add `{{{}}}` to the text", names.first().copied().unwrap_or("postal_address")));
            }
        }
    }
    sink.push(diagnostic.with_help(help.join("; ")));
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn satisfied(model: &Model, elements: &[Element], requirement: Requirement, keywords: &[&str]) -> bool {
    match requirement {
        Requirement::OptOutInstruction => {
            readable_texts(elements).iter().any(|t| optout::instruction(&words::tokens(t), keywords).is_some())
        }
        Requirement::LinkBeside(link_words) => has_link_beside(model, elements, link_words),
        Requirement::Field(names) => all_texts(elements).iter().any(|t| {
            t.fields().any(|path| path.segments.last().is_some_and(|s| names.iter().any(|n| s.name.starts_with(n))))
        }),
    }
}

/// A link in the same element as one of `link_words`: a text with the word and a URL (literal or
/// a `url` field), or a URL button whose title has the word. Subjects do not count: a subject
/// cannot hold a link.
fn has_link_beside(model: &Model, elements: &[Element], link_words: &[&str]) -> bool {
    visit::elements(elements).any(|element| match element {
        Element::Text(t) | Element::Title(t) | Element::Subtitle(t) => {
            let tokens = words::tokens(t);
            link_words.iter().any(|w| words::has_word(&tokens, w)) && has_url(model, t, &tokens)
        }
        Element::Button { title, action: ButtonAction::Url(_), .. } => {
            let tokens = words::tokens(title);
            link_words.iter().any(|w| words::has_word(&tokens, w))
        }
        _ => false,
    })
}

/// URL schemes a literal link starts with.
const SCHEMES: &[&str] = &["https://", "http://"];

fn has_url(model: &Model, template: &Template, tokens: &[Token<'_>]) -> bool {
    let literal = template.parts.iter().any(|part| match part {
        TemplatePart::Literal(text) => {
            let lower = text.to_lowercase();
            SCHEMES.iter().any(|s| lower.contains(s))
        }
        TemplatePart::Field { .. } => false,
    });
    literal
        || tokens.iter().any(|t| match t {
            Token::Field(path) => is_url_field(model, path),
            _ => false,
        })
}

/// Whether a field interpolated in a message is declared `url`: a profile field (`{name}`,
/// `{profile.name}`), or an event field (`{event.name}`) that every event declaring it declares
/// as `url` (a message does not know which event it is sent after).
fn is_url_field(model: &Model, path: &ast::Path) -> bool {
    match path.segments.as_slice() {
        [name] => model.profile.get(&name.name).is_some_and(|f| f.ty == Type::Url),
        [head, name] if head.name == "profile" => model.profile.get(&name.name).is_some_and(|f| f.ty == Type::Url),
        [head, name] if head.name == "event" => {
            let mut declared = model.events.values().filter_map(|e| e.fields.get(&name.name)).peekable();
            declared.peek().is_some() && declared.all(|f| f.ty == Type::Url)
        }
        _ => false,
    }
}

/// The texts a contact reads as the message body: texts, card titles and subtitles.
fn readable_texts(elements: &[Element]) -> Vec<&Template> {
    visit::texts(elements)
        .filter(|(role, _)| matches!(role, TextRole::Text | TextRole::Title | TextRole::Subtitle))
        .map(|(_, text)| text)
        .collect()
}

/// Every text of a message, with subjects, buttons and their URLs (not replies, media URLs or
/// the texts of a list, which the monitor does not read either).
fn all_texts(elements: &[Element]) -> Vec<&Template> {
    visit::texts(elements)
        .filter(|(role, _)| {
            matches!(
                role,
                TextRole::Text
                    | TextRole::Subject
                    | TextRole::Title
                    | TextRole::Subtitle
                    | TextRole::ButtonTitle
                    | TextRole::ButtonUrl
            )
        })
        .map(|(_, text)| text)
        .collect()
}

/// Where to append to the last `text "..."` of a message: just before its closing quote.
fn last_text_end(elements: &[Element], source: &str) -> Option<Span> {
    let last = elements.iter().rev().find_map(|e| match e {
        Element::Text(t) => Some(t),
        _ => None,
    })?;
    let end = last.span.end();
    let before = end.checked_sub(1)?;
    (source.get(before..end) == Some("\"")).then(|| Span::new(before, before))
}
