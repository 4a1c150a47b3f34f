//! The revocation list every node serves, shared through Redis: the newest one any node
//! adopted, so a list dropped on one node reaches all of them within seconds.
//!
//! Redis is not trusted with it: every node verifies what it reads here against the
//! organisation key before using it. Must never hold anything but that public, signed list.

use super::connection::RedisConnection;

const SHARED_LIST: &str = "ll:revocations";

/// Keeps the list only if it was issued later than the one already shared (`issued`), or
/// if the node says the shared one is not to be believed (`ARGV[3]` = 1: it does not verify,
/// or it verifies and is older than its `issued` claims: `issued` is Redis's word, not the
/// organisation's).
const NEWER_ONLY: &str = r"
local held = redis.call('HGET', KEYS[1], 'issued')
if ARGV[3] ~= '1' and held and tonumber(held) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'issued', ARGV[1], 'list', ARGV[2])
return 1
";

/// The newest revocation list any node adopted.
pub struct SharedRevocations {
    con: RedisConnection,
}

impl SharedRevocations {
    pub(crate) fn new(con: RedisConnection) -> Self {
        Self { con }
    }

    /// The shared list's bytes (unverified), `None` if none yet or Redis cannot be read.
    pub async fn get(&self) -> Option<Vec<u8>> {
        redis::cmd("HGET")
            .arg(SHARED_LIST)
            .arg("list")
            .query_async(&mut self.con.clone())
            .await
            .unwrap_or(None)
    }

    /// Shares `list` unless a list issued at or after `issued_at` already is (whatever is
    /// shared, if `distrusted`: the node found the shared list unverifiable or older than
    /// `list`); `true` if kept.
    pub async fn offer(&self, issued_at: u64, list: &[u8], distrusted: bool) -> bool {
        redis::Script::new(NEWER_ONLY)
            .key(SHARED_LIST)
            .arg(issued_at)
            .arg(list)
            .arg(u8::from(distrusted))
            .invoke_async(&mut self.con.clone())
            .await
            .unwrap_or(0u8)
            == 1
    }
}
