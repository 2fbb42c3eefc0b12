//! GraphiQL, served from the binary itself: the page at `GET /graphql` (for a browser asking
//! for one) and its pinned assets under `/graphiql/<version>/` (see `api/assets/graphiql/`).
//! Nothing comes from another host, so it works offline, and the page's Content-Security-Policy
//! allows scripts and connections to this origin only.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// In the assets' URLs: a new version is a new URL, so browsers may cache them for good.
pub const GRAPHIQL_VERSION: &str = "3.8.3";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql/", $name)),
        }
    };
}

const ASSETS: [Asset; 6] = [
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!("react-dom.production.min.js", "text/javascript; charset=utf-8"),
    asset!("graphql-ws.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("start.js", "text/javascript; charset=utf-8"),
];

/// The page: the stylesheet, then every script in order, from this server.
pub fn page() -> Response {
    let link = |name: &str| format!("/graphiql/{GRAPHIQL_VERSION}/{name}");
    let scripts: String = ASSETS
        .iter()
        .filter(|asset| asset.name.ends_with(".js"))
        .map(|asset| format!("<script src=\"{}\"></script>", link(asset.name)))
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Hindsight · GraphiQL</title><link rel=\"stylesheet\" href=\"{}\"></head>\
         <body style=\"margin:0\"><div id=\"graphiql\" style=\"height:100vh\"></div>{scripts}</body></html>",
        link("graphiql.min.css")
    );
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `GET /graphiql/<version>/<file>`.
pub async fn asset(Path((version, name)): Path<(String, String)>) -> Response {
    let found = ASSETS.iter().find(|asset| asset.name == name).filter(|_| version == GRAPHIQL_VERSION);
    let Some(asset) = found else { return StatusCode::NOT_FOUND.into_response() };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
