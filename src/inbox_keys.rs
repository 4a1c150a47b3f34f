//! The organisation's tip-inbox keys over time (`docs/protocol.md` §2.5): `lifeline keys
//! rotate-inbox` makes a new inbox key and certificate, keeps every inbox key in
//! `inbox/<serial>.key` (sealed like `inbox.key`) and records the rotation in the registry;
//! [`keys_to_grant`] picks the keys a grant must carry: the current one, and each retired one
//! whose tips may still be stored (retired less than one retention period and a margin ago).
//!
//! Must never overwrite a kept key, never write an inbox key unsealed when the folder's keys
//! are sealed, and never hand out a retired key past its tips' retention and margin: that
//! bound is what a seized laptop can open.

use std::path::{Path, PathBuf};

use crate::clock::Clock;
use crate::crypto::certificate::{Certificate, CertificateError, Role};
use crate::crypto::keys::DhSecret;
use crate::fs::write_private;
use crate::grants::Opener;
use crate::keyfile::{self, KeyError, KeyPaths};
use crate::registry::{self, Event, RegistryError};
use crate::sealed::{self, KdfParams};

const DAY: u64 = 86_400;

/// How long a retired inbox key stays needed: the relay's `tips.retention_days`, and a margin
/// for tips still sealed to it after the rotation (a page opened before it, a relay not yet
/// given the new certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days a tip is kept (`tips.retention_days` of the relays).
    pub days: u64,
    /// Days added for tips sealed to the old key after its retirement.
    pub margin_days: u64,
}

impl Retention {
    /// The shipped relay configuration's 30 days, and a 3-day margin.
    pub const DEFAULT: Self = Self {
        days: 30,
        margin_days: 3,
    };

    fn seconds(self) -> u64 {
        self.days
            .saturating_add(self.margin_days)
            .saturating_mul(DAY)
    }
}

/// Why the inbox could not be rotated, or its keys gathered for a grant.
#[derive(Debug, thiserror::Error)]
pub enum InboxKeysError {
    /// A key or certificate could not be read or written (names the file).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The registry could not be read or appended to.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The current inbox certificate is not the organisation's.
    #[error("inbox.cert: {0}")]
    Certificate(#[from] CertificateError),
    /// The current `inbox.key` is not the key `inbox.cert` certifies.
    #[error("{0}: not the key inbox.cert certifies")]
    Mismatch(PathBuf),
    /// A kept inbox key with other contents is already there: nothing is overwritten.
    #[error("{0}: an older inbox key is kept there; refusing to overwrite it")]
    WouldOverwrite(PathBuf),
}

/// What a rotation made.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The new inbox certificate (also written to `inbox.cert`, for the relays).
    pub certificate: Certificate,
    /// The serial of the certificate it replaces (kept, retired from now on).
    pub replaces: u64,
    /// The new key's short fingerprint, as the registry records it.
    pub fingerprint: String,
}

fn passphrase(opener: &Opener) -> Option<&str> {
    opener.0.as_deref().map(String::as_str)
}

