//! Documents as parts of projects: where a document's project is rooted, and a loader that
//! serves the compiler open buffers first, then files on disk.
//!
//! The rules are the CLI's (`cli/src/project.rs`): every `*.journey` file under the nearest
//! directory above the file holding a `journey.toml` is one project with one namespace; a file
//! with no `journey.toml` above it is a project of its own (it and what it imports), rooted at
//! its directory. The root is the jail for imports, decided on canonical paths before anything
//! is opened (`journey_host::read_inside`), so a symbolic link cannot bring in a file from
//! elsewhere. A document that is not a file (`untitled:`) is a project of its own with no disk at
//! all.

use std::path::PathBuf;
use std::sync::Arc;

use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_host::{
    excluded_by_manifest, manifest_exclude, manifest_root, parent_of, project_files, read_inside, relative_project_path,
};
use tower_lsp_server::ls_types::Uri;

/// Where a document sits: its project's root (none for documents that are not files) and its
/// path under the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub root: Option<PathBuf>,
    pub path: ProjectPath,
    /// The root holds a `journey.toml`: every `*.journey` file under it is part of the project.
    pub manifest: bool,
}

impl Place {
    /// Works the place out from a URI; touches the disk (canonical paths, `journey.toml`).
    pub fn of(uri: &Uri) -> Place {
        let is_file = uri.scheme().as_str().eq_ignore_ascii_case("file");
        let file = if is_file { uri.to_file_path().map(|path| path.into_owned()) } else { None };
        if let Some(file) = file {
            let canonical = file.canonicalize().unwrap_or(file);
            let manifest = manifest_root(&canonical);
            let has_manifest = manifest.is_some();
            let root = manifest.unwrap_or_else(|| parent_of(&canonical));
            if let Some(path) = relative_project_path(&root, &canonical) {
                return Place { root: Some(root), path, manifest: has_manifest };
            }
        }
        // Not a file (or a path that is not UTF-8): a project of its own, named after the URI's
        // last segment so diagnostics and imports read naturally.
        let name = uri.as_str().rsplit(['/', ':']).next().filter(|name| !name.is_empty()).unwrap_or("untitled");
        let name = if name.ends_with(".journey") { name.to_owned() } else { format!("{name}.journey") };
        let path = ProjectPath::new(&sanitize(&name))
            .or_else(|| ProjectPath::new("untitled.journey"))
            .unwrap_or_else(untitled);
        Place { root: None, path, manifest: false }
    }

    /// The entries to check the document's project with: every `*.journey` file under a
    /// `journey.toml` root (read from disk now, so files added or removed there count), with the
    /// document itself first; just the document otherwise.
    pub fn entries(&self) -> Vec<ProjectPath> {
        let mut entries = vec![self.path.clone()];
        if let (true, Some(root)) = (self.manifest, &self.root) {
            let (files, _) = project_files(root);
            // `[project] exclude` leaves files out as `journey check` does; the document itself
            // is checked whatever it says, as `journey check -` checks what it is given.
            let exclude = manifest_exclude(root);
            entries
                .extend(files.into_iter().filter(|path| *path != self.path && !excluded_by_manifest(path, &exclude)));
        }
        entries
    }

    /// Whether a file on disk belongs to this document's project (a change to it may change the
    /// document's diagnostics).
    pub fn holds(&self, file: &std::path::Path) -> bool {
        self.root.as_ref().is_some_and(|root| file.starts_with(root))
    }

    /// The URI of another file of the same project.
    pub fn uri_of(&self, path: &ProjectPath) -> Option<Uri> {
        Uri::from_file_path(self.root.as_ref()?.join(path.as_str()))
    }
}

#[allow(clippy::expect_used)] // a constant, valid path
fn untitled() -> ProjectPath {
    ProjectPath::new("untitled.journey").expect("a plain relative name is a project path")
}

/// Keeps a URI segment usable as a file name: letters, digits, `.`, `_`, `-`.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect()
}

/// Serves the compiler a project's files: the document being checked, then the other open
/// documents of the same project (unsaved text wins over disk), then the disk inside the root.
pub struct Loader<'a> {
    pub place: &'a Place,
    pub text: &'a str,
    pub open: &'a [(ProjectPath, Arc<str>)],
}

