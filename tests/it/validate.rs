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

#[test]
fn chart_rules_fire_with_their_codes() {
    for (name, code) in [
        ("bad-chart-yaml", "chart/version"),
        ("bad-literal-secret", "policy/secret-env"),
        ("bad-nodeport", "policy/nodeport"),
    ] {
        Test::new()
            .args(["validate", &chart(name)])
            .status(1)
            .stdout_has(format!("[{code}]"))
            .run();
    }
}

#[test]
fn chart_values_can_be_overridden_like_helm() {
    // The good chart turns bad when --set moves the NodePort off the configured one.
    Test::new()
        .args([
            "validate",
            &chart("todo-app"),
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
    p.dockhand()
        .args(["validate"])
        .arg(fixture("policy/good/todo-app.yaml").to_string_lossy())
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
        if !path.exists() {
            continue;
        }
        p.dockhand()
            .args(["validate"])
            .arg(path.to_string_lossy())
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
        .stdout_lacks("no-secret-objects")
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
