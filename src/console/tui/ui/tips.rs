//! The tips screen: the inbox list on the left, the opened tip with its follow-ups and the
//! reply composer on the right.
//!
//! It must never draw a tip while the console is locked (the shift drops it on lock).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line as TextLine;
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use super::super::{App, Mode, text};
use super::{composer, date, holds, selected_style, wrap};

pub(super) fn draw_tips(frame: &mut Frame, tui: &App, area: Rect) {
    let app = &tui.shift;
    let [side, main] =
        Layout::horizontal([Constraint::Length(27), Constraint::Min(20)]).areas(area);
    let items: Vec<ListItem> = app
        .tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let received = format!(
                "Received {} {:02}:{:02}",
                &date(t.received)[5..],
                (t.received % 86_400) / 3600,
                (t.received % 3600) / 60
            );
            let thread = format!("  {}", text::tip_thread(t.followups, t.replies));
            let style = if i == tui.tip_cursor {
                selected_style()
            } else {
                Style::default()
            };
            ListItem::new(vec![TextLine::from(received), TextLine::from(thread)]).style(style)
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(tui.tip_cursor));
    frame.render_stateful_widget(
        List::new(items).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!("Tips ({})", app.tips.len())),
        ),
        side,
        &mut state,
    );
    let draft = app.opened_tip.as_ref().map_or("", |t| t.draft.as_str());
    let [tip_area, compose_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(composer::height(draft, main.width)),
    ])
    .areas(main);
    match &app.opened_tip {
        Some(tip) => {
            let width = tip_area.width.saturating_sub(3) as usize;
            let mut rows: Vec<TextLine> = Vec::new();
            if let Some(category) = &tip.category {
                rows.push(TextLine::from(format!("Category: {category}")));
            }
            if let Some(h) = &app.holds {
                rows.extend(holds::lines(&holds::tip(h), width));
            }
            if tip.sealed_by_relay {
                rows.push(TextLine::styled(
                    "Sent without JavaScript: sealed by the relay, which saw the text once.",
                    Style::default().fg(Color::Yellow),
                ));
            }
            if tip.text.trim().is_empty() {
                // The relay cannot see inside a sealed tip, so an empty one can arrive from an
                // older widget or another client: say so rather than show a blank screen.
                rows.push(TextLine::styled(
                    text::EMPTY_TIP,
                    Style::default().fg(Color::DarkGray),
                ));
            } else {
                rows.extend(wrap("", &tip.text, width).into_iter().map(TextLine::from));
            }
            for (i, f) in tip.followups.iter().enumerate() {
                let f = text::followup(f);
                rows.extend(
                    wrap(&format!("Follow-up {}: ", i + 1), &f, width)
                        .into_iter()
                        .map(|l| TextLine::styled(l, Style::default().fg(Color::Cyan))),
                );
            }
            for (i, r) in tip.replies.iter().enumerate() {
                let r = text::followup(r);
                rows.extend(
                    wrap(&format!("Reply {}: ", i + 1), &r, width)
                        .into_iter()
                        .map(|l| TextLine::styled(l, Style::default().fg(Color::Green))),
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
            let cursor = (tui.mode == Mode::Compose).then(|| tui.cursor());
            composer::draw(
                frame,
                compose_area,
                &tip.draft,
                cursor,
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
