//! WebSocket close codes (4000–4999 is the application range, RFC 6455 §7.4.2) and the
//! short reason sent with each. Clients act on the code, people read the reason.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// Why a WebSocket was closed: every close the relay sends carries one.
pub enum CloseCode {
    /// 1001: the relay is shutting down; reconnect (and resume) shortly.
    GoingAway,
    /// 4000: the frame's `v` is not a version this relay speaks.
    Version,
    /// 4001: not JSON, unknown type or field, bad base64url.
    Malformed,
    /// 4002: a frame over its size limit.
    TooLarge,
    /// 4003: too many frames or bytes per second.
    RateLimited,
    /// 4004: a valid frame at the wrong moment (e.g. a message before the hello).
    Unexpected,
    /// 4005: proof-of-work missing, wrong or replayed.
    ProofOfWork,
    /// 4006: coordinator authentication refused.
    AuthFailed,
    /// 4007: unknown or expired session, or bad resume token.
    UnknownSession,
    /// 4008: too many connections or a full queue; retry later.
    Busy,
    /// 4009: the client did not read its frames fast enough.
    SlowConsumer,
    /// 4010: the conversation ended (by either side, or wiped).
    Ended,
    /// 4011: the same session resumed on another connection.
    Replaced,
    /// 4012: no frame (not even a ping) within the idle timeout.
    IdleTimeout,
    /// 4013: the shared store is unavailable; retry.
    StoreUnavailable,
    /// 4014: the store lost this conversation (its generation changed, or it went back in
    /// time); start a new one. Never "expired": the visitor did nothing wrong.
    StoreLost,
}

impl CloseCode {
    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            CloseCode::GoingAway => 1001,
            CloseCode::Version => 4000,
            CloseCode::Malformed => 4001,
            CloseCode::TooLarge => 4002,
            CloseCode::RateLimited => 4003,
            CloseCode::Unexpected => 4004,
            CloseCode::ProofOfWork => 4005,
            CloseCode::AuthFailed => 4006,
            CloseCode::UnknownSession => 4007,
            CloseCode::Busy => 4008,
            CloseCode::SlowConsumer => 4009,
            CloseCode::Ended => 4010,
            CloseCode::Replaced => 4011,
            CloseCode::IdleTimeout => 4012,
            CloseCode::StoreUnavailable => 4013,
            CloseCode::StoreLost => 4014,
        }
    }

    /// The close code with that number, if any.
    pub fn from_code(code: u16) -> Option<Self> {
        ALL.iter().copied().find(|c| c.code() == code)
    }

    /// The short reason sent beside the code.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::GoingAway => "relay restarting, reconnect",
            CloseCode::Version => "unsupported protocol version",
            CloseCode::Malformed => "malformed frame",
            CloseCode::TooLarge => "frame too large",
            CloseCode::RateLimited => "too many frames",
            CloseCode::Unexpected => "unexpected frame",
            CloseCode::ProofOfWork => "proof of work refused",
            CloseCode::AuthFailed => "authentication failed",
            CloseCode::UnknownSession => "unknown or expired session",
            CloseCode::Busy => "busy, retry later",
            CloseCode::SlowConsumer => "not reading fast enough",
            CloseCode::Ended => "conversation ended",
            CloseCode::Replaced => "resumed elsewhere",
            CloseCode::IdleTimeout => "idle timeout",
            CloseCode::StoreUnavailable => "store unavailable, retry",
            CloseCode::StoreLost => "the server lost this conversation",
        }
    }

    /// Whether a client should reconnect (and resume) after this close.
    pub fn should_retry(self) -> bool {
        matches!(
            self,
            CloseCode::GoingAway
                | CloseCode::Busy
                | CloseCode::StoreUnavailable
                | CloseCode::IdleTimeout
        )
    }
}

/// Every close code, for tests and the spec table.
pub const ALL: [CloseCode; 16] = [
    CloseCode::GoingAway,
    CloseCode::Version,
    CloseCode::Malformed,
    CloseCode::TooLarge,
    CloseCode::RateLimited,
    CloseCode::Unexpected,
    CloseCode::ProofOfWork,
    CloseCode::AuthFailed,
    CloseCode::UnknownSession,
    CloseCode::Busy,
    CloseCode::SlowConsumer,
    CloseCode::Ended,
    CloseCode::Replaced,
    CloseCode::IdleTimeout,
    CloseCode::StoreUnavailable,
    CloseCode::StoreLost,
];
