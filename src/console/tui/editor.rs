//! The terminal's draft editor: what a key does to a draft and its cursor (a character
//! index). ← → move, Home / End and Ctrl-A / Ctrl-E go to the start and end of the line,
//! Ctrl-← → and Alt-B / Alt-F jump words, Backspace / Delete remove, Ctrl-W removes the word
//! before, Ctrl-U the line before, Alt-Enter / Ctrl-J start a new line; other characters are
//! typed at the cursor.
//!
//! It must never send, and never touch anything but the one draft it is given.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A draft and where the cursor stands in it, in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The draft after the key.
    pub text: String,
    /// The cursor after the key.
    pub cursor: usize,
}

/// What `key` does to `text` with the cursor at `cursor`; `None` if it is not an editing
/// key (the caller handles it: Enter sends, Esc leaves, Ctrl-R picks a resource…).
pub fn edit(text: &str, cursor: usize, key: &KeyEvent) -> Option<Edited> {
    let mut chars: Vec<char> = text.chars().collect();
    let mut at = cursor.min(chars.len());
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Left if ctrl => at = word_back(&chars, at),
        KeyCode::Right if ctrl => at = word_forward(&chars, at),
        KeyCode::Char('b') if alt => at = word_back(&chars, at),
        KeyCode::Char('f') if alt => at = word_forward(&chars, at),
        KeyCode::Left => at = at.saturating_sub(1),
        KeyCode::Right => at = (at + 1).min(chars.len()),
        KeyCode::Home => at = line_start(&chars, at),
        KeyCode::End => at = line_end(&chars, at),
        KeyCode::Char('a') if ctrl => at = line_start(&chars, at),
        KeyCode::Char('e') if ctrl => at = line_end(&chars, at),
        KeyCode::Backspace if at > 0 => {
            at -= 1;
            chars.remove(at);
        }
        KeyCode::Backspace => {}
        KeyCode::Delete if at < chars.len() => {
            chars.remove(at);
        }
        KeyCode::Delete => {}
        KeyCode::Char('w') if ctrl => {
            let from = word_back(&chars, at);
            chars.drain(from..at);
            at = from;
        }
        KeyCode::Char('u') if ctrl => {
            let from = line_start(&chars, at);
            chars.drain(from..at);
            at = from;
        }
        KeyCode::Enter if alt => {
            chars.insert(at, '\n');
            at += 1;
        }
        KeyCode::Char('j') if ctrl => {
            chars.insert(at, '\n');
            at += 1;
        }
        KeyCode::Char(c) if !ctrl && !alt => {
            chars.insert(at, c);
            at += 1;
        }
        _ => return None,
    }
    Some(Edited {
        text: chars.into_iter().collect(),
        cursor: at,
    })
}

fn line_start(chars: &[char], at: usize) -> usize {
    chars[..at]
        .iter()
        .rposition(|c| *c == '\n')
        .map_or(0, |i| i + 1)
}

fn line_end(chars: &[char], at: usize) -> usize {
    chars[at..]
        .iter()
        .position(|c| *c == '\n')
        .map_or(chars.len(), |i| at + i)
}

/// The start of the word before `at` (skipping the blanks just before it).
fn word_back(chars: &[char], mut at: usize) -> usize {
    while at > 0 && chars[at - 1].is_whitespace() {
        at -= 1;
    }
    while at > 0 && !chars[at - 1].is_whitespace() {
        at -= 1;
    }
    at
}

/// The end of the word after `at` (skipping the blanks just after it).
fn word_forward(chars: &[char], mut at: usize) -> usize {
    while at < chars.len() && chars[at].is_whitespace() {
        at += 1;
    }
    while at < chars.len() && !chars[at].is_whitespace() {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(text: &str, cursor: usize, code: KeyCode, modifiers: KeyModifiers) -> (String, usize) {
        let e = edit(text, cursor, &KeyEvent::new(code, modifiers)).expect("an editing key");
        (e.text, e.cursor)
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;

    #[test]
    fn the_cursor_moves_by_character_line_and_word() {
        let t = "Call <number> now";
        assert_eq!(press(t, 17, KeyCode::Left, NONE).1, 16);
        assert_eq!(press(t, 17, KeyCode::Right, NONE).1, 17, "stops at the end");
        assert_eq!(press(t, 0, KeyCode::Left, NONE).1, 0, "stops at the start");
        assert_eq!(press(t, 9, KeyCode::Home, NONE).1, 0);
        assert_eq!(press(t, 9, KeyCode::Char('a'), CTRL).1, 0);
        assert_eq!(press(t, 2, KeyCode::End, NONE).1, 17);
        assert_eq!(press(t, 2, KeyCode::Char('e'), CTRL).1, 17);
        assert_eq!(press(t, 17, KeyCode::Left, CTRL).1, 14);
        assert_eq!(press(t, 14, KeyCode::Char('b'), ALT).1, 5);
        assert_eq!(press(t, 0, KeyCode::Right, CTRL).1, 4);
        assert_eq!(press(t, 4, KeyCode::Char('f'), ALT).1, 13);
        // Home and End keep to the line the cursor is on.
        let two = "first line\nsecond";
        assert_eq!(press(two, 14, KeyCode::Home, NONE).1, 11);
        assert_eq!(press(two, 3, KeyCode::End, NONE).1, 10);
    }

    #[test]
    fn typing_and_deleting_happen_at_the_cursor() {
        assert_eq!(
            press("Call  now", 5, KeyCode::Char('1'), NONE),
            ("Call 1 now".into(), 6)
        );
        assert_eq!(
            press("Call 1 now", 6, KeyCode::Backspace, NONE),
            ("Call  now".into(), 5)
        );
        assert_eq!(
            press("Call 1 now", 5, KeyCode::Delete, NONE),
            ("Call  now".into(), 5)
        );
        assert_eq!(
            press("Call <number> now", 13, KeyCode::Char('w'), CTRL),
            ("Call  now".into(), 5)
        );
        assert_eq!(
            press("one\ntwo three", 13, KeyCode::Char('u'), CTRL),
            ("one\n".into(), 4)
        );
        assert_eq!(
            press("héllo", 5, KeyCode::Backspace, NONE),
            ("héll".into(), 4),
            "characters, not bytes"
        );
        assert_eq!(press("", 0, KeyCode::Backspace, NONE), ("".into(), 0));
    }

    #[test]
    fn alt_enter_and_ctrl_j_start_a_new_line_and_enter_is_left_to_send() {
        assert_eq!(press("ab", 1, KeyCode::Enter, ALT), ("a\nb".into(), 2));
        assert_eq!(press("ab", 2, KeyCode::Char('j'), CTRL), ("ab\n".into(), 3));
        for key in [
            KeyEvent::new(KeyCode::Enter, NONE),
            KeyEvent::new(KeyCode::Esc, NONE),
            KeyEvent::new(KeyCode::Char('r'), CTRL),
            KeyEvent::new(KeyCode::Char('l'), CTRL),
        ] {
            assert_eq!(edit("ab", 1, &key), None, "{key:?}");
        }
    }
}
