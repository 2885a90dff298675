//! The open documents: one text per URI, the highest version wins.
//!
//! The server asks for full-text sync, so every change carries the whole document and the only
//! thing that matters is which change is the newest. tower-lsp-server runs notification handlers
//! concurrently (code-style-anchors.md §8.2), so changes may be applied out of order; keeping the
//! text of the highest version and ignoring older ones makes the order irrelevant. The store
//! also remembers the latest analysis of each document and whether one is being computed, so at
//! most one analysis per document is under way and results for superseded versions are dropped.

use std::collections::HashMap;
use std::sync::Arc;

use journey_compiler::project::ProjectPath;
use journey_compiler::FileId;
use tower_lsp_server::ls_types::Uri;

use crate::engine::{Analysis, LINKED_BASE};
use crate::project::Place;

/// Most documents open at once (reliability.md §5.7); more are refused with a message.
pub const MAX_OPEN_DOCUMENTS: usize = 1_000;

#[derive(Debug)]
pub struct Document {
    pub file: FileId,
    pub version: i32,
    pub text: Arc<str>,
    /// The document's project and its path in it.
    pub place: Arc<Place>,
    /// Another document of the same project changed since the last analysis, so this one's
    /// diagnostics may be out of date although its own text is not.
    stale_inputs: bool,
    /// The newest finished analysis; its version may be older than `version`.
    pub analysis: Option<Arc<Analysis>>,
    /// The version whose analysis panicked, so it is not retried in a loop.
    failed_version: Option<i32>,
    /// An analysis job for this document is queued or running.
    analysing: bool,
}

impl Document {
    /// The analysis of the current text, if it is done.
    pub fn current_analysis(&self) -> Option<&Arc<Analysis>> {
        self.analysis.as_ref().filter(|analysis| analysis.version == self.version && !self.stale_inputs)
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
}

/// A document's text to analyse, with the other open documents of its project (whose unsaved
/// text the compiler sees instead of the disk).
#[derive(Debug, Clone)]
pub struct Job {
    pub file: FileId,
    pub version: i32,
    pub text: Arc<str>,
    pub place: Arc<Place>,
    pub open: Vec<(ProjectPath, Arc<str>)>,
}

impl Store {
    /// Opens (or re-opens) a document. Refused when too many are open.
    pub fn open(&mut self, uri: Uri, version: i32, text: String, place: Place) -> bool {
        if let Some(document) = self.documents.get_mut(&uri) {
            // A second didOpen without didClose: the client's text is the truth.
            document.version = version;
            document.text = Arc::from(text);
            document.place = Arc::new(place);
            document.analysis = None;
            document.failed_version = None;
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
                stale_inputs: false,
                analysis: None,
                failed_version: None,
                analysing: false,
            },
        );
        true
    }

    /// The other open documents of `uri`'s project (those whose analysis may read its text),
    /// marked as needing a new analysis.
    pub fn invalidate_project_of(&mut self, uri: &Uri) -> Vec<Uri> {
        let Some(root) = self.documents.get(uri).and_then(|document| document.place.root.clone()) else {
            return Vec::new();
        };
        let mut affected = Vec::new();
        for (other, document) in &mut self.documents {
            if other != uri && document.place.root.as_ref() == Some(&root) {
                document.stale_inputs = true;
                affected.push(other.clone());
            }
        }
        affected
    }

    /// Replaces the text if `version` is newer than the document's.
    pub fn change(&mut self, uri: &Uri, version: i32, text: String) -> Change {
        let Some(document) = self.documents.get_mut(uri) else { return Change::NotOpen };
        if version <= document.version {
            return Change::Stale { current: document.version };
        }
        document.version = version;
        document.text = Arc::from(text);
        Change::Applied
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

    /// Marks the document as being analysed. False when a job is already under way (it will
    /// pick up the newest text when it finishes its current one) or the document is closed.
    pub fn claim_analysis(&mut self, uri: &Uri) -> bool {
        match self.documents.get_mut(uri) {
            Some(document) if !document.analysing => {
                document.analysing = true;
                true
            }
            _ => false,
        }
    }

    /// The text an analysis job should check next, or `None` (and the job ends) when the
    /// current version is analysed, failed, or the document was closed.
    pub fn next_job(&mut self, uri: &Uri) -> Option<Job> {
        let document = self.documents.get(uri)?;
        let done = document.current_analysis().is_some()
            || (document.failed_version == Some(document.version) && !document.stale_inputs);
        if done {
            if let Some(document) = self.documents.get_mut(uri) {
                document.analysing = false;
            }
            return None;
        }
        let job = self.job(uri);
        if let Some(document) = self.documents.get_mut(uri) {
            document.stale_inputs = false;
        }
        job
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
            text: Arc::clone(&document.text),
            place: Arc::clone(&document.place),
            open,
        })
    }

    /// Stores an analysis if it is newer than the one held. True when it is for the current
    /// version (so its diagnostics should be published); false when it is already superseded.
    pub fn finish(&mut self, uri: &Uri, analysis: Arc<Analysis>) -> bool {
        let Some(document) = self.documents.get_mut(uri) else { return false };
        // The same version again is newer too: it was re-analysed because another file changed.
        let newer = document.analysis.as_ref().is_none_or(|held| held.version <= analysis.version);
        let current = analysis.version == document.version;
        if newer && analysis.version <= document.version {
            document.analysis = Some(analysis);
        }
        current
    }

    /// Remembers that analysing `version` panicked.
    pub fn fail(&mut self, uri: &Uri, version: i32) {
        if let Some(document) = self.documents.get_mut(uri) {
            document.failed_version = Some(version);
        }
    }

    /// Stops an analysis job that could not finish (its thread panicked outside the analysis).
    pub fn release(&mut self, uri: &Uri) {
        if let Some(document) = self.documents.get_mut(uri) {
            document.analysing = false;
        }
    }

    pub fn stats(&self) -> Stats {
        let mut stats = Stats { documents: self.documents.len(), texts: 0, text_bytes: 0, analyses: 0 };
        for document in self.documents.values() {
            stats.texts += 1;
            stats.text_bytes += document.text.len();
            if let Some(analysis) = &document.analysis {
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
