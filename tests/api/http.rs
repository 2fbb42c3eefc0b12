//! The API over the wire: HTTP on port 0, GraphiQL, health checks, batches and WebSockets.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{PASSWORD, Socket, TestApp, answer_of};

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn new(app: &TestApp) -> Self {
        let addr = app.serve().await;
        Self { http: reqwest::Client::new(), url: format!("http://{addr}") }
    }

    async fn post(&self, token: Option<&str>, body: Value) -> (reqwest::StatusCode, Value) {
        let mut request = self.http.post(format!("{}/graphql", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON answer"))
    }

    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, json!({ "query": query, "variables": variables })).await;
        assert_eq!(status, 200);
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }
}

#[tokio::test]
async fn a_newcomer_round_trip_over_http() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    let signed_up = client
        .gql(
            None,
            "mutation { signUp(input: { organizationName: \"Acme\", email: \"ada@acme.test\", password: \"correct horse battery\", displayName: \"Ada\" }) { accessToken } }",
            json!({}),
        )
        .await;
    assert!(signed_up["signUp"]["accessToken"].is_string());
    let login = client
        .gql(
            None,
            "mutation($p: String!) { login(email: \"ada@acme.test\", password: $p) { accessToken user { id } } }",
            json!({ "p": PASSWORD }),
        )
        .await;
    let token = login["login"]["accessToken"].as_str().unwrap().to_owned();
    let me = client.gql(Some(&token), "{ me { email role } }", json!({})).await;
    assert_eq!(me["me"], json!({ "email": "ada@acme.test", "role": "ADMIN" }));
    let team =
        client.gql(Some(&token), "mutation { createTeam(input: { name: \"Payments\" }) { id slug } }", json!({})).await;
    let team_id = team["createTeam"]["id"].as_str().unwrap().to_owned();
    let invite = client
        .gql(
            Some(&token),
            "mutation { inviteUser(input: { email: \"bob@acme.test\", role: MEMBER }) { token } }",
            json!({}),
        )
        .await;
    let accepted = client
        .gql(
            None,
            "mutation($t: String!) { acceptInvitation(input: { token: $t, password: \"another good password\", displayName: \"Bob\" }) { accessToken user { id } } }",
            json!({ "t": invite["inviteUser"]["token"] }),
        )
        .await;
    let bob_id = accepted["acceptInvitation"]["user"]["id"].clone();
    let added = client
        .gql(
            Some(&token),
            "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u, role: MEMBER) { role user { id } } }",
            json!({ "t": team_id, "u": bob_id }),
        )
        .await;
    assert_eq!(added["addTeamMember"]["user"]["id"], bob_id);
    let bob_token = accepted["acceptInvitation"]["accessToken"].as_str().unwrap();
    let bobs_teams = client.gql(Some(bob_token), "{ me { teams { team { slug } } } }", json!({})).await;
    assert_eq!(bobs_teams["me"]["teams"][0]["team"]["slug"], "payments");
}

