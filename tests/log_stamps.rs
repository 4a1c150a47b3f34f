//! The real binary's log carries no time finer than the minute (issue 26): `lifeline serve`
//! at its most verbose level, a chat opened, claimed, exchanged and ended through it, then
//! every line it wrote is checked. Written to a file, it carries no terminal colour codes.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::reach::Reach;
use lifeline::client::visitor::VisitorClient;
use lifeline::clock::Clock;
use lifeline::keyfile::{self, CoordinatorFiles, KeyPaths};
use lifeline::protocol::frames::ConversationKind;

/// `2026-11-30T03:14Z`: a UTC minute and nothing finer.
fn is_minute_stamp(word: &str) -> bool {
    let b = word.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 17
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b'Z'
}

/// A clock time with seconds (`10:32:55`) anywhere in `line`.
fn has_seconds(line: &str) -> bool {
    let b = line.as_bytes();
    b.windows(8).any(|w| {
        [0, 1, 3, 4, 6, 7].iter().all(|&i| w[i].is_ascii_digit()) && w[2] == b':' && w[5] == b':'
    })
}

fn without_colours(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_checks_tell_minute_stamps_from_finer_ones() {
    assert!(is_minute_stamp("2026-11-30T03:14Z"));
    assert!(!is_minute_stamp("2026-11-30T03:14:59.123456Z"));
    assert!(has_seconds(
        "2026-11-30T03:14:59.123456Z  INFO session ended"
    ));
    assert!(!has_seconds("2026-11-30T03:14Z  INFO session ended"));
    assert_eq!(without_colours("\u{1b}[2mA\u{1b}[0m B"), "A B");
}

#[tokio::test]
async fn lifeline_serve_logs_no_time_finer_than_the_minute() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("relay.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let data = dir.path().join("data");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(["--config", "config/lifeline.toml", "serve"])
        .env_remove("LIFELINE_TEST_STORE")
        .env("LIFELINE_SERVER_LISTEN", &addr)
        .env("LIFELINE_SERVER_DATA_DIR", &data)
        .env("LIFELINE_SERVER_LOG_LEVEL", "trace")
        .env("LIFELINE_POW_BASE_DIFFICULTY", "8")
        .env("LIFELINE_POW_MAX_DIFFICULTY", "10")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .expect("relay process starts");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !matches!(
        lifeline::client::tipster::request(&addr, "GET", "/readyz", None, &[]).await,
        Ok((200, _))
    ) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "relay did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A chat through it: opened, claimed, both ways, ended.
    let (keys, _) =
        keyfile::load_relay_keys(&data, "", true, "127.0.0.1:0", &Clock::system()).unwrap();
    let org = keyfile::read_signing_key(&KeyPaths::new(&data).organisation_key()).unwrap();
    let files = CoordinatorFiles::issue(&org, 930, "Amara", 1, &Clock::system()).unwrap();
    let mut c = CoordinatorClient::connect(
        &format!("ws://{addr}/v1/coordinator"),
        keys.organisation.fingerprint(),
        files,
    )
    .await
    .unwrap();
    c.duty(true, 1, &["en"]).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
        .await
        .unwrap();
    let mut v = VisitorClient::connect(
        &format!("ws://{addr}/v1/visitor"),
        keys.organisation,
        ConversationKind::Chat,
        Some("en"),
        Reach::default(),
    )
    .await
    .unwrap();
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "stamp: hello", "stamp: hello back").await;
    v.end().await.unwrap();
    let session = v.session;
    c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();

    // A graceful stop, so everything is written.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let stopped = tokio::time::timeout(Duration::from_secs(10), async {
        while child.try_wait().ok().flatten().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    if stopped.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();

    let raw = std::fs::read_to_string(&log).unwrap();
    // Written to a file, not a terminal: no colour codes around the fields.
    assert!(
        !raw.contains('\u{1b}'),
        "colour codes in a log file:\n{raw}"
    );
    let text = without_colours(&raw);
    for event in ["visitor session opened", "session claimed", "session ended"] {
        assert!(text.contains(event), "{event:?} logged:\n{text}");
    }
    let mut events = 0;
    for line in text.lines() {
        assert!(!has_seconds(line), "a time finer than the minute: {line}");
        let level = ["TRACE", "DEBUG", " INFO", " WARN", "ERROR"];
        if level.iter().any(|l| line.contains(l)) {
            events += 1;
            let stamp = line.split_whitespace().next().unwrap_or_default();
            assert!(is_minute_stamp(stamp), "not a minute stamp: {line}");
        }
    }
    assert!(events >= 5, "the log was read:\n{text}");
}
