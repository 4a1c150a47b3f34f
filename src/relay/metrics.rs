//! Aggregate counters for `/metrics` (Prometheus text format). Counts only: nothing here
//! can tell one visitor from another.
//!
//! What visitors did is shown only as it stood at a whole minute ([`Metrics::minute`]): a
//! scraper every few seconds, kept for weeks, would otherwise time each visit's start, end
//! and length and each tip to within its interval. The store's health figures stay live
//! ([`Metrics::render_store`]): they tell nothing about visitors, and alerts need them
//! within seconds.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
/// The counters `/metrics` shows: totals since start, nothing about anyone.
pub struct Metrics {
    /// Visitor connections open now.
    pub visitor_connections: AtomicU64,
    /// Coordinator connections open now.
    pub coordinator_connections: AtomicU64,
    /// Sessions opened with a hello.
    pub sessions_opened: AtomicU64,
    /// Sessions resumed after a reconnect.
    pub sessions_resumed: AtomicU64,
    /// Sessions ended by either side.
    pub sessions_ended: AtomicU64,
    /// Sessions erased by the idle sweep.
    pub sessions_expired: AtomicU64,
    /// Chat frames stored for delivery.
    pub frames_relayed: AtomicU64,
    /// Successful claims.
    pub claims: AtomicU64,
    /// Successful hand-overs.
    pub transfers: AtomicU64,
    /// Sealed tips filed.
    pub tips_received: AtomicU64,
    /// Connections refused at the limit or during shutdown.
    pub connections_refused: AtomicU64,
    /// Connections closed for breaking the protocol.
    pub protocol_closes: AtomicU64,
    /// Times the store was found to have lost or rewound its data (generation changed).
    pub store_generation_changes: AtomicU64,
    /// The figures about visitors ([`Metrics::render`]) taken at the clock's latest whole
    /// minute, and that minute: every scrape until the next one is served these.
    pub(super) minute: tokio::sync::Mutex<Option<(u64, String)>>,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes one from `counter` (a gauge going down).
    pub fn dec(counter: &AtomicU64) {
        counter.fetch_sub(1, Ordering::Relaxed);
    }

    /// The Prometheus text of what visitors and coordinators did, with the queue, the
    /// coordinators on duty and the stored tips: taken once a minute, never served live.
    pub fn render(&self, queued: usize, on_duty: usize, tips_stored: usize) -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let rows: [(&str, &str, u64); 15] = [
            (
                "lifeline_visitor_connections",
                "gauge",
                g(&self.visitor_connections),
            ),
            (
                "lifeline_coordinator_connections",
                "gauge",
                g(&self.coordinator_connections),
            ),
            ("lifeline_queue_length", "gauge", queued as u64),
            ("lifeline_coordinators_on_duty", "gauge", on_duty as u64),
            ("lifeline_tips_stored", "gauge", tips_stored as u64),
            (
                "lifeline_sessions_opened_total",
                "counter",
                g(&self.sessions_opened),
            ),
            (
                "lifeline_sessions_resumed_total",
                "counter",
                g(&self.sessions_resumed),
            ),
            (
                "lifeline_sessions_ended_total",
                "counter",
                g(&self.sessions_ended),
            ),
            (
                "lifeline_sessions_expired_total",
                "counter",
                g(&self.sessions_expired),
            ),
            (
                "lifeline_frames_relayed_total",
                "counter",
                g(&self.frames_relayed),
            ),
            ("lifeline_claims_total", "counter", g(&self.claims)),
            ("lifeline_transfers_total", "counter", g(&self.transfers)),
            (
                "lifeline_tips_received_total",
                "counter",
                g(&self.tips_received),
            ),
            (
                "lifeline_connections_refused_total",
                "counter",
                g(&self.connections_refused),
            ),
            (
                "lifeline_protocol_closes_total",
                "counter",
                g(&self.protocol_closes),
            ),
        ];
        rows.iter()
            .map(|(name, kind, value)| format!("# TYPE {name} {kind}\n{name} {value}\n"))
            .collect()
    }

    /// The Prometheus text of the store's health, served live: whether it answered this
    /// scrape, and how often it was found to have lost its data. Neither moves with what a
    /// visitor does (a store that fails or restarts does so whoever is there), so neither
    /// can time a visit; alerts on them must not wait for the minute.
    pub fn render_store(&self, reachable: bool) -> String {
        format!(
            "# TYPE lifeline_store_generation_changes_total counter\n\
             lifeline_store_generation_changes_total {}\n\
             # TYPE lifeline_store_reachable gauge\nlifeline_store_reachable {}\n",
            self.store_generation_changes.load(Ordering::Relaxed),
            u8::from(reachable),
        )
    }
}
