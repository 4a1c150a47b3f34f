//! What one relay node shares between its connections: configuration, keys, the store,
//! the live connections, the seed book, metrics, the link to other nodes, and the clock.
//!
//! Only the state and the small decisions that read nothing else (limits, difficulty,
//! admission) live here; routing lives above it. Must never hold a key that opens a message.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::changes::Changes;
use super::connection::RateLimits;
use super::metrics::Metrics;
use super::nodes::Nodes;
use super::pow::SeedBook;
use super::revocations::Revocations;
use super::routing::Live;
use crate::clock::Clock;
use crate::config::Config;
use crate::keyfile::RelayKeys;
use crate::protocol::CloseCode;
use crate::store::tips::Tips;
use crate::store::{BufferLimits, Store, StoreError};

/// Everything one relay node shares between its connections.
pub struct Relay {
    /// The validated configuration this node started with.
    pub config: Config,
    /// The only time the relay reads: tests advance it to live a month in seconds.
    pub clock: Clock,
    /// The public keys it serves and checks certificates against (`keys.revocations` is the
    /// list at start-up: the one in use is [`Relay::revocations`]).
    pub keys: RelayKeys,
    /// The revocation list in use, replaced while running by a newer one.
    pub revocation_book: Revocations,
    /// The inbox certificate served (`keys.inbox` is the one at start-up), replaced while
    /// running by a newer one after a rotation.
    pub inbox_book: super::inbox_certificate::InboxCertificate,
    /// Retired inbox certificates served for checking replies sealed before a rotation.
    pub previous_inboxes: super::inbox_previous::PreviousInboxes,
    /// Each coordinator serial's keys in use: a certificate superseded by a renewal to new
    /// keys is refused.
    pub keys_in_use: super::keys_in_use::KeysInUse,
    /// Sessions, the queue and delivery buffers.
    pub store: Store,
    /// Sealed tips, in the backend the store chose.
    pub tips: Tips,
    /// The connections on this node.
    pub live: Live,
    /// Proof-of-work seeds of HTTP tips (and the key of the no-script form tokens).
    pub seeds: SeedBook,
    /// What is left of this hour's budget for the no-script tip pages.
    pub noscript: super::noscript::budget::Budget,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// This node among the others sharing one Redis.
    pub nodes: Nodes,
    /// Open visitor connections, and open coordinator connections: two pools, so a flood of
    /// visitor sockets can never lock out the people who answer (F-6).
    visitor_connections: AtomicUsize,
    coordinator_connections: AtomicUsize,
    /// Set once shutdown begins: new connections are refused and `/readyz` fails.
    pub shutting_down: tokio::sync::watch::Sender<bool>,
    /// Changes of the queue or the roster; one task turns each burst into one broadcast.
    queue_changes: Changes,
    /// Changes of the tips inbox; one task turns each burst into one list sent to every
    /// coordinator on duty (each list is the whole inbox, up to 10,000 items).
    pub tip_changes: Changes,
    /// How many waited at the last broadcast (plus arrivals here since): what the difficulty
    /// is read from, so a set-up costs no store round trip for it (docs/benchmarks.md).
    queued: AtomicUsize,
}

/// How long queue changes are gathered before one broadcast.
pub const QUEUE_BROADCAST_WINDOW: Duration = Duration::from_millis(150);

/// How long tips inbox changes are gathered before one list goes to every coordinator.
pub const TIPS_BROADCAST_WINDOW: Duration = Duration::from_millis(500);

/// Which connection pool a socket is admitted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// `/v1/visitor`, capped by `limits.max_connections`.
    Visitors,
    /// `/v1/coordinator`, capped by `limits.max_coordinator_connections`.
    Coordinators,
}

/// Holds one connection slot of its pool until dropped.
pub struct ConnectionSlot(Arc<Relay>, Pool);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.pool(self.1).fetch_sub(1, Ordering::Relaxed);
    }
}

impl Relay {
    /// A relay on the system clock.
    pub fn new(config: Config, keys: RelayKeys, store: Store) -> Result<Arc<Self>, StoreError> {
        Self::with_clock(config, keys, store, Clock::system())
    }

    /// A relay that reads the time from `clock` (a test's, which it can advance).
    pub fn with_clock(
        config: Config,
        keys: RelayKeys,
        store: Store,
        clock: Clock,
    ) -> Result<Arc<Self>, StoreError> {
        // Several nodes share one Redis: tips go there, so every node sees every tip.
        let tips = store.tips(&config, clock.clone())?;
        let (shutting_down, _) = tokio::sync::watch::channel(false);
        let seeds = SeedBook::new(store.shared_seeds(), clock.clone());
        let noscript = super::noscript::budget::Budget::new(
            config.tips.noscript_per_hour,
            store.shared_budget(),
        );
        let inbox_book = super::inbox_certificate::InboxCertificate::new(
            keys.inbox.clone(),
            crate::keyfile::KeyPaths::new(&config.server.data_dir).inbox_certificate(),
        );
        let revocation_book = Revocations::new(
            keys.revocations.clone(),
            crate::keyfile::KeyPaths::new(&config.server.data_dir).revocations(),
            store.shared_revocations(),
        );
        Ok(Arc::new(Self {
            nodes: Nodes::new(store.node_link()),
            revocation_book,
            inbox_book,
            previous_inboxes: super::inbox_previous::PreviousInboxes::new(
                crate::keyfile::KeyPaths::new(&config.server.data_dir).kept_inbox_folder(),
            ),
            keys_in_use: super::keys_in_use::KeysInUse::new(
                store.shared_coordinator_keys(),
                Some(config.server.data_dir.join("coordinator-keys")),
            ),
            store,
            tips,
            live: Live::default(),
            seeds,
            noscript,
            metrics: Metrics::default(),
            visitor_connections: AtomicUsize::new(0),
            coordinator_connections: AtomicUsize::new(0),
            shutting_down,
            queue_changes: Changes::default(),
            tip_changes: Changes::default(),
            queued: AtomicUsize::new(0),
            config,
            keys,
            clock,
        }))
    }