fn file_error(path: &Path, reason: impl ToString) -> KeyError {
    KeyError::File {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Writes `bytes` at `path` unless a file is there: identical contents are kept as they are,
/// other contents refused.
fn keep(path: &Path, bytes: &[u8]) -> Result<(), InboxKeysError> {
    match std::fs::read(path) {
        Ok(existing) if existing == bytes => return Ok(()),
        Ok(_) => return Err(InboxKeysError::WouldOverwrite(path.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(file_error(path, e).into()),
    }
    if let Some(parent) = path.parent() {
        crate::fs::create_private_dir(parent).map_err(|e| file_error(parent, e))?;
    }
    Ok(write_private(path, bytes).map_err(|e| file_error(path, e))?)
}

/// Replaces the inbox key with a new one certified for `days`: the current `inbox.key` and
/// `inbox.cert` are kept in `inbox/<serial>.*` first, the new pair written there and as the
/// current one, and the rotation appended to the registry (serial assigned there). The new key
/// is sealed with the opener's passphrase at the standard cost (plain only without one, which
/// opens only a plain current key: development keys). A wrong passphrase changes nothing.
pub fn rotate_inbox(
    opener: &Opener,
    paths: &KeyPaths,
    days: u64,
    clock: &Clock,
) -> Result<Rotated, InboxKeysError> {
    let pass = passphrase(opener);
    let org = keyfile::read_signing_key_with(&paths.organisation_key(), pass)?;
    let current = Certificate::decode(&keyfile::read_key(&paths.inbox_certificate())?)?;
    // Signer and role only: an expired inbox certificate is exactly what one rotates away.
    current.verify(
        &org.public(),
        current.body().not_before,
        None,
        Role::TipInbox,
    )?;
    let current_key = keyfile::read_dh_secret_with(&paths.inbox_key(), pass)?;
    if current_key.public() != current.body().x25519_public {
        return Err(InboxKeysError::Mismatch(paths.inbox_key()));
    }
    let key_text =
        std::fs::read(paths.inbox_key()).map_err(|e| file_error(&paths.inbox_key(), e))?;
    let replaces = current.body().serial;
    keep(&paths.kept_inbox_key(replaces), &key_text)?;
    keep(
        &paths.kept_inbox_certificate(replaces),
        &std::fs::read(paths.inbox_certificate())
            .map_err(|e| file_error(&paths.inbox_certificate(), e))?,
    )?;

    let book = registry::path(&paths.dir);
    let serial = registry::next_serial(&registry::load(&book)?).max(replaces.saturating_add(1));
    let (key, certificate) =
        keyfile::issue_inbox_after(&org, serial, days, clock, current.body().not_before)?;
    let new_text = match pass {
        Some(p) => sealed::seal(
            keyfile::SEALED_KEY_MAGIC,
            &key.to_bytes()[..],
            p,
            KdfParams::STANDARD,
        )
        .map_err(|e| file_error(&paths.kept_inbox_key(serial), e))?
        .into_bytes(),
        None => (crate::protocol::b64::encode(&key.to_bytes()[..]) + "\n").into_bytes(),
    };
    let cert_text = (crate::protocol::b64::encode(certificate.as_bytes()) + "\n").into_bytes();
    for path in [
        paths.kept_inbox_key(serial),
        paths.kept_inbox_certificate(serial),
    ] {
        if path.exists() {
            return Err(InboxKeysError::WouldOverwrite(path));
        }
    }
    keep(&paths.kept_inbox_key(serial), &new_text)?;
    keep(&paths.kept_inbox_certificate(serial), &cert_text)?;
    let body = certificate.body();
    let fingerprint = registry::short_fingerprint(&body.x25519_public.0, &body.ed25519_public.0);
    registry::append(
        &book,
        &Event::InboxRotated {
            serial,
            fingerprint: fingerprint.clone(),
            issued: clock.unix_s(),
            expires: body.not_after,
            replaces,
        },
    )?;
    // Only now the current pair changes: the old one is kept and the rotation recorded.
    write_private(&paths.inbox_key(), &new_text).map_err(|e| file_error(&paths.inbox_key(), e))?;
    write_private(&paths.inbox_certificate(), &cert_text)
        .map_err(|e| file_error(&paths.inbox_certificate(), e))?;
    Ok(Rotated {
        certificate,
        replaces,
        fingerprint,
    })
}

/// The inbox keys a grant made at `now` carries, newest first, each with until when it may
/// be used (`None`: the current key, until the grant ends): the current `inbox.key`, then
/// every key retired by a rotation less than `retention` ago, until its retirement plus
/// `retention`. Older keys are left out.
pub fn keys_to_grant(
    opener: &Opener,
    paths: &KeyPaths,
    retention: Retention,
    now: u64,
) -> Result<Vec<(DhSecret, Option<u64>)>, InboxKeysError> {
    let pass = passphrase(opener);
    let mut keys = vec![(
        keyfile::read_dh_secret_with(&paths.inbox_key(), pass)?,
        None,
    )];
    for event in registry::events(&registry::path(&paths.dir))?.iter().rev() {
        let Event::InboxRotated {
            issued, replaces, ..
        } = event
        else {
            continue;
        };
        let needed_until = issued.saturating_add(retention.seconds());
        if needed_until <= now {
            continue;
        }
        let key = keyfile::read_dh_secret_with(&paths.kept_inbox_key(*replaces), pass)?;
        if keys.iter().all(|(k, _)| k.public() != key.public()) {
            keys.push((key, Some(needed_until)));
        }
    }
    Ok(keys)
}
