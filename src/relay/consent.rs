//! Consent before a hand-over (`docs/protocol.md` §9.6): a coordinator proposes handing a
//! conversation to a colleague; the visitor is shown who (the colleague's certificate, to
//! verify) and chooses. Accepted: the session moves and the visitor re-keys, as a transfer
//! always did. Declined, or no answer within `sessions.transfer_answer_s`: nothing moves.
//!
//! An offer lives on the node of the coordinator who proposed it, next to their connection:
//! the visitor's answer is routed there like any other request for that coordinator. It must
//! never move a session the visitor did not accept, nor one its proposer no longer holds.

use std::sync::Arc;
use std::time::Duration;

use super::connection::Outbox;
use super::events::{ForCoordinator, ForVisitor};
use super::forward::peer_to_visitor;
use super::metrics::Metrics;
use super::state::Relay;
use crate::protocol::frames::{PeerEvent, TransferStatus};
use crate::protocol::{Bytes, RelayFrame, SessionId};
use crate::store::{Assignment, ChatStore, Way};

/// A hand-over proposed and not answered yet.
pub struct Offer {
    /// Told apart from a later offer of the same session, so an old timer cannot end it.
    pub id: u64,
    /// The proposer's certificate serial.
    pub from: u64,
    /// The colleague who would take over.
    pub to: u64,
    /// The proposer's sealed note for the colleague (§5.1), if any.
    pub note: Option<Bytes>,
}

/// What the colleague taking over is told with `claimed`, once the visitor has re-keyed.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The previous holder's alias.
    pub from: String,
    /// The previous holder's sealed note, if they wrote one.
    pub note: Option<Bytes>,
    /// The previous holder's certificate, sent with a note: its sender key.
    pub note_from: Option<Bytes>,
}

/// Whether this node lists `session` among coordinator `serial`'s conversations (the store
/// has the final word: `holds`, or the message path's scripts).
pub fn listed(relay: &Relay, serial: u64, session: &SessionId) -> bool {
    relay.live.with(|live| {
        live.coordinators
            .get(&serial)
            .is_some_and(|c| c.sessions.contains(session))
    })
}

/// Whether `serial` holds `session`: in this node's registry, and in the store. A node cut
/// off from the others may still list a session that another node has since requeued (its
/// orphan release) and someone else claimed; the store's owner is the truth. If the store
/// cannot be read, the step that follows fails on it anyway.
pub async fn holds(relay: &Arc<Relay>, serial: u64, session: &SessionId) -> bool {
    listed(relay, serial, session)
        && match relay.store.assignment(session).await {
            Ok(Some(Assignment::Claimed(s))) => s == serial,
            // Held for them by a node that noticed their old connection's drop only after
            // they had resumed here (its `Replaced` lost): theirs again (§9.6).
            Ok(Some(Assignment::Held(s))) if s == serial => {
                super::grace::reclaim(relay, serial, session).await
            }
            Ok(_) => false,
            Err(_) => true,
        }
}

impl Relay {
    /// The certificate of coordinator `serial`, connected here or to another node.
    fn certificate_of(&self, serial: u64) -> Option<Bytes> {
        let local = self.live.with(|live| {
            live.coordinators
                .get(&serial)
                .map(|c| c.certificate.clone())
        });
        local.or_else(|| {
            self.nodes
                .remote()
                .into_iter()
                .find(|e| e.serial == serial)
                .map(|e| e.certificate)
                .filter(|c| !c.0.is_empty())
        })
    }
}

fn status(out: &Outbox, session: SessionId, status: TransferStatus) {
    out.send(RelayFrame::TransferStatus { session, status });
}

