//! Counted wakes between nodes. Pub/sub is at most once: a wake can be lost without this
//! node's subscription dropping (on a Cluster a publish crosses the cluster bus). So each
//! node counts the wakes it sent to each other node, and every heartbeat tells each one the
//! count so far (`<from> n <count>` on its wake channel, after those wakes in the channel's
//! order); a receiver that has seen fewer lost one, and pulls every conversation it holds.
//! That replaces pulling them all at every heartbeat. (On a Cluster a notice may overtake
//! a wake from another shard: one pull too many, never one too few.)
//!
//! Holds node ids and counters only; must never hold a session id or anything about one.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many wakes this node sent to each other node (the sender's side).
#[derive(Default)]
pub struct WakesSent(Mutex<HashMap<String, u64>>);

impl WakesSent {
    /// Counts one wake published to `node`.
    pub fn count(&self, node: &str) {
        let mut sent = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match sent.get_mut(node) {
            Some(n) => *n += 1,
            None => {
                sent.insert(node.to_owned(), 1);
            }
        }
    }

    /// The count so far for each node, for the heartbeat's notices.
    pub fn totals(&self) -> Vec<(String, u64)> {
        let sent = self.0.lock().unwrap_or_else(|p| p.into_inner());
        sent.iter().map(|(n, c)| (n.clone(), *c)).collect()
    }
}

/// How many wakes this node saw from each other node (the receiver's side). Never reset:
/// after a lost subscription, the first notice from each sender shows what was lost
/// meanwhile (the resubscription pulled everything already; one pull more is harmless).
#[derive(Default)]
pub struct WakesSeen(HashMap<String, u64>);

impl WakesSeen {
    /// Counts one wake from `from`.
    pub fn saw(&mut self, from: &str) {
        match self.0.get_mut(from) {
            Some(seen) => *seen += 1,
            None => {
                self.0.insert(from.to_owned(), 1);
            }
        }
    }

    /// `from` says it sent `total` wakes here: `true` if some never came (then they count
    /// as seen: the caller pulls everything, which makes good every loss so far).
    pub fn told(&mut self, from: &str, total: u64) -> bool {
        let seen = self.0.entry(from.to_owned()).or_default();
        let lost = *seen < total;
        *seen = (*seen).max(total);
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wake_seen_is_no_loss() {
        let mut seen = WakesSeen::default();
        assert!(!seen.told("a", 0));
        for _ in 0..3 {
            seen.saw("a");
        }
        assert!(!seen.told("a", 3));
        // A wake counted by the sender after its notice was composed, seen before it.
        seen.saw("a");
        assert!(!seen.told("a", 3));
        assert!(!seen.told("a", 4));
    }

    #[test]
    fn a_wake_that_never_came_shows_at_the_next_notice_once() {
        let mut seen = WakesSeen::default();
        seen.saw("a");
        assert!(seen.told("a", 2), "two sent, one seen");
        assert!(!seen.told("a", 2), "reported once");
        assert!(seen.told("b", 1), "a sender never heard from");
    }

    #[test]
    fn senders_are_counted_apart() {
        let mut seen = WakesSeen::default();
        seen.saw("a");
        assert!(!seen.told("a", 1));
        assert!(seen.told("b", 1));
    }

    #[test]
    fn sent_wakes_are_counted_per_node() {
        let sent = WakesSent::default();
        sent.count("a");
        sent.count("a");
        sent.count("b");
        let mut totals = sent.totals();
        totals.sort();
        assert_eq!(totals, vec![("a".into(), 2), ("b".into(), 1)]);
    }
}
