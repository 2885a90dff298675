//! Raw bytes through the formatter (`journey fmt`, `compiler/src/format`).
//!
//! What must hold for every input that decodes as text:
//! - nothing panics, overflows the stack or runs away (libFuzzer reports crashes and timeouts);
//! - the formatter refuses only a file with a syntax error or over the size limit: a refusal
//!   because its own result did not read back as the same file (`NotFormatted::Unsafe`) is a
//!   formatter bug, caught there before it could change a file, and a finding here;
//! - a formatted text parses to the same tree (the S-expression of `ast::sexp`, which leaves spans
//!   out) with the same diagnostics (codes and messages), and formatting it again changes nothing.
//!
//! Input format: one file (`fuzz/run.sh` seeds the corpus as for `parse_check`).

#![no_main]

use journey_compiler::ast::sexp::file_to_sexp;
use journey_compiler::format::{format, NotFormatted};
use journey_compiler::{decode_source, parse, FileId};
use libfuzzer_sys::fuzz_target;

/// The codes and messages of a parse, in order, and its tree without spans.
fn parsed(text: &str) -> (Vec<(String, String)>, String) {
    let parsed = parse(FileId(0), text);
    let diagnostics = parsed.diagnostics.iter().map(|d| (d.code.as_str().to_owned(), d.message.clone())).collect();
    (diagnostics, file_to_sexp(&parsed.ast))
}

fuzz_target!(|data: &[u8]| {
    let decoded = decode_source(FileId(0), data);
    if !decoded.usable {
        return;
    }
    let text = decoded.text;
    let formatted = match format(&text) {
        Ok(formatted) => formatted,
        Err(NotFormatted::Unsafe { why }) => panic!("the formatter refused its own result: {why}"),
        Err(NotFormatted::Syntax { .. } | NotFormatted::TooLarge { .. }) => return,
    };
    assert_eq!(parsed(&text), parsed(&formatted), "formatting changed the tree or the diagnostics:\n{formatted}");
    assert_eq!(format(&formatted).as_ref(), Ok(&formatted), "a second pass changed the result");
});
