//! Keys at rest: base64url text files with owner-only (0600) rights, and the development
//! key set a first `lifeline serve` creates.
//!
//! The relay itself holds only public material: the organisation public key, the tip-inbox
//! certificate and the signed revocation list. Secret keys written here belong to the
//! organisation (offline in production) or to a development setup, which is marked as such
//! and refused on anything but a loopback address.

use std::path::{Path, PathBuf};

use crate::clock::Clock;
use crate::crypto::certificate::{
    Certificate, CertificateBody, CertificateError, RevocationList, Role,
};
use crate::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use crate::fs::{FsError, write_private, write_private_in_private_dirs};
use crate::protocol::b64;
use crate::sealed::{self, KdfParams};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
/// Why keys could not be read, written or trusted.
pub enum KeyError {
    #[error("{path}: {reason}")]
    /// A key file could not be read or written, or holds no key.
    File {
        /// The file or folder concerned.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    #[error(transparent)]
    /// A certificate or revocation list failed its checks.
    Certificate(#[from] CertificateError),
    #[error("development keys are refused on {0}: they only work on a loopback address")]
    /// Development keys on an address other than loopback.
    DevelopmentOnPublicAddress(String),
}

/// The file that marks a key folder as development keys.
pub const DEV_MARKER: &str = "DEVELOPMENT-KEYS-DO-NOT-USE-IN-PRODUCTION";
const DAY: u64 = 86_400;

fn file_error(path: &Path, reason: impl ToString) -> KeyError {
    KeyError::File {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn fs_error(e: FsError) -> KeyError {
    file_error(&e.path, e.source)
}

/// Writes `bytes` as a base64url line to an owner-only file, creating its folder.
pub fn write_key(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    write_private_in_private_dirs(path, (b64::encode(bytes) + "\n").as_bytes()).map_err(fs_error)
}

/// Reads the bytes of a base64url key file.
pub fn read_key(path: &Path) -> Result<Vec<u8>, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
    b64::decode(text.trim()).ok_or_else(|| file_error(path, "not base64url"))
}

/// First line of a sealed key file (`docs/protocol.md` §2.5).
pub const SEALED_KEY_MAGIC: &str = "lifeline-sealed-key v1";

/// Writes `bytes` sealed under `passphrase` ([`crate::sealed`]) to an owner-only file.
pub fn write_sealed_key(
    path: &Path,
    bytes: &[u8],
    passphrase: &str,
    params: KdfParams,
) -> Result<(), KeyError> {
    let text = sealed::seal(SEALED_KEY_MAGIC, bytes, passphrase, params)
        .map_err(|e| file_error(path, e))?;
    write_private_in_private_dirs(path, text.as_bytes()).map_err(fs_error)
}

/// Reads a key file, sealed or plain (development keys). A sealed one needs `passphrase`;
/// every failure names the file. Reading never changes the file.
pub fn read_key_with(
    path: &Path,
    passphrase: Option<&str>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| file_error(path, e))?);
    if !sealed::is_sealed(SEALED_KEY_MAGIC, &text) {
        return b64::decode(text.trim())
            .map(Zeroizing::new)
            .ok_or_else(|| file_error(path, "not base64url"));
    }
    let passphrase =
        // Only the keys tool opens a key without a passphrase at hand: name its flag.
        passphrase.ok_or_else(|| {
            file_error(
                path,
                "sealed: its passphrase is needed (give it with --passphrase-file <FILE>, the \
                 passphrase on the file's first line)",
            )
        })?;
    sealed::open(SEALED_KEY_MAGIC, &text, passphrase).map_err(|e| file_error(path, e))
}

fn read_32(path: &Path) -> Result<[u8; 32], KeyError> {
    read_key(path)?
        .try_into()
        .map_err(|_| file_error(path, "expected 32 bytes"))
}

/// Reads an Ed25519 signing key (its 32-byte seed).
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    Ok(SigningKey::from_seed(read_32(path)?))
}

fn read_32_with(path: &Path, passphrase: Option<&str>) -> Result<[u8; 32], KeyError> {
    read_key_with(path, passphrase)?[..]
        .try_into()
        .map_err(|_| file_error(path, "expected 32 bytes"))
}

/// Whether the key file at `path` is sealed (so opening it needs a passphrase).
pub fn is_sealed_key(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| sealed::is_sealed(SEALED_KEY_MAGIC, &t))
}

