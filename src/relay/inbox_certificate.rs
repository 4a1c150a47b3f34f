//! The tip-inbox certificate this node serves, and how it changes while the relay runs: after
//! `lifeline keys rotate-inbox`, the organisation copies the new `inbox.cert` into the relay's
//! `data/keys/`, and the revocation watcher ([`super::revocations::watch`]) looks at it every
//! few seconds and on SIGHUP. Visitors are then served the newest certificate in
//! `/v1/config`, and the no-script path seals to it.
//!
//! A certificate is adopted only when it verifies under the organisation key as an inbox
//! certificate in force (signed, within its validity, not revoked) and starts later than the
//! one in use; anything else is refused with a log line and the current one kept. Each node
//! reads its own file (no sharing through Redis). Must never serve a certificate it did not
//! verify, nor go back to an older one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use super::revocations::changed;
use super::state::Relay;
use crate::crypto::certificate::{Certificate, Role};
use crate::keyfile;

/// The inbox certificate in use, and the file new ones come from.
pub struct InboxCertificate {
    current: RwLock<Arc<Certificate>>,
    file: PathBuf,
    /// The bytes last read from the file: an unchanged file is not verified (nor refused and
    /// logged) again every few seconds.
    seen: Mutex<Vec<u8>>,
}

impl InboxCertificate {
    /// Starts from the certificate loaded with the keys; `file` is where new ones are dropped.
    pub fn new(initial: Certificate, file: PathBuf) -> Self {
        Self {
            seen: Mutex::new(initial.as_bytes().to_vec()),
            current: RwLock::new(Arc::new(initial)),
            file,
        }
    }

    fn current(&self) -> Arc<Certificate> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Relay {
    /// The inbox certificate served to tipsters now: the newest verified one.
    pub fn inbox_certificate(&self) -> Arc<Certificate> {
        self.inbox_book.current()
    }

    /// Looks once at `inbox.cert` and adopts it if it is a newer inbox certificate in force.
    pub fn reload_inbox_certificate(&self) {
        let book = &self.inbox_book;
        let bytes = match keyfile::read_key(&book.file) {
            Ok(bytes) => bytes,
            Err(e) => {
                if changed(&book.seen, b"unreadable") {
                    tracing::warn!(reason = %e, "inbox certificate file unreadable; the current one is kept");
                }
                return;
            }
        };
        if !changed(&book.seen, &bytes) {
            return;
        }
        let offered = Certificate::decode_verified(
            &bytes,
            &self.keys.organisation,
            self.clock.unix_s(),
            Some(&self.revocations()),
            Role::TipInbox,
        );
        let mut current = book.current.write().unwrap_or_else(|p| p.into_inner());
        match offered {
            Ok(cert) if cert.body().not_before > current.body().not_before => {
                let days_left = cert.body().not_after.saturating_sub(self.clock.unix_s()) / 86_400;
                *current = Arc::new(cert);
                tracing::info!(
                    days_left,
                    "inbox certificate adopted: tipsters now seal to it"
                );
            }
            Ok(cert) if cert.as_bytes() == current.as_bytes() => {}
            Ok(_) => tracing::warn!(
                "inbox certificate refused: not newer than the one in use, which is kept"
            ),
            Err(e) => {
                tracing::warn!(reason = %e, "inbox certificate refused; the current one is kept")
            }
        }
    }
}
