//! Organisation certificates, the signed revocation list and enrolment requests
//! (`docs/protocol.md` §2): what is accepted, and the one distinct error for each way a
//! certificate, list or request can be unacceptable.

use lifeline::crypto::certificate::{
    CERTIFICATE_LABEL, CERTIFICATE_VERSION, Certificate, CertificateBody, CertificateError,
    MAX_ALIAS_BYTES, MAX_REVOKED, REVOCATION_LABEL, RevocationList, Role,
};
use lifeline::crypto::encoding::DecodeError;
use lifeline::crypto::enrolment::{ENROLMENT_LABEL, EnrolmentRequest};
use lifeline::crypto::handshake::{CoordinatorHandshake, CoordinatorIdentity, VisitorHandshake};
use lifeline::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use lifeline::crypto::labelled;
use lifeline::crypto::vectors::{
    NOW, SESSION_ID, coordinator_certificate, coordinator_keys, fixed, org_key,
};
use proptest::prelude::*;

const DAY: u64 = 86_400;

fn org() -> OrgPublicKey {
    org_key().public()
}

fn other_org() -> SigningKey {
    SigningKey::from_seed(fixed(0x99))
}

fn body() -> CertificateBody {
    coordinator_certificate().body().clone()
}

fn malformed(e: DecodeError) -> CertificateError {
    CertificateError::Malformed(e)
}

/// Byte offsets in an encoded certificate (`CertificateBody::encode`).
const OFF_ROLE: usize = 1;
const OFF_SERIAL: usize = 2;
const OFF_NOT_AFTER: usize = 18;
const OFF_ALIAS_LEN: usize = 90;
const OFF_ALIAS: usize = 91;

/// Encodes a certificate body by hand, with any alias bytes (even ones `sign` refuses),
/// and signs it properly with `org`: decoding must refuse such a certificate on its own
/// merits, not because the signature fails.
fn hand_signed(version: u8, role: u8, alias_len: u8, alias: &[u8], org: &SigningKey) -> Vec<u8> {
    let b = body();
    let mut out = vec![version, role];
    out.extend_from_slice(&b.serial.to_be_bytes());
    out.extend_from_slice(&b.not_before.to_be_bytes());
    out.extend_from_slice(&b.not_after.to_be_bytes());
    out.extend_from_slice(&b.x25519_public.0);
    out.extend_from_slice(&b.ed25519_public.0);
    out.push(alias_len);
    out.extend_from_slice(alias);
    let sig = org.sign(&labelled(CERTIFICATE_LABEL, &[&out]));
    out.extend_from_slice(&sig);
    out
}

