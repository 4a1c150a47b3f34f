//! Acknowledgements coalesced per conversation: the store's acknowledgement (a script on
//! Redis: trim the buffer, tell the sender's node) runs at most once per [`WINDOW`] for one
//! connection's conversation. The first ack after a quiet window runs at once; those that
//! follow within it are held, and only the highest (acks are cumulative) runs when the
//! window ends. Clients ack as before; the sender's `delivered` mark follows the store's
//! acknowledgement as before, at most one window later.
//!
//! A relay that dies with an ack held loses only that store write: the frames stay in the
//! buffer, the receiver (whose connection died with the relay) resumes with the last
//! sequence number it has, which acknowledges them, and the sender's mark comes then. Never
//! a loss; a redelivery at most, which the receiver ignores by `seq` (docs/protocol.md §9.4).
//!
//! Holds session ids, sequence numbers and instants of one connection only; must never
//! hold an ack past its window, nor send a lower one after a higher.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::protocol::SessionId;

/// How long acknowledgements of one conversation are gathered: below what a person notices
/// between "sent" and "delivered", above the gap between frames of a burst.
pub const WINDOW: Duration = Duration::from_millis(200);

/// More conversations than one connection acknowledges within a window; beyond it, those
/// with nothing held are forgotten (their next ack runs at once).
const MOST_REMEMBERED: usize = 64;

/// What to do with an acknowledgement.
#[derive(Debug, PartialEq, Eq)]
pub enum Turn {
    /// Run it now.
    Now,
    /// Held; run what is held at this instant ([`AckWindow::due`]), in a task of its own.
    Later(Instant),
    /// Held with one already waiting for its turn.
    Held,
}

struct Slot {
    ran: Instant,
    held: Option<u64>,
}

/// One connection's acknowledgements, per conversation.
#[derive(Clone, Default)]
pub struct AckWindow(Arc<Mutex<HashMap<SessionId, Slot>>>);

impl AckWindow {
    /// Decides when the ack of frames up to `seq` of `session` reaches the store.
    pub fn offer(&self, session: SessionId, seq: u64) -> Turn {
        self.offer_at(session, seq, Instant::now())
    }

    fn offer_at(&self, session: SessionId, seq: u64, now: Instant) -> Turn {
        let mut slots = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(&session)
            && now < slot.ran + WINDOW
        {
            let first = slot.held.is_none();
            slot.held = Some(slot.held.map_or(seq, |held| held.max(seq)));
            return if first {
                Turn::Later(slot.ran + WINDOW)
            } else {
                Turn::Held
            };
        }
        if slots.len() >= MOST_REMEMBERED {
            slots.retain(|_, slot| slot.held.is_some());
        }
        slots.insert(
            session,
            Slot {
                ran: now,
                held: None,
            },
        );
        Turn::Now
    }

    /// The ack held for `session`, taken: its window has ended (and a new one starts).
    pub fn due(&self, session: &SessionId) -> Option<u64> {
        self.due_at(session, Instant::now())
    }

    fn due_at(&self, session: &SessionId, now: Instant) -> Option<u64> {
        let mut slots = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots.get_mut(session)?;
        let held = slot.held.take()?;
        slot.ran = now;
        Some(held)
    }

    /// Runs `ack` with what is held for `session` at `at`, in a task of its own: it runs
    /// even if the connection has closed meanwhile (the sender still gets its mark).
    pub fn run_at<F, Fut>(&self, session: SessionId, at: Instant, ack: F)
    where
        F: FnOnce(u64) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let window = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            if let Some(seq) = window.due(&session) {
                ack(seq).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: SessionId = SessionId([1; 16]);
    const B: SessionId = SessionId([2; 16]);

    #[test]
    fn the_first_ack_runs_at_once_the_rest_of_the_window_once_with_the_highest() {
        let window = AckWindow::default();
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert_eq!(window.offer_at(A, 1, start), Turn::Now);
        assert_eq!(window.offer_at(A, 3, at(10)), Turn::Later(start + WINDOW));
        assert_eq!(
            window.offer_at(A, 2, at(20)),
            Turn::Held,
            "an older ack, late"
        );
        assert_eq!(
            window.offer_at(B, 7, at(20)),
            Turn::Now,
            "each conversation apart"
        );
        let end = start + WINDOW;
        assert_eq!(
            window.due_at(&A, end),
            Some(3),
            "the highest, never a lower after it"
        );
        assert_eq!(window.due_at(&A, end), None, "once");
        // The held ack's run opened a new window.
        assert_eq!(window.offer_at(A, 4, end), Turn::Later(end + WINDOW));
        assert_eq!(window.due_at(&A, end + WINDOW), Some(4));
        let quiet = end + 3 * WINDOW;
        assert_eq!(
            window.offer_at(A, 5, quiet),
            Turn::Now,
            "after a quiet window"
        );
    }

    #[tokio::test]
    async fn a_held_ack_runs_with_the_highest_once_its_window_ends() {
        let window = AckWindow::default();
        let (ran, mut runs) = tokio::sync::mpsc::unbounded_channel();
        assert_eq!(window.offer(A, 1), Turn::Now);
        let Turn::Later(at) = window.offer(A, 2) else {
            panic!("held")
        };
        window.run_at(A, at, move |seq| async move {
            let _ = ran.send(seq);
        });
        assert_eq!(window.offer(A, 6), Turn::Held);
        let seq = tokio::time::timeout(WINDOW * 20, runs.recv()).await;
        assert_eq!(seq, Ok(Some(6)));
        assert!(Instant::now() >= at, "not before its window ended");
        assert_eq!(runs.recv().await, None, "once");
    }
}
