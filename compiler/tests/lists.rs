//! List messages (WA-LIST) over whole projects: what the checker reads in a list besides the
//! diagnostics fixtures (tests/fixtures/diagnostics/*list*): rows are the message's outcomes, its
//! texts are checked like any text, and its shape is checked on any channel that supports lists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::{check_project, Code, ProjectReport};

fn check_text(text: &str) -> ProjectReport {
    let mut memory = MemoryLoader::default();
    memory.insert(ProjectPath::new("main.journey").unwrap(), text);
    check_project(&[ProjectPath::new("main.journey").unwrap()], &memory)
}

fn messages(report: &ProjectReport) -> Vec<String> {
    report.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect()
}

/// A project with a message on whatsapp made of `elements`.
fn on_whatsapp(elements: &str) -> String {
    format!("import \"std/channels\"\n\nprofile {{\n  first_name: text?\n}}\n\nmessage m on whatsapp as service {{\n  text \"Pick\"\n{elements}\n}}\n")
}

/// A project whose own channel supports texts, cards and lists and declares no limits.
fn on_own_channel(elements: &str) -> String {
    format!(
        "channel own {{\n  medium messaging\n  supports text, card, list, replies\n}}\n\nmessage m on own as service {{\n  text \"Pick\"\n{elements}\n}}\n"
    )
}

#[test]
fn the_rows_of_a_list_are_the_outcomes_of_its_message_in_order() {
    let report = check_text(&on_whatsapp(
        "  list \"Sizes\" {\n    section \"Few\" { row \"Small\" -> small }\n    section \"More\" {\n      row \"Large\" -> large\n      row \"Huge\" -> huge\n    }\n  }",
    ));
    assert_eq!(messages(&report), Vec::<String>::new());
    assert_eq!(report.model.messages["m"].outcomes, ["small", "large", "huge"]);
}

#[test]
fn the_texts_of_a_list_are_checked_for_their_fields_and_measured_without_them() {
    // An unknown field in a row description; a row title whose literal part alone is too long.
    let report = check_text(&on_whatsapp(
        "  list \"Sizes\" {\n    row \"Small\" \"for {nickname}\" -> small\n    row \"Large for {first_name ?? \"you\"}: extra large fit\" -> large\n  }",
    ));
    let messages = messages(&report);
    assert!(messages.iter().any(|m| m.starts_with("J0202") && m.contains("nickname")), "{messages:#?}");
    assert!(
        messages.contains(&"J0303 row title is at least 27 characters; `whatsapp` allows 24 characters".to_owned()),
        "{messages:#?}"
    );
}

#[test]
fn a_list_beside_a_template_is_free_form_content() {
    let report =
        check_text(&on_whatsapp("  template \"sizes\" lang \"en_US\"\n  list \"Sizes\" { row \"Small\" -> small }"));
    let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::J0312), "{:#?}", messages(&report));
}

#[test]
fn a_list_needs_no_limits_to_have_its_shape_checked_on_a_channel_of_ones_own() {
    let report = check_text(&on_own_channel(
        "  list \"Sizes\" {\n    section { row \"S\" -> small }\n    section \"More\" { row \"L\" -> small }\n  }",
    ));
    assert_eq!(
        messages(&report),
        ["J0317 this section has no title, but the list has 2 sections", "J0317 two rows of this list answer `small`",]
    );
}

#[test]
fn a_list_inside_a_card_is_refused_even_where_both_are_supported() {
    let report = check_text(&on_own_channel(
        "  card {\n    title \"Shirts\"\n    list \"Sizes\" { row \"Small\" -> small }\n  }",
    ));
    assert_eq!(messages(&report), ["J0317 a list inside a card"]);
}

#[test]
fn a_list_whose_rows_were_lost_to_a_syntax_error_is_not_also_said_to_have_none() {
    let report = check_text(&on_whatsapp("  list \"Sizes\" {\n    row small \"Small\"\n  }"));
    let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::J0101], "{:#?}", messages(&report));
}

#[test]
fn promotional_words_in_a_lists_header_footer_and_descriptions_are_read_but_not_in_row_titles() {
    for (elements, promotional) in [
        ("  list \"Sizes\" { row \"Sale\" -> small }", false),
        ("  list \"Sizes\" { row \"Small\" \"20% off this week\" -> small }", true),
        ("  list \"Sizes\" {\n    header \"Big sale\"\n    row \"Small\" -> small\n  }", true),
        ("  list \"Sizes\" {\n    row \"Small\" -> small\n    footer \"Use code SPRING20\"\n  }", true),
    ] {
        let report = check_text(&on_whatsapp(elements));
        let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes.contains(&Code::J0313), promotional, "{elements}: {:#?}", messages(&report));
    }
}

#[test]
fn a_row_may_not_be_named_like_an_outcome_the_ask_takes_itself() {
    let report = check_text(&on_whatsapp(
        "  list \"Sizes\" {\n    row \"Small\" -> small\n    row \"Something else\" -> other\n    row \"Later\" -> timeout\n  }",
    ));
    assert_eq!(
        messages(&report),
        ["J0230 `other` cannot name a row's outcome", "J0230 `timeout` cannot name a row's outcome"]
    );
    let help = report.diagnostics[0].help.as_deref().unwrap_or("");
    assert!(help.contains("`-> something_else`"), "{help}");
}
