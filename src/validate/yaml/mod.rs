//! YAML with a position on every node, read the way Kubernetes reads it.
//!
//! Kubernetes (`sigs.k8s.io/yaml`) decodes manifests with go-yaml v2, i.e.
//! YAML 1.1 scalar resolution: `yes`/`on`/`y` are booleans, `0644` is octal,
//! `~` is null, and so on. This module builds its own tree from the event API
//! of `saphyr-parser` (a YAML 1.2 parser) and applies those 1.1 rules to
//! plain scalars, so what we validate is what the API server would receive.
//!
//! Everything here is pure and synchronous: text in, [`Parsed`] out.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::diagnostic::{Diagnostic, Pos, pointer_token};

mod json;
mod scalar;

pub use scalar::resolve_plain;
use scalar::{resolve_plain_scalar, resolve_scalar};

/// Upper bound on the number of nodes that alias expansion may create in one
/// stream ("billion laughs" protection).
const ALIAS_NODE_BUDGET: usize = 1_000_000;

/// Deepest nesting of collections read. Every check walks the tree
/// recursively; a deeper one (possible through aliases too) would overflow the
/// stack. Kubernetes objects are a few dozen levels deep.
const MAX_DEPTH: usize = 1_000;

fn too_deep(pos: Pos) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(
        "yaml/syntax",
        pos,
        format!("collections nested more than {MAX_DEPTH} levels deep; not checked further"),
    ))
}

/// A YAML value after YAML 1.1 scalar resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in source order, duplicate keys already removed. As in
    /// Kubernetes (JSON decoding of the YAML), the last value of a duplicated
    /// key wins; it sits at the place of the key's first occurrence.
    Map(Vec<(Node, Node)>),
}

/// A value together with the position of its first character (for a block
/// mapping: its first key; for tagged/anchored scalars: the scalar itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// One non-empty document of a YAML stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Position of the document in the stream, counting empty documents too.
    pub index: usize,
    pub root: Node,
    /// Where the document starts (its `---` if explicit, else its first node).
    pub start: Pos,
}

/// Result of [`parse`]: the documents that could be read, and the findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub documents: Vec<Document>,
    /// `yaml/syntax`, `yaml/duplicate-key`, ... ordered by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

impl Value {
    /// The JSON-schema name of this value's type.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "object",
        }
    }
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Self {
        Node { value, pos }
    }

    /// The JSON-schema name of this node's type ("string", "integer", ...).
    pub fn kind_name(&self) -> &'static str {
        self.value.kind_name()
    }

    /// Value of `key` if this is a mapping that has it. Non-string keys are
    /// compared by their JSON form (`1` matches `"1"`), as Kubernetes does.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The `(key, value)` entry for `key`, to reach the key's position.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.key_matches(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Resolve an RFC 6901 JSON pointer (`""` is this node, `/spec/template`,
    /// `/spec/containers/0`; `~1` is `/` and `~0` is `~`).
    pub fn lookup(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut node = self;
        for raw in rest.split('/') {
            let token = if raw.contains('~') {
                raw.replace("~1", "/").replace("~0", "~")
            } else {
                raw.to_owned()
            };
            node = match &node.value {
                Value::Map(_) => node.get(&token)?,
                Value::Seq(items) => {
                    if token.len() > 1 && token.starts_with('0') {
                        return None;
                    }
                    items.get(token.parse::<usize>().ok()?)?
                }
                _ => return None,
            };
        }
        Some(node)
    }

    /// The JSON form Kubernetes would see. Mapping keys become strings (see
    /// [`Node::key_string`]); non-finite floats (`.inf`, `.nan`), which JSON
    /// cannot carry, become `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut map = serde_json::Map::with_capacity(entries.len());
                for (k, v) in entries {
                    map.entry(k.key_string()).or_insert_with(|| v.to_json());
                }
                J::Object(map)
            }
        }
    }

    /// This node used as a mapping key, as a JSON object key: strings as-is,
    /// scalars in their canonical text (`true`, `420`, `null`), collections
    /// as compact JSON.
    pub fn key_string(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Seq(_) | Value::Map(_) => self.to_json().to_string(),
        }
    }

    /// This node as a mapping key, borrowed when it is a string.
    fn key_cow(&self) -> std::borrow::Cow<'_, str> {
        match &self.value {
            Value::Str(s) => std::borrow::Cow::Borrowed(s),
            _ => std::borrow::Cow::Owned(self.key_string()),
        }
    }

    /// Whether this key is `key` once both are JSON object keys.
    fn same_key(&self, key: &str) -> bool {
        match &self.value {
            Value::Str(s) => s == key,
            _ => self.key_string() == key,
        }
    }

    fn key_matches(&self, key: &str) -> bool {
        match &self.value {
            Value::Str(s) => s == key,
            Value::Seq(_) | Value::Map(_) => false,
            _ => self.key_string() == key,
        }
    }

    /// Levels of collections in this node (a scalar is 0).
    fn depth(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::depth).max().unwrap_or(0),
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.depth().max(v.depth()))
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|(k, v)| k.count() + v.count()).sum(),
            _ => 0,
        }
    }
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".to_owned()
        } else {
            "-.inf".to_owned()
        }
    } else {
        f.to_string()
    }
}

