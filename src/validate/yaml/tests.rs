//! Unit tests.
use super::*;

fn one(text: &str) -> Node {
    let parsed = parse(text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.documents.len(), 1);
    parsed.documents.into_iter().next().unwrap().root
}

fn scalar(text: &str) -> Value {
    one(&format!("v: {text}\n")).get("v").unwrap().value.clone()
}

#[test]
fn yaml11_booleans() {
    for t in [
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    ] {
        assert_eq!(scalar(t), Value::Bool(true), "{t}");
    }
    for f in [
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ] {
        assert_eq!(scalar(f), Value::Bool(false), "{f}");
    }
    // Not booleans in YAML 1.1 either.
    assert_eq!(scalar("yES"), Value::Str("yES".into()));
    assert_eq!(scalar("enabled"), Value::Str("enabled".into()));
}

#[test]
fn yaml11_nulls() {
    for n in ["~", "null", "Null", "NULL", ""] {
        assert_eq!(scalar(n), Value::Null, "{n:?}");
    }
    assert_eq!(scalar("nULL"), Value::Str("nULL".into()));
}

#[test]
fn yaml11_integers() {
    assert_eq!(scalar("0644"), Value::Int(420));
    assert_eq!(scalar("0x1F"), Value::Int(31));
    assert_eq!(scalar("0b101"), Value::Int(5));
    assert_eq!(scalar("-0b101"), Value::Int(-5));
    assert_eq!(scalar("0o17"), Value::Int(15));
    assert_eq!(scalar("1_000"), Value::Int(1000));
    assert_eq!(scalar("+12"), Value::Int(12));
    assert_eq!(scalar("-12"), Value::Int(-12));
    assert_eq!(scalar("0"), Value::Int(0));
    assert_eq!(scalar("-9223372036854775808"), Value::Int(i64::MIN));
    // `08` is not octal: go-yaml falls through to the float regex.
    assert_eq!(scalar("08"), Value::Float(8.0));
    assert_eq!(scalar("12abc"), Value::Str("12abc".into()));
    assert_eq!(scalar("1.2.3"), Value::Str("1.2.3".into()));
    assert_eq!(scalar("2024-01-01"), Value::Str("2024-01-01".into()));
    assert_eq!(scalar("1:30"), Value::Str("1:30".into()));
}

#[test]
fn yaml11_floats() {
    assert_eq!(scalar("1.5"), Value::Float(1.5));
    assert_eq!(scalar("1e3"), Value::Float(1000.0));
    assert_eq!(scalar("-2.5E-1"), Value::Float(-0.25));
    assert_eq!(scalar(".5"), Value::Float(0.5));
    assert_eq!(scalar("1."), Value::Float(1.0));
    assert_eq!(scalar(".inf"), Value::Float(f64::INFINITY));
    assert_eq!(scalar("-.Inf"), Value::Float(f64::NEG_INFINITY));
    assert!(matches!(scalar(".NaN"), Value::Float(f) if f.is_nan()));
    assert_eq!(scalar("1e"), Value::Str("1e".into()));
    assert_eq!(scalar("."), Value::Str(".".into()));
}

#[test]
fn quoted_and_block_scalars_are_strings() {
    assert_eq!(scalar("\"yes\""), Value::Str("yes".into()));
    assert_eq!(scalar("'0644'"), Value::Str("0644".into()));
    assert_eq!(scalar("'null'"), Value::Str("null".into()));
    assert_eq!(scalar("\"\""), Value::Str(String::new()));
    assert_eq!(
        one("v: |\n  on\n").get("v").unwrap().value,
        Value::Str("on\n".into())
    );
    assert_eq!(
        one("v: >-\n  123\n").get("v").unwrap().value,
        Value::Str("123".into())
    );
}

#[test]
fn explicit_tags() {
    assert_eq!(scalar("!!str yes"), Value::Str("yes".into()));
    assert_eq!(scalar("!!str 0644"), Value::Str("0644".into()));
    assert_eq!(scalar("!!int \"42\""), Value::Int(42));
    assert_eq!(scalar("!!float 3"), Value::Float(3.0));
    assert_eq!(scalar("!!bool \"on\""), Value::Bool(true));
    assert_eq!(scalar("!!null whatever"), Value::Null);
    assert_eq!(scalar("!custom 12"), Value::Str("12".into()));
    let parsed = parse("v: !!int twelve\n");
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, "yaml/tag");
    assert_eq!(
        parsed.documents[0].root.get("v").unwrap().value,
        Value::Str("twelve".into())
    );
}

