//! The live-chat handshake and session cipher: cross-checked against the `snow` Noise
//! implementation, and every rejection the protocol promises.

use lifeline::crypto::certificate::{CertificateBody, CertificateError, RevocationList, Role};
use lifeline::crypto::handshake::{
    CoordinatorHandshake, CoordinatorIdentity, HandshakeError, VisitorHandshake, prologue,
};
use lifeline::crypto::keys::{DhSecret, SigningKey, hex};
use lifeline::crypto::session::{Plaintext, SessionCipher, SessionError};
use lifeline::crypto::vectors::{
    self, NOW, SESSION_ID, coordinator_certificate, coordinator_keys, fixed, org_key,
};
use proptest::prelude::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A complete handshake with fresh ephemerals: (visitor cipher, coordinator cipher).
fn pair() -> (SessionCipher, SessionCipher) {
    let org = org_key();
    let (sign, static_key) = coordinator_keys();
    let cert = coordinator_certificate();
    let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org.public(), DhSecret::generate());
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &sign,
        certificate: &cert,
    };
    let (m2, coordinator) = CoordinatorHandshake::respond(
        SESSION_ID,
        &org.public().fingerprint(),
        &identity,
        DhSecret::generate(),
        &m1,
    )
    .unwrap();
    let (visitor, who) = visitor.finish(&m2, NOW, None).unwrap();
    assert_eq!(who.alias, "Amara (Lyon)");
    assert_eq!(visitor.handshake_hash(), coordinator.handshake_hash());
    (visitor, coordinator)
}

#[test]
fn handshake_vector_replays_through_snow() {
    let v = vectors::handshake();
    let s = |k: &str| unhex(v[k].as_str().unwrap());
    let params: snow::params::NoiseParams = "Noise_NX_25519_ChaChaPoly_SHA256".parse().unwrap();
    let prologue_bytes = s("prologue");
    assert_eq!(
        prologue_bytes,
        prologue(&SESSION_ID, &org_key().public().fingerprint())
    );
    let ve = s("visitor_ephemeral_secret");
    let ce = s("coordinator_ephemeral_secret");
    let cs = s("coordinator_static_secret");
    let mut initiator = snow::Builder::new(params.clone())
        .prologue(&prologue_bytes)
        .fixed_ephemeral_key_for_testing_only(&ve)
        .build_initiator()
        .unwrap();
    let mut responder = snow::Builder::new(params)
        .prologue(&prologue_bytes)
        .local_private_key(&cs)
        .fixed_ephemeral_key_for_testing_only(&ce)
        .build_responder()
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = initiator.write_message(&[], &mut buf).unwrap();
    assert_eq!(
        hex(&buf[..n]),
        v["message1"].as_str().unwrap(),
        "message 1 matches snow"
    );
    let mut payload = [0u8; 1024];
    responder.read_message(&buf[..n], &mut payload).unwrap();
    // snow decrypts our message 2 and finds our certificate + signature in its payload.
    let m2 = s("message2");
    let p = initiator.read_message(&m2, &mut payload).unwrap();
    let cert = s("coordinator_certificate");
    assert_eq!(&payload[2..2 + cert.len()], &cert[..]);
    assert_eq!(p, 2 + cert.len() + 64);
    // snow, writing the same payload with the same keys, produces our message 2 exactly.
    let n2 = responder.write_message(&payload[..p], &mut buf).unwrap();
    assert_eq!(
        hex(&buf[..n2]),
        v["message2"].as_str().unwrap(),
        "message 2 matches snow"
    );
    assert_eq!(
        hex(initiator.get_handshake_hash()),
        v["handshake_hash"].as_str().unwrap()
    );
    // Our ratchet starts from snow's Split(): message key 0 = HMAC(k1, 0x01).
    let (k1, _k2) = initiator.dangerously_get_raw_split();
    let mk = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &k1), &[1]);
    let first = &v["messages"][0];
    assert_eq!(first["direction"], "v2c");
    let envelope = unhex(first["envelope"].as_str().unwrap());
    let ad = lifeline::crypto::labelled(
        "lifeline v1 message",
        &[&SESSION_ID, &[1], &0u64.to_be_bytes()],
    );
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let cipher = chacha20poly1305::ChaCha20Poly1305::new_from_slice(mk.as_ref()).unwrap();
    let padded = cipher
        .decrypt(
            (&[0u8; 12]).into(),
            Payload {
                msg: &envelope[8..],
                aad: &ad,
            },
        )
        .unwrap();
    assert_eq!(padded.len(), 256);
    assert_eq!(&padded[5..5 + 33], b"Hello, I need help. Is this safe?");
}

