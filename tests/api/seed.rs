//! `hindsight seed` fills a fresh database with data the API serves as it would its own:
//! people sign in, lists count what was seeded, published reviews meet the readiness rules.

use hindsight_seed::{self as seed, Plan, SeedError, admin_email, member_email};
use sea_orm::{ConnectionTrait, QueryResult, Statement};
use serde_json::{Value, json};

use crate::harness::{Session, TestApp, session_from};

fn small_plan() -> Plan {
    Plan { orgs: 2, teams: 4, users: 12, incidents: 240, actions: 200, password: "seeded-password-123".into() }
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
    session_from(&app.login(email, password).await.data()["login"])
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

#[tokio::test]
async fn seeded_data_is_served_as_the_domain_would_and_a_second_run_is_refused() {
    let app = TestApp::new().await;
    let plan = small_plan();
    let summary = seed::run(&app.state.db, &plan, false).await.expect("the database seeds");
    assert_eq!(summary.counts.of("organization"), 2);
    assert_eq!(summary.counts.of("app_user"), 2 * 13);
    assert_eq!(summary.counts.of("incident"), 240);
    // Every incident names the service it touched, from the organizations' catalogs.
    assert_eq!(summary.counts.of("incident_service"), 240);
    assert!(summary.counts.of("service") >= 2 * 2);
    assert_eq!(summary.counts.of("action"), 200);
    assert_eq!(summary.counts.of("event"), 0);
    assert!(summary.counts.of("review") > 0 && summary.counts.of("why") >= 3 * summary.counts.of("review") / 2);

    let admin = sign_in(&app, &admin_email(1), &plan.password).await;
    let member = sign_in(&app, &member_email(1, 1), &plan.password).await;

    let answer = app
        .exec(
            Some(&admin.token),
            "{ incidents { totalCount } actions { totalCount }
               overdueActions(first: 100) { totalCount edges { node { isOverdue daysOverdue status } } }
               learningFeed(first: 10) { totalCount edges { node { id status } } }
               teams(first: 1) { edges { node { slug } } } }",
            json!({}),
        )
        .await;
    let data = answer.data();
    assert_eq!(data["incidents"]["totalCount"], plan.incidents_of(1));
    assert_eq!(data["actions"]["totalCount"], plan.actions_of(1));
    let overdue = data["overdueActions"]["totalCount"].as_u64().unwrap();
    assert!(overdue > 0 && overdue < plan.actions_of(1) / 3, "{overdue} overdue actions");
    for action in nodes(&data["overdueActions"]) {
        assert_eq!(action["isOverdue"], true, "{action}");
        assert!(action["daysOverdue"].as_i64().unwrap() > 0, "{action}");
    }
    let feed = nodes(&data["learningFeed"]);
    assert!(!feed.is_empty() && data["learningFeed"]["totalCount"].as_u64().unwrap() >= feed.len() as u64);
    let first_team = data["teams"]["edges"][0]["node"]["slug"].clone();

    // Each action counts the moves of its due date to a later day, and each review its
    // follow-ups and recurrences, as rescheduling and recording a follow-up do.
    let kept_counts = [
        "SELECT SUM(due_date_slips) AS kept, SUM(CASE WHEN due_date_slips <> (SELECT COUNT(*) FROM due_date_change d \
         WHERE d.action_id = action.id AND d.to_date > d.from_date) THEN 1 ELSE 0 END) AS wrong FROM action",
        "SELECT SUM(follow_ups) AS kept, SUM(CASE WHEN follow_ups <> (SELECT COUNT(*) FROM follow_up f \
         WHERE f.review_id = review.id) THEN 1 ELSE 0 END) AS wrong FROM review",
        "SELECT SUM(recurrences) AS kept, SUM(CASE WHEN recurrences <> (SELECT COUNT(*) FROM follow_up f \
         WHERE f.review_id = review.id AND f.recurred) THEN 1 ELSE 0 END) AS wrong FROM review",
    ];
    for sql in kept_counts {
        let row = one_row(&app, sql).await;
        let (kept, wrong): (i64, i64) = (row.try_get("", "kept").unwrap(), row.try_get("", "wrong").unwrap());
        assert!(kept > 0 && wrong == 0, "{kept} kept, {wrong} rows wrong: {sql}");
    }

    // user1 is a member of the first team, by slug.
    let me = app.exec(Some(&member.token), "{ me { email teams { role team { slug } } } }", json!({})).await;
    let teams = me.data()["me"]["teams"].as_array().unwrap().clone();
    assert!(teams.iter().any(|m| m["team"]["slug"] == first_team && m["role"] == "MEMBER"), "{teams:?}");

    for review in feed.iter().take(5) {
        assert_published_review_is_sound(&app, &admin, review["id"].as_str().unwrap()).await;
    }

    // The feed searches what publishing gathered.
    let title = app
        .exec(Some(&admin.token), "query($id: ID!) { review(id: $id) { title } }", json!({ "id": feed[0]["id"] }))
        .await
        .data()["review"]["title"]
        .as_str()
        .unwrap()
        .to_owned();
    let word = title.split_whitespace().max_by_key(|w| w.len()).unwrap();
    let found = app
        .exec(
            Some(&admin.token),
            "query($q: String!) { learningFeed(search: $q) { totalCount } }",
            json!({ "q": word }),
        )
        .await;
    assert!(found.data()["learningFeed"]["totalCount"].as_u64().unwrap() >= 1, "nothing found for {word:?}");

    let refused = seed::run(&app.state.db, &plan, false).await.expect_err("a second run is refused");
    assert!(matches!(refused.downcast_ref::<SeedError>(), Some(SeedError::AlreadySeeded(_))), "{refused}");
    let answer = app.exec(Some(&admin.token), "{ incidents { totalCount } }", json!({})).await;
    assert_eq!(answer.data()["incidents"]["totalCount"], plan.incidents_of(1), "the refused run wrote nothing");
}

