//! Tips through the core: listing, opening with the inbox key, a sealed reply the tipster
//! opens with their receipt, marking handled, and what is refused without the keys.

use rand_core::OsRng;

use super::*;
use crate::crypto::receipt::{ReceiptCode, ReceiptKeys};
use crate::crypto::sealed_tip::{self, TipMessage};
use crate::protocol::frames::TipSummary;

/// A first tip sealed to the kit's inbox as the widget seals it: under a fresh receipt code,
/// with the code's reply key inside. The code's keys and the sealed body.
pub(super) fn sealed_first_tip(
    k: &Kit,
    text: &str,
    category: Option<&str>,
) -> (ReceiptKeys, Vec<u8>) {
    let tipster = ReceiptCode::generate(&mut OsRng).derive(&k.org);
    let tip = TipMessage {
        reply_key: Some(tipster.tipster_key.public()),
        category: category.map(str::to_owned),
        text: text.into(),
    };
    let sealed = sealed_tip::seal_tip(&k.org, &k.inbox, &tip, &mut OsRng).unwrap();
    (tipster, sealed)
}

fn listed(id: TipId) -> TipSummary {
    TipSummary {
        id,
        received: 1_700_000_040,
        followups: 1,
        replies: 0,
        held_by: None,
    }
}

#[test]
fn tips_open_with_the_inbox_key_reply_to_the_receipt_and_are_marked_handled() {
    let mut k = kit();
    let (tipster, sealed) = sealed_first_tip(&k, "Workers locked in at night", Some("labour"));
    let followup = sealed_tip::seal_followup(
        &k.org,
        &k.inbox,
        &tipster.tipster_key,
        &TipMessage {
            reply_key: None,
            category: None,
            text: "They moved them".into(),
        },
        &mut OsRng,
    )
    .unwrap();
    let id = TipId([9u8; 16]);
    assert_eq!(k.act(Action::Show(Screen::Tips)), vec![Command::ListTips]);
    assert_eq!(k.shift.screen, Screen::Tips);
    assert_eq!(k.shift.replyable(), Err(Notice::OpenTipFirst));
    k.relay(CoordinatorEvent::Tips(vec![listed(id)]));
    assert_eq!(
        k.shift.status,
        Notice::Welcome,
        "the first list is not news"
    );
    assert_eq!(k.act(Action::OpenTip(id)), vec![Command::OpenTip(id)]);
    k.relay(CoordinatorEvent::Tip {
        id,
        sealed,
        followups: vec![followup, vec![0; 120]],
        replies: vec![],
    });
    assert_eq!(k.shift.status, Notice::TipOpened);
    let opened = k.shift.opened_tip.as_ref().unwrap();
    assert_eq!(opened.text, "Workers locked in at night");
    assert_eq!(opened.category.as_deref(), Some("labour"));
    assert_eq!(
        opened.followups,
        [
            Followup::Text("They moved them".into()),
            Followup::DoesNotOpen
        ]
    );
    assert_eq!(k.shift.current_target(), Some(Target::Tip(id)));
    assert_eq!(k.shift.replyable(), Ok(()));

    k.write(Target::Tip(TipId([8; 16])), "to a tip that is not open");
    assert_eq!(
        k.shift.draft(Target::Tip(id)),
        Some(""),
        "only the open tip's draft"
    );
    assert!(k.act(Action::Send(Target::Tip(TipId([8; 16])))).is_empty());
    k.write(Target::Tip(id), "Thank you, we are on it.");
    let commands = k.act(Action::Send(Target::Tip(id)));
    let [
        Command::ReplyTip {
            id: replied,
            sealed,
            copy: Some(copy),
        },
    ] = commands.as_slice()
    else {
        panic!("expected one reply, got {commands:?}");
    };
    assert_eq!(*replied, id);
    assert_eq!(k.shift.status, Notice::ReplySent);
    assert_eq!(k.shift.draft(Target::Tip(id)), Some(""));
    assert_eq!(k.shift.opened_tip.as_ref().unwrap().replies_sent, 1);
    assert_eq!(
        k.shift.opened_tip.as_ref().unwrap().replies,
        [ThreadReply {
            by: Some(k.shift.me.alias.clone()),
            filed: None,
            text: Followup::Text("Thank you, we are on it.".into())
        }],
        "the coordinator sees their own reply in the thread"
    );
    // The team's copy opens with the inbox key (and not as a reply to the tipster).
    let inbox_secret = k.shift.tip_keys.as_ref().unwrap().newest();
    assert_eq!(
        sealed_tip::open_reply_copy(&k.org, inbox_secret, copy)
            .unwrap()
            .text,
        "Thank you, we are on it."
    );
    // The tipster opens it with their receipt code.
    let reply = sealed_tip::open_reply(&k.org, &k.inbox, &tipster.tipster_key, sealed).unwrap();
    assert_eq!(reply.text, "Thank you, we are on it.");

    // Another tip arrives in the list: news.
    k.relay(CoordinatorEvent::Tips(vec![
        listed(id),
        listed(TipId([8; 16])),
    ]));
    assert_eq!(k.shift.status, Notice::NewTip);

    assert_eq!(k.act(Action::TipHandled(id)), vec![Command::CloseTip(id)]);
    assert!(k.shift.opened_tip.is_none());
    assert_eq!(k.shift.status, Notice::TipHandled);
    k.relay(CoordinatorEvent::Tips(vec![]));
    assert!(k.shift.tips.is_empty());
    assert_eq!(k.act(Action::Show(Screen::Chats)), vec![]);
    assert_eq!(k.shift.screen, Screen::Chats);
}

