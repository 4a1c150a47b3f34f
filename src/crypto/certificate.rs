//! Organisation certificates and the signed revocation list (`docs/protocol.md` §2).
//!
//! The organisation's offline Ed25519 key signs one certificate per coordinator and one for
//! the tip inbox. The relay and the widget both check them against the pinned organisation
//! key; each way a certificate can be unacceptable has its own error.

use super::encoding::{DecodeError, Reader, Writer, check_display_text};
use super::keys::{DhPublicKey, OrgPublicKey, SigningKey};
use super::primitives::labelled;

pub const CERTIFICATE_VERSION: u8 = 1;
pub const CERTIFICATE_LABEL: &str = "lifeline v1 certificate";
pub const REVOCATION_LABEL: &str = "lifeline v1 revocation list";
pub const MAX_ALIAS_BYTES: usize = 64;
/// A list bigger than this is refused, so a forged length cannot make anyone allocate much.
pub const MAX_REVOKED: usize = 100_000;

/// What a certificate's keys may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Coordinator = 1,
    TipInbox = 2,
}

impl Role {
    fn from_byte(b: u8) -> Result<Self, DecodeError> {
        match b {
            1 => Ok(Role::Coordinator),
            2 => Ok(Role::TipInbox),
            _ => Err(DecodeError::Invalid("role")),
        }
    }
}

/// Why a certificate or revocation list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("malformed: {0}")]
    Malformed(DecodeError),
    #[error("not signed by the pinned organisation key")]
    WrongSigner,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("revoked")]
    Revoked,
    #[error("certified for another role")]
    WrongRole,
    #[error("revocation list older than its maximum age")]
    StaleRevocationList,
}

/// The signed fields of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBody {
    pub role: Role,
    pub serial: u64,
    pub not_before: u64,
    pub not_after: u64,
    pub x25519_public: DhPublicKey,
    pub ed25519_public: OrgPublicKey,
    pub alias: String,
}

impl CertificateBody {
    /// `version u8 | role u8 | serial u64 | not_before u64 | not_after u64 |
    ///  x25519 [32] | ed25519 [32] | alias_len u8 | alias`
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(CERTIFICATE_VERSION)
            .u8(self.role as u8)
            .u64(self.serial)
            .u64(self.not_before)
            .u64(self.not_after)
            .bytes(&self.x25519_public.0)
            .bytes(&self.ed25519_public.0)
            .u8(self.alias.len() as u8)
            .bytes(self.alias.as_bytes());
        w.finish()
    }

    /// Signs with the organisation key; the alias must be 1..=64 bytes of printable UTF-8.
    pub fn sign(self, org: &SigningKey) -> Result<Certificate, CertificateError> {
        check_display_text(&self.alias, MAX_ALIAS_BYTES, "alias")?;
        if self.not_after <= self.not_before {
            return Err(DecodeError::Invalid("validity window").into());
        }
        let body = self.encode();
        let signature = org.sign(&labelled(CERTIFICATE_LABEL, &[&body]));
        let mut encoded = body;
        encoded.extend_from_slice(&signature);
        Ok(Certificate {
            body: self,
            signature,
            encoded,
        })
    }
}

/// A certificate as it travels: body bytes followed by the organisation's 64-byte signature.
/// Its fields are read-only, so what `verify` checks is always what was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    body: CertificateBody,
    signature: [u8; 64],
    encoded: Vec<u8>,
}

impl Certificate {
    pub fn body(&self) -> &CertificateBody {
        &self.body
    }

    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// Parses without checking the signature; use [`Certificate::verify`] before trusting it.
    pub fn decode(bytes: &[u8]) -> Result<Self, CertificateError> {
        let mut r = Reader::new(bytes);
        if r.u8("version")? != CERTIFICATE_VERSION {
            return Err(DecodeError::Invalid("version").into());
        }
        let role = Role::from_byte(r.u8("role")?)?;
        let serial = r.u64("serial")?;
        let not_before = r.u64("not_before")?;
        let not_after = r.u64("not_after")?;
        // An empty or inverted window is no certificate at all, signed or not (§2.1).
        if not_after <= not_before {
            return Err(DecodeError::Invalid("validity window").into());
        }
        let x25519_public = DhPublicKey(r.array("x25519 key")?);
        let ed25519_public = OrgPublicKey(r.array("ed25519 key")?);
        let alias_len = r.u8("alias length")? as usize;
        let alias = std::str::from_utf8(r.take(alias_len, "alias")?)
            .map_err(|_| DecodeError::Invalid("alias"))?
            .to_owned();
        check_display_text(&alias, MAX_ALIAS_BYTES, "alias")?;
        let signature = r.array("signature")?;
        r.finish()?;
        let body = CertificateBody {
            role,
            serial,
            not_before,
            not_after,
            x25519_public,
            ed25519_public,
            alias,
        };
        Ok(Self {
            body,
            signature,
            encoded: bytes.to_vec(),
        })
    }

