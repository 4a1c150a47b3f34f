//! Renewing to new keys (`docs/protocol.md` §2.3): the identity makes a fresh Ed25519 and
//! X25519 pair, keeps it sealed beside the keys in use as the *next* keys, and asks for a
//! certificate for them with a request both pairs sign. When the organisation's certificate
//! for the next keys is installed, they become the keys in use and the old private keys
//! leave the identity (dropped, hence zeroized; the file, once rewritten, no longer holds
//! them).
//!
//! It must never swap to keys the installed certificate does not certify, never change
//! anything when the certificate is refused, and never make a second next pair while one
//! waits: the request for the waiting pair is given again instead, so a certificate the
//! organisation already signed still fits.

use super::{Identity, IdentityError};
use crate::crypto::certificate::Certificate;
use crate::crypto::keys::{DhSecret, SigningKey};
use crate::crypto::renewal::RenewalRequest;
use crate::protocol::b64;

/// Keys waiting for the organisation's certificate.
pub struct NextKeys {
    pub(super) signing: SigningKey,
    pub(super) dh: DhSecret,
}

/// What [`Identity::new_keys_request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKeysRequest {
    /// The renewal request, base64url, for `lifeline keys renew`.
    pub request: String,
    /// The short fingerprint of the next keys, to compare by phone.
    pub fingerprint: String,
    /// Whether the keys were made now (`false`: they were already waiting, the same request
    /// is given again). Only when `true` must the identity be written back.
    pub made: bool,
}

impl Identity {
    /// A renewal request for new keys, signed by the keys in use and by the new ones: made
    /// now, or the waiting pair's again.
    pub fn new_keys_request(&mut self) -> Result<NewKeysRequest, IdentityError> {
        let current = self.certificate.clone().ok_or(IdentityError::NotEnrolled)?;
        let made = self.next.is_none();
        let next = self.next.get_or_insert_with(|| NextKeys {
            signing: SigningKey::generate(),
            dh: DhSecret::generate(),
        });
        let request = RenewalRequest {
            current,
            x25519_public: next.dh.public(),
            ed25519_public: next.signing.public(),
        };
        let fingerprint =
            crate::registry::short_fingerprint(&next.dh.public().0, &next.signing.public().0);
        Ok(NewKeysRequest {
            request: b64::encode(&request.encode_signed(&self.signing, &next.signing)),
            fingerprint,
            made,
        })
    }

    /// The short fingerprint of keys waiting for a certificate, if any.
    pub fn next_fingerprint(&self) -> Option<String> {
        self.next.as_ref().map(|next| {
            crate::registry::short_fingerprint(&next.dh.public().0, &next.signing.public().0)
        })
    }

    /// `certificate` (verified by the caller) certifies the waiting keys for this identity's
    /// serial: they become the keys in use, the old ones are dropped. Otherwise nothing
    /// changes and the reason is returned.
    pub(super) fn swap_to_next(&mut self, certificate: &Certificate) -> Result<(), IdentityError> {
        let Some(next) = &self.next else {
            return Err(IdentityError::ForeignCertificate);
        };
        let body = certificate.body();
        if body.x25519_public != next.dh.public() || body.ed25519_public != next.signing.public() {
            return Err(IdentityError::NotNextKeys);
        }
        if self
            .certificate
            .as_ref()
            .is_some_and(|current| current.body().serial != body.serial)
        {
            return Err(IdentityError::NotNextKeys);
        }
        if let Some(next) = self.next.take() {
            // The old private keys are dropped here: both types zeroize on drop.
            self.signing = next.signing;
            self.dh = next.dh;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::enrolment::EnrolmentRequest;
    use crate::crypto::renewal::RenewalRequest;
    use crate::sealed::KdfParams;

    const CHEAP: KdfParams = crate::sealed::TEST_KDF;

    fn enrolled(org: &SigningKey, serial: u64) -> Identity {
        let mut identity = Identity::generate("Noor").unwrap();
        let request = b64::decode(&identity.enrolment_request().unwrap()).unwrap();
        let cert = EnrolmentRequest::decode_verified(&request)
            .unwrap()
            .certify(org, serial, 10, 1_000)
            .unwrap();
        identity
            .install_certificate(&b64::encode(cert.as_bytes()), org.public(), 100)
            .unwrap();
        identity
    }

    fn renew(org: &SigningKey, request: &str, not_after: u64) -> String {
        let bytes = b64::decode(request).unwrap();
        let request = RenewalRequest::decode_verified(&bytes, &org.public(), 100, None).unwrap();
        b64::encode(request.certify(org, 50, not_after).unwrap().as_bytes())
    }

    #[test]
    fn new_keys_wait_sealed_then_replace_the_old_ones_when_certified() {
        let org = SigningKey::generate();
        let mut identity = enrolled(&org, 104);
        let old_seed = *identity.signing.seed();
        let old_dh = *identity.dh.to_bytes();
        let asked = identity.new_keys_request().unwrap();
        assert!(asked.made);
        assert_eq!(identity.next_fingerprint(), Some(asked.fingerprint.clone()));
        assert_ne!(asked.fingerprint, identity.short_fingerprint());

        // Sealed and opened again: the waiting keys are still there, and asking again gives
        // the same keys, not a second pair.
        let text = identity.seal("a long passphrase", CHEAP).unwrap();
        assert!(text.starts_with("lifeline-console-identity v2\n"));
        let mut reopened = Identity::open(&text, "a long passphrase").unwrap();
        let again = reopened.new_keys_request().unwrap();
        assert!(!again.made);
        assert_eq!(again.fingerprint, asked.fingerprint);

        // A certificate for neither pair (another serial's, or a stranger's): nothing changes.
        let other = enrolled(&org, 105);
        let foreign = b64::encode(other.certificate().unwrap().as_bytes());
        assert!(matches!(
            reopened.install_certificate(&foreign, org.public(), 100),
            Err(IdentityError::NotNextKeys)
        ));
        assert_eq!(reopened.next_fingerprint(), Some(asked.fingerprint.clone()));

        let renewed = renew(&org, &again.request, 2_000);
        reopened
            .install_certificate(&renewed, org.public(), 100)
            .unwrap();
        assert_eq!(reopened.short_fingerprint(), asked.fingerprint);
        assert_eq!(reopened.next_fingerprint(), None);
        assert_eq!(reopened.certificate().unwrap().body().serial, 104);
        let plaintext = reopened.plaintext();
        let holds = |key: &[u8]| plaintext.windows(32).any(|w| w == key);
        assert!(
            !holds(&old_seed) && !holds(&old_dh),
            "the old keys are gone"
        );
        assert!(holds(reopened.signing.seed()));
    }

    #[test]
    fn a_version_1_identity_still_opens_and_is_rewritten_as_version_2() {
        let org = SigningKey::generate();
        let identity = enrolled(&org, 104);
        // Version 1's plaintext is version 2's without the empty sections at the end.
        let mut v1 = identity.plaintext();
        let v1_len = v1.len() - 2;
        v1.truncate(v1_len);
        let text =
            crate::sealed::seal(super::super::MAGIC_V1, &v1, "a long passphrase", CHEAP).unwrap();
        let opened = Identity::open(&text, "a long passphrase").unwrap();
        assert_eq!(opened.short_fingerprint(), identity.short_fingerprint());
        assert_eq!(opened.certificate(), identity.certificate());
        assert!(
            opened
                .seal("a long passphrase", CHEAP)
                .unwrap()
                .starts_with(super::super::MAGIC)
        );
    }
}
