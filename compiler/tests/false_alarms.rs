//! False alarms: journeys a marketer would write that are compliant and must check
//! clean. Each was once reported, or is one change away from a construct that is: many arms
//! joining without a loop (no widening may apply), paths from two openers meeting, a send
//! guarded by business hours that never meet quiet hours, an arm that `exit on` makes
//! unreachable, and opt-out wording in another form than "Reply STOP".

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fmt::Write;

use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::{check_project, Code, LineIndex, ProjectReport};

/// Checks a project of one file, `main.journey`.
fn check_text(text: &str) -> ProjectReport {
    let mut memory = MemoryLoader::default();
    memory.insert(ProjectPath::new("main.journey").unwrap(), text);
    check_project(&[ProjectPath::new("main.journey").unwrap()], &memory)
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

/// Asserts that `text` checks clean and that every send in it was proved (has evidence).
fn assert_clean(text: &str, sends: usize) -> ProjectReport {
    let report = check_text(text);
    assert!(report.diagnostics.is_empty(), "{:#?}\n{text}", described(&report));
    assert!(report.flow.inconclusive.is_empty(), "{:?}", report.flow.inconclusive);
    assert_eq!(report.flow.evidence.len(), sends, "{:#?}", report.flow.evidence);
    report
}

#[test]
fn a_ten_arm_split_of_waits_then_a_messenger_send_is_inside_the_window() {
    // Ten arms join at the send: its input changes up to ten times, more than the widening
    // threshold, but there is no loop, so no widening may throw the bound away (10h, not ∞).
    let arms: String = (1..=10).map(|h| format!("      10% => wait {h}h\n")).collect();
    let text = format!(
        r#"import "std/events"

message size_guide on messenger as service {{
  text "Here is our size guide, as promised: https://acme.example/sizes"
}}

journey size_help {{
  entry on messenger_message

  stage test_delays {{
    split {{
{arms}    }}
    send size_guide
    exit
  }}
}}
"#
    );
    let report = assert_clean(&text, 1);
    assert_eq!(report.flow.evidence[0].window_max_secs, Some(10 * 3600), "{:#?}", report.flow.evidence);
}

#[test]
fn a_thirty_link_else_if_chain_of_waits_then_a_messenger_send_is_inside_the_window() {
    // 31 paths (30 links and the else) meet at the send, the longest 20h after the message.
    let mut chain = String::new();
    for i in 1..=30u32 {
        let keyword = if i == 1 { "    if" } else { " else if" };
        write!(chain, "{keyword} event.text == \"{i}\" {{\n      wait {}m\n    }}", i * 40).unwrap();
    }
    chain.push_str(" else {\n      wait 1h\n    }\n");
    let text = format!(
        r#"import "std/events"

message answer on messenger as service {{
  text "Thanks for waiting: one of our stylists has picked three pairs for you: https://acme.example/picks"
}}

journey stylist_picks {{
  entry on messenger_message

  stage pick {{
{chain}    send answer
    exit
  }}
}}
"#
    );
    let report = assert_clean(&text, 1);
    assert_eq!(report.flow.evidence[0].window_max_secs, Some(20 * 3600), "{:#?}", report.flow.evidence);
}

#[test]
fn paths_from_an_ad_reply_and_a_later_message_meeting_are_each_inside_their_own_window() {
    // One path: the contact writes again (a 24h window) and the send is 1h later. The other:
    // no new message within 12h, so the send is 3d12h after the ad reply, which opened 7 days.
    // Joined into one interval with the shorter window, 3d12h against 24h, it would be J0402.
    let text = r#"import "std/events"

message trail_picks on messenger as service {
  text "Thanks for your interest in our trail range! These three are the favourites: https://acme.example/trail"
}

journey ad_follow_up {
  entry on messenger_ad_reply

  stage follow_up {
    wait for messenger_message within 12h {
      messenger_message => wait 1h
      timeout => wait 3d
    }
    send trail_picks
    exit
  }
}
"#;
    let report = assert_clean(text, 1);
    let evidence = &report.flow.evidence[0];
    // The record's bound covers every path (3d12h), its window is the shortest opened (24h), and
    // the per-opener proof says why that is no violation: 1h of 24h, 3d12h of 7 days.
    assert_eq!((evidence.window_max_secs, evidence.window_secs), (Some(302_400), Some(86_400)), "{evidence:#?}");
    assert_eq!(evidence.windows, vec![(86_400, Some(3_600)), (604_800, Some(302_400))], "{evidence:#?}");
}

/// A Messenger promotion 20h after the contact's message, with consent, under quiet hours
/// 21:00..08:00 and business hours mon..fri 09:00..18:00, both at the recipient's; `guard`
/// wraps the send.
fn promotion_in_business_hours(guarded: bool) -> String {
    let send = if guarded {
        "    if within business_hours {\n      if consent(messenger, marketing) { send weekend_deal }\n    }\n"
    } else {
        "    if consent(messenger, marketing) { send weekend_deal }\n"
    };
    format!(
        r#"import "std/events"

profile {{
  timezone: timezone
}}

policy {{
  quiet_hours 21:00..08:00 recipient
  business_hours mon..fri 09:00..18:00 recipient
}}

message weekend_deal on messenger as marketing {{
  text "This weekend only: 20% off trail shoes. Shall I show you the range?"
}}

journey trail_shoes {{
  entry on messenger_message

  stage offer {{
    wait 20h
{send}    exit
  }}
}}
"#
    )
}

#[test]
fn a_messenger_promotion_inside_business_hours_that_never_meet_quiet_hours_is_never_held() {
    // Business hours 09:00..18:00 never meet quiet hours 21:00..08:00 in the same zone: a send
    // made inside them is never held, so 20h after the message it is handed over at 20h.
    let report = assert_clean(&promotion_in_business_hours(true), 1);
    let evidence = &report.flow.evidence[0];
    assert_eq!(evidence.window_max_secs, Some(20 * 3600), "{evidence:#?}");
    assert_eq!(evidence.quiet_hours, "never held: sent inside business hours, which never meet quiet hours");
    // Without the guard the same send may be held 13h, to 33h: the guard is what makes it pass.
    let unguarded = check_text(&promotion_in_business_hours(false));
    assert_eq!(codes(&unguarded), vec![Code::J0407], "{:#?}", described(&unguarded));
}

#[test]
fn a_send_in_an_arm_that_exit_on_makes_unreachable_gives_only_the_unreachable_warning() {
    // `exit on order_placed` ends the run before `wait for` sees the event: the arm never runs,
    // so its free-form send 3 days after the message is no J0402, only unreachable (J0501).
    let text = r#"import "std/events"

event order_placed { order_id: text }

message thanks_for_ordering on messenger as service {
  text "Thanks for your order! Reply here if you need anything."
}

journey browse_abandon {
  entry on messenger_message
  exit on order_placed

  stage watch {
    wait for order_placed within 3d {
      order_placed => send thanks_for_ordering
      timeout => exit
    }
  }
}
"#;
    let report = check_text(text);
    assert_eq!(codes(&report), vec![Code::J0501], "{:#?}", described(&report));
    let warning = &report.diagnostics[0];
    assert_eq!(warning.message, "this step is never reached");
    assert_eq!(
        warning.notes,
        vec!["the journey exits on `order_placed` (`exit on`), which ends the run before this arm can run".to_owned()],
        "{warning:#?}"
    );
    assert_eq!(warning.help.as_deref(), Some("remove the arm, or take `order_placed` out of `exit on`"));
    // No step of the arm is checked, so no evidence is recorded for it.
    assert!(report.flow.evidence.is_empty(), "{:#?}", report.flow.evidence);
}

#[test]
fn text_unsubscribe_to_stop_is_accepted_as_sms_opt_out_wording() {
    let text = r#"import "std/channels"

profile {
  timezone: timezone
}

policy {
  quiet_hours 21:00..08:00 recipient
}

event signed_up {}

message first_order_deal on sms as marketing {
  text "Acme: welcome! Take 10% off your first order with code HELLO10. Text UNSUBSCRIBE to stop"
}

journey sms_welcome {
  entry on signed_up
  audience consent(sms, marketing)

  stage welcome {
    wait 1d
    send first_order_deal
    exit
  }
}
"#;
    assert_clean(text, 1);
}
