//! No compliance record claims more than was proved: every accepted project of the
//! repository (the examples without `examples/broken`, the `every_node` bundle fixture, and each
//! `tests/fixtures/diagnostics/*.fixed.journey` as a project of its own) is built in memory, and
//! each record of each bundle's `compliance` section is re-derived from the bundle's JSON alone.
//!
//! The re-derivation reads only the `serde_json::Value` of the bundle: `start`, `nodes` and their
//! `next` edges, `entry`, `audience`, `segments`, `messages`, `events`, `channels` and `policies`.
//! It never looks at the compiler's flow graph, lattices or evidence. It explores every path by
//! brute force over states (node, state), the state being exact for one path: the consents
//! established and not revoked since, per windowed channel the time since the contact last
//! wrote there (the greatest time each step can take) and the window that message opened, and
//! per frequency rule the least time since each recent send of its category. At each node only
//! the worst states are kept (a state no better in every part than one already explored adds
//! nothing, since every step and check is monotone), so loops are explored completely, not
//! unrolled; times are capped just above the largest number any record claims, where every
//! claim already fails.
//!
//! The semantics are docs/bundle.md's, as listed in docs/analyses.md ("How the analyses are
//! tested"): consent from `audience`, `entry.where`, branch edges and granted requests, revoked
//! by `sms_opt_out` and `email_unsubscribe` arms, declined requests, and any answer on a channel
//! with opt-out keywords; windows opened by inbound events and by answers to `ask` and
//! `consent_request`; quiet-hour holds of the length the record states, counted for the send
//! itself and everything after it; a send "never held" only when a branch found now in business
//! hours and no time has passed since.
//!
//! Besides the repository's projects, a test corrupts records and graphs one way each (the check
//! must report every corruption), and another re-derives the records of journeys written here at
//! the edges of the rules (`PROBES`).

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_compiler::{bundle, check_project, Severity};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The accepted projects, built in memory.

/// A project directory of the repository, read from disk.
struct Disk(PathBuf);

impl SourceLoader for Disk {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        std::fs::read(self.0.join(path.as_str())).map_err(|_| LoadError::NotFound)
    }
}

struct Project {
    /// How reports name it: its directory, or the fixture's file.
    name: String,
    root: PathBuf,
    entries: Vec<String>,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.journey` files directly in `dir`, sorted.
fn journey_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".journey"))
        .collect();
    names.sort();
    names
}

/// Every accepted project: `examples/` (whose `journey.toml` makes its files one project; the
/// broken examples live in a subdirectory, which is another project), the `every_node` bundle
/// fixture, and each fixed diagnostics fixture alone.
fn accepted_projects() -> Vec<Project> {
    let mut projects = Vec::new();
    for dir in ["examples", "tests/fixtures/bundle/every_node"] {
        let root = repo().join(dir);
        assert!(root.join("journey.toml").exists(), "{dir} is no longer a project");
        projects.push(Project { name: dir.to_owned(), entries: journey_files(&root), root });
    }
    let fixtures = repo().join("tests/fixtures/diagnostics");
    for name in journey_files(&fixtures).into_iter().filter(|n| n.ends_with(".fixed.journey")) {
        projects.push(Project {
            name: format!("tests/fixtures/diagnostics/{name}"),
            root: fixtures.clone(),
            entries: vec![name],
        });
    }
    projects
}

/// The bundles of a project that checks without errors, as JSON values, by journey.
fn build(project: &Project) -> Vec<(String, Value)> {
    let entries: Vec<ProjectPath> = project.entries.iter().map(|n| ProjectPath::new(n).unwrap()).collect();
    let report = check_project(&entries, &Disk(project.root.clone()));
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{} is not accepted: {errors:?}", project.name);
    assert!(report.flow.inconclusive.is_empty(), "{} is inconclusive", project.name);
    bundle::emit(&report, bundle::Options::default())
        .into_iter()
        .map(|(journey, text)| (journey, serde_json::from_str(&text).unwrap()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading the bundle.

/// The quiet-hour hold beyond the quiet period: the longest backward clock change in the time
/// zone database (Antarctica/Troll's 2 hours), during which local time repeats.
const CLOCK_BACK_S: u64 = 2 * 3600;

/// `1d12h`, `45s`, `0s`, `24h`, `7d`, `1w`: the durations records write, in seconds.
fn parse_duration(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(number.parse::<u64>().ok()?.checked_mul(unit)?)?;
        number.clear();
    }
    (number.is_empty() && !text.is_empty()).then_some(total)
}

/// What a record's `consent` says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ConsentClaim {
    /// `consent(CH, CAT)`.
    Holds(String, String),
    /// `not required for CAT messages`.
    NotRequired(String),
    /// `not required inside the CH window: sent at most D after ..., within W`.
    InsideWindow { channel: String, at_most: u64, within: u64 },
    /// `not required inside the CH window: sent at most D1 after a message that opened W1, at
    /// most D2 after one that opened W2, ...`: the last message opened windows of different
    /// lengths on different paths, each with its bound, as (D, W).
    InsideWindows { channel: String, classes: Vec<(u64, u64)> },
}

fn parse_consent(text: &str) -> Option<ConsentClaim> {
    if let Some(pair) = text.strip_prefix("consent(").and_then(|t| t.strip_suffix(')')) {
        let (channel, category) = pair.split_once(", ")?;
        return Some(ConsentClaim::Holds(channel.to_owned(), category.to_owned()));
    }
    if let Some(category) = text.strip_prefix("not required for ").and_then(|t| t.strip_suffix(" messages")) {
        return Some(ConsentClaim::NotRequired(category.to_owned()));
    }
    let rest = text.strip_prefix("not required inside the ")?;
    let (channel, rest) = rest.split_once(" window: sent at most ")?;
    if let Some((first, others)) = rest.split_once(" after a message that opened ") {
        let mut classes = Vec::new();
        let mut at_most = first;
        let mut tail = others;
        loop {
            let (opened, next) = match tail.split_once(", at most ") {
                Some((opened, next)) => (opened, Some(next)),
                None => (tail, None),
            };
            classes.push((parse_duration(at_most)?, parse_duration(opened)?));
            let Some(next) = next else { break };
            let (d, rest) = next.split_once(" after one that opened ")?;
            at_most = d;
            tail = rest;
        }
        return Some(ConsentClaim::InsideWindows { channel: channel.to_owned(), classes });
    }
    let (at_most, within) = rest.split_once(" after the contact's last message, within ")?;
    Some(ConsentClaim::InsideWindow {
        channel: channel.to_owned(),
        at_most: parse_duration(at_most)?,
        within: parse_duration(within)?,
    })
}

/// What a record's `quiet_hours` says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum QuietClaim {
    /// `not applicable`.
    NotApplicable,
    /// `deferred up to D (FROM..TO, ZONE)`.
    Deferred { hold: u64, range: String, zone: String },
    /// `never held: sent inside business hours, which never meet quiet hours` (in the schema's
    /// pattern, not in docs/bundle.md §10).
    NeverHeld,
    /// `never held: sent at HH:MM ..., outside quiet hours FROM..TO`.
    NeverHeldAtClock,
}

const NEVER_HELD: &str = "never held: sent inside business hours, which never meet quiet hours";

fn parse_quiet(text: &str) -> Option<QuietClaim> {
    match text {
        "not applicable" => return Some(QuietClaim::NotApplicable),
        NEVER_HELD => return Some(QuietClaim::NeverHeld),
        _ if text.starts_with("never held: sent at ") || text.starts_with("never held: sent between ") => {
            return Some(QuietClaim::NeverHeldAtClock)
        }
        _ => {}
    }
    let rest = text.strip_prefix("deferred up to ")?;
    let (hold, rest) = rest.split_once(" (")?;
    // The zone is the last part: the periods have commas of their own.
    let (range, zone) = rest.strip_suffix(')')?.rsplit_once(", ")?;
    Some(QuietClaim::Deferred { hold: parse_duration(hold)?, range: range.to_owned(), zone: zone.to_owned() })
}