fn respond_with(
    cert: &lifeline::crypto::Certificate,
    sign: &SigningKey,
    static_key: &DhSecret,
) -> Result<(), HandshakeError> {
    let org = org_key();
    let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org.public(), DhSecret::generate());
    let identity = CoordinatorIdentity {
        static_key,
        signing_key: sign,
        certificate: cert,
    };
    let (m2, _) = CoordinatorHandshake::respond(
        SESSION_ID,
        &org.public().fingerprint(),
        &identity,
        DhSecret::generate(),
        &m1,
    )?;
    visitor
        .finish(&m2, NOW, Some(&RevocationList::sign(&org, NOW, &[99])))
        .map(|_| ())
}

#[test]
fn visitor_refuses_every_bad_coordinator() {
    let (sign, static_key) = coordinator_keys();
    let good = coordinator_certificate();
    assert_eq!(respond_with(&good, &sign, &static_key), Ok(()));
    // A certificate signed by another organisation.
    let foreign = CertificateBody {
        ..good.body().clone()
    }
    .sign(&SigningKey::from_seed(fixed(0x99)))
    .unwrap();
    assert_eq!(
        respond_with(&foreign, &sign, &static_key),
        Err(HandshakeError::Certificate(CertificateError::WrongSigner))
    );
    // Expired, not yet valid, revoked.
    let expired = CertificateBody {
        not_before: NOW - 10,
        not_after: NOW - 1,
        ..good.body().clone()
    }
    .sign(&org_key())
    .unwrap();
    assert_eq!(
        respond_with(&expired, &sign, &static_key),
        Err(HandshakeError::Certificate(CertificateError::Expired))
    );
    let future = CertificateBody {
        not_before: NOW + 10,
        ..good.body().clone()
    }
    .sign(&org_key())
    .unwrap();
    assert_eq!(
        respond_with(&future, &sign, &static_key),
        Err(HandshakeError::Certificate(CertificateError::NotYetValid))
    );
    let revoked = CertificateBody {
        serial: 99,
        ..good.body().clone()
    }
    .sign(&org_key())
    .unwrap();
    assert_eq!(
        respond_with(&revoked, &sign, &static_key),
        Err(HandshakeError::Certificate(CertificateError::Revoked))
    );
    // A valid certificate presented by someone holding a different static key (a relay
    // substituting its own key) or a different signing key.
    assert_eq!(
        respond_with(&good, &sign, &DhSecret::generate()),
        Err(HandshakeError::KeyMismatch)
    );
    assert_eq!(
        respond_with(&good, &SigningKey::generate(), &static_key),
        Err(HandshakeError::BadSignature)
    );
    // A tip-inbox certificate cannot be used to answer chats.
    let inbox = CertificateBody {
        role: Role::TipInbox,
        ..good.body().clone()
    }
    .sign(&org_key())
    .unwrap();
    assert_eq!(
        respond_with(&inbox, &sign, &static_key),
        Err(HandshakeError::Certificate(CertificateError::WrongRole))
    );
}

