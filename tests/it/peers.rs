//! Cross-checks against the tools people trust, run in the same test run.
//! The peers are installed by scripts/install-peers.sh into .peers/bin, which
//! `scripts/test` exports as DOCKHAND_PEERS_BIN. A check dockhand has and the
//! peer lacks is fine; a disagreement on the same rule is a bug.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Test, fixture};

fn peer(name: &str) -> PathBuf {
    let dir = std::env::var_os("DOCKHAND_PEERS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::harness::repo_root().join(".peers/bin"));
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/install-peers.sh (scripts/test does)",
        p.display()
    );
    p
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// The rule codes both tools implement.
const SHARED_DOCKERFILE_RULES: &[&str] = &[
    "DL3000", "DL3002", "DL3006", "DL3007", "DL3009", "DL3015", "DL3020", "DL3022", "DL3025",
    "DL3042",
];

fn dockhand_codes(path: &Path) -> BTreeSet<(String, u64)> {
    let out = Test::new()
        .args(["validate", "--format", "json"])
        .arg(path.to_string_lossy())
        .status(-999)
        .command()
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    code_lines(&v["files"][0]["findings"])
}

/// (code, line) of each finding in a JSON array of findings (dockhand's or hadolint's).
fn code_lines(findings: &serde_json::Value) -> BTreeSet<(String, u64)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn dockerfile_rules_agree_with_hadolint() {
    let hadolint = peer("hadolint");
    let mut compared = 0;
    for dir in ["dockerfiles/good", "dockerfiles/bad"] {
        for f in files(&fixture(dir)) {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            // hadolint 2.15 mis-parses a heredoc followed directly by the next instruction.
            if name.contains("hadolint-misparse") {
                continue;
            }
            let out = Command::new(&hadolint)
                .args(["--format", "json", "--no-fail"])
                .arg(&f)
                .output()
                .unwrap();
            let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let theirs: BTreeSet<(String, u64)> = code_lines(&theirs)
                .into_iter()
                .filter(|(c, _)| SHARED_DOCKERFILE_RULES.contains(&c.as_str()))
                .collect();
            let ours: BTreeSet<(String, u64)> = dockhand_codes(&f)
                .into_iter()
                .filter(|(c, _)| SHARED_DOCKERFILE_RULES.contains(&c.as_str()))
                .collect();
            assert_eq!(ours, theirs, "{name}: dockhand vs hadolint on shared rules");
            compared += 1;
        }
    }
    assert!(compared >= 20, "compared {compared} files");
}

#[test]
fn manifest_verdicts_agree_with_kubernetes_validate() {
    let kv = peer("kubernetes-validate");
    let mut compared = 0;
    for dir in ["manifests/good", "manifests/bad"] {
        for f in files(&fixture(dir)) {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            // Known peer limit: its YAML reader keeps the last of duplicate keys silently.
            if name.starts_with("duplicate-key") {
                continue;
            }
            let peer_ok = Command::new(&kv)
                .args(["--strict", "--kubernetes-version", "1.33.0"])
                .arg(&f)
                .output()
                .unwrap()
                .status
                .success();
            let ours = Test::new()
                .args(["validate"])
                .arg(f.to_string_lossy())
                .status(-999)
                .command()
                .output()
                .unwrap();
            let ours_ok = ours.status.code() == Some(0);
            let crd = name.starts_with("custom-resource");
            if !crd {
                assert_eq!(
                    ours_ok, peer_ok,
                    "{name}: dockhand {} vs kubernetes-validate {}",
                    ours_ok, peer_ok
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 8);
}
