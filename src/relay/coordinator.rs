//! A coordinator's WebSocket: challenge-response authentication against the organisation
//! key and revocation list, then duty, queue, claims, relaying, transfers and the tip inbox.
//!
//! A coordinator whose connection dies is taken off duty at once; each of their visitors is
//! told and put back at the front of the queue, to be answered by someone else.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};

use super::Relay;
use super::connection::{self, Inbox, Incoming, Outbox};
use super::metrics::Metrics;
use super::routing::LiveCoordinator;
use super::visitor::end_session;
use crate::crypto::certificate::{Certificate, Role};
use crate::crypto::keys::random_bytes;
use crate::crypto::labelled;
use crate::keyfile::now;
use crate::protocol::b64::Fixed;
use crate::protocol::frames::{MAX_FRAME_BYTES, MAX_LANG_BYTES, PeerEvent, TipSummary};
use crate::protocol::{self, Bytes, CloseCode, CoordinatorFrame, RelayFrame};
use crate::store::{Append, Assignment, ChatStore, SessionId, StoredFrame, Way, now_minute};

pub const AUTH_LABEL: &str = "lifeline v1 coordinator auth";
pub const MAX_CAPACITY: u8 = 16;

pub async fn upgrade(State(relay): State<Arc<Relay>>, ws: WebSocketUpgrade) -> Response {
    let Some(slot) = relay.admit() else {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    };
    ws.read_buffer_size(8192)
        // Twice our own limit: frames in between get our close code (4002) from the
        // decoder; only absurd ones hit tungstenite's hard stop.
        .max_message_size(2 * MAX_FRAME_BYTES)
        .max_frame_size(2 * MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            run(relay, socket).await;
            drop(slot);
        })
}

/// What the coordinator signs to authenticate: the relay's nonce and the organisation.
pub fn auth_message(nonce: &[u8; 32], org: &crate::crypto::Fingerprint) -> Vec<u8> {
    labelled(AUTH_LABEL, &[nonce, &org.0])
}

async fn run(relay: Arc<Relay>, socket: WebSocket) {
    let limits = &relay.config.limits;
    // Coordinators legitimately send more than visitors (several conversations at once).
    let mut rates = relay.rate_limits();
    rates.frames_per_s = rates.frames_per_s.saturating_mul(MAX_CAPACITY as u32);
    rates.frames_burst = rates.frames_burst.saturating_mul(MAX_CAPACITY as u32);
    rates.bytes_per_s = rates.bytes_per_s.saturating_mul(4);
    let mut inbox = connection::open(
        socket,
        limits.outbound_queue * 4,
        relay.idle_timeout(),
        rates,
    );
    Metrics::inc(&relay.metrics.coordinator_connections);
    if let Some(serial) = authenticate(&relay, &mut inbox).await {
        serve(&relay, &mut inbox, serial).await;
        disconnected(&relay, serial, &inbox.outbox).await;
    }
    inbox.outbox.close(CloseCode::Ended);
    inbox.drain().await;
    Metrics::dec(&relay.metrics.coordinator_connections);
}

fn decode(relay: &Relay, inbox: &Inbox, text: &str) -> Option<CoordinatorFrame> {
    match protocol::decode_coordinator(text) {
        Ok(frame) => Some(frame),
        Err(e) => {
            tracing::debug!(error = %e, "refused coordinator frame");
            Metrics::inc(&relay.metrics.protocol_closes);
            inbox.fail(e.close_code());
            None
        }
    }
}

