//! Reaching a visitor's or a coordinator's connection wherever it is: on this node the
//! request is carried out at once, on another it is sent there through the node link.
//! Handing a departed coordinator's conversation back to the queue is one such request.
//!
//! Messages never travel here: they are in the store, and the receiving side's node pulls
//! them in order when woken. Must never carry plaintext, an address, or anything about a
//! visitor but a session id.

use std::sync::Arc;

use super::consent::{Handover, answered};
use super::delivery::{offer_rekeyed, pull, send_pending};
use super::erase::erase;
use super::events::{Event, ForCoordinator, ForVisitor};
use super::state::Relay;
use crate::protocol::frames::PeerEvent;
use crate::protocol::{CloseCode, RelayFrame, SessionId};
use crate::store::ChatStore;

impl Relay {
    /// Acts on `what` for the visitor of `session`, on whichever node they are connected to.
    /// `false` if they are connected nowhere known.
    pub async fn to_visitor(self: &Arc<Self>, session: &SessionId, what: ForVisitor) -> bool {
        let here = self.live.with(|live| live.visitors.contains_key(session));
        if here {
            apply_to_visitor(self, session, what).await;
            return true;
        }
        let Some(link) = self.nodes.link() else {
            return false;
        };
        match link.visitor_node(session).await {
            Ok(Some(node)) if node != self.nodes.id => {
                let event = Event::Visitor {
                    session: *session,
                    what,
                };
                self.nodes.send_to(&node, &event).await
            }
            _ => false,
        }
    }

    /// Acts on `what` for coordinator `serial`, on whichever node they are connected to.
    /// `false` if they are connected nowhere known.
    pub async fn to_coordinator(self: &Arc<Self>, serial: u64, what: ForCoordinator) -> bool {
        let here = self
            .live
            .with(|live| live.coordinators.contains_key(&serial));
        if here {
            apply_to_coordinator(self, serial, what).await;
            return true;
        }
        if !self.nodes.is_shared() {
            return false;
        }
        let event = Event::Coordinator { serial, what };
        let mut tried = Vec::new();
        for fresh in [false, true] {
            // Signed in elsewhere a moment ago (a resume after a drop, §9.6, or after their
            // node died: nobody listens there any more): the roster read at the last
            // broadcast may not name them yet, and a wake lost here would wait for the next
            // heartbeat.
            if fresh {
                self.nodes.refresh_remote().await;
            }
            for node in self.nodes.remote_nodes_of(serial) {
                if !tried.contains(&node) {
                    if self.nodes.send_to(&node, &event).await {
                        return true;
                    }
                    tried.push(node);
                }
            }
        }
        false
    }

    /// Acts on `what` for the holder `serial` of `session`: first through the node the store
    /// names as the holder's (written when they claimed or resumed it), then as
    /// [`Self::to_coordinator`]. A coordinator back on a restarted node is in no roster
    /// until that node next announces one (up to a heartbeat), but the store points to
    /// them from their `resume_sessions` on (issue 24: a visitor's `end` was lost there).
    pub async fn to_holder(
        self: &Arc<Self>,
        serial: u64,
        session: &SessionId,
        what: ForCoordinator,
    ) -> bool {
        let here = self
            .live
            .with(|live| live.coordinators.contains_key(&serial));
        if !here
            && let Some(link) = self.nodes.link()
            && let Ok(Some(node)) = link.holder_node(session).await
            && node != self.nodes.id
        {
            let event = Event::Coordinator {
                serial,
                what: what.clone(),
            };
            if self.nodes.send_to(&node, &event).await {
                return true;
            }
        }
        self.to_coordinator(serial, what).await
    }

    /// The node coordinator `serial` is connected to, this one included; `None` if nowhere
    /// known.
    pub async fn node_of(&self, serial: u64) -> Option<String> {
        let here = self
            .live
            .with(|live| live.coordinators.contains_key(&serial));
        if here {
            return Some(self.nodes.id.clone());
        }
        let first = |relay: &Self| relay.nodes.remote_nodes_of(serial).into_iter().next();
        if let Some(node) = first(self) {
            return Some(node);
        }
        if !self.nodes.is_shared() {
            return None;
        }
        // Signed in elsewhere a moment ago (a resume after a drop, §9.6): the roster read at
        // the last broadcast may not name them yet.
        self.nodes.refresh_remote().await;
        first(self)
    }

    /// Records where a visitor is connected; tells the node it was connected to before.
    pub async fn visitor_arrived(self: &Arc<Self>, session: &SessionId) {
        let Some(link) = self.nodes.link() else {
            return;
        };
        if let Ok(Some(previous)) = link.set_visitor_node(session, &self.nodes.id).await {
            let event = Event::Visitor {
                session: *session,
                what: ForVisitor::Replaced,
            };
            self.nodes.send_to(&previous, &event).await;
        }
    }
}

/// Carries out `what` on this node's connection of that visitor, if any.
pub async fn apply_to_visitor(relay: &Arc<Relay>, session: &SessionId, what: ForVisitor) {
    match what {
        ForVisitor::Wake => relay.live.with(|live| live.visitor_wake(session)),
        ForVisitor::Frame { frame } => relay.live.with(|live| live.visitor_send(session, frame)),
        ForVisitor::End => {
            let visitor = relay.live.with(|live| live.visitors.get(session).cloned());
            if let Some(visitor) = &visitor {
                // The coordinator's last frames (its authenticated close) go out first.
                send_pending(relay, session, visitor).await;
            }
            // Told before the erasure: a frame the visitor sends meanwhile must not find the
            // session gone and be answered with a bare close instead of `ended`.
            relay.live.with(|live| live.visitor_ended(session));
            erase(relay, session).await;
        }
        ForVisitor::Replaced => relay.live.with(|live| {
            if let Some(outbox) = live.visitors.remove(session) {
                outbox.close(CloseCode::Replaced);
            }
        }),
    }
}

