//! Tip writes on Redis that must never leave a key without its TTL (the class of F-4, F-10):
//! a tip's record goes in with its EXPIRE in one transaction (a connection cut between the
//! two left a sealed tip nothing ever removed), a tip is marked handled only by a script that
//! checks it still exists (a plain HSET racing the sweep re-created the record with no TTL),
//! and the no-script budget counter is counted with its EXPIRE in one transaction.
//!
//! Read off Redis's MONITOR while tips go in (widget and no-script paths) and a coordinator
//! closes one: every such write is inside MULTI/EXEC or a script.

use crate::common;
use crate::noscript;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use common::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::config::StoreKind;

/// `redis-cli monitor` on the test's own Redis, once it is listening; its lines come on the
/// channel.
fn monitor(redis: &RedisServer) -> (Child, mpsc::Receiver<String>) {
    let port = redis
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next());
    let mut child = Command::new("redis-cli")
        .args(["-p", port.expect("a port in the url"), "monitor"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("redis-cli");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    assert_eq!(rx.recv().expect("monitor answers").trim(), "OK");
    (child, rx)
}

/// One MONITOR line: who sent it (`lua` for a script) and its words, unquoted.
fn parse(line: &str) -> Option<(String, Vec<String>)> {
    let (head, rest) = line.split_once("] ")?;
    let client = head.split_once('[')?.1.split_once(' ')?.1.to_owned();
    let words = rest.split("\" \"").map(|w| w.trim_matches('"').to_owned());
    Some((client, words.collect()))
}

/// Writes by one of `commands` on keys starting with `prefix` that a client sent outside
/// MULTI/EXEC (a script's writes are atomic), and how many there were in all.
fn unguarded(lines: &[String], commands: &[&str], prefix: &str) -> (Vec<String>, usize) {
    let mut in_multi: HashMap<String, bool> = HashMap::new();
    let (mut bare, mut seen) = (Vec::new(), 0);
    for line in lines {
        let Some((client, words)) = parse(line) else {
            continue;
        };
        let name = words[0].to_ascii_uppercase();
        match name.as_str() {
            "MULTI" => drop(in_multi.insert(client, true)),
            "EXEC" | "DISCARD" => drop(in_multi.insert(client, false)),
            _ if commands.contains(&name.as_str())
                && words.get(1).is_some_and(|k| k.starts_with(prefix)) =>
            {
                seen += 1;
                if client != "lua" && !in_multi.get(&client).copied().unwrap_or(false) {
                    bare.push(line.clone());
                }
            }
            _ => {}
        }
    }
    (bare, seen)
}

#[tokio::test]
async fn tip_writes_and_their_ttls_go_in_together() {
    let redis = RedisServer::start();
    let url = redis.url.clone();
    let relay = TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await;
    let addr = relay.addr.to_string();
    let (mut child, lines) = monitor(&redis);

    let (id, _) = file_first_tip(&relay, &Tipster::new(&addr), "Locked in", None).await;
    let (_, _, token) = noscript::get_form(&addr, "/tip").await;
    let fields = [
        ("token", token.as_str()),
        ("lang", "en"),
        ("text", "At night"),
    ];
    let (status, page) = noscript::post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{page}");
    let mut c = relay.on_duty(600, "Amara", 1).await;
    assert_eq!(listed_tips(&mut c).await.len(), 2);
    c.close_tip(id).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.len() == 1))
        .await
        .unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let _ = child.kill();
    let _ = child.wait();
    let lines: Vec<String> = lines.try_iter().collect();
    for (commands, prefix, least) in [
        // Two tips filed, one marked handled (the client library files with HMSET).
        (&["HSET", "HMSET"][..], "ll:tip:{tip-", 3),
        (&["INCR", "INCRBY"][..], "ll:noscript:budget:", 1),
    ] {
        let (bare, seen) = unguarded(&lines, commands, prefix);
        assert!(seen >= least, "{commands:?} {prefix}: {seen} seen");
        assert!(bare.is_empty(), "outside MULTI or a script: {bare:#?}");
    }
}
