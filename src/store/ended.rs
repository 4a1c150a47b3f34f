//! Tombstones of sessions the relay erased on purpose (ended, expired, or refused on resume:
//! protocol §9.5, §9.6): the store's own record that a session is gone because the relay
//! erased it, not because the store lost it. A Redis back from an older snapshot also loses sessions, and only this tells the two
//! apart: a session this node saw created that is gone without a tombstone was rewound; a
//! coordinator naming on its return a conversation that has a tombstone is told it ended,
//! not that the server lost it.
//!
//! A tombstone holds nothing but a one-way digest of the session id (so no dump of the store
//! names a session after its end) and expires after [`kept_for`]. Must never hold anything
//! else about the session, and must never be written for a session the store lost (the
//! sessions a change of generation erases: then the loss would be told as an end).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::chat::SessionId;
use crate::crypto::keys::hex;

/// Domain separation: this digest is never a fingerprint of anything else.
const LABEL: &[u8] = b"lifeline ended session v1";
/// The shortest a tombstone is kept: a session created and ended within one generation
/// check is verified at the next check (half a second later, or later while the store
/// cannot be reached).
const AT_LEAST: Duration = Duration::from_secs(60);

/// How long a tombstone is kept: at least the coordinator grace (a coordinator away that
/// long may still name the conversation on its return).
pub fn kept_for(coordinator_grace_s: u64) -> Duration {
    Duration::from_secs(coordinator_grace_s).max(AT_LEAST)
}

/// The tombstone's name for `id`: 16 bytes of SHA-256 over a label and the id, in hex.
pub fn digest(id: &SessionId) -> String {
    let mut input = LABEL.to_vec();
    input.extend_from_slice(&id.0);
    let digest = ring::digest::digest(&ring::digest::SHA256, &input);
    hex(&digest.as_ref()[..16])
}

/// The memory store's tombstones: digests with the instant they expire.
pub struct Tombstones {
    kept_for: Mutex<Duration>,
    // Boxed: the memory store, and the store enum around it, stay small.
    stones: Mutex<Box<Stones>>,
}

/// The digests, and the same in the order they were buried, so forgetting the expired ones
/// looks only at those (a scan of every tombstone on each end was O(n) per end: quadratic
/// under a burst of arrivals that end).
#[derive(Default)]
struct Stones {
    until: HashMap<String, Instant>,
    buried: VecDeque<(Instant, String)>,
}

impl Default for Tombstones {
    fn default() -> Self {
        Self {
            kept_for: Mutex::new(AT_LEAST),
            stones: Mutex::default(),
        }
    }
}

impl Stones {
    /// Forgets the tombstones expired by `now` at the front of the burial order. One kept
    /// for less time than those buried before it (the time was shortened) may outlive its
    /// expiry here until they go: every reader checks the expiry itself.
    fn forget_expired(&mut self, now: Instant) {
        while let Some((at, _)) = self.buried.front() {
            if *at > now {
                break;
            }
            if let Some((at, digest)) = self.buried.pop_front()
                && self.until.get(&digest) == Some(&at)
            {
                self.until.remove(&digest);
            }
        }
    }
}

impl Tombstones {
    /// The tombstones, the expired ones at the front of the burial order forgotten first.
    fn stones(&self, now: Instant) -> std::sync::MutexGuard<'_, Box<Stones>> {
        let mut stones = self.stones.lock().unwrap_or_else(|p| p.into_inner());
        stones.forget_expired(now);
        stones
    }

    /// Keeps tombstones for `time` from now on.
    pub fn keep_for(&self, time: Duration) {
        *self.kept_for.lock().unwrap_or_else(|p| p.into_inner()) = time;
    }

    /// `id` ended or expired on purpose.
    pub fn bury(&self, id: &SessionId) {
        let time = *self.kept_for.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let digest = digest(id);
        let mut stones = self.stones(now);
        stones.until.insert(digest.clone(), now + time);
        stones.buried.push_back((now + time, digest));
    }

    /// Whether `id` ended or expired on purpose within the time tombstones are kept.
    pub fn holds(&self, id: &SessionId) -> bool {
        let now = Instant::now();
        self.stones(now)
            .until
            .get(&digest(id))
            .is_some_and(|at| *at > now)
    }

    /// One line per live tombstone, for the store's dump.
    pub fn dump(&self) -> String {
        let now = Instant::now();
        self.stones(now)
            .until
            .iter()
            .filter(|(_, at)| **at > now)
            .map(|(digest, _)| format!("ended {digest}\n"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_names_the_session_without_showing_its_id() {
        let id = SessionId([7; 16]);
        assert_eq!(digest(&id), digest(&SessionId([7; 16])));
        assert_ne!(digest(&id), digest(&SessionId([8; 16])));
        assert!(!digest(&id).contains(&hex(&id.0)));
        assert_eq!(digest(&id).len(), 32);
    }

    #[test]
    fn a_tombstone_holds_until_it_expires() {
        let stones = Tombstones::default();
        let id = SessionId([1; 16]);
        assert!(!stones.holds(&id));
        stones.bury(&id);
        assert!(stones.holds(&id));
        assert!(!stones.holds(&SessionId([2; 16])));
        stones.keep_for(Duration::ZERO);
        stones.bury(&SessionId([3; 16]));
        assert!(!stones.holds(&SessionId([3; 16])), "expired at once");
        assert_eq!(stones.dump().lines().count(), 1);
    }

    #[test]
    fn expired_tombstones_are_forgotten_and_a_second_burial_keeps_the_later_time() {
        let stones = Tombstones::default();
        stones.keep_for(Duration::ZERO);
        for byte in 0..100 {
            stones.bury(&SessionId([byte; 16]));
        }
        stones.keep_for(Duration::from_secs(60));
        stones.bury(&SessionId([200; 16]));
        let kept = stones.stones(Instant::now());
        assert_eq!(
            kept.until.len(),
            1,
            "the expired ones are gone, not only hidden"
        );
        assert_eq!(kept.buried.len(), 1);
        drop(kept);

        // Buried again (ended twice: a resume refused after an end): the later expiry holds,
        // and the first burial's expiry does not take it away.
        let twice = SessionId([201; 16]);
        stones.keep_for(Duration::ZERO);
        stones.bury(&twice);
        stones.keep_for(Duration::from_secs(60));
        stones.bury(&twice);
        assert!(stones.holds(&twice));
        assert_eq!(stones.dump().lines().count(), 2);
    }
}
