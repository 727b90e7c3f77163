//! `dockhand validate` and `dockhand extract` as a user runs them.

use crate::harness::{Project, Test, fixture};

fn manifests(rel: &str) -> String {
    fixture(&format!("manifests/{rel}"))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn good_manifests_pass_with_exit_0() {
    Test::new()
        .args(["validate", &manifests("good/deployment-service.yaml")])
        .stdout_has("0 errors")
        .run();
    Test::new()
        .args(["validate", &manifests("good/yaml11-scalars.yaml")])
        .stdout_has("0 errors")
        .run();
}

#[test]
fn unknown_field_points_at_the_key_line() {
    let path = manifests("bad/unknown-field.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let out = Test::new()
        .args(["validate", "--format", "json", &path])
        .status(1)
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["code"] == "schema/unknown-field")
        .expect("unknown-field finding");
    let line = f["line"].as_u64().unwrap() as usize;
    let key = f["message"]
        .as_str()
        .unwrap()
        .split('`')
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(
        text.lines()
            .nth(line - 1)
            .unwrap()
            .trim_start()
            .trim_start_matches("- ")
            .starts_with(&format!("{key}:")),
        "line {line} of {text}"
    );
    for k in ["severity", "code", "message", "line", "column", "pointer"] {
        assert!(!f[k].is_null(), "{k} missing in {f}");
    }
}

#[test]
fn every_error_in_a_document_is_reported() {
    let out = Test::new()
        .args([
            "validate",
            "--format",
            "json",
            &manifests("bad/several-errors.yaml"),
        ])
        .status(1)
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["errors"].as_u64().unwrap() >= 3, "{}", out.stdout);
}

#[test]
fn wrong_types_missing_fields_and_duplicate_keys_fail() {
    for (file, code) in [
        ("bad/wrong-type.yaml", "schema/type"),
        ("bad/missing-required.yaml", "schema/required"),
        ("bad/duplicate-key.yaml", "yaml/duplicate-key"),
        ("bad/syntax-error.yaml", "yaml/syntax"),
    ] {
        Test::new()
            .args(["validate", &manifests(file)])
            .status(1)
            .stdout_has(format!("[{code}]"))
            .run();
    }
}

#[test]
fn a_crd_is_a_warning_not_silence() {
    Test::new()
        .args(["validate", &manifests("good/custom-resource.yaml")])
        .stdout_has("warning[schema/unknown-kind]")
        .stdout_has("0 errors")
        .run();
}

#[test]
fn folders_are_walked_and_stdin_is_read() {
    let out = Test::new()
        .args(["validate", "--format", "json", &manifests("good")])
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["files"].as_array().unwrap().len() >= 3);
    let text = std::fs::read_to_string(manifests("bad/wrong-type.yaml")).unwrap();
    Test::new()
        .args(["validate", "-"])
        .stdin(text)
        .status(1)
        .stdout_has("<stdin>:")
        .run();
}

#[test]
fn kube_version_picks_shipped_schemas_and_rejects_others() {
    Test::new()
        .args([
            "validate",
            "--kube-version",
            "1.30",
            &manifests("good/deployment-service.yaml"),
        ])
        .run();
    Test::new()
        .args([
            "validate",
            "--kube-version",
            "1.99",
            &manifests("good/deployment-service.yaml"),
        ])
        .status(2)
        .stderr_has("1.33")
        .run();
}

#[test]
fn a_missing_path_is_exit_2() {
    Test::new()
        .args(["validate", "/nonexistent/x.yaml"])
        .status(2)
        .stderr_has("/nonexistent/x.yaml")
        .run();
}

#[test]
fn sarif_and_junit_renderers() {
    let out = Test::new()
        .args([
            "validate",
            "--format",
            "sarif",
            &manifests("bad/wrong-type.yaml"),
        ])
        .status(1)
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "schema/type");
    let out = Test::new()
        .args([
            "validate",
            "--format",
            "junit",
            &manifests("bad/wrong-type.yaml"),
        ])
        .status(1)
        .run();
    assert!(
        out.stdout.contains("<failure type=\"schema/type\""),
        "{}",
        out.stdout
    );
}

