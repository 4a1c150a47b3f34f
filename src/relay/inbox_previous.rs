//! The retired tip-inbox certificates this node also serves (§2.5, §9.10): after a rotation, a
//! returning tipster's browser needs the older inbox key to check replies sealed from it before
//! the rotation. The organisation copies `org-keys/inbox/*.cert` into `<data_dir>/keys/inbox/`;
//! the revocation watcher ([`super::revocations::watch`]) reads that folder with `inbox.cert`.
//!
//! A certificate is served only when it verifies exactly as the current one does (organisation
//! signature, in force, not revoked, role 2), is older than the current one, and was retired
//! (its successor began) less than `tips.retention_days` + [`MARGIN_DAYS`] ago: after that every
//! tip it could concern is deleted. Must never offer a retired certificate for sealing (tips and
//! follow-ups use [`Relay::inbox_certificate`] only), never serve one it did not verify, and
//! never read a private key (a `.key` file here is only warned about). A file it may not read is
//! reported as unreadable, not as a damaged certificate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use super::revocations::changed;
use super::state::Relay;
use crate::crypto::certificate::{Certificate, Role};
use crate::protocol::b64;

/// Days after the retention period a retired key may still matter: tips sealed to it by a page
/// opened before the rotation (the default of `grant-inbox --margin-days`).
pub const MARGIN_DAYS: u64 = 3;
/// At most this many retired certificates are served (a grant carries 16 keys at most).
pub const MAX_PREVIOUS: usize = 15;
const DAY: u64 = 86_400;

/// The retired inbox certificates served now, newest first, and the folder they come from.
pub struct PreviousInboxes {
    served: RwLock<Arc<Vec<Certificate>>>,
    folder: PathBuf,
    /// The folder's names and bytes last read: a refusal is logged once, not every tick.
    seen: Mutex<Vec<u8>>,
}

impl PreviousInboxes {
    /// Nothing served until the watcher first reads `folder`.
    pub fn new(folder: PathBuf) -> Self {
        Self {
            served: RwLock::new(Arc::new(Vec::new())),
            folder,
            seen: Mutex::new(Vec::new()),
        }
    }
}

/// One `*.cert` in the folder: its bytes, or why they could not be read. A file the relay's
/// user may not read is not a damaged certificate: saying "malformed" would send the operator
/// to copy the same file again, with the same rights.
#[derive(Debug)]
enum Found {
    Bytes(Vec<u8>),
    Unreadable(std::io::ErrorKind),
}

/// What to tell the operator about a file that could not be read.
fn unreadable_reason(kind: std::io::ErrorKind) -> String {
    match kind {
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: give it to the relay's user (chown)".to_owned()
        }
        other => other.to_string(),
    }
}

/// `(file name, contents)` of every `*.cert` in `folder`, by name; whether a `.key` lies there.
/// Text that is not base64url counts as no bytes, so it is refused as malformed. A folder
/// there is none of is empty; one the relay may not list is a single unreadable entry named
/// after it, so it is warned about like a file.
fn read_folder(folder: &Path) -> (Vec<(String, Found)>, bool) {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), false),
        Err(e) => {
            let name = folder.display().to_string();
            return (vec![(name, Found::Unreadable(e.kind()))], false);
        }
    };
    let mut files = Vec::new();
    let mut key_present = false;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".key") {
            key_present = true;
        } else if name.ends_with(".cert") {
            let found = match std::fs::read_to_string(entry.path()) {
                Ok(text) => Found::Bytes(b64::decode(text.trim()).unwrap_or_default()),
                Err(e) => Found::Unreadable(e.kind()),
            };
            files.push((name, found));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    (files, key_present)
}

