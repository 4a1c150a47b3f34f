//! Unit tests of the shift state, driven by events exactly as the runner drives it, and the
//! helpers the screen snapshots share.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rand_core::OsRng;

use super::*;
use crate::console::resources::Resources;
use crate::crypto::keys::{DhSecret, SigningKey};
use crate::crypto::receipt::ReceiptCode;
use crate::protocol::frames::QueueItem;

pub(crate) const PASS: &str = "shift passphrase";

pub(crate) fn resources() -> Resources {
    Resources::parse(
        r#"
        [[resource]]
        region = "US"
        lang = "en"
        category = "helpline"
        title = "211 local help"
        text = "Call or text 211 for local help."
        [[resource]]
        region = "FR"
        lang = "fr"
        category = "shelter"
        title = "Hébergement 115"
        text = "Appelez le 115."
        "#,
    )
    .unwrap()
}

pub(crate) struct Kit {
    pub app: App,
    pub now: Instant,
    pub org: Fingerprint,
    pub inbox: DhPublicKey,
}

pub(crate) fn kit() -> Kit {
    let now = Instant::now();
    let org = SigningKey::generate().public().fingerprint();
    let inbox = DhSecret::generate();
    let inbox_public = inbox.public();
    let app = App::new(
        Me {
            alias: "Amara (Lyon)".into(),
            serial: 101,
            not_after: 1_767_225_600,
        },
        Settings {
            capacity: 3,
            langs: vec!["en".into(), "fr".into()],
            idle_lock: Duration::from_secs(300),
        },
        PassphraseLock::with_cost(PASS, 64, 1),
        resources(),
        Some(TipKeys {
            organisation: org,
            inbox,
        }),
        now,
    );
    Kit {
        app,
        now,
        org,
        inbox: inbox_public,
    }
}

