//! The TLS certificate's expiry never lapses silently (issue 16, item 6's spirit): with a
//! certificate generated here, on the relay's injected clock, the log warns daily from 7
//! days before `notAfter`, `/metrics` shows the days left, and `/readyz` says it; the relay's
//! own `server.tls_cert` is watched like a proxy's `server.tls_watch_cert`.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::clock::Clock;
use lifeline::config::Config;

const DAY: u64 = 86_400;
/// 2030-01-31T00:00:00Z, the generated certificate's `notAfter`.
const NOT_AFTER: u64 = 1_896_048_000;

/// A self-signed certificate valid until [`NOT_AFTER`], as PEM, with its key's PEM.
fn certificate() -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec!["relay.example".into()]).expect("params");
    params.not_before = rcgen::date_time_ymd(2029, 1, 1);
    params.not_after = rcgen::date_time_ymd(2030, 1, 31);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("certificate");
    (cert.pem(), key.serialize_pem())
}

async fn get(relay: &TestRelay, path: &str) -> (u16, String) {
    lifeline::client::tipster::request(&relay.addr.to_string(), "GET", path, None, &[])
        .await
        .expect("request")
}

fn days_left(metrics: &str) -> Option<i64> {
    metrics.lines().find_map(|l| {
        l.strip_prefix("lifeline_tls_certificate_days_left ")?
            .parse()
            .ok()
    })
}

/// Polls the captured log for `text` for up to 5 s (the watcher looks every 2 s).
async fn logged_within(logs: &CapturedLogs, text: &str) -> bool {
    for _ in 0..50 {
        if logs.text().contains(text) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

const WARNING: &str = "the TLS certificate is within 7 days of expiry";

#[tokio::test]
async fn a_proxys_certificate_is_warned_of_daily_from_seven_days_before_it_expires() {
    let logs = capture_logs();
    let dir = tempfile::tempdir().expect("dir");
    let cert = dir.path().join("proxy-cert.pem");
    std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
    std::fs::write(&cert, certificate().0).expect("cert");
    let clock = Clock::manual(NOT_AFTER - 10 * DAY);
    let watch = cert.display().to_string();
    let relay = TestRelay::start_clocked(
        dir.path().join("data"),
        "127.0.0.1:0",
        clock.clone(),
        |c: &mut Config| c.server.tls_watch_cert = watch,
    )
    .await;

    // Ten days before: the days shown, no warning.
    assert_eq!(days_left(&get(&relay, "/metrics").await.1), Some(10));
    let (status, detail) = get(&relay, "/readyz").await;
    assert_eq!(status, 200);
    assert!(
        detail.ends_with("tls certificate: 10 days left"),
        "{detail}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!logs.text().contains(WARNING), "no warning 10 days before");

    // Six days before: warned, and /readyz says to renew (still ready: the relay works).
    clock.advance(Duration::from_secs(4 * DAY));
    assert!(logged_within(&logs, WARNING).await, "warned 6 days before");
    assert_eq!(days_left(&get(&relay, "/metrics").await.1), Some(6));
    let (status, detail) = get(&relay, "/readyz").await;
    assert_eq!(status, 200);
    assert!(detail.contains("6 days left: renew it"), "{detail}");
    // Once that day, then again the next.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(logs.text().matches(WARNING).count(), 1, "once a day");
    clock.advance(Duration::from_secs(DAY));
    assert!(logged_within(&logs, "days_left=5").await, "warned again");

    // Past notAfter: negative days, and /readyz says it loudly.
    clock.advance(Duration::from_secs(6 * DAY));
    assert_eq!(days_left(&get(&relay, "/metrics").await.1), Some(-1));
    let (_, detail) = get(&relay, "/readyz").await;
    assert!(detail.contains("tls certificate: EXPIRED"), "{detail}");

    // Renewed (the proxy wrote a new file): read again, no restart.
    std::fs::write(&cert, "not a certificate").expect("garbage");
    let (_, detail) = get(&relay, "/readyz").await;
    assert!(
        detail.contains("tls certificate: expiry unknown"),
        "{detail}"
    );
    assert_eq!(days_left(&get(&relay, "/metrics").await.1), None);
    clock.advance(Duration::from_secs(DAY));
    assert!(logged_within(&logs, "cannot read the TLS certificate").await);
    relay.stop().await;
}

#[tokio::test]
async fn the_relays_own_certificate_is_watched_and_nothing_without_one() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert_pem, key_pem) = certificate();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, cert_pem).expect("cert");
    std::fs::write(&key, key_pem).expect("key");
    let mut config = Config::defaults();
    config.server.tls_cert = cert.display().to_string();
    config.server.tls_key = key.display().to_string();
    assert_eq!(
        lifeline::relay::tls_expiry::watched(&config),
        Some(cert.clone())
    );
    assert_eq!(
        lifeline::relay::tls_expiry::not_after(&cert),
        Ok(NOT_AFTER as i64)
    );
    // A proxy's certificate named too: that one is what browsers see.
    config.server.tls_watch_cert = "/etc/caddy/cert.pem".into();
    assert_eq!(
        lifeline::relay::tls_expiry::watched(&config),
        Some("/etc/caddy/cert.pem".into())
    );

    // No TLS anywhere: no row, no detail.
    let relay = TestRelay::start().await;
    assert_eq!(days_left(&get(&relay, "/metrics").await.1), None);
    let (status, detail) = get(&relay, "/readyz").await;
    assert_eq!(status, 200);
    assert!(!detail.contains("tls"), "{detail}");
    relay.stop().await;
}