/// A revocation list encoded by hand (serials in the given order, count as given), signed
/// properly with `org`.
fn hand_signed_list(version: u8, issued_at: u64, count: u32, serials: &[u64]) -> Vec<u8> {
    let mut out = vec![version];
    out.extend_from_slice(&issued_at.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    for s in serials {
        out.extend_from_slice(&s.to_be_bytes());
    }
    let sig = org_key().sign(&labelled(REVOCATION_LABEL, &[&out]));
    out.extend_from_slice(&sig);
    out
}

fn check(bytes: &[u8]) -> Result<Certificate, CertificateError> {
    Certificate::decode_verified(bytes, &org(), NOW, None, Role::Coordinator)
}

#[test]
fn hand_encoding_matches_the_library() {
    // Pins the offsets the other tests rely on.
    let cert = coordinator_certificate();
    let alias = cert.body().alias.as_bytes();
    let ours = hand_signed(
        CERTIFICATE_VERSION,
        Role::Coordinator as u8,
        alias.len() as u8,
        alias,
        &org_key(),
    );
    assert_eq!(ours, cert.as_bytes());
    assert_eq!(cert.as_bytes().len(), OFF_ALIAS + alias.len() + 64);
    assert_eq!(cert.as_bytes()[OFF_ROLE], 1);
    assert_eq!(cert.as_bytes()[OFF_ALIAS_LEN] as usize, alias.len());
    assert_eq!(
        &cert.as_bytes()[OFF_SERIAL..OFF_SERIAL + 8],
        &7u64.to_be_bytes()
    );
}

#[test]
fn certificate_round_trips() {
    let cert = coordinator_certificate();
    let bytes = cert.as_bytes().to_vec();
    let decoded = Certificate::decode(&bytes).unwrap();
    assert_eq!(decoded, cert);
    assert_eq!(decoded.as_bytes(), &bytes[..]);
    assert_eq!(decoded.body().encode(), bytes[..bytes.len() - 64]);
    assert_eq!(decoded.signature()[..], bytes[bytes.len() - 64..]);
    let verified = check(&bytes).unwrap();
    assert_eq!(verified.body().alias, "Amara (Lyon)");
    assert_eq!(verified.body().serial, 7);
    assert_eq!(verified.body().role, Role::Coordinator);
    // A tip-inbox certificate round-trips too and verifies for its own role.
    let inbox = CertificateBody {
        role: Role::TipInbox,
        alias: "Tip inbox".into(),
        ..body()
    }
    .sign(&org_key())
    .unwrap();
    let decoded =
        Certificate::decode_verified(inbox.as_bytes(), &org(), NOW, None, Role::TipInbox).unwrap();
    assert_eq!(decoded, inbox);
    // A 64-byte alias (the maximum), with non-ASCII characters, round-trips.
    let alias = "é".repeat(MAX_ALIAS_BYTES / 2);
    assert_eq!(alias.len(), MAX_ALIAS_BYTES);
    let long = CertificateBody {
        alias: alias.clone(),
        ..body()
    }
    .sign(&org_key())
    .unwrap();
    assert_eq!(check(long.as_bytes()).unwrap().body().alias, alias);
}

#[test]
fn another_organisation_is_the_wrong_signer() {
    let foreign = body().sign(&other_org()).unwrap();
    assert_eq!(
        check(foreign.as_bytes()),
        Err(CertificateError::WrongSigner)
    );
    // Our own certificate checked against another organisation's pinned key.
    assert_eq!(
        Certificate::decode_verified(
            coordinator_certificate().as_bytes(),
            &other_org().public(),
            NOW,
            None,
            Role::Coordinator
        ),
        Err(CertificateError::WrongSigner)
    );
    // Signed by the coordinator's own key rather than the organisation's.
    let self_signed = body().sign(&coordinator_keys().0).unwrap();
    assert_eq!(
        check(self_signed.as_bytes()),
        Err(CertificateError::WrongSigner)
    );
    // A signature made over the body without the domain label does not count.
    let cert = coordinator_certificate();
    let mut unlabelled = cert.body().encode();
    let sig = org_key().sign(&unlabelled);
    unlabelled.extend_from_slice(&sig);
    assert_eq!(check(&unlabelled), Err(CertificateError::WrongSigner));
}

#[test]
fn a_flipped_bit_in_body_or_signature_is_the_wrong_signer() {
    let good = coordinator_certificate().as_bytes().to_vec();
    // Serial, validity, both keys: still decodes, no longer verifies.
    for (byte, bit) in [
        (OFF_SERIAL + 7, 0),
        (OFF_NOT_AFTER + 3, 5),
        (30, 1),
        (60, 7),
        (OFF_ALIAS, 0),
    ] {
        let mut bad = good.clone();
        bad[byte] ^= 1 << bit;
        assert!(
            Certificate::decode(&bad).is_ok(),
            "byte {byte} still parses"
        );
        assert_eq!(
            check(&bad),
            Err(CertificateError::WrongSigner),
            "byte {byte} bit {bit}"
        );
    }
    // Every bit of the signature.
    for bit in 0..64 * 8 {
        let mut bad = good.clone();
        let at = good.len() - 64 + bit / 8;
        bad[at] ^= 1 << (bit % 8);
        assert_eq!(
            check(&bad),
            Err(CertificateError::WrongSigner),
            "signature bit {bit}"
        );
    }
}

#[test]
fn validity_window_edges() {
    let cert = coordinator_certificate();
    let (nb, na) = (cert.body().not_before, cert.body().not_after);
    let at = |now| cert.verify(&org(), now, None, Role::Coordinator);
    assert_eq!(at(nb - 1), Err(CertificateError::NotYetValid));
    assert_eq!(at(0), Err(CertificateError::NotYetValid));
    assert_eq!(at(nb), Ok(()));
    assert_eq!(at(na - 1), Ok(()));
    assert_eq!(
        at(na),
        Err(CertificateError::Expired),
        "not_after is exclusive"
    );
    assert_eq!(at(u64::MAX), Err(CertificateError::Expired));
    // A window that cannot hold any instant is refused at signing.
    for (not_before, not_after) in [(NOW, NOW), (NOW, NOW - 1)] {
        assert_eq!(
            CertificateBody {
                not_before,
                not_after,
                ..body()
            }
            .sign(&org_key()),
            Err(malformed(DecodeError::Invalid("validity window")))
        );
    }
}

#[test]
fn revoked_and_wrong_role() {
    let cert = coordinator_certificate();
    let revoking = RevocationList::sign(&org_key(), NOW - 60, &[3, 7, 9]);
    let other = RevocationList::sign(&org_key(), NOW - 60, &[3, 8, 9]);
    let empty = RevocationList::sign(&org_key(), NOW - 60, &[]);
    let v = |list: Option<&RevocationList>, role| cert.verify(&org(), NOW, list, role);
    assert_eq!(
        v(Some(&revoking), Role::Coordinator),
        Err(CertificateError::Revoked)
    );
    assert_eq!(v(Some(&other), Role::Coordinator), Ok(()));
    assert_eq!(v(Some(&empty), Role::Coordinator), Ok(()));
    assert_eq!(v(None, Role::TipInbox), Err(CertificateError::WrongRole));
    // The checks run in the documented order: signer, window, revocation, role.
    assert_eq!(
        v(Some(&revoking), Role::TipInbox),
        Err(CertificateError::Revoked)
    );
    assert_eq!(
        cert.verify(&org(), NOW + 30 * DAY, Some(&revoking), Role::TipInbox),
        Err(CertificateError::Expired)
    );
    assert_eq!(
        cert.verify(
            &other_org().public(),
            NOW + 30 * DAY,
            Some(&revoking),
            Role::TipInbox
        ),
        Err(CertificateError::WrongSigner)
    );
    let inbox = CertificateBody {
        role: Role::TipInbox,
        ..body()
    }
    .sign(&org_key())
    .unwrap();
    assert_eq!(check(inbox.as_bytes()), Err(CertificateError::WrongRole));
}

#[test]
fn every_truncation_is_malformed() {
    let good = coordinator_certificate().as_bytes().to_vec();
    for len in 0..good.len() {
        match check(&good[..len]) {
            Err(CertificateError::Malformed(DecodeError::Truncated(_))) => {}
            other => panic!("prefix of {len} bytes: {other:?}"),
        }
    }
}

#[test]
fn trailing_bytes_are_malformed() {
    let mut long = coordinator_certificate().as_bytes().to_vec();
    long.push(0);
    assert_eq!(check(&long), Err(malformed(DecodeError::Trailing(1))));
    long.extend_from_slice(&[0; 63]);
    assert_eq!(check(&long), Err(malformed(DecodeError::Trailing(64))));
    // Bytes appended after a validly signed certificate are refused even though the
    // signature over the body still checks out once they are dropped.
    let mut doubled = coordinator_certificate().as_bytes().to_vec();
    doubled.extend_from_slice(coordinator_certificate().as_bytes());
    assert!(matches!(
        check(&doubled),
        Err(CertificateError::Malformed(DecodeError::Trailing(_)))
    ));
}

#[test]
fn bad_version_and_role_are_malformed_even_when_signed() {
    let alias = b"Amara";
    let org = org_key();
    for version in [0u8, 2, 0x81, 0xff] {
        let bytes = hand_signed(version, 1, 5, alias, &org);
        assert_eq!(
            check(&bytes),
            Err(malformed(DecodeError::Invalid("version"))),
            "version {version}"
        );
    }
    for role in [0u8, 3, 0x81, 0xff] {
        let bytes = hand_signed(CERTIFICATE_VERSION, role, 5, alias, &org);
        assert_eq!(
            check(&bytes),
            Err(malformed(DecodeError::Invalid("role"))),
            "role {role}"
        );
    }
    // The control: the same construction with good values verifies.
    let good = hand_signed(CERTIFICATE_VERSION, 1, 5, alias, &org);
    assert_eq!(check(&good).unwrap().body().alias, "Amara");
}

#[test]
fn bad_aliases_are_malformed_even_when_signed() {
    let org = org_key();
    let bad_alias = malformed(DecodeError::Invalid("alias"));
    let cases: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe],       // not UTF-8
        vec![b'A', 0xc3],       // truncated UTF-8 sequence
        vec![0xed, 0xa0, 0x80], // an encoded surrogate
        vec![],                 // empty
        b"Ama\nra".to_vec(),
        b"\x1b[31mAmara".to_vec(), // terminal escape
        b"Amara\0".to_vec(),
        b"\x7f".to_vec(),
        "Amara\u{85}".as_bytes().to_vec(), // C1 control (NEL)
        vec![b'a'; MAX_ALIAS_BYTES + 1],   // too long
        vec![b'a'; 255],
    ];
    for alias in cases {
        let bytes = hand_signed(CERTIFICATE_VERSION, 1, alias.len() as u8, &alias, &org);
        assert_eq!(check(&bytes), Err(bad_alias.clone()), "alias {alias:?}");
        assert_eq!(
            Certificate::decode(&bytes),
            Err(bad_alias.clone()),
            "decode alone refuses {alias:?}"
        );
    }
    // An alias length pointing past the end of the input.
    let bytes = hand_signed(CERTIFICATE_VERSION, 1, 200, b"Amara", &org);
    assert!(matches!(
        check(&bytes),
        Err(CertificateError::Malformed(DecodeError::Truncated(_)))
    ));
    // And sign() refuses to make any of them in the first place.
    for alias in ["", "a\tb", "a\u{7}", &"x".repeat(MAX_ALIAS_BYTES + 1)] {
        assert_eq!(
            CertificateBody {
                alias: alias.into(),
                ..body()
            }
            .sign(&org),
            Err(bad_alias.clone()),
            "sign {alias:?}"
        );
    }
}

