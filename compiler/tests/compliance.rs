//! The compliance analyses as a whole: mutants of accepted journeys are rejected (a property
//! test), the fixpoints stay within edges x lattice height, the original design's example (`examples/broken/design/`) gives exactly its
//! one error, the evidence of the examples names the consent each send relies on, and a journey
//! whose analysis runs out of budget is inconclusive.
//!
//! The tests after "Former bugs" were written as failing tests for bugs found in the analyses,
//! and pass since those were fixed.

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::{check_project, Code, LineIndex, ProjectReport};
use journey_test_support::{disk_project, memory_project, project_root};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Projects in memory and on disk.

/// Checks a project of one file, `main.journey`.
fn check_text(text: &str) -> ProjectReport {
    let (memory, entries) = memory_project([("main.journey", text)]);
    check_project(&entries, &memory)
}

/// Checks every `.journey` file directly in `dir` (relative to the repository root), as
/// `journey check DIR` does for a flat directory.
fn check_dir(dir: &str) -> ProjectReport {
    let (disk, entries) = disk_project(&project_root(dir));
    check_project(&entries, &disk)
}

/// `line:col code message` for each diagnostic, for assertion messages.
fn described(report: &ProjectReport) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let file = report.sources.file(d.primary.file).unwrap();
            let at = LineIndex::new(&file.text).line_col_chars(&file.text, d.primary.span.start());
            format!("{}:{}:{} {} {}", file.name, at.line + 1, at.col + 1, d.code, d.message)
        })
        .collect()
}

fn codes(report: &ProjectReport) -> Vec<Code> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

/// The text a diagnostic's primary span covers.
fn primary_text(report: &ProjectReport, index: usize) -> String {
    let d = &report.diagnostics[index];
    let file = report.sources.file(d.primary.file).unwrap();
    file.text[d.primary.span.range()].to_owned()
}

// ---------------------------------------------------------------------------------------------
// Mutants of accepted journeys.
//
// An accepted journey is a sequence of blocks, one stage each, drawn from the blocks below in any
// order; each block is clean on its own and after any other (every block that sends marketing
// waits 7 days afterwards, under a cap of 2 per 7 days, and the messenger block waits for the
// contact to write before it asks). A mutation breaks exactly one rule in one block.

/// Declarations every generated journey shares. `{SMS_PROMO}`, `{SHIPPED}` and `{NOTE_CATEGORY}`
/// are where mutations edit messages.
const HEADER: &str = r#"import "std/events"

profile {
  first_name:      text?
  phone:           phone?
  email:           email?
  timezone:        timezone
  unsubscribe_url: url
  postal_address:  text
}

event order_shipped { order_id: text }

policy {
  quiet_hours 21:00..08:00 recipient
  frequency marketing at most 2 per 7d
}

message sms_promo on sms as marketing {
  text "{SMS_PROMO}"
}

message sms_optin on sms as service {
  text "Acme: want our weekly news by text? Reply YES to sign up"
}

message still_looking on messenger as service {
  text "Are you still looking for running shoes?"
  reply "Yes" -> yes
  reply "No" -> no
}

message top_three on messenger as service {
  text "These are the three shoes runners buy most: https://acme.example/top3"
}

message shipped_update on whatsapp as utility {
  {SHIPPED}
}

message order_note on sms as {NOTE_CATEGORY} {
  text "Acme: your order is being packed and ships tomorrow."
}

message news_a on email as marketing {
  subject "New in: trail shoes"
  text "Hi {first_name ?? "there"}, our trail range is in. Unsubscribe: {unsubscribe_url} - {postal_address}"
}

message news_b on email as marketing {
  subject "Last days of the trail sale"
  text "Hi {first_name ?? "there"}, the trail sale ends soon. Unsubscribe: {unsubscribe_url} - {postal_address}"
}

message news_c on email as marketing {
  subject "One more thing"
  text "Hi {first_name ?? "there"}, socks are half price too. Unsubscribe: {unsubscribe_url} - {postal_address}"
}
"#;

const SMS_PROMO: &str = "Acme: 20% off running shoes this week. Reply STOP to opt out";
const SMS_PROMO_WITHOUT_STOP: &str = "Acme: 20% off running shoes this week.";
const SHIPPED_TEMPLATE: &str = r#"template "order_shipped" lang "en_US" { order = event.order_id }"#;
const SHIPPED_TEXT: &str = r#"text "Good news: order {event.order_id} has shipped!""#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Waits for the contact to write on Messenger, then asks; `yes` gets `top_three`.
    Ask,
    /// `if consent(sms, marketing) { send sms_promo } else { exit }`.
    ConsentGuard,
    /// `request consent sms marketing via sms_optin { granted => send sms_promo ... }`.
    ConsentRequest,
    /// A WhatsApp utility template once the order ships (outside any window).
    Template,
    /// An SMS utility message, which needs no consent.
    Utility,
    /// Two marketing emails a day apart, then a week's pause (the cap is 2 per 7 days).
    Newsletter,
}

const BLOCKS: [Block; 6] =
    [Block::Ask, Block::ConsentGuard, Block::ConsentRequest, Block::Template, Block::Utility, Block::Newsletter];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// The consent guard is dropped: `send sms_promo` alone (J0401).
    DropConsentGuard,
    /// The consent request is dropped: `send sms_promo` alone (J0401).
    DropConsentRequest,
    /// The `ask` becomes a `wait` of this many hours, longer than Messenger's 24h window, before
    /// `top_three` (J0402).
    AskToWait { hours: u32 },
    /// The WhatsApp template becomes free-form text, outside any window (J0402).
    TemplateToText,
    /// The SMS utility message becomes marketing, on a path without SMS consent (J0401).
    FlipToMarketing,
    /// The marketing SMS loses its STOP wording (J0410).
    RemoveStop,
    /// A third marketing email this many hours after the second, within the cap's 7 days (J0409).
    ThirdSend { hours: u32 },
}

/// What a mutant must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Rejected with this code, and the send of this message is reachable.
    Rejected(Code, &'static str),
    /// Accepted: the mutation removed a consent check that an earlier block had already made
    /// (after `if consent(sms, marketing) { ... } else { exit }` or a `request consent` whose
    /// other arms exit, every path on has SMS marketing consent). Rejecting it would be a false
    /// positive of the must-analysis.
    Accepted,
}

