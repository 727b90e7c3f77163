//! Unit tests.
use super::*;

const FASTAPI: &str = include_str!("../../../tests/fixtures/dockerfiles/good/fastapi.Dockerfile");
const NEXTJS: &str = include_str!("../../../tests/fixtures/dockerfiles/good/nextjs.Dockerfile");
const HEREDOC: &str = include_str!("../../../tests/fixtures/dockerfiles/good/heredoc.Dockerfile");
const EDGE_CASES: &str =
    include_str!("../../../tests/fixtures/dockerfiles/good/edge-cases.Dockerfile");
const HEREDOC_ADJACENT: &str = include_str!(
    "../../../tests/fixtures/dockerfiles/good/heredoc-adjacent.hadolint-misparse.Dockerfile"
);

/// `(code, file, expected 1-based lines)`.
const BAD: &[(&str, &str, &[usize])] = &[
    (
        "DH000",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DH000.Dockerfile"),
        &[4],
    ),
    (
        "DL3006",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3006.Dockerfile"),
        &[1],
    ),
    (
        "DL3007",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3007.Dockerfile"),
        &[2],
    ),
    (
        "DL3002",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3002.Dockerfile"),
        &[6],
    ),
    (
        "DH001",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DH001.Dockerfile"),
        &[5],
    ),
    (
        "DL3042",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3042.Dockerfile"),
        &[4, 5],
    ),
    (
        "DL3015",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3015.Dockerfile"),
        &[2],
    ),
    (
        "DL3009",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3009.Dockerfile"),
        &[2],
    ),
    (
        "DH002",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DH002.Dockerfile"),
        &[4],
    ),
    (
        "DL3022",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3022.Dockerfile"),
        &[7, 8],
    ),
    (
        "DL3020",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3020.Dockerfile"),
        &[3],
    ),
    (
        "DL3000",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3000.Dockerfile"),
        &[2],
    ),
    (
        "DL3025",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DL3025.Dockerfile"),
        &[7],
    ),
    (
        "DH003",
        include_str!("../../../tests/fixtures/dockerfiles/bad/DH003.Dockerfile"),
        &[2, 3, 4],
    ),
];

fn codes(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{}@{}:{}", d.code, d.line, d.column))
        .collect()
}

fn fastapi_expect() -> Expectations {
    Expectations {
        stages: Some(vec!["builder".into(), "runtime".into()]),
        base_images: Some(vec!["python:3.11-slim".into()]),
        expose: Some(vec![8000]),
        nextjs_standalone: false,
    }
}

fn nextjs_expect() -> Expectations {
    Expectations {
        stages: Some(vec!["deps".into(), "builder".into(), "runner".into()]),
        base_images: Some(vec!["node:18-alpine".into()]),
        expose: Some(vec![3000]),
        nextjs_standalone: true,
    }
}

#[test]
fn good_files_are_clean() {
    for (name, text) in [
        ("fastapi", FASTAPI),
        ("nextjs", NEXTJS),
        ("heredoc", HEREDOC),
        ("edge-cases", EDGE_CASES),
        ("heredoc-adjacent", HEREDOC_ADJACENT),
    ] {
        let d = check(text, &Expectations::default());
        assert!(d.is_empty(), "{name}: {:#?}", d);
    }
}

#[test]
fn seed_expectations_pass() {
    assert_eq!(
        codes(&check(FASTAPI, &fastapi_expect())),
        Vec::<String>::new()
    );
    assert_eq!(
        codes(&check(NEXTJS, &nextjs_expect())),
        Vec::<String>::new()
    );
}

#[test]
fn each_rule_fires_on_its_bad_file_only() {
    for (code, text, lines) in BAD {
        let d = check(text, &Expectations::default());
        let got: Vec<usize> = d
            .iter()
            .filter(|d| d.code == *code)
            .map(|d| d.line)
            .collect();
        assert_eq!(&got, lines, "{code}: {:#?}", d);
        let others: Vec<&Diagnostic> = d.iter().filter(|d| d.code != *code).collect();
        assert!(others.is_empty(), "{code}: unexpected {:#?}", others);
        assert!(
            d.iter().all(|d| d.hint.is_some() && d.column >= 1),
            "{code}"
        );
        // ... and stays quiet on the good files.
        for good in [FASTAPI, NEXTJS, HEREDOC, EDGE_CASES, HEREDOC_ADJACENT] {
            assert!(
                !check(good, &Expectations::default())
                    .iter()
                    .any(|d| d.code == *code)
            );
        }
    }
}

