//! What a query costs the database: nested queries batch their lookups (one statement per
//! level whatever the page size), list queries are served by indexes, and pages are keyset
//! pages, never OFFSET.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::harness::{Session, Socket, Statements, TestApp};

/// The team dashboard: teams → incidents → review → actions → owner (depth 5).
const DASHBOARD: &str = "query($n: Int!) { teams(first: $n) { edges { node { id name incidents(first: $n) { edges { node { id title severity status review { id status actions { id title status dueDate owner { id displayName } } } } } } } } } }";
const DEPTH: usize = 5;

struct Org {
    app: TestApp,
    statements: Statements,
    admin: Session,
    member: Session,
    teams: Vec<String>,
}

async fn org() -> Org {
    // A generous batch window: siblings resolved on a loaded test machine still share a batch.
    // The event hub's own reads are left out of the counts.
    let (app, statements) = TestApp::recording(|c| {
        c.batch_delay = Duration::from_millis(50);
        c.event_poll_interval = Duration::from_secs(3600);
        c.max_complexity = 1_000_000;
    })
    .await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let member = app.invite_and_join(&admin, "member@acme.test", "MEMBER").await;
    let mut teams = Vec::new();
    for name in ["Payments", "Platform", "Search", "Mobile", "Data"] {
        let team = app.team(&admin, name).await;
        app.add_member(&admin, &team, &member.user_id, "MEMBER").await.data();
        teams.push(team);
    }
    Org { app, statements, admin, member, teams }
}

impl Org {
    /// Declares and resolves `count` SEV1 incidents round the teams; each gets its review
    /// (the policy opens one on resolution) and two actions owned by the member.
    async fn incidents(&self, count: usize) {
        let started = (Utc::now() - TimeDelta::hours(6)).to_rfc3339();
        for i in 0..count {
            let team = &self.teams[i % self.teams.len()];
            let declared = self
                .app
                .exec(
                    Some(&self.member.token),
                    "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
                    json!({ "i": { "teamId": team, "title": format!("Outage {i}"), "severity": "SEV1", "startedAt": started } }),
                )
                .await;
            let resolved = self
                .app
                .exec(
                    Some(&self.member.token),
                    "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }",
                    json!({ "i": declared.data()["declareIncident"]["id"] }),
                )
                .await;
            let review = resolved.data()["setIncidentStatus"]["review"]["id"].clone();
            for title in ["Alert on queue age", "Load-test the failover"] {
                let input = json!({ "reviewId": review, "title": title, "ownerId": self.member.user_id,
                    "dueDate": (Utc::now().date_naive() + TimeDelta::days(10)).to_string(),
                    "successMetric": "The queue drains within 5 minutes", "kind": "SYSTEMIC" });
                let created = self
                    .app
                    .exec(
                        Some(&self.member.token),
                        "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }",
                        json!({ "i": input }),
                    )
                    .await;
                created.data();
            }
        }
    }

    /// Runs `query` as `who` and returns its data with the statements it ran (the event
    /// log's readers excluded: they serve subscribers, not this request).
    async fn measure(&self, who: &Session, query: &str, variables: Value) -> (Value, Vec<Statement>) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.statements.take();
        let answer = self.app.exec(Some(&who.token), query, variables).await;
        let data = answer.data().clone();
        let statements = self.statements.take().into_iter().filter(|s| !reads_event_log(s)).collect();
        (data, statements)
    }
}

