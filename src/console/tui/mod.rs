//! The terminal front end of a shift: key presses become the core's actions ([`keys`]), the
//! core's state is drawn with ratatui ([`ui`]) and its notices worded in English with the
//! terminal's keys ([`text`]), drafts are edited with a cursor ([`editor`]), and [`terminal`]
//! runs the loop. [`App`] holds the core and
//! what only a terminal needs: the mode (writing, a picker, a confirmation, help), the
//! passphrase being typed at the lock, the tips cursor and each transcript's scroll.
//!
//! It must never decide anything about the shift itself (claims, transfers, tips, the lock):
//! that is [`super::shift`]'s, so the browser desk behaves the same. It never writes a
//! conversation anywhere but the screen.

pub mod editor;
pub mod keys;
pub mod terminal;
pub mod text;
pub mod ui;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Instant;

use crossterm::event::KeyEvent;
use zeroize::Zeroizing;

use super::shift::{Command, Input, NetEvent, Shift, Target, TipId};
use crate::protocol::SessionId;

/// Transcript rows one PgUp / PgDn moves.
pub const SCROLL_STEP: usize = 8;

/// What the keyboard is doing besides moving around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Moving around and giving commands (control keys); a typed character opens the draft.
    Normal,
    /// Typing into the current draft (a conversation's, or the opened tip's reply).
    Compose,
    /// Choosing a resource to insert.
    PickResource {
        /// The highlighted row.
        index: usize,
    },
    /// Choosing a colleague to hand the conversation to.
    PickTransfer {
        /// The highlighted row.
        index: usize,
    },
    /// Writing the note for the colleague chosen in the transfer picker, in the note's own
    /// box: Enter hands the conversation over with it (never a message to the visitor), Esc
    /// cancels and shows the visitor's draft again, untouched.
    WriteNote {
        /// The colleague's certificate serial.
        to: u64,
        /// The colleague's alias, for the box's title.
        alias: String,
    },
    /// Asking before ending this conversation.
    ConfirmEnd(SessionId),
    /// Asking before marking this tip handled.
    ConfirmHandled(TipId),
    /// Asking before taking this tip over from the colleague who holds it.
    ConfirmTakeOver(TipId),
    /// Asking before quitting.
    ConfirmQuit,
    /// The colleagues on duty (any key closes it).
    Roster,
    /// The key list.
    Help,
}

/// Everything the terminal loop feeds in.
#[derive(Debug, Clone, PartialEq)]
pub enum AppEvent {
    /// A key press.
    Key(KeyEvent),
    /// A report from the relay connection.
    Net(NetEvent),
    /// The clock moved (drives the idle lock and live durations).
    Tick,
}

/// The terminal console: the shift core and the terminal's own view state.
pub struct App {
    /// The shift itself.
    pub shift: Shift,
    /// What the keyboard is doing (ignored while the shift is locked).
    pub mode: Mode,
    /// Where the tips cursor is.
    pub tip_cursor: usize,
    /// Leave a picker back into writing rather than to normal mode.
    return_to_compose: bool,
    /// What writing or a picker was opened for (a conversation, or the opened tip): it
    /// closes if something else is shown, so it never acts on another visitor.
    subject: Option<Target>,
    /// What has been typed at the lock so far.
    typed: Zeroizing<String>,
    /// Whether the shift was locked after the last event: a new lock starts a clean field.
    was_locked: bool,
    /// Rows each conversation's transcript is scrolled back from the newest.
    scrolled_back: HashMap<SessionId, usize>,
    /// Writing was closed under the coordinator's fingers (what it was for went away or
    /// off screen): typed characters are held back until a non-typing key, so the rest of
    /// a sentence never flows into another visitor's draft.
    typing_interrupted: bool,
    /// Where the cursor stands in the draft being written, in characters.
    cursor: usize,
    /// The hand-over note being written ([`Mode::WriteNote`]); never a visitor's draft.
    note: String,
    /// Where the cursor stands in the note, in characters.
    note_cursor: usize,
}

impl App {
    /// The terminal front end on a new shift.
    pub fn new(shift: Shift) -> Self {
        Self {
            shift,
            mode: Mode::Normal,
            tip_cursor: 0,
            return_to_compose: false,
            subject: None,
            typed: Zeroizing::new(String::new()),
            was_locked: false,
            scrolled_back: HashMap::new(),
            typing_interrupted: false,
            cursor: 0,
            note: String::new(),
            note_cursor: 0,
        }
    }

    /// Handles one event at time `now`; returns what to send to the relay.
    pub fn handle(&mut self, event: AppEvent, now: Instant) -> Vec<Command> {
        let commands = match event {
            AppEvent::Key(key) => self.on_key(key, now),
            AppEvent::Net(net) => self.shift.handle(Input::Net(net), now),
            AppEvent::Tick => self.shift.handle(Input::Tick, now),
        };
        self.follow_shift();
        commands
    }

    /// How many characters have been typed at the lock (drawn as dots, never as text).
    pub fn typed_len(&self) -> usize {
        self.typed.chars().count()
    }

    /// Rows the transcript of `session` is scrolled back from the newest.
    pub fn scrolled_back(&self, session: &SessionId) -> usize {
        self.scrolled_back.get(session).copied().unwrap_or(0)
    }

    /// Keeps the terminal's view state true to the shift after anything changed it: a lock
    /// drops every picker and the half-typed passphrase, writing and pickers close when what
    /// they were opened for is gone or no longer shown, and cursors and scrolls forget what
    /// the shift forgot.
    fn follow_shift(&mut self) {
        let locked = self.shift.is_locked();
        if locked && !self.was_locked {
            self.mode = Mode::Normal;
            self.typed.clear();
        }
        self.was_locked = locked;
        let about_something = matches!(
            self.mode,
            Mode::Compose
                | Mode::PickResource { .. }
                | Mode::PickTransfer { .. }
                | Mode::WriteNote { .. }
        );
        if about_something
            && (self.subject.is_none() || self.subject != self.shift.current_target())
        {
            self.typing_interrupted |= matches!(self.mode, Mode::Compose | Mode::WriteNote { .. });
            self.mode = Mode::Normal;
        }
        if !matches!(self.mode, Mode::WriteNote { .. }) {
            self.note.clear();
            self.note_cursor = 0;
        }
        self.tip_cursor = self.tip_cursor.min(self.shift.tips.len().saturating_sub(1));
        let shift = &self.shift;
        self.scrolled_back
            .retain(|s, _| shift.conversation(s).is_some());
    }

    /// Opens `mode` about what is shown now (its draft, or its conversation).
    fn open(&mut self, mode: Mode) {
        self.subject = self.shift.current_target();
        self.mode = mode;
    }

    /// Starts typing into the draft now shown, the cursor at its end.
    fn write(&mut self) {
        self.open(Mode::Compose);
        self.cursor = self.draft_len();
    }

    /// Characters in the draft being written.
    fn draft_len(&self) -> usize {
        self.subject
            .and_then(|t| self.shift.draft(t))
            .map_or(0, |d| d.chars().count())
    }

    /// The hand-over note being written and its cursor (drawn by [`ui`]).
    pub fn note(&self) -> (&str, usize) {
        (&self.note, self.note_cursor.min(self.note.chars().count()))
    }

    /// Where the cursor stands in the draft being written (drawn by [`ui`]).
    pub fn cursor(&self) -> usize {
        self.cursor.min(self.draft_len())
    }
}
