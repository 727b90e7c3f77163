//! DH003: secret-looking ENV/ARG with a literal value.

#[allow(unused_imports)]
use super::*;

impl Checker<'_> {
    pub(super) fn secret(&mut self, pos: Pos, what: &str, name: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        let v = unquote(value);
        if v.is_empty() || value.contains('$') || !is_secret_name(name) {
            return;
        }
        self.push(
            Diagnostic::error("DH003", pos, format!("{what} {name} has a literal value; secrets baked into an image leak"))
                .with_hint(
                    "pass secrets at run time (Kubernetes Secret, env) or at build time with `RUN --mount=type=secret`",
                ),
        );
    }
}

pub(super) fn is_secret_name(name: &str) -> bool {
    crate::validate::secrets::is_secret_name(name)
}
