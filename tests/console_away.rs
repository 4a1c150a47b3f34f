//! A coordinator who walks away: the real `lifeline console` binary in a pseudo-terminal,
//! on duty against a real relay, locked with Ctrl-L and left. Past `--off-duty-after` it goes
//! off duty by itself, so visitors are told no one is on duty (the widget then shows the
//! numbers they can call) instead of a wait no one will end; the visitor it holds and the one
//! waiting are kept; the unlock says what happened.

mod common;
#[path = "common/screen.rs"]
mod screen;
#[path = "common/terminal.rs"]
mod terminal;

use common::*;
use lifeline::client::reach::Reach;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::protocol::frames::ConversationKind;
use terminal::TerminalConsole;

async fn visitor(relay: &TestRelay) -> VisitorClient {
    VisitorClient::connect(
        &relay.visitor_url(),
        relay.relay.keys.organisation,
        ConversationKind::Chat,
        Some("en"),
        Reach::default(),
    )
    .await
    .expect("visitor connects")
}

/// The next `queue` frame's `on_duty` count (the client gives up after its own timeout).
async fn told_on_duty(v: &mut VisitorClient) -> u32 {
    match v
        .wait_for(|e| matches!(e, VisitorEvent::Queue { .. }))
        .await
    {
        Ok(VisitorEvent::Queue { on_duty, .. }) => on_duty,
        other => panic!("no new queue frame for the visitor: {other:?}"),
    }
}

/// `on_duty` in `/v1/config`, what the widget's home screen reads.
async fn config_on_duty(relay: &TestRelay) -> Option<u64> {
    let (_, body) =
        lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/v1/config", None, &[])
            .await
            .expect("config");
    let config: serde_json::Value = serde_json::from_str(&body).expect("json");
    config["on_duty"].as_u64()
}

#[tokio::test]
async fn a_console_locked_past_its_limit_goes_off_duty_and_new_visitors_are_told_no_one_is_there() {
    let relay = TestRelay::start().await;
    let mut console = TerminalConsole::start_with(&relay, "--off-duty-after 3", 80, 24);
    console.sign_in_on_duty().await;

    // One visitor answered, one waiting, both while someone is at the console.
    let mut held = visitor(&relay).await;
    console.until_on_screen("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut held).await, "Dev coordinator");
    let mut waiting = visitor(&relay).await;
    assert_eq!(told_on_duty(&mut waiting).await, 1);
    assert_eq!(config_on_duty(&relay).await, Some(1));

    // Ctrl-L, and the coordinator walks away. Past the limit the waiting visitor is told no
    // one is on duty, and so is anyone arriving now, in `queue` and in `/v1/config` alike.
    console.type_keys("\x0c").await;
    console
        .until_on_screen("Type your passphrase and press Enter to unlock.")
        .await;
    assert_eq!(
        told_on_duty(&mut waiting).await,
        0,
        "the console went off duty while locked"
    );
    let mut late = visitor(&relay).await;
    assert_eq!(told_on_duty(&mut late).await, 0);
    assert_eq!(config_on_duty(&relay).await, Some(0));
    // Nobody is dropped: the waiting visitor stays queued for a colleague, the held one
    // stays with this console.
    assert!(is_queued(&relay, &waiting.session).await);
    assert!(relay.has_session(&held.session).await);
    assert!(!is_queued(&relay, &held.session).await);

    // The unlock says what happened and how to go back on duty; it does not go back by
    // itself.
    console.type_keys("terminal passphrase\r").await;
    console
        .until_on_screen("You were taken off duty after 3 s locked. Ctrl-D goes back on duty.")
        .await;
    assert!(console.screen().shows(" off duty "));
    assert_eq!(config_on_duty(&relay).await, Some(0));
    // The held conversation carries on.
    console.type_keys("sorry, I am back\r").await;
    assert_eq!(next_text_visitor(&mut held).await, "sorry, I am back");
    // Ctrl-D (out of the message box first) puts the coordinator back on duty, as always.
    console.type_keys("\x1b").await;
    console.type_keys("\x04").await;
    console.until_on_screen("ON DUTY").await;
    assert_eq!(told_on_duty(&mut late).await, 1);
}
