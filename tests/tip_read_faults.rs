//! Tip reads on a store that answers with an error: a tipster checking replies is told to
//! try again (503), never that their tip is gone (404); a tip or follow-up refused then
//! keeps its proof of work (F-12); a coordinator is asked to `retry`, never shown an empty
//! inbox, and the inbox broadcast is skipped.
//!
//! The fault is an ACL on the test's own Redis that takes the tip keys (`ll:tip*`) away from
//! the relay's user: every tip read fails at once, while chats, seeds and the no-script
//! budget (other keys) keep working. (A frozen Redis would only be slow, not failing.)

use crate::common;
use crate::noscript;

use std::time::Duration;

use common::*;
use lifeline::client::ClientError;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;

/// A relay on `redis` holding one tip, sent as the widget sends it.
async fn one_tip_on(redis: &RedisServer) -> (TestRelay, FirstTip) {
    let relay = relay_on(redis).await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let (_, tip) = file_first_tip(&relay, &tipster, "Locked in at night", None).await;
    (relay, tip)
}

/// Opens the receipt `code` on the page without script, on a fresh form, with `text` as
/// a follow-up (none if empty): the status and the page.
async fn open_without_script(addr: &str, code: &str, text: &str) -> (u16, String) {
    let (_, _, token) = noscript::get_form(addr, "/tip/replies").await;
    let fields = [
        ("token", token.as_str()),
        ("lang", "en"),
        ("code", code),
        ("text", text),
    ];
    noscript::post_form(addr, "/tip/replies", &fields, &[]).await
}

/// Takes the tip keys away from the relay's Redis user (`false`: gives every key back).
fn tip_keys_readable(redis: &RedisServer, readable: bool) {
    let keys = if readable { "~*" } else { "~ll:[^t]*" };
    let answer = redis.cli(&["ACL", "SETUSER", "default", "resetkeys", keys]);
    assert_eq!(answer, "OK", "ACL SETUSER");
}

#[tokio::test]
async fn a_tip_store_that_cannot_read_says_try_again_and_keeps_the_inbox() {
    let redis = RedisServer::start();
    let (relay, tip) = one_tip_on(&redis).await;
    let addr = relay.addr.to_string();
    let tipster = Tipster::new(&addr);
    let mut c = relay.on_duty(500, "Amara", 1).await;
    assert_eq!(listed_tips(&mut c).await.len(), 1);
    let (for_tip, for_followup) = (solved_seed(&addr).await, solved_seed(&addr).await);

    assert_eq!(metric(&relay, "lifeline_store_reachable").await, 1);
    tip_keys_readable(&redis, false);
    assert_eq!(
        metric(&relay, "lifeline_store_reachable").await,
        0,
        "the tip gauge's 0 is told apart"
    );
    let refused = tipster.replies(tip.keys.lookup_id).await.unwrap_err();
    assert!(
        matches!(refused, ClientError::Http { status: 503, .. }),
        "a store failure is not 'no tip': {refused}"
    );
    let new_tip = for_tip.body([7; 32], smallest_sealed());
    assert_eq!(post_status(&addr, "/v1/tips", new_tip.clone()).await, 503);
    let followup = for_followup.body(tip.keys.lookup_id, smallest_sealed());
    let path = "/v1/receipt/followup";
    assert_eq!(post_status(&addr, path, followup.clone()).await, 503);

    // The coordinator: asked to retry, never handed an empty inbox (asked, or broadcast).
    let empty = |e: &CoordinatorEvent| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty());
    c.list_tips().await.unwrap();
    let answer = c
        .wait_for(|e| empty(e) || matches!(e, CoordinatorEvent::Retry(_)))
        .await
        .unwrap();
    assert!(matches!(answer, CoordinatorEvent::Retry(_)), "{answer:?}");
    relay.relay.tips_changed();
    let broadcast = tokio::time::timeout(Duration::from_millis(1500), c.wait_for(empty)).await;
    assert!(broadcast.is_err(), "an empty inbox was broadcast");

    // Readable again: the same proofs of work are accepted, nothing was lost.
    tip_keys_readable(&redis, true);
    assert_eq!(tipster.replies(tip.keys.lookup_id).await.unwrap().len(), 0);
    assert_eq!(post_status(&addr, "/v1/tips", new_tip).await, 200);
    assert_eq!(post_status(&addr, path, followup).await, 200);
    assert_eq!(listed_tips(&mut c).await.len(), 2);
}

#[tokio::test]
async fn the_page_without_script_says_try_again_not_no_tip() {
    let redis = RedisServer::start();
    let (relay, tip) = one_tip_on(&redis).await;
    let addr = relay.addr.to_string();
    let code = tip.code.display();

    tip_keys_readable(&redis, false);
    let (status, page) = open_without_script(&addr, &code, "").await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("Please try again"), "{page}");
    assert!(!page.contains("No tip was found"), "{page}");

    tip_keys_readable(&redis, true);
    let (status, page) = open_without_script(&addr, &code, "").await;
    assert_eq!(status, 200, "{page}");
}