#[test]
fn extract_prints_manifests_and_exits_1_when_none() {
    let p = Project::empty();
    p.write("answer.md", "Sure!\n\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n```\n\nand\n\n```yml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n```\nDone.\n");
    let out = p
        .dockhand()
        .args(["extract", "--as", "kubernetes", "answer.md"])
        .run();
    assert_eq!(
        out.stdout,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
    );
    p.dockhand()
        .args(["extract", "--as", "kubernetes", "-"])
        .stdin("I cannot help with that.\n")
        .status(1)
        .run();
}

fn chart(name: &str) -> String {
    fixture(&format!("charts/{name}"))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_chart_folder_is_rendered_and_checked_as_a_whole() {
    let out = Test::new()
        .args(["validate", "--format", "json", &chart("todo-app")])
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().any(|p| p.ends_with("Chart.yaml")), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("templates/backend-deployment.yaml")),
        "{paths:?}"
    );
    assert_eq!(v["errors"], 0);
}

/// A project with a dockhand.toml (defaults) and the fixture chart `name`
/// as its own chart, `charts/todo-app`.
fn project_with_chart(name: &str) -> Project {
    let p = Project::empty();
    p.write("dockhand.toml", "[project]\nkube_version = \"1.33\"\n");
    crate::harness::copy_dir(
        &fixture(&format!("charts/{name}")),
        &p.path().join("charts/todo-app"),
    );
    p
}

#[test]
fn chart_rules_fire_with_their_codes() {
    Test::new()
        .args(["validate", &chart("bad-chart-yaml")])
        .status(1)
        .stdout_has("[chart/version]")
        .run();
    // Policies fire on the project's own chart only.
    for (name, code) in [
        ("bad-literal-secret", "policy/secret-env"),
        ("bad-nodeport", "policy/nodeport"),
    ] {
        let p = project_with_chart(name);
        p.dockhand()
            .args(["validate", "charts/todo-app"])
            .status(1)
            .stdout_has(format!("[{code}]"))
            .stdout_has("policies: project (13 policies)\n")
            .run();
        Test::new()
            .args(["validate", &chart(name)])
            .stdout_lacks(format!("[{code}]"))
            .run();
    }
}

#[test]
fn chart_values_can_be_overridden_like_helm() {
    // The good chart turns bad when --set moves the NodePort off the configured one.
    let p = project_with_chart("todo-app");
    p.dockhand()
        .args([
            "validate",
            "charts/todo-app",
            "--set",
            "frontend.nodePort=30081",
        ])
        .status(1)
        .stdout_has("[policy/nodeport]")
        .run();
}

#[test]
fn each_policy_fires_on_its_bad_manifest_when_enabled() {
    let p = Project::empty();
    let all: Vec<String> = dockhand::validate::policy::POLICIES
        .iter()
        .map(|p| format!("\"{}\"", p.name))
        .collect();
    p.write(
        "dockhand.toml",
        &format!("[policies]\nenabled = [{}]\n", all.join(", ")),
    );
    let good = std::fs::read_to_string(fixture("policy/good/todo-app.yaml")).unwrap();
    p.write("k8s/todo-app.yaml", &good);
    p.dockhand()
        .args(["validate", "k8s/todo-app.yaml"])
        .stdout_has("0 errors")
        .run();
    for (file, code) in [
        ("image-pull.yaml", "policy/image-pull-never"),
        ("resources.yaml", "policy/resources"),
        ("secret-env.yaml", "policy/secret-env"),
        ("service-selector.yaml", "policy/service-selector"),
        ("selector-labels.yaml", "policy/selector-labels"),
        ("nodeport.yaml", "policy/nodeport"),
        ("backend-address.yaml", "policy/backend-address"),
    ] {
        let path = fixture(&format!("policy/bad/{file}"));
        p.write(
            &format!("k8s/{file}"),
            &std::fs::read_to_string(&path).unwrap(),
        );
        p.dockhand()
            .args(["validate", &format!("k8s/{file}")])
            .status(1)
            .stdout_has(format!("[{code}]"))
            .run();
    }
    // A Secret carrying data is refused under charts/ only.
    let secret = std::fs::read_to_string(fixture("policy/bad/secret-object.yaml")).unwrap();
    p.write("charts/app/templates/secret.yaml", &secret);
    p.write("elsewhere/secret.yaml", &secret);
    p.dockhand()
        .args(["validate", "charts/app/templates/secret.yaml"])
        .status(1)
        .stdout_has("[policy/no-secret-objects]")
        .run();
    // Elsewhere the Secret object is allowed, but its literal values are still
    // credentials (validate::secrets), so the file is refused for those.
    p.dockhand()
        .args(["validate", "elsewhere/secret.yaml"])
        .status(1)
        .stdout_lacks("[policy/no-secret-objects]")
        .run();
}

