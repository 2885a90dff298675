//! The formatter (`journey fmt`): every file of the repository that parses is a fixed point after
//! one pass; formatting keeps the tree and every comment, whatever the layout it starts from (a
//! property test over perturbed layouts of the repository's files); files with syntax errors are
//! refused; snapshots show source and result together.

// clippy.toml allows these inside `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use journey_compiler::ast::sexp::file_to_sexp;
use journey_compiler::format::{format, NotFormatted};
use journey_compiler::{decode_source, parse, FileId};
use journey_test_support::{journey_files_under, project_root, split_fixture};
use proptest::prelude::*;

/// Every `.journey` file of the repository, multi-file fixtures split into their files, that
/// decodes as text: (name, text).
fn repository_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests", "lsp/editor-tests", "tools"] {
        for (name, bytes) in journey_files_under(&project_root(dir)) {
            for (part, bytes) in split_fixture(&bytes) {
                let decoded = decode_source(FileId(0), &bytes);
                if decoded.usable {
                    files.push((format!("{dir}/{name} ({part})"), decoded.text));
                }
            }
        }
    }
    assert!(files.len() > 400, "only {} files found", files.len());
    files
}

/// The files that parse without errors, which the formatter must accept.
fn formattable_files() -> Vec<(String, String)> {
    repository_files().into_iter().filter(|(_, text)| format(text).is_ok()).collect()
}

/// The tree of a text that parses without errors, spans left out.
fn tree(text: &str) -> String {
    let parsed = parse(FileId(0), text);
    assert!(parsed.diagnostics.iter().all(|d| d.severity != journey_compiler::Severity::Error), "{text}");
    file_to_sexp(&parsed.ast)
}

/// Every comment of a text, without trailing blanks, sorted: read by a lexer of its own (strings
/// with escapes and interpolations, which may hold strings), not by the formatter's.
fn comments(text: &str) -> Vec<String> {
    #[derive(PartialEq)]
    enum In {
        String,
        Interpolation,
    }
    let mut found = Vec::new();
    let mut stack: Vec<In> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|(_, c)| *c);
        i += 1;
        if c == '\n' || c == '\r' {
            // Strings end with their line.
            stack.clear();
            continue;
        }
        match stack.last() {
            Some(In::String) => match c {
                '\\' if next == Some('u') && chars.get(i + 1).map(|(_, c)| *c) == Some('{') => {
                    while i < chars.len() && !matches!(chars[i].1, '}' | '\n' | '\r') {
                        i += 1;
                    }
                }
                '\\' if next.is_some_and(|next| next != '\n' && next != '\r') => i += 1,
                '"' => {
                    stack.pop();
                }
                '{' => stack.push(In::Interpolation),
                _ => {}
            },
            _ => match c {
                '"' => stack.push(In::String),
                '}' if stack.last() == Some(&In::Interpolation) => {
                    stack.pop();
                }
                '/' if next == Some('/') && stack.is_empty() => {
                    let end = text[at..].find(['\n', '\r']).map_or(text.len(), |len| at + len);
                    found.push(text[at..end].trim_end_matches([' ', '\t']).to_owned());
                    while i < chars.len() && chars[i].0 < end {
                        i += 1;
                    }
                }
                _ => {}
            },
        }
    }
    found.sort();
    found
}

/// Formats `text`, which must parse, and checks what every formatting must keep: the tree, the
/// comments, and a fixed point after one pass.
fn formatted_keeping_everything(name: &str, text: &str) -> String {
    let once = format(text).unwrap_or_else(|refused| panic!("{name}: {}", refused.describe(text)));
    assert_eq!(format(&once).as_ref(), Ok(&once), "{name}: a second pass changed the result:\n{once}");
    assert_eq!(tree(text), tree(&once), "{name}: the tree changed:\n{once}");
    assert_eq!(comments(text), comments(&once), "{name}: the comments changed:\n{once}");
    once
}

#[test]
fn every_file_of_the_repository_that_parses_is_a_fixed_point_after_one_pass() {
    let mut formatted = 0;
    let mut refused = 0;
    for (name, text) in repository_files() {
        match format(&text) {
            Ok(_) => {
                formatted_keeping_everything(&name, &text);
                formatted += 1;
            }
            Err(NotFormatted::Syntax { .. }) => refused += 1,
            Err(other) => panic!("{name}: {}", other.describe(&text)),
        }
    }
    // The examples, the standard library, the conformance suite, the fixed diagnostic fixtures
    // and the valid hostile cases parse; the broken fixtures and hostile cases do not.
    assert!(formatted > 250, "only {formatted} files formatted");
    assert!(refused > 100, "only {refused} files refused");
}

