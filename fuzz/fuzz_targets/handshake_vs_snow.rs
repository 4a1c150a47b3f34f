//! Differential: Lifeline's Noise NX handshake (`lifeline::crypto::handshake`) against the
//! `snow` crate, on fuzzer-chosen keys, session id, organisation and certificate.
//!
//! Input: `visitor_e [32] | coordinator_e [32] | coordinator_s [32] | session_id [16] |
//! org_seed [32] | serial u64 | rest`, where `rest` is the certificate alias (lossy UTF-8,
//! at most 64 bytes) and, behind it, a payload for the second half.
//!
//! Where the protocol is plain Noise it must agree with snow byte for byte:
//! - message 1 (`-> e`, empty payload) is snow's initiator output;
//! - message 2 (`<- e, ee, s, es` + payload) decrypts in snow to `cert_len | cert | sig`, and
//!   snow's responder writing that payload produces the same bytes;
//! - both sides' handshake hash equals snow's, and the first message key of each direction
//!   (`HMAC(k, 0x01)`, §4) comes from snow's raw `Split()` keys, so the transport keys agree.
//!
//! The prologue and the message-2 payload are Lifeline's own content (§3), not a Noise
//! variation: the prologue is fixed by session and organisation, message 1 carries no
//! payload, and message 2's payload must be a certificate and signature. The part beyond the
//! boundary (the ratcheting session cipher, §4) is not Noise's transport and is only checked
//! at its first key. Second half: snow's responder writes message 2 with an arbitrary payload
//! (the rest of the input); our visitor must never answer that with `Decrypt` (the Noise
//! layer disagrees) or with success (the payload is not a certificate signed for this run
//! unless it is byte for byte the genuine one).

#![no_main]

use std::sync::LazyLock;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use libfuzzer_sys::fuzz_target;
use lifeline::crypto::certificate::{CertificateBody, Role};
use lifeline::crypto::handshake::{
    CoordinatorHandshake, CoordinatorIdentity, HandshakeError, MESSAGE2_MAX_LEN, MESSAGE2_MIN_LEN,
    prologue,
};
use lifeline::crypto::keys::{DhPublicKey, DhSecret, SigningKey};
use lifeline::crypto::{VisitorHandshake, labelled, vectors};

const NOW: u64 = 1_800_000_000;
/// The coordinator's Ed25519 key: it signs `h` but takes no part in the Noise computation,
/// so it is fixed (the vectors' key) rather than chosen by the fuzzer.
static SIGNING: LazyLock<SigningKey> = LazyLock::new(|| vectors::coordinator_keys().0);
const HEAD: usize = 32 * 3 + 16 + 32 + 8;

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().expect("slice of the declared length")
}

fn snow_side(
    prologue: &[u8],
    ephemeral: &[u8; 32],
    static_key: Option<&[u8; 32]>,
) -> snow::HandshakeState {
    let params = "Noise_NX_25519_ChaChaPoly_SHA256"
        .parse()
        .expect("a valid Noise name");
    let builder = snow::Builder::new(params)
        .prologue(prologue)
        .fixed_ephemeral_key_for_testing_only(ephemeral);
    match static_key {
        Some(s) => builder.local_private_key(s).build_responder(),
        None => builder.build_initiator(),
    }
    .expect("snow accepts these parameters")
}