#[test]
fn findings_can_be_silenced_inline_or_in_config_with_a_reason() {
    let p = Project::empty();
    let bad = std::fs::read_to_string(manifests("bad/wrong-type.yaml")).unwrap();
    let out = p
        .dockhand()
        .args(["validate", "--format", "json", "-"])
        .stdin(bad.clone())
        .status(1)
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let f = &v["files"][0]["findings"][0];
    let (code, line) = (
        f["code"].as_str().unwrap().to_owned(),
        f["line"].as_u64().unwrap() as usize,
    );
    // inline, on the line above
    let mut lines: Vec<String> = bad.lines().map(str::to_owned).collect();
    let indent: String = lines[line - 1]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    lines.insert(
        line - 1,
        format!("{indent}# dockhand:ignore {code} reviewed by hand"),
    );
    let silenced = lines.join("\n") + "\n";
    let out = p
        .dockhand()
        .args(["validate", "--format", "json", "-"])
        .stdin(silenced)
        .run();
    assert!(
        !out.stdout.contains(&format!("\"{code}\"")),
        "{}",
        out.stdout
    );
    // without a reason it does not count
    let mut l2: Vec<String> = bad.lines().map(str::to_owned).collect();
    l2.insert(line - 1, format!("{indent}# dockhand:ignore {code}"));
    p.dockhand()
        .args(["validate", "-"])
        .stdin(l2.join("\n") + "\n")
        .status(1)
        .run();
    // in dockhand.toml
    p.write(
        "dockhand.toml",
        &format!("[[ignore]]\ncode = \"{code}\"\nreason = \"legacy file\"\n"),
    );
    p.dockhand().args(["validate", "-"]).stdin(bad).run();
}

/// insta settings with the temp folder filtered out.
fn snap(dir: &std::path::Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    let escaped: String = dir
        .to_string_lossy()
        .chars()
        .map(|c| match "\\.+*?()|[]{}^$".contains(c) {
            true => format!("\\{c}"),
            false => c.to_string(),
        })
        .collect();
    s.add_filter(&escaped, "[DIR]");
    s
}

const WRONG_TYPE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: \"two\"\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n";

