//! The terminal's key mapping: that keys reach the core as the right actions, and that the
//! terminal's own modes (writing, pickers, confirmations, the lock's typing) follow the
//! shift. What the actions do is tested on the core ([`crate::console::shift`]).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::client::coordinator::CoordinatorEvent;
use crate::console::shift::tests::{self as core, PASS, claimed, queue, roster, sid, text};
use crate::console::shift::{ConvState, Notice, Screen, Selected};
use crate::protocol::frames::{TipSummary, TransferStatus};

pub(crate) struct Kit {
    pub app: App,
    pub now: Instant,
}

pub(crate) fn kit() -> Kit {
    let core = core::kit();
    Kit {
        app: App::new(core.shift),
        now: core.now,
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

pub(crate) fn alt(c: char) -> AppEvent {
    AppEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT))
}

pub(crate) fn relay(e: CoordinatorEvent) -> AppEvent {
    AppEvent::Net(NetEvent::Relay(e))
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
    /// On duty with two visitors claimed from the keyboard: Visitor 1 (en, session 1) with
    /// Enter on the queue, Visitor 2 (fr, session 2) with Ctrl-N; Visitor 2 is shown.
    pub(crate) fn two_conversations(&mut self) {
        self.on(ctrl_key('d'));
        self.on(relay(queue(&[(1, 120, "en"), (2, 60, "fr")])));
        assert_eq!(self.on(key(KeyCode::Enter)), vec![Command::Claim(sid(1))]);
        self.on(relay(claimed(1, None)));
        self.on(relay(queue(&[(2, 60, "fr")])));
        assert_eq!(self.on(ctrl_key('n')), vec![Command::Claim(sid(2))]);
        self.on(relay(claimed(2, None)));
        self.on(relay(queue(&[])));
    }
    fn shown(&self) -> Option<SessionId> {
        self.app.shift.current_session()
    }
}

#[test]
fn arrows_select_in_sidebar_order_and_alt_numbers_and_tab_switch_conversations() {
    let mut k = kit();
    assert_eq!(k.on(ctrl_key('d'))[0], core::duty(true));
    k.on(relay(queue(&[(1, 0, "en"), (2, 0, "fr")])));
    assert_eq!(k.app.shift.selected, Some(Selected::Queue(sid(1))));
    k.on(key(KeyCode::Down));
    assert_eq!(k.app.shift.selected, Some(Selected::Queue(sid(2))));
    k.on(key(KeyCode::Down));
    assert_eq!(
        k.app.shift.selected,
        Some(Selected::Queue(sid(2))),
        "stays at the end"
    );
    k.on(key(KeyCode::Up));
    assert_eq!(k.on(key(KeyCode::Enter)), vec![Command::Claim(sid(1))]);
    k.on(relay(claimed(1, None)));
    k.on(relay(claimed(3, None)));
    assert_eq!(k.shown(), Some(sid(1)));
    k.on(alt('2'));
    assert_eq!(k.shown(), Some(sid(3)));
    k.on(key(KeyCode::Tab));
    assert_eq!(k.shown(), Some(sid(1)), "Tab wraps");
    k.on(alt('9'));
    assert_eq!(k.shown(), Some(sid(1)), "no ninth conversation: unchanged");
    k.on(key(KeyCode::Up));
    assert_eq!(k.app.shift.selected, Some(Selected::Queue(sid(2))));
    assert_eq!(k.on(ctrl_key('n')), vec![Command::Claim(sid(2))]);
}

#[test]
fn enter_writes_to_the_shown_visitor_and_sends_and_esc_stops_writing() {
    let mut k = kit();
    k.two_conversations();
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.mode, Mode::Compose);
    k.typing("Bonjour ");
    k.on(key(KeyCode::Backspace));
    k.typing("!");
    assert_eq!(k.app.shift.current().unwrap().draft, "Bonjour!");
    k.on(key(KeyCode::Esc));
    assert_eq!(k.app.mode, Mode::Normal);
    k.on(alt('1'));
    k.on(key(KeyCode::Enter));
    k.typing("Hello");
    let line = k.app.shift.conversation(&sid(1)).unwrap().lines.len();
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Send {
            session: sid(1),
            text: "Hello".into(),
            line
        }]
    );
    assert_eq!(k.app.mode, Mode::Compose, "still writing after sending");
    assert_eq!(k.app.shift.conversation(&sid(2)).unwrap().draft, "Bonjour!");
}

