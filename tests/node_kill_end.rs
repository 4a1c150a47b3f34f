//! A visitor's `end` after a relay node was killed (issue 24): the coordinator, back on the
//! restarted node, is told `peer ended` and `released` every time, whichever node the
//! visitor came back through.

mod common;
#[path = "common/node_process.rs"]
mod node_process;

use std::time::{Duration, Instant};

use common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::VisitorClient;
use lifeline::config::StoreKind;
use lifeline::protocol::frames::{ConversationKind, PeerEvent};
use node_process::NodeProcess;

async fn visitor_at(url: &str, org: lifeline::crypto::keys::OrgPublicKey) -> VisitorClient {
    VisitorClient::connect(url, org, ConversationKind::Chat, Some("en"), &[])
        .await
        .unwrap()
}

async fn again_before(deadline: Instant) {
    assert!(Instant::now() < deadline, "could not come back");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn an_end_after_a_node_kill_reaches_the_coordinator_on_the_restarted_node() {
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
    let mut node = NodeProcess::start(dir.path(), &redis.url).await;
    let keys = steady.coordinator_keys(730, "Amara");
    let mut c = CoordinatorClient::connect(&node.coordinator_url(), org.fingerprint(), keys)
        .await
        .unwrap();
    c.duty(true, 1, &["en"]).await.unwrap();
    for run in 0..6 {
        let mut v = visitor_at(&node.visitor_url(), org).await;
        let session = v.session;
        claim_and_connect(&mut c, &mut v).await;
        exchange(&mut c, &mut v, "up", "down").await;
        node.kill();
        node = NodeProcess::start(dir.path(), &redis.url).await;
        let visitor_url = if run % 2 == 0 {
            steady.visitor_url()
        } else {
            node.visitor_url()
        };
        v.set_relay_url(&visitor_url);
        let deadline = Instant::now() + Duration::from_secs(10);
        while v.resume().await.is_err() {
            again_before(deadline).await;
        }
        while c.reconnect(&node.coordinator_url()).await.is_err() {
            again_before(deadline).await;
        }
        c.duty(true, 1, &["en"]).await.unwrap();
        exchange(&mut c, &mut v, "up again", "down again").await;
        v.end().await.unwrap();
        let told = async {
            c.wait_for(|e| matches!(e, CoordinatorEvent::Peer { session: s, event: PeerEvent::Ended } if *s == session))
                .await
                .expect("peer ended");
            c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
                .await
                .expect("released");
        };
        tokio::time::timeout(Duration::from_secs(5), told)
            .await
            .unwrap_or_else(|_| panic!("run {run}: the coordinator was told the end"));
    }
}
