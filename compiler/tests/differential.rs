//! An independent checker for the checker: random small journeys are generated as source text
//! together with a model of their flow of our own, the verdict is worked out by brute force over
//! that model (every reachable state of every path, not a dataflow fixpoint), and the compiler's
//! J04xx findings must agree with it.
//!
//! - Without loops the analyses are exact (their transfers distribute over joins), so the set of
//!   (class, message) the compiler reports must EQUAL the brute-force set: a finding the brute
//!   force lacks is a false alarm, one it misses an unsound "ok".
//! - With loops the brute force is still exact here (its states are finite and ordered, see
//!   `State`), but the analyses widen, so only soundness is required: every brute-force finding
//!   must be reported; extra findings are counted, not failed.
//! - A journey in which the brute force finds a violation never gets a clean verdict.
//!
//! The semantics are the TARGET semantics of docs/analyses.md ("How the analyses are tested"):
//! consent revoked by opt-outs and SMS answers, a window per opener (24h or the ad reply's 7d),
//! quiet-hour holds of the quiet period plus 2h for a backward clock change, WhatsApp templates
//! needing consent outside the window, J0407 counted as a window violation, and a cap of 0 meaning
//! no marketing at all. The "Regressions" at the end are minimal journeys on which the compiler
//! disagreed, each with the verdict it must give.
//!
//! `JOURNEY_DIFF_CASES=5000 cargo test -p journey-compiler --test differential` runs a longer
//! search (default 1,000 cases); `JOURNEY_DIFF_SEED` moves the sequence of cases.

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_compiler::{check_project, ProjectReport, Severity};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};

// ---------------------------------------------------------------------------------------------
// The model: what the generator builds, and prints as source text.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Channel {
    Sms,
    Messenger,
    Whatsapp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Category {
    Service,
    Utility,
    Marketing,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Messenger => "messenger",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

impl Category {
    fn name(self) -> &'static str {
        match self {
            Category::Service => "service",
            Category::Utility => "utility",
            Category::Marketing => "marketing",
        }
    }
}

/// What a message is used for: a plain `send`, the question of an `ask` (one reply, `yes`) or
/// the message of a `request consent` (replies `granted` and `declined` on messenger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Send,
    Ask,
    OptIn,
}

#[derive(Debug, Clone)]
struct Message {
    channel: Channel,
    category: Category,
    used_as: Use,
}

impl Message {
    /// WhatsApp utility and marketing messages are templates; everything else is free-form.
    fn is_template(&self) -> bool {
        self.channel == Channel::Whatsapp && self.category != Category::Service
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    None,
    MessengerMessage,
    AdReply,
    /// A comment on a Facebook Page post: one private reply within 7 days (MSGR-PR).
    Comment,
    /// `entry every day 09:00 recipient`: opens no window, carries no consent.
    Schedule,
    /// `entry when joins sms_ok`, `segment sms_ok = consent(sms, marketing)`: the consent holds.
    JoinsSmsOk,
    /// `entry when joins plain`, a segment that implies no consent.
    JoinsPlain,
}

type Block = Vec<Step>;

/// A step. Message fields are indices into `Journey::messages`; hours are whole hours.
#[derive(Debug, Clone)]
enum Step {
    Send(usize),
    Wait(u32),
    /// `ask M retries R timeout T { yes => ..., other => ..., timeout => ... }`: `other` (an
    /// answer that matches no reply) is written when `other` is `Some`, always when `retries > 0`.
    Ask {
        message: usize,
        timeout: u32,
        retries: u32,
        yes: Block,
        other: Option<Block>,
        timeout_arm: Block,
    },
    WaitMessage {
        within: u32,
        event: Block,
        timeout_arm: Block,
    },
    WaitOptOut {
        within: u32,
        event: Block,
    },
    IfConsent {
        then: Block,
        otherwise: Block,
    },
    RequestConsent {
        message: usize,
        timeout: u32,
        granted: Block,
        declined: Block,
        timeout_arm: Block,
    },
    /// `revoke consent sms marketing`.
    Revoke,
    Split(Vec<Block>),
    Goto(usize),
    Exit,
}

impl Step {
    fn arms(&self) -> Vec<&Block> {
        match self {
            Step::Ask { yes, timeout_arm, other, .. } => {
                let mut arms = vec![yes, timeout_arm];
                arms.extend(other.as_ref());
                arms
            }
            Step::WaitMessage { event, timeout_arm, .. } => vec![event, timeout_arm],
            Step::WaitOptOut { event, .. } => vec![event],
            Step::IfConsent { then, otherwise } => vec![then, otherwise],
            Step::RequestConsent { granted, declined, timeout_arm, .. } => vec![granted, declined, timeout_arm],
            Step::Split(arms) => arms.iter().collect(),
            _ => Vec::new(),
        }
    }

    fn arms_mut(&mut self) -> Vec<&mut Block> {
        match self {
            Step::Ask { yes, timeout_arm, other, .. } => {
                let mut arms = vec![yes, timeout_arm];
                arms.extend(other.as_mut());
                arms
            }
            Step::WaitMessage { event, timeout_arm, .. } => vec![event, timeout_arm],
            Step::WaitOptOut { event, .. } => vec![event],
            Step::IfConsent { then, otherwise } => vec![then, otherwise],
            Step::RequestConsent { granted, declined, timeout_arm, .. } => vec![granted, declined, timeout_arm],
            Step::Split(arms) => arms.iter_mut().collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct Journey {
    entry: Entry,
    audience: bool,
    /// `frequency marketing at most K per D days`.
    cap: Option<(u32, u32)>,
    /// The cap counts only this channel's sends (`frequency sms marketing ...`).
    cap_channel: Option<Channel>,
    messages: Vec<Message>,
    stages: Vec<Block>,
}

// ---------------------------------------------------------------------------------------------
// The generator.

const WAITS: [u32; 11] = [1, 2, 3, 4, 6, 8, 12, 20, 24, 48, 72];
const TIMEOUTS: [u32; 9] = [1, 2, 4, 8, 12, 20, 24, 36, 48];

struct Generator<'r> {
    rng: &'r mut TestRng,
    messages: Vec<Message>,
    stages: usize,
}

impl Generator<'_> {
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.random_range(0..from.len())]
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100) < percent
    }

    fn message(&mut self, message: Message) -> usize {
        self.messages.push(message);
        self.messages.len() - 1
    }

    fn send_message(&mut self) -> usize {
        let roll = self.rng.random_range(0..100);
        let channel = if roll < 45 {
            Channel::Sms
        } else if roll < 94 {
            Channel::Messenger
        } else {
            Channel::Whatsapp
        };
        let category = self.pick(&[Category::Service, Category::Utility, Category::Marketing, Category::Marketing]);
        self.message(Message { channel, category, used_as: Use::Send })
    }

    /// A block of 1..=`max` steps at `depth` (0: a stage body). Only the last step may be a
    /// `goto` or `exit`, so no step is unreachable by construction.
    fn block(&mut self, stage: usize, depth: u32, max: usize) -> Block {
        let len = self.rng.random_range(1..=max);
        let mut steps = Vec::new();
        for i in 0..len {
            let last = i + 1 == len;
            steps.push(self.step(stage, depth, last));
        }
        steps
    }

    fn step(&mut self, stage: usize, depth: u32, last: bool) -> Step {
        let compound = depth < 2;
        loop {
            let roll = self.rng.random_range(0..100);
            let step = match roll {
                0..=29 => Step::Send(self.send_message()),
                30..=41 => Step::Wait(self.pick(&WAITS)),
                42..=49 if compound => {
                    let message = self.message(Message {
                        channel: Channel::Messenger,
                        category: Category::Service,
                        used_as: Use::Ask,
                    });
                    let timeout = self.pick(&TIMEOUTS);
                    // Re-asks are sends: up to two, each needing the window, consent and caps.
                    let retries = self.pick(&[0, 0, 1, 2]);
                    let other =
                        (retries > 0 || self.rng.random_range(0..3) == 0).then(|| self.block(stage, depth + 1, 2));
                    Step::Ask {
                        message,
                        timeout,
                        retries,
                        yes: self.block(stage, depth + 1, 2),
                        other,
                        timeout_arm: self.block(stage, depth + 1, 2),
                    }
                }
                50..=56 if compound => Step::WaitMessage {
                    within: self.pick(&TIMEOUTS),
                    event: self.block(stage, depth + 1, 2),
                    timeout_arm: self.block(stage, depth + 1, 2),
                },
                57..=61 if compound => {
                    Step::WaitOptOut { within: self.pick(&TIMEOUTS), event: self.block(stage, depth + 1, 2) }
                }
                62..=70 if compound => Step::IfConsent {
                    then: self.block(stage, depth + 1, 2),
                    otherwise: self.block(stage, depth + 1, 2),
                },
                71..=77 if compound => {
                    // Mostly on messenger (a reply opens its window); sometimes on SMS, where any
                    // answer may be STOP.
                    let channel = if self.chance(80) { Channel::Messenger } else { Channel::Sms };
                    let message = self.message(Message { channel, category: Category::Service, used_as: Use::OptIn });
                    Step::RequestConsent {
                        message,
                        timeout: self.pick(&TIMEOUTS),
                        granted: self.block(stage, depth + 1, 2),
                        declined: self.block(stage, depth + 1, 2),
                        timeout_arm: self.block(stage, depth + 1, 2),
                    }
                }
                78..=85 if compound => {
                    // Wide splits (10 arms) meet at more than 8 arms: a join, not a loop.
                    // Their arms mostly wait longer and longer, so the state where they meet
                    // grows with every arm, as a loop's does.
                    let arms = self.pick(&[2, 2, 3, 10]);
                    if arms > 3 {
                        Step::Split(
                            (1..=arms)
                                .map(|i| if self.chance(70) { vec![Step::Wait(i)] } else { self.block(stage, 2, 1) })
                                .collect(),
                        )
                    } else {
                        Step::Split((0..arms).map(|_| self.block(stage, depth + 1, 2)).collect())
                    }
                }
                // Mostly forward; a goto to this stage or an earlier one makes a loop.
                86..=89 if last && self.stages > 1 => {
                    let forward = stage + 1 < self.stages && self.chance(60);
                    Step::Goto(if forward {
                        self.rng.random_range(stage + 1..self.stages)
                    } else {
                        self.rng.random_range(0..=stage)
                    })
                }
                90..=95 if last => Step::Exit,
                96..=99 => Step::Revoke,
                _ => continue,
            };
            return step;
        }
    }
}

fn generate(rng: &mut TestRng) -> Journey {
    let stages = rng.random_range(1..=4);
    let mut generator = Generator { rng, messages: Vec::new(), stages };
    let entry = generator.pick(&[
        Entry::None,
        Entry::MessengerMessage,
        Entry::MessengerMessage,
        Entry::AdReply,
        Entry::Comment,
        Entry::Schedule,
        Entry::JoinsSmsOk,
        Entry::JoinsPlain,
    ]);
    let audience = generator.chance(40);
    let cap =
        if generator.chance(60) { Some((generator.pick(&[0, 1, 1, 2, 2]), generator.pick(&[1, 2, 3]))) } else { None };
    let cap_channel = if cap.is_some() && generator.chance(40) {
        Some(generator.pick(&[Channel::Sms, Channel::Sms, Channel::Messenger]))
    } else {
        None
    };
    let bodies = (0..stages).map(|stage| generator.block(stage, 0, 5)).collect();
    Journey { entry, audience, cap, cap_channel, messages: generator.messages, stages: bodies }
}