/// Parse a YAML stream into documents. Never fails: problems are returned as
/// diagnostics (`yaml/syntax`, `yaml/duplicate-key`, `yaml/complex-key`,
/// `yaml/merge`, `yaml/tag`, `yaml/alias`). After a syntax error, parsing
/// stops; documents completed before it are still returned. Empty documents
/// (no content, or just `null`) are skipped, but still count for `index`.
pub fn parse(text: &str) -> Parsed {
    let mut documents = Vec::new();
    let diagnostics = parse_with(text, |d| documents.push(d));
    Parsed {
        documents,
        diagnostics,
    }
}

/// Like [`parse`], but hands each document to `each` as soon as it is
/// complete, so that a caller that checks documents one at a time keeps only
/// one in memory. Returns the findings, ordered by position.
pub fn parse_with(text: &str, each: impl FnMut(Document)) -> Vec<Diagnostic> {
    read(text, true, each)
}

/// [`parse_with`]; `json`: whether a JSON text is read by the JSON reader.
fn read(text: &str, json: bool, mut each: impl FnMut(Document)) -> Vec<Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut b = Builder::default();
    // One event into the tree; `false` once reading must stop.
    let mut step = |b: &mut Builder, event: Event<'_>, span: Span| {
        let result = b.event(event, span);
        for d in b.documents.drain(..) {
            each(d);
        }
        match result {
            Ok(()) => true,
            Err(diag) => {
                b.diag(*diag);
                false
            }
        }
    };
    if json && json::is_json(text) {
        json::events(text, |event, span| step(&mut b, event, span));
    } else {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            match next {
                Ok((event, span)) => {
                    if !step(&mut b, event, span) {
                        break;
                    }
                }
                Err(e) => {
                    let m = e.marker();
                    b.diag(Diagnostic::error(
                        "yaml/syntax",
                        Pos::new(m.line(), m.col() + 1),
                        e.info().to_owned(),
                    ));
                    break;
                }
            }
        }
    }
    let mut diagnostics = b.diagnostics;
    diagnostics.sort_by_key(|d| (d.document, d.line, d.column));
    diagnostics
}

/// The scalar's text in a `String` of exactly its length. The parser's
/// buffers are over-allocated (about 130 bytes for a 12-byte key): a tree
/// that kept them would be six times the size. A fresh copy lets the
/// allocator hand the parser's buffer straight back for the next scalar.
fn exact(text: &str) -> String {
    text.to_owned()
}

fn pos_of(span: &Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Explicit,
    Merged,
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        /// Where each entry came from, and an index of the keys.
        keys: Keys,
        /// Key waiting for its value, and whether it is the merge key `<<`.
        pending: Option<(Node, bool)>,
    },
}

/// The keys of a mapping being built: where each entry came from, and, once
/// the mapping is large, a hash index of the keys, so that a mapping of n
/// keys takes O(n) (small mappings are scanned, which is faster). The index
/// maps a key's hash to its entry, with entries of equal hashes chained
/// through `next`; keys are compared on the entries themselves, so no key
/// is copied.
#[derive(Default)]
struct Keys {
    origins: Vec<Origin>,
    index: Option<HashMap<u64, u32>>,
    /// For each entry, the previous entry with the same hash (`u32::MAX`: none).
    next: Vec<u32>,
}

