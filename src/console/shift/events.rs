//! What the relay connection reports ([`NetEvent`]), and what each report does to a shift:
//! the live queue and roster, claims, visitor text, delivery marks, peer changes, transfers,
//! tips, a lost and a regained connection.
//!
//! It must never drop a visitor's text into a conversation other than its session's, and
//! never do I/O.

use std::collections::HashSet;
use std::time::Instant;

use zeroize::Zeroize;

use super::Shift;
use super::commands::Command;
use super::notice::{Note, Notice};
use super::reason::Reason;
use super::state::{ConvState, Conversation, Line, Mark, Screen, Selected, TipId, Who};
use crate::client::coordinator::CoordinatorEvent;
use crate::client::handover::HandoverNote;
use crate::protocol::SessionId;
use crate::protocol::frames::TransferStatus;
use crate::protocol::frames::{ConversationKind, PeerEvent};

/// What the relay connection reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    /// A frame from the relay, decrypted where it carried a conversation's text.
    Relay(CoordinatorEvent),
    /// A `Send` went out with this sequence number (or is kept to go out first thing after
    /// signing in again, the connection having dropped as it was written).
    Sent {
        /// The conversation.
        session: SessionId,
        /// The transcript line that shows it ([`Command::Send`]'s `line`).
        line: usize,
        /// Its sequence number in the conversation.
        seq: u64,
    },
    /// A command failed but the connection lives on.
    Failed(Reason),
    /// A message, hand-over or tip reply the shift already showed as on its way never left
    /// (offline, or the connection refused it): the shift takes it back.
    NotDone {
        /// What did not happen.
        undone: Undone,
        /// Why.
        reason: Reason,
    },
    /// The connection is gone (the net task signs in again by itself, with backoff).
    Disconnected(String),
    /// Signed in again after a lost connection.
    Reconnected,
    /// The relay closed the connection because this identity signed in on another console
    /// or desk (4011): the net task has stopped, and the shift ends.
    Replaced,
}

/// A command the connection could not carry out, named so that the shift can take back what
/// it showed as done: a line marked on its way, a conversation marked being handed over, a
/// reply added to a tip's thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Undone {
    /// A message that never left; its line is marked and its words go back to the draft.
    Send {
        /// The conversation.
        session: SessionId,
        /// Its transcript line.
        line: usize,
    },
    /// A hand-over that never reached the relay: still mine. Its note is not put back in
    /// the visitor's draft, where one Enter would send it to them.
    Transfer {
        /// The conversation.
        session: SessionId,
    },
    /// A tip reply that was never filed: it leaves the thread, its words go back to the draft.
    ReplyTip(TipId),
}

impl Undone {
    /// What the shift must take back if `command` fails; `None` for a command that showed
    /// nothing as done before the relay answered.
    pub fn of(command: &Command) -> Option<Self> {
        match command {
            Command::Send { session, line, .. } => Some(Self::Send {
                session: *session,
                line: *line,
            }),
            Command::Transfer { session, .. } => Some(Self::Transfer { session: *session }),
            Command::ReplyTip { id, .. } => Some(Self::ReplyTip(*id)),
            _ => None,
        }
    }
}

impl Shift {
    pub(super) fn on_net(&mut self, event: NetEvent, now: Instant) -> Vec<Command> {
        match event {
            NetEvent::Relay(e) => {
                self.on_relay(e, now);
                Vec::new()
            }
            NetEvent::Sent { session, line, seq } => {
                if let Some(c) = self.conversation_mut(&session)
                    && let Some(line) = c.lines.get_mut(line)
                    && line.who == Who::Me
                {
                    line.seq = Some(seq);
                }
                Vec::new()
            }
            NetEvent::Failed(reason) => {
                self.status = Notice::NotDone { reason };
                Vec::new()
            }
            NetEvent::NotDone { undone, reason } => {
                self.take_back(undone);
                self.status = Notice::NotDone { reason };
                Vec::new()
            }
            NetEvent::Disconnected(_) => {
                self.connection_lost();
                Vec::new()
            }
            NetEvent::Replaced => {
                self.connection_lost();
                self.duty_before_loss = false;
                self.status = Notice::SignedInElsewhere;
                self.quit = true;
                Vec::new()
            }
            NetEvent::Reconnected => {
                self.connected = true;
                let back_on_duty = std::mem::take(&mut self.duty_before_loss);
                // Going back on duty asks for the tips; off duty they are asked for anyway.
                let commands = if back_on_duty {
                    self.duty(true)
                } else {
                    self.signed_in()
                };
                self.status = Notice::Reconnected {
                    on_duty: back_on_duty,
                };
                commands
            }
        }
    }

