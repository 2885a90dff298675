//! Parser behaviour: every construct parses into the expected tree, real files parse cleanly,
//! and broken input reports every error with its position.

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::ast::sexp::file_to_sexp;
use journey_compiler::ast::{Expr, ExprKind, Item, StepKind};
use journey_compiler::{check_file, parse, Code, FileId, LineIndex};

fn workspace_file(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap()
}

/// Parses and returns `line:col code message` for each diagnostic (1-based, in characters).
fn diagnostics_of(source: &str) -> Vec<String> {
    let checked = check_file(FileId(0), source.as_bytes());
    let index = LineIndex::new(&checked.text);
    checked
        .diagnostics
        .iter()
        .map(|d| {
            let at = index.line_col_chars(&checked.text, d.primary.span.start());
            format!("{}:{} {} {}", at.line + 1, at.col + 1, d.code, d.message)
        })
        .collect()
}

fn tree_of(source: &str) -> String {
    let parsed = parse(FileId(0), source);
    assert_eq!(parsed.diagnostics, vec![], "unexpected diagnostics");
    file_to_sexp(&parsed.ast)
}

#[test]
fn every_construct_parses_into_the_expected_tree() {
    let source = workspace_file("tests/fixtures/parse/every_construct.journey");
    insta::assert_snapshot!(tree_of(&source));
}

#[test]
fn the_design_example_parses_unchanged_without_diagnostics() {
    let source = workspace_file("examples/broken/design/spring_launch.journey");
    assert_eq!(diagnostics_of(&source), Vec::<String>::new());
    let tree = tree_of(&source);
    assert!(tree.contains("(send catalog_card)"), "{tree}");
}

