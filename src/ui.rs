//! The one place that writes to the terminal. Library code hands data here;
//! whole blocks are written under one lock so parallel jobs never interleave.
//!
//! Colour is decided per stream by `anstream`: stdout and stderr each get
//! colour only when that stream is a terminal (or `--color always`), and
//! NO_COLOR / CLICOLOR / TERM=dumb are honoured for `auto`. Styles are
//! `anstyle` values; a block painted for one stream is stripped by that
//! stream's `AutoStream` when it must stay plain.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};

use crate::error::Error;

/// The styles dockhand uses, by role.
pub mod style {
    use super::{AnsiColor, Style};
    pub const BOLD: Style = Style::new().bold();
    #[cfg(test)]
    pub const DIM: Style = Style::new().dimmed();
    pub const ERROR: Style = AnsiColor::Red.on_default().bold();
    pub const GOOD: Style = AnsiColor::Green.on_default();
    pub const BAD: Style = AnsiColor::Red.on_default();
    pub const HUNK: Style = AnsiColor::Cyan.on_default();
}

/// Text in `style`, as ANSI (the stream it is written to strips it when plain).
pub fn styled(style: Style, s: &str) -> String {
    format!("{style}{s}{style:#}")
}

/// An SGR code such as `1;31` as an `anstyle` style (for callers that name codes).
fn style_of(code: &str) -> Style {
    let mut style = Style::new();
    for part in code.split(';') {
        style = match part.parse::<u8>() {
            Ok(1) => style.bold(),
            Ok(2) => style.dimmed(),
            Ok(3) => style.italic(),
            Ok(4) => style.underline(),
            Ok(n @ 30..=37) => style.fg_color(Some(ansi(n - 30).into())),
            Ok(n @ 90..=97) => style.fg_color(Some(ansi(n - 90 + 8).into())),
            _ => style,
        };
    }
    style
}

fn ansi(n: u8) -> AnsiColor {
    use AnsiColor::*;
    [
        Black,
        Red,
        Green,
        Yellow,
        Blue,
        Magenta,
        Cyan,
        White,
        BrightBlack,
        BrightRed,
        BrightGreen,
        BrightYellow,
        BrightBlue,
        BrightMagenta,
        BrightCyan,
        BrightWhite,
    ][usize::from(n) % 16]
}

/// What a hook wrapped around a stderr write does (progress bars hide while it runs).
type Suspend = Box<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

pub struct Ui {
    /// Whether stdout is coloured (results, diffs, reports).
    pub color: bool,
    pub verbosity: i8,
    out_choice: ColorChoice,
    err_choice: ColorChoice,
    lock: Mutex<()>,
    suspend: Mutex<Option<Suspend>>,
    /// The terminal is in raw mode: every `\n` is written as `\r\n`.
    crlf: std::sync::atomic::AtomicBool,
}

impl Ui {
    /// `choice` is the user's `--color`: `Auto` is resolved for each stream apart.
    pub fn new(choice: ColorChoice, verbosity: i8) -> Ui {
        let (out_choice, err_choice) = match choice {
            ColorChoice::Auto => (
                AutoStream::choice(&std::io::stdout()),
                AutoStream::choice(&std::io::stderr()),
            ),
            other => (other, other),
        };
        Ui {
            color: out_choice != ColorChoice::Never,
            verbosity,
            out_choice,
            err_choice,
            lock: Mutex::new(()),
            suspend: Mutex::new(None),
            crlf: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn stdout_is_tty() -> bool {
        std::io::stdout().is_terminal()
    }

    pub fn stderr_is_tty() -> bool {
        std::io::stderr().is_terminal()
    }

    /// `s` styled by an SGR code (`1;31`) for stdout; plain when stdout is.
    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            styled(style_of(code), s)
        } else {
            s.to_owned()
        }
    }

    /// While `hook` is set, every stderr write runs inside it (progress bars
    /// use it to clear themselves and redraw after the line).
    pub(crate) fn set_suspend(&self, hook: Option<Suspend>) {
        *self.suspend.lock().unwrap_or_else(|p| p.into_inner()) = hook;
    }

    /// While the session's terminal is raw (no output processing), write
    /// `\r\n` for `\n`.
    pub(crate) fn set_crlf(&self, on: bool) {
        self.crlf.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    fn lines<'b>(&self, block: &'b str) -> std::borrow::Cow<'b, str> {
        if self.crlf.load(std::sync::atomic::Ordering::SeqCst) && block.contains('\n') {
            block.replace('\n', "\r\n").into()
        } else {
            block.into()
        }
    }

    /// Results: always shown, on stdout (colour stripped unless stdout is coloured).
    pub fn out(&self, block: &str) {
        let block = self.lines(block);
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut o = AutoStream::new(std::io::stdout().lock(), self.out_choice);
        let _ = o.write_all(block.as_bytes());
        let _ = o.flush();
    }

    /// Terminal control (cursor moves, clearing) for the interactive session:
    /// written as is, whatever the colour choice.
    pub(crate) fn raw(&self, block: &str) {
        let block = self.lines(block);
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(block.as_bytes());
        let _ = o.flush();
    }

    /// Progress and notes: stderr, hidden by -q.
    pub fn info(&self, block: &str) {
        if self.verbosity >= 0 {
            self.err(block);
        }
    }

    /// Detail shown with -v.
    pub fn debug(&self, block: &str) {
        if self.verbosity >= 1 {
            self.err(block);
        }
    }

    /// One block on stderr (a newline is added when missing). Colour in it is
    /// stripped unless stderr itself is coloured.
    pub fn err(&self, block: &str) {
        // Progress, findings and errors never show a credential (an answer's, a tool's).
        let (block, _) = crate::validate::secrets::redact(block, &[]);
        let block = self.lines(&block);
        let block = block.as_ref();
        let mut write = || {
            let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            let mut e = AutoStream::new(std::io::stderr().lock(), self.err_choice);
            let _ = e.write_all(block.as_bytes());
            if !block.ends_with('\n') {
                let _ = e.write_all(self.lines("\n").as_bytes());
            }
            let _ = e.flush();
        };
        match &*self.suspend.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(hook) => hook(&mut write),
            None => write(),
        }
    }

    /// Ask a question on stdout and read one answer line from stdin (trimmed, lower case).
    pub fn ask(&self, question: &str) -> String {
        self.out(question);
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line);
        line.trim().to_ascii_lowercase()
    }

    /// `error: ...` on stderr, the prefix coloured only when stderr is.
    pub fn error(&self, e: &Error) {
        self.err(&format!("{}: {e}", styled(style::ERROR, "error")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgr_codes_become_the_same_styles() {
        assert_eq!(styled(style_of("1;31"), "x"), "\x1b[1m\x1b[31mx\x1b[0m");
        assert_eq!(style_of("1;31"), style::ERROR);
        assert_eq!(style_of("32"), style::GOOD);
        assert_eq!(style_of("2"), style::DIM);
        assert_eq!(style_of(""), Style::new());
    }

    #[test]
    fn never_paints_nothing() {
        let ui = Ui::new(ColorChoice::Never, 0);
        assert_eq!(ui.paint("1;31", "error"), "error");
        assert!(!ui.color && ui.err_choice == ColorChoice::Never);
        let ui = Ui::new(ColorChoice::Always, 0);
        assert!(ui.color && ui.err_choice != ColorChoice::Never);
        assert_ne!(ui.paint("1;31", "error"), "error");
    }
}
