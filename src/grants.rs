//! The organisation's side of inbox grants: `lifeline keys grant-inbox --to <serial>` seals
//! the tip-inbox key(s) to the X25519 key of the certificate issued to that coordinator
//! (`certificates/<serial>.cert`, written at enrolment and renewal) into
//! `grants/<serial>.grant`, a file that is safe to send; and reading such a file back.
//!
//! It must never write an inbox key anywhere but inside a grant, and never grant to a
//! certificate that is expired, revoked or not the organisation's.

use std::path::{Path, PathBuf};

use rand_core::OsRng;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::crypto::certificate::{Certificate, CertificateError, RevocationList, Role};
use crate::crypto::inbox_grant::{self, GrantError, GrantHeader};
use crate::fs::write_private_in_private_dirs;
use crate::inbox_keys::{InboxKeysError, Retention, keys_to_grant};
use crate::keyfile::{self, KeyError, KeyPaths};
use crate::protocol::b64;

/// First line of a grant file (`docs/protocol.md` §2.5).
pub const GRANT_MAGIC: &str = "lifeline-inbox-grant v1";

/// The passphrase the organisation's keys are sealed with (`None`: development keys).
pub struct Opener(pub Option<Zeroizing<String>>);

/// Why a grant could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum GrantsError {
    /// A key, certificate or list could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The coordinator's certificate is not one to grant to.
    #[error("certificate of serial {serial}: {reason}")]
    Certificate {
        /// The serial asked for.
        serial: u64,
        /// Why it was refused.
        reason: CertificateError,
    },
    /// The grant could not be sealed.
    #[error(transparent)]
    Grant(#[from] GrantError),
    /// The inbox keys to grant could not be gathered.
    #[error(transparent)]
    Inbox(#[from] InboxKeysError),
    /// A grant file is not one, or is damaged: names the file.
    #[error("{path}: {reason}")]
    File {
        /// The grant file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// What `grant-inbox` made.
pub struct Made {
    /// Where the grant was written.
    pub path: PathBuf,
    /// What it names.
    pub header: GrantHeader,
}

/// Seals the inbox keys to coordinator `serial` until `days` from now (no later than their
/// certificate's expiry) into `grants/<serial>.grant`, with the shipped retention
/// ([`Retention::DEFAULT`]) and the system clock.
pub fn grant_inbox(
    opener: &Opener,
    paths: &KeyPaths,
    serial: u64,
    days: u64,
) -> Result<Made, GrantsError> {
    grant_inbox_at(
        opener,
        paths,
        serial,
        days,
        Retention::DEFAULT,
        &Clock::system(),
    )
}

/// [`grant_inbox`] at `clock`'s time, carrying the current inbox key and every retired one
/// still needed within `retention` ([`crate::inbox_keys::keys_to_grant`]), each named with
/// until when it may be used.
pub fn grant_inbox_at(
    opener: &Opener,
    paths: &KeyPaths,
    serial: u64,
    days: u64,
    retention: Retention,
    clock: &Clock,
) -> Result<Made, GrantsError> {
    let passphrase = opener.0.as_deref().map(String::as_str);
    let org = keyfile::read_signing_key_with(&paths.organisation_key(), passphrase)?;
    let now = clock.unix_s();
    let refused = |reason| GrantsError::Certificate { serial, reason };
    let list = RevocationList::decode_verified(
        &keyfile::read_key(&paths.revocations())?,
        &org.public(),
        now,
        None,
    )
    .map_err(refused)?;
    let certificate = Certificate::decode_verified(
        &keyfile::read_key(&paths.issued_certificate(serial))?,
        &org.public(),
        now,
        Some(&list),
        Role::Coordinator,
    )
    .map_err(refused)?;
    let until = (now + days * 86_400).min(certificate.body().not_after);
    let keys = keys_to_grant(opener, paths, retention, now)?;
    let grant = inbox_grant::seal(
        &org.public().fingerprint(),
        &certificate.body().x25519_public,
        serial,
        until,
        &keys
            .iter()
            .map(|(key, key_until)| (key, key_until.unwrap_or(until)))
            .collect::<Vec<_>>(),
        &mut OsRng,
    )?;
    let path = paths.grant(serial);
    write_grant(&path, &grant)?;
    let (header, _) = inbox_grant::header(&grant)?;
    Ok(Made { path, header })
}

fn write_grant(path: &Path, grant: &[u8]) -> Result<(), GrantsError> {
    let failed = |e: &dyn std::fmt::Display| GrantsError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let text = format!("{GRANT_MAGIC}\n{}\n", b64::encode(grant));
    write_private_in_private_dirs(path, text.as_bytes()).map_err(|e| failed(&e))
}

/// Reads a grant file's bytes; anything wrong names the file.
pub fn read_grant(path: &Path) -> Result<Vec<u8>, GrantsError> {
    let damaged = |reason: &str| GrantsError::File {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let text = std::fs::read_to_string(path).map_err(|e| damaged(&e.to_string()))?;
    let mut lines = text.lines();
    if lines.next() != Some(GRANT_MAGIC) {
        return Err(damaged("not an inbox grant"));
    }
    let bytes = lines
        .next()
        .and_then(|l| b64::decode(l.trim()))
        .ok_or_else(|| damaged("damaged: not base64url"))?;
    inbox_grant::header(&bytes).map_err(|e| damaged(&format!("damaged: {e}")))?;
    Ok(bytes)
}