#[test]
fn every_example_parses_without_diagnostics() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "journey") {
            let source = std::fs::read_to_string(&path).unwrap();
            assert_eq!(diagnostics_of(&source), Vec::<String>::new(), "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 2, "expected the bundled examples, found {checked}");
}

#[test]
fn the_readme_tour_parses_without_diagnostics() {
    let readme = workspace_file("README.md");
    let tour = readme.split("```journey\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
    assert_eq!(diagnostics_of(tour), Vec::<String>::new());
}

#[test]
fn not_binds_looser_than_comparison_and_tighter_than_and() {
    let tree = tree_of("segment s = not a == b and c or d\n");
    assert_eq!(tree, "(segment s (or (and (not (== a b)) c) d))\n");
}

#[test]
fn operators_of_equal_precedence_associate_to_the_left() {
    assert_eq!(tree_of("segment s = a - b - c\n"), "(segment s (- (- a b) c))\n");
    assert_eq!(tree_of("segment s = a ?? b ?? c\n"), "(segment s (?? (?? a b) c))\n");
}

#[test]
fn a_call_is_a_name_and_its_arguments_wherever_it_stands() {
    assert_eq!(tree_of("segment s = consent(sms, marketing)\n"), "(segment s (consent sms marketing))\n");
    assert_eq!(tree_of("segment s = consent (sms, marketing)\n"), "(segment s (consent sms marketing))\n");
    assert_eq!(
        tree_of("segment s = not consent(sms, marketing) and consent(email, marketing)\n"),
        "(segment s (and (not (consent sms marketing)) (consent email marketing)))\n"
    );
}

/// The condition of the first step of a one-stage journey whose only line is `step`.
fn first_condition(step: &str) -> Expr {
    let source = format!("journey j {{\n  stage s {{\n    {step}\n  }}\n}}\n");
    let parsed = parse(FileId(0), &source);
    assert_eq!(parsed.diagnostics, vec![], "unexpected diagnostics in {step}");
    let Some(Item::Journey(journey)) = parsed.ast.items.first() else { panic!("no journey in {source}") };
    let stage = journey.stages().next().unwrap();
    let StepKind::If { branches, .. } = &stage.steps[0].kind else { panic!("no if in {source}") };
    (*branches[0].condition).clone()
}

#[test]
fn a_condition_of_one_name_or_one_call_reads_as_the_same_tree_as_inside_a_longer_expression() {
    // `if C { exit }` reads C by the fast path for a name or a call of names; in `if C and x`
    // the fast path fails and C is read by the whole expression grammar. Same offsets, so the
    // trees, spans included, must be equal. The keyword-like words must not become names.
    for condition in [
        "x",
        "event.order_id",
        "consent(sms, marketing)",
        "consent (sms , marketing)",
        "consent(sms, true)",
        "consent(nothing, notice)",
        "consent(sms, marketing.x)",
        "consent(sms, f(x))",
        "consent(sms, -1)",
        "true",
        "false",
        "not x",
        "nothing",
        "truex",
        "within business_hours",
        "f()",
        "_x",
    ] {
        let fast = first_condition(&format!("if {condition} {{ exit }}"));
        let slow = first_condition(&format!("if {condition} and x {{ exit }}"));
        let ExprKind::Binary { lhs, .. } = slow.kind else { panic!("`{condition} and x` is not a binary") };
        assert_eq!(fast, *lhs, "`{condition}` reads differently alone");
    }
    // The same for an argument: `f(A, y)` reads A by the fast path for one name, `f(A and z, y)`
    // by the whole expression grammar.
    for argument in ["sms", "event.channel", "true", "nothing", "notice", "g(z)", "\"s\"", "1d"] {
        let first_argument = |condition: Expr| match condition.kind {
            ExprKind::Call { mut args, .. } => args.remove(0),
            other => panic!("not a call: {other:?}"),
        };
        let fast = first_argument(first_condition(&format!("if f({argument}, y) {{ exit }}")));
        let slow = first_argument(first_condition(&format!("if f({argument} and z, y) {{ exit }}")));
        let ExprKind::Binary { lhs, .. } = slow.kind else { panic!("`{argument} and z` is not a binary") };
        assert_eq!(fast, *lhs, "argument `{argument}` reads differently alone");
    }
    assert!(matches!(first_condition("if true { exit }").kind, ExprKind::Bool(true)));
    assert!(matches!(first_condition("if not x { exit }").kind, ExprKind::Unary { .. }));
}

#[test]
fn a_broken_call_in_a_condition_is_reported_where_it_breaks() {
    let at_line = |step: &str| diagnostics_of(&format!("journey j {{\n  stage s {{\n    {step}\n  }}\n}}\n"));
    assert_eq!(
        at_line("if consent(sms marketing) { exit }"),
        vec!["3:20 J0101 expected `)` or an operator (`==`, `and`, `or`, ...), found `marketing`"]
    );
    assert_eq!(at_line("if consent(sms, ) { exit }"), vec!["3:21 J0101 expected an expression, found `)`"]);
    assert_eq!(at_line("if { exit }"), vec!["3:8 J0101 expected an expression, found `{`"]);
    assert_eq!(at_line("if not { exit }"), vec!["3:12 J0101 expected an expression, found `{`"]);
}

#[test]
fn a_control_or_bidi_mark_after_a_backslash_is_reported_as_itself_not_as_an_escape() {
    let message = |text: &str| diagnostics_of(&format!("message m on sms as utility {{\n  text \"{text}\"\n}}\n"));
    assert_eq!(
        message("hi \\\u{202e} there"),
        vec!["2:13 J0114 bidirectional control character U+202E (RIGHT-TO-LEFT OVERRIDE)"]
    );
    assert_eq!(message("hi \\\u{1} there"), vec!["2:13 J0113 control character U+0001 in source"]);
    assert_eq!(message("hi \\\u{85} there"), vec!["2:13 J0113 control character U+0085 in source"]);
    // A tab is allowed in a file but is no escape, and a character after `\` that is not
    // forbidden is still read as an escape.
    assert_eq!(message("hi \\\t there"), vec!["2:12 J0109 unknown escape `\\\t`"]);
    assert_eq!(message("caf\\\u{e9}"), vec!["2:12 J0109 unknown escape `\\é`"]);
}

#[test]
fn a_field_with_arguments_is_not_a_call() {
    assert_eq!(diagnostics_of("segment s = profile.email(x)\n"), vec!["1:13 J0101 `profile.email` cannot be called"]);
}

#[test]
fn a_missing_name_where_a_path_belongs_is_named_as_a_name() {
    let source = "journey j {\n  stage s {\n    set 1 = x\n  }\n}\n";
    assert_eq!(diagnostics_of(source), vec!["3:9 J0101 expected a name, found `1`"]);
}

#[test]
fn three_broken_items_give_three_errors_in_words_with_positions() {
    let source = "message m on sms as service {\n  reply \"Yes\" ->\n}\n\nsegment vip = lifetime_value >=\n\njourney j {\n  stage s {\n    send\n  }\n}\n";
    assert_eq!(
        diagnostics_of(source),
        vec![
            "2:17 J0101 expected an outcome name, found end of line",
            "5:32 J0101 expected an expression, found end of line",
            "9:9 J0101 expected a message name, found end of line",
        ]
    );
}

#[test]
fn a_broken_step_does_not_hide_the_steps_after_it() {
    let source = "journey j {\n  stage s {\n    send\n    wait 2 days\n    goto\n    exit\n  }\n}\n";
    let diagnostics = diagnostics_of(source);
    assert_eq!(diagnostics.len(), 3, "{diagnostics:#?}");
    let tree = file_to_sexp(&parse(FileId(0), source).ast);
    assert!(tree.contains("(exit)"), "the valid step after the broken ones is kept:\n{tree}");
}

#[test]
fn good_items_survive_a_broken_item_between_them() {
    let source = "segment a = x\nsegment b = = y\nsegment c = z\n";
    let parsed = parse(FileId(0), source);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(file_to_sexp(&parsed.ast), "(segment a x)\n(segment c z)\n");
}

#[test]
fn the_wrong_arrow_is_reported_with_a_fix() {
    let source = "message m on sms as service {\n  reply \"Yes\" => yes\n}\n";
    let checked = check_file(FileId(0), source.as_bytes());
    let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{:#?}", checked.diagnostics) };
    assert_eq!(diagnostic.code, Code::J0105);
    let edit = &diagnostic.suggestions[0].edits[0];
    assert_eq!(&source[edit.span.range()], "=>");
    assert_eq!(edit.replacement, "->");
}

#[test]
fn equals_in_a_condition_suggests_double_equals() {
    let source = "journey j {\n  entry on e where campaign = \"spring\"\n}\n";
    let checked = check_file(FileId(0), source.as_bytes());
    let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{:#?}", checked.diagnostics) };
    assert_eq!(diagnostic.help.as_deref(), Some("to compare two values, write `==`"));
    assert_eq!(diagnostic.suggestions[0].edits[0].replacement, "==");
}

#[test]
fn a_unit_apart_from_its_number_gets_a_fix() {
    let source = "journey j {\n  stage s {\n    wait 2 days\n  }\n}\n";
    let checked = check_file(FileId(0), source.as_bytes());
    let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{:#?}", checked.diagnostics) };
    let edit = &diagnostic.suggestions[0].edits[0];
    assert_eq!(&source[edit.span.range()], "2 days");
    assert_eq!(edit.replacement, "2d");
}

#[test]
fn an_unclosed_stage_is_closed_where_its_indentation_ends() {
    let source = "journey j {\n  stage a {\n    send m\n\n  stage b {\n    exit\n  }\n}\n";
    let parsed = parse(FileId(0), source);
    assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.diagnostics[0].code, Code::J0102);
    assert_eq!(&source[parsed.diagnostics[0].primary.span.range()], "{");
    assert_eq!(parsed.diagnostics[0].primary.span.start(), source.find("a {").unwrap() + 2);
    let tree = file_to_sexp(&parsed.ast);
    assert!(tree.contains("(stage a\n    (send m)\n  )\n  (stage b"), "{tree}");
    let fix = &parsed.diagnostics[0].suggestions[0].edits[0];
    assert_eq!(fix.replacement, "  }\n");
    assert_eq!(fix.span.start(), source.find("  stage b").unwrap());
}

#[test]
fn a_byte_order_mark_is_accepted_and_positions_ignore_it() {
    let diagnostics = diagnostics_of("\u{FEFF}journey j {\n  stage s {\n    send\n  }\n}\n");
    assert_eq!(diagnostics, vec!["3:9 J0101 expected a message name, found end of line"]);
}

#[test]
fn crlf_and_lone_cr_line_endings_give_the_same_positions_as_lf() {
    let lf = "journey j {\n  stage s {\n    send\n  }\n}\n";
    let expected = vec!["3:9 J0101 expected a message name, found end of line"];
    assert_eq!(diagnostics_of(lf), expected);
    assert_eq!(diagnostics_of(&lf.replace('\n', "\r\n")), expected);
    assert_eq!(diagnostics_of(&lf.replace('\n', "\r")), expected);
}

#[test]
fn invalid_utf8_is_reported_at_its_line_and_column() {
    let checked = check_file(FileId(0), b"segment a = x\nsegment b = \"caf\xE9\"\n");
    let index = LineIndex::new(&checked.text);
    let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{:#?}", checked.diagnostics) };
    assert_eq!(diagnostic.code, Code::J0112);
    let at = index.line_col_chars(&checked.text, diagnostic.primary.span.start());
    assert_eq!((at.line + 1, at.col + 1), (2, 17));
}

#[test]
fn an_empty_file_and_a_comment_only_file_are_valid() {
    assert_eq!(diagnostics_of(""), Vec::<String>::new());
    assert_eq!(diagnostics_of("// nothing yet\n\n"), Vec::<String>::new());
}

#[test]
fn text_before_the_first_item_is_reported() {
    assert_eq!(
        diagnostics_of("hello\njourney j {\n}\n"),
        vec!["1:1 J0101 expected an item (`journey`, `message`, `segment`, `import`, ...), found `hello`"]
    );
}

#[test]
fn an_else_after_the_final_else_block_is_reported_at_that_else() {
    let same_line = "journey j {\n  stage s {\n    if a { exit } else { exit } else { exit }\n  }\n}\n";
    assert_eq!(diagnostics_of(same_line), vec!["3:33 J0101 unexpected `else` after the final `else` block"]);
    let next_line = "journey j {\n  stage s {\n    if a { exit }\n    else { exit }\n    // why not\n    else if b { exit }\n  }\n}\n";
    assert_eq!(diagnostics_of(next_line), vec!["6:5 J0101 unexpected `else` after the final `else` block"]);
}

#[test]
fn else_links_may_start_later_lines_with_comments_between() {
    let source = "journey j {\n  stage s {\n    if a { exit }\n    // otherwise\n\n    else if b { exit }\n    else { exit }\n  }\n}\n";
    let tree = tree_of(source);
    assert!(tree.contains("else"), "{tree}");
    assert_eq!(diagnostics_of(source).iter().filter(|d| d.contains("J01")).count(), 0);
}

#[test]
fn something_other_than_else_after_an_if_block_names_else_as_expected() {
    let source = "journey j {\n  stage s {\n    if a { exit } elze { exit }\n  }\n}\n";
    assert_eq!(diagnostics_of(source), vec!["3:19 J0101 expected `else` or end of line, found `elze`"]);
}

#[test]
fn an_else_that_follows_no_if_block_says_a_step_was_expected_and_where_else_belongs() {
    let source = "journey j {\n  stage s {\n    send m\n    else { exit }\n  }\n}\n";
    let checked = check_file(FileId(0), source.as_bytes());
    let syntax: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == Code::J0101).collect();
    let [diagnostic] = syntax.as_slice() else { panic!("{:#?}", checked.diagnostics) };
    assert_eq!(diagnostic.message, "expected a step (`send`, `ask`, `wait`, `if`, `goto`, ...), found `else`");
    assert_eq!(diagnostic.help.as_deref(), Some("`else` belongs right after the `}` of an `if` block"));
}

/// Every `.journey` file under `dir`, recursively, in a stable order.
fn journey_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            journey_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "journey") {
            out.push(path);
        }
    }
}

/// A journey of `stages` stages using every kind of member and step, with comments, blank
/// lines, `;`, an `else` on its own line, and (when `broken`) broken lines inside and between
/// stages.
fn big_journey(stages: usize, broken: bool) -> String {
    let mut text =
        String::from("// a big one\njourney big {\n  entry on started\n  audience vip and not opted_out\n\n");
    for i in 0..stages {
        text.push_str(&format!("  // stage {i}\n  stage s{i} {{\n"));
        match i % 5 {
            0 => text.push_str("    send m0; wait 1d\n    if consent(sms, marketing) { goto s1 }\n    else { exit }\n"),
            1 => text.push_str("    ask q timeout 2d {\n      yes => { send m1 }\n      timeout => exit\n    }\n"),
            2 => text.push_str("    split {\n      50% => send m2\n      50% => { wait 2h }\n    }\n    track \"x\"\n"),
            3 => text.push_str("    wait for paid within 3d {\n      paid => exit\n      timeout => goto s0\n    }\n"),
            _ => text.push_str("    if a == 1 { exit } else if b { goto s2 } else { set x = \"{y ?? \"z\"}\" }\n"),
        }
        if broken && i % 7 == 3 {
            text.push_str("    sned m0 @\n");
        }
        text.push_str("  }\n");
        if broken && i % 11 == 5 {
            text.push_str("  stage broken @ {\n    exit\n  }\n");
        }
    }
    text.push_str("  exit on cancelled\n}\n// after\n");
    text
}

#[test]
fn a_journey_parsed_in_pieces_reads_exactly_as_when_parsed_whole() {
    use journey_compiler::syntax::parse_with_pieces_above;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures", "tests/hostile", "stdlib"] {
        journey_files(&root.join(dir), &mut files);
    }
    let mut sources: Vec<(String, String)> = files
        .iter()
        .filter_map(|path| Some((path.display().to_string(), std::fs::read_to_string(path).ok()?)))
        .collect();
    sources.push(("big".into(), big_journey(600, false)));
    sources.push(("big, broken".into(), big_journey(600, true)));
    let mut split = 0;
    for (name, text) in &sources {
        let whole = parse_with_pieces_above(FileId(0), text, usize::MAX);
        let pieces = parse_with_pieces_above(FileId(0), text, 0);
        assert_eq!(whole.ast, pieces.ast, "{name}: trees differ");
        assert_eq!(whole.diagnostics, pieces.diagnostics, "{name}: diagnostics differ");
        split += usize::from(text.contains("journey"));
    }
    assert!(split > 20, "too few journeys compared: {split}");
    // The big ones really are cut (not parsed whole after a fallback), clean or broken.
    use journey_compiler::syntax::{pieces, scan};
    for broken in [false, true] {
        let text = big_journey(600, broken);
        let scanned = scan::scan(FileId(0), &text);
        let cut = scanned.chunks.iter().filter(|chunk| {
            let chunk_text = chunk.parse_text(&text);
            pieces::journey_in_pieces(FileId(0), chunk, &chunk_text, &scanned.unterminated, 0).is_some()
        });
        assert_eq!(cut.count(), 1, "broken: {broken}");
    }
    let big = parse_with_pieces_above(FileId(0), &big_journey(600, false), 0);
    assert_eq!(big.diagnostics, vec![]);
    assert!(file_to_sexp(&big.ast).matches("(stage s").count() == 600);
}

