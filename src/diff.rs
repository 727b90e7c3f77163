//! ChangeSet → unified diffs (pure).

use similar::TextDiff;

/// A unified diff of `old` → `new` for `path`, empty when they are equal.
pub fn unified(path: &str, old: Option<&str>, new: &str) -> String {
    let from = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_owned()
    };
    between(&from, &format!("b/{path}"), old, new)
}

/// A unified diff of two different files: `from` names the old side and
/// `to` the new one, as given (empty when the texts are equal).
pub fn between(from: &str, to: &str, old: Option<&str>, new: &str) -> String {
    if old == Some(new) {
        return String::new();
    }
    TextDiff::from_lines(old.unwrap_or(""), new)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

/// The old and new line counts of a hunk header `@@ -a,b +c,d @@`.
fn hunk_counts(line: &str) -> Option<(usize, usize)> {
    let mut parts = line.strip_prefix("@@ ")?.split(' ');
    let count = |p: &str| -> Option<usize> {
        match p.split_once(',') {
            Some((_, n)) => n.parse().ok(),
            None => Some(1),
        }
    };
    let old = count(parts.next()?.strip_prefix('-')?)?;
    let new = count(parts.next()?.strip_prefix('+')?)?;
    Some((old, new))
}

/// Colour a unified diff for a terminal (`anstyle`). Inside a hunk every line
/// is a change or context by its first character, whatever follows it: a
/// removed line `--- x` is a removal, not a file header.
pub fn colorize(diff: &str) -> String {
    use crate::ui::style;
    let mut out = String::with_capacity(diff.len() + 64);
    // Lines of the current hunk still to come: (old side, new side).
    let mut left = (0usize, 0usize);
    for line in diff.split_inclusive('\n') {
        let in_hunk = left.0 > 0 || left.1 > 0;
        let style = if in_hunk {
            match line.as_bytes().first() {
                Some(b'-') => {
                    left.0 = left.0.saturating_sub(1);
                    Some(style::BAD)
                }
                Some(b'+') => {
                    left.1 = left.1.saturating_sub(1);
                    Some(style::GOOD)
                }
                Some(b'\\') => None,
                _ => {
                    left = (left.0.saturating_sub(1), left.1.saturating_sub(1));
                    None
                }
            }
        } else if let Some(counts) = hunk_counts(line) {
            left = counts;
            Some(style::HUNK)
        } else if line.starts_with("+++") || line.starts_with("---") {
            Some(style::BOLD)
        } else {
            None
        };
        match style {
            None => out.push_str(line),
            Some(st) => {
                let body = line.strip_suffix('\n').unwrap_or(line);
                out.push_str(&crate::ui::styled(st, body));
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// One hunk of a unified diff, for review's per-hunk choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The hunk as unified-diff text (`@@ ... @@` header and lines).
    pub text: String,
}

/// The hunks of `old` → `new` (3 lines of context).
pub fn hunks(path: &str, old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .iter_hunks()
        .map(|h| Hunk {
            text: h.to_string(),
        })
        .collect()
}

/// `old` with only the accepted hunks of `old` → `new` applied. `accepted[i]`
/// is the choice for the i-th hunk of [`hunks`].
pub fn apply_hunks(old: &str, new: &str, accepted: &[bool]) -> String {
    use similar::DiffTag;
    let diff = TextDiff::from_lines(old, new);
    let groups = diff.grouped_ops(3);
    // The hunk each changed op belongs to, keyed by where it starts.
    let mut owner = std::collections::HashMap::new();
    for (i, group) in groups.iter().enumerate() {
        for op in group.iter().filter(|op| op.tag() != DiffTag::Equal) {
            owner.insert((op.old_range().start, op.new_range().start), i);
        }
    }
    let (old_lines, new_lines) = (diff.old_slices(), diff.new_slices());
    let mut out = String::with_capacity(old.len().max(new.len()));
    for op in diff.ops() {
        let take_new = op.tag() != DiffTag::Equal
            && owner
                .get(&(op.old_range().start, op.new_range().start))
                .is_some_and(|&i| accepted.get(i).copied().unwrap_or(false));
        if take_new {
            op.new_range().for_each(|i| out.push_str(new_lines[i]));
        } else {
            op.old_range().for_each(|i| out.push_str(old_lines[i]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";

    fn new() -> String {
        OLD.replace("b\n", "B\n").replace("l\n", "L\nL2\n")
    }

    #[test]
    fn two_separate_changes_are_two_hunks() {
        let h = hunks("x", OLD, &new());
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(h[0].text.contains("+B"));
        assert!(h[1].text.contains("+L2"));
    }

    #[test]
    fn applying_some_hunks_takes_only_those() {
        let new = new();
        assert_eq!(apply_hunks(OLD, &new, &[true, true]), new);
        assert_eq!(apply_hunks(OLD, &new, &[false, false]), OLD);
        assert_eq!(
            apply_hunks(OLD, &new, &[true, false]),
            OLD.replace("b\n", "B\n")
        );
        assert_eq!(
            apply_hunks(OLD, &new, &[false, true]),
            OLD.replace("l\n", "L\nL2\n")
        );
    }

    #[test]
    fn a_new_file_is_one_hunk() {
        assert_eq!(hunks("x", "", "a\nb\n").len(), 1);
        assert_eq!(apply_hunks("", "a\nb\n", &[true]), "a\nb\n");
    }

    #[test]
    fn a_removed_line_starting_with_dashes_is_a_removal_not_a_header() {
        let d = unified("p", Some("a\n--- x\nb\n"), "a\nb\n+++ y\n");
        let c = colorize(&d);
        let bold = |s: &str| crate::ui::styled(crate::ui::style::BOLD, s);
        let red = |s: &str| crate::ui::styled(crate::ui::style::BAD, s);
        let green = |s: &str| crate::ui::styled(crate::ui::style::GOOD, s);
        let cyan = |s: &str| crate::ui::styled(crate::ui::style::HUNK, s);
        assert_eq!(
            c,
            format!(
                "{}\n{}\n{}\n a\n{}\n b\n{}\n",
                bold("--- a/p"),
                bold("+++ b/p"),
                cyan("@@ -1,3 +1,3 @@"),
                red("---- x"),
                green("++++ y"),
            )
        );
    }

    #[test]
    fn between_names_each_side() {
        let d = between("a/one.md", "b/two.md", Some("x\n"), "y\n");
        assert!(d.starts_with("--- a/one.md\n+++ b/two.md\n"), "{d}");
    }

    #[test]
    fn unified_is_empty_when_equal_and_marks_new_files() {
        assert_eq!(unified("p", Some("a\n"), "a\n"), "");
        assert!(unified("p", None, "a\n").starts_with("--- /dev/null\n+++ b/p\n"));
    }
}
