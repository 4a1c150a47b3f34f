//! Regression tests for the proven findings of issue 27 (docs/SECURITY.md F-6 to F-9), each
//! through the real listener, on the memory store or (`LIFELINE_TEST_STORE=redis`) Redis.

use crate::common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use lifeline::client::ClientError;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::crypto::sealed_tip::MAX_SEALED_LEN;
use lifeline::protocol::http::FOLLOWUP_LIMIT;
use tokio_tungstenite::tungstenite::Message;

/// A socket that reads its challenge, then only ever sends WebSocket pings; the close code
/// the relay ends it with, and how long it lived.
async fn pinging_socket(url: String) -> (Option<u16>, Duration) {
    let started = tokio::time::Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let mut ping = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if ws.send(Message::Ping(vec![1].into())).await.is_err() {
                    return (None, started.elapsed());
                }
            }
            message = ws.next() => match message {
                Some(Ok(Message::Close(frame))) => {
                    return (frame.map(|f| u16::from(f.code)), started.elapsed());
                }
                Some(Ok(_)) => {}
                _ => return (None, started.elapsed()),
            },
        }
    }
}

#[tokio::test]
async fn f6_pings_never_extend_the_challenge_and_coordinators_get_in_past_a_visitor_flood() {
    let relay = TestRelay::start_with(|c| {
        c.limits.max_connections = 3;
        c.limits.idle_timeout_s = 30;
        c.limits.challenge_timeout_s = 2;
        c.limits.auth_timeout_s = 2;
    })
    .await;
    // Every visitor slot is taken by a socket that answers nothing and pings.
    let flood: Vec<_> = (0..3)
        .map(|_| tokio::spawn(pinging_socket(relay.visitor_url())))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    match lifeline::client::wire::Wire::connect(&relay.visitor_url(), &[]).await {
        Err(ClientError::Connect(reason)) => assert!(reason.contains("503"), "{reason}"),
        other => panic!("a fourth visitor socket: {:?}", other.map(|_| ())),
    }
    // A coordinator is not counted against visitors: they sign in and go on duty.
    let mut c = relay.on_duty(600, "Amara", 1).await;
    // A coordinator socket that only pings is cut off at the sign-in deadline too.
    let (code, lived) = pinging_socket(relay.coordinator_url()).await;
    assert_eq!(code, Some(4012), "sign-in deadline");
    assert!(lived < Duration::from_secs(4), "lived {lived:?}");
    for socket in flood {
        let (code, lived) = socket.await.unwrap();
        assert_eq!(code, Some(4012), "the challenge deadline closes it");
        assert!(
            lived < Duration::from_secs(4),
            "pings kept it alive for {lived:?}"
        );
    }
    // The slots are free again: a real visitor gets in and is answered.
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    round_trip(&mut c, &mut v, "after the flood").await;
}

/// A sealed follow-up (or tip) of the largest size the relay takes.
fn largest_sealed() -> Vec<u8> {
    vec![7; MAX_SEALED_LEN]
}

#[tokio::test]
async fn f7_follow_ups_are_capped_and_a_tip_with_the_most_of_them_opens_in_the_console() {
    let max = lifeline::config::MAX_FOLLOWUPS;
    let relay = TestRelay::start_with(|c| {
        c.tips.max_followups = max;
        c.tips.max_followup_bytes = max * MAX_SEALED_LEN;
    })
    .await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let lookup = [3; 32];
    let id = tipster.submit(lookup, largest_sealed()).await.unwrap();
    for _ in 0..max {
        tipster.follow_up(lookup, largest_sealed()).await.unwrap();
    }
    match tipster.follow_up(lookup, smallest_sealed()).await {
        Err(ClientError::Http { status, body }) => {
            assert_eq!(status, 409);
            assert!(body.contains(FOLLOWUP_LIMIT), "{body}");
        }
        other => panic!("follow-up past the cap: {other:?}"),
    }
    // The coordinator's client opens the tip with every follow-up: one frame, within the
    // clients' limit, and the connection stays up.
    let mut c = relay.on_duty(602, "Amara", 1).await;
    let (sealed, followups) = open_tip(&mut c, id, max).await;
    assert_eq!(sealed, largest_sealed());
    assert!(followups.iter().all(|f| f == &largest_sealed()));
    c.list_tips().await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(items) if items.len() == 1))
        .await
        .expect("still connected");
    // Handled, the tip is erased: a follow-up nobody could read is refused (§9.9).
    c.close_tip(id).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(items) if items.is_empty()))
        .await
        .unwrap();
    match tipster.follow_up(lookup, smallest_sealed()).await {
        Err(ClientError::Http { status: 410, .. }) => {}
        other => panic!("a follow-up to a handled tip: {other:?}"),
    }
}

