//! The Minikube flow without a cluster: the justfile's recipes are one plain
//! command each, scripts/minikube.sh prints the exact commands it would run,
//! refuses with one clear line when a tool or the cluster is missing, and
//! never shows or writes the Secret's values. `just` comes from .peers/bin
//! (PyPI rust-just); the tests that need it say `skipped:` without it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::chart_values::peer;
use crate::harness::{copy_dir, repo_root};

/// A copy of what the flow reads: the script, the justfile, the chart, docker/.
fn flow_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for dir in ["charts", "docker"] {
        copy_dir(&repo_root().join(dir), &d.path().join(dir));
    }
    std::fs::create_dir_all(d.path().join("scripts")).unwrap();
    std::fs::copy(
        repo_root().join("scripts/minikube.sh"),
        d.path().join("scripts/minikube.sh"),
    )
    .unwrap();
    std::fs::copy(repo_root().join("justfile"), d.path().join("justfile")).unwrap();
    d
}

/// A PATH folder with the system tools the script needs and the chosen fakes
/// from tests/fake-bin: nothing else (so "missing" means missing).
fn sandbox_path(fakes: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for tool in [
        "bash", "sh", "dirname", "awk", "cat", "tr", "base64", "mkdir", "sed", "sort", "readlink",
    ] {
        if let Ok(p) = which::which(tool) {
            std::os::unix::fs::symlink(p, d.path().join(tool)).unwrap();
        }
    }
    for f in fakes {
        std::os::unix::fs::symlink(repo_root().join("tests/fake-bin").join(f), d.path().join(f))
            .unwrap();
    }
    d
}

const SECRETS: [(&str, &str); 3] = [
    (
        "DATABASE_URL",
        "postgresql+asyncpg://todo:Pa55-SENTINEL-db@neon.example/todo?ssl=require",
    ),
    ("OPENAI_API_KEY", "sk-SENTINEL-openai-0123456789abcdef"),
    ("BETTER_AUTH_SECRET", "SENTINEL-auth-secret-value"),
];

/// Run scripts/minikube.sh in `dir` with PATH = `path` only; (code, stdout, stderr).
fn flow(dir: &Path, path: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(dir.join("scripts/minikube.sh"));
    cmd.args(args)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_recipe_is_one_plain_command() {
    let Some(just) = peer("just", "every_recipe_is_one_plain_command") else {
        return;
    };
    for (args, line) in [
        (vec!["images"], "./scripts/minikube.sh images"),
        (vec!["secret"], "./scripts/minikube.sh secret"),
        (vec!["deploy"], "./scripts/minikube.sh deploy "),
        (
            vec!["deploy", "--set", "backend.replicas=3"],
            "./scripts/minikube.sh deploy --set backend.replicas=3",
        ),
        (vec!["rollback"], "./scripts/minikube.sh rollback "),
        (vec!["rollback", "3"], "./scripts/minikube.sh rollback 3"),
        (vec!["uninstall"], "./scripts/minikube.sh uninstall"),
        (vec!["url"], "./scripts/minikube.sh url"),
        (vec!["health"], "./scripts/minikube.sh health"),
        (
            vec!["plan", "rollback", "2"],
            "./scripts/minikube.sh --print rollback 2",
        ),
    ] {
        let out = Command::new(&just)
            .current_dir(repo_root())
            .arg("--dry-run")
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).as_ref(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(0), "", format!("{line}\n").as_str()),
            "just --dry-run {args:?}"
        );
    }
}

