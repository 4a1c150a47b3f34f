//! The three organisation-signed encodings on arbitrary bytes: `Certificate::decode` (and
//! `verify`), `RevocationList::decode_verified` and `EnrolmentRequest::decode_verified`.
//!
//! Checked: decoding is canonical (what decodes re-encodes to the same bytes), and nothing
//! but the genuinely signed objects of `lifeline::crypto::vectors` (and the enrolment
//! request this target makes itself) is ever accepted as signed: a success on any other
//! input would be a forged or malleable signature.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::certificate::{Certificate, RevocationList, Role};
use lifeline::crypto::encoding::check_display_text;
use lifeline::crypto::enrolment::EnrolmentRequest;
use lifeline::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use lifeline::crypto::vectors::{self, NOW, fixed, org_key};

struct Known {
    org: OrgPublicKey,
    signed: Vec<Vec<u8>>,
    enrolment: Vec<u8>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The enrolment request in this target's seed corpus.
fn enrolment_request() -> Vec<u8> {
    let signing = SigningKey::from_seed(fixed(0xc0));
    EnrolmentRequest {
        alias: "Noor (Marseille)".into(),
        x25519_public: DhSecret::from_bytes(fixed(0xd0)).public(),
        ed25519_public: signing.public(),
    }
    .encode_signed(&signing)
    .expect("valid request")
}

static KNOWN: LazyLock<Known> = LazyLock::new(|| {
    let v = vectors::certificates();
    let signed = [
        &v["coordinator"]["certificate"],
        &v["inbox"]["certificate"],
        &v["revocation_list"]["encoded"],
        &v["revocation_list_revoking_7"],
    ]
    .iter()
    .map(|h| unhex(h.as_str().expect("hex string")))
    .collect();
    Known {
        org: org_key().public(),
        signed,
        enrolment: enrolment_request(),
    }
});

fuzz_target!(|data: &[u8]| {
    let known = &*KNOWN;
    if let Ok(cert) = Certificate::decode(data) {
        assert_eq!(cert.as_bytes(), data);
        let mut canonical = cert.body().encode();
        canonical.extend_from_slice(cert.signature());
        assert_eq!(canonical, data, "a non-canonical certificate decoded");
        assert!(check_display_text(&cert.body().alias, 64, "alias").is_ok());
        for role in [Role::Coordinator, Role::TipInbox] {
            if cert.verify(&known.org, NOW, None, role).is_ok() {
                assert!(known.signed.iter().any(|k| k == data), "forged certificate");
            }
        }
    }
    if let Ok(list) = RevocationList::decode_verified(data, &known.org, NOW, None) {
        assert_eq!(list.as_bytes(), data);
        assert!(list.serials().windows(2).all(|w| w[0] < w[1]));
        assert!(
            known.signed.iter().any(|k| k == data),
            "forged revocation list"
        );
    }
    if let Ok(request) = EnrolmentRequest::decode_verified(data) {
        assert!(check_display_text(&request.alias, 64, "alias").is_ok());
        assert_eq!(data, &known.enrolment[..], "forged enrolment request");
    }
});