// ---------------------------------------------------------------------------------------------
// Source text.

fn message_name(index: usize, message: &Message) -> String {
    match message.used_as {
        Use::Send => format!("m{index}"),
        Use::Ask => format!("q{index}"),
        Use::OptIn => format!("o{index}"),
    }
}

fn used_messages(journey: &Journey) -> BTreeSet<usize> {
    fn walk(block: &Block, used: &mut BTreeSet<usize>) {
        for step in block {
            match step {
                Step::Send(m) | Step::Ask { message: m, .. } | Step::RequestConsent { message: m, .. } => {
                    used.insert(*m);
                }
                _ => {}
            }
            for arm in step.arms() {
                walk(arm, used);
            }
        }
    }
    let mut used = BTreeSet::new();
    for stage in &journey.stages {
        walk(stage, &mut used);
    }
    used
}

fn source(journey: &Journey) -> String {
    let mut text = String::from(
        "import \"std/channels\"\nimport \"std/events\"\n\nprofile {\n  timezone: timezone\n}\n\npolicy {\n",
    );
    text.push_str("  quiet_hours 21:00..08:00 recipient\n  jurisdiction \"US\"\n");
    if let Some((k, d)) = journey.cap {
        let channel = journey.cap_channel.map(|c| format!("{} ", c.name())).unwrap_or_default();
        writeln!(text, "  frequency {channel}marketing at most {k} per {d}d").unwrap();
    }
    text.push_str("}\n\nevent signed_up {}\n");
    match journey.entry {
        Entry::JoinsSmsOk => text.push_str("\nsegment sms_ok = consent(sms, marketing)\n"),
        Entry::JoinsPlain => text.push_str("\nsegment plain = not consent(email, marketing)\n"),
        _ => {}
    }
    for index in used_messages(journey) {
        let message = &journey.messages[index];
        let name = message_name(index, message);
        writeln!(text, "\nmessage {name} on {} as {} {{", message.channel.name(), message.category.name()).unwrap();
        match message.used_as {
            Use::Ask => writeln!(text, "  text \"Question {name}?\"\n  reply \"Yes\" -> yes").unwrap(),
            Use::OptIn if message.channel == Channel::Messenger => writeln!(
                text,
                "  text \"News by text, {name}?\"\n  reply \"Yes\" -> granted\n  reply \"No\" -> declined"
            )
            .unwrap(),
            Use::OptIn => writeln!(text, "  text \"Reply YES for news by text, {name}\"").unwrap(),
            Use::Send if message.is_template() => writeln!(text, "  template \"{name}\" lang \"en_US\"").unwrap(),
            Use::Send if message.channel == Channel::Sms && message.category == Category::Marketing => {
                writeln!(text, "  text \"Deal {name}. Reply STOP to opt out\"").unwrap()
            }
            Use::Send => writeln!(text, "  text \"Hello {name}\"").unwrap(),
        }
        text.push_str("}\n");
    }
    text.push_str("\njourney j {\n");
    match journey.entry {
        Entry::None => text.push_str("  entry on signed_up\n  reentry never\n"),
        Entry::MessengerMessage => text.push_str("  entry on messenger_message\n  reentry never\n"),
        Entry::AdReply => text.push_str("  entry on messenger_ad_reply\n  reentry never\n"),
        Entry::Comment => text.push_str("  entry on facebook_comment\n  reentry never\n"),
        Entry::Schedule => text.push_str("  entry every day 09:00 recipient\n  reentry never\n"),
        Entry::JoinsSmsOk => text.push_str("  entry when joins sms_ok\n  reentry never\n"),
        Entry::JoinsPlain => text.push_str("  entry when joins plain\n  reentry never\n"),
    }
    if journey.audience {
        text.push_str("  audience consent(sms, marketing)\n");
    }
    for (i, stage) in journey.stages.iter().enumerate() {
        writeln!(text, "\n  stage s{i} {{").unwrap();
        write_block(journey, stage, 2, &mut text);
        text.push_str("  }\n");
    }
    text.push_str("}\n");
    text
}

fn write_block(journey: &Journey, block: &Block, indent: usize, text: &mut String) {
    for step in block {
        write_step(journey, step, indent, text);
    }
}

fn write_arm(journey: &Journey, label: &str, block: &Block, indent: usize, text: &mut String) {
    let pad = "  ".repeat(indent);
    writeln!(text, "{pad}{label} => {{").unwrap();
    write_block(journey, block, indent + 1, text);
    writeln!(text, "{pad}}}").unwrap();
}

