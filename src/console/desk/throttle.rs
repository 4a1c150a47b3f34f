//! How often a passphrase may be tried at the desk: two typos are free, then each wrong try
//! doubles the wait (2 s, 4 s … up to a minute), so a script in the coordinator's browser or
//! a process that got the cookie cannot guess quickly; the Argon2id cost adds to it.
//!
//! It must never forget failures on its own: only a right passphrase clears them.

use std::time::{Duration, Instant};

/// Wrong tries that cost nothing (typos).
const FREE_TRIES: u32 = 2;
/// The longest wait between tries.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// The count of wrong tries and when the next may be heard.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: u32,
    next: Option<Instant>,
}

impl Throttle {
    /// Seconds (rounded up) before a try is heard at `now`; 0 when it may be tried now.
    pub fn wait(&self, now: Instant) -> u64 {
        self.next.map_or(0, |next| {
            let left = next.saturating_duration_since(now);
            left.as_secs() + u64::from(left.subsec_nanos() > 0)
        })
    }

    /// A wrong try at `now`.
    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.failures > FREE_TRIES {
            let doublings = (self.failures - FREE_TRIES).min(6);
            let wait = Duration::from_secs(1 << doublings).min(MAX_WAIT);
            self.next = Some(now + wait);
        }
    }

    /// The right passphrase: the count starts over.
    pub fn succeeded(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_two_typos_and_a_success_clears_them() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        t.failed(t0);
        t.failed(t0);
        assert_eq!(t.wait(t0), 0);
        t.failed(t0);
        assert_eq!(t.wait(t0), 2);
        t.failed(t0);
        assert_eq!(t.wait(t0), 4);
        for _ in 0..10 {
            t.failed(t0);
        }
        assert_eq!(t.wait(t0), 60);
        assert_eq!(t.wait(t0 + Duration::from_secs(61)), 0);
        t.succeeded();
        t.failed(t0);
        assert_eq!(t.wait(t0), 0);
    }
}
