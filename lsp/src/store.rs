//! The open documents: one text per URI, the highest version wins.
//!
//! The server asks for full-text sync, so every change carries the whole document and the only
//! thing that matters is which change is the newest. tower-lsp-server runs notification handlers
//! concurrently, so changes may be applied out of order; keeping the
//! text of the highest version and ignoring older ones makes the order irrelevant.
//!
//! The store also tracks the analyses. A document's *inputs* change when its text changes or
//! when another open document of its project changes (it may import it); every such change gets
//! a stamp from one counter, and an analysis remembers the stamp of the inputs it read, so a
//! result computed from superseded inputs is never taken for the current one. Analysis runs in
//! two tiers (see `backend`): at most one first-tier job and one second-tier job per document
//! are under way at any time.

use std::collections::HashMap;
use std::sync::Arc;

use journey_compiler::project::ProjectPath;
use journey_compiler::FileId;
use tower_lsp_server::ls_types::Uri;

use crate::engine::{Analysis, LINKED_BASE};
use crate::project::Place;

/// Most documents open at once; more are refused with a message.
pub const MAX_OPEN_DOCUMENTS: usize = 1_000;

#[derive(Debug)]
pub struct Document {
    pub file: FileId,
    pub version: i32,
    pub text: Arc<str>,
    /// The document's project and its path in it.
    pub place: Arc<Place>,
    /// The stamp of the last change to what an analysis of this document reads.
    inputs: u64,
    /// The newest finished analysis and the stamp of the inputs it read.
    analysis: Option<(u64, Arc<Analysis>)>,
    /// Inputs whose first-tier or second-tier analysis panicked, so they are not retried in a
    /// loop.
    failed_quick: Option<u64>,
    failed_complete: Option<u64>,
    /// A first-tier (respectively second-tier) job for this document is queued or running.
    analysing: bool,
    completing: bool,
}

impl Document {
    /// The newest finished analysis, of the current inputs or older ones: what a request may use
    /// for a document other than its own without waiting for a check (see `backend::Snapshot`).
    pub fn latest_analysis(&self) -> Option<&Arc<Analysis>> {
        self.analysis.as_ref().map(|(_, analysis)| analysis)
    }

    /// The analysis of the current inputs, if one is done (first or second tier).
    pub fn current_analysis(&self) -> Option<&Arc<Analysis>> {
        match &self.analysis {
            Some((inputs, analysis)) if *inputs == self.inputs => Some(analysis),
            _ => None,
        }
    }
}

/// What happened to a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Applied,
    /// The document already has this version or a newer one; the change was ignored.
    Stale {
        current: i32,
    },
    /// The document is not open.
    NotOpen,
}

/// What the store holds, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub documents: usize,
    /// Distinct text buffers held (a document's text and its current analysis share one).
    pub texts: usize,
    pub text_bytes: usize,
    pub analyses: usize,
}

#[derive(Debug, Default)]
pub struct Store {
    documents: HashMap<Uri, Document>,
    next_file: u32,
    /// The stamp counter for inputs.
    stamp: u64,
}

/// A document's text to analyse, with the other open documents of its project (whose unsaved
/// text the compiler sees instead of the disk).
#[derive(Debug, Clone)]
pub struct Job {
    pub file: FileId,
    pub version: i32,
    /// The stamp of the inputs this job reads.
    pub inputs: u64,
    pub text: Arc<str>,
    pub place: Arc<Place>,
    pub open: Vec<(ProjectPath, Arc<str>)>,
}

impl Store {
    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    /// Opens (or re-opens) a document. Refused when too many are open.
    pub fn open(&mut self, uri: Uri, version: i32, text: String, place: Place) -> bool {
        let inputs = self.next_stamp();
        if let Some(document) = self.documents.get_mut(&uri) {
            // A second didOpen without didClose: the client's text is the truth.
            document.version = version;
            document.text = Arc::from(text);
            document.place = Arc::new(place);
            document.inputs = inputs;
            document.analysis = None;
            return true;
        }
        if self.documents.len() >= MAX_OPEN_DOCUMENTS {
            return false;
        }
        let file = FileId(self.next_file);
        // Ids of open documents stay below the ids of linked project files.
        self.next_file = (self.next_file + 1) % LINKED_BASE;
        self.documents.insert(
            uri,
            Document {
                file,
                version,
                text: Arc::from(text),
                place: Arc::new(place),
                inputs,
                analysis: None,
                failed_quick: None,
                failed_complete: None,
                analysing: false,
                completing: false,
            },
        );
        true
    }

