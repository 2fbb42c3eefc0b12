//! Sign-up, login, access tokens and refresh-token rotation.

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::harness::{JWT_SECRET, PASSWORD, TestApp, session_from};

#[tokio::test]
async fn sign_up_creates_an_organization_and_its_admin() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme Corp", "ada@acme.test").await;
    let answer = app
        .exec(Some(&admin.token), "{ me { email role active displayName } organization { name slug } }", json!({}))
        .await;
    let data = answer.data();
    assert_eq!(data["me"]["email"], "ada@acme.test");
    assert_eq!(data["me"]["role"], "ADMIN");
    assert_eq!(data["me"]["active"], true);
    assert_eq!(data["organization"]["name"], "Acme Corp");
    assert_eq!(data["organization"]["slug"], "acme-corp");
    assert_eq!(app.event_kinds().await, vec!["ORGANIZATION_CREATED"]);
}

#[tokio::test]
async fn a_second_organization_with_the_same_name_gets_its_own_slug() {
    let app = TestApp::new().await;
    let first = app.sign_up("Acme", "a@acme.test").await;
    let second = app.sign_up("Acme", "b@acme.test").await;
    let slug = |token: String| {
        let app = &app;
        async move {
            app.exec(Some(&token), "{ organization { slug } }", json!({})).await.data()["organization"]["slug"].clone()
        }
    };
    let (a, b) = (slug(first.token).await, slug(second.token).await);
    assert_eq!(a, "acme");
    assert_ne!(a, b);
}

async fn sign_up_answer(app: &TestApp, email: &str, password: &str) -> crate::harness::Answer {
    app.exec(
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
        json!({ "input": { "organizationName": "Org", "email": email, "password": password, "displayName": "Someone" } }),
    )
    .await
}

#[tokio::test]
async fn sign_up_refuses_a_bad_email() {
    let app = TestApp::new().await;
    sign_up_answer(&app, "not-an-email", PASSWORD).await.assert_error("BAD_USER_INPUT", Some("email"));
}

#[tokio::test]
async fn sign_up_refuses_a_password_under_ten_characters() {
    let app = TestApp::new().await;
    sign_up_answer(&app, "ada@acme.test", "short123").await.assert_error("BAD_USER_INPUT", Some("password"));
}

#[tokio::test]
async fn sign_up_refuses_an_email_that_already_has_an_account() {
    let app = TestApp::new().await;
    app.sign_up("Acme", "ada@acme.test").await;
    sign_up_answer(&app, "ADA@acme.test", PASSWORD).await.assert_error("BAD_USER_INPUT", Some("email"));
}

