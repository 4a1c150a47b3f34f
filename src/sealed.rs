//! Secrets at rest under a passphrase: the one format every sealed file shares (the console
//! identity, sealed key files). ChaCha20-Poly1305 under a key derived by Argon2id; the file's
//! first line names what it holds, and is bound into the associated data so one kind of
//! sealed file can never be opened as another.
//!
//! Text: `<magic>\n` then base64url of `m_kib u32 | t u32 | p u32 | salt [16] | nonce [12] |
//! ciphertext` (big-endian), associated data `<magic> || 0x0a || bytes[0..40]`
//! (`docs/protocol.md` §2.5). Must never return or write plaintext it could not authenticate,
//! and never keep the passphrase or the derived key beyond one call.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroizing;

use crate::crypto::keys::random_bytes;
use crate::protocol::b64;

const HEADER: usize = 40;
const TAG: usize = 16;

/// Why sealed text could not be opened or sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not sealed text of this kind: wrong first line, encoding, length or KDF cost.
    #[error("not a sealed file of this kind, or truncated")]
    Format,
    /// The passphrase is wrong or the text was altered (the AEAD does not open).
    #[error("wrong passphrase, or the file was altered")]
    Decrypt,
}

/// Argon2id cost low enough for unit tests (files sealed for a test only).
#[cfg(test)]
pub(crate) const TEST_KDF: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

/// Argon2id cost, stored in the file so it can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub m_kib: u32,
    /// Number of passes.
    pub t: u32,
    /// Degree of parallelism (lanes).
    pub p: u32,
}

impl KdfParams {
    /// The cost every new sealed file gets: 64 MiB, 3 passes, 1 lane.
    pub const STANDARD: Self = Self {
        m_kib: 65_536,
        t: 3,
        p: 1,
    };

    /// The most a file may ask for (16 times the standard memory and passes). The cost is
    /// read before anything is authenticated: unbounded, a crafted file could make the
    /// reader allocate terabytes or run for years.
    pub const MAX: Self = Self {
        m_kib: 16 * 65_536,
        t: 16 * 3,
        p: 16,
    };

    /// A cost cheap enough for unit tests (never for a real file).
    #[cfg(test)]
    pub(crate) const CHEAP: Self = Self {
        m_kib: 256,
        t: 1,
        p: 1,
    };

    fn within_limits(self) -> bool {
        self.m_kib <= Self::MAX.m_kib && self.t <= Self::MAX.t && self.p <= Self::MAX.p
    }
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, SealError> {
    if !params.within_limits() {
        return Err(SealError::Format);
    }
    let argon_params =
        Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(|_| SealError::Format)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key[..])
        .map_err(|_| SealError::Format)?;
    Ok(key)
}

fn aad(magic: &str, header: &[u8]) -> Vec<u8> {
    let mut aad = magic.as_bytes().to_vec();
    aad.push(b'\n');
    aad.extend_from_slice(header);
    aad
}

/// Whether `text` is sealed text of the kind `magic` names (nothing is checked beyond the
/// first line).
pub fn is_sealed(magic: &str, text: &str) -> bool {
    text.lines().next() == Some(magic)
}

/// Seals `plaintext` under `passphrase` into file text headed by `magic`.
pub fn seal(
    magic: &str,
    plaintext: &[u8],
    passphrase: &str,
    params: KdfParams,
) -> Result<String, SealError> {
    let salt = random_bytes::<16>();
    let nonce = random_bytes::<12>();
    let mut body = Vec::with_capacity(HEADER + plaintext.len() + TAG);
    for word in [params.m_kib, params.t, params.p] {
        body.extend_from_slice(&word.to_be_bytes());
    }
    body.extend_from_slice(&salt);
    body.extend_from_slice(&nonce);
    let key = derive_key(passphrase, &salt, params)?;
    let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key[..]))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad(magic, &body),
            },
        )
        .map_err(|_| SealError::Format)?;
    body.extend_from_slice(&ciphertext);
    Ok(format!("{magic}\n{}\n", b64::encode(&body)))
}

/// The sealed body of `text`, and the KDF cost it names, without opening it.
fn body_of(magic: &str, text: &str) -> Result<(Vec<u8>, KdfParams), SealError> {
    if !is_sealed(magic, text) {
        return Err(SealError::Format);
    }
    let body = text
        .lines()
        .nth(1)
        .and_then(|l| b64::decode(l.trim()))
        .filter(|b| b.len() >= HEADER + TAG)
        .ok_or(SealError::Format)?;
    let word = |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
    let params = KdfParams {
        m_kib: word(0),
        t: word(4),
        p: word(8),
    };
    Ok((body, params))
}

/// The KDF cost `text` was sealed with (to rewrite it at the same cost).
pub fn params_of(magic: &str, text: &str) -> Result<KdfParams, SealError> {
    body_of(magic, text).map(|(_, params)| params)
}

/// Opens text sealed by [`seal`] with the same `magic`.
pub fn open(magic: &str, text: &str, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let (body, params) = body_of(magic, text)?;
    let (header, ciphertext) = body.split_at(HEADER);
    let key = derive_key(passphrase, &header[12..28], params)?;
    ChaCha20Poly1305::new(Key::from_slice(&key[..]))
        .decrypt(
            Nonce::from_slice(&header[28..40]),
            Payload {
                msg: ciphertext,
                aad: &aad(magic, header),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| SealError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams::CHEAP;

    #[test]
    fn round_trip_and_every_refusal() {
        let text =
            seal("kind a v1", b"secret bytes", "a long passphrase", CHEAP).unwrap_or_default();
        let opened = open("kind a v1", &text, "a long passphrase").map(|p| p.to_vec());
        assert_eq!(opened, Ok(b"secret bytes".to_vec()));
        assert_eq!(params_of("kind a v1", &text), Ok(CHEAP));
        assert!(!text.contains("secret"), "nothing readable");
        assert_eq!(
            open("kind a v1", &text, "another passphrase").err(),
            Some(SealError::Decrypt)
        );
        // Another kind of file, even with its first line swapped, never opens as this one.
        let swapped = text.replacen("kind a v1", "kind b v1", 1);
        assert_eq!(
            open("kind b v1", &swapped, "a long passphrase").err(),
            Some(SealError::Decrypt)
        );
        assert_eq!(
            open("kind b v1", &text, "a long passphrase").err(),
            Some(SealError::Format)
        );
        let line = text.lines().nth(1).unwrap_or_default();
        let truncated = format!("kind a v1\n{}\n", &line[..50]);
        assert_eq!(
            open("kind a v1", &truncated, "a long passphrase").err(),
            Some(SealError::Format)
        );
        let cut_tag = format!("kind a v1\n{}\n", &line[..line.len() - 4]);
        assert!(open("kind a v1", &cut_tag, "a long passphrase").is_err());
    }

    #[test]
    fn an_absurd_kdf_cost_is_refused_before_any_work() {
        let text = seal("k v1", b"x", "passphrase!", CHEAP).unwrap_or_default();
        let mut body = b64::decode(text.lines().nth(1).unwrap_or_default()).unwrap_or_default();
        body[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        let crafted = format!("k v1\n{}\n", b64::encode(&body));
        assert_eq!(
            open("k v1", &crafted, "passphrase!").err(),
            Some(SealError::Format)
        );
    }
}
