//! What the coordinator intends ([`Action`]), whatever the front end it came through (a key,
//! a click), and what each intent does to a shift: duty, claims, drafts and resources,
//! sending, transfers, ending, tips, the lock and quitting. The checks that refuse an intent
//! (off duty, at capacity, no free colleague, over) live here, so every front end refuses
//! the same things; front ends may ask them first ([`Shift::writable`],
//! [`Shift::transferable`], [`Shift::replyable`]) to decide what to offer.
//!
//! It must never act while the console is locked (only [`Action::Unlock`] is heard then),
//! and never do I/O.

use std::time::Instant;

use zeroize::Zeroizing;

use super::commands::Command;
use super::notice::{Note, Notice};
use super::state::{ConvState, Line, Mark, Screen, Selected, Target, TipId, Who};
use super::{Shift, short};
use crate::console::resources::placeholders;
use crate::crypto::handover_note::MAX_NOTE_BYTES;
use crate::protocol::SessionId;

/// A passphrase typed at the lock: wiped from memory when dropped, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Takes ownership of what was typed.
    pub fn new(typed: String) -> Self {
        Self(Zeroizing::new(typed))
    }

    /// What was typed.
    pub fn text(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// A change to a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// One more character at the end (a terminal's key press).
    Push(char),
    /// The last character removed.
    Pop,
    /// The whole draft replaced (a browser's text field, the terminal's line editor).
    Replace(String),
}

/// What the coordinator wants done.
#[derive(Debug)]
pub enum Action {
    /// Go on (`true`) or off duty; off duty keeps held conversations.
    Duty(bool),
    /// Look at a queue row or a conversation (reads its unread lines), or at nothing.
    Select(Option<Selected>),
    /// Switch between chats and tips; showing tips asks the relay for the list.
    Show(Screen),
    /// Answer this waiting visitor.
    Claim(SessionId),
    /// Answer the visitor waiting longest.
    ClaimNext,
    /// Change a draft.
    Edit {
        /// Whose draft.
        target: Target,
        /// The change.
        edit: Edit,
    },
    /// Append a ready-made resource (by its place in [`Shift::offered_resources`]) to a
    /// draft, to be edited before sending.
    InsertResource {
        /// Whose draft.
        target: Target,
        /// Its place among the offered resources.
        index: usize,
    },
    /// Send a draft: to the visitor, or sealed to the opened tip's tipster.
    Send(Target),
    /// Hand a conversation to the colleague with this serial, with a note written in the
    /// note's own box (never the visitor's draft, which is left as it was): nothing reaches
    /// the visitor, and one Enter can never send the note to them.
    Transfer {
        /// The conversation.
        session: SessionId,
        /// The colleague's certificate serial.
        to: u64,
        /// The note for the colleague (empty: none).
        note: String,
    },
    /// End a conversation (or close one already over) and erase it here.
    End(SessionId),
    /// Ask the relay for the tips list again.
    RefreshTips,
    /// Fetch a tip to open it with the inbox key.
    OpenTip(TipId),
    /// Mark a tip handled: it is deleted from the relay.
    TipHandled(TipId),
    /// Take a tip so colleagues see I answer it; `over` takes it from the colleague who
    /// holds it (they are told).
    TakeTip {
        /// The tip.
        id: TipId,
        /// From a colleague who holds it.
        over: bool,
    },
    /// Lock now.
    Lock,
    /// Try the passphrase at the lock.
    Unlock(Passphrase),
    /// End the shift (off duty first).
    Quit,
}

