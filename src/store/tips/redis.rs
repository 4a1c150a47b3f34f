//! Sealed tips in Redis, for several relay nodes: a tip sent through one node is listed,
//! answered and read back through any other.
//!
//! Key schema (`docs/redis.md`): the keys of one tip share the hash tag `{tip-<id>}`; each
//! lives until the tip's retention ends (its TTL counts from the minute it arrived). Every
//! change is one command on one key (a list push, a hash field), so no read-modify-write
//! can lose a reply written by another node at the same moment. A write and its EXPIRE go
//! in one transaction (MULTI/EXEC, one slot), and a write to a tip the sweep may have just
//! deleted checks it exists in the same script: no key is ever left without its TTL.
//!
//! Reads return an error when Redis cannot answer, never "no tip" or an empty list.

use redis::AsyncCommands;

use super::record::{ReplyCopy, TipHolder, TipRecord};
use super::{Followup, MAX_LISTED, MAX_REPLY_COPIES, Reply, Take, TipLimits, summary};
use crate::clock::Clock;
use crate::crypto::keys::{from_hex, hex};
use crate::protocol::b64;
use crate::protocol::frames::TipSummary;
use crate::protocol::ids::TipId;
use crate::store::chat::StoreError;
use crate::store::redis::connection::RedisConnection;
use crate::store::redis::deadline::{Deadlines, align};

/// Tips waiting for a coordinator, scored by the minute they arrived: what `max_tips` caps.
const TIPS: &str = "ll:tips";
/// Handled tips, kept for their replies until retention ends, at most `max_tips` of them
/// (the oldest go first): handled tips never hold the waiting ones' room (F-9).
const HANDLED: &str = "ll:tips:handled";
/// Tips a coordinator holds, scored by the minute they last took or answered it: where the
/// sweep looks for holds to release (the record itself decides, §9.9).
const HELD: &str = "ll:tips:held";

struct TipKeys {
    record: String,
    followups: String,
    replies: String,
    /// The replies sealed to the inbox key (§5), for coordinators.
    copies: String,
}

