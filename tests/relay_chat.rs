//! Live chat over real sockets, real crypto on both sides: claim, both directions, the
//! claim race, transfer, resume with no loss or duplicate, requeue, end and wipe, expiry.

use crate::common;

use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::visitor::VisitorEvent;
use lifeline::protocol::frames::PeerEvent;
use lifeline::store::ChatStore;

#[tokio::test]
async fn visitor_and_coordinator_chat_both_ways_then_visitor_ends_and_wipes() {
    let relay = TestRelay::start().await;
    let mut coordinator = relay.on_duty(200, "Amara", 2).await;
    let mut visitor = relay.visitor().await;
    let alias = claim_and_connect(&mut coordinator, &mut visitor).await;
    assert_eq!(alias, "Amara", "the visitor sees the certified alias");

    visitor
        .send_text("I need help, is this safe?")
        .await
        .unwrap();
    let (session, text) = next_text_coordinator(&mut coordinator).await;
    assert_eq!(
        (session, text.as_str()),
        (visitor.session, "I need help, is this safe?")
    );
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Delivered(1)))
        .await
        .unwrap();

    for line in ["Yes. You can leave at any time.", "Where are you, roughly?"] {
        coordinator.send_text(session, line).await.unwrap();
    }
    assert_eq!(
        next_text_visitor(&mut visitor).await,
        "Yes. You can leave at any time."
    );
    assert_eq!(
        next_text_visitor(&mut visitor).await,
        "Where are you, roughly?"
    );

    visitor.end().await.unwrap();
    coordinator
        .wait_for(|e| matches!(e, CoordinatorEvent::VisitorClosed(_)))
        .await
        .unwrap();
    coordinator
        .wait_for(|e| {
            matches!(
                e,
                CoordinatorEvent::Peer {
                    event: PeerEvent::Ended,
                    ..
                }
            )
        })
        .await
        .unwrap();
    coordinator
        .wait_for(|e| matches!(e, CoordinatorEvent::Released(_)))
        .await
        .unwrap();
    relay.until_erased(&session).await;
    assert_eq!(without_tombstones(&relay.visitor_state().await), "");
    let err = visitor.wait_for(|_| false).await.unwrap_err();
    assert_eq!(err.close_code(), Some(4010));
}

#[tokio::test]
async fn visitor_is_told_at_once_when_nobody_is_on_duty() {
    let relay = TestRelay::start().await;
    let mut visitor = relay.visitor().await;
    match visitor.next_event().await.unwrap() {
        VisitorEvent::Queue {
            position, on_duty, ..
        } => assert_eq!((position, on_duty), (1, 0)),
        other => panic!("expected the queue, got {other:?}"),
    }
    // A coordinator going on duty updates the waiting visitor.
    let _c = relay.on_duty(201, "Bo", 1).await;
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Queue { on_duty: 1, .. }))
        .await
        .unwrap();
}

