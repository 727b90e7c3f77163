use super::*;
use crate::validate::yaml;

fn kinds(text: &str) -> Vec<(String, Kind)> {
    scan(text)
        .into_iter()
        .map(|h| (text[h.range].to_owned(), h.kind))
        .collect()
}

const OPENAI: &str = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";

#[test]
fn token_shapes() {
    for (t, k) in [
        (OPENAI, Kind::OpenAiKey),
        ("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12", Kind::OpenAiKey),
        ("sk_live_51Hx2eZvKYlo2C0aBcDeFgHiJk", Kind::OpenAiKey),
        (
            "ghp_1234567890abcdefghijABCDEFGHIJ123456",
            Kind::GithubToken,
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijkl",
            Kind::GithubToken,
        ),
        ("AKIAIOSFODNN7EXAMPLE", Kind::AwsKey),
        ("xoxb-1234567890-abcdefghij", Kind::SlackToken),
    ] {
        assert_eq!(
            kinds(&format!("key: {t}\n")),
            vec![(t.to_owned(), k)],
            "{t}"
        );
        assert_eq!(
            kinds(&format!("--x=\"{t}\"")),
            vec![(t.to_owned(), k)],
            "{t}"
        );
    }
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
    assert_eq!(
        kinds(&format!("k: |\n{pem}\n")),
        vec![(pem.to_owned(), Kind::PrivateKey)]
    );
    let open = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn";
    assert_eq!(kinds(open), vec![(open.to_owned(), Kind::PrivateKey)]);
}

#[test]
fn not_tokens() {
    for text in [
        "sk-test",
        "task-runner-with-a-long-name-1234567",
        "risk-assessment-2024-01-01-version-2",
        "image: python@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "ENV PYTHON_SHA256 143b1dddefaec3bd2e21e3b839b34a2b7fb9842272883c576420d605e9f30c63",
        "echo \"$PYTHON_SHA256 *python.tar.xz\" | sha256sum -c -",
        "ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D",
        "gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$GPG_KEY\"",
        "gpg --batch --keyserver keyserver.ubuntu.com --recv-keys 'EB4C 1BFD 4F04 2F6D DDCC  EC91 7721 F63B D38B 4796'",
        "key='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'; gpg --batch --keyserver keyserver.ubuntu.com --recv-keys \"$key\"",
        "ENV GOSU_GPG_KEY B42F6819007F00F88E364FD4036A9C25BF357DD4",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----",
        "SSH_PUBLIC_KEY: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGp1aW5rZmxhZ3NvbWV0aGluZw user@host",
        "url: postgres://db:5432/todo",
        "DATABASE_URL=postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@db/todo",
        "url: https://user:${PASSWORD}@example.com",
        "NEXT_PUBLIC_API_URL: \"http://todo-backend:8000\"",
        "TOKENIZERS_PARALLELISM=falsefalsefalse1234",
        "API_TOKEN_URL=https://auth.example.com/oauth2/token",
    ] {
        assert_eq!(kinds(text), vec![], "{text}");
    }
}

#[test]
fn passwords_in_urls() {
    assert_eq!(
        kinds("value: postgres://admin:S3cret@db/todo\n"),
        vec![("S3cret".to_owned(), Kind::UrlPassword)]
    );
    assert_eq!(
        kinds("redis://:hunter2@redis:6379"),
        vec![("hunter2".to_owned(), Kind::UrlPassword)]
    );
    assert_eq!(kinds("https://user@example.com"), vec![]);
    for example in ["password", "<password>", "***", "…", "xxxx"] {
        assert_eq!(
            kinds(&format!("postgres://user:{example}@db/app")),
            vec![],
            "{example}"
        );
    }
    assert_eq!(
        kinds("postgres://user:passw0rd@db/app"),
        vec![("passw0rd".to_owned(), Kind::UrlPassword)]
    );
}

