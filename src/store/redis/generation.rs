//! The Redis store's generation (docs/redis.md, protocol §9.5): `ll:{generation}:id`, a
//! random id written when the data is new, and `ll:{generation}:tick`, a counter every node
//! increments at each check. A missing id means Redis lost everything (restarted without
//! persistence); a tick lower than one this node has already seen means Redis came back
//! older (an older snapshot, a lagging replica promoted): then the node replaces the id, so
//! every node sees the change at its next check.
//!
//! A snapshot taken within one check of Redis dying holds the newest tick: the frames this
//! node confirmed since, the claims and hand-overs, and the sessions it created are the
//! evidence then (`witness`), verified at the same check.
//!
//! Both keys share one hash tag, so the scripts run on a Cluster too. Must never roll the
//! generation on anything but evidence of lost data: rolling it ends every conversation.

use std::sync::atomic::{AtomicU64, Ordering};

use super::connection::{RedisConnection, unavailable};
use super::witness::{Witness, rewound};
use crate::store::chat::StoreError;
use crate::store::generation::{Checked, fresh};

const ID: &str = "ll:{generation}:id";
const TICK: &str = "ll:{generation}:tick";

/// Reads (or, on empty data, creates) the id, and advances the tick. KEYS: id, tick.
/// ARGV: an id to write if none exists. Returns {id, tick}.
const CHECK: &str = r#"
local id = redis.call('GET', KEYS[1])
if not id then
  id = ARGV[1]
  redis.call('SET', KEYS[1], id)
end
return {id, redis.call('INCR', KEYS[2])}
"#;

/// Replaces the id if it is still the one seen (another node may have replaced it first),
/// and moves the tick past every value seen before the rewind. KEYS: id, tick. ARGV: the id
/// seen, the new id, the lowest tick to continue from. Returns the id now in force.
const ROLL: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
end
return redis.call('GET', KEYS[1])
"#;

/// This node's view of the store's generation.
pub struct Generation {
    current: AtomicU64,
    /// The highest tick this node has read: Redis handing back a lower one went back in time.
    last_tick: AtomicU64,
    check: redis::Script,
    roll: redis::Script,
    /// What this node confirmed stored since the last check.
    witness: Witness,
    /// One check at a time: a check run on a sequence gap must not take the batch a running
    /// periodic check is verifying, and find nothing.
    turn: tokio::sync::Mutex<()>,
    /// How many checks have finished: a check asked for while two finished (so one began
    /// after the asking) is answered by them, and a burst of asks (resumes of unknown
    /// sessions, gaps) costs Redis one check, not one each.
    finished: AtomicU64,
    /// When this node last saw the generation change (a coordinator resuming soon after is
    /// told which conversations were lost, `relay::generation`).
    changed_at: std::sync::Mutex<Option<std::time::Instant>>,
}

fn parse(id: &str) -> Result<u64, StoreError> {
    id.parse()
        .map_err(|_| StoreError::Unavailable("unreadable generation in Redis".into()))
}

impl Generation {
    /// Reads the generation in force (creating it on empty data).
    pub async fn open(con: &mut RedisConnection) -> Result<Self, StoreError> {
        let generation = Self {
            current: AtomicU64::new(0),
            last_tick: AtomicU64::new(0),
            check: redis::Script::new(CHECK),
            roll: redis::Script::new(ROLL),
            witness: Witness::default(),
            turn: tokio::sync::Mutex::new(()),
            finished: AtomicU64::new(0),
            changed_at: std::sync::Mutex::new(None),
        };
        generation.check(con).await?;
        Ok(generation)
    }

    /// The generation this node believes in.
    pub fn current(&self) -> u64 {
        self.current.load(Ordering::Relaxed)
    }

    /// Redis answered that `id` was claimed or handed over (its `claims`-th time): evidence
    /// for the next check.
    pub fn claimed(&self, id: &crate::store::SessionId, claims: u64) {
        self.witness.claimed(id, claims);
    }

