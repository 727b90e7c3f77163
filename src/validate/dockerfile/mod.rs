//! Dockerfile checks with positions.
//!
//! The text is parsed with `parse-dockerfile` (heredocs, line continuations,
//! multi-stage builds); every finding carries the 1-based line and column of
//! the offending instruction (or of the offending token when it sits on the
//! instruction's first line, so the line always matches hadolint's).
//!
//! # Codes and severities
//!
//! Where hadolint has the same rule its code is used, so findings can be
//! compared with hadolint's (by code: fired or not). Severities follow
//! hadolint's defaults, except for the seed's hard requirements, which are
//! errors in dockhand:
//!
//! | code   | what                                                          | severity |
//! |--------|---------------------------------------------------------------|----------|
//! | DH000  | syntax error (the file does not parse)                        | error    |
//! | DL3006 | base image without a tag                                      | error (hadolint: warning) |
//! | DL3007 | base image tagged `latest`                                    | error (hadolint: warning) |
//! | DL3002 | last USER of a stage is root                                  | error in the final stage, warning in earlier stages (hadolint: warning, every stage) |
//! | DH001  | the final stage never switches to a non-root USER             | error    |
//! | DL3042 | `pip install` without `--no-cache-dir`                        | warning  |
//! | DL3015 | `apt-get install` without `--no-install-recommends`           | info     |
//! | DL3009 | `apt-get update` without `rm -rf /var/lib/apt/lists/*` in the same RUN | info |
//! | DH002  | `npm install` (no packages) where `npm ci` fits               | warning  |
//! | DL3022 | `COPY --from` an unknown stage                                | warning  |
//! | DL3020 | ADD of local files where COPY fits                            | error    |
//! | DL3000 | relative WORKDIR                                              | error    |
//! | DL3025 | CMD/ENTRYPOINT not in JSON exec form                          | warning  |
//! | DH003  | secret-looking ENV/ARG with a literal value                   | error    |
//! | DH010  | stage names differ from the expected ones                     | error    |
//! | DH011  | base image not in the allowed list                            | error    |
//! | DH012  | exposed ports of the final stage differ from the expected ones | error   |
//! | DH013  | Next.js standalone output not copied into the final stage     | error    |
//!
//! hadolint has no rule for `npm ci` (its DL3016 is about pinning npm
//! packages), nor one for DH001. Its DL3064 ("sensitive data in ARG/ENV")
//! is name-based only (it also fires on `ARG TOKEN` without a value), so
//! dockhand keeps its own DH003.
//!
//! # Known, deliberate differences from hadolint 2.15
//!
//! - DL3009 needs an `rm` of `/var/lib/apt/lists...`; hadolint accepts any
//!   `rm -rf` (and rejects `rm -fr /var/lib/apt/lists`). Like hadolint it is
//!   only reported for the final stage or a stage used as a later base image,
//!   and not when the RUN has a cache mount on `/var/lib/apt`.
//! - DL3022: a `--from` value containing `/` or `:` is an image (hadolint
//!   flags `--from=docker.io/x`); a numeric `--from` must be smaller than the
//!   current stage index (hadolint accepts the current stage's own index).
//! - DL3020: `git@...`, `git://` and `ssh://` sources count as URLs.
//! - Stage names are compared case-insensitively, as Docker does.
//! - Heredocs fed to a shell (`RUN bash <<EOF`) are checked like `RUN <<EOF`.

use std::collections::{HashMap, HashSet};

use parse_dockerfile::{
    Command, FromInstruction, HealthcheckArguments, Instruction, RunInstruction, Source, Span,
};
use serde::{Deserialize, Serialize};

use crate::validate::diagnostic::{Diagnostic, Pos, Severity};

mod copy_from;
mod exec_form;
mod expect;
mod image;
mod prepare;
mod run;
mod secret;
mod shell;
#[cfg(test)]
mod tests;
mod util;

#[allow(unused_imports)]
use {copy_from::*, image::*, prepare::*, run::*, secret::*, shell::*, util::*};

