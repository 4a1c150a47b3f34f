//! The terminal's words for what the shift core reports: each [`Notice`] as a status line,
//! each [`Note`] as a transcript line and each [`Followup`] of a tip, in English, naming the
//! terminal's keys.
//!
//! It must never add anything the notice does not carry (no visitor's words, no session id).

use crate::console::shift::{Followup, Note, Notice, TipHolder, TransferStatus};

/// The status line for `notice`.
pub fn notice(notice: &Notice) -> String {
    match notice {
        Notice::Welcome => "Off duty. Ctrl-D goes on duty; F1 lists the keys.".into(),
        Notice::OnDuty => {
            "On duty. The queue updates live; Enter on a visitor answers them.".into()
        }
        Notice::OffDuty => "Off duty. You keep the conversations you hold.".into(),
        Notice::NotOnDuty => "Go on duty (Ctrl-D) to answer visitors.".into(),
        Notice::AtCapacity { held } => {
            format!("You hold {held} conversations, your capacity. Close or hand one over first.")
        }
        Notice::Answering { short } => format!("Answering visitor {short}…"),
        Notice::NobodyWaiting => "Nobody is waiting.".into(),
        Notice::Claimed { number } => format!("Visitor {number} is yours."),
        Notice::TransferredIn { number, from } => {
            format!("Visitor {number} transferred to you by {from}.")
        }
        Notice::ClaimLost => "Someone else answered that visitor first.".into(),
        Notice::Transferring { to } => format!("Transferring to {to}…"),
        Notice::TransferFailed { number } => {
            format!("Transfer of Visitor {number} failed; it is still yours.")
        }
        Notice::HandedOver { number, to } => format!("Visitor {number} handed to {to}."),
        Notice::NoFreeColleague => "No colleague on duty has a free seat.".into(),
        Notice::NoteTooLong => {
            "A hand-over note is one line of at most 240 bytes: shorten it.".into()
        }
        Notice::TransferAnswered { number, status } => match status {
            TransferStatus::Waiting => format!("Visitor {number}: waiting for them to accept."),
            TransferStatus::Accepted => format!("Visitor {number} accepted the hand-over."),
            TransferStatus::Declined => format!("Visitor {number} declined: they stay with you."),
            TransferStatus::Expired => {
                format!("Visitor {number} did not answer: they stay with you.")
            }
        },
        Notice::CannotTransferNow => "This conversation cannot be transferred now.".into(),
        Notice::MessageSent { number } => format!("Sent to visitor {number}."),
        Notice::Erased { number } => {
            format!("Visitor {number}: conversation closed and erased.")
        }
        Notice::WritingStopped => {
            "Writing stopped: that draft is gone. Check who is shown, Esc, then type.".into()
        }
        Notice::SelectConversationFirst => "Select a conversation first (↑↓, Tab, Alt-1…9).".into(),
        Notice::ConversationOver => "This conversation is over; Ctrl-W closes it.".into(),
        Notice::UnfilledPlaceholder { placeholder } => {
            format!("Not sent: replace {placeholder} with the real detail first.")
        }
        Notice::NoLongerTakesMessages => "This conversation no longer takes messages.".into(),
        Notice::NoResources => "No resources: add them to config/resources.toml.".into(),
        Notice::NewTip => "A new tip arrived (Ctrl-T: tips).".into(),
        Notice::NoInboxKey => {
            "No tip-inbox key: import a grant (lifeline console --import-grant) to open tips."
                .into()
        }
        Notice::TipOpened => "Tip opened. Type to reply; Ctrl-W marks it handled.".into(),
        Notice::TipDoesNotOpen { reason } => format!("This tip does not open: {reason}"),
        Notice::OpenTipFirst => "Open a tip first (Enter).".into(),
        Notice::NoReplyKey => "This tipster left no way to reply.".into(),
        Notice::ReplySent => {
            "Reply sealed and sent; the tipster reads it with their receipt code.".into()
        }
        Notice::ReplyNotSealed { reason } => {
            format!("The reply could not be sealed: {reason}")
        }
        Notice::TipHandled => "Tip marked handled.".into(),
        Notice::TakingTip => "Taking the tip…".into(),
        Notice::TipHeld { by } => {
            format!("{by} holds this tip. Ctrl-K takes it over (they are told).")
        }
        Notice::TipTakenOver { by } => format!("{by} took over a tip you held."),
        Notice::RelayBusy { retry_after } => format!(
            "The relay cannot store messages now; yours are kept and resent every {retry_after} s."
        ),
        Notice::GoingThroughAgain => "Messages are going through again.".into(),
        Notice::NotStoredTryAgain { retry_after } => {
            format!("The relay cannot store that now; not done. Try again in {retry_after} s.")
        }
        Notice::NotDelivered { number, count: 1 } => {
            format!(
                "Visitor {number}: the conversation ended; 1 message of yours never reached them."
            )
        }
        Notice::NotDelivered { number, count } => format!(
            "Visitor {number}: the conversation ended; {count} of your messages never reached them."
        ),
        Notice::NotDone { reason } => format!("Not done: {reason}"),
        Notice::Reconnecting => "Offline. Reconnecting… your visitors wait safely.".into(),
        Notice::SignedInElsewhere => {
            "Signed in on another console or desk with this identity: this one stopped.".into()
        }
        Notice::Offline => "Offline: duty waits until the console is reconnected.".into(),
        Notice::OfflineKept => {
            "Offline: nothing was sent; what you wrote is kept. Reconnecting…".into()
        }
        Notice::Reconnected { on_duty: true } => "Reconnected; back on duty.".into(),
        Notice::Reconnected { on_duty: false } => "Reconnected.".into(),
        Notice::Unlocked => "Unlocked.".into(),
        // One status line, 80 columns at 10 min and any count.
        Notice::LockedTooLong {
            after_s,
            off_duty,
            released,
        } => {
            let count = match released {
                1 => "1 conversation".to_owned(),
                n => format!("{n} conversations"),
            };
            match (*off_duty, released) {
                (true, 0) => format!(
                    "You were taken off duty after {} locked. Ctrl-D goes back on duty.",
                    span(*after_s)
                ),
                (true, _) => format!(
                    "Off duty after {} locked; {count} back in queue. Ctrl-D: on duty.",
                    span(*after_s)
                ),
                (false, _) => format!(
                    "After {} locked, {count} went back to the queue.",
                    span(*after_s)
                ),
            }
        }
        Notice::CertificateExpiring { days_left: 0 } => {
            "Your certificate has expired: ask your organisation to renew it.".into()
        }
        Notice::CertificateExpiring { days_left: 1 } => {
            "Your certificate expires within a day: ask your organisation to renew it.".into()
        }
        Notice::CertificateExpiring { days_left } => {
            format!(
                "Your certificate expires within {days_left} days: ask your organisation to renew it."
            )
        }
        Notice::RenewalWaiting => {
            "A certificate or grant was installed: lock (Ctrl-L) and unlock to use it.".into()
        }
        Notice::InboxKeysTaken => "New inbox keys in use: tips sealed to them open now.".into(),
        Notice::CertificateRenewed { not_after } => {
            format!(
                "Certificate renewed, valid until {} UTC.",
                super::ui::date(*not_after)
            )
        }
    }
}

