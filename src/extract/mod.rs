//! Response extraction: turn an assistant's chatty answer into the text of one
//! artifact (Kubernetes manifests, a Dockerfile, Helm chart YAML or a report).
//!
//! Everything here is pure and synchronous. The pipeline is:
//!
//! 1. [`strip_ansi`] removes terminal escape sequences (colours, cursor moves,
//!    OSC hyperlinks), then line endings are normalised: `\r\n` becomes `\n`
//!    and for a line still containing `\r` only the text after the last `\r`
//!    is kept (what a terminal would show after a spinner overwrote it).
//!    Trailing whitespace is dropped from every line (glamour pads lines).
//! 2. Fenced code blocks (```` ``` ```` or `~~~`, three or more, closing fence
//!    at least as long, any indentation) are collected and dedented by their
//!    common indentation. Only blocks whose language fits the wanted kind are
//!    used (an allow-list, see `lang_fits`: bare fences plus `yaml`/`yml` for
//!    Kubernetes and Helm, `dockerfile`/`docker`/`containerfile` for
//!    Dockerfiles); ```` ```bash ````, ```` ```console ```` etc. are ignored.
//! 3. If no fenced block fits, the text outside fences is scanned for bare
//!    YAML / a bare Dockerfile (see [`extract`] for the heuristics).

pub mod glamour;

use crate::artifact::OutputKind;

/// The artifact text extracted from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The artifact, normalised to end with exactly one `'\n'`.
    pub text: String,
    /// How many fenced blocks were used (0 when the artifact came from the
    /// raw, unfenced text, and for reports).
    pub blocks: usize,
}

/// Why nothing could be extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractError {
    /// The response contains nothing that looks like the wanted kind.
    NothingFound { kind: OutputKind },
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::NothingFound { kind } => match kind {
                OutputKind::Kubernetes => f.write_str(
                    "no Kubernetes manifest found in the response \
                     (expected a ```yaml block or bare YAML with top-level `apiVersion:` and `kind:`)",
                ),
                OutputKind::Dockerfile => f.write_str(
                    "no Dockerfile found in the response \
                     (expected a ```dockerfile block or text starting with FROM)",
                ),
                OutputKind::Helm => f.write_str(
                    "no Helm chart YAML found in the response \
                     (expected a ```yaml block, a template with `{{ }}` or bare YAML)",
                ),
                OutputKind::Report => f.write_str("the response is empty"),
            },
        }
    }
}

impl std::error::Error for ExtractError {}

// ---------------------------------------------------------------------------
// ANSI

/// Remove terminal escape sequences (colours, cursor moves, OSC strings such as
/// hyperlinks, whose visible text is kept), with the `strip-ansi-escapes` crate: the one
/// place dockhand strips ANSI. That crate keeps only `\n` of the C0 controls, so `\t` and
/// `\r` are protected around it (a spinner's `\r` redraws are resolved by the caller that
/// needs them), and the C1 control-sequence introducer `\u{9b}` (which it passes through as
/// text) is turned into `ESC [` first. Lines are stripped one by one, so that a malformed
/// sequence cannot swallow the rest of the response.
pub fn strip_ansi(s: &str) -> String {
    const TAB: char = '\u{e000}';
    const CR: char = '\u{e001}';
    let strip = |line: &str| -> String {
        let protected: String = line
            .chars()
            .map(|c| match c {
                '\t' => TAB,
                '\r' => CR,
                c => c,
            })
            .collect::<String>()
            .replace('\u{9b}', "\u{1b}[");
        strip_ansi_escapes::strip_str(&protected)
            .chars()
            .filter(|&c| c != '\x7f')
            .map(|c| match c {
                TAB => '\t',
                CR => '\r',
                c => c,
            })
            .collect()
    };
    s.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(l) => strip(l) + "\n",
            None => strip(line),
        })
        .collect()
}

