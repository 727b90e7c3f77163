//! What a prompt produces: the kinds of artifact dockhand knows, and one
//! extracted artifact on its way to validation.

use serde::{Deserialize, Serialize};

/// The kind of output a prompt declares in its front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// One or more Kubernetes manifests (multi-document YAML).
    Kubernetes,
    /// A Dockerfile.
    Dockerfile,
    /// A Helm chart file (template, values.yaml or Chart.yaml).
    Helm,
    /// A free-text report (kagent health passes).
    Report,
}

impl OutputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Kubernetes => "kubernetes",
            OutputKind::Dockerfile => "dockerfile",
            OutputKind::Helm => "helm",
            OutputKind::Report => "report",
        }
    }
}

impl std::fmt::Display for OutputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OutputKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kubernetes" | "k8s" => Ok(OutputKind::Kubernetes),
            "dockerfile" => Ok(OutputKind::Dockerfile),
            "helm" => Ok(OutputKind::Helm),
            "report" => Ok(OutputKind::Report),
            other => Err(format!(
                "unknown output kind `{other}` (expected kubernetes, dockerfile, helm or report)"
            )),
        }
    }
}