fn write_step(journey: &Journey, step: &Step, indent: usize, text: &mut String) {
    let pad = "  ".repeat(indent);
    let name = |m: usize| message_name(m, &journey.messages[m]);
    match step {
        Step::Send(m) => writeln!(text, "{pad}send {}", name(*m)).unwrap(),
        Step::Wait(h) => writeln!(text, "{pad}wait {h}h").unwrap(),
        Step::Ask { message, timeout, retries, yes, other, timeout_arm } => {
            let retries = if *retries > 0 { format!(" retries {retries}") } else { String::new() };
            writeln!(text, "{pad}ask {}{retries} timeout {timeout}h {{", name(*message)).unwrap();
            write_arm(journey, "yes", yes, indent + 1, text);
            if let Some(other) = other {
                write_arm(journey, "other", other, indent + 1, text);
            }
            write_arm(journey, "timeout", timeout_arm, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        Step::WaitMessage { within, event, timeout_arm } => {
            writeln!(text, "{pad}wait for messenger_message within {within}h {{").unwrap();
            write_arm(journey, "messenger_message", event, indent + 1, text);
            write_arm(journey, "timeout", timeout_arm, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        Step::WaitOptOut { within, event } => {
            writeln!(text, "{pad}wait for sms_opt_out within {within}h {{").unwrap();
            write_arm(journey, "sms_opt_out", event, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        Step::IfConsent { then, otherwise } => {
            writeln!(text, "{pad}if consent(sms, marketing) {{").unwrap();
            write_block(journey, then, indent + 1, text);
            writeln!(text, "{pad}}} else {{").unwrap();
            write_block(journey, otherwise, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        Step::RequestConsent { message, timeout, granted, declined, timeout_arm } => {
            writeln!(text, "{pad}request consent sms marketing via {} timeout {timeout}h {{", name(*message)).unwrap();
            write_arm(journey, "granted", granted, indent + 1, text);
            write_arm(journey, "declined", declined, indent + 1, text);
            write_arm(journey, "timeout", timeout_arm, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        Step::Split(arms) => {
            let share = 100 / arms.len();
            writeln!(text, "{pad}split {{").unwrap();
            for (i, arm) in arms.iter().enumerate() {
                let this = if i == 0 { 100 - share * (arms.len() - 1) } else { share };
                write_arm(journey, &format!("{this}%"), arm, indent + 1, text);
            }
            writeln!(text, "{pad}}}").unwrap();
        }
        Step::Goto(stage) => writeln!(text, "{pad}goto s{stage}").unwrap(),
        Step::Exit => writeln!(text, "{pad}exit").unwrap(),
        Step::Revoke => writeln!(text, "{pad}revoke consent sms marketing").unwrap(),
    }
}

// ---------------------------------------------------------------------------------------------
// Brute force over our own flow model.

/// The classes of finding compared. J0402 and J0407 are one class: a free-form send that may go
/// out after its window closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Class {
    Consent,
    Window,
    Frequency,
}

/// The longest quiet-hour hold: 21:00..08:00 is 11 hours, plus 2 hours for the longest backward
/// clock change in the time-zone database (Antarctica/Troll).
const HOLD: u32 = 11 + 2;
const DAY: u32 = 24;
const MESSENGER_WINDOW: u32 = 24;
const AD_REPLY_WINDOW: u32 = 7 * DAY;
/// Elapsed times are kept up to this: beyond the longest window, every free-form send is outside
/// until the next inbound message, so larger values give the same verdicts (and the state space
/// stays finite, so loops are explored completely, not only unrolled a few times).
const ELAPSED_CAP: u32 = AD_REPLY_WINDOW + 1;

#[derive(Debug, Clone, Copy)]
enum Target {
    Node(usize),
    Stage(usize),
    Exit,
}

#[derive(Debug, Clone)]
struct Edge {
    to: Target,
    /// Least and greatest hours the edge can take.
    min: u32,
    max: u32,
    /// The contact may have revoked every SMS consent (STOP) on this edge.
    revoke: bool,
    /// (sms, marketing) consent holds after this edge.
    grant: bool,
    /// The contact wrote on messenger at the end of this edge, opening a window of this length.
    open: Option<u32>,
}

impl Edge {
    fn after(to: Target, min: u32, max: u32) -> Edge {
        Edge { to, min, max, revoke: false, grant: false, open: None }
    }
}

#[derive(Debug)]
enum Instr {
    Send { message: usize, next: Target },
    Branch(Vec<Edge>),
}

struct Program {
    instrs: Vec<Instr>,
    stage_starts: Vec<Target>,
}

impl Program {
    fn new(journey: &Journey) -> Program {
        let mut program = Program { instrs: Vec::new(), stage_starts: Vec::new() };
        let count = journey.stages.len();
        let mut starts = Vec::new();
        for (i, stage) in journey.stages.iter().enumerate() {
            let cont = if i + 1 < count { Target::Stage(i + 1) } else { Target::Exit };
            starts.push(program.block(journey, stage, cont));
        }
        program.stage_starts = starts;
        program
    }

    fn push(&mut self, instr: Instr) -> Target {
        self.instrs.push(instr);
        Target::Node(self.instrs.len() - 1)
    }

    fn block(&mut self, journey: &Journey, block: &Block, cont: Target) -> Target {
        let mut next = cont;
        for step in block.iter().rev() {
            next = self.step(journey, step, next);
        }
        next
    }

    fn step(&mut self, journey: &Journey, step: &Step, cont: Target) -> Target {
        match step {
            Step::Send(message) => self.push(Instr::Send { message: *message, next: cont }),
            Step::Wait(h) => self.push(Instr::Branch(vec![Edge::after(cont, *h, *h)])),
            Step::Ask { message, timeout, retries, yes, other, timeout_arm } => {
                let on_sms = journey.messages[*message].channel == Channel::Sms;
                let open = (journey.messages[*message].channel == Channel::Messenger).then_some(MESSENGER_WINDOW);
                let yes = self.block(journey, yes, cont);
                let late = self.block(journey, timeout_arm, cont);
                // An answer that matches no reply: the next asking, and after the last one the
                // `other` arm (docs/bundle.md §3); without an `other` arm it is no answer.
                let mut unmatched = other.as_ref().map(|other| self.block(journey, other, cont));
                let mut start = cont;
                for _ in 0..=*retries {
                    let mut edges = vec![
                        Edge { revoke: on_sms, open, ..Edge::after(yes, 0, *timeout) },
                        Edge { revoke: on_sms, ..Edge::after(late, *timeout, *timeout) },
                    ];
                    if let Some(target) = unmatched {
                        edges.push(Edge { revoke: on_sms, open, ..Edge::after(target, 0, *timeout) });
                    }
                    let wait = self.push(Instr::Branch(edges));
                    start = self.push(Instr::Send { message: *message, next: wait });
                    unmatched = Some(start);
                }
                start
            }
            Step::WaitMessage { within, event, timeout_arm } => {
                let event = self.block(journey, event, cont);
                let late = self.block(journey, timeout_arm, cont);
                self.push(Instr::Branch(vec![
                    Edge { open: Some(MESSENGER_WINDOW), ..Edge::after(event, 0, *within) },
                    Edge::after(late, *within, *within),
                ]))
            }
            Step::WaitOptOut { within, event } => {
                let event = self.block(journey, event, cont);
                self.push(Instr::Branch(vec![
                    Edge { revoke: true, ..Edge::after(event, 0, *within) },
                    Edge::after(cont, *within, *within),
                ]))
            }
            Step::IfConsent { then, otherwise } => {
                let then = self.block(journey, then, cont);
                let otherwise = self.block(journey, otherwise, cont);
                self.push(Instr::Branch(vec![
                    Edge { grant: true, ..Edge::after(then, 0, 0) },
                    Edge::after(otherwise, 0, 0),
                ]))
            }
            Step::RequestConsent { message, timeout, granted, declined, timeout_arm } => {
                let channel = journey.messages[*message].channel;
                let on_sms = channel == Channel::Sms;
                let open = (channel == Channel::Messenger).then_some(MESSENGER_WINDOW);
                let granted = self.block(journey, granted, cont);
                let declined = self.block(journey, declined, cont);
                let late = self.block(journey, timeout_arm, cont);
                let wait = self.push(Instr::Branch(vec![
                    Edge { revoke: on_sms, grant: true, open, ..Edge::after(granted, 0, *timeout) },
                    Edge { revoke: true, open, ..Edge::after(declined, 0, *timeout) },
                    Edge { revoke: on_sms, ..Edge::after(late, *timeout, *timeout) },
                ]));
                self.push(Instr::Send { message: *message, next: wait })
            }
            Step::Split(arms) => {
                let edges = arms.iter().map(|arm| Edge::after(self.block(journey, arm, cont), 0, 0)).collect();
                self.push(Instr::Branch(edges))
            }
            Step::Goto(stage) => Target::Stage(*stage),
            Step::Exit => Target::Exit,
            Step::Revoke => self.push(Instr::Branch(vec![Edge { revoke: true, ..Edge::after(cont, 0, 0) }])),
        }
    }

    /// The node a target leads to, or `None` for the journey's exit.
    fn resolve(&self, mut target: Target) -> Option<usize> {
        for _ in 0..=self.stage_starts.len() {
            match target {
                Target::Node(i) => return Some(i),
                Target::Exit => return None,
                Target::Stage(s) => target = self.stage_starts[s],
            }
        }
        None // a cycle of empty stages; the generator makes none
    }

    fn successors(&self, node: usize) -> Vec<Target> {
        match &self.instrs[node] {
            Instr::Send { next, .. } => vec![*next],
            Instr::Branch(edges) => edges.iter().map(|e| e.to).collect(),
        }
    }

    /// Whether a cycle is reachable from the start.
    fn has_loop(&self) -> bool {
        fn visit(program: &Program, node: usize, colour: &mut [u8]) -> bool {
            colour[node] = 1;
            for target in program.successors(node) {
                if let Some(next) = program.resolve(target) {
                    if colour[next] == 1 || (colour[next] == 0 && visit(program, next, colour)) {
                        return true;
                    }
                }
            }
            colour[node] = 2;
            false
        }
        let mut colour = vec![0u8; self.instrs.len()];
        self.resolve(Target::Stage(0)).is_some_and(|start| visit(self, start, &mut colour))
    }
}

/// What holds at a point of a path. Finite: elapsed times are capped, and a send at least `D`
/// ago can never count again, so it is forgotten.
///
/// States are ordered by how bad they are (`at_least_as_bad_as`): no consent, a longer time since
/// the contact wrote in a window no longer, more and more recent marketing sends. Every step is
/// monotone in that order (adding time, opening a window, revoking, granting and sending treat a
/// worse state no better), and so is every check, so whatever a state can lead to, a worse state
/// at the same node leads to as well: exploring only the worst states at each node finds exactly
/// the findings of all of them. This keeps loops cheap without unrolling them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    /// consent(sms, marketing) was established and not revoked since.
    sms_consent: bool,
    /// The greatest time since the contact last wrote on messenger, and the window that message
    /// opened; `None`: never wrote.
    messenger: Option<(u32, u32)>,
    /// That window allows one message (a comment's private reply): the next messenger send uses
    /// it up, and the contact counts as never having written until they write again.
    single: bool,
    /// The least time since each of the last K marketing sends less than D ago, newest first.
    recent: Vec<u32>,
}

/// Which semantics the brute force implements. The test uses `TARGET`; `MAIN` has the gaps the
/// checker on main is known to have, and serves only to tell known disagreements from new ones
/// in the report (a disagreement the `MAIN` brute force shares is new).
#[derive(Debug, Clone, Copy)]
struct Semantics {
    /// SMS answers, opt-outs and declined requests revoke consent.
    revocation: bool,
    /// The longest quiet-hour hold.
    hold: u32,
    /// WhatsApp utility templates need consent outside the window, like marketing.
    utility_template_consent: bool,
    /// `at most 0` forbids every marketing send (otherwise the rule is ignored).
    cap_zero: bool,
}

const TARGET: Semantics = Semantics { revocation: true, hold: HOLD, utility_template_consent: true, cap_zero: true };
const MAIN: Semantics = Semantics { revocation: false, hold: 11, utility_template_consent: false, cap_zero: false };

impl State {
    fn at_least_as_bad_as(&self, other: &State) -> bool {
        let consent = !self.sms_consent || other.sms_consent;
        let window = match (self.messenger, other.messenger) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some((elapsed, length)), Some((other_elapsed, other_length))) => {
                elapsed >= other_elapsed && length <= other_length && (self.single || !other.single)
            }
        };
        let recent = self.recent.len() >= other.recent.len()
            && self.recent.iter().zip(&other.recent).all(|(since, other_since)| since <= other_since);
        consent && window && recent
    }
}

struct BruteForce {
    findings: BTreeSet<(Class, String)>,
    states: usize,
}

fn brute_force(journey: &Journey, program: &Program, semantics: Semantics) -> BruteForce {
    let opened = match journey.entry {
        Entry::None | Entry::Schedule | Entry::JoinsSmsOk | Entry::JoinsPlain => None,
        Entry::MessengerMessage => Some((0, MESSENGER_WINDOW)),
        Entry::AdReply | Entry::Comment => Some((0, AD_REPLY_WINDOW)),
    };
    let single = journey.entry == Entry::Comment;
    let sms_consent = journey.audience || journey.entry == Entry::JoinsSmsOk;
    let start = State { sms_consent, messenger: opened, single, recent: Vec::new() };
    let (cap, per) = journey
        .cap
        .filter(|(k, _)| *k > 0 || semantics.cap_zero)
        .map_or((None, 0), |(k, d)| (Some(k as usize), d * DAY));
    let forget = |recent: &mut Vec<u32>| {
        recent.retain(|since| *since < per);
        if let Some(k) = cap {
            recent.truncate(k);
        }
    };
    let mut findings = BTreeSet::new();
    // Per node, the states explored there that no other explored state is at least as bad as.
    let mut seen: Vec<Vec<State>> = vec![Vec::new(); program.instrs.len()];
    let mut explored = 0usize;
    let mut stack = vec![(Target::Stage(0), start)];
    while let Some((target, state)) = stack.pop() {
        let Some(node) = program.resolve(target) else { continue };
        let here = &mut seen[node];
        if here.iter().any(|old| old.at_least_as_bad_as(&state)) {
            continue;
        }
        here.retain(|old| !state.at_least_as_bad_as(old));
        here.push(state.clone());
        explored += 1;
        assert!(explored < 1_000_000, "the brute force explores too many states; shrink the generator");
        match &program.instrs[node] {
            Instr::Send { message, next } => {
                let m = &journey.messages[*message];
                let name = message_name(*message, m);
                let marketing = m.category == Category::Marketing;
                let hold = if marketing { semantics.hold } else { 0 };
                // The window this send can be proved inside, counting its own hold.
                let window = match m.channel {
                    Channel::Messenger => state.messenger,
                    Channel::Whatsapp => None, // never opened by these journeys
                    Channel::Sms => None,
                };
                let inside = window.is_some_and(|(elapsed, length)| elapsed + hold <= length);
                if m.channel != Channel::Sms && !m.is_template() && !inside {
                    findings.insert((Class::Window, name.clone()));
                }
                let needs_consent = marketing || (m.is_template() && semantics.utility_template_consent);
                let consented = match m.channel {
                    Channel::Sms => state.sms_consent,
                    // consent(messenger, _) and consent(whatsapp, _) are never established here;
                    // messenger waives it for free-form marketing inside the window, WhatsApp
                    // needs none inside its (never opened) window.
                    Channel::Messenger => !m.is_template() && inside,
                    Channel::Whatsapp => inside,
                };
                if needs_consent && !consented {
                    findings.insert((Class::Consent, name.clone()));
                }
                let mut after = state.clone();
                if m.channel == Channel::Messenger && after.single {
                    after.messenger = None;
                    after.single = false;
                }
                if marketing {
                    // A channel's cap counts only that channel's sends.
                    let counted = journey.cap_channel.is_none_or(|c| c == m.channel);
                    if let Some(k) = cap.filter(|_| counted) {
                        if state.recent.len() >= k {
                            findings.insert((Class::Frequency, name));
                        }
                    }
                    if let Some((elapsed, _)) = &mut after.messenger {
                        *elapsed = (*elapsed + semantics.hold).min(ELAPSED_CAP);
                    }
                    if counted {
                        after.recent.insert(0, 0);
                        forget(&mut after.recent);
                    }
                }
                stack.push((*next, after));
            }
            Instr::Branch(edges) => {
                for edge in edges {
                    let mut after = state.clone();
                    if let Some((elapsed, _)) = &mut after.messenger {
                        *elapsed = (*elapsed + edge.max).min(ELAPSED_CAP);
                    }
                    for since in &mut after.recent {
                        *since += edge.min;
                    }
                    forget(&mut after.recent);
                    if edge.revoke && semantics.revocation {
                        after.sms_consent = false;
                    }
                    if edge.grant {
                        after.sms_consent = true;
                    }
                    if let Some(length) = edge.open {
                        after.messenger = Some((0, length));
                        after.single = false;
                    }
                    stack.push((edge.to, after));
                }
            }
        }
    }
    BruteForce { findings, states: explored }
}

// ---------------------------------------------------------------------------------------------
// The compiler's side.

/// A project held in memory: path to text. The standard library is built into the compiler.
struct Memory(BTreeMap<String, String>);

impl SourceLoader for Memory {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        self.0.get(path.as_str()).map(|text| text.as_bytes().to_vec()).ok_or(LoadError::NotFound)
    }
}

fn check_text(text: &str) -> ProjectReport {
    let memory = Memory([("main.journey".to_owned(), text.to_owned())].into_iter().collect());
    check_project(&[ProjectPath::new("main.journey").unwrap()], &memory)
}

/// What the compiler said, in the terms of the brute force.
#[derive(Debug, Default)]
struct Verdict {
    findings: BTreeSet<(Class, String)>,
    /// The diagnostics' messages behind each finding.
    messages: BTreeMap<(Class, String), Vec<String>>,
    /// J04xx diagnostics that are none of the compared classes or name no send (`code message`).
    unexpected: Vec<String>,
    /// Front-end errors (J01xx, J02xx, J03xx): the generator made an invalid file.
    invalid: Vec<String>,
    inconclusive: bool,
    /// No error at all: the journey would pass `journey check`.
    clean: bool,
}

/// The message a send step at `at` sends: `send M`, `ask M ...`, `request consent ... via M ...`.
fn sent_at(text: &str, at: usize) -> Option<String> {
    let rest = text.get(at..)?;
    let after = if let Some(rest) = rest.strip_prefix("send ").or_else(|| rest.strip_prefix("ask ")) {
        rest
    } else if rest.starts_with("request consent ") {
        let line = rest.lines().next()?;
        &line[line.find(" via ")? + 5..]
    } else {
        return None;
    };
    let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

fn verdict(text: &str) -> Verdict {
    let report = check_text(text);
    let mut verdict = Verdict {
        inconclusive: !report.flow.inconclusive.is_empty(),
        clean: report.diagnostics.iter().all(|d| d.severity != Severity::Error),
        ..Verdict::default()
    };
    for d in &report.diagnostics {
        let code = d.code.to_string();
        let described = format!("{code} {}", d.message);
        if code.starts_with("J01") || code.starts_with("J02") || code.starts_with("J03") {
            verdict.invalid.push(described);
            continue;
        }
        let class = match code.as_str() {
            "J0401" => Class::Consent,
            "J0402" | "J0407" => Class::Window,
            "J0409" => Class::Frequency,
            "J0413" => continue,
            c if c.starts_with("J04") => {
                verdict.unexpected.push(described);
                continue;
            }
            _ => continue, // J05xx: structure, not compared
        };
        match sent_at(text, d.primary.span.start()) {
            Some(name) => {
                verdict.findings.insert((class, name.clone()));
                verdict.messages.entry((class, name)).or_default().push(described);
            }
            None => verdict.unexpected.push(format!("{described} (at no send)")),
        }
    }
    verdict
}

// ---------------------------------------------------------------------------------------------
// Comparing, classifying and shrinking.

/// One kind of disagreement: enough to group cases, and to tell whether a smaller journey still
/// shows the same one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Disagreement {
    /// The brute force finds it, the compiler does not (an unsound "ok"). `known`: the brute
    /// force with main's known gaps (`MAIN`) does not find it either.
    Missed { known: bool, class: Class, channel: Channel, category: Category, looped: bool },
    /// The compiler finds it on a journey without loops, the brute force does not (a false alarm).
    /// `unbounded`: the compiler said the time since the last message before this send is
    /// unbounded (in any of its findings on it); `ad_reply`:
    /// the journey starts with a 7-day window.
    FalseAlarm { class: Class, channel: Channel, category: Category, unbounded: bool, ad_reply: bool },
    /// A violation, and yet no error: the journey passes the check. `known`: the checker reports
    /// every finding of the `MAIN` brute force (as warnings, J0407, when it passes).
    CleanVerdict { known: bool },
    /// Inconclusive on a journey without loops.
    Inconclusive,
    /// A J04xx diagnostic outside the compared classes, or at no send.
    Unexpected(String),
}

struct Outcome {
    disagreements: BTreeSet<Disagreement>,
    brute: BTreeSet<(Class, String)>,
    checker: Verdict,
    looped: bool,
    states: usize,
}

fn message_by_name<'j>(journey: &'j Journey, name: &str) -> Option<&'j Message> {
    journey.messages.iter().enumerate().find(|(i, m)| message_name(*i, m) == name).map(|(_, m)| m)
}

fn compare(journey: &Journey) -> Outcome {
    let text = source(journey);
    let program = Program::new(journey);
    let looped = program.has_loop();
    let brute = brute_force(journey, &program, TARGET);
    let main = brute_force(journey, &program, MAIN).findings;
    let checker = verdict(&text);
    assert!(checker.invalid.is_empty(), "the generator made an invalid journey:\n{text}\n{:#?}", checker.invalid);
    let mut disagreements = BTreeSet::new();
    let kind = |name: &str| {
        let m = message_by_name(journey, name).unwrap();
        (m.channel, m.category)
    };
    if !checker.inconclusive {
        for (class, name) in brute.findings.difference(&checker.findings) {
            let (channel, category) = kind(name);
            let known = !main.contains(&(*class, name.clone()));
            disagreements.insert(Disagreement::Missed { known, class: *class, channel, category, looped });
        }
    } else if !looped {
        disagreements.insert(Disagreement::Inconclusive);
    }
    if !looped {
        for (class, name) in checker.findings.difference(&brute.findings) {
            let (channel, category) = kind(name);
            let unbounded = checker
                .messages
                .iter()
                .any(|((_, sent), texts)| sent == name && texts.iter().any(|t| t.contains("unbounded")));
            let ad_reply = matches!(journey.entry, Entry::AdReply | Entry::Comment);
            disagreements.insert(Disagreement::FalseAlarm { class: *class, channel, category, unbounded, ad_reply });
        }
    }
    if !brute.findings.is_empty() && checker.clean {
        disagreements.insert(Disagreement::CleanVerdict { known: main.is_subset(&checker.findings) });
    }
    for unexpected in &checker.unexpected {
        // Group by code only; the message differs from case to case.
        disagreements.insert(Disagreement::Unexpected(unexpected.split(' ').next().unwrap_or("").to_owned()));
    }
    Outcome { disagreements, brute: brute.findings, checker, looped, states: brute.states }
}

/// Every journey one step simpler than `journey`.
fn simpler(journey: &Journey) -> Vec<Journey> {
    let mut out = Vec::new();
    // Fewer stages (a goto to a removed stage becomes an exit).
    if journey.stages.len() > 1 {
        for removed in 0..journey.stages.len() {
            let mut j = journey.clone();
            j.stages.remove(removed);
            for stage in &mut j.stages {
                retarget(stage, removed);
            }
            out.push(j);
        }
    }
    // Simpler header.
    if journey.audience {
        out.push(Journey { audience: false, ..journey.clone() });
    }
    if journey.entry != Entry::None {
        out.push(Journey { entry: Entry::None, ..journey.clone() });
    }
    if matches!(journey.entry, Entry::AdReply | Entry::Comment) {
        out.push(Journey { entry: Entry::MessengerMessage, ..journey.clone() });
    }
    if journey.cap.is_some() {
        out.push(Journey { cap: None, cap_channel: None, ..journey.clone() });
    }
    if journey.cap_channel.is_some() {
        out.push(Journey { cap_channel: None, ..journey.clone() });
    }
    // Fewer or simpler steps, anywhere.
    let paths = step_paths(journey);
    for path in &paths {
        let mut removed = journey.clone();
        let block = block_at(&mut removed, &path[..path.len() - 1]);
        let index = *path.last().unwrap();
        if block.len() > 1 {
            block.remove(index);
            out.push(removed);
        }
        let mut j = journey.clone();
        let block = block_at(&mut j, &path[..path.len() - 1]);
        let step = block[index].clone();
        if !matches!(step, Step::Wait(1)) {
            block[index] = Step::Wait(1);
            out.push(j);
        }
        for (arm_index, arm) in step.arms().into_iter().enumerate() {
            // The step replaced by one of its arms.
            let mut spliced = journey.clone();
            let block = block_at(&mut spliced, &path[..path.len() - 1]);
            block.splice(index..=index, arm.iter().cloned());
            if arm.iter().take(arm.len().saturating_sub(1)).all(|s| !matches!(s, Step::Goto(_) | Step::Exit))
                && block_ends_well(block)
            {
                out.push(spliced);
            }
            // A split with one arm fewer.
            if let Step::Split(arms) = &step {
                if arms.len() > 2 {
                    let mut fewer = journey.clone();
                    if let Step::Split(arms) = &mut block_at(&mut fewer, &path[..path.len() - 1])[index] {
                        arms.remove(arm_index);
                    }
                    out.push(fewer);
                }
            }
        }
        if let Step::Wait(h) | Step::Ask { timeout: h, .. } = &step {
            if *h > 1 {
                let mut shorter = journey.clone();
                match &mut block_at(&mut shorter, &path[..path.len() - 1])[index] {
                    Step::Wait(h) | Step::Ask { timeout: h, .. } => *h /= 2,
                    _ => unreachable!(),
                }
                out.push(shorter);
            }
        }
    }
    out
}

/// A goto or exit may only end a block.
fn block_ends_well(block: &Block) -> bool {
    block.iter().take(block.len().saturating_sub(1)).all(|s| !matches!(s, Step::Goto(_) | Step::Exit))
}

fn retarget(block: &mut Block, removed: usize) {
    for step in block.iter_mut() {
        if let Step::Goto(stage) = step {
            if *stage == removed {
                *step = Step::Exit;
            } else if *stage > removed {
                *stage -= 1;
            }
        }
        for arm in step.arms_mut() {
            retarget(arm, removed);
        }
    }
}

/// The path to every step: stage, then (step, arm) pairs, then the step's index.
fn step_paths(journey: &Journey) -> Vec<Vec<usize>> {
    fn walk(block: &Block, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        for (i, step) in block.iter().enumerate() {
            prefix.push(i);
            out.push(prefix.clone());
            for (a, arm) in step.arms().into_iter().enumerate() {
                prefix.push(a);
                walk(arm, prefix, out);
                prefix.pop();
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    for (s, stage) in journey.stages.iter().enumerate() {
        walk(stage, &mut vec![s], &mut out);
    }
    out
}

/// The block a step path (without its last index) leads to.
fn block_at<'j>(journey: &'j mut Journey, path: &[usize]) -> &'j mut Block {
    let mut block = &mut journey.stages[path[0]];
    for pair in path[1..].chunks(2) {
        block = block[pair[0]].arms_mut().into_iter().nth(pair[1]).unwrap();
    }
    block
}

/// The smallest journey found that still shows `disagreement`.
fn shrink(journey: &Journey, disagreement: &Disagreement) -> Journey {
    let mut best = journey.clone();
    'improve: loop {
        for candidate in simpler(&best) {
            if candidate.stages.iter().any(|s| s.is_empty() || !block_ends_well(s)) {
                continue;
            }
            if compare(&candidate).disagreements.contains(disagreement) {
                best = candidate;
                continue 'improve;
            }
        }
        return best;
    }
}

fn cases() -> u64 {
    std::env::var("JOURNEY_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

fn rng_for(case: u64) -> TestRng {
    let base: u64 = std::env::var("JOURNEY_DIFF_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(base ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes());
    seed[8..16].copy_from_slice(&case.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &seed)
}

fn describe(outcome: &Outcome) -> String {
    format!(
        "brute force: {:?}\nchecker:     {:?}{}{}",
        outcome.brute,
        outcome.checker.findings,
        if outcome.checker.clean { " (clean verdict)" } else { "" },
        if outcome.checker.inconclusive { " (inconclusive)" } else { "" },
    )
}

#[test]
fn the_checker_agrees_with_a_brute_force_over_every_path_of_random_journeys() {
    let total = cases();
    let started = std::time::Instant::now();
    let mut groups: BTreeMap<Disagreement, (usize, Journey)> = BTreeMap::new();
    let (mut looped, mut extra_on_loops, mut inconclusive_on_loops, mut with_findings, mut states) = (0, 0, 0, 0, 0);
    for case in 0..total {
        let journey = generate(&mut rng_for(case));
        let outcome = compare(&journey);
        states += outcome.states;
        with_findings += usize::from(!outcome.brute.is_empty());
        if outcome.looped {
            looped += 1;
            extra_on_loops += outcome.checker.findings.difference(&outcome.brute).count();
            inconclusive_on_loops += usize::from(outcome.checker.inconclusive);
        }
        for d in outcome.disagreements {
            groups.entry(d).or_insert_with(|| (0, journey.clone())).0 += 1;
        }
    }
    eprintln!(
        "{total} journeys in {:.1?} ({looped} with loops, {with_findings} with violations), {states} states explored; \
         on loops the checker reported {extra_on_loops} findings more than the brute force and was inconclusive \
         {inconclusive_on_loops} times",
        started.elapsed()
    );
    let mut report = String::new();
    for (d, (count, journey)) in &groups {
        let small = shrink(journey, d);
        let outcome = compare(&small);
        writeln!(
            report,
            "\n=== {d:?}: {count} of {total} journeys; smallest:\n{}{}",
            source(&small),
            describe(&outcome)
        )
        .unwrap();
    }
    eprintln!("{report}");
    assert!(groups.is_empty(), "{} kinds of disagreement between the checker and the brute force", groups.len());
}

// ---------------------------------------------------------------------------------------------
// Regressions: the smallest journeys on which the checker and the brute force disagreed, each
// with the verdict of the target semantics.

const PRELUDE: &str = r#"import "std/channels"
import "std/events"

event signed_up {}

message deal on sms as marketing {
  text "Acme: 20% off this week. Reply STOP to opt out"
}

message promo on messenger as marketing {
  text "This weekend only: 20% off trail shoes"
}

message note on messenger as utility {
  text "Your order is packed"
}

message optin on messenger as service {
  text "News by text?"
  reply "Yes" -> granted
  reply "No" -> declined
}

message sms_optin on sms as service {
  text "Reply YES for news by text"
}

message shipped on whatsapp as utility {
  template "order_shipped" lang "en_US"
}
"#;

const POLICY: &str =
    "profile {\n  timezone: timezone\n}\n\npolicy {\n  quiet_hours 21:00..08:00 recipient\n  jurisdiction \"US\"\n}\n";

/// Checks `PRELUDE`, `policy` and `journey` and asserts the findings are exactly `expected`, and
/// that a journey with a finding does not pass.
fn assert_target(policy: &str, journey: &str, expected: &[(Class, &str)]) {
    let text = format!("{PRELUDE}\n{policy}\n{journey}");
    let verdict = verdict(&text);
    assert!(verdict.invalid.is_empty() && verdict.unexpected.is_empty(), "{text}\n{verdict:#?}");
    let expected: BTreeSet<(Class, String)> = expected.iter().map(|(c, m)| (*c, (*m).to_owned())).collect();
    assert_eq!(verdict.findings, expected, "{text}\n{:#?}", verdict.messages);
    assert_eq!(
        verdict.clean,
        expected.is_empty(),
        "a journey passes exactly when it has no finding\n{text}\n{verdict:#?}"
    );
    assert!(!verdict.inconclusive, "{text}");
}

#[test]
fn a_marketing_sms_after_the_contact_may_have_opted_out_needs_consent_again() {
    let journey = "journey j {
  entry on signed_up
  audience consent(sms, marketing)

  stage s0 {
    wait for sms_opt_out within 2h {
      sms_opt_out => { wait 1h }
    }
    send deal
  }
}";
    assert_target(POLICY, journey, &[(Class::Consent, "deal")]);
}

#[test]
fn a_declined_consent_request_revokes_the_consent_the_audience_gave() {
    let journey = "journey j {
  entry on messenger_message
  audience consent(sms, marketing)

  stage s0 {
    request consent sms marketing via optin timeout 4h {
      granted => { exit }
      declined => { send deal }
      timeout => { exit }
    }
  }
}";
    assert_target(POLICY, journey, &[(Class::Consent, "deal")]);
}

#[test]
fn any_answer_to_a_request_sent_by_sms_may_be_stop() {
    let journey = "journey j {
  entry on signed_up
  audience consent(sms, marketing)

  stage s0 {
    request consent sms marketing via sms_optin timeout 4h {
      granted => { exit }
      declined => { exit }
      timeout => { send deal }
    }
  }
}";
    assert_target(POLICY, journey, &[(Class::Consent, "deal")]);
}

#[test]
fn a_quiet_hour_hold_is_eleven_hours_plus_two_for_a_clock_change() {
    // 12h after the contact's message, held up to 11h + 2h: 25h, past messenger's 24h, so the
    // promotion is neither inside the window nor waived from consent.
    let journey = "journey j {
  entry on messenger_message

  stage s0 {
    wait 12h
    send promo
  }
}";
    assert_target(POLICY, journey, &[(Class::Consent, "promo"), (Class::Window, "promo")]);
}

#[test]
fn two_held_marketing_sends_push_a_later_utility_message_past_the_window() {
    // promo and deal may each be held 13h: note goes out up to 26h after the contact wrote.
    let journey = "journey j {
  entry on messenger_message
  audience consent(sms, marketing)

  stage s0 {
    send promo
    send deal
    send note
  }
}";
    assert_target(POLICY, journey, &[(Class::Window, "note")]);
}

#[test]
fn a_whatsapp_utility_template_outside_the_window_needs_consent() {
    let journey = "journey j {
  entry on signed_up

  stage s0 {
    send shipped
  }
}";
    assert_target(POLICY, journey, &[(Class::Consent, "shipped")]);
}