impl Keys {
    const INDEX_FROM: usize = 16;
    const NONE: u32 = u32::MAX;

    fn hash(key: &str) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
    }

    fn find(&self, entries: &[(Node, Node)], key: &str) -> Option<usize> {
        let Some(index) = &self.index else {
            return entries.iter().position(|(k, _)| k.same_key(key));
        };
        let mut i = *index.get(&Self::hash(key))?;
        while i != Self::NONE {
            if entries[i as usize].0.same_key(key) {
                return Some(i as usize);
            }
            i = self.next[i as usize];
        }
        None
    }

    fn link(&mut self, key: &str, at: usize) {
        let index = self.index.get_or_insert_with(HashMap::new);
        let prev = index.insert(Self::hash(key), at as u32);
        self.next.push(prev.unwrap_or(Self::NONE));
    }

    /// Record the entry just pushed to `entries`, under `key`.
    fn push(&mut self, key: &str, origin: Origin, entries: &[(Node, Node)]) {
        self.origins.push(origin);
        let at = entries.len() - 1;
        if self.index.is_some() {
            self.link(key, at);
        } else if entries.len() > Self::INDEX_FROM {
            for (i, (k, _)) in entries.iter().enumerate() {
                self.link(&k.key_cow(), i);
            }
        }
    }
}

#[derive(Default)]
struct Builder {
    documents: Vec<Document>,
    diagnostics: Vec<Diagnostic>,
    stack: Vec<Frame>,
    /// Each anchored node, with its number of nodes and its depth.
    anchors: HashMap<usize, (Node, usize, usize)>,
    alias_nodes: usize,
    /// Number of `DocumentStart`s seen.
    doc_count: usize,
    doc_start: Pos,
    root: Option<Node>,
}

impl Builder {
    fn doc_index(&self) -> usize {
        self.doc_count.saturating_sub(1)
    }

    fn diag(&mut self, d: Diagnostic) {
        let index = self.doc_index();
        self.diagnostics.push(d.with_document(index));
    }

