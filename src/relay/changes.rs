//! Bursts of changes turned into one broadcast per window: a thousand arrivals in the queue,
//! or a flood of cheap tips, cost a few lists sent to every coordinator, not a thousand. A
//! lone change is broadcast at once.
//!
//! Must never carry what changed: only that something did, and whether here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Changes of one thing (the queue and roster, or the tips inbox) since its last broadcast.
#[derive(Default)]
pub struct Changes {
    changed: tokio::sync::Notify,
    /// Whether a change since the last broadcast happened here (and so must be shared with
    /// the other nodes), not only elsewhere.
    here: AtomicBool,
}

impl Changes {
    /// It changed here: broadcast here and tell the other nodes.
    pub fn here(&self) {
        self.here.store(true, Ordering::Relaxed);
        self.changed.notify_one();
    }

    /// Another node changed it: broadcast here only.
    pub fn elsewhere(&self) {
        self.changed.notify_one();
    }

    /// Waits for the next change, then until `window` has passed since the `previous`
    /// broadcast. `true` if a change happened here.
    pub async fn next(&self, previous: Option<tokio::time::Instant>, window: Duration) -> bool {
        self.changed.notified().await;
        if let Some(previous) = previous {
            tokio::time::sleep_until(previous + window).await;
        }
        self.here.swap(false, Ordering::Relaxed)
    }
}
