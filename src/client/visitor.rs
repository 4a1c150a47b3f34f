//! A visitor: what the web widget does, in Rust, for tests and load generation.

use std::collections::BTreeMap;

use super::ClientError;
use super::outbox::Outbox;
use super::reach::Reach;
use super::wire::Wire;
use crate::crypto::certificate::{Certificate, CertificateError, RevocationList, Role};
use crate::crypto::handshake::{VerifiedCoordinator, VisitorHandshake};
use crate::crypto::keys::{DhSecret, OrgPublicKey};
use crate::crypto::proof_of_work;
use crate::crypto::session::{Plaintext, SessionCipher};
use crate::protocol::b64::Fixed;
use crate::protocol::frames::{ConversationKind, PayloadKind, PeerEvent};
use crate::protocol::http::ChatTicket;
use crate::protocol::{Bytes, RelayFrame, SessionId, VisitorFrame};

/// What the visitor's side saw happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitorEvent {
    /// Where we are in the queue.
    Queue {
        /// How many wait before us.
        position: u32,
        /// The relay's estimate of the wait, in seconds.
        wait_estimate_s: u32,
        /// Coordinators on duty.
        on_duty: u32,
    },
    /// The handshake completed with this verified coordinator alias.
    Connected(String),
    /// The coordinator wrote this, decrypted.
    Text(String),
    /// The coordinator sent its authenticated close.
    CoordinatorClosed,
    /// The relay stored our frame with this number.
    Stored(u64),
    /// The coordinator acknowledged our frames up to this number.
    Delivered(u64),
    /// Something happened to the coordinator (left, transferring, ended).
    Peer(PeerEvent),
    /// The relay is busy: try again after this many seconds.
    Retry(u32),
    /// Asked (with [`Consent::Ask`]) whether to go to this colleague, whose certificate
    /// verified: answer with [`VisitorClient::answer_transfer`]. `None`: it did not verify,
    /// and the offer was declined.
    TransferOffer(Option<String>),
    /// The offered hand-over will not happen; we stay with our coordinator.
    TransferWithdrawn,
}

/// How this client answers a proposed hand-over (§9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Accept every offer whose certificate verifies, at once (a visitor who always agrees).
    Accept,
    /// Report each offer as [`VisitorEvent::TransferOffer`] and wait for an answer.
    Ask,
}

/// How old a revocation list a visitor still trusts: the widget's default maximum age (an
/// embed may pin another; docs/protocol.md §2.2).
pub const REVOCATION_MAX_AGE_S: u64 = 30 * 86_400;

/// A visitor's connection, as the widget would hold it: session, resume token, cipher.
pub struct VisitorClient {
    wire: Option<Wire>,
    url: String,
    /// Headers, TLS trust and clock, the same on every reconnect.
    reach: Reach,
    org: OrgPublicKey,
    /// The session the relay gave us.
    pub session: SessionId,
    token: [u8; 32],
    /// The newest verified revocation list a `welcome` brought (§2.2).
    revocations: Option<RevocationList>,
    handshake: Option<VisitorHandshake>,
    cipher: Option<SessionCipher>,
    /// The coordinator whose certificate the handshake verified.
    pub coordinator: Option<VerifiedCoordinator>,
    next_seq: u64,
    last_received: u64,
    /// Sent but not yet confirmed stored by the relay: resent after a `retry` by the wire,
    /// and after a resume; it outlives each connection.
    unconfirmed: Outbox,
    /// Typed during a hand-over, sent once the new coordinator's keys exist.
    waiting: Vec<String>,
    /// Sent under the current keys and not yet marked delivered: after a hand-over or a
    /// requeue they are re-encrypted for the next coordinator (protocol §9.6).
    undelivered: BTreeMap<u64, String>,
    /// How a proposed hand-over is answered.
    pub consent: Consent,
    /// The highest of our frames the relay confirmed stored: a resume's `welcome` below it
    /// means the store lost what it had accepted (§9.5).
    stored_up_to: u64,
}