    fn take_back(&mut self, undone: Undone) {
        match undone {
            Undone::Send { session, line } => {
                if let Some(c) = self.conversation_mut(&session)
                    && let Some(l) = c.lines.get_mut(line)
                    && l.who == Who::Me
                    && l.seq.is_none()
                {
                    l.mark = Mark::NotSent;
                    let words = l.text.clone();
                    restore_draft(&mut c.draft, words);
                }
            }
            Undone::Transfer { session } => {
                if let Some(c) = self.conversation_mut(&session)
                    && c.transfer_to.take().is_some()
                {
                    c.state = ConvState::Open;
                    c.note(Note::TransferFailed);
                }
            }
            Undone::ReplyTip(id) => self.take_back_reply(id),
        }
    }

    fn connection_lost(&mut self) {
        self.connected = false;
        self.duty_before_loss |= self.on_duty;
        self.on_duty = false;
        self.queue.clear();
        self.roster.clear();
        // The relay holds a dropped coordinator's conversations while the net task signs in
        // again and resumes them (§9.6): kept here, marked, until `resumed` or `released`.
        for c in &mut self.conversations {
            if c.state != ConvState::Ended {
                c.note(Note::ConnectionLost);
            }
        }
        self.status = Notice::Reconnecting;
    }

    fn on_relay(&mut self, event: CoordinatorEvent, now: Instant) {
        match event {
            CoordinatorEvent::Queue(items) => self.on_queue(items, now),
            CoordinatorEvent::Roster(list) => self.roster = list,
            CoordinatorEvent::Claimed {
                session,
                transferred_from,
                kind,
                lang,
                note,
            } => {
                self.claimed(session, transferred_from, now);
                if let Some(c) = self.conversation_mut(&session) {
                    // From the relay, not only the queue row: a hand-over has no row here.
                    c.kind = kind;
                    c.lang = lang.or(c.lang.take());
                    match note {
                        Some(HandoverNote::Text(text)) => c.note(Note::HandoverNote { text }),
                        Some(HandoverNote::Unreadable) => c.note(Note::HandoverNoteUnreadable),
                        None => {}
                    }
                }
            }
            CoordinatorEvent::TransferStatus { session, status } => {
                self.transfer_status(session, status)
            }
            CoordinatorEvent::Resumed { session, delivered } => {
                if let Some(c) = self.conversation_mut(&session) {
                    c.note(Note::Resumed);
                    // A hand-over I proposed died with my connection (§9.6): the visitor
                    // was told it was withdrawn, and the conversation is mine again.
                    if c.transfer_to.take().is_some() {
                        if c.state == ConvState::Transferring {
                            c.state = ConvState::Open;
                        }
                        c.note(Note::TransferFailed);
                    }
                }
                // What the visitor read while I was away is said only here.
                self.delivered(session, delivered);
            }
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
            CoordinatorEvent::Stored { session, seq } => self.stored(session, seq),
            CoordinatorEvent::Delivered { session, seq } => self.delivered(session, seq),
            CoordinatorEvent::Peer { session, event } => self.peer(session, event),
            CoordinatorEvent::Released(session) => self.released(session),
            CoordinatorEvent::Tips(items) => {
                // The relay lists the tips after it answered a reply: it was filed, or
                // refused first (`retry`, `tip_held`).
                self.reply_unconfirmed = None;
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
                replies,
            } => self.open_tip(id, &sealed, &followups, &replies),
            CoordinatorEvent::TipHeld { id, by } => self.tip_held(id, by),
            CoordinatorEvent::TipTaken { id: _, by } => {
                self.bell = true;
                self.status = Notice::TipTakenOver { by };
            }
            CoordinatorEvent::Retry(retry_after) => self.retry(retry_after),
            CoordinatorEvent::Renewed { not_after } => self.renewed(not_after),
        }
    }

