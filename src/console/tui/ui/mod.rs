//! Drawing the console with ratatui: a header (who, certificate expiry, duty), the sidebar
//! (queue, conversations with unread counts), the open conversation or tip with its
//! composer, pickers and confirmations as overlays, a status line, and the keys in a footer.
//! Works at 80×24.
//!
//! It must never change state or talk to the network: it only reads an [`App`] and its
//! shift. While the console is locked it draws nothing of a conversation or a tip.
//!
//! Here: the frame, header, footer, lock screen and shared helpers; `chats` and `tips`
//! draw the two screens, `overlays` the pickers, confirmations and help.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::text;
use super::{App, Mode};
use crate::console::shift::Screen;
use crate::protocol::frames::ConversationKind;

mod chats;
pub mod composer;
#[cfg(test)]
mod delivery_tests;
mod holds;
mod overlays;
#[cfg(test)]
mod team_tests;
#[cfg(test)]
pub(crate) mod tests;
mod tips;

pub use overlays::HELP;
use overlays::{draw_confirm, draw_help, draw_resources, draw_roster, draw_transfer};

/// `45s`, `12m`, `1h05m`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// Unix seconds as a UTC date, `YYYY-MM-DD`.
pub fn date(unix: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (unix / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Unix seconds as a UTC date and minute, `YYYY-MM-DD HH:MM` (the caller says "UTC").
pub fn date_minute(unix: u64) -> String {
    let minute = unix % 86_400 / 60;
    format!("{} {:02}:{:02}", date(unix), minute / 60, minute % 60)
}

fn kind(kind: ConversationKind) -> &'static str {
    match kind {
        ConversationKind::Chat => "chat",
        ConversationKind::Tip => "tip",
    }
}

fn key_style() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

/// The footer: `(key, action)` pairs for the current mode.
pub fn footer_keys(app: &App) -> Vec<(&'static str, &'static str)> {
    if app.shift.is_locked() {
        return vec![("type", "passphrase"), ("⏎", "unlock")];
    }
    match (&app.mode, app.shift.screen) {
        (Mode::Help, _) => vec![("any key", "close help")],
        (Mode::Compose, Screen::Chats) => vec![
            ("⏎", "send"),
            ("Esc", "stop writing"),
            ("^R", "insert resource"),
            ("^L", "lock"),
        ],
        (Mode::Compose, Screen::Tips) => vec![
            ("⏎", "seal & send reply"),
            ("Esc", "stop writing"),
            ("^R", "insert resource"),
        ],
        (Mode::PickResource { .. }, _) => {
            vec![
                ("↑↓", "choose"),
                ("⏎", "insert (editable)"),
                ("Esc", "cancel"),
            ]
        }
        (Mode::PickTransfer { .. }, _) => {
            vec![("↑↓", "choose"), ("⏎", "write a note"), ("Esc", "cancel")]
        }
        (Mode::WriteNote { .. }, _) => {
            vec![("⏎", "transfer with the note"), ("Esc", "cancel transfer")]
        }
        (Mode::Roster, _) => vec![("any key", "close")],
        (
            Mode::ConfirmEnd(_)
            | Mode::ConfirmHandled(_)
            | Mode::ConfirmTakeOver(_)
            | Mode::ConfirmQuit,
            _,
        ) => {
            vec![("y", "confirm"), ("other", "cancel")]
        }
        (Mode::Normal, Screen::Chats) => vec![
            ("⏎", "write"),
            ("^D", "duty"),
            ("^N", "next"),
            ("^R", "res"),
            ("^X", "transfer"),
            ("^W", "end"),
            ("^T", "tips"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
        (Mode::Normal, Screen::Tips) => vec![
            ("↑↓", "sel"),
            ("⏎", "open"),
            ("type", "reply"),
            ("^K", "take"),
            ("^W", "handled"),
            ("^U", "refresh"),
            ("^T", "chats"),
            ("F1", "help"),
            ("^Q", "quit"),
        ],
    }
}

/// Draws the whole console for `now` (live waits and open times count from it).
pub fn draw(frame: &mut Frame, app: &App, now: Instant) {
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, app, header);
    draw_footer(frame, app, footer);
    let shift = &app.shift;
    if shift.is_locked() {
        draw_locked(frame, body, app.typed_len(), shift.unlock_failed());
        let note = if shift.queue.is_empty() {
            String::new()
        } else {
            format!("{} waiting", shift.queue.len())
        };
        frame.render_widget(Paragraph::new(note), status);
        return;
    }
    frame.render_widget(
        Paragraph::new(text::notice(&shift.status)).style(Style::default().fg(Color::Yellow)),
        status,
    );
    match shift.screen {
        Screen::Chats => chats::draw_chats(frame, app, body, now),
        Screen::Tips => tips::draw_tips(frame, app, body),
    }
    match &app.mode {
        Mode::PickResource { index } => draw_resources(frame, app, body, *index),
        Mode::PickTransfer { index } => draw_transfer(frame, app, body, *index),
        Mode::ConfirmEnd(session) => {
            let unstored = shift.conversation(session).map_or(0, |c| c.unstored());
            draw_confirm(frame, body, &text::confirm_end(unstored));
        }
        Mode::ConfirmHandled(_) => draw_confirm(
            frame,
            body,
            "Mark this tip handled? It is deleted from the relay. (y/n)",
        ),
        Mode::ConfirmTakeOver(_) => draw_confirm(
            frame,
            body,
            "A colleague holds this tip. Take it over? They are told. (y/n)",
        ),
        Mode::Roster => draw_roster(frame, app, body),
        Mode::ConfirmQuit => draw_confirm(
            frame,
            body,
            "Quit? You go off duty; visitors you hold return to the queue. (y/n)",
        ),
        Mode::Help => draw_help(frame, body),
        _ => {}
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let app = &app.shift;
    let duty = if !app.connected {
        Span::styled(
            " OFFLINE ",
            Style::default().bg(Color::Red).fg(Color::White),
        )
    } else if app.on_duty {
        Span::styled(
            " ON DUTY ",
            Style::default().bg(Color::Green).fg(Color::Black),
        )
    } else {
        Span::styled(" off duty ", Style::default().bg(Color::DarkGray))
    };
    let held = app.held();
    let expiring = app.certificate_warning().map(|w| {
        Span::styled(
            format!(" renew: {}d left ", w.days_left()),
            Style::default().bg(Color::Yellow).fg(Color::Black),
        )
    });
    let mut spans = vec![
        Span::styled(
            format!(" {} ", app.me.alias),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            "#{} · cert until {} ",
            app.me.serial,
            date(app.me.not_after)
        )),
    ];
    spans.extend(expiring);
    spans.push(duty);
    spans.push(Span::raw(format!(
        " {held}/{} · queue {} · tips {}",
        app.settings.capacity,
        app.queue.len(),
        app.tips.len()
    )));
    // Last, so a narrow terminal cuts it before anything a shift depends on.
    if let Some(fingerprint) = &app.fingerprint {
        spans.push(Span::raw(format!(" · key {fingerprint}")));
    }
    let line = TextLine::from(spans);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    for (i, (key, action)) in footer_keys(app).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(key, key_style()));
        spans.push(Span::raw(format!(" {action}")));
    }
    frame.render_widget(Paragraph::new(TextLine::from(spans)), area);
}

