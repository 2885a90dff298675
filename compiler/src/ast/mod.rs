//! The abstract syntax tree of one `.journey` file.
//!
//! Typed structs and enums, every node with a byte [`Span`]. The tree is produced by
//! `syntax::lower` from pest's pairs and never contains anything the grammar rejected: items that
//! failed to parse are simply absent (their diagnostics say why). Depth is bounded by
//! `limits::MAX_NESTING` before the tree is built, so recursive walks and `Drop` are safe.

pub mod sexp;
pub mod visit;

use std::sync::Arc;

use crate::span::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Import(Import),
    Profile(Profile),
    Event(EventDecl),
    Segment(Segment),
    Policy(Policy),
    Channel(Channel),
    Message(Message),
    Template(TemplateDecl),
    Journey(Journey),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import(it) => it.span,
            Item::Profile(it) => it.span,
            Item::Event(it) => it.span,
            Item::Segment(it) => it.span,
            Item::Policy(it) => it.span,
            Item::Channel(it) => it.span,
            Item::Message(it) => it.span,
            Item::Template(it) => it.span,
            Item::Journey(it) => it.span,
        }
    }
}

/// `import "std/channels"` or `import "./segments.journey"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub path: StrLit,
    pub span: Span,
}

/// A string literal without interpolation: its decoded value and its span (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Data declarations

/// `profile { first_name: text? ... }`: the fields every contact has.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    /// `text?`: the value may be missing.
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// `text`, `money`, `timezone`, ... (checked against the known types later).
    Named(Ident),
    Set(Box<TypeExpr>),
    List(Box<TypeExpr>),
    /// `enum { free, pro, enterprise }`
    Enum(Vec<Ident>),
}

/// `event cart_abandoned { cart_url: url }`, optionally `inbound CHANNEL`: a message from the
/// contact on that channel, which opens the channel's messaging window.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDecl {
    pub name: Ident,
    pub inbound: Option<Ident>,
    /// `window 7d`: this inbound event opens a window of its own length (click-to-Messenger ads).
    pub window: Option<Duration>,
    /// `replies 1`: the window this event opens allows that many messages (a private reply to a
    /// comment, IG-PR), and the span of the count.
    pub replies: Option<(u64, Span)>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

/// `segment vip = lifetime_value >= 500 USD`
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: Ident,
    pub condition: Expr,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Policies and channels

/// `policy { ... }` or `policy NAME { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: Option<Ident>,
    pub rules: Vec<PolicyRule>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicyRule {
    /// `quiet_hours 21:00..08:00 recipient` or `... "America/New_York"`, or by weekday
    /// `quiet_hours mon..sat 21:00..09:00, sun 21:00..12:00 recipient`.
    QuietHours { periods: Vec<WeekPeriod>, zone: ZoneSpec, span: Span },
    /// `frequency marketing at most 2 per 7d`, or for one channel `frequency sms marketing ...`
    /// (`channel` is the first of two names as written; the checker checks it is a channel).
    Frequency { channel: Option<Ident>, category: Ident, max: u64, per: Duration, span: Span },
    /// `business_hours mon..fri 09:00..18:00 "Europe/Berlin"`, or by weekday
    /// `business_hours mon..fri 09:00..18:00, sat 10:00..14:00 "Europe/Berlin"` (every period
    /// names its days).
    BusinessHours { periods: Vec<WeekPeriod>, zone: ZoneSpec, span: Span },
    /// `jurisdiction "US-FL"`: selects a row of the quiet-hours table.
    Jurisdiction { code: StrLit, span: Span },
}

