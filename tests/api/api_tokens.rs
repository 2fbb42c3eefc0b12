//! API tokens for scripts: shown once, stored hashed, scoped, revocable, never administering.

use chrono::TimeDelta;
use entity::api_token;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn a_read_token_queries_as_its_user() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let secret = app.api_token(&admin, "READ").await;
    assert!(secret.starts_with("hsk_"));
    assert_eq!(app.me(&secret).await.data()["me"]["email"], "ada@acme.test");
    // The secret is stored only hashed.
    let stored = api_token::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].secret_hash, secret);
    assert!(!stored[0].secret_hash.contains(&secret[4..]));
}

#[tokio::test]
async fn a_read_token_cannot_run_mutations() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let secret = app.api_token(&admin, "READ").await;
    let answer = app.exec(Some(&secret), "mutation { createTeam(input: { name: \"Nope\" }) { id } }", json!({})).await;
    answer.assert_error("FORBIDDEN", None);
    let teams = app.exec(Some(&admin.token), "{ teams { totalCount } }", json!({})).await;
    assert_eq!(teams.data()["teams"]["totalCount"], 0);
}

#[tokio::test]
async fn a_write_token_runs_mutations_its_user_may_run() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let secret = app.api_token(&admin, "WRITE").await;
    app.exec(Some(&secret), "mutation { createTeam(input: { name: \"Scripted\" }) { id } }", json!({})).await.data();
}

#[tokio::test]
async fn no_token_administers_users_or_tokens() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let secret = app.api_token(&admin, "WRITE").await;
    let refused = [
        "mutation { createApiToken(name: \"more\", scope: WRITE, currentPassword: \"correct horse battery\") { secret } }",
        "mutation { inviteUser(input: { email: \"x@acme.test\", role: ADMIN }) { token } }",
        "mutation { logoutEverywhere }",
        "mutation { changePassword(currentPassword: \"correct horse battery\", newPassword: \"0123456789abc\") }",
    ];
    for mutation in refused {
        app.exec(Some(&secret), mutation, json!({})).await.assert_error("FORBIDDEN", None);
    }
    let set_role = "mutation($u: ID!) { setOrgRole(userId: $u, role: ADMIN) { id } }";
    app.exec(Some(&secret), set_role, json!({ "u": admin.user_id })).await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn a_revoked_token_stops_working() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let created = app
        .exec(
            Some(&admin.token),
            "mutation { createApiToken(name: \"ci\", scope: READ, currentPassword: \"correct horse battery\") { secret apiToken { id } } }",
            json!({}),
        )
        .await;
    let secret = created.data()["createApiToken"]["secret"].as_str().unwrap().to_owned();
    let id = created.data()["createApiToken"]["apiToken"]["id"].clone();
    let answer = app
        .exec(Some(&admin.token), "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }", json!({ "id": id }))
        .await;
    assert!(answer.data()["revokeApiToken"]["revokedAt"].is_string());
    app.me(&secret).await.assert_error("UNAUTHENTICATED", None);
    assert!(app.event_kinds().await.ends_with(&["API_TOKEN_CREATED".to_owned(), "API_TOKEN_REVOKED".to_owned()]));
}

#[tokio::test]
async fn an_expired_token_stops_working() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app
        .exec(
            Some(&admin.token),
            "mutation($at: DateTime) { createApiToken(name: \"day\", scope: READ, expiresAt: $at, currentPassword: \"correct horse battery\") { secret } }",
            json!({ "at": (app.state.clock.now() + TimeDelta::days(1)).to_rfc3339() }),
        )
        .await;
    let secret = answer.data()["createApiToken"]["secret"].as_str().unwrap().to_owned();
    app.me(&secret).await.data();
    app.state.clock.advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    app.me(&secret).await.assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn an_expiry_in_the_past_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app
        .exec(
            Some(&admin.token),
            "mutation($at: DateTime) { createApiToken(name: \"old\", scope: READ, expiresAt: $at, currentPassword: \"correct horse battery\") { secret } }",
            json!({ "at": "2001-01-01T00:00:00Z" }),
        )
        .await;
    answer.assert_error("BAD_USER_INPUT", Some("expiresAt"));
}

#[tokio::test]
async fn using_a_token_records_when_it_was_last_used() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let secret = app.api_token(&admin, "READ").await;
    let list = "{ apiTokens { totalCount edges { node { name scope lastUsedAt } } } }";
    let before = app.exec(Some(&admin.token), list, json!({})).await;
    assert!(before.data()["apiTokens"]["edges"][0]["node"]["lastUsedAt"].is_null());
    app.me(&secret).await.data();
    let after = app.exec(Some(&admin.token), list, json!({})).await;
    assert_eq!(after.data()["apiTokens"]["totalCount"], 1);
    assert!(after.data()["apiTokens"]["edges"][0]["node"]["lastUsedAt"].is_string());
}

#[tokio::test]
async fn a_member_cannot_revoke_someone_elses_token() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    let created = app
        .exec(
            Some(&admin.token),
            "mutation { createApiToken(name: \"ci\", scope: READ, currentPassword: \"correct horse battery\") { apiToken { id } } }",
            json!({}),
        )
        .await;
    let id = created.data()["createApiToken"]["apiToken"]["id"].clone();
    app.exec(Some(&bob.token), "mutation($id: ID!) { revokeApiToken(id: $id) { id } }", json!({ "id": id }))
        .await
        .assert_error("NOT_FOUND", None);
}
