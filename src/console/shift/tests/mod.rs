//! Unit tests of the shift core, driven through its actions and relay events exactly as a
//! front end drives it (no key codes here: the terminal's mapping is tested in
//! [`crate::console::tui`]), and the helpers the front ends' tests share.

mod away;
mod conversations;
mod delivery;
mod expiry;
mod inbox_ends;
mod inbox_rotation;
mod lock;
mod offline;
mod store_lost;
mod tip_team;
mod tips;
mod transfers;

use std::time::{Duration, Instant};

use super::*;
use crate::client::coordinator::CoordinatorEvent;
use crate::console::resources::Resources;
use crate::crypto::keys::{DhPublicKey, DhSecret, Fingerprint, SigningKey};
use crate::protocol::Bytes;
use crate::protocol::frames::{ConversationKind, CoordinatorInfo, QueueItem};

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
    pub shift: Shift,
    pub now: Instant,
    pub org: Fingerprint,
    pub inbox: DhPublicKey,
}

/// A shift of "Amara (Lyon)", serial 101, capacity 3, en and fr, with the inbox key.
pub(crate) fn kit() -> Kit {
    let now = Instant::now();
    let org = SigningKey::generate().public().fingerprint();
    let inbox = DhSecret::generate();
    let inbox_public = inbox.public();
    let shift = Shift::new(
        Me {
            alias: "Amara (Lyon)".into(),
            serial: 101,
            not_after: 1_767_225_600,
        },
        Settings {
            capacity: 3,
            langs: vec!["en".into(), "fr".into()],
            idle_lock: Duration::from_secs(300),
            off_duty_when_locked: Duration::from_secs(600),
        },
        PassphraseLock::with_cost(PASS, 64, 1),
        resources(),
        TipKeys::new(org, vec![inbox]),
        now,
    );
    Kit {
        shift,
        now,
        org,
        inbox: inbox_public,
    }
}

pub(crate) fn sid(n: u8) -> SessionId {
    SessionId([n; 16])
}

/// The relay's queue: `(session byte, seconds waited, language)`, oldest first.
pub(crate) fn queue(items: &[(u8, u64, &str)]) -> CoordinatorEvent {
    CoordinatorEvent::Queue(
        items
            .iter()
            .map(|(n, waited, lang)| QueueItem {
                session: sid(*n),
                waited_s: *waited,
                kind: ConversationKind::Chat,
                lang: Some((*lang).into()),
            })
            .collect(),
    )
}

pub(crate) fn claimed(n: u8, from: Option<&str>) -> CoordinatorEvent {
    CoordinatorEvent::Claimed {
        session: sid(n),
        transferred_from: from.map(str::to_owned),
        kind: ConversationKind::Chat,
        lang: None,
        note: None,
    }
}

pub(crate) fn text(n: u8, t: &str) -> CoordinatorEvent {
    CoordinatorEvent::Text {
        session: sid(n),
        text: t.into(),
    }
}

/// Me (101, 2 of 3), Bastien (102, free) and a colleague with no free seat (103).
pub(crate) fn roster() -> CoordinatorEvent {
    CoordinatorEvent::Roster(vec![
        CoordinatorInfo {
            serial: 101,
            alias: "Amara (Lyon)".into(),
            load: 2,
            capacity: 3,
            certificate: Bytes(vec![]),
        },
        CoordinatorInfo {
            serial: 102,
            alias: "Bastien".into(),
            load: 0,
            capacity: 2,
            certificate: Bytes(vec![]),
        },
        CoordinatorInfo {
            serial: 103,
            alias: "Full".into(),
            load: 1,
            capacity: 1,
            certificate: Bytes(vec![]),
        },
    ])
}

