//! Store-fault helpers shared by the suites that inject them (`store_faults`, `fault_runs`):
//! a chat on a relay over a test's own Redis, freezing Redis, and what each side must be
//! told when the store lost a conversation. Included with `#[path]` next to `mod common`.
//!
//! It must never touch a Redis the test did not start itself.
#![allow(dead_code)]

use std::time::Duration;

use crate::common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::VisitorClient;
use lifeline::config::StoreKind;
use lifeline::protocol::SessionId;
use lifeline::protocol::frames::PeerEvent;

pub const STORE_LOST: u16 = 4014;
pub const UNKNOWN_SESSION: u16 = 4007;
/// How soon both sides must be told (the relay checks the generation twice a second).
pub const TOLD_WITHIN: Duration = Duration::from_secs(5);

/// A relay on `redis`, a coordinator on duty, and a visitor it answered.
pub async fn chatting_on(
    redis: &RedisServer,
    serial: u64,
) -> (TestRelay, CoordinatorClient, VisitorClient) {
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let mut c = relay.on_duty(serial, "Amara", 2).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "hello", "hello, I am here").await;
    (relay, c, v)
}

/// A relay on `redis` that holds a dropped coordinator's conversations for a minute.
pub async fn held_on(redis: &RedisServer) -> TestRelay {
    let url = redis.url.clone();
    TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
        c.sessions.coordinator_grace_s = 60;
    })
    .await
}

/// The close code the visitor's connection ends with, within [`TOLD_WITHIN`].
pub async fn visitor_closed_with(v: &mut VisitorClient) -> Option<u16> {
    let read = async {
        loop {
            if let Err(e) = v.next_event().await {
                return e.close_code();
            }
        }
    };
    tokio::time::timeout(TOLD_WITHIN, read)
        .await
        .expect("the visitor is told within seconds")
}

/// The coordinator is told `peer lost`, then `released`, for `session`.
pub async fn coordinator_told_lost(c: &mut CoordinatorClient, session: SessionId) {
    let told = async {
        c.wait_for(|e| {
            matches!(e, CoordinatorEvent::Peer { session: s, event: PeerEvent::Lost } if *s == session)
        })
        .await
        .expect("peer lost");
        c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
            .await
            .expect("released");
    };
    tokio::time::timeout(TOLD_WITHIN, told)
        .await
        .expect("the coordinator is told within seconds");
    assert!(!c.conversations.contains_key(&session));
}

/// A new visitor is answered at once by `c`.
pub async fn a_fresh_conversation_works(relay: &TestRelay, c: &mut CoordinatorClient) {
    let mut fresh = relay.visitor().await;
    claim_and_connect(c, &mut fresh).await;
    exchange(c, &mut fresh, "starting again", "welcome back").await;
}

pub async fn redis_command(redis: &RedisServer, command: &str) {
    let client = redis::Client::open(redis.url.as_str()).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let _: redis::Value = redis::cmd(command)
        .query_async(&mut con)
        .await
        .expect("redis command");
}

pub fn signal(redis: &RedisServer, signal: &str) {
    let pid = redis.pid().expect("redis runs").to_string();
    let status = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Freezes Redis (SIGSTOP) now and thaws it (SIGCONT) after `time`; the handle ends with
/// the thaw.
pub fn freeze_for(redis: &RedisServer, time: Duration) -> tokio::task::JoinHandle<()> {
    signal(redis, "-STOP");
    let pid = redis.pid().expect("redis runs").to_string();
    tokio::spawn(async move {
        tokio::time::sleep(time).await;
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &pid])
            .status();
    })
}

/// `c` signs in again on `relay` (naming its conversations in `resume_sessions`) and reads
/// until it is `released` from `session`: what it heard about it, in order (`peer <event>`,
/// then `released`).
pub async fn heard_on_return(
    relay: &TestRelay,
    c: &mut CoordinatorClient,
    session: SessionId,
) -> Vec<String> {
    c.reconnect(&relay.coordinator_url())
        .await
        .expect("signed in again");
    let mut heard = Vec::new();
    let read = async {
        loop {
            match c.next_event().await {
                Ok(CoordinatorEvent::Peer { session: s, event }) if s == session => {
                    heard.push(format!("peer {event:?}"))
                }
                Ok(CoordinatorEvent::Released(s)) if s == session => {
                    heard.push("released".to_owned());
                    return;
                }
                Ok(_) | Err(lifeline::client::ClientError::Timeout) => {}
                Err(e) => panic!("the coordinator's connection failed: {e}"),
            }
        }
    };
    tokio::time::timeout(TOLD_WITHIN, read)
        .await
        .expect("told within seconds");
    heard
}
