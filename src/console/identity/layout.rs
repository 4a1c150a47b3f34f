//! The identity's plaintext inside its sealed file (`docs/protocol.md` §2.5, "Console
//! identity"): version 2 is written, version 1 (before keys could wait for a renewal) still
//! reads.
//!
//! It must never leave a secret in a buffer that is not zeroized, nor read a layout loosely:
//! any byte this module would not have written is refused.

use zeroize::Zeroizing;

use super::{Identity, IdentityError, NextKeys};
use crate::crypto::certificate::Certificate;
use crate::crypto::inbox_grant::MAX_GRANT_KEYS;
use crate::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};

/// The first line of an identity file written today.
pub const MAGIC: &str = "lifeline-console-identity v2";
/// The first line of an identity file written before version 2; it still opens.
pub const MAGIC_V1: &str = "lifeline-console-identity v1";

/// Which layout a file's plaintext follows, from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    /// The inbox section only when keys were granted; no next keys.
    V1,
    /// The inbox section always (its count may be 0), then the next keys' section.
    V2,
}

impl Identity {
    pub(super) fn plaintext(&self) -> Zeroizing<Vec<u8>> {
        let mut p = Zeroizing::new(Vec::with_capacity(480));
        p.extend_from_slice(self.signing.seed());
        p.extend_from_slice(&self.dh.to_bytes()[..]);
        p.push(self.alias.len() as u8);
        p.extend_from_slice(self.alias.as_bytes());
        match &self.organisation {
            Some(org) => {
                p.push(1);
                p.extend_from_slice(&org.0);
            }
            None => p.push(0),
        }
        let cert = self
            .certificate
            .as_ref()
            .map(|c| c.as_bytes())
            .unwrap_or(&[]);
        p.extend_from_slice(&(cert.len() as u16).to_be_bytes());
        p.extend_from_slice(cert);
        p.push(self.inbox_keys.len() as u8);
        for (until, key) in &self.inbox_keys {
            p.extend_from_slice(&until.to_be_bytes());
            p.extend_from_slice(&key.to_bytes()[..]);
        }
        match &self.next {
            Some(next) => {
                p.push(1);
                p.extend_from_slice(next.signing.seed());
                p.extend_from_slice(&next.dh.to_bytes()[..]);
            }
            None => p.push(0),
        }
        p
    }

    pub(super) fn from_plaintext(p: &[u8], version: Version) -> Result<Self, IdentityError> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], IdentityError> {
            let slice = p.get(at..at + n).ok_or(IdentityError::Format)?;
            at += n;
            Ok(slice)
        };
        let key = |bytes: &[u8]| -> Result<[u8; 32], IdentityError> {
            bytes.try_into().map_err(|_| IdentityError::Format)
        };
        let seed = Zeroizing::new(key(take(32)?)?);
        let dh = Zeroizing::new(key(take(32)?)?);
        let alias_len = take(1)?[0] as usize;
        let alias = std::str::from_utf8(take(alias_len)?)
            .map_err(|_| IdentityError::Format)?
            .to_owned();
        let organisation = match take(1)?[0] {
            0 => None,
            1 => Some(OrgPublicKey(key(take(32)?)?)),
            _ => return Err(IdentityError::Format),
        };
        let len_bytes = take(2)?;
        let cert_len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
        let certificate = match cert_len {
            0 => None,
            n => Some(Certificate::decode(take(n)?)?),
        };
        // Version 1 wrote the inbox section only with keys; version 2 always, then the next
        // keys' flag.
        let count = match (version, take(1)) {
            (Version::V1, Err(_)) => None,
            (Version::V1, Ok([0])) => return Err(IdentityError::Format),
            (_, count) => Some(count?[0]),
        };
        let mut inbox_keys = Vec::new();
        if let Some(count) = count {
            // A grant holds at most `MAX_GRANT_KEYS`: any other count was not written here.
            if usize::from(count) > MAX_GRANT_KEYS {
                return Err(IdentityError::Format);
            }
            for _ in 0..count {
                let until: [u8; 8] = take(8)?.try_into().map_err(|_| IdentityError::Format)?;
                let secret = Zeroizing::new(key(take(32)?)?);
                inbox_keys.push((u64::from_be_bytes(until), DhSecret::from_bytes(*secret)));
            }
        }
        let next = match version {
            Version::V1 => None,
            Version::V2 => match take(1)?[0] {
                0 => None,
                1 => {
                    let seed = Zeroizing::new(key(take(32)?)?);
                    let dh = Zeroizing::new(key(take(32)?)?);
                    Some(NextKeys {
                        signing: SigningKey::from_seed(*seed),
                        dh: DhSecret::from_bytes(*dh),
                    })
                }
                _ => return Err(IdentityError::Format),
            },
        };
        if at != p.len() {
            return Err(IdentityError::Format);
        }
        let identity = Self {
            signing: SigningKey::from_seed(*seed),
            dh: DhSecret::from_bytes(*dh),
            alias,
            certificate,
            organisation,
            inbox_keys,
            next,
        };
        if let Some(body) = identity.certificate.as_ref().map(Certificate::body)
            && (body.x25519_public != identity.dh.public()
                || body.ed25519_public != identity.signing.public())
        {
            return Err(IdentityError::ForeignCertificate);
        }
        Ok(identity)
    }
}
