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
/// A coordinator `msg` of kind `handshake` or an `auth` frame (§8.1).
pub const MAX_HANDSHAKE_FRAME_BYTES: usize = 2 * 1024;
/// Every other client frame: `hello`, `rekey`, `duty`, `claim`, … (§8.1).
pub const MAX_CONTROL_FRAME_BYTES: usize = 512;
/// Longest `lang` tag a `hello` or `duty` may carry; longer ones are refused with 4001 (§8.1).
pub const MAX_LANG_BYTES: usize = 16;

/// Whether `tag` is a `lang` as §8.1 allows it: 1 to [`MAX_LANG_BYTES`] bytes of
/// `[A-Za-z0-9-]`.
pub fn is_lang_tag(tag: &str) -> bool {
    (1..=MAX_LANG_BYTES).contains(&tag.len())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

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
    /// The `v` the peer sent, checked against [`VERSION`] after parsing (§8.1: 4000).
    fn version(&self) -> u8;
    /// This frame kind's size limit in bytes of JSON, checked after parsing (§8.1: 4002).
    fn max_len(&self) -> usize;
}

/// `{"v": 1, ...frame}`: the version travels beside the frame's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The protocol version; must be [`VERSION`] (§8.1).
    pub v: u8,
    /// The frame itself, its `type` tag and fields beside `v`.
    #[serde(flatten)]
    pub frame: T,
}

impl<T> Envelope<T> {
    /// Wraps a frame for sending under the current [`VERSION`].
    pub fn new(frame: T) -> Self {
        Self { v: VERSION, frame }
    }
}

/// What a visitor opened the conversation for (§8.1 common types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Someone asking for help for themselves.
    Chat,
    /// Someone reporting what they saw, live.
    Tip,
}

/// What a `msg`/`deliver` body holds: a Noise message 2 or a session envelope (§8.1, §9.3).
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
    /// The relay's store lost this conversation (§9.5): it is over, and nothing from before
    /// can be delivered. Coordinators only (a visitor is closed with 4014); `released` follows.
    Lost,
    /// Visitors only: the coordinator's connection dropped; the conversation is held for
    /// them while they reconnect (§9.6). Nothing to do: keep the keys, keep writing.
    Reconnecting,
    /// Visitors only: the coordinator reconnected and resumed the conversation (§9.6).
    Back,
}

/// One conversation a coordinator resumes after reconnecting (§9.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeEntry {
    /// A conversation the coordinator still holds the keys of.
    pub session: SessionId,
    /// The last visitor-to-coordinator `seq` it received and opened (0 for none).
    pub last_seq: u64,
}