#[test]
fn print_mode_shows_the_exact_commands_with_tags_from_values_yaml() {
    let d = flow_copy();
    let path = sandbox_path(&[]);
    let secrets: Vec<(&str, &str)> = SECRETS.to_vec();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["images"],
            "eval \"$(minikube docker-env)\"\n\
             DOCKER_BUILDKIT=1 docker build -t todo-backend:latest -f docker/backend/Dockerfile ../todo-app\n\
             DOCKER_BUILDKIT=1 docker build -t todo-frontend:latest -f docker/frontend/Dockerfile ../todo-app/frontend\n",
        ),
        (
            vec!["secret"],
            "kubectl create secret generic todo-backend-secret --namespace default --from-env-file=<(printf '%s=%s\\n' DATABASE_URL \"$DATABASE_URL\" OPENAI_API_KEY \"$OPENAI_API_KEY\" BETTER_AUTH_SECRET \"$BETTER_AUTH_SECRET\") --dry-run=client -o yaml | kubectl apply --namespace default -f -\n",
        ),
        (
            vec!["deploy"],
            "helm upgrade --install todo-app charts/todo-app --namespace default --wait --timeout 5m\n",
        ),
        (
            vec![
                "deploy",
                "--set",
                "backend.replicas=3",
                "--set",
                "x=two words",
            ],
            "helm upgrade --install todo-app charts/todo-app --namespace default --wait --timeout 5m --set backend.replicas=3 --set x=two\\ words\n",
        ),
        (
            vec!["rollback"],
            "helm rollback todo-app --namespace default --wait --timeout 5m\n",
        ),
        (
            vec!["rollback", "4"],
            "helm rollback todo-app 4 --namespace default --wait --timeout 5m\n",
        ),
        (
            vec!["uninstall"],
            "helm uninstall todo-app --namespace default --wait --timeout 5m\n",
        ),
        (
            vec!["url"],
            "minikube service todo-frontend --namespace default --url\n",
        ),
        (vec!["health"], "cargo run --release --locked -- health\n"),
    ];
    for (args, want) in cases {
        let mut all = vec!["--print"];
        all.extend(&args);
        let got = flow(d.path(), path.path(), &all, &secrets);
        assert_eq!(got, (0, want.to_owned(), String::new()), "--print {args:?}");
    }
    // The tags and the Secret's name come from values.yaml; the sources are configurable.
    let values = d.path().join("charts/todo-app/values.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    std::fs::write(
        &values,
        text.replacen("tag: latest", "tag: \"1.4.2\"", 1)
            .replace("name: todo-backend-secret", "name: todo-secrets"),
    )
    .unwrap();
    let got = flow(
        d.path(),
        path.path(),
        &["--print", "images"],
        &[
            ("APP_DIR", "/src/todo"),
            ("FRONTEND_CONTEXT", "/src/web app"),
        ],
    );
    assert_eq!(
        got,
        (
            0,
            "eval \"$(minikube docker-env)\"\n\
             DOCKER_BUILDKIT=1 docker build -t todo-backend:1.4.2 -f docker/backend/Dockerfile /src/todo\n\
             DOCKER_BUILDKIT=1 docker build -t todo-frontend:latest -f docker/frontend/Dockerfile /src/web\\ app\n"
                .to_owned(),
            String::new()
        )
    );
    let got = flow(d.path(), path.path(), &["--print", "secret"], &secrets);
    assert!(
        got.1
            .starts_with("kubectl create secret generic todo-secrets "),
        "{got:?}"
    );
}

#[test]
fn the_secret_step_never_shows_or_writes_the_values_and_replaces_on_rerun() {
    let d = flow_copy();
    let path = sandbox_path(&["minikube", "kubectl"]);
    let state = d.path().join("state");
    let log = d.path().join("argv.log");
    let mut env: Vec<(&str, &str)> = SECRETS.to_vec();
    let state_s = state.to_string_lossy().into_owned();
    let log_s = log.to_string_lossy().into_owned();
    env.push(("FAKE_KUBECTL_STATE", &state_s));
    env.push(("FAKE_LOG", &log_s));
    let first = flow(d.path(), path.path(), &["secret"], &env);
    assert_eq!(
        first,
        (
            0,
            "secret/todo-backend-secret created\n".into(),
            String::new()
        )
    );
    let second = flow(d.path(), path.path(), &["secret"], &env);
    assert_eq!(
        second,
        (
            0,
            "secret/todo-backend-secret configured\n".into(),
            String::new()
        )
    );
    // Every key reached kubectl with a value.
    assert_eq!(
        std::fs::read_to_string(state.join("todo-backend-secret")).unwrap(),
        "BETTER_AUTH_SECRET\nDATABASE_URL\nOPENAI_API_KEY\n"
    );
    // No value in any argv (the fakes log theirs in argv.log), output or file,
    // plain or base64.
    assert!(log.exists());
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    walk(d.path(), &mut files);
    for (key, value) in SECRETS {
        let encoded = {
            let out = Command::new("base64")
                .arg("-w0")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(value.as_bytes())?;
                    c.wait_with_output()
                })
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        for shown in [&first.1, &first.2, &second.1, &second.2] {
            assert!(
                !shown.contains(value) && !shown.contains(&encoded),
                "{key} shown"
            );
        }
        for f in &files {
            let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
            assert!(
                !text.contains(value) && !text.contains(&encoded),
                "{key} written to {}",
                f.display()
            );
        }
    }
}

