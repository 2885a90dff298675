//! Import paths: what an `import "..."` string may name, decided without touching any file.
//!
//! A project file is named by its path relative to the project root, `/`-separated, with no `.`
//! or `..` components ([`ProjectPath`]). An import is either a standard-library module
//! (`"std/channels"`) or a path relative to the importing file's directory. Everything that could
//! reach outside the root is refused here, before any loader sees it: absolute paths, drive
//! letters, UNC paths, URLs, backslashes, percent-encoding, control characters, and `..` that
//! climbs above the root. Symbolic links are the loader's business (only it can see them).

use std::fmt;

/// A normalized path relative to the project root, such as `flows/welcome.journey`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectPath(String);

impl ProjectPath {
    /// Normalizes a relative path (`a/./b/../c.journey` to `a/c.journey`); `None` if it is not
    /// relative or climbs above the root.
    pub fn new(path: &str) -> Option<ProjectPath> {
        normalize(&[], path).ok().map(ProjectPath)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The directory part as components (`flows/a.journey` -> `["flows"]`).
    fn dir_components(&self) -> Vec<&str> {
        let mut components: Vec<&str> = self.0.split('/').collect();
        components.pop();
        components
    }
}

impl fmt::Display for ProjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an import names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportTarget {
    /// `import "std/channels"`: a module of the built-in standard library.
    Std(String),
    /// A file of the project.
    File(ProjectPath),
}

/// Why an import path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportPathError {
    Empty,
    Absolute,
    Url,
    Backslash,
    PercentEncoded,
    ControlCharacter,
    /// `..` climbs above the project root.
    OutsideRoot,
    NotJourneyFile,
}

impl ImportPathError {
    pub fn describe(&self) -> &'static str {
        match self {
            ImportPathError::Empty => "the import path is empty",
            ImportPathError::Absolute => {
                "absolute paths cannot be imported; imports are relative to the importing file"
            }
            ImportPathError::Url => "URLs cannot be imported; only files of the project and `std/...` modules",
            ImportPathError::Backslash => "import paths use `/`, not `\\`",
            ImportPathError::PercentEncoded => "import paths are plain text; `%` escapes are not decoded",
            ImportPathError::ControlCharacter => "the import path contains a control character",
            ImportPathError::OutsideRoot => "the path leaves the project root",
            ImportPathError::NotJourneyFile => "only `.journey` files can be imported",
        }
    }
}

/// Resolves the string of an `import` in the file `importer` (a project file, or `None` for a
/// standard-library module importing another one).
pub fn resolve_import(importer: Option<&ProjectPath>, spec: &str) -> Result<ImportTarget, ImportPathError> {
    if spec.is_empty() {
        return Err(ImportPathError::Empty);
    }
    if spec.chars().any(char::is_control) {
        return Err(ImportPathError::ControlCharacter);
    }
    if spec.starts_with('/') || has_drive_letter(spec) {
        return Err(ImportPathError::Absolute);
    }
    if spec.contains("://") || looks_like_scheme(spec) {
        return Err(ImportPathError::Url);
    }
    if spec.contains('\\') {
        return Err(ImportPathError::Backslash);
    }
    if spec.contains('%') {
        return Err(ImportPathError::PercentEncoded);
    }
    if let Some(module) = spec.strip_prefix("std/") {
        return Ok(ImportTarget::Std(module.to_owned()));
    }
    let base = match importer {
        Some(path) => path.dir_components(),
        // The standard library's own modules import each other only as `std/...`.
        None => return Err(ImportPathError::OutsideRoot),
    };
    let normalized = normalize(&base, spec)?;
    if !normalized.ends_with(".journey") {
        return Err(ImportPathError::NotJourneyFile);
    }
    Ok(ImportTarget::File(ProjectPath(normalized)))
}

fn normalize(base: &[&str], path: &str) -> Result<String, ImportPathError> {
    if path.starts_with('/') || has_drive_letter(path) {
        return Err(ImportPathError::Absolute);
    }
    let mut parts: Vec<&str> = base.to_vec();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(ImportPathError::OutsideRoot);
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err(ImportPathError::Empty);
    }
    Ok(parts.join("/"))
}

/// `C:...` or `c:/...`: a Windows drive letter.
fn has_drive_letter(spec: &str) -> bool {
    let mut chars = spec.chars();
    matches!((chars.next(), chars.next()), (Some(letter), Some(':')) if letter.is_ascii_alphabetic())
}

/// `http:...`, `file:...`, `data:...`: a scheme before the first `/`.
fn looks_like_scheme(spec: &str) -> bool {
    let head = spec.split('/').next().unwrap_or("");
    match head.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(importer: &str, spec: &str) -> Result<String, ImportPathError> {
        let importer = ProjectPath::new(importer).unwrap();
        resolve_import(Some(&importer), spec).map(|target| match target {
            ImportTarget::Std(module) => format!("std:{module}"),
            ImportTarget::File(path) => path.0,
        })
    }

    #[test]
    fn relative_imports_resolve_against_the_importing_files_directory() {
        assert_eq!(resolve("flows/a.journey", "./b.journey"), Ok("flows/b.journey".into()));
        assert_eq!(resolve("flows/a.journey", "../common/c.journey"), Ok("common/c.journey".into()));
        assert_eq!(resolve("a.journey", "lib/./x/../y.journey"), Ok("lib/y.journey".into()));
        assert_eq!(resolve("a.journey", "std/channels"), Ok("std:channels".into()));
    }

    #[test]
    fn every_way_out_of_the_root_is_refused() {
        assert_eq!(resolve("a.journey", "../outside.journey"), Err(ImportPathError::OutsideRoot));
        assert_eq!(resolve("flows/a.journey", "../../outside.journey"), Err(ImportPathError::OutsideRoot));
        assert_eq!(resolve("a.journey", "/etc/passwd.journey"), Err(ImportPathError::Absolute));
        assert_eq!(resolve("a.journey", "C:\\x.journey"), Err(ImportPathError::Absolute));
        assert_eq!(resolve("a.journey", "C:/x.journey"), Err(ImportPathError::Absolute));
        assert_eq!(resolve("a.journey", "\\\\server\\share\\x.journey"), Err(ImportPathError::Backslash));
        assert_eq!(resolve("a.journey", "https://evil.example/x.journey"), Err(ImportPathError::Url));
        assert_eq!(resolve("a.journey", "file:x.journey"), Err(ImportPathError::Url));
        assert_eq!(resolve("a.journey", "..%2f..%2fx.journey"), Err(ImportPathError::PercentEncoded));
        assert_eq!(resolve("a.journey", "x\0.journey"), Err(ImportPathError::ControlCharacter));
        assert_eq!(resolve("a.journey", ""), Err(ImportPathError::Empty));
        assert_eq!(resolve("a.journey", "notes.txt"), Err(ImportPathError::NotJourneyFile));
    }
}
