//! Several relay nodes, one Redis: a conversation whose two sides are on different nodes,
//! a hand-over to a coordinator on the other node, a visitor resuming on the other node,
//! and a node killed outright (its clients carry on through the other).

use crate::common;
use crate::node_process;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::reach::Reach;
use lifeline::client::visitor::{Sent, VisitorEvent};
use lifeline::protocol::frames::PeerEvent;
use node_process::NodeProcess;

/// Two relay nodes on one data folder (the same keys) and one Redis.
async fn two_nodes(redis: &RedisServer) -> (TestRelay, TestRelay, tempfile::TempDir) {
    two_nodes_on(&redis.url, false).await
}

/// Two relay nodes on one data folder and one Redis (or Redis Cluster) at `url`.
async fn two_nodes_on(url: &str, cluster: bool) -> (TestRelay, TestRelay, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("data dir");
    let on_redis = |c: &mut lifeline::config::Config| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url.into();
        c.store.redis_cluster = cluster;
    };
    let a = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let b = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    (a, b, dir)
}

async fn wait_until_listed(c: &mut lifeline::client::coordinator::CoordinatorClient, serial: u64) {
    c.wait_for(|e| {
        matches!(e, CoordinatorEvent::Roster(on_duty) if on_duty.iter().any(|x| x.serial == serial))
    })
    .await
    .expect("the other node's coordinator appears in the roster");
}

#[tokio::test]
async fn a_conversation_spans_two_nodes_through_a_transfer_and_a_resume() {
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis).await;
    conversation_across_nodes(node_a, node_b).await;
}

#[tokio::test]
async fn on_a_redis_cluster_a_conversation_spans_two_nodes_through_a_transfer_and_a_resume() {
    let cluster = RedisCluster::start();
    let (node_a, node_b, _dir) = two_nodes_on(&cluster.url, true).await;
    conversation_across_nodes(node_a, node_b).await;
}

async fn conversation_across_nodes(node_a: TestRelay, node_b: TestRelay) {
    let mut visitor = node_a.visitor().await;
    let session = visitor.session;
    let mut bastien = node_b.on_duty(801, "Bastien", 2).await;

    // Visitor on A, coordinator on B.
    assert_eq!(
        claim_and_connect(&mut bastien, &mut visitor).await,
        "Bastien"
    );
    for text in ["one", "two", "three"] {
        visitor.send_text(text).await.unwrap();
    }
    for text in ["one", "two", "three"] {
        assert_eq!(
            next_text_coordinator(&mut bastien).await,
            (session, text.into())
        );
    }
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Delivered(3)))
        .await
        .expect("delivered marks cross nodes");
    bastien.send_text(session, "I read you").await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "I read you");

    // Hand-over to a coordinator on A.
    let mut amara = node_a.on_duty(802, "Amara", 2).await;
    wait_until_listed(&mut bastien, 802).await;
    // The offer waits on B, beside Bastien; the visitor's answer (on A) is routed there, and
    // the sealed note and the language reach Amara (on A) with the hand-over.
    bastien
        .transfer_with_note(session, 802, "Asked about a safe place tonight.")
        .await
        .unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
        .await
        .unwrap();
    bastien
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    match amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
        .await
        .unwrap()
    {
        CoordinatorEvent::Claimed {
            transferred_from,
            lang,
            note,
            ..
        } => {
            assert_eq!(transferred_from.as_deref(), Some("Bastien"));
            assert_eq!(lang.as_deref(), Some("en"));
            assert_eq!(
                note,
                Some(lifeline::client::handover::HandoverNote::Text(
                    "Asked about a safe place tonight.".into()
                ))
            );
        }
        _ => unreachable!(),
    }
    assert_eq!(connected_to(&mut visitor).await, "Amara");
    visitor.send_text("hello Amara").await.unwrap();
    assert_eq!(next_text_coordinator(&mut amara).await.1, "hello Amara");

    // The visitor's connection drops; they come back through node B. What Amara wrote
    // meanwhile arrives once, in order; nothing already read comes again.
    visitor.drop_connection();
    amara
        .wait_for(|e| {
            matches!(
                e,
                CoordinatorEvent::Peer {
                    event: PeerEvent::Away,
                    ..
                }
            )
        })
        .await
        .unwrap();
    for text in ["while you were away", "are you safe?"] {
        amara.send_text(session, text).await.unwrap();
    }
    visitor.set_relay_url(&node_b.visitor_url());
    visitor.resume().await.unwrap();
    amara
        .wait_for(|e| {
            matches!(
                e,
                CoordinatorEvent::Peer {
                    event: PeerEvent::Returned,
                    ..
                }
            )
        })
        .await
        .unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "while you were away");
    assert_eq!(next_text_visitor(&mut visitor).await, "are you safe?");
    assert!(matches!(
        visitor.send_text("yes, back now").await.unwrap(),
        Sent::Now(_)
    ));
    assert_eq!(next_text_coordinator(&mut amara).await.1, "yes, back now");

    // The visitor ends it from node B: Amara on node A gets their close and the release,
    // and nothing of the session is left in Redis.
    visitor.end().await.unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::VisitorClosed(_)))
        .await
        .unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    node_a.until_erased(&session).await;
    assert_eq!(without_tombstones(&node_b.visitor_state().await), "");
}

