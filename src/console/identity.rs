//! The coordinator's identity at rest: an Ed25519 signing key, an X25519 static key, the
//! chosen alias, and once enrolled the organisation's certificate and public key, sealed in
//! one file with ChaCha20-Poly1305 under a key derived from a passphrase by Argon2id
//! (64 MiB, 3 passes), owner-only (0600), in the format every sealed file shares
//! ([`crate::sealed`]).
//!
//! File: the line `lifeline-console-identity v2` (v1 still opens), then base64url of
//! `m_kib u32 | t u32 | p u32 | salt [16] | nonce [12] | ciphertext` (big-endian), the
//! header bound as associated data; the plaintext's layout is [`layout`]'s. Keys waiting for
//! a renewal to new keys are [`next_keys`]'s; the tip-inbox keys granted into it, [`grants`]'.
//!
//! It must never write a secret unencrypted, never keep the passphrase, and never accept a
//! certificate that is not for exactly these keys.

mod grants;
mod layout;
mod next_keys;

use std::path::Path;

use layout::Version;
pub use layout::{MAGIC, MAGIC_V1};
pub use next_keys::{NewKeysRequest, NextKeys};

use crate::crypto::certificate::{Certificate, CertificateError, Role};
use crate::crypto::enrolment::EnrolmentRequest;
use crate::crypto::inbox_grant::GrantError;
use crate::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use crate::crypto::renewal::RenewalRequest;
use crate::fs::write_private_in_private_dirs;
use crate::keyfile::CoordinatorFiles;
use crate::protocol::b64;
pub use crate::sealed::KdfParams;
use crate::sealed::{self, SealError};

/// Shortest passphrase a new identity may be sealed under, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Why an identity could not be created, opened, enrolled or written.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the file failed: its path and the system's reason.
    #[error("{0}: {1}")]
    File(String, String),
    /// Creating an identity would overwrite the file at this path.
    #[error("{0} already exists; refusing to overwrite an identity")]
    Exists(String),
    /// The file is not a console identity: wrong first line, encoding or layout.
    #[error("not a console identity file")]
    Format,
    /// The passphrase is wrong or the file was altered (the AEAD does not open).
    #[error("wrong passphrase, or the identity file was altered")]
    Decrypt,
    /// A new passphrase is shorter than [`MIN_PASSPHRASE_CHARS`].
    #[error("passphrase too short: at least {MIN_PASSPHRASE_CHARS} characters")]
    WeakPassphrase,
    /// A shift needs a certificate the organisation has not issued yet.
    #[error("this identity has no certificate yet: enrol it first")]
    NotEnrolled,
    /// The offered certificate certifies other keys than this identity's.
    #[error("the certificate is not for this identity's keys")]
    ForeignCertificate,
    /// The offered certificate does not verify (§2.4 of `docs/protocol.md`).
    #[error("certificate")]
    Certificate(#[from] CertificateError),
    /// The offered certificate is not base64url.
    #[error("the certificate is not base64url")]
    Encoding,
    /// An inbox grant did not open (`docs/protocol.md` §2.5).
    #[error("{0}")]
    Grant(#[from] GrantError),
    /// The offered certificate is for neither the keys in use nor the new keys waiting for
    /// one (or for another serial).
    #[error(
        "the certificate is for neither this identity's keys nor its new keys waiting for a \
         certificate: nothing changed"
    )]
    NotNextKeys,
    /// The relay names another organisation key than the one pinned at enrolment.
    #[error("the relay's organisation key differs from the one this identity was enrolled with")]
    OrganisationMismatch,
    /// An inbox grant older than the keys held: it ends sooner and lacks the newest of them.
    #[error(
        "this grant ends {} UTC, before the inbox keys you hold (until {} UTC), and lacks \
         the newest of them: an older grant? Nothing changed; import the latest grant your \
         organisation sent",
        date(*.ends),
        date(*.held_until)
    )]
    OlderGrant {
        /// When the grant ends, Unix seconds.
        ends: u64,
        /// When the last of the keys held ends, Unix seconds.
        held_until: u64,
    },
}

