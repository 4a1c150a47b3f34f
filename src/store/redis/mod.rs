//! The Redis chat-state store: sessions, the queue, claims and delivery buffers in Redis, so
//! they survive a relay restart and (with cross-node delivery) can be shared by several nodes.
//!
//! Key schema (`docs/redis.md`): every key of one session carries the hash tag `{<sid>}`, so
//! in a Redis Cluster they share a slot and the Lua scripts below touch one slot only. Every
//! session key has a TTL (the idle TTL plus a margin) refreshed on activity. Check-then-set
//! steps (claim, append, ack) are Lua scripts, atomic on the server. Nothing stored here is
//! plaintext, an address or a precise time (times are Unix minutes).

pub mod budget;
pub mod connection;
pub mod coordinator_keys;
pub mod deadline;
pub mod generation;
mod grace;
mod keys;
pub mod mend;
pub mod message_path;
pub mod node_link;
mod order;
pub mod persistence;
pub mod revocations;
pub mod rewrite;
pub mod scripts;
pub mod seeds;
mod tombstone;
mod witness;

use redis::AsyncCommands;

use crate::crypto::keys::{from_hex, hex};
use crate::protocol::b64::Bytes;
use crate::protocol::frames::{ConversationKind, PayloadKind};
use crate::store::chat::{
    Append, Assignment, BufferLimits, ChatStore, QueueView, Queued, SessionId, SessionInfo,
    StoreError, StoredFrame, Way,
};
use crate::store::generation::Checked;
use connection::{RedisConnection, unavailable};
use keys::{Keys, way_index};
use node_link::NodeLink;
use order::{QUEUE_ORDER, next_order};
use persistence::Persistence;
use rewrite::DiskErasure;
use scripts::{ADMIT, ASSIGN, CLAIM, DISCARD, END, PENDING, REATTACH, RELEASE, SET_IF_LIVE, TOUCH};

const QUEUE: &str = "ll:queue";
const SESSIONS: &str = "ll:sessions";
/// Keys outlive the idle TTL by this much, so the sweeper (not Redis) decides expiry and can
/// tell live clients; the TTL is the safety net if every node is down.
const TTL_MARGIN_S: u64 = 300;

/// The parts of a session that change rarely, as one JSON value.
#[derive(serde::Serialize, serde::Deserialize)]
struct Record {
    token_hash: Bytes,
    kind: ConversationKind,
    lang: Option<String>,
    handshake: Bytes,
    queued_minute: u64,
    /// Absent (0) in records written before generations existed.
    #[serde(default)]
    generation: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FrameRecord {
    seq: u64,
    kind: PayloadKind,
    body: Bytes,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("unreadable {what} in Redis"))
}

/// Live-chat state in Redis, shared by every node connected to it.
pub struct RedisStore {
    client: redis::Client,
    connection: RedisConnection,
    generation: generation::Generation,
    deadlines: deadline::Deadlines,
    persistence: std::sync::Mutex<Option<Persistence>>,
    ttl_s: u64,
    /// How long a tombstone of an ended session is kept (`store::ended`), in seconds.
    tombstones_kept_s: std::sync::atomic::AtomicU64,
    claim: redis::Script,
    assign: redis::Script,
    reattach: redis::Script,
    touch: redis::Script,
    pending: redis::Script,
    discard: redis::Script,
    release: redis::Script,
    admit: redis::Script,
    set_if_live: redis::Script,
    relay: redis::Script,
    ack_notify: redis::Script,
}

