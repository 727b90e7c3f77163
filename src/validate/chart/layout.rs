//! The chart's folders as helm loads them: `charts/` against the declared
//! dependencies, `crds/`, `templates/` and its file names.

use super::Report;
use super::files::ChartFiles;
use super::meta::ChartMeta;
use crate::validate::diagnostic::{Diagnostic, Pos};
use crate::validate::yaml;

/// Findings about the chart's layout, reported under the files they are about.
pub(super) fn check_layout(files: &ChartFiles, meta: &ChartMeta, rep: &mut Report) {
    let chart_path = files.path_of("Chart.yaml");
    // A subchart helm cannot load: helm refuses the parent too.
    for sub in files.subcharts.iter().filter(|s| s.name.is_none()) {
        rep.add(
            &chart_path,
            Diagnostic::error(
                "chart/subchart",
                Pos::new(1, 1),
                format!(
                    "{} is not a chart helm can load: its Chart.yaml is missing or has no `name`",
                    sub.rel
                ),
            )
            .with_hint("fix the subchart's Chart.yaml, or remove it from charts/"),
        );
    }
    // Dependencies cannot be compared when Chart.yaml itself could not be read.
    if !meta.readable {
        return check_folders(files, meta, rep);
    }
    // Declared but absent: `helm template` / `install` refuse the chart.
    for dep in &meta.dependencies {
        if !files.subcharts.iter().any(|s| {
            s.name.as_deref() == Some(dep.name.as_str())
                || (s.name.is_none() && s.rel.strip_prefix("charts/") == Some(dep.name.as_str()))
        }) {
            rep.add(
                &chart_path,
                Diagnostic::error(
                    "chart/dependency-missing",
                    dep.pos,
                    format!(
                        "dependency `{}` is declared but missing in charts/",
                        dep.name
                    ),
                )
                .with_hint("run `helm dependency build` to fetch it into charts/"),
            );
        }
    }
    // Present but undeclared: `helm lint` refuses it.
    for sub in &files.subcharts {
        let Some(name) = &sub.name else { continue };
        if !meta.dependencies.iter().any(|d| d.name == *name) {
            rep.add(
                &chart_path,
                Diagnostic::error(
                    "chart/dependency-undeclared",
                    Pos::new(1, 1),
                    format!(
                        "{} (chart `{name}`) is not declared as a dependency",
                        sub.rel
                    ),
                )
                .with_hint(if meta.api_version.as_deref() == Some("v1") {
                    "list it under `dependencies` in requirements.yaml"
                } else {
                    "list it under `dependencies` in Chart.yaml"
                }),
            );
        }
    }
    check_folders(files, meta, rep);
}

fn check_folders(files: &ChartFiles, meta: &ChartMeta, rep: &mut Report) {
    let chart_path = files.path_of("Chart.yaml");
    // crds/: a folder of CustomResourceDefinitions (not templates).
    if files.crds_not_dir {
        rep.add(
            &files.path_of("crds"),
            Diagnostic::error("chart/crds", Pos::new(1, 1), "crds is not a folder")
                .with_hint("crds/ holds CustomResourceDefinition files"),
        );
    }
    for rel in files.under("crds") {
        let path = files.path_of(rel);
        rep.touch(&path);
        let Some(Ok(text)) = files.text(rel) else {
            continue;
        };
        let parsed = yaml::parse(text);
        let syntax = parsed.diagnostics.iter().any(|d| d.code == "yaml/syntax");
        rep.extend(&path, parsed.diagnostics);
        if syntax {
            continue;
        }
        for doc in &parsed.documents {
            let api = doc
                .root
                .get("apiVersion")
                .and_then(|n| n.as_str())
                .unwrap_or("");
            if !api.starts_with("apiextensions.k8s.io") {
                let pos = doc.root.get("apiVersion").map_or(doc.start, |n| n.pos);
                rep.add(
                    &path,
                    Diagnostic::error(
                        "chart/crds",
                        pos,
                        format!("a file in crds/ has apiVersion `{api}`, not `apiextensions.k8s.io/*`"),
                    )
                    .with_hint("crds/ holds only CustomResourceDefinitions; move other objects to templates/")
                    .with_document(doc.index),
                );
            }
            let kind = doc.root.get("kind").and_then(|n| n.as_str()).unwrap_or("");
            if kind != "CustomResourceDefinition" {
                let pos = doc.root.get("kind").map_or(doc.start, |n| n.pos);
                rep.add(
                    &path,
                    Diagnostic::error(
                        "chart/crds",
                        pos,
                        format!("a file in crds/ has kind `{kind}`, not `CustomResourceDefinition`"),
                    )
                    .with_hint("crds/ holds only CustomResourceDefinitions; move other objects to templates/")
                    .with_document(doc.index),
                );
            }
        }
    }
    // templates/
    if files.templates_not_dir {
        rep.add(
            &files.path_of("templates"),
            Diagnostic::error(
                "chart/templates",
                Pos::new(1, 1),
                "templates is not a folder",
            )
            .with_hint("templates/ holds the chart's templates"),
        );
    } else if !files.has_templates && !meta.library {
        rep.add(
            &chart_path,
            Diagnostic::warning(
                "chart/templates",
                Pos::new(1, 1),
                if files.under("crds").next().is_some() {
                    "the chart has no templates/ folder: it installs only its CRDs"
                } else {
                    "the chart has no templates/ folder: it installs nothing"
                },
            )
            .with_hint("`helm lint` warns too; add templates/ or make it a library chart"),
        );
    }
    for rel in files.under("templates") {
        let ext = rel.rsplit_once('.').map_or("", |(_, e)| e);
        if !matches!(ext, "yaml" | "yml" | "tpl" | "txt") {
            rep.add(
                &files.path_of(rel),
                Diagnostic::error(
                    "chart/template-name",
                    Pos::new(1, 1),
                    format!("template file extension `.{ext}` is not valid: use .yaml, .yml, .tpl or .txt"),
                )
                .with_hint("`helm lint` refuses other files in templates/"),
            );
        }
    }
}
