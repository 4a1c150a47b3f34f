//! A relay run as `lifeline serve` on an organisation's public material, tipsters filing to
//! the inbox key it serves, and the terminal console taking inbox grants: shared by the
//! rotation suites. Included with `#[path]` beside `common/binary.rs` as `binary`,
//! `common/organisation.rs` as `organisation`, `common/screen.rs` as `screen` and
//! `common/terminal.rs` as `terminal`.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use crate::binary::{RelayProcess, free_port};
use crate::organisation::CONSOLE_PASS;
use crate::terminal::TerminalConsole;
use lifeline::client::tipster::{Tipster, request};
use lifeline::clock::Clock;
use lifeline::crypto::certificate::{Certificate, Role};
use lifeline::crypto::keys::OrgPublicKey;
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip::{self, TipMessage};
use lifeline::protocol::b64;
use rand_core::OsRng;

/// The inbox certificate `/v1/config` serves, verified as a tipster's device verifies it.
pub async fn served_inbox(addr: &str, org: &OrgPublicKey) -> Certificate {
    let (status, body) = request(addr, "GET", "/v1/config", None, &[])
        .await
        .expect("config");
    assert_eq!(status, 200, "{body}");
    let config: serde_json::Value = serde_json::from_str(&body).expect("json");
    let bytes =
        b64::decode(config["inbox_certificate"].as_str().expect("certificate")).expect("base64url");
    let now = Clock::system().unix_s();
    Certificate::decode_verified(&bytes, org, now, None, Role::TipInbox).expect("verifies")
}

/// `lifeline serve` in `data`, holding only the organisation's public material copied from
/// its key folder (the organisation key, `inbox.cert`, the list); and its address.
pub async fn relay_of(org_dir: &Path, org: &OrgPublicKey, data: &Path) -> (RelayProcess, String) {
    std::fs::create_dir_all(data.join("keys")).expect("keys folder");
    for name in ["inbox.cert", "revocations.list"] {
        std::fs::copy(org_dir.join(name), data.join("keys").join(name)).expect("copied");
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let org_b64 = b64::encode(&org.0);
    let relay = RelayProcess::start(
        addr.as_str(),
        data,
        &[
            ("LIFELINE_KEYS_ORGANISATION_PUBLIC", &org_b64),
            ("LIFELINE_SERVER_METRICS_LISTEN", ""),
        ],
    )
    .await;
    (relay, addr)
}

/// Copies the organisation's current `inbox.cert` to the relay in `data` and waits until
/// the relay at `addr` serves it (no restart): that certificate.
pub async fn adopted(org_dir: &Path, data: &Path, addr: &str, org: &OrgPublicKey) -> Certificate {
    let source = org_dir.join("inbox.cert");
    std::fs::copy(&source, data.join("keys/inbox.cert")).expect("copied");
    let current = Certificate::decode(&lifeline::keyfile::read_key(&source).expect("inbox.cert"))
        .expect("certificate");
    let deadline = Instant::now() + Duration::from_secs(15);
    while served_inbox(addr, org).await.as_bytes() != current.as_bytes() {
        assert!(Instant::now() < deadline, "the relay never served it");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    current
}

/// A tipster files `text`, sealed to the inbox certificate the relay serves now.
pub async fn file_tip(addr: &str, org: &OrgPublicKey, text: &str) -> Certificate {
    let inbox = served_inbox(addr, org).await;
    let keys = ReceiptCode::generate(&mut OsRng).derive(&org.fingerprint());
    let tip = TipMessage {
        reply_key: Some(keys.tipster_key.public()),
        category: None,
        text: text.into(),
    };
    let sealed = sealed_tip::seal_tip(
        &org.fingerprint(),
        &inbox.body().x25519_public,
        &tip,
        &mut OsRng,
    )
    .expect("sealed");
    Tipster::new(addr)
        .submit(keys.lookup_id, sealed)
        .await
        .expect("filed");
    inbox
}

/// `lifeline <arguments>` in a terminal, the identity's passphrase typed at its prompt.
pub async fn unlocked(arguments: &str) -> TerminalConsole {
    let mut console = TerminalConsole::run(arguments, 100, 30);
    console.until_shown("Passphrase for").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    console.type_keys(&format!("{CONSOLE_PASS}\r")).await;
    console
}

/// `lifeline console --import-grant`, run to its end: what it printed.
pub async fn import_in_terminal(identity: &Path, grant: &Path) -> String {
    let mut console = unlocked(&format!(
        "console --identity {} --import-grant {}",
        identity.display(),
        grant.display()
    ))
    .await;
    assert!(console.exit_status().await.success(), "{}", console.shown());
    console.shown()
}

/// A shift of the console on `identity`, signed in to the relay at `addr`, on its tips
/// screen once it lists `tips` of them.
pub async fn console_on_tips(identity: &Path, addr: &str, tips: usize) -> TerminalConsole {
    let resources = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/resources.toml");
    let mut console = unlocked(&format!(
        "console --identity {} --relay ws://{addr} --resources {}",
        identity.display(),
        resources.display()
    ))
    .await;
    console
        .until_on_screen("Off duty. Ctrl-D goes on duty")
        .await;
    // The key loop starts just after the first drawing: a key typed sooner is lost.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    console.type_keys("\x14").await;
    console.until_on_screen(&format!("Tips ({tips})")).await;
    console
}

/// Opens the tip under the cursor (Enter) and waits until one of `texts` is on screen.
pub async fn open_selected(console: &mut TerminalConsole, texts: &[&str]) -> String {
    console.type_keys("\r").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let screen = console.screen();
        if let Some(found) = texts.iter().find(|t| screen.shows(t)) {
            return (*found).to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no tip opened; the screen shows:\n{}",
            screen.rows().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
