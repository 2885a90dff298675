//! The resolved model of a project: every declaration by name, with its type information and
//! where it is defined. Built by `check::collect` from all files of a project (one namespace),
//! read by every later pass (types, content, the flow graph and its analyses, the bundle).
//!
//! Maps are `BTreeMap`s so that every walk over the model is in name order: output never
//! depends on hash order or file order.

use std::collections::BTreeMap;

pub use crate::ast::{Medium, Weekday};
use crate::span::{FileId, Span};
use crate::syntax::literals::format_time;

/// Where something is defined: the file and the span of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Def {
    pub file: FileId,
    pub span: Span,
}

/// Message categories, with what each means for consent and windows (docs/rules.md WA-CAT,
/// MSGR-UTIL, MSGR-MKT). Built in: every channel and law speaks in these terms.
pub const CATEGORIES: &[&str] = &["authentication", "marketing", "service", "utility"];

/// Outcomes that steps produce besides a message's own replies.
pub const TIMEOUT_OUTCOME: &str = "timeout";
/// An `ask`'s outcome for an answer that matches none of the message's replies, taken when the
/// `ask` has an arm for it or a `retries` count (docs/bundle.md §3).
pub const OTHER_OUTCOME: &str = "other";
pub const HANDOFF_OUTCOMES: &[&str] = &["resolved", "timeout"];
pub const CONSENT_OUTCOMES: &[&str] = &["declined", "granted", "timeout"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Text,
    Int,
    Number,
    Bool,
    /// With its currency when known (literals), `None` for money fields.
    Money(Option<String>),
    Date,
    DateTime,
    Duration,
    Email,
    Phone,
    Url,
    Timezone,
    Set(Box<Type>),
    List(Box<Type>),
    Enum(Vec<String>),
    /// An error was already reported; accept anything here to avoid cascades.
    Unknown,
}

