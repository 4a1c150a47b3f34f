//! The HTTP surface: security headers on every response, never a cookie, counts-only
//! metrics, readiness, and the widget's public configuration.

mod common;

use common::*;
use lifeline::client::tipster::request;

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
