//! Optional TLS: with a certificate and key in the config the relay serves HTTPS and WSS
//! through rustls and adds HSTS; a wrong path fails at start naming the key.

use crate::common;

use std::sync::Arc;

use common::*;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use lifeline::protocol::RelayFrame;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A client trusting `roots`, speaking `versions`; it keeps sessions in memory (rustls's
/// default), as a browser does.
fn client_config(
    roots: &RootCertStore,
    versions: &[&'static tokio_rustls::rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    Arc::new(config)
}

async fn connect_with(
    addr: std::net::SocketAddr,
    config: Arc<ClientConfig>,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio_rustls::TlsConnector::from(config)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

async fn tls_connect(
    addr: std::net::SocketAddr,
    roots: &RootCertStore,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    connect_with(
        addr,
        client_config(roots, tokio_rustls::rustls::DEFAULT_VERSIONS),
    )
    .await
}

/// A relay serving TLS with a self-signed certificate for `localhost`, written to `dir`.
async fn tls_relay(dir: &std::path::Path) -> (TestRelay, rcgen::CertifiedKey<rcgen::KeyPair>) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let relay = TestRelay::start_with(|c| {
        c.server.tls_cert = cert.display().to_string();
        c.server.tls_key = key.display().to_string();
    })
    .await;
    (relay, generated)
}

#[tokio::test]
async fn a_console_logs_in_over_wss_trusting_the_organisation_s_ca_and_only_then() {
    use lifeline::client::wire::TlsTrust;
    use lifeline::console::net;
    use lifeline::keyfile::CoordinatorFiles;

    let dir = tempfile::tempdir().unwrap();
    let (relay, _) = tls_relay(dir.path()).await;
    let url = format!("wss://localhost:{}", relay.addr.port());
    let files = || CoordinatorFiles::load(&relay.paths().dev_coordinator()).unwrap();
    // Not signed by a public CA: refused without the organisation's CA, before anything.
    let refused = net::login(&url, files(), None, &TlsTrust::default()).await;
    assert!(
        matches!(refused, Err(net::LoginError::Client(_))),
        "an unknown certificate must be refused"
    );
    let trust = TlsTrust::with_ca_file(&dir.path().join("cert.pem")).unwrap();
    let login = net::login(&url, files(), Some(relay.relay.keys.organisation), &trust)
        .await
        .expect("login over wss");
    assert_eq!(login.organisation, relay.relay.keys.organisation);
    assert_eq!(login.client.serial, files().certificate.body().serial);
}

#[tokio::test]
async fn serves_https_and_wss_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, generated) = tls_relay(dir.path()).await;
    let mut roots = RootCertStore::empty();
    roots.add(generated.cert.der().clone()).unwrap();

    let tls = tls_connect(relay.addr, &roots).await;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("/healthz")
        .header("host", "localhost")
        .body(Empty::<hyper::body::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .expect("HSTS over TLS")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(hsts.starts_with("max-age="), "{hsts}");
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "ok"
    );

    let tls = tls_connect(relay.addr, &roots).await;
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/v1/visitor", tls)
        .await
        .unwrap();
    use futures_util::StreamExt;
    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = ws.next().await else {
        panic!("no frame over wss")
    };
    assert!(matches!(
        lifeline::protocol::decode_relay(&text).unwrap(),
        RelayFrame::Challenge { .. }
    ));

    // Plain HTTP to the TLS port gets nothing useful.
    let plain =
        lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/healthz", None, &[])
            .await;
    assert!(plain.is_err() || plain.unwrap().0 != 200);
}

#[tokio::test]
async fn a_missing_certificate_fails_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.server.tls_cert = dir.path().join("missing.pem").display().to_string();
    config.server.tls_key = dir.path().join("missing.key").display().to_string();
    let (keys, _) = lifeline::keyfile::load_relay_keys(
        dir.path(),
        "",
        true,
        "127.0.0.1:0",
        &lifeline::clock::Clock::system(),
    )
    .unwrap();
    let store = lifeline::store::Store::open(&config).await.unwrap();
    let relay = lifeline::relay::Relay::new(config, keys, store).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = lifeline::relay::serve(relay, listener, std::future::pending())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("server.tls_cert"), "{err}");
}

/// `lifeline serve` itself: TLS files it cannot use are a configuration mistake, refused
/// before the relay says it listens (exit 2, naming the key, so systemd does not restart it
/// every two seconds); usable ones make it say it listens on https://.
#[test]
fn the_binary_refuses_unusable_tls_files_before_announcing_and_announces_https() {
    let bin = env!("CARGO_BIN_EXE_lifeline");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/lifeline.toml");
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let missing = dir.path().join("missing.pem");
    let command = |cert: &std::path::Path, key: &std::path::Path| {
        let mut command = std::process::Command::new(bin);
        command
            .args(["--config", config, "serve"])
            // The suite's own switch (the Redis run sets it) is not a config key.
            .env_remove("LIFELINE_TEST_STORE")
            .env("LIFELINE_SERVER_LISTEN", "127.0.0.1:0")
            .env("LIFELINE_SERVER_METRICS_LISTEN", "")
            .env("LIFELINE_SERVER_DATA_DIR", dir.path().join("data"))
            .env("LIFELINE_SERVER_TLS_CERT", cert)
            .env("LIFELINE_SERVER_TLS_KEY", key)
            .stdin(std::process::Stdio::null());
        command
    };
    for (cert, key, named) in [
        (&missing, &key, "server.tls_cert"),
        (&cert, &missing, "server.tls_key"),
        (&cert, &cert, "server.tls_key"),
    ] {
        let out = command(cert, key).output().unwrap();
        let (said, printed) = (
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout),
        );
        assert_eq!(out.status.code(), Some(2), "{named}: {printed}{said}");
        assert!(said.contains(named), "{named}: {said}");
        assert!(!printed.contains("listening"), "{named}: {printed}");
    }
    let mut child = command(&cert, &key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let announced = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("listening"));
    let _ = child.kill();
    let _ = child.wait();
    let announced = announced.unwrap_or_default();
    assert!(
        announced.contains("listening on https://127.0.0.1:"),
        "{announced}"
    );
}

/// A browser that comes back with a TLS session from an earlier visit (a TLS 1.3 ticket, a
/// TLS 1.2 session id) would be recognised by it: the relay hands out neither, so every
/// connection is a full handshake, whatever the client keeps (as nginx's `ssl_session_tickets
/// off; ssl_session_cache off;` in the deploy kit).
#[tokio::test]
async fn no_connection_resumes_an_earlier_tls_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::HandshakeKind;
    use tokio_rustls::rustls::version::{TLS12, TLS13};

    let dir = tempfile::tempdir().unwrap();
    let (relay, generated) = tls_relay(dir.path()).await;
    let mut roots = RootCertStore::empty();
    roots.add(generated.cert.der().clone()).unwrap();
    for version in [&TLS13, &TLS12] {
        let config = client_config(&roots, &[version]);
        let mut kinds = Vec::new();
        for _ in 0..3 {
            let mut tls = connect_with(relay.addr, config.clone()).await;
            kinds.push(tls.get_ref().1.handshake_kind());
            // A whole exchange, so that whatever the server sends after the handshake (a
            // TLS 1.3 ticket) reaches the client's cache before the next connection.
            tls.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut answer = Vec::new();
            let _ = tls.read_to_end(&mut answer).await;
            assert!(answer.starts_with(b"HTTP/1.1 200"), "{version:?}");
        }
        assert_eq!(
            kinds,
            vec![Some(HandshakeKind::Full); 3],
            "{version:?}: a connection resumed an earlier session"
        );
    }
}