#[test]
fn revocation_list_round_trips_sorted_and_unique() {
    let list = RevocationList::sign(&org_key(), NOW - 3600, &[9, 3, 9, 1 << 40]);
    assert_eq!(list.serials(), &[3, 9, 1 << 40]);
    assert!(list.contains(3) && list.contains(9) && list.contains(1 << 40));
    assert!(!list.contains(4) && !list.contains(0));
    let decoded = RevocationList::decode_verified(list.as_bytes(), &org(), NOW, None).unwrap();
    assert_eq!(decoded, list);
    assert_eq!(decoded.issued_at, NOW - 3600);
    // The encoding is exactly as documented.
    assert_eq!(list.as_bytes().len(), 1 + 8 + 4 + 3 * 8 + 64);
    assert_eq!(
        list.as_bytes(),
        &hand_signed_list(1, NOW - 3600, 3, &[3, 9, 1 << 40])[..]
    );
    let empty = RevocationList::sign(&org_key(), NOW, &[]);
    assert_eq!(
        RevocationList::decode_verified(empty.as_bytes(), &org(), NOW, Some(0))
            .unwrap()
            .serials(),
        &[] as &[u64]
    );
}

#[test]
fn revocation_list_signature_is_checked() {
    let list = RevocationList::sign(&org_key(), NOW - 3600, &[3, 9]);
    assert_eq!(
        RevocationList::decode_verified(list.as_bytes(), &other_org().public(), NOW, None),
        Err(CertificateError::WrongSigner)
    );
    let foreign = RevocationList::sign(&other_org(), NOW - 3600, &[3, 9]);
    assert_eq!(
        RevocationList::decode_verified(foreign.as_bytes(), &org(), NOW, None),
        Err(CertificateError::WrongSigner)
    );
    // Dropping a serial (and fixing the count) breaks the signature.
    let mut shortened = list.as_bytes()[..9].to_vec();
    shortened.extend_from_slice(&1u32.to_be_bytes());
    shortened.extend_from_slice(&3u64.to_be_bytes());
    shortened.extend_from_slice(&list.as_bytes()[list.as_bytes().len() - 64..]);
    assert_eq!(
        RevocationList::decode_verified(&shortened, &org(), NOW, None),
        Err(CertificateError::WrongSigner)
    );
    // A certificate signature is not a revocation-list signature (domain separation).
    let mut body = list.as_bytes()[..list.as_bytes().len() - 64].to_vec();
    let sig = org_key().sign(&labelled(CERTIFICATE_LABEL, &[&body]));
    body.extend_from_slice(&sig);
    assert_eq!(
        RevocationList::decode_verified(&body, &org(), NOW, None),
        Err(CertificateError::WrongSigner)
    );
    // Every single flipped bit is refused.
    let good = list.as_bytes();
    for bit in 0..good.len() * 8 {
        let mut bad = good.to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(
            RevocationList::decode_verified(&bad, &org(), NOW, None).is_err(),
            "bit {bit}"
        );
    }
}

