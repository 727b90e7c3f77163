//! DL3006, DL3007, DH011: base images (tags and the allowed list).

#[allow(unused_imports)]
use super::*;

impl Checker<'_> {
    pub(super) fn base_image(
        &mut self,
        from: &FromInstruction<'_>,
        is_stage: bool,
        vars: &HashMap<String, String>,
        expect: &Expectations,
    ) {
        let image = from.image.value.as_ref();
        let pos = self.index.token_pos(&from.from.span, &from.image.span);
        if is_stage {
            return;
        }
        let (name, tag, digest) = split_image(image);
        let scratch = name.eq_ignore_ascii_case("scratch");
        if !scratch && digest.is_none() {
            match tag {
                None if !image.contains('$') => self.push(
                    Diagnostic::error("DL3006", pos, format!("base image `{image}` has no tag"))
                        .with_hint("pin an explicit version tag, e.g. `python:3.11-slim`"),
                ),
                Some("latest") => self.push(
                    Diagnostic::error(
                        "DL3007",
                        pos,
                        format!("base image `{image}` uses the `latest` tag"),
                    )
                    .with_hint("pin an explicit version tag; `latest` changes under you"),
                ),
                _ => {}
            }
        }
        if let Some(allowed) = &expect.base_images {
            if scratch && allowed.iter().any(|a| a.eq_ignore_ascii_case("scratch")) {
                return;
            }
            match substitute(image, vars) {
                Some(resolved) if image_allowed(&resolved, allowed) => {}
                Some(resolved) => {
                    let shown = if resolved == image { format!("`{image}`") } else { format!("`{image}` (`{resolved}`)") };
                    self.push(
                        Diagnostic::error(
                            "DH011",
                            pos,
                            format!("base image {shown} is not allowed; expected {}", allowed.join(" or ")),
                        )
                        .with_hint(format!("use `FROM {}`", allowed.first().map_or("", |s| s.as_str()))),
                    );
                }
                None => self.push(
                    Diagnostic::error(
                        "DH011",
                        pos,
                        format!("base image `{image}` cannot be resolved from ARG defaults; expected {}", allowed.join(" or ")),
                    )
                    .with_hint("give the ARG a default or write the image literally"),
                ),
            }
        }
    }
}

/// `(name, tag, digest)` of an image reference. The tag is the part after
/// the last `:` following the last `/` (so `localhost:5000/app` has none).
pub(super) fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(c) => (&rest[..slash + c], Some(&rest[slash + c + 1..]), digest),
        None => (rest, None, digest),
    }
}

pub(super) fn image_tag(image: &str) -> Option<&str> {
    split_image(image).1
}

pub(super) fn normalise_image(image: &str) -> String {
    let lc = image.to_ascii_lowercase();
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "index.docker.io/",
        "library/",
    ] {
        if let Some(rest) = lc.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    lc
}

pub(super) fn image_allowed(image: &str, allowed: &[String]) -> bool {
    let (name, tag, digest) = split_image(image);
    allowed.iter().any(|a| {
        let (a_name, a_tag, a_digest) = split_image(a);
        normalise_image(a_name) == normalise_image(name)
            && a_tag.is_none_or(|t| Some(t) == tag)
            && a_digest.is_none_or(|d| Some(d) == digest)
    })
}
