//! `/metrics` is private by default: the real binary serves it on its own loopback listener
//! (`server.metrics_listen`), which serves nothing else, and not on the public listener unless
//! `server.metrics_public` says so. A wrong or busy metrics address stops the relay at start,
//! naming the key.

use crate::binary;

use binary::{RelayProcess, free_port, run_to_exit_printing};
use lifeline::client::tipster::request;

async fn get(addr: &str, path: &str) -> (u16, String) {
    request(addr, "GET", path, None, &[])
        .await
        .expect("request")
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_not_on_the_public_one() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = format!("127.0.0.1:{}", free_port());
    let public = format!("127.0.0.1:{}", free_port());
    let relay = RelayProcess::start(
        &public,
        dir.path(),
        &[("LIFELINE_SERVER_METRICS_LISTEN", &metrics)],
    )
    .await;

    let (status, _) = get(&relay.addr, "/metrics").await;
    assert_eq!(status, 404, "the public listener must not serve /metrics");
    let (status, body) = get(&metrics, "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("lifeline_visitor_connections 0"), "{body}");
    for path in ["/healthz", "/v1/config", "/v1/pow", "/"] {
        assert_eq!(
            get(&metrics, path).await.0,
            404,
            "the metrics listener serves {path}"
        );
    }
    assert!(
        relay.logs().contains(&format!("http://{metrics}/metrics")),
        "start-up names where metrics are: {}",
        relay.logs()
    );
}

#[tokio::test]
async fn metrics_public_serves_them_on_the_public_listener_too() {
    let dir = tempfile::tempdir().unwrap();
    let public = format!("127.0.0.1:{}", free_port());
    let relay = RelayProcess::start(
        &public,
        dir.path(),
        &[
            ("LIFELINE_SERVER_METRICS_LISTEN", ""),
            ("LIFELINE_SERVER_METRICS_PUBLIC", "true"),
        ],
    )
    .await;
    let (status, body) = get(&relay.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("lifeline_sessions_opened_total"), "{body}");
}

#[tokio::test]
async fn a_wrong_or_busy_metrics_address_stops_the_relay_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let public = format!("127.0.0.1:{}", free_port());
    let port = public.rsplit_once(':').unwrap().1.to_owned();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let cases: [(&str, Option<i32>); 3] = [
        ("metrics-please", Some(2)),
        (&format!("127.0.0.1:{port}"), Some(2)),
        (&busy_addr, Some(1)),
    ];
    for (value, code) in cases {
        let (exit, stdout, stderr) = run_to_exit_printing(
            dir.path(),
            &[
                ("LIFELINE_SERVER_LISTEN", &public),
                ("LIFELINE_SERVER_METRICS_LISTEN", value),
            ],
        );
        assert_eq!(exit, code, "{value}: {stderr}");
        assert!(
            stderr.contains("server.metrics_listen"),
            "{value}: the error names the key: {stderr}"
        );
        // An operator reading the log is never told it listens when it is about to stop.
        assert!(
            !stdout.contains("listening on"),
            "{value}: said it listened: {stdout}"
        );
    }
    drop(busy);
}
