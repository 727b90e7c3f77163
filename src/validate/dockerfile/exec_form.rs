//! DL3025: CMD, ENTRYPOINT (and HEALTHCHECK CMD) in JSON exec form.

#[allow(unused_imports)]
use super::*;

impl Checker<'_> {
    pub(super) fn exec_form(&mut self, name: &str, span: &Span, args: &Command<'_>) {
        if let Command::Shell(_) = args {
            self.push(
                Diagnostic::warning("DL3025", self.kw_pos(span), format!("{name} is not in JSON exec form"))
                    .with_hint(format!(
                        "write {name} [\"executable\", \"arg\"] so the process gets signals directly (no `sh -c`)"
                    )),
            );
        }
    }
}
