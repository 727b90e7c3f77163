//! Secrets never reach a message: the API key, and the credentials of the base URL.

/// Removes secrets from text that may reach a message: the API key, and the
/// credentials of the base URL (its user and password, secret query values), in case
/// a server or an HTTP library echoes them.
pub(crate) struct Redactor(Vec<String>);

/// Query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "api-key",
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "auth",
    "password",
    "secret",
    "sig",
    "signature",
    "code",
];

fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

impl Redactor {
    pub(crate) fn new(api_key: Option<&str>, base_url: &str) -> Redactor {
        let mut secrets: Vec<String> = api_key
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .into_iter()
            .collect();
        if let Ok(u) = url::Url::parse(base_url) {
            for part in [u.username(), u.password().unwrap_or("")] {
                if !part.is_empty() {
                    secrets.push(part.to_owned());
                }
            }
            for (k, v) in u.query_pairs() {
                if is_secret_param(&k) && !v.is_empty() {
                    secrets.push(v.into_owned());
                }
            }
            if let Some(q) = u.query() {
                for pair in q.split('&') {
                    if let Some((k, v)) = pair.split_once('=')
                        && is_secret_param(k)
                        && !v.is_empty()
                    {
                        secrets.push(v.to_owned());
                    }
                }
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor(secrets)
    }

    pub(crate) fn apply(&self, mut s: String) -> String {
        for secret in &self.0 {
            if s.contains(secret.as_str()) {
                s = s.replace(secret.as_str(), "[redacted]");
            }
        }
        s
    }
}

/// A URL as shown in messages: user and password replaced by `REDACTED`, and the values
/// of secret query parameters (`api-key`, `key`, `token`, ...) too. Not a URL at all:
/// shown as it is, up to its first `@` or `?`.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return raw.split(['@', '?']).next().unwrap_or("").to_owned();
    };
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_password(None);
        let _ = u.set_username("REDACTED");
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    "REDACTED".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_base_url_are_redacted() {
        assert_eq!(
            redact_url("https://alice:s3cret@llm.example/v1/chat/completions"),
            "https://REDACTED@llm.example/v1/chat/completions"
        );
        assert_eq!(
            redact_url("https://llm.example/v1?api-version=2024-01&api-key=abc123"),
            "https://llm.example/v1?api-version=2024-01&api-key=REDACTED"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(redact_url("not a url user:pw@x"), "not a url user:pw");
        let r = Redactor::new(
            Some("sk-live-1"),
            "https://alice:s3cret@llm.example/v1?api-key=abc123",
        );
        assert_eq!(
            r.apply("GET https://alice:s3cret@llm.example/v1?api-key=abc123 with sk-live-1".into()),
            "GET https://[redacted]:[redacted]@llm.example/v1?api-key=[redacted] with [redacted]"
        );
    }
}
