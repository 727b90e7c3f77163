//! `dockhand session`: the interactive loop.
//!
//! Choose a prompt (typing filters by subsequence on `id@version` and the
//! description) → fill the variables that dockhand.toml does not set (typed,
//! re-asked on bad input) → watch the answer stream in → see the findings and
//! the diff against the file on disk → Accept (write, lock, commit, like
//! `generate`), Reprompt (your feedback is sent with the whole conversation so
//! far), Edit (`$EDITOR` on a temporary copy, then validated again), show the
//! Diff again, or Skip.
//!
//! Keys: Ctrl-C cancels the running request (back to the menu, or to the
//! prompt choice when there is no answer yet) and abandons an input; it never
//! ends the session. Ctrl-D leaves the session (exit 0).
//!
//! An artifact edited by hand is never presented as the assistant's answer:
//! it is locked and cached with backend `<backend>+edited` and
//! `hand_written = true`, and the commit trailer reads
//! `Dockhand-Backend: <backend>+edited (hand-written)` (see `pipeline::hand_edited`).

mod term;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Outcome;
use crate::backend::{Event, Turn};
use crate::cli::SessionArgs;
use crate::error::Error;
use crate::library::{Template, VarSpec, VarType};
use crate::pipeline::{self, ApplyOptions, Context, Job, Stage};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::{ChangeSet, Staged};
use crate::ui::Ui;
use term::{Input, Item, Terminal};

/// The session needs a person at a terminal; scripts have `generate` and `review`.
pub fn require_terminal() -> Result<(), Error> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(Error::Usage(
        "`dockhand session` is interactive and needs a terminal on stdin and stdout; \
         in scripts use `dockhand generate ID` (or `dockhand review`)"
            .into(),
    ))
}

fn term_error(e: std::io::Error) -> Error {
    Error::Io {
        path: "<terminal>".into(),
        source: e,
    }
}

/// Where the loop goes after one prompt.
enum Flow {
    Next,
    Leave,
}

/// Held while a session writes and commits: a SIGTERM or SIGHUP waits for it, so the
/// all-or-nothing step finishes whole.
static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// SIGTERM (a cancel) or SIGHUP (a closed terminal) ends a session wherever it is, as it
/// ends every other command: the assistants' process groups are killed, nothing partial
/// is written (a write under way finishes first), the terminal is given back, and the
/// exit status is 143 or 129. (SIGINT stays Ctrl-C: it cancels a request, never the session.)
fn stop_on_term_or_hup(rt: &tokio::runtime::Runtime) -> Result<(), Error> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut hup) = rt
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
            ))
        })
        .map_err(Error::io("<SIGTERM and SIGHUP handlers>"))?;
    rt.spawn(async move {
        let signal = tokio::select! {
            _ = term.recv() => libc::SIGTERM,
            _ = hup.recv() => libc::SIGHUP,
        };
        crate::process::kill_all_children();
        let _writing = WRITING.lock();
        let _ = crossterm::terminal::disable_raw_mode();
        let message = format!("\nerror: {}\n", Error::Terminated { signal });
        let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
        std::process::exit(128 + signal);
    });
    Ok(())
}

struct Session<'a> {
    ctx: Context,
    rt: tokio::runtime::Runtime,
    term: Terminal<'a>,
    ui: &'a Ui,
    args: &'a SessionArgs,
}