impl Relay {
    /// The retired inbox certificates served with the current one, newest first: for checking
    /// replies only, never for sealing.
    pub fn previous_inbox_certificates(&self) -> Arc<Vec<Certificate>> {
        self.previous_inboxes
            .served
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reads `keys/inbox/` once and serves the retired certificates still within retention.
    pub fn reload_previous_inbox_certificates(&self) {
        let book = &self.previous_inboxes;
        let (files, key_present) = read_folder(&book.folder);
        let fingerprint: Vec<u8> = files
            .iter()
            .flat_map(|(name, found)| {
                let bytes = match found {
                    Found::Bytes(bytes) => bytes.clone(),
                    Found::Unreadable(kind) => format!("unreadable: {kind}").into_bytes(),
                };
                [name.as_bytes(), &[0], &bytes, &[0]].concat()
            })
            // A `.key` arriving beside unchanged certificates is a change too: warned about.
            .chain([u8::from(key_present)])
            .collect();
        let folder_changed = changed(&book.seen, &fingerprint);
        if folder_changed && key_present {
            tracing::warn!(folder = %book.folder.display(), "a private key file lies among the relay's retired inbox certificates: the relay needs the .cert files only; remove it");
        }
        let now = self.clock.unix_s();
        let revocations = self.revocations();
        let current = self.inbox_certificate();
        let mut kept: Vec<Certificate> = Vec::new();
        for (name, found) in files {
            let bytes = match found {
                Found::Bytes(bytes) => bytes,
                Found::Unreadable(kind) => {
                    if folder_changed {
                        tracing::warn!(file = %name, reason = %unreadable_reason(kind), "retired inbox certificate unreadable: not served");
                    }
                    continue;
                }
            };
            match Certificate::decode_verified(
                &bytes,
                &self.keys.organisation,
                now,
                Some(&revocations),
                Role::TipInbox,
            ) {
                Ok(cert) if cert.body().not_before < current.body().not_before => {
                    if !kept.iter().any(|k| k.as_bytes() == cert.as_bytes()) {
                        kept.push(cert);
                    }
                }
                // The current certificate (or a newer one not adopted yet) is not "previous".
                Ok(_) => {}
                Err(e) if folder_changed => {
                    tracing::warn!(file = %name, reason = %e, "retired inbox certificate refused: not served")
                }
                Err(_) => {}
            }
        }
        kept.sort_by_key(|c| std::cmp::Reverse(c.body().not_before));
        let window = (self.config.tips.retention_days + MARGIN_DAYS) * DAY;
        // Each was retired when the next newer one began.
        let successors: Vec<u64> = std::iter::once(current.body().not_before)
            .chain(kept.iter().map(|c| c.body().not_before))
            .collect();
        let served: Vec<Certificate> = kept
            .into_iter()
            .zip(successors)
            .filter(|(_, retired)| retired.saturating_add(window) > now)
            .map(|(cert, _)| cert)
            .take(MAX_PREVIOUS)
            .collect();
        let mut slot = book.served.write().unwrap_or_else(|p| p.into_inner());
        let serials =
            |certs: &[Certificate]| -> Vec<u64> { certs.iter().map(|c| c.body().serial).collect() };
        if serials(&served) != serials(&slot) {
            tracing::info!(
                serials = ?serials(&served),
                "retired inbox certificates served: tipsters can still check replies sealed before a rotation"
            );
        }
        *slot = Arc::new(served);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_certificate_the_relay_may_not_read_is_reported_as_such_not_as_malformed() {
        let dir = tempfile::tempdir().expect("dir");
        let locked = dir.path().join("1.cert");
        std::fs::write(&locked, "AAAA\n").expect("written");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        std::fs::write(dir.path().join("2.cert"), "not base64\n").expect("written");
        assert!(read_folder(&dir.path().join("none")).0.is_empty());
        let (files, key_present) = read_folder(dir.path());
        assert!(!key_present);
        assert!(
            matches!(&files[1], (name, Found::Bytes(b)) if name == "2.cert" && b.is_empty()),
            "{files:?}"
        );
        // A read error of any kind is reported as one, whoever runs the test: a folder
        // named like a certificate cannot be read even by root.
        let odd = tempfile::tempdir().expect("dir");
        std::fs::create_dir(odd.path().join("3.cert")).expect("folder");
        let (odd_files, _) = read_folder(odd.path());
        assert!(
            matches!(&odd_files[..], [(name, Found::Unreadable(_))] if name == "3.cert"),
            "{odd_files:?}"
        );
        // Root reads a file of mode 000 all the same (CI may run as root): the rest is for
        // the relay's own user.
        if std::fs::read(&locked).is_ok() {
            return;
        }
        assert!(
            matches!(&files[0], (name, Found::Unreadable(std::io::ErrorKind::PermissionDenied)) if name == "1.cert"),
            "{files:?}"
        );
        assert!(unreadable_reason(std::io::ErrorKind::PermissionDenied).contains("relay's user"));
        // A folder the relay may not list is warned about too, not taken for an empty one.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o000))
            .expect("chmod");
        let (files, _) = read_folder(dir.path());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        assert!(
            matches!(
                &files[..],
                [(_, Found::Unreadable(std::io::ErrorKind::PermissionDenied))]
            ),
            "{files:?}"
        );
    }
}
