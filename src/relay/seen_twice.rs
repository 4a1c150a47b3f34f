//! What one heartbeat found, kept for the next: the heartbeat acts only on what two in a row
//! found, because a step in progress (a claim, a hello, a sign-in on another node) looks
//! wrong for a moment.
//!
//! Must never confirm anything the previous heartbeat did not find too.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Mutex;

/// What the last heartbeat found.
pub struct SeenTwice<T>(Mutex<HashSet<T>>);

impl<T> Default for SeenTwice<T> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<T: Copy + Eq + Hash> SeenTwice<T> {
    /// Keeps what this heartbeat found for the next; returns what the last one found too.
    pub fn confirm(&self, found: impl IntoIterator<Item = T>) -> Vec<T> {
        let found: HashSet<T> = found.into_iter().collect();
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let confirmed = found.intersection(&last).copied().collect();
        *last = found;
        confirmed
    }
}

#[cfg(test)]
mod tests {
    use super::SeenTwice;

    #[test]
    fn only_what_two_heartbeats_in_a_row_found_is_confirmed() {
        let seen = SeenTwice::default();
        assert!(seen.confirm([1, 2]).is_empty());
        assert_eq!(seen.confirm([2, 3]), [2]);
        // 1 was found two heartbeats ago, not by the last: not confirmed.
        assert!(seen.confirm([1]).is_empty());
        assert!(seen.confirm([]).is_empty());
        assert!(seen.confirm([1]).is_empty());
    }
}
