//! What the tests of the workspace share, as Nickel's `utils/` and rust-analyzer's `test-utils`:
//!
//! - a multi-file fixture format: files separated by `%% PATH` lines ([`split_fixture`]), the
//!   fuzz target's input format, and an in-memory project from it ([`project_from_fixture`]) or
//!   from named texts ([`memory_project`]);
//! - projects of the repository read from disk ([`DirLoader`], [`disk_project`],
//!   [`journey_files_under`]);
//! - where things are: [`repository_root`], [`project_root`].
//!
//! Only tests, examples and the fuzz target use this crate (as a dev-dependency): a failed setup
//! panics, as a failed test does.
//!
//! The compiler's own unit tests (`#[cfg(test)]` modules inside `journey-compiler`) see a second
//! copy of the compiler's types here, not `crate::...`; they use the functions without compiler
//! types ([`split_fixture`], [`journey_files_under`], [`repository_root`]).

// A panic here is a failed test setup, not a crash a user can trigger.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use journey_compiler::project::{LoadError, MemoryLoader, ProjectPath, SourceLoader};

/// At most this many files in a fixture: the rest of the input after the last allowed separator
/// stays in the last file. The fuzz target's bound (more files add nothing the fuzzer could not
/// find with fewer), kept so its corpus means the same everywhere.
pub const MAX_FIXTURE_FILES: usize = 8;

/// The name of the text before the first `%%` line.
pub const FIRST_FILE: &str = "main.journey";

/// Splits a multi-file fixture into named files, in order.
///
/// Text before the first separator is `main.journey`; each `\n%% PATH\n` line names the next
/// file (`%% lib/common.journey`), or `fN.journey` (N its position) when the name is not a valid
/// project path or is taken already. The separator's line ends are not part of either file.
/// Works on bytes, so a fixture may hold invalid UTF-8.
///
/// ```text
/// import "lib/common.journey"
/// ...
/// %% lib/common.journey
/// event signed_up {}
/// ```
pub fn split_fixture(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    const MARK: &[u8] = b"\n%% ";
    let mut files = Vec::new();
    let mut name = FIRST_FILE.to_owned();
    let mut rest = data;
    loop {
        let cut = rest.windows(MARK.len()).position(|w| w == MARK);
        let (body, after) = match cut {
            Some(at) if files.len() + 1 < MAX_FIXTURE_FILES => (&rest[..at], Some(&rest[at + MARK.len()..])),
            _ => (rest, None),
        };
        files.push((name.clone(), body.to_vec()));
        let Some(after) = after else { break };
        let end = after.iter().position(|b| *b == b'\n').unwrap_or(after.len());
        let wanted = std::str::from_utf8(&after[..end]).ok().and_then(ProjectPath::new);
        name = match wanted {
            Some(path) if !files.iter().any(|(n, _)| n == path.as_str()) => path.as_str().to_owned(),
            _ => format!("f{}.journey", files.len()),
        };
        rest = after.get(end + 1..).unwrap_or(&[]);
    }
    files
}

/// An in-memory project of every file of a multi-file fixture ([`split_fixture`]), each an
/// entry, in fixture order.
pub fn project_from_fixture(fixture: impl AsRef<[u8]>) -> (MemoryLoader, Vec<ProjectPath>) {
    memory_project(split_fixture(fixture.as_ref()))
}

/// An in-memory project of the given files, each an entry, in the order given.
///
/// Panics when a name is not a valid project path.
pub fn memory_project<N: AsRef<str>, B: Into<Vec<u8>>>(
    files: impl IntoIterator<Item = (N, B)>,
) -> (MemoryLoader, Vec<ProjectPath>) {
    let mut loader = MemoryLoader::default();
    let mut entries = Vec::new();
    for (name, bytes) in files {
        let name = name.as_ref();
        let path = ProjectPath::new(name).unwrap_or_else(|| panic!("`{name}` is not a project path"));
        loader.insert(path.clone(), bytes);
        entries.push(path);
    }
    (loader, entries)
}

/// The repository's root directory (where the workspace's `Cargo.toml` is).
pub fn repository_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // This crate is `tools/test-support`.
    manifest_dir.parent().and_then(Path::parent).expect("tools/test-support is two levels down").to_path_buf()
}

/// A directory of the repository, by its `/`-separated path from the root (`examples`,
/// `tests/fixtures/bundle/every_node`).
pub fn project_root(relative: &str) -> PathBuf {
    repository_root().join(relative)
}