/// What the prompt expects of the Dockerfile (from its front matter).
#[derive(Default, Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Expectations {
    /// Expected stage names, in order (compared case-insensitively).
    pub stages: Option<Vec<String>>,
    /// Allowed base images, e.g. `["python:3.11-slim"]`. An entry without a
    /// tag allows any tag; `docker.io/library/` prefixes and digests of the
    /// actual image are ignored unless the entry has a digest.
    pub base_images: Option<Vec<String>>,
    /// Ports the final stage must expose (exactly these).
    pub expose: Option<Vec<u16>>,
    /// The final stage must copy `.next/standalone` and `.next/static` from a
    /// build stage.
    pub nextjs_standalone: bool,
}

/// Which of the project's Dockerfile policies run (see
/// `policy::DOCKERFILE_POLICIES`); the general rules always run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DockerPolicies {
    /// `non-root-user`: DH001, and DL3002 is an error in the final stage.
    pub non_root_user: bool,
    /// `npm-ci`: DH002.
    pub npm_ci: bool,
    /// `expected-stages`: DH010 (when stages are expected).
    pub expected_stages: bool,
}

impl DockerPolicies {
    pub const ALL: DockerPolicies = DockerPolicies {
        non_root_user: true,
        npm_ci: true,
        expected_stages: true,
    };

    /// From policy names (unknown and manifest names are ignored).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> DockerPolicies {
        let has = |n: &str| names.iter().any(|x| x.as_ref() == n);
        DockerPolicies {
            non_root_user: has("non-root-user"),
            npm_ci: has("npm-ci"),
            expected_stages: has("expected-stages"),
        }
    }
}

/// Check a Dockerfile with every policy on. Findings are sorted by position.
pub fn check(text: &str, expect: &Expectations) -> Vec<Diagnostic> {
    check_with(text, expect, DockerPolicies::ALL)
}

/// Check a Dockerfile: the general rules, the prompt's expectations, and the
/// selected policies. A UTF-8 byte-order mark is skipped and CRLF line ends
/// are read as LF (positions are unchanged: the `\r` is the last byte of
/// its line). Findings are sorted by position.
pub fn check_with(text: &str, expect: &Expectations, policies: DockerPolicies) -> Vec<Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lf;
    let text = if text.contains('\r') {
        lf = text.replace("\r\n", "\n");
        lf.as_str()
    } else {
        text
    };
    let prepared = prepare(text);
    let df = match parse_dockerfile::parse(&prepared.text) {
        Ok(df) => df,
        Err(e) => {
            let pos = Pos::new(e.line().max(1), e.column().max(1));
            return vec![
                Diagnostic::error("DH000", pos, format!("Dockerfile syntax error: {e:#}"))
                    .with_hint("fix the syntax so that `docker build` can parse the file"),
            ];
        }
    };
    let escape = df
        .parser_directives
        .escape
        .as_ref()
        .map_or('\\', |d| d.value.value);
    let mut cx = Checker {
        index: LineIndex::new(&prepared.text),
        scripts: prepared.scripts,
        escape,
        policies,
        diags: Vec::new(),
    };
    cx.run(&df, expect);
    let mut diags = cx.diags;
    diags.sort_by(|a, b| (a.line, a.column, &a.code).cmp(&(b.line, b.column, &b.code)));
    diags
}

// ---------------------------------------------------------------------------
// Positions

struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn pos(&self, byte: usize) -> Pos {
        let byte = byte.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= byte);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..byte)
            .map_or(1, |s| s.chars().count() + 1);
        Pos::new(line, column)
    }

    /// The position of `token` when it is on the same line as `keyword`,
    /// else the keyword's (so the line always is the instruction's line).
    fn token_pos(&self, keyword: &Span, token: &Span) -> Pos {
        let k = self.pos(keyword.start);
        let t = self.pos(token.start);
        if t.line() == k.line() { t } else { k }
    }
}

// ---------------------------------------------------------------------------
// The checks

struct Checker<'a> {
    index: LineIndex<'a>,
    scripts: HashMap<usize, String>,
    escape: char,
    policies: DockerPolicies,
    diags: Vec<Diagnostic>,
}

/// What a stage hands down to stages built `FROM` it.
#[derive(Clone, Default)]
struct Inherited {
    /// The effective USER, if any was set.
    user: Option<String>,
    /// `PIP_NO_CACHE_DIR` is set to a truthy value.
    pip_no_cache: bool,
    /// Exposed ports.
    expose: Vec<u16>,
}

