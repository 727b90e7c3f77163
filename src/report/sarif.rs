//! SARIF 2.1.0, for code-scanning UIs.

use std::collections::BTreeMap;

use super::Report;
use crate::validate::FileReport;
use crate::validate::diagnostic::Severity;

pub struct Sarif;

impl Report for Sarif {
    fn render(&self, files: &[FileReport]) -> String {
        let mut rules: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        let mut results = Vec::new();
        for f in files {
            for d in &f.diagnostics {
                rules.entry(d.code.as_str()).or_insert(d.hint.as_deref());
                results.push(serde_json::json!({
                    "ruleId": d.code,
                    "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Info => "note" },
                    "message": { "text": d.message },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": f.path },
                            "region": { "startLine": d.line.max(1), "startColumn": d.column.max(1) }
                        }
                    }]
                }));
            }
        }
        let doc = serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "dockhand",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(|(id, hint)| {
                        let mut r = serde_json::json!({ "id": id });
                        if let Some(h) = hint { r["help"] = serde_json::json!({ "text": h }); }
                        r
                    }).collect::<Vec<_>>()
                }},
                "results": results
            }]
        });
        let mut s = serde_json::to_string_pretty(&doc).expect("sarif serializes");
        s.push('\n');
        s
    }
}
