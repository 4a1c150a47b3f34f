//! Which keys each coordinator serial uses now, shared through Redis so that every node
//! refuses a certificate superseded by a renewal to new keys (`docs/protocol.md` §9.2).
//!
//! Per serial: the `not_before` of the newest certificate any node accepted, and its
//! Ed25519 key. Only public data; it must never hold a certificate's private half, and a
//! record is only ever replaced by a strictly newer one.

use super::connection::{RedisConnection, unavailable};
use crate::store::chat::StoreError;

const KEYS_IN_USE: &str = "ll:coordinator_keys";

/// Keeps `not_before:key` for the serial only if it is newer than the one held.
const NEWER_ONLY: &str = r"
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and tonumber(string.match(held, '^(%d+):')) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1
";

/// The keys in use per serial, as every node saw them.
#[derive(Clone)]
pub struct SharedCoordinatorKeys {
    con: RedisConnection,
}

impl SharedCoordinatorKeys {
    pub(crate) fn new(con: RedisConnection) -> Self {
        Self { con }
    }

    /// `(not_before, ed25519 key in hex)` recorded for `serial`; `Ok(None)` if none or
    /// unreadable. A Redis that does not answer is an error, never "no record": the caller
    /// must not let a superseded certificate in because the record could not be read.
    pub async fn get(&self, serial: u64) -> Result<Option<(u64, String)>, StoreError> {
        let held: Option<String> = redis::cmd("HGET")
            .arg(KEYS_IN_USE)
            .arg(serial)
            .query_async(&mut self.con.clone())
            .await
            .map_err(unavailable)?;
        Ok(held.as_deref().and_then(parse))
    }

    /// Records `key_hex` as `serial`'s keys from `not_before` on, unless a newer record is
    /// held. An error means other nodes may not know of these keys.
    pub async fn offer(
        &self,
        serial: u64,
        not_before: u64,
        key_hex: &str,
    ) -> Result<(), StoreError> {
        let _kept: u8 = redis::Script::new(NEWER_ONLY)
            .key(KEYS_IN_USE)
            .arg(serial)
            .arg(not_before)
            .arg(key_hex)
            .invoke_async(&mut self.con.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// `not_before:key-hex`, as `NEWER_ONLY` writes it.
fn parse(held: &str) -> Option<(u64, String)> {
    let (not_before, key) = held.split_once(':')?;
    Some((not_before.parse().ok()?, key.to_owned()))
}
