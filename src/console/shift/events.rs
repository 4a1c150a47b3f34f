//! What the relay connection reports ([`NetEvent`]), and what each report does to a shift:
//! the live queue and roster, claims, visitor text, delivery marks, peer changes, transfers,
//! tips, a lost and a regained connection.
//!
//! It must never drop a visitor's text into a conversation other than its session's, and
//! never do I/O.

use std::collections::HashSet;
use std::time::Instant;

use super::Shift;
use super::commands::Command;
use super::notice::{Note, Notice};
use super::state::{ConvState, Conversation, Line, Mark, QueueRow, Screen, Selected, TipId, Who};
use crate::client::coordinator::CoordinatorEvent;
use crate::protocol::SessionId;
use crate::protocol::frames::{ConversationKind, PeerEvent};

/// What the relay connection reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    /// A frame from the relay, decrypted where it carried a conversation's text.
    Relay(CoordinatorEvent),
    /// A `Send` went out with this sequence number.
    Sent {
        /// The conversation.
        session: SessionId,
        /// Its sequence number in the conversation.
        seq: u64,
    },
    /// A command failed but the connection lives on.
    Failed(String),
    /// The connection is gone (the net task signs in again by itself, with backoff).
    Disconnected(String),
    /// Signed in again after a lost connection.
    Reconnected,
}

impl Shift {
    pub(super) fn on_net(&mut self, event: NetEvent, now: Instant) -> Vec<Command> {
        match event {
            NetEvent::Relay(e) => {
                self.on_relay(e, now);
                Vec::new()
            }
            NetEvent::Sent { session, seq } => {
                if let Some(c) = self.conversation_mut(&session)
                    && let Some(line) = c
                        .lines
                        .iter_mut()
                        .find(|l| l.who == Who::Me && l.seq.is_none())
                {
                    line.seq = Some(seq);
                }
                Vec::new()
            }
            NetEvent::Failed(reason) => {
                self.status = Notice::NotDone { reason };
                Vec::new()
            }
            NetEvent::Disconnected(reason) => {
                self.connection_lost(reason);
                Vec::new()
            }
            NetEvent::Reconnected => {
                self.connected = true;
                self.status = Notice::Reconnected;
                if std::mem::take(&mut self.duty_before_loss) {
                    return self.duty(true);
                }
                Vec::new()
            }
        }
    }

    fn connection_lost(&mut self, reason: String) {
        self.connected = false;
        self.duty_before_loss |= self.on_duty;
        self.on_duty = false;
        self.queue.clear();
        self.roster.clear();
        // The relay requeues a dropped coordinator's visitors: these are over here.
        for c in &mut self.conversations {
            if c.state != ConvState::Ended {
                c.state = ConvState::Ended;
                c.note(Note::ConnectionLost);
            }
        }
        self.status = Notice::ConnectionLost { reason };
    }

    fn on_relay(&mut self, event: CoordinatorEvent, now: Instant) {
        match event {
            CoordinatorEvent::Queue(items) => {
                let before: HashSet<SessionId> = self.queue.iter().map(|q| q.session).collect();
                if items.iter().any(|i| !before.contains(&i.session)) {
                    self.bell = true;
                }
                self.queue = items
                    .into_iter()
                    .map(|i| QueueRow {
                        session: i.session,
                        waited_s: i.waited_s,
                        kind: i.kind,
                        lang: i.lang,
                        seen_at: now,
                    })
                    .collect();
                self.follow_queue();
            }
            CoordinatorEvent::Roster(list) => self.roster = list,
            CoordinatorEvent::Claimed {
                session,
                transferred_from,
            } => self.claimed(session, transferred_from, now),
            CoordinatorEvent::ClaimLost(session) => {
                if self.pending_claim == Some(session) {
                    self.pending_claim = None;
                }
                self.status = Notice::ClaimLost;
            }
            CoordinatorEvent::TransferFailed(session) => {
                if let Some(c) = self.conversation_mut(&session) {
                    c.state = ConvState::Open;
                    c.transfer_to = None;
                    c.note(Note::TransferFailed);
                    let number = c.number;
                    self.status = Notice::TransferFailed { number };
                }
            }
            CoordinatorEvent::Text { session, text } => {
                let shown = self.screen == Screen::Chats
                    && self.current_session() == Some(session)
                    && !self.locked;
                if let Some(c) = self.conversation_mut(&session) {
                    c.lines.push(Line {
                        who: Who::Visitor,
                        text,
                        seq: None,
                        mark: Mark::Delivered,
                    });
                    if !shown {
                        c.unread += 1;
                    }
                }
            }
            CoordinatorEvent::VisitorClosed(session) => {
                if let Some(c) = self.conversation_mut(&session) {
                    c.note(Note::VisitorClosed);
                }
            }
            CoordinatorEvent::Stored { session, seq } => {
                self.mark(session, |l| l.seq == Some(seq), Mark::Sent);
            }
            CoordinatorEvent::Delivered { session, seq } => {
                self.mark(
                    session,
                    |l| l.seq.is_some_and(|s| s <= seq),
                    Mark::Delivered,
                );
            }
            CoordinatorEvent::Peer { session, event } => self.peer(session, event),
            CoordinatorEvent::Released(session) => self.released(session),
            CoordinatorEvent::Tips(items) => {
                let before: HashSet<TipId> = self.tips.iter().map(|t| t.id).collect();
                if items.iter().any(|t| !before.contains(&t.id)) && !before.is_empty() {
                    self.status = Notice::NewTip;
                }
                self.tips = items;
                if let Some(opened) = &self.opened_tip
                    && !self.tips.iter().any(|t| t.id == opened.id)
                {
                    self.opened_tip = None;
                }
            }
            CoordinatorEvent::Tip {
                id,
                sealed,
                followups,
            } => self.open_tip(id, &sealed, &followups),
            CoordinatorEvent::Retry(retry_after) => {
                self.status = Notice::RelayBusy { retry_after };
            }
        }
    }

