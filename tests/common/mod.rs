//! Test harness: a real relay on a loopback port with its own temporary data folder and
//! development keys, and helpers to make coordinators and visitors against it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::config::Config;
use lifeline::crypto::Role;
use lifeline::crypto::certificate::CertificateBody;
use lifeline::crypto::keys::{DhSecret, SigningKey};
use lifeline::keyfile::{self, CoordinatorFiles, KeyPaths};
use lifeline::protocol::frames::ConversationKind;
use lifeline::relay::Relay;
use tokio::sync::oneshot;

/// A `redis-server` of the test's own on a free loopback port, stopped on drop. Never the
/// shared default port.
pub struct RedisServer {
    child: Option<std::process::Child>,
    port: u16,
    persistent: bool,
    /// Extra `redis-server` arguments (Cluster mode).
    extra: Vec<String>,
    pub url: String,
    dir: tempfile::TempDir,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// With `persistent`, an append-only file fsynced on every write, as production runs.
    pub fn start_with(persistent: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        Self::spawn(port, persistent, vec![])
    }

    fn spawn(port: u16, persistent: bool, extra: Vec<String>) -> Self {
        let dir = tempfile::tempdir().expect("redis dir");
        let mut server = Self {
            child: None,
            port,
            persistent,
            extra,
            url: format!("redis://127.0.0.1:{port}/0"),
            dir,
        };
        server.restart();
        server
    }

    /// Starts (again) on the same port and folder, so persisted data comes back.
    pub fn restart(&mut self) {
        let aof = if self.persistent {
            ["--appendonly", "yes", "--appendfsync", "always"]
        } else {
            ["--appendonly", "no", "--appendfsync", "no"]
        };
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(aof)
            .args(&self.extra)
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (.ci/test installs it)");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server at once (no shutdown save), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A three-master Redis Cluster of the test's own on loopback, stopped on drop.
pub struct RedisCluster {
    _nodes: Vec<RedisServer>,
    /// The seed nodes, comma-separated, as `store.redis_url` takes them.
    pub url: String,
}

impl RedisCluster {
    pub fn start() -> Self {
        let ports: Vec<u16> = (0..3).map(|_| free_port_with_bus()).collect();
        let nodes: Vec<RedisServer> = ports
            .iter()
            .map(|port| {
                let extra = ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"];
                RedisServer::spawn(*port, false, extra.map(String::from).to_vec())
            })
            .collect();
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = std::process::Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("redis-cli is installed with redis-server");
        assert!(created.success(), "redis-cli --cluster create failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for port in &ports {
            loop {
                let info = std::process::Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .expect("redis-cli");
                if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "cluster not ready");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let url = ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        Self { _nodes: nodes, url }
    }
}

/// A free port whose Cluster bus port (+10000) is free too.
fn free_port_with_bus() -> u16 {
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        let port = listener.local_addr().expect("addr").port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// Which store the suite runs against: `LIFELINE_TEST_STORE=redis` runs the same tests on
/// Redis (each relay with its own server), anything else on the memory store.
pub fn store_under_test() -> &'static str {
    match std::env::var("LIFELINE_TEST_STORE").as_deref() {
        Ok("redis") => "redis",
        _ => "memory",
    }
}

pub struct TestRelay {
    pub redis: Option<RedisServer>,
    pub addr: SocketAddr,
    pub relay: Arc<Relay>,
    pub data_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), lifeline::relay::ServeError>>,
}

pub fn test_config(data_dir: &std::path::Path) -> Config {
    let mut config = Config::defaults();
    config.server.data_dir = data_dir.to_path_buf();
    config.server.listen = "127.0.0.1:0".into();
    // Keep tests quick: low proof-of-work, generous per-connection limits.
    config.pow.base_difficulty = 8;
    config.pow.max_difficulty = 10;
    config
}

impl TestRelay {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut relay = Self::start_in(dir.path().to_path_buf(), adjust).await;
        relay._dir = Some(dir);
        relay
    }

    /// Starts a relay on an existing data folder (a restart).
    pub async fn start_in(data_dir: PathBuf, adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_at(data_dir, "127.0.0.1:0", adjust).await
    }

    /// Starts a relay on an existing data folder, listening on `listen`.
    pub async fn start_at(
        data_dir: PathBuf,
        listen: &str,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(&data_dir);
        let redis = (store_under_test() == "redis").then(RedisServer::start);
        if let Some(redis) = &redis {
            config.store.kind = "redis".into();
            config.store.redis_url = redis.url.clone();
        }
        adjust(&mut config);
        let (keys, _) =
            keyfile::load_relay_keys(&data_dir, "", true, "127.0.0.1:0").expect("dev keys");
        let store = lifeline::store::Store::open(&config).await.expect("store");
        let relay = Relay::new(config, keys, store).expect("relay");
        let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(lifeline::relay::serve(relay.clone(), listener, async {
            let _ = rx.await;
        }));
        Self {
            redis,
            addr,
            relay,
            data_dir,
            _dir: None,
            shutdown: Some(tx),
            task,
        }
    }

    /// Graceful shutdown; returns once the server stopped.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
        self._dir.take()
    }

