//! Agreement with the peers on real files from public repositories
//! (`../shared/realworld`, read where they lie), on a sample: every 4th
//! manifest and every 3rd Dockerfile. `scripts/agreement` runs the whole
//! corpus; VALIDATION.md lists and judges every disagreement, and the judged
//! ones are the only disagreements allowed here.
//!
//! Skipped, saying so, when ../shared/realworld or the peers are absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Test, repo_root};

fn realworld() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/realworld");
    dir.is_dir().then(|| dir.canonicalize().unwrap())
}

fn peer(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DOCKHAND_PEERS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".peers/bin"));
    let p = dir.join(name);
    p.exists().then_some(p)
}

/// The inputs, or why the test is skipped (printed, so the run shows it).
#[allow(clippy::print_stderr)]
fn inputs(peer_name: &str) -> Option<(PathBuf, PathBuf)> {
    let Some(rw) = realworld() else {
        eprintln!("SKIPPED: ../shared/realworld is absent (real-world agreement not checked)");
        return None;
    };
    let Some(p) = peer(peer_name) else {
        eprintln!("SKIPPED: {peer_name} is absent (run scripts/install-peers.sh)");
        return None;
    };
    Some((rw, p))
}

fn files(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// dockhand's JSON report for `paths`, run outside any dockhand project.
fn dockhand_json(paths: &[PathBuf]) -> serde_json::Value {
    let outside = tempfile::tempdir().unwrap();
    let out = Test::new()
        .current_dir(outside.path())
        .args(["validate", "--format", "json"])
        .args(paths.iter().map(|p| p.to_string_lossy().into_owned()))
        .status(-999)
        .command()
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Manifests where dockhand and kubernetes-validate give different verdicts,
/// each judged in VALIDATION.md (path under ../shared/realworld).
const JUDGED_MANIFESTS: &[&str] = &[
    "manifests/kubernetes+examples/_archived/cockroachdb/cockroachdb-statefulset.yaml",
    "manifests/kubernetes+examples/_archived/newrelic-infrastructure/newrelic-infra-daemonset.yaml",
    "manifests/kubernetes+examples/_archived/openshift-origin/etcd-controller.yaml",
    "manifests/kubernetes+examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
    "manifests/kubernetes+examples/_archived/openshift-origin/openshift-controller.yaml",
    "manifests/kubernetes+examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
    "manifests/kubernetes+examples/_archived/podsecuritypolicy/rbac/policies.yaml",
    "manifests/kubernetes+examples/_archived/scheduler-policy/scheduler-policy-config-with-extender.json",
    "manifests/kubernetes+examples/_archived/sysdig-cloud/sysdig-daemonset.yaml",
    "manifests/kubernetes+examples/_archived/sysdig-cloud/sysdig-rc.yaml",
    "manifests/kubernetes+examples/_archived/volumes/azure_disk/claim/blob-based-disk/account-specified-hdd/storageclass-account-hdd.yaml",
    "manifests/kubernetes+examples/_archived/volumes/azure_disk/claim/blob-based-disk/dedicated-hdd/storageclass-dedicated-hdd.yaml",
    "manifests/kubernetes+examples/_archived/volumes/azure_disk/claim/blob-based-disk/shared-hdd/storageclass-shared-hdd.yaml",
    "manifests/kubernetes+examples/_archived/volumes/azure_disk/claim/blob-based-disk/shared-ssd/storageclass-shared-ssd.yaml",
    "manifests/kubernetes+examples/_archived/volumes/azure_disk/claim/managed-disk/managed-hdd/storageclass-managed-hdd.yaml",
    "manifests/kubernetes+examples/_archived/volumes/azure_disk/claim/managed-disk/managed-ssd/storageclass-managed-ssd.yaml",
    "manifests/kubernetes+examples/_archived/volumes/flexvolume/deploy/ds.yaml",
    "manifests/kubernetes+examples/_archived/volumes/scaleio/sc-pvc.yaml",
    "manifests/kubernetes+examples/_archived/volumes/scaleio/secret.yaml",
];

#[test]
fn manifest_verdicts_agree_with_kubernetes_validate_on_real_files() {
    let Some((rw, kv)) = inputs("kubernetes-validate") else {
        return;
    };
    let all = files(&rw.join("manifests"), |p| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
    });
    let sample: Vec<PathBuf> = all.iter().step_by(4).cloned().collect();
    assert!(sample.len() >= 50, "{} files", sample.len());
    let report = dockhand_json(&sample);
    // kubernetes-validate stops at the first file it cannot parse as YAML
    // (that file fails); it is run again on the files after it.
    let mut text = String::new();
    let mut unparsable = BTreeSet::new();
    let mut todo: &[PathBuf] = &sample;
    while !todo.is_empty() {
        let out = Command::new(&kv)
            .args(["--strict", "-k", "1.33.0"])
            .args(todo)
            .output()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let broken = stderr.lines().find_map(|l| {
            let rest = l.strip_prefix("Couldn't parse YAML from file ")?;
            todo.iter()
                .position(|p| rest.starts_with(&format!("{}:", p.display())))
        });
        match broken {
            Some(i) => {
                unparsable.insert(todo[i].clone());
                todo = &todo[i + 1..];
            }
            None => break,
        }
    }
    let mut disagree = BTreeSet::new();
    for p in &sample {
        let ours_valid = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| Path::new(f["path"].as_str().unwrap()) == p)
            .all(|f| {
                f["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|d| d["severity"] != "error")
            });
        let prefix = format!("ERROR {}", p.display());
        let theirs_valid =
            !unparsable.contains(p) && !text.lines().any(|l| l.starts_with(&format!("{prefix} ")));
        if ours_valid != theirs_valid {
            disagree.insert(p.strip_prefix(&rw).unwrap().to_string_lossy().into_owned());
        }
    }
    let judged: BTreeSet<String> = JUDGED_MANIFESTS
        .iter()
        .filter(|j| sample.iter().any(|p| p.ends_with(j)))
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        disagree, judged,
        "verdicts differ beyond VALIDATION.md's judged list"
    );
}

