//! How a visitor's client reaches the relay, beyond its address: extra request headers,
//! whom a `wss://` relay's certificate may chain to, and the clock certificates and
//! revocation lists are checked at. One value serves every (re)connection of a
//! conversation; [`Reach::default`] is a browser's: the Web PKI and the system clock.
//!
//! It must never carry anything of the visitor's own: it is the same for every visitor.

use super::wire::TlsTrust;
use crate::clock::Clock;

/// The options [`super::visitor::VisitorClient::connect`] takes.
#[derive(Clone, Default)]
pub struct Reach {
    /// Sent with every (re)connection, as a browser would (tests prove the relay ignores
    /// them).
    pub headers: Vec<(String, String)>,
    /// Whom a `wss://` relay's certificate may chain to (an organisation's own CA, or a
    /// test's self-signed certificate), besides the Web PKI.
    pub trust: TlsTrust,
    /// The time certificates and revocation lists are checked at: the system's, or a test's
    /// living a month in seconds.
    pub clock: Clock,
}

impl Reach {
    /// A browser's reach, sending `headers` with every connection.
    pub fn with_headers(headers: &[(&str, &str)]) -> Self {
        Self {
            headers: headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            ..Self::default()
        }
    }

    /// The headers as the wire takes them.
    pub(super) fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }
}
