//! Values as helm reads them: `values.yaml`, `--values` files, `--set`
//! strings, and how they merge.

use serde_json::{Map, Number, Value as J};

use crate::validate::diagnostic::Diagnostic;
use crate::validate::yaml::{self, Node, Value};

/// A values file as helm reads it (YAML 1.1, through JSON: numbers are floats).
pub(super) fn load_values(text: &str) -> (Vec<Diagnostic>, J) {
    let parsed = yaml::parse(text);
    let mut out = parsed.diagnostics;
    let value = match parsed.documents.first() {
        None => J::Object(Map::new()),
        Some(doc) if doc.root.as_map().is_some() => values_json(&doc.root),
        Some(doc) => {
            out.push(
                Diagnostic::error(
                    "chart/values",
                    doc.root.pos,
                    format!("values must be a mapping, found {}", doc.root.kind_name()),
                )
                .with_pointer(""),
            );
            J::Object(Map::new())
        }
    };
    (out, value)
}

/// YAML → the JSON helm's templates see (`sigs.k8s.io/yaml`: numbers become
/// float64).
pub(super) fn values_json(node: &Node) -> J {
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => Number::from_f64(*i as f64).map_or(J::Null, J::Number),
        Value::Float(f) => Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(items.iter().map(values_json).collect()),
        Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.entry(k.key_string()).or_insert_with(|| values_json(v));
            }
            J::Object(m)
        }
    }
}

/// helm's `mergeMaps`: `src` over `dst`, maps merged recursively.
pub(super) fn merge_maps(dst: &mut J, src: J) {
    match (dst, src) {
        (J::Object(d), J::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(existing @ J::Object(_)) if v.is_object() => merge_maps(existing, v),
                    _ => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (dst, src) => *dst = src,
    }
}

/// helm's `coalesceValues`: user values over the chart's defaults; a user
/// `null` deletes the default.
pub(super) fn coalesce(user: J, defaults: &J) -> J {
    let (J::Object(mut u), J::Object(d)) = (user, defaults) else {
        return defaults.clone();
    };
    for (k, dv) in d {
        match u.get(k) {
            None => {
                u.insert(k.clone(), dv.clone());
            }
            Some(J::Null) => {
                u.remove(k);
            }
            Some(J::Object(_)) if dv.is_object() => {
                let uv = u.remove(k).unwrap_or(J::Null);
                u.insert(k.clone(), coalesce(uv, dv));
            }
            Some(_) => {}
        }
    }
    J::Object(u)
}

/// helm's `strvals.typedVal`: `true`/`false`/`null`, integers without a
/// leading zero; everything else stays a string (floats too).
fn typed_val(s: &str) -> J {
    if s.eq_ignore_ascii_case("true") {
        return J::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return J::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return J::Null;
    }
    if s == "0" {
        return J::from(0i64);
    }
    if !s.is_empty()
        && !s.starts_with('0')
        && let Ok(i) = s.parse::<i64>()
    {
        return J::from(i);
    }
    J::String(s.to_owned())
}

enum Seg {
    Key(String),
    Index(usize),
}

/// Parse one `--set` string (helm's strvals) into `into`.
pub(super) fn parse_set(s: &str, into: &mut J) -> Result<(), String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // key path
        let mut path = Vec::new();
        let mut key = String::new();
        loop {
            let Some(&c) = chars.get(i) else {
                return Err(format!("key `{key}` has no value"));
            };
            i += 1;
            match c {
                '\\' => {
                    key.push(*chars.get(i).ok_or("trailing `\\`")?);
                    i += 1;
                }
                '.' => {
                    if key.is_empty() && !matches!(path.last(), Some(Seg::Index(_))) {
                        return Err("empty key".into());
                    }
                    if !key.is_empty() {
                        path.push(Seg::Key(std::mem::take(&mut key)));
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        path.push(Seg::Key(std::mem::take(&mut key)));
                    }
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == ']')
                        .ok_or("missing `]`")?;
                    let idx: String = chars[i..i + close].iter().collect();
                    let n: usize = idx.parse().map_err(|_| format!("bad list index `{idx}`"))?;
                    if n > 65536 {
                        return Err(format!("list index {n} is too large"));
                    }
                    path.push(Seg::Index(n));
                    i += close + 1;
                }
                '=' => {
                    if !key.is_empty() {
                        path.push(Seg::Key(std::mem::take(&mut key)));
                    }
                    break;
                }
                ',' => return Err(format!("key `{key}` has no value")),
                c => key.push(c),
            }
        }
        if path.is_empty() {
            return Err("empty key".into());
        }
        // value
        let value = if chars.get(i) == Some(&'{') {
            let mut items = Vec::new();
            let mut cur = String::new();
            i += 1;
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err("list value misses its closing `}`".into());
                };
                i += 1;
                match c {
                    '\\' => {
                        cur.push(*chars.get(i).ok_or("trailing `\\`")?);
                        i += 1;
                    }
                    ',' => items.push(typed_val(&std::mem::take(&mut cur))),
                    '}' => {
                        items.push(typed_val(&cur));
                        break;
                    }
                    c => cur.push(c),
                }
            }
            match chars.get(i) {
                None => {}
                Some(',') => i += 1,
                Some(c) => return Err(format!("unexpected `{c}` after a list value")),
            }
            J::Array(items)
        } else {
            let mut cur = String::new();
            while let Some(&c) = chars.get(i) {
                i += 1;
                match c {
                    '\\' => {
                        cur.push(*chars.get(i).ok_or("trailing `\\`")?);
                        i += 1;
                    }
                    ',' => break,
                    c => cur.push(c),
                }
            }
            typed_val(&cur)
        };
        set_path(into, &path, value);
    }
    Ok(())
}

