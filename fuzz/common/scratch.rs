//! Scratch files for the targets that read through the real entry point, a file on disk:
//! one per fuzzing process and name, in memory where the system has a tmpfs. Never a path
//! that anything but this process writes.

use std::path::PathBuf;

/// This process's scratch file called `name`.
pub fn file(name: &str) -> PathBuf {
    let dir = ["/dev/shm", "/tmp"]
        .iter()
        .map(PathBuf::from)
        .find(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    dir.join(format!("lifeline-fuzz-{name}-{}", std::process::id()))
}