/// Reads a project's files from a directory on disk, any path under it. No jail and no size
/// limit: for the repository's own files only (the CLI's and the language server's loader is
/// `journey_host::DiskLoader`).
#[derive(Debug, Clone)]
pub struct DirLoader {
    root: PathBuf,
}

impl DirLoader {
    pub fn new(root: impl Into<PathBuf>) -> DirLoader {
        DirLoader { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl SourceLoader for DirLoader {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        std::fs::read(self.root.join(path.as_str())).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound,
            _ => LoadError::Io(error.to_string()),
        })
    }
}

/// The `.journey` files directly in `dir` (not in its subdirectories), sorted by name.
pub fn journey_file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".journey"))
        .collect();
    names.sort();
    names
}

/// A project directory on disk with every `.journey` file directly in it as an entry, as
/// `journey check DIR` takes a flat directory; imports are read from anywhere under it.
pub fn disk_project(dir: &Path) -> (DirLoader, Vec<ProjectPath>) {
    let entries = journey_file_names(dir)
        .iter()
        .map(|name| ProjectPath::new(name).unwrap_or_else(|| panic!("`{name}` is not a project path")))
        .collect();
    (DirLoader::new(dir), entries)
}

/// Every `.journey` file under `root`, in subdirectories too, with its bytes: by `/`-separated
/// path from `root`, sorted by path.
pub fn journey_files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display())) {
            let entry = entry.unwrap();
            let name = relative.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(name);
            } else if name.extension().is_some_and(|e| e == "journey") {
                let bytes = std::fs::read(entry.path()).unwrap();
                files.push((name.to_str().expect("a UTF-8 path").replace('\\', "/"), bytes));
            }
        }
    }
    files.sort();
    files
}

/// Every step that sends (a `send`, or an `ask` and the like that sends its message) and every
/// stage of a checked project's flow graphs, as `journey/node` and `journey/stage`: what a view
/// of the project (the map, in the terminal or a browser) must show.
pub fn sends_and_stages(
    report: &journey_compiler::ProjectReport,
) -> (std::collections::BTreeSet<String>, std::collections::BTreeSet<String>) {
    let (mut sends, mut stages) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for graph in &report.flow.graphs {
        for node in &graph.nodes {
            let sent = node.kind.sent_message().is_some()
                || matches!(node.kind, journey_compiler::flow::graph::NodeKind::Send { .. });
            if sent {
                sends.insert(format!("{}/{}", graph.journey, node.id));
            }
        }
        for stage in &graph.stages {
            stages.insert(format!("{}/{}", graph.journey, stage.name));
        }
    }
    (sends, stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
        files.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn text_without_a_separator_is_main_journey() {
        assert_eq!(split_fixture(b"event a {}\n"), vec![("main.journey".to_owned(), b"event a {}\n".to_vec())]);
    }

    #[test]
    fn separator_lines_name_the_next_file_and_belong_to_neither() {
        let files = split_fixture(b"import \"lib/a.journey\"\n%% lib/a.journey\nevent a {}\n%% b.journey\n");
        assert_eq!(names(&files), ["main.journey", "lib/a.journey", "b.journey"]);
        assert_eq!(files[0].1, b"import \"lib/a.journey\"");
        assert_eq!(files[1].1, b"event a {}");
        assert_eq!(files[2].1, b"");
    }

    #[test]
    fn invalid_or_repeated_names_become_numbered() {
        let files = split_fixture(b"a\n%% ../up.journey\nb\n%% main.journey\nc");
        assert_eq!(names(&files), ["main.journey", "f1.journey", "f2.journey"]);
    }

    #[test]
    fn files_past_the_limit_stay_in_the_last_file() {
        let text = "x\n%% f.journey\n".repeat(MAX_FIXTURE_FILES + 2);
        let files = split_fixture(text.as_bytes());
        assert_eq!(files.len(), MAX_FIXTURE_FILES);
        assert!(files.last().unwrap().1.windows(4).any(|w| w == b"\n%% "));
    }

    #[test]
    fn a_fixture_project_has_every_file_as_an_entry() {
        let (loader, entries) = project_from_fixture("a\n%% lib/b.journey\nb");
        let entries: Vec<&str> = entries.iter().map(ProjectPath::as_str).collect();
        assert_eq!(entries, ["main.journey", "lib/b.journey"]);
        assert_eq!(loader.load(&ProjectPath::new("lib/b.journey").unwrap()).unwrap(), b"b");
    }

    #[test]
    fn the_repository_root_holds_the_workspace_manifest() {
        assert!(repository_root().join("ARCHITECTURE.md").is_file());
        assert!(project_root("examples").is_dir());
    }
}
