//! A renewal to new keys during a shift (issue 16, item 4), through the real binaries and a
//! real relay: a coordinator holding two conversations at the desk asks for new keys with
//! `lifeline console --renewal-request --new-keys` (in a terminal), the organisation
//! certifies them, `--install-certificate` swaps them into the identity, and the next unlock
//! switches the live connection: both visitors' next messages arrive and the replies reach
//! them, a visitor arriving afterwards is answered under the new keys, the old certificate
//! is refused for a new sign-in, and the identity file holds no old private key. Bad input:
//! a wrong passphrase, a certificate for other keys, and asking for new keys twice.

use crate::common;
use crate::desk;
use crate::key_scan;
use crate::renewing;

use std::time::Duration;

use common::*;
use desk::{Desk, DeskSocket, desk_command, send_json, until_json};
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::client::visitor::VisitorClient;
use lifeline::console::identity::Identity;
use lifeline::crypto::enrolment::EnrolmentRequest;
use lifeline::protocol::b64;
use renewing::{DAY, PASSPHRASE, certify, console, enrolled_identity, printed_request};
use serde_json::{Value, json};

fn conversations(state: &Value) -> &[Value] {
    state["conversations"].as_array().map_or(&[], Vec::as_slice)
}

/// Whether the conversation with `session` shows a visitor line `text`.
fn shows(state: &Value, session: &Value, text: &str) -> bool {
    conversations(state).iter().any(|c| {
        &c["session"] == session
            && c["lines"]
                .as_array()
                .is_some_and(|lines| lines.iter().any(|l| l["text"] == text))
    })
}

/// Takes the visitor waiting longest and waits until `held` conversations are open.
async fn claim_next(ws: &mut DeskSocket, v: &mut VisitorClient, held: usize) -> Value {
    until_json(ws, |m| !m["queue"].as_array().is_none_or(Vec::is_empty)).await;
    send_json(ws, json!({"type": "claim_next"})).await;
    connected_to(v).await;
    let state = until_json(ws, |m| conversations(m).len() == held).await;
    conversations(&state)[held - 1]["session"].clone()
}

/// The visitor writes `up`, the desk shows it, answers `down`, and the visitor reads it.
async fn exchange_at_desk(ws: &mut DeskSocket, v: &mut VisitorClient, session: &Value, up: &str) {
    v.send_text(up).await.expect("visitor sends");
    until_json(ws, |m| shows(m, session, up)).await;
    let target = json!({"conversation": session});
    let down = format!("re: {up}");
    send_json(ws, json!({"type": "draft", "target": target, "text": down})).await;
    send_json(ws, json!({"type": "send", "target": target})).await;
    assert_eq!(next_text_visitor(v).await, down);
}

