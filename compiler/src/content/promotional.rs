//! Promotional content, as data (WA-CAT, MSGR-TAG-PROMO).
//!
//! A message's category is the author's word: a "10% off today" text declared `service` would
//! skip consent, opt-out wording and quiet hours. Platforms judge by content: Meta reclassifies a
//! utility template with promotional content as marketing (WA-CAT) and forbids promotional
//! content under message tags (MSGR-TAG-PROMO: "deals, offers, coupons, discounts"). These
//! tables say what reads as promotional; `check::promotional` applies them to non-marketing
//! messages and templates.
//!
//! Words are whole words, case-insensitive, in the literal text (see `content::words`).

use super::words::Token;

/// The rules this table follows.
pub const SOURCE: &str = "WA-CAT, MSGR-TAG-PROMO";

/// Words that make a text promotional on their own, singular and plural. "sales" is left out on
/// purpose ("our sales team", "sales tax"), and so is "wholesale" (whole words only).
pub const WORDS: &[&str] = &[
    "sale",
    "offer",
    "offers",
    "discount",
    "discounts",
    "discounted",
    "deal",
    "deals",
    "promo",
    "promos",
    "promotion",
    "promotions",
    "coupon",
    "coupons",
    "voucher",
    "vouchers",
    "clearance",
];

/// Words before `offer`/`deal` that make it a verb, not a promotion: "we can offer a refund",
/// "we will deal with it".
pub const VERB_BEFORE: &[&str] = &["we", "i", "can", "could", "will", "would", "may", "might", "to", "also", "happy"];

/// Words after a promotional word that make it a verb: "deal with", "offer to".
pub const VERB_AFTER: &[(&str, &str)] = &[("deal", "with"), ("deals", "with"), ("offer", "to"), ("offers", "to")];

/// Words read as verbs when [`VERB_BEFORE`] or [`VERB_AFTER`] says so.
const VERBS: &[&str] = &["offer", "offers", "deal", "deals"];

/// Currency signs written before or after an amount: "$5 off", "5 € off".
pub const CURRENCIES: &[char] = &['$', '€', '£', '¥', '₹'];

/// Words that mark an amount as a price cut when they follow it: "10% off".
pub const OFF: &[&str] = &["off"];

/// Words that mark an amount as a price cut when they precede it: "save $10", "save 20%".
pub const SAVE: &[&str] = &["save", "saving", "savings"];

/// Words that introduce a promo code: "code SPRING20". The code must mix letters and digits, so
/// a verification code ("code 123456") is not one.
pub const CODE: &[&str] = &["code"];

/// Templates whose platform reclassifies them as marketing when their content is promotional:
/// (channel, category, rule). Promotional content there is an error (J0314), not a warning.
pub const RECLASSIFIED_TEMPLATES: &[(&str, &str, &str)] = &[("whatsapp", "utility", "WA-CAT")];

/// A promotional phrase: as it reads, and the first and last tokens as written in lower case,
/// for finding it in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub shown: String,
    pub first: String,
    pub last: String,
}

