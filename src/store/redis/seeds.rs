//! The half of the proof-of-work seed book that several nodes share through Redis: the key
//! that authenticates seeds, so a seed fetched through one node is accepted by another, and
//! the seeds already redeemed, so none is accepted twice anywhere.
//!
//! Must never hold anything but a random key and digests of spent seeds (with, for a form
//! token, whether its form filed what it carried): never a seed, which carries its time.

use redis::AsyncCommands;

use super::connection::RedisConnection;
use super::deadline::Deadlines;
use crate::crypto::keys::hex;

const SHARED_KEY: &str = "ll:pow:key";
/// The value of a spent token (a form's, a follow-up's seed) whose submission was filed (a spent one holds `1`).
const FILED: &str = "2";

/// Domain separation: this digest is never a fingerprint of anything else.
const USED_LABEL: &[u8] = b"lifeline spent seed v1";

/// A spent seed's key, named by 16 bytes of SHA-256 over a label and the seed: the seed
/// itself begins with its expiry to the second (when it was issued), a precise time a dump
/// of Redis must not hold; and a chat ticket's seed would let whoever holds the dump (and
/// `ll:pow:key`) test a known session id against it.
fn used_key(seed: &[u8; 16]) -> String {
    let mut input = USED_LABEL.to_vec();
    input.extend_from_slice(seed);
    let digest = ring::digest::digest(&ring::digest::SHA256, &input);
    format!("ll:pow:used:{}", hex(&digest.as_ref()[..16]))
}

/// The seed key and the redeemed seeds, shared by every node.
pub struct SharedSeeds {
    con: RedisConnection,
    /// Redis's clock: a spent seed's key ends on a whole minute (`deadline`).
    deadlines: Deadlines,
}

impl SharedSeeds {
    pub(crate) fn new(con: RedisConnection, deadlines: Deadlines) -> Self {
        Self { con, deadlines }
    }

    /// Records `seed` as redeemed for `ttl_s` seconds; `false` if it already was (or Redis
    /// cannot say: a seed is never accepted on doubt).
    pub async fn redeem_once(&self, seed: &[u8; 16], ttl_s: u64) -> bool {
        let mut con = self.con.clone();
        let Ok(end) = self.deadlines.after(&mut con, ttl_s).await else {
            return false;
        };
        let first: Option<String> = redis::cmd("SET")
            .arg(used_key(seed))
            .arg(1)
            .arg("NX")
            .arg("EXAT")
            .arg(end)
            .query_async(&mut con)
            .await
            .unwrap_or(None);
        first.is_some()
    }

    /// Marks the redeemed `token` (a form's token, a follow-up's seed) as having filed what it
    /// carried (`2` where `1` is merely spent), keeping its expiry; nothing if it is not
    /// recorded.
    pub async fn mark_filed(&self, token: &[u8; 16]) {
        let mut con = self.con.clone();
        let _: Result<Option<String>, _> = redis::cmd("SET")
            .arg(used_key(token))
            .arg(FILED)
            .arg("XX")
            .arg("KEEPTTL")
            .query_async(&mut con)
            .await;
    }

    /// Whether the redeemed `token` filed what it carried; `false` if Redis cannot say.
    pub async fn was_filed(&self, token: &[u8; 16]) -> bool {
        let mut con = self.con.clone();
        let value: Option<String> = con.get(used_key(token)).await.unwrap_or(None);
        value.as_deref() == Some(FILED)
    }

    /// The key every node shares: `mine` if none was set yet. Renews it for `ttl_s` seconds
    /// either way; `None` if Redis cannot be read.
    pub async fn key(&self, mine: &str, ttl_s: u64) -> Option<String> {
        let mut con = self.con.clone();
        let end = self.deadlines.after(&mut con, ttl_s).await.ok()?;
        let _: Result<Option<String>, _> = redis::cmd("SET")
            .arg(SHARED_KEY)
            .arg(mine)
            .arg("NX")
            .arg("EXAT")
            .arg(end)
            .query_async(&mut con)
            .await;
        let _: Result<(), _> = con.expire_at(SHARED_KEY, end as i64).await;
        con.get(SHARED_KEY).await.unwrap_or(None)
    }
}
