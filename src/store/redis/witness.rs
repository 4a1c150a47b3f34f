//! The per-write witness of the generation check (protocol §9.5): what this node confirmed
//! stored since the last check, so a Redis back from a snapshot taken *within* one check is
//! caught too. Such a snapshot already holds the newest tick, so the tick cannot show it;
//! but every frame, claim, hand-over and new session confirmed after it is gone, and the
//! next check reads each session's `next` below a number this node confirmed, its claim
//! count below one (a hand-over counts as a claim), or a session it saw created gone
//! without the tombstone an end leaves (`store::ended`).
//!
//! Why one check's worth is enough: a snapshot older than the last check is caught by the
//! tick; one newer than it lacks only what was confirmed since, which is what this holds.
//! The batch is taken before the tick is advanced and verified after, so a restart at any
//! point between is seen by one or the other. Must never take a client's word (a `last_seq`,
//! an `ack`) as evidence: only Redis's own answers, or one client could end every
//! conversation; and must never take a session's absence alone as evidence (it may have
//! ended): only with Redis's own record that it did not (no tombstone).

use std::collections::HashMap;
use std::sync::Mutex;

use super::connection::{RedisConnection, unavailable};
use super::keys::{Keys, way_index};
use super::tombstone;
use crate::store::chat::{SessionId, StoreError, Way};

/// What Redis confirmed about one session since the last check.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    /// The highest `seq` confirmed stored in each direction ([`way_index`]).
    seqs: [u64; 2],
    /// The highest claim count confirmed (a claim or a hand-over raised it): a conversation
    /// claimed or handed over just before a rewind may have no frame yet.
    claims: u64,
    /// The generation the session was created in, if this node saw Redis create it (0:
    /// not seen): a session that began just before a rewind may have nothing else.
    created_in: u64,
}

impl Confirmed {
    fn merge(&mut self, other: Confirmed) {
        for (now, seen) in self.seqs.iter_mut().zip(other.seqs) {
            *now = (*now).max(seen);
        }
        self.claims = self.claims.max(other.claims);
        self.created_in = self.created_in.max(other.created_in);
    }
}

/// Per session, what Redis confirmed since the last check.
pub type Batch = HashMap<SessionId, Confirmed>;

/// What this node confirmed since the last generation check.
#[derive(Default)]
pub struct Witness(Mutex<Batch>);

impl Witness {
    fn batch(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Redis answered that `seq` travelling `way` is stored (new, or a duplicate of one kept).
    pub fn confirmed(&self, id: &SessionId, way: Way, seq: u64) {
        let mut batch = self.batch();
        let highest = &mut batch.entry(*id).or_default().seqs[way_index(way)];
        *highest = (*highest).max(seq);
    }

    /// Redis answered that `id` was claimed or handed over, its `claims`-th time.
    pub fn claimed(&self, id: &SessionId, claims: u64) {
        let mut batch = self.batch();
        let highest = &mut batch.entry(*id).or_default().claims;
        *highest = (*highest).max(claims);
    }

    /// Redis answered that `id` was created, in `generation`.
    pub fn created(&self, id: &SessionId, generation: u64) {
        self.batch().entry(*id).or_default().created_in = generation;
    }

    /// Everything confirmed so far; from now on a new batch gathers.
    pub fn take(&self) -> Batch {
        std::mem::take(&mut *self.batch())
    }

    /// Puts back a batch whose check did not finish (Redis unreachable): it is verified at
    /// the next one.
    pub fn restore(&self, taken: Batch) {
        let mut batch = self.batch();
        for (id, seen) in taken {
            batch.entry(id).or_default().merge(seen);
        }
    }
}

/// Whether Redis now expects, in either direction of any session in `batch`, a number at or
/// below one it confirmed, or counts fewer claims than it confirmed, or has lost a session
/// it confirmed created in `generation` (the one in force) with no tombstone of its end: it
/// lost writes it had accepted. A session that is gone proves nothing by itself (it may
/// have ended meanwhile); nor does one of another generation (a node that saw the change
/// erased it).
pub async fn rewound(
    con: &mut RedisConnection,
    batch: &Batch,
    generation: u64,
) -> Result<bool, StoreError> {
    for (id, confirmed) in batch {
        let keys = Keys::of(id);
        // One slot per session (its hash tag): a pipeline each, also on a Cluster.
        let (next_c, (next_v, claims)): (Option<u64>, (Option<u64>, Option<u64>)) = redis::pipe()
            .hget(&keys.way[0], "next")
            .hmget(&keys.way[1], &["next", "claims"])
            .query_async(con)
            .await
            .map_err(unavailable)?;
        let below = |next: Option<u64>, seq: u64| next.is_some_and(|next| seq > 0 && next <= seq);
        // The hash is there (`next`) but counts fewer claims: one it confirmed is gone.
        let unclaimed = next_v.is_some() && claims.unwrap_or(0) < confirmed.claims;
        if below(next_c, confirmed.seqs[0]) || below(next_v, confirmed.seqs[1]) || unclaimed {
            return Ok(true);
        }
        if next_v.is_none()
            && confirmed.created_in == generation
            && !tombstone::buried(con, id).await?
        {
            return Ok(true);
        }
    }
    Ok(false)
}
