//! When the store loses a conversation: the visitor is closed with 4014 `StoreLost` and its
//! coordinator told `peer lost` then `released` (protocol §9.5), never "expired", never a
//! silent re-basing of anyone's sequence numbers on what survived.
//!
//! Four ways to find out: the store's generation changed (the watcher here, every
//! [`CHECK_EVERY`], which also verifies what this node confirmed since the last check); a
//! frame answered with a gap or "no such session" that a check run at once explains
//! ([`lost_since`]); a resume token from another generation (a memory-store relay
//! restarted); a resume claiming frames the store never had (it came back older). Must never end a
//! conversation of the current generation on a mere failure to reach the store.

use std::sync::Arc;
use std::time::Duration;

use super::erase::erase;
use super::events::ForCoordinator;
use super::metrics::Metrics;
use super::state::Relay;
use crate::crypto::keys::random_bytes;
use crate::protocol::{CloseCode, SessionId};
use crate::store::generation::Checked;
use crate::store::{ChatStore, SessionInfo};

/// How often each node compares the store's generation with its own: a loss is told to
/// everyone within about this.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);
/// Redis's persistence settings are read again every this many checks (a minute).
const PERSISTENCE_EVERY: u64 = 120;

/// A fresh resume token: the generation it was issued in (8 bytes, big-endian), then 24
/// random bytes (192 bits: the secret). A token naming another generation belongs to a
/// conversation the store has lost.
pub fn new_token(generation: u64) -> [u8; 32] {
    let mut token = [0u8; 32];
    token[..8].copy_from_slice(&generation.to_be_bytes());
    token[8..].copy_from_slice(&random_bytes::<24>());
    token
}

/// The generation a resume token was issued in.
pub fn token_generation(token: &[u8; 32]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&token[..8]);
    u64::from_be_bytes(bytes)
}

/// Why a resume cannot continue a session that exists, if it cannot.
pub fn resume_refusal(relay: &Relay, info: &SessionInfo, last_seq: u64) -> Option<CloseCode> {
    // Filed before the store lost data, or the visitor holds frames the store never had
    // (it came back older): nothing in it can be trusted.
    (info.generation != relay.store.generation() || last_seq >= info.next_to_visitor)
        .then_some(CloseCode::StoreLost)
}

/// Compares the store's generation every [`CHECK_EVERY`] (so also soon after every
/// reconnection to Redis); on a change, ends every conversation of the old one.
pub async fn watch(relay: Arc<Relay>) {
    if !relay.nodes.is_shared() {
        return;
    }
    let mut tick = tokio::time::interval(CHECK_EVERY);
    for round in 0u64.. {
        tick.tick().await;
        if let Ok(Checked::Changed(_)) = relay.store.check_generation().await {
            store_lost(&relay).await;
        }
        // Persistence can be changed at run time (CONFIG SET): read again now and then.
        if round % PERSISTENCE_EVERY == 0 {
            match relay.store.persistence().await {
                Some(Ok(p)) if !p.persistent() => {
                    tracing::warn!(settings = %p.describe(), "the Redis store is not persistent");
                }
                _ => {}
            }
        }
    }
}

/// Whether the store lost data since it was in generation `before`: asked when Redis answers
/// a frame with a gap or "no such session", which is what a Redis back from a snapshot looks
/// like before the next periodic check. A check runs now (ending every conversation of the
/// old generation if it finds a loss); `false` means the store is whole and the gap is the
/// client's.
pub async fn lost_since(relay: &Arc<Relay>, before: u64) -> bool {
    if let Ok(Checked::Changed(_)) = relay.store.check_generation().await {
        store_lost(relay).await;
    }
    relay.store.generation() != before
}

/// `code`, or 4014 `StoreLost` if the store lost data since generation `before`.
pub async fn unless_lost(relay: &Arc<Relay>, before: u64, code: CloseCode) -> CloseCode {
    if lost_since(relay, before).await {
        CloseCode::StoreLost
    } else {
        code
    }
}

/// The store lost or rewound its data: every conversation on this node is over, and the
/// sessions that survived from before are erased.
pub async fn store_lost(relay: &Arc<Relay>) {
    Metrics::inc(&relay.metrics.store_generation_changes);
    tracing::warn!("the store lost data (its generation changed): conversations ended with 4014");
    relay.live.with(|live| {
        for (_, outbox) in live.visitors.drain() {
            outbox.close(CloseCode::StoreLost);
        }
        live.transferred_from.clear();
        let held: Vec<(u64, SessionId)> = live
            .coordinators
            .iter()
            .flat_map(|(serial, c)| c.sessions.iter().map(|s| (*serial, *s)))
            .collect();
        for (serial, session) in held {
            live.conversation_lost(serial, &session);
        }
    });
    let _ = relay.store.forget_other_generations().await;
    relay.broadcast_queue().await;
}

/// Whether a conversation a resuming coordinator names, which the store does not know, was
/// lost with the store's data rather than ended while they were away: the store lost or
/// rewound its data (on this node's watch, or this memory-store relay started) within the
/// longest a conversation is held for a dropped coordinator, and holds no tombstone of its
/// end (the store's own record, never the coordinator's word). Then they are told `peer
/// lost` before `released` (§9.6), as a connected coordinator was.
pub async fn lost_while_away(relay: &Relay, session: &SessionId) -> bool {
    let grace = Duration::from_secs(relay.config.sessions.coordinator_grace_s);
    let recent = relay
        .store
        .generation_changed_at()
        .is_some_and(|at| at.elapsed() <= grace);
    recent
        && matches!(relay.store.get(session).await, Ok(None))
        && matches!(relay.store.ended_recently(session).await, Ok(false))
}

/// One conversation was lost (a resume found the store older than the visitor): its
/// coordinator is told, wherever they are, and the session erased. The caller closes the
/// visitor with 4014.
pub async fn session_lost(relay: &Arc<Relay>, session: &SessionId, holder: Option<u64>) {
    Metrics::inc(&relay.metrics.sessions_ended);
    tracing::warn!("a resume found the store older than the visitor: conversation lost");
    if let Some(serial) = holder {
        let lost = ForCoordinator::Lost { session: *session };
        relay.to_holder(serial, session, lost).await;
    }
    erase(relay, session).await;
    relay.broadcast_queue().await;
}