#[test]
fn files_as_they_come() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |rel: &str, bytes: &[u8]| {
        let p = d.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    w("manifests/a.yaml", WRONG_TYPE.as_bytes());
    // reached twice through symlinks, and a loop back up
    std::os::unix::fs::symlink(d.join("manifests/a.yaml"), d.join("manifests/also-a.yaml"))
        .unwrap();
    std::os::unix::fs::symlink(d.join("manifests"), d.join("manifests/loop")).unwrap();
    std::os::unix::fs::symlink("..", d.join("manifests/up")).unwrap();
    // a dangling symlink cannot be read: one finding
    std::os::unix::fs::symlink(
        d.join("manifests/nowhere.yaml"),
        d.join("manifests/gone.yaml"),
    )
    .unwrap();
    // not UTF-8: one finding, the rest still checked
    w(
        "manifests/latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\ndata:\n  name: caf\xe9\n",
    );
    // byte-order mark and CRLF: positions as without them
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(WRONG_TYPE.as_bytes());
    w("manifests/bom.yaml", &bom);
    w(
        "manifests/crlf.yaml",
        WRONG_TYPE.replace('\n', "\r\n").as_bytes(),
    );
    // every Dockerfile name
    for name in [
        "Dockerfile",
        "Containerfile",
        "dockerfile",
        "app.Dockerfile",
        "Dockerfile.dev",
        "Dockerfile-prod",
        "Dockerfile_ci",
        "Containerfile.prod",
        "web.containerfile",
    ] {
        w(
            &format!("docker/{name}/{name}"),
            b"FROM python:latest\nUSER 1000\n",
        );
    }
    w("docker/ignored/Dockerfile.dockerignore", b"node_modules\n");
    let mut bom_df = b"\xef\xbb\xbf".to_vec();
    bom_df.extend_from_slice(b"FROM python:latest\r\nWORKDIR app\r\nUSER 1000\r\n");
    w("docker/bom/Dockerfile", &bom_df);
    let out = Test::new()
        .current_dir(d)
        .args(["validate", "."])
        .status(1)
        .run();
    snap(d).bind(|| insta::assert_snapshot!("files_as_they_come", out.stdout));
    assert_eq!(out.stderr, "");
}

