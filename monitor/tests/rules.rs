//! The monitor rule by rule, as data: small histories (contacts, events and the runtime's
//! actions, written as the JSON Lines of docs/simulate.md and parsed with the monitor's own
//! parser) and the findings each must give, boundaries included. The bundle is hand-made JSON
//! with the standard library's channels and events; `examples.rs` uses real bundles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_monitor::{monitor_json, parse_actions, parse_contacts, parse_events, Finding};
use serde_json::{json, Value};

/// Literal text.
fn t(text: &str) -> Value {
    json!([{ "text": text }])
}

/// A bundle of journey `name` with the standard channels and events, one message of each kind
/// the cases need, a Messenger marketing consent request at node `ask.1`, and `policies`.
fn bundle(name: &str, policies: Value) -> Value {
    json!({
        "format": "journey-bundle",
        "format_version": 2,
        "journey": name,
        "nodes": {
            "ask.1": {"kind": "consent_request", "channel": "messenger", "category": "marketing", "message": "msgr_optin", "timeout_s": 72000},
            "s.1": {"kind": "send", "message": "promo_sms"}
        },
        "messages": {
            "promo_sms": {"channel": "sms", "category": "marketing", "body": t("Acme deals: 20% off. Reply STOP to opt out")},
            "promo_sms_bare": {"channel": "sms", "category": "marketing", "body": t("Acme deals: 20% off, nonstop!")},
            "info_sms": {"channel": "sms", "category": "utility", "body": t("Your order shipped.")},
            "confirm_sms": {"channel": "sms", "category": "service", "body": t("You are unsubscribed.")},
            "msgr_hi": {"channel": "messenger", "category": "service", "body": t("Hi!")},
            "msgr_promo": {"channel": "messenger", "category": "marketing", "body": t("New arrivals, 10% off")},
            "msgr_optin": {"channel": "messenger", "category": "service", "body": t("Offers here?"),
                "replies": [{"title": t("Yes"), "outcome": "granted"}, {"title": t("No"), "outcome": "declined"}]},
            "msgr_agent": {"channel": "messenger", "category": "service", "tag": "HUMAN_AGENT", "body": t("An agent here")},
            "msgr_agent_promo": {"channel": "messenger", "category": "marketing", "tag": "HUMAN_AGENT", "body": t("Sale!")},
            "msgr_update": {"channel": "messenger", "category": "utility", "tag": "POST_PURCHASE_UPDATE", "body": t("Shipped")},
            "wa_tpl": {"channel": "whatsapp", "category": "utility", "template": {"name": "shipped", "lang": "en_US", "params": {}}},
            "wa_promo_tpl": {"channel": "whatsapp", "category": "marketing", "template": {"name": "promo", "lang": "en_US", "params": {}}},
            "wa_text": {"channel": "whatsapp", "category": "service", "body": t("Thanks!")},
            "email_promo": {"channel": "email", "category": "marketing", "subject": t("Sale"),
                "body": [{"text": "20% off. Unsubscribe: "}, {"field": "unsubscribe_url", "scope": "profile"},
                         {"text": " Acme, "}, {"field": "postal_address", "scope": "profile"}]},
            "email_bare": {"channel": "email", "category": "marketing", "subject": t("Sale"), "body": t("20% off everything")}
        },
        "profile": {
            "timezone": {"type": "timezone", "optional": true},
            "unsubscribe_url": {"type": "url", "optional": false},
            "postal_address": {"type": "text", "optional": false},
            "phone": {"type": "phone", "optional": true}
        },
        "events": {
            "messenger_message": {"fields": {"text": {"type": "text", "optional": false}}, "inbound": "messenger"},
            "messenger_ad_reply": {"fields": {"ad_id": {"type": "text", "optional": false}}, "inbound": "messenger", "window_s": 604800},
            "whatsapp_message": {"fields": {"text": {"type": "text", "optional": false}}, "inbound": "whatsapp"},
            "sms_message": {"fields": {"text": {"type": "text", "optional": false}}, "inbound": "sms"},
            "sms_opt_out": {"fields": {"keyword": {"type": "text", "optional": false}}, "inbound": "sms"},
            "email_unsubscribe": {"fields": {"method": {"type": "enum { link, one_click, reply }", "optional": false}}}
        },
        "channels": {
            "messenger": {"window_s": 86400, "template_required_outside_window": false, "keywords": [], "medium": "messaging",
                "tags": {"HUMAN_AGENT": {"allows": ["service"], "within_s": 604800},
                         "POST_PURCHASE_UPDATE": {"allows": ["utility"], "within_s": null}}},
            "whatsapp": {"window_s": 86400, "template_required_outside_window": true, "tags": {}, "keywords": [], "medium": "messaging"},
            "sms": {"window_s": null, "template_required_outside_window": false, "tags": {}, "encoding": "sms", "medium": "sms",
                "keywords": ["STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "REVOKE", "OPTOUT", "HELP"]},
            "email": {"window_s": null, "template_required_outside_window": false, "tags": {}, "keywords": [], "medium": "email"}
        },
        "policies": policies,
        "compliance": {}
    })
}

/// The examples' policy: 21:00..08:00 recipient, at most 2 marketing a week, the US table.
fn policy() -> Value {
    json!({"quiet_hours": {"from": "21:00", "to": "08:00", "zone": "recipient"},
           "frequency": [{"category": "marketing", "max": 2, "per_s": 604800}],
           "business_hours": null, "jurisdiction": ["US"]})
}

/// A `send` action line as docs/simulate.md writes it (evidence elided to an empty record).
fn send(at: &str, message: &str) -> String {
    send_in("j", at, message)
}

fn send_in(journey: &str, at: &str, message: &str) -> String {
    let bundle = bundle(journey, policy());
    let m = &bundle["messages"][message];
    let form = if m.get("template").is_some() {
        "template".to_owned()
    } else if let Some(tag) = m.get("tag") {
        format!("tag {}", tag.as_str().unwrap())
    } else {
        "free-form".to_owned()
    };
    json!({"at": at, "contact": "c1", "journey": journey, "node": "s.1", "action": "send", "message": message,
           "channel": m["channel"], "category": m["category"], "form": form, "local_time": null, "evidence": {}})
    .to_string()
}

/// A contact in Chicago (UTC-6 in early March 2026, before the change to daylight time on 8 March).
const CHICAGO: &str = r#"{"contact":"c1","profile":{"timezone":"America/Chicago"}}"#;
const CHICAGO_SMS_OK: &str =
    r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"sms","category":"marketing"}]}"#;

