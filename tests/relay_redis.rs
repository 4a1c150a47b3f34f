//! The Redis store under faults: readiness reports Redis down, the relay keeps its sockets,
//! and the conversation carries on when Redis comes back with its data (persistence on).

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::client::tipster::request;
use lifeline::client::visitor::VisitorClient;

async fn ready(relay: &TestRelay) -> u16 {
    request(&relay.addr.to_string(), "GET", "/readyz", None, &[])
        .await
        .map(|(status, _)| status)
        .unwrap_or(0)
}

#[tokio::test]
async fn a_redis_restart_mid_conversation_loses_nothing_acknowledged() {
    let mut redis = RedisServer::start_with(true);
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let mut c = relay.on_duty(600, "Amara", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    let session = visitor.session;
    visitor.send_text("before").await.unwrap();
    assert_eq!(next_text_coordinator(&mut c).await.1, "before");
    assert_eq!(ready(&relay).await, 200);

    redis.kill();
    assert_eq!(ready(&relay).await, 503, "readiness reports Redis down");
    redis.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while ready(&relay).await != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay did not recover by itself"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Same sockets, same session, same keys: the chat continues both ways.
    c.send_text(session, "after the restart").await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "after the restart");
    visitor.send_text("still here").await.unwrap();
    assert_eq!(next_text_coordinator(&mut c).await.1, "still here");
}

/// A relay on its own Redis, a coordinator (`serial`) on duty and a visitor it claimed.
async fn claimed_on_redis(
    serial: u64,
) -> (RedisServer, TestRelay, CoordinatorClient, VisitorClient) {
    let redis = RedisServer::start();
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let mut c = relay.on_duty(serial, "Amara", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    (redis, relay, c, visitor)
}

/// An acknowledgement or activity arriving just as the session is erased (the coordinator's
/// `ack` on one node, the visitor's `end` on another) must not bring back keys of the gone
/// session: some would have no TTL and outlive it for ever.
#[tokio::test]
async fn a_late_ack_or_touch_leaves_nothing_of_an_erased_session() {
    use lifeline::store::{ChatStore, StoreError, Way};
    let (_redis, relay, mut c, mut visitor) = claimed_on_redis(601).await;
    let session = visitor.session;
    visitor.send_text("hello").await.unwrap();
    assert_eq!(next_text_coordinator(&mut c).await.1, "hello");
    assert_ne!(relay.visitor_state().await, "");

    let store = &relay.relay.store;
    store.remove(&session).await.unwrap();
    assert_eq!(store.ack(&session, Way::ToCoordinator, 1).await.unwrap(), 0);
    assert_eq!(store.ack(&session, Way::ToVisitor, 1).await.unwrap(), 0);
    assert!(matches!(
        store.touch(&session, 1).await,
        Err(StoreError::UnknownSession)
    ));
    assert_eq!(
        without_tombstones(&relay.visitor_state().await),
        "",
        "nothing of the session is left but its tombstone"
    );
}

/// A pull reads from Redis only the frames after the last one sent, and still finds every
/// one of them after acknowledgements, a discard (rekey) and new appends.
#[tokio::test]
async fn pending_frames_are_read_from_where_the_last_pull_stopped() {
    use lifeline::protocol::frames::PayloadKind;
    use lifeline::store::{Append, ChatStore, StoredFrame, Way};
    let (_redis, relay, c, visitor) = claimed_on_redis(602).await;
    let session = visitor.session;
    drop(c);
    drop(visitor);
    let store = &relay.relay.store;
    let limits = relay.relay.buffer_limits();
    let way = Way::ToVisitor;
    let seqs = |frames: Vec<StoredFrame>| frames.iter().map(|f| f.seq).collect::<Vec<_>>();
    let next = store.get(&session).await.unwrap().unwrap().next_to_visitor;
    for seq in next..next + 5 {
        let frame = StoredFrame {
            seq,
            kind: PayloadKind::Data,
            body: vec![seq as u8; 40],
        };
        assert_eq!(
            store.append(&session, way, frame, limits).await.unwrap(),
            Append::Stored
        );
    }
    let all: Vec<u64> = (next..next + 5).collect();
    assert_eq!(seqs(store.pending(&session, way, 0).await.unwrap()), all);
    assert_eq!(
        seqs(store.pending(&session, way, next + 2).await.unwrap()),
        all[3..]
    );
    assert_eq!(
        seqs(store.pending(&session, way, next + 4).await.unwrap()),
        Vec::<u64>::new()
    );
    store.ack(&session, way, next + 1).await.unwrap();
    assert_eq!(
        seqs(store.pending(&session, way, next + 1).await.unwrap()),
        all[2..]
    );
    assert_eq!(
        seqs(store.pending(&session, way, next + 3).await.unwrap()),
        all[4..]
    );
    store.discard_pending(&session, way).await.unwrap();
    let frame = StoredFrame {
        seq: next + 5,
        kind: PayloadKind::Data,
        body: vec![1; 40],
    };
    store.append(&session, way, frame, limits).await.unwrap();
    assert_eq!(
        seqs(store.pending(&session, way, next + 1).await.unwrap()),
        vec![next + 5]
    );
    assert_eq!(
        seqs(store.pending(&session, way, next + 4).await.unwrap()),
        vec![next + 5]
    );
}

async fn acl_subscribe(redis: &RedisServer, rule: &str) {
    let client = redis::Client::open(redis.url.as_str()).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("default")
        .arg(rule)
        .query_async(&mut con)
        .await
        .expect("ACL SETUSER");
}

/// A node that cannot subscribe to its channels would miss what the others send it (an
/// `end`, a hand-over): it is not ready while the store itself answers, until it listens.
#[tokio::test]
async fn a_node_that_does_not_hear_the_others_is_not_ready() {
    let redis = RedisServer::start_with(false);
    acl_subscribe(&redis, "-subscribe").await;
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = request(&relay.addr.to_string(), "GET", "/readyz", None, &[])
        .await
        .expect("readyz");
    assert_eq!(status, 503, "ready though subscribed to nothing");
    assert!(body.contains("not listening"), "the reason is given");
    acl_subscribe(&redis, "+subscribe").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while ready(&relay).await != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ready once it can subscribe"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With Redis down, `/readyz` names the cause (the store), not its consequence (a node that
/// cannot listen to the others either).
#[tokio::test]
async fn with_redis_down_readiness_names_the_store() {
    let mut redis = RedisServer::start_with(false);
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while ready(&relay).await != 200 {
        assert!(tokio::time::Instant::now() < deadline, "ready at first");
    }
    redis.kill();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let (status, body) = request(&relay.addr.to_string(), "GET", "/readyz", None, &[])
            .await
            .expect("readyz");
        if status == 503 {
            assert!(body.starts_with("store unavailable"), "{body}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not ready once Redis is gone"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
