//! `helm template` under the runner's timeout and output limit (real helm from the peers).

use std::time::{Duration, Instant};

use super::*;
use crate::harness::Test;

// ---------------------------------------------------------------------------------------------
// helm
// ---------------------------------------------------------------------------------------------

/// The peers' `bin` folder holding helm, or None (the test then says it was skipped).
#[allow(clippy::print_stderr)]
fn helm_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("DOCKHAND_PEERS_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::harness::repo_root().join(".peers/bin"));
    if dir.join("helm").exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: helm is not in {} (run scripts/install-peers.sh)",
            dir.display()
        );
        None
    }
}

/// A chart whose one template is `template` (with a 2 s helm timeout).
fn looping_chart(template: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("templates")).unwrap();
    std::fs::write(
        d.path().join("Chart.yaml"),
        "apiVersion: v2\nname: loop\ndescription: loops\ntype: application\nversion: 0.1.0\nappVersion: \"1.0.0\"\n",
    )
    .unwrap();
    std::fs::write(d.path().join("values.yaml"), "a: 1\n").unwrap();
    std::fs::write(d.path().join("templates/cm.yaml"), template).unwrap();
    std::fs::write(
        d.path().join("dockhand.toml"),
        "[limits]\nhelm_timeout_secs = 2\n",
    )
    .unwrap();
    d
}

#[test]
fn helm_on_a_looping_chart_is_stopped_at_the_timeout() {
    let Some(bin) = helm_dir() else { return };
    let chart = looping_chart(
        "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let started = Instant::now();
    let out = Test::new()
        .current_dir(chart.path())
        .path_prefix(&bin)
        .args(["validate", "."])
        .status(1)
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let helm = bin.join("helm").to_string_lossy().into_owned();
    assert_eq!(
        whole(&out, &[(&helm, "[HELM]")]),
        "exit 1\n--- stdout\n\
         ./Chart.yaml:1:1: error[chart/render]: helm template failed: `[HELM] template loop . --kube-version 1.33 --debug` did not finish within 2 s; it was killed together with its process group (raise [limits] helm_timeout_secs in dockhand.toml to allow longer)\n  \
         |\n\
         1 | apiVersion: v2\n  \
         | ^\n  \
         hint: fix the template or values helm points at\n\
         3 files checked: 1 error, 0 warnings\n\
         --- stderr\n"
    );
}

/// helm renders the whole chart before it prints anything: a chart that would print
/// without end is stopped by the timeout (above); one that prints 3 MB, by the limit.
#[test]
fn helm_printing_more_than_the_limit_is_stopped() {
    let Some(bin) = helm_dir() else { return };
    let chart = looping_chart(
        "{{- range until 50000 }}\n# {{ . }} padding padding padding padding padding padding\n{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let out = Test::new()
        .current_dir(chart.path())
        .path_prefix(&bin)
        .args(["validate", "."])
        .status(1)
        .run();
    let helm = bin.join("helm").to_string_lossy().into_owned();
    assert_eq!(
        whole(&out, &[(&helm, "[HELM]")]),
        "exit 1\n--- stdout\n\
         ./Chart.yaml:1:1: error[chart/render]: helm template failed: `[HELM] template loop . --kube-version 1.33 --debug` wrote more than 1 MiB to stdout; it was stopped and its answer discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)\n  \
         |\n\
         1 | apiVersion: v2\n  \
         | ^\n  \
         hint: fix the template or values helm points at\n\
         3 files checked: 1 error, 0 warnings\n\
         --- stderr\n"
    );
}
