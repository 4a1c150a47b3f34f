//! Every frame the relay, the widget and the console exchange.
//!
//! On the wire a frame is `{"v":1,"type":"<snake_case>", ...fields}`. [`Envelope`] adds and
//! checks `v`; the enums reject unknown types and fields. Three enums, one per direction
//! that has its own vocabulary: [`VisitorFrame`] and [`CoordinatorFrame`] are what clients
//! send, [`RelayFrame`] is what the relay sends to either.

use serde::{Deserialize, Deserializer, Serialize};

use super::b64::{Bytes, Fixed};

/// No frame of any kind may be longer than this many bytes of JSON.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
/// The largest relay frame a client accepts (a tip with its follow-ups is the largest).
pub const MAX_RELAY_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// A chat frame: a 16 KiB padded bucket, its envelope and base64url overhead.
pub const MAX_MESSAGE_FRAME_BYTES: usize = 24 * 1024;
pub const MAX_HANDSHAKE_FRAME_BYTES: usize = 2 * 1024;
pub const MAX_CONTROL_FRAME_BYTES: usize = 512;
pub const MAX_LANG_BYTES: usize = 16;

pub use super::ids::{SessionId, TipId};

/// The protocol version every frame carries as `v`.
pub const VERSION: u8 = 1;

/// An optional field: it may be omitted, but an explicit `null` is refused like any other
/// value of the wrong type (§8.1). Serde alone would read `null` as absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A frame type the codec knows how to check.
pub trait Frame: for<'de> Deserialize<'de> {
    fn version(&self) -> u8;
    fn max_len(&self) -> usize;
}

/// `{"v": 1, ...frame}`: the version travels beside the frame's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub v: u8,
    #[serde(flatten)]
    pub frame: T,
}

impl<T> Envelope<T> {
    pub fn new(frame: T) -> Self {
        Self { v: VERSION, frame }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Someone asking for help for themselves.
    Chat,
    /// Someone reporting what they saw, live.
    Tip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadKind {
    /// Noise message 2, from a coordinator who claimed the session.
    Handshake,
    /// A session-cipher envelope.
    Data,
}

/// What happened to the other side of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerEvent {
    /// A coordinator claimed the visitor; a handshake follows.
    Joined,
    /// The coordinator's connection died: the visitor is back in the queue.
    Left,
    /// The conversation is being handed to another coordinator: send a `rekey`.
    Transferring,
    /// The visitor's connection dropped; it may resume.
    Away,
    /// The visitor resumed.
    Returned,
    /// The conversation is over.
    Ended,
}

/// Frames a visitor's widget sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum VisitorFrame {
    /// Opens a conversation: the solved proof-of-work and Noise message 1.
    Hello {
        pow_nonce: u64,
        kind: ConversationKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        lang: Option<String>,
        handshake: Bytes,
    },
    /// Takes a session back after a dropped connection; `last_seq` is the last
    /// coordinator-to-visitor sequence number this client has (0 for none).
    Resume {
        session: SessionId,
        token: Fixed<32>,
        last_seq: u64,
    },
    Msg {
        seq: u64,
        body: Bytes,
    },
    Ack {
        seq: u64,
    },
    /// A fresh Noise message 1 for the coordinator a conversation is transferred to.
    Rekey {
        handshake: Bytes,
    },
    /// Ends the conversation; the relay erases every trace of it at once.
    End {},
    Ping {},
}

