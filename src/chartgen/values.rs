//! The values tree: what `values.yaml` holds, in a fixed key order, and the
//! JSON schema that types it.

use serde_json::{Map, Value as J, json};

/// A leaf of values.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Leaf(Scalar),
    Map(Vec<(String, Node)>),
}

/// The values of a chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    root: Vec<(String, Node)>,
}

/// Known keys first, in this order; others after them, alphabetically.
const ORDER: &[&str] = &[
    "replicas",
    "image",
    "repository",
    "tag",
    "pullPolicy",
    "containerPort",
    "service",
    "port",
    "nodePort",
    "resources",
    "requests",
    "limits",
    "cpu",
    "memory",
    "secret",
    "configMap",
    "name",
    "data",
];

fn rank(key: &str) -> (usize, &str) {
    (
        ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len()),
        key,
    )
}

/// Where a key path stands in the tree.
pub enum Slot<'a> {
    Free,
    Same,
    Taken(&'a str),
}

impl Values {
    /// Whether `path` can take `value`: free, already that value, or taken
    /// (by another value, or because a map/leaf is in the way).
    pub fn slot(&self, path: &[String], value: &Scalar) -> Slot<'_> {
        let mut level = &self.root;
        for (i, key) in path.iter().enumerate() {
            let Some((_, node)) = level.iter().find(|(k, _)| k == key) else {
                return Slot::Free;
            };
            match (node, i + 1 == path.len()) {
                (Node::Leaf(v), true) if v == value => return Slot::Same,
                (Node::Leaf(_), _) => return Slot::Taken("another value"),
                (Node::Map(_), true) => return Slot::Taken("a map"),
                (Node::Map(m), false) => level = m,
            }
        }
        Slot::Taken("a map")
    }

    /// Insert a leaf (the caller checked [`Values::slot`]).
    pub fn insert(&mut self, path: &[String], value: Scalar) {
        let mut level = &mut self.root;
        for (i, key) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let pos = match level.iter().position(|(k, _)| k == key) {
                Some(p) => p,
                None => {
                    let node = if last {
                        Node::Leaf(value.clone())
                    } else {
                        Node::Map(Vec::new())
                    };
                    let at = level
                        .iter()
                        .position(|(k, _)| rank(k) > rank(key))
                        .unwrap_or(level.len());
                    level.insert(at, (key.clone(), node));
                    at
                }
            };
            if last {
                level[pos].1 = Node::Leaf(value);
                return;
            }
            match &mut level[pos].1 {
                Node::Map(m) => level = m,
                Node::Leaf(_) => return,
            }
        }
    }

    /// Replace the leaf at `path` when it exists; otherwise change nothing.
    pub fn set_existing(&mut self, path: &[&str], value: Scalar) -> bool {
        let mut level = &mut self.root;
        for (i, key) in path.iter().enumerate() {
            let Some(pos) = level.iter().position(|(k, _)| k == key) else {
                return false;
            };
            match &mut level[pos].1 {
                Node::Leaf(v) if i + 1 == path.len() => {
                    *v = value;
                    return true;
                }
                Node::Map(m) if i + 1 < path.len() => level = m,
                _ => return false,
            }
        }
        false
    }

    /// The leaf at `path`.
    pub fn get(&self, path: &[&str]) -> Option<&Scalar> {
        let mut level = &self.root;
        for (i, key) in path.iter().enumerate() {
            let (_, node) = level.iter().find(|(k, _)| k == key)?;
            match node {
                Node::Leaf(v) if i + 1 == path.len() => return Some(v),
                Node::Map(m) => level = m,
                Node::Leaf(_) => return None,
            }
        }
        None
    }

    /// `values.yaml`, block style, with a header saying where it comes from.
    pub fn to_yaml(&self, chart: &str) -> String {
        let mut out = format!(
            "# Values of the {chart} chart, derived by dockhand from the generated manifests\n\
             # (dockhand.lock, .dockhand/cache). Override with --set or -f; values.schema.json\n\
             # types them. `dockhand regen --offline --check` reports a hand edit as drift.\n"
        );
        if self.root.is_empty() {
            out.push_str("{}\n");
        }
        emit(&self.root, 0, &mut out);
        out
    }

    /// `values.schema.json` (draft 2020-12 and earlier alike): every key
    /// typed, required, and no others allowed.
    pub fn to_schema(&self, chart: &str) -> String {
        let mut doc = Map::new();
        doc.insert(
            "$schema".into(),
            J::from("http://json-schema.org/draft-07/schema#"),
        );
        doc.insert(
            "title".into(),
            J::from(format!("Values of the {chart} chart (derived by dockhand)")),
        );
        if let J::Object(body) = schema_of_map(&self.root) {
            doc.extend(body);
        }
        let mut s = serde_json::to_string_pretty(&J::Object(doc)).expect("schema serializes");
        s.push('\n');
        s
    }
}

