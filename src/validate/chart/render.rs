//! The built-in renderer: executes the supported subset of Go templates
//! (and Sprig) with helm's semantics, and Go's value formatting.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value as J};

use super::files::ChartFiles;
use super::functions::undefined_functions;
use super::gofmt::{go_quote, print_top, strval};
use super::gotmpl;
use super::meta::ChartMeta;
use super::template::{Defines, Source, unsupported};
use super::to_yaml::to_yaml;
use super::{LineIndex, RenderedFile, Report};
use crate::validate::diagnostic::{Diagnostic, Pos, Severity};

/// Render every template with the built-in renderer. Returns the rendered
/// files and whether every template could be rendered. What the renderer
/// cannot render is one `chart/not-fully-checked` info finding naming the
/// first such construct; it is never an error.
pub(super) fn render_builtin(
    chart: &ChartFiles,
    chart_name: &str,
    meta: &ChartMeta,
    values: &J,
    sources: &[Source],
    rep: &mut Report,
) -> (Vec<RenderedFile>, bool) {
    let mut complete = true;
    // Syntax errors first: a template that does not parse is not rendered.
    for src in sources {
        if let Some(e) = &src.parse_error {
            let pos = LineIndex::new(&src.text).pos(&src.text, e.at);
            rep.add(
                &src.path,
                Diagnostic::error("chart/template-syntax", pos, e.message.clone())
                    .with_hint("fix the Go template syntax: every `{{ if }}`/`{{ define }}` needs its `{{ end }}`, actions close with `}}`"),
            );
            complete = false;
        }
    }
    // A function helm does not define fails the whole chart in helm (Go
    // checks names when it parses); the template is not rendered here.
    let mut undefined: HashSet<usize> = HashSet::new();
    for (i, src) in sources.iter().enumerate() {
        let Some(tree) = &src.tree else { continue };
        for (name, at) in undefined_functions(tree) {
            let pos = LineIndex::new(&src.text).pos(&src.text, at);
            rep.add(
                &src.path,
                Diagnostic::error(
                    "chart/template-syntax",
                    pos,
                    format!("function \"{name}\" not defined"),
                )
                .with_hint("helm refuses to render the chart: check the name against Go's, Sprig's and helm's template functions"),
            );
            undefined.insert(i);
            complete = false;
        }
    }
    // (path, position, construct, template not rendered)
    let mut skipped: Vec<(String, Pos, String, String)> = Vec::new();
    if let Some(sub) = chart.subcharts.first() {
        skipped.push((
            chart.path_of("Chart.yaml"),
            Pos::new(1, 1),
            format!("subcharts ({})", sub.rel),
            "the subcharts' templates".to_owned(),
        ));
    }
    let mut defines: Defines<'_> = HashMap::new();
    for (i, src) in sources.iter().enumerate() {
        if let Some(tree) = &src.tree {
            for d in &tree.defines {
                defines.insert(d.name.clone(), (i, &d.body));
            }
        }
    }
    let lines: Vec<LineIndex> = sources.iter().map(|s| LineIndex::new(&s.text)).collect();
    let pos_in = |file: usize, at: usize| lines[file].pos(&sources[file].text, at);

    let mut release = Map::new();
    release.insert("Name".into(), J::String(chart_name.to_owned()));
    release.insert("Namespace".into(), J::String("default".into()));
    release.insert("Service".into(), J::String("Helm".into()));
    release.insert("IsInstall".into(), J::Bool(true));
    release.insert("IsUpgrade".into(), J::Bool(false));
    release.insert("Revision".into(), J::from(1i64));

    let mut rendered = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let Some(tree) = &src.tree else { continue };
        if !src.renders() || undefined.contains(&i) {
            continue;
        }
        let mut found = Vec::new();
        unsupported(&tree.items, i, &defines, &mut HashSet::new(), &mut found);
        if let Some((f, at, what)) = found.into_iter().next() {
            skipped.push((
                sources[f].path.clone(),
                pos_in(f, at),
                what,
                src.rel.clone(),
            ));
            continue;
        }
        let mut root = Map::new();
        root.insert("Values".into(), values.clone());
        root.insert("Release".into(), J::Object(release.clone()));
        root.insert("Chart".into(), J::Object(meta.object.clone()));
        let mut template = Map::new();
        template.insert(
            "Name".into(),
            J::String(format!("{chart_name}/{}", src.rel)),
        );
        template.insert(
            "BasePath".into(),
            J::String(format!("{chart_name}/templates")),
        );
        root.insert("Template".into(), J::Object(template));
        let root = J::Object(root);
        let mut exec = Exec {
            defines: &defines,
            depth: 0,
        };
        let mut out = String::new();
        match exec.items(i, &tree.items, &root, &root, &mut out) {
            Ok(()) => {
                if !out.trim().is_empty() {
                    rendered.push(RenderedFile {
                        template: src.rel.clone(),
                        text: out,
                    });
                }
            }
            Err(e) => {
                complete = false;
                let pos = pos_in(e.file, e.at);
                let within = if e.file == i {
                    String::new()
                } else {
                    format!(" (rendering {})", src.rel)
                };
                rep.add(
                    &sources[e.file].path,
                    Diagnostic::error("chart/render", pos, format!("{}{within}", e.message))
                        .with_hint("helm fails the same way: check the value's type and that its parents exist in values.yaml"),
                );
            }
        }
    }
    if let Some((path, pos, what, _)) = skipped.first() {
        complete = false;
        let mut not_rendered: Vec<&str> = skipped.iter().map(|(_, _, _, t)| t.as_str()).collect();
        not_rendered.dedup();
        let more = if skipped.len() > 1 {
            format!(" (and {} more)", skipped.len() - 1)
        } else {
            String::new()
        };
        rep.add(
            path,
            Diagnostic::new(
                "chart/not-fully-checked",
                Severity::Info,
                *pos,
                format!(
                    "not fully checked: the built-in renderer cannot render {what}{more}; not rendered or checked: {}",
                    not_rendered.join(", ")
                ),
            )
            .with_hint("install helm (dockhand renders with `helm template` when helm is on PATH or `[tools.helm] binary` names it) to check the whole chart"),
        );
    }
    (rendered, complete)
}

