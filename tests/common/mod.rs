//! Test harness: a real relay on a loopback port with its own temporary data folder and
//! development keys, and helpers to make coordinators and visitors against it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::reach::Reach;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::clock::Clock;
use lifeline::config::Config;
use lifeline::crypto::keys::{DhSecret, SigningKey};
use lifeline::keyfile::{self, CoordinatorFiles, KeyPaths};
use lifeline::protocol::frames::ConversationKind;
use lifeline::protocol::{SessionId, TipId};
use lifeline::relay::Relay;

mod clocked;
pub mod redis_disk;
use tokio::sync::oneshot;

mod requeued;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use requeued::{claim_answer, claim_requeued};
mod raw_tips;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use raw_tips::{SolvedSeed, post_status, smallest_sealed, solved_seed};
mod tips;
mod tombstones;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use tips::{FirstTip, file_first_tip, seal_first_tip};
mod cut_off;
mod new_keys;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use cut_off::cut_off;
mod redis_relay;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use redis_relay::relay_on;
mod stored;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use stored::queued_session;
mod visitors;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use new_keys::{for_new_keys, sign_in_refused};
#[allow(unused_imports)] // each test crate uses a different part of common
pub use tombstones::without_tombstones;
#[allow(unused_imports)] // each test crate uses a different part of common
pub use visitors::chat_visitor_at;

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
    /// `redis-cli` against this server: its answer, trimmed (a test's look at raw keys).
    #[allow(dead_code)] // each test crate uses a different part of common
    pub fn cli(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli is installed with redis-server");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// With `persistent`, an append-only file fsynced on every write, as production runs.
    pub fn start_with(persistent: bool) -> Self {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .expect("free port")
                .local_addr()
                .expect("addr")
                .port();
            let server = Self::spawn(port, persistent, vec![]);
            // Taken meanwhile by another test's server: ours exited; another port.
            if server.owns_its_port() {
                return server;
            }
        }
        panic!("no free port for redis-server in five tries")
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

    /// Whether the server answering on its port is this one: a port picked free can be taken
    /// by another test's server before ours binds it, and ours then exits while theirs answers.
    fn owns_its_port(&self) -> bool {
        let Some(pid) = self.pid() else {
            return false;
        };
        let ours = format!("process_id:{pid}");
        self.cli(&["info", "server"])
            .lines()
            .any(|l| l.trim() == ours)
    }

    /// The server's process id (to freeze it with SIGSTOP), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
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
        // Ports picked free may be taken by another test before our servers bind them (their
        // cluster bus ports too): then the whole cluster is started again on other ports.
        let mut attempts = 0;
        let (ports, nodes) = loop {
            attempts += 1;
            let ports: Vec<u16> = (0..3).map(|_| free_port_with_bus()).collect();
            let nodes: Vec<RedisServer> = ports
                .iter()
                .map(|port| {
                    let extra = ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"];
                    RedisServer::spawn(*port, false, extra.map(String::from).to_vec())
                })
                .collect();
            let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
            let created = nodes.iter().all(RedisServer::owns_its_port)
                && std::process::Command::new("redis-cli")
                    .args(["--cluster", "create"])
                    .args(&addresses)
                    .args(["--cluster-replicas", "0", "--cluster-yes"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .expect("redis-cli is installed with redis-server")
                    .success();
            if created {
                break (ports, nodes);
            }
            assert!(
                attempts < 5,
                "redis-cli --cluster create failed {attempts} times"
            );
        };
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

/// Waits (a few seconds at most, as a deployment waits for `/readyz`) until a node on Redis
/// is subscribed to its channels, so a test's first request finds it ready; a test that
/// keeps it from subscribing goes on after the wait.
pub async fn until_listening(relay: &Relay) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !relay.nodes.listening() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
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
    // Tests read /metrics where they reach everything else, and run many relays at once.
    config.server.metrics_listen = String::new();
    config.server.metrics_public = true;
    // Keep tests quick: low proof-of-work, generous per-connection limits.
    config.pow.base_difficulty = 8;
    config.pow.max_difficulty = 10;
    // Suites that cut a coordinator off expect today's prompt requeue; the resume suite
    // (tests/coordinator_resume.rs) sets its own grace.
    config.sessions.coordinator_grace_s = 0;
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
        Self::start_on_clock(data_dir, listen, Clock::system(), adjust).await
    }

    /// [`Self::start_at`], reading the time from `clock` (on the store under test, unlike
    /// [`Self::start_clocked`]).
    pub async fn start_on_clock(
        data_dir: PathBuf,
        listen: &str,
        clock: Clock,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(&data_dir);
        let redis = (store_under_test() == "redis").then(RedisServer::start);
        if let Some(redis) = &redis {
            config.store.kind = lifeline::config::StoreKind::Redis;
            config.store.redis_url = redis.url.clone();
        }
        adjust(&mut config);
        // Kept only if the relay uses it: a test that picked the memory store (or a Redis of
        // its own) must not be moved to this one by `restart`.
        let redis = redis.filter(|r| {
            config.store.kind == lifeline::config::StoreKind::Redis
                && config.store.redis_url == r.url
        });
        let mut relay = Self::launch(config, data_dir, listen, clock).await;
        relay.redis = redis;
        relay
    }

    /// Loads the keys `config` names from `data_dir` (development keys unless it names an
    /// organisation), opens its store and serves on `listen`, reading the time from `clock`:
    /// the start-up every test relay shares. No Redis is started here.
    pub(crate) async fn launch(
        config: Config,
        data_dir: PathBuf,
        listen: &str,
        clock: Clock,
    ) -> Self {
        let organisation = config.keys.organisation_public.clone();
        let (keys, _) =
            keyfile::load_relay_keys(&data_dir, &organisation, true, "127.0.0.1:0", &clock)
                .expect("relay keys");
        let store = lifeline::store::Store::open(&config).await.expect("store");
        let relay = Relay::with_clock(config, keys, store, clock).expect("relay");
        let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(lifeline::relay::serve(relay.clone(), listener, async {
            let _ = rx.await;
        }));
        until_listening(&relay).await;
        Self {
            redis: None,
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
        // The same store as before: memory stays memory, whatever LIFELINE_TEST_STORE says.
        let store = self.relay.config.store.clone();
        let dir = self.stop().await;
        let mut relay = Self::start_at(data_dir, &addr, |c| c.store = store).await;
        relay.redis = redis;
        relay._dir = dir;
        relay
    }

    /// Everything the store holds about visitors: its dump without the relay nodes' own
    /// records (presence, which names coordinators, the proof-of-work key, the store's
    /// generation, the organisation's public revocation list, and each coordinator serial's
    /// public key in use).
    pub async fn visitor_state(&self) -> String {
        use lifeline::store::ChatStore;
        self.relay
            .store
            .dump()
            .await
            .lines()
            .filter(|line| {
                !line.starts_with("ll:node")
                    && !line.starts_with("ll:pow:key")
                    && !line.starts_with("ll:{generation}")
                    && !line.starts_with("ll:revocations")
                    && !line.starts_with("ll:coordinator_keys")
            })
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// Everything the relay holds about tips: the tip files, or (on Redis) the tip keys.
    pub async fn tip_state(&self) -> String {
        use lifeline::store::ChatStore;
        if self.relay.config.store.kind == lifeline::config::StoreKind::Redis {
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

    /// How many tips the relay holds (files, or tip records in Redis).
    pub async fn tips_held(&self) -> usize {
        if self.relay.config.store.kind == lifeline::config::StoreKind::Redis {
            return self
                .tip_state()
                .await
                .lines()
                .filter(|l| l.split(' ').next().is_some_and(|k| k.ends_with(":record")))
                .count();
        }
        std::fs::read_dir(self.data_dir.join("tips"))
            .expect("tip folder")
            .count()
    }

    /// Whether the store still holds anything of `session`.
    pub async fn has_session(&self, session: &SessionId) -> bool {
        use lifeline::store::ChatStore;
        self.relay
            .store
            .get(session)
            .await
            .expect("store")
            .is_some()
    }

    /// Waits (at most 5 s) until `session` is erased: the visitor is told it ended before
    /// the erasure (so a frame sent meanwhile is answered `ended`), so a test that heard the
    /// end must wait for the erasure, not assume it.
    #[allow(dead_code)] // each test crate uses a different part of common
    pub async fn until_erased(&self, session: &SessionId) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.has_session(session).await {
            assert!(tokio::time::Instant::now() < deadline, "never erased");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
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
        CoordinatorFiles::issue(&self.org_key(), serial, alias, 1, &self.relay.clock)
            .expect("certificate")
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
            Reach::default(),
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
            Reach::with_headers(headers),
        )
        .await
        .expect("visitor connects")
    }
}

/// Waits until the coordinator sees `session` in the queue, claims it, and both sides finish
/// the handshake. Returns the alias the visitor verified.
pub async fn claim_and_connect(c: &mut CoordinatorClient, v: &mut VisitorClient) -> String {
    let session = v.session;
    let listed = |e: &CoordinatorEvent| matches!(e, CoordinatorEvent::Queue(items) if items.iter().any(|i| i.session == session));
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

pub async fn next_text_coordinator(c: &mut CoordinatorClient) -> (SessionId, String) {
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::Text { .. }))
        .await
        .expect("coordinator text")
    {
        CoordinatorEvent::Text { session, text } => (session, text),
        _ => unreachable!(),
    }
}

/// What the relay logged in this test binary, captured at the most verbose level the relay
/// allows (`lifeline::relay::log_filter("trace")`: our events at trace, dependencies at
/// warn). One process-wide subscriber, installed by the first call; every later call returns
/// the same buffer, so several tests of one binary may share it.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn capture_logs() -> CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                lifeline::relay::log_filter("trace"),
            ))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        logs
    })
    .clone()
}