/// What became of a text given to [`VisitorClient::send_text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Sent with this relay sequence number.
    Now(u64),
    /// Waiting for the new coordinator's handshake.
    Waiting,
}

impl VisitorClient {
    /// Connects, solves the proof-of-work and sends the hello with Noise message 1, reaching
    /// the relay (and checking certificates) as `reach` says.
    pub async fn connect(
        url: &str,
        org: OrgPublicKey,
        kind: ConversationKind,
        lang: Option<&str>,
        reach: Reach,
    ) -> Result<Self, ClientError> {
        let mut wire = Wire::connect_trusting(url, &reach.header_pairs(), &reach.trust).await?;
        let RelayFrame::Challenge {
            session,
            seed,
            difficulty,
        } = wire.recv().await?
        else {
            return Err(ClientError::Protocol("expected a challenge".into()));
        };
        if difficulty > proof_of_work::MAX_DIFFICULTY {
            return Err(ClientError::Protocol(format!(
                "refusing a proof-of-work of {difficulty} bits"
            )));
        }
        let pow_nonce = proof_of_work::solve(&seed.0, &session.0, difficulty);
        let (handshake, message1) = VisitorHandshake::start(session.0, org, DhSecret::generate());
        wire.send(VisitorFrame::Hello {
            pow_nonce,
            kind,
            lang: lang.map(str::to_owned),
            handshake: Bytes(message1),
        })
        .await?;
        let mut client = Self::opened(wire, url, reach, org, session, handshake);
        client.expect_welcome().await?;
        Ok(client)
    }

    /// [`Self::connect`] with a chat ticket from `/v1/config` (§9.1): the proof-of-work is
    /// solved first (a browser solves it while its socket opens), and `ticket_hello` goes out
    /// as soon as the socket is open, without waiting for the connection's own challenge.
    pub async fn connect_ticketed(
        url: &str,
        org: OrgPublicKey,
        kind: ConversationKind,
        lang: Option<&str>,
        ticket: &ChatTicket,
    ) -> Result<Self, ClientError> {
        if ticket.difficulty > proof_of_work::MAX_DIFFICULTY
            || ticket.seed.0[4] != ticket.difficulty
        {
            return Err(ClientError::Protocol(format!(
                "refusing a chat ticket of {} bits",
                ticket.difficulty
            )));
        }
        let session = ticket.session;
        let pow_nonce = proof_of_work::solve(&ticket.seed.0, &session.0, ticket.difficulty);
        let (handshake, message1) = VisitorHandshake::start(session.0, org, DhSecret::generate());
        let reach = Reach::default();
        let mut wire = Wire::connect_trusting(url, &[], &reach.trust).await?;
        wire.send(VisitorFrame::TicketHello {
            session,
            seed: Fixed(ticket.seed.0),
            pow_nonce,
            kind,
            lang: lang.map(str::to_owned),
            handshake: Bytes(message1),
        })
        .await?;
        // The relay greets every connection with a challenge; this one is already answered.
        let RelayFrame::Challenge { .. } = wire.recv().await? else {
            return Err(ClientError::Protocol("expected a challenge".into()));
        };
        let mut client = Self::opened(wire, url, reach, org, session, handshake);
        client.expect_welcome().await?;
        Ok(client)
    }

    /// A client whose hello is sent, before its welcome.
    fn opened(
        wire: Wire,
        url: &str,
        reach: Reach,
        org: OrgPublicKey,
        session: SessionId,
        handshake: VisitorHandshake,
    ) -> Self {
        let unconfirmed = wire.outbox().clone();
        Self {
            wire: Some(wire),
            url: url.to_owned(),
            reach,
            org,
            session,
            token: [0; 32],
            revocations: None,
            handshake: Some(handshake),
            cipher: None,
            coordinator: None,
            next_seq: 1,
            last_received: 0,
            unconfirmed,
            waiting: Vec::new(),
            undelivered: BTreeMap::new(),
            consent: Consent::Accept,
            stored_up_to: 0,
        }
    }

