//! Each prompt's contract, enforced end to end: `dockhand generate` against
//! the OpenAI test server, into a real git repository. An answer that does
//! not keep the contract is sent back for repair and, when it stays wrong,
//! nothing is written, cached, locked or committed.

use crate::harness::{Output, Project, fixture};
use crate::openai_server::{RecordedRequest, TestServer, chat_json};

pub fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

/// What a refused run left behind: the whole output, the requests, and the
/// proof that the project did not change.
pub struct Refused {
    pub out: Output,
    pub requests: Vec<RecordedRequest>,
    pub project: Project,
}

/// `dockhand generate ARGS --backend openai` with the server answering
/// `answers` in turn; the run must exit 1 and leave the project as it was:
/// no file written, no cache entry, no lock, no commit, a clean tree.
pub fn refused(args: &[&str], answers: &[String]) -> Refused {
    let p = Project::seeded();
    let files = p.files();
    let head = p.git(&["rev-parse", "HEAD"]);
    let server = TestServer::start(answers.iter().map(|a| chat_json(a)).collect());
    let out = p
        .dockhand()
        .arg("generate")
        .args(args.iter().copied())
        .args(["--backend", "openai"])
        .openai(&server)
        .status(1)
        .run();
    assert_eq!(p.files(), files, "nothing written\n{}", out.stdout);
    assert_eq!(p.git(&["rev-parse", "HEAD"]), head, "nothing committed");
    assert_eq!(p.git(&["status", "--porcelain"]), "", "a clean tree");
    Refused {
        out,
        requests: server.requests(),
        project: p,
    }
}

/// The run's whole output as one text, for a snapshot.
pub fn transcript(out: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        out.status, out.stdout, out.stderr
    )
}

fn snapshot(name: &str, out: &Output) {
    crate::snapshots::settings(None).bind(|| insta::assert_snapshot!(name, transcript(out)));
}

/// The follow-up dockhand sent, as the assistant read it.
fn repair_request(r: &Refused, n: usize) -> String {
    r.requests[n].last_user_message()
}

#[test]
fn a_service_given_to_backend_deployment_is_refused() {
    let service = answer("backend-service");
    let r = refused(&["backend-deployment"], &[service.clone(), service]);
    assert_eq!(
        r.requests.len(),
        2,
        "one repair, then the same answer again"
    );
    snapshot("contract_service_for_deployment", &r.out);
    // The repair names the contract's findings.
    let repair = repair_request(&r, 1);
    assert_eq!(
        repair.lines().take(4).collect::<Vec<_>>(),
        [
            "Your answer does not pass validation. Fix every problem below and answer again with the complete corrected artifact, in the same form.",
            "",
            "Problems in charts/todo-app/templates/backend-deployment.yaml:",
            "- line 1: [contract/missing] the prompt asks for a Deployment named `todo-backend`; the answer has none",
        ]
    );
}

#[test]
fn a_deployment_given_to_frontend_configmap_is_refused() {
    let deployment = answer("backend-deployment");
    let r = refused(&["frontend-configmap"], &[deployment.clone(), deployment]);
    snapshot("contract_deployment_for_configmap", &r.out);
}

#[test]
fn a_deployment_missing_two_secret_keys_and_its_probes_is_refused() {
    let text = answer("backend-deployment");
    let start = text.find("            - name: OPENAI_API_KEY").unwrap();
    let end = text.find("          resources:").unwrap();
    let probes = text.find("          readinessProbe:").unwrap();
    let fence = text.rfind("```").unwrap();
    let bad = format!("{}{}{}", &text[..start], &text[end..probes], &text[fence..]);
    let r = refused(&["backend-deployment"], &[bad.clone(), bad]);
    snapshot("contract_missing_secret_keys_and_probes", &r.out);
}

#[test]
fn values_come_from_the_same_variables_as_the_prompt() {
    // The answer keeps 2 replicas; the prompt, filled with --set, asks for 3.
    let good = answer("backend-deployment");
    let r = refused(
        &["backend-deployment", "--set", "backend_replicas=3"],
        &[good.clone(), good],
    );
    assert_eq!(
        r.requests[0].messages()[1].1.lines().nth(2),
        Some("  replicas: 3, containerPort: 8000,")
    );
    snapshot("contract_values_from_variables", &r.out);
}

#[test]
fn a_helm_lookup_in_a_plain_manifest_is_refused() {
    let bad = answer("frontend-configmap").replace(
        "  NEXT_PUBLIC_API_URL: \"http://todo-backend:8000\"",
        "  NEXT_PUBLIC_API_URL: \"http://todo-backend:8000\"\n  DB_PASSWORD: '{{ (lookup \"v1\" \"Secret\" \"default\" \"db\").data.password }}'",
    );
    let r = refused(&["frontend-configmap"], &[bad.clone(), bad]);
    snapshot("contract_helm_lookup_in_plain_manifest", &r.out);
}

