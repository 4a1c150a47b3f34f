//! What a shift tells the coordinator, as data: the latest [`Notice`] (a status line) and the
//! [`Note`]s written into a transcript. Each front end words them in its own language and
//! with its own controls ("press e", "click End").
//!
//! It must never carry a visitor's or a tipster's words: only numbers, aliases of colleagues,
//! a colleague's hand-over note (in a transcript only) and reasons from the connection.

pub use crate::protocol::frames::TransferStatus;

use super::reason::Reason;

/// The latest thing that happened or was refused, shown until the next one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The shift has just started, off duty.
    Welcome,
    /// Going on duty.
    OnDuty,
    /// Going off duty (held conversations are kept).
    OffDuty,
    /// A claim was asked while off duty.
    NotOnDuty,
    /// A claim was refused locally: this many held, the capacity.
    AtCapacity {
        /// Conversations held, the capacity.
        held: usize,
    },
    /// A claim went to the relay (`short` is a non-identifying label of the session).
    Answering {
        /// A short, non-identifying label of the session.
        short: String,
    },
    /// "Claim the next" with nobody waiting.
    NobodyWaiting,
    /// A claim succeeded.
    Claimed {
        /// The per-shift visitor number.
        number: u32,
    },
    /// A colleague handed this conversation to me.
    TransferredIn {
        /// The per-shift visitor number.
        number: u32,
        /// The colleague's alias.
        from: String,
    },
    /// Another coordinator answered that visitor first.
    ClaimLost,
    /// A transfer went to the relay.
    Transferring {
        /// The colleague's alias.
        to: String,
    },
    /// The relay refused a transfer: the conversation is still mine.
    TransferFailed {
        /// The per-shift visitor number.
        number: u32,
    },
    /// A transfer went through.
    HandedOver {
        /// The per-shift visitor number.
        number: u32,
        /// The colleague's alias.
        to: String,
    },
    /// A transfer was asked with no colleague on duty with a free seat.
    NoFreeColleague,
    /// The draft meant as a hand-over note is too long or not one line.
    NoteTooLong,
    /// The visitor answered (or did not answer) a proposed hand-over.
    TransferAnswered {
        /// The per-shift visitor number.
        number: u32,
        /// What became of it.
        status: TransferStatus,
    },
    /// A transfer was asked of a conversation that is over or already moving.
    CannotTransferNow,
    /// A message went out after the send before it was refused (a placeholder left in it):
    /// the refusal must not stay on screen, or the coordinator may send it twice.
    MessageSent {
        /// The per-shift visitor number.
        number: u32,
    },
    /// A conversation was closed here and its transcript erased.
    Erased {
        /// The per-shift visitor number.
        number: u32,
    },
    /// What was being written to went away or off screen while typing: typing is held
    /// back until the coordinator looks at what is shown now.
    WritingStopped,
    /// Something needs a conversation and none is selected.
    SelectConversationFirst,
    /// Writing to a conversation that is over.
    ConversationOver,
    /// Sending was refused: the draft still holds a resource's placeholder, to fill in.
    UnfilledPlaceholder {
        /// The first placeholder, as the resources file wrote it (never a visitor's words).
        placeholder: String,
    },
    /// Sending to a conversation that is over or being handed over.
    NoLongerTakesMessages,
    /// The resource picker was asked for with no resources loaded.
    NoResources,
    /// A tip arrived that was not listed before.
    NewTip,
    /// Tips cannot be opened without the inbox key.
    NoInboxKey,
    /// A tip was opened.
    TipOpened,
    /// A tip did not decrypt.
    TipDoesNotOpen {
        /// Why, as the connection or the crypto reported it.
        reason: String,
    },
    /// Replying was asked with no tip open.
    OpenTipFirst,
    /// The opened tip has no reply key.
    NoReplyKey,
    /// A reply was sealed and handed to the connection.
    ReplySent,
    /// A reply could not be sealed.
    ReplyNotSealed {
        /// Why, as the connection or the crypto reported it.
        reason: String,
    },
    /// A tip was marked handled.
    TipHandled,
    /// I asked to take a tip: the relay decides, and the list shows who holds it.
    TakingTip,
    /// A colleague holds this tip: replying or marking it handled needs taking it over.
    TipHeld {
        /// The colleague's alias.
        by: String,
    },
    /// A colleague took over a tip I held.
    TipTakenOver {
        /// The colleague's alias.
        by: String,
    },
    /// The relay cannot store my messages for now (its store is down): the connection keeps
    /// them and resends them by itself every `retry_after` seconds; nothing is asked of me.
    RelayBusy {
        /// Seconds between resends.
        retry_after: u32,
    },
    /// After [`Notice::RelayBusy`]: the relay stored a message again.
    GoingThroughAgain,
    /// The relay could not store what I asked (a tip reply, a take, a close) and nothing
    /// resends it: it was not done; it can be asked again after `retry_after` seconds.
    NotStoredTryAgain {
        /// Seconds to wait.
        retry_after: u32,
    },
    /// A conversation ended before the visitor's device acknowledged some of my messages.
    NotDelivered {
        /// The per-shift visitor number.
        number: u32,
        /// How many of my messages never reached the visitor.
        count: usize,
    },
    /// A command failed; the connection lives on.
    NotDone {
        /// Why, as the connection or the crypto reported it.
        reason: Reason,
    },
    /// The connection is gone; the network task signs in again by itself, with backoff.
    /// (The operating system's reason is not shown: it says nothing a coordinator can act
    /// on, and it pushed the line past 80 columns.)
    Reconnecting,
    /// Something that needs the relay was asked while offline; nothing was done.
    Offline,
    /// This identity signed in on another console or desk: the relay let that one in and
    /// closed this one, which stops (signing in again would close the other in turn). What
    /// it held went to the new connection, or back to the queue.
    SignedInElsewhere,
    /// A message, reply, hand-over or tip action was asked while offline: nothing went, and
    /// what was written stays in its box, to send once reconnected.
    OfflineKept,
    /// Signed in again; `on_duty` when duty resumed by itself.
    Reconnected {
        /// Whether the console went back on duty as it was before the loss.
        on_duty: bool,
    },
    /// The passphrase unlocked the console.
    Unlocked,
    /// The passphrase unlocked the console, which, locked past its limit, went off duty by
    /// itself (visitors were told no one was on duty) and gave what it held back to the
    /// queue: going back on duty is up to the coordinator.
    LockedTooLong {
        /// How long the console had been locked when it acted, in seconds.
        after_s: u64,
        /// Whether it went off duty then (it was on duty).
        off_duty: bool,
        /// The conversations it gave back to the queue then.
        released: u32,
    },
    /// The certificate expires within three days: renew it.
    CertificateExpiring {
        /// Days left, a started day counting as one (1 on the last day, 0 once expired).
        days_left: u64,
    },
    /// A renewed certificate or an inbox grant was installed into the identity: lock and
    /// unlock to use it.
    RenewalWaiting,
    /// A renewed certificate is in use on the live connection.
    CertificateRenewed {
        /// When it expires, Unix seconds.
        not_after: u64,
    },
    /// The inbox keys of a grant imported during the shift are in use: tips sealed to them
    /// open now.
    InboxKeysTaken,
}

