//! ChangeSet → unified diffs (pure).

use similar::TextDiff;

/// A unified diff of `old` → `new` for `path`, empty when they are equal.
pub fn unified(path: &str, old: Option<&str>, new: &str) -> String {
    let old_text = old.unwrap_or("");
    if old == Some(new) {
        return String::new();
    }
    let diff = TextDiff::from_lines(old_text, new);
    let from = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_owned()
    };
    diff.unified_diff()
        .context_radius(3)
        .header(&from, &format!("b/{path}"))
        .to_string()
}

/// Colour a unified diff for a terminal.
pub fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            "1"
        } else if line.starts_with('+') {
            "32"
        } else if line.starts_with('-') {
            "31"
        } else if line.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let body = line.strip_suffix('\n').unwrap_or(line);
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m"));
            if line.ends_with('\n') {
                out.push('\n');
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
    fn unified_is_empty_when_equal_and_marks_new_files() {
        assert_eq!(unified("p", Some("a\n"), "a\n"), "");
        assert!(unified("p", None, "a\n").starts_with("--- /dev/null\n+++ b/p\n"));
    }
}