impl RedisStore {
    /// Connects to one server, or with `cluster` to a Redis Cluster through its seed nodes
    /// (reconnection with backoff is handled by the connection either way).
    pub async fn connect(
        urls: &[&str],
        cluster: bool,
        idle_ttl_s: u64,
    ) -> Result<Self, StoreError> {
        let (connection, client) = RedisConnection::connect(urls, cluster)
            .await
            .map_err(unavailable)?;
        let generation = generation::Generation::open(&mut connection.clone()).await?;
        let deadlines = deadline::Deadlines::open(&mut connection.clone()).await?;
        Ok(Self {
            client,
            connection,
            generation,
            deadlines,
            persistence: std::sync::Mutex::new(None),
            ttl_s: idle_ttl_s + TTL_MARGIN_S,
            tombstones_kept_s: crate::store::ended::kept_for(0).as_secs().into(),
            claim: redis::Script::new(CLAIM),
            assign: redis::Script::new(ASSIGN),
            reattach: redis::Script::new(REATTACH),
            touch: redis::Script::new(TOUCH),
            pending: redis::Script::new(PENDING),
            discard: redis::Script::new(DISCARD),
            release: redis::Script::new(RELEASE),
            admit: redis::Script::new(ADMIT),
            set_if_live: redis::Script::new(SET_IF_LIVE),
            relay: redis::Script::new(message_path::RELAY),
            ack_notify: redis::Script::new(message_path::ACK_NOTIFY),
        })
    }

    fn con(&self) -> RedisConnection {
        self.connection.clone()
    }

    /// A handle on the shared connection, for the tips kept beside the sessions.
    pub fn connection(&self) -> RedisConnection {
        self.con()
    }

    /// Redis's clock, shared with the tips kept beside the sessions: every key's end.
    pub fn deadlines(&self) -> deadline::Deadlines {
        self.deadlines.clone()
    }

    /// The end, on a whole minute, of a session key written now (see [`deadline`]).
    async fn session_end(&self) -> Result<u64, StoreError> {
        self.deadlines.after(&mut self.con(), self.ttl_s).await
    }

    /// How this node reaches the others sharing this Redis, and records where visitors are.
    pub fn node_link(&self) -> NodeLink {
        NodeLink::new(
            self.con(),
            self.client.clone(),
            self.ttl_s,
            self.deadlines(),
        )
    }

    /// Reads Redis's persistence settings again and keeps them (see [`Self::persistence_seen`]).
    pub async fn persistence(&self) -> Result<Persistence, StoreError> {
        let read = Persistence::read(&mut self.con()).await?;
        *self.persistence.lock().unwrap_or_else(|p| p.into_inner()) = Some(read.clone());
        Ok(read)
    }

