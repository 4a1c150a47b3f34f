//! The configured backend: one type the relay holds whichever store runs underneath, and
//! everything the relay needs that depends on it (where tips go, how nodes reach each other,
//! where redeemed proof-of-work seeds are shared).
//!
//! This is the only place that matches on a backend. Must never hand the relay a Redis
//! handle it could use for anything but what was asked.

use super::chat::{
    Acked, Append, Assignment, BufferLimits, ChatStore, QueueView, Queued, Relayed, SessionId,
    SessionInfo, StoreError, StoredFrame, Way,
};
use super::generation::Checked;
use super::redis::node_link::NodeLink;
use super::redis::persistence::Persistence;
use super::redis::revocations::SharedRevocations;
use super::redis::seeds::SharedSeeds;
use super::tips::files::TipFiles;
use super::tips::redis::RedisTips;
use super::tips::{TipLimits, Tips};
use super::{memory, redis};
use crate::clock::Clock;
use crate::config::{Config, StoreKind};

/// The configured backend: one type the relay holds whichever store runs underneath.
pub enum Store {
    /// In this process: one node.
    Memory(memory::MemoryStore),
    /// In Redis: any number of nodes.
    Redis(Box<redis::RedisStore>),
}

impl Store {
    /// Opens the store `store.kind` names: memory, or Redis at `store.redis_url`.
    pub async fn open(config: &Config) -> Result<Self, StoreError> {
        let tombstones = super::ended::kept_for(config.sessions.coordinator_grace_s);
        match config.store.kind {
            StoreKind::Redis => {
                let redis = redis::RedisStore::connect(
                    &config.store.redis_urls(),
                    config.store.redis_cluster,
                    config.sessions.idle_ttl_s,
                )
                .await?;
                redis.keep_tombstones_for(tombstones);
                Ok(Store::Redis(Box::new(redis)))
            }
            StoreKind::Memory => {
                let memory = memory::MemoryStore::new();
                memory.keep_tombstones_for(tombstones);
                Ok(Store::Memory(memory))
            }
        }
    }
}

impl Store {
    /// Where sealed tips go: Redis when several nodes share one (a tip sent through one
    /// node must be readable through another), else files in `<data_dir>/tips`.
    pub fn tips(&self, config: &Config, clock: Clock) -> Result<Tips, StoreError> {
        Ok(match self {
            Store::Redis(redis) => Tips::redis(
                RedisTips::new(
                    redis.connection(),
                    redis.deadlines(),
                    config.tips.retention_days,
                    TipLimits::of(config),
                    clock,
                ),
                // Switched from the file store: what it left is never served, but it goes
                // at the end of its retention like any tip.
                TipFiles::open_left_behind(
                    &config.server.data_dir.join("tips"),
                    TipLimits::of(config),
                ),
            ),
            Store::Memory(_) => Tips::files(TipFiles::open(
                &config.server.data_dir.join("tips"),
                TipLimits::of(config),
            )?),
        })
    }