    /// JSON pointer of the collection on top of the stack.
    fn top_pointer(&self) -> String {
        let mut out = String::new();
        let n = self.stack.len();
        for frame in &self.stack[..n.saturating_sub(1)] {
            out.push('/');
            match frame {
                Frame::Seq { items, .. } => out.push_str(&items.len().to_string()),
                Frame::Map { pending, .. } => {
                    if let Some((k, _)) = pending {
                        out.push_str(&pointer_token(&k.key_string()));
                    }
                }
            }
        }
        out
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Box<Diagnostic>> {
        let pos = pos_of(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.doc_count += 1;
                self.doc_start = pos;
                self.anchors.clear();
                self.root = None;
                self.stack.clear();
            }
            Event::DocumentEnd => {
                if let Some(root) = self.root.take()
                    && !root.is_null()
                {
                    self.documents.push(Document {
                        index: self.doc_index(),
                        root,
                        start: self.doc_start,
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let is_merge = match &tag {
                    None => style == ScalarStyle::Plain && text == "<<",
                    Some(t) => t.is_yaml_core_schema() && t.suffix == "merge",
                };
                // Strings are copied at their exact size (see `exact`).
                let value = match (&tag, style) {
                    (None, ScalarStyle::Plain) => match resolve_plain_scalar(&text) {
                        Some(v) => v,
                        None => Value::Str(exact(&text)),
                    },
                    (None, _) => Value::Str(exact(&text)),
                    _ => match resolve_scalar(&text, style, tag.as_deref()) {
                        Ok(v) => v,
                        Err(msg) => {
                            self.diag(Diagnostic::error("yaml/tag", pos, msg));
                            Value::Str(exact(&text))
                        }
                    },
                };
                let node = Node::new(value, pos);
                self.remember(anchor, &node);
                self.complete(node, is_merge);
            }
            Event::Alias(id) => {
                let Some((node, count, depth)) = self.anchors.get(&id) else {
                    return Err(Box::new(Diagnostic::error(
                        "yaml/alias",
                        pos,
                        "alias refers to an unknown or enclosing anchor",
                    )));
                };
                self.alias_nodes += *count;
                if self.alias_nodes > ALIAS_NODE_BUDGET {
                    return Err(Box::new(Diagnostic::error(
                        "yaml/alias",
                        pos,
                        format!("aliases expand to more than {ALIAS_NODE_BUDGET} nodes"),
                    )));
                }
                if self.stack.len() + depth > MAX_DEPTH {
                    return Err(too_deep(pos));
                }
                let mut node = node.clone();
                node.pos = pos;
                self.complete(node, false);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                return Err(too_deep(pos));
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                pos,
                anchor,
                entries: Vec::new(),
                keys: Keys::default(),
                pending: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => {
                        (Node::new(Value::Seq(items), pos), anchor)
                    }
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => (Node::new(Value::Map(entries), pos), anchor),
                    None => {
                        return Err(Box::new(Diagnostic::error(
                            "yaml/syntax",
                            pos,
                            "unbalanced collection end",
                        )));
                    }
                };
                self.remember(anchor, &node);
                self.complete(node, false);
            }
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), node.count(), node.depth()));
        }
    }

    /// A node is finished: attach it to its parent (or make it the root).
    fn complete(&mut self, node: Node, is_merge: bool) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { pending, .. }) => match pending.take() {
                None => {
                    if matches!(node.value, Value::Seq(_) | Value::Map(_)) {
                        let pointer = self.top_pointer();
                        self.diag(
                            Diagnostic::error(
                                "yaml/complex-key",
                                node.pos,
                                format!("mapping key is a {}, not a scalar; it is read as the string {}", node.kind_name(), node.to_json()),
                            )
                            .with_pointer(pointer),
                        );
                    }
                    if let Some(Frame::Map { pending, .. }) = self.stack.last_mut() {
                        *pending = Some((node, is_merge));
                    }
                }
                Some((_, true)) => self.merge(node),
                Some((key, false)) => self.insert(key, node),
            },
        }
    }

    fn insert(&mut self, key: Node, value: Node) {
        let ks = key.key_cow();
        let found = match self.stack.last() {
            Some(Frame::Map { entries, keys, .. }) => keys.find(entries, &ks),
            _ => return,
        };
        let duplicate = match found {
            Some(i) => match &self.stack.last() {
                Some(Frame::Map { entries, keys, .. }) if keys.origins[i] == Origin::Explicit => {
                    Some(entries[i].0.pos)
                }
                _ => None,
            },
            None => None,
        };
        if let Some(first) = duplicate {
            let pointer = self.top_pointer();
            let d = Diagnostic::error(
                "yaml/duplicate-key",
                key.pos,
                format!(
                    "duplicate key `{ks}` (first defined at line {}); Kubernetes keeps the last value, this one",
                    first.line()
                ),
            )
            .with_hint("the API server rejects duplicate fields under strict field validation (`kubectl apply --validate=strict`, the default); remove one of them")
            .with_pointer(format!("{pointer}/{}", pointer_token(&ks)));
            self.diag(d);
        }
        drop(ks);
        let Some(Frame::Map { entries, keys, .. }) = self.stack.last_mut() else {
            return;
        };
        match found {
            // The last value wins (the key's place and hash stay the same);
            // an explicit key also overrides one brought in by `<<`.
            Some(i) => {
                entries[i] = (key, value);
                keys.origins[i] = Origin::Explicit;
            }
            None => {
                entries.push((key, value));
                let last = &entries[entries.len() - 1].0;
                keys.push(&last.key_cow(), Origin::Explicit, entries);
            }
        }
    }

    fn merge(&mut self, value: Node) {
        let sources: Vec<Node> = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) if items.iter().all(|n| matches!(n.value, Value::Map(_))) => items,
            other => {
                let found = other.kind_name();
                let pointer = self.top_pointer();
                self.diag(
                    Diagnostic::error(
                        "yaml/merge",
                        value.pos,
                        format!("the merge key `<<` needs a mapping or a sequence of mappings, found {found}"),
                    )
                    .with_pointer(format!("{pointer}/{}", pointer_token("<<"))),
                );
                return;
            }
        };
        let Some(Frame::Map { entries, keys, .. }) = self.stack.last_mut() else {
            return;
        };
        for source in sources {
            let Value::Map(src) = source.value else {
                continue;
            };
            for (k, v) in src {
                let ks = k.key_string();
                if keys.find(entries, &ks).is_none() {
                    entries.push((k, v));
                    keys.push(&ks, Origin::Merged, entries);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