    /// Stops and starts again on the same address, data folder and Redis (if any).
    pub async fn restart(mut self) -> Self {
        let redis = self.redis.take();
        let data_dir = self.data_dir.clone();
        let addr = self.addr.to_string();
        let dir = self.stop().await;
        let url = redis.as_ref().map(|r| r.url.clone());
        let mut relay = Self::start_at(data_dir, &addr, |c| {
            if let Some(url) = url {
                c.store.kind = "redis".into();
                c.store.redis_url = url;
            }
        })
        .await;
        relay.redis = redis;
        relay._dir = dir;
        relay
    }

    /// Everything the store holds about visitors: its dump without the relay nodes' own
    /// presence records (which name coordinators, never visitors).
    pub async fn visitor_state(&self) -> String {
        use lifeline::store::ChatStore;
        self.relay
            .store
            .dump()
            .await
            .lines()
            .filter(|line| !line.starts_with("ll:node"))
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// Everything the relay holds about tips: the tip files, or (on Redis) the tip keys.
    pub async fn tip_state(&self) -> String {
        use lifeline::store::ChatStore;
        if self.relay.config.store.kind == "redis" {
            return self
                .relay
                .store
                .dump()
                .await
                .lines()
                .filter(|line| line.starts_with("ll:tip"))
                .map(|line| format!("{line}\n"))
                .collect();
        }
        std::fs::read_dir(self.data_dir.join("tips"))
            .expect("tip folder")
            .map(|e| std::fs::read_to_string(e.expect("tip file").path()).expect("tip"))
            .collect()
    }

    /// Whether the store still holds anything of `session`.
    pub async fn has_session(&self, session: &[u8; 16]) -> bool {
        use lifeline::store::ChatStore;
        self.relay
            .store
            .get(session)
            .await
            .expect("store")
            .is_some()
    }

    pub fn visitor_url(&self) -> String {
        format!("ws://{}/v1/visitor", self.addr)
    }

    pub fn coordinator_url(&self) -> String {
        format!("ws://{}/v1/coordinator", self.addr)
    }

    pub fn paths(&self) -> KeyPaths {
        KeyPaths::new(&self.data_dir)
    }

    pub fn org_key(&self) -> SigningKey {
        keyfile::read_signing_key(&self.paths().organisation_key()).expect("org key")
    }

    pub fn inbox_key(&self) -> DhSecret {
        keyfile::read_dh_secret(&self.paths().inbox_key()).expect("inbox key")
    }

    /// A coordinator certified by this relay's organisation key.
    pub fn coordinator_keys(&self, serial: u64, alias: &str) -> CoordinatorFiles {
        let now = keyfile::now();
        let signing = SigningKey::generate();
        let dh = DhSecret::generate();
        let certificate = CertificateBody {
            role: Role::Coordinator,
            serial,
            not_before: now - 60,
            not_after: now + 86_400,
            x25519_public: dh.public(),
            ed25519_public: signing.public(),
            alias: alias.into(),
        }
        .sign(&self.org_key())
        .expect("certificate");
        CoordinatorFiles {
            signing,
            dh,
            certificate,
        }
    }

    pub async fn coordinator(&self, serial: u64, alias: &str) -> CoordinatorClient {
        let keys = self.coordinator_keys(serial, alias);
        CoordinatorClient::connect(
            &self.coordinator_url(),
            self.relay.keys.organisation.fingerprint(),
            keys,
        )
        .await
        .expect("coordinator connects")
    }

    /// A coordinator on duty with room for `capacity` conversations.
    pub async fn on_duty(&self, serial: u64, alias: &str, capacity: u8) -> CoordinatorClient {
        let mut c = self.coordinator(serial, alias).await;
        c.duty(true, capacity, &["en", "fr"]).await.expect("duty");
        c.wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
            .await
            .expect("queue list");
        c
    }

    pub async fn visitor(&self) -> VisitorClient {
        self.visitor_with(&[]).await
    }

    pub async fn visitor_speaking(&self, kind: ConversationKind, lang: &str) -> VisitorClient {
        VisitorClient::connect(
            &self.visitor_url(),
            self.relay.keys.organisation,
            kind,
            Some(lang),
            &[],
        )
        .await
        .expect("visitor connects")
    }

    pub async fn visitor_with(&self, headers: &[(&str, &str)]) -> VisitorClient {
        VisitorClient::connect(
            &self.visitor_url(),
            self.relay.keys.organisation,
            ConversationKind::Chat,
            Some("en"),
            headers,
        )
        .await
        .expect("visitor connects")
    }
}

/// Waits until the coordinator sees `session` in the queue, claims it, and both sides finish
/// the handshake. Returns the alias the visitor verified.
pub async fn claim_and_connect(c: &mut CoordinatorClient, v: &mut VisitorClient) -> String {
    let session = v.session;
    let listed = |e: &CoordinatorEvent| matches!(e, CoordinatorEvent::Queue(items) if items.iter().any(|i| i.session.0 == session));
    if !c.conversations.contains_key(&session) {
        // The queue list may have arrived already; claiming is idempotent for the test.
        let _ = tokio::time::timeout(Duration::from_millis(500), c.wait_for(listed)).await;
        c.claim(session).await.expect("claim");
        c.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { session: s, .. } if *s == session))
            .await
            .expect("claimed");
    }
    connected_to(v).await
}