struct Case {
    name: &'static str,
    contacts: String,
    events: String,
    actions: String,
    /// (time, rule) of every finding, in order.
    expected: &'static [(&'static str, &'static str)],
}

fn case(
    name: &'static str,
    contacts: &str,
    events: &[&str],
    actions: &[String],
    expected: &'static [(&'static str, &'static str)],
) -> Case {
    Case { name, contacts: contacts.to_owned(), events: events.join("\n"), actions: actions.join("\n"), expected }
}

fn run_with(bundles: &[Value], case: &Case) -> Vec<Finding> {
    let contacts = parse_contacts(&case.contacts).unwrap();
    let events = parse_events(&case.events).unwrap();
    let actions = parse_actions(&case.actions).unwrap();
    monitor_json(bundles, &contacts, &events, &actions).unwrap()
}

fn check_all(bundles: &[Value], cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let findings = run_with(bundles, case);
        let got: Vec<(String, String)> = findings.iter().map(|f| (f.at.to_string(), f.rule.clone())).collect();
        let want: Vec<(String, String)> =
            case.expected.iter().map(|(at, rule)| ((*at).to_owned(), (*rule).to_owned())).collect();
        if got != want {
            let reasons: Vec<String> = findings.iter().map(|f| format!("{} {}: {}", f.at, f.rule, f.reason)).collect();
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}\n  {}", case.name, reasons.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

fn check(cases: &[Case]) {
    check_all(&[bundle("j", policy())], cases);
}

#[test]
fn consent_is_checked_at_send_time_with_revocations_and_re_grants() {
    check(&[
        case(
            "sms marketing without consent",
            CHICAGO,
            &[],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[("2026-03-02T15:00:00Z", "TCPA-PEWC")],
        ),
        case(
            "sms marketing with the contact's consent",
            CHICAGO_SMS_OK,
            &[],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[],
        ),
        case(
            "an sms_opt_out revokes the consent",
            CHICAGO_SMS_OK,
            &[r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"sms_opt_out","fields":{"keyword":"STOP"}}"#],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[("2026-03-02T15:00:00Z", "TCPA-PEWC")],
        ),
        case(
            "a revocation in the same second as the send precedes it",
            CHICAGO_SMS_OK,
            &[
                r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"consent_revoked","fields":{"channel":"sms","category":"marketing"}}"#,
            ],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[("2026-03-02T15:00:00Z", "TCPA-PEWC")],
        ),
        case(
            "revoked then granted again",
            CHICAGO_SMS_OK,
            &[
                r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"sms_opt_out","fields":{"keyword":"STOP"}}"#,
                r#"{"at":"2026-03-02T14:30:00Z","contact":"c1","event":"consent_granted","fields":{"channel":"sms","category":"marketing"}}"#,
            ],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[],
        ),
        case(
            "a STOP texted as a reply revokes, whatever its case",
            CHICAGO_SMS_OK,
            &[
                r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"reply","fields":{"channel":"sms","text":" stop "}}"#,
            ],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[("2026-03-02T15:00:00Z", "TCPA-PEWC")],
        ),
        case(
            "STOP in an sms_message event revokes too",
            CHICAGO_SMS_OK,
            &[r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"sms_message","fields":{"text":"Unsubscribe"}}"#],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[("2026-03-02T15:00:00Z", "TCPA-PEWC")],
        ),
        case(
            "HELP is not an opt-out",
            CHICAGO_SMS_OK,
            &[
                r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"reply","fields":{"channel":"sms","text":"HELP"}}"#,
            ],
            &[send("2026-03-02T15:00:00Z", "promo_sms")],
            &[],
        ),
        case(
            "after STOP one confirmation goes out, then the channel stays silent",
            CHICAGO_SMS_OK,
            &[r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"sms_opt_out","fields":{"keyword":"STOP"}}"#],
            &[send("2026-03-02T14:00:00Z", "confirm_sms"), send("2026-03-02T15:00:00Z", "info_sms")],
            &[("2026-03-02T15:00:00Z", "CTIA-STOP")],
        ),
        case(
            "withdrawing every category on sms silences it too",
            CHICAGO,
            &[r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"consent_revoked","fields":{"channel":"sms"}}"#],
            &[send("2026-03-02T14:00:05Z", "confirm_sms"), send("2026-03-02T15:00:00Z", "info_sms")],
            &[("2026-03-02T15:00:00Z", "TCPA-REV")],
        ),
        case(
            "a grant after STOP lifts the silence",
            CHICAGO,
            &[
                r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"sms_opt_out","fields":{"keyword":"STOP"}}"#,
                r#"{"at":"2026-03-02T14:10:00Z","contact":"c1","event":"consent_granted","fields":{"channel":"sms","category":"marketing"}}"#,
            ],
            &[send("2026-03-02T15:00:00Z", "info_sms"), send("2026-03-02T15:00:01Z", "info_sms")],
            &[],
        ),
        case("utility texts need no consent", CHICAGO, &[], &[send("2026-03-02T15:00:00Z", "info_sms")], &[]),
        case(
            "email marketing after email_unsubscribe",
            r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"email","category":"marketing"}]}"#,
            &[r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"email_unsubscribe","fields":{"method":"link"}}"#],
            &[send("2026-03-02T15:00:00Z", "email_promo")],
            &[("2026-03-02T15:00:00Z", "EPR-13")],
        ),
    ]);
}

