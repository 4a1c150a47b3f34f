//! Sealed key files (`keyfile::read_key_with` and the 32-byte readers over `sealed::open`,
//! `docs/protocol.md` §2.5): the organisation's and inbox's secret keys at rest under a
//! passphrase, whose bytes whoever can write to the key folder chose. Read through the real
//! entry point, a file on disk.
//!
//! Input: `mode u8 | rest`.
//! - Even mode: `rest` is the key file. Plain (not headed by the sealed-key line): it reads
//!   the same with or without a passphrase, as strict base64url. Sealed: it never reads
//!   without the passphrase; with it, the result is exactly `sealed::open`'s, whose refusal
//!   is the typed `SealError` (`Format` whenever the cost cannot even be read); what opens
//!   seals and reads again to the same bytes. (Costs within `KdfParams::MAX` but above 4
//!   MiB-passes are skipped: slow by design, not a finding.)
//! - Odd mode: `rest` is `at u16 | key bytes`: the bytes are sealed at the cheapest cost,
//!   read back (the same bytes; the 32-byte readers exactly when there are 32; another
//!   passphrase gives `Decrypt`; a sealed identity's first line gives `Format`), then the
//!   file is read with one bit flipped at `at`: it is refused, or reads to the very same
//!   bytes (a flip in the trailing whitespace), never to anything else (a flip that raises
//!   the cost above 4 MiB-passes is skipped, as above).

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::keyfile::{
    SEALED_KEY_MAGIC, is_sealed_key, read_dh_secret_with, read_key, read_key_with,
    read_signing_key_with, write_sealed_key,
};
use lifeline::protocol::b64;
use lifeline::sealed::{self, KdfParams, SealError};

const PASSPHRASE: &str = "correct horse battery staple";
/// The cheapest cost Argon2 accepts with one lane: 8 KiB, one pass.
const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

#[path = "../common/scratch.rs"]
mod scratch;

/// One scratch file per fuzzing process, and one for what is sealed again.
static PATH: LazyLock<PathBuf> = LazyLock::new(|| scratch::file("sealed-key"));
static AGAIN: LazyLock<PathBuf> = LazyLock::new(|| scratch::file("sealed-key-again"));

/// Whether opening `text` costs the fuzzer little (see `identity_open`): a cost above
/// `KdfParams::MAX` must be refused before any work, which is what is fuzzed.
fn affordable(text: &str) -> bool {
    let Ok(p) = sealed::params_of(SEALED_KEY_MAGIC, text) else {
        return true;
    };
    let max = KdfParams::MAX;
    let refused = p.m_kib > max.m_kib || p.t > max.t || p.p > max.p;
    refused || u64::from(p.m_kib) * u64::from(p.t) <= 4096
}

/// The 32-byte readers accept exactly the files whose key is 32 bytes.
fn check_32(path: &Path, passphrase: Option<&str>, len: Option<usize>) {
    assert_eq!(
        read_dh_secret_with(path, passphrase).is_ok(),
        len == Some(32)
    );
    assert_eq!(
        read_signing_key_with(path, passphrase).is_ok(),
        len == Some(32)
    );
}

fn existing_file(data: &[u8]) {
    std::fs::write(&*PATH, data).expect("scratch file writable");
    let text = String::from_utf8_lossy(data);
    if !is_sealed_key(&PATH) {
        let with = read_key_with(&PATH, Some(PASSPHRASE)).map(|k| k.to_vec());
        let plain = read_key(&PATH).ok();
        assert_eq!(with.as_ref().ok(), plain.as_ref(), "plain file, passphrase");
        let without = read_key_with(&PATH, None).map(|k| k.to_vec());
        assert_eq!(without.as_ref().ok(), plain.as_ref(), "plain file, none");
        if let Some(bytes) = &plain {
            assert_eq!(text.trim(), b64::encode(bytes), "non-canonical key file");
        }
        check_32(&PATH, None, plain.map(|k| k.len()));
        return;
    }
    assert!(
        read_key_with(&PATH, None).is_err(),
        "a sealed key read without its passphrase"
    );
    if !affordable(&text) {
        return;
    }
    let with = read_key_with(&PATH, Some(PASSPHRASE)).map(|k| k.to_vec());
    let opened = sealed::open(SEALED_KEY_MAGIC, &text, PASSPHRASE).map(|k| k.to_vec());
    assert_eq!(with.as_ref().ok(), opened.as_ref().ok());
    if sealed::params_of(SEALED_KEY_MAGIC, &text).is_err() {
        assert_eq!(opened.as_ref().err(), Some(&SealError::Format));
    }
    let Ok(bytes) = opened else {
        return;
    };
    check_32(&PATH, Some(PASSPHRASE), Some(bytes.len()));
    write_sealed_key(&AGAIN, &bytes, PASSPHRASE, CHEAP).expect("what opened seals again");
    let again = read_key_with(&AGAIN, Some(PASSPHRASE)).expect("and reads again");
    assert_eq!(again.to_vec(), bytes);
}

fn fresh_file(at: usize, key: &[u8]) {
    write_sealed_key(&PATH, key, PASSPHRASE, CHEAP).expect("any bytes seal");
    assert!(is_sealed_key(&PATH));
    let read = read_key_with(&PATH, Some(PASSPHRASE)).expect("a sealed key reads back");
    assert_eq!(&read[..], key);
    check_32(&PATH, Some(PASSPHRASE), Some(key.len()));

    let text = std::fs::read_to_string(&*PATH).expect("sealed text");
    assert_eq!(sealed::params_of(SEALED_KEY_MAGIC, &text), Ok(CHEAP));
    assert_eq!(
        sealed::open(SEALED_KEY_MAGIC, &text, "another passphrase").err(),
        Some(SealError::Decrypt)
    );
    let identity = lifeline::console::identity::MAGIC;
    assert_eq!(
        sealed::open(identity, &text, PASSPHRASE).err(),
        Some(SealError::Format),
        "a sealed key opened as an identity"
    );

    let mut flipped = text.into_bytes();
    let at = at % (flipped.len() * 8);
    flipped[at / 8] ^= 0x80 >> (at % 8);
    std::fs::write(&*PATH, &flipped).expect("scratch file writable");
    // A flip in the cost can ask for up to `KdfParams::MAX` (a GiB): the AEAD refuses it
    // after the derivation (the cost is authenticated), so such a file is slow, not a finding.
    if !affordable(&String::from_utf8_lossy(&flipped)) {
        return;
    }
    if let Ok(tampered) = read_key_with(&PATH, Some(PASSPHRASE)) {
        assert_eq!(
            &tampered[..],
            key,
            "a tampered sealed key read as another key"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        existing_file(rest);
    } else if let [a, b, key @ ..] = rest {
        fresh_file(usize::from(u16::from_be_bytes([*a, *b])), key);
    }
});
