//! The Rust client of the Lifeline protocol, shared by the coordinator console, the tests
//! and the load generator: a WebSocket wire ([`wire`]), a visitor ([`visitor`], reaching
//! the relay as [`reach`] says), a coordinator ([`coordinator`]) and a tipster over HTTP
//! ([`tipster`]). What the relay has not
//! confirmed stored waits in an [`outbox`], resent after a `retry` by the wire itself.
//!
//! It keeps cipher state in memory only and never writes anything to disk.

pub mod coordinator;
pub mod handover;
pub mod outbox;
pub mod reach;
pub mod tipster;
pub mod visitor;
pub mod wire;

use crate::crypto::{HandshakeError, SessionError};

#[derive(Debug, thiserror::Error)]
/// Why a client call failed.
pub enum ClientError {
    #[error("connection failed: {0}")]
    /// The connection could not be opened.
    Connect(String),
    #[error("connection closed (code {code:?}: {reason})")]
    /// The relay closed the connection, with its close code if any.
    Closed {
        /// The WebSocket close code, if the relay sent one.
        code: Option<u16>,
        /// The reason sent with it, or what failed.
        reason: String,
    },
    #[error("protocol error: {0}")]
    /// The relay sent something unexpected.
    Protocol(String),
    #[error("handshake failed: {0}")]
    /// The coordinator's handshake message was refused.
    Handshake(HandshakeError),
    #[error("session cipher: {0}")]
    /// A message failed to decrypt or came out of order.
    Session(SessionError),
    #[error("timed out waiting for the relay")]
    /// The relay said nothing in time.
    Timeout,
    #[error("HTTP {status}: {body}")]
    /// An HTTP request was answered with an error status.
    Http {
        /// The HTTP status.
        status: u16,
        /// The response body (the relay's `{"v":1,"error":…}`).
        body: String,
    },
}

impl ClientError {
    /// The WebSocket close code, if the relay closed the connection.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            ClientError::Closed { code, .. } => *code,
            _ => None,
        }
    }
}

/// The moment `after_s` seconds from now: when frames refused with `retry` are due again.
pub fn after_seconds(after_s: u32) -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(after_s.into())
}

/// Waits until `at`; for ever if `None` (a `select!` arm that is off until a resend is due).
pub async fn until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The current Unix time, for checking certificates.
pub fn unix_now() -> u64 {
    crate::clock::Clock::system().unix_s()
}

// The messages above already include the cause, so these conversions carry it in the text
// only: as a `source` too, `{:#}` would print it twice.
impl From<HandshakeError> for ClientError {
    fn from(e: HandshakeError) -> Self {
        ClientError::Handshake(e)
    }
}

impl From<SessionError> for ClientError {
    fn from(e: SessionError) -> Self {
        ClientError::Session(e)
    }
}
