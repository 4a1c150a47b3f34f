//! Mends what a step cut short left between the queue and the owner keys on Redis
//! (`store::redis::mend`): a session owned by the queue with no queue entry goes back to the
//! front and its visitor is told `left`, as any requeued visitor is; a queue entry whose
//! session is claimed or held is taken out. Run at every heartbeat; acts only on what two
//! heartbeats in a row found (a hello or a claim in progress is out of step for a moment).
//!
//! Must never tell a visitor `left` unless this node put their session back itself.

use std::sync::Arc;

use super::forward::requeued;
use super::state::Relay;
use crate::store::redis::mend::OutOfStep;

/// Mends what this heartbeat `found` out of step and the previous one found too.
pub async fn mend_queue(relay: &Arc<Relay>, found: OutOfStep) {
    let unqueued = found.unqueued.into_iter().map(|id| (id, true));
    let stray = found.stray.into_iter().map(|id| (id, false));
    let confirmed = relay.nodes.out_of_step.confirm(unqueued.chain(stray));
    if confirmed.is_empty() {
        return;
    }
    for (session, unqueued) in confirmed {
        if !unqueued {
            relay.store.mend_stray(&session).await;
        } else if let Ok(true) = relay.store.mend_unqueued(&session).await {
            tracing::info!("a session in no queue was put back at its front");
            // Whoever held it last is not known here.
            requeued(relay, &session, None).await;
        }
    }
    relay.broadcast_queue().await;
}