#[test]
fn severities() {
    let sev = |code: &str| {
        let (_, text, _) = BAD.iter().find(|(c, _, _)| *c == code).unwrap();
        check(text, &Expectations::default())
            .into_iter()
            .find(|d| d.code == code)
            .unwrap()
            .severity
    };
    for code in [
        "DH000", "DL3006", "DL3007", "DL3002", "DH001", "DH003", "DL3020", "DL3000",
    ] {
        assert_eq!(sev(code), Severity::Error, "{code}");
    }
    for code in ["DL3042", "DL3022", "DL3025", "DH002"] {
        assert_eq!(sev(code), Severity::Warning, "{code}");
    }
    for code in ["DL3015", "DL3009"] {
        assert_eq!(sev(code), Severity::Info, "{code}");
    }
}

#[test]
fn syntax_error_position() {
    let d = check(
        "FROM alpine:3.20\nRUN echo\nNOPE this\n",
        &Expectations::default(),
    );
    assert_eq!(codes(&d), ["DH000@3:1"]);
    let d = check("# only a comment\n", &Expectations::default());
    assert_eq!(codes(&d), ["DH000@1:1"]);
}

#[test]
fn columns_point_at_the_token() {
    let d = check("FROM  python:latest\nUSER 1000\n", &Expectations::default());
    assert_eq!(codes(&d), ["DL3007@1:7"]);
    let d = check(
        "FROM python:3.11\nUSER 1000\nWORKDIR app\n",
        &Expectations::default(),
    );
    assert_eq!(codes(&d), ["DL3000@3:9"]);
}

#[test]
fn renamed_stage_fails_dh010() {
    let text = NEXTJS
        .replace("AS builder", "AS build")
        .replace("--from=builder", "--from=build");
    let d = check(&text, &nextjs_expect());
    assert_eq!(
        d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["DH010"],
        "{d:#?}"
    );
    assert_eq!(
        d[0].line,
        NEXTJS
            .lines()
            .position(|l| l.contains("AS builder"))
            .unwrap()
            + 1
    );
    assert!(
        d[0].message.contains("[deps, build, runner]"),
        "{}",
        d[0].message
    );

    let text = FASTAPI.replace("AS runtime", "");
    let d = check(&text, &fastapi_expect());
    assert_eq!(
        d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["DH010"],
        "{d:#?}"
    );
}

#[test]
fn different_base_image_fails_dh011() {
    let text = FASTAPI.replacen(
        "python:3.11-slim AS runtime",
        "python:3.12-slim AS runtime",
        1,
    );
    let d = check(&text, &fastapi_expect());
    assert_eq!(
        d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["DH011"],
        "{d:#?}"
    );
    assert_eq!(
        d[0].line,
        FASTAPI
            .lines()
            .position(|l| l.contains("AS runtime"))
            .unwrap()
            + 1
    );

    // ARG defaults are resolved; digests and docker.io/library/ are ignored.
    let text = "ARG V=3.11\nFROM docker.io/library/python:${V}-slim@sha256:abc AS builder\nFROM builder AS runtime\nUSER 1000\nEXPOSE 8000\n";
    assert!(
        check(text, &fastapi_expect()).is_empty(),
        "{:#?}",
        check(text, &fastapi_expect())
    );
    let text =
        "ARG BASE\nFROM ${BASE} AS builder\nFROM builder AS runtime\nUSER 1000\nEXPOSE 8000\n";
    assert_eq!(codes(&check(text, &fastapi_expect())), ["DH011@2:6"]);
}

#[test]
fn exposed_ports_dh012() {
    let text = FASTAPI.replace("EXPOSE 8000", "EXPOSE 8080");
    let d = check(&text, &fastapi_expect());
    assert_eq!(
        d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["DH012"],
        "{d:#?}"
    );
    let text = FASTAPI.replace("EXPOSE 8000", "");
    assert_eq!(check(&text, &fastapi_expect())[0].code, "DH012");
    let text = "FROM python:3.11-slim AS builder\nFROM python:3.11-slim AS runtime\nARG PORT=8000\nEXPOSE ${PORT}/tcp\nUSER 1000\n";
    assert!(check(text, &fastapi_expect()).is_empty());
}

