//! The session's terminal: modes (termios on stdin), keys, and three small
//! typed inputs (a line, a filtered list, a one-key menu). Every byte shown
//! goes through `Ui::out`.
//!
//! Modes:
//! - keys: no echo, no line buffering, no signals: Ctrl-C and Ctrl-D arrive
//!   as keys (`Key::CtrlC` abandons the input, `Key::CtrlD` leaves the session);
//! - wait: no echo, no line buffering, but Ctrl-C raises SIGINT, which cancels
//!   the running request (the session holds a SIGINT handler, so it never ends it);
//! - cooked: the terminal as it was (for $EDITOR, and on exit).
//!
//! Output post-processing stays on in every mode, so `\n` is a new line.

use std::collections::VecDeque;
use std::io;

use crate::ui::Ui;

const STDIN: libc::c_int = 0;
const STDOUT: libc::c_int = 1;

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

pub struct Terminal {
    original: libc::termios,
    pending: VecDeque<u8>,
}

impl Terminal {
    /// Take stdin's current settings (restored on drop).
    pub fn open() -> io::Result<Terminal> {
        let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the struct on success; we only read it then.
        if unsafe { libc::tcgetattr(STDIN, t.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Terminal {
            original: unsafe { t.assume_init() },
            pending: VecDeque::new(),
        })
    }

    fn set(&self, t: &libc::termios) -> io::Result<()> {
        // SAFETY: a valid termios for stdin.
        if unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn unbuffered(&self, signals: bool) -> libc::termios {
        let mut t = self.original;
        t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::IEXTEN);
        if signals {
            t.c_lflag |= libc::ISIG;
        } else {
            t.c_lflag &= !libc::ISIG;
        }
        t.c_iflag &= !(libc::IXON | libc::ICRNL | libc::INLCR);
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        t
    }

    pub fn keys_mode(&self) -> io::Result<()> {
        self.set(&self.unbuffered(false))
    }

    pub fn wait_mode(&self) -> io::Result<()> {
        self.set(&self.unbuffered(true))
    }

    pub fn cooked(&self) -> io::Result<()> {
        self.set(&self.original)
    }

    /// Columns of the terminal (80 when unknown).
    pub fn width(&self) -> usize {
        let mut ws = std::mem::MaybeUninit::<libc::winsize>::zeroed();
        // SAFETY: TIOCGWINSZ fills a winsize.
        let ok = unsafe { libc::ioctl(STDOUT, libc::TIOCGWINSZ, ws.as_mut_ptr()) } == 0;
        let cols = if ok {
            unsafe { ws.assume_init() }.ws_col as usize
        } else {
            0
        };
        if cols < 20 { 80 } else { cols }
    }

    /// Keys typed but not read yet are dropped (after a request, before asking).
    pub fn discard_typeahead(&mut self) {
        self.pending.clear();
        // SAFETY: plain ioctl on stdin.
        unsafe { libc::tcflush(STDIN, libc::TCIFLUSH) };
    }

    fn fill(&mut self, timeout_ms: i32) -> io::Result<bool> {
        if !self.pending.is_empty() {
            return Ok(true);
        }
        if timeout_ms >= 0 {
            let mut p = libc::pollfd {
                fd: STDIN,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
            if n <= 0 {
                return Ok(false);
            }
        }
        let mut buf = [0u8; 256];
        loop {
            // SAFETY: reading into a local buffer of its length.
            let n = unsafe { libc::read(STDIN, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                self.pending.extend(&buf[..n as usize]);
                return Ok(true);
            }
            if n == 0 {
                return Ok(false);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    fn byte(&mut self, timeout_ms: i32) -> io::Result<Option<u8>> {
        Ok(if self.fill(timeout_ms)? {
            self.pending.pop_front()
        } else {
            None
        })
    }

    /// One key; the end of input reads as Ctrl-D.
    pub fn key(&mut self) -> io::Result<Key> {
        let Some(b) = self.byte(-1)? else {
            return Ok(Key::CtrlD);
        };
        Ok(match b {
            0x03 => Key::CtrlC,
            0x04 => Key::CtrlD,
            b'\r' | b'\n' => Key::Enter,
            0x7f | 0x08 => Key::Backspace,
            0x15 => Key::CtrlU,
            0x17 => Key::CtrlW,
            0x1b => self.escape()?,
            b if b < 0x20 => Key::Other,
            b if b < 0x80 => Key::Char(b as char),
            b => self.utf8(b)?,
        })
    }

    fn escape(&mut self) -> io::Result<Key> {
        let Some(b) = self.byte(30)? else {
            return Ok(Key::Other);
        };
        if b != b'[' && b != b'O' {
            return Ok(Key::Other);
        }
        // CSI / SS3: parameters, then one final byte.
        loop {
            let Some(c) = self.byte(30)? else {
                return Ok(Key::Other);
            };
            if (0x40..=0x7e).contains(&c) {
                return Ok(match c {
                    b'A' => Key::Up,
                    b'B' => Key::Down,
                    _ => Key::Other,
                });
            }
        }
    }

    fn utf8(&mut self, first: u8) -> io::Result<Key> {
        let len = match first {
            b if b & 0xe0 == 0xc0 => 2,
            b if b & 0xf0 == 0xe0 => 3,
            b if b & 0xf8 == 0xf0 => 4,
            _ => return Ok(Key::Other),
        };
        let mut bytes = vec![first];
        for _ in 1..len {
            match self.byte(30)? {
                Some(b) => bytes.push(b),
                None => return Ok(Key::Other),
            }
        }
        Ok(std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.chars().next())
            .map(Key::Char)
            .unwrap_or(Key::Other))
    }
}

impl Drop for Terminal {
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
pub fn line(ui: &Ui, term: &mut Terminal, prompt: &str) -> io::Result<Input<String>> {
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
pub fn menu(ui: &Ui, term: &mut Terminal, prompt: &str, keys: &[char]) -> io::Result<Input<char>> {
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
pub fn choose(ui: &Ui, term: &mut Terminal, items: &[Item]) -> io::Result<Input<usize>> {
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

/// `$EDITOR` as argv words: whitespace separates words; single quotes,
/// double quotes and backslashes quote. No expansion and no shell.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(split_words("vim").unwrap(), ["vim"]);
        assert_eq!(split_words("  code --wait ").unwrap(), ["code", "--wait"]);
        assert_eq!(
            split_words(r#"'/opt/my editor/bin/ed' -n "a b" c\ d"#).unwrap(),
            ["/opt/my editor/bin/ed", "-n", "a b", "c d"]
        );
        assert_eq!(split_words("sh -c 'x; $y'").unwrap(), ["sh", "-c", "x; $y"]);
        assert!(split_words("'open").is_err());
        assert!(split_words("").unwrap().is_empty());
    }

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