    /// What the file store left in `<data_dir>/tips` that this backend never serves: with
    /// Redis, every tip there (a node switched from `memory`: nobody sees them again, and the
    /// sweep deletes each at the end of its retention); nothing with the file store, which
    /// serves them.
    pub fn tips_left_behind(&self, config: &Config) -> LeftBehind {
        let mut left = LeftBehind::default();
        let Store::Redis(_) = self else {
            return left;
        };
        let Ok(entries) = std::fs::read_dir(config.server.data_dir.join("tips")) else {
            return left;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let handled = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| serde_json::from_str::<super::tips::record::TipRecord>(&text).ok())
                .is_some_and(|record| record.handled);
            if handled {
                left.handled += 1;
            } else {
                left.waiting += 1;
            }
        }
        left
    }

    /// How this node reaches the others sharing its Redis; `None` alone in memory.
    pub fn node_link(&self) -> Option<NodeLink> {
        match self {
            Store::Redis(redis) => Some(redis.node_link()),
            Store::Memory(_) => None,
        }
    }

    /// The no-script path's hourly budget shared by every node, with Redis.
    pub fn shared_budget(&self) -> Option<super::redis::budget::SharedBudget> {
        match self {
            Store::Redis(redis) => Some(super::redis::budget::SharedBudget::new(
                redis.connection(),
                redis.deadlines(),
            )),
            Store::Memory(_) => None,
        }
    }

    /// Where every node's redeemed proof-of-work seeds and seed key are kept; `None` alone
    /// in memory (the seed book keeps them itself).
    pub fn shared_seeds(&self) -> Option<SharedSeeds> {
        match self {
            Store::Redis(redis) => Some(SharedSeeds::new(redis.connection(), redis.deadlines())),
            Store::Memory(_) => None,
        }
    }

    /// What keeps Redis's files in step with the relay's erasures, within
    /// `store.redis_rewrite_s`; `None` in memory (nothing on disk but tip files, erased at
    /// once) or when the operator turned it off.
    pub fn disk_erasure(&self, config: &Config) -> Option<redis::rewrite::DiskErasure> {
        match self {
            Store::Redis(redis) if config.store.redis_rewrite_s > 0 => Some(
                redis.disk_erasure(std::time::Duration::from_secs(config.store.redis_rewrite_s)),
            ),
            _ => None,
        }
    }

    /// Where the newest revocation list is shared between nodes; `None` alone in memory.
    pub fn shared_revocations(&self) -> Option<SharedRevocations> {
        match self {
            Store::Redis(redis) => Some(SharedRevocations::new(redis.connection())),
            Store::Memory(_) => None,
        }
    }

    /// Where each coordinator serial's keys in use are shared between nodes (§9.2); `None`
    /// alone in memory.
    pub fn shared_coordinator_keys(
        &self,
    ) -> Option<super::redis::coordinator_keys::SharedCoordinatorKeys> {
        match self {
            Store::Redis(redis) => Some(
                super::redis::coordinator_keys::SharedCoordinatorKeys::new(redis.connection()),
            ),
            Store::Memory(_) => None,
        }
    }

    /// Reads (again) whether the backend keeps its data across its own restart; `None` for
    /// the memory store, which never does (and says so in the README).
    pub async fn persistence(&self) -> Option<Result<Persistence, StoreError>> {
        match self {
            Store::Redis(redis) => Some(redis.persistence().await),
            Store::Memory(_) => None,
        }
    }

    /// The persistence settings last read, without asking the backend.
    pub fn persistence_seen(&self) -> Option<Persistence> {
        match self {
            Store::Redis(redis) => redis.persistence_seen(),
            Store::Memory(_) => None,
        }
    }

    /// The store generation new sessions are filed under (protocol §9.5).
    pub fn generation(&self) -> u64 {
        match self {
            Store::Memory(memory) => memory.generation(),
            Store::Redis(redis) => redis.generation(),
        }
    }

    /// Whether the store lost or rewound its data since the last check; the memory store
    /// never does while the process runs (a restart is a new store, a new generation).
    pub async fn check_generation(&self) -> Result<Checked, StoreError> {
        match self {
            Store::Memory(_) => Ok(Checked::Same),
            Store::Redis(redis) => redis.check_generation().await,
        }
    }

    /// When this node saw the current generation begin, if it did: the memory store's at
    /// the process's start, Redis's when a check found a change.
    pub fn generation_changed_at(&self) -> Option<std::time::Instant> {
        match self {
            Store::Memory(memory) => Some(memory.began()),
            Store::Redis(redis) => redis.generation_changed_at(),
        }
    }

    /// Marks a session ended, atomically with reading who held it (§9.7): from then on a
    /// resume is refused (4010) although the erasure follows a moment later. `None` if it
    /// is gone or already ended (whoever ended it first tells the other side).
    pub async fn end(&self, id: &SessionId) -> Result<Option<Assignment>, StoreError> {
        match self {
            Store::Memory(memory) => Ok(memory.end(id)),
            Store::Redis(redis) => Box::pin(redis.end(id)).await,
        }
    }

    /// Whether the relay erased `id` on purpose lately (ended, expired, refused): the store
    /// holds its tombstone (`ended`), so its absence is not a loss.
    pub async fn ended_recently(&self, id: &SessionId) -> Result<bool, StoreError> {
        match self {
            Store::Memory(memory) => Ok(memory.ended_recently(id)),
            Store::Redis(redis) => Box::pin(redis.ended_recently(id)).await,
        }
    }

    /// A session and whether it was ended (and is being erased), read in one step.
    pub async fn get_with_end(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionInfo, bool)>, StoreError> {
        match self {
            Store::Memory(memory) => Ok(memory.get_with_end(id)),
            Store::Redis(redis) => Box::pin(redis.get_with_end(id)).await,
        }
    }

    /// Erases the sessions of other generations than the current one; returns their ids.
    pub async fn forget_other_generations(&self) -> Result<Vec<SessionId>, StoreError> {
        match self {
            Store::Memory(_) => Ok(Vec::new()),
            Store::Redis(redis) => redis.forget_other_generations().await,
        }
    }

    /// Who holds each session, and what is out of step between the queue and the owner
    /// keys (`redis::mend`), from one read: what each heartbeat acts on. Never anything out
    /// of step in memory, where one lock covers both.
    pub async fn survey(&self) -> Result<redis::mend::Survey, StoreError> {
        match self {
            Store::Memory(memory) => Ok(redis::mend::Survey {
                assignments: memory.assignments().await?,
                out_of_step: Default::default(),
            }),
            Store::Redis(redis) => redis.survey().await,
        }
    }

    /// Puts back in the queue a session owned by it that had no entry; `true` if this call
    /// did (its visitor is then owed a `left`).
    pub async fn mend_unqueued(&self, id: &SessionId) -> Result<bool, StoreError> {
        match self {
            Store::Memory(_) => Ok(false),
            Store::Redis(redis) => redis.mend_unqueued(id).await,
        }
    }

    /// Takes out a queue entry whose session is not queued (claimed, held or gone).
    pub async fn mend_stray(&self, id: &SessionId) {
        if let Store::Redis(redis) = self {
            redis.mend_stray(id).await;
        }
    }

    /// Every queued session in full, oldest first (tests and diagnostics: the relay itself
    /// reads [`ChatStore::queue_view`]).
    pub async fn queue(&self) -> Result<Vec<Queued>, StoreError> {
        Ok(self.queue_view(usize::MAX).await?.head)
    }
}