/// Every low-order X25519 key (libsodium's list: the points of order 1, 2, 4 and 8 and
/// their unreduced encodings, and with the ignored top bit set) is refused by the check the
/// relay runs at `hello` and `rekey`, and by the coordinator; real keys pass.
#[test]
fn low_order_message1_is_refused_and_real_keys_pass() {
    use lifeline::crypto::handshake::check_message1;
    let low_order = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    let (sign, static_key) = coordinator_keys();
    let cert = coordinator_certificate();
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &sign,
        certificate: &cert,
    };
    for text in low_order {
        let mut key = unhex(text);
        for top_bit in [false, true] {
            key[31] |= if top_bit { 0x80 } else { 0 };
            assert_eq!(check_message1(&key), Err(HandshakeError::WeakKey), "{text}");
            let answered = CoordinatorHandshake::respond(
                SESSION_ID,
                &org_key().public().fingerprint(),
                &identity,
                DhSecret::generate(),
                &key,
            );
            assert_eq!(answered.err(), Some(HandshakeError::WeakKey), "{text}");
        }
    }
    // The relay's check is u([8]P) (§9.1): for any 32 bytes it must say what X25519 itself
    // says, points of the twist and unreduced encodings included.
    let probe = DhSecret::from_bytes([0x5a; 32]);
    for i in 0..4096u32 {
        let key: [u8; 32] = lifeline::crypto::keys::random_bytes();
        let key = if i < 256 { [i as u8; 32] } else { key };
        let zero = probe
            .agree(&lifeline::crypto::keys::DhPublicKey(key))
            .is_none();
        assert_eq!(check_message1(&key).is_err(), zero, "{key:?}");
    }
    assert_eq!(check_message1(&[9; 31]), Err(HandshakeError::Malformed));
    assert_eq!(check_message1(&[9; 33]), Err(HandshakeError::Malformed));
    for _ in 0..32 {
        let (_, message1) =
            VisitorHandshake::start(SESSION_ID, org_key().public(), DhSecret::generate());
        assert_eq!(check_message1(&message1), Ok(()));
    }
}

#[test]
fn message2_for_another_session_is_refused() {
    let org = org_key();
    let (sign, static_key) = coordinator_keys();
    let cert = coordinator_certificate();
    let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org.public(), DhSecret::generate());
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &sign,
        certificate: &cert,
    };
    let other_session = [1u8; 16];
    let (m2, _) = CoordinatorHandshake::respond(
        other_session,
        &org.public().fingerprint(),
        &identity,
        DhSecret::generate(),
        &m1,
    )
    .unwrap();
    assert_eq!(
        visitor.finish(&m2, NOW, None).unwrap_err(),
        HandshakeError::Decrypt
    );
    // Wrong lengths are malformed, not a panic.
    assert!(
        CoordinatorHandshake::respond(
            SESSION_ID,
            &org.public().fingerprint(),
            &identity,
            DhSecret::generate(),
            &m1[..31]
        )
        .is_err()
    );
    let (visitor, _) = VisitorHandshake::start(SESSION_ID, org.public(), DhSecret::generate());
    assert_eq!(
        visitor.finish(&[0u8; 10], NOW, None).unwrap_err(),
        HandshakeError::Malformed
    );
}

#[test]
fn session_detects_replay_reorder_tamper_and_truncation() {
    let (mut visitor, mut coordinator) = pair();
    let m0 = visitor.encrypt_text("one").unwrap();
    let m1 = visitor.encrypt_text("two").unwrap();
    let m2 = visitor.encrypt_text("three").unwrap();
    assert_eq!(
        coordinator.decrypt(&m0).unwrap(),
        Plaintext::Text("one".into())
    );
    assert_eq!(
        coordinator.decrypt(&m0),
        Err(SessionError::Replay {
            expected: 1,
            got: 0
        })
    );
    assert_eq!(
        coordinator.decrypt(&m2),
        Err(SessionError::Reorder {
            expected: 1,
            got: 2
        })
    );
    let mut bad = m1.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x80;
    assert_eq!(coordinator.decrypt(&bad), Err(SessionError::Tamper));
    // Nothing was consumed by the failures: the genuine message still opens.
    assert_eq!(
        coordinator.decrypt(&m1).unwrap(),
        Plaintext::Text("two".into())
    );
    assert_eq!(
        coordinator.decrypt(&m2).unwrap(),
        Plaintext::Text("three".into())
    );
    // No authenticated close yet: ending here is truncation.
    assert_eq!(coordinator.finish(), Err(SessionError::Truncated));
    let close = visitor.encrypt_close().unwrap();
    assert_eq!(visitor.encrypt_text("after"), Err(SessionError::Closed));
    assert_eq!(coordinator.decrypt(&close).unwrap(), Plaintext::Close);
    assert_eq!(coordinator.finish(), Ok(()));
    // A message from one direction cannot be reflected back as the other.
    let c0 = coordinator.encrypt_text("hi").unwrap();
    assert_eq!(visitor.decrypt(&c0).unwrap(), Plaintext::Text("hi".into()));
    let mut fresh = pair();
    let echo = fresh.0.encrypt_text("echo").unwrap();
    assert_eq!(fresh.0.decrypt(&echo), Err(SessionError::Tamper));
    assert_eq!(fresh.1.decrypt(&[1, 2, 3]), Err(SessionError::Malformed));
}

