//! A visitor's `end` after a relay node was killed (issue 24): the coordinator, back on the
//! restarted node, is told `peer ended` and `released` every time, whichever node the
//! visitor came back through.

use crate::common;
use crate::killed_node;
use crate::node_process::NodeProcess;

use std::time::Duration;

use common::*;
use killed_node::KilledNode;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::protocol::frames::PeerEvent;
use lifeline::store::ChatStore;

#[tokio::test]
async fn an_end_after_a_node_kill_reaches_the_coordinator_on_the_restarted_node() {
    let mut nodes = KilledNode::start().await;
    let org = nodes.org;
    let mut c = nodes.coordinator(730, 1).await;
    for run in 0..6 {
        let mut v = chat_visitor_at(&nodes.node.visitor_url(), org).await;
        let session = v.session;
        claim_and_connect(&mut c, &mut v).await;
        exchange(&mut c, &mut v, "up", "down").await;
        nodes
            .kill_and_return(run, &mut v, &mut c, 1, Duration::from_secs(10))
            .await;
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

/// A visitor's `end` while their coordinator's node is dead and the coordinator not back
/// anywhere: nobody can be told, so the session is erased at once (§9.6: every trace goes
/// with the end), on one Redis server as on a Cluster. On a Cluster a publish to the dead
/// node's channel counts no subscriber whether or not one listens elsewhere, and the relay
/// took the dead node for alive: the session waited for the idle sweep (F-65).
async fn end_with_the_holder_s_node_dead(url: &str, cluster: bool) {
    let dir = tempfile::tempdir().expect("data dir");
    let steady = TestRelay::start_in(dir.path().to_path_buf(), |c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url.into();
        c.store.redis_cluster = cluster;
    })
    .await;
    let org = steady.relay.keys.organisation;
    let mut node = NodeProcess::start_on(dir.path(), url, cluster).await;
    let keys = steady.coordinator_keys(731, "Amara");
    let mut c = CoordinatorClient::connect(&node.coordinator_url(), org.fingerprint(), keys)
        .await
        .unwrap();
    c.duty(true, 1, &["en"]).await.unwrap();
    let mut v = chat_visitor_at(&steady.visitor_url(), org).await;
    let session = v.session;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "up", "down").await;

    node.kill();
    // Until its announcements lapse, a silent node may only be slow: the relay waits.
    tokio::time::sleep(Duration::from_secs(lifeline::relay::nodes::NODE_TTL_S + 1)).await;
    v.end().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while steady.relay.store.get(&session).await.unwrap().is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session outlived its end by 3 s (cluster: {cluster})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_end_with_the_holder_s_node_dead_erases_the_session_at_once() {
    let redis = RedisServer::start();
    end_with_the_holder_s_node_dead(&redis.url, false).await;
}

#[tokio::test]
async fn on_a_redis_cluster_an_end_with_the_holder_s_node_dead_erases_the_session_at_once() {
    let cluster = RedisCluster::start();
    end_with_the_holder_s_node_dead(&cluster.url, true).await;
}