    fn claimed(&mut self, session: SessionId, transferred_from: Option<String>, now: Instant) {
        let row = self.queue.iter().find(|q| q.session == session).cloned();
        self.queue.retain(|q| q.session != session);
        let number = match self.conversation_mut(&session) {
            Some(c) => {
                c.reopen(now);
                c.number
            }
            None => {
                let number = self.free_number();
                let conversation = Conversation {
                    session,
                    number,
                    kind: row.as_ref().map_or(ConversationKind::Chat, |r| r.kind),
                    lang: row.and_then(|r| r.lang),
                    opened_at: now,
                    transferred_from: None,
                    lines: Vec::new(),
                    unread: 0,
                    draft: String::new(),
                    state: ConvState::Open,
                    transfer_to: None,
                    handover_note: String::new(),
                };
                // The sidebar lists conversations by number, the key that selects them.
                let at = self.conversations.partition_point(|c| c.number < number);
                self.conversations.insert(at, conversation);
                number
            }
        };
        if let Some(c) = self.conversation_mut(&session) {
            c.transferred_from = transferred_from.clone();
            c.note(match &transferred_from {
                Some(from) => Note::TransferredIn { from: from.clone() },
                None => Note::Joined,
            });
        }
        match transferred_from {
            Some(from) => {
                self.bell = true;
                self.status = Notice::TransferredIn { number, from };
            }
            None => self.status = Notice::Claimed { number },
        }
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

    /// The visitor is asked before a hand-over. While they decide the conversation goes on
    /// (they may ask who the colleague is); accepted, it moves (released follows); declined
    /// or unanswered, it stays here.
    fn transfer_status(&mut self, session: SessionId, status: TransferStatus) {
        let Some(c) = self.conversation_mut(&session) else {
            return;
        };
        if c.transfer_to.is_none() {
            return;
        }
        c.note(Note::Transfer(status));
        match status {
            TransferStatus::Waiting => c.state = ConvState::Open,
            TransferStatus::Accepted => {
                c.state = ConvState::Transferring;
                c.handover_note.zeroize();
            }
            TransferStatus::Declined | TransferStatus::Expired => {
                c.state = ConvState::Open;
                c.transfer_to = None;
            }
        }
        let number = c.number;
        self.status = Notice::TransferAnswered { number, status };
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
                self.never_delivered(session);
            }
            PeerEvent::Lost => {
                c.state = ConvState::Ended;
                c.note(Note::StoreLost);
                self.never_delivered(session);
            }
            // Reconnecting and Back are said to visitors only (§9.6).
            PeerEvent::Joined
            | PeerEvent::Left
            | PeerEvent::Transferring
            | PeerEvent::Reconnecting
            | PeerEvent::Back => {}
        }
    }

    /// The relay no longer routes this conversation here: handed over, or over.
    fn released(&mut self, session: SessionId) {
        // Handed over only once the visitor accepted (`Transferring`); released while they
        // were still deciding means it ended or expired.
        let handed = self
            .conversation(&session)
            .filter(|c| c.state == ConvState::Transferring)
            .and_then(|c| c.transfer_to.clone().map(|to| (c.number, to)));
        if let Some((number, to)) = handed {
            self.remove_conversation(session);
            self.status = Notice::HandedOver { number, to };
        } else if let Some(c) = self.conversation_mut(&session) {
            if c.state == ConvState::Ended {
                return;
            }
            c.note(Note::Over);
            c.state = ConvState::Ended;
            // Released while connected, it expired or ended: the relay erased what it held.
            // Released in answer to my resume, it may have been requeued instead (§9.6).
            if !c.awaiting_resume() {
                self.never_delivered(session);
            }
        }
    }
}

/// Puts `words` that did not go back into `draft`, after what is there (words taken back
/// one after the other keep their order).
fn restore_draft(draft: &mut String, words: String) {
    *draft = if draft.trim().is_empty() {
        words
    } else {
        format!("{} {words}", draft.trim_end())
    };
}
