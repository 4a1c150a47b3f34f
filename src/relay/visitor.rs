//! A visitor's WebSocket: challenge, hello or resume, then relaying and acknowledgements.
//!
//! States: `Challenged` (only `hello`, `ticket_hello` or `resume` accepted; a new session's
//! checks and creation are in `arrival.rs`, tickets in `ticket.rs`) → `Open` (msg, ack,
//! rekey, end, ping). Anything else closes this one connection with a code; the session
//! itself survives a dropped connection until its idle TTL.

use std::ops::ControlFlow;
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use rand_core::{OsRng, RngCore};
use subtle::ConstantTimeEq;

use super::arrival;
use super::connection::{self, Inbox, Incoming, Outbox};
use super::delivery::send_pending;
use super::erase::erase;
use super::events::ForCoordinator;
use super::generation::{resume_refusal, session_lost, token_generation, unless_lost};
use super::handoff;
use super::metrics::Metrics;
use super::resend::Refused;
use super::state::{Pool, Relay};
use super::ticket;
use crate::crypto::handshake::check_message1;
use crate::crypto::keys::Fingerprint;
use crate::crypto::proof_of_work;
use crate::protocol::b64::Fixed;
use crate::protocol::frames::{PayloadKind, PeerEvent};
use crate::protocol::{self, Bytes, CloseCode, RelayFrame, VisitorFrame};
use crate::store::{Append, Assignment, ChatStore, SessionId, StoredFrame, Way};

/// `GET /v1/visitor`: admits the connection (or answers 503 at the limit) and upgrades it.
pub async fn upgrade(State(relay): State<Arc<Relay>>, ws: WebSocketUpgrade) -> Response {
    let Some(slot) = relay.admit(Pool::Visitors) else {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    };
    connection::sized(ws, connection::VISITOR_READ_BUFFER).on_upgrade(move |socket| async move {
        run(relay, socket).await;
        drop(slot);
    })
}

async fn run(relay: Arc<Relay>, socket: WebSocket) {
    let c = &relay.config.limits;
    let mut inbox = connection::open(
        socket,
        c.outbound_queue,
        relay.idle_timeout(),
        relay.rate_limits(),
    );
    Metrics::inc(&relay.metrics.visitor_connections);
    // Boxed, so its large future is gone once the session is open (docs/benchmarks.md).
    let session = Box::pin(open_session(&relay, &mut inbox)).await;
    if let Some(session) = session {
        relay_frames(&relay, &mut inbox, session).await;
        Box::pin(disconnected(&relay, &session, &inbox.outbox)).await;
    }
    inbox.outbox.close(CloseCode::Ended);
    Box::pin(inbox.drain()).await;
    Metrics::dec(&relay.metrics.visitor_connections);
}

fn decode(inbox: &Inbox, text: &str) -> Option<VisitorFrame> {
    match protocol::decode_visitor(text) {
        Ok(frame) => Some(frame),
        Err(e) => {
            tracing::debug!(error = %e, "refused visitor frame");
            inbox.fail(e.close_code());
            None
        }
    }
}

pub(super) fn close<T>(relay: &Relay, inbox: &Inbox, code: CloseCode) -> Option<T> {
    Metrics::inc(&relay.metrics.protocol_closes);
    inbox.fail(code);
    None
}

