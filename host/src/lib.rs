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
}
