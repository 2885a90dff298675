//! Resource bounds: pathological inputs end in a diagnostic naming the limit, never in a stack
//! overflow, a hang or a wrapped value. Every case runs on a 2 MiB thread (the size of a tokio
//! worker or a language-server analysis thread), not on the 8 MiB main thread.

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::{check_file, Code, FileId};

/// Checks `source` on a 2 MiB thread and returns the codes reported, in order.
fn codes_on_small_stack(source: String) -> Vec<Code> {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let checked = check_file(FileId(0), source.as_bytes());
            for d in &checked.diagnostics {
                let span = d.primary.span;
                assert!(span.end() <= checked.text.len(), "span {span:?} outside the text");
                assert!(checked.text.is_char_boundary(span.start()) && checked.text.is_char_boundary(span.end()));
            }
            checked.diagnostics.iter().map(|d| d.code).collect()
        })
        .unwrap()
        .join()
        .unwrap()
}

/// Checks `source` as a whole project (names, types, flow analyses: every recursive pass) on an
/// 8 MiB thread, the stack of the CLI's main thread and of the language server's analysis
/// threads (`lsp/src/workers.rs`), and returns the codes reported. (On 2 MiB, a debug build of
/// the later passes overflows on an expression tree 255 levels deep.)
fn project_codes_on_analysis_stack(source: String) -> Vec<Code> {
    std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let path = journey_compiler::project::ProjectPath::new("main.journey").unwrap();
            let mut loader = journey_compiler::project::MemoryLoader::default();
            loader.insert(path.clone(), source.into_bytes());
            let report = journey_compiler::check_project(&[path], &loader);
            report.diagnostics.iter().map(|d| d.code).collect()
        })
        .unwrap()
        .join()
        .unwrap()
}

fn journey_with_steps(steps: &str) -> String {
    format!("journey deep {{\n  stage s {{\n{steps}\n  }}\n}}\n")
}

#[test]
fn braces_nested_a_hundred_thousand_deep_report_the_nesting_limit() {
    let source = journey_with_steps(&format!("{}{}", "if a {\n".repeat(100_000), "}\n".repeat(100_000)));
    assert_eq!(codes_on_small_stack(source), vec![Code::J0110]);
}

#[test]
fn nesting_at_the_limit_parses_and_one_more_level_is_refused() {
    // The journey and stage blocks take two levels.
    let at_limit = journey_with_steps(&format!("{}exit\n{}", "if a {\n".repeat(30), "}\n".repeat(30)));
    assert_eq!(codes_on_small_stack(at_limit), vec![]);
    let over = journey_with_steps(&format!("{}exit\n{}", "if a {\n".repeat(31), "}\n".repeat(31)));
    assert_eq!(codes_on_small_stack(over), vec![Code::J0110]);
}

