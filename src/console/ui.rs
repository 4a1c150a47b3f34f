//! Drawing the console with ratatui: a header (who, certificate expiry, duty), the sidebar
//! (queue, conversations with unread counts), the open conversation or tip with its
//! composer, pickers and confirmations as overlays, a status line, and the keys in a footer.
//! Works at 80×24.
//!
//! It must never change state or talk to the network: it only reads an [`App`]. While the
//! console is locked it draws nothing of a conversation or a tip.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::app::{App, ConvState, Mark, Mode, Screen, Selected, Who};
use crate::protocol::frames::ConversationKind;

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
    match (&app.mode, app.screen) {
        (Mode::Locked { .. }, _) => vec![("type", "passphrase"), ("⏎", "unlock")],
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
            vec![("↑↓", "choose"), ("⏎", "transfer"), ("Esc", "cancel")]
        }
        (Mode::ConfirmEnd(_) | Mode::ConfirmHandled(_) | Mode::ConfirmQuit, _) => {
            vec![("y", "confirm"), ("other", "cancel")]
        }
        (Mode::Normal, Screen::Chats) => vec![
            ("↑↓", "sel"),
            ("⏎", "answer/write"),
            ("d", "duty"),
            ("r", "res"),
            ("x", "transfer"),
            ("e", "end"),
            ("t", "tips"),
            ("L", "lock"),
            ("?", "help"),
            ("q", "quit"),
        ],
        (Mode::Normal, Screen::Tips) => vec![
            ("↑↓", "sel"),
            ("⏎", "open"),
            ("r", "reply"),
            ("h", "handled"),
            ("u", "refresh"),
            ("t", "chats"),
            ("L", "lock"),
            ("?", "help"),
            ("q", "quit"),
        ],
    }
}

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
    if let Mode::Locked { typed, failed } = &app.mode {
        draw_locked(frame, body, typed.chars().count(), *failed);
        let note = if app.queue.is_empty() {
            String::new()
        } else {
            format!("{} waiting", app.queue.len())
        };
        frame.render_widget(Paragraph::new(note), status);
        return;
    }
    frame.render_widget(
        Paragraph::new(app.status.as_str()).style(Style::default().fg(Color::Yellow)),
        status,
    );
    match app.screen {
        Screen::Chats => draw_chats(frame, app, body, now),
        Screen::Tips => draw_tips(frame, app, body),
    }
    match &app.mode {
        Mode::PickResource { index } => draw_resources(frame, app, body, *index),
        Mode::PickTransfer { index } => draw_transfer(frame, app, body, *index),
        Mode::ConfirmEnd(_) => draw_confirm(
            frame,
            body,
            "End this conversation? The visitor is told and everything is erased. (y/n)",
        ),
        Mode::ConfirmHandled(_) => draw_confirm(
            frame,
            body,
            "Mark this tip handled? It is deleted from the relay. (y/n)",
        ),
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
    let held = app
        .conversations
        .iter()
        .filter(|c| c.state != ConvState::Ended)
        .count();
    let line = TextLine::from(vec![
        Span::styled(
            format!(" {} ", app.me.alias),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            "#{} · cert until {} ",
            app.me.serial,
            date(app.me.not_after)
        )),
        duty,
        Span::raw(format!(
            " {held}/{} · queue {} · tips {}",
            app.settings.capacity,
            app.queue.len(),
            app.tips.len()
        )),
    ]);
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

