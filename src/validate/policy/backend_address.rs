//! The `backend-address` policy.

#[allow(unused_imports)]
use super::*;

/// A URL's parts: scheme, host (brackets stripped for IPv6) and explicit port.
pub(super) fn parse_url(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let (scheme, rest) = text.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if authority.contains(char::is_whitespace) {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host, port))
}

pub(super) fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

pub(super) fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h == "0.0.0.0"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a variable/key name says it holds the backend's address.
pub(super) fn is_backend_var(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    let addressy =
        u.contains("URL") || u.contains("HOST") || u.contains("ADDR") || u.contains("ENDPOINT");
    addressy && (u.contains("API") || u.contains("BACKEND")) && !is_secret_name(&u)
}

/// Whether `host` is the backend Service's name, short or namespaced.
pub(super) fn is_service_host(host: &str, service: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let s = service.to_ascii_lowercase();
    if h == s {
        return true;
    }
    let Some(rest) = h.strip_prefix(&format!("{s}.")) else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    matches!(
        labels.as_slice(),
        [_ns] | [_ns, "svc"] | [_ns, "svc", "cluster", "local"]
    )
}

/// A public DNS name: dotted, not an IP, not in-cluster.
pub(super) fn is_public_domain(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h.contains('.')
        && !is_ip(&h)
        && !h.ends_with(".svc")
        && !h.ends_with(".local")
        && !h.ends_with(".localhost")
        && !h.ends_with(".internal")
}

impl Cx<'_> {
    /// What is wrong with `value` as the backend's address, if anything.
    pub(super) fn backend_problem(&self, name: &str, value: &str) -> Option<String> {
        let expected = &self.cfg.backend_address;
        let (want_host, want_port) = expected
            .rsplit_once(':')
            .unwrap_or((expected.as_str(), "80"));
        let by_name = is_backend_var(name);
        let Some((scheme, host, port)) = parse_url(value) else {
            if !by_name || value.trim().is_empty() {
                return None;
            }
            return Some(format!(
                "`{name}` is `{value}`, not a URL; expected `http://{expected}`"
            ));
        };
        if !by_name && !is_service_host(host, want_host) {
            return None;
        }
        if by_name && !is_service_host(host, want_host) && is_public_domain(host) {
            return None; // an external API, not our backend
        }
        if is_loopback(host) {
            return Some(format!(
                "`{name}` points at `{host}`, which is the frontend's own Pod, not the backend; expected `{scheme}://{expected}`"
            ));
        }
        if is_ip(host) {
            return Some(format!(
                "`{name}` points at the IP address `{host}`; Pod and Service IPs change, use the Service name: `{scheme}://{expected}`"
            ));
        }
        if !is_service_host(host, want_host) {
            return Some(format!(
                "`{name}` points at `{host}`, not the backend Service `{want_host}`; expected `{scheme}://{expected}`"
            ));
        }
        let effective = match port {
            Some(p) => p.to_owned(),
            None => match scheme.to_ascii_lowercase().as_str() {
                "https" | "wss" => "443".to_owned(),
                _ => "80".to_owned(),
            },
        };
        if effective != want_port {
            let how = if port.is_none() {
                format!("the default port {effective}")
            } else {
                format!("port {effective}")
            };
            return Some(format!(
                "`{name}` reaches the backend on {how}, but its Service listens on {want_port}; expected `{scheme}://{expected}`"
            ));
        }
        None
    }

    pub(super) fn backend_address_env(&mut self, at: At, c: &Container<'_>) {
        let Some(env) = c.node.get("env").and_then(Node::as_seq) else {
            return;
        };
        for (i, e) in env.iter().enumerate() {
            let (Some(name), Some(v)) = (e.get_str("name"), e.get("value")) else {
                continue;
            };
            let Some(value) = v.as_str() else {
                continue;
            };
            if let Some(problem) = self.backend_problem(name, value) {
                self.emit(
                    at,
                    "backend-address",
                    None,
                    v.pos,
                    format!("{}/env/{i}/value", c.pointer),
                    format!("{}: {problem}", c.what()),
                );
            }
        }
    }

    pub(super) fn backend_address_configmap(&mut self, at: At, root: &Node) {
        let cm = root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        let Some(data) = root.get("data").and_then(Node::as_map) else {
            return;
        };
        for (k, v) in data {
            let key = k.key_string();
            let Some(value) = v.as_str() else {
                continue;
            };
            if let Some(problem) = self.backend_problem(&key, value) {
                self.emit(
                    at,
                    "backend-address",
                    None,
                    value_pos(k, v),
                    format!("/data/{}", pointer_token(&key)),
                    format!("ConfigMap `{cm}`: {problem}"),
                );
            }
        }
    }
}
