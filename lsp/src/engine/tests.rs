//! Engine tests: fixtures with a cursor marker (`$0`), results rendered as annotated source and
//! snapshotted with insta.

use std::fmt::Write;
use std::sync::Arc;

use journey_compiler::{FileId, Span};

use super::completion::complete;
use super::hover::hover;
use super::navigate::{check_name, definition, prepare_rename, references, rename, RenameError};
use super::outline::{outline, workspace_symbols, OutlineItem};
use super::{Analysis, FileSpan, Files};
use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::Tier;

const CURSOR: &str = "$0";

/// An analysed fixture and the cursor offset (where `$0` was).
fn fixture(text: &str) -> (Analysis, usize) {
    let offset = text.find(CURSOR).expect("fixture has a $0 cursor");
    let text: Arc<str> = Arc::from(text.replacen(CURSOR, "", 1));
    (Analysis::new(FileId(0), 1, &text), offset)
}

/// A project in memory: the first file holds the `$0` cursor and is the document analysed; every
/// file is an entry (as under a `journey.toml`).
fn project_fixture(files: &[(&str, &str)]) -> (Analysis, usize) {
    let (first_path, first_text) = files[0];
    let offset = first_text.find(CURSOR).expect("the first file has a $0 cursor");
    let text: Arc<str> = Arc::from(first_text.replacen(CURSOR, "", 1));
    let mut loader = MemoryLoader::default();
    loader.insert(ProjectPath::new(first_path).unwrap(), text.as_bytes());
    for (path, text) in &files[1..] {
        loader.insert(ProjectPath::new(path).unwrap(), *text);
    }
    let entries: Vec<ProjectPath> = files.iter().map(|(path, _)| ProjectPath::new(path).unwrap()).collect();
    let path = ProjectPath::new(first_path).unwrap();
    (Analysis::check(FileId(0), 1, &text, &path, &entries, &loader, Tier::Names), offset)
}

/// Other open documents (each a project of its own), as files 1, 2, ...
fn others(texts: &[&str]) -> Vec<Arc<Analysis>> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| Arc::new(Analysis::new(FileId(u32::try_from(i + 1).unwrap()), 1, &Arc::from(*text))))
        .collect()
}

