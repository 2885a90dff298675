//! `journey fmt`: rewrites files in the canonical layout (`journey_compiler::format`), or with
//! `--check` prints a unified diff for every file that is not formatted.
//!
//! Files are found as `journey check` finds them (`discover`, `--exclude`). Each is read within
//! the size limit and decoded as the compiler decodes sources; a file that does not parse, is
//! not UTF-8 or is too large is left as it is, with a message naming it and saying why. A
//! byte-order mark is kept. Writes are atomic (`atomic::replace`).
//!
//! Exit codes, as for `journey check` and as `rustfmt` has them: 0 when every file is formatted
//! (or was formatted now), 1 when `--check` found a file that is not formatted or a file was
//! left as it is because it does not parse, 2 for usage and I/O errors (a path that cannot be
//! read, a file that cannot be written).

use std::fs;
use std::io::{self, Read, Write};

use journey_compiler::format::format;
use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::{decode_source, FileId};

use crate::args::FmtArgs;
use crate::atomic;
use crate::discover::{describe_io_error, discover, is_excluded, Input};
use crate::exit::Exit;
use crate::files::escape_controls;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Files larger than this many lines (old and new together) get their diff as one hunk: a Myers
/// diff costs time in the product of the size and the number of changes, and a file that large
/// changed all over is not read line by line anyway. Deterministic, unlike a time limit.
const MAX_DIFF_LINES: usize = 20_000;

/// What became of one file.
enum Formatted {
    /// Already in the canonical layout.
    Unchanged,
    /// Not formatted: rewritten, or with `--check`, its diff printed.
    Changed,
    /// Left as it is because it does not parse (or is not UTF-8, or is too large): why.
    Refused(String),
    /// Could not be read or written: why.
    Failed(String),
}

#[derive(Debug, Default)]
struct Tally {
    files: usize,
    changed: usize,
    refused: usize,
    failed: usize,
}

pub fn run(args: &FmtArgs) -> Exit {
    let mut discovered = discover(&args.paths);
    discovered.inputs.retain(|input| !is_excluded(&input.path, &args.exclude));
    let mut stderr = io::stderr();
    for warning in &discovered.warnings {
        let _ = writeln!(stderr, "warning: {}", escape_controls(warning));
    }
    for error in &discovered.errors {
        let _ = writeln!(stderr, "error: {}", escape_controls(error));
    }
    let mut tally = Tally { failed: discovered.errors.len(), ..Tally::default() };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for input in &discovered.inputs {
        tally.files += 1;
        let name = escape_controls(&input.display);
        match format_file(input, args.check, &mut out) {
            Formatted::Unchanged => {}
            Formatted::Changed => tally.changed += 1,
            Formatted::Refused(why) => {
                tally.refused += 1;
                let _ = writeln!(stderr, "error: left `{name}` as it is: {}", escape_controls(&why));
            }
            Formatted::Failed(why) => {
                tally.failed += 1;
                let _ = writeln!(stderr, "error: {}", escape_controls(&why));
            }
        }
    }
    if let Err(error) = out.flush() {
        if error.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(stderr, "error: cannot write output: {error}");
            tally.failed += 1;
        }
    }
    let _ = writeln!(stderr, "{}", summary(&tally, args.check));
    if tally.failed > 0 {
        Exit::Usage
    } else if tally.refused > 0 || (args.check && tally.changed > 0) {
        Exit::Problems
    } else {
        Exit::Ok
    }
}

fn format_file(input: &Input, check: bool, out: &mut impl Write) -> Formatted {
    let cannot_read = |error: io::Error| format!("cannot read `{}`: {}", input.display, describe_io_error(&error));
    // Refused by its size alone, as `journey check` refuses it (with the real size in the message).
    match fs::metadata(&input.path) {
        Ok(meta) if meta.len() > u64::try_from(MAX_SOURCE_BYTES).unwrap_or(u64::MAX) => {
            return Formatted::Refused(journey_compiler::source::too_large(FileId(0), meta.len()).message);
        }
        Ok(_) => {}
        Err(error) => return Formatted::Failed(cannot_read(error)),
    }
    let bytes = match read_limited(input) {
        Ok(bytes) => bytes,
        Err(error) => return Formatted::Failed(cannot_read(error)),
    };
    let decoded = decode_source(FileId(0), &bytes);
    if !decoded.usable {
        let why =
            decoded.diagnostics.first().map_or_else(|| "it cannot be read as text".to_owned(), |d| d.message.clone());
        return Formatted::Refused(why);
    }
    let formatted = match format(&decoded.text) {
        Ok(formatted) => formatted,
        Err(refused) => return Formatted::Refused(refused.describe(&decoded.text)),
    };
    let bom: &[u8] = if bytes.starts_with(UTF8_BOM) { UTF8_BOM } else { b"" };
    let new_bytes = [bom, formatted.as_bytes()].concat();
    if new_bytes == bytes {
        return Formatted::Unchanged;
    }
    if check {
        // Written even when the pipe is closed: the exit code still says what was found.
        let _ = out.write_all(unified_diff(&input.display, &decoded.text, &formatted).as_bytes());
        return Formatted::Changed;
    }
    match atomic::replace(&input.path, &new_bytes) {
        Ok(()) => Formatted::Changed,
        Err(error) => Formatted::Failed(format!("cannot write `{}`: {}", input.display, describe_io_error(&error))),
    }
}

/// The file's bytes, at most one more than the size limit (enough for the decoder to refuse it,
/// should the file have grown since its size was read).
fn read_limited(input: &Input) -> io::Result<Vec<u8>> {
    let limit = u64::try_from(MAX_SOURCE_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    fs::File::open(&input.path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A unified diff from `old` to `new`, three lines of context, headed by the file's name.
fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let name = escape_controls(name);
    let (old_header, new_header) = (name.clone(), format!("{name} (formatted)"));
    if old.lines().count() + new.lines().count() <= MAX_DIFF_LINES {
        let diff = similar::TextDiff::from_lines(old, new);
        return diff.unified_diff().context_radius(3).header(&old_header, &new_header).to_string();
    }
    // One hunk: every old line removed, every new line added.
    let mut out = format!("--- {old_header}\n+++ {new_header}\n");
    let range = |text: &str| match text.lines().count() {
        0 => "0,0".to_owned(),
        count => format!("1,{count}"),
    };
    out.push_str(&format!("@@ -{} +{} @@\n", range(old), range(new)));
    for (sign, text) in [('-', old), ('+', new)] {
        for line in text.lines() {
            out.push(sign);
            out.push_str(line);
            out.push('\n');
        }
        if !text.is_empty() && !text.ends_with('\n') {
            out.push_str("\\ No newline at end of file\n");
        }
    }
    out
}

fn summary(tally: &Tally, check: bool) -> String {
    let files = |n: usize| if n == 1 { "1 file".to_owned() } else { format!("{n} files") };
    let mut line = match (check, tally.changed) {
        (true, 0) => format!("{} formatted", files(tally.files - tally.refused)),
        (true, 1) => format!("1 of {} is not formatted (`journey fmt` formats it)", files(tally.files)),
        (true, changed) => {
            format!("{changed} of {} are not formatted (`journey fmt` formats them)", files(tally.files))
        }
        (false, changed) => format!("formatted {changed} of {}", files(tally.files)),
    };
    if tally.refused > 0 {
        let verb = if tally.refused == 1 { "is" } else { "are" };
        line.push_str(&format!(
            "; {} {verb} left as {}",
            files(tally.refused),
            if tally.refused == 1 { "it is" } else { "they are" }
        ));
    }
    line
}