/// A `branch` line at the Messenger marketing consent request `ask.1`.
fn answer(at: &str, outcome: &str) -> String {
    format!(r#"{{"at":"{at}","contact":"c1","journey":"j","node":"ask.1","action":"branch","outcome":"{outcome}"}}"#)
}

/// The consent request's message going out from `ask.1`.
fn request(at: &str) -> String {
    format!(
        r#"{{"at":"{at}","contact":"c1","journey":"j","node":"ask.1","action":"send","message":"msgr_optin","channel":"messenger","category":"service","form":"free-form","local_time":null,"evidence":{{}}}}"#
    )
}

#[test]
fn platform_opt_ins_waive_or_need_consent_by_the_window() {
    let hello = r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"messenger_message","fields":{"text":"hi"}}"#;
    let wa_hello = r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"whatsapp_message","fields":{"text":"hi"}}"#;
    let granted_reply = r#"{"at":"2026-03-02T15:10:00Z","contact":"c1","event":"reply","fields":{"channel":"messenger","outcome":"granted"}}"#;
    check(&[
        case(
            "messenger marketing inside the window needs no opt-in",
            CHICAGO,
            &[hello],
            &[send("2026-03-02T16:00:00Z", "msgr_promo")],
            &[],
        ),
        case(
            "messenger marketing outside the window: the window alone",
            CHICAGO,
            &[hello],
            &[send("2026-03-03T16:00:00Z", "msgr_promo")],
            &[("2026-03-03T16:00:00Z", "MSGR-WIN-1")],
        ),
        case(
            "a granted request is the opt-in, and opting in opens no window",
            CHICAGO,
            &[hello, granted_reply],
            &[
                request("2026-03-02T15:05:00Z"),
                answer("2026-03-02T15:10:00Z", "granted"),
                send("2026-03-03T15:30:00Z", "msgr_promo"),
            ],
            &[("2026-03-03T15:30:00Z", "MSGR-WIN-1")],
        ),
        case(
            "a declined request withdraws the opt-in",
            r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"messenger","category":"marketing"}]}"#,
            &[hello],
            &[
                request("2026-03-02T15:05:00Z"),
                answer("2026-03-02T15:10:00Z", "declined"),
                send("2026-03-04T15:30:00Z", "msgr_hi"),
            ],
            &[("2026-03-04T15:30:00Z", "MSGR-WIN-1")],
        ),
        case(
            "a whatsapp utility template outside the window needs the opt-in",
            CHICAGO,
            &[],
            &[send("2026-03-02T16:00:00Z", "wa_tpl")],
            &[("2026-03-02T16:00:00Z", "WA-OPTIN")],
        ),
        case(
            "a whatsapp template inside the window needs none",
            CHICAGO,
            &[wa_hello],
            &[send("2026-03-02T16:00:00Z", "wa_tpl")],
            &[],
        ),
        case(
            "a whatsapp template outside the window with the opt-in",
            r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"whatsapp","category":"utility"}]}"#,
            &[],
            &[send("2026-03-02T16:00:00Z", "wa_tpl")],
            &[],
        ),
        case(
            "a whatsapp marketing template to a +1 number",
            r#"{"contact":"c1","profile":{"timezone":"America/Chicago","phone":"+15550100"},"consent":[{"channel":"whatsapp","category":"marketing"}]}"#,
            &[],
            &[send("2026-03-02T16:00:00Z", "wa_promo_tpl")],
            &[("2026-03-02T16:00:00Z", "WA-US-MKT")],
        ),
        case(
            "a whatsapp marketing template to a +49 number",
            r#"{"contact":"c1","profile":{"timezone":"Europe/Berlin","phone":"+4930123456"},"consent":[{"channel":"whatsapp","category":"marketing"}]}"#,
            &[],
            &[send("2026-03-02T16:00:00Z", "wa_promo_tpl")],
            &[],
        ),
        case(
            "whatsapp marketing needs the opt-in even inside the window",
            CHICAGO,
            &[wa_hello],
            &[send("2026-03-02T16:00:00Z", "wa_promo_tpl")],
            &[("2026-03-02T16:00:00Z", "WA-OPTIN")],
        ),
    ]);
}

