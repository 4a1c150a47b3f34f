//! `retry` that keeps the chat (protocol §9.4): after the relay answers a `msg` with
//! `retry` (the store failed), the client resends from that frame on; frames past it that
//! were already on their way are answered with `retry` too, not closed as a gap (4004), and
//! a refused frame costs the client nothing against its rate limit.
//!
//! Per connection, per conversation: the lowest sequence number refused and not yet stored.
//! Must never let a frame be stored out of order: it only changes how a gap is answered.

use std::collections::HashMap;

use super::connection::Inbox;
use crate::protocol::{RelayFrame, SessionId};

/// How long a client waits before resending what was refused, in seconds.
pub const RETRY_AFTER_S: u32 = 1;

/// The frames this connection had refused with `retry`, by conversation.
#[derive(Debug, Default)]
pub struct Refused(HashMap<SessionId, u64>);

impl Refused {
    /// `seq` of `session` was answered with `retry`.
    pub fn refuse(&mut self, session: SessionId, seq: u64) {
        let from = self.0.entry(session).or_insert(seq);
        *from = (*from).min(seq);
    }

    /// Answers a frame of `len` bytes the store could not take (a `msg` numbered `seq`, if it
    /// was one) with `retry`, and gives back its rate-limit cost.
    pub fn answer(&mut self, inbox: &mut Inbox, session: SessionId, seq: Option<u64>, len: usize) {
        if let Some(seq) = seq {
            self.refuse(session, seq);
        }
        inbox.refund(len);
        inbox.outbox.send(RelayFrame::Retry {
            after_s: RETRY_AFTER_S,
        });
    }

    /// A frame of `session` was stored: the resend has begun, gaps are gaps again.
    pub fn stored(&mut self, session: &SessionId) {
        self.0.remove(session);
    }

    /// Whether a frame of `session` numbered `seq`, past what is due, was sent before the
    /// client saw a `retry` (so it is refused the same way, not treated as a gap).
    pub fn awaiting_resend(&self, session: &SessionId, seq: u64) -> bool {
        self.0.get(session).is_some_and(|from| seq > *from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_after_a_refusal_waits_for_the_resend_and_only_until_it_is_stored() {
        let a = SessionId([1; 16]);
        let b = SessionId([2; 16]);
        let mut refused = Refused::default();
        assert!(
            !refused.awaiting_resend(&a, 6),
            "no refusal: a gap is a gap"
        );
        refused.refuse(a, 5);
        refused.refuse(a, 7);
        assert!(
            refused.awaiting_resend(&a, 6),
            "sent before the retry arrived"
        );
        assert!(
            !refused.awaiting_resend(&a, 5),
            "the refused frame itself is due"
        );
        assert!(!refused.awaiting_resend(&b, 6), "per conversation");
        refused.stored(&a);
        assert!(
            !refused.awaiting_resend(&a, 9),
            "after the resend began, gaps close again"
        );
    }
}
