//! The organisation's dated key work, as library functions on a given [`Clock`]: renewing a
//! coordinator's certificate, revoking serials, re-signing the revocation list. `lifeline
//! keys renew | revoke | publish-revocations` call them on the system clock; the month test
//! (`tests/month.rs`) calls them on its own, so forty days pass in seconds.
//!
//! Each records what it did in the registry and writes public files only (certificates, the
//! signed list). It must never write or print a private key, and never renew a certificate
//! that is expired, revoked (on the published list or in the registry) or not the
//! organisation's.

use crate::clock::Clock;
use crate::crypto::certificate::{Certificate, CertificateError, RevocationList};
use crate::crypto::keys::SigningKey;
use crate::crypto::renewal::RenewalRequest;
use crate::keyfile::{self, KeyError, KeyPaths};
use crate::protocol::b64;
use crate::registry::{self, RegistryError};

const DAY: u64 = 86_400;

/// Why the organisation's key work could not be done.
#[derive(Debug, thiserror::Error)]
pub enum KeysToolError {
    /// A key, certificate or list file could not be read or written.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The registry refused the event or could not be written.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The list in the key folder does not verify under the organisation key.
    #[error("revocation list: {0}")]
    List(CertificateError),
    /// The renewal request is not base64url.
    #[error("the request is not base64url")]
    NotBase64,
    /// The renewal request does not come from a certificate in force.
    #[error("renewal refused: {0}")]
    RenewalRefused(CertificateError),
    /// The renewed certificate could not be signed.
    #[error("signing: {0}")]
    Signing(CertificateError),
}

/// What a renewal issued.
pub struct Renewed {
    /// The new certificate: same serial and alias, a new expiry.
    pub certificate: Certificate,
    /// The short fingerprint of the keys it certifies (to compare when they are new).
    pub fingerprint: String,
    /// Whether the request asked for new keys.
    pub new_keys: bool,
}

/// Answers a console's renewal request (base64url) with a certificate valid for `days` from
/// now; records it in the registry and keeps a copy in `certificates/<serial>.cert`.
pub fn renew(
    org: &SigningKey,
    paths: &KeyPaths,
    request: &str,
    days: u64,
    clock: &Clock,
) -> Result<Renewed, KeysToolError> {
    let bytes = b64::decode(request.trim()).ok_or(KeysToolError::NotBase64)?;
    let now = clock.unix_s();
    let list = RevocationList::decode_verified(
        &keyfile::read_key(&paths.revocations())?,
        &org.public(),
        now,
        None,
    )
    .map_err(KeysToolError::List)?;
    let request = RenewalRequest::decode_verified(&bytes, &org.public(), now, Some(&list))
        .map_err(KeysToolError::RenewalRefused)?;
    let fingerprint =
        registry::short_fingerprint(&request.x25519_public.0, &request.ed25519_public.0);
    let not_after = now + days * DAY;
    let certificate = request
        .certify(org, now - 300, not_after)
        .map_err(KeysToolError::Signing)?;
    let serial = certificate.body().serial;
    registry::append(
        &registry::path(&paths.dir),
        &registry::Event::Renewed {
            serial,
            fingerprint: fingerprint.clone(),
            issued: now,
            expires: not_after,
        },
    )?;
    keyfile::write_key(&paths.issued_certificate(serial), certificate.as_bytes())?;
    Ok(Renewed {
        certificate,
        fingerprint,
        new_keys: !request.same_keys(),
    })
}

/// Adds `serials` to the list in the key folder (a missing or unreadable one counts as
/// empty), signs and writes it, and records each revocation in the registry.
pub fn revoke(
    org: &SigningKey,
    paths: &KeyPaths,
    serials: &[u64],
    clock: &Clock,
) -> Result<RevocationList, KeysToolError> {
    let current = keyfile::read_key(&paths.revocations())
        .ok()
        .and_then(|b| RevocationList::decode_verified(&b, &org.public(), 0, None).ok());
    let mut all = current
        .as_ref()
        .map(|l| l.serials().to_vec())
        .unwrap_or_default();
    all.extend(serials);
    let list = keyfile::publish_revocations(org, paths, &all, current.as_ref(), clock)?;
    let at = clock.unix_s();
    for &serial in serials {
        registry::append(
            &registry::path(&paths.dir),
            &registry::Event::Revoked { serial, at },
        )?;
    }
    Ok(list)
}

/// Re-signs the list in the key folder, same serials, issued now: what keeps widgets from
/// refusing it as too old.
pub fn republish(
    org: &SigningKey,
    paths: &KeyPaths,
    clock: &Clock,
) -> Result<RevocationList, KeysToolError> {
    let current = RevocationList::decode_verified(
        &keyfile::read_key(&paths.revocations())?,
        &org.public(),
        0,
        None,
    )
    .map_err(KeysToolError::List)?;
    Ok(keyfile::publish_revocations(
        org,
        paths,
        current.serials(),
        Some(&current),
        clock,
    )?)
}
