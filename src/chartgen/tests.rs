use std::collections::BTreeMap;

use super::{ResourceChange, derive, section_name};

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: todo-backend
spec:
  replicas: 2 # seed
  selector:
    matchLabels:
      app: todo-backend
  template:
    metadata:
      labels:
        app: todo-backend
    spec:
      containers:
        - name: todo-backend
          image: 'registry.local:5000/todo-backend:1.2'
          imagePullPolicy: Never
          ports:
            - containerPort: 8000
          env:
            - name: A
              valueFrom:
                secretKeyRef:
                  name: todo-backend-secret
                  key: A
            - name: B
              valueFrom:
                secretKeyRef:
                  name: other-secret
                  key: B
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits:
              cpu: 1
              memory: \"512Mi\"
          livenessProbe:
            tcpSocket:
              port: 8000
          readinessProbe:
            tcpSocket:
              port: 8001
";

const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  type: NodePort
  selector:
    app: todo-backend
  ports:
    - port: 80
      targetPort: 8000
      nodePort: 30080
    - port: 81
      targetPort: 8000
";

const CONFIGMAP: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: todo-settings
data:
  BACKEND_URL: \"http://todo-backend:8000\"
  feature.flag: \"yes\"
  ANSWER: \"on\"
";

fn set(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

#[test]
fn the_seed_fields_become_values_and_the_rest_stays_byte_for_byte() {
    let chart = derive(
        "todo-app",
        &set(&[
            ("t/a.yaml", DEPLOYMENT),
            ("t/b.yaml", SERVICE),
            ("t/c.yaml", CONFIGMAP),
        ]),
        &[],
    );
    assert_eq!(
        chart.templates["t/a.yaml"],
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: todo-backend
spec:
  replicas: {{ .Values.backend.replicas }} # seed
  selector:
    matchLabels:
      app: todo-backend
  template:
    metadata:
      labels:
        app: todo-backend
    spec:
      containers:
        - name: todo-backend
          image: \"{{ .Values.backend.image.repository }}:{{ .Values.backend.image.tag }}\"
          imagePullPolicy: {{ .Values.backend.image.pullPolicy | quote }}
          ports:
            - containerPort: {{ .Values.backend.containerPort }}
          env:
            - name: A
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.backend.secret.name | quote }}
                  key: A
            - name: B
              valueFrom:
                secretKeyRef:
                  name: other-secret
                  key: B
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits:
              cpu: {{ .Values.backend.resources.limits.cpu }}
              memory: {{ .Values.backend.resources.limits.memory | quote }}
          livenessProbe:
            tcpSocket:
              port: {{ .Values.backend.containerPort }}
          readinessProbe:
            tcpSocket:
              port: 8001
"
    );
    // The Service is the backend's by its selector; its second port stays literal.
    assert_eq!(
        chart.templates["t/b.yaml"],
        "\
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  type: NodePort
  selector:
    app: todo-backend
  ports:
    - port: {{ .Values.backend.service.port }}
      targetPort: {{ .Values.backend.containerPort }}
      nodePort: {{ .Values.backend.service.nodePort }}
    - port: 81
      targetPort: 8000
"
    );
    // A ConfigMap nobody reads gets its own section; a key that is no Go
    // identifier stays literal.
    assert_eq!(
        chart.templates["t/c.yaml"],
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.settings.configMap.name | quote }}
data:
  BACKEND_URL: {{ .Values.settings.configMap.data.BACKEND_URL | quote }}
  feature.flag: \"yes\"
  ANSWER: {{ .Values.settings.configMap.data.ANSWER | quote }}
"
    );
    assert_eq!(
        chart.values,
        "\
# Values of the todo-app chart, derived by dockhand from the generated manifests
# (dockhand.lock, .dockhand/cache). Override with --set or -f; values.schema.json
# types them. `dockhand regen --offline --check` reports a hand edit as drift.
backend:
  replicas: 2
  image:
    repository: registry.local:5000/todo-backend
    tag: \"1.2\"
    pullPolicy: Never
  containerPort: 8000
  service:
    port: 80
    nodePort: 30080
  resources:
    limits:
      cpu: 1
      memory: 512Mi
  secret:
    name: todo-backend-secret
settings:
  configMap:
    name: todo-settings
    data:
      ANSWER: \"on\"
      BACKEND_URL: http://todo-backend:8000
"
    );
}

#[test]
fn the_schema_types_every_value_and_allows_no_other() {
    let chart = derive("todo-app", &set(&[("t/b.yaml", SERVICE)]), &[]);
    let schema: serde_json::Value = serde_json::from_str(&chart.schema).unwrap();
    assert_eq!(
        schema,
        serde_json::json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Values of the todo-app chart (derived by dockhand)",
            "type": "object",
            "additionalProperties": false,
            "required": ["api"],
            "properties": {"api": {
                "type": "object",
                "additionalProperties": false,
                "required": ["service"],
                "properties": {"service": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["port", "nodePort"],
                    "properties": {
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "nodePort": {"type": "integer", "minimum": 30000, "maximum": 32767}
                    }
                }}
            }}
        })
    );
}

