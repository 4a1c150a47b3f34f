//! Files only their owner may read: key files, the console's sealed identity, sealed tips.
//!
//! Everything written here is created with owner-only rights (0600 files, 0700 folders) from
//! the first byte, never widened afterwards. Must never write a file any other way, nor
//! put the file's content in an error.

use std::path::{Path, PathBuf};

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

/// Creates (or replaces) a file readable and writable by its owner only, and syncs it.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).map_err(FsError::at(path))?;
    file.write_all(bytes).map_err(FsError::at(path))?;
    file.sync_all().map_err(FsError::at(path))?;
    // `mode` applies only to a file it creates: an existing one keeps its rights otherwise.
    restrict(path, 0o600)
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

        let missing = dir.join("absent").join("file");
        let error = write_private(&missing, b"x").unwrap_err();
        assert_eq!(error.path, missing);
        let _ = std::fs::remove_dir_all(dir);
    }
}