    async fn expect_welcome(&mut self) -> Result<(), ClientError> {
        let RelayFrame::Welcome {
            session,
            token,
            next_seq,
            delivered,
            revocations,
            ..
        } = self.wire()?.recv().await?
        else {
            return Err(ClientError::Protocol("expected a welcome".into()));
        };
        if session != self.session {
            return Err(ClientError::Protocol("welcome for another session".into()));
        }
        if next_seq <= self.stored_up_to {
            // Never re-based on a store that forgot what it confirmed: the conversation is
            // over, and the coordinator is told by our end.
            let _ = self.wire()?.send(VisitorFrame::End {}).await;
            self.wire = None;
            return Err(ClientError::Closed {
                code: Some(crate::protocol::CloseCode::StoreLost.code()),
                reason: crate::protocol::CloseCode::StoreLost.reason().into(),
            });
        }
        self.token = token.0;
        self.next_seq = next_seq;
        self.undelivered.retain(|seq, _| *seq > delivered);
        self.offer_revocations(&revocations.0)
    }

    /// §2.2, as the widget: a `welcome`'s list replaces the one held only when newer; one
    /// missing or merely stale is passed over (the one held still counts); one not signed by
    /// the pinned organisation key fails the chat.
    fn offer_revocations(&mut self, encoded: &[u8]) -> Result<(), ClientError> {
        if encoded.is_empty() {
            return Ok(());
        }
        let now = self.reach.clock.unix_s();
        let list = match RevocationList::decode_verified(
            encoded,
            &self.org,
            now,
            Some(REVOCATION_MAX_AGE_S),
        ) {
            Ok(list) => list,
            Err(CertificateError::StaleRevocationList) => return Ok(()),
            Err(e) => return Err(ClientError::Protocol(format!("revocation list: {e}"))),
        };
        if self
            .revocations
            .as_ref()
            .is_none_or(|held| list.issued_at > held.issued_at)
        {
            self.revocations = Some(list);
        }
        Ok(())
    }

    /// The newest verified list, if still within the maximum age now: a visitor never skips
    /// revocation, so without one no coordinator's message 2 is taken (§2.2, `no_list`).
    fn fresh_revocations(&self) -> Result<&RevocationList, ClientError> {
        let now = self.reach.clock.unix_s();
        self.revocations
            .as_ref()
            .filter(|list| list.within(now, REVOCATION_MAX_AGE_S))
            .ok_or_else(|| {
                ClientError::Protocol(
                    "no revocation list within its maximum age (no_list): no coordinator \
                     can be trusted"
                        .into(),
                )
            })
    }

    /// Sends the next [`VisitorClient::resume`] to this relay URL: another node of the same
    /// service (what a load balancer does when the first node is gone).
    pub fn set_relay_url(&mut self, url: &str) {
        url.clone_into(&mut self.url);
    }

    /// The live connection; an error while the visitor is offline.
    pub fn wire(&mut self) -> Result<&mut Wire, ClientError> {
        self.wire.as_mut().ok_or(ClientError::Closed {
            code: None,
            reason: "offline".into(),
        })
    }

    /// Whether a connection is open now.
    pub fn is_connected(&self) -> bool {
        self.cipher.is_some()
    }

    /// Drops the socket without a goodbye, as a phone losing signal does.
    pub fn drop_connection(&mut self) {
        self.wire = None;
    }

    /// Reconnects with the resume token, telling the relay what was received, and re-sends
    /// what the relay had not confirmed.
    pub async fn resume(&mut self) -> Result<(), ClientError> {
        let mut wire = Wire::connect_with_outbox(
            &self.url,
            &self.reach.header_pairs(),
            &self.reach.trust,
            self.unconfirmed.clone(),
        )
        .await?;
        let RelayFrame::Challenge { .. } = wire.recv().await? else {
            return Err(ClientError::Protocol("expected a challenge".into()));
        };
        wire.send(VisitorFrame::Resume {
            session: self.session,
            token: Fixed(self.token),
            last_seq: self.last_received,
        })
        .await?;
        self.wire = Some(wire);
        self.expect_welcome().await?;
        // Below `next_seq` the relay has them: it says so in `welcome`.
        self.unconfirmed
            .confirmed(None, self.next_seq.saturating_sub(1));
        // Numbered already: whatever is typed next comes after them, sent now or not.
        if let Some(last) = self.unconfirmed.last_seq(None) {
            self.next_seq = last + 1;
        }
        self.resend_refused().await
    }