#[test]
fn stale_revocation_list_is_refused() {
    let list = RevocationList::sign(&org_key(), NOW - 3600, &[3]);
    let at = |now, max_age| RevocationList::decode_verified(list.as_bytes(), &org(), now, max_age);
    assert!(at(NOW, Some(3600)).is_ok(), "exactly max_age old is fresh");
    assert_eq!(
        at(NOW, Some(3599)),
        Err(CertificateError::StaleRevocationList)
    );
    assert_eq!(
        at(NOW + DAY, Some(DAY)),
        Err(CertificateError::StaleRevocationList)
    );
    assert!(at(NOW + 365 * DAY, None).is_ok(), "no max_age: no limit");
    assert!(at(NOW - 3600, Some(0)).is_ok());
    // Staleness is only judged once the signature holds.
    assert_eq!(
        RevocationList::decode_verified(list.as_bytes(), &other_org().public(), NOW, Some(1)),
        Err(CertificateError::WrongSigner)
    );
}

#[test]
fn unsorted_or_duplicate_serials_are_refused_even_when_signed() {
    let order = Err(malformed(DecodeError::Invalid("serial order")));
    for serials in [
        &[9u64, 3][..],
        &[3, 3],
        &[1, 2, 2, 5],
        &[1, 5, 4],
        &[u64::MAX, 0],
    ] {
        let bytes = hand_signed_list(1, NOW, serials.len() as u32, serials);
        assert_eq!(
            RevocationList::decode_verified(&bytes, &org(), NOW, None),
            order,
            "{serials:?}"
        );
    }
    let sorted = hand_signed_list(1, NOW, 3, &[0, 5, u64::MAX]);
    assert_eq!(
        RevocationList::decode_verified(&sorted, &org(), NOW, None)
            .unwrap()
            .serials(),
        &[0, 5, u64::MAX]
    );
}