#[test]
fn nextjs_standalone_dh013() {
    let text: String = NEXTJS
        .lines()
        .filter(|l| !l.contains(".next/standalone"))
        .map(|l| format!("{l}\n"))
        .collect();
    let d = check(&text, &nextjs_expect());
    assert_eq!(
        d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["DH013"],
        "{d:#?}"
    );
    assert!(d[0].message.contains(".next/standalone") && !d[0].message.contains(".next/static"));
    assert_eq!(
        d[0].line,
        NEXTJS
            .lines()
            .position(|l| l.contains("AS runner"))
            .unwrap()
            + 1
    );
}

#[test]
fn expectation_bad_files() {
    let files: [(&str, &str, Expectations); 4] = [
        (
            "DH010",
            include_str!("../../../tests/fixtures/dockerfiles/bad/DH010.Dockerfile"),
            fastapi_expect(),
        ),
        (
            "DH011",
            include_str!("../../../tests/fixtures/dockerfiles/bad/DH011.Dockerfile"),
            fastapi_expect(),
        ),
        (
            "DH012",
            include_str!("../../../tests/fixtures/dockerfiles/bad/DH012.Dockerfile"),
            fastapi_expect(),
        ),
        (
            "DH013",
            include_str!("../../../tests/fixtures/dockerfiles/bad/DH013.Dockerfile"),
            nextjs_expect(),
        ),
    ];
    for (code, text, expect) in &files {
        let d = check(text, expect);
        assert_eq!(
            d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            [*code],
            "{d:#?}"
        );
        assert!(d[0].is_error() && d[0].hint.is_some());
        // Without expectations they are clean.
        assert!(check(text, &Expectations::default()).is_empty(), "{code}");
    }
}

#[test]
fn base_image_rule_details() {
    let e = Expectations::default();
    let clean = |t: &str| check(t, &e).is_empty();
    assert!(clean("FROM python:3.11 AS b\nFROM b\nUSER 1000\n"));
    assert!(clean("FROM scratch\nUSER 1000\n"));
    assert!(clean("FROM python@sha256:abc\nUSER 1000\n"));
    assert!(clean("FROM python:latest@sha256:abc\nUSER 1000\n"));
    assert!(clean("ARG BASE=python\nFROM ${BASE}\nUSER 1000\n"));
    assert!(clean("FROM localhost:5000/app:1.0\nUSER 1000\n"));
    assert_eq!(
        codes(&check("FROM localhost:5000/app\nUSER 1000\n", &e)),
        ["DL3006@1:6"]
    );
    assert_eq!(
        codes(&check("FROM $BASE:latest\nUSER 1000\n", &e)),
        ["DL3007@1:6"]
    );
    // distroless :nonroot images run as non-root already
    assert!(clean("FROM gcr.io/distroless/static-debian12:nonroot\n"));
}

#[test]
fn user_rule_details() {
    let e = Expectations::default();
    // USER set in a stage the final stage is built FROM is inherited.
    assert!(
        check(
            "FROM python:3.11 AS base\nUSER app\nFROM base\nCMD [\"x\"]\n",
            &e
        )
        .is_empty()
    );
    // root in a build stage: warning; root:root and 0:0 are root.
    let d = check(
        "FROM python:3.11 AS b\nUSER root:root\nFROM python:3.11\nUSER 0:0\n",
        &e,
    );
    assert_eq!(codes(&d), ["DL3002@2:6", "DL3002@4:6"]);
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[1].severity, Severity::Error);
    assert!(check("FROM python:3.11\nUSER root\nRUN x\nUSER ${APP_USER}\n", &e).is_empty());
}