/// The relay's `/metrics` value for `name` (a counter or gauge).
pub async fn metric(relay: &TestRelay, name: &str) -> u64 {
    let (status, body) =
        lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/metrics", None, &[])
            .await
            .expect("metrics");
    assert_eq!(status, 200);
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in\n{body}"))
}

/// Waits, when the wall clock's hour turns within 30 s, until it has turned: a test of a
/// budget counted per clock hour (the no-script tips') must run its steps inside one hour,
/// or the budget it spent is new again halfway.
pub async fn clear_of_the_hour_turn() {
    let into_the_hour = Clock::system().unix_s() % 3600;
    if into_the_hour >= 3600 - 30 {
        tokio::time::sleep(Duration::from_secs(3600 - into_the_hour + 1)).await;
    }
}

/// Moves `relay`'s clock to the start of its next minute: what `/metrics` waits for before
/// it shows what visitors did (its figures are taken once a minute, at the whole minute).
pub fn next_minute(relay: &TestRelay) {
    let clock = &relay.relay.clock;
    clock.advance(Duration::from_secs(60 - clock.unix_s() % 60));
}

/// [`metric`] once the minute has turned ([`next_minute`]): a figure about visitors as it
/// stands after what the test just did.
pub async fn metric_next_minute(relay: &TestRelay, name: &str) -> u64 {
    next_minute(relay);
    metric(relay, name).await
}

