//! The relay server (`lifeline serve`): axum over tokio, routing ciphertext between visitors
//! and coordinators.
//!
//! It must never read a peer address (no `ConnectInfo`), never read forwarding headers or
//! user agents, never log content, and never hold a key that opens a message.

pub mod connection;
pub mod coordinator;
pub mod http;
pub mod listener;
pub mod metrics;
pub mod nodes;
pub mod pow;
pub mod routing;
pub mod visitor;
pub mod widget;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::Config;
use crate::keyfile::RelayKeys;
use crate::protocol::CloseCode;
use crate::store::redis_tips::RedisTips;
use crate::store::tip_files::TipFiles;
use crate::store::tips::Tips;
use crate::store::{BufferLimits, ChatStore, Store, now_minute};
use connection::RateLimits;

/// The log filter: our own events at `level`, every dependency at `warn` at most, because
/// HTTP and WebSocket libraries log request details (headers) at debug and trace.
pub fn log_filter(level: &str) -> String {
    format!("lifeline={level},warn")
}

/// Everything one relay node shares between its connections.
pub struct Relay {
    pub config: Config,
    pub keys: RelayKeys,
    pub store: Store,
    pub tips: Tips,
    pub live: routing::Live,
    pub seeds: pow::SeedBook,
    pub metrics: metrics::Metrics,
    pub nodes: nodes::Nodes,
    connections: AtomicUsize,
    pub shutting_down: tokio::sync::watch::Sender<bool>,
    /// Set whenever the queue or the roster changes; one task turns bursts of changes into
    /// one broadcast, so a thousand arrivals cost a few broadcasts, not a thousand.
    queue_changed: tokio::sync::Notify,
    /// Whether a change since the last broadcast happened here (and so must be shared with
    /// the other nodes), not only elsewhere.
    changed_here: std::sync::atomic::AtomicBool,
}

/// How long queue changes are gathered before one broadcast.
pub const QUEUE_BROADCAST_WINDOW: Duration = Duration::from_millis(150);