/// Opens envelope 0 of `cipher`'s sending direction with the message key derived from
/// snow's raw split key `k` (§4: message key 0 = HMAC(k, 0x01), nonce 0).
fn opens_with_split_key(k: &[u8; 32], session_id: &[u8; 16], dir: u8, envelope: &[u8]) -> bool {
    let mk = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k), &[1]);
    let ad = labelled(
        "lifeline v1 message",
        &[session_id, &[dir], &0u64.to_be_bytes()],
    );
    let Ok(aead) = chacha20poly1305::ChaCha20Poly1305::new_from_slice(mk.as_ref()) else {
        return false;
    };
    envelope.len() > 8
        && aead
            .decrypt(
                (&[0u8; 12]).into(),
                Payload {
                    msg: &envelope[8..],
                    aad: &ad,
                },
            )
            .is_ok()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < HEAD {
        return;
    }
    let visitor_e: [u8; 32] = array(&data[..32]);
    let coordinator_e: [u8; 32] = array(&data[32..64]);
    let coordinator_s: [u8; 32] = array(&data[64..96]);
    let session_id: [u8; 16] = array(&data[96..112]);
    let org = SigningKey::from_seed(array(&data[112..144]));
    let serial = u64::from_be_bytes(array(&data[144..152]));
    let rest = &data[HEAD..];
    let alias_len = rest
        .first()
        .map_or(0, |n| usize::from(*n % 65))
        .min(rest.len().saturating_sub(1));
    let alias = String::from_utf8_lossy(&rest[1.min(rest.len())..1.min(rest.len()) + alias_len])
        .into_owned();
    let arbitrary_payload = &rest[(1 + alias_len).min(rest.len())..];

    let static_key = DhSecret::from_bytes(coordinator_s);
    let signing = &*SIGNING;
    let Ok(certificate) = (CertificateBody {
        role: Role::Coordinator,
        serial,
        not_before: NOW - 1,
        not_after: NOW + 1,
        x25519_public: static_key.public(),
        ed25519_public: signing.public(),
        alias,
    })
    .sign(&org) else {
        return; // an alias the certificate rules refuse: nothing to compare
    };
    let fingerprint = org.public().fingerprint();
    let prologue_bytes = prologue(&session_id, &fingerprint);

    let (visitor, message1) =
        VisitorHandshake::start(session_id, org.public(), DhSecret::from_bytes(visitor_e));
    let mut initiator = snow_side(&prologue_bytes, &visitor_e, None);
    let mut responder = snow_side(&prologue_bytes, &coordinator_e, Some(&coordinator_s));
    let mut buf = vec![0u8; 65535];
    let mut payload = vec![0u8; 65535];
    let n = initiator
        .write_message(&[], &mut buf)
        .expect("snow writes message 1");
    assert_eq!(message1, &buf[..n], "message 1 differs from snow's");
    let p = responder
        .read_message(&message1, &mut payload)
        .expect("snow reads our message 1");
    assert_eq!(p, 0);

    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: signing,
        certificate: &certificate,
    };
    let ours = CoordinatorHandshake::respond(
        session_id,
        &fingerprint,
        &identity,
        DhSecret::from_bytes(coordinator_e),
        &message1,
    );
    let (message2, mut coordinator) = match ours {
        Ok(pair) => pair,
        // A zero DH result: snow (0.9) computes it without complaint, Lifeline refuses.
        // Legitimate only if one of the two DHs of message 2 really is zero.
        Err(HandshakeError::WeakKey) => {
            let visitor_public = DhPublicKey(array(&message1));
            assert!(
                DhSecret::from_bytes(coordinator_e)
                    .agree(&visitor_public)
                    .is_none()
                    || static_key.agree(&visitor_public).is_none(),
                "WeakKey for a visitor key whose DHs are not zero"
            );
            return;
        }
        Err(e) => panic!("respond failed on a valid message 1: {e:?}"),
    };
    assert!((MESSAGE2_MIN_LEN..=MESSAGE2_MAX_LEN).contains(&message2.len()));

    // snow decrypts our message 2 to the payload we meant: cert_len | cert | signature.
    let p = initiator
        .read_message(&message2, &mut payload)
        .expect("snow reads our message 2");
    let cert = certificate.as_bytes();
    assert_eq!(p, 2 + cert.len() + 64);
    assert_eq!(&payload[..2], &(cert.len() as u16).to_be_bytes());
    assert_eq!(&payload[2..2 + cert.len()], cert);
    let genuine_payload = payload[..p].to_vec();
    // snow, writing the same payload with the same keys, produces our message 2 exactly.
    let n = responder
        .write_message(&payload[..p], &mut buf)
        .expect("snow writes message 2");
    assert_eq!(message2, &buf[..n], "message 2 differs from snow's");

    // Our visitor accepts it and agrees with snow on h and the Split() keys.
    let (mut visitor_cipher, who) = visitor
        .finish(&message2, NOW, None)
        .expect("our visitor accepts our genuine message 2");
    assert_eq!(who.certificate, certificate);
    assert_eq!(
        initiator.get_handshake_hash(),
        visitor_cipher.handshake_hash()
    );
    assert_eq!(responder.get_handshake_hash(), coordinator.handshake_hash());
    let (k1, k2) = initiator.dangerously_get_raw_split();
    assert_eq!((k1, k2), responder.dangerously_get_raw_split());
    let v2c = visitor_cipher
        .encrypt_text("")
        .expect("an empty text encrypts");
    let c2v = coordinator
        .encrypt_text("")
        .expect("an empty text encrypts");
    assert!(
        opens_with_split_key(&k1, &session_id, 1, &v2c),
        "k1 differs from snow's"
    );
    assert!(
        opens_with_split_key(&k2, &session_id, 2, &c2v),
        "k2 differs from snow's"
    );

    // Second half: a fresh pair of handshakes in which snow's responder sends an arbitrary
    // payload. Our visitor's Noise layer must decrypt it (no `Decrypt`), and must refuse it
    // unless it is the genuine payload.
    let (visitor, _) =
        VisitorHandshake::start(session_id, org.public(), DhSecret::from_bytes(visitor_e));
    let mut responder = snow_side(&prologue_bytes, &coordinator_e, Some(&coordinator_s));
    responder
        .read_message(&message1, &mut payload)
        .expect("snow reads our message 1");
    let Ok(n) = responder.write_message(arbitrary_payload, &mut buf) else {
        return; // longer than a Noise message may be
    };
    let genuine = arbitrary_payload == genuine_payload.as_slice();
    match visitor.finish(&buf[..n], NOW, None) {
        Ok(_) => assert!(
            genuine,
            "our visitor accepted a payload that is not the genuine one"
        ),
        Err(HandshakeError::Decrypt) => panic!("snow's message 2 does not decrypt for us"),
        Err(_) => assert!(!genuine, "our visitor refused the genuine payload"),
    }
});