/// A period of quiet or business hours: `mon..sat 21:00..09:00`, or `21:00..08:00` (no days:
/// every day, quiet hours only).
#[derive(Debug, Clone, PartialEq)]
pub struct WeekPeriod {
    pub days: Vec<DaySpec>,
    pub range: TimeRange,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ZoneSpec {
    /// The recipient's own time zone (from the profile).
    Recipient(Span),
    /// A fixed IANA zone name.
    Fixed(StrLit),
}

/// `HH:MM..HH:MM`; may wrap midnight (`21:00..08:00`).
/// What `wait until` waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitUntil {
    /// `09:00 recipient`: the next time the clock reads this time in the zone (today's if it is
    /// still ahead, else tomorrow's).
    Clock { time: TimeOfDay, zone: ZoneSpec },
    /// `event.appointment_at - 24h`: a moment; when it is already past, the step does not wait.
    Moment(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from: TimeOfDay,
    pub to: TimeOfDay,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    /// Minutes after midnight, 0..=1439.
    pub minutes: u16,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// `mon` or `mon..fri`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpec {
    pub from: Weekday,
    pub to: Weekday,
    pub span: Span,
}

/// `channel messenger { ... }`: a messaging channel declared in the language itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: Ident,
    pub rules: Vec<ChannelRule>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelRule {
    /// `window 24h after inbound`
    Window { length: Duration, span: Span },
    /// `tag HUMAN_AGENT allows service within 7d`
    Tag { name: Ident, allows: Vec<Ident>, within: Option<Duration>, span: Span },
    /// `limit text 2000` or `limit text 1000 bytes`
    Limit { what: Ident, max: u64, unit: Option<Ident>, span: Span },
    /// `supports text, replies, buttons`
    Supports { elements: Vec<Ident>, span: Span },
    /// `template required outside window`
    TemplateRequiredOutsideWindow { span: Span },
    /// `consent marketing outside window`: the category needs consent only outside the window.
    ConsentOutsideWindow { category: Ident, span: Span },
    /// `encoding sms`: how text length is counted (GSM-7/UCS-2 segments for `sms`).
    Encoding { name: Ident, span: Span },
    /// `keywords STOP, HELP`: opt-out and help keywords the channel handles.
    Keywords { words: Vec<Ident>, span: Span },
    /// `medium sms`: what the channel is, which decides the laws that apply to it. `medium` is
    /// `None` when the word is not a medium (lowering has reported it); `word` is its span.
    Medium { medium: Option<Medium>, word: Span, span: Span },
}

impl ChannelRule {
    /// Where the rule is written.
    pub fn span(&self) -> Span {
        match self {
            ChannelRule::Window { span, .. }
            | ChannelRule::Tag { span, .. }
            | ChannelRule::Limit { span, .. }
            | ChannelRule::Supports { span, .. }
            | ChannelRule::TemplateRequiredOutsideWindow { span }
            | ChannelRule::ConsentOutsideWindow { span, .. }
            | ChannelRule::Encoding { span, .. }
            | ChannelRule::Keywords { span, .. }
            | ChannelRule::Medium { span, .. } => *span,
        }
    }
}

/// What a channel is, for the law: `medium sms`. The laws of each medium are in
/// `flow/media.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Medium {
    /// Text messages to a phone number (SMS).
    Sms,
    /// Multimedia messages to a phone number (MMS).
    Mms,
    /// Rich Communication Services messages to a phone number (RCS).
    Rcs,
    /// A messaging app's conversation (Messenger, Instagram Direct, WhatsApp, ...).
    Messaging,
    /// Email.
    Email,
    /// Push notifications to an app.
    Push,
}

impl Medium {
    /// Every medium, in the order the language lists them.
    pub const ALL: [Medium; 6] =
        [Medium::Sms, Medium::Mms, Medium::Rcs, Medium::Messaging, Medium::Email, Medium::Push];

