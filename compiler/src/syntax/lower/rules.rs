//! The rules of policies (quiet hours, frequency, business hours, jurisdiction) and of channels
//! (window, tags, limits, media, ...).

use pest::iterators::Pair;

use super::{significant, Lowerer};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::syntax::grammar::Rule;

impl Lowerer<'_> {
    pub(super) fn policy_rule(&mut self, pair: Pair<'_, Rule>) -> Option<PolicyRule> {
        let outer = self.span(&pair);
        let rule = significant(pair).next();
        let rule = self.required(rule, outer, "a policy rule")?;
        let span = self.span(&rule);
        Some(match rule.as_rule() {
            Rule::quiet_hours => {
                let mut periods = Vec::new();
                let mut zone = None;
                for child in significant(rule) {
                    match child.as_rule() {
                        Rule::quiet_period => periods.extend(self.week_period(child)),
                        Rule::zone => zone = self.zone(child),
                        _ => {}
                    }
                }
                if periods.is_empty() {
                    self.malformed(span, "a time range");
                    return None;
                }
                PolicyRule::QuietHours { periods, zone: self.required_node(zone, span, "a time zone")?, span }
            }
            Rule::frequency => {
                // One name is the category; of two, the first is the channel (the checker says so
                // when it is not one).
                let mut names = Vec::with_capacity(2);
                let mut max = None;
                let mut per = None;
                for child in significant(rule) {
                    match child.as_rule() {
                        Rule::category_ref => names.push(self.ident(child)),
                        Rule::integer => max = Some(self.integer(child)),
                        Rule::duration => per = Some(self.positive_duration(child, "a frequency period")),
                        _ => {}
                    }
                }
                let category = names.pop();
                let channel = names.pop();
                PolicyRule::Frequency {
                    channel,
                    category: self.required_ident(category, span)?,
                    max: self.required_node(max, span, "a count")?,
                    per: self.required_node(per, span, "a duration")?,
                    span,
                }
            }
            Rule::business_hours => {
                let mut periods = Vec::new();
                let mut zone = None;
                for child in significant(rule) {
                    match child.as_rule() {
                        // The same shape as a quiet period; the grammar requires the days.
                        Rule::business_period => periods.extend(self.week_period(child)),
                        Rule::zone => zone = self.zone(child),
                        _ => {}
                    }
                }
                if periods.is_empty() {
                    self.malformed(span, "a time range");
                    return None;
                }
                PolicyRule::BusinessHours { periods, zone: self.required_node(zone, span, "a time zone")?, span }
            }
            Rule::jurisdiction => {
                let code = significant(rule).find(|p| p.as_rule() == Rule::string);
                let code = self.required(code, span, "a jurisdiction code")?;
                PolicyRule::Jurisdiction { code: self.str_lit(code), span }
            }
            _ => {
                self.malformed(span, "a policy rule");
                return None;
            }
        })
    }

    fn week_period(&mut self, pair: Pair<'_, Rule>) -> Option<WeekPeriod> {
        let span = self.span(&pair);
        let mut days = Vec::new();
        let mut range = None;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::day_specs => days = self.day_specs(child),
                Rule::time_range => range = self.time_range(child),
                _ => {}
            }
        }
        Some(WeekPeriod { days, range: self.required_node(range, span, "a time range")?, span })
    }

    fn time_range(&mut self, pair: Pair<'_, Rule>) -> Option<TimeRange> {
        let span = self.span(&pair);
        let mut times = significant(pair).filter(|p| p.as_rule() == Rule::time);
        let from = times.next().map(|p| self.time(p));
        let to = times.next().map(|p| self.time(p));
        match (from, to) {
            (Some(from), Some(to)) => Some(TimeRange { from, to, span }),
            _ => {
                self.malformed(span, "a time range");
                None
            }
        }
    }

    pub(super) fn zone(&mut self, pair: Pair<'_, Rule>) -> Option<ZoneSpec> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next();
        let inner = self.required(inner, span, "a time zone")?;
        Some(match inner.as_rule() {
            Rule::string => ZoneSpec::Fixed(self.str_lit(inner)),
            _ => ZoneSpec::Recipient(span),
        })
    }

    pub(super) fn day_specs(&mut self, pair: Pair<'_, Rule>) -> Vec<DaySpec> {
        let mut days = Vec::new();
        for spec in significant(pair).filter(|p| p.as_rule() == Rule::day_spec) {
            let span = self.span(&spec);
            let names: Vec<Weekday> = significant(spec).filter_map(|p| weekday(p.as_str())).collect();
            match names.as_slice() {
                [one] => days.push(DaySpec { from: *one, to: *one, span }),
                [from, to] => days.push(DaySpec { from: *from, to: *to, span }),
                _ => self.malformed(span, "a weekday range"),
            }
        }
        days
    }

    pub(super) fn channel_rule(&mut self, pair: Pair<'_, Rule>) -> Option<ChannelRule> {
        let outer = self.span(&pair);
        let rule = significant(pair).next();
        let rule = self.required(rule, outer, "a channel rule")?;
        let span = self.span(&rule);
        Some(match rule.as_rule() {
            Rule::window_rule => {
                let length = significant(rule)
                    .find(|p| p.as_rule() == Rule::duration)
                    .map(|p| self.positive_duration(p, "a window"));
                ChannelRule::Window { length: self.required_node(length, span, "a window length")?, span }
            }
            Rule::tag_rule => {
                let mut name = None;
                let mut allows = Vec::new();
                let mut within = None;
                for child in significant(rule) {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(child)),
                        Rule::ident_list => allows = self.ident_list(child),
                        Rule::duration => within = Some(self.positive_duration(child, "a tag window")),
                        _ => {}
                    }
                }
                ChannelRule::Tag { name: self.required_ident(name, span)?, allows, within, span }
            }
            Rule::limit_rule => {
                let mut idents = Vec::new();
                let mut max = None;
                for child in significant(rule) {
                    match child.as_rule() {
                        Rule::ident => idents.push(self.ident(child)),
                        Rule::integer => max = Some(self.integer(child)),
                        _ => {}
                    }
                }
                let mut idents = idents.into_iter();
                ChannelRule::Limit {
                    what: self.required_ident(idents.next(), span)?,
                    max: self.required_node(max, span, "a limit")?,
                    unit: idents.next(),
                    span,
                }
            }
            Rule::supports_rule => ChannelRule::Supports {
                elements: significant(rule).next().map(|p| self.ident_list(p)).unwrap_or_default(),
                span,
            },
            Rule::template_rule => ChannelRule::TemplateRequiredOutsideWindow { span },
            Rule::consent_rule => {
                let category = significant(rule).find(|p| p.as_rule() == Rule::category_ref).map(|p| self.ident(p));
                ChannelRule::ConsentOutsideWindow { category: self.required_ident(category, span)?, span }
            }
            Rule::encoding_rule => {
                let name = significant(rule).find(|p| p.as_rule() == Rule::ident).map(|p| self.ident(p));
                ChannelRule::Encoding { name: self.required_ident(name, span)?, span }
            }
            Rule::keywords_rule => ChannelRule::Keywords {
                words: significant(rule).next().map(|p| self.ident_list(p)).unwrap_or_default(),
                span,
            },
            Rule::medium_rule => {
                let name = significant(rule).find(|p| p.as_rule() == Rule::ident).map(|p| self.ident(p));
                let name = self.required_ident(name, span)?;
                ChannelRule::Medium { medium: self.medium(&name), word: name.span, span }
            }
            _ => {
                self.malformed(span, "a channel rule");
                return None;
            }
        })
    }

    /// The medium `name` names; a syntax error listing the media when it names none.
    fn medium(&mut self, name: &Ident) -> Option<Medium> {
        let medium = Medium::parse(&name.name);
        if medium.is_none() {
            let all = Medium::ALL.map(Medium::as_str);
            let list: Vec<String> = all.iter().map(|m| format!("`{m}`")).collect();
            let mut diagnostic =
                Diagnostic::new(Code::J0101, format!("unknown medium `{}`", name.name), self.file, name.span)
                    .with_label("not a medium")
                    .with_note(format!("a channel's medium is one of {}", list.join(", ")))
                    .with_help(
                        "write what the channel is: the medium decides which laws apply to it (docs/channels.md)",
                    );
            if let Some(best) = crate::names::closest(&name.name, all.iter().copied()) {
                diagnostic = diagnostic.with_suggestion(format!("write `{best}`"), name.span, best);
            }
            self.diagnostics.push(diagnostic);
        }
        medium
    }
}

fn weekday(text: &str) -> Option<Weekday> {
    Some(match text {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}
