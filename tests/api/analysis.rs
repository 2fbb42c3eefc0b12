//! The analysis as the practice describes it: who comes to the meeting, what each contributing
//! factor did, what people believed at each moment, and the areas for improvement; what most
//! often delays detection, in the metrics.

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::actions::{Crew, crew};

const PARTICIPANT: &str = "mutation($r: ID!, $u: ID!, $role: ReviewRole!) { addParticipant(reviewId: $r, userId: $u, role: $role) { participants { user { id } role } } }";
const FACILITATOR: &str =
    "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { facilitator { id } } }";
const FACTOR: &str = "mutation($r: ID!, $i: ContributingFactorInput!) { addContributingFactor(reviewId: $r, input: $i) { category description effect } }";
const ENTRY: &str =
    "mutation($r: ID!, $i: TimelineEntryInput!) { addTimelineEntry(reviewId: $r, input: $i) { event assumption } }";
const METRICS: &str =
    "query($f: Date!, $t: Date!) { learningMetrics(from: $f, to: $t) { factorEffects { effect factors } } }";

fn window() -> Value {
    let today = Utc::now().date_naive();
    json!({ "f": (today - TimeDelta::days(30)).to_string(), "t": (today + TimeDelta::days(1)).to_string() })
}

async fn factor(c: &Crew, category: &str, description: &str, effect: Option<&str>) -> Value {
    let input = json!({ "category": category, "description": description, "effect": effect });
    c.run(&c.member, FACTOR, json!({ "r": c.review, "i": input })).await.data()["addContributingFactor"].clone()
}

#[tokio::test]
async fn the_meeting_has_an_on_call_engineer_a_representative_and_a_manager() {
    let c = crew().await;
    for (who, role) in [(&c.viewer, "ON_CALL"), (&c.other, "AFFECTED_TEAM_REP"), (&c.admin, "MANAGER")] {
        let added = c.run(&c.lead, PARTICIPANT, json!({ "r": c.review, "u": who.user_id, "role": role })).await;
        let participants = added.data()["addParticipant"]["participants"].as_array().unwrap().clone();
        assert!(participants.iter().any(|p| p["user"]["id"] == who.user_id && p["role"] == role), "{participants:?}");
    }
    // The on-call engineer responded: they lead the timeline, not the meeting.
    let refused = c.run(&c.lead, FACILITATOR, json!({ "r": c.review, "u": c.viewer.user_id })).await;
    refused.assert_error("BAD_USER_INPUT", Some("userId"));
    // A manager or a representative may facilitate.
    let assigned = c.run(&c.lead, FACILITATOR, json!({ "r": c.review, "u": c.other.user_id })).await;
    assert_eq!(assigned.data()["assignFacilitator"]["facilitator"]["id"], c.other.user_id);
}

#[tokio::test]
async fn factors_say_what_they_did_and_the_timeline_what_people_believed() {
    let c = crew().await;
    let said = factor(&c, "TECHNICAL", "The consumer retries forever", Some("TRIGGERED")).await;
    assert_eq!(
        said,
        json!({ "category": "TECHNICAL", "description": "The consumer retries forever", "effect": "TRIGGERED" })
    );
    let unsaid = factor(&c, "PROCESS", "No runbook for a stuck queue", None).await;
    assert_eq!(unsaid["effect"], Value::Null);
    let bad = c
        .run(
            &c.member,
            FACTOR,
            json!({ "r": c.review, "i": { "category": "PROCESS", "description": "x", "effect": "CAUSED_IT" } }),
        )
        .await;
    assert!(!bad.errors().is_empty(), "an unknown effect is refused: {:?}", bad.0);

    let at = (Utc::now() - TimeDelta::hours(5)).to_rfc3339();
    let entry =
        json!({ "occurredAt": at, "event": "Queue depth alert", "assumption": "A slow consumer, as last week" });
    let added = c.run(&c.member, ENTRY, json!({ "r": c.review, "i": entry })).await;
    assert_eq!(added.data()["addTimelineEntry"]["assumption"], "A slow consumer, as last week");
    let long = json!({ "occurredAt": at, "event": "Paged", "assumption": "x".repeat(2_001) });
    let refused = c.run(&c.member, ENTRY, json!({ "r": c.review, "i": long })).await;
    refused.assert_error("BAD_USER_INPUT", Some("assumption"));
    assert_eq!(refused.errors()[0]["extensions"]["path"], json!(["input", "assumption"]));

    let update = "mutation($r: ID!, $a: [String!]) { updateReview(id: $r, input: { areasForImprovement: $a }) { areasForImprovement } }";
    let areas = json!(["Alert on queue age, not only depth", "  "]);
    let updated = c.run(&c.member, update, json!({ "r": c.review, "a": areas })).await;
    assert_eq!(updated.data()["updateReview"]["areasForImprovement"], json!(["Alert on queue age, not only depth"]));

    // The write-up shows all three.
    let markdown = c.run(&c.member, "query($r: ID!) { review(id: $r) { markdown } }", json!({ "r": c.review })).await;
    let markdown = markdown.data()["review"]["markdown"].as_str().unwrap().to_owned();
    for shown in [
        "What we believed",
        "A slow consumer, as last week",
        "The consumer retries forever _(set it off)_",
        "## Areas for improvement",
        "- Alert on queue age, not only depth",
    ] {
        assert!(markdown.contains(shown), "`{shown}` missing from:\n{markdown}");
    }
}