#[tokio::test]
async fn two_claims_of_one_visitor_exactly_one_wins() {
    let relay = TestRelay::start().await;
    let mut a = relay.on_duty(210, "A", 1).await;
    let mut b = relay.on_duty(211, "B", 1).await;
    let visitor = relay.visitor().await;
    let session = visitor.session;
    let (ra, rb) = tokio::join!(a.claim(session), b.claim(session));
    ra.unwrap();
    rb.unwrap();
    let outcome = |e: &CoordinatorEvent| {
        matches!(
            e,
            CoordinatorEvent::Claimed { .. } | CoordinatorEvent::ClaimLost(_)
        )
    };
    let (ea, eb) = tokio::join!(a.wait_for(outcome), b.wait_for(outcome));
    let wins = [ea.unwrap(), eb.unwrap()]
        .iter()
        .filter(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
        .count();
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn transfer_hands_the_visitor_to_a_colleague_with_a_fresh_handshake() {
    let relay = TestRelay::start().await;
    let mut a = relay.on_duty(220, "Amara", 2).await;
    let mut b = relay.on_duty(221, "Bastien", 2).await;
    let mut visitor = relay.visitor().await;
    assert_eq!(claim_and_connect(&mut a, &mut visitor).await, "Amara");
    let session = visitor.session;
    visitor.send_text("hello Amara").await.unwrap();
    assert_eq!(next_text_coordinator(&mut a).await.1, "hello Amara");

    a.transfer(session, 999).await.unwrap();
    a.wait_for(|e| matches!(e, CoordinatorEvent::TransferFailed(_)))
        .await
        .unwrap();
    // Stored, but Amara hands over before acknowledging it.
    visitor.send_text("sent as she hands over").await.unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Stored(2)))
        .await
        .unwrap();
    a.transfer(session, 221).await.unwrap();
    // The visitor is asked first (this client accepts) and then told it goes ahead.
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
        .await
        .unwrap();
    a.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    // Typed during the hand-over: waits for the new keys, never goes to the old coordinator.
    assert_eq!(
        visitor
            .send_text("typed during the hand-over")
            .await
            .unwrap(),
        lifeline::client::visitor::Sent::Waiting
    );
    assert_eq!(handed_over(&mut b).await.as_deref(), Some("Amara"));
    assert_eq!(
        connected_to(&mut visitor).await,
        "Bastien",
        "the visitor sees the new verified alias"
    );
    // Undelivered text is re-encrypted for Bastien, in order, before what was typed meanwhile.
    assert_eq!(
        next_text_coordinator(&mut b).await.1,
        "sent as she hands over"
    );
    assert_eq!(
        next_text_coordinator(&mut b).await.1,
        "typed during the hand-over"
    );
    visitor.send_text("hello Bastien").await.unwrap();
    assert_eq!(next_text_coordinator(&mut b).await.1, "hello Bastien");
    b.send_text(session, "I'm here").await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "I'm here");
    // The previous coordinator no longer holds it.
    assert!(!a.conversations.contains_key(&session));
}

#[tokio::test]
async fn resume_after_a_dropped_connection_loses_nothing_and_duplicates_nothing() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(230, "Amara", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    let session = visitor.session;
    c.send_text(session, "m1").await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "m1");

    visitor.drop_connection();
    c.wait_for(|e| {
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
    for text in ["m2", "m3", "m4"] {
        c.send_text(session, text).await.unwrap();
    }
    // Written while offline: goes out on resume.
    visitor.send_text("typed while offline").await.unwrap();
    visitor.resume().await.unwrap();
    c.wait_for(|e| {
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
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(next_text_visitor(&mut visitor).await);
    }
    assert_eq!(got, ["m2", "m3", "m4"]);
    assert_eq!(next_text_coordinator(&mut c).await.1, "typed while offline");
    // A second resume right away replays nothing already received.
    visitor.resume().await.unwrap();
    c.send_text(session, "m5").await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "m5");
}

#[tokio::test]
async fn a_coordinator_whose_connection_dies_has_its_visitors_requeued_and_told() {
    let relay = TestRelay::start().await;
    let mut a = relay.on_duty(240, "A", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut a, &mut visitor).await;
    drop(a);
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Queue { position: 1, .. }))
        .await
        .unwrap();
    let mut b = relay.on_duty(241, "B", 1).await;
    assert_eq!(claim_and_connect(&mut b, &mut visitor).await, "B");
    visitor.send_text("still here").await.unwrap();
    assert_eq!(next_text_coordinator(&mut b).await.1, "still here");
}

