use super::judge::{Tok, tokenize};
use super::resources::ResourceSuggestion;
use super::*;
use crate::process::test_support::fixture;

fn problems(report: &str) -> Vec<(String, String)> {
    judge(report)
        .unhealthy
        .into_iter()
        .map(|p| (p.pod, p.condition))
        .collect()
}
fn p(pod: &str, cond: &str) -> (String, String) {
    (pod.to_string(), cond.to_string())
}

#[test]
fn healthy_phrasings() {
    let healthy = [
        "No pods in CrashLoopBackOff found",
        "no OOMKilled events",
        "none of the pods are in ImagePullBackOff",
        "0 pods in CrashLoopBackOff",
        "CrashLoopBackOff: none",
        "- CrashLoopBackOff: 0 pods",
        "There are zero pods in CrashLoopBackOff.",
        "No CrashLoopBackOff, OOMKilled or ImagePullBackOff pods were found.",
        "Checked all pods for CrashLoopBackOff, OOMKilled and ImagePullBackOff: none found.",
        "todo-backend-7d9f-abc12 is not in CrashLoopBackOff.",
        "todo-backend-7d9f-abc12 isn't in CrashLoopBackOff any more",
        "The cluster is free of OOMKilled events.",
        "Pods are running without CrashLoopBackOff or ErrImagePull errors.",
        "todo-frontend never entered CrashLoopBackOff.",
        "todo-backend-abc12 is no longer in CrashLoopBackOff",
        "CrashLoopBackOff was not observed.",
        "| CrashLoopBackOff | 0 |",
        "| OOMKilled | None |",
        "| ImagePullBackOff | ✅ |",
        "✅ No ErrImagePull or ImagePullBackOff",
        "None of the pods, including todo-backend-7d9f-abc12, are in CrashLoopBackOff.",
        "CrashLoopBackOff (0 pods)",
        "No pods were OOMKilled; todo-backend-abc12 is Running.",
        "todo-backend-7d9f-abc12 recovered from CrashLoopBackOff",
        "OOMKilled: n/a",
    ];
    for h in healthy {
        let v = judge(h);
        assert!(
            v.unhealthy.is_empty(),
            "{h:?} judged unhealthy: {:?}",
            v.unhealthy
        );
        assert!(v.ran, "{h:?}");
    }
}

