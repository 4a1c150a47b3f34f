//! The relay server (`lifeline serve`): axum over tokio, routing ciphertext between visitors
//! and coordinators.
//!
//! It must never read a peer address (no `ConnectInfo`), never read forwarding headers or
//! user agents, never log content, and never hold a key that opens a message.
//!
//! # Layout
//!
//! Each module needs only those above it in this list, never one below.
//!
//! - [`connection`]: one WebSocket's plumbing: outbound queue, close codes, rate limits.
//! - [`changes`]: bursts of changes (queue, tips inbox) turned into one broadcast a window.
//! - [`metrics`]: the counters `/metrics` shows.
//! - [`listener`]: plain TCP or TLS accepting.
//! - [`body_deadline`]: every request body read whole within `limits.body_timeout_s`.
//! - [`routing`]: the live connections of this node, and the queue broadcast to them.
//! - [`events`]: what is asked of a visitor's or a coordinator's connection, wherever it is.
//! - [`pow`]: the proof-of-work seed book of HTTP tips.
//! - [`resend`]: which refused frames a connection owes again after a `retry`.
//! - [`revocations`]: the revocation list in use, replaced live; expiry warnings.
//! - [`wake_order`]: counted wakes between nodes, so a lost one is noticed.
//! - [`seen_twice`]: what a heartbeat found, acted on once the next finds it too.
//! - [`nodes`]: this node among the others sharing one Redis: id, link, their roster.
//! - [`state`]: [`Relay`], everything one node shares between its connections.
//! - [`touched`]: when a coordinator's messages last kept each conversation alive.
//! - [`activity`]: the log's per-minute counts of what `metrics` counts.
//! - [`delivery`]: stored frames, a re-keyed handshake and the tips inbox into connections.
//! - [`forward`]: reaching a connection on this node or another; requeueing a conversation.
//! - [`wakes`]: wakes from the message path's scripts, for this node's connections.
//! - [`cluster`]: the shared roster, events from other nodes, the heartbeat.
//! - [`tip_desk`]: the tips inbox as a team works it: take, take over, reply, handle.
//! - [`consent`]: a proposed hand-over, asked of the visitor, accepted or not.
//! - [`erase`]: erasing an ended session for sure (retried, never ignored).
//! - [`generation`]: a store that lost conversations: watching its generation, telling both
//!   sides (4014).
//! - [`grace`]: a dropped coordinator's conversations held for them, resumed or requeued.
//! - [`visitor`]: `/v1/visitor`: challenge, hello or resume, relaying a visitor's frames.
//! - [`coordinator`]: `/v1/coordinator`: sign-in, claims, messages, transfer, tips.
//! - [`widget`]: the widget's static files.
//! - [`metrics_endpoint`]: `/metrics`, on its own listener and, if configured, the public one;
//!   what visitors did as it stood at the latest whole minute, the store's health live.
//! - [`filed_once`]: a tip or follow-up filed with the mark that tells a resend so.
//! - [`noscript`]: `/tip`, the tip pages for a browser with JavaScript off.
//! - [`http`]: the router, security headers, and the HTTP endpoints.
//! - this file: serving, the queue broadcaster and the sweep that wire them together.

pub mod activity;
pub mod arrival;
pub mod body_deadline;
pub mod changes;
pub mod cluster;
pub mod connection;
pub mod consent;
pub mod coordinator;
pub mod delivery;
pub mod erase;
pub mod events;
pub mod filed_once;
pub mod forward;
pub mod generation;
pub mod grace;
pub mod handoff;
pub mod holds;
pub mod http;
pub mod inbox_certificate;
pub mod inbox_previous;
pub mod keys_in_use;
pub mod listener;
pub mod mend;
pub mod metrics;
pub mod metrics_endpoint;
pub mod nodes;
pub mod noscript;
pub mod pow;
pub mod renewal;
pub mod resend;
pub mod revocations;
pub mod routing;
pub mod seen_twice;
pub mod state;
pub mod ticket;
pub mod tip_desk;
pub mod tls_expiry;
pub mod touched;
pub mod visitor;
pub mod wake_order;
pub mod wakes;
pub mod widget;