#[test]
fn the_hand_over_note_has_its_own_box_and_enter_there_never_messages_the_visitor() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(roster()));
    k.on(key(KeyCode::Enter));
    k.typing("Half a message");
    k.on(key(KeyCode::Esc));
    k.on(ctrl_key('x'));
    assert!(
        k.on(key(KeyCode::Enter)).is_empty(),
        "choosing Bastien moves nothing"
    );
    assert_eq!(
        k.app.mode,
        Mode::WriteNote {
            to: 102,
            alias: "Bastien".into()
        }
    );
    k.typing("Scared, speaks French");
    // Ctrl-J and Alt-Enter would start a line: a note is one line.
    k.on(ctrl_key('j'));
    let screen = super::ui::tests::screen(&k.app, k.now);
    assert!(
        super::ui::tests::contains(&screen, "Note for Bastien (not sent to the visitor)"),
        "{screen:#?}"
    );
    assert!(!super::ui::tests::contains(&screen, "Visitor 2 (Enter"));
    // Esc cancels: the visitor's draft is as it was, the note is gone.
    assert!(k.on(key(KeyCode::Esc)).is_empty());
    assert_eq!(k.app.mode, Mode::Normal);
    let c = k.app.shift.conversation(&sid(2)).unwrap();
    assert_eq!(c.draft, "Half a message");
    assert_eq!(c.state, ConvState::Open);
    // Again: Enter in the note's box hands over with the note, and sends nothing to the
    // visitor; their draft stays theirs.
    k.on(ctrl_key('x'));
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.note().0, "", "a cancelled note does not come back");
    k.typing("Scared");
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Transfer {
            session: sid(2),
            to: 102,
            note: Some("Scared".into()),
        }]
    );
    assert_eq!(k.app.mode, Mode::Normal);
    let c = k.app.shift.conversation(&sid(2)).unwrap();
    assert_eq!(c.draft, "Half a message");
    assert!(
        c.lines
            .iter()
            .all(|l| l.who != crate::console::shift::Who::Me)
    );
}

#[test]
fn a_declined_hand_overs_note_is_in_the_box_again_for_the_next_colleague() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(roster()));
    k.on(ctrl_key('x'));
    k.on(key(KeyCode::Enter));
    k.typing("Scared");
    assert_eq!(k.on(key(KeyCode::Enter)).len(), 1);
    k.on(relay(CoordinatorEvent::TransferStatus {
        session: sid(2),
        status: TransferStatus::Declined,
    }));
    assert_eq!(k.app.mode, Mode::Normal);
    // Picked again: the note is there, the cursor after it, ready to be added to.
    k.on(ctrl_key('x'));
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.note(), ("Scared", 6));
    let screen = super::ui::tests::screen(&k.app, k.now);
    assert!(super::ui::tests::contains(&screen, "Scared"), "{screen:#?}");
    k.typing(", speaks French");
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Transfer {
            session: sid(2),
            to: 102,
            note: Some("Scared, speaks French".into()),
        }]
    );
    // The other conversation's picker starts empty.
    k.on(alt('1'));
    k.on(ctrl_key('x'));
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.note(), ("", 0));
}

#[test]
fn writing_stops_when_the_conversation_written_to_is_handed_over() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(roster()));
    k.on(ctrl_key('x'));
    assert_eq!(k.app.mode, Mode::PickTransfer { index: 0 });
    assert!(k.on(key(KeyCode::Enter)).is_empty(), "the note comes first");
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Transfer {
            session: sid(2),
            to: 102,
            note: None,
        }]
    );
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.mode, Mode::Compose);
    k.on(relay(CoordinatorEvent::Released(sid(2))));
    assert_eq!(k.shown(), Some(sid(1)));
    assert_eq!(
        k.app.mode,
        Mode::Normal,
        "no typing into visitor 1 by surprise"
    );
    k.typing("q");
    assert_eq!(
        k.app.mode,
        Mode::Normal,
        "the rest of the sentence goes nowhere"
    );
    assert_eq!(k.app.shift.status, Notice::WritingStopped);
    assert_eq!(k.app.shift.conversation(&sid(1)).unwrap().draft, "");
    k.on(key(KeyCode::Esc));
    k.typing("q");
    assert_eq!(
        k.app.mode,
        Mode::Compose,
        "after a look, typing writes again"
    );
    assert_eq!(k.app.shift.conversation(&sid(1)).unwrap().draft, "q");
}