    /// Replaces the text if `version` is newer than the document's.
    pub fn change(&mut self, uri: &Uri, version: i32, text: String) -> Change {
        let stamp = self.stamp + 1;
        let Some(document) = self.documents.get_mut(uri) else { return Change::NotOpen };
        if version <= document.version {
            return Change::Stale { current: document.version };
        }
        document.version = version;
        document.text = Arc::from(text);
        document.inputs = stamp;
        self.stamp = stamp;
        Change::Applied
    }

    /// Marks the other open documents of `uri`'s project as having new inputs (they may import
    /// it) and returns them.
    pub fn invalidate_project_of(&mut self, uri: &Uri) -> Vec<Uri> {
        let Some(root) = self.documents.get(uri).and_then(|document| document.place.root.clone()) else {
            return Vec::new();
        };
        let stamp = self.next_stamp();
        let mut affected = Vec::new();
        for (other, document) in &mut self.documents {
            if other != uri && document.place.root.as_ref() == Some(&root) {
                document.inputs = stamp;
                affected.push(other.clone());
            }
        }
        affected
    }

    /// Marks the inputs of every document whose project holds `file` (a file on disk that
    /// changed) as changed; returns those documents.
    pub fn invalidate_holding(&mut self, file: &std::path::Path) -> Vec<Uri> {
        let stamp = self.next_stamp();
        let mut affected = Vec::new();
        for (uri, document) in &mut self.documents {
            if document.place.holds(file) {
                document.inputs = stamp;
                affected.push(uri.clone());
            }
        }
        affected
    }

