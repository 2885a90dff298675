//! Top-level items (imports, profiles, events, segments, policies, channels, messages,
//! templates, journeys) and the field lists and types they declare.

use pest::iterators::Pair;

use super::{significant, LineContext, Lowerer};
use crate::ast::*;
use crate::span::Span;
use crate::syntax::grammar::Rule;

impl Lowerer<'_> {
    pub(super) fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        self.item_start_diagnostics = self.diagnostics.reported();
        self.reported_malformed = false;
        Some(match pair.as_rule() {
            Rule::import => {
                let path = significant(pair).find(|p| p.as_rule() == Rule::string);
                let path = self.required(path, span, "an import path")?;
                Item::Import(Import { path: self.str_lit(path), span })
            }
            Rule::profile => {
                let fields = significant(pair).find(|p| p.as_rule() == Rule::field_list);
                let fields = self.required(fields, span, "the profile fields")?;
                Item::Profile(Profile { fields: self.field_list(fields), span })
            }
            Rule::event_decl => {
                let mut name = None;
                let mut inbound = None;
                let mut window = None;
                let mut replies = None;
                let mut fields = Vec::new();
                for child in significant(pair) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        Rule::channel_ref => inbound = Some(self.ident(child)),
                        Rule::duration => window = Some(self.positive_duration(child, "a window")),
                        Rule::integer => replies = Some((self.integer(child.clone()), self.span(&child))),
                        Rule::field_list => fields = self.field_list(child),
                        _ => {}
                    }
                }
                Item::Event(EventDecl {
                    name: self.required_ident(name, span)?,
                    inbound,
                    window,
                    replies,
                    fields,
                    span,
                })
            }
            Rule::segment => {
                let mut children = significant(pair);
                let name = children.next().map(|p| self.ident(p));
                let condition = match children.next() {
                    Some(expr) => self.expr(expr),
                    None => None,
                };
                Item::Segment(Segment {
                    name: self.required_ident(name, span)?,
                    condition: self.required_node(condition, span, "a condition")?,
                    span,
                })
            }
            Rule::policy => {
                let mut name = None;
                let mut rules = Vec::new();
                for child in significant(pair) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        Rule::policy_rule => {
                            if let Some(rule) = self.policy_rule(child) {
                                rules.push(rule);
                            }
                        }
                        Rule::bad_line => self.bad_line(&child, LineContext::PolicyRule),
                        _ => {}
                    }
                }
                Item::Policy(Policy { name, rules, span })
            }
            Rule::channel => {
                let mut name = None;
                let mut rules = Vec::new();
                for child in significant(pair) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        Rule::channel_rule => {
                            if let Some(rule) = self.channel_rule(child) {
                                rules.push(rule);
                            }
                        }
                        Rule::bad_line => self.bad_line(&child, LineContext::ChannelRule),
                        _ => {}
                    }
                }
                Item::Channel(Channel { name: self.required_ident(name, span)?, rules, span })
            }
            Rule::message => {
                let mut idents = Vec::new();
                let mut elements = Vec::new();
                for child in significant(pair) {
                    match child.as_rule() {
                        Rule::ident | Rule::channel_ref | Rule::category_ref => idents.push(self.ident(child)),
                        Rule::element_block => elements = self.element_block(child),
                        _ => {}
                    }
                }
                let mut idents = idents.into_iter();
                let (Some(name), Some(channel), Some(category)) = (idents.next(), idents.next(), idents.next()) else {
                    self.malformed(span, "a message header");
                    return None;
                };
                Item::Message(Message { name, channel, category, elements, span })
            }
            Rule::template_decl => Item::Template(self.template_decl(pair, span)?),
            Rule::journey => {
                let mut name = None;
                let mut members = Vec::new();
                for child in significant(pair) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        _ => self.journey_part(child, &mut members),
                    }
                }
                Item::Journey(Journey { name: self.required_ident(name, span)?, members, span })
            }
            _ => {
                self.malformed(span, "an item");
                return None;
            }
        })
    }

    /// A `template` declaration: its header (name, channel, category), then its block.
    fn template_decl(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<TemplateDecl> {
        let mut idents = Vec::new();
        let mut lang = None;
        let mut texts = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::ident | Rule::channel_ref | Rule::category_ref => idents.push(self.ident(child)),
                Rule::template_block => self.template_block(child, &mut lang, &mut texts),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let (Some(name), Some(channel), Some(category)) = (idents.next(), idents.next(), idents.next()) else {
            self.malformed(span, "a template header");
            return None;
        };
        Some(TemplateDecl { name, channel, category, lang, texts, span })
    }

    /// The parts of a template's block: its language and its texts, in `lang` and `texts`.
    fn template_block(&mut self, pair: Pair<'_, Rule>, lang: &mut Option<StrLit>, texts: &mut Vec<(Ident, Template)>) {
        for part in significant(pair) {
            match part.as_rule() {
                Rule::template_part => {
                    for inner in significant(part) {
                        match inner.as_rule() {
                            Rule::template_lang => {
                                *lang =
                                    significant(inner).find(|p| p.as_rule() == Rule::string).map(|p| self.str_lit(p));
                            }
                            Rule::template_text => texts.extend(self.template_text(inner)),
                            _ => {}
                        }
                    }
                }
                Rule::bad_line => self.bad_line(&part, LineContext::TemplatePart),
                _ => {}
            }
        }
    }

    /// One text of a template (`header`, `body` or `footer`) and its string; `None` when either
    /// is missing.
    fn template_text(&mut self, pair: Pair<'_, Rule>) -> Option<(Ident, Template)> {
        let mut slot = None;
        let mut text = None;
        for piece in significant(pair) {
            match piece.as_rule() {
                Rule::template_slot => slot = Some(Ident { name: piece.as_str().to_owned(), span: self.span(&piece) }),
                Rule::string => text = Some(self.template(piece)),
                _ => {}
            }
        }
        slot.zip(text)
    }

    /// A member or a broken line of a journey's block (whole, or one piece of it).
    pub(super) fn journey_part(&mut self, child: Pair<'_, Rule>, members: &mut Vec<JourneyMember>) {
        match child.as_rule() {
            Rule::journey_member => members.extend(self.journey_member(child)),
            Rule::bad_line => self.bad_line(&child, LineContext::Member),
            _ => {}
        }
    }

    fn field_list(&mut self, pair: Pair<'_, Rule>) -> Vec<FieldDecl> {
        let mut fields = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::field_decl => {
                    let span = self.span(&child);
                    let mut parts = significant(child);
                    let name = parts.next().map(|p| self.ident(p));
                    let ty = match parts.next() {
                        Some(ty) => self.type_expr(ty),
                        None => None,
                    };
                    if let (Some(name), Some(ty)) = (name, ty) {
                        fields.push(FieldDecl { name, ty, span });
                    } else {
                        self.malformed(span, "a field");
                    }
                }
                Rule::bad_entry => self.bad_line(&child, LineContext::Field),
                _ => {}
            }
        }
        fields
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        if !self.enter(span) {
            return None;
        }
        let mut kind = None;
        let mut optional = false;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::optional => optional = true,
                Rule::type_name => {
                    let inner = child.into_inner().next();
                    kind = inner.map(|p| TypeKind::Named(self.ident(p)));
                }
                Rule::set_type | Rule::list_type => {
                    let is_set = child.as_rule() == Rule::set_type;
                    let inner = significant(child).find(|p| p.as_rule() == Rule::type_expr);
                    if let Some(inner) = inner.and_then(|p| self.type_expr(p)) {
                        kind =
                            Some(if is_set { TypeKind::Set(Box::new(inner)) } else { TypeKind::List(Box::new(inner)) });
                    }
                }
                Rule::enum_type => kind = Some(TypeKind::Enum(self.ident_list(child))),
                _ => {}
            }
        }
        self.leave();
        Some(TypeExpr { kind: self.required_node(kind, span, "a type")?, optional, span })
    }
}
