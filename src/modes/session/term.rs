//! The session's terminal: modes and keys through `crossterm` (no termios
//! calls of our own), and three small typed inputs (a line, a filtered list,
//! a one-key menu). Every byte shown goes through `Ui`.
//!
//! Modes:
//! - keys: crossterm's raw mode; Ctrl-C and Ctrl-D arrive as keys
//!   (`Key::CtrlC` abandons the input, `Key::CtrlD` leaves the session);
//! - wait: raw mode too, while a request runs; `wait_for_ctrl_c` watches
//!   the keys and reports a Ctrl-C, which cancels the request;
//! - cooked: the terminal as it was (for $EDITOR, and on exit).
//!
//! Raw mode also stops the terminal turning `\n` into a new line, so while
//! it is on `Ui` writes `\r\n` for every `\n` (`Ui::set_crlf`).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;

use crate::ui::Ui;

/// What a typed input ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<T> {
    Value(T),
    /// Ctrl-C: abandon this input.
    Cancel,
    /// Ctrl-D (or the terminal went away): leave the session.
    Leave,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Backspace,
    Up,
    Down,
    CtrlC,
    CtrlD,
    CtrlU,
    CtrlW,
    Other,
}

impl Key {
    fn from_event(k: KeyEvent) -> Key {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('c') if ctrl => Key::CtrlC,
            KeyCode::Char('d') if ctrl => Key::CtrlD,
            KeyCode::Char('u') if ctrl => Key::CtrlU,
            KeyCode::Char('w') if ctrl => Key::CtrlW,
            KeyCode::Char('h') if ctrl => Key::Backspace,
            KeyCode::Char('j' | 'm') if ctrl => Key::Enter,
            KeyCode::Char(_) if ctrl => Key::Other,
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            _ => Key::Other,
        }
    }
}

/// The terminal on stdin; the settings it had are restored on drop.
pub struct Terminal<'a> {
    ui: &'a Ui,
}

impl<'a> Terminal<'a> {
    pub fn open(ui: &'a Ui) -> io::Result<Terminal<'a>> {
        // Fails early when stdin is not a terminal.
        terminal::size()?;
        Ok(Terminal { ui })
    }

    fn raw(&self) -> io::Result<()> {
        terminal::enable_raw_mode()?;
        self.ui.set_crlf(true);
        Ok(())
    }

    pub fn keys_mode(&self) -> io::Result<()> {
        self.raw()
    }

    pub fn wait_mode(&self) -> io::Result<()> {
        self.raw()
    }

    pub fn cooked(&self) -> io::Result<()> {
        self.ui.set_crlf(false);
        terminal::disable_raw_mode()
    }

    /// Columns of the terminal (80 when unknown).
    pub fn width(&self) -> usize {
        match terminal::size() {
            Ok((cols, _)) if cols >= 20 => usize::from(cols),
            _ => 80,
        }
    }

    /// Keys typed but not read yet are dropped (after a request, before asking).
    pub fn discard_typeahead(&mut self) {
        while event::poll(Duration::ZERO).unwrap_or(false) {
            if event::read().is_err() {
                break;
            }
        }
    }

    /// One key; a terminal that went away reads as Ctrl-D.
    pub fn key(&mut self) -> io::Result<Key> {
        loop {
            match event::read() {
                Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    return Ok(Key::from_event(k));
                }
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Ok(Key::CtrlD),
            }
        }
    }
}

/// While a request runs (the terminal in wait mode): true when Ctrl-C is
/// typed, false once `stop` is set. Other keys are dropped.
pub fn wait_for_ctrl_c(stop: &AtomicBool) -> bool {
    while !stop.load(Ordering::SeqCst) {
        match event::poll(Duration::from_millis(50)) {
            Ok(true) => {
                if let Ok(Event::Key(k)) = event::read()
                    && k.kind != KeyEventKind::Release
                    && Key::from_event(k) == Key::CtrlC
                {
                    return true;
                }
            }
            Ok(false) => {}
            Err(_) => return false,
        }
    }
    false
}