#[test]
fn a_dockerfile_on_another_base_image_is_refused() {
    let bad = answer("backend-dockerfile").replace(
        "FROM python:3.11-slim AS runtime",
        "FROM python:3.12 AS runtime",
    );
    let r = refused(&["backend-dockerfile"], &[bad.clone(), bad]);
    snapshot("contract_dockerfile_base_image", &r.out);
}

#[test]
fn a_repaired_answer_that_keeps_the_contract_lands() {
    let p = Project::seeded();
    let server = TestServer::start(vec![
        chat_json(&answer("backend-service")),
        chat_json(&answer("backend-deployment")),
    ]);
    let out = p
        .dockhand()
        .args(["generate", "backend-deployment", "--backend", "openai"])
        .openai(&server)
        .run();
    assert_eq!(server.request_count(), 2);
    let lock: toml::Value = toml::from_str(&p.read("dockhand.lock")).unwrap();
    assert_eq!(lock["artifact"][0]["attempts"].as_integer(), Some(2));
    assert_eq!(lock["artifact"][0]["version"].as_str(), Some("1.1.0"));
    snapshot("contract_repaired", &out);
    // The conversation is replayed from the cache, repair included.
    let out = p.dockhand().args(["regen", "--offline", "--check"]).run();
    assert_eq!(
        transcript(&out),
        "exit 0
--- stdout
backend-deployment@1.1.0 attempt 1: openai (cached) model gpt-4o-mini: 2 error(s), 0 warning(s)
backend-deployment@1.1.0 attempt 2: openai (cached) model gpt-4o-mini: 0 error(s), 0 warning(s)
--- stderr
backend-deployment@1.1.0: repairing: 2 error(s), attempt 2
backend-deployment@1.1.0: up to date
"
    );
}

#[test]
fn a_contract_naming_an_undeclared_variable_is_a_prompt_error() {
    let p = Project::seeded();
    let path = "prompts/kubectl-ai/backend-service@1.1.0.md";
    p.write(
        path,
        &p.read(path).replace(
            "name = \"{{ backend_name }}\"",
            "name = \"{{ service_name }}\"",
        ),
    );
    let out = p.dockhand().args(["prompts", "list"]).status(2).run();
    let line = 1 + p
        .read(path)
        .lines()
        .position(|l| l == "[[contract.resources]]")
        .unwrap();
    assert_eq!(
        transcript(&out),
        format!(
            "exit 2\n--- stdout\n--- stderr\nerror: {path}:{line}: contract: `{{{{ service_name }}}}` uses `service_name`, which the front matter does not declare\n"
        )
    );
}

const HELM_PROMPT: &str = "+++\nid = \"extra-configmap\"\nversion = \"1.0.0\"\ntool = \"kubectl-ai\"\noutput = \"helm\"\ntargets = [\"charts/demo/templates/extra-configmap.yaml\"]\n+++\nCreate a Helm template for a ConfigMap holding the database password.\n";

/// A chart template may use Helm, but never `lookup`: a rendered chart must
/// not read the cluster (here, a Secret's password).
#[test]
fn a_lookup_in_a_chart_template_is_refused() {
    let p = Project::seeded();
    crate::harness::copy_dir(&fixture("charts/todo-app"), &p.path().join("charts/demo"));
    p.write("prompts/kubectl-ai/extra-configmap.md", HELM_PROMPT);
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "chart and helm prompt"]);
    let files = p.files();
    let template = "```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  password: {{ (lookup \"v1\" \"Secret\" \"default\" \"db\").data.password | quote }}\n```\n";
    let server = TestServer::start(vec![chat_json(template), chat_json(template)]);
    let out = p
        .dockhand()
        .args(["generate", "extra-configmap", "--backend", "openai"])
        .openai(&server)
        .status(1)
        .run();
    assert_eq!(p.files(), files, "nothing written");
    snapshot("contract_helm_lookup_in_chart_template", &out);
}

#[test]
fn prompts_list_shows_each_contract_as_declared() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["prompts", "list", "--format", "json"])
        .run();
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let service = all
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "backend-service" && t["version"] == "1.1.0")
        .unwrap();
    assert_eq!(
        service["contract"],
        serde_json::json!({"resources": [{
            "kind": "Service",
            "name": "{{ backend_name }}",
            "type": "ClusterIP",
            "selector": {"app": "{{ backend_name }}"},
            "ports": [{"port": "{{ backend_port }}", "target_port": "{{ backend_port }}"}]
        }]})
    );
}