/// Reads an X25519 secret key, sealed (with `passphrase`) or plain.
pub fn read_dh_secret_with(path: &Path, passphrase: Option<&str>) -> Result<DhSecret, KeyError> {
    Ok(DhSecret::from_bytes(read_32_with(path, passphrase)?))
}

/// Reads an Ed25519 signing key, sealed (with `passphrase`) or plain.
pub fn read_signing_key_with(
    path: &Path,
    passphrase: Option<&str>,
) -> Result<SigningKey, KeyError> {
    Ok(SigningKey::from_seed(read_32_with(path, passphrase)?))
}

/// Reads an X25519 secret key (32 bytes).
pub fn read_dh_secret(path: &Path) -> Result<DhSecret, KeyError> {
    Ok(DhSecret::from_bytes(read_32(path)?))
}

/// The public material the relay serves and checks against.
#[derive(Debug, Clone)]
pub struct RelayKeys {
    /// The organisation key every certificate is checked against.
    pub organisation: OrgPublicKey,
    /// The tip inbox's certificate, served to tipsters.
    pub inbox: Certificate,
    /// The signed revocation list, served and applied to coordinators.
    pub revocations: RevocationList,
    /// Whether these are development keys.
    pub development: bool,
}

/// File names inside `<data_dir>/keys`.
pub struct KeyPaths {
    /// The `keys` folder.
    pub dir: PathBuf,
}

impl KeyPaths {
    /// The key folder of a data folder.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("keys"),
        }
    }
    /// The organisation's signing key (development only: in production it stays offline).
    pub fn organisation_key(&self) -> PathBuf {
        self.dir.join("organisation.key")
    }
    /// The tip inbox's secret key (development only: coordinators hold it).
    pub fn inbox_key(&self) -> PathBuf {
        self.dir.join("inbox.key")
    }
    /// The tip inbox's certificate.
    pub fn inbox_certificate(&self) -> PathBuf {
        self.dir.join("inbox.cert")
    }
    /// Where kept inbox keys and certificates lie; on a relay, the retired certificates only.
    pub fn kept_inbox_folder(&self) -> PathBuf {
        self.dir.join("inbox")
    }
    /// Inbox key `serial` as kept after `lifeline keys rotate-inbox` (sealed, never
    /// overwritten): every inbox key made since the first rotation, the current one too.
    pub fn kept_inbox_key(&self, serial: u64) -> PathBuf {
        self.kept_inbox_folder().join(format!("{serial}.key"))
    }
    /// The certificate of kept inbox key `serial`.
    pub fn kept_inbox_certificate(&self, serial: u64) -> PathBuf {
        self.kept_inbox_folder().join(format!("{serial}.cert"))
    }
    /// The certificate issued (or last renewed) to coordinator `serial`: public, kept so
    /// `lifeline keys grant-inbox --to <serial>` knows which key to seal to.
    pub fn issued_certificate(&self, serial: u64) -> PathBuf {
        self.dir.join("certificates").join(format!("{serial}.cert"))
    }
    /// The inbox grant made for coordinator `serial` (sealed to their key: safe to send).
    pub fn grant(&self, serial: u64) -> PathBuf {
        self.dir.join("grants").join(format!("{serial}.grant"))
    }
    /// The signed revocation list.
    pub fn revocations(&self) -> PathBuf {
        self.dir.join("revocations.list")
    }
    /// The development coordinator's key folder.
    pub fn dev_coordinator(&self) -> PathBuf {
        self.dir.join("dev-coordinator")
    }
    /// The file marking development keys.
    pub fn dev_marker(&self) -> PathBuf {
        self.dir.join(DEV_MARKER)
    }
}

/// A coordinator key set in a folder: `signing.key`, `dh.key`, `certificate`.
pub struct CoordinatorFiles {
    /// Signs the coordinator's sign-in and handshakes.
    pub signing: SigningKey,
    /// Its Noise static key.
    pub dh: DhSecret,
    /// Its certificate, signed by the organisation.
    pub certificate: Certificate,
}

impl CoordinatorFiles {
    /// A second copy of these keys (each zeroized when dropped), for a connection that
    /// must keep them while its owner keeps its own.
    pub fn copy(&self) -> Self {
        Self {
            signing: SigningKey::from_seed(*self.signing.seed()),
            dh: DhSecret::from_bytes(*self.dh.to_bytes()),
            certificate: self.certificate.clone(),
        }
    }