fn draw_locked(frame: &mut Frame, area: Rect, typed: usize, failed: bool) {
    let mut lines = vec![
        TextLine::from(""),
        TextLine::from(Span::styled(
            "  Console locked",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        TextLine::from(""),
        TextLine::from("  Type your passphrase and press Enter to unlock."),
        TextLine::from(format!("  {}", "•".repeat(typed.min(40)))),
    ];
    if failed {
        lines.push(TextLine::from(Span::styled(
            "  Wrong passphrase.",
            Style::default().fg(Color::Red),
        )));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL)),
        area,
    );
}

fn selected_style() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// Wraps `text` to `width` columns (by characters), prefixing the first line; every line fits
/// in `width`, since ratatui clips what does not (a reply cut off mid-sentence).
///
/// Continuation lines are indented under the words, unless the prefix (a reply's author and
/// time) would leave them too narrow to read: then by two columns. A word wider than a line
/// (a long address) is cut, and a prefix with no room after it stands on its own lines.
fn wrap(prefix: &str, text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let prefix_width = prefix.chars().count();
    if prefix_width + 1 >= width {
        let mut out = wrap("", prefix, width);
        out.extend(wrap("", text, width));
        return out;
    }
    let indent_width = if prefix_width <= width / 2 {
        prefix_width
    } else {
        2
    };
    let indent = " ".repeat(indent_width);
    let mut out = Vec::new();
    let mut line = prefix.to_owned();
    let mut used = prefix_width;
    // Whether `line` holds a word yet (beyond the prefix or the indent): only then may it end
    // before the next word. (Comparing lengths with the prefix's let continuation lines,
    // shorter than a long prefix, grow past the width.)
    let mut has_word = false;
    let mut first = true;
    for word in text.split_whitespace() {
        let mut rest: Vec<char> = word.chars().collect();
        loop {
            let gap = usize::from(has_word || !(line.is_empty() || line.ends_with(' ')));
            if used + gap + rest.len() <= width {
                line.extend(std::iter::repeat_n(' ', gap).chain(rest.iter().copied()));
                used += gap + rest.len();
                has_word = true;
                break;
            }
            // Too long for what is left of this line: go on to the next, unless the word would
            // not fit there either (then it is cut here, where it already started a line).
            if has_word || (first && rest.len() <= width - indent_width) {
                out.push(std::mem::replace(&mut line, indent.clone()));
                used = indent_width;
                has_word = false;
                first = false;
                continue;
            }
            // `width - used - gap` is at least 1 here: the prefix leaves room (checked above)
            // and an indent is at most half the width or 2 of a width over the prefix's.
            let room = width.saturating_sub(used + gap).max(1);
            let cut = room.min(rest.len());
            line.extend(std::iter::repeat_n(' ', gap).chain(rest.drain(..cut)));
            out.push(std::mem::replace(&mut line, indent.clone()));
            used = indent_width;
            has_word = false;
            first = false;
            if rest.is_empty() {
                break;
            }
        }
    }
    out.push(line);
    out
}

fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
