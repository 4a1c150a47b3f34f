//! Coordinator resume (protocol §9.6): a coordinator whose connection drops keeps their
//! conversations for `sessions.coordinator_grace_s`. The visitor hears `reconnecting`, then
//! `back`, and nothing is lost or doubled either way; after the grace, or when the
//! coordinator signs in without the keys (a restarted console), the visitor is requeued.
//!
//! Runs on the memory store, and on Redis with `LIFELINE_TEST_STORE=redis`; the two-node
//! cases always run on Redis.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::protocol::frames::{PeerEvent, ResumeEntry};
use lifeline::protocol::{CoordinatorFrame, RelayFrame, SessionId};

/// What one side has read so far: texts in arrival order, and what it heard of its peer.
#[derive(Default)]
struct Seen {
    texts: Vec<String>,
    peers: Vec<PeerEvent>,
}

/// Reads the visitor's events into `seen` until `done` holds.
async fn visitor_until(v: &mut VisitorClient, seen: &mut Seen, done: impl Fn(&Seen) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(seen) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "visitor waited too long"
        );
        match v.next_event().await {
            Ok(VisitorEvent::Text(text)) => seen.texts.push(text),
            Ok(VisitorEvent::Peer(event)) => seen.peers.push(event),
            Ok(_) | Err(lifeline::client::ClientError::Timeout) => {}
            Err(e) => panic!("the visitor's connection failed: {e}"),
        }
    }
}

/// Reads the coordinator's events into `seen` until `done` holds; `resumed` counts
/// the conversations it got back.
async fn coordinator_until(
    c: &mut CoordinatorClient,
    seen: &mut Seen,
    done: impl Fn(&Seen) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(seen) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "coordinator waited too long"
        );
        match c.next_event().await {
            Ok(CoordinatorEvent::Text { text, .. }) => seen.texts.push(text),
            Ok(CoordinatorEvent::Released(_)) => panic!("the conversation was taken away"),
            Ok(_) | Err(lifeline::client::ClientError::Timeout) => {}
            Err(e) => panic!("the coordinator's connection failed: {e}"),
        }
    }
}

/// Ten cuts of the coordinator's socket over one conversation, each back within the grace
/// through `urls[round % len]`; messages go both ways before, during and after each cut.
async fn ten_cuts(
    c: &mut CoordinatorClient,
    v: &mut VisitorClient,
    urls: &[String],
) -> (Seen, Seen) {
    let session = v.session;
    let (mut at_visitor, mut at_coordinator) = (Seen::default(), Seen::default());
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for round in 0..10 {
        let before = format!("up {round} before");
        v.send_text(&before).await.unwrap();
        up.push(before);
        let reply = format!("down {round} before");
        c.send_text(session, &reply).await.unwrap();
        down.push(reply);

        c.wire().cut().await;
        visitor_until(v, &mut at_visitor, |s| {
            s.peers.last() == Some(&PeerEvent::Reconnecting)
        })
        .await;
        // Written while the coordinator is away: waits in the relay's buffer.
        let during = format!("up {round} during");
        v.send_text(&during).await.unwrap();
        up.push(during);
        // Typed on the dead socket: never stored, resent after the resume.
        let unsent = format!("down {round} during");
        assert!(c.send_text(session, &unsent).await.is_err());
        down.push(unsent);

        c.reconnect(&urls[round % urls.len()]).await.expect("back");
        visitor_until(v, &mut at_visitor, |s| {
            s.peers.last() == Some(&PeerEvent::Back)
        })
        .await;
        let after = format!("up {round} after");
        v.send_text(&after).await.unwrap();
        up.push(after);
        let reply = format!("down {round} after");
        c.send_text(session, &reply).await.unwrap();
        down.push(reply);
        let (up_len, down_len) = (up.len(), down.len());
        coordinator_until(c, &mut at_coordinator, |s| s.texts.len() >= up_len).await;
        visitor_until(v, &mut at_visitor, |s| s.texts.len() >= down_len).await;
    }
    assert_eq!(
        at_coordinator.texts, up,
        "every visitor message once, in order"
    );
    assert_eq!(
        at_visitor.texts, down,
        "every coordinator message once, in order"
    );
    assert!(
        !at_visitor.peers.contains(&PeerEvent::Left),
        "the visitor was never requeued: {:?}",
        at_visitor.peers
    );
    (at_visitor, at_coordinator)
}