/// Frames a visitor's widget sends (§8.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum VisitorFrame {
    /// Opens a conversation: the solved proof-of-work and Noise message 1.
    Hello {
        /// Nonce that solves the relay's proof-of-work for this session (§7).
        pow_nonce: u64,
        /// Whether the visitor asks for help or reports a live tip.
        kind: ConversationKind,
        /// The language the visitor would like to be answered in, if any (§8.1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        lang: Option<String>,
        /// Noise message 1: the visitor's 32-byte ephemeral key (§3).
        handshake: Bytes,
    },
    /// Opens a conversation like `hello`, but answers a chat ticket fetched with `/v1/config`
    /// (§9.1) instead of this connection's `challenge`: the client solved it while the socket
    /// was opening, so it may send this before the challenge arrives.
    TicketHello {
        /// The session id the ticket names; the proof-of-work's context (§7).
        session: SessionId,
        /// The ticket's self-authenticating seed (§9.1).
        seed: Fixed<16>,
        /// Nonce that solves the ticket's proof-of-work (§7).
        pow_nonce: u64,
        /// Whether the visitor asks for help or reports a live tip.
        kind: ConversationKind,
        /// The language the visitor would like to be answered in, if any (§8.1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        lang: Option<String>,
        /// Noise message 1: the visitor's 32-byte ephemeral key (§3).
        handshake: Bytes,
    },
    /// Takes a session back after a dropped connection; `last_seq` is the last
    /// coordinator-to-visitor sequence number this client has (0 for none).
    Resume {
        /// The session to resume, as given in `challenge`/`welcome` (§9.5).
        session: SessionId,
        /// The secret token from `welcome` that proves the session is this visitor's (§9.5).
        token: Fixed<32>,
        /// Last coordinator-to-visitor `seq` held; counts as an `ack` (§9.5).
        last_seq: u64,
    },
    /// A session-cipher envelope for the coordinator (§4.1), numbered per §9.4.
    Msg {
        /// This frame's visitor-to-coordinator sequence number (§9.4).
        seq: u64,
        /// The session-cipher envelope; the relay never reads it (§4.1).
        body: Bytes,
    },
    /// Cumulative acknowledgement of every coordinator-to-visitor frame up to `seq` (§9.4).
    Ack {
        /// Highest coordinator-to-visitor `seq` received and opened.
        seq: u64,
    },
    /// A fresh Noise message 1 for the coordinator a conversation is transferred to.
    Rekey {
        /// Noise message 1 with a fresh ephemeral key; once after `left` or `transferring` (§9.6).
        handshake: Bytes,
    },
    /// Ends the conversation; the relay erases every trace of it at once.
    End {},
    /// Heartbeat, at least every third of the idle timeout; the relay answers `pong` (§9.7).
    Ping {},
    /// The visitor's answer to a `transfer_offer`: go to the colleague, or stay (§9.6).
    TransferAnswer {
        /// `true`: hand me over; `false`: stay with my current coordinator.
        accept: bool,
    },
}

/// How a proposed hand-over stands, as its proposer is told (§9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// The visitor has been asked and has not answered yet.
    Waiting,
    /// The visitor accepted: `released` follows, the colleague takes over.
    Accepted,
    /// The visitor chose to stay with you.
    Declined,
    /// The visitor did not answer in time: counted as declined, you keep the conversation.
    Expired,
}

/// Frames a coordinator's console sends (§8.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CoordinatorFrame {
    /// Answers the relay's challenge: the certificate and an Ed25519 signature.
    Auth {
        /// The coordinator's certificate (§2.1), issued by the organisation key.
        certificate: Bytes,
        /// Ed25519 signature over the challenge nonce and organisation fingerprint (§9.2).
        signature: Bytes,
    },
    /// Goes on or off duty, with how many conversations the coordinator takes at once (§9.2).
    Duty {
        /// Whether the coordinator is available for claims and transfers.
        on: bool,
        /// How many conversations at once (1–16).
        capacity: u8,
        /// Languages the coordinator answers in, for `auto_offer` (§9.3); empty means any.
        #[serde(default)]
        langs: Vec<String>,
    },
    /// Takes a queued visitor; exactly one coordinator wins (§9.3).
    Claim {
        /// The queued session to take, from `queue_list`.
        session: SessionId,
    },
    /// A handshake message 2 or a session envelope for a held conversation (§9.3, §9.4).
    Msg {
        /// The held conversation this frame belongs to.
        session: SessionId,
        /// This frame's coordinator-to-visitor sequence number, from `claimed.next_seq` on (§9.4).
        seq: u64,
        /// Message 2 (`handshake`) or a session envelope (`data`).
        kind: PayloadKind,
        /// The payload; the relay never reads it.
        body: Bytes,
    },
    /// Cumulative acknowledgement of every visitor-to-coordinator frame up to `seq` (§9.4).
    Ack {
        /// The held conversation acknowledged.
        session: SessionId,
        /// Highest visitor-to-coordinator `seq` received and opened.
        seq: u64,
    },
    /// Proposes handing a conversation to another on-duty coordinator, named by
    /// certificate serial; the visitor is asked first (§9.6).
    Transfer {
        /// The held conversation to hand over.
        session: SessionId,
        /// The target coordinator's certificate serial, as listed in `coordinators`.
        to: u64,
        /// A hand-over note sealed to the target (§5.1); only the two coordinators read it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        note: Option<Bytes>,
    },
    /// Ends a held conversation; the relay erases it at once (§9.7).
    End {
        /// The held conversation to end.
        session: SessionId,
    },
    /// Gives a held conversation back to the queue, kept, for any coordinator to claim: the
    /// visitor is told `left` and owes a fresh handshake (a console locked past its limit,
    /// §9.6); answered by `released`.
    Release {
        /// The held conversation to give back.
        session: SessionId,
    },
    /// Asks for the summaries of the tips waiting in the inbox (§9.9); answered by `tips`.
    ListTips {},
    /// Asks for one sealed tip and its follow-ups (§9.9); answered by `tip`.
    OpenTip {
        /// The tip to fetch, from `tips`.
        id: TipId,
    },
    /// Files the organisation's sealed reply, readable under the tipster's receipt (§5, §9.9).
    ReplyTip {
        /// The tip answered.
        id: TipId,
        /// The reply, HPKE Auth-sealed to the tipster's key (§5).
        sealed: Bytes,
        /// The same reply sealed to the inbox key (§5), so coordinators see the thread.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        copy: Option<Bytes>,
    },
    /// Marks a tip handled: the relay erases it and its follow-ups at once; replies stay
    /// readable under the receipt until the retention period ends.
    CloseTip {
        /// The tip handled.
        id: TipId,
    },
    /// Takes a tip: one coordinator at a time answers a tipster (§9.9). A tip a colleague
    /// holds is refused with `tip_held` unless `over` is true, which takes it over (the
    /// colleague gets `tip_taken`).
    TakeTip {
        /// The tip to take.
        id: TipId,
        /// Take it over from the colleague who holds it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        over: bool,
    },
    /// Heartbeat, at least every third of the idle timeout; the relay answers `pong` (§9.7).
    Ping {},
    /// After signing in again: the conversations held for this certificate serial that the
    /// coordinator takes back, with their keys (§9.6). Only as the first frame after
    /// `authed`; every other held conversation is requeued at once.
    ResumeSessions {
        /// At most [`MAX_RESUMED`] entries, one per conversation.
        sessions: Vec<ResumeEntry>,
    },
}