fn draw_chats(frame: &mut Frame, app: &App, area: Rect, now: Instant) {
    let [side, main] =
        Layout::horizontal([Constraint::Length(27), Constraint::Min(20)]).areas(area);
    let queue_height = (app.queue.len() as u16 + 2).clamp(3, side.height / 2);
    let [queue_area, conv_area] =
        Layout::vertical([Constraint::Length(queue_height), Constraint::Min(3)]).areas(side);

    let queue_items: Vec<ListItem> = app
        .queue
        .iter()
        .map(|q| {
            let text = format!(
                "{:<5} {:<5} {:>6}",
                kind(q.kind),
                q.lang.as_deref().unwrap_or("?"),
                duration(q.waited(now))
            );
            let style = if app.selected == Some(Selected::Queue(q.session)) {
                selected_style()
            } else {
                Style::default()
            };
            ListItem::new(text).style(style)
        })
        .collect();
    let queue_title = if app.on_duty {
        format!("Queue ({})", app.queue.len())
    } else {
        "Queue (off duty)".to_owned()
    };
    frame.render_widget(
        List::new(queue_items).block(Block::default().borders(Borders::ALL).title(queue_title)),
        queue_area,
    );

    let conv_items: Vec<ListItem> = app
        .conversations
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let unread = if c.unread > 0 {
                format!(" [{}]", c.unread)
            } else {
                String::new()
            };
            let state = match c.state {
                ConvState::Open => "",
                ConvState::Away => " away",
                ConvState::Transferring => " →",
                ConvState::Ended => " ended",
            };
            let text = format!(
                "{} Visitor {} {}{}{}",
                i + 1,
                c.number,
                c.lang.as_deref().unwrap_or("?"),
                state,
                unread
            );
            let mut style = Style::default();
            if c.unread > 0 {
                style = style.add_modifier(Modifier::BOLD).fg(Color::Yellow);
            }
            if app.selected == Some(Selected::Conversation(c.session)) {
                style = selected_style();
            }
            ListItem::new(text).style(style)
        })
        .collect();
    frame.render_widget(
        List::new(conv_items).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!("Conversations ({})", app.conversations.len())),
        ),
        conv_area,
    );

    match app.selected {
        Some(Selected::Conversation(_)) => draw_conversation(frame, app, main, now),
        Some(Selected::Queue(session)) => {
            let row = app.queue.iter().find(|q| q.session == session);
            let text = match row {
                Some(q) => format!(
                    "A visitor is waiting: {}, language {}, for {}.\n\nPress Enter to answer.",
                    kind(q.kind),
                    q.lang.as_deref().unwrap_or("not given"),
                    duration(q.waited(now))
                ),
                None => String::new(),
            };
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::default().borders(Borders::ALL).title("Waiting")),
                main,
            );
        }
        None => {
            let text = if app.on_duty {
                "Nobody is waiting. New visitors ring the bell and appear on the left."
            } else {
                "You are off duty. Press d to go on duty."
            };
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::default().borders(Borders::ALL)),
                main,
            );
        }
    }
}

/// Wraps `text` to `width` columns (by characters), prefixing the first line.
fn wrap(prefix: &str, text: &str, width: usize) -> Vec<String> {
    let width = width.max(prefix.chars().count() + 8);
    let mut out = Vec::new();
    let mut line = prefix.to_owned();
    let indent = " ".repeat(prefix.chars().count());
    for word in text.split_whitespace() {
        let needed = line.chars().count() + word.chars().count() + 1;
        if needed > width && line.trim().len() > prefix.trim().len() {
            out.push(std::mem::replace(&mut line, indent.clone()));
        }
        if !line.ends_with(' ') && !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

fn draw_conversation(frame: &mut Frame, app: &App, area: Rect, now: Instant) {
    let Some(c) = app.current() else {
        return;
    };
    let mut title = format!(
        "Visitor {} · {} · {} · open {}",
        c.number,
        kind(c.kind),
        c.lang.as_deref().unwrap_or("lang ?"),
        duration(c.open_for(now))
    );
    if let Some(from) = &c.transferred_from {
        title.push_str(&format!(" · from {from}"));
    }
    let [transcript_area, compose_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let inner_width = transcript_area.width.saturating_sub(2) as usize;
    let mut rows: Vec<TextLine> = Vec::new();
    for line in &c.lines {
        let (prefix, style) = match line.who {
            Who::Visitor => ("Visitor: ", Style::default().fg(Color::Cyan)),
            Who::Me => ("You: ", Style::default()),
            Who::System => ("· ", Style::default().fg(Color::DarkGray)),
        };
        let mut wrapped = wrap(prefix, &line.text, inner_width.saturating_sub(3));
        if line.who == Who::Me
            && let Some(last) = wrapped.last_mut()
        {
            last.push_str(match line.mark {
                Mark::Pending => " …",
                Mark::Sent => " ✓",
                Mark::Delivered => " ✓✓",
            });
        }
        rows.extend(wrapped.into_iter().map(|w| TextLine::styled(w, style)));
    }
    let visible = transcript_area.height.saturating_sub(2) as usize;
    let back = c.scrolled_back.min(rows.len().saturating_sub(visible));
    if back > 0 {
        title.push_str(&format!(" · ↑{back} (PgDn)"));
    }
    let skip = rows.len().saturating_sub(visible + back);
    let rows: Vec<TextLine> = rows.into_iter().skip(skip).take(visible).collect();
    frame.render_widget(
        Paragraph::new(rows).block(Block::default().borders(Borders::ALL).title(title)),
        transcript_area,
    );
    let composing = app.mode == Mode::Compose;
    let compose_title = if composing {
        format!("To Visitor {} (Enter sends)", c.number)
    } else {
        format!("Draft to Visitor {} (Enter to write)", c.number)
    };
    draw_composer(frame, compose_area, &c.draft, composing, compose_title);
}

fn draw_composer(frame: &mut Frame, area: Rect, draft: &str, active: bool, title: String) {
    let width = area.width.saturating_sub(3) as usize;
    let chars: Vec<char> = draft.chars().collect();
    let shown: String = chars[chars.len().saturating_sub(width)..].iter().collect();
    let style = if active {
        Style::default().fg(Color::Green)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    frame.render_widget(
        Paragraph::new(format!("{shown}{}", if active { "▏" } else { "" })).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(style)
                .title(title),
        ),
        area,
    );
}

fn draw_tips(frame: &mut Frame, app: &App, area: Rect) {
    let [side, main] =
        Layout::horizontal([Constraint::Length(27), Constraint::Min(20)]).areas(area);
    let items: Vec<ListItem> = app
        .tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let text = format!("{} +{} ↩{}", &date(t.received)[5..], t.followups, t.replies);
            let time = format!(
                "{:02}:{:02} ",
                (t.received % 86_400) / 3600,
                (t.received % 3600) / 60
            );
            let style = if i == app.tip_cursor {
                selected_style()
            } else {
                Style::default()
            };
            ListItem::new(format!("{time}{text}")).style(style)
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(app.tip_cursor));
    frame.render_stateful_widget(
        List::new(items).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!("Tips ({})", app.tips.len())),
        ),
        side,
        &mut state,
    );
    let [tip_area, compose_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(main);
    match &app.opened_tip {
        Some(tip) => {
            let width = tip_area.width.saturating_sub(3) as usize;
            let mut rows: Vec<TextLine> = Vec::new();
            if let Some(category) = &tip.category {
                rows.push(TextLine::from(format!("Category: {category}")));
            }
            rows.extend(wrap("", &tip.text, width).into_iter().map(TextLine::from));
            for (i, f) in tip.followups.iter().enumerate() {
                rows.extend(
                    wrap(&format!("Follow-up {}: ", i + 1), f, width)
                        .into_iter()
                        .map(|l| TextLine::styled(l, Style::default().fg(Color::Cyan))),
                );
            }
            if tip.reply_key.is_none() {
                rows.push(TextLine::from("(no reply possible: no receipt key)"));
            }
            if tip.replies_sent > 0 {
                rows.push(TextLine::styled(
                    format!("You replied {} time(s) this shift.", tip.replies_sent),
                    Style::default().fg(Color::DarkGray),
                ));
            }
            frame.render_widget(
                Paragraph::new(rows).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title("Tip (decrypted in memory only)"),
                ),
                tip_area,
            );
            draw_composer(
                frame,
                compose_area,
                &tip.draft,
                app.mode == Mode::Compose,
                "Reply to the tipster's receipt".into(),
            );
        }
        None => frame.render_widget(
            Paragraph::new("Select a tip and press Enter to open it with the inbox key.")
                .wrap(Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL).title("Tip")),
            main,
        ),
    }
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

