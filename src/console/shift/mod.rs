//! The shift core: the whole of a coordinator's shift (duty, queue, conversations, transfers,
//! tips, the idle lock, a lost connection) as one state machine that takes [`Input`]s (what
//! the coordinator intends, what the relay connection reports, the clock) and returns the
//! [`Command`]s for the relay. Every front end (the terminal's [`super::tui`], and a browser
//! desk later) feeds it its own input mapping and renders the same state, so no shift logic
//! is written twice.
//!
//! It must never do I/O: no terminal, no socket, no file, no log. It never shows or sends one
//! conversation's text in another: conversations are keyed by session id, never by position.
//!
//! - [`state`]: the data a shift is made of.
//! - [`actions`]: what the coordinator intends, and what each intent does.
//! - [`away`]: off duty by itself after a long lock, and telling the coordinator so.
//! - [`events`]: what the relay connection reports, and what each report does.
//! - [`expiry`]: warnings before the certificate expires, and its renewal.
//! - [`commands`]: what the core asks the relay connection to do.
//! - [`delivery`]: what became of my messages (stored, delivered, held up, never delivered).
//! - [`notice`]: the status line and transcript notes, as data for each front end to word.
//! - [`focus`]: what the coordinator is looking at, kept on identities as the queue moves.
//! - [`queue`]: the waiting visitors with true wait times, and who has waited longest.
//! - [`tips`]: opening tips and sealing replies with the inbox key.
//! - [`reason`]: why something was not done, as data for each front end to word.

pub mod actions;
pub mod away;
pub mod commands;
pub mod delivery;
pub mod events;
pub mod expiry;
pub mod focus;
pub mod inbox_set;
pub mod notice;
pub mod queue;
pub mod reason;
pub mod state;
pub mod tips;

#[cfg(test)]
pub(crate) mod tests;

use std::time::Instant;

pub use actions::{Action, Edit, Passphrase};
pub use commands::Command;
pub use events::{NetEvent, Undone};
pub use notice::{Note, Notice, TransferStatus};
pub use reason::{Reason, RenewalRefusal};
pub use state::{
    ConvState, Conversation, Followup, Line, Mark, Me, OpenedTip, QueueRow, Screen, Selected,
    Settings, Target, ThreadReply, TipHolder, TipId, TipKeys, Who,
};

use super::lock::PassphraseLock;
use super::resources::Resources;
use crate::protocol::SessionId;
use crate::protocol::frames::{CoordinatorInfo, TipSummary};
use crate::protocol::http::Holds;

/// Everything that moves a shift.
#[derive(Debug)]
pub enum Input {
    /// The coordinator wants something done.
    Act(Action),
    /// The relay connection reported something.
    Net(NetEvent),
    /// The clock moved (drives the idle lock, and going off duty after a long lock).
    Tick,
    /// The identity file was rewritten meanwhile (a renewed certificate, or an inbox grant,
    /// installed into it).
    IdentityRenewed,
}

/// The state of one coordinator's shift.
pub struct Shift {
    /// Who is signed in.
    pub me: Me,
    /// The settings the shift started with.
    pub settings: Settings,
    /// Whether the relay offers me visitors.
    pub on_duty: bool,
    /// Whether the relay connection is up.
    pub connected: bool,
    /// On duty when the connection dropped: back on duty once signed in again.
    duty_before_loss: bool,
    /// Waiting visitors, oldest first.
    pub queue: Vec<QueueRow>,
    /// Colleagues on duty, as the relay last listed them.
    pub roster: Vec<CoordinatorInfo>,
    /// Conversations held, in the order they were claimed.
    pub conversations: Vec<Conversation>,
    /// What the coordinator is looking at among the queue and conversations.
    pub selected: Option<Selected>,
    /// Chats or tips.
    pub screen: Screen,
    /// The tips inbox, as the relay last listed it.
    pub tips: Vec<TipSummary>,
    /// The tip opened with the inbox key, if any.
    pub opened_tip: Option<OpenedTip>,
    /// Ready-made resources for drafts.
    pub resources: Resources,
    /// The latest thing that happened or was refused.
    pub status: Notice,
    /// The shift is over: the front end stops.
    pub quit: bool,
    /// What the relay says it holds and until when (`authed`, §9.10), shown with each
    /// conversation and tip; `None` from a relay that does not say.
    pub holds: Option<Holds>,
    tip_keys: Option<TipKeys>,
    lock: PassphraseLock,
    locked: bool,
    /// When the console last locked: the time locked counts from here.
    locked_since: Instant,
    /// Duty ended by itself during this lock: the unlock says so.
    off_duty_by_lock: bool,
    /// Conversations given back to the queue during this lock: the unlock says how many.
    released_by_lock: u32,
    unlock_failed: bool,
    last_activity: Instant,
    pub(super) bell: bool,
    pending_claim: Option<SessionId>,
    /// A tip reply shown in its thread that the relay has not answered yet: a `retry` before
    /// the next tips list (and before any other tip action) means it was not filed.
    reply_unconfirmed: Option<TipId>,
    /// The short fingerprint of my keys, shown so it can be compared with the registry.
    pub fingerprint: Option<String>,
    /// The wall time the front end last gave ([`Shift::wall_clock`]), Unix seconds.
    wall: u64,
    /// The days left when the status line last warned of expiry.
    warned_days: Option<u64>,
    /// The identity file was rewritten: what changed is taken at the next unlock.
    renewal_waiting: bool,
}

