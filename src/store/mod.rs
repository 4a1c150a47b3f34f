//! What the relay remembers, behind one trait: live-chat sessions, the queue, claims,
//! delivery buffers, and sealed tips.
//!
//! Everything here is ciphertext or routing state. A backend must never hold an address,
//! a user agent, plaintext or a precise time (times are Unix minutes), and must forget a
//! session entirely when it ends, is wiped or expires. Sealed tips are the only records that
//! outlive a session, until handled or past retention.

pub mod memory;
pub mod redis;
pub mod redis_connection;
pub mod redis_tips;
pub mod tip_files;
pub mod tips;

use crate::protocol::frames::{ConversationKind, PayloadKind};

pub type SessionId = [u8; 16];
pub type TipId = [u8; 16];

/// Which way a relayed frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    ToCoordinator,
    ToVisitor,
}

/// Where a session stands in routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    Queued,
    /// Held by the coordinator with this certificate serial.
    Claimed(u64),
}

/// A frame kept until its receiver acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFrame {
    pub seq: u64,
    pub kind: PayloadKind,
    pub body: Vec<u8>,
}

/// The routing view of a session (no buffers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: SessionId,
    /// SHA-256 of the resume token: a store dump cannot be used to resume.
    pub token_hash: [u8; 32],
    pub kind: ConversationKind,
    pub lang: Option<String>,
    /// The visitor's current Noise message 1 (replaced on every rekey).
    pub handshake: Vec<u8>,
    pub assignment: Assignment,
    /// Unix minute the visitor (re)entered the queue.
    pub queued_minute: u64,
    /// The next sequence number expected from each sender, and the last acknowledged.
    pub next_to_coordinator: u64,
    pub next_to_visitor: u64,
    pub acked_to_coordinator: u64,
    pub acked_to_visitor: u64,
}

/// Limits on one direction's delivery buffer.
/// A waiting visitor as the queue shows it: what the coordinators' list, the positions and
/// auto-offer need, and no more (on Redis, one key read per waiting visitor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub id: SessionId,
    pub kind: ConversationKind,
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
pub struct BufferLimits {
    pub max_frames: usize,
    pub max_bytes: usize,
}

/// The outcome of offering a frame to a delivery buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Append {
    Stored,
    /// Already stored (a resend after a reconnect): drop it, confirm again.
    Duplicate,
    /// Not the next number: a client bug or an attack.
    Gap {
        expected: u64,
    },
    /// The receiver is too far behind; the session cannot continue.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no such session")]
    UnknownSession,
    #[error("the queue is full")]
    QueueFull,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("tip storage failed: {0}")]
    Tips(String),
}

/// A sealed tip as filed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TipRecord {
    pub id: TipId,
    /// SHA-256 of the receipt's lookup id.
    pub lookup_hash: [u8; 32],
    pub received_minute: u64,
    pub sealed: Vec<u8>,
    pub followups: Vec<Vec<u8>>,
    pub replies: Vec<Vec<u8>>,
    /// Marked handled by a coordinator: the tip and its follow-ups are erased, the replies
    /// stay readable by the tipster until the retention period ends.
    #[serde(default)]
    pub handled: bool,
}

/// The chat-state store. Implementations must make `claim` atomic: of two claims for one
/// queued session, exactly one succeeds.
pub trait ChatStore: Send + Sync + 'static {
    fn create(
        &self,
        info: SessionInfo,
        queue_max: usize,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn get(
        &self,
        id: &SessionId,
    ) -> impl Future<Output = Result<Option<SessionInfo>, StoreError>> + Send;
    /// Atomically moves a queued session to `coordinator`; `None` if someone else won.
    fn claim(
        &self,
        id: &SessionId,
        coordinator: u64,
    ) -> impl Future<Output = Result<Option<SessionInfo>, StoreError>> + Send;
    /// Assigns a session directly (transfer), whatever its state.
    fn assign(
        &self,
        id: &SessionId,
        coordinator: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Puts a session back in the queue, at the front (its wait keeps counting), if
    /// `holder` still holds it; `false` if someone else does (or no one).
    fn requeue(
        &self,
        id: &SessionId,
        holder: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
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
    /// Erases a session and everything about it.
    fn remove(&self, id: &SessionId) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes sessions idle since before `cutoff_minute`; returns their ids.
    fn expire(
        &self,
        cutoff_minute: u64,
    ) -> impl Future<Output = Result<Vec<SessionId>, StoreError>> + Send;
    /// Everything stored, rendered as text: for the privacy tests, which scan it.
    fn dump(&self) -> impl Future<Output = String> + Send;
}

/// Current Unix time rounded down to the minute: the only clock the store ever sees.
pub fn now_minute() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 60)
        .unwrap_or(0)
}