#[tokio::test]
async fn graphiql_is_served_from_the_server_alone() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    let page = client.http.get(format!("{}/graphql", client.url)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.to_lowercase().contains("graphiql"));
    // Every script and stylesheet comes from this server (the network may be cut).
    let links: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.ends_with(".js") || part.ends_with(".css") || part.starts_with("http"))
        .collect();
    assert!(links.len() >= 6, "{html}");
    for link in links {
        assert!(link.starts_with("/graphiql/"), "{link} is not served by this server");
        let asset =
            client.http.get(format!("{}{link}", client.url)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(asset.status(), 200, "{link}");
        let kind = asset.headers()["content-type"].to_str().unwrap();
        assert!(
            kind.starts_with(if link.ends_with(".css") { "text/css" } else { "text/javascript" }),
            "{link}: {kind}"
        );
        assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        if link.ends_with("graphiql.min.js") {
            assert_eq!(asset.headers()["content-encoding"], "gzip", "the large bundle goes compressed");
        }
    }
    let missing = client.http.get(format!("{}/graphiql/0.0.0/graphiql.min.js", client.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404, "only the pinned version is served");
}

#[tokio::test]
async fn graphiql_can_be_switched_off() {
    let app = TestApp::with_config(|c| c.graphiql = false).await;
    let client = Client::new(&app).await;
    let page = client.http.get(format!("{}/graphql", client.url)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 404);
    let asset = client.http.get(format!("{}/graphiql/3.8.3/start.js", client.url)).send().await.unwrap();
    assert_eq!(asset.status(), 404);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    for path in ["/healthz", "/readyz"] {
        let response = client.http.get(format!("{}{path}", client.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_bad_authorization_header_is_unauthenticated() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    let response = client
        .http
        .post(format!("{}/graphql", client.url))
        .header("Authorization", "Token abc")
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn batches_work_up_to_the_limit() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    let one = json!({ "query": "{ __typename }" });
    let (status, body) = client.post(None, json!([one, one])).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    let (_, body) = client.post(None, Value::Array(vec![one; 11])).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let response =
        client.http.post(format!("{}/graphql", client.url)).json(&json!({ "query": huge })).send().await.unwrap();
    assert_eq!(response.status(), 413);

    let strict = TestApp::with_config(|config| config.max_body_bytes = 100).await;
    let client = Client::new(&strict).await;
    let response = client
        .http
        .post(format!("{}/graphql", client.url))
        .json(&json!({ "query": format!("{{ __typename {} }}", " ".repeat(200)) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

async fn ws_handshake(app: &TestApp, protocol: &str, authorization: Option<&str>) -> Option<Value> {
    let addr = app.serve().await;
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket upgrade");
    let payload = authorization.map_or(json!({}), |a| json!({ "authorization": a }));
    socket
        .send(Message::Text(json!({ "type": "connection_init", "payload": payload }).to_string().into()))
        .await
        .unwrap();
    let reply =
        tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await.expect("an answer in time");
    match reply {
        Some(Ok(Message::Text(text))) => Some(serde_json::from_str(&text).unwrap()),
        _ => None,
    }
}

#[tokio::test]
async fn a_websocket_accepts_a_token_in_connection_init() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bearer = format!("Bearer {}", admin.token);
    let ack = ws_handshake(&app, "graphql-transport-ws", Some(&bearer)).await.expect("an ack");
    assert_eq!(ack["type"], "connection_ack");
    let ack = ws_handshake(&app, "graphql-ws", Some(&bearer)).await.expect("an ack");
    assert_eq!(ack["type"], "connection_ack");
}

#[tokio::test]
async fn a_websocket_with_a_bad_token_is_refused() {
    let app = TestApp::new().await;
    let answer = ws_handshake(&app, "graphql-transport-ws", Some("Bearer nope")).await;
    assert_ne!(answer.as_ref().map(|a| a["type"].clone()), Some(json!("connection_ack")), "{answer:?}");
}

#[tokio::test]
async fn an_open_websocket_is_closed_when_its_user_is_deactivated() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    let addr = app.serve().await;
    let mut socket = Socket::subscribed(addr, &bob.token, "1", "{ me { email } }", json!({})).await;
    let before = socket.next("1").await;
    assert_eq!(before["data"]["me"]["email"], "bob@acme.test", "{before}");

    app.exec(
        Some(&admin.token),
        "mutation($u: ID!) { deactivateUser(userId: $u) { id } }",
        json!({ "u": bob.user_id }),
    )
    .await
    .data();
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4401, "{reason}");
    assert!(reason.contains("deactivated"), "{reason}");
}

#[tokio::test]
async fn metrics_are_served_for_prometheus() {
    let app = TestApp::new().await;
    let client = Client::new(&app).await;
    client.post(None, json!({ "query": "{ me { email } }" })).await;
    client.post(None, json!({ "query": "{ __typename }" })).await;
    let response = client.http.get(format!("{}/metrics", client.url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        "hindsight_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"}",
        "hindsight_http_request_duration_seconds_bucket{route=\"/graphql\",method=\"POST\",status=\"200\",le=\"0.005\"}",
        "hindsight_graphql_errors_total{code=\"UNAUTHENTICATED\"}",
        "hindsight_subscriptions ",
        "hindsight_db_pool_connections ",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

#[tokio::test]
async fn automatic_persisted_queries_over_post_and_get() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let client = Client::new(&app).await;
    let query = "query Me { me { email } }";
    let hash: String = {
        use sha2::Digest;
        sha2::Sha256::digest(query.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    // Not known yet: the client is told to send the text.
    let (_, unknown) = client.post(Some(&admin.token), json!({ "extensions": persisted })).await;
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound", "{unknown}");
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
    // With its text, it runs and is kept; then the hash alone runs it, over POST and GET.
    let (_, sent) = client.post(Some(&admin.token), json!({ "query": query, "extensions": persisted })).await;
    assert_eq!(sent["data"]["me"]["email"], "ada@acme.test", "{sent}");
    let (_, by_hash) = client.post(Some(&admin.token), json!({ "extensions": persisted })).await;
    assert_eq!(by_hash["data"]["me"]["email"], "ada@acme.test", "{by_hash}");
    let by_get = answer_of(
        client
            .http
            .get(format!("{}/graphql", client.url))
            .bearer_auth(&admin.token)
            .query(&[("operationName", "Me".to_owned()), ("extensions", persisted.to_string())]),
    )
    .await;
    assert_eq!(by_get["data"]["me"]["email"], "ada@acme.test", "{by_get}");
    // A hash that is not the query's is refused, and nothing runs.
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": "00".repeat(32) } });
    let (_, refused) = client.post(Some(&admin.token), json!({ "query": query, "extensions": wrong })).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    assert!(refused.get("data").is_none_or(Value::is_null), "{refused}");
}

#[tokio::test]
async fn cors_lets_a_configured_origin_send_its_headers_and_read_the_request_id() {
    let app = TestApp::with_config(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let client = Client::new(&app).await;
    let url = format!("{}/graphql", client.url);
    let preflight = client
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-request-id, apollographql-client-name",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_owned();
    for header in ["authorization", "content-type", "x-request-id", "apollographql-client-name"] {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
    assert_eq!(preflight.headers()["access-control-max-age"], "600");

    let answer = client
        .http
        .post(&url)
        .header("origin", "https://app.example")
        .header("x-request-id", "trace-42")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "https://app.example");
    assert_eq!(answer.headers()["access-control-expose-headers"], "x-request-id");
    assert_eq!(answer.headers()["x-request-id"], "trace-42", "the client's request ID comes back");
    let fresh = client.http.post(&url).json(&json!({ "query": "{ __typename }" })).send().await.unwrap();
    assert!(!fresh.headers()["x-request-id"].is_empty(), "every answer has a request ID");

    let stranger = client
        .http
        .post(&url)
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(stranger.headers().get("access-control-allow-origin").is_none());
}
