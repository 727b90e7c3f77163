//! Terminal output as a tool printed it: escape sequences stripped, a full-screen UI or a
//! question waiting for an answer recognised.
//!
//! Hand-written rather than `strip-ansi-escapes`: that crate drops `\t` and `\r`, and a
//! spinner's `\r` redraws must keep the last segment of the line (what the terminal shows).

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
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    skip_string(&mut chars)
                }
                Some(c2) if ('\x20'..='\x2f').contains(&c2) => {
                    // ESC intermediate(s) final, e.g. ESC ( B
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if !('\x20'..='\x2f').contains(&n) {
                            break;
                        }
                    }
                }
                Some(_) | None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\x7f' => {}
            c => out.push(c),
        }
    }
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

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // parameters / intermediates 0x20..=0x3f, final byte 0x40..=0x7e
    for n in chars.by_ref() {
        if ('\x40'..='\x7e').contains(&n) {
            break;
        }
        if !('\x20'..='\x3f').contains(&n) {
            break; // malformed: drop what we have
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // terminated by BEL or ST (ESC \)
    while let Some(n) = chars.next() {
        if n == '\x07' || n == '\u{9c}' {
            break;
        }
        if n == '\x1b' {
            if chars.peek() == Some(&'\\') {
                chars.next();
            }
            break;
        }
    }
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