/// Every IP address in `text`: IPv4 dotted quads (alone or as `a.b.c.d:port`) and IPv6
/// literals (bare, bracketed, with a port), wherever they stand. Version numbers with three
/// or five parts, timestamps (`10:32:55.123Z`) and Rust paths (`lifeline::relay`) are not
/// addresses.
pub fn find_addresses(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    // Runs of the characters an address literal is made of (and letters, so that a run
    // like `lifeline::relay` or `T10:32:55Z` stays whole and fails to parse).
    let runs = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == ':' || c == '.'));
    for run in runs.filter(|r| !r.is_empty()) {
        let trimmed = run.trim_matches('.');
        // IPv6: the whole run, or the run without a trailing `:port`.
        let bare = trimmed.trim_end_matches(':');
        let candidates = [Some(bare), bare.rsplit_once(':').map(|(a, _)| a)];
        let v6 = candidates.iter().flatten().any(|c| {
            c.contains(':')
                && c.chars().any(|ch| ch.is_ascii_hexdigit())
                && c.parse::<std::net::Ipv6Addr>().is_ok()
        });
        // IPv4: any colon-separated piece that is exactly four dot-separated numbers.
        let v4 = trimmed.split(':').any(|piece| {
            let parts: Vec<&str> = piece.split('.').collect();
            parts.len() == 4
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
        });
        if v4 || v6 {
            found.push(run.to_owned());
        }
    }
    found
}

