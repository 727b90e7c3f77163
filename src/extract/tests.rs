//! Extraction tests on real-shaped answers.

use super::*;

fn fixture(name: &str) -> &'static str {
    match name {
        "k8s_yaml_fence" => include_str!("../../tests/fixtures/responses/k8s_yaml_fence.md"),
        "k8s_several_fences" => {
            include_str!("../../tests/fixtures/responses/k8s_several_fences.md")
        }
        "k8s_multidoc" => include_str!("../../tests/fixtures/responses/k8s_multidoc.md"),
        "k8s_ansi" => include_str!("../../tests/fixtures/responses/k8s_ansi.txt"),
        "k8s_glamour" => include_str!("../../tests/fixtures/responses/k8s_glamour.txt"),
        "k8s_kubectl_ai" => include_str!("../../tests/fixtures/responses/k8s_kubectl_ai.txt"),
        "k8s_list_indented" => include_str!("../../tests/fixtures/responses/k8s_list_indented.md"),
        "k8s_bash_only" => include_str!("../../tests/fixtures/responses/k8s_bash_only.md"),
        "dockerfile_fence" => include_str!("../../tests/fixtures/responses/dockerfile_fence.md"),
        "dockerfile_unfenced" => {
            include_str!("../../tests/fixtures/responses/dockerfile_unfenced.txt")
        }
        "helm_values" => include_str!("../../tests/fixtures/responses/helm_values.md"),
        "helm_template" => include_str!("../../tests/fixtures/responses/helm_template.md"),
        "prose_only" => include_str!("../../tests/fixtures/responses/prose_only.md"),
        other => panic!("unknown fixture {other}"),
    }
}

fn k8s(name: &str) -> Extracted {
    extract(OutputKind::Kubernetes, fixture(name)).unwrap()
}

#[test]
fn strip_ansi_removes_csi_osc_and_lone_escapes() {
    let s = "\u{1b}[1;32mgreen\u{1b}[0m \u{1b}]8;;https://x.dev\u{7}link\u{1b}]8;;\u{1b}\\ \u{1b}[2K\u{1b}[1Gx\u{1b}7\u{1b}(By";
    assert_eq!(strip_ansi(s), "green link xy");
    assert_eq!(strip_ansi("plain\ntext"), "plain\ntext");
    assert_eq!(strip_ansi("\u{9b}31mred"), "red");
    // A malformed OSC stops at the end of the line.
    assert_eq!(strip_ansi("\u{1b}]0;title\nnext"), "\nnext");
}

#[test]
fn yaml_fence_with_prose_around() {
    let e = k8s("k8s_yaml_fence");
    assert_eq!(e.blocks, 1);
    assert!(
        e.text
            .starts_with("apiVersion: apps/v1\nkind: Deployment\n"),
        "{}",
        e.text
    );
    assert!(
        e.text.ends_with("        - containerPort: 8000\n"),
        "{}",
        e.text
    );
    assert!(!e.text.contains("Here"));
    assert!(!e.text.ends_with("\n\n"));
}

#[test]
fn several_fences_joined_and_bash_ignored() {
    let e = k8s("k8s_several_fences");
    // ```yml Deployment, ``` bare Service, ~~~yaml ConfigMap; ```bash and ```console ignored.
    assert_eq!(e.blocks, 3);
    let kinds: Vec<&str> = e.text.lines().filter(|l| l.starts_with("kind:")).collect();
    assert_eq!(
        kinds,
        ["kind: Deployment", "kind: Service", "kind: ConfigMap"]
    );
    assert_eq!(e.text.matches("---\n").count(), 2);
    assert!(!e.text.contains("kubectl"));
}

#[test]
fn multi_document_block_kept_and_empty_documents_dropped() {
    let e = k8s("k8s_multidoc");
    assert_eq!(e.blocks, 1);
    assert!(
        e.text.starts_with("apiVersion: v1\nkind: Namespace\n"),
        "{}",
        e.text
    );
    assert_eq!(e.text.matches("---\n").count(), 2, "{}", e.text);
    assert!(!e.text.contains("---\n---"));
    assert!(
        e.text
            .contains("# the service\napiVersion: v1\nkind: Service\n")
    );
}