#[test]
fn free_form_messages_stay_inside_the_window_their_opener_opened_and_tags_inside_theirs() {
    let hello = r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"messenger_message","fields":{"text":"hi"}}"#;
    let ad = r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"messenger_ad_reply","fields":{"ad_id":"a1"}}"#;
    // A person on the team answered (the handoff was resolved): the human-agent tag may follow.
    let resolved = r#"{"at":"2026-03-02T15:30:00Z","contact":"c1","event":"handoff_resolved","fields":{}}"#;
    check(&[
        case(
            "exactly 24h after the contact's message",
            CHICAGO,
            &[hello],
            &[send("2026-03-03T15:00:00Z", "msgr_hi")],
            &[],
        ),
        case(
            "one second past 24h",
            CHICAGO,
            &[hello],
            &[send("2026-03-03T15:00:01Z", "msgr_hi")],
            &[("2026-03-03T15:00:01Z", "MSGR-WIN-1")],
        ),
        case(
            "no message from the contact at all",
            CHICAGO,
            &[],
            &[send("2026-03-03T15:00:00Z", "msgr_hi")],
            &[("2026-03-03T15:00:00Z", "MSGR-WIN-1")],
        ),
        case(
            "a reply reopens the window",
            CHICAGO,
            &[
                hello,
                r#"{"at":"2026-03-03T14:00:00Z","contact":"c1","event":"reply","fields":{"channel":"messenger","text":"ok"}}"#,
            ],
            &[send("2026-03-04T13:00:00Z", "msgr_hi")],
            &[],
        ),
        case("6 days after an ad reply", CHICAGO, &[ad], &[send("2026-03-08T15:00:00Z", "msgr_hi")], &[]),
        case("exactly 7 days after an ad reply", CHICAGO, &[ad], &[send("2026-03-09T15:00:00Z", "msgr_hi")], &[]),
        case(
            "7 days and a second after an ad reply",
            CHICAGO,
            &[ad],
            &[send("2026-03-09T15:00:01Z", "msgr_hi")],
            &[("2026-03-09T15:00:01Z", "MSGR-WIN-1")],
        ),
        case(
            "a later message opens the ordinary 24h window in place of the ad's",
            CHICAGO,
            &[ad, r#"{"at":"2026-03-03T15:00:00Z","contact":"c1","event":"messenger_message","fields":{"text":"hi"}}"#],
            &[send("2026-03-05T15:00:00Z", "msgr_hi")],
            &[("2026-03-05T15:00:00Z", "MSGR-WIN-1")],
        ),
        case(
            "HUMAN_AGENT 6 days after, once a person answered",
            CHICAGO,
            &[hello, resolved],
            &[send("2026-03-08T15:00:00Z", "msgr_agent")],
            &[],
        ),
        case(
            "HUMAN_AGENT 8 days after, once a person answered",
            CHICAGO,
            &[hello, resolved],
            &[send("2026-03-10T15:00:00Z", "msgr_agent")],
            &[("2026-03-10T15:00:00Z", "MSGR-TAG-HA")],
        ),
        case(
            "HUMAN_AGENT inside the 7 days when no person answered",
            CHICAGO,
            &[hello],
            &[send("2026-03-03T15:00:00Z", "msgr_agent")],
            &[("2026-03-03T15:00:00Z", "MSGR-TAG-HA")],
        ),
        case(
            "a promotion under a tag",
            r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"messenger","category":"marketing"}]}"#,
            &[hello, resolved],
            &[send("2026-03-02T16:00:00Z", "msgr_agent_promo")],
            &[("2026-03-02T16:00:00Z", "MSGR-TAG-PROMO")],
        ),
        case("a legacy tag before its withdrawal", CHICAGO, &[], &[send("2026-04-26T16:00:00Z", "msgr_update")], &[]),
        case(
            "a legacy tag from its withdrawal on",
            CHICAGO,
            &[],
            &[send("2026-04-27T16:00:00Z", "msgr_update")],
            &[("2026-04-27T16:00:00Z", "MSGR-TAG-LEGACY")],
        ),
        case(
            "whatsapp free-form outside the window",
            CHICAGO,
            &[r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"whatsapp_message","fields":{"text":"hi"}}"#],
            &[send("2026-03-03T16:00:00Z", "wa_text")],
            &[("2026-03-03T16:00:00Z", "WA-CSW")],
        ),
    ]);
}

