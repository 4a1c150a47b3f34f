//! What became of my messages: the status line through a store outage (the connection
//! resends by itself, and the notice goes once a message is stored again), and the marks of
//! lines that never reached the visitor when a conversation ends.

use super::*;
use crate::protocol::frames::PeerEvent;

/// Sends `words` to Visitor `n` and lets the connection number it `seq`.
fn say(k: &mut Kit, n: u8, words: &str, seq: u64) {
    let target = Target::Conversation(sid(n));
    k.write(target, words);
    let line = k.shift.conversation(&sid(n)).unwrap().lines.len();
    assert_eq!(k.act(Action::Send(target)).len(), 1, "{words} goes out");
    k.net(NetEvent::Sent {
        session: sid(n),
        line,
        seq,
    });
}

fn stored(n: u8, seq: u64) -> CoordinatorEvent {
    CoordinatorEvent::Stored {
        session: sid(n),
        seq,
    }
}

fn delivered(n: u8, seq: u64) -> CoordinatorEvent {
    CoordinatorEvent::Delivered {
        session: sid(n),
        seq,
    }
}

/// My lines to Visitor `n`, with their marks, in order.
fn marks(k: &Kit, n: u8) -> Vec<(String, Mark)> {
    k.shift
        .conversation(&sid(n))
        .unwrap()
        .lines
        .iter()
        .filter(|l| l.who == Who::Me)
        .map(|l| (l.text.clone(), l.mark))
        .collect()
}

/// Visitor 1 with three lines of mine: delivered, sent (stored), pending.
fn three_marks() -> Kit {
    let mut k = kit();
    k.two_conversations();
    say(&mut k, 1, "delivered one", 2);
    say(&mut k, 1, "stored one", 3);
    say(&mut k, 1, "pending one", 4);
    k.relay(stored(1, 3));
    k.relay(delivered(1, 2));
    assert_eq!(
        marks(&k, 1),
        [
            ("delivered one".into(), Mark::Delivered),
            ("stored one".into(), Mark::Sent),
            ("pending one".into(), Mark::Pending),
        ]
    );
    k
}

#[test]
fn an_outage_says_messages_are_kept_and_resent_and_the_next_stored_says_they_go_through() {
    let mut k = kit();
    k.two_conversations();
    say(&mut k, 1, "are you safe now?", 2);
    k.relay(CoordinatorEvent::Retry(1));
    assert_eq!(k.shift.status, Notice::RelayBusy { retry_after: 1 });
    let words = crate::console::tui::text::notice(&k.shift.status);
    assert_eq!(
        words,
        "The relay cannot store messages now; yours are kept and resent every 1 s."
    );
    assert!(
        words.chars().count() <= 80,
        "fits the status line at 80 columns"
    );
    assert!(
        !words.contains("retry"),
        "nothing is asked of the coordinator"
    );

    // Further refusals of the resend say the same; nothing else moves the line.
    k.relay(CoordinatorEvent::Retry(1));
    assert_eq!(k.shift.status, Notice::RelayBusy { retry_after: 1 });
    k.relay(stored(1, 2));
    assert_eq!(k.shift.status, Notice::GoingThroughAgain);
    assert_eq!(marks(&k, 1)[0].1, Mark::Sent);
    assert_eq!(
        crate::console::tui::text::notice(&k.shift.status),
        "Messages are going through again."
    );
}

#[test]
fn a_stored_without_an_outage_leaves_the_status_alone() {
    let mut k = kit();
    k.two_conversations();
    let before = k.shift.status.clone();
    say(&mut k, 1, "hello", 2);
    k.relay(stored(1, 2));
    assert_eq!(k.shift.status, before);
}

#[test]
fn stored_is_cumulative() {
    let mut k = kit();
    k.two_conversations();
    say(&mut k, 1, "one", 2);
    say(&mut k, 1, "two", 3);
    k.relay(stored(1, 3));
    assert!(marks(&k, 1).iter().all(|(_, m)| *m == Mark::Sent));
}