#[test]
fn high_entropy_under_secret_names() {
    let v = "Zx9kQ2mP7vR4tY8wL3nB6cF1";
    for text in [
        format!("BETTER_AUTH_SECRET={v}"),
        format!("ENV BETTER_AUTH_SECRET {v}"),
        format!("  - name: DB_PASSWORD\n    value: \"{v}\"\n"),
        format!("--auth-token {v}"),
        format!("Authorization: Bearer {v}"),
    ] {
        assert_eq!(
            kinds(&text),
            vec![(v.to_owned(), Kind::HighEntropy)],
            "{text}"
        );
    }
    // Under other names, or low entropy, it is not a credential.
    assert_eq!(kinds(&format!("BUILD_ID={v}")), vec![]);
    assert_eq!(kinds("BETTER_AUTH_SECRET=aaaaaaaaaaaaaaaaaaaa"), vec![]);
    assert_eq!(
        kinds("ETCD_DISCOVERY_TOKEN=INSERT_ETCD_DISCOVERY_TOKEN"),
        vec![]
    );
    assert_eq!(kinds("DB_PASSWORD=change-me-before-deploying"), vec![]);
    assert_eq!(
        kinds("ACCESS_KEY=8312341g-5678-abcd-4a2b2c-33bcsd655"),
        vec![(
            "8312341g-5678-abcd-4a2b2c-33bcsd655".to_owned(),
            Kind::HighEntropy
        )]
    );
    assert_eq!(kinds("name: DB_PASSWORD\n"), vec![]);
    assert!(high_entropy("9f86d081884c7d659a2feaa0c55ad015"));
}

#[test]
fn names() {
    for yes in [
        "DATABASE_URL",
        "OPENAI_API_KEY",
        "BETTER_AUTH_SECRET",
        "DB_PASSWORD",
        "GITHUB_TOKEN",
        "SECRET_KEY_BASE",
        "--api-key",
        "aws_secret_access_key",
        "Authorization",
    ] {
        assert!(is_secret_name(yes), "{yes}");
    }
    for no in [
        "GPG_KEY",
        "GOSU_GPG_KEY",
        "PYTHON_SHA256",
        "SECRETARY",
        "API_KEYS_PATH",
        "TOKENIZERS_PARALLELISM",
        "NEXT_PUBLIC_API_URL",
        "recv-keys",
        "key",
        "name",
    ] {
        assert!(!is_secret_name(no), "{no}");
    }
}

#[test]
fn redaction_is_idempotent_and_leaves_the_rest() {
    let text = format!("a: {OPENAI}\nb: postgres://admin:S3cret@db/todo\n");
    let (once, found) = redact(&text, &[]);
    assert_eq!(
        once,
        "a: <redacted:api-key>\nb: postgres://admin:<redacted:url-password>@db/todo\n"
    );
    assert_eq!(found, vec![Kind::OpenAiKey, Kind::UrlPassword]);
    let (twice, found) = redact(&once, &[]);
    assert_eq!(twice, once);
    assert_eq!(found, vec![], "placeholders are not new credentials");
    // Placeholders are still findings.
    assert_eq!(scan(&once).len(), 2);
    let (extra, _) = redact("x: abc\ny: abc\n", &[("abc".into(), Kind::HighEntropy)]);
    assert_eq!(
        extra,
        "x: <redacted:secret-value>\ny: <redacted:secret-value>\n"
    );
}

