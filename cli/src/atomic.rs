//! Replacing a file's contents all at once: readers see the old bytes or the new, never a mix,
//! and a crash or a full disk leaves the old file as it was.
//!
//! The new bytes go to a fresh file beside the old one (the same directory, so the same file
//! system), are flushed to disk, and the fresh file is renamed over the old one, which the
//! operating system does atomically. A symbolic link is followed: the file it names is replaced
//! and the link stays a link. (`journey build` writes bundles the same way, with a validation of
//! its own in between: `build.rs`.) A process killed before the rename leaves the old file as it
//! was and a hidden `*.journey-fmt` file beside it, which no command reads as a source.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How many names the temporary file may try before giving up (another run may hold one).
const ATTEMPTS: u32 = 16;

/// Replaces the contents of the file at `path` with `bytes`, keeping its permissions.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    let (temp, mut file) = create_beside(&target)?;
    let written = (|| {
        file.write_all(bytes)?;
        file.set_permissions(permissions)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &target)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
        return written;
    }
    // Makes the rename itself durable. Best effort: not every platform opens a directory, and
    // the file holds the whole new bytes either way.
    if let Some(dir) = target.parent() {
        let _ = fs::File::open(dir).and_then(|dir| dir.sync_all());
    }
    Ok(())
}

/// Writes `bytes` to the file at `path` all at once, creating it when it does not exist (with
/// the default permissions of a new file) and replacing it as [`replace`] does when it does.
/// `journey map` writes its maps this way.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(_) => replace(path, bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let (temp, mut file) = create_beside(path)?;
            let written = (|| {
                file.write_all(bytes)?;
                file.sync_all()?;
                drop(file);
                fs::rename(&temp, path)
            })();
            if written.is_err() {
                let _ = fs::remove_file(&temp);
                return written;
            }
            if let Some(dir) = path.parent() {
                let _ = fs::File::open(dir).and_then(|dir| dir.sync_all());
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// A new file in the directory of `target`, named after it, the process and the attempt
/// (`.a.journey.4242-0.journey-fmt`). Created with `create_new`, so it never opens or truncates a
/// file that exists (or a link planted there).
fn create_beside(target: &Path) -> io::Result<(PathBuf, fs::File)> {
    let dir = match target.parent() {
        Some(dir) if dir.as_os_str().is_empty() => Path::new("."),
        Some(dir) => dir,
        None => return Err(io::Error::other("the file has no directory")),
    };
    let name = target.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let mut last_error = io::Error::other("no name for a temporary file");
    for attempt in 0..ATTEMPTS {
        let temp = dir.join(format!(".{name}.{}-{attempt}.journey-fmt", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last_error = error,
            Err(error) => return Err(error),
        }
    }
    Err(last_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("journey-atomic-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_file_gets_the_new_bytes_and_no_temporary_file_is_left() {
        let dir = scratch("replace");
        let path = dir.join("a.journey");
        fs::write(&path, "old").unwrap();
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["a.journey"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_stays_a_link_to_the_replaced_file_with_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("link");
        let real = dir.join("real.journey");
        let link = dir.join("link.journey");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        replace(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn write_creates_a_missing_file_and_replaces_an_existing_one() {
        let dir = scratch("write");
        let path = dir.join("map.html");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["map.html"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_file_is_an_error_and_nothing_is_created() {
        let dir = scratch("missing");
        assert!(replace(&dir.join("none.journey"), b"new").is_err());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }
}