#[test]
fn a_frequency_cap_of_zero_forbids_every_marketing_send() {
    let policy =
        POLICY.replace("  jurisdiction \"US\"\n", "  jurisdiction \"US\"\n  frequency marketing at most 0 per 1d\n");
    let journey = "journey j {
  entry on signed_up
  audience consent(sms, marketing)

  stage s0 {
    send deal
  }
}";
    assert_target(&policy, journey, &[(Class::Frequency, "deal")]);
}

#[test]
fn a_send_that_a_quiet_hour_hold_can_push_past_its_window_fails_the_check() {
    // tests/fixtures/diagnostics/J0407: inside the window only if not held. An error, not a
    // warning: the compliance record cannot prove the send inside its window.
    let journey = "journey j {
  entry on messenger_message

  stage s0 {
    wait 20h
    if consent(messenger, marketing) { send promo }
    exit
  }
}";
    assert_target(POLICY, journey, &[(Class::Window, "promo")]);
}

#[test]
fn each_opener_keeps_its_own_window_where_paths_meet() {
    // After the ad reply (7 days), either the contact wrote again (24h window, at most 1h ago)
    // or not (7-day window, 15h ago). 1h + 13h <= 24h and 15h + 13h <= 7d: inside on both paths;
    // only a join that pairs 15h with 24h makes a false alarm.
    let journey = "journey j {
  entry on messenger_ad_reply

  stage s0 {
    wait for messenger_message within 12h {
      messenger_message => { wait 1h }
      timeout => { wait 3h }
    }
    send promo
  }
}";
    assert_target(POLICY, journey, &[]);
}