impl Kit {
    pub(crate) fn act(&mut self, action: Action) -> Vec<Command> {
        self.shift.handle(Input::Act(action), self.now)
    }
    pub(crate) fn relay(&mut self, event: CoordinatorEvent) -> Vec<Command> {
        self.net(NetEvent::Relay(event))
    }
    pub(crate) fn net(&mut self, event: NetEvent) -> Vec<Command> {
        self.shift.handle(Input::Net(event), self.now)
    }
    pub(crate) fn tick_after(&mut self, secs: u64) {
        self.now += Duration::from_secs(secs);
        self.shift.handle(Input::Tick, self.now);
    }
    pub(crate) fn write(&mut self, target: Target, text: &str) {
        let edit = Edit::Replace(text.into());
        assert!(self.act(Action::Edit { target, edit }).is_empty());
    }
    /// On duty with two visitors claimed: Visitor 1 (en, session 1), Visitor 2 (fr, session 2),
    /// the second claimed last and shown.
    pub(crate) fn two_conversations(&mut self) {
        self.act(Action::Duty(true));
        self.relay(queue(&[(1, 120, "en"), (2, 60, "fr")]));
        assert_eq!(self.act(Action::ClaimNext), vec![Command::Claim(sid(1))]);
        self.relay(claimed(1, None));
        self.relay(queue(&[(2, 60, "fr")]));
        assert_eq!(
            self.act(Action::Claim(sid(2))),
            vec![Command::Claim(sid(2))]
        );
        self.relay(claimed(2, None));
        self.relay(queue(&[]));
    }
}

pub(crate) fn duty(on: bool) -> Command {
    Command::Duty {
        on,
        capacity: 3,
        langs: vec!["en".into(), "fr".into()],
    }
}

#[test]
fn going_on_duty_asks_for_the_queue_and_tips_and_off_duty_keeps_conversations() {
    let mut k = kit();
    assert_eq!(k.shift.status, Notice::Welcome);
    assert_eq!(
        k.act(Action::Duty(true)),
        vec![duty(true), Command::ListTips]
    );
    assert!(k.shift.on_duty);
    k.relay(queue(&[(1, 0, "en"), (2, 0, "en")]));
    k.act(Action::Claim(sid(1)));
    k.relay(claimed(1, None));
    k.act(Action::Select(Some(Selected::Queue(sid(2)))));
    assert_eq!(k.act(Action::Duty(false)), vec![duty(false)]);
    assert!(!k.shift.on_duty);
    assert_eq!(k.shift.status, Notice::OffDuty);
    assert!(k.shift.queue.is_empty());
    assert_eq!(
        k.shift.conversations.len(),
        1,
        "going off duty keeps held conversations"
    );
    assert_eq!(
        k.shift.selected,
        Some(Selected::Conversation(sid(1))),
        "a selection on the emptied queue moves to a conversation"
    );
}

#[test]
fn the_queue_updates_live_rings_for_new_visitors_and_the_selection_follows_identity() {
    let mut k = kit();
    k.act(Action::Duty(true));
    k.relay(queue(&[(1, 120, "en")]));
    assert!(k.shift.take_bell(), "a new visitor rings the bell");
    assert!(!k.shift.take_bell(), "once");
    assert_eq!(k.shift.selected, Some(Selected::Queue(sid(1))));
    k.relay(queue(&[(1, 120, "en"), (2, 0, "fr")]));
    assert!(k.shift.take_bell());
    // Wait times keep counting between relay updates.
    k.tick_after(90);
    assert_eq!(k.shift.queue[0].waited(k.now), Duration::from_secs(210));
    assert_eq!(k.shift.queue[1].lang.as_deref(), Some("fr"));
    // Looking at visitor 2, visitor 1 leaves: the selection stays on visitor 2.
    k.act(Action::Select(Some(Selected::Queue(sid(2)))));
    k.relay(queue(&[(2, 60, "fr"), (3, 0, "en")]));
    assert!(k.shift.take_bell(), "visitor 3 is new");
    k.relay(queue(&[(2, 60, "fr"), (3, 0, "en")]));
    assert!(!k.shift.take_bell(), "no bell when nobody new arrives");
    assert_eq!(k.shift.selected, Some(Selected::Queue(sid(2))));
    // Visitor 2 leaves: the selection moves to the next waiting visitor, never to nothing.
    k.relay(queue(&[(3, 0, "en")]));
    assert_eq!(k.shift.selected, Some(Selected::Queue(sid(3))));
    assert_eq!(k.shift.sidebar(), [Selected::Queue(sid(3))]);
}

