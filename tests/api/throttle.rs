//! Brute force: failed credential checks are limited per account and per client address.

use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp};

async fn post(addr: std::net::SocketAddr, body: Value) -> Value {
    let response = reqwest::Client::new().post(format!("http://{addr}/graphql")).json(&body).send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_account_is_locked_for_a_while_after_too_many_wrong_passwords() {
    let app = TestApp::with_config(|config| config.auth_failure_limit = 3).await;
    app.sign_up("Acme", "ada@acme.test").await;
    for _ in 0..3 {
        assert_eq!(app.login("ada@acme.test", "not the password").await.code(), "UNAUTHENTICATED");
    }
    // Now even the right password waits, and the answer says for how long.
    let limited = app.login("ADA@acme.test", PASSWORD).await;
    assert_eq!(limited.code(), "RATE_LIMITED", "{:#}", limited.0);
    let retry = limited.errors()[0]["extensions"]["retryAfter"].as_u64().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Another account is not affected.
    app.sign_up("Globex", "hank@globex.test").await;
    app.login("hank@globex.test", PASSWORD).await.data();
}

#[tokio::test]
async fn a_successful_login_clears_the_count() {
    let app = TestApp::with_config(|config| config.auth_failure_limit = 3).await;
    app.sign_up("Acme", "ada@acme.test").await;
    for _ in 0..2 {
        app.login("ada@acme.test", "not the password").await.code();
    }
    app.login("ada@acme.test", PASSWORD).await.data();
    for _ in 0..2 {
        assert_eq!(app.login("ada@acme.test", "not the password").await.code(), "UNAUTHENTICATED");
    }
    app.login("ada@acme.test", PASSWORD).await.data();
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_limited() {
    let app = TestApp::with_config(|config| config.auth_failure_limit = 3).await;
    app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    for n in 0..3 {
        let query = format!(
            "mutation {{ login(email: \"user{n}@acme.test\", password: \"guess-{n}-guess\") {{ accessToken }} }}"
        );
        let answer = post(addr, json!({ "query": query })).await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{answer}");
    }
    let query = format!("mutation {{ login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} }}");
    let answer = post(addr, json!({ "query": query })).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
}

#[tokio::test]
async fn guessing_refresh_and_invitation_tokens_is_limited() {
    let app = TestApp::with_config(|config| config.auth_failure_limit = 2).await;
    let addr = app.serve().await;
    let refresh = json!({ "query": "mutation { refreshSession(refreshToken: \"guess\") { accessToken } }" });
    let accept = json!({ "query": "mutation { acceptInvitation(input: { token: \"guess\", password: \"long enough password\", displayName: \"Eve\" }) { accessToken } }" });
    for body in [refresh, accept] {
        for _ in 0..2 {
            let answer = post(addr, body.clone()).await;
            assert_ne!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
        }
        let answer = post(addr, body).await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
    }
}