    /// Redis answered that `id` was created in `generation`: evidence for the next check.
    pub fn created(&self, id: &crate::store::SessionId, generation: u64) {
        self.witness.created(id, generation);
    }

    /// When this node last saw the generation change, if it has since it started.
    pub fn changed_at(&self) -> Option<std::time::Instant> {
        *self.changed_at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Redis answered that `seq` of `id` travelling `way` is stored: evidence for the next
    /// check.
    pub fn confirmed(&self, id: &crate::store::SessionId, way: crate::store::Way, seq: u64) {
        self.witness.confirmed(id, way, seq);
    }

    /// Compares Redis with what this node believed; on evidence of lost data (the id gone,
    /// the tick lower, or a frame confirmed since the last check missing), moves to (or
    /// creates) the new generation.
    pub async fn check(&self, con: &mut RedisConnection) -> Result<Checked, StoreError> {
        let asked = self.finished.load(Ordering::Acquire);
        let _turn = self.turn.lock().await;
        // One check began after this one was asked for, and finished: what it found (and
        // acted on: every caller ends the old generation's conversations) stands.
        if self.finished.load(Ordering::Acquire) >= asked + 2 {
            return Ok(Checked::Same);
        }
        // Taken before the tick advances, verified after: see `witness`.
        let batch = self.witness.take();
        let checked = match self.check_tick(con).await {
            Ok(Checked::Same) => match rewound(con, &batch, self.current()).await {
                Ok(false) => Ok(Checked::Same),
                Ok(true) => {
                    tracing::warn!("Redis lost writes it had confirmed: a rewind");
                    let known = self.current().to_string();
                    self.roll(con, known).await.map(Checked::Changed)
                }
                Err(e) => Err(e),
            },
            other => other,
        };
        match checked {
            Err(_) => self.witness.restore(batch),
            Ok(Checked::Changed(_)) => {
                *self.changed_at.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(std::time::Instant::now());
            }
            Ok(Checked::Same) => {}
        }
        if checked.is_ok() {
            self.finished.fetch_add(1, Ordering::Release);
        }
        checked
    }

    async fn check_tick(&self, con: &mut RedisConnection) -> Result<Checked, StoreError> {
        let (id, tick): (String, u64) = self
            .check
            .key(ID)
            .key(TICK)
            .arg(fresh().to_string())
            .invoke_async(con)
            .await
            .map_err(unavailable)?;
        let mut id = parse(&id)?;
        let seen = self.last_tick.load(Ordering::Relaxed);
        let known = self.current();
        // A lower tick: Redis went back in time. Under the id this node knew, nobody has
        // said so yet: replace it. Under another, a node already did: only move the tick
        // past what this node saw, or its next check would find the same "rewind" again.
        if tick <= seen {
            let seen_id = if id == known {
                id.to_string()
            } else {
                "-".into()
            };
            id = self.roll(con, seen_id).await?;
        }
        self.last_tick.fetch_max(tick, Ordering::Relaxed);
        self.current.store(id, Ordering::Relaxed);
        Ok(if known != 0 && id != known {
            Checked::Changed(id)
        } else {
            Checked::Same
        })
    }

    /// Replaces the id if it still reads `seen_id`, and moves the tick past everything this
    /// node saw; the id in force afterwards is this node's from now on.
    async fn roll(&self, con: &mut RedisConnection, seen_id: String) -> Result<u64, StoreError> {
        let seen = self.last_tick.load(Ordering::Relaxed);
        let now: String = self
            .roll
            .key(ID)
            .key(TICK)
            .arg(seen_id)
            .arg(fresh().to_string())
            .arg(seen + 1)
            .invoke_async(con)
            .await
            .map_err(unavailable)?;
        let id = parse(&now)?;
        self.current.store(id, Ordering::Relaxed);
        Ok(id)
    }
}
