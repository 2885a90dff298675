//! Turning the PATH arguments of `journey check` into an ordered list of files.
//!
//! A file argument is checked as given, whatever its extension. A directory argument is searched
//! recursively for `*.journey` files; its files are sorted by the byte order of their path
//! relative to that directory (with `/` separators), so output never depends on the order the
//! file system lists entries in. What `.gitignore` and `.ignore` files leave out is not searched,
//! nor are `.git/` and `node_modules/` ([`walk`]). Symbolic links to files are followed; symbolic
//! links to directories are not (they could form cycles). Every argument must yield at least one file:
//! a CI job whose `journey check` finds nothing to check must fail, not pass.
//!
//! Entries that cannot be read as a file (FIFOs, sockets, device files, symbolic links that are
//! loops or lead nowhere) are never opened, and are named rather than dropped in silence: in the
//! error of a directory that has nothing to check, and, when it does, in a warning for each one
//! named `*.journey`. Names come in the same byte order as files, whatever the file system's.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where to open it.
    pub path: PathBuf,
    /// How to show it: relative as given on the command line, with `/` separators.
    pub display: String,
    /// The directory it was found under (a directory argument), or its own directory (a file
    /// argument): its project root when no `journey.toml` is above it.
    pub base: PathBuf,
    /// Found by searching a directory (rather than named as a file argument).
    pub from_directory: bool,
}

/// What discovery found, and every argument it could not use.
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    /// One message per unusable argument or unreadable directory ("cannot read `x`: ...").
    pub errors: Vec<String>,
    /// Entries named `*.journey` that were skipped because they cannot be read as a file (a FIFO,
    /// a symbolic link loop, ...), in a directory that had other files to check.
    pub warnings: Vec<String>,
}

/// The most skipped entries named in the message of a directory with nothing to check; the
/// rest are counted.
const MAX_SKIPPED_NAMED: usize = 10;

/// An entry of a searched directory that is neither a directory nor something that reads as a
/// file: its sort key, how to show it, why it was skipped, and whether it is named `*.journey`.
struct Skipped {
    key: Vec<u8>,
    display: String,
    why: String,
    journey: bool,
}

pub fn discover(paths: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    for arg in paths {
        let display = display_path(arg);
        match fs::metadata(arg) {
            Err(error) => found.errors.push(format!("cannot read `{display}`: {}", describe_io_error(&error))),
            Ok(meta) if meta.is_dir() => {
                let before = found.inputs.len();
                let skipped = walk(arg, &display, &mut found);
                if found.inputs.len() == before {
                    found.errors.push(nothing_found(&display, &skipped));
                } else {
                    // Files were found: name only the skipped entries that were meant to be
                    // checked, so a socket or a dangling link beside them costs no noise.
                    found.warnings.extend(
                        skipped.iter().filter(|s| s.journey).map(|s| format!("skipped `{}`: {}", s.display, s.why)),
                    );
                }
            }
            Ok(_) => {
                let base = match arg.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                found.inputs.push(Input { path: arg.clone(), display, base, from_directory: false })
            }
        }
    }
    // The same file named twice (`journey check a.journey a.journey`, or a file inside a
    // directory also given) is checked once, where it first appeared.
    let mut seen = std::collections::HashSet::new();
    found.inputs.retain(|input| seen.insert(input.display.clone()));
    found
}

/// Whether `path` is `--exclude`d: under one of `exclude`, or one of them. Paths are compared as
/// written with every `./` left out, so `journey check . --exclude skip` skips `./skip/a.journey`.
pub fn is_excluded(path: &Path, exclude: &[PathBuf]) -> bool {
    let plain = |path: &Path| path.components().filter(|c| *c != std::path::Component::CurDir).collect::<PathBuf>();
    let path = plain(path);
    exclude.iter().any(|skip| path.starts_with(plain(skip)))
}

/// Drops the inputs that their project's `journey.toml` leaves out (`[project] exclude`), for
/// the commands that take files one by one rather than by project (`journey fmt`, `journey
/// diff`); `journey check` applies the same rule per project ([`crate::check::check_projects`]).
/// Each manifest is read once.
pub fn retain_outside_manifest_excludes(inputs: &mut Vec<Input>) {
    let mut excludes: std::collections::BTreeMap<PathBuf, Vec<String>> = std::collections::BTreeMap::new();
    inputs.retain(|input| {
        let Ok(canonical) = input.path.canonicalize() else { return true };
        let Some(root) = journey_host::manifest_root(&canonical) else { return true };
        let Some(relative) = journey_host::relative_project_path(&root, &canonical) else { return true };
        let exclude = excludes.entry(root.clone()).or_insert_with(|| journey_host::manifest_exclude(&root));
        !journey_host::excluded_by_manifest(&relative, exclude)
    });
}

