//! The checker checked by execution: random well-formed projects are checked by the compiler,
//! their bundles run on the reference runtime (`journey-runtime`) over random event traces, and
//! the independent monitor (`journey-monitor`) judges every send the runtime made. The runtime
//! and the monitor are the oracle; the checker's verdict is what is tested.
//!
//! # Property (a): an accepted project is compliant on every trace
//!
//! When the checker accepts a project (no error diagnostic), then on every generated trace:
//!
//! 1. the monitor flags no send of the runtime (the runtime re-checks consent, windows and
//!    frequency at hand-over, docs/bundle.md §9.2, so whatever the checker cannot know is refused,
//!    not sent: a monitor finding is a bug of the checker, the runtime or the monitor), except one
//!    documented difference, counted and reported: a revocation by the contact in the very second
//!    of a send, which the runtime handles in file order and the monitor before the send
//!    (docs/simulate.md); and
//! 2. every `refused` action of the runtime is explained by something the checker does not
//!    claim (docs/bundle.md §1, §5, §6). A refusal is **explained** when:
//!    - *consent* (or a channel the contact revoked entirely): a revocation of that channel
//!      reached the contact's store during the run and the run did not observe it: a
//!      `consent_revoked` event, an `sms_opt_out` / `email_unsubscribe` while the run was not
//!      waiting at a `wait_for` of that event, a STOP-class `reply` text while the run was not
//!      waiting for an answer on that channel, or the decline of another run's consent request.
//!      The checker proves consent established on every path and never revoked by what the
//!      journey models; the store is the runtime's (§5). Also explained: a channel blocked by an
//!      opt-out for a send whose compliance record needs no consent (only the runtime knows the
//!      channel is blocked, §5 last paragraphs);
//!    - *window*: the run started on an ad reply (7 days) and, during the run, the contact wrote
//!      on that channel without the run observing it, which replaces the 7 days with 24 hours
//!      (§4.3: "messages that the journey does not model");
//!    - *frequency*: fewer than `max` sends of the category by the same run lie within `per_s`
//!      before the refused one, so the cap is exceeded only across runs or journeys, which the
//!      compliance record's `frequency` leaves to the runtime ("across runs and journeys, counted
//!      by the runtime"; §6);
//!    - *consent request limit* (MSGR-MKT, one Messenger opt-in request a week): no earlier
//!      request of the same run lies within the week, so the limit is exceeded only across runs,
//!      which the runtime counts (§5); within a run it is the checker's J0414.
//!
//!    Everything else is checker unsoundness: a refusal for consent after only modelled events, for
//!    the window on a run whose inbound messages the journey observed, for quiet hours (the
//!    generated contacts always have a known zone), or for frequency within one run. Refusals for
//!    missing data (POLICY-DATA) cannot happen: the generated contacts have every field.
//!
//! # Property (b): every J04 error is real
//!
//! For a project with J04 errors at sends (J0401 consent, J0402/J0407 window, J0403-J0405 tags,
//! J0409 frequency), at messages (J0410/J0411 wording: any send of the message) and J0406 (quiet
//! hours weaker than the law), traces are looked for on which the monitor flags that send
//! (J0406: any send for quiet hours). First the error's own witness path (the `path: ...` note of
//! J0401, J0402, J0407 and J0409) is made into traces (`witness_trace`: consents, tier and
//! contact id chosen for the path's conditions and splits, each answer placed once the runtime
//! shows the run waiting there, as late as allowed or at once); then random traces (a fixed
//! budget per project). The report counts both. So that the
//! monitor sees what the checker warned about, the runtime gets a *permissive* copy of the bundle:
//! no hand-over consent gate (a `missing` record reads as `not required`), no windows, no caps; the
//! monitor reads the real bundle. Errors without a witness within the budget are counted and
//! reported as false alarms (or witnesses the search missed); they do not fail the test.
//!
//! # Repaired projects
//!
//! Both properties also run on every rejected project with its rejected steps replaced by
//! `track` (and its quiet hours made strict enough, for J0406), which the checker then mostly
//! accepts: projects at the edge of what it can prove, where unsoundness would show first.
//!
//! Known reasons for an error without a witness, besides the search's budget: the checker adds a
//! full quiet-hour hold for every marketing send, though a hold ends when quiet hours do (pinned
//! by a regression below); it does not correlate conditions (an `audience consent(email,
//! marketing)` and an `if consent(email, marketing)` at the same instant: the `else` arm is
//! infeasible); a split takes the same arm on every pass of a run (docs/bundle.md §3.6), which
//! it does not assume; and J0406 is an error about the policy even without a send to hold.
//!
//! # Budget
//!
//! `cargo test -p journey --test checker_against_monitor` runs a fixed budget (300 projects, a few
//! traces each, seed 0; one to two minutes in a debug build); CI also runs 2,000 optimized.
//! `JOURNEY_DIFF_CASES=3000 JOURNEY_DIFF_SEED=7 cargo test -p journey --test
//! checker_against_monitor -- --nocapture` runs a longer search; the report goes to standard
//! error. The regressions at the end are the smallest cases on which the three disagreed, each
//! with the outcome the docs require.
//!
//! # The tester can fail
//!
//! The `..._caught` tests turn on, one at a time, a switch of `compiler/src/weakening.rs`
//! that weakens one analysis, and pass only when the same search then finds a property (a)
//! failure (each stops at the first, within `WEAKENED_BUDGET` projects).

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use journey_compiler::bundle::{self, Options as BundleOptions};
use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_compiler::weakening::Weakening;
use journey_compiler::{check_project, ProjectReport, Severity};
use journey_runtime::io::{parse_contacts, parse_events, Schema, LIMITS};
use journey_runtime::population::SplitMix;
use journey_runtime::{Action, Bundle, What};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// A small deterministic random source (the runtime's SplitMix64): every case is reproducible
// from its number.

struct Rng(SplitMix);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SplitMix::new(seed ^ 0x5DEE_CE66_D1CE_4E5B))
    }
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// The project model, printed as source text.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ch {
    Sms,
    Messenger,
    Whatsapp,
    Email,
}

impl Ch {
    fn name(self) -> &'static str {
        match self {
            Ch::Sms => "sms",
            Ch::Messenger => "messenger",
            Ch::Whatsapp => "whatsapp",
            Ch::Email => "email",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cat {
    Service,
    Utility,
    Marketing,
}

impl Cat {
    fn name(self) -> &'static str {
        match self {
            Cat::Service => "service",
            Cat::Utility => "utility",
            Cat::Marketing => "marketing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Send,
    /// The question of an `ask`: replies `yes` and `no`.
    Ask,
    /// The message of a `request consent`: replies `granted` and `declined` (none on SMS).
    OptIn,
}

#[derive(Debug, Clone)]
struct Msg {
    ch: Ch,
    cat: Cat,
    used_as: Use,
    /// A Messenger message tag (`HUMAN_AGENT`, or the withdrawn `ACCOUNT_UPDATE`).
    tag: Option<&'static str>,
    /// Marketing texts and email carry the wording the law asks for (J0410, J0411).
    worded: bool,
}

impl Msg {
    /// WhatsApp utility and marketing messages are templates; everything else is free-form.
    fn template(&self) -> bool {
        self.ch == Ch::Whatsapp && self.cat != Cat::Service && self.used_as == Use::Send
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    Consent(Ch, Cat),
    Gold,
    BusinessHours,
    /// `within business_hours and consent(CH, marketing)`.
    BusinessHoursAndConsent(Ch),
}

/// The events a `wait for` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    MessengerMessage,
    WhatsappMessage,
    SmsOptOut,
    EmailUnsubscribe,
    Clicked,
}

impl Awaited {
    fn name(self) -> &'static str {
        match self {
            Awaited::MessengerMessage => "messenger_message",
            Awaited::WhatsappMessage => "whatsapp_message",
            Awaited::SmsOptOut => "sms_opt_out",
            Awaited::EmailUnsubscribe => "email_unsubscribe",
            Awaited::Clicked => "clicked",
        }
    }
}

type Block = Vec<Step>;

#[derive(Debug, Clone)]
enum Step {
    Send(usize),
    Wait(u32),
    /// `wait until HH:MM` (minutes after midnight) in the recipient's zone, or New York's.
    WaitUntil {
        minute: u16,
        fixed: bool,
    },
    Ask {
        message: usize,
        timeout: u32,
        yes: Block,
        timeout_arm: Block,
    },
    WaitFor {
        event: Awaited,
        within: u32,
        arm: Block,
        timeout_arm: Block,
    },
    If {
        cond: Cond,
        then: Block,
        otherwise: Block,
    },
    Request {
        ch: Ch,
        cat: Cat,
        message: usize,
        timeout: u32,
        granted: Block,
        declined: Block,
        timeout_arm: Block,
    },
    Split(Vec<Block>),
    Handoff {
        timeout: u32,
        resolved: Block,
        timeout_arm: Block,
    },
    /// `revoke consent CH CAT`.
    Revoke {
        ch: Ch,
        cat: Cat,
    },
    Tag,
    Set,
    Track,
    Goto(usize),
    Exit,
}

impl Step {
    /// The arms, in the order the writer numbers them.
    fn arms_mut(&mut self) -> Vec<&mut Block> {
        match self {
            Step::Ask { yes, timeout_arm, .. } => vec![yes, timeout_arm],
            Step::WaitFor { arm, timeout_arm, .. } => vec![arm, timeout_arm],
            Step::If { then, otherwise, .. } => vec![then, otherwise],
            Step::Request { granted, declined, timeout_arm, .. } => vec![granted, declined, timeout_arm],
            Step::Split(arms) => arms.iter_mut().collect(),
            Step::Handoff { resolved, timeout_arm, .. } => vec![resolved, timeout_arm],
            _ => Vec::new(),
        }
    }
}

/// The step at `path`.
/// The step at `path`; `None` when an enclosing step was replaced already.
fn step_at<'p>(project: &'p mut Project, path: &[usize]) -> Option<&'p mut Step> {
    let mut block = &mut project.stages[path[0]];
    let mut rest = &path[1..];
    while rest.len() > 1 {
        block = block.get_mut(rest[0])?.arms_mut().into_iter().nth(rest[1])?;
        rest = &rest[2..];
    }
    block.get_mut(rest[0])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    SignedUp,
    MessengerMessage,
    AdReply,
    WhatsappMessage,
    /// A comment on a Facebook Page post: one private reply within 7 days (MSGR-PR).
    Comment,
    /// `entry every day 10:00 recipient`: opens no window, carries no consent.
    Schedule,
    /// `entry when joins gold_sms` (`tier == "gold" and consent(sms, marketing)`): the consent
    /// holds at the start, and no window is open.
    JoinsGoldSms,
}

impl Entry {
    fn name(self) -> &'static str {
        match self {
            Entry::SignedUp => "signed_up",
            Entry::MessengerMessage => "messenger_message",
            Entry::AdReply => "messenger_ad_reply",
            Entry::WhatsappMessage => "whatsapp_message",
            Entry::Comment => "facebook_comment",
            Entry::Schedule | Entry::JoinsGoldSms => "",
        }
    }

    /// The journey's `entry` line.
    fn line(self) -> String {
        match self {
            Entry::Schedule => "entry every day 10:00 recipient".to_owned(),
            Entry::JoinsGoldSms => "entry when joins gold_sms".to_owned(),
            _ => format!("entry on {}", self.name()),
        }
    }
}

#[derive(Debug, Clone)]
struct Policy {
    /// The periods of `quiet_hours`, as written: every day alike, or by weekday.
    quiet: &'static str,
    fixed_zone: bool,
    jurisdiction: &'static str,
    cap: Option<(u32, u32)>,
    /// The cap counts only this channel's sends (`frequency sms marketing ...`).
    cap_channel: Option<Ch>,
    business_hours: bool,
}

#[derive(Debug, Clone)]
struct Project {
    policy: Policy,
    entry: Entry,
    audience: Option<Cond>,
    reentry: Option<u32>,
    exit_on: bool,
    messages: Vec<Msg>,
    stages: Vec<Block>,
}

const HOURS: [u32; 12] = [1, 2, 3, 4, 6, 8, 12, 20, 24, 30, 48, 72];

struct Gen<'r> {
    rng: &'r mut Rng,
    /// The policy declares business hours, so `within business_hours` may be used.
    business_hours: bool,
    messages: Vec<Msg>,
    stages: usize,
    /// The consent, category and channel of the last `request consent` made.
    last_request: Option<(Ch, Cat, Ch)>,
}