    fn pool(&self, pool: Pool) -> &AtomicUsize {
        match pool {
            Pool::Visitors => &self.visitor_connections,
            Pool::Coordinators => &self.coordinator_connections,
        }
    }

    /// Takes a connection slot from `pool`, or `None` at that pool's configured maximum.
    pub fn admit(self: &Arc<Self>, pool: Pool) -> Option<ConnectionSlot> {
        let max = match pool {
            Pool::Visitors => self.config.limits.max_connections,
            Pool::Coordinators => self.config.limits.max_coordinator_connections,
        };
        let previous = self.pool(pool).fetch_add(1, Ordering::Relaxed);
        if previous >= max || *self.shutting_down.borrow() {
            self.pool(pool).fetch_sub(1, Ordering::Relaxed);
            Metrics::inc(&self.metrics.connections_refused);
            return None;
        }
        Some(ConnectionSlot(self.clone(), pool))
    }

    /// A visitor connection's rate limits (a coordinator's are scaled up from these).
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            frames_per_s: self.config.limits.frames_per_s,
            frames_burst: self.config.limits.frames_burst,
            bytes_per_s: self.config.limits.bytes_per_s,
        }
    }

    /// The bounds of one direction's delivery buffer.
    pub fn buffer_limits(&self) -> BufferLimits {
        BufferLimits {
            max_frames: self.config.sessions.buffer_max_frames,
            max_bytes: self.config.sessions.buffer_max_bytes,
        }
    }

    /// How often a visitor's activity is written to the store. The session's idle TTL is
    /// counted in minutes, so a write per frame (a Redis round trip each) buys nothing.
    pub fn touch_interval(&self) -> Duration {
        Duration::from_secs((self.config.sessions.idle_ttl_s / 4).clamp(1, 30))
    }

    /// How long a connection may stay silent before it is closed.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.config.limits.idle_timeout_s)
    }

    /// How long a visitor has to answer the challenge (proof-of-work included), pings or not.
    pub fn challenge_timeout(&self) -> Duration {
        Duration::from_secs(self.config.limits.challenge_timeout_s)
    }

    /// How long a coordinator has to sign in, pings or not.
    pub fn auth_timeout(&self) -> Duration {
        Duration::from_secs(self.config.limits.auth_timeout_s)
    }

    /// Proof-of-work difficulty now: one more bit per `visitors_per_step` waiting.
    pub fn difficulty(&self, queued: usize) -> u8 {
        let pow = &self.config.pow;
        let extra = (queued / pow.visitors_per_step).min(u8::MAX as usize) as u8;
        pow.base_difficulty
            .saturating_add(extra)
            .min(pow.max_difficulty)
    }

    /// How many visitors wait, as of the last broadcast and the arrivals here since.
    pub fn queued_now(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// The queue's length as a broadcast read it from the store.
    pub fn note_queued(&self, waiting: usize) {
        self.queued.store(waiting, Ordering::Relaxed);
    }

    /// A visitor joined the queue here: counted before the next broadcast reads the store.
    pub fn note_arrival(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks the queue changed; the broadcaster sends everyone's new view shortly.
    pub async fn broadcast_queue(&self) {
        self.queue_changes.here();
    }

    /// Another node changed the queue or the roster: send our clients the new view.
    pub fn queue_changed_elsewhere(&self) {
        self.queue_changes.elsewhere();
    }

    /// Waits for the next queue change, then until [`QUEUE_BROADCAST_WINDOW`] has passed since
    /// the `previous` broadcast: a lone arrival is told its place at once (a phone on a slow
    /// network waited 150 ms more for it), a burst still costs one broadcast per window.
    /// `true` if a change happened here (and so must be shared with the other nodes).
    pub async fn queue_changes(&self, previous: Option<tokio::time::Instant>) -> bool {
        self.queue_changes
            .next(previous, QUEUE_BROADCAST_WINDOW)
            .await
    }

    /// Tells every client to reconnect (1001) and refuses new connections.
    pub fn begin_shutdown(&self) {
        self.shutting_down.send_replace(true);
        self.live.with(|live| {
            for outbox in live.visitors.values() {
                outbox.close(CloseCode::GoingAway);
            }
            for c in live.coordinators.values() {
                c.outbox.close(CloseCode::GoingAway);
            }
        });
    }
}