#[tokio::test]
async fn a_seeded_review_tells_the_team_owning_the_service_it_touched() {
    // Ten teams: the last two run services the first two own (the catalog has one of each name).
    let app = TestApp::new().await;
    let plan = Plan { orgs: 1, teams: 10, users: 40, incidents: 600, actions: 400, ..small_plan() };
    let summary = seed::run(&app.state.db, &plan, false).await.expect("the database seeds");
    let told = summary.counts.of("learning_notice");
    assert!(told > 0, "no team was told");

    // Exactly the published, organization-wide reviews whose incident's service another team
    // owns, each told to that team, as publishing does.
    let expected = "SELECT COUNT(*) AS n FROM review r \
        JOIN incident_service s ON s.incident_id = r.incident_id JOIN service v ON v.id = s.service_id \
        JOIN learning_notice n ON n.review_id = r.id AND n.team_id = v.owner_team_id \
        WHERE r.status = 'PUBLISHED' AND r.visibility = 'ORG' AND v.owner_team_id <> r.team_id";
    let owed = "SELECT COUNT(*) AS n FROM review r \
        JOIN incident_service s ON s.incident_id = r.incident_id JOIN service v ON v.id = s.service_id \
        WHERE r.status = 'PUBLISHED' AND r.visibility = 'ORG' AND v.owner_team_id <> r.team_id";
    for sql in [expected, owed] {
        let n: i64 = one_row(&app, sql).await.try_get("", "n").unwrap();
        assert_eq!(u64::try_from(n).unwrap(), told, "{sql}");
    }
}

/// The one row `sql` answers, read straight from the database.
async fn one_row(app: &TestApp, sql: &str) -> QueryResult {
    let statement = Statement::from_string(app.state.db.get_database_backend(), sql);
    app.state.db.query_one_raw(statement).await.unwrap().expect("a row")
}

/// A published review meets the readiness rules: ready, blameless, a facilitator who did not
/// respond, two or three live actions owned by leads or members of their responsible team.
async fn assert_published_review_is_sound(app: &TestApp, admin: &Session, id: &str) {
    let answer = app
        .exec(
            Some(&admin.token),
            "query($id: ID!) { review(id: $id) {
                status readiness { ready unmet } blamelessFindings { text } followUpAt longTermReviewAt
                facilitator { id } participants { role user { id } } incident { status responders { id } }
                whys { position } timeline { occurredAt }
                actions { status priority owner { id } team { members(first: 100) { edges { node { role user { id } } } } } }
            } }",
            json!({ "id": id }),
        )
        .await;
    let review = &answer.data()["review"];
    assert_eq!(review["status"], "PUBLISHED");
    assert_eq!(review["readiness"], json!({ "ready": true, "unmet": [] }), "{review}");
    assert_eq!(review["blamelessFindings"], json!([]), "{review}");
    assert!(review["followUpAt"].is_string() && review["longTermReviewAt"].is_string());
    assert!(["RESOLVED", "CLOSED"].contains(&review["incident"]["status"].as_str().unwrap()));
    let facilitator = &review["facilitator"]["id"];
    assert!(review["incident"]["responders"].as_array().unwrap().iter().all(|r| &r["id"] != facilitator));
    for participant in review["participants"].as_array().unwrap() {
        if matches!(participant["role"].as_str(), Some("RESPONDER" | "CHANGE_AUTHOR")) {
            assert_ne!(&participant["user"]["id"], facilitator);
        }
    }
    assert!(review["whys"].as_array().unwrap().len() >= 3);
    assert!(!review["timeline"].as_array().unwrap().is_empty());
    let actions = review["actions"].as_array().unwrap();
    let live = actions.iter().filter(|a| a["status"] != "WONT_DO").count();
    assert!((2..=3).contains(&live), "{live} live actions");
    for (rank, action) in actions.iter().enumerate() {
        assert_eq!(action["priority"], rank + 1);
        let owner = &action["owner"]["id"];
        let members = nodes(&action["team"]["members"]);
        assert!(
            members.iter().any(|m| &m["user"]["id"] == owner && m["role"] != "VIEWER"),
            "the owner of {action} is not a lead or member of its team"
        );
    }
}
