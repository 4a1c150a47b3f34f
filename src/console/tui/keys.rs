//! The terminal's key bindings: each key press becomes one of the core's [`Action`]s, or
//! moves the terminal's own view state (a picker's cursor, a confirmation, scrolling, help).
//! F1 lists them ([`super::ui::HELP`]).
//!
//! One rule keeps typing from running a command by accident: a printable character is
//! always text. Outside a draft it opens the draft of the conversation shown (or the opened
//! tip's reply) and goes into it, or changes nothing and says why; commands are control
//! keys (Ctrl-letters, arrows, Enter, Tab, Alt-digits, F1), and those that end something ask
//! first.
//!
//! It must never decide what an action does or whether it is allowed (the core refuses what
//! it must, and says why), and while the console is locked every key goes to the passphrase.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Mode, SCROLL_STEP, editor};
use crate::console::shift::{
    Action, Command, Edit, Notice, Passphrase, Screen, Selected, Target, TipHolder,
};

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Alt-1 … Alt-9: the conversation with that number.
fn alt_digit(key: &KeyEvent) -> Option<u32> {
    match key.code {
        KeyCode::Char(c @ '1'..='9') if key.modifiers.contains(KeyModifiers::ALT) => c.to_digit(10),
        _ => None,
    }
}

fn help_key(key: &KeyEvent) -> bool {
    key.code == KeyCode::F(1) || ctrl(key, 'g')
}