#[tokio::test]
async fn a_conversation_given_back_goes_to_the_queue_told_and_a_colleague_carries_on() {
    let relay = TestRelay::start().await;
    let mut a = relay.on_duty(242, "A", 1).await;
    let mut other = relay.visitor().await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut a, &mut visitor).await;
    // Not theirs to give: answered `released`, and nothing moves.
    a.release(other.session).await.unwrap();
    a.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == other.session))
        .await
        .unwrap();
    assert!(is_queued(&relay, &other.session).await);
    assert!(!is_queued(&relay, &visitor.session).await);

    a.release(visitor.session).await.unwrap();
    a.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == visitor.session))
        .await
        .unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .unwrap();
    assert!(is_queued(&relay, &visitor.session).await);
    // Its seat is free again, and the conversation goes on with a colleague, nothing lost.
    assert_eq!(claim_and_connect(&mut a, &mut other).await, "A");
    let mut b = relay.on_duty(243, "B", 1).await;
    assert_eq!(claim_and_connect(&mut b, &mut visitor).await, "B");
    visitor.send_text("still here").await.unwrap();
    assert_eq!(next_text_coordinator(&mut b).await.1, "still here");
    drop(other);
}

#[tokio::test]
async fn coordinator_ends_and_the_visitor_is_told() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(250, "A", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    c.end(visitor.session).await.unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::CoordinatorClosed))
        .await
        .unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Ended)))
        .await
        .unwrap();
    assert_eq!(
        visitor.wait_for(|_| false).await.unwrap_err().close_code(),
        Some(4010)
    );
    relay.until_erased(&visitor.session).await;
}

#[tokio::test]
async fn idle_sessions_expire_and_leave_nothing() {
    let relay = TestRelay::start().await;
    let mut visitor = relay.visitor().await;
    visitor.next_event().await.unwrap();
    relay.relay.store.touch(&visitor.session, 0).await.unwrap();
    relay.relay.sweep().await;
    relay.until_erased(&visitor.session).await;
    assert_eq!(without_tombstones(&relay.visitor_state().await), "");
    let err = visitor.wait_for(|_| false).await.unwrap_err();
    assert_eq!(err.close_code(), Some(4007));
    assert!(
        visitor.resume().await.is_err(),
        "an expired session cannot be resumed"
    );
}

#[tokio::test]
async fn graceful_shutdown_tells_clients_to_reconnect() {
    let relay = TestRelay::start().await;
    let mut visitor = relay.visitor().await;
    visitor.next_event().await.unwrap();
    let _dir = relay.stop().await;
    let err = visitor.wait_for(|_| false).await.unwrap_err();
    assert_eq!(err.close_code(), Some(1001));
}

#[tokio::test]
async fn a_visitor_offline_during_a_transfer_rekeys_on_return() {
    let relay = TestRelay::start().await;
    let mut a = relay.on_duty(260, "Amara", 1).await;
    let mut b = relay.on_duty(261, "Bastien", 1).await;
    let mut visitor = relay.visitor().await;
    visitor.consent = lifeline::client::visitor::Consent::Ask;
    claim_and_connect(&mut a, &mut visitor).await;
    let session = visitor.session;
    // A visitor who is away cannot be asked: nothing moves (§9.6).
    visitor.drop_connection();
    a.wait_for(|e| {
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
    a.transfer(session, 261).await.unwrap();
    a.wait_for(|e| matches!(e, CoordinatorEvent::TransferFailed(s) if *s == session))
        .await
        .unwrap();
    visitor.resume().await.unwrap();
    // Asked once back; they accept, and lose their connection before the hand-over.
    a.transfer(session, 261).await.unwrap();
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::TransferOffer(Some(_))))
        .await
        .unwrap();
    visitor.answer_transfer(true).await.unwrap();
    visitor.drop_connection();
    a.wait_for(|e| matches!(e, CoordinatorEvent::Released(_)))
        .await
        .unwrap();
    visitor.resume().await.unwrap();
    let (connected, claimed) = tokio::join!(
        visitor.wait_for(|e| matches!(e, VisitorEvent::Connected(_))),
        b.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
    );
    claimed.unwrap();
    assert_eq!(
        connected.unwrap(),
        VisitorEvent::Connected("Bastien".into())
    );
    b.send_text(session, "welcome back").await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, "welcome back");
}