impl Gen<'_> {
    fn message(&mut self, ch: Ch, cat: Cat, used_as: Use) -> usize {
        let worded = !(used_as == Use::Send && cat == Cat::Marketing && self.rng.chance(12));
        self.messages.push(Msg { ch, cat, used_as, tag: None, worded });
        self.messages.len() - 1
    }

    /// A Messenger message under a tag: mostly the human agent's (service, sometimes a
    /// promotion), else a withdrawn update tag.
    fn tagged(&mut self, in_handoff: bool) -> usize {
        let (tag, cat) = if in_handoff || self.rng.chance(60) {
            ("HUMAN_AGENT", self.rng.pick(&[Cat::Service, Cat::Marketing]))
        } else {
            ("ACCOUNT_UPDATE", self.rng.pick(&[Cat::Utility, Cat::Utility, Cat::Marketing]))
        };
        let index = self.message(Ch::Messenger, cat, Use::Send);
        self.messages[index].tag = Some(tag);
        index
    }

    fn channel(&mut self) -> Ch {
        self.rng.pick(&[Ch::Sms, Ch::Sms, Ch::Messenger, Ch::Messenger, Ch::Whatsapp, Ch::Email])
    }

    fn cond(&mut self) -> Cond {
        match self.rng.below(7) {
            0 => Cond::Gold,
            1 if self.business_hours => Cond::BusinessHours,
            2 if self.business_hours => {
                Cond::BusinessHoursAndConsent(self.rng.pick(&[Ch::Sms, Ch::Email, Ch::Whatsapp, Ch::Messenger]))
            }
            1 | 2 => Cond::Gold,
            3 => Cond::Consent(Ch::Whatsapp, Cat::Utility),
            _ => {
                let ch = self.rng.pick(&[Ch::Sms, Ch::Sms, Ch::Email, Ch::Whatsapp, Ch::Messenger]);
                Cond::Consent(ch, Cat::Marketing)
            }
        }
    }

    fn block(&mut self, stage: usize, depth: u32, max: usize) -> Block {
        let len = self.rng.range(1, max as u32) as usize;
        (0..len).map(|i| self.step(stage, depth, i + 1 == len)).collect()
    }

    /// The arm a person answered: the agent's reply under `HUMAN_AGENT` first, most of the time.
    fn answered_arm(&mut self, stage: usize, depth: u32) -> Block {
        let mut block = Vec::new();
        if self.rng.chance(60) {
            let send = Step::Send(self.tagged(true));
            if self.messages.last().is_some_and(|m| m.cat == Cat::Marketing) {
                // A promotion needs the opt-in: guarded, so that the tag is all that is wrong.
                let cond = Cond::Consent(Ch::Messenger, Cat::Marketing);
                block.push(Step::If { cond, then: vec![send], otherwise: vec![Step::Track] });
            } else {
                block.push(send);
            }
        }
        block.extend(self.block(stage, depth, 2));
        block
    }

    fn step(&mut self, stage: usize, depth: u32, last: bool) -> Step {
        let compound = depth < 2;
        loop {
            let step = match self.rng.below(100) {
                0..=2 => Step::Send(self.tagged(false)),
                3..=27 => {
                    let ch = self.channel();
                    let cat = self.rng.pick(&[Cat::Service, Cat::Utility, Cat::Marketing, Cat::Marketing]);
                    Step::Send(self.message(ch, cat, Use::Send))
                }
                28..=33 => Step::Wait(self.rng.pick(&HOURS)),
                // Times at the edges of the generated quiet hours, inside them, and where clocks
                // change (02:30 is skipped by some zones' spring change).
                34..=37 => Step::WaitUntil {
                    minute: self.rng.pick(&[479, 480, 540, 570, 600, 720, 1230, 1259, 1260, 150, 90]),
                    fixed: self.rng.chance(15),
                },
                38..=44 if compound => {
                    let ch = self.rng.pick(&[Ch::Messenger, Ch::Messenger, Ch::Whatsapp]);
                    let message = self.message(ch, Cat::Service, Use::Ask);
                    Step::Ask {
                        message,
                        timeout: self.rng.pick(&HOURS),
                        yes: self.block(stage, depth + 1, 2),
                        timeout_arm: self.block(stage, depth + 1, 2),
                    }
                }
                45..=51 if compound => Step::WaitFor {
                    event: self.rng.pick(&[
                        Awaited::MessengerMessage,
                        Awaited::MessengerMessage,
                        Awaited::WhatsappMessage,
                        Awaited::SmsOptOut,
                        Awaited::EmailUnsubscribe,
                        Awaited::Clicked,
                    ]),
                    within: self.rng.pick(&HOURS),
                    arm: self.block(stage, depth + 1, 2),
                    timeout_arm: self.block(stage, depth + 1, 2),
                },
                52..=61 if compound => {
                    let cond = self.cond();
                    let mut then = Vec::new();
                    // What the condition guards, most of the time: a send that needs the consent
                    // it tests, or marketing in business hours.
                    if self.rng.chance(50) {
                        match cond {
                            Cond::Consent(ch, cat) => then.push(Step::Send(self.message(ch, cat, Use::Send))),
                            Cond::BusinessHours => {
                                let ch = self.channel();
                                then.push(Step::Send(self.message(ch, Cat::Marketing, Use::Send)));
                            }
                            Cond::BusinessHoursAndConsent(ch) => {
                                then.push(Step::Send(self.message(ch, Cat::Marketing, Use::Send)));
                            }
                            Cond::Gold => {}
                        }
                    }
                    then.extend(self.block(stage, depth + 1, 2));
                    Step::If { cond, then, otherwise: self.block(stage, depth + 1, 2) }
                }
                62..=67 if compound => {
                    // Often the same request again (asked once more after a timeout or a
                    // decline), which the platforms' request limits are about (J0414).
                    let (ch, cat, via) = match self.last_request {
                        Some(again) if self.rng.chance(40) => again,
                        _ => {
                            let (ch, cat) = self.rng.pick(&[
                                (Ch::Sms, Cat::Marketing),
                                (Ch::Email, Cat::Marketing),
                                (Ch::Whatsapp, Cat::Marketing),
                                (Ch::Whatsapp, Cat::Utility),
                                (Ch::Messenger, Cat::Marketing),
                            ]);
                            (ch, cat, self.rng.pick(&[Ch::Messenger, Ch::Messenger, Ch::Whatsapp, Ch::Sms]))
                        }
                    };
                    self.last_request = Some((ch, cat, via));
                    let message = self.message(via, Cat::Service, Use::OptIn);
                    Step::Request {
                        ch,
                        cat,
                        message,
                        timeout: self.rng.pick(&HOURS),
                        granted: self.block(stage, depth + 1, 2),
                        declined: self.block(stage, depth + 1, 2),
                        timeout_arm: self.block(stage, depth + 1, 2),
                    }
                }
                68..=72 if compound => {
                    let arms = self.rng.pick(&[2, 2, 3]);
                    Step::Split((0..arms).map(|_| self.block(stage, depth + 1, 2)).collect())
                }
                73..=77 if compound => Step::Handoff {
                    timeout: self.rng.pick(&HOURS),
                    resolved: self.answered_arm(stage, depth + 1),
                    timeout_arm: self.block(stage, depth + 1, 2),
                },
                78 => Step::Tag,
                79..=81 => Step::Set,
                82..=84 => Step::Track,
                85..=90 if last && self.stages > 1 => {
                    let forward = stage + 1 < self.stages && self.rng.chance(60);
                    Step::Goto(if forward {
                        self.rng.range(stage as u32 + 1, self.stages as u32 - 1) as usize
                    } else {
                        self.rng.range(0, stage as u32) as usize
                    })
                }
                91..=95 if last => Step::Exit,
                96..=98 => Step::Revoke {
                    ch: self.rng.pick(&[Ch::Sms, Ch::Sms, Ch::Email, Ch::Whatsapp, Ch::Messenger]),
                    cat: Cat::Marketing,
                },
                _ => continue,
            };
            return step;
        }
    }
}

fn generate(rng: &mut Rng) -> Project {
    let stages = rng.range(1, 3) as usize;
    let policy = Policy {
        quiet: rng.pick(&[
            "21:00..08:00",
            "mon..sat 21:00..09:00, sun 21:00..12:00",
            "20:00..09:00",
            "22:00..08:00, sun 00:00..00:00",
            "21:00..07:00",
        ]),
        fixed_zone: rng.chance(10),
        jurisdiction: rng.pick(&["US", "US", "US-FL", "US-TX"]),
        cap: rng.chance(60).then(|| (rng.pick(&[1, 2, 2, 3]), rng.pick(&[1, 1, 2, 7]))),
        cap_channel: rng.chance(30).then(|| rng.pick(&[Ch::Sms, Ch::Sms, Ch::Messenger, Ch::Email])),
        business_hours: rng.chance(50),
    };
    let entry = rng.pick(&[
        Entry::SignedUp,
        Entry::MessengerMessage,
        Entry::MessengerMessage,
        Entry::AdReply,
        Entry::WhatsappMessage,
        Entry::Comment,
        Entry::Schedule,
        Entry::JoinsGoldSms,
    ]);
    let mut g = Gen { rng, business_hours: policy.business_hours, messages: Vec::new(), stages, last_request: None };
    let audience = g.rng.chance(40).then(|| g.cond());
    let reentry = if g.rng.chance(40) { None } else { Some(g.rng.pick(&[0, 0, 6, 24, 168])) };
    let bodies: Vec<Block> = (0..stages).map(|s| g.block(s, 0, 5)).collect();
    // A loop may wait forever: every trace ends such runs with `left` (see `trace`).
    let exit_on = g.rng.chance(20) || bodies.iter().enumerate().any(|(s, b)| goes_back(b, s));
    Project { policy, entry, audience, reentry, exit_on, messages: g.messages, stages: bodies }
}

/// Whether a block has a `handoff`.
fn has_handoff(block: &Block) -> bool {
    block.iter().any(|step| match step {
        Step::Handoff { .. } => true,
        Step::Ask { yes, timeout_arm: t, .. } => has_handoff(yes) || has_handoff(t),
        Step::WaitFor { arm, timeout_arm, .. } => has_handoff(arm) || has_handoff(timeout_arm),
        Step::If { then, otherwise, .. } => has_handoff(then) || has_handoff(otherwise),
        Step::Request { granted, declined, timeout_arm, .. } => {
            has_handoff(granted) || has_handoff(declined) || has_handoff(timeout_arm)
        }
        Step::Split(arms) => arms.iter().any(has_handoff),
        _ => false,
    })
}

/// Whether a block has a `goto` to its own stage or an earlier one.
fn goes_back(block: &Block, stage: usize) -> bool {
    block.iter().any(|step| match step {
        Step::Goto(to) => *to <= stage,
        Step::Ask { yes, timeout_arm: t, .. } | Step::Handoff { resolved: yes, timeout_arm: t, .. } => {
            goes_back(yes, stage) || goes_back(t, stage)
        }
        Step::WaitFor { arm, timeout_arm, .. } => goes_back(arm, stage) || goes_back(timeout_arm, stage),
        Step::If { then, otherwise, .. } => goes_back(then, stage) || goes_back(otherwise, stage),
        Step::Request { granted, declined, timeout_arm, .. } => {
            goes_back(granted, stage) || goes_back(declined, stage) || goes_back(timeout_arm, stage)
        }
        Step::Split(arms) => arms.iter().any(|a| goes_back(a, stage)),
        _ => false,
    })
}

fn message_name(index: usize, m: &Msg) -> String {
    match m.used_as {
        Use::Send => format!("m{index}"),
        Use::Ask => format!("q{index}"),
        Use::OptIn => format!("o{index}"),
    }
}

fn cond_text(cond: Cond) -> String {
    match cond {
        Cond::Consent(ch, cat) => format!("consent({}, {})", ch.name(), cat.name()),
        Cond::Gold => "tier == \"gold\"".to_owned(),
        Cond::BusinessHours => "within business_hours".to_owned(),
        Cond::BusinessHoursAndConsent(ch) => format!("within business_hours and consent({}, marketing)", ch.name()),
    }
}

fn source(p: &Project) -> String {
    source_with_lines(p).0
}

/// A step's place: its stage, then (step index, arm index) pairs, then its index.
type Path = Vec<usize>;

