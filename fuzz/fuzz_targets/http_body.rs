//! The relay's JSON request bodies (`POST /v1/tips`, `/v1/receipt`, `/v1/receipt/followup`,
//! `docs/protocol.md` §6–7) and the responses a client reads back, decoded exactly as the
//! relay does (`serde_json::from_slice`, unknown fields refused), and the strict base64url
//! inside them.
//!
//! Besides "never panics": every body that decodes re-encodes to JSON that decodes to the
//! same value; and `b64::decode` is canonical: whatever decodes re-encodes to the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::protocol::b64;
use lifeline::protocol::http::{
    ErrorBody, FollowupAccepted, PowSeed, ReceiptQuery, ReceiptReplies, TipAccepted, TipSubmission,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trips<T: DeserializeOwned + Serialize>(body: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        let json = serde_json::to_vec(&value).expect("a decoded body serialises");
        let again: T = serde_json::from_slice(&json).expect("its encoding decodes");
        assert_eq!(
            serde_json::to_vec(&again).expect("serialises"),
            json,
            "a body does not round-trip"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    round_trips::<TipSubmission>(data);
    round_trips::<ReceiptQuery>(data);
    round_trips::<PowSeed>(data);
    round_trips::<ReceiptReplies>(data);
    round_trips::<TipAccepted>(data);
    round_trips::<FollowupAccepted>(data);
    round_trips::<ErrorBody>(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(bytes) = b64::decode(text)
    {
        assert_eq!(
            b64::encode(&bytes),
            text,
            "non-canonical base64url accepted"
        );
    }
});
