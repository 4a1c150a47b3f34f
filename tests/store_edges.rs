//! The three edges issue 24 left (§9.5, §9.6), through the real relay over WebSocket on a
//! Redis each test starts itself: a hand-over and a session's creation just before Redis
//! came back from an older snapshot are evidence of the rewind as a claim is (both sides
//! hear 4014 / `peer lost`, never 4007); and a conversation that ended while its coordinator
//! was away, within the grace of a store change, is told as ended (a bare `released`), not
//! as lost. The store's own tombstone tells an end from a loss: sessions ended or expired
//! at once never look like a rewind (run on both stores).

use crate::common;
use crate::faults;

use std::time::Duration;

use common::*;
use faults::*;
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::client::visitor::{Consent, VisitorEvent};
use lifeline::config::{Config, StoreKind};
use lifeline::protocol::SessionId;
use lifeline::protocol::frames::PeerEvent;
use lifeline::store::{Assignment, ChatStore};

const ENDED: u16 = 4010;
/// Rounds of each rewind: a generation check (twice a second) that falls between the
/// snapshot and the crash shows the rewind by its tick alone; the others need the evidence.
const ROUNDS: usize = 5;

/// Waits until the store says `session` is claimed by `serial` with a current message 1.
async fn handed_to(relay: &TestRelay, session: &SessionId, serial: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let info = relay.relay.store.get(session).await.ok().flatten();
        if info
            .is_some_and(|i| i.assignment == Assignment::Claimed(serial) && !i.handshake.is_empty())
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "never handed over");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Redis killed and started again from the snapshot the test saved.
fn rewind(redis: &mut RedisServer) {
    redis.kill();
    redis.restart();
}

/// A hand-over (ASSIGN) and the visitor's fresh message 1 stored after the snapshot, no
/// frame yet under the new keys: the hand-over raised the claim count, and the rewound
/// Redis counts fewer. The visitor hears 4014, the colleague `peer lost` and `released`.
#[tokio::test]
async fn a_hand_over_just_before_a_rewind_is_told_store_lost_to_both_sides() {
    let mut redis = RedisServer::start();
    let (relay, mut amara, _chatting) = chatting_on(&redis, 730).await;
    let mut bastien = relay.on_duty(731, "Bastien", 2).await;
    for round in 0..ROUNDS {
        let mut v = relay.visitor().await;
        v.consent = Consent::Ask;
        let session = v.session;
        claim_and_connect(&mut amara, &mut v).await;
        redis_command(&redis, "SAVE").await;
        amara.transfer(session, 731).await.unwrap();
        v.wait_for(|e| matches!(e, VisitorEvent::TransferOffer(_)))
            .await
            .expect("offered");
        v.answer_transfer(true).await.unwrap();
        // Read here, so the visitor's fresh message 1 goes before the crash.
        v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
            .await
            .expect("transferring");
        handed_to(&relay, &session, 731).await;
        rewind(&mut redis);
        // Bastien reads nothing before the relay's check has seen the rewind: his message
        // 2 would be a frame, evidence the claim count is not needed for.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            visitor_closed_with(&mut v).await,
            Some(STORE_LOST),
            "round {round}: the visitor is told the store lost it"
        );
        coordinator_told_lost(&mut bastien, session).await;
    }
    a_fresh_conversation_works(&relay, &mut bastien).await;
    a_fresh_conversation_works(&relay, &mut amara).await;
}

/// A session created after the snapshot, never claimed, its `welcome` sent: the visitor
/// whose connection dropped meanwhile resumes and hears 4014, never 4007; one still
/// connected is closed with 4014. A fresh conversation works at once.
#[tokio::test]
async fn a_session_begun_just_before_a_rewind_is_told_store_lost() {
    let mut redis = RedisServer::start();
    let (relay, mut c, _chatting) = chatting_on(&redis, 732).await;
    for round in 0..ROUNDS {
        redis_command(&redis, "SAVE").await;
        let mut away = relay.visitor().await;
        away.drop_connection();
        rewind(&mut redis);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let refused = away.resume().await.expect_err("the session is gone");
        assert_eq!(
            refused.close_code(),
            Some(STORE_LOST),
            "round {round}: a resume is told the store lost it ({refused})"
        );
    }
    for round in 0..ROUNDS {
        redis_command(&redis, "SAVE").await;
        let mut connected = relay.visitor().await;
        rewind(&mut redis);
        assert_eq!(
            visitor_closed_with(&mut connected).await,
            Some(STORE_LOST),
            "round {round}: a connected visitor is told the store lost it"
        );
    }
    a_fresh_conversation_works(&relay, &mut c).await;
}