    /// The medium as written: `"sms"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Sms => "sms",
            Medium::Mms => "mms",
            Medium::Rcs => "rcs",
            Medium::Messaging => "messaging",
            Medium::Email => "email",
            Medium::Push => "push",
        }
    }

    /// The medium written `text`, if it is one.
    pub fn parse(text: &str) -> Option<Medium> {
        Medium::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

/// `message welcome on messenger as service { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub name: Ident,
    pub channel: Ident,
    pub category: Ident,
    pub elements: Vec<Element>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// `text "Hi {first_name ?? "there"}!"`
    Text(Template),
    /// `subject "..."` (email)
    Subject(Template),
    /// `reply "Running" -> running`
    Reply {
        title: Template,
        outcome: Ident,
        span: Span,
    },
    /// `button "Shop" -> outcome` or `button "Shop" url "https://..."`
    Button {
        title: Template,
        action: ButtonAction,
        span: Span,
    },
    /// `image "https://..."`, `video "https://..."`, `file "https://..."`
    Media {
        kind: Ident,
        url: Template,
        span: Span,
    },
    /// `card { title "..." subtitle "..." image "..." button ... }`
    Card {
        elements: Vec<Element>,
        span: Span,
    },
    /// `list "Choose" { section "Shirts" { row "Small" "Chest 86-91 cm" -> small } }` (a list
    /// message, WA-LIST)
    List(List),
    /// `template "order_shipped" lang "en_US" { order = event.order_id }`
    Template {
        name: StrLit,
        lang: StrLit,
        params: Vec<TemplateParam>,
        span: Span,
    },
    /// `tag POST_PURCHASE_UPDATE`: send under a channel tag (outside the standard window).
    Tag {
        name: Ident,
        span: Span,
    },
    /// `title "..."` / `subtitle "..."` (inside cards)
    Title(Template),
    Subtitle(Template),
}

