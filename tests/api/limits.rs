//! Abuse limits: depth, complexity, and one credential check per request.

use serde_json::json;

use crate::harness::{PASSWORD, TestApp, answer_of};

/// `{ me { … email } }` going `rounds` times through a user's teams and their members: each
/// round is six levels deep.
fn nested(rounds: usize) -> String {
    let mut query = "email".to_owned();
    for _ in 0..rounds {
        query = format!("teams {{ team {{ members(first: 1) {{ edges {{ node {{ user {{ {query} }} }} }} }} }} }}");
    }
    format!("{{ me {{ {query} }} }}")
}

#[tokio::test]
async fn a_query_nested_too_deep_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), &nested(1), json!({})).await.data();
    let deep = app.exec(Some(&admin.token), &nested(2), json!({})).await;
    assert_eq!(deep.code(), "QUERY_TOO_DEEP");
    assert!(deep.message().contains("nested too deep"), "{}", deep.message());
    assert_eq!(deep.errors()[0]["extensions"]["limit"], 12);
    assert!(deep.errors()[0]["extensions"]["cost"].as_u64().unwrap() > 12, "{:#}", deep.0);
    assert!(deep.0["data"].is_null(), "nothing ran");
}

#[tokio::test]
async fn the_depth_limit_is_configurable() {
    let app = TestApp::with_config(|config| config.max_depth = 3).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), "{ me { email } }", json!({})).await.data();
    let answer = app.exec(Some(&admin.token), "{ me { teams { team { name } } } }", json!({})).await;
    assert_eq!(answer.code(), "QUERY_TOO_DEEP");
    assert_eq!(answer.errors()[0]["extensions"]["cost"], 4);
    assert_eq!(answer.errors()[0]["extensions"]["limit"], 3);
}

const HUGE: &str = "{ teams(first: 100) { edges { node { members(first: 100) { edges { node { user { id email displayName } role } } } } } } }";

#[tokio::test]
async fn a_query_asking_for_too_much_is_refused_and_a_dashboard_is_not() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app.exec(Some(&admin.token), HUGE, json!({})).await;
    assert_eq!(answer.code(), "QUERY_TOO_COMPLEX");
    assert!(answer.message().contains("too complex"), "{}", answer.message());
    let extensions = &answer.errors()[0]["extensions"];
    assert!(extensions["cost"].as_u64().unwrap() > extensions["limit"].as_u64().unwrap(), "{extensions}");
    let dashboard = "{ overdueActions(first: 50) { totalCount edges { cursor node { id title dueDate daysOverdue owner { email } team { name } review { title } } } pageInfo { hasNextPage endCursor } } }";
    app.exec(Some(&admin.token), dashboard, json!({})).await.data();
    // Fewer items cost less: the same shape fits with small pages.
    let small = HUGE.replace("first: 100", "first: 5");
    app.exec(Some(&admin.token), &small, json!({})).await.data();
}

#[tokio::test]
async fn a_document_sent_again_is_judged_by_its_variables_each_time() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    // One text, kept after its first parse: its cost follows the page sizes in its variables.
    let sized = "query($t: Int, $m: Int) { teams(first: $t) { edges { node { members(first: $m) { edges { node { user { id email displayName } role } } } } } } }";
    let small = json!({ "t": 5, "m": 5 });
    let large = json!({ "t": 100, "m": 100 });
    for _ in 0..2 {
        app.exec(Some(&admin.token), sized, small.clone()).await.data();
        app.exec(Some(&admin.token), sized, large.clone()).await.assert_error("QUERY_TOO_COMPLEX", None);
    }
    // One text of two operations: each request runs the one it names.
    let both = "query Id { me { id } } query Email { me { email } }";
    let run = |operation: &'static str| {
        let header = format!("Bearer {}", admin.token);
        let app = &app;
        async move {
            let auth = app.state.authenticate(Some(&header)).await;
            let request = async_graphql::Request::new(both).operation_name(operation).data(auth);
            serde_json::to_value(app.schema.execute(request).await).unwrap()
        }
    };
    for _ in 0..2 {
        assert_eq!(run("Id").await["data"]["me"]["id"], json!(admin.user_id));
        assert_eq!(run("Email").await["data"]["me"], json!({ "email": "ada@acme.test" }));
    }
}

