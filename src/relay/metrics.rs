//! Aggregate counters for `/metrics` (Prometheus text format). Counts only: nothing here
//! can tell one visitor from another.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub visitor_connections: AtomicU64,
    pub coordinator_connections: AtomicU64,
    pub sessions_opened: AtomicU64,
    pub sessions_resumed: AtomicU64,
    pub sessions_ended: AtomicU64,
    pub sessions_expired: AtomicU64,
    pub frames_relayed: AtomicU64,
    pub claims: AtomicU64,
    pub transfers: AtomicU64,
    pub tips_received: AtomicU64,
    pub connections_refused: AtomicU64,
    pub protocol_closes: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dec(counter: &AtomicU64) {
        counter.fetch_sub(1, Ordering::Relaxed);
    }

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
}
