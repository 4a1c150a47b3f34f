//! No key in Redis says when it was written more finely than the minute (docs/threat-model.md).
//! Redis keeps a relative TTL as the millisecond it runs out: in `PEXPIRETIME`, and in its
//! append-only file as `PEXPIREAT` or `SET … PXAT`. An `EXPIRE` of 30 days on a tip kept the
//! millisecond it arrived for 30 days, enough to pick its tipster out of a provider's flow
//! logs. Every key the relay writes must end on a whole minute of Redis's clock.
//!
//! A small day on Redis as production runs it (append-only, fsync always): tips through the
//! widget's endpoint and the no-script form, a tip taken and one closed, a chat claimed and
//! answered, a visitor still waiting. Then every live key's end, and every end the
//! append-only file recorded.
//!
//! The nodes' liveness keys, a hold's grace key and the rewrite lock keep their short
//! relative TTLs: their end is their function (a dead node leaves the roster within seconds;
//! a hold ends when its grace does; the next rewrite is due), and they name no visitor and
//! no tip.

use crate::common;
use crate::noscript;

use common::redis_disk::DiskRedis;
use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::config::StoreKind;

const MINUTE_MS: i64 = 60_000;

/// Keys whose end is a timer (see the module's doc).
fn ends_by_design(key: &str) -> bool {
    key.starts_with("ll:node:")
        || key.starts_with("ll:nodes")
        || key.ends_with(":grace")
        || key == "ll:rewrite:lock"
}

fn cli(redis: &DiskRedis, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-u", &redis.url])
        .args(args)
        .output()
        .expect("redis-cli is installed with redis-server");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every end (Unix milliseconds) the append-only files record, with the key it is for: the
/// argument of `PEXPIREAT`, and of `PXAT` (or `EXAT`, in seconds) in a `SET`.
fn ends_in_aof(redis: &DiskRedis) -> Vec<(String, i64)> {
    let mut ends = Vec::new();
    for entry in std::fs::read_dir(redis.dir().join("appendonlydir")).expect("aof folder") {
        let bytes = std::fs::read(entry.expect("aof file").path()).expect("aof read");
        let text = String::from_utf8_lossy(&bytes);
        // RESP: `*n`, then `$len` and the word, for each word of a command.
        let words: Vec<&str> = text
            .split("\r\n")
            .filter(|w| !w.starts_with('*') && !w.starts_with('$'))
            .collect();
        let is = |w: &str, name: &str| w.eq_ignore_ascii_case(name);
        for (i, word) in words.iter().enumerate() {
            let at = |j: usize| words.get(j).and_then(|w| w.parse::<i64>().ok());
            // The key of a `SET … PXAT`: the word after the nearest `SET` before it.
            let set_key = || {
                let set = (i.saturating_sub(6)..i)
                    .rev()
                    .find(|&j| is(words[j], "SET"))?;
                Some(words.get(set + 1)?.to_string())
            };
            if is(word, "PEXPIREAT") {
                ends.extend(at(i + 2).map(|ms| (words[i + 1].to_owned(), ms)));
            } else if is(word, "PXAT") {
                ends.extend(at(i + 1).map(|ms| (set_key().unwrap_or_default(), ms)));
            } else if is(word, "EXAT") {
                ends.extend(at(i + 1).map(|s| (set_key().unwrap_or_default(), s * 1000)));
            }
        }
    }
    ends
}

#[tokio::test]
async fn no_key_in_redis_ends_on_a_finer_time_than_the_minute() {
    let redis = DiskRedis::start(false);
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let addr = relay.addr.to_string();

    // Tips, through both paths (the widget's endpoint spends a proof-of-work seed).
    let (taken, _) = file_first_tip(&relay, &Tipster::new(&addr), "Locked in", None).await;
    let (closed, _) = file_first_tip(&relay, &Tipster::new(&addr), "At the port", None).await;
    let (_, _, token) = noscript::get_form(&addr, "/tip").await;
    let fields = [
        ("token", token.as_str()),
        ("lang", "en"),
        ("text", "At night"),
    ];
    let (status, page) = noscript::post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{page}");

    // A coordinator takes one tip, closes another, and answers a visitor; one more waits.
    let mut amara = relay.on_duty(600, "Amara", 2).await;
    assert_eq!(listed_tips(&mut amara).await.len(), 3);
    amara.take_tip(taken, false).await.unwrap();
    amara.close_tip(closed).await.unwrap();
    amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.len() == 2))
        .await
        .unwrap();
    let mut answered = relay.visitor().await;
    claim_and_connect(&mut amara, &mut answered).await;
    exchange(
        &mut amara,
        &mut answered,
        "Are you there?",
        "Yes, I am here.",
    )
    .await;
    let _waiting = relay.visitor().await;

    let keys = cli(&redis, &["--scan", "--pattern", "ll:*"]);
    let keys: Vec<&str> = keys.lines().collect();
    for kind in [
        ":record",
        ":owner",
        ":tip:",
        "ll:pow:",
        "ll:noscript:budget:",
    ] {
        assert!(
            keys.iter().any(|k| k.contains(kind)),
            "the day must leave a key like {kind}: {keys:?}"
        );
    }
    let mut finer = Vec::new();
    for key in keys.iter().filter(|k| !ends_by_design(k)) {
        let end: i64 = cli(&redis, &["PEXPIRETIME", key])
            .parse()
            .expect("a number");
        if end > 0 && end % MINUTE_MS != 0 {
            finer.push(format!("{key} ends at {end} ms"));
        }
    }
    assert!(
        finer.is_empty(),
        "keys ending finer than the minute: {finer:#?}"
    );

    let recorded = ends_in_aof(&redis);
    assert!(
        recorded.len() > 10,
        "the append-only file must record the keys' ends: {recorded:?}"
    );
    let finer: Vec<_> = recorded
        .iter()
        .filter(|(key, ms)| !ends_by_design(key) && ms % MINUTE_MS != 0)
        .collect();
    assert!(
        finer.is_empty(),
        "ends finer than the minute in the append-only file: {finer:#?}"
    );
}

