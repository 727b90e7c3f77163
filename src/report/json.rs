//! JSON: `{"files": [{"path", "kind", "findings": [...]}], "errors", "warnings"}`.

use super::Report;
use crate::validate::FileReport;

pub struct Json;

impl Report for Json {
    fn render(&self, files: &[FileReport]) -> String {
        let count = |sev| {
            files
                .iter()
                .flat_map(|f| &f.diagnostics)
                .filter(|d| d.severity == sev)
                .count()
        };
        let doc = serde_json::json!({
            "files": files.iter().map(|f| serde_json::json!({
                "path": f.path,
                "kind": f.kind,
                "policies": f.policies,
                "findings": f.diagnostics,
            })).collect::<Vec<_>>(),
            "errors": count(crate::validate::diagnostic::Severity::Error),
            "warnings": count(crate::validate::diagnostic::Severity::Warning),
        });
        let mut s = serde_json::to_string_pretty(&doc).expect("report serializes");
        s.push('\n');
        s
    }
}