/// What the mutant of `blocks` with `mutation` in block `at` must give.
fn expect(blocks: &[Block], at: usize, mutation: Mutation) -> Expect {
    let consent_before = blocks.iter().take(at).any(|b| matches!(b, Block::ConsentGuard | Block::ConsentRequest));
    match mutation {
        Mutation::DropConsentGuard | Mutation::DropConsentRequest if consent_before => Expect::Accepted,
        Mutation::DropConsentGuard | Mutation::DropConsentRequest => Expect::Rejected(Code::J0401, "sms_promo"),
        Mutation::AskToWait { .. } => Expect::Rejected(Code::J0402, "top_three"),
        Mutation::TemplateToText => Expect::Rejected(Code::J0402, "shipped_update"),
        // With consent established before, the flipped message still lacks STOP wording.
        Mutation::FlipToMarketing if consent_before => Expect::Rejected(Code::J0410, "order_note"),
        Mutation::FlipToMarketing => Expect::Rejected(Code::J0401, "order_note"),
        Mutation::RemoveStop => Expect::Rejected(Code::J0410, "sms_promo"),
        Mutation::ThirdSend { .. } => Expect::Rejected(Code::J0409, "news_c"),
    }
}

/// The mutations that apply to a block.
fn mutations_of(block: Block) -> BoxedStrategy<Mutation> {
    match block {
        Block::Ask => (25u32..=240).prop_map(|hours| Mutation::AskToWait { hours }).boxed(),
        Block::ConsentGuard => prop_oneof![Just(Mutation::DropConsentGuard), Just(Mutation::RemoveStop)].boxed(),
        Block::ConsentRequest => prop_oneof![Just(Mutation::DropConsentRequest), Just(Mutation::RemoveStop)].boxed(),
        Block::Template => Just(Mutation::TemplateToText).boxed(),
        Block::Utility => Just(Mutation::FlipToMarketing).boxed(),
        // news_a at 0, news_b at 1d, news_c at 1d + hours: within 7d of news_a below 144 hours.
        Block::Newsletter => (0u32..144).prop_map(|hours| Mutation::ThirdSend { hours }).boxed(),
    }
}

/// The stage body of a block, mutated when `mutation` applies to it.
fn block_text(block: Block, mutation: Option<Mutation>) -> String {
    match (block, mutation) {
        (Block::Ask, Some(Mutation::AskToWait { hours })) => format!(
            "    wait for messenger_message within 3d {{\n      messenger_message => {{\n        wait {hours}h\n        send top_three\n      }}\n      timeout => exit\n    }}\n"
        ),
        (Block::Ask, _) => "    wait for messenger_message within 3d {\n      messenger_message => {\n        ask still_looking timeout 20h {\n          yes => send top_three\n          no => exit\n          timeout => exit\n        }\n      }\n      timeout => exit\n    }\n".to_owned(),
        (Block::ConsentGuard, Some(Mutation::DropConsentGuard)) => "    wait 1h\n    send sms_promo\n    wait 7d\n".to_owned(),
        (Block::ConsentGuard, _) => {
            "    wait 1h\n    if consent(sms, marketing) { send sms_promo } else { exit }\n    wait 7d\n".to_owned()
        }
        (Block::ConsentRequest, Some(Mutation::DropConsentRequest)) => "    send sms_promo\n    wait 7d\n".to_owned(),
        (Block::ConsentRequest, _) => "    request consent sms marketing via sms_optin timeout 2d {\n      granted => send sms_promo\n      declined => exit\n      timeout => exit\n    }\n    wait 7d\n".to_owned(),
        // WA-OPTIN: a WhatsApp template outside the window needs the opt-in, utility included.
        (Block::Template, _) => "    wait for order_shipped within 14d {\n      order_shipped => { if consent(whatsapp, utility) { send shipped_update } }\n      timeout => exit\n    }\n".to_owned(),
        (Block::Utility, _) => "    send order_note\n    wait 1d\n".to_owned(),
        (Block::Newsletter, Some(Mutation::ThirdSend { hours })) => {
            format!("    send news_a\n    wait 1d\n    send news_b\n    wait {hours}h\n    send news_c\n    wait 7d\n")
        }
        (Block::Newsletter, _) => "    send news_a\n    wait 1d\n    send news_b\n    wait 7d\n".to_owned(),
    }
}

/// The whole file: declarations, then one stage per block. `mutated` is the index of the block
/// the mutation applies to.
fn journey(blocks: &[Block], mutation: Option<(usize, Mutation)>) -> String {
    let kind = mutation.map(|(_, m)| m);
    let mut text = HEADER
        .replace("{SMS_PROMO}", if kind == Some(Mutation::RemoveStop) { SMS_PROMO_WITHOUT_STOP } else { SMS_PROMO })
        .replace("{SHIPPED}", if kind == Some(Mutation::TemplateToText) { SHIPPED_TEXT } else { SHIPPED_TEMPLATE })
        .replace("{NOTE_CATEGORY}", if kind == Some(Mutation::FlipToMarketing) { "marketing" } else { "utility" });
    // One run per contact: the caps are proved within a run; across runs J0415 has its own tests.
    text.push_str(
        "\njourney mutants {\n  entry on messenger_message\n  reentry never\n  audience consent(email, marketing)\n",
    );
    for (i, block) in blocks.iter().enumerate() {
        let here = mutation.filter(|(at, _)| *at == i).map(|(_, m)| m);
        text.push_str(&format!("\n  stage b{i} {{\n{}  }}\n", block_text(*block, here)));
    }
    text.push_str("}\n");
    text
}

/// Some blocks in some order, and one mutation of one of them.
fn mutants() -> impl Strategy<Value = (Vec<Block>, usize, Mutation)> {
    proptest::sample::subsequence(BLOCKS.to_vec(), 1..=BLOCKS.len()).prop_shuffle().prop_flat_map(|blocks| {
        let count = blocks.len();
        (Just(blocks), 0..count)
            .prop_flat_map(|(blocks, at)| {
                let block = blocks[at];
                (Just(blocks), Just(at), mutations_of(block))
            })
            .prop_map(move |(blocks, at, mutation)| {
                debug_assert!(at < count);
                (blocks, at, mutation)
            })
    })
}

