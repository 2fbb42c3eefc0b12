//! The twelve graphql-cop probes, over HTTP against a server on port 0: each attack is refused.

use serde_json::{Value, json};

use crate::harness::TestApp;

struct Target {
    http: reqwest::Client,
    url: String,
}

impl Target {
    async fn new(app: &TestApp) -> Self {
        let addr = app.serve().await;
        Target { http: reqwest::Client::new(), url: format!("http://{addr}/graphql") }
    }

    async fn post(&self, body: Value) -> Value {
        self.http.post(&self.url).json(&body).send().await.unwrap().json().await.unwrap()
    }

    async fn query(&self, query: &str) -> Value {
        self.post(json!({ "query": query })).await
    }
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn alias_overloading_is_refused() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let aliases: String = (0..101).map(|n| format!("a{n}: __typename ")).collect();
    let answer = target.query(&format!("query {{ {aliases} }}")).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(answer["data"].is_null());
    let few: String = (0..5).map(|n| format!("a{n}: __typename ")).collect();
    assert!(target.query(&format!("query {{ {few} }}")).await["data"]["a0"].is_string());
}

#[tokio::test]
async fn batches_over_the_limit_are_refused() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let one = json!({ "query": "query { __typename }" });
    let ten = target.post(Value::Array(vec![one.clone(); 10])).await;
    assert_eq!(ten.as_array().map(Vec::len), Some(10), "{ten}");
    let eleven = target.post(Value::Array(vec![one; 11])).await;
    assert_eq!(code(&eleven), "BAD_USER_INPUT", "{eleven}");
}

#[tokio::test]
async fn get_runs_queries_and_refuses_everything_else() {
    let app = TestApp::with_config(|c| c.graphiql = false).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let target = Target::new(&app).await;
    let get = |parameters: Vec<(&'static str, String)>| {
        target.http.get(&target.url).bearer_auth(&admin.token).query(&parameters).send()
    };
    // A query runs and answers JSON (whether GraphiQL is on or not).
    let me = get(vec![
        ("query", "query($x: Boolean!) { me @include(if: $x) { email } }".into()),
        ("variables", json!({ "x": true }).to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(me.status(), 200);
    assert!(me.headers()["content-type"].to_str().unwrap().starts_with("application/"), "{:?}", me.headers());
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["data"]["me"]["email"], "ada@acme.test", "{me}");
    // A mutation or a subscription does not run: 405, POST allowed.
    for query in ["mutation { logoutEverywhere }", "subscription { learningPublished { id } }"] {
        let refused = get(vec![("query", query.into())]).await.unwrap();
        assert_eq!(refused.status(), 405, "{query}");
        assert_eq!(refused.headers()["allow"], "POST");
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(code(&refused), "METHOD_NOT_ALLOWED", "{refused}");
    }
    app.me(&admin.token).await.data();
    // Without a query there is nothing to run.
    let empty = target.http.get(&target.url).send().await.unwrap();
    assert_eq!(empty.status(), 400);
    assert_eq!(code(&empty.json().await.unwrap()), "BAD_USER_INPUT");
}

#[tokio::test]
async fn url_encoded_posts_are_refused() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let response = target
        .http
        .post(&target.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=query%20%7B%20__typename%20%7D")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
}

#[tokio::test]
async fn field_duplication_is_refused() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let answer = target.query(&format!("query {{ {} }}", "__typename ".repeat(500))).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
}

#[tokio::test]
async fn field_suggestions_are_off_without_introspection() {
    let app = TestApp::with_config(|c| c.introspection = false).await;
    let target = Target::new(&app).await;
    let answer = target.query("query { organizatio { name } }").await;
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let open = TestApp::new().await;
    let answer = Target::new(&open).await.query("query { organizatio { name } }").await;
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "{answer}");
}

#[tokio::test]
async fn graphiql_and_introspection_can_be_disabled() {
    let app = TestApp::with_config(|c| {
        c.graphiql = false;
        c.introspection = false;
    })
    .await;
    let target = Target::new(&app).await;
    let page = target.http.get(&target.url).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 404);
    let answer = target.query("query { __schema { types { name } } }").await;
    assert!(answer["data"].is_null() || answer["data"]["__schema"].is_null(), "{answer}");
}

#[tokio::test]
async fn directive_overloading_is_refused() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let answer = target.query(&format!("query {{ __typename {} }}", "@include(if: true) ".repeat(10))).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
}

#[tokio::test]
async fn circular_introspection_is_refused() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let mut query = "name".to_owned();
    for _ in 0..8 {
        query = format!("fields {{ type {{ {query} }} }}");
    }
    let answer = target.query(&format!("query {{ __schema {{ types {{ {query} }} }} }}")).await;
    assert_eq!(code(&answer), "QUERY_TOO_DEEP", "{answer}");
    assert!(answer["data"].is_null());
}

#[tokio::test]
async fn answers_carry_no_tracing_or_debug_output() {
    let app = TestApp::new().await;
    let target = Target::new(&app).await;
    let answer = target.query("query { __typename }").await;
    assert!(answer.get("extensions").is_none(), "{answer}");
    let broken = target.query("query { me { email } }").await;
    let error = &broken["errors"][0];
    let extensions: Vec<&String> = error["extensions"].as_object().unwrap().keys().collect();
    assert_eq!(extensions, ["code", "reason"], "{broken}");
    assert!(!broken.to_string().to_lowercase().contains("stack"), "{broken}");
}
