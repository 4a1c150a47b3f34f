//! Sessions appear in the `info` log as counts per minute, not one line each (issue 26): a
//! chat opened, claimed and ended shows up as one "activity" line with those counts, and no
//! per-session event is logged above `debug`; nor is a tip sent without script.

use crate::common;
use crate::noscript;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::CoordinatorEvent;

#[tokio::test]
async fn a_chat_is_logged_at_info_as_counts_only() {
    let logs = capture_logs();
    let relay = TestRelay::start().await;
    let summary = tokio::spawn(lifeline::relay::activity::log_every(
        relay.relay.clone(),
        Duration::from_millis(300),
    ));
    let mut c = relay.on_duty(960, "Amara", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    exchange(&mut c, &mut v, "activity: hi", "activity: hello").await;
    v.end().await.unwrap();
    let session = v.session;
    c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
        .await
        .unwrap();
    // The counts of every summary line so far, summed.
    let total = |text: &str, name: &str| -> u64 {
        text.lines()
            .filter(|l| l.contains("INFO") && l.contains("activity in the last minute"))
            .filter_map(|l| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok())
            })
            .sum()
    };
    eventually("the counts are logged", Duration::from_secs(5), || {
        total(&logs.text(), "ended") == 1
    })
    .await;
    summary.abort();
    let text = logs.text();
    for name in ["opened", "claimed", "ended"] {
        assert_eq!(total(&text, name), 1, "{name} counted once:\n{text}");
    }
    for event in ["visitor session opened", "session claimed", "session ended"] {
        for l in text.lines().filter(|l| l.contains(event)) {
            assert!(!l.contains(" INFO "), "per-session event at info: {l}");
        }
        assert!(text.contains(event), "{event:?} still at debug:\n{text}");
    }
    relay.stop().await;
}

#[tokio::test]
async fn a_tip_sent_without_script_is_not_a_line_of_its_own_at_info() {
    let logs = capture_logs();
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let (_, _, token) = noscript::get_form(&addr, "/tip").await;
    let fields = [("token", token.as_str()), ("text", "activity: a tip")];
    let (status, receipt) = noscript::post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200);
    let code = noscript::shown_code(&receipt);
    assert!(!code.is_empty(), "{receipt}");
    let text = logs.text();
    assert!(
        !text.contains(&code),
        "the receipt code in the log:\n{text}"
    );
    let event = "sealed tip received (no-script path)";
    assert!(text.contains(event), "still at debug:\n{text}");
    for l in text.lines().filter(|l| l.contains(event)) {
        assert!(!l.contains(" INFO "), "a tip's own line at info: {l}");
    }
    relay.stop().await;
}
