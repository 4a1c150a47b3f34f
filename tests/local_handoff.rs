//! Local hand-off (issue 20): when a frame's receiver is connected to the node that stored
//! it, the relay hands the receiver the frame it just stored instead of reading it back.
//! A chat on one node then runs no pull script (its one command, `LRANGE`, is never called
//! while frames go both ways), and every frame still arrives once and in order. When the
//! sender moves to another node and back, the frames that node stored are read from Redis
//! (a gap in what was handed) and the order still holds.

use crate::common;

use common::*;
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::client::visitor::VisitorClient;

/// How often redis-server ran `command` (inner commands of scripts count too).
async fn calls(url: &str, command: &str) -> u64 {
    let client = redis::Client::open(url).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut con)
        .await
        .expect("INFO commandstats");
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().expect("a count"))
}

/// A burst of `n` texts each way, each side reading the other's in order.
async fn bursts(c: &mut CoordinatorClient, v: &mut VisitorClient, tag: &str, n: usize) {
    for i in 0..n {
        v.send_text(&format!("{tag} up {i}"))
            .await
            .expect("visitor sends");
    }
    for i in 0..n {
        let (session, text) = next_text_coordinator(c).await;
        assert_eq!((session, text), (v.session, format!("{tag} up {i}")));
    }
    for i in 0..n {
        c.send_text(v.session, &format!("{tag} down {i}"))
            .await
            .expect("coordinator sends");
    }
    for i in 0..n {
        assert_eq!(next_text_visitor(v).await, format!("{tag} down {i}"));
    }
}

fn on_redis(url: &str) -> impl Fn(&mut lifeline::config::Config) + '_ {
    move |c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url.to_owned();
    }
}

#[tokio::test]
async fn a_chat_on_one_node_reads_nothing_back_from_redis() {
    let redis = RedisServer::start();
    let relay = TestRelay::start_with(on_redis(&redis.url)).await;
    let mut visitor = relay.visitor().await;
    let mut ada = relay.on_duty(901, "Ada", 1).await;
    claim_and_connect(&mut ada, &mut visitor).await;
    round_trip(&mut ada, &mut visitor, "first").await;

    let (pulls, stored) = (
        calls(&redis.url, "lrange").await,
        calls(&redis.url, "rpush").await,
    );
    for round in 0..4 {
        bursts(&mut ada, &mut visitor, &format!("round {round}"), 5).await;
    }
    assert_eq!(
        calls(&redis.url, "lrange").await,
        pulls,
        "a frame was read back from Redis although both ends are on the node that stored it"
    );
    assert_eq!(
        calls(&redis.url, "rpush").await - stored,
        40,
        "every frame was stored before it was handed on"
    );
}

#[tokio::test]
async fn frames_another_node_stored_are_read_from_redis_in_order() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("data dir");
    let node_a = TestRelay::start_in(dir.path().to_path_buf(), on_redis(&redis.url)).await;
    let node_b = TestRelay::start_in(dir.path().to_path_buf(), on_redis(&redis.url)).await;
    let mut visitor = node_a.visitor().await;
    let mut ada = node_a.on_duty(902, "Ada", 1).await;
    claim_and_connect(&mut ada, &mut visitor).await;
    bursts(&mut ada, &mut visitor, "on A", 3).await;

    // The visitor moves to B: B stores their frames and wakes A, which reads them.
    let pulls = calls(&redis.url, "lrange").await;
    visitor.drop_connection();
    visitor.set_relay_url(&node_b.visitor_url());
    visitor.resume().await.expect("resumes on B");
    bursts(&mut ada, &mut visitor, "on B", 3).await;
    assert!(
        calls(&redis.url, "lrange").await > pulls,
        "frames stored on B reach A through Redis"
    );

    // Back on A: handed again, continuing where B's frames left off.
    visitor.drop_connection();
    visitor.set_relay_url(&node_a.visitor_url());
    visitor.resume().await.expect("resumes on A");
    bursts(&mut ada, &mut visitor, "back on A", 3).await;
}
