//! A scan of every file under some folders for a private key lying unsealed. What counts,
//! for each of our file formats (docs/protocol.md §2.5):
//!
//! - A sealed key (`lifeline-sealed-key v1`), a console identity (`lifeline-console-identity
//!   v2`, or `v1` from before keys could wait for a renewal) or an inbox grant (`lifeline-inbox-grant v1`) is sealed if its first line says so
//!   and its body parses as that format (a file claiming the line over anything else is
//!   reported).
//! - Our plain key format (`keyfile::write_key`: one base64url line) is a private key when
//!   it decodes to exactly 32 bytes: an Ed25519 seed or an X25519 secret. Certificates and
//!   revocation lists use the same encoding but are longer, and no tool writes a bare 32-byte
//!   public key to a file.
//! - A PEM `PRIVATE KEY` block (the TLS key format) is a private key.
//! - Whatever the format (JSON, a registry line, a tip file, a log), a file holding one of
//!   the private keys the test knows, raw, in base64url, in padded base64 or in hex, holds
//!   it unsealed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use lifeline::protocol::b64;

/// The first lines of our sealed formats.
const SEALED: [&str; 4] = [
    lifeline::keyfile::SEALED_KEY_MAGIC,
    lifeline::console::identity::MAGIC,
    lifeline::console::identity::MAGIC_V1,
    lifeline::grants::GRANT_MAGIC,
];

/// Every file under `roots`, recursively.
pub fn files_under(roots: &[&Path]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = roots.iter().map(|r| r.to_path_buf()).collect();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("readable folder") {
                pending.push(entry.expect("entry").path());
            }
        } else if path.is_file() {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Whether `text`, which begins with a sealed format's first line, really is that format.
fn sealed_body_parses(magic: &str, text: &str) -> bool {
    if magic == lifeline::grants::GRANT_MAGIC {
        let bytes = text.lines().nth(1).and_then(|l| b64::decode(l.trim()));
        return bytes.is_some_and(|b| lifeline::crypto::inbox_grant::header(&b).is_ok());
    }
    lifeline::sealed::params_of(magic, text).is_ok()
}

/// The encodings a key may be written in.
fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        secret.to_vec(),
        b64::encode(secret).into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(secret)
            .into_bytes(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What is wrong with one file, if anything: `known` are the private keys the test holds,
/// each with a name for the report.
pub fn findings_in(path: &Path, known: &[(String, [u8; 32])]) -> Vec<String> {
    let bytes = std::fs::read(path).expect("readable file");
    let mut found = Vec::new();
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or_default();
    if let Some(magic) = SEALED.iter().find(|m| **m == first) {
        if !sealed_body_parses(magic, &text) {
            found.push(format!("{}: says `{magic}` but is not", path.display()));
        }
    } else if b64::decode(text.trim()).is_some_and(|k| k.len() == 32) {
        found.push(format!("{}: a bare 32-byte key, unsealed", path.display()));
    }
    if text.contains("PRIVATE KEY-----") {
        found.push(format!("{}: a PEM private key", path.display()));
    }
    for (name, secret) in known {
        if encodings(secret).iter().any(|e| contains(&bytes, e)) {
            found.push(format!("{}: holds {name}", path.display()));
        }
    }
    found
}

/// Every finding in every file under `roots`.
pub fn unsealed_keys(roots: &[&Path], known: &[(String, [u8; 32])]) -> Vec<String> {
    files_under(roots)
        .iter()
        .flat_map(|f| findings_in(f, known))
        .collect()
}