fn date(unix: u64) -> String {
    super::tui::ui::date(unix)
}

/// A coordinator's unlocked keys and alias, and once enrolled its certificate and the
/// organisation key pinned with it.
pub struct Identity {
    signing: SigningKey,
    dh: DhSecret,
    /// The name visitors and colleagues see, as put in the enrolment request.
    pub alias: String,
    certificate: Option<Certificate>,
    organisation: Option<OrgPublicKey>,
    /// Tip-inbox keys granted by the organisation (§2.5), newest first, each with the
    /// Unix second its grant ends.
    inbox_keys: Vec<(u64, DhSecret)>,
    /// New keys waiting for the organisation's certificate (a renewal to new keys).
    next: Option<NextKeys>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Identity({:?}, enrolled: {}, new keys waiting: {})",
            self.alias,
            self.certificate.is_some(),
            self.next.is_some()
        )
    }
}

fn file_error(path: &Path, e: impl ToString) -> IdentityError {
    IdentityError::File(path.display().to_string(), e.to_string())
}

impl Identity {
    /// Fresh keys for a coordinator who will be known as `alias`.
    pub fn generate(alias: &str) -> Result<Self, IdentityError> {
        let identity = Self {
            signing: SigningKey::generate(),
            dh: DhSecret::generate(),
            alias: alias.trim().to_owned(),
            certificate: None,
            organisation: None,
            inbox_keys: Vec::new(),
            next: None,
        };
        // Checks the alias the way the organisation's tooling will.
        identity.enrolment_request()?;
        Ok(identity)
    }

    /// The enrolment request (`docs/protocol.md` §2.3), base64url, for `lifeline keys enrol`.
    pub fn enrolment_request(&self) -> Result<String, IdentityError> {
        let request = EnrolmentRequest {
            alias: self.alias.clone(),
            x25519_public: self.dh.public(),
            ed25519_public: self.signing.public(),
        };
        Ok(b64::encode(&request.encode_signed(&self.signing)?))
    }

    /// A renewal request (`docs/protocol.md` §2.3) for these same keys, base64url, for
    /// `lifeline keys renew`; it needs a certificate in force.
    pub fn renewal_request(&self) -> Result<String, IdentityError> {
        let current = self.certificate.clone().ok_or(IdentityError::NotEnrolled)?;
        let request = RenewalRequest {
            current,
            x25519_public: self.dh.public(),
            ed25519_public: self.signing.public(),
        };
        Ok(b64::encode(
            &request.encode_signed(&self.signing, &self.signing),
        ))
    }

    /// The organisation's certificate for these keys, once enrolled.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// The organisation key pinned when the certificate was installed.
    pub fn organisation(&self) -> Option<OrgPublicKey> {
        self.organisation
    }

    /// Installs the certificate the organisation returned (base64url). It must be a
    /// coordinator certificate signed by `organisation` for exactly these keys, or for the
    /// new keys waiting for one (then they replace these). On any error nothing changes.
    pub fn install_certificate(
        &mut self,
        certificate_b64: &str,
        organisation: OrgPublicKey,
        now: u64,
    ) -> Result<(), IdentityError> {
        if self
            .organisation
            .is_some_and(|pinned| pinned != organisation)
        {
            return Err(IdentityError::OrganisationMismatch);
        }
        let bytes = b64::decode(certificate_b64.trim()).ok_or(IdentityError::Encoding)?;
        let certificate =
            Certificate::decode_verified(&bytes, &organisation, now, None, Role::Coordinator)?;
        let body = certificate.body();
        if body.x25519_public != self.dh.public() || body.ed25519_public != self.signing.public() {
            self.swap_to_next(&certificate)?;
        }
        self.alias = body.alias.clone();
        self.certificate = Some(certificate);
        self.organisation = Some(organisation);
        Ok(())
    }

    /// The key set the relay client authenticates with.
    pub fn coordinator_files(&self) -> Result<CoordinatorFiles, IdentityError> {
        let certificate = self.certificate.clone().ok_or(IdentityError::NotEnrolled)?;
        Ok(CoordinatorFiles {
            signing: SigningKey::from_seed(*self.signing.seed()),
            dh: DhSecret::from_bytes(*self.dh.to_bytes()),
            certificate,
        })
    }

