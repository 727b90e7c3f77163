//! [`parse_resource_suggestions`]: requests and limits per workload (see the module docs of `health`).

// ---------------------------------------------------------------------------------------------
// Resource suggestions
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceSuggestion {
    /// `todo-frontend` / `todo-backend` (or a table's workload cell as written).
    pub workload: String,
    pub requests_cpu: Option<String>,
    pub requests_memory: Option<String>,
    pub limits_cpu: Option<String>,
    pub limits_memory: Option<String>,
}

impl ResourceSuggestion {
    fn is_empty(&self) -> bool {
        self.requests_cpu.is_none()
            && self.requests_memory.is_none()
            && self.limits_cpu.is_none()
            && self.limits_memory.is_none()
    }
}

/// Workloads recognised in free text.
pub const WORKLOADS: [&str; 2] = ["todo-frontend", "todo-backend"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section2 {
    Requests,
    Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cpu,
    Mem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Workload,
    Value(Section2, Kind),
    Combined(Section2),
    Other,
}

struct Res {
    out: Vec<ResourceSuggestion>,
    current: Option<usize>,
    section: Option<Section2>,
    pending_kind: Option<Kind>,
    pending_value: Option<String>,
    unsectioned: Vec<(Kind, String)>,
    /// Kind assigned by the previous word ("100m CPU": the keyword is a label, not a prefix).
    just_assigned: Option<Kind>,
}

impl Res {
    fn select(&mut self, workload: &str) {
        let idx = match self.out.iter().position(|r| r.workload == workload) {
            Some(i) => i,
            None => {
                self.out.push(ResourceSuggestion {
                    workload: workload.to_string(),
                    ..Default::default()
                });
                self.out.len() - 1
            }
        };
        self.current = Some(idx);
        self.section = None;
        self.pending_kind = None;
        self.pending_value = None;
        self.unsectioned.clear();
    }

    fn set(&mut self, section: Section2, kind: Kind, value: String) {
        let Some(i) = self.current else { return };
        let r = &mut self.out[i];
        let slot = match (section, kind) {
            (Section2::Requests, Kind::Cpu) => &mut r.requests_cpu,
            (Section2::Requests, Kind::Mem) => &mut r.requests_memory,
            (Section2::Limits, Kind::Cpu) => &mut r.limits_cpu,
            (Section2::Limits, Kind::Mem) => &mut r.limits_memory,
        };
        *slot = Some(value);
    }

    fn assign(&mut self, kind: Kind, value: String) {
        self.just_assigned = Some(kind);
        match self.section {
            Some(s) => self.set(s, kind, value),
            None => self.unsectioned.push((kind, value)),
        }
    }

    fn section_keyword(&mut self, s: Section2) {
        if self.unsectioned.is_empty() {
            self.section = Some(s);
        } else {
            // Postfix form: "100m/128Mi requests, 300m/256Mi limits".
            for (k, v) in std::mem::take(&mut self.unsectioned) {
                self.set(s, k, v);
            }
            self.section = None;
        }
    }

    /// Feed the words of one line (or table cell).
    fn feed(&mut self, text: &str, allow_workload_switch: bool) {
        let words = resource_words(text);
        for (n, w) in words.iter().enumerate() {
            let lw = w.to_lowercase();
            let just = self.just_assigned.take();
            if allow_workload_switch && let Some(wl) = workload_of(&lw, n == 0 && words.len() > 1) {
                self.select(&wl);
                continue;
            }
            match lw.as_str() {
                "request" | "requests" | "requested" | "req" => {
                    self.section_keyword(Section2::Requests);
                    continue;
                }
                "limit" | "limits" | "max" => {
                    self.section_keyword(Section2::Limits);
                    continue;
                }
                "cpu" | "cpus" | "core" | "cores" | "vcpu" | "vcpus" | "millicores" => {
                    match self.pending_value.take() {
                        Some(v) => self.assign(Kind::Cpu, v),
                        None if just == Some(Kind::Cpu) => {}
                        None => self.pending_kind = Some(Kind::Cpu),
                    }
                    continue;
                }
                "memory" | "mem" | "ram" => {
                    match self.pending_value.take() {
                        Some(v) => self.assign(Kind::Mem, v),
                        None if just == Some(Kind::Mem) => {}
                        None => self.pending_kind = Some(Kind::Mem),
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(unit) = mem_unit(w)
                && let Some(v) = self.pending_value.take()
            {
                self.assign(Kind::Mem, format!("{v}{unit}"));
                self.pending_kind = None;
                continue;
            }
            if let Some((value, shape)) = quantity(w) {
                let kind = match (self.pending_kind.take(), shape) {
                    (Some(Kind::Cpu), Shape::Bare | Shape::Milli) => Some(Kind::Cpu),
                    (Some(Kind::Mem), Shape::Bare | Shape::Mem) => Some(Kind::Mem),
                    (_, Shape::Milli) => Some(Kind::Cpu),
                    (_, Shape::Mem) => Some(Kind::Mem),
                    (_, Shape::Bare) => None,
                };
                match kind {
                    Some(k) => self.assign(k, value),
                    None => self.pending_value = Some(value),
                }
            }
        }
        self.pending_value = None;
        self.pending_kind = None;
        self.just_assigned = None;
        self.unsectioned.clear();
    }
}

fn resource_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || ",;=:()|/`*[]{}\"".contains(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-' || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty() && *w != "and" && *w != "&")
        .map(String::from)
        .collect()
}

/// Workload named by a word: `todo-backend`, a pod `todo-backend-7d9f…`, or (as the first
/// word of a line) `Backend`/`frontend`.
fn workload_of(lower: &str, leading: bool) -> Option<String> {
    let lw = lower.trim_end_matches("'s");
    for w in WORKLOADS {
        if lw == w || lw.strip_prefix(w).is_some_and(|rest| rest.starts_with('-')) {
            return Some(w.to_string());
        }
    }
    if leading {
        match lw {
            "frontend" => return Some("todo-frontend".into()),
            "backend" => return Some("todo-backend".into()),
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Bare,
    Milli,
    Mem,
}

/// A standalone memory unit word following a number ("256 MiB").
fn mem_unit(w: &str) -> Option<&'static str> {
    Some(match w {
        "Ki" | "KiB" | "kib" | "ki" => "Ki",
        "Mi" | "MiB" | "mib" | "mi" => "Mi",
        "Gi" | "GiB" | "gib" | "gi" => "Gi",
        "M" | "MB" | "mb" => "M",
        "G" | "GB" | "gb" => "G",
        _ => return None,
    })
}

/// `100m`, `0.5`, `128Mi`, `1Gi`, `256MiB`, `512M` → normalized value and shape.
fn quantity(w: &str) -> Option<(String, Shape)> {
    let digits_end = w
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(w.len());
    let (num, unit) = w.split_at(digits_end);
    if num.is_empty()
        || !num.chars().next().unwrap().is_ascii_digit()
        || num.matches('.').count() > 1
        || num.ends_with('.')
    {
        return None;
    }
    let (unit, shape) = match unit {
        "" => ("", Shape::Bare),
        "m" => ("m", Shape::Milli),
        "k" | "K" => ("k", Shape::Mem),
        "Ki" | "KiB" | "ki" | "kib" => ("Ki", Shape::Mem),
        "Mi" | "MiB" | "mi" | "mib" => ("Mi", Shape::Mem),
        "Gi" | "GiB" | "gi" | "gib" => ("Gi", Shape::Mem),
        "Ti" | "TiB" => ("Ti", Shape::Mem),
        "M" | "MB" => ("M", Shape::Mem),
        "G" | "GB" => ("G", Shape::Mem),
        _ => return None,
    };
    Some((format!("{num}{unit}"), shape))
}

fn classify_header(cell: &str) -> Col {
    let l = cell.to_lowercase();
    let cpu = l.contains("cpu");
    let mem = l.contains("mem") || l.contains("ram");
    let req = l.contains("request");
    let lim = l.contains("limit");
    match (cpu, mem, req, lim) {
        (true, false, true, false) => Col::Value(Section2::Requests, Kind::Cpu),
        (true, false, false, true) => Col::Value(Section2::Limits, Kind::Cpu),
        (false, true, true, false) => Col::Value(Section2::Requests, Kind::Mem),
        (false, true, false, true) => Col::Value(Section2::Limits, Kind::Mem),
        (false, false, true, false) => Col::Combined(Section2::Requests),
        (false, false, false, true) => Col::Combined(Section2::Limits),
        (false, false, false, false)
            if [
                "workload",
                "deployment",
                "container",
                "name",
                "component",
                "service",
                "app",
                "pod",
            ]
            .iter()
            .any(|k| l.contains(k)) =>
        {
            Col::Workload
        }
        _ => Col::Other,
    }
}

fn table_cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    if !t.contains('|') {
        return None;
    }
    let inner = t.trim_start_matches('|').trim_end_matches('|');
    let cells: Vec<String> = inner.split('|').map(|c| c.trim().to_string()).collect();
    (cells.len() >= 2).then_some(cells)
}

fn clean_cell(cell: &str) -> String {
    cell.trim()
        .trim_matches(|c| c == '`' || c == '*' || c == '"')
        .trim()
        .to_string()
}

/// Parse resource suggestions from a report. See the module documentation.
pub fn parse_resource_suggestions(report: &str) -> Vec<ResourceSuggestion> {
    let mut r = Res {
        out: Vec::new(),
        current: None,
        section: None,
        pending_kind: None,
        pending_value: None,
        unsectioned: Vec::new(),
        just_assigned: None,
    };
    let mut columns: Option<Vec<Col>> = None;

    for line in report.lines() {
        let trimmed = line.trim();
        if let Some(cells) = table_cells(trimmed) {
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
            {
                continue; // separator row
            }
            let header: Vec<Col> = cells.iter().map(|c| classify_header(c)).collect();
            let is_header = header
                .iter()
                .any(|c| matches!(c, Col::Value(..) | Col::Combined(_)))
                && !cells.iter().any(|c| {
                    resource_words(c)
                        .iter()
                        .any(|w| quantity(w).is_some_and(|(_, s)| s != Shape::Bare))
                });
            if is_header {
                let mut cols = header;
                if !cols.contains(&Col::Workload)
                    && let Some(first) = cols.iter_mut().find(|c| **c == Col::Other)
                {
                    *first = Col::Workload;
                }
                columns = Some(cols);
                continue;
            }
            if let Some(cols) = &columns {
                let wl_cell = cols
                    .iter()
                    .position(|c| *c == Col::Workload)
                    .and_then(|i| cells.get(i));
                let Some(wl_cell) = wl_cell else { continue };
                let name = clean_cell(wl_cell);
                let lower = name.to_lowercase();
                let workload = workload_of(&lower, true).unwrap_or(name);
                if workload.is_empty() {
                    continue;
                }
                r.select(&workload);
                for (col, cell) in cols.iter().zip(cells.iter()) {
                    match *col {
                        Col::Value(s, k) => {
                            let v = resource_words(cell)
                                .iter()
                                .find_map(|w| quantity(w))
                                .map(|(v, _)| v);
                            if let Some(v) = v {
                                r.set(s, k, v);
                            }
                        }
                        Col::Combined(s) => {
                            r.section = Some(s);
                            r.feed(cell, false);
                        }
                        _ => {}
                    }
                }
                r.section = None;
                continue;
            }
        } else {
            columns = None;
        }
        if trimmed.starts_with('#') {
            r.current = None;
            r.section = None;
        }
        r.feed(trimmed, true);
    }
    r.out.into_iter().filter(|s| !s.is_empty()).collect()
}