#[test]
fn a_comment_allows_one_private_reply_and_an_answer_opens_the_ordinary_window() {
    // MSGR-PR: the first `note` uses the comment's single reply; the second has no window until
    // the contact writes. On the other arm the contact answered: 24h from the answer.
    let journey = "journey j {
  entry on facebook_comment

  stage s0 {
    send note
    wait for messenger_message within 2h {
      messenger_message => { send note }
      timeout => { send note }
    }
  }
}";
    let text = format!("{PRELUDE}\n{POLICY}\n{journey}");
    let verdict = verdict(&text);
    assert!(verdict.invalid.is_empty() && verdict.unexpected.is_empty(), "{text}\n{verdict:#?}");
    // Findings are per message name, so the three sends of `note` give one finding; the version
    // below without the timeout arm's send shows which send it is.
    assert_eq!(verdict.findings, BTreeSet::from([(Class::Window, "note".to_owned())]), "{:#?}", verdict.messages);
    assert!(!verdict.clean);
    let journey = journey.replace("timeout => { send note }", "timeout => { exit }");
    assert_target(POLICY, &journey, &[]);
}

#[test]
fn a_split_into_ten_arms_is_not_a_loop() {
    // The arms meet after at most 10h: no widening where paths meet without a cycle.
    let arms: String = (1..=10).map(|h| format!("      10% => {{ wait {h}h }}\n")).collect();
    let journey = format!(
        "journey j {{
  entry on messenger_message

  stage s0 {{
    split {{
{arms}    }}
    send note
  }}
}}"
    );
    assert_target(POLICY, &journey, &[]);
}

// ---------------------------------------------------------------------------------------------
// Across runs: re-entry (J0415) and repeated consent requests within a run (J0414).
//
// A second model, of its own: journeys of marketing SMS (`deal`, with the audience's consent),
// utility SMS (`note`), waits, asks, waits for a message, splits, exits and Messenger marketing
// consent requests, under `frequency marketing at most K per Dd`, a `reentry` rule and sometimes
// an `exit on` event. Its brute force follows docs/bundle.md §3.1–3.3 directly, not the flow
// module: every path of a run, at its least time (a reply or an event at once, a timeout, a wait
// exactly; with `exit on`, the run ended at any moment), and the next run starting as early as
// `reentry` allows (when the last one ended; and at least N after its start for `after N`).

/// How soon a contact may start the journey again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reentry {
    /// Not declared: as soon as the previous run ended.
    Undeclared,
    Never,
    /// At least this many hours after the previous run's start, and once it ended.
    After(u32),
}

type RBlock = Vec<RStep>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum RStep {
    /// `send deal`: marketing, counted by the cap.
    Deal,
    /// `send note`: utility, not counted.
    Note,
    Wait(u32),
    /// `ask q timeout T`: a question on messenger, answered `yes` at once at the earliest.
    Ask {
        timeout: u32,
        yes: RBlock,
        timeout_arm: RBlock,
    },
    /// `wait for messenger_message within T`.
    WaitFor {
        within: u32,
        event: RBlock,
        timeout_arm: RBlock,
    },
    Split(Vec<RBlock>),
    /// `request consent messenger marketing via optin timeout T`.
    Request {
        timeout: u32,
        granted: RBlock,
        declined: RBlock,
        timeout_arm: RBlock,
    },
    Goto(usize),
    Exit,
}