proptest! {
    // Each case checks two small projects; 64 cases take a few seconds in a debug build.
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_reachable_mutant_of_an_accepted_journey_is_rejected_with_the_broken_rule(
        (blocks, at, mutation) in mutants()
    ) {
        let original = journey(&blocks, None);
        let accepted = check_text(&original);
        prop_assert!(accepted.diagnostics.is_empty(), "the original is not accepted:\n{original}\n{:#?}", described(&accepted));
        let sends = accepted.flow.graphs.iter().flat_map(|g| &g.nodes).filter(|n| n.kind.sent_message().is_some()).count();
        prop_assert_eq!(accepted.flow.evidence.len(), sends, "every send of the original has evidence");

        let text = journey(&blocks, Some((at, mutation)));
        let report = check_text(&text);
        match expect(&blocks, at, mutation) {
            Expect::Accepted => prop_assert!(
                report.diagnostics.is_empty(),
                "{mutation:?} in block {at} only drops a consent check made before:\n{text}\n{:#?}",
                described(&report)
            ),
            Expect::Rejected(code, message) => {
                // Evidence is recorded for reachable sends only: every block here is reachable,
                // so this checks the generator as much as it is a condition.
                let reachable = report.flow.evidence.iter().any(|e| e.message == message);
                prop_assert!(reachable, "the mutated send `{message}` is not reachable:\n{text}");
                prop_assert!(
                    codes(&report).contains(&code),
                    "{mutation:?} in block {at} ({:?}) must be rejected with {code}:\n{text}\n{:#?}",
                    blocks[at],
                    described(&report)
                );
            }
        }
    }
}

#[test]
fn every_block_alone_and_all_blocks_together_are_accepted() {
    for block in BLOCKS {
        let report = check_text(&journey(&[block], None));
        assert!(report.diagnostics.is_empty(), "{block:?}: {:#?}", described(&report));
    }
    let report = check_text(&journey(&BLOCKS, None));
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
}

// ---------------------------------------------------------------------------------------------
// Work: node visits stay within edges x lattice height.

/// The bound on visits per edge, summed over every fixpoint a journey runs, for the graphs below.
/// The worklist revisits a node only when its input changes, and a node's input can only change
/// as often as its lattice is high, so each analysis costs at most edges x (height + 1):
///
/// - consent (a must-set of (channel, category) facts, intersected at joins): height = number of
///   facts the journey can establish + 1; 1 to 3 here, so at most 4;
/// - windows (an interval per windowed channel; std declares messenger, instagram, whatsapp):
///   the minimum can drop to 0 once and the maximum become unbounded once after widening, and
///   the window length shrink once: 3 per channel, so 9, plus 1;
/// - business hours (a boolean): 2;
/// - frequency, one per policy rule (the last N sends, N = 2 here, each least time widened to 0
///   at most once): N + 2 = 4.
///
/// The sum for these journeys is about 20; loops are widened after 8 changes and the graphs here
/// are mostly acyclic (each node visited about once per analysis), so 16 is a fair and tight
/// assertion: a solver that enumerated paths would visit the 60-diamond ladder 2^60 times.
const VISITS_PER_EDGE: usize = 16;

fn assert_visits_within_bound(name: &str, text: &str) {
    let report = check_text(text);
    assert!(report.flow.inconclusive.is_empty(), "{name}: inconclusive");
    let edges: usize = report.flow.graphs.iter().map(|g| g.edge_count()).sum();
    let visits = report.flow.visits;
    assert!(edges > 0, "{name}: no graph");
    eprintln!("{name}: {visits} visits, {edges} edges, {:.1} per edge", visits as f64 / edges as f64);
    assert!(
        visits <= edges * VISITS_PER_EDGE,
        "{name}: {visits} visits for {edges} edges ({:.1} per edge), over {VISITS_PER_EDGE} per edge",
        visits as f64 / edges as f64
    );
}

/// Declarations for the workloads below: two marketing messages and a service message.
const WORK_HEADER: &str = r#"import "std/events"

profile {
  first_name:      text?
  timezone:        timezone
  unsubscribe_url: url
  postal_address:  text
}

policy {
  quiet_hours 21:00..08:00 recipient
  frequency marketing at most 2 per 7d
}

message promo on sms as marketing {
  text "Acme: 20% off running shoes this week. Reply STOP to opt out"
}

message news on email as marketing {
  subject "New in"
  text "Hi {first_name ?? "there"}, new shoes are in. Unsubscribe: {unsubscribe_url} - {postal_address}"
}

message tip on messenger as service {
  text "Tip: our size guide is at https://acme.example/sizes"
}
"#;

/// `k` sequential if/else diamonds, each rejoining before the next: 2^k paths.
fn diamond_ladder(k: usize) -> String {
    let mut text = WORK_HEADER.to_owned();
    text.push_str("\njourney ladder {\n  entry on messenger_message\n  reentry never\n");
    for i in 0..k {
        text.push_str(&format!(
            "\n  stage s{i} {{\n    if consent(sms, marketing) {{ send promo }} else {{ track \"no_sms_{i}\" }}\n    wait 7d\n  }}\n"
        ));
    }
    text.push_str("}\n");
    text
}

/// A loop through waits and an `ask`, with a marketing send and a branch inside.
fn waiting_loop() -> String {
    let mut text = WORK_HEADER.to_owned();
    text.push_str(
        r#"
message check_in on messenger as service {
  text "Still shopping for shoes?"
  reply "Yes" -> yes
  reply "No" -> no
}

journey weekly {
  entry on messenger_message
  reentry never

  stage ask_first {
    ask check_in timeout 20h {
      yes => send tip
      no => exit
      timeout => exit
    }
  }

  stage weekly {
    wait 7d
    if consent(email, marketing) { send news } else { track "no_email" }
    wait 1d
    if consent(sms, marketing) { send promo }
    wait 7d
    goto weekly
  }
}
"#,
    );
    text
}