#[test]
fn the_window_reason_says_how_long_after_which_message() {
    let case = case(
        "25h",
        CHICAGO,
        &[r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","event":"messenger_message","fields":{"text":"hi"}}"#],
        &[send("2026-03-03T16:00:00Z", "msgr_hi")],
        &[],
    );
    let findings = run_with(&[bundle("j", policy())], &case);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].reason,
        "free-form message sent 25h after the contact's last message on messenger (messenger_message at 2026-03-02T15:00:00Z), outside the 24h window it opened"
    );
}

#[test]
fn quiet_hours_are_the_recipients_local_time_with_the_start_inside_and_the_end_outside() {
    // Chicago is UTC-6 until 8 March 2026.
    check(&[
        case("20:59 local", CHICAGO_SMS_OK, &[], &[send("2026-03-03T02:59:00Z", "promo_sms")], &[]),
        case("21:00 local", CHICAGO_SMS_OK, &[], &[send("2026-03-03T03:00:00Z", "promo_sms")], &[("2026-03-03T03:00:00Z", "TCPA-QH")]),
        case("07:59:59 local", CHICAGO_SMS_OK, &[], &[send("2026-03-03T13:59:59Z", "promo_sms")], &[(
            "2026-03-03T13:59:59Z",
            "TCPA-QH",
        )]),
        case("08:00 local", CHICAGO_SMS_OK, &[], &[send("2026-03-03T14:00:00Z", "promo_sms")], &[]),
        case("utility texts are not held", CHICAGO, &[], &[send("2026-03-03T05:00:00Z", "info_sms")], &[]),
        case(
            "no zone: it cannot be shown outside quiet hours",
            r#"{"contact":"c1","profile":{},"consent":[{"channel":"sms","category":"marketing"}]}"#,
            &[],
            &[send("2026-03-02T18:00:00Z", "promo_sms")],
            &[("2026-03-02T18:00:00Z", "TCPA-QH")],
        ),
        case(
            "an unknown zone name",
            r#"{"contact":"c1","profile":{"timezone":"Mars/Olympus"},"consent":[{"channel":"sms","category":"marketing"}]}"#,
            &[],
            &[send("2026-03-02T18:00:00Z", "promo_sms")],
            &[("2026-03-02T18:00:00Z", "TCPA-QH")],
        ),
        case(
            "a journey that sets the zone moves quiet hours with it",
            CHICAGO_SMS_OK,
            &[],
            &[
                r#"{"at":"2026-03-02T17:00:00Z","contact":"c1","journey":"j","node":"s.0","action":"set","field":"timezone","value":"Asia/Tokyo"}"#.to_owned(),
                send("2026-03-02T18:00:00Z", "promo_sms"),
            ],
            &[("2026-03-02T18:00:00Z", "TCPA-QH")],
        ),
        case(
            "messenger marketing at night breaks the policy, not a law",
            CHICAGO,
            &[r#"{"at":"2026-03-03T03:00:00Z","contact":"c1","event":"messenger_message","fields":{"text":"hi"}}"#],
            &[send("2026-03-03T03:30:00Z", "msgr_promo")],
            &[("2026-03-03T03:30:00Z", "J0406")],
        ),
    ]);
}

#[test]
fn daylight_saving_nights_in_new_york_last_ten_and_twelve_hours() {
    let ny = r#"{"contact":"c1","profile":{"timezone":"America/New_York"},"consent":[{"channel":"sms","category":"marketing"}]}"#;
    check(&[
        // 7-8 March 2026: 21:00 EST is 02:00Z, 08:00 EDT is 12:00Z: 10 hours.
        case(
            "21:00 EST, 7 March",
            ny,
            &[],
            &[send("2026-03-08T02:00:00Z", "promo_sms")],
            &[("2026-03-08T02:00:00Z", "TCPA-QH")],
        ),
        case(
            "07:59 EDT, 8 March",
            ny,
            &[],
            &[send("2026-03-08T11:59:00Z", "promo_sms")],
            &[("2026-03-08T11:59:00Z", "TCPA-QH")],
        ),
        case("08:00 EDT, 8 March", ny, &[], &[send("2026-03-08T12:00:00Z", "promo_sms")], &[]),
        // 31 October - 1 November 2026: 21:00 EDT is 01:00Z, 08:00 EST is 13:00Z: 12 hours.
        case("20:59 EDT, 31 October", ny, &[], &[send("2026-11-01T00:59:00Z", "promo_sms")], &[]),
        case(
            "21:00 EDT, 31 October",
            ny,
            &[],
            &[send("2026-11-01T01:00:00Z", "promo_sms")],
            &[("2026-11-01T01:00:00Z", "TCPA-QH")],
        ),
        case(
            "07:59 EST, 1 November",
            ny,
            &[],
            &[send("2026-11-01T12:59:00Z", "promo_sms")],
            &[("2026-11-01T12:59:00Z", "TCPA-QH")],
        ),
        case("08:00 EST, 1 November", ny, &[], &[send("2026-11-01T13:00:00Z", "promo_sms")], &[]),
    ]);
}

#[test]
fn each_jurisdiction_of_the_policy_applies_its_own_hours() {
    let policy_of = |codes: Value| {
        json!({"quiet_hours": {"from": "21:00", "to": "08:00", "zone": "recipient"}, "frequency": [],
               "business_hours": null, "jurisdiction": codes})
    };
    let miami = r#"{"contact":"c1","profile":{"timezone":"America/New_York"},"consent":[{"channel":"sms","category":"marketing"}]}"#;
    let florida = [bundle("j", policy_of(json!(["US-FL"])))];
    check_all(
        &florida,
        &[
            // Monday 2 March 2026, EST: 20:30 is 01:30Z the next day.
            case(
                "20:30 in Florida",
                miami,
                &[],
                &[send("2026-03-03T01:30:00Z", "promo_sms")],
                &[("2026-03-03T01:30:00Z", "FL-FTSA")],
            ),
            case(
                "21:30 in Florida breaks the state and the federal rule",
                miami,
                &[],
                &[send("2026-03-03T02:30:00Z", "promo_sms")],
                &[("2026-03-03T02:30:00Z", "FL-FTSA"), ("2026-03-03T02:30:00Z", "TCPA-QH")],
            ),
            case("19:59 in Florida", miami, &[], &[send("2026-03-03T00:59:00Z", "promo_sms")], &[]),
        ],
    );
    let houston = r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"sms","category":"marketing"}]}"#;
    let texas = [bundle("j", policy_of(json!(["US-TX"])))];
    check_all(
        &texas,
        &[
            // Sunday 1 March 2026, CST: 11:00 is 17:00Z; Monday 2 March 11:00 is fine.
            case(
                "11:00 on a Sunday in Texas",
                houston,
                &[],
                &[send("2026-03-01T17:00:00Z", "promo_sms")],
                &[("2026-03-01T17:00:00Z", "TX-SB140")],
            ),
            case("12:00 on a Sunday in Texas", houston, &[], &[send("2026-03-01T18:00:00Z", "promo_sms")], &[]),
            case(
                "08:30 on a Monday in Texas",
                houston,
                &[],
                &[send("2026-03-02T14:30:00Z", "promo_sms")],
                &[("2026-03-02T14:30:00Z", "TX-SB140")],
            ),
        ],
    );
    let paris = r#"{"contact":"c1","profile":{"timezone":"Europe/Paris"},"consent":[{"channel":"sms","category":"marketing"}]}"#;
    let france = [bundle("j", policy_of(json!(["FR"])))];
    check_all(
        &france,
        &[
            // Sunday 1 March 2026, 12:00 CET is 11:00Z; 21:30 on a Monday is allowed in France.
            case(
                "noon on a Sunday in France",
                paris,
                &[],
                &[send("2026-03-01T11:00:00Z", "promo_sms")],
                &[("2026-03-01T11:00:00Z", "INTL-QH")],
            ),
            case(
                "21:30 on a Monday in France: only the policy",
                paris,
                &[],
                &[send("2026-03-02T20:30:00Z", "promo_sms")],
                &[("2026-03-02T20:30:00Z", "J0406")],
            ),
        ],
    );
}

