//! No one user can stall the server: input is bounded, CPU-heavy work runs off the async
//! workers and is priced by its cost, statements have a time limit on every database, and one
//! user cannot hold every database connection.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use futures_util::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Session, TestApp};

/// The most characters a text may hold (`limits::LONG_TEXT`).
const LONG_TEXT: usize = 20_000;

async fn post(addr: std::net::SocketAddr, token: Option<&str>, body: &Value) -> Value {
    let mut request = reqwest::Client::new().post(format!("http://{addr}/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code: {answer}"))
}

#[tokio::test]
async fn a_blameless_check_of_a_text_over_the_limit_is_refused_with_its_field() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let query = "query($t: String!) { blamelessCheck(text: $t) { text start end } }";
    let longest = "blame ".repeat(LONG_TEXT / 6);
    let answer = app.exec(Some(&admin.token), query, json!({ "t": longest })).await;
    assert_eq!(answer.data()["blamelessCheck"].as_array().unwrap().len(), LONG_TEXT / 6);
    let too_long = "x".repeat(LONG_TEXT + 1);
    app.exec(Some(&admin.token), query, json!({ "t": too_long })).await.assert_error("BAD_USER_INPUT", Some("t"));
    let literal = format!("{{ blamelessCheck(text: \"{too_long}\") {{ text }} }}");
    app.exec(Some(&admin.token), &literal, json!({})).await.assert_error("BAD_USER_INPUT", Some("text"));
}