#[tokio::test]
async fn a_socket_cut_ten_times_loses_and_doubles_nothing_and_never_requeues() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut c = relay.on_duty(1500, "Amara", 2).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    let (at_visitor, _) = ten_cuts(&mut c, &mut v, &[relay.coordinator_url()]).await;
    let heard = |e| at_visitor.peers.iter().filter(|p| **p == e).count();
    assert_eq!(heard(PeerEvent::Reconnecting), 10);
    assert_eq!(heard(PeerEvent::Back), 10);
    assert!(!is_queued(&relay, &v.session).await);
}

#[tokio::test]
async fn through_two_nodes_a_coordinator_comes_back_through_either() {
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis, 60).await;
    let mut v = node_a.visitor().await;
    let mut c = node_b.on_duty(1501, "Bastien", 2).await;
    claim_and_connect(&mut c, &mut v).await;
    let urls = [node_a.coordinator_url(), node_b.coordinator_url()];
    ten_cuts(&mut c, &mut v, &urls).await;
}

#[tokio::test]
async fn a_coordinator_whose_node_stops_resumes_through_the_other() {
    let redis = RedisServer::start();
    let (node_a, node_b, _dir) = two_nodes(&redis, 60).await;
    let mut v = node_b.visitor().await;
    let session = v.session;
    let mut c = node_a.on_duty(1502, "Chidi", 2).await;
    claim_and_connect(&mut c, &mut v).await;
    let (mut at_visitor, mut at_coordinator) = (Seen::default(), Seen::default());
    // The coordinator's node restarts: it tells them to reconnect (1001) and holds nothing
    // itself; the hold is in Redis.
    let _dir_a = node_a.stop().await;
    visitor_until(&mut v, &mut at_visitor, |s| {
        s.peers.contains(&PeerEvent::Reconnecting)
    })
    .await;
    v.send_text("still there?").await.unwrap();
    c.reconnect(&node_b.coordinator_url()).await.expect("back");
    coordinator_until(&mut c, &mut at_coordinator, |s| !s.texts.is_empty()).await;
    assert_eq!(at_coordinator.texts, ["still there?"]);
    c.send_text(session, "yes, here").await.unwrap();
    visitor_until(&mut v, &mut at_visitor, |s| !s.texts.is_empty()).await;
    assert_eq!(at_visitor.texts, ["yes, here"]);
    assert!(at_visitor.peers.contains(&PeerEvent::Back));
    assert!(!at_visitor.peers.contains(&PeerEvent::Left));
}

#[tokio::test]
async fn back_after_the_grace_the_visitor_was_requeued_and_a_colleague_answers() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 1).await;
    let mut a = relay.on_duty(1503, "Amara", 1).await;
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(&mut a, &mut v).await;
    a.wire().cut().await;
    let mut seen = Seen::default();
    visitor_until(&mut v, &mut seen, |s| s.peers.contains(&PeerEvent::Left)).await;
    assert_eq!(seen.peers, [PeerEvent::Reconnecting, PeerEvent::Left]);
    // Too late: the conversation is no longer hers.
    a.reconnect(&relay.coordinator_url())
        .await
        .expect("signs in");
    a.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .expect("released");
    let mut b = relay.on_duty(1504, "Bastien", 1).await;
    assert_eq!(claim_requeued(&mut b, &mut v).await, "Bastien");
    exchange(&mut b, &mut v, "hello again", "I am here").await;
}