#[test]
fn frequency_counts_every_journey_and_run_in_a_sliding_window() {
    let both = [bundle("j", policy()), bundle("k", policy())];
    check_all(
        &both,
        &[
            case(
                "two a week is the cap",
                CHICAGO_SMS_OK,
                &[],
                &[send("2026-03-02T15:00:00Z", "promo_sms"), send_in("k", "2026-03-03T15:00:00Z", "promo_sms")],
                &[],
            ),
            case(
                "the third in a week, from another journey",
                CHICAGO_SMS_OK,
                &[],
                &[
                    send("2026-03-02T15:00:00Z", "promo_sms"),
                    send_in("k", "2026-03-03T15:00:00Z", "promo_sms"),
                    send("2026-03-09T14:59:59Z", "promo_sms"),
                ],
                &[("2026-03-09T14:59:59Z", "J0409")],
            ),
            case(
                "the third exactly a week after the first",
                CHICAGO_SMS_OK,
                &[],
                &[
                    send("2026-03-02T15:00:00Z", "promo_sms"),
                    send_in("k", "2026-03-03T15:00:00Z", "promo_sms"),
                    send("2026-03-09T15:00:00Z", "promo_sms"),
                ],
                &[],
            ),
            case(
                "utility messages are not capped",
                CHICAGO,
                &[],
                &[
                    send("2026-03-02T15:00:00Z", "info_sms"),
                    send("2026-03-02T15:00:01Z", "info_sms"),
                    send("2026-03-02T15:00:02Z", "info_sms"),
                ],
                &[],
            ),
        ],
    );
}

