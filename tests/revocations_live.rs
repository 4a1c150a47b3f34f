//! Issue 16 item 6: revocations live. A new `revocations.list` is served without a restart;
//! a badly signed or older one is refused with a log line and the current one kept; a newly
//! revoked coordinator is cut off (4006) and their visitor requeued; on Redis a list dropped
//! on one node is served by the other within seconds; `/readyz`, `/metrics` and the daily
//! warning follow the list's age. Runs on the store `LIFELINE_TEST_STORE` names.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{RedisServer, TestRelay, capture_logs, claim_and_connect, cut_off, is_queued};
use lifeline::client::coordinator::CoordinatorClient;
use lifeline::clock::Clock;
use lifeline::crypto::certificate::RevocationList;
use lifeline::crypto::keys::SigningKey;
use lifeline::keyfile::{self, KeyPaths};
use lifeline::relay::revocations::{Offered, RELOAD_EVERY};

const DAY: u64 = 86_400;

/// A list revoking `serials`, signed `later_s` seconds from now, written where the relay
/// looks for it.
fn drop_in(relay: &TestRelay, org: &SigningKey, serials: &[u64], later_s: u64) -> Vec<u8> {
    let clock = Clock::manual(Clock::system().unix_s() + later_s);
    keyfile::publish_revocations(org, &relay.paths(), serials, None, &clock)
        .expect("list written")
        .as_bytes()
        .to_vec()
}

async fn served(addr: &str) -> Vec<u8> {
    let (status, body) = lifeline::client::tipster::request(addr, "GET", "/v1/config", None, &[])
        .await
        .expect("config");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    lifeline::protocol::b64::decode(v["revocations"].as_str().expect("list")).expect("b64")
}

/// Whether `check` holds within 10 s (a few reload periods, on a loaded machine).
async fn eventually<F: Future<Output = bool>>(check: impl Fn() -> F) -> bool {
    for _ in 0..50 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// Waits until `addr` serves `list`.
async fn until_served(addr: &str, list: &[u8]) -> bool {
    eventually(|| async { served(addr).await == list }).await
}

#[tokio::test]
async fn a_new_list_is_served_and_applied_without_a_restart() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let list = drop_in(&relay, &relay.org_key(), &[41], 10);
    assert!(
        until_served(&addr, &list).await,
        "new list served within seconds"
    );
    assert!(relay.relay.revocations().contains(41));
    relay.stop().await;
}

/// Two revocations in the same second (an operator revoking two lost laptops one after the
/// other): the second list is issued after the first, so the relay adopts it too instead of
/// refusing it as "not newer" and leaving the second coordinator trusted.
#[tokio::test]
async fn two_revocations_in_the_same_second_are_both_adopted() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let org = relay.org_key();
    let clock = Clock::manual(Clock::system().unix_s() + 10);
    let first = lifeline::keys_tool::revoke(&org, &relay.paths(), &[41], &clock).expect("revoked");
    assert!(until_served(&addr, first.as_bytes()).await);
    let second = lifeline::keys_tool::revoke(&org, &relay.paths(), &[42], &clock).expect("revoked");
    assert!(second.issued_at() > first.issued_at());
    assert!(
        until_served(&addr, second.as_bytes()).await,
        "the second list is adopted"
    );
    assert!(relay.relay.revocations().contains(41) && relay.relay.revocations().contains(42));
    relay.stop().await;
}

#[tokio::test]
async fn a_badly_signed_or_older_list_is_refused_logged_and_the_current_one_kept() {
    let logs = capture_logs();
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let good = drop_in(&relay, &relay.org_key(), &[7], 20);
    assert!(until_served(&addr, &good).await);

    drop_in(&relay, &SigningKey::generate(), &[], 30);
    tokio::time::sleep(RELOAD_EVERY * 2).await;
    assert_eq!(
        served(&addr).await,
        good,
        "a foreign signature changes nothing"
    );
    assert!(
        logs.text()
            .contains("revocation list refused; the current one is kept")
    );

    drop_in(&relay, &relay.org_key(), &[], 5);
    tokio::time::sleep(RELOAD_EVERY * 2).await;
    assert_eq!(served(&addr).await, good, "an older list changes nothing");
    assert!(logs.text().contains("not newer than the one in use"));

    std::fs::write(relay.paths().revocations(), "trunc").expect("write");
    tokio::time::sleep(RELOAD_EVERY * 2).await;
    assert_eq!(
        served(&addr).await,
        good,
        "a truncated file changes nothing"
    );
    assert!(relay.relay.revocations().contains(7));
    relay.stop().await;
}

