//! The state a shift is made of: who is signed in, the settings it started with, the queue
//! rows, the conversations with their transcripts and drafts, and an opened tip. Plain data,
//! shared by every front end that renders a shift.
//!
//! It must never hold a conversation by position (always by session id), never hold a tip's
//! plaintext anywhere but [`OpenedTip`] (dropped on lock), and never do I/O.

use std::time::{Duration, Instant};

use super::notice::Note;
use crate::crypto::keys::{DhPublicKey, DhSecret, Fingerprint};
use crate::protocol::SessionId;
use crate::protocol::frames::ConversationKind;

pub use crate::protocol::TipId;

/// Who this console is logged in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    /// The certified alias visitors see.
    pub alias: String,
    /// The certificate's serial, as colleagues' rosters list it.
    pub serial: u64,
    /// Certificate expiry, Unix seconds.
    pub not_after: u64,
}

/// Settings a shift starts with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How many conversations this coordinator holds at once.
    pub capacity: u8,
    /// Languages this coordinator answers in, as given to the relay with duty.
    pub langs: Vec<String>,
    /// Quiet time after which the console locks itself.
    pub idle_lock: Duration,
    /// Time locked after which the console goes off duty by itself and gives back what it
    /// holds: nobody is answering, and visitors must be shown a colleague or the numbers
    /// they can call instead of a wait.
    pub off_duty_when_locked: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            capacity: 4,
            langs: vec!["en".into()],
            idle_lock: Duration::from_secs(300),
            off_duty_when_locked: Duration::from_secs(600),
        }
    }
}

/// The organisation fingerprint and the tip-inbox secrets this console was granted: what
/// opens tips. See [`super::inbox_set`] for how a tip finds its key, and when one ends.
pub struct TipKeys {
    /// Bound into every sealed tip and reply.
    pub organisation: Fingerprint,
    /// The inbox's X25519 secrets, newest first (never empty: no keys is `None` tip keys),
    /// each with the Unix second its grant ends it; `None` for a development `--inbox-key`,
    /// which has no grant and no end.
    pub inbox: Vec<(Option<u64>, DhSecret)>,
}

/// A visitor waiting in the queue, as the relay last reported them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    /// The waiting session.
    pub session: SessionId,
    /// Seconds waited as the relay reported it when this visitor was first listed here (or
    /// when its report last ran a minute ahead of the running count).
    pub waited_s: u64,
    /// Chat or tip conversation.
    pub kind: ConversationKind,
    /// The visitor's language, if they gave one.
    pub lang: Option<String>,
    /// When `waited_s` was reported: the shown wait keeps counting from here, through
    /// later lists.
    pub seen_at: Instant,
}

impl QueueRow {
    /// How long this visitor has waited by `now`.
    pub fn waited(&self, now: Instant) -> Duration {
        Duration::from_secs(self.waited_s) + now.saturating_duration_since(self.seen_at)
    }
}

/// Who a transcript line is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The visitor's words.
    Visitor,
    /// My words.
    Me,
    /// Something that happened to the conversation; the front end words it.
    System(Note),
}

/// Delivery state of one of my messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// Handed to the connection.
    Pending,
    /// The relay holds it.
    Sent,
    /// The conversation ended before the visitor's device acknowledged it: they never got
    /// it. Ranked below `Delivered` so that an acknowledgement still on its way corrects it.
    Undelivered,
    /// The visitor's device acknowledged it.
    Delivered,
    /// The connection could not take it (offline, or it refused): it never left this
    /// console and its words went back to the draft. Ranked last: no later mark applies.
    NotSent,
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Who it is from.
    pub who: Who,
    /// The words (empty for a [`Who::System`] line, whose note is in `who`).
    pub text: String,
    /// My message's sequence number, once the connection sent it.
    pub seq: Option<u64>,
    /// My message's delivery state (visitor and system lines are `Delivered`).
    pub mark: Mark,
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvState {
    /// Claimed; the handshake message went out.
    Open,
    /// The visitor's connection dropped; they may come back.
    Away,
    /// Being handed to a colleague.
    Transferring,
    /// Over (visitor ended, expired or released): read-only until closed.
    Ended,
}

