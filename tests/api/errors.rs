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

/// The problems of an answer as (code, path, field), in order.
fn problems(answer: &crate::harness::Answer) -> Vec<(String, serde_json::Value, String)> {
    answer
        .errors()
        .iter()
        .map(|e| {
            let ext = &e["extensions"];
            (
                ext["code"].as_str().unwrap_or("").to_owned(),
                ext["path"].clone(),
                ext["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_invalid_input_comes_back_at_once_with_its_path() {
    let crew = crate::actions::crew().await;
    let mut input = crew.input("   ", &crew.member, crate::actions::in_days(-3));
    input["successMetric"] = json!("");
    let answer = crew.run(&crew.member, crate::actions::CREATE, json!({ "i": input })).await;
    assert_eq!(
        problems(&answer),
        [
            ("BAD_USER_INPUT".into(), json!(["input", "title"]), "title".into()),
            ("BAD_USER_INPUT".into(), json!(["input", "successMetric"]), "successMetric".into()),
            ("BAD_USER_INPUT".into(), json!(["input", "dueDate"]), "dueDate".into()),
        ],
        "{answer:?}"
    );
    // Each error is at the field that failed, with a message of its own, and nothing was written.
    for error in answer.errors() {
        assert_eq!(error["path"], json!(["createAction"]));
    }
    assert!(answer.errors()[2]["message"].as_str().unwrap().contains("dueDate"), "{answer:?}");
    assert_eq!(answer.0["data"], serde_json::Value::Null);
    let actions = crew
        .run(&crew.member, "query($r: ID!) { review(id: $r) { actions { id } } }", json!({ "r": crew.review }))
        .await;
    assert_eq!(actions.data()["review"]["actions"], json!([]));
}

#[tokio::test]
async fn problems_inside_lists_name_the_item() {
    let crew = crate::actions::crew().await;
    let whys = json!([
        { "question": "Why did refunds stop?", "answer": "The queue consumer crashed" },
        { "question": "Why did it crash?", "answer": "  " },
        { "question": "", "answer": "Nobody was paged" },
    ]);
    let answer = crew
        .run(
            &crew.member,
            "mutation($r: ID!, $w: [WhyInput!]!) { setWhys(reviewId: $r, whys: $w) { id } }",
            json!({ "r": crew.review, "w": whys }),
        )
        .await;
    assert_eq!(
        problems(&answer),
        [
            ("BAD_USER_INPUT".into(), json!(["whys", 1, "answer"]), "answer".into()),
            ("BAD_USER_INPUT".into(), json!(["whys", 2, "question"]), "question".into()),
        ],
        "{answer:?}"
    );
    let learnings = json!({ "learnings": ["Queues need an alarm", "x".repeat(2_001)], "title": "" });
    let answer = crew
        .run(
            &crew.member,
            "mutation($r: ID!, $i: UpdateReviewInput!) { updateReview(id: $r, input: $i) { id } }",
            json!({ "r": crew.review, "i": learnings }),
        )
        .await;
    assert_eq!(
        problems(&answer),
        [
            ("BAD_USER_INPUT".into(), json!(["input", "title"]), "title".into()),
            ("BAD_USER_INPUT".into(), json!(["input", "learnings", 1]), "learnings".into()),
        ],
        "{answer:?}"
    );
    let tags = crew
        .run(
            &crew.member,
            "mutation($i: ID!) { tagIncident(incidentId: $i, tags: [\"ok\", \"no!\", \"fine\", \"<b>\"]) { id } }",
            json!({ "i": crew.app.exec(Some(&crew.member.token), "query($r: ID!) { review(id: $r) { incident { id } } }", json!({ "r": crew.review })).await.data()["review"]["incident"]["id"] }),
        )
        .await;
    assert_eq!(
        problems(&tags),
        [
            ("BAD_USER_INPUT".into(), json!(["tags", 1]), "tags".into()),
            ("BAD_USER_INPUT".into(), json!(["tags", 3]), "tags".into()),
        ],
        "{tags:?}"
    );
}

#[tokio::test]
async fn a_permission_error_comes_alone_before_input_problems() {
    let crew = crate::actions::crew().await;
    let mut input = crew.input("", &crew.member, crate::actions::in_days(-3));
    input["successMetric"] = json!("");
    let answer = crew.run(&crew.viewer, crate::actions::CREATE, json!({ "i": input })).await;
    assert_eq!(answer.errors().len(), 1, "{answer:?}");
    answer.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn input_problems_over_http_are_one_error_each() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let body = json!({
        "query": "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
        "variables": { "i": { "organizationName": " ", "email": "not-an-email", "password": "short", "displayName": "Ada" } },
    });
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<_> = answer["errors"].as_array().unwrap().iter().map(|e| e["extensions"]["path"].clone()).collect();
    assert_eq!(
        paths,
        [json!(["input", "organizationName"]), json!(["input", "email"]), json!(["input", "password"])],
        "{answer:#}"
    );
    assert!(answer["errors"].as_array().unwrap().iter().all(|e| e["extensions"]["code"] == "BAD_USER_INPUT"));
    assert_eq!(answer["data"], serde_json::Value::Null);
}