/// One message each way on an established chat: the containment check of the abuse and
/// fault suites ("a chat alongside still completes").
pub async fn round_trip(c: &mut CoordinatorClient, v: &mut VisitorClient, tag: &str) {
    let up = format!("{tag}: visitor to coordinator");
    let down = format!("{tag}: coordinator to visitor");
    exchange(c, v, &up, &down).await;
}

/// The visitor says `up`, the coordinator receives it; the coordinator says `down`, the
/// visitor receives it.
pub async fn exchange(c: &mut CoordinatorClient, v: &mut VisitorClient, up: &str, down: &str) {
    v.send_text(up).await.expect("visitor sends");
    let (session, text) = next_text_coordinator(c).await;
    assert_eq!((session, text.as_str()), (v.session, up));
    c.send_text(v.session, down)
        .await
        .expect("coordinator sends");
    assert_eq!(next_text_visitor(v).await, down);
}

/// Whether `session` waits in the queue.
pub async fn is_queued(relay: &TestRelay, session: &SessionId) -> bool {
    relay
        .relay
        .store
        .queue()
        .await
        .expect("store")
        .iter()
        .any(|s| s.id == *session)
}

/// The coordinator asks for the tip list and gets a non-empty one.
pub async fn listed_tips(c: &mut CoordinatorClient) -> Vec<lifeline::protocol::frames::TipSummary> {
    c.list_tips().await.expect("list_tips");
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if !i.is_empty()))
        .await
        .expect("tips")
    {
        CoordinatorEvent::Tips(items) => items,
        _ => unreachable!(),
    }
}

/// Polls `done` every 20 ms until it holds; fails the test after `within`.
pub async fn eventually(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A tip, follow-up or reply with text only (no reply key, no category).
pub fn plain_tip(text: &str) -> lifeline::crypto::sealed_tip::TipMessage {
    lifeline::crypto::sealed_tip::TipMessage {
        reply_key: None,
        category: None,
        text: text.into(),
    }
}

/// The coordinator opens tip `id`: its sealed body and sealed follow-ups, once the relay has
/// `followups` of them.
pub async fn open_tip(
    c: &mut CoordinatorClient,
    id: TipId,
    followups: usize,
) -> (Vec<u8>, Vec<Vec<u8>>) {
    c.open_tip(id).await.expect("open_tip");
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::Tip { id: i, followups: f, .. } if *i == id && f.len() == followups))
        .await
        .expect("tip")
    {
        CoordinatorEvent::Tip {
            sealed, followups, ..
        } => (sealed, followups),
        _ => unreachable!(),
    }
}