#[tokio::test]
async fn a_newly_revoked_coordinator_is_cut_off_and_their_visitor_requeued() {
    let relay = TestRelay::start().await;
    let mut coordinator = relay.on_duty(300, "Soon revoked", 1).await;
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut coordinator, &mut visitor).await;
    assert!(!is_queued(&relay, &visitor.session).await);

    drop_in(&relay, &relay.org_key(), &[300], 10);
    assert_eq!(cut_off(&mut coordinator).await, Some(4006));
    assert!(
        eventually(|| is_queued(&relay, &visitor.session)).await,
        "the visitor waits for someone else"
    );
    let again = CoordinatorClient::connect(
        &relay.coordinator_url(),
        relay.relay.keys.organisation.fingerprint(),
        relay.coordinator_keys(300, "Soon revoked"),
    )
    .await;
    assert_eq!(
        again.err().and_then(|e| e.close_code()),
        Some(4006),
        "no way back in"
    );
    relay.stop().await;
}

/// Copies the organisation's keys of `from` into a fresh data folder: another node of the
/// same organisation, looking at its own `revocations.list`.
fn same_organisation(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let (src, dst) = (KeyPaths::new(from), KeyPaths::new(dir.path()));
    std::fs::create_dir_all(&dst.dir).expect("keys dir");
    for file in [
        src.organisation_key(),
        src.inbox_certificate(),
        src.revocations(),
        src.dev_marker(),
    ] {
        let name = file.file_name().expect("name");
        std::fs::copy(&file, dst.dir.join(name)).expect("copy");
    }
    dir
}

/// Two nodes of one organisation on the test's own Redis: the Redis, then each node and its
/// data folder (kept while the test runs).
struct TwoNodes {
    redis: RedisServer,
    a: TestRelay,
    b: TestRelay,
    b_dir: tempfile::TempDir,
    _a_dir: tempfile::TempDir,
}

impl TwoNodes {
    async fn start() -> Self {
        let redis = RedisServer::start();
        let a_dir = tempfile::tempdir().expect("dir");
        let a = TestRelay::start_in(a_dir.path().to_path_buf(), |c| on_redis(c, &redis)).await;
        let b_dir = same_organisation(a_dir.path());
        let b = TestRelay::start_in(b_dir.path().to_path_buf(), |c| on_redis(c, &redis)).await;
        Self {
            redis,
            a,
            b,
            b_dir,
            _a_dir: a_dir,
        }
    }
}

fn on_redis(c: &mut lifeline::config::Config, redis: &RedisServer) {
    c.store.kind = lifeline::config::StoreKind::Redis;
    c.store.redis_url = redis.url.clone();
}

#[tokio::test]
async fn on_redis_a_list_dropped_on_one_node_is_served_by_every_node() {
    let TwoNodes {
        redis,
        a,
        b,
        b_dir,
        _a_dir,
    } = TwoNodes::start().await;
    let mut coordinator = b.on_duty(500, "On node B", 1).await;

    let list = drop_in(&a, &a.org_key(), &[500], 30);
    assert!(
        until_served(&b.addr.to_string(), &list).await,
        "node B serves node A's list"
    );
    assert!(
        !std::fs::read_to_string(b.paths().revocations())
            .unwrap_or_default()
            .contains(&lifeline::protocol::b64::encode(&list)),
        "through the store, not the file"
    );
    assert_eq!(cut_off(&mut coordinator).await, Some(4006), "on node B");

    // A node (re)started with an older file takes the newer shared list, never the reverse.
    b.stop().await;
    let b = TestRelay::start_in(b_dir.path().to_path_buf(), |c| on_redis(c, &redis)).await;
    assert!(until_served(&b.addr.to_string(), &list).await);
    tokio::time::sleep(RELOAD_EVERY * 2).await;
    assert_eq!(
        served(&a.addr.to_string()).await,
        list,
        "node A kept the newer list"
    );
    a.stop().await;
    b.stop().await;
}

async fn get(addr: &str, path: &str) -> (u16, String) {
    lifeline::client::tipster::request(addr, "GET", path, None, &[])
        .await
        .expect("request")
}

fn gauge(metrics: &str, name: &str) -> i64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
}

