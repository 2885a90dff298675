//! The elements of a message (texts, replies, buttons, media, cards, lists, templates, tags) and
//! the parameters of a template element.

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
            Rule::list_el => {
                let mut button = None;
                let mut parts = Vec::new();
                for child in significant(element) {
                    match child.as_rule() {
                        Rule::string => button = Some(self.template(child)),
                        Rule::list_block => parts = self.list_block(child),
                        _ => {}
                    }
                }
                Element::List(List { button: self.required_node(button, span, "a list's button label")?, parts, span })
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

    /// What is written inside a `list { }`: headers, footers, sections and rows, in order.
    fn list_block(&mut self, pair: Pair<'_, Rule>) -> Vec<ListPart> {
        let mut parts = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::list_part => {
                    if let Some(part) = self.list_part(child) {
                        parts.push(part);
                    }
                }
                Rule::bad_line => self.bad_line(&child, LineContext::ListPart),
                _ => {}
            }
        }
        parts
    }

    fn list_part(&mut self, pair: Pair<'_, Rule>) -> Option<ListPart> {
        let outer = self.span(&pair);
        let part = significant(pair).next();
        let part = self.required(part, outer, "a list part")?;
        let span = self.span(&part);
        Some(match part.as_rule() {
            Rule::list_text => {
                let mut slot = None;
                let mut text = None;
                for child in significant(part) {
                    match child.as_rule() {
                        Rule::list_slot => slot = Some(child.as_str() == "header"),
                        Rule::string => text = Some(self.template(child)),
                        _ => {}
                    }
                }
                let is_header = self.required_node(slot, span, "`header` or `footer`")?;
                let text = self.required_node(text, span, "a string")?;
                if is_header {
                    ListPart::Header(text)
                } else {
                    ListPart::Footer(text)
                }
            }
            Rule::section_el => {
                let mut title = None;
                let mut rows = Vec::new();
                for child in significant(part) {
                    match child.as_rule() {
                        Rule::string => title = Some(self.template(child)),
                        Rule::row_block => {
                            for line in significant(child) {
                                match line.as_rule() {
                                    Rule::row_el => rows.extend(self.row(line)),
                                    Rule::bad_line => self.bad_line(&line, LineContext::Row),
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                ListPart::Section(ListSection { title, rows, span })
            }
            Rule::row_el => ListPart::Row(self.row(part)?),
            _ => {
                self.malformed(span, "a list part");
                return None;
            }
        })
    }

    /// `row "Title" "Description" -> outcome`
    fn row(&mut self, pair: Pair<'_, Rule>) -> Option<ListRow> {
        let span = self.span(&pair);
        let mut strings = Vec::new();
        let mut outcome = None;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::string => strings.push(self.template(child)),
                Rule::arrow => self.check_arrow(&child, "->", "a row"),
                Rule::outcome_ref => outcome = Some(self.ident(child)),
                _ => {}
            }
        }
        let mut strings = strings.into_iter();
        let title = self.required_node(strings.next(), span, "a row title")?;
        Some(ListRow { title, description: strings.next(), outcome: self.required_ident(outcome, span)?, span })
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