    /// The short fingerprint of these keys, as `lifeline keys enrol` prints it.
    pub fn short_fingerprint(&self) -> String {
        crate::registry::short_fingerprint(&self.dh.public().0, &self.signing.public().0)
    }

    /// Seals this identity into its file text (the shared format of [`crate::sealed`]).
    pub fn seal(&self, passphrase: &str, params: KdfParams) -> Result<String, IdentityError> {
        Ok(sealed::seal(MAGIC, &self.plaintext(), passphrase, params)?)
    }

    /// Opens file text sealed by [`Identity::seal`], or by a version 1 console.
    pub fn open(text: &str, passphrase: &str) -> Result<Self, IdentityError> {
        let (magic, version) = Self::version_of(text);
        Self::from_plaintext(&sealed::open(magic, text, passphrase)?, version)
    }

    fn version_of(text: &str) -> (&'static str, Version) {
        if sealed::is_sealed(MAGIC_V1, text) {
            (MAGIC_V1, Version::V1)
        } else {
            (MAGIC, Version::V2)
        }
    }

    /// Writes a new identity file (0600); refuses to replace an existing one.
    pub fn create_file(
        &self,
        path: &Path,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<(), IdentityError> {
        if path.exists() {
            return Err(IdentityError::Exists(path.display().to_string()));
        }
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(IdentityError::WeakPassphrase);
        }
        self.write_file(path, passphrase, params)
    }

    /// Rewrites the identity file (after installing a certificate).
    pub fn write_file(
        &self,
        path: &Path,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<(), IdentityError> {
        let text = self.seal(passphrase, params)?;
        write_private_in_private_dirs(path, text.as_bytes())
            .map_err(|e| file_error(&e.path, e.source))
    }

    /// Reads and decrypts the identity file at `path`.
    pub fn read_file(path: &Path, passphrase: &str) -> Result<Self, IdentityError> {
        let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
        Self::open(&text, passphrase)
    }

    /// The KDF cost the file at `path` was sealed with (to rewrite it at the same cost).
    pub fn file_params(path: &Path) -> Result<KdfParams, IdentityError> {
        let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
        Ok(sealed::params_of(Self::version_of(&text).0, &text)?)
    }
}

impl From<SealError> for IdentityError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Format => IdentityError::Format,
            SealError::Decrypt => IdentityError::Decrypt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::certificate::CertificateBody;
    fn now() -> u64 {
        crate::clock::Clock::system().unix_s()
    }

    const CHEAP: KdfParams = crate::sealed::TEST_KDF;

    fn certify(identity: &Identity, org: &SigningKey, serial: u64) -> String {
        let bytes = b64::decode(&identity.enrolment_request().unwrap()).unwrap();
        let request = EnrolmentRequest::decode_verified(&bytes).unwrap();
        let t = now();
        b64::encode(
            request
                .certify(org, serial, t - 60, t + 14 * 86_400)
                .unwrap()
                .as_bytes(),
        )
    }