/// Whether an expression being true (`positive`) or false implies that now is in business hours.
fn implies_business_hours(bundle: &Value, expr: &Value, positive: bool, depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    if str_of(expr, "within") == Some("business_hours") {
        return positive;
    }
    if let Some(name) = str_of(expr, "segment") {
        return implies_business_hours(bundle, &bundle["segments"][name], positive, depth + 1);
    }
    let args: Vec<&Value> = expr.get("args").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    match (str_of(expr, "op"), positive) {
        (Some("not"), _) => implies_business_hours(bundle, args[0], !positive, depth + 1),
        (Some("and"), true) | (Some("or"), false) => {
            args.iter().any(|a| implies_business_hours(bundle, a, positive, depth + 1))
        }
        (Some("or"), true) | (Some("and"), false) => {
            !args.is_empty() && args.iter().all(|a| implies_business_hours(bundle, a, positive, depth + 1))
        }
        _ => false,
    }
}

/// Whether a moment in business hours is never in quiet hours, both in one zone: minute by
/// minute over the week. `None`: they are in different zones,
/// which needs the time-zone database to compare.
fn business_hours_never_quiet(policies: &Value) -> Option<bool> {
    let (business, quiet) = (&policies["business_hours"], &policies["quiet_hours"]);
    if business.is_null() || quiet.is_null() {
        return Some(false);
    }
    if business["zone"] != quiet["zone"] {
        return None;
    }
    // Business hours on their days, quiet hours by weekday: both as weeks of minutes.
    let mut open = vec![false; WEEK];
    let periods: Vec<&Value> = match business.get("periods").and_then(Value::as_array) {
        Some(periods) => periods.iter().collect(),
        None => vec![business],
    };
    for period in periods {
        let mut days = Vec::new();
        for range in period["days"].as_array().unwrap() {
            days.extend(day_range(range.as_str().unwrap()).unwrap());
        }
        let clock = |key: &str| hhmm(str_of(period, key).unwrap()).unwrap();
        mark(&mut open, &days, clock("from"), clock("to"));
    }
    let quiet = quiet_week(quiet).unwrap();
    Some(!open.iter().zip(&quiet).any(|(o, q)| *o && *q))
}

fn str_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn secs_of(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

/// The events whose arrival revokes every consent on a channel (std/events: an SMS opt-out
/// keyword, an email unsubscribe).
fn revoked_channel(event: &str) -> Option<&'static str> {
    match event {
        "sms_opt_out" => Some("sms"),
        "email_unsubscribe" => Some("email"),
        _ => None,
    }
}

/// The (channel, category) consents an expression implies when it is true (`positive`) or
/// false. `and` implies what either side does, `or` what both do, `not` flips; a segment is
/// its definition. Anything else implies nothing.
fn implied(bundle: &Value, expr: &Value, positive: bool, depth: u32) -> BTreeSet<(String, String)> {
    let mut facts = BTreeSet::new();
    if depth > 32 {
        return facts;
    }
    if let Some(consent) = expr.get("consent") {
        if positive {
            facts.insert((
                str_of(consent, "channel").unwrap().to_owned(),
                str_of(consent, "category").unwrap().to_owned(),
            ));
        }
        return facts;
    }
    if let Some(name) = str_of(expr, "segment") {
        return implied(bundle, &bundle["segments"][name], positive, depth + 1);
    }
    let args: Vec<&Value> = expr.get("args").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    match (str_of(expr, "op"), positive) {
        (Some("not"), _) => implied(bundle, args[0], !positive, depth + 1),
        // A true `and` or a false `or`: every argument is so.
        (Some("and"), true) | (Some("or"), false) => {
            args.iter().flat_map(|a| implied(bundle, a, positive, depth + 1)).collect()
        }
        // A true `or` or a false `and`: one argument is so, which one unknown.
        (Some("or"), true) | (Some("and"), false) => {
            let mut sets = args.iter().map(|a| implied(bundle, a, positive, depth + 1));
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |all, one| all.intersection(&one).cloned().collect())
        }
        _ => facts,
    }
}

