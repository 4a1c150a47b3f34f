//! The frames a client sent that the relay has not yet confirmed `stored`, kept so that
//! after a `retry` they go again, in order, when they are due (protocol §9.4), whether or
//! not the application is reading at that moment: the connection's own reader
//! ([`super::wire`]) watches `stored` and `retry` and does the resend.
//!
//! It must never keep a frame the relay confirmed, nor hand a conversation's frames back
//! out of order.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

use crate::protocol::{RelayFrame, SessionId};

/// Shared between a client and its connection's reader; cheap to clone.
#[derive(Clone, Default)]
pub struct Outbox(Arc<Mutex<Pending>>);

/// Which conversation a frame belongs to: `None` on a visitor's own connection.
pub type Stream = Option<SessionId>;

#[derive(Default)]
struct Pending {
    /// Encoded `msg` frames by conversation, then sequence number: resent in this order.
    frames: BTreeMap<(Stream, u64), String>,
    /// After a `retry`: when the unconfirmed frames are due again.
    resend_at: Option<Instant>,
}

impl Outbox {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        // Every critical section below leaves the map whole, so a panic elsewhere while it
        // was held cannot have broken it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the encoded frame `seq` of `stream` until the relay confirms it.
    pub fn keep(&self, stream: Stream, seq: u64, text: String) {
        self.pending().frames.insert((stream, seq), text);
    }

    /// Forgets one frame (it will go again under other keys or not at all).
    pub fn forget(&self, stream: Stream, seq: u64) {
        self.pending().frames.remove(&(stream, seq));
    }

    /// Forgets every frame of a conversation that is no longer ours.
    pub fn forget_stream(&self, stream: Stream) {
        self.pending().frames.retain(|(s, _), _| *s != stream);
    }

    /// The relay stored `stream`'s frames up to `seq` (`stored` is cumulative).
    pub fn confirmed(&self, stream: Stream, seq: u64) {
        self.pending()
            .frames
            .retain(|(s, n), _| *s != stream || *n > seq);
    }

    /// Takes over every frame `old` still keeps (a coordinator's resume on a new connection
    /// carries its unconfirmed frames over, §9.6).
    pub fn adopt(&self, old: &Outbox) {
        if Arc::ptr_eq(&self.0, &old.0) {
            return;
        }
        let taken = std::mem::take(&mut old.pending().frames);
        self.pending().frames.extend(taken);
    }

    /// The highest sequence number of `stream` still kept, if any.
    pub fn last_seq(&self, stream: Stream) -> Option<u64> {
        self.pending()
            .frames
            .keys()
            .filter(|(s, _)| *s == stream)
            .map(|(_, n)| *n)
            .next_back()
    }

    /// When a resend is due, if a `retry` asked for one.
    pub fn due(&self) -> Option<Instant> {
        self.pending().resend_at
    }

    /// Every kept frame, each conversation in order, for sending now; a scheduled resend is
    /// then no longer due (these frames are it).
    pub fn take_all(&self) -> Vec<String> {
        let mut pending = self.pending();
        pending.resend_at = None;
        pending.frames.values().cloned().collect()
    }

    /// Notes what a relay frame means for the kept frames: `stored` confirms, `retry`
    /// schedules one resend for a burst of refusals (it covers every refused frame).
    pub fn observe(&self, frame: &RelayFrame) {
        match frame {
            RelayFrame::Stored { session, seq } => self.confirmed(*session, *seq),
            RelayFrame::Retry { after_s } => {
                self.pending()
                    .resend_at
                    .get_or_insert_with(|| super::after_seconds(*after_s));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_until_stored_and_schedules_one_resend_per_burst() {
        let a = Some(SessionId([1; 16]));
        let b = Some(SessionId([2; 16]));
        let outbox = Outbox::default();
        for seq in 1..=3 {
            outbox.keep(a, seq, format!("a{seq}"));
            outbox.keep(b, seq, format!("b{seq}"));
        }
        outbox.observe(&RelayFrame::Stored { session: a, seq: 2 });
        assert_eq!(outbox.last_seq(a), Some(3));
        assert_eq!(outbox.due(), None, "nothing refused yet");

        outbox.observe(&RelayFrame::Retry { after_s: 1 });
        let first = outbox.due().expect("a retry schedules a resend");
        outbox.observe(&RelayFrame::Retry { after_s: 5 });
        assert_eq!(outbox.due(), Some(first), "one resend for a burst");

        assert_eq!(outbox.take_all(), ["a3", "b1", "b2", "b3"], "in order");
        assert_eq!(outbox.due(), None, "the resend happened");
        let next = Outbox::default();
        next.adopt(&outbox);
        assert!(outbox.take_all().is_empty(), "moved, not copied");
        assert_eq!(next.take_all(), ["a3", "b1", "b2", "b3"]);
        next.forget_stream(b);
        next.forget(a, 3);
        assert!(next.take_all().is_empty());
    }
}