#[test]
fn florida_allows_three_marketing_texts_a_day() {
    let florida = [bundle(
        "j",
        json!({"quiet_hours": {"from": "20:00", "to": "08:00", "zone": "recipient"},
               "frequency": [{"category": "marketing", "max": 10, "per_s": 604800}],
               "business_hours": null, "jurisdiction": ["US-FL"]}),
    )];
    let miami = r#"{"contact":"c1","profile":{"timezone":"America/New_York"},"consent":[{"channel":"sms","category":"marketing"}]}"#;
    let three = [
        send("2026-03-02T14:00:00Z", "promo_sms"),
        send("2026-03-02T16:00:00Z", "promo_sms"),
        send("2026-03-02T18:00:00Z", "promo_sms"),
    ];
    let mut four = three.to_vec();
    four.push(send("2026-03-03T13:59:59Z", "promo_sms"));
    let mut next_day = three.to_vec();
    next_day.push(send("2026-03-03T14:00:00Z", "promo_sms"));
    check_all(
        &florida,
        &[
            case("three in a day", miami, &[], &three, &[]),
            case("a fourth within 24h", miami, &[], &four, &[("2026-03-03T13:59:59Z", "FL-FTSA")]),
            case("a fourth 24h after the first", miami, &[], &next_day, &[]),
        ],
    );
}