#[test]
fn a_picker_closes_when_a_claim_answered_meanwhile_takes_the_screen() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(queue(&[(3, 0, "en")])));
    k.on(key(KeyCode::Up));
    k.on(key(KeyCode::Up));
    assert_eq!(k.app.shift.selected, Some(Selected::Queue(sid(3))));
    assert_eq!(k.on(key(KeyCode::Enter)), vec![Command::Claim(sid(3))]);
    k.on(alt('1'));
    k.on(ctrl_key('r'));
    assert_eq!(k.app.mode, Mode::PickResource { index: 0 });
    k.on(relay(claimed(3, None)));
    assert_eq!(
        k.shown(),
        Some(sid(3)),
        "the claim asked for takes the screen"
    );
    assert_eq!(k.app.mode, Mode::Normal, "the picker for visitor 1 closed");
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.shift.conversation(&sid(1)).unwrap().draft, "");
    assert_eq!(k.app.shift.conversation(&sid(3)).unwrap().draft, "");
}

#[test]
fn refusals_the_core_explains_are_shown_and_open_nothing() {
    let mut k = kit();
    k.two_conversations();
    k.on(ctrl_key('x'));
    assert_eq!(k.app.mode, Mode::Normal);
    assert_eq!(k.app.shift.status, Notice::NoFreeColleague);
    k.on(relay(CoordinatorEvent::Peer {
        session: sid(2),
        event: crate::protocol::frames::PeerEvent::Ended,
    }));
    assert_eq!(k.app.shift.current().unwrap().state, ConvState::Ended);
    k.on(key(KeyCode::Enter));
    assert_eq!(
        k.app.mode,
        Mode::Normal,
        "no writing to an ended conversation"
    );
    assert_eq!(
        text::notice(&k.app.shift.status),
        "This conversation is over; Ctrl-W closes it."
    );
    k.typing("e");
    assert_eq!(k.app.mode, Mode::Normal, "no typing into it either");
    k.on(ctrl_key('w'));
    assert!(k.on(ch('n')).is_empty(), "anything but y cancels");
    k.on(ctrl_key('w'));
    assert!(k.on(ch('y')).is_empty(), "over already: closed here only");
    assert!(k.app.shift.conversation(&sid(2)).is_none());
    k.on(ctrl_key('w'));
    assert_eq!(k.on(ch('y')), vec![Command::End(sid(1))]);
    k.on(ctrl_key('r'));
    assert_eq!(k.app.shift.status, Notice::SelectConversationFirst);
}

#[test]
fn the_resource_picker_inserts_into_the_draft_and_returns_to_writing() {
    let mut k = kit();
    k.two_conversations();
    k.on(ctrl_key('r'));
    assert_eq!(k.app.mode, Mode::PickResource { index: 0 });
    assert!(
        k.on(key(KeyCode::Enter)).is_empty(),
        "inserting sends nothing"
    );
    assert_eq!(k.app.mode, Mode::Compose);
    assert_eq!(k.app.shift.current().unwrap().draft, "Appelez le 115.");
    k.on(ctrl_key('r'));
    k.on(key(KeyCode::Down));
    k.on(key(KeyCode::Enter));
    let draft = "Appelez le 115. Call or text 211 for local help.";
    assert_eq!(k.app.shift.current().unwrap().draft, draft);
    // Esc in the picker goes back to writing, keeping the draft.
    k.on(ctrl_key('r'));
    k.on(key(KeyCode::Esc));
    assert_eq!(k.app.mode, Mode::Compose);
    let line = k.app.shift.conversation(&sid(2)).unwrap().lines.len();
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Send {
            session: sid(2),
            text: draft.into(),
            line
        }]
    );
}

#[test]
fn tips_keys_open_reply_and_mark_handled_after_asking() {
    let mut k = kit();
    assert_eq!(k.on(ctrl_key('t')), vec![Command::ListTips]);
    assert_eq!(k.app.shift.screen, Screen::Tips);
    let listed = |id: u8| TipSummary {
        id: TipId([id; 16]),
        received: 0,
        followups: 0,
        replies: 0,
        held_by: None,
    };
    k.on(relay(CoordinatorEvent::Tips(vec![listed(1), listed(2)])));
    k.on(key(KeyCode::Down));
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::OpenTip(TipId([2; 16]))]
    );
    k.typing("r");
    assert_eq!(k.app.shift.status, Notice::OpenTipFirst);
    assert_eq!(k.app.mode, Mode::Normal);
    assert_eq!(k.on(ctrl_key('u')), vec![Command::ListTips]);
    k.on(ctrl_key('w'));
    assert_eq!(k.app.mode, Mode::ConfirmHandled(TipId([2; 16])));
    assert_eq!(k.on(ch('y')), vec![Command::CloseTip(TipId([2; 16]))]);
    k.on(relay(CoordinatorEvent::Tips(vec![listed(1)])));
    assert_eq!(k.app.tip_cursor, 0, "the cursor stays on the list");
    k.on(key(KeyCode::Esc));
    assert_eq!(k.app.shift.screen, Screen::Chats);
}

