//! The state of a coordinator's shift and what every key press, relay event and clock tick
//! does to it. [`App::handle`] takes an [`AppEvent`] and returns the [`Command`]s for the
//! relay; drawing is [`super::ui`]'s job and the network is [`super::net`]'s, so all of
//! this is tested without a terminal or a socket.
//!
//! It must never write anything to disk or to a log, and never show or send one
//! conversation's text in another: conversations are keyed by session id, never by position.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rand_core::OsRng;

use super::lock::PassphraseLock;
use super::resources::{Resource, Resources};
use crate::client::coordinator::CoordinatorEvent;
use crate::crypto::keys::{DhPublicKey, DhSecret, Fingerprint};
use crate::crypto::sealed_tip::{self, TipMessage};
use crate::protocol::frames::{ConversationKind, CoordinatorInfo, PeerEvent, TipSummary};
use crate::protocol::{SessionId, TipId};

/// What the app asks the relay connection to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Duty {
        on: bool,
        capacity: u8,
        langs: Vec<String>,
    },
    Claim(SessionId),
    Send {
        session: SessionId,
        text: String,
    },
    Transfer {
        session: SessionId,
        to: u64,
    },
    End(SessionId),
    ListTips,
    OpenTip(TipId),
    ReplyTip {
        id: TipId,
        sealed: Vec<u8>,
    },
    CloseTip(TipId),
    Quit,
}

/// What the relay connection reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    Relay(CoordinatorEvent),
    /// A `Send` went out with this sequence number.
    Sent {
        session: SessionId,
        seq: u64,
    },
    /// A command failed but the connection lives on.
    Failed(String),
    /// The connection is gone (the net task signs in again by itself, with backoff).
    Disconnected(String),
    /// Signed in again after a lost connection.
    Reconnected,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AppEvent {
    Key(KeyEvent),
    Net(NetEvent),
    /// The clock moved (drives the idle lock and live durations).
    Tick,
}

/// Who this console is logged in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub alias: String,
    pub serial: u64,
    /// Certificate expiry, Unix seconds.
    pub not_after: u64,
}

/// Settings a shift starts with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub capacity: u8,
    pub langs: Vec<String>,
    pub idle_lock: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            capacity: 4,
            langs: vec!["en".into()],
            idle_lock: Duration::from_secs(300),
        }
    }
}

/// The organisation fingerprint and the tip-inbox secret: what opens tips.
pub struct TipKeys {
    pub organisation: Fingerprint,
    pub inbox: DhSecret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub session: SessionId,
    pub waited_s: u64,
    pub kind: ConversationKind,
    pub lang: Option<String>,
    /// When this wait time was reported: the shown wait keeps counting from here.
    pub seen_at: Instant,
}

impl QueueRow {
    pub fn waited(&self, now: Instant) -> Duration {
        Duration::from_secs(self.waited_s) + now.saturating_duration_since(self.seen_at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Visitor,
    Me,
    System,
}

/// Delivery state of one of my messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// Handed to the connection.
    Pending,
    /// The relay holds it.
    Sent,
    /// The visitor's device acknowledged it.
    Delivered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub who: Who,
    pub text: String,
    pub seq: Option<u64>,
    pub mark: Mark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvState {
    /// Claimed; the handshake message went out.
    Open,
    /// The visitor's connection dropped; they may come back.
    Away,
    /// Being handed to a colleague.
    Transferring,
    /// Over (visitor ended, expired or released): read-only until closed with `e`.
    Ended,
}

/// Transcript rows one PgUp / PgDn moves.
pub const SCROLL_STEP: usize = 8;

#[derive(Debug, Clone)]
pub struct Conversation {
    pub session: SessionId,
    /// Shown as "Visitor N": a per-shift number, never anything about the person.
    pub number: u32,
    pub kind: ConversationKind,
    pub lang: Option<String>,
    pub opened_at: Instant,
    pub transferred_from: Option<String>,
    pub lines: Vec<Line>,
    pub unread: u32,
    pub draft: String,
    pub state: ConvState,
    /// How many transcript rows the view is scrolled up from the newest (PgUp / PgDn).
    pub scrolled_back: usize,
    transfer_to: Option<String>,
}

impl Conversation {
    pub fn open_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.opened_at)
    }
    fn system(&mut self, text: impl Into<String>) {
        self.lines.push(Line {
            who: Who::System,
            text: text.into(),
            seq: None,
            mark: Mark::Delivered,
        });
    }
}

