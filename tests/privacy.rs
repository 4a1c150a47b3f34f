//! The relay keeps no one's identity: after a full chat (both directions, real crypto) and a
//! tip, sent with a distinctive User-Agent and X-Forwarded-For, the logs at trace level, a
//! dump of the store and the tip files contain no peer address, no header value, no
//! plaintext and no receipt code.

use crate::common;

use common::*;
use lifeline::client::tipster::{Tipster, request};
use lifeline::store::ChatStore;

const AGENT: &str = "Mozilla/5.0 (Linux; Android 9) LifelinePrivacyProbe/7.3";
const FORWARDED: &str = "203.0.113.77";
const SECRET_WORDS: [&str; 3] = [
    "my boss keeps our passports",
    "the van comes at six",
    "warehouse behind the station",
];

#[tokio::test]
async fn logs_store_and_tip_files_hold_no_address_header_or_plaintext() {
    let logs = capture_logs();

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
    let (status, _) = request(&relay.addr.to_string(), "GET", "/v1/pow", None, &headers)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let tipster = Tipster::new(&relay.addr.to_string());
    let (_, FirstTip { code, keys, .. }) =
        file_first_tip(&relay, &tipster, SECRET_WORDS[2], None).await;

    // Snapshot what the relay holds while the session is live.
    let store_dump = relay.relay.store.dump().await;
    assert!(!store_dump.is_empty(), "the scan must see a live session");
    let tip_files = relay.tip_state().await;
    assert!(!tip_files.is_empty());
    visitor.end().await.unwrap();
    drop(c);
    let _dir = relay.stop().await;

    let log_text = logs.text();
    assert!(
        log_text.contains("visitor session opened"),
        "logging was captured:\n{log_text}"
    );
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
        let addresses = find_addresses(text);
        assert!(
            addresses.is_empty(),
            "{name} contain addresses {addresses:?}"
        );
    }
}