/// Challenge, then a hello (new session) or a resume (existing one).
async fn open_session(relay: &Arc<Relay>, inbox: &mut Inbox) -> Option<SessionId> {
    // One getrandom for both: a syscall fewer per connection (docs/benchmarks.md, "Set-up").
    let mut fresh = [[0u8; 16]; 2];
    OsRng.fill_bytes(fresh.as_flattened_mut());
    let [id, seed] = fresh;
    let session = SessionId(id);
    let difficulty = relay.difficulty(relay.queued_now());
    inbox.outbox.send(RelayFrame::Challenge {
        session,
        seed: Fixed(seed),
        difficulty,
    });
    let Incoming::Text(text) = inbox.first(relay.challenge_timeout()).await else {
        return None;
    };
    match decode(inbox, &text)? {
        VisitorFrame::Hello {
            pow_nonce,
            kind,
            lang,
            handshake,
        } => {
            let Some(asked) = arrival::Asked::checked(kind, lang, handshake) else {
                return close(relay, inbox, CloseCode::Malformed);
            };
            if !proof_of_work::verify(&seed, &session.0, pow_nonce, difficulty) {
                return close(relay, inbox, CloseCode::ProofOfWork);
            }
            arrival::arrive(relay, inbox, session, asked).await
        }
        VisitorFrame::TicketHello {
            session,
            seed,
            pow_nonce,
            kind,
            lang,
            handshake,
        } => {
            let Some(asked) = arrival::Asked::checked(kind, lang, handshake) else {
                return close(relay, inbox, CloseCode::Malformed);
            };
            if !ticket::redeem(relay, &session, &seed.0, pow_nonce).await {
                return close(relay, inbox, CloseCode::ProofOfWork);
            }
            arrival::arrive(relay, inbox, session, asked).await
        }
        VisitorFrame::Resume {
            session,
            token,
            last_seq,
        } => resume(relay, inbox, session, token.0, last_seq).await,
        _ => close(relay, inbox, CloseCode::Unexpected),
    }
}

pub(super) fn welcome(
    relay: &Relay,
    session: SessionId,
    token: [u8; 32],
    next_seq: u64,
    delivered: u64,
) -> RelayFrame {
    RelayFrame::Welcome {
        session,
        token: Fixed(token),
        next_seq,
        delivered,
        revocations: Bytes(relay.revocations().as_bytes().to_vec()),
        erase_after_idle_s: relay.config.sessions.idle_ttl_s,
    }
}

async fn resume(
    relay: &Arc<Relay>,
    inbox: &mut Inbox,
    session: SessionId,
    token: [u8; 32],
    last_seq: u64,
) -> Option<SessionId> {
    let (info, ended) = match relay.store.get_with_end(&session).await {
        Ok(Some(read)) => read,
        // Issued in another generation: the store lost it, the visitor did nothing wrong.
        Ok(None) if token_generation(&token) != relay.store.generation() => {
            return close(relay, inbox, CloseCode::StoreLost);
        }
        // Of this generation, and gone: ended or expired, unless a check run now finds the
        // store lost it since (Redis back older, within the check that would have told).
        Ok(None) => {
            let code = unless_lost(relay, token_generation(&token), CloseCode::UnknownSession);
            return close(relay, inbox, code.await);
        }
        Err(_) => return close(relay, inbox, CloseCode::StoreUnavailable),
    };
    if !bool::from(Fingerprint::of(&token).0.ct_eq(&info.token_hash)) {
        return close(relay, inbox, CloseCode::UnknownSession);
    }
    // Ended, its erasure under way: over, never let back in (§9.7).
    if ended {
        return close(relay, inbox, CloseCode::Ended);
    }
    // Never re-based on the visitor's word: a store that lost what it had told the visitor
    // says so, and the conversation ends for both sides.
    if let Some(code) = resume_refusal(relay, &info, last_seq) {
        session_lost(relay, &session, info.assignment.holder()).await;
        return close(relay, inbox, code);
    }
    // What the visitor says it has is an acknowledgement.
    let acked = relay
        .store
        .ack(&session, Way::ToVisitor, last_seq)
        .await
        .unwrap_or(0);
    let _ = relay.store.touch(&session, relay.clock.unix_minute()).await;
    let holder = info.assignment.holder();
    // First, before the connection is registered: nothing may overtake the welcome.
    inbox.outbox.send(welcome(
        relay,
        session,
        token,
        info.next_to_coordinator,
        info.acked_to_coordinator,
    ));
    relay.live.with(|live| {
        if let Some(old) = live.visitors.insert(session, inbox.outbox.clone()) {
            old.close(CloseCode::Replaced);
        }
    });
    relay.visitor_arrived(&session).await;
    if let Assignment::Claimed(serial) = info.assignment {
        for frame in [
            RelayFrame::Peer {
                session: Some(session),
                event: PeerEvent::Returned,
            },
            RelayFrame::Delivered {
                session: Some(session),
                seq: acked,
            },
        ] {
            relay
                .to_coordinator(serial, ForCoordinator::Frame { frame })
                .await;
        }
    }
    Metrics::inc(&relay.metrics.sessions_resumed);
    tracing::debug!("visitor session resumed");
    // Registered first, replayed second: anything stored after this read wakes the delivery
    // task, which continues from the last frame replayed here. No gap, no duplicate.
    *inbox.outbox.delivered().lock().await = last_seq;
    send_pending(relay, &session, &inbox.outbox).await;
    // Their coordinator is away too, and is being waited for (§9.6).
    if matches!(info.assignment, Assignment::Held(_)) {
        inbox.outbox.send(RelayFrame::Peer {
            session: None,
            event: PeerEvent::Reconnecting,
        });
    }
    // Handed over or requeued while offline: the visitor still owes a fresh message 1.
    if info.handshake.is_empty() {
        let event = if holder.is_some() {
            PeerEvent::Transferring
        } else {
            PeerEvent::Left
        };
        inbox.outbox.send(RelayFrame::Peer {
            session: None,
            event,
        });
    }
    if holder.is_none() {
        relay.broadcast_queue().await;
    }
    Some(session)
}

