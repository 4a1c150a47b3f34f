//! Inbox rotation in the shift core: a console holding several granted inbox keys opens a tip
//! sealed to any of them (and follow-ups sealed to another), says plainly when it holds none
//! that fits, and replies from the newest key, the one tipsters are served.

use rand_core::OsRng;

use super::*;
use crate::console::shift::inbox_set::NOT_GRANTED;
use crate::crypto::receipt::ReceiptCode;
use crate::crypto::sealed_tip::{self, TipMessage};

struct Rotated {
    shift: Shift,
    now: Instant,
    org: Fingerprint,
    newer: DhPublicKey,
    older: DhPublicKey,
}

/// A shift holding two inbox keys, newest first, as an imported grant leaves it.
fn rotated() -> Rotated {
    let now = Instant::now();
    let org = SigningKey::generate().public().fingerprint();
    let (newer, older) = (DhSecret::generate(), DhSecret::generate());
    let (newer_public, older_public) = (newer.public(), older.public());
    let shift = Shift::new(
        Me {
            alias: "Amara (Lyon)".into(),
            serial: 101,
            not_after: 1_767_225_600,
        },
        Settings::default(),
        PassphraseLock::with_cost(PASS, 64, 1),
        resources(),
        TipKeys::new(org, vec![newer, older]),
        now,
    );
    Rotated {
        shift,
        now,
        org,
        newer: newer_public,
        older: older_public,
    }
}

fn text(words: &str, reply_key: Option<DhPublicKey>) -> TipMessage {
    TipMessage {
        reply_key,
        category: None,
        text: words.into(),
    }
}

fn deliver(r: &mut Rotated, sealed: Vec<u8>, followups: Vec<Vec<u8>>) {
    r.shift.act(Action::Show(Screen::Tips), r.now);
    r.shift.handle(
        Input::Net(NetEvent::Relay(CoordinatorEvent::Tip {
            id: TipId([3; 16]),
            sealed,
            followups,
            replies: vec![],
        })),
        r.now,
    );
}

#[test]
fn tips_sealed_to_an_older_or_the_newer_key_both_open_and_replies_come_from_the_newest() {
    let mut r = rotated();
    let tipster = ReceiptCode::generate(&mut OsRng).derive(&r.org);
    let before = text("before the rotation", Some(tipster.tipster_key.public()));
    let sealed = sealed_tip::seal_tip(&r.org, &r.older, &before, &mut OsRng).unwrap();
    // The tipster came back after the rotation: their follow-up is sealed to the newer key.
    let later = sealed_tip::seal_followup(
        &r.org,
        &r.newer,
        &tipster.tipster_key,
        &text("and after it", None),
        &mut OsRng,
    )
    .unwrap();
    deliver(&mut r, sealed, vec![later]);
    let opened = r
        .shift
        .opened_tip
        .as_ref()
        .expect("opened with the older key");
    assert_eq!(opened.text, "before the rotation");
    assert_eq!(
        opened.followups,
        vec![Followup::Text("and after it".into())]
    );

    r.shift.opened_tip.as_mut().unwrap().draft = "We read you".into();
    let commands = r
        .shift
        .act(Action::Send(Target::Tip(TipId([3; 16]))), r.now);
    let Some(Command::ReplyTip { sealed, copy, .. }) = commands.first() else {
        panic!("a reply goes out: {commands:?}");
    };
    // Tipsters check replies against the inbox certificate the relay serves: the newest.
    let reply = sealed_tip::open_reply(&r.org, &r.newer, &tipster.tipster_key, sealed);
    assert_eq!(reply.unwrap().text, "We read you");
    assert!(sealed_tip::open_reply(&r.org, &r.older, &tipster.tipster_key, sealed).is_err());
    let newest = r.shift.tip_keys.as_ref().unwrap().newest();
    assert_eq!(newest.public(), r.newer);
    assert!(sealed_tip::open_reply_copy(&r.org, newest, copy.as_ref().unwrap()).is_ok());

    let mut r2 = rotated();
    let after = sealed_tip::seal_tip(&r2.org, &r2.newer, &text("after", None), &mut OsRng).unwrap();
    deliver(&mut r2, after, vec![]);
    assert_eq!(
        r2.shift.opened_tip.as_ref().map(|t| t.text.as_str()),
        Some("after")
    );
}

#[test]
fn a_tip_sealed_to_a_key_not_granted_says_so_plainly() {
    let mut r = rotated();
    let elsewhere = DhSecret::generate().public();
    let sealed = sealed_tip::seal_tip(&r.org, &elsewhere, &text("old", None), &mut OsRng).unwrap();
    deliver(&mut r, sealed, vec![]);
    assert!(r.shift.opened_tip.is_none());
    assert_eq!(
        r.shift.status,
        Notice::TipDoesNotOpen {
            reason: NOT_GRANTED.into()
        }
    );
    assert!(NOT_GRANTED.starts_with("sealed to an inbox key you were not granted"));
    assert!(
        TipKeys::new(r.org, vec![]).is_none(),
        "no keys: no tip keys at all"
    );
}