use std::sync::Arc;
use std::time::Duration;

use crate::store::ChatStore;
pub use state::{ConnectionSlot, Pool, QUEUE_BROADCAST_WINDOW, Relay};

/// The log filter: our own events at `level`, every dependency at `warn` at most, because
/// HTTP and WebSocket libraries log request details (headers) at debug and trace.
pub fn log_filter(level: &str) -> String {
    format!("lifeline={level},warn")
}

/// Turns each burst of queue changes into one broadcast to every client here (and one
/// event to the other nodes, if the change was made here), with auto-offer first.
async fn queue_broadcaster(relay: Arc<Relay>) {
    let mut previous = None;
    loop {
        let here = relay.queue_changes(previous).await;
        previous = Some(tokio::time::Instant::now());
        if here {
            relay.share_queue_change().await;
        }
        if relay.config.sessions.auto_offer {
            coordinator::auto_offer(&relay).await;
        }
        relay.publish_queue().await;
    }
}

/// Turns each burst of tips inbox changes into one list to every coordinator on duty here
/// (and one event to the other nodes, if the change was made here).
async fn tips_broadcaster(relay: Arc<Relay>) {
    let mut previous = None;
    loop {
        let here = relay
            .tip_changes
            .next(previous, state::TIPS_BROADCAST_WINDOW)
            .await;
        previous = Some(tokio::time::Instant::now());
        if here {
            relay.share_tips_change().await;
        }
        delivery::notify_tips(&relay).await;
    }
}

impl Relay {
    /// Erases idle sessions and old tips, frees tips left untouched, dates tip files to the
    /// minute; run every minute.
    pub async fn sweep(self: &Arc<Self>) {
        let ttl_minutes = self.config.sessions.idle_ttl_s.div_ceil(60);
        let expired = self
            .store
            .expire(self.clock.unix_minute().saturating_sub(ttl_minutes))
            .await
            .unwrap_or_default();
        if !expired.is_empty() {
            forward::forget_expired(self, &expired);
            self.share_expired(&expired).await;
            for _ in &expired {
                metrics::Metrics::inc(&self.metrics.sessions_expired);
            }
            tracing::info!(count = expired.len(), "expired idle sessions");
            self.broadcast_queue().await;
        }
        let retention = self.config.tips.retention_days * 24 * 60;
        if let Ok(n) = self
            .tips
            .expire(self.clock.unix_minute().saturating_sub(retention))
            .await
            && n > 0
        {
            tracing::info!(count = n, "deleted tips past retention");
        }
        tip_desk::release_stale_holds(self).await;
        // Last: every tip file written since the last tick, released holds included, and
        // the folder are dated to this minute (store::tips::file_times).
        if let Err(e) = self.tips.restamp(self.clock.unix_minute()).await {
            tracing::warn!(error = %e, "tip files not dated to the minute: tried again next minute");
        }
    }
}

/// Serves until `shutdown` resolves, then tells clients to reconnect and stops. With
/// `server.tls_cert` and `server.tls_key` set, serves HTTPS/WSS with rustls (and HSTS).
pub async fn serve(
    relay: Arc<Relay>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_announced(relay, listener, shutdown, || {}).await
}