pub fn run(settings: Settings, args: &SessionArgs, ui: &Ui) -> Result<Outcome, Error> {
    require_terminal()?;
    let ctx = Context::new(settings)?;
    let rt = super::runtime()?;
    stop_on_term_or_hup(&rt)?;
    // From here on SIGINT cancels a request and never ends the session.
    let sigint = rt
        .block_on(async {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        })
        .map_err(|e| Error::Usage(format!("cannot handle Ctrl-C: {e}")))?;
    let templates: Vec<std::sync::Arc<Template>> = ctx.library.all().cloned().collect();
    if templates.is_empty() {
        return Err(Error::Usage(format!(
            "no prompts in {}/prompts/<tool>/*.md",
            ctx.settings.root.display()
        )));
    }
    let items: Vec<Item> = templates
        .iter()
        .map(|t| Item {
            label: t.reference(),
            description: t.description.clone(),
        })
        .collect();
    let term = Terminal::open(ui).map_err(term_error)?;
    let mut s = Session {
        ctx,
        rt,
        term,
        ui,
        args,
    };
    ui.out(&format!(
        "{} choose a prompt, watch the answer, accept, reprompt or edit it.\n\
         Ctrl-C cancels a running request, Ctrl-D leaves.\n",
        ui.paint("1", "dockhand session:")
    ));
    loop {
        s.term.keys_mode().map_err(term_error)?;
        ui.out(&format!(
            "\n{}\n",
            ui.paint(
                "1",
                "Choose a prompt (type to filter, ↑/↓, Enter; Ctrl-D leaves):"
            )
        ));
        let chosen = match term::choose(ui, &mut s.term, &items).map_err(term_error)? {
            Input::Value(i) => i,
            Input::Cancel => {
                ui.out("(Ctrl-D leaves the session)\n");
                continue;
            }
            Input::Leave => break,
        };
        ui.out(&format!(
            "prompt: {}\n",
            ui.paint("1", &items[chosen].label)
        ));
        match s.one(templates[chosen].clone())? {
            Flow::Next => {}
            Flow::Leave => break,
        }
    }
    drop(sigint);
    drop(s);
    ui.out("bye\n");
    Ok(Outcome::Clean)
}

/// The current candidate of a prompt: what prepare (or an edit) staged, and the
/// conversation that led to it.
struct Candidate {
    staged: Staged,
    conversation: Vec<Turn>,
    /// The artifact as edited by hand (the assistant has not seen it).
    edited: Option<String>,
    /// The number of this candidate's first answer for the prompt (a
    /// reprompt's answers go on counting from the earlier ones).
    first: u32,
}

/// How many of a candidate's attempts were the assistant's answers.
fn answers(s: &Staged) -> u32 {
    s.attempts.iter().filter(|a| !a.hand_written).count() as u32
}

enum Asked {
    Done(Staged, Vec<Turn>),
    Cancelled,
    Failed(Error),
}

