//! Screen snapshots at 80×24, rendered from states reached through the terminal's keys.

use super::*;
use crate::client::coordinator::CoordinatorEvent;
use crate::console::shift::tests::{queue, sid, text};
use crate::console::shift::{Command, NetEvent, OpenedTip};
use crate::console::tui::AppEvent;
use crate::console::tui::tests::{Kit, alt, ctrl_key, key, kit, relay};
use crate::protocol::TipId;
use crate::protocol::frames::{CoordinatorInfo, TipSummary};
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;

/// Renders at 80×24 and returns the screen as lines of text.
pub(crate) fn screen(app: &App, now: Instant) -> Vec<String> {
    let mut terminal = ratatui::Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, app, now)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..24)
        .map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect::<String>())
        .collect()
}

/// Renders at 80×24 and returns the cells, styles included.
fn cells(app: &App, now: Instant) -> ratatui::buffer::Buffer {
    let mut terminal = ratatui::Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, app, now)).unwrap();
    terminal.backend().buffer().clone()
}

pub(crate) fn contains(screen: &[String], needle: &str) -> bool {
    screen.iter().any(|l| l.contains(needle))
}

/// With Visitor 2 shown: Enter to write, `message` typed and sent with Enter, and the
/// connection's word that it went out as message 2 (what a delivery mark or the server's
/// count of unread messages then follows).
pub(super) fn write_and_send_to_visitor_2(k: &mut Kit, message: &str) {
    k.on(key(KeyCode::Enter));
    k.typing(message);
    let line = k.app.shift.conversation(&sid(2)).unwrap().lines.len();
    assert_eq!(
        k.on(key(KeyCode::Enter)),
        vec![Command::Send {
            session: sid(2),
            text: message.into(),
            line
        }]
    );
    k.on(AppEvent::Net(NetEvent::Sent {
        session: sid(2),
        line,
        seq: 2,
    }));
}

/// Tip `n` opened with `text`, and nothing yet in its thread.
pub(super) fn opened_tip(n: u8, text: &str) -> OpenedTip {
    OpenedTip {
        id: TipId([n; 16]),
        category: None,
        text: text.into(),
        sealed_by_relay: false,
        followups: vec![],
        replies: vec![],
        reply_key: None,
        draft: String::new(),
        replies_sent: 0,
    }
}

#[test]
fn the_queue_screen_at_80x24_shows_who_i_am_the_queue_and_the_keys() {
    let mut k = kit();
    k.on(ctrl_key('d'));
    k.on(relay(queue(&[(1, 120, "en"), (2, 0, "fr")])));
    k.later(30, AppEvent::Tick);
    let s = screen(&k.app, k.now);
    assert!(s[0].contains("Amara (Lyon)"), "{s:#?}");
    assert!(s[0].contains("#101"));
    assert!(s[0].contains("cert until 2026-01-01"));
    assert!(s[0].contains("ON DUTY"));
    assert!(contains(&s, "Queue (2)"));
    assert!(contains(&s, "chat  en        2m"), "{s:#?}");
    assert!(contains(&s, "chat  fr       30s"));
    assert!(contains(&s, "Press Enter to answer."));
    let footer = &s[23];
    for k in [
        "write", "duty", "next", "transfer", "end", "tips", "help", "quit",
    ] {
        assert!(footer.contains(k), "footer lacks {k}: {footer}");
    }
    assert!(footer.starts_with("⏎ write ^D duty"), "{footer}");
    assert!(
        footer.trim_end().ends_with("^Q quit"),
        "the whole footer fits: {footer}"
    );
}

