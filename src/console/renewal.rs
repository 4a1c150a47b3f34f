//! Installing a renewed certificate during a shift, the same in the terminal and at the
//! desk ([`Renewals`]: both loops call it, neither writes it). The coordinator installs it
//! into the identity with `lifeline console --install-certificate` (in another terminal);
//! the running shift sees the identity file change ([`IdentityWatch`]), says so, and at the
//! next unlock opens the identity with the passphrase just typed ([`renewed_certificate`])
//! and sends the certificate on the live connection: conversations stay where they are.
//! After a renewal to new keys the identity holds the new keys: the shift's connection
//! switches to them (§9.2). An inbox grant imported meanwhile (`--import-grant`) rewrites
//! the identity too: the same read hands the inbox keys it holds now to the shift
//! ([`Shift::take_granted`]), and a certificate left as it was is no renewal to refuse.
//!
//! It must never keep the passphrase past that one read, and never use a certificate that
//! is not for the serial and organisation this shift signed in with, nor one older than the
//! one in use.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use super::identity::Identity;
use super::renewed_keys::RenewedKeys;
use super::shift::{Command, Input, Notice, Reason, RenewalRefusal, Shift, TipKeys};
use crate::crypto::certificate::Certificate;

/// Notices when the identity file is rewritten (a certificate or a grant was installed).
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
    pub fn take_renewed(&mut self, passphrase: &str) -> Result<Renewed, Reason> {
        let next = renewed_certificate(&self.path, passphrase, &self.current)?;
        self.current = next.certificate().clone();
        Ok(next)
    }

    /// Opens the identity with `passphrase` once: its certificate if it renews the one in
    /// use (none if it is that one), and the inbox keys it holds. A certificate that is
    /// neither refuses the whole: nothing is taken from an identity that is not this shift's.
    pub fn take_changes(&mut self, passphrase: &str) -> Result<Changes, Reason> {
        let identity = Identity::read_file(&self.path, passphrase)
            .map_err(|e| refused(RenewalRefusal::DoesNotOpen, e.to_string()))?;
        let unchanged = identity
            .certificate()
            .is_some_and(|c| c.as_bytes() == self.current.as_bytes());
        let renewed = match unchanged {
            true => None,
            false => Some(renewal_in(&identity, &self.current)?),
        };
        if let Some(next) = &renewed {
            self.current = next.certificate().clone();
        }
        let granted = identity.organisation().and_then(|org| {
            // Every key with its end: the shift drops those past it on its own wall time.
            TipKeys::granted(org.fingerprint(), identity.granted_inbox_keys())
        });
        Ok(Changes { renewed, granted })
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

/// A shift's renewals, for whichever front end runs it: none with development keys.
#[derive(Debug, Default)]
pub struct Renewals {
    watch: Option<IdentityWatch>,
}

impl Renewals {
    /// Renewals of the identity `watch` looks at (`None`: development keys, nothing to renew).
    pub fn new(watch: Option<IdentityWatch>) -> Self {
        Self { watch }
    }

    /// Once a second: a rewritten identity file tells the shift a renewal is waiting.
    pub fn tick(&mut self, shift: &mut Shift, now: Instant) {
        if self.watch.as_mut().is_some_and(IdentityWatch::changed) {
            shift.handle(Input::IdentityRenewed, now);
        }
    }

    /// The shift's commands for the relay, with its `UseRenewed` (after the unlock that
    /// follows a rewrite of the identity) opened into the `Renew` it stands for, if any, and
    /// the identity's inbox keys handed to the shift; or dropped with the reason on the
    /// status line.
    pub fn resolve(&mut self, shift: &mut Shift, commands: Vec<Command>) -> Vec<Command> {
        commands
            .into_iter()
            .filter_map(|command| match command {
                Command::UseRenewed(passphrase) => {
                    let taken = self.watch.as_mut()?.take_changes(passphrase.text());
                    let renewed = taken.map(|changes| {
                        shift.take_granted(changes.granted);
                        changes.renewed
                    });
                    match renewed {
                        Ok(None) => None,
                        Ok(Some(Renewed::SameKeys(certificate))) => {
                            Some(Command::Renew(certificate))
                        }
                        Ok(Some(Renewed::NewKeys(keys))) => {
                            // The fingerprint shown is the keys' the connection switches to.
                            let files = keys.files();
                            shift.fingerprint = Some(crate::registry::short_fingerprint(
                                &files.dh.public().0,
                                &files.signing.public().0,
                            ));
                            Some(Command::RenewKeys(keys))
                        }
                        Err(reason) => {
                            shift.status = Notice::NotDone { reason };
                            None
                        }
                    }
                }
                other => Some(other),
            })
            .collect()
    }
}

fn refused(kind: RenewalRefusal, detail: impl Into<String>) -> Reason {
    Reason::Renewal {
        kind,
        detail: detail.into(),
    }
}

/// What a rewritten identity brings to the shift at the next unlock.
#[derive(Debug)]
pub struct Changes {
    /// A certificate renewing the one in use; `None` when it is still the one in use.
    pub renewed: Option<Renewed>,
    /// The inbox keys the identity holds, with their ends; `None` without any.
    pub granted: Option<TipKeys>,
}

/// What a renewal installed into the identity brings to the shift.
#[derive(Debug)]
pub enum Renewed {
    /// A later certificate for the keys in use.
    SameKeys(Certificate),
    /// A renewal to new keys: the identity's keys and their certificate now.
    NewKeys(RenewedKeys),
}

impl Renewed {
    /// The certificate it brings.
    pub fn certificate(&self) -> &Certificate {
        match self {
            Renewed::SameKeys(certificate) => certificate,
            Renewed::NewKeys(keys) => &keys.files().certificate,
        }
    }
}

/// The certificate in the identity at `path`, if it renews `current`: the same serial and
/// a later expiry, for the same keys or (after a renewal to new keys) the identity's new
/// ones, then issued after `current`. The caller's relay connection checks it against the
/// organisation key before sending it.
pub fn renewed_certificate(
    path: &Path,
    passphrase: &str,
    current: &Certificate,
) -> Result<Renewed, Reason> {
    let identity = Identity::read_file(path, passphrase)
        .map_err(|e| refused(RenewalRefusal::DoesNotOpen, e.to_string()))?;
    renewal_in(&identity, current)
}

/// The certificate in `identity`, if it renews `current` ([`renewed_certificate`]).
fn renewal_in(identity: &Identity, current: &Certificate) -> Result<Renewed, Reason> {
    let installed = identity
        .certificate()
        .ok_or_else(|| refused(RenewalRefusal::Missing, "the identity holds no certificate"))?;
    let (now, next) = (current.body(), installed.body());
    if next.serial != now.serial {
        return Err(refused(
            RenewalRefusal::AnotherIdentity,
            "the installed certificate is for another identity: start again",
        ));
    }
    let same_keys =
        next.x25519_public == now.x25519_public && next.ed25519_public == now.ed25519_public;
    if next.not_after <= now.not_after || (!same_keys && next.not_before < now.not_before) {
        return Err(refused(
            RenewalRefusal::NotNewer,
            "the installed certificate is not newer than the one in use",
        ));
    }
    if same_keys {
        return Ok(Renewed::SameKeys(installed.clone()));
    }
    let files = identity
        .coordinator_files()
        .map_err(|e| refused(RenewalRefusal::Missing, e.to_string()))?;
    Ok(Renewed::NewKeys(RenewedKeys::new(files)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::enrolment::EnrolmentRequest;
    use crate::crypto::keys::SigningKey;
    use crate::protocol::b64;
    use crate::sealed::KdfParams;

    const CHEAP: KdfParams = crate::sealed::TEST_KDF;

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
        assert!(watch.take_renewed("wrong passphrase").is_err_and(|e| {
            e.to_string().contains("wrong passphrase")
                && matches!(
                    e,
                    Reason::Renewal {
                        kind: RenewalRefusal::DoesNotOpen,
                        ..
                    }
                )
        }));
        let taken = watch.take_renewed("a long passphrase");
        assert_eq!(taken.map(|c| c.certificate().body().not_after), Ok(2_000));
        // The same one again is not newer than the one now in use.
        assert!(watch.take_renewed("a long passphrase").is_err());

        // Another serial for these keys (a fresh enrolment) is not a renewal.
        let cert = certify(&identity, &org, 105, 3_000);
        install(&mut identity, &cert);
        assert!(
            watch
                .take_renewed("a long passphrase")
                .is_err_and(|e| e.to_string().contains("another identity"))
        );
    }

    #[test]
    fn a_grant_imported_meanwhile_is_taken_without_a_renewal_to_refuse() {
        use crate::crypto::inbox_grant;
        use crate::crypto::keys::DhSecret;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("console.identity");
        let org = SigningKey::generate();
        let mut identity = Identity::generate("Noor").unwrap_or_else(|e| panic!("{e}"));
        let cert = certify(&identity, &org, 104, 1_000);
        identity
            .install_certificate(&cert, org.public(), 100)
            .unwrap_or_else(|e| panic!("{e}"));
        let current = identity.certificate().cloned().unwrap_or_else(|| panic!());
        let mut watch = IdentityWatch::new(path.clone(), current);

        // `--import-grant` in another terminal: the same certificate, an inbox key more.
        let inbox = DhSecret::generate();
        let recipient = current_key(&identity);
        let grant = inbox_grant::seal(
            &org.public().fingerprint(),
            &recipient,
            104,
            900,
            &[(&inbox, 900)],
            &mut rand_core::OsRng,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        identity
            .import_grant(&grant)
            .unwrap_or_else(|e| panic!("{e}"));
        identity
            .write_file(&path, "a long passphrase", CHEAP)
            .unwrap_or_else(|e| panic!("{e}"));
        let changes = watch
            .take_changes("a long passphrase")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            changes.renewed.is_none(),
            "nothing to renew, nothing refused"
        );
        let granted = changes.granted.unwrap_or_else(|| panic!("the inbox key"));
        assert_eq!(granted.organisation, org.public().fingerprint());
        assert_eq!(granted.inbox.len(), 1);
        assert_eq!(granted.inbox[0].0, Some(900));
        assert_eq!(granted.inbox[0].1.public(), inbox.public());
        assert!(watch.take_changes("wrong passphrase").is_err());

        // A renewal installed after it: both come in the one read.
        let cert = certify(&identity, &org, 104, 2_000);
        identity
            .install_certificate(&cert, org.public(), 100)
            .unwrap_or_else(|e| panic!("{e}"));
        identity
            .write_file(&path, "a long passphrase", CHEAP)
            .unwrap_or_else(|e| panic!("{e}"));
        let changes = watch
            .take_changes("a long passphrase")
            .unwrap_or_else(|e| panic!("{e}"));
        let renewed = changes.renewed.map(|r| r.certificate().body().not_after);
        assert_eq!(renewed, Some(2_000));
        assert!(changes.granted.is_some());
    }

    /// The X25519 key `identity`'s certificate certifies (grants are sealed to it).
    fn current_key(identity: &Identity) -> crate::crypto::keys::DhPublicKey {
        identity
            .certificate()
            .map(|c| c.body().x25519_public)
            .unwrap_or_else(|| panic!("enrolled"))
    }

    #[test]
    fn after_a_renewal_to_new_keys_the_watch_hands_over_the_new_keys_if_issued_later() {
        use crate::crypto::renewal::RenewalRequest;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("console.identity");
        let org = SigningKey::generate();
        let mut identity = Identity::generate("Noor").unwrap_or_else(|e| panic!("{e}"));
        let cert = certify(&identity, &org, 104, 1_000);
        identity
            .install_certificate(&cert, org.public(), 100)
            .unwrap_or_else(|e| panic!("{e}"));
        let current = identity.certificate().cloned().unwrap_or_else(|| panic!());
        let old_fingerprint = identity.short_fingerprint();
        let request = identity
            .new_keys_request()
            .unwrap_or_else(|e| panic!("{e}"));
        let renewal = |not_before: u64| {
            let bytes = b64::decode(&request.request).unwrap_or_default();
            RenewalRequest::decode_verified(&bytes, &org.public(), 100, None)
                .and_then(|r| r.certify(&org, not_before, 2_000))
                .map(|c| b64::encode(c.as_bytes()))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let install = |not_before: u64| {
            let mut renewed = Identity::open(
                &identity
                    .seal("a long passphrase", CHEAP)
                    .unwrap_or_default(),
                "a long passphrase",
            )
            .unwrap_or_else(|e| panic!("{e}"));
            renewed
                .install_certificate(&renewal(not_before), org.public(), 100)
                .unwrap_or_else(|e| panic!("{e}"));
            renewed
                .write_file(&path, "a long passphrase", CHEAP)
                .unwrap_or_else(|e| panic!("{e}"));
        };

        // Issued before the certificate in use: not a renewal of it.
        install(5);
        let mut watch = IdentityWatch::new(path.clone(), current);
        assert!(
            watch
                .take_renewed("a long passphrase")
                .is_err_and(|e| e.to_string().contains("not newer"))
        );
        install(50);
        match watch.take_renewed("a long passphrase") {
            Ok(Renewed::NewKeys(keys)) => {
                let files = keys.files();
                let shown = crate::registry::short_fingerprint(
                    &files.dh.public().0,
                    &files.signing.public().0,
                );
                assert_eq!(shown, request.fingerprint);
                assert_ne!(shown, old_fingerprint);
                assert_eq!(files.certificate.body().serial, 104);
            }
            other => panic!("{other:?}"),
        }
    }
}