fn reads_event_log(statement: &Statement) -> bool {
    statement.sql.contains(r#"FROM "event""#)
}

fn dashboard_size(data: &Value) -> (usize, usize, usize) {
    let teams = data["teams"]["edges"].as_array().unwrap();
    let incidents: Vec<&Value> =
        teams.iter().flat_map(|t| t["node"]["incidents"]["edges"].as_array().unwrap().iter()).collect();
    let actions: Vec<&Value> =
        incidents.iter().flat_map(|i| i["node"]["review"]["actions"].as_array().unwrap().iter()).collect();
    assert!(actions.iter().all(|a| a["owner"]["displayName"].is_string()), "every action shows its owner");
    (teams.len(), incidents.len(), actions.len())
}

fn sql_of(statements: &[Statement]) -> String {
    statements.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn a_nested_dashboard_runs_the_same_statements_for_5_and_100_incidents() {
    let org = org().await;
    org.incidents(5).await;
    let mut counts = Vec::new();
    for who in [&org.member, &org.admin] {
        let (data, statements) = org.measure(who, DASHBOARD, json!({ "n": 100 })).await;
        assert_eq!(dashboard_size(&data), (5, 5, 10));
        counts.push(statements.len());
        assert!(
            statements.len() <= 1 + DEPTH,
            "the dashboard ran {} statements, more than 1 + depth:\n{}",
            statements.len(),
            sql_of(&statements)
        );
    }

    org.incidents(95).await;
    for (who, small) in [&org.member, &org.admin].into_iter().zip(counts) {
        let (data, statements) = org.measure(who, DASHBOARD, json!({ "n": 100 })).await;
        assert_eq!(dashboard_size(&data), (5, 100, 200));
        assert_eq!(
            statements.len(),
            small,
            "20 times the items must not mean more statements:\n{}",
            sql_of(&statements)
        );
    }
}

/// Subscribers of `events` who may all read the subject: the subject is looked up once per
/// event, however many they are.
#[tokio::test]
async fn an_event_everyone_may_read_is_looked_up_once_for_all_its_subscribers() {
    let org = org().await;
    let addr = org.app.serve().await;
    let mut subscribers = Vec::new();
    for (round, count) in [2, 10].into_iter().enumerate() {
        while subscribers.len() < count {
            let query = "subscription { events(kinds: [TEAM_CREATED]) { subjectId } }";
            subscribers.push(Socket::subscribed(addr, &org.member.token, "log", query, json!({})).await);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        org.statements.take();
        let created = org.app.team(&org.admin, &format!("Team {round}")).await;
        for subscriber in &mut subscribers {
            let event = subscriber.next("log").await;
            assert_eq!(event["data"]["events"]["subjectId"], created, "{event}");
        }
        let lookups: Vec<_> =
            org.statements.take().into_iter().filter(|s| s.sql.contains(r#""team"."id" = "#)).collect();
        assert_eq!(lookups.len(), 1, "{} subscribers:\n{}", subscribers.len(), sql_of(&lookups));
    }
}

#[tokio::test]
async fn a_teams_incidents_are_those_the_viewer_may_read_paged_newest_first() {
    let org = org().await;
    org.incidents(6).await;
    let outsider = org.app.invite_and_join(&org.admin, "outsider@acme.test", "MEMBER").await;
    let page = "query($n: Int!, $after: String) { teams(first: 10) { edges { node { name incidents(first: $n, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id title } } } } } } }";
    let payments = |data: &Value| {
        let teams = data["teams"]["edges"].as_array().unwrap();
        teams.iter().find(|t| t["node"]["name"] == "Payments").unwrap()["node"]["incidents"].clone()
    };

    // The member reads every team's incidents, newest first, a page at a time.
    let (first, _) = org.measure(&org.member, page, json!({ "n": 1 })).await;
    let (rest, _) =
        org.measure(&org.member, page, json!({ "n": 5, "after": payments(&first)["pageInfo"]["endCursor"] })).await;
    assert_eq!(payments(&first)["totalCount"], 2);
    assert_eq!(payments(&first)["pageInfo"]["hasNextPage"], true);
    assert_eq!(payments(&first)["edges"][0]["node"]["title"], "Outage 5");
    assert_eq!(payments(&rest)["edges"].as_array().unwrap().len(), 1);
    assert_eq!(payments(&rest)["edges"][0]["node"]["title"], "Outage 0");
    assert_eq!(payments(&rest)["pageInfo"]["hasNextPage"], false);

    // Someone outside the teams sees the teams, not their drafts' incidents.
    let (seen, _) = org.measure(&outsider, page, json!({ "n": 10 })).await;
    for edge in seen["teams"]["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["incidents"]["totalCount"], 0);
        assert!(edge["node"]["incidents"]["edges"].as_array().unwrap().is_empty());
    }
}

/// Every list of the contract, with its filters, and the nested lists below it.
fn list_queries(org: &Org) -> Vec<(&'static str, Value)> {
    let team = json!(org.teams[0]);
    let today = Utc::now().date_naive();
    let from = (today - TimeDelta::days(30)).to_string();
    let to = today.to_string();
    let since = (Utc::now() - TimeDelta::days(1)).to_rfc3339();
    vec![
        (
            "{ teams(first: 5) { totalCount edges { node { id viewerRole members(first: 5) { totalCount edges { node { user { id teams { role } } } } } incidents(first: 5) { totalCount edges { node { id } } } } } } }",
            json!({}),
        ),
        ("{ users(first: 5, search: \"mem\") { totalCount edges { node { id } } } }", json!({})),
        (
            "query($t: ID!) { incidents(first: 5, filter: { teamId: $t }) { totalCount edges { node { id team { id } responders { id } affectedTeams { id } tags review { id facilitator { id } participants { user { id } } timeline { id } parkedQuestions { id } whys { position } rootCause contributingFactors { id } links { id } actions { id team { id } dueDateChanges { from changedBy { id } } } followUps { id recordedBy { id } } acknowledgements { user { id } } acknowledgementsByTeam { count } } } } } }",
            json!({ "t": team }),
        ),
        (
            "query($from: DateTime!) { incidents(first: 5, filter: { severity: [SEV1], status: [RESOLVED], nearMiss: false, from: $from }) { totalCount edges { node { id } } } }",
            json!({ "from": since }),
        ),
        ("{ incidents(first: 5, filter: { tag: \"database\" }) { totalCount edges { node { id } } } }", json!({})),
        ("{ incidents(first: 5, filter: { search: \"outage\" }) { totalCount edges { node { id } } } }", json!({})),
        (
            "query($t: ID!, $o: ID!) { actions(first: 5, filter: { teamId: $t, ownerId: $o, status: [OPEN], overdue: false }) { totalCount edges { node { id review { id } } } } }",
            json!({ "t": team, "o": org.member.user_id }),
        ),
        ("{ actions(first: 5) { totalCount edges { node { id } } } }", json!({})),
        ("{ overdueActions(first: 5) { totalCount edges { node { id owner { id } } } } }", json!({})),
        (
            "query($t: ID!, $o: ID!) { overdueActions(teamId: $t, ownerId: $o, first: 5) { totalCount edges { node { id } } } }",
            json!({ "t": team, "o": org.member.user_id }),
        ),
        ("{ dueFollowUps(first: 5) { totalCount edges { node { id } } } }", json!({})),
        (
            "query($t: ID!) { learningFeed(first: 5, teamIds: [$t], tags: [\"database\"], search: \"queue\") { totalCount edges { node { id } } } }",
            json!({ "t": team }),
        ),
        ("{ learningFeed(first: 5) { totalCount edges { node { id } } } }", json!({})),
        (
            "query($s: ID!) { history(subjectId: $s, first: 5) { totalCount edges { node { id actor { id } } } } }",
            json!({ "s": team }),
        ),
        ("{ tags { name incidentCount } }", json!({})),
        (
            "query($from: Date!, $to: Date!) { learningMetrics(from: $from, to: $to) { incidents actions overdueActions } }",
            json!({ "from": from, "to": to }),
        ),
        ("{ apiTokens(first: 5) { totalCount edges { node { id } } } }", json!({})),
    ]
}

#[tokio::test]
async fn list_queries_are_keyset_pages_served_by_indexes() {
    let org = org().await;
    org.incidents(3).await;
    let unindexed = Statement::from_string(
        org.app.state.db.get_database_backend(),
        r#"SELECT "id" FROM "review_link" WHERE "title" = 'x'"#,
    );
    assert_eq!(full_scans(&org.app, &unindexed).await.len(), 1, "a full scan is seen where there is one");

    let (mut checked, mut faults) = (0, Vec::new());
    for who in [&org.member, &org.admin] {
        for (query, variables) in list_queries(&org) {
            let (_, statements) = org.measure(who, query, variables).await;
            for statement in statements.iter().filter(|s| s.sql.trim_start().starts_with("SELECT")) {
                if statement.sql.contains("OFFSET") {
                    faults.push(format!("{query}\npages with OFFSET:\n{}", statement.sql));
                }
                let scans = full_scans(&org.app, statement).await;
                if !scans.is_empty() {
                    faults.push(format!("{query}\nreads every row of {scans:?} in:\n{}", statement.sql));
                }
                checked += 1;
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n\n"));
    assert!(checked > 50, "only {checked} statements were checked");
}

#[tokio::test]
async fn the_largest_pages_are_read_in_order_from_an_index() {
    // The lists an organization holds the most of, in their unfiltered page order: without an
    // index in that order the first page reads and sorts every row of the organization (the
    // organization's 50,000 actions took 64 ms at scale), which no full scan check sees.
    let org = org().await;
    org.incidents(3).await;
    let pages = [
        "{ actions(first: 5) { edges { node { id } } } }",
        "{ actions(first: 5, filter: { linked: false }) { edges { node { id } } } }",
        "{ overdueActions(first: 5) { edges { node { id } } } }",
        "{ incidents(first: 5) { edges { node { id } } } }",
        "{ dueFollowUps(first: 5) { edges { node { id } } } }",
        "{ learningFeed(first: 5) { edges { node { id } } } }",
        // Relevant to a team told of nothing: the reviews it was not told of, read in order (its
        // last page statement).
        "query($t: ID) { learningFeed(first: 5, relevantTo: $t) { edges { node { id } } } }",
    ];
    let mut faults = Vec::new();
    for query in pages {
        let (_, statements) = org.measure(&org.admin, query, json!({ "t": org.teams[0] })).await;
        let page = statements.iter().rfind(|s| s.sql.contains("ORDER BY") && s.sql.contains("LIMIT"));
        let page = page.unwrap_or_else(|| panic!("{query} runs no page statement"));
        if sorts(&org.app, page).await {
            faults.push(format!("{query}\nsorts its rows in:\n{}", page.sql));
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n\n"));
}

/// Whether a statement's plan sorts rows for its ORDER BY. On PostgreSQL sorting is priced out,
/// so a sort is left only where no index gives the order.
async fn sorts(app: &TestApp, statement: &Statement) -> bool {
    match app.state.db.get_database_backend() {
        DbBackend::Postgres => {
            postgres_plan(app, statement, "enable_sort").await.to_string().contains(r#""Node Type":"Sort""#)
        }
        _ => sqlite_plan(app, statement).await.iter().any(|detail| detail.contains("TEMP B-TREE FOR ORDER BY")),
    }
}

/// `statement` after `prefix` (an EXPLAIN), with its values.
fn explain(statement: &Statement, prefix: &str) -> Statement {
    Statement::from_sql_and_values(
        statement.db_backend,
        format!("{prefix} {}", statement.sql),
        statement.values.clone().map(|v| v.0).unwrap_or_default(),
    )
}

/// PostgreSQL's plan of `statement` (JSON) with the planner's `switched_off` method priced out.
async fn postgres_plan(app: &TestApp, statement: &Statement, switched_off: &str) -> Value {
    let tx = app.state.db.begin().await.unwrap();
    tx.execute_unprepared(&format!("SET LOCAL {switched_off} = off")).await.unwrap();
    let plan = tx.query_one_raw(explain(statement, "EXPLAIN (FORMAT JSON)")).await.unwrap().unwrap();
    let plan: Value = plan.try_get("", "QUERY PLAN").unwrap();
    tx.rollback().await.unwrap();
    plan
}

/// SQLite's plan of `statement`: the detail of each step.
async fn sqlite_plan(app: &TestApp, statement: &Statement) -> Vec<String> {
    let rows = app.state.db.query_all_raw(explain(statement, "EXPLAIN QUERY PLAN")).await.unwrap();
    rows.iter().map(|row| row.try_get::<String>("", "detail").unwrap()).collect()
}

/// The tables a statement would read in full, by the database's own plan. On PostgreSQL
/// sequential scans are priced out, so one is left only where no index can serve.
async fn full_scans(app: &TestApp, statement: &Statement) -> Vec<String> {
    match app.state.db.get_database_backend() {
        DbBackend::Postgres => {
            let mut scans = Vec::new();
            seq_scans(&postgres_plan(app, statement, "enable_seqscan").await, &mut scans);
            scans
        }
        _ => {
            sqlite_plan(app, statement)
                .await
                .into_iter()
                .filter(|detail| detail.starts_with("SCAN ") && !detail.contains("USING"))
                // A page of a parent's children is read from an index into a derived table
                // that the statement then reads in full: that scan is of rows, not of a table.
                .filter(|detail| !detail.starts_with("SCAN (subquery-") && !detail.starts_with("SCAN page_"))
                // Learning metrics number a window's overdue actions, read by index, in a derived
                // table: its scan is of those rows.
                .filter(|detail| detail != "SCAN numbered" && detail != "SCAN overdue_actions")
                // A full-text MATCH reads the FTS5 index (plan `INDEX 0:M…`), not every row.
                .filter(|detail| !(detail.contains("VIRTUAL TABLE INDEX") && detail.contains(":M")))
                .collect()
        }
    }
}

fn seq_scans(plan: &Value, scans: &mut Vec<String>) {
    match plan {
        Value::Object(node) => {
            if node.get("Node Type").and_then(Value::as_str) == Some("Seq Scan") {
                scans.push(node.get("Relation Name").and_then(Value::as_str).unwrap_or("?").to_owned());
            }
            node.values().for_each(|v| seq_scans(v, scans));
        }
        Value::Array(items) => items.iter().for_each(|v| seq_scans(v, scans)),
        _ => {}
    }
}
