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

use parse_dockerfile::{Command, FromInstruction, Instruction, RunInstruction, Source, Span};
use serde::{Deserialize, Serialize};

use crate::validate::diagnostic::{Diagnostic, Pos, Severity};

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

/// Check a Dockerfile. Findings are sorted by position.
pub fn check(text: &str, expect: &Expectations) -> Vec<Diagnostic> {
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
        diags: Vec::new(),
    };
    cx.run(&df, expect);
    let mut diags = cx.diags;
    diags.sort_by(|a, b| (a.line, a.column, &a.code).cmp(&(b.line, b.column, &b.code)));
    diags
}

// ---------------------------------------------------------------------------
// Preparation: heredocs parse-dockerfile 0.1 cannot parse

struct Prepared {
    /// The text handed to the parser: identical to the input except that the
    /// bodies of heredocs parse-dockerfile cannot parse (`RUN cat <<EOF > f`,
    /// a second heredoc) are turned into comment lines, so line numbers stay.
    text: String,
    /// Bodies of masked heredocs fed to a shell (`RUN bash <<EOF`), by the
    /// 1-based line of their RUN instruction.
    scripts: HashMap<usize, String>,
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh"];

fn prepare(text: &str) -> Prepared {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let escape = escape_directive(&lines);
    let mut out = String::with_capacity(text.len() + 64);
    let mut scripts = HashMap::new();
    let mut continued = false;
    let mut keyword = String::new();
    let mut instr_line = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        let first = !continued;
        if first {
            if t.is_empty() || t.starts_with('#') {
                out.push_str(line);
                i += 1;
                continue;
            }
            keyword = t
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            instr_line = i + 1;
        } else if t.starts_with('#') {
            out.push_str(line);
            i += 1;
            continue;
        }
        continued = t.ends_with(escape);
        out.push_str(line);
        i += 1;
        if keyword != "RUN" || continued {
            continue;
        }
        let delims = heredoc_delims(t);
        if delims.is_empty() {
            continue;
        }
        let args = run_args(t, first);
        // parse-dockerfile handles exactly one heredoc at the start of RUN.
        let handled = usize::from(first && args.starts_with("<<"));
        let launcher = &args[..args.find("<<").unwrap_or(args.len())];
        for (k, (delim, strip_tabs)) in delims.iter().enumerate() {
            let mut body = String::new();
            while i < lines.len() {
                let l = lines[i];
                let content = l.trim_end_matches(['\n', '\r']);
                let cmp = if *strip_tabs {
                    content.trim_start_matches('\t')
                } else {
                    content
                };
                let is_end = cmp == delim;
                if k < handled {
                    out.push_str(l);
                } else {
                    out.push('#');
                    out.push_str(l);
                }
                i += 1;
                if is_end {
                    break;
                }
                body.push_str(content);
                body.push('\n');
            }
            if k == 0 && handled == 0 && is_shell_launcher(launcher) {
                scripts.insert(instr_line, body);
            }
        }
    }
    Prepared { text: out, scripts }
}

fn escape_directive(lines: &[&str]) -> char {
    for line in lines {
        let t = line.trim();
        let Some(d) = t.strip_prefix('#') else { break };
        let d = d.trim();
        if let Some((k, v)) = d.split_once('=') {
            if k.trim().eq_ignore_ascii_case("escape")
                && let Some(c) = v.trim().chars().next()
            {
                return c;
            }
            continue;
        }
        break;
    }
    '\\'
}

/// The arguments of a RUN line after the keyword and `--flag` options (for a
/// continuation line: the whole line).
fn run_args(line: &str, first: bool) -> &str {
    let mut rest = line.trim_start();
    if first {
        rest = rest.get(3..).unwrap_or("").trim_start();
        while rest.starts_with("--") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = rest[end..].trim_start();
        }
    }
    rest
}

/// Empty, or a shell with only flags (`bash`, `sh -ex`, `/bin/bash -e`).
fn is_shell_launcher(cmd: &str) -> bool {
    let mut words = cmd.split_whitespace();
    match words.next() {
        None => true,
        Some(w) => SHELLS.contains(&basename(w)) && words.all(|w| w.starts_with('-') && w != "-c"),
    }
}

