//! Every error carries `extensions.code`, and nothing internal reaches the client.

use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn syntax_and_validation_errors_are_bad_user_input() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), "{ me { id ", json!({})).await.assert_error("BAD_USER_INPUT", None);
    app.exec(Some(&admin.token), "{ me { noSuchField } }", json!({})).await.assert_error("BAD_USER_INPUT", None);
    app.exec(Some(&admin.token), "{ teams(first: \"many\") { totalCount } }", json!({}))
        .await
        .assert_error("BAD_USER_INPUT", None);
    app.exec(Some(&admin.token), "query($f: Int) { teams(first: $f) { totalCount } }", json!({ "f": "x" }))
        .await
        .assert_error("BAD_USER_INPUT", None);
}

#[tokio::test]
async fn a_malformed_id_names_the_argument() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), "{ team(id: \"definitely not an id\") { id } }", json!({}))
        .await
        .assert_error("BAD_USER_INPUT", Some("id"));
    app.exec(Some(&admin.token), "mutation { deactivateUser(userId: \"???\") { id } }", json!({}))
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
}

#[tokio::test]
async fn an_id_of_another_kind_finds_nothing() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer =
        app.exec(Some(&admin.token), "query($id: ID!) { team(id: $id) { id } }", json!({ "id": admin.user_id })).await;
    assert_eq!(answer.data()["team"], serde_json::Value::Null);
    app.exec(
        Some(&admin.token),
        "mutation($id: ID!) { deactivateUser(userId: $id) { id } }",
        json!({ "id": app.team(&admin, "T").await }),
    )
    .await
    .assert_error("NOT_FOUND", None);
}

#[tokio::test]
async fn queries_deeper_than_the_limit_are_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let deep = "{ me { teams { team { members { edges { node { user { teams { team { members { edges { node { role } } } } } } } } } } } } }";
    app.exec(Some(&admin.token), deep, json!({})).await.assert_error("QUERY_TOO_DEEP", None);
}

#[tokio::test]
async fn control_characters_in_text_are_bad_input() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app
        .exec(
            Some(&admin.token),
            "mutation($n: String!) { createTeam(input: { name: $n }) { id } }",
            json!({ "n": "Pay\u{0}ments" }),
        )
        .await;
    answer.assert_error("BAD_USER_INPUT", Some("name"));
}

#[tokio::test]
async fn a_failed_field_is_null_in_data_beside_its_error() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app.exec(Some(&admin.token), "{ review(id: \"bad\") { id } me { email } }", json!({})).await;
    assert_eq!(answer.0["data"], json!({ "review": null, "me": { "email": "ada@acme.test" } }), "{:#}", answer.0);
    assert_eq!(answer.0["errors"][0]["path"], json!(["review"]));
    assert_eq!(answer.0["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