/// The most conversations one `resume_sessions` names: a coordinator's greatest capacity.
pub const MAX_RESUMED: usize = 16;

/// One waiting visitor in a `queue_list` (§8.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueItem {
    /// The session a `claim` would take.
    pub session: SessionId,
    /// How long the visitor has waited, a multiple of 60 seconds (§8.4).
    pub waited_s: u64,
    /// Whether the visitor asks for help or reports a live tip.
    pub kind: ConversationKind,
    /// The visitor's language, if it gave one in `hello`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "present")]
    pub lang: Option<String>,
}

/// One on-duty colleague in a `coordinators` list, a possible `transfer` target (§8.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorInfo {
    /// The colleague's certificate serial: the `to` of a `transfer`.
    pub serial: u64,
    /// The colleague's alias from its certificate.
    pub alias: String,
    /// How many conversations the colleague holds now.
    pub load: u32,
    /// How many it takes at once (its `duty.capacity`).
    pub capacity: u32,
    /// The colleague's certificate (§2.1): what a hand-over note is sealed to (§5.1).
    pub certificate: Bytes,
}

/// One tip waiting in the inbox, in a `tips` list (§8.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipSummary {
    /// The tip's id, for `open_tip`, `reply_tip` and `close_tip`.
    pub id: TipId,
    /// Minute-rounded Unix time.
    pub received: u64,
    /// How many tipster follow-ups are filed under it.
    pub followups: u32,
    /// How many organisation replies are filed under it.
    pub replies: u32,
    /// The alias of the coordinator who holds it, if one does (§9.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "present")]
    pub held_by: Option<String>,
}

/// One reply's copy for the inbox in a `tip`, with who filed it and when (§8.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyCopyItem {
    /// The copy, HPKE-sealed to the inbox key (§5).
    pub sealed: Bytes,
    /// The alias of the coordinator who filed the reply; absent for a copy filed before
    /// the relay kept authors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "present")]
    pub by: Option<String>,
    /// When it was filed, Unix seconds rounded down to the minute; absent as for `by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "present")]
    pub filed: Option<u64>,
}

