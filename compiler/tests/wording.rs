//! Message content rules over whole projects: opt-out instructions (J0410), unsubscribe links
//! (J0411), a template beside free-form content (J0312) and promotional content in messages and
//! templates not declared marketing (J0313, J0314). The word tables themselves are unit-tested
//! beside them (`content/optout.rs`, `content/promotional.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::{check_project, Code, ProjectReport};

fn check_text(text: &str) -> ProjectReport {
    let mut memory = MemoryLoader::default();
    memory.insert(ProjectPath::new("main.journey").unwrap(), text);
    check_project(&[ProjectPath::new("main.journey").unwrap()], &memory)
}

fn codes(report: &ProjectReport) -> Vec<Code> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

fn messages(report: &ProjectReport) -> Vec<String> {
    report.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect()
}

/// A marketing email with `body` as its elements, sent with consent.
fn email(body: &str) -> String {
    format!(
        r#"import "std/channels"

profile {{
  unsubscribe_url:  url
  unsubscribe_text: text
  postal_address:   text
}}

event signed_up {{ manage_url: url }}

message news on email as marketing {{
  subject "Spring is here"
{body}
}}

journey newsletter {{
  entry on signed_up
  audience consent(email, marketing)
  stage news {{
    send news
    exit
  }}
}}
"#
    )
}

