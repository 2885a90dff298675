//! `journey check -`: the file to check comes from standard input, as editors and pre-commit
//! tools send an unsaved buffer (ruff's and taplo's `-`).
//!
//! Without `--stdin-filename` the text is a project of its own, rooted at the current directory
//! and shown as `<stdin>`. With `--stdin-filename PATH` it stands in for the file at PATH (which
//! need not exist): it is shown under that name and belongs to that file's project, so its
//! imports and the project's `journey.toml` are read from the disk as for the file itself, the
//! language server's open buffer in front of the disk. Reading stops one byte past the size
//! limit, so endless input cannot fill memory; the compiler then reports J0111.

use std::io::Read;
use std::path::{Path, PathBuf};

use journey_compiler::limits::MAX_SOURCE_BYTES;
use journey_compiler::project::{LoadError, ProjectPath, SourceLoader};
use journey_host::{manifest_root, relative_project_path, DiskLoader};

use crate::check::{self, Outcome};
use crate::discover::{describe_io_error, display_path};
use crate::project::ProjectInputs;

/// The path argument that means standard input.
pub const STDIN_ARG: &str = "-";

/// How standard input is shown without `--stdin-filename`.
pub const STDIN_DISPLAY: &str = "<stdin>";

/// The project path of standard input without `--stdin-filename`: a name no import can reach by
/// accident, since imports must end in `.journey`.
const STDIN_PROJECT_PATH: &str = "<stdin>";

/// Whether the paths ask for standard input.
pub fn wants_stdin(paths: &[PathBuf]) -> bool {
    paths.iter().any(|path| path.as_os_str() == STDIN_ARG)
}

/// Checks the text `input` gives, named by `stdin_filename`. `paths` must be `-` alone: a usage
/// error otherwise, in `Outcome::io_errors`.
pub fn check_stdin(paths: &[PathBuf], stdin_filename: Option<&Path>, input: impl Read) -> Outcome {
    let mut outcome = Outcome::default();
    if paths.len() != 1 {
        outcome.io_errors.push("`-` (standard input) cannot be combined with other paths".to_owned());
        return outcome;
    }
    let limit = u64::try_from(MAX_SOURCE_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    if let Err(error) = input.take(limit).read_to_end(&mut bytes) {
        outcome.io_errors.push(format!("cannot read standard input: {}", describe_io_error(&error)));
        return outcome;
    }
    let inputs = match place(stdin_filename) {
        Ok(inputs) => inputs,
        Err(message) => {
            outcome.io_errors.push(message);
            return outcome;
        }
    };
    let Some((entry, _)) = inputs.entries.first() else {
        return outcome;
    };
    let loader = StdinLoader {
        disk: DiskLoader::new(inputs.root.clone()),
        entry: entry.clone(),
        bytes,
        manifest: inputs.manifest,
    };
    check::check_inputs(&inputs, &loader, &mut outcome);
    outcome
}

/// The project standard input belongs to, and its one entry.
fn place(stdin_filename: Option<&Path>) -> Result<ProjectInputs, String> {
    let cwd = std::env::current_dir().and_then(|dir| dir.canonicalize());
    let cwd = cwd.map_err(|error| format!("cannot read the current directory: {}", describe_io_error(&error)))?;
    let Some(named) = stdin_filename else {
        let entry = ProjectPath::new(STDIN_PROJECT_PATH).ok_or("cannot name standard input")?;
        return Ok(ProjectInputs {
            root: cwd,
            display_prefix: String::new(),
            entries: vec![(entry, STDIN_DISPLAY.to_owned())],
            manifest: false,
        });
    };
    let display = display_path(named);
    let unusable = |why: &str| format!("cannot use `--stdin-filename {display}`: {why}");
    let file_name = named.file_name().ok_or_else(|| unusable("it names no file"))?;
    let absolute = cwd.join(named);
    let directory = absolute.parent().unwrap_or(&cwd);
    let directory = directory.canonicalize().map_err(|error| unusable(&describe_io_error(&error)))?;
    let file = directory.join(file_name);
    let manifest = manifest_root(&file);
    let has_manifest = manifest.is_some();
    let root = manifest.unwrap_or_else(|| directory.clone());
    let relative = relative_project_path(&root, &file).ok_or_else(|| unusable("its path is not valid UTF-8"))?;
    let display_prefix = display.strip_suffix(relative.as_str()).unwrap_or("").to_owned();
    Ok(ProjectInputs { root, display_prefix, entries: vec![(relative, display)], manifest: has_manifest })
}

/// The disk, with the entry's text from standard input in front of it.
struct StdinLoader {
    disk: DiskLoader,
    entry: ProjectPath,
    bytes: Vec<u8>,
    /// Whether the project has a `journey.toml` (checked by `check_inputs`). Without
    /// `--stdin-filename` the text is a project of its own: a manifest in the current directory
    /// is not its, and must not lend it settings the run never checked.
    manifest: bool,
}

impl SourceLoader for StdinLoader {
    fn load(&self, path: &ProjectPath) -> Result<Vec<u8>, LoadError> {
        if *path == self.entry {
            Ok(self.bytes.clone())
        } else if !self.manifest && path.as_str() == journey_compiler::manifest::FILE_NAME {
            Err(LoadError::NotFound)
        } else {
            self.disk.load(path)
        }
    }
}