/// `transfer {session, to, note?}`: asks the visitor, or refuses at once (`transfer_failed`)
/// if the colleague has no room, the session is not held with a current handshake, or an
/// offer of it is already waiting.
pub async fn propose(
    relay: &Arc<Relay>,
    out: &Outbox,
    serial: u64,
    session: SessionId,
    to: u64,
    note: Option<Bytes>,
) {
    let answered_handshake =
        matches!(relay.store.get(&session).await, Ok(Some(ref i)) if !i.handshake.is_empty());
    let certificate = relay.certificate_of(to);
    let possible = to != serial
        && relay.has_room(to)
        && answered_handshake
        && holds(relay, serial, &session).await;
    let id = relay.live.with(|live| {
        let asking = live.offers.get(&session).is_some_and(|o| o.from == serial);
        if !possible || asking || certificate.is_none() {
            return None;
        }
        live.next_offer += 1;
        let id = live.next_offer;
        live.offers.insert(
            session,
            Offer {
                id,
                from: serial,
                to,
                note,
            },
        );
        Some(id)
    });
    let (Some(id), Some(certificate)) = (id, certificate) else {
        out.send(RelayFrame::TransferFailed { session });
        return;
    };
    let answer_within_s = relay.config.sessions.transfer_answer_s;
    let frame = RelayFrame::TransferOffer {
        certificate,
        answer_within_s: answer_within_s.min(u32::MAX as u64) as u32,
    };
    if !relay
        .to_visitor(&session, ForVisitor::Frame { frame })
        .await
    {
        // No one to ask (their connection is away): nothing moves.
        relay.live.with(|live| live.offers.remove(&session));
        out.send(RelayFrame::TransferFailed { session });
        return;
    }
    tracing::debug!("hand-over proposed to the visitor");
    status(out, session, TransferStatus::Waiting);
    let relay = relay.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(answer_within_s)).await;
        let expired = relay.live.with(|live| {
            let current = live.offers.get(&session).is_some_and(|o| o.id == id);
            current.then(|| live.offers.remove(&session)).flatten()
        });
        if let Some(offer) = expired {
            tracing::debug!("hand-over not answered in time: the visitor stays");
            withdraw(&relay, &session).await;
            tell(&relay, offer.from, session, TransferStatus::Expired);
        }
    });
}

fn tell(relay: &Relay, serial: u64, session: SessionId, status: TransferStatus) {
    relay
        .live
        .with(|live| live.coordinator_send(serial, RelayFrame::TransferStatus { session, status }));
}

async fn withdraw(relay: &Arc<Relay>, session: &SessionId) {
    let frame = RelayFrame::TransferWithdrawn {};
    relay.to_visitor(session, ForVisitor::Frame { frame }).await;
}

/// The visitor of `session` answered; carried out on the node of its holder `serial`. An
/// answer to no offer (it expired, or was never made) changes nothing.
pub async fn answered(relay: &Arc<Relay>, serial: u64, session: SessionId, accept: bool) {
    let offer = relay.live.with(|live| {
        let mine = live.offers.get(&session).is_some_and(|o| o.from == serial);
        mine.then(|| live.offers.remove(&session)).flatten()
    });
    let Some(offer) = offer else { return };
    if accept {
        hand_over(relay, offer, session).await;
    } else {
        tracing::debug!("hand-over declined: the visitor stays");
        tell(relay, serial, session, TransferStatus::Declined);
    }
}

/// Moves an accepted offer's session to the colleague, if they still have room and the
/// proposer still holds it; otherwise the proposer keeps it and the visitor is told.
async fn hand_over(relay: &Arc<Relay>, offer: Offer, session: SessionId) {
    let serial = offer.from;
    let to = offer.to;
    let possible = holds(relay, serial, &session).await && relay.has_room(to);
    let moved = relay.live.with(|live| {
        if !possible {
            return None;
        }
        live.coordinators.get_mut(&serial).map(|c| {
            c.sessions.remove(&session);
            (c.alias.clone(), c.certificate.clone())
        })
    });
    let Some((from, certificate)) = moved else {
        withdraw(relay, &session).await;
        relay
            .live
            .with(|live| live.coordinator_send(serial, RelayFrame::TransferFailed { session }));
        return;
    };
    // The colleague's node is written with the owner, so the visitor's wakes follow them.
    let node = relay.node_of(to).await.unwrap_or_default();
    if relay.store.assign(&session, to, &node).await.is_err() {
        // The store did not take it (down, or the conversation just ended): it stays the
        // proposer's, as for any hand-over that cannot happen. Carried on, the colleague
        // would hold a conversation the store does not give them, the proposer none.
        relay.live.with(|live| {
            if let Some(c) = live.coordinators.get_mut(&serial) {
                c.sessions.insert(session);
            }
            live.coordinator_send(serial, RelayFrame::TransferFailed { session });
        });
        withdraw(relay, &session).await;
        return;
    }
    tell(relay, serial, session, TransferStatus::Accepted);
    // The visitor must answer with a fresh ephemeral: never reuse one across handshakes.
    let _ = relay.store.set_handshake(&session, Vec::new()).await;
    let _ = relay
        .store
        .discard_pending(&session, Way::ToCoordinator)
        .await;
    Metrics::inc(&relay.metrics.transfers);
    tracing::debug!("session transferred");
    relay
        .live
        .with(|live| live.coordinator_send(serial, RelayFrame::Released { session }));
    let note_from = offer.note.as_ref().map(|_| certificate);
    let handover = ForCoordinator::Assigned {
        session,
        from,
        note: offer.note,
        note_from,
    };
    // Told before the visitor, so the visitor's fresh handshake finds them holding it.
    relay.to_coordinator(to, handover).await;
    peer_to_visitor(relay, &session, PeerEvent::Transferring).await;
    relay.broadcast_queue().await;
}
