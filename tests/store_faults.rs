//! Store faults (issue 24): a store that lost or rewound its data is told to both sides
//! with 4014 `StoreLost` (never "expired"), a fresh conversation works at once, and a
//! frozen store closes nothing: `retry` keeps the chat, every message once and in order.
//!
//! Each test starts its own Redis where it needs one; every fault lasts seconds.

use crate::common;
use crate::faults;
use crate::terminal;

use std::time::Duration;

use common::*;
use faults::*;
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::config::StoreKind;
use lifeline::protocol::frames::ConversationKind;
use terminal::TerminalConsole;

/// Its premise is the memory store (a restart is a new store): picked explicitly, and kept
/// across the restart whatever `LIFELINE_TEST_STORE` says. (Under `redis` the harness used
/// to move the restarted relay onto its own Redis, where the end-then-resume below races the
/// erasure the holder's node performs.)
#[tokio::test]
async fn a_memory_store_relay_restart_tells_a_resuming_visitor_the_truth() {
    let relay = TestRelay::start_with(|c| c.store.kind = StoreKind::Memory).await;
    let mut c = relay.on_duty(700, "Amara", 2).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "hello", "hello, I am here").await;
    v.drop_connection();
    drop(c);

    let relay = relay.restart().await;
    let refused = v.resume().await.expect_err("the store forgot the session");
    assert_eq!(
        refused.close_code(),
        Some(STORE_LOST),
        "lost with the relay's memory, not expired: {refused}"
    );

    // Starting again works at once; and a session that merely ended is still "unknown".
    let mut c = relay.on_duty(700, "Amara", 2).await;
    let mut fresh = relay.visitor().await;
    claim_and_connect(&mut c, &mut fresh).await;
    exchange(&mut c, &mut fresh, "starting again", "welcome back").await;
    fresh.end().await.unwrap();
    fresh.drop_connection();
    let gone = fresh.resume().await.expect_err("ended");
    assert_eq!(gone.close_code(), Some(UNKNOWN_SESSION), "{gone}");
}

#[tokio::test]
async fn redis_restarted_without_persistence_tells_both_sides_never_expired() {
    let mut redis = RedisServer::start();
    let (relay, mut c, mut v) = chatting_on(&redis, 701).await;
    let session = v.session;
    assert_eq!(metric(&relay, "lifeline_store_persistent").await, 0);
    assert!(readiness(&relay).await.1.contains("NOT persistent"));

    redis.kill();
    redis.restart();
    assert_eq!(visitor_closed_with(&mut v).await, Some(STORE_LOST));
    coordinator_told_lost(&mut c, session).await;
    let again = v.resume().await.expect_err("lost");
    assert_eq!(again.close_code(), Some(STORE_LOST), "{again}");
    a_fresh_conversation_works(&relay, &mut c).await;
    assert!(metric(&relay, "lifeline_store_generation_changes_total").await >= 1);
}