/// Every `{"consent": ...}` an expression names, through segments.
fn consents_named(bundle: &Value, expr: &Value, out: &mut BTreeSet<(String, String)>, depth: u32) {
    if depth > 32 {
        return;
    }
    if let Some(consent) = expr.get("consent") {
        out.insert((str_of(consent, "channel").unwrap().to_owned(), str_of(consent, "category").unwrap().to_owned()));
    }
    if let Some(name) = str_of(expr, "segment") {
        consents_named(bundle, &bundle["segments"][name], out, depth + 1);
    }
    if let Some(args) = expr.get("args").and_then(Value::as_array) {
        for a in args {
            consents_named(bundle, a, out, depth + 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The journey as a program over our own state.

/// What taking one edge does.
#[derive(Debug, Clone)]
struct Edge {
    to: String,
    /// The least and greatest time the edge can take.
    min: u64,
    max: u64,
    /// Consents revoked (a bit set over `Program::facts`), then established.
    revoke: u128,
    grant: u128,
    /// The contact wrote on this windowed channel (an index into `Program::windowed`) at the end
    /// of the edge, opening a window of this length.
    open: Option<(usize, u64)>,
    /// A branch edge whose condition says now is in business hours.
    in_hours: bool,
    /// What the edge does to the time of day in the quiet hours' zone.
    clock: ClockEffect,
}

/// The time of day, this test's own model: exact minutes only. A `wait_until` at a time no clock
/// change can touch (outside 21:00 to 05:00, where every change of the database happens,
/// `timezones::TRANSITIONS_LOCAL`) pins it; a `wait` of whole minutes that never reaches that
/// window moves it; anything else that takes time forgets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClockEffect {
    Keep,
    Pin(u16),
    Shift(u64),
    Forget,
}

/// Whether `minute` is in quiet hours `from..to` (wrapping; `from == to` all day).
fn in_quiet(from: u16, to: u16, minute: u16) -> bool {
    if from < to {
        minute >= from && minute < to
    } else {
        minute >= from || minute < to
    }
}

const WEEK: usize = 7 * 1440;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `mon..fri` or `sun` to the days it marks, Monday first (`fri..mon` wraps).
fn day_range(text: &str) -> Option<Vec<usize>> {
    let (first, last) = text.split_once("..").unwrap_or((text, text));
    let first = DAYS.iter().position(|d| *d == first)?;
    let last = DAYS.iter().position(|d| *d == last)?;
    Some((0..=(last + 7 - first) % 7).map(|step| (first + step) % 7).collect())
}

/// Marks `from..to` on `days` (every day when empty) in a week of minutes, each day's period
/// read on that day's clock (docs/bundle.md §4.2).
fn mark(week: &mut [bool], days: &[usize], from: u16, to: u16) {
    let days: Vec<usize> = if days.is_empty() { (0..7).collect() } else { days.to_vec() };
    for day in days {
        for minute in 0..1440u16 {
            if in_quiet(from, to, minute) {
                week[day * 1440 + usize::from(minute)] = true;
            }
        }
    }
}

/// `HH:MM` in minutes after midnight.
fn hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// The bundle's quiet hours as a week of minutes (Monday 00:00 first), from either shape.
fn quiet_week(quiet: &Value) -> Option<Vec<bool>> {
    let mut week = vec![false; WEEK];
    if let (Some(from), Some(to)) = (str_of(quiet, "from"), str_of(quiet, "to")) {
        mark(&mut week, &[], hhmm(from)?, hhmm(to)?);
        return Some(week);
    }
    for period in quiet.get("periods")?.as_array()? {
        let mut days = Vec::new();
        for range in period.get("days")?.as_array()? {
            days.extend(day_range(range.as_str()?)?);
        }
        mark(&mut week, &days, hhmm(str_of(period, "from")?)?, hhmm(str_of(period, "to")?)?);
    }
    Some(week)
}

/// A record's quiet hours as written (`21:00..08:00`, `mon..sat 21:00..09:00, sun 21:00..12:00`,
/// `mon, wed 21:00..08:00`) as a week of minutes.
fn week_of_text(text: &str) -> Option<Vec<bool>> {
    let mut week = vec![false; WEEK];
    let mut days = Vec::new();
    for item in text.split(", ") {
        let (day_part, range) = match item.rsplit_once(' ') {
            Some((d, r)) => (Some(d), r),
            None if item.contains(':') => (None, item),
            None => {
                days.extend(day_range(item)?);
                continue;
            }
        };
        if let Some(d) = day_part {
            days.extend(day_range(d)?);
        }
        let (from, to) = range.split_once("..")?;
        mark(&mut week, &days, hhmm(from)?, hhmm(to)?);
        days.clear();
    }
    days.is_empty().then_some(week)
}

/// The longest run of quiet minutes around the week; the week when all are quiet.
fn longest_quiet_run(week: &[bool]) -> u64 {
    let Some(free) = week.iter().position(|q| !q) else { return WEEK as u64 };
    let (mut longest, mut run) = (0u64, 0u64);
    for step in 1..=WEEK {
        if week[(free + step) % WEEK] {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

fn near_changes(minute: u64) -> bool {
    let minute = minute % 1440;
    minute >= 21 * 60 || minute <= 5 * 60
}

fn apply_clock(clock: Option<u16>, effect: ClockEffect) -> Option<u16> {
    match effect {
        ClockEffect::Keep => clock,
        ClockEffect::Forget => None,
        ClockEffect::Pin(m) => (!near_changes(u64::from(m))).then_some(m),
        ClockEffect::Shift(secs) => {
            let m = u64::from(clock?);
            if secs % 60 != 0 || secs >= 86_400 || (m..=m + secs / 60).any(near_changes) {
                return None;
            }
            u16::try_from((m + secs / 60) % 1440).ok()
        }
    }
}

/// A frequency rule.
#[derive(Debug, Clone)]
struct Cap {
    /// A channel's cap counts only that channel's sends.
    channel: Option<String>,
    category: String,
    max: usize,
    per: u64,
}

impl Cap {
    fn counts(&self, send: &Sends) -> bool {
        self.category == send.category && self.channel.as_ref().is_none_or(|c| *c == send.channel)
    }
}

/// A sending node: what its message is and how long quiet hours may hold it.
#[derive(Debug, Clone)]
struct Sends {
    message: String,
    channel: String,
    category: String,
    hold: u64,
}

struct Program {
    /// Every (channel, category) consent any condition or request names; bit i of a set.
    facts: Vec<(String, String)>,
    /// The channels with a window, in `channels` order.
    windowed: Vec<String>,
    caps: Vec<Cap>,
    start: State,
    start_node: String,
    sends: BTreeMap<String, Sends>,
    edges: BTreeMap<String, Vec<Edge>>,
    /// The policy's quiet hours, if any: per minute of the day, whether it is quiet on some day.
    quiet: Option<Vec<bool>>,
    /// Elapsed times are kept up to this: it exceeds every number a record claims, so a path
    /// that reaches it breaks any bound claimed for it, and the state space stays finite.
    cap_elapsed: u64,
}

/// What holds at a point of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    /// The consents established and not revoked since (bits over `Program::facts`).
    consents: u128,
    /// Per windowed channel: the greatest time since the contact last wrote there, and the window
    /// that message opened; `None`: never wrote.
    windows: Vec<Option<(u64, u64)>>,
    /// Per frequency rule: the least time since each of its last `max` sends less than `per` ago,
    /// newest first.
    recent: Vec<Vec<u64>>,
    /// A branch found now in business hours, and no time has passed since.
    in_hours: bool,
    /// The minute of the day in the quiet hours' zone, when known exactly.
    clock: Option<u16>,
}

impl State {
    /// No consent more, no window shorter or time since it longer, no fewer or older recent
    /// sends: whatever `other` leads to, `self` leads to something no better.
    fn at_least_as_bad_as(&self, other: &State) -> bool {
        self.consents & !other.consents == 0
            && (!self.in_hours || other.in_hours)
            && (self.clock.is_none() || self.clock == other.clock)
            && self.windows.iter().zip(&other.windows).all(|(a, b)| match (a, b) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some((e, w)), Some((oe, ow))) => e >= oe && w <= ow,
            })
            && self
                .recent
                .iter()
                .zip(&other.recent)
                .all(|(a, b)| a.len() >= b.len() && a.iter().zip(b).all(|(x, y)| x <= y))
    }
}

impl Program {
    fn fact_bits(&self, facts: &BTreeSet<(String, String)>) -> u128 {
        facts.iter().filter_map(|f| self.facts.iter().position(|g| g == f)).fold(0, |bits, i| bits | 1 << i)
    }

    fn channel_bits(&self, channel: &str) -> u128 {
        self.facts.iter().enumerate().filter(|(_, (c, _))| c == channel).fold(0, |bits, (i, _)| bits | 1 << i)
    }

    fn new(bundle: &Value) -> Program {
        let nodes = bundle["nodes"].as_object().unwrap();
        let channels = bundle["channels"].as_object().unwrap();
        let events = &bundle["events"];
        let records = bundle["compliance"].as_object().unwrap();

        // The facts: what conditions and requests name, and what records claim.
        let mut named = BTreeSet::new();
        for expr in [&bundle["audience"], &bundle["entry"]["where"]] {
            consents_named(bundle, expr, &mut named, 0);
        }
        for node in nodes.values() {
            for c in node.get("conditions").and_then(Value::as_array).into_iter().flatten() {
                consents_named(bundle, c, &mut named, 0);
            }
            if str_of(node, "kind") == Some("consent_request") {
                named.insert((
                    str_of(node, "channel").unwrap().to_owned(),
                    str_of(node, "category").unwrap().to_owned(),
                ));
            }
        }
        for record in records.values() {
            if let Some(ConsentClaim::Holds(ch, cat)) = str_of(record, "consent").and_then(parse_consent) {
                named.insert((ch, cat));
            }
        }
        assert!(named.len() <= 128, "more consents than a bit set holds");

        let windowed: Vec<String> =
            channels.iter().filter(|(_, c)| secs_of(c, "window_s").is_some()).map(|(n, _)| n.clone()).collect();
        let caps: Vec<Cap> = bundle["policies"]["frequency"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| Cap {
                channel: str_of(f, "channel").map(str::to_owned),
                category: str_of(f, "category").unwrap().to_owned(),
                max: usize::try_from(secs_of(f, "max").unwrap()).unwrap(),
                per: secs_of(f, "per_s").unwrap(),
            })
            .collect();

        // The largest number a record or declaration states.
        let mut largest = 0u64;
        for channel in channels.values() {
            largest = largest.max(secs_of(channel, "window_s").unwrap_or(0));
            for tag in channel["tags"].as_object().unwrap().values() {
                largest = largest.max(secs_of(tag, "within_s").unwrap_or(0));
            }
        }
        for event in events.as_object().unwrap().values() {
            largest = largest.max(secs_of(event, "window_s").unwrap_or(0));
        }
        for record in records.values() {
            largest = largest.max(secs_of(record, "window_max_s").unwrap_or(0));
            match str_of(record, "consent").and_then(parse_consent) {
                Some(ConsentClaim::InsideWindow { at_most, within, .. }) => largest = largest.max(at_most).max(within),
                Some(ConsentClaim::InsideWindows { classes, .. }) => {
                    for (at_most, opened) in classes {
                        largest = largest.max(at_most).max(opened);
                    }
                }
                _ => {}
            }
        }

        // The minutes of the day that are quiet on some weekday: the time of day is known, the
        // day is not.
        let quiet = quiet_week(&bundle["policies"]["quiet_hours"])
            .map(|week| (0..1440usize).map(|m| (0..7).any(|d| week[d * 1440 + m])).collect::<Vec<bool>>());
        let mut program = Program {
            quiet,
            facts: named.into_iter().collect(),
            windowed,
            caps,
            start: State { consents: 0, windows: Vec::new(), recent: Vec::new(), in_hours: false, clock: None },
            start_node: str_of(bundle, "start").unwrap().to_owned(),
            sends: BTreeMap::new(),
            edges: BTreeMap::new(),
            cap_elapsed: largest + 1,
        };

        // The window an inbound event opens: (channel index, length).
        let opens = |program: &Program, event: &str| -> Option<(usize, u64)> {
            let event = events.get(event)?;
            let channel = str_of(event, "inbound")?;
            let index = program.windowed.iter().position(|c| c == channel)?;
            let length = secs_of(event, "window_s").or_else(|| secs_of(&channels[channel], "window_s"))?;
            Some((index, length))
        };
        // A reply on a message's channel: (channel index, the channel's window).
        let reply_opens = |program: &Program, channel: &str| -> Option<(usize, u64)> {
            let index = program.windowed.iter().position(|c| c == channel)?;
            Some((index, secs_of(&channels[channel], "window_s")?))
        };
        // Whether a contact's answer on this channel may be an opt-out keyword.
        let opts_out = |channel: &str| -> bool {
            channels[channel]["keywords"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| !matches!(k.as_str(), Some("HELP" | "INFO")))
        };

        // The start.
        let mut start = BTreeSet::new();
        start.extend(implied(bundle, &bundle["audience"], true, 0));
        start.extend(implied(bundle, &bundle["entry"]["where"], true, 0));
        // `entry when joins S`: the run starts when S's condition became true.
        if let Some(segment) = str_of(&bundle["entry"], "joins") {
            start.extend(implied(bundle, &bundle["segments"][segment], true, 0));
        }
        program.start.consents = program.fact_bits(&start);
        program.start.windows = vec![None; program.windowed.len()];
        program.start.recent = vec![Vec::new(); program.caps.len()];
        if let Some(entry) = str_of(&bundle["entry"], "event") {
            if let Some(channel) = revoked_channel(entry) {
                program.start.consents &= !program.channel_bits(channel);
            }
            if let Some((index, length)) = opens(&program, entry) {
                program.start.windows[index] = Some((0, length));
            }
        }

        for (id, node) in nodes {
            let kind = str_of(node, "kind").unwrap();
            let next: Vec<(String, String)> = node["next"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(label, to)| (label.clone(), to.as_str().unwrap().to_owned()))
                .collect();
            if let Some(message) = str_of(node, "message") {
                let m = &bundle["messages"][message];
                let deferred = match records.get(id).and_then(|r| str_of(r, "quiet_hours")).and_then(parse_quiet) {
                    Some(QuietClaim::Deferred { hold, .. }) => hold,
                    _ => 0,
                };
                program.sends.insert(
                    id.clone(),
                    Sends {
                        message: message.to_owned(),
                        channel: str_of(m, "channel").unwrap().to_owned(),
                        category: str_of(m, "category").unwrap().to_owned(),
                        hold: deferred,
                    },
                );
            }
            let plain = |to: &str, min: u64, max: u64| Edge {
                to: to.to_owned(),
                min,
                max,
                revoke: 0,
                grant: 0,
                open: None,
                in_hours: false,
                clock: if min == 0 && max == 0 { ClockEffect::Keep } else { ClockEffect::Forget },
            };
            let edges: Vec<Edge> = match kind {
                "send" | "set" | "tag" | "track" | "split" => next.iter().map(|(_, to)| plain(to, 0, 0)).collect(),
                "consent_revoke" => {
                    let pair =
                        (str_of(node, "channel").unwrap().to_owned(), str_of(node, "category").unwrap().to_owned());
                    let revoke = program.fact_bits(&[pair].into_iter().collect());
                    next.iter().map(|(_, to)| Edge { revoke, ..plain(to, 0, 0) }).collect()
                }
                "wait" => {
                    let d = secs_of(node, "duration_s").unwrap();
                    next.iter().map(|(_, to)| Edge { clock: ClockEffect::Shift(d), ..plain(to, d, d) }).collect()
                }
                "wait_until" => match (node.get("time").and_then(Value::as_str), node.get("zone")) {
                    (Some(time), Some(zone)) => {
                        let (h, m) = time.split_once(':').unwrap();
                        let minute: u16 = h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap();
                        let same_zone = *zone == bundle["policies"]["quiet_hours"]["zone"];
                        let clock = if same_zone { ClockEffect::Pin(minute) } else { ClockEffect::Forget };
                        // A day, plus the longest clock change back (2h).
                        next.iter().map(|(_, to)| Edge { clock, ..plain(to, 0, 26 * 3600) }).collect()
                    }
                    _ => next.iter().map(|(_, to)| plain(to, 0, program.cap_elapsed)).collect(),
                },
                "branch" => {
                    let conditions = node["conditions"].as_array().unwrap();
                    next.iter()
                        .map(|(label, to)| {
                            // The condition taken is true and every earlier one false.
                            let taken = match label.as_str() {
                                "then" => Some(0),
                                "else" => None,
                                elif => Some(elif.strip_prefix("elif").unwrap().parse::<usize>().unwrap()),
                            };
                            let earlier = taken.unwrap_or(conditions.len());
                            let mut facts: BTreeSet<(String, String)> =
                                conditions[..earlier].iter().flat_map(|c| implied(bundle, c, false, 0)).collect();
                            let mut in_hours =
                                conditions[..earlier].iter().any(|c| implies_business_hours(bundle, c, false, 0));
                            if let Some(i) = taken {
                                facts.extend(implied(bundle, &conditions[i], true, 0));
                                in_hours |= implies_business_hours(bundle, &conditions[i], true, 0);
                            }
                            Edge { grant: program.fact_bits(&facts), in_hours, ..plain(to, 0, 0) }
                        })
                        .collect()
                }
                "wait_for" => {
                    let within = secs_of(node, "within_s").unwrap();
                    next.iter()
                        .map(|(label, to)| {
                            if label == "timeout" {
                                return plain(to, within, within);
                            }
                            Edge {
                                revoke: revoked_channel(label).map_or(0, |c| program.channel_bits(c)),
                                open: opens(&program, label),
                                ..plain(to, 0, within)
                            }
                        })
                        .collect()
                }
                "handoff" => {
                    let timeout = secs_of(node, "timeout_s").unwrap();
                    next.iter()
                        .map(
                            |(label, to)| {
                                if label == "timeout" {
                                    plain(to, timeout, timeout)
                                } else {
                                    plain(to, 0, timeout)
                                }
                            },
                        )
                        .collect()
                }
                "ask" | "consent_request" => {
                    let timeout = secs_of(node, "timeout_s").unwrap();
                    let channel = str_of(&bundle["messages"][str_of(node, "message").unwrap()], "channel").unwrap();
                    let any_answer = if opts_out(channel) { program.channel_bits(channel) } else { 0 };
                    let asked = (kind == "consent_request").then(|| {
                        let pair =
                            (str_of(node, "channel").unwrap().to_owned(), str_of(node, "category").unwrap().to_owned());
                        program.fact_bits(&[pair].into_iter().collect())
                    });
                    next.iter()
                        .map(|(label, to)| {
                            if label == "timeout" {
                                return Edge { revoke: any_answer, ..plain(to, timeout, timeout) };
                            }
                            let mut edge = Edge {
                                revoke: any_answer,
                                open: reply_opens(&program, channel),
                                ..plain(to, 0, timeout)
                            };
                            match (asked, label.as_str()) {
                                (Some(pair), "granted") => edge.grant = pair,
                                (Some(pair), "declined") => edge.revoke |= pair,
                                _ => {}
                            }
                            edge
                        })
                        .collect()
                }
                other => panic!("node {id} has an unknown kind {other}"),
            };
            program.edges.insert(id.clone(), edges);
        }
        program
    }
}

/// What every path brings to one sending node.
#[derive(Debug, Clone)]
struct Observed {
    /// The consents that hold on every path.
    consents: u128,
    /// On the message's channel, if windowed: some path on which the contact never wrote there;
    /// the greatest time since they did, counting the send's own hold; the shortest window
    /// the last message opened.
    never: bool,
    elapsed: u64,
    window: Option<u64>,
    /// Frequency rules one more send here breaks on some path: (rule index, sends in `per`).
    over: BTreeSet<(usize, usize)>,
    /// Some path reaches the send without a branch having found now in business hours with no
    /// time passed since.
    outside_hours: bool,
    /// On every path the time of day is known, and outside quiet hours.
    clock_outside: bool,
}

struct Explored {
    sends: BTreeMap<String, Observed>,
    states: usize,
}

fn explore(program: &Program) -> Explored {
    let mut kept: BTreeMap<&str, Vec<State>> = BTreeMap::new();
    let mut sends: BTreeMap<String, Observed> = BTreeMap::new();
    let mut states = 0usize;
    let mut stack = vec![(program.start_node.as_str(), program.start.clone())];
    while let Some((node, state)) = stack.pop() {
        if node == "exit" {
            continue;
        }
        let here = kept.entry(node).or_default();
        if here.iter().any(|old| old.at_least_as_bad_as(&state)) {
            continue;
        }
        here.retain(|old| !state.at_least_as_bad_as(old));
        here.push(state.clone());
        states += 1;
        assert!(states < 2_000_000, "too many states at {node}");
        let mut state = state;
        if let Some(send) = program.sends.get(node) {
            let seen = sends.entry(node.to_owned()).or_insert(Observed {
                consents: u128::MAX,
                never: false,
                elapsed: 0,
                window: None,
                over: BTreeSet::new(),
                outside_hours: false,
                clock_outside: true,
            });
            seen.consents &= state.consents;
            if let Some(index) = program.windowed.iter().position(|c| *c == send.channel) {
                match state.windows[index] {
                    None => seen.never = true,
                    Some((elapsed, window)) => {
                        seen.elapsed = seen.elapsed.max((elapsed + send.hold).min(program.cap_elapsed));
                        seen.window = Some(seen.window.map_or(window, |w| w.min(window)));
                    }
                }
            }
            for (i, cap) in program.caps.iter().enumerate() {
                if cap.counts(send) {
                    if state.recent[i].len() >= cap.max {
                        seen.over.insert((i, state.recent[i].len() + 1));
                    }
                    state.recent[i].insert(0, 0);
                    state.recent[i].truncate(cap.max);
                }
            }
            seen.outside_hours |= !state.in_hours;
            // The hold delays everything after the send (and the send itself, counted above).
            for (elapsed, _) in state.windows.iter_mut().flatten() {
                *elapsed = (*elapsed + send.hold).min(program.cap_elapsed);
            }
            state.in_hours &= send.hold == 0;
            seen.clock_outside &= match (state.clock, &program.quiet) {
                (Some(m), Some(quiet)) => !quiet[usize::from(m)],
                _ => false,
            };
            if send.hold > 0 {
                state.clock = None;
            }
        }
        for edge in &program.edges[node] {
            let mut after = state.clone();
            for (elapsed, _) in after.windows.iter_mut().flatten() {
                *elapsed = (*elapsed + edge.max).min(program.cap_elapsed);
            }
            for (recent, cap) in after.recent.iter_mut().zip(&program.caps) {
                for since in recent.iter_mut() {
                    *since += edge.min;
                }
                recent.retain(|since| *since < cap.per);
            }
            after.consents = (after.consents & !edge.revoke) | edge.grant;
            after.in_hours = (after.in_hours && edge.max == 0) || edge.in_hours;
            after.clock = apply_clock(after.clock, edge.clock);
            if let Some((index, length)) = edge.open {
                after.windows[index] = Some((0, length));
            }
            stack.push((edge.to.as_str(), after));
        }
    }
    Explored { sends, states }
}

// ---------------------------------------------------------------------------------------------
// Checking the records.

/// How many records each claim was checked on, and what was found.
#[derive(Debug, Default)]
struct Tally {
    bundles: usize,
    records: usize,
    consent_held: usize,
    consent_not_required: usize,
    consent_inside_window: usize,
    window_bound: usize,
    quiet_hours: usize,
    never_held: usize,
    form: usize,
    frequency_rules: usize,
    /// (send, rule of its category) pairs checked.
    frequency_sends: usize,
    states: usize,
    violations: Vec<String>,
}

fn window_text(secs: u64) -> String {
    if secs >= 86_400 && secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        format!("{secs}s")
    }
}

/// Re-derives every record of one bundle; violations go to `tally` as `where: claim: why`.
fn check_bundle(project: &str, bundle: &Value, tally: &mut Tally) {
    let journey = str_of(bundle, "journey").unwrap();
    let program = Program::new(bundle);
    let explored = explore(&program);
    tally.bundles += 1;
    tally.states += explored.states;
    let records = bundle["compliance"].as_object().unwrap();
    let channels = &bundle["channels"];
    let quiet = &bundle["policies"]["quiet_hours"];
    let mut fail = |node: &str, claim: &str, why: String| {
        tally.violations.push(format!("{project} / {journey} / {node}: {claim}: {why}"));
    };

    // One record per reachable send, and none for anything else.
    for node in explored.sends.keys() {
        if !records.contains_key(node) {
            fail(node, "record", "a reachable send has no record".to_owned());
        }
    }
    for node in records.keys() {
        if !program.sends.contains_key(node) {
            fail(node, "record", "the record is for no send, ask or consent_request node".to_owned());
        } else if !explored.sends.contains_key(node) {
            fail(node, "record", "no path from the start reaches this send".to_owned());
        }
    }

    for (node, record) in records {
        let (Some(send), Some(seen)) = (program.sends.get(node), explored.sends.get(node)) else { continue };
        tally.records += 1;
        let message = &bundle["messages"][&send.message];
        let channel = &channels[&send.channel];
        for (field, expected) in [("message", &send.message), ("channel", &send.channel), ("category", &send.category)]
        {
            if str_of(record, field) != Some(expected.as_str()) {
                fail(node, field, format!("the record says {}, the node sends {expected}", record[field]));
            }
        }
        let channel_window = secs_of(channel, "window_s");
        let window_index = program.windowed.iter().position(|c| *c == send.channel);
        let bound = record["window_max_s"].as_u64();
        let form = str_of(record, "form").unwrap_or("");

        // 1, 2: consent.
        let consent_text = str_of(record, "consent").unwrap_or("");
        match parse_consent(consent_text) {
            None => fail(node, "consent", format!("`{consent_text}` is no claim the format defines")),
            Some(ConsentClaim::Holds(ch, cat)) => {
                tally.consent_held += 1;
                let bit = program.fact_bits(&[(ch.clone(), cat.clone())].into_iter().collect());
                if seen.consents & bit == 0 {
                    fail(node, consent_text, "some path reaches the send without it, or revokes it after".to_owned());
                }
                if ch != send.channel || cat != send.category {
                    fail(node, consent_text, format!("the message is {} on {}", send.category, send.channel));
                }
            }
            Some(ConsentClaim::NotRequired(cat)) => {
                tally.consent_not_required += 1;
                if cat != send.category {
                    fail(node, consent_text, format!("the message is {}", send.category));
                }
                if cat == "marketing" {
                    fail(node, consent_text, "marketing always needs consent (docs/bundle.md §5)".to_owned());
                }
            }
            Some(ConsentClaim::InsideWindow { channel: ch, at_most, within }) => {
                tally.consent_inside_window += 1;
                if ch != send.channel {
                    fail(node, consent_text, format!("the message is sent on {}", send.channel));
                }
                if window_index.is_none() {
                    fail(node, consent_text, "the channel has no window".to_owned());
                } else if seen.never {
                    fail(node, consent_text, "on some path the contact never wrote on the channel".to_owned());
                } else {
                    if seen.elapsed > at_most {
                        fail(
                            node,
                            consent_text,
                            format!(
                                "some path sends it {} after the contact's last message",
                                window_text(seen.elapsed)
                            ),
                        );
                    }
                    let shortest = seen.window.unwrap();
                    if within != shortest {
                        fail(node, consent_text, format!("the window on some path is {}", window_text(shortest)));
                    }
                    if seen.elapsed > shortest {
                        fail(node, consent_text, "some path sends it outside its window".to_owned());
                    }
                }
            }
            // Several opener classes: this exploration keeps one hull per node, so it checks the
            // overall claims (the largest bound covers every path, the shortest window is one a
            // path opened, each class inside its own window), not each class's bound on its own
            // paths; the analyses' per-class bounds are checked against brute force in
            // differential.rs.
            Some(ConsentClaim::InsideWindows { channel: ch, classes }) => {
                tally.consent_inside_window += 1;
                if ch != send.channel {
                    fail(node, consent_text, format!("the message is sent on {}", send.channel));
                }
                let most = classes.iter().map(|(d, _)| *d).max().unwrap_or(0);
                let shortest_claimed = classes.iter().map(|(_, w)| *w).min().unwrap_or(0);
                if window_index.is_none() {
                    fail(node, consent_text, "the channel has no window".to_owned());
                } else if seen.never {
                    fail(node, consent_text, "on some path the contact never wrote on the channel".to_owned());
                } else {
                    if seen.elapsed > most {
                        fail(node, consent_text, format!("some path sends it {} after", window_text(seen.elapsed)));
                    }
                    if Some(shortest_claimed) != seen.window {
                        fail(node, consent_text, "the shortest window claimed is none a path opened".to_owned());
                    }
                    if classes.iter().any(|(d, w)| d > w) {
                        fail(node, consent_text, "a class is outside its own window".to_owned());
                    }
                }
            }
        }

        // 3: the window bound.
        match (bound, window_index) {
            (Some(_), None) => fail(node, "window_max_s", "the channel has no window".to_owned()),
            (Some(bound), Some(_)) => {
                tally.window_bound += 1;
                if seen.never {
                    fail(node, "window_max_s", "on some path the contact never wrote on the channel".to_owned());
                } else {
                    if seen.elapsed > bound {
                        fail(
                            node,
                            "window_max_s",
                            format!("{bound} claimed, some path sends it {} after the last message", seen.elapsed),
                        );
                    }
                    let shortest = seen.window.unwrap();
                    if record["window_s"].as_u64() != Some(shortest) {
                        fail(
                            node,
                            "window_s",
                            format!("{} claimed, the shortest window opened is {shortest}", record["window_s"]),
                        );
                    }
                    // A bound over the shortest window is allowed only with the per-opener proof:
                    // several classes, each inside its own window, whose largest bound and
                    // shortest window are the record's.
                    let classes: Vec<(u64, Option<u64>)> = record["windows"]
                        .as_array()
                        .map(|w| w.iter().map(|c| (c["opened_s"].as_u64().unwrap_or(0), c["max_s"].as_u64())).collect())
                        .unwrap_or_default();
                    let per_opener = classes.len() > 1
                        && classes.iter().all(|(w, m)| m.is_some_and(|m| m <= *w))
                        && classes.iter().filter_map(|(_, m)| *m).max() == Some(bound)
                        && classes.iter().map(|(w, _)| *w).min() == Some(shortest);
                    if form == "free-form" && bound > shortest && !per_opener {
                        fail(node, "window_max_s", format!("{bound} is outside the {shortest}s window of some path"));
                    }
                }
            }
            (None, Some(_)) if form == "free-form" => {
                fail(node, "window_max_s", "a free-form send on a windowed channel is never unbounded".to_owned())
            }
            _ => {}
        }
        if record["window_s"].is_null() != channel_window.is_none() {
            fail(
                node,
                "window_s",
                format!("{} for a channel whose window_s is {}", record["window_s"], channel["window_s"]),
            );
        }

        // 5: the form.
        tally.form += 1;
        let template = !message["template"].is_null();
        let tag = str_of(message, "tag");
        let form_ok = match form {
            "template" => template,
            "free-form" => !template && tag.is_none(),
            other => other.strip_prefix("tag ").is_some_and(|t| tag == Some(t) && !template),
        };
        if !form_ok {
            fail(
                node,
                "form",
                format!(
                    "`{form}`, but the message has {} and tag {tag:?}",
                    if template { "a template" } else { "no template" }
                ),
            );
        }
        if let Some(name) = form.strip_prefix("tag ") {
            let within = channel["tags"].get(name).map(|t| t["within_s"].as_u64());
            match (within, bound) {
                (None, _) => fail(node, "form", format!("the channel has no tag {name}")),
                (Some(Some(within)), Some(bound)) if bound > within => {
                    fail(node, "window_max_s", format!("{bound} is past the tag's within_s {within}"))
                }
                (Some(Some(_)), None) => fail(node, "window_max_s", "unbounded under a tag with a window".to_owned()),
                _ => {}
            }
        }

        // 4: quiet hours.
        let quiet_text = str_of(record, "quiet_hours").unwrap_or("");
        match parse_quiet(quiet_text) {
            None => fail(node, "quiet_hours", format!("`{quiet_text}` is no claim the format defines")),
            Some(QuietClaim::NotApplicable) => {}
            Some(QuietClaim::NeverHeld) => {
                tally.never_held += 1;
                if seen.outside_hours {
                    fail(node, quiet_text, "some path reaches it without being inside business hours now".to_owned());
                }
                match business_hours_never_quiet(&bundle["policies"]) {
                    Some(true) => {}
                    Some(false) => {
                        fail(node, quiet_text, "business hours meet quiet hours (or one is not set)".to_owned())
                    }
                    None => fail(
                        node,
                        quiet_text,
                        "business and quiet hours are in different zones; this test cannot compare them".to_owned(),
                    ),
                }
            }
            Some(QuietClaim::NeverHeldAtClock) => {
                tally.never_held += 1;
                if !seen.clock_outside {
                    fail(node, quiet_text, "on some path the time of day is not known outside quiet hours".to_owned());
                }
            }
            Some(QuietClaim::Deferred { hold, range, zone }) => {
                tally.quiet_hours += 1;
                if quiet.is_null() {
                    fail(node, quiet_text, "the policies set no quiet hours".to_owned());
                } else {
                    let week = quiet_week(quiet).unwrap();
                    if week_of_text(&range).as_ref() != Some(&week) {
                        fail(node, quiet_text, format!("the policy's quiet hours are {quiet}"));
                    }
                    // The longest stretch of quiet, days running into each other.
                    let period = longest_quiet_run(&week) * 60;
                    if hold < period + CLOCK_BACK_S {
                        fail(node, quiet_text, format!("the quiet period is {period}s, and a clock change adds 2h"));
                    }
                    let expected =
                        if str_of(quiet, "zone") == Some("recipient") { "recipient's time" } else { "fixed zone" };
                    if zone != expected {
                        fail(node, quiet_text, format!("the policy's zone is {}", quiet["zone"]));
                    }
                }
            }
        }

        // 6: frequency.
        tally.frequency_sends += program.caps.iter().filter(|c| c.counts(send)).count();
        for (rule, count) in &seen.over {
            let cap = &program.caps[*rule];
            fail(
                node,
                "frequency",
                format!("a path sends {count} {} messages within {}s; at most {}", cap.category, cap.per, cap.max),
            );
        }
    }
    tally.frequency_rules += program.caps.len();
}

fn check_all() -> Tally {
    let mut tally = Tally::default();
    for project in accepted_projects() {
        for (_, bundle) in build(&project) {
            check_bundle(&project.name, &bundle, &mut tally);
        }
    }
    tally
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn every_compliance_record_of_every_accepted_project_claims_no_more_than_the_bundle_graph_proves() {
    // On the stack `journey` itself checks with (the CLI's main thread, the language server's
    // analysis threads: 8 MiB), not the test harness's 2 MiB: the fixtures include an expression
    // at the term limit (J0115_257_operands.fixed.journey, 256 operands), whose tree the later
    // passes of a debug build walk deeper than 2 MiB allows.
    let tally = std::thread::Builder::new().stack_size(8 << 20).spawn(check_all).unwrap().join().unwrap();
    let mut summary = String::new();
    writeln!(
        summary,
        "{} bundles, {} records, {} states explored; consent(..) {}, not required {}, inside the window {}, \
         window_max_s {}, quiet hours deferred {}, never held {}, form {}, frequency rules {} over {} sends",
        tally.bundles,
        tally.records,
        tally.states,
        tally.consent_held,
        tally.consent_not_required,
        tally.consent_inside_window,
        tally.window_bound,
        tally.quiet_hours,
        tally.never_held,
        tally.form,
        tally.frequency_rules,
        tally.frequency_sends
    )
    .unwrap();
    eprintln!("{summary}");
    // Every kind of claim was met at least once, so none is checked vacuously.
    for (claim, count) in [
        ("consent(..)", tally.consent_held),
        ("not required", tally.consent_not_required),
        ("inside the window", tally.consent_inside_window),
        ("window_max_s", tally.window_bound),
        ("quiet hours", tally.quiet_hours),
        ("never held", tally.never_held),
        ("frequency", tally.frequency_sends),
    ] {
        assert!(count > 0, "no record has a {claim} claim to check");
    }
    assert!(tally.violations.is_empty(), "records claim more than was proved:\n{}", tally.violations.join("\n"));
}

/// The bundles of one accepted project, by journey.
fn bundles_of(name: &str) -> BTreeMap<String, Value> {
    let project = accepted_projects().into_iter().find(|p| p.name == name).unwrap();
    build(&project).into_iter().collect()
}

/// Sets the value at a JSON pointer (node ids have no `/` or `~`).
fn set(bundle: &mut Value, pointer: &str, value: Value) {
    *bundle.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer}")) = value;
}

#[test]
fn a_record_or_graph_corrupted_to_claim_more_than_was_proved_is_reported() {
    let mut projects = bundles_of("examples");
    projects.extend(bundles_of("tests/fixtures/bundle/every_node"));
    projects.extend(bundles_of("tests/fixtures/diagnostics/J0408_business_hours_overlap_quiet_hours.fixed.journey"));
    type Mutation = fn(&mut Value);
    // (journey, what is corrupted, the corruption, what the report must say)
    let cases: [(&str, &str, Mutation, &str); 14] = [
        (
            "cart_recovery",
            "the consent guard before a marketing send",
            |b| set(b, "/nodes/remind.2/conditions/0", serde_json::json!({"value": true})),
            "remind.2.then.1: consent(sms, marketing): some path",
        ),
        (
            "sms_keyword_opt_in",
            "the granted and declined arms of an SMS request swapped",
            |b| {
                set(b, "/nodes/confirm.1/next/declined", "confirm.1.granted.1".into());
                set(b, "/nodes/confirm.1/next/granted", "exit".into());
            },
            "confirm.1.granted.1: consent(sms, marketing): some path",
        ),
        (
            "re_engagement",
            "a consent claimed on another channel",
            |b| set(b, "/compliance/text_second.1.then.1/consent", "consent(email, marketing)".into()),
            "text_second.1.then.1: consent(email, marketing): the message is marketing on sms",
        ),
        (
            "welcome_from_ad",
            "a window bound one second short",
            |b| set(b, "/compliance/check_in.1/window_max_s", 172_799.into()),
            "check_in.1: window_max_s: 172799 claimed",
        ),
        (
            "welcome_from_ad",
            "a window longer than the one the ad reply opened",
            |b| set(b, "/compliance/check_in.1/window_s", 1_209_600.into()),
            "check_in.1: window_s: 1209600 claimed",
        ),
        (
            "welcome_from_ad",
            "the entry event no longer inbound",
            |b| set(b, "/events/messenger_ad_reply/inbound", Value::Null),
            "greet.1: window_max_s: on some path the contact never wrote",
        ),
        (
            "everything",
            "an earlier send's hold longer than the later bound allows for",
            |b| {
                set(b, "/compliance/first.2.then.1/quiet_hours", "deferred up to 14h (21:00..08:00, recipient's time)".into())
            },
            "first.3: window_max_s: 46800 claimed",
        ),
        (
            "lead_qualification",
            "a send inside the window claimed sooner than it can be",
            |b| {
                set(
                    b,
                    "/compliance/after_hours.1/consent",
                    "not required inside the whatsapp window: sent at most 1h after the contact's last message, within 24h"
                        .into(),
                )
            },
            "after_hours.1: not required inside the whatsapp window: sent at most 1h after the contact's last message, \
             within 24h: some path sends it 2h",
        ),
        (
            "cart_recovery",
            "a quiet-hour hold shorter than the quiet period and a clock change",
            |b| set(b, "/compliance/remind.2.then.1/quiet_hours", "deferred up to 12h (21:00..08:00, recipient's time)".into()),
            "remind.2.then.1: deferred up to 12h (21:00..08:00, recipient's time): the quiet period",
        ),
        (
            "cart_recovery",
            "quiet hours other than the policy's",
            |b| set(b, "/policies/quiet_hours/from", "22:00".into()),
            "remind.2.then.1: deferred up to 13h (21:00..08:00, recipient's time): the policy's quiet hours",
        ),
        (
            "order_updates",
            "a template called free-form",
            |b| set(b, "/compliance/confirm.1.then.1/form", "free-form".into()),
            "confirm.1.then.1: form: `free-form`, but the message has a template",
        ),
        (
            "re_engagement",
            "a frequency rule the journey's sends break",
            |b| set(b, "/policies/frequency", serde_json::json!([{"category": "marketing", "max": 1, "per_s": 31_536_000}])),
            ": frequency: a path sends 2 marketing messages",
        ),
        (
            "trial_conversion",
            "business hours that meet quiet hours",
            |b| set(b, "/policies/business_hours/from", "07:00".into()),
            "offer.1.then.1.then.1: never held: sent inside business hours, which never meet quiet hours: business hours meet",
        ),
        (
            "cart_recovery",
            "a reachable send without a record",
            |b| {
                b["compliance"].as_object_mut().unwrap().remove("remind.2.then.1");
            },
            "remind.2.then.1: record: a reachable send has no record",
        ),
    ];
    let mut problems = Vec::new();
    for (journey, what, corrupt, expected) in cases {
        let mut bundle = projects.get(journey).unwrap_or_else(|| panic!("no bundle {journey}")).clone();
        let mut before = Tally::default();
        check_bundle("mutant", &bundle, &mut before);
        assert!(before.violations.is_empty(), "{journey} before the corruption: {:?}", before.violations);
        corrupt(&mut bundle);
        let mut after = Tally::default();
        check_bundle("mutant", &bundle, &mut after);
        if !after.violations.iter().any(|v| v.contains(expected)) {
            problems.push(format!("{journey}, {what}: expected `{expected}`, got {:#?}", after.violations));
        }
    }
    assert!(problems.is_empty(), "corruptions not reported:\n{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Journeys at the edges of the rules, beyond what the fixtures exercise.

/// Accepted journeys written for this test, one project: business hours that never meet quiet
/// hours (sends never held, and how a wait, a handoff, a request, a split or a negation ends
/// that), an ad reply's 7-day window met by a 24-hour one, consent from `else` and `elif` edges
/// and from a request answered on another channel, an entry on an email unsubscribe, and loops
/// through answers and timeouts. Journeys the checker must reject (a marketing send after an SMS
/// answer or opt-out, too many sends in a loop) are the differential test's business.
const PROBES: &str = r#"import "std/channels"
import "std/events"

policy {
  quiet_hours 21:00..08:00 recipient
  business_hours mon..fri 09:00..18:00 recipient
  frequency marketing at most 2 per 7d
}

profile {
  vip: bool
  timezone: timezone
}

event signed_up {}

message promo on sms as marketing {
  text "Deal. Reply STOP to opt out"
}
message question on sms as service {
  text "Question?"
}
message optin on sms as service {
  text "Reply YES for news by text"
}
message m_promo on messenger as marketing {
  text "Messenger deal"
}
message m_hello on messenger as service {
  text "Hello"
}
message m_q on messenger as service {
  text "Question?"
  reply "Yes" -> yes
}
message m_optin on messenger as service {
  text "News?"
  reply "Yes" -> granted
  reply "No" -> declined
}

journey waits_after_the_business_hours_check {
  entry on messenger_message
  stage s {
    if within business_hours {
      wait 1h
      if consent(messenger, marketing) { send m_promo }
    }
    exit
  }
}

journey ad_reply_window_then_a_message {
  entry on messenger_ad_reply
  stage a {
    send m_hello
    wait for messenger_message within 20h { messenger_message => send m_hello
      timeout => exit }
    wait 3h
    send m_hello
  }
}

journey consent_from_else_and_elif {
  entry on signed_up
  stage a {
    if not consent(sms, marketing) { exit } else { send promo }
    if vip { exit } else if consent(sms, marketing) { send promo }
  }
}

journey request_on_messenger_for_sms {
  entry on messenger_message
  stage a {
    request consent sms marketing via m_optin timeout 1h {
      granted => send promo
      declined => goto a
      timeout => exit
    }
  }
}

journey marketing_inside_business_hours {
  entry on messenger_message
  stage a {
    if within business_hours {
      if consent(sms, marketing) { send promo; send promo }
      send m_hello
    }
    exit
  }
}

journey entered_on_an_email_unsubscribe {
  entry on email_unsubscribe
  audience consent(sms, marketing)
  stage a {
    request consent sms marketing via optin timeout 1h {
      granted => send promo
      declined => exit
      timeout => exit
    }
  }
}

journey split_then_business_hours {
  entry on messenger_message
  stage a {
    split { 50% => wait 2h
      50% => { if within business_hours { send m_hello } } }
    if within business_hours { if consent(messenger, marketing) { send m_promo } }
    send m_hello
  }
}

journey handoff_inside_business_hours {
  entry on messenger_message
  stage a {
    if within business_hours {
      handoff "x" timeout 1h { resolved => { if consent(sms, marketing) { send promo } }
        timeout => exit }
    }
  }
}

journey request_inside_business_hours {
  entry on messenger_message
  stage a {
    if within business_hours {
      request consent sms marketing via m_optin timeout 1h { granted => send promo
        declined => exit
        timeout => exit }
    }
  }
}

journey negated_business_hours {
  entry on messenger_message
  stage a {
    if not within business_hours { exit } else { if consent(sms, marketing) { send promo } }
  }
}

journey business_hours_then_a_wait {
  entry on messenger_message
  stage a {
    if within business_hours and consent(sms, marketing) { send promo; wait 1h; send m_hello; send promo }
  }
}

journey split_with_a_wait_inside_hours {
  entry on messenger_message
  stage a {
    if within business_hours {
      split { 50% => wait 1h
        50% => track "x" }
      if consent(sms, marketing) { send promo }
    }
  }
}

journey held_and_unheld_arms {
  entry on messenger_message
  stage a {
    if consent(messenger, marketing) {
      if within business_hours { send m_promo } else { send m_promo }
      wait 10h
      send m_hello
    }
  }
}

journey ask_answered_or_timed_out {
  entry on messenger_message
  stage a {
    ask m_q timeout 5h { yes => wait 1h
      timeout => goto b }
    wait 2h
    send m_hello
  }
  stage b {
    wait 3h
    send m_hello
  }
}

journey loop_through_answers {
  entry on messenger_message
  stage a {
    send m_hello
    wait 1h
    ask m_q timeout 2h { yes => goto a
      timeout => exit }
  }
}

journey marketing_loop_every_four_days {
  entry on messenger_message
  audience consent(sms, marketing)
  stage a {
    send promo
    wait for messenger_message within 4d { messenger_message => exit
      timeout => goto a }
  }
}

journey request_granted_then_waits {
  entry on messenger_message
  stage a {
    request consent messenger marketing via m_optin timeout 2h {
      granted => { wait 1h; send m_promo }
      declined => send m_hello
      timeout => exit
    }
    wait 1h
    send m_hello
  }
}"#;

/// A project held in memory: path to text. The standard library is built into the compiler.
struct Memory(BTreeMap<String, String>);

impl SourceLoader for Memory {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        self.0.get(path.as_str()).map(|text| text.as_bytes().to_vec()).ok_or(LoadError::NotFound)
    }
}

#[test]
fn journeys_written_at_the_edges_of_the_rules_get_records_that_claim_no_more_than_their_graphs_prove() {
    let memory = Memory([("probes.journey".to_owned(), PROBES.to_owned())].into_iter().collect());
    let report = check_project(&[ProjectPath::new("probes.journey").unwrap()], &memory);
    let diagnostics: Vec<String> = report.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    assert!(
        report.diagnostics.iter().all(|d| d.severity != Severity::Error),
        "the probes do not check: {diagnostics:#?}"
    );
    assert!(report.flow.inconclusive.is_empty());
    let mut tally = Tally::default();
    for (_, text) in bundle::emit(&report, bundle::Options::default()) {
        check_bundle("probes", &serde_json::from_str(&text).unwrap(), &mut tally);
    }
    assert_eq!(tally.bundles, 17);
    assert!(tally.never_held >= 4 && tally.quiet_hours >= 8 && tally.window_bound >= 15, "{tally:?}");
    assert!(tally.violations.is_empty(), "records claim more than was proved:\n{}", tally.violations.join("\n"));
}
