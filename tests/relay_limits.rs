//! Bad input and abuse: every violation closes that one connection with its code, and the
//! relay keeps serving everyone else.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::ClientError;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::VisitorEvent;
use lifeline::client::wire::Wire;
use lifeline::clock::Clock;
use lifeline::crypto::certificate::CertificateBody;
use lifeline::crypto::keys::{DhSecret, SigningKey};
use lifeline::keyfile::{self, CoordinatorFiles};
use lifeline::protocol::b64::Fixed;
use lifeline::protocol::frames::ConversationKind;
use lifeline::protocol::{Bytes, CoordinatorFrame, RelayFrame, VisitorFrame};
use lifeline::store::ChatStore;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn malformed_frames_close_with_their_reason_and_others_are_unaffected() {
    let relay = TestRelay::start().await;
    let mut bystander = relay.visitor().await;
    bystander.next_event().await.unwrap();
    let cases: [(&str, u16); 4] = [
        ("not json", 4001),
        (r#"{"v":9,"type":"ping"}"#, 4000),
        (r#"{"v":1,"type":"msg","seq":1,"body":"AA"}"#, 4004),
        (
            r#"{"v":1,"type":"hello","pow_nonce":0,"kind":"chat","handshake":"AA","evil":1}"#,
            4001,
        ),
    ];
    for (text, code) in cases {
        let (mut wire, ..) = challenged(&relay).await;
        wire.send_raw(text.to_owned()).await.unwrap();
        assert_eq!(close_code(&mut wire).await, Some(code), "{text}");
    }
    // A wrong proof-of-work: a nonce that does not solve this challenge (a fixed one would
    // solve it by chance once in 2^difficulty runs).
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    let wrong = (0u64..)
        .find(|n| !lifeline::crypto::proof_of_work::verify(&seed, &session.0, *n, difficulty))
        .unwrap();
    let text = format!(
        r#"{{"v":1,"type":"hello","pow_nonce":{wrong},"kind":"chat","handshake":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}}"#
    );
    wire.send_raw(text.clone()).await.unwrap();
    assert_eq!(close_code(&mut wire).await, Some(4005), "{text}");
    let (mut wire, ..) = challenged(&relay).await;
    wire.send_message(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(
        close_code(&mut wire).await,
        Some(4001),
        "binary frames are refused"
    );
    let (mut wire, ..) = challenged(&relay).await;
    wire.send_raw(format!(
        r#"{{"v":1,"type":"ping","x":"{}"}}"#,
        "A".repeat(40_000)
    ))
    .await
    .unwrap();
    assert_eq!(
        close_code(&mut wire).await,
        Some(4002),
        "oversized frames are cut off"
    );
    // The bystander's session is untouched.
    bystander.resume().await.unwrap();
    assert!(is_queued(&relay, &bystander.session).await);
}

#[tokio::test]
async fn a_hello_with_a_bogus_language_tag_is_malformed() {
    let relay = TestRelay::start().await;
    for lang in ["x".repeat(40), "en<script>".to_string()] {
        let (mut wire, _) = hello_with(&relay, Some(lang.clone()), vec![9; 32]).await;
        assert_eq!(close_code(&mut wire).await, Some(4001), "{lang}");
    }
}

/// A raw visitor that answered its challenge with a valid proof-of-work and this `lang` and
/// handshake; returns the wire and the session id.
async fn hello_with(
    relay: &TestRelay,
    lang: Option<String>,
    handshake: Vec<u8>,
) -> (Wire, lifeline::protocol::SessionId) {
    let (mut wire, session, seed, difficulty) = challenged(relay).await;
    let VisitorFrame::Hello {
        pow_nonce, kind, ..
    } = hello(&session, &seed, difficulty)
    else {
        unreachable!()
    };
    wire.send(VisitorFrame::Hello {
        pow_nonce,
        kind,
        lang,
        handshake: Bytes(handshake),
    })
    .await
    .unwrap();
    (wire, session)
}

/// §9.1: a message 1 no coordinator could answer (a low-order X25519 key, in any encoding)
/// is refused at `hello` with 4001 and never reaches the queue; `"lang": null` likewise.
#[tokio::test]
async fn a_hello_with_a_low_order_key_or_a_null_is_malformed() {
    let relay = TestRelay::start().await;
    let mut p_plus_one = [0xffu8; 32]; // 2^255 - 18: u = 1, order 4, not reduced
    p_plus_one[0] = 0xee;
    p_plus_one[31] = 0x7f;
    // A point of order 8, as libsodium's list of low-order points gives it.
    let order_8_hex = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";
    let order_8: [u8; 32] =
        std::array::from_fn(|i| u8::from_str_radix(&order_8_hex[2 * i..2 * i + 2], 16).unwrap());
    let mut one = [0u8; 32];
    one[0] = 1;
    for key in [[0u8; 32], one, p_plus_one, order_8] {
        let (mut wire, session) = hello_with(&relay, None, key.to_vec()).await;
        assert_eq!(close_code(&mut wire).await, Some(4001), "{key:?}");
        relay.until_erased(&session).await;
    }
    // The same hello with a key of full order, but `"lang": null`: refused too.
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    let VisitorFrame::Hello { pow_nonce, .. } = hello(&session, &seed, difficulty) else {
        unreachable!()
    };
    wire.send_raw(format!(
        r#"{{"v":1,"type":"hello","pow_nonce":{pow_nonce},"kind":"chat","lang":null,"handshake":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}}"#
    ))
    .await
    .unwrap();
    assert_eq!(close_code(&mut wire).await, Some(4001));
    relay.until_erased(&session).await;
}

#[tokio::test]
async fn a_receiver_too_far_behind_ends_the_session_instead_of_growing_the_buffer() {
    let relay = TestRelay::start_with(|c| {
        c.sessions.buffer_max_frames = 3;
        c.limits.frames_burst = 100;
    })
    .await;
    let mut c = relay.on_duty(320, "A", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut c, &mut visitor).await;
    // The coordinator stops acknowledging (never reads); the visitor keeps writing.
    for i in 0..5 {
        visitor.send_text(&format!("line {i}")).await.unwrap();
    }
    let ended = visitor
        .wait_for(|e| {
            matches!(
                e,
                VisitorEvent::Peer(lifeline::protocol::frames::PeerEvent::Ended)
            )
        })
        .await;
    assert!(ended.is_ok(), "{ended:?}");
    relay.until_erased(&visitor.session).await;
}

#[tokio::test]
async fn proof_of_work_must_match_this_connection() {
    let relay = TestRelay::start().await;
    use lifeline::crypto::proof_of_work::verify;
    let (_, other_session, other_seed, difficulty) = challenged(&relay).await;
    let (mut wire, session, seed, _) = challenged(&relay).await;
    // A solution for another connection's challenge is refused (no replay across sessions).
    // One that happens to solve this challenge too (once in 2^difficulty) would prove nothing.
    let pow_nonce = (0u64..)
        .find(|n| {
            verify(&other_seed, &other_session.0, *n, difficulty)
                && !verify(&seed, &session.0, *n, difficulty)
        })
        .unwrap();
    wire.send(VisitorFrame::Hello {
        pow_nonce,
        kind: lifeline::protocol::frames::ConversationKind::Chat,
        lang: None,
        handshake: Bytes(vec![9; 32]),
    })
    .await
    .unwrap();
    assert_eq!(close_code(&mut wire).await, Some(4005));
}

#[tokio::test]
async fn flooding_clients_are_cut_off() {
    let relay = TestRelay::start().await;
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    for _ in 0..200 {
        if wire.send(VisitorFrame::Ping {}).await.is_err() {
            break;
        }
    }
    assert_eq!(close_code(&mut wire).await, Some(4003));
}

#[tokio::test]
async fn silent_clients_time_out() {
    let relay = TestRelay::start_with(|c| c.limits.idle_timeout_s = 1).await;
    let (mut wire, ..) = challenged(&relay).await;
    assert_eq!(close_code(&mut wire).await, Some(4012));
}

#[tokio::test]
async fn sequence_gaps_are_refused() {
    let relay = TestRelay::start().await;
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    let msg = |seq| VisitorFrame::Msg {
        seq,
        body: Bytes(vec![0; 300]),
    };
    // A message, then the same again (a resend): each is confirmed, one is stored.
    for _ in 0..2 {
        wire.send(msg(1)).await.unwrap();
        loop {
            match wire.recv().await.unwrap() {
                RelayFrame::Stored { seq, .. } => {
                    assert_eq!(seq, 1);
                    break;
                }
                _ => continue,
            }
        }
    }
    let pending = relay
        .relay
        .store
        .pending(&session, lifeline::store::Way::ToCoordinator, 0)
        .await
        .unwrap();
    assert_eq!(
        pending.len(),
        1,
        "a duplicate is confirmed again, not stored twice"
    );
    wire.send(msg(5)).await.unwrap();
    assert_eq!(close_code(&mut wire).await, Some(4004));
}

#[tokio::test]
async fn connection_and_queue_caps_hold() {
    let relay = TestRelay::start_with(|c| {
        c.sessions.queue_max = 2;
        c.limits.max_connections = 3;
    })
    .await;
    let _a = relay.visitor().await;
    let _b = relay.visitor().await;
    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    assert_eq!(
        close_code(&mut wire).await,
        Some(4008),
        "a full queue says busy"
    );
    drop(wire);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _c = Wire::connect(&relay.visitor_url(), &[]).await.unwrap();
    match Wire::connect(&relay.visitor_url(), &[]).await {
        Err(ClientError::Connect(reason)) => assert!(reason.contains("503"), "{reason}"),
        Ok(_) => panic!("a fourth connection was accepted"),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_off() {
    let relay = TestRelay::start_with(|c| {
        c.limits.outbound_queue = 2;
        c.sessions.queue_max = 5000;
    })
    .await;
    // A coordinator with a tiny receive buffer that stops reading once on duty: the queue
    // broadcasts pile up for it until the relay cuts it off.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let stream = socket.connect(relay.addr).await.unwrap();
    let (mut lazy, _) = tokio_tungstenite::client_async(relay.coordinator_url(), stream)
        .await
        .unwrap();
    use futures_util::{SinkExt, StreamExt};
    let keys = relay.coordinator_keys(300, "Lazy");
    let Some(Ok(Message::Text(challenge))) = lazy.next().await else {
        panic!()
    };
    let RelayFrame::AuthChallenge { nonce, .. } =
        lifeline::protocol::decode_relay(&challenge).unwrap()
    else {
        panic!()
    };
    let signature = keys
        .signing
        .sign(&lifeline::crypto::coordinator_auth::auth_message(
            &nonce.0,
            &relay.relay.keys.organisation.fingerprint(),
        ));
    let auth = CoordinatorFrame::Auth {
        certificate: Bytes(keys.certificate.as_bytes().to_vec()),
        signature: Bytes(signature.to_vec()),
    };
    lazy.send(Message::Text(lifeline::protocol::encode_frame(auth).into()))
        .await
        .unwrap();
    let duty = CoordinatorFrame::Duty {
        on: true,
        capacity: 1,
        langs: vec![],
    };
    lazy.send(Message::Text(lifeline::protocol::encode_frame(duty).into()))
        .await
        .unwrap();
    let on_duty = || {
        relay
            .relay
            .live
            .with(|live| live.coordinators.get(&300).is_some_and(|c| c.on_duty))
    };
    while !on_duty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut visitors = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while relay
        .relay
        .live
        .with(|live| live.coordinators.contains_key(&300))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay kept buffering for a client that never reads"
        );
        visitors.push(relay.visitor().await);
    }
    // Everyone else carries on.
    let mut c = relay.on_duty(301, "Busy", 1).await;
    claim_and_connect(&mut c, &mut visitors[0]).await;
}

fn cert_with(
    relay: &TestRelay,
    org: &SigningKey,
    serial: u64,
    not_before: u64,
    not_after: u64,
) -> CoordinatorFiles {
    let _ = relay;
    let signing = SigningKey::generate();
    let dh = DhSecret::generate();
    let certificate = CertificateBody {
        role: lifeline::crypto::Role::Coordinator,
        serial,
        not_before,
        not_after,
        x25519_public: dh.public(),
        ed25519_public: signing.public(),
        alias: "Mallory".into(),
    }
    .sign(org)
    .unwrap();
    CoordinatorFiles {
        signing,
        dh,
        certificate,
    }
}

async fn auth_code(relay: &TestRelay, keys: CoordinatorFiles) -> Option<u16> {
    match CoordinatorClient::connect(
        &relay.coordinator_url(),
        relay.relay.keys.organisation.fingerprint(),
        keys,
    )
    .await
    {
        Ok(_) => None,
        Err(e) => e.close_code(),
    }
}

#[tokio::test]
async fn coordinator_authentication_refuses_bad_certificates_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let paths = keyfile::KeyPaths::new(dir.path());
    keyfile::create_development_keys(&paths, &Clock::system()).unwrap();
    let org = keyfile::read_signing_key(&paths.organisation_key()).unwrap();
    keyfile::publish_revocations(&org, &paths, &[666], None, &Clock::system()).unwrap();
    let relay = TestRelay::start_in(dir.path().to_path_buf(), |_| {}).await;
    let now = relay.relay.clock.unix_s();
    assert_eq!(
        auth_code(&relay, cert_with(&relay, &org, 665, now - 10, now + 100)).await,
        None,
        "a good certificate works"
    );
    assert_eq!(
        auth_code(&relay, cert_with(&relay, &org, 1, now - 100, now - 10)).await,
        Some(4006),
        "expired"
    );
    assert_eq!(
        auth_code(&relay, cert_with(&relay, &org, 2, now + 100, now + 200)).await,
        Some(4006),
        "not yet valid"
    );
    assert_eq!(
        auth_code(&relay, cert_with(&relay, &org, 666, now - 10, now + 100)).await,
        Some(4006),
        "revoked"
    );
    let foreign = SigningKey::generate();
    assert_eq!(
        auth_code(&relay, cert_with(&relay, &foreign, 3, now - 10, now + 100)).await,
        Some(4006),
        "foreign organisation"
    );

    // A captured auth frame replayed on a new connection answers the wrong challenge.
    let keys = cert_with(&relay, &org, 4, now - 10, now + 100);
    let mut first = Wire::connect(&relay.coordinator_url(), &[]).await.unwrap();
    let RelayFrame::AuthChallenge { nonce, .. } = first.recv().await.unwrap() else {
        panic!()
    };
    let org_fp = relay.relay.keys.organisation.fingerprint();
    let signature = keys
        .signing
        .sign(&lifeline::crypto::coordinator_auth::auth_message(
            &nonce.0, &org_fp,
        ));
    let auth = CoordinatorFrame::Auth {
        certificate: Bytes(keys.certificate.as_bytes().to_vec()),
        signature: Bytes(signature.to_vec()),
    };
    let mut replay = Wire::connect(&relay.coordinator_url(), &[]).await.unwrap();
    replay.recv().await.unwrap();
    replay.send(auth.clone()).await.unwrap();
    assert_eq!(close_code(&mut replay).await, Some(4006));
    first.send(auth).await.unwrap();
    assert!(matches!(
        first.recv().await.unwrap(),
        RelayFrame::Authed { .. }
    ));
    let _ = Fixed([0u8; 1]);
}

#[tokio::test]
async fn garbage_ciphertext_from_a_visitor_reaches_only_its_coordinator_who_refuses_it() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(310, "A", 2).await;
    let mut honest = relay.visitor().await;
    let mut rogue = relay.visitor().await;
    claim_and_connect(&mut c, &mut honest).await;
    claim_and_connect(&mut c, &mut rogue).await;
    let seq = 1;
    rogue
        .wire()
        .unwrap()
        .send(VisitorFrame::Msg {
            seq,
            body: Bytes(vec![0xAB; 300]),
        })
        .await
        .unwrap();
    let err = c
        .wait_for(|e| {
            matches!(
                e,
                lifeline::client::coordinator::CoordinatorEvent::Text { .. }
            )
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Session(_)), "{err}");
    // The honest visitor's channel is unaffected at the relay.
    honest.send_text("fine").await.unwrap();
    honest
        .wait_for(|e| matches!(e, VisitorEvent::Stored(_)))
        .await
        .unwrap();
}

/// `lang` (§8.1): an empty one from a visitor is no language asked, not a language named "";
/// a coordinator's `duty` naming a language outside `[A-Za-z0-9-]` is refused with 4001.
#[tokio::test]
async fn an_empty_visitor_lang_is_none_and_a_duty_lang_must_be_a_tag() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(330, "Amara", 1).await;
    let v = relay.visitor_speaking(ConversationKind::Chat, "").await;
    let listed = c
        .wait_for(|e| matches!(e, CoordinatorEvent::Queue(items) if items.iter().any(|i| i.session == v.session)))
        .await
        .unwrap();
    let CoordinatorEvent::Queue(items) = listed else {
        unreachable!()
    };
    let item = items.iter().find(|i| i.session == v.session).unwrap();
    assert_eq!(item.lang, None, "an empty lang is no lang");

    let mut odd = relay.coordinator(331, "Bastien").await;
    odd.duty(true, 1, &["en<script>"]).await.unwrap();
    let closed = loop {
        if let Err(e) = odd.next_event().await {
            break e.close_code();
        }
    };
    assert_eq!(closed, Some(4001));
}
