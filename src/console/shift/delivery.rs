//! What became of my messages, and what the status line says about it: the relay stored
//! them (`stored`), the visitor's device acknowledged them (`delivered`), the relay could not
//! store them for a while (`retry`: the connection keeps and resends them by itself, §9.4),
//! or the conversation ended before the visitor's device acknowledged them.
//!
//! It must never mark a line undelivered that may still arrive (after a hand-over, or a
//! conversation the relay released while my connection was away: it may have been requeued,
//! and what the relay stored still reaches the visitor, §9.6), never tell the coordinator to
//! resend what the connection resends by itself, and never do I/O.

use super::Shift;
use super::notice::{Note, Notice};
use super::state::{ConvState, Conversation, Line, Mark, Who};
use crate::protocol::SessionId;

impl Shift {
    /// The relay holds my frames of `session` up to `seq` (`stored` is cumulative).
    pub(super) fn stored(&mut self, session: SessionId, seq: u64) {
        self.mark(session, |l| l.seq.is_some_and(|s| s <= seq), Mark::Sent);
        // The store takes messages again: the outage notice must not outlive the outage.
        if matches!(self.status, Notice::RelayBusy { .. }) {
            self.status = Notice::GoingThroughAgain;
        }
    }

    /// The visitor's device acknowledged my frames of `session` up to `seq`.
    pub(super) fn delivered(&mut self, session: SessionId, seq: u64) {
        self.mark(
            session,
            |l| l.seq.is_some_and(|s| s <= seq),
            Mark::Delivered,
        );
    }

    /// The relay could not store a frame and asks for it again after `retry_after` seconds.
    /// The connection resends unconfirmed messages by itself; anything else (a tip reply, a
    /// take, a close) it does not, so that is said to be not done.
    pub(super) fn retry(&mut self, retry_after: u32) {
        let messages_wait = self
            .conversations
            .iter()
            .any(|c| c.state != ConvState::Ended && c.unstored() > 0);
        self.status = if messages_wait {
            Notice::RelayBusy { retry_after }
        } else {
            Notice::NotStoredTryAgain { retry_after }
        };
        // With no message of mine unstored, the `retry` is for a tip frame, and the relay
        // answers them in order: a reply not answered yet is the one it could not file. (With
        // messages waiting it may be theirs: the reply stays, rather than be sent twice.)
        if !messages_wait && let Some(id) = self.reply_unconfirmed {
            self.take_back_reply(id);
        }
    }

    /// `session` ended for good (the visitor ended it, it expired, the store lost it): every
    /// line of mine the visitor's device did not acknowledge never reached them, and the
    /// status line says how many when there are any.
    pub(super) fn never_delivered(&mut self, session: SessionId) {
        let count = self.mark(session, |_| true, Mark::Undelivered);
        if let (Some(c), true) = (self.conversation(&session), count > 0) {
            self.status = Notice::NotDelivered {
                number: c.number,
                count,
            };
        }
    }

    /// Raises to `mark` each line of mine in `session` that `which` picks and that has not
    /// reached it yet; how many changed.
    pub(super) fn mark(
        &mut self,
        session: SessionId,
        which: impl Fn(&Line) -> bool,
        mark: Mark,
    ) -> usize {
        let Some(c) = self.conversation_mut(&session) else {
            return 0;
        };
        let mut changed = 0;
        for line in c.lines.iter_mut().filter(|l| l.who == Who::Me) {
            if which(line) && line.mark < mark {
                line.mark = mark;
                changed += 1;
            }
        }
        changed
    }
}

impl Conversation {
    /// My messages the relay has not confirmed storing: ending the conversation now may
    /// leave them undelivered (nothing resends them once it is over).
    pub fn unstored(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.who == Who::Me && l.mark == Mark::Pending)
            .count()
    }

    /// My messages the relay stores and the visitor's device has not acknowledged yet: what
    /// the server keeps of mine, encrypted, until they read it (the chat's holds line).
    pub fn kept_unread(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.who == Who::Me && l.mark == Mark::Sent)
            .count()
    }

    /// My connection was lost and this conversation has not been resumed since: the relay's
    /// answer to my resume says only that it is no longer mine (it may have been requeued,
    /// and then what it stored still reaches the visitor).
    pub(super) fn awaiting_resume(&self) -> bool {
        self.lines
            .iter()
            .rev()
            .find_map(|l| match l.who {
                Who::System(Note::ConnectionLost) => Some(true),
                Who::System(Note::Resumed) => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    }
}