fn set_path(target: &mut J, path: &[Seg], value: J) {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return;
    };
    match first {
        Seg::Key(k) => {
            if !target.is_object() {
                *target = J::Object(Map::new());
            }
            let J::Object(m) = target else { return };
            if rest.is_empty() {
                m.insert(k.clone(), value);
            } else {
                let child = m.entry(k.clone()).or_insert(J::Null);
                set_path(child, rest, value);
            }
        }
        Seg::Index(n) => {
            if !target.is_array() {
                *target = J::Array(Vec::new());
            }
            let J::Array(a) = target else { return };
            if a.len() <= *n {
                a.resize(n + 1, J::Null);
            }
            set_path(&mut a[*n], rest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_values_like_helm() {
        let mut v = J::Object(Map::new());
        parse_set(
            "a.b=1,a.c=true,d=007,e=null,f=1.5,g={x,2},h[1]=z,i\\.j=k,l=a\\,b",
            &mut v,
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": {"b": 1, "c": true}, "d": "007", "e": null, "f": "1.5", "g": ["x", 2], "h": [null, "z"], "i.j": "k", "l": "a,b"})
        );
        for bad in ["a", "a.b", "=x", "a[x]=1", "a={x"] {
            assert!(parse_set(bad, &mut J::Object(Map::new())).is_err(), "{bad}");
        }
        // Later files win, maps merge, null deletes a default.
        let (_, defaults) = load_values("a: {b: 1, c: 2}\nd: 3\nl: [1]\n");
        let mut user = J::Object(Map::new());
        merge_maps(&mut user, serde_json::json!({"a": {"b": 10}, "d": null}));
        merge_maps(&mut user, serde_json::json!({"a": {"x": 1}}));
        parse_set("a.b=20", &mut user).unwrap();
        let merged = coalesce(user, &defaults);
        assert_eq!(
            merged,
            serde_json::json!({"a": {"b": 20, "x": 1, "c": 2.0}, "l": [1.0]})
        );
    }
}