#[test]
fn ansi_coloured_fence() {
    let e = k8s("k8s_ansi");
    assert_eq!(e.blocks, 1);
    assert!(!e.text.contains('\u{1b}'));
    assert!(
        e.text
            .starts_with("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"),
        "{}",
        e.text
    );
}

#[test]
fn glamour_indented_code_without_fences() {
    let e = k8s("k8s_glamour");
    assert_eq!(e.blocks, 0);
    let kinds: Vec<&str> = e.text.lines().filter(|l| l.starts_with("kind:")).collect();
    assert_eq!(kinds, ["kind: Deployment", "kind: Service"], "{}", e.text);
    assert!(e.text.starts_with("apiVersion: apps/v1\n"));
    assert!(e.text.contains("\n  replicas: 2\n"));
    assert!(!e.text.contains("Apply"));
    assert!(
        !e.text.contains("  \n"),
        "trailing padding kept: {:?}",
        e.text
    );
}

#[test]
fn kubectl_ai_running_lines_are_not_yaml() {
    let e = k8s("k8s_kubectl_ai");
    assert!(!e.text.contains("Running:"), "{}", e.text);
    assert!(
        e.text
            .starts_with("apiVersion: apps/v1\nkind: Deployment\n"),
        "{}",
        e.text
    );
    assert!(e.text.contains("kind: Service"));
    assert!(!e.text.contains("deployment.apps"));
}

#[test]
fn indented_fences_inside_a_list_are_dedented() {
    let e = k8s("k8s_list_indented");
    assert_eq!(e.blocks, 2);
    assert!(
        e.text.starts_with("apiVersion: v1\nkind: ConfigMap\n"),
        "{}",
        e.text
    );
    assert!(
        e.text
            .contains("\n---\napiVersion: apps/v1\nkind: Deployment\n")
    );
    assert!(e.text.contains("\n      containers:\n"), "{}", e.text);
}

#[test]
fn heredoc_in_bash_fence_is_not_a_manifest() {
    assert_eq!(
        extract(OutputKind::Kubernetes, fixture("k8s_bash_only")),
        Err(ExtractError::NothingFound {
            kind: OutputKind::Kubernetes
        })
    );
}

#[test]
fn bare_yaml_without_fence_after_prose() {
    let r = "Sure, here you go:\n\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n\nThis creates a pod. Let me know!\n";
    let e = extract(OutputKind::Kubernetes, r).unwrap();
    assert_eq!(e.blocks, 0);
    assert_eq!(
        e.text,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n"
    );
}

#[test]
fn yaml_fence_that_is_not_a_manifest_is_ignored() {
    let r = "```yaml\nservices:\n  web:\n    image: x\n```\n";
    assert!(extract(OutputKind::Kubernetes, r).is_err());
    // ... but is plain YAML for Helm (values.yaml).
    assert_eq!(
        extract(OutputKind::Helm, r).unwrap().text,
        "services:\n  web:\n    image: x\n"
    );
}

#[test]
fn crlf_and_spinner_overwrites() {
    let r = "\u{2819} thinking...\r```yaml\r\napiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: demo\r\n```\r\n";
    let e = extract(OutputKind::Kubernetes, r).unwrap();
    assert_eq!(
        e.text,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"
    );
}

#[test]
fn unclosed_fence_runs_to_the_end() {
    let r = "```yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n";
    let e = extract(OutputKind::Kubernetes, r).unwrap();
    assert_eq!(e.blocks, 1);
    assert_eq!(
        e.text,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"
    );
}

#[test]
fn longer_fences_and_inner_backticks() {
    let r = "````yaml\napiVersion: v1\nkind: ConfigMap\ndata:\n  readme: |\n    ```\n    not a fence end\n    ```\n````\n";
    let e = extract(OutputKind::Kubernetes, r).unwrap();
    assert!(e.text.contains("not a fence end"));
    assert!(e.text.ends_with("    ```\n"));
}

#[test]
fn nothing_found() {
    for kind in [
        OutputKind::Kubernetes,
        OutputKind::Dockerfile,
        OutputKind::Helm,
    ] {
        let err = extract(kind, fixture("prose_only")).unwrap_err();
        assert_eq!(err, ExtractError::NothingFound { kind });
        assert!(!err.to_string().is_empty());
    }
    assert!(extract(OutputKind::Report, " \n\u{1b}[0m\n").is_err());
}