    /// The persistence settings last read, if any.
    pub fn persistence_seen(&self) -> Option<Persistence> {
        self.persistence
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The generation this node believes the data belongs to.
    pub fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// When this node last saw the generation change, if it has since it started.
    pub fn generation_changed_at(&self) -> Option<std::time::Instant> {
        self.generation.changed_at()
    }

    /// Checks the generation against Redis (run on every reconnection and periodically).
    pub async fn check_generation(&self) -> Result<Checked, StoreError> {
        self.generation.check(&mut self.con()).await
    }

    /// Erases every session filed under another generation than the current one: they
    /// survived a loss of data, and nothing in them can be trusted. Returns their ids.
    pub async fn forget_other_generations(&self) -> Result<Vec<SessionId>, StoreError> {
        let current = self.generation();
        let ids: Vec<String> = self.con().smembers(SESSIONS).await.map_err(unavailable)?;
        let mut forgotten = Vec::new();
        for id in ids.iter().filter_map(|t| decode_hex(t)) {
            let record: Option<String> = self
                .con()
                .get(Keys::of(&id).record)
                .await
                .map_err(unavailable)?;
            let generation = record
                .and_then(|r| serde_json::from_str::<Record>(&r).ok())
                .map(|r| r.generation);
            if generation != Some(current) {
                self.erase_keys(&id).await?;
                forgotten.push(id);
            }
        }
        // Queue entries whose session is gone (the snapshot had the entry, not the keys).
        let queued: Vec<String> = self.con().zrange(QUEUE, 0, -1).await.map_err(unavailable)?;
        for id in queued.iter().filter_map(|t| decode_hex(t)) {
            let exists: bool = self
                .con()
                .exists(Keys::of(&id).record)
                .await
                .map_err(unavailable)?;
            if !exists {
                self.erase_keys(&id).await?;
            }
        }
        Ok(forgotten)
    }

    /// Keeps Redis's files in step with what the relay erases, at most `bound` behind.
    pub fn disk_erasure(&self, bound: std::time::Duration) -> DiskErasure {
        DiskErasure::new(self.con(), bound)
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut con = self.con();
        redis::cmd("PING")
            .query_async::<String>(&mut con)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}

/// What `get` reads in one round trip: record, owner, next and acked per direction, and
/// the visitor-bound direction's end mark.
type SessionKeys = (
    Option<String>,
    Option<String>,
    [Option<u64>; 2],
    [Option<u64>; 3],
);

/// The owner key: "q" while queued, "h" and the serial while held for a dropped
/// coordinator, else the holder's certificate serial.
fn parse_owner(owner: &str) -> Result<Assignment, StoreError> {
    owner_of(owner).ok_or_else(|| corrupt("owner"))
}

fn owner_of(owner: &str) -> Option<Assignment> {
    Some(match owner {
        "q" => Assignment::Queued,
        held if held.starts_with('h') => Assignment::Held(held[1..].parse().ok()?),
        serial => Assignment::Claimed(serial.parse().ok()?),
    })
}

fn parse_frame(text: &str) -> Result<StoredFrame, StoreError> {
    let f: FrameRecord = serde_json::from_str(text).map_err(|_| corrupt("frame"))?;
    Ok(StoredFrame {
        seq: f.seq,
        kind: f.kind,
        body: f.body.0,
    })
}

impl RedisStore {
    /// Writes `key` of a live session only (`SET_IF_LIVE`); `false` if it has ended.
    async fn set_if_live(
        &self,
        keys: &Keys,
        key: &str,
        delete: &[&str],
        value: String,
    ) -> Result<bool, StoreError> {
        let mut script = self.set_if_live.key(&keys.record);
        script.key(key);
        for other in delete {
            script.key(*other);
        }
        let written: i32 = script
            .arg(value)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(written == 1)
    }
}

impl RedisStore {
    /// Runs a script that makes `serial` the holder and writes their node in the same step
    /// (`CLAIM`, `ASSIGN`, `REATTACH`): KEYS `first` then the holder's node key; ARGV the
    /// serial, `node` and the session's end. `true` if the script answered 1.
    async fn make_holder(
        &self,
        script: &redis::Script,
        first: &[&str],
        keys: &Keys,
        serial: u64,
        node: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .holder_script(script, first, keys, serial, node)
            .await?
            == 1)
    }

    /// [`Self::make_holder`]'s call, answering what the script returned.
    async fn holder_script(
        &self,
        script: &redis::Script,
        first: &[&str],
        keys: &Keys,
        serial: u64,
        node: &str,
    ) -> Result<i64, StoreError> {
        let mut call = script.prepare_invoke();
        for key in first {
            call.key(*key);
        }
        let end = self.session_end().await?;
        call.key(&keys.holder_node)
            .arg(serial.to_string())
            .arg(node)
            .arg(end)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)
    }
}

impl RedisStore {
    /// Deletes every key of a session and its index entries, with no tombstone: for the
    /// sessions a change of generation erases (lost, not ended).
    async fn erase_keys(&self, id: &SessionId) -> Result<(), StoreError> {
        let keys = Keys::of(id);
        let mut con = self.con();
        let _: () = con.del(keys.all()).await.map_err(unavailable)?;
        let _: () = con.zrem(QUEUE, hex(&id.0)).await.map_err(unavailable)?;
        con.srem(SESSIONS, hex(&id.0)).await.map_err(unavailable)
    }

    /// Marks the session ended (`scripts::END`) and answers who held it; `None` if it is
    /// gone or already ended (someone else is ending it).
    pub async fn end(&self, id: &SessionId) -> Result<Option<Assignment>, StoreError> {
        let keys = Keys::of(id);
        let owner: String = redis::Script::new(END)
            .key(&keys.owner)
            .key(&keys.way[way_index(Way::ToVisitor)])
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(owner_of(&owner))
    }

