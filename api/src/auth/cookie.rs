//! Cookie mode for single-page apps (`--session-cookie`): the refresh token lives in an
//! `HttpOnly; Secure; SameSite=Strict` cookie scoped to the GraphQL path, out of reach of the
//! page's scripts. The access token stays in memory and travels as a bearer header.
//!
//! Against cross-site request forgery the cookie is read only from a POST whose body is JSON
//! (an HTML form cannot send that without a CORS preflight) and whose `Origin`, when the
//! browser sends one, is this server's own or a configured front-end origin; `SameSite=Strict`
//! keeps other sites' requests from carrying it at all.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

/// The cookie's name.
pub const NAME: &str = "hindsight_refresh";
/// Where the browser sends it: the GraphQL endpoint only.
const PATH: &str = "/graphql";

/// What a request brings and may do in cookie mode (request data of every HTTP request).
#[derive(Debug, Clone, Default)]
pub struct SessionCookie {
    /// The request passed the cross-site checks: it may read the cookie, and a sign-in may set
    /// it (a forged sign-in must not put someone else's session into the victim's browser).
    pub trusted: bool,
    /// The refresh token the cookie carried, when the request may use it.
    pub presented: Option<String>,
    /// How long the cookie lives (the refresh token's lifetime).
    pub max_age: Duration,
}

impl SessionCookie {
    /// Reads the cookie of a POST to `/graphql`, if cookie mode is on and the request passes
    /// the cross-site checks.
    pub fn of_request(enabled: bool, max_age: Duration, headers: &HeaderMap, allowed_origins: &[String]) -> Self {
        let trusted = enabled && same_site_json(headers, allowed_origins);
        let presented = if trusted { read(headers) } else { None };
        Self { trusted, presented, max_age }
    }

    /// The `Set-Cookie` value that stores `token`.
    pub fn set(&self, token: &str) -> HeaderValue {
        let max_age = self.max_age.as_secs();
        let value = format!("{NAME}={token}; Path={PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict");
        HeaderValue::from_str(&value).unwrap_or_else(|_| clear())
    }
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear() -> HeaderValue {
    let value = format!("{NAME}=; Path={PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    HeaderValue::from_str(&value).expect("the cookie's name and path are header-safe")
}

fn read(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A JSON body (forms cannot send one cross-site without a preflight) from this server's own
/// origin or a configured one. Browsers send `Origin` with every cross-site POST: a request
/// without one comes from a non-browser client or the page's own origin. Behind a proxy that
/// rewrites `Host`, list the front-end's origin in `--cors-origins`.
fn same_site_json(headers: &HeaderMap, allowed_origins: &[String]) -> bool {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("application/json"));
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return json;
    };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let own = origin.split_once("://").is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host));
    json && (own || allowed_origins.iter().any(|allowed| allowed.trim().eq_ignore_ascii_case(origin)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_cookie_is_read_only_from_json_of_an_allowed_origin() {
        let allowed = vec!["https://app.example".to_owned()];
        let cookie = ("cookie", "theme=dark; hindsight_refresh=hsr_abc");
        let read = |pairs: &[(&'static str, &str)]| {
            SessionCookie::of_request(true, Duration::from_secs(60), &headers(pairs), &allowed).presented
        };
        let json = ("content-type", "application/json");
        assert_eq!(read(&[cookie, json]).as_deref(), Some("hsr_abc"));
        assert_eq!(read(&[cookie, json, ("origin", "https://app.example")]).as_deref(), Some("hsr_abc"));
        assert_eq!(
            read(&[cookie, json, ("origin", "http://api.test:8000"), ("host", "api.test:8000")]).as_deref(),
            Some("hsr_abc")
        );
        assert_eq!(read(&[cookie, json, ("origin", "https://evil.example")]), None);
        assert_eq!(read(&[cookie, ("content-type", "multipart/form-data; boundary=x")]), None);
        assert_eq!(read(&[cookie, ("content-type", "text/plain")]), None);
        assert_eq!(
            SessionCookie::of_request(false, Duration::ZERO, &headers(&[cookie, json]), &allowed).presented,
            None
        );
    }
}