#[tokio::test]
async fn one_request_runs_one_credential_check() {
    let app = TestApp::new().await;
    app.sign_up("Acme", "ada@acme.test").await;
    let aliased = format!(
        "mutation {{ a: login(email: \"ada@acme.test\", password: \"wrong-password\") {{ accessToken }} \
         b: login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} }}"
    );
    let answer = app.exec(None, &aliased, json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert!(answer.0["data"].is_null(), "nothing ran: {:#}", answer.0);

    let fragments = format!(
        "mutation {{ ...Guess ... on Mutation {{ refreshSession(refreshToken: \"x\") {{ accessToken }} }} }} \
         fragment Guess on Mutation {{ login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} }}"
    );
    assert_eq!(app.exec(None, &fragments, json!({})).await.code(), "BAD_USER_INPUT");

    let one = app.login("ada@acme.test", PASSWORD).await;
    one.data();
}

#[tokio::test]
async fn a_batch_runs_one_credential_check() {
    let app = TestApp::new().await;
    app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let login = json!({ "query": format!("mutation {{ login(email: \"ada@acme.test\", password: \"{PASSWORD}\") {{ accessToken }} }}") });
    let answers =
        answer_of(reqwest::Client::new().post(format!("http://{addr}/graphql")).json(&json!([login, login, login])))
            .await;
    let answers = answers.as_array().unwrap();
    let signed_in = answers.iter().filter(|a| a["data"]["login"]["accessToken"].is_string()).count();
    let refused = answers.iter().filter(|a| a["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT").count();
    assert_eq!((signed_in, refused), (1, 2), "{answers:?}");
}

#[tokio::test]
async fn fragments_spread_over_and_over_are_refused_before_validation() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    // Twenty fragments, each spreading the next twice: a short document that expands a
    // millionfold.
    let mut document = String::from("query { ...F0 }\n");
    for n in 0..20 {
        document.push_str(&format!("fragment F{n} on Query {{ ...F{next} ...F{next} }}\n", next = n + 1));
    }
    document.push_str("fragment F20 on Query { me { id } }\n");
    let answer = app.exec(Some(&admin.token), &document, json!({})).await;
    answer.assert_error("BAD_USER_INPUT", None);
    assert!(answer.message().contains("expands"), "{:#}", answer.0);
}

#[tokio::test]
async fn aliases_are_counted_where_fragments_bring_them() {
    let app = TestApp::with_config(|config| config.max_aliases = 4).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let document = "query { ...A ...B } fragment A on Query { a: me { id } b: me { id } c: me { id } } fragment B on Query { ...A }";
    app.exec(Some(&admin.token), document, json!({})).await.assert_error("BAD_USER_INPUT", None);
}

#[tokio::test]
async fn defaults_and_directive_arguments_are_bounded_too() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let huge = "x".repeat(20_001);
    let default = format!("query($t: String = \"{huge}\") {{ blamelessCheck(text: $t) {{ start }} }}");
    app.exec(Some(&admin.token), &default, json!({})).await.assert_error("BAD_USER_INPUT", Some("t"));
    let directive = format!(
        "{{ me @include(if: true) {{ id }} organization @skip(if: false) {{ id }} tags @deprecated(reason: \"{huge}\") {{ name }} }}"
    );
    let answer = app.exec(Some(&admin.token), &directive, json!({})).await;
    answer.assert_error("BAD_USER_INPUT", Some("reason"));
}

#[tokio::test]
async fn re_entering_a_password_counts_as_a_credential_check() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let twice = "mutation($p: String!) { a: createApiToken(name: \"a\", scope: READ, currentPassword: $p) { secret } b: changePassword(currentPassword: $p, newPassword: \"another long password\") }";
    let answer = app.exec(Some(&admin.token), twice, json!({ "p": PASSWORD })).await;
    answer.assert_error("BAD_USER_INPUT", None);
    assert!(answer.message().contains("only one of"), "{:#}", answer.0);
}

#[tokio::test]
async fn the_standard_introspection_query_passes_the_limits() {
    // graphql-core's `get_introspection_query()` with every option, as GraphiQL, codegen and
    // IDE plugins send it (whitespace folded, one definition a line): its type references nest
    // about fifteen levels deep.
    let app = TestApp::new().await;
    let answer = app.exec(None, include_str!("introspection.graphql"), json!({})).await;
    let types = answer.data()["__schema"]["types"].as_array().expect("types").len();
    assert!(types > 50, "{types} types");
}