/// A conversation this console holds.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The session, the only key a conversation is found by.
    pub session: SessionId,
    /// Shown as "Visitor N" and selected with Alt-N: the lowest number free when it was
    /// claimed, kept until it is closed here; never anything about the person.
    pub number: u32,
    /// Chat or tip conversation.
    pub kind: ConversationKind,
    /// The visitor's language, if they gave one.
    pub lang: Option<String>,
    /// When it was claimed here.
    pub opened_at: Instant,
    /// The colleague who handed it over, if it came by transfer.
    pub transferred_from: Option<String>,
    /// The transcript, oldest first; in memory only.
    pub lines: Vec<Line>,
    /// Visitor lines not seen yet.
    pub unread: u32,
    /// What I am writing to this visitor.
    pub draft: String,
    /// Where it stands.
    pub state: ConvState,
    /// The colleague it is being handed to, while transferring.
    pub(super) transfer_to: Option<String>,
    /// The note of the last hand-over that did not go through (declined, unanswered,
    /// failed): offered again in the next colleague picker, so a note written for one
    /// colleague is not typed twice for the next. Emptied once a hand-over is accepted.
    pub handover_note: String,
}

impl Conversation {
    /// How long it has been open by `now`.
    pub fn open_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.opened_at)
    }

    /// Whether I can still write to it.
    pub fn takes_messages(&self) -> bool {
        !matches!(self.state, ConvState::Ended | ConvState::Transferring)
    }

    /// Claimed again after it was released from here (requeued after a long outage, or
    /// handed back): one conversation, the old transcript kept above the new start. The old
    /// cipher and its unconfirmed frames went with the release, so those never reach the
    /// visitor, and the new keys' sequence numbers must not mark the old lines.
    pub(super) fn reopen(&mut self, now: Instant) {
        for line in self.lines.iter_mut().filter(|l| l.who == Who::Me) {
            if line.mark == Mark::Pending {
                line.mark = Mark::Undelivered;
            }
            line.seq = None;
        }
        self.state = ConvState::Open;
        self.transfer_to = None;
        self.opened_at = now;
    }

    pub(super) fn note(&mut self, note: Note) {
        self.lines.push(Line {
            who: Who::System(note),
            text: String::new(),
            seq: None,
            mark: Mark::Delivered,
        });
    }
}

/// A tip opened with the inbox key. Lives in memory only, and is dropped on lock.
#[derive(Debug, Clone)]
pub struct OpenedTip {
    /// The tip's id on the relay.
    pub id: TipId,
    /// The category the tipster chose, if any.
    pub category: Option<String>,
    /// The tip's text.
    pub text: String,
    /// Sealed by the relay on the no-script path (§5): the relay saw the text once.
    pub sealed_by_relay: bool,
    /// The tipster's follow-ups, oldest first.
    pub followups: Vec<Followup>,
    /// The key replies are sealed to; `None` when the tipster left no way to reply.
    pub reply_key: Option<DhPublicKey>,
    /// The reply being written.
    pub draft: String,
    /// The organisation's replies, oldest first, from their copies for the inbox (§5) and
    /// those sent from here since: the coordinator sees the whole thread.
    pub replies: Vec<ThreadReply>,
    /// Replies sent from this console since it was opened.
    pub replies_sent: u32,
}

/// Who holds a tip, as the relay last listed it (§9.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipHolder<'a> {
    /// Nobody: any coordinator may take it.
    Nobody,
    /// I do: my replies and my close go through.
    Me,
    /// The colleague with this alias: replying or closing needs taking it over first.
    Colleague(&'a str),
}

/// One of the organisation's replies in an opened tip's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadReply {
    /// The alias of the coordinator who sent it, as the relay filed it (`None`: filed before
    /// the relay kept authors).
    pub by: Option<String>,
    /// When the relay filed it, Unix seconds rounded to the minute (`None`: sent from here
    /// since the tip was opened, or filed before the relay kept the minute).
    pub filed: Option<u64>,
    /// What it says, or why it cannot be read.
    pub text: Followup,
}

/// One follow-up to an opened tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followup {
    /// What the tipster added.
    Text(String),
    /// It did not decrypt (tampered, or not sealed with the tip's receipt key).
    DoesNotOpen,
    /// The tip carries no receipt key, so no follow-up can be authenticated.
    WithoutReplyKey,
}

/// Which of the two halves of a shift the coordinator is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The queue and conversations.
    Chats,
    /// The tips inbox.
    Tips,
}

/// What the coordinator is looking at among the queue and conversations, by identity, so a
/// moving queue never shifts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    /// A waiting visitor.
    Queue(SessionId),
    /// A held conversation.
    Conversation(SessionId),
}

/// What a draft belongs to, by identity: a conversation, or the reply to an opened tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The draft to this conversation's visitor.
    Conversation(SessionId),
    /// The reply to this tip, while it is the one open.
    Tip(TipId),
}
