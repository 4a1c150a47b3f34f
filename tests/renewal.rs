//! Certificate renewal (issue 16, item 4), through the real relay and the real binary:
//! `lifeline keys renew` turns a console's renewal request into a certificate with the same
//! serial, and a signed-in coordinator installs it on its live connection without losing a
//! conversation; the relay then holds it to the new expiry, not the old one.

use crate::common;
use crate::keys_tool;

use std::time::Duration;

use common::*;
use keys_tool::{keys, last_line, printed};
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::wire::Wire;
use lifeline::console::identity::{Identity, KdfParams};
use lifeline::crypto::certificate::{Certificate, CertificateBody, Role};
use lifeline::crypto::coordinator_auth::auth_message;
use lifeline::crypto::keys::OrgPublicKey;
use lifeline::keyfile::CoordinatorFiles;
use lifeline::protocol::b64;
use lifeline::protocol::{Bytes, CoordinatorFrame, RelayFrame};

const DAY: u64 = 86_400;

/// A renewed certificate for the same keys, from this relay's organisation key.
fn renewed(relay: &TestRelay, keys: &CoordinatorFiles, serial: u64, days: u64) -> Certificate {
    let now = relay.relay.clock.unix_s();
    CertificateBody {
        serial,
        not_before: now - 60,
        not_after: now + days * DAY,
        ..keys.certificate.body().clone()
    }
    .sign(&relay.org_key())
    .expect("signed")
}

#[tokio::test]
async fn a_renewed_certificate_is_installed_on_the_live_connection_and_the_chat_goes_on() {
    let relay = TestRelay::start().await;
    let keys = relay.coordinator_keys(310, "Noor");
    let next = renewed(&relay, &keys, 310, 14);
    let mut c = lifeline::client::coordinator::CoordinatorClient::connect(
        &relay.coordinator_url(),
        relay.relay.keys.organisation.fingerprint(),
        keys,
    )
    .await
    .expect("signed in");
    let first_expiry = c.not_after;
    c.duty(true, 2, &["en"]).await.expect("duty");
    c.wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
        .await
        .expect("queue");
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    round_trip(&mut c, &mut v, "before").await;

    c.renew(next.clone()).await.expect("sent");
    let event = c
        .wait_for(|e| matches!(e, CoordinatorEvent::Renewed { .. }))
        .await
        .expect("renewed");
    assert_eq!(
        event,
        CoordinatorEvent::Renewed {
            not_after: next.body().not_after
        }
    );
    assert_eq!(c.not_after, next.body().not_after);
    assert!(c.not_after > first_expiry);

    // Past the old expiry (one day), the connection and the conversation live on.
    relay.relay.clock.advance(Duration::from_secs(DAY + 60));
    tokio::time::sleep(Duration::from_millis(600)).await;
    round_trip(&mut c, &mut v, "after").await;
    // The roster carries the renewed certificate (colleagues seal hand-over notes to it).
    let roster = relay.relay.roster().await;
    let listed = roster.iter().find(|e| e.serial == 310).expect("listed");
    assert_eq!(listed.certificate.0, next.as_bytes());
}

/// Sends a sign-in on a raw wire; returns it with the challenge nonce it signed.
async fn send_sign_in(relay: &TestRelay, keys: &CoordinatorFiles) -> (Wire, [u8; 32]) {
    let mut wire = Wire::connect(&relay.coordinator_url(), &[])
        .await
        .expect("wire");
    let RelayFrame::AuthChallenge { nonce, .. } = wire.recv().await.expect("challenge") else {
        panic!("no challenge")
    };
    wire.send(auth(relay, keys, &keys.certificate, &nonce.0))
        .await
        .expect("auth");
    (wire, nonce.0)
}

/// Signs in on a raw wire; returns it with the challenge nonce it signed.
async fn raw_sign_in(relay: &TestRelay, keys: &CoordinatorFiles) -> (Wire, [u8; 32]) {
    let (mut wire, nonce) = send_sign_in(relay, keys).await;
    assert!(matches!(
        wire.recv().await.expect("authed"),
        RelayFrame::Authed { .. }
    ));
    (wire, nonce)
}

