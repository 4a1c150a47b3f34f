//! Tips as a team through the core: who holds a tip, taking and taking over, a colleague's
//! hold stopping a reply or a close here, the relay's refusal putting a reply back in the
//! draft, being told a tip was taken over, and the thread's replies with author and minute.

use rand_core::OsRng;

use super::*;
use crate::crypto::sealed_tip::{self, TipMessage};
use crate::protocol::frames::{ReplyCopyItem, TipSummary};

const ID: TipId = TipId([7; 16]);

fn held_by(alias: Option<&str>) -> CoordinatorEvent {
    CoordinatorEvent::Tips(vec![TipSummary {
        id: ID,
        received: 1_700_000_040,
        followups: 0,
        replies: 1,
        held_by: alias.map(str::to_owned),
    }])
}

/// The kit with tip `ID` opened: sealed with a reply key, one reply's copy by Bastien.
fn opened() -> Kit {
    let mut k = kit();
    let (_, sealed) = super::tips::sealed_first_tip(&k, "A van comes at night", None);
    let answer = TipMessage {
        reply_key: None,
        category: None,
        text: "Which street?".into(),
    };
    let copy = sealed_tip::seal_reply_copy(&k.org, &k.inbox, &answer, &mut OsRng).unwrap();
    k.act(Action::Show(Screen::Tips));
    k.relay(held_by(Some("Bastien")));
    k.act(Action::OpenTip(ID));
    k.relay(CoordinatorEvent::Tip {
        id: ID,
        sealed,
        followups: vec![],
        replies: vec![ReplyCopyItem {
            sealed: crate::protocol::Bytes(copy),
            by: Some("Bastien".into()),
            filed: Some(1_700_000_100),
        }],
    });
    k
}

#[test]
fn the_thread_shows_each_reply_with_its_author_and_minute() {
    let k = opened();
    let tip = k.shift.opened_tip.as_ref().expect("opened");
    assert_eq!(
        tip.replies,
        [ThreadReply {
            by: Some("Bastien".into()),
            filed: Some(1_700_000_100),
            text: Followup::Text("Which street?".into()),
        }]
    );
}

#[test]
fn a_colleague_s_hold_stops_a_reply_and_a_close_until_taken_over() {
    let mut k = opened();
    assert_eq!(k.shift.tip_holder(ID), TipHolder::Colleague("Bastien"));
    k.write(Target::Tip(ID), "I can help too");
    assert!(k.act(Action::Send(Target::Tip(ID))).is_empty());
    assert_eq!(
        k.shift.status,
        Notice::TipHeld {
            by: "Bastien".into()
        }
    );
    assert_eq!(
        k.shift.draft(Target::Tip(ID)),
        Some("I can help too"),
        "nothing typed is lost"
    );
    assert!(k.act(Action::TipHandled(ID)).is_empty());
    assert!(k.shift.opened_tip.is_some(), "not closed here either");

    assert_eq!(
        k.act(Action::TakeTip { id: ID, over: true }),
        vec![Command::TakeTip { id: ID, over: true }]
    );
    assert_eq!(k.shift.status, Notice::TakingTip);
    k.relay(held_by(Some("Amara (Lyon)")));
    assert_eq!(k.shift.tip_holder(ID), TipHolder::Me);
    let commands = k.act(Action::Send(Target::Tip(ID)));
    assert!(
        matches!(commands.as_slice(), [Command::ReplyTip { id: ID, .. }]),
        "{commands:?}"
    );
    k.relay(held_by(None));
    assert_eq!(k.shift.tip_holder(ID), TipHolder::Nobody);
}

#[test]
fn a_reply_the_relay_refuses_leaves_the_thread_and_returns_to_the_draft() {
    let mut k = opened();
    // The list said free; a colleague took it meanwhile.
    k.relay(held_by(None));
    k.write(Target::Tip(ID), "We are here for you");
    assert_eq!(k.act(Action::Send(Target::Tip(ID))).len(), 1);
    assert_eq!(k.shift.opened_tip.as_ref().unwrap().replies.len(), 2);
    k.relay(CoordinatorEvent::TipHeld {
        id: ID,
        by: "Chloé".into(),
    });
    let tip = k.shift.opened_tip.as_ref().unwrap();
    assert_eq!(tip.replies.len(), 1, "only the reply the relay filed");
    assert_eq!(tip.replies_sent, 0);
    assert_eq!(tip.draft, "We are here for you");
    assert_eq!(
        k.shift.status,
        Notice::TipHeld {
            by: "Chloé".into()
        }
    );
}

#[test]
fn a_reply_the_store_could_not_file_or_the_connection_could_not_take_returns_to_the_draft() {
    let mut k = opened();
    k.relay(held_by(None));
    let replies = |k: &Kit| k.shift.opened_tip.as_ref().unwrap().replies.len();
    let draft = |k: &Kit| k.shift.opened_tip.as_ref().unwrap().draft.clone();

    // The relay's store failed: `retry` comes before the list that follows the reply.
    k.write(Target::Tip(ID), "We are here for you");
    assert_eq!(k.act(Action::Send(Target::Tip(ID))).len(), 1);
    assert_eq!(replies(&k), 2);
    k.relay(CoordinatorEvent::Retry(5));
    assert_eq!(replies(&k), 1, "not filed: not in the thread");
    assert_eq!(draft(&k), "We are here for you");
    assert_eq!(k.shift.status, Notice::NotStoredTryAgain { retry_after: 5 });
    k.relay(held_by(Some("Amara (Lyon)")));

    // Filed (the list came): a later `retry`, for something else, takes nothing back.
    assert_eq!(k.act(Action::Send(Target::Tip(ID))).len(), 1);
    k.relay(held_by(Some("Amara (Lyon)")));
    k.relay(CoordinatorEvent::Retry(5));
    assert_eq!(replies(&k), 2);
    assert_eq!(draft(&k), "");

    // A take asked after the reply: a `retry` may be the take's, so the reply stays.
    k.write(Target::Tip(ID), "One more thing");
    assert_eq!(k.act(Action::Send(Target::Tip(ID))).len(), 1);
    k.act(Action::TakeTip { id: ID, over: true });
    k.relay(CoordinatorEvent::Retry(5));
    assert_eq!(
        replies(&k),
        3,
        "not taken back on a retry that may be the take's"
    );
    k.relay(held_by(Some("Amara (Lyon)")));

    // The connection dropped as it was asked (the shift did not know yet).
    k.write(Target::Tip(ID), "Still here");
    let commands = k.act(Action::Send(Target::Tip(ID)));
    assert_eq!(replies(&k), 4);
    k.net(NetEvent::NotDone {
        undone: crate::console::shift::Undone::of(&commands[0]).unwrap(),
        reason: Reason::Offline,
    });
    assert_eq!(replies(&k), 3);
    assert_eq!(draft(&k), "Still here");
}

#[test]
fn the_holder_is_told_when_a_colleague_takes_a_tip_over() {
    let mut k = opened();
    k.relay(held_by(Some("Amara (Lyon)")));
    k.shift.bell = false;
    k.relay(CoordinatorEvent::TipTaken {
        id: ID,
        by: "Bastien".into(),
    });
    assert_eq!(
        k.shift.status,
        Notice::TipTakenOver {
            by: "Bastien".into()
        }
    );
    assert!(k.shift.bell, "a bell: this needs their attention");
    assert_eq!(
        k.act(Action::TakeTip {
            id: ID,
            over: false
        }),
        vec![Command::TakeTip {
            id: ID,
            over: false
        }]
    );
}
