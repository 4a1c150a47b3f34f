//! The HTTP surface: security headers on every response, never a cookie, counts-only
//! metrics, readiness, and the widget's public configuration.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::tipster::{Tipster, request};
use lifeline::clock::Clock;

async fn raw(addr: &str, method: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out.to_ascii_lowercase()
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_cookie() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/v1/config"),
        ("GET", "/nope"),
        ("POST", "/v1/tips"),
        ("OPTIONS", "/v1/tips"),
        ("GET", "/v1/visitor"),
    ] {
        let response = raw(&addr, method, path).await;
        for header in [
            "content-security-policy: default-src 'none'; script-src 'self'",
            "referrer-policy: no-referrer",
            "x-content-type-options: nosniff",
            "x-frame-options: deny",
            "permissions-policy: camera=()",
            "cache-control: no-store",
        ] {
            assert!(
                response.contains(header),
                "{method} {path} lacks {header}:\n{response}"
            );
        }
        assert!(
            !response.contains("set-cookie"),
            "{method} {path} sets a cookie"
        );
        assert!(!response.contains("unsafe-inline") && !response.contains("unsafe-eval"));
    }
    // Every other door too, whatever headers of its own it sends: none sets a cookie.
    for (method, path) in [
        ("GET", "/help"),
        ("GET", "/tip"),
        ("POST", "/tip"),
        ("GET", "/tip/replies"),
        ("POST", "/tip/replies"),
        ("GET", "/v1/pow"),
        ("POST", "/v1/receipt"),
        ("POST", "/v1/receipt/followup"),
        ("GET", "/readyz"),
        ("GET", "/widget/lifeline.js"),
        ("GET", "/widget/lifeline.css"),
        ("GET", "/widget/pow-worker.js"),
        ("GET", "/widget/sri.json"),
    ] {
        let response = raw(&addr, method, path).await.to_ascii_lowercase();
        assert!(
            response.starts_with("http/1.1 "),
            "{method} {path} answered: {response}"
        );
        assert!(
            !response.contains("set-cookie"),
            "{method} {path} sets a cookie"
        );
    }
}

#[tokio::test]
async fn health_readiness_metrics_and_public_config() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    assert_eq!(
        request(&addr, "GET", "/healthz", None, &[]).await.unwrap(),
        (200, "ok".into())
    );
    assert_eq!(
        request(&addr, "GET", "/readyz", None, &[]).await.unwrap().0,
        200
    );
    let _visitor = relay.visitor().await;
    // The figures about visitors show the visit once the minute has turned.
    next_minute(&relay);
    let (status, metrics) = request(&addr, "GET", "/metrics", None, &[]).await.unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("lifeline_sessions_opened_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("lifeline_queue_length 1"));
    // Counts only: every sample line is a name and a number.
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let parts: Vec<&str> = line.split(' ').collect();
        assert!(
            parts.len() == 2
                && parts[0].starts_with("lifeline_")
                && parts[1].parse::<u64>().is_ok(),
            "{line}"
        );
    }
    let (status, config) = request(&addr, "GET", "/v1/config", None, &[])
        .await
        .unwrap();
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        config["organisation"],
        lifeline::protocol::b64::encode(&relay.relay.keys.organisation.0)
    );
    assert_eq!(config["emergency"][1]["number"], "211");
    assert_eq!(config["on_duty"], 0);
}

/// §9.9: a body over the limit gets `413` in the JSON error shape, like every other refusal,
/// on every endpoint that takes one; a body at the limit is read (and here refused as
/// malformed, 400).
#[tokio::test]
async fn an_oversized_body_gets_413_in_the_json_error_shape() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let limit = relay.relay.config.limits.max_body_bytes;
    for path in ["/v1/tips", "/v1/receipt", "/v1/receipt/followup"] {
        for (size, status) in [(limit + 1, 413), (limit, 400)] {
            let body = format!("{{{}}}", " ".repeat(size - 2));
            let (got, text) = request(&addr, "POST", path, Some(body), &[]).await.unwrap();
            assert_eq!(got, status, "{path} with {size} bytes: {text}");
            let error: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
            assert_eq!(error["v"], 1, "{text}");
            assert!(error["error"].is_string(), "{text}");
            assert_eq!(error.as_object().unwrap().len(), 2, "{text}");
        }
    }
}