    pub fn close(&mut self, uri: &Uri) -> bool {
        self.documents.remove(uri).is_some()
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.documents.get(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Uri, &Document)> {
        self.documents.iter()
    }

    /// Marks the document as having a first-tier job. False when one is already under way (it
    /// will pick up the newest text when it finishes its current one) or the document is closed.
    pub fn claim_analysis(&mut self, uri: &Uri) -> bool {
        match self.documents.get_mut(uri) {
            Some(document) if !document.analysing => {
                document.analysing = true;
                true
            }
            _ => false,
        }
    }

    /// What the first-tier job should check next, or `None` (and the job ends) when the current
    /// inputs are analysed, failed, or the document was closed.
    pub fn next_job(&mut self, uri: &Uri) -> Option<Job> {
        let document = self.documents.get(uri)?;
        let done = document.current_analysis().is_some() || document.failed_quick == Some(document.inputs);
        if done {
            if let Some(document) = self.documents.get_mut(uri) {
                document.analysing = false;
            }
            return None;
        }
        self.job(uri)
    }

    /// Marks the document as having a second-tier job; false when one is under way.
    pub fn claim_completion(&mut self, uri: &Uri) -> bool {
        match self.documents.get_mut(uri) {
            Some(document) if !document.completing => {
                document.completing = true;
                true
            }
            _ => false,
        }
    }

    /// What the second-tier job should check next: the current inputs, once their first tier is
    /// done and if their second tier is not. `None` ends the job.
    pub fn next_completion(&mut self, uri: &Uri) -> Option<Job> {
        let document = self.documents.get(uri)?;
        let wanted = document.current_analysis().is_some_and(|analysis| !analysis.complete)
            && document.failed_complete != Some(document.inputs);
        if !wanted {
            if let Some(document) = self.documents.get_mut(uri) {
                document.completing = false;
            }
            return None;
        }
        self.job(uri)
    }

    /// The analysis input of a document as it is now.
    pub fn job(&self, uri: &Uri) -> Option<Job> {
        let document = self.documents.get(uri)?;
        let open = match &document.place.root {
            Some(root) => self
                .documents
                .iter()
                .filter(|(other, sibling)| *other != uri && sibling.place.root.as_ref() == Some(root))
                .map(|(_, sibling)| (sibling.place.path.clone(), Arc::clone(&sibling.text)))
                .collect(),
            None => Vec::new(),
        };
        Some(Job {
            file: document.file,
            version: document.version,
            inputs: document.inputs,
            text: Arc::clone(&document.text),
            place: Arc::clone(&document.place),
            open,
        })
    }

    /// Stores an analysis of the inputs stamped `inputs` unless a newer one is held (a complete
    /// analysis beats a first-tier one of the same inputs). True when it is of the current
    /// inputs, so its diagnostics should be published; false when it is already superseded.
    pub fn finish(&mut self, uri: &Uri, inputs: u64, analysis: Arc<Analysis>) -> bool {
        let Some(document) = self.documents.get_mut(uri) else { return false };
        let newer = match &document.analysis {
            None => true,
            Some((held, held_analysis)) => inputs > *held || (inputs == *held && !held_analysis.complete),
        };
        if newer && inputs <= document.inputs {
            document.analysis = Some((inputs, analysis));
        }
        inputs == document.inputs
    }

    /// Remembers that analysing these inputs panicked (first tier, or second when `complete`).
    pub fn fail(&mut self, uri: &Uri, inputs: u64, complete: bool) {
        if let Some(document) = self.documents.get_mut(uri) {
            if complete {
                document.failed_complete = Some(inputs);
            } else {
                document.failed_quick = Some(inputs);
            }
        }
    }

    /// Ends the jobs of a document whose thread panicked outside the analysis itself.
    pub fn release(&mut self, uri: &Uri) {
        if let Some(document) = self.documents.get_mut(uri) {
            document.analysing = false;
            document.completing = false;
        }
    }

    pub fn stats(&self) -> Stats {
        let mut stats = Stats { documents: self.documents.len(), texts: 0, text_bytes: 0, analyses: 0 };
        for document in self.documents.values() {
            stats.texts += 1;
            stats.text_bytes += document.text.len();
            if let Some((_, analysis)) = &document.analysis {
                stats.analyses += 1;
                if !Arc::ptr_eq(&analysis.text, &document.text) {
                    stats.texts += 1;
                    stats.text_bytes += analysis.text.len();
                }
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use journey_compiler::project::ProjectPath;

    fn place() -> Place {
        Place { root: None, path: ProjectPath::new("doc.journey").unwrap(), manifest: false }
    }

    fn analysis(job: &Job) -> Arc<Analysis> {
        Arc::new(Analysis::new(job.file, job.version, &job.text))
    }

    #[test]
    fn a_newer_version_drops_the_older_result_and_skips_the_versions_in_between() {
        let uri: Uri = "file:///doc.journey".parse().unwrap();
        let mut store = Store::default();
        assert!(store.open(uri.clone(), 1, "a".to_owned(), place()));
        assert!(store.claim_analysis(&uri));
        let running = store.next_job(&uri).unwrap();
        assert_eq!(running.version, 1);
        // Two edits while version 1 is being checked.
        assert_eq!(store.change(&uri, 2, "ab".to_owned()), Change::Applied);
        assert_eq!(store.change(&uri, 3, "abc".to_owned()), Change::Applied);
        // No second job while one is under way: it picks up the newest text next.
        assert!(!store.claim_analysis(&uri));
        // The result for version 1 is not published (superseded).
        assert!(!store.finish(&uri, running.inputs, analysis(&running)));
        // The job's next check is version 3; version 2 is never checked.
        let next = store.next_job(&uri).unwrap();
        assert_eq!(next.version, 3);
        assert!(store.finish(&uri, next.inputs, analysis(&next)));
        assert!(store.next_job(&uri).is_none());
        assert!(store.claim_analysis(&uri), "the job ended, a new one may start");
    }

    #[test]
    fn closing_drops_the_text_and_the_analysis_and_a_late_result_is_not_kept() {
        let uri: Uri = "file:///doc.journey".parse().unwrap();
        let mut store = Store::default();
        store.open(uri.clone(), 1, "text".to_owned(), place());
        store.claim_analysis(&uri);
        let job = store.next_job(&uri).unwrap();
        assert!(store.finish(&uri, job.inputs, analysis(&job)));
        assert!(store.close(&uri));
        assert!(!store.finish(&uri, job.inputs, analysis(&job)));
        assert_eq!(store.stats(), Stats { documents: 0, texts: 0, text_bytes: 0, analyses: 0 });
    }
}
