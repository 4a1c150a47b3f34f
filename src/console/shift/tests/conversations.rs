//! Conversations through the core: several at once, drafts, delivery marks, resources,
//! transfers and ending.

use std::time::Duration;

use super::*;
use crate::protocol::frames::PeerEvent;

fn chat(n: u8) -> Target {
    Target::Conversation(sid(n))
}

fn my_mark(shift: &Shift, n: u8) -> Option<Mark> {
    shift
        .conversation(&sid(n))?
        .lines
        .iter()
        .find(|l| l.who == Who::Me)
        .map(|l| l.mark)
}

#[test]
fn two_conversations_at_once_keep_separate_text_unread_counts_and_drafts() {
    let mut k = kit();
    k.two_conversations();
    let numbers: Vec<u32> = k.shift.conversations.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(k.shift.conversations[0].lang.as_deref(), Some("en"));
    assert_eq!(k.shift.conversations[1].lang.as_deref(), Some("fr"));
    assert_eq!(
        k.shift.conversations[0].lines[0].who,
        Who::System(Note::Joined)
    );
    // Visitor 2 was claimed here last, so it is shown.
    assert_eq!(k.shift.current_session(), Some(sid(2)));
    assert_eq!(k.shift.current_target(), Some(chat(2)));

    k.relay(text(1, "are you there?"));
    k.relay(text(1, "please"));
    k.relay(text(2, "bonjour"));
    k.relay(text(9, "for nobody here"));
    assert_eq!(k.shift.conversation(&sid(1)).unwrap().unread, 2);
    assert_eq!(
        k.shift.conversation(&sid(2)).unwrap().unread,
        0,
        "shown: read"
    );
    assert_eq!(k.shift.total_unread(), 2);

    // A draft to visitor 2, then a look at visitor 1: its unread count clears.
    k.write(chat(2), "Bonjour, je suis là");
    k.act(Action::Select(Some(Selected::Conversation(sid(1)))));
    assert_eq!(k.shift.conversation(&sid(1)).unwrap().unread, 0);
    k.write(chat(1), "Yes, I'm here. ");
    let line = k.shift.conversation(&sid(1)).unwrap().lines.len();
    assert_eq!(
        k.act(Action::Send(chat(1))),
        vec![Command::Send {
            session: sid(1),
            text: "Yes, I'm here.".into(),
            line
        }],
        "sent trimmed"
    );
    assert_eq!(k.shift.draft(chat(1)), Some(""));
    assert!(
        k.act(Action::Send(chat(1))).is_empty(),
        "an empty draft sends nothing"
    );
    let first = k.shift.conversation(&sid(1)).unwrap();
    assert!(first.lines.iter().any(|l| l.text == "are you there?"));
    assert!(!first.lines.iter().any(|l| l.text == "bonjour"));
    let second = k.shift.conversation(&sid(2)).unwrap();
    assert_eq!(
        second.draft, "Bonjour, je suis là",
        "drafts stay with their visitor"
    );
    assert!(!second.lines.iter().any(|l| l.text.contains("I'm here")));

    // Delivery marks follow the relay: pending → sent → delivered.
    assert_eq!(my_mark(&k.shift, 1), Some(Mark::Pending));
    k.net(NetEvent::Sent {
        session: sid(1),
        line,
        seq: 2,
    });
    k.relay(CoordinatorEvent::Stored {
        session: sid(1),
        seq: 2,
    });
    assert_eq!(my_mark(&k.shift, 1), Some(Mark::Sent));
    // A delivered mark for the other conversation changes nothing here.
    k.relay(CoordinatorEvent::Delivered {
        session: sid(2),
        seq: 5,
    });
    assert_eq!(my_mark(&k.shift, 1), Some(Mark::Sent));
    k.relay(CoordinatorEvent::Delivered {
        session: sid(1),
        seq: 2,
    });
    assert_eq!(my_mark(&k.shift, 1), Some(Mark::Delivered));

    // The open duration counts from the claim.
    k.tick_after(600);
    assert_eq!(
        k.shift.current().unwrap().open_for(k.now),
        Duration::from_secs(600)
    );
}

