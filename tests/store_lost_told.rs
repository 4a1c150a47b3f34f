//! Two losses the store's generation check used to leave half told (issue 24, §9.5): a
//! conversation claimed just before Redis came back from a snapshot, with no frame stored
//! yet; and a coordinator whose connection dropped, resuming after the store lost their
//! conversations. Each side hears 4014 / `peer lost`, never 4010, 4007 or a bare `released`.

use crate::common;
use crate::faults;

use std::time::Duration;

use common::*;
use faults::*;
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::config::StoreKind;
use lifeline::protocol::SessionId;
use lifeline::store::{Assignment, ChatStore};

/// Waits until the relay's store says `session` is claimed by `serial`.
async fn claimed_in_store(relay: &TestRelay, session: &SessionId, serial: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while relay.relay.store.assignment(session).await.ok().flatten()
        != Some(Assignment::Claimed(serial))
    {
        assert!(tokio::time::Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Redis back from a snapshot taken just before a claim (within one generation check, so
/// the tick cannot show it), the coordinator's answer not yet stored: the claim itself is
/// the evidence. Five times over, as the check's timing varies.
#[tokio::test]
async fn a_claim_just_before_a_rewind_is_told_store_lost_to_both_sides() {
    let mut redis = RedisServer::start();
    let (relay, mut c, _chatting) = chatting_on(&redis, 720).await;
    for round in 0..5 {
        let mut v = relay.visitor().await;
        let session = v.session;
        redis_command(&redis, "SAVE").await;
        // Claimed without reading the answer: the client sends its message 2 only once it
        // reads `claimed`, after the rewind.
        c.claim(session).await.unwrap();
        claimed_in_store(&relay, &session, 720).await;
        redis.kill();
        redis.restart();
        assert_eq!(
            visitor_closed_with(&mut v).await,
            Some(STORE_LOST),
            "round {round}: the visitor is told the store lost it"
        );
        coordinator_told_lost(&mut c, session).await;
    }
    a_fresh_conversation_works(&relay, &mut c).await;
}

/// The coordinator's connection drops (their conversation is held for them), Redis comes
/// back empty meanwhile, and they resume it: they hear `peer lost`, then `released`.
#[tokio::test]
async fn a_coordinator_resuming_after_redis_lost_its_conversation_is_told_lost() {
    let mut redis = RedisServer::start();
    let relay = held_on(&redis).await;
    let mut c = relay.on_duty(721, "Amara", 2).await;
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "hello", "hello, I am here").await;
    c.wire().cut().await;
    held_for(&relay, &session, 721).await;

    redis.kill();
    redis.restart();
    assert_eq!(visitor_closed_with(&mut v).await, Some(STORE_LOST));
    resumes_and_is_told_lost(&relay, &mut c, session).await;
}

/// The same on the memory store: the relay restarted (its store with it) while the
/// coordinator was away.
#[tokio::test]
async fn a_coordinator_resuming_after_a_memory_relay_restart_is_told_lost() {
    let relay = TestRelay::start_with(on_memory_with_grace).await;
    let mut c = relay.on_duty(722, "Amara", 2).await;
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "hello", "hello, I am here").await;
    c.wire().cut().await;
    v.drop_connection();
    // Restarted on the same address and folder, with the same grace.
    let (addr, data_dir) = (relay.addr.to_string(), relay.data_dir.clone());
    let _kept = relay.stop().await;
    let relay = TestRelay::start_at(data_dir, &addr, on_memory_with_grace).await;
    resumes_and_is_told_lost(&relay, &mut c, session).await;
}

fn on_memory_with_grace(c: &mut lifeline::config::Config) {
    c.store.kind = StoreKind::Memory;
    c.sessions.coordinator_grace_s = 60;
}

/// Waits until `session` is held for `serial` (their connection dropped).
async fn held_for(relay: &TestRelay, session: &SessionId, serial: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while relay.relay.store.assignment(session).await.ok().flatten()
        != Some(Assignment::Held(serial))
    {
        assert!(tokio::time::Instant::now() < deadline, "never held");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `c` signs in again, names `session` in `resume_sessions`, and hears `peer lost` then
/// `released` for it (never a bare `released`).
async fn resumes_and_is_told_lost(
    relay: &TestRelay,
    c: &mut CoordinatorClient,
    session: SessionId,
) {
    // Within a check (0.5 s) the relay has seen the loss.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let heard = heard_on_return(relay, c, session).await;
    assert_eq!(heard, ["peer Lost", "released"], "told plainly, in order");
    assert!(!c.conversations.contains_key(&session));
}