pub(crate) fn key(code: KeyCode) -> AppEvent {
    AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(crate) fn ch(c: char) -> AppEvent {
    key(KeyCode::Char(c))
}

pub(crate) fn ctrl_key(c: char) -> AppEvent {
    AppEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub(crate) fn relay(e: CoordinatorEvent) -> AppEvent {
    AppEvent::Net(NetEvent::Relay(e))
}

pub(crate) fn sid(n: u8) -> SessionId {
    SessionId([n; 16])
}

pub(crate) fn queue(items: &[(u8, u64, &str)]) -> AppEvent {
    relay(CoordinatorEvent::Queue(
        items
            .iter()
            .map(|(n, waited, lang)| QueueItem {
                session: sid(*n),
                waited_s: *waited,
                kind: ConversationKind::Chat,
                lang: Some((*lang).into()),
            })
            .collect(),
    ))
}

pub(crate) fn claimed(n: u8, from: Option<&str>) -> AppEvent {
    relay(CoordinatorEvent::Claimed {
        session: sid(n),
        transferred_from: from.map(str::to_owned),
    })
}

pub(crate) fn text(n: u8, t: &str) -> AppEvent {
    relay(CoordinatorEvent::Text {
        session: sid(n),
        text: t.into(),
    })
}

impl Kit {
    pub(crate) fn on(&mut self, event: AppEvent) -> Vec<Command> {
        self.app.handle(event, self.now)
    }
    pub(crate) fn later(&mut self, secs: u64, event: AppEvent) -> Vec<Command> {
        self.now += Duration::from_secs(secs);
        self.app.handle(event, self.now)
    }
    pub(crate) fn typing(&mut self, s: &str) {
        for c in s.chars() {
            assert!(self.on(ch(c)).is_empty());
        }
    }
    /// On duty with two visitors claimed: Visitor 1 (en, session 1), Visitor 2 (fr, session 2).
    pub(crate) fn two_conversations(&mut self) {
        self.on(ch('d'));
        self.on(queue(&[(1, 120, "en"), (2, 60, "fr")]));
        assert_eq!(self.on(key(KeyCode::Enter)), vec![Command::Claim(sid(1))]);
        self.on(claimed(1, None));
        self.on(queue(&[(2, 60, "fr")]));
        assert_eq!(self.on(ch('c')), vec![Command::Claim(sid(2))]);
        self.on(claimed(2, None));
        self.on(queue(&[]));
    }
}

#[test]
fn going_on_duty_asks_for_the_queue_and_tips_and_off_duty_keeps_conversations() {
    let mut k = kit();
    assert_eq!(
        k.on(ch('d')),
        vec![
            Command::Duty {
                on: true,
                capacity: 3,
                langs: vec!["en".into(), "fr".into()]
            },
            Command::ListTips
        ]
    );
    assert!(k.app.on_duty);
    k.on(queue(&[(1, 0, "en")]));
    k.on(key(KeyCode::Enter));
    k.on(claimed(1, None));
    assert_eq!(
        k.on(ch('d')),
        vec![Command::Duty {
            on: false,
            capacity: 3,
            langs: vec!["en".into(), "fr".into()]
        }]
    );
    assert!(!k.app.on_duty);
    assert!(k.app.queue.is_empty());
    assert_eq!(
        k.app.conversations.len(),
        1,
        "going off duty keeps held conversations"
    );
}

#[test]
fn the_queue_updates_live_rings_for_new_visitors_and_the_cursor_follows_identity() {
    let mut k = kit();
    k.on(ch('d'));
    k.on(queue(&[(1, 120, "en")]));
    assert!(k.app.take_bell(), "a new visitor rings the bell");
    assert!(!k.app.take_bell(), "once");
    assert_eq!(k.app.selected, Some(Selected::Queue(sid(1))));
    k.on(queue(&[(1, 120, "en"), (2, 0, "fr")]));
    assert!(k.app.take_bell());
    // Wait times keep counting between relay updates.
    k.later(90, AppEvent::Tick);
    assert_eq!(k.app.queue[0].waited(k.now), Duration::from_secs(210));
    assert_eq!(k.app.queue[1].lang.as_deref(), Some("fr"));
    // Move to visitor 2, then visitor 1 leaves: the cursor stays on visitor 2.
    k.on(key(KeyCode::Down));
    assert_eq!(k.app.selected, Some(Selected::Queue(sid(2))));
    k.on(queue(&[(2, 60, "fr")]));
    assert!(!k.app.take_bell(), "no bell when nobody new arrives");
    assert_eq!(k.app.selected, Some(Selected::Queue(sid(2))));
    assert_eq!(k.on(key(KeyCode::Enter)), vec![Command::Claim(sid(2))]);
}

#[test]
fn claiming_needs_duty_and_a_free_seat_and_a_lost_claim_is_explained() {
    let mut k = kit();
    k.on(queue(&[(1, 0, "en")]));
    k.app.selected = Some(Selected::Queue(sid(1)));
    assert!(k.on(key(KeyCode::Enter)).is_empty(), "off duty: no claim");
    k.on(ch('d'));
    assert_eq!(k.on(key(KeyCode::Enter)), vec![Command::Claim(sid(1))]);
    k.on(relay(CoordinatorEvent::ClaimLost(sid(1))));
    assert!(k.app.status.contains("Someone else"));
    assert!(k.app.conversations.is_empty());
    // Capacity 3: a fourth claim is refused locally.
    for n in 1..=3 {
        k.on(claimed(n, None));
    }
    k.on(queue(&[(9, 0, "en")]));
    assert!(k.on(ch('c')).is_empty());
    assert!(k.app.status.contains("capacity"));
}

#[test]
fn two_conversations_at_once_keep_separate_text_unread_counts_and_drafts() {
    let mut k = kit();
    k.two_conversations();
    assert_eq!(k.app.conversations.len(), 2);
    let numbers: Vec<u32> = k.app.conversations.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(k.app.conversations[0].lang.as_deref(), Some("en"));
    assert_eq!(k.app.conversations[1].lang.as_deref(), Some("fr"));
    // Visitor 2 was claimed from the keyboard, so it is shown.
    assert_eq!(k.app.current().unwrap().session, sid(2));

    k.on(text(1, "are you there?"));
    k.on(text(1, "please"));
    k.on(text(2, "bonjour"));
    assert_eq!(k.app.conversation(&sid(1)).unwrap().unread, 2);
    assert_eq!(
        k.app.conversation(&sid(2)).unwrap().unread,
        0,
        "shown: read"
    );
    assert_eq!(k.app.total_unread(), 2);

    // Write to visitor 2, leave the draft, switch to visitor 1: its unread count clears.
    k.on(key(KeyCode::Enter));
    k.typing("Bonjour, je suis là");
    k.on(key(KeyCode::Esc));
    k.on(ch('1'));
    assert_eq!(k.app.current().unwrap().session, sid(1));
    assert_eq!(k.app.conversation(&sid(1)).unwrap().unread, 0);
    k.on(key(KeyCode::Enter));
    k.typing("Yes, I'm here.");
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Send {
            session: sid(1),
            text: "Yes, I'm here.".into()
        }]
    );
    let first = k.app.conversation(&sid(1)).unwrap();
    assert!(first.lines.iter().any(|l| l.text == "are you there?"));
    assert!(!first.lines.iter().any(|l| l.text == "bonjour"));
    let second = k.app.conversation(&sid(2)).unwrap();
    assert_eq!(
        second.draft, "Bonjour, je suis là",
        "drafts stay with their visitor"
    );
    assert!(!second.lines.iter().any(|l| l.text.contains("I'm here")));

    // Delivery marks follow the relay: pending → sent → delivered.
    let mark = |app: &App| {
        app.conversation(&sid(1))
            .unwrap()
            .lines
            .iter()
            .find(|l| l.who == Who::Me)
            .map(|l| l.mark)
    };
    assert_eq!(mark(&k.app), Some(Mark::Pending));
    k.on(AppEvent::Net(NetEvent::Sent {
        session: sid(1),
        seq: 2,
    }));
    k.on(relay(CoordinatorEvent::Stored {
        session: sid(1),
        seq: 2,
    }));
    assert_eq!(mark(&k.app), Some(Mark::Sent));
    // A delivered mark for the other conversation changes nothing here.
    k.on(relay(CoordinatorEvent::Delivered {
        session: sid(2),
        seq: 5,
    }));
    assert_eq!(mark(&k.app), Some(Mark::Sent));
    k.on(relay(CoordinatorEvent::Delivered {
        session: sid(1),
        seq: 2,
    }));
    assert_eq!(mark(&k.app), Some(Mark::Delivered));

    // Tab cycles conversations; open duration counts from the claim.
    k.on(key(KeyCode::Esc));
    k.on(key(KeyCode::Tab));
    assert_eq!(k.app.current().unwrap().session, sid(2));
    k.later(600, AppEvent::Tick);
    assert_eq!(
        k.app.current().unwrap().open_for(k.now),
        Duration::from_secs(600)
    );
}

