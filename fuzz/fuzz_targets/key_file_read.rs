//! `keyfile::read_key` and the two 32-byte readers on an arbitrary key file: the relay's
//! organisation, inbox and development keys at rest, read through the real entry point (a
//! file on disk).
//!
//! Besides "never panics": decoding is strict base64url, so whatever reads is exactly the
//! canonical encoding of its bytes (surrounding whitespace aside); the 32-byte readers
//! accept exactly the files that hold 32 bytes.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::keyfile::{read_dh_secret, read_key, read_signing_key};
use lifeline::protocol::b64;

#[path = "../common/scratch.rs"]
mod scratch;

/// One scratch file per fuzzing process.
static PATH: LazyLock<PathBuf> = LazyLock::new(|| scratch::file("key"));

fuzz_target!(|data: &[u8]| {
    std::fs::write(&*PATH, data).expect("scratch file writable");
    let read = read_key(&PATH);
    let is_32 = matches!(&read, Ok(bytes) if bytes.len() == 32);
    if let Ok(bytes) = &read {
        let text = std::str::from_utf8(data).expect("a key file that read is UTF-8");
        assert_eq!(
            text.trim(),
            b64::encode(bytes),
            "non-canonical key file accepted"
        );
    }
    assert_eq!(read_dh_secret(&PATH).is_ok(), is_32);
    assert_eq!(read_signing_key(&PATH).is_ok(), is_32);
});