impl TipKeys {
    fn of(id: &TipId) -> Self {
        let tag = format!("{{tip-{}}}", hex(&id.0));
        Self {
            record: format!("ll:tip:{tag}:record"),
            followups: format!("ll:tip:{tag}:followups"),
            replies: format!("ll:tip:{tag}:replies"),
            copies: format!("ll:tip:{tag}:copies"),
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

/// The tip that answers for a receipt: the last one its lookup key names (`<id>@<minute>`
/// entries, oldest first; a key written by an older node holds the bare id).
fn answering(lookup: &str) -> Option<TipId> {
    let entry = lookup.split_whitespace().last()?;
    decode_id(entry.split('@').next()?)
}

fn decode_all(items: Vec<String>) -> Vec<Vec<u8>> {
    items.iter().filter_map(|t| b64::decode(t)).collect()
}

/// A copy is filed as JSON with its author and minute; one filed before authors were kept
/// is its base64url text alone.
fn decode_copy(item: &str) -> Option<ReplyCopy> {
    if item.starts_with('{') {
        serde_json::from_str(item).ok()
    } else {
        b64::decode(item).map(|sealed| ReplyCopy {
            sealed,
            by: None,
            minute: None,
        })
    }
}

fn encode_copy(copy: &ReplyCopy) -> Result<String, StoreError> {
    serde_json::to_string(copy).map_err(|e| StoreError::Tips(e.to_string()))
}

/// The holder as a record's fields hold it, if any.
fn holder_of(fields: &std::collections::HashMap<String, String>) -> Option<TipHolder> {
    Some(TipHolder {
        serial: fields.get("holder")?.parse().ok()?,
        alias: fields.get("holder_alias")?.clone(),
        minute: fields.get("held_minute")?.parse().ok()?,
    })
}

/// What the hold script compares: `serial:minute`, or `:` for none.
fn hold_stamp(holder: Option<&TipHolder>) -> String {
    holder.map_or(":".into(), |h| format!("{}:{}", h.serial, h.minute))
}

/// A tip as `get` read it; `None` if its record is gone (or not one this relay wrote).
fn record_of(id: &TipId, read: TipKeysRead) -> Option<TipRecord> {
    let (fields, followups, replies, copies) = read;
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
        reply_copies: copies.iter().filter_map(|c| decode_copy(c)).collect(),
        handled: fields.get("handled").is_some_and(|h| h == "1"),
        holder: holder_of(&fields),
    })
}

/// How often a take reads the holder again when another node changed it meanwhile.
const HOLD_ATTEMPTS: usize = 4;

/// Sealed tips in Redis, shared by every node.
pub struct RedisTips {
    con: RedisConnection,
    /// Redis's clock: every key ends on a whole minute (`store::redis::deadline`).
    deadlines: Deadlines,
    admit: redis::Script,
    followup: redis::Script,
    hold: redis::Script,
    copy: redis::Script,
    receipt: redis::Script,
    handle: redis::Script,
    retention_minutes: u64,
    limits: TipLimits,
    /// When a tip's retention ends (Redis expires it then).
    clock: Clock,
    /// Whether the ends an older relay left finer than the minute were put on it
    /// (`align_older_ends`): once per start.
    aligned: std::sync::atomic::AtomicBool,
}

/// What `get` reads in one round trip: the record's fields, follow-ups, replies and copies.
type TipKeysRead = (
    std::collections::HashMap<String, String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

impl RedisTips {
    /// Tips through `con`, each kept `retention_days` after it arrived, within `limits`.
    pub fn new(
        con: RedisConnection,
        deadlines: Deadlines,
        retention_days: u64,
        limits: TipLimits,
        clock: Clock,
    ) -> Self {
        Self {
            con,
            deadlines,
            clock,
            admit: redis::Script::new(crate::store::redis::scripts::ADMIT),
            followup: redis::Script::new(crate::store::redis::scripts::FOLLOWUP),
            hold: redis::Script::new(super::scripts::HOLD),
            copy: redis::Script::new(super::scripts::COPY),
            receipt: redis::Script::new(super::scripts::RECEIPT),
            handle: redis::Script::new(super::scripts::HANDLE),
            retention_minutes: retention_days * 24 * 60,
            limits,
            aligned: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Lists `id` among the waiting tips, if there is room: 1 if listed, 0 if full.
    async fn admit(&self, id: &str, received_minute: u64) -> Result<bool, StoreError> {
        let admitted: i32 = self
            .admit
            .key(TIPS)
            .arg(self.limits.max_tips)
            .arg(id)
            .arg(received_minute)
            .arg(self.index_end().await?)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(admitted == 1)
    }

    fn con(&self) -> RedisConnection {
        self.con.clone()
    }

    /// When the keys of a tip received at `received_minute` end: at the end of retention,
    /// on a whole minute of Redis's clock.
    async fn end(&self, received_minute: u64) -> Result<u64, StoreError> {
        let end = received_minute + self.retention_minutes;
        let ttl_s = end.saturating_sub(self.clock.unix_minute()).max(1) * 60;
        self.deadlines.after(&mut self.con(), ttl_s).await
    }

    /// When an index of tips ends if nothing is added to it: a retention from now.
    async fn index_end(&self) -> Result<u64, StoreError> {
        let ttl_s = self.retention_minutes * 60;
        self.deadlines.after(&mut self.con(), ttl_s).await
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
        let end = self.end(record.received_minute).await?;
        let id = hex(&record.id.0);
        let fields = [
            ("lookup", hex(&record.lookup_hash)),
            ("received", record.received_minute.to_string()),
            ("sealed", b64::encode(&record.sealed)),
            ("handled", u8::from(record.handled).to_string()),
        ];
        // One pipeline per slot: the tip's own keys, then the lookup key and the index. The
        // tip's keys in one transaction (MULTI/EXEC): a connection cut between a write and
        // its EXPIRE would leave a sealed tip no TTL and no index ever removes.
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(&keys.record, &fields)
            .ignore()
            .expire_at(&keys.record, end as i64)
            .ignore();
        for (key, items) in [
            (&keys.followups, &record.followups),
            (&keys.replies, &record.replies),
        ] {
            for item in items {
                pipe.rpush(key, b64::encode(item)).ignore();
            }
            pipe.expire_at(key, end as i64).ignore();
        }
        for copy in &record.reply_copies {
            pipe.rpush(&keys.copies, encode_copy(copy)?).ignore();
        }
        pipe.expire_at(&keys.copies, end as i64).ignore();
        pipe.query_async::<()>(&mut con)
            .await
            .map_err(unavailable)?;
        let ends = record.received_minute + self.retention_minutes;
        let entry = format!("{id}@{ends}");
        // Filed first, listed second, and the cap checked in the same step as the listing:
        // tips arriving together cannot overfill the store.
        let listed = match self.file_lookup(&record.lookup_hash, &id, &entry).await {
            Ok(()) => self.admit(&id, record.received_minute).await,
            Err(e) => Err(e),
        };
        if listed != Ok(true) {
            // A tip not listed (full, or Redis failing at a step whose reply may have been
            // lost after it ran) takes its receipt back: a lookup left to an unlisted tip
            // would answer the tipster's resend "already filed" (409) for a tip no
            // coordinator sees. Either undo frees it (the receipt is answered from the
            // record it names), so both are tried whatever the other did.
            let deleted: Result<(), _> = con
                .del(&[&keys.record, &keys.followups, &keys.replies, &keys.copies])
                .await;
            let unfiled = self.file_lookup(&record.lookup_hash, &id, "").await;
            listed?;
            deleted.map_err(unavailable)?;
            unfiled?;
            return Err(StoreError::Tips("tip store full".into()));
        }
        Ok(())
    }

    /// The tip `id` in full, if filed; an error if Redis cannot say.
    pub async fn get(&self, id: &TipId) -> Result<Option<TipRecord>, StoreError> {
        let keys = TipKeys::of(id);
        let read: TipKeysRead = redis::pipe()
            .hgetall(&keys.record)
            .lrange(&keys.followups, 0, -1)
            .lrange(&keys.replies, 0, -1)
            .lrange(&keys.copies, 0, -1)
            .query_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(record_of(id, read))
    }

    /// The oldest tips still waiting, summarised from counts: no sealed content is read.
    /// Any read failing fails the list: a partial or empty one would tell coordinators
    /// that tips are gone which are only out of reach.
    pub async fn list(&self) -> Result<Vec<TipSummary>, StoreError> {
        let ids: Vec<String> = self
            .con()
            .zrange(TIPS, 0, MAX_LISTED as isize - 1)
            .await
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for text in ids {
            let Some(id) = decode_id(&text) else { continue };
            let keys = TipKeys::of(&id);
            type Listed = (Option<u64>, Option<String>, Option<String>, usize, usize);
            let read: Listed = redis::pipe()
                .hget(&keys.record, "received")
                .hget(&keys.record, "handled")
                .hget(&keys.record, "holder_alias")
                .llen(&keys.followups)
                .llen(&keys.replies)
                .query_async(&mut self.con())
                .await
                .map_err(unavailable)?;
            match read {
                (Some(received), handled, held_by, followups, replies) => {
                    if handled.as_deref() != Some("1") {
                        out.push(summary(id, received, followups, replies, held_by));
                    }
                }
                // Past retention: Redis expired it, the index follows (or the sweep does).
                (None, ..) => {
                    let _ = self.con().zrem::<_, _, ()>(TIPS, &text).await;
                }
            }
        }
        Ok(out)
    }

    /// Files a coordinator's sealed reply and, while the tip is open, its copy for the
    /// inbox; `false` if the tip is gone.
    pub async fn add_reply(&self, id: &TipId, reply: Reply) -> Result<bool, StoreError> {
        let Some(received) = self.received(id).await? else {
            return Ok(false);
        };
        let keys = TipKeys::of(id);
        let end = self.end(received).await?;
        // With its EXPIREAT in one transaction: a list re-created by a push racing the tip's
        // deletion still ends.
        let mut pipe = redis::pipe();
        pipe.atomic()
            .rpush(&keys.replies, b64::encode(&reply.sealed))
            .ignore()
            .expire_at(&keys.replies, end as i64)
            .ignore();
        pipe.query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)?;
        if let Some(copy) = reply.copy {
            let _kept: i32 = self
                .copy
                .key(&keys.record)
                .key(&keys.copies)
                .arg(encode_copy(&copy)?)
                .arg(MAX_REPLY_COPIES)
                .arg(end)
                .invoke_async(&mut self.con())
                .await
                .map_err(unavailable)?;
        }
        Ok(true)
    }

    async fn holder(&self, id: &TipId) -> Result<Option<TipHolder>, StoreError> {
        let fields: std::collections::HashMap<String, String> = self
            .con()
            .hgetall(TipKeys::of(id).record)
            .await
            .map_err(unavailable)?;
        Ok(holder_of(&fields))
    }

    /// Sets the holder of `id` to `to` (or none) if it is still `was`: `Some(true)` done,
    /// `Some(false)` changed meanwhile, `None` no such waiting tip.
    async fn swap_holder(
        &self,
        id: &TipId,
        was: Option<&TipHolder>,
        to: Option<&TipHolder>,
    ) -> Result<Option<bool>, StoreError> {
        let done: i32 = self
            .hold
            .key(TipKeys::of(id).record)
            .arg(hold_stamp(was))
            .arg(to.map_or(String::new(), |h| h.serial.to_string()))
            .arg(to.map_or("", |h| h.alias.as_str()))
            .arg(to.map_or(0, |h| h.minute))
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        let text = hex(&id.0);
        match (done, to) {
            (1, Some(h)) => self.index_hold(&text, h.minute).await?,
            (1, None) => self.con().zrem(HELD, &text).await.map_err(unavailable)?,
            _ => {}
        }
        Ok((done >= 0).then_some(done == 1))
    }

    /// Lists a hold where the sweep looks; the index lives no longer than a tip can.
    async fn index_hold(&self, text: &str, minute: u64) -> Result<(), StoreError> {
        redis::pipe()
            .atomic()
            .zadd(HELD, text, minute)
            .ignore()
            .expire_at(HELD, self.index_end().await? as i64)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)
    }

    /// `taker` takes the waiting tip `id`, or takes it over with `over`.
    pub async fn take(
        &self,
        id: &TipId,
        taker: &TipHolder,
        over: bool,
    ) -> Result<Take, StoreError> {
        for _ in 0..HOLD_ATTEMPTS {
            let was = self.holder(id).await?;
            let verdict = Take::decide(was.as_ref(), taker.serial, over);
            if !verdict.holds() {
                // A holder is only ever filed on a waiting tip (handling erases it).
                return Ok(verdict);
            }
            match self.swap_holder(id, was.as_ref(), Some(taker)).await? {
                Some(true) => return Ok(verdict),
                Some(false) => continue,
                None => return Ok(Take::NoTip),
            }
        }
        Err(StoreError::Tips("tip holder kept changing".into()))
    }

    /// Releases every hold last renewed before `before_minute`; returns how many.
    pub async fn release_stale(&self, before_minute: u64) -> Result<usize, StoreError> {
        let candidates: Vec<String> = self
            .con()
            .zrangebyscore(HELD, "-inf", format!("({before_minute}"))
            .await
            .map_err(unavailable)?;
        let mut released = 0;
        for text in &candidates {
            let Some(id) = decode_id(text) else { continue };
            let held = self.holder(&id).await?;
            match held {
                // The record decides: a take since the index was written keeps its hold.
                Some(h) if h.minute < before_minute => {
                    if self.swap_holder(&id, Some(&h), None).await? == Some(true) {
                        released += 1;
                    }
                }
                Some(h) => self.index_hold(text, h.minute).await?,
                None => {
                    let _: () = self.con().zrem(HELD, text).await.map_err(unavailable)?;
                }
            }
        }
        Ok(released)
    }

    /// The id of the tip filed under a receipt, if its lookup key names one; an error if
    /// Redis cannot say. Whether that tip still exists is for the caller to read.
    async fn id_by_lookup(&self, lookup_hash: &[u8; 32]) -> Result<Option<TipId>, StoreError> {
        let id: Option<String> = self
            .con()
            .get(lookup_key(lookup_hash))
            .await
            .map_err(unavailable)?;
        Ok(id.as_deref().and_then(answering))
    }

    /// The tip filed under a receipt, and whether it has been handled.
    async fn by_lookup(&self, lookup_hash: &[u8; 32]) -> Result<Option<(TipId, bool)>, StoreError> {
        let Some(id) = self.id_by_lookup(lookup_hash).await? else {
            return Ok(None);
        };
        let handled: Option<String> = self
            .con()
            .hget(TipKeys::of(&id).record, "handled")
            .await
            .map_err(unavailable)?;
        Ok(handled.map(|h| (id, h == "1")))
    }

    /// Files a tipster's follow-up under its receipt, within the tip's limits.
    pub async fn add_followup(
        &self,
        lookup_hash: &[u8; 32],
        sealed: Vec<u8>,
    ) -> Result<Followup, StoreError> {
        let Some((id, handled)) = self.by_lookup(lookup_hash).await? else {
            return Ok(Followup::NoTip);
        };
        if handled {
            return Ok(Followup::Closed);
        }
        let Some(received) = self.received(&id).await? else {
            return Ok(Followup::NoTip);
        };
        let keys = TipKeys::of(&id);
        let outcome: String = self
            .followup
            .key(&keys.record)
            .key(&keys.followups)
            .arg(b64::encode(&sealed))
            .arg(sealed.len())
            .arg(self.limits.max_followups)
            .arg(self.limits.max_followup_bytes)
            .arg(self.end(received).await?)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(match outcome.as_str() {
            "added" => Followup::Added,
            "full" => Followup::Full,
            "closed" => Followup::Closed,
            _ => Followup::NoTip,
        })
    }

    /// Whether a follow-up of `len` bytes under this receipt would be taken now; an error
    /// if Redis cannot say (the tipster is told to try again, not that no tip exists).
    pub async fn followup_would_fit(
        &self,
        lookup_hash: &[u8; 32],
        len: usize,
    ) -> Result<Followup, StoreError> {
        let Some((id, handled)) = self.by_lookup(lookup_hash).await? else {
            return Ok(Followup::NoTip);
        };
        if handled {
            return Ok(Followup::Closed);
        }
        let keys = TipKeys::of(&id);
        let (count, bytes): (usize, Option<usize>) = redis::pipe()
            .llen(&keys.followups)
            .hget(&keys.record, "followup_bytes")
            .query_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        let fits = count < self.limits.max_followups
            && bytes.unwrap_or(0) + len <= self.limits.max_followup_bytes;
        Ok(if fits {
            Followup::Added
        } else {
            Followup::Full
        })
    }

    /// Erases the tip's content and follow-ups; replies stay until retention ends.
    pub async fn mark_handled(&self, id: &TipId) -> Result<bool, StoreError> {
        let keys = TipKeys::of(id);
        // Checked and written in one step: a sweep deleting the tip meanwhile leaves nothing.
        let received: Option<u64> = self
            .handle
            .key(&keys.record)
            .key(&keys.followups)
            .key(&keys.copies)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        let Some(received) = received else {
            return Ok(false);
        };
        let text = hex(&id.0);
        // Moved from the waiting index to the handled one: its room is free at once. The
        // index and its TTL together (MULTI/EXEC: one key, one slot); the other indexes
        // apart (each its own slot on a Cluster).
        redis::pipe()
            .atomic()
            .zadd(HANDLED, &text, received)
            .ignore()
            .expire_at(HANDLED, self.index_end().await? as i64)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)?;
        redis::pipe()
            .zrem(TIPS, &text)
            .ignore()
            .zrem(HELD, &text)
            .ignore()
            .query_async::<()>(&mut self.con())
            .await
            .map_err(unavailable)?;
        self.trim_handled().await?;
        Ok(true)
    }

    /// At most `max_tips` handled tips are kept: the oldest go first, replies and all.
    async fn trim_handled(&self) -> Result<(), StoreError> {
        let held: usize = self.con().zcard(HANDLED).await.map_err(unavailable)?;
        let excess = held.saturating_sub(self.limits.max_tips);
        if excess == 0 {
            return Ok(());
        }
        let oldest: Vec<String> = self
            .con()
            .zrange(HANDLED, 0, excess as isize - 1)
            .await
            .map_err(unavailable)?;
        for text in &oldest {
            self.delete(HANDLED, text).await?;
        }
        Ok(())
    }

    /// Replies filed under a receipt, oldest first; `None` if no tip has that receipt, an
    /// error if Redis cannot say.
    pub async fn replies(
        &self,
        lookup_hash: &[u8; 32],
    ) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let Some(id) = self.id_by_lookup(lookup_hash).await? else {
            return Ok(None);
        };
        Ok(self.get(&id).await?.map(|tip| tip.replies))
    }