impl Shift {
    /// A shift starting off duty at `now`.
    pub fn new(
        me: Me,
        settings: Settings,
        lock: PassphraseLock,
        resources: Resources,
        tip_keys: Option<TipKeys>,
        now: Instant,
    ) -> Self {
        Self {
            me,
            settings,
            on_duty: false,
            connected: true,
            duty_before_loss: false,
            queue: Vec::new(),
            roster: Vec::new(),
            conversations: Vec::new(),
            selected: None,
            screen: Screen::Chats,
            tips: Vec::new(),
            opened_tip: None,
            resources,
            status: Notice::Welcome,
            quit: false,
            holds: None,
            tip_keys,
            lock,
            locked: false,
            locked_since: now,
            off_duty_by_lock: false,
            released_by_lock: 0,
            unlock_failed: false,
            last_activity: now,
            bell: false,
            pending_claim: None,
            reply_unconfirmed: None,
            fingerprint: None,
            wall: 0,
            warned_days: None,
            renewal_waiting: false,
        }
    }

    /// Handles one input at time `now`; returns what to send to the relay.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Command> {
        match input {
            Input::Act(action) => self.act(action, now),
            Input::Net(event) => self.on_net(event, now),
            Input::Tick => self.tick(now),
            Input::IdentityRenewed => {
                self.renewal_installed();
                Vec::new()
            }
        }
    }

    /// What to ask the relay once signed in, before anything else: the tips list, which the
    /// relay gives off duty too (`docs/protocol.md` §9.9), so the tips count is true from the
    /// start and not a 0 until duty or Ctrl-T.
    pub fn signed_in(&self) -> Vec<Command> {
        vec![Command::ListTips]
    }

    /// The coordinator did something (any key, click or touch): the idle lock starts over.
    pub fn touch(&mut self, now: Instant) {
        self.last_activity = now;
    }

    /// Locks the console if it has been idle for the configured time, and goes off duty if
    /// it has been locked for the configured time; returns what to send to the relay.
    pub fn tick(&mut self, now: Instant) -> Vec<Command> {
        if !self.locked
            && now.saturating_duration_since(self.last_activity) >= self.settings.idle_lock
        {
            self.lock_now(now);
        }
        self.off_duty_if_locked_too_long(now)
    }

    /// Locks the console at `now`: everything is hidden and opened tips are forgotten.
    pub fn lock_now(&mut self, now: Instant) {
        // Locking again (the desk does, for a reload or a second tab) must not start the
        // time locked over: reloading a page is no sign that anyone is answering.
        if !self.locked {
            self.locked_since = now;
        }
        // An opened tip and its unsent reply leave memory; they are decrypted again on demand.
        self.opened_tip = None;
        self.locked = true;
        self.unlock_failed = false;
    }

    /// Whether tips can be opened here: an inbox key was granted (or, on a development relay,
    /// given with `--inbox-key`).
    pub fn opens_tips(&self) -> bool {
        self.tip_keys.is_some()
    }

    /// Whether the console is locked (front ends show nothing of the shift).
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Whether the last passphrase typed at the lock was wrong.
    pub fn unlock_failed(&self) -> bool {
        self.unlock_failed
    }

    /// Whether a bell is due (a new visitor, or one transferred to me); clears it.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.bell)
    }

    /// The conversation with this session, if held here.
    pub fn conversation(&self, session: &SessionId) -> Option<&Conversation> {
        self.conversations.iter().find(|c| &c.session == session)
    }

    fn conversation_mut(&mut self, session: &SessionId) -> Option<&mut Conversation> {
        self.conversations
            .iter_mut()
            .find(|c| &c.session == session)
    }

    /// Conversations not over yet: what counts against the capacity.
    pub fn held(&self) -> usize {
        self.conversations
            .iter()
            .filter(|c| c.state != ConvState::Ended)
            .count()
    }

    /// The number for a conversation claimed now: the lowest not shown on screen. A number
    /// stays with its conversation until the coordinator closes it, so a number key never
    /// reaches another visitor; it is free again only once that transcript is gone.
    pub(super) fn free_number(&self) -> u32 {
        (1..)
            .find(|n| !self.conversations.iter().any(|c| c.number == *n))
            .unwrap_or(u32::MAX)
    }

    /// The conversation shown as "Visitor `number`", if any.
    pub fn numbered(&self, number: u32) -> Option<&Conversation> {
        self.conversations.iter().find(|c| c.number == number)
    }

    /// Unread visitor lines over all conversations.
    pub fn total_unread(&self) -> u32 {
        self.conversations.iter().map(|c| c.unread).sum()
    }

    /// Colleagues a conversation can be handed to: on duty, not me, with a free seat.
    pub fn transfer_targets(&self) -> Vec<&CoordinatorInfo> {
        self.roster
            .iter()
            .filter(|c| c.serial != self.me.serial && c.load < c.capacity)
            .collect()
    }
}

/// A short, non-identifying label for a session in status lines.
fn short(session: &SessionId) -> String {
    crate::crypto::keys::hex(&session.0[..2])
}