#[test]
fn parentheses_nested_a_hundred_thousand_deep_report_the_nesting_limit() {
    let source = format!("segment s = {}a{}\n", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(codes_on_small_stack(source), vec![Code::J0110]);
}

#[test]
fn a_hundred_thousand_prefix_operators_are_refused_not_recursed() {
    let source = format!("segment s = {}a\n", "not ".repeat(100_000));
    let codes = codes_on_small_stack(source);
    assert!(codes == vec![Code::J0115], "{codes:?}");
}

#[test]
fn a_long_operator_chain_is_refused_before_it_builds_a_deep_tree() {
    let source = format!("segment s = a{}\n", " or a".repeat(100_000));
    assert_eq!(codes_on_small_stack(source), vec![Code::J0115]);
}

#[test]
fn a_call_counts_as_one_term_of_an_expression() {
    // 256 calls and 255 `or`: 256 terms, at the limit, however the grammar splits a call into
    // its name and its arguments.
    let calls = vec!["consent(sms, marketing)"; 256].join(" or ");
    let codes = codes_on_small_stack(format!("segment s = {calls}\n"));
    assert!(!codes.contains(&Code::J0115), "{codes:?}");
    let over = vec!["consent(sms, marketing)"; 257].join(" or ");
    assert_eq!(codes_on_small_stack(format!("segment s = {over}\n")), vec![Code::J0115]);
}

#[test]
fn an_expression_of_256_operands_is_accepted_and_257_are_refused_as_the_message_says() {
    // Binary operators are not terms: the limit is on operands (and prefix operators).
    let at_limit = vec!["a"; 256].join(" or ");
    assert_eq!(codes_on_small_stack(format!("segment a = {at_limit}\n")), vec![]);
    let over = vec!["a"; 257].join(" or ");
    assert_eq!(codes_on_small_stack(format!("segment a = {over}\n")), vec![Code::J0115]);
    // Prefix operators are terms: 255 `not` and one operand are at the limit.
    let prefixes = format!("segment a = {}a\n", "not ".repeat(255));
    assert_eq!(codes_on_small_stack(prefixes), vec![]);
    let over = format!("segment a = {}a\n", "not ".repeat(256));
    assert_eq!(codes_on_small_stack(over), vec![Code::J0115]);
    // The trees at the limit are as deep as they are long; every later pass walks them.
    let profile = "profile {\n  vip: bool\n}\n";
    let chain = vec!["vip"; 256].join(" or ");
    assert_eq!(project_codes_on_analysis_stack(format!("{profile}segment a = {chain}\n")), vec![]);
    let nots = format!("{profile}segment a = {}vip\n", "not ".repeat(255));
    assert_eq!(project_codes_on_analysis_stack(nots), vec![]);
    let alternating: String = (0..255).map(|i| if i % 2 == 0 { " and vip" } else { " or vip" }).collect();
    assert_eq!(project_codes_on_analysis_stack(format!("{profile}segment a = vip{alternating}\n")), vec![]);
}

#[test]
fn nested_set_types_are_refused_by_the_scanner_before_the_parser_recurses() {
    let source = format!("profile {{\n  x: {}text{}\n}}\n", "set<".repeat(50_000), ">".repeat(50_000));
    assert_eq!(codes_on_small_stack(source), vec![Code::J0110]);
}

/// The parser runs without pest's stack probe (see the workspace Cargo.toml): every kind of
/// nesting it recurses into must parse at its limit on a small stack.
#[test]
fn every_kind_of_nesting_at_its_limit_parses_on_a_small_stack() {
    // The segment item itself is not a block, so parentheses get all the levels.
    let parens = format!("segment s = {}a{}\n", "(".repeat(32), ")".repeat(32));
    assert_eq!(codes_on_small_stack(parens), vec![]);
    let lists = format!("segment s = a in {}1{}\n", "[".repeat(32), "]".repeat(32));
    let codes = codes_on_small_stack(lists);
    assert!(!codes.contains(&Code::J0110) && !codes.contains(&Code::J0115), "{codes:?}");
    let calls = format!("segment s = {}a{}\n", "f(".repeat(32), ")".repeat(32));
    let codes = codes_on_small_stack(calls);
    assert!(!codes.contains(&Code::J0110) && !codes.contains(&Code::J0115), "{codes:?}");
    let types = format!("profile {{\n  x: {}text{}\n}}\n", "set<".repeat(60), ">".repeat(60));
    assert_eq!(codes_on_small_stack(types), vec![]);
    let ifs = journey_with_steps(&format!("{}exit\n{}", "if a {\n".repeat(30), "}\n".repeat(30)));
    assert_eq!(codes_on_small_stack(ifs), vec![]);
}

#[test]
fn a_long_else_if_chain_is_a_flat_list_not_nesting() {
    let chain = format!("if a {{ exit }}{}", " else if a { exit }".repeat(20_000));
    assert_eq!(codes_on_small_stack(journey_with_steps(&chain)), vec![]);
}

#[test]
fn nested_set_types_past_the_tree_depth_are_refused() {
    let source = format!("profile {{\n  x: {}text{}\n}}\n", "set<".repeat(65), ">".repeat(65));
    assert_eq!(codes_on_small_stack(source), vec![Code::J0110]);
    let source = format!("profile {{\n  x: {}text{}\n}}\n", "set<".repeat(60), ">".repeat(60));
    assert_eq!(codes_on_small_stack(source), vec![]);
}

#[test]
fn deeply_nested_string_interpolation_is_bounded() {
    let source = format!(
        "message m on sms as service {{\n  text {}\n}}\n",
        "\"{x ?? ".repeat(10_000) + "\"y\"" + &"}\"".repeat(10_000)
    );
    assert_eq!(codes_on_small_stack(source), vec![Code::J0110]);
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_parsing() {
    let source = "// padding\n".repeat(1_000_000);
    assert_eq!(codes_on_small_stack(source), vec![Code::J0111]);
}

#[test]
fn a_one_mebibyte_line_is_a_single_clear_error() {
    let source = format!("segment s = \"{}\"\n", "x".repeat(1 << 20));
    assert_eq!(codes_on_small_stack(source), vec![Code::J0116]);
}

#[test]
fn an_unclosed_block_at_end_of_file_is_reported_once() {
    let source = "journey j {\n  stage a {\n    send m\n".to_owned();
    assert_eq!(codes_on_small_stack(source), vec![Code::J0102]);
}

/// Inputs that once got past the scanner's bounds (found by review after the stack probe went):
/// the parser must refuse them, not recurse into them.
#[test]
fn a_comment_marker_or_brace_inside_an_interpolation_does_not_hide_nesting_from_the_scanner() {
    let source = ["journey j {\n  stage s {\n    x \"{ { //", &"\"{".repeat(30_000), "\n  }\n}\n"].concat();
    let codes = codes_on_small_stack(source);
    assert!(codes.contains(&Code::J0110), "{codes:?}");
}

#[test]
fn a_unicode_escape_does_not_open_an_interpolation_the_parser_never_sees() {
    let source = ["segment s = \"\\u{{//}\" + ", &"(".repeat(30_000), "a\n"].concat();
    assert!(codes_on_small_stack(source).contains(&Code::J0110));
    let source = ["journey j {\n  stage s {\n    if \"\\u{{}\" == ", &"(".repeat(30_000), "a { if a {\n"].concat();
    assert!(codes_on_small_stack(source).contains(&Code::J0110));
}

#[test]
fn blanked_characters_between_set_and_its_angle_bracket_still_count_as_type_nesting() {
    for blank in ["\u{1}", "\u{202e}", "\u{85}"] {
        let source = ["profile {\n  a: ", &format!("set{blank}<").repeat(30_000), "x\n}\n"].concat();
        let codes = codes_on_small_stack(source);
        assert!(codes.contains(&Code::J0110), "{blank:?}: {codes:?}");
    }
}

/// The formatter parses the file, reads its tokens with a stack of its own, parses the result
/// again and prints both trees (`journey fmt` and the language server's formatting): every kind
/// of nesting at its limit and the longest expressions format, to a fixed point, on a small stack.
#[test]
fn the_formatter_takes_every_kind_of_nesting_at_its_limit_on_a_small_stack() {
    let cases = vec![
        format!("segment s = {}a{}\n", "( ".repeat(32), " )".repeat(32)),
        format!("segment s = a in {}1{}\n", "[ ".repeat(32), " ]".repeat(32)),
        format!("segment s = {}a{}\n", "f (".repeat(32), ")".repeat(32)),
        format!("profile {{\n  x: {}text{}\n}}\n", "set <".repeat(60), ">".repeat(60)),
        journey_with_steps(&format!("{}exit\n{}", "if a {\n".repeat(30), "}\n".repeat(30))),
        journey_with_steps(&format!("if a {{ exit }}{}", "\nelse if a { exit }".repeat(20_000))),
        format!("segment a = {}\n", vec!["a"; 256].join("  or ")),
        format!("segment a = {}a\n", "not  ".repeat(255)),
        format!("segment a = {}a\n", "- ".repeat(255)),
    ];
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            for source in cases {
                let formatted = journey_compiler::format::format(&source)
                    .unwrap_or_else(|refused| panic!("{}: {source:.200}", refused.describe(&source)));
                assert_ne!(formatted, source, "{source:.200}");
                assert_eq!(journey_compiler::format::format(&formatted).as_ref(), Ok(&formatted));
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