#[test]
fn the_conversation_screen_separates_visitors_and_shows_unread_and_marks() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(text(1, "are you there?")));
    k.on(relay(text(2, "bonjour, j'ai besoin d'aide")));
    write_and_send_to_visitor_2(&mut k, "Je suis là.");
    k.on(relay(CoordinatorEvent::Delivered {
        session: sid(2),
        seq: 2,
    }));
    k.typing("Vous êtes en sécurité ?");
    k.later(125, AppEvent::Tick);
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "Conversations (2)"), "{s:#?}");
    assert!(
        contains(&s, "Visitor 1 en [1]"),
        "unread count on the other one: {s:#?}"
    );
    assert!(contains(&s, "Visitor 2 fr"));
    assert!(contains(&s, "Visitor 2 · chat · fr · open 2m"));
    assert!(contains(&s, "Visitor: bonjour, j'ai besoin d'aide"));
    assert!(contains(&s, "You: Je suis là. ✓✓"));
    assert!(
        !contains(&s, "are you there?"),
        "never another visitor's text"
    );
    assert!(contains(&s, "To Visitor 2 (Enter sends)"));
    assert!(contains(&s, "Vous êtes en sécurité ?"));
    assert!(s[23].contains("send") && s[23].contains("insert resource"));
}

#[test]
fn a_long_conversation_scrolls_back_with_page_up_and_returns_with_page_down() {
    let mut k = kit();
    k.two_conversations();
    k.on(alt('2'));
    for i in 1..=40 {
        k.on(relay(text(2, &format!("line {i:02}"))));
    }
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "line 40"), "the newest at the bottom: {s:#?}");
    assert!(!contains(&s, "line 01"));
    for _ in 0..10 {
        k.on(key(KeyCode::PageUp));
    }
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "line 01"), "scrolled to the start: {s:#?}");
    assert!(!contains(&s, "line 40"));
    assert!(contains(&s, "(PgDn)"), "the title says it is scrolled");
    for _ in 0..10 {
        k.on(key(KeyCode::PageDown));
    }
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "line 40"), "back at the newest: {s:#?}");
    assert!(!contains(&s, "(PgDn)"));
}

#[test]
fn the_transfer_and_resource_pickers_and_the_tips_screen_render() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(CoordinatorEvent::Roster(vec![CoordinatorInfo {
        serial: 102,
        alias: "Bastien".into(),
        load: 0,
        capacity: 2,
        certificate: crate::protocol::Bytes(vec![]),
    }])));
    k.on(ctrl_key('x'));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "Transfer to"));
    assert!(contains(&s, "Bastien (0/2)"));
    k.on(key(KeyCode::Esc));
    k.on(ctrl_key('r'));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "Insert a resource"));
    assert!(contains(&s, "Hébergement 115"));
    assert!(contains(&s, "211 local help"));
    k.on(key(KeyCode::Esc));
    k.on(key(KeyCode::Esc));
    k.on(ctrl_key('t'));
    k.on(relay(CoordinatorEvent::Tips(vec![TipSummary {
        id: TipId([3; 16]),
        received: 1_700_000_040,
        followups: 2,
        replies: 1,
        held_by: None,
    }])));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "Tips (1)"), "{s:#?}");
    assert!(contains(&s, "│Received 11-14 22:14"), "{s:#?}");
    assert!(
        contains(&s, "│  2 follow-ups · 1 reply"),
        "in words: {s:#?}"
    );
    assert!(s[23].contains("open") && s[23].contains("handled"));
    // A sealed tip can arrive empty (the relay cannot look inside): it says so, not a blank.
    k.app.shift.opened_tip = Some(opened_tip(3, " "));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "(this tip has no text)"), "{s:#?}");
}

#[test]
fn the_lock_screen_shows_no_conversation_and_the_help_lists_every_key() {
    let mut k = kit();
    k.two_conversations();
    k.on(relay(text(2, "my address is 12 rue X")));
    k.on(key(KeyCode::F(1)));
    let s = screen(&k.app, k.now);
    for (key, _) in HELP {
        assert!(contains(&s, key), "help lacks {key}");
    }
    k.on(ctrl_key('x'));
    k.on(ctrl_key('l'));
    k.typing("abc");
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "Console locked"));
    assert!(contains(&s, "•••"));
    assert!(!contains(&s, "rue X"));
    assert!(!contains(&s, "Visitor 2"));
    assert!(!contains(&s, "abc"), "the passphrase is never shown");
}

