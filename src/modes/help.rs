//! Help beyond `--help`: shell completions and man pages.
//!
//! Completions are dynamic: the scripts `dockhand completions SHELL` prints
//! hand the words typed so far to the hidden `dockhand __complete SHELL --
//! WORDS...`, which answers from the command line's own definition (commands,
//! flags, value lists) and from the project (prompt IDs as `ID` and
//! `ID@VERSION`, backend names). One candidate a line; `__files__` alone asks
//! the shell for file names.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::Outcome;
use crate::cli::{Cli, CompleteArgs, CompletionShell, ManArgs};
use crate::error::Error;
use crate::ui::Ui;

/// The line that asks the shell to complete file names.
pub(crate) const FILES: &str = "__files__";

/// The backends `--backend` accepts.
pub(crate) const BACKENDS: &[&str] = &["cache", "openai", "gordon", "kubectl-ai", "kagent"];

const BASH: &str = r#"# dockhand completions for bash (dynamic: prompt IDs and backends come from dockhand itself).
# Install: dockhand completions bash > ~/.local/share/bash-completion/completions/dockhand
_dockhand() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local out
    out="$("${COMP_WORDS[0]}" __complete bash -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" || return 0
    COMPREPLY=()
    if [[ "$out" == "__files__" ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ -n "$out" ]]; then
        mapfile -t COMPREPLY <<< "$out"
    fi
}
complete -F _dockhand dockhand
"#;

const ZSH: &str = r#"#compdef dockhand
# dockhand completions for zsh (dynamic: prompt IDs and backends come from dockhand itself).
# Install: dockhand completions zsh > "${fpath[1]}/_dockhand"
_dockhand() {
    local out
    out="$(${words[1]} __complete zsh -- "${(@)words[2,CURRENT]}" 2>/dev/null)" || return 1
    if [[ "$out" == "__files__" ]]; then
        _files
    elif [[ -n "$out" ]]; then
        local -a candidates
        candidates=("${(@f)out}")
        compadd -Q -- "${candidates[@]}"
    fi
}
if [[ "$funcstack[1]" == "_dockhand" ]]; then
    _dockhand "$@"
else
    compdef _dockhand dockhand
fi
"#;

const FISH: &str = r#"# dockhand completions for fish (dynamic: prompt IDs and backends come from dockhand itself).
# Install: dockhand completions fish > ~/.config/fish/completions/dockhand.fish
function __dockhand_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out ($words[1] __complete fish -- $words[2..-1] 2>/dev/null)
    if test "$out" = __files__
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $out
    end
end
complete -c dockhand -f -a '(__dockhand_complete)'
"#;

/// The completion script for `shell`.
pub fn script(shell: CompletionShell) -> &'static str {
    match shell {
        CompletionShell::Bash => BASH,
        CompletionShell::Zsh => ZSH,
        CompletionShell::Fish => FISH,
    }
}

/// What the word under the cursor can become.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Completion {
    /// These words (already filtered by what is typed), each with a description.
    Words(Vec<(String, String)>),
    /// File names (the shell knows them best).
    Files,
}

/// What to offer for a value of one argument.
enum Values {
    Prompts { versions: bool },
    Backends,
    List(Vec<(String, String)>),
    Files,
    Nothing,
}