#[test]
fn an_opened_tip_gone_from_the_list_is_forgotten_and_one_without_a_reply_key_takes_no_reply() {
    let mut k = kit();
    let tip = TipMessage {
        reply_key: None,
        category: None,
        text: "No way back to me".into(),
    };
    let sealed = sealed_tip::seal_tip(&k.org, &k.inbox, &tip, &mut OsRng).unwrap();
    let id = TipId([4u8; 16]);
    k.act(Action::Show(Screen::Tips));
    k.relay(CoordinatorEvent::Tips(vec![listed(id)]));
    k.relay(CoordinatorEvent::Tip {
        id,
        sealed,
        followups: vec![vec![1, 2, 3]],
        replies: vec![],
    });
    let opened = k.shift.opened_tip.as_ref().unwrap();
    assert_eq!(opened.followups, [Followup::WithoutReplyKey]);
    assert_eq!(k.shift.replyable(), Err(Notice::NoReplyKey));
    k.write(Target::Tip(id), "hello?");
    assert!(k.act(Action::Send(Target::Tip(id))).is_empty());
    assert_eq!(k.shift.status, Notice::NoReplyKey);
    // A colleague marked it handled: it leaves the list and this console's memory.
    k.relay(CoordinatorEvent::Tips(vec![]));
    assert!(k.shift.opened_tip.is_none());
}

#[test]
fn a_tip_that_does_not_open_or_a_missing_inbox_key_is_reported_not_shown() {
    let mut k = kit();
    k.act(Action::Show(Screen::Tips));
    k.relay(CoordinatorEvent::Tip {
        id: TipId([1; 16]),
        sealed: vec![0; 200],
        followups: vec![],
        replies: vec![],
    });
    assert!(k.shift.opened_tip.is_none());
    assert!(matches!(k.shift.status, Notice::TipDoesNotOpen { .. }));

    let mut bare = Shift::new(
        k.shift.me.clone(),
        Settings::default(),
        PassphraseLock::with_cost(PASS, 64, 1),
        Resources::default(),
        None,
        k.now,
    );
    bare.act(Action::Show(Screen::Tips), k.now);
    assert!(bare.act(Action::OpenTip(TipId([1; 16])), k.now).is_empty());
    assert_eq!(bare.status, Notice::NoInboxKey);
    let sealed = vec![0; 200];
    bare.handle(
        Input::Net(NetEvent::Relay(CoordinatorEvent::Tip {
            id: TipId([1; 16]),
            sealed,
            followups: vec![],
            replies: vec![],
        })),
        k.now,
    );
    assert!(bare.opened_tip.is_none());
}

#[test]
fn the_tips_are_asked_for_at_sign_in_and_again_after_a_reconnection_off_duty() {
    let mut k = kit();
    assert!(!k.shift.on_duty);
    // The relay lists tips off duty too: the count is true before going on duty.
    assert_eq!(k.shift.signed_in(), vec![Command::ListTips]);
    k.net(NetEvent::Disconnected("reset".into()));
    assert_eq!(k.net(NetEvent::Reconnected), vec![Command::ListTips]);
    assert_eq!(k.shift.status, Notice::Reconnected { on_duty: false });
}
