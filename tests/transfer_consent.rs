//! Consent before a hand-over (docs/protocol.md §9.6) and what a hand-over carries (§5.1),
//! through a real relay on the store under test: the visitor is shown the colleague's
//! verified alias and accepts, declines or says nothing; the receiving coordinator sees the
//! visitor's language and a note only it can open.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::handover::HandoverNote;
use lifeline::client::visitor::{Consent, VisitorClient, VisitorEvent};
use lifeline::crypto::handover_note;
use lifeline::protocol::frames::{ConversationKind, PeerEvent, TransferStatus};
use lifeline::protocol::{Bytes, CoordinatorFrame, SessionId};
use rand_core::OsRng;

/// Amara holds a French-speaking visitor who will be asked about hand-overs.
async fn amara_with_a_visitor(relay: &TestRelay) -> (CoordinatorClient, VisitorClient) {
    let mut amara = relay.on_duty(900, "Amara", 2).await;
    let mut v = relay.visitor_speaking(ConversationKind::Chat, "fr").await;
    v.consent = Consent::Ask;
    claim_and_connect(&mut amara, &mut v).await;
    round_trip(&mut amara, &mut v, "before the hand-over").await;
    (amara, v)
}

async fn status(c: &mut CoordinatorClient, session: SessionId) -> TransferStatus {
    match c
        .wait_for(
            |e| matches!(e, CoordinatorEvent::TransferStatus { session: s, .. } if *s == session),
        )
        .await
        .expect("transfer status")
    {
        CoordinatorEvent::TransferStatus { status, .. } => status,
        _ => unreachable!(),
    }
}

async fn offered(v: &mut VisitorClient) -> Option<String> {
    match v
        .wait_for(|e| matches!(e, VisitorEvent::TransferOffer(_)))
        .await
        .expect("offer")
    {
        VisitorEvent::TransferOffer(alias) => alias,
        _ => unreachable!(),
    }
}

/// Waits until `c`'s roster lists `serial` (the note is sealed to its certificate).
async fn sees_on_duty(c: &mut CoordinatorClient, serial: u64) {
    c.wait_for(
        |e| matches!(e, CoordinatorEvent::Roster(r) if r.iter().any(|x| x.serial == serial)),
    )
    .await
    .expect("roster");
}

async fn claimed(c: &mut CoordinatorClient) -> CoordinatorEvent {
    c.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
        .await
        .expect("hand-over reaches the colleague")
}

#[tokio::test]
async fn an_accepted_hand_over_carries_the_language_and_the_sealed_note() {
    let relay = TestRelay::start().await;
    let (mut amara, mut v) = amara_with_a_visitor(&relay).await;
    let mut bastien = relay.on_duty(901, "Bastien", 2).await;
    let session = v.session;
    sees_on_duty(&mut amara, 901).await;

    amara
        .transfer_with_note(session, 901, "Prefers short messages.")
        .await
        .unwrap();
    assert_eq!(status(&mut amara, session).await, TransferStatus::Waiting);
    assert_eq!(
        offered(&mut v).await.as_deref(),
        Some("Bastien"),
        "the visitor sees the colleague's verified alias"
    );
    // Nothing has moved yet: Amara still answers.
    round_trip(&mut amara, &mut v, "while the visitor decides").await;

    v.answer_transfer(true).await.unwrap();
    assert_eq!(status(&mut amara, session).await, TransferStatus::Accepted);
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    let (event, alias) = tokio::join!(claimed(&mut bastien), connected_to(&mut v));
    assert_eq!(alias, "Bastien");
    match event {
        CoordinatorEvent::Claimed {
            session: s,
            transferred_from,
            lang,
            note,
            ..
        } => {
            assert_eq!(s, session);
            assert_eq!(transferred_from.as_deref(), Some("Amara"));
            assert_eq!(
                lang.as_deref(),
                Some("fr"),
                "the visitor's language travels"
            );
            assert_eq!(
                note,
                Some(HandoverNote::Text("Prefers short messages.".into()))
            );
        }
        _ => unreachable!(),
    }
    round_trip(&mut bastien, &mut v, "after the hand-over").await;
}

