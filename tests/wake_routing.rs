//! Where the message path's wakes go (issue 20): three relay nodes on one Redis, a probe
//! subscribed to every node's wake channel (`ll:wake:<node>`). A visitor's frames and
//! acknowledgements wake only the node of the coordinator holding the conversation, the
//! coordinator's only the visitor's node; a third node hears nothing; after a hand-over to a
//! coordinator on the third node, the visitor's wakes follow them there and no longer reach
//! the first holder's node.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::protocol::frames::PeerEvent;

/// Every wake published on any node's wake channel: (the node it was for, its kind word).
type Heard = Arc<Mutex<Vec<(String, String)>>>;

/// Subscribes to every wake channel; what it hears is appended to the returned list. Node
/// notices (`<from> n <count>`, sent to every node at each heartbeat) are left out: they
/// carry no session.
async fn probe(url: &str) -> Heard {
    let client = redis::Client::open(url).expect("redis url");
    let mut pubsub = client.get_async_pubsub().await.expect("probe connection");
    pubsub.psubscribe("ll:wake:*").await.expect("psubscribe");
    let heard = Heard::default();
    let into = heard.clone();
    tokio::spawn(async move {
        let mut messages = pubsub.into_on_message();
        while let Some(m) = messages.next().await {
            let node = m
                .get_channel_name()
                .trim_start_matches("ll:wake:")
                .to_owned();
            let text: String = m.get_payload().unwrap_or_default();
            let what = text.split(' ').nth(1).unwrap_or_default().to_owned();
            if what != "n" {
                into.lock().unwrap().push((node, what));
            }
        }
    });
    heard
}

/// Takes what the probe heard so far, after a moment for the last publishes to arrive.
async fn drain(heard: &Heard) -> Vec<(String, String)> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::mem::take(&mut *heard.lock().unwrap())
}

/// Three texts up with their `delivered` marks, one text down and its mark: a wake of every
/// kind (`c`, `dv`, `v`, `dc`).
async fn talk(c: &mut CoordinatorClient, v: &mut VisitorClient, tag: &str) {
    let session = v.session;
    for n in 1..=3 {
        v.send_text(&format!("{tag} {n}")).await.unwrap();
    }
    for n in 1..=3 {
        assert_eq!(
            next_text_coordinator(c).await,
            (session, format!("{tag} {n}"))
        );
    }
    let delivered = |e: &VisitorEvent| matches!(e, VisitorEvent::Delivered(_));
    v.wait_for(delivered)
        .await
        .expect("delivered to the coordinator");
    c.send_text(session, &format!("{tag} back")).await.unwrap();
    assert_eq!(next_text_visitor(v).await, format!("{tag} back"));
    c.wait_for(|e| matches!(e, CoordinatorEvent::Delivered { .. }))
        .await
        .expect("delivered to the visitor");
}

/// Asserts each wake went to the node its kind names: frames for the coordinator (`c`) and
/// the visitor's marks (`dc`) to `holder`, frames for the visitor (`v`) and the
/// coordinator's marks (`dv`) to `visitor`; and that each kind was heard.
fn assert_routed(heard: &[(String, String)], visitor: &str, holder: &str) {
    for (node, what) in heard {
        let expected = match what.as_str() {
            "c" | "dc" => holder,
            "v" | "dv" => visitor,
            other => panic!("unexpected wake kind {other:?}"),
        };
        assert_eq!(
            node, expected,
            "a `{what}` wake went to the wrong node: {heard:?}"
        );
    }
    for kind in ["c", "v", "dc", "dv"] {
        assert!(
            heard.iter().any(|(_, what)| what == kind),
            "no `{kind}` wake heard: {heard:?}"
        );
    }
}

#[tokio::test]
async fn a_wake_goes_only_to_the_peer_s_node_and_follows_a_hand_over() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("data dir");
    let on_redis = |c: &mut lifeline::config::Config| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = redis.url.clone();
    };
    let node_a = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let node_b = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let node_c = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let (a, b, c) = (
        node_a.relay.nodes.id.clone(),
        node_b.relay.nodes.id.clone(),
        node_c.relay.nodes.id.clone(),
    );
    let heard = probe(&redis.url).await;

    // Visitor on A, Bastien on B: each side's wakes reach only the other side's node.
    let mut visitor = node_a.visitor().await;
    let session = visitor.session;
    let mut bastien = node_b.on_duty(811, "Bastien", 2).await;
    assert_eq!(
        claim_and_connect(&mut bastien, &mut visitor).await,
        "Bastien"
    );
    drain(&heard).await;
    talk(&mut bastien, &mut visitor, "before").await;
    let before = drain(&heard).await;
    assert_routed(&before, &a, &b);
    assert!(!before.iter().any(|(node, _)| *node == c), "{before:?}");

    // Handed over to Chidi on C: the visitor's wakes follow to C, none reach B any more.
    let mut chidi = node_c.on_duty(812, "Chidi", 2).await;
    bastien
        .wait_for(
            |e| matches!(e, CoordinatorEvent::Roster(on) if on.iter().any(|x| x.serial == 812)),
        )
        .await
        .expect("Chidi listed on B");
    bastien.transfer(session, 812).await.unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
        .await
        .unwrap();
    assert_eq!(handed_over(&mut chidi).await.as_deref(), Some("Bastien"));
    assert_eq!(connected_to(&mut visitor).await, "Chidi");
    drain(&heard).await;
    talk(&mut chidi, &mut visitor, "after").await;
    let after = drain(&heard).await;
    assert_routed(&after, &a, &c);
    assert!(!after.iter().any(|(node, _)| *node == b), "{after:?}");
}