fn auth(
    relay: &TestRelay,
    keys: &CoordinatorFiles,
    certificate: &Certificate,
    nonce: &[u8; 32],
) -> CoordinatorFrame {
    let org = relay.relay.keys.organisation.fingerprint();
    CoordinatorFrame::Auth {
        certificate: Bytes(certificate.as_bytes().to_vec()),
        signature: Bytes(keys.signing.sign(&auth_message(nonce, &org)).to_vec()),
    }
}

#[tokio::test]
async fn a_renewal_for_another_serial_expired_or_badly_signed_closes_with_4006() {
    let relay = TestRelay::start().await;
    let keys = relay.coordinator_keys(320, "Bo");
    let now = relay.relay.clock.unix_s();
    let expired = CertificateBody {
        not_before: now - 2 * DAY,
        not_after: now - DAY,
        ..keys.certificate.body().clone()
    }
    .sign(&relay.org_key())
    .expect("signed");
    let stranger = lifeline::crypto::SigningKey::generate();
    let unsigned_by_org = CertificateBody {
        not_after: now + 14 * DAY,
        ..keys.certificate.body().clone()
    }
    .sign(&stranger)
    .expect("signed");
    let cases = [
        ("another serial", renewed(&relay, &keys, 370, 14), false),
        ("expired", expired, false),
        ("not the organisation's", unsigned_by_org, false),
        (
            "signed over another nonce",
            renewed(&relay, &keys, 320, 14),
            true,
        ),
    ];
    for (why, certificate, wrong_nonce) in cases {
        let (mut wire, nonce) = raw_sign_in(&relay, &keys).await;
        let signed_over = if wrong_nonce { [7u8; 32] } else { nonce };
        wire.send(auth(&relay, &keys, &certificate, &signed_over))
            .await
            .expect("sent");
        assert_eq!(close_code(&mut wire).await, Some(4006), "{why}");
    }
    // The genuine renewal on a raw wire: answered by `authed` with the new expiry.
    let (mut wire, nonce) = raw_sign_in(&relay, &keys).await;
    let next = renewed(&relay, &keys, 320, 14);
    wire.send(auth(&relay, &keys, &next, &nonce))
        .await
        .expect("sent");
    let RelayFrame::Authed {
        not_after, serial, ..
    } = wire.recv().await.expect("authed")
    else {
        panic!("expected authed")
    };
    assert_eq!((serial, not_after), (320, next.body().not_after));
}

#[test]
fn keys_renew_keeps_the_serial_records_it_and_refuses_a_revoked_coordinator() {
    let folder = tempfile::tempdir().expect("dir");
    let dir = folder.path();
    let pass = dir.join("passphrase");
    std::fs::write(&pass, "organisation passphrase\n").expect("passphrase");
    let org_public = b64::decode(&last_line(keys(&pass, dir, &["init-organisation"])));
    let org = OrgPublicKey(
        org_public
            .and_then(|k| k.try_into().ok())
            .expect("32 bytes"),
    );

    let mut identity = Identity::generate("Noor").expect("identity");
    let request = identity.enrolment_request().expect("request");
    let cert = last_line(keys(
        &pass,
        dir,
        &["enrol", "--request", &request, "--days", "5"],
    ));
    let now = lifeline::clock::Clock::system().unix_s();
    identity
        .install_certificate(&cert, org, now)
        .expect("installed");
    let serial = identity.certificate().expect("enrolled").body().serial;
    let first_expiry = identity.certificate().expect("enrolled").body().not_after;

    // The console asks; the organisation renews: same serial and alias, later expiry.
    let renewal = identity.renewal_request().expect("renewal request");
    let renew = ["renew", "--request", &renewal, "--days", "14"];
    let renewed_b64 = last_line(keys(&pass, dir, &renew));
    let renewed = Certificate::decode_verified(
        &b64::decode(&renewed_b64).expect("b64"),
        &org,
        now,
        None,
        Role::Coordinator,
    )
    .expect("valid");
    assert_eq!(renewed.body().serial, serial);
    assert_eq!(renewed.body().alias, "Noor");
    assert!(renewed.body().not_after >= first_expiry + 8 * DAY);
    identity
        .install_certificate(&renewed_b64, org, now)
        .expect("installs");
    let listing = printed(keys(&pass, dir, &["list"]));
    assert!(
        listing.contains("in 13 days") || listing.contains("in 14 days"),
        "the renewed expiry, not the first one: {listing}"
    );
    assert_eq!(listing.matches("Noor").count(), 1, "one row per serial");

    // A wrong passphrase: a clear error, and nothing issued.
    let wrong = dir.join("wrong");
    std::fs::write(&wrong, "not the passphrase at all\n").expect("wrong");
    let registry = std::fs::read(dir.join("registry.jsonl")).expect("registry");
    let out = keys(&wrong, dir, &renew);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("organisation.key") && err.contains("wrong passphrase"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.join("registry.jsonl")).expect("registry"),
        registry
    );

    // Revoked: the renewal is refused, from the published list.
    printed(keys(
        &pass,
        dir,
        &["revoke", "--serial", &serial.to_string()],
    ));
    let out = keys(&pass, dir, &renew);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"));
    // The identity kept the renewed certificate through a seal and open.
    let cheap = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };
    let text = identity.seal("a long passphrase", cheap).expect("sealed");
    let reopened = Identity::open(&text, "a long passphrase").expect("opens");
    assert_eq!(reopened.certificate(), Some(&renewed));
}

