//! Aggregate counters for `/metrics` (Prometheus text format). Counts only: nothing here
//! can tell one visitor from another.

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

    /// The Prometheus text, with the queue, the coordinators on duty and the stored tips.
    pub fn render(&self, queued: usize, on_duty: usize, tips_stored: usize) -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let rows: [(&str, &str, u64); 16] = [
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
            (
                "lifeline_store_generation_changes_total",
                "counter",
                g(&self.store_generation_changes),
            ),
        ];
        rows.iter()
            .map(|(name, kind, value)| format!("# TYPE {name} {kind}\n{name} {value}\n"))
            .collect()
    }
}
