//! The elements of a message (texts, replies, buttons, media, cards, templates, tags) and the
//! parameters of a template element.

use pest::iterators::Pair;

use super::{significant, LineContext, Lowerer};
use crate::ast::*;
use crate::syntax::grammar::Rule;

impl Lowerer<'_> {
    pub(super) fn element_block(&mut self, pair: Pair<'_, Rule>) -> Vec<Element> {
        let mut elements = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::element => {
                    if let Some(element) = self.element(child) {
                        elements.push(element);
                    }
                }
                Rule::bad_line => self.bad_line(&child, LineContext::Element),
                _ => {}
            }
        }
        elements
    }

    fn element(&mut self, pair: Pair<'_, Rule>) -> Option<Element> {
        let outer = self.span(&pair);
        let element = significant(pair).next();
        let element = self.required(element, outer, "a message element")?;
        let span = self.span(&element);
        let rule = element.as_rule();
        Some(match rule {
            Rule::text_el | Rule::subject_el | Rule::title_el | Rule::subtitle_el => {
                let string = significant(element).find(|p| p.as_rule() == Rule::string);
                let string = self.required(string, span, "a string")?;
                let template = self.template(string);
                match rule {
                    Rule::text_el => Element::Text(template),
                    Rule::subject_el => Element::Subject(template),
                    Rule::title_el => Element::Title(template),
                    _ => Element::Subtitle(template),
                }
            }
            Rule::reply_el => {
                let mut title = None;
                let mut outcome = None;
                for child in significant(element) {
                    match child.as_rule() {
                        Rule::string => title = Some(self.template(child)),
                        Rule::arrow => self.check_arrow(&child, "->", "a reply"),
                        Rule::outcome_ref => outcome = Some(self.ident(child)),
                        _ => {}
                    }
                }
                Element::Reply {
                    title: self.required_node(title, span, "a reply title")?,
                    outcome: self.required_ident(outcome, span)?,
                    span,
                }
            }
            Rule::button_el => {
                let mut strings = Vec::new();
                let mut outcome = None;
                for child in significant(element) {
                    match child.as_rule() {
                        Rule::string => strings.push(self.template(child)),
                        Rule::arrow => self.check_arrow(&child, "->", "a button"),
                        Rule::outcome_ref => outcome = Some(self.ident(child)),
                        _ => {}
                    }
                }
                let mut strings = strings.into_iter();
                let title = self.required_node(strings.next(), span, "a button title")?;
                let action = match (outcome, strings.next()) {
                    (Some(outcome), _) => ButtonAction::Outcome(outcome),
                    (None, Some(url)) => ButtonAction::Url(url),
                    (None, None) => {
                        self.malformed(span, "a button action");
                        return None;
                    }
                };
                Element::Button { title, action, span }
            }
            Rule::media_el => {
                let mut kind = None;
                let mut url = None;
                for child in significant(element) {
                    match child.as_rule() {
                        Rule::media_kind => {
                            kind = Some(Ident { name: child.as_str().to_owned(), span: self.span(&child) })
                        }
                        Rule::string => url = Some(self.template(child)),
                        _ => {}
                    }
                }
                Element::Media {
                    kind: self.required_ident(kind, span)?,
                    url: self.required_node(url, span, "a URL")?,
                    span,
                }
            }
            Rule::card_el => {
                let block = significant(element).find(|p| p.as_rule() == Rule::element_block);
                let block = self.required(block, span, "a card body")?;
                if !self.enter(span) {
                    return None;
                }
                let elements = self.element_block(block);
                self.leave();
                Element::Card { elements, span }
            }
            Rule::template_el => {
                let mut strings = Vec::new();
                let mut params = Vec::new();
                for child in significant(element) {
                    match child.as_rule() {
                        Rule::string => strings.push(self.str_lit(child)),
                        Rule::param_block => params = self.param_block(child),
                        _ => {}
                    }
                }
                let mut strings = strings.into_iter();
                Element::Template {
                    name: self.required_node(strings.next(), span, "a template name")?,
                    lang: self.required_node(strings.next(), span, "a language")?,
                    params,
                    span,
                }
            }
            Rule::tag_el => {
                let name = significant(element).find(|p| p.as_rule() == Rule::ident).map(|p| self.ident(p));
                Element::Tag { name: self.required_ident(name, span)?, span }
            }
            _ => {
                self.malformed(span, "a message element");
                return None;
            }
        })
    }

    fn param_block(&mut self, pair: Pair<'_, Rule>) -> Vec<TemplateParam> {
        let mut params = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::template_param => {
                    let span = self.span(&child);
                    let mut parts = significant(child);
                    let name = parts.next().map(|p| self.ident(p));
                    let value = match parts.next() {
                        Some(expr) => self.expr(expr),
                        None => None,
                    };
                    if let (Some(name), Some(value)) = (name, value) {
                        params.push(TemplateParam { name, value, span });
                    }
                }
                Rule::bad_entry => self.bad_line(&child, LineContext::Param),
                _ => {}
            }
        }
        params
    }
}
