//! Wakes from the message path: the scripts that store a frame or an acknowledgement publish
//! one on the receiving node's wake channel (`store::redis::message_path`); this turns each
//! into what the connection here needs (pull the stored frames, or a `delivered` mark).
//!
//! A wake names a session, its holder and at most a sequence number. Must never carry or
//! log anything else, and an unreadable wake is dropped (the heartbeat pulls anyway).

use std::sync::Arc;

use super::events::{ForCoordinator, ForVisitor};
use super::forward::{apply_to_coordinator, apply_to_visitor};
use super::state::Relay;
use crate::crypto::keys::from_hex;
use crate::protocol::{RelayFrame, SessionId};

/// What one wake asks of this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Frames wait in the store for a coordinator's conversation.
    Coordinator {
        /// The conversation.
        session: SessionId,
        /// Its holder's certificate serial.
        serial: u64,
    },
    /// Frames wait in the store for a visitor.
    Visitor {
        /// The visitor's session.
        session: SessionId,
    },
    /// The visitor acknowledged frames: their coordinator is told.
    DeliveredToVisitor {
        /// The conversation.
        session: SessionId,
        /// Its holder's certificate serial.
        serial: u64,
        /// The last frame acknowledged.
        seq: u64,
    },
    /// The coordinator acknowledged frames: the visitor is told.
    DeliveredToCoordinator {
        /// The visitor's session.
        session: SessionId,
        /// The last frame acknowledged.
        seq: u64,
    },
    /// The sender has published this many wakes to this node so far (`wake_order`).
    Notice {
        /// The count.
        total: u64,
    },
}

impl Wake {
    /// Reads `<from node> <what> <session> <holder> [<seq>]`, or a notice `<from node> n
    /// <total>`, with the node it came from; `None` if malformed.
    pub fn parse(text: &str) -> Option<(&str, Self)> {
        let mut words = text.split(' ');
        let from = words.next()?;
        let what = words.next()?;
        if what == "n" {
            let total = words.next()?.parse().ok()?;
            return Some((from, Wake::Notice { total }));
        }
        let session = SessionId(from_hex(words.next()?)?);
        let holder = words.next()?;
        let mut seq = || words.next()?.parse::<u64>().ok();
        let wake = match what {
            "c" => Wake::Coordinator {
                session,
                serial: holder.parse().ok()?,
            },
            "v" => Wake::Visitor { session },
            "dc" => Wake::DeliveredToVisitor {
                session,
                serial: holder.parse().ok()?,
                seq: seq()?,
            },
            "dv" => Wake::DeliveredToCoordinator {
                session,
                seq: seq()?,
            },
            _ => return None,
        };
        Some((from, wake))
    }
}

/// Carries out a wake on this node's connections (a notice is the caller's to count).
pub async fn apply(relay: &Arc<Relay>, wake: Wake) {
    match wake {
        Wake::Notice { .. } => {}
        Wake::Coordinator { session, serial } => {
            apply_to_coordinator(relay, serial, ForCoordinator::Wake { session }).await
        }
        Wake::Visitor { session } => apply_to_visitor(relay, &session, ForVisitor::Wake).await,
        Wake::DeliveredToVisitor {
            session,
            serial,
            seq,
        } => {
            let frame = RelayFrame::Delivered {
                session: Some(session),
                seq,
            };
            apply_to_coordinator(relay, serial, ForCoordinator::Frame { frame }).await
        }
        Wake::DeliveredToCoordinator { session, seq } => {
            let frame = RelayFrame::Delivered { session: None, seq };
            apply_to_visitor(relay, &session, ForVisitor::Frame { frame }).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "000102030405060708090a0b0c0d0e0f";

    fn sid() -> SessionId {
        SessionId(from_hex(SID).unwrap())
    }

    #[test]
    fn reads_each_kind_of_wake() {
        let read = |t: String| Wake::parse(&t).map(|(from, wake)| (from.to_owned(), wake));
        assert_eq!(
            read(format!("n1 c {SID} 42")),
            Some((
                "n1".into(),
                Wake::Coordinator {
                    session: sid(),
                    serial: 42
                }
            ))
        );
        assert_eq!(
            read(format!("n1 v {SID} 42")),
            Some(("n1".into(), Wake::Visitor { session: sid() }))
        );
        assert_eq!(
            read(format!("n1 dc {SID} 42 7")),
            Some((
                "n1".into(),
                Wake::DeliveredToVisitor {
                    session: sid(),
                    serial: 42,
                    seq: 7
                }
            ))
        );
        assert_eq!(
            read(format!("n1 dv {SID} 42 7")),
            Some((
                "n1".into(),
                Wake::DeliveredToCoordinator {
                    session: sid(),
                    seq: 7
                }
            ))
        );
        assert_eq!(
            read("n1 n 12".into()),
            Some(("n1".into(), Wake::Notice { total: 12 }))
        );
    }

    #[test]
    fn drops_what_it_cannot_read() {
        for text in [
            String::new(),
            format!("n1 x {SID} 42"),
            format!("n1 c {SID} q"),
            format!("n1 dc {SID} 42"),
            "n1 c 00 42".to_string(),
            "n1 n x".to_string(),
        ] {
            assert_eq!(Wake::parse(&text), None, "{text:?}");
        }
    }
}