#[tokio::test]
async fn the_consoles_connection_task_sends_a_renewal_and_reports_the_new_expiry() {
    use lifeline::console::net::{self, NetHandle};
    use lifeline::console::shift::{Command as ShiftCommand, NetEvent};
    let relay = TestRelay::start().await;
    let keys = relay.coordinator_keys(330, "Amara");
    let next = renewed(&relay, &keys, 330, 14);
    let login = net::login(
        &format!("ws://{}", relay.addr),
        keys,
        Some(relay.relay.keys.organisation),
        &lifeline::client::wire::TlsTrust::default(),
    )
    .await
    .expect("login");
    assert!(login.not_after < next.body().not_after);
    let mut handle = NetHandle::spawn(login.client, None);
    handle.send([ShiftCommand::Renew(next.clone())]);
    let renewed_at = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match handle.events.recv().await {
                Some(NetEvent::Relay(CoordinatorEvent::Renewed { not_after })) => {
                    return Some(not_after);
                }
                Some(_) => continue,
                None => return None,
            }
        }
    })
    .await
    .expect("in time");
    assert_eq!(renewed_at, Some(next.body().not_after));
    handle.send([ShiftCommand::Quit]);
    handle.finish(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_renewal_to_new_keys_needs_the_new_key_and_supersedes_the_old_certificate() {
    let relay = TestRelay::start().await;
    let old = relay.coordinator_keys(340, "Noor");
    let new = for_new_keys(&relay, 340);

    // The connection proved the old key at sign-in; the new certificate's key must sign the
    // challenge too, or the connection has not shown it holds it.
    let (mut wire, nonce) = raw_sign_in(&relay, &old).await;
    wire.send(auth(&relay, &old, &new.certificate, &nonce))
        .await
        .expect("sent");
    assert_eq!(
        close_code(&mut wire).await,
        Some(4006),
        "signed by the old key"
    );
    assert_eq!(
        sign_in_refused(&relay, &old).await,
        None,
        "nothing superseded yet"
    );

    let (mut wire, nonce) = raw_sign_in(&relay, &old).await;
    wire.send(auth(&relay, &new, &new.certificate, &nonce))
        .await
        .expect("sent");
    let RelayFrame::Authed { serial, .. } = wire.recv().await.expect("authed") else {
        panic!("expected authed")
    };
    assert_eq!(serial, 340);
    drop(wire);
    // From now on the old certificate, unexpired and unrevoked, no longer signs in; the new
    // one does.
    assert_eq!(sign_in_refused(&relay, &old).await, Some(4006));
    assert_eq!(sign_in_refused(&relay, &new).await, None);
    // Nor after the relay restarts: the record is in Redis, or on the memory store in the
    // data folder.
    let relay = relay.restart().await;
    assert_eq!(
        sign_in_refused(&relay, &old).await,
        Some(4006),
        "after a restart"
    );
    assert_eq!(sign_in_refused(&relay, &new).await, None);
}
