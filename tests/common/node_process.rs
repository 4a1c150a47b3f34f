//! A relay node as its own `lifeline serve` process on a test's Redis, so it can be killed
//! outright (SIGKILL: no close frame, no hand-over), as a crashed node is. Included with
//! `#[path]` next to `mod common` by the suites that kill nodes (`relay_nodes`, `fault_runs`).
//!
//! It must never point a node at a Redis the test did not start itself.
#![allow(dead_code)]

use std::time::Duration;

/// A relay node as its own process, so it can be killed outright.
pub struct NodeProcess {
    child: std::process::Child,
    pub addr: String,
}

impl NodeProcess {
    pub async fn start(data_dir: &std::path::Path, redis_url: &str) -> Self {
        Self::start_on(data_dir, redis_url, false).await
    }

    /// A node on one Redis server, or (`cluster`) on the Redis Cluster whose seed nodes
    /// `redis_url` lists.
    pub async fn start_on(data_dir: &std::path::Path, redis_url: &str, cluster: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"));
        // The suites' own switches (LIFELINE_TEST_STORE, LIFELINE_FAULT_RUNS) are not relay
        // settings, and the relay refuses unknown keys: it gets only those set here.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("LIFELINE_")) {
            command.env_remove(name);
        }
        let child = command
            .args(["--config", "config/lifeline.toml", "serve"])
            .env("LIFELINE_SERVER_LISTEN", &addr)
            .env("LIFELINE_SERVER_METRICS_LISTEN", "")
            .env("LIFELINE_SERVER_DATA_DIR", data_dir)
            .env("LIFELINE_STORE_KIND", "redis")
            .env("LIFELINE_REDIS_URL", redis_url)
            .env("LIFELINE_STORE_REDIS_CLUSTER", cluster.to_string())
            .env("LIFELINE_POW_BASE_DIFFICULTY", "8")
            .env("LIFELINE_POW_MAX_DIFFICULTY", "10")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("relay process starts");
        let node = Self { child, addr };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ready =
                lifeline::client::tipster::request(&node.addr, "GET", "/readyz", None, &[]).await;
            if matches!(ready, Ok((200, _))) {
                return node;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "node did not start: {ready:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn visitor_url(&self) -> String {
        format!("ws://{}/v1/visitor", self.addr)
    }

    pub fn coordinator_url(&self) -> String {
        format!("ws://{}/v1/coordinator", self.addr)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