#[test]
fn yaml11_fixture_values() {
    let root = one(include_str!(
        "../../../tests/fixtures/manifests/good/yaml11-scalars.yaml"
    ));
    let c = root.lookup("/spec/template/spec/containers/0").unwrap();
    assert_eq!(c.lookup("/stdin").unwrap().value, Value::Bool(true));
    assert_eq!(c.lookup("/tty").unwrap().value, Value::Bool(false));
    assert_eq!(
        c.lookup("/ports/0/containerPort").unwrap().value,
        Value::Int(0x1F90)
    );
    assert_eq!(
        root.lookup("/spec/template/spec/volumes/0/configMap/defaultMode")
            .unwrap()
            .value,
        Value::Int(420)
    );
    assert_eq!(
        root.lookup("/metadata/labels/enabled").unwrap().value,
        Value::Str("yes".into())
    );
    assert_eq!(root.lookup("/spec/replicas").unwrap().value, Value::Int(3));
    assert_eq!(
        root.lookup("/spec/template/spec/terminationGracePeriodSeconds")
            .unwrap()
            .value,
        Value::Int(1000)
    );
}

#[test]
fn duplicate_keys_reported_at_second_key() {
    let text = "a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\na: 5\n";
    let parsed = parse(text);
    let root = &parsed.documents[0].root;
    assert_eq!(
        root.lookup("/a").unwrap().value,
        Value::Int(5),
        "last value kept, as Kubernetes does"
    );
    assert_eq!(root.lookup("/b/c").unwrap().value, Value::Int(4));
    assert_eq!(root.lookup("/b/c").unwrap().pos, Pos::new(5, 6));
    let keys: Vec<String> = root
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.key_string())
        .collect();
    assert_eq!(keys, ["a", "b"], "the entry stays at the first key's place");
    assert_eq!(root.as_map().unwrap().len(), 2);
    let d: Vec<_> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column, d.pointer.as_deref()))
        .collect();
    assert_eq!(
        d,
        vec![
            ("yaml/duplicate-key", 5, 3, Some("/b/c")),
            ("yaml/duplicate-key", 6, 1, Some("/a"))
        ]
    );
    assert!(parsed.diagnostics[0].message.contains("`c`"));
    assert!(
        parsed.diagnostics[0].message.contains("line 3"),
        "{}",
        parsed.diagnostics[0].message
    );
    assert!(parsed.diagnostics[1].message.contains("line 1"));
    assert!(
        parsed.diagnostics[1]
            .message
            .contains("keeps the last value")
    );
    assert!(
        parsed
            .diagnostics
            .iter()
            .all(|d| d.is_error() && d.document == Some(0))
    );
}

/// A mapping of 100,000 keys is read in linear time (the duplicate-key
/// check was quadratic: minutes for this size); duplicates past the
/// indexing threshold are still found and the last value wins.
#[test]
fn large_mappings_are_linear_and_keep_duplicate_checks() {
    let n = 100_000;
    let mut text = String::from("m:\n");
    for i in 0..n {
        text.push_str(&format!("  k{i}: {i}\n"));
    }
    text.push_str("  k3: last\n  k99999: last\n");
    let t = std::time::Instant::now();
    let parsed = parse(&text);
    let took = t.elapsed();
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    let m = parsed.documents[0].root.get("m").unwrap();
    assert_eq!(m.as_map().unwrap().len(), n);
    assert_eq!(m.get("k3").unwrap().as_str(), Some("last"));
    assert_eq!(m.get("k99999").unwrap().as_str(), Some("last"));
    let lines: Vec<usize> = parsed.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [n + 2, n + 3]);
    // Small mappings (scanned, not indexed) too.
    let parsed = parse("a: 1\nb: 2\na: 3\n");
    assert_eq!(parsed.documents[0].root.get("a").unwrap().as_i64(), Some(3));
    assert_eq!(parsed.diagnostics.len(), 1);
}

#[test]
fn documents_are_handed_over_one_at_a_time() {
    let mut seen = Vec::new();
    let diags = parse_with("a: 1\n---\nb: [\n", |d| seen.push(d.index));
    assert_eq!(seen, [0]);
    assert_eq!(diags[0].code, "yaml/syntax");
}

