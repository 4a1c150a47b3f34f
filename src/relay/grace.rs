//! Coordinator resume (`docs/protocol.md` §9.6): a coordinator whose connection drops keeps
//! their conversations for `sessions.coordinator_grace_s`. Their visitors hear
//! `reconnecting`, and what they write waits in the store. Signing in again with the same
//! certificate serial, the coordinator names in `resume_sessions` the conversations it still
//! has keys for and gets each back where it stopped (the visitor hears `back`). Those it does
//! not name are requeued at once (a console that restarted has no keys), and so is every
//! conversation whose grace runs out.
//!
//! The hold lives in the store (the session's owner and a grace key with a TTL), so it
//! outlives this node: another node, or this one restarted, finds and times it. Must never
//! hand a conversation to anyone but the certificate serial it was held for, and never
//! move a key that opens a message (the relay has none).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use super::connection::Outbox;
use super::events::ForVisitor;
use super::forward::{peer_to_visitor, release, requeued};
use super::generation::lost_while_away;
use super::state::Relay;
use crate::protocol::frames::{PeerEvent, ResumeEntry};
use crate::protocol::{CloseCode, RelayFrame, SessionId};
use crate::store::{Assignment, ChatStore, Way};

/// How a coordinator's connection ended, as far as their conversations are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Lost (network, timeout, relay restarting): held for them to come back.
    Dropped,
    /// Signed out (a WebSocket close with 1000) or closed for a fault: requeued at once.
    Left,
}

/// Whether a connection that ended this way keeps its conversations: not if the
/// coordinator closed it cleanly, nor if the relay closed it for a fault of theirs.
pub fn ending(relay: &Relay, closing: Option<CloseCode>, signed_out: bool) -> Ending {
    let lost = matches!(
        closing,
        None | Some(
            CloseCode::Ended
                | CloseCode::IdleTimeout
                | CloseCode::SlowConsumer
                | CloseCode::GoingAway
                | CloseCode::StoreUnavailable
        )
    );
    if relay.config.sessions.coordinator_grace_s > 0 && lost && !signed_out {
        Ending::Dropped
    } else {
        Ending::Left
    }
}

/// Holds `sessions` for `serial`, whose connection dropped: each visitor is told their
/// coordinator is reconnecting, and whatever is not resumed within the grace is requeued.
pub async fn hold(relay: &Arc<Relay>, serial: u64, sessions: impl IntoIterator<Item = SessionId>) {
    let grace_s = relay.config.sessions.coordinator_grace_s;
    let mut held = Vec::new();
    for session in sessions {
        if let Ok(true) = relay.store.hold(&session, serial, grace_s).await {
            withdraw_offer(relay, &session).await;
            peer_to_visitor(relay, &session, PeerEvent::Reconnecting).await;
            held.push(session);
        } else {
            // Not theirs any more, or the store is down: today's requeue, if it applies.
            release(relay, &session, serial).await;
        }
    }
    if held.is_empty() {
        return;
    }
    tracing::info!(
        conversations = held.len(),
        "coordinator dropped; conversations held"
    );
    let relay = relay.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(grace_s)).await;
        for session in held {
            requeue_held(&relay, &session, serial).await;
        }
    });
}

/// Takes back a conversation the live connection of `serial` lists but the store holds for
/// them (a late hold by the node of their old connection); the visitor hears `back`.
pub async fn reclaim(relay: &Arc<Relay>, serial: u64, session: &SessionId) -> bool {
    let node = &relay.nodes.id;
    let ours = matches!(relay.store.reattach(session, serial, node).await, Ok(true));
    if ours {
        peer_to_visitor(relay, session, PeerEvent::Back).await;
    }
    ours
}

/// A hand-over proposed by the coordinator who dropped dies with their connection.
async fn withdraw_offer(relay: &Arc<Relay>, session: &SessionId) {
    if relay
        .live
        .with(|live| live.offers.remove(session))
        .is_some()
    {
        let frame = RelayFrame::TransferWithdrawn {};
        relay.to_visitor(session, ForVisitor::Frame { frame }).await;
    }
}