async fn authenticate(relay: &Arc<Relay>, inbox: &mut Inbox) -> Option<u64> {
    let nonce: [u8; 32] = random_bytes();
    inbox.outbox.send(RelayFrame::AuthChallenge {
        nonce: Fixed(nonce),
    });
    let Incoming::Text(text) = inbox.next().await else {
        return None;
    };
    let CoordinatorFrame::Auth {
        certificate,
        signature,
    } = decode(relay, inbox, &text)?
    else {
        inbox.fail(CloseCode::Unexpected);
        return None;
    };
    let keys = &relay.keys;
    let checked = Certificate::decode_verified(
        &certificate.0,
        &keys.organisation,
        now(),
        Some(&keys.revocations),
        Role::Coordinator,
    );
    let cert = match checked {
        Ok(cert) => cert,
        Err(e) => {
            tracing::info!(reason = %e, "coordinator authentication refused");
            inbox.fail(CloseCode::AuthFailed);
            return None;
        }
    };
    if !cert.body().ed25519_public.verify(
        &auth_message(&nonce, &keys.organisation.fingerprint()),
        &signature.0,
    ) {
        tracing::info!("coordinator authentication refused: bad challenge signature");
        inbox.fail(CloseCode::AuthFailed);
        return None;
    }
    let serial = cert.body().serial;
    let alias = cert.body().alias.clone();
    let previous = relay.live.with(|live| {
        live.coordinators.insert(
            serial,
            LiveCoordinator {
                outbox: inbox.outbox.clone(),
                alias: alias.clone(),
                on_duty: false,
                capacity: 1,
                langs: vec![],
                sessions: HashSet::new(),
            },
        )
    });
    if let Some(previous) = previous {
        // The same coordinator signed in again: the old connection's visitors are requeued.
        previous.outbox.close(CloseCode::Replaced);
        release_all(relay, previous.sessions).await;
    }
    tracing::info!("coordinator authenticated");
    inbox.outbox.send(RelayFrame::Authed {
        alias,
        serial,
        not_after: cert.body().not_after,
    });
    Some(serial)
}

fn holds(relay: &Relay, serial: u64, session: &SessionId) -> bool {
    relay.live.with(|live| {
        live.coordinators
            .get(&serial)
            .is_some_and(|c| c.sessions.contains(session))
    })
}

async fn serve(relay: &Arc<Relay>, inbox: &mut Inbox, serial: u64) {
    while let Incoming::Text(text) = inbox.next().await {
        let Some(frame) = decode(relay, inbox, &text) else {
            return;
        };
        let out = &inbox.outbox;
        match frame {
            CoordinatorFrame::Duty {
                on,
                capacity,
                langs,
            } => {
                if capacity == 0
                    || capacity > MAX_CAPACITY
                    || langs.len() > 8
                    || langs.iter().any(|l| l.len() > MAX_LANG_BYTES)
                {
                    inbox.fail(CloseCode::Malformed);
                    return;
                }
                relay.live.with(|live| {
                    if let Some(c) = live.coordinators.get_mut(&serial) {
                        c.on_duty = on;
                        c.capacity = capacity as u32;
                        c.langs = langs;
                    }
                });
                tracing::info!(on_duty = on, "coordinator duty changed");
                relay.broadcast_queue().await;
                if !on {
                    out.send(RelayFrame::QueueList {
                        items: vec![],
                        total: 0,
                    });
                }
            }
            CoordinatorFrame::Claim { session } => claim(relay, out, serial, session.0).await,
            CoordinatorFrame::Msg {
                session,
                seq,
                kind,
                body,
            } => {
                if !holds(relay, serial, &session.0) {
                    out.send(RelayFrame::Released { session });
                    continue;
                }
                let _ = relay.store.touch(&session.0, now_minute()).await;
                let stored = StoredFrame {
                    seq,
                    kind,
                    body: body.0,
                };
                match relay
                    .store
                    .append(
                        &session.0,
                        Way::ToVisitor,
                        stored.clone(),
                        relay.buffer_limits(),
                    )
                    .await
                {
                    Ok(Append::Stored) => {
                        Metrics::inc(&relay.metrics.frames_relayed);
                        out.send(RelayFrame::Stored {
                            session: Some(session),
                            seq,
                        });
                        // The visitor's delivery task reads it from the store, in order.
                        relay.live.with(|live| live.visitor_wake(&session.0));
                    }
                    Ok(Append::Duplicate) => {
                        out.send(RelayFrame::Stored {
                            session: Some(session),
                            seq,
                        });
                    }
                    Ok(Append::Gap { .. }) => {
                        Metrics::inc(&relay.metrics.protocol_closes);
                        inbox.fail(CloseCode::Unexpected);
                        return;
                    }
                    Ok(Append::Full) => end_session(relay, &session.0, Some(serial)).await,
                    Err(_) => {
                        out.send(RelayFrame::Retry { after_s: 5 });
                    }
                }
            }
            CoordinatorFrame::Ack { session, seq } => {
                if holds(relay, serial, &session.0)
                    && let Ok(acked) = relay.store.ack(&session.0, Way::ToCoordinator, seq).await
                {
                    relay.live.with(|live| {
                        live.visitor_send(
                            &session.0,
                            RelayFrame::Delivered {
                                session: None,
                                seq: acked,
                            },
                        )
                    });
                }
            }
            CoordinatorFrame::Transfer { session, to } => {
                transfer(relay, out, serial, session.0, to).await
            }
            CoordinatorFrame::End { session } => {
                if holds(relay, serial, &session.0) {
                    // The coordinator's last frames (its authenticated close) go out first.
                    let visitor = relay
                        .live
                        .with(|live| live.visitors.get(&session.0).cloned());
                    if let Some(visitor) = visitor {
                        super::visitor::send_pending(relay, &session.0, &visitor).await;
                    }
                    end_session(relay, &session.0, Some(serial)).await;
                } else {
                    out.send(RelayFrame::Released { session });
                }
            }
            CoordinatorFrame::ListTips {} => send_tip_list(relay, out),
            CoordinatorFrame::OpenTip { id } => {
                match relay.tips.get(&id.0).filter(|t| !t.handled) {
                    Some(tip) => {
                        out.send(RelayFrame::Tip {
                            id,
                            sealed: Bytes(tip.sealed),
                            followups: tip.followups.into_iter().map(Bytes).collect(),
                        });
                    }
                    None => send_tip_list(relay, out),
                }
            }
            CoordinatorFrame::ReplyTip { id, sealed } => {
                if relay.tips.add_reply(&id.0, sealed.0).is_err() {
                    out.send(RelayFrame::Retry { after_s: 5 });
                }
                send_tip_list(relay, out);
            }
            CoordinatorFrame::CloseTip { id } => {
                if relay.tips.mark_handled(&id.0).is_err() {
                    out.send(RelayFrame::Retry { after_s: 5 });
                }
                send_tip_list(relay, out);
            }
            CoordinatorFrame::Ping {} => {
                out.send(RelayFrame::Pong {});
            }
            CoordinatorFrame::Auth { .. } => {
                inbox.fail(CloseCode::Unexpected);
                return;
            }
        }
    }
}

