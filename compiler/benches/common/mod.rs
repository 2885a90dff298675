//! What the benchmarks (and `examples/emit_time.rs`) share: a one-file project held in memory.

// Each benchmark uses a part of this module.
#![allow(dead_code)]

use journey_compiler::project::{MemoryLoader, ProjectPath};
use journey_compiler::{check_project, ProjectReport};

/// A project of one file held in memory; the standard library is built into the compiler.
pub struct OneFile {
    pub path: ProjectPath,
    pub loader: MemoryLoader,
    /// The file's size in bytes.
    pub len: usize,
}

impl OneFile {
    pub fn new(text: &str) -> OneFile {
        let path = ProjectPath::new("big.journey").expect("a valid project path");
        let mut loader = MemoryLoader::default();
        loader.insert(path.clone(), text);
        OneFile { path, loader, len: text.len() }
    }

    /// What `journey check` runs on the project.
    pub fn check(&self) -> ProjectReport {
        check_project(std::slice::from_ref(&self.path), &self.loader)
    }
}
