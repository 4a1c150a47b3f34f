//! The draft box under a conversation or an opened tip: the draft wrapped over as many rows
//! as it needs (up to [`MAX_ROWS`], scrolled to keep the cursor in view), the cursor drawn
//! where it stands, and every placeholder left from a resource (`<number>`) highlighted, so
//! the coordinator sees what still has to be filled in before sending is allowed.
//!
//! It must never change the draft: it only draws it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::console::resources::placeholders;

/// The most rows of draft shown at once; longer drafts scroll.
pub const MAX_ROWS: usize = 5;

/// One drawn character: what, and whether it is in a placeholder or under the cursor.
struct Cell {
    c: char,
    placeholder: bool,
    cursor: bool,
}

/// The draft cut into rows of at most `width` characters, at the last blank where a word
/// would not fit and at line breaks; a cursor past the last character gets a cell of its
/// own.
fn rows(draft: &str, cursor: Option<usize>, width: usize) -> Vec<Vec<Cell>> {
    let width = width.max(1);
    let marked = placeholders(draft);
    let mut rows: Vec<Vec<Cell>> = vec![Vec::new()];
    let mut chars = draft.char_indices().map(Some).collect::<Vec<_>>();
    chars.push(None);
    for (i, item) in chars.into_iter().enumerate() {
        let here = cursor == Some(i);
        let (c, placeholder) = match item {
            Some((byte, c)) => (c, marked.iter().any(|r| r.contains(&byte))),
            None if here => (' ', false),
            None => break,
        };
        if let Some(full) = rows.last_mut().filter(|r| r.len() >= width) {
            // Wrap at the last blank of the full row, so words stay whole where they can.
            let carried = match full.iter().rposition(|cell| cell.c == ' ') {
                Some(blank) if blank + 1 < full.len() => full.split_off(blank + 1),
                _ => Vec::new(),
            };
            rows.push(carried);
        }
        if c == '\n' {
            // The break itself shows as a blank cell, so a cursor on it is visible.
            if let Some(row) = rows.last_mut() {
                row.push(Cell {
                    c: ' ',
                    placeholder: false,
                    cursor: here,
                });
            }
            rows.push(Vec::new());
            continue;
        }
        if let Some(row) = rows.last_mut() {
            row.push(Cell {
                c,
                placeholder,
                cursor: here,
            });
        }
    }
    rows
}

/// Rows of draft text the box needs at `width` columns (borders excluded), 1 to [`MAX_ROWS`].
pub fn height(draft: &str, width: u16) -> u16 {
    let inner = width.saturating_sub(2) as usize;
    // Counted with a cursor at the end, so typing at the end never jumps the layout.
    let n = rows(draft, Some(draft.chars().count()), inner).len();
    n.clamp(1, MAX_ROWS) as u16 + 2
}

/// Draws the box; `cursor` is `Some` while the coordinator is writing into it.
pub fn draw(frame: &mut Frame, area: Rect, draft: &str, cursor: Option<usize>, title: String) {
    let inner = area.width.saturating_sub(2) as usize;
    let visible = area.height.saturating_sub(2) as usize;
    let all = rows(draft, cursor, inner);
    let cursor_row = all
        .iter()
        .position(|r| r.iter().any(|c| c.cursor))
        .unwrap_or(all.len().saturating_sub(1));
    let skip = (cursor_row + 1).saturating_sub(visible.max(1));
    let base = if cursor.is_some() {
        Style::default().fg(Color::Green)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    let lines: Vec<TextLine> = all
        .into_iter()
        .skip(skip)
        .take(visible)
        .map(|row| {
            let spans: Vec<Span> = row
                .into_iter()
                .map(|cell| {
                    let mut style = Style::default();
                    if cell.placeholder {
                        style = style.fg(Color::Black).bg(Color::Yellow);
                    }
                    if cell.cursor {
                        style = style.add_modifier(Modifier::REVERSED);
                    }
                    Span::styled(cell.c.to_string(), style)
                })
                .collect();
            TextLine::from(spans)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(base)
                .title(title),
        ),
        area,
    );
}
