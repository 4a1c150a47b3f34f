//! A renewed certificate installed during a shift at the desk (issue 18), through the real
//! `lifeline desk` binary and a real relay: the desk, unlocked with an enrolled identity,
//! sees the identity file rewritten with a renewed certificate and says so; at the next
//! unlock it opens the identity with the passphrase typed there and sends the certificate
//! on the live connection, and the relay's answer moves the expiry the page is shown. A
//! certificate that is not newer is refused, and the page is told why as data. A grant
//! imported meanwhile is taken the same way, with nothing refused.

use crate::common;
use crate::desk;

use std::path::Path;
use std::time::Duration;

use common::*;
use desk::{CHEAP, Desk, DeskSocket, desk_command, send_json, until_json};
use lifeline::console::identity::Identity;
use lifeline::crypto::enrolment::EnrolmentRequest;
use lifeline::protocol::b64;
use serde_json::{Value, json};

const PASSPHRASE: &str = "a long passphrase for renewals";
const DAY: u64 = 86_400;

/// A certificate for `identity`'s keys from the relay's organisation, expiring in `days`.
fn certificate(relay: &TestRelay, identity: &Identity, serial: u64, days: u64) -> String {
    let now = relay.relay.clock.unix_s();
    let request = b64::decode(&identity.enrolment_request().expect("a request")).expect("b64");
    let certificate = EnrolmentRequest::decode_verified(&request)
        .expect("a verified request")
        .certify(&relay.org_key(), serial, now - 60, now + days * DAY)
        .expect("certified");
    b64::encode(certificate.as_bytes())
}

/// Installs `certificate` into the identity at `path` (as `--install-certificate` does).
fn install(relay: &TestRelay, path: &Path, certificate: &str) {
    let mut identity = Identity::read_file(path, PASSPHRASE).expect("opens");
    identity
        .install_certificate(
            certificate,
            relay.org_key().public(),
            relay.relay.clock.unix_s(),
        )
        .expect("installed");
    // File systems stamp times coarsely: make the rewrite visibly later.
    std::thread::sleep(Duration::from_millis(1100));
    identity
        .write_file(path, PASSPHRASE, CHEAP)
        .expect("written");
}

/// An identity enrolled with `serial` for `days`, written to `path`.
fn enrolled_at(relay: &TestRelay, path: &Path, serial: u64, days: u64) -> Identity {
    let mut identity = Identity::generate("Amara").expect("identity");
    let cert = certificate(relay, &identity, serial, days);
    identity
        .install_certificate(&cert, relay.org_key().public(), relay.relay.clock.unix_s())
        .expect("enrolled");
    identity
        .create_file(path, PASSPHRASE, CHEAP)
        .expect("written");
    identity
}

/// Seals the relay's inbox key to `identity` for a week and imports it (in memory).
fn grant_to(relay: &TestRelay, identity: &mut Identity) {
    let body = identity.certificate().expect("enrolled").body().clone();
    let until = relay.relay.clock.unix_s() + 7 * DAY;
    let grant = lifeline::crypto::inbox_grant::seal(
        &relay.org_key().public().fingerprint(),
        &body.x25519_public,
        body.serial,
        until,
        &[(&relay.inbox_key(), until)],
        &mut rand_core::OsRng,
    )
    .expect("sealed grant");
    identity.import_grant(&grant).expect("imported");
}

/// A desk on the identity at `path`, unlocked: its socket and the first state it showed.
async fn unlocked_desk(relay: &TestRelay, path: &Path) -> (Desk, DeskSocket, Value) {
    let desk = Desk::spawn(desk_command(&format!("ws://{}", relay.addr), path), None);
    let mut ws = desk.page().await;
    until_json(&mut ws, |m| m["type"] == "starting").await;
    send_json(&mut ws, json!({"type": "unlock", "passphrase": PASSPHRASE})).await;
    let started = until_json(&mut ws, |m| m["type"] == "state").await;
    (desk, ws, started)
}

/// Locks, then unlocks with the passphrase: where a waiting renewal is taken.
async fn lock_and_unlock(ws: &mut DeskSocket) {
    send_json(ws, json!({"type": "lock"})).await;
    until_json(ws, |m| m["type"] == "locked").await;
    send_json(ws, json!({"type": "unlock", "passphrase": PASSPHRASE})).await;
}