    /// The session and whether it was ended (and is being erased), read in one step
    /// (MULTI: one slot), so a resume cannot slip in between an end and its erasure.
    pub async fn get_with_end(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionInfo, bool)>, StoreError> {
        let keys = Keys::of(id);
        let mut con = self.con();
        let (record, owner, [next_c, acked_c], [next_v, acked_v, ended]): SessionKeys =
            redis::pipe()
                .atomic()
                .get(&keys.record)
                .get(&keys.owner)
                .hmget(&keys.way[0], &["next", "acked"])
                .hmget(&keys.way[1], &["next", "acked", "ended"])
                .query_async(&mut con)
                .await
                .map_err(unavailable)?;
        let (Some(record), Some(owner)) = (record, owner) else {
            return Ok(None);
        };
        let record: Record = serde_json::from_str(&record).map_err(|_| corrupt("session"))?;
        let assignment = parse_owner(&owner)?;
        let info = SessionInfo {
            id: *id,
            token_hash: record
                .token_hash
                .0
                .try_into()
                .map_err(|_| corrupt("token hash"))?,
            kind: record.kind,
            lang: record.lang,
            handshake: record.handshake.0,
            assignment,
            queued_minute: record.queued_minute,
            next_to_coordinator: next_c.unwrap_or(1),
            next_to_visitor: next_v.unwrap_or(1),
            acked_to_coordinator: acked_c.unwrap_or(0),
            acked_to_visitor: acked_v.unwrap_or(0),
            generation: record.generation,
        };
        Ok(Some((info, ended == Some(1))))
    }
}

impl RedisStore {
    /// Writes a new session's keys, each with its end, in one MULTI (one slot): never a key
    /// left without an expiry by a failure between two commands.
    async fn file(
        &self,
        con: &mut RedisConnection,
        keys: &Keys,
        record: &Record,
        minute: u64,
    ) -> Result<(), StoreError> {
        let end = self.deadlines.after(con, self.ttl_s).await?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        let record = serde_json::to_string(record).map_err(|_| corrupt("record"))?;
        for (key, value) in [
            (&keys.record, record),
            (&keys.owner, "q".to_owned()),
            (&keys.active, minute.to_string()),
        ] {
            pipe.cmd("SET")
                .arg(key)
                .arg(value)
                .arg("EXAT")
                .arg(end)
                .ignore();
        }
        for way in &keys.way {
            pipe.cmd("HSET")
                .arg(way)
                .arg(&["next", "1", "acked", "0", "bytes", "0"])
                .ignore();
            pipe.expire_at(way, end as i64).ignore();
        }
        pipe.query_async::<()>(con).await.map_err(unavailable)
    }

    /// Erases `id` if it has been idle since before `cutoff_minute`; `true` if it did.
    async fn expire_one(&self, id: &SessionId, cutoff_minute: u64) -> Result<bool, StoreError> {
        let active: Option<u64> = self
            .con()
            .get(Keys::of(id).active)
            .await
            .map_err(unavailable)?;
        if active.is_some_and(|minute| minute >= cutoff_minute) {
            return Ok(false);
        }
        self.remove(id).await?;
        Ok(true)
    }

    /// Takes back what a failed `create` wrote, as far as Redis lets it now; what stays is
    /// still in `ll:sessions`, so the sweep erases it (and every key has its TTL).
    async fn unfile(&self, id: &SessionId) {
        let keys = Keys::of(id);
        let mut con = self.con();
        let _: Result<(), _> = con.del(keys.all()).await;
        let _: Result<(), _> = con.zrem(QUEUE, hex(&id.0)).await;
        if con.exists(&keys.record).await == Ok(false) {
            let _: Result<(), _> = con.srem(SESSIONS, hex(&id.0)).await;
        }
    }
}