/// A tip opened with the inbox key. Lives in memory only, and is dropped on lock.
#[derive(Debug, Clone)]
pub struct OpenedTip {
    pub id: TipId,
    pub category: Option<String>,
    pub text: String,
    pub followups: Vec<String>,
    pub reply_key: Option<DhPublicKey>,
    pub draft: String,
    pub replies_sent: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Chats,
    Tips,
}

/// What the sidebar cursor is on, by identity, so a moving queue never shifts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    Queue(SessionId),
    Conversation(SessionId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing into the selected conversation's draft, or the opened tip's reply.
    Compose,
    PickResource {
        index: usize,
    },
    PickTransfer {
        index: usize,
    },
    ConfirmEnd(SessionId),
    ConfirmHandled(TipId),
    ConfirmQuit,
    Help,
    Locked {
        typed: String,
        failed: bool,
    },
}

pub struct App {
    pub me: Me,
    pub settings: Settings,
    pub on_duty: bool,
    pub connected: bool,
    /// On duty when the connection dropped: back on duty once signed in again.
    duty_before_loss: bool,
    pub queue: Vec<QueueRow>,
    pub roster: Vec<CoordinatorInfo>,
    pub conversations: Vec<Conversation>,
    pub selected: Option<Selected>,
    pub screen: Screen,
    pub mode: Mode,
    /// Mode to return to after a picker or confirmation.
    return_to_compose: bool,
    pub tips: Vec<TipSummary>,
    pub tip_cursor: usize,
    pub opened_tip: Option<OpenedTip>,
    pub resources: Resources,
    pub status: String,
    pub quit: bool,
    tip_keys: Option<TipKeys>,
    lock: PassphraseLock,
    last_activity: Instant,
    bell: bool,
    next_number: u32,
    pending_claim: Option<SessionId>,
}

fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// A short, non-identifying label for a session in status lines.
fn short(session: &SessionId) -> String {
    crate::crypto::keys::hex(&session.0[..2])
}