/// `n` stages in a chain, a branch every 10 and a wait every 5, like journey-gen's baseline.
fn chain(n: usize) -> String {
    let mut text = WORK_HEADER.to_owned();
    text.push_str(
        "\njourney chain {\n  entry on messenger_message\n  reentry never\n  audience consent(email, marketing)\n",
    );
    for i in 0..n {
        let body = if i + 1 == n {
            "    exit\n".to_owned()
        } else if i % 10 == 9 {
            format!(
                "    if consent(sms, marketing) {{ goto s{} }}\n    else {{ goto s{} }}\n",
                i + 1,
                (i + 5).min(n - 1)
            )
        } else if i % 5 == 4 {
            format!("    wait 1d\n    goto s{}\n", i + 1)
        } else if i % 20 == 0 {
            format!("    send news\n    wait 7d\n    goto s{}\n", i + 1)
        } else {
            format!("    track \"s{i}\"\n    goto s{}\n", i + 1)
        };
        text.push_str(&format!("\n  stage s{i} {{\n{body}  }}\n"));
    }
    text.push_str("}\n");
    text
}

#[test]
fn the_workloads_are_accepted_journeys() {
    for (name, text) in [("ladder", diamond_ladder(60)), ("loop", waiting_loop()), ("chain", chain(1_000))] {
        let report = check_text(&text);
        assert!(report.diagnostics.is_empty(), "{name}: {:#?}", described(&report));
        assert!(!report.flow.evidence.is_empty(), "{name}: no send was checked");
    }
}

#[test]
fn node_visits_stay_within_edges_times_lattice_height() {
    assert_visits_within_bound("a ladder of 60 if/else diamonds", &diamond_ladder(60));
    assert_visits_within_bound("a loop with waits", &waiting_loop());
    assert_visits_within_bound("a chain of 1,000 stages", &chain(1_000));
}

#[test]
fn node_visits_stay_within_the_bound_on_the_generated_benchmark_workloads() {
    // journey-gen's files are timing workloads, not clean journeys (they send marketing without
    // consent, on purpose or not); the work bound holds whatever the analyses find.
    for variant in [
        journey_gen::Variant::DiamondLadder { k: 60 },
        journey_gen::Variant::Ring { n: 1_000 },
        journey_gen::Variant::BranchDensity { n: 1_000, every: 2 },
    ] {
        assert_visits_within_bound(&variant.name(), &variant.generate());
    }
}

// ---------------------------------------------------------------------------------------------
// The examples.

#[test]
fn the_design_example_reports_exactly_one_error_on_send_catalog_card() {
    let report = check_dir("examples/broken/design");
    let found = described(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    let diagnostic = &report.diagnostics[0];
    assert_eq!(diagnostic.code, Code::J0402, "{found:#?}");
    assert_eq!(primary_text(&report, 0), "send catalog_card");
    assert!(
        diagnostic.message.contains("up to 2d after the contact's last message; messenger allows 24h"),
        "{}",
        diagnostic.message
    );
    let file = report.sources.file(diagnostic.primary.file).unwrap();
    assert_eq!(file.name, "spring_launch.journey");
}

#[test]
fn the_evidence_of_cart_recovery_names_the_consent_each_send_relies_on() {
    let report = check_dir("examples");
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
    let evidence: Vec<_> = report.flow.evidence.iter().filter(|e| e.journey == "cart_recovery").collect();
    let consent_of = |message: &str| {
        let sends: Vec<_> = evidence.iter().filter(|e| e.message == message).collect();
        assert_eq!(sends.len(), 1, "{message}: {evidence:#?}");
        sends[0].consent.clone()
    };
    // The marketing reminder is sent only under `if consent(sms, marketing)`.
    assert_eq!(consent_of("cart_reminder"), "consent(sms, marketing)");
    // The shipping update is a WhatsApp template outside the window: it needs the opt-in
    // (WA-OPTIN), which the journey checks, and the record says so.
    assert_eq!(consent_of("shipped_update"), "consent(whatsapp, utility)");
    assert_eq!(evidence.len(), 2, "{evidence:#?}");
    let reminder = evidence.iter().find(|e| e.message == "cart_reminder").unwrap();
    assert_eq!((reminder.channel.as_str(), reminder.category.as_str()), ("sms", "marketing"));
    // 11h on the clock, 13h when the clocks go back two hours in the night (Antarctica/Troll).
    assert!(reminder.quiet_hours.starts_with("deferred up to 13h"), "{}", reminder.quiet_hours);
    let update = evidence.iter().find(|e| e.message == "shipped_update").unwrap();
    assert_eq!(update.form, "template");
}

/// A Messenger promotion in a stage of its own, after the contact's message and `steps`, under
/// quiet hours of 11 hours (a send may be deferred that long).
fn messenger_promotion(steps: &str) -> String {
    format!(
        r#"import "std/events"

profile {{
  timezone: timezone
}}

policy {{
  quiet_hours 21:00..08:00 recipient
}}

message weekend_deal on messenger as marketing {{
  text "This weekend only: 20% off trail shoes."
}}

journey trail_shoes {{
  entry on messenger_message

  stage offer {{
{steps}    send weekend_deal
  }}
}}
"#
    )
}

#[test]
fn a_messenger_promotion_inside_the_window_needs_no_consent_and_the_evidence_says_why() {
    // MSGR-WIN-1: promotional content is allowed inside the standard messaging window; std
    // declares `consent marketing outside window` for messenger.
    let report = check_text(&messenger_promotion("    wait 2h\n"));
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
    let evidence = &report.flow.evidence;
    assert_eq!(evidence.len(), 1, "{evidence:#?}");
    // 2h, and up to 13h more if quiet hours hold it (11h on the clock, 2h more when clocks go back).
    assert_eq!(
        evidence[0].consent,
        "not required inside the messenger window: sent at most 15h after the contact's last message, within 24h"
    );
    // The record's bound is the same, the hold included.
    assert_eq!(evidence[0].window_max_secs, Some(15 * 3600));
}

#[test]
fn a_messenger_promotion_not_proved_inside_the_window_needs_consent_and_says_so() {
    let report = check_text(&messenger_promotion("    wait 2d\n"));
    assert_eq!(codes(&report), vec![Code::J0401, Code::J0402], "{:#?}", described(&report));
    let notes = &report.diagnostics[0].notes;
    assert!(
        notes.iter().any(|n| n
            == "messenger needs no consent for marketing inside its messaging window, but not here: \
             it is sent up to 48h after the contact's last message; the window is 24h"),
        "{notes:#?}"
    );
    // Guarded by the consent, it is only outside the window (J0402).
    let guarded = messenger_promotion("    wait 2d\n")
        .replace("    send weekend_deal\n", "    if consent(messenger, marketing) { send weekend_deal }\n");
    assert_eq!(codes(&check_text(&guarded)), vec![Code::J0402]);
}

#[test]
fn quiet_hours_that_can_push_a_messenger_promotion_past_the_window_take_the_waiver_away() {
    // 14h after the contact's message, a 13h hold can reach 27h: not inside 24h. The send
    // itself is inside the window, so J0407 reports the hold as well.
    let report = check_text(&messenger_promotion("    wait 14h\n"));
    assert_eq!(codes(&report), vec![Code::J0401, Code::J0407], "{:#?}", described(&report));
    assert!(
        report.diagnostics[0].notes.iter().any(|n| n.ends_with(
            "it is sent up to 14h after the contact's last message, and quiet hours may hold it 13h more; the window is 24h"
        )),
        "{:#?}",
        report.diagnostics[0].notes
    );
    // 11h after it, the longest hold still ends inside the window.
    let report = check_text(&messenger_promotion("    wait 11h\n"));
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
    assert!(report.flow.evidence[0].consent.contains("at most 24h after"), "{:#?}", report.flow.evidence);
}

#[test]
fn a_tagged_messenger_promotion_gets_no_waiver_even_inside_the_window() {
    // Tags may not carry promotions (MSGR-TAG-PROMO); the waiver is for the conversation itself.
    let text = messenger_promotion("").replace(
        "  text \"This weekend only: 20% off trail shoes.\"",
        "  tag POST_PURCHASE_UPDATE\n  text \"This weekend only: 20% off trail shoes.\"",
    );
    let report = check_text(&text);
    let j0401 = report.diagnostics.iter().find(|d| d.code == Code::J0401);
    let j0401 = j0401.unwrap_or_else(|| panic!("no J0401: {:#?}", described(&report)));
    assert!(
        j0401
            .notes
            .iter()
            .any(|n| n.ends_with("it is sent under tag POST_PURCHASE_UPDATE, and tags may not carry promotions")),
        "{:#?}",
        j0401.notes
    );
}

#[test]
fn the_consent_waiver_is_a_channel_rule_other_channels_do_not_have() {
    // Instagram declares no waiver: the same promotion there needs consent even right away.
    let text = messenger_promotion("")
        .replace("on messenger as marketing", "on instagram as marketing")
        .replace("entry on messenger_message", "entry on instagram_message");
    let report = check_text(&text);
    assert_eq!(codes(&report), vec![Code::J0401], "{:#?}", described(&report));
    let own = r#"profile {
  timezone: timezone
}

policy {
  quiet_hours 21:00..08:00 recipient
}

channel chat {
  medium messaging
  window 14h after inbound
  consent marketing outside window
}

event chat_message inbound chat {}

message deal on chat as marketing {
  text "A deal"
}

journey j {
  entry on chat_message

  stage s {
    send deal
  }
}
"#;
    // A channel of the project's own cannot waive consent (J0311): only a platform's policy can,
    // and only the standard library's rules cite one. Consent stays required there.
    let report = check_text(own);
    assert_eq!(codes(&report), vec![Code::J0311, Code::J0401], "{:#?}", described(&report));
    let unknown = own.replace("consent marketing outside", "consent marketting outside");
    assert!(codes(&check_text(&unknown)).contains(&Code::J0207));
}

