//! `dockhand mcp` end to end: the Python MCP SDK from PyPI (installed beside the other peers
//! by scripts/install-peers.sh) as the client, and raw JSON-RPC to prove stdout carries
//! nothing but the protocol.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::harness::{Project, Test, fixture};

/// The peers' Python with the `mcp` package, or why it cannot be used.
fn python_with_mcp() -> Result<PathBuf, String> {
    let bin = std::env::var_os("DOCKHAND_PEERS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::harness::repo_root().join(".peers/bin"));
    let py = bin.join("../venv/bin/python");
    if !py.exists() {
        return Err(format!("{} is missing", py.display()));
    }
    let ok = Command::new(&py)
        .args(["-c", "import mcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Ok(py)
    } else {
        Err(format!("{} cannot import mcp", py.display()))
    }
}

/// The client: connects to `dockhand --root ROOT mcp` over stdio, runs the steps and prints
/// one JSON object with what it saw.
const CLIENT: &str = r##"
import asyncio, json, os, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError

exe, root, answer = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()

async def main():
    out = {}
    params = StdioServerParameters(command=exe, args=["--root", root, "mcp"], env=dict(os.environ))
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            init = await s.initialize()
            out["server"] = init.serverInfo.name
            tools = (await s.list_tools()).tools
            out["tools"] = [t.name for t in tools]
            out["schemas"] = {t.name: sorted(t.inputSchema.get("properties", {})) for t in tools}
            out["required"] = {t.name: t.inputSchema.get("required", []) for t in tools}
            bad = "apiVersion: v1\nkind: Service\nmetadata:\n  name: todo-backend\nspec:\n  selector:\n    app: todo-backend\n  ports:\n    - port: \"8000\"\n"
            res = await s.call_tool("validate", {"content": bad, "kind": "kubernetes", "name": "svc.yaml"})
            out["validate"] = {"isError": res.isError, "structured": res.structuredContent}
            res = await s.call_tool("prompt_render", {"reference": "backend-service", "set": {"backend_port": 9000}})
            out["render"] = res.structuredContent
            res = await s.call_tool("prompts_list", {})
            out["prompts"] = [p["id"] + "@" + p["version"] + " " + p["tool"] for p in res.structuredContent["prompts"]]
            res = await s.call_tool("extract", {"content": "Sure:\n\n```yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: todo\n```\n", "kind": "kubernetes"})
            out["extract"] = res.structuredContent
            for name, args in [("prompt_render", {"reference": "nope"}),
                               ("validate", {"path": "../outside.yaml"}),
                               ("extract", {"content": "no yaml here", "kind": "kubernetes"})]:
                try:
                    await s.call_tool(name, args)
                    out.setdefault("errors", []).append(None)
                except McpError as e:
                    out.setdefault("errors", []).append({"code": e.error.code, "message": e.error.message})
            res = await s.call_tool("generate", {"reference": "backend-service", "response": answer})
            g = res.structuredContent
            out["generate"] = {"passed": g["passed"], "backend": g["backend"], "applied": g["applied"],
                               "files": [{k: f[k] for k in ("path", "changed", "diff")} for f in g["files"]]}
            res = await s.call_tool("generate", {"reference": "backend-service", "response": answer, "apply": True})
            out["apply"] = res.structuredContent["applied"]["written"]
            res = await s.call_tool("regen_check", {"offline": True})
            out["regen_check"] = {k: res.structuredContent[k] for k in ("clean", "errors")}
            out["regen_files"] = [(f["path"], f["status"]) for f in res.structuredContent["files"]]
            # An edit by hand is drift: named, with its diff, and nothing is written.
            target = os.path.join(root, "charts/todo-app/templates/backend-service.yaml")
            with open(target, "a") as f:
                f.write("# edited\n")
            res = await s.call_tool("regen_check", {"offline": True})
            out["drift"] = [(f["path"], f["status"], f["diff"]) for f in res.structuredContent["files"]] + [res.structuredContent["clean"]]
    print(json.dumps(out, indent=1, sort_keys=True))

asyncio.run(main())
"##;

#[test]
fn a_real_mcp_client_lists_validates_renders_and_generates() {
    let py = match python_with_mcp() {
        Ok(p) => p,
        Err(why) => {
            eprintln!(
                "skipped: the Python MCP client is not installed ({why}); run scripts/install-peers.sh"
            );
            return;
        }
    };
    let p = Project::seeded();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("client.py");
    std::fs::write(&script, CLIENT).unwrap();
    let answer = fixture("answers/backend-service.md");
    let out = Command::new(py)
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_dockhand"))
        .arg(p.path())
        .arg(&answer)
        .envs(crate::harness::git_env(p.path()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "client failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let svc = std::fs::read_to_string(&answer).unwrap();
    let svc = svc
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let diff: String = std::iter::once(
        "--- /dev/null\n+++ b/charts/todo-app/templates/backend-service.yaml\n@@ -0,0 +1,14 @@\n"
            .to_owned(),
    )
    .chain(svc.lines().map(|l| format!("+{l}\n")))
    .collect();
    let want = json!({
        "server": "dockhand",
        "tools": ["validate", "extract", "prompts_list", "prompt_render", "generate", "regen_check"],
        "schemas": {
            "validate": ["content", "kind", "kube_version", "name", "path"],
            "extract": ["content", "kind"],
            "prompts_list": [],
            "prompt_render": ["reference", "set"],
            "generate": ["apply", "backend", "commit", "force", "model", "offline", "reference", "refresh", "response", "set"],
            "regen_check": ["backend", "ids", "model", "offline", "refresh"],
        },
        "required": {
            "validate": [], "extract": ["content", "kind"], "prompts_list": [],
            "prompt_render": ["reference"], "generate": ["reference"], "regen_check": [],
        },
        "validate": {
            "isError": false,
            "structured": {
                "errors": 1,
                "warnings": 0,
                "files": [{
                    "path": "svc.yaml",
                    "kind": "kubernetes",
                    "findings": [{
                        "code": "schema/type",
                        "severity": "error",
                        "message": "expected integer, found string `8000`",
                        "hint": "remove the quotes: a quoted number is a string",
                        "line": 9,
                        "column": 13,
                        "pointer": "/spec/ports/0/port",
                        "document": 0,
                    }],
                }],
            },
        },
        "render": {
            "reference": "backend-service@1.1.0",
            "text": "Create one Kubernetes Service named todo-backend, and nothing else: type ClusterIP, selecting the pods labelled app: todo-backend,\nwith one port 9000 and targetPort 9000. Write plain YAML, no Helm template syntax.\n",
        },
        "prompts": [
            "backend-deployment@1.0.0 kubectl-ai", "backend-deployment@1.1.0 kubectl-ai",
            "backend-dockerfile@1.0.0 gordon", "backend-dockerfile@1.1.0 gordon",
            "backend-service@1.0.0 kubectl-ai", "backend-service@1.1.0 kubectl-ai",
            "frontend@1.0.0 kubectl-ai", "frontend@1.1.0 kubectl-ai",
            "frontend-configmap@1.0.0 kubectl-ai", "frontend-configmap@1.1.0 kubectl-ai",
            "frontend-dockerfile@1.0.0 gordon", "frontend-dockerfile@1.1.0 gordon",
            "health-resources@1.0.0 kagent", "health-stability@1.0.0 kagent",
        ],
        "extract": {"text": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: todo\n", "blocks": 1, "credentials": []},
        "errors": [
            {"code": -32000, "message": "no prompt `nope` in the library (known: backend-deployment@1.0.0, backend-deployment@1.1.0, backend-dockerfile@1.0.0, backend-dockerfile@1.1.0, backend-service@1.0.0, backend-service@1.1.0, frontend@1.0.0, frontend@1.1.0, frontend-configmap@1.0.0, frontend-configmap@1.1.0, frontend-dockerfile@1.0.0, frontend-dockerfile@1.1.0, health-resources@1.0.0, health-stability@1.0.0)"},
            {"code": -32000, "message": format!("../outside.yaml: outside the project {} (give a path relative to its root)", p.path().display())},
            {"code": -32000, "message": "no Kubernetes manifest found in the response (expected a ```yaml block or bare YAML with top-level `apiVersion:` and `kind:`)"},
        ],
        "generate": {
            "passed": true,
            "backend": "manual",
            "applied": null,
            "files": [{"path": "charts/todo-app/templates/backend-service.yaml", "changed": true, "diff": diff}],
        },
        "apply": [
            "charts/todo-app/templates/backend-service.yaml",
            ".dockhand/cache/<key>.json",
            "dockhand.lock",
        ],
        "regen_check": {"clean": true, "errors": []},
        "regen_files": [["charts/todo-app/templates/backend-service.yaml", "up-to-date"]],
        "drift": [
            ["charts/todo-app/templates/backend-service.yaml", "drift",
             "--- a/charts/todo-app/templates/backend-service.yaml\n+++ b/charts/todo-app/templates/backend-service.yaml\n@@ -12,4 +12,3 @@\n     - port: 8000\n       targetPort: 8000\n       protocol: TCP\n-# edited\n"],
            false,
        ],
    });
    // The cache entry's name is a hash: compare its folder.
    let mut got = got;
    if let Some(w) = got["apply"].as_array_mut() {
        for v in w.iter_mut() {
            if let Some(s) = v.as_str()
                && s.starts_with(".dockhand/cache/")
            {
                *v = json!(".dockhand/cache/<key>.json");
            }
        }
    }
    assert!(
        got == want,
        "got:\n{}\nwant:\n{}",
        serde_json::to_string_pretty(&got).unwrap(),
        serde_json::to_string_pretty(&want).unwrap()
    );
    // Written and committed, as `dockhand generate` would; the edit made afterwards stays.
    assert_eq!(
        p.read("charts/todo-app/templates/backend-service.yaml"),
        format!("{svc}# edited\n")
    );
    assert_eq!(
        p.git(&["status", "--porcelain"]),
        " M charts/todo-app/templates/backend-service.yaml\n"
    );
}

/// Raw JSON-RPC over the server's stdin/stdout: every line it prints is a protocol message.
fn converse(p: &Project, messages: &[Value]) -> (Vec<Value>, String, i32) {
    let mut cmd = Test::new()
        .args(["--root", &p.path().to_string_lossy(), "mcp"])
        .command();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for m in messages {
            writeln!(stdin, "{m}").unwrap();
        }
    }
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap().code().unwrap_or(-1);
    let lines = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("not a JSON-RPC line on stdout ({e}): {l:?}"))
        })
        .collect();
    (lines, stderr, status)
}

#[test]
fn stdout_carries_only_the_protocol_and_errors_carry_dockhands_message() {
    let p = Project::seeded();
    // A tool that would print (validate of a path with findings) and a failing one.
    p.write(
        "docker/bad/Dockerfile",
        "FROM python\nRUN pip install flask\n",
    );
    let (lines, stderr, status) = converse(
        &p,
        &[
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"}}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "validate", "arguments": {"path": "docker/bad/Dockerfile"}}}),
            json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
                "name": "validate", "arguments": {"content": "FROM x\n", "kind": "helm"}}}),
            json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
                "name": "generate", "arguments": {"reference": "backend-service", "backend": "nope"}}}),
        ],
    );
    assert_eq!((stderr.as_str(), status), ("", 0));
    // Calls are answered concurrently: order the answers by id.
    let mut lines = lines;
    lines.sort_by_key(|l| l["id"].as_i64());
    let ids: Vec<i64> = lines.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(lines[0]["result"]["serverInfo"]["name"], "dockhand");
    let report = &lines[1]["result"]["structuredContent"];
    let codes: Vec<&str> = report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        (report["files"][0]["path"].as_str(), codes),
        (
            Some("docker/bad/Dockerfile"),
            vec!["DH001", "DL3006", "DL3042"]
        )
    );
    assert_eq!(
        lines[2]["error"],
        json!({"code": -32602, "message": "`kind` must be `kubernetes` or `dockerfile`, not `helm` (check a Helm chart by its path)"})
    );
    assert_eq!(
        lines[3]["error"],
        json!({"code": -32602, "message": "invalid value 'nope' for '--backend <BACKEND>'"})
    );
    assert!(!p.exists("charts/todo-app/templates/backend-service.yaml"));
}