/// Opens tip `id` and waits for it: (id, sealed tip, sealed follow-ups).
pub async fn open_tip(
    c: &mut CoordinatorClient,
    id: [u8; 16],
) -> ([u8; 16], Vec<u8>, Vec<Vec<u8>>) {
    c.open_tip(id).await.expect("open tip");
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::Tip { .. }))
        .await
        .expect("tip")
    {
        CoordinatorEvent::Tip {
            id,
            sealed,
            followups,
        } => (id, sealed, followups),
        _ => unreachable!(),
    }
}

/// Waits for a hand-over to reach `c`; returns the alias it came from.
pub async fn handed_over(c: &mut CoordinatorClient) -> Option<String> {
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
        .await
        .expect("hand-over")
    {
        CoordinatorEvent::Claimed {
            transferred_from, ..
        } => transferred_from,
        _ => unreachable!(),
    }
}

/// Waits for the visitor's handshake; returns the coordinator's verified alias.
pub async fn connected_to(v: &mut VisitorClient) -> String {
    match v
        .wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
        .await
        .expect("visitor handshake")
    {
        VisitorEvent::Connected(alias) => alias,
        _ => unreachable!(),
    }
}

pub async fn next_text_visitor(v: &mut VisitorClient) -> String {
    match v
        .wait_for(|e| matches!(e, VisitorEvent::Text(_)))
        .await
        .expect("visitor text")
    {
        VisitorEvent::Text(t) => t,
        _ => unreachable!(),
    }
}

pub async fn next_text_coordinator(c: &mut CoordinatorClient) -> ([u8; 16], String) {
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::Text { .. }))
        .await
        .expect("coordinator text")
    {
        CoordinatorEvent::Text { session, text } => (session, text),
        _ => unreachable!(),
    }
}
