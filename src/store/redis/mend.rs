//! Keeps the queue (`ll:queue`, its own slot) in step with the owner keys (one per
//! session's slot). No script can write both on a Cluster, so a step cut short between the
//! two (Redis refusing a command, a node dying) can leave a session whose owner is `q` in
//! no queue entry (no one could ever claim it) or an entry whose session is claimed or held
//! (every claim of it loses). The heartbeat finds both and mends them (`relay/mend.rs`);
//! the steps themselves are ordered so the second kind is what a failure leaves.
//!
//! Must never move a session whose owner is not what it reads, nor tell anyone anything:
//! the relay does, for the sessions this answers it put back.

use std::collections::HashSet;

use redis::AsyncCommands;

use super::connection::unavailable;
use super::keys::Keys;
use super::order::add_at_front;
use super::{QUEUE, RedisStore, SESSIONS, decode_hex, owner_of};
use crate::crypto::keys::hex;
use crate::store::chat::{Assignment, SessionId, StoreError};

/// What is out of step between the queue and the owner keys, as read now.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutOfStep {
    /// Owned by the queue (`q`) but with no queue entry.
    pub unqueued: Vec<SessionId>,
    /// Queue entries whose session is claimed, held, or gone.
    pub stray: Vec<SessionId>,
}

/// Who holds each session and what is out of step, from one read of the queue,
/// `ll:sessions` and the owner keys: what a heartbeat acts on (orphans, then the mend).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Survey {
    /// Each session of `ll:sessions` with a readable owner key, as that key says.
    pub assignments: Vec<(SessionId, Assignment)>,
    /// What the mend looks at.
    pub out_of_step: OutOfStep,
}

impl RedisStore {
    /// Reads the queue, `ll:sessions` and the owner key of every session in either (one
    /// GET per session, concurrently: each owner key is in its session's slot).
    pub async fn survey(&self) -> Result<Survey, StoreError> {
        let queued: HashSet<String> = self.con().zrange(QUEUE, 0, -1).await.map_err(unavailable)?;
        let listed: HashSet<String> = self.con().smembers(SESSIONS).await.map_err(unavailable)?;
        let all: Vec<(&String, SessionId)> = queued
            .union(&listed)
            .filter_map(|t| Some((t, decode_hex(t)?)))
            .collect();
        let owners = futures_util::future::join_all(all.iter().map(|(_, id)| {
            let mut con = self.con();
            async move { con.get::<_, Option<String>>(Keys::of(id).owner).await }
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?;
        let mut survey = Survey::default();
        for ((text, id), owner) in all.into_iter().zip(owners) {
            let found = &mut survey.out_of_step;
            match (queued.contains(text), owner.as_deref()) {
                (false, Some("q")) => found.unqueued.push(id),
                (true, Some("q")) | (false, _) => {}
                (true, _) => found.stray.push(id),
            }
            // The owner key decides, not the queue: a stray entry's session is its holder's.
            if listed.contains(text)
                && let Some(assignment) = owner.as_deref().and_then(owner_of)
            {
                survey.assignments.push((id, assignment));
            }
        }
        Ok(survey)
    }

    /// Puts a session owned by the queue but in no entry back at the front. `true` only if
    /// this call added the entry and the owner still reads `q` (so of two nodes mending
    /// at once, one tells the visitor).
    pub async fn mend_unqueued(&self, id: &SessionId) -> Result<bool, StoreError> {
        let mut con = self.con();
        // An owner key outliving its record (a hello whose clean-up failed too) is no
        // session: queued, it would be offered to coordinators and answer no one. Its keys
        // expire by their TTL.
        let live: bool = con.exists(Keys::of(id).record).await.map_err(unavailable)?;
        if !live {
            return Ok(false);
        }
        let added = add_at_front(&mut con, QUEUE, &hex(&id.0), self.session_end().await?).await?;
        let owner: Option<String> = con.get(Keys::of(id).owner).await.map_err(unavailable)?;
        if owner.as_deref() == Some("q") {
            return Ok(added);
        }
        // Claimed (or erased) meanwhile: the entry is not its to have.
        if added {
            self.unqueue_unless_queued(id).await;
        }
        Ok(false)
    }

    /// Takes out a queue entry whose session is not owned by the queue (claimed, held,
    /// gone), best effort: what stays is found again at the next heartbeat.
    pub async fn mend_stray(&self, id: &SessionId) {
        self.unqueue_unless_queued(id).await;
    }

    /// Removes `id`'s queue entry unless its owner reads `q` (then the entry is its own).
    pub(super) async fn unqueue_unless_queued(&self, id: &SessionId) {
        let mut con = self.con();
        let owner: Result<Option<String>, _> = con.get(Keys::of(id).owner).await;
        let stray = match owner {
            Ok(Some(owner)) => owner != "q",
            Ok(None) => true,
            // Unread: left for the next heartbeat to find.
            Err(_) => false,
        };
        if stray {
            let _: Result<(), _> = con.zrem(QUEUE, hex(&id.0)).await;
        }
    }
}
