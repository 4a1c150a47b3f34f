//! Receipt codes for tipsters (`docs/protocol.md` §6).
//!
//! A code is 19 random symbols plus one check symbol from a 31-symbol alphabet with no
//! look-alikes (no 0, O, 1, I, L), shown in five groups of four: about 94 bits. The check
//! symbol makes the weighted sum `Σ (i+1)·vᵢ` a multiple of 31; 31 is prime and every weight
//! is distinct and non-zero mod 31, so any single mistyped symbol and any swap of two
//! neighbours is caught before the slow KDF runs.
//!
//! The code is stretched with PBKDF2-HMAC-SHA256 (600,000 iterations, OWASP 2023), salted
//! with a label and the organisation fingerprint, then split with HKDF-Expand into a lookup
//! id and the tipster's X25519 key. The relay sees the lookup id, never the code.

use std::fmt;
use std::num::NonZeroU32;

use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use super::keys::{DhSecret, Fingerprint};
use super::primitives::{hkdf_expand, labelled};

/// The 31 symbols of a code: no 0, 1, I, L or O, which people misread.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Symbols carrying randomness.
pub const DATA_SYMBOLS: usize = 19;
/// Symbols in a code: the data and one check symbol.
pub const SYMBOLS: usize = DATA_SYMBOLS + 1;
/// Symbols per group when a code is shown.
pub const GROUP: usize = 4;
/// PBKDF2-HMAC-SHA256 iterations from a code to its master key.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The label of the PBKDF2 salt.
pub const SALT_LABEL: &str = "lifeline v1 receipt";
/// HKDF info of the lookup id.
pub const LOOKUP_INFO: &[u8] = b"lifeline v1 receipt lookup id";
/// HKDF info of the tipster's X25519 key.
pub const KEY_INFO: &[u8] = b"lifeline v1 receipt x25519";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a typed receipt code was refused.
pub enum ReceiptError {
    #[error("a receipt code has {SYMBOLS} characters; this one has {0}")]
    /// Not the right number of symbols.
    Length(usize),
    #[error("character {position} is not used in receipt codes")]
    /// A character no code contains, at this position.
    Character {
        /// Where it is among the symbols, from 1, spaces and dashes not counted.
        position: usize,
    },
    #[error("the code has a typo (check character does not match)")]
    /// The check symbol does not match: a typo.
    Check,
}

/// A receipt code, kept as its 20 symbol values. Zeroized on drop; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptCode([u8; SYMBOLS]);

impl Drop for ReceiptCode {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReceiptCode(<redacted>)")
    }
}

fn check_value(values: &[u8]) -> u8 {
    let sum: u32 = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u32 + 1) * *v as u32)
        .sum();
    // Choose c so that sum + SYMBOLS·c ≡ 0 (mod 31): c = -sum · SYMBOLS⁻¹.
    let inverse = (1..31)
        .find(|x| (x * SYMBOLS as u32) % 31 == 1)
        .unwrap_or(1);
    ((31 - sum % 31) % 31 * inverse % 31) as u8
}

impl ReceiptCode {
    /// A fresh code with 19 uniformly random symbols (rejection sampling: no bias).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut values = [0u8; SYMBOLS];
        let mut filled = 0;
        while filled < DATA_SYMBOLS {
            let mut byte = [0u8; 1];
            rng.fill_bytes(&mut byte);
            // 248 = 8 × 31: values at or above it would favour small symbols.
            if byte[0] < 248 {
                values[filled] = byte[0] % 31;
                filled += 1;
            }
        }
        values[DATA_SYMBOLS] = check_value(&values[..DATA_SYMBOLS]);
        Self(values)
    }

    /// Parses what a person typed: case, spaces and dashes are ignored.
    pub fn parse(typed: &str) -> Result<Self, ReceiptError> {
        let symbols: Vec<char> = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if symbols.len() != SYMBOLS {
            return Err(ReceiptError::Length(symbols.len()));
        }
        let mut values = [0u8; SYMBOLS];
        for (position, c) in symbols.iter().enumerate() {
            let upper = c.to_ascii_uppercase() as u32;
            values[position] =
                ALPHABET
                    .iter()
                    .position(|a| *a as u32 == upper)
                    .ok_or(ReceiptError::Character {
                        position: position + 1,
                    })? as u8;
        }
        if check_value(&values[..DATA_SYMBOLS]) != values[DATA_SYMBOLS] {
            return Err(ReceiptError::Check);
        }
        Ok(Self(values))
    }

    /// The 20 symbols without separators: the KDF's password.
    pub fn canonical(&self) -> Zeroizing<String> {
        Zeroizing::new(
            self.0
                .iter()
                .map(|v| ALPHABET[*v as usize] as char)
                .collect(),
        )
    }

    /// `XXXX-XXXX-XXXX-XXXX-XXXX`, for showing to the tipster.
    pub fn display(&self) -> Zeroizing<String> {
        let canonical = self.canonical();
        let groups: Vec<&str> = (0..SYMBOLS / GROUP)
            .map(|g| &canonical[g * GROUP..(g + 1) * GROUP])
            .collect();
        Zeroizing::new(groups.join("-"))
    }

    /// Stretches the code into the lookup id and the tipster's key (slow on purpose).
    pub fn derive(&self, org: &Fingerprint) -> ReceiptKeys {
        self.derive_with_iterations(org, PBKDF2_ITERATIONS)
    }

    #[doc(hidden)]
    pub fn derive_with_iterations(&self, org: &Fingerprint, iterations: u32) -> ReceiptKeys {
        let salt = labelled(SALT_LABEL, &[&org.0]);
        let mut master = Zeroizing::new([0u8; 32]);
        ring::pbkdf2::derive(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN),
            &salt,
            self.canonical().as_bytes(),
            &mut master[..],
        );
        let prk = ring::hkdf::Prk::new_less_safe(ring::hkdf::HKDF_SHA256, &master[..]);
        let mut lookup_id = [0u8; 32];
        hkdf_expand(&prk, LOOKUP_INFO, &mut lookup_id);
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf_expand(&prk, KEY_INFO, &mut key[..]);
        ReceiptKeys {
            master,
            lookup_id,
            tipster_key: DhSecret::from_bytes(*key),
        }
    }
}

/// What a receipt code opens: where replies are filed, and the key they are sealed to.
pub struct ReceiptKeys {
    /// What the code derives everything else from.
    pub master: Zeroizing<[u8; 32]>,
    /// Where the relay files the tip and its replies (it sees only a hash of it).
    pub lookup_id: [u8; 32],
    /// The key replies are sealed to.
    pub tipster_key: DhSecret,
}

impl fmt::Debug for ReceiptKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ReceiptKeys(public={:?}, secrets=<redacted>)",
            self.tipster_key.public()
        )
    }
}