    /// Checks, in this order: signer, validity window at `now` (Unix seconds), revocation,
    /// role. Each failure has its own error so operators can tell them apart.
    pub fn verify(
        &self,
        org: &OrgPublicKey,
        now: u64,
        revoked: Option<&RevocationList>,
        role: Role,
    ) -> Result<(), CertificateError> {
        let body_len = self.encoded.len() - 64;
        if !org.verify(
            &labelled(CERTIFICATE_LABEL, &[&self.encoded[..body_len]]),
            &self.signature,
        ) {
            return Err(CertificateError::WrongSigner);
        }
        if now < self.body.not_before {
            return Err(CertificateError::NotYetValid);
        }
        if now >= self.body.not_after {
            return Err(CertificateError::Expired);
        }
        if revoked.is_some_and(|list| list.contains(self.body.serial)) {
            return Err(CertificateError::Revoked);
        }
        if self.body.role != role {
            return Err(CertificateError::WrongRole);
        }
        Ok(())
    }

    /// Decode and verify in one step.
    pub fn decode_verified(
        bytes: &[u8],
        org: &OrgPublicKey,
        now: u64,
        revoked: Option<&RevocationList>,
        role: Role,
    ) -> Result<Self, CertificateError> {
        let cert = Self::decode(bytes)?;
        cert.verify(org, now, revoked, role)?;
        Ok(cert)
    }
}

/// The organisation-signed list of revoked certificate serials, with its issue time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    pub issued_at: u64,
    serials: Vec<u64>,
    encoded: Vec<u8>,
}

impl RevocationList {
    /// `version u8 | issued_at u64 | count u32 | serial u64 × count (ascending, unique) | sig [64]`
    pub fn sign(org: &SigningKey, issued_at: u64, serials: &[u64]) -> Self {
        let mut serials = serials.to_vec();
        serials.sort_unstable();
        serials.dedup();
        let mut w = Writer::new();
        w.u8(CERTIFICATE_VERSION)
            .u64(issued_at)
            .u32(serials.len() as u32);
        for s in &serials {
            w.u64(*s);
        }
        let mut encoded = w.finish();
        let signature = org.sign(&labelled(REVOCATION_LABEL, &[&encoded]));
        encoded.extend_from_slice(&signature);
        Self {
            issued_at,
            serials,
            encoded,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    pub fn serials(&self) -> &[u64] {
        &self.serials
    }

    pub fn contains(&self, serial: u64) -> bool {
        self.serials.binary_search(&serial).is_ok()
    }

    /// Parses and checks the organisation's signature and, when `max_age` is given, that the
    /// list was issued no longer than that before `now`.
    pub fn decode_verified(
        bytes: &[u8],
        org: &OrgPublicKey,
        now: u64,
        max_age: Option<u64>,
    ) -> Result<Self, CertificateError> {
        let mut r = Reader::new(bytes);
        if r.u8("version")? != CERTIFICATE_VERSION {
            return Err(DecodeError::Invalid("version").into());
        }
        let issued_at = r.u64("issued_at")?;
        let count = r.u32("count")? as usize;
        if count > MAX_REVOKED || r.remaining() != count * 8 + 64 {
            return Err(DecodeError::Invalid("count").into());
        }
        let mut serials = Vec::with_capacity(count);
        for _ in 0..count {
            let serial = r.u64("serial")?;
            if serials.last().is_some_and(|last| *last >= serial) {
                return Err(DecodeError::Invalid("serial order").into());
            }
            serials.push(serial);
        }
        let signature: [u8; 64] = r.array("signature")?;
        r.finish()?;
        let body = &bytes[..bytes.len() - 64];
        if !org.verify(&labelled(REVOCATION_LABEL, &[body]), &signature) {
            return Err(CertificateError::WrongSigner);
        }
        if let Some(max_age) = max_age
            && now.saturating_sub(issued_at) > max_age
        {
            return Err(CertificateError::StaleRevocationList);
        }
        Ok(Self {
            issued_at,
            serials,
            encoded: bytes.to_vec(),
        })
    }
}

// The message already includes the cause; kept out of `source` so `{:#}` prints it once.
impl From<DecodeError> for CertificateError {
    fn from(e: DecodeError) -> Self {
        CertificateError::Malformed(e)
    }
}
