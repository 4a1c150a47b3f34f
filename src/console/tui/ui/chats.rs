//! The chats screen: the queue and my conversations on the left, the shown conversation's
//! transcript (wrapped, scrollable, with delivery marks) and its composer on the right.
//!
//! It must never draw one conversation's lines under another's title.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, Paragraph, Wrap};

use super::super::{App, Mode, text};
use super::{composer, duration, holds, kind, selected_style, wrap};
use crate::console::shift::{ConvState, Mark, Note, Selected, Who};

pub(super) fn draw_chats(frame: &mut Frame, tui: &App, area: Rect, now: Instant) {
    let app = &tui.shift;
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
        .map(|c| {
            let unread = if c.unread > 0 {
                format!(" [{}]", c.unread)
            } else {
                String::new()
            };
            // Held by the relay while the console signs in again and resumes it: say so.
            let reconnecting = c
                .lines
                .last()
                .is_some_and(|l| l.who == Who::System(Note::ConnectionLost));
            let state = match c.state {
                ConvState::Ended => " ended",
                _ if reconnecting => " reconnecting…",
                ConvState::Open => "",
                ConvState::Away => " away",
                ConvState::Transferring => " →",
            };
            // The number is the conversation's own (Alt-N selects it), never its position.
            let text = format!(
                "Visitor {} {}{}{}",
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
        Some(Selected::Conversation(_)) => draw_conversation(frame, tui, main, now),
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
                "You are off duty. Ctrl-D goes on duty."
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

fn draw_conversation(frame: &mut Frame, tui: &App, area: Rect, now: Instant) {
    let Some(c) = tui.shift.current() else {
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
    let writing_note = match &tui.mode {
        Mode::WriteNote { alias, .. } => Some(alias.as_str()),
        _ => None,
    };
    let (note, note_cursor) = tui.note();
    let boxed = if writing_note.is_some() {
        note
    } else {
        c.draft.as_str()
    };
    let draft_rows = composer::height(boxed, area.width);
    let unread = c.kept_unread();
    let keeps = tui.shift.holds.as_ref().map_or_else(Vec::new, |h| {
        let said = if c.state == ConvState::Ended {
            holds::ended()
        } else {
            holds::chat(h, unread)
        };
        holds::lines(&said, area.width.saturating_sub(2).into())
    });
    let [transcript_area, keeps_area, compose_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(keeps.len() as u16),
        Constraint::Length(draft_rows),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(keeps), keeps_area.inner(Margin::new(1, 0)));
    let inner_width = transcript_area.width.saturating_sub(2) as usize;
    let mut rows: Vec<TextLine> = Vec::new();
    for line in &c.lines {
        let (prefix, style, words) = match &line.who {
            Who::Visitor => ("Visitor: ", Style::default().fg(Color::Cyan), None),
            Who::Me => ("You: ", Style::default(), None),
            Who::System(note) => (
                "· ",
                Style::default().fg(Color::DarkGray),
                Some(text::note(note)),
            ),
        };
        let words = words.as_deref().unwrap_or(&line.text);
        let wrapped = wrap(prefix, words, inner_width.saturating_sub(3));
        if line.who == Who::Me {
            rows.extend(marked(wrapped, line.mark, prefix.len(), inner_width, style));
        } else {
            rows.extend(wrapped.into_iter().map(|w| TextLine::styled(w, style)));
        }
    }
    let visible = transcript_area.height.saturating_sub(2) as usize;
    let back = tui
        .scrolled_back(&c.session)
        .min(rows.len().saturating_sub(visible));
    if back > 0 {
        title.push_str(&format!(" · ↑{back} (PgDn)"));
    }
    let skip = rows.len().saturating_sub(visible + back);
    let rows: Vec<TextLine> = rows.into_iter().skip(skip).take(visible).collect();
    frame.render_widget(
        Paragraph::new(rows).block(Block::default().borders(Borders::ALL).title(title)),
        transcript_area,
    );
    if let Some(alias) = writing_note {
        // The note's own box: its title says who reads it, and that the visitor does not.
        let title =
            format!("Note for {alias} (not sent to the visitor) · Enter transfers, Esc cancels");
        composer::draw(frame, compose_area, note, Some(note_cursor), title);
        return;
    }
    let composing = tui.mode == Mode::Compose;
    let compose_title = if composing {
        format!("To Visitor {} (Enter sends)", c.number)
    } else {
        format!("Draft to Visitor {} (Enter to write)", c.number)
    };
    let cursor = composing.then(|| tui.cursor());
    composer::draw(frame, compose_area, &c.draft, cursor, compose_title);
}

/// My message's rows with its delivery mark after the last word; a mark too long for what is
/// left of that row gets a row of its own, under the words, so it is never cut off.
fn marked(
    mut wrapped: Vec<String>,
    mark: Mark,
    indent: usize,
    width: usize,
    style: Style,
) -> Vec<TextLine<'static>> {
    let (sign, sign_style) = match mark {
        Mark::Pending => (" …", style),
        Mark::Sent => (" ✓", style),
        Mark::Undelivered => (
            " ✗ not delivered",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Mark::Delivered => (" ✓✓", style),
        // Its words went back to the box below, to send again.
        Mark::NotSent => (
            " ✗ not sent",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
    };
    let last = wrapped.pop().unwrap_or_default();
    let mut rows: Vec<TextLine> = wrapped
        .into_iter()
        .map(|w| TextLine::styled(w, style))
        .collect();
    if last.chars().count() + sign.chars().count() <= width {
        rows.push(TextLine::from(vec![
            Span::styled(last, style),
            Span::styled(sign, sign_style),
        ]));
    } else {
        rows.push(TextLine::styled(last, style));
        let under = " ".repeat(indent.saturating_sub(1));
        rows.push(TextLine::from(vec![
            Span::raw(under),
            Span::styled(sign, sign_style),
        ]));
    }
    rows
}
