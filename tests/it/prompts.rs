//! The prompt library: listing, showing, rendering, and strict filling errors.
//! Whole-output comparisons: an expected render is derived from another run
//! where the point is a difference (a `--set`, a newer version).

use crate::harness::Project;

fn snapshot(name: &str, text: &str) {
    crate::snapshots::settings(None).bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn lists_the_seed_prompts_at_1_0_0_and_1_1_0() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["prompts", "list"])
        .stdout_elsewhere()
        .stderr("")
        .run();
    snapshot("prompts_list_seeded", &out.stdout);
}

#[test]
fn list_json_carries_the_front_matter() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["prompts", "list", "--format", "json"])
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 14);
    let dep = all
        .iter()
        .find(|t| t["id"] == "backend-deployment" && t["version"] == "1.0.0")
        .unwrap();
    assert_eq!(dep["version"], "1.0.0");
    assert_eq!(dep["tool"], "kubectl-ai");
    assert_eq!(dep["output"], "kubernetes");
    assert_eq!(
        dep["targets"][0]["path"],
        "charts/todo-app/templates/backend-deployment.yaml"
    );
    assert!(
        dep["policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "image-pull-never")
    );
    let image = dep["vars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "backend_image")
        .unwrap();
    assert_eq!(image["type"], "string");
    assert_eq!(image["required"], true);
}

#[test]
fn render_fills_from_dockhand_toml_then_set() {
    let p = Project::seeded();
    let base = p
        .dockhand()
        .args(["prompts", "render", "backend-deployment"])
        .stdout_elsewhere()
        .stderr("")
        .run()
        .stdout;
    snapshot("rendered_prompt_backend_deployment", &base);
    // --set changes exactly that value.
    assert_eq!(base.matches("replicas: 2, containerPort: 8000").count(), 1);
    p.dockhand()
        .args([
            "prompts",
            "render",
            "backend-deployment",
            "--set",
            "backend_replicas=3",
        ])
        .stdout(base.replace(
            "replicas: 2, containerPort: 8000",
            "replicas: 3, containerPort: 8000",
        ))
        .run();
}

#[test]
fn set_with_the_wrong_type_names_the_declaration() {
    let p = Project::seeded();
    let line = decl_line(
        &p,
        "prompts/kubectl-ai/backend-deployment@1.1.0.md",
        "backend_replicas",
    );
    p.dockhand()
        .args([
            "prompts",
            "render",
            "backend-deployment",
            "--set",
            "backend_replicas=three",
        ])
        .status(2)
        .stderr(format!("error: `--set backend_replicas=three` (see prompts/kubectl-ai/backend-deployment@1.1.0.md:{line}): variable `backend_replicas` is declared integer, but got `three`\n"))
        .run();
}

#[test]
fn unknown_set_variable_is_an_error() {
    let p = Project::seeded();
    p.dockhand()
        .args([
            "prompts",
            "render",
            "backend-service",
            "--set",
            "colour=blue",
        ])
        .status(2)
        .stderr("error: `--set colour=blue` (see prompts/kubectl-ai/backend-service@1.1.0.md:9): unknown variable `colour` for backend-service@1.1.0: the prompt does not declare it\n")
        .run();
}

#[test]
fn config_type_mismatch_names_dockhand_toml_and_line() {
    let p = Project::seeded();
    let toml = p
        .read("dockhand.toml")
        .replace("backend_replicas = 2", "backend_replicas = \"two\"");
    let line = toml
        .lines()
        .position(|l| l.starts_with("backend_replicas"))
        .unwrap()
        + 1;
    p.write("dockhand.toml", &toml);
    p.dockhand()
        .args(["prompts", "render", "backend-deployment"])
        .status(2)
        .stderr(format!("error: [PROJECT]/dockhand.toml:{line}: variable `backend_replicas` is declared integer, but got the string \"two\"\n"))
        .run();
}

#[test]
fn missing_required_variable_names_its_declaration_line() {
    let p = Project::seeded();
    let toml: String = p
        .read("dockhand.toml")
        .lines()
        .filter(|l| !l.starts_with("backend_image"))
        .map(|l| format!("{l}\n"))
        .collect();
    p.write("dockhand.toml", &toml);
    let prompt = p.read("prompts/kubectl-ai/backend-deployment@1.1.0.md");
    let line = prompt
        .lines()
        .position(|l| l == "[vars.backend_image]")
        .unwrap()
        + 1;
    p.dockhand()
        .args(["prompts", "render", "backend-deployment"])
        .status(2)
        .stderr(format!("error: prompts/kubectl-ai/backend-deployment@1.1.0.md:{line}: backend-deployment@1.1.0 needs variable `backend_image`: set it in dockhand.toml [vars] or with --set backend_image=...\n"))
        .run();
}

#[test]
fn unknown_per_prompt_variable_in_config_is_an_error() {
    let p = Project::seeded();
    let mut toml = p.read("dockhand.toml");
    toml.push_str("\n[prompts.backend-service.vars]\nbackend_port = 8080\nport_name = \"http\"\n");
    let line = toml
        .lines()
        .position(|l| l.starts_with("port_name"))
        .unwrap()
        + 1;
    p.write("dockhand.toml", &toml);
    p.dockhand()
        .args(["prompts", "render", "backend-service"])
        .status(2)
        .stderr(format!(
            "error: [PROJECT]/dockhand.toml:{line}: unknown variable `port_name` for backend-service@1.1.0: the prompt does not declare it\n"
        ))
        .run();
}

#[test]
fn per_prompt_values_override_shared_ones() {
    let p = Project::seeded();
    let mut toml = p.read("dockhand.toml");
    let shared = p
        .dockhand()
        .args(["prompts", "render", "backend-service"])
        .run()
        .stdout;
    toml.push_str("\n[prompts.backend-service.vars]\nbackend_port = 8080\n");
    p.write("dockhand.toml", &toml);
    assert_eq!(
        shared
            .matches("with one port 8000 and targetPort 8000")
            .count(),
        1
    );
    p.dockhand()
        .args(["prompts", "render", "backend-service"])
        .stdout(shared.replace(
            "with one port 8000 and targetPort 8000",
            "with one port 8080 and targetPort 8080",
        ))
        .run();
}

const BROKEN_HEAD: &str = "+++\nid = \"broken\"\nversion = \"1.0.0\"\ntool = \"kubectl-ai\"\noutput = \"kubernetes\"\ntargets = [\"charts/x/a.yaml\"]\n\n[vars.name]\ntype = \"string\"\ndefault = \"x\"\n+++\n";

#[test]
fn template_syntax_error_names_file_and_line() {
    let p = Project::seeded();
    p.write(
        "prompts/kubectl-ai/broken@1.0.0.md",
        &format!("{BROKEN_HEAD}line one\nline two {{{{ name \n"),
    );
    p.dockhand()
        .args(["prompts", "list"])
        .status(2)
        .stderr("error: prompts/kubectl-ai/broken@1.0.0.md:13: syntax error: unexpected end of input, expected end of variable block\n")
        .run();
}

#[test]
fn undeclared_template_variable_names_file_and_line() {
    let p = Project::seeded();
    p.write(
        "prompts/kubectl-ai/broken@1.0.0.md",
        &format!("{BROKEN_HEAD}ok {{{{ name }}}}\nuses {{{{ replicas }}}}\n"),
    );
    p.dockhand()
        .args(["prompts", "render", "broken"])
        .status(2)
        .stderr("error: prompts/kubectl-ai/broken@1.0.0.md:13: unknown variable `replicas` for broken@1.0.0: the template uses it but the front matter does not declare it\n")
        .run();
}

#[test]
fn duplicate_id_and_version_is_an_error_naming_both_files() {
    let p = Project::seeded();
    let text = p.read("prompts/kubectl-ai/backend-service@1.0.0.md");
    p.write("prompts/kubectl-ai/backend-service-copy.md", &text);
    p.dockhand()
        .args(["prompts", "list"])
        .status(2)
        .stderr(
            "error: prompts/kubectl-ai/backend-service@1.0.0.md:3: duplicate prompt backend-service@1.0.0: already defined in prompts/kubectl-ai/backend-service-copy.md\n",
        )
        .run();
}

#[test]
fn id_means_newest_and_id_at_version_is_pinned() {
    let p = Project::seeded();
    let text = p.read("prompts/kubectl-ai/backend-service@1.0.0.md");
    let newer = text
        .replace("version = \"1.0.0\"", "version = \"1.2.0\"")
        .replace("ClusterIP Service", "ClusterIP Service (v1.2)");
    p.write("prompts/kubectl-ai/backend-service@1.2.0.md", &newer);
    let old = p
        .dockhand()
        .args(["prompts", "render", "backend-service@1.0.0"])
        .run()
        .stdout;
    assert!(!old.contains("(v1.2)"));
    p.dockhand()
        .args(["prompts", "render", "backend-service"])
        .stdout(old.replace("ClusterIP Service", "ClusterIP Service (v1.2)"))
        .run();
    p.dockhand()
        .args(["prompts", "render", "backend-service@1.0.0"])
        .stdout(old)
        .run();
    p.dockhand()
        .args(["prompts", "show", "backend-service@1.2.0"])
        .stdout(format!(
            "# prompts/kubectl-ai/backend-service@1.2.0.md\n{newer}"
        ))
        .run();
    p.dockhand()
        .args(["prompts", "render", "backend-service@9.9.9"])
        .status(2)
        .stderr("error: no prompt `backend-service@9.9.9` in the library; did you mean `backend-service@1.2.0` or `backend-service@1.1.0` or `backend-service@1.0.0`?\n")
        .run();
}

#[test]
fn prompt_in_the_wrong_tool_folder_is_refused() {
    let p = Project::seeded();
    let text = p
        .read("prompts/kubectl-ai/backend-service@1.0.0.md")
        .replace("id = \"backend-service\"", "id = \"moved\"");
    p.write("prompts/gordon/moved.md", &text);
    p.dockhand()
        .args(["prompts", "list"])
        .status(2)
        .stderr("error: prompts/gordon/moved.md:4: a prompt for `kubectl-ai` belongs under prompts/kubectl-ai/\n")
        .run();
}

/// The line of `[vars.NAME]` in a prompt file.
fn decl_line(p: &Project, rel: &str, name: &str) -> usize {
    p.read(rel)
        .lines()
        .position(|l| l == format!("[vars.{name}]"))
        .unwrap()
        + 1
}
