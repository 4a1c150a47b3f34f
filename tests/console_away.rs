//! A coordinator who walks away: the real `lifeline console` binary in a pseudo-terminal,
//! on duty against a real relay, locked with Ctrl-L and left. Past `--off-duty-after` it goes
//! off duty by itself, so visitors are told no one is on duty (the widget then shows the
//! numbers they can call) instead of a wait no one will end; the visitor it held goes back to
//! the queue (told the coordinator left) for any colleague, the one waiting stays queued;
//! the unlock says what happened, and the coordinator back on duty claims the visitor again.

use crate::common;
use crate::terminal;

use common::*;
use lifeline::client::reach::Reach;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::protocol::frames::{ConversationKind, PeerEvent};
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
    assert_eq!(on_duty_count(&relay).await, Some(1));

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
    assert_eq!(on_duty_count(&relay).await, Some(0));
    // Nobody waits on the locked console: the held visitor is told the coordinator left and
    // is queued again, for a colleague; nobody is dropped.
    held.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .expect("the held visitor is told the coordinator left");
    assert!(is_queued(&relay, &waiting.session).await);
    assert!(is_queued(&relay, &held.session).await);

    // The unlock says what happened and how to go back on duty; it does not go back by
    // itself.
    console.type_keys("terminal passphrase\r").await;
    console
        .until_on_screen(
            "Off duty after 3 s locked; 1 conversation back in queue. Ctrl-D: on duty.",
        )
        .await;
    console
        .until_on_screen("Back in the queue while you were away")
        .await;
    assert!(console.screen().shows(" off duty "));
    assert_eq!(on_duty_count(&relay).await, Some(0));
    // Ctrl-D (out of the message box first) puts the coordinator back on duty, as always,
    // and Ctrl-N answers the visitor who waited longest: the one given back, claimed again
    // with a fresh handshake.
    console.type_keys("\x1b").await;
    console.type_keys("\x04").await;
    console.until_on_screen("ON DUTY").await;
    assert_eq!(told_on_duty(&mut late).await, 1);
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut held).await, "Dev coordinator");
    console.type_keys("sorry, I am back\r").await;
    assert_eq!(next_text_visitor(&mut held).await, "sorry, I am back");
}

/// A coordinator who closes the desk's tab: nobody watches the shift any more, so the desk
/// locks at once and goes off duty `--off-duty-after` later (visitors are told no one is
/// there), instead of after the idle time and that. The relay still has the desk's
/// connection: only the page went.
#[tokio::test]
async fn a_desk_whose_tab_is_closed_locks_at_once_and_goes_off_duty() {
    use crate::desk::{Desk, dev_desk_command, unlock_on_duty, until_json, websocket};
    let relay = TestRelay::start().await;
    let command = dev_desk_command(&relay, &["--lock-after", "60", "--off-duty-after", "1"]);
    let desk = Desk::spawn(command, None);
    let cookie = desk.cookie();
    let origin = desk.origin();
    let open_page = || websocket(&desk, &origin, Some(&cookie));
    let mut page = open_page().await.expect("the page's socket");
    unlock_on_duty(&mut page).await;
    until_on_duty_count(&relay, 1).await;

    drop(page);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(8);
    while on_duty_count(&relay).await != Some(0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed tab left the desk on duty (its idle lock is 60 s away)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The next page finds it locked, and unlocking says what happened meanwhile.
    let mut page = open_page().await.expect("the page's socket");
    until_json(&mut page, |m| m["type"] == "locked").await;
}