#[tokio::test]
async fn readiness_metrics_and_the_daily_warning_follow_the_lists_age() {
    let logs = capture_logs();
    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::manual(Clock::system().unix_s());
    // On dev keys in `dir`, reading the time from `clock`.
    let node = TestRelay::start_on_clock(
        dir.path().to_path_buf(),
        "127.0.0.1:0",
        clock.clone(),
        |_| {},
    )
    .await;
    let addr = node.addr.to_string();
    assert_eq!(get(&addr, "/readyz").await.0, 200);
    let metrics = get(&addr, "/metrics").await.1;
    assert_eq!(gauge(&metrics, "lifeline_revocations_days_left"), 30);
    let inbox = gauge(&metrics, "lifeline_inbox_certificate_days_left");
    assert!((364..=365).contains(&inbox), "{inbox}");
    assert!(!logs.text().contains("within 7 days of its maximum age"));

    clock.advance(Duration::from_secs(24 * DAY));
    assert_eq!(
        get(&addr, "/readyz").await.0,
        200,
        "6 days left: still ready"
    );
    assert_eq!(
        gauge(
            &get(&addr, "/metrics").await.1,
            "lifeline_revocations_days_left"
        ),
        6
    );
    let warned = || async { logs.text().contains("within 7 days of its maximum age") };
    assert!(eventually(warned).await, "warned");

    // Past the maximum age by a second (the list re-signed at start may be issued a second
    // after the one made with the keys: each new list is issued after the one it replaces).
    let left = u64::try_from(node.relay.revocations_seconds_left()).expect("not stale yet");
    // At the maximum age to the second the widget still takes the list (it refuses one older
    // than that, docs/protocol.md §2.2), so the node is still ready.
    clock.advance(Duration::from_secs(left));
    assert_eq!(
        get(&addr, "/readyz").await.0,
        200,
        "at the maximum age, not past it"
    );
    clock.advance(Duration::from_secs(1));
    let (status, body) = get(&addr, "/readyz").await;
    assert_eq!((status, body.as_str()), (503, "revocation list stale"));
    assert!(
        gauge(
            &get(&addr, "/metrics").await.1,
            "lifeline_revocations_days_left"
        ) < 0
    );

    // Re-signed: ready again at the next look, without a restart.
    let org =
        keyfile::read_signing_key(&KeyPaths::new(dir.path()).organisation_key()).expect("org");
    keyfile::publish_revocations(&org, &KeyPaths::new(dir.path()), &[], None, &clock)
        .expect("list");
    let ready = || async { get(&addr, "/readyz").await.0 == 200 };
    assert!(eventually(ready).await, "ready again without a restart");
    assert_eq!(node.relay.revocations_seconds_left(), 30 * DAY as i64);
    node.stop().await;
}

#[tokio::test]
async fn the_embed_snippet_pins_the_configured_maximum_age() {
    let relay = TestRelay::start_with(|c| c.widget.revocations_max_age_days = 12).await;
    let (_, page) = get(&relay.addr.to_string(), "/").await;
    assert!(
        page.contains("data-revocation-max-age=\"1036800\""),
        "{page}"
    );
    let (_, config) = get(&relay.addr.to_string(), "/v1/config").await;
    assert!(
        config.contains("\"revocations_max_age_days\":12"),
        "{config}"
    );
    relay.stop().await;
}

/// Redis is not trusted with the list: a shared entry that does not verify, dated far in the
/// future (anyone who can write to Redis can plant one), must not stop a new list from
/// reaching every node.
#[tokio::test]
async fn a_forged_shared_list_does_not_stop_a_new_one_reaching_every_node() {
    let TwoNodes {
        redis,
        a,
        b,
        b_dir: _b_dir,
        _a_dir,
    } = TwoNodes::start().await;
    let planted = redis.cli(&[
        "HSET",
        "ll:revocations",
        "issued",
        "9999999999",
        "list",
        "not a list at all",
    ]);
    assert!(planted == "0" || planted == "2", "HSET: {planted}");

    let list = drop_in(&a, &a.org_key(), &[501], 30);
    assert!(
        until_served(&b.addr.to_string(), &list).await,
        "node B serves node A's list despite the forged entry"
    );
    a.stop().await;
    b.stop().await;
}

/// A retired inbox certificate is what returning tipsters check replies against until it
/// expires: the daily warning comes the tips' retention (and 7 days) ahead, not 7 days.
#[tokio::test]
async fn the_inbox_certificate_warning_comes_a_retention_ahead() {
    const INBOX_WARNING: &str = "the tip-inbox certificate expires within the tips' retention";
    let logs = capture_logs();
    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::manual(Clock::system().unix_s());
    let node = TestRelay::start_on_clock(
        dir.path().to_path_buf(),
        "127.0.0.1:0",
        clock.clone(),
        |c| c.tips.retention_days = 30,
    )
    .await;
    let left = u64::try_from(node.relay.inbox_seconds_left()).expect("in force");
    // 38 days before it expires: no warning yet.
    clock.advance(Duration::from_secs(left - 38 * DAY));
    tokio::time::sleep(RELOAD_EVERY * 2).await;
    assert!(!logs.text().contains(INBOX_WARNING), "{}", logs.text());
    // 36 days before: within the 30 days' retention and 7.
    clock.advance(Duration::from_secs(2 * DAY));
    let warned = || async { logs.text().contains(INBOX_WARNING) };
    assert!(eventually(warned).await, "warned");
    node.stop().await;
}

