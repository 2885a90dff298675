//! Opt-out wording (docs/rules.md: CTIA-STOP, TCPA-REV, EPR-13, CANSPAM): a marketing phone text
//! tells the contact how to stop, with an instruction that names an opt-out keyword as a whole
//! word ("Reply STOP to opt out"); a marketing email carries an unsubscribe link and a postal
//! address. What is required per medium is the rule table's data (`rules::REQUIRED_WORDING`);
//! the reading of the text is this file's own. Only literal text is read: the value of a field
//! is not known, so a field never supplies a keyword (it can supply a link or an address, which
//! its type or name promises).

use journey_compiler::content::optout;
use journey_compiler::flow::rules::{self, Requirement};

use crate::bundle::{Bundles, Channel, Journey, Message, Part, Text};
use crate::Violation;

/// The opt-out keywords of CTIA-STOP, for a phone-text channel that declares none.
const CTIA_STOP_KEYWORDS: &[&str] = &["STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT"];

/// A word of literal text, or a field (whose value is unknown and breaks a phrase).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'t> {
    Word(&'t str),
    Field,
}

/// Words are runs of letters and digits; everything else separates them ("opt-out" is two).
fn tokens(text: &Text) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for part in text {
        match part {
            Part::Literal(s) => {
                out.extend(s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(Token::Word));
            }
            Part::Field { .. } => out.push(Token::Field),
        }
    }
    out
}

fn is_one_of(token: Option<&Token<'_>>, words: &[&str]) -> bool {
    matches!(token, Some(Token::Word(w)) if words.iter().any(|x| x.eq_ignore_ascii_case(w)))
}

/// The first keyword given as an instruction: a verb before it, with only filler words between
/// ("Reply STOP", "text back the word QUIT"), or "to" and what it does after it ("STOP to opt
/// out", "END to unsubscribe"). The verbs, fillers and purposes are the rule data's word lists.
fn instruction<'k>(tokens: &[Token<'_>], keywords: &[&'k str]) -> Option<&'k str> {
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        let Some(keyword) = keywords.iter().copied().find(|k| k.eq_ignore_ascii_case(word)) else { continue };
        let mut before = i.checked_sub(1);
        while let Some(j) = before {
            if is_one_of(tokens.get(j), optout::FILLERS) {
                before = j.checked_sub(1);
            } else {
                break;
            }
        }
        let verb_before = before.is_some_and(|j| is_one_of(tokens.get(j), optout::VERBS));
        let purpose_after = is_one_of(tokens.get(i + 1), &["to"]) && is_one_of(tokens.get(i + 2), optout::PURPOSES);
        if verb_before || purpose_after {
            return Some(keyword);
        }
    }
    None
}

fn has_word(text: &Text, words: &[&str]) -> bool {
    tokens(text).iter().any(|t| is_one_of(Some(t), words))
}

/// A link in the text: a literal address, or a field whose type is `url`.
fn has_link(bundles: &Bundles, journey: &Journey, text: &Text) -> bool {
    text.iter().any(|part| match part {
        Part::Literal(s) => {
            let lower = s.to_ascii_lowercase();
            lower.contains("https://") || lower.contains("http://")
        }
        Part::Field { name, scope } => bundles.is_url_field(journey, name, scope),
    })
}

fn texts(message: &Message) -> Vec<&Text> {
    let mut out: Vec<&Text> = message.subject.iter().chain(message.body.iter()).collect();
    for button in &message.buttons {
        out.push(&button.title);
        out.extend(button.url.iter());
    }
    out
}

fn met(bundles: &Bundles, journey: &Journey, channel: &Channel, message: &Message, requirement: &Requirement) -> bool {
    match requirement {
        Requirement::OptOutInstruction => {
            let declared: Vec<&str> = channel
                .keywords
                .iter()
                .map(String::as_str)
                .filter(|k| !rules::HELP_KEYWORDS.iter().any(|h| h.eq_ignore_ascii_case(k)))
                .collect();
            let keywords = if declared.is_empty() { CTIA_STOP_KEYWORDS.to_vec() } else { declared };
            message.body.as_ref().is_some_and(|body| instruction(&tokens(body), &keywords).is_some())
        }
        Requirement::LinkBeside(words) => {
            let in_text = message
                .subject
                .iter()
                .chain(message.body.iter())
                .any(|t| has_word(t, words) && has_link(bundles, journey, t));
            let in_button = message.buttons.iter().any(|b| b.url.is_some() && has_word(&b.title, words));
            in_text || in_button
        }
        Requirement::Field(prefixes) => texts(message).iter().any(|t| {
            t.iter().any(|p| matches!(p, Part::Field { name, .. } if prefixes.iter().any(|x| name.starts_with(x))))
        }),
    }
}

/// The wording rules of the rule table that apply to a message on `channel`: `sms` rows to phone
/// texts, `email` rows to email, by medium.
fn applies(row: &rules::RequiredWording, channel: &Channel, category: &str) -> bool {
    let medium = match row.channel {
        "sms" => channel.is_phone_text(),
        other => channel.medium == other,
    };
    medium && row.category == category
}

/// Checks the wording of `message` (sent as `category` on `channel`).
pub fn check(
    bundles: &Bundles,
    journey: &Journey,
    channel: &Channel,
    message: &Message,
    category: &str,
) -> Vec<Violation> {
    let mut out = Vec::new();
    // A template's words are approved on the platform and not in the bundle.
    if message.form == crate::bundle::Form::Template {
        return out;
    }
    for row in rules::REQUIRED_WORDING.iter().filter(|r| applies(r, channel, category)) {
        let missing: Vec<&str> = row
            .all_of
            .iter()
            .filter(|(_, req)| !met(bundles, journey, channel, message, req))
            .map(|(what, _)| *what)
            .collect();
        if !missing.is_empty() {
            out.push(Violation::new(
                row.source,
                format!(
                    "{category} message on {} ({}) without {}",
                    message.channel,
                    channel.medium,
                    missing.join(" or ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMS: &[&str] = &["STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "REVOKE", "OPTOUT"];

    fn finds(text: &str) -> Option<&'static str> {
        instruction(&tokens(&vec![Part::Literal(text.to_owned())]), SMS)
    }

    #[test]
    fn instructions_name_a_keyword_after_a_verb_or_before_what_it_does() {
        let table = [
            ("20% off today. Reply STOP to opt out", Some("STOP")),
            ("Text UNSUBSCRIBE to stop", Some("UNSUBSCRIBE")),
            ("Sale ends soon. STOP to end", Some("STOP")),
            ("Reply HELP for help, STOP to cancel.", Some("STOP")),
            ("Reply \"QUIT\" at any time", Some("QUIT")),
            ("To opt out, reply with the word cancel", Some("CANCEL")),
            ("STOP to opt-out", Some("STOP")),
            ("nonstop deals all week", None),
            ("new stopwatch in stock", None),
            ("don't stop running", None),
            ("stop by our store", None),
            ("the end of the sale", None),
            ("Reply HELP for help", None),
        ];
        for (text, expected) in table {
            assert_eq!(finds(text), expected, "{text}");
        }
    }

    #[test]
    fn a_field_between_the_verb_and_the_keyword_breaks_the_instruction() {
        let text = vec![
            Part::Literal("Reply ".into()),
            Part::Field { name: "x".into(), scope: "profile".into() },
            Part::Literal(" STOP".into()),
        ];
        assert_eq!(instruction(&tokens(&text), SMS), None);
    }
}