impl Session<'_> {
    fn one(&mut self, template: std::sync::Arc<Template>) -> Result<Flow, Error> {
        let ui = self.ui;
        let sets = match self.variables(&template)? {
            Input::Value(s) => s,
            Input::Cancel => return Ok(Flow::Next),
            Input::Leave => return Ok(Flow::Leave),
        };
        let job = Job {
            template,
            sets,
            prefer: None,
            manual: None,
        };
        if let Err(e) = pipeline::fill(&self.ctx, &job.template, &job.sets) {
            ui.error(&e);
            return Ok(Flow::Next);
        }
        let mut c = match self.ask(&job, Vec::new())? {
            Asked::Done(staged, conversation) => Candidate {
                staged,
                conversation,
                edited: None,
                first: 1,
            },
            Asked::Cancelled => {
                ui.out("cancelled; nothing asked is kept\n");
                return Ok(Flow::Next);
            }
            Asked::Failed(e) => {
                ui.error(&e);
                return Ok(Flow::Next);
            }
        };
        self.show(&mut c.staged, true, c.first);
        loop {
            let passed = c.staged.passed();
            let (prompt, keys): (&str, &[char]) = if passed {
                (
                    "[a]ccept  [r]eprompt  [e]dit  [d]iff  [s]kip > ",
                    &['a', 'r', 'e', 'd', 's'],
                )
            } else {
                (
                    "[r]eprompt  [e]dit  [d]iff  [s]kip  (cannot accept: it fails validation) > ",
                    &['a', 'r', 'e', 'd', 's'],
                )
            };
            let key = match term::menu(ui, &mut self.term, prompt, keys).map_err(term_error)? {
                Input::Value(k) => k,
                Input::Cancel => {
                    ui.out(&format!(
                        "{}: left without writing\n",
                        job.template.reference()
                    ));
                    return Ok(Flow::Next);
                }
                Input::Leave => return Ok(Flow::Leave),
            };
            match key {
                'a' if !passed => {
                    let errors: usize = c.staged.files.iter().map(|f| f.errors()).sum();
                    ui.out(&format!(
                        "cannot accept: {errors} error(s); reprompt, edit or skip\n"
                    ));
                }
                'a' => {
                    if self.accept(&mut c.staged)? {
                        if !job.sets.is_empty() {
                            ui.out("note: the values typed here are not in dockhand.toml; `dockhand regen` fills from dockhand.toml\n");
                        }
                        return Ok(Flow::Next);
                    }
                }
                'r' => {
                    let feedback = match term::line(
                        ui,
                        &mut self.term,
                        "your feedback (Enter sends, Ctrl-C goes back): ",
                    )
                    .map_err(term_error)?
                    {
                        Input::Value(f) if !f.trim().is_empty() => f,
                        Input::Value(_) | Input::Cancel => continue,
                        Input::Leave => return Ok(Flow::Leave),
                    };
                    let mut history = c.conversation.clone();
                    history.push(Turn::user(feedback_message(&c, &feedback)));
                    match self.ask(&job, history)? {
                        Asked::Done(staged, conversation) => {
                            c = Candidate {
                                staged,
                                conversation,
                                edited: None,
                                first: c.first + answers(&c.staged),
                            };
                            self.show(&mut c.staged, true, c.first);
                        }
                        Asked::Cancelled => ui.out("cancelled; back to the previous answer\n"),
                        Asked::Failed(e) => {
                            ui.error(&e);
                            ui.out("back to the previous answer\n");
                        }
                    }
                }
                'e' => {
                    let Some(text) = self.edit(&job.template, &joined(&c.staged))? else {
                        continue;
                    };
                    match pipeline::hand_edited(&self.ctx, &job, &c.staged, &text) {
                        Ok(staged) => {
                            c.staged = staged;
                            c.edited = Some(text);
                            self.show(&mut c.staged, true, c.first);
                        }
                        Err(e) => ui.error(&e),
                    }
                }
                'd' => self.show(&mut c.staged, false, c.first),
                _ => {
                    ui.out(&format!(
                        "skipped {}: nothing written\n",
                        job.template.reference()
                    ));
                    return Ok(Flow::Next);
                }
            }
        }
    }

    /// Ask for the variables dockhand.toml does not set; `--set`-style `k=v` strings.
    fn variables(&mut self, t: &Template) -> Result<Input<Vec<String>>, Error> {
        let configured = self.ctx.settings.values_for(&t.id);
        let missing: Vec<&VarSpec> = t
            .vars
            .iter()
            .filter(|v| !configured.contains_key(&v.name))
            .collect();
        let mut sets = Vec::new();
        if missing.is_empty() {
            return Ok(Input::Value(sets));
        }
        let ui = self.ui;
        ui.out(&format!(
            "{} variable(s) not set in dockhand.toml (Ctrl-C goes back):\n",
            missing.len()
        ));
        for v in missing {
            let default = v
                .default
                .as_ref()
                .map(|d| format!(" [default: {}]", show_value(d)))
                .unwrap_or_default();
            let hint = match v.ty {
                VarType::String => "string",
                VarType::Integer => "integer",
                VarType::Number => "number",
                VarType::Boolean => "boolean: y/n",
                VarType::List => "list: a,b,c or JSON",
            };
            let required = if v.required && v.default.is_none() {
                ", required"
            } else {
                ""
            };
            if !v.description.is_empty() {
                ui.out(&format!("  {}\n", v.description));
            }
            let prompt = format!("{} ({hint}{required}){default}: ", ui.paint("1", &v.name));
            loop {
                let text = match term::line(ui, &mut self.term, &prompt).map_err(term_error)? {
                    Input::Value(t) => t,
                    Input::Cancel => return Ok(Input::Cancel),
                    Input::Leave => return Ok(Input::Leave),
                };
                let text = text.trim();
                if text.is_empty() {
                    if v.default.is_some() || !v.required {
                        break;
                    }
                    ui.out("  a value is required\n");
                    continue;
                }
                let text = match (v.ty, text.to_ascii_lowercase().as_str()) {
                    (VarType::Boolean, "y" | "yes") => "true",
                    (VarType::Boolean, "n" | "no") => "false",
                    _ => text,
                };
                match crate::fill::parse_set(text, v.ty) {
                    Ok(_) => {
                        sets.push(format!("{}={text}", v.name));
                        break;
                    }
                    Err(found) => ui.out(&format!(
                        "  {found} is not a{} {}; try again\n",
                        if v.ty == VarType::Integer { "n" } else { "" },
                        v.ty
                    )),
                }
            }
        }
        Ok(Input::Value(sets))
    }

    /// Run prepare, streaming the answer; a Ctrl-C cancels it.
    fn ask(&mut self, job: &Job, history: Vec<Turn>) -> Result<Asked, Error> {
        let ui = self.ui;
        self.term.wait_mode().map_err(term_error)?;
        let midline = AtomicBool::new(false);
        let line = |s: &str| {
            if midline.swap(false, Ordering::SeqCst) {
                ui.out("\n");
            }
            ui.out(&format!("{s}\n"));
        };
        let on = |stage: Stage| match &stage {
            Stage::Backend(Event::Trying { backend }) => {
                line(&ui.paint("2", &format!("asking {backend}… (Ctrl-C cancels)")))
            }
            Stage::Backend(Event::Delta(d)) => {
                ui.out(&ui.paint("2", d));
                midline.store(!d.ends_with('\n'), Ordering::SeqCst);
            }
            Stage::Backend(Event::Skipped { .. } | Event::Retrying { .. })
            | Stage::Repairing { .. } => {
                if let Some(l) = super::show::stage_line(&stage) {
                    line(&l);
                }
            }
            _ => {}
        };
        // Ctrl-C is a key in raw mode: a watcher reads the keys while the
        // request runs (a SIGINT from elsewhere cancels it too).
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let result = self.rt.block_on(async {
            let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(|e| Error::Usage(format!("cannot handle Ctrl-C: {e}")))?;
            let watch = stop.clone();
            let mut ctrl_c = tokio::task::spawn_blocking(move || term::wait_for_ctrl_c(&watch));
            let mut watcher_done = false;
            let r = tokio::select! {
                biased;
                _ = sigint.recv() => Ok(None),
                Ok(true) = &mut ctrl_c => {
                    watcher_done = true;
                    Ok(None)
                }
                r = pipeline::prepare_conversation(&self.ctx, job.clone(), history, &on) => r.map(Some),
            };
            // The watcher must be gone before the next input reads keys.
            stop.store(true, Ordering::SeqCst);
            if !watcher_done {
                let _ = ctrl_c.await;
            }
            r
        });
        stop.store(true, Ordering::SeqCst);
        if midline.load(Ordering::SeqCst) {
            ui.out("\n");
        }
        self.term.keys_mode().map_err(term_error)?;
        self.term.discard_typeahead();
        Ok(match result {
            Ok(Some((staged, conversation))) => Asked::Done(staged, conversation),
            Ok(None) | Err(Error::Interrupted) => Asked::Cancelled,
            Err(e) => Asked::Failed(e),
        })
    }

    /// Findings, then the diff against the file on disk (read again now).
    fn show(&self, staged: &mut Staged, findings: bool, first: u32) {
        let ui = self.ui;
        let mut block = String::new();
        if findings {
            block.push_str(&summary(ui, staged, first));
        }
        for f in &mut staged.files {
            f.current = std::fs::read_to_string(self.ctx.settings.root.join(&f.path)).ok();
            if f.changed() {
                let d = crate::diff::unified(&f.path, f.current.as_deref(), &f.content);
                block.push_str(&if ui.color {
                    crate::diff::colorize(&d)
                } else {
                    d
                });
            } else {
                block.push_str(&format!("{}: same as on disk\n", f.path));
            }
        }
        if findings {
            let errors: usize = staged.files.iter().map(|f| f.errors()).sum();
            block.push_str(&if errors == 0 {
                ui.paint("32", "passes validation")
            } else {
                ui.paint(
                    "31",
                    &format!("{errors} error(s): it cannot be accepted as it is"),
                )
            });
            block.push('\n');
        }
        ui.out(&block);
    }

    /// Write, lock, cache and commit, like `generate`. False when it failed (the menu stays).
    fn accept(&mut self, staged: &mut Staged) -> Result<bool, Error> {
        let ui = self.ui;
        for f in &mut staged.files {
            f.current = std::fs::read_to_string(self.ctx.settings.root.join(&f.path)).ok();
        }
        let _writing = WRITING.lock();
        let applied =
            RunLock::acquire(&self.ctx.settings.root, super::lock_wait()).and_then(|_lock| {
                let mut jobs = vec![staged.clone()];
                pipeline::derive_chart(&self.ctx, &mut jobs)?;
                let set = ChangeSet { jobs };
                pipeline::apply(
                    &self.ctx,
                    &set,
                    ApplyOptions {
                        commit: !self.args.no_commit,
                        force: self.args.force,
                    },
                )
            });
        let applied = match applied {
            Ok(a) => a,
            Err(e) => {
                ui.error(&e);
                return Ok(false);
            }
        };
        if applied.written.is_empty() {
            ui.out("up to date: nothing changed\n");
            return Ok(true);
        }
        let mut out = String::new();
        for w in &applied.written {
            out.push_str(&format!("wrote {w}\n"));
        }
        if staged.hand_written {
            out.push_str(&format!(
                "recorded as edited by hand (backend {}, hand_written = true)\n",
                staged.answerer.backend
            ));
        }
        if let Some(c) = &applied.commit {
            out.push_str(&format!("committed {}\n", &c[..c.len().min(12)]));
        }
        ui.out(&out);
        Ok(true)
    }

    /// Open `$EDITOR` (else `$VISUAL`, else `vi`) on a temporary copy of the
    /// artifact. The command is split into words and run without a shell, with
    /// the file's path as its last argument. None when nothing changed.
    fn edit(&mut self, t: &Template, text: &str) -> Result<Option<String>, Error> {
        let ui = self.ui;
        let editor = ["EDITOR", "VISUAL"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "vi".to_owned());
        // Words as a POSIX shell splits them (quotes kept together), run without a shell.
        let argv = match shlex::split(&editor) {
            Some(w) if w.first().is_some_and(|p| !p.is_empty()) => w,
            Some(_) => {
                ui.out(&format!("cannot run $EDITOR `{editor}`: no program\n"));
                return Ok(None);
            }
            None => {
                ui.out(&format!(
                    "cannot run $EDITOR `{editor}`: unbalanced quotes\n"
                ));
                return Ok(None);
            }
        };
        // A private folder with an unpredictable name, removed when dropped.
        let dir = tempfile::Builder::new()
            .prefix("dockhand-edit-")
            .tempdir()
            .map_err(Error::io(std::env::temp_dir()))?;
        let name = match t.targets.as_slice() {
            [one] => std::path::Path::new(&one.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| t.id.clone()),
            _ => format!("{}.yaml", t.id),
        };
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(Error::io(&path))?;
        self.term.cooked().map_err(term_error)?;
        let status = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .arg(&path)
            .status();
        self.term.keys_mode().map_err(term_error)?;
        let edited = std::fs::read_to_string(&path);
        drop(dir);
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => {
                ui.out(&format!(
                    "`{editor}` ended with {s}; the answer is unchanged\n"
                ));
                return Ok(None);
            }
            Err(e) => {
                ui.out(&format!(
                    "cannot run `{}`: {e}; the answer is unchanged\n",
                    argv[0]
                ));
                return Ok(None);
            }
        }
        let edited = edited.map_err(Error::io(&path))?;
        if edited == text {
            ui.out("no changes\n");
            return Ok(None);
        }
        Ok(Some(edited))
    }
}