impl Shift {
    /// Does what the coordinator asked at `now`; returns what to send to the relay.
    pub fn act(&mut self, action: Action, now: Instant) -> Vec<Command> {
        self.touch(now);
        if self.locked {
            if let Action::Unlock(passphrase) = action {
                self.unlock(&passphrase);
                return self.after_unlock(passphrase);
            }
            return Vec::new();
        }
        match action {
            Action::Duty(on) => self.duty(on),
            Action::Select(selected) => {
                self.select(selected);
                Vec::new()
            }
            Action::Show(screen) => {
                self.screen = screen;
                match screen {
                    Screen::Tips => vec![Command::ListTips],
                    Screen::Chats => Vec::new(),
                }
            }
            Action::Claim(session) => self.claim(session),
            Action::ClaimNext => match self.longest_waiting(now) {
                Some(first) => self.claim(first),
                None => {
                    self.status = Notice::NobodyWaiting;
                    Vec::new()
                }
            },
            Action::Edit { target, edit } => {
                if let Some(draft) = self.draft_mut(target) {
                    match edit {
                        Edit::Push(c) => draft.push(c),
                        Edit::Pop => {
                            draft.pop();
                        }
                        Edit::Replace(text) => *draft = text,
                    }
                }
                Vec::new()
            }
            Action::InsertResource { target, index } => {
                self.insert_resource(target, index);
                Vec::new()
            }
            Action::Send(target) if self.holds_placeholder(target) => Vec::new(),
            // Offline nothing reaches the relay: a message shown as on its way would never go
            // (the connection refuses it until it has signed in again), so nothing is taken
            // from the boxes. Ending and locking work offline; duty says why it waits.
            Action::Send(_)
            | Action::Transfer { .. }
            | Action::TipHandled(_)
            | Action::TakeTip { .. }
                if !self.connected =>
            {
                self.status = Notice::OfflineKept;
                Vec::new()
            }
            Action::Send(Target::Conversation(session)) => self.send(session),
            Action::Send(Target::Tip(id)) => self.send_tip_reply(id),
            Action::Transfer { session, to, note } => self.transfer(session, to, &note),
            Action::End(session) => self.end(session),
            Action::RefreshTips => vec![Command::ListTips],
            Action::OpenTip(id) => self.ask_tip(id),
            Action::TipHandled(id) => self.tip_handled(id),
            Action::TakeTip { id, over } => self.take_tip(id, over),
            Action::Lock => {
                self.lock_now(now);
                Vec::new()
            }
            Action::Unlock(_) => Vec::new(),
            Action::Quit => self.quit(),
        }
    }

    /// Whether this conversation can be written to; the reason it cannot otherwise.
    pub fn writable(&self, session: SessionId) -> Result<(), Notice> {
        match self.conversation(&session) {
            Some(c) if c.state == ConvState::Ended => Err(Notice::ConversationOver),
            Some(_) => Ok(()),
            None => Err(Notice::SelectConversationFirst),
        }
    }

    /// Whether `target`'s draft still holds a resource's placeholder (`<number>`); if so the
    /// status says which, and nothing may be sent: a visitor must never receive a blank
    /// form where a shelter's name or a phone number should be.
    fn holds_placeholder(&mut self, target: Target) -> bool {
        let Some(draft) = self.draft(target) else {
            return false;
        };
        let first = placeholders(draft)
            .first()
            .map(|r| draft[r.clone()].to_owned());
        if let Some(placeholder) = first {
            self.status = Notice::UnfilledPlaceholder { placeholder };
            return true;
        }
        false
    }

    /// Whether this conversation can be handed over now; the reason it cannot otherwise.
    pub fn transferable(&self, session: SessionId) -> Result<(), Notice> {
        match self.conversation(&session) {
            // One proposal at a time: while the visitor decides, `transfer_to` names it.
            Some(c)
                if matches!(c.state, ConvState::Open | ConvState::Away)
                    && c.transfer_to.is_none() =>
            {
                if self.transfer_targets().is_empty() {
                    Err(Notice::NoFreeColleague)
                } else {
                    Ok(())
                }
            }
            Some(_) => Err(Notice::CannotTransferNow),
            None => Err(Notice::SelectConversationFirst),
        }
    }

    fn unlock(&mut self, passphrase: &Passphrase) {
        if self.lock.verify(&passphrase.0) {
            self.locked = false;
            self.unlock_failed = false;
            self.status = self.unlocked_notice();
        } else {
            self.unlock_failed = true;
        }
    }

    pub(super) fn duty(&mut self, on: bool) -> Vec<Command> {
        if !self.connected {
            // The relay cannot hear it: claiming duty now would show a coordinator who
            // cannot answer. Duty held before the loss resumes by itself on sign-in.
            self.status = Notice::Offline;
            return Vec::new();
        }
        self.on_duty = on;
        self.status = if on { Notice::OnDuty } else { Notice::OffDuty };
        if !on {
            self.queue.clear();
            self.roster.clear();
            if matches!(self.selected, Some(Selected::Queue(_))) {
                let first = self.first_conversation();
                self.select(first);
            }
        }
        let mut commands = vec![self.duty_command(on)];
        if on {
            commands.push(Command::ListTips);
        }
        commands
    }