impl ChatStore for RedisStore {
    async fn create(&self, info: SessionInfo, queue_max: usize) -> Result<(), StoreError> {
        let mut con = self.con();
        let keys = Keys::of(&info.id);
        let record = Record {
            token_hash: Bytes(info.token_hash.to_vec()),
            kind: info.kind,
            lang: info.lang.clone(),
            handshake: Bytes(info.handshake.clone()),
            queued_minute: info.queued_minute,
            generation: info.generation,
        };
        let order = next_order(&mut con, QUEUE, self.session_end().await?).await?;
        // The keys first, each with its TTL (a failure after this leaves nothing that
        // outlives it), then the sweep's index, then the queue: never a queue entry the
        // sweep cannot find (it walks `ll:sessions`), which would wait there for ever.
        let filed = match self
            .file(&mut con, &keys, &record, info.queued_minute)
            .await
        {
            Ok(()) => con
                .sadd::<_, _, ()>(SESSIONS, hex(&info.id.0))
                .await
                .map_err(unavailable),
            Err(e) => Err(e),
        };
        // The global indexes live in slots of their own: separate commands on a Cluster.
        // The cap is checked and the entry added in one step (or hellos arriving together
        // would all pass the check).
        let admitted = match filed {
            Ok(()) => self
                .admit
                .key(QUEUE)
                .arg(queue_max)
                .arg(hex(&info.id.0))
                .arg(order)
                .arg(0)
                .invoke_async::<i32>(&mut con)
                .await
                .map_err(unavailable),
            Err(e) => Err(e),
        };
        match admitted {
            Ok(1) => {}
            Ok(_) => {
                self.unfile(&info.id).await;
                return Err(StoreError::QueueFull);
            }
            // The visitor is told the store failed, so nothing of theirs may stay.
            Err(e) => {
                self.unfile(&info.id).await;
                return Err(e);
            }
        }
        // Evidence for the next generation check: a Redis back from a snapshot taken before
        // this lacks the session, and no tombstone says it ended (§9.5).
        self.generation.created(&info.id, info.generation);
        Ok(())
    }

    async fn get(&self, id: &SessionId) -> Result<Option<SessionInfo>, StoreError> {
        Ok(self.get_with_end(id).await?.map(|(info, _)| info))
    }

    async fn assignment(&self, id: &SessionId) -> Result<Option<Assignment>, StoreError> {
        let owner: Option<String> = self
            .con()
            .get(Keys::of(id).owner)
            .await
            .map_err(unavailable)?;
        owner.map(|owner| parse_owner(&owner)).transpose()
    }

    async fn claim(
        &self,
        id: &SessionId,
        coordinator: u64,
        node: &str,
    ) -> Result<Option<SessionInfo>, StoreError> {
        let keys = Keys::of(id);
        let first = [keys.owner.as_str(), &keys.way[way_index(Way::ToVisitor)]];
        let claims = self
            .holder_script(&self.claim, &first, &keys, coordinator, node)
            .await?;
        if claims == 0 {
            return Ok(None);
        }
        // Evidence for the next generation check, as a stored frame is: a Redis back from a
        // snapshot taken before this claim has a lower count (§9.5).
        if let Ok(claims) = u64::try_from(claims) {
            self.generation.claimed(id, claims);
        }
        // Claimed already: a failure here must not say otherwise (the caller would tell the
        // coordinator they lost a session the store gave them). An entry left behind is
        // refused by every later claim and taken out by the heartbeat (`mend.rs`).
        let _: Result<(), _> = self.con().zrem(QUEUE, hex(&id.0)).await;
        self.get(id).await
    }

    async fn assign(&self, id: &SessionId, coordinator: u64, node: &str) -> Result<(), StoreError> {
        let keys = Keys::of(id);
        let first = [
            keys.record.as_str(),
            &keys.owner,
            &keys.way[way_index(Way::ToVisitor)],
        ];
        let claims = self
            .holder_script(&self.assign, &first, &keys, coordinator, node)
            .await?;
        if claims == 0 {
            return Err(StoreError::UnknownSession);
        }
        // A hand-over is evidence as a claim is (§9.5): a Redis back from a snapshot taken
        // before it counts fewer claims.
        if let Ok(claims @ 1..) = u64::try_from(claims) {
            self.generation.claimed(id, claims);
        }
        // Assigned already: a failure here must not say otherwise (a claimed session is not
        // queued; this only tidies a queue entry a race may have left).
        let _: Result<(), _> = self.con().zrem(QUEUE, hex(&id.0)).await;
        Ok(())
    }