fn values_of(arg: &clap::Arg) -> Values {
    match arg.get_id().as_str() {
        "backend" => return Values::Backends,
        "reference" | "a" | "b" => return Values::Prompts { versions: true },
        "ids" => return Values::Prompts { versions: false },
        "command" => {
            let mut root = Cli::command();
            root.build();
            return Values::List(
                root.get_subcommands()
                    .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                    .map(|s| {
                        (
                            s.get_name().to_owned(),
                            s.get_about().map(|a| a.to_string()).unwrap_or_default(),
                        )
                    })
                    .collect(),
            );
        }
        _ => {}
    }
    let possible: Vec<(String, String)> = arg
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| {
            (
                v.get_name().to_owned(),
                v.get_help().map(|h| h.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    if !possible.is_empty() {
        return Values::List(possible);
    }
    let path_like = matches!(
        arg.get_value_names()
            .and_then(|n| n.first())
            .map(|n| n.as_str()),
        Some("FILE" | "DIR" | "PATH")
    );
    if path_like {
        Values::Files
    } else {
        Values::Nothing
    }
}

fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_action().takes_values()
}

/// (ID@VERSION, description) of every prompt in the project at or above a folder.
type PromptList<'a> = &'a dyn Fn(Option<&Path>) -> Vec<(String, String)>;

/// Complete the last of `words` (the words after `dockhand`). `prompts` gives
/// (ID@VERSION, description) for every prompt, when a project is found.
pub(crate) fn complete(words: &[String], prompts: PromptList<'_>) -> Completion {
    let mut root = Cli::command();
    root.build();
    let (cur, before) = match words.split_last() {
        Some((cur, before)) => (cur.as_str(), before),
        None => ("", &[][..]),
    };
    let mut cmd = &root;
    let mut positional = 0usize;
    let mut pending: Option<&clap::Arg> = None;
    let mut root_dir: Option<PathBuf> = None;
    let mut only_positionals = false;
    for w in before {
        if let Some(arg) = pending {
            if w == "=" {
                continue;
            }
            if arg.get_id() == "root" {
                root_dir = Some(PathBuf::from(w));
            }
            pending = None;
            continue;
        }
        if w == "--" {
            only_positionals = true;
        } else if let Some(long) = w.strip_prefix("--").filter(|_| !only_positionals) {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            if let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(name)) {
                match inline {
                    Some(v) if arg.get_id() == "root" => root_dir = Some(PathBuf::from(v)),
                    Some(_) => {}
                    None if takes_value(arg) => pending = Some(arg),
                    None => {}
                }
            }
        } else if w.len() > 1 && w.starts_with('-') && !only_positionals {
            let shorts: Vec<char> = w[1..].chars().collect();
            for (i, c) in shorts.iter().enumerate() {
                if let Some(arg) = cmd.get_arguments().find(|a| a.get_short() == Some(*c))
                    && takes_value(arg)
                {
                    if i + 1 == shorts.len() {
                        pending = Some(arg);
                    }
                    break;
                }
            }
        } else if let Some(sub) = cmd.find_subcommand(w).filter(|_| positional == 0) {
            cmd = sub;
        } else {
            positional += 1;
        }
    }

    let values = |arg: &clap::Arg, prefix: &str, typed: &str| -> Completion {
        let words: Vec<(String, String)> = match values_of(arg) {
            Values::Files => return Completion::Files,
            Values::Nothing => Vec::new(),
            Values::Backends => BACKENDS
                .iter()
                .map(|b| ((*b).to_owned(), "backend".to_owned()))
                .collect(),
            Values::List(list) => list,
            Values::Prompts { versions } => {
                let mut out: Vec<(String, String)> = Vec::new();
                for (reference, description) in prompts(root_dir.as_deref()) {
                    let id = reference.split('@').next().unwrap_or_default().to_owned();
                    if !out.iter().any(|(w, _)| *w == id) {
                        out.push((id, description.clone()));
                    }
                    if versions {
                        out.push((reference, description));
                    }
                }
                out
            }
        };
        Completion::Words(
            words
                .into_iter()
                .filter(|(w, _)| w.starts_with(typed))
                .map(|(w, d)| (format!("{prefix}{w}"), d))
                .collect(),
        )
    };

    if let Some(arg) = pending {
        return values(arg, "", cur);
    }
    if let Some((name, typed)) = cur
        .strip_prefix("--")
        .and_then(|l| l.split_once('='))
        .filter(|_| !only_positionals)
    {
        return match cmd.get_arguments().find(|a| a.get_long() == Some(name)) {
            Some(arg) if takes_value(arg) => values(arg, &format!("--{name}="), typed),
            _ => Completion::Words(Vec::new()),
        };
    }
    if cur.starts_with('-') && !only_positionals {
        let mut flags: Vec<(String, String)> = cmd
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| {
                a.get_long().map(|l| {
                    (
                        format!("--{l}"),
                        a.get_help().map(|h| h.to_string()).unwrap_or_default(),
                    )
                })
            })
            .filter(|(f, _)| f.starts_with(cur))
            .collect();
        flags.sort();
        return Completion::Words(flags);
    }
    if cmd.has_subcommands() && positional == 0 {
        return Completion::Words(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name().starts_with(cur))
                .map(|s| {
                    (
                        s.get_name().to_owned(),
                        s.get_about().map(|a| a.to_string()).unwrap_or_default(),
                    )
                })
                .collect(),
        );
    }
    let positionals: Vec<&clap::Arg> = cmd.get_positionals().filter(|a| !a.is_last_set()).collect();
    let arg = positionals.get(positional).copied().or_else(|| {
        positionals
            .last()
            .copied()
            .filter(|a| a.get_num_args().is_some_and(|n| n.max_values() > 1))
    });
    match arg {
        Some(arg) => values(arg, "", cur),
        None => Completion::Words(Vec::new()),
    }
}