/// Heredoc delimiters opened on a line (`<<EOF`, `<<-EOF`, `<<"EOF"`), as
/// `(delimiter, strip_tabs)`. `<<<` here-strings are not heredocs.
fn heredoc_delims(line: &str) -> Vec<(String, bool)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if b == b'\'' || b == b'"' {
            quote = Some(b);
            i += 1;
            continue;
        }
        if b == b'<' && bytes.get(i + 1) == Some(&b'<') {
            let mut j = i + 2;
            if bytes.get(j) == Some(&b'<') {
                i = j + 1;
                continue;
            }
            let strip = bytes.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let q = matches!(bytes.get(j), Some(b'"' | b'\'')).then(|| bytes[j]);
            if q.is_some() {
                j += 1;
            }
            let start = j;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'-')
            {
                j += 1;
            }
            if j > start {
                out.push((line[start..j].to_string(), strip));
            }
            if q.is_some() && bytes.get(j).copied() == q {
                j += 1;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
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
        if t.line == k.line { t } else { k }
    }
}

// ---------------------------------------------------------------------------
// The checks

struct Checker<'a> {
    index: LineIndex<'a>,
    scripts: HashMap<usize, String>,
    escape: char,
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
                                self.push(
                                    Diagnostic::warning(
                                        "DL3022",
                                        p,
                                        format!("`COPY --from={value}` does not reference a previously defined stage"),
                                    )
                                    .with_hint("name the build stage with `FROM <image> AS <name>` before copying from it"),
                                );
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
                let severity = if is_final {
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
            if is_final && state.user.is_none() {
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

        if let Some(expected) = &expect.stages {
            self.stage_names(&stages, &names, expected);
        }
    }

    fn exec_form(&mut self, name: &str, span: &Span, args: &Command<'_>) {
        if let Command::Shell(_) = args {
            self.push(
                Diagnostic::warning("DL3025", self.kw_pos(span), format!("{name} is not in JSON exec form"))
                    .with_hint(format!(
                        "write {name} [\"executable\", \"arg\"] so the process gets signals directly (no `sh -c`)"
                    )),
            );
        }
    }

    fn secret(&mut self, pos: Pos, what: &str, name: &str, value: Option<&str>) {
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

    fn base_image(
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

    fn run_instruction(
        &mut self,
        run: &RunInstruction<'_>,
        pos: Pos,
        pip_no_cache: bool,
        report_apt_lists: bool,
    ) {
        let cmds = self.run_commands(run, pos.line);
        let script_text: String = match &run.arguments {
            Command::Shell(s) => s.value.to_string(),
            _ => String::new(),
        };

        // DL3042
        let env_no_cache = pip_no_cache
            || script_text
                .split_whitespace()
                .chain(
                    cmds.iter()
                        .flat_map(|c| c.assigns.iter().map(String::as_str)),
                )
                .any(|w| {
                    w.strip_prefix("PIP_NO_CACHE_DIR=")
                        .is_some_and(|v| is_truthy(&unquote(v)))
                });
        if !env_no_cache
            && cmds
                .iter()
                .any(|c| is_pip_install(c) && !c.args.iter().any(|a| a == "--no-cache-dir"))
        {
            self.push(
                Diagnostic::warning(
                    "DL3042",
                    pos,
                    "`pip install` without `--no-cache-dir` keeps pip's cache in the image",
                )
                .with_hint("use `pip install --no-cache-dir ...` or `ENV PIP_NO_CACHE_DIR=1`"),
            );
        }

        // DL3015
        if cmds.iter().any(|c| {
            c.name == "apt-get"
                && c.args.iter().any(|a| a == "install")
                && !c
                    .args
                    .iter()
                    .any(|a| a == "--no-install-recommends" || a == "APT::Install-Recommends=false")
        }) {
            self.push(
                Diagnostic::new(
                    "DL3015",
                    Severity::Info,
                    pos,
                    "`apt-get install` without `--no-install-recommends` pulls in extra packages",
                )
                .with_hint("use `apt-get install -y --no-install-recommends ...`"),
            );
        }

        // DL3009
        let updates = cmds
            .iter()
            .any(|c| c.name == "apt-get" && c.args.iter().any(|a| a == "update"));
        let cleans = cmds
            .iter()
            .any(|c| c.name == "rm" && c.args.iter().any(|a| a.starts_with("/var/lib/apt/lists")));
        let cache_mount = run.options.iter().any(|f| {
            f.name.value == "mount"
                && f.value.as_ref().is_some_and(|v| {
                    v.value.contains("type=cache")
                        && v.value.split(',').any(|kv| {
                            kv.split_once('=').is_some_and(|(k, p)| {
                                matches!(k, "target" | "dst" | "destination")
                                    && p.starts_with("/var/lib/apt")
                            })
                        })
                })
        });
        if report_apt_lists && updates && !cleans && !cache_mount {
            self.push(
                Diagnostic::new(
                    "DL3009",
                    Severity::Info,
                    pos,
                    "apt lists are not deleted in the same RUN as `apt-get update`",
                )
                .with_hint("end the RUN with `&& rm -rf /var/lib/apt/lists/*`"),
            );
        }

        // DH002
        if cmds.iter().any(|c| {
            c.name == "npm" && {
                let positional: Vec<&String> =
                    c.args.iter().filter(|a| !a.starts_with('-')).collect();
                matches!(
                    positional.first().map(|s| s.as_str()),
                    Some("install" | "i")
                ) && positional.len() == 1
            }
        }) {
            self.push(
                Diagnostic::warning(
                    "DH002",
                    pos,
                    "`npm install` from package.json; `npm ci` installs exactly the lockfile",
                )
                .with_hint(
                    "copy package-lock.json and use `npm ci` (add `--omit=dev` for production)",
                ),
            );
        }
    }

    /// The simple commands a RUN executes (shell form, exec form with
    /// `sh -c`, and heredoc scripts).
    fn run_commands(&self, run: &RunInstruction<'_>, line: usize) -> Vec<ShellCmd> {
        let mut script = String::new();
        match &run.arguments {
            Command::Shell(s) => {
                script.push_str(&join_continuations(s.value, self.escape));
                script.push('\n');
                if !run.here_docs.is_empty() && is_shell_launcher(s.value.trim()) {
                    for h in &run.here_docs {
                        script.push_str(&h.value);
                        script.push('\n');
                    }
                }
            }
            Command::Exec(words) => {
                let words: Vec<&str> = words.value.iter().map(|w| w.value.as_ref()).collect();
                if words.len() >= 3 && SHELLS.contains(&basename(words[0])) && words[1] == "-c" {
                    script.push_str(words[2]);
                } else {
                    return make_cmd(words.iter().map(|w| w.to_string()).collect())
                        .into_iter()
                        .collect();
                }
            }
            _ => {}
        }
        if let Some(body) = self.scripts.get(&line) {
            script.push_str(body);
        }
        shell_commands(&script)
    }

    fn expectations_final(
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

    fn stage_names(
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

// ---------------------------------------------------------------------------
// Helpers

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

fn is_truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "on" | "yes")
}

fn is_root(user: &str) -> bool {
    let u = unquote(user);
    let name = u.split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

fn is_secret_name(name: &str) -> bool {
    crate::validate::secrets::is_secret_name(name)
}

fn is_absolute_dir(dir: &str) -> bool {
    let b = dir.as_bytes();
    dir.starts_with('/')
        || dir.starts_with('$')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

fn is_url(src: &str) -> bool {
    let s = unquote(src);
    ["http://", "https://", "git://", "ssh://", "git@"]
        .iter()
        .any(|p| s.starts_with(p))
}

const ARCHIVES: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

fn is_archive(src: &str) -> bool {
    let s = unquote(src);
    ARCHIVES.iter().any(|ext| s.ends_with(ext))
}

/// `(name, tag, digest)` of an image reference. The tag is the part after
/// the last `:` following the last `/` (so `localhost:5000/app` has none).
fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
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

fn image_tag(image: &str) -> Option<&str> {
    split_image(image).1
}

fn normalise_image(image: &str) -> String {
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

fn image_allowed(image: &str, allowed: &[String]) -> bool {
    let (name, tag, digest) = split_image(image);
    allowed.iter().any(|a| {
        let (a_name, a_tag, a_digest) = split_image(a);
        normalise_image(a_name) == normalise_image(name)
            && a_tag.is_none_or(|t| Some(t) == tag)
            && a_digest.is_none_or(|d| Some(d) == digest)
    })
}

/// Expand `$VAR`, `${VAR}` and `${VAR:-default}`; `None` when a variable is
/// unknown.
fn substitute(s: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            let expr = &inner[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            match vars
                .get(name)
                .filter(|v| !v.is_empty())
                .map(String::as_str)
                .or(default)
            {
                Some(v) => out.push_str(v),
                None => return None,
            }
            rest = &inner[end + 1..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..end])?);
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Split ENV/ARG arguments into `(name, raw value)`; quotes are kept in the
/// value so that callers can tell `$VAR` references apart. With `legacy_env`,
/// `ENV NAME value with spaces` is understood.
fn kv_pairs(args: &str, legacy_env: bool) -> Vec<(String, Option<String>)> {
    let words = split_words(args);
    if legacy_env && words.first().is_some_and(|w| !w.contains('=')) {
        let name = words[0].clone();
        let value = args.trim_start()[name.len()..].trim().to_string();
        return vec![(name, Some(value))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Whitespace-separated words, keeping quotes (and what they enclose) intact.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (Some(_), '\\') => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (None, '\\') => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Undo Dockerfile line continuations; comment and blank lines inside a
/// continued instruction are dropped, as Docker does.
fn join_continuations(s: &str, escape: char) -> String {
    let mut out = String::new();
    let mut continued = false;
    for line in s.split('\n') {
        let t = line.trim_end();
        if continued && (t.trim().is_empty() || t.trim_start().starts_with('#')) {
            continue;
        }
        match t.strip_suffix(escape) {
            Some(stripped) => {
                out.push_str(stripped);
                out.push(' ');
                continued = true;
            }
            None => {
                out.push_str(t);
                out.push('\n');
                continued = false;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// A tiny shell lexer: enough to find simple commands and their arguments.

#[derive(Debug, Default, PartialEq)]
struct ShellCmd {
    /// `NAME=value` words before the command.
    assigns: Vec<String>,
    /// The command's basename (`/usr/bin/pip3` → `pip3`).
    name: String,
    args: Vec<String>,
}

const SHELL_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "env", "exec", "command",
];

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn make_cmd(words: Vec<String>) -> Option<ShellCmd> {
    let mut assigns = Vec::new();
    let mut it = words.into_iter().peekable();
    while let Some(w) = it.peek() {
        if is_assignment(w) {
            assigns.push(it.next().expect("peeked"));
        } else if SHELL_KEYWORDS.contains(&w.as_str()) {
            it.next();
        } else {
            break;
        }
    }
    let name = basename(&it.next()?).to_string();
    Some(ShellCmd {
        assigns,
        name,
        args: it.collect(),
    })
}

/// Split a shell script into simple commands (on newlines, `;`, `&&`, `||`,
/// `|`, `&`, parentheses). Quotes are removed, comments and redirections
/// (with their targets) dropped; `$(...)` and backticks stay inside a word.
fn shell_commands(script: &str) -> Vec<ShellCmd> {
    let chars: Vec<char> = script.chars().collect();
    let n = chars.len();
    let mut cmds = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut skip_word = false;

    fn end_word(
        word: &mut String,
        in_word: &mut bool,
        skip_word: &mut bool,
        words: &mut Vec<String>,
    ) {
        if *in_word {
            if *skip_word {
                *skip_word = false;
            } else {
                words.push(std::mem::take(word));
            }
            word.clear();
            *in_word = false;
        }
    }

    let mut i = 0;
    while i < n {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => end_word(&mut word, &mut in_word, &mut skip_word, &mut words),
            '\n' | ';' | '(' | ')' | '|' => {
                end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
                skip_word = false;
                cmds.extend(make_cmd(std::mem::take(&mut words)));
            }
            '&' => {
                end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
                if chars.get(i + 1) == Some(&'>') {
                    i += 2;
                    while i < n && chars[i] == '>' {
                        i += 1;
                    }
                    skip_word = true;
                    continue;
                }
                skip_word = false;
                cmds.extend(make_cmd(std::mem::take(&mut words)));
            }
            '>' | '<' => {
                if in_word && word.chars().all(|c| c.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                } else {
                    end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
                }
                i += 1;
                while i < n && matches!(chars[i], '>' | '<' | '&' | '-' | '|') {
                    i += 1;
                }
                skip_word = true;
                continue;
            }
            '#' if !in_word => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1)
                    && next != '\n'
                {
                    word.push(next);
                    in_word = true;
                }
                i += 2;
                continue;
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < n && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < n && chars[i] != '"' {
                    if chars[i] == '\\'
                        && i + 1 < n
                        && matches!(chars[i + 1], '"' | '\\' | '$' | '`' | '\n')
                    {
                        if chars[i + 1] != '\n' {
                            word.push(chars[i + 1]);
                        }
                        i += 2;
                        continue;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let mut depth = 0;
                while i < n {
                    word.push(chars[i]);
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            '`' => {
                in_word = true;
                word.push(c);
                i += 1;
                while i < n && chars[i] != '`' {
                    word.push(chars[i]);
                    i += 1;
                }
                word.push('`');
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
    cmds.extend(make_cmd(words));
    cmds
}

fn is_pip_install(c: &ShellCmd) -> bool {
    let is_pip = |name: &str| {
        name.strip_prefix("pip")
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    if is_pip(&c.name) {
        return c.args.iter().any(|a| a == "install");
    }
    if c.name.starts_with("python") {
        return c
            .args
            .windows(3)
            .any(|w| w[0] == "-m" && is_pip(&w[1]) && w[2] == "install");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const FASTAPI: &str = include_str!("../../tests/fixtures/dockerfiles/good/fastapi.Dockerfile");
    const NEXTJS: &str = include_str!("../../tests/fixtures/dockerfiles/good/nextjs.Dockerfile");
    const HEREDOC: &str = include_str!("../../tests/fixtures/dockerfiles/good/heredoc.Dockerfile");
    const EDGE_CASES: &str =
        include_str!("../../tests/fixtures/dockerfiles/good/edge-cases.Dockerfile");
    const HEREDOC_ADJACENT: &str = include_str!(
        "../../tests/fixtures/dockerfiles/good/heredoc-adjacent.hadolint-misparse.Dockerfile"
    );

    /// `(code, file, expected 1-based lines)`.
    const BAD: &[(&str, &str, &[usize])] = &[
        (
            "DH000",
            include_str!("../../tests/fixtures/dockerfiles/bad/DH000.Dockerfile"),
            &[4],
        ),
        (
            "DL3006",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3006.Dockerfile"),
            &[1],
        ),
        (
            "DL3007",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3007.Dockerfile"),
            &[2],
        ),
        (
            "DL3002",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3002.Dockerfile"),
            &[6],
        ),
        (
            "DH001",
            include_str!("../../tests/fixtures/dockerfiles/bad/DH001.Dockerfile"),
            &[5],
        ),
        (
            "DL3042",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3042.Dockerfile"),
            &[4, 5],
        ),
        (
            "DL3015",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3015.Dockerfile"),
            &[2],
        ),
        (
            "DL3009",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3009.Dockerfile"),
            &[2],
        ),
        (
            "DH002",
            include_str!("../../tests/fixtures/dockerfiles/bad/DH002.Dockerfile"),
            &[4],
        ),
        (
            "DL3022",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3022.Dockerfile"),
            &[7, 8],
        ),
        (
            "DL3020",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3020.Dockerfile"),
            &[3],
        ),
        (
            "DL3000",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3000.Dockerfile"),
            &[2],
        ),
        (
            "DL3025",
            include_str!("../../tests/fixtures/dockerfiles/bad/DL3025.Dockerfile"),
            &[7],
        ),
        (
            "DH003",
            include_str!("../../tests/fixtures/dockerfiles/bad/DH003.Dockerfile"),
            &[2, 3, 4],
        ),
    ];

    fn codes(diags: &[Diagnostic]) -> Vec<String> {
        diags
            .iter()
            .map(|d| format!("{}@{}:{}", d.code, d.line, d.column))
            .collect()
    }

    fn fastapi_expect() -> Expectations {
        Expectations {
            stages: Some(vec!["builder".into(), "runtime".into()]),
            base_images: Some(vec!["python:3.11-slim".into()]),
            expose: Some(vec![8000]),
            nextjs_standalone: false,
        }
    }

    fn nextjs_expect() -> Expectations {
        Expectations {
            stages: Some(vec!["deps".into(), "builder".into(), "runner".into()]),
            base_images: Some(vec!["node:18-alpine".into()]),
            expose: Some(vec![3000]),
            nextjs_standalone: true,
        }
    }

    #[test]
    fn good_files_are_clean() {
        for (name, text) in [
            ("fastapi", FASTAPI),
            ("nextjs", NEXTJS),
            ("heredoc", HEREDOC),
            ("edge-cases", EDGE_CASES),
            ("heredoc-adjacent", HEREDOC_ADJACENT),
        ] {
            let d = check(text, &Expectations::default());
            assert!(d.is_empty(), "{name}: {:#?}", d);
        }
    }

    #[test]
    fn seed_expectations_pass() {
        assert_eq!(
            codes(&check(FASTAPI, &fastapi_expect())),
            Vec::<String>::new()
        );
        assert_eq!(
            codes(&check(NEXTJS, &nextjs_expect())),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_rule_fires_on_its_bad_file_only() {
        for (code, text, lines) in BAD {
            let d = check(text, &Expectations::default());
            let got: Vec<usize> = d
                .iter()
                .filter(|d| d.code == *code)
                .map(|d| d.line)
                .collect();
            assert_eq!(&got, lines, "{code}: {:#?}", d);
            let others: Vec<&Diagnostic> = d.iter().filter(|d| d.code != *code).collect();
            assert!(others.is_empty(), "{code}: unexpected {:#?}", others);
            assert!(
                d.iter().all(|d| d.hint.is_some() && d.column >= 1),
                "{code}"
            );
            // ... and stays quiet on the good files.
            for good in [FASTAPI, NEXTJS, HEREDOC, EDGE_CASES, HEREDOC_ADJACENT] {
                assert!(
                    !check(good, &Expectations::default())
                        .iter()
                        .any(|d| d.code == *code)
                );
            }
        }
    }

    #[test]
    fn severities() {
        let sev = |code: &str| {
            let (_, text, _) = BAD.iter().find(|(c, _, _)| *c == code).unwrap();
            check(text, &Expectations::default())
                .into_iter()
                .find(|d| d.code == code)
                .unwrap()
                .severity
        };
        for code in [
            "DH000", "DL3006", "DL3007", "DL3002", "DH001", "DH003", "DL3020", "DL3000",
        ] {
            assert_eq!(sev(code), Severity::Error, "{code}");
        }
        for code in ["DL3042", "DL3022", "DL3025", "DH002"] {
            assert_eq!(sev(code), Severity::Warning, "{code}");
        }
        for code in ["DL3015", "DL3009"] {
            assert_eq!(sev(code), Severity::Info, "{code}");
        }
    }

    #[test]
    fn syntax_error_position() {
        let d = check(
            "FROM alpine:3.20\nRUN echo\nNOPE this\n",
            &Expectations::default(),
        );
        assert_eq!(codes(&d), ["DH000@3:1"]);
        let d = check("# only a comment\n", &Expectations::default());
        assert_eq!(codes(&d), ["DH000@1:1"]);
    }

    #[test]
    fn columns_point_at_the_token() {
        let d = check("FROM  python:latest\nUSER 1000\n", &Expectations::default());
        assert_eq!(codes(&d), ["DL3007@1:7"]);
        let d = check(
            "FROM python:3.11\nUSER 1000\nWORKDIR app\n",
            &Expectations::default(),
        );
        assert_eq!(codes(&d), ["DL3000@3:9"]);
    }

    #[test]
    fn renamed_stage_fails_dh010() {
        let text = NEXTJS
            .replace("AS builder", "AS build")
            .replace("--from=builder", "--from=build");
        let d = check(&text, &nextjs_expect());
        assert_eq!(
            d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            ["DH010"],
            "{d:#?}"
        );
        assert_eq!(
            d[0].line,
            NEXTJS
                .lines()
                .position(|l| l.contains("AS builder"))
                .unwrap()
                + 1
        );
        assert!(
            d[0].message.contains("[deps, build, runner]"),
            "{}",
            d[0].message
        );

        let text = FASTAPI.replace("AS runtime", "");
        let d = check(&text, &fastapi_expect());
        assert_eq!(
            d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            ["DH010"],
            "{d:#?}"
        );
    }

    #[test]
    fn different_base_image_fails_dh011() {
        let text = FASTAPI.replacen(
            "python:3.11-slim AS runtime",
            "python:3.12-slim AS runtime",
            1,
        );
        let d = check(&text, &fastapi_expect());
        assert_eq!(
            d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            ["DH011"],
            "{d:#?}"
        );
        assert_eq!(
            d[0].line,
            FASTAPI
                .lines()
                .position(|l| l.contains("AS runtime"))
                .unwrap()
                + 1
        );

        // ARG defaults are resolved; digests and docker.io/library/ are ignored.
        let text = "ARG V=3.11\nFROM docker.io/library/python:${V}-slim@sha256:abc AS builder\nFROM builder AS runtime\nUSER 1000\nEXPOSE 8000\n";
        assert!(
            check(text, &fastapi_expect()).is_empty(),
            "{:#?}",
            check(text, &fastapi_expect())
        );
        let text =
            "ARG BASE\nFROM ${BASE} AS builder\nFROM builder AS runtime\nUSER 1000\nEXPOSE 8000\n";
        assert_eq!(codes(&check(text, &fastapi_expect())), ["DH011@2:6"]);
    }

    #[test]
    fn exposed_ports_dh012() {
        let text = FASTAPI.replace("EXPOSE 8000", "EXPOSE 8080");
        let d = check(&text, &fastapi_expect());
        assert_eq!(
            d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            ["DH012"],
            "{d:#?}"
        );
        let text = FASTAPI.replace("EXPOSE 8000", "");
        assert_eq!(check(&text, &fastapi_expect())[0].code, "DH012");
        let text = "FROM python:3.11-slim AS builder\nFROM python:3.11-slim AS runtime\nARG PORT=8000\nEXPOSE ${PORT}/tcp\nUSER 1000\n";
        assert!(check(text, &fastapi_expect()).is_empty());
    }

    #[test]
    fn nextjs_standalone_dh013() {
        let text: String = NEXTJS
            .lines()
            .filter(|l| !l.contains(".next/standalone"))
            .map(|l| format!("{l}\n"))
            .collect();
        let d = check(&text, &nextjs_expect());
        assert_eq!(
            d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            ["DH013"],
            "{d:#?}"
        );
        assert!(
            d[0].message.contains(".next/standalone") && !d[0].message.contains(".next/static")
        );
        assert_eq!(
            d[0].line,
            NEXTJS
                .lines()
                .position(|l| l.contains("AS runner"))
                .unwrap()
                + 1
        );
    }

    #[test]
    fn expectation_bad_files() {
        let files: [(&str, &str, Expectations); 4] = [
            (
                "DH010",
                include_str!("../../tests/fixtures/dockerfiles/bad/DH010.Dockerfile"),
                fastapi_expect(),
            ),
            (
                "DH011",
                include_str!("../../tests/fixtures/dockerfiles/bad/DH011.Dockerfile"),
                fastapi_expect(),
            ),
            (
                "DH012",
                include_str!("../../tests/fixtures/dockerfiles/bad/DH012.Dockerfile"),
                fastapi_expect(),
            ),
            (
                "DH013",
                include_str!("../../tests/fixtures/dockerfiles/bad/DH013.Dockerfile"),
                nextjs_expect(),
            ),
        ];
        for (code, text, expect) in &files {
            let d = check(text, expect);
            assert_eq!(
                d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
                [*code],
                "{d:#?}"
            );
            assert!(d[0].is_error() && d[0].hint.is_some());
            // Without expectations they are clean.
            assert!(check(text, &Expectations::default()).is_empty(), "{code}");
        }
    }

    #[test]
    fn base_image_rule_details() {
        let e = Expectations::default();
        let clean = |t: &str| check(t, &e).is_empty();
        assert!(clean("FROM python:3.11 AS b\nFROM b\nUSER 1000\n"));
        assert!(clean("FROM scratch\nUSER 1000\n"));
        assert!(clean("FROM python@sha256:abc\nUSER 1000\n"));
        assert!(clean("FROM python:latest@sha256:abc\nUSER 1000\n"));
        assert!(clean("ARG BASE=python\nFROM ${BASE}\nUSER 1000\n"));
        assert!(clean("FROM localhost:5000/app:1.0\nUSER 1000\n"));
        assert_eq!(
            codes(&check("FROM localhost:5000/app\nUSER 1000\n", &e)),
            ["DL3006@1:6"]
        );
        assert_eq!(
            codes(&check("FROM $BASE:latest\nUSER 1000\n", &e)),
            ["DL3007@1:6"]
        );
        // distroless :nonroot images run as non-root already
        assert!(clean("FROM gcr.io/distroless/static-debian12:nonroot\n"));
    }

    #[test]
    fn user_rule_details() {
        let e = Expectations::default();
        // USER set in a stage the final stage is built FROM is inherited.
        assert!(
            check(
                "FROM python:3.11 AS base\nUSER app\nFROM base\nCMD [\"x\"]\n",
                &e
            )
            .is_empty()
        );
        // root in a build stage: warning; root:root and 0:0 are root.
        let d = check(
            "FROM python:3.11 AS b\nUSER root:root\nFROM python:3.11\nUSER 0:0\n",
            &e,
        );
        assert_eq!(codes(&d), ["DL3002@2:6", "DL3002@4:6"]);
        assert_eq!(d[0].severity, Severity::Warning);
        assert_eq!(d[1].severity, Severity::Error);
        assert!(check("FROM python:3.11\nUSER root\nRUN x\nUSER ${APP_USER}\n", &e).is_empty());
    }

    #[test]
    fn run_rule_details() {
        let e = Expectations::default();
        let c = |t: &str| codes(&check(&format!("FROM python:3.11\n{t}\nUSER 1000\n"), &e));
        assert_eq!(c("RUN pip3 install x"), ["DL3042@2:1"]);
        assert_eq!(c("RUN python3 -m pip install -r r.txt"), ["DL3042@2:1"]);
        assert_eq!(c("RUN /usr/local/bin/pip install x"), ["DL3042@2:1"]);
        assert_eq!(
            c("RUN pip install -U pip && pip install --no-cache-dir x"),
            ["DL3042@2:1"]
        );
        assert!(c("RUN PIP_NO_CACHE_DIR=1 pip install x").is_empty());
        assert!(c("ENV PIP_NO_CACHE_DIR=1\nRUN pip install x").is_empty());
        assert!(c("RUN pipx install x && pip download y && echo pip install").is_empty());
        assert!(c("RUN [\"pip\", \"install\", \"--no-cache-dir\", \"x\"]").is_empty());
        assert_eq!(c("RUN [\"sh\", \"-c\", \"pip install x\"]"), ["DL3042@2:1"]);
        assert!(c("RUN echo 'pip install x' > /dev/null 2>&1").is_empty());
        assert_eq!(
            c("RUN apt-get update \\\n  # comment\n  && apt-get install -y curl"),
            ["DL3009@2:1", "DL3015@2:1"]
        );
        assert!(c("RUN apt-get install -y -o APT::Install-Recommends=false curl").is_empty());
        assert!(c("RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update").is_empty());
        // DL3009 is only reported for stages that end up in the image.
        let d = check(
            "FROM debian:12 AS b\nRUN apt-get update\nFROM debian:12\nCOPY --from=b /x /x\nUSER 1\n",
            &e,
        );
        assert!(d.is_empty(), "{d:#?}");
        let d = check(
            "FROM debian:12 AS b\nRUN apt-get update\nFROM b\nUSER 1\n",
            &e,
        );
        assert_eq!(codes(&d), ["DL3009@2:1"]);
        assert_eq!(c("RUN npm i --omit=dev"), ["DH002@2:1"]);
        assert!(c("RUN npm install -g pnpm@9 && npm ci").is_empty());
        // Heredocs: script bodies are checked, data bodies are not.
        assert_eq!(c("RUN <<EOF\npip install x\nEOF\n"), ["DL3042@2:1"]);
        assert_eq!(c("RUN bash -e <<EOF\npip install x\nEOF\n"), ["DL3042@2:1"]);
        assert!(c("RUN cat <<EOF > /r.txt\npip install x\nEOF\n").is_empty());
        assert!(c("RUN python3 <<EOF\nimport os\nEOF\n").is_empty());
    }

    #[test]
    fn copy_add_workdir_cmd_details() {
        let e = Expectations::default();
        let c = |t: &str| {
            codes(&check(
                &format!("FROM python:3.11 AS b\nFROM python:3.11\n{t}\nUSER 1000\n"),
                &e,
            ))
        };
        assert!(
            c("COPY --from=b /a /a\nCOPY --from=0 /a /a\nCOPY --from=nginx:1.27 /a /a").is_empty()
        );
        assert!(c("COPY --from=B /a /a\nCOPY --from=ghcr.io/x/y /a /a").is_empty());
        assert_eq!(c("COPY --from=1 /a /a"), ["DL3022@3:13"]);
        assert_eq!(c("COPY --from=nginx /a /a"), ["DL3022@3:13"]);
        assert!(
            c("ADD https://x.dev/a.tgz /tmp/\nADD rootfs.tar.gz /\nADD <<EOF /x\nhi\nEOF\n")
                .is_empty()
        );
        assert_eq!(c("ADD app.zip /x"), ["DL3020@3:1"]);
        assert!(c("WORKDIR /app\nWORKDIR $HOME\nWORKDIR \"/x\"\nWORKDIR C:\\\\x").is_empty());
        assert_eq!(c("ENTRYPOINT exec app"), ["DL3025@3:1"]);
        assert!(c("ENTRYPOINT [\"app\"]\nCMD [\"--help\"]").is_empty());
    }

    #[test]
    fn secret_rule_details() {
        let e = Expectations::default();
        let c = |t: &str| codes(&check(&format!("FROM python:3.11\n{t}\nUSER 1000\n"), &e));
        assert!(
            c("ARG GITHUB_TOKEN\nENV GITHUB_TOKEN=$GITHUB_TOKEN\nENV DB_PASSWORD=\"\"").is_empty()
        );
        // `TOKENIZER` is not a token (the one secret-name test, validate::secrets).
        assert!(
            c("ENV DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app\nENV TOKENIZER_MODE=x")
                .is_empty()
        );
        assert_eq!(c("ENV GITHUB_TOKEN=abc"), ["DH003@2:1"]);
        assert!(c("ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D").is_empty());
        assert_eq!(c("ENV secret_key=abc\nENV PUBLIC_URL=x"), ["DH003@2:1"]);
        assert_eq!(c("ENV JWT_SECRET very secret value"), ["DH003@2:1"]);
        assert_eq!(
            codes(&check("ARG NPM_TOKEN=abc\nFROM node:20\nUSER node\n", &e)),
            ["DH003@1:1"]
        );
    }

    #[test]
    fn expectations_deserialize_with_defaults() {
        let e: Expectations = serde_json::from_str(r#"{"stages":["a"],"expose":[80]}"#).unwrap();
        assert_eq!(e.stages, Some(vec!["a".to_string()]));
        assert_eq!(e.expose, Some(vec![80]));
        assert!(e.base_images.is_none() && !e.nextjs_standalone);
    }

    #[test]
    fn shell_lexer() {
        let cmds = shell_commands(
            "A=1 apt-get install -y \"x y\" 2>&1 | tee /log; if true; then echo $(a; b) `c`; fi",
        );
        let names: Vec<&str> = cmds.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["apt-get", "tee", "true", "echo"]);
        assert_eq!(cmds[0].assigns, ["A=1"]);
        assert_eq!(cmds[0].args, ["install", "-y", "x y"]);
        assert_eq!(cmds[3].args, ["$(a; b)", "`c`"]);
    }
}