#[tokio::test]
async fn metrics_count_what_factors_did_over_what_the_viewer_may_read() {
    let c = crew().await;
    factor(&c, "TECHNICAL", "No alert on queue age", Some("DELAYED_DETECTION")).await;
    factor(&c, "PROCESS", "Nobody watched the dashboard", Some("DELAYED_DETECTION")).await;
    factor(&c, "TECHNICAL", "The consumer retries forever", Some("TRIGGERED")).await;
    factor(&c, "COMMUNICATION", "The status page lagged", None).await;
    let counted = c.run(&c.member, METRICS, window()).await;
    assert_eq!(
        counted.data()["learningMetrics"]["factorEffects"],
        json!([{ "effect": "DELAYED_DETECTION", "factors": 2 }, { "effect": "TRIGGERED", "factors": 1 }])
    );
    // Someone who may not read the draft counts none of its factors.
    let outside = c.run(&c.other, METRICS, window()).await;
    assert_eq!(outside.data()["learningMetrics"]["factorEffects"], json!([]));
    // Nor does another organization.
    let stranger = c.app.sign_up("Globex", "gil@globex.test").await;
    let theirs = c.app.exec(Some(&stranger.token), METRICS, window()).await;
    assert_eq!(theirs.data()["learningMetrics"]["factorEffects"], json!([]));
}

const SUGGESTED: &str =
    "query($r: ID!) { review(id: $r) { suggestedParticipants { user { id } role reason } incident { id } } }";

async fn suggestions(c: &Crew) -> (Vec<(String, String, String)>, String) {
    let answer = c.run(&c.lead, SUGGESTED, json!({ "r": c.review })).await;
    let review = &answer.data()["review"];
    let list = review["suggestedParticipants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |v: &Value| v.as_str().unwrap().to_owned();
            (text(&s["user"]["id"]), text(&s["role"]), text(&s["reason"]))
        })
        .collect();
    (list, review["incident"]["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_review_suggests_whom_to_invite_and_never_someone_already_in() {
    let c = crew().await;
    let (_, incident) = suggestions(&c).await;
    // The viewer responded; Platform, led by `other`, was affected.
    c.run(
        &c.admin,
        "mutation($i: ID!, $u: ID!) { addResponder(incidentId: $i, userId: $u) { id } }",
        json!({ "i": incident, "u": c.viewer.user_id }),
    )
    .await
    .data();
    c.run(
        &c.admin,
        "mutation($i: ID!, $t: [ID!]!) { setAffectedTeams(incidentId: $i, teamIds: $t) { id } }",
        json!({ "i": incident, "t": [c.platform] }),
    )
    .await
    .data();
    c.run(
        &c.admin,
        "mutation($t: ID!, $u: ID!) { updateTeamMember(teamId: $t, userId: $u, role: LEAD) { role } }",
        json!({ "t": c.platform, "u": c.other.user_id }),
    )
    .await
    .data();
    let (list, _) = suggestions(&c).await;
    let role_of =
        |who: &str| list.iter().find(|(id, ..)| id == who).map(|(_, role, reason)| (role.clone(), reason.clone()));
    assert_eq!(role_of(&c.viewer.user_id), Some(("ON_CALL".into(), "responded to the incident".into())), "{list:?}");
    assert_eq!(role_of(&c.lead.user_id), Some(("MANAGER".into(), "leads Payments, which owns the incident".into())));
    assert_eq!(
        role_of(&c.other.user_id),
        Some(("AFFECTED_TEAM_REP".into(), "leads Platform, which the incident affected".into()))
    );
    // Each person once.
    let mut ids: Vec<_> = list.iter().map(|(id, ..)| id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), list.len());

    // Once in (as a participant or facilitating), no longer suggested.
    c.run(&c.lead, PARTICIPANT, json!({ "r": c.review, "u": c.viewer.user_id, "role": "ON_CALL" })).await.data();
    c.run(&c.lead, FACILITATOR, json!({ "r": c.review, "u": c.other.user_id })).await.data();
    let (list, _) = suggestions(&c).await;
    assert!(list.iter().all(|(id, ..)| *id != c.viewer.user_id && *id != c.other.user_id), "{list:?}");
    assert!(list.iter().any(|(id, ..)| *id == c.lead.user_id));
    // Those who may not read the review see none of it.
    let outside = c.app.sign_up("Globex", "gil@globex.test").await;
    let theirs = c.app.exec(Some(&outside.token), SUGGESTED, json!({ "r": c.review })).await;
    assert_eq!(theirs.0["data"]["review"], Value::Null, "{:?}", theirs.0);
}