impl RStep {
    fn arms(&self) -> Vec<&RBlock> {
        match self {
            RStep::Ask { yes, timeout_arm, .. } => vec![yes, timeout_arm],
            RStep::WaitFor { event, timeout_arm, .. } => vec![event, timeout_arm],
            RStep::Split(arms) => arms.iter().collect(),
            RStep::Request { granted, declined, timeout_arm, .. } => vec![granted, declined, timeout_arm],
            _ => Vec::new(),
        }
    }

    fn arms_mut(&mut self) -> Vec<&mut RBlock> {
        match self {
            RStep::Ask { yes, timeout_arm, .. } => vec![yes, timeout_arm],
            RStep::WaitFor { event, timeout_arm, .. } => vec![event, timeout_arm],
            RStep::Split(arms) => arms.iter_mut().collect(),
            RStep::Request { granted, declined, timeout_arm, .. } => vec![granted, declined, timeout_arm],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct RJourney {
    /// `frequency marketing at most K per D days`.
    cap: (u32, u32),
    reentry: Reentry,
    exit_on: bool,
    stages: Vec<RBlock>,
}

const RE_HOURS: [u32; 10] = [1, 2, 4, 6, 12, 20, 24, 30, 48, 72];
/// For the J0414 journeys: loops that take about a week, either side of it.
const LONG_HOURS: [u32; 12] = [1, 4, 12, 24, 48, 72, 96, 120, 144, 167, 168, 169];
const REENTRY_AFTER: [u32; 9] = [1, 6, 12, 20, 24, 36, 48, 72, 7 * 24];

struct RGenerator<'r> {
    rng: &'r mut TestRng,
    stages: usize,
    /// Gotos may go back (loops) and consent requests are made: the J0414 journeys.
    loops: bool,
    /// The hours waits and timeouts take.
    hours: &'static [u32],
}

impl RGenerator<'_> {
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.random_range(0..from.len())]
    }

    fn block(&mut self, stage: usize, depth: u32, max: usize) -> RBlock {
        let len = self.rng.random_range(1..=max);
        (0..len).map(|i| self.step(stage, depth, i + 1 == len)).collect()
    }

    fn step(&mut self, stage: usize, depth: u32, last: bool) -> RStep {
        let compound = depth < 2;
        loop {
            return match self.rng.random_range(0..100) {
                0..=21 => RStep::Deal,
                22..=36 => RStep::Note,
                37..=54 => RStep::Wait(self.pick(self.hours)),
                55..=62 if compound => RStep::Ask {
                    timeout: self.pick(self.hours),
                    yes: self.block(stage, depth + 1, 2),
                    timeout_arm: self.block(stage, depth + 1, 2),
                },
                63..=69 if compound => RStep::WaitFor {
                    within: self.pick(self.hours),
                    event: self.block(stage, depth + 1, 2),
                    timeout_arm: self.block(stage, depth + 1, 2),
                },
                70..=77 if compound => {
                    let arms = self.rng.random_range(2..=3);
                    RStep::Split((0..arms).map(|_| self.block(stage, depth + 1, 2)).collect())
                }
                78..=85 if compound && self.loops => RStep::Request {
                    timeout: self.pick(self.hours),
                    granted: self.block(stage, depth + 1, 2),
                    declined: self.block(stage, depth + 1, 2),
                    timeout_arm: self.block(stage, depth + 1, 2),
                },
                86..=92 if last && self.stages > 1 && (self.loops || stage + 1 < self.stages) => {
                    if self.loops && (stage + 1 == self.stages || self.rng.random_range(0..2) == 0) {
                        RStep::Goto(self.rng.random_range(0..=stage))
                    } else {
                        RStep::Goto(self.rng.random_range(stage + 1..self.stages))
                    }
                }
                93..=99 if last => RStep::Exit,
                _ => continue,
            };
        }
    }
}

fn generate_runs(rng: &mut TestRng, loops: bool) -> RJourney {
    let stages = rng.random_range(1..=3);
    let mut generator = RGenerator { rng, stages, loops, hours: if loops { &LONG_HOURS } else { &RE_HOURS } };
    let cap = (generator.pick(&[1, 2, 3]), generator.pick(&[1, 2, 7]));
    let reentry = match generator.rng.random_range(0..4) {
        0 => Reentry::Undeclared,
        1 => Reentry::Never,
        _ => Reentry::After(generator.pick(&REENTRY_AFTER)),
    };
    let exit_on = generator.rng.random_range(0..100) < 30;
    let mut bodies: Vec<RBlock> = (0..stages).map(|stage| generator.block(stage, 0, 4)).collect();
    if loops && !bodies.iter().any(has_request) {
        // Every J0414 journey asks at least once, somewhere in its first stage.
        let at = generator.rng.random_range(0..bodies[0].len());
        let timeout = generator.pick(generator.hours);
        let goto_back = RStep::Goto(0);
        let arms =
            [vec![RStep::Exit], vec![RStep::Wait(generator.pick(generator.hours)), goto_back], vec![RStep::Deal]];
        let [granted, declined, timeout_arm] = arms;
        bodies[0].insert(at, RStep::Request { timeout, granted, declined, timeout_arm });
    }
    RJourney { cap, reentry, exit_on, stages: bodies }
}

fn has_request(block: &RBlock) -> bool {
    block.iter().any(|s| matches!(s, RStep::Request { .. }) || s.arms().into_iter().any(has_request))
}

fn runs_source(journey: &RJourney) -> String {
    let (k, d) = journey.cap;
    let mut text = format!(
        "import \"std/channels\"\nimport \"std/events\"\n\nprofile {{\n  timezone: timezone\n}}\n\npolicy {{\n  \
         quiet_hours 21:00..08:00 recipient\n  jurisdiction \"US\"\n  frequency marketing at most {k} per {d}d\n}}\n\n\
         event signed_up {{}}\nevent left {{}}\n\n\
         message deal on sms as marketing {{\n  text \"Acme: 20% off this week. Reply STOP to opt out\"\n}}\n\n\
         message note on sms as utility {{\n  text \"Your order is packed\"\n}}\n\n\
         message q on messenger as service {{\n  text \"Still looking?\"\n  reply \"Yes\" -> yes\n}}\n\n\
         message optin on messenger as service {{\n  text \"News by text?\"\n  reply \"Yes\" -> granted\n  \
         reply \"No\" -> declined\n}}\n\njourney j {{\n  entry on signed_up\n"
    );
    if journey.exit_on {
        text.push_str("  exit on left\n");
    }
    match journey.reentry {
        Reentry::Undeclared => {}
        Reentry::Never => text.push_str("  reentry never\n"),
        Reentry::After(h) if h % 24 == 0 => writeln!(text, "  reentry after {}d", h / 24).unwrap(),
        Reentry::After(h) => writeln!(text, "  reentry after {h}h").unwrap(),
    }
    text.push_str("  audience consent(sms, marketing)\n");
    for (i, stage) in journey.stages.iter().enumerate() {
        writeln!(text, "\n  stage s{i} {{").unwrap();
        write_rblock(stage, 2, &mut text);
        text.push_str("  }\n");
    }
    text.push_str("}\n");
    text
}

fn write_rblock(block: &RBlock, indent: usize, text: &mut String) {
    for step in block {
        write_rstep(step, indent, text);
    }
}

fn write_rarm(label: &str, block: &RBlock, indent: usize, text: &mut String) {
    let pad = "  ".repeat(indent);
    writeln!(text, "{pad}{label} => {{").unwrap();
    write_rblock(block, indent + 1, text);
    writeln!(text, "{pad}}}").unwrap();
}