impl Type {
    /// The scalar types users can write in a field declaration.
    pub const NAMED: &'static [(&'static str, Type)] = &[
        ("bool", Type::Bool),
        ("date", Type::Date),
        ("datetime", Type::DateTime),
        ("duration", Type::Duration),
        ("email", Type::Email),
        ("int", Type::Int),
        ("money", Type::Money(None)),
        ("number", Type::Number),
        ("phone", Type::Phone),
        ("text", Type::Text),
        ("timezone", Type::Timezone),
        ("url", Type::Url),
    ];

    pub fn named(name: &str) -> Option<Type> {
        Type::NAMED.iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone())
    }

    /// How the type reads in messages: `text`, `set<text>`, `money (USD)`.
    pub fn describe(&self) -> String {
        match self {
            Type::Text => "text".into(),
            Type::Int => "int".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Money(Some(currency)) => format!("money ({currency})"),
            Type::Money(None) => "money".into(),
            Type::Date => "date".into(),
            Type::DateTime => "datetime".into(),
            Type::Duration => "duration".into(),
            Type::Email => "email".into(),
            Type::Phone => "phone".into(),
            Type::Url => "url".into(),
            Type::Timezone => "timezone".into(),
            Type::Set(inner) => format!("set<{}>", inner.describe()),
            Type::List(inner) => format!("list<{}>", inner.describe()),
            Type::Enum(variants) => format!("enum {{ {} }}", variants.join(", ")),
            Type::Unknown => "unknown".into(),
        }
    }

    /// Text-like types compare with text and print as text.
    pub fn is_textual(&self) -> bool {
        matches!(self, Type::Text | Type::Email | Type::Phone | Type::Url | Type::Timezone)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Number)
    }

    /// Whether a value of this type can be interpolated into message text.
    pub fn is_printable(&self) -> bool {
        !matches!(self, Type::Set(_) | Type::List(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub def: Def,
    pub ty: Type,
    pub optional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitUnit {
    /// Unicode characters (the default).
    Chars,
    /// UTF-8 bytes (Instagram text, IG-TXT).
    Bytes,
    /// A count of elements or segments.
    Count,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub def: Def,
    pub max: u64,
    pub unit: LimitUnit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub def: Def,
    pub allows: Vec<String>,
    /// The tag's own window after the contact's last message (HUMAN_AGENT: 7 days).
    pub within_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub def: Def,
    /// The messaging window after an inbound message, in seconds; `None`: no window.
    pub window_secs: Option<u64>,
    /// Where the window is declared (the channel's name when it has none).
    pub window_def: Def,
    pub tags: BTreeMap<String, Tag>,
    pub limits: BTreeMap<String, Limit>,
    /// The elements the channel supports; `None` when the declaration does not say.
    pub supports: Option<Vec<String>>,
    pub template_required_outside_window: bool,
    /// Categories that need consent only outside the window (`consent marketing outside window`).
    pub consent_outside_window: Vec<String>,
    pub keywords: Vec<String>,
    pub encoding: Option<String>,
    /// What the channel is (`medium sms`), which decides the laws that apply to it
    /// (`flow/media.rs`). For a channel that declares none (J0315), the medium its encoding or
    /// name implies, if any.
    pub medium: Option<Medium>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub def: Def,
    pub fields: BTreeMap<String, Field>,
    /// The channel this event is an inbound message on: it opens that channel's window.
    pub inbound: Option<String>,
    /// A window of its own length (click-to-Messenger ads: 7 days).
    pub window_secs: Option<u64>,
    /// Where that window is written, and whether the event is the standard library's (only
    /// those may open a window longer than their channel's, J0316).
    pub window_def: Option<Def>,
    pub in_std: bool,
    /// `replies 1`: the window this event opens allows one message (a private reply to a
    /// comment, IG-PR, MSGR-PR); `None`: as many as the window's time allows.
    pub replies: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub def: Def,
    pub channel: String,
    pub category: String,
    /// The channel tag the message is sent under, if any.
    pub tag: Option<String>,
    /// Outcomes its replies, buttons and list rows produce, in declaration order.
    pub outcomes: Vec<String>,
    /// Sent as a pre-approved template rather than free-form text.
    pub is_template: bool,
}

/// A declared template: the parameters a message using it must fill, and what it may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub def: Def,
    pub channel: String,
    pub category: String,
    pub lang: Option<String>,
    /// Placeholder names in its texts, in order of first use.
    pub params: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    pub def: Def,
    pub stages: BTreeMap<String, Def>,
}

/// The project's policies: every rule of every `policy` block, collected once, in file order
/// (policies are project-wide, whichever file declares them). The flow analyses and the bundle
/// read them from here, never from the tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policies {
    /// The first `quiet_hours` rule; a second is a duplicate (J0209), left unused.
    pub quiet_hours: Option<QuietHoursRule>,
    /// Every `frequency` rule.
    pub frequency: Vec<FrequencyRule>,
    /// The first `business_hours` rule (needed by `if within business_hours`, J0219).
    pub business_hours: Option<BusinessHoursRule>,
    /// Every `jurisdiction`.
    pub jurisdictions: Vec<JurisdictionRule>,
}

/// `quiet_hours 21:00..08:00 recipient`, or by weekday
/// `quiet_hours mon..sat 21:00..09:00, sun 21:00..12:00 recipient`: no marketing sends in the
/// periods, read on the local clock in the recipient's zone or a fixed one.
///
/// Each period is read on the clock of the day it names (the day of the moment being tested):
/// `sun 21:00..12:00` makes Sunday quiet before 12:00 and from 21:00, as Texas law reads. A period
/// without days covers every day. A minute is quiet when any period covering its day contains it
/// (periods add up; a day no period covers has no quiet hours).
#[derive(Debug, Clone, PartialEq)]
pub struct QuietHoursRule {
    /// The whole rule.
    pub def: Def,
    /// The periods as written, in order.
    pub periods: Vec<WeekPeriod>,
    /// The fixed zone's name; `None` for the recipient's own zone.
    pub zone: Option<String>,
    /// The longest run of quiet minutes, days running into each other around the week; the whole
    /// week (10,080) when no minute of it is free. Computed once by [`QuietHoursRule::new`].
    longest_minutes: u32,
}

/// One period of a `quiet_hours` or `business_hours` rule: `mon..sat 21:00..09:00`, or
/// `21:00..08:00` for every day.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekPeriod {
    /// Inclusive weekday ranges (`fri..mon` wraps); empty: every day.
    pub days: Vec<(Weekday, Weekday)>,
    /// Minutes after local midnight: from `from` (inclusive) to `to` (exclusive), wrapping past
    /// midnight when `to` is not after `from`; `from == to` is the whole day.
    pub from: u16,
    pub to: u16,
}

