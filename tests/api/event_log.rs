//! The event log is typed: each kind records IDs, states and dates, never text a person wrote,
//! and rows written before the types still read.

use chrono::Utc;
use entity::{EventKind, event};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::actions::{crew, in_days};

const HISTORY: &str = "query($id: ID!) { history(subjectId: $id, first: 100) { edges { node { kind payload } } } }";

#[tokio::test]
async fn the_log_keeps_no_reason_evidence_or_name_written_by_a_person() {
    let c = crew().await;
    let action = c.action("Add a dead-letter queue", &c.member).await;
    let reschedule = "mutation($a: ID!, $d: Date!) { rescheduleAction(id: $a, dueDate: $d, reason: \"Waiting on the vendor's fix\") { id } }";
    c.run(&c.member, reschedule, json!({ "a": action, "d": in_days(20) })).await.data();
    let complete = "mutation($a: ID!) { completeAction(id: $a, evidence: \"Merged in the payments repo\") { id } }";
    c.run(&c.member, complete, json!({ "a": action })).await.data();
    let stored = event::Entity::find().order_by_asc(event::Column::Id).all(&c.app.state.db).await.unwrap();
    for row in &stored {
        let text = row.payload.to_string();
        for written in ["vendor", "payments repo", "Refunds stuck", "Payments", "Add a dead-letter"] {
            assert!(!text.contains(written), "{:?} keeps {written:?}: {text}", row.kind);
        }
    }
    let history = c.run(&c.member, HISTORY, json!({ "id": action })).await;
    let kinds: Vec<&str> = history.data()["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ACTION_CREATED", "ACTION_RESCHEDULED", "ACTION_COMPLETED"]);
    let completed = &history.data()["history"]["edges"][2]["node"]["payload"];
    assert_eq!(completed["from"], "OPEN");
    assert_eq!(completed["to"], "DONE");
    assert_eq!(completed["ownerId"], json!(c.member.user_id));
}

#[tokio::test]
async fn each_organization_numbers_its_events_on_its_own() {
    let c = crew().await;
    let globex = c.app.sign_up("Globex", "grace@globex.test").await;
    let rename = |t: &'static str| {
        c.run(
            &c.member,
            "mutation($r: ID!, $t: String!) { updateReview(id: $r, input: { title: $t }) { id } }",
            json!({ "r": c.review, "t": t }),
        )
    };
    rename("Before").await.data();
    let mut teams = Vec::new();
    for n in 0..5 {
        teams.push(c.app.team(&globex, &format!("Team {n}")).await);
    }
    rename("After").await.data();

    let ids_in = |answer: &crate::harness::Answer| -> Vec<(String, i64)> {
        answer.data()["history"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|node| {
                let id = node["id"].as_str().unwrap();
                let position = hindsight_api::ids::decode_event(id, "id").unwrap();
                let hindsight_api::ids::EventPosition::Sequence(n) = position else { panic!("{id}: {position:?}") };
                (node["kind"].as_str().unwrap().to_owned(), n)
            })
            .collect()
    };
    let history = "query($id: ID!) { history(subjectId: $id, first: 100) { nodes { id kind } } }";
    let review = ids_in(&c.run(&c.member, history, json!({ "id": c.review })).await);
    let renames: Vec<i64> = review.iter().filter(|(kind, _)| kind == "REVIEW_UPDATED").map(|(_, n)| *n).collect();
    assert_eq!(renames.len(), 2, "{review:?}");
    assert_eq!(renames[1], renames[0] + 1, "another organization's five changes left no gap: {review:?}");

    let mut created = Vec::new();
    for team in &teams {
        created.extend(ids_in(&c.app.exec(Some(&globex.token), history, json!({ "id": team })).await));
    }
    let numbers: Vec<i64> = created.iter().map(|(_, n)| *n).collect();
    let first = numbers[0];
    assert_eq!(numbers, (first..first + 5).collect::<Vec<_>>(), "one after another: {created:?}");
    assert!(first < 10, "Globex counts from its own start: {created:?}");

    // Stored, the same two renames sit at least six rows apart in the table of every log.
    let stored = event::Entity::find()
        .filter(event::Column::Kind.eq(EventKind::ReviewUpdated))
        .order_by_asc(event::Column::Id)
        .all(&c.app.state.db)
        .await
        .unwrap();
    let rows: Vec<i64> = stored.iter().map(|row| row.id).collect();
    assert!(rows[1] - rows[0] >= 6, "{rows:?}");
}

#[tokio::test]
async fn an_event_stored_before_the_types_still_reads() {
    let c = crew().await;
    let action = c.action("Add a dead-letter queue", &c.member).await;
    let (_, action_id) = hindsight_api::ids::parse(&action).unwrap();
    let created = event::Entity::find().order_by_desc(event::Column::Id).one(&c.app.state.db).await.unwrap().unwrap();
    // As `dropAction` wrote it before: its reason in the payload.
    let old = json!({
        "from": "OPEN", "to": "WONT_DO", "note": "Superseded by the queue redesign",
        "reviewId": created.payload["reviewId"], "teamId": created.payload["teamId"],
        "ownerId": created.payload["ownerId"], "status": "WONT_DO",
    });
    event::ActiveModel {
        organization_id: Set(created.organization_id),
        actor_id: Set(created.actor_id),
        kind: Set(EventKind::ActionDropped),
        subject_id: Set(hindsight_api::ids::encode(hindsight_api::ids::NodeKind::Action, action_id)),
        payload: Set(old),
        sequence: Set(created.sequence + 1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&c.app.state.db)
    .await
    .unwrap();
    let history = c.run(&c.member, HISTORY, json!({ "id": action })).await;
    let dropped = &history.data()["history"]["edges"][1]["node"];
    assert_eq!(dropped["kind"], "ACTION_DROPPED");
    assert_eq!(dropped["payload"]["to"], "WONT_DO");
    assert_eq!(dropped["payload"]["ownerId"], json!(c.member.user_id));
    assert!(dropped["payload"].get("note").is_none(), "{dropped}");
}
