//! Conversations held for a coordinator whose connection dropped (protocol §9.6), in
//! Redis: the owner key reads `h<serial>` while held, and the session's `grace` key (with
//! the grace period as its TTL) says whether that period still runs. So a hold outlives the
//! node that made it: another node, or this one restarted, finds it and times it.
//!
//! Must never store anything but the serial already in the owner key and a bare marker:
//! no time, no address.

use redis::AsyncCommands;

use super::connection::unavailable;
use super::keys::Keys;
use super::order::add_at_front;
use super::scripts::HOLD;
use super::{QUEUE, RedisStore};
use crate::crypto::keys::hex;
use crate::store::chat::{SessionId, StoreError};

impl RedisStore {
    pub(super) async fn hold_for(
        &self,
        id: &SessionId,
        holder: u64,
        grace_s: u64,
    ) -> Result<bool, StoreError> {
        let keys = Keys::of(id);
        let held: i32 = redis::Script::new(HOLD)
            .key(&keys.owner)
            .key(&keys.grace)
            .arg(holder.to_string())
            .arg(grace_s.max(1))
            .invoke_async(&mut self.con())
            .await
            .map_err(unavailable)?;
        Ok(held == 1)
    }

    /// Gives a held session back to `holder`, now connected to `node` (written in the same
    /// step: `scripts::REATTACH`).
    pub(super) async fn reattach_to(
        &self,
        id: &SessionId,
        holder: u64,
        node: &str,
    ) -> Result<bool, StoreError> {
        let keys = Keys::of(id);
        let first = [keys.owner.as_str(), &keys.grace];
        self.make_holder(&self.reattach, &first, &keys, holder, node)
            .await
    }

    pub(super) async fn grace_running(&self, id: &SessionId) -> Result<bool, StoreError> {
        self.con()
            .exists(Keys::of(id).grace)
            .await
            .map_err(unavailable)
    }

    /// Back to the front of the queue, if the owner key reads exactly `owner` (a serial:
    /// claimed; `h` and a serial: held).
    ///
    /// The queue is another slot (a Cluster cannot take both in one script), so its entry
    /// goes in first and the owner flips second: a failure between leaves an entry whose
    /// owner is not `q` (every claim of it loses, and the heartbeat takes it out:
    /// `mend.rs`), never a session owned by the queue and in no queue, which no one could
    /// ever claim. `Ok(true)` only once both are done.
    pub(super) async fn requeue_owner(
        &self,
        id: &SessionId,
        owner: String,
    ) -> Result<bool, StoreError> {
        let keys = Keys::of(id);
        let mut con = self.con();
        let exists: bool = con.exists(&keys.record).await.map_err(unavailable)?;
        if !exists {
            return Err(StoreError::UnknownSession);
        }
        // An entry there already (another node requeueing it) is not ours to take out below.
        let added = add_at_front(&mut con, QUEUE, &hex(&id.0), self.session_end().await?).await?;
        let released = self
            .release
            .key(&keys.owner)
            .key(&keys.grace)
            .arg(owner)
            .invoke_async::<i32>(&mut con)
            .await;
        if matches!(released, Ok(1)) {
            return Ok(true);
        }
        if added {
            self.unqueue_unless_queued(id).await;
        }
        released.map(|_| false).map_err(unavailable)
    }
}
