//! Learning metrics against a hand-built organization with known answers.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{Session, TestApp};

const METRICS: &str = "query($t: ID, $from: Date!, $to: Date!) { learningMetrics(teamId: $t, from: $from, to: $to) {
    incidents incidentsRequiringReview reviewsPublished reviewCompletionRate avgHoursToPublish lateReviews
    actions actionsClosedWithin30DaysRate actionClosureRate overdueActions medianDaysOverdue dueDateSlips
    repeatThemes { tag incidents } } }";

struct World {
    app: TestApp,
    admin: Session,
    platform_member: Session,
    payments: String,
    platform: String,
    /// The window's incidents: Payments' SEV1, SEV2, SEV3, SEV2 near miss, then Platform's SEV3.
    incidents: [String; 5],
    /// The first incident's review, published.
    r1: String,
    /// Hours from the first incident's resolution to its review's publication.
    hours_to_publish: f64,
}

async fn run(app: &TestApp, who: &Session, query: &str, variables: Value) -> Value {
    app.exec(Some(&who.token), query, variables).await.data().clone()
}

async fn incident(
    app: &TestApp,
    admin: &Session,
    team: &str,
    severity: &str,
    started: DateTime<Utc>,
    near_miss: bool,
    tags: &[&str],
) -> String {
    let declared = run(
        app,
        admin,
        "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
        json!({ "i": { "teamId": team, "title": format!("{severity} at {started}"), "severity": severity, "nearMiss": near_miss,
                       "startedAt": started.to_rfc3339(), "detectedAt": (started + TimeDelta::minutes(5)).to_rfc3339() } }),
    )
    .await;
    let id = declared["declareIncident"]["id"].as_str().unwrap().to_owned();
    run(
        app,
        admin,
        "mutation($i: ID!, $t: [String!]!) { tagIncident(incidentId: $i, tags: $t) { id } }",
        json!({ "i": id, "t": tags }),
    )
    .await;
    id
}

async fn resolve(app: &TestApp, admin: &Session, incident: &str, at: DateTime<Utc>) -> String {
    let answer = run(
        app,
        admin,
        "mutation($i: ID!, $at: DateTime!) { setIncidentStatus(id: $i, status: RESOLVED, at: $at) { review { id } } }",
        json!({ "i": incident, "at": at.to_rfc3339() }),
    )
    .await;
    answer["setIncidentStatus"]["review"]["id"].as_str().unwrap().to_owned()
}

async fn action(app: &TestApp, admin: &Session, review: &str, owner: &Session, due: NaiveDate) -> String {
    let answer = run(
        app,
        admin,
        "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }",
        json!({ "i": { "reviewId": review, "title": "Do the thing", "ownerId": owner.user_id, "dueDate": due.to_string(), "successMetric": "It is done", "kind": "SYSTEMIC" } }),
    )
    .await;
    let id = answer["createAction"]["id"].as_str().unwrap().to_owned();
    run(app, owner, "mutation($a: ID!) { acceptAction(id: $a) { id } }", json!({ "a": id })).await;
    id
}

