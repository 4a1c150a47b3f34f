//! The idle lock: after a quiet period the console hides everything until the passphrase is
//! typed again. This file holds only a salted Argon2id digest of the passphrase, in memory.
//!
//! It must never keep the passphrase itself, and never write anything anywhere.

use argon2::{Algorithm, Argon2, Params, Version};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::keys::random_bytes;

/// Argon2id cost of the lock check: OWASP's minimum (19 MiB, 2 passes), quick to unlock.
pub const LOCK_M_KIB: u32 = 19_456;
/// Argon2id passes of the lock check.
pub const LOCK_T: u32 = 2;

/// What unlocks the console: a salted digest of the passphrase, never the passphrase.
pub struct PassphraseLock {
    salt: [u8; 16],
    digest: [u8; 32],
    m_kib: u32,
    t: u32,
}

impl std::fmt::Debug for PassphraseLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PassphraseLock(..)")
    }
}

fn digest(passphrase: &str, salt: &[u8; 16], m_kib: u32, t: u32) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // Parameters are constants or come from a test; they are always valid.
    if let Ok(params) = Params::new(m_kib, t, 1, Some(32)) {
        let kdf = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        if kdf
            .hash_password_into(passphrase.as_bytes(), salt, &mut out[..])
            .is_err()
        {
            out.fill(0);
        }
    }
    out
}

impl PassphraseLock {
    /// A lock at the standard cost.
    pub fn new(passphrase: &str) -> Self {
        Self::with_cost(passphrase, LOCK_M_KIB, LOCK_T)
    }

    /// A lock at a chosen Argon2id cost (tests use a low one).
    pub fn with_cost(passphrase: &str, m_kib: u32, t: u32) -> Self {
        let salt = random_bytes::<16>();
        let digest = *digest(passphrase, &salt, m_kib, t);
        Self {
            salt,
            digest,
            m_kib,
            t,
        }
    }

    /// Whether `passphrase` is the one the lock was made with (constant-time comparison).
    pub fn verify(&self, passphrase: &str) -> bool {
        let candidate = digest(passphrase, &self.salt, self.m_kib, self.t);
        bool::from(candidate.ct_eq(&self.digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_passphrase_it_was_made_with() {
        let lock = PassphraseLock::with_cost("correct horse", 64, 1);
        assert!(lock.verify("correct horse"));
        assert!(!lock.verify("correct hors"));
        assert!(!lock.verify(""));
    }

    #[test]
    fn two_locks_of_one_passphrase_use_different_salts() {
        let a = PassphraseLock::with_cost("same", 64, 1);
        let b = PassphraseLock::with_cost("same", 64, 1);
        assert_ne!(a.digest, b.digest);
    }
}