    /// Once per start: puts on the whole minute every tip key's end that an older relay left
    /// finer (a relative TTL, kept by Redis as the millisecond of the write: F-46), so the
    /// tips filed before an upgrade do not keep their arrival's millisecond for the rest of
    /// their retention. The relay's next rewrite takes the old ends out of Redis's files.
    /// How many keys it moved.
    pub async fn align_older_ends(&self) -> Result<usize, StoreError> {
        use std::sync::atomic::Ordering;
        if self.aligned.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let mut con = self.con();
        let mut moved = 0;
        for index in [TIPS, HANDLED, HELD] {
            moved += align(&mut con, &[index]).await?;
        }
        let mut ids: Vec<String> = Vec::new();
        for index in [TIPS, HANDLED] {
            let listed: Vec<String> = con.zrange(index, 0, -1).await.map_err(unavailable)?;
            ids.extend(listed);
        }
        for id in ids {
            let Some(id) = decode_id(&id) else {
                continue;
            };
            let keys = TipKeys::of(&id);
            let own = [&keys.record, &keys.followups, &keys.replies, &keys.copies];
            moved += align(&mut con, &own.map(String::as_str)).await?;
            let lookup: Option<String> = con
                .hget(&keys.record, "lookup")
                .await
                .map_err(unavailable)?;
            if let Some(hash) = lookup.as_deref().and_then(from_hex::<32>) {
                moved += align(&mut con, &[&lookup_key(&hash)]).await?;
            }
        }
        self.aligned.store(true, Ordering::Relaxed);
        Ok(moved)
    }