/// The configured backend: one type the relay holds whichever store runs underneath.
pub enum Store {
    Memory(memory::MemoryStore),
    Redis(Box<redis::RedisStore>),
}

impl Store {
    /// Opens the store `store.kind` names: memory, or Redis at `store.redis_url`.
    pub async fn open(config: &crate::config::Config) -> Result<Self, StoreError> {
        match config.store.kind.as_str() {
            "redis" => Ok(Store::Redis(Box::new(
                redis::RedisStore::connect(
                    &config.store.redis_urls(),
                    config.store.redis_cluster,
                    config.sessions.idle_ttl_s,
                )
                .await?,
            ))),
            _ => Ok(Store::Memory(memory::MemoryStore::new())),
        }
    }
}

/// The Redis futures are boxed: every relay task that awaits the store holds the largest
/// future it may await, and Redis's are large while the memory store's are small. Boxing
/// them keeps an idle visitor's task small (docs/benchmarks.md) and costs one allocation
/// per Redis call, beside a network round trip.
impl Store {
    /// Every queued session in full, oldest first (tests and diagnostics: the relay itself
    /// reads [`ChatStore::queue_view`]).
    pub async fn queue(&self) -> Result<Vec<Queued>, StoreError> {
        Ok(self.queue_view(usize::MAX).await?.head)
    }
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Memory($store) => $call.await,
            Store::Redis($store) => Box::pin($call).await,
        }
    };
}

impl ChatStore for Store {
    async fn create(&self, info: SessionInfo, queue_max: usize) -> Result<(), StoreError> {
        dispatch!(self, s => s.create(info, queue_max))
    }
    async fn get(&self, id: &SessionId) -> Result<Option<SessionInfo>, StoreError> {
        dispatch!(self, s => s.get(id))
    }
    async fn claim(
        &self,
        id: &SessionId,
        coordinator: u64,
    ) -> Result<Option<SessionInfo>, StoreError> {
        dispatch!(self, s => s.claim(id, coordinator))
    }
    async fn assign(&self, id: &SessionId, coordinator: u64) -> Result<(), StoreError> {
        dispatch!(self, s => s.assign(id, coordinator))
    }
    async fn requeue(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.requeue(id, holder))
    }
    async fn assignment(&self, id: &SessionId) -> Result<Option<Assignment>, StoreError> {
        dispatch!(self, s => s.assignment(id))
    }
    async fn assignments(&self) -> Result<Vec<(SessionId, Assignment)>, StoreError> {
        dispatch!(self, s => s.assignments())
    }
    async fn set_handshake(&self, id: &SessionId, message1: Vec<u8>) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_handshake(id, message1))
    }
    async fn queue_view(&self, head: usize) -> Result<QueueView, StoreError> {
        dispatch!(self, s => s.queue_view(head))
    }
    async fn queue_len(&self) -> Result<usize, StoreError> {
        dispatch!(self, s => s.queue_len())
    }
    async fn append(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
    ) -> Result<Append, StoreError> {
        dispatch!(self, s => s.append(id, way, frame, limits))
    }
    async fn ack(&self, id: &SessionId, way: Way, seq: u64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.ack(id, way, seq))
    }
    async fn pending(
        &self,
        id: &SessionId,
        way: Way,
        after: u64,
    ) -> Result<Vec<StoredFrame>, StoreError> {
        dispatch!(self, s => s.pending(id, way, after))
    }
    async fn discard_pending(&self, id: &SessionId, way: Way) -> Result<(), StoreError> {
        dispatch!(self, s => s.discard_pending(id, way))
    }
    async fn touch(&self, id: &SessionId, now_minute: u64) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch(id, now_minute))
    }
    async fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        dispatch!(self, s => s.remove(id))
    }
    async fn expire(&self, cutoff_minute: u64) -> Result<Vec<SessionId>, StoreError> {
        dispatch!(self, s => s.expire(cutoff_minute))
    }
    async fn dump(&self) -> String {
        dispatch!(self, s => s.dump())
    }
}