#[test]
fn duplicate_keys_fixture() {
    let parsed = parse(include_str!(
        "../../../tests/fixtures/manifests/bad/duplicate-key.yaml"
    ));
    assert_eq!(parsed.documents.len(), 1);
    let d = &parsed.diagnostics;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].code.as_str(), d[0].line, d[0].column),
        ("yaml/duplicate-key", 19, 11)
    );
    assert_eq!(
        d[0].pointer.as_deref(),
        Some("/spec/template/spec/containers/0/image")
    );
    assert!(d[0].message.contains("line 18"), "{}", d[0].message);
}

#[test]
fn spans_of_nested_nodes() {
    let text = "\
# leading comment
kind: Pod
spec:
  containers:
    - name: web   # trailing comment
      ports: [{containerPort: 80}, {containerPort: 443}]
      args:
      - \"-v\"
";
    let root = one(text);
    assert_eq!(root.pos, Pos::new(2, 1));
    let (k, v) = root.entry("spec").unwrap();
    assert_eq!((k.pos, v.pos), (Pos::new(3, 1), Pos::new(4, 3)));
    assert_eq!(root.lookup("/spec/containers").unwrap().pos, Pos::new(5, 5));
    assert_eq!(
        root.lookup("/spec/containers/0").unwrap().pos,
        Pos::new(5, 7)
    );
    assert_eq!(
        root.lookup("/spec/containers/0/name").unwrap().pos,
        Pos::new(5, 13)
    );
    assert_eq!(
        root.lookup("/spec/containers/0/ports").unwrap().pos,
        Pos::new(6, 14)
    );
    assert_eq!(
        root.lookup("/spec/containers/0/ports/1").unwrap().pos,
        Pos::new(6, 36)
    );
    assert_eq!(
        root.lookup("/spec/containers/0/ports/1/containerPort")
            .unwrap()
            .pos,
        Pos::new(6, 52)
    );
    assert_eq!(
        root.lookup("/spec/containers/0/args/0").unwrap().pos,
        Pos::new(8, 9)
    );
    assert_eq!(
        root.lookup("/spec/containers/0/args/0").unwrap().as_str(),
        Some("-v")
    );
    assert!(root.lookup("/spec/containers/1").is_none());
    assert!(root.lookup("/spec/containers/00").is_none());
    assert!(root.lookup("spec").is_none());
}

#[test]
fn multi_document_indices() {
    let text = "\
---
a: 1
---
# only a comment
---
---
b: 2
...
--- ~
---
[1, 2]
";
    let parsed = parse(text);
    assert!(parsed.diagnostics.is_empty());
    let idx: Vec<_> = parsed
        .documents
        .iter()
        .map(|d| (d.index, d.start.line(), d.root.kind_name()))
        .collect();
    assert_eq!(
        idx,
        vec![(0, 1, "object"), (3, 6, "object"), (5, 10, "array")]
    );
    assert_eq!(parsed.documents[1].root.get("b").unwrap().as_i64(), Some(2));
    // Implicit first document.
    let parsed = parse("# c\nx: y\n---\nz: 1\n");
    let idx: Vec<_> = parsed
        .documents
        .iter()
        .map(|d| (d.index, d.start))
        .collect();
    assert_eq!(idx, vec![(0, Pos::new(2, 1)), (1, Pos::new(3, 1))]);
    assert!(parse("").documents.is_empty());
    assert!(parse("# nothing\n").documents.is_empty());
}

#[test]
fn syntax_error_keeps_earlier_documents() {
    let text = "a: 1\n---\nb: [1, 2\nc: 3\n";
    let parsed = parse(text);
    assert_eq!(parsed.documents.len(), 1);
    assert_eq!(parsed.documents[0].root.get("a").unwrap().as_i64(), Some(1));
    assert_eq!(parsed.diagnostics.len(), 1);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.code, "yaml/syntax");
    assert!(d.is_error());
    assert_eq!((d.line, d.column, d.document), (4, 2, Some(1)));
    assert!(!d.message.is_empty());

    let parsed = parse("a: 1\n  b: 2\n");
    assert!(parsed.documents.is_empty());
    assert_eq!(
        (
            parsed.diagnostics[0].code.as_str(),
            parsed.diagnostics[0].line
        ),
        ("yaml/syntax", 2)
    );
}