/// ↑ and ↓ move a picker's cursor among `count` rows; `None` for any other key.
fn picker_step(key: &KeyEvent, index: usize, count: usize) -> Option<usize> {
    match key.code {
        KeyCode::Up => Some(index.saturating_sub(1)),
        KeyCode::Down => Some((index + 1).min(count.saturating_sub(1))),
        _ => None,
    }
}

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        self.shift.touch(now);
        if self.shift.is_locked() {
            return self.lock_key(key, now);
        }
        if ctrl(&key, 'l') {
            return self.shift.act(Action::Lock, now);
        }
        if ctrl(&key, 'c') {
            self.mode = Mode::ConfirmQuit;
            return Vec::new();
        }
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
        match self.mode.clone() {
            Mode::Help | Mode::Roster => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            Mode::Compose => self.compose_key(key, now),
            Mode::PickResource { index } => self.resource_key(key, index, now),
            Mode::PickTransfer { index } => self.transfer_key(key, index),
            Mode::WriteNote { to, alias } => self.note_key(key, to, alias, now),
            Mode::ConfirmEnd(session) => self.confirmed(yes, Action::End(session), now),
            Mode::ConfirmHandled(id) => self.confirmed(yes, Action::TipHandled(id), now),
            Mode::ConfirmQuit => self.confirmed(yes, Action::Quit, now),
            Mode::ConfirmTakeOver(id) => {
                self.confirmed(yes, Action::TakeTip { id, over: true }, now)
            }
            Mode::Normal => {
                if typed_char(&key).is_none() {
                    self.typing_interrupted = false;
                }
                match self.shift.screen {
                    Screen::Chats => self.chats_key(key, now),
                    Screen::Tips => self.tips_key(key, now),
                }
            }
        }
    }

    fn confirmed(&mut self, yes: bool, action: Action, now: Instant) -> Vec<Command> {
        self.mode = Mode::Normal;
        if yes {
            self.shift.act(action, now)
        } else {
            Vec::new()
        }
    }

    fn lock_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        match key.code {
            KeyCode::Enter => {
                let typed = std::mem::take(&mut *self.typed);
                return self.shift.act(Action::Unlock(Passphrase::new(typed)), now);
            }
            KeyCode::Backspace => {
                self.typed.pop();
            }
            KeyCode::Esc => self.typed.clear(),
            _ => {
                if let Some(c) = typed_char(&key) {
                    self.typed.push(c);
                }
            }
        }
        Vec::new()
    }

    fn open_resources(&mut self, from_compose: bool) {
        if self.shift.resources.items.is_empty() {
            self.shift.status = Notice::NoResources;
            return;
        }
        self.return_to_compose = from_compose;
        self.open(Mode::PickResource { index: 0 });
    }

    fn leave_picker(&mut self) {
        self.mode = if self.return_to_compose {
            Mode::Compose
        } else {
            Mode::Normal
        };
    }

    fn resource_key(&mut self, key: KeyEvent, index: usize, now: Instant) -> Vec<Command> {
        let target = self.subject;
        let count = self.shift.offered_resources(target).len();
        if let Some(index) = picker_step(&key, index, count) {
            self.mode = Mode::PickResource { index };
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter => {
                if let Some(target) = target {
                    self.shift
                        .act(Action::InsertResource { target, index }, now);
                }
                self.write();
            }
            _ => self.leave_picker(),
        }
        Vec::new()
    }

    fn transfer_key(&mut self, key: KeyEvent, index: usize) -> Vec<Command> {
        let count = self.shift.transfer_targets().len();
        if let Some(index) = picker_step(&key, index, count) {
            self.mode = Mode::PickTransfer { index };
            return Vec::new();
        }
        self.mode = Mode::Normal;
        if key.code == KeyCode::Enter {
            // The note is written in its own box, never in the visitor's: nothing moves yet.
            let chosen = self
                .shift
                .transfer_targets()
                .get(index)
                .map(|c| (c.serial, c.alias.clone()));
            if let Some((to, alias)) = chosen {
                // The note of a hand-over that did not go through is offered again.
                self.note = match self.subject {
                    Some(Target::Conversation(session)) => self
                        .shift
                        .conversation(&session)
                        .map(|c| c.handover_note.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                self.note_cursor = self.note.chars().count();
                self.mode = Mode::WriteNote { to, alias };
            }
        }
        Vec::new()
    }

    /// A key while writing the hand-over note: Enter hands over with it, Esc cancels (the
    /// visitor's draft was never touched), anything else edits the note on one line.
    fn note_key(&mut self, key: KeyEvent, to: u64, alias: String, now: Instant) -> Vec<Command> {
        if self.scroll_key(&key) {
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            KeyCode::Enter if key.modifiers.is_empty() => {
                let Some(Target::Conversation(session)) = self.subject else {
                    self.mode = Mode::Normal;
                    return Vec::new();
                };
                let note = self.note.clone();
                let commands = self.shift.act(Action::Transfer { session, to, note }, now);
                // A note too long stays open to be shortened; anything else ends the mode.
                if !commands.is_empty() || self.shift.status != Notice::NoteTooLong {
                    self.mode = Mode::Normal;
                } else {
                    self.mode = Mode::WriteNote { to, alias };
                }
                commands
            }
            _ => {
                if let Some(edited) = editor::edit(&self.note, self.note_cursor, &key) {
                    // A note is one line: the new-line keys do nothing here.
                    if !edited.text.contains('\n') {
                        self.note = edited.text;
                        self.note_cursor = edited.cursor;
                    }
                }
                Vec::new()
            }
        }
    }

    /// PgUp / PgDn scroll the current transcript; `true` if the key was one of them.
    fn scroll_key(&mut self, key: &KeyEvent) -> bool {
        let step = match key.code {
            KeyCode::PageUp => SCROLL_STEP as isize,
            KeyCode::PageDown => -(SCROLL_STEP as isize),
            _ => return false,
        };
        if let Some(c) = self.shift.current() {
            // Clamped to the transcript here; the view clamps again to what fits.
            let most = c.lines.len().saturating_mul(4);
            let back = self.scrolled_back.entry(c.session).or_default();
            *back = back.saturating_add_signed(step).min(most);
        }
        true
    }

    fn select(&mut self, selected: Option<Selected>, now: Instant) {
        self.shift.act(Action::Select(selected), now);
    }

    fn move_cursor(&mut self, down: bool, now: Instant) {
        let items = self.shift.sidebar();
        let at = self
            .shift
            .selected
            .and_then(|s| items.iter().position(|i| *i == s));
        let next = match (at, down) {
            (_, _) if items.is_empty() => None,
            (None, _) => Some(0),
            (Some(i), true) => Some((i + 1).min(items.len() - 1)),
            (Some(i), false) => Some(i.saturating_sub(1)),
        };
        self.select(next.map(|i| items[i]), now);
    }

    /// The conversation after the shown one, in sidebar order, wrapping.
    fn next_conversation(&mut self, now: Instant) {
        let conversations = &self.shift.conversations;
        let at = self
            .shift
            .current_session()
            .and_then(|s| conversations.iter().position(|c| c.session == s));
        let next = match at {
            Some(i) => (i + 1) % conversations.len().max(1),
            None => 0,
        };
        if let Some(s) = conversations.get(next).map(|c| c.session) {
            self.select(Some(Selected::Conversation(s)), now);
        }
    }

    /// A printable key outside a draft: it opens the draft now shown and goes into it, or
    /// changes nothing and says why. Never a command.
    fn type_outside_draft(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        if self.typing_interrupted {
            self.shift.status = Notice::WritingStopped;
            return Vec::new();
        }
        let writable = match self.shift.screen {
            Screen::Chats => match self.shift.current_session() {
                Some(session) => self.shift.writable(session),
                None => Err(Notice::SelectConversationFirst),
            },
            Screen::Tips => self.shift.replyable(),
        };
        match writable {
            Ok(()) => {
                self.write();
                self.compose_key(key, now)
            }
            Err(refused) => {
                self.shift.status = refused;
                Vec::new()
            }
        }
    }

    fn chats_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        if self.scroll_key(&key) {
            return Vec::new();
        }
        if let Some(number) = alt_digit(&key) {
            if let Some(s) = self.shift.numbered(number).map(|c| c.session) {
                self.select(Some(Selected::Conversation(s)), now);
            }
            return Vec::new();
        }
        if typed_char(&key).is_some() {
            return self.type_outside_draft(key, now);
        }
        let action = match key.code {
            KeyCode::Up => {
                self.move_cursor(false, now);
                return Vec::new();
            }
            KeyCode::Down => {
                self.move_cursor(true, now);
                return Vec::new();
            }
            KeyCode::Tab => {
                self.next_conversation(now);
                return Vec::new();
            }
            KeyCode::Enter => match self.shift.selected {
                Some(Selected::Queue(session)) => Action::Claim(session),
                Some(Selected::Conversation(session)) => {
                    match self.shift.writable(session) {
                        Ok(()) => self.write(),
                        Err(refused) => self.shift.status = refused,
                    }
                    return Vec::new();
                }
                None => return Vec::new(),
            },
            _ if ctrl(&key, 'n') => Action::ClaimNext,
            _ if ctrl(&key, 'd') => Action::Duty(!self.shift.on_duty),
            _ if ctrl(&key, 'r') => {
                if self.shift.current().is_some() {
                    self.open_resources(false);
                } else {
                    self.shift.status = Notice::SelectConversationFirst;
                }
                return Vec::new();
            }
            _ if ctrl(&key, 'x') => {
                let checked = match self.shift.current_session() {
                    Some(session) => self.shift.transferable(session),
                    None => Err(Notice::SelectConversationFirst),
                };
                match checked {
                    Ok(()) => self.open(Mode::PickTransfer { index: 0 }),
                    Err(refused) => self.shift.status = refused,
                }
                return Vec::new();
            }
            _ if ctrl(&key, 'w') => {
                if let Some(s) = self.shift.current_session() {
                    self.mode = Mode::ConfirmEnd(s);
                }
                return Vec::new();
            }
            _ if ctrl(&key, 't') => Action::Show(Screen::Tips),
            _ => return self.common_key(key),
        };
        self.shift.act(action, now)
    }

    fn tips_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        if typed_char(&key).is_some() {
            return self.type_outside_draft(key, now);
        }
        let selected = self.shift.tips.get(self.tip_cursor).map(|t| t.id);
        let action = match key.code {
            KeyCode::Up => {
                self.tip_cursor = self.tip_cursor.saturating_sub(1);
                return Vec::new();
            }
            KeyCode::Down => {
                self.tip_cursor =
                    (self.tip_cursor + 1).min(self.shift.tips.len().saturating_sub(1));
                return Vec::new();
            }
            KeyCode::Enter => match selected {
                Some(id) => Action::OpenTip(id),
                None => return Vec::new(),
            },
            _ if ctrl(&key, 'r') => {
                match self.shift.replyable() {
                    Ok(()) => self.open_resources(false),
                    Err(refused) => self.shift.status = refused,
                }
                return Vec::new();
            }
            _ if ctrl(&key, 'w') => {
                if let Some(id) = selected {
                    self.mode = Mode::ConfirmHandled(id);
                }
                return Vec::new();
            }
            _ if ctrl(&key, 'u') => Action::RefreshTips,
            _ if ctrl(&key, 'k') => match selected {
                // Taking a colleague's tip ends their hold: asked first.
                Some(id) if matches!(self.shift.tip_holder(id), TipHolder::Colleague(_)) => {
                    self.mode = Mode::ConfirmTakeOver(id);
                    return Vec::new();
                }
                Some(id) => Action::TakeTip { id, over: false },
                None => return Vec::new(),
            },
            KeyCode::Esc => Action::Show(Screen::Chats),
            _ if ctrl(&key, 't') => Action::Show(Screen::Chats),
            _ => return self.common_key(key),
        };
        self.shift.act(action, now)
    }

    /// Keys that mean the same on both screens.
    fn common_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if help_key(&key) {
            self.mode = Mode::Help;
        } else if ctrl(&key, 'o') {
            self.mode = Mode::Roster;
        } else if ctrl(&key, 'q') {
            self.mode = Mode::ConfirmQuit;
        }
        Vec::new()
    }

    fn compose_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        if ctrl(&key, 'r') {
            self.open_resources(true);
            return Vec::new();
        }
        if self.shift.screen == Screen::Chats && self.scroll_key(&key) {
            return Vec::new();
        }
        let Some(target) = self.subject else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        // In a conversation that is over (the visitor left while I wrote) nothing more can
        // be sent: Ctrl-W closes it, as its transcript says, rather than editing the draft.
        if let Target::Conversation(session) = target
            && ctrl(&key, 'w')
            && self.shift.writable(session) == Err(Notice::ConversationOver)
        {
            self.mode = Mode::ConfirmEnd(session);
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            KeyCode::Enter if key.modifiers.is_empty() => self.send(target, now),
            _ => {
                let draft = self.shift.draft(target).unwrap_or_default();
                let Some(edited) = editor::edit(draft, self.cursor(), &key) else {
                    return Vec::new();
                };
                self.cursor = edited.cursor;
                let edit = Edit::Replace(edited.text);
                self.shift.act(Action::Edit { target, edit }, now)
            }
        }
    }

    fn send(&mut self, target: Target, now: Instant) -> Vec<Command> {
        let commands = self.shift.act(Action::Send(target), now);
        if !commands.is_empty() {
            match target {
                // What I just sent is shown: the transcript goes back to the newest line.
                Target::Conversation(session) => {
                    self.scrolled_back.remove(&session);
                }
                Target::Tip(_) => self.mode = Mode::Normal,
            }
        }
        commands
    }
}
