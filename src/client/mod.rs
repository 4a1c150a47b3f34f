//! The Rust client of the Lifeline protocol, shared by the coordinator console, the tests
//! and the load generator: a WebSocket wire ([`wire`]), a visitor ([`visitor`]), a
//! coordinator ([`coordinator`]) and a tipster over HTTP ([`tipster`]).
//!
//! It keeps cipher state in memory only and never writes anything to disk.

pub mod coordinator;
pub mod tipster;
pub mod visitor;
pub mod wire;

use crate::crypto::{HandshakeError, SessionError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("connection closed (code {code:?}: {reason})")]
    Closed { code: Option<u16>, reason: String },
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("handshake failed: {0}")]
    Handshake(HandshakeError),
    #[error("session cipher: {0}")]
    Session(SessionError),
    #[error("timed out waiting for the relay")]
    Timeout,
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
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