/// `list "Choose" { header "..." section "..." { row ... } row ... footer "..." }`: the list of a
/// list message (WA-LIST). Its rows are answers, like replies. What is written inside it is kept
/// as written, in order; `ast::visit` reads it as the platform shows it (the last header and
/// footer, rows outside a section as a section without a title).
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    /// The label of the button that opens the list.
    pub button: Template,
    pub parts: Vec<ListPart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ListPart {
    /// `header "..."`: text above the message's text.
    Header(Template),
    /// `footer "..."`: text below it.
    Footer(Template),
    /// `section "Shirts" { row ... }`; the title may be left out.
    Section(ListSection),
    /// `row ...` written directly in the list, outside any section.
    Row(ListRow),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListSection {
    pub title: Option<Template>,
    pub rows: Vec<ListRow>,
    pub span: Span,
}

/// `row "Small" "Chest 86-91 cm" -> small`: a title, an optional description, and the outcome
/// choosing the row answers with (its id on the platform).
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub title: Template,
    pub description: Option<Template>,
    pub outcome: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ButtonAction {
    Outcome(Ident),
    Url(Template),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateParam {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// A string literal with `{...}` interpolations, split into parts. Never re-parsed later.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Literal(String),
    /// `{first_name ?? "there"}`
    Field {
        path: Path,
        fallback: Option<Expr>,
        span: Span,
    },
}

/// `template order_shipped on whatsapp as utility { lang "en_US"; body "Order {order} shipped" }`:
/// a template approved by the platform, whose `{name}` placeholders are its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDecl {
    pub name: Ident,
    pub channel: Ident,
    pub category: Ident,
    pub lang: Option<StrLit>,
    /// `header`, `body` or `footer`, with its text.
    pub texts: Vec<(Ident, Template)>,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Journeys

#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    pub name: Ident,
    pub members: Vec<JourneyMember>,
    pub span: Span,
}

impl Journey {
    /// The journey's stages, in order.
    pub fn stages(&self) -> impl Iterator<Item = &Stage> {
        self.members.iter().filter_map(|member| match member {
            JourneyMember::Stage(stage) => Some(stage),
            _ => None,
        })
    }

    /// The journey's `entry` lines (an event, a schedule or a joined segment), in order. Only
    /// the first counts; each later one is J0510.
    pub fn entries(&self) -> impl Iterator<Item = &JourneyMember> {
        self.members.iter().filter(|member| member.entry_span().is_some())
    }
}

impl JourneyMember {
    /// The span of an `entry` line (`entry on ...`, `entry every ...`, `entry at ...`, `entry
    /// when joins ...`); `None` for every other member.
    pub fn entry_span(&self) -> Option<Span> {
        match self {
            JourneyMember::Entry { span, .. }
            | JourneyMember::EntrySchedule { span, .. }
            | JourneyMember::EntryJoins { span, .. } => Some(*span),
            // Listed, so that a new kind of member is sorted into entries or not.
            JourneyMember::Audience { .. }
            | JourneyMember::ExitLeaves { .. }
            | JourneyMember::ExitOn { .. }
            | JourneyMember::Goal { .. }
            | JourneyMember::Reentry { .. }
            | JourneyMember::Stage(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum JourneyMember {
    /// `audience runners or vip`
    Audience {
        condition: Expr,
        span: Span,
    },
    /// `entry on chat_started where campaign == "spring"`
    Entry {
        event: Ident,
        condition: Option<Expr>,
        span: Span,
    },
    /// `entry every mon 10:00 recipient`, `entry at 2026-12-24 09:00 "Europe/Paris"`: every
    /// contact of the audience enters at that local time. Opens no messaging window.
    EntrySchedule {
        schedule: Schedule,
        span: Span,
    },
    /// `entry when joins vip`: a contact enters when it starts matching the segment.
    EntryJoins {
        segment: Ident,
        span: Span,
    },
    /// `exit when leaves vip`: a run ends when its contact stops matching the segment.
    ExitLeaves {
        segment: Ident,
        span: Span,
    },
    /// `exit on order_placed, unsubscribed`
    ExitOn {
        events: Vec<Ident>,
        span: Span,
    },
    /// `goal purchase = order_placed within 7d`
    Goal {
        name: Ident,
        event: Ident,
        within: Duration,
        span: Span,
    },
    /// `reentry after 30d` (`None` for `reentry never`)
    Reentry {
        after: Option<Duration>,
        span: Span,
    },
    Stage(Stage),
}

/// When a scheduled entry fires: the days, the local time and the zone it is local to.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub days: ScheduleDays,
    pub time: TimeOfDay,
    pub zone: ZoneSpec,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleDays {
    /// `every day`
    EveryDay,
    /// `every mon, wed..fri`
    Every(Vec<DaySpec>),
    /// `at 2026-12-24`: once. `None` when the written date was invalid (already reported).
    On(Option<Date>),
}

impl Schedule {
    /// The schedule as written, without `entry`: `every mon..fri 10:00 recipient`.
    pub fn describe(&self) -> String {
        let zone = match &self.zone {
            ZoneSpec::Recipient(_) => "recipient".to_owned(),
            ZoneSpec::Fixed(name) => format!("{:?}", name.value),
        };
        let time = format!("{:02}:{:02}", self.time.minutes / 60, self.time.minutes % 60);
        format!("{} {time} {zone}", self.days.describe())
    }
}

impl ScheduleDays {
    /// `every day`, `every mon, wed..fri`, `at 2026-12-24`.
    pub fn describe(&self) -> String {
        match self {
            ScheduleDays::EveryDay => "every day".to_owned(),
            ScheduleDays::Every(days) => {
                let days: Vec<String> = days
                    .iter()
                    .map(|d| {
                        if d.from == d.to {
                            weekday_name(d.from).to_owned()
                        } else {
                            format!("{}..{}", weekday_name(d.from), weekday_name(d.to))
                        }
                    })
                    .collect();
                format!("every {}", days.join(", "))
            }
            ScheduleDays::On(Some(date)) => format!("at {}", date.iso()),
            ScheduleDays::On(None) => "at an invalid date".to_owned(),
        }
    }
}

/// A weekday as written: `mon`.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// A calendar date that exists (`2026-12-24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub span: Span,
}

impl Date {
    /// `2026-12-24`
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: Ident,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Send {
        message: Ident,
    },
    Ask {
        message: Ident,
        /// `retries 2`: how many times an answer that matches no reply asks again before the
        /// `other` arm is taken (`None` when not written).
        retries: Option<Retries>,
        timeout: Option<Duration>,
        arms: Vec<Arm>,
    },
    Wait {
        duration: Duration,
    },
    /// `wait until 09:00 recipient` or `wait until event.appointment_at - 24h`.
    WaitUntil {
        until: WaitUntil,
    },
    WaitFor {
        events: Vec<Ident>,
        within: Option<Duration>,
        arms: Vec<Arm>,
    },
    /// `if c1 { } else if c2 { } else { }`: the branches in order, then the final `else`.
    If {
        branches: Vec<IfBranch>,
        else_steps: Option<Vec<Step>>,
    },
    Split {
        arms: Vec<Arm>,
    },
    Handoff {
        team: StrLit,
        timeout: Option<Duration>,
        arms: Vec<Arm>,
    },
    RequestConsent {
        channel: Ident,
        category: Ident,
        message: Ident,
        timeout: Option<Duration>,
        arms: Vec<Arm>,
    },
    /// `revoke consent sms marketing`
    RevokeConsent {
        channel: Ident,
        category: Ident,
    },
    Set {
        target: Path,
        value: Expr,
    },
    Tag {
        name: StrLit,
    },
    Track {
        name: StrLit,
    },
    Goto {
        stage: Ident,
    },
    Exit,
}

/// `retries 2` on an `ask`: the count (0 when the written number was invalid, already reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    pub count: u32,
    pub span: Span,
}

/// One `if` or `else if` branch: its condition and steps. The flow graph's branch node shares the
/// condition rather than copying it: an expression is several heap objects, and a deep copy per
/// branch was a measurable part of checking a branch-heavy journey.
#[derive(Debug, Clone, PartialEq)]
pub struct IfBranch {
    pub condition: Arc<Expr>,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// `running => goto consideration`, `timeout => { ... }`, `50% => { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub label: ArmLabel,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ArmLabel {
    Outcome(Ident),
    /// A split share in whole percent points; `None` when the written share was invalid
    /// (already reported), so later checks do not count it as 0%.
    Percent {
        value: Option<u32>,
        span: Span,
    },
}

// ---------------------------------------------------------------------------------------------
// Expressions and literals

/// A validated, bounded duration in whole seconds (`45s 30m 1h 2d 1w`, or sums like `1d 12h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub secs: u64,
    pub span: Span,
}

/// `first_name`, `event.cart_url`, `profile.first_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub segments: Segments,
    pub span: Span,
}

/// The names of a path, read as a slice. One name, by far the most common path (`consent(sms,
/// marketing)` holds two), is kept inline rather than in a vector of its own: a heap object less
/// to build, to follow on every read, and to free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segments {
    One(Ident),
    /// Two or more names (never fewer: `From<Vec<Ident>>` keeps one name inline).
    Many(Vec<Ident>),
}