#[test]
fn revocation_list_count_and_framing_errors() {
    let count = Err(malformed(DecodeError::Invalid("count")));
    let decode = |b: &[u8]| RevocationList::decode_verified(b, &org(), NOW, None);
    assert_eq!(decode(&hand_signed_list(1, NOW, 3, &[1, 2])), count);
    assert_eq!(decode(&hand_signed_list(1, NOW, 1, &[1, 2])), count);
    assert_eq!(decode(&hand_signed_list(1, NOW, 0, &[1])), count);
    assert_eq!(decode(&hand_signed_list(1, NOW, u32::MAX, &[1])), count);
    // Over the maximum even with the right number of serials present.
    let many: Vec<u64> = (1..=MAX_REVOKED as u64 + 1).collect();
    assert_eq!(
        decode(&hand_signed_list(1, NOW, many.len() as u32, &many)),
        count
    );
    let max: Vec<u64> = (1..=MAX_REVOKED as u64).collect();
    assert_eq!(
        decode(&hand_signed_list(1, NOW, max.len() as u32, &max))
            .unwrap()
            .serials()
            .len(),
        MAX_REVOKED
    );
    for version in [0u8, 2, 0xff] {
        assert_eq!(
            decode(&hand_signed_list(version, NOW, 1, &[1])),
            Err(malformed(DecodeError::Invalid("version")))
        );
    }
    let good = RevocationList::sign(&org_key(), NOW, &[1, 2]);
    let good = good.as_bytes();
    for len in 0..good.len() {
        assert!(
            matches!(decode(&good[..len]), Err(CertificateError::Malformed(_))),
            "prefix of {len} bytes"
        );
    }
    let mut long = good.to_vec();
    long.push(0);
    assert_eq!(decode(&long), count);
}

