//! A new visitor's arrival, once its proof-of-work was accepted (from the connection's
//! `challenge` or a chat ticket, §9.1): the message 1 and language checked (before the
//! proof-of-work, [`Asked`]), the session created and queued, the `welcome` sent first, the queue told.
//!
//! It must never create a session whose message 1 no coordinator could answer, nor let any
//! frame overtake the `welcome`.

use std::sync::Arc;

use super::connection::Inbox;
use super::generation::new_token;
use super::metrics::Metrics;
use super::state::Relay;
use super::visitor::{close, welcome};
use crate::crypto::handshake::check_message1;
use crate::crypto::keys::Fingerprint;
use crate::protocol::frames::{ConversationKind, is_lang_tag};
use crate::protocol::{Bytes, CloseCode};
use crate::store::{Assignment, ChatStore, SessionId, SessionInfo, StoreError};

/// What a `hello` or `ticket_hello` asks for, checked as part of parsing, before its
/// proof-of-work (§8.1: a malformed frame is refused with 4001, whatever else it carries), so
/// a malformed one never spends a chat ticket.
pub struct Asked {
    kind: ConversationKind,
    lang: Option<String>,
    handshake: Bytes,
}

impl Asked {
    /// `None` (close with 4001) for a message 1 of the wrong length or with a low-order key,
    /// which no coordinator could ever answer, or a `lang` that is not a language tag.
    pub fn checked(kind: ConversationKind, lang: Option<String>, handshake: Bytes) -> Option<Self> {
        check_message1(&handshake.0).ok()?;
        let lang = match lang {
            Some(l) if is_lang_tag(&l) => Some(l),
            // No language asked, as an absent one (§8.1).
            Some(l) if l.is_empty() => None,
            Some(_) => return None,
            None => None,
        };
        Some(Self {
            kind,
            lang,
            handshake,
        })
    }
}

/// Opens `session` for a visitor whose proof-of-work was accepted; `None` once the
/// connection is refused (the close code is queued).
pub async fn arrive(
    relay: &Arc<Relay>,
    inbox: &mut Inbox,
    session: SessionId,
    asked: Asked,
) -> Option<SessionId> {
    let Asked {
        kind,
        lang,
        handshake,
    } = asked;
    let generation = relay.store.generation();
    let token = new_token(generation);
    let info = SessionInfo {
        id: session,
        token_hash: Fingerprint::of(&token).0,
        kind,
        lang,
        handshake: handshake.0,
        assignment: Assignment::Queued,
        queued_minute: relay.clock.unix_minute(),
        next_to_coordinator: 1,
        next_to_visitor: 1,
        acked_to_coordinator: 0,
        acked_to_visitor: 0,
        generation,
    };
    match relay
        .store
        .create(info, relay.config.sessions.queue_max)
        .await
    {
        Ok(()) => {}
        Err(StoreError::QueueFull) => return close(relay, inbox, CloseCode::Busy),
        Err(_) => return close(relay, inbox, CloseCode::StoreUnavailable),
    }
    Metrics::inc(&relay.metrics.sessions_opened);
    tracing::debug!("visitor session opened");
    // The welcome is the first frame after the challenge: queued before the
    // connection is registered, so no queue position or delivery can overtake it.
    inbox.outbox.send(welcome(relay, session, token, 1, 0));
    relay
        .live
        .with(|live| live.visitors.insert(session, inbox.outbox.clone()));
    relay.visitor_arrived(&session).await;
    relay.note_arrival();
    relay.broadcast_queue().await;
    Some(session)
}
