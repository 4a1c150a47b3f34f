//! The Redis store under faults: readiness reports Redis down, the relay keeps its sockets,
//! and the conversation carries on when Redis comes back with its data (persistence on).

mod common;

use std::time::Duration;

use common::*;
use lifeline::client::tipster::request;

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
        c.store.kind = "redis".into();
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

/// An acknowledgement or activity arriving just as the session is erased (the coordinator's
/// `ack` on one node, the visitor's `end` on another) must not bring back keys of the gone
/// session: some would have no TTL and outlive it for ever.
#[tokio::test]
async fn a_late_ack_or_touch_leaves_nothing_of_an_erased_session() {
    use lifeline::store::{ChatStore, StoreError, Way};
    let redis = RedisServer::start();
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = "redis".into();
        c.store.redis_url = url;
    })
    .await;
    let mut c = relay.on_duty(601, "Amara", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
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
        relay.visitor_state().await,
        "",
        "nothing of the session is left"
    );
}