#[tokio::test]
async fn f7_the_follow_up_byte_cap_holds() {
    let relay = TestRelay::start_with(|c| {
        c.tips.max_followups = 10;
        c.tips.max_followup_bytes = MAX_SEALED_LEN;
    })
    .await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let lookup = [4; 32];
    tipster.submit(lookup, smallest_sealed()).await.unwrap();
    tipster.follow_up(lookup, largest_sealed()).await.unwrap();
    match tipster.follow_up(lookup, smallest_sealed()).await {
        Err(ClientError::Http { status: 409, body }) => assert!(body.contains(FOLLOWUP_LIMIT)),
        other => panic!("follow-up past the byte cap: {other:?}"),
    }
}

#[tokio::test]
async fn f8_an_expiring_certificate_is_cut_off_within_a_second() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(603, "Amara", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    // The certificate was issued for one day; the relay's clock moves past it.
    relay.relay.clock.advance(Duration::from_secs(86_400 + 1));
    let started = tokio::time::Instant::now();
    let code = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if let Err(e) = c.next_event().await {
                return e.close_code();
            }
        }
    })
    .await
    .expect("cut off within the bound");
    assert_eq!(code, Some(4006));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Its visitor goes back to the queue, to be answered by someone with a valid one.
    let session = v.session;
    tokio::time::timeout(Duration::from_secs(5), async {
        while !is_queued(&relay, &session).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("visitor requeued");
}

#[tokio::test]
async fn f9_handled_tips_free_the_tip_cap() {
    let relay = TestRelay::start_with(|c| c.tips.max_tips = 2).await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let first = tipster.submit([10; 32], smallest_sealed()).await.unwrap();
    tipster.submit([11; 32], smallest_sealed()).await.unwrap();
    match tipster.submit([12; 32], smallest_sealed()).await {
        Err(ClientError::Http { status: 503, .. }) => {}
        other => panic!("a third tip past the cap: {other:?}"),
    }
    let mut c = relay.on_duty(604, "Amara", 1).await;
    c.close_tip(first).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(items) if items.len() == 1))
        .await
        .unwrap();
    tipster.submit([12; 32], smallest_sealed()).await.unwrap();
    // The handled tip's receipt still reads its replies until retention ends.
    assert!(tipster.replies([10; 32]).await.unwrap().is_empty());
    // A handled tip never reopens, so it never takes a waiting tip's room back.
    match tipster.follow_up([10; 32], smallest_sealed()).await {
        Err(ClientError::Http { status: 410, .. }) => {}
        other => panic!("a handled tip reopened: {other:?}"),
    }
}

#[tokio::test]
async fn f12_a_refused_submission_does_not_use_its_proof_of_work_up() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let solved = solved_seed(&addr).await;
    let post = |path: &'static str, lookup: u8, sealed: Vec<u8>| {
        post_status(&addr, path, solved.body([lookup; 32], sealed))
    };
    // Refused for a wrong size, then for an unknown receipt: the seed is still good.
    assert_eq!(post("/v1/tips", 20, vec![0; 100]).await, 400);
    assert_eq!(
        post("/v1/receipt/followup", 21, smallest_sealed()).await,
        404
    );
    assert_eq!(post("/v1/tips", 22, smallest_sealed()).await, 200);
    assert_eq!(
        post("/v1/tips", 23, smallest_sealed()).await,
        403,
        "spent now"
    );
}
