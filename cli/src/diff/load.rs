//! The two versions of a project a diff compares, each checked in full (`Tier::All`).
//!
//! A version is one project rooted at the directory given (imports may not leave it): every
//! `*.journey` file under it is an entry, found as `journey check` finds them; a file given
//! instead is the entry of a project rooted at its directory. From git, the same files of a
//! revision are read with `git` into memory (`git.rs`); nothing is written anywhere.

use std::collections::BTreeMap;
use std::path::Path;

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_compiler::{check_project_to, ProjectReport, Tier};
use journey_host::relative_project_path;

use super::{git, Labels};
use crate::discover::{discover, display_path};
use crate::project::DiskLoader;

/// One version, checked.
pub struct Version {
    pub report: ProjectReport,
    /// Files left out, each with why.
    pub warnings: Vec<String>,
}

/// `journey diff OLD NEW`: two paths.
pub fn from_paths(versions: &[String], cwd: &Path) -> Result<(Version, Version, Labels), String> {
    let [old, new] = versions else {
        return Err(format!(
            "`journey diff` takes two paths, OLD and NEW (or `--git BASE [HEAD] [PATH]`); {} given",
            versions.len()
        ));
    };
    let labels = Labels { old: old.clone(), new: new.clone() };
    Ok((from_disk(old, cwd)?, from_disk(new, cwd)?, labels))
}

/// `journey diff --git BASE [HEAD] [PATH]`: a revision against another, or against the work tree.
pub fn from_git(versions: &[String], cwd: &Path) -> Result<(Version, Version, Labels), String> {
    let repo = git::Repository::open(cwd)?;
    let (base, head, path) = match versions {
        [base] => (base, None, "."),
        [base, second] if repo.is_revision(second) => (base, Some(second), "."),
        [base, path] => (base, None, path.as_str()),
        [base, head, path] => (base, Some(head), path.as_str()),
        _ => {
            return Err(format!(
                "`journey diff --git` takes BASE, then optionally HEAD and PATH; {} given",
                versions.len()
            ))
        }
    };
    let old = from_revision(&repo, base, path)?;
    let (new, new_label) = match head {
        Some(head) => (from_revision(&repo, head, path)?, head.clone()),
        None => (from_disk(path, cwd)?, "the work tree".to_owned()),
    };
    Ok((old, new, Labels { old: base.clone(), new: new_label }))
}

/// A directory (every `*.journey` file under it) or one file, on disk.
fn from_disk(path: &str, cwd: &Path) -> Result<Version, String> {
    let given = cwd.join(path);
    let shown = display_path(Path::new(path));
    let canonical = given
        .canonicalize()
        .map_err(|e| format!("cannot read `{shown}`: {}", crate::discover::describe_io_error(&e)))?;
    let (root, single) = if canonical.is_dir() {
        (canonical.clone(), None)
    } else {
        (journey_host::parent_of(&canonical), Some(canonical.clone()))
    };
    let mut found = discover(&[given]);
    crate::discover::retain_outside_manifest_excludes(&mut found.inputs);
    if let Some(error) = found.errors.into_iter().next() {
        return Err(error);
    }
    let mut warnings = found.warnings;
    let mut entries = Vec::new();
    for input in &found.inputs {
        let file = input.path.canonicalize().ok();
        match file
            .as_deref()
            .filter(|f| single.is_none() || Some(*f) == single.as_deref())
            .and_then(|f| relative_project_path(&root, f))
        {
            Some(entry) => entries.push(entry),
            None => warnings.push(format!("skipped `{}`: it is not a file inside `{shown}`", input.display)),
        }
    }
    let loader = DiskLoader::new(root);
    Ok(Version { report: check(&entries, &loader, &shown)?, warnings })
}

/// The `*.journey` files under `path` in revision `revision`, in memory.
fn from_revision(repo: &git::Repository, revision: &str, path: &str) -> Result<Version, String> {
    let commit = repo.commit(revision)?;
    let (files, not_utf8) = repo.journey_files(&commit, path)?;
    let mut loader = RevisionLoader::default();
    let mut entries = Vec::new();
    let mut warnings: Vec<String> = not_utf8
        .iter()
        .filter(|name| name.ends_with(".journey"))
        .map(|name| format!("skipped `{name}` in {revision}: its name is not UTF-8"))
        .collect();
    for file in files {
        let Some(project_path) = ProjectPath::new(&file.project_path) else {
            warnings.push(format!("skipped `{}` in {revision}: its path cannot be a project path", file.repo_path));
            continue;
        };
        let contents = match usize::try_from(file.size).ok().filter(|size| *size <= MAX_SOURCE_BYTES) {
            Some(_) => Ok(repo.read(&commit, &file.repo_path)?),
            // Never read: the compiler reports it as too large (J0111), as for a file on disk.
            None => Err(file.size),
        };
        if file.entry {
            entries.push(project_path.clone());
        }
        loader.files.insert(project_path, contents);
    }
    // The revision's own `[project] exclude` leaves entries out, as `journey check` would there
    // (a manifest that is not valid is refused by `check` below).
    let manifest = ProjectPath::new(journey_compiler::manifest::FILE_NAME).and_then(|path| loader.files.get(&path));
    if let Some(Ok(bytes)) = manifest {
        let checked = journey_compiler::manifest::check_manifest(journey_compiler::FileId(0), bytes);
        let exclude = checked.manifest.map(|m| m.exclude).unwrap_or_default();
        entries.retain(|entry| !journey_host::excluded_by_manifest(entry, &exclude));
    }
    Ok(Version { report: check(&entries, &loader, revision)?, warnings })
}

/// A revision's files in memory; one over the size limit is known by its size only.
#[derive(Default)]
struct RevisionLoader {
    files: BTreeMap<ProjectPath, Result<Vec<u8>, u64>>,
}

impl SourceLoader for RevisionLoader {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        match self.files.get(path) {
            Some(Ok(bytes)) => Ok(bytes.clone()),
            Some(Err(size)) => Err(LoadError::TooLarge(*size)),
            None => Err(LoadError::NotFound),
        }
    }
}

/// The version checked in full; an invalid `journey.toml` is refused, as `journey check` fails
/// on it: a diff of reports made without the project's settings would prove nothing.
fn check(entries: &[ProjectPath], loader: &dyn SourceLoader, shown: &str) -> Result<ProjectReport, String> {
    let report = check_project_to(entries, loader, Tier::All);
    if let Some(problem) = report.manifest.as_ref().and_then(|m| m.diagnostics.first()) {
        return Err(format!(
            "`journey.toml` of {shown} is not valid ({}); `journey check` says where",
            problem.message
        ));
    }
    Ok(report)
}