#[tokio::test]
async fn a_declined_hand_over_leaves_the_visitor_with_their_coordinator() {
    let relay = TestRelay::start().await;
    let (mut amara, mut v) = amara_with_a_visitor(&relay).await;
    let mut bastien = relay.on_duty(901, "Bastien", 2).await;
    let session = v.session;

    amara.transfer(session, 901).await.unwrap();
    assert_eq!(offered(&mut v).await.as_deref(), Some("Bastien"));
    v.answer_transfer(false).await.unwrap();
    assert_eq!(status(&mut amara, session).await, TransferStatus::Waiting);
    assert_eq!(status(&mut amara, session).await, TransferStatus::Declined);
    round_trip(&mut amara, &mut v, "still together, same keys").await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), claimed(&mut bastien))
            .await
            .is_err(),
        "Bastien never gets it"
    );
    // A later accept of the answered offer changes nothing.
    v.answer_transfer(true).await.unwrap();
    round_trip(&mut amara, &mut v, "a stray answer is ignored").await;
    // It may be proposed again.
    amara.transfer(session, 901).await.unwrap();
    assert_eq!(offered(&mut v).await.as_deref(), Some("Bastien"));
}

#[tokio::test]
async fn no_answer_in_time_counts_as_declined() {
    let relay = TestRelay::start_with(|c| c.sessions.transfer_answer_s = 1).await;
    let (mut amara, mut v) = amara_with_a_visitor(&relay).await;
    let _bastien = relay.on_duty(901, "Bastien", 2).await;
    let session = v.session;

    amara.transfer(session, 901).await.unwrap();
    assert_eq!(offered(&mut v).await.as_deref(), Some("Bastien"));
    assert_eq!(status(&mut amara, session).await, TransferStatus::Waiting);
    assert_eq!(status(&mut amara, session).await, TransferStatus::Expired);
    v.wait_for(|e| matches!(e, VisitorEvent::TransferWithdrawn))
        .await
        .expect("the visitor is told it will not happen");
    v.answer_transfer(true).await.unwrap();
    round_trip(&mut amara, &mut v, "a late accept moves nothing").await;
}

#[tokio::test]
async fn the_coordinator_leaving_after_a_decline_puts_the_visitor_at_the_front_of_the_queue() {
    let relay = TestRelay::start().await;
    let mut chidi = relay.on_duty(902, "Chidi", 2).await;
    let (mut amara, mut v) = amara_with_a_visitor(&relay).await;
    let _bastien = relay.on_duty(901, "Bastien", 2).await;
    let session = v.session;
    // Someone else waits already.
    let _other = relay.visitor().await;

    amara.transfer(session, 901).await.unwrap();
    offered(&mut v).await;
    v.answer_transfer(false).await.unwrap();
    status(&mut amara, session).await;
    assert_eq!(status(&mut amara, session).await, TransferStatus::Declined);
    v.send_text("thank you for staying").await.unwrap();
    assert_eq!(
        next_text_coordinator(&mut amara).await.1,
        "thank you for staying"
    );

    // Amara's shift ends anyway.
    drop(amara);
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .expect("told their coordinator left");
    v.wait_for(|e| matches!(e, VisitorEvent::Queue { position: 1, .. }))
        .await
        .expect("ahead of the visitor who came later");
    assert_eq!(claim_requeued(&mut chidi, &mut v).await, "Chidi");
    round_trip(&mut chidi, &mut v, "answered next").await;
}

#[tokio::test]
async fn a_note_sealed_to_anyone_but_the_target_does_not_open() {
    let relay = TestRelay::start().await;
    let (mut amara, mut v) = amara_with_a_visitor(&relay).await;
    let mut bastien = relay.on_duty(901, "Bastien", 2).await;
    let session = v.session;
    v.consent = Consent::Accept;

    // Amara's note, sealed properly, but to Chidi: Bastien cannot read it.
    let org = relay.relay.keys.organisation.fingerprint();
    let amara_keys = relay.coordinator_keys(900, "Amara");
    let chidi_keys = relay.coordinator_keys(902, "Chidi");
    let sealed = handover_note::seal(
        &org,
        &session.0,
        &amara_keys.dh,
        &chidi_keys.dh.public(),
        "For Chidi only.",
        &mut OsRng,
    )
    .unwrap();
    amara
        .wire()
        .send(CoordinatorFrame::Transfer {
            session,
            to: 901,
            note: Some(Bytes(sealed)),
        })
        .await
        .unwrap();
    let (event, _) = tokio::join!(claimed(&mut bastien), connected_to(&mut v));
    match event {
        CoordinatorEvent::Claimed { note, .. } => {
            assert_eq!(note, Some(HandoverNote::Unreadable))
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_note_of_the_wrong_size_is_a_malformed_frame() {
    let relay = TestRelay::start().await;
    let (mut amara, v) = amara_with_a_visitor(&relay).await;
    amara
        .wire()
        .send(CoordinatorFrame::Transfer {
            session: v.session,
            to: 901,
            note: Some(Bytes(vec![0; handover_note::SEALED_NOTE_LEN - 1])),
        })
        .await
        .unwrap();
    assert_eq!(close_code(amara.wire()).await, Some(4001));
}