/// The per-message path (`redis::message_path`): store and wake in one step on Redis; in
/// memory the same as separate calls, the peer always on this node.
impl Store {
    /// Stores `frame` travelling `way` if the session is live (and, with `held_by`, still
    /// held by that coordinator), and wakes the receiver if it is on another node.
    pub async fn relay_frame(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
        held_by: Option<u64>,
        node: &str,
    ) -> Result<Relayed, StoreError> {
        let memory = match self {
            Store::Redis(redis) => {
                return Box::pin(redis.relay_frame(id, way, frame, limits, held_by, node)).await;
            }
            Store::Memory(memory) => memory,
        };
        let holder = memory.assignment(id).await?;
        let refused = !live_and_held(&holder, held_by);
        let append = if refused {
            None
        } else {
            Some(memory.append(id, way, frame, limits).await?)
        };
        Ok(Relayed {
            append,
            holder,
            woke_node: None,
        })
    }

    /// Acknowledges what travelled `way` up to `seq` (with `held_by`: only from that
    /// holder) and tells the sender if it is on another node.
    pub async fn ack_and_notify(
        &self,
        id: &SessionId,
        way: Way,
        seq: u64,
        held_by: Option<u64>,
        node: &str,
    ) -> Result<Acked, StoreError> {
        let memory = match self {
            Store::Redis(redis) => {
                return Box::pin(redis.ack_and_notify(id, way, seq, held_by, node)).await;
            }
            Store::Memory(memory) => memory,
        };
        let holder = memory.assignment(id).await?;
        let refused = !live_and_held(&holder, held_by);
        let acked = if refused {
            None
        } else {
            Some(memory.ack(id, way, seq).await?)
        };
        Ok(Acked {
            acked,
            holder,
            woke_node: None,
        })
    }
}