#[tokio::test]
async fn the_queue_and_the_roster_are_the_same_on_every_node() {
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis).await;
    let mut on_a = node_a.on_duty(811, "Amara", 1).await;
    let mut on_b = node_b.on_duty(812, "Bastien", 1).await;
    wait_until_listed(&mut on_a, 812).await;
    wait_until_listed(&mut on_b, 811).await;
    // A visitor arriving on B is listed to the coordinator on A, who claims it; the claim
    // race across nodes has one winner.
    let mut visitor = node_b.visitor().await;
    let session = visitor.session;
    on_a.wait_for(|e| matches!(e, CoordinatorEvent::Queue(items) if items.iter().any(|i| i.session == session)))
        .await
        .unwrap();
    let (first, second) = tokio::join!(on_a.claim(session), on_b.claim(session));
    first.unwrap();
    second.unwrap();
    let won_a = tokio::time::timeout(
        Duration::from_secs(5),
        on_a.wait_for(|e| {
            matches!(e, CoordinatorEvent::Claimed { session: s, .. } | CoordinatorEvent::ClaimLost(s) if *s == session)
        }),
    );
    let won_b = tokio::time::timeout(
        Duration::from_secs(5),
        on_b.wait_for(|e| {
            matches!(e, CoordinatorEvent::Claimed { session: s, .. } | CoordinatorEvent::ClaimLost(s) if *s == session)
        }),
    );
    let (a, b) = tokio::join!(won_a, won_b);
    let wins = [a.unwrap().unwrap(), b.unwrap().unwrap()]
        .iter()
        .filter(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
        .count();
    assert_eq!(wins, 1, "exactly one claim wins across nodes");
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_killed_node_s_visitor_resumes_on_the_other_and_is_answered_there() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("data dir");
    let url = redis.url.clone();
    // Node B first: it creates the development keys node A then reads.
    let node_b = TestRelay::start_in(dir.path().to_path_buf(), |c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let mut node_a = NodeProcess::start(dir.path(), &redis.url).await;
    let a_visitors = format!("ws://{}/v1/visitor", node_a.addr);
    let a_coordinators = format!("ws://{}/v1/coordinator", node_a.addr);

    // Visitor and coordinator both on node A.
    let keys = node_b.coordinator_keys(821, "Amara");
    let mut amara = lifeline::client::coordinator::CoordinatorClient::connect(
        &a_coordinators,
        node_b.relay.keys.organisation.fingerprint(),
        keys,
    )
    .await
    .unwrap();
    amara.duty(true, 1, &["en"]).await.unwrap();
    let mut visitor = lifeline::client::visitor::VisitorClient::connect(
        &a_visitors,
        node_b.relay.keys.organisation,
        lifeline::protocol::frames::ConversationKind::Chat,
        Some("en"),
        Reach::default(),
    )
    .await
    .unwrap();
    let session = visitor.session;
    claim_and_connect(&mut amara, &mut visitor).await;
    amara
        .send_text(session, "first, before the crash")
        .await
        .unwrap();
    assert_eq!(
        next_text_visitor(&mut visitor).await,
        "first, before the crash"
    );
    visitor.send_text("got it").await.unwrap();
    assert_eq!(next_text_coordinator(&mut amara).await.1, "got it");

    // A colleague on node B; then node A dies without a word.
    let mut bastien = node_b.on_duty(822, "Bastien", 1).await;
    node_a.kill();
    visitor.set_relay_url(&node_b.visitor_url());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while visitor.resume().await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "could not resume");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Stored for Amara, who will never read it.
    assert!(matches!(
        visitor.send_text("are you still there?").await.unwrap(),
        Sent::Now(_)
    ));
    // Amara is gone with her node: after the roster forgets her node, her conversation goes
    // back to the queue, the visitor is told, and Bastien answers with a fresh handshake.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match visitor.next_event().await {
            Ok(VisitorEvent::Peer(PeerEvent::Left)) => break,
            Ok(_) | Err(lifeline::client::ClientError::Timeout) => {}
            Err(e) => panic!("the visitor's connection failed: {e}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the visitor was never told"
        );
    }
    assert_eq!(
        claim_and_connect(&mut bastien, &mut visitor).await,
        "Bastien"
    );
    // What Amara never received reaches Bastien first, re-encrypted for him (§9.6).
    assert_eq!(
        next_text_coordinator(&mut bastien).await,
        (session, "are you still there?".into())
    );
    visitor.send_text("is someone there?").await.unwrap();
    assert_eq!(
        next_text_coordinator(&mut bastien).await,
        (session, "is someone there?".into())
    );
    bastien.send_text(session, "yes, I'm here").await.unwrap();
    // Nothing already read comes again: the next text is the new one.
    assert_eq!(next_text_visitor(&mut visitor).await, "yes, I'm here");
}

