//! The disk side of projects, shared by the CLI and the language server.
//!
//! The compiler never touches the file system: it asks a `SourceLoader` for project files by
//! their `ProjectPath`. This crate holds what both front ends need to answer it from disk: where
//! a project's root is (the nearest directory with a `journey.toml`), how a file on disk maps to
//! a project path, and [`read_inside`], the one jailed read. It canonicalises first and refuses,
//! without opening it, any file whose real location is outside the root, so a symbolic link cannot
//! bring in a file from elsewhere; it also refuses anything that is not a regular file or is over
//! the size limit, reading at most the limit plus one byte.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};

/// The file that marks a project root.
pub const MANIFEST: &str = journey_compiler::manifest::FILE_NAME;

/// Reads the `journey.toml` of a project root (canonical) with the same jail and limits as a
/// project file: a manifest that links outside the root, is not a regular file or is too large
/// is refused. What it may hold is checked by `journey_compiler::manifest`.
pub fn read_manifest(root: &Path) -> Result<Vec<u8>, LoadError> {
    let path = ProjectPath::new(MANIFEST).ok_or(LoadError::NotFound)?;
    read_inside(root, &path)
}

/// The `[project] exclude` paths of the `journey.toml` at `root` (canonical): empty when there
/// is none, or when it is not valid (the checks report that as J0117 and fail). For the
/// commands that only list a project's files (`journey fmt`, the language server's project).
pub fn manifest_exclude(root: &Path) -> Vec<String> {
    read_manifest(root)
        .ok()
        .and_then(|bytes| journey_compiler::manifest::check_manifest(journey_compiler::FileId(0), &bytes).manifest)
        .map(|manifest| manifest.exclude)
        .unwrap_or_default()
}

/// Whether `journey.toml`'s `exclude` leaves out the project file at `path`: it is one of the
/// listed paths or under one, compared by whole components (`drafts` leaves out
/// `drafts/a.journey`, not `drafts_old/a.journey`).
pub fn excluded_by_manifest(path: &ProjectPath, exclude: &[String]) -> bool {
    let path = Path::new(path.as_str());
    exclude.iter().any(|skip| {
        let skip: PathBuf = Path::new(skip).components().filter(|c| *c != std::path::Component::CurDir).collect();
        !skip.as_os_str().is_empty() && path.starts_with(&skip)
    })
}

/// The nearest directory above `file` (a canonical path) holding a `journey.toml`.
pub fn manifest_root(file: &Path) -> Option<PathBuf> {
    file.ancestors().skip(1).find(|dir| dir.join(MANIFEST).is_file()).map(Path::to_path_buf)
}

/// The directory holding `path`, or `/` for a path without one.
pub fn parent_of(path: &Path) -> PathBuf {
    path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// `file` as a project path under `root` (both canonical); `None` outside it or not UTF-8.
pub fn relative_project_path(root: &Path, file: &Path) -> Option<ProjectPath> {
    let relative = file.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
    ProjectPath::new(&parts?.join("/"))
}

/// Reads `root/path` when its real location is inside `root` (canonical), it is a regular file,
/// and it is within the size limit. Nothing outside the root is ever opened.
pub fn read_inside(root: &Path, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
    let io = |error: std::io::Error| LoadError::Io(error.to_string());
    let real = match root.join(path.as_str()).canonicalize() {
        Ok(real) => real,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(LoadError::NotFound),
        Err(error) => return Err(io(error)),
    };
    // Decided on the canonical path, before anything is opened.
    if !real.starts_with(root) {
        return Err(LoadError::OutsideRoot);
    }
    let metadata = std::fs::metadata(&real).map_err(io)?;
    if !metadata.is_file() {
        return Err(LoadError::Io("not a regular file".to_owned()));
    }
    let limit = u64::try_from(MAX_SOURCE_BYTES).unwrap_or(u64::MAX);
    if metadata.len() > limit {
        return Err(LoadError::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::new();
    File::open(&real).map_err(io)?.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(LoadError::TooLarge(limit.saturating_add(1)));
    }
    Ok(bytes)
}

/// A `SourceLoader` over the disk, inside one canonical root.
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
        read_inside(&self.root, path)
    }
}

/// Most files [`project_files`] lists: a project is meant to be read by people, and the
/// language server checks it on every edit.
pub const MAX_PROJECT_FILES: usize = 2_000;

/// Most bytes the files [`project_files`] lists may hold together (each file is also bounded by
/// `MAX_SOURCE_BYTES`): what the language server reads and checks on an edit stays bounded.
pub const MAX_PROJECT_BYTES: u64 = 64 * 1024 * 1024;