impl Drop for Terminal<'_> {
    fn drop(&mut self) {
        let _ = self.cooked();
    }
}

fn tail(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_owned()
    } else {
        s.chars().skip(n - max).collect()
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max.saturating_sub(1)).chain(['…']).collect()
    }
}

/// One line of text. Enter submits; Backspace, Ctrl-U and Ctrl-W edit;
/// Ctrl-C cancels; Ctrl-D on an empty line leaves.
pub fn line(ui: &Ui, term: &mut Terminal<'_>, prompt: &str) -> io::Result<Input<String>> {
    let width = term.width();
    let mut buf = String::new();
    let room = width.saturating_sub(prompt.chars().count() + 1).max(10);
    let redraw = |buf: &str| ui.raw(&format!("\r\x1b[K{prompt}{}", tail(buf, room)));
    ui.raw(prompt);
    loop {
        match term.key()? {
            Key::Enter => {
                ui.raw("\n");
                return Ok(Input::Value(buf));
            }
            Key::CtrlC => {
                ui.raw("^C\n");
                return Ok(Input::Cancel);
            }
            Key::CtrlD if buf.is_empty() => {
                ui.raw("\n");
                return Ok(Input::Leave);
            }
            Key::Char(c) => {
                buf.push(c);
                if buf.chars().count() <= room {
                    ui.raw(c.encode_utf8(&mut [0; 4]));
                } else {
                    redraw(&buf);
                }
            }
            Key::Backspace => {
                buf.pop();
                redraw(&buf);
            }
            Key::CtrlU => {
                buf.clear();
                redraw(&buf);
            }
            Key::CtrlW => {
                let kept = buf.trim_end().rfind(' ').map(|i| i + 1).unwrap_or(0);
                buf.truncate(kept);
                redraw(&buf);
            }
            _ => {}
        }
    }
}

/// One key out of `keys` (case-insensitive); others are ignored.
pub fn menu(
    ui: &Ui,
    term: &mut Terminal<'_>,
    prompt: &str,
    keys: &[char],
) -> io::Result<Input<char>> {
    ui.raw(prompt);
    loop {
        match term.key()? {
            Key::CtrlC => {
                ui.raw("^C\n");
                return Ok(Input::Cancel);
            }
            Key::CtrlD => {
                ui.raw("\n");
                return Ok(Input::Leave);
            }
            Key::Char(c) if keys.contains(&c.to_ascii_lowercase()) => {
                ui.raw(&format!("{c}\n"));
                return Ok(Input::Value(c.to_ascii_lowercase()));
            }
            _ => {}
        }
    }
}

/// One entry of a filtered list.
pub struct Item {
    pub label: String,
    pub description: String,
}

/// Is `needle` a subsequence of `hay` (case-insensitive, blanks in `needle`
/// ignored)? Then the length of the shortest stretch of `hay` holding it (lower is tighter).
pub fn subsequence(needle: &str, hay: &str) -> Option<usize> {
    let hay: Vec<char> = hay.to_lowercase().chars().collect();
    let needle: Vec<char> = needle
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(&head) = needle.first() else {
        return Some(0);
    };
    let span_from = |start: usize| {
        let mut pos = start + 1;
        for c in &needle[1..] {
            pos += hay[pos..].iter().position(|h| h == c)? + 1;
        }
        Some(pos - start)
    };
    (0..hay.len())
        .filter(|&i| hay[i] == head)
        .filter_map(span_from)
        .min()
}

/// The items matching `filter`: those whose label matches first (tightest
/// first), then those matching only by description; stable otherwise.
pub fn matching(items: &[Item], filter: &str) -> Vec<usize> {
    let mut scored: Vec<(usize, usize, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match subsequence(filter, &it.label) {
            Some(s) => Some((0, s, i)),
            None => subsequence(filter, &it.description).map(|s| (1, s, i)),
        })
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, _, i)| i).collect()
}

const SHOWN: usize = 8;

