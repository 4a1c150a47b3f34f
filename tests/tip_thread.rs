//! A tip's thread end to end (issue 22 item 6): the coordinator sees their own replies
//! (copies sealed to the inbox key), and once the tip is handled a tipster's follow-up is
//! refused with a clear reason, never accepted into a tip nobody can read.

use crate::common;

use common::*;
use lifeline::client::ClientError;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::tipster::Tipster;
use lifeline::crypto::sealed_tip;
use lifeline::protocol::http::TIP_CLOSED;
use rand_core::OsRng;

#[tokio::test]
async fn replies_are_in_the_thread_and_a_follow_up_after_handled_is_refused() {
    let relay = TestRelay::start().await;
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;
    let inbox_key = relay.inbox_key();
    let tipster = Tipster::new(&relay.addr.to_string());
    let text = "They keep the passports";
    let (id, FirstTip { keys, .. }) = file_first_tip(&relay, &tipster, text, None).await;

    // The coordinator replies with a copy for the inbox, as the console does.
    let mut c = relay.on_duty(410, "Amara", 1).await;
    let answer = plain_tip("Please add where, with your receipt.");
    let sealed = sealed_tip::seal_reply(
        &org,
        &inbox_key,
        &keys.tipster_key.public(),
        &answer,
        &mut OsRng,
    )
    .unwrap();
    let copy = sealed_tip::seal_reply_copy(&org, &inbox, &answer, &mut OsRng).unwrap();
    let copy_as_filed = lifeline::protocol::b64::encode(&copy);
    c.reply_tip_with_copy(id, sealed, Some(copy)).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.iter().any(|t| t.replies == 1)))
        .await
        .unwrap();

    // The tipster follows up while the tip is open: filed, and readable with the tip.
    let more = plain_tip("At the farm on the north road");
    let followup =
        sealed_tip::seal_followup(&org, &inbox, &keys.tipster_key, &more, &mut OsRng).unwrap();
    tipster.follow_up(keys.lookup_id, followup).await.unwrap();

    // Opening the tip again (another coordinator, a later shift) shows the whole thread.
    c.open_tip(id).await.unwrap();
    let CoordinatorEvent::Tip {
        followups, replies, ..
    } = c
        .wait_for(|e| matches!(e, CoordinatorEvent::Tip { .. }))
        .await
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(replies.len(), 1, "the reply's copy is in the thread");
    assert_eq!(
        sealed_tip::open_reply_copy(&org, &inbox_key, &replies[0].sealed.0)
            .unwrap()
            .text,
        "Please add where, with your receipt."
    );
    let reply_key = keys.tipster_key.public();
    assert_eq!(
        sealed_tip::open_followup(&org, &inbox_key, &reply_key, &followups[0])
            .unwrap()
            .text,
        "At the farm on the north road"
    );

    // Handled: erased. A follow-up now is refused, with the reason, and nothing is filed.
    c.close_tip(id).await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty()))
        .await
        .unwrap();
    let late = sealed_tip::seal_followup(
        &org,
        &inbox,
        &keys.tipster_key,
        &plain_tip("One more thing"),
        &mut OsRng,
    )
    .unwrap();
    match tipster.follow_up(keys.lookup_id, late).await {
        Err(ClientError::Http { status: 410, body }) => {
            assert!(body.contains(TIP_CLOSED), "{body}")
        }
        other => panic!("a follow-up to a handled tip: {other:?}"),
    }
    c.list_tips().await.unwrap();
    c.wait_for(|e| matches!(e, CoordinatorEvent::Tips(i) if i.is_empty()))
        .await
        .expect("the tip did not come back");
    let held = relay.tip_state().await;
    assert!(
        !held.contains(&copy_as_filed),
        "the copies are erased with the tip: {held}"
    );
    // The tipster still reads the organisation's reply under the receipt.
    let replies = tipster.replies(keys.lookup_id).await.unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(
        sealed_tip::open_reply(&org, &inbox, &keys.tipster_key, &replies[0])
            .unwrap()
            .text,
        "Please add where, with your receipt."
    );
}
