//! A coordinator's WebSocket: challenge-response authentication against the organisation
//! key and revocation list, then duty, queue, claims, relaying, transfers and the tip inbox.
//!
//! A coordinator whose connection dies is taken off duty at once; their conversations are
//! held for them to resume (`grace`), or, after a clean sign-out, each visitor is told and
//! put back at the front of the queue, to be answered by someone else.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};

use super::connection::{self, Inbox, Incoming, Outbox};
use super::consent::{holds, listed, propose};
use super::erase::erase;
use super::events::{ForCoordinator, ForVisitor};
use super::forward::{apply_to_coordinator, peer_to_visitor, release};
use super::generation::lost_since;
use super::grace;
use super::handoff::{self, deliver_to_coordinator};
use super::metrics::Metrics;
use super::renewal::{check_sign_in, renew};
use super::resend::Refused;
use super::routing::LiveCoordinator;
use super::state::{Pool, Relay};
use super::touched::Touched;
use super::visitor::end_session;
use crate::crypto::handover_note::SEALED_NOTE_LEN;
use crate::crypto::keys::random_bytes;
use crate::protocol::b64::Fixed;
use crate::protocol::frames::{MAX_RESUMED, PeerEvent, is_lang_tag};
use crate::protocol::{self, Bytes, CloseCode, CoordinatorFrame, RelayFrame};
use crate::store::{Append, Assignment, ChatStore, SessionId, SessionInfo, StoredFrame, Way};
use std::collections::HashMap;

/// The most conversations a coordinator may hold at once; their rate limits scale with it.
pub const MAX_CAPACITY: u8 = 16;

