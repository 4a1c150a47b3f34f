//! The per-write witness of the generation check (protocol §9.5): what this node confirmed
//! stored since the last check, so a Redis back from a snapshot taken *within* one check is
//! caught too. Such a snapshot already holds the newest tick, so the tick cannot show it;
//! but every frame (and claim) confirmed after it is gone, and the next check reads each
//! session's `next` below a number this node confirmed (or its claim count below one).
//!
//! Why one check's worth is enough: a snapshot older than the last check is caught by the
//! tick; one newer than it lacks only what was confirmed since, which is what this holds.
//! The batch is taken before the tick is advanced and verified after, so a restart at any
//! point between is seen by one or the other. Must never take a client's word (a `last_seq`,
//! an `ack`) as evidence: only Redis's own answers, or one client could end every
//! conversation.

use std::collections::HashMap;
use std::sync::Mutex;

use super::connection::{RedisConnection, unavailable};
use super::keys::{Keys, way_index};
use crate::store::chat::{SessionId, StoreError, Way};

/// Per session, the highest `seq` confirmed stored in each direction ([`way_index`]), then
/// the highest claim count confirmed ([`CLAIMS`]).
pub type Batch = HashMap<SessionId, [u64; 3]>;

/// Where a [`Batch`] entry keeps the session's claim count: a claim is a write Redis
/// confirmed too, and a conversation claimed just before a rewind may have no frame yet.
const CLAIMS: usize = 2;

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
        let highest = &mut batch.entry(*id).or_default()[way_index(way)];
        *highest = (*highest).max(seq);
    }

    /// Redis answered that `id` was claimed, its `claims`-th claim.
    pub fn claimed(&self, id: &SessionId, claims: u64) {
        let mut batch = self.batch();
        let highest = &mut batch.entry(*id).or_default()[CLAIMS];
        *highest = (*highest).max(claims);
    }

    /// Everything confirmed so far; from now on a new batch gathers.
    pub fn take(&self) -> Batch {
        std::mem::take(&mut *self.batch())
    }

    /// Puts back a batch whose check did not finish (Redis unreachable): it is verified at
    /// the next one.
    pub fn restore(&self, taken: Batch) {
        let mut batch = self.batch();
        for (id, seqs) in taken {
            let now = batch.entry(id).or_default();
            for (now, seen) in now.iter_mut().zip(seqs) {
                *now = (*now).max(seen);
            }
        }
    }
}

/// Whether Redis now expects, in either direction of any session in `batch`, a number at or
/// below one it confirmed, or counts fewer claims than it confirmed: it lost writes it had
/// accepted. A session that is gone proves nothing (it may have ended meanwhile).
pub async fn rewound(con: &mut RedisConnection, batch: &Batch) -> Result<bool, StoreError> {
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
        let unclaimed = next_v.is_some() && claims.unwrap_or(0) < confirmed[CLAIMS];
        if below(next_c, confirmed[0]) || below(next_v, confirmed[1]) || unclaimed {
            return Ok(true);
        }
    }
    Ok(false)
}
