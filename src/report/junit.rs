//! JUnit XML: one testcase per file, one failure per error-level finding.

use super::Report;
use crate::validate::FileReport;

pub struct Junit;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Report for Junit {
    fn render(&self, files: &[FileReport]) -> String {
        let failures = files.iter().filter(|f| f.errors() > 0).count();
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dockhand\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"dockhand validate\" tests=\"{}\" failures=\"{failures}\">\n",
            files.len(),
            files.len()
        );
        for f in files {
            out.push_str(&format!(
                "    <testcase classname=\"dockhand\" name=\"{}\">\n",
                esc(&f.path)
            ));
            for d in f.diagnostics.iter().filter(|d| d.is_error()) {
                out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}:{}:{}: {}</failure>\n",
                    esc(&d.code),
                    esc(&d.message),
                    esc(&f.path),
                    d.line,
                    d.column,
                    esc(&d.message)
                ));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}
