//! The JSON flow bundle: one document per journey, emitted from the same flow graph the
//! analyses checked, with the compliance evidence for every send.
//!
//! Determinism: every map is written in sorted key order, node ids are stable, sources are
//! listed by path, paths are relative to the project root, and nothing depends on the clock
//! unless the caller passes `SOURCE_DATE_EPOCH`. Nesting: expressions flatten chains of one
//! associative operator (`a and b and c` is one node with three arguments); the writer reads
//! every bundle back with serde_json's default reader's rules before it is used, so what is
//! written always reads.
//!
//! The parts: [`project`] holds what every bundle of a project looks up (declarations by name,
//! line indexes, source hashes, policies); [`usage`] decides what one journey's bundle includes
//! (the messages its nodes send, the events and segments it names); [`document`] lays the bundle
//! out as typed views borrowing from the report, and [`expr`] the expressions and texts in it;
//! [`json`] writes the views straight to text as serde_json's pretty printer would, with no
//! intermediate tree. [`validate`] reads a bundle back.
//!
//! The format is versioned (`format_version`); `docs/bundle.md` gives its semantics and
//! `schema/bundle.schema.json` its JSON Schema.

mod document;
mod expr;
mod project;
mod usage;
mod validate;

pub use validate::validate;

use crate::ProjectReport;

pub const FORMAT: &str = "journey-bundle";
pub const FORMAT_VERSION: u32 = 2;

/// The node kinds of format version 1, as `kind` names them.
pub const NODE_KINDS: [&str; 13] = [
    "send",
    "ask",
    "wait",
    "wait_until",
    "wait_for",
    "branch",
    "split",
    "handoff",
    "consent_request",
    "consent_revoke",
    "set",
    "tag",
    "track",
];

/// What the caller may add: the `SOURCE_DATE_EPOCH` of a reproducible build.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub source_date_epoch: Option<u64>,
}

/// One bundle per journey of a project that checked without errors: `(journey, JSON text)`,
/// in journey-name order.
pub fn emit(report: &ProjectReport, options: Options) -> Vec<(String, String)> {
    let project = project::Project::new(report);
    let mut bundles: Vec<(String, String)> = report
        .flow
        .graphs
        .iter()
        .map(|graph| (graph.journey.clone(), document::write(&project, graph, options)))
        .collect();
    bundles.sort();
    bundles
}

/// Sorts `entries` by key and keeps, of equal keys, the last in their original order: what
/// inserting them one by one into a map does, without the map.
fn last_wins<K: Ord, V>(entries: &mut Vec<(K, V)>) {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // `dedup_by` keeps the first of a run and passes (later, kept): swapping keeps the later.
    entries.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
}

#[cfg(test)]
mod tests {
    use super::last_wins;

    #[test]
    fn last_wins_sorts_by_key_and_keeps_the_last_of_equal_keys() {
        let mut entries = vec![("b", 1), ("a", 2), ("b", 3), ("c", 4), ("b", 5), ("a", 6)];
        last_wins(&mut entries);
        assert_eq!(entries, [("a", 6), ("b", 5), ("c", 4)]);
    }
}
