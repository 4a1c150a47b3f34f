//! Sealed tips in Redis, for several relay nodes: a tip sent through one node is listed,
//! answered and read back through any other.
//!
//! Key schema (`docs/redis.md`): the keys of one tip share the hash tag `{tip-<id>}`; each
//! lives until the tip's retention ends (its TTL counts from the minute it arrived). Every
//! change is one command on one key (a list push, a hash field), so no read-modify-write
//! can lose a reply written by another node at the same moment.

use redis::AsyncCommands;

use super::record::TipRecord;
use crate::clock::Clock;
use crate::crypto::keys::{from_hex, hex};
use crate::protocol::b64;
use crate::protocol::ids::TipId;
use crate::store::chat::StoreError;
use crate::store::redis::connection::RedisConnection;

const TIPS: &str = "ll:tips";

struct TipKeys {
    record: String,
    followups: String,
    replies: String,
}

impl TipKeys {
    fn of(id: &TipId) -> Self {
        let tag = format!("{{tip-{}}}", hex(&id.0));
        Self {
            record: format!("ll:tip:{tag}:record"),
            followups: format!("ll:tip:{tag}:followups"),
            replies: format!("ll:tip:{tag}:replies"),
        }
    }
}

fn lookup_key(lookup_hash: &[u8; 32]) -> String {
    format!("ll:tip:lookup:{}", hex(lookup_hash))
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Tips(format!("{:?}", e.kind()))
}

fn decode_id(text: &str) -> Option<TipId> {
    from_hex(text).map(TipId)
}

fn decode_all(items: Vec<String>) -> Vec<Vec<u8>> {
    items.iter().filter_map(|t| b64::decode(t)).collect()
}

/// Sealed tips in Redis, shared by every node.
pub struct RedisTips {
    con: RedisConnection,
    admit: redis::Script,
    retention_minutes: u64,
    max_tips: usize,
    /// When a tip's retention ends (Redis expires it then).
    clock: Clock,
}

/// What `get` reads in one round trip: the record's fields, follow-ups and replies.
type TipKeysRead = (
    std::collections::HashMap<String, String>,
    Vec<String>,
    Vec<String>,
);

impl RedisTips {
    /// Tips through `con`, each kept `retention_days` after it arrived, at most `max_tips`.
    pub fn new(con: RedisConnection, retention_days: u64, max_tips: usize, clock: Clock) -> Self {
        Self {
            con,
            clock,
            admit: redis::Script::new(crate::store::redis::scripts::ADMIT),
            retention_minutes: retention_days * 24 * 60,
            max_tips,
        }
    }

    fn con(&self) -> RedisConnection {
        self.con.clone()
    }

    /// Seconds until a tip received at `received_minute` reaches the end of retention.
    fn ttl_s(&self, received_minute: u64) -> i64 {
        let end = received_minute + self.retention_minutes;
        (end.saturating_sub(self.clock.unix_minute()).max(1) * 60) as i64
    }

    async fn received(&self, id: &TipId) -> Result<Option<u64>, StoreError> {
        self.con()
            .hget(TipKeys::of(id).record, "received")
            .await
            .map_err(unavailable)
    }

    /// Files a new tip, unless `max_tips` are filed already.
    pub async fn put(&self, record: TipRecord) -> Result<(), StoreError> {
        let mut con = self.con();
        let keys = TipKeys::of(&record.id);
        let ttl = self.ttl_s(record.received_minute);
        let id = hex(&record.id.0);
        let fields = [
            ("lookup", hex(&record.lookup_hash)),
            ("received", record.received_minute.to_string()),
            ("sealed", b64::encode(&record.sealed)),
            ("handled", u8::from(record.handled).to_string()),
        ];
        // One pipeline per slot: the tip's own keys, then the lookup key and the index.
        let mut pipe = redis::pipe();
        pipe.hset_multiple(&keys.record, &fields)
            .ignore()
            .expire(&keys.record, ttl)
            .ignore();
        for (key, items) in [
            (&keys.followups, &record.followups),
            (&keys.replies, &record.replies),
        ] {
            for item in items {
                pipe.rpush(key, b64::encode(item)).ignore();
            }
            pipe.expire(key, ttl).ignore();
        }
        pipe.query_async::<()>(&mut con)
            .await
            .map_err(unavailable)?;
        let _: () = con
            .set_ex(lookup_key(&record.lookup_hash), &id, ttl as u64)
            .await
            .map_err(unavailable)?;
        // Filed first, listed second, and the cap checked in the same step as the listing:
        // tips arriving together cannot overfill the store.
        let admitted: i32 = self
            .admit
            .key(TIPS)
            .arg(self.max_tips)
            .arg(&id)
            .arg(record.received_minute)
            .arg(self.retention_minutes * 60)
            .invoke_async(&mut con)
            .await
            .map_err(unavailable)?;
        if admitted != 1 {
            let _: () = con
                .del(&[&keys.record, &keys.followups, &keys.replies])
                .await
                .map_err(unavailable)?;
            let _: () = con
                .del(lookup_key(&record.lookup_hash))
                .await
                .map_err(unavailable)?;
            return Err(StoreError::Tips("tip store full".into()));
        }
        Ok(())
    }

