//! The coordinator through a store outage, in the real `lifeline console` binary at 80×24
//! on a relay over a Redis of the test's own: while Redis is frozen (SIGSTOP) the status
//! line says the relay cannot store messages and that the console resends them by itself
//! (never "retry", which asked the coordinator for what they cannot do); once Redis answers
//! (SIGCONT) it says messages go through again and the message is marked stored (✓); when
//! the visitor then ends without having read it, the line says it was not delivered.

use crate::common;
use crate::faults;
use crate::terminal;

use std::time::Duration;

use common::*;
use faults::{held_on, signal};
use lifeline::client::visitor::VisitorClient;
use lifeline::protocol::frames::ConversationKind;
use terminal::TerminalConsole;

const OUTAGE: &str = "The relay cannot store messages now; yours are kept and resent every 1 s.";

/// The console at 80×24 on duty, in a conversation with a visitor it answered.
async fn answering(relay: &TestRelay) -> (TerminalConsole, VisitorClient) {
    let mut console = TerminalConsole::start_sized(relay, 80, 24);
    console.sign_in_on_duty().await;
    let mut v = relay.visitor_speaking(ConversationKind::Chat, "en").await;
    console.until_on_screen("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut v).await, "Dev coordinator");
    (console, v)
}

fn rows_fit(console: &TerminalConsole) {
    let rows = console.screen().rows();
    assert!(
        rows.iter().all(|r| r.chars().count() <= 80),
        "{}",
        rows.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_is_said_truly_ends_when_messages_pass_and_unread_words_are_marked_undelivered() {
    let redis = RedisServer::start();
    let relay = held_on(&redis).await;
    let (mut console, mut v) = answering(&relay).await;

    signal(&redis, "-STOP");
    console.type_keys("are you safe now?\r").await;
    console.until_on_screen("You: are you safe now? …").await;
    console.until_on_screen(OUTAGE).await;
    // Still said while the connection resends and the store keeps refusing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        console.screen().shows(OUTAGE),
        "{}",
        console.screen().rows().join("\n")
    );
    assert!(console.screen().shows("You: are you safe now? …"));
    signal(&redis, "-CONT");

    console
        .until_on_screen("Messages are going through again.")
        .await;
    console.until_on_screen("You: are you safe now? ✓").await;
    assert!(!console.screen().shows(OUTAGE));

    // The visitor leaves without reading it: the coordinator sees it never reached them.
    v.end().await.expect("the visitor ends");
    console
        .until_on_screen("You: are you safe now? ✗ not delivered")
        .await;
    console
        .until_on_screen(
            "Visitor 1: the conversation ended; 1 message of yours never reached them.",
        )
        .await;
    rows_fit(&console);
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success(), "{}", console.shown());
    relay.stop().await;
}

/// What the lead saw: Redis killed mid-chat and back empty. The message written meanwhile
/// never reached the visitor, and the outage line gives way to saying so.
#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_and_back_empty_marks_the_message_written_meanwhile_undelivered() {
    let mut redis = RedisServer::start();
    let relay = held_on(&redis).await;
    let (mut console, _v) = answering(&relay).await;

    redis.kill();
    console.type_keys("I am still here\r").await;
    console.until_on_screen(OUTAGE).await;
    redis.restart();
    console
        .until_on_screen("The server lost this conversation.")
        .await;
    console
        .until_on_screen("You: I am still here ✗ not delivered")
        .await;
    console
        .until_on_screen(
            "Visitor 1: the conversation ended; 1 message of yours never reached them.",
        )
        .await;
    assert!(!console.screen().shows(OUTAGE));
    rows_fit(&console);
    relay.stop().await;
}