/// Reads the visitor's frames and, whenever woken, sends what the store holds beyond what
/// this connection already got. Frames reach a visitor only through [`send_pending`], so they
/// arrive in order however the relay's tasks interleave. One task does both: an idle
/// visitor costs one task less (docs/benchmarks.md).
async fn relay_frames(relay: &Arc<Relay>, inbox: &mut Inbox, session: SessionId) {
    let outbox = inbox.outbox.clone();
    // Until the session is gone (its end is being delivered by whoever ended it).
    let mut delivering = send_pending(relay, &session, &outbox).await;
    let mut touched: Option<tokio::time::Instant> = None;
    let mut refused = Refused::default();
    loop {
        let text = tokio::select! {
            incoming = inbox.next() => match incoming {
                Incoming::Text(text) => text,
                Incoming::Closed => return,
            },
            woken = outbox.woken(), if delivering => {
                delivering = woken && handoff::deliver_to_visitor(relay, &session, &outbox).await;
                continue;
            }
        };
        if touched.is_none_or(|at| at.elapsed() >= relay.touch_interval()) {
            let _ = relay.store.touch(&session, relay.clock.unix_minute()).await;
            touched = Some(tokio::time::Instant::now());
        }
        // Boxed: the frame handlers' futures are large, and an idle visitor's task should
        // not carry them while it waits (docs/benchmarks.md).
        if Box::pin(handle_frame(relay, inbox, session, text, &mut refused))
            .await
            .is_break()
        {
            return;
        }
    }
}