/// Minutes in a day and in a week.
pub const DAY_MINUTES: u16 = 1440;
pub const WEEK_MINUTES: u32 = 7 * 1440;

/// Weekday names for messages, Monday first (the index of [`Weekday`]).
pub const WEEKDAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Whether an inclusive weekday range covers `day` (Monday = 0); `fri..mon` wraps.
pub fn day_range_covers((from, to): (Weekday, Weekday), day: usize) -> bool {
    let (from, to) = (from as usize, to as usize);
    if from <= to {
        from <= day && day <= to
    } else {
        day >= from || day <= to
    }
}

impl WeekPeriod {
    /// Every day.
    pub fn daily(from: u16, to: u16) -> WeekPeriod {
        WeekPeriod { days: Vec::new(), from, to }
    }

    /// Whether the period applies on `day` (Monday = 0).
    pub fn covers(&self, day: usize) -> bool {
        self.days.is_empty() || self.days.iter().any(|range| day_range_covers(*range, day))
    }

    /// Whether `minute` (after local midnight) is in the period's hours, whatever the day.
    pub fn contains_minute(&self, minute: u16) -> bool {
        if self.from == self.to {
            true
        } else if self.from < self.to {
            minute >= self.from && minute < self.to
        } else {
            minute >= self.from || minute < self.to
        }
    }

    /// `mon..sat 21:00..09:00`, or `21:00..08:00`.
    pub fn describe(&self) -> String {
        let hours = format!("{}..{}", format_time(self.from), format_time(self.to));
        if self.days.is_empty() {
            return hours;
        }
        let days: Vec<String> = self.days.iter().map(|(from, to)| describe_days(*from, *to)).collect();
        format!("{} {hours}", days.join(", "))
    }
}

/// `mon`, or `mon..fri`.
pub fn describe_days(from: Weekday, to: Weekday) -> String {
    if from == to {
        crate::ast::weekday_name(from).to_owned()
    } else {
        format!("{}..{}", crate::ast::weekday_name(from), crate::ast::weekday_name(to))
    }
}

impl QuietHoursRule {
    pub fn new(def: Def, periods: Vec<WeekPeriod>, zone: Option<String>) -> QuietHoursRule {
        let mut rule = QuietHoursRule { def, periods, zone, longest_minutes: 0 };
        rule.longest_minutes = rule.longest_run();
        rule
    }

    /// One period for every day: `quiet_hours 21:00..08:00`.
    pub fn daily(def: Def, from: u16, to: u16, zone: Option<String>) -> QuietHoursRule {
        QuietHoursRule::new(def, vec![WeekPeriod::daily(from, to)], zone)
    }

    /// Whether the hours are in each recipient's own zone rather than a fixed one.
    pub fn recipient(&self) -> bool {
        self.zone.is_none()
    }

    /// Whether every day has the same quiet hours (no period names days).
    pub fn every_day_alike(&self) -> bool {
        self.periods.iter().all(|p| p.days.is_empty())
    }

    /// Whether `minute` (after local midnight) is quiet on `day` (Monday = 0).
    pub fn contains_on(&self, day: usize, minute: u16) -> bool {
        self.periods.iter().any(|p| p.covers(day) && p.contains_minute(minute))
    }

    /// Whether `minute` is quiet on some day of the week: a clock reading whose day is unknown is
    /// outside quiet hours only when this is false.
    pub fn contains_on_some_day(&self, minute: u16) -> bool {
        self.periods.iter().any(|p| p.contains_minute(minute))
    }

