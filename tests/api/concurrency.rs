//! Concurrent writers: optimistic versions let exactly one stale writer win, and concurrent
//! creates each get their row and their event.

use chrono::{TimeDelta, Utc};
use entity::{event, incident, organization};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::harness::{Answer, Session, TestApp};

const DECLARE: &str = "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id version } }";

#[tokio::test]
async fn of_concurrent_updates_with_the_same_version_exactly_one_wins() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let team = app.team(&admin, "Payments").await;
    let started = (Utc::now() - TimeDelta::hours(1)).to_rfc3339();
    let declared = app
        .exec(
            Some(&admin.token),
            DECLARE,
            json!({ "i": { "teamId": team, "title": "Refunds stuck", "severity": "SEV2", "startedAt": started } }),
        )
        .await;
    let id = declared.data()["declareIncident"]["id"].as_str().unwrap().to_owned();

    let update = "mutation($id: ID!, $t: String!) { updateIncident(id: $id, input: { title: $t }, expectedVersion: 1) { version } }";
    let answers = join_all((0..8).map(|n| {
        let (app, token, id) = (&app, admin.token.clone(), id.clone());
        async move { app.exec(Some(&token), update, json!({ "id": id, "t": format!("Title {n}") })).await }
    }))
    .await;
    let won = answers.iter().filter(|a| a.errors().is_empty()).count();
    let conflicts = answers.iter().filter(|a| !a.errors().is_empty() && a.code() == "CONFLICT").count();
    assert_eq!((won, conflicts), (1, 7), "{answers:?}");
    let (_, uuid) = hindsight_api::ids::parse(&id).unwrap();
    let stored = incident::Entity::find_by_id(uuid).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    let updates =
        event::Entity::find().filter(event::Column::Kind.eq("INCIDENT_UPDATED")).count(&app.state.db).await.unwrap();
    assert_eq!(updates, 1, "only the winner's change is logged");
}

/// `who` declares the `n`th SEV3 incident of `team`, started an hour ago.
async fn declare(app: &TestApp, who: &Session, team: &str, n: usize) -> Answer {
    let started = (Utc::now() - TimeDelta::hours(1)).to_rfc3339();
    let input = json!({ "teamId": team, "title": format!("Incident {n}"), "severity": "SEV3", "startedAt": started });
    app.exec(Some(&who.token), DECLARE, json!({ "i": input })).await
}

#[tokio::test]
async fn concurrent_creates_each_get_their_row_and_their_event() {
    const N: usize = 12;
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let team = app.team(&admin, "Payments").await;
    let answers = join_all((0..N).map(|n| declare(&app, &admin, &team, n))).await;
    for answer in &answers {
        answer.data();
    }
    let rows = incident::Entity::find().count(&app.state.db).await.unwrap();
    let events =
        event::Entity::find().filter(event::Column::Kind.eq("INCIDENT_DECLARED")).count(&app.state.db).await.unwrap();
    assert_eq!((rows, events), (N as u64, N as u64));
}

#[tokio::test]
async fn writers_of_several_organizations_at_once_each_number_their_events_without_a_gap() {
    const N: usize = 8;
    let app = TestApp::new().await;
    let mut orgs = Vec::new();
    for name in ["Acme", "Globex", "Initech"] {
        let admin = app.sign_up(name, &format!("admin@{}.test", name.to_lowercase())).await;
        let team = app.team(&admin, "Payments").await;
        orgs.push((admin, team));
    }
    let app = &app;
    let answers =
        join_all(orgs.iter().flat_map(|(admin, team)| (0..N).map(move |n| declare(app, admin, team, n)))).await;
    for answer in &answers {
        answer.data();
    }
    for org in organization::Entity::find().all(&app.state.db).await.unwrap() {
        let numbers: Vec<i64> = event::Entity::find()
            .filter(event::Column::OrganizationId.eq(org.id))
            .order_by_asc(event::Column::Id)
            .all(&app.state.db)
            .await
            .unwrap()
            .iter()
            .map(|row| row.sequence)
            .collect();
        assert!(numbers.len() > N, "{}: {numbers:?}", org.name);
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>(), "{}: in the order written", org.name);
        assert_eq!(org.event_sequence, numbers.len() as i64, "{}", org.name);
    }
}

#[tokio::test]
async fn concurrent_different_changes_to_one_review_all_succeed() {
    let c = crate::actions::crew().await;
    let at = (Utc::now() - TimeDelta::hours(2)).to_rfc3339();
    let answers = join_all((0..8).map(|n| {
        let (c, at) = (&c, at.clone());
        async move {
            if n % 2 == 0 {
                let query = "mutation($r: ID!, $t: String!) { updateReview(id: $r, input: { title: $t }) { id } }";
                c.run(&c.member, query, json!({ "r": c.review, "t": format!("Title {n}") })).await
            } else {
                let query = "mutation($r: ID!, $at: DateTime!, $e: String!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: $e }) { id } }";
                c.run(&c.member, query, json!({ "r": c.review, "at": at, "e": format!("Entry {n}") })).await
            }
        }
    }))
    .await;
    for answer in &answers {
        answer.data();
    }
}