fn roster() -> AppEvent {
    relay(CoordinatorEvent::Roster(vec![
        CoordinatorInfo {
            serial: 101,
            alias: "Amara (Lyon)".into(),
            load: 2,
            capacity: 3,
        },
        CoordinatorInfo {
            serial: 102,
            alias: "Bastien".into(),
            load: 0,
            capacity: 2,
        },
        CoordinatorInfo {
            serial: 103,
            alias: "Full".into(),
            load: 1,
            capacity: 1,
        },
    ]))
}

#[test]
fn transfer_offers_colleagues_with_a_free_seat_and_hands_the_conversation_over() {
    let mut k = kit();
    k.two_conversations();
    k.on(roster());
    let targets: Vec<u64> = k.app.transfer_targets().iter().map(|c| c.serial).collect();
    assert_eq!(targets, [102], "not me, not someone full");
    k.on(ch('1'));
    k.on(ch('x'));
    assert_eq!(k.app.mode, Mode::PickTransfer { index: 0 });
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Transfer {
            session: sid(1),
            to: 102
        }]
    );
    assert_eq!(
        k.app.conversation(&sid(1)).unwrap().state,
        ConvState::Transferring
    );
    // Refused by the relay: still mine.
    k.on(relay(CoordinatorEvent::TransferFailed(sid(1))));
    assert_eq!(k.app.conversation(&sid(1)).unwrap().state, ConvState::Open);
    // Again, accepted: released to Bastien and gone from this console.
    k.on(ch('x'));
    k.on(key(KeyCode::Enter));
    k.on(relay(CoordinatorEvent::Released(sid(1))));
    assert!(k.app.conversation(&sid(1)).is_none());
    assert!(k.app.status.contains("Visitor 1 handed to Bastien"));
    assert_eq!(
        k.app.current().unwrap().session,
        sid(2),
        "the cursor moves on"
    );
}

#[test]
fn a_transferred_in_conversation_names_the_previous_coordinator_and_rings() {
    let mut k = kit();
    k.on(ch('d'));
    k.on(claimed(7, Some("Bastien")));
    assert!(k.app.take_bell());
    let c = k.app.conversation(&sid(7)).unwrap();
    assert_eq!(c.transferred_from.as_deref(), Some("Bastien"));
    assert!(c.lines[0].text.contains("Bastien"));
}