#[tokio::test]
async fn a_console_that_lost_its_keys_has_its_visitors_requeued_at_once() {
    // A grace far longer than the test: only the sign-in can requeue in time.
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 600).await;
    let mut a = relay.on_duty(1505, "Amara", 2).await;
    let mut v1 = relay.visitor().await;
    claim_and_connect(&mut a, &mut v1).await;
    let mut v2 = relay.visitor().await;
    claim_and_connect(&mut a, &mut v2).await;
    a.wire().cut().await;
    for v in [&mut v1, &mut v2] {
        let mut seen = Seen::default();
        visitor_until(v, &mut seen, |s| s.peers.contains(&PeerEvent::Reconnecting)).await;
    }
    // The console restarted: same certificate, no conversation, so it resumes nothing.
    let mut again = relay.coordinator(1505, "Amara").await;
    again
        .wire()
        .send(CoordinatorFrame::ResumeSessions { sessions: vec![] })
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    for v in [&mut v1, &mut v2] {
        let mut seen = Seen::default();
        visitor_until(v, &mut seen, |s| s.peers.contains(&PeerEvent::Left)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "at once, not after the grace"
    );
    assert!(is_queued(&relay, &v1.session).await && is_queued(&relay, &v2.session).await);
}

#[tokio::test]
async fn an_older_console_that_goes_on_duty_without_resuming_requeues_its_visitors() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 600).await;
    let mut a = relay.on_duty(1506, "Amara", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut a, &mut v).await;
    a.wire().cut().await;
    let mut seen = Seen::default();
    visitor_until(&mut v, &mut seen, |s| {
        s.peers.contains(&PeerEvent::Reconnecting)
    })
    .await;
    let _again = relay.on_duty(1506, "Amara", 1).await;
    visitor_until(&mut v, &mut seen, |s| s.peers.contains(&PeerEvent::Left)).await;
}

#[tokio::test]
async fn a_clean_sign_out_requeues_at_once_and_nobody_else_can_resume() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 600).await;
    let mut a = relay.on_duty(1507, "Amara", 1).await;
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(&mut a, &mut v).await;
    // Another coordinator names her conversation: not theirs, refused.
    let mut other = relay.coordinator(1508, "Mallory").await;
    let resume = CoordinatorFrame::ResumeSessions {
        sessions: vec![ResumeEntry {
            session,
            last_seq: 0,
        }],
    };
    other.wire().send(resume).await.unwrap();
    other
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .expect("refused");
    a.sign_out().await;
    let mut seen = Seen::default();
    visitor_until(&mut v, &mut seen, |s| s.peers.contains(&PeerEvent::Left)).await;
    assert_eq!(
        seen.peers,
        [PeerEvent::Left],
        "no reconnecting after a sign-out"
    );
}