#[test]
fn while_locked_every_key_goes_to_the_passphrase() {
    let mut k = kit();
    k.two_conversations();
    k.on(key(KeyCode::Enter));
    k.typing("draft");
    k.later(300, AppEvent::Tick);
    assert!(k.app.shift.is_locked());
    assert_eq!(k.app.mode, Mode::Normal, "writing stops at the lock");
    k.typing("dq");
    assert_eq!(k.app.typed_len(), 2);
    assert!(k.app.shift.on_duty);
    assert_eq!(k.app.mode, Mode::Normal);
    k.on(key(KeyCode::Enter));
    assert!(k.app.shift.unlock_failed());
    assert_eq!(k.app.typed_len(), 0, "a try empties the field");
    k.typing(PASS);
    k.on(key(KeyCode::Enter));
    assert!(!k.app.shift.is_locked());
    assert_eq!(
        k.app.shift.current().unwrap().draft,
        "draft",
        "drafts survive the lock"
    );
    // Locking by hand, with a half-typed passphrase from before left behind.
    k.on(ctrl_key('l'));
    assert!(k.app.shift.is_locked());
    k.typing("x");
    k.on(key(KeyCode::Esc));
    assert_eq!(k.app.typed_len(), 0);
    k.typing(PASS);
    k.on(key(KeyCode::Enter));
    k.on(ctrl_key('l'));
    assert!(k.app.shift.is_locked());
}

#[test]
fn quitting_asks_first_with_ctrl_q_or_ctrl_c() {
    let mut k = kit();
    k.on(ctrl_key('d'));
    k.on(ctrl_key('q'));
    assert!(k.on(ch('n')).is_empty());
    assert!(!k.app.shift.quit);
    k.on(ctrl_key('c'));
    assert_eq!(k.on(ch('y')), vec![core::duty(false), Command::Quit]);
    assert!(k.app.shift.quit);
}

#[test]
fn page_keys_scroll_only_the_shown_transcript_and_sending_returns_to_the_newest() {
    let mut k = kit();
    k.two_conversations();
    for i in 0..10 {
        k.on(relay(text(2, &format!("line {i}"))));
    }
    k.on(key(KeyCode::PageUp));
    assert_eq!(k.app.scrolled_back(&sid(2)), SCROLL_STEP);
    assert_eq!(k.app.scrolled_back(&sid(1)), 0);
    k.on(key(KeyCode::Enter));
    k.on(key(KeyCode::PageUp));
    assert_eq!(
        k.app.scrolled_back(&sid(2)),
        2 * SCROLL_STEP,
        "also while writing"
    );
    k.typing("ok");
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.scrolled_back(&sid(2)), 0);
}

#[test]
fn no_letter_or_digit_typed_outside_a_draft_runs_a_command() {
    let mut k = kit();
    let printable: String = ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain("?!.,' <>".chars())
        .collect();
    let stray = |k: &mut Kit| {
        for c in printable.chars() {
            assert!(k.on(ch(c)).is_empty(), "{c:?} sent something");
            assert_eq!(k.app.mode, Mode::Normal, "{c:?} opened something");
        }
    };
    // Off duty, nothing shown: nothing happens, not even duty.
    stray(&mut k);
    assert!(!k.app.shift.on_duty);
    assert_eq!(k.app.shift.status, Notice::SelectConversationFirst);
    // On duty, a visitor waiting and selected: typing answers nobody.
    k.on(ctrl_key('d'));
    k.on(relay(queue(&[(1, 0, "en")])));
    stray(&mut k);
    assert!(k.app.shift.on_duty && k.app.shift.conversations.is_empty());
    // The tips screen with no tip open: nothing either.
    k.on(ctrl_key('t'));
    stray(&mut k);
    k.on(key(KeyCode::Esc));
    // A conversation shown: "good" goes into its draft, and is only a draft.
    k.on(key(KeyCode::Enter));
    k.on(relay(claimed(1, None)));
    k.typing("good");
    assert_eq!(k.app.mode, Mode::Compose);
    assert_eq!(k.app.shift.conversation(&sid(1)).unwrap().draft, "good");
    assert!(k.app.shift.on_duty, "d was a letter, not duty");
    assert_eq!(k.app.shift.conversation(&sid(1)).unwrap().number, 1);
}