#[tokio::test]
async fn auto_offer_gives_visitors_to_the_least_loaded_coordinator_who_speaks_their_language() {
    let relay = TestRelay::start_with(|c| c.sessions.auto_offer = true).await;
    let mut busy = relay.coordinator(270, "Busy").await;
    busy.duty(true, 2, &["en"]).await.unwrap();
    let mut french = relay.coordinator(271, "Fleur").await;
    french.duty(true, 2, &["fr"]).await.unwrap();
    let claimed = |e: &CoordinatorEvent| matches!(e, CoordinatorEvent::Claimed { .. });
    let mut first = relay.visitor().await; // lang "en"
    busy.wait_for(claimed).await.unwrap();
    assert_eq!(
        first
            .wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
            .await
            .unwrap(),
        VisitorEvent::Connected("Busy".into())
    );
    let mut french_visitor = relay
        .visitor_speaking(lifeline::protocol::frames::ConversationKind::Tip, "fr")
        .await;
    french.wait_for(claimed).await.unwrap();
    assert_eq!(
        french_visitor
            .wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
            .await
            .unwrap(),
        VisitorEvent::Connected("Fleur".into())
    );
    // Nobody speaks Spanish: that visitor waits for a manual claim.
    let mut spanish = relay
        .visitor_speaking(lifeline::protocol::frames::ConversationKind::Chat, "es")
        .await;
    spanish
        .wait_for(|e| {
            matches!(
                e,
                VisitorEvent::Queue {
                    position: 1,
                    on_duty: 2,
                    ..
                }
            )
        })
        .await
        .unwrap();
    assert!(is_queued(&relay, &spanish.session).await);
}

/// Acknowledgements are cumulative. A coordinator that stops reading right after a message
/// has still acknowledged it (the default); one batching its acknowledgements covers a whole
/// burst through its last frame as soon as it reads on.
#[tokio::test]
async fn every_message_read_is_acknowledged_batched_or_not() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(710, "Amara", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;

    visitor.send_text("one").await.unwrap();
    assert_eq!(next_text_coordinator(&mut c).await.1, "one");
    // The coordinator reads nothing more; the visitor still sees "one" delivered.
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Delivered(seq) if *seq >= 1))
        .await
        .unwrap();

    c.batch_acks(true);
    let texts = ["two", "three", "four", "five"];
    for text in texts {
        visitor.send_text(text).await.unwrap();
    }
    for text in texts {
        assert_eq!(next_text_coordinator(&mut c).await.1, text);
    }
    // Reading on (here: until a quiet moment) sends what the burst owes.
    let quiet = std::time::Duration::from_millis(300);
    let _ = tokio::time::timeout(quiet, c.recv_frame()).await;
    visitor
        .wait_for(|e| matches!(e, VisitorEvent::Delivered(seq) if *seq >= 5))
        .await
        .unwrap();
}

