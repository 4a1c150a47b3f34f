//! The queue as the coordinator sees it: the relay's list applied so that each visitor's
//! wait counts from their arrival as the relay reported it when they were first listed, not
//! from the latest list (the relay reports whole minutes, and lists again on every change),
//! and "the visitor waiting longest" found by that wait, not by list position (the relay
//! puts a requeued visitor first).
//!
//! It must never hold anything about a waiting visitor but what the relay listed, and never
//! do I/O.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::Shift;
use super::state::QueueRow;
use crate::protocol::SessionId;
use crate::protocol::frames::QueueItem;

/// The relay reports waits in whole minutes: a report this far above the running count
/// means the count started from a rounded-down figure, and the relay's is nearer the truth.
const COARSENESS: Duration = Duration::from_secs(60);

impl Shift {
    /// Applies a `queue_list`: rows already listed keep their running wait; a new visitor
    /// rings the bell.
    pub(super) fn on_queue(&mut self, items: Vec<QueueItem>, now: Instant) {
        let before: HashMap<SessionId, QueueRow> =
            self.queue.drain(..).map(|q| (q.session, q)).collect();
        let known: HashSet<SessionId> = before.keys().copied().collect();
        if items.iter().any(|i| !known.contains(&i.session)) {
            self.bell = true;
        }
        self.queue = items
            .into_iter()
            .map(|i| {
                let reported = Duration::from_secs(i.waited_s);
                let (waited_s, seen_at) = match before.get(&i.session) {
                    Some(row) if reported < row.waited(now) + COARSENESS => {
                        (row.waited_s, row.seen_at)
                    }
                    _ => (i.waited_s, now),
                };
                QueueRow {
                    session: i.session,
                    waited_s,
                    kind: i.kind,
                    lang: i.lang,
                    seen_at,
                }
            })
            .collect();
        self.follow_queue();
    }

    /// The visitor who has waited longest by `now` (the first listed among equals).
    pub fn longest_waiting(&self, now: Instant) -> Option<SessionId> {
        self.queue
            .iter()
            .rev()
            .max_by_key(|q| q.waited(now))
            .map(|q| q.session)
    }
}