fn emit(level: &[(String, Node)], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (k, node) in level {
        match node {
            Node::Leaf(v) => out.push_str(&format!("{pad}{k}: {}\n", scalar_yaml(v))),
            Node::Map(m) if m.is_empty() => out.push_str(&format!("{pad}{k}: {{}}\n")),
            Node::Map(m) => {
                out.push_str(&format!("{pad}{k}:\n"));
                emit(m, indent + 2, out);
            }
        }
    }
}

/// A string plain when YAML 1.1 reads it back as the same string, else
/// double-quoted (a JSON string is a valid YAML double-quoted scalar).
fn scalar_yaml(v: &Scalar) -> String {
    match v {
        Scalar::Int(i) => i.to_string(),
        Scalar::Str(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/:@-+".contains(c))
                && !s.starts_with(['-', ':', '@'])
                && !s.ends_with(':')
                && crate::validate::yaml::resolve_plain(s)
                    == crate::validate::yaml::Value::Str(s.clone());
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).expect("string serializes")
            }
        }
    }
}

const QUANTITY: &str = r"^[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";
const DNS_SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

fn schema_of_map(level: &[(String, Node)]) -> J {
    let mut props = Map::new();
    for (k, node) in level {
        let s = match node {
            Node::Map(m) => schema_of_map(m),
            Node::Leaf(v) => schema_of_leaf(k, v),
        };
        props.insert(k.clone(), s);
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": level.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        "properties": props,
    })
}

fn schema_of_leaf(key: &str, v: &Scalar) -> J {
    match key {
        "replicas" => json!({ "type": "integer", "minimum": 0 }),
        "containerPort" | "port" => json!({ "type": "integer", "minimum": 1, "maximum": 65535 }),
        "nodePort" => json!({ "type": "integer", "minimum": 30000, "maximum": 32767 }),
        "pullPolicy" => json!({ "type": "string", "enum": ["Always", "IfNotPresent", "Never"] }),
        "repository" => json!({ "type": "string", "minLength": 1 }),
        // `--set image.tag=2` arrives as an integer.
        "tag" => {
            json!({ "type": ["string", "integer"], "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$" })
        }
        "cpu" | "memory" => json!({ "type": ["string", "integer", "number"], "pattern": QUANTITY }),
        "name" => {
            json!({ "type": "string", "minLength": 1, "maxLength": 253, "pattern": DNS_SUBDOMAIN })
        }
        _ => match v {
            Scalar::Int(_) => json!({ "type": "integer" }),
            Scalar::Str(_) => json!({ "type": "string" }),
        },
    }
}

/// Whether a value satisfies the schema [`schema_of_leaf`] gives its key: a
/// field whose manifest value would not (a `nodePort: 0`, a named port) stays
/// literal, so that the default values always pass the schema.
pub fn fits(key: &str, v: &Scalar) -> bool {
    let int = |lo: i64, hi: i64| matches!(v, Scalar::Int(i) if (lo..=hi).contains(i));
    let text = match v {
        Scalar::Str(s) => Some(s.as_str()),
        Scalar::Int(_) => None,
    };
    match key {
        "replicas" => int(0, i64::MAX),
        "containerPort" | "port" => int(1, 65535),
        "nodePort" => int(30000, 32767),
        "pullPolicy" => matches!(text, Some("Always" | "IfNotPresent" | "Never")),
        "repository" => text.is_some_and(|s| !s.is_empty()),
        "tag" => match v {
            Scalar::Int(_) => true,
            Scalar::Str(s) => {
                s.len() <= 128
                    && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            }
        },
        "cpu" | "memory" => match v {
            Scalar::Int(_) => true,
            Scalar::Str(s) => is_quantity(s),
        },
        "name" => text.is_some_and(is_dns_subdomain),
        _ => true,
    }
}

/// [`QUANTITY`], by hand: sign, digits with an optional fraction, then a
/// binary or decimal suffix or an exponent.
fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits);
    let number_ok = number.chars().filter(|c| *c == '.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit());
    let suffix_ok = matches!(
        suffix,
        "" | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
            | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()));
    number_ok && suffix_ok
}

/// [`DNS_SUBDOMAIN`], by hand.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::{Scalar, fits, is_quantity};

    #[test]
    fn quantities_as_kubernetes_reads_them() {
        for ok in [
            "100m", "128Mi", "1", "0.5", ".5", "1e3", "2E-1", "+1Gi", "1.5G",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "m", "lots", "1.2.3", "1 Gi", "1MiB", "1e", "."] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn defaults_outside_the_schema_do_not_fit() {
        assert!(!fits("nodePort", &Scalar::Int(0)));
        assert!(fits("nodePort", &Scalar::Int(30080)));
        assert!(!fits("port", &Scalar::Str("http".into())));
        assert!(!fits("name", &Scalar::Str("Bad_Name".into())));
        assert!(!fits("pullPolicy", &Scalar::Str("always".into())));
        assert!(fits("tag", &Scalar::Str("1.2-rc_1".into())));
        assert!(!fits("tag", &Scalar::Str("-x".into())));
    }
}