#[tokio::test]
async fn a_tip_sent_through_one_node_is_answered_through_the_other() {
    use lifeline::client::tipster::Tipster;
    use lifeline::crypto::sealed_tip;
    use rand_core::OsRng;

    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis).await;
    let org = node_a.relay.keys.organisation.fingerprint();
    let inbox = node_a.relay.keys.inbox.body().x25519_public;
    let mut c = node_b.on_duty(831, "Amara", 1).await;

    let tipster = Tipster::new(&node_a.addr.to_string());
    let text = "A van comes every night at two";
    let (_, FirstTip { keys, .. }) = file_first_tip(&node_a, &tipster, text, None).await;

    // The coordinator on node B is shown it without asking, opens and answers it.
    let CoordinatorEvent::Tips(items) = c
        .wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if !i.is_empty()))
        .await
        .unwrap()
    else {
        unreachable!()
    };
    let id = items[0].id;
    let (sealed, _) = open_tip(&mut c, id, 0).await;
    let opened = sealed_tip::open_tip(&org, &node_b.inbox_key(), &sealed).unwrap();
    assert_eq!(opened.text, "A van comes every night at two");
    let reply = plain_tip("Thank you, we are looking");
    let reply_key = opened.reply_key.expect("the tipster left a reply key");
    c.reply_tip(
        id,
        sealed_tip::seal_reply(&org, &node_b.inbox_key(), &reply_key, &reply, &mut OsRng).unwrap(),
    )
    .await
    .unwrap();
    c.wait_for(
        |e| matches!(e, CoordinatorEvent::Tips(i) if i.first().is_some_and(|t| t.replies == 1)),
    )
    .await
    .unwrap();

    // The tipster reads the reply back through node A.
    let replies = tipster.replies(keys.lookup_id).await.unwrap();
    assert_eq!(replies.len(), 1);
    let read = sealed_tip::open_reply(&org, &inbox, &keys.tipster_key, &replies[0]).unwrap();
    assert_eq!(read.text, "Thank you, we are looking");
}

#[tokio::test]
async fn a_proof_of_work_seed_from_one_node_is_accepted_once_by_any_node() {
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis).await;
    let (a, b) = (node_a.addr.to_string(), node_b.addr.to_string());
    // Behind a load balancer the seed and the tip may go through different nodes.
    let solved = solved_seed(&a).await;
    let tip = |lookup: u8| solved.body([lookup; 32], smallest_sealed());
    let status = post_status(&b, "/v1/tips", tip(1)).await;
    assert_eq!(status, 200, "a seed from node A is good on node B");
    for node in [&a, &b] {
        let status = post_status(node, "/v1/tips", tip(2)).await;
        assert_eq!(status, 403, "spent on one node, refused on every node");
    }
}

