//! What the shift showed as on its way when the connection could not carry it: nothing is
//! taken from a box while offline, a message that never left is marked and its words come
//! back, a hand-over that never left is still mine with its note, a resume says what the
//! visitor read meanwhile and ends a proposal that died with the connection, and a visitor
//! claimed again after a release is one conversation, not two.

use super::*;
use crate::console::shift::Undone;
use crate::protocol::frames::TransferStatus;

fn send(k: &mut Kit, n: u8, words: &str) -> usize {
    k.write(Target::Conversation(sid(n)), words);
    let commands = k.act(Action::Send(Target::Conversation(sid(n))));
    match commands.as_slice() {
        [Command::Send { line, .. }] => *line,
        other => panic!("{words}: {other:?}"),
    }
}

/// Visitor 1's conversation is open here again, with a note saying so, and can be handed
/// over again.
fn still_mine_after_a_failed_hand_over(k: &Kit) {
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Open);
    assert!(c.takes_messages());
    assert_eq!(
        c.lines.last().unwrap().who,
        Who::System(Note::TransferFailed)
    );
    assert_eq!(
        k.shift.transferable(sid(1)),
        Ok(()),
        "it can be proposed again"
    );
}

/// Sends `words` to Visitor `n`, numbered `seq` by the connection and stored by the relay.
fn send_stored(k: &mut Kit, n: u8, words: &str, seq: u64) {
    let line = send(k, n, words);
    k.net(NetEvent::Sent {
        session: sid(n),
        line,
        seq,
    });
    k.relay(CoordinatorEvent::Stored {
        session: sid(n),
        seq,
    });
}

fn line<'a>(k: &'a Kit, n: u8, words: &str) -> &'a Line {
    k.shift
        .conversation(&sid(n))
        .unwrap()
        .lines
        .iter()
        .find(|l| l.text == words)
        .unwrap()
}

#[test]
fn offline_nothing_is_taken_from_a_box_and_nothing_pretends_to_go() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    k.net(NetEvent::Disconnected("reset".into()));
    let target = Target::Conversation(sid(1));
    k.write(target, "are you safe?");
    assert_eq!(k.act(Action::Send(target)), vec![]);
    assert_eq!(k.shift.status, Notice::OfflineKept);
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.draft, "are you safe?", "kept in its box");
    assert!(c.lines.iter().all(|l| l.who != Who::Me), "no line pretends");
    let transfer = Action::Transfer {
        session: sid(1),
        to: 102,
        note: String::new(),
    };
    assert_eq!(k.act(transfer), vec![]);
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().state,
        ConvState::Open
    );
    // Ending is the coordinator's to decide, connected or not: the connection carries it
    // out once it has signed in again.
    assert_eq!(k.act(Action::End(sid(2))), vec![Command::End(sid(2))]);
    assert!(k.shift.conversation(&sid(2)).is_none());

    k.net(NetEvent::Reconnected);
    let commands = k.act(Action::Send(target));
    assert!(
        matches!(commands.as_slice(), [Command::Send { text, .. }] if text == "are you safe?"),
        "{commands:?}"
    );
}

#[test]
fn a_message_the_connection_could_not_take_is_marked_and_its_words_return() {
    let mut k = kit();
    k.two_conversations();
    let first = send(&mut k, 1, "first");
    let second = send(&mut k, 1, "second");
    // The first met the connection as it dropped (the shift did not know yet); the second
    // went out after the sign-in.
    k.net(NetEvent::NotDone {
        undone: Undone::Send {
            session: sid(1),
            line: first,
        },
        reason: Reason::Offline,
    });
    k.net(NetEvent::Sent {
        session: sid(1),
        line: second,
        seq: 2,
    });
    assert_eq!(
        k.shift.status,
        Notice::NotDone {
            reason: Reason::Offline
        }
    );
    assert_eq!(k.shift.conversation(&sid(1)).unwrap().draft, "first");
    // Words typed since stay first; what comes back goes after them.
    k.write(Target::Conversation(sid(1)), "typed since");
    let third = send(&mut k, 1, "third");
    k.write(Target::Conversation(sid(1)), "typed since");
    k.net(NetEvent::NotDone {
        undone: Undone::Send {
            session: sid(1),
            line: third,
        },
        reason: Reason::Offline,
    });
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().draft,
        "typed since third"
    );
    assert_eq!(line(&k, 1, "first").mark, Mark::NotSent);
    assert_eq!(line(&k, 1, "first").seq, None);
    assert_eq!(line(&k, 1, "second").seq, Some(2), "its own number");
    k.relay(CoordinatorEvent::Delivered {
        session: sid(1),
        seq: 2,
    });
    assert_eq!(line(&k, 1, "second").mark, Mark::Delivered);
    assert_eq!(line(&k, 1, "first").mark, Mark::NotSent);
    // Ended now, the line that never left is not counted as one that never arrived.
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert_eq!(line(&k, 1, "first").mark, Mark::NotSent);
    assert_eq!(k.shift.conversation(&sid(1)).unwrap().unstored(), 0);
}