#[tokio::test]
async fn redis_back_from_an_older_snapshot_tells_both_sides() {
    let mut redis = RedisServer::start();
    let (relay, mut c, mut v) = chatting_on(&redis, 702).await;
    let session = v.session;
    redis_command(&redis, "SAVE").await;
    // Acknowledged after the snapshot: what the older Redis will not have.
    for i in 0..5 {
        exchange(&mut c, &mut v, &format!("up {i}"), &format!("down {i}")).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    redis.kill();
    redis.restart(); // loads the older dump.rdb
    assert_eq!(visitor_closed_with(&mut v).await, Some(STORE_LOST));
    coordinator_told_lost(&mut c, session).await;
    let again = v.resume().await.expect_err("lost");
    assert_eq!(again.close_code(), Some(STORE_LOST), "{again}");
    a_fresh_conversation_works(&relay, &mut c).await;
}

/// Sends `n` numbered messages from each side, then reads the other side's, in order, both
/// sides at once.
async fn burst(c: &mut CoordinatorClient, v: &mut VisitorClient, round: usize, n: usize) {
    let session = v.session;
    for i in 0..n {
        v.send_text(&format!("up {round}.{i}")).await.unwrap();
        c.send_text(session, &format!("down {round}.{i}"))
            .await
            .unwrap();
    }
    // Each side keeps reading until the other has every message, as a real client does (its
    // resends after a `retry` need no reading: see the idle-writer test below).
    let (up_done, mut up_seen) = tokio::sync::watch::channel(false);
    let (down_done, mut down_seen) = tokio::sync::watch::channel(false);
    let coordinator_side = async {
        for i in 0..n {
            assert_eq!(
                next_text_coordinator(c).await.1,
                format!("up {round}.{i}"),
                "every visitor message once, in order"
            );
        }
        up_done.send_replace(true);
        tokio::select! {
            _ = down_seen.wait_for(|done| *done) => {}
            _ = async { while c.next_event().await.is_ok() {} } => {}
        }
    };
    let visitor_side = async {
        for i in 0..n {
            assert_eq!(
                next_text_visitor(v).await,
                format!("down {round}.{i}"),
                "every coordinator message once, in order"
            );
        }
        down_done.send_replace(true);
        tokio::select! {
            _ = up_seen.wait_for(|done| *done) => {}
            _ = async { while v.next_event().await.is_ok() {} } => {}
        }
    };
    tokio::join!(coordinator_side, visitor_side);
}

#[tokio::test]
async fn redis_frozen_for_three_seconds_closes_nothing_and_loses_nothing() {
    let redis = RedisServer::start_with(true);
    let (relay, mut c, mut v) = chatting_on(&redis, 703).await;
    burst(&mut c, &mut v, 0, 3).await;
    assert_eq!(metric(&relay, "lifeline_store_persistent").await, 1);
    let (_, detail) = readiness(&relay).await;
    assert!(
        detail.contains("appendonly=yes appendfsync=always"),
        "{detail}"
    );

    let frozen = tokio::time::Instant::now();
    let thaw = freeze_for(&redis, Duration::from_secs(3));
    // Readiness tells the truth while the freeze lasts: its own wait for an answer is half a
    // second (READY_WITHIN); the rest of the bound is for a busy test machine.
    let mut unready_after = None;
    while frozen.elapsed() < Duration::from_millis(2500) {
        if ready(&relay).await == 503 {
            unready_after = Some(frozen.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let unready_after = unready_after.expect("/readyz fails while Redis is frozen");
    assert!(
        unready_after < Duration::from_millis(2000),
        "{unready_after:?}"
    );

    // Messages written while the store is frozen: refused with `retry`, resent, delivered.
    for round in 1..=4 {
        burst(&mut c, &mut v, round, 3).await;
    }
    thaw.await.unwrap();
    assert!(frozen.elapsed() >= Duration::from_secs(3));
    burst(&mut c, &mut v, 5, 3).await;
    assert_eq!(ready(&relay).await, 200, "ready again");
}

/// Redis back from a snapshot taken less than one generation check (0.5 s) before it died:
/// the snapshot already holds the check's newest tick, so only the frames this relay
/// confirmed since show the rewind (§9.5). Both sides are told within seconds, with nothing
/// more sent.
#[tokio::test]
async fn redis_back_from_a_snapshot_taken_just_before_is_told_too() {
    let (_redis, _relay, mut c, mut v) = rewound_just_after_a_snapshot(706).await;
    let session = v.session;
    assert_eq!(visitor_closed_with(&mut v).await, Some(STORE_LOST));
    coordinator_told_lost(&mut c, session).await;
}

/// The same rewind, the visitor writing again at once: its next number is a gap to the older
/// Redis, which the relay must not take for the visitor's fault (4004).
#[tokio::test]
async fn a_message_into_a_store_back_from_a_snapshot_draws_store_lost_not_unexpected() {
    let (_redis, _relay, mut c, mut v) = rewound_just_after_a_snapshot(707).await;
    let session = v.session;
    let _ = v.send_text("are you still there?").await;
    assert_eq!(visitor_closed_with(&mut v).await, Some(STORE_LOST));
    coordinator_told_lost(&mut c, session).await;
}

/// A chat whose last three exchanges came after a snapshot, then Redis killed and started
/// again from that snapshot, all within one generation check.
async fn rewound_just_after_a_snapshot(
    serial: u64,
) -> (RedisServer, TestRelay, CoordinatorClient, VisitorClient) {
    let mut redis = RedisServer::start();
    let (relay, mut c, mut v) = chatting_on(&redis, serial).await;
    redis_command(&redis, "SAVE").await;
    for i in 0..3 {
        exchange(&mut c, &mut v, &format!("up {i}"), &format!("down {i}")).await;
    }
    redis.kill();
    redis.restart();
    (redis, relay, c, v)
}

/// What `read` gives, within seconds of a thaw.
async fn soon<T>(read: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(8), read)
        .await
        .expect("resent by the idle writer after the thaw")
}

/// A `retry` is honoured by the client itself (§9.4): what one side wrote while the store
/// was frozen reaches the other side after the thaw although the writer's application reads
/// nothing in the meantime. First the visitor writes and only the coordinator reads, then
/// the other way round.
#[tokio::test]
async fn a_retry_is_honoured_while_the_writer_reads_nothing() {
    let redis = RedisServer::start_with(true);
    let (_relay, mut c, mut v) = chatting_on(&redis, 705).await;
    let session = v.session;

    let thaw = freeze_for(&redis, Duration::from_secs(2));
    for i in 0..3 {
        v.send_text(&format!("idle up {i}")).await.unwrap();
    }
    for i in 0..3 {
        let (_, text) = soon(next_text_coordinator(&mut c)).await;
        assert_eq!(text, format!("idle up {i}"), "once, in order");
    }
    thaw.await.unwrap();

    let thaw = freeze_for(&redis, Duration::from_secs(2));
    for i in 0..3 {
        c.send_text(session, &format!("idle down {i}"))
            .await
            .unwrap();
    }
    for i in 0..3 {
        let text = soon(next_text_visitor(&mut v)).await;
        assert_eq!(text, format!("idle down {i}"), "once, in order");
    }
    thaw.await.unwrap();
    exchange(&mut c, &mut v, "still here", "still here too").await;
}

/// The texts `v` reads until it has `n`, failing on any sign that something closed or left.
async fn texts_without_a_break(v: &mut VisitorClient, n: usize) -> Vec<String> {
    let mut texts = Vec::new();
    while texts.len() < n {
        match v
            .next_event()
            .await
            .expect("the visitor's connection stays open")
        {
            VisitorEvent::Text(text) => texts.push(text),
            VisitorEvent::Peer(event) => panic!("the visitor was told {event:?}"),
            VisitorEvent::CoordinatorClosed => panic!("the coordinator closed"),
            _ => {}
        }
    }
    texts
}

/// Redis frozen (SIGSTOP) for 3 s mid-conversation, the real `lifeline console` binary
/// answering in a terminal and a visitor writing back: nothing closes (the console never
/// goes offline, the visitor is told nothing), every message once and in order both ways.
#[tokio::test]
async fn redis_frozen_for_three_seconds_under_the_console_binary_closes_and_loses_nothing() {
    let redis = RedisServer::start_with(true);
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let mut console = TerminalConsole::start(&relay);
    console.sign_in_on_duty().await;
    let mut v = relay.visitor_speaking(ConversationKind::Chat, "en").await;
    console.until_on_screen("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut v).await, "Dev coordinator");
    v.send_text("before").await.unwrap();
    console.until_on_screen("Visitor: before").await;
    console.type_keys("answer before\r").await;
    assert_eq!(texts_without_a_break(&mut v, 1).await, ["answer before"]);
    // Issue 19 through the binary: under the conversation, what the server keeps of it.
    console
        .until_on_screen("The server keeps 0 messages of yours")
        .await;

    let thaw = freeze_for(&redis, Duration::from_secs(3));
    for i in 1..=3 {
        v.send_text(&format!("frozen {i}")).await.unwrap();
        console.type_keys(&format!("frozen answer {i}\r")).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !console.screen().shows("Visitor: frozen 1"),
        "the drill is real: nothing passes while the store is frozen"
    );
    thaw.await.unwrap();

    assert_eq!(
        texts_without_a_break(&mut v, 3).await,
        ["frozen answer 1", "frozen answer 2", "frozen answer 3"],
        "the console's messages, once and in order"
    );
    v.send_text("after").await.unwrap();
    console.until_on_screen("Visitor: after").await;
    // Each on one row of its own, in order (a row may carry the border after it).
    let rows = console.screen().rows();
    let at: Vec<usize> = ["before", "frozen 1", "frozen 2", "frozen 3", "after"]
        .iter()
        .map(|text| {
            let shown = format!("Visitor: {text}");
            let found: Vec<usize> = (0..rows.len())
                .filter(|i| rows[*i].contains(&shown))
                .collect();
            assert_eq!(found.len(), 1, "{shown:?} once on the console's screen");
            found[0]
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in order: {at:?}");
    let shown = console.shown();
    for break_sign in ["Offline", "Reconnect", "requeued", "lost"] {
        assert!(
            !shown.contains(break_sign),
            "the console showed {break_sign:?}"
        );
    }
}

/// `/readyz`: its status and its text (which says what the store promises).
async fn readiness(relay: &TestRelay) -> (u16, String) {
    lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/readyz", None, &[])
        .await
        .unwrap_or((0, String::new()))
}

async fn ready(relay: &TestRelay) -> u16 {
    readiness(relay).await.0
}

/// Redis killed and restarted (append-only, fsync always), and frozen for a second, in
/// turns, each while both sides write: nothing acknowledged is lost or duplicated, nothing
/// is closed, and a store that kept its data is never taken for one that lost it.
#[tokio::test]
async fn a_run_of_faults_loses_and_duplicates_nothing() {
    let mut redis = RedisServer::start_with(true);
    let (relay, mut c, mut v) = chatting_on(&redis, 704).await;
    for round in 0..6 {
        if round % 2 == 0 {
            redis.kill();
            redis.restart();
        } else {
            freeze_for(&redis, Duration::from_secs(1));
        }
        burst(&mut c, &mut v, round, 3).await;
    }
    // Anything delivered twice would be read here before these.
    burst(&mut c, &mut v, 99, 2).await;
    assert_eq!(
        metric(&relay, "lifeline_store_generation_changes_total").await,
        0,
        "a store that kept its data is not a lost one"
    );
}
