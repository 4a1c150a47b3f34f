//! Why something was not done, as data: the relay's close code, a connection that is down,
//! a message that did not open. Each front end words a [`Reason`] in its own language (the
//! desk in English, French and Spanish by its kind and close code); the terminal prints its
//! English [`Display`](std::fmt::Display), which keeps the library's detail.
//!
//! It must never carry a visitor's or a tipster's words, and the detail (English, from a
//! library) never reaches the desk page: it is not serialised.

use crate::client::ClientError;
use crate::protocol::CloseCode;

/// Why a command, a sign-in or a renewal did not go through.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The console is offline and signing in again: nothing was sent.
    Offline,
    /// The connection is gone and nothing will sign in again: end the shift, start again.
    GoneForGood,
    /// Signing in again found the relay naming another organisation key: not signed in.
    OtherOrganisation,
    /// The relay could not be reached.
    Unreachable {
        /// What the operating system said.
        #[serde(skip)]
        detail: String,
    },
    /// The relay said nothing in time.
    Timeout,
    /// The relay closed the connection with this code (`docs/protocol.md`, close codes).
    Closed {
        /// The close code, if the relay sent one.
        code: Option<u16>,
        /// The reason sent with it.
        #[serde(skip)]
        detail: String,
    },
    /// Our certificate does not verify under the relay's organisation key (expired, not yet
    /// valid, or another organisation's).
    CertificateRefused {
        /// What the check said.
        #[serde(skip)]
        detail: String,
    },
    /// The relay sent something this console did not expect.
    Unexpected {
        /// What was unexpected.
        #[serde(skip)]
        detail: String,
    },
    /// A message did not decrypt or came out of order, or a handshake was refused.
    DoesNotDecrypt {
        /// What the cipher said.
        #[serde(skip)]
        detail: String,
    },
    /// The renewed certificate in the identity could not be taken.
    Renewal {
        /// Which check refused it.
        kind: RenewalRefusal,
        /// What the check said.
        #[serde(skip)]
        detail: String,
    },
}

/// Why a renewed certificate was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalRefusal {
    /// The identity did not open with the passphrase typed at the lock.
    DoesNotOpen,
    /// The identity holds no certificate.
    Missing,
    /// It is for another serial or other keys (a fresh enrolment, not a renewal).
    AnotherIdentity,
    /// It does not expire later than the one in use.
    NotNewer,
}

impl From<&ClientError> for Reason {
    fn from(e: &ClientError) -> Self {
        let detail = e.to_string();
        match e {
            ClientError::Connect(_) | ClientError::Http { .. } => Reason::Unreachable { detail },
            ClientError::Closed { code, .. } => Reason::Closed {
                code: *code,
                detail,
            },
            ClientError::Protocol(_) => Reason::Unexpected { detail },
            ClientError::Handshake(_) | ClientError::Session(_) => {
                Reason::DoesNotDecrypt { detail }
            }
            ClientError::Timeout => Reason::Timeout,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Offline => f.write_str("offline, reconnecting"),
            Reason::GoneForGood => {
                f.write_str("the connection is gone for good; quit and start again")
            }
            Reason::OtherOrganisation => {
                f.write_str("the relay now names another organisation key; not signing in")
            }
            Reason::Timeout => f.write_str("timed out waiting for the relay"),
            // Signing in again answers it (the net task goes on trying), so say that.
            Reason::Closed {
                code: Some(code), ..
            } if *code == CloseCode::StoreUnavailable.code() => {
                f.write_str("the relay cannot reach its storage; trying again")
            }
            // The relay says only "authentication failed": name what it can mean and who can
            // help, without guessing which.
            Reason::Closed {
                code: Some(code), ..
            } if *code == CloseCode::AuthFailed.code() => f.write_str(
                "the relay refused your certificate: it expired, was revoked, or was replaced \
                 by a renewal (the relay does not say which); ask your organisation",
            ),
            Reason::Unreachable { detail }
            | Reason::Closed { detail, .. }
            | Reason::CertificateRefused { detail }
            | Reason::Unexpected { detail }
            | Reason::DoesNotDecrypt { detail }
            | Reason::Renewal { detail, .. } => f.write_str(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_gets_the_kind_and_close_code_and_the_terminal_the_detail() {
        let closed = Reason::from(&ClientError::Closed {
            code: Some(4006),
            reason: "authentication failed".into(),
        });
        assert_eq!(
            serde_json::to_value(&closed).ok(),
            Some(serde_json::json!({"closed": {"code": 4006}}))
        );
        assert!(
            closed.to_string().contains("refused your certificate")
                && closed.to_string().contains("ask your organisation"),
            "{closed}"
        );
        let unexpected = Reason::from(&ClientError::Protocol("not our conversation".into()));
        assert_eq!(
            serde_json::to_value(&unexpected).ok(),
            Some(serde_json::json!({"unexpected": {}}))
        );
        assert_eq!(
            unexpected.to_string(),
            "protocol error: not our conversation"
        );
        assert_eq!(
            serde_json::to_value(Reason::Offline).ok(),
            Some(serde_json::json!("offline"))
        );
    }
}
