//! The visitor's side of the handshake (`VisitorHandshake::finish`) on an arbitrary
//! message 2, from the fixed visitor state of `lifeline::crypto::vectors` (session
//! `SESSION_ID`, ephemeral `fixed(0x50)`, pinned organisation key).
//!
//! Only the coordinator holding the certified keys can write an acceptable message 2, so
//! the only input that may succeed is the one it actually wrote (the committed vector):
//! any other success is a forgery and aborts the run.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::handshake::{
    CoordinatorHandshake, CoordinatorIdentity, HandshakeError, MESSAGE2_MAX_LEN, MESSAGE2_MIN_LEN,
    VisitorHandshake,
};
use lifeline::crypto::keys::{DhSecret, OrgPublicKey};
use lifeline::crypto::vectors::{
    NOW, SESSION_ID, coordinator_certificate, coordinator_keys, fixed, org_key,
};

static ORG: LazyLock<OrgPublicKey> = LazyLock::new(|| org_key().public());

/// The genuine message 2 for the fixed visitor's message 1.
static GENUINE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let org = *ORG;
    let (_, message1) = VisitorHandshake::start(SESSION_ID, org, DhSecret::from_bytes(fixed(0x50)));
    let (signing, static_key) = coordinator_keys();
    let certificate = coordinator_certificate();
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &signing,
        certificate: &certificate,
    };
    CoordinatorHandshake::respond(
        SESSION_ID,
        &org.fingerprint(),
        &identity,
        DhSecret::from_bytes(fixed(0x60)),
        &message1,
    )
    .expect("the fixed handshake succeeds")
    .0
});

fuzz_target!(|data: &[u8]| {
    let genuine = &*GENUINE;
    let (visitor, _) = VisitorHandshake::start(SESSION_ID, *ORG, DhSecret::from_bytes(fixed(0x50)));
    match visitor.finish(data, NOW, None) {
        Ok((_, who)) => {
            assert_eq!(data, &genuine[..], "a forged message 2 was accepted");
            assert_eq!(who.serial, 7);
        }
        Err(HandshakeError::Malformed) => {}
        Err(_) => assert!(
            (MESSAGE2_MIN_LEN..=MESSAGE2_MAX_LEN).contains(&data.len()),
            "a message 2 of the wrong length got past the length check"
        ),
    }
});
