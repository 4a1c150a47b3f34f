//! The keys a running shift switches to after a renewal to new keys (`docs/protocol.md`
//! §9.2): taken from the identity file once the organisation's certificate for them was
//! installed, handed to the relay connection as one command.
//!
//! It must never print or compare the private keys: its `Debug` shows the serial only, and
//! two are equal when their certificates are.

use std::sync::Arc;

use crate::keyfile::CoordinatorFiles;

/// A key set certified by a renewal to new keys, on its way to the relay connection.
#[derive(Clone)]
pub struct RenewedKeys(Arc<CoordinatorFiles>);

impl RenewedKeys {
    /// Wraps the key set the identity now holds.
    pub fn new(files: CoordinatorFiles) -> Self {
        Self(Arc::new(files))
    }

    /// The key set (its certificate, and the private keys to sign and answer with).
    pub fn files(&self) -> &CoordinatorFiles {
        &self.0
    }
}

impl std::fmt::Debug for RenewedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RenewedKeys(serial {})",
            self.0.certificate.body().serial
        )
    }
}

impl PartialEq for RenewedKeys {
    fn eq(&self, other: &Self) -> bool {
        self.0.certificate == other.0.certificate
    }
}