#[tokio::test]
async fn sign_up_is_refused_when_closed() {
    let app = TestApp::with_config(|c| c.allow_signup = false).await;
    sign_up_answer(&app, "ada@acme.test", PASSWORD).await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn login_with_the_right_password_signs_in() {
    let app = TestApp::new().await;
    app.sign_up("Acme", "ada@acme.test").await;
    let answer = app.login("Ada@Acme.test", PASSWORD).await;
    let session = session_from(&answer.data()["login"]);
    assert_eq!(app.me(&session.token).await.data()["me"]["email"], "ada@acme.test");
}

#[tokio::test]
async fn login_with_a_wrong_password_or_unknown_email_says_the_same() {
    let app = TestApp::new().await;
    app.sign_up("Acme", "ada@acme.test").await;
    let wrong = app.login("ada@acme.test", "wrong password!").await;
    wrong.assert_error("UNAUTHENTICATED", None);
    let unknown = app.login("nobody@acme.test", PASSWORD).await;
    unknown.assert_error("UNAUTHENTICATED", None);
    assert_eq!(wrong.message(), unknown.message());
}

#[tokio::test]
async fn anonymous_callers_are_unauthenticated() {
    let app = TestApp::new().await;
    app.exec(None, "{ me { id } }", json!({})).await.assert_error("UNAUTHENTICATED", None);
    app.exec(None, "{ teams { totalCount } }", json!({})).await.assert_error("UNAUTHENTICATED", None);
}

#[derive(serde::Serialize)]
struct Claims {
    iss: &'static str,
    aud: &'static str,
    sub: String,
    org: String,
    ver: i32,
    sid: String,
    iat: i64,
    exp: i64,
}

/// Claims for the admin of a fresh organization, read back from a real token.
async fn real_claims(app: &TestApp) -> Claims {
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let payload = admin.token.split('.').nth(1).unwrap();
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    Claims {
        iss: "hindsight",
        aud: "hindsight-api",
        sub: value["sub"].as_str().unwrap().into(),
        org: value["org"].as_str().unwrap().into(),
        ver: value["ver"].as_i64().unwrap() as i32,
        sid: value["sid"].as_str().unwrap().into(),
        iat: Utc::now().timestamp(),
        exp: Utc::now().timestamp() + 600,
    }
}

fn sign(claims: &Claims, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test]
async fn a_well_signed_token_is_accepted() {
    let app = TestApp::new().await;
    let claims = real_claims(&app).await;
    app.me(&sign(&claims, Algorithm::HS256, JWT_SECRET)).await.data();
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let app = TestApp::new().await;
    let mut claims = real_claims(&app).await;
    claims.iat -= 3600;
    claims.exp = Utc::now().timestamp() - 60;
    app.me(&sign(&claims, Algorithm::HS256, JWT_SECRET)).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let app = TestApp::new().await;
    let claims = real_claims(&app).await;
    app.me(&sign(&claims, Algorithm::HS256, "another-secret-another-secret-another"))
        .await
        .assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn a_token_with_a_swapped_algorithm_is_refused() {
    let app = TestApp::new().await;
    let claims = real_claims(&app).await;
    app.me(&sign(&claims, Algorithm::HS512, JWT_SECRET)).await.assert_error("UNAUTHENTICATED", None);
    // `alg: none`, unsigned.
    let header =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"alg":"none","typ":"JWT"}"#);
    let body =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, serde_json::to_vec(&claims).unwrap());
    app.me(&format!("{header}.{body}.")).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn a_token_for_another_audience_or_issuer_is_refused() {
    let app = TestApp::new().await;
    let mut claims = real_claims(&app).await;
    claims.aud = "someone-else";
    app.me(&sign(&claims, Algorithm::HS256, JWT_SECRET)).await.assert_error("UNAUTHENTICATED", None);
    claims.aud = "hindsight-api";
    claims.iss = "someone-else";
    app.me(&sign(&claims, Algorithm::HS256, JWT_SECRET)).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn garbage_in_the_authorization_header_is_refused() {
    let app = TestApp::new().await;
    app.me("not.a.jwt").await.assert_error("UNAUTHENTICATED", None);
    app.me("hsk_not-a-real-api-token").await.assert_error("UNAUTHENTICATED", None);
}

const REFRESH: &str =
    "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { id email } } }";

#[tokio::test]
async fn refreshing_rotates_both_tokens() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app.exec(None, REFRESH, json!({ "t": admin.refresh_token })).await;
    let next = session_from(&answer.data()["refreshSession"]);
    assert_ne!(next.refresh_token, admin.refresh_token);
    app.me(&next.token).await.data();
    // The next token rotates again.
    app.exec(None, REFRESH, json!({ "t": next.refresh_token })).await.data();
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_session() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let next =
        session_from(&app.exec(None, REFRESH, json!({ "t": admin.refresh_token })).await.data()["refreshSession"]);
    // The spent token comes back after the grace of two tabs refreshing at once: someone else
    // holds a copy.
    app.state.clock.advance(chrono::TimeDelta::seconds(11));
    app.exec(None, REFRESH, json!({ "t": admin.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
    // The legitimate holder's newer token is revoked too.
    app.exec(None, REFRESH, json!({ "t": next.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_keep_the_session() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    // Both tabs present the same refresh token, one just after the other.
    let (first, second) = tokio::join!(
        app.exec(None, REFRESH, json!({ "t": admin.refresh_token })),
        app.exec(None, REFRESH, json!({ "t": admin.refresh_token })),
    );
    let (first, second) =
        (session_from(&first.data()["refreshSession"]), session_from(&second.data()["refreshSession"]));
    assert_eq!(first.refresh_token, second.refresh_token, "the same successor for both");
    app.me(&first.token).await.data();
    app.me(&second.token).await.data();
    // The successor rotates as any refresh token does, once.
    let next =
        session_from(&app.exec(None, REFRESH, json!({ "t": first.refresh_token })).await.data()["refreshSession"]);
    app.me(&next.token).await.data();
    // Later, the first token comes back: a replay, which ends the session.
    app.state.clock.advance(chrono::TimeDelta::seconds(11));
    app.exec(None, REFRESH, json!({ "t": first.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
    app.exec(None, REFRESH, json!({ "t": next.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::new().await;
    app.exec(None, REFRESH, json!({ "t": "hsr_nothing" })).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn logout_ends_the_session_of_the_refresh_token() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let other = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let answer =
        app.exec(None, "mutation($t: String!) { logout(refreshToken: $t) }", json!({ "t": admin.refresh_token })).await;
    assert_eq!(answer.data()["logout"], true);
    app.exec(None, REFRESH, json!({ "t": admin.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
    // Another session of the same user is untouched.
    app.exec(None, REFRESH, json!({ "t": other.refresh_token })).await.data();
}

#[tokio::test]
async fn logout_everywhere_stops_every_token_at_once() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let other = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let answer = app.exec(Some(&admin.token), "mutation { logoutEverywhere }", json!({})).await;
    assert_eq!(answer.data()["logoutEverywhere"], true);
    app.me(&admin.token).await.assert_error("UNAUTHENTICATED", None);
    app.me(&other.token).await.assert_error("UNAUTHENTICATED", None);
    app.exec(None, REFRESH, json!({ "t": other.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
    // Signing in again works.
    app.login("ada@acme.test", PASSWORD).await.data();
    assert!(app.event_kinds().await.contains(&"SESSIONS_REVOKED".to_owned()));
}

const CHANGE_PASSWORD: &str =
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let other = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let answer =
        app.exec(Some(&admin.token), CHANGE_PASSWORD, json!({ "c": PASSWORD, "n": "a much better passphrase" })).await;
    assert_eq!(answer.data()["changePassword"], true);
    app.login("ada@acme.test", PASSWORD).await.assert_error("UNAUTHENTICATED", None);
    app.login("ada@acme.test", "a much better passphrase").await.data();
    app.exec(None, REFRESH, json!({ "t": admin.refresh_token })).await.data();
    app.exec(None, REFRESH, json!({ "t": other.refresh_token })).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), CHANGE_PASSWORD, json!({ "c": "not my password", "n": "a much better passphrase" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("currentPassword"));
    app.login("ada@acme.test", PASSWORD).await.data();
}

#[tokio::test]
async fn a_new_password_under_ten_characters_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), CHANGE_PASSWORD, json!({ "c": PASSWORD, "n": "short" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("newPassword"));
}

#[tokio::test]
async fn unauthenticated_says_why_so_a_client_knows_what_to_do() {
    let app = TestApp::new().await;
    let reason = |answer: &crate::harness::Answer| {
        answer.assert_error("UNAUTHENTICATED", None);
        answer.errors()[0]["extensions"]["reason"].as_str().unwrap_or_default().to_owned()
    };
    // Nothing sent: sign in.
    assert_eq!(reason(&app.exec(None, "{ me { id } }", json!({})).await), "MISSING");
    // A stale access token: refresh.
    let mut claims = real_claims(&app).await;
    claims.iat -= 3600;
    claims.exp = Utc::now().timestamp() - 60;
    assert_eq!(reason(&app.me(&sign(&claims, Algorithm::HS256, JWT_SECRET)).await), "TOKEN_EXPIRED");
    // Garbage: sign in again.
    assert_eq!(reason(&app.me("not-a-token").await), "INVALID_TOKEN");
    // A wrong password.
    assert_eq!(reason(&app.login("ada@acme.test", "wrong password!").await), "WRONG_CREDENTIALS");
    // Signed out everywhere: the session has ended.
    let ada = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    app.exec(Some(&ada.token), "mutation { logoutEverywhere }", json!({})).await.data();
    assert_eq!(reason(&app.me(&ada.token).await), "SESSION_ENDED");
    // A deactivated account.
    let ada = session_from(&app.login("ada@acme.test", PASSWORD).await.data()["login"]);
    let bob = app.invite_and_join(&ada, "bob@acme.test", "MEMBER").await;
    app.exec(Some(&ada.token), "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({ "u": bob.user_id }))
        .await
        .data();
    assert_eq!(reason(&app.me(&bob.token).await), "DEACTIVATED");
}