    async fn requeue(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        self.requeue_owner(id, holder.to_string()).await
    }

    async fn hold(&self, id: &SessionId, holder: u64, grace_s: u64) -> Result<bool, StoreError> {
        self.hold_for(id, holder, grace_s).await
    }

    async fn reattach(&self, id: &SessionId, holder: u64, node: &str) -> Result<bool, StoreError> {
        self.reattach_to(id, holder, node).await
    }

    async fn requeue_held(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        self.requeue_owner(id, format!("h{holder}")).await
    }

    async fn in_grace(&self, id: &SessionId) -> Result<bool, StoreError> {
        self.grace_running(id).await
    }

    async fn assignments(&self) -> Result<Vec<(SessionId, Assignment)>, StoreError> {
        // Reads the queued sessions' owners too (the heartbeat's mend needs them): one way to
        // read who holds what, not two.
        Ok(self.survey().await?.assignments)
    }

    async fn set_handshake(&self, id: &SessionId, message1: Vec<u8>) -> Result<(), StoreError> {
        let keys = Keys::of(id);
        let mut con = self.con();
        let text: Option<String> = con.get(&keys.record).await.map_err(unavailable)?;
        let mut record: Record = serde_json::from_str(&text.ok_or(StoreError::UnknownSession)?)
            .map_err(|_| corrupt("session"))?;
        record.handshake = Bytes(message1);
        let text = serde_json::to_string(&record).map_err(|_| corrupt("session"))?;
        if !self.set_if_live(&keys, &keys.record, &[], text).await? {
            return Err(StoreError::UnknownSession);
        }
        Ok(())
    }

    async fn queue_len(&self) -> Result<usize, StoreError> {
        self.con().zcard(QUEUE).await.map_err(unavailable)
    }

    async fn queue_view(&self, head: usize) -> Result<QueueView, StoreError> {
        let ids: Vec<String> = self.con().zrange(QUEUE, 0, -1).await.map_err(unavailable)?;
        let order: Vec<SessionId> = ids.iter().filter_map(|id| decode_hex(id)).collect();
        // The head's records, one GET each, concurrently (each session is in its own slot),
        // kept in queue order.
        let records =
            futures_util::future::join_all(order.iter().take(head).map(|id| async move {
                let record: Option<String> = self
                    .con()
                    .get(Keys::of(id).record)
                    .await
                    .map_err(unavailable)?;
                Ok::<_, StoreError>((*id, record))
            }))
            .await;
        let mut view = QueueView {
            order,
            head: Vec::with_capacity(records.len()),
        };
        for read in records {
            match read? {
                (id, Some(record)) => {
                    let record: Record =
                        serde_json::from_str(&record).map_err(|_| corrupt("session"))?;
                    view.head.push(Queued {
                        id,
                        kind: record.kind,
                        lang: record.lang,
                        queued_minute: record.queued_minute,
                        claimable: !record.handshake.0.is_empty(),
                    });
                }
                // Expired under us: drop it from the queue too.
                (id, None) => {
                    let _: () = self
                        .con()
                        .zrem(QUEUE, hex(&id.0))
                        .await
                        .map_err(unavailable)?;
                    view.order.retain(|o| *o != id);
                }
            }
        }
        Ok(view)
    }

    async fn append(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
    ) -> Result<Append, StoreError> {
        // No node: stored without waking anyone (the relay uses `relay_frame`).
        let relayed = self.relay_frame(id, way, frame, limits, None, "").await?;
        relayed.append.ok_or(StoreError::UnknownSession)
    }

    async fn ack(&self, id: &SessionId, way: Way, seq: u64) -> Result<u64, StoreError> {
        let acked = self.ack_and_notify(id, way, seq, None, "").await?;
        Ok(acked.acked.unwrap_or(0))
    }

