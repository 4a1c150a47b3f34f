//! Moving what the store holds into this node's connections: a visitor's or a
//! coordinator's stored frames (in order, each once), a re-keyed visitor's handshake, the
//! tips inbox.
//!
//! Frames reach a connection only through here, whichever node stored them. Must never
//! decide routing (who holds what): it reads the store and the live connections only.

use super::connection::Outbox;
use super::state::Relay;
use crate::protocol::b64::Bytes;
use crate::protocol::{self, RelayFrame, SessionId};
use crate::store::{Assignment, ChatStore, StoreError, Way};

/// Queues every stored coordinator-to-visitor frame this connection has not had yet, in
/// order. `false` once the session is gone or the connection closed.
pub async fn send_pending(relay: &Relay, session: &SessionId, outbox: &Outbox) -> bool {
    let mut delivered = outbox.delivered().lock().await;
    let frames = match relay
        .store
        .pending(session, Way::ToVisitor, *delivered)
        .await
    {
        Ok(frames) => frames,
        Err(StoreError::UnknownSession) => return false,
        // Store unreachable: try again shortly, or frames stored before the outage would
        // wait for the next wake, which may never come.
        Err(_) => {
            wake_soon(outbox.clone());
            return true;
        }
    };
    for frame in frames {
        let seq = frame.seq;
        if !outbox.send_text(protocol::encode_deliver(None, seq, frame.kind, &frame.body)) {
            return false;
        }
        *delivered = seq;
    }
    outbox.handed_sent_through(*delivered);
    true
}

/// Queues the conversation's stored visitor frames this connection has not had yet, in
/// order. Frames reach a coordinator only through here (one pull at a time per connection),
/// so they arrive once each and in order, whichever node stored them.
pub async fn pull(relay: &Relay, serial: u64, outbox: &Outbox, session: &SessionId) {
    let _turn = outbox.delivered().lock().await;
    let after = relay.live.with(|live| {
        let c = live.coordinators.get_mut(&serial)?;
        if c.outbox.id != outbox.id || !c.sessions.contains(session) {
            c.delivered.remove(session);
            c.handed.remove(session);
            return None;
        }
        Some(c.delivered.get(session).copied().unwrap_or(0))
    });
    let Some(after) = after else { return };
    let Ok(frames) = relay
        .store
        .pending(session, Way::ToCoordinator, after)
        .await
    else {
        // The store is unreachable: this conversation is pulled again shortly.
        relay.live.with(|live| {
            if let Some(c) = live.coordinators.get_mut(&serial) {
                c.woken.insert(*session);
            }
        });
        wake_soon(outbox.clone());
        return;
    };
    let mut last = after;
    for frame in frames {
        last = frame.seq;
        outbox.send_text(protocol::encode_deliver(
            Some(session),
            frame.seq,
            frame.kind,
            &frame.body,
        ));
    }
    relay.live.with(|live| {
        if let Some(c) = live.coordinators.get_mut(&serial) {
            c.delivered.insert(*session, last);
            if let Some(handed) = c.handed.get_mut(session) {
                handed.sent_through(last);
                if handed.is_empty() {
                    c.handed.remove(session);
                }
            }
        }
    });
}

/// How long a delivery that could not read the store waits before trying again.
const STORE_RETRY: std::time::Duration = std::time::Duration::from_millis(250);

/// Wakes a connection's delivery again after [`STORE_RETRY`] (the store failed a read).
fn wake_soon(outbox: Outbox) {
    tokio::spawn(async move {
        tokio::time::sleep(STORE_RETRY).await;
        outbox.wake();
    });
}

/// After a hand-over, the new holder gets the visitor's fresh Noise message 1.
pub async fn offer_rekeyed(relay: &Relay, serial: u64, session: &SessionId) {
    let Ok(Some(info)) = relay.store.get(session).await else {
        return;
    };
    if info.assignment != Assignment::Claimed(serial) || info.handshake.is_empty() {
        return;
    }
    relay.live.with(|live| {
        let handover = live.transferred_from.remove(session);
        let (from, note, note_from) = match handover {
            Some(h) => (Some(h.from), h.note, h.note_from),
            None => (None, None, None),
        };
        live.coordinator_send(
            serial,
            RelayFrame::Claimed {
                session: *session,
                handshake: Bytes(info.handshake.clone()),
                kind: info.kind,
                lang: info.lang.clone(),
                next_seq: info.next_to_visitor,
                transferred_from: from,
                note,
                note_from,
            },
        );
    });
}

/// The tips inbox as coordinators see it: ciphertext stays until one opens a tip. `None`
/// when the store cannot list it: an empty list would say nothing waits.
pub async fn tip_list(relay: &Relay) -> Option<RelayFrame> {
    let items = relay.tips.list().await.ok()?;
    Some(RelayFrame::Tips { items })
}

/// Sends every on-duty coordinator on this node the current tips inbox; nothing when the
/// store cannot list it (they keep the inbox they have until the next change or list).
pub async fn notify_tips(relay: &Relay) {
    let Some(list) = tip_list(relay).await else {
        tracing::warn!("tips inbox not broadcast: the tip store could not list it");
        return;
    };
    let text = protocol::encode_frame(list);
    relay.live.with(|live| {
        for c in live.coordinators.values().filter(|c| c.on_duty) {
            c.outbox.send_text(text.clone());
        }
    });
}
