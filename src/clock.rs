//! The one source of time for the relay, the store, the console and the key files: Unix
//! seconds and minutes for certificates, expiry and retention, and a monotonic instant.
//!
//! A [`Clock`] is a cheap handle. In production it reads the system clock; a test makes a
//! [`Clock::manual`] one, or shifts any clock forward with [`Clock::advance`], to live a
//! month in seconds (certificate expiry, retention, idle sweeps). The relay's timers, idle
//! timeouts and rate-limit buckets measure short durations on tokio's clock instead, which
//! a test controls with `tokio::time::pause` and `advance`. Nothing may read `SystemTime`
//! elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A handle on the current time; clones share one time line (advancing one advances all).
#[derive(Debug, Clone)]
pub struct Clock {
    base: Base,
    /// How far tests have moved this clock forward, in milliseconds.
    advanced_ms: Arc<AtomicU64>,
}

#[derive(Debug, Clone, Copy)]
enum Base {
    System,
    /// Time stands still at `unix_s` (and `instant`) until advanced.
    Manual {
        unix_s: u64,
        instant: Instant,
    },
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The system clock: what every production path uses.
    pub fn system() -> Self {
        Self {
            base: Base::System,
            advanced_ms: Arc::default(),
        }
    }

    /// A test clock standing at `unix_s` that moves only when advanced.
    pub fn manual(unix_s: u64) -> Self {
        Self {
            base: Base::Manual {
                unix_s,
                instant: Instant::now(),
            },
            advanced_ms: Arc::default(),
        }
    }

    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.advanced_ms.fetch_add(ms, Ordering::Relaxed);
    }

    fn advanced(&self) -> Duration {
        Duration::from_millis(self.advanced_ms.load(Ordering::Relaxed))
    }

    /// Seconds since the Unix epoch (0 if the system clock is before it).
    pub fn unix_s(&self) -> u64 {
        let base = match self.base {
            Base::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            Base::Manual { unix_s, .. } => unix_s,
        };
        base.saturating_add(self.advanced().as_secs())
    }

    /// Unix time rounded down to the minute: the only precision the store ever sees.
    pub fn unix_minute(&self) -> u64 {
        self.unix_s() / 60
    }

    /// A monotonic instant, for measuring how long something took or has been idle.
    pub fn instant(&self) -> Instant {
        match self.base {
            Base::System => Instant::now() + self.advanced(),
            Base::Manual { instant, .. } => instant + self.advanced(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_advanced_and_clones_share_it() {
        let clock = Clock::manual(1_000_000);
        let start = clock.instant();
        let shared = clock.clone();
        assert_eq!(clock.unix_s(), 1_000_000);
        assert_eq!(clock.unix_minute(), 16_666);
        shared.advance(Duration::from_secs(40 * 86_400));
        assert_eq!(clock.unix_s(), 1_000_000 + 40 * 86_400);
        assert_eq!(clock.instant() - start, Duration::from_secs(40 * 86_400));
    }

    #[test]
    fn the_system_clock_follows_the_system_and_can_be_shifted_forward() {
        let clock = Clock::system();
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let now = clock.unix_s();
        assert!(now >= before && now <= before + 5, "{now} vs {before}");
        clock.advance(Duration::from_secs(3600));
        assert!(clock.unix_s() >= before + 3600);
    }
}
