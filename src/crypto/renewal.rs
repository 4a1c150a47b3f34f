//! Renewal requests (`docs/protocol.md` §2.3): an enrolled coordinator asks for a fresh
//! certificate, signed by the identity the organisation already certified.
//!
//! The request carries the current certificate and the keys to certify next (the same ones,
//! or new ones). The current key signs it, so only the holder of a valid, unrevoked
//! certificate can ask; the next key signs it too, proving possession. The renewed
//! certificate keeps the serial and alias. It must never accept a request whose current
//! certificate is expired, revoked or not the organisation's, nor one missing either proof.

use super::certificate::{Certificate, CertificateError, RevocationList, Role};
use super::encoding::{DecodeError, Reader, Writer};
use super::keys::{DhPublicKey, OrgPublicKey, SigningKey};
use super::primitives::labelled;

/// The label both signatures of a renewal request cover.
pub const RENEWAL_LABEL: &str = "lifeline v1 renewal request";
const RENEWAL_VERSION: u8 = 1;

/// A coordinator's request to renew its certificate, for the keys it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalRequest {
    /// The certificate in use, whose key signed the request.
    pub current: Certificate,
    /// The Noise static key to certify next.
    pub x25519_public: DhPublicKey,
    /// The signing key to certify next.
    pub ed25519_public: OrgPublicKey,
}

impl RenewalRequest {
    fn body(&self) -> Vec<u8> {
        let cert = self.current.as_bytes();
        let mut w = Writer::new();
        w.u8(RENEWAL_VERSION)
            .u16(cert.len() as u16)
            .bytes(cert)
            .bytes(&self.x25519_public.0)
            .bytes(&self.ed25519_public.0);
        w.finish()
    }

    /// `version u8 | cert_len u16 | certificate | x25519 [32] | ed25519 [32] |
    ///  signature by the current key [64] | signature by the next key [64]`
    pub fn encode_signed(&self, current: &SigningKey, next: &SigningKey) -> Vec<u8> {
        let mut out = self.body();
        let message = labelled(RENEWAL_LABEL, &[&out]);
        out.extend_from_slice(&current.sign(&message));
        out.extend_from_slice(&next.sign(&message));
        out
    }

    /// Parses a request and checks, in order: the current certificate (§2.4 under `org` at
    /// `now`, against `revoked`, role coordinator), the current key's signature, then the
    /// next key's.
    pub fn decode_verified(
        bytes: &[u8],
        org: &OrgPublicKey,
        now: u64,
        revoked: Option<&RevocationList>,
    ) -> Result<Self, CertificateError> {
        let mut r = Reader::new(bytes);
        if r.u8("version")? != RENEWAL_VERSION {
            return Err(DecodeError::Invalid("version").into());
        }
        let cert_len = r.u16("certificate length")? as usize;
        let current = Certificate::decode(r.take(cert_len, "certificate")?)?;
        let x25519_public = DhPublicKey(r.array("x25519 key")?);
        let ed25519_public = OrgPublicKey(r.array("ed25519 key")?);
        let by_current: [u8; 64] = r.array("signature")?;
        let by_next: [u8; 64] = r.array("signature")?;
        r.finish()?;
        current.verify(org, now, revoked, Role::Coordinator)?;
        let request = Self {
            current,
            x25519_public,
            ed25519_public,
        };
        let message = labelled(RENEWAL_LABEL, &[&request.body()]);
        let current_key = request.current.body().ed25519_public;
        if !current_key.verify(&message, &by_current) || !ed25519_public.verify(&message, &by_next)
        {
            return Err(CertificateError::WrongSigner);
        }
        Ok(request)
    }

    /// Whether the request keeps the keys already certified.
    pub fn same_keys(&self) -> bool {
        let body = self.current.body();
        body.x25519_public == self.x25519_public && body.ed25519_public == self.ed25519_public
    }

    /// The organisation's answer: a certificate for the next keys, with the same serial and
    /// alias, valid over `not_before..not_after`.
    pub fn certify(
        &self,
        org: &SigningKey,
        not_before: u64,
        not_after: u64,
    ) -> Result<Certificate, CertificateError> {
        let mut body = self.current.body().clone();
        body.not_before = not_before;
        body.not_after = not_after;
        body.x25519_public = self.x25519_public;
        body.ed25519_public = self.ed25519_public;
        body.sign(org)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::certificate::CertificateBody;
    use crate::crypto::keys::DhSecret;

    fn certificate(org: &SigningKey, key: &SigningKey, not_after: u64) -> Certificate {
        CertificateBody {
            role: Role::Coordinator,
            serial: 104,
            not_before: 10,
            not_after,
            x25519_public: DhSecret::generate().public(),
            ed25519_public: key.public(),
            alias: "Noor".into(),
        }
        .sign(org)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn renewal_keeps_serial_and_alias_and_needs_both_signatures() {
        let org = SigningKey::generate();
        let key = SigningKey::generate();
        let current = certificate(&org, &key, 1_000);
        let next = SigningKey::generate();
        let request = RenewalRequest {
            current: current.clone(),
            x25519_public: DhSecret::generate().public(),
            ed25519_public: next.public(),
        };
        let bytes = request.encode_signed(&key, &next);
        let decoded = RenewalRequest::decode_verified(&bytes, &org.public(), 500, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!decoded.same_keys());
        let renewed = decoded
            .certify(&org, 900, 2_000)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(renewed.body().serial, 104);
        assert_eq!(renewed.body().alias, "Noor");
        assert_eq!(renewed.body().ed25519_public, next.public());
        renewed
            .verify(&org.public(), 1_500, None, Role::Coordinator)
            .unwrap_or_else(|e| panic!("{e}"));

        let verify = |b: &[u8], now: u64, list: Option<&RevocationList>| {
            RenewalRequest::decode_verified(b, &org.public(), now, list).err()
        };
        // Signed by someone else than the certified key, or without the next key's proof.
        let stranger = SigningKey::generate();
        assert_eq!(
            verify(&request.encode_signed(&stranger, &next), 500, None),
            Some(CertificateError::WrongSigner)
        );
        assert_eq!(
            verify(&request.encode_signed(&key, &stranger), 500, None),
            Some(CertificateError::WrongSigner)
        );
        // Expired or revoked: no renewal, enrol again.
        assert_eq!(verify(&bytes, 1_000, None), Some(CertificateError::Expired));
        let list = RevocationList::sign(&org, 400, &[104]);
        assert_eq!(
            verify(&bytes, 500, Some(&list)),
            Some(CertificateError::Revoked)
        );
        assert!(verify(&bytes[..bytes.len() - 1], 500, None).is_some());
        let other_org = SigningKey::generate();
        assert_eq!(
            RenewalRequest::decode_verified(&bytes, &other_org.public(), 500, None).err(),
            Some(CertificateError::WrongSigner)
        );
    }
}
