//! The Redis message path's answers, straight from the store: every guarantee the append
//! and acknowledgement scripts give (issue 20 measured leaner variants of them against these
//! answers, docs/benchmarks.md): the owner check, duplicate and gap answers, both budgets,
//! the wake to the peer's node only, and a buffer that is new again after an acknowledgement
//! emptied it expiring with the session.
//!
//! Runs on Redis whatever `LIFELINE_TEST_STORE` says: it starts its own server.

use crate::common;

use common::*;
use lifeline::protocol::frames::PayloadKind;
use lifeline::store::{Append, Assignment, BufferLimits, ChatStore, StoredFrame, Way};

const LIMITS: BufferLimits = BufferLimits {
    max_frames: 3,
    max_bytes: 1_000,
};

fn frame(seq: u64, len: usize) -> StoredFrame {
    StoredFrame {
        seq,
        kind: PayloadKind::Data,
        body: vec![seq as u8; len],
    }
}

#[tokio::test]
async fn the_append_and_the_acknowledgement_keep_every_answer_and_budget() {
    let redis = RedisServer::start();
    let store = redis.store(600).await;
    let info = queued_session(&store, 7);
    let id = info.id;
    store.create(info, 10).await.unwrap();
    store.claim(&id, 801, "node-b").await.unwrap().unwrap();
    store
        .node_link()
        .set_visitor_node(&id, "node-a")
        .await
        .unwrap();
    let buffer = format!("ll:{{{}}}:buffer:c", "07".repeat(16));
    let to_coordinator = async |seq: u64, len: usize, node: &str| {
        store
            .relay_frame(&id, Way::ToCoordinator, frame(seq, len), LIMITS, None, node)
            .await
            .unwrap()
    };

    // The visitor's frame wakes the holder's node, and only from another node.
    let first = to_coordinator(1, 100, "node-a").await;
    assert_eq!(first.append, Some(Append::Stored));
    assert_eq!(first.holder, Some(Assignment::Claimed(801)));
    assert_eq!(first.woke_node.as_deref(), Some("node-b"));
    assert_eq!(to_coordinator(2, 100, "node-b").await.woke_node, None);
    let ttl: i64 = redis.cli(&["TTL", &buffer]).parse().unwrap();
    // A session lifetime (600 s + 300 s margin), to the next whole minute.
    assert!((1..=960).contains(&ttl), "a new buffer expires: {ttl}");

    // Duplicate, gap, and the frame count: three frames held at most.
    assert_eq!(
        to_coordinator(2, 100, "node-a").await.append,
        Some(Append::Duplicate)
    );
    assert_eq!(
        to_coordinator(5, 100, "node-a").await.append,
        Some(Append::Gap { expected: 3 })
    );
    assert_eq!(
        to_coordinator(3, 100, "node-a").await.append,
        Some(Append::Stored)
    );
    assert_eq!(
        to_coordinator(4, 100, "node-a").await.append,
        Some(Append::Full)
    );

    // An acknowledgement of two frees two frames and their bytes, and tells the visitor's node.
    let acked = store
        .ack_and_notify(&id, Way::ToCoordinator, 2, Some(801), "node-b")
        .await
        .unwrap();
    assert_eq!(acked.acked, Some(2));
    assert_eq!(acked.woke_node.as_deref(), Some("node-a"));
    assert_eq!(
        to_coordinator(4, 700, "node-a").await.append,
        Some(Append::Stored),
        "two frames and 200 bytes were freed"
    );
    assert_eq!(
        to_coordinator(5, 201, "node-a").await.append,
        Some(Append::Full),
        "800 bytes held, 201 more would pass the budget"
    );
    let pending = store.pending(&id, Way::ToCoordinator, 2).await.unwrap();
    let seqs: Vec<u64> = pending.iter().map(|f| f.seq).collect();
    assert_eq!(seqs, [3, 4]);

    // Emptied by an acknowledgement, the buffer is gone; the next frame makes a new one, which
    // expires with the session and is read from its own head.
    store
        .ack_and_notify(&id, Way::ToCoordinator, 4, Some(801), "node-b")
        .await
        .unwrap();
    assert_eq!(redis.cli(&["EXISTS", &buffer]), "0");
    assert_eq!(
        to_coordinator(5, 1_000, "node-a").await.append,
        Some(Append::Stored),
        "the whole budget is free again"
    );
    let ttl: i64 = redis.cli(&["TTL", &buffer]).parse().unwrap();
    assert!((1..=960).contains(&ttl), "a buffer made new expires: {ttl}");
    let pending = store.pending(&id, Way::ToCoordinator, 4).await.unwrap();
    assert_eq!(pending.iter().map(|f| f.seq).collect::<Vec<_>>(), [5]);
    assert_eq!(pending[0].body, vec![5u8; 1_000]);

    // The coordinator's frames: refused from anyone but the holder.
    let to_visitor = async |held_by: u64, node: &str| {
        store
            .relay_frame(
                &id,
                Way::ToVisitor,
                frame(1, 10),
                LIMITS,
                Some(held_by),
                node,
            )
            .await
            .unwrap()
    };
    let other = to_visitor(802, "node-b").await;
    assert_eq!(other.append, None);
    assert_eq!(other.holder, Some(Assignment::Claimed(801)));
    assert_eq!(other.woke_node, None);
    let own = to_visitor(801, "node-b").await;
    assert_eq!(own.append, Some(Append::Stored));
    assert_eq!(own.woke_node.as_deref(), Some("node-a"));
    let refused = store
        .ack_and_notify(&id, Way::ToVisitor, 1, Some(802), "node-b")
        .await
        .unwrap();
    assert_eq!(
        refused.acked, None,
        "an acknowledgement from another holder"
    );

    // Gone: nothing stored, nothing woken.
    store.remove(&id).await.unwrap();
    let gone = to_coordinator(6, 10, "node-a").await;
    assert_eq!(
        (gone.append, gone.holder, gone.woke_node),
        (None, None, None)
    );
    assert_eq!(redis.cli(&["EXISTS", &buffer]), "0");
}
