//! What every bundle of a project looks up, made once per `emit`: declarations by name, line
//! indexes, the source hashes and the policies (the same in every bundle of the project).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ast;
use crate::declared::Declared;
use crate::line_index::LineIndex;
use crate::model::{self, Model, Weekday};
use crate::project::Origin;
use crate::span::{FileId, Span};
use crate::syntax::literals::format_time;
use crate::ProjectReport;

pub(super) struct Project<'a> {
    pub report: &'a ProjectReport,
    pub model: &'a Model,
    /// By name; of two declarations of one name (an error the check reported), the later file's.
    pub segments: BTreeMap<&'a str, &'a ast::Expr>,
    pub messages: BTreeMap<&'a str, &'a ast::Message>,
    pub journeys: BTreeMap<&'a str, &'a ast::Journey>,
    indexes: Vec<LineIndex>,
    pub sources: Vec<SourceHash<'a>>,
    pub policies: Policies<'a>,
}

#[derive(Serialize)]
pub(super) struct SourceHash<'a> {
    file: &'a str,
    sha256: String,
}

#[derive(Serialize)]
pub(super) struct Source<'a> {
    file: &'a str,
    line: usize,
    col: usize,
}

#[derive(Serialize)]
pub(super) struct Policies<'a> {
    quiet_hours: Option<Hours<'a>>,
    frequency: Vec<Frequency<'a>>,
    business_hours: Option<Hours<'a>>,
    jurisdiction: Vec<&'a str>,
}

/// Quiet or business hours (docs/bundle.md §4.2, §4.4): one period as `{from, to, zone}` (quiet
/// hours, every day alike) or `{days, from, to, zone}` (business hours); hours that differ by
/// weekday as `{periods, zone}`, never both, so that a reader that knows only the one-period
/// shape refuses the bundle rather than read Sunday's hours as Monday's.
#[derive(Serialize)]
struct Hours<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    periods: Option<Vec<WeekPeriod>>,
    zone: &'a str,
}

#[derive(Serialize)]
struct WeekPeriod {
    days: Vec<String>,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct Frequency<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    category: &'a str,
    max: u64,
    per_s: u64,
}

impl<'a> Project<'a> {
    pub fn new(report: &'a ProjectReport) -> Project<'a> {
        let Declared { segments, messages, journeys } = Declared::new(&report.sources, &report.model);
        Project {
            report,
            model: &report.model,
            segments,
            messages,
            journeys,
            indexes: report.sources.files.iter().map(|f| LineIndex::new(&f.text)).collect(),
            sources: sources(report),
            policies: policies(&report.model),
        }
    }

    /// Where a node was written: file, line and column (characters), counted from 1.
    pub fn source(&self, file: FileId, span: Span) -> Source<'a> {
        let (name, text) = self.report.sources.file(file).map_or(("", ""), |f| (f.name.as_str(), f.text.as_str()));
        let at = self.indexes.get(file.0 as usize).map(|i| i.line_col_chars(text, span.start()));
        Source { file: name, line: at.map_or(0, |a| a.line + 1), col: at.map_or(0, |a| a.col + 1) }
    }

    /// Whether `name` is a field of `entry_event`: in `entry on E where ...` a bare name is a
    /// field of `E` before it is a segment or a profile field (as `check::exprs` resolves it).
    pub fn entry_field(&self, entry_event: Option<&str>, name: &str) -> bool {
        entry_event.and_then(|e| self.model.events.get(e)).is_some_and(|e| e.fields.contains_key(name))
    }
}

/// Every file of the project and the SHA-256 of its text, by file name.
fn sources(report: &ProjectReport) -> Vec<SourceHash<'_>> {
    let mut sources: Vec<SourceHash<'_>> = report
        .sources
        .files
        .iter()
        .map(|f| SourceHash {
            file: match &f.origin {
                Origin::Project(path) => path.as_str(),
                Origin::Std(_) => f.name.as_str(),
            },
            sha256: hex(&Sha256::digest(f.text.as_bytes())),
        })
        .collect();
    sources.sort_by(|a, b| a.file.cmp(b.file));
    sources
}

/// The model's policies as the bundle writes them (docs/bundle.md §4).
fn policies(model: &Model) -> Policies<'_> {
    let rules = &model.policies;
    Policies {
        // Quiet hours keep the one-period shape for every day alike: a period naming days is
        // written by weekday even alone (the quiet-hours `{from, to}` shape has no days).
        quiet_hours: rules.quiet_hours.as_ref().map(|quiet| match quiet.periods.as_slice() {
            [daily] if daily.days.is_empty() => one_period(daily, &quiet.zone, false),
            periods => by_weekday(periods, &quiet.zone),
        }),
        frequency: rules
            .frequency
            .iter()
            .map(|rule| Frequency {
                channel: rule.channel.as_deref(),
                category: &rule.category,
                max: rule.max,
                per_s: rule.per_secs,
            })
            .collect(),
        business_hours: rules.business_hours.as_ref().map(|business| match business.periods.as_slice() {
            [one] => one_period(one, &business.zone, true),
            periods => by_weekday(periods, &business.zone),
        }),
        jurisdiction: rules.jurisdictions.iter().map(|j| j.code.as_str()).collect(),
    }
}

/// One period in `zone`, in the one-period shape (with its days when `with_days`).
fn one_period<'a>(period: &model::WeekPeriod, zone: &'a Option<String>, with_days: bool) -> Hours<'a> {
    Hours {
        days: with_days.then(|| day_ranges(&period.days)),
        from: Some(format_time(period.from)),
        to: Some(format_time(period.to)),
        periods: None,
        zone: zone_name(zone),
    }
}

/// Hours that differ by weekday, in `zone`: `{periods, zone}`.
fn by_weekday<'a>(periods: &[model::WeekPeriod], zone: &'a Option<String>) -> Hours<'a> {
    Hours { days: None, from: None, to: None, periods: Some(week_periods(periods)), zone: zone_name(zone) }
}

/// Periods as the bundle writes them, each with its days.
fn week_periods(periods: &[model::WeekPeriod]) -> Vec<WeekPeriod> {
    periods
        .iter()
        .map(|p| WeekPeriod { days: day_ranges(&p.days), from: format_time(p.from), to: format_time(p.to) })
        .collect()
}

/// `["mon..fri", "sun..sun"]`; no days is every day, written out so that each period reads alike.
fn day_ranges(days: &[(Weekday, Weekday)]) -> Vec<String> {
    if days.is_empty() {
        return vec!["mon..sun".to_owned()];
    }
    days.iter().map(|(from, to)| format!("{from:?}..{to:?}").to_lowercase()).collect()
}

/// A policy's zone as the bundle writes it: its name, or `recipient`.
fn zone_name(zone: &Option<String>) -> &str {
    zone.as_deref().unwrap_or("recipient")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