/// §2.2, §9.10: the deployment's revocation-list maximum age is published (30 days by
/// default), and follows the operator's setting.
#[tokio::test]
async fn public_config_publishes_the_revocation_list_maximum_age() {
    for (days, expected) in [(None, 30), (Some(7), 7)] {
        let relay = TestRelay::start_with(|c| {
            if let Some(days) = days {
                c.widget.revocations_max_age_days = days;
            }
        })
        .await;
        let (status, config) = request(&relay.addr.to_string(), "GET", "/v1/config", None, &[])
            .await
            .unwrap();
        assert_eq!(status, 200);
        let config: serde_json::Value = serde_json::from_str(&config).unwrap();
        assert_eq!(config["revocations_max_age_days"], expected, "{config}");
    }
}

/// Every `name value` sample line of a `/metrics` body.
fn samples(body: &str) -> std::collections::BTreeMap<String, String> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// The figures about visitors a scraper could time a visit or a tip by.
const VISITOR_FIGURES: [&str; 5] = [
    "lifeline_sessions_opened_total",
    "lifeline_visitor_connections",
    "lifeline_queue_length",
    "lifeline_tips_received_total",
    "lifeline_tips_stored",
];

async fn figures(addr: &str) -> Vec<(String, u64)> {
    let (status, body) = request(addr, "GET", "/metrics", None, &[]).await.unwrap();
    assert_eq!(status, 200);
    let all = samples(&body);
    assert_eq!(all["lifeline_store_reachable"], "1", "live, every scrape");
    VISITOR_FIGURES
        .iter()
        .map(|name| (name.to_string(), all[*name].parse().expect(name)))
        .collect()
}

fn expect(values: [u64; 5]) -> Vec<(String, u64)> {
    VISITOR_FIGURES
        .iter()
        .map(|n| n.to_string())
        .zip(values)
        .collect()
}

/// A scraper every 15 s must not learn when a visit began and ended, or when a tip came,
/// to finer than the minute (docs/operations.md, *What /metrics shows, and when*): the
/// figures about visitors are taken at each whole minute of the relay's clock, and every
/// scrape within that minute sees the same.
#[tokio::test]
async fn metrics_show_a_visit_and_a_tip_only_once_the_minute_turns() {
    let dir = tempfile::tempdir().unwrap();
    // Ten seconds into a minute, standing still until the test moves it.
    let clock = Clock::manual(Clock::system().unix_minute() * 60 + 10);
    let relay = TestRelay::start_on_clock(
        dir.path().to_path_buf(),
        "127.0.0.1:0",
        clock.clone(),
        |_| {},
    )
    .await;
    let addr = relay.addr.to_string();
    assert_eq!(figures(&addr).await, expect([0, 0, 0, 0, 0]));

    // A visit opens and a tip is filed, within the same minute as that scrape.
    let visitor = relay.visitor().await;
    file_first_tip(&relay, &Tipster::new(&addr), "a tip", None).await;
    assert_eq!(
        figures(&addr).await,
        expect([0, 0, 0, 0, 0]),
        "a scrape in the same minute shows nothing of them"
    );
    clock.advance(Duration::from_secs(49));
    assert_eq!(
        figures(&addr).await,
        expect([0, 0, 0, 0, 0]),
        "nor does one at 59 s"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        figures(&addr).await,
        expect([1, 1, 1, 1, 1]),
        "the next minute shows both"
    );

    // The visitor leaves: the connection gauge stays as the minute began.
    drop(visitor);
    eventually(
        "the visitor's connection closed",
        Duration::from_secs(10),
        || {
            relay
                .relay
                .metrics
                .visitor_connections
                .load(std::sync::atomic::Ordering::Relaxed)
                == 0
        },
    )
    .await;
    clock.advance(Duration::from_secs(30));
    assert_eq!(figures(&addr).await, expect([1, 1, 1, 1, 1]));
    clock.advance(Duration::from_secs(30));
    assert_eq!(figures(&addr).await, expect([1, 0, 1, 1, 1]));
}