/// Choose one item: typing filters (subsequence of the label or the
/// description), ↑/↓ move, Enter chooses, Ctrl-C clears the filter, Ctrl-D leaves.
pub fn choose(ui: &Ui, term: &mut Terminal<'_>, items: &[Item]) -> io::Result<Input<usize>> {
    let width = term.width();
    let mut filter = String::new();
    let mut selected = 0usize;
    let label_width = items
        .iter()
        .map(|i| i.label.chars().count())
        .max()
        .unwrap_or(0);
    loop {
        let matches = matching(items, &filter);
        selected = selected.min(matches.len().saturating_sub(1));
        let mut frame = format!(
            "\r\x1b[J{}",
            truncate(&format!("filter> {filter}"), width - 1)
        );
        let mut rows = 0;
        let start = selected.saturating_sub(SHOWN - 1);
        for (row, &i) in matches.iter().enumerate().skip(start).take(SHOWN) {
            let marker = if row == selected { '>' } else { ' ' };
            let it = &items[i];
            let text = format!("{marker} {:label_width$}  {}", it.label, it.description);
            let text = truncate(&text, width - 1);
            frame.push('\n');
            frame.push_str(&if row == selected {
                ui.paint("1", &text)
            } else {
                text
            });
            rows += 1;
        }
        let more = matches.len().saturating_sub(start + SHOWN);
        if matches.is_empty() || more > 0 {
            frame.push('\n');
            frame.push_str(&if matches.is_empty() {
                "  (no prompt matches)".to_owned()
            } else {
                format!("  … {more} more")
            });
            rows += 1;
        }
        if rows > 0 {
            frame.push_str(&format!("\x1b[{rows}A"));
        }
        let col = ("filter> ".len() + filter.chars().count()).min(width - 1);
        frame.push_str(&format!("\r\x1b[{col}C"));
        ui.raw(&frame);
        match term.key()? {
            Key::Enter if !matches.is_empty() => {
                ui.raw("\r\x1b[J");
                return Ok(Input::Value(matches[selected]));
            }
            Key::CtrlD if filter.is_empty() => {
                ui.raw("\r\x1b[J");
                return Ok(Input::Leave);
            }
            Key::CtrlC if filter.is_empty() => {
                ui.raw("\r\x1b[J");
                return Ok(Input::Cancel);
            }
            Key::CtrlC | Key::CtrlU => {
                filter.clear();
                selected = 0;
            }
            Key::Char(c) => {
                filter.push(c);
                selected = 0;
            }
            Key::Backspace => {
                filter.pop();
                selected = 0;
            }
            Key::CtrlW => {
                let kept = filter
                    .trim_end()
                    .rfind(['-', ' ', '@'])
                    .map(|i| i + 1)
                    .unwrap_or(0);
                filter.truncate(kept);
                selected = 0;
            }
            Key::Up => selected = selected.saturating_sub(1),
            Key::Down => selected = (selected + 1).min(matches.len().saturating_sub(1)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy() {
        assert!(subsequence("bdep", "backend-deployment@1.0.0").is_some());
        assert!(subsequence("BDEP", "backend-deployment@1.0.0").is_some());
        assert!(subsequence("depb", "backend-deployment@1.0.0").is_none());
        assert_eq!(subsequence("", "x"), Some(0));
        assert_eq!(subsequence("fa", "f x fa"), Some(2));
        let items = vec![
            Item {
                label: "backend-dockerfile@1.0.0".into(),
                description: "Dockerfile for FastAPI".into(),
            },
            Item {
                label: "backend-deployment@1.0.0".into(),
                description: "Deployment for the FastAPI backend".into(),
            },
            Item {
                label: "frontend@1.0.0".into(),
                description: "Next.js deployment".into(),
            },
        ];
        assert_eq!(matching(&items, "backend-dep"), [1]);
        assert_eq!(matching(&items, "fastapi"), [0, 1]);
        // Label matches rank before description-only matches, tighter first.
        assert_eq!(matching(&items, "deploy"), [1, 2]);
        assert_eq!(matching(&items, ""), [0, 1, 2]);
        assert_eq!(matching(&items, "zzz"), Vec::<usize>::new());
    }
}
