//! Sealed tips end to end: a tipster with a receipt code submits over HTTP, a coordinator
//! opens and answers it, the tipster reads the reply with the same code; tips survive a
//! restart; proof-of-work seeds cannot be replayed.

use crate::common;

use common::*;
use lifeline::client::ClientError;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip::{self, TipMessage};
use rand_core::OsRng;

#[tokio::test]
async fn tip_with_receipt_round_trip_and_it_survives_a_restart() {
    let relay = TestRelay::start().await;
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;

    // The tipster: a receipt code, its keys, a sealed tip.
    let code = ReceiptCode::generate(&mut OsRng);
    let typed = code.display().to_lowercase();
    let keys = ReceiptCode::parse(&typed).unwrap().derive(&org);
    let tip = TipMessage {
        reply_key: Some(keys.tipster_key.public()),
        category: Some("labour".into()),
        text: "Locked in at night".into(),
    };
    let sealed = sealed_tip::seal_tip(&org, &inbox, &tip, &mut OsRng).unwrap();
    let tipster = Tipster::new(&relay.addr.to_string());
    tipster.submit(keys.lookup_id, sealed).await.unwrap();
    assert!(tipster.replies(keys.lookup_id).await.unwrap().is_empty());

    // A coordinator sees it, opens it with the inbox key, replies to the tipster's key.
    let mut c = relay.on_duty(400, "Amara", 1).await;
    let items = listed_tips(&mut c).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].received % 60, 0, "times are rounded to the minute");
    let id = items[0].id;
    let (sealed, _) = open_tip(&mut c, id, 0).await;
    let inbox_key = relay.inbox_key();
    let opened = sealed_tip::open_tip(&org, &inbox_key, &sealed).unwrap();
    assert_eq!(opened.text, "Locked in at night");
    assert_eq!(opened.category.as_deref(), Some("labour"));
    reply_to_tip(
        &relay,
        &mut c,
        id,
        &opened.reply_key.unwrap(),
        "Thank you. We are on it.",
    )
    .await;

    // The tipster comes back with the code and reads the reply, and answers.
    let (reply, again) =
        read_reply_and_follow_up(&relay, &tipster, &code, "They moved them.").await;
    assert_eq!(reply, "Thank you. We are on it.");

    // Restart on the same data folder: the tip, its reply and follow-up are still there.
    let relay = relay.restart().await;
    let mut c = relay.on_duty(400, "Amara", 1).await;
    let (_, followups) = open_tip(&mut c, id, 1).await;
    let tipster_public = again.tipster_key.public();
    assert_eq!(
        sealed_tip::open_followup(&org, &relay.inbox_key(), &tipster_public, &followups[0])
            .unwrap()
            .text,
        "They moved them."
    );

    // Handled: gone from the inbox, content erased, the reply still readable by the tipster.
    c.close_tip(id).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty()))
        .await
        .unwrap();
    let replies = Tipster::new(&relay.addr.to_string())
        .replies(again.lookup_id)
        .await
        .unwrap();
    assert_eq!(replies.len(), 1);
    let held = relay.tip_state().await;
    assert!(
        held.contains(&lifeline::protocol::b64::encode(&replies[0]))
            || held.contains(&serde_json::to_string(&replies[0]).unwrap()),
        "the reply is still held: {held}"
    );
    for form in [
        lifeline::protocol::b64::encode(&sealed),
        serde_json::to_string(&sealed).unwrap(),
    ] {
        assert!(!held.contains(&form), "handled tip content is erased");
    }
}

