//! Enrolment requests: what a coordinator's console prints for the organisation to certify.
//!
//! The request carries the coordinator's two public keys and chosen alias, signed with the
//! coordinator's own Ed25519 key to prove it holds it. It contains nothing secret.

use super::certificate::{Certificate, CertificateBody, CertificateError, MAX_ALIAS_BYTES, Role};
use super::encoding::{DecodeError, Reader, Writer, check_display_text};
use super::keys::{DhPublicKey, OrgPublicKey, SigningKey};
use super::primitives::labelled;

/// The label the enrolment request's self-signature covers.
pub const ENROLMENT_LABEL: &str = "lifeline v1 enrolment request";

#[derive(Debug, Clone, PartialEq, Eq)]
/// A would-be coordinator's request for a certificate, signed by its own key.
pub struct EnrolmentRequest {
    /// The alias they ask for.
    pub alias: String,
    /// Their Noise static key.
    pub x25519_public: DhPublicKey,
    /// Their signing key.
    pub ed25519_public: OrgPublicKey,
}

impl EnrolmentRequest {
    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(1)
            .bytes(&self.x25519_public.0)
            .bytes(&self.ed25519_public.0)
            .u8(self.alias.len() as u8)
            .bytes(self.alias.as_bytes());
        w.finish()
    }

    /// `version u8 | x25519 [32] | ed25519 [32] | alias_len u8 | alias | self-signature [64]`
    pub fn encode_signed(&self, coordinator: &SigningKey) -> Result<Vec<u8>, CertificateError> {
        check_display_text(&self.alias, MAX_ALIAS_BYTES, "alias")?;
        let mut out = self.body();
        out.extend_from_slice(&coordinator.sign(&labelled(ENROLMENT_LABEL, &[&out])));
        Ok(out)
    }

    /// Parses a request and checks its proof of possession.
    pub fn decode_verified(bytes: &[u8]) -> Result<Self, CertificateError> {
        let mut r = Reader::new(bytes);
        if r.u8("version")? != 1 {
            return Err(DecodeError::Invalid("version").into());
        }
        let x25519_public = DhPublicKey(r.array("x25519 key")?);
        let ed25519_public = OrgPublicKey(r.array("ed25519 key")?);
        let len = r.u8("alias length")? as usize;
        let alias = std::str::from_utf8(r.take(len, "alias")?)
            .map_err(|_| DecodeError::Invalid("alias"))?
            .to_owned();
        check_display_text(&alias, MAX_ALIAS_BYTES, "alias")?;
        let signature: [u8; 64] = r.array("signature")?;
        r.finish()?;
        let request = Self {
            alias,
            x25519_public,
            ed25519_public,
        };
        if !ed25519_public.verify(&labelled(ENROLMENT_LABEL, &[&request.body()]), &signature) {
            return Err(CertificateError::WrongSigner);
        }
        Ok(request)
    }

    /// The organisation's answer: a coordinator certificate for these keys.
    pub fn certify(
        self,
        org: &SigningKey,
        serial: u64,
        not_before: u64,
        not_after: u64,
    ) -> Result<Certificate, CertificateError> {
        CertificateBody {
            role: Role::Coordinator,
            serial,
            not_before,
            not_after,
            x25519_public: self.x25519_public,
            ed25519_public: self.ed25519_public,
            alias: self.alias,
        }
        .sign(org)
    }
}
