//! A coordinator: authentication, duty, claims, several conversations at once, transfers
//! and the tip inbox. The console drives this; so do the tests and the load generator.

use std::collections::{HashMap, HashSet};

use super::ClientError;
use super::handover::{HandoverNote, read_note, seal_note};
use super::wire::{TlsTrust, Wire};
use crate::crypto::certificate::{Certificate, Role};
use crate::crypto::coordinator_auth::auth_message;
use crate::crypto::handshake::{CoordinatorHandshake, CoordinatorIdentity};
use crate::crypto::keys::{DhSecret, Fingerprint, OrgPublicKey};
use crate::crypto::session::{Plaintext, SessionCipher};
use crate::keyfile::CoordinatorFiles;
use crate::protocol::frames::{
    ConversationKind, CoordinatorInfo, PayloadKind, PeerEvent, QueueItem, ReplyCopyItem,
    ResumeEntry, TipSummary, TransferStatus,
};
use crate::protocol::http::Holds;
use crate::protocol::{Bytes, CoordinatorFrame, RelayFrame, SessionId, TipId};

/// One conversation this coordinator holds.
pub struct Conversation {
    cipher: SessionCipher,
    next_seq: u64,
    last_received: u64,
    /// A live chat or a tip conversation.
    pub kind: ConversationKind,
    /// The language the visitor asked for, if any.
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
/// What the coordinator's side saw happen.
pub enum CoordinatorEvent {
    /// The claimable queue, as the relay listed it.
    Queue(Vec<QueueItem>),
    /// Everyone on duty, on every node.
    Roster(Vec<CoordinatorInfo>),
    /// A conversation is ours and its handshake is answered.
    Claimed {
        /// The conversation.
        session: SessionId,
        /// The colleague who handed it over, if it was transferred.
        transferred_from: Option<String>,
        /// A live chat or a tip conversation.
        kind: ConversationKind,
        /// The language the visitor asked for, if any.
        lang: Option<String>,
        /// The colleague's hand-over note, if they wrote one.
        note: Option<HandoverNote>,
    },
    /// Where a hand-over we proposed stands (the visitor is asked first).
    TransferStatus {
        /// The conversation.
        session: SessionId,
        /// Waiting, accepted, declined or expired.
        status: TransferStatus,
    },
    /// Someone else claimed it first.
    ClaimLost(SessionId),
    /// The colleague could not take it; it stays ours.
    TransferFailed(SessionId),
    /// The visitor wrote.
    Text {
        /// The conversation.
        session: SessionId,
        /// What they wrote, decrypted.
        text: String,
    },
    /// The visitor sent its authenticated close.
    VisitorClosed(SessionId),
    /// The relay stored our frame `seq`.
    Stored {
        /// The conversation.
        session: SessionId,
        /// Our frame's sequence number.
        seq: u64,
    },
    /// The visitor acknowledged our frames up to `seq`.
    Delivered {
        /// The conversation.
        session: SessionId,
        /// The last frame they acknowledged.
        seq: u64,
    },
    /// Something happened to the visitor (away, back, ended).
    Peer {
        /// The conversation.
        session: SessionId,
        /// What happened.
        event: PeerEvent,
    },
    /// The conversation is no longer ours (ended, expired or requeued).
    Released(SessionId),
    /// The relay accepted our renewed certificate on this connection (§9.2).
    Renewed {
        /// When the renewed certificate expires, Unix seconds.
        not_after: u64,
    },
    /// Signed in again, the conversation is ours again where it stopped (§9.6).
    Resumed {
        /// The conversation.
        session: SessionId,
        /// The last of our frames the visitor acknowledged.
        delivered: u64,
    },
    /// The tips inbox.
    Tips(Vec<TipSummary>),
    /// A tip we opened, still sealed.
    Tip {
        /// The tip.
        id: TipId,
        /// The sealed tip, for the inbox key.
        sealed: Vec<u8>,
        /// The tipster's sealed follow-ups, oldest first.
        followups: Vec<Vec<u8>>,
        /// The copies of the organisation's replies, for the inbox key, oldest first, each
        /// with its author's alias and minute.
        replies: Vec<ReplyCopyItem>,
    },
    /// Refused: a colleague (this alias) holds the tip; take it over first.
    TipHeld {
        /// The tip.
        id: TipId,
        /// The colleague's alias.
        by: String,
    },
    /// A colleague (this alias) took over a tip we held.
    TipTaken {
        /// The tip.
        id: TipId,
        /// The colleague's alias.
        by: String,
    },
    /// The relay is busy: try again after this many seconds.
    Retry(u32),
}

/// A signed-in coordinator's connection and its conversations' ciphers.
pub struct CoordinatorClient {
    wire: Wire,
    org: Fingerprint,
    organisation: OrgPublicKey,
    keys: CoordinatorFiles,
    /// The challenge signed at sign-in: a renewed certificate is signed over it too.
    nonce: [u8; 32],
    /// Everyone on duty, as the relay last listed them: hand-over targets.
    roster: Vec<CoordinatorInfo>,
    /// The alias of our certificate.
    pub alias: String,
    /// The serial of our certificate.
    pub serial: u64,
    /// What the relay says it holds and until when (§9.10), if it says.
    pub holds: Option<Holds>,
    /// When the relay says our certificate expires (its `authed`), Unix seconds.
    pub not_after: u64,
    /// The conversations we hold.
    pub conversations: HashMap<SessionId, Conversation>,
    /// Frames received but not acknowledged yet (see [`CoordinatorClient::batch_acks`]).
    unacked: HashMap<SessionId, u64>,
    batch_acks: bool,
    /// Conversations we ended that the relay has not answered `released` for yet: kept, so a
    /// connection lost meanwhile resumes them and ends them again ([`Self::end`]).
    ending: HashSet<SessionId>,
}

/// An open coordinator connection before authentication: the relay's challenge and the
/// organisation key it names (to be checked before anything is signed).
pub struct Challenge {
    wire: Wire,
    nonce: [u8; 32],
    /// The organisation key the relay names.
    pub organisation: OrgPublicKey,
}

impl CoordinatorClient {
    /// Connects and authenticates by signing the relay's challenge, if the relay serves the
    /// organisation `org`.
    pub async fn connect(
        url: &str,
        org: Fingerprint,
        keys: CoordinatorFiles,
    ) -> Result<Self, ClientError> {
        Self::connect_with_headers(url, org, keys, &[]).await
    }

