//! What `docs/operations.md` and `docs/redis.md` tell an operator to look at, on the real
//! binary: under the shipped unit (`warn` only) the info lines about a new revocation list or
//! inbox certificate never reach the journal, so the pages check `/v1/config` instead, which
//! serves each file's text as copied; and a node switched from the memory store to Redis warns
//! at start about the sealed tips left in `data/tips`, which the Redis store never serves, and
//! deletes each of them when its retention ends, as the file store would have.

use crate::binary;
use crate::common;

use binary::{RelayProcess, free_port};
use lifeline::client::tipster::request;

/// A key file's text as the pages compare it (`tr -d '\n' < file`).
fn file_text(path: &std::path::Path) -> String {
    std::fs::read_to_string(path)
        .expect("key file")
        .replace('\n', "")
}

#[tokio::test]
async fn v1_config_serves_the_revocation_list_and_inbox_certificate_as_their_files_hold_them() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let _relay = RelayProcess::start(
        &addr,
        dir.path(),
        &[
            ("LIFELINE_SERVER_METRICS_LISTEN", ""),
            ("LIFELINE_SERVER_LOG_LEVEL", "warn"),
        ],
    )
    .await;
    let (status, body) = request(&addr, "GET", "/v1/config", None, &[])
        .await
        .expect("config");
    assert_eq!(status, 200, "{body}");
    // `curl -s …/v1/config | grep -cF -- "$(tr -d '\n' < FILE)"` prints 1.
    for name in ["revocations.list", "inbox.cert"] {
        let text = file_text(&dir.path().join("keys").join(name));
        assert!(!text.is_empty());
        assert_eq!(body.matches(&text).count(), 1, "{name} not served as is");
    }
}

#[tokio::test]
async fn a_node_switched_to_redis_warns_about_the_tips_left_in_data_tips() {
    let redis = common::RedisServer::start();
    let on_redis = [
        ("LIFELINE_STORE_KIND", "redis"),
        ("LIFELINE_REDIS_URL", redis.url.as_str()),
        ("LIFELINE_SERVER_METRICS_LISTEN", ""),
        ("LIFELINE_SERVER_LOG_LEVEL", "warn"),
    ];
    let warning = "sealed tips in data/tips are not served by the Redis store";

    // Nothing left behind: nothing said.
    let clean = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(
        &format!("127.0.0.1:{}", free_port()),
        clean.path(),
        &on_redis,
    )
    .await;
    assert!(!relay.logs().contains(warning), "{}", relay.logs());
    drop(relay);

    // Two tips the memory store filed (one `<id>.json` each), and a stray file that is none.
    let switched = tempfile::tempdir().unwrap();
    let tips = switched.path().join("tips");
    std::fs::create_dir_all(&tips).unwrap();
    for name in ["0a1b.json", "2c3d.json", "notes.txt"] {
        std::fs::write(tips.join(name), "{}").unwrap();
    }
    // And a handled one, kept for its reply: counted apart (handling it changes nothing).
    let handled = lifeline::store::tips::record::TipRecord {
        id: lifeline::protocol::ids::TipId([7; 16]),
        lookup_hash: [7; 32],
        received_minute: 1,
        sealed: vec![],
        followups: vec![],
        replies: vec![vec![1, 2, 3]],
        reply_copies: vec![],
        handled: true,
        holder: None,
    };
    std::fs::write(
        tips.join("0707.json"),
        serde_json::to_string(&handled).unwrap(),
    )
    .unwrap();
    let relay = RelayProcess::start(
        &format!("127.0.0.1:{}", free_port()),
        switched.path(),
        &on_redis,
    )
    .await;
    let logs = relay.logs();
    assert!(
        logs.contains(&format!("2 {warning}")) && logs.contains("WARN"),
        "{logs}"
    );
    assert!(
        logs.contains("1 handled tips in data/tips keep replies the Redis store does not serve"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_node_on_redis_deletes_the_tips_left_in_data_tips_once_their_retention_ends() {
    let redis = common::RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let tips = dir.path().join("tips");
    std::fs::create_dir_all(&tips).unwrap();
    let now = lifeline::clock::Clock::system().unix_minute();
    let retention_minutes = 30 * 24 * 60;
    // Filed by the memory store as it names them; handled (kept for its reply) or waiting.
    let left = |id: u8, minutes_ago: u64, handled: bool| {
        let record = lifeline::store::tips::record::TipRecord {
            id: lifeline::protocol::ids::TipId([id; 16]),
            lookup_hash: [id; 32],
            received_minute: now - minutes_ago,
            sealed: if handled { vec![] } else { vec![9; 4] },
            followups: vec![],
            replies: vec![vec![1, 2, 3]],
            reply_copies: vec![],
            handled,
            holder: None,
        };
        let path = tips.join(format!("{}.json", lifeline::crypto::keys::hex(&[id; 16])));
        std::fs::write(&path, serde_json::to_string(&record).unwrap()).unwrap();
        path
    };
    let handled_past = left(1, retention_minutes + 60, true);
    let waiting_past = left(2, retention_minutes + 1, false);
    let handled_within = left(3, retention_minutes - 60, true);
    let waiting_within = left(4, 60, false);
    let not_a_tip = tips.join("notes.json");
    std::fs::write(&not_a_tip, "{}").unwrap();

    let relay = RelayProcess::start(
        &format!("127.0.0.1:{}", free_port()),
        dir.path(),
        &[
            ("LIFELINE_STORE_KIND", "redis"),
            ("LIFELINE_REDIS_URL", redis.url.as_str()),
            ("LIFELINE_SERVER_METRICS_LISTEN", ""),
            ("LIFELINE_TIPS_RETENTION_DAYS", "30"),
        ],
    )
    .await;
    // The sweep runs at start, then every minute.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while (handled_past.exists() || waiting_past.exists()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!handled_past.exists(), "{}", relay.logs());
    assert!(!waiting_past.exists(), "{}", relay.logs());
    // Swept in the same pass as those: what is still within retention stays, and so does a
    // file no one can date.
    assert!(handled_within.exists() && waiting_within.exists());
    assert!(not_a_tip.exists());
}
