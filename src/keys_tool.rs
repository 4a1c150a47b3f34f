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
    /// The request comes from keys the serial was since renewed away from.
    #[error(
        "renewal refused: serial {0} was renewed to other keys since this request's certificate \
         (an old copy of the identity, or a request made before the change): only the keys the \
         registry names now may renew"
    )]
    Superseded(u64),
    /// The list in the key folder exists but does not verify: revoking on top of it would
    /// drop every serial it held.
    #[error(
        "{0}: the revocation list there does not verify ({1}); nothing was revoked. Restore it \
         from a backup, or run `lifeline keys publish-revocations`, which rebuilds it from the \
         registry's revocations"
    )]
    ListDamaged(std::path::PathBuf, CertificateError),
    /// The serial is a tip inbox's certificate, not a coordinator's.
    #[error(
        "serial {0} is the tip inbox's certificate, not a coordinator's: replace the inbox key \
         with `lifeline keys rotate-inbox` (revoking it would stop every widget sending tips)"
    )]
    InboxSerial(u64),
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
    let serial = request.current.body().serial;
    let signed_with = {
        let body = request.current.body();
        registry::short_fingerprint(&body.x25519_public.0, &body.ed25519_public.0)
    };
    let entries = registry::load(&registry::path(&paths.dir))?;
    if entries
        .iter()
        .any(|e| e.serial == serial && e.fingerprint != signed_with)
    {
        return Err(KeysToolError::Superseded(serial));
    }
    let fingerprint =
        registry::short_fingerprint(&request.x25519_public.0, &request.ed25519_public.0);
    let not_after = now + days * DAY;
    let certificate = request
        .certify(org, now - 300, not_after)
        .map_err(KeysToolError::Signing)?;
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

/// Adds `serials` to the list in the key folder, signs and writes it, and records each
/// revocation in the registry. The new list holds every serial the old one did and every one
/// the registry records revoked: a list file lost or damaged must never quietly un-revoke
/// anyone. A damaged one is refused (see [`republish`]); a missing one is rebuilt.
pub fn revoke(
    org: &SigningKey,
    paths: &KeyPaths,
    serials: &[u64],
    clock: &Clock,
) -> Result<RevocationList, KeysToolError> {
    let book = registry::path(&paths.dir);
    let inboxes = inbox_serials(&registry::events(&book)?);
    if let Some(&serial) = serials.iter().find(|s| inboxes.contains(s)) {
        return Err(KeysToolError::InboxSerial(serial));
    }
    let current = match current_list(org, paths)? {
        Ok(list) => list,
        Err(e) => return Err(KeysToolError::ListDamaged(paths.revocations(), e)),
    };
    let mut all = revoked_in_registry(&book)?;
    all.extend(current.iter().flat_map(|l| l.serials().iter().copied()));
    all.extend(serials);
    all.sort_unstable();
    all.dedup();
    let list = keyfile::publish_revocations(org, paths, &all, current.as_ref(), clock)?;
    let at = clock.unix_s();
    for &serial in serials {
        registry::append(&book, &registry::Event::Revoked { serial, at })?;
    }
    Ok(list)
}

/// The verified list in the key folder: `Ok(None)` if there is no file, `Err` inside if
/// there is one that does not verify.
fn current_list(
    org: &SigningKey,
    paths: &KeyPaths,
) -> Result<Result<Option<RevocationList>, CertificateError>, KeysToolError> {
    if !paths.revocations().exists() {
        return Ok(Ok(None));
    }
    let bytes = keyfile::read_key(&paths.revocations())?;
    Ok(RevocationList::decode_verified(&bytes, &org.public(), 0, None).map(Some))
}

/// Every serial the registry records revoked (known to it as issued or not).
fn revoked_in_registry(book: &std::path::Path) -> Result<Vec<u64>, KeysToolError> {
    Ok(registry::events(book)?
        .into_iter()
        .filter_map(|e| match e {
            registry::Event::Revoked { serial, .. } => Some(serial),
            _ => None,
        })
        .collect())
}

/// The serials tip inbox certificates were issued under: the first inbox's, and each
/// rotation's.
fn inbox_serials(events: &[registry::Event]) -> Vec<u64> {
    let rotated = events.iter().filter_map(|e| match e {
        registry::Event::InboxRotated { serial, .. } => Some(*serial),
        _ => None,
    });
    std::iter::once(registry::FIRST_INBOX_SERIAL)
        .chain(rotated)
        .collect()
}

/// What [`republish`] signed, and whether it had to rebuild the list from the registry.
pub struct Republished {
    /// The list written.
    pub list: RevocationList,
    /// Why the list in the folder could not be used, if it could not (it was rebuilt from
    /// the registry's revocations).
    pub rebuilt: Option<String>,
}

/// Re-signs the list in the key folder, issued now, with the same serials and any the
/// registry records revoked: what keeps widgets from refusing it as too old. A list missing or
/// damaged is rebuilt from the registry (and said so).
pub fn republish(
    org: &SigningKey,
    paths: &KeyPaths,
    clock: &Clock,
) -> Result<Republished, KeysToolError> {
    let (current, rebuilt) = match current_list(org, paths)? {
        Ok(Some(list)) => (Some(list), None),
        Ok(None) => (None, Some("there was none".to_owned())),
        Err(e) => (None, Some(format!("it did not verify ({e})"))),
    };
    let mut all = revoked_in_registry(&registry::path(&paths.dir))?;
    all.extend(current.iter().flat_map(|l| l.serials().iter().copied()));
    all.sort_unstable();
    all.dedup();
    let list = keyfile::publish_revocations(org, paths, &all, current.as_ref(), clock)?;
    Ok(Republished { list, rebuilt })
}

/// A date as `keys list` shows it, against `now` (Unix seconds): `today` within the past 24
/// hours (a revocation just made is not "0 days ago"), hours within the next 24 (a
/// certificate ending tonight is not "in 0 days"), else whole days.
pub fn days_from(at: u64, now: u64) -> String {
    let (days, past) = if at > now {
        ((at - now) / DAY, false)
    } else {
        ((now - at) / DAY, true)
    };
    match (days, past) {
        (0, true) => "today".to_owned(),
        (0, false) => format!("in {} h", (at - now).div_ceil(3600)),
        (1, false) => "in 1 day".to_owned(),
        (1, true) => "1 day ago".to_owned(),
        (d, false) => format!("in {d} days"),
        (d, true) => format!("{d} days ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_a_person_would_say_them() {
        let now = 1_000 * DAY;
        assert_eq!(days_from(now - 20 * 3600, now), "today");
        assert_eq!(days_from(now, now), "today", "just made");
        assert_eq!(days_from(now + 5 * 3600 + 1, now), "in 6 h");
        assert_eq!(days_from(now + DAY, now), "in 1 day");
        assert_eq!(days_from(now - 3 * DAY, now), "3 days ago");
    }
}