/// `dockhand __complete SHELL -- WORDS...`: the candidates, one a line.
pub fn candidates(root: Option<&Path>, args: &CompleteArgs, ui: &Ui) -> Result<Outcome, Error> {
    let prompts = |typed_root: Option<&Path>| -> Vec<(String, String)> {
        let Ok(dir) = crate::settings::find_root(typed_root.or(root)) else {
            return Vec::new();
        };
        match crate::library::Library::load(&dir) {
            Ok(lib) => lib
                .all()
                .map(|t| (t.reference(), t.description.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    let out = match complete(&args.words, &prompts) {
        Completion::Files => format!("{FILES}\n"),
        Completion::Words(words) => words
            .into_iter()
            .map(|(w, d)| match args.shell {
                CompletionShell::Fish if !d.is_empty() => {
                    format!("{w}\t{}\n", d.lines().next().unwrap_or_default())
                }
                _ => format!("{w}\n"),
            })
            .collect(),
    };
    ui.out(&out);
    Ok(Outcome::Clean)
}

/// `dockhand man [COMMAND...]` prints one page; `--dir DIR` writes every page.
pub fn man(args: &ManArgs, ui: &Ui) -> Result<Outcome, Error> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let written = write_pages(&root, dir)?;
        ui.out(&format!(
            "wrote {} man pages into {}\n",
            written.len(),
            dir.display()
        ));
        return Ok(Outcome::Clean);
    }
    let mut cmd = &root;
    for name in &args.command {
        cmd = cmd
            .get_subcommands()
            .find(|s| !s.is_hide_set() && s.get_name() == name)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "no command `{}` (see `dockhand --help`)",
                    args.command.join(" ")
                ))
            })?;
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .map_err(Error::io("<stdout>"))?;
    ui.out(&String::from_utf8_lossy(&out));
    Ok(Outcome::Clean)
}

/// One page per visible command, written atomically; their file names.
fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<Vec<String>, Error> {
    let mut written = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    let name = page.get_filename();
    let mut out = Vec::new();
    page.render(&mut out).map_err(Error::io(dir.join(&name)))?;
    crate::repo::write_atomic(&dir.join(&name), &out)?;
    written.push(name);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written.extend(write_pages(sub, dir)?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(c: Completion) -> Vec<String> {
        match c {
            Completion::Words(w) => w.into_iter().map(|(w, _)| w).collect(),
            Completion::Files => vec![FILES.to_owned()],
        }
    }

    fn run(line: &str) -> Vec<String> {
        let mut w: Vec<String> = line.split(' ').map(str::to_owned).collect();
        if line.is_empty() {
            w = vec![String::new()];
        }
        let prompts = |_: Option<&Path>| {
            vec![
                ("frontend@1.0.0".to_owned(), "d".to_owned()),
                ("frontend@1.1.0".to_owned(), "d".to_owned()),
                ("frontend-configmap@1.0.0".to_owned(), "d".to_owned()),
                ("backend-service@1.0.0".to_owned(), "d".to_owned()),
            ]
        };
        words(complete(&w, &prompts))
    }

    #[test]
    fn commands_flags_and_values() {
        assert_eq!(run("re"), ["regen", "review"]);
        assert_eq!(run("prompts s"), ["show"]);
        assert_eq!(run("generate --no"), ["--no-commit"]);
        assert_eq!(
            run("generate fr"),
            [
                "frontend",
                "frontend@1.0.0",
                "frontend@1.1.0",
                "frontend-configmap",
                "frontend-configmap@1.0.0"
            ]
        );
        assert_eq!(
            run("generate frontend@"),
            ["frontend@1.0.0", "frontend@1.1.0"]
        );
        assert_eq!(run("regen fr"), ["frontend", "frontend-configmap"]);
        assert_eq!(run("regen frontend b"), ["backend-service"]);
        assert_eq!(run("generate --backend "), BACKENDS);
        assert_eq!(run("session --backend k"), ["kubectl-ai", "kagent"]);
        assert_eq!(run("generate --backend=o"), ["--backend=openai"]);
        assert_eq!(run("regen --format "), ["text", "json"]);
        assert_eq!(run("validate --format s"), ["sarif"]);
        assert_eq!(run("extract --as d"), ["dockerfile"]);
        assert_eq!(run("generate --response-file "), [FILES]);
        assert_eq!(run("validate "), [FILES]);
        assert_eq!(run("--color n"), ["never"]);
        assert_eq!(
            run("--root /tmp generate frontend-c"),
            ["frontend-configmap", "frontend-configmap@1.0.0"]
        );
        // Global flags are offered in every command.
        assert!(run("regen --").contains(&"--root".to_owned()));
        // The hidden command is not offered.
        assert!(!run("").contains(&"__complete".to_owned()));
        // A flag's value is not taken for a positional.
        assert_eq!(
            run("generate --model gpt frontend-c"),
            ["frontend-configmap", "frontend-configmap@1.0.0"]
        );
        assert_eq!(
            run("prompts diff frontend@1.0.0 frontend@1."),
            ["frontend@1.0.0", "frontend@1.1.0"]
        );
        assert!(run("prompts diff a b c").is_empty());
        assert_eq!(run("man re"), ["regen", "review"]);
    }
}