#[test]
fn a_file_with_syntax_errors_is_refused_with_the_first_error_and_its_position() {
    let text = "journey j {\n  stage s {\n    sned welcome\n    wait\n  }\n}\n";
    let refused = format(text).unwrap_err();
    assert!(matches!(refused, NotFormatted::Syntax { errors: 2, .. }), "{refused:?}");
    insta::assert_snapshot!(refused.describe(text), @"it has 2 syntax errors (the first at line 3, column 5: expected a step (`send`, `ask`, `wait`, `if`, `goto`, ...), found `sned`)");
}

#[test]
fn a_text_over_the_size_limit_is_refused_by_its_size() {
    let text = "// padding\n".repeat(journey_compiler::limits::MAX_SOURCE_BYTES / 10);
    let refused = format(&text).unwrap_err();
    assert_eq!(refused, NotFormatted::TooLarge { bytes: text.len(), formatted: false });
    assert_eq!(refused.describe(&text), format!("it is {} bytes, more than the 8388608 a file may have", text.len()));
}

#[test]
fn a_formatted_file_comes_back_unchanged() {
    let text = "segment vip = lifetime_value >= 500 USD\n";
    assert_eq!(format(text).as_deref(), Ok(text));
    assert_eq!(format("").as_deref(), Ok(""));
    assert_eq!(format("\n\n  \n").as_deref(), Ok(""));
}

// ---------------------------------------------------------------------------------------------
// Snapshots: source and result together.

fn snapshot(source: &str) -> String {
    let formatted = formatted_keeping_everything("snapshot", source);
    format!("{source}\n-------- formatted --------\n{formatted}")
}

#[test]
fn every_construct_is_laid_out_canonically() {
    let source = std::fs::read_to_string(project_root("tests/fixtures/parse/every_construct.journey")).unwrap();
    insta::assert_snapshot!(snapshot(&source));
}

#[test]
fn messy_whitespace_becomes_the_canonical_layout() {
    insta::assert_snapshot!(snapshot(
        "import   \"std/channels\"\n\n\n\nprofile{\n\tfirst_name :text ?\n     interests : set < text >\n  plan:enum{free,pro}\n}\nsegment   vip=lifetime_value>=500   USD and  not( plan in[ pro ,free ] )\nsegment  spender =  - orders < -1\n\n\n\npolicy {\n    quiet_hours   21:00 .. 08:00 recipient\n      business_hours mon .. fri 09:00..18:00 ,sat 10:00..14:00 \"Europe/Berlin\"\n}\njourney   j{\n entry on chat_started where campaign==\"spring\"\n\n\n stage s{ send a\n   wait 1d ; send b; ; \n   if consent ( sms , marketing ){ send c }\n   else { exit }\n   ask a timeout 1d { yes => goto s no => exit\n   timeout=>exit }\n   split { 50% => { wait 1d; send a; } 50% => send b }\n }\n}\n"
    ));
}

#[test]
fn comments_stay_where_they_were_written() {
    insta::assert_snapshot!(snapshot(
        "// A file comment.\n\n// Before the profile.\nprofile { // after the brace\n  first_name: text? // optional\n  // between fields\n  phone: phone?   // with blanks after   \n  timezone: timezone\n} // after the item\n\njourney j { // the journey\n  stage s {\n    if x { send a } // after a block\n    // before else\n    else { // after else\n      exit // last\n      // at the end of a block\n    }\n    if y { send a }\n\n    else { exit }\n  }\n  // before the closing brace\n}\n// at the end of the file\n"
    ));
}

#[test]
fn entries_and_trailing_comments_line_up_in_runs() {
    insta::assert_snapshot!(snapshot(
        "event cart_abandoned { cart_url: url }\nevent order_placed { order_id: text }\nevent opted_out\nevent chat_started inbound messenger { campaign: text }\n\nsegment vip = x >= 1\nsegment big_spender = y >= 2\n\npolicy {\n  quiet_hours 21:00..08:00 recipient // TCPA-QH\n  jurisdiction \"US\" // the table\n  // a comment line does not interrupt the run\n  frequency marketing at most 2 per 7d // per contact\n\n  frequency sms marketing at most 4 per 30d // a new run after an empty line\n}\n\njourney j {\n  stage s {\n    ask m timeout 1d {\n      shipping => send a\n      other => {\n        send b\n      }\n      timeout => exit\n    }\n  }\n}\n\nmessage m on whatsapp as utility {\n  template \"t\" lang \"en\" {\n    order = event.order_id\n    total_amount = event.total\n  }\n}\n"
    ));
}