    /// Deletes tips received before `cutoff_minute`; returns how many.
    pub async fn expire(&self, cutoff_minute: u64) -> Result<usize, StoreError> {
        let mut expired = 0;
        for index in [TIPS, HANDLED] {
            let old: Vec<String> = self
                .con()
                .zrangebyscore(index, "-inf", format!("({cutoff_minute}"))
                .await
                .map_err(unavailable)?;
            for text in &old {
                self.delete(index, text).await?;
            }
            expired += old.len();
        }
        Ok(expired)
    }

    /// Deletes a tip's keys and its lookup key, then its entry in `index`.
    async fn delete(&self, index: &str, text: &str) -> Result<(), StoreError> {
        let mut con = self.con();
        if let Some(id) = decode_id(text) {
            let keys = TipKeys::of(&id);
            let lookup: Option<String> = con
                .hget(&keys.record, "lookup")
                .await
                .map_err(unavailable)?;
            let _: () = con
                .del(&[&keys.record, &keys.followups, &keys.replies, &keys.copies])
                .await
                .map_err(unavailable)?;
            if let Some(hash) = lookup.as_deref().and_then(from_hex::<32>) {
                self.file_lookup(&hash, text, "").await?;
            }
        }
        let _: () = con.zrem(HELD, text).await.map_err(unavailable)?;
        con.zrem(index, text).await.map_err(unavailable)
    }

    /// Takes the tip `id` (hex) out of the receipt's lookup key and files `entry` there
    /// (`<id>@<minute its retention ends>`, or empty to only take it out), in one script: the
    /// tip filed before it answers for the receipt again, the key goes with the last one.
    async fn file_lookup(
        &self,
        lookup_hash: &[u8; 32],
        id: &str,
        entry: &str,
    ) -> Result<(), StoreError> {
        let mut con = self.con();
        let redis_now = self.deadlines.after(&mut con, 0).await?;
        let _named: i32 = self
            .receipt
            .key(lookup_key(lookup_hash))
            .arg(id)
            .arg(entry)
            .arg(self.clock.unix_minute())
            .arg(redis_now)
            .invoke_async(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// How many tips wait for a coordinator (handled ones are indexed apart, F-9); an
    /// error if Redis cannot say (the cap is never passed on doubt).
    pub async fn count(&self) -> Result<usize, StoreError> {
        self.con().zcard(TIPS).await.map_err(unavailable)
    }
}