/// Something that happened to a conversation, written into its transcript.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// I claimed it; the visitor sees my verified alias.
    Joined,
    /// A colleague handed it to me.
    TransferredIn {
        /// The colleague's alias.
        from: String,
    },
    /// I am handing it to a colleague.
    HandingOver {
        /// The colleague's alias.
        to: String,
    },
    /// The relay refused the transfer: still mine.
    TransferFailed,
    /// Where a proposed hand-over stands: the visitor is asked first.
    Transfer(TransferStatus),
    /// The colleague's note that came with a hand-over.
    HandoverNote {
        /// What they wrote (a colleague's words, never the visitor's).
        text: String,
    },
    /// A hand-over note came but did not open or verify.
    HandoverNoteUnreadable,
    /// The visitor sent their authenticated close.
    VisitorClosed,
    /// The visitor's connection dropped; they may come back.
    VisitorAway,
    /// The visitor came back.
    VisitorBack,
    /// The visitor ended the conversation.
    VisitorEnded,
    /// The relay's store lost the conversation (4014 to the visitor).
    StoreLost,
    /// The relay released it (expired or ended elsewhere).
    Over,
    /// Given back to the queue while the console was locked past its limit: a colleague may
    /// answer; if it still waits, I may claim it again.
    BackInQueue,
    /// My connection was lost: reconnecting, the relay holds the conversation meanwhile.
    ConnectionLost,
    /// Signed in again: the conversation carries on where it stopped.
    Resumed,
}
