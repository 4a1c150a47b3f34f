//! Proof-of-work (`docs/protocol.md` §7): a hashcash puzzle a visitor solves before the
//! relay accepts a chat hello or a tip, because answering one costs a coordinator a DH and
//! a signature and storing one costs disk.
//!
//! `SHA-256("lifeline v1 pow" 0x00 | seed [16] | context | nonce u64 BE)` must start with
//! `difficulty` zero bits. The relay issues each seed once and forgets it once used.

use super::primitives::labelled;

/// The label of the proof-of-work digest.
pub const POW_LABEL: &str = "lifeline v1 pow";
/// Above this a phone could not solve the puzzle in reasonable time.
pub const MAX_DIFFICULTY: u8 = 28;

/// SHA-256 of a seed, its context and a candidate nonce.
pub fn digest(seed: &[u8; 16], context: &[u8], nonce: u64) -> [u8; 32] {
    let input = labelled(POW_LABEL, &[seed, context, &nonce.to_be_bytes()]);
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &input).as_ref());
    out
}

/// How many leading bits of `hash` are zero.
pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// Whether `nonce` solves `seed` for `context` at `difficulty` bits.
pub fn verify(seed: &[u8; 16], context: &[u8], nonce: u64, difficulty: u8) -> bool {
    leading_zero_bits(&digest(seed, context, nonce)) >= difficulty as u32
}

/// Finds the smallest nonce that solves the puzzle (clients and tests).
pub fn solve(seed: &[u8; 16], context: &[u8], difficulty: u8) -> u64 {
    (0..=u64::MAX)
        .find(|n| verify(seed, context, *n, difficulty))
        .unwrap_or(u64::MAX)
}