async fn world() -> World {
    let app = TestApp::new().await;
    let now = Utc::now();
    let today = now.date_naive();
    // The story starts six days ago: actions created then are overdue today.
    app.state.clock.set(now - TimeDelta::days(6));
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let payments = app.team(&admin, "Payments").await;
    let platform = app.team(&admin, "Platform").await;
    let member = app.invite_and_join(&admin, "pm@acme.test", "MEMBER").await;
    let lead = app.invite_and_join(&admin, "pl@acme.test", "MEMBER").await;
    let platform_member = app.invite_and_join(&admin, "bm@acme.test", "MEMBER").await;
    app.add_member(&admin, &payments, &member.user_id, "MEMBER").await.data();
    app.add_member(&admin, &payments, &lead.user_id, "LEAD").await.data();
    app.add_member(&admin, &platform, &platform_member.user_id, "MEMBER").await.data();

    // In the window: four incidents of Payments, one of Platform. Before it: one more.
    let i1_start = now - TimeDelta::days(20);
    let i1 = incident(&app, &admin, &payments, "SEV1", i1_start, false, &["Database", "checkout"]).await;
    let i2_start = now - TimeDelta::days(10);
    let i2 = incident(&app, &admin, &payments, "SEV2", i2_start, false, &["database"]).await;
    let i5 = incident(&app, &admin, &payments, "SEV1", now - TimeDelta::days(60), false, &["database"]).await;

    let i1_resolved = i1_start + TimeDelta::hours(2);
    let r1 = resolve(&app, &admin, &i1, i1_resolved).await;
    let r2 = resolve(&app, &admin, &i2, i2_start + TimeDelta::hours(1)).await;
    resolve(&app, &admin, &i5, now - TimeDelta::days(59)).await;

    // Actions: done, overdue by 5 days today, dropped (first review); overdue by 2 days today,
    // in progress and slipped once (second review).
    let a1 = action(&app, &admin, &r1, &member, today + TimeDelta::days(5)).await;
    run(&app, &member, "mutation($a: ID!) { completeAction(id: $a, evidence: \"Merged\") { id } }", json!({ "a": a1 }))
        .await;
    action(&app, &admin, &r1, &lead, today - TimeDelta::days(5)).await;
    let a3 = action(&app, &admin, &r1, &member, today + TimeDelta::days(5)).await;
    run(&app, &member, "mutation($a: ID!) { dropAction(id: $a, reason: \"Duplicate\") { id } }", json!({ "a": a3 }))
        .await;
    action(&app, &admin, &r2, &member, today - TimeDelta::days(2)).await;
    let a5 = action(&app, &admin, &r2, &lead, today + TimeDelta::days(5)).await;
    run(&app, &lead, "mutation($a: ID!) { startAction(id: $a) { id } }", json!({ "a": a5 })).await;
    let reschedule =
        "mutation($a: ID!, $d: Date!) { rescheduleAction(id: $a, dueDate: $d, reason: \"Vendor delay\") { id } }";
    run(&app, &lead, reschedule, json!({ "a": a5, "d": (today + TimeDelta::days(20)).to_string() })).await;
    run(&app, &lead, reschedule, json!({ "a": a5, "d": (today + TimeDelta::days(15)).to_string() })).await;

    // Today: three more incidents, one resolved an hour ago.
    app.state.clock.reset();
    let i3 = incident(&app, &admin, &payments, "SEV3", now - TimeDelta::days(5), false, &["network"]).await;
    let i4 = incident(&app, &admin, &payments, "SEV2", now - TimeDelta::days(3), true, &["database", "network"]).await;
    let i6 = incident(&app, &admin, &platform, "SEV3", now - TimeDelta::days(2), false, &["database"]).await;
    resolve(&app, &admin, &i4, now - TimeDelta::hours(1)).await;

    // The first review is published, facilitated by someone of the other team.
    for (query, variables) in [
        (
            "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }",
            json!({ "r": r1, "u": platform_member.user_id }),
        ),
        ("mutation($r: ID!) { updateReview(id: $r, input: { summary: \"Slow queries\" }) { id } }", json!({ "r": r1 })),
        (
            "mutation($r: ID!, $at: DateTime!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: \"Alert\" }) { id } }",
            json!({ "r": r1, "at": i1_start.to_rfc3339() }),
        ),
        (
            "mutation($r: ID!) { setWhys(reviewId: $r, whys: [{ question: \"1\", answer: \"a\" }, { question: \"2\", answer: \"b\" }, { question: \"3\", answer: \"No plan check\" }]) { id } }",
            json!({ "r": r1 }),
        ),
        (
            "mutation($r: ID!) { addContributingFactor(reviewId: $r, input: { category: TECHNICAL, description: \"No plan check\" }) { id } }",
            json!({ "r": r1 }),
        ),
        ("mutation($r: ID!) { submitReview(id: $r) { id } }", json!({ "r": r1 })),
    ] {
        run(&app, &admin, query, variables).await;
    }
    run(&app, &platform_member, "mutation($r: ID!) { agreeTimeline(reviewId: $r) { id } }", json!({ "r": r1 })).await;
    let published =
        run(&app, &admin, "mutation($r: ID!) { publishReview(id: $r) { publishedAt } }", json!({ "r": r1 })).await;
    let published_at: DateTime<Utc> = published["publishReview"]["publishedAt"].as_str().unwrap().parse().unwrap();
    let hours_to_publish = (published_at - i1_resolved).num_microseconds().unwrap() as f64 / 3_600_000_000.0;
    let incidents = [i1, i2, i3, i4, i6];
    World { app, admin, platform_member, payments, platform, incidents, r1, hours_to_publish }
}