    /// Reads a coordinator key set from `dir`.
    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let certificate = Certificate::decode(&read_key(&dir.join("certificate"))?)?;
        Ok(Self {
            signing: read_signing_key(&dir.join("signing.key"))?,
            dh: read_dh_secret(&dir.join("dh.key"))?,
            certificate,
        })
    }
    /// A fresh coordinator key set whose certificate `org` signs, valid from an hour ago
    /// (clock skew) for `days`.
    pub fn issue(
        org: &SigningKey,
        serial: u64,
        alias: &str,
        days: u64,
        clock: &Clock,
    ) -> Result<Self, KeyError> {
        let signing = SigningKey::generate();
        let dh = DhSecret::generate();
        let now = clock.unix_s();
        let certificate = CertificateBody {
            role: Role::Coordinator,
            serial,
            not_before: now - 3600,
            not_after: now + days * DAY,
            x25519_public: dh.public(),
            ed25519_public: signing.public(),
            alias: alias.into(),
        }
        .sign(org)?;
        Ok(Self {
            signing,
            dh,
            certificate,
        })
    }

    /// Writes the key set to `dir`, each file owner-only.
    pub fn save(&self, dir: &Path) -> Result<(), KeyError> {
        write_key(&dir.join("signing.key"), self.signing.seed())?;
        write_key(&dir.join("dh.key"), &self.dh.to_bytes()[..])?;
        write_key(&dir.join("certificate"), self.certificate.as_bytes())
    }
}

/// Creates the tip-inbox key and its certificate and writes both, the key unsealed
/// (development keys; the `lifeline keys` tool seals it, see [`issue_inbox`]).
pub fn create_inbox(
    org: &SigningKey,
    paths: &KeyPaths,
    serial: u64,
    days: u64,
    clock: &Clock,
) -> Result<Certificate, KeyError> {
    let (inbox, cert) = issue_inbox(org, serial, days, clock)?;
    write_key(&paths.inbox_key(), &inbox.to_bytes()[..])?;
    write_key(&paths.inbox_certificate(), cert.as_bytes())?;
    Ok(cert)
}

/// A fresh tip-inbox key and its certificate, signed by the organisation; nothing written.
pub fn issue_inbox(
    org: &SigningKey,
    serial: u64,
    days: u64,
    clock: &Clock,
) -> Result<(DhSecret, Certificate), KeyError> {
    issue_inbox_after(org, serial, days, clock, 0)
}

/// [`issue_inbox`] for a certificate that replaces one starting at `predecessor_start`: it
/// starts an hour ago, or a second after its predecessor if that is later. Relays adopt only
/// an inbox certificate that starts later than the one they serve (`docs/protocol.md` §2.5),
/// so a rotation in the same second as the previous one would otherwise be refused.
pub fn issue_inbox_after(
    org: &SigningKey,
    serial: u64,
    days: u64,
    clock: &Clock,
    predecessor_start: u64,
) -> Result<(DhSecret, Certificate), KeyError> {
    let inbox = DhSecret::generate();
    let now = clock.unix_s();
    let cert = CertificateBody {
        role: Role::TipInbox,
        serial,
        not_before: (now - 3600).max(predecessor_start.saturating_add(1)),
        not_after: now + days * DAY,
        x25519_public: inbox.public(),
        ed25519_public: org.public(),
        alias: "Tip inbox".into(),
    }
    .sign(org)?;
    Ok((inbox, cert))
}

/// Signs a fresh revocation list holding `serials` and writes it. It is issued now, or a
/// second after `replaces` (the verified list it supersedes, which the caller has already
/// read) if that is later: relays and widgets adopt only a list issued later than the one
/// they hold, so a second revocation in the same second would otherwise be refused and its
/// coordinator stay trusted.
pub fn publish_revocations(
    org: &SigningKey,
    paths: &KeyPaths,
    serials: &[u64],
    replaces: Option<&RevocationList>,
    clock: &Clock,
) -> Result<RevocationList, KeyError> {
    let after = replaces.map_or(0, |list| list.issued_at().saturating_add(1));
    let list = RevocationList::sign(org, clock.unix_s().max(after), serials);
    write_key(&paths.revocations(), list.as_bytes())?;
    Ok(list)
}

