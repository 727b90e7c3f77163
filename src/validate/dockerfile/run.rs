//! DL3042, DL3015, DL3009, DH002: what a RUN executes.

#[allow(unused_imports)]
use super::*;

impl Checker<'_> {
    pub(super) fn run_instruction(
        &mut self,
        run: &RunInstruction<'_>,
        pos: Pos,
        pip_no_cache: bool,
        report_apt_lists: bool,
    ) {
        let cmds = self.run_commands(run, pos.line());
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
            && !has_cache_mount(run, ".cache/pip")
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
        let updates = cmds.iter().any(|c| {
            matches!(c.name.as_str(), "apt-get" | "apt" | "aptitude")
                && c.args.iter().any(|a| a == "update")
        });
        // `rm -rf /var/lib/apt/lists/*`, or `apt-get dist-clean` (apt >= 2.7),
        // which removes the lists too.
        let cleans = cmds.iter().any(|c| {
            (c.name == "rm" && c.args.iter().any(|a| a.starts_with("/var/lib/apt/lists")))
                || (matches!(c.name.as_str(), "apt-get" | "apt")
                    && c.args.iter().any(|a| a == "dist-clean"))
        });
        // The lists never reach the image when they live on a cache or tmpfs
        // mount: /var/lib/apt/lists itself, or both apt folders.
        let mounted = has_cache_mount(run, "/var/lib/apt/lists")
            || (has_cache_mount(run, "/var/lib/apt") && has_cache_mount(run, "/var/cache/apt"));
        if report_apt_lists && updates && !cleans && !mounted {
            self.push(
                Diagnostic::new(
                    "DL3009",
                    Severity::Info,
                    pos,
                    "apt lists are not deleted in the same RUN as the package index update",
                )
                .with_hint("end the RUN with `&& rm -rf /var/lib/apt/lists/*`, or put /var/lib/apt/lists on a `--mount=type=cache` mount"),
            );
        }

        // DH002
        if self.policies.npm_ci
            && cmds.iter().any(|c| {
                c.name == "npm" && {
                    let positional: Vec<&String> =
                        c.args.iter().filter(|a| !a.starts_with('-')).collect();
                    matches!(
                        positional.first().map(|s| s.as_str()),
                        Some("install" | "i")
                    ) && positional.len() == 1
                }
            })
        {
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
    pub(super) fn run_commands(&self, run: &RunInstruction<'_>, line: usize) -> Vec<ShellCmd> {
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
}

pub(super) fn is_pip_install(c: &ShellCmd) -> bool {
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

/// Whether the RUN has a `--mount=type=cache` or `type=tmpfs` whose target
/// contains `fragment` (as hadolint matches it).
pub(super) fn has_cache_mount(run: &RunInstruction<'_>, fragment: &str) -> bool {
    run.options.iter().any(|f| {
        f.name.value == "mount"
            && f.value.as_ref().is_some_and(|v| {
                let mut kind = None;
                let mut target = None;
                for kv in v.value.split(',') {
                    match kv.trim().split_once('=') {
                        Some(("type", t)) => kind = Some(t),
                        Some(("target" | "dst" | "destination", p)) => target = Some(p),
                        _ => {}
                    }
                }
                matches!(kind, Some("cache" | "tmpfs"))
                    && target.is_some_and(|t| unquote(t).contains(fragment))
            })
    })
}
