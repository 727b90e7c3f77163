//! All or nothing: a run's artifacts, cache entries and lock are written and
//! committed as one unit, or not at all (the Writes rows of RELIABILITY.md).
//! Every test compares the whole output of each run. Here: the helpers;
//! `faults` (failed writes and refusals), `commits` (`--no-commit`, two runs,
//! the fresh-clone property), `outside_git`.

mod commits;
mod faults;
mod outside_git;

use std::path::Path;

use crate::harness::{Output, Project, fixture};
use crate::openai_server::{RecordedRequest, TestServer, chat_json};

const DEPLOYMENT: &str = "charts/todo-app/templates/backend-deployment.yaml";
const SERVICE: &str = "charts/todo-app/templates/backend-service.yaml";
const CONFIGMAP: &str = "charts/todo-app/templates/configmap.yaml";

/// The three single-target prompts and their recorded answers.
const PROMPTS: [(&str, &str); 3] = [
    ("backend-deployment", DEPLOYMENT),
    ("backend-service", SERVICE),
    ("frontend-configmap", CONFIGMAP),
];

pub fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

/// Replace every run of exactly `len` lowercase hex digits (a whole word) by `with`.
fn hex_runs(s: &str, len: usize, with: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let hex = |x: char| x.is_ascii_digit() || ('a'..='f').contains(&x);
    let word = |x: char| x.is_alphanumeric();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < c.len() {
        if (i == 0 || !word(c[i - 1])) && hex(c[i]) {
            let mut j = i;
            while j < c.len() && hex(c[j]) {
                j += 1;
            }
            if j - i == len && (j == c.len() || !word(c[j])) {
                out.push_str(with);
                i = j;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// Output as compared: the given folders as `[ROOT]`, `[OUTSIDE]`..., cache
/// keys as `[KEY]`, abbreviated commit ids as `[SHA]`.
pub fn normalize(s: &str, paths: &[(&Path, &str)]) -> String {
    let mut s = s.to_owned();
    for (p, name) in paths {
        if let Ok(real) = p.canonicalize() {
            s = s.replace(&real.to_string_lossy().into_owned(), name);
        }
        s = s.replace(&p.to_string_lossy().into_owned(), name);
    }
    hex_runs(&hex_runs(&s, 64, "[KEY]"), 12, "[SHA]")
}

/// Compare a run's whole stdout and stderr (its exit status is checked by the harness).
pub fn assert_whole(out: &Output, paths: &[(&Path, &str)], stdout: &str, stderr: &str) {
    let (o, e) = (normalize(&out.stdout, paths), normalize(&out.stderr, paths));
    assert_eq!(
        (o.as_str(), e.as_str()),
        (stdout, stderr),
        "\n--- stdout\n{o}\n--- stderr\n{e}"
    );
}

/// Every file of the project (but .git) with its bytes, the index, HEAD and the status.
fn state(p: &Project) -> (Vec<(String, Vec<u8>)>, String, String, String) {
    let files = p
        .files()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(p.path().join(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    (
        files,
        p.git(&["ls-files", "-s"]),
        p.git(&["rev-parse", "HEAD"]),
        p.git(&["status", "--porcelain", "--untracked-files=all"]),
    )
}

fn generate_by_hand(p: &Project, id: &str, extra: &[&str]) -> Output {
    p.dockhand()
        .args(["-q", "generate", id, "--response-file"])
        .arg(fixture(&format!("answers/{id}.md")).to_string_lossy())
        .args(extra.iter().copied())
        .run()
}

/// A seeded project with the three prompts generated and committed.
fn generated() -> Project {
    let p = Project::seeded();
    for (id, _) in PROMPTS {
        generate_by_hand(&p, id, &[]);
    }
    p
}

/// A server answering every prompt with its recorded answer, revised by one comment line.
fn revising_server() -> TestServer {
    revising_server_padded(0)
}

/// `revising_server`, with `pad` more bytes in the Service's comment.
fn revising_server_padded(pad: usize) -> TestServer {
    TestServer::with_handler(move |req: &RecordedRequest| {
        let prompt = req.prompt_text();
        let id = if prompt.contains("ConfigMap") {
            "frontend-configmap"
        } else if prompt.contains("Deployment") {
            "backend-deployment"
        } else {
            "backend-service"
        };
        let comment = if id == "backend-service" {
            format!("# revised{}\n", " ".repeat(pad))
        } else {
            "# revised\n".to_owned()
        };
        chat_json(&answer(id).replacen("```yaml\n", &format!("```yaml\n{comment}"), 1))
    })
}

fn regen_revised(p: &Project, server: &TestServer, status: i32) -> Output {
    p.dockhand()
        .args(["-q", "regen", "--backend", "openai"])
        .args(PROMPTS.map(|(id, _)| id))
        .openai(server)
        .status(status)
        .run()
}

/// Compare long output with its snapshot in tests/it/snapshots (after
/// [`normalize`]; `cargo insta review` to update).
pub fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(name, normalize(text, &[]));
    });
}
