//! A prompt's contract: what its artifact must be, declared in the prompt's
//! front matter under `[contract]` and filled from the same typed variables
//! as the prompt text. The check refuses an answer that does not keep it
//! (codes `contract/…`, errors, sent back for repair like any finding).
//!
//! ```toml
//! [[contract.resources]]
//! kind = "Deployment"
//! name = "{{ backend_name }}"
//! replicas = "{{ backend_replicas }}"       # a lone `{{ var }}` keeps the variable's type
//! pod_labels = { app = "{{ backend_name }}" }
//!
//! [[contract.resources.containers]]
//! image = "{{ backend_image }}"
//! pull_policy = "Never"
//! ports = ["{{ backend_port }}"]
//! requests = { cpu = "{{ backend_requests_cpu }}", memory = "{{ backend_requests_memory }}" }
//! secret_env = { secret = "{{ backend_secret }}", keys = "{{ backend_secret_keys }}" }
//! probes = true
//!
//! [contract.dockerfile]
//! stages = ["builder", "runtime"]
//! base_images = ["{{ python_image }}"]
//! expose = ["{{ backend_port }}"]
//! ```
//!
//! Codes: `contract/kind` (a resource of a kind the prompt does not produce),
//! `contract/missing`, `contract/extra`, `contract/name`, `contract/value`
//! (a requested value absent or different), and for Dockerfiles
//! `contract/stages`, `contract/base-image`, `contract/expose`,
//! `contract/nextjs-standalone`. Helm syntax: `helm/in-plain-manifest`,
//! `helm/lookup` (see [`helm`]).

pub mod dockerfile;
pub mod helm;
pub mod manifest;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a Kubernetes or Dockerfile answer must hold, with every variable filled.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// The Kubernetes resources produced: exactly these, no more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileContract>,
}

/// One Kubernetes resource the prompt produces, and the values it asks for.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub kind: String,
    pub name: String,
    /// Workloads: `spec.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Workloads: labels the pod template must carry.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    /// Workloads: the containers, matched by name (or by position without one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<Container>,
    /// Services: `spec.type` (absent means ClusterIP).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Services: `spec.selector`, exactly.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub selector: BTreeMap<String, String>,
    /// Services: exactly these ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
    /// ConfigMaps: exactly these keys, with these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Container {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    /// Exactly these `containerPort`s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Quantities>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Quantities>,
    /// Each key of the Secret as an env var of the same name, through `secretKeyRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<SecretEnv>,
    /// Env vars read from a ConfigMap through `configMapKeyRef`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_env: Vec<ConfigEnv>,
    /// A readiness and a liveness probe.
    #[serde(default)]
    pub probes: bool,
    /// `runAsNonRoot: true` in the pod's or the container's securityContext.
    #[serde(default)]
    pub run_as_non_root: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Quantities {
    pub cpu: String,
    pub memory: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecretEnv {
    pub secret: String,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigEnv {
    pub name: String,
    pub config_map: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePort {
    pub port: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<i64>,
}

/// What a Dockerfile must be: its stages, base images, exposed ports.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DockerfileContract {
    /// Stage names, in order (compared case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<String>>,
    /// Allowed base images; an entry without a tag allows any tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_images: Option<Vec<String>>,
    /// Exactly the ports the final stage exposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expose: Option<Vec<u16>>,
    /// The final stage copies `.next/standalone` and `.next/static` from a build stage.
    #[serde(default)]
    pub nextjs_standalone: bool,
}

/// A contract as declared, before its variables are filled: JSON with
/// `{{ … }}` strings, and the line of `[contract]` in the prompt file.
/// Serialized as the declaration alone (`prompts list --format json`).
#[derive(Debug, Clone, PartialEq)]
pub struct ContractSource {
    pub value: Value,
    pub line: usize,
}

impl Serialize for ContractSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// The name in a string that is exactly one `{{ name }}`.
fn lone_variable(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    (!inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(inner)
}

/// Every string of the declaration that holds a template.
pub fn templates(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.contains("{{") || s.contains("{%") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| templates(i, out)),
        Value::Object(m) => m.values().for_each(|i| templates(i, out)),
        _ => {}
    }
}

/// Fill the declaration: a string that is one `{{ var }}` becomes the
/// variable's typed value (an integer stays an integer, a list a list), any
/// other template is rendered as text by `render`.
pub fn fill_value(
    v: &Value,
    values: &BTreeMap<String, Value>,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => match lone_variable(s) {
            Some(name) => values
                .get(name)
                .cloned()
                .ok_or_else(|| format!("undefined variable `{name}`"))?,
            None if s.contains("{{") || s.contains("{%") => Value::String(render(s)?),
            None => v.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| fill_value(i, values, render))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, i)| Ok((k.clone(), fill_value(i, values, render)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// The typed contract from a filled declaration.
pub fn from_value(v: Value) -> Result<Contract, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Check the declaration's shape before any value is known: every lone
/// `{{ var }}` is replaced by a sample of the variable's type.
pub fn check_shape(
    source: &ContractSource,
    sample: &dyn Fn(&str) -> Option<Value>,
) -> Result<(), String> {
    fn walk(v: &Value, sample: &dyn Fn(&str) -> Option<Value>) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) => match lone_variable(s) {
                Some(name) => {
                    sample(name).ok_or_else(|| format!("undeclared variable `{name}`"))?
                }
                None => v.clone(),
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| walk(i, sample))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, i)| Ok((k.clone(), walk(i, sample)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
    from_value(walk(&source.value, sample)?).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lone_variables_keep_their_type() {
        let values: BTreeMap<String, Value> = [
            ("n".to_owned(), json!(2)),
            ("keys".to_owned(), json!(["A", "B"])),
            ("name".to_owned(), json!("x")),
        ]
        .into();
        let declared = json!({"resources": [{"kind": "Deployment", "name": "{{ name }}-api",
            "replicas": "{{ n }}",
            "containers": [{"secret_env": {"secret": "s", "keys": "{{keys}}"}}]}]});
        let render = |s: &str| Ok(s.replace("{{ name }}", "x"));
        let filled = fill_value(&declared, &values, &render).unwrap();
        let c = from_value(filled).unwrap();
        assert_eq!(c.resources[0].name, "x-api");
        assert_eq!(c.resources[0].replicas, Some(2));
        assert_eq!(
            c.resources[0].containers[0]
                .secret_env
                .as_ref()
                .unwrap()
                .keys,
            ["A", "B"]
        );
        // A string where an integer belongs is refused.
        let wrong = json!({"resources": [{"kind": "D", "name": "n", "replicas": "{{ name }}"}]});
        let err = from_value(fill_value(&wrong, &values, &render).unwrap()).unwrap_err();
        assert!(
            err.contains("invalid type: string \"x\", expected i64"),
            "{err}"
        );
        let unknown = json!({"resources": [{"kind": "D", "name": "n", "replica": 1}]});
        assert!(
            from_value(unknown)
                .unwrap_err()
                .contains("unknown field `replica`")
        );
    }
}