fn draw_resources(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let offered = app.offered_resources();
    let rect = popup(area, 70, (offered.len() as u16 + 2).min(16));
    let items: Vec<ListItem> = offered
        .iter()
        .map(|r| ListItem::new(format!("{:<4} {:<3} {}", r.region, r.lang, r.title)))
        .collect();
    let mut state = ListState::default().with_selected(Some(index));
    frame.render_widget(Clear, rect);
    frame.render_stateful_widget(
        List::new(items).highlight_style(selected_style()).block(
            Block::default()
                .borders(Borders::ALL)
                .title("Insert a resource"),
        ),
        rect,
        &mut state,
    );
}

fn draw_transfer(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let targets = app.transfer_targets();
    let rect = popup(area, 50, targets.len() as u16 + 2);
    let items: Vec<ListItem> = targets
        .iter()
        .map(|c| ListItem::new(format!("{} ({}/{})", c.alias, c.load, c.capacity)))
        .collect();
    let mut state = ListState::default().with_selected(Some(index));
    frame.render_widget(Clear, rect);
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(selected_style())
            .block(Block::default().borders(Borders::ALL).title("Transfer to")),
        rect,
        &mut state,
    );
}

fn draw_confirm(frame: &mut Frame, area: Rect, text: &str) {
    let rect = popup(area, 60, 5);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL).title("Confirm")),
        rect,
    );
}

pub const HELP: &[(&str, &str)] = &[
    ("d", "go on / off duty"),
    ("↑↓ j k", "move in the queue and conversations"),
    ("Enter", "answer the selected visitor / write to them"),
    ("c", "answer the visitor waiting longest"),
    ("1-9, Tab", "switch conversation"),
    ("PgUp PgDn", "scroll the conversation back / forward"),
    ("r, ^R", "insert a ready-made resource (editable)"),
    ("x", "transfer to a colleague on duty"),
    ("e", "end (or close an ended) conversation"),
    ("t", "tips inbox: Enter open, r reply, h handled"),
    ("L, ^L", "lock now (also after idle time)"),
    ("q, ^C", "quit (goes off duty)"),
];

