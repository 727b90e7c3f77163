//! Compiling the vendored JSON Schemas into the blob described in
//! `layout.rs`: every subschema a node, every `$ref` a definition id.
//! `build.rs` runs this over `schemas/v1.NN.json.gz` at build time (this
//! file is shared with it, so it depends on `std` and `serde_json` only);
//! the tests run it on synthetic schemas.

use std::collections::{BTreeMap, HashMap};

use super::layout::*;

type Json = serde_json::Value;

/// Builds one blob holding the schemas of several Kubernetes versions.
#[derive(Default)]
pub(crate) struct Writer {
    strings: Vec<u8>,
    str_starts: Vec<u32>,
    str_ids: HashMap<String, u32>,
    /// Global definition ids, by name (across all versions).
    def_ids: HashMap<String, u32>,
    nodes: Vec<[u32; NODE_WORDS]>,
    node_ids: HashMap<[u32; NODE_WORDS], u32>,
    props: Vec<u32>,
    prop_lists: HashMap<Vec<u32>, u32>,
    ids: Vec<u32>,
    id_lists: HashMap<Vec<u32>, u32>,
    versions: Vec<VersionTables>,
}

/// One version: its name, def id -> root node, (apiVersion, kind) -> root node.
type VersionTables = (u32, HashMap<u32, u32>, BTreeMap<(String, String), u32>);

/// The definitions of the version being compiled (for `$ref` checks).
struct Version<'a> {
    defs: &'a serde_json::Map<String, Json>,
}

impl Writer {
    /// Add the schemas of one version (`{"$defs": {...}}`).
    pub(crate) fn add_version(&mut self, version: &str, doc: &Json) -> Result<(), String> {
        let defs = doc
            .get("$defs")
            .and_then(|d| d.as_object())
            .ok_or("no `$defs` object")?;
        let v = Version { defs };
        let mut roots = HashMap::with_capacity(defs.len());
        let mut kinds = BTreeMap::new();
        for (name, def) in defs {
            let mut node = self.node(&v, def)?;
            node[N_NAME] = self.string(name);
            let root = self.intern_node(node);
            roots.insert(self.def_id(name), root);
            for gvk in def
                .get("x-kubernetes-group-version-kind")
                .and_then(|g| g.as_array())
                .into_iter()
                .flatten()
            {
                let field = |k: &str| gvk.get(k).and_then(|v| v.as_str()).unwrap_or_default();
                let (group, ver, kind) = (field("group"), field("version"), field("kind"));
                let api_version = if group.is_empty() {
                    ver.to_owned()
                } else {
                    format!("{group}/{ver}")
                };
                // As in a map filled in definition order: the last one wins.
                kinds.insert((api_version, kind.to_owned()), root);
            }
        }
        let name = self.string(version);
        self.versions.push((name, roots, kinds));
        Ok(())
    }

