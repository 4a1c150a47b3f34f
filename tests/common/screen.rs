//! A minimal terminal screen for tests of the console binary: it replays what the console
//! wrote to its pseudo-terminal (text, cursor moves, clears; colours ignored) onto a grid of
//! `rows` × `cols` cells, so a test reads what a person would see, not ratatui's diff.
//!
//! It must never be used for anything but reading a test's own console output.

/// The cells of a terminal after replaying its output.
pub struct Screen {
    cells: Vec<Vec<char>>,
    row: usize,
    col: usize,
}

impl Screen {
    /// Replays `output` on a blank `rows` × `cols` screen.
    pub fn replay(output: &[u8], rows: usize, cols: usize) -> Self {
        let mut screen = Self {
            cells: vec![vec![' '; cols]; rows],
            row: 0,
            col: 0,
        };
        let text = String::from_utf8_lossy(output);
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                // Two-character escapes (charset, save/restore cursor) draw nothing.
                '\x1b' => {
                    if let Some('[') = chars.next() {
                        let mut params = String::new();
                        let mut last = None;
                        for p in chars.by_ref() {
                            if ('\x40'..='\x7e').contains(&p) {
                                last = Some(p);
                                break;
                            }
                            params.push(p);
                        }
                        screen.control(&params, last);
                    }
                }
                '\r' => screen.col = 0,
                '\n' => screen.row = (screen.row + 1).min(rows - 1),
                c if c < ' ' => {}
                c => screen.put(c),
            }
        }
        screen
    }

    fn control(&mut self, params: &str, last: Option<char>) {
        let numbers: Vec<usize> = params
            .trim_start_matches('?')
            .split(';')
            .map(|n| n.parse().unwrap_or(1))
            .collect();
        let at = |i: usize| numbers.get(i).copied().unwrap_or(1).max(1) - 1;
        match last {
            Some('H') | Some('f') if !params.starts_with('?') => {
                self.row = at(0).min(self.cells.len() - 1);
                self.col = at(1);
            }
            Some('J') if params == "2" => {
                for row in &mut self.cells {
                    row.fill(' ');
                }
            }
            _ => {}
        }
    }

    fn put(&mut self, c: char) {
        if let Some(cell) = self.cells[self.row].get_mut(self.col) {
            *cell = c;
        }
        self.col += 1;
    }

    /// The screen's rows as text, trailing blanks trimmed.
    pub fn rows(&self) -> Vec<String> {
        self.cells
            .iter()
            .map(|r| r.iter().collect::<String>().trim_end().to_owned())
            .collect()
    }

    /// Whether some row shows `text` whole.
    pub fn shows(&self, text: &str) -> bool {
        self.rows().iter().any(|r| r.contains(text))
    }
}