/// Whether a session whose holder reads `holder` is live and, with `held_by`, held by it.
fn live_and_held(holder: &Option<Assignment>, held_by: Option<u64>) -> bool {
    match (holder, held_by) {
        (None, _) => false,
        (Some(owner), Some(serial)) => *owner == Assignment::Claimed(serial),
        (Some(_), None) => true,
    }
}

impl ChatStore for Store {
    async fn create(&self, info: SessionInfo, queue_max: usize) -> Result<(), StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.create(info, queue_max))
    }
    async fn get(&self, id: &SessionId) -> Result<Option<SessionInfo>, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.get(id))
    }
    async fn claim(
        &self,
        id: &SessionId,
        coordinator: u64,
        node: &str,
    ) -> Result<Option<SessionInfo>, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.claim(id, coordinator, node))
    }
    async fn assign(&self, id: &SessionId, coordinator: u64, node: &str) -> Result<(), StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.assign(id, coordinator, node))
    }
    async fn requeue(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.requeue(id, holder))
    }
    async fn hold(&self, id: &SessionId, holder: u64, grace_s: u64) -> Result<bool, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.hold(id, holder, grace_s))
    }
    async fn reattach(&self, id: &SessionId, holder: u64, node: &str) -> Result<bool, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.reattach(id, holder, node))
    }
    async fn requeue_held(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.requeue_held(id, holder))
    }
    async fn in_grace(&self, id: &SessionId) -> Result<bool, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.in_grace(id))
    }
    async fn assignment(&self, id: &SessionId) -> Result<Option<Assignment>, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.assignment(id))
    }
    async fn assignments(&self) -> Result<Vec<(SessionId, Assignment)>, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.assignments())
    }
    async fn set_handshake(&self, id: &SessionId, message1: Vec<u8>) -> Result<(), StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.set_handshake(id, message1))
    }
    async fn queue_view(&self, head: usize) -> Result<QueueView, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.queue_view(head))
    }
    async fn queue_len(&self) -> Result<usize, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.queue_len())
    }
    async fn append(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
    ) -> Result<Append, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.append(id, way, frame, limits))
    }
    async fn ack(&self, id: &SessionId, way: Way, seq: u64) -> Result<u64, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.ack(id, way, seq))
    }
    async fn pending(
        &self,
        id: &SessionId,
        way: Way,
        after: u64,
    ) -> Result<Vec<StoredFrame>, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.pending(id, way, after))
    }
    async fn discard_pending(&self, id: &SessionId, way: Way) -> Result<(), StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.discard_pending(id, way))
    }
    async fn touch(&self, id: &SessionId, now_minute: u64) -> Result<(), StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.touch(id, now_minute))
    }
    async fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.remove(id))
    }
    async fn expire(&self, cutoff_minute: u64) -> Result<Vec<SessionId>, StoreError> {
        dispatch!(self, Store::{Memory, Redis}, s => s.expire(cutoff_minute))
    }
    async fn dump(&self) -> String {
        dispatch!(self, Store::{Memory, Redis}, s => s.dump())
    }
}

/// Tips in the file store's folder that the Redis store does not serve.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LeftBehind {
    /// Waiting for a coordinator (or unreadable): lost to them after the switch.
    pub waiting: usize,
    /// Handled, kept for their replies: tipsters can no longer read those replies.
    pub handled: usize,
}