/// The rules both tools implement.
const SHARED: &[&str] = &[
    "DL3000", "DL3002", "DL3006", "DL3007", "DL3009", "DL3015", "DL3020", "DL3022", "DL3025",
    "DL3042",
];

/// (path under ../shared/realworld, line, rule, who fires) judged in VALIDATION.md.
const JUDGED_DOCKERFILES: &[(&str, u64, &str, &str)] = &[
    (
        "dockerfiles/docker+awesome-compose/nginx-flask-mongo/flask/Dockerfile",
        26,
        "DL3022",
        "hadolint",
    ),
    (
        "dockerfiles/docker+awesome-compose/nginx-flask-mysql/backend/Dockerfile",
        33,
        "DL3022",
        "hadolint",
    ),
    (
        "dockerfiles/docker+awesome-compose/nginx-golang/backend/Dockerfile",
        35,
        "DL3022",
        "hadolint",
    ),
    (
        "dockerfiles/docker+awesome-compose/nginx-golang-mysql/backend/Dockerfile",
        35,
        "DL3022",
        "hadolint",
    ),
    (
        "dockerfiles/docker+awesome-compose/nginx-golang-postgres/backend/Dockerfile",
        35,
        "DL3022",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.10/slim-trixie/Dockerfile",
        18,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.10/trixie/Dockerfile",
        18,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.11/slim-trixie/Dockerfile",
        18,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.11/trixie/Dockerfile",
        18,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.12/slim-trixie/Dockerfile",
        18,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.12/trixie/Dockerfile",
        18,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.13/slim-trixie/Dockerfile",
        13,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.13/trixie/Dockerfile",
        13,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.14/slim-trixie/Dockerfile",
        13,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.14/trixie/Dockerfile",
        13,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.15-rc/slim-trixie/Dockerfile",
        13,
        "DL3009",
        "hadolint",
    ),
    (
        "dockerfiles/docker-library+python/3.15-rc/trixie/Dockerfile",
        13,
        "DL3009",
        "hadolint",
    ),
];

#[test]
fn dockerfile_rules_agree_with_hadolint_on_real_files() {
    let Some((rw, hadolint)) = inputs("hadolint") else {
        return;
    };
    let all = files(&rw.join("dockerfiles"), |p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("Dockerfile"))
    });
    let sample: Vec<PathBuf> = all.iter().step_by(3).cloned().collect();
    assert!(sample.len() >= 25, "{} files", sample.len());
    let out = Command::new(&hadolint)
        .args(["--format", "json", "--no-fail"])
        .args(&sample)
        .output()
        .unwrap();
    let theirs_all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unparsed: BTreeSet<String> = theirs_all
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "DL1000")
        .map(|d| d["file"].as_str().unwrap().to_owned())
        .collect();
    let key = |file: &str, line: u64, code: &str| {
        let rel = Path::new(file)
            .strip_prefix(&rw)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        (rel, line, code.to_owned())
    };
    let theirs: BTreeSet<(String, u64, String)> = theirs_all
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| SHARED.contains(&d["code"].as_str().unwrap()))
        .map(|d| {
            key(
                d["file"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
            )
        })
        .collect();
    let report = dockhand_json(&sample);
    let ours: BTreeSet<(String, u64, String)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !unparsed.contains(f["path"].as_str().unwrap()))
        .flat_map(|f| {
            let path = f["path"].as_str().unwrap().to_owned();
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| SHARED.contains(&d["code"].as_str().unwrap()))
                .map(move |d| {
                    (
                        path.clone(),
                        d["line"].as_u64().unwrap(),
                        d["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .map(|(p, l, c)| key(&p, l, &c))
        .collect();
    let mut disagree: BTreeSet<(String, u64, String, String)> = BTreeSet::new();
    for (p, l, c) in ours.difference(&theirs) {
        disagree.insert((p.clone(), *l, c.clone(), "dockhand".into()));
    }
    for (p, l, c) in theirs.difference(&ours) {
        disagree.insert((p.clone(), *l, c.clone(), "hadolint".into()));
    }
    let judged: BTreeSet<(String, u64, String, String)> = JUDGED_DOCKERFILES
        .iter()
        .filter(|(p, ..)| sample.iter().any(|s| s.ends_with(p)))
        .map(|(p, l, c, w)| (p.to_string(), *l, c.to_string(), w.to_string()))
        .collect();
    assert_eq!(
        disagree, judged,
        "findings differ beyond VALIDATION.md's judged list"
    );
    assert!(ours.len() >= 5, "too few findings to compare: {ours:?}");
}