    /// Whether a minute of the week (0 = Monday 00:00, taken modulo a week) is quiet.
    pub fn contains_in_week(&self, minute_of_week: i64) -> bool {
        let minute = minute_of_week.rem_euclid(i64::from(WEEK_MINUTES));
        let day = usize::try_from(minute / i64::from(DAY_MINUTES)).unwrap_or(0);
        let of_day = u16::try_from(minute % i64::from(DAY_MINUTES)).unwrap_or(0);
        self.contains_on(day, of_day)
    }

    /// The longest a quiet stretch lasts on the clock: `21:00..08:00` is 11h; Texas's
    /// `mon..sat 21:00..09:00, sun 21:00..12:00` is 15h (Saturday 21:00 to Sunday 12:00).
    pub fn length_secs(&self) -> u64 {
        u64::from(self.longest_minutes) * 60
    }

    /// Whether quiet hours never end: every minute of the week is quiet.
    pub fn never_ends(&self) -> bool {
        self.longest_minutes >= WEEK_MINUTES
    }

    /// The longest run of quiet minutes around the week (cyclic); the week when all are quiet.
    fn longest_run(&self) -> u32 {
        let quiet: Vec<bool> = (0..i64::from(WEEK_MINUTES)).map(|m| self.contains_in_week(m)).collect();
        let Some(free) = quiet.iter().position(|q| !q) else { return WEEK_MINUTES };
        // Start counting just after a free minute, so that a run across the week's end is whole.
        let (mut longest, mut run) = (0u32, 0u32);
        for step in 1..=quiet.len() {
            if quiet.get((free + step) % quiet.len()) == Some(&true) {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
        longest
    }

    /// `21:00..08:00`, or `mon..sat 21:00..09:00, sun 21:00..12:00`.
    pub fn describe(&self) -> String {
        let periods: Vec<String> = self.periods.iter().map(WeekPeriod::describe).collect();
        periods.join(", ")
    }
}

/// `frequency marketing at most 2 per 7d`.
#[derive(Debug, Clone, PartialEq)]
pub struct FrequencyRule {
    /// The whole rule.
    pub def: Def,
    /// `frequency sms marketing ...`: the cap counts only that channel's sends (`None`: every
    /// channel's).
    pub channel: Option<String>,
    pub category: String,
    pub max: u64,
    pub per_secs: u64,
    /// The period as the author wrote it (`7d`, not `1w`), for messages.
    pub per_written: String,
}

impl FrequencyRule {
    /// Whether a send of `message` counts against the cap: its category, and its channel when
    /// the cap names one.
    pub fn counts(&self, message: &Message) -> bool {
        message.category == self.category && self.channel.as_ref().is_none_or(|c| *c == message.channel)
    }

    /// What the cap counts, for messages: `marketing`, or `sms marketing` for a channel's cap.
    pub fn counted(&self) -> String {
        match &self.channel {
            Some(channel) => format!("{channel} {}", self.category),
            None => self.category.clone(),
        }
    }
}

/// `business_hours mon..fri 09:00..18:00 "Europe/Berlin"`, or by weekday
/// `business_hours mon..fri 09:00..18:00, sat 10:00..14:00 "Europe/Berlin"`: open when a period
/// naming the moment's weekday contains its local time (read as quiet hours are, on the day's own
/// clock; equal times are the whole day, as the runtime reads them).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHoursRule {
    /// The whole rule.
    pub def: Def,
    /// The periods as written; each names its days.
    pub periods: Vec<WeekPeriod>,
    /// The fixed zone's name; `None` for the recipient's own zone.
    pub zone: Option<String>,
}

impl BusinessHoursRule {
    /// Whether business hours are open at `minute` (after local midnight) on `day` (Monday = 0).
    pub fn contains_on(&self, day: usize, minute: u16) -> bool {
        self.periods.iter().any(|p| p.covers(day) && p.contains_minute(minute))
    }

