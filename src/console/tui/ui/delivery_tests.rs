//! Delivery marks on screen at 80×24: a message that never reached the visitor says so in
//! words, whole, after a short line and under a line that fills the row.

use super::tests::{contains, screen, write_and_send_to_visitor_2};
use crate::client::coordinator::CoordinatorEvent;
use crate::console::shift::tests::sid;
use crate::console::tui::tests::{ctrl_key, key, kit, relay};
use crate::protocol::frames::PeerEvent;
use crossterm::event::KeyCode;

#[test]
fn a_message_the_visitor_never_got_is_marked_in_words_within_80_columns() {
    let mut k = kit();
    k.two_conversations();
    write_and_send_to_visitor_2(&mut k, "Je suis là.");
    k.on(key(KeyCode::Esc));
    // 47 of the transcript's 51 columns: room for a short mark, not for these words.
    let long = "Appelez le 115 ce soir, ils ont une place.";
    k.on(key(KeyCode::Enter));
    k.typing(long);
    k.on(key(KeyCode::Enter));
    k.on(key(KeyCode::Esc));
    k.on(relay(CoordinatorEvent::Peer {
        session: sid(2),
        event: PeerEvent::Ended,
    }));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "You: Je suis là. ✗ not delivered"), "{s:#?}");
    let at = s
        .iter()
        .position(|r| r.contains("ils ont une place."))
        .expect("the long line is shown");
    assert!(
        s[at + 1].contains("✗ not delivered"),
        "the mark on a row of its own, under the words: {s:#?}"
    );
    assert!(
        contains(
            &s,
            "Visitor 2: the conversation ended; 2 of your messages never reached them."
        ),
        "{s:#?}"
    );
    assert!(s.iter().all(|r| r.chars().count() == 80));
}

#[test]
fn ending_while_a_message_is_not_stored_warns_that_it_may_never_arrive() {
    let mut k = kit();
    k.two_conversations();
    write_and_send_to_visitor_2(&mut k, "Je suis là.");
    k.on(key(KeyCode::Esc));
    k.on(ctrl_key('w'));
    let s = screen(&k.app, k.now).join("\n");
    assert!(s.contains("1 message of yours is not"), "{s}");
    assert!(s.contains("never arrive. (y/n)"), "the question whole: {s}");
    // Once the relay holds it, the question is the usual one.
    k.on(key(KeyCode::Char('n')));
    k.on(relay(CoordinatorEvent::Stored {
        session: sid(2),
        seq: 2,
    }));
    k.on(ctrl_key('w'));
    let s = screen(&k.app, k.now).join("\n");
    assert!(s.contains("End this conversation?"), "{s}");
    assert!(!s.contains("not stored"), "{s}");
}
