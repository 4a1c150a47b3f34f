//! Issue 16: after an inbox rotation the relay also serves the retired inbox certificates
//! (`keys/inbox/*.cert`) still within retention + margin, so a returning tipster can check
//! replies sealed before it; a foreign, too old or current certificate in that folder is not
//! served as "previous", and `/v1/config` keeps sealing to the current one only.

use crate::binary;
use crate::common;
use crate::noscript;

use lifeline::client::tipster::request;
use lifeline::clock::Clock;
use lifeline::crypto::certificate::Certificate;
use lifeline::crypto::keys::SigningKey;
use lifeline::keyfile;
use lifeline::protocol::b64;
use noscript::{get_form, post_form, shown_code};

const DAY: u64 = 86_400;

fn serials(certs: &[Certificate]) -> Vec<u64> {
    certs.iter().map(|c| c.body().serial).collect()
}

#[tokio::test]
async fn the_relay_serves_retired_inbox_certificates_within_retention_and_seals_to_the_current_one()
{
    let relay = common::TestRelay::start().await;
    let paths = relay.paths();
    let org = relay.org_key();
    let now = Clock::system().unix_s();
    let issued = |serial, at| {
        keyfile::issue_inbox(&org, serial, 365, &Clock::manual(at))
            .expect("issued")
            .1
    };
    let first = relay.relay.inbox_certificate();
    assert!(relay.relay.previous_inbox_certificates().is_empty());

    // Rotated: the new certificate is adopted; the old ones are copied into keys/inbox/.
    let current = issued(50, now + 60);
    keyfile::write_key(&paths.inbox_certificate(), current.as_bytes()).expect("written");
    relay.relay.reload_inbox_certificate();
    assert_eq!(
        relay.relay.inbox_certificate().as_bytes(),
        current.as_bytes()
    );
    let retention = relay.relay.config.tips.retention_days;
    // `ancient` was retired when `older` began, longer than retention + margin ago.
    let ancient = issued(40, now - (retention + 40) * DAY);
    let older = issued(41, now - (retention + 3 + 1) * DAY);
    let (_, foreign) =
        keyfile::issue_inbox(&SigningKey::generate(), 42, 365, &Clock::manual(now - DAY))
            .expect("issued");
    std::fs::create_dir_all(paths.kept_inbox_folder()).expect("folder");
    for (name, cert) in [
        ("40.cert", &ancient),
        ("41.cert", &older),
        ("42.cert", &foreign),
        ("49.cert", &first),
        ("50.cert", &current),
    ] {
        keyfile::write_key(&paths.kept_inbox_folder().join(name), cert.as_bytes()).expect("kept");
    }
    std::fs::write(paths.kept_inbox_folder().join("43.cert"), "not base64\n").expect("damaged");
    relay.relay.reload_previous_inbox_certificates();
    // `older` was retired when `first` began (now): still needed; `ancient` is past its window.
    assert_eq!(
        serials(&relay.relay.previous_inbox_certificates()),
        vec![first.body().serial, 41]
    );

    let (status, body) = request(&relay.addr.to_string(), "GET", "/v1/config", None, &[])
        .await
        .expect("config");
    assert_eq!(status, 200, "{body}");
    let config: serde_json::Value = serde_json::from_str(&body).expect("json");
    let decoded = |v: &serde_json::Value| b64::decode(v.as_str().expect("b64")).expect("b64");
    assert_eq!(decoded(&config["inbox_certificate"]), current.as_bytes());
    let previous: Vec<Vec<u8>> = config["previous_inbox_certificates"]
        .as_array()
        .expect("a list")
        .iter()
        .map(decoded)
        .collect();
    assert_eq!(
        previous,
        vec![first.as_bytes().to_vec(), older.as_bytes().to_vec()]
    );

    // Emptied folder: nothing retired is served any more.
    std::fs::remove_dir_all(paths.kept_inbox_folder()).expect("removed");
    relay.relay.reload_previous_inbox_certificates();
    assert!(relay.relay.previous_inbox_certificates().is_empty());
}

/// The no-script receipt page opens replies on the relay: one sent before the rotation shows
/// once the retired certificate is in `keys/inbox/`, and not before.
#[tokio::test]
async fn the_no_script_receipt_page_shows_a_reply_sent_before_the_rotation() {
    let relay = common::TestRelay::start().await;
    let addr = relay.addr.to_string();
    let paths = relay.paths();
    let (_, _, token) = get_form(&addr, "/tip").await;
    let fields = [
        ("token", token.as_str()),
        ("lang", "en"),
        ("text", "Seen at the port"),
    ];
    let (status, page) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{page}");
    let code = lifeline::crypto::receipt::ReceiptCode::parse(&shown_code(&page)).expect("code");
    let keys = code.derive(&relay.relay.keys.organisation.fingerprint());
    let mut c = relay.on_duty(500, "Amara", 1).await;
    let id = common::listed_tips(&mut c).await[0].id;
    common::reply_to_tip(
        &relay,
        &mut c,
        id,
        &keys.tipster_key.public(),
        "Sent before.",
    )
    .await;

    let first = relay.relay.inbox_certificate();
    let now = Clock::system().unix_s();
    let (_, current) =
        keyfile::issue_inbox(&relay.org_key(), 50, 365, &Clock::manual(now + 60)).expect("issued");
    keyfile::write_key(&paths.inbox_certificate(), current.as_bytes()).expect("written");
    relay.relay.reload_inbox_certificate();
    let read = || async {
        let (_, _, token) = get_form(&addr, "/tip/replies").await;
        let typed = shown_code(&page);
        let (status, replies) = post_form(
            &addr,
            "/tip/replies",
            &[("token", &token), ("lang", "en"), ("code", &typed)],
            &[],
        )
        .await;
        assert_eq!(status, 200, "{replies}");
        replies
    };
    assert!(
        !read().await.contains("Sent before."),
        "no retired certificate yet"
    );
    keyfile::write_key(
        &paths.kept_inbox_certificate(first.body().serial),
        first.as_bytes(),
    )
    .expect("kept");
    relay.relay.reload_previous_inbox_certificates();
    let replies = read().await;
    assert!(replies.contains("Sent before."), "{replies}");
}

/// `lifeline serve` warns about a private key copied into `keys/inbox/` when it arrives, also
/// when the certificates there are already in use and unchanged (`cp org-keys/inbox/*` after
/// an earlier copy of the `.cert` files): operations.md promises the warning.
#[tokio::test]
async fn a_private_key_copied_beside_certificates_already_there_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", binary::free_port());
    let metrics = format!("127.0.0.1:{}", binary::free_port());
    let relay = binary::RelayProcess::start(
        &listen,
        dir.path(),
        &[("LIFELINE_SERVER_METRICS_LISTEN", metrics.as_str())],
    )
    .await;
    let folder = dir.path().join("keys").join("inbox");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("1.cert"), "AAAA\n").unwrap();
    let warned = |what: &str| relay.logs().contains(what);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !warned("retired inbox certificate refused") {
        assert!(std::time::Instant::now() < deadline, "{}", relay.logs());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    std::fs::write(folder.join("1.key"), "AAAA\n").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !warned("a private key file lies among the relay's retired inbox certificates") {
        assert!(
            std::time::Instant::now() < deadline,
            "no warning about the .key:\n{}",
            relay.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
