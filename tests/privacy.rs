//! The relay keeps no one's identity: after a full chat (both directions, real crypto) and a
//! tip, sent with a distinctive User-Agent and X-Forwarded-For, the logs at trace level, a
//! dump of the store and the tip files contain no peer address, no header value, no
//! plaintext and no receipt code.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use lifeline::client::tipster::{Tipster, request};
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip::{self, TipMessage};
use lifeline::store::ChatStore;
use rand_core::OsRng;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const AGENT: &str = "Mozilla/5.0 (Linux; Android 9) LifelinePrivacyProbe/7.3";
const FORWARDED: &str = "203.0.113.77";
const SECRET_WORDS: [&str; 3] = [
    "my boss keeps our passports",
    "the van comes at six",
    "warehouse behind the station",
];

#[tokio::test]
async fn logs_store_and_tip_files_hold_no_address_header_or_plaintext() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            lifeline::relay::log_filter("trace"),
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let relay = TestRelay::start().await;
    let headers = [
        ("user-agent", AGENT),
        ("x-forwarded-for", FORWARDED),
        ("x-real-ip", FORWARDED),
        ("forwarded", "for=203.0.113.77"),
    ];
    let mut c = relay.on_duty(500, "Amara", 2).await;
    let mut visitor = relay.visitor_with(&headers).await;
    claim_and_connect(&mut c, &mut visitor).await;
    visitor.send_text(SECRET_WORDS[0]).await.unwrap();
    assert_eq!(next_text_coordinator(&mut c).await.1, SECRET_WORDS[0]);
    c.send_text(visitor.session, SECRET_WORDS[1]).await.unwrap();
    assert_eq!(next_text_visitor(&mut visitor).await, SECRET_WORDS[1]);

    // A tip, over HTTP, with the same identifying headers.
    let org = relay.relay.keys.organisation.fingerprint();
    let code = ReceiptCode::generate(&mut OsRng);
    let keys = code.derive(&org);
    let tip = TipMessage {
        reply_key: Some(keys.tipster_key.public()),
        category: None,
        text: SECRET_WORDS[2].into(),
    };
    let sealed = sealed_tip::seal_tip(
        &org,
        &relay.relay.keys.inbox.body().x25519_public,
        &tip,
        &mut OsRng,
    )
    .unwrap();
    let (status, _) = request(&relay.addr.to_string(), "GET", "/v1/pow", None, &headers)
        .await
        .unwrap();
    assert_eq!(status, 200);
    Tipster::new(&relay.addr.to_string())
        .submit(keys.lookup_id, sealed)
        .await
        .unwrap();

    // Snapshot what the relay holds while the session is live.
    let store_dump = relay.relay.store.dump().await;
    assert!(!store_dump.is_empty(), "the scan must see a live session");
    let tip_files = relay.tip_state().await;
    assert!(!tip_files.is_empty());
    visitor.end().await.unwrap();
    drop(c);
    let _dir = relay.stop().await;

    let log_text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        log_text.contains("visitor session opened"),
        "logging was captured:\n{log_text}"
    );
    let port = relay_port_marker(&log_text);
    let forbidden = [
        "127.0.0.1",
        FORWARDED,
        "LifelinePrivacyProbe",
        "Mozilla",
        SECRET_WORDS[0],
        SECRET_WORDS[1],
        SECRET_WORDS[2],
        &code.canonical(),
        &code.display(),
        &lifeline::protocol::b64::encode(&keys.lookup_id),
        &lifeline::crypto::keys::hex(&keys.lookup_id),
    ];
    for (name, text) in [
        ("logs", &log_text),
        ("store", &store_dump),
        ("tip files", &tip_files),
    ] {
        for needle in forbidden {
            assert!(!text.contains(needle), "{name} contain {needle:?}");
        }
        assert!(port.is_none(), "{name}: a socket address was logged");
    }
}

/// Finds anything shaped like `ip:port` in the logs.
fn relay_port_marker(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == ',')
        .find(|w| {
            let parts: Vec<&str> = w.split(':').collect();
            parts.len() == 2
                && parts[0].split('.').count() == 4
                && parts[0].split('.').all(|p| p.parse::<u8>().is_ok())
                && parts[1].parse::<u16>().is_ok()
        })
        .map(str::to_owned)
}