fn window() -> (String, String) {
    let today = Utc::now().date_naive();
    ((today - TimeDelta::days(30)).to_string(), today.to_string())
}

fn assert_close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!((actual - expected).abs() < 0.01, "{actual} != {expected}");
}

#[tokio::test]
async fn metrics_of_the_whole_organization() {
    let w = world().await;
    let (from, to) = window();
    let answer = run(&w.app, &w.admin, METRICS, json!({ "from": from, "to": to })).await;
    let m = &answer["learningMetrics"];
    assert_eq!(m["incidents"], 5);
    assert_eq!(m["incidentsRequiringReview"], 3);
    assert_eq!(m["reviewsPublished"], 1);
    assert_close(&m["reviewCompletionRate"], 1.0 / 3.0);
    assert_close(&m["avgHoursToPublish"], w.hours_to_publish);
    assert_eq!(m["lateReviews"], 2);
    assert_eq!(m["actions"], 5);
    assert_close(&m["actionsClosedWithin30DaysRate"], 0.2);
    assert_close(&m["actionClosureRate"], 0.25);
    assert_eq!(m["overdueActions"], 2);
    assert_close(&m["medianDaysOverdue"], 3.5);
    assert_eq!(m["dueDateSlips"], 1);
    assert_eq!(m["repeatThemes"], json!([{ "tag": "database", "incidents": 4 }, { "tag": "network", "incidents": 2 }]));
}

#[tokio::test]
async fn metrics_of_one_team() {
    let w = world().await;
    let (from, to) = window();
    let answer = run(&w.app, &w.admin, METRICS, json!({ "t": w.payments, "from": from, "to": to })).await;
    let m = &answer["learningMetrics"];
    assert_eq!(m["incidents"], 4);
    assert_eq!(m["incidentsRequiringReview"], 3);
    assert_eq!(m["lateReviews"], 2);
    assert_eq!(m["actions"], 5);
    assert_eq!(m["repeatThemes"], json!([{ "tag": "database", "incidents": 3 }, { "tag": "network", "incidents": 2 }]));
}

#[tokio::test]
async fn metrics_count_only_what_the_viewer_may_read() {
    let w = world().await;
    let (from, to) = window();
    // A member of the other team reads its own incident and the published review they facilitated.
    let answer = run(&w.app, &w.platform_member, METRICS, json!({ "from": from, "to": to })).await;
    let m = &answer["learningMetrics"];
    assert_eq!(m["incidents"], 2);
    assert_eq!(m["incidentsRequiringReview"], 1);
    assert_eq!(m["reviewsPublished"], 1);
    assert_close(&m["reviewCompletionRate"], 1.0);
    assert_eq!(m["lateReviews"], 1);
    assert_eq!(m["actions"], 3);
    assert_close(&m["actionsClosedWithin30DaysRate"], 1.0 / 3.0);
    assert_close(&m["actionClosureRate"], 0.5);
    assert_eq!(m["overdueActions"], 1);
    assert_close(&m["medianDaysOverdue"], 5.0);
    assert_eq!(m["dueDateSlips"], 0);
    assert_eq!(m["repeatThemes"], json!([{ "tag": "database", "incidents": 2 }]));
}