fn send_tip_list(relay: &Relay, out: &Outbox) {
    let items = relay
        .tips
        .list()
        .into_iter()
        .map(|t| TipSummary {
            id: Fixed(t.id),
            received: t.received_minute * 60,
            followups: t.followups.len() as u32,
            replies: t.replies.len() as u32,
        })
        .collect();
    out.send(RelayFrame::Tips { items });
}

async fn claim(relay: &Arc<Relay>, out: &Outbox, serial: u64, session: SessionId) {
    if !try_claim(relay, serial, session).await {
        out.send(RelayFrame::ClaimLost {
            session: Fixed(session),
        });
    }
}

/// Gives `session` to coordinator `serial` if it is queued, claimable, and they have room.
/// The store's atomic claim decides races: of two claims, exactly one returns true.
async fn try_claim(relay: &Arc<Relay>, serial: u64, session: SessionId) -> bool {
    let has_room = relay.live.with(|live| {
        live.coordinators
            .get(&serial)
            .is_some_and(|c| c.on_duty && (c.sessions.len() as u32) < c.capacity)
    });
    let ready =
        matches!(relay.store.get(&session).await, Ok(Some(ref i)) if !i.handshake.is_empty());
    let won = if has_room && ready {
        relay.store.claim(&session, serial).await.ok().flatten()
    } else {
        None
    };
    let Some(info) = won else { return false };
    // Frames the visitor sent under an earlier handshake cannot be read by this coordinator.
    let _ = relay
        .store
        .discard_pending(&session, Way::ToCoordinator)
        .await;
    Metrics::inc(&relay.metrics.claims);
    tracing::info!("session claimed");
    relay.live.with(|live| {
        if let Some(c) = live.coordinators.get_mut(&serial) {
            c.sessions.insert(session);
            c.outbox.send(RelayFrame::Claimed {
                session: Fixed(session),
                handshake: Bytes(info.handshake.clone()),
                kind: info.kind,
                lang: info.lang.clone(),
                next_seq: info.next_to_visitor,
                transferred_from: None,
            });
        }
        live.peer_to_visitor(&session, PeerEvent::Joined);
    });
    relay.broadcast_queue().await;
    true
}