impl Segments {
    pub fn as_slice(&self) -> &[Ident] {
        match self {
            Segments::One(name) => std::slice::from_ref(name),
            Segments::Many(names) => names,
        }
    }
}

impl std::ops::Deref for Segments {
    type Target = [Ident];

    fn deref(&self) -> &[Ident] {
        self.as_slice()
    }
}

impl From<Vec<Ident>> for Segments {
    fn from(names: Vec<Ident>) -> Segments {
        match <[Ident; 1]>::try_from(names) {
            Ok([name]) => Segments::One(name),
            Err(names) => Segments::Many(names),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Path(Path),
    Str(Template),
    Int(i64),
    /// A decimal number kept as written (`3.5`), so no float rounding leaks into bundles.
    Decimal(String),
    /// `500 USD`, `19.99 EUR`: the amount as written and the currency code.
    Money {
        amount: String,
        currency: Ident,
    },
    Bool(bool),
    Duration(Duration),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `consent(sms, marketing)`: a built-in predicate, checked by name later.
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `within business_hours`
    Within(Ident),
    /// `now`: the moment the expression is evaluated (the runtime's clock; virtual time in
    /// `journey simulate`). A profile field named `now` is still `profile.now`.
    Now,
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Fallback,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Fallback => "??",
        }
    }

    /// Binding power: higher binds tighter. All binary operators are left-associative.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::In => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Fallback => 5,
        }
    }
}