/// Sessions ended (by either side) or expired at once, within one generation check of
/// their creation, are gone with the store's tombstone: the check never takes them for a
/// rewind, and a resume of one is refused as ended (4010 or 4007), as before. On the store
/// under test.
#[tokio::test]
async fn sessions_ended_or_expired_at_once_never_look_like_a_rewind() {
    let relay = TestRelay::start().await;
    let generation = relay.relay.store.generation();
    let mut c = relay.on_duty(733, "Amara", 2).await;
    for round in 0..6 {
        let mut v = relay.visitor().await;
        let session = v.session;
        if round % 2 == 0 {
            v.end().await.unwrap();
        } else {
            claim_and_connect(&mut c, &mut v).await;
            c.end(session).await.unwrap();
        }
        assert_eq!(
            visitor_closed_with(&mut v).await,
            Some(ENDED),
            "round {round}"
        );
        let refused = v.resume().await.expect_err("an ended session stays ended");
        assert!(
            matches!(refused.close_code(), Some(ENDED | UNKNOWN_SESSION)),
            "round {round}: refused with 4010 or 4007, not {refused}"
        );
    }
    let mut idle = relay.visitor().await;
    relay.relay.store.touch(&idle.session, 0).await.unwrap();
    relay.relay.sweep().await;
    assert_eq!(visitor_closed_with(&mut idle).await, Some(UNKNOWN_SESSION));
    // Several checks later, the store is the same.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(relay.relay.store.generation(), generation);
    assert_eq!(
        metric(&relay, "lifeline_store_generation_changes_total").await,
        0
    );
    a_fresh_conversation_works(&relay, &mut c).await;
}

/// A visitor that resumes its brand-new session claiming frames the store never had is
/// refused (4014) and its session erased: by the relay, on purpose, so with a tombstone.
/// The next check must not take the erasure for a rewind, or one visitor could end every
/// conversation. On Redis (the memory store has no check).
#[tokio::test]
async fn a_refused_resume_of_a_new_session_ends_no_other_conversation() {
    use lifeline::protocol::{RelayFrame, VisitorFrame};
    let redis = RedisServer::start();
    let (relay, mut c, mut chatting) = chatting_on(&redis, 736).await;
    let generation = relay.relay.store.generation();
    for round in 0..ROUNDS {
        let (mut wire, session, seed, difficulty) = challenged(&relay).await;
        wire.send(hello(&session, &seed, difficulty)).await.unwrap();
        let RelayFrame::Welcome { token, .. } = wire.recv().await.unwrap() else {
            panic!("no welcome")
        };
        drop(wire);
        let (mut wire, _, _, _) = challenged(&relay).await;
        let resume = VisitorFrame::Resume {
            session,
            token,
            last_seq: 1_000_000,
        };
        wire.send(resume).await.unwrap();
        assert_eq!(
            close_code(&mut wire).await,
            Some(STORE_LOST),
            "round {round}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(relay.relay.store.generation(), generation);
    exchange(&mut c, &mut chatting, "still here?", "still here").await;
}

/// After Redis lost its data (the generation changed), a new conversation whose visitor
/// ends it while the coordinator is away: on their return, a bare `released`, as outside a
/// store change, never `peer lost`.
#[tokio::test]
async fn a_conversation_ended_while_away_after_redis_lost_data_is_told_ended() {
    let mut redis = RedisServer::start();
    let relay = held_on(&redis).await;
    let mut c = relay.on_duty(734, "Amara", 2).await;
    let mut before = relay.visitor().await;
    claim_and_connect(&mut c, &mut before).await;
    redis.kill();
    redis.restart();
    assert_eq!(visitor_closed_with(&mut before).await, Some(STORE_LOST));
    coordinator_told_lost(&mut c, before.session).await;
    ended_while_away_is_told_ended(&relay, &mut c).await;
}

/// The same on the memory store, within the grace of the relay's start (its store's
/// generation began then).
#[tokio::test]
async fn a_conversation_ended_while_away_after_a_memory_relay_start_is_told_ended() {
    let relay = TestRelay::start_with(|c: &mut Config| {
        c.store.kind = StoreKind::Memory;
        c.sessions.coordinator_grace_s = 60;
    })
    .await;
    let mut c = relay.on_duty(735, "Amara", 2).await;
    ended_while_away_is_told_ended(&relay, &mut c).await;
}

/// A conversation with `c`, whose connection drops; the visitor ends it meanwhile; `c`
/// signs in again naming it and hears only `released` for it.
async fn ended_while_away_is_told_ended(relay: &TestRelay, c: &mut CoordinatorClient) {
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(c, &mut v).await;
    exchange(c, &mut v, "hello", "hello, I am here").await;
    c.wire().cut().await;
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Reconnecting)))
        .await
        .expect("told the coordinator is reconnecting");
    v.end().await.unwrap();
    assert_eq!(visitor_closed_with(&mut v).await, Some(ENDED));
    relay.until_erased(&session).await;
    let heard = heard_on_return(relay, c, session).await;
    assert_eq!(heard, ["released"], "told it ended, not that it was lost");
}