// ---------------------------------------------------------------------------------------------
// Verdicts.

/// A loop of `steps` steps that sends marketing once a day under a cap of `cap` per year.
fn daily_loop(cap: u32, steps: usize) -> String {
    let tracks: String = (1..=steps).map(|i| format!("    track \"step_{i}\"\n")).collect();
    format!(
        r#"import "std/channels"

profile {{
  timezone: timezone
}}

policy {{
  quiet_hours 21:00..08:00 recipient
  frequency marketing at most {cap} per 365d
}}

event signed_up {{}}

message daily_deal on sms as marketing {{
  text "Acme deal of the day: 30% off one item. Reply STOP to opt out"
}}

journey daily_deals {{
  entry on signed_up
  reentry never
  audience consent(sms, marketing)

  stage deal {{
    send daily_deal
    wait 1d
{tracks}    goto deal
  }}
}}
"#
    )
}

/// J0413 has no fixture file: a correct analysis of a small journey does not run out of budget.
/// What it cannot prove is a frequency cap above the positions it tracks (256) on a journey with
/// a loop: that verdict is inconclusive, never "ok".
#[test]
fn a_journey_whose_analysis_runs_out_of_budget_is_inconclusive_and_proves_nothing() {
    let report = check_text(&daily_loop(300, 30));
    assert_eq!(codes(&report), vec![Code::J0413], "{:#?}", described(&report));
    assert_eq!(report.flow.inconclusive, vec!["daily_deals".to_owned()]);
    assert!(report.flow.evidence.is_empty(), "nothing is reported as compliant: {:#?}", report.flow.evidence);
    assert_eq!(primary_text(&report, 0), "daily_deals");
}

// ---------------------------------------------------------------------------------------------
// Former bugs: each states what should happen, and now does.

#[test]

fn a_cap_above_256_is_checked_or_the_journey_is_inconclusive() {
    // One marketing text a minute, forever, under a cap of 300 a day: 301 texts in 5 hours.
    let text = daily_loop(300, 0).replace("wait 1d", "wait 1m").replace("per 365d", "per 1d");
    let report = check_text(&text);
    let found = codes(&report);
    assert!(found.contains(&Code::J0409) || found.contains(&Code::J0413), "{:#?}", described(&report));
}

#[test]

fn a_daily_loop_under_a_cap_it_respects_is_accepted() {
    // 101 daily sends take 100 days, far more than the cap's 30.
    let text = daily_loop(100, 0).replace("per 365d", "per 30d");
    let report = check_text(&text);
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
}

#[test]