/// The source text, and the line of every step.
fn source_with_lines(p: &Project) -> (String, Vec<(usize, Path)>) {
    let mut lines = Vec::new();
    let mut t = String::from("import \"std/channels\"\nimport \"std/events\"\n\n");
    t.push_str(
        "profile {\n  timezone: timezone\n  tier: enum { member, gold }\n  phone: phone?\n  unsubscribe_url: url\n  postal_address: text\n}\n\n",
    );
    let quiet = p.policy.quiet;
    let zone = if p.policy.fixed_zone { "\"America/New_York\"" } else { "recipient" };
    writeln!(t, "policy {{\n  quiet_hours {quiet} {zone}\n  jurisdiction \"{}\"", p.policy.jurisdiction).unwrap();
    if let Some((k, d)) = p.policy.cap {
        let channel = p.policy.cap_channel.map(|c| format!("{} ", c.name())).unwrap_or_default();
        writeln!(t, "  frequency {channel}marketing at most {k} per {d}d").unwrap();
    }
    if p.policy.business_hours {
        // Hours by weekday for projects with a cap: varied without a draw of its own, so that
        // the random cases stay the ones the budgets were measured on.
        let saturday = if p.policy.cap.is_some() { ", sat 10:00..14:00" } else { "" };
        writeln!(t, "  business_hours mon..fri 09:00..18:00{saturday} \"America/New_York\"").unwrap();
    }
    t.push_str("}\n\nevent signed_up {}\nevent clicked {}\nevent left {}\n");
    for (i, m) in p.messages.iter().enumerate() {
        let name = message_name(i, m);
        writeln!(t, "\nmessage {name} on {} as {} {{", m.ch.name(), m.cat.name()).unwrap();
        match (m.used_as, m.ch) {
            // Every other WhatsApp question is a list message: its rows answer like replies.
            (Use::Ask, Ch::Whatsapp) if i % 2 == 0 => writeln!(
                t,
                "  text \"Question {name}?\"\n  list \"Answer\" {{\n    row \"Yes\" -> yes\n    row \"No\" -> no\n  }}"
            )
            .unwrap(),
            (Use::Ask, _) => {
                writeln!(t, "  text \"Question {name}?\"\n  reply \"Yes\" -> yes\n  reply \"No\" -> no").unwrap()
            }
            (Use::OptIn, Ch::Whatsapp) if i % 2 == 0 => writeln!(
                t,
                "  text \"News, {name}?\"\n  list \"Answer\" {{\n    section \"News\" {{\n      row \"Yes\" \"Send me news\" -> granted\n    }}\n    section \"No\" {{\n      row \"No\" -> declined\n    }}\n  }}"
            )
            .unwrap(),
            (Use::OptIn, Ch::Sms) => writeln!(t, "  text \"Reply YES for news, {name}\"").unwrap(),
            (Use::OptIn, _) => {
                writeln!(t, "  text \"News, {name}?\"\n  reply \"Yes\" -> granted\n  reply \"No\" -> declined").unwrap()
            }
            (Use::Send, _) if m.template() => writeln!(t, "  template \"{name}\" lang \"en_US\"").unwrap(),
            (Use::Send, Ch::Sms) if m.cat == Cat::Marketing && m.worded => {
                writeln!(t, "  text \"Deal {name}. Reply STOP to opt out\"").unwrap()
            }
            (Use::Send, Ch::Sms) if m.cat == Cat::Marketing => writeln!(t, "  text \"Deal {name} today\"").unwrap(),
            (Use::Send, Ch::Email) => {
                writeln!(t, "  subject \"Hello {name}\"").unwrap();
                if m.cat == Cat::Marketing && m.worded {
                    writeln!(t, "  text \"Deal {name}. Unsubscribe: {{unsubscribe_url}} - Acme, {{postal_address}}\"")
                        .unwrap()
                } else {
                    writeln!(t, "  text \"Hello {name}\"").unwrap()
                }
            }
            (Use::Send, _) => writeln!(t, "  text \"Hello {name}\"").unwrap(),
        }
        if let Some(tag) = m.tag {
            writeln!(t, "  tag {tag}").unwrap();
        }
        t.push_str("}\n");
    }
    if p.entry == Entry::JoinsGoldSms {
        t.push_str("\nsegment gold_sms = tier == \"gold\" and consent(sms, marketing)\n");
    }
    writeln!(t, "\njourney j {{\n  {}", p.entry.line()).unwrap();
    if let Some(cond) = p.audience {
        writeln!(t, "  audience {}", cond_text(cond)).unwrap();
    }
    match p.reentry {
        None => {}
        Some(0) => t.push_str("  reentry never\n"),
        Some(h) => writeln!(t, "  reentry after {h}h").unwrap(),
    }
    if p.exit_on {
        t.push_str("  exit on left\n");
    }
    for (i, stage) in p.stages.iter().enumerate() {
        writeln!(t, "\n  stage s{i} {{").unwrap();
        let mut w = Writer { lines: &mut lines, path: vec![i] };
        w.block(p, stage, 2, &mut t);
        t.push_str("  }\n");
    }
    t.push_str("}\n");
    (t, lines)
}

struct Writer<'l> {
    lines: &'l mut Vec<(usize, Path)>,
    path: Path,
}

impl Writer<'_> {
    fn block(&mut self, p: &Project, block: &Block, indent: usize, t: &mut String) {
        for (i, step) in block.iter().enumerate() {
            self.path.push(i);
            self.lines.push((t.matches('\n').count() + 1, self.path.clone()));
            self.step(p, step, indent, t);
            self.path.pop();
        }
    }

    fn arm(&mut self, p: &Project, label: &str, block: &Block, indent: usize, t: &mut String) {
        let pad = "  ".repeat(indent);
        writeln!(t, "{pad}{label} => {{").unwrap();
        self.block(p, block, indent + 1, t);
        writeln!(t, "{pad}}}").unwrap();
    }

    /// Writes an arm numbered `n` of the current step.
    fn nth(&mut self, n: usize, p: &Project, label: &str, block: &Block, indent: usize, t: &mut String) {
        self.path.push(n);
        self.arm(p, label, block, indent, t);
        self.path.pop();
    }

    fn step(&mut self, p: &Project, step: &Step, indent: usize, t: &mut String) {
        let pad = "  ".repeat(indent);
        let name = |m: usize| message_name(m, &p.messages[m]);
        match step {
            Step::Send(m) => writeln!(t, "{pad}send {}", name(*m)).unwrap(),
            Step::Wait(h) => writeln!(t, "{pad}wait {h}h").unwrap(),
            Step::WaitUntil { minute, fixed } => {
                let zone = if *fixed { "\"America/New_York\"" } else { "recipient" };
                writeln!(t, "{pad}wait until {:02}:{:02} {zone}", minute / 60, minute % 60).unwrap()
            }
            Step::Ask { message, timeout, yes, timeout_arm } => {
                // Every other question (by its message's number, not a draw of its own, so that
                // the random cases stay the ones the budgets were measured on) is asked again
                // once for an answer that matches no reply, then takes `other`: the re-ask is a
                // send the checker proves like any other.
                let retry = message % 2 == 1;
                let retries = if retry { " retries 1" } else { "" };
                writeln!(t, "{pad}ask {}{retries} timeout {timeout}h {{", name(*message)).unwrap();
                self.nth(0, p, "yes", yes, indent + 1, t);
                writeln!(t, "{pad}  no => exit").unwrap();
                if retry {
                    writeln!(t, "{pad}  other => exit").unwrap();
                }
                self.nth(1, p, "timeout", timeout_arm, indent + 1, t);
                writeln!(t, "{pad}}}").unwrap();
            }
            Step::WaitFor { event, within, arm, timeout_arm } => {
                writeln!(t, "{pad}wait for {} within {within}h {{", event.name()).unwrap();
                self.nth(0, p, event.name(), arm, indent + 1, t);
                self.nth(1, p, "timeout", timeout_arm, indent + 1, t);
                writeln!(t, "{pad}}}").unwrap();
            }
            Step::If { cond, then, otherwise } => {
                writeln!(t, "{pad}if {} {{", cond_text(*cond)).unwrap();
                self.path.push(0);
                self.block(p, then, indent + 1, t);
                self.path.pop();
                writeln!(t, "{pad}}} else {{").unwrap();
                self.path.push(1);
                self.block(p, otherwise, indent + 1, t);
                self.path.pop();
                writeln!(t, "{pad}}}").unwrap();
            }
            Step::Request { ch, cat, message, timeout, granted, declined, timeout_arm } => {
                writeln!(
                    t,
                    "{pad}request consent {} {} via {} timeout {timeout}h {{",
                    ch.name(),
                    cat.name(),
                    name(*message)
                )
                .unwrap();
                self.nth(0, p, "granted", granted, indent + 1, t);
                self.nth(1, p, "declined", declined, indent + 1, t);
                self.nth(2, p, "timeout", timeout_arm, indent + 1, t);
                writeln!(t, "{pad}}}").unwrap();
            }
            Step::Split(arms) => {
                let share = 100 / arms.len();
                writeln!(t, "{pad}split {{").unwrap();
                for (i, arm) in arms.iter().enumerate() {
                    let this = if i == 0 { 100 - share * (arms.len() - 1) } else { share };
                    self.nth(i, p, &format!("{this}%"), arm, indent + 1, t);
                }
                writeln!(t, "{pad}}}").unwrap();
            }
            Step::Handoff { timeout, resolved, timeout_arm } => {
                writeln!(t, "{pad}handoff \"care\" timeout {timeout}h {{").unwrap();
                self.nth(0, p, "resolved", resolved, indent + 1, t);
                self.nth(1, p, "timeout", timeout_arm, indent + 1, t);
                writeln!(t, "{pad}}}").unwrap();
            }
            Step::Tag => writeln!(t, "{pad}tag \"seen\"").unwrap(),
            Step::Set => writeln!(t, "{pad}set tier = \"gold\"").unwrap(),
            Step::Track => writeln!(t, "{pad}track \"step\"").unwrap(),
            Step::Revoke { ch, cat } => writeln!(t, "{pad}revoke consent {} {}", ch.name(), cat.name()).unwrap(),
            Step::Goto(s) => writeln!(t, "{pad}goto s{s}").unwrap(),
            Step::Exit => writeln!(t, "{pad}exit").unwrap(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checker's side: check in memory, keep the errors, emit the bundles.

struct Memory(BTreeMap<String, String>);

impl SourceLoader for Memory {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        self.0.get(path.as_str()).map(|text| text.as_bytes().to_vec()).ok_or(LoadError::NotFound)
    }
}

#[derive(Debug, Clone)]
struct Diag {
    code: String,
    /// The witness path of the diagnostic's `path: ...` or `path without consent: ...` note.
    path: Option<String>,
    /// 1-based line and column (in characters) of the diagnostic's primary span.
    line: usize,
    col: usize,
    message: String,
}

struct Checked {
    text: String,
    errors: Vec<Diag>,
    /// The bundles' JSON text, one per journey.
    bundles: Vec<String>,
}

fn check(text: &str) -> Checked {
    let memory = Memory([("main.journey".to_owned(), text.to_owned())].into_iter().collect());
    let report: ProjectReport = check_project(&[ProjectPath::new("main.journey").unwrap()], &memory);
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let start = d.primary.span.start().min(text.len());
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            let path = d.notes.iter().find_map(|n| {
                n.strip_prefix("path without consent: ").or_else(|| n.strip_prefix("path: ")).map(str::to_owned)
            });
            Diag { code: d.code.to_string(), path, line, col, message: d.message.clone() }
        })
        .collect();
    let bundles = bundle::emit(&report, BundleOptions::default()).into_iter().map(|(_, json)| json).collect();
    Checked { text: text.to_owned(), errors, bundles }
}

/// The node of a bundle whose source starts at (line, col).
fn node_at(bundle: &Value, line: usize, col: usize) -> Option<String> {
    bundle["nodes"].as_object()?.iter().find_map(|(id, node)| {
        let source = &node["source"];
        (source["line"].as_u64() == Some(line as u64) && source["col"].as_u64() == Some(col as u64)).then(|| id.clone())
    })
}

/// The project with the steps the checker rejected replaced by `track`, and quiet hours
/// strict enough for every law generated: the project the checker claims is just compliant.
/// `None` when an error is of a kind this cannot remove.
fn repair(project: &Project, checked: &Checked) -> Option<Project> {
    let (_, lines) = source_with_lines(project);
    let mut repaired = project.clone();
    for d in &checked.errors {
        match d.code.as_str() {
            "J0406" => repaired.policy.quiet = "20:00..12:00",
            // At the message: the wording is added.
            "J0410" | "J0411" => {
                let name = d.message.split('`').nth(1)?;
                let index: usize = name.get(1..)?.parse().ok()?;
                repaired.messages.get_mut(index)?.worded = true;
            }
            "J0401" | "J0402" | "J0403" | "J0404" | "J0405" | "J0407" | "J0408" | "J0409" | "J0414" | "J0502"
            | "J0506" => {
                let (_, path) = lines.iter().find(|(line, _)| *line == d.line)?;
                if let Some(step) = step_at(&mut repaired, path) {
                    *step = Step::Track;
                }
            }
            _ => return None,
        }
    }
    Some(repaired)
}

