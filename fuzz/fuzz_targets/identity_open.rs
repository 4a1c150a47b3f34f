//! `console::identity::Identity::open`: the coordinator's sealed identity file (Argon2id +
//! ChaCha20-Poly1305), whose bytes anyone who could write to the laptop's disk, or hand a
//! coordinator a file, chose.
//!
//! Input: `mode u8 | rest`.
//! - Even mode: `rest` (lossy UTF-8) is the file text, opened with a fixed passphrase. The
//!   KDF cost comes from the file, so this reaches the cost checks; it must fail with an
//!   error, never abort, exhaust memory or hang. (Costs within `KdfParams::MAX` but above
//!   4 MiB-passes are skipped: slow by design, not a finding.)
//! - Odd mode: `rest` is a plaintext, sealed at the cheapest accepted cost under the fixed
//!   passphrase exactly as a hostile writer who knows it could, then opened: this reaches
//!   the plaintext decoder behind the AEAD. Whatever opens seals and opens again to the same
//!   identity (alias, organisation, certificate and keys, the latter through the
//!   deterministic Ed25519 enrolment request), and a certificate in it is for its own keys.

#![no_main]

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use libfuzzer_sys::fuzz_target;
use lifeline::console::identity::{Identity, KdfParams, MAGIC};
use lifeline::protocol::b64;

const PASSPHRASE: &str = "correct horse battery staple";
/// The cheapest cost Argon2 accepts with one lane: 8 KiB, one pass.
const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

/// The file format of `Identity::seal`, around an arbitrary plaintext.
fn seal_plaintext(plaintext: &[u8]) -> String {
    let salt = [0x5a; 16];
    let nonce = [0xa5; 12];
    let mut header = Vec::with_capacity(40);
    for word in [CHEAP.m_kib, CHEAP.t, CHEAP.p] {
        header.extend_from_slice(&word.to_be_bytes());
    }
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    let params = Params::new(CHEAP.m_kib, CHEAP.t, CHEAP.p, Some(32)).expect("cheap params");
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(PASSPHRASE.as_bytes(), &salt, &mut key)
        .expect("Argon2 on valid params");
    let mut aad = MAGIC.as_bytes().to_vec();
    aad.push(b'\n');
    aad.extend_from_slice(&header);
    let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("in-memory encryption");
    let mut body = header;
    body.extend_from_slice(&ciphertext);
    format!("{MAGIC}\n{}\n", b64::encode(&body))
}

/// Whether opening `text` costs the fuzzer little. A file asking for a KDF cost above
/// `KdfParams::MAX` must be refused before any work (that is what is fuzzed); one within the
/// bounds but above a few MiB-passes is a legitimate, deliberately slow file, skipped here
/// so that it does not end the run as a timeout.
fn affordable(text: &str) -> bool {
    let Some(body) = text.lines().nth(1).and_then(|l| b64::decode(l.trim())) else {
        return true;
    };
    let word = |i: usize| {
        body.get(i..i + 4).map_or(0, |w| {
            u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        })
    };
    let (m_kib, t, p) = (word(0), word(4), word(8));
    let max = KdfParams::MAX;
    let refused = m_kib > u64::from(max.m_kib) || t > u64::from(max.t) || p > u64::from(max.p);
    refused || m_kib * t <= 4096
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        if affordable(&text) {
            let _ = Identity::open(&text, PASSPHRASE);
        }
        return;
    }
    let Ok(identity) = Identity::open(&seal_plaintext(rest), PASSPHRASE) else {
        return;
    };
    let again = Identity::open(
        &identity
            .seal(PASSPHRASE, CHEAP)
            .expect("what opened seals again"),
        PASSPHRASE,
    )
    .expect("and opens again");
    assert_eq!(again.alias, identity.alias);
    assert_eq!(again.organisation(), identity.organisation());
    assert_eq!(again.certificate(), identity.certificate());
    // The module's promise: never a certificate that is not for exactly these keys.
    if let Some(certificate) = identity.certificate() {
        let files = identity
            .coordinator_files()
            .expect("an identity with a certificate");
        assert_eq!(
            certificate.body().x25519_public,
            files.dh.public(),
            "foreign certificate"
        );
        assert_eq!(
            certificate.body().ed25519_public,
            files.signing.public(),
            "foreign certificate"
        );
    }
    // The request is signed with the identity's Ed25519 key and carries its X25519 key.
    assert_eq!(
        again.enrolment_request().ok(),
        identity.enrolment_request().ok()
    );
});
