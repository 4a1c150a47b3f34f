//! The relay's and clients' strict JSON frame decoders on arbitrary UTF-8.
//!
//! Besides "never panics": whatever decodes must re-encode to text that decodes to the
//! same frame (unless the canonical form is over the size limit for its kind).

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::protocol::{self, FrameError};

macro_rules! check {
    ($text:expr, $decode:path) => {
        if let Ok(frame) = $decode($text) {
            let again = protocol::encode_frame(frame.clone());
            match $decode(&again) {
                Ok(decoded) => assert_eq!(decoded, frame, "re-encoded as {again}"),
                Err(FrameError::TooLarge(_)) => {}
                Err(e) => panic!("{frame:?} re-encoded as {again} does not decode: {e}"),
            }
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check!(text, protocol::decode_visitor);
    check!(text, protocol::decode_coordinator);
    check!(text, protocol::decode_relay);
});