#[test]
fn a_broken_line_of_a_list_is_reported_alone_and_the_rows_around_it_are_kept() {
    let source = "message m on whatsapp as service {\n  text \"Pick\"\n  list \"Sizes\" {\n    row small \"Small\"\n    section \"Shirts\" {\n      row \"Large\" -> large\n      row \"Huge\" huge\n      reply \"XL\" -> xl\n    }\n    sektion \"X\" { row \"a\" -> a }\n    row \"Medium\" -> medium\n    header\n  }\n  reply \"Help\" -> help\n}\n";
    assert_eq!(
        diagnostics_of(source),
        vec![
            "4:9 J0101 expected a string in double quotes, found `small`",
            "7:18 J0101 expected a string in double quotes or `=>`, found `huge`",
            "8:7 J0101 expected `row`, found `reply`",
            "10:5 J0101 expected a part of a list (`row`, `section`, `header`, `footer`), found `sektion`",
            "12:11 J0101 expected a string in double quotes, found end of line",
        ]
    );
    let tree = file_to_sexp(&parse(FileId(0), source).ast);
    assert_eq!(
        tree,
        "(message m on=whatsapp as=service\n  (text \"Pick\")\n  (list \"Sizes\"\n    (section \"Shirts\"\n      (row \"Large\" -> large)\n    )\n    (row \"Medium\" -> medium)\n  )\n  (reply \"Help\" -> help)\n)\n"
    );
}