/// "no .journey files found in `d`", naming what was skipped there, so a directory holding only a
/// FIFO or a symbolic link loop says why it has nothing to check.
fn nothing_found(display: &str, skipped: &[Skipped]) -> String {
    let mut message = format!("no .journey files found in `{display}`");
    if skipped.is_empty() {
        return message;
    }
    let named: Vec<String> =
        skipped.iter().take(MAX_SKIPPED_NAMED).map(|s| format!("`{}` ({})", s.display, s.why)).collect();
    let entries = if skipped.len() == 1 { "entry" } else { "entries" };
    message.push_str(&format!("; skipped {} {entries} that cannot be read: {}", skipped.len(), named.join(", ")));
    if skipped.len() > MAX_SKIPPED_NAMED {
        message.push_str(&format!(" and {} more", skipped.len() - MAX_SKIPPED_NAMED));
    }
    message
}

/// Why an entry that is neither a directory nor a regular file was skipped, or `None` for one to
/// use: a regular file, or a symbolic link to one. Symbolic links to directories are not
/// followed (they could form cycles) and are not reported: that is the rule, not a failure.
fn unusable(path: &Path, file_type: fs::FileType) -> Option<String> {
    if file_type.is_file() || file_type.is_dir() {
        return None;
    }
    if file_type.is_symlink() {
        return match fs::metadata(path) {
            Ok(meta) if meta.is_file() || meta.is_dir() => None,
            Ok(meta) => Some(format!("a symbolic link to {}", special_kind(meta.file_type()))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Some("a symbolic link to nothing".to_owned()),
            // `ErrorKind::FilesystemLoop` is not stable yet; its name is what the kind prints.
            Err(error) if format!("{:?}", error.kind()) == "FilesystemLoop" => Some("a symbolic link loop".to_owned()),
            Err(error) => Some(format!("a symbolic link that cannot be followed: {}", describe_io_error(&error))),
        };
    }
    Some(special_kind(file_type))
}

/// What a file that is neither a regular file nor a directory is, in words.
fn special_kind(file_type: fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = if file_type.is_fifo() {
            "a FIFO"
        } else if file_type.is_socket() {
            "a socket"
        } else if file_type.is_block_device() || file_type.is_char_device() {
            "a device file"
        } else {
            "not a regular file"
        };
        kind.to_owned()
    }
    #[cfg(not(unix))]
    {
        let _ = file_type;
        "not a regular file".to_owned()
    }
}

/// Directories never searched, ignored or not: version-control metadata and npm's packages
/// (ruff skips the same by default). A path named on the command line is still searched.
const NEVER_SEARCHED: &[&str] = &[".git", ".hg", ".svn", "node_modules"];