/// Frames a coordinator's console sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CoordinatorFrame {
    /// Answers the relay's challenge: the certificate and an Ed25519 signature.
    Auth {
        certificate: Bytes,
        signature: Bytes,
    },
    Duty {
        on: bool,
        capacity: u8,
        #[serde(default)]
        langs: Vec<String>,
    },
    Claim {
        session: SessionId,
    },
    Msg {
        session: SessionId,
        seq: u64,
        kind: PayloadKind,
        body: Bytes,
    },
    Ack {
        session: SessionId,
        seq: u64,
    },
    /// Hands a conversation to another on-duty coordinator, named by certificate serial.
    Transfer {
        session: SessionId,
        to: u64,
    },
    End {
        session: SessionId,
    },
    ListTips {},
    OpenTip {
        id: TipId,
    },
    ReplyTip {
        id: TipId,
        sealed: Bytes,
    },
    /// Marks a tip handled: the relay erases it and its follow-ups at once; replies stay
    /// readable under the receipt until the retention period ends.
    CloseTip {
        id: TipId,
    },
    Ping {},
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueItem {
    pub session: SessionId,
    pub waited_s: u64,
    pub kind: ConversationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "present")]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorInfo {
    pub serial: u64,
    pub alias: String,
    pub load: u32,
    pub capacity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipSummary {
    pub id: TipId,
    /// Minute-rounded Unix time.
    pub received: u64,
    pub followups: u32,
    pub replies: u32,
}

/// Frames the relay sends to visitors and coordinators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RelayFrame {
    /// First frame to a visitor: its session id and the proof-of-work to solve.
    Challenge {
        session: SessionId,
        seed: Fixed<16>,
        difficulty: u8,
    },
    /// The session is open (or resumed). `next_seq` is the next visitor-to-coordinator
    /// sequence number the relay expects; `revocations` is the signed revocation list.
    Welcome {
        session: SessionId,
        token: Fixed<32>,
        next_seq: u64,
        delivered: u64,
        revocations: Bytes,
    },
    Queue {
        position: u32,
        wait_estimate_s: u32,
        on_duty: u32,
    },
    Deliver {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        seq: u64,
        kind: PayloadKind,
        body: Bytes,
    },
    /// The relay holds every frame you sent up to `seq` (the "sent" mark).
    Stored {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        seq: u64,
    },
    /// The other side acknowledged every frame up to `seq` (the "delivered" mark).
    Delivered {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        seq: u64,
    },
    Peer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        event: PeerEvent,
    },
    AuthChallenge {
        nonce: Fixed<32>,
        /// The organisation's Ed25519 public key: a console checks its own certificate and
        /// its pinned key against it before signing anything.
        organisation: Fixed<32>,
    },
    Authed {
        alias: String,
        serial: u64,
        not_after: u64,
    },
    /// The oldest waiting visitors (at most 200) and how many wait in all.
    QueueList {
        items: Vec<QueueItem>,
        total: u32,
    },
    /// The claim succeeded (or a colleague transferred the conversation here).
    Claimed {
        session: SessionId,
        handshake: Bytes,
        kind: ConversationKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        lang: Option<String>,
        next_seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        transferred_from: Option<String>,
    },
    ClaimLost {
        session: SessionId,
    },
    /// The transfer could not happen (target off duty, full, or unknown); you still hold it.
    TransferFailed {
        session: SessionId,
    },
    /// The conversation is no longer yours (transferred away, ended, expired).
    Released {
        session: SessionId,
    },
    Coordinators {
        on_duty: Vec<CoordinatorInfo>,
    },
    Tips {
        items: Vec<TipSummary>,
    },
    Tip {
        id: TipId,
        sealed: Bytes,
        followups: Vec<Bytes>,
    },
    Pong {},
    /// Something failed that is not the client's fault; try again after a while.
    Retry {
        after_s: u32,
    },
}

impl Frame for Envelope<VisitorFrame> {
    fn version(&self) -> u8 {
        self.v
    }
    fn max_len(&self) -> usize {
        match &self.frame {
            VisitorFrame::Msg { .. } => MAX_MESSAGE_FRAME_BYTES,
            _ => MAX_CONTROL_FRAME_BYTES,
        }
    }
}

impl Frame for Envelope<CoordinatorFrame> {
    fn version(&self) -> u8 {
        self.v
    }
    fn max_len(&self) -> usize {
        match &self.frame {
            CoordinatorFrame::Msg {
                kind: PayloadKind::Data,
                ..
            } => MAX_MESSAGE_FRAME_BYTES,
            CoordinatorFrame::Msg {
                kind: PayloadKind::Handshake,
                ..
            }
            | CoordinatorFrame::Auth { .. } => MAX_HANDSHAKE_FRAME_BYTES,
            CoordinatorFrame::ReplyTip { .. } => MAX_FRAME_BYTES,
            _ => MAX_CONTROL_FRAME_BYTES,
        }
    }
}

impl Frame for Envelope<RelayFrame> {
    fn version(&self) -> u8 {
        self.v
    }
    fn max_len(&self) -> usize {
        // The relay's own frames: lists and tips can be long, and clients trust the relay
        // for availability only, so the global limit is the one that matters.
        usize::MAX
    }
}
