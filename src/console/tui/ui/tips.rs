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
            let received = format!("Received {}", minute_stamp(t.received));
            let thread = format!("  {}", text::tip_thread(t.followups, t.replies));
            let holder = format!("  {}", text::tip_holder(app.tip_holder(t.id)));
            let style = if i == tui.tip_cursor {
                selected_style()
            } else {
                Style::default()
            };
            let rows = vec![
                TextLine::from(received),
                TextLine::from(thread),
                TextLine::from(holder),
            ];
            ListItem::new(rows).style(style)
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
            let mut rows: Vec<TextLine> = vec![TextLine::styled(
                text::tip_holder(app.tip_holder(tip.id)),
                Style::default().fg(Color::Magenta),
            )];
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
                let by = r.by.as_deref().unwrap_or("a colleague");
                let when = r.filed.map_or("this shift".into(), minute_stamp);
                let words = text::followup(&r.text);
                rows.extend(
                    wrap(&format!("Reply {} ({by}, {when}): ", i + 1), &words, width)
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

/// Unix seconds as `MM-DD HH:MM` (UTC): the relay keeps times to the minute only.
fn minute_stamp(unix: u64) -> String {
    format!(
        "{} {:02}:{:02}",
        &date(unix)[5..],
        (unix % 86_400) / 3600,
        (unix % 3600) / 60
    )
}
