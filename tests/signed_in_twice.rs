//! One identity signed in at two places (protocol §6 step 4: the relay lets the newer
//! connection in and closes the older with 4011). The older console or desk stops and says
//! why; it must never sign in again, or the two would close each other in turn for as long
//! as both ran, and every turn would requeue what the identity held. Through the real
//! `lifeline console` in a pseudo-terminal and the real `lifeline desk` as its page talks
//! to it.

use crate::common;
use crate::desk;
use crate::terminal;

use std::time::Duration;

use common::*;
use desk::{Desk, dev_desk_command, unlock_on_duty, until_json};
use terminal::TerminalConsole;

/// Longer than the console's first wait before signing in again (1 s) and its next (2 s):
/// a console that signs in again would have closed the newer one by then.
const SETTLE: Duration = Duration::from_secs(4);

#[tokio::test]
async fn a_terminal_console_signed_in_elsewhere_stops_and_leaves_the_identity_to_the_newer() {
    let relay = TestRelay::start().await;
    let mut older = TerminalConsole::start(&relay);
    older.sign_in_on_duty().await;
    let mut newer = TerminalConsole::start(&relay);
    newer.sign_in_on_duty().await;

    let status = older.exit_status().await;
    assert!(
        !status.success(),
        "the older console says it did not end by choice"
    );
    older
        .until_shown("this identity signed in on another console or desk, so this one stopped")
        .await;
    tokio::time::sleep(SETTLE).await;
    assert!(
        !newer.screen().shows("Reconnecting"),
        "the newer console kept the identity; it shows:\n{}",
        newer.screen().rows().join("\n")
    );
    newer.until_on_screen("ON DUTY").await;
    until_on_duty_count(&relay, 1).await;
}

#[tokio::test]
async fn a_desk_signed_in_elsewhere_tells_its_page_and_stops() {
    let relay = TestRelay::start().await;
    let mut desk = Desk::spawn(dev_desk_command(&relay, &[]), None);
    let mut page = desk.page().await;
    unlock_on_duty(&mut page).await;

    // The same serial (the development coordinator's) signs in from elsewhere.
    let mut newer = relay.on_duty(100, "Dev coordinator", 1).await;
    let ended = until_json(&mut page, |m| m["type"] == "ended").await;
    assert_eq!(ended["why"], "signed_in_elsewhere");
    assert_eq!(desk.exit_code(Duration::from_secs(10)), Some(1));

    tokio::time::sleep(SETTLE).await;
    newer
        .duty(false, 1, &["en"])
        .await
        .expect("the newer connection was never replaced");
    newer.duty(true, 1, &["en"]).await.expect("still signed in");
    until_on_duty_count(&relay, 1).await;
}