// ---------------------------------------------------------------------------------------------
// Property tests: perturbed layouts of the repository's files.

/// A small deterministic generator, so a failing case is reproducible from its seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % sides.max(1)
    }

    fn blanks(&mut self, at_least: u64) -> String {
        let count = at_least + self.roll(3);
        (0..count).map(|_| if self.roll(4) == 0 { '\t' } else { ' ' }).collect()
    }
}

/// What the perturbation may add.
#[derive(Debug, Clone, Copy)]
struct Changes {
    /// Empty lines and comment lines between lines, and comments at the end of lines.
    lines_and_comments: bool,
}

/// `text` with another layout: other indentation, other runs of blanks between tokens, blanks
/// inside brackets and before commas, and (with `lines_and_comments`) empty lines, comment lines
/// and trailing comments. Strings and comments are left as they are.
fn perturbed(text: &str, seed: u64, changes: Changes) -> String {
    let mut dice = Dice(seed);
    let mut out = String::new();
    let mut note = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let code = body.trim_start_matches([' ', '\t']);
        if changes.lines_and_comments && dice.roll(6) == 0 {
            if dice.roll(2) == 0 {
                out.push('\n');
            } else {
                note += 1;
                out.push_str(&format!("{}// note {note}\n", dice.blanks(0)));
            }
        }
        out.push_str(&dice.blanks(0));
        let mut chars = code.chars().peekable();
        let mut comment_ended_line = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    out.push(c);
                    // Strings (with interpolations, which may hold strings) are copied whole:
                    // count quotes and braces until the string closes.
                    let mut depth = 0usize;
                    while let Some(c) = chars.next() {
                        out.push(c);
                        match c {
                            '\\' => {
                                if let Some(next) = chars.next() {
                                    out.push(next);
                                }
                            }
                            '{' => depth += 1,
                            '}' => depth = depth.saturating_sub(1),
                            '"' if depth == 0 => break,
                            _ => {}
                        }
                    }
                }
                '/' if chars.peek() == Some(&'/') => {
                    out.push(c);
                    out.extend(chars.by_ref());
                    comment_ended_line = true;
                }
                ' ' | '\t' => {
                    while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                        chars.next();
                    }
                    out.push_str(&dice.blanks(1));
                }
                '(' | '[' => {
                    out.push(c);
                    if dice.roll(3) == 0 {
                        out.push_str(&dice.blanks(1));
                    }
                }
                ')' | ']' | ',' => {
                    if dice.roll(3) == 0 && !out.ends_with(['(', '[']) {
                        out.push_str(&dice.blanks(1));
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        if changes.lines_and_comments && !comment_ended_line && dice.roll(5) == 0 {
            note += 1;
            out.push_str(&format!("{}// trailing {note}", dice.blanks(0)));
        }
        out.push_str(ending);
    }
    out
}

/// The files the property tests perturb: the examples, the standard library and the parse
/// fixture (every construct), which together hold every construct and many comments.
fn seeds() -> &'static [(String, String)] {
    static SEEDS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        formattable_files()
            .into_iter()
            .filter(|(name, _)| {
                name.starts_with("examples/") || name.starts_with("stdlib/") || name.contains("/parse/")
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn formatting_does_not_depend_on_blanks_between_tokens(file in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let (name, text) = file.get(seeds());
        let changed = perturbed(text, seed, Changes { lines_and_comments: false });
        let from_changed = formatted_keeping_everything(name, &changed);
        prop_assert_eq!(from_changed, format(text).unwrap(), "{} with seed {}:\n{}", name, seed, changed);
    }

    #[test]
    fn formatting_keeps_the_tree_and_every_comment(file in any::<prop::sample::Index>(), seed in any::<u64>()) {
        let (name, text) = file.get(seeds());
        let changed = perturbed(text, seed, Changes { lines_and_comments: true });
        formatted_keeping_everything(&format!("{name} with seed {seed}"), &changed);
    }
}