/// Who answered (or edited) and how it fared, then each finding with its
/// line. Answers are numbered from `first` (the prompt's earlier answers count).
fn summary(ui: &Ui, s: &Staged, first: u32) -> String {
    let mut out = String::new();
    for a in &s.attempts {
        let who = if a.hand_written && a.answerer.backend.ends_with(pipeline::EDITED) {
            "edited by hand".to_owned()
        } else if a.hand_written {
            "hand-written answer".to_owned()
        } else {
            format!(
                "answer {} from {}{}{}",
                first - 1 + a.number,
                a.answerer.backend,
                a.answerer
                    .model
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default(),
                if a.from_cache { ", from the cache" } else { "" }
            )
        };
        let note = a
            .note
            .as_deref()
            .filter(|n| *n != "edited by hand")
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{who}: {} error(s), {} warning(s){note}\n",
            a.errors, a.warnings
        ));
    }
    let text = crate::report::Text { color: ui.color };
    for f in &s.files {
        for d in &f.diagnostics {
            out.push_str(&text.finding(&f.path, &f.content, d));
        }
    }
    out
}

/// The artifact as one text: the files joined as YAML documents (one file: as is).
fn joined(s: &Staged) -> String {
    let parts: Vec<String> = s
        .files
        .iter()
        .filter(|f| !f.content.is_empty())
        .map(|f| {
            if f.content.ends_with('\n') {
                f.content.clone()
            } else {
                format!("{}\n", f.content)
            }
        })
        .collect();
    parts.join("---\n")
}

/// What a reprompt sends: the feedback, after the hand-edited artifact if there is one.
fn feedback_message(c: &Candidate, feedback: &str) -> String {
    match &c.edited {
        Some(text) => format!(
            "I edited your last answer by hand; this is the artifact now:\n```\n{}{}```\n\n{feedback}",
            text,
            if text.ends_with('\n') { "" } else { "\n" }
        ),
        None => feedback.to_owned(),
    }
}

fn show_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
