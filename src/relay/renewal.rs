//! Checking a coordinator's certificate and challenge signature, at sign-in and again when a
//! signed-in coordinator installs a renewed certificate on its live connection
//! (`docs/protocol.md` §9.2): conversations stay where they are, and the connection's expiry
//! moves to the new `not_after`.
//!
//! A renewal may certify new keys: the new key signs the connection's challenge, proving
//! the connection holds it (as the old key proved at sign-in), and from then on the old
//! certificate is superseded ([`super::keys_in_use`]).
//!
//! It must never accept a renewal for another serial than the one signed in, nor one that
//! fails any check a sign-in would, nor one whose check could not be completed (the store
//! not answering: refused with 4013, to be tried again).

use std::sync::Arc;

use super::keys_in_use::KeysInUseError;
use super::state::Relay;
use crate::crypto::certificate::{Certificate, Role};
use crate::crypto::coordinator_auth::auth_message;
use crate::protocol::{Bytes, CloseCode, RelayFrame};

/// Why a certificate was not let in, and so how the connection is closed.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    /// The certificate or its signature does not pass (4006: sign in with another one).
    #[error("{0}")]
    Refused(String),
    /// The check could not be completed: the store did not answer (4013: try again).
    #[error("{0}")]
    Unchecked(KeysInUseError),
    /// A signature that is not 64 bytes: a malformed frame, refused as at parse (4001, §8.1).
    #[error("a signature of {0} bytes, not 64")]
    Malformed(usize),
}

impl Refusal {
    pub(super) fn close_code(&self) -> CloseCode {
        match self {
            Refusal::Refused(_) => CloseCode::AuthFailed,
            Refusal::Unchecked(_) => CloseCode::StoreUnavailable,
            Refusal::Malformed(_) => CloseCode::Malformed,
        }
    }
}

impl From<KeysInUseError> for Refusal {
    fn from(e: KeysInUseError) -> Self {
        match e {
            KeysInUseError::Superseded => Refusal::Refused(e.to_string()),
            KeysInUseError::Store(_) => Refusal::Unchecked(e),
        }
    }
}

/// Verifies `certificate` (§2.4: organisation key, now, the revocation list in use, role
/// coordinator), `signature` over the connection's challenge `nonce` by the certified key,
/// and that no renewal to new keys superseded it.
pub(super) async fn check_sign_in(
    relay: &Relay,
    certificate: &[u8],
    signature: &[u8],
    nonce: &[u8; 32],
) -> Result<Certificate, Refusal> {
    let signature =
        <[u8; 64]>::try_from(signature).map_err(|_| Refusal::Malformed(signature.len()))?;
    let organisation = &relay.keys.organisation;
    let cert = Certificate::decode_verified(
        certificate,
        organisation,
        relay.clock.unix_s(),
        Some(&relay.revocations()),
        Role::Coordinator,
    )
    .map_err(|e| Refusal::Refused(e.to_string()))?;
    let signed = cert.body().ed25519_public.verify(
        &auth_message(nonce, &organisation.fingerprint()),
        &signature,
    );
    if !signed {
        return Err(Refusal::Refused("bad challenge signature".into()));
    }
    relay.keys_in_use.check_and_record(cert.body()).await?;
    Ok(cert)
}

/// A second `auth` from coordinator `serial`: a renewed certificate. On success the roster
/// carries it, `authed` answers with its expiry, and that expiry is returned; refused, the
/// code the caller closes with (4006, or 4013 when the store did not answer).
pub(super) async fn renew(
    relay: &Arc<Relay>,
    serial: u64,
    nonce: &[u8; 32],
    certificate: Bytes,
    signature: &[u8],
) -> Result<u64, CloseCode> {
    let cert = match check_sign_in(relay, &certificate.0, signature, nonce).await {
        Ok(cert) if cert.body().serial == serial => cert,
        Ok(_) => {
            tracing::info!("certificate renewal refused: another serial");
            return Err(CloseCode::AuthFailed);
        }
        Err(reason) => {
            tracing::info!(%reason, "certificate renewal refused");
            return Err(reason.close_code());
        }
    };
    let body = cert.body();
    relay
        .live
        .with(|live| {
            let coordinator = live.coordinators.get_mut(&serial)?;
            coordinator.alias.clone_from(&body.alias);
            coordinator.certificate = certificate;
            coordinator.outbox.send(RelayFrame::Authed {
                alias: body.alias.clone(),
                serial,
                not_after: body.not_after,
                holds: Some(super::holds::of(&relay.config)),
            });
            Some(())
        })
        .ok_or(CloseCode::AuthFailed)?;
    tracing::info!("coordinator certificate renewed");
    Ok(body.not_after)
}
