//! The values step: generated manifests → a Helm chart (helmify-like).
//!
//! The assistant's answer stays in the response cache and the manifest it
//! yields is what the prompt's contract and the policies check. This module
//! derives the chart from those manifests, deterministically and purely:
//!
//! - every template is its manifest, byte for byte, except that the fields the
//!   prompts' typed variables set become `.Values` references: replicas, image
//!   repository and tag, `imagePullPolicy`, the container port (and the probe
//!   and Service `targetPort`s that point at it), the Service port and
//!   NodePort, resources, the Secret's name, and the ConfigMap's name and data
//!   (the backend URL);
//! - `values.yaml` holds those values, one section per workload (`todo-backend`
//!   → `backend`), in a fixed key order;
//! - `values.schema.json` types them, so helm refuses a wrongly typed `--set`
//!   or `-f` at lint, template and install.
//!
//! Rendering the templates with the default values gives back the manifests'
//! objects. A field that cannot be mapped safely stays literal: a flow-style
//! line, a second port, two different values for one key, a value its own
//! schema would refuse (`nodePort: 0`), a number helm would print as `1e+06`.
//! Text a Go template would read as an action (`{{` in a manifest's string)
//! is escaped.
//!
//! Pure: the parts that read files (the manifests on record, from the lock and the
//! cache; the pipeline's stage) are `pipeline::record` and `pipeline::derive`.

mod fields;
mod values;

use std::collections::BTreeMap;

pub use values::Values;

/// File names of the derived values files, relative to the chart.
pub const VALUES_FILE: &str = "values.yaml";
pub const SCHEMA_FILE: &str = "values.schema.json";

/// The derived chart files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Manifest path → template text (same keys as the input).
    pub templates: BTreeMap<String, String>,
    /// `values.yaml`.
    pub values: String,
    /// `values.schema.json`.
    pub schema: String,
}

/// A resource change to a workload's values (from `health --pass resources`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// Workload name as the report gives it (`todo-backend`) or its section.
    pub workload: String,
    /// `requests` or `limits`.
    pub kind: &'static str,
    /// `cpu` or `memory`.
    pub resource: &'static str,
    pub value: String,
}

/// Derive templates, values.yaml and values.schema.json from the chart's
/// manifests (path → text). `chart_name` gives the prefix stripped from
/// resource names to name sections (`todo-app` → `todo-`). `overrides` are
/// applied to values.yaml only (existing resource keys; others are ignored).
pub fn derive(
    chart_name: &str,
    manifests: &BTreeMap<String, String>,
    overrides: &[ResourceChange],
) -> Chart {
    let prefix = section_prefix(chart_name);
    let found = fields::find(&prefix, manifests);
    let mut values = found.values;
    for c in overrides {
        let section = section_name(&c.workload, &prefix);
        values.set_existing(
            &[&section, "resources", c.kind, c.resource],
            values::Scalar::Str(c.value.clone()),
        );
    }
    let templates = manifests
        .iter()
        .map(|(path, text)| {
            let params = found.params.get(path).map(Vec::as_slice).unwrap_or(&[]);
            (path.clone(), fields::apply(text, params))
        })
        .collect();
    Chart {
        templates,
        values: values.to_yaml(chart_name),
        schema: values.to_schema(chart_name),
    }
}

/// `todo-app` → `todo-`: the part of the chart's name before its first `-`.
fn section_prefix(chart_name: &str) -> String {
    match chart_name.split_once('-') {
        Some((head, _)) if !head.is_empty() => format!("{head}-"),
        _ => String::new(),
    }
}

/// A resource name as a values key: the chart prefix stripped, camelCased
/// (`todo-frontend-config` → `frontendConfig`).
pub fn section_name(name: &str, prefix: &str) -> String {
    let base = name
        .strip_prefix(prefix)
        .filter(|r| !r.is_empty())
        .unwrap_or(name);
    let mut out = String::new();
    for (i, part) in base
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if i == 0 {
            out.push_str(part);
        } else {
            let mut chars = part.chars();
            if let Some(f) = chars.next() {
                out.push(f.to_ascii_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A key usable as `.Values.a.b` (a Go template field name).
pub(crate) fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests;
