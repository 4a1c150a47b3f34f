//! Why the desk's shift did not start, as the page words it (in its own language): one of
//! its own words for the keys, or the relay's [`Reason`] (a close code, an unreachable
//! relay, a refused certificate).
//!
//! It must never send the page the library's English detail: that goes to the terminal
//! where `lifeline desk` runs, for whoever looks into it.

use serde::Serialize;

use crate::console::ConsoleError;
use crate::console::net::LoginError;
use crate::console::shift::Reason;

/// What the start screen says went wrong with the last try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StartError {
    /// The page's own words: `wrong_passphrase`, `empty_passphrase`, `not_enrolled`,
    /// `inbox_key_does_not_open`, or `start_failed` (the terminal says why).
    Code(&'static str),
    /// What the relay or the connection said.
    Relay(Reason),
}

impl StartError {
    /// The page's words for `e`; its detail is printed for the terminal.
    pub fn of(e: &ConsoleError) -> Self {
        let source = std::error::Error::source(e).map_or_else(String::new, |s| s.to_string());
        eprintln!("The shift did not start: {e} {source}");
        match e {
            ConsoleError::Login(LoginError::Client(c)) | ConsoleError::Client(c) => {
                StartError::Relay(c.into())
            }
            ConsoleError::Login(LoginError::Certificate(c)) => {
                StartError::Relay(Reason::CertificateRefused {
                    detail: c.to_string(),
                })
            }
            ConsoleError::Login(LoginError::OrganisationMismatch) => {
                StartError::Relay(Reason::OtherOrganisation)
            }
            _ => StartError::Code("start_failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientError;

    #[test]
    fn a_refused_sign_in_reaches_the_page_as_its_close_code_and_nothing_in_english() {
        let refused = ConsoleError::Login(LoginError::Client(ClientError::Closed {
            code: Some(4006),
            reason: "authentication failed".into(),
        }));
        assert_eq!(
            serde_json::to_string(&StartError::of(&refused)).ok(),
            Some(r#"{"closed":{"code":4006}}"#.into())
        );
        let unreadable = ConsoleError::Setup("a CA file that does not parse".into());
        assert_eq!(
            serde_json::to_string(&StartError::of(&unreadable)).ok(),
            Some(r#""start_failed""#.into())
        );
        assert_eq!(
            serde_json::to_string(&StartError::Code("wrong_passphrase")).ok(),
            Some(r#""wrong_passphrase""#.into())
        );
    }
}