fn write_rstep(step: &RStep, indent: usize, text: &mut String) {
    let pad = "  ".repeat(indent);
    match step {
        RStep::Deal => writeln!(text, "{pad}send deal").unwrap(),
        RStep::Note => writeln!(text, "{pad}send note").unwrap(),
        RStep::Wait(h) => writeln!(text, "{pad}wait {h}h").unwrap(),
        RStep::Ask { timeout, yes, timeout_arm } => {
            writeln!(text, "{pad}ask q timeout {timeout}h {{").unwrap();
            write_rarm("yes", yes, indent + 1, text);
            write_rarm("timeout", timeout_arm, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        RStep::WaitFor { within, event, timeout_arm } => {
            writeln!(text, "{pad}wait for messenger_message within {within}h {{").unwrap();
            write_rarm("messenger_message", event, indent + 1, text);
            write_rarm("timeout", timeout_arm, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        RStep::Split(arms) => {
            let share = 100 / arms.len();
            writeln!(text, "{pad}split {{").unwrap();
            for (i, arm) in arms.iter().enumerate() {
                let this = if i == 0 { 100 - share * (arms.len() - 1) } else { share };
                write_rarm(&format!("{this}%"), arm, indent + 1, text);
            }
            writeln!(text, "{pad}}}").unwrap();
        }
        RStep::Request { timeout, granted, declined, timeout_arm } => {
            writeln!(text, "{pad}request consent messenger marketing via optin timeout {timeout}h {{").unwrap();
            write_rarm("granted", granted, indent + 1, text);
            write_rarm("declined", declined, indent + 1, text);
            write_rarm("timeout", timeout_arm, indent + 1, text);
            writeln!(text, "{pad}}}").unwrap();
        }
        RStep::Goto(stage) => writeln!(text, "{pad}goto s{stage}").unwrap(),
        RStep::Exit => writeln!(text, "{pad}exit").unwrap(),
    }
}

// The brute force's graph: each node is a send, a request or a point where time passes or the
// path branches; each edge takes a fixed number of hours.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RKind {
    Deal,
    Request,
    Other,
}

#[derive(Debug, Clone, Copy)]
enum RTarget {
    Node(usize),
    Stage(usize),
    Exit,
}

struct RGraph {
    kinds: Vec<RKind>,
    /// Per node: (target, least hours). A reply or an event takes 0, a timeout or a wait exactly its time.
    edges: Vec<Vec<(RTarget, u32)>>,
    stage_starts: Vec<RTarget>,
}

impl RGraph {
    fn new(journey: &RJourney) -> RGraph {
        let mut graph = RGraph { kinds: Vec::new(), edges: Vec::new(), stage_starts: Vec::new() };
        let count = journey.stages.len();
        let starts = (0..count)
            .map(|i| {
                let cont = if i + 1 < count { RTarget::Stage(i + 1) } else { RTarget::Exit };
                graph.block(&journey.stages[i], cont)
            })
            .collect();
        graph.stage_starts = starts;
        graph
    }

    fn push(&mut self, kind: RKind, edges: Vec<(RTarget, u32)>) -> RTarget {
        self.kinds.push(kind);
        self.edges.push(edges);
        RTarget::Node(self.kinds.len() - 1)
    }

    fn block(&mut self, block: &RBlock, cont: RTarget) -> RTarget {
        block.iter().rev().fold(cont, |next, step| self.step(step, next))
    }

    fn step(&mut self, step: &RStep, cont: RTarget) -> RTarget {
        match step {
            RStep::Deal => self.push(RKind::Deal, vec![(cont, 0)]),
            RStep::Note => self.push(RKind::Other, vec![(cont, 0)]),
            RStep::Wait(h) => self.push(RKind::Other, vec![(cont, *h)]),
            RStep::Ask { timeout: t, yes: arm, timeout_arm }
            | RStep::WaitFor { within: t, event: arm, timeout_arm } => {
                let answer = self.block(arm, cont);
                let late = self.block(timeout_arm, cont);
                self.push(RKind::Other, vec![(answer, 0), (late, *t)])
            }
            RStep::Split(arms) => {
                let edges = arms.iter().map(|arm| (self.block(arm, cont), 0)).collect();
                self.push(RKind::Other, edges)
            }
            RStep::Request { timeout, granted, declined, timeout_arm } => {
                let granted = self.block(granted, cont);
                let declined = self.block(declined, cont);
                let late = self.block(timeout_arm, cont);
                self.push(RKind::Request, vec![(granted, 0), (declined, 0), (late, *timeout)])
            }
            RStep::Goto(stage) => RTarget::Stage(*stage),
            RStep::Exit => RTarget::Exit,
        }
    }

    fn resolve(&self, mut target: RTarget) -> Option<usize> {
        for _ in 0..=self.stage_starts.len() {
            match target {
                RTarget::Node(i) => return Some(i),
                RTarget::Exit => return None,
                RTarget::Stage(s) => target = self.stage_starts[s],
            }
        }
        None
    }

    /// Every complete run without loops: the hours of its marketing sends from the run's start,
    /// and the hours at which it ends.
    fn runs(&self) -> Vec<(Vec<u32>, u32)> {
        fn walk(graph: &RGraph, at: RTarget, time: u32, sends: &mut Vec<u32>, out: &mut Vec<(Vec<u32>, u32)>) {
            let Some(node) = graph.resolve(at) else {
                out.push((sends.clone(), time));
                return;
            };
            let deal = graph.kinds[node] == RKind::Deal;
            if deal {
                sends.push(time);
            }
            for (to, hours) in &graph.edges[node] {
                walk(graph, *to, time + hours, sends, out);
            }
            if deal {
                sends.pop();
            }
        }
        let mut out = Vec::new();
        walk(self, RTarget::Stage(0), 0, &mut Vec::new(), &mut out);
        out
    }
}

/// What the brute force makes of a journey across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AcrossRuns {
    /// The most marketing sends in any half-open window of the cap's period, over every sequence
    /// of runs; `None`: no bound (runs that send and end at once can repeat at once).
    worst: Option<u32>,
    /// The most in one run alone (what J0409 proves within the cap).
    within_one_run: u32,
}

/// What the runs of a journey can be, each as (marketing send hours, end hour): every path, and
/// with `exit on` every prefix of one ended at its last send (or at once).
fn run_options(journey: &RJourney, ignore_exit_on: bool) -> Vec<(Vec<u32>, u32)> {
    let mut options: Vec<(Vec<u32>, u32)> = RGraph::new(journey).runs();
    if journey.exit_on && !ignore_exit_on {
        let mut cut = Vec::new();
        for (sends, _) in &options {
            for k in 0..=sends.len() {
                let end = if k == 0 { 0 } else { sends[k - 1] };
                cut.push((sends[..k].to_vec(), end));
            }
        }
        options.extend(cut);
    }
    options.sort();
    options.dedup();
    options
}

fn across_runs(journey: &RJourney) -> AcrossRuns {
    let period = journey.cap.1 * DAY;
    let options = run_options(journey, false);
    let reentry = journey.reentry;
    // The hours from a run's start to the earliest start of the next, `None`: no next run.
    let gap = |end: u32| match reentry {
        Reentry::Never => None,
        Reentry::Undeclared => Some(end),
        Reentry::After(n) => Some(end.max(n)),
    };
    let in_window = |sends: &[u32], from: u32, start: u32, until: u32| {
        sends.iter().filter(|&&x| start + x >= from && start + x < until).count() as u32
    };
    let within_one_run = options
        .iter()
        .flat_map(|(sends, _)| sends.iter().map(|&w| in_window(sends, w, 0, w + period)))
        .max()
        .unwrap_or(0);
    // Runs that send and end at once repeat without bound.
    if options.iter().any(|(sends, end)| !sends.is_empty() && gap(*end) == Some(0)) {
        return AcrossRuns { worst: None, within_one_run };
    }
    // The most sends before `until` of the runs starting at `start` and after, each as early as
    // re-entry allows.
    fn after(
        start: u32,
        until: u32,
        options: &[(Vec<u32>, u32)],
        gap: &dyn Fn(u32) -> Option<u32>,
        memo: &mut BTreeMap<u32, u32>,
    ) -> u32 {
        if start >= until {
            return 0;
        }
        if let Some(&known) = memo.get(&start) {
            return known;
        }
        let mut best = 0;
        for (sends, end) in options {
            let here = sends.iter().filter(|&&x| start + x < until).count() as u32;
            let later = match gap(*end) {
                Some(g) if g > 0 => after(start + g, until, options, gap, memo),
                _ => 0,
            };
            best = best.max(here + later);
        }
        memo.insert(start, best);
        best
    }
    // The window starts at a send of the first run in it, which starts at 0.
    let mut worst = 0;
    for (sends, end) in &options {
        for &from in sends {
            let until = from + period;
            let later = match gap(*end) {
                Some(g) if g > 0 => after(g, until, &options, &gap, &mut BTreeMap::new()),
                _ => 0,
            };
            worst = worst.max(in_window(sends, from, 0, until) + later);
        }
    }
    AcrossRuns { worst: Some(worst), within_one_run }
}

/// The codes the checker reports on a journey of this model (front-end errors fail the test).
fn runs_codes(text: &str) -> BTreeSet<String> {
    let report = check_text(text);
    let mut codes = BTreeSet::new();
    for d in &report.diagnostics {
        let code = d.code.to_string();
        assert!(
            !(code.starts_with("J01") || code.starts_with("J02") || code.starts_with("J03")),
            "the generator made an invalid journey:\n{text}\n{code} {}",
            d.message
        );
        codes.insert(code);
    }
    if !report.flow.inconclusive.is_empty() {
        codes.insert("inconclusive".to_owned());
    }
    codes
}

/// The least hours between two consent requests on one run (replies at once, timeouts and waits
/// exactly), over requests a run can reach; `None`: no run asks twice.
fn least_between_requests(journey: &RJourney) -> Option<u32> {
    let graph = RGraph::new(journey);
    let count = graph.kinds.len();
    let mut reachable = vec![false; count];
    let mut stack: Vec<usize> = graph.resolve(RTarget::Stage(0)).into_iter().collect();
    while let Some(node) = stack.pop() {
        if std::mem::replace(&mut reachable[node], true) {
            continue;
        }
        stack.extend(graph.edges[node].iter().filter_map(|(to, _)| graph.resolve(*to)));
    }
    let mut least: Option<u32> = None;
    for from in (0..count).filter(|&n| reachable[n] && graph.kinds[n] == RKind::Request) {
        // Dijkstra from the request's edges to the first request reached.
        let mut best = vec![u32::MAX; count];
        let mut queue = BTreeSet::new();
        for (to, hours) in &graph.edges[from] {
            if let Some(next) = graph.resolve(*to) {
                if *hours < best[next] {
                    best[next] = *hours;
                    queue.insert((*hours, next));
                }
            }
        }
        while let Some((time, node)) = queue.pop_first() {
            if time > best[node] {
                continue;
            }
            if graph.kinds[node] == RKind::Request {
                least = Some(least.map_or(time, |l| l.min(time)));
                continue;
            }
            for (to, hours) in &graph.edges[node] {
                if let Some(next) = graph.resolve(*to) {
                    if time + hours < best[next] {
                        best[next] = time + hours;
                        queue.insert((time + hours, next));
                    }
                }
            }
        }
    }
    least
}

/// Every journey one step simpler than `journey`, still well formed (`loops`: back gotos kept).
fn simpler_runs(journey: &RJourney) -> Vec<RJourney> {
    fn paths(block: &RBlock, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        for (i, step) in block.iter().enumerate() {
            prefix.push(i);
            out.push(prefix.clone());
            for (a, arm) in step.arms().into_iter().enumerate() {
                prefix.push(a);
                paths(arm, prefix, out);
                prefix.pop();
            }
            prefix.pop();
        }
    }
    fn block_at<'j>(journey: &'j mut RJourney, path: &[usize]) -> &'j mut RBlock {
        let mut block = &mut journey.stages[path[0]];
        for pair in path[1..].chunks(2) {
            block = block[pair[0]].arms_mut().into_iter().nth(pair[1]).unwrap();
        }
        block
    }
    fn retarget(block: &mut RBlock, removed: usize) {
        for step in block.iter_mut() {
            match step {
                RStep::Goto(s) if *s == removed => *step = RStep::Exit,
                RStep::Goto(s) if *s > removed => *s -= 1,
                _ => {}
            }
            for arm in step.arms_mut() {
                retarget(arm, removed);
            }
        }
    }
    let mut out = Vec::new();
    if journey.stages.len() > 1 {
        for removed in 0..journey.stages.len() {
            let mut j = journey.clone();
            j.stages.remove(removed);
            for stage in &mut j.stages {
                retarget(stage, removed);
            }
            out.push(j);
        }
    }
    if journey.exit_on {
        out.push(RJourney { exit_on: false, ..journey.clone() });
    }
    let (k, d) = journey.cap;
    if k > 1 {
        out.push(RJourney { cap: (k - 1, d), ..journey.clone() });
    }
    for smaller in [1, 2].into_iter().filter(|s| *s < d) {
        out.push(RJourney { cap: (k, smaller), ..journey.clone() });
    }
    if let Reentry::After(h) = journey.reentry {
        out.push(RJourney { reentry: Reentry::Undeclared, ..journey.clone() });
        if h > 1 {
            out.push(RJourney { reentry: Reentry::After(h / 2), ..journey.clone() });
        }
    }
    let mut all = Vec::new();
    for (s, stage) in journey.stages.iter().enumerate() {
        paths(stage, &mut vec![s], &mut all);
    }
    for path in &all {
        let (parent, index) = (&path[..path.len() - 1], *path.last().unwrap());
        let step = block_at(&mut journey.clone(), parent)[index].clone();
        let mut removed = journey.clone();
        let block = block_at(&mut removed, parent);
        if block.len() > 1 {
            block.remove(index);
            out.push(removed);
        }
        for arm in step.arms() {
            let mut spliced = journey.clone();
            block_at(&mut spliced, parent).splice(index..=index, arm.iter().cloned());
            out.push(spliced);
        }
        if let RStep::Split(arms) = &step {
            for drop in (0..arms.len()).filter(|_| arms.len() > 2) {
                let mut fewer = journey.clone();
                if let RStep::Split(arms) = &mut block_at(&mut fewer, parent)[index] {
                    arms.remove(drop);
                }
                out.push(fewer);
            }
        }
        if !matches!(step, RStep::Wait(_) | RStep::Deal) {
            let mut waiting = journey.clone();
            block_at(&mut waiting, parent)[index] = RStep::Wait(1);
            out.push(waiting);
        }
        let mut shorter = journey.clone();
        if let RStep::Wait(h)
        | RStep::Ask { timeout: h, .. }
        | RStep::WaitFor { within: h, .. }
        | RStep::Request { timeout: h, .. } = &mut block_at(&mut shorter, parent)[index]
        {
            if *h > 1 {
                *h /= 2;
                out.push(shorter);
            }
        }
    }
    out.retain(|j| j.stages.iter().all(|s| !s.is_empty() && rblock_ends_well(s)));
    out
}

