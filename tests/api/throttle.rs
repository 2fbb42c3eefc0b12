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
    let app = TestApp::with_config(|config| config.auth_failure_address_limit = 3).await;
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
    let app = TestApp::with_config(|config| config.auth_failure_address_limit = 2).await;
    let addr = app.serve().await;
    let refresh = json!({ "query": "mutation { refreshSession(refreshToken: \"guess\") { accessToken } }" });
    let accept = json!({ "query": "mutation { acceptInvitation(input: { token: \"guess\", password: \"long enough password\", displayName: \"Eve\" }) { accessToken } }" });
    for _ in 0..2 {
        let answer = post(addr, refresh.clone()).await;
        assert_ne!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
    }
    // The address's budget is one for every kind of check: invitations get no fresh one.
    for body in [refresh, accept] {
        let answer = post(addr, body).await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
    }
}

#[tokio::test]
async fn concurrent_guesses_on_one_account_are_checked_at_most_up_to_the_limit() {
    let app = TestApp::new().await;
    app.sign_up("Acme", "ada@acme.test").await;
    let guesses =
        (0..30).map(|n| app.login("ada@acme.test", if n % 2 == 0 { "a wrong guess" } else { "another guess" }));
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|a| a.code() == "UNAUTHENTICATED").count();
    let limited = answers.iter().filter(|a| a.code() == "RATE_LIMITED").count();
    assert_eq!(checked + limited, 30);
    assert!(checked <= 10, "{checked} of 30 concurrent guesses were checked (limit 10)");
}

#[tokio::test]
async fn colleagues_behind_one_address_do_not_lock_each_other_out() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    // A dozen people behind one NAT address each mistype their password once.
    for n in 0..12 {
        let email = format!("person{n}@acme.test");
        app.invite_and_join(&admin, &email, "MEMBER").await;
        let query =
            format!("mutation {{ login(email: \"{email}\", password: \"a typo-ed password\") {{ accessToken }} }}");
        let answer = post(addr, json!({ "query": query })).await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{answer}");
    }
    let query = format!("mutation {{ login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} }}");
    let answer = post(addr, json!({ "query": query })).await;
    assert!(answer["data"]["login"]["accessToken"].is_string(), "{answer}");
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = TestApp::with_config(|config| config.auth_failure_address_limit = 3).await;
    let addr = app.serve().await;
    let sign_up = |n: u32| json!({ "query": format!("mutation {{ signUp(input: {{ organizationName: \"Org {n}\", email: \"admin{n}@org.test\", password: \"{PASSWORD}\", displayName: \"Admin\" }}) {{ accessToken }} }}") });
    for n in 0..3 {
        let answer = post(addr, sign_up(n)).await;
        assert!(answer["data"]["signUp"]["accessToken"].is_string(), "{answer}");
    }
    let answer = post(addr, sign_up(3)).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{answer}");
}

#[tokio::test]
async fn the_longest_valid_email_is_throttled_like_any_other() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    // The longest address there is: 64 characters, @, and a domain of 255.
    let email = format!("{}@{}", "a".repeat(64), ["b", "c", "d", "e"].map(|c| c.repeat(63)).join("."));
    assert_eq!(email.len(), 320);
    let query = format!("mutation {{ login(email: \"{email}\", password: \"a wrong password\") {{ accessToken }} }}");
    let answer = post(addr, json!({ "query": query })).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{answer}");
}