/// Collects the `*.journey` files under `root`, sorted by relative path; returns the entries it
/// skipped because they cannot be read as a file, sorted the same way. Problems reading
/// directories go into `found.errors`, sorted too: none of this depends on the order the file
/// system lists entries in.
///
/// The walk is ripgrep's (the `ignore` crate): it leaves out what `.gitignore` files (in the
/// directory, below it and above it, inside a git repository or not), `.git/info/exclude` and
/// `.ignore` files say to ignore, and the [`NEVER_SEARCHED`] directories. Not the user's global
/// git excludes: they live outside the project, and the same project must give the same files on
/// every machine. Hidden files are searched (a `.journey` file is not hidden from us by a dot).
/// The walk is iterative, so directory depth cannot overflow our stack.
fn walk(root: &Path, root_display: &str, found: &mut Discovered) -> Vec<Skipped> {
    // (sort key, path, relative display); the key is the relative path's bytes with `/`.
    let mut files: Vec<(Vec<u8>, PathBuf, String)> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut errors: Vec<(Vec<u8>, String)> = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .git_ignore(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let searched_directory = entry.depth() > 0 && entry.file_type().is_some_and(|t| t.is_dir());
            !(searched_directory && NEVER_SEARCHED.iter().any(|name| entry.file_name() == *name))
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let relative = error_path(&error).map(|path| relative_parts(root, path)).unwrap_or_default();
                let shown = join_display(root_display, &relative);
                errors.push((sort_key(&relative), format!("cannot read `{shown}`: {}", describe_walk_error(&error))));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path().to_path_buf();
        let child_relative = relative_parts(root, &path);
        let why = match entry.file_type() {
            Some(file_type) if file_type.is_dir() => continue,
            Some(file_type) => unusable(&path, file_type),
            None => Some("cannot read its type".to_owned()),
        };
        let is_regular = entry.file_type().is_some_and(|t| t.is_file());
        let key = sort_key(&child_relative);
        let display = join_display(root_display, &child_relative);
        match why {
            // Regular files, and symbolic links that resolve to one (or to a directory,
            // which `is_file` then leaves out).
            None => {
                if is_journey_file(&path) && (is_regular || fs::metadata(&path).is_ok_and(|meta| meta.is_file())) {
                    files.push((key, path, display));
                }
            }
            Some(why) => skipped.push(Skipped { key, display, why, journey: is_journey_file(&path) }),
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    skipped.sort_by(|a, b| a.key.cmp(&b.key));
    errors.sort();
    errors.dedup();
    found.errors.extend(errors.into_iter().map(|(_, message)| message));
    found.inputs.extend(files.into_iter().map(|(_, path, display)| Input {
        path,
        display,
        base: root.to_path_buf(),
        from_directory: true,
    }));
    skipped
}

/// `path` under `root` as its components (empty for the root itself, or a path outside it).
fn relative_parts(root: &Path, path: &Path) -> Vec<OsString> {
    path.strip_prefix(root).map(|relative| relative.iter().map(OsString::from).collect()).unwrap_or_default()
}

/// The path a walk error is about, if it names one.
fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::Partial(errors) => errors.first().and_then(error_path),
        _ => None,
    }
}

/// A walk error in the words of [`describe_io_error`] when it is an I/O error.
fn describe_walk_error(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => describe_walk_error(err),
        ignore::Error::Io(io) => describe_io_error(io),
        other => other.to_string(),
    }
}

fn is_journey_file(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "journey")
}

fn sort_key(relative: &[OsString]) -> Vec<u8> {
    let mut key = Vec::new();
    for (i, part) in relative.iter().enumerate() {
        if i > 0 {
            key.push(b'/');
        }
        key.extend_from_slice(part.as_encoded_bytes());
    }
    key
}

fn join_display(root_display: &str, relative: &[OsString]) -> String {
    // `journey check .` shows `a.journey`, not `./a.journey`.
    let mut shown = if relative.is_empty() || (root_display != "." && root_display != "./") {
        root_display.to_owned()
    } else {
        String::new()
    };
    for part in relative {
        if !shown.is_empty() && !shown.ends_with('/') {
            shown.push('/');
        }
        shown.push_str(&part.to_string_lossy());
    }
    shown
}

/// A path as the user wrote it, with `/` as the separator on every platform.
pub fn display_path(path: &Path) -> String {
    let shown = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        shown.replace('\\', "/")
    } else {
        shown.into_owned()
    }
}

/// A short, platform-independent description of an I/O error, for messages and snapshots.
pub fn describe_io_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_compare_by_bytes_with_slash_separators() {
        let a = sort_key(&["a.journey".into()]);
        let b = sort_key(&["a".into(), "b.journey".into()]);
        let upper = sort_key(&["Z.journey".into()]);
        assert!(a < b, "`.` sorts before `/`");
        assert!(upper < a, "upper case sorts before lower case");
    }

    #[test]
    fn exclusions_match_whole_components_with_or_without_a_leading_dot() {
        let exclude = [PathBuf::from("skip"), PathBuf::from("./b/c")];
        assert!(is_excluded(Path::new("./skip/a.journey"), &exclude));
        assert!(is_excluded(Path::new("skip/a.journey"), &exclude));
        assert!(is_excluded(Path::new("b/c/d.journey"), &exclude));
        assert!(!is_excluded(Path::new("./skipped/a.journey"), &exclude));
        assert!(!is_excluded(Path::new("b/cd.journey"), &exclude));
    }

    #[test]
    fn directory_display_joins_with_exactly_one_slash() {
        assert_eq!(join_display("dir/", &["a.journey".into()]), "dir/a.journey");
        assert_eq!(join_display("dir", &["s".into(), "a.journey".into()]), "dir/s/a.journey");
        assert_eq!(join_display(".", &["a.journey".into()]), "a.journey");
        assert_eq!(join_display(".", &[]), ".");
    }
}