#[test]
fn policies_are_the_projects_choice() {
    let p = Project::empty();
    let image_pull = std::fs::read_to_string(fixture("policy/bad/image-pull.yaml")).unwrap();
    p.write("k8s/app.yaml", &image_pull);
    p.write(
        "docker/app.Dockerfile",
        "FROM node:20\nRUN npm install\nCMD [\"node\", \"server.js\"]\n",
    );
    crate::harness::copy_dir(
        &fixture("charts/bad-nodeport"),
        &p.path().join("charts/todo-app"),
    );
    // No dockhand.toml: schema and general rules only, said in one line.
    let out = p.dockhand().args(["validate", "k8s", "docker"]).run();
    assert_eq!(
        out.stdout,
        "policies: none (no dockhand.toml): schema and general rules only\n2 files checked: 0 errors, 0 warnings\n"
    );
    // With one: the project's own chart and docker/ get the project set; elsewhere nothing.
    p.write("dockhand.toml", "[project]\nkube_version = \"1.33\"\n");
    let out = p
        .dockhand()
        .args(["validate", "--format", "json", "k8s", "docker", "charts"])
        .status(1)
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let by_path = |suffix: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} in {}", out.stdout))
            .clone()
    };
    let codes = |f: &serde_json::Value| -> Vec<String> {
        f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(&by_path("k8s/app.yaml")), Vec::<String>::new());
    assert_eq!(
        by_path("k8s/app.yaml")["policies"]["label"],
        "none (outside the project's chart and artifacts): schema and general rules only"
    );
    assert_eq!(codes(&by_path("docker/app.Dockerfile")), ["DH001", "DH002"]);
    assert_eq!(
        by_path("docker/app.Dockerfile")["policies"]["label"],
        "project (13 policies)"
    );
    assert_eq!(
        codes(&by_path("service.yaml (rendered)")),
        ["policy/nodeport"]
    );
    // By path: only image-pull-never under k8s/, nothing on the chart.
    p.write(
        "dockhand.toml",
        "[policies.paths]\n\"k8s\" = [\"image-pull-never\"]\n\"docker\" = [\"npm-ci\"]\n",
    );
    let out = p
        .dockhand()
        .args(["validate", "k8s", "docker", "charts"])
        .status(1)
        .run();
    assert!(
        out.stdout.contains("[policy/image-pull-never]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[DH002]") && !out.stdout.contains("[DH001]"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("[policy/nodeport]"), "{}", out.stdout);
    let policy_line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("policies: "))
        .unwrap();
    assert_eq!(
        policy_line,
        "policies: none (outside the project's chart and artifacts): schema and general rules only (5 files); npm-ci (1 file); image-pull-never (1 file)"
    );
    // An unknown policy name is a configuration error naming file and line.
    p.write(
        "dockhand.toml",
        "[policies.paths]\n\"k8s\" = [\"image-pull-nevr\"]\n",
    );
    let out = p.dockhand().args(["validate", "k8s"]).status(2).run();
    assert!(out.stderr.contains("dockhand.toml:2"), "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown policy `image-pull-nevr`"),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_file_and_dir_report_the_same_findings() {
    let p = Project::empty();
    p.write("dockhand.toml", "[project]\nkube_version = \"1.33\"\n");
    crate::harness::copy_dir(
        &fixture("charts/bad-nodeport"),
        &p.path().join("charts/todo-app"),
    );
    p.write(
        "docker/app.Dockerfile",
        "FROM node:latest\nRUN npm install\n",
    );
    p.write("k8s/app.yaml", WRONG_TYPE);
    let run = |args: &[&str]| -> serde_json::Value {
        let out = p
            .dockhand()
            .args(["validate", "--format", "json"])
            .args(args.iter().copied())
            .status(-999)
            .command()
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let all = run(&["."]);
    let files = all["files"].as_array().unwrap();
    assert!(files.len() >= 6, "{all}");
    let mut compared = 0;
    for f in files {
        let path = f["path"].as_str().unwrap();
        let file = path.strip_suffix(" (rendered)").unwrap_or(path);
        let one = run(&[file]);
        let same = one["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["path"] == f["path"])
            .unwrap_or_else(|| panic!("{path} missing from `validate {file}`: {one}"));
        assert_eq!(same["findings"], f["findings"], "{path}");
        assert_eq!(same["policies"], f["policies"], "{path}");
        compared += 1;
    }
    assert!(compared >= 6);
}

/// Files are checked in parallel, and the report is the same whatever the
/// number of jobs: same order, nothing interleaved.
#[test]
fn parallel_reports_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let text = if i % 3 == 0 {
            WRONG_TYPE.to_owned()
        } else {
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  a: b\n")
        };
        std::fs::write(dir.path().join(format!("m{i:02}.yaml")), text).unwrap();
        std::fs::write(
            dir.path().join(format!("d{i:02}.Dockerfile")),
            "FROM python:latest\n",
        )
        .unwrap();
    }
    let run = |jobs: &str| {
        Test::new()
            .current_dir(dir.path())
            .args(["validate", "--jobs", jobs, "."])
            .status(1)
            .run()
            .stdout
    };
    let one = run("1");
    assert_eq!(one.matches("error[schema/type]").count(), 14);
    assert_eq!(one.matches("error[DL3007]").count(), 40);
    assert!(
        one.ends_with("80 files checked: 54 errors, 0 warnings\n"),
        "{one}"
    );
    for jobs in ["2", "8"] {
        assert_eq!(run(jobs), one, "--jobs {jobs}");
    }
}

#[test]
fn without_a_path_validate_checks_the_projects_charts_and_docker() {
    let p = Project::seeded();
    p.write(
        "docker/api/Dockerfile",
        "FROM python:3.12-slim\nRUN pip install flask\nUSER 1000\nCMD [\"python\", \"app.py\"]\n",
    );
    p.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    p.write(
        "charts/web/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  replicas: 2\n",
    );
    p.write("notes/stray.yaml", "apiVersion: v1\nkind: Nonsense\n");
    // The same findings as naming charts/ and docker/ (and nothing from notes/).
    let named = p
        .dockhand()
        .env("PATH", "/usr/bin:/bin")
        .args(["validate", "charts", "docker"])
        .run_any();
    assert_eq!(named.status, 1, "{}", named.stdout);
    for file in [
        "charts/web/templates/cm.yaml (rendered):6",
        "docker/api/Dockerfile:2",
    ] {
        assert!(named.stdout.contains(file), "{file} in {}", named.stdout);
    }
    p.dockhand()
        .env("PATH", "/usr/bin:/bin")
        .arg("validate")
        .stdout(named.stdout.clone())
        .stderr(named.stderr.clone())
        .status(1)
        .run();
    // From a folder inside the project, the paths lead back up.
    let inside = p.path().join("notes");
    p.dockhand()
        .current_dir(&inside)
        .env("PATH", "/usr/bin:/bin")
        .arg("validate")
        .stdout(
            named
                .stdout
                .replace("charts/", "../charts/")
                .replace("docker/", "../docker/"),
        )
        .stderr(named.stderr)
        .status(1)
        .run();
}

