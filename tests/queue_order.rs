//! `ll:queue:order` is no counter of all time (issue 26): it carries a TTL, and when it has
//! expired (no arrival for a session lifetime) a newcomer still queues behind whoever waits.
//!
//! Runs on Redis whatever `LIFELINE_TEST_STORE` says: it starts its own server.

use crate::common;

use common::*;
use lifeline::store::{ChatStore, SessionId};

#[tokio::test]
async fn the_arrival_counter_expires_and_a_new_generation_queues_behind_those_waiting() {
    let redis = RedisServer::start();
    let store = redis.store(600).await;
    for byte in 1..=3 {
        store
            .create(queued_session(&store, byte), 10)
            .await
            .unwrap();
    }
    let ttl: i64 = redis.cli(&["TTL", "ll:queue:order"]).parse().unwrap();
    assert!(
        (1..=960).contains(&ttl),
        "the counter lives a session lifetime (600 s + 300 s margin, to the next whole minute): {ttl}"
    );
    // A session lifetime with no arrival: the counter is gone, two still wait.
    store.remove(&SessionId([1; 16])).await.unwrap();
    assert_eq!(redis.cli(&["DEL", "ll:queue:order"]), "1");
    store.create(queued_session(&store, 4), 10).await.unwrap();
    let order: Vec<u8> = store
        .queue_view(0)
        .await
        .unwrap()
        .order
        .iter()
        .map(|id| id.0[0])
        .collect();
    assert_eq!(order, [2, 3, 4], "the newcomer queues behind those waiting");
    // An empty queue and no counter: the next generation starts from one.
    for byte in 2..=4 {
        store.remove(&SessionId([byte; 16])).await.unwrap();
    }
    assert_eq!(redis.cli(&["DEL", "ll:queue:order"]), "1");
    store.create(queued_session(&store, 5), 10).await.unwrap();
    assert_eq!(redis.cli(&["GET", "ll:queue:order"]), "1");
}