/// PATH, arguments, environment, the one line on stderr.
type Refusal<'a> = (&'a Path, Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

#[test]
fn each_step_refuses_with_one_line_naming_what_is_missing() {
    let d = flow_copy();
    let dir = d.path();
    let none = sandbox_path(&[]);
    let mini = sandbox_path(&["minikube"]);
    let mini_kube = sandbox_path(&["minikube", "kubectl"]);
    let all = sandbox_path(&["minikube", "kubectl", "docker"]);
    let with_helm = sandbox_path(&["minikube", "kubectl"]);
    if let Some(helm) = peer("helm", "each_step_refuses (deploy without the Secret)") {
        std::os::unix::fs::symlink(helm, with_helm.path().join("helm")).unwrap();
    }
    let state = dir.join("state").to_string_lossy().into_owned();
    let secrets: Vec<(&str, &str)> = SECRETS.to_vec();
    let refusals: Vec<Refusal> = vec![
        (
            none.path(),
            vec!["images"],
            vec![],
            "images: minikube is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            mini.path(),
            vec!["images"],
            vec![],
            "images: docker is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            mini.path(),
            vec!["secret"],
            secrets.clone(),
            "secret: kubectl is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            mini_kube.path(),
            vec!["deploy"],
            vec![],
            "deploy: helm is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            mini_kube.path(),
            vec!["rollback"],
            vec![],
            "rollback: helm is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            mini_kube.path(),
            vec!["uninstall"],
            vec![],
            "uninstall: helm is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            none.path(),
            vec!["url"],
            vec![],
            "url: minikube is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            mini.path(),
            vec!["health"],
            vec![],
            "health: kubectl is not installed (not found on PATH); see README, \"Minikube\"\n",
        ),
        (
            all.path(),
            vec!["images"],
            vec![("FAKE_MINIKUBE_MODE", "stopped")],
            "images: the Minikube cluster is not running (start it with: minikube start)\n",
        ),
        (
            mini_kube.path(),
            vec!["url"],
            vec![("FAKE_MINIKUBE_MODE", "stopped")],
            "url: the Minikube cluster is not running (start it with: minikube start)\n",
        ),
        (
            mini_kube.path(),
            vec!["secret"],
            vec![("DATABASE_URL", "x"), ("BETTER_AUTH_SECRET", "y")],
            "secret: OPENAI_API_KEY is not set (export it first; its value is never printed or written)\n",
        ),
        (
            none.path(),
            vec!["--print", "secret"],
            vec![("OPENAI_API_KEY", "x")],
            "secret: DATABASE_URL is not set (export it first; its value is never printed or written)\n",
        ),
        (
            none.path(),
            vec!["--print", "rollback", "last"],
            vec![],
            "rollback: REVISION must be a revision number (see: helm history todo-app), not \"last\"\n",
        ),
        (
            all.path(),
            vec!["images"],
            vec![("APP_DIR", "/nonexistent/todo")],
            "images: backend sources not found: /nonexistent/todo needs requirements.txt and backend/ (set APP_DIR or BACKEND_CONTEXT)\n",
        ),
        (
            none.path(),
            vec!["rebuild"],
            vec![],
            "usage: scripts/minikube.sh [--print] images|secret|deploy [HELM_ARGS...]|rollback [REVISION]|uninstall|url|health\n",
        ),
    ];
    for (path, args, env, line) in refusals {
        let code = if args == ["rebuild"] { 2 } else { 1 };
        assert_eq!(
            flow(dir, path, &args, &env),
            (code, String::new(), line.to_owned()),
            "{args:?} {env:?}"
        );
    }
    if with_helm.path().join("helm").exists() {
        let env = vec![("FAKE_KUBECTL_STATE", state.as_str())];
        assert_eq!(
            flow(dir, with_helm.path(), &["deploy"], &env),
            (
                1,
                String::new(),
                "deploy: the Secret todo-backend-secret does not exist in namespace default: run `just secret` (scripts/minikube.sh secret) first\n".to_owned()
            )
        );
    }
}

