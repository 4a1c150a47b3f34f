//! The coordinator's side of the handshake (`CoordinatorHandshake::respond`) on an
//! arbitrary message 1, with the fixed coordinator identity of `lifeline::crypto::vectors`.
//!
//! Message 1 is exactly the visitor's 32-byte ephemeral key: every other length must be
//! `Malformed`, and every 32-byte value must give either a message 2 within the size
//! bounds or `WeakKey` (a low-order point).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::Certificate;
use lifeline::crypto::handshake::{
    CoordinatorHandshake, CoordinatorIdentity, HandshakeError, MESSAGE1_LEN, MESSAGE2_MAX_LEN,
    MESSAGE2_MIN_LEN,
};
use lifeline::crypto::keys::{DhSecret, Fingerprint, SigningKey};
use lifeline::crypto::vectors::{
    SESSION_ID, coordinator_certificate, coordinator_keys, fixed, org_key,
};

struct Coordinator {
    org: Fingerprint,
    signing: SigningKey,
    static_key: DhSecret,
    certificate: Certificate,
}

static COORDINATOR: LazyLock<Coordinator> = LazyLock::new(|| {
    let (signing, static_key) = coordinator_keys();
    Coordinator {
        org: org_key().public().fingerprint(),
        signing,
        static_key,
        certificate: coordinator_certificate(),
    }
});

fuzz_target!(|data: &[u8]| {
    let c = &*COORDINATOR;
    let identity = CoordinatorIdentity {
        static_key: &c.static_key,
        signing_key: &c.signing,
        certificate: &c.certificate,
    };
    let result = CoordinatorHandshake::respond(
        SESSION_ID,
        &c.org,
        &identity,
        DhSecret::from_bytes(fixed(0x60)),
        data,
    );
    match result {
        Ok((message2, _)) => {
            assert_eq!(data.len(), MESSAGE1_LEN);
            assert!((MESSAGE2_MIN_LEN..=MESSAGE2_MAX_LEN).contains(&message2.len()));
        }
        Err(HandshakeError::WeakKey) => assert_eq!(data.len(), MESSAGE1_LEN),
        Err(HandshakeError::Malformed) => assert_ne!(data.len(), MESSAGE1_LEN),
        Err(e) => panic!("unexpected error for {} bytes: {e:?}", data.len()),
    }
});
