//! Erasure that reaches the disk (issue 26): an ended chat leaves Redis's files (the
//! append-only file and the RDB snapshot) within `store.redis_rewrite_s`, and the same scan
//! finds it there when the relay is told not to ask for rewrites (so the scan can fail). A
//! Redis whose ACLs refuse the rewrite stops `lifeline serve` at start with the setting to
//! give instead.
//!
//! These run on Redis whatever `LIFELINE_TEST_STORE` says: each starts its own server.

use crate::common;

use std::time::Duration;

use common::redis_disk::{DiskRedis, session_secrets, sessions_in};
use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::protocol::frames::PeerEvent;
use lifeline::store::ChatStore;

const BOUND_S: u64 = 2;

/// A chat both ways on a relay writing to `redis`, with a message held for the visitor
/// while they are away, ended by the visitor. Returns what the store held of it (the
/// session id, its token hash and handshake, the held frame's ciphertext).
async fn ended_chat(redis: &DiskRedis, rewrite_s: u64) -> (TestRelay, Vec<String>) {
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
        c.store.redis_rewrite_s = rewrite_s;
    })
    .await;
    let mut c = relay.on_duty(900, "Amara", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "disk: hello", "disk: hello back").await;
    let session = v.session;
    v.drop_connection();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Peer { session: s, event: PeerEvent::Away } if *s == session))
        .await
        .unwrap();
    c.send_text(session, "disk: held while you were away")
        .await
        .unwrap();
    // The held frame is in the buffer now: the dump shows its ciphertext.
    let mut dump = String::new();
    eventually("the held frame is stored", Duration::from_secs(5), || {
        dump = dump_now(&relay);
        dump.contains("\"body\"")
    })
    .await;
    let secrets = session_secrets(&dump, &sessions_in(&dump));
    assert!(
        secrets.len() >= 4,
        "the id, token hash, handshake and a frame body: {secrets:?}"
    );
    v.resume().await.unwrap();
    assert_eq!(
        next_text_visitor(&mut v).await,
        "disk: held while you were away"
    );
    v.end().await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    relay.until_erased(&session).await;
    (relay, secrets)
}

/// The store dump, read from a synchronous poll.
fn dump_now(relay: &TestRelay) -> String {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(relay.relay.store.dump())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_chat_leaves_redis_files_within_the_rewrite_bound() {
    let redis = DiskRedis::start(true);
    let (relay, secrets) = ended_chat(&redis, BOUND_S).await;
    // The bound, a tick, and time for Redis to write the new files and drop the old.
    redis
        .wait_until_files_forget(&secrets, Duration::from_secs(BOUND_S + 8))
        .await;
    let files = redis.file_names();
    assert!(
        files.iter().any(|f| f.starts_with("appendonlydir/"))
            && files.iter().any(|f| f == "dump.rdb"),
        "the scan saw the append-only file and the snapshot: {files:?}"
    );
    relay.stop().await;
}

/// The proof that the scan above can fail: with rewrites off, the ended chat is still on
/// disk after the same wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rewrites_the_ended_chat_stays_in_redis_files() {
    let redis = DiskRedis::start(false);
    let (relay, secrets) = ended_chat(&redis, 0).await;
    tokio::time::sleep(Duration::from_secs(BOUND_S + 2)).await;
    let left = redis.files_holding(&secrets);
    assert!(
        secrets
            .iter()
            .all(|s| left.iter().any(|l| l.ends_with(s.as_str()))),
        "every secret should still be on disk without rewrites; found only {left:?}"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_redis_user_refused_the_rewrite_stops_the_relay_with_the_setting_to_give() {
    let redis = DiskRedis::start(false);
    let port = redis
        .url
        .trim_end_matches("/0")
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let acl = std::process::Command::new("redis-cli")
        .args(["-p", &port, "ACL", "SETUSER", "relay", "on", ">relay-pw"])
        .args(["~*", "&*", "+@all", "-bgrewriteaof"])
        .output()
        .expect("redis-cli");
    assert!(String::from_utf8_lossy(&acl.stdout).contains("OK"));
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(["--config", "config/lifeline.toml", "serve"])
        .env_remove("LIFELINE_TEST_STORE")
        .env("LIFELINE_SERVER_LISTEN", "127.0.0.1:0")
        .env("LIFELINE_SERVER_DATA_DIR", dir.path())
        .env("LIFELINE_STORE_KIND", "redis")
        .env(
            "LIFELINE_REDIS_URL",
            format!("redis://relay:relay-pw@127.0.0.1:{port}/0"),
        )
        .output()
        .expect("the relay runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused to start: {stderr}");
    for needle in ["BGREWRITEAOF", "+bgrewriteaof", "store.redis_rewrite_s = 0"] {
        assert!(stderr.contains(needle), "{needle:?} named in: {stderr}");
    }
    assert!(
        !stderr.contains("relay-pw") && !stderr.contains("127.0.0.1"),
        "the error quotes no credential or address: {stderr}"
    );
}

/// How many append-only rewrites the Redis on `port` has done.
fn rewrites_on(port: &str) -> u64 {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", port, "INFO", "persistence"])
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("aof_rewrites:")?.trim().parse().ok())
        .unwrap_or(0)
}

/// On a Cluster each node keeps its own files: every one is asked to rewrite.
#[tokio::test]
async fn on_a_cluster_every_node_rewrites_its_files() {
    let cluster = RedisCluster::start();
    let ports: Vec<String> = cluster
        .url
        .split(',')
        .filter_map(|u| u.rsplit(':').next().map(str::to_owned))
        .collect();
    for port in &ports {
        let on = std::process::Command::new("redis-cli")
            .args(["-p", port, "CONFIG", "SET", "appendonly", "yes"])
            .output()
            .expect("redis-cli");
        assert!(String::from_utf8_lossy(&on.stdout).contains("OK"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before: Vec<u64> = ports.iter().map(|p| rewrites_on(p)).collect();
    let url = cluster.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = url;
        c.store.redis_cluster = true;
        c.store.redis_rewrite_s = BOUND_S;
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(BOUND_S + 8);
    loop {
        let after: Vec<u64> = ports.iter().map(|p| rewrites_on(p)).collect();
        if after.iter().zip(&before).all(|(a, b)| a > b) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every node rewrites: before {before:?}, after {after:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    relay.stop().await;
}