/// Holds one connection slot until dropped.
pub struct ConnectionSlot(Arc<Relay>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Relay {
    pub fn new(
        config: Config,
        keys: RelayKeys,
        store: Store,
    ) -> Result<Arc<Self>, crate::store::StoreError> {
        // Several nodes share one Redis: tips go there, so every node sees every tip.
        let tips = match &store {
            Store::Redis(redis) => Tips::Redis(RedisTips::new(
                redis.connection(),
                config.tips.retention_days,
                config.tips.max_tips,
            )),
            Store::Memory(_) => Tips::Files(TipFiles::open(
                &config.server.data_dir.join("tips"),
                config.tips.max_tips,
            )?),
        };
        let (shutting_down, _) = tokio::sync::watch::channel(false);
        let seeds = pow::SeedBook::new(match &store {
            Store::Redis(redis) => Some(redis.connection()),
            Store::Memory(_) => None,
        });
        Ok(Arc::new(Self {
            nodes: nodes::Nodes::new(&store),
            store,
            tips,
            live: routing::Live::default(),
            seeds,
            metrics: metrics::Metrics::default(),
            connections: AtomicUsize::new(0),
            shutting_down,
            queue_changed: tokio::sync::Notify::new(),
            changed_here: std::sync::atomic::AtomicBool::new(false),
            config,
            keys,
        }))
    }

    /// Takes a connection slot, or `None` at the configured maximum.
    pub fn admit(self: &Arc<Self>) -> Option<ConnectionSlot> {
        let previous = self.connections.fetch_add(1, Ordering::Relaxed);
        if previous >= self.config.limits.max_connections || *self.shutting_down.borrow() {
            self.connections.fetch_sub(1, Ordering::Relaxed);
            metrics::Metrics::inc(&self.metrics.connections_refused);
            return None;
        }
        Some(ConnectionSlot(self.clone()))
    }

    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            frames_per_s: self.config.limits.frames_per_s,
            frames_burst: self.config.limits.frames_burst,
            bytes_per_s: self.config.limits.bytes_per_s,
        }
    }

    pub fn buffer_limits(&self) -> BufferLimits {
        BufferLimits {
            max_frames: self.config.sessions.buffer_max_frames,
            max_bytes: self.config.sessions.buffer_max_bytes,
        }
    }

    /// How often a visitor's activity is written to the store. The session's idle TTL is
    /// counted in minutes, so a write per frame (a Redis round trip each) buys nothing.
    pub fn touch_interval(&self) -> Duration {
        Duration::from_secs((self.config.sessions.idle_ttl_s / 4).clamp(1, 30))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.config.limits.idle_timeout_s)
    }

    /// Proof-of-work difficulty now: one more bit per `visitors_per_step` waiting.
    pub fn difficulty(&self, queued: usize) -> u8 {
        let pow = &self.config.pow;
        let extra = (queued / pow.visitors_per_step).min(u8::MAX as usize) as u8;
        pow.base_difficulty
            .saturating_add(extra)
            .min(pow.max_difficulty)
    }

    /// Marks the queue changed; the broadcaster sends everyone's new view shortly.
    pub async fn broadcast_queue(&self) {
        self.changed_here.store(true, Ordering::Relaxed);
        self.queue_changed.notify_one();
    }

    /// Another node changed the queue or the roster: send our clients the new view.
    pub fn queue_changed_elsewhere(&self) {
        self.queue_changed.notify_one();
    }

    /// Recomputes and sends everyone's view of the queue, now.
    pub async fn publish_queue(&self) {
        let queue = self
            .store
            .queue_view(routing::QUEUE_HEAD)
            .await
            .unwrap_or_default();
        let roster = self.roster().await;
        self.live.with(|live| live.broadcast(&queue, &roster));
    }

    async fn queue_broadcaster(self: Arc<Self>) {
        loop {
            self.queue_changed.notified().await;
            tokio::time::sleep(QUEUE_BROADCAST_WINDOW).await;
            if self.changed_here.swap(false, Ordering::Relaxed) {
                self.share_queue_change().await;
            }
            if self.config.sessions.auto_offer {
                coordinator::auto_offer(&self).await;
            }
            self.publish_queue().await;
        }
    }

    /// Erases idle sessions and old tips; run every minute.
    pub async fn sweep(self: &Arc<Self>) {
        let ttl_minutes = self.config.sessions.idle_ttl_s.div_ceil(60);
        let expired = self
            .store
            .expire(now_minute().saturating_sub(ttl_minutes))
            .await
            .unwrap_or_default();
        if !expired.is_empty() {
            nodes::forget_expired(self, &expired);
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
            .expire(now_minute().saturating_sub(retention))
            .await
            && n > 0
        {
            tracing::info!(count = n, "deleted tips past retention");
        }
    }

    /// Tells every client to reconnect (1001) and refuses new connections.
    pub fn begin_shutdown(&self) {
        self.shutting_down.send_replace(true);
        self.live.with(|live| {
            for outbox in live.visitors.values() {
                outbox.close(CloseCode::GoingAway);
            }
            for c in live.coordinators.values() {
                c.outbox.close(CloseCode::GoingAway);
            }
        });
    }
}

/// Serves until `shutdown` resolves, then tells clients to reconnect and stops. With
/// `server.tls_cert` and `server.tls_key` set, serves HTTPS/WSS with rustls (and HSTS).
pub async fn serve(
    relay: Arc<Relay>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
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
    // Every node must issue and accept the same proof-of-work seeds.
    relay.seeds.sync_key().await;
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
    let broadcaster = tokio::spawn(relay.clone().queue_broadcaster());
    let node_link = tokio::spawn(nodes::run(relay.clone()));
    let heartbeat = tokio::spawn(nodes::heartbeat(relay.clone()));
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
    broadcaster.abort();
    node_link.abort();
    heartbeat.abort();
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] listener::TlsError),
    #[error("server: {0}")]
    Io(std::io::Error),
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

    #[test]
    fn proof_of_work_difficulty_rises_with_the_queue_and_is_capped() {
        let dir = std::env::temp_dir().join(format!("lifeline-difficulty-{}", std::process::id()));
        let mut config = Config::defaults();
        config.server.data_dir = dir.clone();
        config.pow.base_difficulty = 16;
        config.pow.max_difficulty = 20;
        config.pow.visitors_per_step = 50;
        let (keys, _) =
            crate::keyfile::load_relay_keys(&dir, "", true, "127.0.0.1:0").expect("dev keys");
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