/// §9.6: `rekey` only answers `left` or `transferring`. At any other moment the relay closes
/// the visitor's connection with 4004 and changes nothing: the holder keeps the session and
/// gets no second `claimed`, and the conversation carries on under the same keys.
#[tokio::test]
async fn a_rekey_while_held_is_refused_and_changes_nothing() {
    use lifeline::crypto::handshake::VisitorHandshake;
    use lifeline::crypto::keys::DhSecret;
    use lifeline::protocol::{Bytes, VisitorFrame};
    use lifeline::store::Assignment;
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(280, "Amara", 2).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    let session = visitor.session;
    let message1_before = relay
        .relay
        .store
        .get(&session)
        .await
        .unwrap()
        .unwrap()
        .handshake;

    let (_, fresh) = VisitorHandshake::start(
        session.0,
        relay.relay.keys.organisation,
        DhSecret::generate(),
    );
    let wire = visitor.wire().unwrap();
    wire.send(VisitorFrame::Rekey {
        handshake: Bytes(fresh),
    })
    .await
    .unwrap();
    assert_eq!(close_code(wire).await, Some(4004));

    // Everything the holder hears for a while (read cancel-safely): no second `claimed`.
    let quiet_until = tokio::time::Instant::now() + std::time::Duration::from_millis(700);
    while let Ok(frame) = tokio::time::timeout_at(quiet_until, c.recv_frame()).await {
        let frame = frame.unwrap();
        assert!(
            !matches!(frame, lifeline::protocol::RelayFrame::Claimed { .. }),
            "the holder got a second claimed"
        );
        c.handle(frame).await.unwrap();
    }
    let info = relay.relay.store.get(&session).await.unwrap().unwrap();
    assert_eq!(info.assignment, Assignment::Claimed(280));
    assert_eq!(info.handshake, message1_before, "message 1 unchanged");

    // Same session, same keys: the visitor resumes and both directions still work.
    visitor.resume().await.unwrap();
    round_trip(&mut c, &mut visitor, "after a refused rekey").await;
}

/// A queued session is no one's yet: a `rekey` there (a visitor told `transferring` then
/// `left` answers both) replaces the waiting message 1, and the next claim answers the
/// latest one.
#[tokio::test]
async fn a_rekey_while_queued_replaces_the_waiting_message1() {
    use lifeline::protocol::{Bytes, VisitorFrame};
    let relay = TestRelay::start().await;
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    wire.send(VisitorFrame::Rekey {
        handshake: Bytes(vec![7; 32]),
    })
    .await
    .unwrap();
    wire.send(VisitorFrame::Ping {}).await.unwrap();
    while !matches!(
        wire.recv().await.unwrap(),
        lifeline::protocol::RelayFrame::Pong {}
    ) {}
    let info = relay.relay.store.get(&session).await.unwrap().unwrap();
    assert_eq!(info.handshake, vec![7; 32]);
    assert!(is_queued(&relay, &session).await, "still claimable");
}

/// §3: a coordinator that cannot answer a message 1 (a low-order key some relay let
/// through: planted in the store here) ends that conversation and keeps its connection.
#[tokio::test]
async fn a_coordinator_ends_a_conversation_whose_message1_it_cannot_answer() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(281, "Amara", 2).await;
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    while !matches!(
        wire.recv().await.unwrap(),
        lifeline::protocol::RelayFrame::Welcome { .. }
    ) {}
    relay
        .relay
        .store
        .set_handshake(&session, vec![0; 32])
        .await
        .unwrap();
    c.claim(session).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .expect("the conversation ends, the connection stays");
    relay.until_erased(&session).await;
    assert_eq!(
        close_code(&mut wire).await,
        Some(4010),
        "the visitor is told it ended"
    );
    // Still connected and on duty: the next visitor is claimed and answered.
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    round_trip(&mut c, &mut visitor, "next").await;
}

/// The store's word is final: a conversation the store no longer gives its coordinator
/// (requeued by another node whose word never came) is released to them when they write to
/// it, and their seat is free again, not counted against their capacity for good.
#[tokio::test]
async fn a_conversation_the_store_took_away_is_released_and_frees_its_seat() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(830, "Amara", 1).await;
    let mut v = relay.visitor().await;
    let session = v.session;
    claim_and_connect(&mut c, &mut v).await;
    assert!(!relay.relay.has_room(830), "one seat, taken");
    assert!(relay.relay.store.requeue(&session, 830).await.unwrap());
    c.send_text(session, "still there?").await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .expect("released");
    let seated = relay.relay.live.with(|live| {
        live.coordinators
            .get(&830)
            .map(|c| c.sessions.contains(&session))
    });
    assert_eq!(seated, Some(false));
    assert!(relay.relay.has_room(830), "the seat is free again");
}
