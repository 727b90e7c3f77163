//! Compiling the vendored JSON Schemas into an arena of nodes, every
//! `$ref` resolved to an index.

#[allow(unused_imports)]
use super::*;

pub(super) struct Compiler<'a> {
    nodes: Vec<SchemaNode>,
    def_index: HashMap<&'a str, u32>,
}

impl<'a> Compiler<'a> {
    pub(super) fn compile(
        version: &'static str,
        doc: &'a serde_json::Value,
    ) -> Result<Schemas, String> {
        let defs = doc
            .get("$defs")
            .and_then(|d| d.as_object())
            .ok_or("no `$defs` object")?;
        let mut c = Compiler {
            nodes: Vec::with_capacity(defs.len() * 8),
            def_index: HashMap::with_capacity(defs.len()),
        };
        for (i, name) in defs.keys().enumerate() {
            c.def_index.insert(name.as_str(), i as u32);
            c.nodes.push(SchemaNode::any());
        }
        let mut kinds = HashMap::new();
        let mut api_versions_of: HashMap<String, Vec<String>> = HashMap::new();
        for (i, (name, def)) in defs.iter().enumerate() {
            let mut node = c.node(def)?;
            node.name = Some(name.as_str().into());
            c.nodes[i] = node;
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
                api_versions_of
                    .entry(kind.to_owned())
                    .or_default()
                    .push(api_version.clone());
                kinds.insert((api_version, kind.to_owned()), i as u32);
            }
        }
        for list in api_versions_of.values_mut() {
            list.sort();
            list.dedup();
        }
        let mut nodes = c.nodes;
        nodes.shrink_to_fit();
        Ok(Schemas {
            version,
            nodes,
            kinds,
            api_versions_of,
        })
    }

    /// Compile a subschema and return its index; a bare `{"$ref": ...}` is
    /// just the referenced definition's index.
    fn sub(&mut self, v: &'a serde_json::Value) -> Result<u32, String> {
        if let Some(obj) = v.as_object()
            && obj.len() == 1
            && let Some(r) = obj.get("$ref")
        {
            return self.reference(r);
        }
        let node = self.node(v)?;
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as u32)
    }

    fn reference(&self, r: &serde_json::Value) -> Result<u32, String> {
        let r = r.as_str().ok_or("`$ref` is not a string")?;
        let name = r
            .rsplit_once("#/$defs/")
            .map(|(_, n)| n)
            .ok_or_else(|| format!("unsupported $ref `{r}`"))?;
        self.def_index
            .get(name)
            .copied()
            .ok_or_else(|| format!("dangling $ref `{r}`"))
    }

    fn node(&mut self, v: &'a serde_json::Value) -> Result<SchemaNode, String> {
        let mut node = SchemaNode::any();
        let obj = match v {
            serde_json::Value::Bool(true) => return Ok(node),
            serde_json::Value::Bool(false) => {
                node.types = 0;
                return Ok(node);
            }
            serde_json::Value::Object(obj) => obj,
            other => return Err(format!("schema is not an object: {other}")),
        };
        if let Some(t) = obj.get("type") {
            node.types = match t {
                serde_json::Value::String(s) => {
                    type_bit(s).ok_or_else(|| format!("unknown type `{s}`"))?
                }
                serde_json::Value::Array(list) => {
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
            if node.types & T_NUMBER != 0 {
                node.types |= T_INTEGER;
            }
        }
        if let Some(r) = obj.get("$ref") {
            node.reference = Some(self.reference(r)?);
        }
        if let Some(props) = obj.get("properties") {
            let props = props.as_object().ok_or("`properties` is not an object")?;
            let mut list = Vec::with_capacity(props.len());
            for (name, sub) in props {
                list.push((Box::<str>::from(name.as_str()), self.sub(sub)?));
            }
            list.sort_by(|a, b| a.0.cmp(&b.0));
            node.properties = list.into_boxed_slice();
        }
        node.additional = match obj.get("additionalProperties") {
            None | Some(serde_json::Value::Bool(true)) => Additional::Any,
            Some(serde_json::Value::Bool(false)) => Additional::Forbidden,
            Some(sub) => Additional::Schema(self.sub(sub)?),
        };
        if let Some(items) = obj.get("items") {
            node.items = Some(self.sub(items)?);
        }
        if let Some(req) = obj.get("required") {
            let req = req.as_array().ok_or("`required` is not an array")?;
            node.required = req
                .iter()
                .filter_map(|r| r.as_str())
                .map(Box::from)
                .collect();
        }
        if let Some(e) = obj.get("enum") {
            node.enumeration = Some(
                e.as_array()
                    .ok_or("`enum` is not an array")?
                    .clone()
                    .into_boxed_slice(),
            );
        }
        if let Some(one_of) = obj.get("oneOf") {
            let list = one_of.as_array().ok_or("`oneOf` is not an array")?;
            node.one_of = list.iter().map(|s| self.sub(s)).collect::<Result<_, _>>()?;
        }
        Ok(node)
    }
}