#[test]
fn messenger_marketing_opt_in_requests_go_out_at_most_once_a_week_across_runs() {
    let hello =
        |at: &str| format!(r#"{{"at":"{at}","contact":"c1","event":"messenger_message","fields":{{"text":"hi"}}}}"#);
    let (h1, h2, h3) = (hello("2026-03-02T15:00:00Z"), hello("2026-03-08T15:00:00Z"), hello("2026-03-09T15:00:00Z"));
    check(&[
        case(
            "a second request 6 days later",
            CHICAGO,
            &[&h1, &h2],
            &[request("2026-03-02T15:00:00Z"), request("2026-03-08T15:00:00Z")],
            &[("2026-03-08T15:00:00Z", "MSGR-MKT")],
        ),
        case(
            "a second request exactly 7 days later",
            CHICAGO,
            &[&h1, &h3],
            &[request("2026-03-02T15:00:00Z"), request("2026-03-09T15:00:00Z")],
            &[],
        ),
    ]);
}

#[test]
fn marketing_texts_need_opt_out_instructions_and_marketing_email_an_unsubscribe_link_and_address() {
    let email_ok = r#"{"contact":"c1","profile":{"timezone":"America/Chicago"},"consent":[{"channel":"email","category":"marketing"}]}"#;
    check(&[
        case(
            "a keyword inside a word is no instruction",
            CHICAGO_SMS_OK,
            &[],
            &[send("2026-03-02T15:00:00Z", "promo_sms_bare")],
            &[("2026-03-02T15:00:00Z", "CTIA-STOP")],
        ),
        case("Reply STOP to opt out", CHICAGO_SMS_OK, &[], &[send("2026-03-02T15:00:00Z", "promo_sms")], &[]),
        case(
            "an email with a link field and an address",
            email_ok,
            &[],
            &[send("2026-03-02T15:00:00Z", "email_promo")],
            &[],
        ),
        case(
            "an email without either",
            email_ok,
            &[],
            &[send("2026-03-02T15:00:00Z", "email_bare")],
            &[("2026-03-02T15:00:00Z", "CANSPAM")],
        ),
    ]);
}

#[test]
fn findings_have_the_shape_of_docs_simulate_md_and_come_out_sorted() {
    let case = case(
        "two contacts",
        &[
            r#"{"contact":"c2","profile":{"timezone":"America/Chicago"}}"#,
            r#"{"contact":"c1","profile":{"timezone":"America/Chicago"}}"#,
        ]
        .join("\n"),
        &[],
        &[
            // Written by hand, extra fields and all, as a runtime would.
            r#"{"at":"2026-03-03T03:30:00Z","contact":"c2","journey":"j","node":"s.1","action":"send","message":"promo_sms","channel":"sms","category":"marketing","form":"free-form","local_time":"2026-03-02T21:30:00-06:00","evidence":{"consent":"consent(sms, marketing)"}}"#.to_owned(),
            r#"{"at":"2026-03-03T03:30:00Z","contact":"c1","journey":"j","node":"s.1","action":"send","message":"promo_sms","channel":"sms","category":"marketing","form":"free-form","local_time":"2026-03-02T21:30:00-06:00","evidence":{}}"#.to_owned(),
            r#"{"at":"2026-03-03T03:30:00Z","contact":"c1","journey":"j","node":null,"action":"exit","reason":"exit"}"#.to_owned(),
        ],
        &[],
    );
    let findings = run_with(&[bundle("j", policy())], &case);
    let lines = journey_monitor::to_jsonl(&findings);
    let expected = [
        r#"{"at":"2026-03-03T03:30:00Z","contact":"c1","journey":"j","node":"s.1","action":"violation","rule":"TCPA-PEWC","message":"promo_sms","reason":"marketing message on sms needs consent(sms, marketing), which was never given"}"#,
        r#"{"at":"2026-03-03T03:30:00Z","contact":"c1","journey":"j","node":"s.1","action":"violation","rule":"TCPA-QH","message":"promo_sms","reason":"sent at 21:30 on Monday -06:00 local time (America/Chicago), outside the 08:00..21:00 that United States allows"}"#,
        r#"{"at":"2026-03-03T03:30:00Z","contact":"c2","journey":"j","node":"s.1","action":"violation","rule":"TCPA-PEWC","message":"promo_sms","reason":"marketing message on sms needs consent(sms, marketing), which was never given"}"#,
        r#"{"at":"2026-03-03T03:30:00Z","contact":"c2","journey":"j","node":"s.1","action":"violation","rule":"TCPA-QH","message":"promo_sms","reason":"sent at 21:30 on Monday -06:00 local time (America/Chicago), outside the 08:00..21:00 that United States allows"}"#,
    ];
    assert_eq!(lines, expected.iter().map(|l| format!("{l}\n")).collect::<String>());
    // The findings read back as what they were.
    let back: Vec<Finding> = journey_monitor::parse_jsonl(&lines).unwrap();
    assert_eq!(back, findings);
}

#[test]
fn sends_the_bundles_do_not_know_are_checked_from_the_actions_own_fields_and_never_crash() {
    check(&[
        case(
            "an unknown journey's marketing text: consent from the action's channel and category",
            CHICAGO,
            &[],
            &[r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","journey":"gone","node":"s.1","action":"send","message":"m","channel":"sms","category":"marketing","form":"free-form","local_time":null,"evidence":{}}"#.to_owned()],
            &[("2026-03-02T15:00:00Z", "TCPA-PEWC")],
        ),
        case(
            "a send without a channel or category is not judged",
            CHICAGO,
            &[],
            &[r#"{"at":"2026-03-02T15:00:00Z","contact":"c1","journey":"gone","node":null,"action":"send"}"#.to_owned()],
            &[],
        ),
        case(
            "events and actions of a contact the contacts file does not name",
            "",
            &[r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"reply","fields":{}}"#, r#"{"at":"2026-03-02T14:00:00Z","contact":"c1","event":"nobody_declared_this","fields":{"text":"STOP"}}"#],
            &[send("2026-03-02T15:00:00Z", "info_sms")],
            &[],
        ),
    ]);
}

#[test]
fn a_malformed_line_is_reported_with_its_number() {
    let text = "{\"at\":\"2026-03-02T15:00:00Z\",\"contact\":\"c1\",\"event\":\"x\"}\n\n{\"at\":\"yesterday\",\"contact\":\"c1\",\"event\":\"x\"}\n";
    let error = parse_events(text).unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.message.contains("yesterday"), "{error}");
}