#[test]
fn an_unsubscribe_link_must_be_a_link_beside_the_word() {
    let cases: &[(&str, bool)] = &[
        // A literal address, a `url` field of the profile or of the event, a button: links.
        (r#"  text "Unsubscribe: https://acme.example/u - {postal_address}""#, true),
        (r#"  text "Unsubscribe: {unsubscribe_url} - {postal_address}""#, true),
        (r#"  text "To unsubscribe visit {event.manage_url}. {postal_address}""#, true),
        ("  text \"{postal_address}\"\n  button \"Unsubscribe\" url \"https://acme.example/u\"", true),
        // A text field is not a link, whatever its name.
        (r#"  text "Unsubscribe: {unsubscribe_text} - {postal_address}""#, false),
        // The word alone, or the link in another element than the word.
        (r#"  text "To unsubscribe, write to us. {postal_address}""#, false),
        ("  text \"To unsubscribe, write to us. {postal_address}\"\n  text \"Shop: https://acme.example\"", false),
        (
            "  text \"Unsubscribe any time. {postal_address}\"\n  button \"Shop now\" url \"https://acme.example\"",
            false,
        ),
        // Only in the subject: no link can be there.
        ("  subject \"Unsubscribe: https://acme.example/u\"\n  text \"{postal_address}\"", false),
        // "unsubscribed" is not the word.
        (r#"  text "You unsubscribed? https://acme.example/u {postal_address}""#, false),
    ];
    for (body, accepted) in cases {
        let report = check_text(&email(body));
        let j0411 = codes(&report).contains(&Code::J0411);
        assert_eq!(!j0411, *accepted, "{body}: {:#?}", messages(&report));
    }
}

/// A marketing text on `channel` (declared in `channels`) with `text`.
fn sms(channels: &str, channel: &str, text: &str) -> String {
    format!(
        r#"import "std/channels"
{channels}
profile {{
  timezone: timezone
}}

policy {{
  quiet_hours 21:00..08:00 recipient
}}

event signed_up {{}}

message promo on {channel} as marketing {{
  text "{text}"
}}

journey promos {{
  entry on signed_up
  audience consent({channel}, marketing)
  stage s {{
    send promo
    exit
  }}
}}
"#
    )
}

const SHORT_CODE: &str = "channel short_code {\n  encoding sms\n  keywords STOP, HELP\n  supports text\n}\n";

#[test]
fn opt_out_instructions_use_the_opt_out_keywords_the_channel_declares() {
    let cases: &[(&str, &str, bool)] = &[
        ("sms", "20% off today. Text UNSUBSCRIBE to stop", true),
        ("sms", "20% off today. reply end to unsubscribe", true),
        ("sms", "Nonstop deals today, don't stop!", false),
        ("sms", "20% off today. Reply HELP for help", false),
        ("short_code", "20% off today. Reply STOP to opt out", true),
        // The project's channel declares STOP and HELP only: UNSUBSCRIBE would not be honoured.
        ("short_code", "20% off today. Text UNSUBSCRIBE to stop", false),
    ];
    for (channel, text, accepted) in cases {
        let report = check_text(&sms(SHORT_CODE, channel, text));
        let j0410 = codes(&report).contains(&Code::J0410);
        assert_eq!(!j0410, *accepted, "{channel}: {text}: {:#?}", messages(&report));
    }
    let report = check_text(&sms(SHORT_CODE, "short_code", "20% off today"));
    let help = report.diagnostics.iter().find(|d| d.code == Code::J0410).and_then(|d| d.help.clone()).unwrap();
    assert!(help.contains("`short_code` accepts STOP") && !help.contains("HELP"), "{help}");
}

#[test]
fn applying_the_opt_out_fix_satisfies_the_rule() {
    let source = sms("", "sms", "Acme: 20% off today");
    let report = check_text(&source);
    let diagnostic = report.diagnostics.iter().find(|d| d.code == Code::J0410).unwrap();
    let edit = &diagnostic.suggestions[0].edits[0];
    let mut fixed = source.clone();
    fixed.replace_range(edit.span.range(), &edit.replacement);
    assert!(fixed.contains("text \"Acme: 20% off today Reply STOP to opt out\""), "{fixed}");
    let report = check_text(&fixed);
    assert!(report.diagnostics.is_empty(), "{:#?}", messages(&report));
}

/// A WhatsApp message with a template and `extra` beside it.
fn template_with(extra: &str) -> String {
    format!(
        r#"import "std/channels"

event order_shipped {{ order_id: text }}

template order_shipped on whatsapp as utility {{
  lang "en_US"
  body "Your order {{order}} has shipped."
}}

message shipped on whatsapp as utility {{
  template "order_shipped" lang "en_US" {{ order = event.order_id }}
{extra}
}}

journey shipping {{
  entry on order_shipped
  stage notify {{
    send shipped
    exit
  }}
}}
"#
    )
}

#[test]
fn a_template_goes_with_its_own_buttons_only() {
    for extra in
        [r#"  image "https://acme.example/box.jpg""#, "  card {\n    title \"Your box\"\n  }", r#"  text "Thanks!""#]
    {
        let report = check_text(&template_with(extra));
        assert!(codes(&report).contains(&Code::J0312), "{extra}: {:#?}", messages(&report));
    }
    for extra in ["", r#"  button "Track it" url "https://acme.example/track""#] {
        let report = check_text(&template_with(extra));
        assert!(!codes(&report).contains(&Code::J0312), "{extra}: {:#?}", messages(&report));
    }
}

#[test]
fn promotional_content_is_read_in_card_subtitles_and_declared_template_texts() {
    let card = r#"import "std/channels"

event messenger_message_in {}

message picks on messenger as service {
  text "Here are our picks:"
  card {
    title "Acme Glide 3"
    subtitle "Light daily trainer, now 20% off"
  }
}
"#;
    let report = check_text(card);
    assert_eq!(codes(&report), vec![Code::J0313], "{:#?}", messages(&report));
    let suggestion = &report.diagnostics[0].suggestions[0];
    assert_eq!(suggestion.edits[0].replacement, "marketing");
    assert_eq!(&card[suggestion.edits[0].span.range()], "service");

    let template = |channel: &str, category: &str| {
        format!("import \"std/channels\"\n\ntemplate deal on {channel} as {category} {{\n  lang \"en_US\"\n  footer \"Use code SPRING20\"\n}}\n")
    };
    let cases = [
        ("whatsapp", "utility", vec![Code::J0314]),
        ("whatsapp", "authentication", vec![Code::J0313]),
        ("messenger", "utility", vec![Code::J0313]),
        ("whatsapp", "marketing", vec![]),
    ];
    for (channel, category, expected) in cases {
        let report = check_text(&template(channel, category));
        assert_eq!(codes(&report), expected, "{channel} {category}: {:#?}", messages(&report));
    }
}

#[test]
fn a_consent_request_may_name_the_offers_it_asks_for_but_a_plain_send_of_it_may_not() {
    let project = |also_sent: bool| {
        format!(
            r#"import "std/channels"
import "std/events"

message ask_offers on messenger as service {{
  text "Want members-only offers here on Messenger?"
  reply "Yes" -> granted
  reply "No" -> declined
}}

journey opt_in {{
  entry on messenger_message
  stage ask {{
    request consent messenger marketing via ask_offers timeout 20h {{
      granted  => exit
      declined => exit
      timeout  => exit
    }}
  }}
}}

journey other {{
  entry on messenger_message
  stage s {{
    {}
    exit
  }}
}}
"#,
            if also_sent { "send ask_offers" } else { "wait 1h" }
        )
    };
    let report = check_text(&project(false));
    assert!(!codes(&report).contains(&Code::J0313), "{:#?}", messages(&report));
    let report = check_text(&project(true));
    assert!(codes(&report).contains(&Code::J0313), "{:#?}", messages(&report));
}