// ---------------------------------------------------------------------------------------------
// Traces: contacts and events, as the JSON Lines of docs/simulate.md.

const ZONES: [&str; 8] = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Lord_Howe",
    "Europe/London",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/New_York",
];

/// Days around clock changes in 2026 (US: 8 Mar, 1 Nov; EU: 29 Mar, 25 Oct; Lord Howe: 5 Apr,
/// 4 Oct; New Zealand: 5 Apr, 27 Sep), which fall on weekends, the weekdays beside some of them
/// (business hours), and one day without.
const DAYS: [&str; 14] = [
    "2026-03-06",
    "2026-03-09",
    "2026-10-30",
    "2026-11-02",
    "2026-03-07",
    "2026-03-08",
    "2026-03-28",
    "2026-04-04",
    "2026-09-26",
    "2026-10-03",
    "2026-10-24",
    "2026-10-31",
    "2026-11-01",
    "2026-06-15",
];

/// The weekdays of `DAYS`.
const WEEKDAYS: [&str; 5] = ["2026-03-06", "2026-03-09", "2026-10-30", "2026-11-02", "2026-06-15"];

const CONSENTS: [(&str, &str); 5] = [
    ("sms", "marketing"),
    ("email", "marketing"),
    ("whatsapp", "marketing"),
    ("whatsapp", "utility"),
    ("messenger", "marketing"),
];

#[derive(Debug, Clone)]
struct Trace {
    contacts: Vec<Value>,
    /// In non-decreasing time; (seconds, event).
    events: Vec<(i64, Value)>,
}

impl Trace {
    fn contacts_text(&self) -> String {
        self.contacts.iter().map(|c| format!("{c}\n")).collect()
    }
    fn events_text(&self) -> String {
        self.events.iter().map(|(_, e)| format!("{e}\n")).collect()
    }
}

fn event(at: i64, contact: &str, name: &str, fields: Value) -> (i64, Value) {
    (at, json!({"at": journey_runtime::time::format_utc(at), "contact": contact, "event": name, "fields": fields}))
}

fn entry_event(entry: Entry, at: i64, contact: &str, rng: &mut Rng) -> (i64, Value) {
    let fields = match entry {
        Entry::SignedUp => json!({}),
        Entry::MessengerMessage | Entry::WhatsappMessage => json!({"text": rng.pick(&["hello", "hi there"])}),
        Entry::AdReply => json!({"ad_id": "ad1"}),
        Entry::Comment => json!({"comment_id": "cm1", "post_id": "p1", "text": rng.pick(&["nice", "price?"])}),
        // A profile update: it may make the contact join `gold_sms`, and it spans the time in
        // which schedules fire (docs/simulate.md).
        Entry::Schedule | Entry::JoinsGoldSms => {
            let tier = rng.pick(&["gold", "member"]);
            return (
                at,
                json!({"at": journey_runtime::time::format_utc(at), "contact": contact, "profile": {"tier": tier}}),
            );
        }
    };
    event(at, contact, entry.name(), fields)
}

/// A random trace for `project`, whose bundle declares `declared` events.
fn trace(project: &Project, declared: &BTreeSet<String>, rng: &mut Rng) -> Trace {
    let mut contacts = Vec::new();
    let mut events = Vec::new();
    let people = rng.range(1, 2);
    for n in 0..people {
        // Split draws depend on the contact's id (docs/bundle.md §3.6): a new id, other arms.
        let id = format!("c{n}x{}", rng.below(1000));
        let consent: Vec<Value> = CONSENTS
            .iter()
            .filter(|_| rng.chance(45))
            .map(|(ch, cat)| json!({"channel": ch, "category": cat}))
            .collect();
        contacts.push(json!({
            "contact": id,
            "profile": {
                "timezone": rng.pick(&ZONES),
                "tier": rng.pick(&["member", "gold"]),
                "phone": "+447700900123",
                "unsubscribe_url": "https://acme.example/u",
                "postal_address": "1 Main St"
            },
            "consent": consent
        }));
        let day = journey_runtime::time::parse_utc(&format!("{}T00:00:00Z", rng.pick(&DAYS))).unwrap();
        let mut at = day + i64::from(rng.range(0, 24 * 60 - 1)) * 60;
        events.push(entry_event(project.entry, at, &id, rng));
        if project.stages.iter().any(has_handoff) && rng.chance(60) {
            // A person answers soon, as teams do: the handoff's `resolved` arm runs.
            events.push(event(at + i64::from(rng.range(1, 90)) * 60, &id, "handoff_resolved", json!({})));
        }
        let more = rng.range(0, 7);
        for _ in 0..more {
            // Mostly around the journey's own durations, exactly or a second either side.
            let hours = i64::from(rng.pick(&HOURS));
            at += match rng.below(6) {
                0 => 0,
                1 => i64::from(rng.range(1, 59)) * 60,
                2 => hours * 3600 - 1,
                3 => hours * 3600 + 1,
                _ => hours * 3600,
            };
            let pick_channel = |rng: &mut Rng| rng.pick(&["messenger", "messenger", "whatsapp", "sms"]);
            let e = match rng.below(14) {
                0..=3 => {
                    let mut fields = json!({"channel": pick_channel(rng)});
                    if rng.chance(70) {
                        fields["outcome"] = json!(rng.pick(&["yes", "no", "granted", "declined", "granted"]));
                    } else {
                        fields["text"] = json!(rng.pick(&["STOP", "YES", "hello", "HELP", "stop"]));
                    }
                    event(at, &id, "reply", fields)
                }
                4 if declared.contains("messenger_message") => {
                    event(at, &id, "messenger_message", json!({"text": rng.pick(&["hello", "STOP"])}))
                }
                5 if declared.contains("whatsapp_message") => {
                    event(at, &id, "whatsapp_message", json!({"text": rng.pick(&["hello", "STOP"])}))
                }
                6 => event(at, &id, "sms_opt_out", json!({"keyword": "STOP"})),
                7 => event(at, &id, "email_unsubscribe", json!({"method": "link"})),
                8 => {
                    let (ch, cat) = rng.pick(&CONSENTS);
                    event(at, &id, "consent_granted", json!({"channel": ch, "category": cat}))
                }
                9 => {
                    let (ch, cat) = rng.pick(&CONSENTS);
                    let fields =
                        if rng.chance(50) { json!({"channel": ch, "category": cat}) } else { json!({"channel": ch}) };
                    event(at, &id, "consent_revoked", fields)
                }
                10 => event(at, &id, "handoff_resolved", json!({})),
                11 if declared.contains("clicked") => event(at, &id, "clicked", json!({})),
                12 if declared.contains("left") => event(at, &id, "left", json!({})),
                13 => entry_event(project.entry, at, &id, rng),
                _ => continue,
            };
            events.push(e);
        }
        if project.exit_on {
            // Ends a run that loops forever, so that the runtime's timers run out.
            events.push(event(at + 30 * 86_400, &id, "left", json!({})));
        }
    }
    events.sort_by_key(|(at, _)| *at);
    Trace { contacts, events }
}

// ---------------------------------------------------------------------------------------------
// Witness traces (property b): a diagnostic's witness path made into events.

/// The steps of a witness path as the checker prints it (`entry -> ID (what) -[LABEL]-> ID
/// (what) ...`): each node id with the label of the edge the path takes from it (`None` for a
/// node with one edge, or the last).
fn parse_path(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut rest = text.strip_prefix("entry")?;
    let mut steps: Vec<(String, Option<String>)> = Vec::new();
    while !rest.is_empty() {
        let label = if let Some(after) = rest.strip_prefix(" -> ") {
            rest = after;
            None
        } else {
            let after = rest.strip_prefix(" -[")?;
            let (label, after) = after.split_once("]-> ")?;
            rest = after;
            Some(label.to_owned())
        };
        if let Some(last) = steps.last_mut() {
            last.1 = label;
        }
        let (id, after) = rest.split_once(" (")?;
        // The node's description ends at the next separator, or at the end.
        let end = [after.find(") -> "), after.find(") -[")].into_iter().flatten().min().unwrap_or(after.len() - 1);
        rest = after.get(end + 1..)?;
        steps.push((id.to_owned(), None));
    }
    Some(steps)
}

/// The step of `project` with bundle node id `id` (`s0.2.then.1`: stage, then 1-based step
/// numbers, with the arm's label between).
fn step_by_id<'p>(project: &'p Project, id: &str) -> Option<&'p Step> {
    let mut parts = id.split('.');
    let stage: usize = parts.next()?.strip_prefix('s')?.parse().ok()?;
    let number = |p: Option<&str>| p?.parse::<usize>().ok()?.checked_sub(1);
    let mut step = project.stages.get(stage)?.get(number(parts.next())?)?;
    while let Some(label) = parts.next() {
        let arm = match (step, label) {
            (Step::Ask { yes, .. }, "yes") => yes,
            (Step::Ask { timeout_arm, .. }, "timeout")
            | (Step::WaitFor { timeout_arm, .. }, "timeout")
            | (Step::Request { timeout_arm, .. }, "timeout")
            | (Step::Handoff { timeout_arm, .. }, "timeout") => timeout_arm,
            (Step::WaitFor { arm, .. }, _) => arm,
            (Step::If { then, .. }, "then") => then,
            (Step::If { otherwise, .. }, "else") => otherwise,
            (Step::Request { granted, .. }, "granted") => granted,
            (Step::Request { declined, .. }, "declined") => declined,
            (Step::Handoff { resolved, .. }, "resolved") => resolved,
            (Step::Split(arms), p) => arms.get(number(p.strip_prefix('p'))?)?,
            _ => return None,
        };
        step = arm.get(number(parts.next())?)?;
    }
    Some(step)
}

/// How long a witness trace lets each wait run before the contact answers: as late as the
/// timeout allows (the longest time since the contact's last message, for window errors), or at
/// once (sends close together, for caps).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pace {
    Latest,
    Soonest,
}