#[test]
fn ciphertext_sizes_reveal_only_the_bucket() {
    let (mut visitor, _) = pair();
    assert_eq!(visitor.encrypt_text("").unwrap().len(), 8 + 256 + 16);
    assert_eq!(
        visitor.encrypt_text(&"x".repeat(251)).unwrap().len(),
        8 + 256 + 16
    );
    assert_eq!(
        visitor.encrypt_text(&"x".repeat(252)).unwrap().len(),
        8 + 1024 + 16
    );
    assert_eq!(
        visitor.encrypt_text(&"x".repeat(16379)).unwrap().len(),
        8 + 16384 + 16
    );
    assert_eq!(
        visitor.encrypt_text(&"x".repeat(16380)),
        Err(SessionError::TooLong)
    );
}

#[test]
fn debug_output_never_contains_secrets() {
    let (sign, dh) = coordinator_keys();
    let (visitor, _) = pair();
    for text in [
        format!("{sign:?}"),
        format!("{dh:?}"),
        format!("{visitor:?}"),
    ] {
        assert!(text.contains("redacted"), "{text}");
        assert!(!text.contains(&hex(sign.seed())), "{text}");
        assert!(!text.contains(&hex(&dh.to_bytes()[..])), "{text}");
    }
    let text = format!("{:?}", Plaintext::Text("my secret words".into()));
    assert!(!text.contains("secret words"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_text_round_trips(texts in proptest::collection::vec(".{0,300}", 1..6)) {
        let (mut visitor, mut coordinator) = pair();
        for t in &texts {
            let env = visitor.encrypt_text(t).unwrap();
            prop_assert_eq!(coordinator.decrypt(&env).unwrap(), Plaintext::Text(t.clone()));
            let env = coordinator.encrypt_text(t).unwrap();
            prop_assert_eq!(visitor.decrypt(&env).unwrap(), Plaintext::Text(t.clone()));
        }
    }

    #[test]
    fn any_single_flipped_bit_is_rejected(text in ".{0,100}", bit in 0usize..(280 * 8)) {
        let (mut visitor, mut coordinator) = pair();
        let mut env = visitor.encrypt_text(&text).unwrap();
        let bit = bit % (env.len() * 8);
        env[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(coordinator.decrypt(&env).is_err());
    }

    #[test]
    fn any_flipped_bit_in_message2_is_rejected(bit in 0usize..(400 * 8)) {
        let org = org_key();
        let (sign, static_key) = coordinator_keys();
        let cert = coordinator_certificate();
        let (visitor, m1) = VisitorHandshake::start(SESSION_ID, org.public(), DhSecret::generate());
        let identity = CoordinatorIdentity { static_key: &static_key, signing_key: &sign, certificate: &cert };
        let (mut m2, _) = CoordinatorHandshake::respond(SESSION_ID, &org.public().fingerprint(), &identity, DhSecret::generate(), &m1).unwrap();
        let bit = bit % (m2.len() * 8);
        m2[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(visitor.finish(&m2, NOW, None).is_err());
    }
}
