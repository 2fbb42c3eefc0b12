//! A session ends when it should: a sign-out ends that session's access tokens and sockets at
//! once; a password change or signing out everywhere ends every other session the same way; and
//! a stolen access token cannot mint a lasting API token.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use crate::harness::{PASSWORD, Socket, TestApp, session_from};

const EVENTS: &str = "subscription { events { id kind } }";
const LOGOUT: &str = "mutation($t: String!) { logout(refreshToken: $t) }";
const CHANGE_PASSWORD: &str =
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

#[tokio::test]
async fn signing_out_ends_that_sessions_access_token_and_sockets_at_once() {
    let app = TestApp::new().await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let phone = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let addr = app.serve().await;
    let mut laptop_socket = Socket::connect(addr, &ada.token).await;
    let mut phone_socket = Socket::connect(addr, &phone.token).await;
    laptop_socket.subscribe("log", EVENTS, json!({})).await;
    phone_socket.subscribe("log", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    app.exec(None, LOGOUT, json!({ "t": ada.refresh_token })).await.data();
    let answer = app.me(&ada.token).await;
    answer.assert_error("UNAUTHENTICATED", None);
    assert!(answer.message().contains("signed out"), "{:#}", answer.0);
    let (code, reason) = laptop_socket.closed().await;
    assert_eq!(code, 4401, "{reason}");
    // The other session goes on, and hears nothing of the sign-out but the event of its own user.
    app.me(&phone.token).await.data();
    assert_eq!(phone_socket.next("log").await["data"]["events"]["kind"], "SIGNED_OUT");
    app.create_team(&phone, "Payments", None).await.data();
    assert_eq!(phone_socket.next("log").await["data"]["events"]["kind"], "TEAM_CREATED");
}

#[tokio::test]
async fn changing_the_password_ends_every_other_sessions_tokens_and_sockets_at_once() {
    let app = TestApp::new().await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let stolen = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let addr = app.serve().await;
    let mut stolen_socket = Socket::connect(addr, &stolen.token).await;
    let mut own_socket = Socket::connect(addr, &ada.token).await;
    stolen_socket.subscribe("log", EVENTS, json!({})).await;
    own_socket.subscribe("log", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    app.exec(Some(&ada.token), CHANGE_PASSWORD, json!({ "c": PASSWORD, "n": "a much better passphrase" })).await.data();
    app.me(&stolen.token).await.assert_error("UNAUTHENTICATED", None);
    let (code, reason) = stolen_socket.closed().await;
    assert_eq!(code, 4401, "{reason}");
    app.me(&ada.token).await.data();
    assert_eq!(own_socket.next("log").await["data"]["events"]["kind"], "PASSWORD_CHANGED");
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_including_this_one() {
    let app = TestApp::new().await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let other = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let addr = app.serve().await;
    let mut socket = Socket::subscribed(addr, &other.token, "log", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.exec(Some(&ada.token), "mutation { logoutEverywhere }", json!({})).await.data();
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4401, "{reason}");
    app.me(&ada.token).await.assert_error("UNAUTHENTICATED", None);
}

const CREATE_TOKEN: &str = "mutation($p: String!, $at: DateTime) { createApiToken(name: \"ci\", scope: WRITE, currentPassword: $p, expiresAt: $at) { secret apiToken { expiresAt } } }";

#[tokio::test]
async fn an_api_token_needs_the_current_password() {
    let app = TestApp::new().await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let without = app
        .exec(Some(&ada.token), "mutation { createApiToken(name: \"ci\", scope: WRITE) { secret } }", json!({}))
        .await;
    without.assert_error("BAD_USER_INPUT", None);
    let wrong = app.exec(Some(&ada.token), CREATE_TOKEN, json!({ "p": "a guessed password" })).await;
    wrong.assert_error("BAD_USER_INPUT", Some("currentPassword"));
    app.exec(Some(&ada.token), CREATE_TOKEN, json!({ "p": PASSWORD })).await.data();
}

#[tokio::test]
async fn guessing_the_password_through_api_tokens_is_limited() {
    let app = TestApp::with_config(|config| config.auth_failure_limit = 3).await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    for _ in 0..3 {
        let wrong = app.exec(Some(&ada.token), CREATE_TOKEN, json!({ "p": "a guessed password" })).await;
        wrong.assert_error("BAD_USER_INPUT", Some("currentPassword"));
    }
    let limited = app.exec(Some(&ada.token), CREATE_TOKEN, json!({ "p": PASSWORD })).await;
    limited.assert_error("RATE_LIMITED", None);
    let limited =
        app.exec(Some(&ada.token), CHANGE_PASSWORD, json!({ "c": PASSWORD, "n": "a much better passphrase" })).await;
    limited.assert_error("RATE_LIMITED", None);
}

#[tokio::test]
async fn an_api_token_expires_in_ninety_days_unless_told_otherwise() {
    let app = TestApp::new().await;
    let ada = app.sign_up("Acme", "ada@acme.test").await;
    let created = app.exec(Some(&ada.token), CREATE_TOKEN, json!({ "p": PASSWORD })).await;
    let expires: DateTime<Utc> =
        created.data()["createApiToken"]["apiToken"]["expiresAt"].as_str().unwrap().parse().unwrap();
    let ninety = Utc::now() + TimeDelta::days(90);
    assert!((expires - ninety).num_seconds().abs() < 60, "{expires}");
    let chosen = (Utc::now() + TimeDelta::days(7)).to_rfc3339();
    let created = app.exec(Some(&ada.token), CREATE_TOKEN, json!({ "p": PASSWORD, "at": chosen })).await;
    let expires: DateTime<Utc> =
        created.data()["createApiToken"]["apiToken"]["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!((expires - (Utc::now() + TimeDelta::days(7))).num_seconds().abs() < 60, "{expires}");
}

/// Cookie mode: the refresh token in an HttpOnly cookie that only this site's JSON requests use.
mod cookie_mode {
    use serde_json::{Value, json};

    use crate::harness::{PASSWORD, TestApp};

    const REFRESH: &str = "mutation { refreshSession { accessToken refreshToken } }";

    struct Browser {
        http: reqwest::Client,
        url: String,
    }

    impl Browser {
        async fn post(&self, body: Value, headers: &[(&str, &str)]) -> (reqwest::header::HeaderMap, Value) {
            let mut request =
                self.http.post(&self.url).header("content-type", "application/json").body(body.to_string());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap();
            let headers = response.headers().clone();
            (headers, response.json().await.unwrap())
        }
    }

    fn cookie_of(headers: &reqwest::header::HeaderMap) -> String {
        let set = headers.get("set-cookie").expect("a Set-Cookie").to_str().unwrap().to_owned();
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/graphql"] {
            assert!(set.contains(attribute), "{attribute} missing from {set}");
        }
        set.split(';').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn the_refresh_token_lives_in_a_cookie_only_this_site_can_use() {
        let app = TestApp::with_config(|c| {
            c.session_cookie = true;
            c.cors_origins = vec!["https://app.example".into()];
        })
        .await;
        let addr = app.serve().await;
        let browser = Browser { http: reqwest::Client::new(), url: format!("http://{addr}/graphql") };
        let sign_up = json!({ "query": format!("mutation {{ signUp(input: {{ organizationName: \"Acme\", email: \"ada@acme.test\", password: \"{PASSWORD}\", displayName: \"Ada\" }}) {{ accessToken refreshToken }} }}") });
        let (headers, body) = browser.post(sign_up, &[]).await;
        assert_eq!(body["data"]["signUp"]["refreshToken"], "", "the page never sees the refresh token");
        let cookie = cookie_of(&headers);
        assert!(cookie.starts_with("hindsight_refresh=hsr_"), "{cookie}");

        // The front-end refreshes with the cookie alone.
        let (headers, body) =
            browser.post(json!({ "query": REFRESH }), &[("cookie", &cookie), ("origin", "https://app.example")]).await;
        assert!(body["data"]["refreshSession"]["accessToken"].is_string(), "{body}");
        let rotated = cookie_of(&headers);
        assert_ne!(rotated, cookie, "the cookie rotates with the token");

        // Forged requests cannot use it: another site's page, or a form's body (text/plain).
        let (_, forged) = browser
            .post(json!({ "query": REFRESH }), &[("cookie", &rotated), ("origin", "https://evil.example")])
            .await;
        assert_eq!(forged["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{forged}");
        let form: Value = browser
            .http
            .post(&browser.url)
            .header("content-type", "text/plain")
            .header("cookie", &rotated)
            .body(json!({ "query": REFRESH }).to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(form["data"].is_null() || form["data"]["refreshSession"].is_null(), "{form}");
        assert!(form["errors"].is_array(), "{form}");
        // Nor can another site sign the browser into an account of its choosing.
        let forged_login = browser
            .http
            .post(&browser.url)
            .header("content-type", "text/plain")
            .header("origin", "https://evil.example")
            .body(json!({ "query": format!("mutation {{ login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} }}") }).to_string())
            .send()
            .await
            .unwrap();
        assert!(forged_login.headers().get("set-cookie").is_none(), "a forged sign-in sets no cookie");

        // The allowed origin may send credentials.
        let preflight = browser
            .http
            .request(reqwest::Method::OPTIONS, &browser.url)
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.headers()["access-control-allow-credentials"], "true");

        // Logout ends the session and clears the cookie.
        let (headers, body) = browser.post(json!({ "query": "mutation { logout }" }), &[("cookie", &rotated)]).await;
        assert_eq!(body["data"]["logout"], true, "{body}");
        assert!(headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
        let (_, after) = browser.post(json!({ "query": REFRESH }), &[("cookie", &rotated)]).await;
        assert_eq!(after["errors"][0]["extensions"]["reason"], "SESSION_ENDED", "{after}");
    }

    #[tokio::test]
    async fn without_cookie_mode_a_refresh_needs_its_token() {
        let app = TestApp::new().await;
        let answer = app.exec(None, REFRESH, json!({})).await;
        answer.assert_error("UNAUTHENTICATED", None);
        assert_eq!(answer.errors()[0]["extensions"]["reason"], "MISSING");
        let admin = app.sign_up("Acme", "ada@acme.test").await;
        assert!(admin.refresh_token.starts_with("hsr_"), "the token is in the answer");
    }
}