/// A relay holding conversations 60 s for a dropped coordinator; coordinator `serial`
/// (Amara) answering a visitor, then cut off: the visitor has heard `reconnecting`.
async fn dropped_while_talking(serial: u64) -> (TestRelay, CoordinatorClient, VisitorClient) {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut c = relay.on_duty(serial, "Amara", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    c.wire().cut().await;
    let mut seen = Seen::default();
    visitor_until(&mut v, &mut seen, |s| {
        s.peers.contains(&PeerEvent::Reconnecting)
    })
    .await;
    (relay, c, v)
}

/// A coordinator's `last_seq` past anything stored (a broken or hostile client) is taken
/// as "everything stored": the relay neither overflows nor waits for frames that will never
/// exist, and the visitor's next words are delivered.
#[tokio::test]
async fn a_resume_claiming_more_than_was_stored_still_delivers_the_visitor_s_next_words() {
    let (relay, _c, mut v) = dropped_while_talking(1512).await;
    let session = v.session;
    let mut back = relay.coordinator(1512, "Amara").await;
    let resume = CoordinatorFrame::ResumeSessions {
        sessions: vec![ResumeEntry {
            session,
            last_seq: u64::MAX,
        }],
    };
    back.wire().send(resume).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut next = async || {
        tokio::time::timeout_at(deadline, back.recv_frame())
            .await
            .expect("in time")
            .expect("the connection lives")
    };
    // What it claimed to have, it is taken to have: the words come after the resume.
    while !matches!(next().await, RelayFrame::Resumed { .. }) {}
    v.send_text("are you there?").await.unwrap();
    loop {
        if let RelayFrame::Deliver { session: s, .. } = next().await {
            assert_eq!(s, Some(session), "the visitor's words delivered");
            break;
        }
    }
}

#[tokio::test]
async fn a_visitor_who_resumes_during_the_grace_hears_reconnecting_and_both_carry_on() {
    let (relay, mut c, mut v) = dropped_while_talking(1509).await;
    let session = v.session;
    v.resume().await.expect("visitor resumes");
    let mut again = Seen::default();
    visitor_until(&mut v, &mut again, |s| {
        s.peers.contains(&PeerEvent::Reconnecting)
    })
    .await;
    c.reconnect(&relay.coordinator_url()).await.unwrap();
    visitor_until(&mut v, &mut again, |s| s.peers.contains(&PeerEvent::Back)).await;
    exchange(&mut c, &mut v, "both of us back", "yes").await;
    let _ = session;
}

#[tokio::test]
async fn resume_sessions_is_only_the_first_frame_and_names_at_most_sixteen() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut late = relay.on_duty(1510, "Amara", 1).await;
    late.wire()
        .send(CoordinatorFrame::ResumeSessions { sessions: vec![] })
        .await
        .unwrap();
    assert_eq!(close_code(late.wire()).await, Some(4004));
    let mut many = relay.coordinator(1511, "Bastien").await;
    let sessions = (0..17u8)
        .map(|i| ResumeEntry {
            session: SessionId([i; 16]),
            last_seq: 0,
        })
        .collect();
    many.wire()
        .send(CoordinatorFrame::ResumeSessions { sessions })
        .await
        .unwrap();
    assert_eq!(close_code(many.wire()).await, Some(4004));
}

/// Two relay nodes on one data folder (the same keys) and one Redis, with `grace_s`.
async fn two_nodes(redis: &RedisServer, grace_s: u64) -> (TestRelay, TestRelay, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("data dir");
    let url = redis.url.clone();
    let setup = move |c: &mut lifeline::config::Config| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url.clone();
        c.sessions.coordinator_grace_s = grace_s;
    };
    let a = TestRelay::start_in(dir.path().to_path_buf(), setup.clone()).await;
    let b = TestRelay::start_in(dir.path().to_path_buf(), setup).await;
    (a, b, dir)
}

/// An end written to a connection already lost (the write fails, or seems not to) is not lost with
/// it: the client keeps the conversation until the relay answers `released`, so the next
/// sign-in resumes it and ends it again. The visitor hears the end, never a requeue.
#[tokio::test]
async fn an_end_written_to_a_lost_connection_is_carried_out_after_the_sign_in() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut c = relay.on_duty(1513, "Amara", 1).await;
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(&mut c, &mut v).await;
    c.wire().cut().await;
    // The write fails (a broken pipe) or seems to pass (a socket not yet known closed).
    let _ = c.end(session).await;
    c.reconnect(&relay.coordinator_url()).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .expect("released once ended");
    assert!(!c.conversations.contains_key(&session));
    let mut seen = Seen::default();
    visitor_until(&mut v, &mut seen, |s| s.peers.contains(&PeerEvent::Ended)).await;
    assert!(
        !seen.peers.contains(&PeerEvent::Left),
        "ended, not requeued: {:?}",
        seen.peers
    );
    relay.until_erased(&session).await;
}