async fn lock_and_unlock(ws: &mut DeskSocket) {
    send_json(ws, json!({"type": "lock"})).await;
    until_json(ws, |m| m["type"] == "locked").await;
    send_json(ws, json!({"type": "unlock", "passphrase": PASSPHRASE})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shift_renews_to_new_keys_and_keeps_both_conversations() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("console.identity");
    let identity = enrolled_identity(&relay, &path);
    let old_keys = identity.coordinator_files().expect("keys");
    let old_fingerprint = identity.short_fingerprint();
    let relay_url = format!("ws://{}", relay.addr);

    let desk = Desk::spawn(desk_command(&relay_url, &path), None);
    let mut ws = desk.page().await;
    until_json(&mut ws, |m| m["type"] == "starting").await;
    send_json(&mut ws, json!({"type": "unlock", "passphrase": PASSPHRASE})).await;
    let started = until_json(&mut ws, |m| m["type"] == "state").await;
    assert_eq!(started["fingerprint"], old_fingerprint.as_str());
    send_json(&mut ws, json!({"type": "duty", "on": true})).await;
    let mut first = relay.visitor().await;
    let one = claim_next(&mut ws, &mut first, 1).await;
    let mut second = relay.visitor().await;
    let two = claim_next(&mut ws, &mut second, 2).await;
    exchange_at_desk(&mut ws, &mut first, &one, "first, before").await;
    exchange_at_desk(&mut ws, &mut second, &two, "second, before").await;

    // New keys asked for: the identity keeps them sealed; asking again gives the same ones.
    let id = format!("--identity {}", path.display());
    let (ok, shown) = console(&format!("{id} --renewal-request --new-keys"), PASSPHRASE).await;
    assert!(ok, "{shown}");
    let (request, fingerprint) = printed_request(&shown);
    assert_ne!(fingerprint, old_fingerprint);
    let (ok, again) = console(&format!("{id} --renewal-request --new-keys"), PASSPHRASE).await;
    assert!(ok && again.contains("already waiting"), "{again}");
    assert_eq!(
        printed_request(&again),
        (request.clone(), fingerprint.clone())
    );
    let (ok, shown) = console(
        &format!("{id} --renewal-request --new-keys"),
        "not it at all",
    )
    .await;
    assert!(!ok && shown.contains("wrong passphrase"), "{shown}");

    // A certificate for other keys (another coordinator's) is refused, nothing changed.
    let stranger = Identity::generate("Bo").expect("identity");
    let foreign = {
        let bytes = b64::decode(&stranger.enrolment_request().expect("r")).expect("b64");
        let now = relay.relay.clock.unix_s();
        let cert = EnrolmentRequest::decode_verified(&bytes)
            .expect("verified")
            .certify(&relay.org_key(), 410, now, now + 30 * DAY)
            .expect("certified");
        b64::encode(cert.as_bytes())
    };
    let install = |cert: &str| format!("{id} --relay {relay_url} --install-certificate {cert}");
    let (ok, shown) = console(&install(&foreign), PASSPHRASE).await;
    assert!(!ok && shown.contains("nothing changed"), "{shown}");
    let unchanged = Identity::read_file(&path, PASSPHRASE).expect("opens");
    assert_eq!(unchanged.short_fingerprint(), old_fingerprint);
    assert_eq!(unchanged.next_fingerprint(), Some(fingerprint.clone()));

    // The organisation's certificate for the new keys: a wrong passphrase changes nothing,
    // the right one swaps the keys.
    let certificate = certify(&relay, &request, 30);
    let (ok, shown) = console(&install(&certificate), "not it at all").await;
    assert!(!ok && shown.contains("wrong passphrase"), "{shown}");
    // File systems stamp times coarsely: make the rewrite visibly later than the desk's read.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (ok, shown) = console(&install(&certificate), PASSPHRASE).await;
    assert!(ok && shown.contains("New keys in use"), "{shown}");
    let renewed = Identity::read_file(&path, PASSPHRASE).expect("opens");
    assert_eq!(renewed.short_fingerprint(), fingerprint);
    assert_eq!(renewed.next_fingerprint(), None);

    // The desk sees the installed renewal; the next unlock switches the live connection.
    until_json(&mut ws, |m| m["status"] == "renewal_waiting").await;
    lock_and_unlock(&mut ws).await;
    let renewed_state = until_json(&mut ws, |m| {
        m["status"].get("certificate_renewed").is_some()
    })
    .await;
    assert_eq!(
        renewed_state["fingerprint"],
        fingerprint.as_str(),
        "the new keys'"
    );
    exchange_at_desk(&mut ws, &mut first, &one, "first, after").await;
    exchange_at_desk(&mut ws, &mut second, &two, "second, after").await;
    let mut third = relay.visitor().await;
    let three = claim_next(&mut ws, &mut third, 3).await;
    exchange_at_desk(&mut ws, &mut third, &three, "third, new keys").await;

    // The old certificate, though unexpired and unrevoked, no longer signs in.
    let refused = CoordinatorClient::connect(
        &relay.coordinator_url(),
        relay.relay.keys.organisation.fingerprint(),
        old_keys.copy(),
    )
    .await;
    assert!(refused.is_err(), "the superseded certificate signed in");
    exchange_at_desk(&mut ws, &mut first, &one, "first, still here").await;

    // The identity file holds none of the old private keys, in any encoding.
    let known = vec![
        ("old signing seed".to_owned(), *old_keys.signing.seed()),
        ("old x25519 secret".to_owned(), *old_keys.dh.to_bytes()),
    ];
    let found = key_scan::unsealed_keys(&[dir.path()], &known);
    assert!(found.is_empty(), "{found:?}");
    let files = renewed.coordinator_files().expect("keys");
    assert_ne!(*files.signing.seed(), *old_keys.signing.seed());
    assert_ne!(*files.dh.to_bytes(), *old_keys.dh.to_bytes());
    drop(desk);
}
