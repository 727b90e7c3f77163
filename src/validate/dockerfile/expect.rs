//! DH010, DH012, DH013: what the prompt expects (stages, ports, Next.js output).

#[allow(unused_imports)]
use super::*;

impl Checker<'_> {
    pub(super) fn expectations_final(
        &mut self,
        stage: &parse_dockerfile::Stage<'_, '_>,
        state: &Inherited,
        exposes: &[Pos],
        next_copies: (bool, bool),
        expect: &Expectations,
    ) {
        let from_pos = self.kw_pos(&stage.from.from.span);
        if let Some(expected) = &expect.expose {
            let mut want: Vec<u16> = expected.clone();
            want.sort_unstable();
            want.dedup();
            let mut have = state.expose.clone();
            have.sort_unstable();
            if want != have {
                let pos = exposes.first().copied().unwrap_or(from_pos);
                let fmt = |v: &[u16]| {
                    if v.is_empty() {
                        "nothing".to_string()
                    } else {
                        v.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                    }
                };
                self.push(
                    Diagnostic::error(
                        "DH012",
                        pos,
                        format!(
                            "the final stage exposes {}; expected {}",
                            fmt(&have),
                            fmt(&want)
                        ),
                    )
                    .with_hint(format!(
                        "use `EXPOSE {}`",
                        want.iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(" ")
                    )),
                );
            }
        }
        if expect.nextjs_standalone {
            let mut missing = Vec::new();
            if !next_copies.0 {
                missing.push(".next/standalone");
            }
            if !next_copies.1 {
                missing.push(".next/static");
            }
            if !missing.is_empty() {
                self.push(
                    Diagnostic::error(
                        "DH013",
                        from_pos,
                        format!(
                            "the final stage does not copy {} from a build stage",
                            missing.join(" and ")
                        ),
                    )
                    .with_hint(
                        "set `output: \"standalone\"` in next.config.js and add \
                         `COPY --from=builder /app/.next/standalone ./` and \
                         `COPY --from=builder /app/.next/static ./.next/static`",
                    ),
                );
            }
        }
    }

    pub(super) fn stage_names(
        &mut self,
        stages: &[parse_dockerfile::Stage<'_, '_>],
        names: &[Option<String>],
        expected: &[String],
    ) {
        let actual: Vec<String> = stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.from
                    .as_
                    .as_ref()
                    .map_or_else(|| format!("<unnamed #{i}>"), |(_, n)| n.value.to_string())
            })
            .collect();
        let differs_at =
            (0..expected.len().max(names.len())).find(|&k| match (expected.get(k), names.get(k)) {
                (Some(e), Some(Some(a))) => !e.eq_ignore_ascii_case(a),
                _ => true,
            });
        if let Some(k) = differs_at {
            let stage = &stages[k.min(stages.len() - 1)];
            let pos = match &stage.from.as_ {
                Some((_, n)) if k < stages.len() => {
                    self.index.token_pos(&stage.from.from.span, &n.span)
                }
                _ => self.kw_pos(&stage.from.from.span),
            };
            self.push(
                Diagnostic::error(
                    "DH010",
                    pos,
                    format!(
                        "build stages are [{}]; expected [{}]",
                        actual.join(", "),
                        expected.join(", ")
                    ),
                )
                .with_hint(format!(
                    "name the stages in this order: {}",
                    expected.join(", ")
                )),
            );
        }
    }
}