    fn claimed(&mut self, session: SessionId, transferred_from: Option<String>, now: Instant) {
        let row = self.queue.iter().find(|q| q.session == session).cloned();
        self.queue.retain(|q| q.session != session);
        let number = self.next_number;
        self.next_number += 1;
        let mut conversation = Conversation {
            session,
            number,
            kind: row.as_ref().map_or(ConversationKind::Chat, |r| r.kind),
            lang: row.and_then(|r| r.lang),
            opened_at: now,
            transferred_from: transferred_from.clone(),
            lines: Vec::new(),
            unread: 0,
            draft: String::new(),
            state: ConvState::Open,
            transfer_to: None,
        };
        match transferred_from {
            Some(from) => {
                conversation.note(Note::TransferredIn { from: from.clone() });
                self.bell = true;
                self.status = Notice::TransferredIn { number, from };
            }
            None => {
                conversation.note(Note::Joined);
                self.status = Notice::Claimed { number };
            }
        }
        self.conversations.push(conversation);
        let asked_here = self.pending_claim == Some(session);
        if asked_here {
            self.pending_claim = None;
        }
        if asked_here || self.selected.is_none() || self.selected == Some(Selected::Queue(session))
        {
            self.select(Some(Selected::Conversation(session)));
        }
        let shown = self.selected == Some(Selected::Conversation(session));
        if !shown && let Some(c) = self.conversation_mut(&session) {
            c.unread += 1;
        }
    }

    fn peer(&mut self, session: SessionId, event: PeerEvent) {
        let Some(c) = self.conversation_mut(&session) else {
            return;
        };
        match event {
            PeerEvent::Away => {
                c.state = ConvState::Away;
                c.note(Note::VisitorAway);
            }
            PeerEvent::Returned => {
                c.state = ConvState::Open;
                c.note(Note::VisitorBack);
            }
            PeerEvent::Ended => {
                c.state = ConvState::Ended;
                c.note(Note::VisitorEnded);
            }
            PeerEvent::Lost => {
                c.state = ConvState::Ended;
                c.note(Note::StoreLost);
            }
            PeerEvent::Joined | PeerEvent::Left | PeerEvent::Transferring => {}
        }
    }

    /// The relay no longer routes this conversation here: handed over, or over.
    fn released(&mut self, session: SessionId) {
        let handed = self
            .conversation(&session)
            .and_then(|c| c.transfer_to.clone().map(|to| (c.number, to)));
        if let Some((number, to)) = handed {
            self.remove_conversation(session);
            self.status = Notice::HandedOver { number, to };
        } else if let Some(c) = self.conversation_mut(&session) {
            if c.state != ConvState::Ended {
                c.note(Note::Over);
            }
            c.state = ConvState::Ended;
        }
    }

    fn mark(&mut self, session: SessionId, which: impl Fn(&Line) -> bool, mark: Mark) {
        if let Some(c) = self.conversation_mut(&session) {
            for line in c.lines.iter_mut().filter(|l| l.who == Who::Me) {
                if which(line) && line.mark < mark {
                    line.mark = mark;
                }
            }
        }
    }
}
