//! Where `/metrics` is served: on a listener of its own (`server.metrics_listen`, loopback by
//! default), and on the public listener only when `server.metrics_public` says so.
//!
//! The counts tell nobody apart, but they say how busy a help line is and when: that is for
//! the operator. The metrics listener must never serve anything but `/metrics`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::state::Relay;
use crate::store::ChatStore;

/// `GET /metrics`: the counters, the queue, the coordinators on duty and the stored tips.
pub async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    let queued = relay.store.queue_len().await;
    let tips = relay.tips.count().await;
    // The gauges below read 0 when the store cannot say: this one tells an alert apart.
    let reachable = u8::from(queued.is_ok() && tips.is_ok());
    let on_duty = relay.live.with(|live| live.on_duty());
    let mut body = relay
        .metrics
        .render(queued.unwrap_or(0), on_duty, tips.unwrap_or(0));
    body.push_str(&format!(
        "# TYPE lifeline_store_reachable gauge\nlifeline_store_reachable {reachable}\n"
    ));
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
