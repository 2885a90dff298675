//! `journey check --fix`: applies the suggestions marked safe ([`Applicability::Safe`]), then
//! checks again and reports what is left, as `ruff check --fix` does.
//!
//! Per round, each file's safe suggestions are taken in the order of the diagnostics; one whose
//! edits overlap an edit already taken (or insert at the same place) waits for the next round,
//! where it is suggested afresh against the new text if it still applies. A file is written
//! only when the disk still holds the text that was checked (byte-order mark aside), in one
//! atomic replacement (`atomic.rs`), so a crash leaves it as it was. Standard-library modules are
//! never edited. At most [`MAX_ROUNDS`] rounds: a fix that keeps producing fixes cannot loop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use journey_compiler::{Applicability, FileId, TextEdit};

use crate::atomic;
use crate::check::{check_paths, Outcome};
use crate::discover::describe_io_error;

/// Rounds of fixing and checking again, at most.
pub const MAX_ROUNDS: usize = 8;

/// The UTF-8 byte-order mark, which the checked text does not hold and a fixed file keeps.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What `--fix` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fixed {
    /// Suggestions applied.
    pub fixes: usize,
    /// Files written, as shown.
    pub files: Vec<String>,
    /// Files that could not be fixed, and why.
    pub errors: Vec<String>,
}

/// Fixes what is safe under `paths`, then returns the last check's outcome and what was fixed.
pub fn fix_paths(paths: &[PathBuf], exclude: &[PathBuf]) -> (Outcome, Fixed) {
    let mut fixed = Fixed::default();
    let mut outcome = check_paths(paths, exclude);
    for _ in 0..MAX_ROUNDS {
        let plan = plan(&outcome);
        if plan.is_empty() {
            break;
        }
        let mut wrote = false;
        for (file, (count, edits)) in plan {
            let Some(source) = outcome.table.get(file) else { continue };
            match apply(Path::new(&source.name), &source.text, edits) {
                Ok(()) => {
                    wrote = true;
                    fixed.fixes += count;
                    if !fixed.files.contains(&source.name) {
                        fixed.files.push(source.name.clone());
                    }
                }
                Err(why) => fixed.errors.push(format!("cannot fix `{}`: {why}", source.name)),
            }
        }
        if !wrote {
            break;
        }
        outcome = check_paths(paths, exclude);
    }
    fixed.files.sort();
    fixed.errors.sort();
    fixed.errors.dedup();
    (outcome, fixed)
}

/// Per file, the number of safe suggestions taken and their edits, none overlapping another
/// (`journey_compiler::fix::safe_fixes`, the rule the language server's "fix all" follows too).
/// Standard-library modules are never edited.
fn plan(outcome: &Outcome) -> BTreeMap<FileId, (usize, Vec<TextEdit>)> {
    let files: std::collections::BTreeSet<FileId> = outcome
        .diagnostics
        .iter()
        .flat_map(|d| &d.suggestions)
        .filter(|s| s.applicability == Applicability::Safe)
        .filter_map(|s| s.edits.first().map(|edit| edit.file))
        .filter(|file| outcome.table.get(*file).is_some_and(|source| !source.standard))
        .collect();
    files
        .into_iter()
        .map(|file| (file, journey_compiler::fix::safe_fixes(&outcome.diagnostics, file)))
        .filter(|(_, (count, _))| *count > 0)
        .collect()
}

/// Writes `checked` with `edits` applied to `path`, if the disk still holds `checked`.
fn apply(path: &Path, checked: &str, mut edits: Vec<TextEdit>) -> Result<(), String> {
    let on_disk = std::fs::read(path).map_err(|error| describe_io_error(&error))?;
    let (bom, body) = match on_disk.strip_prefix(BOM) {
        Some(body) => (BOM, body),
        None => (&b""[..], on_disk.as_slice()),
    };
    if body != checked.as_bytes() {
        return Err("it changed since it was checked".to_owned());
    }
    // From the end, so earlier offsets stay valid.
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.span.start()));
    let mut text = checked.to_owned();
    for edit in &edits {
        let (start, end) = (edit.span.start(), edit.span.end());
        if start > end || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return Err("a suggested edit does not fit the text".to_owned());
        }
        text.replace_range(start..end, &edit.replacement);
    }
    let mut bytes = bom.to_vec();
    bytes.extend_from_slice(text.as_bytes());
    atomic::replace(path, &bytes).map_err(|error| describe_io_error(&error))
}
