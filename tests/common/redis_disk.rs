//! Redis as production runs it, for tests that look at what reaches the disk: an
//! append-only file (fsync on every write) and, optionally, RDB snapshots, in a folder of the
//! test's own; and a scan of every file Redis wrote there.
//!
//! Strings are written uncompressed (`rdbcompression no`), so a byte search of the files
//! finds every value Redis keeps: a compressed copy would hide from the scan, not from a
//! forensic reader.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A `redis-server` writing to a folder of the test's own, stopped on drop.
pub struct DiskRedis {
    child: std::process::Child,
    pub url: String,
    dir: tempfile::TempDir,
}

impl DiskRedis {
    /// Append-only file on; with `snapshots`, an RDB snapshot rule too.
    pub fn start(snapshots: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let dir = tempfile::tempdir().expect("redis dir");
        let save = if snapshots { "3600 1" } else { "" };
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--save", save, "--rdbcompression", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            url: format!("redis://127.0.0.1:{port}/0"),
            dir,
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Which of `secrets` some file in Redis's folder holds, each as "file: secret".
    pub fn files_holding(&self, secrets: &[String]) -> Vec<String> {
        let mut found = Vec::new();
        for path in files_below(self.dir()) {
            let Ok(bytes) = std::fs::read(&path) else {
                continue; // removed by Redis between listing and reading
            };
            for secret in secrets {
                if contains(&bytes, secret.as_bytes()) {
                    let name = path.strip_prefix(self.dir()).unwrap_or(&path);
                    found.push(format!("{}: {secret}", name.display()));
                }
            }
        }
        found
    }

    /// The names of the files Redis wrote (to show that the scan saw some).
    pub fn file_names(&self) -> Vec<String> {
        files_below(self.dir())
            .iter()
            .filter_map(|p| Some(p.strip_prefix(self.dir()).ok()?.display().to_string()))
            .collect()
    }
}

impl Drop for DiskRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the store dump says of the sessions whose ids are `sessions` (hex): the ids
/// themselves and every long base64url value of their keys (the resume token's hash, the
/// handshake, the bodies of frames waiting in a buffer), but not the relay node they were on.
pub fn session_secrets(dump: &str, sessions: &[String]) -> Vec<String> {
    let mut secrets: Vec<String> = sessions.to_vec();
    // The store's generation is in every session record but is the store's, not the
    // session's: it rightly outlives them (protocol §9.5).
    let generation: Vec<&str> = dump
        .lines()
        .filter(|l| l.starts_with("ll:{generation}"))
        .filter_map(|l| l.split_once(' ').map(|(_, v)| v.trim()))
        .collect();
    for line in dump.lines() {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        // `:node` names the relay node, which outlives any one session.
        if !sessions.iter().any(|s| key.contains(s.as_str())) || key.ends_with(":node") {
            continue;
        }
        for token in value.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            if token.len() >= 16
                && !secrets.iter().any(|s| s == token)
                && !generation.contains(&token)
            {
                secrets.push(token.to_owned());
            }
        }
    }
    secrets
}

/// The session ids (hex) the store dump has keys of.
pub fn sessions_in(dump: &str) -> Vec<String> {
    let mut ids: Vec<String> = dump
        .lines()
        .filter_map(|l| Some(l.strip_prefix("ll:{")?.split_once('}')?.0.to_owned()))
        // `ll:{generation}` is the store's own (protocol §9.5), not a session's.
        .filter(|id| !id.starts_with("tip-") && id != "generation")
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

impl DiskRedis {
    /// Waits up to `within` until no file holds any of `secrets`; fails the test with what
    /// is left otherwise. Returns every file's content (lossy UTF-8), for further scans.
    pub async fn wait_until_files_forget(&self, secrets: &[String], within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = self.files_holding(secrets);
            if left.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still in Redis's files after {within:?}: {left:?} (files {:?})",
                self.file_names()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let files = files_below(self.dir());
        assert!(
            files
                .iter()
                .any(|f| f.to_string_lossy().contains("appendonly")),
            "the scan must see Redis's append-only file"
        );
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
