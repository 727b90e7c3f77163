//! Unit tests.
use super::super::diagnostic::{Pos, Severity};
use super::super::yaml::parse;
use super::walk::closest;
use super::*;

fn schemas() -> &'static Schemas {
    Schemas::load(DEFAULT_KUBE_VERSION).expect("default version loads")
}

/// Parse (asserting no YAML findings) and validate every document.
fn run(text: &str) -> Vec<Diagnostic> {
    let parsed = parse(text);
    assert!(
        parsed.diagnostics.is_empty(),
        "yaml: {:?}",
        parsed.diagnostics
    );
    parsed
        .documents
        .iter()
        .flat_map(|d| schemas().validate(d))
        .collect()
}

fn codes(diags: &[Diagnostic]) -> Vec<(&str, usize, usize, &str)> {
    diags
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.line,
                d.column,
                d.pointer.as_deref().unwrap_or(""),
            )
        })
        .collect()
}

const DEPLOYMENT_SERVICE: &str =
    include_str!("../../../tests/fixtures/manifests/good/deployment-service.yaml");

#[test]
fn valid_deployment_and_service_pass() {
    let parsed = parse(DEPLOYMENT_SERVICE);
    assert_eq!(parsed.documents.len(), 2);
    assert_eq!(run(DEPLOYMENT_SERVICE), vec![]);
}

#[test]
fn yaml11_scalars_fixture_passes() {
    assert_eq!(
        run(include_str!(
            "../../../tests/fixtures/manifests/good/yaml11-scalars.yaml"
        )),
        vec![]
    );
}

#[test]
fn unknown_field_at_key_position_with_hint() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/bad/unknown-field.yaml"
    ));
    assert_eq!(
        codes(&diags),
        vec![(
            "schema/unknown-field",
            18,
            11,
            "/spec/template/spec/containers/0/imagePullPolicyy"
        )]
    );
    let d = &diags[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        d.message,
        "unknown field `imagePullPolicyy` in io.k8s.api.core.v1.Container"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `imagePullPolicy`?"));
    assert_eq!(d.document, Some(0));
}

#[test]
fn wrong_type_replicas() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/bad/wrong-type.yaml"
    ));
    assert_eq!(
        codes(&diags),
        vec![("schema/type", 6, 13, "/spec/replicas")]
    );
    assert_eq!(diags[0].message, "expected integer, found string `two`");
}

#[test]
fn missing_required_container_name() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/bad/missing-required.yaml"
    ));
    assert_eq!(
        codes(&diags),
        vec![(
            "schema/required",
            15,
            11,
            "/spec/template/spec/containers/0"
        )]
    );
    assert_eq!(
        diags[0].message,
        "missing required field `name` in io.k8s.api.core.v1.Container"
    );
}

#[test]
fn several_errors_all_reported() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/bad/several-errors.yaml"
    ));
    assert_eq!(
        codes(&diags),
        vec![
            ("schema/type", 7, 14, "/metadata/labels/version"),
            ("schema/type", 9, 13, "/spec/replicas"),
            (
                "schema/unknown-field",
                22,
                11,
                "/spec/template/spec/containers/0/port"
            ),
            (
                "schema/type",
                24,
                30,
                "/spec/template/spec/containers/0/ports/0/containerPort"
            ),
            (
                "schema/type",
                27,
                23,
                "/spec/template/spec/containers/0/resources/limits/memory"
            ),
            (
                "schema/required",
                28,
                11,
                "/spec/template/spec/containers/1"
            ),
            (
                "schema/type",
                29,
                16,
                "/spec/template/spec/containers/1/tty"
            ),
        ]
    );
    let msg: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msg[0], "expected string, found integer `2`");
    assert_eq!(msg[1], "expected integer, found number `1.5`");
    assert_eq!(diags[2].hint.as_deref(), Some("did you mean `ports`?"));
    assert_eq!(msg[3], "expected integer, found string `80`");
    assert!(
        diags[3]
            .hint
            .as_deref()
            .unwrap()
            .contains("remove the quotes")
    );
    assert_eq!(msg[4], "expected number or string, found array");
    assert_eq!(msg[6], "expected boolean, found string `maybe`");
    assert!(diags.iter().all(Diagnostic::is_error));
}

#[test]
fn int_or_string_one_of() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/bad/service-bad-port.yaml"
    ));
    assert_eq!(
        codes(&diags),
        vec![("schema/type", 10, 19, "/spec/ports/0/targetPort")]
    );
    assert_eq!(diags[0].message, "expected integer or string, found array");
    // Both branches fit, and null fits too.
    let ok = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - {port: 80, targetPort: 8080}\n  - {port: 81, targetPort: http}\n  - {port: 82, targetPort: ~}\n";
    assert_eq!(run(ok), vec![]);
}

