//! Hand-overs as the proposer and the receiver see them: the visitor is asked first
//! (waiting, accepted, declined, no answer), and the receiver sees the visitor's language
//! and the colleague's note.

use super::*;
use crate::client::handover::HandoverNote;
use crate::protocol::frames::TransferStatus;

fn status(n: u8, status: TransferStatus) -> CoordinatorEvent {
    CoordinatorEvent::TransferStatus {
        session: sid(n),
        status,
    }
}

fn to_bastien() -> Action {
    Action::Transfer {
        session: sid(1),
        to: 102,
        note: String::new(),
    }
}

#[test]
fn a_declined_or_unanswered_hand_over_leaves_the_conversation_open_here() {
    for answer in [TransferStatus::Declined, TransferStatus::Expired] {
        let mut k = kit();
        k.two_conversations();
        k.relay(roster());
        k.act(to_bastien());
        k.relay(status(1, TransferStatus::Waiting));
        assert_eq!(
            k.shift.status,
            Notice::TransferAnswered {
                number: 1,
                status: TransferStatus::Waiting
            }
        );
        // The conversation goes on while the visitor decides; one proposal at a time.
        assert!(k.shift.conversation(&sid(1)).unwrap().takes_messages());
        assert_eq!(k.shift.transferable(sid(1)), Err(Notice::CannotTransferNow));
        k.relay(status(1, answer));
        let c = k.shift.conversation(&sid(1)).unwrap();
        assert_eq!(c.state, ConvState::Open, "{answer:?}: still mine");
        assert!(c.takes_messages());
        assert_eq!(
            c.lines.last().unwrap().who,
            Who::System(Note::Transfer(answer))
        );
        assert_eq!(
            k.shift.status,
            Notice::TransferAnswered {
                number: 1,
                status: answer
            }
        );
        // It can be proposed again.
        assert_eq!(k.shift.transferable(sid(1)), Ok(()));
    }
}

#[test]
fn an_accepted_hand_over_is_noted_then_released() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    k.act(to_bastien());
    k.relay(status(1, TransferStatus::Waiting));
    k.relay(status(1, TransferStatus::Accepted));
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().state,
        ConvState::Transferring
    );
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert!(k.shift.conversation(&sid(1)).is_none());
}

#[test]
fn a_note_written_in_its_own_box_goes_to_the_colleague_and_leaves_the_visitors_draft() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    let chat = Target::Conversation(sid(1));
    k.write(chat, "Half a message to the visitor");
    let with = |note: &str| Action::Transfer {
        session: sid(1),
        to: 102,
        note: note.into(),
    };
    assert!(
        k.act(with(&"x".repeat(241))).is_empty(),
        "too long for a note"
    );
    assert_eq!(k.shift.status, Notice::NoteTooLong);
    assert!(k.act(with("two\nlines")).is_empty(), "one line");
    assert_eq!(k.shift.status, Notice::NoteTooLong);
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Open, "refused: nothing moved");
    assert_eq!(c.draft, "Half a message to the visitor");
    assert_eq!(
        k.act(with("  Speaks French.  ")),
        vec![Command::Transfer {
            session: sid(1),
            to: 102,
            note: Some("Speaks French.".into()),
        }],
        "the note, never the draft, and no message to the visitor"
    );
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(
        c.draft, "Half a message to the visitor",
        "the draft is theirs"
    );
    assert!(c.lines.iter().all(|l| l.who != Who::Me));
}

#[test]
fn an_empty_note_hands_over_without_one_never_with_the_draft() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    k.write(Target::Conversation(sid(1)), "For the visitor");
    let with = Action::Transfer {
        session: sid(1),
        to: 102,
        note: "   ".into(),
    };
    assert_eq!(
        k.act(with),
        vec![Command::Transfer {
            session: sid(1),
            to: 102,
            note: None,
        }],
        "an empty note is none: the visitor's draft is not taken instead"
    );
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().draft,
        "For the visitor"
    );
}

#[test]
fn the_receiver_sees_the_visitors_language_and_the_note() {
    let mut k = kit();
    k.act(Action::Duty(true));
    k.relay(CoordinatorEvent::Claimed {
        session: sid(9),
        transferred_from: Some("Bastien".into()),
        kind: ConversationKind::Chat,
        lang: Some("fr".into()),
        note: Some(HandoverNote::Text("Prefers short messages.".into())),
    });
    let c = k.shift.conversation(&sid(9)).unwrap();
    assert_eq!(
        c.lang.as_deref(),
        Some("fr"),
        "not `lang ?` after a transfer"
    );
    assert!(c.lines.iter().any(|l| l.who
        == Who::System(Note::HandoverNote {
            text: "Prefers short messages.".into()
        })));
    k.relay(CoordinatorEvent::Claimed {
        session: sid(10),
        transferred_from: Some("Bastien".into()),
        kind: ConversationKind::Chat,
        lang: None,
        note: Some(HandoverNote::Unreadable),
    });
    let c = k.shift.conversation(&sid(10)).unwrap();
    assert!(
        c.lines
            .iter()
            .any(|l| l.who == Who::System(Note::HandoverNoteUnreadable))
    );
}

#[test]
fn a_conversation_that_ends_while_the_visitor_decides_is_over_not_handed_over() {
    let mut k = kit();
    k.two_conversations();
    k.relay(roster());
    k.act(to_bastien());
    k.relay(status(1, TransferStatus::Waiting));
    k.relay(CoordinatorEvent::Peer {
        session: sid(1),
        event: crate::protocol::frames::PeerEvent::Ended,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    let c = k.shift.conversation(&sid(1)).expect("kept to read");
    assert_eq!(c.state, ConvState::Ended);
    assert!(!matches!(k.shift.status, Notice::HandedOver { .. }));
}

#[test]
fn the_note_of_a_hand_over_that_did_not_go_through_is_offered_again_until_one_is_accepted() {
    let failures = [
        status(1, TransferStatus::Declined),
        status(1, TransferStatus::Expired),
        CoordinatorEvent::TransferFailed(sid(1)),
    ];
    for failure in failures {
        let mut k = kit();
        k.two_conversations();
        k.relay(roster());
        let note = "Speaks French; do not call.";
        k.act(Action::Transfer {
            session: sid(1),
            to: 102,
            note: format!(" {note} "),
        });
        k.relay(status(1, TransferStatus::Waiting));
        k.relay(failure);
        let c = k.shift.conversation(&sid(1)).unwrap();
        assert_eq!(c.state, ConvState::Open);
        assert_eq!(c.handover_note, note, "kept, as it was sent");
        assert_eq!(c.draft, "", "never put in the visitor's draft");
        assert!(
            c.lines.iter().all(|l| l.text != note),
            "never in the transcript"
        );
        assert!(
            k.shift
                .conversation(&sid(2))
                .unwrap()
                .handover_note
                .is_empty(),
            "only that conversation's"
        );
        // Proposed again with it, then accepted: nothing of it stays here.
        k.act(Action::Transfer {
            session: sid(1),
            to: 102,
            note: note.into(),
        });
        k.relay(status(1, TransferStatus::Accepted));
        let c = k.shift.conversation(&sid(1)).unwrap();
        assert_eq!(c.handover_note, "", "emptied once accepted");
    }
}