#[test]
fn wait_times_count_from_arrival_through_queue_changes() {
    let mut k = kit();
    k.act(Action::Duty(true));
    k.relay(queue(&[(1, 0, "en")]));
    k.tick_after(12);
    // Another visitor arrives: the relay lists both again, still in the same minute.
    k.relay(queue(&[(1, 0, "en"), (2, 0, "fr")]));
    k.tick_after(9);
    let waits = |k: &Kit| -> Vec<u64> {
        k.shift
            .queue
            .iter()
            .map(|q| q.waited(k.now).as_secs())
            .collect()
    };
    assert_eq!(waits(&k), [21, 9], "not restarted by the second list");
    // The minute turns: the relay's rounded figure does not pull the counts back.
    k.tick_after(40);
    k.relay(queue(&[(1, 60, "en"), (2, 60, "fr")]));
    assert_eq!(waits(&k), [61, 49]);
    // A report a minute or more ahead of the count (a visitor first listed with a figure
    // rounded down) is nearer the truth: it is taken.
    k.relay(queue(&[(1, 180, "en"), (2, 60, "fr")]));
    assert_eq!(waits(&k), [180, 49]);
    // A visitor who leaves and comes back is counted afresh from the relay's figure.
    k.relay(queue(&[(2, 60, "fr")]));
    k.relay(queue(&[(2, 60, "fr"), (1, 0, "en")]));
    assert_eq!(waits(&k), [49, 0]);
}

#[test]
fn answer_next_takes_the_visitor_waiting_longest_even_behind_a_requeued_one() {
    let mut k = kit();
    k.act(Action::Duty(true));
    // The relay lists a requeued visitor first: 2 minutes, ahead of two 6-minute ones.
    k.relay(queue(&[(3, 120, "en"), (1, 360, "en"), (2, 360, "fr")]));
    assert_eq!(k.act(Action::ClaimNext), vec![Command::Claim(sid(1))]);
    k.relay(claimed(1, None));
    k.relay(queue(&[(3, 120, "en"), (2, 360, "fr")]));
    assert_eq!(k.act(Action::ClaimNext), vec![Command::Claim(sid(2))]);
}

#[test]
fn claiming_needs_duty_and_a_free_seat_and_a_lost_claim_is_explained() {
    let mut k = kit();
    k.relay(queue(&[(1, 0, "en")]));
    assert!(
        k.act(Action::Claim(sid(1))).is_empty(),
        "off duty: no claim"
    );
    assert_eq!(k.shift.status, Notice::NotOnDuty);
    k.act(Action::Duty(true));
    assert_eq!(k.act(Action::Claim(sid(1))), vec![Command::Claim(sid(1))]);
    assert!(matches!(k.shift.status, Notice::Answering { .. }));
    k.relay(CoordinatorEvent::ClaimLost(sid(1)));
    assert_eq!(k.shift.status, Notice::ClaimLost);
    assert!(k.shift.conversations.is_empty());
    k.relay(queue(&[]));
    assert!(k.act(Action::ClaimNext).is_empty());
    assert_eq!(k.shift.status, Notice::NobodyWaiting);
    // Capacity 3: a fourth claim is refused locally.
    for n in 1..=3 {
        k.relay(claimed(n, None));
    }
    assert_eq!(k.shift.status, Notice::Claimed { number: 3 });
    k.relay(queue(&[(9, 0, "en")]));
    assert!(k.act(Action::ClaimNext).is_empty());
    assert_eq!(k.shift.status, Notice::AtCapacity { held: 3 });
}

#[test]
fn the_core_touches_no_terminal_socket_file_or_log() {
    // What makes it drivable by any front end and testable without one: checked on the
    // source, so a new import of a terminal or I/O API into the core fails here.
    let forbidden = [
        "crossterm",
        "ratatui",
        "tokio",
        "std::fs",
        "std::io",
        "std::net",
        "std::process",
        "tracing",
        "println!",
        "eprintln!",
        "super::tui",
        "console::tui",
        "console::net",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/shift");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        read += 1;
        for (n, line) in source.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for word in forbidden {
                assert!(
                    !code.contains(word),
                    "{}:{}: the shift core must not use {word}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
    assert!(read >= 8, "the core's files were read ({read})");
}