#[test]
fn generate_with_apply_refuses_a_target_with_uncommitted_edits() {
    let p = Project::seeded();
    let answer = fixture("answers/backend-service.md");
    p.dockhand()
        .args(["generate", "backend-service", "--response-file"])
        .arg(answer.to_string_lossy())
        .run();
    let target = "charts/todo-app/templates/backend-service.yaml";
    let edited = p.read(target).replace("protocol: TCP", "protocol: UDP");
    p.write(target, &edited);
    let changed = std::fs::read_to_string(&answer)
        .unwrap()
        .replace("protocol: TCP", "protocol: TCP\n      name: http");
    let call = |id: i64, apply: bool| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
            "name": "generate",
            "arguments": {"reference": "backend-service", "response": changed, "apply": apply}}})
    };
    let (mut lines, stderr, status) = converse(
        &p,
        &[
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"}}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            call(2, false),
            call(3, true),
        ],
    );
    lines.sort_by_key(|l| l["id"].as_i64());
    assert_eq!((stderr.as_str(), status), ("", 0));
    // Staged only: the diff against the file on disk (with the user's edit), nothing written.
    let staged = &lines[1]["result"]["structuredContent"];
    assert_eq!(
        (
            &staged["passed"],
            &staged["applied"],
            &staged["files"][0]["changed"]
        ),
        (&json!(true), &Value::Null, &json!(true))
    );
    assert_eq!(
        lines[2]["error"],
        json!({"code": -32000, "message": format!("{target}: has uncommitted changes; commit or stash them, or pass --force to overwrite")})
    );
    assert_eq!(p.read(target), edited);
}