#[test]
fn unhealthy_phrasings() {
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        (
            "todo-backend-7d9f-abc12 is in CrashLoopBackOff",
            vec![p("todo-backend-7d9f-abc12", "CrashLoopBackOff")],
        ),
        (
            "todo-backend-xyz  0/1  CrashLoopBackOff  5  3m",
            vec![p("todo-backend-xyz", "CrashLoopBackOff")],
        ),
        (
            "todo-backend-xyz   0/1     CrashLoopBackOff   0          3m",
            vec![p("todo-backend-xyz", "CrashLoopBackOff")],
        ),
        (
            "todo-backend-xyz 0/1 Init:CrashLoopBackOff 0 3m",
            vec![p("todo-backend-xyz", "CrashLoopBackOff")],
        ),
        (
            "pod todo-frontend-... was OOMKilled",
            vec![p("todo-frontend", "OOMKilled")],
        ),
        (
            "Pod todo-frontend-5c7d9b8f4-xk2lp was OOMKilled twice.",
            vec![p("todo-frontend-5c7d9b8f4-xk2lp", "OOMKilled")],
        ),
        (
            "| todo-backend-7d9f8c6b5-abc12 | 0/1 | CrashLoopBackOff | 6 | 7m |",
            vec![p("todo-backend-7d9f8c6b5-abc12", "CrashLoopBackOff")],
        ),
        (
            "`todo-backend-abc12` is crash-looping",
            vec![p("todo-backend-abc12", "CrashLoopBackOff")],
        ),
        (
            "pod/todo-frontend-xk2lp: ErrImagePull",
            vec![p("todo-frontend-xk2lp", "ErrImagePull")],
        ),
        (
            "Found 2 pods in CrashLoopBackOff: todo-backend-a1, todo-backend-b2",
            vec![
                p("todo-backend-a1", "CrashLoopBackOff"),
                p("todo-backend-b2", "CrashLoopBackOff"),
            ],
        ),
        (
            "todo-backend-a1 and todo-backend-b2 are in ImagePullBackOff",
            vec![
                p("todo-backend-a1", "ImagePullBackOff"),
                p("todo-backend-b2", "ImagePullBackOff"),
            ],
        ),
        (
            "No pods are in CrashLoopBackOff, but todo-frontend-x1 was OOMKilled.",
            vec![p("todo-frontend-x1", "OOMKilled")],
        ),
        (
            "Although no pods were OOMKilled, todo-backend-a1 is in CrashLoopBackOff.",
            vec![p("todo-backend-a1", "CrashLoopBackOff")],
        ),
        (
            "All pods are healthy except todo-backend-a1, which is in CrashLoopBackOff.",
            vec![p("todo-backend-a1", "CrashLoopBackOff")],
        ),
        (
            "todo-backend-7d9f-abc12 is in CrashLoopBackOff because it cannot reach todo-postgres-0",
            vec![p("todo-backend-7d9f-abc12", "CrashLoopBackOff")],
        ),
        (
            "todo-backend-7d9f-abc12 is in CrashLoopBackOff and has not recovered",
            vec![p("todo-backend-7d9f-abc12", "CrashLoopBackOff")],
        ),
        (
            "todo-backend has been restarting with no success and is in CrashLoopBackOff",
            vec![p("todo-backend", "CrashLoopBackOff")],
        ),
        (
            "- OOMKilled: 1 pod (todo-frontend-abc12)",
            vec![p("todo-frontend-abc12", "OOMKilled")],
        ),
        (
            "❌ todo-backend-abc12: CrashLoopBackOff (restarts: 0, exit code 1)",
            vec![p("todo-backend-abc12", "CrashLoopBackOff")],
        ),
        (
            "Restarts: 0, status CrashLoopBackOff for pod todo-backend-q1",
            vec![p("todo-backend-q1", "CrashLoopBackOff")],
        ),
        (
            "2 pods are in CrashLoopBackOff.",
            vec![p("", "CrashLoopBackOff")],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(problems(text), want, "{text:?}");
        assert!(judge(text).ran);
    }
}

#[test]
fn hypotheticals_and_advice_are_not_findings() {
    for t in [
        "If a pod is in CrashLoopBackOff, check its logs with kubectl logs --previous.",
        "Raise the memory limit of todo-frontend to 256Mi to prevent further OOMKilled restarts.",
        "Set imagePullPolicy: Never to avoid ImagePullBackOff with locally built images.",
        "A missing secret could cause CrashLoopBackOff in todo-backend.",
        "When the image is missing, pods may show ErrImagePull.",
    ] {
        assert!(
            judge(t).unhealthy.is_empty(),
            "{t}: {:?}",
            judge(t).unhealthy
        );
    }
}

#[test]
fn sections_and_describe_blocks() {
    let r = "### CrashLoopBackOff\n\nNone found.\n\n### OOMKilled\n\n- todo-frontend-5c7d9b8f4-xk2lp (3 restarts)\n- todo-frontend-5c7d9b8f4-zz9qq\n\n### ImagePullBackOff\n0\n";
    let v = judge(r);
    assert_eq!(
        v.unhealthy,
        vec![
            PodProblem {
                pod: "todo-frontend-5c7d9b8f4-xk2lp".into(),
                condition: "OOMKilled".into(),
                line: 7
            },
            PodProblem {
                pod: "todo-frontend-5c7d9b8f4-zz9qq".into(),
                condition: "OOMKilled".into(),
                line: 8
            },
        ]
    );
    assert!(v.ran);
    let r = "Pods in CrashLoopBackOff:\n  * todo-backend-7d9f8c6b5-abc12\n\nEverything else is Running.";
    assert_eq!(
        problems(r),
        vec![p("todo-backend-7d9f8c6b5-abc12", "CrashLoopBackOff")]
    );
    let describe = "Name:         todo-frontend-5c7d9b8f4-xk2lp\nNamespace:    default\nContainers:\n  web:\n    Last State:  Terminated\n      Reason:    OOMKilled\n      Exit Code: 137\n";
    let v = judge(describe);
    assert_eq!(
        v.unhealthy,
        vec![PodProblem {
            pod: "todo-frontend-5c7d9b8f4-xk2lp".into(),
            condition: "OOMKilled".into(),
            line: 6
        }]
    );
}

