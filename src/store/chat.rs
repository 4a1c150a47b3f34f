//! What the relay remembers of live chats, as one trait every backend implements: sessions,
//! the queue, claims and the two delivery buffers of each conversation.
//!
//! Everything here is ciphertext or routing state. A backend must never hold an address, a
//! user agent, plaintext or a precise time (times are Unix minutes), and must forget a
//! session entirely when it ends, is wiped or expires.

use crate::protocol::frames::{ConversationKind, PayloadKind};
pub use crate::protocol::ids::SessionId;

/// Which way a relayed frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    /// Written by the visitor, read by the coordinator.
    ToCoordinator,
    /// Written by the coordinator, read by the visitor.
    ToVisitor,
}

/// Where a session stands in routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// Waiting for a coordinator to claim it.
    Queued,
    /// Held by the coordinator with this certificate serial.
    Claimed(u64),
    /// Held for the coordinator with this serial, whose connection dropped: theirs again if
    /// they resume it within the grace period, else requeued (§9.6).
    Held(u64),
}

/// A frame kept until its receiver acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFrame {
    /// Its sequence number in its direction.
    pub seq: u64,
    /// Whether it carries a handshake message or session-cipher data.
    pub kind: PayloadKind,
    /// The ciphertext, opaque to the relay.
    pub body: Vec<u8>,
}

/// The routing view of a session (no buffers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session this is.
    pub id: SessionId,
    /// SHA-256 of the resume token: a store dump cannot be used to resume.
    pub token_hash: [u8; 32],
    /// A live chat or a tip conversation.
    pub kind: ConversationKind,
    /// The language the visitor asked for, if any.
    pub lang: Option<String>,
    /// The visitor's current Noise message 1 (replaced on every rekey).
    pub handshake: Vec<u8>,
    /// Queued, or held by a coordinator.
    pub assignment: Assignment,
    /// Unix minute the visitor (re)entered the queue.
    pub queued_minute: u64,
    /// The next sequence number expected from the visitor.
    pub next_to_coordinator: u64,
    /// The next sequence number expected from the coordinator.
    pub next_to_visitor: u64,
    /// The last frame to the coordinator that it acknowledged.
    pub acked_to_coordinator: u64,
    /// The last frame to the visitor that they acknowledged.
    pub acked_to_visitor: u64,
    /// The store generation the session was created in ([`crate::store::generation`]): a
    /// session of another generation survived a loss of data and cannot be trusted.
    pub generation: u64,
}

/// A waiting visitor as the queue shows it: what the coordinators' list, the positions and
/// auto-offer need, and no more (on Redis, one key read per waiting visitor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The session waiting.
    pub id: SessionId,
    /// A live chat or a tip conversation.
    pub kind: ConversationKind,
    /// The language the visitor asked for, if any.
    pub lang: Option<String>,
    /// Unix minute the visitor (re)entered the queue.
    pub queued_minute: u64,
    /// A coordinator can answer its Noise message 1 (false while a requeued visitor owes a
    /// fresh one).
    pub claimable: bool,
}

/// The queue as a broadcast needs it: every waiting session in order (for positions), and
/// the first few in full (for the coordinators' list and auto-offer). With thousands waiting,
/// reading every record on every queue change would be the relay's (and Redis's) main work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueView {
    /// Every queued session, oldest first.
    pub order: Vec<SessionId>,
    /// The first sessions of `order`, in full (fewer if some expired meanwhile).
    pub head: Vec<Queued>,
}

