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
use crate::discover::{describe_io_error, discover, is_excluded, retain_outside_manifest_excludes, Input};
use crate::exit::Exit;
use crate::files::escape_controls;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Files larger than this many lines (old and new together) get their diff as one hunk, from the
/// first line that changes to the last: a Myers diff costs time in the size times the number of
/// changes, which a large file changed all over makes quadratic. Deterministic, unlike a time
/// limit on the diff.
const MAX_DIFF_LINES: usize = 10_000;

/// Lines of context around each change.
const CONTEXT: usize = 3;

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
    retain_outside_manifest_excludes(&mut discovered.inputs);
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
        return diff.unified_diff().context_radius(CONTEXT).header(&old_header, &new_header).to_string();
    }
    // One hunk, from the first line that differs to the last, in linear time.
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let same_start = old_lines.iter().zip(&new_lines).take_while(|(a, b)| a == b).count();
    let same_end = old_lines
        .iter()
        .rev()
        .zip(new_lines.iter().rev())
        .take(old_lines.len().min(new_lines.len()) - same_start)
        .take_while(|(a, b)| a == b)
        .count();
    let from = same_start.saturating_sub(CONTEXT);
    let old_to = (old_lines.len() - same_end + CONTEXT).min(old_lines.len());
    let new_to = (new_lines.len() - same_end + CONTEXT).min(new_lines.len());
    let range = |from: usize, to: usize| match to - from {
        0 => format!("{from},0"),
        count => format!("{},{count}", from + 1),
    };
    let mut out = format!("--- {old_header}\n+++ {new_header}\n");
    out.push_str(&format!("@@ -{} +{} @@\n", range(from, old_to), range(from, new_to)));
    let context_before = old_lines.get(from..same_start).unwrap_or(&[]);
    let removed = old_lines.get(same_start..old_lines.len() - same_end).unwrap_or(&[]);
    let added = new_lines.get(same_start..new_lines.len() - same_end).unwrap_or(&[]);
    let context_after = old_lines.get(old_lines.len() - same_end..old_to).unwrap_or(&[]);
    for (sign, lines) in [(' ', context_before), ('-', removed), ('+', added), (' ', context_after)] {
        for line in lines {
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_gets_one_hunk_from_its_first_change_to_its_last() {
        let old: String = (0..6000).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 10\n", "line ten\n").replace("line 5990\n", "line 5990 changed\n");
        let diff = unified_diff("big.journey", &old, &new);
        let lines: Vec<&str> = diff.lines().collect();
        assert_eq!(lines[..4], ["--- big.journey", "+++ big.journey (formatted)", "@@ -8,5987 +8,5987 @@", " line 7"]);
        assert_eq!(lines.iter().filter(|line| line.starts_with('-') && !line.starts_with("---")).count(), 5981);
        assert_eq!(lines.last(), Some(&" line 5993"));
    }

    #[test]
    fn a_large_file_without_a_final_line_feed_says_so() {
        let old = "a\n".repeat(6000) + "b";
        let new = "a\n".repeat(6000) + "b\n";
        let diff = unified_diff("x.journey", &old, &new);
        assert!(diff.ends_with("@@ -5998,4 +5998,4 @@\n a\n a\n a\n-b\n\\ No newline at end of file\n+b\n"), "{diff}");
    }
}