/// A trace that takes the run along `path`: the contact's consents, tier and id chosen for the
/// path's conditions and splits, and each answer, event or handoff resolution placed once the
/// run waits there. Where the run is when is found by running `bundles` on the events so far:
/// quiet hours may hold a send on the way, which the path's steps do not show. `None` when the
/// path cannot be read back into the project's steps.
fn witness_trace(
    project: &Project,
    bundles: &[Bundle],
    path: &[(String, Option<String>)],
    pace: Pace,
    rng: &mut Rng,
) -> Option<Trace> {
    let mut consents: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut gold = matches!(project.audience, Some(Cond::Gold));
    match project.audience {
        Some(Cond::Consent(ch, cat)) => {
            consents.insert((ch.name(), cat.name()));
        }
        Some(Cond::BusinessHoursAndConsent(ch)) => {
            consents.insert((ch.name(), "marketing"));
        }
        _ => {}
    }
    // Whether the run starts inside business hours (the audience or a condition on the path
    // asks for them), outside them, or either.
    let mut business_hours = match project.audience {
        Some(Cond::BusinessHours | Cond::BusinessHoursAndConsent(_)) => Some(true),
        _ => None,
    };
    let mut splits: Vec<(String, usize, Vec<u32>)> = Vec::new();
    let mut steps: Vec<(&str, &Step, Option<&str>)> = Vec::new();
    for (id, label) in path {
        let step = step_by_id(project, id)?;
        match (step, label.as_deref()) {
            (Step::If { cond: Cond::Consent(ch, cat), .. }, Some("then")) => {
                consents.insert((ch.name(), cat.name()));
            }
            (Step::If { cond: Cond::BusinessHoursAndConsent(ch), .. }, Some("then")) => {
                consents.insert((ch.name(), "marketing"));
                business_hours = business_hours.or(Some(true));
            }
            (Step::If { cond: Cond::BusinessHours, .. }, Some(then_or_else)) => {
                business_hours = business_hours.or(Some(then_or_else == "then"));
            }
            (Step::If { cond: Cond::Gold, .. }, Some(then_or_else)) => gold = then_or_else == "then",
            (Step::Split(arms), Some(p)) => {
                let arm: usize = p.strip_prefix('p')?.parse::<usize>().ok()?.checked_sub(1)?;
                let share = 100 / arms.len() as u32;
                let shares: Vec<u32> = (0..arms.len())
                    .map(|i| if i == 0 { 100 - share * (arms.len() as u32 - 1) } else { share })
                    .collect();
                splits.push((id.clone(), arm, shares));
            }
            _ => {}
        }
        steps.push((id, step, label.as_deref()));
    }
    // An id whose draws take the path's arms (docs/bundle.md §3.6; seed 0, the first run).
    let id = (0..5000).map(|n| format!("w{n}")).find(|candidate| {
        splits
            .iter()
            .all(|(node, arm, shares)| journey_runtime::engine::split_arm(0, candidate, "j", node, 1, shares) == *arm)
    })?;
    let consent: Vec<Value> = consents.iter().map(|(ch, cat)| json!({"channel": ch, "category": cat})).collect();
    let contact = json!({
        "contact": id,
        "profile": {
            "timezone": rng.pick(&ZONES),
            "tier": if gold { "gold" } else { "member" },
            "phone": "+447700900123",
            "unsubscribe_url": "https://acme.example/u",
            "postal_address": "1 Main St"
        },
        "consent": consent
    });
    // Business hours are Monday to Friday 09:00-18:00 in New York: 14:00-21:00 UTC is inside them
    // on a weekday in both winter and summer time, 03:00-10:00 UTC outside them.
    let (days, minutes): (&[&str], (u32, u32)) = match business_hours {
        Some(true) => (&WEEKDAYS, (14 * 60, 21 * 60 - 1)),
        Some(false) => (&DAYS, (3 * 60, 10 * 60 - 1)),
        None => (&DAYS, (0, 24 * 60 - 1)),
    };
    let day = journey_runtime::time::parse_utc(&format!("{}T00:00:00Z", rng.pick(days))).ok()?;
    let start = day + i64::from(rng.range(minutes.0, minutes.1)) * 60;
    let mut trace = Trace { contacts: vec![contact], events: vec![entry_event(project.entry, start, &id, rng)] };
    // When the run waits at `node`: run the events so far and read the wait's start and end.
    let answer_time = |trace: &Trace, node: &str| -> Option<i64> {
        let mut ended = trace.clone();
        if project.exit_on {
            // A loop waits forever: `left` ends the run well after the path's waits.
            let last = ended.events.last().map_or(start, |(at, _)| *at);
            ended.events.push(event(last + 30 * 86_400, &id, "left", json!({})));
        }
        let actions = run_runtime(bundles, &ended)?;
        let (at, until) = actions.iter().rev().find_map(|a| match &a.what {
            What::Wait { until, .. } if a.node.as_deref() == Some(node) => Some((secs(&a.at), secs(until))),
            _ => None,
        })?;
        Some(match pace {
            Pace::Latest => until - 1,
            Pace::Soonest => (at + 60).min(until - 1),
        })
    };
    let mut last = start;
    for (node, step, label) in steps {
        let at = match (step, label) {
            (_, None | Some("timeout")) => continue,
            (Step::Ask { .. } | Step::WaitFor { .. } | Step::Request { .. } | Step::Handoff { .. }, Some(_)) => {
                answer_time(&trace, node)?
            }
            _ => continue,
        };
        last = at;
        let events = &mut trace.events;
        match (step, label) {
            (Step::Ask { message, .. }, Some(outcome)) => {
                let channel = project.messages[*message].ch.name();
                events.push(event(at, &id, "reply", json!({"channel": channel, "outcome": outcome})));
            }
            (Step::WaitFor { event: awaited, .. }, Some(_)) => {
                let fields = match awaited {
                    Awaited::MessengerMessage | Awaited::WhatsappMessage => json!({"text": "hello"}),
                    Awaited::SmsOptOut => json!({"keyword": "STOP"}),
                    Awaited::EmailUnsubscribe => json!({"method": "link"}),
                    Awaited::Clicked => json!({}),
                };
                events.push(event(at, &id, awaited.name(), fields));
            }
            (Step::Request { message, .. }, Some(outcome)) => {
                let channel = project.messages[*message].ch.name();
                let fields = match (project.messages[*message].ch, outcome) {
                    // SMS has no reply buttons: the runtime reads YES and STOP.
                    (Ch::Sms, "granted") => json!({"channel": channel, "text": "YES"}),
                    (Ch::Sms, _) => json!({"channel": channel, "text": "STOP"}),
                    _ => json!({"channel": channel, "outcome": outcome}),
                };
                events.push(event(at, &id, "reply", fields));
            }
            (Step::Handoff { .. }, Some(_)) => {
                events.push(event(at, &id, "handoff_resolved", json!({})));
            }
            _ => {}
        }
        trace.events.sort_by_key(|(at, _)| *at);
    }
    if project.exit_on {
        trace.events.push(event(last + 30 * 86_400, &id, "left", json!({})));
    }
    Some(trace)
}

/// The runtime's actions for `trace` on `bundles`, or `None` when it refuses the input.
fn run_runtime(bundles: &[Bundle], trace: &Trace) -> Option<Vec<Action>> {
    let schema = Schema::of(bundles).ok()?;
    let contacts = parse_contacts("contacts", &trace.contacts_text(), &schema, &LIMITS).ok()?;
    let known: BTreeSet<String> = contacts.iter().map(|c| c.id.clone()).collect();
    let events = parse_events("events", &trace.events_text(), &schema, Some(&known), &LIMITS).ok()?;
    Some(journey_runtime::run(bundles, &contacts, &events, &journey_runtime::Options::default()))
}

// ---------------------------------------------------------------------------------------------
// Running: the runtime over a trace, then the monitor over its actions.

/// The runtime's copy of a bundle without its run-time guards, for property (b): a `missing`
/// consent reads as not required, and there are no windows and no caps, so that the sends the
/// checker warned about go out and the monitor sees them.
fn permissive(json: &str) -> Result<Bundle, String> {
    let mut value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if let Some(records) = value["compliance"].as_object_mut() {
        for record in records.values_mut() {
            let category = record["category"].as_str().unwrap_or("service").to_owned();
            record["consent"] = json!(format!("not required for {category} messages"));
        }
    }
    let mut parsed = Bundle::parse(&value.to_string())?;
    for channel in parsed.channels.values_mut() {
        channel.window_s = None;
    }
    parsed.frequency.clear();
    Ok(parsed)
}

struct Ran {
    actions: Vec<Action>,
    findings: Vec<journey_monitor::Finding>,
}

fn execute(bundles: &[String], permissive_runtime: bool, trace: &Trace) -> Result<Ran, String> {
    let parsed: Vec<Bundle> = bundles
        .iter()
        .map(|b| if permissive_runtime { permissive(b) } else { Bundle::parse(b) })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the runtime refused the bundle: {e}"))?;
    let schema = Schema::of(&parsed)?;
    let contacts_text = trace.contacts_text();
    let events_text = trace.events_text();
    let contacts = parse_contacts("contacts", &contacts_text, &schema, &LIMITS).map_err(|e| e.to_string())?;
    let known: BTreeSet<String> = contacts.iter().map(|c| c.id.clone()).collect();
    let events = parse_events("events", &events_text, &schema, Some(&known), &LIMITS).map_err(|e| e.to_string())?;
    let actions = journey_runtime::run(&parsed, &contacts, &events, &journey_runtime::Options::default());
    let values: Vec<Value> = bundles.iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    let m_contacts = journey_monitor::parse_contacts(&contacts_text).map_err(|e| e.to_string())?;
    let m_events = journey_monitor::parse_events(&events_text).map_err(|e| e.to_string())?;
    let m_actions =
        journey_monitor::parse_actions(&journey_runtime::action::to_json_lines(&actions)).map_err(|e| e.to_string())?;
    let findings = journey_monitor::monitor_json(&values, &m_contacts, &m_events, &m_actions)
        .map_err(|e| format!("the monitor refused the bundle: {e:?}"))?;
    Ok(Ran { actions, findings })
}

// ---------------------------------------------------------------------------------------------
// Property (a): explaining the runtime's refusals on an accepted project.

fn secs(at: &str) -> i64 {
    journey_runtime::time::parse_utc(at).unwrap()
}

/// What a rule id is about, for grouping and for matching a J04 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Consent,
    Window,
    Tag,
    Quiet,
    Frequency,
    Wording,
    Other,
}

fn class_of(rule: &str, reason: &str) -> Class {
    match rule {
        // The monitor's wording finding: "... message on CHANNEL (MEDIUM) without ...".
        "CTIA-STOP" | "CANSPAM" if reason.contains(") without ") => Class::Wording,
        "MSGR-TAG-HA" | "IG-HA" | "MSGR-TAG-LEGACY" | "MSGR-TAG-PROMO" | "J0403" => Class::Tag,
        "TCPA-PEWC" | "MSGR-MKT" | "IG-MKT" | "WA-OPTIN" | "EPR-13" | "GDPR-7" | "GDPR-DEF" | "CTIA-STOP"
        | "TCPA-REV" | "CANSPAM" | "WA-US-MKT" => Class::Consent,
        "MSGR-WIN-1" | "WA-CSW" | "IG-WIN" | "J0402" => Class::Window,
        "J0409" | "POLICY-FREQ" => Class::Frequency,
        "TCPA-QH" | "INTL-QH" | "TX-SB140" | "J0406" => Class::Quiet,
        // The state laws have both hours and a count.
        "FL-FTSA" | "OR-HB3865" | "OK/MD" if reason.contains("allows") || reason.contains("local time") => Class::Quiet,
        "FL-FTSA" | "OR-HB3865" | "OK/MD" => Class::Frequency,
        _ => Class::Other,
    }
}

/// A run's identity: contact, journey, run number.
type RunKey = (String, String, u64);

fn run_key(a: &Action) -> RunKey {
    (a.contact.clone(), a.journey.clone(), a.run)
}

/// The channel of the message an ask, consent request or send node sends.
fn node_message_channel<'b>(bundle: &'b Value, node: &str) -> Option<&'b str> {
    let message = bundle["nodes"][node]["message"].as_str()?;
    bundle["messages"][message]["channel"].as_str()
}

fn node_kind<'b>(bundle: &'b Value, node: &str) -> &'b str {
    bundle["nodes"][node]["kind"].as_str().unwrap_or("")
}

/// Whether the run was waiting for an answer on `channel` (an ask or consent request whose
/// message is on it) at `at`: the run's last action at or before `at` is at such a node.
fn waiting_for_answer(bundle: &Value, run: &[&Action], channel: &str, at: i64) -> bool {
    run.iter().rev().find(|a| secs(&a.at) <= at).is_some_and(|a| {
        let node = a.node.as_deref().unwrap_or("");
        matches!(node_kind(bundle, node), "ask" | "consent_request")
            && node_message_channel(bundle, node) == Some(channel)
            && matches!(a.what, What::Wait { .. } | What::Branch { .. } | What::Send { .. })
    })
}

/// The run took the edge named `outcome` at `at`.
fn took(run: &[&Action], outcome: &str, at: i64) -> bool {
    run.iter().any(|a| secs(&a.at) == at && matches!(&a.what, What::Branch { outcome: o } if o == outcome))
}

const STOP_WORDS: [&str; 2] = ["STOP", "stop"];

/// A revocation of `channel` in [from, to] that the run did not observe (see the module docs).
fn foreign_revocation(
    bundle: &Value,
    trace: &Trace,
    actions: &[Action],
    key: &RunKey,
    channel: &str,
    from: i64,
    to: i64,
) -> Option<String> {
    let run: Vec<&Action> = actions.iter().filter(|a| run_key(a) == *key).collect();
    for (at, e) in trace.events.iter().filter(|(at, e)| e["contact"] == key.0.as_str() && (from..=to).contains(at)) {
        let name = e["event"].as_str().unwrap_or("");
        let fields = &e["fields"];
        let on = |c: &str| fields["channel"].as_str() == Some(c);
        let foreign = match name {
            "consent_revoked" => on(channel),
            "sms_opt_out" => channel == "sms" && !took(&run, name, *at),
            "email_unsubscribe" => channel == "email" && !took(&run, name, *at),
            "reply" => {
                on(channel)
                    && fields["text"].as_str().is_some_and(|t| STOP_WORDS.contains(&t))
                    && !waiting_for_answer(bundle, &run, channel, *at)
            }
            _ => false,
        };
        if foreign {
            return Some(format!("{name} at {}", e["at"]));
        }
    }
    // The decline of another run's consent request for this channel.
    actions
        .iter()
        .filter(|a| run_key(a) != *key && a.contact == key.0)
        .filter(|a| (from..=to).contains(&secs(&a.at)))
        .filter(|a| bundle["nodes"][a.node.as_deref().unwrap_or("")]["channel"] == channel)
        .find(|a| matches!(&a.what, What::Branch { outcome } if outcome == "declined"))
        .map(|a| format!("a decline by another run at {}", a.at))
}