    /// The tip `id` in full, if filed.
    pub async fn get(&self, id: &TipId) -> Option<TipRecord> {
        let keys = TipKeys::of(id);
        let (fields, followups, replies): TipKeysRead = redis::pipe()
            .hgetall(&keys.record)
            .lrange(&keys.followups, 0, -1)
            .lrange(&keys.replies, 0, -1)
            .query_async(&mut self.con())
            .await
            .ok()?;
        let lookup_hash = from_hex(fields.get("lookup")?)?;
        Some(TipRecord {
            id: *id,
            lookup_hash,
            received_minute: fields.get("received")?.parse().ok()?,
            sealed: fields
                .get("sealed")
                .and_then(|s| b64::decode(s))
                .unwrap_or_default(),
            followups: decode_all(followups),
            replies: decode_all(replies),
            handled: fields.get("handled").is_some_and(|h| h == "1"),
        })
    }

    /// Tips still waiting for a coordinator, oldest first.
    pub async fn list(&self) -> Vec<TipRecord> {
        let ids: Vec<String> = self.con().zrange(TIPS, 0, -1).await.unwrap_or_default();
        let mut out = Vec::new();
        for text in ids {
            let Some(id) = decode_id(&text) else { continue };
            match self.get(&id).await {
                Some(tip) if !tip.handled => out.push(tip),
                Some(_) => {}
                // Past retention: Redis expired it, the index follows.
                None => {
                    let _ = self.con().zrem::<_, _, ()>(TIPS, &text).await;
                }
            }
        }
        out
    }

    /// Files a coordinator's sealed reply; `false` if the tip is gone.
    pub async fn add_reply(&self, id: &TipId, sealed: Vec<u8>) -> Result<bool, StoreError> {
        let Some(received) = self.received(id).await? else {
            return Ok(false);
        };
        let keys = TipKeys::of(id);
        redis::pipe()
            .rpush(&keys.replies, b64::encode(&sealed))
            .ignore()
            .expire(&keys.replies, self.ttl_s(received))
            .ignore()
            .query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(true)
    }

    /// Files a tipster's follow-up under its receipt, reopening a handled tip.
    pub async fn add_followup(
        &self,
        lookup_hash: &[u8; 32],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let id: Option<String> = self
            .con()
            .get(lookup_key(lookup_hash))
            .await
            .map_err(unavailable)?;
        let Some(id) = id.as_deref().and_then(decode_id) else {
            return Ok(false);
        };
        let Some(received) = self.received(&id).await? else {
            return Ok(false);
        };
        let keys = TipKeys::of(&id);
        redis::pipe()
            .rpush(&keys.followups, b64::encode(&sealed))
            .ignore()
            .expire(&keys.followups, self.ttl_s(received))
            .ignore()
            .hset(&keys.record, "handled", "0")
            .ignore()
            .query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(true)
    }

    /// Erases the tip's content and follow-ups; replies stay until retention ends.
    pub async fn mark_handled(&self, id: &TipId) -> Result<bool, StoreError> {
        if self.received(id).await?.is_none() {
            return Ok(false);
        }
        let keys = TipKeys::of(id);
        redis::pipe()
            .hset(&keys.record, "handled", "1")
            .ignore()
            .hdel(&keys.record, "sealed")
            .ignore()
            .del(&keys.followups)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(true)
    }

    /// Replies filed under a receipt, oldest first; `None` if no tip has that receipt.
    pub async fn replies(&self, lookup_hash: &[u8; 32]) -> Option<Vec<Vec<u8>>> {
        let id: Option<String> = self.con().get(lookup_key(lookup_hash)).await.ok()?;
        let tip = self.get(&decode_id(&id?)?).await?;
        Some(tip.replies)
    }

    /// Deletes tips received before `cutoff_minute`; returns how many.
    pub async fn expire(&self, cutoff_minute: u64) -> Result<usize, StoreError> {
        let old: Vec<String> = self
            .con()
            .zrangebyscore(TIPS, "-inf", format!("({cutoff_minute}"))
            .await
            .map_err(unavailable)?;
        for text in &old {
            let Some(id) = decode_id(text) else { continue };
            let keys = TipKeys::of(&id);
            let lookup: Option<String> = self
                .con()
                .hget(&keys.record, "lookup")
                .await
                .map_err(unavailable)?;
            let mut con = self.con();
            let _: () = con
                .del(&[&keys.record, &keys.followups, &keys.replies])
                .await
                .map_err(unavailable)?;
            if let Some(hash) = lookup.as_deref().and_then(from_hex::<32>) {
                let _: () = con.del(lookup_key(&hash)).await.map_err(unavailable)?;
            }
            let _: () = con.zrem(TIPS, text).await.map_err(unavailable)?;
        }
        Ok(old.len())
    }

    /// How many tips are filed, handled ones included.
    pub async fn count(&self) -> usize {
        self.con().zcard(TIPS).await.unwrap_or(0)
    }
}
