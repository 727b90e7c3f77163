//! Strict Kubernetes schema validation of parsed YAML documents.
//!
//! The schemas are the "strict" JSON Schemas of the PyPI package
//! `kubernetes-validate` 1.37.0 (Apache-2.0; see `schemas/README.md`),
//! stripped of descriptions and gzipped by `scripts/vendor-schemas.py`, and
//! embedded in the binary. [`Schemas::load`] decompresses one version and
//! compiles it once into an arena of schema nodes with every `$ref` resolved
//! to an index; [`Schemas::validate`] then walks a [`Document`] against it and
//! reports every violation with its line, column and JSON pointer.
//!
//! Only the keywords those schemas use are implemented: `type`, `$ref`,
//! `properties`, `additionalProperties`, `items`, `required`, `enum`,
//! `oneOf` (`format` is ignored, as `kubernetes-validate` does).

mod compile;
mod removed;

use compile::Compiler;

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

use super::diagnostic::{Diagnostic, pointer_token};
use super::yaml::{Document, Node, Value};
pub use removed::{REMOVALS, Removal};

/// Kubernetes version used when none is requested.
pub const DEFAULT_KUBE_VERSION: &str = "1.33";

/// The embedded schema files, oldest first.
const SHIPPED: &[(&str, &[u8])] = &[
    ("1.25", include_bytes!("../../../schemas/v1.25.json.gz")),
    ("1.26", include_bytes!("../../../schemas/v1.26.json.gz")),
    ("1.27", include_bytes!("../../../schemas/v1.27.json.gz")),
    ("1.28", include_bytes!("../../../schemas/v1.28.json.gz")),
    ("1.29", include_bytes!("../../../schemas/v1.29.json.gz")),
    ("1.30", include_bytes!("../../../schemas/v1.30.json.gz")),
    ("1.31", include_bytes!("../../../schemas/v1.31.json.gz")),
    ("1.32", include_bytes!("../../../schemas/v1.32.json.gz")),
    ("1.33", include_bytes!("../../../schemas/v1.33.json.gz")),
    ("1.34", include_bytes!("../../../schemas/v1.34.json.gz")),
    ("1.35", include_bytes!("../../../schemas/v1.35.json.gz")),
    ("1.36", include_bytes!("../../../schemas/v1.36.json.gz")),
    ("1.37", include_bytes!("../../../schemas/v1.37.json.gz")),
];

/// Kubernetes minor versions with embedded schemas, e.g. `["1.25", ..., "1.37"]`.
pub fn shipped_versions() -> Vec<&'static str> {
    SHIPPED.iter().map(|(v, _)| *v).collect()
}

/// Map a user-supplied version (`1.33`, `v1.33`, `1.33.0`, `v1.33.2`) to the
/// shipped `major.minor` it designates. Suitable as a CLI value parser.
pub fn parse_kube_version(requested: &str) -> Result<&'static str, SchemaError> {
    let trimmed = requested.trim();
    let bare = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
    let mut parts = bare.splitn(3, '.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    let patch_ok = match parts.next() {
        None => true,
        // `1.33.0`, `1.33.2`, `1.33.0-rc.1`, `1.33.1+k3s1`
        Some(p) => {
            let digits = p.split(['-', '+']).next().unwrap_or_default();
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
    };
    let numeric = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(major) || !numeric(minor) || !patch_ok {
        return Err(SchemaError::InvalidVersion {
            requested: requested.to_owned(),
        });
    }
    let wanted = format!(
        "{}.{}",
        major.parse::<u32>().unwrap_or(0),
        minor.parse::<u32>().unwrap_or(0)
    );
    SHIPPED
        .iter()
        .map(|(v, _)| *v)
        .find(|v| *v == wanted)
        .ok_or_else(|| SchemaError::UnsupportedVersion {
            requested: requested.to_owned(),
        })
}

