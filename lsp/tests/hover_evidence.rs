//! The language server's hover on a send shows the same window bound as the bundle's compliance
//! record: both come from the analyses' evidence, the quiet-hour hold included, so
//! an editor never promises a tighter bound than what ships.

// Test code may unwrap and index: a failure is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::{bundle, check_project, FileId, ProjectReport};
use journey_lsp::engine::hover::hover;
use journey_lsp::engine::{Analysis, Files};

fn check_text(text: &str) -> ProjectReport {
    let mut memory = MemoryLoader::default();
    memory.insert(ProjectPath::new("main.journey").unwrap(), text);
    check_project(&[ProjectPath::new("main.journey").unwrap()], &memory)
}

/// A Messenger promotion `wait` after the contact's message (`entry`), under quiet hours
/// 21:00..08:00 that may hold it (13h: 11h on the clock, 2h more when the clocks go back).
fn held_promotion(entry: &str, wait: &str) -> String {
    format!(
        r#"import "std/events"

profile {{
  timezone: timezone
}}

policy {{
  quiet_hours 21:00..08:00 recipient
}}

message weekend_deal on messenger as marketing {{
  text "This weekend only: 20% off trail shoes. Shall I show you the range?"
}}

journey trail_shoes {{
  entry on {entry}

  stage offer {{
    wait {wait}
    if consent(messenger, marketing) {{ send weekend_deal }}
    exit
  }}
}}
"#
    )
}

/// Seconds in the hover's words (`2d 13h`), written independently of the server's code.
fn hover_words(secs: u64) -> String {
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, unit) in [(604_800, "w"), (86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")] {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join(" ")
    }
}

/// The bundle's `window_max_s` and `window_s` for the send, the evidence's, and the hover on
/// the send step.
fn bounds(text: &str) -> (Option<u64>, Option<u64>, Option<u64>, String) {
    let report = check_text(text);
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let bundles = bundle::emit(&report, bundle::Options::default());
    assert_eq!(bundles.len(), 1);
    let json: serde_json::Value = serde_json::from_str(&bundles[0].1).unwrap();
    let compliance = json["compliance"].as_object().unwrap();
    assert_eq!(compliance.len(), 1, "{compliance:#?}");
    let record = compliance.values().next().unwrap();
    let bundle_max = record["window_max_s"].as_u64();
    let bundle_window = record["window_s"].as_u64();

    let buffer: Arc<str> = Arc::from(text);
    let analysis = Analysis::from_project(FileId(0), 1, &buffer, report);
    assert_eq!(analysis.sends.len(), 1, "{:#?}", analysis.sends);
    let evidence_max = analysis.sends[0].evidence.window_max_secs;
    let offset = text.find("send weekend_deal").unwrap() + 2;
    let markdown = hover(Files::single(&analysis), offset).unwrap().markdown;
    (bundle_max, bundle_window, evidence_max, markdown)
}

#[test]
fn the_hover_on_a_send_held_by_quiet_hours_shows_the_bundles_window_bound() {
    // 2h after an ordinary message (24h window), held up to 13h: 15h when handed over.
    let (bundle_max, bundle_window, evidence_max, markdown) = bounds(&held_promotion("messenger_message", "2h"));
    assert_eq!(bundle_max, Some(15 * 3600));
    assert_eq!(bundle_window, Some(86_400));
    assert_eq!(evidence_max, bundle_max);
    let line = format!(
        "- window: at most {} after the contact's last message (window {})",
        hover_words(bundle_max.unwrap()),
        hover_words(bundle_window.unwrap())
    );
    assert!(markdown.contains(&line), "expected {line:?} in:\n{markdown}");
    assert!(markdown.contains("- quiet hours: deferred up to 13h (21:00..08:00, recipient's time)"), "{markdown}");
}

#[test]
fn the_hover_on_a_send_after_an_ad_reply_shows_the_bundles_bound_and_seven_day_window() {
    // 2d after a click-to-Messenger ad reply (7 days), held up to 13h: 2d13h.
    let (bundle_max, bundle_window, evidence_max, markdown) = bounds(&held_promotion("messenger_ad_reply", "2d"));
    assert_eq!(bundle_max, Some(2 * 86_400 + 13 * 3600));
    assert_eq!(bundle_window, Some(7 * 86_400));
    assert_eq!(evidence_max, bundle_max);
    let line = format!(
        "- window: at most {} after the contact's last message (window {})",
        hover_words(bundle_max.unwrap()),
        hover_words(bundle_window.unwrap())
    );
    assert!(markdown.contains(&line), "expected {line:?} in:\n{markdown}");
}
