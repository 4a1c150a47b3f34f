//! Installing a renewed certificate during a shift. The coordinator installs it into the
//! identity with `lifeline console --install-certificate` (in another terminal); the running
//! console sees the identity file change ([`IdentityWatch`]), says so, and at the next
//! unlock opens the identity with the passphrase just typed ([`renewed_certificate`]) and
//! sends the certificate on the live connection: conversations stay where they are.
//!
//! It must never keep the passphrase past that one read, and never use a certificate that
//! is not for the keys, serial and organisation this shift signed in with.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::identity::Identity;
use crate::crypto::certificate::Certificate;

/// Notices when the identity file is rewritten (a certificate was installed into it).
#[derive(Debug)]
pub struct IdentityWatch {
    path: PathBuf,
    modified: Option<SystemTime>,
    /// The certificate the shift signed in with, or last renewed to.
    current: Certificate,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl IdentityWatch {
    /// Watches the identity at `path` from its current state; `current` is the certificate
    /// in use.
    pub fn new(path: PathBuf, current: Certificate) -> Self {
        let modified = modified(&path);
        Self {
            path,
            modified,
            current,
        }
    }

    /// Opens the identity with `passphrase` and takes the certificate installed into it,
    /// if it renews the one in use (then it is the one in use).
    pub fn take_renewed(&mut self, passphrase: &str) -> Result<Certificate, String> {
        let next = renewed_certificate(&self.path, passphrase, &self.current)?;
        self.current = next.clone();
        Ok(next)
    }

    /// Whether the file changed since the last call (or since the watch started).
    pub fn changed(&mut self) -> bool {
        let now = modified(&self.path);
        if now.is_some() && now != self.modified {
            self.modified = now;
            return true;
        }
        false
    }
}

/// The certificate in the identity at `path`, if it renews `current`: the same serial and
/// keys, and a later expiry. The caller's relay connection checks it against the
/// organisation key before sending it.
pub fn renewed_certificate(
    path: &Path,
    passphrase: &str,
    current: &Certificate,
) -> Result<Certificate, String> {
    let identity = Identity::read_file(path, passphrase).map_err(|e| e.to_string())?;
    let installed = identity
        .certificate()
        .ok_or("the identity holds no certificate")?;
    let (now, next) = (current.body(), installed.body());
    if next.serial != now.serial
        || next.x25519_public != now.x25519_public
        || next.ed25519_public != now.ed25519_public
    {
        return Err("the installed certificate is for another identity: start again".into());
    }
    if next.not_after <= now.not_after {
        return Err("the installed certificate is not newer than the one in use".into());
    }
    Ok(installed.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::enrolment::EnrolmentRequest;
    use crate::crypto::keys::SigningKey;
    use crate::protocol::b64;
    use crate::sealed::KdfParams;

    const CHEAP: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn certify(identity: &Identity, org: &SigningKey, serial: u64, not_after: u64) -> String {
        let request = b64::decode(&identity.enrolment_request().unwrap_or_default());
        let request = EnrolmentRequest::decode_verified(&request.unwrap_or_default());
        let cert = request.and_then(|r| r.certify(org, serial, 10, not_after));
        b64::encode(
            cert.map(|c| c.as_bytes().to_vec())
                .unwrap_or_default()
                .as_slice(),
        )
    }

    #[test]
    fn the_watch_sees_a_rewrite_and_takes_only_a_newer_certificate_for_the_same_keys() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("console.identity");
        let org = SigningKey::generate();
        let mut identity = Identity::generate("Noor").unwrap_or_else(|e| panic!("{e}"));
        let install = |identity: &mut Identity, cert: &str| {
            identity
                .install_certificate(cert, org.public(), 100)
                .unwrap_or_else(|e| panic!("{e}"));
            identity
                .write_file(&path, "a long passphrase", CHEAP)
                .unwrap_or_else(|e| panic!("{e}"));
        };
        let cert = certify(&identity, &org, 104, 1_000);
        install(&mut identity, &cert);
        let current = identity.certificate().cloned().unwrap_or_else(|| panic!());
        let mut watch = IdentityWatch::new(path.clone(), current);
        assert!(!watch.changed());

        // Filesystems stamp times coarsely: make the rewrite visibly later.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let cert = certify(&identity, &org, 104, 2_000);
        install(&mut identity, &cert);
        assert!(watch.changed());
        assert!(!watch.changed(), "once per rewrite");
        assert!(
            watch
                .take_renewed("wrong passphrase")
                .is_err_and(|e| e.contains("wrong passphrase"))
        );
        let taken = watch.take_renewed("a long passphrase");
        assert_eq!(taken.map(|c| c.body().not_after), Ok(2_000));
        // The same one again is not newer than the one now in use.
        assert!(watch.take_renewed("a long passphrase").is_err());

        // Another serial for these keys (a fresh enrolment) is not a renewal.
        let cert = certify(&identity, &org, 105, 3_000);
        install(&mut identity, &cert);
        assert!(
            watch
                .take_renewed("a long passphrase")
                .is_err_and(|e| e.contains("another identity"))
        );
    }
}
