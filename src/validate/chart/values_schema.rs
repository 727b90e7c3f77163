//! `values.schema.json` for the built-in renderer: the merged values
//! against the chart's JSON Schema, as `helm template` checks them (helm
//! does this itself when it renders). The keywords implemented are the
//! structural ones (`type`, `properties`, `required`, `additionalProperties`,
//! `items`, `enum`, `const`, numeric and length bounds, `pattern`); a
//! schema using any other assertion (`$ref`, `allOf`, ...) is not checked,
//! and says so (the chart is then not fully checked).

use serde_json::Value as J;

use super::gofmt::go_float;

/// Keywords that assert nothing (annotations) and are safe to skip.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "format",
    "readOnly",
    "writeOnly",
    "deprecated",
    "definitions",
    "$defs",
];

const IMPLEMENTED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
];

/// A keyword the checker does not implement, with its JSON pointer in the
/// schema, if the schema uses one.
pub(super) fn unsupported_keyword(schema: &J) -> Option<String> {
    fn walk(s: &J, at: &str) -> Option<String> {
        let J::Object(m) = s else { return None };
        for (k, v) in m {
            let here = format!("{at}/{k}");
            if ANNOTATIONS.contains(&k.as_str()) {
                continue;
            }
            if !IMPLEMENTED.contains(&k.as_str()) {
                return Some(format!("`{k}` (at {here})"));
            }
            let found = match k.as_str() {
                "properties" => v.as_object().and_then(|props| {
                    props
                        .iter()
                        .find_map(|(name, sub)| walk(sub, &format!("{here}/{name}")))
                }),
                "additionalProperties" | "items" => walk(v, &here),
                // Go's regexp and Rust's regex share RE2's syntax; a pattern
                // neither reads is not checked.
                "pattern" => match v.as_str().map(regex::Regex::new) {
                    Some(Ok(_)) => None,
                    _ => Some(format!("the pattern at {here}")),
                },
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
    walk(schema, "")
}

/// Violations: (JSON pointer into the values, message in helm's words).
pub(super) fn check(schema: &J, values: &J) -> Vec<(String, String)> {
    let mut out = Vec::new();
    validate(schema, values, "", &mut out);
    out
}

fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn is_type(v: &J, t: &str) -> bool {
    let actual = type_name(v);
    actual == t || (t == "number" && actual == "integer")
}

fn validate(schema: &J, v: &J, at: &str, out: &mut Vec<(String, String)>) {
    let J::Object(s) = schema else {
        if schema == &J::Bool(false) {
            out.push((at.to_owned(), "false schema".to_owned()));
        }
        return;
    };
    let shown = if at.is_empty() { "''" } else { at };
    if let Some(t) = s.get("type") {
        let wanted: Vec<&str> = match t {
            J::String(one) => vec![one.as_str()],
            J::Array(many) => many.iter().filter_map(J::as_str).collect(),
            _ => Vec::new(),
        };
        if !wanted.is_empty() && !wanted.iter().any(|w| is_type(v, w)) {
            out.push((
                at.to_owned(),
                format!(
                    "at {shown}: got {}, want {}",
                    type_name(v),
                    wanted.join(" or ")
                ),
            ));
            return;
        }
    }
    if let Some(J::Array(allowed)) = s.get("enum")
        && !allowed.contains(v)
    {
        out.push((
            at.to_owned(),
            format!(
                "at {shown}: value must be one of {}",
                J::Array(allowed.clone())
            ),
        ));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        out.push((at.to_owned(), format!("at {shown}: value must be {c}")));
    }
    if let Some(n) = v.as_f64() {
        let bound = |k: &str| s.get(k).and_then(J::as_f64);
        if let Some(m) = bound("minimum").filter(|m| n < *m) {
            out.push((
                at.to_owned(),
                format!(
                    "at {shown}: minimum: got {}, want {}",
                    go_float(n),
                    go_float(m)
                ),
            ));
        }
        if let Some(m) = bound("maximum").filter(|m| n > *m) {
            out.push((
                at.to_owned(),
                format!(
                    "at {shown}: maximum: got {}, want {}",
                    go_float(n),
                    go_float(m)
                ),
            ));
        }
        if let Some(m) = bound("exclusiveMinimum").filter(|m| n <= *m) {
            out.push((
                at.to_owned(),
                format!(
                    "at {shown}: exclusiveMinimum: got {}, want {}",
                    go_float(n),
                    go_float(m)
                ),
            ));
        }
        if let Some(m) = bound("exclusiveMaximum").filter(|m| n >= *m) {
            out.push((
                at.to_owned(),
                format!(
                    "at {shown}: exclusiveMaximum: got {}, want {}",
                    go_float(n),
                    go_float(m)
                ),
            ));
        }
    }
    let count = |k: &str| s.get(k).and_then(J::as_u64).map(|n| n as usize);
    if let J::String(text) = v {
        if let Some(p) = s.get("pattern").and_then(J::as_str)
            && let Ok(re) = regex::Regex::new(p)
            && !re.is_match(text)
        {
            out.push((
                at.to_owned(),
                format!("at {shown}: '{text}' does not match pattern '{p}'"),
            ));
        }
        let len = text.chars().count();
        if let Some(m) = count("minLength").filter(|m| len < *m) {
            out.push((
                at.to_owned(),
                format!("at {shown}: minLength: got {len}, want {m}"),
            ));
        }
        if let Some(m) = count("maxLength").filter(|m| len > *m) {
            out.push((
                at.to_owned(),
                format!("at {shown}: maxLength: got {len}, want {m}"),
            ));
        }
    }
    if let J::Array(items) = v {
        if let Some(m) = count("minItems").filter(|m| items.len() < *m) {
            out.push((
                at.to_owned(),
                format!("at {shown}: minItems: got {}, want {m}", items.len()),
            ));
        }
        if let Some(m) = count("maxItems").filter(|m| items.len() > *m) {
            out.push((
                at.to_owned(),
                format!("at {shown}: maxItems: got {}, want {m}", items.len()),
            ));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(item_schema, item, &format!("{at}/{i}"), out);
            }
        }
    }
    if let J::Object(map) = v {
        if let Some(J::Array(req)) = s.get("required") {
            for r in req.iter().filter_map(J::as_str) {
                if !map.contains_key(r) {
                    out.push((at.to_owned(), format!("at {shown}: missing property '{r}'")));
                }
            }
        }
        let props = s.get("properties").and_then(J::as_object);
        for (k, sub) in map {
            let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            match props.and_then(|p| p.get(k)) {
                Some(p) => validate(p, sub, &here, out),
                None => match s.get("additionalProperties") {
                    Some(J::Bool(false)) => out.push((
                        at.to_owned(),
                        format!("at {shown}: additional property '{k}' not allowed"),
                    )),
                    Some(extra @ J::Object(_)) => validate(extra, sub, &here, out),
                    _ => {}
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_in_helms_words() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["name", "employment"],
            "properties": {
                "age": {"type": "integer", "minimum": 0},
                "name": {"type": "string", "minLength": 1},
                "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
                "opts": {"type": "object", "additionalProperties": false, "properties": {"x": {"type": "boolean"}}}
            }
        });
        assert_eq!(unsupported_keyword(&schema), None);
        let v = json!({"age": -5.0, "name": "", "tags": ["a", "c"], "opts": {"x": true, "y": 1}});
        let found: Vec<String> = check(&schema, &v).into_iter().map(|(_, m)| m).collect();
        assert_eq!(
            found,
            [
                "at '': missing property 'employment'",
                "at /age: minimum: got -5, want 0",
                "at /name: minLength: got 0, want 1",
                "at /tags/1: value must be one of [\"a\",\"b\"]",
                "at /opts: additional property 'y' not allowed",
            ]
        );
        assert!(check(&schema, &json!({"name": "n", "employment": {}, "age": 3.0})).is_empty());
        assert_eq!(
            check(&schema, &json!({"name": "n", "employment": {}, "age": 1.5})),
            [(
                "/age".to_owned(),
                "at /age: got number, want integer".to_owned()
            )]
        );
    }

    #[test]
    fn unsupported_keywords_are_named() {
        assert_eq!(
            unsupported_keyword(&json!({"properties": {"a": {"pattern": "^x"}}})),
            None
        );
        assert_eq!(
            unsupported_keyword(&json!({"properties": {"a": {"pattern": "(?<=x)"}}})).as_deref(),
            Some("the pattern at /properties/a/pattern")
        );
        assert_eq!(
            check(&json!({"pattern": "^[a-z]+$"}), &json!("Abc")),
            [(
                String::new(),
                "at '': 'Abc' does not match pattern '^[a-z]+$'".to_owned()
            )]
        );
        assert_eq!(
            unsupported_keyword(&json!({"$ref": "#/definitions/x"})).as_deref(),
            Some("`$ref` (at /$ref)")
        );
    }
}