/// The `*.journey` files under a project root (canonical), as project paths in byte order, at
/// most [`MAX_PROJECT_FILES`] holding at most [`MAX_PROJECT_BYTES`] together (the flag says
/// whether more were left out; the first in byte order are kept). Directories are read
/// with an explicit stack (depth cannot overflow ours); symbolic links to directories are not
/// followed (they could form cycles), and files whose real location is outside the root are left
/// out, as [`read_inside`] would refuse them.
pub fn project_files(root: &Path) -> (Vec<ProjectPath>, bool) {
    let mut found: Vec<(ProjectPath, u64)> = Vec::new();
    let mut truncated = false;
    let mut pending: Vec<PathBuf> = vec![root.to_path_buf()];
    // Directories read, bounded as well: a tree of empty directories must not keep us busy.
    let mut budget = MAX_PROJECT_FILES.saturating_mul(10);
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                truncated = true;
                break;
            }
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else { continue };
            if file_type.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "journey") {
                continue;
            }
            // Only a symbolic link can lead elsewhere: anything else was reached through real
            // directories from the canonical root, so it is where its path says. This runs on
            // every analysis of the language server, so the common case costs one `stat`.
            let (inside, metadata) = if file_type.is_symlink() {
                let Ok(real) = path.canonicalize() else { continue };
                let Ok(metadata) = std::fs::metadata(&real) else { continue };
                (real.starts_with(root), metadata)
            } else {
                let Ok(metadata) = entry.metadata() else { continue };
                (true, metadata)
            };
            if !inside || !metadata.is_file() {
                continue;
            }
            if let Some(project_path) = relative_project_path(root, &path) {
                found.push((project_path, metadata.len()));
            }
        }
    }
    found.sort_by(|a, b| a.0.as_str().as_bytes().cmp(b.0.as_str().as_bytes()));
    found.dedup_by(|later, kept| later.0 == kept.0);
    let mut kept = Vec::with_capacity(found.len().min(MAX_PROJECT_FILES));
    let mut bytes: u64 = 0;
    for (path, len) in found {
        bytes = bytes.saturating_add(len);
        if kept.len() == MAX_PROJECT_FILES || bytes > MAX_PROJECT_BYTES {
            truncated = true;
            break;
        }
        kept.push(path);
    }
    (kept, truncated)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_root_is_the_nearest_journey_toml_and_its_manifest_is_read_there() {
        let dir = std::env::temp_dir().join(format!("journey-host-manifest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("project/flows")).unwrap();
        std::fs::write(dir.join("project/journey.toml"), "[project]\nname = \"shop\"\n").unwrap();
        std::fs::write(dir.join("project/flows/a.journey"), "").unwrap();
        let dir = dir.canonicalize().unwrap();
        let root = manifest_root(&dir.join("project/flows/a.journey")).unwrap();
        assert_eq!(root, dir.join("project"));
        assert_eq!(read_manifest(&root).unwrap(), b"[project]\nname = \"shop\"\n");
        assert_eq!(read_manifest(&dir.join("project/flows")), Err(LoadError::NotFound));
        std::fs::remove_dir_all(&dir).unwrap();
    }
    #[test]
    fn project_files_lists_the_journey_files_under_the_root_in_byte_order_and_nothing_outside() {
        let dir = std::env::temp_dir().join(format!("journey-host-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("root/flows/deep")).unwrap();
        std::fs::create_dir_all(dir.join("outside")).unwrap();
        for file in ["root/b.journey", "root/a.journey", "root/flows/deep/c.journey", "root/notes.txt"] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        std::fs::write(dir.join("outside/secret.journey"), "").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("outside/secret.journey"), dir.join("root/link.journey")).unwrap();
        // A link to a file inside the root is listed, under the link's own path.
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("root/a.journey"), dir.join("root/flows/alias.journey")).unwrap();
        let root = dir.join("root").canonicalize().unwrap();
        let (files, truncated) = project_files(&root);
        let names: Vec<&str> = files.iter().map(ProjectPath::as_str).collect();
        #[cfg(unix)]
        assert_eq!(names, ["a.journey", "b.journey", "flows/alias.journey", "flows/deep/c.journey"]);
        #[cfg(not(unix))]
        assert_eq!(names, ["a.journey", "b.journey", "flows/deep/c.journey"]);
        assert!(!truncated);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    #[test]
    fn project_files_stops_at_its_file_and_byte_bounds_keeping_the_first_in_byte_order() {
        let dir = std::env::temp_dir().join(format!("journey-host-bounds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("many")).unwrap();
        for i in 0..MAX_PROJECT_FILES + 5 {
            std::fs::write(dir.join(format!("many/f{i:05}.journey")), "").unwrap();
        }
        let root = dir.join("many").canonicalize().unwrap();
        let (files, truncated) = project_files(&root);
        assert!(truncated);
        assert_eq!(files.len(), MAX_PROJECT_FILES);
        assert_eq!(files.first().map(ProjectPath::as_str), Some("f00000.journey"));
        assert_eq!(
            files.last().map(ProjectPath::as_str),
            Some(format!("f{:05}.journey", MAX_PROJECT_FILES - 1).as_str())
        );

        // Two sparse files of 40 MiB: the second would pass the byte bound.
        std::fs::create_dir_all(dir.join("big")).unwrap();
        for name in ["a.journey", "b.journey"] {
            std::fs::File::create(dir.join("big").join(name)).unwrap().set_len(40 * 1024 * 1024).unwrap();
        }
        let root = dir.join("big").canonicalize().unwrap();
        let (files, truncated) = project_files(&root);
        assert!(truncated);
        assert_eq!(files.iter().map(ProjectPath::as_str).collect::<Vec<_>>(), ["a.journey"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