#[test]
fn syntax_error_fixture() {
    let parsed = parse(include_str!(
        "../../../tests/fixtures/manifests/bad/syntax-error.yaml"
    ));
    assert_eq!(
        parsed.documents.len(),
        1,
        "the ConfigMap before the error survives"
    );
    assert_eq!(parsed.documents[0].root.get_str("kind"), Some("ConfigMap"));
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, "yaml/syntax");
    assert_eq!(parsed.diagnostics[0].line, 14);
}

#[test]
fn anchors_aliases_and_merge() {
    let text = "\
base: &base
  image: nginx
  imagePullPolicy: Always
  ports: &ports [80]
one:
  <<: *base
  imagePullPolicy: Never
two:
  name: x
  <<: [*base, {name: ignored, extra: 1}]
p: *ports
";
    let root = one(text);
    let j = root.to_json();
    assert_eq!(
        j["one"],
        serde_json::json!({"image": "nginx", "imagePullPolicy": "Never", "ports": [80]})
    );
    assert_eq!(
        j["two"],
        serde_json::json!({"name": "x", "image": "nginx", "imagePullPolicy": "Always", "ports": [80], "extra": 1})
    );
    assert_eq!(j["p"], serde_json::json!([80]));
    // The alias node sits where it is used.
    assert_eq!(root.get("p").unwrap().pos, Pos::new(11, 4));

    let parsed = parse("a: &x 1\nb:\n  <<: *x\n");
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, "yaml/merge");
}

#[test]
fn alias_bomb_is_stopped() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = i - 1;
        text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
    }
    let parsed = parse(&text);
    assert!(parsed.documents.is_empty());
    assert_eq!(parsed.diagnostics.last().unwrap().code, "yaml/alias");
}

#[test]
fn keys_and_json() {
    let root = one("1: one\ntrue: yes\n\"x/y\": {z~: [1, 2.5, null, \"s\"]}\n");
    assert_eq!(root.get("1").unwrap().as_str(), Some("one"));
    assert_eq!(root.get("true").unwrap().as_bool(), Some(true));
    assert_eq!(root.lookup("/x~1y/z~0/1").unwrap().value, Value::Float(2.5));
    assert_eq!(
        root.to_json(),
        serde_json::json!({"1": "one", "true": true, "x/y": {"z~": [1, 2.5, null, "s"]}})
    );
    assert_eq!(
        [
            Value::Null,
            Value::Bool(true),
            Value::Int(1),
            Value::Float(1.0),
            Value::Str(String::new())
        ]
        .iter()
        .map(Value::kind_name)
        .collect::<Vec<_>>(),
        ["null", "boolean", "integer", "number", "string"]
    );
    // `1` and "1" are the same key once the document becomes JSON.
    let parsed = parse("1: a\n\"1\": b\n");
    assert_eq!(parsed.diagnostics[0].code, "yaml/duplicate-key");
    let parsed = parse("? [a, b]\n: c\n");
    assert_eq!(parsed.diagnostics[0].code, "yaml/complex-key");
    assert_eq!(
        parsed.documents[0].root.to_json(),
        serde_json::json!({"[\"a\",\"b\"]": "c"})
    );
}

#[test]
fn bom_and_crlf() {
    let root = one("\u{feff}a: 1\r\nb: on\r\n");
    assert_eq!(root.pos, Pos::new(1, 1));
    assert_eq!(root.get("b").unwrap().as_bool(), Some(true));
    assert_eq!(root.entry("b").unwrap().0.pos, Pos::new(2, 1));
}

/// `depth` levels of block sequences under `x:`.
fn nested(depth: usize) -> String {
    let mut s = String::from("x:\n");
    for i in 0..depth - 1 {
        s.push_str(&" ".repeat(i + 1));
        s.push_str("-\n");
    }
    s
}

#[test]
fn nesting_deeper_than_the_limit_is_one_finding_not_a_stack_overflow() {
    // MAX_DEPTH levels (the root mapping is one) parse whole.
    let parsed = parse(&nested(MAX_DEPTH));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.documents[0].root.depth(), MAX_DEPTH);
    // One more, or many more (which overflowed the stack before), is refused at the
    // first level too deep.
    for depth in [MAX_DEPTH + 1, 20 * MAX_DEPTH] {
        let parsed = parse(&nested(depth));
        assert!(parsed.documents.is_empty());
        let d = &parsed.diagnostics[..];
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].code.as_str(), d[0].line),
            ("yaml/syntax", MAX_DEPTH + 1)
        );
        assert!(
            d[0].message.contains("nested more than 1000 levels"),
            "{}",
            d[0].message
        );
    }
}

