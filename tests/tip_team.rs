//! Tips as a team (issue 17 item 3, protocol §9.9): a coordinator takes a tip and the others
//! see it held; a colleague's reply or close is refused until they take it over, and the
//! holder is told when they do; every reply's copy carries its author's alias and minute, so
//! a colleague reads the whole thread; a tip its holder leaves untouched is released. On the
//! memory store and, with `LIFELINE_TEST_STORE=redis`, on Redis.

use crate::common;
use crate::tip_replies;

use std::time::Duration;

use common::*;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::tipster::Tipster;
use lifeline::crypto::receipt::ReceiptKeys;
use lifeline::crypto::sealed_tip;
use lifeline::protocol::TipId;
use rand_core::OsRng;
use tip_replies::tipster_reads;

const HOLD_RELEASE_S: u64 = 300;

/// A tip with a reply key, filed through the tipster's HTTP path.
async fn filed_tip(relay: &TestRelay) -> (TipId, ReceiptKeys) {
    let tipster = Tipster::new(&relay.addr.to_string());
    let text = "Three girls are kept above the nail bar";
    let (id, tip) = file_first_tip(relay, &tipster, text, None).await;
    (id, tip.keys)
}

/// `c` sends a reply with its copy for the inbox, as the console does.
async fn reply(
    relay: &TestRelay,
    c: &mut CoordinatorClient,
    id: TipId,
    keys: &ReceiptKeys,
    text: &str,
) {
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;
    let message = plain_tip(text);
    let tipster = keys.tipster_key.public();
    let sealed =
        sealed_tip::seal_reply(&org, &relay.inbox_key(), &tipster, &message, &mut OsRng).unwrap();
    let copy = sealed_tip::seal_reply_copy(&org, &inbox, &message, &mut OsRng).unwrap();
    c.reply_tip_with_copy(id, sealed, Some(copy)).await.unwrap();
}

/// Waits until the inbox `c` is sent shows tip `id` held by `holder` (`None`: free).
async fn sees_held(c: &mut CoordinatorClient, id: TipId, holder: Option<&str>) {
    let seen = c.wait_for(|e| {
        matches!(e, CoordinatorEvent::Tips(items)
            if items.iter().any(|t| t.id == id && t.held_by.as_deref() == holder))
    });
    tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .unwrap_or_else(|_| panic!("tip not shown held by {holder:?}"))
        .unwrap();
}

/// The next `tip_held` refusal `c` is sent: the holder's alias.
async fn refused(c: &mut CoordinatorClient) -> String {
    match c
        .wait_for(|e| matches!(e, CoordinatorEvent::TipHeld { .. }))
        .await
        .unwrap()
    {
        CoordinatorEvent::TipHeld { by, .. } => by,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_tip_is_taken_refused_to_a_colleague_taken_over_read_by_all_and_released() {
    let relay = TestRelay::start_with(|c| c.tips.hold_release_s = HOLD_RELEASE_S).await;
    let org = relay.relay.keys.organisation.fingerprint();
    let (id, keys) = filed_tip(&relay).await;
    let mut a = relay.on_duty(501, "Amara N", 1).await;
    let mut b = relay.on_duty(502, "Bo K", 1).await;
    b.list_tips().await.unwrap();
    sees_held(&mut b, id, None).await;

    // A takes it: everyone sees it held by A.
    a.take_tip(id, false).await.unwrap();
    sees_held(&mut a, id, Some("Amara N")).await;
    sees_held(&mut b, id, Some("Amara N")).await;

    // B may read it but not answer or close it, nor take it without taking it over.
    reply(&relay, &mut b, id, &keys, "B should not reach the tipster").await;
    assert_eq!(refused(&mut b).await, "Amara N");
    b.close_tip(id).await.unwrap();
    assert_eq!(refused(&mut b).await, "Amara N");
    b.take_tip(id, false).await.unwrap();
    assert_eq!(refused(&mut b).await, "Amara N");
    let tipster = Tipster::new(&relay.addr.to_string());
    assert!(
        tipster.replies(keys.lookup_id).await.unwrap().is_empty(),
        "a refused reply is not filed"
    );

    // A answers: the tipster reads it, and B reads A's copy with A's alias and minute.
    let before = relay.relay.clock.unix_s();
    reply(
        &relay,
        &mut a,
        id,
        &keys,
        "We hear you. Is anyone in danger tonight?",
    )
    .await;
    a.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.iter().any(|t| t.replies == 1)))
        .await
        .unwrap();
    assert_eq!(
        tipster_reads(&relay, &tipster, &keys).await,
        ["We hear you. Is anyone in danger tonight?"]
    );
    b.open_tip(id).await.unwrap();
    let CoordinatorEvent::Tip { replies, .. } = b
        .wait_for(|e| matches!(e, CoordinatorEvent::Tip { .. }))
        .await
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(
        replies.len(),
        1,
        "the copy of A's reply, no copy of B's refused one"
    );
    assert_eq!(replies[0].by.as_deref(), Some("Amara N"));
    let filed = replies[0].filed.expect("the minute it was filed");
    assert_eq!(filed % 60, 0, "to the minute only");
    assert!(filed <= relay.relay.clock.unix_s() && filed + 60 > before);
    assert_eq!(
        sealed_tip::open_reply_copy(&org, &relay.inbox_key(), &replies[0].sealed.0)
            .unwrap()
            .text,
        "We hear you. Is anyone in danger tonight?"
    );

    // B takes it over: A is told, by B's alias, and A's reply is now refused.
    b.take_tip(id, true).await.unwrap();
    match a
        .wait_for(|e| matches!(e, CoordinatorEvent::TipTaken { .. }))
        .await
        .unwrap()
    {
        CoordinatorEvent::TipTaken { id: taken, by } => {
            assert_eq!((taken, by.as_str()), (id, "Bo K"));
        }
        _ => unreachable!(),
    }
    sees_held(&mut a, id, Some("Bo K")).await;
    reply(&relay, &mut a, id, &keys, "A is no longer on it").await;
    assert_eq!(refused(&mut a).await, "Bo K");

    // B leaves it untouched: still held within hold_release_s, free after it.
    relay
        .relay
        .clock
        .advance(Duration::from_secs(HOLD_RELEASE_S - 120));
    relay.relay.sweep().await;
    a.list_tips().await.unwrap();
    sees_held(&mut a, id, Some("Bo K")).await;
    relay.relay.clock.advance(Duration::from_secs(180));
    relay.relay.sweep().await;
    sees_held(&mut a, id, None).await;
    sees_held(&mut b, id, None).await;

    // Free, A answers and so takes it; handled, nothing of who held or answered it stays.
    reply(&relay, &mut a, id, &keys, "Thank you, we are on it.").await;
    sees_held(&mut b, id, Some("Amara N")).await;
    a.close_tip(id).await.unwrap();
    a.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty()))
        .await
        .unwrap();
    let held = relay.tip_state().await;
    for alias in ["Amara N", "Bo K"] {
        assert!(
            !held.contains(alias),
            "{alias} is erased with the tip: {held}"
        );
    }
    assert_eq!(
        tipster_reads(&relay, &tipster, &keys).await,
        [
            "We hear you. Is anyone in danger tonight?",
            "Thank you, we are on it."
        ]
    );
}

