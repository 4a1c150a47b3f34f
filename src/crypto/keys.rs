//! Key types: Ed25519 signing keys (ring), X25519 secrets (x25519-dalek), fingerprints.
//!
//! Secrets are zeroized on drop and their `Debug` shows only the public half, so a stray
//! `{:?}` in a log can never leak one.

use std::fmt;

use rand_core::{OsRng, RngCore};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

/// SHA-256 of a public key's bytes: how Lifeline names a key in labels and prologues.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a public key's bytes.
    pub fn of(public_key: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }
    /// The fingerprint in lower-case hex.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", &self.to_hex()[..16])
    }
}

/// Lower-case hex, for fingerprints and test output only (never for secrets).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads exactly `N` bytes back from what [`hex`] wrote; `None` on anything else.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Fresh random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}

/// An Ed25519 signing key (organisation or coordinator), kept as its 32-byte seed.
pub struct SigningKey {
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self::from_seed(random_bytes())
    }
    /// RFC 8032 keys are any 32 bytes, so this cannot fail for a well-sized seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let seed = Zeroizing::new(seed);
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed[..])
            .expect("ring accepts every 32-byte Ed25519 seed");
        Self { seed, pair }
    }
    /// The 32-byte seed the key is stored as.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }
    /// The public key that verifies this key's signatures.
    pub fn public(&self) -> OrgPublicKey {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        OrgPublicKey(out)
    }
    /// An Ed25519 signature over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey(public={:?}, secret=<redacted>)",
            self.public().fingerprint()
        )
    }
}

/// An Ed25519 public key. Named for its main use, the pinned organisation key, but also
/// the type of every coordinator's signing public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgPublicKey(pub [u8; 32]);

impl OrgPublicKey {
    /// Whether `signature` is this key's Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, signature)
            .is_ok()
    }
    /// The key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.0)
    }
}

impl fmt::Debug for OrgPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519Public({})", hex(&self.0))
    }
}

/// An X25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DhPublicKey(pub [u8; 32]);

impl DhPublicKey {
    /// The key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.0)
    }
}

impl fmt::Debug for DhPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X25519Public({})", hex(&self.0))
    }
}

/// An X25519 secret (static or ephemeral). Zeroized on drop by x25519-dalek.
pub struct DhSecret(x25519_dalek::StaticSecret);

impl DhSecret {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self::from_bytes(random_bytes())
    }
    /// Any 32 bytes; X25519 clamps them (RFC 7748 §5).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(x25519_dalek::StaticSecret::from(bytes))
    }
    /// The secret's bytes, wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }
    /// The public key to share.
    pub fn public(&self) -> DhPublicKey {
        DhPublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }
    /// X25519(self, peer). An all-zero result (a low-order peer key) is refused, as Noise
    /// and RFC 7748 §6.1 allow, so a malicious peer cannot force a known shared secret.
    pub fn agree(&self, peer: &DhPublicKey) -> Option<Zeroizing<[u8; 32]>> {
        let shared = self
            .0
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer.0));
        if !shared.was_contributory() {
            return None;
        }
        Some(Zeroizing::new(shared.to_bytes()))
    }
}

impl fmt::Debug for DhSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DhSecret(public={:?}, secret=<redacted>)", self.public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_reads_back_only_what_it_wrote_at_the_expected_length() {
        let bytes: [u8; 4] = [0x00, 0x7f, 0xa0, 0xff];
        assert_eq!(hex(&bytes), "007fa0ff");
        assert_eq!(from_hex::<4>("007fa0ff"), Some(bytes));
        assert_eq!(from_hex::<4>("007FA0FF"), Some(bytes));
        assert_eq!(from_hex::<4>("007fa0f"), None, "odd length");
        assert_eq!(from_hex::<3>("007fa0ff"), None, "too long");
        assert_eq!(from_hex::<4>("007fa0fg"), None, "not hex");
        assert_eq!(from_hex::<2>("é0"), None, "not ASCII");
    }
}