#[test]
fn run_rule_details() {
    let e = Expectations::default();
    let c = |t: &str| codes(&check(&format!("FROM python:3.11\n{t}\nUSER 1000\n"), &e));
    assert_eq!(c("RUN pip3 install x"), ["DL3042@2:1"]);
    assert_eq!(c("RUN python3 -m pip install -r r.txt"), ["DL3042@2:1"]);
    assert_eq!(c("RUN /usr/local/bin/pip install x"), ["DL3042@2:1"]);
    assert_eq!(
        c("RUN pip install -U pip && pip install --no-cache-dir x"),
        ["DL3042@2:1"]
    );
    assert!(c("RUN PIP_NO_CACHE_DIR=1 pip install x").is_empty());
    assert!(c("ENV PIP_NO_CACHE_DIR=1\nRUN pip install x").is_empty());
    assert!(c("RUN pipx install x && pip download y && echo pip install").is_empty());
    assert!(c("RUN [\"pip\", \"install\", \"--no-cache-dir\", \"x\"]").is_empty());
    assert_eq!(c("RUN [\"sh\", \"-c\", \"pip install x\"]"), ["DL3042@2:1"]);
    assert!(c("RUN echo 'pip install x' > /dev/null 2>&1").is_empty());
    assert_eq!(
        c("RUN apt-get update \\\n  # comment\n  && apt-get install -y curl"),
        ["DL3009@2:1", "DL3015@2:1"]
    );
    assert!(c("RUN apt-get install -y -o APT::Install-Recommends=false curl").is_empty());
    assert!(c("RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update").is_empty());
    // DL3009 is only reported for stages that end up in the image.
    let d = check(
        "FROM debian:12 AS b\nRUN apt-get update\nFROM debian:12\nCOPY --from=b /x /x\nUSER 1\n",
        &e,
    );
    assert!(d.is_empty(), "{d:#?}");
    let d = check(
        "FROM debian:12 AS b\nRUN apt-get update\nFROM b\nUSER 1\n",
        &e,
    );
    assert_eq!(codes(&d), ["DL3009@2:1"]);
    assert_eq!(c("RUN npm i --omit=dev"), ["DH002@2:1"]);
    assert!(c("RUN npm install -g pnpm@9 && npm ci").is_empty());
    // Heredocs: script bodies are checked, data bodies are not.
    assert_eq!(c("RUN <<EOF\npip install x\nEOF\n"), ["DL3042@2:1"]);
    assert_eq!(c("RUN bash -e <<EOF\npip install x\nEOF\n"), ["DL3042@2:1"]);
    assert!(c("RUN cat <<EOF > /r.txt\npip install x\nEOF\n").is_empty());
    assert!(c("RUN python3 <<EOF\nimport os\nEOF\n").is_empty());
}

#[test]
fn copy_add_workdir_cmd_details() {
    let e = Expectations::default();
    let c = |t: &str| {
        codes(&check(
            &format!("FROM python:3.11 AS b\nFROM python:3.11\n{t}\nUSER 1000\n"),
            &e,
        ))
    };
    assert!(c("COPY --from=b /a /a\nCOPY --from=0 /a /a\nCOPY --from=nginx:1.27 /a /a").is_empty());
    assert!(c("COPY --from=B /a /a\nCOPY --from=ghcr.io/x/y /a /a").is_empty());
    assert_eq!(c("COPY --from=1 /a /a"), ["DL3022@3:13"]);
    assert_eq!(c("COPY --from=nginx /a /a"), ["DL3022@3:13"]);
    assert!(
        c("ADD https://x.dev/a.tgz /tmp/\nADD rootfs.tar.gz /\nADD <<EOF /x\nhi\nEOF\n").is_empty()
    );
    assert_eq!(c("ADD app.zip /x"), ["DL3020@3:1"]);
    assert!(c("WORKDIR /app\nWORKDIR $HOME\nWORKDIR \"/x\"\nWORKDIR C:\\\\x").is_empty());
    assert_eq!(c("ENTRYPOINT exec app"), ["DL3025@3:1"]);
    assert!(c("ENTRYPOINT [\"app\"]\nCMD [\"--help\"]").is_empty());
}

#[test]
fn secret_rule_details() {
    let e = Expectations::default();
    let c = |t: &str| codes(&check(&format!("FROM python:3.11\n{t}\nUSER 1000\n"), &e));
    assert!(c("ARG GITHUB_TOKEN\nENV GITHUB_TOKEN=$GITHUB_TOKEN\nENV DB_PASSWORD=\"\"").is_empty());
    // `TOKENIZER` is not a token (the one secret-name test, validate::secrets).
    assert!(
        c("ENV DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app\nENV TOKENIZER_MODE=x")
            .is_empty()
    );
    assert_eq!(c("ENV GITHUB_TOKEN=abc"), ["DH003@2:1"]);
    assert!(c("ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D").is_empty());
    assert_eq!(c("ENV secret_key=abc\nENV PUBLIC_URL=x"), ["DH003@2:1"]);
    assert_eq!(c("ENV JWT_SECRET very secret value"), ["DH003@2:1"]);
    assert_eq!(
        codes(&check("ARG NPM_TOKEN=abc\nFROM node:20\nUSER node\n", &e)),
        ["DH003@1:1"]
    );
}