/// Creates the development key set: organisation, tip inbox, one coordinator.
pub fn create_development_keys(paths: &KeyPaths, clock: &Clock) -> Result<(), KeyError> {
    let org = SigningKey::generate();
    write_key(&paths.organisation_key(), org.seed())?;
    write_private(
        &paths.dev_marker(),
        b"These keys were generated for development. Never deploy them.\n",
    )
    .map_err(fs_error)?;
    create_inbox(&org, paths, 1, 365, clock)?;
    publish_revocations(&org, paths, &[], None, clock)?;
    CoordinatorFiles::issue(&org, 100, "Dev coordinator", 30, clock)?.save(&paths.dev_coordinator())
}

/// Loads the relay's keys. With no configured organisation key, development keys are used
/// (and created on first start), but only when listening on loopback.
pub fn load_relay_keys(
    data_dir: &Path,
    organisation_public: &str,
    listen_is_loopback: bool,
    listen: &str,
    clock: &Clock,
) -> Result<(RelayKeys, bool), KeyError> {
    let paths = KeyPaths::new(data_dir);
    let mut created = false;
    let (organisation, development) = if organisation_public.is_empty() {
        if !listen_is_loopback {
            return Err(KeyError::DevelopmentOnPublicAddress(listen.to_owned()));
        }
        if !paths.organisation_key().exists() {
            create_development_keys(&paths, clock)?;
            created = true;
        }
        (read_signing_key(&paths.organisation_key())?.public(), true)
    } else {
        let bytes = b64::decode(organisation_public).and_then(|b| <[u8; 32]>::try_from(b).ok());
        let key = bytes.ok_or_else(|| {
            file_error(Path::new("config"), "keys.organisation_public is not a key")
        })?;
        if paths.dev_marker().exists() {
            return Err(file_error(
                &paths.dev_marker(),
                "development keys in a production data folder",
            ));
        }
        (OrgPublicKey(key), false)
    };
    let now = clock.unix_s();
    // Which file failed, and for a foreign signature which key it was checked against.
    let refused = |path: &Path, e: CertificateError| {
        let hint = match (&e, development) {
            (CertificateError::WrongSigner, false) => {
                " (checked against keys.organisation_public: is it the organisation's key, \
                 and the file the organisation's?)"
            }
            _ => "",
        };
        file_error(path, format!("{e}{hint}"))
    };
    let inbox = Certificate::decode_verified(
        &read_key(&paths.inbox_certificate())?,
        &organisation,
        now,
        None,
        Role::TipInbox,
    )
    .map_err(|e| refused(&paths.inbox_certificate(), e))?;
    let revocations =
        RevocationList::decode_verified(&read_key(&paths.revocations())?, &organisation, now, None)
            .map_err(|e| refused(&paths.revocations(), e))?;
    // A dev key set is re-signed on every start so its list never looks stale.
    let revocations = if development {
        publish_revocations(
            &read_signing_key(&paths.organisation_key())?,
            &paths,
            revocations.serials(),
            Some(&revocations),
            clock,
        )?
    } else {
        revocations
    };
    Ok((
        RelayKeys {
            organisation,
            inbox,
            revocations,
            development,
        },
        created,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams::CHEAP;

    #[test]
    fn a_sealed_key_opens_only_with_its_passphrase_and_every_failure_names_the_file() {
        let dir = std::env::temp_dir().join(format!("lifeline-sealed-{}", std::process::id()));
        let path = dir.join("organisation.key");
        let secret = [7u8; 32];
        write_sealed_key(&path, &secret, "correct horse battery", CHEAP).expect("written");
        let on_disk = std::fs::read(&path).expect("read");
        assert!(!String::from_utf8_lossy(&on_disk).contains(&b64::encode(&secret)));
        let opened = read_key_with(&path, Some("correct horse battery")).expect("opens");
        assert_eq!(&opened[..], &secret[..]);

        let named = |r: Result<Zeroizing<Vec<u8>>, KeyError>, why: &str| {
            let text = r.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(text.starts_with(&path.display().to_string()), "{text}");
            assert!(text.contains(why), "{text}");
        };
        named(
            read_key_with(&path, Some("wrong passphrase")),
            "wrong passphrase",
        );
        named(read_key_with(&path, None), "passphrase is needed");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            on_disk,
            "nothing changed"
        );

        let text = String::from_utf8_lossy(&on_disk).into_owned();
        std::fs::write(&path, &text[..text.len() / 2]).expect("truncate");
        named(
            read_key_with(&path, Some("correct horse battery")),
            "truncated",
        );

        // Development keys stay plain and readable without a passphrase.
        write_key(&path, &secret).expect("plain");
        assert_eq!(&read_key_with(&path, None).expect("plain")[..], &secret[..]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
