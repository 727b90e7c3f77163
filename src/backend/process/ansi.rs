//! Terminal output as a tool printed it: escape sequences stripped, a full-screen UI or a
//! question waiting for an answer recognised.
//!
//! The escape sequences are parsed by `strip-ansi-escapes` (vte). That crate keeps only `\n` of
//! the C0 controls, so `\t` and `\r` are protected around it: a spinner's `\r` redraws must keep
//! the last segment of the line (what the terminal shows).

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
    const TAB: char = '\u{e000}';
    const CR: char = '\u{e001}';
    let protected: String = s
        .chars()
        .map(|c| match c {
            '\t' => TAB,
            '\r' => CR,
            c => c,
        })
        .collect::<String>()
        // The 8-bit CSI, spelled as the 7-bit one the parser knows.
        .replace('\u{9b}', "\x1b[");
    let out: String = strip_ansi_escapes::strip_str(&protected)
        .chars()
        .filter(|&c| c != '\x7f')
        .map(|c| match c {
            TAB => '\t',
            CR => '\r',
            c => c,
        })
        .collect();
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