impl Checker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn kw_pos(&self, span: &Span) -> Pos {
        self.index.pos(span.start)
    }

    fn run(&mut self, df: &parse_dockerfile::Dockerfile<'_>, expect: &Expectations) {
        let mut vars: HashMap<String, String> = HashMap::new();
        for arg in df.global_args() {
            let pos = self.kw_pos(&arg.arg.span);
            for (name, value) in kv_pairs(&arg.arguments.value, false) {
                self.secret(pos, "ARG", &name, value.as_deref());
                if let Some(v) = value {
                    vars.insert(name, unquote(&v));
                }
            }
        }

        let stages: Vec<_> = df.stages().collect();
        let names: Vec<Option<String>> = stages
            .iter()
            .map(|s| {
                s.from
                    .as_
                    .as_ref()
                    .map(|(_, n)| n.value.to_ascii_lowercase())
            })
            .collect();
        // Images used by FROM anywhere (for DL3009: stages used as a base).
        let from_images: HashSet<String> = stages
            .iter()
            .map(|s| s.from.image.value.to_ascii_lowercase())
            .collect();
        let mut inherited: Vec<Inherited> = Vec::with_capacity(stages.len());
        let last = stages.len() - 1;

        for (i, stage) in stages.iter().enumerate() {
            let is_final = i == last;
            let from = stage.from;
            let from_pos = self.kw_pos(&from.from.span);
            let image = from.image.value.as_ref();
            let image_lc = image.to_ascii_lowercase();
            let base_stage = names[..i]
                .iter()
                .position(|n| n.as_deref() == Some(image_lc.as_str()));

            self.base_image(from, base_stage.is_some(), &vars, expect);

            let mut state = match base_stage {
                Some(b) => inherited[b].clone(),
                None => Inherited {
                    // distroless-style `:nonroot` images already run as non-root.
                    user: image_tag(image)
                        .filter(|t| t.contains("nonroot"))
                        .map(|_| "nonroot".to_string()),
                    ..Inherited::default()
                },
            };
            let stage_used_later = names[i].as_ref().is_some_and(|n| from_images.contains(n));
            let report_apt_lists = is_final || stage_used_later;
            let mut last_user: Option<(Pos, String)> = None;
            let mut stage_vars = vars.clone();
            let mut exposes: Vec<Pos> = Vec::new();
            let mut next_copies: (bool, bool) = (false, false);

            for instr in stage.instructions {
                match instr {
                    Instruction::User(u) => {
                        let pos = self.index.token_pos(&u.user.span, &u.arguments.span);
                        let user = u.arguments.value.trim().to_string();
                        state.user = Some(user.clone());
                        last_user = Some((pos, user));
                    }
                    Instruction::Env(env) => {
                        let pos = self.kw_pos(&env.env.span);
                        for (name, value) in kv_pairs(&env.arguments.value, true) {
                            self.secret(pos, "ENV", &name, value.as_deref());
                            if let Some(v) = value {
                                let v = unquote(&v);
                                if name == "PIP_NO_CACHE_DIR" {
                                    state.pip_no_cache = is_truthy(&v);
                                }
                                stage_vars.insert(name, v);
                            }
                        }
                    }
                    Instruction::Arg(arg) => {
                        let pos = self.kw_pos(&arg.arg.span);
                        for (name, value) in kv_pairs(&arg.arguments.value, false) {
                            self.secret(pos, "ARG", &name, value.as_deref());
                            if let Some(v) = value {
                                stage_vars.insert(name, unquote(&v));
                            }
                        }
                    }
                    Instruction::Run(run) => {
                        let pos = self.kw_pos(&run.run.span);
                        self.run_instruction(run, pos, state.pip_no_cache, report_apt_lists);
                    }
                    Instruction::Onbuild(o) => {
                        if let Instruction::Run(run) = o.instruction.as_ref() {
                            let pos = self.kw_pos(&o.onbuild.span);
                            self.run_instruction(run, pos, state.pip_no_cache, report_apt_lists);
                        }
                    }
                    Instruction::Copy(copy) => {
                        let from_flag = copy.options.iter().find(|f| f.name.value == "from");
                        let mut from_stage = false;
                        if let Some(v) = from_flag.and_then(|f| f.value.as_ref()) {
                            let value = unquote(&v.value);
                            let lc = value.to_ascii_lowercase();
                            let known =
                                names[..i].iter().any(|n| n.as_deref() == Some(lc.as_str()));
                            let index_ok = lc.parse::<usize>().is_ok_and(|k| k < i);
                            let is_number =
                                !lc.is_empty() && lc.bytes().all(|b| b.is_ascii_digit());
                            let image_like = lc.contains([':', '/', '@']) || lc.contains('$');
                            from_stage = known || index_ok;
                            if !known && !index_ok && (is_number || !image_like) {
                                let p = self.index.token_pos(&copy.copy.span, &v.span);
                                self.push(copy_from_finding(&value, i, &names, p));
                            }
                        }
                        if from_stage && is_final {
                            for src in &copy.src {
                                if let Source::Path(p) = src {
                                    next_copies.0 |= p.value.contains(".next/standalone");
                                    next_copies.1 |= p.value.contains(".next/static");
                                }
                            }
                        }
                    }
                    Instruction::Add(add) => {
                        let local: Vec<&str> = add
                            .src
                            .iter()
                            .filter_map(|s| match s {
                                Source::Path(p) => Some(p.value.as_ref()),
                                _ => None,
                            })
                            .filter(|p| !is_url(p) && !is_archive(p))
                            .collect();
                        if !local.is_empty() {
                            self.push(
                                Diagnostic::error(
                                    "DL3020",
                                    self.kw_pos(&add.add.span),
                                    format!("use COPY instead of ADD for local files and folders ({})", local.join(", ")),
                                )
                                .with_hint("ADD is only needed for URLs and local tar archives to extract; use COPY"),
                            );
                        }
                    }
                    Instruction::Workdir(w) => {
                        let dir = unquote(w.arguments.value.trim());
                        if !is_absolute_dir(&dir) {
                            let p = self.index.token_pos(&w.workdir.span, &w.arguments.span);
                            self.push(
                                Diagnostic::error(
                                    "DL3000",
                                    p,
                                    format!("WORKDIR `{dir}` is relative"),
                                )
                                .with_hint("use an absolute path, e.g. `WORKDIR /app`"),
                            );
                        }
                    }
                    Instruction::Cmd(c) => self.exec_form("CMD", &c.cmd.span, &c.arguments),
                    Instruction::Healthcheck(h) => {
                        if let HealthcheckArguments::Cmd { arguments, .. } = &h.arguments {
                            self.exec_form("HEALTHCHECK CMD", &h.healthcheck.span, arguments)
                        }
                    }
                    Instruction::Entrypoint(e) => {
                        self.exec_form("ENTRYPOINT", &e.entrypoint.span, &e.arguments)
                    }
                    Instruction::Expose(e) => {
                        exposes.push(self.kw_pos(&e.expose.span));
                        for a in &e.arguments {
                            let v = substitute(&a.value, &stage_vars).unwrap_or_default();
                            let port = v
                                .split('/')
                                .next()
                                .unwrap_or("")
                                .split('-')
                                .next()
                                .unwrap_or("");
                            if let Ok(p) = port.parse::<u16>()
                                && !state.expose.contains(&p)
                            {
                                state.expose.push(p);
                            }
                        }
                    }
                    _ => {}
                }
            }

            if let Some((pos, user)) = &last_user
                && is_root(user)
            {
                let severity = if is_final && self.policies.non_root_user {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                let where_ = if is_final {
                    "the final stage"
                } else {
                    "this build stage"
                };
                self.push(
                    Diagnostic::new(
                        "DL3002",
                        severity,
                        *pos,
                        format!("last USER of {where_} is root (`{user}`)"),
                    )
                    .with_hint("create an unprivileged user and switch to it, e.g. `USER appuser`"),
                );
            }
            if is_final && state.user.is_none() && self.policies.non_root_user {
                self.push(
                    Diagnostic::error("DH001", from_pos, "the final stage never sets a non-root USER, so the container runs as root")
                        .with_hint("add e.g. `RUN useradd --system appuser` and `USER appuser` to the final stage"),
                );
            }
            if is_final {
                self.expectations_final(&stages[i], &state, &exposes, next_copies, expect);
            }
            inherited.push(state);
        }

        if let Some(expected) = expect
            .stages
            .as_ref()
            .filter(|_| self.policies.expected_stages)
        {
            self.stage_names(&stages, &names, expected);
        }
    }
}