    /// `mon..fri 09:00..18:00, sat 10:00..14:00`.
    pub fn describe(&self) -> String {
        let periods: Vec<String> = self.periods.iter().map(WeekPeriod::describe).collect();
        periods.join(", ")
    }
}

/// `jurisdiction "US-FL"`: selects a row of the quiet-hours table (`flow::rules::JURISDICTIONS`).
#[derive(Debug, Clone, PartialEq)]
pub struct JurisdictionRule {
    /// The code as written (matched without regard to case).
    pub code: String,
    /// The code's string literal; `None` for a default of `journey.toml` (`[project]
    /// jurisdictions`), which applies when no policy selects a jurisdiction.
    pub def: Option<Def>,
}

/// What a name names: the namespace it is declared and looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SymbolKind {
    Channel,
    Event,
    /// A field of an event (`event.total`); its scope is the event.
    EventField,
    Journey,
    Message,
    ProfileField,
    Segment,
    /// A stage; its scope is the journey.
    Stage,
    Template,
}

impl SymbolKind {
    /// How the kind reads in messages: `message`, `event field`.
    pub fn describe(self) -> &'static str {
        match self {
            SymbolKind::Channel => "channel",
            SymbolKind::Event => "event",
            SymbolKind::EventField => "event field",
            SymbolKind::Journey => "journey",
            SymbolKind::Message => "message",
            SymbolKind::ProfileField => "profile field",
            SymbolKind::Segment => "segment",
            SymbolKind::Stage => "stage",
            SymbolKind::Template => "template",
        }
    }
}

/// One use of a declared name, resolved by the checker: where it is written and the declaration
/// it means (the first one when a name is declared twice, J0209). The language server's
/// references and rename read these, so they follow the checker's rules exactly, in every file of
/// the project, open in an editor or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// The name as written at the use.
    pub at: Def,
    /// The declaration's name.
    pub target: Def,
    pub kind: SymbolKind,
}

/// One declaration of the model, as [`Model::declarations`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration<'m> {
    pub kind: SymbolKind,
    pub name: &'m str,
    pub def: Def,
    /// What the name is local to: the journey of a stage, the event of an event field.
    pub scope: Option<Def>,
}

/// Everything a project declares, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub profile: BTreeMap<String, Field>,
    pub events: BTreeMap<String, Event>,
    pub segments: BTreeMap<String, Def>,
    pub channels: BTreeMap<String, Channel>,
    pub messages: BTreeMap<String, Message>,
    pub templates: BTreeMap<String, Template>,
    pub journeys: BTreeMap<String, Journey>,
    /// Every policy rule of the project.
    pub policies: Policies,
    /// Every resolved use of a declared name, sorted by where it is written.
    pub references: Vec<Reference>,
}