fn business_hours_in_a_conjunction_are_checked_against_quiet_hours() {
    let text = r#"import "std/channels"

profile {
  timezone: timezone
}

policy {
  quiet_hours 20:00..08:00 recipient
  business_hours mon..fri 07:00..18:00 recipient
}

event trial_ended {}

message upgrade_offer on sms as marketing {
  text "Your trial has ended. Upgrade today and get the first month free. Reply STOP to opt out"
}

journey trial_conversion {
  entry on trial_ended

  stage offer {
    if within business_hours and consent(sms, marketing) { send upgrade_offer }
    exit
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0408], "{:#?}", described(&report));
}

#[test]

fn an_email_with_its_address_and_unsubscribe_link_from_the_event_is_accepted() {
    let text = r#"import "std/channels"

event signed_up { unsubscribe_url: url, postal_address: text }

message spring_news on email as marketing {
  subject "Our spring collection is here"
  text "The spring collection is in. Unsubscribe: {event.unsubscribe_url} - {event.postal_address}"
}

journey newsletter {
  entry on signed_up
  audience consent(email, marketing)

  stage news {
    send spring_news
    exit
  }
}
"#;
    let report = check_text(text);
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
}

#[test]

fn the_explanations_example_of_an_ask_asked_forever_is_j0506() {
    // compiler/src/codes/J0506.md's example, made into a project.
    let text = r#"import "std/events"

message question on messenger as service {
  text "Still there?"
  reply "Yes" -> yes
}

journey q {
  entry on messenger_message

  stage q {
    ask question timeout 1d {
      yes => exit
      timeout => goto q
    }
  }
}
"#;
    let report = check_text(text);
    assert!(codes(&report).contains(&Code::J0506), "{:#?}", described(&report));
}

#[test]

fn a_marketing_text_on_a_declared_sms_channel_needs_stop_wording() {
    let text = r#"channel short_code {
  medium sms
  encoding sms
  keywords STOP, END, CANCEL, UNSUBSCRIBE, QUIT, HELP
  supports text
}

profile {
  timezone: timezone
}

policy {
  quiet_hours 21:00..08:00 recipient
}

event signed_up {}

message promo on short_code as marketing {
  text "20% off everything today!"
}

journey promos {
  entry on signed_up
  audience consent(short_code, marketing)

  stage s {
    send promo
    exit
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0410], "{:#?}", described(&report));
}

#[test]

fn marketing_texts_on_a_declared_sms_channel_need_quiet_hours() {
    let text = r#"channel short_code {
  medium sms
  encoding sms
  keywords STOP, END, CANCEL, UNSUBSCRIBE, QUIT, HELP
  supports text
}

event signed_up {}

message promo on short_code as marketing {
  text "20% off everything today! Reply STOP to opt out"
}

journey promos {
  entry on signed_up
  audience consent(short_code, marketing)

  stage s {
    send promo
    exit
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0406], "{:#?}", described(&report));
}

// ---------------------------------------------------------------------------------------------
// The medium of a channel decides which laws apply

/// A marketing journey on a channel the project declares as `CHANNEL`, with `quiet` hours or none
/// and the message text `text`.
fn own_channel_marketing(channel: &str, quiet: bool, text: &str) -> String {
    let policy = if quiet {
        "profile {\n  timezone: timezone\n}\n\npolicy {\n  quiet_hours 21:00..08:00 recipient\n}\n"
    } else {
        ""
    };
    format!(
        "{channel}\n{policy}\nevent signed_up {{}}\n\nmessage promo on own as marketing {{\n  text \"{text}\"\n}}\n\n\
         journey promos {{\n  entry on signed_up\n  audience consent(own, marketing)\n\n  stage s {{\n    send promo\n    exit\n  }}\n}}\n"
    )
}

const KEYWORDS: &str = "keywords STOP, END, CANCEL, UNSUBSCRIBE, QUIT, HELP";

#[test]
fn a_channel_of_medium_mms_or_rcs_needs_quiet_hours_and_stop_wording_whatever_its_name() {
    for medium in ["mms", "rcs", "sms"] {
        let channel = format!("channel own {{\n  medium {medium}\n  {KEYWORDS}\n  supports text\n}}\n");
        let report = check_text(&own_channel_marketing(&channel, false, "20% off today!"));
        let mut found = codes(&report);
        found.sort();
        assert_eq!(found, vec![Code::J0406, Code::J0410], "{medium}: {:#?}", described(&report));
        let report = check_text(&own_channel_marketing(&channel, true, "20% off today! Reply STOP to opt out"));
        assert_eq!(codes(&report), vec![], "{medium}: {:#?}", described(&report));
    }
}

#[test]
fn a_phone_text_channel_without_stop_and_help_is_an_error_even_without_sms_encoding() {
    let channel = "channel own {\n  medium mms\n  supports text\n}\n";
    let report = check_text(&own_channel_marketing(channel, true, "20% off today! Reply STOP to opt out"));
    // J0412 for the missing keywords, and J0410 because an opt-out instruction must name a
    // keyword the channel handles, and this one handles none.
    assert_eq!(codes(&report), vec![Code::J0412, Code::J0410], "{:#?}", described(&report));
}

#[test]
fn a_messaging_channel_needs_quiet_hours_for_marketing_but_no_stop_wording_or_keywords() {
    let channel = "channel own {\n  medium messaging\n  supports text\n}\n";
    let report = check_text(&own_channel_marketing(channel, false, "20% off today!"));
    assert_eq!(codes(&report), vec![Code::J0406], "{:#?}", described(&report));
    let report = check_text(&own_channel_marketing(channel, true, "20% off today!"));
    assert_eq!(codes(&report), vec![], "{:#?}", described(&report));
}

#[test]
fn an_email_channel_of_any_name_needs_unsubscribe_wording_and_no_quiet_hours() {
    let channel = "channel own {\n  medium email\n  supports text\n}\n";
    let report = check_text(&own_channel_marketing(channel, false, "20% off today!"));
    assert_eq!(codes(&report), vec![Code::J0411], "{:#?}", described(&report));
    // An unsubscribe link beside the word, and a postal address field (CANSPAM).
    let with_link = own_channel_marketing(
        channel,
        false,
        "20% off today! Unsubscribe: https://acme.example/u - {profile.postal_address}",
    )
    .replace("event signed_up {}", "profile {\n  postal_address: text\n}\n\nevent signed_up {}");
    let report = check_text(&with_link);
    assert_eq!(codes(&report), vec![], "{:#?}", described(&report));
}

