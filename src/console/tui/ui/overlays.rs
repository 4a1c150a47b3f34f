//! What is drawn over a screen: the resource and transfer pickers, confirmations, and the
//! list of keys.
//!
//! It must never act: a picker only shows what [`super::super::keys`] will choose from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::super::App;
use super::{popup, selected_style};

pub(super) fn draw_resources(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let offered = app.shift.offered_resources(app.shift.current_target());
    let rows = offered
        .iter()
        .map(|r| format!("{:<4} {:<3} {}", r.region, r.lang, r.title));
    let rect = popup(area, 70, (offered.len() as u16 + 2).min(16));
    draw_picker(frame, rect, "Insert a resource", rows, index);
}

pub(super) fn draw_transfer(frame: &mut Frame, app: &App, area: Rect, index: usize) {
    let targets = app.shift.transfer_targets();
    let rows = targets
        .iter()
        .map(|c| format!("{} ({}/{})", c.alias, c.load, c.capacity));
    let rect = popup(area, 60, targets.len() as u16 + 2);
    // The visitor is asked before anything moves; the note is written next, in its own box.
    let title = "Transfer to (Enter, then a note for them only)";
    draw_picker(frame, rect, title, rows, index);
}

/// The colleagues on duty: alias, conversations held, free seats (from the roster the relay
/// sends; off duty the console receives none).
pub(super) fn draw_roster(frame: &mut Frame, app: &App, area: Rect) {
    let shift = &app.shift;
    let colleagues: Vec<_> = shift
        .roster
        .iter()
        .filter(|c| c.serial != shift.me.serial)
        .collect();
    let mut rows: Vec<TextLine> = colleagues
        .iter()
        .map(|c| {
            let free = c.capacity.saturating_sub(c.load);
            TextLine::from(format!("{:<24} holds {:>2} · {free} free", c.alias, c.load))
        })
        .collect();
    if rows.is_empty() {
        rows.push(TextLine::from(if shift.on_duty {
            "Nobody else is on duty."
        } else {
            "Go on duty (Ctrl-D) to see who else is."
        }));
    }
    let rect = popup(area, 50, rows.len() as u16 + 2);
    let title = format!("On duty with you ({})", colleagues.len());
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(rows).block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}

/// A titled list over the screen with the row at `index` highlighted.
fn draw_picker(
    frame: &mut Frame,
    rect: Rect,
    title: &str,
    rows: impl Iterator<Item = String>,
    index: usize,
) {
    let items: Vec<ListItem> = rows.map(ListItem::new).collect();
    let mut state = ListState::default().with_selected(Some(index));
    frame.render_widget(Clear, rect);
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(selected_style())
            .block(Block::default().borders(Borders::ALL).title(title)),
        rect,
        &mut state,
    );
}

pub(super) fn draw_confirm(frame: &mut Frame, area: Rect, text: &str) {
    let rect = popup(area, 60, 5);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL).title("Confirm")),
        rect,
    );
}

/// Every key and what it does, as F1 lists them. Letters and digits only ever type.
pub const HELP: &[(&str, &str)] = &[
    ("typing", "writes to the visitor shown (never a command)"),
    ("^D", "go on / off duty"),
    ("↑↓", "move in the queue and conversations"),
    ("Enter", "answer the selected visitor / write / send"),
    ("^N", "answer the visitor waiting longest"),
    ("Alt-1…9 Tab", "switch conversation (by its number)"),
    ("PgUp PgDn", "scroll the conversation back / forward"),
    (
        "in a draft",
        "←→ Home End ^A ^E, ^←→ words, ^W ^U, Alt-⏎ line",
    ),
    ("^R", "insert a ready-made resource (editable)"),
    ("^X", "transfer to a colleague on duty"),
    ("^W", "end (or close an ended) conversation; tip handled"),
    ("^T", "tips inbox (Enter opens, type to reply)"),
    ("^K", "take a tip, so colleagues see you answer it"),
    ("^O", "colleagues on duty, their load and free seats"),
    ("^L", "lock now (also after idle time)"),
    ("^Q, ^C", "quit (goes off duty)"),
];

pub(super) fn draw_help(frame: &mut Frame, area: Rect) {
    let rect = popup(area, 66, HELP.len() as u16 + 2);
    let lines: Vec<TextLine> = HELP
        .iter()
        .map(|(k, v)| {
            TextLine::from(vec![
                Span::styled(
                    format!("{k:<12}"),
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
