//! The building blocks every other file of `crypto` shares, each a thin call into `ring` or
//! `chacha20poly1305`: domain-separated labels, HKDF-SHA256, and ChaCha20-Poly1305 with
//! Noise's nonce layout (`docs/protocol.md` §1, §3, §4).
//!
//! They sit here, below the handshake and the session cipher, so neither has to import the
//! other for them. Must never implement a primitive itself, nor depend on another file of
//! `crypto`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// Every label this protocol signs, hashes or derives with starts with this, so no Lifeline
/// signature or key can be mistaken for one made by another protocol.
pub const LABEL_PREFIX: &str = "lifeline v1 ";

/// `label || 0x00 || parts...`: the domain-separated byte string that every signature in
/// Lifeline covers. The NUL ends the label, so no label can be a prefix of another's input.
pub fn labelled(label: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(label.len() + 1 + parts.iter().map(|p| p.len()).sum::<usize>());
    out.extend_from_slice(label.as_bytes());
    out.push(0);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// RFC 5869 HKDF-SHA256 (extract then expand) into `out`, through ring.
pub fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt).extract(ikm);
    hkdf_expand(&prk, info, out);
}

/// RFC 5869 HKDF-Expand from a pseudorandom key, through ring.
pub fn hkdf_expand(prk: &ring::hkdf::Prk, info: &[u8], out: &mut [u8]) {
    struct Len(usize);
    impl ring::hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let info = [info];
    prk.expand(&info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .expect("HKDF output length is at most 255 * 32 bytes");
}

/// Noise's ChaChaPoly nonce: 32 zero bits then the 64-bit counter, little-endian.
pub fn noise_nonce(n: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_le_bytes());
    nonce
}

/// ChaCha20-Poly1305 with a Noise nonce: the one AEAD of the handshake and the session.
pub fn aead_seal(key: &[u8; 32], n: u64, ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    ChaCha20Poly1305::new(Key::from_slice(key))
        .encrypt(
            Nonce::from_slice(&noise_nonce(n)),
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail")
}

/// Opens what [`aead_seal`] sealed; `None` on any tampering or a wrong key, nonce or `ad`.
pub fn aead_open(key: &[u8; 32], n: u64, ad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt(
            Nonce::from_slice(&noise_nonce(n)),
            Payload {
                msg: ciphertext,
                aad: ad,
            },
        )
        .ok()
}
