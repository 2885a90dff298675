//! From command-line files to compiler projects, and the disk side of imports.
//!
//! Files under a directory that holds a `journey.toml` form one project with one namespace,
//! rooted there (the nearest such directory above the file). A file with no `journey.toml` above
//! it is a project of its own: the file and what it imports, rooted at the directory given on
//! the command line (for a file argument, the file's own directory). The root is the jail for
//! imports.
//!
//! [`DiskLoader`] (from `journey-host`, shared with the language server) reads project files for
//! the compiler, jailed to the canonical root.

use std::collections::BTreeMap;
use std::path::PathBuf;

use journey_compiler::project::ProjectPath;
pub use journey_host::DiskLoader;
use journey_host::{manifest_root, parent_of, relative_project_path};

use crate::discover::{describe_io_error, Input};

/// One project to check: its canonical root, how to show paths under it, and its entry files.
#[derive(Debug)]
pub struct ProjectInputs {
    pub root: PathBuf,
    /// How paths under the root are shown: the prefix to put before a project path.
    pub display_prefix: String,
    /// Entry files: their project path and how the user named them.
    pub entries: Vec<(ProjectPath, String)>,
    /// The root holds a `journey.toml` (to be checked); false for a file that is a project of
    /// its own.
    pub manifest: bool,
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
        // A `journey.toml` root is an ancestor of the canonical file, so it is still the root.
        let manifest = has_manifest;
        let index = if has_manifest {
            *by_root.entry(root.clone()).or_insert_with(|| {
                projects.push(ProjectInputs { root, display_prefix, entries: Vec::new(), manifest });
                projects.len() - 1
            })
        } else {
            projects.push(ProjectInputs { root, display_prefix, entries: Vec::new(), manifest });
            projects.len() - 1
        };
        if let Some(project) = projects.get_mut(index) {
            project.entries.push((relative, input.display.clone()));
        }
    }
    projects
}

/// `examples/a.journey` named as project path `a.journey` shows the root as `examples/`.
fn prefix_of(display: &str, relative: &str) -> String {
    display.strip_suffix(relative).unwrap_or("").to_owned()
}
