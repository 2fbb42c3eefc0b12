//! Invitations, org roles, deactivation and the user directory.

use chrono::TimeDelta;
use serde_json::json;

use crate::harness::{PASSWORD, TestApp, session_from};

#[tokio::test]
async fn an_invited_person_joins_with_the_invited_role() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let token = app.invite(&admin, "Bob@Acme.test", "MEMBER").await;
    let answer = app.accept(&token, PASSWORD, "Bob").await;
    let bob = session_from(&answer.data()["acceptInvitation"]);
    assert_eq!(answer.data()["acceptInvitation"]["user"]["role"], "MEMBER");
    let me = app.exec(Some(&bob.token), "{ me { email displayName } organization { name } }", json!({})).await;
    assert_eq!(me.data()["me"]["email"], "bob@acme.test");
    assert_eq!(me.data()["organization"]["name"], "Acme");
    assert_eq!(app.event_kinds().await, vec!["ORGANIZATION_CREATED", "USER_INVITED", "USER_JOINED"]);
}

#[tokio::test]
async fn an_invitation_works_once() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let token = app.invite(&admin, "bob@acme.test", "MEMBER").await;
    app.accept(&token, PASSWORD, "Bob").await.data();
    app.accept(&token, PASSWORD, "Bob again").await.assert_error("BAD_USER_INPUT", Some("token"));
}

#[tokio::test]
async fn a_new_invitation_replaces_the_pending_one() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let first = app.invite(&admin, "bob@acme.test", "MEMBER").await;
    let second = app.invite(&admin, "bob@acme.test", "ADMIN").await;
    app.accept(&first, PASSWORD, "Bob").await.assert_error("BAD_USER_INPUT", Some("token"));
    let answer = app.accept(&second, PASSWORD, "Bob").await;
    assert_eq!(answer.data()["acceptInvitation"]["user"]["role"], "ADMIN");
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let token = app.invite(&admin, "bob@acme.test", "MEMBER").await;
    app.state.clock.advance(hindsight_api::clock::lifetime(app.state.config.invitation_ttl) + TimeDelta::minutes(1));
    app.accept(&token, PASSWORD, "Bob").await.assert_error("BAD_USER_INPUT", Some("token"));
}

#[tokio::test]
async fn a_mistyped_invitation_token_is_refused() {
    let app = TestApp::new().await;
    app.accept("hsi_made-up", PASSWORD, "Bob").await.assert_error("BAD_USER_INPUT", Some("token"));
}

#[tokio::test]
async fn accepting_needs_a_strong_password_and_a_name() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let token = app.invite(&admin, "bob@acme.test", "MEMBER").await;
    app.accept(&token, "short", "Bob").await.assert_error("BAD_USER_INPUT", Some("password"));
    app.accept(&token, PASSWORD, "   ").await.assert_error("BAD_USER_INPUT", Some("displayName"));
    // Nothing was spent by the refusals.
    app.accept(&token, PASSWORD, "Bob").await.data();
}

const INVITE: &str = "mutation($input: InviteUserInput!) { inviteUser(input: $input) { token } }";