#[test]
fn a_note_written_in_its_own_box_never_lands_in_the_visitors_draft_when_the_hand_over_fails() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    k.write(Target::Conversation(sid(1)), "For the visitor");
    let commands = k.act(Action::Transfer {
        session: sid(1),
        to: 102,
        note: "Scared, speaks French".into(),
    });
    k.net(NetEvent::NotDone {
        undone: Undone::of(&commands[0]).unwrap(),
        reason: Reason::Offline,
    });
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().draft,
        "For the visitor",
        "the colleague's note is not put where Enter sends it to the visitor"
    );
    still_mine_after_a_failed_hand_over(&k);
}

#[test]
fn a_resume_says_what_the_visitor_read_meanwhile_and_ends_a_proposal_that_died_with_the_connection()
{
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    send_stored(&mut k, 1, "Here is the number.", 2);
    k.act(Action::Transfer {
        session: sid(1),
        to: 102,
        note: String::new(),
    });
    k.relay(CoordinatorEvent::TransferStatus {
        session: sid(1),
        status: TransferStatus::Waiting,
    });
    k.net(NetEvent::Disconnected("reset".into()));
    k.net(NetEvent::Reconnected);
    k.relay(roster());
    k.relay(CoordinatorEvent::Resumed {
        session: sid(1),
        delivered: 2,
    });
    assert_eq!(line(&k, 1, "Here is the number.").mark, Mark::Delivered);
    still_mine_after_a_failed_hand_over(&k);
}

#[test]
fn a_visitor_claimed_again_after_a_release_is_one_conversation_and_old_lines_keep_their_marks() {
    let mut k = kit();
    k.two_conversations();
    send_stored(&mut k, 1, "stored before", 2);
    send(&mut k, 1, "never stored");
    // A long outage: the relay requeued the visitor, and says so in answer to the resume.
    k.net(NetEvent::Disconnected("reset".into()));
    k.net(NetEvent::Reconnected);
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().state,
        ConvState::Ended
    );
    k.relay(queue(&[(1, 200, "en")]));
    assert_eq!(k.act(Action::Claim(sid(1))), vec![Command::Claim(sid(1))]);
    k.relay(claimed(1, None));

    assert_eq!(k.shift.conversations.len(), 2, "one entry per session");
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!((c.number, c.state), (1, ConvState::Open));
    assert!(c.takes_messages());
    assert_eq!(c.lines.last().unwrap().who, Who::System(Note::Joined));
    assert_eq!(k.shift.status, Notice::Claimed { number: 1 });
    assert_eq!(line(&k, 1, "never stored").mark, Mark::Undelivered);
    // The new keys number from the start again: their marks are not the old lines'.
    let new = send(&mut k, 1, "I am here again");
    k.net(NetEvent::Sent {
        session: sid(1),
        line: new,
        seq: 2,
    });
    k.relay(CoordinatorEvent::Delivered {
        session: sid(1),
        seq: 2,
    });
    assert_eq!(line(&k, 1, "I am here again").mark, Mark::Delivered);
    assert_eq!(line(&k, 1, "stored before").mark, Mark::Sent);
    // Ending it ends it on the relay too.
    assert_eq!(k.act(Action::End(sid(1))), vec![Command::End(sid(1))]);
    assert!(k.shift.conversation(&sid(1)).is_none());
}