#[tokio::test]
async fn tip_submissions_need_fresh_proof_of_work_and_valid_sizes() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let post = |body: String| post_status(&addr, "/v1/tips", body);
    let solved = solved_seed(&addr).await;
    assert_eq!(post(solved.body([7; 32], smallest_sealed())).await, 200);
    // Replayed under another receipt (the same one is refused first, 409, before any
    // proof-of-work is spent: F-12).
    assert_eq!(
        post(solved.body([8; 32], smallest_sealed())).await,
        403,
        "a used seed cannot be replayed"
    );
    let fresh = solved_seed(&addr).await;
    assert_eq!(post(fresh.body([8; 32], vec![0; 999])).await, 400);
    assert_eq!(post(r#"{"v":1,"bogus":true}"#.into()).await, 400);
    let unknown = Tipster::new(&addr).replies([9; 32]).await.unwrap_err();
    assert!(matches!(unknown, ClientError::Http { status: 404, .. }));
}

/// A follow-up whose answer was lost, sent again as it was (its seed and solution: the
/// widget's retry), is accepted and kept once, even after the tip is handled; a seed spent
/// by something else is not taken for a filed follow-up (F-57).
#[tokio::test]
async fn a_followup_sent_again_with_its_seed_is_accepted_and_kept_once() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let (_, tip) = file_first_tip(&relay, &Tipster::new(&addr), "Locked in at night", None).await;
    let post = |body: String| post_status(&addr, "/v1/receipt/followup", body);
    let followup = solved_seed(&addr)
        .await
        .body(tip.keys.lookup_id, smallest_sealed());
    assert_eq!(post(followup.clone()).await, 200);
    assert_eq!(post(followup.clone()).await, 200, "sent again: accepted");
    let mut c = relay.on_duty(400, "Amara", 1).await;
    let listed = listed_tips(&mut c).await;
    assert_eq!(listed[0].followups, 1, "kept once");

    // A seed a tip spent is only spent: as a follow-up's, refused, and nothing filed.
    let spent = solved_seed(&addr).await;
    assert_eq!(
        post_status(&addr, "/v1/tips", spent.body([7; 32], smallest_sealed())).await,
        200
    );
    assert_eq!(
        post(spent.body(tip.keys.lookup_id, smallest_sealed())).await,
        403
    );

    // Handled since: the follow-up was filed before, so the resend still hears so.
    c.close_tip(listed[0].id).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.len() == 1))
        .await
        .unwrap();
    assert_eq!(post(followup).await, 200);
    let fresh = solved_seed(&addr).await;
    assert_eq!(
        post(fresh.body(tip.keys.lookup_id, smallest_sealed())).await,
        410,
        "a new one is refused: closed"
    );
}

#[tokio::test]
async fn the_sweep_reads_the_relays_clock_so_a_test_can_live_past_retention() {
    let relay = TestRelay::start().await;
    let tipster = Tipster::new(&relay.addr.to_string());
    let (_, FirstTip { keys, .. }) = file_first_tip(&relay, &tipster, "Still there?", None).await;
    let retention = std::time::Duration::from_secs(relay.relay.config.tips.retention_days * 86_400);

    // A day short of retention the tip stays; no real time passes in between.
    relay
        .relay
        .clock
        .advance(retention - std::time::Duration::from_secs(86_400));
    relay.relay.sweep().await;
    assert_eq!(relay.tips_held().await, 1, "kept until retention ends");
    assert!(tipster.replies(keys.lookup_id).await.unwrap().is_empty());

    relay
        .relay
        .clock
        .advance(std::time::Duration::from_secs(2 * 86_400));
    relay.relay.sweep().await;
    assert_eq!(relay.tips_held().await, 0, "erased once past retention");
    let err = tipster.replies(keys.lookup_id).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 404, .. }),
        "{err}"
    );
}

/// A tip filed straight into the store under `lookup`, received at `minute`, holding one
/// reply: two of them under one receipt are what two submissions racing past the duplicate
/// check leave.
fn tip_under(lookup: &[u8; 32], minute: u64, reply: &[u8]) -> lifeline::store::TipRecord {
    lifeline::store::TipRecord {
        id: lifeline::store::TipId(lifeline::crypto::keys::random_bytes()),
        lookup_hash: lifeline::store::tips::lookup_hash(lookup),
        received_minute: minute,
        sealed: smallest_sealed(),
        followups: vec![],
        replies: vec![reply.to_vec()],
        reply_copies: vec![],
        handled: false,
        holder: None,
    }
}

/// The replies the relay gives a tipster for `lookup`, over HTTP.
async fn replies_for(relay: &TestRelay, lookup: [u8; 32]) -> Result<Vec<Vec<u8>>, ClientError> {
    Tipster::new(&relay.addr.to_string()).replies(lookup).await
}