/// F-30: a list adopted while a sign-in awaits the store, after its certificate was checked
/// and before it is registered, still shuts it out (4006): the registration reads the list
/// again under the lock the cut-off takes. Every Redis write is held up for a moment (less
/// than the relay waits for an answer), so the sign-in waits on its keys-in-use record while
/// the list is adopted.
#[tokio::test]
async fn a_list_adopted_while_a_sign_in_awaits_the_store_still_shuts_it_out() {
    let redis = RedisServer::start();
    let relay = common::relay_on(&redis).await;
    let list = RevocationList::sign(&relay.org_key(), Clock::system().unix_s() + 10, &[310]);
    assert_eq!(redis.cli(&["CLIENT", "PAUSE", "400", "WRITE"]), "OK");
    let (url, organisation) = (
        relay.coordinator_url(),
        relay.relay.keys.organisation.fingerprint(),
    );
    let keys = relay.coordinator_keys(310, "Revoked while signing in");
    let signing_in =
        tokio::spawn(async move { CoordinatorClient::connect(&url, organisation, keys).await });
    // Past the certificate's check by now, waiting on the held-up write (the pause ends at
    // 400 ms; an answer later than 500 ms would be a store failure, not this race).
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!signing_in.is_finished(), "the sign-in waits on the store");
    assert_eq!(
        relay.relay.offer_revocations(list.as_bytes(), "test"),
        Offered::Adopted
    );
    let signed_in = signing_in.await.expect("the sign-in task");
    assert_eq!(
        signed_in.err().and_then(|e| e.close_code()),
        Some(4006),
        "revoked while signing in: shut out, not left connected until the certificate expires"
    );
    relay.stop().await;
}

/// §2.2 in the Rust visitor client, as in the widget: a visitor never skips revocation. Past
/// the list's maximum age, with no newer list, a coordinator's message 2 is refused
/// (`no_list`); once a fresh list is adopted the next visitor's `welcome` brings it and the
/// chat opens.
#[tokio::test]
async fn a_visitor_trusts_no_coordinator_without_a_list_within_its_maximum_age() {
    use lifeline::client::visitor::{REVOCATION_MAX_AGE_S, VisitorEvent};

    let dir = tempfile::tempdir().expect("dir");
    let clock = Clock::manual(Clock::system().unix_s());
    let relay = TestRelay::start_on_clock(
        dir.path().to_path_buf(),
        "127.0.0.1:0",
        clock.clone(),
        |_| {},
    )
    .await;
    clock.advance(Duration::from_secs(REVOCATION_MAX_AGE_S + 60));
    let mut c = relay.on_duty(320, "Past", 4).await;

    let mut stale = visitor_on(&relay, &clock).await;
    claimed(&mut c, stale.session).await;
    let refused = stale
        .wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
        .await;
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("no_list")),
        "{:?}",
        refused.map(|_| ())
    );

    let fresh = RevocationList::sign(&relay.org_key(), clock.unix_s(), &[]);
    assert_eq!(
        relay.relay.offer_revocations(fresh.as_bytes(), "test"),
        Offered::Adopted
    );
    let mut v = visitor_on(&relay, &clock).await;
    claimed(&mut c, v.session).await;
    let connected = v
        .wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
        .await;
    assert!(connected.is_ok(), "{:?}", connected.map(|_| ()));
    relay.stop().await;
}

/// A visitor whose device reads `clock`.
async fn visitor_on(relay: &TestRelay, clock: &Clock) -> lifeline::client::visitor::VisitorClient {
    lifeline::client::visitor::VisitorClient::connect(
        &relay.visitor_url(),
        relay.relay.keys.organisation,
        lifeline::protocol::frames::ConversationKind::Chat,
        Some("en"),
        lifeline::client::reach::Reach {
            clock: clock.clone(),
            ..Default::default()
        },
    )
    .await
    .expect("queued: a stale list does not stop a visitor waiting")
}

/// Claims `session` once it is listed.
async fn claimed(c: &mut CoordinatorClient, session: lifeline::protocol::SessionId) {
    use lifeline::client::coordinator::CoordinatorEvent;
    c.wait_for(|e| {
        matches!(e, CoordinatorEvent::Queue(items) if items.iter().any(|i| i.session == session))
    })
    .await
    .expect("queued");
    c.claim(session).await.expect("claim");
    // Its message 2 goes out as the claim is taken.
    c.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { session: s, .. } if *s == session))
        .await
        .expect("claimed");
}
