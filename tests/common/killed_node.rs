//! Two relay nodes on one persistent Redis sharing a data folder: one in the test's process
//! that stays up, one a `lifeline serve` process of its own that the test kills (SIGKILL)
//! mid-conversation and starts again, with a coordinator signed in on it. Included with
//! `#[path]` next to `mod common` and `mod node_process` by the suites that kill a node
//! (`fault_runs`, `node_kill_end`).
//!
//! It must never point a node at a Redis the test did not start itself.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crate::common::*;
use crate::node_process::NodeProcess;
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::client::visitor::VisitorClient;
use lifeline::config::StoreKind;
use lifeline::crypto::keys::OrgPublicKey;

pub struct KilledNode {
    pub redis: RedisServer,
    pub dir: tempfile::TempDir,
    /// The node that stays up (and starts first: it creates the keys the other reads). It
    /// holds the killed node's conversations for their coordinator, as production does.
    pub steady: TestRelay,
    /// The node that is killed and started again.
    pub node: NodeProcess,
    pub org: OrgPublicKey,
}

impl KilledNode {
    pub async fn start() -> Self {
        let redis = RedisServer::start_with(true);
        let dir = tempfile::tempdir().expect("data dir");
        let url = redis.url.clone();
        let steady = TestRelay::start_in(dir.path().to_path_buf(), |c| {
            c.store.kind = StoreKind::Redis;
            c.store.redis_url = url;
            c.sessions.coordinator_grace_s = 60;
        })
        .await;
        let org = steady.relay.keys.organisation;
        let node = NodeProcess::start(dir.path(), &redis.url).await;
        Self {
            redis,
            dir,
            steady,
            node,
            org,
        }
    }

    /// A coordinator ("Amara", `serial`) on the node that will be killed, on duty.
    pub async fn coordinator(&self, serial: u64, seats: u8) -> CoordinatorClient {
        let keys = self.steady.coordinator_keys(serial, "Amara");
        let mut c =
            CoordinatorClient::connect(&self.node.coordinator_url(), self.org.fingerprint(), keys)
                .await
                .unwrap();
        c.duty(true, seats, &["en"]).await.unwrap();
        c
    }

    /// Kills the node and starts it again. The visitor resumes through the steady node in
    /// even runs and the restarted one in odd runs; the coordinator reconnects to the
    /// restarted node and goes on duty again (a new connection starts off duty, as the
    /// console's does). Both are back within `bound`.
    pub async fn kill_and_return(
        &mut self,
        run: usize,
        v: &mut VisitorClient,
        c: &mut CoordinatorClient,
        seats: u8,
        bound: Duration,
    ) {
        self.node.kill();
        self.node = NodeProcess::start(self.dir.path(), &self.redis.url).await;
        let visitor_url = if run.is_multiple_of(2) {
            self.steady.visitor_url()
        } else {
            self.node.visitor_url()
        };
        v.set_relay_url(&visitor_url);
        let deadline = Instant::now() + bound;
        while v.resume().await.is_err() {
            again_before(deadline).await;
        }
        while c.reconnect(&self.node.coordinator_url()).await.is_err() {
            again_before(deadline).await;
        }
        c.duty(true, seats, &["en"]).await.unwrap();
    }
}

async fn again_before(deadline: Instant) {
    assert!(Instant::now() < deadline, "could not come back");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