#[test]
fn yaml12_trap_is_caught() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/bad/yaml12-trap.yaml"
    ));
    assert_eq!(
        codes(&diags),
        vec![("schema/type", 8, 14, "/metadata/labels/feature")]
    );
    assert_eq!(diags[0].message, "expected string, found boolean `true`");
    assert!(diags[0].hint.as_deref().unwrap().contains("quote"));
}

#[test]
fn integral_float_is_an_integer_and_null_follows_type() {
    let base = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {}\n  template: {}\n";
    assert_eq!(run(&format!("{base}  replicas: 2.0\n")), vec![]);
    assert_eq!(run(&format!("{base}  replicas: ~\n")), vec![]);
    assert_eq!(run(&format!("{base}  replicas: 1e1\n")), vec![]);
    // Container.name is `"type": "string"` without null.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name:\n    image: x\n";
    let diags = run(pod);
    assert_eq!(
        codes(&diags),
        vec![("schema/type", 6, 9, "/spec/containers/0/name")]
    );
    assert_eq!(diags[0].message, "expected string, found null");
}

#[test]
fn custom_resource_is_a_warning() {
    let diags = run(include_str!(
        "../../../tests/fixtures/manifests/good/custom-resource.yaml"
    ));
    assert_eq!(codes(&diags), vec![("schema/unknown-kind", 3, 7, "/kind")]);
    assert_eq!(diags[0].severity, Severity::Warning);
    assert!(diags[0].message.contains("`cert-manager.io/v1`"));
    assert!(diags[0].message.contains("`Certificate`"));
}

#[test]
fn unknown_kind_hints() {
    let diags = run("apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\n");
    assert_eq!(diags[0].code, "schema/unknown-kind");
    assert_eq!(diags[0].severity, Severity::Warning);
    assert_eq!(
        diags[0].hint.as_deref(),
        Some("in Kubernetes 1.33, `Deployment` is served as `apps/v1`")
    );
    let diags = run("apiVersion: apps/v1\nkind: deployment\n");
    assert_eq!(
        diags[0].hint.as_deref(),
        Some("kinds are case-sensitive: did you mean `Deployment` (`apps/v1`)?")
    );
}

#[test]
fn removed_api_versions_are_errors_naming_the_replacement() {
    let diags = run("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}\n");
    assert_eq!(
        codes(&diags),
        vec![("schema/removed-api", 1, 13, "/apiVersion")]
    );
    assert_eq!(diags[0].severity, Severity::Error);
    assert_eq!(
        diags[0].message,
        "apiVersion `extensions/v1beta1` of `Deployment` was removed in Kubernetes 1.16; use apps/v1"
    );
    // Removed after 1.25: an error only from the version that removed it.
    let hpa =
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n";
    let doc = &parse(hpa).documents[0];
    let in_125 = Schemas::load("1.25").unwrap().validate(doc);
    assert!(
        in_125.iter().all(|d| d.code != "schema/removed-api"),
        "{in_125:?}"
    );
    let in_126 = Schemas::load("1.26").unwrap().validate(doc);
    assert_eq!(in_126[0].code, "schema/removed-api");
    assert!(in_126[0].message.ends_with("use autoscaling/v2"));
    let flow =
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: x}\n";
    let doc = &parse(flow).documents[0];
    assert!(
        Schemas::load("1.31")
            .unwrap()
            .validate(doc)
            .iter()
            .all(|d| d.code != "schema/removed-api")
    );
    assert_eq!(
        Schemas::load("1.32").unwrap().validate(doc)[0].code,
        "schema/removed-api"
    );
    // A removed version of a kind it never served stays unknown (a warning).
    let diags = run("apiVersion: extensions/v1beta1\nkind: Widget\n");
    assert_eq!(diags[0].code, "schema/unknown-kind");
}

/// Every removal the schemas can judge: in 1.37 no removed
/// apiVersion/kind has a schema (else the table would be wrong), and
/// each replacement that is an apiVersion serves the kind.
#[test]
fn removal_table_is_consistent_with_the_schemas() {
    let s = Schemas::load("1.37").unwrap();
    for r in REMOVALS {
        for kind in r.kinds {
            assert!(
                !s.knows(r.api_version, kind),
                "{} {kind} still served",
                r.api_version
            );
            let replacement = r.replacement.split(' ').next().unwrap();
            if replacement.contains('/') && *kind != "PodSecurityPolicy" {
                assert!(
                    s.knows(replacement, kind),
                    "{replacement} {kind} not served in 1.37"
                );
            }
        }
    }
    assert_eq!(REMOVALS.iter().map(|r| r.kinds.len()).sum::<usize>(), 49);
}

