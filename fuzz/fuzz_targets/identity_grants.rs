//! The grant section of the console's identity file (`console/identity.rs`: after the
//! certificate, `count u8 | (until u64 | inbox secret [32]) × count`, present only once an
//! inbox grant was imported), read by `Identity::open` behind the AEAD in a version 1 file,
//! whose bytes anyone who knows the passphrase chose.
//!
//! Input: `now u64 | tail`, the tail put after an enrolled identity's certificate
//! (`fuzz/common/identity.rs`).
//! - It opens exactly when the tail is empty (no grant), or `count` of 1 to
//!   `MAX_GRANT_KEYS` entries and nothing after them (what `import_grant` can hold); else it
//!   is refused as `Format`.
//! - What opens holds the entries in order: `inbox_keys(now)` gives the secrets of those
//!   whose `until` is after `now`; and it seals back to the same plaintext in version 2's
//!   layout (the section always, then an empty next-keys flag).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::console::identity::IdentityError;
use lifeline::crypto::certificate::Certificate;
use lifeline::crypto::inbox_grant::MAX_GRANT_KEYS;
use lifeline::crypto::vectors::coordinator_certificate;

#[path = "../common/identity.rs"]
mod identity;

static CERTIFICATE: LazyLock<Certificate> = LazyLock::new(coordinator_certificate);

/// The entries (`until`, secret) the tail holds, by the layout; `None` if it is not one.
fn entries(tail: &[u8]) -> Option<Vec<(u64, [u8; 32])>> {
    let Some((&count, rest)) = tail.split_first() else {
        return Some(Vec::new());
    };
    let count = usize::from(count);
    if count == 0 || count > MAX_GRANT_KEYS || rest.len() != count * 40 {
        return None;
    }
    let entry = |chunk: &[u8]| {
        let (until, secret) = chunk.split_at(8);
        (
            u64::from_be_bytes(until.try_into().expect("8 bytes")),
            secret.try_into().expect("32 bytes"),
        )
    };
    Some(rest.chunks_exact(40).map(entry).collect())
}

fuzz_target!(|data: &[u8]| {
    let Some((now, tail)) = data.split_first_chunk::<8>() else {
        return;
    };
    let now = u64::from_be_bytes(*now);
    let plaintext = identity::enrolled_plaintext(&CERTIFICATE, tail);
    let opened = identity::open(&plaintext);
    let Some(entries) = entries(tail) else {
        assert!(
            matches!(opened, Err(IdentityError::Format)),
            "a grant section not of the layout read as {opened:?}"
        );
        return;
    };
    let identity = opened.expect("a well-formed grant section opens");
    let in_force: Vec<[u8; 32]> = identity
        .inbox_keys(now)
        .iter()
        .map(|k| *k.to_bytes())
        .collect();
    let expected: Vec<[u8; 32]> = entries
        .iter()
        .filter(|(until, _)| now < *until)
        .map(|(_, secret)| *secret)
        .collect();
    assert_eq!(in_force, expected, "the keys in force at {now}");
    // Rewritten, it is version 2 of itself: the grant section always (a count of 0 without
    // keys), then no next keys.
    let section: &[u8] = if tail.is_empty() { &[0] } else { tail };
    let mut rewritten = identity::enrolled_plaintext(&CERTIFICATE, section);
    rewritten.push(0);
    assert_eq!(
        identity::plaintext_of(&identity),
        rewritten,
        "what opened does not seal back to itself"
    );
});