#[test]
fn ending_asks_first_then_erases_and_an_ended_conversation_closes_locally() {
    let mut k = kit();
    k.two_conversations();
    k.on(ch('e'));
    assert_eq!(k.app.mode, Mode::ConfirmEnd(sid(2)));
    assert!(k.on(ch('n')).is_empty(), "anything but y cancels");
    assert!(k.app.conversation(&sid(2)).is_some());
    k.on(ch('e'));
    assert_eq!(k.on(ch('y')), vec![Command::End(sid(2))]);
    assert!(k.app.conversation(&sid(2)).is_none());
    // Visitor 1 ends from their side: read-only, then closed without a relay command.
    k.on(relay(CoordinatorEvent::Peer {
        session: sid(1),
        event: PeerEvent::Ended,
    }));
    k.on(relay(CoordinatorEvent::Released(sid(1))));
    assert_eq!(k.app.conversation(&sid(1)).unwrap().state, ConvState::Ended);
    k.on(ch('1'));
    k.on(key(KeyCode::Enter));
    assert_ne!(
        k.app.mode,
        Mode::Compose,
        "no writing to an ended conversation"
    );
    k.on(ch('e'));
    assert!(k.on(ch('y')).is_empty());
    assert!(k.app.conversations.is_empty());
}

#[test]
fn resources_are_inserted_in_the_visitors_language_first_and_editable_before_sending() {
    let mut k = kit();
    k.two_conversations();
    // Visitor 2 speaks French: the French resource comes first.
    k.on(ch('r'));
    assert_eq!(k.app.mode, Mode::PickResource { index: 0 });
    assert_eq!(k.app.offered_resources()[0].title, "Hébergement 115");
    assert!(
        k.on(key(KeyCode::Enter)).is_empty(),
        "inserting sends nothing"
    );
    assert_eq!(k.app.mode, Mode::Compose);
    assert_eq!(k.app.current().unwrap().draft, "Appelez le 115.");
    // Edit it, then add the second resource with Ctrl-R while writing.
    k.on(key(KeyCode::Backspace));
    k.typing(" ce soir.");
    k.on(ctrl_key('r'));
    k.on(key(KeyCode::Down));
    k.on(key(KeyCode::Enter));
    let draft = k.app.current().unwrap().draft.clone();
    assert_eq!(
        draft,
        "Appelez le 115 ce soir. Call or text 211 for local help."
    );
    // Esc in the picker goes back to writing, keeping the draft.
    k.on(ctrl_key('r'));
    k.on(key(KeyCode::Esc));
    assert_eq!(k.app.mode, Mode::Compose);
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Send {
            session: sid(2),
            text: draft
        }]
    );
    assert_eq!(k.app.current().unwrap().draft, "");
}

#[test]
fn tips_open_with_the_inbox_key_reply_to_the_receipt_and_are_marked_handled() {
    let mut k = kit();
    let code = ReceiptCode::generate(&mut OsRng);
    let tipster = code.derive(&k.org);
    let tip = TipMessage {
        reply_key: Some(tipster.tipster_key.public()),
        category: Some("labour".into()),
        text: "Workers locked in at night".into(),
    };
    let sealed = sealed_tip::seal_tip(&k.org, &k.inbox, &tip, &mut OsRng).unwrap();
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
    assert_eq!(k.on(ch('t')), vec![Command::ListTips]);
    assert_eq!(k.app.screen, Screen::Tips);
    k.on(relay(CoordinatorEvent::Tips(vec![TipSummary {
        id,
        received: 1_700_000_040,
        followups: 1,
        replies: 0,
    }])));
    assert_eq!(k.on(key(KeyCode::Enter)), vec![Command::OpenTip(id)]);
    k.on(relay(CoordinatorEvent::Tip {
        id,
        sealed,
        followups: vec![followup],
    }));
    let opened = k.app.opened_tip.as_ref().unwrap();
    assert_eq!(opened.text, "Workers locked in at night");
    assert_eq!(opened.category.as_deref(), Some("labour"));
    assert_eq!(opened.followups, ["They moved them"]);

    k.on(ch('r'));
    assert_eq!(k.app.mode, Mode::Compose);
    k.typing("Thank you, we are on it.");
    let commands = k.on(key(KeyCode::Enter));
    let [
        Command::ReplyTip {
            id: replied,
            sealed,
        },
    ] = commands.as_slice()
    else {
        panic!("expected one reply, got {commands:?}");
    };
    assert_eq!(*replied, id);
    // The tipster opens it with their receipt code.
    let reply = sealed_tip::open_reply(&k.org, &k.inbox, &tipster.tipster_key, sealed).unwrap();
    assert_eq!(reply.text, "Thank you, we are on it.");

    k.on(ch('h'));
    assert_eq!(k.app.mode, Mode::ConfirmHandled(id));
    assert_eq!(k.on(ch('y')), vec![Command::CloseTip(id)]);
    assert!(k.app.opened_tip.is_none());
    k.on(relay(CoordinatorEvent::Tips(vec![])));
    assert!(k.app.tips.is_empty());
}

