//! The relay's log of activity, as counts per minute: "3 opened, 2 claimed, 1 ended" says
//! as much to an operator as a line per session, without a line that times one person's
//! steps. The per-session events stay, at `debug`, for debugging on a test machine.
//!
//! Must never log anything about one session: counts only, and nothing when nothing moved.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::metrics::Metrics;
use super::state::Relay;

/// The counters summarised, in the order logged.
fn counters(m: &Metrics) -> [&AtomicU64; 8] {
    [
        &m.sessions_opened,
        &m.sessions_resumed,
        &m.claims,
        &m.transfers,
        &m.sessions_ended,
        &m.sessions_expired,
        &m.tips_received,
        &m.protocol_closes,
    ]
}

/// Logs, once a minute, how many of each event happened in it (nothing if none did).
pub async fn log_every_minute(relay: Arc<Relay>) {
    log_every(relay, Duration::from_secs(60)).await
}

/// The same, once per `period` (tests use a short one).
pub async fn log_every(relay: Arc<Relay>, period: Duration) {
    let read = |m: &Metrics| counters(m).map(|c| c.load(Ordering::Relaxed));
    let mut before = read(&relay.metrics);
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = read(&relay.metrics);
        let [
            opened,
            resumed,
            claimed,
            transferred,
            ended,
            expired,
            tips,
            refused,
        ] = std::array::from_fn(|i| now[i].saturating_sub(before[i]));
        before = now;
        if opened + resumed + claimed + transferred + ended + expired + tips + refused > 0 {
            tracing::info!(
                opened,
                resumed,
                claimed,
                transferred,
                ended,
                expired,
                tips,
                protocol_closes = refused,
                "activity in the last minute"
            );
        }
    }
}