#[tokio::test]
async fn the_write_up_names_the_participants_by_role_and_the_incidents_times() {
    let c = crew().await;
    for (who, role) in [(&c.viewer, "ON_CALL"), (&c.member, "RESPONDER"), (&c.admin, "MANAGER")] {
        c.run(&c.lead, PARTICIPANT, json!({ "r": c.review, "u": who.user_id, "role": role })).await.data();
    }
    let markdown = c.run(&c.member, "query($r: ID!) { review(id: $r) { markdown } }", json!({ "r": c.review })).await;
    let markdown = markdown.data()["review"]["markdown"].as_str().unwrap().to_owned();
    // The crew's incident started six hours before it was declared (detected) and resolved.
    let about_six_hours = |label: &str| {
        markdown.contains(&format!("**{label}:** 6 h")) || markdown.contains(&format!("**{label}:** 5 h 59 min"))
    };
    assert!(about_six_hours("Time to detect") && about_six_hours("to resolve"), "{markdown}");
    assert!(!markdown.contains("to mitigate"), "not mitigated apart from resolving: {markdown}");
    assert!(
        markdown
            .contains("**Participants:** On call: Invited Person · Responders: Invited Person · Managers: Ada Admin"),
        "{markdown}"
    );
}

const AGENDA: &str = "query($r: ID!) { review(id: $r) { agenda { openingStatement totalMinutes phases { phase goal minutes startsAt } } } }";
const POLICY: &str = "mutation($i: ReviewPolicyInput!) { updateReviewPolicy(input: $i) { reviewPolicy { agendaMinutes openingStatement } } }";

#[tokio::test]
async fn the_meeting_has_an_agenda_from_the_policy() {
    let c = crew().await;
    let agenda = c.run(&c.member, AGENDA, json!({ "r": c.review })).await.data()["review"]["agenda"].clone();
    assert_eq!(agenda["totalMinutes"], 90);
    assert!(agenda["openingStatement"].as_str().unwrap().contains("not to find someone to blame"));
    let phases: Vec<(String, i64)> = agenda["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].as_str().unwrap().to_owned(), p["minutes"].as_i64().unwrap()))
        .collect();
    let expected = [("OPENING", 5), ("TIMELINE", 30), ("ANALYSIS", 30), ("ACTIONS", 20), ("CLOSING", 5)];
    assert_eq!(phases, expected.map(|(p, m)| (p.to_owned(), m)).to_vec());
    assert!(agenda["phases"].as_array().unwrap().iter().all(|p| p["startsAt"].is_null() && p["goal"].is_string()));

    // The organization sets its own; a scheduled meeting gets start times.
    let mine =
        json!({ "agendaMinutes": [10, 20, 30, 25, 5], "openingStatement": "We learn here; nobody is on trial." });
    let set = c.run(&c.admin, POLICY, json!({ "i": mine })).await;
    assert_eq!(set.data()["updateReviewPolicy"]["reviewPolicy"]["agendaMinutes"], json!([10, 20, 30, 25, 5]));
    let at = Utc::now() + TimeDelta::days(1);
    let schedule = "mutation($r: ID!, $at: DateTime!) { updateReview(id: $r, input: { scheduledFor: $at }) { id } }";
    c.run(&c.member, schedule, json!({ "r": c.review, "at": at.to_rfc3339() })).await.data();
    let agenda = c.run(&c.member, AGENDA, json!({ "r": c.review })).await.data()["review"]["agenda"].clone();
    assert_eq!(agenda["openingStatement"], "We learn here; nobody is on trial.");
    assert_eq!(agenda["totalMinutes"], 90);
    let starts: Vec<chrono::DateTime<Utc>> =
        agenda["phases"].as_array().unwrap().iter().map(|p| p["startsAt"].as_str().unwrap().parse().unwrap()).collect();
    let offsets: Vec<i64> = starts.iter().map(|s| (*s - starts[0]).num_minutes()).collect();
    assert_eq!(offsets, vec![0, 10, 30, 60, 85]);
    assert!((starts[0] - at).num_seconds().abs() <= 1);

    // Bad agendas are refused, each with its field; only admins set them.
    for bad in [json!([10, 20, 30]), json!([130, 0, 0, 0, 0]), json!([5, 5, 5, 5, 5]), json!([-5, 30, 30, 20, 5])] {
        c.run(&c.admin, POLICY, json!({ "i": { "agendaMinutes": bad } }))
            .await
            .assert_error("BAD_USER_INPUT", Some("agendaMinutes"));
    }
    c.run(&c.lead, POLICY, json!({ "i": { "agendaMinutes": [5, 30, 30, 20, 5] } }))
        .await
        .assert_error("FORBIDDEN", None);
    // An empty statement goes back to the default; the log never holds the text.
    let reset = c.run(&c.admin, POLICY, json!({ "i": { "openingStatement": " " } })).await;
    assert_eq!(reset.data()["updateReviewPolicy"]["reviewPolicy"]["openingStatement"], Value::Null);
    use sea_orm::EntityTrait;
    let events = entity::event::Entity::find().all(&c.app.state.db).await.unwrap();
    assert!(events.iter().all(|e| !e.payload.to_string().contains("nobody is on trial")));
}