/// Why [`Schemas::load`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaError {
    /// Not of the form `1.NN`, `v1.NN` or `1.NN.P`.
    InvalidVersion { requested: String },
    /// Well-formed, but no schemas are shipped for it.
    UnsupportedVersion { requested: String },
    /// The embedded data could not be decoded (a build problem).
    Corrupt {
        version: &'static str,
        reason: String,
    },
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shipped = shipped_versions().join(", ");
        match self {
            SchemaError::InvalidVersion { requested } => write!(
                f,
                "invalid Kubernetes version `{requested}` (expected e.g. 1.33 or v1.33.0); shipped schemas: {shipped}"
            ),
            SchemaError::UnsupportedVersion { requested } => {
                write!(
                    f,
                    "no schemas for Kubernetes version `{requested}`; shipped schemas: {shipped}"
                )
            }
            SchemaError::Corrupt { version, reason } => {
                write!(
                    f,
                    "embedded schemas for Kubernetes {version} are corrupt: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for SchemaError {}

// JSON types, as a bit set.
const T_NULL: u8 = 1;
const T_BOOLEAN: u8 = 2;
const T_INTEGER: u8 = 4;
const T_NUMBER: u8 = 8;
const T_STRING: u8 = 16;
const T_ARRAY: u8 = 32;
const T_OBJECT: u8 = 64;
const T_ANY: u8 = 127;

/// Order in which expected types are named in messages.
const TYPE_NAMES: [(u8, &str); 6] = [
    (T_INTEGER, "integer"),
    (T_NUMBER, "number"),
    (T_STRING, "string"),
    (T_BOOLEAN, "boolean"),
    (T_ARRAY, "array"),
    (T_OBJECT, "object"),
];

fn type_bit(name: &str) -> Option<u8> {
    Some(match name {
        "null" => T_NULL,
        "boolean" => T_BOOLEAN,
        "integer" => T_INTEGER,
        "number" => T_NUMBER,
        "string" => T_STRING,
        "array" => T_ARRAY,
        "object" => T_OBJECT,
        _ => return None,
    })
}

/// Whether a YAML value is an instance of the allowed types. As in JSON
/// Schema (and in Kubernetes, which sees `1.0` as the JSON number `1`), an
/// integral float is an integer; `1.5` is not.
fn type_allows(types: u8, value: &Value) -> bool {
    let need = match value {
        Value::Null => T_NULL,
        Value::Bool(_) => T_BOOLEAN,
        Value::Int(_) => T_INTEGER | T_NUMBER,
        Value::Float(f) if f.is_finite() && f.fract() == 0.0 => T_INTEGER | T_NUMBER,
        Value::Float(_) => T_NUMBER,
        Value::Str(_) => T_STRING,
        Value::Seq(_) => T_ARRAY,
        Value::Map(_) => T_OBJECT,
    };
    types & need != 0
}

fn describe_types(mut types: u8) -> String {
    if types & T_NUMBER != 0 {
        types &= !T_INTEGER; // "number" already covers integers
    }
    let names: Vec<&str> = TYPE_NAMES
        .iter()
        .filter(|(bit, _)| types & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    match names.as_slice() {
        [] => "nothing".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Additional {
    Any,
    Forbidden,
    Schema(u32),
}

#[derive(Debug)]
struct SchemaNode {
    /// Allowed JSON types; [`T_ANY`] when the schema has no `type`.
    types: u8,
    reference: Option<u32>,
    /// Sorted by name.
    properties: Box<[(Box<str>, u32)]>,
    additional: Additional,
    items: Option<u32>,
    required: Box<[Box<str>]>,
    enumeration: Option<Box<[serde_json::Value]>>,
    one_of: Box<[u32]>,
    /// For `$defs` entries: the definition name, used in messages.
    name: Option<Box<str>>,
}

impl SchemaNode {
    fn any() -> Self {
        SchemaNode {
            types: T_ANY,
            reference: None,
            properties: Box::default(),
            additional: Additional::Any,
            items: None,
            required: Box::default(),
            enumeration: None,
            one_of: Box::default(),
            name: None,
        }
    }

    fn property(&self, key: &str) -> Option<u32> {
        self.properties
            .binary_search_by(|(name, _)| (**name).cmp(key))
            .ok()
            .map(|i| self.properties[i].1)
    }
}

/// The compiled schemas of one Kubernetes version. Load once per run and
/// share (it is `Send + Sync`); validation does not allocate schema data.
#[derive(Debug)]
pub struct Schemas {
    version: &'static str,
    nodes: Vec<SchemaNode>,
    /// (apiVersion, kind) -> root node.
    kinds: HashMap<(String, String), u32>,
    /// kind -> apiVersions serving it, for hints.
    api_versions_of: HashMap<String, Vec<String>>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Schemas>();
};

impl Schemas {
    /// The compiled schemas for `version` (`1.33`, `v1.33`, `1.33.0`):
    /// decompressed and compiled on first use, then shared by every caller
    /// for the rest of the process (compiled once per run).
    pub fn load(version: &str) -> Result<&'static Schemas, SchemaError> {
        static CACHE: [OnceLock<Result<Schemas, SchemaError>>; SHIPPED.len()] =
            [const { OnceLock::new() }; SHIPPED.len()];
        let version = parse_kube_version(version)?;
        let i = SHIPPED
            .iter()
            .position(|(v, _)| *v == version)
            .unwrap_or_default();
        CACHE[i]
            .get_or_init(|| Schemas::compile_shipped(version, SHIPPED[i].1))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn compile_shipped(version: &'static str, bytes: &[u8]) -> Result<Schemas, SchemaError> {
        let corrupt = |reason: String| SchemaError::Corrupt { version, reason };
        let mut json = Vec::with_capacity(bytes.len() * 16);
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut json)
            .map_err(|e| corrupt(e.to_string()))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))?;
        Compiler::compile(version, &doc).map_err(corrupt)
    }

    /// The minor version number (`33` for `1.33`).
    pub fn minor(&self) -> u32 {
        self.version
            .split_once('.')
            .and_then(|(_, m)| m.parse().ok())
            .unwrap_or(0)
    }

    /// The `major.minor` these schemas describe.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Whether a built-in schema exists for this apiVersion and kind.
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.kinds
            .contains_key(&(api_version.to_owned(), kind.to_owned()))
    }

    /// Number of (apiVersion, kind) pairs with a schema.
    pub fn kind_count(&self) -> usize {
        self.kinds.len()
    }

    /// Validate one document; every violation is reported. Findings carry
    /// the document's index, a position and a JSON pointer. Codes:
    /// `schema/missing-kind`, `schema/unknown-kind` (warning),
    /// `schema/unknown-field`, `schema/type`, `schema/required`, `schema/enum`.
    pub fn validate(&self, doc: &Document) -> Vec<Diagnostic> {
        let mut walk = Walk {
            schemas: self,
            out: Vec::new(),
            pointer: String::new(),
        };
        walk.object(&doc.root, 0);
        let mut out = walk.out;
        out.sort_by_key(|d| (d.line, d.column));
        out.into_iter()
            .map(|d| d.with_document(doc.index))
            .collect()
    }
}

/// One validation run over one document.
struct Walk<'s> {
    schemas: &'s Schemas,
    out: Vec<Diagnostic>,
    /// JSON pointer of the node being checked.
    pointer: String,
}

impl Walk<'_> {
    fn push_key(&mut self, key: &str) -> usize {
        let len = self.pointer.len();
        self.pointer.push('/');
        self.pointer.push_str(&pointer_token(key));
        len
    }

    fn push_index(&mut self, i: usize) -> usize {
        use fmt::Write as _;
        let len = self.pointer.len();
        let _ = write!(self.pointer, "/{i}");
        len
    }

    fn report(&mut self, d: Diagnostic) {
        let pointer = self.pointer.clone();
        self.out.push(d.with_pointer(pointer));
    }

    /// Validate a Kubernetes object (the document root, or an item of a
    /// `v1/List`): pick its schema by apiVersion and kind.
    fn object(&mut self, root: &Node, depth: usize) {
        match &root.value {
            Value::Null => return,
            Value::Map(_) => {}
            other => {
                self.report(Diagnostic::error(
                    "schema/missing-kind",
                    root.pos,
                    format!("expected a Kubernetes object (a mapping with apiVersion and kind), found {}", other.kind_name()),
                ));
                return;
            }
        }
        let api = root.entry("apiVersion");
        let kind = root.entry("kind");
        let (api_version, kind_name) = match (
            api.and_then(|(_, v)| v.as_str()),
            kind.and_then(|(_, v)| v.as_str()),
        ) {
            (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => (a, k),
            (a, k) => {
                let mut missing = Vec::new();
                if a.is_none_or(str::is_empty) {
                    missing.push("apiVersion");
                }
                if k.is_none_or(str::is_empty) {
                    missing.push("kind");
                }
                let what = missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let verb = if missing.len() > 1 { "are" } else { "is" };
                self.report(
                    Diagnostic::error(
                        "schema/missing-kind",
                        root.pos,
                        format!("{what} {verb} missing or not a string; cannot tell what kind of object this is"),
                    )
                    .with_hint("every Kubernetes object needs e.g. `apiVersion: apps/v1` and `kind: Deployment`"),
                );
                return;
            }
        };
        let key = (api_version.to_owned(), kind_name.to_owned());
        let Some(&index) = self.schemas.kinds.get(&key) else {
            if api_version == "v1" && kind_name == "List" && depth == 0 {
                self.list(root);
                return;
            }
            if let Some(r) = removed::removed(api_version, kind_name, self.schemas.minor()) {
                let pos = api.map_or(root.pos, |(_, v)| v.pos);
                let len = self.push_key("apiVersion");
                self.report(
                    Diagnostic::error(
                        "schema/removed-api",
                        pos,
                        format!(
                            "apiVersion `{api_version}` of `{kind_name}` was removed in Kubernetes 1.{}; use {}",
                            r.removed_in, r.replacement
                        ),
                    )
                    .with_hint(format!(
                        "Kubernetes {} no longer serves it: the API server refuses this manifest",
                        self.schemas.version
                    )),
                );
                self.pointer.truncate(len);
                return;
            }
            let pos = kind.map_or(root.pos, |(_, v)| v.pos);
            let mut d = Diagnostic::warning(
                "schema/unknown-kind",
                pos,
                format!(
                    "no schema for apiVersion `{api_version}` kind `{kind_name}` in Kubernetes {}; not validated (a custom resource?)",
                    self.schemas.version
                ),
            );
            if let Some(hint) = self.kind_hint(kind_name) {
                d = d.with_hint(hint);
            }
            let len = self.push_key("kind");
            self.report(d);
            self.pointer.truncate(len);
            return;
        };
        self.check(root, index, "");
    }

    fn list(&mut self, root: &Node) {
        let Some((_, items)) = root.entry("items") else {
            return;
        };
        let len = self.push_key("items");
        match &items.value {
            Value::Seq(list) => {
                for (i, item) in list.iter().enumerate() {
                    let l = self.push_index(i);
                    self.object(item, 1);
                    self.pointer.truncate(l);
                }
            }
            Value::Null => {}
            other => {
                let found = other.kind_name();
                self.report(Diagnostic::error(
                    "schema/type",
                    items.pos,
                    format!("expected array, found {found}"),
                ));
            }
        }
        self.pointer.truncate(len);
    }

    fn kind_hint(&self, kind: &str) -> Option<String> {
        let version = self.schemas.version;
        if let Some(apis) = self.schemas.api_versions_of.get(kind) {
            return Some(format!(
                "in Kubernetes {version}, `{kind}` is served as {}",
                join_ticked(apis)
            ));
        }
        let lower = kind.to_ascii_lowercase();
        let mut close: Vec<(&str, &Vec<String>)> = self
            .schemas
            .api_versions_of
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase() == lower)
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        close.sort();
        if let Some((k, apis)) = close.first() {
            return Some(format!(
                "kinds are case-sensitive: did you mean `{k}` ({})?",
                join_ticked(apis)
            ));
        }
        None
    }

    /// Check `node` against schema `index`. `owner` names the definition
    /// whose properties are being checked (for messages).
    fn check(&mut self, node: &Node, index: u32, owner: &str) {
        let schemas = self.schemas;
        let s = &schemas.nodes[index as usize];
        let owner = s.name.as_deref().unwrap_or(owner);
        if let Some(r) = s.reference {
            self.check(node, r, owner);
        }
        if !s.one_of.is_empty() {
            self.one_of(node, &s.one_of, owner);
        }
        if !type_allows(s.types, &node.value) {
            self.type_error(node, s.types);
            return;
        }
        if let Some(allowed) = &s.enumeration
            && !node.is_null()
            && !enum_contains(allowed, node)
        {
            let list = allowed
                .iter()
                .map(|v| format!("`{}`", json_text(v)))
                .collect::<Vec<_>>()
                .join(", ");
            self.report(Diagnostic::error(
                "schema/enum",
                node.pos,
                format!("invalid value {}: expected one of {list}", show_value(node)),
            ));
        }
        match &node.value {
            Value::Map(entries) => self.properties(node, entries, s, owner),
            Value::Seq(items) => {
                if let Some(item_schema) = s.items {
                    for (i, item) in items.iter().enumerate() {
                        let len = self.push_index(i);
                        self.check(item, item_schema, owner);
                        self.pointer.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }

    fn properties(&mut self, node: &Node, entries: &[(Node, Node)], s: &SchemaNode, owner: &str) {
        if s.properties.is_empty() && s.additional == Additional::Any && s.required.is_empty() {
            return;
        }
        for (k, v) in entries {
            let key_owned;
            let key = match k.as_str() {
                Some(key) => key,
                None => {
                    key_owned = k.key_string();
                    &key_owned
                }
            };
            let len = self.push_key(key);
            match s.property(key) {
                Some(p) => self.check(v, p, owner),
                None => match s.additional {
                    Additional::Any => {}
                    Additional::Schema(a) => self.check(v, a, owner),
                    Additional::Forbidden => {
                        let context = if owner.is_empty() {
                            "this object"
                        } else {
                            owner
                        };
                        let mut d = Diagnostic::error(
                            "schema/unknown-field",
                            k.pos,
                            format!("unknown field `{key}` in {context}"),
                        );
                        if let Some(best) = closest(key, s.properties.iter().map(|(n, _)| &**n)) {
                            d = d.with_hint(format!("did you mean `{best}`?"));
                        }
                        self.report(d);
                    }
                },
            }
            self.pointer.truncate(len);
        }
        for req in &s.required {
            if node.get(req).is_none() {
                let context = if owner.is_empty() {
                    "this object"
                } else {
                    owner
                };
                self.report(Diagnostic::error(
                    "schema/required",
                    node.pos,
                    format!("missing required field `{req}` in {context}"),
                ));
            }
        }
    }

    /// `oneOf`, read as "any of" (the branches in these schemas only differ
    /// by type, and `null` fits them all).
    fn one_of(&mut self, node: &Node, branches: &[u32], owner: &str) {
        let mut best: Option<Vec<Diagnostic>> = None;
        let mut types = 0;
        for &b in branches.iter() {
            types |= self.schemas.expected_types(b);
            let saved = std::mem::take(&mut self.out);
            self.check(node, b, owner);
            let found = std::mem::replace(&mut self.out, saved);
            if found.is_empty() {
                return;
            }
            let type_only =
                found.len() == 1 && found[0].code == "schema/type" && found[0].pos() == node.pos;
            if !type_only && best.as_ref().is_none_or(|b| found.len() < b.len()) {
                best = Some(found);
            }
        }
        match best {
            Some(found) => self.out.extend(found),
            None => self.type_error(node, types),
        }
    }

    fn type_error(&mut self, node: &Node, types: u8) {
        let expected = describe_types(types);
        let mut d = Diagnostic::error(
            "schema/type",
            node.pos,
            format!("expected {expected}, found {}", show_value(node)),
        );
        if let Some(hint) = type_hint(node, types) {
            d = d.with_hint(hint);
        }
        self.report(d);
    }
}

impl Schemas {
    /// Union of the types a schema accepts, following `$ref` and `oneOf`.
    fn expected_types(&self, index: u32) -> u8 {
        let s = &self.nodes[index as usize];
        let mut t = s.types;
        if let Some(r) = s.reference {
            t &= self.expected_types(r);
        }
        if !s.one_of.is_empty() {
            t &= s
                .one_of
                .iter()
                .fold(0, |acc, &b| acc | self.expected_types(b));
        }
        t
    }
}

fn enum_contains(allowed: &[serde_json::Value], node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => allowed.iter().any(|v| v.as_str() == Some(s)),
        _ => {
            let j = node.to_json();
            allowed.contains(&j)
        }
    }
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn join_ticked(items: &[String]) -> String {
    items
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "string `two`", "boolean `true`", "array", "object".
fn show_value(node: &Node) -> String {
    let kind = node.kind_name();
    let text = match &node.value {
        Value::Seq(_) | Value::Map(_) => return kind.to_owned(),
        Value::Null => return "null".to_owned(),
        Value::Str(s) => {
            if s.chars().count() > 40 {
                format!("{}…", s.chars().take(40).collect::<String>())
            } else {
                s.clone()
            }
        }
        _ => node.key_string(),
    };
    format!("{kind} `{text}`")
}

fn type_hint(node: &Node, types: u8) -> Option<String> {
    match &node.value {
        Value::Str(s) if types & (T_INTEGER | T_NUMBER) != 0 && s.trim().parse::<f64>().is_ok() => {
            Some("remove the quotes: a quoted number is a string".to_owned())
        }
        Value::Str(s) if types & T_BOOLEAN != 0 && matches!(s.as_str(), "true" | "false") => {
            Some("remove the quotes: a quoted boolean is a string".to_owned())
        }
        Value::Bool(_) if types & T_STRING != 0 => Some(
            "quote the value: Kubernetes reads YAML 1.1, where unquoted yes/no/on/off/y/n/true/false are booleans"
                .to_owned(),
        ),
        Value::Int(_) | Value::Float(_) if types & T_STRING != 0 => {
            Some("quote the value so that it is a string".to_owned())
        }
        Value::Null if types & T_STRING != 0 => Some("an empty value is null; use \"\" for an empty string".to_owned()),
        _ => None,
    }
}

/// The candidate closest to `key` (optimal string alignment distance,
/// case-insensitive), if it is close enough to be a plausible typo.
fn closest<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = key.to_lowercase();
    let len = lower.chars().count();
    let limit = match len {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        let c = cand.to_lowercase();
        if c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = strsim::osa_distance(&lower, &c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