struct RenderError {
    file: usize,
    at: usize,
    message: String,
}

struct Exec<'d, 'a> {
    defines: &'d Defines<'a>,
    depth: usize,
}

type R<T> = Result<T, RenderError>;

fn err<T>(file: usize, at: usize, message: impl Into<String>) -> R<T> {
    Err(RenderError {
        file,
        at,
        message: message.into(),
    })
}

/// Go template truthiness.
fn truth(v: &J) -> bool {
    match v {
        J::Null => false,
        J::Bool(b) => *b,
        J::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        J::String(s) => !s.is_empty(),
        J::Array(a) => !a.is_empty(),
        J::Object(m) => !m.is_empty(),
    }
}

/// Sprig's `empty`.
fn is_empty(v: &J) -> bool {
    !truth(v)
}

/// Go's type name for a value, in error messages.
fn go_type(v: &J) -> &'static str {
    match v {
        J::Null => "nil",
        J::Bool(_) => "bool",
        J::Number(n) if n.is_f64() => "float64",
        J::Number(_) => "int64",
        J::String(_) => "string",
        J::Array(_) => "[]interface {}",
        J::Object(_) => "map[string]interface {}",
    }
}

impl Exec<'_, '_> {
    fn items(
        &mut self,
        file: usize,
        items: &[gotmpl::Item],
        dot: &J,
        dollar: &J,
        out: &mut String,
    ) -> R<()> {
        use gotmpl::Item;
        for item in items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Action(p) => {
                    let v = self.pipe(file, p, dot, dollar)?;
                    out.push_str(&print_top(&v));
                }
                Item::If { branches, els, .. } => {
                    let mut done = false;
                    for (cond, body) in branches {
                        if truth(&self.pipe(file, cond, dot, dollar)?) {
                            self.items(file, body, dot, dollar, out)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        self.items(file, els, dot, dollar, out)?;
                    }
                }
                Item::Template { name, arg, at, .. } => {
                    let data = match arg {
                        Some(p) => self.pipe(file, p, dot, dollar)?,
                        None => J::Null,
                    };
                    let text = self.include(file, *at, name, &data)?;
                    out.push_str(&text);
                }
                Item::With { at, .. } | Item::Range { at, .. } | Item::Control { at, .. } => {
                    return err(file, *at, "not supported by the built-in renderer");
                }
            }
        }
        Ok(())
    }

    fn include(&mut self, file: usize, at: usize, name: &str, data: &J) -> R<String> {
        let Some((f, body)) = self.defines.get(name).copied() else {
            return err(
                file,
                at,
                format!(
                    "no template named \"{name}\" (named templates come from `{{{{ define \"{name}\" }}}}`)"
                ),
            );
        };
        if self.depth >= 1000 {
            return err(
                file,
                at,
                format!(
                    "rendering template \"{name}\" exceeded the maximum depth of 1000 (recursive include?)"
                ),
            );
        }
        self.depth += 1;
        let mut out = String::new();
        let r = self.items(f, body, data, data, &mut out);
        self.depth -= 1;
        r.map(|()| out)
    }

    fn pipe(&mut self, file: usize, p: &gotmpl::Pipe, dot: &J, dollar: &J) -> R<J> {
        if let Some((_, at)) = p.decls.first() {
            return err(
                file,
                *at,
                "variables are not supported by the built-in renderer",
            );
        }
        let mut prev: Option<J> = None;
        for cmd in &p.cmds {
            prev = Some(self.command(file, cmd, dot, dollar, prev)?);
        }
        Ok(prev.unwrap_or(J::Null))
    }

    fn command(
        &mut self,
        file: usize,
        cmd: &gotmpl::Cmd,
        dot: &J,
        dollar: &J,
        last: Option<J>,
    ) -> R<J> {
        use gotmpl::Arg;
        let Some(first) = cmd.args.first() else {
            return err(file, cmd.at, "empty command");
        };
        if let Arg::Func { name, at } = first {
            let mut args = Vec::with_capacity(cmd.args.len());
            for a in &cmd.args[1..] {
                args.push(self.arg(file, a, dot, dollar)?);
            }
            if let Some(l) = last {
                args.push(l);
            }
            return self.call(file, *at, name, args);
        }
        if cmd.args.len() > 1 || last.is_some() {
            return err(file, first.at(), "can't give argument to non-function");
        }
        self.arg(file, first, dot, dollar)
    }

    fn arg(&mut self, file: usize, arg: &gotmpl::Arg, dot: &J, dollar: &J) -> R<J> {
        use gotmpl::Arg;
        match arg {
            Arg::Field { chain, at } => walk_fields(file, *at, dot, chain),
            Arg::Var { name, chain, at } if name.is_empty() => {
                walk_fields(file, *at, dollar, chain)
            }
            Arg::Lit { value, .. } => Ok(value.clone()),
            Arg::Sub { pipe, chain, at } => {
                let v = self.pipe(file, pipe, dot, dollar)?;
                walk_fields(file, *at, &v, chain)
            }
            Arg::Func { name, at } => self.call(file, *at, name, Vec::new()),
            Arg::Var { at, .. } | Arg::Unsupported { at, .. } => {
                err(file, *at, "not supported by the built-in renderer")
            }
        }
    }

    fn call(&mut self, file: usize, at: usize, name: &str, args: Vec<J>) -> R<J> {
        let want = |n: usize| -> R<()> {
            if args.len() == n {
                Ok(())
            } else {
                err(
                    file,
                    at,
                    format!(
                        "wrong number of args for {name}: want {n} got {}",
                        args.len()
                    ),
                )
            }
        };
        let int_arg = |v: &J| -> R<i64> {
            match v {
                J::Number(n) if !n.is_f64() => n.as_i64().map_or_else(
                    || err(file, at, format!("{name}: integer out of range")),
                    Ok,
                ),
                other => err(
                    file,
                    at,
                    format!(
                        "error calling {name}: wrong type for value; expected int; got {}",
                        go_type(other)
                    ),
                ),
            }
        };
        let str_arg = |v: &J| -> R<String> {
            match v {
                J::String(s) => Ok(s.clone()),
                J::Null => err(
                    file,
                    at,
                    format!("error calling {name}: invalid value; expected string"),
                ),
                other => err(
                    file,
                    at,
                    format!(
                        "error calling {name}: wrong type for value; expected string; got {}",
                        go_type(other)
                    ),
                ),
            }
        };
        Ok(match name {
            "include" => {
                want(2)?;
                let n = str_arg(&args[0])?;
                J::String(self.include(file, at, &n, &args[1])?)
            }
            "toYaml" => {
                want(1)?;
                J::String(to_yaml(&args[0]))
            }
            "indent" | "nindent" => {
                want(2)?;
                let n = int_arg(&args[0])?;
                let s = str_arg(&args[1])?;
                let pad = " ".repeat(n.max(0) as usize);
                let body = format!("{pad}{}", s.replace('\n', &format!("\n{pad}")));
                J::String(if name == "nindent" {
                    format!("\n{body}")
                } else {
                    body
                })
            }
            "quote" => J::String(
                args.iter()
                    .filter(|a| !a.is_null())
                    .map(|a| go_quote(&strval(a)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "squote" => J::String(
                args.iter()
                    .filter(|a| !a.is_null())
                    .map(|a| format!("'{}'", strval(a)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "default" => {
                if args.is_empty() {
                    return err(
                        file,
                        at,
                        "wrong number of args for default: want at least 1 got 0",
                    );
                }
                match args.get(1) {
                    Some(given) if !is_empty(given) => given.clone(),
                    _ => args[0].clone(),
                }
            }
            "not" => {
                want(1)?;
                J::Bool(!truth(&args[0]))
            }
            "and" | "or" => {
                if args.is_empty() {
                    return err(
                        file,
                        at,
                        format!("wrong number of args for {name}: want at least 1 got 0"),
                    );
                }
                let stop = |v: &J| if name == "and" { !truth(v) } else { truth(v) };
                args.iter()
                    .find(|v| stop(v))
                    .unwrap_or_else(|| args.last().unwrap_or(&J::Null))
                    .clone()
            }
            "trunc" => {
                want(2)?;
                let c = int_arg(&args[0])?;
                let s = str_arg(&args[1])?;
                let len = s.len() as i64;
                let cut = |i: i64| {
                    let mut i = i as usize;
                    while !s.is_char_boundary(i) {
                        i -= 1;
                    }
                    i
                };
                J::String(if c < 0 && len + c > 0 {
                    s[cut(len + c)..].to_owned()
                } else if c >= 0 && len > c {
                    s[..cut(c)].to_owned()
                } else {
                    s
                })
            }
            "trimSuffix" => {
                want(2)?;
                let suffix = str_arg(&args[0])?;
                let s = str_arg(&args[1])?;
                J::String(
                    s.strip_suffix(suffix.as_str())
                        .map(str::to_owned)
                        .unwrap_or(s),
                )
            }
            "upper" | "lower" | "trim" => {
                want(1)?;
                let s = str_arg(&args[0])?;
                J::String(match name {
                    "upper" => s.to_uppercase(),
                    "lower" => s.to_lowercase(),
                    _ => s.trim().to_owned(),
                })
            }
            other => {
                return err(
                    file,
                    at,
                    format!("function \"{other}\" is not supported by the built-in renderer"),
                );
            }
        })
    }
}

/// `.a.b.c` from `v`, with Go's (helm's `missingkey=zero`) semantics: a
/// missing key is nil; a field of nil is an error.
fn walk_fields(file: usize, at: usize, v: &J, chain: &[String]) -> R<J> {
    let mut cur = v;
    for (i, f) in chain.iter().enumerate() {
        match cur {
            J::Object(m) => match m.get(f) {
                Some(next) => cur = next,
                None => {
                    if i + 1 < chain.len() {
                        return err(
                            file,
                            at,
                            format!("nil pointer evaluating interface {{}}.{}", chain[i + 1]),
                        );
                    }
                    return Ok(J::Null);
                }
            },
            J::Null => {
                return err(
                    file,
                    at,
                    format!("nil pointer evaluating interface {{}}.{f}"),
                );
            }
            other => {
                return err(
                    file,
                    at,
                    format!("can't evaluate field {f} in type {}", go_type(other)),
                );
            }
        }
    }
    Ok(cur.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::chart::gofmt::go_float;
    use crate::validate::chart::values::load_values;

    /// Render one template text with the built-in renderer.
    fn render(template: &str, values: &str) -> Result<String, String> {
        let tree =
            gotmpl::parse(template).map_err(|e| format!("parse: {} at {}", e.message, e.at))?;
        let (diags, values) = load_values(values);
        assert!(diags.is_empty(), "{diags:?}");
        let mut defines: Defines<'_> = HashMap::new();
        for d in &tree.defines {
            defines.insert(d.name.clone(), (0, &d.body));
        }
        let mut found = Vec::new();
        unsupported(&tree.items, 0, &defines, &mut HashSet::new(), &mut found);
        if let Some((_, at, what)) = found.first() {
            return Err(format!("unsupported {what} at {at}"));
        }
        let mut root = Map::new();
        root.insert("Values".into(), values);
        let mut release = Map::new();
        release.insert("Name".into(), J::String("rel".into()));
        root.insert("Release".into(), J::Object(release));
        let root = J::Object(root);
        let mut out = String::new();
        Exec {
            defines: &defines,
            depth: 0,
        }
        .items(0, &tree.items, &root, &root, &mut out)
        .map_err(|e| format!("{} at {}", e.message, e.at))?;
        Ok(out)
    }

    #[test]
    fn renderer_basics() {
        let v = "a: {b: hello, num: 1000000, f: 0.5, t: true, e: '', l: [1, x], m: {z: 1, w: [a]}}\nname: web\n";
        assert_eq!(render("x: {{ .Values.a.b }}", v).unwrap(), "x: hello");
        assert_eq!(
            render("{{ .Values.a.num }} {{ .Values.a.f }} {{ .Values.a.t }}", v).unwrap(),
            "1e+06 0.5 true"
        );
        assert_eq!(
            render("{{ .Values.a.l }} {{ .Values.a.m }}", v).unwrap(),
            "[1 x] map[w:[a] z:1]"
        );
        assert_eq!(render("[{{ .Values.nope }}]", v).unwrap(), "[]");
        assert_eq!(render("a\n  {{- /* c */ -}}\n  b", v).unwrap(), "ab");
        assert_eq!(render("a {{/* c */}} b", v).unwrap(), "a  b");
        assert_eq!(
            render("x:\n  {{- .Values.a.b }}\ny: {{ .Values.a.b -}}  \n  !", v).unwrap(),
            "x:hello\ny: hello!"
        );
        assert_eq!(
            render(
                "{{ .Values.a.b | quote }} {{ .Values.a.num | quote }} {{ quote .Values.nope }}",
                v
            )
            .unwrap(),
            "\"hello\" \"1e+06\" "
        );
        assert_eq!(
            render("{{ \"a\\\"b\\n\" | quote }} {{ squote .Values.a.b }}", v).unwrap(),
            "\"a\\\"b\\n\" 'hello'"
        );
        assert_eq!(render("{{ .Values.a.e | default \"d\" }} {{ .Values.a.b | default \"d\" }} {{ default 3 .Values.nope }}", v).unwrap(), "d hello 3");
        assert_eq!(
            render(
                "{{ .Release.Name }}-{{ .Values.name | upper | trunc 2 }}",
                v
            )
            .unwrap(),
            "rel-WE"
        );
        assert_eq!(
            render(
                "{{ \"abc-\" | trimSuffix \"-\" }} {{ trim \"  x \" }} {{ lower \"AB\" }}",
                v
            )
            .unwrap(),
            "abc x ab"
        );
        assert_eq!(
            render(
                "{{ not .Values.a.t }} {{ and 1 0 }} {{ or 0 \"\" 2 }} {{ (.Values.a).b }}",
                v
            )
            .unwrap(),
            "false 0 2 hello"
        );
        assert_eq!(render("{{ $.Values.name }}", v).unwrap(), "web");
    }

    #[test]
    fn renderer_if_else_and_includes() {
        let v = "yes_: true\nno_: false\nzero: 0\nlabels: {app: web, tier: api}\n";
        let t = r#"{{- define "labels" -}}
app: {{ .Values.labels.app }}
{{- if .Values.yes_ }}
up: "yes"
{{- end }}
{{- end -}}
{{- define "nested" }}[{{ include "labels" . | nindent 2 }}]{{ end -}}
{{ if .Values.no_ }}A{{ else if .Values.zero }}B{{ else }}C{{ end }}
{{ if .Values.yes_ }}D{{ end }}
metadata:
  labels:
    {{- include "labels" . | nindent 4 }}
{{ template "nested" . }}
{{ include "labels" . | indent 2 }}"#;
        assert_eq!(
            render(t, v).unwrap(),
            "C\nD\nmetadata:\n  labels:\n    app: web\n    up: \"yes\"\n[\n  app: web\n  up: \"yes\"]\n  app: web\n  up: \"yes\""
        );
    }

    #[test]
    fn renderer_errors_like_helm() {
        let v = "a: {b: x}\nnum: 2\n";
        assert_eq!(
            render("{{ .Values.nope.deeper }}", v),
            Err("nil pointer evaluating interface {}.deeper at 3".into())
        );
        assert_eq!(
            render("{{ .Values.a.b.c }}", v),
            Err("can't evaluate field c in type string at 3".into())
        );
        assert_eq!(
            render("{{ include \"x\" . }}", v).unwrap_err(),
            "no template named \"x\" (named templates come from `{{ define \"x\" }}`) at 3"
        );
        assert_eq!(
            render("{{ nindent .Values.num \"x\" }}", v),
            Err(
                "error calling nindent: wrong type for value; expected int; got float64 at 3"
                    .into()
            )
        );
        assert_eq!(
            render("{{ .Values.num | indent 2 }}", v),
            Err(
                "error calling indent: wrong type for value; expected string; got float64 at 17"
                    .into()
            )
        );
        assert_eq!(
            render("{{ .Values.a \"x\" }}", v),
            Err("can't give argument to non-function at 3".into())
        );
    }

    #[test]
    fn unsupported_constructs_are_named() {
        for (t, what) in [
            ("{{ range .Values.l }}x{{ end }}", "`range`"),
            ("{{ with .Values.a }}x{{ end }}", "`with`"),
            ("{{ printf \"%s\" .Values.a }}", "function `printf`"),
            ("{{ tpl .Values.a . }}", "function `tpl`"),
            (
                "{{ lookup \"v1\" \"Secret\" \"ns\" \"n\" }}",
                "function `lookup`",
            ),
            ("{{ required \"x\" .Values.a }}", "function `required`"),
            ("{{ $x := .Values.a }}", "variable declaration `$x :=`"),
            ("{{ .Capabilities.KubeVersion }}", "`.Capabilities`"),
            ("{{ .Files.Get \"x\" }}", "`.Files`"),
            ("{{ .Chart.Nope }}", "`.Chart.Nope`"),
            (
                "{{ include .Values.name . }}",
                "`include` with a computed template name",
            ),
            ("{{ block \"x\" . }}y{{ end }}", "`block`"),
            ("{{ 'a' }}", "a character constant"),
        ] {
            let got = render(t, "a: 1\nl: []\nname: n\n").unwrap_err();
            assert!(
                got.starts_with(&format!("unsupported {what} at")),
                "{t}: {got}"
            );
        }
        // In a define that is included: found through the include.
        let t = "{{ define \"h\" }}{{ printf \"x\" }}{{ end }}{{ include \"h\" . }}";
        assert_eq!(
            render(t, "a: 1\n").unwrap_err(),
            "unsupported function `printf` at 19"
        );
        // An unused define is not reported.
        let t = "{{ define \"h\" }}{{ printf \"x\" }}{{ end }}ok";
        assert_eq!(render(t, "a: 1\n").unwrap(), "ok");
    }

    #[test]
    fn go_formatting() {
        let cases = [
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (1e20, "1e+20"),
            (-0.5, "-0.5"),
            (2.0, "2"),
            (100.25, "100.25"),
        ];
        for (f, s) in cases {
            assert_eq!(go_float(f), s, "{f}");
        }
        assert_eq!(
            go_quote("tab\there \"q\" \\ é \u{1}"),
            "\"tab\\there \\\"q\\\" \\\\ é \\x01\""
        );
    }
}