#[tokio::test]
async fn every_string_and_list_argument_is_bounded_whatever_its_field() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let team = app.team(&admin, "Payments").await;
    let huge = "x".repeat(LONG_TEXT + 1);
    // Inside an input object, the field is its path.
    let declare = "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }";
    let input = json!({ "teamId": team, "title": "Checkout down", "severity": "SEV2", "startedAt": Utc::now().to_rfc3339(), "customerImpact": huge });
    app.exec(Some(&admin.token), declare, json!({ "i": input }))
        .await
        .assert_error("BAD_USER_INPUT", Some("i.customerImpact"));
    // A search term has a limit of its own.
    let search = "query($s: String) { incidents(filter: { search: $s }) { totalCount } }";
    let answer = app.exec(Some(&admin.token), search, json!({ "s": "word ".repeat(41) })).await;
    answer.assert_error("BAD_USER_INPUT", Some("search"));
    let feed = "query($s: String) { learningFeed(search: $s) { totalCount } }";
    app.exec(Some(&admin.token), feed, json!({ "s": "w".repeat(201) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("search"));
    let people = "query($s: String) { users(search: $s) { totalCount } }";
    app.exec(Some(&admin.token), people, json!({ "s": "w".repeat(201) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("search"));
    // Lists of IDs are bounded before anything is looked up.
    let ids: Vec<String> = (0..101).map(|_| team.clone()).collect();
    let feed = "query($t: [ID!]) { learningFeed(teamIds: $t) { totalCount } }";
    app.exec(Some(&admin.token), feed, json!({ "t": ids })).await.assert_error("BAD_USER_INPUT", Some("t"));
}

#[tokio::test]
async fn an_incident_affects_at_most_fifty_teams_checked_in_one_lookup() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let team = app.team(&admin, "Payments").await;
    let incident = app
        .exec(
            Some(&admin.token),
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": team, "title": "Checkout down", "severity": "SEV2", "startedAt": Utc::now().to_rfc3339() } }),
        )
        .await
        .data()["declareIncident"]["id"]
        .clone();
    let mut teams = Vec::new();
    for n in 0..51 {
        teams.push(app.team(&admin, &format!("Team {n}")).await);
    }
    let set =
        "mutation($i: ID!, $t: [ID!]!) { setAffectedTeams(incidentId: $i, teamIds: $t) { affectedTeams { id } } }";
    let answer = app.exec(Some(&admin.token), set, json!({ "i": incident, "t": teams })).await;
    answer.assert_error("BAD_USER_INPUT", Some("teamIds"));
    let answer = app.exec(Some(&admin.token), set, json!({ "i": incident, "t": teams[..50] })).await;
    assert_eq!(answer.data()["setAffectedTeams"]["affectedTeams"].as_array().unwrap().len(), 50);
    // One team of another organization among them: none is set.
    let other = app.sign_up("Globex", "hank@globex.test").await;
    let theirs = app.team(&other, "Theirs").await;
    let answer = app.exec(Some(&admin.token), set, json!({ "i": incident, "t": [team, theirs] })).await;
    answer.assert_error("NOT_FOUND", None);
}

#[tokio::test]
async fn a_review_timeline_holds_at_most_two_hundred_entries() {
    let c = crate::actions::crew().await;
    let at = (Utc::now() - TimeDelta::hours(5)).to_rfc3339();
    let add = "mutation($r: ID!, $at: DateTime!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: \"Queue depth alert\" }) { id } }";
    for _ in 0..200 {
        c.run(&c.lead, add, json!({ "r": c.review, "at": at })).await.data();
    }
    c.run(&c.lead, add, json!({ "r": c.review, "at": at })).await.assert_error("BAD_USER_INPUT", Some("reviewId"));
}

#[tokio::test]
async fn costly_fields_of_a_list_are_priced_by_their_cost() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    // A hundred reviews' findings, write-ups and readiness cost far more than a hundred titles.
    let costly = "{ incidents(first: 100) { edges { node { review { blamelessFindings { text } markdown readiness { ready } } } } } }";
    let answer = app.exec(Some(&admin.token), costly, json!({})).await;
    answer.assert_error("QUERY_TOO_COMPLEX", None);
    assert!(answer.message().contains("complex"), "{:#}", answer.0);
    let plain = "{ incidents(first: 100) { edges { node { review { title status } } } } }";
    app.exec(Some(&admin.token), plain, json!({})).await.data();
    let few = "{ incidents(first: 5) { edges { node { review { blamelessFindings { text } markdown readiness { ready } } } } } }";
    app.exec(Some(&admin.token), few, json!({})).await.data();
}

/// How long `/healthz` takes meanwhile is a figure of `bench/abuse.py` (BENCHMARKS.md), not a
/// timed assertion here: on a loaded machine any order of finishing is possible.
#[tokio::test]
async fn the_largest_blameless_checks_run_beside_health_and_a_megabyte_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    // The largest check the server accepts, thirty times in one request, twice at once; and two
    // requests of a megabyte of text, which the cap refuses before any scanning.
    let text = "it was human error, Bob's fault, careless. ".repeat(LONG_TEXT / 44);
    let aliases: Vec<String> = (0..30).map(|n| format!("c{n}: blamelessCheck(text: $t) {{ start }}")).collect();
    let largest =
        json!({ "query": format!("query($t: String!) {{ {} }}", aliases.join(" ")), "variables": { "t": text } });
    let megabyte = json!({ "query": "query($t: String!) { blamelessCheck(text: $t) { start } }", "variables": { "t": "blame ".repeat(170_000) } });
    let heavy: Vec<_> = [&largest, &largest, &megabyte, &megabyte]
        .into_iter()
        .map(|body| {
            let (body, token) = (body.clone(), admin.token.clone());
            tokio::spawn(async move { post(addr, Some(&token), &body).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = Instant::now();
    let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    eprintln!("/healthz answered in {:?} while the checks ran", started.elapsed());
    assert_eq!(health.status(), 200);
    let answers: Vec<Value> = join_all(heavy).await.into_iter().map(Result::unwrap).collect();
    for (n, answer) in answers.iter().enumerate() {
        if n < 2 {
            assert!(answer["errors"].is_null(), "{answer}");
            assert!(!answer["data"]["c29"].as_array().unwrap().is_empty(), "every alias scanned: {answer}");
        } else {
            assert_eq!(code(answer), "BAD_USER_INPUT", "{answer}");
        }
    }
}

/// Fills the admin's organization with `count` people whose addresses and names are the longest
/// run of one letter: the worst a substring search of people can scan. (Incidents and reviews
/// are found through full-text indexes, whose cost does not grow with the text.)
async fn worst_case_people(app: &TestApp, admin: &Session, count: usize) {
    use entity::user;
    use sea_orm::ActiveValue::Set;
    let (_, id) = hindsight_api::ids::parse(&admin.user_id).unwrap();
    let model = user::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    // Written on a connection of its own, without the statement time limit some tests set low:
    // a loaded machine must not cancel the fixture.
    let fixtures = hindsight_api::db::connect(&app.state.config.database_url, 1, None).await.unwrap();
    for chunk in (0..count).collect::<Vec<_>>().chunks(200) {
        let rows = chunk.iter().map(|n| {
            let mut row: user::ActiveModel = model.clone().into();
            row.id = Set(Uuid::now_v7());
            row.email = Set(format!("{}{n}@acme.test", "a".repeat(300)));
            row.display_name = Set("a".repeat(200));
            row
        });
        user::Entity::insert_many(rows).exec(&fixtures).await.unwrap();
    }
    fixtures.close().await.ok();
}

/// A term that almost matches, at every position, the addresses and names above.
fn worst_search() -> String {
    format!("{}b", "a".repeat(199))
}

const SEARCH: &str = "query($s: String) { users(first: 1, search: $s) { totalCount } }";

#[tokio::test]
async fn a_statement_running_past_the_time_limit_is_cancelled() {
    let app = TestApp::with_config(|config| config.statement_timeout = Duration::from_millis(100)).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    worst_case_people(&app, &admin, 3_000).await;
    let started = Instant::now();
    let answer = app.exec(Some(&admin.token), SEARCH, json!({ "s": worst_search() })).await;
    answer.assert_error("TIMEOUT", None);
    // No database text: SQLite says "interrupted", PostgreSQL "canceling statement".
    let message = answer.message();
    assert!(!message.contains("interrupted") && !message.contains("canceling"), "{message}");
    eprintln!("cancelled after {:?}", started.elapsed());
    // The connection is fine afterwards.
    app.me(&admin.token).await.data();
}

#[tokio::test]
async fn one_user_running_the_worst_search_does_not_starve_another_organization() {
    let app = TestApp::with_config(|config| {
        config.db_pool_size = 5;
        config.max_concurrent_per_user = 2;
        config.statement_timeout = Duration::from_secs(3);
    })
    .await;
    let attacker = app.sign_up("Acme", "mallory@acme.test").await;
    let neighbour = app.sign_up("Globex", "hank@globex.test").await;
    worst_case_people(&app, &attacker, 2_000).await;
    let started = Instant::now();
    // For the record only: on a loaded machine even one may reach the statement time limit.
    let alone = app.exec(Some(&attacker.token), SEARCH, json!({ "s": worst_search() })).await;
    eprintln!(
        "one worst search took {:?} ({})",
        started.elapsed(),
        if alone.0.get("errors").is_some() { alone.code() } else { "ok".into() }
    );
    let addr = app.serve().await;
    // Ten requests of ten aliases each: a hundred worst searches at once.
    let aliases: Vec<String> = (0..10).map(|n| format!("s{n}: users(first: 1, search: $s) {{ totalCount }}")).collect();
    let flood = json!({ "query": format!("query($s: String) {{ {} }}", aliases.join(" ")), "variables": { "s": worst_search() } });
    let floods: Vec<_> = (0..10)
        .map(|_| {
            let (body, token) = (flood.clone(), attacker.token.clone());
            tokio::spawn(async move { post(addr, Some(&token), &body).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let started = Instant::now();
        let answer = post(addr, Some(&neighbour.token), &json!({ "query": "{ me { id } }" })).await;
        eprintln!("another organization's `me` answered in {:?} during the flood", started.elapsed());
        assert!(answer["errors"].is_null(), "another organization's request failed: {answer}");
        assert_eq!(answer["data"]["me"]["id"], json!(neighbour.user_id));
    }
    for flood in floods {
        flood.abort();
    }
}