#[test]
fn aliases_cannot_nest_deeper_than_the_limit() {
    // Each anchor holds 600 levels and the alias of the one before: 600, 1200, ...
    let mut text = String::from("a0: &a0 [1]\n");
    for k in 1..4 {
        text.push_str(&format!("a{k}: &a{k}\n"));
        for i in 0..599 {
            text.push_str(&" ".repeat(i + 1));
            text.push_str("-\n");
        }
        text.push_str(&" ".repeat(601));
        text.push_str(&format!("- *a{}\n", k - 1));
    }
    let parsed = parse(&text);
    let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["yaml/syntax"], "{:?}", parsed.diagnostics);
    assert!(parsed.documents.is_empty());
}

/// The tree and findings of `text` read by the YAML parser only.
fn yaml_only(text: &str) -> Parsed {
    let mut documents = Vec::new();
    let diagnostics = read(text, false, |d| documents.push(d));
    Parsed {
        documents,
        diagnostics,
    }
}

#[test]
fn json_is_read_into_the_same_tree_as_the_yaml_parser_gives() {
    for text in [
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"a":"1","b":2}}"#,
        "{\n  \"a\": [1, -2, 3.5, -0.25, 10, true, false, null, \"x\"],\n  \"b\": {},\n  \"c\": []\n}\n",
        r#"{"esc":"q\"b\\s\/n\nt\tu\u00e9\u2603 end","yes":"yes"}"#,
        // Not JSON (a bare `on`): read by the YAML parser either way.
        r#"{"yes":"yes","on":on}"#,
        "{\"ünï\": \"çødé\", \"after\": [\"é\", 1]}",
        r#"{"a":1,"a":2,"b":{"c":[[[]],{"d":"e"}]}}"#,
        "[{\"k\": \"v\"},\n {\"k\": \"w\"}]",
        "  {\"padded\": 1}  \n",
    ] {
        let json = parse(text);
        let yaml = yaml_only(text);
        assert_eq!(json::is_json(text), !text.contains(":on"), "{text}");
        assert_eq!(json, yaml, "{text}");
        assert!(!json.documents.is_empty(), "{text}");
    }
    // A surrogate pair, which the YAML parser refuses: decoded as serde_json decodes it.
    let text = r#"{"s":"a \ud83d\ude00 \u00e9 \"q\" \\ z"}"#;
    let want: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(one(text).to_json(), want);
}

#[test]
fn json_numbers_read_as_kubernetes_decodes_them() {
    let root = one(r#"{"i":42,"n":-7,"f":1.5,"e":1e3,"E":2.5E-1,"big":12345678901234567890}"#);
    assert_eq!(root.get("i").unwrap().value, Value::Int(42));
    assert_eq!(root.get("n").unwrap().value, Value::Int(-7));
    assert_eq!(root.get("f").unwrap().value, Value::Float(1.5));
    assert_eq!(root.get("e").unwrap().value, Value::Float(1000.0));
    assert_eq!(root.get("E").unwrap().value, Value::Float(0.25));
    // As the YAML parser reads the same digits.
    let yaml = yaml_only(r#"{"big":12345678901234567890}"#);
    assert_eq!(
        root.get("big").unwrap().value,
        yaml.documents[0].root.get("big").unwrap().value
    );
}

#[test]
fn a_large_json_list_keeps_positions_and_limits() {
    // Deeper than the limit, or far deeper: one finding, no document, no overflow.
    for n in [MAX_DEPTH + 1, 200_000] {
        let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let parsed = parse(&deep);
        let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["yaml/syntax"]);
        assert!(parsed.documents.is_empty());
    }
    let text = format!(
        "{{\"kind\":\"List\",\"items\":[{}]}}",
        (0..3)
            .map(|i| format!("{{\"name\":\"n{i}\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let root = one(&text);
    let items = root.get("items").unwrap().as_seq().unwrap();
    let cols: Vec<usize> = items
        .iter()
        .map(|n| n.get("name").unwrap().pos.column())
        .collect();
    // `{"name":` ends at column 32 of the first item, and each item is 14 wide.
    assert_eq!(cols, [33, 47, 61]);
    assert_eq!(root, yaml_only(&text).documents[0].root);
}
