//! Files only their owner may read: key files, the console's sealed identity, sealed tips.
//!
//! Everything written here is created with owner-only rights (0600 files, 0700 folders) from
//! the first byte, never widened afterwards. Must never write a file any other way, nor
//! put the file's content in an error.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A file or folder that could not be created, written or restricted.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FsError {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// What the system said.
    #[source]
    pub source: std::io::Error,
}

impl FsError {
    fn at(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Creates (or replaces) a file readable and writable by its owner only, whole or not at
/// all: the bytes go to a new file beside it, synced, which then takes its name, and the
/// folder is synced. A crash, a full disk or a size limit mid-write leaves the old file as
/// it was (it may be a coordinator's only copy of their keys, or the revocation list);
/// only a stray `.<name>.partial-*` can remain, which [`remove_partials`] clears.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_private_at(path, bytes, None)
}

/// [`write_private`], the new file's access and modification times set to `dated` before it
/// takes its name: the file appears under its name already dated, never with the instant of
/// the write (a sealed tip's times must say no more than its minute). A crash leaves the old
/// file as it was, as [`write_private`] does.
pub fn write_private_dated(path: &Path, bytes: &[u8], dated: SystemTime) -> Result<(), FsError> {
    write_private_at(path, bytes, Some(dated))
}

fn write_private_at(path: &Path, bytes: &[u8], dated: Option<SystemTime>) -> Result<(), FsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let partial = partial_beside(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let written = (|| {
        let mut file = options.open(&partial)?;
        file.write_all(bytes)?;
        if let Some(at) = dated {
            file.set_times(dates(at))?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&partial, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(FsError {
            path: path.to_path_buf(),
            source,
        });
    }
    sync_folder_of(path);
    // `mode` applies only under the umask: never wider than 0600, made exactly that here.
    restrict(path, 0o600)
}

/// A name beside `path` no other write uses, this process's or another's.
fn partial_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}{PARTIAL}{}-{n}", std::process::id()))
}

const PARTIAL: &str = ".partial-";

/// Makes a rename (or a removal) in `path`'s folder survive a crash.
pub fn sync_folder_of(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
    }
}

/// Sets a file's or a folder's access and modification times to `at` (its change time
/// becomes the moment of the call: no program can set that one).
pub fn set_dates(path: &Path, at: SystemTime) -> Result<(), FsError> {
    std::fs::File::open(path)
        .and_then(|f| f.set_times(dates(at)))
        .map_err(FsError::at(path))
}

fn dates(at: SystemTime) -> std::fs::FileTimes {
    std::fs::FileTimes::new().set_accessed(at).set_modified(at)
}

/// Removes what writes cut short by a crash left in `folder` (see [`write_private`]); how
/// many it removed. A folder of sealed tips runs this at start: a tip's partial copy must not
/// outlive the tip.
pub fn remove_partials(folder: &Path) -> Result<usize, FsError> {
    let mut removed = 0;
    for entry in std::fs::read_dir(folder).map_err(FsError::at(folder))? {
        let path = entry.map_err(FsError::at(folder))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') && name.contains(PARTIAL) {
            std::fs::remove_file(&path).map_err(FsError::at(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// [`write_private`], first creating what is missing of the file's folder and its parents
/// the way [`create_missing_private_dirs`] does: a key, grant or identity file written to a
/// new folder does not leave that folder listable by others.
pub fn write_private_in_private_dirs(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    if let Some(parent) = path.parent() {
        create_missing_private_dirs(parent)?;
    }
    write_private(path, bytes)
}

/// Creates a folder (and its parents) and makes it its owner's only.
pub fn create_private_dir(path: &Path) -> Result<(), FsError> {
    std::fs::create_dir_all(path).map_err(FsError::at(path))?;
    restrict(path, 0o700)
}

/// Creates what is missing of a folder and its parents, each new one its owner's only (a
/// listing of a key folder names serials and grants). A folder that already exists keeps its
/// rights: it may be the user's home, or a folder an operator shares on purpose.
pub fn create_missing_private_dirs(path: &Path) -> Result<(), FsError> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(FsError::at(path))
}

fn restrict(path: &Path, mode: u32) -> Result<(), FsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(FsError::at(path))?;
    }
    let _ = mode;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn missing_folders_are_made_their_owners_only_and_existing_ones_keep_their_rights() {
        let dir = std::env::temp_dir().join(format!("lifeline-fs-missing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = dir.join("keys").join("issued");
        create_missing_private_dirs(&deep).unwrap();
        assert_eq!(mode(&dir), 0o755, "an existing folder is left as it was");
        assert_eq!(mode(&dir.join("keys")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        create_missing_private_dirs(&deep).unwrap();
        create_missing_private_dirs(Path::new("")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_and_folders_are_their_owners_only_even_when_they_existed_before() {
        let dir = std::env::temp_dir().join(format!("lifeline-fs-{}", std::process::id()));
        let folder = dir.join("keys");
        create_private_dir(&folder).unwrap();
        assert_eq!(mode(&folder), 0o700);

        let file = folder.join("secret");
        std::fs::write(&file, b"old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"new").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"new");

        write_private(&file, b"newer").unwrap();
        let names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["secret"], "nothing but the file is left beside it");

        let missing = dir.join("absent").join("file");
        let error = write_private(&missing, b"x").unwrap_err();
        assert_eq!(error.path, missing);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn only_what_a_cut_short_write_leaves_is_removed() {
        let dir = std::env::temp_dir().join(format!("lifeline-fs-partial-{}", std::process::id()));
        create_private_dir(&dir).unwrap();
        for name in [
            ".inbox.key.partial-12-0",
            "inbox.key",
            ".hidden",
            "a.partial-1-1",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        assert_eq!(remove_partials(&dir).unwrap(), 1);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".hidden", "a.partial-1-1", "inbox.key"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
