//! Running `lifeline keys` the way an organisation does: with a passphrase file, on its key
//! folder. Shared by the renewal, grant and month tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `lifeline keys --passphrase-file <passphrase> <args…> --dir <dir>`.
pub fn keys(passphrase: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .arg("keys")
        .arg("--passphrase-file")
        .arg(passphrase)
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .expect("runs")
}

/// What a command that must succeed printed.
pub fn printed(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The last line a command that must succeed printed: a key or certificate, base64url.
pub fn last_line(out: Output) -> String {
    printed(out)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned()
}