#[test]
fn a_refusal_with_no_message_waiting_says_it_was_not_done() {
    let mut k = kit();
    k.two_conversations();
    // A tip reply or a take refused by the store: nothing resends it.
    k.relay(CoordinatorEvent::Retry(1));
    assert_eq!(k.shift.status, Notice::NotStoredTryAgain { retry_after: 1 });
    assert_eq!(
        crate::console::tui::text::notice(&k.shift.status),
        "The relay cannot store that now; not done. Try again in 1 s."
    );
}

#[test]
fn the_visitor_ending_marks_what_they_never_got_and_says_how_many() {
    let mut k = three_marks();
    k.relay(CoordinatorEvent::Retry(1));
    k.relay(CoordinatorEvent::Peer {
        session: sid(1),
        event: PeerEvent::Ended,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert_eq!(
        marks(&k, 1),
        [
            ("delivered one".into(), Mark::Delivered),
            ("stored one".into(), Mark::Undelivered),
            ("pending one".into(), Mark::Undelivered),
        ]
    );
    // The outage notice does not outlive the conversation it was about.
    assert_eq!(
        k.shift.status,
        Notice::NotDelivered {
            number: 1,
            count: 2
        }
    );
    assert_eq!(
        crate::console::tui::text::notice(&k.shift.status),
        "Visitor 1: the conversation ended; 2 of your messages never reached them."
    );
    // A late `stored` does not undo it; a late acknowledgement is the truth and does.
    k.relay(stored(1, 4));
    assert_eq!(marks(&k, 1)[2].1, Mark::Undelivered);
    k.relay(delivered(1, 3));
    assert_eq!(marks(&k, 1)[1].1, Mark::Delivered);
    assert_eq!(marks(&k, 1)[2].1, Mark::Undelivered);
}

#[test]
fn a_lost_or_expired_conversation_marks_what_never_arrived() {
    let mut k = three_marks();
    k.relay(CoordinatorEvent::Peer {
        session: sid(1),
        event: PeerEvent::Lost,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    let undelivered = |k: &Kit, n| {
        marks(k, n)
            .iter()
            .filter(|(_, m)| *m == Mark::Undelivered)
            .count()
    };
    assert_eq!(undelivered(&k, 1), 2, "lost (4014)");

    // Expired: a bare `released` while connected.
    say(&mut k, 2, "bonsoir", 2);
    k.relay(stored(2, 2));
    k.relay(CoordinatorEvent::Released(sid(2)));
    assert_eq!(marks(&k, 2), [("bonsoir".into(), Mark::Undelivered)]);
    assert_eq!(
        k.shift.status,
        Notice::NotDelivered {
            number: 2,
            count: 1
        }
    );
    assert_eq!(
        crate::console::tui::text::notice(&k.shift.status),
        "Visitor 2: the conversation ended; 1 message of yours never reached them."
    );
}

#[test]
fn a_hand_over_or_a_release_answering_my_resume_marks_nothing_that_may_still_arrive() {
    let mut k = three_marks();
    // Released in answer to my resume: it may have been requeued, and what the relay
    // stored then still reaches the visitor (§9.6).
    k.net(NetEvent::Disconnected("closed".into()));
    k.net(NetEvent::Reconnected);
    k.relay(CoordinatorEvent::Released(sid(1)));
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Ended);
    assert!(
        !marks(&k, 1).iter().any(|(_, m)| *m == Mark::Undelivered),
        "{:?}",
        marks(&k, 1)
    );

    // Resumed, then expired: the relay erased it, and says so while connected.
    let mut k = three_marks();
    k.net(NetEvent::Disconnected("closed".into()));
    k.net(NetEvent::Reconnected);
    k.relay(CoordinatorEvent::Resumed {
        session: sid(1),
        delivered: 2,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert_eq!(marks(&k, 1)[1].1, Mark::Undelivered);

    // Handed over: the conversation leaves this console; nothing is called undelivered.
    let mut k = three_marks();
    k.relay(roster());
    k.act(Action::Transfer {
        session: sid(1),
        to: 102,
        note: String::new(),
    });
    k.relay(CoordinatorEvent::TransferStatus {
        session: sid(1),
        status: TransferStatus::Accepted,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert!(k.shift.conversation(&sid(1)).is_none());
    assert!(matches!(
        k.shift.status,
        Notice::HandedOver { number: 1, .. }
    ));
}
