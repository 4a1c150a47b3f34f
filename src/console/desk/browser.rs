//! Opening the coordinator's default browser on the launch address. The address holds the
//! one-time token, so it is not put on a command line (other users of the machine can read
//! command lines): it goes into a private file (0600, in a new 0700 folder) holding a
//! redirect, the browser opens that file, and the file is deleted once the token is used.
//!
//! It must never write anything but that file, and never leave it behind the token's use.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::crypto::keys::{hex, random_bytes};

/// Writes the redirect file for `url`; returns its folder (delete it with [`forget`]).
pub fn launch_file(url: &str) -> std::io::Result<(PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("lifeline-desk-{}", hex(&random_bytes::<8>())));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir)?;
    let file = dir.join("open.html");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&file)?;
    write!(
        out,
        "<!doctype html><meta charset=utf-8><meta name=referrer content=no-referrer>\
         <meta http-equiv=refresh content=\"0;url={url}\"><title>Lifeline desk</title>"
    )?;
    Ok((dir, file))
}

/// Removes the launch file's folder.
pub fn forget(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// Asks the system to open `path` in the default browser.
pub fn open(path: &Path) -> std::io::Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|mut child| {
            // Reaped off the loop: xdg-open may wait for the browser.
            std::thread::spawn(move || child.wait());
        })
}