const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);

/// Lives until a day before the retention of a tip received now ends, sweeps, and reads the
/// replies a tipster is given under `lookup`: one of its two tips went, one is left.
async fn a_day_before_retention_ends(relay: &TestRelay, lookup: [u8; 32]) -> Vec<Vec<u8>> {
    let retention = DAY * relay.relay.config.tips.retention_days as u32;
    relay.relay.clock.advance(retention - DAY);
    relay.relay.sweep().await;
    assert_eq!(relay.tips_held().await, 1, "one tip went, one is left");
    let replies = replies_for(relay, lookup).await;
    replies.expect("the tip left answers for the receipt")
}

/// Two tips under one receipt: the earlier one going at the end of its retention leaves the
/// receipt to the later one, on either store (F-40).
#[tokio::test]
async fn an_earlier_tip_past_retention_leaves_its_receipt_to_a_later_one() {
    let relay = TestRelay::start().await;
    let lookup = [5; 32];
    let tips = &relay.relay.tips;
    let minute = || relay.relay.clock.unix_minute();
    tips.put(tip_under(&lookup, minute(), b"earlier"))
        .await
        .unwrap();
    relay.relay.clock.advance(2 * DAY);
    tips.put(tip_under(&lookup, minute(), b"later"))
        .await
        .unwrap();

    let kept = a_day_before_retention_ends(&relay, lookup).await;
    assert_eq!(
        kept,
        vec![b"later".to_vec()],
        "the later tip keeps its receipt"
    );
}

/// Two tips under one receipt, the later one filed with an older minute (a node whose clock
/// is behind): it goes first, at the end of its retention, and gives the receipt back to the
/// earlier one, as the files do (on Redis the receipt went with it).
#[tokio::test]
async fn a_later_tip_past_retention_gives_its_receipt_back_to_the_earlier_one() {
    let relay = TestRelay::start().await;
    let lookup = [6; 32];
    let tips = &relay.relay.tips;
    let now = relay.relay.clock.unix_minute();
    tips.put(tip_under(&lookup, now, b"earlier")).await.unwrap();
    tips.put(tip_under(&lookup, now - 2 * 24 * 60, b"later"))
        .await
        .unwrap();
    assert_eq!(
        replies_for(&relay, lookup).await.unwrap(),
        vec![b"later".to_vec()]
    );

    let kept = a_day_before_retention_ends(&relay, lookup).await;
    assert_eq!(
        kept,
        vec![b"earlier".to_vec()],
        "the earlier tip has it back"
    );
    // On Redis the receipt's key now ends with the earlier tip (a day from now), not with
    // the later one, gone, nor ever before the tip it answers for (on the first whole minute
    // of Redis's clock after: docs/redis.md).
    if let Some(redis) = &relay.redis {
        let hash = lifeline::store::tips::lookup_hash(&lookup);
        let key = format!("ll:tip:lookup:{}", lifeline::crypto::keys::hex(&hash));
        let ttl: u64 = redis.cli(&["TTL", &key]).parse().expect("a TTL");
        assert!(
            (DAY.as_secs() - 120..=DAY.as_secs() + 60).contains(&ttl),
            "{ttl}"
        );
    }
}

/// Two submissions under one receipt race for the last room: the later one is refused (the
/// store is full) and must leave the receipt to the earlier one, filed (on Redis the refusal
/// deleted the receipt the earlier tip had).
#[tokio::test]
async fn a_later_tip_refused_for_room_leaves_the_receipt_to_the_earlier_one() {
    let relay = TestRelay::start_with(|c| c.tips.max_tips = 1).await;
    let lookup = [7; 32];
    let tips = &relay.relay.tips;
    let now = relay.relay.clock.unix_minute();
    tips.put(tip_under(&lookup, now, b"earlier")).await.unwrap();
    let refused = tips.put(tip_under(&lookup, now, b"later")).await;
    assert!(refused.is_err(), "the store is full");
    assert_eq!(relay.tips_held().await, 1);
    let replies = replies_for(&relay, lookup).await;
    let replies = replies.expect("the earlier tip keeps its receipt");
    assert_eq!(replies, vec![b"earlier".to_vec()]);
}