#[test]
fn a_push_channel_needs_only_consent() {
    let channel = "channel own {\n  medium push\n  supports text\n}\n";
    let report = check_text(&own_channel_marketing(channel, false, "20% off today!"));
    assert_eq!(codes(&report), vec![], "{:#?}", described(&report));
}

#[test]
fn a_channel_of_the_project_without_a_medium_is_j0315_and_the_suggestion_fixes_it() {
    let text = own_channel_marketing(
        &format!("channel own {{\n  encoding sms\n  {KEYWORDS}\n  supports text\n}}\n"),
        true,
        "20% off today! Reply STOP to opt out",
    );
    let report = check_text(&text);
    assert_eq!(codes(&report), vec![Code::J0315], "{:#?}", described(&report));
    assert_eq!(primary_text(&report, 0), "own");
    // The channel is still checked as what its encoding says (a phone text) until it says more.
    let without_stop = text.replace(" Reply STOP to opt out", "");
    assert_eq!(codes(&check_text(&without_stop)), vec![Code::J0315, Code::J0410]);
    let edit = &report.diagnostics[0].suggestions[0].edits[0];
    let mut fixed = text.clone();
    fixed.replace_range(edit.span.range(), &edit.replacement);
    assert!(fixed.contains("channel own {\n  medium sms\n  encoding sms\n"), "{fixed}");
    assert_eq!(codes(&check_text(&fixed)), vec![], "{fixed}");
}

#[test]
fn a_channel_cannot_declare_itself_out_of_the_phone_text_laws() {
    // `encoding sms` sends SMS: medium email is a contradiction.
    let channel = format!("channel own {{\n  medium email\n  encoding sms\n  {KEYWORDS}\n  supports text\n}}\n");
    let report = check_text(&own_channel_marketing(&channel, true, "20% off today! Reply STOP to opt out"));
    assert_eq!(codes(&report), vec![Code::J0315], "{:#?}", described(&report));
    assert_eq!(primary_text(&report, 0), "email");
    // Until it is fixed, the channel is checked as the phone text it is, not as email.
    let report = check_text(&own_channel_marketing(&channel, false, "20% off today!"));
    assert_eq!(codes(&report), vec![Code::J0315, Code::J0410, Code::J0406], "{:#?}", described(&report));
    // A channel named after a medium declares that medium, and is checked as that phone text
    // until it does.
    let named = |channel: &str, quiet, text| {
        own_channel_marketing(channel, quiet, text).replace(" own", " mms").replace("(own,", "(mms,")
    };
    let channel = format!("channel own {{\n  medium push\n  {KEYWORDS}\n  supports text\n}}\n");
    let report = check_text(&named(&channel, true, "20% off today! Reply STOP to opt out"));
    assert_eq!(codes(&report), vec![Code::J0315], "{:#?}", described(&report));
    assert_eq!(report.diagnostics[0].message, "channel `mms` says its medium is `push`");
    let report = check_text(&named("channel own {\n  medium push\n  supports text\n}\n", false, "20% off today!"));
    assert_eq!(codes(&report), vec![Code::J0412, Code::J0315, Code::J0410, Code::J0406], "{:#?}", described(&report));
}

#[test]
fn an_unknown_medium_is_a_syntax_error_that_lists_the_media_and_a_second_medium_a_duplicate() {
    let channel = "channel own {\n  medium smss\n  supports text\n}\n";
    let report = check_text(&own_channel_marketing(channel, true, "hi"));
    assert_eq!(codes(&report), vec![Code::J0101], "{:#?}", described(&report));
    let d = &report.diagnostics[0];
    assert_eq!(d.message, "unknown medium `smss`");
    assert!(d.notes.iter().any(|n| n.contains("`sms`, `mms`, `rcs`, `messaging`, `email`, `push`")), "{d:#?}");
    assert_eq!(d.suggestions[0].edits[0].replacement, "sms");
    let channel = "channel own {\n  medium push\n  medium sms\n  supports text\n}\n";
    let report = check_text(&own_channel_marketing(channel, true, "hi"));
    assert_eq!(codes(&report), vec![Code::J0209], "{:#?}", described(&report));
    assert_eq!(primary_text(&report, 0), "medium sms");
}

// ---------------------------------------------------------------------------------------------
// Issue 14: the WhatsApp opt-in for every template outside the window (item 6), and HUMAN_AGENT
// where no agent answered (item 2).

/// A WhatsApp utility template (the order has shipped), sent at once after `entry` as `send`;
/// the template's parameters come from the entry event when it is `order_shipped`.
fn shipping_update(entry: &str, send: &str) -> String {
    let parameters = if entry == "order_shipped" { " { order = event.order_id, carrier = event.carrier }" } else { "" };
    format!(
        r#"import "std/events"

event order_shipped {{ order_id: text, carrier: text }}

message shipped_update on whatsapp as utility {{
  template "order_shipped" lang "en_US"{parameters}
}}

journey shipping_updates {{
  entry on {entry}

  stage notify {{
    {send}
    exit
  }}
}}
"#
    )
}

#[test]
fn a_whatsapp_utility_template_outside_the_window_relies_on_the_opt_in_and_the_record_says_so() {
    let report = check_text(&shipping_update("order_shipped", "send shipped_update"));
    assert_eq!(codes(&report), vec![Code::J0401], "{:#?}", described(&report));
    let guarded = shipping_update("order_shipped", "if consent(whatsapp, utility) { send shipped_update }");
    let report = check_text(&guarded);
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
    let evidence = &report.flow.evidence;
    assert_eq!(evidence.len(), 1, "{evidence:#?}");
    assert_eq!(evidence[0].consent, "consent(whatsapp, utility)");
    assert_eq!(evidence[0].form, "template");
}

#[test]
fn a_whatsapp_template_right_after_the_contacts_message_needs_no_opt_in_inside_the_window() {
    // The contact just wrote: the template answers them inside the 24h window (WA-OPTIN waives
    // the opt-in for replies inside the window, WA-CSW).
    let report = check_text(&shipping_update("whatsapp_message", "send shipped_update"));
    assert!(report.diagnostics.is_empty(), "{:#?}", described(&report));
    let evidence = &report.flow.evidence;
    assert_eq!(evidence.len(), 1, "{evidence:#?}");
    assert_eq!(
        evidence[0].consent,
        "not required inside the whatsapp window: sent at most 0s after the contact's last message, within 24h"
    );
    assert_eq!((evidence[0].window_max_secs, evidence[0].window_secs), (Some(0), Some(86_400)));
}

