//! The team on screen at 80×24: the colleagues on duty (Ctrl-O), who holds a tip, taking
//! and taking over (Ctrl-K, asked first), and each reply in a tip's thread with its author
//! and minute.

use super::tests::{contains, opened_tip, screen};
use crate::client::coordinator::CoordinatorEvent;
use crate::console::shift::Command;
use crate::console::shift::{Followup, ThreadReply};
use crate::console::tui::tests::{ch, ctrl_key, key, kit, relay};
use crate::protocol::frames::{CoordinatorInfo, TipSummary};
use crate::protocol::{Bytes, TipId};
use crossterm::event::KeyCode;

fn colleague(serial: u64, alias: &str, load: u32, capacity: u32) -> CoordinatorInfo {
    CoordinatorInfo {
        serial,
        alias: alias.into(),
        load,
        capacity,
        certificate: Bytes(vec![]),
    }
}

fn tip(n: u8, held_by: Option<&str>) -> TipSummary {
    TipSummary {
        id: TipId([n; 16]),
        received: 1_700_000_040,
        followups: 0,
        replies: 1,
        held_by: held_by.map(str::to_owned),
    }
}

#[test]
fn ctrl_o_shows_the_colleagues_on_duty_with_their_load_and_free_seats() {
    let mut k = kit();
    k.on(ctrl_key('o'));
    let s = screen(&k.app, k.now);
    assert!(
        contains(&s, "Go on duty (Ctrl-D) to see who else is."),
        "{s:#?}"
    );
    k.on(key(KeyCode::Esc));
    k.on(ctrl_key('d'));
    k.on(relay(CoordinatorEvent::Roster(vec![
        colleague(101, "Amara (Lyon)", 0, 3),
        colleague(102, "Bastien", 1, 3),
        colleague(103, "Chloé", 2, 2),
    ])));
    k.on(ctrl_key('o'));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "On duty with you (2)"), "{s:#?}");
    assert!(
        contains(&s, "Bastien                  holds  1 · 2 free"),
        "{s:#?}"
    );
    assert!(
        contains(&s, "Chloé                    holds  2 · 0 free"),
        "{s:#?}"
    );
    assert!(
        !s.iter().any(|l| l.contains("Amara (Lyon)  ")),
        "I am not my own colleague: {s:#?}"
    );
    assert!(s[23].contains("close"), "{}", s[23]);
    // Any key closes it; it changes nothing.
    assert!(k.on(ch('x')).is_empty());
    assert!(!contains(&screen(&k.app, k.now), "On duty with you"));
    // The help lists the keys.
    k.on(key(KeyCode::F(1)));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "colleagues on duty"), "{s:#?}");
    assert!(contains(&s, "take a tip"), "{s:#?}");
}

#[test]
fn the_tips_screen_shows_the_holder_and_ctrl_k_takes_or_asks_before_taking_over() {
    let mut k = kit();
    k.on(ctrl_key('t'));
    k.on(relay(CoordinatorEvent::Tips(vec![
        tip(1, Some("Bastien")),
        tip(2, None),
        tip(3, Some("Amara (Lyon)")),
    ])));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "│  held by Bastien"), "{s:#?}");
    assert!(contains(&s, "│  free: Ctrl-K takes it"), "{s:#?}");
    assert!(contains(&s, "│  yours"), "{s:#?}");
    assert!(
        s[23].contains("^K take") && s[23].trim_end().ends_with("^Q quit"),
        "the whole footer fits: {}",
        s[23]
    );

    // A colleague's: asked first; anything but y keeps their hold.
    assert!(k.on(ctrl_key('k')).is_empty());
    assert!(contains(&screen(&k.app, k.now), "Take it over?"));
    assert!(k.on(ch('n')).is_empty());
    k.on(ctrl_key('k'));
    assert_eq!(
        k.on(ch('y')),
        vec![Command::TakeTip {
            id: TipId([1; 16]),
            over: true
        }]
    );
    // A free one is taken at once.
    k.on(key(KeyCode::Down));
    assert_eq!(
        k.on(ctrl_key('k')),
        vec![Command::TakeTip {
            id: TipId([2; 16]),
            over: false
        }]
    );
    // Told when a colleague takes one over.
    k.on(relay(CoordinatorEvent::TipTaken {
        id: TipId([3; 16]),
        by: "Chloé".into(),
    }));
    assert!(contains(
        &screen(&k.app, k.now),
        "Chloé took over a tip you held."
    ));
}

#[test]
fn an_opened_tip_shows_its_holder_and_each_reply_with_author_and_minute() {
    let mut k = kit();
    k.on(ctrl_key('t'));
    k.on(relay(CoordinatorEvent::Tips(vec![tip(4, Some("Bastien"))])));
    k.app.shift.opened_tip = Some(crate::console::shift::OpenedTip {
        replies: vec![
            ThreadReply {
                by: Some("Bastien".into()),
                filed: Some(1_700_000_100),
                text: Followup::Text("Which street?".into()),
            },
            ThreadReply {
                by: Some("Amara (Lyon)".into()),
                filed: None,
                text: Followup::Text("Thank you".into()),
            },
        ],
        replies_sent: 1,
        ..opened_tip(4, "A van at night")
    });
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "│held by Bastien"), "{s:#?}");
    assert!(
        contains(&s, "Reply 1 (Bastien, 11-14 22:15): Which street?"),
        "{s:#?}"
    );
    assert!(
        contains(&s, "Reply 2 (Amara (Lyon), this shift): Thank you"),
        "{s:#?}"
    );
}
