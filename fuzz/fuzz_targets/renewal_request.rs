//! `crypto::renewal::RenewalRequest::decode_verified` (`docs/protocol.md` §2.3): a renewal
//! request, whose bytes the coordinator asking (or whoever hands the organisation a file)
//! chose. The organisation's tooling decodes it under its own key.
//!
//! Input: `mode u8 | rest`.
//! - Even mode: `rest` as a request, verified under the vectors' organisation key at the
//!   vectors' `NOW`. Only a genuinely signed request is accepted: the current certificate
//!   is then the vectors' coordinator certificate (nothing else the organisation signed is a
//!   coordinator's), and re-signing the decoded request with the current key and the known
//!   next key gives back exactly `rest` (Ed25519 is deterministic). A refusal other than
//!   `Malformed` means the layout was whole: version 1 and exactly `cert_len` bytes of
//!   certificate, 64 of keys and 128 of signatures.
//! - Odd mode: `next_seed [32] | next_x25519 [32] | now u64 | revoked u64 | flip u16`: a
//!   genuine request from the vectors' coordinator for fuzzer-chosen next keys, verified at
//!   `now` against a list revoking `revoked`. It is accepted exactly when the certificate is
//!   in force at `now` and not revoked, else refused with that typed reason, in the order
//!   of §2.4; what is accepted is the request itself, and the organisation's answer keeps
//!   serial and alias and certifies the next keys. With bit `flip` flipped it is refused.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::certificate::{Certificate, CertificateError, RevocationList, Role};
use lifeline::crypto::keys::{DhPublicKey, SigningKey};
use lifeline::crypto::renewal::RenewalRequest;
use lifeline::crypto::vectors::{NOW, coordinator_certificate, coordinator_keys, fixed, org_key};

static ORG: LazyLock<SigningKey> = LazyLock::new(org_key);
static CURRENT: LazyLock<Certificate> = LazyLock::new(coordinator_certificate);

/// The next signing keys the seeds use: the same key (a plain renewal), and a new one.
fn known_next_key(public: &[u8; 32]) -> Option<SigningKey> {
    let (same, _) = coordinator_keys();
    [same, SigningKey::from_seed(fixed(0x60))]
        .into_iter()
        .find(|k| &k.public().0 == public)
}

fn arbitrary_bytes(rest: &[u8]) {
    let org = ORG.public();
    match RenewalRequest::decode_verified(rest, &org, NOW, None) {
        Ok(request) => {
            assert_eq!(request.current, *CURRENT, "another certificate accepted");
            let next = known_next_key(&request.ed25519_public.0)
                .expect("a request signed by a key nobody holds was accepted");
            let (current_key, _) = coordinator_keys();
            assert_eq!(
                request.encode_signed(&current_key, &next),
                rest,
                "an accepted request is not the genuine encoding"
            );
        }
        Err(CertificateError::Malformed(_)) => {}
        Err(_) => {
            let whole = rest.len() >= 3 && rest[0] == 1 && {
                let cert_len = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
                rest.len() == 3 + cert_len + 64 + 128
            };
            assert!(whole, "a broken layout refused as other than Malformed");
        }
    }
}

fn genuine_request(args: &[u8]) {
    let Some((next_seed, rest)) = args.split_first_chunk::<32>() else {
        return;
    };
    let Some((next_x25519, rest)) = rest.split_first_chunk::<32>() else {
        return;
    };
    let Some((now, rest)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let Some((revoked, rest)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let Some((flip, _)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let (now, revoked) = (u64::from_be_bytes(*now), u64::from_be_bytes(*revoked));
    let next = SigningKey::from_seed(*next_seed);
    let request = RenewalRequest {
        current: CURRENT.clone(),
        x25519_public: DhPublicKey(*next_x25519),
        ed25519_public: next.public(),
    };
    let (current_key, current_dh) = coordinator_keys();
    let bytes = request.encode_signed(&current_key, &next);
    let list = RevocationList::sign(&ORG, NOW, &[revoked]);
    let body = CURRENT.body();
    let expected = if now < body.not_before {
        Err(CertificateError::NotYetValid)
    } else if now >= body.not_after {
        Err(CertificateError::Expired)
    } else if revoked == body.serial {
        Err(CertificateError::Revoked)
    } else {
        Ok(request.clone())
    };
    let org = ORG.public();
    assert_eq!(
        RenewalRequest::decode_verified(&bytes, &org, now, Some(&list)),
        expected
    );
    let Ok(decoded) = expected else {
        return;
    };
    assert_eq!(
        decoded.same_keys(),
        next.public() == current_key.public() && *next_x25519 == current_dh.public().0
    );
    let renewed = decoded
        .certify(&ORG, now, now + 14 * 86_400)
        .expect("a renewal is certified");
    let renewed_body = renewed.body();
    assert_eq!(
        (renewed_body.serial, &renewed_body.alias, renewed_body.role),
        (body.serial, &body.alias, Role::Coordinator)
    );
    assert_eq!(
        (renewed_body.x25519_public, renewed_body.ed25519_public),
        (request.x25519_public, request.ed25519_public)
    );
    renewed
        .verify(&org, now, None, Role::Coordinator)
        .expect("the renewed certificate verifies");

    let mut flipped = bytes;
    let bit = usize::from(u16::from_be_bytes(*flip)) % (flipped.len() * 8);
    flipped[bit / 8] ^= 1 << (bit % 8);
    assert!(
        RenewalRequest::decode_verified(&flipped, &org, now, None).is_err(),
        "a request with bit {bit} flipped was accepted"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        arbitrary_bytes(rest);
    } else {
        genuine_request(rest);
    }
});