/// Acts on one frame from the visitor; `Break` when the connection is done.
async fn handle_frame(
    relay: &Arc<Relay>,
    inbox: &mut Inbox,
    session: SessionId,
    text: Utf8Bytes,
    refused: &mut Refused,
) -> ControlFlow<()> {
    let Some(frame) = decode(inbox, &text) else {
        return ControlFlow::Break(());
    };
    let msg_seq = match &frame {
        VisitorFrame::Msg { seq, .. } => Some(*seq),
        _ => None,
    };
    // Read before the store is: a session gone since is ended only if the store is whole.
    let generation = relay.store.generation();
    // A message and an acknowledgement read the holder in the same step as their write
    // (one round trip on Redis, `store::redis::message_path`).
    let holder = if matches!(frame, VisitorFrame::Msg { .. } | VisitorFrame::Ack { .. }) {
        None
    } else {
        match relay.store.assignment(&session).await {
            Ok(Some(assignment)) => assignment.holder(),
            Ok(None) => {
                let code = unless_lost(relay, generation, CloseCode::Ended).await;
                close::<()>(relay, inbox, code);
                return ControlFlow::Break(());
            }
            Err(_) => {
                refused.answer(inbox, session, msg_seq, text.len());
                return ControlFlow::Continue(());
            }
        }
    };
    match frame {
        VisitorFrame::Msg { seq, body } => {
            let stored = StoredFrame {
                seq,
                kind: PayloadKind::Data,
                body: body.0.clone(),
            };
            let limits = relay.buffer_limits();
            let relayed = relay
                .store
                .relay_frame(
                    &session,
                    Way::ToCoordinator,
                    stored,
                    limits,
                    None,
                    &relay.nodes.id,
                )
                .await;
            let Ok(relayed) = relayed else {
                refused.answer(inbox, session, Some(seq), text.len());
                return ControlFlow::Continue(());
            };
            let holder = relayed.holder.as_ref().and_then(Assignment::holder);
            let woken_elsewhere = relay.nodes.woke(relayed.woke_node);
            match relayed.append {
                Some(append @ (Append::Stored | Append::Duplicate)) => {
                    if append == Append::Stored {
                        refused.stored(&session);
                        Metrics::inc(&relay.metrics.frames_relayed);
                    }
                    inbox.outbox.send(RelayFrame::Stored { session: None, seq });
                    // A duplicate wakes too: the store write it repeats may have run after
                    // timing out here, unannounced.
                    if let Some(serial) = holder
                        && !woken_elsewhere
                        && !(append == Append::Stored
                            && handoff::to_coordinator(relay, serial, session, seq, &body.0))
                    {
                        // The coordinator's delivery task reads it from the store.
                        let wake = ForCoordinator::Wake { session };
                        relay.to_coordinator(serial, wake).await;
                    }
                }
                // Sent before the visitor saw a `retry`: refused the same way (§9.4).
                Some(Append::Gap { .. }) if refused.awaiting_resend(&session, seq) => {
                    refused.answer(inbox, session, Some(seq), text.len());
                }
                // A store back from a snapshot expects a number it had confirmed (§9.5).
                Some(Append::Gap { .. }) => {
                    let code = unless_lost(relay, generation, CloseCode::Unexpected).await;
                    close::<()>(relay, inbox, code);
                    return ControlFlow::Break(());
                }
                Some(Append::Full) => {
                    end_session(relay, &session, holder).await;
                    return ControlFlow::Break(());
                }
                None => {
                    let code = unless_lost(relay, generation, CloseCode::Ended).await;
                    close::<()>(relay, inbox, code);
                    return ControlFlow::Break(());
                }
            }
        }
        VisitorFrame::Ack { seq } => {
            let node = &relay.nodes.id;
            let Ok(acked) = relay
                .store
                .ack_and_notify(&session, Way::ToVisitor, seq, None, node)
                .await
            else {
                refused.answer(inbox, session, None, text.len());
                return ControlFlow::Continue(());
            };
            let woken_elsewhere = relay.nodes.woke(acked.woke_node);
            let Some(holder) = acked.holder else {
                let code = unless_lost(relay, generation, CloseCode::Ended).await;
                close::<()>(relay, inbox, code);
                return ControlFlow::Break(());
            };
            if let (Some(seq), Some(serial)) = (acked.acked, holder.holder())
                && !woken_elsewhere
            {
                let frame = RelayFrame::Delivered {
                    session: Some(session),
                    seq,
                };
                relay
                    .to_coordinator(serial, ForCoordinator::Frame { frame })
                    .await;
            }
        }
        VisitorFrame::Rekey { handshake } => {
            if check_message1(&handshake.0).is_err() {
                close::<()>(relay, inbox, CloseCode::Malformed);
                return ControlFlow::Break(());
            }
            // A holder answering a current message 1 never gets a second one (§9.6): that
            // would restart a handshake under its feet and discard frames sent under keys
            // still in use. So only a queued session, or one handed over and waiting for the
            // visitor's fresh message 1, may be rekeyed. Queued covers a visitor told
            // `transferring` then `left` before its first rekey arrived: the later message 1
            // replaces the earlier one, and the next claim answers it.
            match relay.store.get(&session).await {
                Ok(Some(info))
                    if info.assignment == Assignment::Queued || info.handshake.is_empty() => {}
                Ok(_) => {
                    close::<()>(relay, inbox, CloseCode::Unexpected);
                    return ControlFlow::Break(());
                }
                Err(_) => {
                    refused.answer(inbox, session, None, text.len());
                    return ControlFlow::Continue(());
                }
            }
            // Whatever this visitor sent before the rekey was under the old keys: the next
            // coordinator cannot read it (the visitor re-encrypts what was undelivered).
            let _ = relay
                .store
                .discard_pending(&session, Way::ToCoordinator)
                .await;
            let _ = relay
                .store
                .set_handshake(&session, handshake.0.clone())
                .await;
            match holder {
                Some(serial) => {
                    let rekeyed = ForCoordinator::Rekeyed { session };
                    relay.to_coordinator(serial, rekeyed).await;
                }
                None => relay.broadcast_queue().await,
            }
        }
        VisitorFrame::TransferAnswer { accept } => {
            // Answered where the offer waits, beside its proposer's connection (§9.6).
            if let Some(serial) = holder {
                let answer = ForCoordinator::TransferAnswer { session, accept };
                relay.to_coordinator(serial, answer).await;
            }
        }
        VisitorFrame::End {} => {
            // Marked ended in the step that reads the holder (§9.7): a resume after this is
            // refused, although the erasure on the holder's node takes a moment more.
            match relay.store.end(&session).await {
                Ok(Some(assignment)) => end_session(relay, &session, assignment.holder()).await,
                // Already being ended by the other side, who tells this one; the
                // connection closes with 4010 below either way.
                Ok(None) => {}
                // Not marked: ended all the same (the erasure tries again until it succeeds).
                Err(_) => end_session(relay, &session, holder).await,
            }
            return ControlFlow::Break(());
        }
        VisitorFrame::Ping {} => {
            inbox.outbox.send(RelayFrame::Pong {});
            // Across nodes a wake is a PUBLISH, at most once: if one was lost, the frames
            // wait in the store. The widget's keepalive (every 30 s) then fetches them.
            if relay.nodes.is_shared() {
                send_pending(relay, &session, &inbox.outbox).await;
            }
        }
        VisitorFrame::Hello { .. }
        | VisitorFrame::TicketHello { .. }
        | VisitorFrame::Resume { .. } => {
            close::<()>(relay, inbox, CloseCode::Unexpected);
            return ControlFlow::Break(());
        }
    }
    ControlFlow::Continue(())
}

