//! Reading a revision's files with the `git` command: read-only plumbing (`rev-parse`,
//! `ls-tree`, `cat-file`), run at the top of the work tree with literal pathspecs, so nothing in
//! the repository is ever written (not even the index) and a path is never a pattern.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository around a directory.
pub struct Repository {
    /// The top of the work tree.
    top: PathBuf,
    /// Where the directory the command ran in is, relative to the top: `flows/` or empty.
    prefix: String,
}

/// A `*.journey` file of a revision.
pub struct JourneyFile {
    /// Its path from the top of the repository, for `git cat-file`.
    pub repo_path: String,
    /// Its size in bytes, from the tree: a file over the limit is never read.
    pub size: u64,
    /// Its path in the project (from the directory being compared).
    pub project_path: String,
    /// Whether it is an entry of the project (every file, or the one file given).
    pub entry: bool,
}

impl Repository {
    /// The repository `cwd` is in; an error that says why when git is missing or it is in none.
    pub fn open(cwd: &Path) -> Result<Repository, String> {
        let output = run(cwd, &["rev-parse", "--show-toplevel", "--show-prefix"])?;
        if !output.status.success() {
            return Err(format!("`{}` is not inside a git repository: {}", cwd.display(), stderr_of(&output)));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        let top = lines.next().unwrap_or_default();
        let prefix = lines.next().unwrap_or_default().to_owned();
        if top.is_empty() {
            return Err(format!("`{}` is not inside a git repository's work tree", cwd.display()));
        }
        Ok(Repository { top: PathBuf::from(top), prefix })
    }

    /// Whether `name` names a commit.
    pub fn is_revision(&self, name: &str) -> bool {
        self.commit(name).is_ok()
    }

    /// The commit `name` names, as its full hash.
    pub fn commit(&self, name: &str) -> Result<String, String> {
        let spec = format!("{name}^{{commit}}");
        let output = run(&self.top, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec])?;
        let hash = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() || hash.is_empty() {
            return Err(format!("unknown revision `{name}`: git knows no commit by that name"));
        }
        Ok(hash)
    }

    /// The `*.journey` files under `path` (relative to where the command ran) in `commit`, and the
    /// root's `journey.toml` (as no entry): every
    /// file under a directory, or one file and the files of its directory (for its imports).
    /// Only regular files count: symbolic links and submodules in a tree are not read. Names
    /// that are not UTF-8 are left out, and returned in the second list.
    pub fn journey_files(&self, commit: &str, path: &str) -> Result<(Vec<JourneyFile>, Vec<String>), String> {
        let repo_path =
            join_lexically(&self.prefix, path).ok_or_else(|| format!("`{path}` is outside the git repository"))?;
        let (listed, mut skipped) = self.list(commit, &repo_path)?;
        let single_file = matches!(listed.as_slice(), [(name, _)] if *name == repo_path);
        let (root, single) = if single_file && !repo_path.is_empty() {
            let parent = repo_path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned());
            (parent, Some(repo_path))
        } else {
            (repo_path, None)
        };
        let names = if single.is_some() {
            let (names, more) = self.list(commit, &root)?;
            skipped = more;
            names
        } else {
            listed
        };
        let files = names
            .into_iter()
            .filter_map(|(name, size)| {
                let project_path = if root.is_empty() {
                    name.clone()
                } else {
                    name.strip_prefix(&root)?.strip_prefix('/')?.to_owned()
                };
                // The root's `journey.toml` is read too (its settings apply), as a file that
                // is no entry.
                let manifest = project_path == journey_compiler::manifest::FILE_NAME;
                if !manifest && !name.ends_with(".journey") {
                    return None;
                }
                let entry = !manifest && single.as_ref().is_none_or(|one| *one == name);
                Some(JourneyFile { repo_path: name, size, project_path, entry })
            })
            .collect();
        Ok((files, skipped))
    }

    /// The bytes of `repo_path` in `commit`.
    pub fn read(&self, commit: &str, repo_path: &str) -> Result<Vec<u8>, String> {
        let object = format!("{commit}:{repo_path}");
        let output = run(&self.top, &["cat-file", "blob", &object])?;
        if !output.status.success() {
            return Err(format!("cannot read `{repo_path}` from git: {}", stderr_of(&output)));
        }
        Ok(output.stdout)
    }

    /// Every regular file under `repo_path` (the whole tree when empty) in `commit`, in git's
    /// order, with its size; and the names, shown lossily, of those that are not UTF-8.
    fn list(&self, commit: &str, repo_path: &str) -> Result<(Vec<Listed>, Vec<String>), String> {
        let spec = if repo_path.is_empty() { "." } else { repo_path };
        let output = run(&self.top, &["ls-tree", "-r", "-z", "--long", commit, "--", spec])?;
        if !output.status.success() {
            return Err(format!("cannot list the files of `{commit}`: {}", stderr_of(&output)));
        }
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        // `<mode> <type> <object> <size>\t<name>`, each entry ended by NUL.
        for entry in output.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let Some(tab) = entry.iter().position(|b| *b == b'\t') else { continue };
            let (meta, name) = entry.split_at(tab);
            let name = name.get(1..).unwrap_or_default();
            let meta = String::from_utf8_lossy(meta);
            let fields: Vec<&str> = meta.split_whitespace().collect();
            let [mode, kind, _, size] = fields.as_slice() else { continue };
            if *kind != "blob" || !mode.starts_with("100") {
                continue;
            }
            let size = size.parse::<u64>().unwrap_or(u64::MAX);
            match String::from_utf8(name.to_vec()) {
                Ok(name) => files.push((name, size)),
                Err(_) => skipped.push(String::from_utf8_lossy(name).into_owned()),
            }
        }
        Ok((files, skipped))
    }
}

/// A regular file of a tree: its path from the top, and its size.
type Listed = (String, u64);

/// Runs `git` with `args` in `dir`, with literal pathspecs and no pager or prompts.
fn run(dir: &Path, args: &[&str]) -> Result<Output, String> {
    Command::new("git")
        .arg("--literal-pathspecs")
        .arg("--no-pager")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => {
                "`journey diff --git` needs the `git` command, and it was not found; install git, or compare two directories with `journey diff OLD NEW`".to_owned()
            }
            _ => format!("cannot run git: {error}"),
        })
}

fn stderr_of(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let text = text.trim();
    if text.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        text.to_owned()
    }
}

/// `prefix` (`flows/` or empty) and `path` joined and normalised without touching the disk
/// (`.` and `..` resolved, no trailing `/`); `None` when it climbs above the top.
fn join_lexically(prefix: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in prefix.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::join_lexically;

    #[test]
    fn a_path_is_joined_to_the_prefix_and_normalised_and_may_not_climb_above_the_top() {
        assert_eq!(join_lexically("", ".").as_deref(), Some(""));
        assert_eq!(join_lexically("flows/", ".").as_deref(), Some("flows"));
        assert_eq!(join_lexically("flows/", "../a/./b/").as_deref(), Some("a/b"));
        assert_eq!(join_lexically("", "../x"), None);
    }
}