/// Carries out `what` on this node's connection of that coordinator, if any.
pub async fn apply_to_coordinator(relay: &Arc<Relay>, serial: u64, what: ForCoordinator) {
    match what {
        ForCoordinator::Wake { session } => relay.live.with(|live| {
            if let Some(c) = live.coordinators.get_mut(&serial) {
                c.wake(session);
            }
        }),
        ForCoordinator::Frame { frame } => {
            relay.live.with(|live| live.coordinator_send(serial, frame))
        }
        ForCoordinator::Assigned {
            session,
            from,
            note,
            note_from,
        } => {
            relay.live.with(|live| {
                if let Some(c) = live.coordinators.get_mut(&serial) {
                    c.sessions.insert(session);
                    let handover = Handover {
                        from,
                        note,
                        note_from,
                    };
                    live.transferred_from.insert(session, handover);
                }
            });
            relay.broadcast_queue().await;
        }
        ForCoordinator::Rekeyed { session } => offer_rekeyed(relay, serial, &session).await,
        ForCoordinator::TransferAnswer { session, accept } => {
            // Boxed: an accepted hand-over reaches the colleague's connection through here.
            Box::pin(answered(relay, serial, session, accept)).await
        }
        ForCoordinator::Dropped { session } => {
            let outbox = relay
                .live
                .with(|live| live.coordinators.get(&serial).map(|c| c.outbox.clone()));
            if let Some(outbox) = outbox {
                // The visitor's last frames (their authenticated close) go out first.
                pull(relay, serial, &outbox, &session).await;
            }
            // Erased before `released`: the coordinator is told only what is true.
            erase(relay, &session).await;
            relay.live.with(|live| {
                live.transferred_from.remove(&session);
                live.offers.remove(&session);
                if let Some(c) = live.coordinators.get_mut(&serial)
                    && c.sessions.remove(&session)
                {
                    live.peer_to_coordinator(serial, &session, PeerEvent::Ended);
                    live.coordinator_send(serial, RelayFrame::Released { session });
                }
            });
            relay.broadcast_queue().await;
        }
        ForCoordinator::Lost { session } => relay
            .live
            .with(|live| live.conversation_lost(serial, &session)),
        ForCoordinator::Replaced => relay.live.with(|live| {
            // Removed first, so its disconnection releases nothing: the new node has.
            if let Some(c) = live.coordinators.remove(&serial) {
                c.outbox.close(CloseCode::Replaced);
            }
        }),
    }
}

/// Tells the visitor of `session` what happened to their coordinator, wherever they are.
pub async fn peer_to_visitor(relay: &Arc<Relay>, session: &SessionId, event: PeerEvent) {
    let frame = RelayFrame::Peer {
        session: None,
        event,
    };
    relay.to_visitor(session, ForVisitor::Frame { frame }).await;
}

/// Puts a conversation back at the front of the queue if coordinator `serial` still holds it
/// (they departed, or gave it back with `release`), and tells the visitor (who answers with a
/// fresh handshake). Whether it went back: `false` if it was not theirs or the store failed.
pub async fn release(relay: &Arc<Relay>, session: &SessionId, serial: u64) -> bool {
    let back = matches!(relay.store.requeue(session, serial).await, Ok(true));
    if back {
        requeued(relay, session, Some(serial)).await;
    }
    back
}

/// What follows once `session`, last `holder`'s, is back in the queue: the visitor owes a
/// fresh handshake and is told; nothing of the conversation stays with `holder` here.
/// `None`: the holder is not known (`mend`), so any coordinator here still listing it is
/// told it is no longer theirs.
pub async fn requeued(relay: &Arc<Relay>, session: &SessionId, holder: Option<u64>) {
    let _ = relay.store.set_handshake(session, Vec::new()).await;
    relay.live.with(|live| {
        live.transferred_from.remove(session);
        live.offers.remove(session);
        match holder {
            // Gone from here, or signed in again without it: nothing to tell.
            Some(serial) => {
                if let Some(c) = live.coordinators.get_mut(&serial) {
                    c.sessions.remove(session);
                }
            }
            None => {
                for c in live.coordinators.values_mut() {
                    if c.sessions.remove(session) {
                        c.outbox.send(RelayFrame::Released { session: *session });
                    }
                }
            }
        }
    });
    peer_to_visitor(relay, session, PeerEvent::Left).await;
    relay.broadcast_queue().await;
}

/// Forgets sessions another node's sweep erased: their connections here are told.
pub fn forget_expired(relay: &Relay, expired: &[SessionId]) {
    relay.live.with(|live| {
        for id in expired {
            if let Some(outbox) = live.visitors.remove(id) {
                outbox.close(CloseCode::UnknownSession);
            }
            live.transferred_from.remove(id);
            for c in live.coordinators.values_mut() {
                if c.sessions.remove(id) {
                    c.outbox.send(RelayFrame::Released { session: *id });
                }
            }
        }
    });
}
