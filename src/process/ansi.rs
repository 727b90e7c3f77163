//! Terminal output as a tool printed it: escape sequences stripped, a full-screen UI or a
//! question waiting for an answer recognised.
//!
//! The escape sequences are stripped by [`crate::extract::strip_ansi`] (the one place, on
//! `strip-ansi-escapes`); here a spinner's `\r` redraws keep the last segment of the line
//! (what the terminal shows).

/// Does raw terminal output switch to the alternate screen (full-screen TUI)?
pub fn has_alt_screen(raw: &str) -> bool {
    ["\x1b[?1049h", "\x1b[?1047h", "\x1b[?47h"]
        .iter()
        .any(|seq| raw.contains(seq))
}

/// Remove ANSI/VT escape sequences and terminal control noise from captured output:
///
/// * CSI (`ESC [ … final`, also the 8-bit `U+009B`), OSC (`ESC ] … BEL|ST`),
///   DCS/SOS/PM/APC strings (`ESC P|X|^|_ … ST`), charset designations (`ESC ( B`) and
///   other two-byte escapes (`ESC 7`, `ESC =`, …);
/// * BEL and other C0 controls except `\t` and `\n`;
/// * `\r\n` becomes `\n`; a lone `\r` (spinner / progress redraw) keeps only the last
///   non-empty segment of the line, which is what the terminal would end up showing.
pub(crate) fn strip_ansi(s: &str) -> String {
    let out = crate::extract::strip_ansi(s);
    if !out.contains('\r') {
        return out;
    }
    let normalized = out.replace("\r\n", "\n");
    normalized
        .split('\n')
        .map(|line| {
            if line.contains('\r') {
                line.split('\r').rfind(|seg| !seg.is_empty()).unwrap_or("")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Does this output end in a prompt for input (or open a full-screen UI)?
pub fn asks_for_input(raw: &str) -> bool {
    if has_alt_screen(raw) {
        return true;
    }
    let text = strip_ansi(raw);
    // The question is on one of the last few lines (a menu of choices may follow it).
    text.lines()
        .rev()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
        .any(|line| {
            let lower = line.to_ascii_lowercase();
            [
                "[y/n",
                "(y/n",
                "(yes/no)",
                "do you want to proceed",
                "would you like to apply",
                "approve?",
            ]
            .iter()
            .any(|p| lower.contains(p))
        })
}
