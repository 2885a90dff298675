//! From command-line files to compiler projects, and the disk side of imports.
//!
//! Files under a directory that holds a `journey.toml` form one project with one namespace,
//! rooted there (the nearest such directory above the file). A file with no `journey.toml` above
//! it is a project of its own: the file and what it imports, rooted at the directory given on
//! the command line (for a file argument, the file's own directory). The root is the jail for
//! imports.
//!
//! [`DiskLoader`] reads project files for the compiler. It canonicalises every path first and
//! refuses, without opening it, any file whose real location is outside the canonical root: a
//! symbolic link cannot smuggle in a file from elsewhere.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};

use crate::discover::{describe_io_error, Input};

/// The file that marks a project root.
pub const MANIFEST: &str = "journey.toml";

/// One project to check: its canonical root, how to show paths under it, and its entry files.
#[derive(Debug)]
pub struct ProjectInputs {
    pub root: PathBuf,
    /// How paths under the root are shown: the prefix to put before a project path.
    pub display_prefix: String,
    /// Entry files: their project path and how the user named them.
    pub entries: Vec<(ProjectPath, String)>,
}

/// Groups inputs by project root, keeping the order in which roots and files first appear.
pub fn group(inputs: &[Input], errors: &mut Vec<String>) -> Vec<ProjectInputs> {
    let mut projects: Vec<ProjectInputs> = Vec::new();
    let mut by_root: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for input in inputs {
        let canonical = match input.path.canonicalize() {
            Ok(path) => path,
            Err(error) => {
                errors.push(format!("cannot read `{}`: {}", input.display, describe_io_error(&error)));
                continue;
            }
        };
        let manifest = manifest_root(&canonical);
        let has_manifest = manifest.is_some();
        let root = manifest.unwrap_or_else(|| input.base.canonicalize().unwrap_or_else(|_| parent_of(&canonical)));
        // A file found by searching a directory that a symbolic link places outside that
        // directory, or outside its project, is not read: only the link's path was inside.
        let base = input.base.canonicalize().unwrap_or_else(|_| root.clone());
        if input.from_directory && !(canonical.starts_with(&root) && canonical.starts_with(&base)) {
            errors.push(format!("skipped `{}`: it links to a file outside the directory being checked", input.display));
            continue;
        }
        // A file named on the command line that a link places outside its root forms its own
        // project.
        let root = if canonical.starts_with(&root) { root } else { parent_of(&canonical) };
        let Some(relative) = relative_project_path(&root, &canonical) else {
            errors.push(format!("cannot check `{}`: its path is not valid UTF-8", input.display));
            continue;
        };
        let display_prefix = prefix_of(&input.display, relative.as_str());
        let index = if has_manifest {
            *by_root.entry(root.clone()).or_insert_with(|| {
                projects.push(ProjectInputs { root, display_prefix, entries: Vec::new() });
                projects.len() - 1
            })
        } else {
            projects.push(ProjectInputs { root, display_prefix, entries: Vec::new() });
            projects.len() - 1
        };
        if let Some(project) = projects.get_mut(index) {
            project.entries.push((relative, input.display.clone()));
        }
    }
    projects
}

fn parent_of(path: &Path) -> PathBuf {
    path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// The nearest directory above `file` (canonical) holding a `journey.toml`.
fn manifest_root(file: &Path) -> Option<PathBuf> {
    file.ancestors().skip(1).find(|dir| dir.join(MANIFEST).is_file()).map(Path::to_path_buf)
}

fn relative_project_path(root: &Path, file: &Path) -> Option<ProjectPath> {
    let relative = file.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
    ProjectPath::new(&parts?.join("/"))
}

/// `examples/a.journey` named as project path `a.journey` shows the root as `examples/`.
fn prefix_of(display: &str, relative: &str) -> String {
    display.strip_suffix(relative).unwrap_or("").to_owned()
}

/// Reads project files from disk, inside one canonical root.
pub struct DiskLoader {
    root: PathBuf,
}

impl DiskLoader {
    pub fn new(root: PathBuf) -> DiskLoader {
        DiskLoader { root }
    }
}

impl SourceLoader for DiskLoader {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        let candidate = self.root.join(path.as_str());
        let real = match candidate.canonicalize() {
            Ok(real) => real,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(LoadError::NotFound),
            Err(error) => return Err(LoadError::Io(describe_io_error(&error))),
        };
        // Decided on the canonical path, before anything is opened.
        if !real.starts_with(&self.root) {
            return Err(LoadError::OutsideRoot);
        }
        let metadata = std::fs::metadata(&real).map_err(|e| LoadError::Io(describe_io_error(&e)))?;
        if !metadata.is_file() {
            return Err(LoadError::Io("not a regular file".to_owned()));
        }
        let limit = u64::try_from(MAX_SOURCE_BYTES).unwrap_or(u64::MAX);
        if metadata.len() > limit {
            return Err(LoadError::TooLarge(metadata.len()));
        }
        let file = File::open(&real).map_err(|e| LoadError::Io(describe_io_error(&e)))?;
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| LoadError::Io(describe_io_error(&e)))?;
        if bytes.len() > MAX_SOURCE_BYTES {
            return Err(LoadError::TooLarge(limit.saturating_add(1)));
        }
        Ok(bytes)
    }
}