/// Frames the relay sends to visitors and coordinators (§8.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RelayFrame {
    /// First frame to a visitor: its session id and the proof-of-work to solve.
    Challenge {
        /// The fresh session id; also the proof-of-work context (§7).
        session: SessionId,
        /// Single-use proof-of-work seed (§7).
        seed: Fixed<16>,
        /// Leading zero bits the proof-of-work must reach; clients refuse more than 28 (§7).
        difficulty: u8,
    },
    /// The session is open (or resumed). `next_seq` is the next visitor-to-coordinator
    /// sequence number the relay expects; `revocations` is the signed revocation list.
    Welcome {
        /// The session id, the same on resume.
        session: SessionId,
        /// Secret resume token; the relay keeps only its hash (§9.1, §9.5).
        token: Fixed<32>,
        /// Next visitor-to-coordinator `seq` the relay expects (§9.4).
        next_seq: u64,
        /// Last visitor `seq` the coordinator acknowledged (§9.5).
        delivered: u64,
        /// The organisation-signed revocation list (§2.2).
        revocations: Bytes,
        /// What the server holds (§9.1): the session and everything in it is erased after
        /// this many seconds of silence, or at once when it ends.
        #[serde(default)]
        erase_after_idle_s: u64,
    },
    /// Where the visitor stands in the queue; re-sent whenever it moves (§9.1).
    Queue {
        /// Place in the queue, 1 = next.
        position: u32,
        /// Estimated wait in seconds, 0 = unknown.
        wait_estimate_s: u32,
        /// How many coordinators are on duty; 0 means nobody can answer now (§9.1).
        on_duty: u32,
    },
    /// A frame the other side sent, forwarded in `seq` order (§9.4).
    Deliver {
        /// The conversation, on frames to a coordinator; absent to a visitor (§8.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        /// The sender's sequence number for this frame (§9.4).
        seq: u64,
        /// Message 2 (`handshake`) or a session envelope (`data`).
        kind: PayloadKind,
        /// The payload as the sender wrote it.
        body: Bytes,
    },
    /// The relay holds every frame you sent up to `seq` (the "sent" mark).
    Stored {
        /// The conversation, on frames to a coordinator; absent to a visitor (§8.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        /// Highest of your `seq` the relay stores (cumulative).
        seq: u64,
    },
    /// The other side acknowledged every frame up to `seq` (the "delivered" mark).
    Delivered {
        /// The conversation, on frames to a coordinator; absent to a visitor (§8.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        /// Highest of your `seq` the peer acknowledged (cumulative).
        seq: u64,
    },
    /// Something happened to the other side of a conversation (§9.3, §9.5–§9.7).
    Peer {
        /// The conversation, on frames to a coordinator; absent to a visitor (§8.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        session: Option<SessionId>,
        /// What happened.
        event: PeerEvent,
    },
    /// First frame to a coordinator: what to sign, and under which organisation (§9.2).
    AuthChallenge {
        /// 32 fresh random bytes, usable once, to sign in `auth` (§9.2).
        nonce: Fixed<32>,
        /// The organisation's Ed25519 public key: a console checks its own certificate and
        /// its pinned key against it before signing anything.
        organisation: Fixed<32>,
    },
    /// The relay accepted the coordinator's `auth` (§9.2).
    Authed {
        /// The alias from the accepted certificate.
        alias: String,
        /// The accepted certificate's serial.
        serial: u64,
        /// When the certificate expires, Unix seconds.
        not_after: u64,
        /// What the server holds and until when (§9.10), for the console to show per
        /// conversation and per tip; absent from older relays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        holds: Option<super::http::Holds>,
    },
    /// The oldest waiting visitors (at most 200) and how many wait in all.
    QueueList {
        /// The oldest waiting visitors, oldest first.
        items: Vec<QueueItem>,
        /// How many claimable sessions wait in all.
        total: u32,
    },
    /// The claim succeeded (or a colleague transferred the conversation here).
    Claimed {
        /// The conversation now held.
        session: SessionId,
        /// The visitor's Noise message 1, to answer with message 2 (§3).
        handshake: Bytes,
        /// Whether the visitor asks for help or reports a live tip.
        kind: ConversationKind,
        /// The visitor's language, if it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        lang: Option<String>,
        /// Next coordinator-to-visitor `seq` to use (§9.4).
        next_seq: u64,
        /// The previous holder's alias, when a colleague transferred it here (§9.6).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        transferred_from: Option<String>,
        /// The previous holder's sealed hand-over note, if they wrote one (§5.1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        note: Option<Bytes>,
        /// The previous holder's certificate, with a note: its sender key (§5.1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "present")]
        note_from: Option<Bytes>,
    },
    /// Someone else won the claim, or it could not be made (§9.3).
    ClaimLost {
        /// The session that was not claimed.
        session: SessionId,
    },
    /// The transfer could not happen (target off duty, full, or unknown); you still hold it.
    TransferFailed {
        /// The conversation still held.
        session: SessionId,
    },
    /// A conversation held for you while you were away is yours again (§9.6); the visitor
    /// frames after your `last_seq` follow as `deliver`.
    Resumed {
        /// The conversation resumed.
        session: SessionId,
        /// The next coordinator-to-visitor `seq` the relay expects: resend what you sent
        /// from here on, under the same keys.
        next_seq: u64,
        /// The last coordinator-to-visitor `seq` the visitor acknowledged.
        delivered: u64,
    },
    /// The conversation is no longer yours (transferred away, ended, expired).
    Released {
        /// The conversation given up.
        session: SessionId,
    },
    /// The coordinators on duty, the possible `transfer` targets (§8.4).
    Coordinators {
        /// Each on-duty coordinator with its load.
        on_duty: Vec<CoordinatorInfo>,
    },
    /// Answers `list_tips`: the tips in the inbox (§9.9).
    Tips {
        /// One summary per tip.
        items: Vec<TipSummary>,
    },
    /// Answers `open_tip`: one sealed tip and its follow-ups (§9.9).
    Tip {
        /// The tip's id.
        id: TipId,
        /// The first tip, HPKE-sealed to the inbox key (§5).
        sealed: Bytes,
        /// The tipster's sealed follow-ups, oldest first (§5).
        followups: Vec<Bytes>,
        /// The copies of the organisation's replies sealed to the inbox key, oldest first,
        /// each with its author and minute.
        #[serde(default)]
        replies: Vec<ReplyCopyItem>,
    },
    /// Refused: a colleague holds this tip; `take_tip` with `over` first (§9.9).
    TipHeld {
        /// The tip asked about.
        id: TipId,
        /// The alias of the colleague who holds it.
        by: String,
    },
    /// To a tip's holder: a colleague took it over (§9.9); replies and closing are theirs now.
    TipTaken {
        /// The tip taken over.
        id: TipId,
        /// The colleague's alias.
        by: String,
    },
    /// To a visitor: a colleague of their coordinator would take over; accept or stay (§9.6).
    TransferOffer {
        /// The colleague's certificate, to verify like a claim's (§2.4) and show its alias.
        certificate: Bytes,
        /// Seconds the relay waits for `transfer_answer`; silence counts as "stay".
        answer_within_s: u32,
    },
    /// To a visitor: the offered hand-over will not happen (no answer in time, or the
    /// colleague can no longer take it); they stay with their coordinator (§9.6).
    TransferWithdrawn {},
    /// To the coordinator who proposed a hand-over: where it stands (§9.6).
    TransferStatus {
        /// The conversation proposed for hand-over.
        session: SessionId,
        /// Waiting for the visitor, accepted, declined or expired.
        status: TransferStatus,
    },
    /// Answers a client's `ping` (§9.7).
    Pong {},
    /// Something failed that is not the client's fault; try again after a while.
    Retry {
        /// Seconds to wait before resending the same frame.
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
            | CoordinatorFrame::Auth { .. }
            | CoordinatorFrame::ResumeSessions { .. }
            | CoordinatorFrame::Transfer { note: Some(_), .. } => MAX_HANDSHAKE_FRAME_BYTES,
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