impl From<&SessionInfo> for Queued {
    fn from(info: &SessionInfo) -> Self {
        Self {
            id: info.id,
            kind: info.kind,
            lang: info.lang.clone(),
            queued_minute: info.queued_minute,
            claimable: !info.handshake.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
/// Limits on one direction's delivery buffer.
pub struct BufferLimits {
    /// Frames held at most.
    pub max_frames: usize,
    /// Ciphertext bytes held at most.
    pub max_bytes: usize,
}

/// The outcome of offering a frame to a delivery buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Append {
    /// Kept until acknowledged.
    Stored,
    /// Already stored (a resend after a reconnect): drop it, confirm again.
    Duplicate,
    /// Not the next number: a client bug or an attack.
    Gap {
        /// The number that was due.
        expected: u64,
    },
    /// The receiver is too far behind; the session cannot continue.
    Full,
}

/// What storing one relayed frame did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relayed {
    /// Stored, duplicate, gap or full; `None` if the session is gone or held by another.
    pub append: Option<Append>,
    /// Who holds the session, as read in the same step (`None` if it is gone).
    pub holder: Option<Assignment>,
    /// The other node woken through Redis, if any: if none, the relay wakes the peer its
    /// own way (on this node, or through the roster for a node of an older version).
    pub woke_node: Option<String>,
}

/// What one acknowledgement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acked {
    /// The new cumulative acknowledgement; `None` if the session is gone or held by another.
    pub acked: Option<u64>,
    /// Who holds the session, as read in the same step.
    pub holder: Option<Assignment>,
    /// The sender's node, if it was told through Redis.
    pub woke_node: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why the store could not do what was asked.
pub enum StoreError {
    #[error("no such session")]
    /// The session does not exist (ended, expired or never was).
    UnknownSession,
    #[error("the queue is full")]
    /// As many visitors wait as the queue takes.
    QueueFull,
    #[error("store unavailable: {0}")]
    /// The backend cannot be reached (only the kind of failure: never an address).
    Unavailable(String),
    #[error("tip storage failed: {0}")]
    /// Sealed tips could not be read or written.
    Tips(String),
    #[error("Redis refused the user and password")]
    /// The backend answered, and refused the credentials: a configuration mistake that no
    /// retry mends.
    CredentialsRefused,
}

// A tip file's path names the tip: only the kind of failure goes into the error.
impl From<crate::fs::FsError> for StoreError {
    fn from(e: crate::fs::FsError) -> Self {
        StoreError::Tips(e.source.kind().to_string())
    }
}

/// The chat-state store. Implementations must make `claim` atomic: of two claims for one
/// queued session, exactly one succeeds.
pub trait ChatStore: Send + Sync + 'static {
    /// Files a new session and queues it, unless `queue_max` sessions wait already.
    fn create(
        &self,
        info: SessionInfo,
        queue_max: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The session's routing view, if it exists.
    fn get(
        &self,
        id: &SessionId,
    ) -> impl Future<Output = Result<Option<SessionInfo>, StoreError>> + Send;
    /// Atomically moves a queued session to `coordinator`, connected to relay node `node`
    /// (where the visitor's wakes go, written in the same step); `None` if someone else won.
    fn claim(
        &self,
        id: &SessionId,
        coordinator: u64,
        node: &str,
    ) -> impl Future<Output = Result<Option<SessionInfo>, StoreError>> + Send;
    /// Assigns a session directly (transfer), whatever its state, to `coordinator` on relay
    /// node `node` (empty if not known: the visitor's wakes then go nowhere until the
    /// coordinator's node pulls).
    fn assign(
        &self,
        id: &SessionId,
        coordinator: u64,
        node: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Puts a session back in the queue, at the front (its wait keeps counting), if
    /// `holder` still holds it; `false` if someone else does (or no one).
    fn requeue(
        &self,
        id: &SessionId,
        holder: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Moves a session `holder` holds to [`Assignment::Held`] for `grace_s` seconds (their
    /// connection dropped); `false` if they do not hold it.
    fn hold(
        &self,
        id: &SessionId,
        holder: u64,
        grace_s: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Gives a session held for `holder` back to them (they resumed it), now connected to
    /// relay node `node`; `true` if it is theirs now (held for them, or still claimed by
    /// them: their node died unnoticed).
    fn reattach(
        &self,
        id: &SessionId,
        holder: u64,
        node: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Puts a session held for `holder` back at the front of the queue (not resumed in
    /// time, or not resumed at all); `false` if it is not held for them.
    fn requeue_held(
        &self,
        id: &SessionId,
        holder: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Whether a held session's grace period is still running (a node that died cannot
    /// time it: whoever sweeps for orphans reads this).
    fn in_grace(&self, id: &SessionId) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Who holds the session, if it exists: what routing a frame needs, cheaper than
    /// [`ChatStore::get`] (one key read on Redis instead of six, and no record to parse).
    fn assignment(
        &self,
        id: &SessionId,
    ) -> impl Future<Output = Result<Option<Assignment>, StoreError>> + Send;
    /// Who holds each live session: to find conversations whose coordinator is gone.
    fn assignments(
        &self,
    ) -> impl Future<Output = Result<Vec<(SessionId, Assignment)>, StoreError>> + Send;
    /// Replaces the visitor's Noise message 1 (empty: they owe a fresh one).
    fn set_handshake(
        &self,
        id: &SessionId,
        message1: Vec<u8>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every queued session's id in order, and the first `head` of them in full.
    fn queue_view(&self, head: usize)
    -> impl Future<Output = Result<QueueView, StoreError>> + Send;
    /// How many sessions are queued (cheap: for the proof-of-work difficulty and metrics).
    fn queue_len(&self) -> impl Future<Output = Result<usize, StoreError>> + Send;
    /// Offers a frame to one direction's buffer, within `limits`.
    fn append(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
    ) -> impl Future<Output = Result<Append, StoreError>> + Send;
    /// Cumulative acknowledgement; returns the new acknowledged number.
    fn ack(
        &self,
        id: &SessionId,
        way: Way,
        seq: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Unacknowledged frames with `seq > after`, in order.
    fn pending(
        &self,
        id: &SessionId,
        way: Way,
        after: u64,
    ) -> impl Future<Output = Result<Vec<StoredFrame>, StoreError>> + Send;
    /// Drops unacknowledged frames towards the coordinator (a transfer re-keys).
    fn discard_pending(
        &self,
        id: &SessionId,
        way: Way,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Marks activity, pushing back the idle expiry.
    fn touch(
        &self,
        id: &SessionId,
        now_minute: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Erases a session and everything about it but its tombstone ([`super::ended`]): the
    /// relay erased it on purpose (it ended, expired or was refused), the store did not lose
    /// it.
    fn remove(&self, id: &SessionId) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes sessions idle since before `cutoff_minute`; returns their ids.
    fn expire(
        &self,
        cutoff_minute: u64,
    ) -> impl Future<Output = Result<Vec<SessionId>, StoreError>> + Send;
    /// Everything stored, rendered as text: for the privacy tests, which scan it.
    fn dump(&self) -> impl Future<Output = String> + Send;
}