const GROUPED: &str =
    "query($from: Date!, $to: Date!, $by: MetricsGroupBy) { learningMetrics(from: $from, to: $to, groupBy: $by) {
    changeTriggeredRate detectedByAlertRate recurrenceRate
    groups { key label metrics { incidents incidentsRequiringReview reviewsPublished reviewCompletionRate actions
      overdueActions medianDaysOverdue dueDateSlips changeTriggeredRate detectedByAlertRate recurrenceRate
      repeatThemes { tag incidents } groups { key } } } } }";

/// Adds services, detection sources, changes and a follow-up to the world: Checkout API
/// (Payments') touched by the SEV1 and the near miss, Postgres (Platform's) by the SEV1 and
/// the SEV2; alerts found the SEV1 and the near miss, a customer the SEV2; a change set off the
/// SEV1 and the SEV3; the published review's follow-up found the problem back.
async fn with_causes(w: &World) -> (String, String) {
    let create = "mutation($i: CreateServiceInput!) { createService(input: $i) { id } }";
    let service = |name: &'static str, team: &str| json!({ "i": { "name": name, "ownerTeamId": team, "tier": 1 } });
    let checkout =
        run(&w.app, &w.admin, create, service("Checkout API", &w.payments)).await["createService"]["id"].clone();
    let postgres = run(&w.app, &w.admin, create, service("Postgres", &w.platform)).await["createService"]["id"].clone();
    let set = "mutation($i: ID!, $s: [ID!]!) { setIncidentServices(incidentId: $i, serviceIds: $s) { id } }";
    let [i1, i2, i3, i4, _] = &w.incidents;
    run(&w.app, &w.admin, set, json!({ "i": i1, "s": [checkout, postgres] })).await;
    run(&w.app, &w.admin, set, json!({ "i": i2, "s": [postgres] })).await;
    run(&w.app, &w.admin, set, json!({ "i": i4, "s": [checkout] })).await;
    let update = "mutation($i: ID!, $u: UpdateIncidentInput!) { updateIncident(id: $i, input: $u) { id } }";
    for (incident, input) in [
        (i1, json!({ "detectionSource": "ALERT", "changeRef": "https://git.example/acme/pull/1" })),
        (i2, json!({ "detectionSource": "CUSTOMER_REPORT" })),
        (i3, json!({ "triggeredByChange": true })),
        (i4, json!({ "detectionSource": "ALERT" })),
    ] {
        run(&w.app, &w.admin, update, json!({ "i": incident, "u": input })).await;
    }
    run(
        &w.app,
        &w.admin,
        "mutation($r: ID!) { recordFollowUp(reviewId: $r, input: { kind: SHORT_TERM, notes: \"Back again\", actionsEffective: PARTLY, recurred: true }) { id } }",
        json!({ "r": w.r1 }),
    )
    .await;
    (checkout.as_str().unwrap().to_owned(), postgres.as_str().unwrap().to_owned())
}

/// The published review's long-term follow-up: the problem did not come back.
async fn quiet_long_term_follow_up(w: &World) {
    run(
        &w.app,
        &w.admin,
        "mutation($r: ID!) { recordFollowUp(reviewId: $r, input: { kind: LONG_TERM, notes: \"Quiet since\", actionsEffective: YES, recurred: false }) { id } }",
        json!({ "r": w.r1 }),
    )
    .await;
}

async fn grouped(w: &World, who: &Session, by: &str) -> Value {
    let (from, to) = window();
    run(&w.app, who, GROUPED, json!({ "from": from, "to": to, "by": by })).await["learningMetrics"].clone()
}

