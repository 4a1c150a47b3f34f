//! The Redis key schema in `docs/redis.md` is complete (issue 26): after a scripted day on two
//! nodes sharing one Redis (chats queued, ended and abandoned; tips opened, answered, handled
//! and left waiting), every key in Redis matches a row of the documented table, and has a TTL
//! unless its row's TTL column says "none".
//!
//! Runs on Redis whatever `LIFELINE_TEST_STORE` says: it starts its own server.

use crate::common;

use common::redis_disk::DiskRedis;
use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::crypto::sealed_tip;

/// One row of the table: the key patterns of its first column, and whether it needs a TTL.
struct Row {
    patterns: Vec<String>,
    expires: bool,
}

/// The rows of `docs/redis.md`'s "Key schema" table.
fn documented_schema() -> Vec<Row> {
    let doc = std::fs::read_to_string("docs/redis.md").expect("docs/redis.md");
    let section = doc
        .split("## Key schema")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Key schema section");
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let patterns = cells[0]
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            let ttl = cells.last().copied().unwrap_or_default();
            Row {
                patterns,
                expires: !ttl.trim_start().starts_with("none"),
            }
        })
        .collect()
}

/// Whether `key` fits `pattern`, where `{sid}` stands for a hash tag of hex and `<...>` for
/// hex.
fn fits(pattern: &str, key: &str) -> bool {
    let pattern = pattern.replace("{sid}", "{<sid>}");
    let mut rest = key;
    let mut pieces = pattern.split('<');
    let Some(head) = pieces.next() else {
        return false;
    };
    let Some(after) = rest.strip_prefix(head) else {
        return false;
    };
    rest = after;
    for piece in pieces {
        let Some((_, literal)) = piece.split_once('>') else {
            return false;
        };
        let hex = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        if hex == 0 {
            return false;
        }
        let Some(after) = rest[hex..].strip_prefix(literal) else {
            return false;
        };
        rest = after;
    }
    rest.is_empty()
}

#[test]
fn the_pattern_matcher_is_strict() {
    assert!(fits("ll:{sid}:record", "ll:{0a1b}:record"));
    assert!(fits("ll:pow:used:<digest>", "ll:pow:used:ff00"));
    assert!(fits("ll:tip:{tip-<id>}:record", "ll:tip:{tip-12ab}:record"));
    assert!(!fits("ll:{sid}:record", "ll:{0a1b}:records"));
    assert!(!fits("ll:{sid}:record", "ll:{}:record"));
    assert!(!fits("ll:queue", "ll:queue:order"));
    assert!(!fits("ll:pow:used:<digest>", "ll:pow:used:zz"));
}

#[tokio::test]
async fn every_key_after_a_day_on_two_nodes_is_in_the_documented_schema() {
    let schema = documented_schema();
    assert!(
        schema.len() >= 20,
        "the table was read: {} rows",
        schema.len()
    );
    // Append-only on, so the rewrite lock is taken too.
    let redis = DiskRedis::start(false);
    let dir = tempfile::tempdir().unwrap();
    let on_redis = |c: &mut lifeline::config::Config| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = redis.url.clone();
        // Short enough that a node has taken the lock (a tick is a fifteenth) by the end.
        c.store.redis_rewrite_s = 15;
    };
    let a = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let b = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let mut amara = a.on_duty(940, "Amara", 4).await;
    let mut bastien = b.on_duty(941, "Bastien", 4).await;

    // Ended: a visitor on node A answered from node B.
    let mut ended = a.visitor().await;
    claim_and_connect(&mut bastien, &mut ended).await;
    exchange(&mut bastien, &mut ended, "schema: hi", "schema: hello").await;
    ended.end().await.unwrap();
    // Abandoned mid-conversation: the visitor's connection drops with a message held for it.
    let mut abandoned = b.visitor().await;
    claim_and_connect(&mut amara, &mut abandoned).await;
    abandoned.drop_connection();
    amara
        .send_text(abandoned.session, "schema: are you there")
        .await
        .unwrap();
    // Queued, never answered.
    let _waiting = b.visitor().await;

    // Tips: one opened, answered and handled; one left waiting.
    let org = a.relay.keys.organisation.fingerprint();
    let tipster = Tipster::new(&b.addr.to_string());
    for text in ["schema: tip handled", "schema: tip waiting"] {
        file_first_tip(&a, &tipster, text, None).await;
    }
    let listed = listed_tips(&mut amara).await;
    let first = listed[0].id;
    let (sealed, _) = open_tip(&mut amara, first, 0).await;
    let opened = sealed_tip::open_tip(&org, &a.inbox_key(), &sealed).unwrap();
    reply_to_tip(
        &a,
        &mut amara,
        first,
        &opened.reply_key.unwrap(),
        "schema: reply",
    )
    .await;
    amara.close_tip(first).await.unwrap();
    let Ok(CoordinatorEvent::Tips(waiting)) = amara
        .wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.len() == 1))
        .await
    else {
        panic!("the waiting tip is listed")
    };
    // The waiting one is taken: its holder is in its record and in the index of holds.
    amara.take_tip(waiting[0].id, false).await.unwrap();
    amara
        .wait_for(
            |e| matches!(e, CoordinatorEvent::Tips(i) if i.iter().any(|t| t.held_by.is_some())),
        )
        .await
        .unwrap();

    // Every key there is now, with its TTL. A quick day may end before the first rewrite
    // tick (a second): wait for it rather than race it.
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut con = client.get_connection().unwrap();
    for _ in 0..100 {
        let held: bool = redis::cmd("EXISTS")
            .arg("ll:rewrite:lock")
            .query(&mut con)
            .unwrap();
        if held {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    let mut problems = Vec::new();
    let mut rows_seen = std::collections::BTreeSet::new();
    for key in &keys {
        let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut con).unwrap();
        match schema
            .iter()
            .find(|row| row.patterns.iter().any(|p| fits(p, key)))
        {
            None => problems.push(format!("{key}: in no row of docs/redis.md's schema")),
            Some(row) => {
                rows_seen.insert(row.patterns[0].clone());
                if row.expires && ttl < 0 {
                    problems.push(format!("{key}: no TTL, but the schema gives it one"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The day reached every kind of key it should have: the check above saw them.
    for row in [
        "ll:{sid}:record",
        "ll:{sid}:buffer:c",
        "ll:queue",
        "ll:queue:order",
        "ll:sessions",
        "ll:ended:<digest>",
        "ll:tip:{tip-<id>}:record",
        "ll:tip:{tip-<id>}:replies",
        "ll:tip:lookup:<hash>",
        "ll:tips",
        "ll:tips:handled",
        "ll:node:<id>:roster",
        "ll:nodes:live",
        "ll:pow:key",
        "ll:pow:used:<digest>",
        "ll:rewrite:lock",
    ] {
        assert!(
            rows_seen.contains(row),
            "the day left no key of row {row}: saw {rows_seen:?} among {keys:?}"
        );
    }
    drop((amara, bastien));
    b.stop().await;
    a.stop().await;
}
