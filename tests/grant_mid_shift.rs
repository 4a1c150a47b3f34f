//! A grant imported during a shift, through the real binaries: a coordinator on shift with
//! one grant, the organisation rotates the inbox key (`lifeline keys rotate-inbox`) and
//! grants again, the coordinator imports the new grant in another terminal
//! (`lifeline console --import-grant`), locks and unlocks, and the running console opens a
//! tip sealed to the new key: no restart, and no renewal refused on the way.

use crate::inbox_relay;
use crate::keys_tool;
use crate::organisation;

use std::time::Duration;

use inbox_relay::{
    adopted, console_on_tips, file_tip, import_in_terminal, open_selected, relay_of,
};
use keys_tool::{keys, printed};
use lifeline::keyfile::KeyPaths;
use organisation::{CONSOLE_PASS, organisation_and_coordinator};

const BEFORE: &str = "sealed before the rotation";
const AFTER: &str = "sealed after the rotation";
const NOT_GRANTED: &str = "you were not granted";

#[tokio::test]
async fn a_grant_imported_mid_shift_opens_new_tips_at_the_next_unlock_without_a_restart() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let identity = folder.path().join("console.identity");
    let (org, serial) = organisation_and_coordinator(&org_dir, &identity, "Noor", 14);
    let pass = org_dir.join("passphrase");
    let grant = KeyPaths {
        dir: org_dir.clone(),
    }
    .grant(serial);
    let data = folder.path().join("data");
    let (_relay, addr) = relay_of(&org_dir, &org, &data).await;

    // Grant A, imported before the shift; the shift opens a tip sealed to its key.
    printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &serial.to_string()],
    ));
    import_in_terminal(&identity, &grant).await;
    file_tip(&addr, &org, BEFORE).await;
    let mut console = console_on_tips(&identity, &addr, 1).await;
    assert_eq!(
        open_selected(&mut console, &[BEFORE, NOT_GRANTED]).await,
        BEFORE
    );

    // The monthly rotation, served to tipsters at once; a tip sealed to the new key.
    printed(keys(&pass, &org_dir, &["rotate-inbox"]));
    adopted(&org_dir, &data, &addr, &org).await;
    file_tip(&addr, &org, AFTER).await;

    // Grant B, imported in another terminal while the shift runs (file times are coarse:
    // the rewrite must be visibly later than the shift's read).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &serial.to_string()],
    ));
    assert!(out.contains("2 key(s)"), "{out}");
    let said = import_in_terminal(&identity, &grant).await;
    assert!(said.contains("takes them at your next unlock"), "{said}");
    console
        .until_on_screen("lock (Ctrl-L) and unlock to use it")
        .await;

    console.type_keys("\x0c").await;
    console.until_on_screen("Console locked").await;
    console.type_keys(&format!("{CONSOLE_PASS}\r")).await;
    console.until_on_screen("New inbox keys in use").await;
    assert!(
        !console.shown().contains("not newer"),
        "{}",
        console.shown()
    );

    // The tips list again (Ctrl-U), then the tip sealed to the new key opens.
    console.type_keys("\x15").await;
    console.until_on_screen("Tips (2)").await;
    let texts = [BEFORE, AFTER, NOT_GRANTED];
    let mut seen = open_selected(&mut console, &texts).await;
    if seen == BEFORE {
        console.press_sequence("\x1b[B").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = open_selected(&mut console, &[AFTER, NOT_GRANTED]).await;
    }
    assert_eq!(seen, AFTER, "{}", console.screen().rows().join("\n"));
    assert!(
        !console.shown().contains("not newer"),
        "{}",
        console.shown()
    );
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success());
}