/// `(key, label, incidents, actions)` of each group, in order.
fn outline(metrics: &Value) -> Vec<(String, String, u64, u64)> {
    metrics["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let m = &g["metrics"];
            (
                g["key"].as_str().unwrap().to_owned(),
                g["label"].as_str().unwrap().to_owned(),
                m["incidents"].as_u64().unwrap(),
                m["actions"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[tokio::test]
async fn metrics_per_group_against_hand_counted_figures() {
    let w = world().await;
    let (checkout, postgres) = with_causes(&w).await;

    // The whole window: 2 of 5 incidents set off by a change, 2 of the 3 with a source found by
    // an alert, the one follow-up found a recurrence. Without `groupBy`, no groups.
    let m = grouped(&w, &w.admin, "SERVICE").await;
    assert_close(&m["changeTriggeredRate"], 0.4);
    assert_close(&m["detectedByAlertRate"], 2.0 / 3.0);
    assert_close(&m["recurrenceRate"], 1.0);
    let (from, to) = window();
    let plain = run(&w.app, &w.admin, GROUPED, json!({ "from": from, "to": to })).await;
    assert_eq!(plain["learningMetrics"]["groups"], json!([]));

    // Per service. Postgres: the SEV1 (3 actions: done, overdue 5 days, dropped) and the SEV2
    // (overdue 2 days; in progress, slipped once). Checkout API: the SEV1 and the near miss.
    // Both have two incidents: the one with more actions first.
    assert_eq!(outline(&m), [(postgres.clone(), s("Postgres"), 2, 5), (checkout.clone(), s("Checkout API"), 2, 3)]);
    let pg = &m["groups"][0]["metrics"];
    assert_eq!(pg["incidentsRequiringReview"], 2);
    assert_eq!(pg["reviewsPublished"], 1);
    assert_close(&pg["reviewCompletionRate"], 0.5);
    assert_eq!(pg["overdueActions"], 2);
    assert_close(&pg["medianDaysOverdue"], 3.5);
    assert_eq!(pg["dueDateSlips"], 1);
    assert_close(&pg["changeTriggeredRate"], 0.5);
    assert_close(&pg["detectedByAlertRate"], 0.5);
    assert_close(&pg["recurrenceRate"], 1.0);
    assert_eq!(pg["repeatThemes"], json!([{ "tag": "database", "incidents": 2 }]));
    assert_eq!(pg["groups"], json!([]));
    let co = &m["groups"][1]["metrics"];
    assert_eq!(co["incidentsRequiringReview"], 2);
    assert_eq!(co["overdueActions"], 1);
    assert_close(&co["medianDaysOverdue"], 5.0);
    assert_eq!(co["dueDateSlips"], 0);
    assert_close(&co["changeTriggeredRate"], 0.5);
    assert_close(&co["detectedByAlertRate"], 1.0);
    assert_eq!(co["repeatThemes"], json!([{ "tag": "database", "incidents": 2 }]));

    // Per severity: SEV2 (2 incidents, the SEV2's 2 actions), SEV3 (2, none), SEV1 (1, 3).
    let m = grouped(&w, &w.admin, "SEVERITY").await;
    assert_eq!(outline(&m), [(s("SEV2"), s("SEV2"), 2, 2), (s("SEV3"), s("SEV3"), 2, 0), (s("SEV1"), s("SEV1"), 1, 3)]);
    // Per team: incidents by owning team, actions by responsible team.
    let m = grouped(&w, &w.admin, "TEAM").await;
    assert_eq!(outline(&m), [(w.payments.clone(), s("Payments"), 4, 5), (w.platform.clone(), s("Platform"), 1, 0)]);
    // Per tag: an incident with two tags counts in both.
    let m = grouped(&w, &w.admin, "TAG").await;
    assert_eq!(
        outline(&m),
        [
            (s("database"), s("database"), 4, 5),
            (s("network"), s("network"), 2, 0),
            (s("checkout"), s("checkout"), 1, 3)
        ]
    );
    // Per detection source: incidents without one are in no group.
    let m = grouped(&w, &w.admin, "DETECTION_SOURCE").await;
    assert_eq!(outline(&m), [(s("ALERT"), s("Alert"), 2, 3), (s("CUSTOMER_REPORT"), s("Customer report"), 1, 2)]);
    assert_close(&m["groups"][0]["metrics"]["detectedByAlertRate"], 1.0);
    assert_close(&m["groups"][1]["metrics"]["detectedByAlertRate"], 0.0);
    // Per factor category: the published review's one TECHNICAL factor.
    let m = grouped(&w, &w.admin, "FACTOR_CATEGORY").await;
    assert_eq!(outline(&m), [(s("TECHNICAL"), s("Technical"), 1, 3)]);
    assert_eq!(m["groups"][0]["metrics"]["reviewsPublished"], 1);

    // What the viewer may not read counts in no group: the other team's member reads the SEV1
    // (they facilitated its review), not the SEV2. Ties are in the order of their labels.
    let m = grouped(&w, &w.platform_member, "SERVICE").await;
    assert_eq!(outline(&m), [(checkout.clone(), s("Checkout API"), 1, 3), (postgres.clone(), s("Postgres"), 1, 3)]);
    // Another organization has no groups at all.
    let other = w.app.sign_up("Globex", "hank@globex.test").await;
    for by in ["SERVICE", "TEAM", "SEVERITY", "DETECTION_SOURCE", "FACTOR_CATEGORY", "TAG"] {
        assert_eq!(grouped(&w, &other, by).await["groups"], json!([]), "{by}");
    }

    // The long-term follow-up finds the problem gone: one of two came back.
    quiet_long_term_follow_up(&w).await;
    let m = grouped(&w, &w.admin, "SERVICE").await;
    assert_close(&m["recurrenceRate"], 0.5);
    assert_close(&m["groups"][0]["metrics"]["recurrenceRate"], 0.5);

    // Rows written before actions kept their slips and reviews their follow-ups get them from
    // the due-date changes and follow-ups they have: the migration undone and applied again.
    w.app.migrate_again_from("m20261207_000022_metric_counts").await;
    let m = grouped(&w, &w.admin, "SERVICE").await;
    assert_close(&m["recurrenceRate"], 0.5);
    assert_eq!(outline(&m), [(postgres, s("Postgres"), 2, 5), (checkout, s("Checkout API"), 2, 3)]);
    assert_eq!(m["groups"][0]["metrics"]["dueDateSlips"], 1, "one move later, one earlier");
    assert_close(&m["groups"][0]["metrics"]["recurrenceRate"], 0.5);
}

/// Every figure of the whole window.
const WHOLE: &str = "query($t: ID, $from: Date!, $to: Date!, $by: MetricsGroupBy) {
  learningMetrics(teamId: $t, from: $from, to: $to, groupBy: $by) {
    incidents incidentsRequiringReview reviewsPublished reviewCompletionRate avgHoursToPublish lateReviews
    latePublications actions actionsClosedWithin30DaysRate actionClosureRate overdueActions medianDaysOverdue
    dueDateSlips repeatThemes { tag incidents } factorEffects { effect factors } changeTriggeredRate
    detectedByAlertRate recurrenceRate } }";

/// `actual` is `expected`, numbers within rounding.
fn assert_same_figures(actual: &Value, expected: &Value, context: &str) {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() < 1e-9, "{context}: {a} != {b}");
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.len(), b.len(), "{context}");
            for (key, value) in b {
                assert_same_figures(&a[key], value, &format!("{context}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{context}: {actual} != {expected}");
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert_same_figures(a, b, &format!("{context}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "{context}"),
    }
}

#[tokio::test]
async fn the_whole_window_is_the_same_whatever_the_grouping() {
    // Grouped by team the whole window's figures are the groups' sums (each incident and each
    // action is in one team's group); by any other grouping they are counted on their own.
    let w = world().await;
    with_causes(&w).await;
    quiet_long_term_follow_up(&w).await;
    let (from, to) = window();
    for (who, name) in [(&w.admin, "admin"), (&w.platform_member, "member")] {
        for team in [Value::Null, json!(w.payments)] {
            let vars = |by: Value| json!({ "t": team, "from": from, "to": to, "by": by });
            let alone = run(&w.app, who, WHOLE, vars(Value::Null)).await["learningMetrics"].clone();
            for by in ["TEAM", "SEVERITY", "SERVICE", "TAG", "DETECTION_SOURCE", "FACTOR_CATEGORY"] {
                let grouped = run(&w.app, who, WHOLE, vars(json!(by))).await["learningMetrics"].clone();
                assert_same_figures(&grouped, &alone, &format!("{name}, team {team}, by {by}"));
            }
        }
    }
}

#[tokio::test]
async fn groups_of_actions_name_nothing_of_an_incident_the_viewer_may_not_read() {
    let app = TestApp::new().await;
    let now = Utc::now();
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let payments = app.team(&admin, "Payments").await;
    let platform = app.team(&admin, "Platform").await;
    let platform_member = app.invite_and_join(&admin, "bm@acme.test", "MEMBER").await;
    let colleague = app.invite_and_join(&admin, "bc@acme.test", "MEMBER").await;
    for person in [&platform_member, &colleague] {
        app.add_member(&admin, &platform, &person.user_id, "MEMBER").await.data();
    }
    // Payments' incident, tagged and resolved; one of its actions is Platform's to do (its owner
    // may read the review; their colleague reads the action only, as their team's).
    let incident =
        incident(&app, &admin, &payments, "SEV1", now - TimeDelta::hours(5), false, &["ledger-rewrite"]).await;
    let review = resolve(&app, &admin, &incident, now - TimeDelta::hours(1)).await;
    let input = json!({ "reviewId": review, "title": "Throttle the ledger sync", "ownerId": platform_member.user_id,
                        "teamId": platform, "dueDate": (now.date_naive() + TimeDelta::days(5)).to_string(),
                        "successMetric": "No sync storms", "kind": "SYSTEMIC" });
    run(&app, &admin, "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }", json!({ "i": input }))
        .await;

    // The colleague reads the action, not the incident: the action counts, but no group of the
    // incident's tag, severity or service names it.
    let (from, to) = window();
    let actions = "query($from: Date!, $to: Date!) { learningMetrics(from: $from, to: $to) { incidents actions } }";
    let m = run(&app, &colleague, actions, json!({ "from": from, "to": to })).await;
    assert_eq!(m["learningMetrics"], json!({ "incidents": 0, "actions": 1 }));
    for by in ["TAG", "SEVERITY", "SERVICE", "DETECTION_SOURCE", "FACTOR_CATEGORY"] {
        let m = run(&app, &colleague, GROUPED, json!({ "from": from, "to": to, "by": by })).await;
        assert_eq!(m["learningMetrics"]["groups"], json!([]), "{by}: {m}");
    }
    let m = run(&app, &colleague, GROUPED, json!({ "from": from, "to": to, "by": "TEAM" })).await;
    assert_eq!(outline(&m["learningMetrics"]), [(platform.clone(), s("Platform"), 0, 1)]);
    // The admin, who reads everything, sees the tag's group with its action.
    let m = run(&app, &admin, GROUPED, json!({ "from": from, "to": to, "by": "TAG" })).await;
    assert_eq!(outline(&m["learningMetrics"]), [(s("ledger-rewrite"), s("ledger-rewrite"), 1, 1)]);
}

#[tokio::test]
async fn an_empty_window_has_no_rates() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = run(&app, &admin, METRICS, json!({ "from": "2020-01-01", "to": "2020-01-31" })).await;
    let m = &answer["learningMetrics"];
    assert_eq!(m["incidents"], 0);
    assert_eq!(m["reviewCompletionRate"], Value::Null);
    assert_eq!(m["medianDaysOverdue"], Value::Null);
    assert_eq!(m["repeatThemes"], json!([]));
}

#[tokio::test]
async fn a_backwards_window_or_a_foreign_team_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.exec(Some(&admin.token), METRICS, json!({ "from": "2026-02-01", "to": "2026-01-01" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("to"));
    let other = app.sign_up("Globex", "hank@globex.test").await;
    let team = app.team(&other, "Secret").await;
    app.exec(Some(&admin.token), METRICS, json!({ "t": team, "from": "2026-01-01", "to": "2026-02-01" }))
        .await
        .assert_error("NOT_FOUND", None);
}
