//! A renewal to new keys during a shift of the terminal console (issue 16, item 4), as an
//! operator runs it: the real `lifeline console` in a pseudo-terminal holds a conversation,
//! `--renewal-request --new-keys` and `--install-certificate` run in another terminal, the
//! shift says a renewal is waiting, and Ctrl-L then the passphrase switch the live
//! connection to the new keys: the visitor's next message reaches the screen and the reply
//! typed there reaches the visitor. The old certificate then no longer signs in.

use crate::common;
use crate::renewing;
use crate::terminal;

use std::path::Path;
use std::time::Duration;

use common::*;
use renewing::{PASSPHRASE, enrolled_identity, renew_to_new_keys};
use terminal::TerminalConsole;

/// The visitor writes `up`, the terminal shows it, and the reply typed there (`Enter` opens
/// the composer when `open` says it is closed) reaches the visitor.
async fn exchange_in_terminal(
    console: &mut TerminalConsole,
    visitor: &mut lifeline::client::visitor::VisitorClient,
    up: &str,
    open: bool,
) {
    visitor.send_text(up).await.expect("visitor sends");
    console.until_on_screen(&format!("Visitor: {up}")).await;
    if open {
        console.type_keys("\r").await;
    }
    let down = format!("re: {up}");
    console.type_keys(&format!("{down}\r")).await;
    assert_eq!(next_text_visitor(visitor).await, down);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_switches_to_new_keys_mid_conversation_and_the_chat_goes_on() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("console.identity");
    let identity = enrolled_identity(&relay, &path);
    let old_keys = identity.coordinator_files().expect("keys");
    let resources = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/resources.toml");
    let mut console = TerminalConsole::run(
        &format!(
            "console --identity {} --relay ws://{} --resources {}",
            path.display(),
            relay.addr,
            resources.display()
        ),
        100,
        30,
    );
    console.until_shown("Passphrase for").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    console.type_keys(&format!("{PASSPHRASE}\r")).await;
    // The status line warns of the expiry (two days left); the pane says how to go on duty.
    console.until_on_screen("Ctrl-D goes on duty").await;
    // The key loop starts just after the first drawing: a key typed sooner is lost.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    console.type_keys("\x04").await;
    console.until_on_screen("ON DUTY").await;

    let mut visitor = relay.visitor().await;
    console.until_shown("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut visitor).await, "Amara");
    exchange_in_terminal(&mut console, &mut visitor, "before the new keys", false).await;

    // In another terminal, as the operations guide says: new keys asked for, certified by
    // the organisation, installed into the identity the shift runs on.
    // File systems stamp times coarsely: make the rewrite visibly later than the shift's read.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    renew_to_new_keys(&relay, &path).await;
    console
        .until_on_screen(
            "A certificate or grant was installed: lock (Ctrl-L) and unlock to use it.",
        )
        .await;
    console.type_keys("\x0c").await;
    console.until_on_screen("Console locked").await;
    console.type_keys(&format!("{PASSPHRASE}\r")).await;
    console
        .until_on_screen("Certificate renewed, valid until")
        .await;

    exchange_in_terminal(&mut console, &mut visitor, "after the new keys", true).await;

    // The old certificate, unexpired and unrevoked, no longer signs in; the chat is untouched.
    assert_eq!(sign_in_refused(&relay, &old_keys).await, Some(4006));
    exchange_in_terminal(&mut console, &mut visitor, "still here", false).await;
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success(), "{}", console.shown());
}