/// `GET /v1/coordinator`: admits the connection (or answers 503 at the limit) and upgrades it.
pub async fn upgrade(State(relay): State<Arc<Relay>>, ws: WebSocketUpgrade) -> Response {
    let Some(slot) = relay.admit(Pool::Coordinators) else {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    };
    connection::sized(ws, connection::COORDINATOR_READ_BUFFER).on_upgrade(
        move |socket| async move {
            run(relay, socket).await;
            drop(slot);
        },
    )
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
    if let Some(signed_in) = authenticate(&relay, &mut inbox).await {
        let serial = signed_in.serial;
        tokio::spawn(deliver(relay.clone(), serial, inbox.outbox.clone()));
        let mut settled = false;
        serve(&relay, &mut inbox, signed_in, &mut settled).await;
        let ending = grace::ending(&relay, inbox.outbox.closing(), inbox.signed_out());
        disconnected(&relay, serial, &inbox.outbox, ending, settled).await;
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

/// A signed-in coordinator: their serial, the second their certificate expires, and the
/// challenge they signed (a renewed certificate is signed over it too).
struct SignedIn {
    serial: u64,
    not_after: u64,
    nonce: [u8; 32],
}

/// Signs a coordinator in.
async fn authenticate(relay: &Arc<Relay>, inbox: &mut Inbox) -> Option<SignedIn> {
    let nonce: [u8; 32] = random_bytes();
    inbox.outbox.send(RelayFrame::AuthChallenge {
        nonce: Fixed(nonce),
        organisation: Fixed(relay.keys.organisation.0),
    });
    let Incoming::Text(text) = inbox.first(relay.auth_timeout()).await else {
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
    let cert = match check_sign_in(relay, &certificate.0, &signature.0, &nonce).await {
        Ok(cert) => cert,
        Err(reason) => {
            tracing::info!(%reason, "coordinator authentication refused");
            inbox.fail(reason.close_code());
            return None;
        }
    };
    let serial = cert.body().serial;
    let alias = cert.body().alias.clone();
    relay.replace_elsewhere(serial).await;
    let not_after = cert.body().not_after;
    let registered = relay.live.with(|live| {
        // The list may have changed since it was checked above (the awaits between): read
        // again under the lock `cut_off_revoked` takes after each new list, so a revocation
        // adopted now either finds this coordinator registered or is found here.
        if relay.revocations().contains(serial) {
            return None;
        }
        // `authed` is queued under the registry lock, before anything another task can send
        // to this serial now that it is registered: it is always the first frame.
        inbox.outbox.send(RelayFrame::Authed {
            alias: alias.clone(),
            serial,
            not_after,
            holds: Some(super::holds::of(&relay.config)),
        });
        Some(live.coordinators.insert(
            serial,
            LiveCoordinator {
                outbox: inbox.outbox.clone(),
                alias: alias.clone(),
                certificate: certificate.clone(),
                on_duty: false,
                capacity: 1,
                langs: vec![],
                sessions: HashSet::new(),
                woken: HashSet::new(),
                delivered: HashMap::new(),
                handed: HashMap::new(),
            },
        ))
    });
    let Some(previous) = registered else {
        tracing::info!("coordinator authentication refused: revoked while signing in");
        inbox.fail(CloseCode::AuthFailed);
        return None;
    };
    if let Some(previous) = previous {
        previous.outbox.close(CloseCode::Replaced);
    }
    tracing::info!("coordinator authenticated");
    // What the old connection held waits for this one's first frame: `resume_sessions`
    // takes some back, anything else requeues them all (§9.6).
    relay.broadcast_queue().await;
    Some(SignedIn {
        serial,
        not_after,
        nonce,
    })
}

/// How often a signed-in coordinator's certificate is checked against the clock: a
/// certificate past `not_after` is cut off within this (F-8).
const EXPIRY_CHECK: Duration = Duration::from_millis(250);

/// The next frame from a signed-in coordinator, or `None` once the connection is over or
/// their certificate has expired (closed with 4006: sign in again with a renewed one).
async fn next_while_valid(relay: &Relay, inbox: &mut Inbox, not_after: u64) -> Option<Utf8Bytes> {
    let mut check = tokio::time::interval(EXPIRY_CHECK);
    loop {
        tokio::select! {
            incoming = inbox.next() => return match incoming {
                Incoming::Text(text) => Some(text),
                Incoming::Closed => None,
            },
            _ = check.tick() => {
                // The same rule as at sign-in: valid while now < not_after.
                if relay.clock.unix_s() >= not_after {
                    tracing::info!("coordinator certificate expired: signed out");
                    inbox.fail(CloseCode::AuthFailed);
                    return None;
                }
            }
        }
    }
}

/// Serves a signed-in coordinator. `settled` becomes true once their first frame decided
/// what happens to the conversations held for them (§9.6).
async fn serve(relay: &Arc<Relay>, inbox: &mut Inbox, signed_in: SignedIn, settled: &mut bool) {
    let SignedIn {
        serial,
        mut not_after,
        nonce,
    } = signed_in;
    let mut refused = Refused::default();
    let mut touched = Touched::default();
    while let Some(text) = next_while_valid(relay, inbox, not_after).await {
        let Some(frame) = decode(relay, inbox, &text) else {
            return;
        };
        let out = &inbox.outbox;
        let first = !std::mem::replace(settled, true);
        if let CoordinatorFrame::ResumeSessions { sessions } = frame {
            if !first || sessions.len() > MAX_RESUMED {
                inbox.fail(CloseCode::Unexpected);
                return;
            }
            grace::resume(relay, out, serial, sessions).await;
            continue;
        }
        if first {
            grace::release_unresumed(relay, serial, &HashSet::new()).await;
        }
        match frame {
            CoordinatorFrame::ResumeSessions { .. } => {}
            CoordinatorFrame::Duty {
                on,
                capacity,
                langs,
            } => {
                if capacity == 0
                    || capacity > MAX_CAPACITY
                    || langs.len() > 8
                    || !langs.iter().all(|l| is_lang_tag(l))
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
            CoordinatorFrame::Claim { session } => claim(relay, out, serial, session).await,
            CoordinatorFrame::Msg {
                session,
                seq,
                kind,
                body,
            } => {
                if !listed(relay, serial, &session) {
                    inbox.outbox.send(RelayFrame::Released { session });
                    continue;
                }
                if touched.due(relay, session) {
                    let _ = relay.store.touch(&session, relay.clock.unix_minute()).await;
                }
                let stored = StoredFrame {
                    seq,
                    kind,
                    body: body.0.clone(),
                };
                let limits = relay.buffer_limits();
                let node = &relay.nodes.id;
                let generation = relay.store.generation();
                let relayed = relay
                    .store
                    .relay_frame(&session, Way::ToVisitor, stored, limits, Some(serial), node)
                    .await
                    .map(|r| (r.append, relay.nodes.woke(r.woke_node)));
                match relayed {
                    // Gone, or held by another now (the store's word is final), unless the
                    // store lost it: then the coordinator was told `lost` and `released`.
                    Ok((None, _)) => {
                        if !lost_since(relay, generation).await {
                            relay.live.with(|live| live.not_theirs(serial, &session));
                        }
                    }
                    Ok((Some(append @ (Append::Stored | Append::Duplicate)), woken_elsewhere)) => {
                        if append == Append::Stored {
                            refused.stored(&session);
                            Metrics::inc(&relay.metrics.frames_relayed);
                        }
                        inbox.outbox.send(RelayFrame::Stored {
                            session: Some(session),
                            seq,
                        });
                        // The visitor's connection reads it from the store when woken, in
                        // order; a duplicate wakes too (its first store may have run after
                        // timing out here, unannounced).
                        let handed = append == Append::Stored
                            && handoff::to_visitor(relay, &session, seq, kind, &body.0);
                        if !woken_elsewhere && !handed {
                            relay.to_visitor(&session, ForVisitor::Wake).await;
                        }
                    }
                    // Sent before the coordinator saw a `retry`: refused the same way (§9.4).
                    Ok((Some(Append::Gap { .. }), _)) if refused.awaiting_resend(&session, seq) => {
                        refused.answer(inbox, session, Some(seq), text.len());
                    }
                    // A store back from a snapshot expects a number it had confirmed (§9.5).
                    Ok((Some(Append::Gap { .. }), _)) if lost_since(relay, generation).await => {}
                    Ok((Some(Append::Gap { .. }), _)) => {
                        Metrics::inc(&relay.metrics.protocol_closes);
                        inbox.fail(CloseCode::Unexpected);
                        return;
                    }
                    Ok((Some(Append::Full), _)) => end_session(relay, &session, Some(serial)).await,
                    Err(_) => refused.answer(inbox, session, Some(seq), text.len()),
                }
            }
            CoordinatorFrame::Ack { session, seq } => {
                let node = &relay.nodes.id;
                if listed(relay, serial, &session)
                    && let Ok(acked) = relay
                        .store
                        .ack_and_notify(&session, Way::ToCoordinator, seq, Some(serial), node)
                        .await
                    && !relay.nodes.woke(acked.woke_node)
                    && let Some(seq) = acked.acked
                {
                    let frame = RelayFrame::Delivered { session: None, seq };
                    relay
                        .to_visitor(&session, ForVisitor::Frame { frame })
                        .await;
                }
            }
            CoordinatorFrame::Transfer { session, to, note } => {
                if note.as_ref().is_some_and(|n| n.0.len() != SEALED_NOTE_LEN) {
                    inbox.fail(CloseCode::Malformed);
                    return;
                }
                propose(relay, out, serial, session, to, note).await
            }
            CoordinatorFrame::End { session } => {
                if holds(relay, serial, &session).await {
                    // Marked first: a resume racing the erasure is refused (§9.7).
                    let _ = relay.store.end(&session).await;
                    // The visitor's node delivers the coordinator's last frames (its
                    // authenticated close), tells them, and erases the session.
                    if !relay.to_visitor(&session, ForVisitor::End).await {
                        erase(relay, &session).await;
                    }
                    Metrics::inc(&relay.metrics.sessions_ended);
                    tracing::debug!("session ended");
                    apply_to_coordinator(relay, serial, ForCoordinator::Dropped { session }).await;
                } else {
                    relay.live.with(|live| live.not_theirs(serial, &session));
                }
            }
            CoordinatorFrame::Release { session } => {
                // Back in the queue, or not theirs to give: either way no longer theirs
                // (`released`). A store that fails leaves it theirs, and says nothing.
                if !holds(relay, serial, &session).await || release(relay, &session, serial).await {
                    relay.live.with(|live| live.not_theirs(serial, &session));
                }
            }
            tip @ (CoordinatorFrame::ListTips {}
            | CoordinatorFrame::OpenTip { .. }
            | CoordinatorFrame::TakeTip { .. }
            | CoordinatorFrame::ReplyTip { .. }
            | CoordinatorFrame::CloseTip { .. }) => {
                super::tip_desk::handle(relay, out, serial, tip).await;
            }
            CoordinatorFrame::Ping {} => {
                out.send(RelayFrame::Pong {});
            }
            // A renewed certificate, installed without leaving the conversations (§9.2).
            CoordinatorFrame::Auth {
                certificate,
                signature,
            } => match renew(relay, serial, &nonce, certificate, &signature.0).await {
                Ok(renewed) => not_after = renewed,
                Err(code) => {
                    inbox.fail(code);
                    return;
                }
            },
        }
    }
}

/// Reads again, a few times, who holds a session whose claim failed part-way: the claim is
/// `serial`'s if the store says so (a `claim_lost` then would leave it theirs in the store
/// and no one's here). Unreadable all along: handed back to the queue, as far as the store
/// lets it, rather than kept by a coordinator who was told they lost it.
async fn claimed_after_all(
    relay: &Arc<Relay>,
    serial: u64,
    session: &SessionId,
) -> Option<SessionInfo> {
    for wait in [50, 150, 400] {
        match relay.store.get(session).await {
            Ok(Some(info)) if info.assignment == Assignment::Claimed(serial) => return Some(info),
            Ok(_) => return None,
            Err(_) => tokio::time::sleep(Duration::from_millis(wait)).await,
        }
    }
    let _ = relay.store.requeue(session, serial).await;
    None
}

async fn claim(relay: &Arc<Relay>, out: &Outbox, serial: u64, session: SessionId) {
    if !try_claim(relay, serial, session).await {
        out.send(RelayFrame::ClaimLost { session });
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
    // A session of another generation survived a loss of data: never answered (§9.5).
    let ready = matches!(relay.store.get(&session).await,
        Ok(Some(ref i)) if !i.handshake.is_empty() && i.generation == relay.store.generation());
    let won = if has_room && ready {
        let node = &relay.nodes.id;
        match relay.store.claim(&session, serial, node).await {
            Ok(won) => won,
            // The store may have made the claim before failing: it decides, not the error.
            Err(_) => claimed_after_all(relay, serial, &session).await,
        }
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
    tracing::debug!("session claimed");
    relay.live.with(|live| {
        if let Some(c) = live.coordinators.get_mut(&serial) {
            c.sessions.insert(session);
            c.outbox.send(RelayFrame::Claimed {
                session,
                handshake: Bytes(info.handshake.clone()),
                kind: info.kind,
                lang: info.lang.clone(),
                next_seq: info.next_to_visitor,
                transferred_from: None,
                note: None,
                note_from: None,
            });
        }
    });
    peer_to_visitor(relay, &session, PeerEvent::Joined).await;
    relay.broadcast_queue().await;
    true
}

/// `sessions.auto_offer`: each claimable visitor, oldest first, goes to the least-loaded
/// on-duty coordinator with room who speaks their language (anyone, if they gave none).
/// Visitors no one on duty speaks to stay in the queue for a manual claim.
pub async fn auto_offer(relay: &Arc<Relay>) {
    let queue = relay
        .store
        .queue_view(super::routing::QUEUE_HEAD)
        .await
        .unwrap_or_default();
    for info in queue.head.iter().filter(|s| s.claimable) {
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

/// One per coordinator connection: whenever woken, delivers each woken conversation (what
/// this node handed it, or else what the store holds).
async fn deliver(relay: Arc<Relay>, serial: u64, outbox: Outbox) {
    while outbox.woken().await {
        let (woken, handed) = relay
            .live
            .with(|live| match live.coordinators.get_mut(&serial) {
                Some(c) if c.outbox.id == outbox.id => {
                    let handed: Vec<SessionId> = c.handed.keys().copied().collect();
                    (std::mem::take(&mut c.woken), handed)
                }
                _ => Default::default(),
            });
        for session in &woken {
            deliver_to_coordinator(&relay, serial, &outbox, session, true).await;
        }
        for session in handed.iter().filter(|s| !woken.contains(s)) {
            deliver_to_coordinator(&relay, serial, &outbox, session, false).await;
        }
    }
}

async fn disconnected(
    relay: &Arc<Relay>,
    serial: u64,
    outbox: &Outbox,
    ending: grace::Ending,
    settled: bool,
) {
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
    // Signed in again elsewhere meanwhile, that node told us (`Replaced`): nothing here.
    let Some(c) = gone else { return };
    // Left before saying what it resumes: what the old connection held is treated as ours.
    let mut sessions = c.sessions;
    if !settled && let Ok(assignments) = relay.store.assignments().await {
        sessions.extend(
            assignments
                .into_iter()
                .filter_map(|(id, a)| (a == Assignment::Claimed(serial)).then_some(id)),
        );
    }
    match ending {
        grace::Ending::Dropped => grace::hold(relay, serial, sessions).await,
        grace::Ending::Left => {
            tracing::info!(
                conversations = sessions.len(),
                "coordinator disconnected; visitors requeued"
            );
            for session in sessions {
                release(relay, &session, serial).await;
            }
        }
    }
    relay.broadcast_queue().await;
}

impl Assignment {
    /// The coordinator holding the session, if it is claimed (or held for them, §9.6).
    pub fn holder(&self) -> Option<u64> {
        match self {
            Assignment::Claimed(serial) | Assignment::Held(serial) => Some(*serial),
            Assignment::Queued => None,
        }
    }
}
