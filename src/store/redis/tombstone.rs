//! Tombstones in Redis (`store::ended`): `ll:ended:<digest>`, written when the relay erases
//! a session on purpose (ended, expired, refused), so a session gone because the relay
//! erased it is told apart from one a rewound Redis lost (the generation check, a returning
//! coordinator).
//!
//! Each is one key of its own slot (a digest, not the session's hash tag), written by a
//! command of its own before the session's keys are deleted: a snapshot that holds the
//! erasure holds the tombstone too. Must never hold anything but the digest
//! and a bare marker, and never lack a TTL.

use std::time::Duration;

use redis::AsyncCommands;

use super::connection::{RedisConnection, unavailable};
use crate::store::chat::{SessionId, StoreError};
use crate::store::ended;

/// The key of `id`'s tombstone: a digest, never the id (docs/redis.md).
fn key(id: &SessionId) -> String {
    format!("ll:ended:{}", ended::digest(id))
}

/// Records that the relay erased `id` on purpose, for `time`.
pub async fn bury(
    con: &mut RedisConnection,
    id: &SessionId,
    time: Duration,
) -> Result<(), StoreError> {
    con.set_ex(key(id), 1, time.as_secs().max(1))
        .await
        .map_err(unavailable)
}

/// Whether Redis holds the tombstone of `id`: the relay erased it on purpose lately.
pub async fn buried(con: &mut RedisConnection, id: &SessionId) -> Result<bool, StoreError> {
    con.exists(key(id)).await.map_err(unavailable)
}