impl SourceLoader for Loader<'_> {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        if *path == self.place.path {
            return Ok(self.text.as_bytes().to_vec());
        }
        if let Some((_, text)) = self.open.iter().find(|(open, _)| open == path) {
            return Ok(text.as_bytes().to_vec());
        }
        match &self.place.root {
            Some(root) => read_inside(root, path),
            None => Err(LoadError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("journey-lsp-project-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.canonicalize().unwrap()
    }

    #[test]
    fn the_root_is_the_nearest_journey_toml_else_the_files_directory() {
        let dir = scratch("root");
        std::fs::create_dir_all(dir.join("project/flows")).unwrap();
        std::fs::write(dir.join("project/journey.toml"), "").unwrap();
        std::fs::write(dir.join("project/flows/a.journey"), "").unwrap();
        std::fs::write(dir.join("loose.journey"), "").unwrap();

        let place = Place::of(&Uri::from_file_path(dir.join("project/flows/a.journey")).unwrap());
        assert_eq!(place.root.as_deref(), Some(dir.join("project").as_path()));
        assert_eq!(place.path.as_str(), "flows/a.journey");

        let place = Place::of(&Uri::from_file_path(dir.join("loose.journey")).unwrap());
        assert_eq!(place.root.as_deref(), Some(dir.as_path()));
        assert_eq!(place.path.as_str(), "loose.journey");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_projects_entries_leave_out_what_journey_toml_excludes_but_never_the_document() {
        let dir = scratch("exclude");
        std::fs::create_dir_all(dir.join("drafts")).unwrap();
        std::fs::write(dir.join("journey.toml"), "[project]\nexclude = [\"drafts\"]\n").unwrap();
        for file in ["a.journey", "drafts/b.journey", "drafts/c.journey"] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        let names = |place: &Place| place.entries().iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>();
        let place = Place::of(&Uri::from_file_path(dir.join("a.journey")).unwrap());
        assert_eq!(names(&place), ["a.journey"]);
        let place = Place::of(&Uri::from_file_path(dir.join("drafts/b.journey")).unwrap());
        assert_eq!(names(&place), ["drafts/b.journey", "a.journey"]);
        std::fs::write(dir.join("journey.toml"), "").unwrap();
        assert_eq!(names(&place), ["drafts/b.journey", "a.journey", "drafts/c.journey"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_document_that_is_not_a_file_is_a_project_without_disk() {
        let place = Place::of(&"untitled:Untitled-1".parse().unwrap());
        assert_eq!(place.root, None);
        assert_eq!(place.path.as_str(), "Untitled-1.journey");
        let loader = Loader { place: &place, text: "x", open: &[] };
        assert_eq!(loader.load(&place.path), Ok(b"x".to_vec()));
        assert_eq!(loader.load(&ProjectPath::new("other.journey").unwrap()), Err(LoadError::NotFound));
    }

    #[test]
    fn open_buffers_win_over_disk_and_links_out_of_the_root_are_refused() {
        let dir = scratch("loader");
        std::fs::create_dir_all(dir.join("root")).unwrap();
        std::fs::write(dir.join("root/a.journey"), "on disk").unwrap();
        std::fs::write(dir.join("secret.journey"), "outside").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("secret.journey"), dir.join("root/link.journey")).unwrap();

        let place =
            Place { root: Some(dir.join("root")), path: ProjectPath::new("main.journey").unwrap(), manifest: false };
        let a = ProjectPath::new("a.journey").unwrap();
        let disk = Loader { place: &place, text: "", open: &[] };
        assert_eq!(disk.load(&a), Ok(b"on disk".to_vec()));
        let open = [(a.clone(), Arc::from("unsaved"))];
        let overlay = Loader { place: &place, text: "", open: &open };
        assert_eq!(overlay.load(&a), Ok(b"unsaved".to_vec()));
        #[cfg(unix)]
        assert_eq!(disk.load(&ProjectPath::new("link.journey").unwrap()), Err(LoadError::OutsideRoot));
        assert_eq!(disk.load(&ProjectPath::new("missing.journey").unwrap()), Err(LoadError::NotFound));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