    /// [`Self::connect`] with extra request headers on the upgrade (tests use them to prove
    /// the relay ignores them).
    pub async fn connect_with_headers(
        url: &str,
        org: Fingerprint,
        keys: CoordinatorFiles,
        headers: &[(&str, &str)],
    ) -> Result<Self, ClientError> {
        let challenge = Self::challenge_with_headers(url, &TlsTrust::default(), headers).await?;
        if challenge.organisation.fingerprint() != org {
            return Err(ClientError::Protocol(
                "the relay serves another organisation".into(),
            ));
        }
        Self::authenticate(challenge, keys).await
    }

    /// Opens the connection and reads the relay's challenge.
    pub async fn challenge(url: &str, trust: &TlsTrust) -> Result<Challenge, ClientError> {
        Self::challenge_with_headers(url, trust, &[]).await
    }

    /// [`Self::challenge`] over plain trust with extra request headers (tests prove the
    /// relay ignores them, on a sign-in again too).
    pub async fn challenge_with(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Challenge, ClientError> {
        Self::challenge_with_headers(url, &TlsTrust::default(), headers).await
    }

    async fn challenge_with_headers(
        url: &str,
        trust: &TlsTrust,
        headers: &[(&str, &str)],
    ) -> Result<Challenge, ClientError> {
        let mut wire = Wire::connect_trusting(url, headers, trust).await?;
        let RelayFrame::AuthChallenge {
            nonce,
            organisation,
        } = wire.recv().await?
        else {
            return Err(ClientError::Protocol("expected an auth challenge".into()));
        };
        Ok(Challenge {
            wire,
            nonce: nonce.0,
            organisation: OrgPublicKey(organisation.0),
        })
    }

    /// Signs the challenge with the coordinator's enrolled key.
    pub async fn authenticate(
        challenge: Challenge,
        keys: CoordinatorFiles,
    ) -> Result<Self, ClientError> {
        Self::try_authenticate(challenge, keys)
            .await
            .map_err(|(e, _)| e)
    }

    /// As [`CoordinatorClient::authenticate`], handing the keys back on failure (to try
    /// again later without copying secrets).
    pub async fn try_authenticate(
        challenge: Challenge,
        keys: CoordinatorFiles,
    ) -> Result<Self, (ClientError, CoordinatorFiles)> {
        let Challenge {
            mut wire,
            nonce,
            organisation,
        } = challenge;
        let org = organisation.fingerprint();
        let authed = sign_in(&mut wire, &nonce, &org, &keys).await;
        match authed {
            Ok((alias, serial, holds, not_after)) => Ok(Self {
                wire,
                org,
                organisation,
                keys,
                nonce,
                roster: Vec::new(),
                alias,
                serial,
                holds,
                not_after,
                conversations: HashMap::new(),
                unacked: HashMap::new(),
                batch_acks: false,
                ending: HashSet::new(),
            }),
            Err(e) => Err((e, keys)),
        }
    }

    /// Installs a renewed certificate for our own keys on this connection: the relay checks
    /// it as at sign-in and answers `authed` ([`CoordinatorEvent::Renewed`]); our
    /// conversations stay. From now on it is also the one a new sign-in uses.
    pub async fn renew(&mut self, certificate: Certificate) -> Result<(), ClientError> {
        let keys = CoordinatorFiles {
            certificate,
            ..self.keys.copy()
        };
        self.renew_to(keys).await
    }

    /// Switches this connection to `keys`, certified for our serial (a renewal to new keys,
    /// or to a new certificate for the same ones), §9.2: the new signing key signs the
    /// connection's challenge, which proves to the relay we hold it. Conversations stay (their
    /// Noise sessions do not depend on the static key any more); new handshakes, sign-ins and
    /// resumptions use the new keys.
    pub async fn renew_to(&mut self, keys: CoordinatorFiles) -> Result<(), ClientError> {
        let body = keys.certificate.body();
        if body.serial != self.serial
            || body.x25519_public != keys.dh.public()
            || body.ed25519_public != keys.signing.public()
        {
            return Err(ClientError::Protocol(
                "the renewed certificate is not for this identity".into(),
            ));
        }
        // Its validity window is the relay clock's call; the signer and role are ours.
        keys.certificate
            .verify(&self.organisation, body.not_before, None, Role::Coordinator)
            .map_err(|e| ClientError::Protocol(format!("renewed certificate: {e}")))?;
        let signature = keys.signing.sign(&auth_message(&self.nonce, &self.org));
        self.wire
            .send(CoordinatorFrame::Auth {
                certificate: Bytes(keys.certificate.as_bytes().to_vec()),
                signature: Bytes(signature.to_vec()),
            })
            .await?;
        self.keys = keys;
        Ok(())
    }

    /// Signs in again on `challenge`'s fresh connection after ours was lost, and takes back
    /// every conversation the relay held for us (§9.6), under the same keys: the relay
    /// answers each with `resumed` (then the visitor's frames we have not had) or
    /// `released`. Frames we sent and it never confirmed go again at once, in order.
    pub async fn resume_on(&mut self, challenge: Challenge) -> Result<(), ClientError> {
        if challenge.organisation != self.organisation {
            return Err(ClientError::Protocol(
                "the relay serves another organisation".into(),
            ));
        }
        let Challenge {
            mut wire, nonce, ..
        } = challenge;
        let (_, serial, holds, not_after) =
            sign_in(&mut wire, &nonce, &self.org, &self.keys).await?;
        if serial != self.serial {
            return Err(ClientError::Protocol("signed in as someone else".into()));
        }
        // A renewal on this connection signs over its own nonce (§9.2).
        self.nonce = nonce;
        self.holds = holds;
        self.not_after = not_after;
        let sessions = self
            .conversations
            .iter()
            .map(|(session, c)| ResumeEntry {
                session: *session,
                last_seq: c.last_received,
            })
            .collect();
        wire.send(CoordinatorFrame::ResumeSessions { sessions })
            .await?;
        // The old connection is gone: what it had not acknowledged, `last_seq` just did; what
        // the relay had not confirmed stored goes again on this one.
        wire.outbox().adopt(self.wire.outbox());
        self.wire = wire;
        self.unacked.clear();
        // What the relay may not have stored goes again at once, before anything new (a
        // later number first would be a gap); what it has is confirmed as a duplicate.
        self.resend_refused().await?;
        // Ended before the loss, not yet answered: ended again, after their closes.
        let ending: Vec<SessionId> = self.ending.iter().copied().collect();
        for session in ending {
            self.wire.send(CoordinatorFrame::End { session }).await?;
        }
        Ok(())
    }

    /// [`Self::resume_on`] a new connection to `url` (tests and the load generator; the
    /// console opens its own, with its TLS trust).
    pub async fn reconnect(&mut self, url: &str) -> Result<(), ClientError> {
        let challenge = Self::challenge(url, &TlsTrust::default()).await?;
        self.resume_on(challenge).await
    }

    /// Signs out: closes the connection with 1000, so the relay requeues our visitors at
    /// once instead of holding them for us to come back (§9.6).
    pub async fn sign_out(self) {
        self.wire.close().await;
    }

    /// Gives back the keys (to sign in again after the connection is lost).
    pub fn into_keys(self) -> CoordinatorFiles {
        self.keys
    }

    /// The underlying connection (tests send raw frames through it).
    pub fn wire(&mut self) -> &mut Wire {
        &mut self.wire
    }

    /// Goes on or off duty, with how many conversations we take and in which languages.
    pub async fn duty(
        &mut self,
        on: bool,
        capacity: u8,
        langs: &[&str],
    ) -> Result<(), ClientError> {
        self.wire
            .send(CoordinatorFrame::Duty {
                on,
                capacity,
                langs: langs.iter().map(|l| l.to_string()).collect(),
            })
            .await
    }

    /// Asks for a waiting visitor.
    pub async fn claim(&mut self, session: SessionId) -> Result<(), ClientError> {
        self.wire.send(CoordinatorFrame::Claim { session }).await
    }

    /// Gives a held conversation back to the queue, for any coordinator to claim (§9.6):
    /// answered by `released`, which forgets its keys here.
    pub async fn release(&mut self, session: SessionId) -> Result<(), ClientError> {
        self.wire.send(CoordinatorFrame::Release { session }).await
    }

    /// Proposes handing a conversation to coordinator `to`; the visitor is asked first.
    pub async fn transfer(&mut self, session: SessionId, to: u64) -> Result<(), ClientError> {
        self.wire
            .send(CoordinatorFrame::Transfer {
                session,
                to,
                note: None,
            })
            .await
    }

    /// As [`Self::transfer`], with a note sealed to `to`'s certified key (§5.1).
    pub async fn transfer_with_note(
        &mut self,
        session: SessionId,
        to: u64,
        note: &str,
    ) -> Result<(), ClientError> {
        let sealed = seal_note(
            &self.roster,
            &self.organisation,
            &session,
            &self.keys.dh,
            to,
            note,
        )?;
        self.wire
            .send(CoordinatorFrame::Transfer {
                session,
                to,
                note: Some(sealed),
            })
            .await
    }

    /// Encrypts and sends a text; returns its sequence number.
    pub async fn send_text(&mut self, session: SessionId, text: &str) -> Result<u64, ClientError> {
        let conversation = self
            .conversations
            .get_mut(&session)
            .ok_or_else(|| ClientError::Protocol("not our conversation".into()))?;
        let body = conversation.cipher.encrypt_text(text)?;
        self.send_data(session, body).await
    }

    /// Sends a session-cipher envelope with the conversation's next sequence number.
    async fn send_data(&mut self, session: SessionId, body: Vec<u8>) -> Result<u64, ClientError> {
        let conversation = self
            .conversations
            .get_mut(&session)
            .ok_or_else(|| ClientError::Protocol("not our conversation".into()))?;
        let seq = conversation.next_seq;
        conversation.next_seq += 1;
        self.send_kept(session, seq, PayloadKind::Data, body)
            .await?;
        Ok(seq)
    }

    /// Sends a `msg`, kept until the relay confirms it: after a `retry` the wire resends it
    /// by itself when it is due (§9.4), whether or not anyone is reading.
    async fn send_kept(
        &mut self,
        session: SessionId,
        seq: u64,
        kind: PayloadKind,
        body: Vec<u8>,
    ) -> Result<(), ClientError> {
        let frame = CoordinatorFrame::Msg {
            session,
            seq,
            kind,
            body: Bytes(body),
        };
        self.wire.send_kept(Some(session), seq, frame).await
    }

    /// Resends every frame the relay has not confirmed stored, each conversation in order,
    /// now (the wire does it by itself when a `retry` is due; duplicates are confirmed again).
    pub async fn resend_refused(&mut self) -> Result<(), ClientError> {
        self.wire.resend_kept().await
    }

    /// Forgets a conversation that is no longer ours, and what of it waited to be resent.
    /// Whether this client still has `session`'s keys (it would resume it after a loss).
    pub fn holds(&self, session: SessionId) -> bool {
        self.conversations.contains_key(&session)
    }

    /// The sequence number the next message in `session` will carry.
    pub fn next_seq(&self, session: SessionId) -> Option<u64> {
        self.conversations.get(&session).map(|c| c.next_seq)
    }

    fn drop_conversation(&mut self, session: SessionId) {
        self.conversations.remove(&session);
        self.ending.remove(&session);
        self.wire.outbox().forget_stream(Some(session));
    }

    /// Sends the authenticated close and ends the conversation. Its keys and its close are
    /// kept until the relay answers `released`: a connection that drops first (a write to a
    /// closed socket fails silently) resumes it on the next sign-in, the close goes again
    /// with the unconfirmed frames, and so does the `end`. Dropped at once instead, the
    /// resume would not name it and the relay would requeue the visitor, not end it.
    pub async fn end(&mut self, session: SessionId) -> Result<(), ClientError> {
        if !self.ending.contains(&session)
            && let Some(conversation) = self.conversations.get_mut(&session)
        {
            let body = conversation.cipher.encrypt_close()?;
            // Marked before the write: a write that fails has kept the close all the same.
            self.ending.insert(session);
            self.send_data(session, body).await?;
        }
        self.wire.send(CoordinatorFrame::End { session }).await
    }

    /// Asks for the tips inbox.
    pub async fn list_tips(&mut self) -> Result<(), ClientError> {
        self.wire.send(CoordinatorFrame::ListTips {}).await
    }

    /// Asks for a tip's sealed content.
    pub async fn open_tip(&mut self, id: TipId) -> Result<(), ClientError> {
        self.wire.send(CoordinatorFrame::OpenTip { id }).await
    }

    /// Files a sealed reply to a tip (with no copy for the inbox).
    pub async fn reply_tip(&mut self, id: TipId, sealed: Vec<u8>) -> Result<(), ClientError> {
        self.reply_tip_with_copy(id, sealed, None).await
    }

    /// Files a sealed reply to a tip and its copy sealed to the inbox key (§5).
    pub async fn reply_tip_with_copy(
        &mut self,
        id: TipId,
        sealed: Vec<u8>,
        copy: Option<Vec<u8>>,
    ) -> Result<(), ClientError> {
        self.wire
            .send(CoordinatorFrame::ReplyTip {
                id,
                sealed: Bytes(sealed),
                copy: copy.map(Bytes),
            })
            .await
    }

    /// Takes a tip (`over`: from the colleague who holds it), so one coordinator answers.
    pub async fn take_tip(&mut self, id: TipId, over: bool) -> Result<(), ClientError> {
        self.wire.send(CoordinatorFrame::TakeTip { id, over }).await
    }

    /// Marks a tip handled: its content is erased.
    pub async fn close_tip(&mut self, id: TipId) -> Result<(), ClientError> {
        self.wire.send(CoordinatorFrame::CloseTip { id }).await
    }

    fn answer(
        &self,
        session: SessionId,
        message1: &[u8],
    ) -> Result<(Vec<u8>, SessionCipher), ClientError> {
        let identity = CoordinatorIdentity {
            static_key: &self.keys.dh,
            signing_key: &self.keys.signing,
            certificate: &self.keys.certificate,
        };
        Ok(CoordinatorHandshake::respond(
            session.0,
            &self.org,
            &identity,
            DhSecret::generate(),
            message1,
        )?)
    }

    /// Reads frames until one means something to the coordinator, acting on it on the way.
    /// Not cancel-safe: inside `select!`, use [`Self::recv_frame`] then [`Self::handle`].
    pub async fn next_event(&mut self) -> Result<CoordinatorEvent, ClientError> {
        loop {
            let frame = self.recv_frame().await?;
            if let Some(event) = self.handle(frame).await? {
                return Ok(event);
            }
        }
    }

    /// The next relay frame; acknowledges what was received first if it has to wait.
    /// Cancel-safe: dropping it loses nothing.
    pub async fn recv_frame(&mut self) -> Result<RelayFrame, ClientError> {
        self.acknowledge_unless_more_ready().await?;
        self.wire.recv().await
    }

    /// Acts on one relay frame (handshake reply, decryption, acknowledgement) and says what
    /// it means, if anything. Run it to completion: cancelling it mid-way can lose the frame.
    pub async fn handle(
        &mut self,
        frame: RelayFrame,
    ) -> Result<Option<CoordinatorEvent>, ClientError> {
        let event = self.interpret(frame).await?;
        self.acknowledge_unless_more_ready().await?;
        Ok(event)
    }

    /// Acknowledgements are cumulative: with batching on, a burst of frames is acknowledged
    /// once per conversation, when no further frame is ready to read (and always before
    /// [`CoordinatorClient::recv_frame`] waits). Only for a caller that keeps reading (the
    /// console's network task, the load generator): one that stops reading after an event
    /// would leave its last frames unacknowledged. Off by default: each frame is
    /// acknowledged as it is handled.
    pub fn batch_acks(&mut self, on: bool) {
        self.batch_acks = on;
    }

    /// Notes that frame `seq` of `session` arrived (whoever read it) and acknowledges it,
    /// at once or, batching, with the last frame of the burst.
    pub async fn received(&mut self, session: SessionId, seq: u64) -> Result<(), ClientError> {
        let acked = self.unacked.entry(session).or_default();
        *acked = (*acked).max(seq);
        self.acknowledge_unless_more_ready().await
    }

    async fn acknowledge_unless_more_ready(&mut self) -> Result<(), ClientError> {
        if self.unacked.is_empty() || (self.batch_acks && self.wire.has_ready()) {
            return Ok(());
        }
        let frames: Vec<_> = self
            .unacked
            .iter()
            .map(|(session, seq)| CoordinatorFrame::Ack {
                session: *session,
                seq: *seq,
            })
            .collect();
        // Forgotten only once sent: a cancelled send leaves them to the next call.
        self.wire.send_all(frames).await?;
        self.unacked.clear();
        Ok(())
    }

    async fn interpret(
        &mut self,
        frame: RelayFrame,
    ) -> Result<Option<CoordinatorEvent>, ClientError> {
        Ok(Some(match frame {
            RelayFrame::QueueList { items, .. } => CoordinatorEvent::Queue(items),
            RelayFrame::Coordinators { on_duty } => {
                self.roster = on_duty.clone();
                CoordinatorEvent::Roster(on_duty)
            }
            RelayFrame::TransferStatus { session, status } => {
                CoordinatorEvent::TransferStatus { session, status }
            }
            RelayFrame::Claimed {
                session,
                handshake,
                kind,
                lang,
                next_seq,
                transferred_from,
                note,
                note_from,
            } => {
                let (message2, cipher) = match self.answer(session, &handshake.0) {
                    Ok(answer) => answer,
                    // A message 1 no one can answer (a low-order key a relay let through):
                    // the visitor may not rekey a held session (§9.6), so this conversation
                    // ends; the connection and every other conversation carry on.
                    Err(ClientError::Handshake(_)) => {
                        self.wire.send(CoordinatorFrame::End { session }).await?;
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                };
                self.send_kept(session, next_seq, PayloadKind::Handshake, message2)
                    .await?;
                self.conversations.insert(
                    session,
                    Conversation {
                        cipher,
                        next_seq: next_seq + 1,
                        last_received: 0,
                        kind,
                        lang: lang.clone(),
                    },
                );
                let note = read_note(
                    &self.organisation,
                    &session,
                    &self.keys.dh,
                    transferred_from.as_deref(),
                    note,
                    note_from,
                );
                CoordinatorEvent::Claimed {
                    session,
                    transferred_from,
                    kind,
                    lang,
                    note,
                }
            }
            RelayFrame::ClaimLost { session } => CoordinatorEvent::ClaimLost(session),
            RelayFrame::TransferFailed { session } => CoordinatorEvent::TransferFailed(session),
            RelayFrame::Deliver {
                session: Some(session),
                seq,
                kind: PayloadKind::Data,
                body,
            } => {
                let Some(conversation) = self.conversations.get_mut(&session) else {
                    return Ok(None);
                };
                if seq <= conversation.last_received {
                    return Ok(None);
                }
                let plaintext = conversation.cipher.decrypt(&body.0)?;
                conversation.last_received = seq;
                let acked = self.unacked.entry(session).or_default();
                *acked = (*acked).max(seq);
                match plaintext {
                    Plaintext::Text(text) => CoordinatorEvent::Text { session, text },
                    Plaintext::Close => CoordinatorEvent::VisitorClosed(session),
                }
            }
            // The wire's reader has taken it out of the outbox already.
            RelayFrame::Stored {
                session: Some(session),
                seq,
            } => CoordinatorEvent::Stored { session, seq },
            RelayFrame::Delivered {
                session: Some(session),
                seq,
            } => CoordinatorEvent::Delivered { session, seq },
            RelayFrame::Peer {
                session: Some(session),
                event,
            } => CoordinatorEvent::Peer { session, event },
            RelayFrame::Resumed {
                session,
                next_seq,
                delivered,
            } => {
                // Below `next_seq` the relay has it all (our resend follows as duplicates).
                self.wire
                    .outbox()
                    .confirmed(Some(session), next_seq.saturating_sub(1));
                CoordinatorEvent::Resumed { session, delivered }
            }
            RelayFrame::Released { session } => {
                self.drop_conversation(session);
                CoordinatorEvent::Released(session)
            }
            RelayFrame::Tips { items } => CoordinatorEvent::Tips(items),
            RelayFrame::Tip {
                id,
                sealed,
                followups,
                replies,
            } => CoordinatorEvent::Tip {
                id,
                sealed: sealed.0,
                followups: followups.into_iter().map(|b| b.0).collect(),
                replies,
            },
            RelayFrame::TipHeld { id, by } => CoordinatorEvent::TipHeld { id, by },
            RelayFrame::TipTaken { id, by } => CoordinatorEvent::TipTaken { id, by },
            // The wire's reader resends when it is due.
            RelayFrame::Retry { after_s } => CoordinatorEvent::Retry(after_s),
            RelayFrame::Pong {} => return Ok(None),
            RelayFrame::Authed { not_after, .. } => {
                self.not_after = not_after;
                CoordinatorEvent::Renewed { not_after }
            }
            other => {
                return Err(ClientError::Protocol(format!(
                    "unexpected frame for a coordinator: {other:?}"
                )));
            }
        }))
    }

    /// Reads events until one matches `want` (others are dropped) or the wire times out.
    pub async fn wait_for(
        &mut self,
        want: impl Fn(&CoordinatorEvent) -> bool,
    ) -> Result<CoordinatorEvent, ClientError> {
        loop {
            let event = self.next_event().await?;
            if want(&event) {
                return Ok(event);
            }
        }
    }
}

/// Answers the relay's challenge on `wire` with our certificate and signature; our alias
/// and serial once the relay accepts them.
async fn sign_in(
    wire: &mut Wire,
    nonce: &[u8; 32],
    org: &Fingerprint,
    keys: &CoordinatorFiles,
) -> Result<(String, u64, Option<Holds>, u64), ClientError> {
    let signature = keys.signing.sign(&auth_message(nonce, org));
    wire.send(CoordinatorFrame::Auth {
        certificate: Bytes(keys.certificate.as_bytes().to_vec()),
        signature: Bytes(signature.to_vec()),
    })
    .await?;
    match wire.recv().await? {
        RelayFrame::Authed {
            alias,
            serial,
            holds,
            not_after,
        } => Ok((alias, serial, holds, not_after)),
        _ => Err(ClientError::Protocol("expected authed".into())),
    }
}