fn draw_help(frame: &mut Frame, area: Rect) {
    let rect = popup(area, 64, HELP.len() as u16 + 2);
    let lines: Vec<TextLine> = HELP
        .iter()
        .map(|(k, v)| {
            TextLine::from(vec![
                Span::styled(
                    format!("{k:<10}"),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*v),
            ])
        })
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title("Keys")),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::coordinator::CoordinatorEvent;
    use crate::console::app::tests::*;
    use crate::console::app::{AppEvent, NetEvent};
    use crate::protocol::frames::{CoordinatorInfo, TipSummary};
    use crossterm::event::KeyCode;
    use ratatui::backend::TestBackend;

    /// Renders at 80×24 and returns the screen as lines of text.
    fn screen(app: &App, now: Instant) -> Vec<String> {
        let mut terminal = ratatui::Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| draw(f, app, now)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..24)
            .map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect::<String>())
            .collect()
    }

    fn contains(screen: &[String], needle: &str) -> bool {
        screen.iter().any(|l| l.contains(needle))
    }

    #[test]
    fn the_queue_screen_at_80x24_shows_who_i_am_the_queue_and_the_keys() {
        let mut k = kit();
        k.on(ch('d'));
        k.on(queue(&[(1, 120, "en"), (2, 0, "fr")]));
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
            "sel",
            "answer/write",
            "duty",
            "transfer",
            "end",
            "tips",
            "lock",
            "help",
            "quit",
        ] {
            assert!(footer.contains(k), "footer lacks {k}: {footer}");
        }
        assert!(
            footer.starts_with("↑↓ sel ⏎ answer/write d duty"),
            "{footer}"
        );
        assert!(
            footer.trim_end().ends_with("q quit"),
            "the whole footer fits: {footer}"
        );
    }

    #[test]
    fn the_conversation_screen_separates_visitors_and_shows_unread_and_marks() {
        let mut k = kit();
        k.two_conversations();
        k.on(text(1, "are you there?"));
        k.on(text(2, "bonjour, j'ai besoin d'aide"));
        k.on(key(KeyCode::Enter));
        k.typing("Je suis là.");
        k.on(key(KeyCode::Enter));
        k.on(AppEvent::Net(NetEvent::Sent {
            session: sid(2),
            seq: 2,
        }));
        k.on(relay(CoordinatorEvent::Delivered {
            session: sid(2),
            seq: 2,
        }));
        k.typing("Vous êtes en sécurité ?");
        k.later(125, AppEvent::Tick);
        let s = screen(&k.app, k.now);
        assert!(contains(&s, "Conversations (2)"), "{s:#?}");
        assert!(
            contains(&s, "1 Visitor 1 en [1]"),
            "unread count on the other one: {s:#?}"
        );
        assert!(contains(&s, "2 Visitor 2 fr"));
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
        k.on(key(KeyCode::Char('2')));
        for i in 1..=40 {
            k.on(text(2, &format!("line {i:02}")));
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
        }])));
        k.on(ch('x'));
        let s = screen(&k.app, k.now);
        assert!(contains(&s, "Transfer to"));
        assert!(contains(&s, "Bastien (0/2)"));
        k.on(key(KeyCode::Esc));
        k.on(ch('r'));
        let s = screen(&k.app, k.now);
        assert!(contains(&s, "Insert a resource"));
        assert!(contains(&s, "Hébergement 115"));
        assert!(contains(&s, "211 local help"));
        k.on(key(KeyCode::Esc));
        k.on(key(KeyCode::Esc));
        k.on(ch('t'));
        k.on(relay(CoordinatorEvent::Tips(vec![TipSummary {
            id: crate::protocol::TipId([3; 16]),
            received: 1_700_000_040,
            followups: 2,
            replies: 1,
        }])));
        let s = screen(&k.app, k.now);
        assert!(contains(&s, "Tips (1)"), "{s:#?}");
        assert!(contains(&s, "22:14 11-14 +2 ↩1"), "{s:#?}");
        assert!(s[23].contains("open") && s[23].contains("handled"));
    }

    #[test]
    fn the_lock_screen_shows_no_conversation_and_the_help_lists_every_key() {
        let mut k = kit();
        k.two_conversations();
        k.on(text(2, "my address is 12 rue X"));
        k.on(ch('?'));
        let s = screen(&k.app, k.now);
        for (key, _) in HELP {
            assert!(contains(&s, key), "help lacks {key}");
        }
        k.on(ch('x'));
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
    }

    #[test]
    fn wrapping_keeps_words_and_indents() {
        let lines = wrap("You: ", "one two three four five six", 16);
        assert_eq!(lines, ["You: one two", "     three four", "     five six"]);
    }
}
