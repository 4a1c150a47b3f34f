//! Resume tokens with their generation (`relay::generation::{new_token, token_generation}`,
//! `docs/protocol.md` §9.5) and the frames that carry them: a visitor's `resume` (chosen by
//! whoever connects) and the relay's `welcome` (read by the widget and the test clients).
//!
//! Input: `generation u64 | len u8 | token [len] | text`.
//! - A fresh token of `generation` names that generation, and two fresh tokens differ.
//! - A `resume` frame carrying `token` decodes exactly when the token is 32 bytes, and is
//!   refused as `Malformed` otherwise; the decoded token reads back its generation.
//! - `text` as a visitor frame: a `resume` re-encoded with a fresh token of `generation`
//!   decodes to the same session and `last_seq` and names `generation`; as a relay frame: a
//!   `welcome`'s token reads its generation from its first 8 bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::protocol::b64::{self, Fixed};
use lifeline::protocol::frames::RelayFrame;
use lifeline::protocol::{self, FrameError, VisitorFrame};
use lifeline::relay::generation::{new_token, token_generation};

fn first_8(token: &[u8; 32]) -> u64 {
    u64::from_be_bytes(token[..8].try_into().expect("8 bytes"))
}

fuzz_target!(|data: &[u8]| {
    let [g0, g1, g2, g3, g4, g5, g6, g7, len, rest @ ..] = data else {
        return;
    };
    let generation = u64::from_be_bytes([*g0, *g1, *g2, *g3, *g4, *g5, *g6, *g7]);
    let fresh = new_token(generation);
    assert_eq!(token_generation(&fresh), generation);
    assert_ne!(fresh, new_token(generation), "two fresh tokens alike");

    let (token, text) = rest.split_at(usize::from(*len).min(rest.len()));
    let frame = format!(
        r#"{{"v":1,"type":"resume","session":"{}","token":"{}","last_seq":{generation}}}"#,
        b64::encode(&[0x5e; 16]),
        b64::encode(token)
    );
    match protocol::decode_visitor(&frame) {
        Ok(VisitorFrame::Resume {
            token: decoded,
            last_seq,
            ..
        }) => {
            assert_eq!(token.len(), 32, "a {}-byte token accepted", token.len());
            assert_eq!(&decoded.0[..], token);
            assert_eq!(last_seq, generation);
            assert_eq!(token_generation(&decoded.0), first_8(&decoded.0));
        }
        Ok(other) => panic!("a resume frame decoded as {other:?}"),
        Err(e) => {
            assert_ne!(token.len(), 32, "a 32-byte token refused: {e}");
            assert!(matches!(e, FrameError::Malformed(_)), "{e:?}");
        }
    }

    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if let Ok(VisitorFrame::Resume {
        session, last_seq, ..
    }) = protocol::decode_visitor(text)
    {
        let again = protocol::encode_frame(VisitorFrame::Resume {
            session,
            token: Fixed(fresh),
            last_seq,
        });
        match protocol::decode_visitor(&again) {
            Ok(VisitorFrame::Resume {
                session: s,
                token: t,
                last_seq: l,
            }) => {
                assert_eq!((s, l), (session, last_seq));
                assert_eq!(token_generation(&t.0), generation);
            }
            other => panic!("{again} decodes as {other:?}"),
        }
    }
    if let Ok(RelayFrame::Welcome { token, .. }) = protocol::decode_relay(text) {
        assert_eq!(token_generation(&token.0), first_8(&token.0));
    }
});