#[test]
fn human_agent_in_the_timeout_arm_of_a_handoff_is_reported_as_sent_where_no_agent_answered() {
    // The send is inside the `handoff` block, in its `timeout` arm: no agent took the
    // conversation, so automation sends it (MSGR-TAG-HA). The diagnostic must not say "outside a
    // handoff", nor tell the author to move it into a handoff arm, where it already is: it must
    // say that no agent answered on the timeout arm.
    let text = r#"import "std/events"

message agent_reply on messenger as service {
  text "Hi, this is the Acme support team: we have booked the courier to collect your return tomorrow."
  tag HUMAN_AGENT
}

journey return_request {
  entry on messenger_message

  stage escalate {
    handoff "returns" timeout 4h {
      resolved => exit
      timeout => send agent_reply
    }
    exit
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0404], "{:#?}", described(&report));
    let d = &report.diagnostics[0];
    assert!(!d.message.contains("outside a handoff"), "{d:#?}");
    let words = format!("{} {} {:?} {:?}", d.message, d.primary.message, d.notes, d.help);
    assert!(words.contains("timeout"), "the diagnostic should name the timeout arm: {d:#?}");
}

#[test]
fn the_fix_for_a_held_messenger_promotion_does_not_suggest_a_template_messenger_lacks() {
    // 12h after the message, a 13h hold reaches 25h: J0407. std's messenger
    // channel does not support `template` (its templates are utility only, MSGR-UTIL), and a
    // promotion may not be a utility template: the help must not offer one.
    let text = messenger_promotion("    wait 12h\n")
        .replace("    send weekend_deal\n", "    if consent(messenger, marketing) { send weekend_deal }\n");
    let report = check_text(&text);
    assert_eq!(codes(&report), vec![Code::J0407], "{:#?}", described(&report));
    let d = &report.diagnostics[0];
    assert!(d.message.contains("(up to 13h of it held for quiet hours)"), "{}", d.message);
    assert!(!d.help.as_deref().unwrap_or("").contains("template"), "{d:#?}");
}

#[test]
fn the_path_under_j0402_is_one_that_breaks_the_window_not_the_shortest_to_the_send() {
    // The short arm (1h) is the shortest path to the send; only the long arm (20h + 5h) breaks
    // the 24h window, so the path shown must take it.
    let text = r#"import "std/events"

message note on messenger as service {
  text "Here is your note"
}

journey j {
  entry on messenger_message

  stage a {
    split {
      50% => { wait 1h }
      50% => { wait 20h }
    }
    wait 5h
    send note
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0402], "{:#?}", described(&report));
    let path = report.diagnostics[0].notes.iter().find(|n| n.starts_with("path: ")).unwrap();
    assert_eq!(path, "path: entry -> a.1 (split) -[50%]-> a.1.p2.1 (wait 20h) -> a.2 (wait 5h) -> a.3 (send note)");
    // A loop that makes the bound unbounded is shown with its turns.
    let looped = r#"import "std/events"

message note on messenger as service {
  text "Here is your note"
}

journey j {
  entry on messenger_message

  stage a {
    wait 1h
    goto b
  }

  stage b {
    split {
      50% => { wait 1h; goto b }
      50% => { send note }
    }
  }
}
"#;
    let report = check_text(looped);
    assert_eq!(codes(&report), vec![Code::J0402], "{:#?}", described(&report));
    let path = report.diagnostics[0].notes.iter().find(|n| n.starts_with("path: ")).unwrap();
    assert!(path.contains("b.1.p1.1 (wait 1h) -> b.1 (split)"), "{path}");
    assert!(path.ends_with("-[50%]-> b.1.p2.1 (send note)"), "{path}");
}

#[test]
fn an_event_field_in_a_stage_never_entered_is_not_reported_as_out_of_scope() {
    // Nothing runs the stage (J0505 says so); whether an event is in scope there has no answer.
    let text = r#"import "std/events"

event order_placed { order_id: text }

message thanks on messenger as service {
  text "Thanks for order {event.order_id}"
}

journey j {
  entry on messenger_message

  stage a {
    exit
  }

  stage orphan {
    send thanks
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0505], "{:#?}", described(&report));
}

#[test]
fn of_two_entries_only_the_first_reaches_the_flow_graph_and_the_analyses() {
    // J0510 refuses the second entry; the journey is proved as entered the first way only,
    // never as a mix of the two (a message's window with a schedule's runs).
    let both = |first: &str, second: &str| {
        messenger_promotion("    wait 2h\n")
            .replace("  entry on messenger_message\n", &format!("  entry {first}\n  entry {second}\n"))
    };
    let report = check_text(&both("on messenger_message", "every mon 10:00 recipient"));
    assert_eq!(codes(&report), vec![Code::J0510], "{:#?}", described(&report));
    assert_eq!(primary_text(&report, 0), "entry every mon 10:00 recipient");
    let graph = &report.flow.graphs[0];
    assert_eq!((graph.entry_event.as_deref(), graph.entry_schedule.is_some()), (Some("messenger_message"), false));

    // The schedule first: a scheduled run has no window, so the promotion is outside it.
    let report = check_text(&both("every mon 10:00 recipient", "on messenger_message"));
    assert_eq!(codes(&report), vec![Code::J0510, Code::J0401, Code::J0402], "{:#?}", described(&report));
    assert_eq!(primary_text(&report, 0), "entry on messenger_message");
    let graph = &report.flow.graphs[0];
    assert_eq!((graph.entry_event.as_deref(), graph.entry_schedule.is_some()), (None, true));

    // Two events: the first one's fields are in scope, and each later entry is reported.
    let report = check_text(
        &both("on messenger_message", "on messenger_postback")
            .replace("  entry on messenger_postback\n", "  entry on messenger_postback\n  entry when joins nobody\n"),
    );
    assert_eq!(codes(&report), vec![Code::J0510, Code::J0510, Code::J0222], "{:#?}", described(&report));
    assert_eq!(report.flow.graphs[0].entry_event.as_deref(), Some("messenger_message"));
}