/// ANSI-strip and normalise line endings; trailing whitespace is removed
/// from every line.
fn normalise(response: &str) -> Vec<String> {
    let text = strip_ansi(response).replace("\r\n", "\n");
    text.split('\n')
        .map(|line| {
            let line = match line.rfind('\r') {
                Some(i) => &line[i + 1..],
                None => line,
            };
            line.trim_end().to_string()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Fences

#[derive(Debug)]
struct Fence {
    /// Lower-cased first word of the info string ("" for a bare fence).
    lang: String,
    /// Index of the opening fence line.
    open: usize,
    /// Index one past the closing fence line (or the number of lines when
    /// the fence is never closed).
    end: usize,
    /// The dedented content.
    body: Vec<String>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// Remove at most `n` leading spaces/tabs.
fn strip_indent(line: &str, n: usize) -> &str {
    &line[indent_of(line).min(n)..]
}

/// Parse a fence opener: `(fence char, fence length, info string)`.
fn fence_open(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start_matches([' ', '\t']);
    let ch = t.chars().next()?;
    if ch != '`' && ch != '~' {
        return None;
    }
    let n = t.chars().take_while(|&c| c == ch).count();
    if n < 3 {
        return None;
    }
    let info = t[n..].trim();
    if ch == '`' && info.contains('`') {
        return None; // inline code such as ```foo```
    }
    Some((ch, n, info))
}

fn fence_close(line: &str, ch: char, n: usize) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    let m = t.chars().take_while(|&c| c == ch).count();
    m >= n && t[m * ch.len_utf8()..].trim().is_empty()
}

fn fence_lang(info: &str) -> String {
    info.trim_start_matches(['{', '.'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Remove the common indentation of the non-blank lines.
fn dedent(lines: &[String]) -> Vec<String> {
    let min = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent_of(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                l[min..].to_string()
            }
        })
        .collect()
}

fn find_fences(lines: &[String]) -> Vec<Fence> {
    let mut fences = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((ch, n, info)) = fence_open(&lines[i]) else {
            i += 1;
            continue;
        };
        let lang = fence_lang(info);
        let mut j = i + 1;
        while j < lines.len() && !fence_close(&lines[j], ch, n) {
            j += 1;
        }
        let body = dedent(&lines[i + 1..j]);
        let end = (j + 1).min(lines.len());
        fences.push(Fence {
            lang,
            open: i,
            end,
            body,
        });
        i = end;
    }
    fences
}

fn lang_fits(kind: OutputKind, lang: &str) -> bool {
    match kind {
        OutputKind::Kubernetes => matches!(lang, "" | "yaml" | "yml" | "k8s" | "kubernetes"),
        OutputKind::Helm => matches!(
            lang,
            "" | "yaml"
                | "yml"
                | "helm"
                | "gotmpl"
                | "tpl"
                | "go-template"
                | "gotemplate"
                | "yaml+jinja"
        ),
        OutputKind::Dockerfile => matches!(lang, "" | "dockerfile" | "docker" | "containerfile"),
        OutputKind::Report => true,
    }
}

// ---------------------------------------------------------------------------
// YAML heuristics (line based; no YAML parser is involved)

fn is_doc_separator(line: &str) -> bool {
    line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace)
}

/// Does a line at the top level (column 0) look like YAML?
///
/// Accepted: comments, `---`/`...`, list items, Helm template actions
/// (`{{ ... }}`) and `key:` lines whose key is quoted or starts with a
/// lower-case letter, digit or `_`. Capitalised keys are treated as prose:
/// Kubernetes top-level keys are all lowerCamel and Helm values are lowerCamel
/// by convention, while prose such as `Note: ...` or kubectl-ai's
/// `Running: kubectl get pods` is capitalised.
fn is_yaml_top_line(line: &str) -> bool {
    if line.starts_with('#') || is_doc_separator(line) || line == "..." || line.starts_with("{{") {
        return true;
    }
    if line == "-" || line.starts_with("- ") {
        return true;
    }
    is_key_line(line)
}

fn is_key_line(line: &str) -> bool {
    let key_end = if let Some(q @ ('"' | '\'')) = line.chars().next() {
        match line[1..].find(q) {
            Some(i) => i + 2,
            None => return false,
        }
    } else {
        let Some(first) = line.chars().next() else {
            return false;
        };
        if !(first.is_ascii_lowercase() || first.is_ascii_digit() || first == '_') {
            return false;
        }
        match line
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
        {
            Some(i) => i,
            None => return false,
        }
    };
    let rest = &line[key_end..];
    rest.starts_with(':') && rest[1..].chars().next().is_none_or(char::is_whitespace)
}

/// Split a YAML stream on `---` lines, trimming blank lines around each
/// document and dropping empty (blank or comment-only) documents.
fn split_documents(lines: &[String]) -> Vec<Vec<String>> {
    let mut docs: Vec<Vec<String>> = vec![Vec::new()];
    for line in lines {
        if is_doc_separator(line) {
            docs.push(Vec::new());
        } else {
            docs.last_mut().expect("non-empty").push(line.clone());
        }
    }
    docs.into_iter()
        .filter(|d| {
            d.iter()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .map(trim_blank_lines)
        .collect()
}

fn trim_blank_lines(mut lines: Vec<String>) -> Vec<String> {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    lines.drain(..first);
    lines
}

fn is_manifest_doc(doc: &[String]) -> bool {
    doc.iter().any(|l| l.starts_with("apiVersion:")) && doc.iter().any(|l| l.starts_with("kind:"))
}

fn has_template(doc: &[String]) -> bool {
    doc.iter().any(|l| l.contains("{{") && l.contains("}}"))
}

/// Every non-blank top-level line looks like YAML and there is at least one
/// top-level `key:` line.
fn looks_like_yaml(doc: &[String]) -> bool {
    let top: Vec<&String> = doc
        .iter()
        .filter(|l| !l.trim().is_empty() && indent_of(l) == 0)
        .collect();
    top.iter().all(|l| is_yaml_top_line(l)) && top.iter().any(|l| is_key_line(l))
}

/// The documents of a block if the block fits `kind`, else `None`.
fn yaml_block_docs(kind: OutputKind, lines: &[String]) -> Option<Vec<Vec<String>>> {
    let docs = split_documents(lines);
    let fits = match kind {
        OutputKind::Kubernetes => docs.iter().any(|d| is_manifest_doc(d)),
        OutputKind::Helm => docs
            .iter()
            .any(|d| is_manifest_doc(d) || has_template(d) || looks_like_yaml(d)),
        _ => false,
    };
    fits.then_some(docs)
}

/// Scan unfenced text for YAML segments. A segment starts at a line whose
/// trimmed text begins with `apiVersion:` or is `---` (for Helm also `{{` or
/// a lower-case `key:` line); its indentation becomes the segment's base. It
/// continues over blank lines and lines indented deeper than the base, and
/// over lines at the base indentation that look like top-level YAML
/// ([`is_yaml_top_line`]); it ends at anything else (prose, a less indented
/// line such as glamour's paragraph margin, a fence). Trailing blank lines are
/// dropped. `None` entries are barriers (fenced regions).
fn yaml_segments(kind: OutputKind, lines: &[Option<&str>]) -> Vec<Vec<String>> {
    let starts = |t: &str| {
        t.starts_with("apiVersion:")
            || is_doc_separator(t)
            || (kind == OutputKind::Helm && (t.starts_with("{{") || is_key_line(t)))
    };
    let mut segments = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(line) = lines[i] else {
            i += 1;
            continue;
        };
        let t = line.trim_start_matches([' ', '\t']);
        if !starts(t) {
            i += 1;
            continue;
        }
        let base = indent_of(line);
        let mut seg = vec![t.to_string()];
        let mut j = i + 1;
        while j < lines.len() {
            let Some(l) = lines[j] else { break };
            if l.trim().is_empty() {
                seg.push(String::new());
                j += 1;
                continue;
            }
            let ind = indent_of(l);
            if ind < base || (ind == base && !is_yaml_top_line(&l[base..])) {
                break;
            }
            seg.push(l[base..].to_string());
            j += 1;
        }
        segments.push(trim_blank_lines(seg));
        i = j;
    }
    segments
}

/// Lines outside fenced blocks; fenced regions become barriers (`None`).
fn unfenced<'a>(lines: &'a [String], fences: &[Fence]) -> Vec<Option<&'a str>> {
    let mut out: Vec<Option<&str>> = lines.iter().map(|l| Some(l.as_str())).collect();
    for f in fences {
        for slot in &mut out[f.open..f.end] {
            *slot = None;
        }
    }
    out
}

fn join_docs(docs: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        for line in doc {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Dockerfile heuristics

const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The instruction keyword a line starts with (upper-cased), if any.
fn instruction_of(line: &str) -> Option<String> {
    let t = line.trim_start();
    let word: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let rest = &t[word.len()..];
    let upper = word.to_ascii_uppercase();
    (INSTRUCTIONS.contains(&upper.as_str()) && rest.chars().next().is_none_or(char::is_whitespace))
        .then_some(upper)
}

/// First instruction is FROM, or ARGs followed by FROM (comments, parser
/// directives and blank lines are skipped).
fn starts_with_from(lines: &[String]) -> bool {
    let mut continued = false;
    for line in lines {
        let t = line.trim();
        if continued {
            continued = t.ends_with('\\');
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match instruction_of(t).as_deref() {
            Some("ARG") => continued = t.ends_with('\\'),
            Some("FROM") => return true,
            _ => return false,
        }
    }
    false
}

/// Heredoc delimiters opened on a line (`<<EOF`, `<<-EOF`, `<<"EOF"`), as
/// `(delimiter, strip_tabs)`. `<<<` here-strings are not heredocs, nor is `<<` inside
/// quotes. Shared by the extraction of shell commands and the Dockerfile reader.
pub(crate) fn heredoc_delims(line: &str) -> Vec<(String, bool)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if b == b'\'' || b == b'"' {
            quote = Some(b);
            i += 1;
            continue;
        }
        if b == b'<' && bytes.get(i + 1) == Some(&b'<') {
            let mut j = i + 2;
            if bytes.get(j) == Some(&b'<') {
                i = j + 1;
                continue;
            }
            let strip = bytes.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let q = matches!(bytes.get(j), Some(b'"' | b'\'')).then(|| bytes[j]);
            if q.is_some() {
                j += 1;
            }
            let start = j;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'-')
            {
                j += 1;
            }
            if j > start {
                out.push((line[start..j].to_string(), strip));
            }
            if q.is_some() && bytes.get(j).copied() == q {
                j += 1;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Unfenced Dockerfile: starts at the first line beginning with `FROM `,
/// `ARG ` (upper case, so prose like "From the docs" does not match) or a
/// `# syntax=` directive; its indentation is the base. It continues over
/// blank lines, comments, instruction lines, continuation lines (after a
/// trailing `\`) and heredoc bodies; it stops at a less indented line or any
/// other line (prose).
fn dockerfile_segment(lines: &[Option<&str>]) -> Option<Vec<String>> {
    let start = lines.iter().position(|l| {
        l.is_some_and(|l| {
            let t = l.trim_start();
            t.starts_with("FROM ")
                || t.starts_with("ARG ")
                || t.starts_with("# syntax=")
                || t.starts_with("#syntax=")
        })
    })?;
    let base = indent_of(lines[start].expect("start line is text"));
    let mut out = Vec::new();
    let mut continued = false;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    for l in &lines[start..] {
        let Some(l) = *l else { break };
        if !heredocs.is_empty() {
            let (delim, _) = &heredocs[0];
            if l.trim() == delim {
                heredocs.remove(0);
            }
            out.push(strip_indent(l, base).to_string());
            continue;
        }
        if l.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        if indent_of(l) < base {
            break;
        }
        let rel = &l[base..];
        let t = rel.trim();
        if continued || t.starts_with('#') || instruction_of(rel).is_some() {
            if !t.starts_with('#') {
                continued = t.ends_with('\\');
                heredocs.extend(heredoc_delims(t));
            }
            out.push(rel.to_string());
        } else {
            break;
        }
    }
    let out = trim_blank_lines(out);
    starts_with_from(&out).then_some(out)
}

// ---------------------------------------------------------------------------
// Entry point

fn finish(lines: &[String], blocks: usize) -> Extracted {
    let mut text = lines.join("\n").trim_end().to_string();
    text.push('\n');
    Extracted { text, blocks }
}

/// Extract the artifact of `kind` from an assistant's `response`.
///
/// - **Kubernetes**: every fitting fenced block (```` ```yaml ````, `yml`, or
///   bare) containing a document with top-level `apiVersion:` and `kind:`
///   lines is kept; blocks are split on `---`, empty documents dropped, and
///   everything is joined as one multi-document stream. Without such a fence,
///   the unfenced text is scanned for YAML segments (see `yaml_segments`:
///   from an `apiVersion:`/`---` line on, stopping at prose such as
///   `Running: kubectl ...`, at less indented lines, or at fences), keeping
///   the manifest-like ones.
/// - **Helm**: like Kubernetes, but a block also fits when it contains a
///   `{{ }}` template action or is plain YAML (values.yaml, Chart.yaml); an
///   unfenced segment may also start at `{{` or a lower-case `key:` line and
///   must then have at least two non-blank lines.
/// - **Dockerfile**: the first fitting fenced block (`dockerfile`, `docker`,
///   `containerfile`, bare) whose first instruction is FROM (or ARGs then
///   FROM); else the unfenced text from the first `FROM `/`ARG `/`# syntax=`
///   line, up to the first line that is not Dockerfile syntax.
/// - **Report**: the whole text, ANSI-stripped and trimmed.
///
/// Text rendered by glamour (kubectl-ai in a pipe: no fences, code 4 spaces in, padded,
/// long lines wrapped onto the margin) is first turned back into markdown
/// ([`glamour::unrender`]).
pub fn extract(kind: OutputKind, response: &str) -> Result<Extracted, ExtractError> {
    // kubectl-ai's glamour rendering: fences back, wrapped lines rejoined, commands' heredocs
    // set aside (see `glamour`).
    if kind != OutputKind::Report && glamour::looks_rendered(response) {
        let markdown = glamour::unrender(response).answer();
        // Its fences are dockhand's, not the assistant's: the text was unfenced.
        return extract_text(kind, &markdown).map(|x| Extracted { blocks: 0, ..x });
    }
    extract_text(kind, response)
}

fn extract_text(kind: OutputKind, response: &str) -> Result<Extracted, ExtractError> {
    let lines = normalise(response);
    let nothing = Err(ExtractError::NothingFound { kind });
    match kind {
        OutputKind::Report => {
            if lines.iter().all(|l| l.trim().is_empty()) {
                return nothing;
            }
            Ok(finish(&trim_blank_lines(lines), 0))
        }
        OutputKind::Dockerfile => {
            let fences = find_fences(&lines);
            if let Some(f) = fences
                .iter()
                .find(|f| lang_fits(kind, &f.lang) && starts_with_from(&f.body))
            {
                return Ok(finish(&trim_blank_lines(f.body.clone()), 1));
            }
            match dockerfile_segment(&unfenced(&lines, &fences)) {
                Some(seg) => Ok(finish(&seg, 0)),
                None => nothing,
            }
        }
        OutputKind::Kubernetes | OutputKind::Helm => {
            let fences = find_fences(&lines);
            let mut docs = Vec::new();
            let mut blocks = 0;
            for f in fences.iter().filter(|f| lang_fits(kind, &f.lang)) {
                if let Some(d) = yaml_block_docs(kind, &f.body) {
                    blocks += 1;
                    docs.extend(d);
                }
            }
            if docs.is_empty() {
                for seg in yaml_segments(kind, &unfenced(&lines, &fences)) {
                    if kind == OutputKind::Helm
                        && seg.iter().filter(|l| !l.trim().is_empty()).count() < 2
                    {
                        continue;
                    }
                    if let Some(d) = yaml_block_docs(kind, &seg) {
                        docs.extend(d);
                    }
                }
            }
            if docs.is_empty() {
                return nothing;
            }
            let text = join_docs(&docs);
            Ok(Extracted { text, blocks })
        }
    }
}

#[cfg(test)]
mod tests;