impl Model {
    /// The model with every file id it holds passed through `map` (the language server gives
    /// the files of a project ids of its own). Written by destructuring, so a field added to the
    /// model or to one of its parts fails to compile here until it is mapped.
    pub fn map_files(self, map: &impl Fn(FileId) -> FileId) -> Model {
        let def = |Def { file, span }: Def| Def { file: map(file), span };
        let field = |Field { def: d, ty, optional }: Field| Field { def: def(d), ty, optional };
        let fields = |fields: BTreeMap<String, Field>| -> BTreeMap<String, Field> {
            fields.into_iter().map(|(name, f)| (name, field(f))).collect()
        };
        let Model { profile, events, segments, channels, messages, templates, journeys, policies, references } = self;
        Model {
            profile: fields(profile),
            events: events
                .into_iter()
                .map(|(name, Event { def: d, fields: f, inbound, window_secs, window_def, in_std, replies })| {
                    let event = Event {
                        def: def(d),
                        fields: fields(f),
                        inbound,
                        window_secs,
                        window_def: window_def.map(def),
                        in_std,
                        replies,
                    };
                    (name, event)
                })
                .collect(),
            segments: segments.into_iter().map(|(name, d)| (name, def(d))).collect(),
            channels: channels
                .into_iter()
                .map(|(name, channel)| {
                    let Channel {
                        def: d,
                        window_secs,
                        window_def,
                        tags,
                        limits,
                        supports,
                        template_required_outside_window,
                        consent_outside_window,
                        keywords,
                        encoding,
                        medium,
                    } = channel;
                    let tags = tags
                        .into_iter()
                        .map(|(tag, Tag { def: d, allows, within_secs })| {
                            (tag, Tag { def: def(d), allows, within_secs })
                        })
                        .collect();
                    let limits = limits
                        .into_iter()
                        .map(|(limit, Limit { def: d, max, unit })| (limit, Limit { def: def(d), max, unit }))
                        .collect();
                    let channel = Channel {
                        def: def(d),
                        window_secs,
                        window_def: def(window_def),
                        tags,
                        limits,
                        supports,
                        template_required_outside_window,
                        consent_outside_window,
                        keywords,
                        encoding,
                        medium,
                    };
                    (name, channel)
                })
                .collect(),
            messages: messages
                .into_iter()
                .map(|(name, Message { def: d, channel, category, tag, outcomes, is_template })| {
                    (name, Message { def: def(d), channel, category, tag, outcomes, is_template })
                })
                .collect(),
            templates: templates
                .into_iter()
                .map(|(name, Template { def: d, channel, category, lang, params })| {
                    (name, Template { def: def(d), channel, category, lang, params })
                })
                .collect(),
            journeys: journeys
                .into_iter()
                .map(|(name, Journey { def: d, stages })| {
                    let stages = stages.into_iter().map(|(stage, s)| (stage, def(s))).collect();
                    (name, Journey { def: def(d), stages })
                })
                .collect(),
            policies: {
                let Policies { quiet_hours, frequency, business_hours, jurisdictions } = policies;
                Policies {
                    quiet_hours: quiet_hours.map(|rule| QuietHoursRule { def: def(rule.def), ..rule }),
                    frequency: frequency
                        .into_iter()
                        .map(|FrequencyRule { def: d, channel, category, max, per_secs, per_written }| FrequencyRule {
                            def: def(d),
                            channel,
                            category,
                            max,
                            per_secs,
                            per_written,
                        })
                        .collect(),
                    business_hours: business_hours.map(|rule| BusinessHoursRule { def: def(rule.def), ..rule }),
                    jurisdictions: jurisdictions
                        .into_iter()
                        .map(|JurisdictionRule { code, def: d }| JurisdictionRule { code, def: d.map(&def) })
                        .collect(),
                }
            },
            references: {
                let mut references: Vec<Reference> = references
                    .into_iter()
                    .map(|Reference { at, target, kind }| Reference { at: def(at), target: def(target), kind })
                    .collect();
                // Still sorted by where each use is written, whatever order the new ids have.
                references.sort_unstable();
                references
            },
        }
    }