#[test]
fn the_hold_release_time_is_checked_at_start() {
    use lifeline::config::Config;
    let shipped = include_str!("../config/lifeline.toml");
    assert_eq!(
        Config::parse(shipped, std::iter::empty())
            .unwrap()
            .tips
            .hold_release_s,
        1800
    );
    for bad in ["0", "59", "99999999999"] {
        let env = [("LIFELINE_TIPS_HOLD_RELEASE_S".to_string(), bad.to_string())];
        let err = Config::parse(shipped, env.into_iter()).unwrap_err();
        assert!(
            err.to_string().contains("tips.hold_release_s"),
            "{bad}: {err}"
        );
    }
}

/// Two relay nodes on one Redis: a take-over on one node reaches the holder on the other.
#[tokio::test]
async fn a_take_over_through_one_node_tells_the_holder_on_the_other() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let on_redis = |c: &mut lifeline::config::Config| {
        c.store.kind = lifeline::config::StoreKind::Redis;
        c.store.redis_url = redis.url.clone();
    };
    let node_a = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let node_b = TestRelay::start_in(dir.path().to_path_buf(), on_redis).await;
    let (id, keys) = filed_tip(&node_a).await;
    let mut a = node_a.on_duty(511, "Amara N", 1).await;
    let mut b = node_b.on_duty(512, "Bo K", 1).await;
    // Each node knows where the other's coordinator is before anything is routed there.
    let listed = |serial: u64| move |e: &CoordinatorEvent| matches!(e, CoordinatorEvent::Roster(r) if r.iter().any(|c| c.serial == serial));
    a.wait_for(listed(512)).await.unwrap();
    b.wait_for(listed(511)).await.unwrap();

    a.take_tip(id, false).await.unwrap();
    sees_held(&mut b, id, Some("Amara N")).await;
    b.take_tip(id, true).await.unwrap();
    match a
        .wait_for(|e| matches!(e, CoordinatorEvent::TipTaken { .. }))
        .await
        .unwrap()
    {
        CoordinatorEvent::TipTaken { by, .. } => assert_eq!(by, "Bo K"),
        _ => unreachable!(),
    }
    reply(&node_a, &mut a, id, &keys, "no longer mine").await;
    assert_eq!(refused(&mut a).await, "Bo K");
    reply(&node_b, &mut b, id, &keys, "Bo answers through node B").await;
    a.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.iter().any(|t| t.replies == 1)))
        .await
        .unwrap();
    a.open_tip(id).await.unwrap();
    let CoordinatorEvent::Tip { replies, .. } = a
        .wait_for(|e| matches!(e, CoordinatorEvent::Tip { .. }))
        .await
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].by.as_deref(), Some("Bo K"));
    let tipster = Tipster::new(&node_a.addr.to_string());
    assert_eq!(
        tipster_reads(&node_a, &tipster, &keys).await,
        ["Bo answers through node B"]
    );
}