fn enrolment() -> (EnrolmentRequest, SigningKey, DhSecret) {
    let sign = SigningKey::from_seed(fixed(0xc0));
    let dh = DhSecret::from_bytes(fixed(0xd0));
    let request = EnrolmentRequest {
        alias: "Noor (Marseille)".into(),
        x25519_public: dh.public(),
        ed25519_public: sign.public(),
    };
    (request, sign, dh)
}

#[test]
fn enrolment_request_round_trips() {
    let (request, sign, _) = enrolment();
    let bytes = request.encode_signed(&sign).unwrap();
    assert_eq!(bytes.len(), 1 + 32 + 32 + 1 + request.alias.len() + 64);
    assert_eq!(EnrolmentRequest::decode_verified(&bytes).unwrap(), request);
    // Bad aliases are refused at encoding.
    for alias in ["", "a\nb", &"x".repeat(MAX_ALIAS_BYTES + 1)] {
        let bad = EnrolmentRequest {
            alias: alias.into(),
            ..request.clone()
        };
        assert_eq!(
            bad.encode_signed(&sign),
            Err(malformed(DecodeError::Invalid("alias")))
        );
    }
}

#[test]
fn enrolment_request_without_proof_of_possession_is_refused() {
    let (request, sign, _) = enrolment();
    // Signed by someone who does not hold the Ed25519 key in the request.
    let forged = request.encode_signed(&SigningKey::generate()).unwrap();
    assert_eq!(
        EnrolmentRequest::decode_verified(&forged),
        Err(CertificateError::WrongSigner)
    );
    // Someone else's key put into a request signed by the requester.
    let stolen = EnrolmentRequest {
        ed25519_public: coordinator_keys().0.public(),
        ..request.clone()
    };
    assert_eq!(
        EnrolmentRequest::decode_verified(&stolen.encode_signed(&sign).unwrap()),
        Err(CertificateError::WrongSigner)
    );
    // A signature without the enrolment label (e.g. a handshake signature) is refused.
    let good = request.encode_signed(&sign).unwrap();
    let mut unlabelled = good[..good.len() - 64].to_vec();
    let sig = sign.sign(&unlabelled);
    unlabelled.extend_from_slice(&sig);
    assert_eq!(
        EnrolmentRequest::decode_verified(&unlabelled),
        Err(CertificateError::WrongSigner)
    );
    let mut relabelled = good[..good.len() - 64].to_vec();
    let sig = sign.sign(&labelled(ENROLMENT_LABEL, &[&relabelled]));
    relabelled.extend_from_slice(&sig);
    assert_eq!(
        EnrolmentRequest::decode_verified(&relabelled).unwrap(),
        request
    );
    // Any flipped bit, truncation or trailing byte is refused.
    for bit in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(
            EnrolmentRequest::decode_verified(&bad).is_err(),
            "bit {bit}"
        );
    }
    for len in 0..good.len() {
        assert!(EnrolmentRequest::decode_verified(&good[..len]).is_err());
    }
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        EnrolmentRequest::decode_verified(&long),
        Err(malformed(DecodeError::Trailing(1)))
    );
    let mut version = good;
    version[0] = 2;
    assert_eq!(
        EnrolmentRequest::decode_verified(&version),
        Err(malformed(DecodeError::Invalid("version")))
    );
}