/// Requeues `session` if it is still held for `serial` (grace over, or not resumed).
pub async fn requeue_held(relay: &Arc<Relay>, session: &SessionId, serial: u64) {
    if let Ok(true) = relay.store.requeue_held(session, serial).await {
        tracing::debug!("held conversation not resumed: requeued");
        requeued(relay, session, Some(serial)).await;
    }
}

/// Requeues every conversation claimed by or held for `serial` except `keep`: they signed in
/// again without the keys of these (a restarted console, or one that resumes only some).
pub async fn release_unresumed(relay: &Arc<Relay>, serial: u64, keep: &HashSet<SessionId>) {
    let Ok(assignments) = relay.store.assignments().await else {
        return;
    };
    for (session, assignment) in assignments {
        if keep.contains(&session) {
            continue;
        }
        match assignment {
            Assignment::Claimed(s) if s == serial => {
                release(relay, &session, serial).await;
            }
            Assignment::Held(s) if s == serial => requeue_held(relay, &session, serial).await,
            _ => {}
        }
    }
}

/// Answers `resume_sessions`: each named conversation held for (or still claimed by)
/// `serial` is theirs again, with the visitor's frames after `last_seq` redelivered; one
/// that is not is answered `released`. Everything else held for them is requeued.
pub async fn resume(relay: &Arc<Relay>, out: &Outbox, serial: u64, entries: Vec<ResumeEntry>) {
    let wanted: HashMap<SessionId, u64> = entries
        .into_iter()
        .map(|e| (e.session, e.last_seq))
        .collect();
    let keep: HashSet<SessionId> = wanted.keys().copied().collect();
    release_unresumed(relay, serial, &keep).await;
    for (session, last_seq) in wanted {
        if !resume_one(relay, out, serial, session, last_seq).await {
            // Lost with the store's data: said plainly, not a bare `released` (§9.5).
            if lost_while_away(relay, &session).await {
                out.send(RelayFrame::Peer {
                    session: Some(session),
                    event: PeerEvent::Lost,
                });
            }
            out.send(RelayFrame::Released { session });
        }
    }
    relay.broadcast_queue().await;
}

async fn resume_one(
    relay: &Arc<Relay>,
    out: &Outbox,
    serial: u64,
    session: SessionId,
    last_seq: u64,
) -> bool {
    // The coordinator may be back through another node: the store points the visitor's
    // wakes here in the same step.
    let node = &relay.nodes.id;
    if !matches!(relay.store.reattach(&session, serial, node).await, Ok(true)) {
        return false;
    }
    let Ok(Some(info)) = relay.store.get(&session).await else {
        return false;
    };
    // A client's number, bounded by what was stored: past it, deliveries would start after
    // frames that do not exist (the visitor's words never delivered) or overflow.
    let last_seq = last_seq.min(info.next_to_coordinator.saturating_sub(1));
    // What the coordinator says it has is an acknowledgement, as a visitor's `last_seq` is.
    let acked = relay
        .store
        .ack(&session, Way::ToCoordinator, last_seq)
        .await
        .unwrap_or(info.acked_to_coordinator);
    let attached = relay.live.with(|live| {
        let Some(c) = live.coordinators.get_mut(&serial) else {
            return false;
        };
        if c.outbox.id != out.id {
            return false;
        }
        // Queued before the wake: `resumed` precedes the redelivered frames.
        out.send(RelayFrame::Resumed {
            session,
            next_seq: info.next_to_visitor,
            delivered: info.acked_to_visitor,
        });
        c.sessions.insert(session);
        c.delivered.insert(session, last_seq);
        c.wake(session);
        true
    });
    if !attached {
        return false;
    }
    tracing::debug!("held conversation resumed");
    peer_to_visitor(relay, &session, PeerEvent::Back).await;
    let frame = RelayFrame::Delivered {
        session: None,
        seq: acked,
    };
    relay
        .to_visitor(&session, ForVisitor::Frame { frame })
        .await;
    true
}
