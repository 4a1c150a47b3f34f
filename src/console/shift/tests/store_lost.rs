//! The relay's store lost a conversation (protocol §9.5): the console says so in plain
//! words and keeps the transcript read-only, as for any other end.

use super::*;
use crate::protocol::frames::PeerEvent;

#[test]
fn a_lost_conversation_is_said_plainly_and_closes_for_writing() {
    let mut k = kit();
    k.two_conversations();
    k.relay(CoordinatorEvent::Peer {
        session: sid(1),
        event: PeerEvent::Lost,
    });
    k.relay(CoordinatorEvent::Released(sid(1)));
    let c = k.shift.conversation(&sid(1)).unwrap();
    assert_eq!(c.state, ConvState::Ended);
    assert_eq!(c.lines.last().unwrap().who, Who::System(Note::StoreLost));
    assert_eq!(
        crate::console::tui::text::note(&Note::StoreLost),
        "The server lost this conversation. The visitor can start a new one now."
    );
    assert_eq!(k.shift.writable(sid(1)), Err(Notice::ConversationOver));
    assert_eq!(k.shift.held(), 1, "the other conversation goes on");
}