/// An inbound message on messenger during the run that the run did not observe, after an ad
/// reply or a comment opened 7 days: it replaces them with 24 hours.
fn foreign_window_shortening(
    project: &Project,
    bundle: &Value,
    trace: &Trace,
    actions: &[Action],
    key: &RunKey,
    channel: &str,
    (from, to): (i64, i64),
) -> Option<String> {
    if !matches!(project.entry, Entry::AdReply | Entry::Comment) || channel != "messenger" {
        return None;
    }
    let run: Vec<&Action> = actions.iter().filter(|a| run_key(a) == *key).collect();
    trace
        .events
        .iter()
        // From the run's own second: a message in the same second after the ad reply counts.
        .filter(|(at, e)| e["contact"] == key.0.as_str() && *at >= from && *at <= to)
        .find(|(at, e)| {
            let name = e["event"].as_str().unwrap_or("");
            // Another ad reply opens 7 days again: only ordinary messages shorten the window.
            let inbound = name == "messenger_message" || (name == "reply" && e["fields"]["channel"] == "messenger");
            // Observed: the run took that event's edge, or the reply answered its question.
            let observed = run.iter().any(|a| {
                secs(&a.at) == *at
                    && match &a.what {
                        What::Branch { outcome } if name == "messenger_message" => outcome == name,
                        What::Branch { .. } => {
                            let node = a.node.as_deref().unwrap_or("");
                            matches!(node_kind(bundle, node), "ask" | "consent_request")
                                && node_message_channel(bundle, node) == Some("messenger")
                        }
                        _ => false,
                    }
            });
            inbound && !observed
        })
        .map(|(_, e)| format!("{} at {}", e["event"], e["at"]))
}

/// Why a refusal is not the checker's business, or `None` when it is (unsoundness).
fn explain_refusal(
    project: &Project,
    bundle: &Value,
    trace: &Trace,
    actions: &[Action],
    refused: &Action,
) -> Option<String> {
    let What::Refused { channel, rule, reason, .. } = &refused.what else { return Some("not a refusal".into()) };
    if reason.contains("consent request(s) in the last") {
        return (!earlier_request_on_the_run(bundle, actions, refused))
            .then(|| "a consent request limit exceeded across runs only: the runtime's job (§5)".into());
    }
    let key = run_key(refused);
    let start =
        actions.iter().find(|a| run_key(a) == key && matches!(a.what, What::Enter { .. })).map_or(0, |a| secs(&a.at));
    let at = secs(&refused.at);
    let node = refused.node.as_deref().unwrap_or("");
    let record = &bundle["compliance"][node];
    let consent = record["consent"].as_str().unwrap_or("");
    if reason.contains("opted out of every message") && consent.starts_with("not required") {
        return Some("the channel is blocked, and the send needs no consent: the runtime's job (§5)".into());
    }
    match class_of(rule, reason) {
        Class::Consent => {
            let consent_channel =
                consent.strip_prefix("consent(").and_then(|rest| rest.split(',').next()).unwrap_or(channel.as_str());
            foreign_revocation(bundle, trace, actions, &key, consent_channel, start, at)
                .map(|why| format!("revoked outside the journey's model: {why}"))
        }
        Class::Window | Class::Tag => {
            foreign_window_shortening(project, bundle, trace, actions, &key, channel, (start, at))
                .map(|why| format!("the ad reply's window replaced by a later message: {why}"))
        }
        Class::Frequency => {
            let category = record["category"].as_str().unwrap_or("");
            let caps = bundle["policies"]["frequency"].as_array().cloned().unwrap_or_default();
            let within_run_exceeded = caps.iter().filter(|c| c["category"] == category).any(|cap| {
                let per = cap["per_s"].as_i64().unwrap_or(0);
                let max = cap["max"].as_u64().unwrap_or(0) as usize;
                let mine = actions
                    .iter()
                    .filter(|a| run_key(a) == key)
                    .filter(|a| matches!(&a.what, What::Send { category: c, .. } if c == category))
                    .filter(|a| {
                        let then = secs(&a.at);
                        then <= at && at - then < per
                    })
                    .count();
                mine >= max
            });
            (!within_run_exceeded).then(|| "the cap is exceeded across runs only: the runtime's job (§6)".into())
        }
        Class::Quiet | Class::Wording | Class::Other => None,
    }
}

/// Why a monitor finding on an accepted project is a documented difference between the monitor
/// and the runtime, or `None`. The one difference left: a revocation in the very second of a send
/// (docs/simulate.md). Messenger opt-in requests across runs are the runtime's to count and
/// refuse (docs/bundle.md §5), so a second one within the week is never sent.
fn explain_finding(finding: &journey_monitor::Finding) -> Option<String> {
    // Events and actions at the same second: the runtime handles them in file order (a timer or
    // an earlier event's send first), the monitor takes the contact's events first, "so a
    // revocation in the same second as a send counts as before it" (docs/simulate.md): a
    // documented difference of reading, not a send the checker could have proved wrong.
    if matches!(class_of(&finding.rule, &finding.reason), Class::Consent)
        && finding.reason.contains(&format!("at {}", finding.at))
        // A decline is the run's own doing, not the contact's input racing the send.
        && !finding.reason.contains("consent request")
    {
        return Some("a revocation in the send's second: the monitor's stricter reading".to_owned());
    }
    None
}

/// Whether the run of `request` (a consent request handed over or refused) handed over another
/// request for the same consent within the week before it: within a run the checker proves the
/// limit (J0414); across runs the runtime counts (docs/bundle.md §5).
fn earlier_request_on_the_run(bundle: &Value, actions: &[Action], request: &Action) -> bool {
    let Some(node) = request.node.as_deref() else { return false };
    let at = secs(&request.at);
    let key = run_key(request);
    let week = 7 * 86_400;
    actions.iter().any(|a| {
        run_key(a) == key
            && !std::ptr::eq(a, request)
            && matches!(a.what, What::Send { .. })
            && a.node.as_deref().is_some_and(|n| {
                let other = &bundle["nodes"][n];
                other["kind"] == "consent_request"
                    && other["channel"] == bundle["nodes"][node]["channel"]
                    && other["category"] == bundle["nodes"][node]["category"]
            })
            && secs(&a.at) <= at
            && at - secs(&a.at) < week
    })
}

// ---------------------------------------------------------------------------------------------
// The search.