/// `sessions.auto_offer`: each claimable visitor, oldest first, goes to the least-loaded
/// on-duty coordinator with room who speaks their language (anyone, if they gave none).
/// Visitors no one on duty speaks to stay in the queue for a manual claim.
pub async fn auto_offer(relay: &Arc<Relay>) {
    let queue = relay.store.queue().await.unwrap_or_default();
    for info in queue.iter().filter(|s| !s.handshake.is_empty()) {
        let pick = relay.live.with(|live| {
            live.coordinators
                .iter()
                .filter(|(_, c)| c.on_duty && (c.sessions.len() as u32) < c.capacity)
                .filter(|(_, c)| {
                    info.lang
                        .as_ref()
                        .is_none_or(|l| c.langs.iter().any(|x| x.eq_ignore_ascii_case(l)))
                })
                .min_by_key(|(serial, c)| {
                    (
                        c.sessions.len() * 1000 / c.capacity.max(1) as usize,
                        **serial,
                    )
                })
                .map(|(serial, _)| *serial)
        });
        if let Some(serial) = pick {
            try_claim(relay, serial, info.id).await;
        }
    }
}

async fn transfer(relay: &Arc<Relay>, out: &Outbox, serial: u64, session: SessionId, to: u64) {
    let moved = relay.live.with(|live| {
        let target_ok = to != serial
            && live
                .coordinators
                .get(&to)
                .is_some_and(|c| c.on_duty && (c.sessions.len() as u32) < c.capacity);
        let held = live
            .coordinators
            .get(&serial)
            .is_some_and(|c| c.sessions.contains(&session));
        if !(target_ok && held) {
            return None;
        }
        let from = live.coordinators.get_mut(&serial).map(|c| {
            c.sessions.remove(&session);
            c.alias.clone()
        })?;
        live.coordinators
            .get_mut(&to)
            .map(|c| c.sessions.insert(session));
        live.transferred_from.insert(session, from.clone());
        Some(from)
    });
    if moved.is_none() {
        out.send(RelayFrame::TransferFailed {
            session: Fixed(session),
        });
        return;
    }
    // The visitor must answer with a fresh ephemeral: never reuse one across handshakes.
    let _ = relay.store.assign(&session, to).await;
    let _ = relay.store.set_handshake(&session, Vec::new()).await;
    let _ = relay
        .store
        .discard_pending(&session, Way::ToCoordinator)
        .await;
    Metrics::inc(&relay.metrics.transfers);
    tracing::info!("session transferred");
    out.send(RelayFrame::Released {
        session: Fixed(session),
    });
    relay
        .live
        .with(|live| live.peer_to_visitor(&session, PeerEvent::Transferring));
    relay.broadcast_queue().await;
}

/// Puts every visitor of a departed coordinator back at the front of the queue.
async fn release_all(relay: &Relay, sessions: HashSet<SessionId>) {
    for session in sessions {
        if relay.store.requeue(&session).await.is_ok() {
            let _ = relay.store.set_handshake(&session, Vec::new()).await;
            relay.live.with(|live| {
                live.transferred_from.remove(&session);
                live.peer_to_visitor(&session, PeerEvent::Left);
            });
        }
    }
    relay.broadcast_queue().await;
}

async fn disconnected(relay: &Relay, serial: u64, outbox: &Outbox) {
    let gone = relay.live.with(|live| {
        if live
            .coordinators
            .get(&serial)
            .is_some_and(|c| c.outbox.id == outbox.id)
        {
            live.coordinators.remove(&serial)
        } else {
            None
        }
    });
    if let Some(c) = gone {
        tracing::info!(
            conversations = c.sessions.len(),
            "coordinator disconnected; visitors requeued"
        );
        release_all(relay, c.sessions).await;
    }
}

impl Assignment {
    pub fn holder(&self) -> Option<u64> {
        match self {
            Assignment::Claimed(serial) => Some(*serial),
            Assignment::Queued => None,
        }
    }
}