#[test]
fn certify_gives_a_coordinator_certificate_that_verifies_and_handshakes() {
    let (request, sign, dh) = enrolment();
    let received =
        EnrolmentRequest::decode_verified(&request.encode_signed(&sign).unwrap()).unwrap();
    let cert = received
        .certify(&org_key(), 42, NOW - 60, NOW + 30 * DAY)
        .unwrap();
    assert_eq!(cert.body().role, Role::Coordinator);
    assert_eq!(cert.body().serial, 42);
    assert_eq!(cert.body().alias, "Noor (Marseille)");
    assert_eq!(cert.body().x25519_public, dh.public());
    assert_eq!(cert.body().ed25519_public, sign.public());
    let decoded = check(cert.as_bytes()).unwrap();
    assert_eq!(decoded, cert);
    assert_eq!(
        cert.verify(&org(), NOW, None, Role::TipInbox),
        Err(CertificateError::WrongRole)
    );
    assert_eq!(
        request
            .clone()
            .certify(&org_key(), 43, NOW, NOW)
            .unwrap_err(),
        malformed(DecodeError::Invalid("validity window"))
    );
    // The new coordinator can answer a visitor with it.
    let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org(), DhSecret::generate());
    let identity = CoordinatorIdentity {
        static_key: &dh,
        signing_key: &sign,
        certificate: &cert,
    };
    let (m2, _) = CoordinatorHandshake::respond(
        SESSION_ID,
        &org().fingerprint(),
        &identity,
        DhSecret::generate(),
        &m1,
    )
    .unwrap();
    let (_, who) = visitor.finish(&m2, NOW, None).unwrap();
    assert_eq!(who.alias, "Noor (Marseille)");
    assert_eq!(who.serial, 42);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_single_flipped_bit_in_a_certificate_is_rejected(bit in 0usize..(200 * 8)) {
        let good = coordinator_certificate().as_bytes().to_vec();
        let bit = bit % (good.len() * 8);
        let mut bad = good;
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(check(&bad).is_err(), "bit {} accepted", bit);
    }

    #[test]
    fn any_certificate_body_round_trips(
        serial in any::<u64>(),
        not_before in 0u64..u64::MAX / 2,
        span in 1u64..u64::MAX / 2,
        alias in "[^\\p{Cc}]{1,16}",
        inbox in any::<bool>(),
    ) {
        prop_assume!(alias.len() <= MAX_ALIAS_BYTES);
        let role = if inbox { Role::TipInbox } else { Role::Coordinator };
        let cert = CertificateBody { role, serial, not_before, not_after: not_before + span, alias, ..body() }
            .sign(&org_key())
            .unwrap();
        let decoded = Certificate::decode_verified(cert.as_bytes(), &org(), not_before, None, role).unwrap();
        prop_assert_eq!(decoded, cert);
    }
}