#[test]
fn a_row_written_with_its_outcome_first_says_how_a_row_is_written() {
    let source = "message m on whatsapp as service {\n  list \"Sizes\" {\n    row small \"Small\"\n  }\n}\n";
    let checked = check_file(FileId(0), source.as_bytes());
    let [diagnostic] = checked.diagnostics.as_slice() else { panic!("{:#?}", checked.diagnostics) };
    assert_eq!(diagnostic.code, Code::J0101);
    assert!(
        diagnostic.help.as_deref().unwrap_or("").contains("row \"Small\" \"Chest 86-91 cm\" -> small"),
        "{diagnostic:#?}"
    );
}

#[test]
fn a_row_with_the_wrong_arrow_is_reported_with_a_fix_and_kept() {
    let source = "message m on whatsapp as service {\n  list \"Sizes\" {\n    row \"Small\" => small\n  }\n}\n";
    let parsed = parse(FileId(0), source);
    let [diagnostic] = parsed.diagnostics.as_slice() else { panic!("{:#?}", parsed.diagnostics) };
    assert_eq!(diagnostic.code, Code::J0105);
    assert_eq!(diagnostic.suggestions[0].edits[0].replacement, "->");
    assert!(file_to_sexp(&parsed.ast).contains("(row \"Small\" -> small)"));
}