/// The first promotional phrase in `tokens`.
pub fn find(tokens: &[Token<'_>]) -> Option<Found> {
    let found = |shown: String, from: usize, last: usize| Found {
        shown,
        first: tokens.get(from).map(raw).unwrap_or_default(),
        last: tokens.get(last).map(raw).unwrap_or_default(),
    };
    for (i, token) in tokens.iter().enumerate() {
        if let Some(end) = amount_at(tokens, i) {
            if tokens.get(end).is_some_and(|t| t.is_word(OFF)) {
                return Some(found(format!("{} off", show(tokens, i, end)), i, end));
            }
        }
        let Some(word) = token.word() else { continue };
        if WORDS.contains(&word) && !is_verb(tokens, i, word) {
            return Some(found(word.to_owned(), i, i));
        }
        if token.is_word(SAVE) {
            if let Some(end) = tokens.get(i + 1).and_then(|_| amount_at(tokens, i + 1)) {
                return Some(found(format!("{word} {}", show(tokens, i + 1, end)), i, end - 1));
            }
        }
        if token.is_word(CODE) {
            if let Some(code) = tokens.get(i + 1).and_then(Token::word) {
                let letters = code.chars().any(char::is_alphabetic);
                let digits = code.chars().any(|c| c.is_ascii_digit());
                if letters && digits {
                    return Some(found(format!("code {}", code.to_uppercase()), i, i + 1));
                }
            }
        }
    }
    None
}

fn raw(token: &Token<'_>) -> String {
    match token {
        Token::Word(w) => w.clone(),
        Token::Symbol(c) => c.to_string(),
        Token::Field(_) => String::new(),
    }
}

fn is_verb(tokens: &[Token<'_>], i: usize, word: &str) -> bool {
    if !VERBS.contains(&word) {
        return false;
    }
    let before = i.checked_sub(1).and_then(|b| tokens.get(b)).is_some_and(|t| t.is_word(VERB_BEFORE));
    let after = tokens.get(i + 1).and_then(Token::word).is_some_and(|next| VERB_AFTER.contains(&(word, next)));
    before || after
}

/// An amount starting at `i` ("10 %", "10 percent", "$5", "5 €"): the index after it.
fn amount_at(tokens: &[Token<'_>], i: usize) -> Option<usize> {
    let is_currency = |t: Option<&Token<'_>>| matches!(t, Some(Token::Symbol(c)) if CURRENCIES.contains(c));
    let token = tokens.get(i)?;
    if is_currency(Some(token)) && tokens.get(i + 1).is_some_and(Token::is_number) {
        return Some(i + 2);
    }
    if !token.is_number() {
        return None;
    }
    match tokens.get(i + 1) {
        Some(Token::Symbol('%')) => Some(i + 2),
        Some(t) if t.is_word(&["percent", "pct"]) => Some(i + 2),
        next if is_currency(next) => Some(i + 2),
        _ => None,
    }
}

fn show(tokens: &[Token<'_>], from: usize, to: usize) -> String {
    let mut out = String::new();
    for token in tokens.get(from..to).unwrap_or(&[]) {
        match token {
            Token::Word(w) => {
                if out.chars().last().is_some_and(char::is_alphanumeric) {
                    out.push(' ');
                }
                out.push_str(w);
            }
            Token::Symbol(c) => out.push(*c),
            Token::Field(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Template, TemplatePart};
    use crate::content::words::tokens;
    use crate::span::Span;

    fn promo(text: &str) -> Option<String> {
        let t = Template { parts: vec![TemplatePart::Literal(text.to_owned())], span: Span::default() };
        find(&tokens(&t)).map(|f| f.shown)
    }

    #[test]
    fn amounts_off_and_savings_are_promotional() {
        assert_eq!(promo("10% off today").as_deref(), Some("10% off"));
        assert_eq!(promo("Get $5 off your order").as_deref(), Some("$5 off"));
        assert_eq!(promo("20 % OFF everything").as_deref(), Some("20% off"));
        assert_eq!(promo("save $10 this week").as_deref(), Some("save $10"));
        assert_eq!(promo("15 percent off").as_deref(), Some("15 percent off"));
        assert_eq!(promo("5 € off").as_deref(), Some("5€ off"));
    }

    #[test]
    fn promo_codes_and_promotional_words_are_promotional() {
        assert_eq!(promo("use code SPRING20 at checkout").as_deref(), Some("code SPRING20"));
        assert_eq!(promo("here is a coupon").as_deref(), Some("coupon"));
        assert_eq!(promo("Summer SALE starts now").as_deref(), Some("sale"));
        assert_eq!(promo("new deals every day").as_deref(), Some("deals"));
        assert_eq!(promo("members-only offers").as_deref(), Some("offers"));
        assert_eq!(promo("a special discount").as_deref(), Some("discount"));
    }

    #[test]
    fn ordinary_service_wording_is_not_promotional() {
        assert_eq!(promo("Your verification code is 123456"), None);
        assert_eq!(promo("enter code 123456"), None);
        assert_eq!(promo("Contact our sales team"), None);
        assert_eq!(promo("sales tax included"), None);
        assert_eq!(promo("wholesale orders ship Monday"), None);
        assert_eq!(promo("We will deal with it today"), None);
        assert_eq!(promo("we can offer a refund"), None);
        assert_eq!(promo("Your total is $40, paid in full"), None);
        assert_eq!(promo("Turn the oven off at 10"), None);
        assert_eq!(promo("Your order of 3 items has shipped"), None);
    }
}
