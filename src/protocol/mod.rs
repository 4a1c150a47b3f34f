//! The wire protocol: JSON text frames over WebSocket (`docs/protocol.md` §8).
//!
//! Every frame is an object with a protocol version `v` and a `type`. Decoding is strict:
//! unknown types, unknown fields, a wrong version, a frame over its kind's size limit and
//! malformed base64url are all refused with a [`CloseCode`] that says why. Binary values are
//! base64url without padding. This module is pure: it never touches a socket, and it never
//! parses ciphertext, which stays opaque [`Bytes`].

pub mod b64;
pub mod close;
pub mod frames;
pub mod http;
pub mod ids;

pub use b64::Bytes;
pub use close::CloseCode;
pub use frames::{CoordinatorFrame, RelayFrame, VERSION, VisitorFrame};
pub use ids::{SessionId, TipId};

/// Why a frame could not be decoded, with the close code the relay answers it with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is over the limit")]
    /// Longer than its kind's limit.
    TooLarge(usize),
    #[error("unsupported protocol version")]
    /// A `v` this relay does not speak.
    Version,
    #[error("malformed frame: {0}")]
    /// Not JSON, an unknown type or field, or bad base64url.
    Malformed(String),
}

impl FrameError {
    /// The close code the relay answers this with.
    pub fn close_code(&self) -> CloseCode {
        match self {
            FrameError::TooLarge(_) => CloseCode::TooLarge,
            FrameError::Version => CloseCode::Version,
            FrameError::Malformed(_) => CloseCode::Malformed,
        }
    }
}

/// Decodes one frame of type `T`, enforcing the global limit before parsing and the
/// per-kind limit after, and the version.
pub fn decode<T: frames::Frame>(text: &str) -> Result<T, FrameError> {
    if text.len() > frames::MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(text.len()));
    }
    let frame: T = serde_json::from_str(text).map_err(malformed)?;
    if frame.version() != VERSION {
        return Err(FrameError::Version);
    }
    if text.len() > frame.max_len() {
        return Err(FrameError::TooLarge(text.len()));
    }
    Ok(frame)
}

/// Why JSON did not decode, without a word of it: serde_json's own message quotes what it
/// found (`invalid type: string "…"`, ``unknown variant `…` ``, ``unknown field `…` ``), which
/// is the sender's to choose, and this error reaches the logs.
fn malformed(e: serde_json::Error) -> FrameError {
    let what = match e.classify() {
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Eof => "cut short",
        serde_json::error::Category::Data => "not a frame of this protocol",
        serde_json::error::Category::Io => "unreadable",
    };
    FrameError::Malformed(format!("{what} (line {}, column {})", e.line(), e.column()))
}

/// Encodes a frame; our own frames always serialise.
pub fn encode<T: serde::Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).unwrap_or_else(|_| String::from("{}"))
}

/// Decodes a visitor frame.
pub fn decode_visitor(text: &str) -> Result<VisitorFrame, FrameError> {
    decode::<frames::Envelope<VisitorFrame>>(text).map(|e| e.frame)
}

/// Decodes a coordinator frame.
pub fn decode_coordinator(text: &str) -> Result<CoordinatorFrame, FrameError> {
    decode::<frames::Envelope<CoordinatorFrame>>(text).map(|e| e.frame)
}

/// Decodes a relay frame (clients). Relay frames may exceed the client-frame limit (queue
/// and tip lists), so only a generous bound applies.
pub fn decode_relay(text: &str) -> Result<RelayFrame, FrameError> {
    if text.len() > frames::MAX_RELAY_FRAME_BYTES {
        return Err(FrameError::TooLarge(text.len()));
    }
    let e: frames::Envelope<RelayFrame> = serde_json::from_str(text).map_err(malformed)?;
    if e.v != VERSION {
        return Err(FrameError::Version);
    }
    Ok(e.frame)
}

/// A `deliver` frame, the relay's most frequent, written directly: the same text as
/// [`encode_frame`] of the [`RelayFrame::Deliver`] (a test holds them equal), without
/// serde's escape scan of a body that is base64url, which never needs escaping, and
/// without an intermediate copy of it.
pub fn encode_deliver(
    session: Option<&SessionId>,
    seq: u64,
    kind: frames::PayloadKind,
    body: &[u8],
) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::fmt::Write;
    let mut out = String::with_capacity(96 + body.len().div_ceil(3) * 4);
    let _ = write!(out, "{{\"v\":{VERSION},\"type\":\"deliver\",");
    if let Some(session) = session {
        out.push_str("\"session\":\"");
        URL_SAFE_NO_PAD.encode_string(session.0, &mut out);
        out.push_str("\",");
    }
    let kind = match kind {
        frames::PayloadKind::Handshake => "handshake",
        frames::PayloadKind::Data => "data",
    };
    let _ = write!(out, "\"seq\":{seq},\"kind\":\"{kind}\",\"body\":\"");
    URL_SAFE_NO_PAD.encode_string(body, &mut out);
    out.push_str("\"}");
    out
}

/// Encodes any frame with its version.
pub fn encode_frame<T: serde::Serialize>(frame: T) -> String {
    encode(&frames::Envelope::new(frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frames::PayloadKind;

    #[test]
    fn a_deliver_written_directly_is_the_frame_serde_writes() {
        let session = SessionId([7u8; 16]);
        for with_session in [false, true] {
            for kind in [PayloadKind::Data, PayloadKind::Handshake] {
                for body in [
                    vec![],
                    vec![0xff],
                    vec![1, 2],
                    (0..=255).collect::<Vec<u8>>(),
                ] {
                    let direct = encode_deliver(with_session.then_some(&session), 42, kind, &body);
                    let frame = RelayFrame::Deliver {
                        session: with_session.then_some(session),
                        seq: 42,
                        kind,
                        body: Bytes(body.clone()),
                    };
                    assert_eq!(direct, encode_frame(frame.clone()));
                    assert_eq!(decode_relay(&direct).unwrap(), frame);
                }
            }
        }
    }
}