#[test]
fn the_visitors_comings_and_goings_are_noted_in_their_own_transcript() {
    let mut k = kit();
    k.two_conversations();
    let peer = |n, event| CoordinatorEvent::Peer {
        session: sid(n),
        event,
    };
    k.relay(peer(1, PeerEvent::Away));
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().state,
        ConvState::Away
    );
    k.relay(peer(1, PeerEvent::Returned));
    k.relay(CoordinatorEvent::VisitorClosed(sid(1)));
    let notes: Vec<&Who> = k.shift.conversation(&sid(1)).unwrap().lines[1..]
        .iter()
        .map(|l| &l.who)
        .collect();
    assert_eq!(
        notes,
        [
            &Who::System(Note::VisitorAway),
            &Who::System(Note::VisitorBack),
            &Who::System(Note::VisitorClosed)
        ]
    );
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().state,
        ConvState::Open
    );
    assert_eq!(
        k.shift.conversation(&sid(2)).unwrap().lines.len(),
        1,
        "nothing of visitor 1 in visitor 2's transcript"
    );
}

#[test]
fn transfer_offers_colleagues_with_a_free_seat_and_hands_the_conversation_over() {
    let mut k = kit();
    k.two_conversations();
    assert_eq!(k.shift.transferable(sid(1)), Err(Notice::NoFreeColleague));
    k.relay(roster());
    let targets: Vec<u64> = k
        .shift
        .transfer_targets()
        .iter()
        .map(|c| c.serial)
        .collect();
    assert_eq!(targets, [102], "not me, not someone full");
    assert_eq!(k.shift.transferable(sid(1)), Ok(()));
    assert_eq!(
        k.shift.transferable(sid(7)),
        Err(Notice::SelectConversationFirst)
    );
    // A colleague with no free seat is refused here, before the relay.
    assert!(
        k.act(Action::Transfer {
            session: sid(1),
            to: 103,
            note: String::new(),
        })
        .is_empty()
    );
    assert_eq!(k.shift.status, Notice::NoFreeColleague);

    let to_bastien = || Action::Transfer {
        session: sid(1),
        to: 102,
        note: String::new(),
    };
    assert_eq!(
        k.act(to_bastien()),
        vec![Command::Transfer {
            session: sid(1),
            to: 102,
            note: None,
        }]
    );
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Transferring);
    assert!(!c.takes_messages());
    assert_eq!(
        k.shift.transferable(sid(1)),
        Err(Notice::CannotTransferNow),
        "already moving"
    );
    k.write(chat(1), "one more thing");
    assert!(k.act(Action::Send(chat(1))).is_empty());
    assert_eq!(k.shift.status, Notice::NoLongerTakesMessages);
    // Refused by the relay: still mine.
    k.relay(CoordinatorEvent::TransferFailed(sid(1)));
    assert_eq!(
        k.shift.conversation(&sid(1)).unwrap().state,
        ConvState::Open
    );
    assert_eq!(k.shift.status, Notice::TransferFailed { number: 1 });
    // Again, accepted: released to Bastien and gone from this console.
    k.act(Action::Select(Some(Selected::Conversation(sid(1)))));
    k.act(to_bastien());
    k.relay(CoordinatorEvent::Released(sid(1)));
    assert!(k.shift.conversation(&sid(1)).is_none());
    assert_eq!(
        k.shift.status,
        Notice::HandedOver {
            number: 1,
            to: "Bastien".into()
        }
    );
    assert_eq!(
        k.shift.current_session(),
        Some(sid(2)),
        "the selection moves on"
    );
}

#[test]
fn a_transferred_in_conversation_names_the_previous_coordinator_and_rings() {
    let mut k = kit();
    k.act(Action::Duty(true));
    k.relay(claimed(7, Some("Bastien")));
    assert!(k.shift.take_bell());
    assert_eq!(
        k.shift.status,
        Notice::TransferredIn {
            number: 1,
            from: "Bastien".into()
        }
    );
    let c = k.shift.conversation(&sid(7)).unwrap();
    assert_eq!(c.transferred_from.as_deref(), Some("Bastien"));
    assert_eq!(
        c.lines[0].who,
        Who::System(Note::TransferredIn {
            from: "Bastien".into()
        })
    );
    // Arriving while another conversation is shown: it waits, counted unread.
    k.relay(claimed(8, Some("Bastien")));
    assert_eq!(k.shift.current_session(), Some(sid(7)));
    assert_eq!(k.shift.conversation(&sid(8)).unwrap().unread, 1);
}

