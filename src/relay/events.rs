//! What one part of the relay asks of a visitor's or a coordinator's connection, wherever
//! that connection is: on this node (carried out at once) or on another (sent through the
//! store's node link as JSON).
//!
//! Plain data, shared by the visitor and coordinator endpoints and the node-to-node routing,
//! so none of them needs another for it. Must never carry plaintext, an address, or
//! anything about a visitor but a session id.

use serde::{Deserialize, Serialize};

use crate::protocol::{Bytes, RelayFrame, SessionId};

/// Something for a visitor's connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum ForVisitor {
    /// Frames wait in the store.
    Wake,
    /// A frame to send as is.
    Frame {
        /// Sent as it is, already addressed.
        frame: RelayFrame,
    },
    /// The coordinator ended the conversation: deliver what is stored, tell, close, erase.
    End,
    /// The visitor resumed on another node: drop this stale connection quietly.
    Replaced,
}

/// Something for a coordinator's connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum ForCoordinator {
    /// Frames from this visitor wait in the store.
    Wake {
        /// The conversation with waiting frames.
        session: SessionId,
    },
    /// A frame to send as is.
    Frame {
        /// Sent as it is, already addressed.
        frame: RelayFrame,
    },
    /// Handed over to them by the coordinator with this alias.
    Assigned {
        /// The conversation handed over.
        session: SessionId,
        /// The alias of the coordinator who handed it over.
        from: String,
        /// Their sealed hand-over note, if any (§5.1).
        #[serde(default)]
        note: Option<Bytes>,
        /// Their certificate, with a note.
        #[serde(default)]
        note_from: Option<Bytes>,
    },
    /// The visitor answered this coordinator's proposed hand-over (§9.6).
    TransferAnswer {
        /// The conversation proposed for hand-over.
        session: SessionId,
        /// Whether the visitor accepted.
        accept: bool,
    },
    /// The visitor's fresh Noise message 1 is in the store: offer it.
    Rekeyed {
        /// The conversation re-keyed.
        session: SessionId,
    },
    /// The visitor ended the conversation (or it overflowed): deliver what is stored,
    /// tell, erase.
    Dropped {
        /// The conversation that ended.
        session: SessionId,
    },
    /// The store lost this conversation (§9.5): tell them (`peer lost`, `released`).
    Lost {
        /// The conversation lost.
        session: SessionId,
    },
    /// They signed in again on another node: close this connection, release nothing.
    Replaced,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub(super) enum Event {
    Visitor {
        session: SessionId,
        what: ForVisitor,
    },
    Coordinator {
        serial: u64,
        what: ForCoordinator,
    },
    /// The queue or the roster changed somewhere.
    QueueChanged,
    /// Sessions erased by the idle sweep.
    Expired {
        sessions: Vec<SessionId>,
    },
    /// A tip arrived, was answered or handled somewhere.
    TipsChanged,
}
