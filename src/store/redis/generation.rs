//! The Redis store's generation (docs/redis.md, protocol §9.5): `ll:{generation}:id`, a
//! random id written when the data is new, and `ll:{generation}:tick`, a counter every node
//! increments at each check. A missing id means Redis lost everything (restarted without
//! persistence); a tick lower than one this node has already seen means Redis came back
//! older (an older snapshot, a lagging replica promoted): then the node replaces the id, so
//! every node sees the change at its next check.
//!
//! Both keys share one hash tag, so the scripts run on a Cluster too. Must never roll the
//! generation on anything but evidence of lost data: rolling it ends every conversation.

use std::sync::atomic::{AtomicU64, Ordering};

use super::connection::{RedisConnection, unavailable};
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
        };
        generation.check(con).await?;
        Ok(generation)
    }

    /// The generation this node believes in.
    pub fn current(&self) -> u64 {
        self.current.load(Ordering::Relaxed)
    }

    /// Compares Redis with what this node believed; on evidence of lost data, moves to
    /// (or creates) the new generation.
    pub async fn check(&self, con: &mut RedisConnection) -> Result<Checked, StoreError> {
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
            id = parse(&now)?;
        }
        self.last_tick.fetch_max(tick, Ordering::Relaxed);
        self.current.store(id, Ordering::Relaxed);
        Ok(if known != 0 && id != known {
            Checked::Changed(id)
        } else {
            Checked::Same
        })
    }
}