#[test]
fn missing_kind_and_empty_documents() {
    let diags = run("metadata:\n  name: x\n");
    assert_eq!(codes(&diags), vec![("schema/missing-kind", 1, 1, "")]);
    assert!(diags[0].message.contains("`apiVersion` and `kind`"));
    let diags = run("apiVersion: v1\nkind: 3\n");
    assert_eq!(codes(&diags), vec![("schema/missing-kind", 1, 1, "")]);
    assert!(diags[0].message.starts_with("`kind` is"));
    assert_eq!(
        codes(&run("- a\n- b\n")),
        vec![("schema/missing-kind", 1, 1, "")]
    );
    // Empty documents are skipped by the parser; a Null root is fine too.
    assert_eq!(run("---\n# nothing\n---\n"), vec![]);
    let doc = Document {
        index: 0,
        root: Node::new(Value::Null, Pos::new(1, 1)),
        start: Pos::new(1, 1),
    };
    assert_eq!(schemas().validate(&doc), vec![]);
}

#[test]
fn v1_list_items_are_validated() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  dataa: {}\n";
    let diags = run(text);
    assert_eq!(
        codes(&diags),
        vec![("schema/unknown-field", 7, 3, "/items/0/dataa")]
    );
    assert_eq!(diags[0].hint.as_deref(), Some("did you mean `data`?"));
}

#[test]
fn pointer_escaping_and_document_index() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    example.com/a~b: 1\n";
    let diags = run(text);
    assert_eq!(
        codes(&diags),
        vec![(
            "schema/type",
            10,
            22,
            "/metadata/annotations/example.com~1a~0b"
        )]
    );
    assert_eq!(diags[0].document, Some(1));
}

#[test]
fn every_shipped_version_loads() {
    let versions = shipped_versions();
    assert!(versions.len() >= 8);
    assert!(versions.contains(&DEFAULT_KUBE_VERSION));
    let deployment = parse(DEPLOYMENT_SERVICE);
    for v in versions {
        let s = Schemas::load(v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(s.version(), v);
        assert!(
            s.knows("apps/v1", "Deployment") && s.knows("v1", "Service"),
            "{v}"
        );
        assert!(s.kind_count() > 100, "{v}");
        for doc in &deployment.documents {
            assert_eq!(s.validate(doc), vec![], "{v}");
        }
    }
}

#[test]
fn kube_version_parsing() {
    for ok in [
        "1.33",
        "v1.33",
        "V1.33",
        "1.33.0",
        "v1.33.4",
        " 1.33 ",
        "1.33.0-rc.1",
    ] {
        assert_eq!(parse_kube_version(ok), Ok("1.33"), "{ok}");
    }
    assert_eq!(parse_kube_version("1.30"), Ok("1.30"));
    let err = parse_kube_version("1.99").unwrap_err();
    assert!(matches!(err, SchemaError::UnsupportedVersion { .. }));
    let text = err.to_string();
    assert!(
        text.contains("1.99") && text.contains("1.30") && text.contains("1.37"),
        "{text}"
    );
    for bad in ["", "latest", "1", "1.x", "v", "1.33.x", "1..33"] {
        assert!(
            matches!(
                parse_kube_version(bad),
                Err(SchemaError::InvalidVersion { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(Schemas::load("2.0").is_err());
    assert!(Schemas::load("v1.31.0").is_ok());
    // Loaded once per process: every spelling of a version is the same schemas.
    assert!(std::ptr::eq(
        Schemas::load("1.31").unwrap(),
        Schemas::load("v1.31.0").unwrap()
    ));
}

#[test]
fn schemas_are_shareable_across_threads() {
    let s = schemas();
    let docs = parse(DEPLOYMENT_SERVICE).documents;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for d in &docs {
                    assert!(s.validate(d).is_empty());
                }
            });
        }
    });
}

#[test]
fn enum_and_inline_schemas() {
    // The shipped schemas only use `enum` for apiVersion/kind (which pick
    // the schema), so exercise it on a small synthetic one.
    let json = serde_json::json!({"$defs": {
        "example.v1.Thing": {
            "type": ["object", "null"],
            "additionalProperties": false,
            "required": ["mode"],
            "properties": {
                "apiVersion": {"type": "string", "enum": ["example.com/v1"]},
                "kind": {"type": "string", "enum": ["Thing"]},
                "mode": {"type": ["string", "null"], "enum": ["Fast", "Slow"]},
                "level": {"enum": [1, 2]},
                "extra": {"type": "object", "additionalProperties": {"type": "integer"}}
            },
            "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Thing"}]
        }
    }});
    let s = Schemas::compile_json("1.33", &json).unwrap();
    assert!(s.knows("example.com/v1", "Thing"));
    let parsed = parse(
        "apiVersion: example.com/v1\nkind: Thing\nmode: Medium\nlevel: 3\nextra: {a: 1, b: x}\n",
    );
    let diags = s.validate(&parsed.documents[0]);
    assert_eq!(
        codes(&diags),
        vec![
            ("schema/enum", 3, 7, "/mode"),
            ("schema/enum", 4, 8, "/level"),
            ("schema/type", 5, 18, "/extra/b")
        ]
    );
    assert_eq!(
        diags[0].message,
        "invalid value string `Medium`: expected one of `Fast`, `Slow`"
    );
    assert_eq!(
        diags[1].message,
        "invalid value integer `3`: expected one of `1`, `2`"
    );
    let parsed = parse("apiVersion: example.com/v1\nkind: Thing\nmode: ~\n");
    assert_eq!(s.validate(&parsed.documents[0]), vec![]);
    assert!(
        Schemas::compile_json(
            "1.33",
            &serde_json::json!({"$defs": {"a": {"$ref": "#/$defs/b"}}})
        )
        .is_err()
    );
}

