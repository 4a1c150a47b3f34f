//! The line under a conversation and on a tip saying what the server keeps, and until when
//! (issue 19, protocol §9.10): the relay's own values from `authed`, with this
//! conversation's live count of messages waiting unread.
//!
//! It must never invent a value: with a relay that does not say, nothing is drawn.

use ratatui::style::{Color, Style};
use ratatui::text::Line as TextLine;

use super::wrap;
use crate::protocol::http::Holds;

/// For a chat: how many of my messages wait on the server, encrypted, for the visitor, and
/// when the server erases the conversation.
pub(super) fn chat(holds: &Holds, unread: usize) -> String {
    let messages = if unread == 1 { "message" } else { "messages" };
    format!(
        "The server keeps {unread} {messages} of yours unread, encrypted. It erases this chat \
         {} after the last message, or when it ends.",
        span(holds.erase_after_idle_s)
    )
}

/// For a conversation that is over: the relay erased it when it ended (nothing of it waits
/// any more, and no idle time is left to count).
pub(super) fn ended() -> String {
    "The conversation is over: the server has erased it.".into()
}

/// For a tip: how long the server keeps it, sealed.
pub(super) fn tip(holds: &Holds) -> String {
    format!(
        "The server keeps this tip sealed until it is handled, at most {} days; replies as long.",
        holds.tip_retention_days
    )
}

/// `text` wrapped to `width`, dimmed: it describes the server, not the conversation.
pub(super) fn lines(text: &str, width: usize) -> Vec<TextLine<'static>> {
    wrap("", text, width)
        .into_iter()
        .map(|l| TextLine::styled(l, Style::default().fg(Color::DarkGray)))
        .collect()
}

/// Seconds in the largest whole unit that says them exactly.
fn span(s: u64) -> String {
    let (n, unit) = match s {
        s if s >= 3600 && s % 3600 == 0 => (s / 3600, "hour"),
        s if s >= 60 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::coordinator::CoordinatorEvent;
    use crate::console::shift::tests::sid;
    use crate::console::tui::tests::{ctrl_key, kit, relay};
    use crate::console::tui::ui::tests::{opened_tip, screen, write_and_send_to_visitor_2};

    fn holds(erase_after_idle_s: u64, tip_retention_days: u64) -> Holds {
        Holds {
            erase_after_idle_s,
            tip_retention_days,
            max_waiting_messages: 256,
        }
    }

    /// The right-hand pane's rows (right of the 27-column side bar) joined, so a wrapped
    /// sentence reads whole.
    fn joined(s: &[String]) -> String {
        s.iter()
            .map(|row| {
                let pane: String = row.chars().skip(27).collect();
                pane.trim_matches(|c: char| c == '│' || c.is_whitespace())
                    .to_owned()
            })
            .filter(|row| !row.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_conversation_says_what_the_server_keeps_live_and_as_configured() {
        let mut k = kit();
        k.two_conversations();
        let s = joined(&screen(&k.app, k.now));
        assert!(
            !s.contains("The server keeps"),
            "a relay that says nothing: {s}"
        );

        k.app.shift.holds = Some(holds(1800, 30));
        write_and_send_to_visitor_2(&mut k, "I am here.");
        k.on(relay(CoordinatorEvent::Stored {
            session: sid(2),
            seq: 2,
        }));
        let s = joined(&screen(&k.app, k.now));
        assert!(
            s.contains("The server keeps 1 message of yours unread, encrypted."),
            "{s}"
        );
        assert!(
            s.contains("It erases this chat 30 minutes after the last message, or when it ends."),
            "{s}"
        );
        k.on(relay(CoordinatorEvent::Delivered {
            session: sid(2),
            seq: 2,
        }));
        k.app.shift.holds = Some(holds(7200, 30));
        let s = joined(&screen(&k.app, k.now));
        assert!(
            s.contains("The server keeps 0 messages of yours unread"),
            "{s}"
        );
        assert!(
            s.contains("erases this chat 2 hours after"),
            "follows the relay: {s}"
        );
    }

    #[test]
    fn an_ended_conversation_no_longer_says_when_the_server_will_erase_it() {
        let mut k = kit();
        k.two_conversations();
        k.app.shift.holds = Some(holds(1800, 30));
        k.on(relay(CoordinatorEvent::Peer {
            session: sid(2),
            event: crate::protocol::frames::PeerEvent::Ended,
        }));
        let s = joined(&screen(&k.app, k.now));
        assert!(
            s.contains("The conversation is over: the server has erased it."),
            "{s}"
        );
        assert!(!s.contains("erases this chat"), "{s}");
    }

    #[test]
    fn a_tip_says_how_long_the_server_keeps_it_sealed() {
        let mut k = kit();
        k.app.shift.holds = Some(holds(1800, 14));
        k.on(ctrl_key('t'));
        k.app.shift.opened_tip = Some(opened_tip(3, "There are people in the back room."));
        let s = joined(&screen(&k.app, k.now));
        assert!(
            s.contains(
                "The server keeps this tip sealed until it is handled, at most 14 days; replies as long."
            ),
            "{s}"
        );
        k.app.shift.holds = None;
        let s = joined(&screen(&k.app, k.now));
        assert!(!s.contains("The server keeps"), "nothing invented: {s}");
    }

    #[test]
    fn spans_read_plainly() {
        assert_eq!(span(1800), "30 minutes");
        assert_eq!(span(3600), "1 hour");
        assert_eq!(span(90), "90 seconds");
        assert_eq!(span(60), "1 minute");
    }
}
