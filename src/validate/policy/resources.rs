//! The `resources` policy.

#[allow(unused_imports)]
use super::*;

/// Parse a Kubernetes quantity (`100m`, `128Mi`, `1.5`, `1e3`, `2G`, `0.5Ki`)
/// to its value in base units. `None` if it is not a valid quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let s = text.trim();
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut saw_digit = false;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        saw_digit = true;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            saw_digit = true;
        }
    }
    if !saw_digit {
        return None;
    }
    let number: f64 = s[..i].parse().ok()?;
    let suffix = &s[i..];
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            // Decimal exponent: e3, E-2, e+6.
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let body = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            10f64.powi(exp.parse::<i32>().ok()?)
        }
    };
    Some(number * factor)
}

/// A resource quantity node's value: numbers as-is, strings parsed.
pub(super) fn quantity_of(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Str(s) => parse_quantity(s),
        _ => None,
    }
}

impl Cx<'_> {
    pub(super) fn resources(&mut self, at: At, c: &Container<'_>) {
        const NAME: &str = "resources";
        let Some((rk, res)) = c
            .node
            .entry("resources")
            .filter(|(_, v)| v.as_map().is_some())
        else {
            self.emit(
                at,
                NAME,
                None,
                c.node.pos,
                c.pointer.clone(),
                format!(
                    "{} sets no `resources` (requests and limits for cpu and memory)",
                    c.what()
                ),
            );
            return;
        };
        let res_ptr = format!("{}/resources", c.pointer);
        let mut parsed: [[Option<(f64, &Node)>; 2]; 2] = [[None; 2]; 2];
        for (si, section) in ["requests", "limits"].into_iter().enumerate() {
            let Some((sk, sec)) = res.entry(section).filter(|(_, v)| v.as_map().is_some()) else {
                self.emit(
                    at,
                    NAME,
                    None,
                    value_pos(rk, res),
                    res_ptr.clone(),
                    format!("{} has no `resources.{section}` (cpu and memory)", c.what()),
                );
                continue;
            };
            let sec_ptr = format!("{res_ptr}/{section}");
            for (ri, resource) in ["cpu", "memory"].into_iter().enumerate() {
                match sec.entry(resource) {
                    None => self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(sk, sec),
                        sec_ptr.clone(),
                        format!("{} has no `resources.{section}.{resource}`", c.what()),
                    ),
                    Some((k, v)) => match quantity_of(v) {
                        Some(q) if q >= 0.0 => parsed[si][ri] = Some((q, v)),
                        _ => self.emit(
                            at,
                            NAME,
                            None,
                            value_pos(k, v),
                            format!("{sec_ptr}/{resource}"),
                            format!(
                                "{}: `resources.{section}.{resource}` is `{}`, not a valid quantity (e.g. {})",
                                c.what(),
                                show(v),
                                if resource == "cpu" { "100m or 0.5" } else { "128Mi or 1Gi" }
                            ),
                        ),
                    },
                }
            }
        }
        for (ri, resource) in ["cpu", "memory"].into_iter().enumerate() {
            if let (Some((req, rn)), Some((lim, ln))) = (parsed[0][ri], parsed[1][ri])
                && req > lim * (1.0 + 1e-9)
            {
                self.emit(
                    at,
                    NAME,
                    None,
                    rn.pos,
                    format!("{res_ptr}/requests/{resource}"),
                    format!(
                        "{}: `requests.{resource}` {} is larger than `limits.{resource}` {}",
                        c.what(),
                        show(rn),
                        show(ln)
                    ),
                );
            }
        }
    }
}