    /// Every declaration that wins its name (the first of duplicates), with its kind and scope,
    /// in kind then name order.
    pub fn declarations(&self) -> Vec<Declaration<'_>> {
        fn top<'m>(kind: SymbolKind, name: &'m str, def: Def) -> Declaration<'m> {
            Declaration { kind, name, def, scope: None }
        }
        let mut all = Vec::new();
        all.extend(self.channels.iter().map(|(name, c)| top(SymbolKind::Channel, name, c.def)));
        for (name, event) in &self.events {
            all.push(top(SymbolKind::Event, name, event.def));
            all.extend(event.fields.iter().map(|(field, f)| Declaration {
                kind: SymbolKind::EventField,
                name: field,
                def: f.def,
                scope: Some(event.def),
            }));
        }
        for (name, journey) in &self.journeys {
            all.push(top(SymbolKind::Journey, name, journey.def));
            all.extend(journey.stages.iter().map(|(stage, def)| Declaration {
                kind: SymbolKind::Stage,
                name: stage,
                def: *def,
                scope: Some(journey.def),
            }));
        }
        all.extend(self.messages.iter().map(|(name, m)| top(SymbolKind::Message, name, m.def)));
        all.extend(self.profile.iter().map(|(name, f)| top(SymbolKind::ProfileField, name, f.def)));
        all.extend(self.segments.iter().map(|(name, def)| top(SymbolKind::Segment, name, *def)));
        all.extend(self.templates.iter().map(|(name, t)| top(SymbolKind::Template, name, t.def)));
        all.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.scope.cmp(&b.scope)).then_with(|| a.name.cmp(b.name)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::{day_range_covers, Def, QuietHoursRule, WeekPeriod, Weekday};
    use crate::span::{FileId, Span};

    /// Found by mutation testing (docs/testing.md): `to == from` in place of `to > from` left
    /// every test passing, because no test had quiet hours inside one day.
    #[test]
    fn quiet_hours_last_from_start_to_end_whether_or_not_they_cross_midnight() {
        let quiet = |from: u16, to: u16| QuietHoursRule::daily(def(), from, to, None);
        assert_eq!(quiet(21 * 60, 8 * 60).length_secs(), 11 * 3600);
        assert_eq!(quiet(0, 6 * 60).length_secs(), 6 * 3600);
        assert_eq!(quiet(12 * 60, 13 * 60 + 30).length_secs(), 5400);
        assert!(quiet(5, 5).never_ends());
    }

    fn def() -> Def {
        Def { file: FileId(0), span: Span::new(0, 0) }
    }

    fn texas() -> QuietHoursRule {
        QuietHoursRule::new(
            def(),
            vec![
                WeekPeriod { days: vec![(Weekday::Mon, Weekday::Sat)], from: 21 * 60, to: 9 * 60 },
                WeekPeriod { days: vec![(Weekday::Sun, Weekday::Sun)], from: 21 * 60, to: 12 * 60 },
            ],
            None,
        )
    }

    #[test]
    fn a_weekday_period_is_read_on_the_clock_of_the_day_it_names() {
        let texas = texas();
        let (sat, sun, mon) = (5, 6, 0);
        assert!(texas.contains_on(sun, 10 * 60), "Sunday 10:00 is before Sunday's 12:00");
        assert!(!texas.contains_on(sat, 10 * 60));
        assert!(!texas.contains_on(mon, 9 * 60));
        assert!(texas.contains_on(mon, 8 * 60 + 59));
        assert!(texas.contains_on(sat, 21 * 60));
        assert!(texas.contains_on_some_day(11 * 60), "quiet on Sundays");
        assert!(!texas.contains_on_some_day(12 * 60));
        assert_eq!(texas.describe(), "mon..sat 21:00..09:00, sun 21:00..12:00");
    }

    #[test]
    fn business_hours_by_weekday_are_open_on_each_period_s_own_days() {
        let hours = super::BusinessHoursRule {
            def: def(),
            periods: vec![
                WeekPeriod { days: vec![(Weekday::Mon, Weekday::Fri)], from: 9 * 60, to: 18 * 60 },
                WeekPeriod { days: vec![(Weekday::Sat, Weekday::Sat)], from: 10 * 60, to: 14 * 60 },
            ],
            zone: None,
        };
        let (fri, sat, sun) = (4, 5, 6);
        assert!(hours.contains_on(fri, 17 * 60));
        assert!(hours.contains_on(sat, 11 * 60));
        assert!(!hours.contains_on(sat, 15 * 60));
        assert!(!hours.contains_on(sun, 11 * 60));
        assert_eq!(hours.describe(), "mon..fri 09:00..18:00, sat 10:00..14:00");
    }

    #[test]
    fn the_longest_quiet_stretch_runs_across_days_and_around_the_week() {
        // Saturday 21:00 to Sunday 12:00.
        assert_eq!(texas().length_secs(), 15 * 3600);
        // France: 22:00 to 08:00, and all of Sunday: Saturday 22:00 to Monday 08:00.
        let france = QuietHoursRule::new(
            def(),
            vec![
                WeekPeriod::daily(22 * 60, 8 * 60),
                WeekPeriod { days: vec![(Weekday::Sun, Weekday::Sun)], from: 0, to: 0 },
            ],
            None,
        );
        assert_eq!(france.length_secs(), 34 * 3600);
        assert!(!france.never_ends());
        // Sunday 22:00 into Monday 08:00 crosses the week's end.
        let weekend = QuietHoursRule::new(
            def(),
            vec![WeekPeriod { days: vec![(Weekday::Sun, Weekday::Mon)], from: 22 * 60, to: 8 * 60 }],
            None,
        );
        assert_eq!(weekend.length_secs(), 10 * 3600);
        assert!(day_range_covers((Weekday::Fri, Weekday::Mon), 0));
        assert!(!day_range_covers((Weekday::Fri, Weekday::Mon), 2));
    }
}