    #[test]
    fn first_run_enrol_install_and_unlock_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.identity");
        let identity = Identity::generate("Amara (Lyon)").unwrap();
        identity
            .create_file(&path, "a long passphrase", CHEAP)
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Nothing secret and not the alias in clear on disk.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("Amara"));
        assert!(!text.contains(&b64::encode(identity.signing.seed())));

        let mut reopened = Identity::read_file(&path, "a long passphrase").unwrap();
        assert!(matches!(
            reopened.coordinator_files(),
            Err(IdentityError::NotEnrolled)
        ));
        let org = SigningKey::generate();
        let cert = certify(&reopened, &org, 101);
        reopened
            .install_certificate(&cert, org.public(), now())
            .unwrap();
        reopened
            .write_file(&path, "a long passphrase", CHEAP)
            .unwrap();

        let enrolled = Identity::read_file(&path, "a long passphrase").unwrap();
        assert_eq!(enrolled.alias, "Amara (Lyon)");
        assert_eq!(enrolled.organisation(), Some(org.public()));
        let files = enrolled.coordinator_files().unwrap();
        assert_eq!(files.certificate.body().serial, 101);
        assert_eq!(files.signing.public(), identity.signing.public());
        assert_eq!(files.dh.public(), identity.dh.public());
    }

    #[test]
    fn wrong_passphrase_and_tampering_are_refused() {
        let identity = Identity::generate("Bo").unwrap();
        let text = identity.seal("a long passphrase", CHEAP).unwrap();
        assert!(matches!(
            Identity::open(&text, "another passphrase"),
            Err(IdentityError::Decrypt)
        ));
        // Lowering the stored cost changes the derived key: refused, not weakened.
        let mut body = b64::decode(text.lines().nth(1).unwrap()).unwrap();
        body[7] ^= 1;
        let tampered = format!("{MAGIC}\n{}\n", b64::encode(&body));
        assert!(Identity::open(&tampered, "a long passphrase").is_err());
        assert!(matches!(
            Identity::open("something else\n", "a long passphrase"),
            Err(IdentityError::Format)
        ));
    }

    #[test]
    fn refuses_short_passphrases_and_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id");
        let identity = Identity::generate("Bo").unwrap();
        assert!(matches!(
            identity.create_file(&path, "short", CHEAP),
            Err(IdentityError::WeakPassphrase)
        ));
        identity.create_file(&path, "long enough!", CHEAP).unwrap();
        assert!(matches!(
            identity.create_file(&path, "long enough!", CHEAP),
            Err(IdentityError::Exists(_))
        ));
    }

    #[test]
    fn a_certificate_for_other_keys_or_another_organisation_is_refused() {
        let org = SigningKey::generate();
        let mut mine = Identity::generate("Amara").unwrap();
        let other = Identity::generate("Amara").unwrap();
        let foreign = certify(&other, &org, 7);
        assert!(matches!(
            mine.install_certificate(&foreign, org.public(), now()),
            Err(IdentityError::ForeignCertificate)
        ));
        let own = certify(&mine, &org, 8);
        assert!(matches!(
            mine.install_certificate(&own, SigningKey::generate().public(), now()),
            Err(IdentityError::Certificate(CertificateError::WrongSigner))
        ));
        // An inbox certificate is not a coordinator certificate.
        let t = now();
        let inbox = CertificateBody {
            role: Role::TipInbox,
            serial: 9,
            not_before: t - 60,
            not_after: t + 60,
            x25519_public: mine.dh.public(),
            ed25519_public: mine.signing.public(),
            alias: "Tip inbox".into(),
        }
        .sign(&org)
        .unwrap();
        assert!(
            mine.install_certificate(&b64::encode(inbox.as_bytes()), org.public(), t)
                .is_err()
        );
        assert!(mine.certificate().is_none());
    }

    #[test]
    fn the_standard_cost_is_argon2id_64_mib_3_passes() {
        assert_eq!(
            KdfParams::STANDARD,
            KdfParams {
                m_kib: 65_536,
                t: 3,
                p: 1
            }
        );
        let identity = Identity::generate("Bo").unwrap();
        let text = identity
            .seal("a long passphrase", KdfParams::STANDARD)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Identity::file_params(&path).unwrap(), KdfParams::STANDARD);
        assert_eq!(
            Identity::open(&text, "a long passphrase").unwrap().alias,
            "Bo"
        );
    }

    #[test]
    fn a_file_asking_for_an_absurd_kdf_cost_is_refused_before_any_allocation() {
        let identity = Identity::generate("Amara").unwrap();
        let text = identity.seal("a long passphrase", CHEAP).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut body = b64::decode(lines[1].trim()).unwrap();
        // 4 TiB of memory, as a tampered header would ask.
        body[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        lines[1] = b64::encode(&body);
        let started = std::time::Instant::now();
        assert!(matches!(
            Identity::open(&lines.join("\n"), "a long passphrase"),
            Err(IdentityError::Format)
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
