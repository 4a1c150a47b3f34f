//! Where `/metrics` is served: on a listener of its own (`server.metrics_listen`, loopback by
//! default), and on the public listener only when `server.metrics_public` says so.
//!
//! The counts tell nobody apart, but they say how busy a help line is and when: that is for
//! the operator. The metrics listener must never serve anything but `/metrics`.
//!
//! What visitors did (sessions, connections, the queue, tips, claims, refusals) is served
//! as it stood at the clock's latest whole minute, taken once in each minute
//! ([`Relay::minute_figures`], by [`take_every_minute`] within a second of the minute's
//! start): every scrape within a minute sees the same figures, so a scraper every 15 s
//! kept for weeks learns a visit's or a tip's time to the minute, as the store and the log
//! keep it, and no finer. The store's health, the days left on certificates and lists, and
//! Redis's persistence settings are read at each scrape: nothing a visitor does moves
//! them, and alerts on them must not wait a minute.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::state::Relay;
use crate::store::ChatStore;

impl Relay {
    /// The figures about visitors as they stood at the start of the clock's current minute:
    /// taken by the first call in the minute (the minute tick's, unless a scrape comes
    /// first), then served unchanged to every scrape until the next minute. The queue and
    /// the stored tips read 0 for the minute if the store did not answer then.
    pub async fn minute_figures(&self) -> String {
        let minute = self.clock.unix_minute();
        let mut taken = self.metrics.minute.lock().await;
        if let Some((at, figures)) = &*taken
            && *at >= minute
        {
            return figures.clone();
        }
        let queued = self.store.queue_len().await.unwrap_or(0);
        let tips = self.tips.count().await.unwrap_or(0);
        let on_duty = self.live.with(|live| live.on_duty());
        let figures = self.metrics.render(queued, on_duty, tips);
        *taken = Some((minute, figures.clone()));
        figures
    }
}

/// How often [`take_every_minute`] looks whether the clock's minute turned: the figures
/// are taken at most this long after the whole minute.
pub const MINUTE_CHECK: Duration = Duration::from_secs(1);

/// Takes the figures about visitors at each whole minute of the relay's clock (within
/// [`MINUTE_CHECK`]), scraped or not, so what a scrape sees never depends on when it came.
pub async fn take_every_minute(relay: Arc<Relay>) {
    let mut tick = tokio::time::interval(MINUTE_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = None;
    loop {
        tick.tick().await;
        let minute = relay.clock.unix_minute();
        if last != Some(minute) {
            relay.minute_figures().await;
            last = Some(minute);
        }
    }
}

/// `GET /metrics`: the counters, the queue, the coordinators on duty and the stored tips
/// as they stood at the latest whole minute; the store's health and the days left, live.
pub async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    let mut body = relay.minute_figures().await;
    // Live: the queue and the tips gauges read 0 when the store cannot say, and whether it
    // answers says nothing about any visitor.
    let reachable = relay.store.queue_len().await.is_ok() && relay.tips.count().await.is_ok();
    body.push_str(&relay.metrics.render_store(reachable));
    if let Some(p) = relay.store.persistence_seen() {
        body.push_str(&p.prometheus());
    }
    body.push_str(&relay.expiry_metrics());
    body.push_str(&relay.tls_metrics());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// The metrics listener's whole surface: `/metrics`, and 404 for every other path.
pub fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(relay)
}