#[test]
fn expectations_deserialize_with_defaults() {
    let e: Expectations = serde_json::from_str(r#"{"stages":["a"],"expose":[80]}"#).unwrap();
    assert_eq!(e.stages, Some(vec!["a".to_string()]));
    assert_eq!(e.expose, Some(vec![80]));
    assert!(e.base_images.is_none() && !e.nextjs_standalone);
}

#[test]
fn shell_lexer() {
    let cmds = shell_commands(
        "A=1 apt-get install -y \"x y\" 2>&1 | tee /log; if true; then echo $(a; b) `c`; fi",
    );
    let names: Vec<&str> = cmds.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["apt-get", "tee", "true", "echo"]);
    assert_eq!(cmds[0].assigns, ["A=1"]);
    assert_eq!(cmds[0].args, ["install", "-y", "x y"]);
    assert_eq!(cmds[3].args, ["$(a; b)", "`c`"]);
}

/// Whether `code` fires on `text`: cases written after hadolint's own rule
/// specs (test/Hadolint/Rule/DL*Spec.hs), in our own words.
fn fires(code: &str, text: &str) -> bool {
    check(text, &Expectations::default())
        .iter()
        .any(|d| d.code == code)
}

#[test]
fn dl3042_like_hadolint() {
    for caught in [
        "FROM python:3.12\nRUN pip2 install requests\n",
        "FROM python:3.12\nRUN pip3 install requests\n",
        "FROM python:3.12\nONBUILD RUN pip install requests\n",
        "FROM python:3.12\nENV PIP_NO_CACHE_DIR=off\nRUN pip install requests\n",
        "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=false pip install requests\n",
        "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=0 && pip install requests\n",
        // not inherited from an unrelated stage
        "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12\nRUN pip install six\n",
        // a cache mount elsewhere does not keep pip's cache out
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.npm pip install six\n",
        // a bind mount is not a cache
        "FROM python:3.12\nRUN --mount=type=bind,target=/root/.cache/pip pip install six\n",
    ] {
        assert!(fires("DL3042", caught), "{caught}");
    }
    for clean in [
        "FROM python:3.12\nRUN pip3 install --no-cache-dir requests\n",
        "FROM python:3.12\nRUN pip install requests --no-cache-dir\n",
        "FROM python:3.12\nRUN pipx install black\n",
        "FROM python:3.12\nRUN pipenv install flask\n",
        "FROM python:3.12\nENV PIP_NO_CACHE_DIR=yes\nRUN pip install requests\n",
        "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=true && pip install requests\n",
        "FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install six\n",
        // BuildKit cache (or tmpfs) mount on pip's cache folder
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install six\n",
        "FROM python:3.12\nRUN --mount=type=tmpfs,target=/root/.cache/pip pip install six\n",
        "FROM python:3.12\nRUN --mount=type=cache,id=pip,target=/home/app/.cache/pip,sharing=locked \\\n    pip install -r requirements.txt\n",
    ] {
        assert!(!fires("DL3042", clean), "{clean}");
    }
}