    fn duty_command(&self, on: bool) -> Command {
        Command::Duty {
            on,
            capacity: self.settings.capacity,
            langs: self.settings.langs.clone(),
        }
    }

    fn claim(&mut self, session: SessionId) -> Vec<Command> {
        if !self.on_duty {
            self.status = Notice::NotOnDuty;
            return Vec::new();
        }
        let held = self.held();
        if held >= self.settings.capacity as usize {
            self.status = Notice::AtCapacity { held };
            return Vec::new();
        }
        self.pending_claim = Some(session);
        self.status = Notice::Answering {
            short: short(&session),
        };
        vec![Command::Claim(session)]
    }

    fn insert_resource(&mut self, target: Target, index: usize) {
        let text = self
            .offered_resources(Some(target))
            .get(index)
            .map(|r| r.text.clone());
        if let (Some(text), Some(draft)) = (text, self.draft_mut(target)) {
            if !draft.is_empty() && !draft.ends_with(' ') {
                draft.push(' ');
            }
            draft.push_str(&text);
        }
    }

    fn send(&mut self, session: SessionId) -> Vec<Command> {
        let Some(c) = self.conversation_mut(&session) else {
            return Vec::new();
        };
        if !c.takes_messages() {
            // Over: say what works (closing it); moving: say it waits.
            self.status = if c.state == ConvState::Ended {
                Notice::ConversationOver
            } else {
                Notice::NoLongerTakesMessages
            };
            return Vec::new();
        }
        let text = c.draft.trim().to_owned();
        if text.is_empty() {
            return Vec::new();
        }
        c.draft.clear();
        let line = c.lines.len();
        let number = c.number;
        c.lines.push(Line {
            who: Who::Me,
            text: text.clone(),
            seq: None,
            mark: Mark::Pending,
        });
        // "Not sent: replace <…>" was about this send; left on screen it would say the message
        // did not go. Any other notice stays: a sent message is shown by its mark, and an
        // ordinary send must not wipe news (a new tip, a transfer answered).
        if matches!(self.status, Notice::UnfilledPlaceholder { .. }) {
            self.status = Notice::MessageSent { number };
        }
        vec![Command::Send {
            session,
            text,
            line,
        }]
    }

    /// Hands `session` to `to`, with `written` as the note, or (`None`) the draft.
    fn transfer(&mut self, session: SessionId, to: u64, written: &str) -> Vec<Command> {
        if let Err(refused) = self.transferable(session) {
            self.status = refused;
            return Vec::new();
        }
        let alias = self
            .transfer_targets()
            .iter()
            .find(|c| c.serial == to)
            .map(|c| c.alias.clone());
        let Some(alias) = alias else {
            self.status = Notice::NoFreeColleague;
            return Vec::new();
        };
        // The note comes from its own box; the visitor's draft is theirs and stays.
        let text = written.trim().to_owned();
        if text.len() > MAX_NOTE_BYTES || text.chars().any(char::is_control) {
            self.status = Notice::NoteTooLong;
            return Vec::new();
        }
        if let Some(c) = self.conversation_mut(&session) {
            c.handover_note.clone_from(&text);
            c.state = ConvState::Transferring;
            c.transfer_to = Some(alias.clone());
            c.note(Note::HandingOver { to: alias.clone() });
        }
        self.status = Notice::Transferring { to: alias };
        let note = (!text.is_empty()).then_some(text);
        vec![Command::Transfer { session, to, note }]
    }

    fn end(&mut self, session: SessionId) -> Vec<Command> {
        let Some((number, already_over)) = self
            .conversation(&session)
            .map(|c| (c.number, c.state == ConvState::Ended))
        else {
            return Vec::new();
        };
        self.remove_conversation(session);
        self.status = Notice::Erased { number };
        if already_over {
            Vec::new()
        } else {
            vec![Command::End(session)]
        }
    }

    fn quit(&mut self) -> Vec<Command> {
        self.quit = true;
        let mut commands = Vec::new();
        if self.on_duty {
            self.on_duty = false;
            commands.push(self.duty_command(false));
        }
        commands.push(Command::Quit);
        commands
    }
}