/// The no-script path's hourly budget is counted in Redis: when Redis cannot count it, the
/// pages say "try again" (503), not that the form is resting for the hour (that is the
/// budget, and would send a tipster away for an hour), and a form sent then comes back with
/// the tipster's words.
#[tokio::test]
async fn a_budget_that_cannot_be_counted_says_try_again_and_keeps_the_words() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let addr = relay.addr.to_string();
    let (_, _, token) = noscript::get_form(&addr, "/tip").await;

    let answer = redis.cli(&["ACL", "SETUSER", "default", "resetkeys", "~ll:[^n]*"]);
    assert_eq!(answer, "OK", "ACL SETUSER");
    for path in ["/tip", "/tip/replies"] {
        let (status, page, _) = noscript::get_form(&addr, path).await;
        assert_eq!(status, 503, "{path}: {page}");
        assert!(page.contains("Please try again"), "{path}: {page}");
        assert!(!page.contains("resting"), "{path}: {page}");
    }
    let words = "He keeps our passports in the office safe";
    let fields = [("token", token.as_str()), ("lang", "en"), ("text", words)];
    let (status, page) = noscript::post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 503, "{page}");
    assert!(
        page.contains("Please try again") && !page.contains("resting"),
        "{page}"
    );
    assert!(page.contains(words), "the words are handed back: {page}");

    let answer = redis.cli(&["ACL", "SETUSER", "default", "resetkeys", "~*"]);
    assert_eq!(answer, "OK", "ACL SETUSER");
    let (status, page, _) = noscript::get_form(&addr, "/tip").await;
    assert_eq!(status, 200, "{page}");
}

/// A follow-up sent without script while the replies cannot be read (Redis refuses
/// `LRANGE`, which only reading a tip's lists uses): the tipster is told to try again, with
/// their words handed back, and when they send them again the follow-up is filed once
/// (before: it was filed, then the replies read failed, and the retry filed it again).
#[tokio::test]
async fn a_followup_sent_again_after_a_failed_replies_read_is_filed_once() {
    let redis = RedisServer::start();
    let (relay, tip) = one_tip_on(&redis).await;
    let addr = relay.addr.to_string();
    let code = tip.code.display();
    let words = "They moved them to the farm on Sunday";

    let set_lrange = |rule| assert_eq!(redis.cli(&["ACL", "SETUSER", "default", rule]), "OK");
    set_lrange("-lrange");
    let (status, failed) = open_without_script(&addr, &code, words).await;
    assert_eq!(status, 503, "{failed}");
    set_lrange("+lrange");
    let (status, page) = open_without_script(&addr, &code, words).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Sent. Thank you."), "{page}");

    let mut c = relay.on_duty(500, "Amara", 1).await;
    let listed = listed_tips(&mut c).await;
    assert_eq!(listed[0].followups, 1, "the follow-up is filed once");
    // What the tipster was told then: try again, nothing was sent, here are your words.
    assert!(failed.contains("Please try again"), "{failed}");
    assert!(failed.contains("Nothing was sent"), "{failed}");
    assert!(
        failed.contains(words),
        "the words are handed back: {failed}"
    );
}

/// Redis failing at the listing, once the tip and its receipt are written: the receipt is
/// taken back. A tipster whose answer was lost sends again under the same receipt (the
/// widget does, F-57); that must be filed and listed, not told "already filed" (409) for a
/// tip no coordinator sees.
#[tokio::test]
async fn a_tip_redis_could_not_list_gives_its_receipt_back() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let addr = relay.addr.to_string();
    let lookup = [6; 32];
    let record = || lifeline::store::TipRecord {
        id: lifeline::store::TipId(lifeline::crypto::keys::random_bytes()),
        lookup_hash: lifeline::store::tips::lookup_hash(&lookup),
        received_minute: relay.relay.clock.unix_minute(),
        sealed: smallest_sealed(),
        followups: vec![],
        replies: vec![],
        reply_copies: vec![],
        handled: false,
        holder: None,
    };
    // Every key but the receipts' lookups, then every key but the index of waiting tips
    // (`ll:tips`): the tip written is taken out again, and its receipt with it.
    let but_lookups = ["~ll:[^t]*", "~ll:tips*", "~ll:tip:{*"];
    let but_index = ["~ll:[^t]*", "~ll:tip:*", "~ll:tip:*"];
    for keys in [but_lookups, but_index] {
        let setuser = [&["ACL", "SETUSER", "default", "resetkeys"][..], &keys].concat();
        assert_eq!(redis.cli(&setuser), "OK", "ACL SETUSER");
        assert!(relay.relay.tips.put(record()).await.is_err(), "not listed");
        tip_keys_readable(&redis, true);
        let left = redis.cli(&["KEYS", "ll:tip:{*"]);
        assert_eq!(left, "", "nothing of the tip is left");
    }

    let solved = solved_seed(&addr).await;
    let again = solved.body(lookup, smallest_sealed());
    assert_eq!(
        post_status(&addr, "/v1/tips", again).await,
        200,
        "the receipt was free again"
    );
    let mut c = relay.on_duty(500, "Amara", 1).await;
    assert_eq!(listed_tips(&mut c).await.len(), 1);
}