#[tokio::test]
async fn only_admins_invite() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    app.exec(Some(&bob.token), INVITE, json!({ "input": { "email": "eve@acme.test", "role": "ADMIN" } }))
        .await
        .assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn inviting_a_bad_or_taken_email_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), INVITE, json!({ "input": { "email": "nope", "role": "MEMBER" } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("email"));
    app.exec(Some(&admin.token), INVITE, json!({ "input": { "email": "ada@acme.test", "role": "MEMBER" } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("email"));
}

const SET_ROLE: &str = "mutation($u: ID!, $r: OrgRole!) { setOrgRole(userId: $u, role: $r) { id role } }";
const DEACTIVATE: &str = "mutation($u: ID!) { deactivateUser(userId: $u) { id active } }";

#[tokio::test]
async fn an_admin_promotes_and_demotes_users() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    let answer = app.exec(Some(&admin.token), SET_ROLE, json!({ "u": bob.user_id, "r": "ADMIN" })).await;
    assert_eq!(answer.data()["setOrgRole"]["role"], "ADMIN");
    // The new admin can now demote the first one.
    let answer = app.exec(Some(&bob.token), SET_ROLE, json!({ "u": admin.user_id, "r": "MEMBER" })).await;
    assert_eq!(answer.data()["setOrgRole"]["role"], "MEMBER");
    assert!(app.event_kinds().await.contains(&"USER_ROLE_CHANGED".to_owned()));
}

#[tokio::test]
async fn a_member_cannot_change_roles() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    app.exec(Some(&bob.token), SET_ROLE, json!({ "u": bob.user_id, "r": "ADMIN" }))
        .await
        .assert_error("FORBIDDEN", None);
    app.exec(Some(&bob.token), DEACTIVATE, json!({ "u": admin.user_id })).await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deactivated() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), SET_ROLE, json!({ "u": admin.user_id, "r": "MEMBER" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
    app.exec(Some(&admin.token), DEACTIVATE, json!({ "u": admin.user_id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
    assert_eq!(app.me(&admin.token).await.data()["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn a_deactivated_admin_does_not_count_as_the_remaining_admin() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "ADMIN").await;
    app.exec(Some(&admin.token), DEACTIVATE, json!({ "u": bob.user_id })).await.data();
    app.exec(Some(&admin.token), SET_ROLE, json!({ "u": admin.user_id, "r": "MEMBER" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
}

#[tokio::test]
async fn a_deactivated_user_is_locked_out_at_once() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    let script = app.api_token(&bob, "READ").await;
    app.me(&bob.token).await.data();
    let answer = app.exec(Some(&admin.token), DEACTIVATE, json!({ "u": bob.user_id })).await;
    assert_eq!(answer.data()["deactivateUser"]["active"], false);
    app.me(&bob.token).await.assert_error("UNAUTHENTICATED", None);
    app.me(&script).await.assert_error("UNAUTHENTICATED", None);
    app.login("bob@acme.test", PASSWORD).await.assert_error("UNAUTHENTICATED", None);
    app.exec(
        None,
        "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
        json!({ "t": bob.refresh_token }),
    )
    .await
    .assert_error("UNAUTHENTICATED", None);
}

#[tokio::test]
async fn a_reactivated_user_signs_in_again() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    app.exec(Some(&admin.token), DEACTIVATE, json!({ "u": bob.user_id })).await.data();
    let answer = app
        .exec(
            Some(&admin.token),
            "mutation($u: ID!) { reactivateUser(userId: $u) { active } }",
            json!({ "u": bob.user_id }),
        )
        .await;
    assert_eq!(answer.data()["reactivateUser"]["active"], true);
    app.login("bob@acme.test", PASSWORD).await.data();
}

const USERS: &str = "query($s: String, $f: Int, $a: String) { users(search: $s, first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { email } } } }";

#[tokio::test]
async fn the_directory_pages_through_users_in_email_order() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    for name in ["carol", "bob", "dave"] {
        app.invite_and_join(&admin, &format!("{name}@acme.test"), "MEMBER").await;
    }
    let first = app.exec(Some(&admin.token), USERS, json!({ "f": 2 })).await;
    let users = &first.data()["users"];
    assert_eq!(users["totalCount"], 4);
    assert_eq!(users["pageInfo"]["hasNextPage"], true);
    let emails: Vec<_> =
        users["edges"].as_array().unwrap().iter().map(|e| e["node"]["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["ada@acme.test", "bob@acme.test"]);
    let next = app.exec(Some(&admin.token), USERS, json!({ "f": 2, "a": users["pageInfo"]["endCursor"] })).await;
    let users = &next.data()["users"];
    let emails: Vec<_> =
        users["edges"].as_array().unwrap().iter().map(|e| e["node"]["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["carol@acme.test", "dave@acme.test"]);
    assert_eq!(users["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn the_directory_searches_email_and_name() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let token = app.invite(&admin, "bob@acme.test", "MEMBER").await;
    app.accept(&token, PASSWORD, "Robert Tables").await.data();
    let by_name = app.exec(Some(&admin.token), USERS, json!({ "s": "TABLES" })).await;
    assert_eq!(by_name.data()["users"]["totalCount"], 1);
    let by_email = app.exec(Some(&admin.token), USERS, json!({ "s": "ada@" })).await;
    assert_eq!(by_email.data()["users"]["edges"][0]["node"]["email"], "ada@acme.test");
    // LIKE wildcards are matched literally.
    let wildcard = app.exec(Some(&admin.token), USERS, json!({ "s": "%" })).await;
    assert_eq!(wildcard.data()["users"]["totalCount"], 0);
}

#[tokio::test]
async fn page_sizes_are_capped_and_checked() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), USERS, json!({ "f": 1000 })).await.data();
    app.exec(Some(&admin.token), USERS, json!({ "f": -1 })).await.assert_error("BAD_USER_INPUT", Some("first"));
    app.exec(Some(&admin.token), USERS, json!({ "a": "bogus cursor" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("after"));
}