#[test]
fn manifests_structured() {
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    note: \"{OPENAI}\"\ndata:\n  OPENAI_API_KEY: \"{OPENAI}\"\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          args: [\"--api-key\", \"Zx9kQ2mP7vR4tY8wL3nB6cF1\"]\n          env:\n            - {{name: DB_PASSWORD, value: \"Zx9kQ2mP7vR4tY8wL3nB6cF1\"}}\n            - name: K\n              valueFrom:\n                secretKeyRef:\n                  name: todo-backend-secret\n                  key: OPENAI_API_KEY\n"
    );
    let docs = yaml::parse(&text).documents;
    let found: Vec<(String, Kind, usize)> = in_manifests(&docs)
        .into_iter()
        .map(|f| (f.pointer, f.kind, f.pos.line()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("/metadata/annotations/note".to_owned(), Kind::OpenAiKey, 6),
            ("/data/OPENAI_API_KEY".to_owned(), Kind::OpenAiKey, 8),
            (
                "/spec/template/spec/containers/0/args/1".to_owned(),
                Kind::HighEntropy,
                17
            ),
            (
                "/spec/template/spec/containers/0/env/0/value".to_owned(),
                Kind::HighEntropy,
                19
            ),
        ]
    );
    let d = manifest_findings(&docs);
    assert!(d.iter().all(|d| !d.message.contains("sk-live")));
}

#[test]
fn dockerfile_positions() {
    let text = format!(
        "FROM python:3.11-slim\nENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D\nRUN curl -H \"Authorization: Bearer {OPENAI}\" x\n"
    );
    let d = dockerfile_findings(&text);
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].code.as_str(), d[0].line, d[0].column),
        ("secret/token", 3, 36)
    );
    assert_eq!(
        d[0].message,
        "this RUN line holds a credential: an API key (`sk-…`)"
    );
}

#[test]
fn any_text_is_scanned_without_panicking() {
    let pieces = [
        "é",
        "…",
        "🔑",
        "sk-",
        "ghp_",
        "AKIA",
        "xoxb-",
        "://",
        "@",
        ":",
        "=",
        " ",
        "\n",
        "-----BEGIN ",
        "PRIVATE KEY-----",
        "name: ",
        "value: ",
        "--token ",
        "<redacted:",
        ">",
        "\"",
        "a1B2c3D4e5F6g7H8i9",
    ];
    // Every pair and triple of pieces, so each shape meets multi-byte neighbours.
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let text = format!("{a}{b}{c}{a}");
                let (red, _) = redact(&text, &[]);
                let mut r = LineRedactor::default();
                let _ = r.push(&text);
                let _ = r.finish();
                let _ = text_findings(&red);
            }
        }
    }
    let painted = "\x1b[2msk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c\x1b[0m";
    assert_eq!(redact(painted, &[]).0, "\x1b[2m<redacted:api-key>\x1b[0m");
    let text = "… ключ sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c …";
    assert_eq!(redact(text, &[]).0, "… ключ <redacted:api-key> …");
}

/// The shortcuts (a line without 16 non-space bytes in a row holds no
/// high-entropy secret; names are compared in place) refuse what they must.
#[test]
fn shortest_secret_and_long_names_still_refused() {
    let secret16 = "Zx9kQ2mP7vR4tY8w";
    assert_eq!(
        kinds(&format!("DB_PASSWORD={secret16}\n")),
        vec![(secret16.to_owned(), Kind::HighEntropy)]
    );
    assert_eq!(kinds(&format!("DB_PASSWORD={}\n", &secret16[..15])), vec![]);
    // Whitespace outside ASCII splits a word for the entropy check as well.
    assert_eq!(
        kinds(&format!("DB_PASSWORD={}\u{a0}x\n", &secret16[..15])),
        vec![]
    );
    let hits = scan_value(Some("--db-password"), secret16);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (hits[0].range.clone(), hits[0].kind),
        (0..16, Kind::HighEntropy)
    );
    assert!(scan_value(Some("--db-password"), &secret16[..15]).is_empty());
    let long = format!("{}_PASSWORD", "X".repeat(70));
    assert!(is_secret_name(&long) && is_secret_name(&long.to_lowercase()));
    assert!(!is_secret_name(&format!("{}_TOKENIZER", "x".repeat(70))));
    assert!(is_secret_name("--api-key") && !is_secret_name("gpg-key"));
}