/// Ends a session from the visitor's side (or on overflow): every trace goes at once.
pub async fn end_session(relay: &Arc<Relay>, session: &SessionId, holder: Option<u64>) {
    Metrics::inc(&relay.metrics.sessions_ended);
    tracing::debug!("session ended");
    // The holder's node delivers what it has not had yet, then erases the session.
    let handed = match holder {
        Some(serial) => {
            let dropped = ForCoordinator::Dropped { session: *session };
            relay.to_holder(serial, session, dropped).await
        }
        None => false,
    };
    if !handed {
        erase(relay, session).await;
    }
    relay.live.with(|live| live.visitor_ended(session));
    relay.broadcast_queue().await;
}

async fn disconnected(relay: &Arc<Relay>, session: &SessionId, outbox: &Outbox) {
    let holder = relay
        .store
        .get(session)
        .await
        .ok()
        .flatten()
        .map(|i| i.assignment);
    let gone = relay.live.with(|live| {
        let ours = live
            .visitors
            .get(session)
            .is_some_and(|o| o.id == outbox.id);
        if ours {
            live.visitors.remove(session);
        }
        ours
    });
    if gone {
        tracing::debug!("visitor connection dropped");
        if let Some(Assignment::Claimed(serial)) = holder {
            let frame = RelayFrame::Peer {
                session: Some(*session),
                event: PeerEvent::Away,
            };
            relay
                .to_coordinator(serial, ForCoordinator::Frame { frame })
                .await;
        }
    }
}
