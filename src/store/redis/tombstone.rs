//! Tombstones in Redis (`store::ended`): `ll:ended:<digest>`, written when the relay erases
//! a session on purpose (ended, expired, refused), so a session gone because the relay
//! erased it is told apart from one a rewound Redis lost (the generation check, a returning
//! coordinator).
//!
//! Each is one key of its own slot (a digest, not the session's hash tag), written by a
//! command of its own before the session's keys are deleted: a snapshot that holds the
//! erasure holds the tombstone too. Must never hold anything but the digest
//! and a bare marker, and never lack a TTL.

use std::sync::atomic::Ordering;
use std::time::Duration;

use redis::AsyncCommands;

use super::RedisStore;
use super::connection::{RedisConnection, unavailable};
use crate::store::chat::{SessionId, StoreError};
use crate::store::ended;

/// The key of `id`'s tombstone: a digest, never the id (docs/redis.md).
fn key(id: &SessionId) -> String {
    format!("ll:ended:{}", ended::digest(id))
}

impl RedisStore {
    /// Keeps the tombstones of erased sessions for `time` from now on.
    pub fn keep_tombstones_for(&self, time: Duration) {
        self.tombstones_kept_s
            .store(time.as_secs(), Ordering::Relaxed);
    }

    /// Records that the relay erased `id` on purpose, for the time tombstones are kept.
    pub(super) async fn bury(&self, id: &SessionId) -> Result<(), StoreError> {
        let time = self.tombstones_kept_s.load(Ordering::Relaxed).max(1);
        let end = self.deadlines.after(&mut self.con(), time).await?;
        redis::cmd("SET")
            .arg(key(id))
            .arg(1)
            .arg("EXAT")
            .arg(end)
            .query_async(&mut self.con())
            .await
            .map_err(unavailable)
    }

    /// Whether the relay erased `id` on purpose lately (ended, expired, refused): Redis
    /// holds its tombstone.
    pub async fn ended_recently(&self, id: &SessionId) -> Result<bool, StoreError> {
        buried(&mut self.con(), id).await
    }
}

/// Whether Redis holds the tombstone of `id`: the relay erased it on purpose lately.
pub async fn buried(con: &mut RedisConnection, id: &SessionId) -> Result<bool, StoreError> {
    con.exists(key(id)).await.map_err(unavailable)
}
