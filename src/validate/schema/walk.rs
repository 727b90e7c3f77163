//! The walk of one document against its schema: every violation with its
//! line, column and JSON pointer, and the wording of each finding.

use std::fmt;

use super::layout::*;
use super::{Schemas, describe_types, removed, type_allows};
use crate::validate::diagnostic::{Diagnostic, push_pointer_token};
use crate::validate::yaml::{Node, Value};

/// One validation run over one document (`'d`).
pub(super) struct Walk<'s, 'd> {
    schemas: &'s Schemas,
    out: Vec<Diagnostic>,
    /// Where the node being checked is; written as a JSON pointer only
    /// when something is reported.
    path: Vec<Step<'d>>,
}

/// One step of a JSON pointer.
enum Step<'d> {
    Key(&'d str),
    /// A mapping key that is not a string, as a JSON object key.
    OwnedKey(String),
    Index(usize),
}

impl<'s, 'd> Walk<'s, 'd> {
    /// The findings of `root` (a document's root) against its schema.
    pub(super) fn run(schemas: &'s Schemas, root: &'d Node) -> Vec<Diagnostic> {
        let mut walk = Walk {
            schemas,
            out: Vec::new(),
            path: Vec::with_capacity(16),
        };
        walk.object(root, 0);
        walk.out
    }

    fn push_key(&mut self, key: &'d str) -> usize {
        self.path.push(Step::Key(key));
        self.path.len() - 1
    }

    fn push_index(&mut self, i: usize) -> usize {
        self.path.push(Step::Index(i));
        self.path.len() - 1
    }

    fn report(&mut self, d: Diagnostic) {
        use fmt::Write as _;
        let mut pointer = String::new();
        for step in &self.path {
            match step {
                Step::Key(k) => push_pointer_token(&mut pointer, k),
                Step::OwnedKey(k) => push_pointer_token(&mut pointer, k),
                Step::Index(i) => {
                    let _ = write!(pointer, "/{i}");
                }
            }
        }
        self.out.push(d.with_pointer(pointer));
    }

    /// Validate a Kubernetes object (the document root, or an item of a
    /// `v1/List`): pick its schema by apiVersion and kind.
    fn object(&mut self, root: &'d Node, depth: usize) {
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
        let Some(index) = self.schemas.root(api_version, kind_name) else {
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
                self.path.truncate(len);
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
            self.path.truncate(len);
            return;
        };
        self.check(root, index, NONE);
    }

    fn list(&mut self, root: &'d Node) {
        let Some((_, items)) = root.entry("items") else {
            return;
        };
        let len = self.push_key("items");
        match &items.value {
            Value::Seq(list) => {
                for (i, item) in list.iter().enumerate() {
                    let l = self.push_index(i);
                    self.object(item, 1);
                    self.path.truncate(l);
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
        self.path.truncate(len);
    }

    fn kind_hint(&self, kind: &str) -> Option<String> {
        let version = self.schemas.version;
        let apis = self.schemas.api_versions_of(kind);
        if !apis.is_empty() {
            return Some(format!(
                "in Kubernetes {version}, `{kind}` is served as {}",
                join_ticked(&apis)
            ));
        }
        let lower = kind.to_ascii_lowercase();
        let close = (0..self.schemas.n_kinds)
            .map(|i| self.schemas.kind_at(i).1)
            .filter(|k| k.to_ascii_lowercase() == lower)
            .min()?;
        let apis = self.schemas.api_versions_of(close);
        Some(format!(
            "kinds are case-sensitive: did you mean `{close}` ({})?",
            join_ticked(&apis)
        ))
    }

    /// Check `node` against schema `index`. `owner` names the definition
    /// whose properties are being checked (for messages).
    fn check(&mut self, node: &'d Node, index: u32, owner: u32) {
        let schemas = self.schemas;
        let s = schemas.blob.node(schemas.resolve(index));
        let owner = if s[N_NAME] != NONE { s[N_NAME] } else { owner };
        if s[N_REF] != NONE {
            self.check(node, s[N_REF], owner);
        }
        if s[N_ONE_OF_LEN] != 0 {
            self.one_of(node, &s, owner);
        }
        if !type_allows(s[N_TYPES], &node.value) {
            self.type_error(node, s[N_TYPES]);
            return;
        }
        if s[N_ENUM] != NONE && !node.is_null() && !schemas.enum_contains(&s, node) {
            let list = schemas.enum_list(&s);
            self.report(Diagnostic::error(
                "schema/enum",
                node.pos,
                format!("invalid value {}: expected one of {list}", show_value(node)),
            ));
        }
        match &node.value {
            Value::Map(entries) => self.properties(node, entries, &s, owner),
            Value::Seq(items) if s[N_ITEMS] != NONE => {
                for (i, item) in items.iter().enumerate() {
                    let len = self.push_index(i);
                    self.check(item, s[N_ITEMS], owner);
                    self.path.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn properties(
        &mut self,
        node: &'d Node,
        entries: &'d [(Node, Node)],
        s: &[u32; NODE_WORDS],
        owner: u32,
    ) {
        let schemas = self.schemas;
        if s[N_PROPS_LEN] == 0 && s[N_ADDITIONAL] == NONE && s[N_REQUIRED_LEN] == 0 {
            return;
        }
        for (k, v) in entries {
            let key_owned;
            let (key, len) = match k.as_str() {
                Some(key) => (key, self.push_key(key)),
                None => {
                    key_owned = k.key_string();
                    self.path.push(Step::OwnedKey(key_owned.clone()));
                    (key_owned.as_str(), self.path.len() - 1)
                }
            };
            match schemas.property(s, key) {
                Some(p) => self.check(v, p, owner),
                None => match s[N_ADDITIONAL] {
                    NONE => {}
                    FORBIDDEN => {
                        let context = schemas.owner_name(owner);
                        let mut d = Diagnostic::error(
                            "schema/unknown-field",
                            k.pos,
                            format!("unknown field `{key}` in {context}"),
                        );
                        if let Some(best) = closest(key, schemas.property_names(s)) {
                            d = d.with_hint(format!("did you mean `{best}`?"));
                        }
                        self.report(d);
                    }
                    a => self.check(v, a, owner),
                },
            }
            self.path.truncate(len);
        }
        for i in s[N_REQUIRED]..s[N_REQUIRED] + s[N_REQUIRED_LEN] {
            let req = schemas.blob.str(schemas.blob.id(i));
            if node.get(req).is_none() {
                let context = schemas.owner_name(owner);
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
    fn one_of(&mut self, node: &'d Node, s: &[u32; NODE_WORDS], owner: u32) {
        let mut best: Option<Vec<Diagnostic>> = None;
        let mut types = 0;
        for i in s[N_ONE_OF]..s[N_ONE_OF] + s[N_ONE_OF_LEN] {
            let b = self.schemas.blob.id(i);
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

    fn type_error(&mut self, node: &Node, types: u32) {
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
    fn expected_types(&self, index: u32) -> u32 {
        let s = self.blob.node(self.resolve(index));
        let mut t = s[N_TYPES];
        if s[N_REF] != NONE {
            t &= self.expected_types(s[N_REF]);
        }
        if s[N_ONE_OF_LEN] != 0 {
            t &= (s[N_ONE_OF]..s[N_ONE_OF] + s[N_ONE_OF_LEN])
                .fold(0, |acc, i| acc | self.expected_types(self.blob.id(i)));
        }
        t
    }
}

fn join_ticked(items: &[&str]) -> String {
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

fn type_hint(node: &Node, types: u32) -> Option<String> {
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
pub(super) fn closest<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
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
