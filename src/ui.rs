//! The one place that writes to the terminal. Library code hands data here;
//! whole blocks are written under one lock so parallel jobs never interleave.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use crate::error::Error;

pub struct Ui {
    pub color: bool,
    pub verbosity: i8,
    lock: Mutex<()>,
}

impl Ui {
    pub fn new(color: bool, verbosity: i8) -> Ui {
        Ui {
            color,
            verbosity,
            lock: Mutex::new(()),
        }
    }

    pub fn stdout_is_tty() -> bool {
        std::io::stdout().is_terminal()
    }

    pub fn stderr_is_tty() -> bool {
        std::io::stderr().is_terminal()
    }

    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// Results: always shown, on stdout.
    pub fn out(&self, block: &str) {
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

    pub fn err(&self, block: &str) {
        // Progress, findings and errors never show a credential (an answer's, a tool's).
        let (block, _) = crate::validate::secrets::redact(block, &[]);
        let block = block.as_str();
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(block.as_bytes());
        if !block.ends_with('\n') {
            let _ = e.write_all(b"\n");
        }
    }

    /// Ask a question on stdout and read one answer line from stdin (trimmed, lower case).
    pub fn ask(&self, question: &str) -> String {
        {
            let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(question.as_bytes());
            let _ = o.flush();
        }
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line);
        line.trim().to_ascii_lowercase()
    }

    pub fn error(&self, e: &Error) {
        self.err(&format!("{}: {e}", self.paint("1;31", "error")));
    }
}