#[test]
fn dl3009_like_hadolint() {
    for caught in [
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        "FROM debian:12\nRUN apt update && apt install -y curl\n",
        "FROM debian:12\nRUN aptitude update && aptitude install -y curl\n",
        // an intermediate stage used as a base later
        "FROM debian:12 AS base\nRUN apt-get update\nFROM base\nRUN true\n",
        // only the apt cache folder, or only /var/lib/apt, on a mount
        "FROM debian:12\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n",
        "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\n",
    ] {
        assert!(fires("DL3009", caught), "{caught}");
    }
    for clean in [
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\nRUN apt update && apt install -y curl && rm -rf /var/lib/apt/lists/*\n",
        "FROM debian:12\nRUN aptitude update && rm -rf /var/lib/apt/lists/*\n",
        // apt >= 2.7 (Debian trixie): dist-clean deletes the lists too
        "FROM debian:13\nRUN set -eux; apt-get update; apt-get install -y tzdata; apt-get dist-clean\n",
        // an intermediate stage nobody builds on
        "FROM debian:12 AS tools\nRUN apt-get update\nFROM scratch\nCOPY --from=tools /bin/true /\n",
        "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n",
        "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n    --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n    apt-get update\n",
        "FROM debian:12\nRUN --mount=type=tmpfs,target=/var/cache/apt --mount=type=tmpfs,target=/var/lib/apt apt-get update\n",
    ] {
        assert!(!fires("DL3009", clean), "{clean}");
    }
}

#[test]
fn dl3025_covers_healthcheck_cmd() {
    assert!(fires("DL3025", "FROM node:20\nENTRYPOINT node server.js\n"));
    assert!(fires("DL3025", "FROM node:20\nCMD node server.js\n"));
    let d = check(
        "FROM node:20\nHEALTHCHECK --interval=30s CMD curl -f http://localhost/\nCMD [\"node\"]\n",
        &Expectations::default(),
    );
    let dl3025: Vec<String> = codes(&d)
        .into_iter()
        .filter(|c| c.starts_with("DL3025"))
        .collect();
    assert_eq!(dl3025, ["DL3025@2:1"]);
    assert!(d.iter().any(|d| d.message.contains("HEALTHCHECK CMD")));
    for clean in [
        "FROM node:20\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\n",
        "FROM node:20\nHEALTHCHECK NONE\n",
        "FROM node:20\nCMD [ \"node\", \"server.js\" ]\n",
        "FROM node:20\nCMD [ \"/bin/sh\", \"-c\", \\\n  \"echo a && \\\n   echo b\" \\\n  ]\n",
    ] {
        assert!(!fires("DL3025", clean), "{clean}");
    }
}

#[test]
fn dl3022_typo_of_a_stage_is_an_error() {
    let d = check(
        "FROM golang:1.22 AS builder\nRUN go build -o /app .\nFROM alpine:3.20\nCOPY --from=buidler /app /app\nUSER 1000\n",
        &Expectations::default(),
    );
    let f: Vec<&Diagnostic> = d.iter().filter(|d| d.code == "DL3022").collect();
    assert_eq!(f.len(), 1, "{d:?}");
    assert_eq!(
        (f[0].severity, f[0].line, f[0].column),
        (Severity::Error, 4, 13)
    );
    assert!(
        f[0].message.contains("did you mean `builder`?"),
        "{}",
        f[0].message
    );
    // defined later: the build fails too
    let d = check(
        "FROM alpine:3.20\nCOPY --from=build /a /a\nFROM golang:1.22 AS build\n",
        &Expectations::default(),
    );
    assert!(
        d.iter().any(|d| d.code == "DL3022" && d.is_error()),
        "{d:?}"
    );
    // an unrelated name stays hadolint's warning (it may be an image)
    let d = check(
        "FROM golang:1.22 AS builder\nFROM alpine:3.20\nCOPY --from=foo /a /a\n",
        &Expectations::default(),
    );
    let f: Vec<&Diagnostic> = d.iter().filter(|d| d.code == "DL3022").collect();
    assert_eq!(f[0].severity, Severity::Warning);
    // hadolint's cases: images, earlier names and indexes are fine
    for clean in [
        "FROM alpine:3.20\nCOPY --from=haskell:latest /a /a\n",
        "FROM scratch AS build\nFROM node:20\nCOPY --from=build /a /a\n",
        "FROM scratch\nFROM node:20\nCOPY --from=0 /a /a\n",
    ] {
        assert!(!fires("DL3022", clean), "{clean}");
    }
    assert!(fires("DL3022", "FROM alpine:3.20\nCOPY --from=0 /a /a\n"));
}

#[test]
fn bom_and_crlf_keep_positions() {
    let plain = "FROM python:latest\nWORKDIR app\n";
    let want = codes(&check(plain, &Expectations::default()));
    assert!(want.contains(&"DL3007@1:6".to_string()), "{want:?}");
    assert!(want.contains(&"DL3000@2:9".to_string()), "{want:?}");
    for variant in [
        format!("\u{feff}{plain}"),
        plain.replace('\n', "\r\n"),
        format!("\u{feff}{}", plain.replace('\n', "\r\n")),
    ] {
        assert_eq!(
            codes(&check(&variant, &Expectations::default())),
            want,
            "{variant:?}"
        );
    }
}

#[test]
fn project_policies_are_opt_in() {
    let text = "FROM node:20\nRUN npm install\nCMD [\"node\"]\n";
    let all = codes(&check(text, &Expectations::default()));
    assert!(
        all.iter().any(|c| c.starts_with("DH001")) && all.iter().any(|c| c.starts_with("DH002"))
    );
    let none = check_with(text, &Expectations::default(), DockerPolicies::default());
    assert!(
        none.iter().all(|d| d.code != "DH001" && d.code != "DH002"),
        "{none:?}"
    );
    let root = "FROM node:20\nUSER root\n";
    let sev = |p| check_with(root, &Expectations::default(), p)[0].severity;
    assert_eq!(sev(DockerPolicies::ALL), Severity::Error);
    assert_eq!(sev(DockerPolicies::default()), Severity::Warning);
}
