//! A visitor's set-up with a chat ticket (docs/protocol.md §9.1): the ticket comes with
//! `/v1/config`, `ticket_hello` goes out as soon as the socket is open, and the relay answers
//! in the order the spec gives (challenge, welcome, queue) with the queue position at once.
//! A ticket opens one session, for the session it names, and nothing else stands in for it.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use lifeline::client::tipster::request;
use lifeline::client::visitor::VisitorClient;
use lifeline::client::wire::Wire;
use lifeline::crypto::proof_of_work;
use lifeline::protocol::b64::Fixed;
use lifeline::protocol::frames::ConversationKind;
use lifeline::protocol::http::{ChatTicket, PowSeed};
use lifeline::protocol::{Bytes, RelayFrame, SessionId, VisitorFrame};
use lifeline::relay::QUEUE_BROADCAST_WINDOW;

async fn ticket(relay: &TestRelay) -> ChatTicket {
    let (status, body) = request(&relay.addr.to_string(), "GET", "/v1/config", None, &[])
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let config: serde_json::Value = serde_json::from_str(&body).unwrap();
    serde_json::from_value(config["chat_ticket"].clone()).expect("a chat ticket in the config")
}

fn ticket_hello(session: SessionId, seed: [u8; 16], difficulty: u8) -> VisitorFrame {
    VisitorFrame::TicketHello {
        session,
        seed: Fixed(seed),
        pow_nonce: proof_of_work::solve(&seed, &session.0, difficulty),
        kind: ConversationKind::Chat,
        lang: Some("en".into()),
        handshake: Bytes(vec![9; 32]),
    }
}

/// Sends `frame` first on a fresh visitor connection; the code it is closed with.
async fn refused(relay: &TestRelay, frame: VisitorFrame) -> Option<u16> {
    let mut wire = Wire::connect(&relay.visitor_url(), &[]).await.unwrap();
    wire.send(frame).await.unwrap();
    close_code(&mut wire).await
}

/// Sends `ticket_hello` before reading anything; returns the frames up to the first queue
/// position and how long that position came after the welcome.
async fn arrive(relay: &TestRelay, t: &ChatTicket) -> (Vec<RelayFrame>, Duration) {
    let mut wire = Wire::connect(&relay.visitor_url(), &[]).await.unwrap();
    wire.send(ticket_hello(t.session, t.seed.0, t.difficulty))
        .await
        .unwrap();
    let mut frames = Vec::new();
    let mut welcomed = None;
    loop {
        let frame = wire.recv().await.expect("the relay answers");
        let done = matches!(frame, RelayFrame::Queue { .. });
        if matches!(frame, RelayFrame::Welcome { .. }) {
            welcomed = Some(Instant::now());
        }
        frames.push(frame);
        if done {
            let gap = welcomed.map(|at| at.elapsed()).unwrap_or(Duration::MAX);
            return (frames, gap);
        }
    }
}

#[tokio::test]
async fn a_ticket_hello_is_answered_challenge_welcome_queue_and_the_position_comes_at_once() {
    let relay = TestRelay::start().await;
    let mut gaps = Vec::new();
    for position in 1..=3u32 {
        let t = ticket(&relay).await;
        assert_eq!(t.seed.0[4], t.difficulty, "the seed carries its difficulty");
        let (frames, gap) = arrive(&relay, &t).await;
        let kinds: Vec<&str> = frames
            .iter()
            .map(|f| match f {
                RelayFrame::Challenge { .. } => "challenge",
                RelayFrame::Welcome { .. } => "welcome",
                RelayFrame::Queue { .. } => "queue",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["challenge", "welcome", "queue"], "§9.1's order");
        let RelayFrame::Welcome { session, .. } = &frames[1] else {
            unreachable!()
        };
        assert_eq!(*session, t.session, "the session the ticket named");
        let RelayFrame::Queue { position: got, .. } = frames[2] else {
            unreachable!()
        };
        assert_eq!(got, position);
        gaps.push(gap);
        // Past the window, so each arrival is a lone one.
        tokio::time::sleep(QUEUE_BROADCAST_WINDOW + Duration::from_millis(50)).await;
    }
    // A gathered broadcast waits the whole window; a lone arrival is told at once.
    let fastest = gaps.iter().min().unwrap();
    assert!(
        *fastest < QUEUE_BROADCAST_WINDOW,
        "queue positions came {gaps:?} after the welcome"
    );
}

#[tokio::test]
async fn a_ticket_opens_one_session_for_the_session_it_names_and_nothing_stands_in_for_it() {
    let relay = TestRelay::start().await;
    let refused = |frame| refused(&relay, frame);

    let t = ticket(&relay).await;
    arrive(&relay, &t).await;
    let replayed = ticket_hello(t.session, t.seed.0, t.difficulty);
    assert_eq!(refused(replayed).await, Some(4005), "a ticket is used once");

    let t = ticket(&relay).await;
    let other = SessionId([7; 16]);
    let moved = ticket_hello(other, t.seed.0, t.difficulty);
    assert_eq!(refused(moved).await, Some(4005), "bound to its session");
    let mut easier = t.seed.0;
    easier[4] = 0;
    let cheapened = ticket_hello(t.session, easier, 0);
    assert_eq!(
        refused(cheapened).await,
        Some(4005),
        "bound to its difficulty"
    );

    let (_, body) = request(&relay.addr.to_string(), "GET", "/v1/pow", None, &[])
        .await
        .unwrap();
    let tip: PowSeed = serde_json::from_str(&body).unwrap();
    let as_ticket = ticket_hello(t.session, tip.seed.0, tip.difficulty);
    assert_eq!(
        refused(as_ticket).await,
        Some(4005),
        "a tip's seed is no ticket"
    );

    let wrong_nonce = match ticket_hello(t.session, t.seed.0, t.difficulty) {
        VisitorFrame::TicketHello {
            pow_nonce,
            session,
            seed,
            kind,
            lang,
            handshake,
        } => VisitorFrame::TicketHello {
            pow_nonce: (0..)
                .find(|n| {
                    *n != pow_nonce && !proof_of_work::verify(&seed.0, &session.0, *n, t.difficulty)
                })
                .unwrap(),
            session,
            seed,
            kind,
            lang,
            handshake,
        },
        _ => unreachable!(),
    };
    assert_eq!(refused(wrong_nonce).await, Some(4005), "an unsolved ticket");
    // Still unused after those refusals: the honest visitor holding it gets in.
    let (frames, _) = arrive(&relay, &t).await;
    assert!(matches!(frames[1], RelayFrame::Welcome { .. }));
}

#[tokio::test]
async fn a_visitor_opening_with_a_ticket_chats_with_a_coordinator() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(700, "Ada", 2).await;
    let t = ticket(&relay).await;
    let mut v = VisitorClient::connect_ticketed(
        &relay.visitor_url(),
        relay.relay.keys.organisation,
        ConversationKind::Chat,
        Some("en"),
        &t,
    )
    .await
    .expect("a ticketed visitor is welcomed");
    assert_eq!(v.session, t.session);
    assert_eq!(claim_and_connect(&mut c, &mut v).await, "Ada");
    round_trip(&mut c, &mut v, "ticketed").await;
}