#[test]
fn a_value_two_manifests_disagree_on_stays_literal_in_the_second() {
    let other = DEPLOYMENT
        .replace("replicas: 2 # seed", "replicas: 3")
        .replace("containerPort: 8000", "containerPort: 9000");
    let chart = derive(
        "todo-app",
        &set(&[("t/a.yaml", DEPLOYMENT), ("t/z.yaml", &other)]),
        &[],
    );
    assert!(
        chart.templates["t/a.yaml"].contains("replicas: {{ .Values.backend.replicas }} # seed\n")
    );
    let z = &chart.templates["t/z.yaml"];
    assert_eq!(
        z.lines()
            .filter(|l| l.contains("replicas") || l.contains("containerPort"))
            .collect::<Vec<_>>(),
        ["  replicas: 3", "            - containerPort: 9000"]
    );
}

#[test]
fn resource_overrides_change_existing_keys_only() {
    let chart = derive(
        "todo-app",
        &set(&[("t/a.yaml", DEPLOYMENT)]),
        &[
            ResourceChange {
                workload: "todo-backend".into(),
                kind: "limits",
                resource: "memory",
                value: "768Mi".into(),
            },
            // No requests.cpu value in the manifest (flow style): ignored.
            ResourceChange {
                workload: "todo-backend".into(),
                kind: "requests",
                resource: "cpu",
                value: "150m".into(),
            },
            ResourceChange {
                workload: "todo-unknown".into(),
                kind: "limits",
                resource: "cpu",
                value: "2".into(),
            },
        ],
    );
    let plain = derive("todo-app", &set(&[("t/a.yaml", DEPLOYMENT)]), &[]);
    assert_eq!(chart.templates, plain.templates);
    assert_eq!(
        crate::diff::unified("values.yaml", Some(&plain.values), &chart.values)
            .lines()
            .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
            .collect::<Vec<_>>(),
        ["-      memory: 512Mi", "+      memory: 768Mi"]
    );
}

#[test]
fn a_manifest_that_does_not_parse_is_left_as_it_is() {
    let broken = "kind: Deployment\nmetadata: {name: x\n";
    let chart = derive("todo-app", &set(&[("t/x.yaml", broken)]), &[]);
    assert_eq!(chart.templates["t/x.yaml"], broken);
    assert!(chart.values.ends_with("{}\n"), "{}", chart.values);
}

#[test]
fn sections_are_names_without_the_chart_prefix_in_camel_case() {
    assert_eq!(
        section_name("todo-frontend-config", "todo-"),
        "frontendConfig"
    );
    assert_eq!(section_name("todo-", "todo-"), "todo");
    assert_eq!(section_name("api.v2", ""), "apiV2");
    assert_eq!(section_name("9lives", ""), "_9lives");
}

#[test]
fn values_yaml_reads_back_as_the_manifests_strings() {
    let tricky = [
        "yes",
        "on",
        "1.2",
        "0644",
        "~",
        "null",
        "-x",
        "a: b",
        "#x",
        "x #y",
        "",
        "'q'",
        "\"d\"",
        "http://todo-backend:8000",
        "ÿ",
        "tab\there",
    ];
    let mut cm =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: todo-cfg\ndata:\n");
    for (i, v) in tricky.iter().enumerate() {
        cm.push_str(&format!("  K{i}: {}\n", serde_json::to_string(v).unwrap()));
    }
    let chart = derive("todo-app", &set(&[("t/cm.yaml", &cm)]), &[]);
    let parsed = crate::validate::yaml::parse(&chart.values);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let data = parsed.documents[0]
        .root
        .lookup("/cfg/configMap/data")
        .unwrap();
    for (i, v) in tricky.iter().enumerate() {
        assert_eq!(
            data.get(&format!("K{i}")).and_then(|n| n.as_str()),
            Some(*v),
            "{}",
            chart.values
        );
    }
    // Every data entry became a reference.
    assert_eq!(
        chart.templates["t/cm.yaml"]
            .lines()
            .filter(|l| l.contains("{{ .Values.cfg.configMap.data.K"))
            .count(),
        tricky.len()
    );
}

#[test]
fn crlf_manifests_keep_their_line_ends() {
    let crlf = DEPLOYMENT.replace('\n', "\r\n");
    let chart = derive("todo-app", &set(&[("t/a.yaml", &crlf)]), &[]);
    let lf = derive("todo-app", &set(&[("t/a.yaml", DEPLOYMENT)]), &[]);
    assert_eq!(
        chart.templates["t/a.yaml"],
        lf.templates["t/a.yaml"].replace('\n', "\r\n")
    );
    assert_eq!(chart.values, lf.values);
}

#[test]
fn go_template_text_in_a_manifest_is_escaped_and_big_numbers_stay_literal() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: todo-rules\ndata:\n  alert: \"{{ $labels.pod }} is down\"\n";
    let deploy = DEPLOYMENT.replace("replicas: 2 # seed", "replicas: 1000000");
    let chart = derive(
        "todo-app",
        &set(&[("t/a.yaml", &deploy), ("t/cm.yaml", cm)]),
        &[],
    );
    // The data value is a reference now; the `{{` was in the manifest, so the
    // literal case: a key that is no identifier keeps its text, escaped.
    let literal = cm.replace("alert:", "alert.rule:");
    let chart2 = derive("todo-app", &set(&[("t/cm.yaml", &literal)]), &[]);
    assert_eq!(
        chart2.templates["t/cm.yaml"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.rules.configMap.name | quote }}\ndata:\n  alert.rule: \"{{ \"{{\" }} $labels.pod }} is down\"\n"
    );
    assert!(chart.templates["t/a.yaml"].contains("  replicas: 1000000\n"));
    assert_eq!(
        chart
            .values
            .lines()
            .filter(|l| l.contains("replicas"))
            .count(),
        0
    );
}
