//! `padding::unpad` (`docs/protocol.md` §4.2) on arbitrary bytes, with the chat and the tip
//! buckets: the decoder behind every session message and sealed tip once the AEAD opened.
//!
//! Input: `buckets u8 | padded`. Besides "never panics": unpadding is the strict inverse of
//! padding, so whatever unpads pads back to exactly the same bytes; and content that fits
//! pads to the smallest bucket that holds it and unpads to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::padding::{self, CHAT_BUCKETS, HEADER_LEN, TIP_BUCKETS};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let buckets: &[usize] = if which % 2 == 0 {
        &CHAT_BUCKETS
    } else {
        &TIP_BUCKETS
    };
    if let Ok((kind, content)) = padding::unpad(rest, buckets) {
        assert_eq!(
            padding::pad(kind, content, buckets).as_deref(),
            Some(rest),
            "unpad accepted a non-canonical padding"
        );
    }
    match padding::pad(which, rest, buckets) {
        Some(padded) => {
            let bucket = buckets
                .iter()
                .find(|b| **b >= HEADER_LEN + rest.len())
                .expect("pad chose a bucket");
            assert_eq!(padded.len(), *bucket);
            assert_eq!(padding::unpad(&padded, buckets), Ok((which, rest)));
        }
        None => assert!(rest.len() > padding::max_content(buckets)),
    }
});
