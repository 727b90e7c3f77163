//! DL3022: `COPY --from` names no earlier stage. Where the name is a typo of
//! a stage (`buidler` for `builder`) or a stage defined later, it is an
//! error: Docker then reads the name as an image to pull, and the build
//! fails. Otherwise it is hadolint's warning (it may be an image).

#[allow(unused_imports)]
use super::*;

/// The finding for `COPY --from=value` in stage `current` (0-based), given
/// every stage's lower-cased name.
pub(super) fn copy_from_finding(
    value: &str,
    current: usize,
    names: &[Option<String>],
    pos: Pos,
) -> Diagnostic {
    let lc = value.to_ascii_lowercase();
    let later = names[current..]
        .iter()
        .any(|n| n.as_deref() == Some(lc.as_str()));
    if later {
        return Diagnostic::error(
            "DL3022",
            pos,
            format!("`COPY --from={value}`: stage `{value}` is defined at or after this one, so Docker reads `{value}` as an image to pull and the build fails"),
        )
        .with_hint("copy only from a stage defined above this one");
    }
    let limit = if lc.chars().count() <= 4 { 1 } else { 2 };
    let close = names[..current]
        .iter()
        .flatten()
        .map(|n| (strsim::osa_distance(&lc, n), n))
        .filter(|(d, _)| *d <= limit)
        .min();
    match close {
        Some((_, stage)) => Diagnostic::error(
            "DL3022",
            pos,
            format!("`COPY --from={value}`: no stage `{value}`, did you mean `{stage}`? Docker reads `{value}` as an image to pull and the build fails"),
        )
        .with_hint(format!("write `COPY --from={stage}`")),
        None => Diagnostic::warning(
            "DL3022",
            pos,
            format!("`COPY --from={value}` does not reference a previously defined stage"),
        )
        .with_hint("name the build stage with `FROM <image> AS <name>` before copying from it"),
    }
}