/// Renders spans as the source lines they are on, with carets under them:
///
/// ```text
/// 0:12 |     goto b
///      |          ^ definition
/// ```
fn annotate(files: Files<'_>, spans: &[FileSpan], label: &str) -> String {
    let mut out = String::new();
    for at in spans {
        // A file of the current document's project (named), or an open document (numbered).
        let (name, text, index) = match files.current.linked(at.file) {
            Some(linked) => (linked.name.clone(), &*linked.text, &linked.line_index),
            None => {
                let file = files.all().find(|file| file.file == at.file).unwrap();
                (at.file.0.to_string(), &*file.text, &file.line_index)
            }
        };
        let line = index.line_of(at.span.start());
        let range = index.line_range(text, line);
        let line_text = &text[range.clone()];
        let col = text[range.start..at.span.start()].chars().count();
        let width = text[at.span.range()].chars().count().max(1);
        let gutter = format!("{name}:{}", line + 1);
        writeln!(out, "{gutter} | {line_text}").unwrap();
        writeln!(out, "{} | {}{} {label}", " ".repeat(gutter.len()), " ".repeat(col), "^".repeat(width)).unwrap();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Hover

const TOUR: &str = r#"event chat_started inbound messenger { campaign: text }
event order_placed { order_id: text, total: money }

segment vip     = lifetime_value >= 500 USD
segment runners = "running" in interests and not vip

message welcome on messenger as service {
  text "Hi {first_name ?? "there"}! What are you shopping for today?"
  reply "Running" -> running
  reply "Hiking"  -> hiking
}

journey spring_launch {
  audience runners or vip
  entry on chat_started where campaign == "spring"
  exit on order_placed

  stage awareness {
    ask welcome timeout 23h {
      running => goto consideration
      hiking  => { tag "hiker"; goto consideration }
      timeout => exit
    }
  }

  stage consideration {
    wait for order_placed within 3d { order_placed => exit, timeout => exit }
  }
}
"#;

/// The tour with the cursor placed before the `n`-th occurrence of `needle`, plus `shift` bytes.
fn tour_at(needle: &str, n: usize, shift: usize) -> String {
    let at = TOUR.match_indices(needle).nth(n).expect("needle occurs").0 + shift;
    format!("{}{CURSOR}{}", &TOUR[..at], &TOUR[at..])
}

fn hover_at(text: &str) -> String {
    let (analysis, offset) = fixture(text);
    match hover(Files::single(&analysis), offset) {
        Some(info) => {
            format!("[{}..{}] {:?}\n\n{}", info.span.start, info.span.end, analysis.slice(info.span), info.markdown)
        }
        None => "no hover".to_owned(),
    }
}

#[test]
fn hover_on_an_ask_shows_the_message_with_channel_category_preview_and_length() {
    insta::assert_snapshot!(hover_at(&tour_at("ask welcome", 0, 6)));
}

#[test]
fn hover_on_a_message_definition_shows_the_same_preview() {
    let text = tour_at("message welcome", 0, 9);
    assert!(hover_at(&text).contains("text: 37 characters + 1 field (`first_name`)"), "{}", hover_at(&text));
}

#[test]
fn hover_on_step_keywords_shows_their_documentation() {
    insta::assert_snapshot!([("ask welcome", 1), ("wait for", 0), ("goto consideration", 2), ("stage awareness", 3)]
        .iter()
        .map(|(needle, shift)| format!("## {needle}\n{}", hover_at(&tour_at(needle, 0, *shift))))
        .collect::<Vec<_>>()
        .join("\n\n"));
}

const LIST: &str = r#"import "std/channels"
import "std/events"

message pick_size on whatsapp as service {
  text "Which size?"
  list "Sizes" {
    header "Acme"
    section "Shirts" {
      row "Small" "Chest 86-91 cm" -> small
    }
    section "Help" {
      row "Not sure" -> unsure
    }
  }
}

journey sizes {
  entry on whatsapp_message
  stage s {
    ask pick_size timeout 1h { small => exit, unsure => exit, timeout => exit }
  }
}
"#;

#[test]
fn hover_on_a_list_shows_its_rows_and_on_its_keywords_their_documentation() {
    let at = |needle: &str, shift: usize| {
        let at = LIST.find(needle).expect("needle occurs") + shift;
        format!("{}{CURSOR}{}", &LIST[..at], &LIST[at..])
    };
    insta::assert_snapshot!([
        ("ask pick_size", 6),
        ("list \"Sizes\"", 1),
        ("section \"Help\"", 1),
        ("row \"Small\"", 1),
        ("header", 1)
    ]
    .iter()
    .map(|(needle, shift)| format!("## {needle}\n{}", hover_at(&at(needle, *shift))))
    .collect::<Vec<_>>()
    .join("\n\n"));
}

#[test]
fn hover_on_a_stage_says_where_it_belongs_and_how_it_is_reached() {
    let text = tour_at("goto consideration", 0, 6);
    insta::assert_snapshot!(hover_at(&text), @r#"
    [576..589] "consideration"

    ```journey
    stage consideration
    ```
    stage of journey `spring_launch`: 1 step, reached by 2 `goto`
    "#);
}

#[test]
fn hover_on_a_segment_use_shows_its_declaration() {
    let text = tour_at("runners or vip", 0, 2);
    insta::assert_snapshot!(hover_at(&text), @r#"
    [414..421] "runners"

    ```journey
    segment runners = "running" in interests and not vip
    ```
    "#);
}

#[test]
fn hover_on_a_line_with_a_diagnostic_explains_its_code() {
    let text = "journey j {\n  stage s {\n    ask m { yes -$0> exit }\n  }\n}\n";
    let shown = hover_at(text);
    assert!(shown.contains("**J0105**"), "{shown}");
    assert!(shown.contains("`J0105` wrong arrow"), "{shown}");
}

#[test]
fn keywords_inside_strings_and_comments_have_no_hover() {
    assert_eq!(hover_at("message m on sms as service { text \"se$0nd it\" }\n"), "no hover");
    assert_eq!(hover_at("// se$0nd\n"), "no hover");
}

#[test]
fn a_diagnostic_code_in_a_comment_hovers_with_its_explanation() {
    let shown = hover_at("// see J01$005\n");
    assert!(shown.starts_with("[7..12] \"J0105\""), "{shown}");
    assert!(shown.contains("wrong arrow"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Definition, references, rename

const TWO_JOURNEYS: &str = r#"message m on sms as service { text "hi" }
journey a {
  stage start { send m; goto next }
  stage next { exit }
}
journey b {
  stage start { goto next }
  stage next { send m }
}
"#;

fn navigate_at(text: &str, what: &str) -> String {
    let (analysis, offset) = fixture(text);
    let files = Files::single(&analysis);
    let spans = match what {
        "definition" => definition(files, offset),
        "references" => references(files, offset, true),
        _ => unreachable!(),
    };
    if spans.is_empty() {
        return "nothing".to_owned();
    }
    annotate(files, &spans, what)
}

#[test]
fn go_to_definition_of_a_goto_finds_the_stage_of_the_same_journey() {
    let at = TWO_JOURNEYS.match_indices("goto next").nth(1).unwrap().0 + 5;
    let text = format!("{}{CURSOR}{}", &TWO_JOURNEYS[..at], &TWO_JOURNEYS[at..]);
    insta::assert_snapshot!(navigate_at(&text, "definition"), @r"
    0:8 |   stage next { send m }
        |         ^^^^ definition
    ");
}

#[test]
fn find_references_of_a_message_lists_its_definition_and_every_send() {
    let text = TWO_JOURNEYS.replacen("message m", "message m$0", 1);
    insta::assert_snapshot!(navigate_at(&text, "references"), @r#"
    0:1 | message m on sms as service { text "hi" }
        |         ^ references
    0:3 |   stage start { send m; goto next }
        |                      ^ references
    0:8 |   stage next { send m }
        |                     ^ references
    "#);
}

#[test]
fn find_references_of_an_event_includes_the_arms_that_wait_for_it() {
    insta::assert_snapshot!(navigate_at(&tour_at("event order_placed", 0, 6), "references"), @r"
    0:2 | event order_placed { order_id: text, total: money }
        |       ^^^^^^^^^^^^ references
    0:16 |   exit on order_placed
         |           ^^^^^^^^^^^^ references
    0:27 |     wait for order_placed within 3d { order_placed => exit, timeout => exit }
         |              ^^^^^^^^^^^^ references
    0:27 |     wait for order_placed within 3d { order_placed => exit, timeout => exit }
         |                                       ^^^^^^^^^^^^ references
    ");
}

#[test]
fn go_to_definition_of_a_segment_in_an_expression() {
    insta::assert_snapshot!(navigate_at(&tour_at("not vip", 0, 5), "definition"), @r"
    0:4 | segment vip     = lifetime_value >= 500 USD
        |         ^^^ definition
    ");
}

#[test]
fn a_bare_name_in_an_entry_condition_is_a_field_of_the_entry_event() {
    insta::assert_snapshot!(navigate_at(&tour_at("campaign ==", 0, 2), "definition"), @r"
    0:1 | event chat_started inbound messenger { campaign: text }
        |                                        ^^^^^^^^ definition
    ");
}

#[test]
fn a_name_the_checker_could_not_resolve_goes_nowhere() {
    let text = TOUR.replacen("audience runners or vip", "audience runners or nobody$0", 1);
    assert_eq!(navigate_at(&text, "definition"), "nothing");
}

#[test]
fn definitions_are_found_in_other_files_of_the_project() {
    let (analysis, offset) = project_fixture(&[
        ("main.journey", "journey j {\n  stage s { send wel$0come }\n}\n"),
        ("messages.journey", "import \"std/channels\"\nmessage welcome on messenger as service { text \"hi\" }\n"),
    ]);
    let files = Files::single(&analysis);
    insta::assert_snapshot!(annotate(files, &definition(files, offset), "definition"), @r#"
    messages.journey:2 | message welcome on messenger as service { text "hi" }
                       |         ^^^^^^^ definition
    "#);
}

#[test]
fn references_list_uses_in_files_of_the_project_that_are_not_open() {
    let (analysis, offset) = project_fixture(&[
        ("messages.journey", "import \"std/channels\"\nmessage wel$0come on messenger as service { text \"hi\" }\n"),
        ("a.journey", "journey a {\n  stage s { send welcome }\n}\n"),
        ("b.journey", "journey b {\n  stage s { ask welcome { timeout => exit } }\n}\n"),
    ]);
    let files = Files::single(&analysis);
    insta::assert_snapshot!(annotate(files, &references(files, offset, false), "use"), @r"
    a.journey:2 |   stage s { send welcome }
                |                  ^^^^^^^ use
    b.journey:2 |   stage s { ask welcome { timeout => exit } }
                |                 ^^^^^^^ use
    ");
}

#[test]
fn rename_of_a_stage_changes_only_the_stage_of_its_journey() {
    let at = TWO_JOURNEYS.find("stage next").unwrap() + 7;
    let (analysis, offset) = fixture(&format!("{}{CURSOR}{}", &TWO_JOURNEYS[..at], &TWO_JOURNEYS[at..]));
    let files = Files::single(&analysis);
    let edits = rename(files, offset, "later").unwrap();
    insta::assert_snapshot!(annotate(files, &edits, "-> later"), @r"
    0:3 |   stage start { send m; goto next }
        |                              ^^^^ -> later
    0:4 |   stage next { exit }
        |         ^^^^ -> later
    ");
}

#[test]
fn rename_of_a_message_reaches_every_file_of_the_project() {
    let (analysis, offset) = project_fixture(&[
        ("main.journey", "import \"std/channels\"\nmessage m$0 on sms as service { text \"hi\" }\n"),
        ("j.journey", "journey j { stage s { send m } }\n"),
        ("k.journey", "journey k { stage s { send m } }\n"),
    ]);
    let files = Files::single(&analysis);
    let edits = rename(files, offset, "reminder").unwrap();
    insta::assert_snapshot!(annotate(files, &edits, "-> reminder"), @r#"
    0:2 | message m on sms as service { text "hi" }
        |         ^ -> reminder
    j.journey:1 | journey j { stage s { send m } }
                |                            ^ -> reminder
    k.journey:1 | journey k { stage s { send m } }
                |                            ^ -> reminder
    "#);
}

#[test]
fn rename_refuses_a_name_taken_in_the_project_and_names_of_the_standard_library() {
    let (analysis, offset) = project_fixture(&[
        ("main.journey", "import \"std/channels\"\nmessage m$0 on sms as service { text \"hi\" }\n"),
        ("other.journey", "message taken on sms as service { text \"hi\" }\njourney j { stage s { send m } }\n"),
    ]);
    let refused = rename(Files::single(&analysis), offset, "taken").unwrap_err().to_string();
    assert_eq!(refused, "a message named `taken` already exists (other.journey:1)");
    let (analysis, offset) = fixture("import \"std/channels\"\nmessage m on s$0ms as service { text \"hi\" }\n");
    let refused = prepare_rename(Files::single(&analysis), offset).unwrap_err().to_string();
    assert_eq!(refused, "channel `sms` is declared in the standard library, which cannot be renamed");
}

#[test]
fn edits_that_would_leave_a_use_unresolved_are_found_by_checking_the_project_again() {
    let (analysis, offset) = project_fixture(&[
        ("main.journey", "import \"std/channels\"\nmessage m$0 on sms as service { text \"hi\" }\n"),
        ("j.journey", "journey j { stage s { send m } }\n"),
    ]);
    let declaration = definition(Files::single(&analysis), offset);
    // Renaming the declaration alone leaves `send m` unknown.
    let broken = super::navigate::breaks_project(&analysis, &declaration, "renamed").unwrap();
    assert_eq!(broken, "renaming to `renamed` would break the project: j.journey: unknown message `m` (J0201)");
    let every_use = references(Files::single(&analysis), offset, true);
    assert_eq!(super::navigate::breaks_project(&analysis, &every_use, "renamed"), None);
}

#[test]
fn rename_refuses_a_new_name_that_would_break_the_project() {
    // `vip` becomes `spend`, a profile field's name: the segment's own condition would then
    // read itself.
    let (analysis, offset) = project_fixture(&[(
        "main.journey",
        "profile { spend: int }\nsegment v$0ip = spend > 5\njourney j {\n  audience vip\n  stage s { exit }\n}\n",
    )]);
    let refused = rename(Files::single(&analysis), offset, "spend").unwrap_err().to_string();
    assert!(refused.contains("already exists"), "{refused}");
}

#[test]
fn rename_refuses_keywords_invalid_identifiers_and_things_that_are_not_names() {
    let cases: &[(&str, &str)] = &[
        ("send", "`send` is a keyword"),
        ("stage", "`stage` is a keyword"),
        ("9lives", "is not a name"),
        ("with space", "is not a name"),
        ("", "is not a name"),
        ("café", "is not a name"),
    ];
    for (name, why) in cases {
        let refused = check_name(name).unwrap_err().to_string();
        assert!(refused.contains(why), "{name:?}: {refused}");
    }
    assert_eq!(check_name("_ok_2"), Ok(()));
    assert!(matches!(check_name(&"a".repeat(300)), Err(RenameError::InvalidName(_))));

    let (analysis, offset) = fixture("journey j { stage s { wa$0it 2d } }\n");
    assert_eq!(prepare_rename(Files::single(&analysis), offset), Err(RenameError::NothingToRename));
    let (analysis, offset) = fixture("journey j$0 { stage s { wait 2d } }\n");
    assert_eq!(prepare_rename(Files::single(&analysis), offset), Err(RenameError::NothingToRename));
}

#[test]
fn the_cursor_right_after_a_name_still_means_that_name() {
    let (analysis, offset) = fixture("journey j {\n  stage s { goto s$0 }\n}\n");
    assert_eq!(prepare_rename(Files::single(&analysis), offset), Ok(Span::new(29, 30)));
}

// ---------------------------------------------------------------------------------------------
// Completion

const COMPLETION_BASE: &str = r#"import "std/channels"
event cart_abandoned { cart_url: url, items: int }
event order_placed { order_id: text }
segment vip = lifetime_value >= 500 USD
message nudge on sms as marketing { text "hi" }
message welcome on messenger as service { text "hi" }
"#;

fn labels_at(body: &str) -> String {
    let (analysis, offset) = fixture(&format!("{COMPLETION_BASE}{body}"));
    let completions = complete(Files::single(&analysis), offset);
    completions.candidates.iter().map(|candidate| candidate.label.as_str()).collect::<Vec<_>>().join(" ")
}

#[test]
fn completion_offers_what_may_be_written_at_the_cursor() {
    // (what is being typed, what completion offers)
    let cases: &[(&str, &str)] = &[
        ("journey j {\n  stage s {\n    send $0\n  }\n}\n", "nudge welcome"),
        ("journey j {\n  stage s {\n    ask we$0\n  }\n}\n", "nudge welcome"),
        ("journey j {\n  stage s { goto $0 }\n  stage t { exit }\n}\njourney k { stage u { exit } }\n", "s t"),
        ("journey j {\n  entry on $0\n}\n", "cart_abandoned order_placed"),
        ("journey j {\n  stage s { wait for order_placed, $0 }\n}\n", "cart_abandoned order_placed"),
        ("journey j {\n  exit on $0\n}\n", "cart_abandoned order_placed"),
        ("message m on $0", "email instagram messenger sms whatsapp"),
        ("message m on sms as $0", "authentication marketing service utility"),
        ("journey j {\n  stage s { request consent sms $0 }\n}\n", "authentication marketing service utility"),
        ("journey j {\n  stage s { revoke consent $0 }\n}\n", "email instagram messenger sms whatsapp"),
        ("journey j {\n  stage s { revoke consent sms $0 }\n}\n", "authentication marketing service utility"),
        (
            "policy {\n  frequency $0\n}\n",
            "email instagram messenger sms whatsapp authentication marketing service utility",
        ),
        ("policy {\n  frequency sms $0\n}\n", "authentication marketing service utility"),
        (
            "journey j {\n  stage s {\n    $0\n  }\n}\n",
            "ask exit goto handoff if request consent revoke consent send set split tag track wait wait for wait until",
        ),
        ("journey j {\n  $0\n}\n", "audience entry exit on exit when goal reentry stage"),
        ("$0", "channel event import journey message policy profile segment"),
        ("message m on sms as service {\n  $0\n}\n", "button card image list reply subject template text"),
        ("message m on whatsapp as service {\n  list \"Sizes\" {\n    $0\n  }\n}\n", "footer header row section"),
        ("message m on whatsapp as service {\n  list \"Sizes\" {\n    section \"S\" {\n      $0\n", "row"),
        ("channel own {\n  $0\n}\n", "encoding keywords limit medium supports tag template required window"),
        ("policy {\n  $0\n}\n", "business_hours frequency jurisdiction quiet_hours"),
        ("journey j {\n  stage s {\n    ask welcome {\n      $0\n    }\n  }\n}\n", "other timeout"),
        ("journey j {\n  stage s {\n    handoff \"care\" timeout 1d {\n      $0\n    }\n  }\n}\n", "timeout"),
        (
            "journey j {\n  stage s {\n    ask welcome {\n      yes => $0\n",
            "ask exit goto handoff if request consent revoke consent send set split tag track wait wait for wait until",
        ),
        ("journey j {\n  audience not $0\n}\n", "vip"),
        ("journey j {\n  entry on cart_abandoned where event.$0\n}\n", "cart_url items"),
        ("journey j {\n  stage s {\n    // send $0\n  }\n}\n", ""),
        ("journey j {\n  stage s {\n    tag \"$0\n  }\n}\n", ""),
    ];
    let mut failures = String::new();
    for (body, expected) in cases {
        let got = labels_at(body);
        if got != *expected {
            writeln!(failures, "{body:?}\n  expected: {expected}\n  got:      {got}").unwrap();
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn completion_replaces_the_partial_name_before_the_cursor() {
    let (analysis, offset) = fixture(&format!("{COMPLETION_BASE}journey j {{ stage s {{ send nu$0 }} }}\n"));
    let completions = complete(Files::single(&analysis), offset);
    assert_eq!(analysis.slice(completions.replace), "nu");
}

#[test]
fn completion_offers_names_declared_in_other_files_of_the_project() {
    let (analysis, offset) = project_fixture(&[
        ("main.journey", "journey j { stage s { send $0 } }\n"),
        ("far.journey", "import \"std/channels\"\nmessage far_away on email as service { subject \"x\" }\n"),
    ]);
    let completions = complete(Files::single(&analysis), offset);
    let labels: Vec<&str> = completions.candidates.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, vec!["far_away"]);
    assert_eq!(completions.candidates[0].detail.as_deref(), Some("on email as service"));
}

// ---------------------------------------------------------------------------------------------
// Outline and workspace symbols

fn render_outline(items: &[OutlineItem], depth: usize, out: &mut String) {
    for item in items {
        let detail = item.detail.as_deref().map(|d| format!("  ({d})")).unwrap_or_default();
        writeln!(out, "{}{:?} {}{detail}", "  ".repeat(depth), item.kind, item.name).unwrap();
        render_outline(&item.children, depth + 1, out);
    }
}

#[test]
fn the_outline_nests_stages_and_steps_inside_journeys() {
    let analysis = Analysis::new(FileId(0), 1, &Arc::from(TOUR));
    let mut out = String::new();
    render_outline(&outline(&analysis), 0, &mut out);
    insta::assert_snapshot!(out);
}

#[test]
fn every_outline_selection_lies_inside_its_range() {
    fn check(items: &[OutlineItem]) {
        for item in items {
            assert!(item.span.start <= item.selection.start && item.selection.end <= item.span.end, "{item:?}");
            check(&item.children);
        }
    }
    let every_construct = include_str!("../../../tests/fixtures/parse/every_construct.journey");
    check(&outline(&Analysis::new(FileId(0), 1, &Arc::from(every_construct))));
    check(&outline(&Analysis::new(FileId(0), 1, &Arc::from(TOUR))));
}

#[test]
fn workspace_symbols_match_the_query_letters_in_order_across_open_documents() {
    let analysis = Analysis::new(FileId(0), 1, &Arc::from(TOUR));
    let others = others(&["message cart_nudge on sms as marketing { text \"x\" }\n"]);
    let files = Files { current: &analysis, others: &others };
    let found: Vec<String> = workspace_symbols(files, "cn", 100)
        .iter()
        .map(|symbol| format!("{} {} {:?}", symbol.kind.describe(), symbol.name, symbol.container))
        .collect();
    assert_eq!(
        found,
        vec![
            "event field campaign Some(\"chat_started\")",
            "stage consideration Some(\"spring_launch\")",
            "message cart_nudge None"
        ]
    );
    assert_eq!(workspace_symbols(files, "", 3).len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Semantic tokens and inlay hints

#[test]
fn semantic_tokens_colour_names_as_the_checker_resolved_them() {
    let (analysis, _) = fixture(
        "import \"std/channels\"\n// a comment\nevent e { n: int }\nmessage m on sms as service { text \"hi\" }\njourney j {\n  entry on e where n > 2\n  stage s { send m; wait 1h; goto s }\n}\n$0",
    );
    let tokens: Vec<String> = super::annotations::semantic_tokens(&analysis)
        .iter()
        .map(|token| {
            let mark = if token.declaration { "*" } else { "" };
            format!("{}{mark}:{:?}", analysis.slice(token.span), token.kind)
        })
        .collect();
    insta::assert_snapshot!(tokens.join("\n"));
}

#[test]
fn inlay_hints_show_what_was_proved_and_only_after_the_complete_analysis() {
    let text = "import \"std/channels\"\nevent chat inbound messenger {}\nmessage m on messenger as service { text \"hi\" }\njourney j {\n  entry on chat\n  stage s {\n    wait 2h\n    send m\n  }\n}\n";
    let buffer: Arc<str> = Arc::from(text);
    let path = ProjectPath::new("main.journey").unwrap();
    let mut loader = MemoryLoader::default();
    loader.insert(path.clone(), text);
    let quick = Analysis::check(FileId(0), 1, &buffer, &path, std::slice::from_ref(&path), &loader, Tier::Names);
    assert_eq!(super::annotations::inlay_hints(&quick, 0, text.len()), Vec::new());
    let complete = Analysis::check(FileId(0), 1, &buffer, &path, std::slice::from_ref(&path), &loader, Tier::All);
    assert!(complete.diagnostics.is_empty(), "{:?}", complete.diagnostics);
    let hints = super::annotations::inlay_hints(&complete, 0, text.len());
    let shown: Vec<String> =
        hints.iter().map(|hint| format!("{}|{}", &text[..hint.at].rsplit('\n').next().unwrap(), hint.label)).collect();
    insta::assert_snapshot!(shown.join("\n"), @"    send m|  ≤ 2h after last message");
    assert!(hints.iter().all(|hint| hint.tooltip.contains("why this send is allowed")));
}

/// The document checked with its project's `journey.toml` served by the loader, to [`Tier::All`].
fn with_manifest(manifest: &str, document: &str) -> Analysis {
    let text: Arc<str> = Arc::from(document);
    let path = ProjectPath::new("main.journey").unwrap();
    let mut loader = MemoryLoader::default();
    loader.insert(path.clone(), text.as_bytes());
    loader.insert(ProjectPath::new("journey.toml").unwrap(), manifest);
    Analysis::check(FileId(0), 1, &text, &path, std::slice::from_ref(&path), &loader, Tier::All)
}

const TEXTS_AT_NIGHT: &str = r#"import "std/channels"
profile { phone: phone, timezone: timezone }
event joined {}
message promo on sms {
  category marketing
  text "Sale today. Reply STOP to opt out."
}
policy {
  quiet_hours 21:00..08:00 recipient
}
journey j {
  entry on joined
  stage s {
    send promo
  }
}
"#;

#[test]
fn the_editor_applies_journey_toml_jurisdictions_and_flags_a_manifest_it_could_not_apply() {
    let codes = |analysis: &Analysis| analysis.diagnostics.iter().map(|d| d.code.as_str()).collect::<Vec<_>>();
    let clean = with_manifest("[project]\n", TEXTS_AT_NIGHT);
    assert!(!codes(&clean).contains(&"J0406"), "{:?}", clean.diagnostics);
    let florida = with_manifest("[project]\njurisdictions = [\"US-FL\"]\n", TEXTS_AT_NIGHT);
    let quiet = florida.diagnostics.iter().find(|d| d.code.as_str() == "J0406").expect("Florida's hours are checked");
    assert!(quiet.message.contains("Florida"), "{}", quiet.message);
    let broken = with_manifest("[project]\njurisdictions = [\"Atlantis\"]\n", TEXTS_AT_NIGHT);
    let first = broken.diagnostics.first().unwrap();
    assert_eq!(first.code.as_str(), "J0117");
    assert!(first.message.contains("unknown jurisdiction `Atlantis`"), "{}", first.message);
}