    async fn pending(
        &self,
        id: &SessionId,
        way: Way,
        after: u64,
    ) -> Result<Vec<StoredFrame>, StoreError> {
        let keys = Keys::of(id);
        let i = way_index(way);
        let frames: Vec<String> = self
            .pending
            .key(&keys.way[i])
            .key(&keys.buffer[i])
            .arg(after)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        let mut out = Vec::with_capacity(frames.len());
        for text in frames {
            let frame = parse_frame(&text)?;
            if frame.seq > after {
                out.push(frame);
            }
        }
        Ok(out)
    }

    async fn discard_pending(&self, id: &SessionId, way: Way) -> Result<(), StoreError> {
        let keys = Keys::of(id);
        let i = way_index(way);
        let _: i32 = self
            .discard
            .key(&keys.record)
            .key(&keys.way[i])
            .key(&keys.buffer[i])
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn touch(&self, id: &SessionId, now_minute: u64) -> Result<(), StoreError> {
        let keys = Keys::of(id);
        let mut script = self.touch.key(&keys.record);
        script.key(&keys.active);
        // Not the grace key: it ends with the hold's grace, however active the visitor, or a
        // hold whose node died would never be found over (docs/redis.md).
        for key in keys.all() {
            if key != keys.record && key != keys.active && key != keys.grace {
                script.key(key);
            }
        }
        let end = self.session_end().await?;
        let exists: bool = script
            .arg(now_minute)
            .arg(end)
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        if exists {
            Ok(())
        } else {
            Err(StoreError::UnknownSession)
        }
    }

    async fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        // Buried first: a snapshot that holds the erasure holds the tombstone too, so an
        // end is never taken for a loss (`store::ended`).
        self.bury(id).await?;
        self.erase_keys(id).await
    }

    async fn expire(&self, cutoff_minute: u64) -> Result<Vec<SessionId>, StoreError> {
        let ids: Vec<String> = self.con().smembers(SESSIONS).await.map_err(unavailable)?;
        let mut expired = Vec::new();
        let mut failed = None;
        // One session that fails is tried again at the next sweep; it must not hide the
        // ones already erased (their clients are told only from this list), nor stop the rest.
        for id in ids.iter().filter_map(|t| decode_hex(t)) {
            match self.expire_one(&id, cutoff_minute).await {
                Ok(true) => expired.push(id),
                Ok(false) => {}
                Err(e) => failed = Some(e),
            }
        }
        match failed {
            Some(e) if expired.is_empty() => Err(e),
            Some(e) => {
                tracing::warn!(error = %e, "some idle sessions could not be erased yet");
                Ok(expired)
            }
            None => Ok(expired),
        }
    }

    async fn dump(&self) -> String {
        let mut con = self.con();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("ll:*")
            .query_async(&mut con)
            .await
            .unwrap_or_default();
        let mut out = String::new();
        for key in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query_async(&mut con)
                .await
                .unwrap_or_default();
            let value = match kind.as_str() {
                "string" => con
                    .get::<_, Option<String>>(&key)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                "list" => con
                    .lrange::<_, Vec<String>>(&key, 0, -1)
                    .await
                    .unwrap_or_default()
                    .join(" "),
                "set" => con
                    .smembers::<_, Vec<String>>(&key)
                    .await
                    .unwrap_or_default()
                    .join(" "),
                "hash" => con
                    .hgetall::<_, Vec<String>>(&key)
                    .await
                    .unwrap_or_default()
                    .join(" "),
                "zset" => con
                    .zrange::<_, Vec<String>>(&key, 0, -1)
                    .await
                    .unwrap_or_default()
                    .join(" "),
                _ => String::new(),
            };
            if key != QUEUE_ORDER {
                out.push_str(&format!("{key} {value}\n"));
            }
        }
        out
    }
}

fn decode_hex(text: &str) -> Option<SessionId> {
    from_hex(text).map(SessionId)
}
