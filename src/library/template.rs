//! One prompt file: TOML front matter between `+++` lines, then a minijinja body.
//!
//! ```text
//! +++
//! id = "backend-deployment"
//! version = "1.0.0"
//! tool = "kubectl-ai"
//! output = "kubernetes"
//! targets = ["charts/todo-app/templates/backend-deployment.yaml"]
//! policies = ["image-pull-never", "resources"]
//!
//! [vars.image]
//! type = "string"
//! required = true
//! description = "Backend image"
//! +++
//! Create a Kubernetes Deployment for {{ name }} ...
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::artifact::OutputKind;
use crate::error::Error;
use crate::settings::line_of;
use crate::validate::contract::ContractSource;
use crate::validate::dockerfile::Expectations;

/// The assistant a prompt is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tool {
    #[serde(rename = "gordon")]
    Gordon,
    #[serde(rename = "kubectl-ai")]
    KubectlAi,
    #[serde(rename = "kagent")]
    Kagent,
}

impl Tool {
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Gordon => "gordon",
            Tool::KubectlAi => "kubectl-ai",
            Tool::Kagent => "kagent",
        }
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::var_type::VarType;

#[derive(Debug, Clone, Serialize)]
pub struct VarSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: VarType,
    pub default: Option<serde_json::Value>,
    pub required: bool,
    pub description: String,
    /// Line of the declaration in the prompt file.
    #[serde(skip)]
    pub line: usize,
}

/// Where an artifact goes. With several targets, `kinds` says which Kubernetes
/// kinds land in which file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub id: String,
    pub version: semver::Version,
    pub tool: Tool,
    pub output: OutputKind,
    pub description: String,
    pub targets: Vec<Target>,
    pub vars: Vec<VarSpec>,
    pub policies: Vec<String>,
    /// What the artifact must be (`[contract]`), before its variables are filled.
    /// A 1.0 prompt's `[expect]` (Dockerfile stages, base images, ports) is read
    /// as a contract too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractSource>,
    /// kagent only: the agent to invoke.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Path relative to the project root.
    pub path: PathBuf,
    #[serde(skip)]
    pub body: String,
    /// Line of the file on which the body starts.
    #[serde(skip)]
    pub body_line: usize,
    /// `sha256:` of the whole file: front matter and body.
    pub content_hash: String,
}

impl Template {
    /// `id@version`.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    pub fn var(&self, name: &str) -> Option<&VarSpec> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// The line of the `[vars]` section (for errors about variables not declared there).
    pub fn vars_line(&self) -> usize {
        self.vars
            .first()
            .map(|v| v.line.saturating_sub(1).max(1))
            .unwrap_or(1)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    version: String,
    tool: Tool,
    output: OutputKind,
    #[serde(default)]
    description: String,
    targets: Vec<TargetSpec>,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    vars: BTreeMap<String, toml::Spanned<VarFile>>,
    #[serde(default)]
    expect: Option<Expectations>,
    #[serde(default)]
    contract: Option<toml::Spanned<toml::Value>>,
    #[serde(default)]
    agent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TargetSpec {
    Path(String),
    Table {
        path: String,
        #[serde(default)]
        kinds: Vec<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VarFile {
    #[serde(rename = "type")]
    ty: VarType,
    default: Option<toml::Value>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    description: String,
}

/// Parse one prompt file. `rel` is the path shown in errors and recorded in the lock.
pub fn parse(rel: &Path, text: &str) -> Result<Template, Error> {
    let err = |line: usize, message: String| Error::Prompt {
        path: rel.to_owned(),
        line,
        message,
    };
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        return Err(err(
            1,
            "a prompt starts with `+++`, then TOML front matter, then `+++`".into(),
        ));
    }
    let fm_start = first.len();
    let mut offset = fm_start;
    let mut fm_end = None;
    for l in lines {
        if l.trim_end() == "+++" {
            fm_end = Some((offset, offset + l.len()));
            break;
        }
        offset += l.len();
    }
    let Some((fm_end, body_start)) = fm_end else {
        return Err(err(
            1,
            "the front matter is not closed by a `+++` line".into(),
        ));
    };
    let fm_text = &text[fm_start..fm_end];
    let fm: FrontMatter = toml::from_str(fm_text).map_err(|e| {
        let line = e.span().map(|s| line_of(fm_text, s.start) + 1).unwrap_or(1);
        err(line, e.message().to_owned())
    })?;
    let id_line = fm_text
        .find("id")
        .map(|o| line_of(fm_text, o) + 1)
        .unwrap_or(2);
    if fm.id.is_empty()
        || !fm
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(err(
            id_line,
            format!(
                "id `{}` must be non-empty and use only letters, digits, `-`, `_`, `.`",
                fm.id
            ),
        ));
    }
    let version = semver::Version::parse(&fm.version).map_err(|e| {
        let line = fm_text
            .find("version")
            .map(|o| line_of(fm_text, o) + 1)
            .unwrap_or(1);
        err(line, format!("version `{}` is not semver: {e}", fm.version))
    })?;
    if fm.targets.is_empty() {
        return Err(err(id_line, "a prompt needs at least one target".into()));
    }
    let mut vars = Vec::new();
    for (name, spec) in fm.vars {
        let line = line_of(fm_text, spec.span().start) + 1;
        let spec = spec.into_inner();
        let default = match spec.default {
            None => None,
            Some(v) => Some(crate::var_type::coerce_toml(&v, spec.ty).map_err(|found| {
                err(
                    line,
                    format!(
                        "default of `{name}` is {found}, but the variable is declared {}",
                        spec.ty
                    ),
                )
            })?),
        };
        vars.push(VarSpec {
            name,
            ty: spec.ty,
            default,
            required: spec.required,
            description: spec.description,
            line,
        });
    }
    vars.sort_by_key(|v| v.line);
    let body = text[body_start..].to_owned();
    let contract = match (fm.contract, fm.expect) {
        (Some(_), Some(_)) => {
            let line = fm_text
                .find("[expect]")
                .map(|o| line_of(fm_text, o) + 1)
                .unwrap_or(1);
            return Err(err(
                line,
                "`[expect]` is the 1.0 form of `[contract.dockerfile]`; use one of them".into(),
            ));
        }
        (Some(c), None) => {
            let line = line_of(fm_text, c.span().start) + 1;
            let value = serde_json::to_value(c.into_inner())
                .map_err(|e| err(line, format!("contract: {e}")))?;
            Some(ContractSource { value, line })
        }
        (None, Some(e)) => Some(ContractSource {
            value: serde_json::json!({ "dockerfile": e }),
            line: 1,
        }),
        (None, None) => None,
    };
    Ok(Template {
        id: fm.id,
        version,
        tool: fm.tool,
        output: fm.output,
        description: fm.description,
        targets: fm
            .targets
            .into_iter()
            .map(|t| match t {
                TargetSpec::Path(path) => Target {
                    path,
                    kinds: Vec::new(),
                },
                TargetSpec::Table { path, kinds } => Target { path, kinds },
            })
            .collect(),
        vars,
        policies: fm.policies,
        contract,
        agent: fm.agent,
        path: rel.to_owned(),
        body,
        body_line: line_of(text, body_start),
        content_hash: crate::hash::tagged(text.as_bytes()),
    })
}