/// Kits before 2026-12-02 gave tip keys relative TTLs: after the upgrade, a relay puts their
/// ends on the whole minute at its first sweep, so the tips filed before it do not keep their
/// arrival's millisecond for the rest of their retention.
#[tokio::test]
async fn a_relay_puts_the_ends_an_older_one_left_on_the_minute() {
    let redis = DiskRedis::start(false);
    let url = redis.url.clone();
    let on_this_redis = |c: &mut lifeline::config::Config| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url.clone();
    };
    let older = TestRelay::start_with(on_this_redis).await;
    let addr = older.addr.to_string();
    file_first_tip(&older, &Tipster::new(&addr), "Locked in", None).await;
    let _dir = older.stop().await;
    // What an older relay wrote: each tip key ending on a millisecond of its own.
    let tip_keys = || {
        let keys = cli(&redis, &["--scan", "--pattern", "ll:tip*"]);
        keys.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let mut older_ends = 0;
    for key in tip_keys() {
        if cli(&redis, &["TTL", &key]).parse::<i64>().expect("a TTL") > 0 {
            assert_eq!(cli(&redis, &["PEXPIRE", &key, "2591999123"]), "1");
            older_ends += 1;
        }
    }
    assert!(
        older_ends >= 3,
        "the tip, its lookup and its index: {older_ends}"
    );

    let upgraded = TestRelay::start_with(on_this_redis).await;
    upgraded.relay.sweep().await;
    let finer: Vec<String> = tip_keys()
        .into_iter()
        .filter(|key| {
            let end: i64 = cli(&redis, &["PEXPIRETIME", key])
                .parse()
                .expect("a number");
            end > 0 && end % MINUTE_MS != 0
        })
        .collect();
    assert!(finer.is_empty(), "ends an older relay left: {finer:#?}");
}

/// A visitor's activity (a touch: every 30 s while they write or ping, and at a resume)
/// keeps their session's keys alive, but never the hold's grace key: it ends with the grace,
/// so when the holding coordinator's node died, another node finds the grace over and puts
/// the visitor back in the queue instead of leaving them "reconnecting" for ever.
#[tokio::test]
async fn a_touch_keeps_the_session_but_not_the_hold_s_grace() {
    use lifeline::store::ChatStore;

    let redis = RedisServer::start();
    let store = redis.store(1800).await;
    let info = queued_session(&store, 7);
    let id = info.id;
    store.create(info, 10).await.unwrap();
    assert!(store.claim(&id, 42, "node-a").await.unwrap().is_some());
    assert!(store.hold(&id, 42, 120).await.unwrap());
    let grace = format!("ll:{{{}}}:grace", "07".repeat(16));
    let ttl = |key: &str| -> i64 { redis.cli(&["TTL", key]).parse().unwrap() };
    assert!((1..=120).contains(&ttl(&grace)), "{}", ttl(&grace));
    store.touch(&id, 1).await.unwrap();
    assert!(
        (1..=120).contains(&ttl(&grace)),
        "the grace key still ends with the grace: {}",
        ttl(&grace)
    );
    assert!(store.in_grace(&id).await.unwrap());
    let record = format!("ll:{{{}}}:record", "07".repeat(16));
    assert!(
        ttl(&record) > 1800,
        "the session lives on: {}",
        ttl(&record)
    );
}
