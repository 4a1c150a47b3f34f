//! A coordinator's connection dies in the middle of a transfer (docs/protocol.md §9.6). The
//! visitor must be told, end up requeued or with the new coordinator, and lose nothing the
//! relay had confirmed: frames the old coordinator had stored still arrive, in order, and
//! text the visitor typed during the hand-over reaches whoever answers next.
//!
//! (A relay node killed mid-chat is the two-node Redis suite's: see docs/threat-model.md.)

use crate::common;

use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::visitor::{Consent, Sent, VisitorEvent};
use lifeline::protocol::frames::PeerEvent;
use std::time::Duration;

#[tokio::test]
async fn the_receiving_coordinator_dies_mid_transfer_and_the_visitor_is_requeued_then_answered() {
    let relay = TestRelay::start().await;
    let mut amara = relay.on_duty(900, "Amara", 2).await;
    let bastien = relay.on_duty(901, "Bastien", 2).await;
    let mut chidi = relay.on_duty(902, "Chidi", 2).await;
    let mut v = relay.visitor().await;
    v.consent = Consent::Ask;
    claim_and_connect(&mut amara, &mut v).await;
    let session = v.session;
    round_trip(&mut amara, &mut v, "before the transfer").await;

    // Amara writes one last line (the relay confirms it stored) and hands over to Bastien.
    let last = amara
        .send_text(session, "stored before the transfer")
        .await
        .unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Stored { seq, .. } if *seq == last))
        .await
        .unwrap();
    amara.transfer(session, 901).await.unwrap();
    assert_eq!(
        next_text_visitor(&mut v).await,
        "stored before the transfer",
        "what the old coordinator had stored still arrives"
    );
    v.wait_for(|e| matches!(e, VisitorEvent::TransferOffer(Some(_))))
        .await
        .unwrap();
    v.answer_transfer(true).await.unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    // Bastien's connection dies before he answers the visitor's new handshake.
    drop(bastien);

    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
        .await
        .unwrap();
    assert_eq!(
        v.send_text("typed during the hand-over").await.unwrap(),
        Sent::Waiting
    );
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .expect("the visitor is told the new coordinator left");
    v.wait_for(|e| matches!(e, VisitorEvent::Queue { position: 1, .. }))
        .await
        .expect("and is back at the front of the queue");
    assert!(is_queued(&relay, &session).await, "claimable again");

    // Chidi answers: a fresh handshake, the waiting text arrives, the chat goes on.
    assert_eq!(claim_and_connect(&mut chidi, &mut v).await, "Chidi");
    assert_eq!(
        next_text_coordinator(&mut chidi).await,
        (session, "typed during the hand-over".into())
    );
    round_trip(&mut chidi, &mut v, "after the failed transfer").await;
}

#[tokio::test]
async fn the_sending_coordinator_dies_right_after_asking_for_a_transfer() {
    let relay = TestRelay::start().await;
    let mut amara = relay.on_duty(910, "Amara", 2).await;
    let mut bastien = relay.on_duty(911, "Bastien", 2).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut amara, &mut v).await;
    let session = v.session;
    round_trip(&mut amara, &mut v, "before the transfer").await;
    v.send_text("acknowledged before the transfer")
        .await
        .unwrap();
    assert_eq!(
        next_text_coordinator(&mut amara).await.1,
        "acknowledged before the transfer"
    );
    v.wait_for(|e| matches!(e, VisitorEvent::Delivered(_)))
        .await
        .unwrap();

    // Amara asks for the transfer and her laptop dies in the same instant.
    amara.transfer(session, 911).await.unwrap();
    drop(amara);

    // Nothing moved before the visitor could accept (§9.6): the proposal dies with her
    // connection, and the visitor goes back to the front of the queue, as on any loss.
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .unwrap();
    assert_eq!(claim_requeued(&mut bastien, &mut v).await, "Bastien");
    round_trip(&mut bastien, &mut v, "after the sender died").await;
    assert_eq!(
        relay.relay.live.with(|live| live
            .coordinators
            .get(&911)
            .map(|c| c.sessions.contains(&session))),
        Some(true)
    );
}

/// F-24 (docs/SECURITY.md): the store refuses the reassignment (here the conversation's
/// record is gone between the visitor's yes and the reassignment, as when it just ended or
/// expired). The colleague must not be told they hold it, and the proposer keeps it.
#[tokio::test]
async fn a_hand_over_the_store_refuses_stays_the_proposer_s() {
    let redis = RedisServer::start();
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let mut amara = relay.on_duty(920, "Amara", 2).await;
    let mut bastien = relay.on_duty(921, "Bastien", 2).await;
    let mut v = relay.visitor().await;
    v.consent = Consent::Ask;
    claim_and_connect(&mut amara, &mut v).await;
    let session = v.session;
    round_trip(&mut amara, &mut v, "before the transfer").await;
    amara.transfer(session, 921).await.unwrap();
    v.wait_for(|e| matches!(e, VisitorEvent::TransferOffer(Some(_))))
        .await
        .unwrap();

    // Only the record goes: the owner key still names Amara, so every check before the
    // reassignment passes and the store's own refusal is what is tested.
    let tag: String = session.0.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(redis.cli(&["DEL", &format!("ll:{{{tag}}}:record")]), "1");
    v.answer_transfer(true).await.unwrap();

    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::TransferFailed(s) if *s == session))
        .await
        .expect("the proposer is told the hand-over failed");
    v.wait_for(|e| matches!(e, VisitorEvent::TransferWithdrawn))
        .await
        .expect("the visitor is told it was withdrawn");
    let handed = tokio::time::timeout(
        Duration::from_secs(1),
        bastien.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. })),
    )
    .await;
    assert!(handed.is_err(), "the colleague was handed {handed:?}");
    let held = |serial| {
        relay.relay.live.with(|live| {
            live.coordinators
                .get(&serial)
                .map(|c| c.sessions.contains(&session))
        })
    };
    assert_eq!((held(920), held(921)), (Some(true), Some(false)));
}