fn status(m: &Value) -> &Value {
    &m["status"]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_installs_a_renewed_certificate_on_the_live_connection() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("console.identity");
    let identity = enrolled_at(&relay, &path, 310, 2);
    let (desk, mut ws, started) = unlocked_desk(&relay, &path).await;
    assert_eq!(started["inbox"], false, "no grant: tips stay sealed");
    let before = started["not_after"].as_u64().expect("not_after");
    assert_eq!(started["serial"], 310);
    assert_eq!(started["renew_days"], 2, "the expiry warning is on");

    // Installed meanwhile (another terminal): the desk sees it and says so.
    install(&relay, &path, &certificate(&relay, &identity, 310, 30));
    until_json(&mut ws, |m| status(m) == "renewal_waiting").await;

    // The next unlock takes it: on the live connection, the relay's answer moves the date.
    lock_and_unlock(&mut ws).await;
    let renewed = until_json(&mut ws, |m| status(m).get("certificate_renewed").is_some()).await;
    let after = renewed["not_after"].as_u64().expect("not_after");
    assert!(after >= before + 27 * DAY, "{before} -> {after}");
    assert_eq!(
        status(&renewed)["certificate_renewed"]["not_after"],
        after,
        "the relay's new expiry"
    );
    assert!(renewed["renew_days"].is_null(), "no warning any more");

    // An older certificate installed after it is not a renewal: refused, said as data.
    install(&relay, &path, &certificate(&relay, &identity, 310, 5));
    until_json(&mut ws, |m| status(m) == "renewal_waiting").await;
    lock_and_unlock(&mut ws).await;
    let refused = until_json(&mut ws, |m| status(m).get("not_done").is_some()).await;
    assert_eq!(
        status(&refused)["not_done"]["reason"],
        json!({"renewal": {"kind": "not_newer"}})
    );
    assert_eq!(
        refused["not_after"].as_u64(),
        Some(after),
        "still the renewed one"
    );
    drop(desk);
    drop(dir);
}

/// A coordinator's desk with an inbox key granted into their identity (as production
/// coordinators get one: never `--inbox-key`) opens tips: the page is told so.
#[tokio::test(flavor = "multi_thread")]
async fn the_desk_opens_tips_with_a_granted_inbox_key() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("console.identity");
    let mut identity = enrolled_at(&relay, &path, 311, 30);
    grant_to(&relay, &mut identity);
    identity
        .write_file(&path, PASSPHRASE, CHEAP)
        .expect("written");

    let (desk, _ws, started) = unlocked_desk(&relay, &path).await;
    assert_eq!(started["inbox"], true, "the granted key opens tips");
    drop(desk);
    drop(dir);
}

/// A grant imported while the desk runs (another terminal's `--import-grant`): the desk says
/// something was installed, and the next unlock takes the inbox key without a restart and
/// without refusing the unchanged certificate as "not newer"; the page's `inbox` follows.
#[tokio::test(flavor = "multi_thread")]
async fn the_desk_takes_a_grant_imported_during_the_shift_at_the_next_unlock() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("console.identity");
    let mut identity = enrolled_at(&relay, &path, 312, 30);
    let (desk, mut ws, started) = unlocked_desk(&relay, &path).await;
    assert_eq!(started["inbox"], false, "no grant yet");

    grant_to(&relay, &mut identity);
    // File systems stamp times coarsely: make the rewrite visibly later.
    std::thread::sleep(Duration::from_millis(1100));
    identity
        .write_file(&path, PASSPHRASE, CHEAP)
        .expect("written");
    until_json(&mut ws, |m| status(m) == "renewal_waiting").await;

    lock_and_unlock(&mut ws).await;
    let taken = until_json(&mut ws, |m| {
        assert!(status(m).get("not_done").is_none(), "refused: {m}");
        status(m) == "inbox_keys_taken"
    })
    .await;
    assert_eq!(taken["inbox"], true, "the granted key opens tips now");
    drop(desk);
    drop(dir);
}