/// [`serve`], calling `announce` once every listener is open (the metrics one too): an
/// operator is never told the relay listens when a taken port is about to stop it.
pub async fn serve_announced(
    relay: Arc<Relay>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    announce: impl FnOnce(),
) -> Result<(), ServeError> {
    let server = &relay.config.server;
    let tls = if server.tls_cert.is_empty() {
        None
    } else {
        Some(listener::acceptor(
            std::path::Path::new(&server.tls_cert),
            std::path::Path::new(&server.tls_key),
        )?)
    };
    let metrics_listener = match relay.config.metrics_addr() {
        Ok(Some(addr)) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| ServeError::MetricsListen(addr.to_string(), e))?,
        ),
        Ok(None) => None,
        Err(e) => return Err(ServeError::Config(e)),
    };
    announce();
    // Every node must issue and accept the same proof-of-work seeds.
    relay.seeds.sync_key().await;
    let metrics_server = metrics_listener.map(|l| {
        tokio::spawn(listener::serve_http(
            listener::Plain(l),
            metrics_endpoint::router(relay.clone()),
            std::future::pending(),
        ))
    });
    let sweeper = {
        let relay = relay.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                relay.sweep().await;
            }
        })
    };
    // /metrics' figures about visitors, taken at each whole minute of the clock.
    let minute_figures = tokio::spawn(metrics_endpoint::take_every_minute(relay.clone()));
    let broadcaster = tokio::spawn(queue_broadcaster(relay.clone()));
    let tips_broadcaster = tokio::spawn(tips_broadcaster(relay.clone()));
    let node_link = tokio::spawn(cluster::run(relay.clone()));
    let heartbeat = tokio::spawn(cluster::heartbeat(relay.clone()));
    // Erasure reaching Redis's files (store::redis::rewrite).
    let activity = tokio::spawn(activity::log_every_minute(relay.clone()));
    let disk_erasure = relay
        .store
        .disk_erasure(&relay.config)
        .map(|e| tokio::spawn(e.run()));
    let generation_watch = tokio::spawn(generation::watch(relay.clone()));
    let revocation_watch = tokio::spawn(revocations::watch(relay.clone()));
    let tls_watch = tokio::spawn(tls_expiry::watch(relay.clone()));
    let app = http::router(relay.clone(), tls.is_some());
    let notify = relay.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: telling clients to reconnect");
        notify.begin_shutdown();
        // Give writers a moment to deliver the close frames.
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    match tls {
        Some(acceptor) => {
            listener::serve_http(listener::Tls::new(listener, acceptor), app, shutdown).await
        }
        None => listener::serve_http(listener::Plain(listener), app, shutdown).await,
    }
    sweeper.abort();
    minute_figures.abort();
    broadcaster.abort();
    tips_broadcaster.abort();
    node_link.abort();
    heartbeat.abort();
    activity.abort();
    if let Some(task) = disk_erasure {
        task.abort();
    }
    if let Some(task) = metrics_server {
        task.abort();
    }
    generation_watch.abort();
    revocation_watch.abort();
    tls_watch.abort();
    Ok(())
}

#[derive(Debug, thiserror::Error)]
/// Why the relay could not start serving or stopped.
pub enum ServeError {
    #[error(transparent)]
    /// The TLS certificate or key could not be loaded.
    Tls(#[from] listener::TlsError),
    #[error("server: {0}")]
    /// The socket failed.
    Io(std::io::Error),
    #[error("server.metrics_listen {0}: {1}")]
    /// The metrics listener could not be opened (address, cause).
    MetricsListen(String, std::io::Error),
    #[error(transparent)]
    /// The configuration was not validated before serving.
    Config(#[from] crate::config::ConfigError),
}

// The message already includes the cause; kept out of `source` so `{:#}` prints it once.
impl From<std::io::Error> for ServeError {
    fn from(e: std::io::Error) -> Self {
        ServeError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::config::Config;
    use crate::store::Store;

    #[test]
    fn proof_of_work_difficulty_rises_with_the_queue_and_is_capped() {
        let dir = std::env::temp_dir().join(format!("lifeline-difficulty-{}", std::process::id()));
        let mut config = Config::defaults();
        config.server.data_dir = dir.clone();
        config.pow.base_difficulty = 16;
        config.pow.max_difficulty = 20;
        config.pow.visitors_per_step = 50;
        let (keys, _) =
            crate::keyfile::load_relay_keys(&dir, "", true, "127.0.0.1:0", &Clock::system())
                .expect("dev keys");
        let relay = Relay::new(
            config,
            keys,
            Store::Memory(crate::store::memory::MemoryStore::new()),
        )
        .expect("relay");
        assert_eq!(relay.difficulty(0), 16);
        assert_eq!(relay.difficulty(49), 16);
        assert_eq!(relay.difficulty(50), 17);
        assert_eq!(relay.difficulty(120), 18);
        assert_eq!(relay.difficulty(10_000), 20, "capped");
        let _ = std::fs::remove_dir_all(dir);
    }
}