#[test]
fn without_a_path_outside_a_project_validate_says_what_to_name() {
    let dir = tempfile::tempdir().unwrap();
    Test::new()
        .current_dir(dir.path())
        .arg("validate")
        .stderr(
            "error: no PATH given, and no dockhand.toml here or above to find the project's \
             charts/ and docker/: name what to check, e.g. `dockhand validate k8s/`\n",
        )
        .status(2)
        .run();
}

fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

#[test]
fn a_pipe_in_a_folder_is_passed_over_and_in_a_chart_is_an_error_as_for_helm() {
    // Reading a FIFO nobody writes to never ends: before, `validate DIR` hung here.
    let dir = tempfile::tempdir().unwrap();
    let k8s = dir.path().join("k8s");
    std::fs::create_dir(&k8s).unwrap();
    std::fs::copy(
        fixture("manifests/good/deployment-service.yaml"),
        k8s.join("app.yaml"),
    )
    .unwrap();
    mkfifo(&k8s.join("pipe.yaml"));
    std::os::unix::fs::symlink("pipe.yaml", k8s.join("link.yaml")).unwrap();
    Test::new()
        .current_dir(dir.path())
        .args(["validate", "k8s"])
        .stdout(
            "policies: none (no dockhand.toml): schema and general rules only\n\
             1 file checked: 0 errors, 0 warnings\n",
        )
        .run();

    let chart = dir.path().join("web");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    )
    .unwrap();
    mkfifo(&chart.join("templates/pipe.yaml"));
    Test::new()
        .current_dir(dir.path())
        .env("PATH", "/usr/bin:/bin")
        .args(["validate", "web"])
        .stdout(
            "web/Chart.yaml:1:1: info[chart/renderer]: rendered with dockhand's built-in renderer (no helm on PATH)\n  \
             |\n\
             1 | apiVersion: v2\n  \
             | ^\n\
             web/templates/pipe.yaml:1:1: error[chart/read]: cannot read templates/pipe.yaml: not a regular file (a pipe, socket or device); helm does not load such a chart\n\
             policies: none (no dockhand.toml): schema and general rules only\n\
             2 files checked: 1 error, 0 warnings\n",
        )
        .status(1)
        .run();
}

#[test]
fn a_pipe_named_on_the_command_line_is_read() {
    // `dockhand validate <(helm template ...)`: the shell hands over a pipe.
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("rendered.yaml");
    mkfifo(&pipe);
    let text = std::fs::read_to_string(fixture("manifests/good/deployment-service.yaml")).unwrap();
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::write(pipe, text).unwrap())
    };
    Test::new()
        .current_dir(dir.path())
        .args(["validate", "rendered.yaml"])
        .stdout(
            "policies: none (no dockhand.toml): schema and general rules only\n\
             1 file checked: 0 errors, 0 warnings\n",
        )
        .run();
    writer.join().unwrap();
}

#[test]
fn extract_never_prints_a_credential() {
    let p = Project::empty();
    p.write(
        "answer.md",
        "Here:\n\n```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  \
         OPENAI_API_KEY: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH\n  \
         url: postgres://app:hunter2secret@db:5432/app\n```\n",
    );
    p.dockhand()
        .args(["extract", "--as", "kubernetes", "answer.md"])
        .stdout(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  \
             OPENAI_API_KEY: <redacted:api-key>\n  \
             url: postgres://app:<redacted:url-password>@db:5432/app\n",
        )
        .stderr(
            "warning: the artifact held 2 credential(s), printed as placeholders: an API key \
             (`sk-…`), a password in a URL (`scheme://user:password@host`)\n",
        )
        .status(1)
        .run();
}