#[test]
fn dockerfile_fence_skips_dockerignore_and_shell() {
    let e = extract(OutputKind::Dockerfile, fixture("dockerfile_fence")).unwrap();
    assert_eq!(e.blocks, 1);
    assert!(
        e.text
            .starts_with("# syntax=docker/dockerfile:1\nARG PYTHON_VERSION=3.11\nFROM python:"),
        "{}",
        e.text
    );
    assert!(e.text.ends_with(
        "CMD [\"uvicorn\", \"backend.main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]\n"
    ));
    assert_eq!(e.text.matches("FROM ").count(), 2);
    assert!(!e.text.contains("docker build"));
    assert!(!e.text.contains("__pycache__"));
}

#[test]
fn dockerfile_without_fence() {
    let e = extract(OutputKind::Dockerfile, fixture("dockerfile_unfenced")).unwrap();
    assert_eq!(e.blocks, 0);
    assert!(
        e.text.starts_with("FROM node:18-alpine AS deps\n"),
        "{}",
        e.text
    );
    assert!(
        e.text.ends_with("CMD [\"node\", \"server.js\"]\n"),
        "{}",
        e.text
    );
    assert!(e.text.contains("RUN <<EOF\nset -eu\nEOF\n"), "{}", e.text);
    assert!(
        e.text
            .contains("    && adduser --system --uid 1001 nextjs\n")
    );
    assert!(!e.text.contains("This Dockerfile"));
}

#[test]
fn dockerfile_bash_fence_does_not_fit() {
    let r = "```bash\nFROM=1\n```\n```dockerfile\nRUN echo hi\n```\n";
    assert!(extract(OutputKind::Dockerfile, r).is_err());
    let r = "```Dockerfile\nFROM alpine:3.20\nCMD [\"true\"]\n```";
    assert_eq!(
        extract(OutputKind::Dockerfile, r).unwrap().text,
        "FROM alpine:3.20\nCMD [\"true\"]\n"
    );
    let r = "```docker\nFROM alpine:3.20\n```\n";
    assert_eq!(extract(OutputKind::Dockerfile, r).unwrap().blocks, 1);
}

#[test]
fn helm_values_and_templates() {
    let e = extract(OutputKind::Helm, fixture("helm_values")).unwrap();
    assert_eq!(e.blocks, 1);
    assert!(
        e.text.starts_with("replicaCount: 2\nimage:\n"),
        "{}",
        e.text
    );
    assert!(!e.text.contains("helm install"));

    let e = extract(OutputKind::Helm, fixture("helm_template")).unwrap();
    assert_eq!(e.blocks, 1);
    assert!(
        e.text
            .starts_with("{{- if .Values.ingress.enabled }}\napiVersion: networking.k8s.io/v1\n"),
        "{}",
        e.text
    );
    assert!(e.text.ends_with("{{- end }}\n"));
}

#[test]
fn helm_unfenced_values() {
    let r = "Here are the values:\n\nreplicaCount: 1\nservice:\n  port: 80\n\nTweak as needed.\n";
    let e = extract(OutputKind::Helm, r).unwrap();
    assert_eq!(e.text, "replicaCount: 1\nservice:\n  port: 80\n");
}

#[test]
fn report_is_whole_text_trimmed() {
    let r = "\n\n\u{1b}[1mCluster health\u{1b}[0m\n\nAll 3 nodes Ready.   \n\n";
    let e = extract(OutputKind::Report, r).unwrap();
    assert_eq!(e.text, "Cluster health\n\nAll 3 nodes Ready.\n");
    assert_eq!(e.blocks, 0);
}

#[test]
fn heredoc_delimiters() {
    assert_eq!(
        heredoc_delims("RUN <<EOF"),
        vec![("EOF".to_string(), false)]
    );
    assert_eq!(
        heredoc_delims("RUN cat <<-'END' > /x"),
        vec![("END".to_string(), true)]
    );
    assert_eq!(heredoc_delims("RUN cat <<<\"$X\""), vec![]);
    assert_eq!(
        heredoc_delims("COPY <<A <<B /d/"),
        vec![("A".to_string(), false), ("B".to_string(), false)]
    );
}