/// The coordinator answers tip `id` (sealed to `reply_key`, found inside the tip) and waits
/// until the relay lists the reply.
pub async fn reply_to_tip(
    relay: &TestRelay,
    c: &mut CoordinatorClient,
    id: TipId,
    reply_key: &lifeline::crypto::keys::DhPublicKey,
    text: &str,
) {
    let org = relay.relay.keys.organisation.fingerprint();
    let sealed = lifeline::crypto::sealed_tip::seal_reply(
        &org,
        &relay.inbox_key(),
        reply_key,
        &plain_tip(text),
        &mut rand_core::OsRng,
    )
    .expect("seal reply");
    c.reply_tip(id, sealed).await.expect("reply_tip");
    c.wait_for(
        |e| matches!(e, CoordinatorEvent::Tips(i) if i.iter().any(|t| t.id == id && t.replies == 1)),
    )
    .await
    .expect("reply listed");
}

/// The tipster comes back with the code as displayed, reads the one reply there is (its
/// text is returned, with the keys the code derives) and answers with a follow-up.
pub async fn read_reply_and_follow_up(
    relay: &TestRelay,
    tipster: &lifeline::client::tipster::Tipster,
    code: &lifeline::crypto::receipt::ReceiptCode,
    followup: &str,
) -> (String, lifeline::crypto::receipt::ReceiptKeys) {
    use lifeline::crypto::sealed_tip;
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;
    let again = lifeline::crypto::receipt::ReceiptCode::parse(&code.display())
        .expect("typed code")
        .derive(&org);
    let replies = tipster.replies(again.lookup_id).await.expect("replies");
    assert_eq!(replies.len(), 1);
    let reply = sealed_tip::open_reply(&org, &inbox, &again.tipster_key, &replies[0])
        .expect("reply opens")
        .text;
    let sealed = sealed_tip::seal_followup(
        &org,
        &inbox,
        &again.tipster_key,
        &plain_tip(followup),
        &mut rand_core::OsRng,
    )
    .expect("seal follow-up");
    tipster
        .follow_up(again.lookup_id, sealed)
        .await
        .expect("follow-up filed");
    (reply, again)
}

/// A raw visitor connection (no client logic) that has read its challenge: the wire, the
/// session id, the proof-of-work seed and difficulty.
pub async fn challenged(
    relay: &TestRelay,
) -> (lifeline::client::wire::Wire, SessionId, [u8; 16], u8) {
    use lifeline::protocol::RelayFrame;
    let mut wire = lifeline::client::wire::Wire::connect(&relay.visitor_url(), &[])
        .await
        .unwrap();
    let RelayFrame::Challenge {
        session,
        seed,
        difficulty,
    } = wire.recv().await.unwrap()
    else {
        panic!("no challenge")
    };
    (wire, session, seed.0, difficulty)
}

/// Reads until the relay closes; returns the close code.
pub async fn close_code(wire: &mut lifeline::client::wire::Wire) -> Option<u16> {
    loop {
        match wire.recv().await {
            Ok(_) => continue,
            Err(e) => {
                eprintln!("closed: {e}");
                return e.close_code();
            }
        }
    }
}

/// A valid `hello` answering that challenge (its handshake is 32 placeholder bytes).
pub fn hello(
    session: &SessionId,
    seed: &[u8; 16],
    difficulty: u8,
) -> lifeline::protocol::VisitorFrame {
    let nonce = lifeline::crypto::proof_of_work::solve(seed, &session.0, difficulty);
    lifeline::protocol::VisitorFrame::Hello {
        pow_nonce: nonce,
        kind: ConversationKind::Chat,
        lang: None,
        handshake: lifeline::protocol::Bytes(vec![9; 32]),
    }
}

/// How many coordinators `/v1/config` says are on duty, as a visitor's widget reads it.
pub async fn on_duty_count(relay: &TestRelay) -> Option<u64> {
    let (_, body) =
        lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/v1/config", None, &[])
            .await
            .expect("config");
    let config: serde_json::Value = serde_json::from_str(&body).expect("json");
    config["on_duty"].as_u64()
}

/// Waits (5 s at most) until `/v1/config` counts `n` coordinators on duty: a duty frame is
/// counted once the relay has it, a moment after the client or page shows it.
pub async fn until_on_duty_count(relay: &TestRelay, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let count = on_duty_count(relay).await;
        if count == Some(n) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "on duty: {count:?}, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