#[test]
fn each_image_has_its_dockerignore_beside_its_dockerfile() {
    for image in ["backend", "frontend"] {
        let rel = format!("docker/{image}/Dockerfile.dockerignore");
        let text = std::fs::read_to_string(repo_root().join(&rel)).unwrap();
        let patterns: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        for want in [
            ".git",
            "**/node_modules",
            "**/.next",
            "**/__pycache__",
            ".env*",
            "**/.env*",
            "tests",
            "**/tests",
        ] {
            assert!(patterns.contains(&want), "{rel} lacks {want}: {patterns:?}");
        }
    }
    // They are not mistaken for Dockerfiles.
    let o = crate::harness::Test::new()
        .current_dir(&repo_root())
        .args(["validate", "docker"])
        .run();
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        ("2 files checked: 0 errors, 0 warnings\n", "")
    );
}

#[test]
fn images_builds_both_images_against_minikubes_daemon() {
    let d = flow_copy();
    let path = sandbox_path(&["minikube", "docker"]);
    let app = d.path().join("app");
    std::fs::create_dir_all(app.join("backend")).unwrap();
    std::fs::create_dir_all(app.join("frontend")).unwrap();
    std::fs::write(app.join("requirements.txt"), "fastapi\n").unwrap();
    for f in ["package.json", "package-lock.json"] {
        std::fs::write(app.join("frontend").join(f), "{}\n").unwrap();
    }
    let log = d.path().join("argv.log");
    let (app_s, log_s) = (
        app.to_string_lossy().into_owned(),
        log.to_string_lossy().into_owned(),
    );
    let got = flow(
        d.path(),
        path.path(),
        &["images"],
        &[("APP_DIR", &app_s), ("FAKE_LOG", &log_s)],
    );
    assert_eq!(
        got,
        (
            0,
            String::new(),
            "#12 exporting to image\n#12 writing image sha256:4f7c0a1e done\n#12 naming to docker.io/library/todo-backend:latest done\n#12 DONE 0.3s\n\
             #12 exporting to image\n#12 writing image sha256:4f7c0a1e done\n#12 naming to docker.io/library/todo-frontend:latest done\n#12 DONE 0.3s\n"
                .to_owned()
        )
    );
    // minikube docker-env first, then each build against its daemon (the fake
    // notes DOCKER_HOST after its argv).
    let log = std::fs::read_to_string(&log)
        .unwrap()
        .replace(&app_s, "[APP]");
    assert_eq!(
        log,
        "minikube\nstatus\n--- end argv ---\n\
         minikube\ndocker-env\n--- end argv ---\n\
         docker\nbuild\n-t\ntodo-backend:latest\n-f\ndocker/backend/Dockerfile\n[APP]\n--- end argv ---\n\
         DOCKER_HOST=tcp://192.168.49.2:2376 DOCKER_BUILDKIT=1\n\
         docker\nbuild\n-t\ntodo-frontend:latest\n-f\ndocker/frontend/Dockerfile\n[APP]/frontend\n--- end argv ---\n\
         DOCKER_HOST=tcp://192.168.49.2:2376 DOCKER_BUILDKIT=1\n"
    );
}

#[test]
fn just_runs_the_step_itself() {
    let Some(just) = peer("just", "just_runs_the_step_itself") else {
        return;
    };
    let d = flow_copy();
    let path = sandbox_path(&["minikube", "kubectl"]);
    let out = Command::new(&just)
        .current_dir(d.path())
        .arg("url")
        .env_clear()
        .env("PATH", path.path())
        .env("HOME", d.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (
            Some(0),
            "http://192.168.49.2:30080\n".to_owned(),
            "./scripts/minikube.sh url\n".to_owned()
        )
    );
    // And a refusal comes through just as the step's one line (just adds its own).
    let line = std::fs::read_to_string(d.path().join("justfile"))
        .unwrap()
        .lines()
        .position(|l| l.trim_start().starts_with("./scripts/minikube.sh deploy"))
        .unwrap()
        + 1;
    let out = Command::new(&just)
        .current_dir(d.path())
        .arg("deploy")
        .env_clear()
        .env("PATH", path.path())
        .env("HOME", d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (
            Some(1),
            format!(
                "./scripts/minikube.sh deploy \ndeploy: helm is not installed (not found on PATH); see README, \"Minikube\"\nerror: recipe `deploy` failed on line {line} with exit code 1\n"
            )
        )
    );
}
