//! Proof-of-work checks (`docs/protocol.md` §7) on fuzzer-chosen solutions: the hashcash
//! verifier every hello and tip passes, and the relay's self-authenticating seeds.
//!
//! Input: `seed [16] | nonce u64 | difficulty u8 | tamper [16] | context`.
//! - `proof_of_work::verify` agrees with a bit-by-bit reference count of leading zeros of
//!   the same digest, at every difficulty up to 255 (never overflows, never wraps).
//! - A seed the relay issued (difficulty 0, so any nonce solves it) redeems once with any
//!   context and nonce, never twice; the same seed with any bit flipped (`tamper`), or a
//!   seed the fuzzer made up, never redeems.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::proof_of_work::{self, digest};
use lifeline::relay::pow::SeedBook;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
});

fn reference_zero_bits(hash: &[u8; 32]) -> u32 {
    let mut bits = 0;
    for i in 0..256 {
        if hash[i / 8] & (0x80 >> (i % 8)) != 0 {
            break;
        }
        bits += 1;
    }
    bits
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 + 8 + 1 + 16 {
        return;
    }
    let seed: [u8; 16] = data[..16].try_into().expect("16 bytes");
    let nonce = u64::from_be_bytes(data[16..24].try_into().expect("8 bytes"));
    let difficulty = data[24];
    let tamper: [u8; 16] = data[25..41].try_into().expect("16 bytes");
    let context = &data[41..];

    let hash = digest(&seed, context, nonce);
    let zeros = reference_zero_bits(&hash);
    assert_eq!(proof_of_work::leading_zero_bits(&hash), zeros);
    assert_eq!(
        proof_of_work::verify(&seed, context, nonce, difficulty),
        zeros >= u32::from(difficulty)
    );

    let book = SeedBook::new(None, lifeline::clock::Clock::system());
    RUNTIME.block_on(async {
        assert!(
            !book.redeem(&seed, context, nonce).await,
            "a made-up seed redeemed"
        );
        let issued = book.issue(0);
        let mut tampered = issued;
        for (t, m) in tampered.iter_mut().zip(tamper) {
            *t ^= m;
        }
        if tampered != issued {
            assert!(
                !book.redeem(&tampered, context, nonce).await,
                "a tampered seed redeemed"
            );
        }
        assert!(
            book.redeem(&issued, context, nonce).await,
            "an issued seed was refused"
        );
        assert!(
            !book.redeem(&issued, context, nonce).await,
            "a seed redeemed twice"
        );
    });
});