fn cases() -> u64 {
    std::env::var("JOURNEY_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("JOURNEY_DIFF_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Traces per accepted project (property a) and the witness budget per rejected one (b).
const TRACES: u64 = 4;
const WITNESS_BUDGET: u64 = 12;
/// Traces made from one error's witness path (start times, zones and paces vary).
const WITNESS_PATH_TRIES: u64 = 4;

/// One kind of disagreement with its smallest example.
#[derive(Default)]
struct Group {
    count: usize,
    example: Option<(usize, String)>,
}

impl Group {
    fn add(&mut self, size: usize, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.example.as_ref().is_none_or(|(s, _)| size < *s) {
            self.example = Some((size, describe()));
        }
    }
}

fn show(checked: &Checked, trace: &Trace, actions: &[Action], what: &str) -> String {
    format!(
        "{what}\n--- main.journey\n{}--- contacts\n{}--- events\n{}--- actions\n{}",
        checked.text,
        trace.contacts_text(),
        trace.events_text(),
        journey_runtime::action::to_json_lines(actions)
    )
}

#[derive(Default)]
struct Stats {
    projects: usize,
    accepted: usize,
    /// Accepted once the rejected steps were removed.
    repaired: usize,
    invalid: usize,
    traces: usize,
    sends: usize,
    refusals_explained: usize,
    /// Monitor findings explained as documented differences or the runtime's known gaps.
    known_gaps: usize,
    /// The explanations given, by kind.
    explained: BTreeMap<String, usize>,
    /// J04 errors compared per code: (reported, with a witness path, witnessed on a trace made
    /// from that path, witnessed by the random search).
    alarms: BTreeMap<String, (usize, usize, usize, usize)>,
    /// Other error codes on rejected projects, not compared.
    other_errors: BTreeMap<String, usize>,
    /// Property (a) failures, by kind.
    unsound: BTreeMap<String, Group>,
    /// Property (b): errors without a witness, by code.
    false_alarms: BTreeMap<String, Group>,
    /// Front-end errors: the generator's fault.
    invalid_examples: BTreeMap<String, Group>,
}

fn accepted_property(stats: &mut Stats, case: u64, project: &Project, checked: &Checked) {
    let bundle: Value = serde_json::from_str(&checked.bundles[0]).unwrap();
    let declared: BTreeSet<String> = bundle["events"].as_object().unwrap().keys().cloned().collect();
    let mut rng = Rng::new(seed() ^ case.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA);
    for _ in 0..TRACES {
        let trace = trace(project, &declared, &mut rng);
        stats.traces += 1;
        let ran = match execute(&checked.bundles, false, &trace) {
            Ok(ran) => ran,
            Err(why) => {
                let size = checked.text.len();
                stats
                    .unsound
                    .entry(format!("cannot run: {}", why.split(':').next().unwrap_or("")))
                    .or_default()
                    .add(size, || show(checked, &trace, &[], &why));
                continue;
            }
        };
        stats.sends += ran.actions.iter().filter(|a| matches!(a.what, What::Send { .. })).count();
        for finding in &ran.findings {
            if let Some(why) = explain_finding(finding) {
                stats.known_gaps += 1;
                *stats.explained.entry(format!("monitor: {}", why.split(':').next().unwrap_or(""))).or_default() += 1;
                continue;
            }
            let size = checked.text.len() + trace.events.len() * 40;
            let kind = format!("monitor flags a send of an accepted project: {}", finding.rule);
            stats.unsound.entry(kind).or_default().add(size, || {
                show(checked, &trace, &ran.actions, &format!("{} at {}: {}", finding.rule, finding.at, finding.reason))
            });
        }
        for refused in ran.actions.iter().filter(|a| matches!(a.what, What::Refused { .. })) {
            match explain_refusal(project, &bundle, &trace, &ran.actions, refused) {
                Some(why) => {
                    stats.refusals_explained += 1;
                    let kind = why.split(':').next().unwrap_or("").to_owned();
                    *stats.explained.entry(kind).or_default() += 1;
                }
                None => {
                    let What::Refused { rule, reason, .. } = &refused.what else { unreachable!() };
                    let size = checked.text.len() + trace.events.len() * 40;
                    let kind = format!("runtime refuses what the checker proved: {rule}");
                    stats.unsound.entry(kind).or_default().add(size, || {
                        show(
                            checked,
                            &trace,
                            &ran.actions,
                            &format!("{rule} at {} {:?}: {reason}", refused.at, refused.node),
                        )
                    });
                }
            }
        }
    }
}

/// A J04 error compared with the monitor: (code, the send: a node, `message NAME` for wording,
/// or None for "any send, for quiet hours", class, message, witness path).
type Alarm = (String, Option<String>, Class, String, Option<String>);

fn rejected_property(stats: &mut Stats, case: u64, project: &Project, checked: &Checked) {
    let Some(bundle_text) = checked.bundles.first() else { return };
    let bundle: Value = serde_json::from_str(bundle_text).unwrap();
    let declared: BTreeSet<String> =
        bundle["events"].as_object().map(|e| e.keys().cloned().collect()).unwrap_or_default();
    let mut alarms: Vec<Alarm> = Vec::new();
    for d in &checked.errors {
        let class = match d.code.as_str() {
            "J0401" => Class::Consent,
            "J0402" | "J0407" => Class::Window,
            "J0403" | "J0404" | "J0405" => Class::Tag,
            "J0409" => Class::Frequency,
            "J0406" => Class::Quiet,
            "J0410" | "J0411" => Class::Wording,
            other => {
                *stats.other_errors.entry(other.to_owned()).or_default() += 1;
                continue;
            }
        };
        let node = match class {
            Class::Quiet => None,
            // At the message's declaration: any send of that message.
            Class::Wording => d.message.split('`').nth(1).map(|name| format!("message {name}")),
            _ => node_at(&bundle, d.line, d.col),
        };
        if class != Class::Quiet && node.is_none() {
            *stats.other_errors.entry(format!("{} (at no node)", d.code)).or_default() += 1;
            continue;
        }
        alarms.push((d.code.clone(), node, class, d.message.clone(), d.path.clone()));
    }
    if alarms.is_empty() {
        return;
    }
    let flags = |ran: &Ran, node: &Option<String>, class: Class| {
        ran.findings.iter().any(|f| {
            let found = class_of(&f.rule, &f.reason);
            // A marketing message outside Messenger's window is a window finding for the
            // monitor and a consent error for the checker: either is the same send.
            let matches = found == class
                || (matches!(class, Class::Consent | Class::Window | Class::Tag)
                    && matches!(found, Class::Consent | Class::Window | Class::Tag));
            let at_send = match node.as_deref() {
                None => true,
                Some(wording) if wording.starts_with("message ") => wording.get(8..) == Some(f.message.as_str()),
                Some(node) => f.node.as_deref() == Some(node),
            };
            matches && at_send
        })
    };
    let mut rng = Rng::new(seed() ^ case.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xB);
    // First each error's own witness path, made into traces (a few start times and zones, the
    // answers as late as allowed and at once).
    let mut by_path = vec![false; alarms.len()];
    let permissive_bundles: Vec<Bundle> = checked.bundles.iter().filter_map(|b| permissive(b).ok()).collect();
    for (i, (_, node, class, _, path)) in alarms.iter().enumerate() {
        let Some(steps) = path.as_deref().and_then(parse_path) else { continue };
        for attempt in 0..WITNESS_PATH_TRIES {
            let pace = match (class, attempt % 2) {
                (Class::Frequency, _) | (_, 1) => Pace::Soonest,
                _ => Pace::Latest,
            };
            let Some(trace) = witness_trace(project, &permissive_bundles, &steps, pace, &mut rng) else { break };
            stats.traces += 1;
            let Ok(ran) = execute(&checked.bundles, true, &trace) else { continue };
            if flags(&ran, node, *class) {
                by_path[i] = true;
                break;
            }
        }
    }
    let mut witnessed = by_path.clone();
    for _ in 0..WITNESS_BUDGET {
        if witnessed.iter().all(|w| *w) {
            break;
        }
        let trace = trace(project, &declared, &mut rng);
        stats.traces += 1;
        let Ok(ran) = execute(&checked.bundles, true, &trace) else { continue };
        for (i, (_, node, class, _, _)) in alarms.iter().enumerate() {
            witnessed[i] |= flags(&ran, node, *class);
        }
    }
    for (i, ((code, node, _, message, path), seen)) in alarms.iter().zip(&witnessed).enumerate() {
        let entry = stats.alarms.entry(code.clone()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(path.is_some());
        entry.2 += usize::from(by_path[i]);
        entry.3 += usize::from(*seen && !by_path[i]);
        if !seen {
            stats.false_alarms.entry(code.clone()).or_default().add(checked.text.len(), || {
                format!("{code} at {node:?}: {message}\n--- main.journey\n{}", checked.text)
            });
        }
    }
}

/// Runs `total` cases; with `stop_at_unsound`, stops after the first project on which property
/// (a) fails and returns its source too.
fn search(total: u64, stop_at_unsound: bool) -> (Stats, Option<(u64, Project)>) {
    let mut stats = Stats::default();
    let unsound = |stats: &Stats| stats.unsound.values().map(|g| g.count).sum::<usize>();
    for case in 0..total {
        if stop_at_unsound && unsound(&stats) > 0 {
            break;
        }
        let mut rng = Rng::new(seed().wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ case);
        let project = generate(&mut rng);
        let checked = check(&source(&project));
        stats.projects += 1;
        let front_end: Vec<&Diag> = checked
            .errors
            .iter()
            .filter(|d| d.code.starts_with("J01") || d.code.starts_with("J02") || d.code.starts_with("J03"))
            .collect();
        if let Some(d) = front_end.first() {
            stats.invalid += 1;
            stats.invalid_examples.entry(d.code.clone()).or_default().add(checked.text.len(), || {
                format!("{} {}:{}: {}\n{}", d.code, d.line, d.col, d.message, checked.text)
            });
            continue;
        }
        if checked.errors.is_empty() {
            stats.accepted += 1;
            let before = unsound(&stats);
            accepted_property(&mut stats, case, &project, &checked);
            if stop_at_unsound && unsound(&stats) > before {
                return (stats, Some((case, project)));
            }
            continue;
        }
        rejected_property(&mut stats, case, &project, &checked);
        // Property (a) again on the project without what the checker rejected: it is accepted
        // at the edge of what the checker can prove, where unsoundness shows first.
        let mut current = (project, checked);
        for _ in 0..4 {
            let Some(repaired) = repair(&current.0, &current.1) else { break };
            let checked = check(&source(&repaired));
            if checked.errors.is_empty() {
                stats.repaired += 1;
                let before = unsound(&stats);
                accepted_property(&mut stats, case, &repaired, &checked);
                if stop_at_unsound && unsound(&stats) > before {
                    return (stats, Some((case, repaired)));
                }
                break;
            }
            current = (repaired, checked);
        }
    }
    (stats, None)
}

fn report(stats: &Stats, elapsed: std::time::Duration) -> String {
    let mut out = format!(
        "{} projects in {elapsed:.1?} (seed {}): {} accepted, {} more once repaired, {} invalid; {} traces, {} sends; {} refusals explained \
         as the runtime's job; {} monitor findings explained as documented differences\n",
        stats.projects,
        seed(),
        stats.accepted,
        stats.repaired,
        stats.invalid,
        stats.traces,
        stats.sends,
        stats.refusals_explained,
        stats.known_gaps
    );
    for (code, (reported, with_path, by_path, by_search)) in &stats.alarms {
        writeln!(
            out,
            "  {code}: {reported} errors ({with_path} with a witness path); witnessed by the monitor: {by_path} on the trace made from the path, {by_search} more by the search; {} not",
            reported - by_path - by_search
        )
        .unwrap();
    }
    writeln!(out, "  other errors, not compared: {:?}", stats.other_errors).unwrap();
    for (kind, count) in &stats.explained {
        writeln!(out, "  explained {count} times: {kind}").unwrap();
    }
    for (title, groups) in
        [("UNSOUND (a)", &stats.unsound), ("no witness (b)", &stats.false_alarms), ("INVALID", &stats.invalid_examples)]
    {
        for (kind, group) in groups {
            let example = group.example.as_ref().map_or("", |(_, e)| e.as_str());
            writeln!(out, "\n=== {title}: {kind}: {} times; smallest:\n{example}", group.count).unwrap();
        }
    }
    out
}

#[test]
fn accepted_projects_are_compliant_on_every_trace_and_j04_errors_are_reported_with_witnesses() {
    let started = std::time::Instant::now();
    let (stats, _) = search(cases(), false);
    let text = report(&stats, started.elapsed());
    eprintln!("{text}");
    assert_eq!(stats.invalid, 0, "the generator made invalid projects:\n{text}");
    assert!(stats.accepted > 0, "no project was accepted: the search tests nothing");
    assert!(stats.unsound.is_empty(), "{} kinds of checker unsoundness:\n{text}", stats.unsound.len());
}

// ---------------------------------------------------------------------------------------------
// The tester can fail: each analysis weakened in turn (compiler/src/weakening.rs) must make
// property (a) fail, on a project that the checker without the weakening rejects with the code
// the weakening breaks. A tester that passed a weakened checker would prove nothing.

/// Cases searched per weakening before the test gives up (each stops at its first failure).
/// 600 until issue 17's constructs (revoke, `wait until`, comments, segment joins) thinned out the
/// projects that repeat a consent request within a run (J0414's weakening was caught after 1,283
/// projects); since the generator often asks a consent request again, it is caught after 46, and
/// with seed 0 the slowest is J0408's (business hours taken as never quiet), after 320.
const WEAKENED_BUDGET: u64 = 2000;

fn weakened_checker_is_caught(weakening: Weakening) {
    let started = std::time::Instant::now();
    let (stats, found) = journey_compiler::weakening::with(weakening, || search(WEAKENED_BUDGET, true));
    let text = report(&stats, started.elapsed());
    let Some((case, project)) = found else {
        panic!(
            "{weakening:?} ({}) went unnoticed by the differential test in {} projects:\n{text}",
            weakening.code(),
            stats.projects
        )
    };
    // The weakening made the difference: the sound checker rejects the project, or accepts it
    // with a bundle that passes on the very traces the weakened one failed.
    let sound = check(&source(&project));
    let codes: BTreeSet<&str> = sound.errors.iter().map(|d| d.code.as_str()).collect();
    let verdict = if codes.is_empty() {
        let mut again = Stats::default();
        accepted_property(&mut again, case, &project, &sound);
        assert!(
            again.unsound.is_empty(),
            "{weakening:?}: the sound checker's bundle fails on the same traces too:\n{}",
            report(&again, started.elapsed())
        );
        "accepted with other evidence (records) that passes".to_owned()
    } else {
        format!("rejected with {codes:?}")
    };
    eprintln!(
        "{weakening:?} ({}) caught after {} projects in {:.1?}; the sound checker: {verdict}",
        weakening.code(),
        stats.projects,
        started.elapsed()
    );
}

macro_rules! weakened {
    ($($name:ident: $weakening:ident,)*) => {$(
        #[test]
        fn $name() {
            weakened_checker_is_caught(Weakening::$weakening);
        }
    )*};
}

weakened! {
    a_consent_join_that_keeps_one_branchs_consent_is_caught: ConsentJoinUnion,
    a_window_join_that_keeps_the_shorter_branch_is_caught: WindowJoinShortest,
    leaving_quiet_hour_holds_out_of_the_window_bound_is_caught: HoldsIgnored,
    a_tag_that_carries_any_category_is_caught: TagAllowsAnyCategory,
    the_human_agent_tag_outside_a_handoff_is_caught: HumanAgentAnywhere,
    withdrawn_tags_left_unchecked_are_caught: WithdrawnTagsAllowed,
    quiet_hours_not_compared_with_the_law_are_caught: QuietHoursNotComparedWithLaw,
    business_hours_taken_as_never_quiet_are_caught: BusinessHoursNeverQuiet,
    a_frequency_join_that_keeps_the_first_branch_is_caught: FrequencyJoinFirst,
    marketing_texts_without_opt_out_wording_are_caught: OptOutWordingNotRequired,
    marketing_email_without_an_unsubscribe_link_is_caught: UnsubscribeWordingNotRequired,
    consent_requests_left_uncounted_are_caught: ConsentRequestsNotCounted,
}

#[test]
fn every_weakening_switch_has_a_test_above() {
    // The macro's list and the compiler's list agree: a new switch needs a test here.
    let source = include_str!("checker_against_monitor.rs");
    for weakening in Weakening::ALL {
        assert!(source.contains(&format!(": {weakening:?},")), "{weakening:?} has no weakened test");
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: the smallest cases on which the checker, the runtime and the monitor disagreed,
// each with the outcome docs/bundle.md and docs/simulate.md require.

const HEADER: &str = r#"import "std/channels"
import "std/events"

profile {
  timezone: timezone
  tier: enum { member, gold }
  phone: phone?
  unsubscribe_url: url
  postal_address: text
}

policy {
  quiet_hours 21:00..08:00 recipient
  jurisdiction "US"
}

event signed_up {}

message note on sms as utility { text "Your order is packed" }
message note2 on sms as utility { text "Your order shipped" }

message optin on messenger as service {
  text "News here?"
  reply "Yes" -> granted
  reply "No" -> declined
}
"#;

fn contact(id: &str, consent: &[(&str, &str)]) -> Value {
    let consent: Vec<Value> = consent.iter().map(|(ch, cat)| json!({"channel": ch, "category": cat})).collect();
    json!({
        "contact": id,
        "profile": {"timezone": "America/New_York", "tier": "member", "unsubscribe_url": "https://acme.example/u", "postal_address": "1 Main St"},
        "consent": consent
    })
}

/// 2026-03-02T15:00:00Z (10:00 in New York, a Monday) plus `seconds`.
fn at(seconds: i64) -> i64 {
    journey_runtime::time::parse_utc("2026-03-02T15:00:00Z").unwrap() + seconds
}

/// Checks `journey` after `HEADER`, asserts the checker accepts it, and runs it over the trace.
fn accepted_run(journey: &str, trace: &Trace) -> (Checked, Ran) {
    let checked = check(&format!("{HEADER}\n{journey}"));
    assert!(checked.errors.is_empty(), "the checker rejects it: {:#?}", checked.errors);
    let ran = execute(&checked.bundles, false, trace).unwrap();
    (checked, ran)
}

fn sends(ran: &Ran) -> Vec<(String, String)> {
    ran.actions
        .iter()
        .filter_map(|a| match &a.what {
            What::Send { message, .. } => Some((a.at.clone(), message.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_journey_entered_on_an_ad_reply_that_only_texts_runs_on_the_runtime() {
    // The ad reply opens a 7-day window on messenger, where the journey sends nothing, so the
    // bundle's `channels` has no messenger; the runtime refused the bundle for it.
    let journey = "journey j {\n  entry on messenger_ad_reply\n  stage s { send note }\n}";
    let trace = Trace {
        contacts: vec![contact("c", &[])],
        events: vec![event(at(0), "c", "messenger_ad_reply", json!({"ad_id": "ad1"}))],
    };
    let (_, ran) = accepted_run(journey, &trace);
    assert_eq!(sends(&ran), vec![("2026-03-02T15:00:00Z".to_owned(), "note".to_owned())]);
    assert!(ran.findings.is_empty(), "{:?}", ran.findings);
}

#[test]
fn withdrawing_every_category_on_sms_by_other_means_blocks_even_utility_texts() {
    // `consent_revoked` without a category on SMS is an opt-out (TCPA-REV): nothing more may
    // go out there (§5). The runtime revoked the consents but kept sending utility texts, and
    // the monitor flagged each one.
    let journey = "journey j {\n  entry on signed_up\n  stage s { wait 2h\n send note }\n}";
    let trace = Trace {
        contacts: vec![contact("c", &[("sms", "marketing")])],
        events: vec![
            event(at(0), "c", "signed_up", json!({})),
            event(at(3600), "c", "consent_revoked", json!({"channel": "sms"})),
        ],
    };
    let (checked, ran) = accepted_run(journey, &trace);
    assert!(sends(&ran).is_empty(), "{:?}", sends(&ran));
    assert!(ran.findings.is_empty(), "{:?}", ran.findings);
    let refused: Vec<&Action> = ran.actions.iter().filter(|a| matches!(a.what, What::Refused { .. })).collect();
    assert!(matches!(&refused[..], [a] if matches!(&a.what, What::Refused { rule, .. } if rule == "CTIA-STOP")));
    // The refusal is the runtime's job, not a gap in the checker's proof.
    let bundle: Value = serde_json::from_str(&checked.bundles[0]).unwrap();
    let project = Project {
        policy: Policy {
            quiet: "21:00..08:00",
            fixed_zone: false,
            jurisdiction: "US",
            cap: None,
            cap_channel: None,
            business_hours: false,
        },
        entry: Entry::SignedUp,
        audience: None,
        reentry: None,
        exit_on: false,
        messages: Vec::new(),
        stages: Vec::new(),
    };
    assert!(explain_refusal(&project, &bundle, &trace, &ran.actions, refused[0]).is_some());
}

#[test]
fn a_second_messenger_opt_in_request_on_a_new_run_within_a_week_is_refused_by_the_runtime() {
    // The checker limits opt-in requests within a run (J0414); across runs the runtime counts
    // them (docs/bundle.md §5) and refuses the second within the week (MSGR-MKT): the run then
    // waits without an answer and takes `timeout`. The monitor sees no second request.
    let journey = "journey j {
  entry on messenger_message
  stage s {
    request consent messenger marketing via optin timeout 1h {
      granted => exit
      declined => exit
      timeout => exit
    }
  }
}";
    let trace = Trace {
        contacts: vec![contact("c", &[])],
        events: vec![
            event(at(0), "c", "messenger_message", json!({"text": "hi"})),
            event(at(2 * 3600), "c", "messenger_message", json!({"text": "hi again"})),
        ],
    };
    let (checked, ran) = accepted_run(journey, &trace);
    assert_eq!(sends(&ran).len(), 1, "{:?}", sends(&ran));
    assert!(ran.findings.is_empty(), "{:?}", ran.findings);
    let refused: Vec<&Action> = ran.actions.iter().filter(|a| matches!(a.what, What::Refused { .. })).collect();
    assert_eq!(refused.len(), 1);
    let What::Refused { rule, .. } = &refused[0].what else { unreachable!() };
    assert_eq!(rule, "MSGR-MKT");
    assert_eq!(refused[0].run, 2);
    let bundle: Value = serde_json::from_str(&checked.bundles[0]).unwrap();
    assert!(!earlier_request_on_the_run(&bundle, &ran.actions, refused[0]), "the earlier request was on run 1");
}

#[test]
fn a_revocation_in_the_second_of_a_send_counts_before_it_for_the_monitor_and_after_it_for_the_runtime() {
    // Both as documented: the runtime handles same-second input in file order (the entry and its
    // sends first), the monitor reads the contact's events first (docs/simulate.md). The first
    // text is the one confirmation an opt-out allows; the second is flagged.
    let journey = "journey j {\n  entry on signed_up\n  stage s { send note\n send note2 }\n}";
    let trace = Trace {
        contacts: vec![contact("c", &[])],
        events: vec![
            event(at(0), "c", "signed_up", json!({})),
            event(at(0), "c", "sms_opt_out", json!({"keyword": "STOP"})),
        ],
    };
    let (_, ran) = accepted_run(journey, &trace);
    assert_eq!(sends(&ran).len(), 2);
    let rules: Vec<&str> = ran.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["CTIA-STOP"]);
    assert!(explain_finding(&ran.findings[0]).is_some());
}

#[test]
fn declining_a_consent_request_withdraws_the_consent_the_contact_held() {
    // The contact held SMS marketing consent and declines a request for it: a withdrawal by
    // reasonable means (TCPA-REV, docs/bundle.md §5), as the checker assumes (a declined request
    // revokes, docs/analyses.md) and the monitor reads it. The runtime kept the consent, so the
    // `if consent(sms, marketing)` after it held and the promotion went out.
    let journey = "journey j {
  entry on messenger_message
  stage s {
    request consent sms marketing via optin timeout 4h {
      granted => exit
      declined => { if consent(sms, marketing) { send deal } }
      timeout => exit
    }
  }
}";
    let journey = format!("message deal on sms as marketing {{ text \"Deal. Reply STOP to opt out\" }}\n\n{journey}");
    let trace = Trace {
        contacts: vec![contact("c", &[("sms", "marketing")])],
        events: vec![
            event(at(0), "c", "messenger_message", json!({"text": "hi"})),
            event(at(60), "c", "reply", json!({"channel": "messenger", "outcome": "declined"})),
        ],
    };
    let (_, ran) = accepted_run(&journey, &trace);
    assert!(ran.findings.is_empty(), "{:?}", ran.findings);
    assert_eq!(sends(&ran).len(), 1, "only the request goes out: {:?}", sends(&ran));
}

#[test]
fn an_inbound_text_that_is_stop_opts_the_contact_out_like_a_reply() {
    // The monitor reads an opt-out keyword in any message from the contact (an inbound event's
    // `text` too); the runtime read it only in a `reply`, so the texts after "STOP" went out and
    // the monitor flagged the second (the first is the one confirmation CTIA-STOP allows).
    let journey = "journey j {\n  entry on sms_message\n  stage s { wait 1h\n send note\n send note2 }\n}";
    let trace = Trace {
        contacts: vec![contact("c", &[])],
        events: vec![event(at(0), "c", "sms_message", json!({"text": "STOP"}))],
    };
    let (_, ran) = accepted_run(journey, &trace);
    assert!(ran.findings.is_empty(), "{:?}", ran.findings);
    assert!(sends(&ran).is_empty(), "{:?}", sends(&ran));
}

#[test]
fn two_marketing_sends_in_a_row_are_never_both_held_so_the_window_error_after_them_has_no_witness() {
    // A false alarm of property (b), made precise: the checker adds a full quiet-hour hold for
    // each marketing send (13h each, docs/analyses.md), so `note` may go out 26h after the
    // contact wrote and it reports J0402. But the first hold ends when quiet hours end, and the
    // second send then goes out at once: on every entry time of two days with clock changes,
    // in two zones, the monitor never flags `note`. Counted, not failed, by the search; this
    // pins the imprecision so that a sharper checker shows here.
    let journey = "message promo on messenger as marketing { text \"20% off this week\" }
message deal on sms as marketing { text \"Deal. Reply STOP to opt out\" }
message hello on messenger as utility { text \"Your order is packed\" }

journey j {
  entry on messenger_message
  audience consent(sms, marketing)
  stage s { send promo\n send deal\n send hello }
}";
    let checked = check(&format!("{HEADER}\n{journey}"));
    let codes: Vec<&str> = checked.errors.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["J0402"], "{:#?}", checked.errors);
    for (zone, day) in [("America/New_York", "2026-11-01"), ("Australia/Lord_Howe", "2026-04-05")] {
        let start = journey_runtime::time::parse_utc(&format!("{day}T00:00:00Z")).unwrap() - 86_400;
        for step in 0..(48 * 6) {
            let entered = start + step * 600;
            let mut person = contact("c", &[("sms", "marketing")]);
            person["profile"]["timezone"] = json!(zone);
            let trace = Trace {
                contacts: vec![person],
                events: vec![event(entered, "c", "messenger_message", json!({"text": "hi"}))],
            };
            let ran = execute(&checked.bundles, true, &trace).unwrap();
            assert_eq!(sends(&ran).len(), 3);
            assert!(ran.findings.is_empty(), "{zone} {}: {:?}", trace.events_text(), ran.findings);
        }
    }
}

#[test]
fn answering_a_messenger_marketing_opt_in_request_keeps_the_ad_reply_window() {
    // The answer to a Messenger marketing opt-in is no message (MSGR-MKT): it opens no window
    // and does not replace the ad reply's 7 days, as the checker and the monitor read it. The
    // runtime took it for a message, cut the window to 24 hours and refused the update 49h on.
    let journey = "message update on messenger as utility { text \"Your order is packed\" }

journey j {
  entry on messenger_ad_reply
  stage s {
    request consent messenger marketing via optin timeout 8h {
      granted => exit
      declined => { wait 48h\n send update }
      timeout => exit
    }
  }
}";
    let trace = Trace {
        contacts: vec![contact("c", &[])],
        events: vec![
            event(at(0), "c", "messenger_ad_reply", json!({"ad_id": "ad1"})),
            event(at(3600), "c", "reply", json!({"channel": "messenger", "outcome": "declined"})),
        ],
    };
    let (_, ran) = accepted_run(journey, &trace);
    let refused: Vec<&Action> = ran.actions.iter().filter(|a| matches!(a.what, What::Refused { .. })).collect();
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(sends(&ran).len(), 2, "the request and the update: {:?}", sends(&ran));
    assert!(ran.findings.is_empty(), "{:?}", ran.findings);
}

#[test]
fn a_send_after_the_arms_of_a_business_hours_branch_join_is_held_in_quiet_hours() {
    // Found by mutation testing (docs/testing.md): `InBusinessHours` must intersect at a join.
    // Business hours and quiet hours in one zone never meet, so a send proved inside business
    // hours is never held ("never held" in its record, and the runtime sends it at once). After
    // `if within business_hours { ... } else { ... }` joins, the `else` path reaches the send
    // outside business hours: it must be held like any marketing send, or it goes out at night.
    let header = r#"import "std/channels"
import "std/events"

profile {
  timezone: timezone
  tier: enum { member, gold }
  unsubscribe_url: url
  postal_address: text
}

policy {
  quiet_hours 21:00..08:00 "America/New_York"
  business_hours mon..fri 09:00..18:00 "America/New_York"
}

message promo on messenger as marketing { text "20% off this week" }
"#;
    let branches = [
        "if within business_hours {\n      track \"in\"\n    } else {\n      track \"out\"\n    }",
        "if tier == \"gold\" {\n      track \"gold\"\n    } else {\n      if within business_hours {\n        track \"in\"\n      } else {\n        track \"out\"\n      }\n    }",
        "if within business_hours and tier == \"gold\" {\n      track \"in\"\n    } else {\n      track \"out\"\n    }",
    ];
    for branch in branches {
        let text = format!(
            "{header}\njourney j {{\n  entry on messenger_message\n  stage s {{\n    {branch}\n    send promo\n  }}\n}}\n"
        );
        let checked = check(&text);
        assert!(checked.errors.is_empty(), "{branch}: {:#?}", checked.errors);
        let bundle: Value = serde_json::from_str(&checked.bundles[0]).unwrap();
        let record = bundle["compliance"].as_object().unwrap().values().next().unwrap();
        let quiet = record["quiet_hours"].as_str().unwrap();
        assert!(quiet.starts_with("deferred up to"), "{branch}: the record says {quiet:?}");
        // Saturday 02:00 in New York: outside business hours, inside quiet hours.
        let mut person = contact("c", &[]);
        person["profile"]["tier"] = json!("gold");
        let trace = Trace {
            contacts: vec![person],
            events: vec![event(secs("2026-03-07T07:00:00Z"), "c", "messenger_message", json!({"text": "hi"}))],
        };
        let ran = execute(&checked.bundles, false, &trace).unwrap();
        assert_eq!(
            sends(&ran),
            [("2026-03-07T13:00:00Z".to_owned(), "promo".to_owned())],
            "{branch}: held until 08:00"
        );
        assert!(ran.findings.is_empty(), "{branch}: {:?}", ran.findings);
    }
}