impl App {
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
            mode: Mode::Normal,
            return_to_compose: false,
            tips: Vec::new(),
            tip_cursor: 0,
            opened_tip: None,
            resources,
            status: "Off duty. Press d to go on duty, ? for help.".into(),
            quit: false,
            tip_keys,
            lock,
            last_activity: now,
            bell: false,
            next_number: 1,
            pending_claim: None,
        }
    }

    /// Whether a terminal bell is due (a new visitor); clears it.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.bell)
    }

    pub fn is_locked(&self) -> bool {
        matches!(self.mode, Mode::Locked { .. })
    }

    pub fn conversation(&self, session: &SessionId) -> Option<&Conversation> {
        self.conversations.iter().find(|c| &c.session == session)
    }

    fn conversation_mut(&mut self, session: &SessionId) -> Option<&mut Conversation> {
        self.conversations
            .iter_mut()
            .find(|c| &c.session == session)
    }

    /// The conversation shown on the right, if the cursor is on one.
    pub fn current(&self) -> Option<&Conversation> {
        match self.selected {
            Some(Selected::Conversation(s)) => self.conversation(&s),
            _ => None,
        }
    }

    fn current_session(&self) -> Option<SessionId> {
        self.current().map(|c| c.session)
    }

    /// Colleagues a conversation can be handed to: on duty, not me, with a free seat.
    pub fn transfer_targets(&self) -> Vec<&CoordinatorInfo> {
        self.roster
            .iter()
            .filter(|c| c.serial != self.me.serial && c.load < c.capacity)
            .collect()
    }

    /// The resources offered for the current compose target.
    pub fn offered_resources(&self) -> Vec<&Resource> {
        let lang = match self.screen {
            Screen::Chats => self.current().and_then(|c| c.lang.as_deref()),
            Screen::Tips => None,
        };
        self.resources.for_lang(lang)
    }

    pub fn total_unread(&self) -> u32 {
        self.conversations.iter().map(|c| c.unread).sum()
    }

    /// Sidebar order: the queue (oldest first), then my conversations.
    fn sidebar(&self) -> Vec<Selected> {
        self.queue
            .iter()
            .map(|q| Selected::Queue(q.session))
            .chain(
                self.conversations
                    .iter()
                    .map(|c| Selected::Conversation(c.session)),
            )
            .collect()
    }

    fn select(&mut self, selected: Option<Selected>) {
        self.selected = selected;
        if let Some(Selected::Conversation(s)) = selected
            && let Some(c) = self.conversation_mut(&s)
        {
            c.unread = 0;
        }
    }

    fn move_cursor(&mut self, down: bool) {
        let items = self.sidebar();
        if items.is_empty() {
            self.selected = None;
            return;
        }
        let at = self
            .selected
            .and_then(|s| items.iter().position(|i| *i == s));
        let next = match (at, down) {
            (None, _) => 0,
            (Some(i), true) => (i + 1).min(items.len() - 1),
            (Some(i), false) => i.saturating_sub(1),
        };
        self.select(Some(items[next]));
    }

    /// Handles one event at time `now`; returns what to send to the relay.
    pub fn handle(&mut self, event: AppEvent, now: Instant) -> Vec<Command> {
        match event {
            AppEvent::Tick => {
                if !self.is_locked()
                    && now.saturating_duration_since(self.last_activity) >= self.settings.idle_lock
                {
                    self.lock_now();
                }
                Vec::new()
            }
            AppEvent::Net(net) => self.on_net(net, now),
            AppEvent::Key(key) => {
                self.last_activity = now;
                self.on_key(key, now)
            }
        }
    }

    /// Locks the console: everything is hidden and opened tips are forgotten.
    pub fn lock_now(&mut self) {
        // An opened tip and its unsent reply leave memory; they are decrypted again on demand.
        self.opened_tip = None;
        self.mode = Mode::Locked {
            typed: String::new(),
            failed: false,
        };
    }

    fn on_net(&mut self, event: NetEvent, now: Instant) -> Vec<Command> {
        match event {
            NetEvent::Relay(e) => self.on_relay(e, now),
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
                self.status = format!("Not done: {reason}");
                Vec::new()
            }
            NetEvent::Disconnected(reason) => {
                self.connected = false;
                self.duty_before_loss |= self.on_duty;
                self.on_duty = false;
                self.queue.clear();
                self.roster.clear();
                // The relay requeues a dropped coordinator's visitors: these are over here.
                for c in &mut self.conversations {
                    if c.state != ConvState::Ended {
                        c.state = ConvState::Ended;
                        c.system("Connection lost: this visitor went back to the queue.");
                    }
                }
                self.status = format!(
                    "Connection to the relay lost ({reason}). Reconnecting by itself; your visitors went back to the queue."
                );
                Vec::new()
            }
            NetEvent::Reconnected => {
                self.connected = true;
                self.status = "Reconnected.".into();
                if std::mem::take(&mut self.duty_before_loss) {
                    return self.duty(true);
                }
                Vec::new()
            }
        }
    }

    fn on_relay(&mut self, event: CoordinatorEvent, now: Instant) -> Vec<Command> {
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
                // A cursor on a visitor who left the queue moves to the next row.
                if let Some(Selected::Queue(s)) = self.selected
                    && !self.queue.iter().any(|q| q.session == s)
                {
                    let next = self
                        .queue
                        .first()
                        .map(|q| Selected::Queue(q.session))
                        .or_else(|| {
                            self.conversations
                                .first()
                                .map(|c| Selected::Conversation(c.session))
                        });
                    self.select(next);
                }
                if self.selected.is_none()
                    && let Some(q) = self.queue.first()
                {
                    self.selected = Some(Selected::Queue(q.session));
                }
            }
            CoordinatorEvent::Roster(list) => self.roster = list,
            CoordinatorEvent::Claimed {
                session,
                transferred_from,
            } => {
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
                    scrolled_back: 0,
                    transfer_to: None,
                };
                match &transferred_from {
                    Some(from) => {
                        conversation.system(format!("Transferred to you by {from}."));
                        self.bell = true;
                        self.status = format!("Visitor {number} transferred to you by {from}.");
                    }
                    None => {
                        conversation.system("You joined. The visitor sees your verified alias.");
                        self.status = format!("Visitor {number} is yours.");
                    }
                }
                self.conversations.push(conversation);
                let focus = self.pending_claim == Some(session)
                    || self.selected.is_none()
                    || self.selected == Some(Selected::Queue(session));
                if self.pending_claim == Some(session) {
                    self.pending_claim = None;
                }
                if focus {
                    self.select(Some(Selected::Conversation(session)));
                }
                let shown = self.selected == Some(Selected::Conversation(session));
                if !shown && let Some(c) = self.conversation_mut(&session) {
                    c.unread += 1;
                }
            }
            CoordinatorEvent::ClaimLost(session) => {
                if self.pending_claim == Some(session) {
                    self.pending_claim = None;
                }
                self.status = "Someone else answered that visitor first.".into();
            }
            CoordinatorEvent::TransferFailed(session) => {
                if let Some(c) = self.conversation_mut(&session) {
                    c.state = ConvState::Open;
                    c.transfer_to = None;
                    let n = c.number;
                    c.system("Transfer failed: that colleague is off duty or full. You still hold this conversation.");
                    self.status = format!("Transfer of Visitor {n} failed; it is still yours.");
                }
            }
            CoordinatorEvent::Text { session, text } => {
                let shown = self.screen == Screen::Chats
                    && self.current_session() == Some(session)
                    && !self.is_locked();
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
                    c.system("The visitor closed the chat.");
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
            CoordinatorEvent::Peer { session, event } => {
                if let Some(c) = self.conversation_mut(&session) {
                    match event {
                        PeerEvent::Away => {
                            c.state = ConvState::Away;
                            c.system("The visitor's connection dropped; they may come back.");
                        }
                        PeerEvent::Returned => {
                            c.state = ConvState::Open;
                            c.system("The visitor is back.");
                        }
                        PeerEvent::Ended => {
                            c.state = ConvState::Ended;
                            c.system("The visitor ended the conversation. Press e to close it.");
                        }
                        PeerEvent::Joined | PeerEvent::Left | PeerEvent::Transferring => {}
                    }
                }
            }
            CoordinatorEvent::Released(session) => {
                let handed = self
                    .conversation(&session)
                    .and_then(|c| c.transfer_to.clone().map(|to| (c.number, to)));
                if let Some((number, to)) = handed {
                    self.remove_conversation(session);
                    self.status = format!("Visitor {number} handed to {to}.");
                } else if let Some(c) = self.conversation_mut(&session) {
                    if c.state != ConvState::Ended {
                        c.system("This conversation is over. Press e to close it.");
                    }
                    c.state = ConvState::Ended;
                }
            }
            CoordinatorEvent::Tips(items) => {
                let before: HashSet<TipId> = self.tips.iter().map(|t| t.id).collect();
                if items.iter().any(|t| !before.contains(&t.id)) && !before.is_empty() {
                    self.status = "A new tip arrived (t: tips).".into();
                }
                self.tips = items;
                if let Some(opened) = &self.opened_tip
                    && !self.tips.iter().any(|t| t.id == opened.id)
                {
                    self.opened_tip = None;
                }
                self.tip_cursor = self.tip_cursor.min(self.tips.len().saturating_sub(1));
            }
            CoordinatorEvent::Tip {
                id,
                sealed,
                followups,
            } => self.open_tip(id, &sealed, &followups),
            CoordinatorEvent::Retry(after) => {
                self.status = format!("The relay is busy; retry in {after} s.");
            }
        }
        Vec::new()
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

    fn open_tip(&mut self, id: TipId, sealed: &[u8], followups: &[Vec<u8>]) {
        let Some(keys) = &self.tip_keys else {
            self.status = "No tip-inbox key: start with --inbox-key to open tips.".into();
            return;
        };
        match sealed_tip::open_tip(&keys.organisation, &keys.inbox, sealed) {
            Ok(tip) => {
                let followups = followups
                    .iter()
                    .map(|f| match &tip.reply_key {
                        Some(k) => sealed_tip::open_followup(&keys.organisation, &keys.inbox, k, f)
                            .map(|m| m.text)
                            .unwrap_or_else(|_| "(a follow-up that does not open)".into()),
                        None => "(a follow-up without a reply key)".into(),
                    })
                    .collect();
                self.opened_tip = Some(OpenedTip {
                    id,
                    category: tip.category,
                    text: tip.text,
                    followups,
                    reply_key: tip.reply_key,
                    draft: String::new(),
                    replies_sent: 0,
                });
                self.status = "Tip opened. r: reply, h: mark handled.".into();
            }
            Err(e) => self.status = format!("This tip does not open: {e}"),
        }
    }

    fn remove_conversation(&mut self, session: SessionId) {
        let order = self.sidebar();
        let at = order
            .iter()
            .position(|s| *s == Selected::Conversation(session));
        self.conversations.retain(|c| c.session != session);
        if self.selected == Some(Selected::Conversation(session)) {
            let order = self.sidebar();
            let next = at.and_then(|i| order.get(i.min(order.len().saturating_sub(1))).copied());
            self.select(next);
            if self.mode == Mode::Compose {
                self.mode = Mode::Normal;
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Command> {
        let _ = now;
        if let Mode::Locked { typed, failed } = &mut self.mode {
            match key.code {
                KeyCode::Enter => {
                    let attempt = std::mem::take(typed);
                    if self.lock.verify(&attempt) {
                        self.mode = Mode::Normal;
                        self.status = "Unlocked.".into();
                    } else {
                        *failed = true;
                    }
                }
                KeyCode::Backspace => {
                    typed.pop();
                }
                KeyCode::Esc => typed.clear(),
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => typed.push(c),
                _ => {}
            }
            return Vec::new();
        }
        if ctrl(&key, 'l') {
            self.lock_now();
            return Vec::new();
        }
        if ctrl(&key, 'c') {
            self.mode = Mode::ConfirmQuit;
            return Vec::new();
        }
        match self.mode.clone() {
            Mode::Locked { .. } => Vec::new(),
            Mode::Help => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            Mode::Compose => self.compose_key(key),
            Mode::PickResource { index } => {
                let count = self.offered_resources().len();
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.mode = Mode::PickResource {
                            index: index.saturating_sub(1),
                        }
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.mode = Mode::PickResource {
                            index: (index + 1).min(count.saturating_sub(1)),
                        }
                    }
                    KeyCode::Enter => {
                        let text = self.offered_resources().get(index).map(|r| r.text.clone());
                        if let Some(text) = text {
                            self.insert_into_draft(&text);
                        }
                        self.mode = Mode::Compose;
                    }
                    _ => self.leave_picker(),
                }
                Vec::new()
            }
            Mode::PickTransfer { index } => {
                let targets: Vec<(u64, String)> = self
                    .transfer_targets()
                    .iter()
                    .map(|c| (c.serial, c.alias.clone()))
                    .collect();
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.mode = Mode::PickTransfer {
                            index: index.saturating_sub(1),
                        }
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.mode = Mode::PickTransfer {
                            index: (index + 1).min(targets.len().saturating_sub(1)),
                        }
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        if let (Some((serial, alias)), Some(session)) =
                            (targets.get(index).cloned(), self.current_session())
                            && let Some(c) = self.conversation_mut(&session)
                        {
                            c.state = ConvState::Transferring;
                            c.transfer_to = Some(alias.clone());
                            c.system(format!("Handing over to {alias}…"));
                            self.status = format!("Transferring to {alias}…");
                            return vec![Command::Transfer {
                                session,
                                to: serial,
                            }];
                        }
                    }
                    _ => self.mode = Mode::Normal,
                }
                Vec::new()
            }
            Mode::ConfirmEnd(session) => {
                self.mode = Mode::Normal;
                if key.code != KeyCode::Char('y') {
                    return Vec::new();
                }
                let ended = self
                    .conversation(&session)
                    .map(|c| (c.number, c.state == ConvState::Ended));
                let Some((number, already_over)) = ended else {
                    return Vec::new();
                };
                self.remove_conversation(session);
                self.status = format!("Visitor {number}: conversation closed and erased.");
                if already_over {
                    Vec::new()
                } else {
                    vec![Command::End(session)]
                }
            }
            Mode::ConfirmHandled(id) => {
                self.mode = Mode::Normal;
                if key.code == KeyCode::Char('y') {
                    if self.opened_tip.as_ref().is_some_and(|t| t.id == id) {
                        self.opened_tip = None;
                    }
                    self.status = "Tip marked handled.".into();
                    vec![Command::CloseTip(id)]
                } else {
                    Vec::new()
                }
            }
            Mode::ConfirmQuit => {
                self.mode = Mode::Normal;
                if key.code == KeyCode::Char('y') {
                    self.quit = true;
                    let mut commands = Vec::new();
                    if self.on_duty {
                        self.on_duty = false;
                        commands.push(Command::Duty {
                            on: false,
                            capacity: self.settings.capacity,
                            langs: self.settings.langs.clone(),
                        });
                    }
                    commands.push(Command::Quit);
                    commands
                } else {
                    Vec::new()
                }
            }
            Mode::Normal => match self.screen {
                Screen::Chats => self.chats_key(key),
                Screen::Tips => self.tips_key(key),
            },
        }
    }

    fn leave_picker(&mut self) {
        self.mode = if self.return_to_compose {
            Mode::Compose
        } else {
            Mode::Normal
        };
    }

    fn insert_into_draft(&mut self, text: &str) {
        let draft = match self.screen {
            Screen::Tips => self.opened_tip.as_mut().map(|t| &mut t.draft),
            Screen::Chats => {
                let session = self.current_session();
                session.and_then(|s| self.conversation_mut(&s).map(|c| &mut c.draft))
            }
        };
        if let Some(draft) = draft {
            if !draft.is_empty() && !draft.ends_with(' ') {
                draft.push(' ');
            }
            draft.push_str(text);
        }
    }

    fn open_resources(&mut self, from_compose: bool) {
        if self.resources.items.is_empty() {
            self.status = "No resources: add them to config/resources.toml.".into();
            return;
        }
        self.return_to_compose = from_compose;
        self.mode = Mode::PickResource { index: 0 };
    }

    fn duty(&mut self, on: bool) -> Vec<Command> {
        self.on_duty = on;
        self.status = if on {
            "On duty. The queue updates live; Enter on a visitor answers them.".into()
        } else {
            "Off duty. You keep the conversations you hold.".into()
        };
        if !on {
            self.queue.clear();
            self.roster.clear();
            if matches!(self.selected, Some(Selected::Queue(_))) {
                let first = self
                    .conversations
                    .first()
                    .map(|c| Selected::Conversation(c.session));
                self.select(first);
            }
        }
        let mut commands = vec![Command::Duty {
            on,
            capacity: self.settings.capacity,
            langs: self.settings.langs.clone(),
        }];
        if on {
            commands.push(Command::ListTips);
        }
        commands
    }

    fn claim(&mut self, session: SessionId) -> Vec<Command> {
        if !self.on_duty {
            self.status = "Go on duty (d) to answer visitors.".into();
            return Vec::new();
        }
        let held = self
            .conversations
            .iter()
            .filter(|c| c.state != ConvState::Ended)
            .count();
        if held >= self.settings.capacity as usize {
            self.status = format!(
                "You hold {held} conversations, your capacity. Close or hand one over first."
            );
            return Vec::new();
        }
        self.pending_claim = Some(session);
        self.status = format!("Answering visitor {}…", short(&session));
        vec![Command::Claim(session)]
    }

    /// PgUp / PgDn scroll the current transcript; `true` if the key was one of them.
    fn scroll_key(&mut self, key: &KeyEvent) -> bool {
        let step = match key.code {
            KeyCode::PageUp => SCROLL_STEP as isize,
            KeyCode::PageDown => -(SCROLL_STEP as isize),
            _ => return false,
        };
        let Some(session) = self.current_session() else {
            return true;
        };
        if let Some(c) = self.conversation_mut(&session) {
            // Clamped to the transcript here; the view clamps again to what fits.
            let most = c.lines.len().saturating_mul(4);
            c.scrolled_back = c.scrolled_back.saturating_add_signed(step).min(most);
        }
        true
    }

    fn chats_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.scroll_key(&key) {
            return Vec::new();
        }
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_cursor(false),
            KeyCode::Down | KeyCode::Char('j') => self.move_cursor(true),
            KeyCode::Tab => {
                // Next conversation, wrapping.
                let at = self
                    .current_session()
                    .and_then(|s| self.conversations.iter().position(|c| c.session == s));
                let next = match at {
                    Some(i) => (i + 1) % self.conversations.len().max(1),
                    None => 0,
                };
                let target = self.conversations.get(next).map(|c| c.session);
                if let Some(s) = target {
                    self.select(Some(Selected::Conversation(s)));
                }
            }
            KeyCode::Char(c @ '1'..='9') => {
                let index = c as usize - '1' as usize;
                let target = self.conversations.get(index).map(|c| c.session);
                if let Some(s) = target {
                    self.select(Some(Selected::Conversation(s)));
                }
            }
            KeyCode::Enter | KeyCode::Char('i') => match self.selected {
                Some(Selected::Queue(session)) => return self.claim(session),
                Some(Selected::Conversation(session)) => {
                    if self
                        .conversation(&session)
                        .is_some_and(|c| c.state == ConvState::Ended)
                    {
                        self.status = "This conversation is over; e closes it.".into();
                    } else {
                        self.mode = Mode::Compose;
                    }
                }
                None => {}
            },
            KeyCode::Char('c') => {
                if let Some(first) = self.queue.first().map(|q| q.session) {
                    return self.claim(first);
                }
                self.status = "Nobody is waiting.".into();
            }
            KeyCode::Char('d') => return self.duty(!self.on_duty),
            KeyCode::Char('r') => {
                if self.current().is_some() {
                    self.open_resources(false);
                } else {
                    self.status = "Select a conversation first.".into();
                }
            }
            KeyCode::Char('x') => match self.current() {
                Some(c) if c.state == ConvState::Open || c.state == ConvState::Away => {
                    if self.transfer_targets().is_empty() {
                        self.status = "No colleague on duty has a free seat.".into();
                    } else {
                        self.mode = Mode::PickTransfer { index: 0 };
                    }
                }
                Some(_) => self.status = "This conversation cannot be transferred now.".into(),
                None => self.status = "Select a conversation first.".into(),
            },
            KeyCode::Char('e') => {
                if let Some(s) = self.current_session() {
                    self.mode = Mode::ConfirmEnd(s);
                }
            }
            KeyCode::Char('t') => {
                self.screen = Screen::Tips;
                return vec![Command::ListTips];
            }
            KeyCode::Char('L') => self.lock_now(),
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('q') => self.mode = Mode::ConfirmQuit,
            _ => {}
        }
        Vec::new()
    }

    fn tips_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.tip_cursor = self.tip_cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.tip_cursor = (self.tip_cursor + 1).min(self.tips.len().saturating_sub(1))
            }
            KeyCode::Enter | KeyCode::Char('o') => {
                if let Some(t) = self.tips.get(self.tip_cursor) {
                    if self.tip_keys.is_none() {
                        self.status =
                            "No tip-inbox key: start with --inbox-key to open tips.".into();
                    } else {
                        return vec![Command::OpenTip(t.id)];
                    }
                }
            }
            KeyCode::Char('r') => match &self.opened_tip {
                Some(t) if t.reply_key.is_some() => self.mode = Mode::Compose,
                Some(_) => self.status = "This tipster left no way to reply.".into(),
                None => self.status = "Open a tip first (Enter).".into(),
            },
            KeyCode::Char('h') => {
                if let Some(t) = self.tips.get(self.tip_cursor) {
                    self.mode = Mode::ConfirmHandled(t.id);
                }
            }
            KeyCode::Char('u') => return vec![Command::ListTips],
            KeyCode::Char('t') | KeyCode::Esc => self.screen = Screen::Chats,
            KeyCode::Char('L') => self.lock_now(),
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('q') => self.mode = Mode::ConfirmQuit,
            _ => {}
        }
        Vec::new()
    }

    fn compose_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if ctrl(&key, 'r') {
            self.open_resources(true);
            return Vec::new();
        }
        if self.screen == Screen::Chats && self.scroll_key(&key) {
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            KeyCode::Enter => match self.screen {
                Screen::Chats => self.send_draft(),
                Screen::Tips => self.send_tip_reply(),
            },
            KeyCode::Backspace => {
                if let Some(d) = self.draft_mut() {
                    d.pop();
                }
                Vec::new()
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(d) = self.draft_mut() {
                    d.push(c);
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn draft_mut(&mut self) -> Option<&mut String> {
        match self.screen {
            Screen::Tips => self.opened_tip.as_mut().map(|t| &mut t.draft),
            Screen::Chats => {
                let session = self.current_session()?;
                self.conversation_mut(&session).map(|c| &mut c.draft)
            }
        }
    }

    fn send_draft(&mut self) -> Vec<Command> {
        let Some(session) = self.current_session() else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        let Some(c) = self.conversation_mut(&session) else {
            return Vec::new();
        };
        if c.state == ConvState::Ended || c.state == ConvState::Transferring {
            self.status = "This conversation no longer takes messages.".into();
            return Vec::new();
        }
        let text = c.draft.trim().to_owned();
        if text.is_empty() {
            return Vec::new();
        }
        c.draft.clear();
        c.scrolled_back = 0;
        c.lines.push(Line {
            who: Who::Me,
            text: text.clone(),
            seq: None,
            mark: Mark::Pending,
        });
        vec![Command::Send { session, text }]
    }

    fn send_tip_reply(&mut self) -> Vec<Command> {
        let (Some(keys), Some(tip)) = (&self.tip_keys, self.opened_tip.as_mut()) else {
            self.mode = Mode::Normal;
            return Vec::new();
        };
        let Some(reply_key) = tip.reply_key else {
            self.status = "This tipster left no way to reply.".into();
            return Vec::new();
        };
        let text = tip.draft.trim().to_owned();
        if text.is_empty() {
            return Vec::new();
        }
        let message = TipMessage {
            reply_key: None,
            category: None,
            text,
        };
        match sealed_tip::seal_reply(
            &keys.organisation,
            &keys.inbox,
            &reply_key,
            &message,
            &mut OsRng,
        ) {
            Ok(sealed) => {
                tip.draft.clear();
                tip.replies_sent += 1;
                let id = tip.id;
                self.mode = Mode::Normal;
                self.status =
                    "Reply sealed and sent; the tipster reads it with their receipt code.".into();
                vec![Command::ReplyTip { id, sealed }]
            }
            Err(e) => {
                self.status = format!("The reply could not be sealed: {e}");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