    /// The blob.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let n_defs = self.def_ids.len();
        let mut version_rows = Vec::new();
        let mut version_tables = Vec::new();
        for (name, roots, kinds) in std::mem::take(&mut self.versions) {
            let mut defs = vec![NONE; n_defs];
            for (id, root) in roots {
                defs[id as usize] = root;
            }
            let mut triples = Vec::with_capacity(kinds.len() * 3);
            for ((api, kind), root) in &kinds {
                triples.extend([self.string(api), self.string(kind), root.to_owned()]);
            }
            version_rows.push((name, kinds.len()));
            version_tables.push((defs, triples));
        }
        self.str_starts.push(self.strings.len() as u32);
        while !self.strings.len().is_multiple_of(4) {
            self.strings.push(0);
        }
        let mut out = vec![0u32; HEADER_WORDS];
        fn words(out: &mut Vec<u32>, table: &[u32]) -> u32 {
            let at = out.len() * 4;
            out.extend_from_slice(table);
            at as u32
        }
        out[H_MAGIC] = MAGIC;
        let strings: Vec<u32> = self
            .strings
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("padded to 4")))
            .collect();
        out[H_STRINGS] = words(&mut out, &strings);
        out[H_STRINGS_LEN] = *self.str_starts.last().expect("sentinel");
        out[H_STR_STARTS] = words(&mut out, &self.str_starts);
        out[H_N_STRS] = (self.str_starts.len() - 1) as u32;
        let flat: Vec<u32> = self.nodes.iter().flatten().copied().collect();
        out[H_NODES] = words(&mut out, &flat);
        out[H_N_NODES] = self.nodes.len() as u32;
        out[H_PROPS] = words(&mut out, &self.props);
        out[H_IDS] = words(&mut out, &self.ids);
        out[H_N_DEFS] = n_defs as u32;
        let mut rows = Vec::new();
        for ((name, n_kinds), (defs, triples)) in version_rows.into_iter().zip(version_tables) {
            let defs_at = words(&mut out, &defs);
            let kinds_at = words(&mut out, &triples);
            rows.extend([name, defs_at, kinds_at, n_kinds as u32]);
        }
        out[H_N_VERSIONS] = (rows.len() / VERSION_WORDS) as u32;
        out[H_VERSIONS] = words(&mut out, &rows);
        out.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn string(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.str_ids.get(s) {
            return id;
        }
        let id = self.str_starts.len() as u32;
        self.str_starts.push(self.strings.len() as u32);
        self.strings.extend_from_slice(s.as_bytes());
        self.str_ids.insert(s.to_owned(), id);
        id
    }

    fn def_id(&mut self, name: &str) -> u32 {
        let next = self.def_ids.len() as u32;
        *self.def_ids.entry(name.to_owned()).or_insert(next)
    }

    fn intern_node(&mut self, node: [u32; NODE_WORDS]) -> u32 {
        if let Some(&i) = self.node_ids.get(&node) {
            return i;
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(node);
        self.node_ids.insert(node, i);
        i
    }

    /// A list in a table, stored once: (start word, number of entries of
    /// `per` words); empty lists are (0, 0).
    fn list(
        table: &mut Vec<u32>,
        seen: &mut HashMap<Vec<u32>, u32>,
        list: Vec<u32>,
        per: usize,
    ) -> (u32, u32) {
        if list.is_empty() {
            return (0, 0);
        }
        let len = (list.len() / per) as u32;
        if let Some(&at) = seen.get(&list) {
            return (at, len);
        }
        let at = table.len() as u32;
        table.extend_from_slice(&list);
        seen.insert(list, at);
        (at, len)
    }

    /// Compile a subschema; a bare `{"$ref": ...}` is just the definition.
    fn sub(&mut self, v: &Version<'_>, s: &Json) -> Result<u32, String> {
        if let Some(obj) = s.as_object()
            && obj.len() == 1
            && let Some(r) = obj.get("$ref")
        {
            return self.reference(v, r);
        }
        let node = self.node(v, s)?;
        Ok(self.intern_node(node))
    }

    fn reference(&mut self, v: &Version<'_>, r: &Json) -> Result<u32, String> {
        let r = r.as_str().ok_or("`$ref` is not a string")?;
        let name = r
            .rsplit_once("#/$defs/")
            .map(|(_, n)| n)
            .ok_or_else(|| format!("unsupported $ref `{r}`"))?;
        if !v.defs.contains_key(name) {
            return Err(format!("dangling $ref `{r}`"));
        }
        Ok(DEF_FLAG | self.def_id(name))
    }

    fn node(&mut self, v: &Version<'_>, s: &Json) -> Result<[u32; NODE_WORDS], String> {
        let mut node = [0u32; NODE_WORDS];
        node[N_TYPES] = T_ANY;
        for w in [N_REF, N_ADDITIONAL, N_ITEMS, N_ENUM, N_NAME] {
            node[w] = NONE;
        }
        let obj = match s {
            Json::Bool(true) => return Ok(node),
            Json::Bool(false) => {
                node[N_TYPES] = 0;
                return Ok(node);
            }
            Json::Object(obj) => obj,
            other => return Err(format!("schema is not an object: {other}")),
        };
        if let Some(t) = obj.get("type") {
            let mut bits = match t {
                Json::String(s) => type_bit(s).ok_or_else(|| format!("unknown type `{s}`"))?,
                Json::Array(list) => {
                    let mut bits = 0;
                    for s in list {
                        let s = s.as_str().ok_or("non-string in `type`")?;
                        bits |= type_bit(s).ok_or_else(|| format!("unknown type `{s}`"))?;
                    }
                    bits
                }
                _ => return Err("bad `type`".into()),
            };
            // JSON Schema: every integer is a number.
            if bits & T_NUMBER != 0 {
                bits |= T_INTEGER;
            }
            node[N_TYPES] = bits;
        }
        if let Some(r) = obj.get("$ref") {
            node[N_REF] = self.reference(v, r)?;
        }
        if let Some(props) = obj.get("properties") {
            let props = props.as_object().ok_or("`properties` is not an object")?;
            let mut list = Vec::with_capacity(props.len());
            for (name, sub) in props {
                list.push((name.as_str(), self.sub(v, sub)?));
            }
            list.sort_by(|a, b| a.0.cmp(b.0));
            let flat: Vec<u32> = list
                .into_iter()
                .flat_map(|(name, sub)| [self.string(name), sub])
                .collect();
            let (at, len) = Self::list(&mut self.props, &mut self.prop_lists, flat, 2);
            // The props table holds pairs only: index it by pair.
            (node[N_PROPS], node[N_PROPS_LEN]) = (at / 2, len);
        }
        node[N_ADDITIONAL] = match obj.get("additionalProperties") {
            None | Some(Json::Bool(true)) => NONE,
            Some(Json::Bool(false)) => FORBIDDEN,
            Some(sub) => self.sub(v, sub)?,
        };
        if let Some(items) = obj.get("items") {
            node[N_ITEMS] = self.sub(v, items)?;
        }
        if let Some(req) = obj.get("required") {
            let req = req.as_array().ok_or("`required` is not an array")?;
            let ids: Vec<u32> = req
                .iter()
                .filter_map(|r| r.as_str())
                .map(|r| self.string(r))
                .collect();
            (node[N_REQUIRED], node[N_REQUIRED_LEN]) =
                Self::list(&mut self.ids, &mut self.id_lists, ids, 1);
        }
        if let Some(e) = obj.get("enum") {
            let values = e.as_array().ok_or("`enum` is not an array")?;
            let mut pairs = Vec::with_capacity(values.len() * 2);
            for value in values {
                match value {
                    Json::String(s) => pairs.extend([ENUM_STRING, self.string(s)]),
                    other => pairs.extend([ENUM_JSON, self.string(&other.to_string())]),
                }
            }
            (node[N_ENUM], node[N_ENUM_LEN]) =
                Self::list(&mut self.ids, &mut self.id_lists, pairs, 2);
        }
        if let Some(one_of) = obj.get("oneOf") {
            let list = one_of.as_array().ok_or("`oneOf` is not an array")?;
            let refs = list
                .iter()
                .map(|s| self.sub(v, s))
                .collect::<Result<Vec<_>, _>>()?;
            (node[N_ONE_OF], node[N_ONE_OF_LEN]) =
                Self::list(&mut self.ids, &mut self.id_lists, refs, 1);
        }
        Ok(node)
    }
}