/// A short span of time: seconds below a minute, else whole minutes (rounded down: "after 10
/// min" stays true of 10 min 30 s).
fn span(seconds: u64) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min", seconds / 60)
    }
}

/// The question before I end a conversation, warning of my messages the relay has not
/// confirmed storing (during a store outage they would never reach the visitor).
pub fn confirm_end(unstored: usize) -> String {
    let warning = match unstored {
        0 => String::new(),
        1 => " 1 message of yours is not stored yet and may never arrive.".into(),
        n => format!(" {n} messages of yours are not stored yet and may never arrive."),
    };
    format!("End this conversation? The visitor is told and everything is erased.{warning} (y/n)")
}

/// The transcript line for `note`.
pub fn note(note: &Note) -> String {
    match note {
        Note::Joined => "You joined. The visitor sees your verified alias.".into(),
        Note::TransferredIn { from } => format!("Transferred to you by {from}."),
        Note::HandingOver { to } => format!("Handing over to {to}…"),
        Note::TransferFailed => {
            "Transfer failed: that colleague is off duty or full. You still hold this conversation."
                .into()
        }
        Note::Transfer(TransferStatus::Waiting) => {
            "Waiting for the visitor to accept the hand-over…".into()
        }
        Note::Transfer(TransferStatus::Accepted) => "The visitor accepted the hand-over.".into(),
        Note::Transfer(TransferStatus::Declined) => {
            "The visitor declined the hand-over and stays with you.".into()
        }
        Note::Transfer(TransferStatus::Expired) => {
            "The visitor did not answer in time and stays with you.".into()
        }
        Note::HandoverNote { text } => format!("Hand-over note: {text}"),
        Note::HandoverNoteUnreadable => {
            "A hand-over note came but could not be opened or verified.".into()
        }
        Note::VisitorClosed => "The visitor closed the chat.".into(),
        Note::VisitorAway => "The visitor's connection dropped; they may come back.".into(),
        Note::VisitorBack => "The visitor is back.".into(),
        Note::VisitorEnded => "The visitor ended the conversation. Ctrl-W closes it.".into(),
        Note::Over => "This conversation is over. Ctrl-W closes it.".into(),
        Note::BackInQueue => "Back in the queue while you were away: a colleague can answer. \
            If it still waits, you can claim it again; Ctrl-W closes this."
            .into(),
        Note::ConnectionLost => {
            "Connection lost: reconnecting… this conversation is kept for you.".into()
        }
        Note::Resumed => "Reconnected: the conversation carries on.".into(),
        Note::StoreLost => {
            "The server lost this conversation. The visitor can start a new one now.".into()
        }
    }
}

/// What a tips-list row says about a tip's thread, in words: "2 follow-ups · 1 reply",
/// "unanswered".
pub fn tip_thread(followups: u32, replies: u32) -> String {
    let added = match followups {
        0 => None,
        1 => Some("1 follow-up".to_owned()),
        n => Some(format!("{n} follow-ups")),
    };
    let answered = match replies {
        0 => "unanswered".to_owned(),
        1 => "1 reply".to_owned(),
        n => format!("{n} replies"),
    };
    added
        .into_iter()
        .chain([answered])
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Shown in place of a tip whose text is empty: the console says so, never a blank screen.
pub const EMPTY_TIP: &str = "(this tip has no text)";

/// Who holds a tip, and what that means for me.
pub fn tip_holder(holder: TipHolder) -> String {
    match holder {
        TipHolder::Nobody => "free: Ctrl-K takes it".into(),
        TipHolder::Me => "yours".into(),
        TipHolder::Colleague(alias) => format!("held by {alias}"),
    }
}

/// A tip's follow-up: the tipster's words, or why there are none to show.
pub fn followup(followup: &Followup) -> std::borrow::Cow<'_, str> {
    match followup {
        Followup::Text(words) => words.into(),
        Followup::DoesNotOpen => "(a follow-up that does not open)".into(),
        Followup::WithoutReplyKey => "(a follow-up without a reply key)".into(),
    }
}