/// A wake between nodes is a PUBLISH, at most once. A frame stored without one (as if its
/// wake had been lost) still reaches the visitor: at its next keepalive.
#[tokio::test]
async fn a_frame_whose_wake_was_lost_arrives_with_the_next_keepalive() {
    use lifeline::protocol::frames::PayloadKind;
    use lifeline::protocol::{RelayFrame, VisitorFrame};
    use lifeline::store::{Append, ChatStore, StoredFrame, Way};
    let redis = RedisServer::start();
    let (node_a, _node_b, _dir) = two_nodes(&redis).await;
    let (mut wire, session, seed, difficulty) = challenged(&node_a).await;
    wire.set_timeout(Duration::from_secs(3));
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    assert!(matches!(
        wire.recv().await.unwrap(),
        RelayFrame::Welcome { .. }
    ));
    // The queue position comes 150 ms later: by then the connection only waits for wakes.
    assert!(matches!(
        wire.recv().await.unwrap(),
        RelayFrame::Queue { .. }
    ));

    let frame = StoredFrame {
        seq: 1,
        kind: PayloadKind::Data,
        body: vec![5; 40],
    };
    let limits = node_a.relay.buffer_limits();
    let stored = node_a
        .relay
        .store
        .append(&session, Way::ToVisitor, frame, limits)
        .await
        .unwrap();
    assert_eq!(stored, Append::Stored);
    wire.send(VisitorFrame::Ping {}).await.unwrap();
    loop {
        match wire.recv().await.expect("the stored frame arrives") {
            RelayFrame::Deliver { seq, body, .. } => {
                assert_eq!((seq, body.0), (1, vec![5; 40]));
                break;
            }
            RelayFrame::Pong {} | RelayFrame::Queue { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// The same for a coordinator: a frame stored for the conversation it holds, with its wake
/// lost (counted as sent by the visitor's node, never published), reaches it after the
/// next heartbeat (every 5 s) of the visitor's node: its count of wakes sent tells the
/// coordinator's node that one never came, and that node pulls what its coordinators hold.
#[tokio::test]
async fn a_coordinator_gets_a_frame_whose_wake_was_lost_at_the_next_heartbeat() {
    use lifeline::protocol::RelayFrame;
    use lifeline::protocol::frames::PayloadKind;
    use lifeline::store::{Append, ChatStore, StoredFrame, Way};
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis).await;
    let mut visitor = node_a.visitor().await;
    let session = visitor.session;
    let mut c = node_b.on_duty(803, "Bastien", 1).await;
    claim_and_connect(&mut c, &mut visitor).await;

    let store = &node_a.relay.store;
    let seq = store
        .get(&session)
        .await
        .unwrap()
        .unwrap()
        .next_to_coordinator;
    let frame = StoredFrame {
        seq,
        kind: PayloadKind::Data,
        body: vec![7; 40],
    };
    let limits = node_a.relay.buffer_limits();
    let stored = store.append(&session, Way::ToCoordinator, frame, limits);
    assert_eq!(stored.await.unwrap(), Append::Stored);
    node_a.relay.nodes.wakes_sent.count(&node_b.relay.nodes.id);
    // Raw frames: the body is not a real envelope, only its arrival matters here.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let next = tokio::time::timeout_at(deadline, c.recv_frame()).await;
        match next
            .expect("the stored frame arrives within a heartbeat")
            .unwrap()
        {
            RelayFrame::Deliver {
                session: Some(s),
                seq: got,
                body,
                ..
            } if s == session && got == seq => {
                assert_eq!(body.0, vec![7; 40]);
                break;
            }
            _ => continue,
        }
    }
}

/// The widget's home screen reads `on_duty` from `/v1/config`: a visitor reaching a node
/// where no one of its own is on duty must still hear of the colleagues on another node.
#[tokio::test]
async fn config_counts_the_coordinators_on_duty_on_every_node() {
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis).await;
    let _on_a = node_a.on_duty(813, "Amara", 1).await;
    let on_duty = || async {
        let (_, body) = lifeline::client::tipster::request(
            &node_b.addr.to_string(),
            "GET",
            "/v1/config",
            None,
            &[],
        )
        .await
        .expect("config");
        let config: serde_json::Value = serde_json::from_str(&body).expect("json");
        config["on_duty"].as_u64()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while on_duty().await != Some(1) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B says no one is on duty"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