#[test]
fn durations_and_dates_read_well() {
    assert_eq!(duration(Duration::from_secs(45)), "45s");
    assert_eq!(duration(Duration::from_secs(12 * 60 + 5)), "12m");
    assert_eq!(duration(Duration::from_secs(3900)), "1h05m");
    assert_eq!(date(0), "1970-01-01");
    assert_eq!(date(1_709_251_200), "2024-03-01");
    assert_eq!(date(951_782_400), "2000-02-29");
    assert_eq!(date_minute(1_797_345_722), "2026-12-15 14:42");
    assert_eq!(date_minute(951_782_400 + 86_399), "2000-02-29 23:59");
}

#[test]
fn wrapping_keeps_words_and_indents() {
    let lines = wrap("You: ", "one two three four five six", 16);
    assert_eq!(lines, ["You: one two", "     three four", "     five six"]);
}

/// A reply whose prefix is longer than its continuation lines: every line of it fits the
/// width (they once ran past it, where the screen cut them off), and no word is lost.
#[test]
fn long_prefixes_wrap_within_the_width() {
    let prefix = "Reply 1 (Amara (Lyon), this shift): ";
    let reply = "Thank you for writing again. We passed what you told us to the team in \
                 Lyon, who know the address; someone will be there tomorrow morning. If you \
                 can, write back with the time the van usually leaves: \
                 https://example.org/a-very-long-address-that-is-wider-than-any-line-of-the-tip-pane";
    for width in [20, 37, 40, 45, 57, 60, 77, 120] {
        let lines = wrap(prefix, reply, width);
        for line in &lines {
            assert!(
                line.chars().count() <= width,
                "{line:?} is wider than {width}: {lines:#?}"
            );
        }
        let joined: String = lines.concat();
        let squeezed: String = joined.split_whitespace().collect();
        let expected: String = format!("{prefix}{reply}").split_whitespace().collect();
        assert_eq!(squeezed, expected, "every word kept at {width}: {lines:#?}");
    }
    // At the tip pane's width on an 80-column screen the reply's lines are indented under it.
    let lines = wrap(prefix, reply, 77);
    assert!(lines[0].starts_with(prefix), "{lines:#?}");
    let under = format!("{}what", " ".repeat(prefix.len()));
    assert!(lines[1].starts_with(&under), "{lines:#?}");
}

#[test]
fn the_draft_wraps_over_rows_with_the_cursor_and_placeholders_highlighted() {
    let mut k = kit();
    k.two_conversations();
    k.on(key(KeyCode::Enter));
    k.typing(
        "Le refuge <Local shelter name> vous accueille ce soir. \
         Appelez le <numéro> et dites que vous venez du réseau.",
    );
    k.on(key(KeyCode::Home));
    let s = screen(&k.app, k.now);
    assert!(contains(&s, "│Le refuge <Local shelter name>"), "{s:#?}");
    assert!(contains(&s, "│soir. Appelez"), "words stay whole: {s:#?}");
    assert!(contains(&s, "réseau."), "the end is shown too: {s:#?}");
    let buffer = cells(&k.app, k.now);
    let find = |needle: &str| {
        let (y, row) = s
            .iter()
            .enumerate()
            .find(|(_, r)| r.contains(needle))
            .unwrap();
        let x = row[..row.find(needle).unwrap()].chars().count();
        (x as u16, y as u16)
    };
    let (x, y) = find("<Local");
    assert_eq!(
        buffer[(x, y)].bg,
        Color::Yellow,
        "the placeholder stands out"
    );
    assert_eq!(buffer[(x + 19, y)].bg, Color::Yellow);
    assert_ne!(buffer[(x + 20, y)].bg, Color::Yellow, "and ends with it");
    let (x, y) = find("Le refuge");
    assert!(
        buffer[(x, y)].modifier.contains(Modifier::REVERSED),
        "the cursor is at the start after Home"
    );
    assert!(!buffer[(x + 1, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn a_tips_thread_is_told_in_words() {
    use crate::console::tui::text::tip_thread;
    assert_eq!(tip_thread(0, 0), "unanswered");
    assert_eq!(tip_thread(1, 0), "1 follow-up · unanswered");
    assert_eq!(tip_thread(0, 1), "1 reply");
    assert_eq!(tip_thread(3, 2), "3 follow-ups · 2 replies");
}