    /// Encrypts and sends `text`; while a new handshake is pending (after a transfer or a
    /// requeue) it waits here and goes out under the new keys once they exist.
    pub async fn send_text(&mut self, text: &str) -> Result<Sent, ClientError> {
        if self.handshake.is_some() && self.cipher.is_some() {
            self.waiting.push(text.to_owned());
            return Ok(Sent::Waiting);
        }
        Ok(Sent::Now(self.send_text_now(text).await?))
    }

    async fn send_text_now(&mut self, text: &str) -> Result<u64, ClientError> {
        let cipher = self
            .cipher
            .as_mut()
            .ok_or_else(|| ClientError::Protocol("no coordinator yet".into()))?;
        let body = cipher.encrypt_text(text)?;
        let seq = self.send_body(body).await?;
        self.undelivered.insert(seq, text.to_owned());
        Ok(seq)
    }

    async fn send_body(&mut self, body: Vec<u8>) -> Result<u64, ClientError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let frame = VisitorFrame::Msg {
            seq,
            body: Bytes(body),
        };
        match self.wire.as_mut() {
            Some(wire) => wire.send_kept(None, seq, frame).await?,
            // Offline, the message waits in `unconfirmed` and goes out on resume.
            None => self
                .unconfirmed
                .keep(None, seq, crate::protocol::encode_frame(frame)),
        }
        Ok(seq)
    }

    /// Resends every frame the relay has not confirmed stored, in order, now. The wire does
    /// this by itself when a `retry` is due (§9.4); duplicates are confirmed again.
    pub async fn resend_refused(&mut self) -> Result<(), ClientError> {
        self.wire()?.resend_kept().await
    }

    /// Sends the authenticated close, then ends the session (the relay erases it).
    pub async fn end(&mut self) -> Result<(), ClientError> {
        if let Some(cipher) = self.cipher.as_mut() {
            let body = cipher.encrypt_close()?;
            self.send_body(body).await?;
        }
        self.wire()?.send(VisitorFrame::End {}).await
    }

    /// Answers a proposed hand-over: `true` to go to the colleague, `false` to stay.
    pub async fn answer_transfer(&mut self, accept: bool) -> Result<(), ClientError> {
        self.wire()?
            .send(VisitorFrame::TransferAnswer { accept })
            .await
    }

    /// Checks an offered colleague's certificate exactly as a handshake's (§2.4): the
    /// pinned organisation key, now, the revocation list, the coordinator role.
    async fn offered(&mut self, certificate: &[u8]) -> Result<VisitorEvent, ClientError> {
        let checked = Certificate::decode_verified(
            certificate,
            &self.org,
            self.reach.clock.unix_s(),
            self.revocations.as_ref(),
            Role::Coordinator,
        );
        let alias = checked.ok().map(|c| c.body().alias.clone());
        if alias.is_none() || self.consent == Consent::Accept {
            self.answer_transfer(alias.is_some()).await?;
        }
        Ok(VisitorEvent::TransferOffer(alias))
    }

    async fn rekey(&mut self) -> Result<(), ClientError> {
        // The old keys stay until the new handshake: frames the previous coordinator sent
        // before the hand-over may still be on their way.
        self.coordinator = None;
        // What the previous coordinator never got goes to the next one, first and in order;
        // never again under the old keys.
        let undelivered = std::mem::take(&mut self.undelivered);
        for seq in undelivered.keys() {
            self.unconfirmed.forget(None, *seq);
        }
        let typed_meanwhile = std::mem::take(&mut self.waiting);
        self.waiting = undelivered.into_values().chain(typed_meanwhile).collect();
        let (handshake, message1) =
            VisitorHandshake::start(self.session.0, self.org, DhSecret::generate());
        self.handshake = Some(handshake);
        self.wire()?
            .send(VisitorFrame::Rekey {
                handshake: Bytes(message1),
            })
            .await
    }

    /// Reads frames until one means something to the visitor, acting on it (handshake,
    /// decryption, acknowledgement, rekey) on the way.
    pub async fn next_event(&mut self) -> Result<VisitorEvent, ClientError> {
        loop {
            match self.wire()?.recv().await? {
                RelayFrame::Queue {
                    position,
                    wait_estimate_s,
                    on_duty,
                } => {
                    return Ok(VisitorEvent::Queue {
                        position,
                        wait_estimate_s,
                        on_duty,
                    });
                }
                RelayFrame::Deliver {
                    seq, kind, body, ..
                } => {
                    if seq <= self.last_received {
                        continue; // a duplicate after a resume
                    }
                    let event = match kind {
                        PayloadKind::Handshake => {
                            let handshake = self.handshake.take().ok_or_else(|| {
                                ClientError::Protocol("unexpected handshake".into())
                            })?;
                            let (cipher, who) = handshake.finish(
                                &body.0,
                                self.reach.clock.unix_s(),
                                Some(self.fresh_revocations()?),
                            )?;
                            self.cipher = Some(cipher);
                            let alias = who.alias.clone();
                            self.coordinator = Some(who);
                            for text in std::mem::take(&mut self.waiting) {
                                self.send_text_now(&text).await?;
                            }
                            VisitorEvent::Connected(alias)
                        }
                        PayloadKind::Data => {
                            let cipher = self.cipher.as_mut().ok_or_else(|| {
                                ClientError::Protocol("data before handshake".into())
                            })?;
                            match cipher.decrypt(&body.0)? {
                                Plaintext::Text(text) => VisitorEvent::Text(text),
                                Plaintext::Close => VisitorEvent::CoordinatorClosed,
                            }
                        }
                    };
                    self.last_received = seq;
                    self.wire()?.send(VisitorFrame::Ack { seq }).await?;
                    return Ok(event);
                }
                RelayFrame::Stored { seq, .. } => {
                    // The wire's reader has taken it out of `unconfirmed` already.
                    self.stored_up_to = self.stored_up_to.max(seq);
                    return Ok(VisitorEvent::Stored(seq));
                }
                RelayFrame::Delivered { seq, .. } => {
                    self.undelivered.retain(|s, _| *s > seq);
                    return Ok(VisitorEvent::Delivered(seq));
                }
                RelayFrame::Peer { event, .. } => {
                    if matches!(event, PeerEvent::Transferring | PeerEvent::Left) {
                        self.rekey().await?;
                    }
                    return Ok(VisitorEvent::Peer(event));
                }
                // The wire's reader resends when it is due.
                RelayFrame::Retry { after_s } => return Ok(VisitorEvent::Retry(after_s)),
                RelayFrame::TransferOffer { certificate, .. } => {
                    let event = self.offered(&certificate.0).await?;
                    if self.consent == Consent::Ask || event == VisitorEvent::TransferOffer(None) {
                        return Ok(event);
                    }
                }
                RelayFrame::TransferWithdrawn {} => return Ok(VisitorEvent::TransferWithdrawn),
                RelayFrame::Pong {} => continue,
                other => {
                    return Err(ClientError::Protocol(format!(
                        "unexpected frame for a visitor: {other:?}"
                    )));
                }
            }
        }
    }

    /// Reads events until `want` matches one, returning it.
    pub async fn wait_for(
        &mut self,
        want: impl Fn(&VisitorEvent) -> bool,
    ) -> Result<VisitorEvent, ClientError> {
        loop {
            let event = self.next_event().await?;
            if want(&event) {
                return Ok(event);
            }
        }
    }
}