#[test]
fn ending_erases_and_an_ended_conversation_closes_locally() {
    let mut k = kit();
    k.two_conversations();
    assert_eq!(k.act(Action::End(sid(2))), vec![Command::End(sid(2))]);
    assert!(k.shift.conversation(&sid(2)).is_none());
    assert_eq!(k.shift.status, Notice::Erased { number: 2 });
    assert!(k.act(Action::End(sid(2))).is_empty(), "only once");
    // Visitor 1 ends from their side: read-only, then closed without a relay command.
    k.relay(CoordinatorEvent::Peer {
        session: sid(1),
        event: PeerEvent::Ended,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Ended);
    assert_eq!(
        c.lines.last().unwrap().who,
        Who::System(Note::VisitorEnded),
        "no second note when the relay releases it"
    );
    assert_eq!(k.shift.held(), 0);
    assert_eq!(k.shift.writable(sid(1)), Err(Notice::ConversationOver));
    k.write(chat(1), "too late");
    assert!(k.act(Action::Send(chat(1))).is_empty());
    assert_eq!(
        k.shift.status,
        Notice::ConversationOver,
        "says what works: closing it"
    );
    assert!(k.act(Action::End(sid(1))).is_empty());
    assert!(k.shift.conversations.is_empty());
    assert_eq!(k.shift.selected, None);
}

#[test]
fn resources_are_offered_in_the_visitors_language_first_and_editable_before_sending() {
    let mut k = kit();
    k.two_conversations();
    // Visitor 2 speaks French: the French resource comes first.
    let offered = k.shift.offered_resources(Some(chat(2)));
    assert_eq!(offered[0].title, "Hébergement 115");
    assert_eq!(
        k.shift.offered_resources(Some(chat(1)))[0].title,
        "211 local help"
    );
    let insert = |index| Action::InsertResource {
        target: chat(2),
        index,
    };
    assert!(k.act(insert(0)).is_empty(), "inserting sends nothing");
    assert_eq!(k.shift.draft(chat(2)), Some("Appelez le 115."));
    // Edit it, then add the second resource: a space separates them.
    k.act(Action::Edit {
        target: chat(2),
        edit: Edit::Pop,
    });
    for c in " ce soir.".chars() {
        k.act(Action::Edit {
            target: chat(2),
            edit: Edit::Push(c),
        });
    }
    k.act(insert(1));
    k.act(insert(7));
    let draft = "Appelez le 115 ce soir. Call or text 211 for local help.";
    assert_eq!(
        k.shift.draft(chat(2)),
        Some(draft),
        "no such resource: unchanged"
    );
    assert_eq!(
        k.shift.draft(chat(1)),
        Some(""),
        "the other draft untouched"
    );
    let line = k.shift.conversation(&sid(2)).unwrap().lines.len();
    assert_eq!(
        k.act(Action::Send(chat(2))),
        vec![Command::Send {
            session: sid(2),
            text: draft.into(),
            line
        }]
    );
    assert_eq!(k.shift.draft(chat(2)), Some(""));
}

/// "Not sent: replace <…>" is about the send it refused: once the detail is filled in and the
/// message goes, the status no longer says it did not (a coordinator could send it twice).
/// An ordinary send leaves whatever the status says.
#[test]
fn a_message_sent_once_its_placeholder_is_filled_is_no_longer_said_not_sent() {
    let mut k = kit();
    k.two_conversations();
    let before = k.shift.status.clone();
    k.write(chat(2), "Bonjour.");
    assert_eq!(k.act(Action::Send(chat(2))).len(), 1);
    assert_eq!(k.shift.status, before, "an ordinary send leaves the status");

    k.write(chat(2), "Appelez le <numéro> ce soir.");
    assert!(k.act(Action::Send(chat(2))).is_empty(), "not sent");
    assert_eq!(
        k.shift.status,
        Notice::UnfilledPlaceholder {
            placeholder: "<numéro>".into()
        }
    );
    k.write(chat(2), "Appelez le 115 ce soir.");
    assert_eq!(k.act(Action::Send(chat(2))).len(), 1, "sent once filled in");
    assert_eq!(k.shift.status, Notice::MessageSent { number: 2 });
}
