//! Mends what a step cut short left between the queue and the owner keys on Redis
//! (`store::redis::mend`): a session owned by the queue with no queue entry goes back to the
//! front and its visitor is told `left`, as any requeued visitor is; a queue entry whose
//! session is claimed or held is taken out. Run at every heartbeat; acts only on what two
//! heartbeats in a row found (a hello or a claim in progress is out of step for a moment).
//!
//! Must never tell a visitor `left` unless this node put their session back itself.

use std::collections::HashSet;
use std::sync::Arc;

use super::forward::peer_to_visitor;
use super::state::Relay;
use crate::protocol::frames::PeerEvent;
use crate::protocol::{RelayFrame, SessionId};
use crate::store::ChatStore;
use crate::store::redis::mend::OutOfStep;

/// Mends what this heartbeat `found` out of step and the previous one found too.
pub async fn mend_queue(relay: &Arc<Relay>, found: OutOfStep) {
    let now: HashSet<(SessionId, bool)> = (found.unqueued.into_iter().map(|id| (id, true)))
        .chain(found.stray.into_iter().map(|id| (id, false)))
        .collect();
    let confirmed: Vec<(SessionId, bool)> = {
        let mut seen = relay
            .nodes
            .out_of_step
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let confirmed = now.intersection(&seen).copied().collect();
        *seen = now;
        confirmed
    };
    if confirmed.is_empty() {
        return;
    }
    for (session, unqueued) in confirmed {
        if !unqueued {
            relay.store.mend_stray(&session).await;
        } else if let Ok(true) = relay.store.mend_unqueued(&session).await {
            tracing::info!("a session in no queue was put back at its front");
            requeued_unowned(relay, &session).await;
        }
    }
    relay.broadcast_queue().await;
}

/// What [`super::forward::requeued`] does, for a session whose last holder is not known
/// here: the visitor owes a fresh handshake and is told; a coordinator here still listing
/// it is told it is no longer theirs.
async fn requeued_unowned(relay: &Arc<Relay>, session: &SessionId) {
    let _ = relay.store.set_handshake(session, Vec::new()).await;
    relay.live.with(|live| {
        live.transferred_from.remove(session);
        live.offers.remove(session);
        for c in live.coordinators.values_mut() {
            if c.sessions.remove(session) {
                c.outbox.send(RelayFrame::Released { session: *session });
            }
        }
    });
    peer_to_visitor(relay, session, PeerEvent::Left).await;
}