#[test]
fn closest_field_names() {
    let fields = ["name", "image", "imagePullPolicy", "ports", "volumeMounts"];
    assert_eq!(
        closest("imagePullPolicyy", fields.iter().copied()),
        Some("imagePullPolicy")
    );
    assert_eq!(closest("nmae", fields.iter().copied()), Some("name"));
    assert_eq!(
        closest("VolumeMounts", fields.iter().copied()),
        Some("volumeMounts")
    );
    assert_eq!(closest("command", fields.iter().copied()), None);
}

/// `cargo test --release -- --ignored --nocapture timing`
#[test]
#[ignore]
#[allow(clippy::print_stderr)]
fn timing() {
    use std::time::Instant;
    let t = Instant::now();
    let s = Schemas::load("1.33").unwrap();
    let load = t.elapsed();
    let n = 1000;
    let t = Instant::now();
    for _ in 0..n {
        assert_eq!(parse(DEPLOYMENT_SERVICE).documents.len(), 2);
    }
    let parse_time = t.elapsed() / n;
    let parsed = parse(DEPLOYMENT_SERVICE);
    let deployment = &parsed.documents[0];
    let t = Instant::now();
    for _ in 0..n {
        assert!(s.validate(deployment).is_empty());
    }
    let per_doc = t.elapsed() / n;
    let t = Instant::now();
    for v in shipped_versions() {
        Schemas::load(v).unwrap();
    }
    let all = t.elapsed();
    eprintln!(
        "load(1.33): {load:?}; parse deployment+service: {parse_time:?}; validate Deployment: {per_doc:?}; load all {}: {all:?}; nodes (all versions): {}",
        shipped_versions().len(),
        s.blob.header(H_N_NODES)
    );
}

/// Versions share the nodes of definitions that did not change (the blob
/// stores equal nodes once), yet each version resolves `$ref` through its
/// own definitions.
#[test]
fn versions_in_one_blob_resolve_their_own_definitions() {
    let version = |size_type: &str| {
        serde_json::json!({"$defs": {
            "example.v1.Thing": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "spec": {"$ref": "#/$defs/example.v1.Spec"}
                },
                "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Thing"}]
            },
            "example.v1.Spec": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"size": {"type": size_type}}
            }
        }})
    };
    let mut w = compile::Writer::default();
    w.add_version("1.1", &version("integer")).unwrap();
    w.add_version("1.2", &version("string")).unwrap();
    let bytes: &'static [u8] = Vec::leak(w.finish());
    let old = Schemas::from_blob(bytes, 0, "1.1").unwrap();
    let new = Schemas::from_blob(bytes, 1, "1.2").unwrap();
    let doc = parse("apiVersion: example.com/v1\nkind: Thing\nspec: {size: 3}\n");
    assert_eq!(old.validate(&doc.documents[0]), vec![]);
    let diags = new.validate(&doc.documents[0]);
    assert_eq!(codes(&diags), vec![("schema/type", 3, 14, "/spec/size")]);
    assert_eq!(diags[0].message, "expected string, found integer `3`");

    // A blob that is not what the table says is refused, not misread.
    let err = Schemas::from_blob(bytes, 1, "1.1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "embedded schemas for Kubernetes 1.1 are corrupt: version #1 is 1.2"
    );
    assert!(Schemas::from_blob(bytes, 2, "1.3").is_err());
    let mut bad = bytes.to_vec();
    bad[0] ^= 0xff;
    let err = Schemas::from_blob(Vec::leak(bad), 0, "1.1").unwrap_err();
    assert_eq!(
        err,
        SchemaError::Corrupt {
            version: "1.1",
            reason: "bad magic number".into()
        }
    );
}