#[test]
fn a_conversation_keeps_its_number_and_alt_key_while_others_end() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(claimed(3, None)));
    let numbers = |k: &Kit| -> Vec<(u8, u32)> {
        k.app
            .shift
            .conversations
            .iter()
            .map(|c| (c.session.0[0], c.number))
            .collect()
    };
    assert_eq!(numbers(&k), [(1, 1), (2, 2), (3, 3)]);
    k.on(alt('1'));
    k.on(ctrl_key('w'));
    assert_eq!(k.on(ch('y')), vec![Command::End(sid(1))]);
    assert_eq!(numbers(&k), [(2, 2), (3, 3)], "no renumbering");
    k.on(alt('3'));
    assert_eq!(k.shown(), Some(sid(3)), "Alt-3 still reaches Visitor 3");
    k.on(alt('1'));
    assert_eq!(k.shown(), Some(sid(3)), "nobody is Visitor 1 now");
    // A number is free again only once its transcript is gone.
    k.on(relay(claimed(4, None)));
    assert_eq!(numbers(&k), [(4, 1), (2, 2), (3, 3)]);
}

#[test]
fn a_resource_placeholder_blocks_sending_until_filled_in_with_the_cursor_keys() {
    let mut k = kit();
    k.two_conversations();
    k.app.shift.resources = crate::console::resources::Resources::parse(
        r#"
        [[resource]]
        region = "FR"
        lang = "fr"
        category = "shelter"
        title = "Refuge"
        text = "<Shelter> takes you in. Call <number>."
        "#,
    )
    .unwrap();
    k.on(ctrl_key('r'));
    k.on(key(KeyCode::Enter));
    assert_eq!(k.app.mode, Mode::Compose);
    assert!(k.on(key(KeyCode::Enter)).is_empty(), "not sent");
    assert_eq!(
        k.app.shift.status,
        Notice::UnfilledPlaceholder {
            placeholder: "<Shelter>".into()
        }
    );
    assert_eq!(
        text::notice(&k.app.shift.status),
        "Not sent: replace <Shelter> with the real detail first."
    );
    // Home, delete the first placeholder, type the name in its place.
    k.on(key(KeyCode::Home));
    for _ in 0.."<Shelter>".len() {
        k.on(key(KeyCode::Delete));
    }
    k.typing("Le Refuge");
    assert!(k.on(key(KeyCode::Enter)).is_empty(), "one left");
    assert_eq!(
        k.app.shift.status,
        Notice::UnfilledPlaceholder {
            placeholder: "<number>".into()
        }
    );
    // End, one left (before the full stop), Ctrl-W takes the word back, type the number.
    k.on(key(KeyCode::End));
    k.on(key(KeyCode::Left));
    k.on(ctrl_key('w'));
    k.typing("115");
    let line = k.app.shift.conversation(&sid(2)).unwrap().lines.len();
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Send {
            session: sid(2),
            text: "Le Refuge takes you in. Call 115.".into(),
            line
        }]
    );
    assert_eq!(k.app.cursor(), 0, "the emptied draft starts over");
}

#[test]
fn ctrl_w_in_the_box_of_a_conversation_the_visitor_ended_closes_it() {
    let mut k = kit();
    k.two_conversations();
    k.on(key(KeyCode::Enter));
    k.typing("Are you safe");
    assert_eq!(k.app.mode, Mode::Compose);
    // The visitor leaves quickly while I write.
    k.on(relay(CoordinatorEvent::Peer {
        session: sid(2),
        event: crate::protocol::frames::PeerEvent::Ended,
    }));
    assert_eq!(k.app.shift.current().unwrap().state, ConvState::Ended);
    // Enter says what works, and Ctrl-W (as the transcript says) asks to close it.
    assert!(k.on(key(KeyCode::Enter)).is_empty());
    assert_eq!(
        text::notice(&k.app.shift.status),
        "This conversation is over; Ctrl-W closes it."
    );
    k.on(ctrl_key('w'));
    assert_eq!(k.app.mode, Mode::ConfirmEnd(sid(2)));
    assert!(k.on(ch('y')).is_empty(), "over already: closed here only");
    assert!(k.app.shift.conversation(&sid(2)).is_none());
    // In a conversation still open, Ctrl-W in the box still deletes a word.
    k.on(alt('1'));
    k.on(key(KeyCode::Enter));
    k.typing("Hello there");
    k.on(ctrl_key('w'));
    assert_eq!(k.app.mode, Mode::Compose);
    assert_eq!(k.app.shift.conversation(&sid(1)).unwrap().draft, "Hello ");
}