/// Non-empty blocks, and a goto or exit only at the end of one.
fn rblock_ends_well(block: &RBlock) -> bool {
    !block.is_empty()
        && block.iter().take(block.len() - 1).all(|s| !matches!(s, RStep::Goto(_) | RStep::Exit))
        && block.iter().all(|s| s.arms().into_iter().all(rblock_ends_well))
}

/// The smallest journey found, by repeated one-step simplification, on which `keeps` still holds.
fn shrink_runs(journey: &RJourney, keeps: &dyn Fn(&RJourney) -> bool) -> RJourney {
    let mut best = journey.clone();
    'improve: loop {
        for candidate in simpler_runs(&best) {
            if keeps(&candidate) {
                best = candidate;
                continue 'improve;
            }
        }
        return best;
    }
}

fn describe_runs(journey: &RJourney) -> String {
    let text = runs_source(journey);
    // The policy's cap and the journey: the rest is the same in every case.
    let shown = format!(
        "  frequency marketing at most {} per {}d\n...\n{}",
        journey.cap.0,
        journey.cap.1,
        &text[text.find("journey j").unwrap_or(0)..]
    );
    let brute = across_runs(journey);
    format!(
        "{shown}brute force: at most {} marketing sends in {}d across runs ({} within one run), the cap is {}\n\
         checker:     {:?}",
        brute.worst.map_or("unbounded".to_owned(), |w| w.to_string()),
        journey.cap.1,
        brute.within_one_run,
        journey.cap.0,
        runs_codes(&text)
    )
}

/// The brute force finds more than the cap within its period across runs.
fn exceeds_across_runs(journey: &RJourney) -> bool {
    across_runs(journey).worst.is_none_or(|w| w > journey.cap.0)
}

/// Run `cases` random journeys through the J0415 property; returns (missed, report).
fn reentry_property(total: u64) -> (usize, String) {
    let started = std::time::Instant::now();
    let (mut with_j0409, mut excess, mut warned, mut imprecise, mut unbounded) = (0, 0, 0, 0, 0);
    let mut missed: Vec<RJourney> = Vec::new();
    let mut smallest_imprecise: Option<RJourney> = None;
    for case in 0..total {
        let journey = generate_runs(&mut rng_for(case ^ 0x5EED_0415), false);
        let codes = runs_codes(&runs_source(&journey));
        if codes.contains("J0409") {
            with_j0409 += 1; // Within a run: the first test's business.
            continue;
        }
        let brute = across_runs(&journey);
        let over = exceeds_across_runs(&journey);
        let j0415 = codes.contains("J0415");
        excess += usize::from(over);
        unbounded += usize::from(brute.worst.is_none());
        warned += usize::from(j0415);
        if over && !j0415 {
            missed.push(journey);
        } else if !over && j0415 {
            imprecise += 1;
            let size = |j: &RJourney| runs_source(j).len();
            if smallest_imprecise.as_ref().is_none_or(|s| size(&journey) < size(s)) {
                smallest_imprecise = Some(journey);
            }
        }
    }
    let compared = total as usize - with_j0409;
    let mut report = format!(
        "J0415: {total} journeys in {:.1?}, {with_j0409} left out for J0409; of {compared}: {excess} exceed the cap \
         across runs ({unbounded} without bound), J0415 on {warned}; missed {}, J0415 without an excess {imprecise}\n",
        started.elapsed(),
        missed.len(),
    );
    let keeps_missed = |j: &RJourney| {
        let codes = runs_codes(&runs_source(j));
        !codes.contains("J0409") && !codes.contains("J0415") && exceeds_across_runs(j)
    };
    // Grouped by the kind of re-entry and whether an event can end a run; one shrunk per group.
    let mut groups: BTreeMap<(String, bool), (usize, &RJourney)> = BTreeMap::new();
    for journey in &missed {
        let kind = format!("{:?}", journey.reentry).split('(').next().unwrap_or("").to_owned();
        groups.entry((kind, journey.exit_on)).or_insert((0, journey)).0 += 1;
    }
    for ((kind, exit_on), (count, journey)) in groups {
        let small = shrink_runs(journey, &keeps_missed);
        writeln!(
            report,
            "\n=== missed ({count}, reentry {kind}, exit on: {exit_on}): an excess across runs without J0415; \
             smallest:\n{}",
            describe_runs(&small)
        )
        .unwrap();
    }
    if let Some(journey) = smallest_imprecise {
        let keeps = |j: &RJourney| {
            let codes = runs_codes(&runs_source(j));
            !codes.contains("J0409") && codes.contains("J0415") && !exceeds_across_runs(j)
        };
        let small = shrink_runs(&journey, &keeps);
        writeln!(
            report,
            "\n=== J0415 without an excess (imprecision, not a failure); smallest:\n{}",
            describe_runs(&small)
        )
        .unwrap();
    }
    (missed.len(), report)
}

#[test]
fn reentry_that_lets_runs_exceed_a_cap_is_warned_about() {
    let (missed, report) = reentry_property(cases());
    eprintln!("{report}");
    assert_eq!(missed, 0, "J0415 missed excesses the brute force found across runs:\n{report}");
}

/// Run `total` random journeys with consent requests through the J0414 property; returns the
/// number of disagreements and a report.
fn request_property(total: u64) -> (usize, String) {
    let started = std::time::Instant::now();
    let (mut twice, mut too_soon, mut boundary, mut fired, mut inconclusive) = (0, 0, 0, 0, 0);
    let mut wrong: BTreeMap<bool, (usize, RJourney)> = BTreeMap::new();
    for case in 0..total {
        let journey = generate_runs(&mut rng_for(case ^ 0x5EED_0414), true);
        let codes = runs_codes(&runs_source(&journey));
        let least = least_between_requests(&journey);
        twice += usize::from(least.is_some());
        boundary += usize::from(least.is_some_and(|h| h.abs_diff(7 * DAY) <= 1));
        let soon = least.is_some_and(|h| h < 7 * DAY);
        too_soon += usize::from(soon);
        let j0414 = codes.contains("J0414");
        fired += usize::from(j0414);
        if codes.contains("inconclusive") {
            inconclusive += 1; // Not proved either way: the journey fails closed.
            continue;
        }
        if soon != j0414 {
            wrong.entry(soon).or_insert((0, journey)).0 += 1;
        }
    }
    let mut report = format!(
        "J0414: {total} journeys in {:.1?}; {twice} can ask twice on a run, {too_soon} within 7 days, {boundary} within an hour of 7 days; \
         J0414 on {fired}, \
         {inconclusive} inconclusive; missed {}, false alarms {}\n",
        started.elapsed(),
        wrong.get(&true).map_or(0, |w| w.0),
        wrong.get(&false).map_or(0, |w| w.0),
    );
    let mut disagreements = 0;
    for (soon, (count, journey)) in &wrong {
        disagreements += count;
        let keeps = |j: &RJourney| {
            let codes = runs_codes(&runs_source(j));
            !codes.contains("inconclusive")
                && least_between_requests(j).is_some_and(|h| h < 7 * DAY) == *soon
                && codes.contains("J0414") != *soon
        };
        let small = shrink_runs(journey, &keeps);
        let text = runs_source(&small);
        writeln!(
            report,
            "\n=== {} ({count}); smallest:\n{}brute force: least time between two requests on a run {:?}h\n\
             checker:     {:?}",
            if *soon { "missed J0414" } else { "J0414 without a request within 7 days" },
            &text[text.find("journey j").unwrap_or(0)..],
            least_between_requests(&small),
            runs_codes(&text)
        )
        .unwrap();
    }
    (disagreements, report)
}

#[test]
fn a_messenger_opt_in_request_repeated_within_a_week_on_one_run_is_an_error() {
    let (disagreements, report) = request_property(cases());
    eprintln!("{report}");
    assert_eq!(disagreements, 0, "J0414 disagrees with the brute force:\n{report}");
}

// Regressions across runs: the smallest journeys on which J0415 missed an excess the brute force
// found, each asserting the warning docs/codes J0415 promises ("when re-entry alone allows more
// than the cap"). The checker counts the runs STARTED within a period; a period can also hold the
// end of a run that started before it.

fn assert_j0415(journey: &RJourney, worst: u32) {
    let brute = across_runs(journey);
    assert_eq!(brute.worst, Some(worst), "{}", describe_runs(journey));
    assert!(brute.within_one_run <= journey.cap.0, "{}", describe_runs(journey));
    let codes = runs_codes(&runs_source(journey));
    assert!(!codes.contains("J0409"), "{}", describe_runs(journey));
    assert!(
        codes.contains("J0415"),
        "re-entry lets runs exceed the cap, J0415 must say so:\n{}",
        describe_runs(journey)
    );
}

#[test]
fn a_run_that_ends_with_a_send_and_the_next_that_starts_with_one_share_a_period() {
    // One marketing send a day, proved within a run. Without `reentry` the next run starts when
    // this one ends, at 24h, and sends at once: two sends at 24h.
    let journey = RJourney {
        cap: (1, 1),
        reentry: Reentry::Undeclared,
        exit_on: false,
        stages: vec![vec![RStep::Deal, RStep::Wait(24), RStep::Deal]],
    };
    assert_j0415(&journey, 2);
}

#[test]
fn a_late_run_and_an_early_next_run_share_a_period_under_reentry_after_the_period() {
    // `reentry after 1d` and a cap of 1 per 1d: runs start 24h apart, but the first may send at
    // 12h (no message came) and the second at 24h (a message came at once): 12h apart.
    let journey = RJourney {
        cap: (1, 1),
        reentry: Reentry::After(24),
        exit_on: false,
        stages: vec![vec![RStep::WaitFor { within: 12, event: vec![RStep::Deal], timeout_arm: vec![RStep::Deal] }]],
    };
    assert_j0415(&journey, 2);
}

#[test]
fn a_late_reply_and_a_prompt_one_on_the_next_run_share_a_period() {
    // Beyond the brute force, which takes every run at its least time: a reply may also come late
    // (docs/bundle.md §3.5, `ask`). Runs start 24h apart; the first is answered after 23h, the
    // second at once: two marketing sends 1h apart, with a cap of 1 per 1d.
    let journey = RJourney {
        cap: (1, 1),
        reentry: Reentry::After(24),
        exit_on: false,
        stages: vec![vec![RStep::Ask { timeout: 48, yes: vec![RStep::Deal], timeout_arm: vec![RStep::Exit] }]],
    };
    let codes = runs_codes(&runs_source(&journey));
    assert!(!codes.contains("J0409"), "{}", describe_runs(&journey));
    assert!(
        codes.contains("J0415"),
        "re-entry lets runs exceed the cap, J0415 must say so:\n{}",
        describe_runs(&journey)
    );
}
