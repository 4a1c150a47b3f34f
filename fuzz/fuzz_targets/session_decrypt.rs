//! `SessionCipher::decrypt` on arbitrary envelopes, fed in sequence to one cipher so the
//! replay / reorder / close state machine is exercised, not just the first message.
//!
//! Input: `side u8 | (len u16 BE | envelope)*`. An even `side` feeds the coordinator's
//! cipher (visitor-to-coordinator envelopes), an odd one the visitor's. Both ciphers come
//! from the fixed handshake of `lifeline::crypto::vectors`, so the committed vector
//! envelopes (the seed corpus) decrypt and the fuzzer starts from real traffic.
//!
//! A fresh cipher costs a whole handshake, so each side's cipher is kept between inputs
//! and rebuilt only after an input that changed it (an accepted envelope): every input
//! still starts from the same state, since a refused envelope changes nothing (checked).
//!
//! Checked on every call: a failure leaves the state unchanged, a success advances it by
//! exactly one, and the error kinds agree with the message number.

#![no_main]

use std::sync::{LazyLock, Mutex};

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::Certificate;
use lifeline::crypto::handshake::{CoordinatorHandshake, CoordinatorIdentity, VisitorHandshake};
use lifeline::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use lifeline::crypto::session::{Plaintext, SessionCipher, SessionError};
use lifeline::crypto::vectors::{
    NOW, SESSION_ID, coordinator_certificate, coordinator_keys, fixed, org_key,
};

struct Fixed {
    org: OrgPublicKey,
    signing: SigningKey,
    static_key: DhSecret,
    certificate: Certificate,
}

static FIXED: LazyLock<Fixed> = LazyLock::new(|| {
    let (signing, static_key) = coordinator_keys();
    Fixed {
        org: org_key().public(),
        signing,
        static_key,
        certificate: coordinator_certificate(),
    }
});

/// The cipher of the chosen side after the fixed handshake.
fn cipher(visitor_side: bool) -> SessionCipher {
    let f = &*FIXED;
    let (visitor, message1) =
        VisitorHandshake::start(SESSION_ID, f.org, DhSecret::from_bytes(fixed(0x50)));
    let identity = CoordinatorIdentity {
        static_key: &f.static_key,
        signing_key: &f.signing,
        certificate: &f.certificate,
    };
    let (message2, coordinator) = CoordinatorHandshake::respond(
        SESSION_ID,
        &f.org.fingerprint(),
        &identity,
        DhSecret::from_bytes(fixed(0x60)),
        &message1,
    )
    .expect("the fixed handshake succeeds");
    if visitor_side {
        visitor.finish(&message2, NOW, None).expect("verifies").0
    } else {
        coordinator
    }
}

/// Each side's cipher in its just-handshaken state, or `None` once it was advanced.
static CACHE: Mutex<[Option<SessionCipher>; 2]> = Mutex::new([None, None]);

fuzz_target!(|data: &[u8]| {
    let Some((&side, mut rest)) = data.split_first() else {
        return;
    };
    let side = (side % 2) as usize;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cipher = cache[side].get_or_insert_with(|| cipher(side == 1));
    assert_eq!(cipher.next_receive(), 0, "the cached cipher is fresh");
    let mut changed = false;
    let mut closed = false;
    while rest.len() >= 2 {
        let len = (u16::from_be_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        let envelope = &rest[2..2 + len];
        rest = &rest[2 + len..];
        let before = cipher.next_receive();
        match cipher.decrypt(envelope) {
            Ok(plaintext) => {
                assert!(!closed, "a message was accepted after the peer's close");
                assert_eq!(cipher.next_receive(), before + 1);
                assert_eq!(&envelope[..8], &before.to_be_bytes());
                closed = plaintext == Plaintext::Close;
                changed = true;
            }
            Err(e) => {
                assert_eq!(cipher.next_receive(), before, "{e:?} changed the state");
                match e {
                    SessionError::Replay { expected, got } => {
                        assert!(got < expected && expected == before)
                    }
                    SessionError::Reorder { expected, got } => {
                        assert!(got > expected && expected == before)
                    }
                    SessionError::Closed => assert!(closed),
                    SessionError::Malformed | SessionError::Tamper => {}
                    other => panic!("decrypt returned {other:?}"),
                }
            }
        }
    }
    assert_eq!(cipher.finish().is_ok(), closed);
    if changed {
        cache[side] = None;
    }
});