#[test]
fn a_tip_that_does_not_open_or_a_missing_inbox_key_is_reported_not_shown() {
    let mut k = kit();
    k.on(ch('t'));
    k.on(relay(CoordinatorEvent::Tip {
        id: TipId([1; 16]),
        sealed: vec![0; 200],
        followups: vec![],
    }));
    assert!(k.app.opened_tip.is_none());
    assert!(k.app.status.contains("does not open"));

    let mut bare = App::new(
        k.app.me.clone(),
        Settings::default(),
        PassphraseLock::with_cost(PASS, 64, 1),
        Resources::default(),
        None,
        k.now,
    );
    bare.handle(ch('t'), k.now);
    bare.handle(
        relay(CoordinatorEvent::Tips(vec![TipSummary {
            id: TipId([1; 16]),
            received: 0,
            followups: 0,
            replies: 0,
        }])),
        k.now,
    );
    assert!(bare.handle(key(KeyCode::Enter), k.now).is_empty());
    assert!(bare.status.contains("--inbox-key"));
}

#[test]
fn idle_lock_hides_everything_and_only_the_passphrase_unlocks() {
    let mut k = kit();
    k.two_conversations();
    k.on(ch('t'));
    k.app.opened_tip = Some(OpenedTip {
        id: TipId([1; 16]),
        category: None,
        text: "secret".into(),
        followups: vec![],
        reply_key: None,
        draft: String::new(),
        replies_sent: 0,
    });
    k.later(299, AppEvent::Tick);
    assert!(!k.app.is_locked());
    k.later(1, AppEvent::Tick);
    assert!(k.app.is_locked(), "locked after the idle period");
    assert!(k.app.opened_tip.is_none(), "opened tips leave memory");

    // Relay events still arrive while locked, and a new visitor still rings.
    k.app.take_bell();
    k.on(queue(&[(5, 0, "en")]));
    assert!(k.app.take_bell());
    k.on(text(1, "hello?"));
    assert_eq!(k.app.conversation(&sid(1)).unwrap().unread, 1);

    // Keys go to the passphrase, not to any command or draft.
    k.typing("dq");
    assert!(k.app.on_duty);
    assert!(!k.app.quit);
    k.on(key(KeyCode::Enter));
    assert_eq!(
        k.app.mode,
        Mode::Locked {
            typed: String::new(),
            failed: true
        }
    );
    k.typing(PASS);
    k.on(key(KeyCode::Enter));
    assert!(!k.app.is_locked());
    // Locking by hand too.
    k.on(ctrl_key('l'));
    assert!(k.app.is_locked());
    k.typing(PASS);
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.mode, Mode::Normal);
}

#[test]
fn quitting_asks_first_and_goes_off_duty() {
    let mut k = kit();
    k.on(ch('d'));
    k.on(ch('q'));
    assert!(k.on(ch('n')).is_empty());
    assert!(!k.app.quit);
    k.on(ctrl_key('c'));
    let commands = k.on(ch('y'));
    assert!(k.app.quit);
    assert_eq!(commands.len(), 2);
    assert!(matches!(commands[0], Command::Duty { on: false, .. }));
    assert_eq!(commands[1], Command::Quit);
}

#[test]
fn a_lost_connection_is_shown_and_ends_duty() {
    let mut k = kit();
    k.on(ch('d'));
    k.on(AppEvent::Net(NetEvent::Disconnected("closed".into())));
    assert!(!k.app.connected);
    assert!(!k.app.on_duty);
    assert!(k.app.status.contains("lost"), "{}", k.app.status);
    assert!(k.app.status.contains("Reconnecting"));
}

#[test]
fn after_a_lost_connection_the_conversations_are_over_and_duty_resumes_on_reconnect() {
    let mut k = kit();
    k.two_conversations();
    k.on(AppEvent::Net(NetEvent::Disconnected("closed".into())));
    assert!(
        k.app
            .conversations
            .iter()
            .all(|c| c.state == ConvState::Ended),
        "the relay requeued them: shown as over"
    );
    let commands = k.on(AppEvent::Net(NetEvent::Reconnected));
    assert!(k.app.connected);
    assert!(k.app.on_duty, "back on duty as before the loss");
    assert!(matches!(commands[0], Command::Duty { on: true, .. }));
}