#[test]
fn fixture_reports() {
    let v = judge(&fixture("health-report-healthy.md"));
    assert!(v.is_healthy(), "{v:?}");
    let v = judge(&fixture("health-report-unhealthy.md"));
    assert!(v.ran);
    assert_eq!(
        v.unhealthy,
        vec![
            PodProblem {
                pod: "todo-backend-7d9f8c6b5-abc12".into(),
                condition: "CrashLoopBackOff".into(),
                line: 5
            },
            PodProblem {
                pod: "todo-frontend-5c7d9b8f4-xk2lp".into(),
                condition: "OOMKilled".into(),
                line: 11
            },
        ]
    );
    // The same reports as kagent would deliver them.
    let json = fixture("kagent-health-unhealthy.json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = v["artifacts"][0]["parts"][0]["text"].as_str().unwrap();
    assert_eq!(judge(text).unhealthy.len(), 2);
}

#[test]
fn duplicates_and_unnamed() {
    let r = "Summary: 1 pod in CrashLoopBackOff.\n\ntodo-backend-a1 is in CrashLoopBackOff.\n| todo-backend-a1 | 0/1 | CrashLoopBackOff |\n";
    let v = judge(r);
    assert_eq!(
        v.unhealthy,
        vec![PodProblem {
            pod: "todo-backend-a1".into(),
            condition: "CrashLoopBackOff".into(),
            line: 3
        }]
    );
}

#[test]
fn ran_flag() {
    assert!(!judge("").ran);
    assert!(!judge("   \n\n").ran);
    assert!(
        !judge("I was unable to list pods: pods is forbidden: User cannot list resource \"pods\"")
            .ran
    );
    assert!(!judge("Error: could not connect to the cluster").ran);
    assert!(!judge("Hello! How can I help you today?").ran);
    assert!(judge("All pods in namespace default are Running and Ready.").ran);
    assert!(judge("NAME  READY  STATUS  RESTARTS  AGE\ntodo-backend-a1  1/1  Running  0  5m").ran);
    // A finding counts as having run even next to an error phrase.
    let v = judge("Failed to fetch logs, but todo-backend-a1 is in CrashLoopBackOff.");
    assert!(v.ran);
    assert_eq!(v.unhealthy.len(), 1);
}

#[test]
fn tokenizer_details() {
    let t = tokenize("pod todo-frontend-... was `OOMKilled`. Done");
    let words: Vec<&str> = t
        .iter()
        .filter_map(Tok::word)
        .map(|w| w.text.as_str())
        .collect();
    assert_eq!(
        words,
        vec!["pod", "todo-frontend-", "was", "OOMKilled", "Done"]
    );
    assert_eq!(
        t.iter().filter(|t| t.is_punct(".")).count(),
        1,
        "ellipsis is not a sentence end"
    );
    let t = tokenize("ErrImagePull/ImagePullBackOff 0/1 n/a pod/x-1");
    let words: Vec<&str> = t
        .iter()
        .filter_map(Tok::word)
        .map(|w| w.lower.as_str())
        .collect();
    assert_eq!(
        words,
        vec!["errimagepull", "imagepullbackoff", "0/1", "n/a", "x-1"]
    );
}

// --- resource suggestions ------------------------------------------------------------------

fn rs(w: &str, rc: &str, rm: &str, lc: &str, lm: &str) -> ResourceSuggestion {
    let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
    ResourceSuggestion {
        workload: w.into(),
        requests_cpu: o(rc),
        requests_memory: o(rm),
        limits_cpu: o(lc),
        limits_memory: o(lm),
    }
}

#[test]
fn resources_one_line_each() {
    assert_eq!(
        parse_resource_suggestions(&fixture("resources-report.md")),
        vec![
            rs("todo-backend", "100m", "128Mi", "300m", "256Mi"),
            rs("todo-frontend", "50m", "96Mi", "200m", "192Mi")
        ]
    );
    assert_eq!(
        parse_resource_suggestions(
            "todo-backend: requests cpu=100m memory=128Mi, limits cpu=300m memory=256Mi"
        ),
        vec![rs("todo-backend", "100m", "128Mi", "300m", "256Mi")]
    );
}

#[test]
fn resources_table() {
    assert_eq!(
        parse_resource_suggestions(&fixture("resources-report-table.md")),
        vec![
            rs("todo-frontend", "50m", "64Mi", "250m", "256Mi"),
            rs("todo-backend", "100m", "128Mi", "500m", "512Mi")
        ]
    );
    let combined = "| Deployment | Requests | Limits |\n|--|--|--|\n| **todo-backend** | cpu: 100m, memory: 128Mi | cpu: 500m, memory: 512Mi |\n| frontend | 50m / 64Mi | 200m / 256Mi |\n";
    assert_eq!(
        parse_resource_suggestions(combined),
        vec![
            rs("todo-backend", "100m", "128Mi", "500m", "512Mi"),
            rs("todo-frontend", "50m", "64Mi", "200m", "256Mi")
        ]
    );
}

#[test]
fn resources_yaml_and_prose() {
    let yaml = "For todo-frontend:\n\n```yaml\nresources:\n  requests:\n    cpu: 50m\n    memory: 64Mi\n  limits:\n    cpu: 250m\n    memory: 256Mi\n```\n\n### todo-backend\n\n```yaml\nresources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {cpu: \"1\", memory: 1Gi}\n```\n";
    assert_eq!(
        parse_resource_suggestions(yaml),
        vec![
            rs("todo-frontend", "50m", "64Mi", "250m", "256Mi"),
            rs("todo-backend", "100m", "128Mi", "1", "1Gi")
        ]
    );
    let prose = "For todo-backend, set requests of 100m CPU and 128 MiB memory, and limits of 0.5 cores and 512MiB of memory.\nBackend: fine.\nFrontend: requests 50m/64Mi, limits 200m/256Mi";
    assert_eq!(
        parse_resource_suggestions(prose),
        vec![
            rs("todo-backend", "100m", "128Mi", "0.5", "512Mi"),
            rs("todo-frontend", "50m", "64Mi", "200m", "256Mi")
        ]
    );
    let postfix = "- todo-backend: 100m/128Mi requests, 300m/256Mi limits";
    assert_eq!(
        parse_resource_suggestions(postfix),
        vec![rs("todo-backend", "100m", "128Mi", "300m", "256Mi")]
    );
    let pods = "todo-backend-7d9f8c6b5-abc12: requests cpu=80m memory=100Mi";
    assert_eq!(
        parse_resource_suggestions(pods),
        vec![rs("todo-backend", "80m", "100Mi", "", "")]
    );
}

#[test]
fn resources_nothing_to_find() {
    assert!(parse_resource_suggestions("").is_empty());
    assert!(parse_resource_suggestions("Both workloads look fine; no changes needed.").is_empty());
    assert!(
        parse_resource_suggestions("todo-backend uses 80m and 90Mi at peak.").is_empty(),
        "usage without requests/limits is not a suggestion"
    );
    assert!(parse_resource_suggestions(&fixture("health-report-healthy.md")).is_empty());
}
