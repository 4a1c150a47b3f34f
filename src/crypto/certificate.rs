//! Organisation certificates and the signed revocation list (`docs/protocol.md` §2).
//!
//! The organisation's offline Ed25519 key signs one certificate per coordinator and one for
//! the tip inbox. The relay and the widget both check them against the pinned organisation
//! key; each way a certificate can be unacceptable has its own error.

use super::encoding::{DecodeError, Reader, Writer, check_display_text};
use super::keys::{DhPublicKey, OrgPublicKey, SigningKey};
use super::primitives::labelled;

/// The `version` byte of certificates and revocation lists (§2.1, §2.2).
pub const CERTIFICATE_VERSION: u8 = 1;
/// Domain label the organisation signs certificate bodies under (§2.1).
pub const CERTIFICATE_LABEL: &str = "lifeline v1 certificate";
/// Domain label the organisation signs revocation lists under (§2.2).
pub const REVOCATION_LABEL: &str = "lifeline v1 revocation list";
/// Longest alias a certificate may carry, in bytes of display text (§2.1).
pub const MAX_ALIAS_BYTES: usize = 64;
/// A list bigger than this is refused, so a forged length cannot make anyone allocate much.
pub const MAX_REVOKED: usize = 100_000;

/// What a certificate's keys may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A coordinator: its keys answer visitors' handshakes and authenticate to the relay (§2.1).
    Coordinator = 1,
    /// The tip inbox: its X25519 key is the HPKE recipient of sealed tips (§5).
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
    /// The bytes do not decode per §2.1/§2.2 (`malformed`, §2.4 step 0).
    #[error("malformed: {0}")]
    Malformed(DecodeError),
    /// The organisation signature does not verify under the pinned key (`wrong_signer`, §2.4).
    #[error("not signed by the pinned organisation key")]
    WrongSigner,
    /// `now` is at or past `not_after` (`expired`, §2.4).
    #[error("expired")]
    Expired,
    /// `now` is before `not_before` (`not_yet_valid`, §2.4).
    #[error("not yet valid")]
    NotYetValid,
    /// The serial is on the revocation list (`revoked`, §2.4).
    #[error("revoked")]
    Revoked,
    /// Certified for another role than the one expected (`wrong_role`, §2.4).
    #[error("certified for another role")]
    WrongRole,
    /// The revocation list is older than the reader's maximum age (§2.2).
    #[error("revocation list older than its maximum age")]
    StaleRevocationList,
}

/// The signed fields of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateBody {
    /// What the certified keys may be used for.
    pub role: Role,
    /// Unique per organisation: the coordinator's identity on the relay (§2.1).
    pub serial: u64,
    /// Start of validity, Unix seconds.
    pub not_before: u64,
    /// End of validity (exclusive), Unix seconds; after `not_before`.
    pub not_after: u64,
    /// Coordinator: its Noise static key; inbox: the HPKE recipient key (§2.1).
    pub x25519_public: DhPublicKey,
    /// Coordinator: its signing key for the handshake and relay auth (§3, §9.2).
    pub ed25519_public: OrgPublicKey,
    /// Display name shown to visitors and colleagues, 1–64 bytes (§2.1).
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
    /// The signed fields, as decoded.
    pub fn body(&self) -> &CertificateBody {
        &self.body
    }

    /// The organisation's Ed25519 signature over the labelled body (§2.1).
    pub fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// The wire form, `body || signature`, as sent in `auth` and Noise message 2.
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
    /// When the organisation signed the list, Unix seconds; bounds its age (§2.2).
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

    /// The wire form, as sent in `welcome` and `/v1/config` (§2.2).
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// When the organisation signed it (Unix seconds): a newer list replaces an older one.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The revoked serials, strictly ascending.
    pub fn serials(&self) -> &[u64] {
        &self.serials
    }

    /// Whether a certificate with this serial is revoked.
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
        let list = Self {
            issued_at,
            serials,
            encoded: bytes.to_vec(),
        };
        if max_age.is_some_and(|max_age| !list.within(now, max_age)) {
            return Err(CertificateError::StaleRevocationList);
        }
        Ok(list)
    }

    /// Whether a visitor still takes this list at `now`: no older than `max_age` seconds
    /// (§2.2; exactly `max_age` old is still taken).
    pub fn within(&self, now: u64, max_age: u64) -> bool {
        now.saturating_sub(self.issued_at) <= max_age
    }
}

// The message already includes the cause; kept out of `source` so `{:#}` prints it once.
impl From<DecodeError> for CertificateError {
    fn from(e: DecodeError) -> Self {
        CertificateError::Malformed(e)
    }
}