/// The store contract: a session marked ended (and about to be erased) is nobody's to take
/// over; a hand-over after the end is refused, on both stores alike (the Redis `ASSIGN`
/// once took it, where memory refused).
async fn an_ended_session_is_handed_to_no_one(relay: &TestRelay) {
    let v = relay.visitor().await;
    let store = &relay.relay.store;
    assert!(store.end(&v.session).await.expect("store").is_some());
    assert!(
        store.assign(&v.session, 739, "").await.is_err(),
        "an ended session was handed over"
    );
    assert_eq!(
        store.assignment(&v.session).await.expect("store"),
        Some(Assignment::Queued),
        "the owner is untouched"
    );
}

#[tokio::test]
async fn an_ended_session_is_handed_to_no_one_in_memory() {
    let relay = TestRelay::start_with(|c| c.store.kind = StoreKind::Memory).await;
    an_ended_session_is_handed_to_no_one(&relay).await;
}

#[tokio::test]
async fn an_ended_session_is_handed_to_no_one_on_redis() {
    let redis = RedisServer::start();
    let relay = on_redis(&redis).await;
    an_ended_session_is_handed_to_no_one(&relay).await;
}

/// A requeue the store refuses (the session is not the caller's: here, queued already)
/// moves no one: the visitors keep their places, on both stores.
async fn a_refused_requeue_moves_no_one(relay: &TestRelay) {
    use lifeline::store::ChatStore;
    let first = relay.visitor().await;
    let second = relay.visitor().await;
    let store = &relay.relay.store;
    let order = || async {
        let queue = store.queue().await.expect("store");
        queue.iter().map(|q| q.id).collect::<Vec<_>>()
    };
    assert_eq!(order().await, [first.session, second.session]);
    assert!(!store.requeue(&second.session, 999).await.expect("store"));
    assert_eq!(order().await, [first.session, second.session], "moved");
}

#[tokio::test]
async fn a_refused_requeue_moves_no_one_in_memory() {
    let relay = TestRelay::start_with(|c| c.store.kind = StoreKind::Memory).await;
    a_refused_requeue_moves_no_one(&relay).await;
}

#[tokio::test]
async fn a_refused_requeue_moves_no_one_on_redis() {
    let redis = RedisServer::start();
    let relay = on_redis(&redis).await;
    a_refused_requeue_moves_no_one(&relay).await;
}

/// A relay on the test's own `redis`.
async fn on_redis(redis: &RedisServer) -> TestRelay {
    let url = redis.url.clone();
    TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await
}