/// §8.1: a malformed `ticket_hello` (a message 1 of the wrong length, a `lang` that is no
/// language tag) is refused at parse with 4001, before its ticket is checked: the ticket is
/// not spent, and the same visitor's well-formed `ticket_hello` gets in with it. A malformed
/// `hello` with a wrong proof-of-work is 4001 too, not 4005.
#[tokio::test]
async fn a_malformed_ticket_hello_is_refused_at_parse_and_does_not_spend_its_ticket() {
    let relay = TestRelay::start().await;
    let refused = |frame| refused(&relay, frame);
    let t = ticket(&relay).await;
    let with =
        |handshake: Vec<u8>, lang: &str| match ticket_hello(t.session, t.seed.0, t.difficulty) {
            VisitorFrame::TicketHello {
                session,
                seed,
                pow_nonce,
                kind,
                ..
            } => VisitorFrame::TicketHello {
                session,
                seed,
                pow_nonce,
                kind,
                lang: Some(lang.into()),
                handshake: Bytes(handshake),
            },
            _ => unreachable!(),
        };
    assert_eq!(
        refused(with(vec![9; 31], "en")).await,
        Some(4001),
        "31 bytes"
    );
    assert_eq!(
        refused(with(vec![9; 33], "en")).await,
        Some(4001),
        "33 bytes"
    );
    assert_eq!(
        refused(with(vec![9; 32], "e n")).await,
        Some(4001),
        "bad lang"
    );
    let (frames, _) = arrive(&relay, &t).await;
    assert!(
        matches!(frames[1], RelayFrame::Welcome { .. }),
        "the ticket was not spent: {frames:?}"
    );

    let mut wire = Wire::connect(&relay.visitor_url(), &[]).await.unwrap();
    let Ok(RelayFrame::Challenge { .. }) = wire.recv().await else {
        panic!("a challenge first");
    };
    wire.send(VisitorFrame::Hello {
        pow_nonce: 0,
        kind: ConversationKind::Chat,
        lang: None,
        handshake: Bytes(vec![9; 31]),
    })
    .await
    .unwrap();
    assert_eq!(
        close_code(&mut wire).await,
        Some(4001),
        "malformed before unsolved"
    );
}

/// On Redis, a redeemed ticket is remembered under a digest of its seed, never the seed: a
/// seed begins with its expiry to the second, which a dump of Redis must not hold (F-64).
#[tokio::test]
async fn a_spent_ticket_is_remembered_by_a_digest_not_its_seed() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let t = ticket(&relay).await;
    let (frames, _) = arrive(&relay, &t).await;
    assert!(matches!(frames[1], RelayFrame::Welcome { .. }));
    let spent = redis.cli(&["KEYS", "ll:pow:used:*"]);
    assert!(
        spent.starts_with("ll:pow:used:"),
        "the ticket is spent: {spent:?}"
    );
    let seed = lifeline::crypto::keys::hex(&t.seed.0);
    assert!(!spent.contains(&seed), "{spent} names the seed {seed}");
    assert_eq!(
        refused(&relay, ticket_hello(t.session, t.seed.0, t.difficulty)).await,
        Some(4005),
        "and still used once"
    );
}
